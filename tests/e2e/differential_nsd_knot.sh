#!/usr/bin/env bash
# Differential test: dnsd, Knot and NSD serve the same zone files
# (tests/data/zones/test.global.zone and types.test.zone, which holds every
# record type the loader accepts); tests/e2e/differential.py asks all three
# the same questions and dnsd must agree with Knot on rcode, AA, answer and
# authority: 600 random ones about global, the negative and edge cases of
# its FIXED list (NXDOMAIN, NODATA, empty non-terminals, wildcards, below a
# CNAME, case, out-of-zone REFUSED), and every type at every name of
# types.test. The AXFR of each zone must hold the same records from all
# three. Known RFC-permitted differences are normalised in differential.py,
# each with its reason. DIFF_SEED overrides the fixed seed; DIFF_COUNT the
# number of random questions.
. "$(dirname "$0")/lib.sh"
[ -x /usr/sbin/knotd ] || skip "knotd not installed"
[ -x /usr/sbin/nsd ] || skip "nsd not installed"
TYPES_ZONE=$REPO/tests/data/zones/types.test.zone
serve_test_zone --zone "{name: global, file: $TEST_ZONE}" --zone "{name: types.test, file: $TYPES_ZONE}"

# Knot: everything under $T, no DNSSEC, never writes the zone file back
knot_port=$(free_port)
mkdir -p "$T/knot"
cat >"$T/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$knot_port
  rundir: $T/knot
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: $T/knot
log:
  - target: stderr
    any: warning
acl:
  - id: dump
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: $T/knot
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    acl: [dump]
zone:
  - domain: global
    file: $TEST_ZONE
  - domain: types.test
    file: $TYPES_ZONE
CONF
/usr/sbin/knotd -c "$T/knot.conf" >"$T/knot.log" 2>&1 &
knot_pid=$!
on_exit "kill -TERM $knot_pid; wait $knot_pid"

# NSD: foreground, no chroot, no privilege drop, no database, files in $T
nsd_port=$(free_port)
cat >"$T/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$nsd_port
  port: $nsd_port
  username: ""
  chroot: ""
  zonesdir: "$T"
  database: ""
  zonelistfile: "$T/nsd.zone.list"
  pidfile: "$T/nsd.pid"
  xfrdfile: "$T/nsd.xfrd.state"
  xfrdir: "$T"
  logfile: "$T/nsd.log"
  verbosity: 0
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: global
  zonefile: "$TEST_ZONE"
  provide-xfr: 127.0.0.1 NOKEY
zone:
  name: types.test
  zonefile: "$TYPES_ZONE"
  provide-xfr: 127.0.0.1 NOKEY
CONF
/usr/sbin/nsd -d -c "$T/nsd.conf" >"$T/nsd.out" 2>&1 &
nsd_pid=$!
on_exit "kill -TERM $nsd_pid; wait $nsd_pid"

serves() { dig +tries=1 +time=1 -p "$1" @127.0.0.1 "$2" SOA | grep -q 'status: NOERROR'; }
for z in global types.test; do
  wait_until 10 serves "$knot_port" $z || die "knotd did not serve $z: $(cat "$T/knot.log")"
  wait_until 10 serves "$nsd_port" $z || die "nsd did not serve $z: $(cat "$T/nsd.out" "$T/nsd.log" 2>/dev/null)"
done
echo "ok - knotd on $knot_port and nsd on $nsd_port serve both zones"

"$PY" "$E2E_DIR/differential.py" --zone "$TEST_ZONE" --origin global \
  --dnsd "$DNSD_PORT" --knot "$knot_port" --nsd "$nsd_port" \
  --count "${DIFF_COUNT:-600}" --seed "${DIFF_SEED:-20261124}" \
  --fixed --exhaustive "$TYPES_ZONE:types.test" --axfr global --axfr types.test | tee "$T/diff.out"
[ "${PIPESTATUS[0]}" -eq 0 ] || die "dnsd disagrees with Knot: $(grep -c '^not ok' "$T/diff.out") question(s) or transfer(s)"
assert_eq "$(grep -c '^ok - AXFR ' "$T/diff.out")" 4 "both zones' AXFR equal to Knot's and NSD's"
assert_match "$(grep '^# types asked' "$T/diff.out")" ' CAA .* SVCB .* TYPE65280' "every type asked"
echo "ok - dnsd agrees with Knot on every question"
