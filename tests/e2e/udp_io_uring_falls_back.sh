#!/usr/bin/env bash
# UDP through io_uring (udp-io: auto, the default) where the kernel allows it,
# recvmmsg() where it does not: under a seccomp profile that refuses
# io_uring_setup (Docker's default does) dnsd still answers and says so in
# its log; udp-io: io-uring then refuses to start, naming the reason. A burst
# of more datagrams than the ring has buffers and reply slots (64) is
# answered in full either way.
. "$(dirname "$0")/lib.sh"

# burst N: N queries queued on dnsd's socket while dnsd is stopped (SIGSTOP),
# so that it finds them all at once; prints how many distinct IDs came back
# with the right answer before a 3 s deadline.
burst() { "$PY" "$E2E_DIR/udp_flood.py" "$DNSD_PORT" "$1" "$DNSD_PID"; }
www_a=$(awk '$1 == "www" && $4 == "A" {print $5; exit}' "$TEST_ZONE")
[ "$www_a" = 192.0.2.1 ] || die "test zone: www A is '$www_a', the burst expects 192.0.2.1"

# the default where io_uring works
serve_test_zone --log info
if grep -q 'udp: io_uring unavailable' "$DNSD_LOG"; then
  note "this kernel refuses io_uring ($(grep -o 'unavailable ([^)]*)' "$DNSD_LOG")): only the fallback is tested"
  has_uring=false
else
  assert_contains "$(cat "$DNSD_LOG")" "udp: io_uring (udp-io: auto)" "auto: io_uring chosen and logged"
  has_uring=true
fi
assert_eq "$(qshort www.global A)" 192.0.2.1 "answered (default udp-io)"
assert_eq "$(burst 300)" 300 "a burst of 300 datagrams, all answered (default udp-io)"
kill_dnsd "$DNSD_PID"

# io_uring refused by seccomp: auto falls back, logged
DNSD_DENY=io_uring_setup serve_test_zone --log info
assert_contains "$(cat "$DNSD_LOG")" \
  "udp: io_uring unavailable (io_uring_setup: Operation not permitted); using recvmmsg (udp-io: auto)" \
  "auto under seccomp: the fallback is logged with its reason"
assert_eq "$(qshort www.global A)" 192.0.2.1 "answered through recvmmsg"
assert_eq "$(burst 300)" 300 "a burst of 300 datagrams, all answered (recvmmsg)"
kill_dnsd "$DNSD_PID"

# udp-io: io-uring where it is refused: no start, the reason named
write_config "$T/forced.yaml" --port "$(free_port)" --zone "{name: global, file: $TEST_ZONE}" "udp-io: io-uring"
out=$(timeout 10 "$E2E_DIR/seccomp_deny.py" io_uring_setup "$DNSD_BIN" -c "$T/forced.yaml" 2>&1)
rc=$?
assert_eq "$rc" 1 "udp-io: io-uring under seccomp: exit status"
assert_contains "$out" "udp-io: io-uring: io_uring_setup: Operation not permitted" "udp-io: io-uring: the reason"

# udp-io: recvmmsg never touches io_uring, and a wrong value is refused by name
if $has_uring; then
  serve_test_zone --log info "udp-io: recvmmsg"
  assert_not_contains "$(cat "$DNSD_LOG")" "io_uring" "udp-io: recvmmsg: no io_uring"
  assert_eq "$(burst 100)" 100 "a burst of 100 datagrams (udp-io: recvmmsg)"
  kill_dnsd "$DNSD_PID"
fi
write_config "$T/bad.yaml" --port "$(free_port)" --zone "{name: global, file: $TEST_ZONE}" "udp-io: epoll"
out=$("$DNSD_BIN" -c "$T/bad.yaml" -t 2>&1)
assert_match "$out" "bad.yaml:[0-9]+.*udp-io" "udp-io: epoll: refused, file:line and key named"
