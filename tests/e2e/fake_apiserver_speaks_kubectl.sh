#!/usr/bin/env bash
# The fake API server is only worth trusting if real clients accept it: the
# real kubectl lists (table, JSON, paginated), watches, creates and deletes
# through it over HTTPS, and is refused with a wrong token or a wrong CA.
# curl checks the wire details kubectl hides: chunked watch framing with
# events split across chunks, bookmarks, ERROR 410, expired continue tokens.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
command -v kubectl >/dev/null || die "kubectl not installed (make deps installs kubernetes-client)"

start_fakeapi mesh-1 -v --seed-list "$K8S_DATA/list-full.json"
export HOME=$T/home KUBECONFIG=$T/mesh-1.kubeconfig
mkdir -p "$HOME"
k() { timeout 20 kubectl --request-timeout=10s "$@"; }

out=$(k get serviceentries -A 2>&1) || die "kubectl get: $out"
echo "$out"
assert_match "$(head -n1 <<<"$out")" '^NAMESPACE +NAME +HOSTS +LOCATION +RESOLUTION +AGE$' "table columns"
assert_match "$out" $'\n''bar +httpbin-bar +\["httpbin.bar.global"\] +MESH_INTERNAL +DNS +[0-9]+y' "a row, with an age"
assert_eq "$(tail -n +2 <<<"$out" | wc -l)" 4 "four ServiceEntries"

names=$(k get se -A -o json | "$PY" -c 'import json,sys; print(" ".join(i["metadata"]["namespace"]+"/"+i["metadata"]["name"] for i in json.load(sys.stdin)["items"]))')
assert_eq "$names" "bar/httpbin-bar bookinfo/details-svc db/mysql egress/wildcard-api" "-o json, in etcd key order"
out=$(k get se -n db mysql -o jsonpath='{.spec.addresses}')
assert_eq "$out" '["240.0.1.0/24","2001:db8:f0::10"]' "get one object (jsonpath)"

# pagination: --chunk-size=1 follows four continue tokens
before=$(fake_state mesh-1 counts.list)
out=$(k get se -A --chunk-size=1 -o name)
assert_eq "$(wc -l <<<"$out")" 4 "--chunk-size=1 lists every object"
assert_eq "$(( $(fake_state mesh-1 counts.list) - before ))" 4 "... in four pages"
fake mesh-1 GET /_fake/requests | grep -q 'continue=' || die "no continue= request seen"
echo "ok - continue tokens were followed"

# create, watch, delete through kubectl
cat >"$T/se.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: messenger, namespace: default}
spec:
  hosts: [messenger.default.global]
  addresses: [127.127.42.69]
  location: MESH_INTERNAL
  resolution: DNS
  ports: [{name: http1, number: 3000, protocol: http}]
YAML
k get se -A -w --output-watch-events >"$T/watch.out" 2>"$T/watch.err" &
wpid=$!
on_exit "kill $wpid"
wait_until 10 grep -q httpbin-bar "$T/watch.out" || die "kubectl get -w printed no initial list: $(cat "$T/watch.err")"
# the fake serves no OpenAPI documents, so no client-side schema validation
out=$(k create --validate=false -f "$T/se.yaml" 2>&1) || die "kubectl create: $out"
assert_eq "$out" "serviceentry.networking.istio.io/messenger created" "kubectl create"
out=$(k delete se -n bar httpbin-bar 2>&1) || die "kubectl delete: $out"
assert_eq "$out" 'serviceentry.networking.istio.io "httpbin-bar" deleted' "kubectl delete"
wait_until 10 grep -Eq '^ADDED +default +messenger ' "$T/watch.out" || die "watch did not show ADDED: $(cat "$T/watch.out")"
echo "ok - kubectl get -w shows the ADDED event"
wait_until 10 grep -Eq '^DELETED +bar +httpbin-bar ' "$T/watch.out" || die "watch did not show DELETED: $(cat "$T/watch.out")"
echo "ok - kubectl get -w shows the DELETED event"
kill $wpid 2>/dev/null

# refused: a wrong token, a wrong CA
echo wrong-token >"$T/wrong.token"
sed 's/tokenFile: mesh-1.token/tokenFile: wrong.token/' "$KUBECONFIG" >"$T/wrong-token.kubeconfig"
out=$(k --kubeconfig "$T/wrong-token.kubeconfig" get se -A 2>&1) && die "a wrong token was accepted"
assert_contains "$out" "Unauthorized" "a wrong token: Unauthorized"
sed 's|pki/ca.crt|pki/other-ca.crt|' "$KUBECONFIG" >"$T/wrong-ca.kubeconfig"
out=$(k --kubeconfig "$T/wrong-ca.kubeconfig" get se -A 2>&1) && die "a wrong CA was accepted"
assert_contains "$out" "certificate signed by unknown authority" "a wrong CA: x509 failure"
# a client certificate instead of a token
write_kubeconfig "$T/cert.kubeconfig" "$(fake_url mesh-1)" mesh-1 \
  "    client-certificate: pki/client.crt
    client-key: pki/client.key"
out=$(k --kubeconfig "$T/cert.kubeconfig" get se -A -o name 2>&1) || die "client cert refused: $out"
assert_contains "$out" "serviceentry.networking.istio.io/messenger" "a client certificate is accepted"

# the wire, with curl: discovery
c() { curl -sS --max-time 10 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(cat "$T/mesh-1.token")" "$@"; }
base=$(fake_url mesh-1)
assert_contains "$(c "$base/apis")" '"preferredVersion":{"groupVersion":"networking.istio.io/v1","version":"v1"}' "/apis"
assert_contains "$(c "$base/apis/networking.istio.io/v1alpha3")" '"name":"serviceentries"' "/apis/networking.istio.io/v1alpha3"

# a LIST page: continue token + remainingItemCount, then the rest
p1=$(c "$base/apis/networking.istio.io/v1/serviceentries?limit=2")
tok=$("$PY" -c 'import json,sys; m=json.loads(sys.argv[1])["metadata"]; assert m["remainingItemCount"]==2, m; print(m["continue"])' "$p1") ||
  die "page 1 metadata: $p1"
p2=$(c "$base/apis/networking.istio.io/v1/serviceentries?limit=2&continue=$tok")
"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d["items"])==2 and d["metadata"]["continue"]=="", d["metadata"]' "$p2" ||
  die "page 2: $p2"
echo "ok - limit=2 gives two pages, the last with continue \"\""
fault mesh-1 '{"kind":"expire-continue","count":1}'
code=$(c -o "$T/expired" -w '%{http_code}' "$base/apis/networking.istio.io/v1/serviceentries?limit=2&continue=$tok")
assert_eq "$code" 410 "an expired continue token is 410"
assert_contains "$(cat "$T/expired")" '"reason":"Expired","code":410' "... with an Expired Status"

# a watch: chunked, events split across chunks, bookmarks, RV updated
rv=$(fake_state mesh-1 rv)
for i in 1 2 3 4 5 6; do se_create mesh-1 w "w$i" "w$i.w.global" "240.0.9.$i"; done
c --raw -N "$base/apis/networking.istio.io/v1/serviceentries?watch=1&allowWatchBookmarks=true&resourceVersion=$rv&timeoutSeconds=2" >"$T/raw" ||
  die "watch request"
"$PY" - "$T/raw" <<'PY' || die "watch framing"
import json, sys
raw = open(sys.argv[1], "rb").read()
chunks, i = [], 0
while True:
    j = raw.index(b"\r\n", i)
    n = int(raw[i:j], 16)
    if n == 0:
        break
    chunks.append(raw[j + 2:j + 2 + n])
    assert raw[j + 2 + n:j + 4 + n] == b"\r\n"
    i = j + 4 + n
body = b"".join(chunks)
lines = body.split(b"\n")
assert lines[-1] == b"", "stream ends with a newline"
events = [json.loads(l) for l in lines[:-1]]
types = [e["type"] for e in events]
assert types.count("ADDED") == 6, types
assert "BOOKMARK" in types, types
aligned = all(c.endswith(b"\n") and c.count(b"\n") == 1 for c in chunks)
assert not aligned, "chunk boundaries always equal event boundaries"
print("ok - %d chunks carry %d events (%s); not aligned with events" % (len(chunks), len(events), ",".join(sorted(set(types)))))
PY

# a watch from a compacted resourceVersion: 200, then an ERROR 410 event
fault mesh-1 '{"kind":"gone"}'
out=$(c -N "$base/apis/networking.istio.io/v1/serviceentries?watch=1&resourceVersion=$rv&timeoutSeconds=2")
assert_match "$out" '^\{"type":"ERROR","object":\{"kind":"Status","apiVersion":"v1","metadata":\{\},"status":"Failure","message":"too old resource version: [0-9]+ \([0-9]+\)","reason":"Expired","code":410\}\}$' \
  "a too-old resourceVersion gets ERROR 410 in the stream"
# 429 is text/plain with Retry-After, not a Status object
fault mesh-1 '{"kind":"status","code":429,"count":1,"match":"list","retry_after":3}'
out=$(c -i "$base/apis/networking.istio.io/v1/serviceentries")
assert_match "$out" 'HTTP/1.1 429' "429 served"
assert_match "$out" $'Retry-After: 3\r' "... with Retry-After"
assert_match "$out" $'Content-Type: text/plain; charset=utf-8\r' "... as text/plain"
