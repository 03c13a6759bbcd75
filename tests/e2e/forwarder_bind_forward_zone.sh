#!/usr/bin/env bash
# BIND (named) with zone "global" { type forward; forward only; }, sending
# from 127.0.0.11 (mesh-1's forwarder): every answer through it is mesh-1's,
# truncated answers are retried over TCP, negative answers keep their SOA.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"
command -v named >/dev/null || skip "BIND (named) not installed"

start_split_horizon_dnsd

# named listens only on addresses configured on an interface (lo has
# 127.0.0.1/8), so it listens on 127.0.0.1; it sends from 127.0.0.11.
FWD_ADDR=127.0.0.1
FWD_PORT=$(free_port) || die "no free port"
cat >"$T/named.conf" <<CONF
options {
	directory "$T";
	pid-file "$T/named.pid";
	session-keyfile "$T/session.key";
	managed-keys-directory "$T";
	listen-on port $FWD_PORT { $FWD_ADDR; };
	listen-on-v6 { none; };
	query-source address 127.0.0.11;
	dnssec-validation no;
	recursion yes;
	allow-query { any; };
	allow-recursion { any; };
};
controls { };
zone "global" {
	type forward;
	forward only;
	forwarders { $DNSD_ADDR port $DNSD_PORT; };
};
CONF
named-checkconf "$T/named.conf" || die "named-checkconf rejected the config"
# -g: foreground, log to stderr. Started as root, named keeps running as root
# without -u (it only warns); as another user it runs as that user.
named -g -c "$T/named.conf" >"$T/named.log" 2>&1 &
on_exit "kill $!"
wait_until 15 fdig +short messenger.default.global A || {
  tail -n 30 "$T/named.log" >&2; die "named did not answer"; }

check_forwarder_path mesh-1 42 3000 fd00:42::70
