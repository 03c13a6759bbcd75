#!/usr/bin/env bash
# A socket bound to a wildcard address (0.0.0.0, [::]) learns each query's
# destination from IP_PKTINFO / IPV6_PKTINFO: views by match-destinations
# work on it, and every reply leaves from the address the query was sent to
# (dig drops a reply from another source: "reply from unexpected source").
# Sockets bound to one address skip those control messages (dnsd/server/socket.c), so
# this is the only test of that path.
. "$(dirname "$0")/lib.sh"

P=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --listen "0.0.0.0:$P" --listen "[::]:$P" \
  --zone "{name: global, file: $REPO/conf/examples/zones/mesh-1.global.zone, views: [mesh-1]}" \
  --zone "{name: global, file: $REPO/conf/examples/zones/mesh-2.global.zone, views: [mesh-2, v6]}" \
  --view "{name: mesh-1, match-destinations: [\"127.0.0.21:$P\"]}" \
  --view "{name: mesh-2, match-destinations: [\"127.0.0.22:$P\"]}" \
  --view "{name: v6, match-destinations: [\"[::1]:$P\"]}" \
  --view "{name: other, match-clients: [any], zones: []}" \
  --query-log --chaos
DNSD_ADDR=127.0.0.21
start_dnsd "$T/dnsd.yaml"

for try in udp tcp; do
  opt=; [ $try = tcp ] && opt=+tcp
  DNSD_ADDR=127.0.0.21
  assert_eq "$(qdig $opt +short view.dnsd CH TXT)" '"mesh-1"' "$try to 127.0.0.21: view mesh-1"
  assert_eq "$(qdig $opt +short messenger.default.global)" 127.127.42.69 "$try to 127.0.0.21: mesh-1's data"
  DNSD_ADDR=127.0.0.22
  assert_eq "$(qdig $opt +short view.dnsd CH TXT)" '"mesh-2"' "$try to 127.0.0.22: view mesh-2"
  assert_eq "$(qdig $opt +short messenger.default.global)" 127.127.43.69 "$try to 127.0.0.22: mesh-2's data"
  DNSD_ADDR=::1
  assert_eq "$(qdig $opt +short view.dnsd CH TXT)" '"v6"' "$try to ::1: view v6"
  DNSD_ADDR=127.0.0.23
  assert_eq "$(qstatus $opt messenger.default.global)" REFUSED "$try to 127.0.0.23: no view serves it"
done

# the reply's source address, checked without dig's own filtering
"$PY" - "$P" <<'PY' || die "a UDP reply left from the wrong address"
import socket, sys
import dnsq
port = int(sys.argv[1])
q = dnsq.query_wire("messenger.default.global", "A", edns=False, qid=7)
for dst in ("127.0.0.21", "127.0.0.22", "127.0.0.23"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q, (dst, port))
    data, src = s.recvfrom(512)
    assert src == (dst, port), (dst, src)
    print("ok - the reply to %s came from %s:%d" % (dst, *src))
PY
assert_running
