#!/usr/bin/env bash
# Started as root with `user: nobody`, dnsd binds its port, then runs as
# nobody (real, effective, saved and filesystem uid) and still answers. A
# numeric "uid:gid" works without any passwd lookup.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "not root"
nobody_uid=$(id -u nobody) || skip "no user nobody"
nobody_gid=$(id -g nobody)

run_as() {   # run_as USER WANT_UID WANT_GID
  local user=$1 want_uid=$2 want_gid=$3 port
  port=$(free_port) || die "no free port"
  write_config "$T/dnsd.yaml" --port "$port" --user "$user"
  start_dnsd "$T/dnsd.yaml"
  local status uids gids
  status=$(cat "/proc/$DNSD_PID/status")
  uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$status")
  gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' <<<"$status")
  assert_eq "$uids" "$want_uid $want_uid $want_uid $want_uid" "user $user: every uid of the process"
  assert_eq "$gids" "$want_gid $want_gid $want_gid $want_gid" "user $user: every gid of the process"
  assert_eq "$(awk '/^Groups:/ {print $2}' <<<"$status")" "" "user $user: no supplementary groups"
  # every thread, not just the main one
  local tid
  for tid in /proc/"$DNSD_PID"/task/*; do
    assert_eq "$(awk '/^Uid:/ {print $3}' "$tid/status")" "$want_uid" "user $user: thread ${tid##*/} uid"
  done
  assert_eq "$(qshort messenger.default.global A)" 127.127.42.69 "user $user: answers over UDP"
  assert_eq "$(qshort +tcp messenger.default.global A)" 127.127.42.69 "user $user: answers over TCP"
  stop_dnsd || die "user $user: exit status $?"
}

run_as nobody "$nobody_uid" "$nobody_gid"
run_as 65532:65533 65532 65533

# a user that does not exist is an error, not a silent run as root
port=$(free_port) || die "no free port"
write_config "$T/bad.yaml" --port "$port" --workers 0 --user no-such-user-dnsd   # workers: dnsd's default
rc=0
timeout 10 "$DNSD_BIN" -c "$T/bad.yaml" >"$T/bad.log" 2>&1 || rc=$?
assert_eq "$rc" 1 "unknown user: exit status"
assert_contains "$(cat "$T/bad.log")" "no-such-user-dnsd" "unknown user: named in the error"
