#!/usr/bin/env bash
# Nothing is dropped silently: every piece of a ServiceEntry dnsd cannot
# serve (a CIDR, a bad address, a host that is not a DNS name or is "*", a
# port out of range, a port name that is no DNS label, a host outside every
# served zone, a whole malformed entry) is logged at warn, once per object
# generation, with cluster, namespace/name, field path and reason, and
# counted in dnsd_kubernetes_dropped_total{cluster,reason}. The rest of the
# entry is served.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

messy='{"hosts":["messy.default.global","Not A Host","*","other.example.com"],
        "addresses":["240.0.5.1","10.0.0.0/24","not-an-ip",42,"2001:db8::/64"],
        "resolution":"STATIC",
        "ports":[{"name":"http","number":70000,"protocol":"HTTP"},
                 {"name":"HTTP_X","number":81,"protocol":"HTTP"},
                 {"name":"ok","number":82,"protocol":"TCP"}]}'
start_fakeapi mesh-1
se_put mesh-1 default messy "$messy"   # generation 1 (the fake API server keeps generations as the real one)
se_put mesh-1 default broken '{"hosts":"messy.default.global"}'

k8s_dnsd --zone "{name: global, ttl: 30, kubernetes: [mesh-1]}" --kubernetes "$(k8s_source mesh-1)" --log info
wait_until 15 is_ready || die "not ready"

expect_answer 5 240.0.5.1 messy.default.global
expect_answer 5 "0 0 82 messy.default.global." _ok._tcp.messy.default.global SRV
assert_eq "$(qstatus messy.default.global AAAA)" NOERROR "the /64 gives no AAAA (NODATA)"

# field path, value and reason of each piece; the whole entry "broken"
PIECES=(
  "spec.hosts[1]|Not A Host|bad-host"
  "spec.hosts[2]|*|wildcard-host"
  "spec.hosts[3]|other.example.com|out-of-zone"
  "spec.addresses[1]|10.0.0.0/24|cidr"
  "spec.addresses[2]|not-an-ip|bad-address"
  "spec.addresses[3]|42|bad-address"
  "spec.addresses[4]|2001:db8::/64|cidr"
  "spec.ports[0].number|70000|port-range"
  "spec.ports[1].name|HTTP_X|port-name"
)
for p in "${PIECES[@]}"; do
  IFS='|' read -r path value reason <<<"$p"
  expect_log 5 "warn: kubernetes mesh-1: ServiceEntry default/messy" "$path" "$value" "$reason"
  assert_eq "$(log_count "ServiceEntry default/messy" "$path" "$reason")" 1 "... logged once"
done
expect_log 5 "warn: kubernetes mesh-1: ServiceEntry default/broken" "spec.hosts" "malformed"
declare -A want=([bad-host]=1 [wildcard-host]=1 [out-of-zone]=1 [cidr]=2 [bad-address]=2 [port-range]=1 [port-name]=1 [malformed]=1)
for r in "${!want[@]}"; do expect_dropped 5 mesh-1 "$r" "${want[$r]}"; done

# a relist (history compacted, the watch gets 410) sees the same objects:
# nothing new is logged or counted
relists=$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')
fault mesh-1 '{"kind":"gone","stream":true}'
_relisted() { [ "$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')" -gt "$relists" ]; }
wait_until 10 _relisted || die "no relist"
se_put mesh-1 default marker '{"hosts":["marker.default.global"],"addresses":["240.0.5.9"]}'
expect_answer 5 240.0.5.9 marker.default.global
for r in "${!want[@]}"; do assert_eq "$(dropped mesh-1 "$r")" "${want[$r]}" "relist: $r not counted again"; done
assert_eq "$(log_count "ServiceEntry default/messy" "spec.addresses[1]" cidr)" 1 "relist: not logged again"

# a status-only update keeps the generation: not logged again
se_put mesh-1 default messy "$messy" '{"conditions":[{"type":"Reconciled","status":"True"}]}'
se_put mesh-1 default marker '{"hosts":["marker.default.global"],"addresses":["240.0.5.10"]}'
expect_answer 5 240.0.5.10 marker.default.global
assert_eq "$(log_count "ServiceEntry default/messy" "spec.addresses[1]" cidr)" 1 "status-only update: not logged again"
assert_eq "$(dropped mesh-1 cidr)" 2 "... nor counted"

assert_eq "$(log_count "ServiceEntry default/messy (generation 1)")" 9 "each line names the generation"
# a new generation (a spec change) is logged and counted again
se_put mesh-1 default messy "${messy/\"240.0.5.1\"/\"240.0.5.1\",\"240.0.5.2\"}"
_gen2_logged() { [ "$(log_count "ServiceEntry default/messy (generation 2)" "spec.addresses[2]" cidr)" = 1 ]; }
wait_until 5 _gen2_logged || die "generation 2 was not logged"
echo "ok - generation 2 logged again (the CIDR is spec.addresses[2] now)"
expect_dropped 5 mesh-1 cidr 4
expect_answer 5 $'240.0.5.1\n240.0.5.2' messy.default.global
assert_running
