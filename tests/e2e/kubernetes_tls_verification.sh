#!/usr/bin/env bash
# TLS to the API server is verified by default: a server certificate from an
# unknown CA, or for another name (tls-server-name), is refused and the
# source never syncs; insecure-skip-tls-verify only when set; a client
# certificate works instead of a token; plain http works; no token is sent
# over plain http. One dnsd, one zone per kubeconfig variant, one fake API.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
FAKE_HTTP=1 FAKE_NOAUTH=1 start_fakeapi plain
url=$(fake_url mesh-1)
for v in good wrongca wrongname sni skipverify clientcert notoken; do
  se_create mesh-1 svc "svc-$v" "svc.$v.test" 240.0.0.1   # namespace svc: host-policy namespace
done
se_create plain svc svc svc.plain.test 240.0.0.1

kc() { # NAME [CLUSTER-YAML [USER-YAML [SERVER]]]: by default the test CA and mesh-1's token
  write_kubeconfig "$T/$1.kubeconfig" "${4:-$url}" "$1" "${3:-"    tokenFile: mesh-1.token"}" "${2:-}"
}
kc good
kc wrongca "    certificate-authority: pki/other-ca.crt"
kc wrongname "    certificate-authority: pki/ca.crt
    tls-server-name: api.other.example"
kc sni "    certificate-authority: pki/ca.crt
    tls-server-name: kubernetes.default.svc"
kc skipverify "    certificate-authority: pki/other-ca.crt
    insecure-skip-tls-verify: true"
kc clientcert "    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")" \
  "    client-certificate-data: $(base64 -w0 "$PKI/client.crt")
    client-key: pki/client.key"
kc notoken "" "    username: nobody"
# a token in a plain-http kubeconfig (the fake accepts anything): never sent
kc plain "" "    token: sekrit" "$(fake_url plain)"

port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
sources=()
for v in good wrongca wrongname sni skipverify clientcert notoken plain; do
  sources+=(--zone "{name: $v.test, kubernetes: [$v]}" --kubernetes "{name: $v, kubeconfig: $T/$v.kubeconfig}")
done
write_config "$T/dnsd.yaml" --port "$port" --workers 1 "${sources[@]}" --log debug --http "127.0.0.1:$HPORT"
start_dnsd "$T/dnsd.yaml"

synced() { [ "$(metric "dnsd_kubernetes_synced{cluster=\"$1\"}")" = 1 ]; }
for v in good sni skipverify clientcert plain; do
  wait_until 10 synced $v || die "$v: never synced: $(grep "kubernetes $v:" "$DNSD_LOG" | tail -n 3)"
  expect_answer 5 240.0.0.1 "svc.$v.test"
done
for v in wrongca wrongname notoken; do
  assert_eq "$(metric "dnsd_kubernetes_synced{cluster=\"$v\"}")" 0 "$v: not synced"
  assert_eq "$(qstatus "svc.$v.test")" SERVFAIL "$v: its zone answers SERVFAIL"
done
grep -E "kubernetes wrongca: .*(certificate|verify)" "$DNSD_LOG" >/dev/null ||
  die "wrongca: no certificate error logged: $(grep 'kubernetes wrongca' "$DNSD_LOG" | head -n 3)"
echo "ok - wrongca: the log says why ($(grep -m1 -oE 'kubernetes wrongca: .*' "$DNSD_LOG"))"
grep -E "kubernetes wrongname: .*(certificate|verify|hostname|name)" "$DNSD_LOG" >/dev/null ||
  die "wrongname: no name mismatch logged"
echo "ok - wrongname: the log says why ($(grep -m1 -oE 'kubernetes wrongname: .*' "$DNSD_LOG"))"
grep -E "kubernetes notoken: .*(401|Unauthorized)" "$DNSD_LOG" >/dev/null || die "notoken: no 401 logged"
echo "ok - notoken: 401 logged"
assert_eq "$(http_code /ready)" 503 "/ready stays 503 while sources cannot sync"

# a bearer token is never sent over plain http; dnsd -t says so
out=$("$DNSD_BIN" -t -c "$T/dnsd.yaml" 2>&1) || die "dnsd -t: $out"
assert_contains "$out" "plain http: the bearer token will not be sent" "dnsd -t warns about a token over plain http"
fake plain GET /_fake/requests >"$T/plain.requests"
"$PY" - "$T/plain.requests" <<'PY' || die "dnsd's requests to the plain-http server"
import json, sys
reqs = [r for r in json.load(open(sys.argv[1])) if r["ua"].startswith("dnsd/")]
assert reqs, "dnsd made no requests"
assert not any(r["auth"] for r in reqs), [r for r in reqs if r["auth"]]
PY
echo "ok - no Authorization header ever reached the plain-http server"
assert_running
