#!/usr/bin/env bash
# When accept() fails with EMFILE the listener is paused and retried, not
# spun on: with an open-file limit of 64, a flood of 100 connections leaves
# the excess in the backlog, dnsd stays idle-ish (no busy loop), UDP keeps
# working, and the waiting connections are served once others close.
. "$(dirname "$0")/lib.sh"
DNSD_NOFILE=64 serve_test_zone

out=$("$PY" - "$DNSD_ADDR" "$DNSD_PORT" "$DNSD_PID" <<'PYEOF'
import select, socket, sys, time
import dnsq
addr, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def cpu_ticks():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
conns = []
for i in range(100):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(dnsq.frame(dnsq.query_wire("www.global", "A", qid=i)))
    conns.append(s)
answered = set()
poller = select.poll()
for s in conns:
    poller.register(s, select.POLLIN)
while True:
    ready = poller.poll(1000)
    if not ready:
        break
    for fd, _ in ready:
        i = [j for j, s in enumerate(conns) if s.fileno() == fd][0]
        poller.unregister(fd)
        assert dnsq.recv_tcp_message(conns[i]) is not None
        answered.add(i)
print("served_at_once %d" % len(answered))
# CPU used by dnsd while the excess waits (a spinning accept loop burns ~100 ticks/s)
t0 = cpu_ticks(); time.sleep(1.0); print("cpu_ticks_per_s %d" % (cpu_ticks() - t0))
r = dnsq.send_raw_udp(addr, port, dnsq.query_wire("www.global", "A"), 1.0)
print("udp %s" % ("ok" if r else "noreply"))
for i in answered:
    conns[i].close()
# the waiting connections are accepted as slots free up; close each once served
import hostile
late = hostile.drain_held(conns, [i for i in range(100) if i not in answered], 5.0)
print("served_later %d" % late)
print("total %d" % (len(answered) + late))
PYEOF
) || die "client failed: $out"
echo "$out" | sed 's/^/# /'
at_once=$(field served_at_once "$out")
[ "$at_once" -lt 100 ] || die "all 100 served at once: the fd limit was not reached"
echo "ok - $at_once of 100 served while at the fd limit"
ticks=$(field cpu_ticks_per_s "$out")
[ "$ticks" -le 30 ] || die "dnsd used $ticks CPU ticks/s while accept() fails: spinning"
echo "ok - dnsd used $ticks ticks/s while paused (no busy loop)"
assert_eq "$(field udp "$out")" ok "UDP served during the flood"
assert_eq "$(field total "$out")" 100 "every connection served in the end"
assert_running
