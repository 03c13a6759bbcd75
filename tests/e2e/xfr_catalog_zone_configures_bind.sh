#!/usr/bin/env bash
# BIND 9.18 as an RFC 9432 catalog consumer of dnsd (issue #13): named is
# given only the catalog zone (catalog-zones { zone ... default-primaries
# dnsd }), configures the member zones dnsd lists in it, transfers them
# from dnsd and answers their names; a zone of another view is not among
# them. When dnsd's configuration gains a zone (SIGHUP), the catalog's new
# serial is NOTIFYed and BIND adds and serves the new member too.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/secondaries.bash"
have_secondary bind || skip "named not installed"
port=$(free_port) || die "no free port"
bp=$(free_port) || die "no free port"
mk() {  # FILE APEX ADDR
  printf '$ORIGIN %s.\n$TTL 60\n@ SOA ns hostmaster 3 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\nwww A %s\n' "$2" "$3" >"$1"
}
mk "$T/a.zone" a.test 192.0.2.10
mk "$T/b.zone" b.test 192.0.2.20
mk "$T/c.zone" c.test 192.0.2.30
mk "$T/d.zone" d.test 192.0.2.40
dnsd_conf() {  # MEMBERS (the mesh-1 view's zones besides the catalog)
  local z extra=()
  for z in $1; do extra+=(--zone "{name: $z, file: $T/${z%.test}.zone}"); done
  write_config "$T/dnsd.yaml" --port "$port" "${extra[@]}" --zone "{name: c.test, file: $T/c.zone, views: [other]}" \
    --zone "{name: catalog.mesh-1.invalid, catalog: true, views: [mesh-1], notify: [\"127.0.0.1:$bp\"]}" \
    --view "{name: mesh-1, match-clients: [127.0.0.0/8], zones: [${1// /, }, catalog.mesh-1.invalid]}" \
    --view "{name: other, match-clients: [any], zones: [c.test]}" "reload-on-change: false" "xfr: {notify-retry-ms: 200}"
}
dnsd_conf "a.test b.test"
start_dnsd "$T/dnsd.yaml"
assert_eq "$(dnsd_dump catalog.mesh-1.invalid | grep -c ' PTR ')" 2 "dnsd's catalog lists two members"

bd=$T/bind-cat
mkdir -p "$bd"
cat >"$bd/named.conf" <<CONF
options {
	directory "$bd";
	pid-file "$bd/named.pid";
	session-keyfile "$bd/session.key";
	managed-keys-directory "$bd";
	listen-on port $bp { 127.0.0.1; };
	listen-on-v6 { none; };
	dnssec-validation no;
	recursion no;
	notify no;
	allow-new-zones yes;
	min-refresh-time 1;
	min-retry-time 1;
	catalog-zones {
		zone "catalog.mesh-1.invalid" default-primaries port $port { 127.0.0.1; }
			in-memory yes min-update-interval 1;
	};
};
controls { };
logging {
	channel main { file "$bd/bind.log"; severity info; print-time yes; print-category yes; };
	category default { main; };
	category xfer-in { main; };
	category notify { main; };
	category general { main; };
};
zone "catalog.mesh-1.invalid" {
	type secondary;
	primaries port $port { 127.0.0.1; };
	file "$bd/catalog.db";
	allow-notify { 127.0.0.1; };
};
CONF
named-checkconf "$bd/named.conf" || die "named-checkconf rejected the catalog configuration"
named -g -c "$bd/named.conf" >"$bd/named.out" 2>&1 &
on_exit "kill -TERM $!; wait $!"
bind_www() { [ "$(dig +short +norec +tries=1 +time=1 -p "$bp" @127.0.0.1 "www.$1" A)" = "$2" ]; }
wait_until 30 bind_www a.test 192.0.2.10 ||
  die "BIND did not configure a.test from the catalog: $(tail -n 20 "$bd/bind.log" "$bd/named.out")"
echo "ok - BIND configured a.test from dnsd's catalog, transferred it and answers it"
wait_until 10 bind_www b.test 192.0.2.20 || die "BIND did not configure b.test"
echo "ok - and b.test"
assert_match "$(dig +norec +tries=1 +time=1 -p "$bp" @127.0.0.1 www.a.test A)" 'flags: qr aa' "BIND answers a.test authoritatively"
assert_contains "$(cat "$bd/bind.log" "$bd/named.out")" "catz: adding zone 'a.test' from catalog 'catalog.mesh-1.invalid' - success" \
  "BIND's log: the catalog added a.test"
assert_not_contains "$(dig +norec +tries=1 +time=1 -p "$bp" @127.0.0.1 www.c.test A)" 'status: NOERROR' "c.test (another view) is not on BIND"

# a new member: dnsd reloads, the catalog's serial moves, NOTIFY, BIND adds d.test
dnsd_conf "a.test b.test d.test"
kill -HUP "$DNSD_PID"
wait_until 10 eval '[ "$(dnsd_dump catalog.mesh-1.invalid | grep -c " PTR ")" = 3 ]' || die "dnsd's catalog did not gain d.test"
wait_until 30 bind_www d.test 192.0.2.40 || die "BIND did not add d.test after the catalog changed: $(tail -n 20 "$bd/bind.log")"
echo "ok - after a reload that adds d.test to the view, BIND adds and answers it"
assert_running
