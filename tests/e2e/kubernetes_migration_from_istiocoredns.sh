#!/usr/bin/env bash
# The README's migration from istiocoredns, rehearsed with the real kubectl
# against the fake API server (tests/fake_apiserver/builtin.py: stored
# objects, strategic merge patches, ClusterIPs that never change, a stand-in
# for the Deployment and Endpoints controllers). The cluster starts as an
# Istio 1.7 install left it (tests/data/k8s/migration/); the test then runs
# the kubectl lines of README's <!-- migration:NAME --> blocks as written
# (the dig and `kubectl run` lines need a real cluster and are left out) and
# checks the cluster after each: inspect, deploy, switch, rollback, deploy and
# switch again, stop, cleanup. In the end the Service istiocoredns has its
# first ClusterIP and selects only dnsd's pods, no other pod declares port
# 53, istiocoredns's objects are gone and kube-system/coredns is not.
# First, the failure the renaming prevents: the pre-rename manifests (a
# Deployment named istiocoredns) applied over the same install merge dnsd
# into istiocoredns's pods, beside coredns, both on port 53.
. "$(dirname "$0")/lib.sh"
command -v kubectl >/dev/null || skip "no kubectl"
. "$E2E_DIR/k8s.bash"
export HOME=$T/home   # kubectl's discovery cache
DATA=$REPO/tests/data/k8s/migration

# cluster_state: one "key value" line per fact the checks below read, from
# everything the fake API server holds (its /_fake/objects: the checks need
# no kubectl; the README's commands are what is under test).
cluster_state() {
  fake "$FAKE" GET /_fake/objects >"$T/state.json" || die "GET /_fake/objects failed"
  $PY - "$T/state.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec, docs, i = json.JSONDecoder(), [], 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i < len(text):
        d, i = dec.raw_decode(text, i)
        docs.append(d)
items = [o for d in docs for o in d["items"]]
by = lambda kind: [o for o in items if o["kind"] == kind]
key = lambda o: (o["metadata"].get("namespace", "") + "/" if o["metadata"].get("namespace") else "") + o["metadata"]["name"]
rs_owner = {o["metadata"]["uid"]: o["metadata"]["ownerReferences"][0]["name"] for o in by("ReplicaSet")}
def pod_owner(p):
    refs = p["metadata"].get("ownerReferences") or []
    return rs_owner.get(refs[0]["uid"], "?") if refs else "-"
out = []
for o in sorted(items, key=lambda o: (o["kind"], key(o))):
    if o["kind"] not in ("Pod", "ReplicaSet", "Endpoints"):
        out.append(("object", "%s/%s" % (o["kind"], key(o))))
for d in by("Deployment"):
    n = key(d)
    cs = d["spec"]["template"]["spec"]["containers"]
    out.append(("containers " + n, ",".join(c["name"] for c in cs)))
    out.append(("port53-containers " + n, str(sum(1 for c in cs if any(p.get("containerPort") == 53 for p in c.get("ports", []))))))
    out.append(("replicas " + n, str(d["spec"].get("replicas"))))
pods = by("Pod")
out.append(("pods", ",".join(sorted("%s:%s" % (pod_owner(p), p["metadata"]["name"]) for p in pods))))
bind53 = sorted({pod_owner(p) for p in pods for c in p["spec"]["containers"] for q in c.get("ports", []) if q.get("containerPort") == 53})
out.append(("port53-owners", ",".join(bind53)))
for s in by("Service"):
    n = key(s)
    sel = s["spec"].get("selector") or {}
    out.append(("clusterip " + n, s["spec"].get("clusterIP", "")))
    out.append(("selector " + n, json.dumps(sel, sort_keys=True)))
    chosen = [p for p in pods if sel and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())]
    out.append(("selected-owners " + n, ",".join(sorted({pod_owner(p) for p in chosen}))))
    out.append(("selected-count " + n, str(len(chosen))))
    out.append(("ports " + n, ",".join("%s/%s" % (p["port"], p.get("protocol", "TCP")) for p in s["spec"]["ports"])))
for e in by("Endpoints"):
    names = [a["targetRef"]["name"] for ss in e.get("subsets") or [] for a in ss["addresses"]]
    owners = sorted({n for p in pods for n in [pod_owner(p)] if p["metadata"]["name"] in names})
    out.append(("endpoint-owners " + key(e), ",".join(owners)))
for k, v in out:
    print("%s %s" % (k, v))
PY
}
# st KEY: the value of one line of cluster_state (run `snap` first).
snap() { STATE=$(cluster_state) || die "cluster_state failed"; }
st() { sed -n "s|^$1 ||p" <<<"$STATE" | paste -sd' ' -; }
has() { grep -qx "object $1" <<<"$STATE"; }
assert_object() { has "$1" || die "$1 missing; have: $(grep '^object' <<<"$STATE" | tr '\n' ' ')"; echo "ok - $1 exists"; }
assert_no_object() { ! has "$1" || die "$1 still exists"; echo "ok - $1 is gone"; }

# install_istiocoredns: a cluster as Istio 1.7 left it
install_istiocoredns() {
  timeout 60 kubectl create -f "$DATA/cluster.yaml" >/dev/null || die "create cluster.yaml"
  timeout 60 kubectl create -f "$DATA/istiocoredns-istio-1.7.yaml" >"$T/create.log" 2>&1 ||
    die "create istiocoredns: $(cat "$T/create.log")"
  timeout 60 kubectl -n istio-system rollout status deployment/istiocoredns --timeout=30s >/dev/null ||
    die "istiocoredns not rolled out"
}

# ---- the failure the renaming prevents ----
start_fakeapi before --builtin-kinds
FAKE=before
export KUBECONFIG=$T/before.kubeconfig
install_istiocoredns
kubectl kustomize "$REPO/conf/kubernetes" >"$T/ours.yaml" || die "kubectl kustomize"
# the manifests before the renaming: Deployment istiocoredns, pods app: istiocoredns
$PY - "$T/ours.yaml" >"$T/old-ours.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    if d["kind"] == "Deployment":
        d["metadata"]["name"] = "istiocoredns"
        d["spec"]["selector"]["matchLabels"] = {"app": "istiocoredns"}
        d["spec"]["template"]["metadata"]["labels"]["app"] = "istiocoredns"
yaml.safe_dump_all([d for d in docs if d["kind"] == "Deployment"], sys.stdout)
PY
out=$(timeout 60 kubectl apply -f "$T/old-ours.yaml" 2>&1) || die "apply old manifests: $out"
assert_contains "$out" "missing the kubectl.kubernetes.io/last-applied-configuration annotation" \
  "kubectl patches the installer's Deployment it never applied"
snap
assert_eq "$(st 'containers istio-system/istiocoredns')" "dnsd,coredns,istio-coredns-plugin" \
  "control: a Deployment named istiocoredns merges dnsd in beside the old containers"
assert_eq "$(st 'port53-containers istio-system/istiocoredns')" 2 "control: two containers of one pod on port 53"

# ---- the migration, as the README writes it ----
start_fakeapi mesh --builtin-kinds
FAKE=mesh
export KUBECONFIG=$T/mesh.kubeconfig
install_istiocoredns
snap
ip0=$(st 'clusterip istio-system/istiocoredns')
assert_match "$ip0" '^10\.96\.[0-9]+\.[0-9]+$' "the Service istiocoredns has a ClusterIP"
assert_eq "$(st 'selected-owners istio-system/istiocoredns')" istiocoredns "before: the Service selects istiocoredns's pods"

mkdir -p "$T/work" && ln -s "$REPO/conf" "$T/work/conf"
# run_block NAME: README's <!-- migration:NAME --> block as one bash -eu
# script in a scratch directory, without the lines that need a real cluster.
run_block() {
  $PY - "$REPO/README.md" "$1" >"$T/block-$1.sh" <<'PY' || die "README has no migration:$1 block"
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"<!-- migration:%s -->\s*```sh\n(.*?)```" % re.escape(sys.argv[2]), text, re.S)
if not m:
    sys.exit(1)
print("set -euo pipefail")
for line in m.group(1).splitlines():
    if re.search(r"(^|\s)(dig|kubectl run)\s", line):
        print("# needs a real cluster: " + line)
    else:
        print(line)
PY
  echo "# README step $1:"; grep -v '^set ' "$T/block-$1.sh" | sed 's/^/#   /'
  local t0=$(date +%s%N)
  (cd "$T/work" && PATH=$PATH timeout 120 bash -x "$T/block-$1.sh") >"$T/block-$1.log" 2>&1 ||
    die "README step $1 failed: $(cat "$T/block-$1.log")"
  echo "ok - README step $1 ran ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
  snap
}

run_block inspect
[ -s "$T/work/istiocoredns-backup.yaml" ] && grep -q 'name: istiocoredns' "$T/work/istiocoredns-backup.yaml" ||
  die "no backup of the istiocoredns objects"
grep -q 'name: istio-istiocoredns-role-binding-istio-system' "$T/work/istiocoredns-backup-cluster.yaml" ||
  die "no backup of the cluster-scoped objects"
echo "ok - inspect: the objects are saved"

check_deployed() {
  assert_eq "$(st 'containers istio-system/dnsd')" dnsd "deploy: Deployment dnsd runs dnsd alone"
  assert_eq "$(st 'containers istio-system/istiocoredns')" "coredns,istio-coredns-plugin" "deploy: istiocoredns's Deployment untouched"
  assert_eq "$(st 'replicas istio-system/dnsd')" 2 "deploy: 2 replicas"
  for o in ConfigMap/istio-system/dnsd ServiceAccount/istio-system/dnsd ClusterRole/dnsd ClusterRoleBinding/dnsd \
           PodDisruptionBudget/istio-system/dnsd PriorityClass/dnsd ConfigMap/istio-system/coredns \
           ServiceAccount/istio-system/istiocoredns-service-account ClusterRole/istiocoredns; do
    assert_object "$o"
  done
}
run_block deploy
check_deployed
assert_eq "$(st 'selected-owners istio-system/istiocoredns')" istiocoredns "deploy: the Service still selects istiocoredns"
assert_eq "$(st 'clusterip istio-system/istiocoredns')" "$ip0" "deploy: ClusterIP unchanged"

check_switched() {
  assert_eq "$(st 'clusterip istio-system/istiocoredns')" "$ip0" "switch: the Service keeps its ClusterIP"
  assert_eq "$(st 'selector istio-system/istiocoredns')" '{"app": "dnsd"}' "switch: selector app: dnsd"
  assert_eq "$(st 'selected-owners istio-system/istiocoredns')" dnsd "switch: the Service selects dnsd's pods only"
  assert_eq "$(st 'selected-count istio-system/istiocoredns')" 2 "switch: both of them"
  assert_eq "$(st 'endpoint-owners istio-system/istiocoredns')" dnsd "switch: its endpoints are dnsd's pods"
  assert_eq "$(st 'ports istio-system/istiocoredns')" "53/UDP,53/TCP,9153/TCP" "switch: ports 53/UDP, 53/TCP and 9153"
}
run_block switch
check_switched
assert_contains "$(cat "$T/block-switch.log")" "service/istiocoredns configured" "switch: kubectl patched the Service"

run_block rollback
assert_eq "$(st 'selected-owners istio-system/istiocoredns')" istiocoredns "rollback: the Service selects istiocoredns again"
assert_eq "$(st 'endpoint-owners istio-system/istiocoredns')" istiocoredns "rollback: its endpoints are istiocoredns's pods"
assert_eq "$(st 'clusterip istio-system/istiocoredns')" "$ip0" "rollback: ClusterIP unchanged"
assert_no_object Deployment/istio-system/dnsd
assert_no_object ConfigMap/istio-system/dnsd
assert_no_object ClusterRole/dnsd
assert_object Service/istio-system/istiocoredns
assert_eq "$(st port53-owners)" istiocoredns "rollback: only istiocoredns binds 53"

run_block deploy
check_deployed
run_block switch
check_switched

run_block stop
assert_eq "$(st 'replicas istio-system/istiocoredns')" 0 "stop: istiocoredns scaled to 0"
assert_no_object HorizontalPodAutoscaler/istio-system/istiocoredns
assert_eq "$(st port53-owners)" dnsd "stop: only dnsd's pods declare port 53"

run_block cleanup
for o in Deployment/istio-system/istiocoredns ConfigMap/istio-system/coredns \
         ServiceAccount/istio-system/istiocoredns-service-account PodDisruptionBudget/istio-system/istiocoredns \
         ClusterRoleBinding/istio-istiocoredns-role-binding-istio-system ClusterRole/istiocoredns; do
  assert_no_object "$o"
done
assert_object ConfigMap/kube-system/coredns
assert_object Deployment/istio-system/dnsd
check_switched
assert_eq "$(st port53-owners)" dnsd "in the end: nothing but dnsd binds 53"
assert_not_contains "$(st pods)" "istiocoredns:" "in the end: no istiocoredns pod"
