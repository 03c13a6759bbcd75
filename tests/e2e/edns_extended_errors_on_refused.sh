#!/usr/bin/env bash
# Extended DNS Errors (RFC 8914) on REFUSED, so that a forwarder's operator
# sees why in dig: Not Authoritative (20) outside every zone, Prohibited (18)
# for a client no view matches, for a name only another view serves, for a
# class other than IN, and for a transfer allow-transfer refuses. Only when
# the query had EDNS; over UDP and TCP alike; counted by code.
. "$(dirname "$0")/lib.sh"

HPORT=$(free_port) || die "no free port"
serve_test_zone --http "127.0.0.1:$HPORT" \
  --zone "{name: global, file: $TEST_ZONE, allow-transfer: [10.9.9.9]}"
metric() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

for proto in +notcp +tcp; do
  d=$(qdig $proto example.com A)
  assert_contains "$d" "status: REFUSED" "$proto example.com: REFUSED"
  assert_contains "$d" "EDE: 20 (Not Authoritative): (no zone for this name)" "$proto example.com: EDE 20"
done
assert_not_contains "$(qdig +noedns example.com A)" "EDE" "without EDNS: no EDE (no OPT to carry it)"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec +edns example.com A)
assert_contains "$k" "EDE: 20 (Not Authoritative)" "kdig +edns sees EDE 20"

d=$(qdig -c CH nosuch.name TXT)
assert_contains "$d" "status: REFUSED" "CH nosuch.name: REFUSED"
assert_contains "$d" "EDE: 18 (Prohibited)" "CH nosuch.name: EDE 18"
d=$(qdig -c HS www.global A)
assert_contains "$d" "EDE: 18 (Prohibited): (only class IN is served)" "class HS: EDE 18"

# allow-transfer: only 10.9.9.9; 127.0.0.1 asks
out=$(dnsq --tcp global AXFR)
assert_eq "$(field rcode "$out")" REFUSED "AXFR outside allow-transfer: REFUSED"
assert_match "$(field edns "$out")" 'options=15:0012' "AXFR refused: EDE 18 in the OPT"
text=$(printf 'transfer refused: not in allow-transfer' | od -An -tx1 | tr -d ' \n')
assert_contains "$(field edns "$out")" "$text" "AXFR refused: its EXTRA-TEXT says why"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +edns +tcp global SOA)
assert_contains "$k" "status: NOERROR" "kdig SOA over TCP: answered (only the transfer is refused)"
out=$(dnsq --tcp --noedns global AXFR)
assert_eq "$(field rcode "$out") $(field edns "$out")" "REFUSED none" "AXFR refused without EDNS: no OPT"

n=$(metric 'dnsd_dns_ede_total{code="20",name="not_authoritative"}')
[ "${n:-0}" -ge 3 ] || die "EDE 20 counted $n times, want >= 3 (UDP, TCP, kdig)"
echo "ok - EDE 20 counted ($n)"
n=$(metric 'dnsd_dns_ede_total{code="18",name="prohibited"}')
[ "${n:-0}" -ge 4 ] || die "EDE 18 counted $n times, want >= 4"
echo "ok - EDE 18 counted ($n)"
stop_dnsd >/dev/null

# views: 127.0.0.2 sees the zone, everyone else a view with no zones,
# and 127.0.0.3 no view at all
port=$(free_port) || die "no free port"
DNSD_ZONE=$TEST_ZONE write_config "$T/views.yaml" --port "$port" "lameduck-ms: 0" \
  --view "{name: inside, match-clients: [127.0.0.2]}" \
  --view "{name: outside, match-clients: ['!127.0.0.3', any], zones: []}"
start_dnsd "$T/views.yaml"
assert_contains "$(qdig -b 127.0.0.2 www.global A)" "status: NOERROR" "127.0.0.2 (view inside): answered"
d=$(qdig -b 127.0.0.1 www.global A)
assert_contains "$d" "status: REFUSED" "127.0.0.1 (view outside): REFUSED"
assert_contains "$d" "EDE: 18 (Prohibited): (name not served to this client's view)" "another view's name: EDE 18"
d=$(qdig -b 127.0.0.3 www.global A)
assert_contains "$d" "EDE: 18 (Prohibited): (no view matches this client)" "no view: EDE 18"
d=$(qdig -b 127.0.0.1 example.com A)
assert_contains "$d" "EDE: 20 (Not Authoritative)" "a name no view serves: EDE 20"
