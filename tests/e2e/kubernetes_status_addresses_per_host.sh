#!/usr/bin/env bash
# Istio's auto-allocated VIPs (status.addresses) belong to their host: a
# multi-host entry gives each host its own address, not every host every
# address. An element without host applies to every host; spec.addresses,
# when present, wins over status.addresses; an element naming a host the
# entry does not have is dropped, logged and counted.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
ports='"ports":[{"name":"http","number":80,"protocol":"HTTP"}]'
se_put mesh-1 default multi \
  '{"hosts":["a.default.global","b.default.global","c.default.global"],"location":"MESH_INTERNAL","resolution":"DNS",'"$ports"'}' \
  '{"addresses":[{"host":"a.default.global","value":"240.240.0.5"},
                 {"host":"b.default.global","value":"240.240.0.6"},
                 {"host":"b.default.global","value":"2001:db8::6"},
                 {"value":"240.240.0.9"},
                 {"host":"zzz.default.global","value":"240.240.0.99"}]}'
se_put mesh-1 default both \
  '{"hosts":["both.default.global"],"addresses":["240.1.1.1"],"resolution":"DNS",'"$ports"'}' \
  '{"addresses":[{"host":"both.default.global","value":"240.240.0.77"}]}'
# the shape istiod writes for an entry without spec.addresses: one per host and family
se_put mesh-1 istio-system auto \
  '{"hosts":["x.istio-system.global","y.istio-system.global"],"resolution":"DNS",'"$ports"'}' \
  '{"addresses":[{"host":"x.istio-system.global","value":"240.240.1.1"},{"host":"x.istio-system.global","value":"2001:2::1"},
                 {"host":"y.istio-system.global","value":"240.240.1.2"},{"host":"y.istio-system.global","value":"2001:2::2"}]}'

k8s_dnsd --zone "{name: global, ttl: 30, kubernetes: [mesh-1]}" --kubernetes "$(k8s_source mesh-1)"
wait_until 15 is_ready || die "not ready"

expect_answer 5 $'240.240.0.5\n240.240.0.9' a.default.global
expect_answer 5 $'240.240.0.6\n240.240.0.9' b.default.global
expect_answer 5 240.240.0.9 c.default.global
expect_answer 5 2001:db8::6 b.default.global AAAA
assert_eq "$(qstatus a.default.global AAAA)/$(qshort a.default.global AAAA)" NOERROR/ "a has no AAAA of b's (NODATA)"
expect_status 5 NXDOMAIN zzz.default.global
expect_answer 5 240.1.1.1 both.default.global
echo "ok - spec.addresses wins over status.addresses"
expect_answer 5 240.240.1.1 x.istio-system.global
expect_answer 5 240.240.1.2 y.istio-system.global
expect_answer 5 2001:2::1 x.istio-system.global AAAA
expect_answer 5 2001:2::2 y.istio-system.global AAAA

expect_log 5 "warn: kubernetes mesh-1: ServiceEntry default/multi" "status.addresses[4].host" "zzz.default.global" "address-host"
expect_dropped 5 mesh-1 address-host 1

# the allocator moves a's address: only a changes
se_put mesh-1 default multi \
  '{"hosts":["a.default.global","b.default.global","c.default.global"],"location":"MESH_INTERNAL","resolution":"DNS",'"$ports"'}' \
  '{"addresses":[{"host":"a.default.global","value":"240.240.0.15"},{"host":"b.default.global","value":"240.240.0.6"}]}'
expect_answer 5 240.240.0.15 a.default.global
expect_answer 5 240.240.0.6 b.default.global
expect_answer 5 "" c.default.global A
assert_eq "$(qstatus c.default.global A)" NOERROR "c, now without an address, is NODATA (its SRV name lies below)"
expect_answer 5 '0 0 80 c.default.global.' _http._tcp.c.default.global SRV
assert_running
