#!/usr/bin/env bash
# /metrics keeps each view's and zone's counters under its own name across
# reloads (slots.h): a reload that reorders the views, drops one and adds
# another must not move one view's counts under another's label.
. "$(dirname "$0")/lib.sh"

P1=$(free_port) || die "no free port"
P2=$(free_port) || die "no free port"
[ "$P1" != "$P2" ] || P2=$(free_port)
[ "$P1" != "$P2" ] || die "no second free port"
HPORT=$(free_port) || die "no free port"
config() { # VIEW-ON-P1 VIEW-ON-P2 ORDER(12|21)
  local v1=(--view "{name: $1, match-destinations: [\"127.0.0.1:$P1\"]}")
  local v2=(--view "{name: $2, match-destinations: [\"127.0.0.1:$P2\"]}")
  local views=("${v1[@]}" "${v2[@]}")
  [ "$3" = 21 ] && views=("${v2[@]}" "${v1[@]}")
  write_config "$T/dnsd.yaml" --port "$P1" --port "$P2" --workers 1 "${views[@]}" --metrics "127.0.0.1:$HPORT"
}
metric() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
noerror() { metric "dnsd_dns_responses_total{view=\"$1\",rcode=\"NOERROR\"}"; }
a_udp() { metric "dnsd_dns_requests_total{view=\"$1\",zone=\"global.\",proto=\"udp\",type=\"A\"}"; }
ask() { # PORT N
  local i
  for ((i = 0; i < $2; i++)); do
    DNSD_PORT=$1 qshort messenger.default.global | grep -qx 127.127.42.69 || die "no answer on port $1"
  done
}

config mesh-1 mesh-2 12
start_dnsd "$T/dnsd.yaml"
ask "$P1" 3
ask "$P2" 5
counts_are() { [ "$(noerror mesh-1)" = "$1" ] && [ "$(noerror mesh-2)" = "$2" ]; }
wait_until 5 counts_are 3 5 || die "before reload: mesh-1 $(noerror mesh-1), mesh-2 $(noerror mesh-2); want 3 and 5"
echo "ok - before the reload: mesh-1 3, mesh-2 5"

# mesh-2 first now, mesh-1 gone, mesh-3 new on mesh-1's port
config mesh-3 mesh-2 21
kill -HUP "$DNSD_PID"
reloaded() { [ "$(metric dnsd_reloads_total)" = 1 ]; }
wait_until 10 reloaded || die "reload not counted"
assert_eq "$(noerror mesh-2)" 5 "mesh-2 keeps its 5, though it is the first view now"
assert_eq "$(noerror mesh-1)" 3 "mesh-1 (gone) keeps its 3"
assert_eq "$(noerror mesh-3)" 0 "mesh-3 (new) starts at 0"
ask "$P1" 2
ask "$P2" 1
counts_are2() { [ "$(noerror mesh-3)" = 2 ] && [ "$(noerror mesh-2)" = 6 ]; }
wait_until 5 counts_are2 || die "after reload: mesh-3 $(noerror mesh-3), mesh-2 $(noerror mesh-2); want 2 and 6"
echo "ok - after the reload: mesh-3 2, mesh-2 6"
assert_eq "$(noerror mesh-1)" 3 "mesh-1 still 3"
assert_eq "$(a_udp mesh-2)" 6 "requests_total by view and zone follows the name too"
assert_eq "$(a_udp mesh-3)" 2 "mesh-3's requests under its own label"
assert_running
