#!/usr/bin/env bash
# Apex data: SOA with its own TTL; NS with the in-zone addresses of the name
# servers in the additional section (RFC 1034 §4.3.2 step 6); MX with the
# mail host's address; positive answers carry no authority section.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq global SOA)
assert_eq "$(field answer "$out")" \
  "global. 120 IN SOA ns1.global. hostmaster.global. 2026112401 3600 600 86400 600" "SOA at the apex, TTL 120"
assert_eq "$(field flags "$out")" "qr aa" "SOA: AA"
assert_eq "$(field counts "$out")" "1 1 0 1" "SOA: counts"

out=$(dnsq global NS)
assert_eq "$(field answer "$out" | sort)" $'global. 300 IN NS ns1.global.\nglobal. 300 IN NS ns2.global.' "NS RRset"
assert_eq "$(field authority "$out")" "" "NS: no authority"
assert_eq "$(field additional "$out" | sort)" \
  $'ns1.global. 300 IN A 127.0.0.1\nns1.global. 300 IN AAAA ::1\nns2.global. 300 IN A 127.0.0.2' "NS: glue A/AAAA in additional"
assert_eq "$(field counts "$out")" "1 2 0 4" "NS: counts (3 glue + OPT)"

out=$(dnsq global MX)
assert_eq "$(field answer "$out")" "global. 300 IN MX 10 mail.global." "MX at the apex"
assert_eq "$(field additional "$out")" "mail.global. 300 IN A 192.0.2.25" "MX target address in additional"

assert_eq "$(qdig +short global NS | sort | tr '\n' ' ')" "ns1.global. ns2.global. " "dig +short NS"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec global NS)
assert_match "$k" 'ANSWER: 2; AUTHORITY: 0; ADDITIONAL: 3' "kdig: NS counts"
d=$(drill -p "$DNSD_PORT" global SOA "@$DNSD_ADDR")
assert_contains "$d" "2026112401 3600 600 86400 600" "drill: SOA rdata"
