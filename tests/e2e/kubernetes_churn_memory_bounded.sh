#!/usr/bin/env bash
# Churn leaves no growth and no stale records (issue #14): N ServiceEntries,
# then C mixed changes (modify, delete, add back) with two relists (ERROR 410)
# in the middle. Afterwards the whole zone (AXFR from loopback) is exactly
# what the API's LIST implies, and RSS is within a stated bound of what it
# was after a warm-up churn of the same kind.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

ldd "$DNSD_BIN" 2>/dev/null | grep -q 'lib[at]san' && skip "RSS under a sanitizer's allocator says nothing"
command -v dig >/dev/null || skip "dig not installed"

N=${CHURN_N:-5000} C=${CHURN_CHANGES:-30000} BOUND_MB=${CHURN_BOUND_MB:-2}
CHURN="$REPO/tests/bench/k8s_churn.py"
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$DNSD_PID/status"; }
held() { [ "$(metric 'dnsd_kubernetes_serviceentries{cluster="mesh-1"}')" = "$1" ]; }

start_fakeapi mesh-1 --history 400000
api=(--url "$(fake_url mesh-1)" --ca "$PKI/ca.crt" --token-file "$T/mesh-1.token")
start_k8s_dnsd mesh-1
wait_until 10 is_ready || die "not ready"
fake mesh-1 POST /_fake/generate "{\"n\":$N,\"namespaces\":100,\"prefix\":\"svc\",\"v6\":true}" >/dev/null ||
  die "generate"
wait_until 60 held "$N" || die "$N entries not held"

# warm-up: the allocator and the tables reach the size churn needs
"$PY" "$CHURN" churn "${api[@]}" --n "$N" --changes "$C" --relists 1 --seed 1 --max-s 120 >"$T/warm.json" ||
  die "warm-up churn"
"$PY" "$CHURN" compare "${api[@]}" --dns-port "$DNSD_PORT" --wait-s 60 >"$T/cmp0.json" ||
  die "after the warm-up the zone differs from the API: $(cat "$T/cmp0.json")"
rss1=$(rss_kb)
"$PY" "$CHURN" churn "${api[@]}" --n "$N" --changes "$C" --relists 2 --seed 2 --max-s 300 >"$T/churn.json" ||
  die "churn"
note "churn: $(cat "$T/churn.json")"
assert_match "$(cat "$T/churn.json")" "\"changes\": $C, \"relists\": 2," "every change and relist sent"
"$PY" "$CHURN" compare "${api[@]}" --dns-port "$DNSD_PORT" --wait-s 60 >"$T/cmp.json" ||
  die "after $C changes the zone differs from the API: $(cat "$T/cmp.json")"
note "zone vs API: $(cat "$T/cmp.json")"
# the publisher trims at most once a second: RSS comes back within a deadline
bound=$(( rss1 + BOUND_MB * 1024 ))
rss_within() { [ "$(rss_kb)" -le "$bound" ]; }
wait_until 10 rss_within ||
  die "RSS after $C changes: $(rss_kb) kB > $bound kB (after warm-up $rss1 kB + $BOUND_MB MB)"
echo "ok - $N entries, $C changes, 2 relists: RSS $(rss_kb) kB (after warm-up $rss1 kB, bound $bound kB); zone = API"
# the packed entries' slab: relists and deletes leave its chunks partly used;
# compaction moves the entries out of the sparse ones, so what stays mapped
# is what is in use plus a sixteenth, the compaction's slack and the newest
# chunk (1 MiB, partly bump space) -- not the high-water mark
packed=$(metric 'dnsd_kubernetes_packed_bytes{cluster="mesh-1"}')
mapped=$(metric 'dnsd_kubernetes_packed_mapped_bytes{cluster="mesh-1"}')
compactions=$(metric 'dnsd_kubernetes_packed_compactions_total{cluster="mesh-1"}')
note "packed entries: $packed bytes in use, $mapped mapped, $compactions compactions"
pbound=$(( packed + packed / 16 + (256 + 1024) * 1024 ))
[ "$mapped" -le "$pbound" ] ||
  die "packed entries' slab: $mapped bytes mapped for $packed in use (bound $pbound)"
echo "ok - packed entries' slab: $mapped bytes mapped for $packed in use (bound $pbound)"
assert_running
