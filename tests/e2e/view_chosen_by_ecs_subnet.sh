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

# malformed ECS (RFC 7871 §6, §7.1.1): FORMERR, with nothing from a zone
"$PY" - "$DNSD_ADDR" "$DNSD_PORT" <<'PY' || die "malformed ECS checks failed"
import sys
import dns.edns, dns.message, dns.query, dns.rcode
addr, port = sys.argv[1], int(sys.argv[2])
cases = {
    "source prefix 33 for IPv4": bytes([0, 1, 33, 0, 10, 1, 2, 3, 0]),
    "address longer than the source prefix": bytes([0, 1, 16, 0, 10, 1, 2, 0]),
    "address shorter than the source prefix": bytes([0, 1, 24, 0, 10, 1]),
    "bits set beyond the source prefix": bytes([0, 1, 23, 0, 10, 1, 3]),
    "non-zero scope in a query": bytes([0, 1, 24, 16, 10, 1, 2]),
    "unknown family 3": bytes([0, 3, 0, 0]),
    "option shorter than its header": bytes([0, 1, 0]),
}
ok = True
for what, data in cases.items():
    q = dns.message.make_query("messenger.default.global", "A", use_edns=0,
                               options=[dns.edns.GenericOption(dns.edns.ECS, data)])
    r = dns.query.udp(q, addr, port=port, timeout=2, source="127.0.0.11")
    good = r.rcode() == dns.rcode.FORMERR and not r.answer
    print(("ok - " if good else "not ok - ") + f"malformed ECS, {what}: {dns.rcode.to_text(r.rcode())}")
    ok &= good
# and a well-formed one through dnspython too, for contrast
q = dns.message.make_query("messenger.default.global", "A", use_edns=0,
                           options=[dns.edns.ECSOption("10.1.2.0", 24)])
r = dns.query.udp(q, addr, port=port, timeout=2, source="127.0.0.13")
ecs = [o for o in r.options if o.otype == dns.edns.ECS]
good = (r.rcode() == dns.rcode.NOERROR and str(r.answer[0][0]) == "127.127.42.69"
        and len(ecs) == 1 and ecs[0].scopelen == 16)
print(("ok - " if good else "not ok - ") + "well-formed ECS 10.1.2.0/24: mesh-1, scope 16")
sys.exit(0 if ok and good else 1)
PY
