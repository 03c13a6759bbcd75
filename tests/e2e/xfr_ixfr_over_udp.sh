#!/usr/bin/env bash
# IXFR over UDP (RFC 1995 §2), with dnspython and kdig +notcp, on a zone fed
# by the fake API server:
# - the client's serial is current: one SOA, no TC;
# - the differences fit the datagram: the whole IXFR answer in it (SOA new,
#   SOA old, what left, SOA new, what arrived, SOA new), no TC;
# - they do not fit (40 new names, or a 512-byte client): TC and the single
#   SOA of the current version (§2: "inform the client that a TCP query
#   should be initiated"; kdig +notcp shows it, dnspython and NSD retry over TCP), counted in dnsd_xfr_requests_total{type="IXFR",result="udp_truncated"},
#   and the same question over TCP gets the differences.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
command -v kdig >/dev/null || skip "kdig not installed"
start_fakeapi mesh-1
se_create mesh-1 team api api.team.global 10.0.0.100
port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --http "127.0.0.1:$HPORT" \
  --zone "{name: global, file: $REPO/zones/global.zone, ttl: 30, kubernetes: [mesh-1]}" \
  --kubernetes "{name: mesh-1, kubeconfig: $T/mesh-1.kubeconfig}"
start_dnsd "$T/dnsd.yaml"
wait_until 10 is_ready || die "not ready"
expect_answer 5 10.0.0.100 api.team.global >/dev/null
s0=$(serial)
se_replace mesh-1 team api api.team.global 10.0.0.1
expect_answer 5 10.0.0.1 api.team.global >/dev/null
s1=$(serial)
[ "$s1" != "$s0" ] || die "the serial did not move ($s0)"

# udp_ixfr SERIAL [BUFSIZE]: one IXFR over UDP with dnspython; prints
# "flags=<tc|->" then the answer records, in order
udp_ixfr() {
  "$PY" - "$DNSD_PORT" "$1" "${2:-1232}" <<'PY'
import sys, dns.message, dns.query, dns.rdatatype, dns.rrset, dns.flags
port, serial, bufsize = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
q = dns.message.make_query("global.", dns.rdatatype.IXFR, use_edns=0 if bufsize > 512 else False, payload=bufsize)
q.authority.append(dns.rrset.from_text("global.", 0, "IN", "SOA", ". . %d 0 0 0 0" % serial))
r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3, ignore_trailing=True, one_rr_per_rrset=True)
print("rcode=%s flags=%s" % (dns.rcode.to_text(r.rcode()), "tc" if r.flags & dns.flags.TC else "-"))
for rrset in r.answer:
    for rd in rrset:
        print("%s %s %s" % (rrset.name, dns.rdatatype.to_text(rrset.rdtype), rd))
PY
}

out=$(udp_ixfr "$s1") || die "UDP IXFR failed"
assert_eq "$(head -n1 <<<"$out")" "rcode=NOERROR flags=-" "current serial over UDP: NOERROR, no TC"
assert_eq "$(tail -n +2 <<<"$out" | awk '{print $2, $5}' | tr '\n' ' ')" "SOA $s1 " "current serial over UDP: one SOA"
out=$(kdig +notcp +noall +answer -p "$DNSD_PORT" @127.0.0.1 global "IXFR=$s1")
assert_eq "$(awk '{print $4, $7}' <<<"$out" | tr '\n' ' ')" "SOA $s1 " "kdig +notcp IXFR=current: one SOA"

out=$(udp_ixfr "$s0") || die "UDP IXFR failed"
assert_eq "$(head -n1 <<<"$out")" "rcode=NOERROR flags=-" "a small difference over UDP: no TC"
assert_eq "$(tail -n +2 <<<"$out" | awk '{print $2 == "SOA" ? "SOA" $5 : $2 $3}' | tr '\n' ' ')" \
  "SOA$s1 SOA$s0 A10.0.0.100 SOA$s1 A10.0.0.1 SOA$s1 " "... the whole IXFR answer in one datagram"
out=$(kdig +notcp +noall +answer -p "$DNSD_PORT" @127.0.0.1 global "IXFR=$s0" | awk '{$1 = $1; print}')
assert_contains "$out" "api.team.global. 30 IN A 10.0.0.100" "kdig +notcp: the record that left"
assert_contains "$out" "api.team.global. 30 IN A 10.0.0.1" "kdig +notcp: the record that arrived"
assert_eq "$(grep -c SOA <<<"$out")" 4 "kdig +notcp: four SOAs (one difference)"

# the same difference does not fit 512 bytes once 40 names arrive
for i in $(seq 1 40); do se_create mesh-1 team "svc$i" "service-number-$i.team.global" "10.1.0.$i"; done
expect_answer 10 10.1.0.40 service-number-40.team.global >/dev/null
s2=$(serial)
tc_before=$(metric 'dnsd_xfr_requests_total{type="IXFR",result="udp_truncated"}')
out=$(udp_ixfr "$s1") || die "UDP IXFR failed"
assert_eq "$(head -n1 <<<"$out")" "rcode=NOERROR flags=tc" "a difference larger than 1232 bytes over UDP: TC"
assert_eq "$(tail -n +2 <<<"$out" | awk '{print $2, $5}' | tr '\n' ' ')" "SOA $s2 " "... and the current SOA alone"
out=$(kdig +notcp +ignore +noall +answer -p "$DNSD_PORT" @127.0.0.1 global "IXFR=$s1" 2>&1)
assert_eq "$(awk '{print $4, $7}' <<<"$out" | tr '\n' ' ')" "SOA $s2 " "kdig +notcp +ignore (no TCP retry): the current SOA"
out=$(udp_ixfr "$s0" 512) || die "UDP IXFR failed"
assert_eq "$(head -n1 <<<"$out")" "rcode=NOERROR flags=tc" "no EDNS (512 bytes): TC"
tc_after=$(metric 'dnsd_xfr_requests_total{type="IXFR",result="udp_truncated"}')
assert_eq "$((tc_after - tc_before))" 3 "the truncated UDP IXFRs are counted"
tcp=$("$PY" "$E2E_DIR/xfr_dump.py" --port "$DNSD_PORT" --ixfr "$s1" global) || die "IXFR over TCP failed"
assert_eq "$(grep -c '^service-number-.* A 10\.1\.0\.' <<<"$tcp")" 40 "over TCP the client gets the 40 new names"
assert_eq "$(head -n1 <<<"$tcp" | awk '{print $3, $6}')" "SOA $s2" "... from serial $s2"
assert_running
