#!/usr/bin/python3
"""xfr_bench.py DNSD_BIN [OUT.md] - the zone transfer part of `make bench`.

1. AXFR of the N-name zone (tests/bench/genzone.py, default 100,000 names,
   200,005 records) from dnsd, Knot and NSD serving the same file, each
   pinned to CPU 0, the client (raw sockets: it counts records from the
   message headers, it does not parse them) on CPU 1. Wall time from
   sending the query to the last record, bytes and messages; XFR_ROUNDS
   rounds (default 5), servers in rotating order, medians.
2. IXFR of one change: dnsd, the zone file changed in one record and its
   serial bumped, SIGHUP, then IXFR from the old serial: time and bytes.
3. Change -> secondary: the fake Kubernetes API with XFR_K8S_N entries
   (default 10,000), dnsd fed by it NOTIFYing a Knot, then an NSD, then a
   BIND secondary; C changes (XFR_CHANGES, default 100), each a PUT with a
   new address, timed from the PUT to the first UDP answer from the
   secondary with the new address (2 s deadline each): NOTIFY, IXFR and the
   secondary's apply included. p50/p90/p99/max, and per stage (dnsd's log
   and a poller of dnsd): publish, NOTIFY answered, the secondary's IXFR
   request, its apply. XFR_ONLY=latency runs this part alone
   (XFR_SECONDARIES=Knot,NSD,BIND picks which).
Every loop is bounded; traffic goes to 127.0.0.1 only.
"""
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402  (FakeApi)
import k8s_bench  # noqa: E402  (free_port, wait_for, dns_query, a_records, pct)

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CPUS = os.environ.get("BENCH_CPUS", "0,1").split(",")


def axfr_query(zone, qtype=252, serial=None):
    q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 1 if serial is not None else 0, 0)
    name = b"".join(bytes([len(x)]) + x.encode() for x in zone.rstrip(".").split(".")) + b"\x00"
    q += name + struct.pack(">HH", qtype, 1)
    if serial is not None:
        q += b"\xc0\x0c" + struct.pack(">HHIH", 6, 1, 0, 22) + b"\x00\x00" + struct.pack(">IIIII", serial, 0, 0, 0, 0)
    return q


def recv_exact(s, n):
    b = bytearray()
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return bytes(b)


def transfer(port, zone, want_records, qtype=252, serial=None):
    """(seconds, bytes, messages, records) of one transfer, read until want_records."""
    s = socket.create_connection(("127.0.0.1", port), timeout=float(os.environ.get("XFR_TIMEOUT", "30")))
    q = axfr_query(zone, qtype, serial)
    t = time.monotonic()
    s.sendall(struct.pack(">H", len(q)) + q)
    nbytes = msgs = recs = 0
    while recs < want_records:
        ln = struct.unpack(">H", recv_exact(s, 2))[0]
        m = recv_exact(s, ln)
        if m[3] & 0xF:
            raise SystemExit("xfr_bench: rcode %d from port %d" % (m[3] & 0xF, port))
        nbytes += ln + 2
        msgs += 1
        recs += struct.unpack(">H", m[6:8])[0]
        if qtype == 251 and msgs == 1 and recs == 1:
            break
    dt = time.monotonic() - t
    s.close()
    return dt, nbytes, msgs, recs


def start(cmd, log):
    return subprocess.Popen(["taskset", "-c", CPUS[0]] + cmd, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def soa_serial(port, zone="global"):
    out = subprocess.run(["dig", "+short", "+tries=1", "+time=1", "-p", str(port), "@127.0.0.1", zone, "SOA"],
                         capture_output=True, text=True).stdout.split()
    try:
        return int(out[2])
    except (IndexError, ValueError):
        return None   # not serving yet


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    dnsd = sys.argv[1]
    out_md = sys.argv[2] if len(sys.argv) > 2 else None
    n = int(os.environ.get("XFR_BENCH_N", "100000"))
    rounds = int(os.environ.get("XFR_ROUNDS", "5"))
    k8s_n = int(os.environ.get("XFR_K8S_N", "10000"))
    changes = int(os.environ.get("XFR_CHANGES", "100"))
    tmp = tempfile.mkdtemp(prefix="dnsd-xfr-bench.")
    procs = []
    try:
        zone = os.path.join(tmp, "global.zone")
        subprocess.run([sys.executable, os.path.join(HERE, "genzone.py"), "--names", str(n), "--zone", zone,
                        "--queries", os.path.join(tmp, "q"), "--count", "10"], check=True, capture_output=True)
        want = 2 * n + 5 + 1   # names x (A, AAAA), SOA, 2 NS, 2 glue, and the closing SOA
        servers = {}
        # dnsd
        p = k8s_bench.free_port()
        with open(os.path.join(tmp, "dnsd.yaml"), "w") as f:
            f.write('listen: ["127.0.0.1:%d"]\nworkers: 1\nzones:\n  - {name: global, file: "%s"}\n'
                    'xfr: {journal-size: 1048576}\nlog: {level: warn}\nmetrics: {listen: ""}\n'
                    'health: {listen: ""}\n' % (p, zone))
        d = start([dnsd, "-c", os.path.join(tmp, "dnsd.yaml")], open(os.path.join(tmp, "dnsd.log"), "w"))
        procs.append(d)
        servers["dnsd"] = p
        # Knot: transfers allowed from loopback
        p = k8s_bench.free_port()
        kd = os.path.join(tmp, "knot")
        os.makedirs(kd)
        with open(os.path.join(kd, "knot.conf"), "w") as f:
            f.write("""server:
  listen: 127.0.0.1@%d
  rundir: %s
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: %s
log:
  - target: stderr
    any: warning
acl:
  - id: local
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: %s
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: global
    file: %s
    acl: local
""" % (p, kd, kd, kd, zone))
        procs.append(start(["/usr/sbin/knotd", "-c", os.path.join(kd, "knot.conf")],
                           open(os.path.join(kd, "log"), "w")))
        servers["Knot"] = p
        # NSD
        p = k8s_bench.free_port()
        nd = os.path.join(tmp, "nsd")
        os.makedirs(nd)
        procs.append(start(nsd_conf(nd, p, '  zonefile: "%s"\n  provide-xfr: 127.0.0.1 NOKEY\n' % zone, 0),
                           open(os.path.join(nd, "log"), "w")))
        servers["NSD"] = p
        for name, port in servers.items():
            k8s_bench.wait_for(lambda: soa_serial(port) == 1, 120, "%s serving the zone" % name)
        results = {k: [] for k in servers}
        order = list(servers)
        for r in range(rounds):
            for name in order[r % 3:] + order[:r % 3]:
                results[name].append(transfer(servers[name], "global", want))
        med = {k: (statistics.median(x[0] for x in v), v[0][1], v[0][2], v[0][3]) for k, v in results.items()}
        if os.environ.get("XFR_ONLY") == "axfr":
            print("| AXFR (%d rounds, medians) | wall time (ms) | each round (ms) | bytes |" % rounds)
            print("|---|---:|---|---:|")
            for k in ("dnsd", "Knot", "NSD"):
                print("| %s | %.1f | %s | %d |" % (k, med[k][0] * 1000, " ".join("%.1f" % (x[0] * 1000)
                                                                             for x in results[k]), med[k][1]))
            print("| dnsd/Knot | %.2fx | | |" % (med["dnsd"][0] / med["Knot"][0]))
            print("| dnsd/NSD | %.2fx | | |" % (med["dnsd"][0] / med["NSD"][0]))
            return
        # IXFR of one change
        text = open(zone).read()
        text = text.replace("svc-7.ns-0.global. IN A 240.0.0.7", "svc-7.ns-0.global. IN A 240.9.9.9", 1)
        text = text.replace("hostmaster.global. 1 7200 ", "hostmaster.global. 2 7200 ", 1)
        with open(zone + ".new", "w") as f:
            f.write(text)
        os.rename(zone + ".new", zone)
        d.send_signal(1)
        k8s_bench.wait_for(lambda: soa_serial(servers["dnsd"]) == 2, 30, "dnsd reloaded")
        ixfr = [transfer(servers["dnsd"], "global", 6, qtype=251, serial=1) for _ in range(rounds)]
        ixfr_s = statistics.median(x[0] for x in ixfr)
        # change -> secondary
        lat_by = {}
        for kind in SECONDARIES:
            lat_k, misses_k, stages_k = change_to_secondary(dnsd, tmp, procs, k8s_n, changes, kind)
            lat_by[kind] = (lat_k, misses_k, stage_summary(stages_k))
        lat, misses = lat_by["Knot"][0], lat_by["Knot"][1]

        lines = [
            "### Zone transfers: %d names (%d records)" % (n, want - 1),
            "",
            "| AXFR | wall time (ms) | bytes | messages | records |",
            "|---|---:|---:|---:|---:|",
        ]
        for k in ("dnsd", "Knot", "NSD"):
            t, b, m, rc = med[k]
            lines.append("| %s | %.1f | %d | %d | %d |" % (k, t * 1000, b, m, rc))
        lines += [
            "| dnsd/Knot | %.2fx | %.2fx | | |" % (med["dnsd"][0] / med["Knot"][0], med["dnsd"][1] / med["Knot"][1]),
            "| dnsd/NSD | %.2fx | %.2fx | | |" % (med["dnsd"][0] / med["NSD"][0], med["dnsd"][1] / med["NSD"][1]),
            "",
            "IXFR of one changed record (dnsd, after SIGHUP): %.2f ms, %d bytes, %d records." %
            (ixfr_s * 1000, ixfr[0][1], ixfr[0][3]),
            "",
            "Change at the API -> the secondary answers it (%d ServiceEntries, %d changes, NOTIFY + IXFR; "
            "target p99 < 500 ms), and each stage's share (p50 / p99 ms):" % (k8s_n, changes),
            "",
            "| secondary | p50 ms | p90 ms | p99 ms | max ms | misses | publish | NOTIFY answered | SOA+IXFR request | apply |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for kind in SECONDARIES:
            lk, mk, sm = lat_by[kind]
            lines.append("| %s | %.1f | %.1f | %.1f | %.1f | %d | %s |" % (
                kind, k8s_bench.pct(lk, 50), k8s_bench.pct(lk, 90), k8s_bench.pct(lk, 99),
                max(lk) if lk else float("nan"), mk,
                " | ".join("%.1f / %.1f" % sm[k][:2] for k in ("publish", "notify", "request", "apply"))))
        lines += ["", KNOT_NOTE, ""]
        md = "\n".join(lines)
        print(md)
        print("xfr_bench: " + json.dumps({"axfr": med, "ixfr_ms": ixfr_s * 1000, "p99_ms": k8s_bench.pct(lat, 99)}),
              file=sys.stderr)
        if out_md:
            with open(out_md, "w") as f:
                f.write(md)
    finally:
        for p in reversed(procs):
            benchlib.stop_process(p, 10)
        if os.environ.get("XFR_KEEP"):
            print("xfr_bench: kept %s" % tmp, file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", tmp])


SECONDARIES = ("Knot", "NSD", "BIND")
KNOT_NOTE = ("Knot runs with block-notify-after-transfer: on (XFR_KNOT_BLOCK_NOTIFY=%s); without it a refresh "
             "NOTIFY asks for after the second has turned waits for the NOTIFY event Knot plans 1 s after each "
             "transfer (events in whole seconds: see secondary_cmd)" % os.environ.get("XFR_KNOT_BLOCK_NOTIFY", "1"))


def nsd_conf(d, port, zone_lines, verbosity, server_lines=""):
    """Writes d/nsd.conf for NSD on 127.0.0.1:port, everything in d, zone
    global with zone_lines (after its name:); returns the command that runs
    it in the foreground."""
    with open(os.path.join(d, "nsd.conf"), "w") as f:
        f.write("""server:
  ip-address: 127.0.0.1@{p}
  port: {p}
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "{d}"
  database: ""
  zonelistfile: "{d}/zone.list"
  pidfile: "{d}/nsd.pid"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  logfile: "{d}/nsd.log"
  verbosity: {v}
  server-count: 1
  rrl-ratelimit: 0
{s}remote-control:
  control-enable: no
zone:
  name: global
{z}""".format(p=port, d=d, v=verbosity, s=server_lines, z=zone_lines))
    return ["/usr/sbin/nsd", "-d", "-c", os.path.join(d, "nsd.conf")]


def secondary_cmd(kind, d, port, primary):
    """Config file and command line of a secondary of 127.0.0.1@primary
    listening on port, files under d. Each is tuned only as an operator of a
    hidden primary would: NOTIFY accepted from it, NSD without its default
    1 s xfrd-reload-timeout (it batches reloads otherwise)."""
    os.makedirs(d)
    if kind == "Knot":
        # XFR_KNOT_WORKERS=N: udp-workers/tcp-workers N (default: Knot's own)
        workers = os.environ.get("XFR_KNOT_WORKERS")
        wl = "  udp-workers: %s\n  tcp-workers: %s\n" % (workers, workers) if workers else ""
        # Knot 3.2 schedules its own NOTIFY 1 s after each transfer it takes
        # (src/knot/events/handlers/refresh.c, event_refresh():
        # zone_schedule_notify(zone, 1)), and its zone events are planned in
        # whole seconds: a refresh asked for by our next NOTIFY after the
        # second has turned is planned at the same second as that pending
        # event, so no reschedule happens (events.c, _zone_events_schedule_at:
        # "if (old_next != next) reschedule") and it waits for the event's
        # 1000 ms timer (reschedule(): evsched_schedule(..., diff * 1000)).
        # block-notify-after-transfer (a remote option) drops that NOTIFY:
        # right for a secondary with no secondaries of its own.
        # XFR_KNOT_BLOCK_NOTIFY=0 measures Knot without it.
        block = os.environ.get("XFR_KNOT_BLOCK_NOTIFY", "1") != "0"
        bl = "    block-notify-after-transfer: on\n" if block else ""
        with open(os.path.join(d, "knot.conf"), "w") as f:
            f.write(("""server:
  listen: 127.0.0.1@%d
  rundir: %s
""" + wl + """database:
  storage: %s
log:
  - target: %s/knot.log
    any: info
remote:
  - id: primary
    address: 127.0.0.1@%d
""" + bl + """acl:
  - id: notify
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: %s
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
zone:
  - domain: global
    master: primary
    acl: notify
""") % (port, d, d, d, primary, d))
        return ["/usr/sbin/knotd", "-c", os.path.join(d, "knot.conf")]
    if kind == "NSD":
        return nsd_conf(d, port, '  zonefile: "%s/global.zone"\n  request-xfr: 127.0.0.1@%d NOKEY\n'
                        '  allow-notify: 127.0.0.1 NOKEY\n' % (d, primary), 2, "  xfrd-reload-timeout: 0\n")
    with open(os.path.join(d, "named.conf"), "w") as f:
        f.write("""options {
	directory "%(d)s";
	pid-file "%(d)s/named.pid";
	session-keyfile "%(d)s/session.key";
	managed-keys-directory "%(d)s";
	listen-on port %(p)d { 127.0.0.1; };
	listen-on-v6 { none; };
	dnssec-validation no;
	recursion no;
	notify no;
	min-refresh-time 1;
	min-retry-time 1;
};
controls { };
logging {
	channel main { file "%(d)s/bind.log"; severity info; print-time yes; };
	category default { main; };
};
zone "global" {
	type secondary;
	primaries port %(m)d { 127.0.0.1; };
	file "%(d)s/global.db";
	allow-notify { 127.0.0.1; };
};
""" % {"d": d, "p": port, "m": primary})
    return ["named", "-g", "-n", "1", "-c", os.path.join(d, "named.conf")]


def log_times(path, pattern):
    """{serial: first unix time} of dnsd log lines matching pattern, whose
    group 1 is the serial (dnsd logs in UTC with milliseconds)."""
    import calendar
    import re
    rx = re.compile(pattern)
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = rx.search(line)
            if not m:
                continue
            ts = line[:23]   # 2026-12-02T00:22:34.589
            t = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) + int(ts[20:23]) / 1000.0
            out.setdefault(int(m.group(1)), t)
    return out


def change_to_secondary(dnsd, tmp, procs, n, changes, kind="Knot"):
    """Latencies (ms) from a PUT at the fake API to the secondary's first
    answer with the new address, and per change the stages, from dnsd's log
    (info) and two pollers: API -> dnsd answers (publish), -> NOTIFY answered
    by the secondary, -> the secondary's IXFR request reaches dnsd, -> the
    secondary answers the new address. Returns (lat, misses, stages) where
    stages is a list of dicts of ms since the PUT."""
    tmp = os.path.join(tmp, "lat-" + kind)
    os.makedirs(tmp)
    fake = benchlib.FakeApi(tmp)
    procs.append(fake.p)
    api = fake.req
    api("POST", "/_fake/generate", {"n": n, "namespaces": 100, "prefix": "svc"})
    dns_port, sec_port = k8s_bench.free_port(), k8s_bench.free_port()
    dnsd_log = os.path.join(tmp, "k8s-dnsd.log")
    with open(os.path.join(tmp, "k8s.yaml"), "w") as f:
        f.write("""listen: ["127.0.0.1:%d"]
workers: 1
zones:
  - {name: global, ttl: 30, kubernetes: [bench], notify: ["127.0.0.1:%d"]}
kubernetes:
  - {name: bench, kubeconfig: %s}
xfr: {notify-retry-ms: 200}
log: {level: info, queries: %s}
metrics: {listen: ""}
health: {listen: ""}
""" % (dns_port, sec_port, fake.kubeconfig, "true" if os.environ.get("XFR_QUERY_LOG") else "false"))
    procs.append(subprocess.Popen([dnsd, "-c", os.path.join(tmp, "k8s.yaml")],
                                  stdout=open(dnsd_log, "w"), stderr=subprocess.STDOUT))
    sd = os.path.join(tmp, kind.lower())
    wrap = os.environ.get("XFR_SEC_WRAP", "").split()   # e.g. "strace -f -tt -e trace=connect -o F" (diagnosis)
    procs.append(subprocess.Popen(wrap + secondary_cmd(kind, sd, sec_port, dns_port),
                                  stdout=open(os.path.join(sd, "out"), "w"), stderr=subprocess.STDOUT))
    k8s_bench.wait_for(lambda: (soa_serial(sec_port) or 0) != 0 and soa_serial(sec_port) == soa_serial(dns_port),
                       120, "the %s secondary in sync" % kind)
    socks = {}
    for who, port in (("dnsd", dns_port), ("sec", sec_port)):
        socks[who] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks[who].connect(("127.0.0.1", port))
        socks[who].settimeout(0.02)
    lat, misses, qid, marks = [], 0, 1, []
    for i in range(changes):
        k = (i * 7919) % n
        ns, name = "ns-%d" % (k % 100), "svc-%d" % k
        host = "%s.%s.global" % (name, ns)
        addr = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        body = {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"hosts": [host], "addresses": [addr], "location": "MESH_INTERNAL", "resolution": "DNS",
                         "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}}
        wall, t = time.time(), time.monotonic()
        api("PUT", "/apis/networking.istio.io/v1/namespaces/%s/serviceentries/%s" % (ns, name), body)
        deadline, seen = t + 2.0, {}
        while time.monotonic() < deadline and "sec" not in seen:
            for who in [w for w in ("dnsd", "sec") if w not in seen]:
                qid = (qid + 1) & 0xFFFF
                socks[who].send(k8s_bench.dns_query(host, qid))
                try:
                    resp = socks[who].recv(4096)
                except socket.timeout:
                    continue
                if addr in k8s_bench.a_records(resp):
                    seen[who] = (time.monotonic() - t) * 1000
        serial = soa_serial(dns_port)
        marks.append({"wall": wall, "serial": serial, "dnsd": seen.get("dnsd"), "sec": seen.get("sec")})
        if "sec" in seen:
            lat.append(seen["sec"])
        else:
            misses += 1
        time.sleep(0.05)   # pacing between changes (not a synchronisation): one change per publication
    time.sleep(0.3)        # let dnsd flush its log lines
    notified = log_times(dnsd_log, r"notify 127\.0\.0\.1:%d zone global\.(?: view \S+)? serial (\d+): answered" % sec_port)
    ixfr = log_times(dnsd_log, r"transfer IXFR from journal zone global\. view \S+ serial (\d+) ")
    stages = []
    for m in marks:
        st = {"publish": m["dnsd"], "secondary": m["sec"]}
        for key, table in (("notify", notified), ("ixfr", ixfr)):
            st[key] = (table[m["serial"]] - m["wall"]) * 1000 if m["serial"] in table else None
        stages.append(st)
    with open(os.path.join(tmp, "stages.json"), "w") as f:
        json.dump(stages, f)
    return lat, misses, stages


def stage_summary(stages):
    """p50/p99 of each stage's share: publish (PUT -> dnsd answers), notify
    (publish -> NOTIFY answered), ixfr (NOTIFY -> the secondary's IXFR
    request), apply (IXFR request -> the secondary answers)."""
    parts = {"publish": [], "notify": [], "request": [], "apply": []}
    for st in stages:
        if st["publish"] is not None:
            parts["publish"].append(st["publish"])
        if st["publish"] is not None and st["notify"] is not None:
            parts["notify"].append(st["notify"] - st["publish"])
        if st["notify"] is not None and st["ixfr"] is not None:
            parts["request"].append(st["ixfr"] - st["notify"])
        if st["ixfr"] is not None and st["secondary"] is not None:
            parts["apply"].append(st["secondary"] - st["ixfr"])
    nan = float("nan")
    return {k: (k8s_bench.pct(v, 50) if v else nan, k8s_bench.pct(v, 99) if v else nan, len(v))
            for k, v in parts.items()}


def latency_only(dnsd):
    """XFR_ONLY=latency: only the change -> secondary part, for each of
    XFR_SECONDARIES (default Knot,NSD,BIND)."""
    n = int(os.environ.get("XFR_K8S_N", "10000"))
    changes = int(os.environ.get("XFR_CHANGES", "100"))
    kinds = os.environ.get("XFR_SECONDARIES", ",".join(SECONDARIES)).split(",")
    tmp = tempfile.mkdtemp(prefix="dnsd-xfr-lat.")
    lines = ["| secondary | p50 ms | p90 ms | p99 ms | max ms | misses | publish p50/p99 | notify p50/p99 | "
             "SOA+IXFR request p50/p99 | apply p50/p99 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    try:
        for kind in kinds:
            procs = []
            try:
                lat, misses, stages = change_to_secondary(dnsd, tmp, procs, n, changes, kind)
            finally:
                for p in reversed(procs):
                    benchlib.stop_process(p, 10)
            sm = stage_summary(stages)
            lines.append("| %s | %.1f | %.1f | %.1f | %.1f | %d | %s |" % (
                kind, k8s_bench.pct(lat, 50), k8s_bench.pct(lat, 90), k8s_bench.pct(lat, 99),
                max(lat) if lat else float("nan"), misses,
                " | ".join("%.1f / %.1f" % sm[k][:2] for k in ("publish", "notify", "request", "apply"))))
            print(lines[-1], flush=True)
    finally:
        print("\n".join(lines + ["", KNOT_NOTE]))
        if os.environ.get("XFR_KEEP"):
            print("xfr_bench: kept %s" % tmp, file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    if os.environ.get("XFR_ONLY") == "latency" and len(sys.argv) > 1:
        latency_only(sys.argv[1])
    else:
        main()
