#!/usr/bin/env bash
# Refused transfers and bad TSIG are logged within a limit (log.h
# log_limit: at most 5 lines a second of each kind): a client that floods
# IXFR requests over UDP, refused (not in allow-transfer) or signed with a
# key dnsd does not know (BADKEY), cannot write a line per packet. Every
# request is still answered (REFUSED, NOTAUTH) and counted in /metrics, the
# first ones are logged, and the next line after the flood says how many
# were left out. Control: a refused transfer from a quiet client is logged
# at once, whole.
. "$(dirname "$0")/lib.sh"

HPORT=$(free_port) || die "no free port"
port=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --http "127.0.0.1:$HPORT" \
  --zone "{name: global, file: $TEST_ZONE, allow-transfer: [10.0.0.0/8]}"
start_dnsd "$T/dnsd.yaml"
metric() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# flood KIND N: N IXFR requests over UDP, back to back, each answered before
# the next; KIND plain (refused) or badkey (TSIG with an unknown key);
# prints how many got the right rcode
flood() {
  "$PY" - "$port" "$1" "$2" <<'PY'
import socket, sys
import dns.message, dns.rcode, dns.rrset, dns.tsig, dns.name
port, kind, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
s.settimeout(2)
q = dns.message.make_query("global.", "IXFR")
q.authority.append(dns.rrset.from_text("global.", 0, "IN", "SOA", "a. b. 1 1 1 1 1"))
want = dns.rcode.REFUSED
if kind == "badkey":
    k = dns.tsig.Key(dns.name.from_text("nobody-knows"), "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
                     dns.tsig.HMAC_SHA256)
    q.use_tsig({k.name: k}, k.name)
    want = dns.rcode.NOTAUTH
w = q.to_wire()
good = 0
for i in range(n):
    s.send(w)
    try:
        r = s.recv(4096)
    except socket.timeout:
        continue
    good += (r[3] & 0x0F) == want  # the header's rcode: REFUSED 5, NOTAUTH 9
print(good)
PY
}

# the control: one refused IXFR, logged whole
assert_eq "$(flood plain 1)" 1 "a refused IXFR over UDP: REFUSED"
expect_log 5 "transfer refused: not in allow-transfer: client=127.0.0.1 qtype=IXFR zone=global."

before=$(log_count "transfer refused: not in allow-transfer")
t0=$SECONDS
assert_eq "$(flood plain 3000)" 3000 "3,000 refused IXFRs over UDP: every one REFUSED"
secs=$((SECONDS - t0 + 1))
lines=$(($(log_count "transfer refused: not in allow-transfer") - before))
[ "$lines" -ge 1 ] && [ "$lines" -le $((5 * (secs + 1))) ] ||
  die "the flood of 3,000 refusals wrote $lines log lines in ${secs} s (limit 5 a second)"
echo "ok - the flood's refusals: $lines log lines in about $secs s, not 3,000"
assert_eq "$(metric 'dnsd_xfr_requests_total{type="any",result="refused"}')" 3001 \
  "dnsd_xfr_requests_total counts every refusal"

assert_eq "$(flood badkey 3000)" 3000 "3,000 IXFRs signed with an unknown key: every one NOTAUTH"
lines=$(log_count "tsig: BADKEY from 127.0.0.1")
[ "$lines" -ge 1 ] && [ "$lines" -lt 100 ] || die "the BADKEY flood wrote $lines log lines"
echo "ok - the BADKEY flood: $lines log lines, not 3,000"
assert_eq "$(metric 'dnsd_tsig_requests_total{result="BADKEY"}')" 3000 \
  "dnsd_tsig_requests_total counts every BADKEY"

# after the flood, a later second's first refusal says how many were left
# out (polled: one refused IXFR every 0.1 s until that line, 5 s)
said_held() {
  flood plain 1 >/dev/null
  [ "$(log_count "transfer refused: not in allow-transfer" "more since the last such line not logged")" -gt 0 ]
}
wait_until 5 said_held || die "no refusal line said how many were left out"
echo "ok - a later line says how many refusals were not logged: $(grep -o '([0-9]* more since the last such line not logged[^)]*)' "$DNSD_LOG" | tail -1)"
