#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""axfr_profile.py DNSD_BIN [BASE_BIN] - deterministic figures for one AXFR of
the N-name zone (tests/bench/genzone.py, XFR_BENCH_N, default 100,000 names):

- system calls per AXFR: dnsd natively, `perf stat -e raw_syscalls:sys_enter`
  attached to it for the one transfer (and `strace -f -c` for the kinds:
  how many writev and epoll_wait, and the bytes per writev);
- instructions per AXFR: dnsd under `valgrind --tool=callgrind
  --toggle-collect=worker_main` (the TCP worker thread only: zone loading
  and the UDP thread are left out), one AXFR, SIGINT.

Wall times on a shared machine are noise; these are not. With BASE_BIN, the
same for it, side by side. Bounded: one transfer per measurement, 600 s for
valgrind to load the zone, traffic to 127.0.0.1 only.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from benchlib import free_port, wait_for  # noqa: E402
import xfr_bench  # noqa: E402


def conf(tmp, zone, label):
    port = free_port()
    path = os.path.join(tmp, label + ".yaml")
    with open(path, "w") as f:
        # recvmmsg: valgrind does not follow io_uring's multishot receives
        f.write('listen: ["127.0.0.1:%d"]\nworkers: 1\nzones:\n  - {name: global, file: "%s"}\n'
                'log: {level: warn}\nmetrics: {listen: ""}\nhealth: {listen: ""}\nlameduck-ms: 0\n'
                'udp-io: recvmmsg\n' % (port, zone))
    return path, port


def serving(port, timeout):
    wait_for(lambda: xfr_bench.soa_serial(port) == 1, timeout, "dnsd serving the zone")


def syscalls(dnsd, tmp, zone, want, label):
    path, port = conf(tmp, zone, label + "-native")
    p = subprocess.Popen([dnsd, "-c", path], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        serving(port, 120)
        xfr_bench.transfer(port, "global", want)   # warm
        out = os.path.join(tmp, label + ".perf")
        perf = subprocess.Popen(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p", str(p.pid),
                                 "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)   # perf attaching (not a synchronisation of dnsd)
        t = xfr_bench.transfer(port, "global", want)
        perf.send_signal(signal.SIGINT)
        perf.wait(30)
        text = open(out).read() if os.path.exists(out) else ""
        m = re.search(r"^([\d.]+),,raw_syscalls:sys_enter", text, re.M)
        total = int(float(m.group(1))) if m else -1
        st = os.path.join(tmp, label + ".strace")
        tr = subprocess.Popen(["strace", "-f", "-e", "trace=writev,write,sendmsg,epoll_wait", "-o", st,
                               "-p", str(p.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        xfr_bench.transfer(port, "global", want)
        tr.send_signal(signal.SIGINT)
        tr.wait(30)
        writes, wbytes, waits = 0, 0, 0
        for line in open(st, errors="replace"):
            m = re.search(r"(writev|write|sendmsg)\(.*\)\s+=\s+(\d+)", line)
            if m:
                writes += 1
                wbytes += int(m.group(2))
            elif "epoll_wait(" in line:
                waits += 1
        return {"syscalls": total, "writes": writes, "write_bytes": wbytes, "epoll_waits": waits,
                "bytes": t[1], "messages": t[2]}
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(30)


def instructions(dnsd, tmp, zone, want, label):
    path, port = conf(tmp, zone, label + "-cg")
    out = os.path.join(tmp, label + ".callgrind")
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                          "--toggle-collect=worker_main", dnsd, "-c", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        serving(port, 600)
        os.environ.setdefault("XFR_TIMEOUT", "300")
        xfr_bench.transfer(port, "global", want)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(120)
    text = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True).stdout
    m = re.search(r"([\d,]+)\s+\(?.*PROGRAM TOTALS", text)
    return int(m.group(1).replace(",", "")) if m else -1


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    n = int(os.environ.get("XFR_BENCH_N", "100000"))
    tmp = tempfile.mkdtemp(prefix="dnsd-axfr-profile.")
    zone = os.path.join(tmp, "global.zone")
    subprocess.run([sys.executable, os.path.join(HERE, "genzone.py"), "--names", str(n), "--zone", zone,
                    "--queries", os.path.join(tmp, "q"), "--count", "10"], check=True, capture_output=True)
    want = 2 * n + 5 + 1
    bins = [("this", sys.argv[1])] + ([("base", sys.argv[2])] if len(sys.argv) > 2 else [])
    rows = []
    for label, b in bins:
        s = syscalls(b, tmp, zone, want, label)
        ir = instructions(b, tmp, zone, want, label) if not os.environ.get("AXFR_NO_CALLGRIND") else -1
        rows.append((label, b, ir, s))
    print("### One AXFR of %d names (%d records): dnsd's work, deterministic\n" % (n, want - 1))
    print("| binary | instructions (worker thread) | system calls | writes | bytes per write | epoll_wait | "
          "bytes | messages |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, b, ir, s in rows:
        print("| %s | %s | %d | %d | %d | %d | %d | %d |" % (
            label, "{:,}".format(ir), s["syscalls"], s["writes"], s["write_bytes"] // max(s["writes"], 1),
            s["epoll_waits"], s["bytes"], s["messages"]))
    if os.environ.get("XFR_KEEP"):
        print("axfr_profile: kept %s" % tmp, file=sys.stderr)
    else:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
