#!/usr/bin/env bash
# Positive A and AAAA answers: the records with the zone's TTL, AA set, no
# authority section (minimal responses), OPT only when asked.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq www.global A)
assert_eq "$(field rcode "$out")" NOERROR "www A: rcode"
assert_eq "$(field answer "$out")" "www.global. 600 IN A 192.0.2.1" "www A: record and TTL 600"
assert_eq "$(field counts "$out")" "1 1 0 1" "www A: counts"
out=$(dnsq www.global AAAA)
assert_eq "$(field answer "$out")" "www.global. 600 IN AAAA 2001:db8::1" "www AAAA: record"
out=$(dnsq --noedns ns1.global AAAA)
assert_eq "$(field answer "$out")" "ns1.global. 300 IN AAAA ::1" "ns1 AAAA (\$TTL 300)"
assert_eq "$(field edns "$out")" none "no OPT in reply to a query without OPT"
assert_eq "$(field counts "$out")" "1 1 0 0" "no-EDNS counts"

assert_eq "$(qshort www.global A)" 192.0.2.1 "dig +short A"
assert_eq "$(qshort www.global AAAA)" 2001:db8::1 "dig +short AAAA"
assert_eq "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +short www.global AAAA)" 2001:db8::1 "kdig +short AAAA"
d=$(drill -p "$DNSD_PORT" www.global A "@$DNSD_ADDR" | grep -v '^;' | grep 'IN')
assert_match "$d" $'^www\.global\.[ \t]+600[ \t]+IN[ \t]+A[ \t]+192\.0\.2\.1$' "drill answer line"
# TCP gives the same answer
out=$(dnsq --tcp www.global A)
assert_eq "$(field answer "$out")" "www.global. 600 IN A 192.0.2.1" "www A over TCP"
assert_eq "$(qdig +tcp +short messenger.default.global A)" 127.127.42.69 "istio example over dig +tcp"
