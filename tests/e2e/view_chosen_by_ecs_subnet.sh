#!/usr/bin/env bash
# Views by EDNS Client Subnet: when a forwarder adds ECS, dnsd matches the
# subnet instead of the source address (RFC 7871 §7.1.1), and the reply's
# ECS SCOPE PREFIX-LENGTH says how many bits the choice depended on: the
# longest prefix dnsd compared, at most the SOURCE PREFIX-LENGTH. Malformed
# ECS is FORMERR. Config: conf/examples/dnsd-split-horizon.yaml, whose views
# list mesh-1: [10.1.0.0/16, 127.0.0.11], mesh-2: [10.2.0.0/16, 127.0.0.12].
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"

start_split_horizon_dnsd

# ecs_check SUBNET VIEW ECS_LINE: asked from a third address, 127.0.0.13
ecs_check() {
  local out
  out=$(qdig -b 127.0.0.13 +subnet="$1" view.dnsd CH TXT)
  assert_contains "$out" "\"$2\"" "ECS $1 from 127.0.0.13 picks view $2"
  assert_contains "$out" "; CLIENT-SUBNET: $3" "ECS $1: reply carries $3"
}
# mesh-1's first prefix decides: 16 bits
ecs_check 10.1.2.0/24 mesh-1 10.1.2.0/24/16
# mesh-1's 127.0.0.11/32 was compared on the way: all 24 known bits
ecs_check 10.2.3.0/24 mesh-2 10.2.3.0/24/24
ecs_check 10.9.0.0/16 default 10.9.0.0/16/16
# wider than every prefix: cannot be placed in a cluster's view
ecs_check 10.0.0.0/8 default 10.0.0.0/8/8
# /0 carries no address: the source address decides, scope 0
out=$(qdig -b 127.0.0.12 +subnet=0.0.0.0/0 view.dnsd CH TXT)
assert_contains "$out" '"mesh-2"' "ECS 0/0 from 127.0.0.12: the source address decides"
assert_contains "$out" "; CLIENT-SUBNET: 0.0.0.0/0/0" "ECS 0/0: scope 0"

# the answer data follows the ECS view too, not the source's
assert_eq "$(qdig -b 127.0.0.11 +short +subnet=10.2.0.0/16 messenger.default.global)" 127.127.43.69 \
  "ECS for mesh-2 through mesh-1's forwarder address gets mesh-2's data"

# malformed ECS (RFC 7871 §6, §7.1.1): FORMERR, with nothing from a zone.
# The option data in hex: FAMILY (2 bytes), SOURCE and SCOPE PREFIX-LENGTH, ADDRESS.
malformed_ecs() {   # WHAT HEX
  local out
  out=$(dnsq --source 127.0.0.11 --rd --opt "8:$2" messenger.default.global A)
  assert_eq "$(field rcode "$out") | $(field answer "$out")" "FORMERR | " "malformed ECS, $1: FORMERR, no answer"
}
malformed_ecs "source prefix 33 for IPv4" 000121000a01020300
malformed_ecs "address longer than the source prefix" 000110000a010200
malformed_ecs "address shorter than the source prefix" 000118000a01
malformed_ecs "bits set beyond the source prefix" 000117000a0103
malformed_ecs "non-zero scope in a query" 000118100a0102
malformed_ecs "unknown family 3" 00030000
malformed_ecs "option shorter than its header" 000100
# and a well-formed one, 10.1.2.0/24, for contrast
out=$(dnsq --source 127.0.0.13 --rd --opt 8:000118000a0102 messenger.default.global A)
assert_eq "$(field rcode "$out")" NOERROR "well-formed ECS 10.1.2.0/24: NOERROR"
assert_eq "$(field answer "$out" | head -n 1 | awk '{print $NF}')" 127.127.42.69 "well-formed ECS 10.1.2.0/24: mesh-1's address"
ecs=$(field edns "$out" | sed 's/.*options=//' | tr ',' '\n' | grep '^8:')
assert_match "$ecs" '^8:[0-9a-f]{6}10[0-9a-f]*$' "well-formed ECS 10.1.2.0/24: one ECS option back, scope 16"
