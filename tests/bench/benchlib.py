# SPDX-License-Identifier: BSD-3-Clause
"""benchlib.py - what the Python benchmarks share: a free loopback port and
polling with a deadline (never a sleep as synchronisation)."""
import os
import socket
import sys
import time


def free_port():
    """A port free on 127.0.0.1 now (dnsd then binds it for UDP and TCP)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, secs, what, poll=0.01):
    """pred()'s first true value within secs seconds, polled every poll
    seconds; otherwise the benchmark stops, saying what it waited for."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(poll)
    prog = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    raise SystemExit("%s: timed out waiting for %s" % (prog, what))
