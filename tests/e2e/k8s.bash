# shellcheck shell=bash
# tests/e2e/k8s.bash - helpers for tests that feed dnsd from the fake
# Kubernetes API server (tests/fake_apiserver/fakeapi.py). Source after lib.sh.
# Not a test itself (run-all runs *.sh only).
FAKEAPI=$REPO/tests/fake_apiserver/fakeapi.py
K8S_DATA=$REPO/tests/data/k8s
PKI=$T/pki

# make_pki: the test CA, server and client certificates (once per test).
make_pki() {
  [ -f "$PKI/ca.crt" ] && return 0
  "$REPO/tests/fake_apiserver/mkcerts.sh" "$PKI" || die "mkcerts.sh failed"
}

# start_fakeapi NAME [fakeapi options...]: an HTTPS fake API server with a
# bearer token in $T/NAME.token, and $T/NAME.kubeconfig pointing at it.
# Sets FAKE_<NAME>_URL (NAME with - as _) and prints nothing.
# FAKE_HTTP=1 serves plain http instead; FAKE_NOAUTH=1 accepts any request.
start_fakeapi() {
  local name=$1; shift
  local var=${name//-/_} tls=() scheme=https port
  make_pki
  printf 'token-%s-1\n' "$name" >"$T/$name.token"
  if [ -z "${FAKE_HTTP:-}" ]; then
    tls=(--cert "$PKI/server.crt" --key "$PKI/server.key" --client-ca "$PKI/ca.crt")
  else
    scheme=http
  fi
  rm -f "$T/$name.port"
  local auth=(--token-file "$T/$name.token")
  [ -n "${FAKE_NOAUTH:-}" ] && auth=()
  "$FAKEAPI" --port-file "$T/$name.port" "${auth[@]}" \
    --bookmark-interval 0.5 "${tls[@]}" "$@" >"$T/$name.fakeapi.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid"
  wait_until 10 test -s "$T/$name.port" || die "fakeapi $name did not start: $(cat "$T/$name.fakeapi.log")"
  port=$(cat "$T/$name.port")
  printf -v "FAKE_${var}_URL" '%s://127.0.0.1:%s' "$scheme" "$port"
  printf -v "FAKE_${var}_PID" '%s' "$pid"
  write_kubeconfig "$T/$name.kubeconfig" "$scheme://127.0.0.1:$port" "$name"
}

# write_kubeconfig FILE SERVER NAME [USER-YAML [CLUSTER-YAML]]: a kubeconfig
# with one cluster and context named NAME at SERVER, and user dnsd. USER-YAML
# (the user's keys, indented 4) defaults to the token in NAME.token;
# CLUSTER-YAML (the cluster's keys besides server, indented 4) to the test CA.
# Relative paths resolve against FILE's directory.
write_kubeconfig() {
  local file=$1 server=$2 name=$3
  local user=${4:-"    tokenFile: $name.token"}
  local cluster=${5:-"    certificate-authority: pki/ca.crt"}
  cat >"$file" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: $name
  cluster:
    server: $server
$cluster
users:
- name: dnsd
  user:
$user
contexts:
- name: $name
  context: {cluster: $name, user: dnsd}
current-context: $name
YAML
}

fake_url() { local v="FAKE_${1//-/_}_URL"; echo "${!v}"; }

# fake NAME METHOD PATH [JSON]: a control request (/_fake/...) or an API
# request with the current token; prints the body, fails on HTTP >= 400.
fake() {
  local name=$1 method=$2 path=$3 data=${4:-}
  curl -sS -f --max-time 10 --cacert "$PKI/ca.crt" -X "$method" \
    -H "Authorization: Bearer $(cat "$T/$name.token")" -H 'Content-Type: application/json' \
    ${data:+--data "$data"} "$(fake_url "$name")$path"
}
fault() { fake "$1" POST /_fake/fault "$2" >/dev/null || die "fault $2 on $1"; }

# se_json NS NAME HOST ADDR...: a ServiceEntry with one host, its addresses
# and port http1 3000.
se_json() {
  local ns=$1 name=$2 host=$3; shift 3
  local addrs
  addrs=$(printf '"%s",' "$@"); addrs=${addrs%,}
  printf '{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"%s","namespace":"%s"},"spec":{"hosts":["%s"],"addresses":[%s],"location":"MESH_INTERNAL","resolution":"DNS","ports":[{"name":"http1","number":3000,"protocol":"http"}]}}' \
    "$name" "$ns" "$host" "$addrs"
}
# se_create CLUSTER NS NAME HOST ADDR... / se_replace ... / se_delete CLUSTER NS NAME
# through the real API paths (POST, PUT, DELETE).
se_create() {
  local c=$1 ns=$2 name=$3; shift 3
  fake "$c" POST "/apis/networking.istio.io/v1/namespaces/$ns/serviceentries" \
    "$(se_json "$ns" "$name" "$@")" >/dev/null || die "create $ns/$name on $c"
}
se_replace() {
  local c=$1 ns=$2 name=$3; shift 3
  fake "$c" PUT "/apis/networking.istio.io/v1/namespaces/$ns/serviceentries/$name" \
    "$(se_json "$ns" "$name" "$@")" >/dev/null || die "replace $ns/$name on $c"
}
se_delete() {
  fake "$1" DELETE "/apis/networking.istio.io/v1/namespaces/$2/serviceentries/$3" \
    '{"propagationPolicy":"Background"}' >/dev/null || die "delete $2/$3 on $1"
}
# se_doc NS NAME SPEC_JSON [STATUS_JSON] [METADATA_EXTRA_JSON]: a ServiceEntry
# document (compact JSON) with that spec, status and extra metadata fields.
se_doc() {
  "$PY" - "$@" <<'PY'
import json, sys
ns, name, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
status = json.loads(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
meta = {"name": name, "namespace": ns}
if len(sys.argv) > 5 and sys.argv[5]:
    meta.update(json.loads(sys.argv[5]))
o = {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": meta, "spec": spec}
if status is not None:
    o["status"] = status
print(json.dumps(o, separators=(",", ":")))
PY
}

# se_put CLUSTER NS NAME SPEC_JSON [STATUS_JSON] [METADATA_EXTRA_JSON]: create
# the entry through the real API path, or replace it when it exists.
se_put() {
  local c=$1 ns=$2 name=$3 doc
  doc=$(se_doc "$2" "$3" "$4" "${5:-}" "${6:-}") || die "se_doc $ns/$name"
  local base="/apis/networking.istio.io/v1/namespaces/$ns/serviceentries"
  if fake "$c" GET "$base/$name" >/dev/null 2>&1; then
    fake "$c" PUT "$base/$name" "$doc" >/dev/null || die "replace $ns/$name on $c"
  else
    fake "$c" POST "$base" "$doc" >/dev/null || die "create $ns/$name on $c"
  fi
}

# se_rv CLUSTER NS NAME: the entry's resourceVersion at the API.
se_rv() {
  fake "$1" GET "/apis/networking.istio.io/v1/namespaces/$2/serviceentries/$3" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])'
}

# dropped CLUSTER REASON: dnsd_kubernetes_dropped_total for them (0 when absent).
dropped() {
  local v
  v=$(metric "dnsd_kubernetes_dropped_total{cluster=\"$1\",reason=\"$2\"}")
  echo "${v:-0}"
}
# expect_dropped SECS CLUSTER REASON N: poll until the counter reads N.
expect_dropped() {
  local secs=$1 c=$2 r=$3 n=$4
  _dropped_is() { [ "$(dropped "$c" "$r")" = "$n" ]; }
  wait_until "$secs" _dropped_is || die "dnsd_kubernetes_dropped_total{cluster=$c,reason=$r}: want $n, have $(dropped "$c" "$r")"
  echo "ok - dropped{cluster=$c,reason=$r} = $n"
}

# fake_state CLUSTER FIELD: a number from /_fake/state (rv, objects, watchers,
# or counts.list / counts.watch / counts.faults ...).
fake_state() {
  fake "$1" GET /_fake/state | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[k]
print(d)' "$2"
}

# k8s_config FILE PORT HTTPPORT CLUSTERS [extra YAML]: dnsd serving zone global
# (zones/global.zone plus the clusters named, comma separated) with metrics
# and health on 127.0.0.1:HTTPPORT, debug logging and chaos on.
# K8S_SOURCE_YAML adds keys to every kubernetes: entry ("export-to: ignore").
k8s_config() {
  local file=$1 port=$2 hport=$3 clusters=$4 c sources=()
  for c in ${clusters//,/ }; do
    sources+=(--kubernetes "{name: $c, kubeconfig: $T/$c.kubeconfig${K8S_SOURCE_YAML:+, $K8S_SOURCE_YAML}}")
  done
  write_config "$file" --port "$port" \
    --zone "{name: global, file: $REPO/zones/global.zone, ttl: 30, kubernetes: [$clusters]}" \
    "${sources[@]}" --log debug --http "127.0.0.1:$hport" --chaos "${5:-}"
}

# start_k8s_dnsd CLUSTERS [extra YAML]: k8s_config on free ports and start dnsd;
# HPORT is the metrics/health port.
start_k8s_dnsd() {
  local port
  port=$(free_port) || die "no free port"
  HPORT=$(free_port) || die "no free port"
  k8s_config "$T/dnsd.yaml" "$port" "$HPORT" "$1" "${2:-}"
  start_dnsd "$T/dnsd.yaml"
}
# state_dir_config STALE_START_MS WRITE_MS: the saved-state tests' set-up:
# STATE=$T/state (created) and EXTRA, the config lines for start_k8s_dnsd
# (state-dir, stale-start-timeout-ms, state-write-interval-ms, lameduck-ms 0).
state_dir_config() {
  STATE=$T/state
  mkdir -p "$STATE"
  EXTRA="state-dir: $STATE
stale-start-timeout-ms: $1
state-write-interval-ms: $2
lameduck-ms: 0"
}
# k8s_source NAME [YAML]: the kubernetes: entry (write_config --kubernetes) for
# start_fakeapi NAME's kubeconfig, with more keys if given ("host-policy: any").
k8s_source() { echo "{name: $1, kubeconfig: $T/$1.kubeconfig${2:+, $2}}"; }

# k8s_dnsd [write_config OPTION...]: dnsd on a free port with debug logging
# and /metrics, /health, /ready on 127.0.0.1:$HPORT; zones and sources as given
# (--zone, --kubernetes "$(k8s_source mesh-1)", ...). Waits until it answers.
k8s_dnsd() {
  local port
  port=$(free_port) || die "no free port"
  HPORT=$(free_port) || die "no free port"
  write_config "$T/dnsd.yaml" --port "$port" --log debug --http "127.0.0.1:$HPORT" "$@"
  start_dnsd "$T/dnsd.yaml"
}
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$HPORT$1"; }
is_ready() { [ "$(http_code /ready)" = 200 ]; }
metric() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# answer_is WANT NAME [TYPE]: dnsd's sorted +short answer equals WANT
# (newline-separated); "" means an empty answer.
answer_is() { [ "$(qshort "$2" "${3:-A}")" == "$1" ]; }
status_is() { [ "$(qstatus "$2" "${3:-A}")" == "$1" ]; }
# expect_answer SECS WANT NAME [TYPE]: poll until it holds, else fail.
expect_answer() {
  local secs=$1 want=$2; shift 2
  wait_until "$secs" answer_is "$want" "$@" ||
    die "$1 ${2:-A}: want '$want', have '$(qshort "$@" | tr '\n' ' ')' ($(qstatus "$@"))"
  echo "ok - $1 ${2:-A} = '${want//$'\n'/ }'"
}
expect_status() {
  local secs=$1 want=$2; shift 2
  wait_until "$secs" status_is "$want" "$@" || die "$1 ${2:-A}: want $want, have $(qstatus "$@")"
  echo "ok - $1 ${2:-A} is $want"
}
serial() { qshort global SOA | awk '{print $3}'; }
