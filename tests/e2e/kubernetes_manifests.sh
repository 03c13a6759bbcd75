#!/usr/bin/env bash
# conf/kubernetes/ drops dnsd into Istio's istiocoredns slot: what
# `kubectl kustomize` makes of it parses, the security properties hold
# (non-root, read-only root, only NET_BIND_SERVICE, RBAC limited to reading
# ServiceEntries), no object but the Service has a name istiocoredns's chart
# uses, the image comes from kustomization.yaml's images:, the grace period
# fits lameduck and drain, the optional autoscaling component renders, the
# ConfigMap's dnsd.yaml passes `dnsd -t`, and kubectl accepts the objects.
. "$(dirname "$0")/lib.sh"

dir=$REPO/conf/kubernetes
command -v kubectl >/dev/null || skip "no kubectl (kubectl kustomize renders the manifests)"
export HOME=$T/home   # kubectl caches discovery under $HOME/.kube
# an empty kubeconfig: kubectl must never reach a real cluster from here
printf 'apiVersion: v1\nkind: Config\n' >"$T/kubeconfig"
export KUBECONFIG=$T/kubeconfig
kubectl kustomize "$dir" >"$T/rendered.yaml" || die "kubectl kustomize $dir failed"
# the autoscaling component, switched on as the comment in kustomization.yaml says
mkdir -p "$T/with-hpa"
cp -r "$dir"/. "$T/with-hpa/"
sed 's|^# components:|components:|; s|^#   - autoscaling|  - autoscaling|' "$dir/kustomization.yaml" >"$T/with-hpa/kustomization.yaml"
kubectl kustomize "$T/with-hpa" >"$T/rendered-hpa.yaml" || die "kubectl kustomize with the autoscaling component failed"
$PY - "$T/rendered.yaml" "$T" "$T/rendered-hpa.yaml" <<'PY' || die "manifest checks failed"
import os, sys, yaml
rendered, tmp, rendered_hpa = sys.argv[1], sys.argv[2], sys.argv[3]
docs = []
for doc in yaml.safe_load_all(open(rendered)):
    if doc is not None:
        assert "apiVersion" in doc and "kind" in doc and "metadata" in doc, doc
        docs.append(doc)
kinds = {}
for doc in docs:
    kinds.setdefault(doc["kind"], []).append(doc)
print("ok - %d documents parse: %s" % (len(docs), ", ".join(sorted(kinds))))
def one(kind):
    assert len(kinds.get(kind, [])) == 1, "want exactly one %s, have %d" % (kind, len(kinds.get(kind, [])))
    return kinds[kind][0]
def ok(cond, what):
    assert cond, what
    print("ok - " + what)

for doc in docs:
    if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding", "PriorityClass"):
        assert doc["metadata"].get("namespace") == "istio-system", "%s not in istio-system" % doc["kind"]
print("ok - namespaced objects are in istio-system")
# the names Istio's istiocoredns chart (1.1-1.7) gives its objects: only the
# Service may share one, to keep its ClusterIP
chart = {("Deployment", "istiocoredns"), ("ConfigMap", "coredns"), ("ServiceAccount", "istiocoredns-service-account"),
         ("ClusterRole", "istiocoredns"), ("ClusterRoleBinding", "istio-istiocoredns-role-binding-istio-system"),
         ("HorizontalPodAutoscaler", "istiocoredns"), ("PodDisruptionBudget", "istiocoredns")}
clash = [(d["kind"], d["metadata"]["name"]) for d in docs if (d["kind"], d["metadata"]["name"]) in chart]
ok(not clash, "no object but the Service has a name of istiocoredns's chart (%s)" % clash)
ok(all(d["metadata"]["name"] == "dnsd" for d in docs if d["kind"] != "Service"), "every object but the Service is named dnsd")

dep = one("Deployment")
spec = dep["spec"]["template"]["spec"]
ok(dep["spec"]["replicas"] == 2, "Deployment: 2 replicas")
labels = dep["spec"]["template"]["metadata"]["labels"]
ok(all(labels.get(k) == v for k, v in dep["spec"]["selector"]["matchLabels"].items()), "Deployment: selector matches the pod labels")
psc = spec.get("securityContext", {})
ok(psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, "pod: runAsNonRoot, non-zero runAsUser")
ok(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod: seccomp RuntimeDefault")
sysctls = {s["name"]: s["value"] for s in psc.get("sysctls", [])}
ok(int(sysctls.get("net.ipv4.ip_unprivileged_port_start", 1024)) <= 53, "pod: port 53 bindable without root")
ok(spec.get("serviceAccountName") == "dnsd", "pod: runs as ServiceAccount dnsd")
ok(labels.get("app") == "dnsd" and dep["spec"]["selector"]["matchLabels"].get("app") == "dnsd",
   "pods labelled app: dnsd (never counted as istiocoredns's)")
ok(spec.get("priorityClassName") == one("PriorityClass")["metadata"]["name"], "pod: priorityClassName is the PriorityClass shipped")
ok(spec.get("terminationGracePeriodSeconds", 30) >= 5 + 2 + 3, "pod: grace period covers lameduck (5 s) and drain (2 s)")
anti = spec.get("affinity", {}).get("podAntiAffinity", {})
terms = anti.get("requiredDuringSchedulingIgnoredDuringExecution", []) + \
        [t["podAffinityTerm"] for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])]
ok(any(t.get("topologyKey") == "kubernetes.io/hostname" and
       all(labels.get(k) == v for k, v in t["labelSelector"]["matchLabels"].items()) for t in terms),
   "pod: anti-affinity spreads replicas over nodes")
assert len(spec["containers"]) == 1
c = spec["containers"][0]
ok(c["image"] == "localhost/dnsd:latest", "container: image set by kustomization.yaml images:")
sc = c.get("securityContext", {})
ok(sc.get("readOnlyRootFilesystem") is True, "container: readOnlyRootFilesystem")
ok(sc.get("allowPrivilegeEscalation") is False, "container: no privilege escalation")
ok(sc.get("privileged") in (None, False), "container: not privileged")
ok(sc.get("capabilities", {}).get("drop") == ["ALL"], "container: drops ALL capabilities")
ok(sc.get("capabilities", {}).get("add") == ["NET_BIND_SERVICE"], "container: adds only NET_BIND_SERVICE")
res = c.get("resources", {})
ok(all(k in res.get("requests", {}) for k in ("cpu", "memory")) and "memory" in res.get("limits", {}),
   "container: cpu/memory requests and a memory limit")
for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
    g = c.get(probe, {}).get("httpGet", {})
    ok(g.get("path") == path and g.get("port") == 8080, "container: %s GET %s on 8080" % (probe, path))
ports = {(p["containerPort"], p.get("protocol", "TCP")) for p in c["ports"]}
ok({(53, "UDP"), (53, "TCP"), (9153, "TCP"), (8080, "TCP")} <= ports, "container: ports 53/udp, 53/tcp, 9153, 8080")
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
ok("/etc/dnsd" in mounts and mounts["/etc/dnsd"].get("readOnly") is True, "container: config mounted read-only at /etc/dnsd")
vol = {v["name"]: v for v in spec["volumes"]}[mounts["/etc/dnsd"]["name"]]
cm = one("ConfigMap")
ok(vol.get("configMap", {}).get("name") == cm["metadata"]["name"], "volume comes from the ConfigMap")
ok(c.get("args", ["-c", "/etc/dnsd/dnsd.yaml"])[-2:] == ["-c", "/etc/dnsd/dnsd.yaml"], "container: reads /etc/dnsd/dnsd.yaml")

conf = yaml.safe_load(cm["data"]["dnsd.yaml"])
srcs = conf.get("kubernetes", [])
ok(any(s.get("in-cluster") is True for s in srcs), "ConfigMap: an in-cluster Kubernetes source")
ok(any(z.get("kubernetes") for z in conf["zones"] if z["name"] == "global"), "ConfigMap: zone global fed by it")
listen = conf["health"]["listen"]
ok(listen.endswith(":8080") and conf["metrics"]["listen"].endswith(":9153"), "ConfigMap: health on 8080, metrics on 9153")
ok(any(a.endswith(":53") for a in conf["listen"]), "ConfigMap: DNS on port 53")
# last known state: state-dir on a writable emptyDir (README "Last known state")
sd = conf.get("state-dir")
ok(sd in mounts and not mounts[sd].get("readOnly"), "ConfigMap: state-dir %s is a writable mount" % sd)
ok("emptyDir" in {v["name"]: v for v in spec["volumes"]}[mounts[sd]["name"]],
   "... of an emptyDir (survives container restarts in the pod)")
os.makedirs(os.path.join(tmp, "etc-dnsd"), exist_ok=True)
for k, v in cm["data"].items():
    open(os.path.join(tmp, "etc-dnsd", k), "w").write(v)

svc = one("Service")
ok(svc["metadata"]["name"] == "istiocoredns", "Service is named istiocoredns")
ok("clusterIP" not in svc["spec"], "Service: no clusterIP (the existing one stays)")
ok(list(svc["spec"]["selector"]) == ["app"], "Service: selector key app, as istiocoredns's (a patch replaces its value)")
ok(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "Service selects the pods")
sp = {(p["port"], p.get("protocol", "TCP")): p for p in svc["spec"]["ports"]}
ok(all(sp.get((53, proto), {}).get("targetPort", 53) == 53 for proto in ("UDP", "TCP")),
   "Service: 53/UDP and 53/TCP to targetPort 53 (the default: the port)")
ok((9153, "TCP") in sp, "Service: 9153 metrics")

sa = one("ServiceAccount")
role = one("ClusterRole")
ok(role["rules"] == [{"apiGroups": ["networking.istio.io"], "resources": ["serviceentries"],
                      "verbs": ["get", "list", "watch"]}],
   "ClusterRole: only get/list/watch on serviceentries.networking.istio.io")
crb = one("ClusterRoleBinding")
ok(crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
   "ClusterRoleBinding: refers to the ClusterRole")
ok(crb["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": "istio-system"}],
   "ClusterRoleBinding: binds only the ServiceAccount")
pdb = one("PodDisruptionBudget")
ok(pdb["apiVersion"] == "policy/v1" and all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items())
   and (pdb["spec"].get("minAvailable", 0) >= 1 or "maxUnavailable" in pdb["spec"]),
   "PodDisruptionBudget: keeps a replica up")
hpa = [d for d in yaml.safe_load_all(open(rendered_hpa)) if d and d["kind"] == "HorizontalPodAutoscaler"]
ok(len(hpa) == 1 and hpa[0]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "dnsd"}
   and hpa[0]["spec"]["minReplicas"] >= 2 and hpa[0]["spec"]["metrics"][0]["resource"]["name"] == "cpu",
   "autoscaling component: an HPA on dnsd's CPU, never below 2 replicas")
PY

out=$("$DNSD_BIN" -t -c "$T/etc-dnsd/dnsd.yaml" 2>&1) || die "ConfigMap dnsd.yaml fails dnsd -t: $out"
echo "ok - ConfigMap's dnsd.yaml and zone pass dnsd -t"

# --local decodes every object with kubectl's own builder, with no server
out=$(kubectl label --local -f "$T/rendered.yaml" --dry-run=client -o name checked=yes 2>&1) ||
  die "kubectl cannot decode the manifests: $out"
assert_eq "$(wc -l <<<"$out")" 8 "kubectl decodes all 8 objects offline"

# apply --dry-run=client needs API discovery and a GET of each object: the
# fake API server (--builtin-kinds) has none of them, so kubectl plans creates.
. "$E2E_DIR/k8s.bash"
start_fakeapi mesh-1 --builtin-kinds
out=$(timeout 30 kubectl --kubeconfig "$T/mesh-1.kubeconfig" apply --dry-run=client -k "$dir" 2>&1) ||
  die "kubectl apply --dry-run=client -k: $out"
echo "$out"
assert_eq "$(grep -c 'created (dry run)$' <<<"$out")" 8 "kubectl apply --dry-run=client -k plans all 8 objects"
for k in deployment.apps/dnsd service/istiocoredns serviceaccount/dnsd clusterrole.rbac.authorization.k8s.io/dnsd \
         clusterrolebinding.rbac.authorization.k8s.io/dnsd poddisruptionbudget.policy/dnsd configmap/dnsd \
         priorityclass.scheduling.k8s.io/dnsd; do
  assert_contains "$out" "$k" "kubectl maps $k"
done
