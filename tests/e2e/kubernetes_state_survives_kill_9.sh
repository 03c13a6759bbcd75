#!/usr/bin/env bash
# kill -9 of dnsd while it writes its state file (a stream of changes at
# the API, a short write interval, each kill as soon as a write has begun)
# never leaves a file that loads wrong: after each kill the file is whole
# (its checksum holds, all 1000 entries are there), and a dnsd restarted
# with the API down serves it. Bounded: 8 kills, 120 s of changes.
# (tests/unit/k8s/test_k8s_state.c kills the writer itself 100 times.)
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

STATE=$T/state
mkdir -p "$STATE"
# 1000 entries: each save writes ~200 KB, so that kills can land inside writes
"$PY" -c '
import json
print(json.dumps({"kind": "ServiceEntryList", "apiVersion": "networking.istio.io/v1", "metadata": {},
  "items": [{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
             "metadata": {"name": "svc-%d" % i, "namespace": "ns"},
             "spec": {"hosts": ["svc-%d.ns.global" % i], "addresses": ["240.1.%d.%d" % (i // 250, i % 250)]}}
            for i in range(1000)]}))' >"$T/seed.json"
start_fakeapi mesh-1 --seed-list "$T/seed.json"
start_k8s_dnsd mesh-1 "state-dir: $STATE
stale-start-timeout-ms: 500
state-write-interval-ms: 100"
wait_until 10 is_ready || die "not ready"
# the first save, before any kill: round 1 then has a file to keep (under
# make tsan, with the background threads niced, it took over 3 s)
slow=1; ldd "$DNSD_BIN" 2>/dev/null | grep -q 'lib[at]san' && slow=5
wait_until $((10 * slow)) test -f "$STATE/mesh-1.state" || die "no state file within $((10 * slow)) s of ready"

check_file() {
  "$PY" - "$STATE/mesh-1.state" <<'PY'
import hashlib, json, sys
data = open(sys.argv[1], "rb").read()
head, _, last = data[:-1].rpartition(b"\n")
assert last.startswith(b"sha256 "), "no checksum line"
assert hashlib.sha256(head + b"\n").hexdigest() == last[7:].decode(), "checksum mismatch"
lines = head.decode().split("\n")
assert lines[0] == "dnsd-state 1" and lines[1] == "source mesh-1", lines[:2]
n = int(next(l for l in lines if l.startswith("objects "))[8:])
objs = [json.loads(l) for l in lines if l.startswith("{")]
assert len(objs) == n == 1000, (n, len(objs))
print(n)
PY
}

kills=0 mid=0
# changes keep the writer busy meanwhile (a bounded loop in the background)
"$PY" - "$(fake_url mesh-1)" "$PKI/ca.crt" "$T/mesh-1.token" >"$T/changer.log" 2>&1 <<'PY' &
import json, ssl, sys, time, urllib.request
url, ca, token = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=ca)
deadline = time.monotonic() + 120
i = 0
while time.monotonic() < deadline and i < 20000:
    k = 100 + i % 900
    body = {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
            "metadata": {"name": "svc-%d" % k, "namespace": "ns"},
            "spec": {"hosts": ["svc-%d.ns.global" % k], "addresses": ["240.2.%d.%d" % (i // 250 % 250, i % 250)]}}
    req = urllib.request.Request("%s/apis/networking.istio.io/v1/namespaces/ns/serviceentries/svc-%d" % (url, k),
                                 data=json.dumps(body).encode(), method="PUT",
                                 headers={"Authorization": "Bearer " + open(token).read().strip(),
                                          "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, context=ctx, timeout=5).read()
    except OSError:
        pass
    i += 1
PY
changer=$!
on_exit "kill $changer"
for round in $(seq 1 8); do
  # kill it as soon as a write has begun (its temporary file exists), or
  # at a random moment if none begins within 3 s
  "$PY" - "$STATE" "$DNSD_PID" "$RANDOM" <<'PY'
import os, random, signal, sys, time
folder, pid = sys.argv[1], int(sys.argv[2])
random.seed(int(sys.argv[3]))
deadline = time.monotonic() + 3
while time.monotonic() < deadline:
    if any(n.endswith(".tmp") for n in os.listdir(folder)):
        break
    time.sleep(0.0002)
os.kill(pid, signal.SIGKILL)
PY
  wait "$DNSD_PID" 2>/dev/null
  kills=$((kills + 1))
  ls -A "$STATE" | grep -q '\.tmp$' && mid=$((mid + 1))
  [ -f "$STATE/mesh-1.state" ] || die "round $round: no state file at all"
  check_file >/dev/null || die "round $round: the state file does not load: $(check_file 2>&1 | tail -n 1)"
  start_dnsd "$T/dnsd.yaml"
  wait_until 10 is_ready || die "round $round: not ready after the restart"
done
kill "$changer"
[ "$mid" -ge $((kills / 2)) ] || die "only $mid of $kills kills landed inside a write"
echo "ok - $kills kills while the API changed ($mid inside a write): the state file always loads whole"

# the last file, served with the API down
kill -KILL "$DNSD_PID"; wait "$DNSD_PID" 2>/dev/null
kill "$FAKE_mesh_1_PID"
wait_until 10 not_running "$FAKE_mesh_1_PID" || die "the fake API server did not stop"
start_dnsd "$T/dnsd.yaml"
expect_answer 10 240.1.0.7 svc-7.ns.global
assert_eq "$(metric 'dnsd_kubernetes_stale{cluster="mesh-1"}')" 1 "served from the saved state"
assert_eq "$(metric 'dnsd_kubernetes_serviceentries{cluster="mesh-1"}')" 1000 "all 1000 entries"
assert_running
