#!/usr/bin/env bash
# An RRset too large for one TCP message (4,200 A records, 67 KB; the issue measured 60,000) is never served
# cut short as if whole: over TCP it is SERVFAIL, over UDP TC=1 with no
# records, and the load logs a warning naming it. Control: an RRset of 2,000
# A records (32 KB) comes back whole over TCP, without TC.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
zone=$T/big.zone
$PY - >"$zone" <<'PY'
print("@ IN SOA ns hostmaster 1 3600 600 86400 30\n@ IN NS ns\nns IN A 192.0.2.1")
for i in range(4200):
    print("big IN A 10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255))
for i in range(2000):
    print("many IN A 10.200.%d.%d" % (i >> 8, i & 255))
PY
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone, ttl: 30}"
DNSD_START_SECS=60 # a zone this size loads slower under the sanitizers
start_dnsd "$T/dnsd.yaml"

out=$(qdig +tcp big.global A)
assert_contains "$out" "status: SERVFAIL" "4,200 A records over TCP: SERVFAIL"
assert_contains "$out" "ANSWER: 0," "4,200 A records over TCP: no partial answer"
out=$(qdig +ignore big.global A)
assert_contains "$out" "flags: qr aa tc;" "4,200 A records over UDP: TC"
assert_contains "$out" "ANSWER: 0," "4,200 A records over UDP: no records"
out=$(qdig +tcp many.global A)
assert_contains "$out" "status: NOERROR" "2,000 A records over TCP: NOERROR"
assert_contains "$out" "ANSWER: 2000," "2,000 A records over TCP: all of them"
assert_not_contains "$out" " tc" "2,000 A records over TCP: no TC"
assert_contains "$(cat "$DNSD_LOG")" "big.global. type 1: 4200 records do not fit in one message" \
  "the oversized RRset is logged"
assert_running
