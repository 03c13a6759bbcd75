#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""query_path_callgrind.py DNSD_BIN - instructions per UDP query, with zone
transfers configured and without (issue #13: transfers must not add work to
the query path). Deterministic, unlike timings on a shared machine.

dnsd (one worker) runs under `valgrind --tool=callgrind` collecting only
inside udp_main (--toggle-collect: the UDP thread, whose loop is recvmmsg,
answer_query for each datagram, counters, sendmmsg; its static helpers are
inlined at -O2, so the thread function is the unit), serving
tests/data/zones/test.global.zone; one client sends QUERY_N (default 3000)
queries one at a time (each batch holds one datagram: the worst case per
query), a mix of A, AAAA, NXDOMAIN, NODATA and a referral. Configurations:

- plain: the zone alone (allow-transfer defaults to loopback, no keys,
  no notify, no catalog);
- transfers: two TSIG keys, allow-transfer with prefixes and keys, notify
  targets, a journal of 1 MiB;
- transfers+catalog: the same and a catalog zone in the view (a second zone
  for each question's zone lookup, as any other zone would be);
- client cookies: plain, each query carrying a client cookie (the answer
  gains a server cookie: one SipHash-2-4 per query);
- cookie refusals: cookie-require on and no cookie in any query: each is
  refused with TC, counted, and logged at most once a second per thread.

Prints Ir per query for each, and the ratios to plain. Bounded: QUERY_N queries, each
with a 5 s timeout, to 127.0.0.1 only.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE_BENCH)
sys.dont_write_bytecode = True
from benchlib import free_port  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ZONE = os.path.join(REPO, "tests", "data", "zones", "test.global.zone")
NAMES = [("www.global", 1), ("www.global", 28), ("nosuch.global", 1), ("v4only.global", 28),
         ("host.sub.global", 1), ("_http._tcp.svc.global", 33)]


def query(name, qtype, qid, cookie=b""):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1)
    q += b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\x00" + struct.pack(">HH", qtype, 1)
    opt = struct.pack(">HH", 10, len(cookie)) + cookie if cookie else b""   # option 10: COOKIE
    return q + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00" + struct.pack(">H", len(opt)) + opt   # EDNS 1232


def run(dnsd, tmp, label, extra, n, cookie=b""):
    port = free_port()
    conf = os.path.join(tmp, label + ".yaml")
    with open(conf, "w") as f:
        # recvmmsg: valgrind does not follow io_uring's multishot receives
        # (dnsd under it never sees SIGINT's wake-up); answer_query() is the
        # same on both paths
        f.write('listen: ["127.0.0.1:%d"]\nworkers: 1\nlog: {level: warn}\nlameduck-ms: 0\n'
                'udp-io: recvmmsg\n' % port)
        f.write(extra.replace("@ZONE@", ZONE))
    out = os.path.join(tmp, "callgrind." + label)
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                          "--toggle-collect=udp_main", dnsd, "-c", conf],
                         stdout=open(os.path.join(tmp, label + ".log"), "w"), stderr=subprocess.STDOUT)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:   # valgrind starts slowly
        s.sendto(query("www.global", 1, 1), ("127.0.0.1", port))
        try:
            s.recv(4096)
            break
        except socket.timeout:
            continue
    else:
        p.kill()
        raise SystemExit("query_path_callgrind: dnsd (%s) did not answer in 180 s" % label)
    s.settimeout(5)
    for i in range(n):
        name, qt = NAMES[i % len(NAMES)]
        s.sendto(query(name, qt, (i + 2) & 0xFFFF, cookie), ("127.0.0.1", port))
        s.recv(4096)
    p.send_signal(2)
    p.wait(60)
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True,
                          text=True).stdout
    total = None
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\S*:?udp_main\b", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            break
    if total is None:
        m = re.search(r"([\d,]+)\s+\(?.*PROGRAM TOTALS", text)
        total = int(m.group(1).replace(",", "")) if m else 0
    return total / (n + 1)


def main():
    dnsd = sys.argv[1]
    n = int(os.environ.get("QUERY_N", "3000"))
    tmp = tempfile.mkdtemp(prefix="dnsd-qpath.")
    for k in ("a", "b"):
        with open(os.path.join(tmp, k + ".key"), "w") as f:
            f.write("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NTY3OA==\n")
    plain = "zones:\n  - {name: global, file: @ZONE@}\n"
    xfr = ("tsig-keys:\n  - {name: xfr-a, algorithm: hmac-sha256, secret-file: %s/a.key}\n"
           "  - {name: xfr-b, algorithm: hmac-sha512, secret-file: %s/b.key}\n"
           "xfr: {journal-size: 1048576, notify-retry-ms: 1000}\n"
           "zones:\n  - {name: global, file: @ZONE@, allow-transfer: [10.0.0.0/8, \"key xfr-a\", \"key xfr-b\"],"
           " notify: [\"127.0.0.1:9 key xfr-a\", \"127.0.0.1:10\"]}\n" % (tmp, tmp))
    catalog = xfr + "  - {name: catalog.invalid, catalog: true}\n"
    # cookie-require with queries that carry no cookie: each is refused
    # (TC) and counted, and the thread's refusal log line written at most
    # once a second (issue #15): the cost of a refusal, not of an answer
    refused = plain + "cookie-require: true\n"
    res = {}
    for label, extra, cookie in (("plain", plain, b""), ("transfers", xfr, b""),
                                 ("transfers+catalog", catalog, b""),
                                 ("client cookies", plain, b"\x01\x02\x03\x04\x05\x06\x07\x08"),
                                 ("cookie refusals", refused, b"")):
        res[label] = run(dnsd, tmp, label.replace(" ", "-"), extra, n, cookie)
        print("%-18s %7.1f instructions per UDP query (the UDP thread, udp_main inclusive, %d queries), %.4fx plain" %
              (label, res[label], n, res[label] / res["plain"]), flush=True)
    if not os.environ.get("QPATH_KEEP"):
        subprocess.run(["rm", "-rf", tmp])
    else:
        print("kept " + tmp)


if __name__ == "__main__":
    main()
