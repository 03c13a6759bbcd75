#!/usr/bin/env bash
# Zone transfers are not offered: AXFR and IXFR are REFUSED over TCP and UDP,
# with the question echoed and no records.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq --tcp global AXFR)
assert_eq "$(field rcode "$out") | $(field flags "$out") | $(field counts "$out")" "REFUSED | qr | 1 0 0 1" "AXFR over TCP: REFUSED"
out=$(dnsq global AXFR)
assert_eq "$(field rcode "$out")" REFUSED "AXFR over UDP: REFUSED"
out=$(dnsq --tcp global IXFR)
assert_eq "$(field rcode "$out")" REFUSED "IXFR over TCP: REFUSED"
out=$(dnsq global IXFR)
assert_eq "$(field rcode "$out")" REFUSED "IXFR over UDP: REFUSED"
assert_contains "$(qdig global AXFR 2>&1)" "Transfer failed" "dig AXFR: Transfer failed"
assert_contains "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" global AXFR 2>&1)" "REFUSED" "kdig AXFR: REFUSED"
assert_eq "$(qshort www.global A)" 192.0.2.1 "still answering"
