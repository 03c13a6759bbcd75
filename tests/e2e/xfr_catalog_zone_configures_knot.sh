#!/usr/bin/env bash
# An RFC 9432 catalog zone per view (zones: {catalog: true, views: [v]}):
# dnsd builds it (SOA and NS "invalid.", version "2", one PTR per zone of the
# view), serves and transfers it like any zone; and Knot, given only the
# catalog (catalog-role: interpret), configures the member zones from it,
# transfers them from dnsd and answers their names. A view's catalog lists
# that view's zones only.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/secondaries.bash"
port=$(free_port) || die "no free port"
mk() {  # FILE APEX ADDR
  printf '$ORIGIN %s.\n$TTL 60\n@ SOA ns hostmaster 3 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\nwww A %s\n' "$2" "$3" >"$1"
}
mk "$T/a.zone" a.test 192.0.2.10
mk "$T/b.zone" b.test 192.0.2.20
mk "$T/c.zone" c.test 192.0.2.30
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: a.test, file: $T/a.zone}" \
  --zone "{name: b.test, file: $T/b.zone}" --zone "{name: c.test, file: $T/c.zone, views: [other]}" \
  --zone "{name: catalog.mesh-1.invalid, catalog: true, views: [mesh-1]}" \
  --view "{name: mesh-1, match-clients: [127.0.0.0/8], zones: [a.test, b.test, catalog.mesh-1.invalid]}" \
  --view "{name: other, match-clients: [any], zones: [c.test]}"
start_dnsd "$T/dnsd.yaml"
cat_dump=$(dnsd_dump catalog.mesh-1.invalid) || die "AXFR of the catalog failed"
assert_contains "$cat_dump" 'version.catalog.mesh-1.invalid. 0 IN TXT "2"' "the catalog says version 2"
assert_contains "$cat_dump" 'catalog.mesh-1.invalid. 0 IN NS invalid.' "NS invalid."
assert_eq "$(grep -c ' PTR ' <<<"$cat_dump")" 2 "two members"
assert_contains "$cat_dump" ".zones.catalog.mesh-1.invalid. 0 IN PTR a.test." "a.test is a member"
assert_contains "$cat_dump" ".zones.catalog.mesh-1.invalid. 0 IN PTR b.test." "b.test is a member"
assert_not_contains "$cat_dump" "c.test" "another view's zone is not"

have_secondary knot || skip "knotd not installed (catalog content checked above)"
kp=$(free_port) || die "no free port"
kd=$T/knot-cat
mkdir -p "$kd"
cat >"$kd/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$kp
  rundir: $kd
database:
  storage: $kd
  catalog-db: $kd/catalog
log:
  - target: $kd/knot.log
    any: info
remote:
  - id: primary
    address: 127.0.0.1@$port
template:
  - id: default
    storage: $kd
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
  - id: member
    master: primary
    storage: $kd
    zonefile-sync: -1
    zonefile-load: none
    journal-content: none
zone:
  - domain: catalog.mesh-1.invalid
    master: primary
    catalog-role: interpret
    catalog-template: member
CONF
/usr/sbin/knotd -c "$kd/knot.conf" >"$kd/out" 2>&1 &
on_exit "kill -TERM $!; wait $!"
knot_www() { [ "$(dig +short +tries=1 +time=1 -p "$kp" @127.0.0.1 "www.$1" A)" = "$2" ]; }
wait_until 30 knot_www a.test 192.0.2.10 || die "Knot did not configure a.test from the catalog: $(tail -n 20 "$kd/knot.log")"
echo "ok - Knot configured a.test from the catalog and transferred it"
wait_until 10 knot_www b.test 192.0.2.20 || die "Knot did not configure b.test"
echo "ok - and b.test"
assert_eq "$(dig +short +tries=1 +time=1 -p "$kp" @127.0.0.1 www.c.test A)" "" "c.test is not on Knot"
