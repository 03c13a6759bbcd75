#!/usr/bin/env bash
# kube-dns forwards .global with dnsmasq, configured from the stubDomains
# ConfigMap in conf/examples/kube-dns-stubdomains.yaml. Two dnsmasq instances
# stand in for two clusters' kube-dns: one sends from 127.0.0.11 (mesh-1's
# DNS pods), one from 127.0.0.12 (mesh-2's), and each must get its own
# cluster's answers from one dnsd running conf/examples/dnsd-split-horizon.yaml.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"
command -v dnsmasq >/dev/null || skip "dnsmasq not installed"
[ "$(id -u)" = 0 ] || skip "dnsmasq needs root here"

start_split_horizon_dnsd

# stubDomains -> dnsmasq --server flags, as kube-dns's dnsmasq-nanny writes
# them ("ip" or "ip:port" -> /domain/ip#port), with the example's placeholder
# address swapped for this dnsd and a source address pinned with "@".
stub_servers() {   # SOURCE_ADDR
  "$PY" - "$EXAMPLES/kube-dns-stubdomains.yaml" "$DNSD_ADDR#$DNSD_PORT" "$1" <<'PY'
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "kube-dns"
stubs = json.loads(doc["data"]["stubDomains"])
assert list(stubs) == ["global"], stubs
for domain, servers in stubs.items():
    assert servers == ["10.96.0.53"], servers   # the placeholder this test replaces
    for _ in servers:
        print(f"--server=/{domain}/{sys.argv[2]}@{sys.argv[3]}")
PY
}

# start_dnsmasq ADDR: kube-dns's dnsmasq flags, listening on ADDR, sending from ADDR.
start_dnsmasq() {
  local addr=$1 port servers
  port=$(free_port) || die "no free port"
  servers=$(stub_servers "$addr") || die "cannot read the stubDomains example"
  note "dnsmasq on $addr:$port: $servers"
  # shellcheck disable=SC2086
  dnsmasq -k --no-resolv --no-hosts --port="$port" --listen-address="$addr" --bind-interfaces \
    $servers --no-negcache --user=root --pid-file="$T/dnsmasq-$addr.pid" \
    --log-facility=- >"$T/dnsmasq-$addr.log" 2>&1 &
  on_exit "kill $!"
  FWD_ADDR=$addr FWD_PORT=$port
  wait_until 10 fdig +short messenger.default.global A || {
    cat "$T/dnsmasq-$addr.log" >&2; die "dnsmasq on $addr did not answer"; }
}

start_dnsmasq 127.0.0.11
check_forwarder_path mesh-1 42 3000 fd00:42::70

start_dnsmasq 127.0.0.12
check_forwarder_path mesh-2 43 3001 fd00:43::70
