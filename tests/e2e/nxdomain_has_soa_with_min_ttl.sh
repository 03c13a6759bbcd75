#!/usr/bin/env bash
# NXDOMAIN carries the SOA in authority with TTL = min(SOA TTL, SOA MINIMUM)
# (RFC 2308 §3 and §5), checked in both directions: the test zone has SOA TTL
# 120 < MINIMUM 600, a second zone written here has SOA TTL 3600 > MINIMUM 45.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq nope.global A)
assert_eq "$(field rcode "$out")" NXDOMAIN "nope.global: NXDOMAIN"
assert_eq "$(field flags "$out")" "qr aa" "NXDOMAIN: AA"
assert_eq "$(field counts "$out")" "1 0 1 1" "NXDOMAIN: counts"
assert_eq "$(field authority "$out")" \
  "global. 120 IN SOA ns1.global. hostmaster.global. 2026112401 3600 600 86400 600" "SOA with TTL min(120,600)=120"
out=$(dnsq a.b.c.nope.global MX)
assert_eq "$(field rcode "$out")" NXDOMAIN "deep nonexistent name: NXDOMAIN"
assert_eq "$(qstatus nope.global TXT)" NXDOMAIN "dig: NXDOMAIN"
assert_match "$(qdig +noall +authority nope.global)" $'^global\.[ \t]+120[ \t]+IN[ \t]+SOA' "dig: SOA TTL 120"
# also over TCP
out=$(dnsq --tcp nope.global A)
assert_eq "$(field authority "$out")" \
  "global. 120 IN SOA ns1.global. hostmaster.global. 2026112401 3600 600 86400 600" "TCP: same SOA"

cat >"$T/min.zone" <<'ZONE'
$ORIGIN global.
$TTL 300
@ 3600 IN SOA ns1.global. hostmaster.global. 7 3600 600 86400 45
@ IN NS ns1.global.
ns1 IN A 127.0.0.1
ZONE
TEST_ZONE=$T/min.zone serve_test_zone
out=$(dnsq nope.global A)
assert_eq "$(field rcode "$out")" NXDOMAIN "second zone: NXDOMAIN"
assert_eq "$(field authority "$out")" \
  "global. 45 IN SOA ns1.global. hostmaster.global. 7 3600 600 86400 45" "SOA with TTL min(3600,45)=45"
out=$(dnsq ns1.global MX)
assert_eq "$(field authority "$out")" \
  "global. 45 IN SOA ns1.global. hostmaster.global. 7 3600 600 86400 45" "NODATA also 45"
out=$(dnsq global SOA)
assert_eq "$(field answer "$out")" \
  "global. 3600 IN SOA ns1.global. hostmaster.global. 7 3600 600 86400 45" "SOA query itself keeps TTL 3600"
