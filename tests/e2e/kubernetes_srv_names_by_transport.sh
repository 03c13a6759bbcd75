#!/usr/bin/env bash
# SRV owners are _<port name>._tcp.<host> for every Istio protocol carried
# over TCP and _<port name>._udp.<host> for UDP (RFC 2782, RFC 6335, the
# Kubernetes DNS spec), asked with dig and with standard SRV clients
# (dnspython's resolver; Go's net.LookupSRV(service, proto, name) naming).
# The README's quick-start SRV line works against a ServiceEntry alone.
# A port name that cannot be a DNS-1123 label gets no SRV, a log line and
# a count.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

# port name, number, protocol, transport
PORTS=(
  "http1 3000 HTTP tcp"   "https 3443 HTTPS tcp"   "h2 3002 HTTP2 tcp"   "grpc 3003 GRPC tcp"
  "grpc-web 3004 GRPC-WEB tcp"   "tls 3005 TLS tcp"   "tcp 3006 TCP tcp"   "mongo 27017 MONGO tcp"
  "mysql 3306 MYSQL tcp"   "redis 6379 REDIS tcp"   "dns 53 UDP udp"   "syslog 514 udp udp"
)
json=
for p in "${PORTS[@]}"; do
  read -r name number proto _ <<<"$p"
  json+="{\"name\":\"$name\",\"number\":$number,\"protocol\":\"$proto\"},"
done
json+='{"name":"plain","number":8000},{"name":"HTTP_8080","number":8080,"protocol":"HTTP"}'

start_fakeapi mesh-1
se_put mesh-1 default messenger \
  '{"hosts":["messenger.default.global"],"addresses":["240.0.0.1"],"location":"MESH_INTERNAL","resolution":"DNS","ports":['"$json"']}'

# no zone file: the SRV can only come from the entry
k8s_dnsd --zone "{name: global, ttl: 30, kubernetes: [mesh-1]}" --kubernetes "$(k8s_source mesh-1)"
wait_until 15 is_ready || die "not ready"

# the README's quick-start line, verbatim but for the port
qs=$(dig @127.0.0.1 -p "$DNSD_PORT" _http1._tcp.messenger.default.global SRV +short)
assert_eq "$qs" "0 0 3000 messenger.default.global." "README quick start: dig _http1._tcp.messenger.default.global SRV"

for p in "${PORTS[@]}"; do
  read -r name number proto transport <<<"$p"
  assert_eq "$(qshort "_$name._$transport.messenger.default.global" SRV)" "0 0 $number messenger.default.global." \
    "dig: $proto port $name -> _$name._$transport"
  other=tcp; [ "$transport" = tcp ] && other=udp
  assert_eq "$(qstatus "_$name._$other.messenger.default.global" SRV)" NXDOMAIN "... and not _$name._$other"
  lower=$(tr 'A-Z' 'a-z' <<<"$proto")
  [ "$lower" = "$transport" ] ||
    assert_eq "$(qstatus "_$name._$lower.messenger.default.global" SRV)" NXDOMAIN "... nor the old _$name._$lower"
done
assert_eq "$(qshort _plain._tcp.messenger.default.global SRV)" "0 0 8000 messenger.default.global." \
  "a port without protocol is TCP"

# standard SRV clients: dnspython's stub resolver, with the owner built the
# way Go's net.LookupSRV(service, proto, name) builds it: "_"+service+"._"+proto+"."+name
"$PY" - "$DNSD_PORT" "${PORTS[@]}" <<'PY' || die "dnspython SRV lookups"
import sys
import dns.resolver
port = int(sys.argv[1])
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = port
r.lifetime = 5
def lookup_srv(service, proto, name):          # net.LookupSRV's naming
    return r.resolve("_" + service + "._" + proto + "." + name, "SRV")
for spec in sys.argv[2:]:
    name, number, proto, transport = spec.split()
    ans = lookup_srv(name, transport, "messenger.default.global")
    got = sorted((a.priority, a.weight, a.port, a.target.to_text()) for a in ans)
    want = [(0, 0, int(number), "messenger.default.global.")]
    assert got == want, (spec, got)
    # the target resolves too, as a client's next step
    assert [a.to_text() for a in r.resolve(ans[0].target, "A")] == ["240.0.0.1"]
    print("ok - dnspython: LookupSRV(%r, %r, 'messenger.default.global') -> %d" % (name, transport, int(number)))
try:
    lookup_srv("http1", "http", "messenger.default.global")
    raise SystemExit("the old _http1._http name still resolves")
except dns.resolver.NXDOMAIN:
    print("ok - dnspython: _http1._http is NXDOMAIN")
PY

assert_eq "$(qstatus _HTTP_8080._tcp.messenger.default.global SRV)" NXDOMAIN "no SRV for port name HTTP_8080"
expect_log 5 "warn: kubernetes mesh-1: ServiceEntry default/messenger" "spec.ports[13].name" "HTTP_8080" "port-name"
expect_dropped 5 mesh-1 port-name 1
assert_eq "$(qshort messenger.default.global A)" 240.0.0.1 "the rest of the entry is served"
assert_running
