#!/usr/bin/env bash
# A ConfigMap edit takes effect without a signal: dnsd reads its config and
# zone from a directory laid out exactly as the kubelet's atomic writer
# lays out a ConfigMap volume (kubelet_configmap.py: a timestamped folder,
# ..data swapped to it by rename, user-visible symlinks), and each update
# (a zone change, a config change, a new zone file) is served within a
# deadline, with one reload logged per update. A broken update (bad YAML, a
# zone file with an error) is logged with file:line, counted, and the last
# good state keeps serving; the next good update is taken.
. "$(dirname "$0")/lib.sh"
# is WANT CMD...: CMD prints WANT (for wait_until, which runs CMD anew each time)
is() { local want=$1; shift; [ "$("$@")" = "$want" ]; }
KCM=$E2E_DIR/kubelet_configmap.py
port=$(free_port) || die "no free port"
hport=$(free_port) || die "no free port"
vol=$T/etc-dnsd
mkdir -p "$vol" "$T/src"

conf() {   # conf TTL [another zone entry]: the ConfigMap's dnsd.yaml (zone paths relative to it)
  local extra=()
  [ -z "${2:-}" ] || extra=(--zone "$2")
  write_config "$T/src/dnsd.yaml" --port "$port" --workers 1 --zone "{name: global, file: global.zone, ttl: $1}" \
    "${extra[@]}" --metrics "127.0.0.1:$hport" "lameduck-ms: 0"
}
zone() {   # zone SERIAL [extra records]
  cat >"$T/src/global.zone" <<ZONE
\$ORIGIN global.
\$TTL 30
@    IN SOA ns1.global. hostmaster.global. $1 3600 600 86400 30
@    IN NS  ns1.global.
ns1  IN A   127.0.0.1
${2:-}
ZONE
}
project() { "$KCM" "$vol" "dnsd.yaml=$T/src/dnsd.yaml" "global.zone=$T/src/global.zone" "$@" || die "kubelet_configmap.py failed"; }
reloads() { grep -c 'reload: done' "$DNSD_LOG"; }
metric() { curl -sf "http://127.0.0.1:$hport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

conf 30; zone 1 "one IN A 192.0.2.1"
project
[ -L "$vol/dnsd.yaml" ] && [ "$(readlink "$vol/dnsd.yaml")" = ..data/dnsd.yaml ] && [ -L "$vol/..data" ] ||
  die "not the kubelet's layout"
start_dnsd "$vol/dnsd.yaml"
assert_eq "$(qshort one.global)" 192.0.2.1 "serves the projected zone"

# a zone update: new record, new serial
zone 2 "one IN A 192.0.2.1
two IN A 192.0.2.2"
project
wait_until 10 is 192.0.2.2 qshort two.global || die "zone update not served: $(tail -5 "$DNSD_LOG")"
echo "ok - a zone update through ..data is served"
assert_contains "$(cat "$DNSD_LOG")" "changed" "the reload says which file changed"
assert_eq "$(reloads)" 1 "one reload for one update"

# a config update: the TTL of generated records... and a second zone file,
# a key the ConfigMap did not have
cat >"$T/src/extra.zone" <<'ZONE'
$ORIGIN example.
$TTL 30
@    IN SOA ns1.example. hostmaster.example. 1 3600 600 86400 30
@    IN NS  ns1.example.
ns1  IN A   127.0.0.2
ZONE
conf 30 "{name: example, file: extra.zone, ttl: 30}"
project "extra.zone=$T/src/extra.zone"
wait_until 10 is NOERROR qstatus ns1.example || die "config update not taken: $(tail -5 "$DNSD_LOG")"
echo "ok - a config update (a new zone, from a new key) is taken"

# a broken zone: logged with file and line, the old state stays
zone 3 "one IN A 192.0.2.1
two IN A 192.0.2.2
bad IN A not-an-address"
project "extra.zone=$T/src/extra.zone"
wait_until 10 grep -q 'reload failed' "$DNSD_LOG" || die "no reload failure logged"
assert_match "$(grep -m1 'global.zone:[0-9]' "$DNSD_LOG")" "global.zone:[0-9]+" "the failure names file:line"
assert_eq "$(qshort two.global)" 192.0.2.2 "the last good zone keeps serving"
assert_eq "$(metric dnsd_reload_failures_total)" 1 "the failure is counted"
assert_eq "$(metric dnsd_config_last_reload_successful)" 0 "the last reload is marked failed"
# bad YAML
printf 'listen: [\n' >"$T/src/dnsd.yaml"
project "extra.zone=$T/src/extra.zone"
wait_until 10 is 2 metric dnsd_reload_failures_total || die "bad YAML not counted"
assert_match "$(grep 'dnsd.yaml:[0-9]' "$DNSD_LOG" | tail -1)" "dnsd.yaml:[0-9]+:[0-9]+" "bad YAML named with file:line:column"
assert_eq "$(qstatus ns1.example)" NOERROR "still serving the last good config"
# fixed again
conf 30 "{name: example, file: extra.zone, ttl: 30}"
zone 4 "one IN A 192.0.2.1
two IN A 192.0.2.2
three IN A 192.0.2.3"
project "extra.zone=$T/src/extra.zone"
wait_until 10 is 192.0.2.3 qshort three.global || die "the fixed update was not taken"
assert_eq "$(metric dnsd_config_last_reload_successful)" 1 "the last reload is marked good"
assert_running
assert_eq "$(grep -c 'reload (' "$DNSD_LOG")" 5 "five updates, five reloads: one each, no more"
assert_eq "$(reloads)" 3 "three of them good"
