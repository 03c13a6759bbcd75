# shellcheck shell=bash
# tests/e2e/lib.sh - helpers for end-to-end tests: start the real dnsd on a free
# loopback port, query it with real clients, poll with deadlines (never sleep
# to synchronise). Source it first thing:  . "$(dirname "$0")/lib.sh"
#
# DNSD_BIN       the binary under test (set by `make e2e`; default build/release/dnsd)
# DNSD_TEST_ADDR aim the tests at a daemon you started yourself (e.g. under gdb):
#                "127.0.0.1:5353"; start_dnsd then only records the address.
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
DNSD_BIN=${DNSD_BIN:-$REPO/build/release/dnsd}
PY=/usr/bin/python3          # Debian's python3, which has python3-dnspython
# so that Python in a test (a heredoc, say) can `import dnsq`
export PYTHONPATH=$E2E_DIR${PYTHONPATH:+:$PYTHONPATH}
T=$(mktemp -d "${TMPDIR:-/tmp}/dnsd-e2e.XXXXXX")
_CLEANUP=()
DNSD_PID=
DNSD_ADDR=127.0.0.1
DNSD_PORT=
DNSD_LOG=$T/dnsd.log
DNSD_LOGS=()                 # every dnsd started by this test, checked for sanitizer reports
DNSD_ZONE=${DNSD_ZONE:-$REPO/zones/global.zone}   # the zone write_config serves
TEST_ZONE=$REPO/tests/data/zones/test.global.zone

_cleanup() {
  local rc=$? i log
  for ((i=${#_CLEANUP[@]}-1; i>=0; i--)); do eval "${_CLEANUP[i]}" >/dev/null 2>&1 || true; done
  # A sanitizer report in any dnsd log fails the test, whatever it asserted.
  for log in "${DNSD_LOGS[@]}"; do
    if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$log" 2>/dev/null; then
      echo "FAIL: sanitizer report in dnsd log $log:" >&2
      grep -A 30 -E 'runtime error|ERROR: (Address|Leak)Sanitizer' "$log" | head -n 60 >&2
      rc=1
    fi
  done
  [ -n "${KEEP_T:-}" ] || rm -rf "$T"
  exit $rc
}
trap _cleanup EXIT
on_exit() { _CLEANUP+=("$*"); }

die() { echo "FAIL: $*" >&2; [ -n "$DNSD_PID" ] && [ -f "$DNSD_LOG" ] && { echo "--- dnsd log (tail)" >&2; tail -n 30 "$DNSD_LOG" >&2; }; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
note() { echo "# $*"; }

# assert_eq GOT WANT WHAT
assert_eq() { [ "$1" == "$2" ] || die "$3: got '$1', want '$2'"; echo "ok - $3"; }
# assert_match GOT REGEX WHAT
assert_match() { [[ $1 =~ $2 ]] || die "$3: '$1' does not match /$2/"; echo "ok - $3"; }
assert_contains() { [[ $1 == *"$2"* ]] || die "$3: output lacks '$2'"$'\n'"$1"; echo "ok - $3"; }
assert_not_contains() { [[ $1 != *"$2"* ]] || die "$3: output has '$2'"$'\n'"$1"; echo "ok - $3"; }

# wait_until SECONDS CMD... : run CMD every 50 ms until it succeeds or the deadline passes.
wait_until() {
  local secs=$1; shift
  local deadline=$(( $(date +%s%N) + secs * 1000000000 ))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# free_port: a port on 127.0.0.1 that no socket uses (any state, TCP or UDP),
# below the kernel's ephemeral range so client sockets never collide with it.
free_port() {
  local p lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 1 200); do
    p=$(( 10000 + RANDOM % (lo - 10000) ))
    if ! ss -Hantu "( sport = :$p )" 2>/dev/null | grep -q .; then echo "$p"; return 0; fi
  done
  return 1
}

# start_dnsd CONFIG [extra args]: start the real binary in the background and
# wait until it answers a query (any rcode). DNSD_PORT is taken from the
# config's first listen address; DNSD_PID and DNSD_LOG describe the daemon.
# Several daemons may be started one after another; each is killed at exit.
# DNSD_NOFILE=N starts it with an open-file limit of N (prlimit); DNSD_DENY=CALLS
# with those system calls failing with EPERM (seccomp_deny.py).
# DNSD_START_SECS=N waits up to N seconds for it to answer (default 10; large zones
# under a sanitizer take longer).
start_dnsd() {
  local conf=$1; shift
  if [ -n "${DNSD_TEST_ADDR:-}" ]; then
    DNSD_ADDR=${DNSD_TEST_ADDR%:*}; DNSD_PORT=${DNSD_TEST_ADDR##*:}; return 0
  fi
  DNSD_PORT=$(sed -n 's/^listen: *\["[0-9.]*:\([0-9]*\)".*/\1/p' "$conf")
  [ -n "$DNSD_PORT" ] || die "start_dnsd: no listen port in $conf"
  DNSD_LOG=$T/dnsd.${#DNSD_LOGS[@]}.log
  DNSD_LOGS+=("$DNSD_LOG")
  ${DNSD_NOFILE:+prlimit --nofile="$DNSD_NOFILE:$DNSD_NOFILE"} \
  ${DNSD_DENY:+"$E2E_DIR/seccomp_deny.py" "$DNSD_DENY"} \
  "$DNSD_BIN" -c "$conf" "$@" >"$DNSD_LOG" 2>&1 &
  DNSD_PID=$!
  on_exit "kill_dnsd $DNSD_PID"
  wait_until "${DNSD_START_SECS:-10}" dnsd_alive ||
    die "dnsd did not start answering within ${DNSD_START_SECS:-10}s"
  kill -0 "$DNSD_PID" 2>/dev/null || die "dnsd exited: $(tail -n 5 "$DNSD_LOG")"
}
# kill_dnsd PID: SIGINT (a clean exit, so sanitizers get to report, without
# SIGTERM's lameduck wait), then SIGKILL if it has not exited within 5 seconds.
kill_dnsd() {
  kill -INT "$1" 2>/dev/null || return 0
  wait_until 5 not_running "$1" || kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
not_running() { ! kill -0 "$1" 2>/dev/null; }
# dnsd_alive: it answers (or it died, which ends the wait too).
dnsd_alive() {
  kill -0 "$DNSD_PID" 2>/dev/null || return 0
  dig +tries=1 +time=1 -p "$DNSD_PORT" "@$DNSD_ADDR" . SOA | grep -q 'status:'
}
# assert_running: the daemon under test is still alive.
assert_running() {
  [ -n "${DNSD_TEST_ADDR:-}" ] && return 0
  kill -0 "$DNSD_PID" 2>/dev/null || die "dnsd (pid $DNSD_PID) is gone: $(tail -n 20 "$DNSD_LOG")"
  echo "ok - dnsd still running"
}
# stop_dnsd: SIGTERM and wait for a clean exit; returns dnsd's exit status.
stop_dnsd() {
  [ -n "$DNSD_PID" ] || return 0
  kill -TERM "$DNSD_PID" 2>/dev/null
  local rc=0
  wait "$DNSD_PID" || rc=$?
  DNSD_PID=
  return $rc
}

# qdig ARGS...: dig at the daemon under test, no recursion, one fast try.
qdig() { dig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec +time=2 +tries=1 "$@"; }
# qshort NAME [TYPE]: sorted +short answer.
qshort() { qdig +short "$@" | sort; }
# qstatus NAME [TYPE]: the rcode word (NOERROR, NXDOMAIN, ...).
qstatus() { qdig "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
# qflags NAME [TYPE]: the flags line words, e.g. "qr aa".
qflags() { qdig "$@" | sed -n 's/.*;; flags: \([a-z ]*\);.*/\1/p'; }

# write_config FILE [OPTION...] [YAML...]: a dnsd config. Each option sets one
# key; a key no option sets is dnsd's own default, except workers (2 here) and
# the HTTP endpoints (off here). YAML arguments are appended as they are, one
# per line (tcp:, pid-file:, ...).
#   --port PORT         listen on 127.0.0.1:PORT (repeatable, like --listen)
#   --listen ADDR       listen on ADDR, e.g. "0.0.0.0:$P" or "[::1]:$P"; the
#                       first address is the one start_dnsd queries
#   --workers N         workers (2)
#   --zone YAML         a zones: entry in flow style (repeatable), e.g.
#                       "{name: global, file: $TEST_ZONE, views: [v1]}"; without
#                       one: {name: global, file: $DNSD_ZONE, ttl: 30}
#   --kubernetes YAML   a kubernetes: entry (repeatable), e.g.
#                       "{name: mesh-1, kubeconfig: $T/mesh-1.kubeconfig}"
#   --view YAML         a views: entry (repeatable), in the order given, e.g.
#                       "{name: v1, match-clients: [10.1.0.0/16]}"
#   --log LEVEL         log level (info); --query-log: a log line per query
#   --http ADDR         /metrics, /health and /ready on ADDR, e.g. "127.0.0.1:$HPORT"
#   --metrics ADDR, --health ADDR   just one of the two
#   --chaos             answer version.dnsd CH TXT and friends
#   --user USER         drop privileges to USER after binding
write_config() {
  local file=$1; shift
  local listen=() zones=() sources=() views=() extra=()
  local workers=2 level=info queries=false metrics= health= chaos= user=
  while [ $# -gt 0 ]; do
    case $1 in
      --port) listen+=("\"127.0.0.1:$2\""); shift ;;
      --listen) listen+=("\"$2\""); shift ;;
      --workers) workers=$2; shift ;;
      --zone) zones+=("$2"); shift ;;
      --kubernetes) sources+=("$2"); shift ;;
      --view) views+=("$2"); shift ;;
      --log) level=$2; shift ;;
      --query-log) queries=true ;;
      --http) metrics=$2 health=$2; shift ;;
      --metrics) metrics=$2; shift ;;
      --health) health=$2; shift ;;
      --chaos) chaos=true ;;
      --user) user=$2; shift ;;
      --*) die "write_config: unknown option $1" ;;
      *) [ -z "$1" ] || extra+=("$1") ;;
    esac
    shift
  done
  [ ${#listen[@]} -gt 0 ] || die "write_config: no --port or --listen"
  [ ${#zones[@]} -gt 0 ] || zones=("{name: global, file: $DNSD_ZONE, ttl: 30}")
  local addrs
  addrs=$(printf ', %s' "${listen[@]}")
  {
    echo "listen: [${addrs#, }]"
    echo "workers: $workers"
    echo "zones:"
    printf '  - %s\n' "${zones[@]}"
    if [ ${#sources[@]} -gt 0 ]; then echo "kubernetes:"; printf '  - %s\n' "${sources[@]}"; fi
    if [ ${#views[@]} -gt 0 ]; then echo "views:"; printf '  - %s\n' "${views[@]}"; fi
    echo "log: {level: $level, queries: $queries}"
    echo "metrics: {listen: \"$metrics\"}"
    echo "health: {listen: \"$health\"}"
    [ -z "$chaos" ] || echo "chaos: true"
    [ -z "$user" ] || echo "user: \"$user\""
    [ ${#extra[@]} -eq 0 ] || printf '%s\n' "${extra[@]}"
  } >"$file"
}

# serve_test_zone [OPTION...] [YAML...]: the usual start of a test: dnsd on a
# free port serving $TEST_ZONE (tests/data/zones/test.global.zone) as zone
# "global", with debug logging, chaos on and udp-payload-max 1232; arguments
# as for write_config.
serve_test_zone() {
  local port
  port=$(free_port) || die "no free port"
  DNSD_ZONE=$TEST_ZONE write_config "$T/dnsd.yaml" --port "$port" --log debug --chaos \
    "udp-payload-max: 1232" "$@"
  start_dnsd "$T/dnsd.yaml"
}

# log_count FIXED-STRING...: lines of the current dnsd log holding every string.
log_count() {
  local s out
  out=$(cat "$DNSD_LOG")
  for s in "$@"; do out=$(grep -F -- "$s" <<<"$out"); done
  [ -n "$out" ] && wc -l <<<"$out" || echo 0
}
# expect_log SECS FIXED-STRING...: poll until a line holds every string.
expect_log() {
  local secs=$1; shift
  _has_log() { [ "$(log_count "$@")" -gt 0 ]; }
  wait_until "$secs" _has_log "$@" || die "no log line with: $*"
  echo "ok - logged: $*"
}

# dnsq [options] QNAME [TYPE]: tests/e2e/dnsq.py at the daemon under test;
# prints a stable line-per-field rendering (see dnsq.py).
dnsq() { "$PY" "$E2E_DIR/dnsq.py" --server "$DNSD_ADDR" --port "$DNSD_PORT" "$@"; }
# field NAME TEXT: the value(s) of "NAME value" lines in dnsq output.
field() { sed -n "s/^$1 //p" <<<"$2"; }
