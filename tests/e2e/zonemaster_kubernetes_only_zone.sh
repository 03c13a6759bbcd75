#!/usr/bin/env bash
# Zonemaster (zonemaster-cli, offline) reports no CRITICAL, ERROR or WARNING,
# and DNSViz (dnsviz probe + grok) no error or warning, for zones that have
# only Kubernetes data: no zone file, so dnsd makes the apex SOA and NS itself.
#  - zone global, no nameservers: key: the synthesized ns1.global/ns2.global,
#    one per address dnsd listens on, with their A records in the zone;
#  - zone mesh with nameservers: (in-zone names with addresses as glue).
# Both run as real port-53 nameservers in a network namespace of their own,
# delegated from a fake root (NSD), with PTRs for their addresses
# (tests/e2e/netns.bash). The fake API server runs in the namespace too.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
. "$E2E_DIR/netns.bash"

netns_require zonemaster-cli dnsviz curl
netns_create
netns_addr 11.53.0.53 ns1.global
netns_addr 11.53.0.54 ns2.global
netns_addr 11.53.0.55 dns-a.mesh
netns_addr 11.53.0.56 dns-b.mesh
netns_delegate global ns1.global 11.53.0.53 ns2.global 11.53.0.54
netns_delegate mesh dns-a.mesh 11.53.0.55 dns-b.mesh 11.53.0.56
netns_root_start

netns_k8s
start_fakeapi mesh-1
se_create mesh-1 default messenger messenger.default.global 240.0.0.7
se_create mesh-1 default messenger-mesh messenger.default.mesh 240.0.0.8

dnsd_config() {   # FILE HPORT ZONE-YAML LISTEN...: port 53 on the namespace's addresses
  local file=$1 hport=$2 zone=$3 l listen=(); shift 3
  for l in "$@"; do listen+=(--listen "$l"); done
  write_config "$file" "${listen[@]}" --zone "$zone" --kubernetes "$(k8s_source mesh-1)" --log debug \
    --http "127.0.0.1:$hport"
}

# global: nothing but Kubernetes and the addresses it listens on
dnsd_config "$T/global.yaml" 8053 "{name: global, ttl: 30, kubernetes: [mesh-1]}" 11.53.0.53:53 11.53.0.54:53
HPORT=8053
netns_start_dnsd "$T/global.yaml"
wait_until 15 is_ready || die "dnsd (global) not ready"
assert_eq "$(netns_dig +short @11.53.0.53 messenger.default.global A)" 240.0.0.7 "global serves the ServiceEntry"
assert_eq "$(netns_dig +short @11.53.0.53 global NS | sort | tr '\n' ' ')" "ns1.global. ns2.global. " \
  "synthesized apex NS: one name per listen address"
assert_eq "$(netns_dig +short @11.53.0.54 ns2.global A)" 11.53.0.54 "... and each resolves, in the zone"
assert_match "$(netns_dig +short @11.53.0.53 global SOA)" '^ns1\.global\. ' "SOA MNAME is the first of them"

# mesh: nameservers given in the configuration
dnsd_config "$T/mesh.yaml" 8054 "{name: mesh, ttl: 30, kubernetes: [mesh-1], nameservers: [
  {name: dns-a.mesh, addresses: [11.53.0.55]}, {name: dns-b.mesh, addresses: [11.53.0.56]}]}" \
  11.53.0.55:53 11.53.0.56:53
HPORT=8054
netns_start_dnsd "$T/mesh.yaml"
wait_until 15 is_ready || die "dnsd (mesh) not ready"
assert_eq "$(netns_dig +short @11.53.0.55 messenger.default.mesh A)" 240.0.0.8 "mesh serves the ServiceEntry"
assert_eq "$(netns_dig +short @11.53.0.55 mesh NS | sort | tr '\n' ' ')" "dns-a.mesh. dns-b.mesh. " \
  "apex NS from nameservers:"
assert_eq "$(netns_dig +short @11.53.0.56 dns-b.mesh A)" 11.53.0.56 "... with their addresses in the zone"

for zone in global mesh; do
  zonemaster "$zone" | grep -vE '^ +[0-9.]+ +INFO '
  report=$T/zonemaster.$zone.txt
  grep -q 'Using version' "$report" || die "zonemaster did not run for $zone"
  errors=$(zonemaster_count ERROR "$report")
  critical=$(zonemaster_count CRITICAL "$report")
  warnings=$(zonemaster_count WARNING "$report")
  assert_eq "$critical/$errors/$warnings" 0/0/0 \
    "zonemaster: no CRITICAL, ERROR or WARNING (critical/error/warning) for the Kubernetes-only zone $zone"
  out=$(dnsviz_check "$zone") || die "dnsviz failed for $zone: $out"
  [ -n "$out" ] && echo "$out"
  assert_eq "$(dnsviz_count error "$out")/$(dnsviz_count warning "$out")" 0/0 \
    "dnsviz grok: no error or warning (error/warning) for the Kubernetes-only zone $zone"
done
