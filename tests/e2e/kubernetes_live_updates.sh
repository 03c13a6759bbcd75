#!/usr/bin/env bash
# The heart of the mission: ServiceEntries created, modified and deleted at
# the (fake, HTTPS) API server show up in dnsd's answers, with the SOA serial
# bumped on each change; A, AAAA, SRV, wildcard and status.addresses; a broken
# ServiceEntry is skipped, logged and counted while the rest of the zone stands.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1 --seed-list "$K8S_DATA/list-full.json"
# the fixture's db/mysql is exported to [".", "istio-system"] only, which the
# default export-to: require-all does not serve (kubernetes_export_to.sh)
K8S_SOURCE_YAML="export-to: ignore" start_k8s_dnsd mesh-1
wait_until 10 is_ready || die "/ready not 200 after the first LIST"
echo "ok - ready after the first LIST"

# The fixture objects (LIST at start-up)
expect_answer 5 240.0.0.2 httpbin.bar.global
expect_answer 5 "0 0 8000 httpbin.bar.global." _http1._tcp.httpbin.bar.global SRV
expect_answer 5 "0 0 9000 httpbin.bar.global." _tcp2._tcp.httpbin.bar.global SRV
expect_answer 5 2001:db8:f0::10 mysql.db.global AAAA      # the /24 is skipped
expect_status 5 NOERROR mysql.db.global A                  # ... NODATA, not NXDOMAIN
expect_answer 5 "" mysql.db.global A
expect_status 5 NXDOMAIN nosuch.bar.global
# zones/global.zone's static record stays
expect_answer 5 127.127.42.69 messenger.default.global

s0=$(serial)
# create (watch ADDED)
se_create mesh-1 shop cart cart.shop.global 240.0.0.30 2001:db8::30
expect_answer 5 240.0.0.30 cart.shop.global
expect_answer 5 2001:db8::30 cart.shop.global AAAA
expect_answer 5 "0 0 3000 cart.shop.global." _http1._tcp.cart.shop.global SRV
s1=$(serial)
[ "$s1" -gt "$s0" ] || die "serial did not increase on a change: $s0 -> $s1"
echo "ok - SOA serial bumped ($s0 -> $s1)"

# modify (MODIFIED): new address replaces the old one, nothing stale
se_replace mesh-1 shop cart cart.shop.global 240.0.0.31
expect_answer 5 240.0.0.31 cart.shop.global
expect_answer 5 "" cart.shop.global AAAA
[ "$(serial)" -gt "$s1" ] || die "serial did not increase on MODIFIED"
echo "ok - serial bumped again"

# the same host in two entries: the union, deleting one keeps the other
se_create mesh-1 shop cart-b cart.shop.global 240.0.0.32
expect_answer 5 $'240.0.0.31\n240.0.0.32' cart.shop.global
se_delete mesh-1 shop cart
expect_answer 5 240.0.0.32 cart.shop.global
se_delete mesh-1 shop cart-b
expect_status 5 NXDOMAIN cart.shop.global
expect_status 5 NXDOMAIN _http1._tcp.cart.shop.global SRV

# wildcard host
se_create mesh-1 shop star '*.api.shop.global' 240.0.0.40
expect_answer 5 240.0.0.40 anything.api.shop.global
expect_answer 5 240.0.0.40 other.api.shop.global

# status.addresses when spec.addresses is empty (Istio auto-allocated VIPs)
fake mesh-1 POST /apis/networking.istio.io/v1/namespaces/auto/serviceentries \
  '{"metadata":{"name":"auto","namespace":"auto"},"spec":{"hosts":["auto.auto.global"],"resolution":"DNS"},"status":{"addresses":[{"value":"240.240.0.7","host":"auto.auto.global"}]}}' >/dev/null ||
  die "create auto"
expect_answer 5 240.240.0.7 auto.auto.global

# a broken entry: skipped, logged with namespace/name, counted; the rest stands
skipped0=$(metric 'dnsd_kubernetes_serviceentries_skipped_total{cluster="mesh-1"}')
fake mesh-1 POST /apis/networking.istio.io/v1/namespaces/bad/serviceentries \
  '{"metadata":{"name":"broken","namespace":"bad"},"spec":{"hosts":"not-a-list","addresses":[42]}}' >/dev/null ||
  die "create broken"
se_create mesh-1 shop after after.shop.global 240.0.0.50
expect_answer 5 240.0.0.50 after.shop.global
wait_until 5 grep -q 'bad/broken' "$DNSD_LOG" || die "no log line names bad/broken"
echo "ok - the broken entry is logged by namespace/name"
skipped1=$(metric 'dnsd_kubernetes_serviceentries_skipped_total{cluster="mesh-1"}')
[ "${skipped1:-0}" -gt "${skipped0:-0}" ] || die "skipped counter did not move: $skipped0 -> $skipped1"
echo "ok - dnsd_kubernetes_serviceentries_skipped_total $skipped0 -> $skipped1"
expect_answer 5 240.0.0.2 httpbin.bar.global

# watch metrics moved
ev=$(metric 'dnsd_kubernetes_events_total{cluster="mesh-1",type="ADDED"}')
[ "${ev:-0}" -ge 5 ] || die "events metric: $ev"
echo "ok - dnsd_kubernetes_events_total{type=ADDED} = $ev"
assert_running
