#!/usr/bin/python3
"""k8s_bench.py DNSD_BIN [OUT.md] - the Kubernetes half of `make bench`.

Against the fake API server (HTTPS, as in the e2e tests):
  1. LIST of N ServiceEntries -> serving: dnsd started with N entries at the
     API; time from exec to /ready 200 (discovery, paginated LIST, JSON
     parse, zone build, publish), and dnsd's own "listed ... -> ready" span.
  2. RSS of dnsd serving those N entries (VmRSS and VmHWM).
  3. Change -> answer: C changes, one at a time, each a PUT of an existing
     ServiceEntry with a new address; the time from sending the PUT to the
     first UDP answer from dnsd carrying the new address (polled back to back,
     each change bounded by a 2 s deadline). p50/p90/p99/max over C changes,
     with the zone at N entries.
Environment: K8S_BENCH_N (default 100000), K8S_BENCH_CHANGES (default 1000).
Every loop is bounded; traffic goes to 127.0.0.1 only.
"""

import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE_BENCH)
sys.dont_write_bytecode = True
from benchlib import FakeApi, free_port, scrape, stop_process, wait_for  # noqa: E402



def dns_query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def a_records(resp):
    """IPv4 addresses in the answer section of a reply (no compression of
    owner names assumed beyond pointers, which dnsd uses)."""
    if len(resp) < 12:
        return []
    qd, an = struct.unpack(">HH", resp[4:8])
    i = 12

    def skip_name(i):
        while True:
            n = resp[i]
            if n == 0:
                return i + 1
            if n & 0xC0 == 0xC0:
                return i + 2
            i += n + 1
    for _ in range(qd):
        i = skip_name(i) + 4
    out = []
    for _ in range(an):
        i = skip_name(i)
        typ, _cls, _ttl, rdlen = struct.unpack(">HHIH", resp[i:i + 10])
        i += 10
        if typ == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(resp[i:i + 4]))
        i += rdlen
    return out


def pct(vals, p):
    vals = sorted(vals)
    k = max(0, min(len(vals) - 1, int(round(p / 100.0 * len(vals) + 0.5)) - 1))
    return vals[k]


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    dnsd = sys.argv[1]
    out_md = sys.argv[2] if len(sys.argv) > 2 else None
    n = int(os.environ.get("K8S_BENCH_N", "100000"))
    changes = int(os.environ.get("K8S_BENCH_CHANGES", "1000"))
    tmp = tempfile.mkdtemp(prefix="dnsd-k8s-bench.")
    procs = []
    try:
        fake = FakeApi(tmp)
        procs.append(fake.p)
        api = fake.req
        t = time.monotonic()
        api("POST", "/_fake/generate", {"n": n, "namespaces": 100, "prefix": "svc", "v6": True})
        gen_s = time.monotonic() - t
        # Warm the fake's encoding cache and time its own LIST cost (all pages).
        t = time.monotonic()
        fake.list_all()
        fake_list_s = time.monotonic() - t

        dns_port, hport = free_port(), free_port()
        with open(os.path.join(tmp, "dnsd.yaml"), "w") as f:
            f.write("""listen: ["127.0.0.1:%d"]
workers: 1
zones:
  - {name: global, ttl: 30, kubernetes: [bench]}
kubernetes:
  - {name: bench, kubeconfig: %s}
log: {level: info, queries: false}
lameduck-ms: 0
metrics: {listen: "127.0.0.1:%d"}
health: {listen: "127.0.0.1:%d"}
""" % (dns_port, fake.kubeconfig, hport, hport))
        log = open(os.path.join(tmp, "dnsd.log"), "w")
        t0 = time.monotonic()
        d = subprocess.Popen([dnsd, "-c", os.path.join(tmp, "dnsd.yaml")], stderr=log, stdout=log)
        procs.append(d)

        def ready():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/ready" % hport, timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for(ready, float(os.environ.get("K8S_BENCH_READY_S", "120")), "dnsd /ready", poll=0.005)
        ready_s = time.monotonic() - t0
        # RSS once memory has settled (dnsd_memory_settled: the publisher gave
        # back what building took, 1 s after the last publication), polled
        def settled():
            try:
                return scrape(hport).get("dnsd_memory_settled") == 1
            except OSError:
                return False
        t = time.monotonic()
        wait_for(settled, 30, "dnsd_memory_settled 1", poll=0.05)
        settle_s = time.monotonic() - t
        rss_kb, hwm_kb = proc_status(d.pid, "VmRSS"), proc_status(d.pid, "VmHWM")
        # private memory vs shared library pages (libcrypto's text alone is ~4 MB)
        anon_kb, file_kb = proc_status(d.pid, "RssAnon"), proc_status(d.pid, "RssFile")
        # what the source itself says it holds (issue #14: bytes per entry)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % hport, timeout=5) as r:
            metrics_text = r.read().decode()
        held = {}
        for family in ("packed_bytes", "object_bytes", "registry_bytes"):
            m = re.search(r"^dnsd_kubernetes_%s(?:\{[^}]*\})? (\S+)$" % family, metrics_text, re.M)
            held[family] = float(m.group(1)) if m else float("nan")
        # the frozen zone (its parts' arena chunks) and the feed's builder
        for key, pattern in (("zone_bytes", r"^dnsd_arena_live_bytes (\S+)$"),
                             ("builder_bytes", r'^dnsd_zone_builder_bytes\{state="in_use"\} (\S+)$')):
            m = re.search(pattern, metrics_text, re.M)
            held[key] = float(m.group(1)) if m else float("nan")
        keep = os.environ.get("K8S_BENCH_KEEP")   # a folder: smaps, malloc_stats(), threads, metrics
        if keep:
            os.makedirs(keep, exist_ok=True)
            with open("/proc/%d/smaps" % d.pid) as f, open(os.path.join(keep, "smaps"), "w") as o:
                o.write(f.read())
            # each thread's tcache lies in its arena's heap: which thread is which arena
            with open(os.path.join(keep, "threads"), "w") as o:
                subprocess.run(["gdb", "-p", str(d.pid), "-batch", "-ex", "call (void)malloc_stats()",
                                "-ex", "thread apply all p (void *)tcache"],
                               stdout=o, stderr=subprocess.DEVNULL, timeout=60)
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % hport, timeout=5) as r, \
                    open(os.path.join(keep, "metrics"), "wb") as o:
                o.write(r.read())
        text = open(os.path.join(tmp, "dnsd.log")).read()

        def stamp(pattern):
            m = re.search(r"^(\S+) .*" + pattern, text, re.M)
            if not m:
                return None
            ts = m.group(1).rstrip("Z")
            hh, mm, ss = ts.split("T")[1].split(":")
            return int(hh) * 3600 + int(mm) * 60 + float(ss)
        t_disc = stamp("using networking.istio.io")
        t_listed = stamp("listed %d ServiceEntries" % n)
        t_ready = stamp("ready: every zone")
        build_ms = (t_ready - t_listed) * 1000 if t_listed and t_ready else float("nan")
        list_ms = (t_listed - t_disc) * 1000 if t_listed and t_disc else float("nan")

        # change -> answer
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(("127.0.0.1", dns_port))
        sock.settimeout(0.05)
        lat = []
        misses = 0
        qid = 1
        for i in range(changes):
            k = (i * 7919) % n
            ns = "ns-%d" % (k % 100)
            name = "svc-%d" % k
            host = "%s.%s.global" % (name, ns)
            addr = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            body = {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"hosts": [host], "addresses": [addr], "location": "MESH_INTERNAL",
                             "resolution": "DNS",
                             "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}}
            t = time.monotonic()
            api("PUT", "/apis/networking.istio.io/v1/namespaces/%s/serviceentries/%s"
                % (ns, name), body)
            deadline = t + 2.0
            seen = False
            while time.monotonic() < deadline:
                qid = (qid + 1) & 0xFFFF
                sock.send(dns_query(host, qid))
                try:
                    resp = sock.recv(4096)
                except socket.timeout:
                    continue
                if addr in a_records(resp):
                    seen = True
                    break
            if seen:
                lat.append((time.monotonic() - t) * 1000)
            else:
                misses += 1
        hwm2_kb = proc_status(d.pid, "VmHWM")

        res = {
            "n": n, "changes": changes, "misses": misses,
            "fake_generate_s": gen_s, "fake_list_s": fake_list_s,
            "exec_to_ready_s": ready_s, "list_ms": list_ms, "listed_to_ready_ms": build_ms,
            "packed_b_per_entry": held["packed_bytes"] / n, "object_b_per_entry": held["object_bytes"] / n,
            "registry_b_per_entry": held["registry_bytes"] / n,
            "zone_b_per_entry": held["zone_bytes"] / n, "builder_b_per_entry": held["builder_bytes"] / n,
            "rss_anon_mb": anon_kb / 1024, "rss_file_mb": file_kb / 1024,
            "settle_s": settle_s, "rss_mb": rss_kb / 1024, "hwm_mb": hwm_kb / 1024, "hwm_after_changes_mb": hwm2_kb / 1024,
            "p50_ms": pct(lat, 50) if lat else float("nan"),
            "p90_ms": pct(lat, 90) if lat else float("nan"),
            "p99_ms": pct(lat, 99) if lat else float("nan"),
            "max_ms": max(lat) if lat else float("nan"),
            "mean_ms": statistics.mean(lat) if lat else float("nan"),
        }
        lines = [
            "### Kubernetes: %d ServiceEntries, %d changes" % (n, changes),
            "",
            "| measure | value | target |",
            "|---|---|---|",
            "| exec -> /ready with %d entries at the API | %.2f s | |" % (n, ready_s),
            "| ... of which discovery -> LIST done (fake API serving %d pages of 500) | %.0f ms | |"
            % ((n + 499) // 500, list_ms),
            "| ... of which LIST done -> serving (zone build + publish) | %.0f ms | < 1 s |" % build_ms,
            "| the fake API's own time to serve that LIST (python client) | %.2f s | |" % fake_list_s,
            "| RSS serving %d entries, once settled (%.1f s after /ready; VmRSS / VmHWM) | %.1f MB / %.1f MB | |"
            % (n, res["settle_s"], res["rss_mb"], res["hwm_mb"]),
            "| ... private (RssAnon) / shared library and file pages (RssFile) | %.1f MB / %.1f MB | |"
            % (res["rss_anon_mb"], res["rss_file_mb"]),
            "| ... per entry: frozen zone (dnsd_arena_live_bytes) / zone builder (in use) | %.0f B / %.0f B | |"
            % (res["zone_b_per_entry"], res["builder_b_per_entry"]),
            "| ... held entries, per entry: packed / reflector objects / registry "
            "(dnsd_kubernetes_{packed,object,registry}_bytes / N) | %.0f B / %.0f B / %.0f B | |"
            % (res["packed_b_per_entry"], res["object_b_per_entry"], res["registry_b_per_entry"]),
            "| change at the API -> new answer, p50 | %.1f ms | |" % res["p50_ms"],
            "| ... p90 | %.1f ms | |" % res["p90_ms"],
            "| ... p99 | %.1f ms | < 50 ms |" % res["p99_ms"],
            "| ... max (misses after 2 s: %d) | %.1f ms | |" % (misses, res["max_ms"]),
            "| VmHWM after the changes | %.0f MB | |" % res["hwm_after_changes_mb"],
            "",
        ]
        md = "\n".join(lines)
        print(md)
        print("k8s_bench: " + json.dumps(res), file=sys.stderr)
        if out_md:
            with open(out_md, "w") as f:
                f.write(md)
    finally:
        for p in reversed(procs):
            stop_process(p, 10)
        if os.environ.get("K8S_BENCH_KEEP"):
            subprocess.run(["cp", os.path.join(tmp, "dnsd.log"), os.environ["K8S_BENCH_KEEP"]])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
