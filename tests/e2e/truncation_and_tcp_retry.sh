#!/usr/bin/env bash
# UDP replies fit min(client's EDNS size, udp-payload-max 1232), or 512
# without EDNS (RFC 1035 §4.2.1, RFC 6891 §6.2.5); otherwise TC=1 and the full
# answer comes over TCP (RFC 7766). Additional data is dropped before TC is
# set (RFC 2181 §9).
. "$(dirname "$0")/lib.sh"
serve_test_zone

# big: 120 A records, about 1950 bytes
out=$(dnsq --noedns big.global A)
assert_eq "$(field flags "$out")" "qr aa tc" "big, no EDNS: TC"
assert_eq "$(field counts "$out")" "1 0 0 0" "big, no EDNS: empty sections"
size=$(field size "$out"); [ "$size" -le 512 ] || die "size $size > 512"; echo "ok - big, no EDNS: $size <= 512 bytes"
out=$(dnsq --bufsize 1232 big.global A)
assert_eq "$(field flags "$out") | $(field counts "$out")" "qr aa tc | 1 0 0 1" "big, EDNS 1232: TC, OPT kept"
out=$(dnsq --bufsize 4096 big.global A)
assert_eq "$(field flags "$out")" "qr aa tc" "big, EDNS 4096: TC (server max 1232)"
size=$(field size "$out"); [ "$size" -le 1232 ] || die "size $size > 1232"; echo "ok - big, EDNS 4096: $size <= 1232 bytes"
out=$(dnsq --tcp big.global A)
assert_eq "$(field flags "$out") | $(field counts "$out")" "qr aa | 1 120 0 1" "big over TCP: all 120 records"
assert_eq "$(field answer "$out" | sort -u | wc -l)" 120 "120 distinct records"

# mid: 40 A records, too big for 512, fits 1232
out=$(dnsq --noedns mid.global A)
assert_eq "$(field flags "$out")" "qr aa tc" "mid, no EDNS: TC"
out=$(dnsq --bufsize 512 mid.global A)
assert_eq "$(field flags "$out")" "qr aa tc" "mid, EDNS 512: TC"
out=$(dnsq --bufsize 100 mid.global A)
assert_eq "$(field flags "$out")" "qr aa tc" "mid, EDNS 100 (means 512): TC"
out=$(dnsq --bufsize 1232 mid.global A)
assert_eq "$(field flags "$out") | $(field counts "$out")" "qr aa | 1 40 0 1" "mid, EDNS 1232: all 40"
size=$(field size "$out"); [ "$size" -gt 512 ] && [ "$size" -le 1232 ] || die "mid size $size"; echo "ok - mid: $size bytes"
out=$(dnsq --bufsize 600 mid.global A)
assert_eq "$(field flags "$out")" "qr aa tc" "mid, EDNS 600: TC (client's size wins when smaller)"

# mxheavy: the answer fits 512, its additional data does not: no TC
out=$(dnsq --noedns mxheavy.global MX)
assert_eq "$(field flags "$out") | $(field counts "$out")" "qr aa | 1 10 0 0" "mxheavy, no EDNS: answer kept, additional dropped, no TC"
out=$(dnsq mxheavy.global MX)
assert_eq "$(field counts "$out")" "1 10 0 21" "mxheavy, EDNS 1232: additional included"

# real clients retry over TCP on TC
assert_eq "$(qdig +noedns +short big.global A | wc -l)" 120 "dig: retried over TCP, 120 records"
assert_contains "$(qdig +noedns +noall +comments big.global A 2>&1)" "Truncated, retrying in TCP mode" "dig saw TC"
assert_eq "$(qdig +notcp +ignore +noedns big.global A | sed -n 's/.*;; flags: \([a-z ]*\);.*/\1/p')" "qr aa tc" "dig +ignore: TC flag"
assert_eq "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +tcp +short big.global A | wc -l)" 120 "kdig +tcp: 120 records"
assert_match "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec +notcp +bufsize=1232 +ignore big.global A)" 'Flags: qr aa tc;' "kdig UDP: TC"
assert_eq "$(drill -t -p "$DNSD_PORT" big.global A "@$DNSD_ADDR" | grep -c $'^big\.global\.[ \t]')" 120 "drill -t: 120 records"
