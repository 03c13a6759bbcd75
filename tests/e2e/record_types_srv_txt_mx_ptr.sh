#!/usr/bin/env bash
# SRV (RFC 2782) with in-zone target addresses in additional, TXT with one and
# several strings, MX, and PTR names.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq _http._tcp.svc.global SRV)
assert_eq "$(field answer "$out" | sort)" $'_http._tcp.svc.global. 300 IN SRV 10 60 8080 www.global.\n_http._tcp.svc.global. 300 IN SRV 20 40 8080 backend.svc.global.' "SRV RRset"
assert_eq "$(field additional "$out" | sort)" $'backend.svc.global. 300 IN A 192.0.2.50\nwww.global. 600 IN A 192.0.2.1\nwww.global. 600 IN AAAA 2001:db8::1' "SRV targets' addresses"
out=$(dnsq _http1._tcp.messenger.default.global SRV)
assert_eq "$(field answer "$out")" "_http1._tcp.messenger.default.global. 300 IN SRV 0 0 3000 messenger.default.global." "istio SRV"
assert_eq "$(field additional "$out")" "messenger.default.global. 300 IN A 127.127.42.69" "istio SRV target A"

out=$(dnsq txt.global TXT)
assert_eq "$(field answer "$out" | sort)" $'txt.global. 300 IN TXT "hello world"\ntxt.global. 300 IN TXT "two" "strings"' "TXT records"
assert_eq "$(qdig +short global TXT)" '"dnsd e2e test zone"' "dig: apex TXT"

out=$(dnsq 1.2.0.192.in-addr.global PTR)
assert_eq "$(field answer "$out")" "1.2.0.192.in-addr.global. 300 IN PTR www.global." "PTR"
assert_eq "$(field additional "$out")" "" "PTR: no additional processing"
assert_eq "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +short 2.2.0.192.in-addr.global PTR)" mail.global. "kdig PTR"

out=$(dnsq mxheavy.global MX)
assert_eq "$(field answer "$out" | wc -l)" 10 "10 MX records"
assert_eq "$(field additional "$out" | wc -l)" 20 "their 20 addresses in additional"
d=$(drill -p "$DNSD_PORT" _http._tcp.svc.global SRV "@$DNSD_ADDR")
assert_match "$d" 'ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 3' "drill: SRV counts"
