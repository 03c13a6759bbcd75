#!/usr/bin/env bash
# Transfers under hostile clients, with a 20,000-name zone (multi-message
# AXFRs of about 1 MB; 2,000 names in sanitizer builds; hostile.py has the
# malformed IXFR): AXFR over UDP,
# 20 clients that send AXFR and never read, 20 that close after the first
# message, 100 concurrent AXFRs. No crash; memory bounded while clients
# hang (each connection queues at most 256 KiB); dnsd closes the silent
# clients itself (idle timeout); every full transfer is the same; other
# queries are answered throughout.
. "$(dirname "$0")/lib.sh"
# sanitizer builds run about 20 times slower: 100 concurrent AXFRs of 2,000 names there
sanitized=; grep -q -e __asan_init -e __tsan_init "$DNSD_BIN" 2>/dev/null && sanitized=1
names=20000 idle_ms=2000
# ... and the 100 Python clients read slowly enough there to meet a 2 s idle timeout
[ -z "$sanitized" ] || { names=2000; idle_ms=10000; }
"$PY" "$REPO/tests/bench/genzone.py" --names "$names" --zone "$T/big.zone" --queries "$T/q" --count 10 >/dev/null ||
  die "genzone failed"
# a zone of 8 MB (4,000 names with 2 KB of TXT each): more than the kernel's
# socket buffers hold, so a client that reads nothing leaves dnsd's queue full
"$PY" - "$T/fat.zone" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("$ORIGIN fat.test.\n$TTL 60\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n")
    for i in range(4000):
        f.write("n%d TXT %s\n" % (i, " ".join('"%s"' % ("x%03d" % i * 50)[:200] for _ in range(10))))
PY
port=$(free_port) || die "no free port"
DNSD_START_SECS=120   # a sanitizer build loads the 28 MB of zones slowly
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $T/big.zone}" \
  --zone "{name: fat.test, file: $T/fat.zone}" "tcp: {idle-timeout-ms: $idle_ms, max-connections: 1024}"
start_dnsd "$T/dnsd.yaml"
H=("$PY" "$E2E_DIR/hostile_xfr.py" --port "$DNSD_PORT" --pid "$DNSD_PID" --log "$DNSD_LOG")

out=$(dnsq global AXFR)
assert_eq "$(field rcode "$out")" REFUSED "AXFR over UDP: REFUSED"

out=$("${H[@]}" silent 20) || die "silent: $out"
assert_eq "$(field answered "$out")" 20 "queries answered while 20 clients hang on AXFRs"
growth=$(field rss_growth_kb "$out")
# each connection queues at most 256 KiB plus one message and a 50 KiB
# state: about 8 MB for 20; a sanitizer build's shadow memory and
# quarantine multiply that, so it gets a larger bound
bound=32768
[ -z "$sanitized" ] || bound=262144
[ "$growth" -lt "$bound" ] || die "RSS grew by $growth kB with 20 silent clients (bound $bound kB)"
echo "ok - RSS grew by $growth kB with 20 silent clients (bound: $bound kB)"
assert_eq "$(field closed "$out")" 20 "dnsd gave up on every silent client itself (idle timeout), freeing its transfer"

out=$("${H[@]}" quitters 20) || die "quitters: $out"
assert_eq "$(field answered "$out")" 20 "queries answered after 20 clients quit mid-transfer"
aborted_at_least() { [ "$(grep -c 'aborted after' "$DNSD_LOG")" -ge "$1" ]; }
wait_until 10 aborted_at_least 40 || die "quitters' transfers not freed: $(grep -c 'aborted after' "$DNSD_LOG") aborted"
echo "ok - their transfers were freed"

records=$((2 * names + 6))
out=$("${H[@]}" parallel 100 "$records") || die "parallel: $out"
assert_eq "$(field completed "$out")" 100 "100 concurrent AXFRs completed"
assert_eq "$(field distinct_counts "$out")" 1 "all 100 got the same records"
assert_eq "$(field records "$out")" "$records" "all of them: $names names x (A, AAAA), NS and glue, the SOA twice"
assert_eq "$(field answered "$out")" 20 "queries answered during the 100 transfers"
assert_running
