#!/usr/bin/env bash
# One bad object must never stop the feed (issue #14): a ServiceEntry whose
# status nests 70 levels deep (Istio preserves unknown fields there), one
# that is not UTF-8, a watch line cut short, lines that are JSON but no
# event, and an ERROR event that ends every watch at the same
# resourceVersion. Each is followed by a good change that must be served;
# the undecodable ones are logged with namespace/name and resourceVersion
# and counted.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

# deep_se NS NAME HOST ADDR DEPTH: a ServiceEntry with DEPTH levels in status.
deep_se() {
  "$PY" - "$@" <<'PY'
import json, sys
ns, name, host, addr, depth = sys.argv[1:6]
st = {"leaf": [1, "x"]}
for _ in range(int(depth)):
    st = {"nested": st}
print(json.dumps({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                  "metadata": {"name": name, "namespace": ns},
                  "spec": {"hosts": [host], "addresses": [addr], "resolution": "DNS",
                           "location": "MESH_INTERNAL"},
                  "status": st}))
PY
}
se_post() { fake mesh-1 POST "/apis/networking.istio.io/v1/namespaces/$1/serviceentries" "$2" >/dev/null || die "create $1"; }
# raw_object KEY TEXT / raw_line TEXT: bytes the fake serves verbatim (printf escapes in TEXT)
raw_object() { fake mesh-1 POST /_fake/apply-raw "{\"key\":\"$1\",\"b64\":\"$(printf "$2" | base64 -w0)\"}" >/dev/null || die "apply-raw $1"; }
raw_line() { fake mesh-1 POST /_fake/raw-line "{\"b64\":\"$(printf "$1" | base64 -w0)\"}" >/dev/null || die "raw-line"; }
undecodable() { metric 'dnsd_kubernetes_undecodable_total{cluster="mesh-1"}'; }
logged() { grep -q -- "$1" "$DNSD_LOG"; }

start_fakeapi mesh-1
# Before dnsd starts, so that they are in its first LIST: a good entry, the
# deep one, and one whose host is not UTF-8.
se_create mesh-1 shop before before.shop.global 240.0.1.1
se_post deep "$(deep_se deep deep1 deep1.deep.global 240.0.1.2 70)"
raw_object bad/latin1 '{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"latin1","namespace":"bad","resourceVersion":"$RV"},"spec":{"hosts":["caf\xe9.bad.global"],"addresses":["240.0.1.3"]}}'

start_k8s_dnsd mesh-1
wait_until 10 is_ready || die "/ready not 200: a LIST with a deep and a non-UTF-8 object must still load"
expect_answer 5 240.0.1.1 before.shop.global
expect_answer 5 240.0.1.2 deep1.deep.global      # 70 levels in status: decoded, status elided
wait_until 5 logged "skipping ServiceEntry bad/latin1 at resourceVersion [0-9]*: bad JSON" ||
  die "the non-UTF-8 item was not logged with namespace/name and resourceVersion"
assert_eq "$(undecodable)" 1 "undecodable items counted after the LIST"

# The same in watch events, each followed by a good change.
se_post deep "$(deep_se deep deep2 deep2.deep.global 240.0.1.4 70)"
expect_answer 5 240.0.1.4 deep2.deep.global
raw_object bad/latin1-w '{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"latin1-w","namespace":"bad","resourceVersion":"$RV"},"spec":{"hosts":["caf\xe9.bad.global"],"addresses":["240.0.1.5"]}}'
se_create mesh-1 shop after-utf8 after-utf8.shop.global 240.0.1.6
expect_answer 5 240.0.1.6 after-utf8.shop.global
logged "skipping ServiceEntry bad/latin1-w at resourceVersion [0-9]* in a watch event" ||
  die "the non-UTF-8 watch event was not logged with namespace/name and resourceVersion"

raw_line '{"type":"ADDED","object":{"apiVersion":"networking.istio.io/v1","metadata":{"name":"cut","names'
se_create mesh-1 shop after-cut after-cut.shop.global 240.0.1.7
expect_answer 5 240.0.1.7 after-cut.shop.global

raw_line '{"kind":"Status","apiVersion":"v1","status":"Success"}'
raw_line '[1,2,3]'
se_create mesh-1 shop after-noevent after-noevent.shop.global 240.0.1.8
expect_answer 5 240.0.1.8 after-noevent.shop.global
logged "skipping a watch line that is not an event" || die "a line that is no event was not logged"
assert_eq "$(undecodable)" 5 "undecodable objects and lines counted"

# A deleted entry whose DELETED event does not decode is still removed.
se_create mesh-1 shop gone gone.shop.global 240.0.1.9
expect_answer 5 240.0.1.9 gone.shop.global
raw_line '{"type":"DELETED","object":{"metadata":{"name":"gone","namespace":"shop"},"spec":{"hosts":["\xff"]}}}'
expect_status 5 NXDOMAIN gone.shop.global
se_delete mesh-1 shop gone     # the fake's own state, for the relist below

# An ERROR event (not 410) ends every watch that passes it, at the same
# resourceVersion: after a few tries dnsd relists and goes on.
r0=$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')
raw_line '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected","code":500}}'
se_create mesh-1 shop after-error after-error.shop.global 240.0.1.10
expect_answer 20 240.0.1.10 after-error.shop.global
logged "watch failed 3 times at resourceVersion [0-9]*; relisting" || die "the relist was not logged"
[ "$(metric 'dnsd_kubernetes_relists_total{cluster="mesh-1"}')" -gt "$r0" ] || die "relist not counted"
echo "ok - repeated watch failures at one resourceVersion end in a relist"

# Nothing else was lost.
expect_answer 5 240.0.1.1 before.shop.global
expect_answer 5 240.0.1.4 deep2.deep.global
expect_status 5 NXDOMAIN gone.shop.global
assert_running
