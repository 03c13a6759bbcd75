#!/usr/bin/env bash
# Header rules (RFC 1035 §4.1.1): ID echoed, QR set, opcode copied, RD copied,
# RA clear (we never recurse), AA set on our own data.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq www.global A)
assert_eq "$(field flags "$out")" "qr aa" "RD=0 query: qr aa, no rd, no ra"
out=$(dnsq --rd www.global A)
assert_eq "$(field flags "$out")" "qr aa rd" "RD=1 query: rd copied, ra still clear"
assert_eq "$(field opcode "$out")" QUERY "opcode QUERY copied"

assert_eq "$(qflags +rec www.global A)" "qr aa rd" "dig +rec: qr aa rd"
assert_eq "$(qflags www.global A)" "qr aa" "dig +norec: qr aa"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +rec www.global A)
assert_match "$k" 'Flags: qr aa rd;' "kdig: qr aa rd"
d=$(drill -p "$DNSD_PORT" www.global A "@$DNSD_ADDR")
assert_match "$d" 'flags: qr aa rd ;' "drill: qr aa rd"
# IDs: dnspython picks a random ID; dnsq.py exits 4 on a mismatch
for i in 1 2 3 4 5; do dnsq www.global A >/dev/null || die "id mismatch"; done
echo "ok - ID echoed on 5 queries"
# CD copied too (RFC 6840 §5.9); AD never set without DNSSEC
assert_eq "$(qflags +cdflag www.global A)" "qr aa cd" "CD copied"
assert_eq "$(qflags +adflag www.global A)" "qr aa" "AD not echoed"
