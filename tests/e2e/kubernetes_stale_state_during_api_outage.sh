#!/usr/bin/env bash
# Last known state (`state-dir:`): a dnsd that restarts while its API server
# is down answers SERVFAIL for Kubernetes names until stale-start-timeout-ms,
# then serves what the source contributed before the restart, marked stale
# (/ready 200, dnsd_kubernetes_stale 1 with the time since, /status's
# stale_since, logged once).
# When the API comes back with changed data, the first successful LIST
# replaces the saved state and dnsd converges to exactly the API's state:
# changed addresses, deleted and new entries; the state file follows.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

state_dir_config 3000 200

start_fakeapi mesh-1
api_port=$(cat "$T/mesh-1.port")
start_k8s_dnsd mesh-1 "$EXTRA"
wait_until 10 is_ready || die "not ready"
se_create mesh-1 a one one.a.global 240.0.1.1
se_create mesh-1 b two two.b.global 240.0.1.2 240.0.1.3
expect_answer 10 240.0.1.1 one.a.global
expect_answer 10 $'240.0.1.2\n240.0.1.3' two.b.global

# the state is saved after the changes (debounced), whole
saved_with() { grep -q "^objects $1\$" "$STATE/mesh-1.state" && grep -q "$2" "$STATE/mesh-1.state"; }
wait_until 10 saved_with 2 '"two.b.global"' || die "state file not written: $(ls -la "$STATE")"
echo "ok - state saved with both ServiceEntries"
assert_eq "$(stat -c %a "$STATE/mesh-1.state")" 600 "the state file is private"
assert_eq "$(ls -A "$STATE" | grep -c '\.tmp$')" 0 "no temporary file left behind"
s=$(metric 'dnsd_kubernetes_state_saves_total{cluster="mesh-1"}')
[ -n "$s" ] && [ "$s" -ge 1 ] || die "dnsd_kubernetes_state_saves_total is '$s'"
echo "ok - saves counted ($s)"
# the SRV record too (its owner name is the mapping's business, not this test's)
for srv in _http1._tcp.one.a.global _http1._http.one.a.global; do
  srv_answer=$(qshort "$srv" SRV)
  [ -n "$srv_answer" ] && break
done
[ -n "$srv_answer" ] || die "no SRV record for one.a.global"
stop_dnsd || die "dnsd did not stop cleanly"

# the API goes away; dnsd restarts
kill "$FAKE_mesh_1_PID"
wait_until 10 not_running "$FAKE_mesh_1_PID" || die "the fake API server did not stop"
started=$(date +%s%N)
start_dnsd "$T/dnsd.yaml"
# before the timeout: SERVFAIL (never a premature NXDOMAIN), not ready
assert_eq "$(qstatus one.a.global A)" SERVFAIL "API down, before the timeout: SERVFAIL"
assert_eq "$(http_code /ready)" 503 "... and /ready is 503"
# after it: the saved answers, marked stale
expect_answer 10 240.0.1.1 one.a.global
expect_answer 2 $'240.0.1.2\n240.0.1.3' two.b.global
ms=$(( ($(date +%s%N) - started) / 1000000 ))
[ "$ms" -ge 2500 ] || die "served saved state after ${ms} ms, before the 3000 ms timeout"
echo "ok - saved state served after the timeout (${ms} ms after start)"
assert_eq "$(qstatus nosuch.a.global A)" NXDOMAIN "a name the saved state lacks is NXDOMAIN"
assert_eq "$(qshort "$srv" SRV)" "$srv_answer" "SRV records come back too"
assert_eq "$(http_code /ready)" 200 "stale counts as ready"
assert_contains "$(curl -s --max-time 5 "http://127.0.0.1:$HPORT/ready")" "stale" "/ready says which source is stale"
assert_eq "$(metric 'dnsd_kubernetes_stale{cluster="mesh-1"}')" 1 "dnsd_kubernetes_stale is 1"
assert_eq "$(metric 'dnsd_kubernetes_synced{cluster="mesh-1"}')" 0 "dnsd_kubernetes_synced stays 0 (no LIST yet)"
since=$(metric 'dnsd_kubernetes_stale_since_timestamp_seconds{cluster="mesh-1"}')
now=$(date +%s)
[ -n "$since" ] && [ "$since" -gt $((now - 60)) ] && [ "$since" -le "$now" ] || die "stale since '$since', now $now"
echo "ok - stale since $since"
# /status names the source's stale_since (null when not stale)
status_stale_since() {
  curl -sf --max-time 5 "http://127.0.0.1:$HPORT/status" | "$PY" -c '
import json, sys
print(next(k["stale_since"] for k in json.load(sys.stdin)["kubernetes"] if k["name"] == "mesh-1"))'
}
st=$(status_stale_since) || die "GET /status"
[[ $st == 20* ]] || die "/status stale_since: '$st'"
echo "ok - /status says since when mesh-1 is stale ($st)"
assert_eq "$(grep -c 'serving the state saved at' "$DNSD_LOG")" 1 "the switch to saved state is logged once"
# nothing is written while the source serves saved state
before=$(stat -c %Y.%s "$STATE/mesh-1.state")

# the API returns with different data: one changed, one deleted, one new.
# The rebuilt fake numbers from 1001 again, so one.a comes back with the
# resourceVersion it was saved with and other data: the saved entry must
# be replaced all the same.
cat >"$T/seed.json" <<JSON
{"kind":"ServiceEntryList","apiVersion":"networking.istio.io/v1","metadata":{},"items":[
 $(se_json a one one.a.global 240.0.9.1),
 $(se_json c three three.c.global 240.0.9.3)]}
JSON
start_fakeapi mesh-1 --port "$api_port" --seed-list "$T/seed.json"
expect_answer 40 240.0.9.1 one.a.global
expect_status 5 NXDOMAIN two.b.global
expect_answer 5 240.0.9.3 three.c.global
wait_until 5 is_ready || die "not ready after the API came back"
assert_eq "$(metric 'dnsd_kubernetes_stale{cluster="mesh-1"}')" 0 "no longer stale"
assert_eq "$(metric 'dnsd_kubernetes_synced{cluster="mesh-1"}')" 1 "synced"
assert_eq "$(metric 'dnsd_kubernetes_stale_since_timestamp_seconds{cluster="mesh-1"}')" 0 "stale since: 0"
assert_eq "$(status_stale_since)" None "/status: stale_since null again"
wait_until 5 grep -q 'replaces the saved state' "$DNSD_LOG" || die "the LIST that replaced the saved state was not logged"
echo "ok - the first LIST replacing the saved state is logged"
# and the new state is saved
wait_until 10 saved_with 2 '"three.c.global"' || die "the state file did not follow the API"
assert_not_contains "$(cat "$STATE/mesh-1.state")" '"two.b.global"' "the deleted entry left the state file"
[ "$(stat -c %Y.%s "$STATE/mesh-1.state")" != "$before" ] || die "state file unchanged"
echo "ok - the state file follows the API"
assert_running
