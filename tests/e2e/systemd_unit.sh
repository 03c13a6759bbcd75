#!/usr/bin/env bash
# The installed systemd unit passes `systemd-analyze verify` without a word,
# its sandboxing scores well, and dnsd speaks Type=notify: READY=1 only once it
# answers, RELOADING=1 then READY=1 around every reload (failed ones too),
# STOPPING=1 on SIGTERM.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
d=$T/root
make -s -C "$REPO" install DESTDIR="$d" PREFIX=/usr >"$T/install.log" 2>&1 ||
  { cat "$T/install.log"; die "make install failed"; }

# verify checks that ExecStart's binary exists: point it at the DESTDIR copy.
# Documentation=man:dnsd(8) is checked with man(1): point MANPATH there too.
mkdir -p "$T/units"
sed "s|/usr/sbin/dnsd|$d/usr/sbin/dnsd|g" "$d/usr/lib/systemd/system/dnsd.service" >"$T/units/dnsd.service"
out=$(cd "$T/units" && MANPATH=$d/usr/share/man SYSTEMD_LOG_LEVEL=notice \
      systemd-analyze verify "$T/units/dnsd.service" 2>&1) || die "systemd-analyze verify failed: $out"
assert_eq "$out" "" "systemd-analyze verify prints nothing"

sec=$(systemd-analyze security --offline=true --no-pager "$T/units/dnsd.service" 2>/dev/null | tail -n 1)
score=$(sed -n 's/.*Overall exposure level for dnsd.service: \([0-9.]*\).*/\1/p' <<<"$sec")
[ -n "$score" ] || die "no exposure score: $sec"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || die "exposure level $score > 2.0"
echo "ok - systemd-analyze security exposure $score"

unit=$(cat "$d/usr/lib/systemd/system/dnsd.service")
for line in Type=notify "ExecReload=/bin/kill -HUP \$MAINPID" Restart=on-failure \
            AmbientCapabilities=CAP_NET_BIND_SERVICE CapabilityBoundingSet=CAP_NET_BIND_SERVICE \
            NoNewPrivileges=yes ProtectSystem=strict SystemCallFilter=@system-service \
            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" MemoryDenyWriteExecute=yes; do
  grep -qxF "$line" <<<"$unit" || die "unit lacks $line"
done
echo "ok - unit has the required hardening lines"

# --- the notify protocol, with the test as the service manager
port=$(free_port) || die "no free port"
zone=$T/global.zone
cp "$REPO/zones/global.zone" "$zone"
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone, ttl: 30}"
$PY - "$DNSD_BIN" "$T/dnsd.yaml" "$port" "$T/notify.sock" "$zone" "$DNSD_LOG" <<'PY' || die "notify protocol"
import os, signal, socket, subprocess, sys, time
import dnsq
dnsd, conf, port, sock_path, zone, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(sock_path)
n.settimeout(10)
p = subprocess.Popen([dnsd, "-c", conf], env=dict(os.environ, NOTIFY_SOCKET=sock_path),
                     stdout=subprocess.DEVNULL, stderr=open(log, "w"))

def answers():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        r = dnsq.exchange_udp(s, ("127.0.0.1", port), dnsq.query_wire("messenger.default.global", "A", edns=False))
    except socket.timeout:
        return False
    return bytes([127, 127, 42, 69]) in r

def expect(want):
    try:
        got = n.recv(4096).decode()
    except socket.timeout:
        raise SystemExit("no %s within 10 s" % want)
    if got.split("\n")[0] != want:
        raise SystemExit("got %r, want %s" % (got, want))
    print("ok - %s" % want)

try:
    expect("READY=1")
    assert answers(), "READY=1 sent before dnsd answers"
    print("ok - answering when READY=1 arrives")

    os.kill(p.pid, signal.SIGHUP)
    expect("RELOADING=1")
    expect("READY=1")
    assert answers(), "not answering after reload"

    good = open(zone).read()
    with open(zone + ".tmp", "w") as f:
        f.write(good + "broken IN A 10.0\n")
    os.replace(zone + ".tmp", zone)
    os.kill(p.pid, signal.SIGHUP)
    expect("RELOADING=1")
    expect("READY=1")           # the failed reload ends too: still serving
    assert answers(), "not answering after a failed reload"
    print("ok - failed reload: RELOADING=1, READY=1, still answering")

    os.kill(p.pid, signal.SIGTERM)
    expect("STOPPING=1")
    rc = p.wait(timeout=10)
    assert rc == 0, "exit status %d" % rc
    print("ok - exit status 0")
    n.settimeout(0.2)
    try:
        extra = n.recv(4096)
        raise SystemExit("datagram after STOPPING=1: %r" % extra)
    except socket.timeout:
        pass
finally:
    if p.poll() is None:
        p.kill()
PY
