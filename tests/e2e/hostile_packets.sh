#!/usr/bin/env bash
# The hostile battery (tests/e2e/hostile.py): malformed packets, each with its
# expected reply or expected drop, and abusive TCP sessions (slowloris, zero
# and oversized lengths, pipelining, a client that never reads, a connection
# flood beyond max-connections). After every case dnsd must still answer
# normally and its process must still be alive.
. "$(dirname "$0")/lib.sh"
cap=8
serve_test_zone "tcp: {idle-timeout-ms: 10000, max-connections: $cap}"

"$PY" "$E2E_DIR/hostile.py" --server "$DNSD_ADDR" --port "$DNSD_PORT" --pid "${DNSD_PID:-0}" --cap "$cap" \
  ${HOSTILE_ONLY:+--only "$HOSTILE_ONLY"} | tee "$T/tap"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || die "hostile battery: $(grep -c '^not ok' "$T/tap") case(s) failed"
n=$(grep -c '^ok' "$T/tap")
[ -n "${HOSTILE_ONLY:-}" ] || [ "$n" -ge 30 ] || die "only $n cases ran"
assert_running
assert_eq "$(qshort www.global A)" 192.0.2.1 "dig still gets its answer after $n hostile cases"
