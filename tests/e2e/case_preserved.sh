#!/usr/bin/env bash
# Names match case-insensitively (RFC 4343 §3); the question comes back as
# sent and answer owners copy its spelling, so 0x20-randomising resolvers
# accept the reply. Zone data spelled in mixed case is found in any case.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$(dnsq WwW.GlObAl A)
assert_eq "$(field question "$out")" "WwW.GlObAl. IN A" "question echoed byte for byte"
assert_eq "$(field answer "$out")" "WwW.GlObAl. 600 IN A 192.0.2.1" "answer owner in the query's case"
out=$(dnsq mixedcase.global A)
assert_eq "$(field answer "$out")" "mixedcase.global. 300 IN A 192.0.2.77" "MixedCase in the zone matched in lower case"
out=$(dnsq MIXEDCASE.GLOBAL A)
assert_eq "$(field answer "$out")" "MIXEDCASE.GLOBAL. 300 IN A 192.0.2.77" "and in upper case"
out=$(dnsq NoPe.GlObAl A)
assert_eq "$(field rcode "$out") $(field question "$out")" "NXDOMAIN NoPe.GlObAl. IN A" "NXDOMAIN echoes the question's case"
out=$(dnsq ALIAS1.Global A)
line=$(field answer "$out" | head -n 1)
assert_match "$line" '^ALIAS1\.Global\. 60 IN CNAME ' "CNAME owner in the query's case"
# the target may be compressed against the question ("alias2.Global."): names
# compare case-insensitively (RFC 4343), so only the letters are checked
target=${line##* }
assert_eq "${target,,}" alias2.global. "CNAME target alias2.global. (any case)"
out=$(dnsq EXAMPLE.com A)
assert_eq "$(field rcode "$out") $(field question "$out")" "REFUSED EXAMPLE.com. IN A" "REFUSED echoes the question's case"
out=$(dnsq --tcp wWw.gLoBaL AAAA)
assert_eq "$(field answer "$out")" "wWw.gLoBaL. 600 IN AAAA 2001:db8::1" "TCP: case preserved"
# dig's own 0x20 check: +qr prints the question; compare with the answer owner
assert_match "$(qdig +noall +answer WWW.global A)" '^WWW\.global\.' "dig: owner WWW.global."
# (kdig lower-cases names when it prints them; drill does not)
d=$(drill -p "$DNSD_PORT" wWw.GLOBAL A "@$DNSD_ADDR")
assert_match "$d" $'\nwWw\.GLOBAL\.[ \t]+600[ \t]+IN[ \t]+A' "drill: owner as asked"
