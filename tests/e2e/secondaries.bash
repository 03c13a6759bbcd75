# shellcheck shell=bash
# tests/e2e/secondaries.bash - NSD, Knot and BIND as secondaries of the dnsd
# under test, each on a free loopback port with its own working directory
# under $T. Source after lib.sh. Not a test itself (run-all runs *.sh only).
#
# start_secondary KIND ZONE [KEYNAME SECRET]: KIND nsd, knot or bind; the
#   secondary transfers ZONE from $DNSD_ADDR:$DNSD_PORT, accepts NOTIFY from
#   127.0.0.1, and lets 127.0.0.1 transfer the zone from it (so a test can
#   dump what it holds). With a key, transfers and NOTIFY are signed
#   (hmac-sha256). Sets SEC_PORT_<KIND> and SEC_LOG_<KIND>. SEC_WANT_PORT
#   picks the port (one dnsd already notifies).
# sec_serial KIND ZONE: the SOA serial the secondary serves ("" if none).
# sec_dump KIND ZONE / dnsd_dump ZONE [KEYNAME SECRET]: every record, one per
#   line, sorted, TTLs included (via AXFR, dnspython).

SEC_KINDS=(nsd knot bind)
XFR_DUMP="$E2E_DIR/xfr_dump.py"

have_secondary() {
  case $1 in
    nsd) [ -x /usr/sbin/nsd ] ;;
    knot) [ -x /usr/sbin/knotd ] ;;
    bind) command -v named >/dev/null ;;
  esac
}

start_secondary() {
  local kind=$1 zone=$2 key=${3:-} secret=${4:-}
  local dir=$T/sec-$kind port
  mkdir -p "$dir"
  port=${SEC_WANT_PORT:-$(free_port)} || die "no free port"
  case $kind in
    nsd) _start_nsd "$dir" "$port" "$zone" "$key" "$secret" ;;
    knot) _start_knot "$dir" "$port" "$zone" "$key" "$secret" ;;
    bind) _start_bind "$dir" "$port" "$zone" "$key" "$secret" ;;
  esac
  printf -v "SEC_PORT_$kind" '%s' "$port"
  printf -v "SEC_LOG_$kind" '%s' "$dir/$kind.log"
}
sec_port() { local v="SEC_PORT_$1"; echo "${!v}"; }
sec_log() { local v="SEC_LOG_$1"; echo "${!v}"; }

_start_nsd() {
  local dir=$1 port=$2 zone=$3 key=$4 secret=$5 kref=NOKEY keyblock=
  if [ -n "$key" ]; then
    kref=$key
    keyblock=$(printf 'key:\n  name: "%s"\n  algorithm: hmac-sha256\n  secret: "%s"\n' "$key" "$secret")
  fi
  cat >"$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  zonelistfile: "$dir/zone.list"
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  logfile: "$dir/nsd.log"
  verbosity: 2
  server-count: 1
  rrl-ratelimit: 0
  xfrd-reload-timeout: 0
remote-control:
  control-enable: no
$keyblock
zone:
  name: "$zone"
  zonefile: "$dir/$zone.zone"
  request-xfr: 127.0.0.1@$DNSD_PORT $kref
  allow-notify: 127.0.0.1 $kref
  provide-xfr: 127.0.0.1 NOKEY
CONF
  /usr/sbin/nsd -d -c "$dir/nsd.conf" >"$dir/nsd.out" 2>&1 &
  on_exit "kill -TERM $!; wait $!"
}

_start_knot() {
  local dir=$1 port=$2 zone=$3 key=$4 secret=$5 keyblock= kref=
  if [ -n "$key" ]; then
    keyblock=$(printf 'key:\n  - id: %s\n    algorithm: hmac-sha256\n    secret: %s\n' "$key" "$secret")
    kref="key: $key"
  fi
  cat >"$dir/knot.conf" <<CONF
server:
  listen: 127.0.0.1@$port
  rundir: $dir
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: $dir
log:
  - target: $dir/knot.log
    any: info
$keyblock
remote:
  - id: primary
    address: 127.0.0.1@$DNSD_PORT
    $kref
acl:
  - id: from_primary
    address: 127.0.0.1
    action: notify
    $kref
  - id: dump
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: $dir
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
  - domain: $zone
    master: primary
    acl: [from_primary, dump]
CONF
  /usr/sbin/knotd -c "$dir/knot.conf" >"$dir/knot.out" 2>&1 &
  on_exit "kill -TERM $!; wait $!"
}

_start_bind() {
  local dir=$1 port=$2 zone=$3 key=$4 secret=$5 keyblock= kref= nref=
  if [ -n "$key" ]; then
    keyblock=$(printf 'key "%s" { algorithm hmac-sha256; secret "%s"; };' "$key" "$secret")
    kref="key $key"
    nref="key $key;"
  else
    nref="127.0.0.1;"
  fi
  cat >"$dir/named.conf" <<CONF
options {
	directory "$dir";
	pid-file "$dir/named.pid";
	session-keyfile "$dir/session.key";
	managed-keys-directory "$dir";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 { none; };
	dnssec-validation no;
	recursion no;
	notify no;
	allow-transfer { 127.0.0.1; };
	min-refresh-time 1;
	min-retry-time 1;
};
controls { };
$keyblock
logging {
	channel main { file "$dir/bind.log"; severity info; print-time yes; print-category yes; };
	category default { main; };
	category xfer-in { main; };
	category notify { main; };
	category general { main; };
};
zone "$zone" {
	type secondary;
	primaries port $DNSD_PORT { 127.0.0.1 $kref; };
	file "$dir/$zone.db";
	allow-notify { $nref };
};
CONF
  named-checkconf "$dir/named.conf" || die "named-checkconf rejected the config"
  named -g -c "$dir/named.conf" >"$dir/named.out" 2>&1 &
  on_exit "kill -TERM $!; wait $!"
}

sec_serial() {
  dig +tries=1 +time=1 -p "$(sec_port "$1")" @127.0.0.1 "$2" SOA +short 2>/dev/null | awk '{print $3}'
}
# sec_has_serial KIND ZONE SERIAL: the secondary serves exactly that serial.
sec_has_serial() { [ "$(sec_serial "$1" "$2")" = "$3" ]; }
# sec_answers KIND NAME TYPE WANT: its sorted +short answer is WANT.
sec_answers() {
  [ "$(dig +tries=1 +time=1 +norec -p "$(sec_port "$1")" @127.0.0.1 "$2" "$3" +short 2>/dev/null | sort)" == "$4" ]
}
sec_dump() { "$PY" "$XFR_DUMP" --server 127.0.0.1 --port "$(sec_port "$1")" "$2"; }
dnsd_dump() {
  "$PY" "$XFR_DUMP" --server "$DNSD_ADDR" --port "$DNSD_PORT" ${2:+--key "$2" --secret "$3"} "$1"
}
# expect_same_records KIND ZONE: the secondary holds exactly what dnsd serves.
expect_same_records() {
  local want got
  want=$(dnsd_dump "$2") || die "AXFR from dnsd failed"
  got=$(sec_dump "$1" "$2") || die "AXFR from $1 failed"
  [ -n "$want" ] || die "dnsd sent nothing"
  if [ "$want" != "$got" ]; then
    diff <(echo "$want") <(echo "$got") | head -n 20 >&2
    die "$1 holds other records than dnsd serves"
  fi
  echo "ok - $1 holds every record dnsd serves ($(wc -l <<<"$want") records)"
}
