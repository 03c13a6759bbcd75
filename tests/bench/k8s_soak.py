#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""k8s_soak.py DNSD_BIN [OUT.md] - the churn and many-clusters half of the
Kubernetes benchmark (`make bench`), against the fake API server (HTTPS):

  1. Soak: K8S_SOAK_N entries (default 20000), then K8S_SOAK_CHANGES mixed
     changes (default 100000: modify, delete, add back; k8s_churn.py) with
     K8S_SOAK_RELISTS relists (default 5, ERROR 410) spread through them.
     At the end the whole zone (dig AXFR from loopback) must equal what the
     API's LIST implies (exit 1 otherwise), and dnsd's RSS is compared with a
     fresh dnsd started on the final state (which must match the API too).
  2. Many clusters: K8S_CLUSTERS sources (default 20) of K8S_CLUSTER_N entries
     each (default 5000): one fake API, each source watching its own
     namespace; exec -> /ready and RSS.
K8S_SOAK_MANY=0 skips part 2; K8S_SOAK_KEEP=DIR keeps, for the soaked dnsd
and the fresh one, /proc/PID/smaps, /metrics and glibc's malloc_stats()
(through gdb, into the daemon's log, copied there), and each thread's
tcache address (NAME.threads: it lies in that thread's arena).
Every loop is bounded in count and time (K8S_SOAK_MAX_S, default 900 s for
the churn); traffic goes to 127.0.0.1 only.
"""
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import k8s_churn  # noqa: E402
from benchlib import FakeApi, free_port, scrape, stop_process, wait_for  # noqa: E402




def proc_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def keep_state(keep, tmp, d, name):
    """smaps, /metrics and malloc_stats() of daemon d into the folder keep."""
    os.makedirs(keep, exist_ok=True)
    with open("/proc/%d/smaps" % d.p.pid) as f, open(os.path.join(keep, name + ".smaps"), "w") as o:
        o.write(f.read())
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.hport, timeout=5) as r, \
            open(os.path.join(keep, name + ".metrics"), "wb") as o:
        o.write(r.read())
    # each thread's tcache lies in its arena's heap: which thread is which arena
    with open(os.path.join(keep, name + ".threads"), "w") as o:
        subprocess.run(["gdb", "-p", str(d.p.pid), "-batch", "-ex", "call (void)malloc_stats()",
                        "-ex", "thread apply all p (void *)tcache"],
                       stdout=o, stderr=subprocess.DEVNULL, timeout=60)
    d.log.flush()
    subprocess.run(["cp", os.path.join(tmp, name + ".log"), keep])


def cpu_s(pid):
    """user + system CPU seconds pid has used (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_rss_kb(pid, secs=3.0):
    """RSS once the publisher's trim (at most once a second) has run: the
    lowest of samples over secs (a measurement, not a synchronisation)."""
    low, deadline = None, time.monotonic() + secs
    while time.monotonic() < deadline:
        v = proc_kb(pid, "VmRSS")
        low = v if low is None else min(low, v)
        time.sleep(0.1)
    return low


class Daemon:
    def __init__(self, tmp, dnsd, name, sources):
        """sources: [(source name, kubeconfig, namespaces or None)]"""
        self.port, self.hport = free_port(), free_port()
        cfg = os.path.join(tmp, name + ".yaml")
        srcs = "".join("  - {name: %s, kubeconfig: %s%s}\n"
                       % (s, kc, ", namespaces: [%s]" % ", ".join(ns) if ns else "")
                       for s, kc, ns in sources)
        with open(cfg, "w") as f:
            f.write("listen: [\"127.0.0.1:%d\"]\nworkers: 1\nzones:\n"
                    "  - {name: global, ttl: 30, kubernetes: [%s]}\nkubernetes:\n%s"
                    "log: {level: info, queries: false}\nlameduck-ms: 0\n"
                    "metrics: {listen: \"127.0.0.1:%d\"}\nhealth: {listen: \"127.0.0.1:%d\"}\n"
                    % (self.port, ", ".join(s for s, _, _ in sources), srcs, self.hport, self.hport))
        self.log = open(os.path.join(tmp, name + ".log"), "w")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([dnsd, "-c", cfg], stdout=self.log, stderr=self.log)
        wait_for(self.ready, 300, name + " /ready")
        self.ready_s = time.monotonic() - self.t0

    def ready(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/ready" % self.hport, timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        stop_process(self.p)

    def metric(self, name):
        """A metric from /metrics, summed over its labels (0 when absent)."""
        return scrape(self.hport).get(name, 0.0)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    dnsd = sys.argv[1]
    out_md = sys.argv[2] if len(sys.argv) > 2 else None
    n = int(os.environ.get("K8S_SOAK_N", "20000"))
    changes = int(os.environ.get("K8S_SOAK_CHANGES", "100000"))
    relists = int(os.environ.get("K8S_SOAK_RELISTS", "5"))
    max_s = float(os.environ.get("K8S_SOAK_MAX_S", "900"))
    clusters = int(os.environ.get("K8S_CLUSTERS", "20"))
    cluster_n = int(os.environ.get("K8S_CLUSTER_N", "5000"))
    tmp = tempfile.mkdtemp(prefix="dnsd-k8s-soak.")
    procs, daemons, ok = [], [], True
    lines = []
    try:
        # 1. soak
        fake = api = FakeApi(tmp, "soak", 2 * changes + n)
        kc = fake.kubeconfig
        procs.append(fake.p)
        api.req("POST", "/_fake/generate", {"n": n, "namespaces": 100, "prefix": "svc", "v6": True})
        d = Daemon(tmp, dnsd, "soak", [("soak", kc, None)])
        daemons.append(d)
        rss_start = settled_rss_kb(d.p.pid)
        cpu0 = cpu_s(d.p.pid)
        res = k8s_churn.churn(api, "svc", n, changes, relists, 500, 14, max_s)
        t = time.monotonic()
        exact = k8s_churn.compare(api, d.port, "global", 120, "svc")
        converge_s = time.monotonic() - t
        soak_cpu_s = cpu_s(d.p.pid) - cpu0
        rss_end, hwm_end = settled_rss_kb(d.p.pid), proc_kb(d.p.pid, "VmHWM")
        # the IXFR history a fresh start does not have: bounded (xfr.journal-size
        # per zone and view, 1 MiB by default), so not growth per change
        journal_kb = d.metric("dnsd_journal_bytes") / 1024
        fresh = Daemon(tmp, dnsd, "fresh", [("soak", kc, None)])
        daemons.append(fresh)
        exact_fresh = k8s_churn.compare(api, fresh.port, "global", 60, "svc")
        rss_fresh = settled_rss_kb(fresh.p.pid)
        keep = os.environ.get("K8S_SOAK_KEEP")
        if keep:
            keep_state(keep, tmp, d, "soak")
            keep_state(keep, tmp, fresh, "fresh")
        ok = ok and exact and exact_fresh and res["changes"] == changes
        growth = 100.0 * (rss_end - rss_fresh) / rss_fresh
        growth_ex = 100.0 * (rss_end - journal_kb - rss_fresh) / rss_fresh
        lines += [
            "### Kubernetes soak: %d ServiceEntries, %d changes, %d relists" % (n, res["changes"],
                                                                               res["relists"]),
            "",
            "| measure | value | target |",
            "|---|---|---|",
            "| changes sent (modify / delete / add), seconds | %d / %d / %d in %.0f s | |"
            % (res["modify"], res["delete"], res["add"], res["seconds"]),
            "| entries at the end | %d | |" % res["held"],
            "| zone (AXFR) = the API's LIST at the end | %s (converged %.1f s after the last change) | yes |"
            % ("yes" if exact else "NO", converge_s),
            "| dnsd's CPU from the first change to converged | %.2f s | |" % soak_cpu_s,
            "| RSS at start / end / fresh dnsd on the final state | %.1f / %.1f / %.1f MB | |"
            % (rss_start / 1024, rss_end / 1024, rss_fresh / 1024),
            "| RSS at the end vs fresh | %+.1f %% | <= 5 %% |" % growth,
            "| of which the IXFR journal (dnsd_journal_bytes, at most xfr.journal-size) | %.2f MB | |"
            % (journal_kb / 1024),
            "| RSS at the end less the journal vs fresh | %+.1f %% | <= 5 %% |" % growth_ex,
            "| VmHWM during the soak | %.1f MB | |" % (hwm_end / 1024),
            "| fresh dnsd's zone = the API's LIST | %s | yes |" % ("yes" if exact_fresh else "NO"),
            "",
        ]
        for x in daemons:
            x.stop()
        daemons = []
        fake.stop()
        if os.environ.get("K8S_SOAK_MANY", "1") != "0":
            # 2. many clusters: one fake API, one namespace per source
            fake = api = FakeApi(tmp, "many", 1000)
            kc = fake.kubeconfig
            procs.append(fake.p)
            api.req("POST", "/_fake/generate", {"n": clusters * cluster_n, "namespaces": clusters,
                                                "prefix": "svc", "v6": True})
            d = Daemon(tmp, dnsd, "many", [("c%d" % i, kc, ["ns-%d" % i]) for i in range(clusters)])
            daemons.append(d)
            rss = settled_rss_kb(d.p.pid)
            exact_many = k8s_churn.compare(api, d.port, "global", 120, "svc")
            ok = ok and exact_many
            lines += [
                "### Kubernetes: %d clusters x %d ServiceEntries" % (clusters, cluster_n),
                "",
                "| measure | value |",
                "|---|---|",
                "| exec -> /ready (every source listed) | %.2f s |" % d.ready_s,
                "| RSS serving (VmRSS / VmHWM) | %.1f MB / %.1f MB |"
                % (rss / 1024, proc_kb(d.p.pid, "VmHWM") / 1024),
                "| zone (AXFR) = the API's LIST | %s |" % ("yes" if exact_many else "NO"),
                "",
            ]
    finally:
        for x in daemons:
            x.stop()
        for p in procs:
            stop_process(p, 10)
        subprocess.run(["rm", "-rf", tmp])
    md = "\n".join(lines)
    print(md)
    if out_md:
        with open(out_md, "w") as f:
            f.write(md)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
