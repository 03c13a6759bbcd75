#!/usr/bin/env bash
# A TCP frame shorter than a DNS header (2..11 bytes), or a whole message with
# QR=1 (a response), cannot come from a DNS client: dnsd closes the connection
# at once (within 1 s, where the idle timeout is 10 s), as NSD and BIND reset
# and Knot closes. Control: a connection that sent a valid query is answered
# and stays open.
. "$(dirname "$0")/lib.sh"
serve_test_zone

$PY - "$DNSD_ADDR" "$DNSD_PORT" <<'PY' || die "garbage frame test failed"
import socket, struct, sys, time
import dnsq
addr, port = sys.argv[1], int(sys.argv[2])

def closed_within(data, secs):
    """True if dnsd closes (FIN or RST) the connection within secs of data."""
    s = socket.create_connection((addr, port), timeout=3)
    s.sendall(data)
    s.settimeout(secs)
    started = time.monotonic()
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
    except ConnectionResetError:
        pass
    except socket.timeout:
        return False
    finally:
        s.close()
    return time.monotonic() - started < secs

q = dnsq.query_wire("www.global", "A")
for n in (2, 5, 11):
    assert closed_within(dnsq.frame(q[:n]), 1.0), "a %d-byte frame was held open" % n
    print("ok - a %d-byte frame: closed at once" % n)
resp = bytearray(q)
resp[2] |= 0x80
assert closed_within(dnsq.frame(bytes(resp)), 1.0), "a QR=1 message was held open"
print("ok - a QR=1 message: closed at once")

s = socket.create_connection((addr, port), timeout=3)
s.sendall(dnsq.frame(q))
reply = dnsq.recv_tcp_message(s)
assert reply is not None and reply[:2] == q[:2], "valid query not answered"
s.settimeout(1.0)
try:
    s.recv(1)
    raise SystemExit("the connection of a valid client was closed")
except socket.timeout:
    pass
s.sendall(dnsq.frame(q))
assert dnsq.recv_tcp_message(s) is not None, "second query on the connection not answered"
print("ok - control: a valid query is answered and the connection stays open")
PY
assert_running
