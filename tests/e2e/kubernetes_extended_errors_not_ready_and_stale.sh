#!/usr/bin/env bash
# Extended DNS Errors (RFC 8914) for a Kubernetes-fed zone: the SERVFAIL
# before the source's first sync carries Not Ready (14) naming the cluster,
# answers from the saved state (state-dir, API down) carry Stale Answer (3),
# and once the API lists again the answers carry none. UDP and TCP, dig
# and kdig; only with EDNS; counted by code.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

state_dir_config 2000 200

start_fakeapi mesh-1
api_port=$(cat "$T/mesh-1.port")
start_k8s_dnsd mesh-1 "$EXTRA"
wait_until 10 is_ready || die "not ready"
se_create mesh-1 a one one.a.global 240.0.1.1
expect_answer 10 240.0.1.1 one.a.global
assert_not_contains "$(qdig one.a.global A)" "EDE:" "synced: no EDE"
wait_until 10 grep -q '"one.a.global"' "$STATE/mesh-1.state" || die "state not saved"
stop_dnsd || die "dnsd did not stop cleanly"

# the API goes away; dnsd restarts and waits for it
kill "$FAKE_mesh_1_PID"
wait_until 10 not_running "$FAKE_mesh_1_PID" || die "the fake API server did not stop"
start_dnsd "$T/dnsd.yaml"
d=$(qdig one.a.global A)
if ! grep -q "status: SERVFAIL" <<<"$d"; then
  skip "the saved state was served before the first query could see the SERVFAIL"
fi
assert_contains "$d" "EDE: 14 (Not Ready): (kubernetes mesh-1 not synced)" "before the first sync: EDE 14 names the cluster"
assert_contains "$(qdig +tcp one.a.global A)" "EDE: 14 (Not Ready)" "... over TCP too"
assert_not_contains "$(qdig +noedns one.a.global A)" "EDE" "... and not without EDNS"

# after stale-start-timeout-ms: the saved answer, marked stale
expect_answer 10 240.0.1.1 one.a.global
d=$(qdig one.a.global A)
assert_contains "$d" "status: NOERROR" "saved state: NOERROR"
assert_contains "$d" "EDE: 3 (Stale Answer): (kubernetes mesh-1 down: saved state served)" "saved state: EDE 3"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +edns +tcp one.a.global A)
assert_contains "$k" "EDE: 3 (Stale Answer)" "kdig over TCP: EDE 3"
assert_contains "$k" "240.0.1.1" "kdig: the saved address"
assert_contains "$(qdig nosuch.a.global A)" "EDE: 3 (Stale Answer)" "a stale NXDOMAIN says so too"
n=$(metric 'dnsd_dns_ede_total{code="14",name="not_ready"}')
[ "${n:-0}" -ge 2 ] || die "EDE 14 counted '$n'"
n=$(metric 'dnsd_dns_ede_total{code="3",name="stale_answer"}')
[ "${n:-0}" -ge 3 ] || die "EDE 3 counted '$n'"
echo "ok - EDE 14 and 3 counted"

# the API is back: the first LIST replaces the saved state, no EDE any more
start_fakeapi mesh-1 --port "$api_port"
se_create mesh-1 a one one.a.global 240.0.9.1
expect_answer 40 240.0.9.1 one.a.global
no_ede() { ! qdig one.a.global A | grep -q "EDE:"; }
wait_until 10 no_ede || die "still an EDE once listed: $(qdig one.a.global A)"
echo "ok - listed again: no EDE"
assert_running
