#!/usr/bin/env bash
# Views by source address (the forwarder's, behind kube-dns / CoreDNS): with
# conf/examples/dnsd-split-horizon.yaml, a query from 127.0.0.11 is answered
# by view mesh-1, from 127.0.0.12 by mesh-2, from anywhere else by default
# (which serves no zones: REFUSED). CH TXT view.dnsd names the view.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"

start_split_horizon_dnsd

assert_eq "$(qdig -b 127.0.0.11 +short view.dnsd CH TXT)" '"mesh-1"' "view.dnsd from 127.0.0.11"
assert_eq "$(qdig -b 127.0.0.12 +short view.dnsd CH TXT)" '"mesh-2"' "view.dnsd from 127.0.0.12"
assert_eq "$(qdig -b 127.0.0.13 +short view.dnsd CH TXT)" '"default"' "view.dnsd from 127.0.0.13"

# the same name, each view's own file
assert_eq "$(qdig -b 127.0.0.11 +short messenger.default.global)" 127.127.42.69 "mesh-1's messenger"
assert_eq "$(qdig -b 127.0.0.12 +short messenger.default.global)" 127.127.43.69 "mesh-2's messenger"
assert_eq "$(qdig -b 127.0.0.11 +short _http1._tcp.messenger.default.global SRV)" \
  "0 0 3000 messenger.default.global." "mesh-1's SRV"
assert_eq "$(qdig -b 127.0.0.12 +short _http1._tcp.messenger.default.global SRV)" \
  "0 0 3001 messenger.default.global." "mesh-2's SRV"
assert_eq "$(qstatus -b 127.0.0.13 messenger.default.global)" REFUSED "default view serves no zone"
assert_eq "$(qflags -b 127.0.0.13 messenger.default.global)" "qr" "... and claims no authority"
