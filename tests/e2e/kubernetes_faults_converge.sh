#!/usr/bin/env bash
# Every fault the fake API server can inject ends with dnsd serving exactly
# the API's state, nothing stale: watch cut mid-event, 500 and 429 (with
# Retry-After), slow bytes, history compacted (ERROR 410 -> relist), an
# expired continue token in a paginated LIST, "too large resource version",
# and an API server restart that renumbers every resourceVersion.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1 -v
start_k8s_dnsd mesh-1
wait_until 10 is_ready || die "not ready"
W=20   # seconds allowed to converge (backoff is 0.8 s doubling, with jitter)

# check_state: every entry we created answers its current address, every
# deleted one is NXDOMAIN. Expected state is kept in EXPECT[host]=addr|"".
declare -A EXPECT
set_se() { # ns name addr
  if [ -n "${EXPECT[$2.$1.global]+x}" ] && [ -n "${EXPECT[$2.$1.global]}" ]; then
    se_replace mesh-1 "$1" "$2" "$2.$1.global" "$3"
  else
    se_create mesh-1 "$1" "$2" "$2.$1.global" "$3"
  fi
  EXPECT[$2.$1.global]=$3
}
del_se() { se_delete mesh-1 "$1" "$2"; EXPECT[$2.$1.global]=; }
converged() {
  local h
  for h in "${!EXPECT[@]}"; do
    if [ -n "${EXPECT[$h]}" ]; then answer_is "${EXPECT[$h]}" "$h" || return 1
    else status_is NXDOMAIN "$h" || return 1; fi
  done
}
check_state() {
  wait_until $W converged || {
    for h in "${!EXPECT[@]}"; do echo "# $h want '${EXPECT[$h]}' have '$(qshort "$h")'"; done
    die "$1: dnsd did not converge to the API's state"
  }
  echo "ok - $1: converged (${#EXPECT[@]} names)"
}

set_se a one 240.0.1.1; set_se a two 240.0.1.2; set_se b three 240.0.1.3
check_state "baseline"

# 1. watch connections cut now (as a load balancer or apiserver restart would)
w0=$(fake_state mesh-1 counts.watch)
fault mesh-1 '{"kind":"drop"}'
more_watches() { [ "$(fake_state mesh-1 counts.watch)" -gt "$1" ]; }
wait_until $W more_watches "$w0" || die "no new watch after drop"
set_se a one 240.0.2.1
check_state "watch dropped"

# 2. the next watch is cut in the middle of its second event
fault mesh-1 '{"kind":"drop-after","count":1,"events":1}'
fault mesh-1 '{"kind":"drop"}'
set_se a four 240.0.2.4; set_se a five 240.0.2.5; del_se a two
check_state "watch cut mid-event"

# 3. 500s on every request for a while; changes made meanwhile arrive after
fault mesh-1 '{"kind":"status","code":500,"count":2,"match":"any"}'
fault mesh-1 '{"kind":"drop"}'
set_se b three 240.0.3.3; set_se b six 240.0.3.6
check_state "500 Internal Server Error x2"

# 4. 429 (API Priority and Fairness: text/plain, Retry-After: 1)
f0=$(fake_state mesh-1 counts.faults)
fault mesh-1 '{"kind":"status","code":429,"count":2,"match":"any","retry_after":1}'
fault mesh-1 '{"kind":"drop"}'
set_se b seven 240.0.4.7
check_state "429 with Retry-After"
[ "$(fake_state mesh-1 counts.faults)" -ge $((f0 + 2)) ] || die "the 429s were not all served"
echo "ok - both 429s were served and retried"

# 5. slow bytes: a watch trickled 5 bytes at a time
fault mesh-1 '{"kind":"slow","bytes":5,"delay_ms":1,"count":2,"match":"watch"}'
fault mesh-1 '{"kind":"drop"}'
set_se a one 240.0.5.1; del_se b seven
check_state "slow watch stream"

# 6. history compacted while the watch is down: the resume RV is too old
#    (ERROR 410), dnsd relists and must notice deletes it never saw as events
r0=$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')
fault mesh-1 '{"kind":"status","code":503,"count":2,"match":"watch"}'
fault mesh-1 '{"kind":"drop"}'
del_se a four; set_se a five 240.0.6.5; set_se c eight 240.0.6.8
fault mesh-1 '{"kind":"gone"}'
check_state "410 Gone -> relist"
r1=$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')
[ "${r1:-0}" -gt "${r0:-0}" ] || die "relists metric did not move ($r0 -> $r1)"
echo "ok - relisted ($r0 -> $r1)"

# 7. an open watch receives ERROR 410 in-stream (compaction under it)
set_se c nine 240.0.7.9
check_state "before in-stream 410"
r0=$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')
fault mesh-1 '{"kind":"gone","stream":true}'
set_se c nine 240.0.7.10
more_relists() { [ "$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')" -gt "$1" ]; }
wait_until $W more_relists "$r0" || die "no relist after an in-stream ERROR 410"
check_state "in-stream ERROR 410"

# 8. a paginated LIST (limit=500) whose continue token expires: start over
fake mesh-1 POST /_fake/generate '{"n":1200,"namespaces":7,"prefix":"gen"}' >/dev/null || die generate
wait_until $W answer_is 240.0.4.176 gen-1199.ns-2.global || die "generated entries not seen"
l0=$(fake_state mesh-1 counts.list)
fault mesh-1 '{"kind":"expire-continue","count":1}'
fault mesh-1 '{"kind":"status","code":503,"count":1,"match":"watch"}'
fault mesh-1 '{"kind":"drop"}'
del_se c eight; set_se c ten 240.0.8.10
fault mesh-1 '{"kind":"gone"}'
check_state "expired continue token"
same_count() { [ "$(metric 'dnsd_kubernetes_serviceentries{cluster="mesh-1"}')" = "$(fake_state mesh-1 objects)" ]; }
wait_until $W same_count || die "entry count differs from the API's"
echo "ok - dnsd holds as many ServiceEntries as the API ($(fake_state mesh-1 objects))"
[ "$(fake_state mesh-1 counts.list)" -ge $((l0 + 4)) ] || die "expected a restarted paginated LIST"
echo "ok - the LIST was restarted after 410 Expired"
answer_is 240.0.0.1 gen-0.ns-0.global || die "gen-0 lost"

# 9. LIST answered 504 "Too large resource version", then served
fault mesh-1 '{"kind":"too-large-rv","count":1}'
fault mesh-1 '{"kind":"gone"}'
set_se a eleven 240.0.9.11
check_state "504 too large resource version"

# 10. API server restart: every object renumbered, connections reset
fault mesh-1 '{"kind":"restart"}'
set_se a one 240.0.10.1; del_se a five
check_state "apiserver restart"

# and still live afterwards
set_se d last 240.0.11.1
check_state "after all faults"
assert_running
