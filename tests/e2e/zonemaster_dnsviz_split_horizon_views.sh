#!/usr/bin/env bash
# Split horizon as the checkers see it: conf/examples/dnsd-split-horizon.yaml's
# two views (its zone files, nameserver addresses moved from loopback to the
# namespace's 11.53.0.53 and 11.53.0.54), each view picked by the checker's
# source address (11.53.1.1 is mesh-1's forwarder, 11.53.2.1 mesh-2's):
# the namespace's routes to dnsd's addresses name that source (netns_source),
# because DNSViz resolves the NS names with a resolver that ignores probe -b.
# Zonemaster and DNSViz run once per view: no CRITICAL, ERROR or WARNING, no
# dnsviz error or warning, and dnsd's query log shows that every question of
# the run was answered from that view. Setup: tests/e2e/netns.bash.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/netns.bash"

netns_require zonemaster-cli dnsviz
netns_create
netns_addr 11.53.0.53 ns1.global
netns_addr 11.53.0.54 ns2.global
netns_addr 11.53.1.1
netns_addr 11.53.2.1
for v in mesh-1 mesh-2; do
  sed -e 's/\b127\.0\.0\.1$/11.53.0.53/' -e 's/\b127\.0\.0\.2$/11.53.0.54/' \
    "$REPO/conf/examples/zones/$v.global.zone" >"$T/$v.global.zone"
  [ "$(grep -cE '\b11\.53\.0\.5[34]$' "$T/$v.global.zone")" = 2 ] ||
    die "conf/examples/zones/$v.global.zone's nameserver addresses changed; update the sed"
done
netns_delegate global ns1.global 11.53.0.53 ns2.global 11.53.0.54
netns_root_start

# the example's views and zones, the checkers' sources as the forwarders
write_config "$T/dnsd.yaml" --listen 11.53.0.53:53 --listen 11.53.0.54:53 --query-log \
  --zone "{name: global, file: $T/mesh-1.global.zone, views: [mesh-1]}" \
  --zone "{name: global, file: $T/mesh-2.global.zone, views: [mesh-2]}" \
  --view "{name: mesh-1, match-clients: [10.1.0.0/16, 11.53.1.1]}" \
  --view "{name: mesh-2, match-clients: [10.2.0.0/16, 11.53.2.1]}" \
  --view "{name: default, match-clients: [any], zones: []}"
netns_start_dnsd "$T/dnsd.yaml"
assert_eq "$(netns_dig +short -b 11.53.1.1 @11.53.0.53 messenger.default.global A)" 127.127.42.69 "mesh-1's source gets mesh-1's data"
assert_eq "$(netns_dig +short -b 11.53.2.1 @11.53.0.54 messenger.default.global A)" 127.127.43.69 "mesh-2's source gets mesh-2's data"
assert_match "$(netns_dig -b 11.53.0.1 @11.53.0.53 messenger.default.global A)" 'status: REFUSED' "any other source: REFUSED"

for pair in mesh-1:11.53.1.1 mesh-2:11.53.2.1; do
  IFS=: read -r view src <<<"$pair"
  netns_source "$src" 11.53.0.53 11.53.0.54
  assert_eq "$(netns_dig +short @11.53.0.53 messenger.default.global A)" \
    "$(awk '$1 == "messenger.default" {print $4}' "$T/$view.global.zone")" "clients that bind no address now ask from $src: view $view"
  logged=$(grep -c ' query client=' "$DNSD_LOG")
  zonemaster global | grep -vE '^ +[0-9.]+ +(INFO|NOTICE) '
  report=$T/zonemaster.$view.txt
  mv "$T/zonemaster.global.txt" "$report"
  grep -q 'Using version' "$report" || die "zonemaster did not run for $view"
  counts="$(zonemaster_count CRITICAL "$report")/$(zonemaster_count ERROR "$report")/$(zonemaster_count WARNING "$report")"
  assert_eq "$counts" 0/0/0 "zonemaster from $src: no CRITICAL, ERROR or WARNING (critical/error/warning) in view $view"
  out=$(dnsviz_check global) || die "dnsviz failed for $view: $out"
  [ -n "$out" ] && echo "$out"
  mv "$T/dnsviz.global.json" "$T/dnsviz.$view.json"
  assert_eq "$(dnsviz_count error "$out")/$(dnsviz_count warning "$out")" 0/0 "dnsviz from $src: no error or warning (error/warning) in view $view"
  run=$(grep ' query client=' "$DNSD_LOG" | tail -n +$((logged + 1)))
  note "$view: $(grep -c . <<<"$run") questions to dnsd during the checks"
  # (an EDNS version dnsd does not speak is answered BADVERS before any view, "view=-")
  others=$(grep -v " client=$src#[0-9]* proto=[a-z]* view=$view " <<<"$run" |
    grep -vE " client=$src#[0-9]* proto=[a-z]* view=- .* rcode=BADVERS ")
  [ -n "$others" ] && echo "$others" | head -n 5
  assert_eq "$(grep -c . <<<"$others")" 0 "every question of the checks came from $src and was answered in view $view"
done
