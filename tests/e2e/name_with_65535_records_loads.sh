#!/usr/bin/env bash
# Issue #15: a zone file with 65,535 A records at one name, in shuffled
# order, a thousand of them twice (a duplicate counts a contribution, not a
# record), loads (`dnsd -t` and the server) and is served as any RRset too
# large for one message: SERVFAIL over TCP, TC=1 over UDP, the load logging
# it with its 65,535 records. Adding and removing at one name used to walk
# and move all of its records (quadratic: 27 s of CPU to load this file);
# zone_build_index.c makes it linear (tests/bench/big_name_callgrind.py).
# Control: a name of 2,000 records in the same file comes back whole.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
zone=$T/huge.zone
$PY - >"$zone" <<'PY'
import random
print("@ IN SOA ns hostmaster 1 3600 600 86400 30\n@ IN NS ns\nns IN A 192.0.2.1")
addrs = list(range(65535))
random.Random(15).shuffle(addrs)
for i in addrs + addrs[:1000]:
    print("huge IN A 10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255))
for i in range(2000):
    print("many IN A 10.200.%d.%d" % (i >> 8, i & 255))
PY
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone, ttl: 30}"
"$DNSD_BIN" -t -c "$T/dnsd.yaml" >"$T/check.log" 2>&1 || die "dnsd -t failed: $(tail -n 5 "$T/check.log")"
DNSD_START_SECS=60 # a zone this size loads slower under the sanitizers
start_dnsd "$T/dnsd.yaml"

out=$(qdig +tcp huge.global A)
assert_contains "$out" "status: SERVFAIL" "65,535 A records over TCP: SERVFAIL"
assert_contains "$out" "ANSWER: 0," "65,535 A records over TCP: no partial answer"
out=$(qdig +ignore huge.global A)
assert_contains "$out" "flags: qr aa tc;" "65,535 A records over UDP: TC"
out=$(qdig +tcp many.global A)
assert_contains "$out" "ANSWER: 2000," "2,000 A records over TCP: all of them"
assert_contains "$(cat "$DNSD_LOG")" "huge.global. type 1: 65535 records do not fit in one message" \
  "the oversized RRset is logged with its 65,535 records (duplicates not counted)"
assert_running
