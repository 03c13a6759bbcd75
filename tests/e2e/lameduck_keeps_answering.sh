#!/usr/bin/env bash
# Lameduck: on SIGTERM /ready fails at once while UDP and TCP queries keep
# being answered for lameduck-ms, then dnsd drains and exits 0. A client
# sends UDP queries every 5 ms and a TCP query on a new connection every
# 50 ms from before the signal to the end of the lameduck time, and polls
# /ready every 2 ms: every query sent before the end of lameduck is answered,
# /ready turns 503 within moments of the signal and never answers 200 again,
# and the process exits no sooner than lameduck-ms after the signal. SIGINT
# (Ctrl-C) skips lameduck; so does a second SIGTERM.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
hport=$(free_port) || die "no free port"
lameduck_ms=1500
write_config "$T/dnsd.yaml" --port "$port" --health "127.0.0.1:$hport" "lameduck-ms: $lameduck_ms"
start_dnsd "$T/dnsd.yaml"
wait_until 5 curl -sf "http://127.0.0.1:$hport/ready" || die "/ready never 200"

$PY - "$port" "$hport" "$DNSD_PID" "$lameduck_ms" <<'PY' || die "lameduck check failed"
import os, signal, socket, struct, sys, threading, time
import dns.message, dns.query
port, hport, pid, lameduck = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) / 1000
q = dns.message.make_query("messenger.default.global", "A")
results = []            # (sent at, proto, answered)
lock = threading.Lock()
stop = threading.Event()
t_kill = [None]

def query_loop(proto, send, every_s):
    while not stop.is_set():
        t = time.monotonic()
        try:
            r = send(q, "127.0.0.1", port=port, timeout=1)
            ok = r.rcode() == 0 and len(r.answer) == 1
        except Exception:
            ok = False
        with lock:
            results.append((t, proto, ok))
        time.sleep(every_s)

def ready_code():
    s = socket.create_connection(("127.0.0.1", hport), timeout=1)
    s.sendall(b"GET /ready HTTP/1.0\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1])

threads = [threading.Thread(target=query_loop, args=("udp", dns.query.udp, 0.005)),
           threading.Thread(target=query_loop, args=("tcp", dns.query.tcp, 0.05))]
for th in threads:
    th.start()
time.sleep(0.3)                      # traffic flowing before the signal
assert ready_code() == 200, "not ready before SIGTERM"
t_kill = time.monotonic()
os.kill(pid, signal.SIGTERM)
probes = []
while time.monotonic() < t_kill + lameduck - 0.1:
    try:
        probes.append((time.monotonic(), ready_code()))
    except OSError as e:
        probes.append((time.monotonic(), str(e)))
    time.sleep(0.002)
stop.set()
for th in threads:
    th.join()
# exit: not before lameduck, and at most the drain (2 s) and a margin after
exited = None
while time.monotonic() < t_kill + lameduck + 5:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        exited = time.monotonic()
        break
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                exited = time.monotonic()
                break
    except OSError:
        exited = time.monotonic()
        break
    time.sleep(0.01)

during = [r for r in results if t_kill <= r[0] < t_kill + lameduck - 0.1]
lost = [r for r in during if not r[2]]
udp = sum(1 for r in during if r[1] == "udp")
tcp = sum(1 for r in during if r[1] == "tcp")
print("# %d UDP and %d TCP queries sent during lameduck, %d unanswered" % (udp, tcp, len(lost)))
assert udp >= 50 and tcp >= 5, "too few queries sent during lameduck"
assert not lost, "unanswered during lameduck: %s" % [(round(t - t_kill, 3), p) for t, p, _ in lost]
print("ok - every UDP and TCP query sent during lameduck was answered")
first503 = next((t for t, c in probes if c == 503), None)
assert first503 is not None, "/ready never said 503: %s" % probes[:5]
print("# /ready 503 %.1f ms after SIGTERM (%d probes)" % ((first503 - t_kill) * 1000, len(probes)))
assert first503 - t_kill < 0.1, "/ready took %.0f ms to fail" % ((first503 - t_kill) * 1000)
after = [c for t, c in probes if t >= first503]
assert all(c == 503 for c in after), "/ready answered %s after its first 503" % sorted(set(after))
print("ok - /ready fails at once after SIGTERM and stays 503")
assert exited is not None, "dnsd still runs %.1f s after SIGTERM" % (lameduck + 5)
print("# exited %.0f ms after SIGTERM" % ((exited - t_kill) * 1000))
assert exited - t_kill >= lameduck, "exited before lameduck was over"
print("ok - dnsd exits once lameduck-ms has passed")
PY
wait "$DNSD_PID"; rc=$?
assert_eq "$rc" 0 "exit status 0 after lameduck"
assert_contains "$(cat "$DNSD_LOG")" "lameduck" "the log says it is in lameduck"

# SIGINT stops at once (no lameduck)
start_dnsd "$T/dnsd.yaml"
t0=$(date +%s%N)
kill -INT "$DNSD_PID"
wait "$DNSD_PID" || die "exit status $? after SIGINT"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || die "SIGINT took $ms ms (lameduck is for SIGTERM)"
echo "ok - SIGINT exits at once ($ms ms)"
# a second SIGTERM cuts lameduck short
start_dnsd "$T/dnsd.yaml"
t0=$(date +%s%N)
kill -TERM "$DNSD_PID"
wait_until 2 grep -q lameduck "$DNSD_LOG" || die "no lameduck line"
kill -TERM "$DNSD_PID"
wait "$DNSD_PID" || die "exit status $? after two SIGTERMs"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || die "two SIGTERMs took $ms ms"
echo "ok - a second SIGTERM ends lameduck ($ms ms)"
DNSD_PID=
