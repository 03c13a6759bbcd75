#!/usr/bin/env bash
# The apex of a zone fed only by Kubernetes is not lame:
#  - nameservers: gives the apex NS and the SOA MNAME (the first); in-zone
#    names carry their addresses, served in the zone and as glue;
#  - without nameservers:, dnsd synthesizes ns1.<apex>.. one per listen
#    address, each resolving to it;
#  - bad nameservers: entries are configuration errors naming file:line.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
se_create mesh-1 default messenger messenger.default.global 240.0.0.7

port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --listen "127.0.0.2:$port" --log debug --http "127.0.0.1:$HPORT" \
  --zone "{name: global, ttl: 30, kubernetes: [mesh-1], nameservers: [
            {name: ns1.global, addresses: [127.0.0.1, '::1']}, {name: ns.example.net},
            {name: ns2.global, addresses: [127.0.0.2]}]}" \
  --zone "{name: mesh, ttl: 45, kubernetes: [mesh-1]}" --kubernetes "$(k8s_source mesh-1)"
"$DNSD_BIN" -t -c "$T/dnsd.yaml" >/dev/null 2>&1 || die "dnsd -t: $("$DNSD_BIN" -t -c "$T/dnsd.yaml" 2>&1)"
start_dnsd "$T/dnsd.yaml"
wait_until 15 is_ready || die "not ready"
expect_answer 5 240.0.0.7 messenger.default.global

# nameservers: as given
out=$(dnsq global NS)
assert_eq "$(field answer "$out" | sort)" $'global. 30 IN NS ns.example.net.\nglobal. 30 IN NS ns1.global.\nglobal. 30 IN NS ns2.global.' \
  "apex NS: the nameservers"
assert_eq "$(field additional "$out" | sort)" $'ns1.global. 30 IN A 127.0.0.1\nns1.global. 30 IN AAAA ::1\nns2.global. 30 IN A 127.0.0.2' \
  "in-zone nameservers come with their addresses (glue); ns.example.net has none"
assert_eq "$(qshort ns1.global A)" 127.0.0.1 "ns1.global resolves"
assert_eq "$(qshort ns1.global AAAA)" ::1 "... in both families"
assert_eq "$(qstatus ns.example.net A)" REFUSED "an out-of-zone nameserver is not served"
soa=$(qshort global SOA)
assert_match "$soa" '^ns1\.global\. hostmaster\.ns1\.global\. [0-9]+ 14400 3600 1209600 300$' \
  "synthesized SOA: MNAME the first nameserver, Zonemaster's recommended timers"
assert_match "$(qdig global SOA | grep -E '^global\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA')" \
  '^global\.[[:space:]]+30[[:space:]]' "the SOA's TTL is the zone's ttl"
neg=$(dnsq nosuch.global A)
assert_match "$(field authority "$neg")" '^global\. 30 IN SOA ' "negative answers are cached for the zone's ttl (min(TTL, MINIMUM))"

# synthesized: one name per listen address
out=$(dnsq mesh NS)
assert_eq "$(field answer "$out" | sort)" $'mesh. 45 IN NS ns1.mesh.\nmesh. 45 IN NS ns2.mesh.' \
  "no nameservers: ns1.mesh and ns2.mesh, one per listen address"
assert_eq "$(field additional "$out" | sort)" $'ns1.mesh. 45 IN A 127.0.0.1\nns2.mesh. 45 IN A 127.0.0.2' "... with glue"
assert_eq "$(qshort ns2.mesh A)" 127.0.0.2 "ns2.mesh resolves to the second listen address"
assert_match "$(qshort mesh SOA)" '^ns1\.mesh\. hostmaster\.ns1\.mesh\. [0-9]+ 14400 3600 1209600 300$' \
  "synthesized SOA for a one-label apex: RNAME under the MNAME (a mail domain with a dot)"

# /names says where the apex came from
names_src() {   # NAME TYPE: "data <- kind" per record
  curl -sf --max-time 5 "http://127.0.0.1:$HPORT/names/$1" | "$PY" -c '
import json, sys
for v in json.load(sys.stdin)["views"]:
    for a in v.get("answers", []):
        if a["type"] == sys.argv[1]:
            for r in a["records"]:
                print(r["data"], "<-", " ".join(s["kind"] for s in r["sources"]))' "$2"
}
assert_contains "$(names_src global NS)" "ns1.global. <- nameservers" "/names: the NS from nameservers:"
assert_contains "$(names_src ns2.global A)" "127.0.0.2 <- nameservers" "/names: ... and its glue"
assert_contains "$(names_src mesh NS)" "ns1.mesh. <- synthesized" "/names: a synthesized NS says so"
assert_match "$(names_src mesh SOA)" "<- synthesized$" "/names: ... and the SOA"

# bad nameservers: entries
bad() {   # WHAT ZONE-YAML : dnsd -t fails naming file:line
  write_config "$T/bad.yaml" --port "$port" --zone "$2"
  local msg
  msg=$("$DNSD_BIN" -t -c "$T/bad.yaml" 2>&1) && die "$1: dnsd -t accepted it"
  assert_match "$msg" "bad\\.yaml:[0-9]+" "$1: the error names file:line"
  echo "  $msg"
}
bad "in-zone name without addresses" "{name: global, nameservers: [{name: ns1.global}]}"
bad "addresses for an out-of-zone name" "{name: global, nameservers: [{name: ns.example.net, addresses: [192.0.2.1]}]}"
bad "not an address" "{name: global, nameservers: [{name: ns1.global, addresses: [not-an-ip]}]}"
bad "not a name" "{name: global, nameservers: [{name: 'ns 1.global', addresses: [192.0.2.1]}]}"
bad "a name twice" "{name: global, nameservers: [{name: ns1.global, addresses: [192.0.2.1]}, {name: ns1.global, addresses: [192.0.2.2]}]}"
cat >"$T/withns.zone" <<'ZONE'
$ORIGIN global.
@ 60 IN SOA ns1.global. hostmaster.global. 1 14400 3600 1209600 300
@ 60 IN NS ns1.global.
ns1 60 IN A 192.0.2.1
ZONE
write_config "$T/both.yaml" --port "$port" \
  --zone "{name: global, file: $T/withns.zone, nameservers: [{name: ns1.global, addresses: [192.0.2.1]}]}"
msg=$("$DNSD_BIN" -t -c "$T/both.yaml" 2>&1) && die "nameservers: beside apex NS in the file accepted"
assert_contains "$msg" "nameservers" "nameservers: and apex NS records in the file: an error naming both"
assert_running
