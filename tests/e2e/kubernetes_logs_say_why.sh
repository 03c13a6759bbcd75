#!/usr/bin/env bash
# Every failure to reach a cluster's API is logged with its cause, and the
# first success after it says so once: a refused connection (address and
# errno), a certificate that does not verify (OpenSSL's reason), an HTTP
# error (status and the API's Status message), an API server without the
# ServiceEntry API, and recovery. "ready" is logged once everything synced,
# not before. The query log names types and rcodes.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
# is WANT CMD...: CMD prints WANT (for wait_until, which runs CMD anew each time)
is() { local want=$1; shift; [ "$("$@")" = "$want" ]; }

# nothing listens on the API's port yet
make_pki
printf 'token-mesh-1-1\n' >"$T/mesh-1.token"
dead=$(free_port)
write_kubeconfig "$T/mesh-1.kubeconfig" "https://127.0.0.1:$dead" mesh-1
start_k8s_dnsd mesh-1
wait_until 10 grep -q "127.0.0.1:$dead" "$DNSD_LOG" || die "no log line names the address"
line=$(grep -m1 "127.0.0.1:$dead" "$DNSD_LOG")
assert_contains "$line" "Connection refused" "a refused connection: errno named"
assert_contains "$line" "mesh-1" "the source named"
assert_not_contains "$(cat "$DNSD_LOG")" "ready:" "not ready, and not logged as ready"
! is_ready || die "/ready 200 without a sync"
kill_dnsd "$DNSD_PID"

# the wrong CA: OpenSSL's verify reason
start_fakeapi mesh-1
other=$T/other-pki; "$REPO/tests/fake_apiserver/mkcerts.sh" "$other" >/dev/null || die mkcerts
sed -i "s|certificate-authority: pki/ca.crt|certificate-authority: $other/ca.crt|" "$T/mesh-1.kubeconfig"
start_k8s_dnsd mesh-1
wait_until 10 grep -q 'certificate verification failed' "$DNSD_LOG" || die "no TLS reason: $(tail -5 "$DNSD_LOG")"
assert_match "$(grep -m1 'certificate verification failed' "$DNSD_LOG")" \
  "(self-signed|unable to get local issuer|self signed)" "TLS failure with OpenSSL's verify reason"
kill_dnsd "$DNSD_PID"

# an HTTP error: the status and the API's message
write_kubeconfig "$T/mesh-1.kubeconfig" "$FAKE_mesh_1_URL" mesh-1
printf 'wrong-token\n' >"$T/mesh-1.token.wrong"
write_kubeconfig "$T/mesh-1.kubeconfig" "$FAKE_mesh_1_URL" mesh-1 "    tokenFile: mesh-1.token.wrong"
start_k8s_dnsd mesh-1
wait_until 10 grep -q ' 401' "$DNSD_LOG" || die "no 401 logged: $(tail -5 "$DNSD_LOG")"
assert_contains "$(grep -m1 ' 401' "$DNSD_LOG")" "Unauthorized" "HTTP 401 with the Status message"
kill_dnsd "$DNSD_PID"

# no ServiceEntry API on that server
write_kubeconfig "$T/mesh-1.kubeconfig" "$FAKE_mesh_1_URL" mesh-1
fault mesh-1 '{"kind":"crd-missing","on":true}'
start_k8s_dnsd mesh-1
wait_until 10 grep -qi 'no ServiceEntry API' "$DNSD_LOG" || die "missing API not said: $(tail -5 "$DNSD_LOG")"
echo "ok - a server without networking.istio.io ServiceEntries is named as such"
# it appears: synced, one recovery line, then ready
fault mesh-1 '{"kind":"crd-missing","on":false}'
wait_until 30 is_ready || die "not ready after the API appeared"
wait_until 5 grep -q 'ready:' "$DNSD_LOG" || die "ready not logged"
assert_eq "$(grep -c 'recovered' "$DNSD_LOG")" 1 "the first success after failures is logged once"
ready_line=$(grep -n 'ready:' "$DNSD_LOG" | head -1 | cut -d: -f1)
listed_line=$(grep -n 'listed' "$DNSD_LOG" | head -1 | cut -d: -f1)
[ "$ready_line" -gt "$listed_line" ] || die "ready logged (line $ready_line) before the first LIST (line $listed_line)"
echo "ok - ready is logged after the first sync"
# a 503 burst and the recovery: one line each way
fault mesh-1 '{"kind":"status","code":503,"count":2,"match":"any"}'
fault mesh-1 '{"kind":"drop"}'
wait_until 20 is 2 grep -c 'recovered' "$DNSD_LOG" || die "no second recovery line: $(tail -8 "$DNSD_LOG")"
assert_match "$(grep ' 503' "$DNSD_LOG" | tail -1)" "503.*(Service ?Unavailable|injected fault)" "HTTP 503 with status and message"
kill_dnsd "$DNSD_PID"

# the query log: type and rcode names
serve_test_zone --query-log
qdig nope.default.global AAAA >/dev/null
wait_until 5 grep -q 'qname=nope.default.global.' "$DNSD_LOG" || die "no query log line"
line=$(grep -m1 'qname=nope.default.global.' "$DNSD_LOG")
assert_contains "$line" "qtype=AAAA" "query log: qtype by name"
assert_contains "$line" "rcode=NXDOMAIN" "query log: rcode by name"
