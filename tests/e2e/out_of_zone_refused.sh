#!/usr/bin/env bash
# Names we are not authoritative for get REFUSED with AA clear and no records,
# including ". NS" (CoreDNS's health probe) and names that merely end in the
# zone's letters. The question (and OPT, if sent) is echoed.
. "$(dirname "$0")/lib.sh"
serve_test_zone

for q in ". NS" ". SOA" "example.com A" "com NS" "xglobal A" "global.example SOA" "in-addr.arpa PTR"; do
  set -- $q
  out=$(dnsq "$1" "$2")
  assert_eq "$(field rcode "$out") | $(field flags "$out") | $(field counts "$out")" \
    "REFUSED | qr | 1 0 0 1" "$1 $2: REFUSED, AA=0, no records, OPT"
done
out=$(dnsq --noedns . NS)
assert_eq "$(field counts "$out") $(field edns "$out")" "1 0 0 0 none" ". NS without EDNS: no OPT"
out=$(dnsq --rd example.com A)
assert_eq "$(field flags "$out")" "qr rd" "REFUSED copies RD, RA clear"
assert_eq "$(qstatus . NS)" REFUSED "dig . NS: REFUSED"
assert_eq "$(qflags . NS)" "qr" "dig . NS: no aa"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec example.com A)
assert_contains "$k" "status: REFUSED" "kdig: REFUSED"
d=$(drill -p "$DNSD_PORT" . NS "@$DNSD_ADDR")
assert_contains "$d" "rcode: REFUSED" "drill: REFUSED"
assert_match "$d" 'flags: qr rd ;' "drill: flags qr rd (no aa)"
