#!/usr/bin/env bash
# Differential test: dnsd, Knot and NSD serve the same zone file
# (tests/data/zones/test.global.zone); tests/e2e/differential.py asks all
# three the same 600 random questions and dnsd must agree with Knot on
# rcode, AA, answer and authority. Known RFC-permitted differences are
# normalised in differential.py, each with its reason. DIFF_SEED overrides
# the fixed seed; DIFF_COUNT the number of questions.
. "$(dirname "$0")/lib.sh"
[ -x /usr/sbin/knotd ] || skip "knotd not installed"
[ -x /usr/sbin/nsd ] || skip "nsd not installed"
serve_test_zone

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
template:
  - id: default
    storage: $T/knot
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: global
    file: $TEST_ZONE
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
CONF
/usr/sbin/nsd -d -c "$T/nsd.conf" >"$T/nsd.out" 2>&1 &
nsd_pid=$!
on_exit "kill -TERM $nsd_pid; wait $nsd_pid"

serves() { dig +tries=1 +time=1 -p "$1" @127.0.0.1 global SOA | grep -q 'status: NOERROR'; }
wait_until 10 serves "$knot_port" || die "knotd did not serve the zone: $(cat "$T/knot.log")"
wait_until 10 serves "$nsd_port" || die "nsd did not serve the zone: $(cat "$T/nsd.out" "$T/nsd.log" 2>/dev/null)"
echo "ok - knotd on $knot_port and nsd on $nsd_port serve the zone"

"$PY" "$E2E_DIR/differential.py" --zone "$TEST_ZONE" --origin global \
  --dnsd "$DNSD_PORT" --knot "$knot_port" --nsd "$nsd_port" \
  --count "${DIFF_COUNT:-600}" --seed "${DIFF_SEED:-20261124}" | tee "$T/diff.out"
[ "${PIPESTATUS[0]}" -eq 0 ] || die "dnsd disagrees with Knot: $(grep -c '^not ok' "$T/diff.out") question(s)"
echo "ok - dnsd agrees with Knot on every question"
