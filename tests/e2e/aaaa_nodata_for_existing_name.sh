#!/usr/bin/env bash
# A name that exists with other types answers NODATA, not NXDOMAIN: NOERROR,
# AA, empty answer, the SOA in authority with TTL = min(SOA TTL, MINIMUM)
# (RFC 2308 §2.2 and §5; the test zone has SOA TTL 120, MINIMUM 600).
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq v4only.global AAAA)
assert_eq "$(field rcode "$out")" NOERROR "AAAA at an A-only name: rcode"
assert_eq "$(field flags "$out")" "qr aa" "AAAA at an A-only name: flags"
assert_eq "$(field counts "$out")" "1 0 1 1" "AAAA at an A-only name: section counts (OPT in additional)"
assert_eq "$(field authority "$out")" \
  "global. 120 IN SOA ns1.global. hostmaster.global. 2026112401 3600 600 86400 600" "NODATA SOA, TTL 120"

out=$(dnsq v6only.global A)
assert_eq "$(field rcode "$out")" NOERROR "A at an AAAA-only name: rcode"
assert_eq "$(field answer "$out")" "" "A at an AAAA-only name: no answer"
assert_match "$(field authority "$out")" '^global\. 120 IN SOA ' "A at an AAAA-only name: SOA"

# the same through three real clients
assert_eq "$(qstatus v4only.global AAAA)" NOERROR "dig: status NOERROR"
assert_eq "$(qdig +noall +answer v4only.global AAAA)" "" "dig: empty answer"
assert_match "$(qdig +noall +authority v4only.global AAAA)" $'^global\.[ \t]+120[ \t]+IN[ \t]+SOA' "dig: SOA in authority"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec v4only.global AAAA)
assert_contains "$k" "status: NOERROR" "kdig: NOERROR"
assert_match "$k" 'ANSWER: 0; AUTHORITY: 1' "kdig: 0 answers, 1 authority"
d=$(drill -p "$DNSD_PORT" v4only.global AAAA "@$DNSD_ADDR")
assert_contains "$d" "rcode: NOERROR" "drill: NOERROR"
assert_match "$d" 'ANSWER: 0, AUTHORITY: 1' "drill: 0 answers, 1 authority"
# the name still has its A
assert_eq "$(qshort v4only.global A)" 192.0.2.4 "v4only A still answers"
