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
k8s_config() {
  local file=$1 port=$2 hport=$3 clusters=$4 c sources=()
  for c in ${clusters//,/ }; do
    sources+=(--kubernetes "{name: $c, kubeconfig: $T/$c.kubeconfig}")
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
