#!/usr/bin/env bash
# A delegation below the apex (sub.global NS) answers every query at or below
# it with a referral (RFC 1034 §4.3.2 step 3b): NOERROR, AA clear, no answer,
# the NS RRset in authority and the glue in additional. Data below the cut is
# occluded. DS at the cut is the parent's: NODATA, authoritative (RFC 4035 §3.1.4.1).
. "$(dirname "$0")/lib.sh"
serve_test_zone

ns=$'sub.global. 300 IN NS ns.sub.global.\nsub.global. 300 IN NS ns2.global.'
glue=$'ns.sub.global. 300 IN A 192.0.2.53\nns.sub.global. 300 IN AAAA 2001:db8::53\nns2.global. 300 IN A 127.0.0.2'
for q in "sub.global A" "sub.global NS" "host.sub.global A" "occluded.sub.global A" "ns.sub.global A" "a.b.sub.global TXT"; do
  set -- $q
  out=$(dnsq "$1" "$2")
  assert_eq "$(field rcode "$out") | $(field flags "$out") | $(field counts "$out")" \
    "NOERROR | qr | 1 0 2 4" "$1 $2: referral, AA=0, 2 NS, 3 glue + OPT"
  assert_eq "$(field authority "$out" | sort)" "$ns" "$1 $2: NS in authority"
  assert_eq "$(field additional "$out" | sort)" "$glue" "$1 $2: glue"
done
out=$(dnsq sub.global DS)
assert_eq "$(field rcode "$out") | $(field flags "$out") | $(field counts "$out")" "NOERROR | qr aa | 1 0 1 1" "DS at the cut: parent-side NODATA"
assert_match "$(field authority "$out")" '^global\. 120 IN SOA ' "DS at the cut: SOA"
# without EDNS the referral still fits 512
out=$(dnsq --noedns host.sub.global A)
assert_eq "$(field flags "$out") | $(field counts "$out")" "qr | 1 0 2 3" "referral without EDNS: complete"
assert_eq "$(qflags host.sub.global A)" "qr" "dig: referral flags"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec host.sub.global A)
assert_match "$k" 'ANSWER: 0; AUTHORITY: 2; ADDITIONAL: 3' "kdig: referral counts"
