#!/usr/bin/env bash
# With chaos: true, "version.dnsd CH TXT" (and version.bind / version.server)
# answer the version with AA; other CHAOS names are REFUSED.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq --class CH version.dnsd TXT)
assert_eq "$(field rcode "$out") | $(field flags "$out")" "NOERROR | qr aa" "version.dnsd CH TXT: NOERROR AA"
assert_match "$(field answer "$out")" '^version\.dnsd\. 0 CH TXT "dnsd [0-9]+\.[0-9]+\.[0-9]+"$' "version.dnsd: dnsd x.y.z"
for n in version.bind version.server; do
  assert_match "$(qdig +short CH TXT $n)" '^"dnsd [0-9.]+"$' "dig $n CH TXT"
done
assert_match "$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +short CH TXT version.dnsd)" '^"dnsd ' "kdig version.dnsd"
out=$(dnsq --class CH hostname.bind TXT)
assert_eq "$(field rcode "$out")" REFUSED "hostname.bind CH: REFUSED"
out=$(dnsq --class CH version.dnsd A)
assert_eq "$(field rcode "$out")" REFUSED "version.dnsd CH A: REFUSED"
out=$(dnsq --class CH www.global A)
assert_eq "$(field rcode "$out") $(field flags "$out")" "REFUSED qr" "zone name in CH: REFUSED, AA=0"
out=$(dnsq version.dnsd TXT)
assert_eq "$(field rcode "$out")" REFUSED "version.dnsd IN TXT: REFUSED (not our zone)"
