#!/usr/bin/env bash
# The memory ceiling for buffered TCP output: a client that pipelines 3,000
# queries for a 2 KB answer and never reads would queue ~6 MB of answers;
# with tcp.output-buffer-max 256 KiB dnsd closes it once the unsent answers
# pass the ceiling, counts it in dnsd_tcp_shed_total and logs it, and its
# resident memory does not grow by the backlog. Control: another TCP client
# and UDP are answered meanwhile, and with the default ceiling the same
# client is not shed.
. "$(dirname "$0")/lib.sh"
port=$(free_port) || die "no free port"
mport=$(free_port) || die "no free port"
DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd.yaml" --port "$port" --workers 1 --http "127.0.0.1:$mport" \
  "tcp: {idle-timeout-ms: 10000, max-connections: 64, output-buffer-max: 262144}" "lameduck-ms: 0"
start_dnsd "$T/dnsd.yaml"

# hog PORT MPORT PID WANT_SHED: run the non-reading client, assert the outcome
hog() {
  $PY - "$DNSD_ADDR" "$@" <<'PY'
import re, select, socket, sys, time, urllib.request
import dnsq
addr, port, mport, pid, want_shed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"

def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read().decode()
    return float(re.search(r"^%s (\S+)$" % name, body, re.M).group(1))

def rss_kib():
    return int(re.search(r"^VmRSS:\s+(\d+)", open("/proc/%d/status" % pid).read(), re.M).group(1))

shed0, rss0 = metric("dnsd_tcp_shed_total"), rss_kib()
hog = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
hog.connect((addr, port))
burst = dnsq.frame(dnsq.query_wire("big.global", "A", payload=4096)) * 3000
hog.setblocking(False)
sent, closed = 0, False
deadline = time.monotonic() + 5.0
while sent < len(burst) and time.monotonic() < deadline:
    try:
        sent += hog.send(burst[sent:sent + 65536])
    except BlockingIOError:
        select.select([], [hog], [], 0.1)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
        break
# the answers dnsd could not send
poll_deadline = time.monotonic() + 5.0
while want_shed and metric("dnsd_tcp_shed_total") == shed0 and time.monotonic() < poll_deadline:
    time.sleep(0.05)
shed = metric("dnsd_tcp_shed_total") - shed0
grown = rss_kib() - rss0
print("# sent %d of %d bytes of queries; shed %d; RSS grew %d KiB" % (sent, len(burst), shed, grown))
for i in range(5):
    q = dnsq.query_wire("www.global", "A")
    assert dnsq.send_raw_udp(addr, port, q, 1.0) is not None, "UDP not answered"
    assert dnsq.send_raw_tcp(addr, port, q, 1.0) is not None, "another TCP client not answered"
print("ok - UDP and another TCP client answered meanwhile")
if want_shed:
    assert shed >= 1, "the non-reading client was not shed"
    assert grown < 4096, "RSS grew by %d KiB" % grown
    print("ok - the non-reading client was shed at the ceiling and counted; RSS grew %d KiB" % grown)
else:
    assert shed == 0, "shed %d with the default ceiling" % shed
    print("ok - with the default ceiling the same client is not shed")
hog.close()
PY
}
hog "$DNSD_PORT" "$mport" "$DNSD_PID" 1 || die "shedding at the ceiling failed"
assert_contains "$(cat "$DNSD_LOG")" "closing the connection holding the most" "shedding is logged"
stop_dnsd || die "dnsd exit status $?"

DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd2.yaml" --port "$port" --workers 1 --http "127.0.0.1:$mport"
start_dnsd "$T/dnsd2.yaml"
hog "$DNSD_PORT" "$mport" "$DNSD_PID" 0 || die "control with the default ceiling failed"
assert_running
