# shellcheck shell=bash
# tests/e2e/proxy.bash - shared by the proxy_protocol_* tests: dnsd serving
# conf/examples/dnsd-split-horizon.yaml (mesh-1 = 127.0.0.11, mesh-2 =
# 127.0.0.12, anyone else: view "default", REFUSED) with `proxy-protocol:`
# naming the load balancers' source addresses, and the real load balancers
# in front of it: dnsdist (Debian package; useProxyProtocol, UDP and TCP,
# from source 127.0.0.2) and HAProxy (send-proxy-v2, TCP, from source
# 127.0.0.3). Source it after lib.sh. Not a test itself.
EXAMPLES=$REPO/conf/examples
DNSDIST_SOURCE=127.0.0.2
HAPROXY_SOURCE=127.0.0.3

# start_proxied_dnsd PREFIXES [SED]: the example on a free port, query log
# and /metrics on, `proxy-protocol: PREFIXES` (a YAML flow list); SED, a sed
# expression, changes the config further.
start_proxied_dnsd() {
  DNSD_PORT=$(free_port) || die "no free port"
  METRICS_PORT=$(free_port) || die "no free port"
  sed -e "s|\":53\"|\"127.0.0.1:$DNSD_PORT\"|" \
      -e "s|file: zones/|file: $EXAMPLES/zones/|" \
      -e "s|listen: \"\[::\]:[0-9]*\"|listen: \"127.0.0.1:$METRICS_PORT\"|" \
      -e 's|queries: false|queries: true|' \
      -e 's|^workers: 0|workers: 2|' \
      "$EXAMPLES/dnsd-split-horizon.yaml" >"$T/dnsd.yaml"
  grep -q "127.0.0.1:$DNSD_PORT" "$T/dnsd.yaml" || die "example's listen line changed; update the sed"
  printf 'proxy-protocol: %s\n' "$1" >>"$T/dnsd.yaml"
  [ -z "${2:-}" ] || sed -i -e "$2" "$T/dnsd.yaml"
  start_dnsd "$T/dnsd.yaml"
}

# metric NAME_AND_LABELS: the value of one sample in /metrics ("" if absent).
metric() {
  curl -sf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk -v want="$1" '$1 == want { print $2; found=1 } END { if (!found) print "" }'
}
# metric_sum NAME LABEL=VALUE...: the sum of NAME's samples that carry every
# label given (whatever other labels they have).
metric_sum() {
  local name=$1; shift
  curl -sf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" | "$PY" -c '
import re, sys
name, want = sys.argv[1], sys.argv[2:]
total = 0
for line in sys.stdin:
    m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line.strip())
    if not m or m.group(1) != name:
        continue
    labels = dict(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\]|\\.)*)\"", m.group(3) or ""))
    if all(labels.get(k) == v for k, v in (w.split("=", 1) for w in want)):
        total += float(m.group(4))
print(int(total))' "$name" "$@"
}
# metric_is NAME_AND_LABELS VALUE: for wait_until.
metric_is() { [ "$(metric "$1")" = "$2" ]; }

query_logged() { grep -Eq "$1" "$DNSD_LOG"; }
# client_logged ADDR PROTO VIEW QNAME: a query log line for that client
# (address, any port), protocol, view and name.
client_logged() {
  local addr=${1//./\\.}
  query_logged "query client=$addr#[0-9]+ .*proto=$2 .*view=$3 .*qname=${4//./\\.}\\. "
}

# start_dnsdist: conf/examples/dnsdist-proxy-protocol.conf on a free
# loopback port (UDP and TCP, and the same port on ::1) forwarding everything
# to dnsd with a PROXY v2 header, from $DNSDIST_SOURCE; waits until a query
# passes through.
start_dnsdist() {
  command -v dnsdist >/dev/null || skip "dnsdist is not installed (.ci/deps installs it)"
  DNSDIST_PORT=$(free_port) || die "no free port"
  sed -e "s|\"0.0.0.0:53\"|\"127.0.0.1:$DNSDIST_PORT\"|" -e "s|\"\[::\]:53\"|\"[::1]:$DNSDIST_PORT\"|" \
      -e "s|10.0.0.53:53|127.0.0.1:$DNSD_PORT|" -e "s|source=\"10.0.0.5\"|source=\"$DNSDIST_SOURCE\"|" \
      "$EXAMPLES/dnsdist-proxy-protocol.conf" >"$T/dnsdist.conf"
  grep -q "127.0.0.1:$DNSD_PORT" "$T/dnsdist.conf" && grep -q "$DNSDIST_SOURCE" "$T/dnsdist.conf" &&
    grep -q "\[::1\]:$DNSDIST_PORT" "$T/dnsdist.conf" || die "the dnsdist example changed; update the sed"
  dnsdist --supervised --disable-syslog -C "$T/dnsdist.conf" >"$T/dnsdist.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid; wait $pid"
  wait_until 20 through_dnsdist_answers ||
    die "dnsdist did not pass a query to dnsd within 20s: $(tail -n 20 "$T/dnsdist.log")"
}
# ddig ARGS...: dig through dnsdist.
ddig() { dig -p "$DNSDIST_PORT" @127.0.0.1 +norec +time=2 +tries=1 "$@"; }
through_dnsdist_answers() { ddig -b 127.0.0.11 view.dnsd CH TXT | grep -q '"mesh-1"'; }

# start_haproxy: conf/examples/haproxy-proxy-protocol.cfg (TCP mode,
# send-proxy-v2) on a free port, to dnsd from $HAPROXY_SOURCE.
start_haproxy() {
  command -v haproxy >/dev/null || skip "haproxy is not installed (.ci/deps installs it)"
  HAPROXY_PORT=$(free_port) || die "no free port"
  sed -e "s|bind :53|bind 127.0.0.1:$HAPROXY_PORT|" -e "s|10.0.0.53:53|127.0.0.1:$DNSD_PORT|" \
      -e "s|source 10.0.0.6|source $HAPROXY_SOURCE|" "$EXAMPLES/haproxy-proxy-protocol.cfg" >"$T/haproxy.cfg"
  grep -q "source $HAPROXY_SOURCE" "$T/haproxy.cfg" && grep -q "bind 127.0.0.1:$HAPROXY_PORT" "$T/haproxy.cfg" ||
    die "the HAProxy example changed; update the sed"
  haproxy -c -q -f "$T/haproxy.cfg" || die "haproxy rejects its configuration"
  haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid; wait $pid"
  wait_until 20 through_haproxy_answers ||
    die "HAProxy did not pass a query to dnsd within 20s: $(tail -n 20 "$T/haproxy.log")"
}
hdig() { dig -p "$HAPROXY_PORT" @127.0.0.1 +norec +tcp +time=2 +tries=1 "$@"; }
through_haproxy_answers() { hdig -b 127.0.0.11 view.dnsd CH TXT | grep -q '"mesh-1"'; }
