#!/usr/bin/env bash
# Zone files that must not hang or lie: a directory, /dev/zero and a FIFO as
# `file:` are refused at once by `dnsd -t` (regular files only); a TTL above
# 2^31-1, an owner name past 255 bytes, a CNAME at the apex, a CNAME beside other data, a
# DNAME and a second SOA are
# errors naming file:line. The same broken files on SIGHUP fail the reload
# while the old zone keeps serving, and SIGTERM still stops dnsd promptly.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
good=$T/good.zone
cat >"$good" <<'ZONE'
$TTL 30
@ IN SOA ns hostmaster 1 3600 600 86400 30
@ IN NS ns
ns IN A 192.0.2.1
www 2147483647 IN A 192.0.2.2
ZONE

# check_t FILE WANT WHAT: dnsd -t on a config whose zone file is FILE fails
# within 5 s and says WANT.
check_t() {
  write_config "$T/t.yaml" --port "$port" --zone "{name: global, file: $1}"
  local out rc=0
  out=$(timeout 5 "$DNSD_BIN" -t -c "$T/t.yaml" 2>&1) || rc=$?
  [ "$rc" -ne 124 ] || die "$3: dnsd -t hung"
  [ "$rc" -ne 0 ] || die "$3: dnsd -t accepted it: $out"
  assert_contains "$out" "$2" "$3"
}

write_config "$T/t.yaml" --port "$port" --zone "{name: global, file: $good}"
assert_contains "$("$DNSD_BIN" -t -c "$T/t.yaml" 2>&1)" "ok" "a zone with TTL 2^31-1 passes dnsd -t"

mkdir "$T/dir"; mkfifo "$T/fifo"
check_t "$T/dir" "$T/dir: not a regular file" "a directory as zone file refused"
check_t /dev/zero "/dev/zero: not a regular file" "/dev/zero as zone file refused"
check_t "$T/fifo" "$T/fifo: not a regular file" "a FIFO as zone file refused"

bad() { { cat "$good"; printf '%s\n' "$1"; } >"$T/$2.zone"; }
bad "big 4294967296 IN A 192.0.2.3" ttl
check_t "$T/ttl.zone" "$T/ttl.zone:6: TTL above 2147483647" "TTL 2^32 refused with file:line"
# ldns appends $ORIGIN to a relative owner without a length check: a
# 261-byte owner overflowed the builder's buffer (found by fuzz_zonefile)
l63=$(printf 'a%.0s' $(seq 63))
bad "$(printf '$ORIGIN %s.%s.%s.global.\n%s IN A 192.0.2.9' "$l63" "$l63" "$l63" "${l63:0:60}")" long
check_t "$T/long.zone" "$T/long.zone:7: owner name longer than 255 bytes" "an owner past 255 bytes refused with file:line"
{ echo '$TTL 2147483648'; cat "$good"; } >"$T/dollar_ttl.zone"
check_t "$T/dollar_ttl.zone" "$T/dollar_ttl.zone:1: \$TTL above 2147483647" "\$TTL 2^31 refused with file:line"
bad "@ IN CNAME elsewhere.example." apex_cname
check_t "$T/apex_cname.zone" "$T/apex_cname.zone:6: global.: CNAME at the zone apex" "CNAME at the apex refused with file:line"
bad "www IN CNAME elsewhere.example." cname_other
check_t "$T/cname_other.zone" "$T/cname_other.zone:6: www.global.: CNAME and other data" "CNAME and other data refused with file:line"
bad "old IN DNAME www.global." dname
check_t "$T/dname.zone" "$T/dname.zone:6: old.global.: DNAME is not supported" "a DNAME (served without its redirection) refused with file:line"
bad "@ IN SOA ns hostmaster 2 3600 600 86400 30" second_soa
check_t "$T/second_soa.zone" "$T/second_soa.zone:6: global.: a second SOA record" "a second SOA refused with file:line"

# Reload: each broken file in turn fails the reload and the old zone serves.
zone=$T/live.zone
cp "$good" "$zone"
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone}" "lameduck-ms: 0"
start_dnsd "$T/dnsd.yaml"
assert_eq "$(qshort www.global A)" "192.0.2.2" "the good zone is served"
for broken in dir fifo ttl.zone cname_other.zone; do
  before=$(wc -c <"$DNSD_LOG")
  rm -f "$zone"; ln -s "$T/$broken" "$zone"
  kill -HUP "$DNSD_PID"
  failed() { tail -c +"$((before + 1))" "$DNSD_LOG" | grep -q "$T/live.zone"; }
  wait_until 5 failed || die "reload with $broken: no error naming the file"
  assert_eq "$(qshort www.global A)" "192.0.2.2" "old zone still served after reloading $broken"
done
kill -TERM "$DNSD_PID"
wait_until 5 not_running "$DNSD_PID" || die "dnsd ignored SIGTERM after the failed reloads"
echo "ok - SIGTERM stops dnsd after the failed reloads"
