#!/usr/bin/env bash
# SIGTERM: dnsd closes idle TCP connections, still answers a TCP query that was
# in flight (half sent when the signal came), and exits with status 0.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port"
start_dnsd "$T/dnsd.yaml"

# The client: 16 idle connections (so that both workers have some), and one
# that, after a first answer, sends half of its second query. After SIGTERM it waits until every
# idle connection has been closed by dnsd (so each worker has begun draining),
# then sends the rest of the query and expects the answer.
$PY - "$port" "$DNSD_PID" <<'PY' || die "in-flight TCP query was not answered during drain"
import os, signal, socket, sys, time
import dns.message
import dnsq
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 10

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s

msg = dnsq.frame(dnsq.query_wire("messenger.default.global", "A", edns=False, rd=True))
def round_trip(s):
    s.sendall(msg)
    if dnsq.recv_tcp_message(s) is None:
        print("connection closed before SIGTERM"); sys.exit(1)

idle = [connect() for _ in range(16)]
for s in idle:
    round_trip(s)
inflight = connect()
round_trip(inflight)    # accepted (not in the backlog) and answered once
half = len(msg) // 2
inflight.sendall(msg[:half])
# the two bytes of length and part of the question are now in dnsd's buffer

os.kill(pid, signal.SIGTERM)
for s in idle:
    s.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        data = s.recv(100)
    except socket.timeout:
        print("idle connection not closed on SIGTERM"); sys.exit(1)
    if data != b"":
        print("unexpected data on idle connection"); sys.exit(1)
print("ok - idle TCP connections closed on SIGTERM")

inflight.sendall(msg[half:])
inflight.settimeout(5)
try:
    reply = dnsq.recv_tcp_message(inflight)
except (socket.timeout, ConnectionResetError) as e:
    print("in-flight query:", e); sys.exit(1)
if reply is None:
    print("in-flight query: connection closed without an answer"); sys.exit(1)
r = dns.message.from_wire(reply)
addrs = [rr.address for rrset in r.answer for rr in rrset]
if addrs != ["127.127.42.69"]:
    print("in-flight query: wrong answer", r); sys.exit(1)
print("ok - in-flight TCP query answered during drain")
# then dnsd closes this connection too
inflight.settimeout(5)
if inflight.recv(100) != b"":
    print("drained connection not closed"); sys.exit(1)
print("ok - connection closed after its answer")
PY

rc=0
wait "$DNSD_PID" || rc=$?
DNSD_PID=
assert_eq "$rc" 0 "exit status after SIGTERM"
assert_contains "$(cat "$DNSD_LOG")" "stopped" "clean shutdown logged"
