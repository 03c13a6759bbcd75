#!/usr/bin/env bash
# Every UDP socket has a thread waiting in recvmmsg() (dnsd/server/udp.c). On SIGTERM
# dnsd wakes them with shutdown() and exits at once, without waiting for
# their 5 s receive timeout; an idle server with 3 workers and two
# addresses (6 such threads) must be gone well within that.
. "$(dirname "$0")/lib.sh"

P=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$P" --listen "[::1]:$P" --workers 3
start_dnsd "$T/dnsd.yaml"
assert_eq "$(qshort messenger.default.global)" 127.127.42.69 "answers over IPv4"
DNSD_ADDR=::1
assert_eq "$(qshort messenger.default.global)" 127.127.42.69 "answers over IPv6"
threads=$(ls "/proc/$DNSD_PID/task" | wc -l)
[ "$threads" -ge 10 ] || die "expected at least 3 loop + 6 UDP threads + main, found $threads"
echo "ok - $threads threads"

pid=$DNSD_PID
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_until 3 gone || die "still running 3 s after SIGTERM: a UDP thread was not woken"
rc=0
wait "$pid" || rc=$?
DNSD_PID=
assert_eq "$rc" 0 "exit status after SIGTERM"
assert_contains "$(cat "$DNSD_LOG")" "stopped" "clean shutdown logged"
