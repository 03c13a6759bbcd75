#!/usr/bin/env bash
# RFC 6891 §6.1.3: an OPT with VERSION > 0 gets BADVERS (extended rcode 16:
# header rcode 0, OPT extended-rcode 1), an OPT with version 0, and no data.
. "$(dirname "$0")/lib.sh"
serve_test_zone

for v in 1 2 255; do
  out=$(dnsq --ednsver $v www.global A)
  assert_eq "$(field rcode "$out")" BADVERS "EDNS version $v: BADVERS"
  assert_eq "$(field counts "$out")" "1 0 0 1" "version $v: no records, OPT"
  assert_match "$(field edns "$out")" '^version=0 payload=1232 ' "version $v: reply OPT says version 0"
done
out=$(dnsq --ednsver 1 nope.global A)
assert_eq "$(field rcode "$out")" BADVERS "BADVERS before NXDOMAIN"
out=$(dnsq --ednsver 1 example.com A)
assert_eq "$(field rcode "$out")" BADVERS "BADVERS before REFUSED"
out=$(dnsq --tcp --ednsver 1 www.global A)
assert_eq "$(field rcode "$out")" BADVERS "BADVERS over TCP"
d=$(qdig +edns=1 +noednsnegotiation www.global A)
assert_contains "$d" "status: BADVERS" "dig +edns=1: BADVERS"
assert_contains "$d" "EDNS: version: 0" "dig: reply version 0"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +edns=1 www.global A)
assert_contains "$k" "status: BADVERS" "kdig +edns=1: BADVERS"
# version 0 still works afterwards
assert_eq "$(qshort www.global A)" 192.0.2.1 "version 0 answers"
