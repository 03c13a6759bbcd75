#!/usr/bin/env bash
# dnsd opens no listener the configuration does not name: without metrics:
# and health: it listens on its DNS address only, so a second instance on the
# same host starts as well; port 0 picks a free port (DNS and admin alike),
# and the log says which.
. "$(dirname "$0")/lib.sh"

listening() { ss -Hltnup 2>/dev/null | grep "pid=$1," | awk '{print $1, $5}' | sort -u; }

# The defaults are what is tested, so this config leaves metrics: and
# health: out (write_config always writes them).
port=$(free_port) || die "no free port"
printf 'listen: ["127.0.0.1:%s"]\nworkers: 1\nzones:\n  - {name: global, file: %s, ttl: 30}\n' \
  "$port" "$REPO/zones/global.zone" >"$T/a.yaml"
start_dnsd "$T/a.yaml"
first=$DNSD_PID
assert_eq "$(listening "$first" | tr '\n' ' ')" "tcp 127.0.0.1:$port udp 127.0.0.1:$port " \
  "no metrics or health: only the DNS address is bound"

# a second instance on the same host, another DNS port, no admin keys either
port2=$(free_port) || die "no free port"
sed "s/:$port\"/:$port2\"/" "$T/a.yaml" >"$T/b.yaml"
start_dnsd "$T/b.yaml"
kill -0 "$first" && kill -0 "$DNSD_PID" || die "two instances cannot run side by side"
echo "ok - a second instance on the same host starts"

# port 0: DNS, metrics and health ports chosen by the kernel, and logged
write_config "$T/c.yaml" --listen 127.0.0.1:0 --metrics 127.0.0.1:0 --health "[::1]:0"
DNSD_LOG=$T/c.log
"$DNSD_BIN" -c "$T/c.yaml" >"$DNSD_LOG" 2>&1 &
DNSD_PID=$!
DNSD_LOGS+=("$DNSD_LOG")
on_exit "kill_dnsd $DNSD_PID"
wait_until 10 grep -q 'listening on 127.0.0.1:[1-9][0-9]* (UDP and TCP)' "$DNSD_LOG" || die "DNS port not logged: $(cat "$DNSD_LOG")"
DNSD_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\) (UDP and TCP).*/\1/p' "$DNSD_LOG" | head -1)
wait_until 5 dnsd_alive || die "not answering on the logged port"
assert_eq "$(qstatus messenger.default.global)" NOERROR "answers UDP on the port it logged"
assert_eq "$(qstatus +tcp messenger.default.global)" NOERROR "and TCP, on the same port (both workers bound it)"
mport=$(sed -n 's/.*: metrics on 127.0.0.1:\([0-9]*\)$/\1/p' "$DNSD_LOG" | head -1)
hport=$(sed -n 's/.*: health on \[::1\]:\([0-9]*\)$/\1/p' "$DNSD_LOG" | head -1)
[ -n "$mport" ] && [ -n "$hport" ] || die "metrics or health port not logged: $(cat "$DNSD_LOG")"
curl -sf "http://127.0.0.1:$mport/metrics" | grep -q '^dnsd_build_info' || die "no /metrics on the logged port"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$hport/health")" 200 "/health on the logged port"
assert_eq "$(listening "$DNSD_PID" | wc -l)" 4 "DNS UDP, DNS TCP, metrics, health: nothing else"
