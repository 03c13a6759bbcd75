#!/usr/bin/env bash
# Behind dnsdist (useProxyProtocol=true), each client still gets its own
# view: dnsd takes the client's address from the PROXY v2 header, over UDP
# and over TCP, for the view, for ECS, in the query log and in the per-view
# metrics, exactly as for a direct client. dnsdist's health checks (LOCAL
# headers) are answered from dnsdist's own view. IPv6 clients too.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/proxy.bash"

start_proxied_dnsd "[$DNSDIST_SOURCE]"
start_dnsdist

# view_check ADDR VIEW OCTET: a client at ADDR, through dnsdist
view_check() {
  local addr=$1 view=$2 octet=$3
  assert_contains "$(ddig -b "$addr" view.dnsd CH TXT)" "\"$view\"" "UDP via dnsdist from $addr: view $view"
  assert_eq "$(ddig -b "$addr" +short messenger.default.global A)" "127.127.$octet.69" \
    "UDP via dnsdist from $addr: $view's address"
  assert_contains "$(ddig -b "$addr" +tcp view.dnsd CH TXT)" "\"$view\"" "TCP via dnsdist from $addr: view $view"
  assert_eq "$(ddig -b "$addr" +tcp +short messenger.default.global A)" "127.127.$octet.69" \
    "TCP via dnsdist from $addr: $view's address"
  # the query log names the client, not dnsdist
  wait_until 5 client_logged "$addr" udp "$view" messenger.default.global ||
    die "no UDP query log line for client $addr in view $view"
  echo "ok - the query log names client $addr (UDP)"
  wait_until 5 client_logged "$addr" tcp "$view" messenger.default.global ||
    die "no TCP query log line for client $addr in view $view"
  echo "ok - the query log names client $addr (TCP)"
}
view_check 127.0.0.11 mesh-1 42
view_check 127.0.0.12 mesh-2 43
# a client no view lists: the default view, REFUSED, as when direct
assert_contains "$(ddig -b 127.0.0.13 messenger.default.global A)" "status: REFUSED" \
  "via dnsdist from 127.0.0.13: default view, REFUSED"
assert_not_contains "$(grep -E "client=$DNSDIST_SOURCE#" "$DNSD_LOG" | grep -v 'root-servers' || true)" "view=" \
  "no query is logged as coming from dnsdist itself (except its health checks)"

# ECS still wins over the address when present, as for a direct client
out=$(ddig -b 127.0.0.11 +subnet=10.2.3.0/24 view.dnsd CH TXT)
assert_contains "$out" '"mesh-2"' "ECS 10.2.3.0/24 via dnsdist from mesh-1's address: mesh-2"
assert_contains "$out" "CLIENT-SUBNET: 10.2.3.0/24/24" "... with the scope a direct client gets"

# an IPv6 client: the header carries ::1; no view lists it
out=$(dig -p "$DNSDIST_PORT" @::1 +norec +time=2 +tries=1 view.dnsd CH TXT)
assert_contains "$out" '"default"' "IPv6 client ::1 via dnsdist: the default view"
wait_until 5 client_logged ::1 udp default view.dnsd ||
  die "no query log line for the IPv6 client ::1"
echo "ok - the query log names the IPv6 client ::1"

# dnsdist's health checks carry LOCAL: answered, from dnsdist's own view
wait_until 10 client_logged "$DNSDIST_SOURCE" udp default a.root-servers.net ||
  die "dnsdist's LOCAL health checks were not answered"
echo "ok - dnsdist's health checks (LOCAL) answered in dnsdist's own view"

# metrics: per view as for direct clients, and the PROXY counters
m1=$(metric_sum dnsd_dns_requests_total view=mesh-1 proto=udp type=A)
[ "$m1" -ge 1 ] || die "mesh-1's UDP A counter is '$m1'"
echo "ok - mesh-1's UDP A queries counted in mesh-1 ($m1)"
m2=$(metric_sum dnsd_dns_requests_total view=mesh-2 proto=tcp type=A)
[ "$m2" -ge 1 ] || die "mesh-2's TCP A counter is '$m2'"
echo "ok - mesh-2's TCP A queries counted in mesh-2 ($m2)"
u=$(metric 'dnsd_proxy_headers_total{proto="udp",command="proxy"}')
[ -n "$u" ] && [ "$u" -ge 6 ] || die "PROXY headers over UDP: '$u'"
echo "ok - PROXY headers over UDP counted ($u)"
t=$(metric 'dnsd_proxy_headers_total{proto="tcp",command="proxy"}')
[ -n "$t" ] && [ "$t" -ge 4 ] || die "PROXY headers over TCP: '$t'"
echo "ok - PROXY headers over TCP counted ($t)"
l=$(metric 'dnsd_proxy_headers_total{proto="udp",command="local"}')
[ -n "$l" ] && [ "$l" -ge 1 ] || die "LOCAL headers: '$l'"
echo "ok - LOCAL headers counted ($l)"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="udp",reason="missing"}')" 0 "nothing dropped for a missing header"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="udp",reason="malformed"}')" 0 "nothing dropped as malformed"
assert_running
