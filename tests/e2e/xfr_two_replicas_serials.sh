#!/usr/bin/env bash
# Two replicas of dnsd fed by the same Kubernetes API (serial-replica 1 and
# 2, as two pods' host names would give): their serials track the clock, so
# neither lags the other's older data, and differ in the low byte, so that a
# secondary moving between them is never sent the other replica's difference:
# an IXFR to replica B from replica A's serial gets B's whole zone, while
# from B's own previous serial it gets B's journal, and both contents agree.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
. "$E2E_DIR/secondaries.bash"
start_fakeapi mesh-1
se_create mesh-1 team api api.team.global 10.0.0.1
start_replica() {  # N -> PORT_N, PID_N
  local port hport
  port=$(free_port) || die "no free port"
  hport=$(free_port) || die "no free port"
  k8s_config "$T/r$1.yaml" "$port" "$hport" mesh-1 "xfr: {serial-replica: $1}"
  start_dnsd "$T/r$1.yaml"
  printf -v "PORT_$1" '%s' "$port"
  HPORT=$hport
  wait_until 10 is_ready || die "replica $1 not ready"
}
start_replica 1
start_replica 2
soa_serial() { dig +short -p "$1" @127.0.0.1 global SOA | awk '{print $3}'; }
a0=$(soa_serial "$PORT_1") b0=$(soa_serial "$PORT_2")
assert_eq "$((a0 % 256)) $((b0 % 256))" "1 2" "each replica's serials end in its own byte"

# The serials order publications by the quarter second (the upper 24 bits):
# within one quarter, replica 2's is above replica 1's whatever came first.
# The change below must be later than both starts, so wait (polling the
# clock, bounded) for a quarter after both.
later_quarter() {
  "$PY" -c "import sys, time
q = int(time.time() * 4) % 2**24
sys.exit(0 if all(0 < (q - (int(s) >> 8)) % 2**24 < 2**23 for s in sys.argv[1:]) else 1)" "$a0" "$b0"
}
wait_until 2 later_quarter || die "the clock did not pass the quarter second of serials $a0 $b0"
se_replace mesh-1 team api api.team.global 10.0.0.2
has() { [ "$(dig +short -p "$1" @127.0.0.1 api.team.global)" = 10.0.0.2 ]; }
wait_until 5 has "$PORT_1" || die "replica 1 did not take the change"
wait_until 5 has "$PORT_2" || die "replica 2 did not take the change"
a1=$(soa_serial "$PORT_1") b1=$(soa_serial "$PORT_2")
gt() { "$PY" -c "import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if a != b and (a - b) % 2**32 < 2**31 else 1)" "$1" "$2"; }
gt "$a1" "$a0" && gt "$b1" "$b0" || die "serials did not increase: $a0 -> $a1, $b0 -> $b1"
gt "$b1" "$a0" && gt "$a1" "$b0" || die "a replica's new serial is below the other's old one: $a0 $b0 -> $a1 $b1"
echo "ok - both replicas moved past both old serials ($a0 $b0 -> $a1 $b1)"

DNSD_PORT=$PORT_2
ixfr_b_from_a=$("$PY" "$XFR_DUMP" --port "$PORT_2" --ixfr "$a0" global) || die "IXFR to replica 2 failed"
assert_eq "$(grep -c ' SOA ' <<<"$ixfr_b_from_a") $(head -n1 <<<"$ixfr_b_from_a" | awk '{print $6}')" "2 $b1" \
  "IXFR to replica 2 from replica 1's serial: the whole zone (SOA first and last only)"
assert_contains "$ixfr_b_from_a" "api.team.global. 30 A 10.0.0.2" "and it holds the new data"
ixfr_b=$("$PY" "$XFR_DUMP" --port "$PORT_2" --ixfr "$b0" global) || die "IXFR to replica 2 failed"
assert_eq "$(grep -c ' SOA ' <<<"$ixfr_b")" 4 "IXFR to replica 2 from its own previous serial: one difference"
assert_contains "$ixfr_b" "api.team.global. 30 A 10.0.0.1" "the difference removes the old address"
assert_eq "$(dnsd_dump global)" "$(DNSD_PORT=$PORT_1 dnsd_dump global | sed "s/ $a1 / $b1 /")" \
  "both replicas hold the same records"
