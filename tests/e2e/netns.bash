# shellcheck shell=bash
# tests/e2e/netns.bash - real nameservers on port 53 at ordinary (not
# special-purpose) addresses, fully offline, for checkers that follow
# delegations from the root and insist on port 53 (zonemaster-cli, dnsviz):
# a network namespace the test creates (loopback only, no route out, so its
# addresses exist nowhere else), NSD serving a fake root that delegates the
# zones under test, reverse zones for the addresses, and dnsd (or the fake
# Kubernetes API server, or anything else) started inside it.
# Source after lib.sh (and k8s.bash when Kubernetes is involved). Not a test.
#
#   netns_require [TOOL...]     skip (exit 77) unless namespaces can be made here
#                               and every TOOL is installed
#   netns_create                create $NETNS (loopback up, the root's address);
#                               it goes at exit
#   netns_addr ADDR [PTRNAME]   an address on the namespace's loopback; with
#                               PTRNAME, the fake root's reverse zone maps it back
#   in_netns CMD...             run CMD inside the namespace
#   netns_source SRC DEST...    from now on, traffic to each DEST (an address of
#                               the namespace) leaves from SRC unless a program
#                               binds its own (the local route's preferred
#                               source): to pick a split-horizon view for a
#                               checker that cannot be given one everywhere
#   netns_delegate ZONE NAME ADDR [NAME ADDR...]
#                               the root delegates ZONE to NAME, with glue ADDR
#                               (ADDR "-": no glue, for out-of-zone names)
#   netns_zone ZONE FILE        the root server also serves ZONE from FILE
#                               (delegated from the root to itself): parents,
#                               zones holding out-of-zone nameserver names, ...
#   netns_root_start            NSD at $NETNS_ROOT_ADDR:53 with the root zone,
#                               in-addr.arpa / ip6.arpa and the extra zones;
#                               writes the hints file $NETNS_HINTS
#   netns_start_dnsd CONFIG     dnsd inside; waits until it answers at the
#                               config's first listen address (DNSD_PID, DNSD_LOG)
#   netns_dig ARGS...           dig inside the namespace (+norec, one quick try)
#   netns_k8s                   from here on the fake API server (start_fakeapi)
#                               and every curl of k8s.bash (fake, metric, ...)
#                               run inside the namespace
#   zonemaster ZONE [ARGS...]   zonemaster-cli against the fake root, offline;
#                               the report goes to stdout and $T/zonemaster.ZONE.txt
#   zonemaster_count LEVEL FILE lines of that level in a report
#   dnsviz_check ZONE [ARGS...] dnsviz probe (authoritative, from the fake root)
#                               + grok; prints "error|warning NAME CODE: text"
#   dnsviz_count LEVEL LINES    how many of those lines are of that level
#
# Addresses: $NETNS_ROOT_ADDR (11.53.0.1) for the root; tests pick others from
# 11.53.0.0/24 (IPv4) and 2a0b:53::/64 (IPv6), which are not in IANA's
# special-purpose registries (documentation prefixes are ERRORs to Zonemaster's
# ADDRESS01) and, inside the namespace, reach nothing real.
NETNS=
NETNS_DIR=$T/netns
NETNS_ROOT_ADDR=${NETNS_ROOT_ADDR:-11.53.0.1}
NETNS_HINTS=$NETNS_DIR/hints
_NETNS_HAS_V6=0
_NETNS_DELEGATIONS=()   # lines of the root zone
_NETNS_PTRS=()          # "ADDR NAME"
_NETNS_ZONES=()         # "ZONE FILE"

netns_require() {
  [ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
  command -v ip >/dev/null || skip "iproute2 is not installed"
  command -v nsd >/dev/null || skip "nsd is not installed"
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null || skip "$tool is not installed"; done
  local probe="dnsd-probe-$$"
  ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace here"
  ip netns del "$probe"
}

netns_create() {
  NETNS="dnsd-e2e-$$-$RANDOM"
  mkdir -p "$NETNS_DIR"
  ip netns add "$NETNS" || die "ip netns add $NETNS"
  on_exit "ip netns del $NETNS"
  ip -n "$NETNS" link set lo up || die "lo up in $NETNS"
  netns_addr "$NETNS_ROOT_ADDR" a.root-servers.net
}

in_netns() { ip netns exec "$NETNS" "$@"; }

netns_source() {
  local src=$1 dest; shift
  for dest in "$@"; do
    ip -n "$NETNS" route replace local "$dest" dev lo table local proto kernel scope host src "$src" ||
      die "route to $dest from $src"
  done
}

netns_addr() {
  local addr=$1 ptr=${2:-}
  if [[ $addr == *:* ]]; then
    ip -n "$NETNS" -6 addr add "$addr/128" dev lo nodad || die "address $addr"
    _NETNS_HAS_V6=1
  else
    ip -n "$NETNS" addr add "$addr/32" dev lo || die "address $addr"
  fi
  [ -n "$ptr" ] && _NETNS_PTRS+=("$addr ${ptr%.}.")
  return 0
}

netns_delegate() {
  local zone=${1%.}. name addr; shift
  while [ $# -ge 2 ]; do
    name=${1%.}. addr=$2; shift 2
    _NETNS_DELEGATIONS+=("$zone 172800 IN NS $name")
    if [ "$addr" != - ]; then
      local type=A
      [[ $addr == *:* ]] && type=AAAA
      _NETNS_DELEGATIONS+=("$name 172800 IN $type $addr")
    fi
  done
}

netns_zone() { _NETNS_ZONES+=("${1%.}. $2"); }

# The reverse name of an address: 1.0.53.11.in-addr.arpa. or the nibbles.
_netns_reverse() { "$PY" -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer + ".")' "$1"; }

netns_root_start() {
  local d=$NETNS_DIR z f line
  # the root: its own server, the delegations, the reverse zones and the
  # extra zones (all served by this NSD, so delegated to it)
  {
    echo ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026120101 1800 900 604800 86400"
    echo ". 518400 IN NS a.root-servers.net."
    echo "a.root-servers.net. 518400 IN A $NETNS_ROOT_ADDR"
    echo "in-addr.arpa. 172800 IN NS a.root-servers.net."
    echo "ip6.arpa. 172800 IN NS a.root-servers.net."
    for z in "${_NETNS_ZONES[@]}"; do echo "${z%% *} 172800 IN NS a.root-servers.net."; done
    for line in "${_NETNS_DELEGATIONS[@]}"; do echo "$line"; done
  } >"$d/root.zone"
  local arpa
  for arpa in in-addr.arpa ip6.arpa; do
    {
      echo "$arpa. 3600 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026120101 1800 900 604800 3600"
      echo "$arpa. 3600 IN NS a.root-servers.net."
      for line in "${_NETNS_PTRS[@]}"; do
        local rev
        rev=$(_netns_reverse "${line%% *}")
        [[ $rev == *.$arpa. ]] && echo "$rev 3600 IN PTR ${line#* }"
      done
    } >"$d/$arpa.zone"
  done
  {
    echo "server:"
    echo "  ip-address: $NETNS_ROOT_ADDR"
    echo "  port: 53"
    echo "  zonesdir: $d"
    echo "  pidfile: $d/nsd.pid"
    echo "  database: \"\""
    echo "  username: \"\""
    echo "  xfrdfile: $d/xfrd.state"
    echo "  zonelistfile: $d/zone.list"
    echo "  verbosity: 1"
    echo "remote-control:"
    echo "  control-enable: no"
    echo "zone:"
    echo "  name: \".\""
    echo "  zonefile: $d/root.zone"
    for arpa in in-addr.arpa ip6.arpa; do
      echo "zone:"
      echo "  name: \"$arpa.\""
      echo "  zonefile: $d/$arpa.zone"
    done
    for z in "${_NETNS_ZONES[@]}"; do
      f=${z#* }
      echo "zone:"
      echo "  name: \"${z%% *}\""
      echo "  zonefile: $f"
    done
  } >"$d/nsd.conf"
  nsd-checkconf "$d/nsd.conf" || die "nsd.conf for the fake root"
  printf '. 3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A %s\n' "$NETNS_ROOT_ADDR" >"$NETNS_HINTS"
  # ip netns exec directly, not in_netns: a function run with & is a
  # subshell, and $! would be the subshell, not the daemon the exit kills
  ip netns exec "$NETNS" nsd -d -c "$d/nsd.conf" >"$d/nsd.log" 2>&1 &
  local pid=$!
  on_exit "kill $pid"
  _root_up() { in_netns dig +norec +tries=1 +time=1 "@$NETNS_ROOT_ADDR" . SOA | grep -q 'status: NOERROR'; }
  wait_until 10 _root_up || die "the fake root (NSD) did not answer: $(tail -n 5 "$d/nsd.log")"
  echo "ok - fake root (NSD) serving at $NETNS_ROOT_ADDR:53"
}

netns_dig() { in_netns dig +norec +tries=1 +time=2 "$@"; }

# netns_start_dnsd CONFIG [args]: like lib.sh's start_dnsd, inside the namespace.
netns_start_dnsd() {
  local conf=$1; shift
  local first
  first=$(sed -n 's/^listen: *\["\([^"]*\)".*/\1/p' "$conf")
  [ -n "$first" ] || die "netns_start_dnsd: no listen address in $conf"
  DNSD_PORT=${first##*:}
  DNSD_ADDR=${first%:*}; DNSD_ADDR=${DNSD_ADDR#[}; DNSD_ADDR=${DNSD_ADDR%]}
  DNSD_LOG=$T/dnsd.${#DNSD_LOGS[@]}.log
  DNSD_LOGS+=("$DNSD_LOG")
  ip netns exec "$NETNS" "$DNSD_BIN" -c "$conf" "$@" >"$DNSD_LOG" 2>&1 & # not in_netns: see above
  DNSD_PID=$!
  on_exit "kill_dnsd $DNSD_PID"
  _netns_dnsd_alive() {
    kill -0 "$DNSD_PID" 2>/dev/null || return 0
    netns_dig -p "$DNSD_PORT" "@$DNSD_ADDR" . SOA | grep -q 'status:'
  }
  wait_until 10 _netns_dnsd_alive || die "dnsd did not start answering within 10s"
  kill -0 "$DNSD_PID" 2>/dev/null || die "dnsd exited: $(tail -n 5 "$DNSD_LOG")"
}

# netns_k8s: the fake API server runs inside the namespace (so dnsd there
# reaches it on the namespace's 127.0.0.1), and so does every curl the
# k8s.bash helpers make.
netns_k8s() {
  cat >"$NETNS_DIR/fakeapi" <<SH
#!/bin/sh
exec ip netns exec $NETNS "$FAKEAPI" "\$@"
SH
  chmod +x "$NETNS_DIR/fakeapi"
  FAKEAPI=$NETNS_DIR/fakeapi
  curl() { ip netns exec "$NETNS" /usr/bin/curl "$@"; }
}

# zonemaster ZONE [zonemaster-cli args]: every test case, offline, from the
# fake root's hints; IPv6 only when the namespace has IPv6 addresses.
zonemaster() {
  local zone=$1; shift
  local out=$T/zonemaster.${zone%.}.txt v6=(--no-ipv6)
  [ "$_NETNS_HAS_V6" = 1 ] && v6=()
  in_netns timeout 120 zonemaster-cli "${v6[@]}" --hints "$NETNS_HINTS" --level INFO --show-testcase \
    --no-progress "$@" "$zone" >"$out" 2>&1
  local rc=$?
  cat "$out"
  return $rc
}
zonemaster_count() { awk -v l="$1" '$2 == l' "$2" | wc -l; }

# dnsviz_check ZONE [dnsviz probe args]: `dnsviz probe` as an authoritative
# analysis from the fake root (-A, the root's servers given with -x, so
# nothing outside the namespace is asked) with the EDNS checks (-E), then
# `dnsviz grok` (the whole verdict: with -l it writes nothing when all is well);
# the probe goes to $T/dnsviz.ZONE.json, grok's verdict to
# $T/dnsviz.ZONE.grok.json. Prints one line per error and warning grok found
# ("error|warning NAME CODE: description") and nothing else; fails if either
# step fails.
dnsviz_check() {
  local zone=$1; shift
  local probe=$T/dnsviz.${zone%.}.json grok=$T/dnsviz.${zone%.}.grok.json v6=(-4)
  [ "$_NETNS_HAS_V6" = 1 ] && v6=()
  in_netns timeout 120 /usr/bin/dnsviz probe -A "${v6[@]}" -E -x ".:a.root-servers.net=$NETNS_ROOT_ADDR" \
    "$@" -o "$probe" "$zone" 2>"$probe.err" || { cat "$probe.err"; return 1; }
  [ -s "$probe" ] || { echo "dnsviz probe wrote nothing: $(tail -n 3 "$probe.err")"; return 1; }
  timeout 60 /usr/bin/dnsviz grok -r "$probe" -o "$grok" 2>"$grok.err" ||
    { cat "$grok.err"; return 1; }
  [ -s "$grok" ] || { echo "dnsviz grok wrote nothing: $(tail -n 3 "$grok.err")"; return 1; }
  "$PY" - "$grok" <<'PY'
import json, sys
def walk(node, path):
    if isinstance(node, dict):
        for level in ("errors", "warnings"):
            for item in node.get(level, []) or []:
                print("%s %s %s: %s" % (level[:-1], path or ".", item.get("code", "?"), item.get("description", "")))
        for k, v in node.items():
            if k not in ("errors", "warnings"):
                walk(v, path if path else k)
    elif isinstance(node, list):
        for v in node:
            walk(v, path)
walk(json.load(open(sys.argv[1])), "")
PY
}
# dnsviz_count LEVEL LINES: how many of dnsviz's lines are of that level (error|warning)
dnsviz_count() { grep -c "^$1 " <<<"$2"; }
