#!/usr/bin/env bash
# Query workers first (issue #14): the threads that follow Kubernetes, build
# and publish zones and write saved state run at the workers' nice value plus
# background-nice (default 10) under SCHED_BATCH, named for top -H; the
# workers keep the process's priority. background-nice: 0 leaves them all
# alike.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

# threads: "comm nice policy" of each of dnsd's threads, one a line
threads() {
  local t
  for t in /proc/"$DNSD_PID"/task/*; do
    # comm can hold spaces: the fields after ")" are numbered from 3
    awk -v comm="$(cat "$t/comm")" '{ sub(/.*\) /, ""); print comm, $17, $39 }' "$t/stat"
  done
}
nice_of() { threads | awk -v n="$1" '$1 == n { print $2, $3 }' | sort -u; }
has_thread() { threads | grep -q "^$1 "; }

start_fakeapi mesh-1
se_create mesh-1 default web web.default.global 240.0.0.7
start_k8s_dnsd mesh-1
wait_until 10 is_ready || die "not ready"
expect_answer 5 240.0.0.7 web.default.global
wait_until 5 has_thread dnsd-publisher || die "no dnsd-publisher thread: $(threads | tr '\n' ';')"
main=$(awk '{ sub(/.*\) /, ""); print $17 }' "/proc/$DNSD_PID/stat")
want="$(( main + 10 > 19 ? 19 : main + 10 )) 3"   # SCHED_BATCH = 3
for t in dnsd-k8s-watch dnsd-publisher; do
  assert_eq "$(nice_of "$t")" "$want" "$t: nice and policy (main thread nice $main)"
done
# every other thread (main, TCP and UDP workers) at the main thread's nice, SCHED_OTHER
others=$(threads | awk '$1 !~ /^dnsd-(k8s|publisher)/ { print $2, $3 }' | sort -u)
assert_eq "$others" "$main 0" "workers and main thread: nice and policy"
# the zone still follows changes at the lower priority
se_replace mesh-1 default web web.default.global 240.0.0.8
expect_answer 5 240.0.0.8 web.default.global
echo "ok - background threads at nice $want (policy), workers at $main 0"

# background-nice: 0: nothing lowered
stop_dnsd >/dev/null || true
start_k8s_dnsd mesh-1 "background-nice: 0"
wait_until 10 is_ready || die "not ready (background-nice 0)"
wait_until 5 has_thread dnsd-publisher || die "no dnsd-publisher thread"
assert_eq "$(threads | awk '{ print $2, $3 }' | sort -u)" "$main 0" "background-nice 0: every thread"
echo "ok - background-nice 0 leaves every thread at nice $main, SCHED_OTHER"
assert_running
