#!/usr/bin/env bash
# tcp.max-connections-per-client: with a limit of 4, a fifth connection from
# 127.0.0.1 is closed at once and counted in dnsd_tcp_client_limited_total,
# while the four keep being answered and another address (127.0.0.2) still
# connects and is answered. Off by default: a cluster's queries come from a
# few forwarder addresses.
. "$(dirname "$0")/lib.sh"
port=$(free_port) || die "no free port"
mport=$(free_port) || die "no free port"
DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd.yaml" --port "$port" --workers 1 --http "127.0.0.1:$mport" \
  "tcp: {max-connections-per-client: 4}"
start_dnsd "$T/dnsd.yaml"

$PY - "$DNSD_ADDR" "$DNSD_PORT" "$mport" <<'PY' || die "per-client limit test failed"
import re, socket, sys, time, urllib.request
import dnsq
addr, port, mport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
q = dnsq.query_wire("www.global", "A")

def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read().decode()
    return float(re.search(r"^%s (\S+)$" % name, body, re.M).group(1))

def conn(source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2.0)
    s.bind((source, 0))
    s.connect((addr, port))
    return s

def answered(s):
    try:
        s.sendall(dnsq.frame(q))
        r = dnsq.recv_tcp_message(s)
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        return False
    return r is not None and r[:2] == q[:2]

limited0 = metric("dnsd_tcp_client_limited_total")
four = [conn("127.0.0.1") for _ in range(4)]
assert all(answered(s) for s in four), "one of the first four connections not answered"
print("ok - four connections from 127.0.0.1 answered")
fifth = conn("127.0.0.1")
assert not answered(fifth), "a fifth connection from 127.0.0.1 was answered"
print("ok - a fifth connection from 127.0.0.1 is closed")
assert metric("dnsd_tcp_client_limited_total") == limited0 + 1, "refusal not counted"
print("ok - counted in dnsd_tcp_client_limited_total")
assert all(answered(s) for s in four), "the first four stopped being answered"
other = conn("127.0.0.2")
assert answered(other), "a connection from 127.0.0.2 not answered"
print("ok - control: the four still answered, 127.0.0.2 connects and is answered")
PY
assert_running
