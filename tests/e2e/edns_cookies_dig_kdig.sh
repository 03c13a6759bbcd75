#!/usr/bin/env bash
# DNS Cookies (RFC 7873, server cookies of RFC 9018) with the default
# cookie-require: false: every reply to a cookie carries a fresh 16-byte
# server cookie after the client's, which dig and kdig accept; a wrong
# server cookie is not an error (answered, new cookie); a malformed COOKIE
# option is FORMERR (§5.2.2); without a cookie, no COOKIE comes back.
# Counted by verdict.
. "$(dirname "$0")/lib.sh"
HPORT=$(free_port) || die "no free port"
serve_test_zone --http "127.0.0.1:$HPORT"
metric() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
cookie_of() { sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' <<<"$1"; }

d=$(qdig +cookie www.global A)
assert_contains "$d" "status: NOERROR" "dig +cookie: NOERROR"
assert_match "$d" "; COOKIE: [0-9a-f]{16}01000000[0-9a-f]{24} \(good\)" "dig +cookie: our RFC 9018 cookie, and dig calls it good"
c=$(cookie_of "$d")
for proto in +notcp +tcp; do
  d=$(qdig $proto +cookie="$c" www.global A)
  assert_contains "$d" "192.0.2.1" "$proto dig +cookie=<the server cookie>: answered"
  assert_contains "$d" "(good)" "$proto ... with a fresh good cookie"
done
# a server cookie dnsd never made: answered all the same (cookie-require off), fresh cookie
d=$(qdig +cookie=0102030405060708010000005cf79f111f8130c3eee29480 www.global A)
assert_contains "$d" "status: NOERROR" "dig +cookie=<wrong server cookie>: NOERROR"
assert_match "$d" "; COOKIE: 0102030405060708010000" "... with a fresh cookie after the client's"
assert_not_contains "$(cookie_of "$d")" "5cf79f111f8130c3eee29480" "... not the wrong one echoed"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec +cookie www.global A)
assert_contains "$k" "status: NOERROR" "kdig +cookie: NOERROR"
assert_match "$k" ";; COOKIE: [0-9A-F]{16}01000000[0-9A-F]{24}" "kdig +cookie: a server cookie"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec +tcp +cookie www.global A)
assert_match "$k" ";; COOKIE: [0-9A-F]{48}" "kdig +tcp +cookie: a server cookie"
assert_not_contains "$(qdig +nocookie www.global A)" "COOKIE:" "dig +nocookie: no COOKIE back"

out=$(dnsq --opt 10:01020304050607 www.global A)
assert_eq "$(field rcode "$out")" FORMERR "a 7-byte COOKIE: FORMERR (RFC 7873 §5.2.2)"
out=$(dnsq --opt 10:0102030405060708090a0b0c www.global A)
assert_eq "$(field rcode "$out")" FORMERR "a 12-byte COOKIE (server part under 8): FORMERR"

n=$(metric 'dnsd_dns_cookies_total{verdict="client_only"}')
[ "${n:-0}" -ge 3 ] || die "client_only cookies counted '$n'"
assert_eq "$(metric 'dnsd_dns_cookies_total{verdict="valid"}')" 2 "valid cookies counted (UDP, TCP)"
assert_eq "$(metric 'dnsd_dns_cookies_total{verdict="invalid"}')" 1 "invalid cookie counted"
assert_eq "$(metric dnsd_dns_badcookie_total)" 0 "no BADCOOKIE without cookie-require"
