#!/usr/bin/env bash
# CNAME processing (RFC 1034 §3.6.2, §4.3.2 step 3a; RFC 6604): in-zone
# chains are followed, each record keeps its own TTL; a chain to a missing
# in-zone name is NXDOMAIN with the CNAMEs in the answer and the SOA in
# authority; a chain leaving the zone stops at the CNAME with NOERROR.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq alias1.global A)
assert_eq "$(field rcode "$out")" NOERROR "alias1 A: NOERROR"
assert_eq "$(field flags "$out")" "qr aa" "alias1 A: AA"
assert_eq "$(field answer "$out")" $'alias1.global. 60 IN CNAME alias2.global.\nalias2.global. 70 IN CNAME www.global.\nwww.global. 600 IN A 192.0.2.1' \
  "alias1 A: two links then the A, in order, own TTLs"
out=$(dnsq alias1.global AAAA)
assert_eq "$(field answer "$out" | tail -n 1)" "www.global. 600 IN AAAA 2001:db8::1" "alias1 AAAA ends in the AAAA"
out=$(dnsq alias2.global A)
assert_eq "$(field counts "$out")" "1 2 0 1" "alias2 A: one link + A"

out=$(dnsq alias1.global CNAME)
assert_eq "$(field answer "$out")" "alias1.global. 60 IN CNAME alias2.global." "qtype CNAME: the record only, no chase"

out=$(dnsq alias1.global TXT)
assert_eq "$(field rcode "$out")" NOERROR "alias1 TXT: NOERROR (target exists, no TXT)"
assert_eq "$(field answer "$out" | wc -l)" 2 "alias1 TXT: the two CNAMEs"
assert_match "$(field authority "$out")" '^global\. 120 IN SOA ' "alias1 TXT: NODATA SOA after the chain"

out=$(dnsq dangling.global A)
assert_eq "$(field rcode "$out")" NXDOMAIN "dangling: NXDOMAIN (RFC 6604: rcode of the last name)"
assert_eq "$(field flags "$out")" "qr aa" "dangling: AA"
assert_eq "$(field answer "$out")" "dangling.global. 300 IN CNAME nowhere.global." "dangling: CNAME in answer"
assert_match "$(field authority "$out")" '^global\. 120 IN SOA ' "dangling: SOA in authority"

out=$(dnsq external.global A)
assert_eq "$(field rcode "$out")" NOERROR "external: NOERROR"
assert_eq "$(field answer "$out")" "external.global. 300 IN CNAME www.example.com." "external: only the CNAME"
assert_eq "$(field authority "$out")" "" "external: no SOA (not ours to deny)"

out=$(dnsq towild.global TXT)
assert_eq "$(field answer "$out")" $'towild.global. 300 IN CNAME foo.wild.global.\nfoo.wild.global. 300 IN TXT "synthesised"' \
  "CNAME into a wildcard: synthesised TXT owned by the target"

assert_eq "$(qdig +short alias1.global A | tr '\n' ' ')" "alias2.global. www.global. 192.0.2.1 " "dig +short chain"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec dangling.global A)
assert_contains "$k" "status: NXDOMAIN" "kdig: dangling NXDOMAIN"
assert_match "$k" 'ANSWER: 1; AUTHORITY: 1' "kdig: dangling counts"
d=$(drill -p "$DNSD_PORT" alias1.global A "@$DNSD_ADDR")
assert_match "$d" 'ANSWER: 3, AUTHORITY: 0' "drill: chain counts"

# into the delegation: CNAME (AA) then the referral for the target
out=$(dnsq tosub.global A)
assert_eq "$(field rcode "$out") | $(field flags "$out") | $(field counts "$out")" "NOERROR | qr aa | 1 1 2 4" "CNAME into sub.global: CNAME + referral"
assert_eq "$(field answer "$out")" "tosub.global. 300 IN CNAME host.sub.global." "CNAME into sub.global: the CNAME"
assert_eq "$(field authority "$out" | sort)" $'sub.global. 300 IN NS ns.sub.global.\nsub.global. 300 IN NS ns2.global.' "CNAME into sub.global: NS in authority"
assert_eq "$(field additional "$out" | sort)" $'ns.sub.global. 300 IN A 192.0.2.53\nns.sub.global. 300 IN AAAA 2001:db8::53\nns2.global. 300 IN A 127.0.0.2' "CNAME into sub.global: glue"
# wildcard CNAME (RFC 4592 §4.3 synthesis of a CNAME) and a chain through it
out=$(dnsq anything.wc.global AAAA)
assert_eq "$(field answer "$out")" $'anything.wc.global. 300 IN CNAME www.global.\nwww.global. 600 IN AAAA 2001:db8::1' "synthesised CNAME, then chased"
out=$(dnsq wcchain.global A)
assert_eq "$(field answer "$out")" $'wcchain.global. 300 IN CNAME x.wc.global.\nx.wc.global. 300 IN CNAME www.global.\nwww.global. 600 IN A 192.0.2.1' "chain through a wildcard CNAME"
# loops end, without an SOA
out=$(dnsq loop1.global A)
assert_eq "$(field rcode "$out") | $(field counts "$out")" "NOERROR | 1 2 0 1" "loop: both CNAMEs once, no SOA"
out=$(dnsq selfloop.global TXT)
assert_eq "$(field answer "$out") | $(field authority "$out")" "selfloop.global. 300 IN CNAME selfloop.global. | " "self loop: the CNAME once"
