#!/usr/bin/env bash
# RFC 6891 §7: a query with OPT gets OPT back in every reply, whatever the
# rcode, advertising our payload size (1232); without OPT none comes back.
# DO is accepted and echoed (RFC 3225 §3) without DNSSEC data; unknown
# options are ignored and not echoed (§6.1.2); a valid ECS option is echoed
# with its family, source length and address (RFC 7871 §7.2.1).
. "$(dirname "$0")/lib.sh"
serve_test_zone

for q in "www.global A NOERROR" "v4only.global AAAA NOERROR" "nope.global A NXDOMAIN" "sub.global A NOERROR" "big.global A NOERROR"; do
  set -- $q
  out=$(dnsq --bufsize 4096 "$1" "$2")
  assert_eq "$(field rcode "$out")" "$3" "$1 $2: $3"
  assert_eq "$(field edns "$out")" "version=0 payload=1232 do=0 options=" "$1 $2: OPT, payload 1232"
  out=$(dnsq --noedns "$1" "$2")
  assert_eq "$(field edns "$out")" none "$1 $2 without EDNS: no OPT"
done
# REFUSED outside every zone: OPT, with the Extended DNS Error Not Authoritative (RFC 8914 §4.21)
out=$(dnsq --bufsize 4096 example.com A)
assert_eq "$(field rcode "$out")" REFUSED "example.com A: REFUSED"
assert_match "$(field edns "$out")" '^version=0 payload=1232 do=0 options=15:0014' "example.com A: OPT with EDE 20"
out=$(dnsq --noedns example.com A)
assert_eq "$(field edns "$out")" none "example.com A without EDNS: no OPT"
out=$(dnsq --do www.global A)
assert_eq "$(field edns "$out")" "version=0 payload=1232 do=1 options=" "DO echoed"
assert_eq "$(field answer "$out")" "www.global. 600 IN A 192.0.2.1" "DO: plain answer, no RRSIG"
out=$(dnsq --opt 65001:c0ffee --opt 10:0102030405060708 www.global A)
assert_eq "$(field rcode "$out")" NOERROR "unknown option and cookie: NOERROR"
assert_match "$(field edns "$out")" '^version=0 payload=1232 do=0 options=10:0102030405060708[0-9a-f]{32}$' \
  "unknown option not echoed; the client cookie comes back with a server cookie (RFC 7873 §5.2.3)"
# ECS 192.0.2.0/24: family 1, source 24, scope 0
out=$(dnsq --opt 8:00011800c00002 www.global A)
assert_eq "$(field rcode "$out")" NOERROR "ECS: NOERROR"
assert_match "$(field edns "$out")" 'options=8:00011800c00002$|options=8:000118[0-9a-f]{2}c00002$' "ECS echoed: family, source, address"
d=$(qdig +subnet=192.0.2.0/24 www.global A)
assert_contains "$d" "CLIENT-SUBNET: 192.0.2.0/24" "dig +subnet: echoed"
assert_contains "$(qdig +nsid www.global A)" "status: NOERROR" "dig +nsid (unanswered option): NOERROR"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +dnssec www.global A)
assert_contains "$k" "EDNS PSEUDOSECTION:" "kdig +dnssec: OPT present"
assert_contains "$k" "flags: do" "kdig: DO echoed"
