#!/usr/bin/env bash
# Two clusters feed zone global. Until the first LIST of both has completed
# the zone answers SERVFAIL (static records too: a half-built zone must not
# give authoritative NXDOMAINs) and /ready is 503, while a zone without
# Kubernetes sources answers all along. Then: the same host in both clusters
# is the union of their addresses; deleting it in one keeps the other's.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
start_fakeapi mesh-2
# mesh-2's LISTs fail for now
fault mesh-2 '{"kind":"status","code":503,"count":100000,"match":"list"}'
se_create mesh-1 default reviews reviews.default.global 240.0.1.1
se_create mesh-2 default reviews reviews.default.global 240.0.2.1
se_create mesh-1 default only1 only1.default.global 240.0.1.9
se_create mesh-2 default only2 only2.default.global 240.0.2.9

cat >"$T/static.zone" <<'ZONE'
$ORIGIN static.test.
$TTL 60
@    IN SOA ns.static.test. hostmaster.static.test. 1 3600 600 86400 60
@    IN NS  ns
ns   IN A   127.0.0.1
www  IN A   192.0.2.80
ZONE
port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" \
  --zone "{name: global, file: $REPO/zones/global.zone, ttl: 30, kubernetes: [mesh-1, mesh-2]}" \
  --zone "{name: static.test, file: $T/static.zone}" \
  --zone "{name: 240.in-addr.arpa, kubernetes: [mesh-1, mesh-2]}" \
  --kubernetes "{name: mesh-1, kubeconfig: $T/mesh-1.kubeconfig}" \
  --kubernetes "{name: mesh-2, kubeconfig: $T/mesh-2.kubeconfig}" \
  --log debug --http "127.0.0.1:$HPORT"
# systemd's notify protocol: a datagram listener standing in for PID 1
"$PY" - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PY
on_exit "kill $!"
wait_until 5 test -S "$T/notify.sock" || die "notify listener did not start"
NOTIFY_SOCKET=$T/notify.sock start_dnsd "$T/dnsd.yaml"

# mesh-1 synced, mesh-2 not: the zone is pending
m1_synced() { [ "$(metric 'dnsd_kubernetes_synced{cluster="mesh-1"}')" = 1 ]; }
wait_until 10 m1_synced || die "mesh-1 never synced"
assert_eq "$(metric 'dnsd_kubernetes_synced{cluster="mesh-2"}')" 0 "mesh-2 not synced yet"
assert_eq "$(http_code /ready)" 503 "/ready is 503 while a source has not synced"
assert_eq "$(http_code /health)" 200 "/health is 200 all the same"
assert_eq "$(qstatus reviews.default.global A)" SERVFAIL "a pending zone answers SERVFAIL"
assert_eq "$(qstatus nosuch.default.global A)" SERVFAIL "... not a premature NXDOMAIN"
assert_eq "$(qstatus global SOA)" SERVFAIL "... even at the apex"
assert_eq "$(qshort www.static.test A)" 192.0.2.80 "a zone without Kubernetes sources answers"
assert_eq "$(qstatus example.com A)" REFUSED "out of zone is still REFUSED"
grep -q "READY=1" "$T/notify.log" 2>/dev/null && die "READY=1 sent before every source synced"
echo "ok - no READY=1 to systemd yet"

fault mesh-2 '{"kind":"clear"}'
wait_until 15 is_ready || die "not ready after mesh-2's LIST succeeded"
echo "ok - /ready is 200 once both clusters have listed"
wait_until 5 grep -q "READY=1" "$T/notify.log" || die "no READY=1 after the first sync"
echo "ok - READY=1 sent to \$NOTIFY_SOCKET after the first sync"
expect_answer 5 $'240.0.1.1\n240.0.2.1' reviews.default.global
echo "ok - the same host in two clusters: the union"
expect_answer 5 240.0.1.9 only1.default.global
expect_answer 5 240.0.2.9 only2.default.global
expect_answer 5 only1.default.global. 9.1.0.240.in-addr.arpa PTR
expect_answer 5 $'reviews.default.global.' 1.2.0.240.in-addr.arpa PTR
# deterministic order: the same answer order every time, whatever the cluster
a1=$(qdig +short reviews.default.global A | tr '\n' ' ')
for _ in 1 2 3 4 5; do
  assert_eq "$(qdig +short reviews.default.global A | tr '\n' ' ')" "$a1" "answer order is stable" >/dev/null
done
echo "ok - answer order is stable ($a1)"

se_delete mesh-2 default reviews
expect_answer 5 240.0.1.1 reviews.default.global
echo "ok - deleting mesh-2's entry leaves mesh-1's address"
se_replace mesh-1 default reviews reviews.default.global 240.0.1.2
expect_answer 5 240.0.1.2 reviews.default.global
se_delete mesh-1 default reviews
expect_status 5 NXDOMAIN reviews.default.global
se_create mesh-2 default reviews reviews.default.global 240.0.2.3
expect_answer 5 240.0.2.3 reviews.default.global

# a cluster whose API disappears later keeps serving its last good state
fault mesh-1 '{"kind":"status","code":503,"count":100000,"match":"any"}'
fault mesh-1 '{"kind":"drop"}'
se_create mesh-2 default late late.default.global 240.0.2.10
expect_answer 5 240.0.2.10 late.default.global
assert_eq "$(qshort only1.default.global A)" 240.0.1.9 "mesh-1's records stay while its API is down"
assert_eq "$(http_code /ready)" 200 "... and dnsd stays ready"
assert_running
