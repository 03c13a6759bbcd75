#!/usr/bin/env bash
# GET /status on the admin listener: one JSON document that says, per
# Kubernetes source, whether it synced, the API version in use, the
# resourceVersion, ServiceEntries held and skipped, pieces dropped by reason,
# the last error and when,
# the last event; per view and zone the serial, records, last publication
# and what triggered it; and the reload state. Checked against what the
# test did: a create moves the resourceVersion and the serial, an injected
# 503 becomes the last error, a reload is the last publication's trigger.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
# is WANT CMD...: CMD prints WANT (for wait_until, which runs CMD anew each time)
is() { local want=$1; shift; [ "$("$@")" = "$want" ]; }

start_fakeapi mesh-1
start_k8s_dnsd mesh-1
wait_until 10 is_ready || die "not ready"
status() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/status"; }
# j EXPR: a value from /status (python expression over d)
j() { status | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

out=$(curl -s -D - -o /dev/null "http://127.0.0.1:$HPORT/status")
assert_contains "$out" "Content-Type: application/json" "/status is JSON"
status | "$PY" -m json.tool >/dev/null || die "/status is not valid JSON"
assert_eq "$(j 'd["ready"]')" True "ready"
assert_eq "$(j 'd["version"]')" "$("$DNSD_BIN" -V | awk '{print $2}')" "version"
assert_eq "$(j 'len(d["kubernetes"])')" 1 "one source"
assert_eq "$(j 'd["kubernetes"][0]["name"]')" mesh-1 "source name"
assert_eq "$(j 'd["kubernetes"][0]["synced"]')" True "source synced"
assert_eq "$(j 'd["kubernetes"][0]["api_version"]')" networking.istio.io/v1 "API version discovered"
assert_eq "$(j 'd["kubernetes"][0]["serviceentries"]')" 0 "no ServiceEntries yet"
assert_eq "$(j 'd["kubernetes"][0]["last_error"]')" None "no error yet"
assert_eq "$(j 'd["views"][0]["zones"][0]["name"]')" global. "zone global."
serial0=$(j 'd["views"][0]["zones"][0]["serial"]')
assert_eq "$serial0" "$(serial)" "serial as the SOA says"

se_create mesh-1 default status-svc status-svc.default.global 240.0.0.1
expect_answer 10 240.0.0.1 status-svc.default.global
wait_until 5 is 1 j 'd["kubernetes"][0]["serviceentries"]' || die "/status: serviceentries not 1"
echo "ok - /status: 1 ServiceEntry held"
assert_eq "$(j 'd["kubernetes"][0]["resource_version"]')" "$(fake_state mesh-1 rv)" "resourceVersion as the API's"
assert_eq "$(j 'd["views"][0]["zones"][0]["serial"]')" "$(serial)" "serial follows the change"
assert_eq "$(j 'd["views"][0]["zones"][0]["trigger"]')" "kubernetes mesh-1" "publication triggered by the source"
assert_match "$(j 'd["views"][0]["zones"][0]["published"]')" '^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+(\.[0-9]+)?Z$' "publication time, RFC 3339 UTC"
assert_match "$(j 'd["kubernetes"][0]["last_event"]')" '^20[0-9][0-9]-' "last event time"
records=$(j 'd["views"][0]["zones"][0]["records"]')
[ "$records" -gt 3 ] || die "records: $records"
echo "ok - records: $records"

# a broken ServiceEntry is skipped and counted
fake mesh-1 POST /apis/networking.istio.io/v1/namespaces/default/serviceentries \
  '{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"broken","namespace":"default"},"spec":{"hosts":"not-a-list"}}' >/dev/null
wait_until 10 is 1 j 'd["kubernetes"][0]["skipped"]["total"]' || die "/status: skipped not 1: $(status)"
echo "ok - /status: the broken entry counted as skipped"
# a dropped piece is counted under its reason; the rest of the entry serves
assert_eq "$(j 'd["kubernetes"][0]["dropped"]["cidr"]')" 0 "nothing dropped as cidr yet"
se_create mesh-1 default wide wide.default.global 240.0.0.2 10.0.0.0/24
expect_answer 10 240.0.0.2 wide.default.global
wait_until 10 is 1 j 'd["kubernetes"][0]["dropped"]["cidr"]' || die "/status: dropped cidr not 1: $(status)"
echo "ok - /status: the /24 counted as dropped (cidr)"
assert_eq "$(j 'sorted(d["kubernetes"][0]["dropped"])[0:3]')" "['address-host', 'bad-address', 'bad-host']" "every reason listed"
assert_eq "$(j 'd["kubernetes"][0]["stale_since"]')" None "not serving saved state"

# an API error becomes the last error, with its time
fault mesh-1 '{"kind":"status","code":503,"count":3,"match":"any"}'
fault mesh-1 '{"kind":"drop"}'
last_error_has_503() { j 'd["kubernetes"][0]["last_error"]["message"] if d["kubernetes"][0]["last_error"] else ""' | grep -q 503; }
wait_until 20 last_error_has_503 || die "no 503 as the last error: $(status)"
assert_contains "$(j 'd["kubernetes"][0]["last_error"]["message"]')" "HTTP 503" "last error names the status"
assert_match "$(j 'd["kubernetes"][0]["last_error"]["time"]')" '^20[0-9][0-9]-' "last error has a time"

# a reload is the trigger of the next publication
kill -HUP "$DNSD_PID"
wait_until 10 is 1 j 'd["config"]["reloads"]' || die "/status: reloads not 1"
assert_eq "$(j 'd["config"]["last_reload"]["ok"]')" True "last reload ok"
assert_eq "$(j 'd["views"][0]["zones"][0]["trigger"]')" reload "the reload published the zone"
assert_eq "$(j 'd["lameduck"]')" False "not in lameduck"
