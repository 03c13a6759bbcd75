#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""genzone.py - the benchmark's `global.` zone and dnsperf query file.

    genzone.py --names N --zone FILE --queries FILE [--seed S] [--count Q]

The zone has an SOA, two NS with glue, and N mesh-style names
`svc-<i>.ns-<j>.global.` (100 services per namespace), each with one A
(240.0.0.0/4, where Istio auto-allocates service addresses) and one AAAA
(fd00::/8). The query file (dnsperf format, `name type` per line) holds Q
lines, shuffled with a fixed seed: 90% A or AAAA (half each) for existing
names, 10% for names that do not exist (NXDOMAIN). The same arguments always
give the same files. Prints `records=<count> last=<name>` for tests/bench/run.
"""
import argparse
import random

PER_NAMESPACE = 100


def owner(i):
    return "svc-%d.ns-%d.global." % (i, i // PER_NAMESPACE)


def addresses(i):
    """The A and AAAA rdata of name i, as written to the zone."""
    return ("240.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255),
            "fd00::%x:%x" % (i >> 16, i & 0xffff))


def write_zone(path, names):
    records = 0
    with open(path, "w") as f:
        f.write("$ORIGIN global.\n$TTL 30\n")
        f.write("@ 3600 IN SOA ns1.global. hostmaster.global. 1 7200 3600 1209600 30\n")
        f.write("@ 3600 IN NS ns1.global.\n@ 3600 IN NS ns2.global.\n")
        f.write("ns1 3600 IN A 127.0.0.53\nns2 3600 IN A 127.0.0.54\n")
        records += 5
        for i in range(names):
            name = owner(i)
            a, aaaa = addresses(i)
            f.write("%s IN A %s\n%s IN AAAA %s\n" % (name, a, name, aaaa))
            records += 2
    return records


def write_queries(path, names, count, seed):
    rng = random.Random(seed)
    lines = []
    for k in range(count):
        if k % 10 == 0:
            # beside existing names, in an existing namespace: NXDOMAIN
            ns = rng.randrange(max(1, names // PER_NAMESPACE))
            lines.append("nx-%d.ns-%d.global. %s\n" % (k, ns, rng.choice(("A", "AAAA"))))
        else:
            lines.append("%s %s\n" % (owner(rng.randrange(names)), rng.choice(("A", "AAAA"))))
    rng.shuffle(lines)
    with open(path, "w") as f:
        f.writelines(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--count", type=int, default=0, help="query lines (default max(100000, 2N))")
    ap.add_argument("--seed", type=int, default=20260101)
    a = ap.parse_args()
    if a.names < 1:
        ap.error("--names must be at least 1")
    records = write_zone(a.zone, a.names)
    write_queries(a.queries, a.names, a.count or max(100000, 2 * a.names), a.seed)
    print("records=%d last=%s" % (records, owner(a.names - 1)))


if __name__ == "__main__":
    main()
