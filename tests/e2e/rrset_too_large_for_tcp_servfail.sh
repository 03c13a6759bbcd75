#!/usr/bin/env bash
# An RRset too large for one TCP message (5,000 A records, 80 KB; the issue measured 60,000) is never served
# cut short as if whole: over TCP it is SERVFAIL, over UDP TC=1 with no
# records, and the load logs a warning naming it. Control: an RRset of 3,000
# A records (48 KB) comes back whole over TCP, without TC.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
zone=$T/big.zone
$PY - >"$zone" <<'PY'
print("@ IN SOA ns hostmaster 1 3600 600 86400 30\n@ IN NS ns\nns IN A 192.0.2.1")
for i in range(5000):
    print("big IN A 10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255))
for i in range(3000):
    print("many IN A 10.200.%d.%d" % (i >> 8, i & 255))
PY
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone, ttl: 30}"
start_dnsd "$T/dnsd.yaml"

out=$(qdig +tcp big.global A)
assert_contains "$out" "status: SERVFAIL" "5,000 A records over TCP: SERVFAIL"
assert_contains "$out" "ANSWER: 0," "5,000 A records over TCP: no partial answer"
out=$(qdig +ignore big.global A)
assert_contains "$out" "flags: qr aa tc;" "5,000 A records over UDP: TC"
assert_contains "$out" "ANSWER: 0," "5,000 A records over UDP: no records"
out=$(qdig +tcp many.global A)
assert_contains "$out" "status: NOERROR" "3,000 A records over TCP: NOERROR"
assert_contains "$out" "ANSWER: 3000," "3,000 A records over TCP: all of them"
assert_not_contains "$out" " tc" "3,000 A records over TCP: no TC"
assert_contains "$(cat "$DNSD_LOG")" "big.global. type 1: 5000 records do not fit in one message" \
  "the oversized RRset is logged"
assert_running
