# shellcheck shell=bash
# tests/e2e/split-horizon.bash - shared by the split-horizon and forwarder
# tests: start dnsd from conf/examples/dnsd-split-horizon.yaml, and the list
# of checks every forwarder (dnsmasq, unbound, BIND) must pass. Source it
# after lib.sh. Not a test itself (run-all runs *.sh only).
EXAMPLES=$REPO/conf/examples

# start_split_horizon_dnsd: the shipped example, moved to a free loopback port,
# its zone files made absolute, HTTP endpoints off and the query log on.
start_split_horizon_dnsd() {
  DNSD_PORT=$(free_port) || die "no free port"
  sed -e "s|\":53\"|\"127.0.0.1:$DNSD_PORT\"|" \
      -e "s|file: zones/|file: $EXAMPLES/zones/|" \
      -e 's|listen: "\[::\]:[0-9]*"|listen: ""|' \
      -e 's|queries: false|queries: true|' \
      -e 's|^workers: 0|workers: 2|' \
      "$EXAMPLES/dnsd-split-horizon.yaml" >"$T/dnsd.yaml"
  grep -q "127.0.0.1:$DNSD_PORT" "$T/dnsd.yaml" || die "example's listen line changed; update the sed"
  start_dnsd "$T/dnsd.yaml"
}

# query_logged REGEX: dnsd's query log has a line matching REGEX (poll with it).
query_logged() { grep -Eq "$1" "$DNSD_LOG"; }

# Through the forwarder at FWD_ADDR:FWD_PORT (recursion desired, as a pod's
# resolver asks).
fdig() { dig -p "$FWD_PORT" "@$FWD_ADDR" +time=3 +tries=1 "$@"; }
fstatus() { fdig "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
# fquery_ms NAME [TYPE]: dig's own "Query time", without process start-up.
fquery_ms() { fdig "$@" | sed -n 's/^;; Query time: \([0-9]*\) msec/\1/p'; }

# check_forwarder_path VIEW OCTET SRV_PORT V6: every check for one forwarder
# whose queries reach dnsd from a source that view VIEW matches; OCTET,
# SRV_PORT and V6 are that view's data in conf/examples/zones/VIEW.global.zone.
check_forwarder_path() {
  local view=$1 octet=$2 srv_port=$3 v6=$4 out

  assert_eq "$(fdig +short messenger.default.global A)" "127.127.$octet.69" "$view: A"
  assert_eq "$(fdig +short ratings.default.global AAAA)" "$v6" "$view: AAAA"
  assert_eq "$(fdig +short _http1._tcp.messenger.default.global SRV)" \
    "0 0 $srv_port messenger.default.global." "$view: SRV"

  # istiocoredns answered NXDOMAIN here; RFC 2308 §2.2 NODATA carries the SOA
  out=$(fdig messenger.default.global AAAA)
  assert_contains "$out" "status: NOERROR" "$view: AAAA of an A-only name is NOERROR"
  assert_contains "$out" "ANSWER: 0," "$view: ... with no answer (NODATA)"
  assert_match "$out" $'\n''global\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA[[:space:]]' \
    "$view: ... and the SOA passed on by the forwarder"

  out=$(fdig nosuch.default.global A)
  assert_contains "$out" "status: NXDOMAIN" "$view: unknown name is NXDOMAIN"
  assert_match "$out" $'\n''global\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA[[:space:]]' \
    "$view: ... with the SOA passed on by the forwarder"

  # 100 A records do not fit 1232 bytes: dnsd sets TC, the forwarder asks
  # again over TCP (or dig does, through the forwarder), and all 100 arrive.
  out=$(fdig +short big.default.global A | sort -u)
  assert_eq "$(grep -c "^127\.128\.$octet\." <<<"$out")" 100 "$view: all 100 addresses of a TC answer"
  wait_until 5 query_logged "proto=udp view=$view qname=big\.default\.global\. qtype=A rcode=NOERROR tc=1" ||
    die "$view: dnsd did not log the truncated UDP answer"
  echo "ok - $view: dnsd truncated the UDP answer"
  wait_until 5 query_logged "proto=tcp view=$view qname=big\.default\.global\. qtype=A rcode=NOERROR tc=0" ||
    die "$view: dnsd saw no TCP query for the truncated answer"
  echo "ok - $view: the retry reached dnsd over TCP"

  # A pod's search path turns "api.github.com" into api.github.com.global
  # and the like: these must fail fast, not time out.
  local name ms
  for name in api.github.com.global foo.default.svc.cluster.local.global; do
    assert_eq "$(fstatus "$name" A)" NXDOMAIN "$view: $name is NXDOMAIN"
    ms=$(fquery_ms "$name" A)
    [ -n "$ms" ] && [ "$ms" -lt 100 ] || die "$view: $name took '${ms}' ms warm, want < 100"
    echo "ok - $view: $name warm in ${ms} ms"
  done
  wait_until 5 query_logged "view=$view qname=foo\.default\.svc\.cluster\.local\.global\. qtype=A rcode=NXDOMAIN" ||
    die "$view: the flood name did not reach dnsd in view $view"
  echo "ok - $view: dnsd answered the flood name in view $view"
}
