#!/usr/bin/env bash
# Memory taken for a large transient state is given back (issue #14): after
# cycles of adding and deleting N ServiceEntries, dnsd's RSS is back near
# where it started, not at the high-water mark the allocator kept.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

# ASan and TSan allocators keep freed memory in quarantine on purpose
ldd "$DNSD_BIN" 2>/dev/null | grep -q 'lib[at]san' && skip "RSS under a sanitizer's allocator says nothing"

N=${MEM_N:-10000} CYCLES=${MEM_CYCLES:-3}   # MEM_DNSD_YAML: more config (background-nice: 0)
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$DNSD_PID/status"; }
hwm_kb() { awk '$1 == "VmHWM:" {print $2}' "/proc/$DNSD_PID/status"; }
held() { [ "$(metric 'dnsd_kubernetes_serviceentries{cluster="mesh-1"}')" = "$1" ]; }
# memory is given back once no publication came for a second; dnsd_memory_settled says when
settled() { [ "$(metric dnsd_memory_settled)" = 1 ]; }
# delete_all PREFIX: the N entries /_fake/generate made with PREFIX
delete_all() {
  "$PY" - "$1" "$N" >"$T/keys.json" <<'PY'
import json, sys
p, n = sys.argv[1], int(sys.argv[2])
print(json.dumps({"keys": ["ns-%d/%s-%d" % (i % 100, p, i) for i in range(n)]}))
PY
  curl -sS -f --max-time 60 --cacert "$PKI/ca.crt" -X POST -H 'Content-Type: application/json' \
    --data @"$T/keys.json" "$(fake_url mesh-1)/_fake/delete" >/dev/null || die "delete $1"
}

start_fakeapi mesh-1 --history 200000
start_k8s_dnsd mesh-1 "${MEM_DNSD_YAML:-}"
wait_until 10 is_ready || die "not ready"
rss0=$(rss_kb)
# the Python fake serves 50,000 (MEM_N=50000) in over 120 s on a loaded machine
hold_s=$(( N / 250 > 120 ? N / 250 : 120 ))
for c in $(seq 1 "$CYCLES"); do
  # large N (MEM_N=50000) takes the fake longer than fake's 10 s
  curl -sS -f --max-time 120 --cacert "$PKI/ca.crt" -X POST -H 'Content-Type: application/json' \
    --data "{\"n\":$N,\"namespaces\":100,\"prefix\":\"c$c\",\"v6\":true}" \
    "$(fake_url mesh-1)/_fake/generate" >/dev/null || die "generate"
  wait_until "$hold_s" held "$N" || die "cycle $c: $N entries not held within $hold_s s ($(metric 'dnsd_kubernetes_serviceentries{cluster="mesh-1"}') held)"
  expect_answer 5 "$(printf '240.0.%d.%d' $(( (N) >> 8 & 255 )) $(( N & 255 )))" "c$c-$((N - 1)).ns-$(( (N - 1) % 100 )).global"
  full=$(rss_kb)
  delete_all "c$c"
  wait_until "$hold_s" held 0 || die "cycle $c: entries not all deleted within $hold_s s"
  expect_status 5 NXDOMAIN "c$c-$((N - 1)).ns-$(( (N - 1) % 100 )).global"
  deleted=$(rss_kb)
  wait_until 10 settled || die "cycle $c: memory not given back within 10 s of the last change"
  note "cycle $c: RSS ${rss0} kB at start, ${full} kB with $N entries, ${deleted} kB after deleting them, $(rss_kb) kB settled (VmHWM $(hwm_kb) kB)"
done
# given back within a deadline: the publisher trims once changes settled for a second
bound=$(( rss0 + ${MEM_BOUND_MB:-12} * 1024 ))
rss_within() { [ "$(rss_kb)" -le "$bound" ]; }
wait_until 10 rss_within ||
  die "RSS after $CYCLES add/delete cycles of $N: $(rss_kb) kB > $bound kB (start $rss0 kB + ${MEM_BOUND_MB:-12} MB)"
echo "ok - RSS after $CYCLES cycles of $N entries: $(rss_kb) kB, start $rss0 kB, bound $bound kB"
assert_running
