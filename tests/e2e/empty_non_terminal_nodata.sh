#!/usr/bin/env bash
# Empty non-terminals exist (RFC 8020, RFC 4592 §2.2.2): "default.global" has
# no records but "messenger.default.global" does, so every type there is
# NODATA (NOERROR + SOA), never NXDOMAIN. The parent of a wildcard is one
# too, and is not answered by the wildcard (RFC 4592 §2.2.1).
. "$(dirname "$0")/lib.sh"
serve_test_zone

for name in default.global _tcp.messenger.default.global wild.global svc.global _tcp.svc.global; do
  for type in A AAAA TXT; do
    out=$(dnsq "$name" "$type")
    assert_eq "$(field rcode "$out") $(field flags "$out") $(field counts "$out")" \
      "NOERROR qr aa 1 0 1 1" "$name $type: NODATA"
    assert_match "$(field authority "$out")" '^global\. 120 IN SOA ns1\.global\. ' "$name $type: SOA TTL 120"
  done
done
assert_eq "$(qstatus default.global A)" NOERROR "dig: default.global NOERROR"
assert_eq "$(qstatus nondefault.global A)" NXDOMAIN "dig: a sibling that does not exist is NXDOMAIN"
assert_eq "$(qstatus x.default.global A)" NXDOMAIN "below the empty non-terminal: NXDOMAIN"
