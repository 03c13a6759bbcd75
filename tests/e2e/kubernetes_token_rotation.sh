#!/usr/bin/env bash
# Bound service-account tokens expire and kubelet rewrites the file: dnsd,
# running in-cluster (KUBERNETES_SERVICE_HOST/PORT, token and ca.crt in the
# service-account directory), re-reads the token after a 401 and carries on,
# with nothing lost. Also: the in-cluster set-up itself, over HTTPS.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1 --seed-list "$K8S_DATA/list-full.json"
sa=$T/serviceaccount
mkdir -p "$sa"
cp "$PKI/ca.crt" "$sa/ca.crt"
echo -n istio-system >"$sa/namespace"
cp "$T/mesh-1.token" "$sa/token"
# the fake checks the token in $T/mesh-1.token; dnsd reads $sa/token
port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --workers 1 \
  --zone "{name: global, file: $REPO/zones/global.zone, ttl: 30, kubernetes: [mesh-1]}" \
  --kubernetes "{name: mesh-1, in-cluster: true}" --log debug --http "127.0.0.1:$HPORT"
url=$(fake_url mesh-1)
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=${url##*:} DNSD_SERVICEACCOUNT_DIR=$sa \
  start_dnsd "$T/dnsd.yaml"
wait_until 10 is_ready || die "in-cluster source never synced"
expect_answer 5 240.0.0.2 httpbin.bar.global
echo "ok - in-cluster: KUBERNETES_SERVICE_HOST/PORT, service-account token and CA"

# rotate: the API server now accepts only the new token; kubelet writes it
# to the file a moment later (atomically, as the projected volume does)
echo token-mesh-1-2 >"$T/mesh-1.token"
fault mesh-1 '{"kind":"drop"}'            # the next watch carries the old token: 401
se_create mesh-1 shop cart cart.shop.global 240.0.0.30
got_401() { fake mesh-1 GET /_fake/requests | grep -q '"code": 401'; }
wait_until 10 got_401 || die "dnsd never presented the old token after rotation"
echo "ok - the old token is refused (401)"
echo token-mesh-1-2 >"$sa/token.new" && mv "$sa/token.new" "$sa/token"
expect_answer 15 240.0.0.30 cart.shop.global
echo "ok - after the 401 dnsd re-read the token and resumed"
u=$(metric 'dnsd_kubernetes_errors_total{cluster="mesh-1"}')
note "errors counted: ${u:-none}"
se_delete mesh-1 bar httpbin-bar
expect_status 10 NXDOMAIN httpbin.bar.global
assert_running
