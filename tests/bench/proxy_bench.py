#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""proxy_bench.py DNSD_BIN [OUT.md] - the PROXY protocol part of `make bench`:
dnsd's CPU per query when its clients sit behind a load balancer that sends
PROXY v2 headers, against the same without headers, and against clients
that query dnsd directly.

One dnsd (one worker, pinned to CPU 0 like tests/bench/run's servers) serves
the generated zone with `proxy-protocol: [127.0.0.2]`. In front of it, pinned
to CPU 1 with dnsperf, run two dnsdist instances (the Debian package): one
with useProxyProtocol=true from source 127.0.0.2, one without from source
127.0.0.3. dnsperf offers the same fixed rate (PROXY_BENCH_RATE, default
10000 qps: dnsdist and dnsperf share one CPU) along three paths:

  direct          dnsperf -> dnsd
  dnsdist         dnsperf -> dnsdist -> dnsd (no header)
  dnsdist+proxy   dnsperf -> dnsdist -> dnsd (PROXY v2 header on every datagram)

and the table shows dnsd's utime+stime per answered query (/proc/PID/stat),
medians of BENCH_ROUNDS rounds (default 5) of BENCH_SECONDS-second runs
(default 5), the paths' order rotating. "dnsdist+proxy" against "dnsdist" is
the cost of the header itself (the same batching, the same senders);
against "direct" it is what a deployment behind a balancer pays in dnsd.
Both include the kernel's share, which dominates a query's cost, and move by
more than the header costs from run to run on a shared machine; so the
header's own CPU time is also measured alone (tests/bench/proxy_parse_bench.c,
the allowlist check and the parse of dnsdist's header per datagram, against
the direct path's check, in CPU time, median of 3 runs).
Traffic goes to 127.0.0.0/8 only; every run is bounded in time.
"""
import importlib.machinery
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True


def load_bench_run():
    """tests/bench/run as a module: its process, dnsperf and CPU helpers."""
    loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(HERE, "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


B = load_bench_run()
RATE = int(os.environ.get("PROXY_BENCH_RATE", "10000"))
NAMES = int(os.environ.get("PROXY_BENCH_NAMES", "10000"))
PROXY_SOURCE, PLAIN_SOURCE = "127.0.0.2", "127.0.0.3"


def start(cmd, logfile, cpu):
    with open(logfile, "w") as out:
        p = subprocess.Popen(["taskset", "-c", cpu] + cmd, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
    p.start_time = time.monotonic()
    p.logfile = logfile
    B.STARTED.append(p)
    return p


def start_dnsdist(tmp, name, dnsd_port, source, use_proxy):
    port = B.free_port()
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write('setLocal("127.0.0.1:%d")\nsetSecurityPollSuffix("")\n'
                'newServer({address="127.0.0.1:%d", source="%s", useProxyProtocol=%s, checkInterval=3600})'
                ':setUp()\n' % (port, dnsd_port, source, "true" if use_proxy else "false"))
    p = start(["dnsdist", "--supervised", "--disable-syslog", "-C", conf], os.path.join(tmp, name + ".log"),
              B.CPUS[1])
    return p, port


def parse_cost(dnsd, tmp):
    """(proxied_ns, direct_ns) from proxy_parse_bench.c, linked with the
    libdnsd.a beside the dnsd binary."""
    exe = os.path.join(tmp, "proxy_parse_bench")
    lib = os.path.join(os.path.dirname(dnsd), "libdnsd.a")
    subprocess.run(["cc", "-std=c11", "-O2", "-D_GNU_SOURCE", "-I" + os.path.join(REPO, "dnsd"),
                    os.path.join(HERE, "proxy_parse_bench.c"), lib, "-o", exe], check=True)
    runs = []
    for _ in range(3):
        out = subprocess.run(["taskset", "-c", B.CPUS[0], exe], capture_output=True, text=True, check=True).stdout
        runs.append(tuple(float(x) for x in re.findall(r"=([\d.]+)", out)))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    dnsd = os.path.abspath(sys.argv[1])
    out_md = sys.argv[2] if len(sys.argv) > 2 else os.path.join(B.OUT_DIR, "proxy-results.md")
    for tool in ("dnsdist", "dnsperf", "taskset"):
        if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode != 0:
            print("proxy_bench: %s is not installed (make deps installs it)" % tool, file=sys.stderr)
            return 1
    os.makedirs(B.OUT_DIR, exist_ok=True)
    B.become_subreaper()
    tmp = tempfile.mkdtemp(prefix="dnsd-proxy-bench.")
    raw = os.path.join(B.OUT_DIR, "proxy-dnsperf.txt")
    if os.path.exists(raw):
        os.unlink(raw)
    try:
        zone, queries = os.path.join(tmp, "global.zone"), os.path.join(tmp, "queries.txt")
        gen = subprocess.run([sys.executable, os.path.join(HERE, "genzone.py"), "--names", str(NAMES),
                              "--zone", zone, "--queries", queries], capture_output=True, text=True, check=True)
        last = re.search(r"last=(\S+)", gen.stdout).group(1)
        port = B.free_port()
        conf = os.path.join(tmp, "dnsd.yaml")
        with open(conf, "w") as f:
            f.write('listen: ["127.0.0.1:%d"]\nworkers: 1\nzones:\n  - name: global\n    file: "%s"\n'
                    'log: {level: warn, queries: false}\nmetrics: {listen: ""}\nhealth: {listen: ""}\n'
                    'proxy-protocol: [%s]\n' % (port, zone, PROXY_SOURCE))
        p = start([dnsd, "-c", conf], os.path.join(tmp, "dnsd.log"), B.CPUS[0])
        B.wait_loaded(p, port, last, p.logfile)
        fronts = {"direct": port}
        balancers = {}
        for name, source, use_proxy in (("dnsdist", PLAIN_SOURCE, False), ("dnsdist+proxy", PROXY_SOURCE, True)):
            bp, bport = start_dnsdist(tmp, name, port, source, use_proxy)
            balancers[name] = bp
            fronts[name] = bport
        # every path gives the expected answers (dnsdist up, the header honoured)
        deadline = time.monotonic() + 20
        for name, fport in fronts.items():
            while True:
                try:
                    B.sanity(name, fport, NAMES)
                    break
                except (B.BenchError, subprocess.TimeoutExpired) as e:
                    if time.monotonic() > deadline:
                        raise B.BenchError("%s: %s" % (name, e))
                    time.sleep(0.1)
        B.log("dnsd, and dnsdist %s with and without PROXY v2, answer correctly"
              % B.version(["dnsdist", "--version"]))
        runs = {name: [] for name in fronts}
        order = list(fronts)
        for rnd in range(B.ROUNDS):
            order = order[1:] + order[:1]
            for name in order:
                B.wait_quiet()
                bp = balancers.get(name)
                b0 = B.cpu_ticks(bp.pid) if bp else 0
                res = B.measure(p, fronts[name], queries, RATE, raw, 0)  # dnsd on CPUS[0], dnsperf on the other
                res["balancer_util"] = (B.cpu_ticks(bp.pid) - b0) / B.CLK_TCK / B.SECONDS if bp else 0.0
                runs[name].append(res)
                B.log("round %d %-14s %6.0f qps answered, dnsd %.2f us/query" % (
                    rnd + 1, name, res["qps"], res["cpu_us_q"]))
        med = {name: B.median_run(r) for name, r in runs.items()}
        parse_ns, direct_ns = parse_cost(dnsd, tmp)
    finally:
        B.stop_all()
        subprocess.run(["rm", "-rf", tmp])

    direct, plain, proxied = med["direct"]["cpu_us_q"], med["dnsdist"]["cpu_us_q"], med["dnsdist+proxy"]["cpu_us_q"]
    lines = ["### PROXY protocol v2: dnsd's CPU per query behind dnsdist", "",
             "%d names; %d qps offered by dnsperf (`-c 1 -T 1`, no EDNS, 10%% NXDOMAIN); dnsd on CPU %s, "
             "dnsdist and dnsperf on CPU %s; medians of %d rounds of %d s." % (
                 NAMES, RATE, B.CPUS[0], B.CPUS[1], B.ROUNDS, B.SECONDS), "",
             "| path | answered qps | dnsd CPU µs/query | vs direct | dnsdist CPU | latency avg (µs) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in ("direct", "dnsdist", "dnsdist+proxy"):
        m = med[name]
        lines.append("| %s | %.0f | %.2f | %.2f× | %s | %.0f |" % (
            name, m["qps"], m["cpu_us_q"], m["cpu_us_q"] / direct,
            "%.0f%%" % (m["balancer_util"] * 100) if name != "direct" else "", m["lat"]))
    lines += ["", "- the header's own cost in dnsd (dnsdist+proxy − dnsdist): %+.2f µs/query (%+.1f%%)" % (
        proxied - plain, (proxied / plain - 1) * 100),
        "- behind dnsdist with PROXY v2 against direct clients: %.2f× dnsd's CPU per query" % (proxied / direct),
        "- the header alone, user-space CPU per datagram (allowlist check + parse, proxy_parse_bench.c): "
        "%.1f ns proxied, %.1f ns direct (%.2f%% and %.3f%% of the direct path's %.2f µs/query)" % (
            parse_ns, direct_ns, parse_ns / 10 / direct, direct_ns / 10 / direct, direct)]
    text = "\n".join(lines) + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    print(text, end="")
    print("# written to %s" % out_md)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except B.BenchError as e:
        print("proxy_bench: %s" % e, file=sys.stderr)
        sys.exit(1)
