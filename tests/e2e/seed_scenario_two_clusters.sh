#!/usr/bin/env bash
# Issue 4's seed scenario, end to end: two clusters (two fake API servers,
# HTTPS), conf/examples/dnsd-two-clusters.yaml as shipped (paths and ports
# moved to the test's), mesh-1 holding messenger.default.global ->
# 127.127.42.69 with port http1 3000, mesh-2 its own entries. Queries from
# 127.0.0.11 (mesh-1's forwarder) and 127.0.0.12 (mesh-2's) get their own
# cluster's answers, directly and through dnsmasq as kube-dns runs it; a
# change in one cluster shows only in its view.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
start_fakeapi mesh-2
se_create mesh-1 default messenger messenger.default.global 127.127.42.69
se_create mesh-2 default ratings ratings.default.global 127.127.43.70 fd00:43::70
se_create mesh-2 default messenger messenger.default.global 127.127.43.69

port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
sed -e "s|^listen: \[\":53\"\]|listen: [\"127.0.0.1:$port\"]|" \
    -e "s|/etc/dnsd/mesh-|$T/mesh-|" \
    -e "s|^workers: 0|workers: 2|" \
    -e "s|\"\[::\]:9153\"|\"127.0.0.1:$HPORT\"|; s|\"\[::\]:8080\"|\"127.0.0.1:$HPORT\"|" \
    "$REPO/conf/examples/dnsd-two-clusters.yaml" >"$T/dnsd.yaml"
grep -q "127.0.0.1:$port" "$T/dnsd.yaml" && grep -q "$T/mesh-2.kubeconfig" "$T/dnsd.yaml" ||
  die "the example changed shape; update the sed"
"$DNSD_BIN" -t -c "$T/dnsd.yaml" >/dev/null 2>&1 || die "dnsd -t rejects the example: $("$DNSD_BIN" -t -c "$T/dnsd.yaml" 2>&1)"
start_dnsd "$T/dnsd.yaml"
wait_until 10 is_ready || die "not ready"

from() { local src=$1; shift; dig -p "$DNSD_PORT" "@$DNSD_ADDR" -b "$src" +norec +time=2 +tries=1 "$@"; }
from_short() { from "$@" +short | sort; }
view_is() { [ "$(from_short "$1" "$3" "${4:-A}")" == "$2" ]; }
expect_from() { # SRC WANT NAME [TYPE]
  wait_until 5 view_is "$@" || die "from $1: $3 ${4:-A}: want '$2', have '$(from_short "$1" "$3" "${4:-A}")'"
  echo "ok - from $1: $3 ${4:-A} = '${2//$'\n'/ }'"
}

expect_from 127.0.0.11 127.127.42.69 messenger.default.global
expect_from 127.0.0.11 "0 0 3000 messenger.default.global." _http1._tcp.messenger.default.global SRV
assert_eq "$(from 127.0.0.11 +short view.dnsd CH TXT)" '"mesh-1"' "from 127.0.0.11: view.dnsd CH TXT names the view"
assert_eq "$(from 127.0.0.11 ratings.default.global | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" NXDOMAIN \
  "from 127.0.0.11: mesh-2's name is NXDOMAIN"
out=$(from 127.0.0.11 messenger.default.global AAAA)
assert_contains "$out" "status: NOERROR" "from 127.0.0.11: AAAA of an A-only name is NODATA"
assert_match "$out" $'\n''global\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA' "... with the SOA"

expect_from 127.0.0.12 127.127.43.69 messenger.default.global
expect_from 127.0.0.12 127.127.43.70 ratings.default.global
expect_from 127.0.0.12 fd00:43::70 ratings.default.global AAAA
assert_eq "$(from 127.0.0.12 +short view.dnsd CH TXT)" '"mesh-2"' "from 127.0.0.12: view.dnsd CH TXT names the view"
# anyone else: the default view serves no zones
assert_eq "$(from 127.0.0.13 messenger.default.global | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" REFUSED \
  "from 127.0.0.13: REFUSED (default view, no zones)"

# a change in mesh-1 shows in mesh-1's view only
se_replace mesh-1 default messenger messenger.default.global 127.127.42.70
expect_from 127.0.0.11 127.127.42.70 messenger.default.global
assert_eq "$(from_short 127.0.0.12 messenger.default.global)" 127.127.43.69 "mesh-2's view unchanged"
se_create mesh-2 default reviews reviews.default.global 127.127.43.71
expect_from 127.0.0.12 127.127.43.71 reviews.default.global
assert_eq "$(from 127.0.0.11 reviews.default.global | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" NXDOMAIN \
  "mesh-2's new name is not in mesh-1's view"
# each view has its own serial
s1=$(from_short 127.0.0.11 global SOA | awk '{print $3}')
s2=$(from_short 127.0.0.12 global SOA | awk '{print $3}')
note "serials: mesh-1 $s1, mesh-2 $s2"

# through kube-dns's dnsmasq, one per cluster, each sending from its address
if command -v dnsmasq >/dev/null && [ "$(id -u)" = 0 ]; then
  for src in 127.0.0.11 127.0.0.12; do
    fport=$(free_port) || die "no free port"
    dnsmasq -k --no-resolv --no-hosts --port="$fport" --listen-address="$src" --bind-interfaces \
      "--server=/global/127.0.0.1#$DNSD_PORT@$src" --no-negcache --user=root \
      --pid-file="$T/dnsmasq-$src.pid" --log-facility=- >"$T/dnsmasq-$src.log" 2>&1 &
    on_exit "kill $!"
    fwd_is() { [ "$(dig -p "$fport" "@$src" +time=2 +tries=1 +short "$2" | sort)" == "$1" ]; }
    case $src in
      127.0.0.11) want=127.127.42.70 ;;
      127.0.0.12) want=127.127.43.69 ;;
    esac
    wait_until 10 fwd_is "$want" messenger.default.global ||
      die "through dnsmasq on $src: messenger.default.global: $(dig -p "$fport" "@$src" +short messenger.default.global)"
    echo "ok - through dnsmasq on $src: messenger.default.global = $want"
  done
else
  note "dnsmasq part skipped (needs dnsmasq and root)"
fi
assert_running
