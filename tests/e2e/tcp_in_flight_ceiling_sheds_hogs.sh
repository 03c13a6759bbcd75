#!/usr/bin/env bash
# The in-flight ceiling (tcp.in-flight-max: unsent answers + received,
# unanswered queries + transfers being sent). 16 clients each pipeline 3,000
# queries for a ~2 KB answer (~6 MB of answers each, ~96 MB together) and
# never read. With tcp.in-flight-max 1 MiB dnsd closes the connections
# holding the most, counts each in dnsd_tcp_in_flight_shed_total and logs it
# until the rest fit under the ceiling (at least 12 shed); those few meet the
# idle timeout (3 s, its write side): every hog is closed within 10 s, and
# dnsd's resident memory grows by less
# than 8 MiB (the bound: the ceiling plus, per connection, 256 KiB of output
# and 128 KiB of input before reading stops; the answers are never buffered
# beyond that). Control: a client that reads is answered over TCP and UDP
# meanwhile and is never the one shed.
. "$(dirname "$0")/lib.sh"
port=$(free_port) || die "no free port"
mport=$(free_port) || die "no free port"
DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd.yaml" --port "$port" --workers 1 --http "127.0.0.1:$mport" \
  "tcp: {idle-timeout-ms: 3000, max-connections: 64, in-flight-max: 1048576}" "lameduck-ms: 0"
start_dnsd "$T/dnsd.yaml"

# Under ASan (its quarantine keeps freed memory) or TSan (shadow memory) RSS is not dnsd's own.
sanitized=0
ldd "$DNSD_BIN" 2>/dev/null | grep -qE "libasan|libtsan" && sanitized=1
$PY - "$DNSD_ADDR" "$DNSD_PORT" "$mport" "$DNSD_PID" "$sanitized" <<'PY' || die "in-flight ceiling test failed"
import re, select, socket, sys, time, urllib.request
import dnsq
addr, port, mport, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sanitized = sys.argv[5] == "1"

def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read().decode()
    return float(re.search(r"^%s (\S+)$" % name, body, re.M).group(1))

def rss_kib():
    return int(re.search(r"^VmRSS:\s+(\d+)", open("/proc/%d/status" % pid).read(), re.M).group(1))

shed0, rss0 = metric("dnsd_tcp_in_flight_shed_total"), rss_kib()
burst = dnsq.frame(dnsq.query_wire("big.global", "A", payload=4096)) * 3000
hogs = []
for i in range(16):
    h = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    h.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    h.connect((addr, port))
    h.setblocking(False)
    hogs.append([h, 0, False])  # socket, bytes sent, closed by dnsd
# the reading client, connected before the flood
good = socket.create_connection((addr, port), timeout=2)
q = dnsq.query_wire("www.global", "A")
peak = 0
deadline = time.monotonic() + 10.0
while time.monotonic() < deadline and not all(x[2] for x in hogs):
    for x in hogs:
        if x[2]:
            continue
        # closed by dnsd: the kernel's TCP state left ESTABLISHED (a FIN or a
        # reset; the answers it never read may still sit in its buffer)
        if x[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != 1:
            x[2] = True
            continue
        try:
            if x[1] < len(burst):
                x[1] += x[0].send(burst[x[1]:x[1] + 65536])
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            x[2] = True
    # the reading client is answered meanwhile, over TCP and UDP
    good.sendall(dnsq.frame(q))
    assert dnsq.recv_tcp_message(good) is not None, "the reading client was not answered"
    assert dnsq.send_raw_udp(addr, port, q, 1.0) is not None, "UDP not answered"
    peak = max(peak, rss_kib() - rss0)
    time.sleep(0.02)
closed = sum(1 for x in hogs if x[2])
shed = metric("dnsd_tcp_in_flight_shed_total") - shed0
print("# %d of 16 hogs closed, %d shed, RSS peak growth %d KiB" % (closed, shed, peak))
assert closed == 16, "only %d of 16 hogs closed within 10 s" % closed
assert shed >= 12, "only %d counted in dnsd_tcp_in_flight_shed_total" % shed
print("ok - every non-reading client closed at the in-flight ceiling (%d counted)" % shed)
dnsq.check_shedding_left_others(peak, 8192, sanitized, good, q)
PY
assert_contains "$(cat "$DNSD_LOG")" "(dnsd_tcp_in_flight_shed_total)" "shedding is logged"
assert_running
