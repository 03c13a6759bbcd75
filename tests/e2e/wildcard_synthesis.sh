#!/usr/bin/env bash
# RFC 4592 wildcards: "*.wild.global" answers for names below wild.global
# that do not exist, at any depth, with the owner set to the query name (as
# spelled); types it lacks are NODATA; an existing name blocks the wildcard
# for itself and for names below it (closest encloser without a wildcard).
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq foo.wild.global A)
assert_eq "$(field rcode "$out") $(field flags "$out")" "NOERROR qr aa" "foo.wild A: NOERROR AA"
assert_eq "$(field answer "$out")" "foo.wild.global. 300 IN A 192.0.2.99" "foo.wild A: synthesised, owner = qname"
out=$(dnsq a.b.c.wild.global TXT)
assert_eq "$(field answer "$out")" 'a.b.c.wild.global. 300 IN TXT "synthesised"' "deep name: synthesised TXT"
out=$(dnsq Foo.WILD.global A)
assert_eq "$(field answer "$out")" "Foo.WILD.global. 300 IN A 192.0.2.99" "synthesised owner keeps the query's case"
out=$(dnsq foo.wild.global AAAA)
assert_eq "$(field rcode "$out") $(field counts "$out")" "NOERROR 1 0 1 1" "type missing at the wildcard: NODATA"
assert_match "$(field authority "$out")" '^global\. 120 IN SOA ' "wildcard NODATA: SOA"

out=$(dnsq explicit.wild.global A)
assert_eq "$(field answer "$out")" "explicit.wild.global. 300 IN A 192.0.2.100" "explicit name beats the wildcard"
out=$(dnsq explicit.wild.global TXT)
assert_eq "$(field rcode "$out") $(field answer "$out")" "NOERROR " "explicit name lacks TXT: NODATA, not the wildcard's TXT"
out=$(dnsq below.explicit.wild.global A)
assert_eq "$(field rcode "$out")" NXDOMAIN "below an existing name: NXDOMAIN (RFC 4592 §3.3.1)"

out=$(dnsq '*.wild.global' A)
assert_eq "$(field answer "$out")" "*.wild.global. 300 IN A 192.0.2.99" "the wildcard owner itself"
out=$(dnsq x.global A)
assert_eq "$(field rcode "$out")" NXDOMAIN "no wildcard at the apex: NXDOMAIN"

assert_eq "$(qshort random-$RANDOM.wild.global A)" 192.0.2.99 "dig: random label synthesised"
assert_eq "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +short x.y.wild.global TXT)" '"synthesised"' "kdig: TXT"
d=$(drill -p "$DNSD_PORT" zz.wild.global A "@$DNSD_ADDR")
assert_match "$d" $'zz\.wild\.global\.[ \t]+300[ \t]+IN[ \t]+A[ \t]+192\.0\.2\.99' "drill: synthesised A"
