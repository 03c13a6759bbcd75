#!/usr/bin/env bash
# reload-on-change watches the config and zone files by stat() alone; what
# the reload then reads goes through the one opener (dnsd/util/file.c). A
# watched zone file replaced by a directory, a FIFO without a writer, or a
# symlink to /dev/zero is refused at once: a log line names the path and its
# kind, the reload fails (dnsd_reload_failures_total), the previous zone is
# still served, and dnsd neither spins nor blocks (it answers, and SIGTERM
# stops it promptly). Control: a regular file put back is loaded.
. "$(dirname "$0")/lib.sh"
port=$(free_port) || die "no free port"
hport=$(free_port) || die "no free port"
zone=$T/global.zone
cp "$TEST_ZONE" "$zone"
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone}" \
  --http "127.0.0.1:$hport" "reload-on-change: true" "lameduck-ms: 0"
start_dnsd "$T/dnsd.yaml"
m() { curl -sf --max-time 5 "http://127.0.0.1:$hport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
failures_above() { [ "$(m dnsd_reload_failures_total)" -gt "$1" ]; }
logged() { grep -qF "$1" "$DNSD_LOG"; }

replace() {   # KIND: the zone file becomes a directory, a FIFO or a link to /dev/zero
  rm -rf "$zone"
  case $1 in
    dir) mkdir "$zone" ;;
    fifo) mkfifo "$zone" ;;
    zero) ln -s /dev/zero "$zone" ;;
  esac
}
for kind in dir fifo zero; do
  case $kind in dir) word="a directory" ;; fifo) word="a FIFO" ;; zero) word="a character device" ;; esac
  before=$(m dnsd_reload_failures_total)
  replace "$kind"
  wait_until 10 logged "reload-on-change: $zone: not a regular file ($word)" ||
    die "$kind: no log line naming $zone as $word within 10 s"
  wait_until 10 failures_above "$before" || die "$kind: the failed reload was not counted within 10 s"
  assert_eq "$(qshort www.global A)" 192.0.2.1 "$kind: the previous zone is still served"
  # the check: hung or spinning, the reload could not be followed by another
  rm -rf "$zone"
done
echo "ok - a watched zone file replaced by a directory, a FIFO or /dev/zero is refused, named, counted"
sed 's/192\.0\.2\.1$/192.0.2.99/' "$TEST_ZONE" >"$zone.new"
grep -q 192.0.2.99 "$zone.new" || die "test setup: could not change www's address"
mv "$zone.new" "$zone"
expect_new() { [ "$(qshort www.global A)" = 192.0.2.99 ]; }
wait_until 10 expect_new || die "a regular zone file put back was not loaded within 10 s"
echo "ok - a regular file put back is loaded"
t0=$(date +%s%N)
kill -TERM "$DNSD_PID"
stop_ok() { ! kill -0 "$DNSD_PID" 2>/dev/null; }
wait_until 5 stop_ok || die "SIGTERM did not stop dnsd within 5 s"
echo "ok - SIGTERM stops dnsd in $((($(date +%s%N) - t0) / 1000000)) ms"
