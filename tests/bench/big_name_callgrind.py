#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""big_name_callgrind.py BENCH_BIN - instructions to load, freeze, serve,
add again and remove N records at one name (issue #15: a zone file or a
ServiceEntry with thousands of addresses for one host), for A, AAAA and TXT
(distinct strings). Runs build/release/bench/zone_build_bench (see its header)
under `valgrind --tool=callgrind` and prints the inclusive instructions of
each of its phase_* functions. Deterministic, unlike timings on a shared
machine. BIG_NAME_N (default "2000 20000 65000") and BIG_NAME_KINDS
(default "a aaaa txt") choose the matrix.
"""
import os
import re
import subprocess
import sys
import tempfile

PHASES = ["phase_load", "phase_freeze", "phase_answer", "phase_add_again", "phase_remove"]


def measure(bench, kind, n, tmp):
    out = os.path.join(tmp, "cg.%s.%d" % (kind, n))
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, bench, kind, str(n), tmp],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                         check=True, capture_output=True, text=True).stdout
    ir = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+\S*:(phase_\w+)", line) or \
            re.match(r"\s*([\d,]+)\s+\S*:(phase_\w+)", line)
        if m and m.group(2) in PHASES:
            ir[m.group(2)] = ir.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    os.unlink(out)
    return ir


def main():
    bench = sys.argv[1] if len(sys.argv) > 1 else "build/release/bench/zone_build_bench"
    sizes = [int(x) for x in os.environ.get("BIG_NAME_N", "2000 20000 65000").split()]
    kinds = os.environ.get("BIG_NAME_KINDS", "a aaaa txt").split()
    print("| kind | N | load | freeze (twice) | answer UDP+TCP | add again | remove twice |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="big-name-") as tmp:
        for kind in kinds:
            for n in sizes:
                ir = measure(bench, kind, n, tmp)
                cells = ["%.2f M" % (ir.get(p, 0) / 1e6) for p in PHASES]
                print("| %s | %d | %s |" % (kind, n, " | ".join(cells)), flush=True)


if __name__ == "__main__":
    main()
