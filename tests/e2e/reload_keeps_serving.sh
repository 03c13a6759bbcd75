#!/usr/bin/env bash
# 20 SIGHUP reloads while 20000 UDP queries run: a changed zone is served after
# its reload, a broken zone (or config) is refused with file:line and counted
# in dnsd_reload_failures_total while the old data keeps serving, and no query
# goes unanswered at any point.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
mport=$(free_port) || die "no free port"
zone=$T/global.zone
cp "$REPO/zones/global.zone" "$zone"
write_config "$T/dnsd.yaml" --port "$port" --zone "{name: global, file: $zone, ttl: 30}" --http "127.0.0.1:$mport"
start_dnsd "$T/dnsd.yaml"

$PY - "$port" "$mport" "$DNSD_PID" "$zone" "$T/dnsd.yaml" "$DNSD_LOG" <<'PY' || die "reload test failed"
import os, re, shutil, signal, socket, sys, threading, time, urllib.request
import dnsq
port, mport, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
zone, conf, log = sys.argv[4], sys.argv[5], sys.argv[6]
QUERIES, RELOADS = 20000, 20
original = open(zone).read()

wires = {}   # query bytes by name, built once
def query(sock, name):
    if name not in wires:
        wires[name] = dnsq.query_wire(name, "A", edns=False)
    return dnsq.exchange_udp(sock, ("127.0.0.1", port), wires[name])

def metric(name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read().decode()
    m = re.search(r"^%s (\S+)$" % name, body, re.M)
    return float(m.group(1))

def replace(path, text):     # what an operator's tooling does: write aside, rename
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)

def poll(what, cond, secs=10):
    deadline = time.monotonic() + secs
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(0.02)

# The load: at least QUERIES UDP queries, one at a time, and on until the last
# reload is through; each must be answered with the address, and a 2 s
# silence counts as a loss.
done, reloaded = threading.Event(), threading.Event()
counts = {"sent": 0, "lost": 0, "wrong": 0, "during": 0}
def load():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    while counts["sent"] < QUERIES or not reloaded.is_set():
        counts["sent"] += 1
        if not reloaded.is_set():
            counts["during"] += 1
        try:
            r = query(s, "messenger.default.global")
        except socket.timeout:
            counts["lost"] += 1
            continue
        if r[3] & 0xF != 0 or bytes([127, 127, 42, 69]) not in r:
            counts["wrong"] += 1
    done.set()
t = threading.Thread(target=load, daemon=True)   # a failed assert must not hang on it
t.start()

probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
probe.settimeout(2)
def rcode(name):
    return query(probe, name)[3] & 0xF

ok0, failed0 = metric("dnsd_reloads_total"), metric("dnsd_reload_failures_total")
good = bad = 0
last_good = None
for i in range(RELOADS):
    kind = ("zone", "broken-zone", "broken-config")[i % 3]
    log_size = os.path.getsize(log)
    if kind == "zone":
        name = "new%d.default.global" % i
        replace(zone, original + "new%d.default IN A 10.0.0.%d\n" % (i, i + 1))
        os.kill(pid, signal.SIGHUP)
        poll(name + " served", lambda: rcode(name) == 0)
        good += 1
        last_good = name
        poll("reload counted", lambda: metric("dnsd_reloads_total") == ok0 + good)
    else:
        if kind == "broken-zone":
            replace(zone, original + "broken%d IN A 10.0.0\n" % i)
            where = "%s:%d" % (zone, original.count("\n") + 1)
        else:
            saved = open(conf).read()
            replace(conf, saved + "listen: [\n")
            where = conf + ":"
        os.kill(pid, signal.SIGHUP)
        bad += 1
        poll("failure counted", lambda: metric("dnsd_reload_failures_total") == failed0 + bad)
        text = open(log).read()[log_size:]
        assert where in text, "reload error does not name %s:\n%s" % (where, text)
        assert rcode("messenger.default.global") == 0, "old data not served after a failed reload"
        if last_good:
            assert rcode(last_good) == 0, "last good zone lost after a failed reload"
        if kind == "broken-config":
            replace(conf, saved)
        else:
            replace(zone, original)
    print("ok - reload %d (%s)" % (i + 1, kind))

assert metric("dnsd_reloads_total") == ok0 + good
assert metric("dnsd_reload_failures_total") == failed0 + bad
print("ok - %d reloads and %d failed reloads counted" % (good, bad))
reloaded.set()
done.wait(120)
t.join()
print("# %(sent)d queries (%(during)d while reloading), %(lost)d lost, %(wrong)d wrong" % counts)
assert counts["sent"] >= QUERIES and counts["lost"] == 0 and counts["wrong"] == 0, counts
print("ok - no query lost or wrong during %d reloads" % RELOADS)
PY
kill -0 "$DNSD_PID" || die "dnsd died"
stop_dnsd || die "dnsd exit status $?"
echo "ok - dnsd still up after the reloads, exits 0"
