#!/usr/bin/env bash
# One cluster's relist does not stall the others (issue #14): while mesh-1
# relists 20,000 entries (ERROR 410; its LIST pages trickled so that the
# relist takes seconds), a change in mesh-2 is served within 2 s. Then
# mesh-1's relist ends with every entry still served.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

# sanitized builds run 5-15x slower: fewer entries, deadlines x5 (the
# relist still outlasts mesh-2's change: its pages trickle)
slow=1 n=20000
ldd "$DNSD_BIN" 2>/dev/null | grep -q 'lib[at]san' && slow=5 n=2000
N=${RELIST_N:-$n}
held() { [ "$(metric "dnsd_kubernetes_serviceentries{cluster=\"$1\"}")" = "$2" ]; }
relists() { metric "dnsd_kubernetes_relists_total{cluster=\"mesh-1\"}"; }
last=$((N - 1)) ns=$(( (N - 1) % 100 ))

start_fakeapi mesh-1 --history 200000
start_fakeapi mesh-2
start_k8s_dnsd mesh-1,mesh-2
wait_until $((10 * slow)) is_ready || die "not ready"
curl -sS -f --max-time 120 --cacert "$PKI/ca.crt" -X POST -H 'Content-Type: application/json' \
  --data "{\"n\":$N,\"namespaces\":100,\"prefix\":\"a\",\"v6\":true}" "$(fake_url mesh-1)/_fake/generate" \
  >/dev/null || die "generate a"
wait_until $((60 * slow)) held mesh-1 "$N" || die "mesh-1: $N entries not held"
expect_answer 5 "$(printf '240.0.%d.%d' $((N >> 8 & 255)) $((N & 255)))" "a-$last.ns-$ns.global"

# every page of mesh-1's LISTs trickles from now on (64 KiB every 100 ms:
# the relist of N entries takes seconds), then ERROR 410 into its watch
lists() { fake mesh-1 GET /_fake/state | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["counts"]["list"])'; }
pages=$(( (N + 499) / 500 ))
fault mesh-1 '{"kind":"slow","bytes":65536,"delay_ms":100,"count":100000,"match":"list"}'
l0=$(lists) r0=$(relists)
fault mesh-1 '{"kind":"gone","stream":true}'
relisting() { [ "$(relists)" -gt "$r0" ] && [ "$(lists)" -gt "$l0" ]; }
wait_until $((30 * slow)) relisting || die "mesh-1 did not start relisting"

t0=$(date +%s%N)
se_create mesh-2 default quick quick.default.global 10.2.0.1
expect_answer $((2 * slow)) 10.2.0.1 quick.default.global || die "mesh-2's change not served within $((2 * slow)) s during mesh-1's relist"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# the relist was still going on then: not all its pages were served
done_pages=$(( $(lists) - l0 ))
[ "$done_pages" -lt "$pages" ] || die "mesh-1's relist ended ($done_pages pages) before mesh-2's change was served"
note "mesh-2's change served in $ms ms while mesh-1 relisted ($done_pages of $pages pages fetched)"

fault mesh-1 '{"kind":"clear"}'
relisted() { [ "$(( $(lists) - l0 ))" -ge "$pages" ]; }
wait_until $((120 * slow)) relisted || die "mesh-1's relist did not end"
wait_until $((30 * slow)) held mesh-1 "$N" || die "mesh-1 lost entries in its relist"
expect_answer 5 "$(printf '240.0.%d.%d' $((N >> 8 & 255)) $((N & 255)))" "a-$last.ns-$ns.global"
expect_answer 5 10.2.0.1 quick.default.global
echo "ok - mesh-2 served in $ms ms during mesh-1's relist of $N entries; mesh-1 converged"
assert_running
