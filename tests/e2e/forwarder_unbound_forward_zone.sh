#!/usr/bin/env bash
# unbound with a forward-zone for "global", sending from 127.0.0.12 (mesh-2's
# forwarder): every answer through it is mesh-2's, truncated answers are
# retried over TCP, negative answers keep their SOA.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"
command -v unbound >/dev/null || skip "unbound not installed"

start_split_horizon_dnsd

FWD_ADDR=127.0.0.12
FWD_PORT=$(free_port) || die "no free port"
cat >"$T/unbound.conf" <<CONF
server:
  interface: $FWD_ADDR
  port: $FWD_PORT
  outgoing-interface: $FWD_ADDR
  access-control: 127.0.0.0/8 allow
  do-ip6: no
  do-not-query-localhost: no
  domain-insecure: global
  module-config: "iterator"
  chroot: ""
  username: ""
  directory: "$T"
  pidfile: "$T/unbound.pid"
  use-syslog: no
  logfile: ""
  num-threads: 1
  verbosity: 1
remote-control:
  control-enable: no
forward-zone:
  name: "global"
  forward-addr: $DNSD_ADDR@$DNSD_PORT
CONF
unbound-checkconf "$T/unbound.conf" >/dev/null || die "unbound-checkconf rejected the config"
unbound -d -c "$T/unbound.conf" >"$T/unbound.log" 2>&1 &
on_exit "kill $!"
wait_until 10 fdig +short messenger.default.global A || {
  cat "$T/unbound.log" >&2; die "unbound did not answer"; }

check_forwarder_path mesh-2 43 3001 fd00:43::70
