#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""udp_flood.py PORT N [PID] - sends N queries for www.global A to
127.0.0.1:PORT back to back (with PID, while that process is stopped with
SIGSTOP, so that it finds them all queued at once), then reads the answers
for up to 3 s; prints how many distinct IDs came back with the test zone's
www A (192.0.2.1)."""
import os
import signal
import socket
import sys
import time

import dns.message
import dnsq


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    pid = int(sys.argv[3]) if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(("127.0.0.1", port))
    wires = [dnsq.query_wire("www.global", "A", qid=i + 1) for i in range(n)]
    if pid:
        os.kill(pid, signal.SIGSTOP)
    try:
        for w in wires:
            s.send(w)
    finally:
        if pid:
            os.kill(pid, signal.SIGCONT)
    got, deadline = set(), time.monotonic() + 3
    while len(got) < n and time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            m = dns.message.from_wire(s.recv(4096))
        except socket.timeout:
            break
        if m.answer and m.answer[0][0].address == "192.0.2.1":
            got.add(m.id)
    print(len(got))


if __name__ == "__main__":
    main()
