#!/usr/bin/env bash
# A saved state that cannot be trusted is ignored with a log line and never
# crashes dnsd or poisons the zone: truncated, one byte corrupted, another
# format version, another source's file, an empty file, a folder in its
# place. With the API down such a dnsd keeps answering SERVFAIL after the
# stale timeout (it has nothing it may serve). A well-formed file whose
# checksum holds but that carries one malformed ServiceEntry serves the
# others; the bad one is skipped and counted, as from the API.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

STATE=$T/state       # dnsd creates it
EXTRA="state-dir: $STATE
stale-start-timeout-ms: 500
state-write-interval-ms: 100
lameduck-ms: 0"

# a good state file, written by dnsd itself
start_fakeapi mesh-1
start_k8s_dnsd mesh-1 "$EXTRA"
wait_until 10 is_ready || die "not ready"
se_create mesh-1 a one one.a.global 240.0.1.1
se_create mesh-1 b two two.b.global 240.0.1.2
wait_until 10 grep -q '^objects 2$' "$STATE/mesh-1.state" || die "no state file written"
assert_contains "$(cat "$DNSD_LOG")" "state-dir $STATE: created" "a missing state-dir is created"
assert_eq "$(stat -c %a "$STATE")" 700 "... private to dnsd"
# a state-dir that is not a folder: dnsd -t fails, dnsd itself serves without
sed "s|^state-dir: .*|state-dir: $T/good.state.x|" "$T/dnsd.yaml" >"$T/dnsd-file.yaml"
: >"$T/good.state.x"
out=$("$DNSD_BIN" -t -c "$T/dnsd-file.yaml" 2>&1) && die "dnsd -t accepts a state-dir that is a file: $out"
assert_contains "$out" "not a folder" "dnsd -t: a state-dir that is a file is an error"
stop_dnsd || die "dnsd did not stop cleanly"
kill "$FAKE_mesh_1_PID"
wait_until 10 not_running "$FAKE_mesh_1_PID" || die "the fake API server did not stop"
cp "$STATE/mesh-1.state" "$T/good.state"
size=$(stat -c %s "$T/good.state")

# resum: stdin with its sha256 line replaced by a valid one, to stdout (a
# file that is whole but wrong in another way).
resum() {
  "$PY" -c '
import hashlib, sys
lines = sys.stdin.read().split("\n")
text = "\n".join(lines[:-2]) + "\n"
sys.stdout.write(text + "sha256 " + hashlib.sha256(text.encode()).hexdigest() + "\n")'
}

# refused CASE REASON: dnsd with the API down and that state file logs
# REASON, stays up, and answers SERVFAIL for Kubernetes names after the timeout.
refused() {
  local what=$1 reason=$2
  start_dnsd "$T/dnsd.yaml"
  wait_until 5 grep -q "ignoring saved state.*$reason" "$DNSD_LOG" ||
    die "$what: no log line saying why ($reason): $(grep -i state "$DNSD_LOG" | tail -n 3)"
  wait_until 5 grep -q "no LIST within 500 ms" "$DNSD_LOG" || die "$what: the stale timeout was not logged"
  assert_eq "$(qstatus one.a.global A)" SERVFAIL "$what: still SERVFAIL after the timeout"
  assert_eq "$(http_code /ready)" 503 "$what: not ready"
  assert_eq "$(metric 'dnsd_kubernetes_stale{cluster="mesh-1"}')" 0 "$what: not stale either"
  assert_running
  stop_dnsd || die "$what: dnsd did not stop cleanly"
}

head -c $((size / 2)) "$T/good.state" >"$STATE/mesh-1.state"
refused "truncated to half" "checksum"
head -c $((size - 1)) "$T/good.state" >"$STATE/mesh-1.state"
refused "last byte missing" "checksum"
cp "$T/good.state" "$STATE/mesh-1.state"
printf 'X' | dd of="$STATE/mesh-1.state" bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "one byte corrupted" "checksum mismatch"
sed '1s/.*/dnsd-state 2/' "$T/good.state" | resum >"$STATE/mesh-1.state"
refused "format version 2" "format version 2"
sed 's/^source mesh-1$/source mesh-9/' "$T/good.state" | resum >"$STATE/mesh-1.state"
refused "another source's file" 'saved for source "mesh-9"'
: >"$STATE/mesh-1.state"
refused "an empty file" "not a dnsd state file"
rm -f "$STATE/mesh-1.state"; mkdir "$STATE/mesh-1.state"
refused "a folder in its place" "not a regular file"
rmdir "$STATE/mesh-1.state"

# a file with a valid checksum and one malformed entry: the others load
# (the second entry's hosts is a string, not a list)
sed 's/"hosts":\["two.b.global"\]/"hosts":"two.b.global"/' "$T/good.state" | resum >"$STATE/mesh-1.state"
grep -q '"hosts":"two.b.global"' "$STATE/mesh-1.state" || die "could not write the poisoned state"
start_dnsd "$T/dnsd.yaml"
expect_answer 10 240.0.1.1 one.a.global
assert_eq "$(qstatus two.b.global A)" NXDOMAIN "the malformed saved entry is skipped"
wait_until 5 grep -q "skipping saved ServiceEntry" "$DNSD_LOG" || die "the skipped entry was not logged"
echo "ok - the skipped saved entry is logged"
assert_eq "$(metric 'dnsd_kubernetes_serviceentries_skipped_total{cluster="mesh-1"}')" 1 "... and counted"
assert_eq "$(metric 'dnsd_kubernetes_stale{cluster="mesh-1"}')" 1 "the rest is served, stale"
assert_running
