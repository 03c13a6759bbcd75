#!/usr/bin/python3
"""hostile_xfr.py - transfer clients that misbehave, for xfr_hostile.sh
(malformed transfer packets are hostile.py's, like every hand-made packet).

    hostile_xfr.py --port P --pid PID MODE [N]

Modes (each prints one "key value" line per finding, exits 1 on failure):
  silent N    N clients send AXFR (of fat.test., 8 MB) and never read; meanwhile UDP queries are
              answered; reports dnsd's RSS growth (kB) while they hang
  quitters N  N clients read the first message of an AXFR, then close
  parallel N R  N concurrent full AXFRs of R records each (counted from the
              message headers); UDP queries answered meanwhile
"""
import socket
import struct
import sys
import threading
import time

import dns.message
import dns.query
import dns.rdatatype
import dns.rcode

ZONE = "global."


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def axfr_wire(zone=ZONE):
    q = dns.message.make_query(zone, dns.rdatatype.AXFR)
    return q.to_wire()


def tcp_send(port, wire):
    # a small receive window, set before connecting: the kernel then holds
    # little of the transfer, and dnsd's own queue is what fills
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(struct.pack("!H", len(wire)) + wire)
    return s


def udp_ok(port, n=20):
    ok = 0
    for i in range(n):
        q = dns.message.make_query("svc-%d.ns-0.global." % i, "A")
        for _ in range(2):   # one retry: a datagram may be lost under load
            try:
                r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
                ok += r.rcode() == 0 and len(r.answer) == 1
                break
            except Exception:
                pass
    return ok


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def main():
    port = int(sys.argv[sys.argv.index("--port") + 1])
    pid = int(sys.argv[sys.argv.index("--pid") + 1])
    rest = [a for i, a in enumerate(sys.argv[1:], 1)
            if not a.startswith("--") and not sys.argv[i - 1].startswith("--")]
    mode, n = rest[0], int(rest[1]) if len(rest) > 1 else 0
    if mode == "silent":
        before = rss_kb(pid)
        socks = [tcp_send(port, axfr_wire("fat.test.")) for _ in range(n)]
        time.sleep(0.5)  # let dnsd fill its queues: what is measured, not a synchronisation
        peak = rss_kb(pid)
        print("answered %d" % udp_ok(port))
        print("rss_growth_kb %d" % (peak - before))
        # dnsd must give up on them by itself (idle timeout) while they
        # still hold their sockets open and read nothing: its log says so
        log = sys.argv[sys.argv.index("--log") + 1]
        base = open(log).read().count("aborted after")
        deadline = time.time() + 40
        closed = 0
        while time.time() < deadline:
            closed = open(log).read().count("aborted after") - base
            if closed >= n:
                break
            time.sleep(0.1)
        print("closed %d" % closed)
        print("rss_after_kb %d" % (rss_kb(pid) - before))
        for s in socks:
            s.close()
    elif mode == "quitters":
        for _ in range(n):
            s = tcp_send(port, axfr_wire("fat.test."))
            ln = struct.unpack("!H", recv_exact(s, 2))[0]
            recv_exact(s, ln)
            s.close()
        print("answered %d" % udp_ok(port))
    elif mode == "parallel":
        # raw sockets: count the records of each stream from the message
        # headers (dnspython would parse 100 x 40,000 records for minutes)
        want = int(rest[2])
        counts, errors = [], []

        def one():
            try:
                s = tcp_send(port, axfr_wire())
                s.settimeout(60)
                c = 0
                while c < want:
                    ln = struct.unpack("!H", recv_exact(s, 2))[0]
                    m = recv_exact(s, ln)
                    if m[3] & 0xF:
                        raise RuntimeError("rcode %d" % (m[3] & 0xF))
                    c += struct.unpack("!H", m[6:8])[0]
                counts.append(c)
                s.close()
            except Exception as e:
                errors.append(repr(e))
        ts = [threading.Thread(target=one) for _ in range(n)]
        for t in ts:
            t.start()
        answered = udp_ok(port)
        for t in ts:
            t.join(120)
        print("completed %d" % len(counts))
        print("distinct_counts %d" % len(set(counts)))
        print("records %d" % (counts[0] if counts else 0))
        print("errors %d %s" % (len(errors), errors[:1]))
        print("answered %d" % answered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
