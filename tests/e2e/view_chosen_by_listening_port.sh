#!/usr/bin/env bash
# Views by listening address (match-destinations): one dnsd listening on two
# ports, one per cluster, answers each port from its own view and its own
# copy of the zone, whatever the client's address. For forwarders that
# cannot pin a source address, give each cluster its own port (or address).
. "$(dirname "$0")/lib.sh"

P1=$(free_port) || die "no free port"
P2=$(free_port) || die "no free port"
[ "$P1" != "$P2" ] || P2=$(free_port)
[ "$P1" != "$P2" ] || die "no second free port"
write_config "$T/dnsd.yaml" --port "$P1" --port "$P2" \
  --zone "{name: global, file: $REPO/conf/examples/zones/mesh-1.global.zone, views: [mesh-1]}" \
  --zone "{name: global, file: $REPO/conf/examples/zones/mesh-2.global.zone, views: [mesh-2]}" \
  --view "{name: mesh-1, match-destinations: [\"127.0.0.1:$P1\"]}" \
  --view "{name: mesh-2, match-destinations: [\"127.0.0.1:$P2\"]}" \
  --query-log --chaos
DNSD_PORT=$P1
start_dnsd "$T/dnsd.yaml"

for src in 127.0.0.11 127.0.0.12; do
  DNSD_PORT=$P1
  assert_eq "$(qdig -b $src +short view.dnsd CH TXT)" '"mesh-1"' "port $P1 from $src: view mesh-1"
  assert_eq "$(qdig -b $src +short messenger.default.global)" 127.127.42.69 "port $P1 from $src: mesh-1's data"
  assert_eq "$(qdig -b $src +tcp +short _http1._tcp.messenger.default.global SRV)" \
    "0 0 3000 messenger.default.global." "port $P1 over TCP from $src: mesh-1's SRV"
  DNSD_PORT=$P2
  assert_eq "$(qdig -b $src +short view.dnsd CH TXT)" '"mesh-2"' "port $P2 from $src: view mesh-2"
  assert_eq "$(qdig -b $src +short messenger.default.global)" 127.127.43.69 "port $P2 from $src: mesh-2's data"
  assert_eq "$(qdig -b $src +tcp +short _http1._tcp.messenger.default.global SRV)" \
    "0 0 3001 messenger.default.global." "port $P2 over TCP from $src: mesh-2's SRV"
done
