#!/usr/bin/env bash
# Two Kubernetes sources feed one zone. With both APIs down at a restart,
# the saved state is served and EDE 3 Stale Answer (RFC 8914 §4.4) names both;
# once one source (mesh-2) lists again, the zone is still partly saved state:
# the text names only the stale source (mesh-1), for names from either
# cluster, and once mesh-1 lists too there is no EDE at all.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

state_dir_config 1000 200

start_fakeapi mesh-1
start_fakeapi mesh-2
port1=$(cat "$T/mesh-1.port")
port2=$(cat "$T/mesh-2.port")
start_k8s_dnsd mesh-1,mesh-2 "$EXTRA"
wait_until 10 is_ready || die "not ready"
se_create mesh-1 a one one.a.global 240.0.1.1
se_create mesh-2 a two two.a.global 240.0.2.2
expect_answer 10 240.0.1.1 one.a.global
expect_answer 10 240.0.2.2 two.a.global
saved() { grep -q '"one.a.global"' "$STATE/mesh-1.state" && grep -q '"two.a.global"' "$STATE/mesh-2.state"; }
wait_until 10 saved || die "state not saved"
stop_dnsd || die "dnsd did not stop cleanly"

# both APIs gone; dnsd restarts and serves both clusters' saved state
kill "$FAKE_mesh_1_PID" "$FAKE_mesh_2_PID"
wait_until 10 not_running "$FAKE_mesh_1_PID" || die "mesh-1's fake API did not stop"
wait_until 10 not_running "$FAKE_mesh_2_PID" || die "mesh-2's fake API did not stop"
start_dnsd "$T/dnsd.yaml"
expect_answer 10 240.0.1.1 one.a.global
both='EDE: 3 (Stale Answer): (kubernetes mesh-1, mesh-2 down: saved state served)'
has_text() { qdig "$1" A | grep -qF "$2"; }
wait_until 10 has_text one.a.global "$both" || die "both down: want '$both', got: $(qdig one.a.global A | grep EDE)"
echo "ok - both sources down: the Stale Answer text names both"

# mesh-2 lists again (the same entry); mesh-1 is still down
start_fakeapi mesh-2 --port "$port2"
se_create mesh-2 a two two.a.global 240.0.2.2
one='EDE: 3 (Stale Answer): (kubernetes mesh-1 down: saved state served)'
wait_until 20 has_text two.a.global "$one" ||
  die "mesh-2 synced: want '$one', got: $(qdig two.a.global A | grep EDE)"
for name in one.a.global two.a.global nosuch.a.global; do
  d=$(qdig "$name" A)
  assert_contains "$d" "$one" "$name: the text names the stale source only"
  assert_not_contains "$d" "mesh-2 down" "$name: the synced source is not named"
done
assert_eq "$(qshort two.a.global A)" 240.0.2.2 "mesh-2's entry from its fresh LIST"
assert_eq "$(qshort one.a.global A)" 240.0.1.1 "mesh-1's entry from its saved state"

# mesh-1 lists again: nothing stale, no EDE
start_fakeapi mesh-1 --port "$port1"
se_create mesh-1 a one one.a.global 240.0.1.1
no_ede() { ! qdig one.a.global A | grep -q "EDE:"; }
wait_until 20 no_ede || die "both synced, still an EDE: $(qdig one.a.global A | grep EDE)"
echo "ok - both synced: no EDE"
assert_running
