#!/usr/bin/env bash
# Zone transfers from the command line (replaces the old "refused" test):
# - dig AXFR from loopback (the default allow-transfer) gets every record of
#   tests/data/zones/test.global.zone, as dnspython reads the file, SOA first
#   and last; kdig IXFR=<current> gets one SOA, IXFR=<older> the whole zone;
# - AXFR over UDP is REFUSED;
# - a zone whose allow-transfer does not list the client answers REFUSED and
#   logs the refusal; its queries are still answered.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/secondaries.bash"
port=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $TEST_ZONE}" \
  --zone "{name: locked.example, file: $T/locked.zone, allow-transfer: [\"10.0.0.0/8\", \"!127.0.0.0/8\"]}"
cat >"$T/locked.zone" <<'ZONE'
$ORIGIN locked.example.
$TTL 60
@ IN SOA ns hostmaster 7 3600 600 86400 60
@ IN NS ns
ns IN A 192.0.2.53
ZONE
start_dnsd "$T/dnsd.yaml"

# every record of the file, SOA first and last
out=$(qdig global AXFR)
assert_eq "$(grep -v '^;' <<<"$out" | grep -c .)" 233 "dig AXFR: 231 records plus the SOA twice"
assert_match "$(grep -v '^;' <<<"$out" | grep . | head -n1)" 'SOA' "dig AXFR: SOA first"
assert_match "$(grep -v '^;' <<<"$out" | grep . | tail -n1)" 'SOA' "dig AXFR: SOA last"
want=$("$PY" - "$TEST_ZONE" <<'PY'
import sys, dns.zone, dns.rdata, dns.rdatatype
z = dns.zone.from_file(sys.argv[1], origin="global.", relativize=False)
def canon(rd):  # through the wire form, as the transfer's records are read
    w = rd.to_wire()
    return dns.rdata.from_wire(rd.rdclass, rd.rdtype, w, 0, len(w)).to_text().lower()
print("\n".join(sorted("%s %d IN %s %s" % (name.to_text().lower(), ttl, dns.rdatatype.to_text(rd.rdtype), canon(rd))
                       for name, ttl, rd in z.iterate_rdatas())))
PY
)
got=$(dnsd_dump global) || die "AXFR with dnspython failed"
assert_eq "$(md5sum <<<"$got")" "$(md5sum <<<"$want")" "AXFR holds exactly the zone file's records"

serial=$(qdig +short global SOA | awk '{print $3}')
out=$(kdig -p "$DNSD_PORT" @"$DNSD_ADDR" global "IXFR=$serial" +noall +answer)
assert_eq "$(grep -c SOA <<<"$out") $(grep -c . <<<"$out")" "1 1" "kdig IXFR=current: one SOA"
out=$(kdig -p "$DNSD_PORT" @"$DNSD_ADDR" global "IXFR=$((serial - 1))" +noall +answer)
assert_eq "$(grep -c . <<<"$out")" 233 "kdig IXFR=older with no history: the whole zone"

out=$(dnsq global AXFR)
assert_eq "$(field rcode "$out")" REFUSED "AXFR over UDP: REFUSED"
out=$(dnsq global IXFR)
assert_match "$(field rcode "$out") $(field flags "$out")" '^NOERROR qr aa' "IXFR over UDP without a serial: answered (whole zone or TC)"

# the locked zone
out=$(dnsq --tcp locked.example AXFR)
assert_eq "$(field rcode "$out") | $(field counts "$out")" "REFUSED | 1 0 0 1" "AXFR from a client allow-transfer excludes: REFUSED, no records, OPT"
assert_match "$(field edns "$out")" "options=15:0012" "... the OPT carries EDE 18 Prohibited (RFC 8914)"
assert_contains "$(grep 'transfer refused' "$DNSD_LOG")" "not in allow-transfer: client=127.0.0.1 qtype=AXFR zone=locked.example." "the refusal is logged"
assert_eq "$(qshort ns.locked.example A)" 192.0.2.53 "the zone still answers queries"
out=$(dnsq --tcp www.global AXFR)
assert_eq "$(field rcode "$out")" NOTAUTH "AXFR of a name that is not a zone apex: NOTAUTH"
assert_running
