#!/usr/bin/env bash
# Who may publish a name, per Kubernetes source:
#  - host-policy any: every host (istiocoredns's behaviour);
#  - host-policy namespace: <name>.<namespace>.global only from that
#    namespace, anything from trusted-namespaces;
#  - the default: namespace, with istio-system trusted.
# The attack: namespace sandbox publishing payments.prod.global to join
# production's answer. Every refusal is logged (cluster, namespace/name,
# field, reason) and counted; the same host from several owners is served as
# the union and logged once as a conflict.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

spec() {   # HOST ADDR
  printf '{"hosts":["%s"],"addresses":["%s"],"location":"MESH_INTERNAL","resolution":"DNS","ports":[{"name":"http","number":80,"protocol":"HTTP"}]}' "$1" "$2"
}
start_fakeapi mesh-any
start_fakeapi mesh-ns
start_fakeapi mesh-def
se_put mesh-any sandbox pay "$(spec payments.prod.global 240.0.2.1)"        # accepted: any
se_put mesh-ns sandbox pay "$(spec payments.prod.global 240.0.1.1)"         # refused
se_put mesh-ns prod pay "$(spec payments.prod.global 240.0.1.2)"            # accepted: its namespace
se_put mesh-ns admiral-sync pay "$(spec payments.prod.global 240.0.1.3)"    # accepted: trusted
se_put mesh-ns sandbox wild "$(spec '*.prod.global' 240.0.1.4)"             # refused
se_put mesh-ns sandbox own "$(spec box.sandbox.global 240.0.1.5)"           # accepted
se_put mesh-ns prod top "$(spec '*.global' 240.0.1.6)"                     # refused: no namespace label
se_put mesh-def sandbox pay "$(spec payments.prod.global 240.0.3.1)"        # refused (default policy)
se_put mesh-def istio-system pay "$(spec payments.prod.global 240.0.3.2)"   # accepted (trusted by default)
se_put mesh-def admiral-sync pay "$(spec payments.prod.global 240.0.3.3)"   # refused: not trusted by default

k8s_dnsd --zone "{name: global, ttl: 30, kubernetes: [mesh-any, mesh-ns, mesh-def]}" \
  --kubernetes "$(k8s_source mesh-any 'host-policy: any')" \
  --kubernetes "$(k8s_source mesh-ns 'host-policy: namespace, trusted-namespaces: [istio-system, admiral-sync]')" \
  --kubernetes "$(k8s_source mesh-def)"
wait_until 15 is_ready || die "not ready"

expect_answer 5 $'240.0.1.2\n240.0.1.3\n240.0.2.1\n240.0.3.2' payments.prod.global
echo "ok - sandbox's addresses are not in production's answer (refused by mesh-ns and by the default)"
expect_answer 5 240.0.1.5 box.sandbox.global
expect_status 5 NXDOMAIN anything.prod.global
echo "ok - sandbox's *.prod.global is refused"
expect_status 5 NXDOMAIN anything.global
echo "ok - *.global (no namespace label) is refused even from prod"

expect_log 5 "warn: kubernetes mesh-ns: ServiceEntry sandbox/pay" "spec.hosts[0]" "payments.prod.global" "host-policy" "belongs to namespace prod"
expect_log 5 "warn: kubernetes mesh-ns: ServiceEntry sandbox/wild" "spec.hosts[0]" "host-policy"
expect_log 5 "warn: kubernetes mesh-ns: ServiceEntry prod/top" "spec.hosts[0]" "host-policy" "no namespace label"
expect_log 5 "warn: kubernetes mesh-def: ServiceEntry sandbox/pay" "host-policy"
expect_log 5 "warn: kubernetes mesh-def: ServiceEntry admiral-sync/pay" "host-policy"
expect_dropped 5 mesh-ns host-policy 3
expect_dropped 5 mesh-def host-policy 2
assert_eq "$(dropped mesh-any host-policy)" 0 "host-policy any refuses nothing"
assert_eq "$(log_count 'kubernetes mesh-ns: ServiceEntry prod/pay' host-policy)" 0 "prod/pay is not refused"
assert_eq "$(log_count 'ServiceEntry istio-system/pay' host-policy)" 0 "istio-system/pay is not refused"

# conflicts: payments.prod.global from four owners, served as the union, logged once
expect_log 5 "payments.prod.global" "conflict"
conflicts=$(log_count "payments.prod.global" "conflict")
c0=$(metric dnsd_kubernetes_host_conflicts_total)
[ "${c0:-0}" -ge 1 ] || die "dnsd_kubernetes_host_conflicts_total: ${c0:-absent}"
echo "ok - the conflict is counted ($c0)"
# a change that adds no new owner logs nothing more
se_put mesh-ns prod pay "$(spec payments.prod.global 240.0.1.22)"
expect_answer 5 $'240.0.1.22\n240.0.1.3\n240.0.2.1\n240.0.3.2' payments.prod.global
assert_eq "$(log_count "payments.prod.global" "conflict")" "$conflicts" "an update by a known owner is not logged again"
assert_eq "$(metric dnsd_kubernetes_host_conflicts_total)" "$c0" "... nor counted again"

# the refused entry fixes itself: sandbox publishes its own name instead
se_put mesh-ns sandbox pay "$(spec pay.sandbox.global 240.0.1.1)"
expect_answer 5 240.0.1.1 pay.sandbox.global
expect_answer 5 $'240.0.1.22\n240.0.1.3\n240.0.2.1\n240.0.3.2' payments.prod.global
assert_running
