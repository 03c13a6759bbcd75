#!/usr/bin/env bash
# edns-tcp-keepalive (RFC 7828): a client that sends the option over TCP
# learns the idle timeout dnsd applies to its connection, in units of
# 100 ms (tcp: idle-timeout-ms: 2500 -> 25); one that does not send it gets
# no option; over UDP the option is FORMERR (§3.2.1), as is a client's
# option that carries a timeout.
. "$(dirname "$0")/lib.sh"
serve_test_zone "tcp: {idle-timeout-ms: 2500}"

d=$(qdig +tcp +keepalive www.global A)
assert_contains "$d" "192.0.2.1" "dig +tcp +keepalive: answered"
assert_contains "$d" "TCP KEEPALIVE: 2.5 secs" "dig +tcp +keepalive: our idle timeout, 2.5 s"
assert_not_contains "$(qdig +tcp www.global A)" "KEEPALIVE" "no option asked: none sent"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +norec +tcp +ednsopt=11 www.global A)
assert_contains "$k" "Option (11): 0019" "kdig +tcp +ednsopt=11: timeout 25 (x 100 ms)"
out=$(dnsq --tcp --opt 11: www.global A)
assert_eq "$(field rcode "$out")" NOERROR "dnsq over TCP with the option: NOERROR"
assert_match "$(field edns "$out")" "options=11:0019$" "the option carries 25 (2.5 s in 100 ms units)"

d=$(qdig +notcp +keepalive www.global A)
assert_contains "$d" "status: FORMERR" "over UDP: FORMERR (RFC 7828 §3.2.1)"
out=$(dnsq --tcp --opt 11:0064 www.global A)
assert_eq "$(field rcode "$out")" FORMERR "a client's option with a timeout: FORMERR"

# under pressure (3/4 of the worker's connections open) the idle timeout is
# a quarter, and the option says so: 2500 / 4 = 625 ms -> 6
stop_dnsd >/dev/null
serve_test_zone --workers 1 "tcp: {idle-timeout-ms: 2500, max-connections: 4}" "lameduck-ms: 0"
"$PY" - "$DNSD_PORT" "$T/held" <<'PY' &
import socket, sys, time, os
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
open(sys.argv[2], "w").close()
deadline = time.monotonic() + 20
while time.monotonic() < deadline and os.path.exists(sys.argv[2]):
    time.sleep(0.05)
PY
holder=$!
on_exit "rm -f $T/held; kill $holder 2>/dev/null"
wait_until 10 test -e "$T/held" || die "could not open 3 connections"
short() { dnsq --tcp --opt 11: www.global A | grep -q "options=11:0006$"; }
wait_until 10 short || die "under pressure: $(dnsq --tcp --opt 11: www.global A | grep edns)"
echo "ok - under pressure the option says 0.6 s, the shortened idle timeout"
rm -f "$T/held"
