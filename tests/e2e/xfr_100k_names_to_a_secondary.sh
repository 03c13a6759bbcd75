#!/usr/bin/env bash
# A 100,000-name zone (200,005 records) goes to Knot (or NSD) by AXFR, and
# the secondary then holds every record dnsd serves (kdig dumps of both,
# sorted, compared). Reports the transfer's size and time from dnsd's log.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/secondaries.bash"
kind=
for k in knot nsd; do have_secondary "$k" && { kind=$k; break; }; done
[ -n "$kind" ] || skip "neither knotd nor nsd installed"
names=100000
DNSD_START_SECS=120   # a sanitizer build loads 100,000 names slowly
"$PY" "$REPO/tests/bench/genzone.py" --names "$names" --zone "$T/big.zone" --queries "$T/q" --count 10 >/dev/null ||
  die "genzone failed"
port=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $T/big.zone}"
start_dnsd "$T/dnsd.yaml"
start_secondary "$kind" global
wait_until 60 sec_has_serial "$kind" global 1 || die "$kind did not load the zone: $(tail -n 20 "$(sec_log "$kind")")"
dump() { kdig -p "$1" @127.0.0.1 global AXFR +noall +answer +nottl 2>/dev/null | awk '{$1=tolower($1); print}' | LC_ALL=C sort -u; }
want=$(dump "$DNSD_PORT")
got=$(dump "$(sec_port "$kind")")
assert_eq "$(wc -l <<<"$want")" $((2 * names + 5)) "dnsd serves $((2 * names + 5)) distinct records"
assert_eq "$(md5sum <<<"$got")" "$(md5sum <<<"$want")" "$kind holds every one of them"
note "$(grep -m1 'done:' "$DNSD_LOG" | sed 's/.*done: //')"
assert_running
