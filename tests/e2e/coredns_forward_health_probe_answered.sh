#!/usr/bin/env bash
# CoreDNS's forward plugin marks an upstream down unless it answers its
# health probe, ". IN NS" with RD=1, with any response. dnsd is not
# authoritative for the root, so it must answer REFUSED, never stay silent
# (silence would make CoreDNS stop sending .global to dnsd at all). The
# upstream comes from the shipped Corefile block, conf/examples/coredns-global.Corefile.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/split-horizon.bash"

corefile=$EXAMPLES/coredns-global.Corefile
# the block forwards "global" to one upstream, with a 30 s cache
grep -Eq '^global:53 \{' "$corefile" || die "Corefile block is not for global:53"
grep -Eq '^[[:space:]]+cache 30$' "$corefile" || die "Corefile block lacks 'cache 30'"
upstream=$(sed -n 's/^[[:space:]]*forward \. \([^ ]*\)$/\1/p' "$corefile")
assert_eq "$upstream" 10.96.0.53 "Corefile forwards . to the placeholder dnsd address"

start_split_horizon_dnsd   # stands in for $upstream

# as CoreDNS sends it: from the cluster's DNS pod address, recursion desired
for src in 127.0.0.11 127.0.0.12 127.0.0.13; do
  out=$(dig -p "$DNSD_PORT" "@$DNSD_ADDR" -b "$src" +rec +time=2 +tries=1 . NS)
  assert_contains "$out" "status: REFUSED" "probe from $src is answered (REFUSED)"
  assert_match "$out" 'flags: qr rd;' "... echoing RD, without AA or RA"
  out=$(dig -p "$DNSD_PORT" "@$DNSD_ADDR" -b "$src" +rec +tcp +time=2 +tries=1 . NS)
  assert_contains "$out" "status: REFUSED" "probe over TCP from $src is answered"
done
# and .global itself keeps working for the cluster that sent the probe
assert_eq "$(dig -p "$DNSD_PORT" "@$DNSD_ADDR" -b 127.0.0.11 +short messenger.default.global)" \
  127.127.42.69 "mesh-1 still gets its answers"
