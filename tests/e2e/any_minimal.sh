#!/usr/bin/env bash
# RFC 8482 §4: ANY gets one RRset, not everything at the name. At a CNAME it
# gets the CNAME; NXDOMAIN and NODATA work as for any other type.
. "$(dirname "$0")/lib.sh"
serve_test_zone

for name in www.global global ns1.global mxheavy.global txt.global foo.wild.global; do
  out=$(dnsq "$name" ANY)
  assert_eq "$(field rcode "$out") $(field flags "$out")" "NOERROR qr aa" "ANY $name: NOERROR AA"
  sets=$(field answer "$out" | awk '{print $1, $4}' | sort -u | wc -l)
  assert_eq "$sets" 1 "ANY $name: exactly one RRset"
done
out=$(dnsq global ANY)
assert_eq "$(field answer "$out" | grep -c ' IN NS \| IN SOA \| IN MX \| IN TXT ')" "$(field answer "$out" | wc -l)" "apex ANY: one of the apex's own types"
out=$(dnsq alias1.global ANY)
assert_eq "$(field answer "$out")" "alias1.global. 60 IN CNAME alias2.global." "ANY at a CNAME: the CNAME"
out=$(dnsq nope.global ANY)
assert_eq "$(field rcode "$out")" NXDOMAIN "ANY at a missing name: NXDOMAIN"
out=$(dnsq default.global ANY)
assert_eq "$(field rcode "$out") $(field counts "$out")" "NOERROR 1 0 1 1" "ANY at an empty non-terminal: NODATA"
out=$(dnsq big.global ANY)
assert_eq "$(field flags "$out")" "qr aa tc" "ANY big over UDP: TC like any other answer"
out=$(dnsq --tcp www.global ANY)
assert_eq "$(field answer "$out" | awk '{print $4}' | sort -u | wc -l)" 1 "ANY over TCP: still one RRset"
assert_eq "$(qdig +short www.global ANY | wc -l)" 1 "dig ANY: one record"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec www.global ANY)
assert_match "$k" 'ANSWER: 1;' "kdig ANY: one answer"
