#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""churn_bench.py DNSD_BIN QLAT_BIN [OUT.md] - steady answers under churn (issue #14).

dnsd (one worker) serves N ServiceEntries from the fake API server; qlat
(tests/bench/qlat.c) sends a fixed CHURN_RATE queries per second for
CHURN_SECONDS and records every query's latency, twice: idle, then while
CHURN_CHANGES_PER_S changes per second (address changes of existing entries,
applied in batches every 50 ms through the fake's /_fake/apply, each one a
watch event) are applied. Reports p50/p90/p99/p99.9/max and the unanswered
count side by side, with dnsd's CPU, context switches and page faults
(minflt) in each phase, so that a difference has a first explanation.
Targets: churn p99 and p99.9 <= 2x idle, nothing unanswered.
Environment: CHURN_N (100000), CHURN_RATE (20000), CHURN_SECONDS (10),
CHURN_CHANGES_PER_S (200); CHURN_ROUNDS (3: idle then churn, repeated, medians
reported); CHURN_PERF (1 where perf works: dnsd's page faults and mmap, munmap,
madvise and brk calls per phase through `perf stat -p`, which counts from
tracepoints); CHURN_DNSD_YAML, more lines for dnsd's config
(for example "udp-io: recvmmsg"). Per publication it reports the page faults
and the arena bytes mapped fresh (dnsd_arena_* metrics). Bounded: every wait has a deadline, the changes
stop with the query run; traffic to 127.0.0.1 only.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE_BENCH)
sys.dont_write_bytecode = True
from benchlib import FakeApi, free_port, scrape, stop_process, wait_for  # noqa: E402

N = int(os.environ.get("CHURN_N", "100000"))
RATE = int(os.environ.get("CHURN_RATE", "20000"))
SECONDS = float(os.environ.get("CHURN_SECONDS", "10"))
CHANGES_PER_S = int(os.environ.get("CHURN_CHANGES_PER_S", "200"))
ROUNDS = int(os.environ.get("CHURN_ROUNDS", "3"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PERF_EVENTS = ["page-faults", "syscalls:sys_enter_mmap", "syscalls:sys_enter_munmap",
               "syscalls:sys_enter_madvise", "syscalls:sys_enter_brk"]


def perf_works():
    if os.environ.get("CHURN_PERF", "1") != "1":
        return False
    try:
        r = subprocess.run(["perf", "stat", "-x,", "-e", ",".join(PERF_EVENTS), "--", "true"],
                           capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and "not supported" not in r.stderr and "<not" not in r.stderr


def proc_counters(pid):
    """(cpu ticks, minor faults, context switches) of pid, all threads."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    minflt, ticks = int(rest[7]), int(rest[11]) + int(rest[12])
    ctx = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        ctx += int(line.split()[1])
        except OSError:
            pass
    return ticks, minflt, ctx


def entry(k, gen):
    ns, name = "ns-%d" % (k % 100), "svc-%d" % k
    return {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"hosts": ["%s.%s.global" % (name, ns)],
                     "addresses": ["10.%d.%d.%d" % (100 + gen % 100, (k >> 8) & 255, k & 255)],
                     "location": "MESH_INTERNAL", "resolution": "DNS",
                     "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}}


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    dnsd, qlat = sys.argv[1], sys.argv[2]
    out_md = sys.argv[3] if len(sys.argv) > 3 else None
    tmp = tempfile.mkdtemp(prefix="dnsd-churn-bench.")
    procs = []
    try:
        fake = FakeApi(tmp, timeout_s=300)
        procs.append(fake.p)

        def fake_post(what, body):
            fake.req("POST", "/_fake/" + what, body)

        fake_post("generate", {"n": N, "namespaces": 100, "prefix": "svc"})
        dns_port, hport, mport = free_port(), free_port(), free_port()
        with open(os.path.join(tmp, "dnsd.yaml"), "w") as f:
            f.write("listen: [\"127.0.0.1:%d\"]\nworkers: 1\nzones:\n  - {name: global, ttl: 30, kubernetes: [bench]}\n"
                    "kubernetes:\n  - {name: bench, kubeconfig: %s}\nlog: {level: info, queries: false}\n"
                    "metrics: {listen: \"127.0.0.1:%d\"}\nhealth: {listen: \"127.0.0.1:%d\"}\n"
                    % (dns_port, fake.kubeconfig, mport, hport) + os.environ.get("CHURN_DNSD_YAML", "") + "\n")
        log = open(os.path.join(tmp, "dnsd.log"), "w")
        d = subprocess.Popen([dnsd, "-c", os.path.join(tmp, "dnsd.yaml")], stderr=log, stdout=log)
        procs.append(d)

        def ready():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/ready" % hport, timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for(ready, 180, "dnsd /ready")
        # From here the fake API stands in for an API server on another machine:
        # every thread of it niced, so that its Python does not take the CPU
        # from what is measured (threads it starts later inherit that)
        for tid in os.listdir("/proc/%d/task" % fake.p.pid):
            try:
                os.setpriority(os.PRIO_PROCESS, int(tid), 19)
            except OSError:
                pass
        names = os.path.join(tmp, "names.txt")
        with open(names, "w") as f:   # a spread of the entries, in a fixed shuffled order
            for i in range(min(N, 50000)):
                k = (i * 7919) % N
                f.write("svc-%d.ns-%d.global\n" % (k, k % 100))

        use_perf = perf_works()

        # the batch number, across phases: each churn phase goes on where the
        # last one stopped, so its changes change something (starting again
        # at 0 re-sent the first phase's objects as they already were, and
        # the later rounds published nothing)
        next_gen = [0]

        def run_phase(changes):
            stop = threading.Event()
            applied = [0]

            def changer():
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)   # this thread only (Linux)
                # CHANGES_PER_S per second in batches every 50 ms, until the run ends
                batch = max(1, CHANGES_PER_S // 20)
                t_next, gen = time.monotonic(), next_gen[0]
                limit = int(CHANGES_PER_S * (SECONDS + 5))
                while not stop.is_set() and applied[0] < limit:
                    objs = [entry((gen * batch + j) * 104729 % N, gen) for j in range(batch)]
                    fake_post("apply", {"objects": objs})
                    applied[0] += batch
                    gen += 1
                    next_gen[0] = gen
                    t_next += 0.05
                    stop.wait(max(0.0, t_next - time.monotonic()))
            m0 = scrape(mport)
            c0, t0 = proc_counters(d.pid), time.monotonic()
            f0, s0 = proc_counters(fake.p.pid)[0], os.times()
            perf = subprocess.Popen(["perf", "stat", "-x,", "-e", ",".join(PERF_EVENTS), "-p", str(d.pid),
                                     "--", "sleep", str(SECONDS)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True) if use_perf else None
            th = threading.Thread(target=changer) if changes else None
            if th:
                th.start()
            r = subprocess.run([qlat, str(dns_port), str(RATE), str(SECONDS), names], capture_output=True,
                               text=True, timeout=SECONDS + 60)
            stop.set()
            if th:
                th.join(30)
            c1, t1 = proc_counters(d.pid), time.monotonic()
            f1, s1 = proc_counters(fake.p.pid)[0], os.times()
            m1 = scrape(mport)
            counts = {}
            if perf:
                _, err = perf.communicate(timeout=SECONDS + 30)
                for line in err.splitlines():
                    f = line.split(",")
                    if len(f) > 2 and f[0].isdigit():
                        counts[f[2].split(":")[-1].replace("sys_enter_", "")] = int(f[0])
            if r.returncode != 0:
                raise SystemExit("churn_bench: qlat failed: %s" % r.stderr)
            res = dict(kv.split("=") for kv in r.stdout.split())
            res = {k: int(v) for k, v in res.items()}
            res["changes_per_s"] = applied[0] / (t1 - t0)
            # what reached dnsd: the watch events it applied (the fake may lag)
            res["events_per_s"] = (m1.get("dnsd_kubernetes_events_total", 0) -
                                   m0.get("dnsd_kubernetes_events_total", 0)) / (t1 - t0)
            res["cpu_pct"] = (c1[0] - c0[0]) / CLK_TCK / (t1 - t0) * 100
            # what else competes for the CPUs: the fake API server, qlat and
            # this script's change thread
            res["fake_cpu_pct"] = (f1 - f0) / CLK_TCK / (t1 - t0) * 100
            res["qlat_cpu_pct"] = ((s1.children_user - s0.children_user) + (s1.children_system - s0.children_system)
                                   ) / (t1 - t0) * 100
            res["driver_cpu_pct"] = ((s1.user - s0.user) + (s1.system - s0.system)) / (t1 - t0) * 100
            res["minflt"] = c1[1] - c0[1]
            res["ctxsw"] = c1[2] - c0[2]
            pubs = m1.get("dnsd_publications_total", 0) - m0.get("dnsd_publications_total", 0)
            res["publications"] = pubs
            fresh = m1.get("dnsd_arena_bytes_mapped_total", 0) - m0.get("dnsd_arena_bytes_mapped_total", 0)
            reused = m1.get("dnsd_arena_bytes_reused_total", 0) - m0.get("dnsd_arena_bytes_reused_total", 0)
            res["fresh_kb_per_pub"] = fresh / 1024 / pubs if pubs else 0
            res["reused_kb_per_pub"] = reused / 1024 / pubs if pubs else 0
            for k in ("page-faults", "mmap", "munmap", "madvise", "brk"):
                res[k] = counts.get(k, -1)
            res["faults_per_pub"] = counts.get("page-faults", 0) / pubs if pubs and counts else 0
            return res

        def median(vals):
            vals = sorted(vals)
            n = len(vals)
            return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2

        idles, churns = [], []
        for _ in range(max(1, ROUNDS)):
            idles.append(run_phase(False))
            churns.append(run_phase(True))
            for label, r in (("idle", idles[-1]), ("churn", churns[-1])):
                print("round %d %s: p99 %d p99.9 %d us, %d pubs, %s faults" % (
                    len(idles), label, r["p99_us"], r["p999_us"], r["publications"], r["page-faults"]),
                    file=sys.stderr)
        idle = {k: median([r[k] for r in idles]) for k in idles[0]}
        churn = {k: median([r[k] for r in churns]) for k in churns[0]}
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        rows = [("p50 (µs)", "p50_us"), ("p90 (µs)", "p90_us"), ("p99 (µs)", "p99_us"),
                ("p99.9 (µs)", "p999_us"), ("max (µs)", "max_us"), ("unanswered", "unanswered"),
                ("queries sent", "sent"), ("sent > 1 ms late (client starved)", "late_sends"),
                ("changes sent to the fake API per s", "changes_per_s"),
                ("watch events dnsd applied per s", "events_per_s"), ("dnsd CPU (%)", "cpu_pct"),
                ("fake API server CPU (%)", "fake_cpu_pct"), ("qlat CPU (%)", "qlat_cpu_pct"),
                ("bench driver CPU (%)", "driver_cpu_pct"),
                ("dnsd minor page faults", "minflt"), ("dnsd context switches", "ctxsw"),
                ("publications", "publications"), ("page faults per publication (perf)", "faults_per_pub"),
                ("arena KiB mapped fresh per publication", "fresh_kb_per_pub"),
                ("arena KiB reused from the cache per publication", "reused_kb_per_pub"),
                ("mmap calls (perf)", "mmap"), ("munmap calls (perf)", "munmap"),
                ("madvise calls (perf)", "madvise"), ("brk calls (perf)", "brk")]
        lines = ["### Steady answers under churn: %d ServiceEntries, %d qps for %g s, median of %d rounds"
                 % (N, RATE, SECONDS, len(idles)), "",
                 "Load average at the end: %s on %d CPUs." % (load, os.cpu_count()), "",
                 "| | idle | %d changes/s | churn/idle |" % CHANGES_PER_S, "|---|---:|---:|---:|"]
        for label, key in rows:
            a, b = idle[key], churn[key]
            lines.append("| %s | %s | %s | %s |" % (label, "%.0f" % a, "%.0f" % b,
                                                   "%.2f×" % (b / a) if a else "—"))
        ok = lambda c: "PASS" if c else "MISS"   # noqa: E731
        lines += ["", "- %s churn p99 ≤ 2× idle: %d vs %d µs" % (ok(churn["p99_us"] <= 2 * idle["p99_us"]),
                                                                churn["p99_us"], idle["p99_us"]),
                  "- %s churn p99.9 ≤ 2× idle: %d vs %d µs" % (ok(churn["p999_us"] <= 2 * idle["p999_us"]),
                                                              churn["p999_us"], idle["p999_us"]),
                  "- %s nothing unanswered: %d idle, %d under churn" % (
                      ok(idle["unanswered"] == 0 and churn["unanswered"] == 0), idle["unanswered"],
                      churn["unanswered"]),
                  "- per round, churn/idle: p99 %s; p99.9 %s; unanswered %s" % (
                      ", ".join("%.2f×" % (c["p99_us"] / i["p99_us"]) for i, c in zip(idles, churns)),
                      ", ".join("%.2f×" % (c["p999_us"] / i["p999_us"]) for i, c in zip(idles, churns)),
                      ", ".join("%d/%d" % (i["unanswered"], c["unanswered"]) for i, c in zip(idles, churns))),
                  ""]
        md = "\n".join(lines)
        print(md)
        if out_md:
            with open(out_md, "w") as f:
                f.write(md)
    finally:
        for p in reversed(procs):
            stop_process(p, 10)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
