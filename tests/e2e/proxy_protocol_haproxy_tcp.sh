#!/usr/bin/env bash
# Behind HAProxy in TCP mode with `send-proxy-v2`, each client gets its own
# view over TCP: dnsd reads the PROXY v2 header at the start of the stream,
# then the length-framed DNS messages after it (several on one connection).
# Transfer ACLs (allow-transfer) judge the client too, not HAProxy.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/proxy.bash"

# both views' zone entries may be transferred by 127.0.0.12 only
start_proxied_dnsd "[$DNSDIST_SOURCE, $HAPROXY_SOURCE]" \
  's|^\(    file: [^ ]*mesh-[12]\.global\.zone\).*$|\1\n    allow-transfer: [127.0.0.12]|'
[ "$(grep -c 'allow-transfer: \[127.0.0.12\]' "$T/dnsd.yaml")" = 2 ] || die "the example's zone lines changed; update the sed"
start_haproxy

assert_contains "$(hdig -b 127.0.0.11 view.dnsd CH TXT)" '"mesh-1"' "via HAProxy from 127.0.0.11: view mesh-1"
assert_contains "$(hdig -b 127.0.0.12 view.dnsd CH TXT)" '"mesh-2"' "via HAProxy from 127.0.0.12: view mesh-2"
assert_eq "$(hdig -b 127.0.0.11 +short messenger.default.global A)" 127.127.42.69 "via HAProxy: mesh-1's address"
assert_eq "$(hdig -b 127.0.0.12 +short messenger.default.global A)" 127.127.43.69 "via HAProxy: mesh-2's address"
# 100 addresses are larger than UDP allows; over TCP they arrive whole
assert_eq "$(hdig -b 127.0.0.12 +short big.default.global A | grep -c '^127\.128\.43\.')" 100 \
  "via HAProxy: a large TCP answer, mesh-2's 100 addresses"
assert_contains "$(hdig -b 127.0.0.13 messenger.default.global A)" "status: REFUSED" \
  "via HAProxy from 127.0.0.13: default view, REFUSED"

# several queries on one connection through HAProxy (dig +keepopen)
out=$(hdig -b 127.0.0.12 +keepopen +short messenger.default.global A ratings.default.global A view.dnsd CH TXT)
assert_contains "$out" 127.127.43.69 "one connection: the first answer"
assert_contains "$out" '"mesh-2"' "one connection: the third answer, still mesh-2"

wait_until 5 client_logged 127.0.0.12 tcp mesh-2 big.default.global ||
  die "no query log line naming client 127.0.0.12"
echo "ok - the query log names the client behind HAProxy"
t=$(metric 'dnsd_proxy_headers_total{proto="tcp",command="proxy"}')
[ -n "$t" ] && [ "$t" -ge 6 ] || die "PROXY headers over TCP: '$t'"
echo "ok - PROXY headers over TCP counted ($t)"
# allow-transfer sees the client behind HAProxy (127.0.0.3 itself is not listed)
assert_contains "$(hdig -b 127.0.0.12 global AXFR)" "XFR size" "AXFR via HAProxy from 127.0.0.12: allowed"
out=$(hdig -b 127.0.0.11 global AXFR)
assert_not_contains "$out" "XFR size" "AXFR via HAProxy from 127.0.0.11: refused"
assert_contains "$out" "Transfer failed" "... with a failed transfer"
assert_running
