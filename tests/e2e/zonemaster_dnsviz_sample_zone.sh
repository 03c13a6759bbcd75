#!/usr/bin/env bash
# The sample zone that `make run` serves (zones/global.zone, with
# conf/dnsd.yaml's zone settings), checked by Zonemaster and DNSViz as real
# port-53 nameservers see it: no ERROR or CRITICAL and no WARNING from
# Zonemaster, no error or warning from `dnsviz grok`. The file's nameserver
# addresses are loopback (127.0.0.1 and 127.0.0.2, what `make run` listens
# on), which the checkers rightly reject for a public delegation, so the test
# serves the file with them replaced by two of the namespace's addresses
# (11.53.0.53, 11.53.0.54); every other record is the file's. The fake root
# delegates global to the file's NS names with those addresses as glue.
# Setup: tests/e2e/netns.bash. What the checkers said before the sample zone
# was fixed: one nameserver (6 ERRORs, DELEGATION01), RNAME hostmaster@global
# (SYNTAX06: its mail domain has no dot), expire 86400 (ZONE05 wants 604800).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/netns.bash"

netns_require zonemaster-cli dnsviz
netns_create
netns_addr 11.53.0.53 ns1.global
netns_addr 11.53.0.54 ns2.global
sed -e 's/\b127\.0\.0\.1$/11.53.0.53/' -e 's/\b127\.0\.0\.2$/11.53.0.54/' "$REPO/zones/global.zone" >"$T/global.zone"
[ "$(grep -cE '\b11\.53\.0\.5[34]$' "$T/global.zone")" = 2 ] ||
  die "zones/global.zone's nameserver addresses changed; update the sed"
ns_args=()
while read -r name addr; do ns_args+=("$name.global" "$addr"); done < <(
  awk '$1 ~ /^ns[0-9]*$/ && ($3 == "A" || $3 == "AAAA") {print $1, $4}' "$T/global.zone")
netns_delegate global "${ns_args[@]}"
netns_root_start

write_config "$T/dnsd.yaml" --listen 11.53.0.53:53 --listen 11.53.0.54:53 \
  --zone "{name: global, file: $T/global.zone, ttl: 30}"
netns_start_dnsd "$T/dnsd.yaml"
assert_eq "$(netns_dig +short @11.53.0.53 messenger.default.global A)" 127.127.42.69 "dnsd serves the sample zone"

zonemaster global | grep -vE '^ +[0-9.]+ +(INFO|NOTICE) '
report=$T/zonemaster.global.txt
grep -q 'Using version' "$report" || die "zonemaster did not run"
counts="$(zonemaster_count CRITICAL "$report")/$(zonemaster_count ERROR "$report")/$(zonemaster_count WARNING "$report")"
assert_eq "$counts" 0/0/0 "zonemaster: no CRITICAL, ERROR or WARNING (critical/error/warning) for the sample zone"

out=$(dnsviz_check global) || die "dnsviz failed: $out"
[ -n "$out" ] && echo "$out"
assert_eq "$(dnsviz_count error "$out")/$(dnsviz_count warning "$out")" 0/0 "dnsviz grok: no error or warning for the sample zone"
