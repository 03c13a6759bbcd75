#!/usr/bin/env bash
# TCP under connection pressure. 2,000 idle connections against a cap of
# 1,024: the longest-idle ones are closed to admit new ones (counted in
# dnsd_tcp_evicted_total), so a new TCP client and a UDP client are both
# answered at once (Knot-like, not after the 10 s idle timeout). Past three
# quarters of the cap a new connection's idle timeout is a quarter of the
# configured one. tcp.io-timeout-ms bounds a slowloris that sends one byte
# every 200 ms. Control: a connection opened below the pressure mark keeps
# the full idle timeout.
. "$(dirname "$0")/lib.sh"
ulimit -n 8192 2>/dev/null || skip "cannot raise the open-file limit to 8192"
port=$(free_port) || die "no free port"
mport=$(free_port) || die "no free port"
DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd.yaml" --port "$port" --workers 1 --http "127.0.0.1:$mport" \
  "tcp: {idle-timeout-ms: 60000, max-connections: 1024, io-timeout-ms: 500}" "lameduck-ms: 0"
start_dnsd "$T/dnsd.yaml"

$PY - "$DNSD_ADDR" "$DNSD_PORT" "$mport" <<'PY' || die "TCP pressure test failed"
import re, socket, sys, time, urllib.request
import dnsq
addr, port, mport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
q = dnsq.query_wire("www.global", "A")

def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read().decode()
    return float(re.search(r"^%s (\S+)$" % name, body, re.M).group(1))

def closed_after(s, secs):
    """Seconds until the server closes s, or None if still open after secs."""
    start = time.monotonic()
    s.settimeout(secs)
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - start

# 2. slowloris: one byte every 200 ms, closed by the 500 ms message deadline
slow = socket.create_connection((addr, port), timeout=3)
start = time.monotonic()
data = dnsq.frame(q)
closed = None
for b in data:
    try:
        slow.send(bytes([b]))
    except (BrokenPipeError, ConnectionResetError):
        closed = time.monotonic() - start
        break
    slow.settimeout(0.2)
    try:
        if slow.recv(4096) == b"":
            closed = time.monotonic() - start
            break
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = time.monotonic() - start
        break
assert closed is not None and closed < 1.2, "slowloris lived %s s with io-timeout-ms 500" % closed
print("ok - slowloris closed after %.2f s (io-timeout-ms 500)" % closed)

# 3. 2000 idle connections, then a new TCP client and a UDP client
evicted0 = metric("dnsd_tcp_evicted_total")
idle = []
for i in range(2000):
    idle.append(socket.create_connection((addr, port), timeout=3))
t0 = time.monotonic()
r = dnsq.send_raw_tcp(addr, port, q, timeout=2.0)
tcp_s = time.monotonic() - t0
assert r is not None and r[:2] == q[:2], "new TCP client not answered with 2000 idle connections"
t0 = time.monotonic()
r = dnsq.send_raw_udp(addr, port, q, timeout=2.0)
udp_s = time.monotonic() - t0
assert r is not None and r[:2] == q[:2], "UDP not answered with 2000 idle connections"
print("# new TCP client answered in %.1f ms, UDP in %.1f ms, with 2000 idle connections" % (tcp_s * 1000, udp_s * 1000))
assert tcp_s < 0.5, "new TCP client waited %.2f s" % tcp_s
assert udp_s < 0.5, "UDP waited %.2f s" % udp_s
print("ok - a new TCP client and UDP are answered at once with 2000 idle connections open")
evicted = metric("dnsd_tcp_evicted_total") - evicted0
assert evicted >= 2000 - 1024, "only %d connections evicted" % evicted
print("ok - %d longest-idle connections evicted, counted" % evicted)
opened = metric("dnsd_tcp_connections_open")
assert opened <= 1024, "%d connections open, cap 1024" % opened
print("ok - %d connections open, within the cap" % opened)
for s in idle:
    s.close()
PY
assert_running
stop_dnsd || die "dnsd exit status $?"

# Pressure: one worker with a cap of 8 and a 4 s idle timeout. Five
# connections (below 3/4 of the cap) keep 4 s; the sixth gets 1 s.
DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd2.yaml" --port "$port" --workers 1 \
  "tcp: {idle-timeout-ms: 4000, max-connections: 8}"
start_dnsd "$T/dnsd2.yaml"
$PY - "$DNSD_ADDR" "$DNSD_PORT" <<'PY' || die "pressure idle timeout test failed"
import socket, sys, time
addr, port = sys.argv[1], int(sys.argv[2])

def closed_after(s, secs):
    """Seconds until the server closes s, or None if still open after secs."""
    start = time.monotonic()
    s.settimeout(secs)
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - start

five = [socket.create_connection((addr, port), timeout=3) for _ in range(5)]
sixth = socket.create_connection((addr, port), timeout=3)
after = closed_after(sixth, 3.0)
assert after is not None and after < 2.0, "the sixth connection lived %s s, want about 1 (4000 / 4)" % after
print("ok - past 3/4 of the cap an idle connection is closed after %.1f s (idle-timeout-ms 4000)" % after)
assert closed_after(five[0], 0.5) is None, "a connection opened below the mark was closed early"
print("ok - control: a connection opened below the mark is still open")
PY
assert_running
