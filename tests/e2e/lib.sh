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
T=$(mktemp -d "${TMPDIR:-/tmp}/dnsd-e2e.XXXXXX")
_CLEANUP=()
DNSD_PID=
DNSD_ADDR=127.0.0.1
DNSD_PORT=

_cleanup() {
  local i
  for ((i=${#_CLEANUP[@]}-1; i>=0; i--)); do eval "${_CLEANUP[i]}" >/dev/null 2>&1 || true; done
  rm -rf "$T"
}
trap _cleanup EXIT
on_exit() { _CLEANUP+=("$*"); }

die() { echo "FAIL: $*" >&2; [ -n "$DNSD_PID" ] && [ -f "$T/dnsd.log" ] && { echo "--- dnsd log (tail)" >&2; tail -n 30 "$T/dnsd.log" >&2; }; exit 1; }
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

# free_port [udp|tcp|both]: a port on 127.0.0.1 nobody listens on (both protocols).
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! ss -Hlntu "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return 0; fi
  done
  return 1
}

# start_dnsd CONFIG [extra args]: start the real binary in the background and
# wait until it answers a query for the SOA of its first zone (or any answer).
start_dnsd() {
  local conf=$1; shift
  if [ -n "${DNSD_TEST_ADDR:-}" ]; then
    DNSD_ADDR=${DNSD_TEST_ADDR%:*}; DNSD_PORT=${DNSD_TEST_ADDR##*:}; return 0
  fi
  "$DNSD_BIN" -c "$conf" "$@" >"$T/dnsd.log" 2>&1 &
  DNSD_PID=$!
  on_exit "kill -9 $DNSD_PID"
  wait_until 10 dnsd_alive || die "dnsd did not start answering within 10s"
}
dnsd_alive() {
  kill -0 "$DNSD_PID" 2>/dev/null || die "dnsd exited: $(tail -n 5 "$T/dnsd.log")"
  dig +tries=1 +time=1 -p "$DNSD_PORT" "@$DNSD_ADDR" . SOA >/dev/null 2>&1 &&
    dig +tries=1 +time=1 -p "$DNSD_PORT" "@$DNSD_ADDR" . SOA | grep -q 'status:'
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

# write_config FILE PORT [extra YAML]: a minimal config serving zones/global.zone.
write_config() {
  local file=$1 port=$2; shift 2
  cat >"$file" <<YAML
listen: ["127.0.0.1:$port"]
workers: 2
zones:
  - name: global
    file: $REPO/zones/global.zone
    ttl: 30
log: {level: debug, queries: false}
metrics: {listen: ""}
health: {listen: ""}
${1:-}
YAML
}
