#!/usr/bin/env bash
# cookie-require: true (off by default): over UDP a client not in
# cookie-allow must show a valid server cookie. The attacks fail: no cookie
# gets TC=1 and no answer (RFC 7873 §5.2.1; the retry over TCP is answered),
# a client cookie alone or a forged, foreign or another address's server
# cookie gets BADCOOKIE with a fresh cookie (§5.2.3/5.2.4) and no answer.
# Each refusal is logged, naming the client and why, at most once a second
# per UDP thread (a flood of 500 writes a few lines).
# The controls pass: the cookie from the BADCOOKIE reply is answered, dig
# +badcookie and kdig retry by themselves, an allowlisted client and TCP
# need none. Rotation through cookie-secret-file: a cookie made with the
# old secret is still accepted while the file lists it as previous, and
# BADCOOKIE once it is gone; a bad file fails the reload with file:line.
# Secondaries without cookies: UDP IXFR gets TC (retried over TCP) unless
# they are in cookie-allow.
. "$(dirname "$0")/lib.sh"
SECRET=$T/cookie.secret
A=00112233445566778899aabbccddeeff
B=ffeeddccbbaa99887766554433221100
echo "$A" >"$SECRET"
HPORT=$(free_port) || die "no free port"
serve_test_zone --http "127.0.0.1:$HPORT" "cookie-secret-file: $SECRET" "cookie-require: true" \
  "cookie-allow: ['!127.0.0.6', 127.0.0.0/29]" "reload-on-change: false" "lameduck-ms: 0"
metric() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
cookie_of() { sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' <<<"$1"; }
# from 127.0.0.9: outside cookie-allow
q9() { qdig -b 127.0.0.9 "$@"; }

# no cookie: TC, nothing answered (+ignore: dig must not retry over TCP)
d=$(q9 +nocookie +ignore www.global A)
assert_match "$d" "flags: qr tc;" "no cookie over UDP: TC"
assert_contains "$d" "ANSWER: 0," "... and no answer"
out=$(dnsq --source 127.0.0.9 --noedns www.global A)
assert_match "$(field flags "$out")" "tc" "no EDNS at all: TC"
assert_eq "$(field counts "$out")" "1 0 0 0" "... and no records"
assert_contains "$(q9 +nocookie www.global A)" "192.0.2.1" "dig retries the TC over TCP: answered"

# a client cookie alone: BADCOOKIE with a server cookie to retry with
d=$(q9 +cookie=1111111111111111 +nobadcookie www.global A)
assert_contains "$d" "status: BADCOOKIE" "client cookie only: BADCOOKIE"
assert_contains "$d" "ANSWER: 0," "... and no answer"
good=$(cookie_of "$d")
assert_match "$good" "^111111111111111101000000[0-9a-f]{24}$" "... with a server cookie"
d=$(q9 +cookie="$good" +nobadcookie www.global A)
assert_contains "$d" "192.0.2.1" "the cookie from the BADCOOKIE reply: answered"
assert_contains "$(q9 +cookie +badcookie www.global A)" "192.0.2.1" "dig +badcookie retries by itself: answered"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" -b 127.0.0.9 +norec +cookie +badcookie www.global A)
assert_contains "$k" "192.0.2.1" "kdig +cookie +badcookie: answered"

# forged and replayed server cookies
d=$(q9 +cookie=1111111111111111010000005cf79f111f8130c3eee29480 +nobadcookie www.global A)
assert_contains "$d" "status: BADCOOKIE" "a forged server cookie: BADCOOKIE"
d=$(q9 +cookie=11111111111111112233445566778899 +nobadcookie www.global A)
assert_contains "$d" "status: BADCOOKIE" "an 8-byte foreign server cookie: BADCOOKIE"
d=$(qdig -b 127.0.0.10 +cookie="$good" +nobadcookie www.global A)
assert_contains "$d" "status: BADCOOKIE" "127.0.0.9's cookie sent from 127.0.0.10: BADCOOKIE"
d=$(qdig -b 127.0.0.6 +nocookie +ignore www.global A)
assert_match "$d" "flags: qr tc;" "127.0.0.6, excluded from cookie-allow by '!': TC"

# controls: allowlisted, TCP
assert_contains "$(qdig -b 127.0.0.5 +nocookie www.global A)" "192.0.2.1" "127.0.0.5 in cookie-allow: answered"
assert_contains "$(q9 +tcp +nocookie www.global A)" "192.0.2.1" "TCP without a cookie: answered"
assert_contains "$(q9 +tcp +cookie=1111111111111111010000005cf79f111f8130c3eee29480 www.global A)" "192.0.2.1" \
  "TCP with a forged cookie: answered"

# a secondary without cookies (NSD, Knot and BIND send none by default): its
# UDP IXFR gets the same empty TC, and its retry over TCP the transfer; in
# cookie-allow, UDP IXFR is answered as usual (here TC with the current SOA:
# the whole zone does not fit one datagram)
out=$(dnsq --source 127.0.0.9 global IXFR)
assert_match "$(field flags "$out")" "tc" "UDP IXFR without a cookie: TC"
assert_match "$(field counts "$out")" "^1 0 " "... and no SOA"
out=$(dnsq --tcp --source 127.0.0.9 global IXFR)
assert_match "$(field answer "$out")" "^global\. [0-9]+ IN SOA " "... its retry over TCP: the transfer, SOA first"
out=$(dnsq --source 127.0.0.5 global IXFR)
assert_match "$(field counts "$out")" "^1 1 " "UDP IXFR from a secondary in cookie-allow: answered"
assert_match "$(field answer "$out")" "^global\. [0-9]+ IN SOA " "... with the current SOA"

n=$(metric dnsd_dns_badcookie_total)
[ "${n:-0}" -ge 5 ] || die "dnsd_dns_badcookie_total '$n', want >= 5"
n=$(metric dnsd_dns_cookie_missing_total)
[ "${n:-0}" -ge 3 ] || die "dnsd_dns_cookie_missing_total '$n', want >= 3"
echo "ok - BADCOOKIE and TC counted"

# each refusal is logged, naming the client and the reason, at most once a
# second per UDP thread (a flood of refusals must not flood the log)
assert_contains "$(cat "$DNSD_LOG")" "cookie-require: refused 127.0.0.9 over UDP (no cookie: sent TC" \
  "the first refusal is logged with the client and the reason"
# refused_logged SRC REASON DIG-ARGS...: asks from SRC until a line names it with REASON
refused_logged() {
  local src=$1 why=$2; shift 2
  qdig -b "$src" "$@" www.global A >/dev/null
  grep -qF "cookie-require: refused $src over UDP ($why" "$DNSD_LOG"
}
wait_until 5 refused_logged 127.0.0.11 "client cookie only: sent BADCOOKIE" +cookie=2222222222222222 +nobadcookie ||
  die "no log line for 127.0.0.11's client-only cookie within 5 s"
wait_until 5 refused_logged 127.0.0.12 "invalid server cookie: sent BADCOOKIE" \
  +cookie=1111111111111111010000005cf79f111f8130c3eee29480 +nobadcookie ||
  die "no log line for 127.0.0.12's forged cookie within 5 s"
echo "ok - BADCOOKIE refusals logged with the client and why (client cookie only, invalid server cookie)"
# every refusal is in some line's count: their sum is the refusals counted,
# once the thread has written what it held back
logged_sum() {
  sed -n 's/.*cookie-require: refused .*; \([0-9]*\) refused by this thread since its last line)$/\1/p' "$DNSD_LOG" |
    awk '{s += $1} END {print s + 0}'
}
refused_sum() { echo $(($(metric dnsd_dns_cookie_missing_total) + $(metric dnsd_dns_badcookie_total))); }
all_logged() { [ "$(logged_sum)" -eq "$(refused_sum)" ]; }
wait_until 10 all_logged || die "the lines count $(logged_sum) refusals, the metrics $(refused_sum)"
before=$(grep -c "cookie-require: refused" "$DNSD_LOG")
sum0=$(logged_sum)
ms=$($PY - "$DNSD_ADDR" "$DNSD_PORT" <<'PY'
import socket, sys, time
import dnsq
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.13", 0))
t0 = time.monotonic()
for i in range(500):
    s.sendto(dnsq.query_wire("www.global", "A", qid=i + 1), (sys.argv[1], int(sys.argv[2])))
print(int((time.monotonic() - t0) * 1000))
PY
)
logged_from_13() { grep -q "cookie-require: refused 127.0.0.13 " "$DNSD_LOG"; }
wait_until 5 logged_from_13 || die "the flood from 127.0.0.13 was not logged"
lines=$(($(grep -c "cookie-require: refused" "$DNSD_LOG") - before))  # so far
max=$((2 * (ms / 1000 + 2)))
[ "$lines" -le "$max" ] || die "500 refusals in $ms ms wrote $lines log lines, want <= $max (2 UDP threads, 1/s each)"
echo "ok - 500 refusals in $ms ms: $lines log lines (at most one a second per UDP thread)"
wait_until 10 all_logged || die "after the flood the lines count $(logged_sum) refusals, the metrics $(refused_sum)"
sum=$(($(logged_sum) - sum0))
[ "$sum" -ge 250 ] || die "only $sum of 500 refusals counted"
echo "ok - the lines count every refusal, as the metrics do (the flood's $sum of 500; the kernel may drop some under a slow build)"

# rotation: B current, A previous
reloads() { grep -c "reload: done" "$DNSD_LOG"; }
reload() {
  local before
  before=$(reloads)
  kill -HUP "$DNSD_PID"
  wait_until 10 sh -c "[ \$(grep -c 'reload: done\|reload: .*cookie' '$DNSD_LOG') -gt $before ]" || die "no reload"
}
printf '# rotated\n%s\n%s\n' "$B" "$A" >"$SECRET"
reload
assert_contains "$(q9 +cookie="$good" +nobadcookie www.global A)" "192.0.2.1" "after rotation: the old secret's cookie still accepted"
d=$(q9 +cookie="$good" +nobadcookie www.global A)
newc=$(cookie_of "$d")
[ "$newc" != "$good" ] || die "no fresh cookie after rotation"
printf '%s\n' "$B" >"$SECRET"
reload
assert_contains "$(q9 +cookie="$good" +nobadcookie www.global A)" "status: BADCOOKIE" "previous secret dropped: its cookie is BADCOOKIE"
assert_contains "$(q9 +cookie="$newc" +nobadcookie www.global A)" "192.0.2.1" "the new secret's cookie: answered"

# a broken secret file: the reload fails with file:line, the running secret stays
printf '%s\nnot-hex\n' "$B" >"$SECRET"
before=$(grep -c "reload: " "$DNSD_LOG")
kill -HUP "$DNSD_PID"
wait_until 10 grep -q "cookie-secret-file: $SECRET:2: a secret is 32 hex digits" "$DNSD_LOG" ||
  die "bad secret file not reported with file:line: $(tail -3 "$DNSD_LOG")"
echo "ok - a bad secret file fails the reload, naming $SECRET:2"
assert_contains "$(q9 +cookie="$newc" +nobadcookie www.global A)" "192.0.2.1" "... and the running secret stays"
out=$("$DNSD_BIN" -t -c "$T/dnsd.yaml" 2>&1) && die "dnsd -t accepted a bad secret file"
assert_contains "$out" "$SECRET:2:" "dnsd -t names file:line"
printf '' >"$SECRET"
out=$("$DNSD_BIN" -t -c "$T/dnsd.yaml" 2>&1) && die "dnsd -t accepted an empty secret file"
assert_contains "$out" "no secret in it" "dnsd -t: an empty secret file is an error"
assert_running
