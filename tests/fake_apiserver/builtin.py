"""builtin.py - the built-in Kubernetes kinds for fakeapi.py (--builtin-kinds):
enough of kube-apiserver for `kubectl apply`, `get`, `delete`, `patch`,
`scale` and `rollout status` on the objects an istiocoredns install and
dnsd's manifests are made of, so that a migration can be rehearsed with the
real kubectl.

What it does as the apiserver does:
  * discovery for core/v1, apps/v1, rbac.authorization.k8s.io/v1, policy/v1,
    autoscaling/v2 and scheduling.k8s.io/v1, namespaced and cluster-scoped;
  * create (POST; 409 AlreadyExists; resourceVersion must not be set; the
    namespace must exist), get,
    list (labelSelector with =, ==, !=, in, notin, exists, !key;
    fieldSelector metadata.name / metadata.namespace), replace (PUT, with
    resourceVersion preconditions: 409 Conflict), delete (DELETE with
    DeleteOptions; owned objects are garbage-collected), and watch (chunked
    ADDED/MODIFIED/DELETED events from a resourceVersion);
  * PATCH as application/strategic-merge-patch+json (the patch meta of the
    Go types for the fields these kinds use: containers, env, volumes by
    name, container ports by containerPort, Service ports by port,
    volumeMounts by mountPath ...; $patch: delete/replace/merge,
    $setElementOrder/, $retainKeys, $deleteFromPrimitiveList/),
    application/merge-patch+json (RFC 7386) and application/json-patch+json
    (RFC 6902); server-side apply is refused with 415;
  * metadata: uid, creationTimestamp, generation (bumped when spec changes),
    resourceVersion (one counter for every kind);
  * Services get a ClusterIP from 10.96.0.0/16 that never changes: a patch or
    update that tries is 422 Invalid ("field is immutable"), and one that
    leaves it out keeps it; targetPort defaults to port;
  * Table output (Name and Created At, as for kinds without printer columns)
    when kubectl asks for it.

A stand-in for the controllers, since nothing runs here: a Deployment gets a
ReplicaSet per pod template (pod-template-hash) and spec.replicas Running,
Ready pods with addresses from 10.244.0.0/16, old ReplicaSets are scaled to
0, and the Deployment's status says it is rolled out, at once. Endpoints
are computed from the Services' selectors and those pods on every read. The
scale subresource (GET, PUT, PATCH) of Deployments changes spec.replicas.
Schemas are not validated (that is not what is under test): kubectl's
--validate=false, or the server-side field validation kubectl asks for,
accepts whatever it is given.
Only the Python standard library is used.
"""

import copy
import datetime
import hashlib
import json
import re
import threading
import time
import uuid

# group -> (version, [(resource, kind, namespaced, shortnames)])
KINDS = {
    "": ("v1", [("configmaps", "ConfigMap", True, ["cm"]), ("services", "Service", True, ["svc"]),
                ("serviceaccounts", "ServiceAccount", True, ["sa"]),
                ("namespaces", "Namespace", False, ["ns"]), ("pods", "Pod", True, ["po"]),
                ("endpoints", "Endpoints", True, ["ep"])]),
    "apps": ("v1", [("deployments", "Deployment", True, ["deploy"]),
                    ("replicasets", "ReplicaSet", True, ["rs"])]),
    "rbac.authorization.k8s.io": ("v1", [("clusterroles", "ClusterRole", False, []),
                                         ("clusterrolebindings", "ClusterRoleBinding", False, []),
                                         ("roles", "Role", True, []),
                                         ("rolebindings", "RoleBinding", True, [])]),
    "policy": ("v1", [("poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"])]),
    "autoscaling": ("v2", [("horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ["hpa"])]),
    "scheduling.k8s.io": ("v1", [("priorityclasses", "PriorityClass", False, ["pc"])]),
}


def kind_info(group, resource):
    for name, kind, namespaced, _short in KINDS.get(group, ("", []))[1]:
        if name == resource:
            return kind, namespaced
    return None, None


def api_version(group):
    ver = KINDS[group][0]
    return group + "/" + ver if group else ver


def resources_doc(group):
    ver, res = KINDS[group]
    out = []
    for name, kind, namespaced, short in res:
        verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        if name == "endpoints":
            verbs = ["get", "list", "watch"]
        r = {"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
             "verbs": verbs}
        if short:
            r["shortNames"] = short
        out.append(r)
        if name == "deployments":
            out.append({"name": "deployments/scale", "singularName": "", "namespaced": True,
                        "group": "autoscaling", "version": "v1", "kind": "Scale",
                        "verbs": ["get", "patch", "update"]})
            out.append({"name": "deployments/status", "singularName": "", "namespaced": True,
                        "kind": "Deployment", "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "groupVersion": api_version(group), "resources": out}


def now_ts():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------- patches ----------

class PatchError(Exception):
    pass


# patchMergeKey of the list fields these kinds have (the Go types' struct
# tags); a list field not named here is atomic: a patch replaces it.
def merge_key(path):
    last = path[-1] if path else ""
    if last in ("containers", "initContainers", "ephemeralContainers", "env", "volumes",
                "imagePullSecrets", "resourceClaims"):
        return "name"
    if last == "ports":
        return "port" if path == ["spec", "ports"] else "containerPort"
    if last == "volumeMounts":
        return "mountPath"
    if last == "volumeDevices":
        return "devicePath"
    if last == "hostAliases":
        return "ip"
    if last == "conditions":
        return "type"
    if last == "ownerReferences":
        return "uid"
    if last == "topologySpreadConstraints":
        return "topologyKey"
    return None


# primitive lists with patchStrategy merge
MERGED_PRIMITIVES = {("metadata", "finalizers")}


def _key_of(item, key):
    return item.get(key) if isinstance(item, dict) else item


def _index(items, item, key):
    want = _key_of(item, key)
    for i, v in enumerate(items):
        if _key_of(v, key) == want:
            return i
    return -1


def _merge_sorted(left, right, server_order, key):
    """apimachinery's mergeSortedSlice: server-only items (left) slotted into
    the patch's (right) where the live order puts them."""
    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li, ri = _index(server_order, left[i], key), _index(server_order, right[j], key)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _normalize(merged, patch_order, server_order, key):
    """normalizeElementOrder: the items the patch names in its order, the
    others in the live order, interleaved."""
    in_patch = [m for m in merged if _index(patch_order, m, key) >= 0]
    server_only = [m for m in merged if _index(patch_order, m, key) < 0]
    in_patch.sort(key=lambda m: _index(patch_order, m, key))
    server_only.sort(key=lambda m: (_index(server_order, m, key) < 0, _index(server_order, m, key)))
    return _merge_sorted(server_only, in_patch, server_order, key)


def _merge_list(orig, patch, path, order):
    """mergeSlice (and, with order, mergePatchIntoOriginal's
    $setElementOrder) of k8s.io/apimachinery/pkg/util/strategicpatch."""
    key = merge_key(path)
    if key is None and tuple(path) not in MERGED_PRIMITIVES:
        return copy.deepcopy(patch)      # no merge strategy: the patch replaces the list
    if key is None:
        merged = list(orig)
        for v in patch:
            if v not in merged:
                merged.append(v)
        merged = _normalize(merged, patch, orig, None)
        return _normalize(merged, order, orig, None) if order is not None else merged
    cur = [copy.deepcopy(o) for o in orig]
    plain, replace = [], False
    for p in patch:
        if not isinstance(p, dict):
            raise PatchError("%s: a list with merge key %s holds a %s"
                             % (".".join(path), key, type(p).__name__))
        d = p.get("$patch")
        if d is None:
            plain.append(p)
        elif d == "delete":
            if key not in p:
                raise PatchError("map: %s does not contain declared merge key: %s" % (p, key))
            cur = [o for o in cur if _key_of(o, key) != p[key]]
        elif d == "replace":
            replace = True
        elif d == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError("Unknown patch type: %s in map: %s" % (d, p))
    if replace:
        cur, plain = [copy.deepcopy(p) for p in plain], []
    server_order = list(cur)
    merged = list(cur)
    for p in plain:
        if key not in p:
            raise PatchError("map: %s does not contain declared merge key: %s" % (p, key))
        idx = _index(merged, p, key)
        if idx >= 0:
            merged[idx] = _merge_map(merged[idx], p, path)
        else:
            merged.append(copy.deepcopy(p))
    merged = _normalize(merged, plain, server_order, key)
    if order is not None:
        merged = _normalize(merged, order, orig, key)
    return merged


def _merge_map(orig, patch, path):
    if not isinstance(orig, dict):
        orig = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    out = copy.deepcopy(orig)
    retain = patch.get("$retainKeys")
    if retain is not None:
        out = {k: v for k, v in out.items() if k in retain}
    orders = {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            orders[k[len("$setElementOrder/"):]] = v
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys") or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k[len("$deleteFromPrimitiveList/"):]
            if isinstance(out.get(f), list):
                out[f] = [e for e in out[f] if e not in v]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            merged = _merge_map(out.get(k), v, path + [k])
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, list):
            cur = out.get(k)
            if isinstance(cur, list):
                out[k] = _merge_list(cur, v, path + [k], orders.get(k))
            else:
                out[k] = _merge_list([], v, path + [k], orders.get(k))
        else:
            out[k] = v
    for k, order in orders.items():
        if k not in patch and isinstance(out.get(k), list) and merge_key(path + [k]):
            out[k] = _normalize(out[k], order, out[k], merge_key(path + [k]))
    return out


def strategic_merge(orig, patch):
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    return _merge_map(orig, patch, [])


def json_merge(orig, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(orig) if isinstance(orig, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = json_merge(out.get(k), v)
    return out


def _pointer(doc, ptr):
    if ptr == "":
        return None, None
    if not ptr.startswith("/"):
        raise PatchError("bad JSON pointer %r" % ptr)
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ptr[1:].split("/")]
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    return cur, parts[-1]


def json_patch(orig, ops):
    """RFC 6902."""
    doc = copy.deepcopy(orig)
    if not isinstance(ops, list):
        raise PatchError("a JSON patch is a list of operations")
    try:
        for op in ops:
            kind = op.get("op")
            parent, last = _pointer(doc, op.get("path", ""))
            if kind in ("add", "replace"):
                val = copy.deepcopy(op["value"])
                if isinstance(parent, list):
                    if last == "-":
                        parent.append(val)
                    elif kind == "add":
                        parent.insert(int(last), val)
                    else:
                        parent[int(last)] = val
                else:
                    if kind == "replace" and last not in parent:
                        raise PatchError("replace operation does not apply: doc is missing path: %s"
                                         % op["path"])
                    parent[last] = val
            elif kind == "remove":
                if isinstance(parent, list):
                    del parent[int(last)]
                else:
                    if last not in parent:
                        raise PatchError("remove operation does not apply: doc is missing path: %s"
                                         % op["path"])
                    del parent[last]
            elif kind == "test":
                cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
                if cur != op.get("value"):
                    raise PatchError("testing value %s failed" % op["path"])
            else:
                raise PatchError("unsupported JSON patch op %r" % kind)
    except (KeyError, IndexError, ValueError, TypeError) as e:
        raise PatchError("JSON patch does not apply: %s" % e)
    return doc


# ---------- selectors ----------

def parse_label_selector(text):
    """Requirements (key, op, values) of a label selector as kubectl sends it."""
    reqs = []
    if not text:
        return reqs
    parts = re.findall(r'(?:[^,(]|\([^)]*\))+', text)
    for p in parts:
        p = p.strip()
        m = re.match(r'^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$', p)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",") if v.strip()]))
            continue
        m = re.match(r'^([\w./-]+)\s*(==|!=|=)\s*([\w./-]*)$', p)
        if m:
            reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", [m.group(3)]))
            continue
        m = re.match(r'^(!?)([\w./-]+)$', p)
        if m:
            reqs.append((m.group(2), "!exists" if m.group(1) else "exists", []))
            continue
        raise PatchError("unable to parse requirement: %r" % p)
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for key, op, vals in reqs:
        have = key in labels
        v = labels.get(key)
        if op == "=" and not (have and v == vals[0]):
            return False
        if op == "!=" and have and v == vals[0]:
            return False
        if op == "in" and not (have and v in vals):
            return False
        if op == "notin" and have and v in vals:
            return False
        if op == "exists" and not have:
            return False
        if op == "!exists" and have:
            return False
    return True


def selector_match(selector, labels):
    """A Service's map selector or a matchLabels / matchExpressions selector."""
    if not selector:
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        for k, v in (selector.get("matchLabels") or {}).items():
            if (labels or {}).get(k) != v:
                return False
        for e in selector.get("matchExpressions") or []:
            op = {"In": "in", "NotIn": "notin", "Exists": "exists",
                  "DoesNotExist": "!exists"}[e["operator"]]
            if not labels_match(labels, [(e["key"], op, e.get("values") or [])]):
                return False
        return True
    return all((labels or {}).get(k) == v for k, v in selector.items())


# ---------- the store ----------

class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


def not_found(group, resource, name):
    return ApiError(404, "NotFound", '%s%s "%s" not found'
                    % (resource, "." + group if group else "", name),
                    {"name": name, "group": group, "kind": resource})


class Objects:
    """Every built-in object, one resourceVersion counter, a bounded event
    history for watches. Lock: self.lock (a Condition) around everything."""

    def __init__(self, history=10000):
        self.lock = threading.Condition()
        self.rv = 500000
        self.objs = {}        # (group, resource, ns, name) -> object dict
        self.events = []      # (rv, type, group, resource, object)
        self.history = history
        self.next_ip = 10
        self.next_pod_ip = 2

    # -- helpers (lock held) --
    def _stamp(self, obj):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        return self.rv

    def _event(self, typ, group, resource, obj):
        self.events.append((self.rv, typ, group, resource, copy.deepcopy(obj)))
        if len(self.events) > self.history:
            del self.events[:len(self.events) - self.history]
        self.lock.notify_all()

    def _put_new(self, group, resource, ns, obj):
        md = obj["metadata"]
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_ts()
        if resource not in ("pods", "configmaps", "serviceaccounts", "endpoints", "namespaces"):
            md["generation"] = 1
        if ns is not None:
            md["namespace"] = ns
        self._stamp(obj)
        self.objs[(group, resource, ns, md["name"])] = obj
        self._event("ADDED", group, resource, obj)

    def _put_old(self, group, resource, ns, old, obj):
        md = obj["metadata"]
        omd = old["metadata"]
        md["uid"] = omd["uid"]
        md["creationTimestamp"] = omd["creationTimestamp"]
        if "generation" in omd:
            md["generation"] = omd["generation"] + (1 if obj.get("spec") != old.get("spec") else 0)
        if ns is not None:
            md["namespace"] = ns
        if obj == old:
            return old          # a no-op update changes nothing, not even the resourceVersion
        self._stamp(obj)
        self.objs[(group, resource, ns, md["name"])] = obj
        self._event("MODIFIED", group, resource, obj)
        return obj

    def _delete(self, group, resource, ns, name):
        obj = self.objs.pop((group, resource, ns, name), None)
        if obj is None:
            return None
        self._stamp(obj)
        self._event("DELETED", group, resource, obj)
        # garbage collection: whatever this object owned goes too
        uid = obj["metadata"]["uid"]
        for key, o in list(self.objs.items()):
            refs = o["metadata"].get("ownerReferences") or []
            if any(r.get("uid") == uid for r in refs) and key in self.objs:
                self._delete(*key)
        return obj

    # -- admission: defaults and immutable fields (lock held) --
    def _admit(self, group, resource, ns, obj, old):
        spec = obj.get("spec")
        if resource == "services" and isinstance(spec, dict):
            if old is not None:
                oip = old["spec"].get("clusterIP")
                nip = spec.get("clusterIP")
                if nip in (None, "") and oip:
                    spec["clusterIP"] = oip
                    spec["clusterIPs"] = old["spec"].get("clusterIPs", [oip])
                elif nip != oip:
                    raise ApiError(422, "Invalid", 'Service "%s" is invalid: spec.clusterIPs[0]: '
                                   'Invalid value: []string{"%s"}: may not change once set'
                                   % (obj["metadata"]["name"], nip),
                                   {"name": obj["metadata"]["name"], "kind": "Service",
                                    "causes": [{"reason": "FieldValueInvalid",
                                                "message": "Invalid value: ...: field is immutable",
                                                "field": "spec.clusterIP"}]})
            elif spec.get("type", "ClusterIP") != "ExternalName" and not spec.get("clusterIP"):
                ip = "10.96.%d.%d" % (self.next_ip // 250, self.next_ip % 250 + 1)
                self.next_ip += 1
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            for p in spec.get("ports") or []:
                p.setdefault("protocol", "TCP")
                p.setdefault("targetPort", p.get("port"))
        if resource == "deployments" and isinstance(spec, dict):
            spec.setdefault("replicas", 1)
            if old is not None and old["spec"].get("selector") != spec.get("selector"):
                raise ApiError(422, "Invalid", 'Deployment.apps "%s" is invalid: spec.selector: '
                               'Invalid value: ...: field is immutable' % obj["metadata"]["name"],
                               {"name": obj["metadata"]["name"], "group": "apps",
                                "kind": "Deployment"})

    # -- the fake controllers (lock held) --
    def _reconcile_deployment(self, ns, dep):
        spec = dep.get("spec") or {}
        tmpl = spec.get("template") or {}
        h = hashlib.sha1(json.dumps(tmpl, sort_keys=True).encode()).hexdigest()[:10]
        name = dep["metadata"]["name"]
        want = int(spec.get("replicas", 1))
        rs_name = "%s-%s" % (name, h)
        owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                 "uid": dep["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
        for key, rs in list(self.objs.items()):
            if key[:3] != ("apps", "replicasets", ns):
                continue
            refs = rs["metadata"].get("ownerReferences") or []
            if any(r.get("uid") == dep["metadata"]["uid"] for r in refs) and key[3] != rs_name:
                self._scale_rs(ns, rs, 0)
        rs = self.objs.get(("apps", "replicasets", ns, rs_name))
        if rs is None:
            labels = dict((tmpl.get("metadata") or {}).get("labels") or {})
            labels["pod-template-hash"] = h
            sel = copy.deepcopy(spec.get("selector") or {})
            sel.setdefault("matchLabels", {})["pod-template-hash"] = h
            t = copy.deepcopy(tmpl)
            t.setdefault("metadata", {})["labels"] = labels
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": rs_name, "labels": labels, "ownerReferences": [owner]},
                  "spec": {"replicas": 0, "selector": sel, "template": t}, "status": {"replicas": 0}}
            self._put_new("apps", "replicasets", ns, rs)
        self._scale_rs(ns, rs, want)
        st = {"observedGeneration": dep["metadata"].get("generation", 1), "replicas": want,
              "updatedReplicas": want, "readyReplicas": want, "availableReplicas": want,
              "conditions": [
                  {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                   "message": "Deployment has minimum availability."},
                  {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                   "message": 'ReplicaSet "%s" has successfully progressed.' % rs_name}]}
        if want == 0:
            for k in ("readyReplicas", "availableReplicas", "updatedReplicas"):
                st.pop(k)
        if dep.get("status") != st:
            dep = copy.deepcopy(dep)
            dep["status"] = st
            self._stamp(dep)
            self.objs[("apps", "deployments", ns, name)] = dep
            self._event("MODIFIED", "apps", "deployments", dep)

    def _scale_rs(self, ns, rs, want):
        uid = rs["metadata"]["uid"]
        pods = sorted(k for k, o in self.objs.items() if k[:3] == ("", "pods", ns) and
                      any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or []))
        for key in pods[want:]:
            self._delete(*key)
        tmpl = rs["spec"]["template"]
        for _ in range(len(pods), want):
            ip = "10.244.%d.%d" % (self.next_pod_ip // 250, self.next_pod_ip % 250 + 1)
            self.next_pod_ip += 1
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "%s-%s" % (rs["metadata"]["name"], uuid.uuid4().hex[:5]),
                                "labels": dict(tmpl["metadata"].get("labels") or {}),
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                     "name": rs["metadata"]["name"], "uid": uid,
                                                     "controller": True,
                                                     "blockOwnerDeletion": True}]},
                   "spec": copy.deepcopy(tmpl.get("spec") or {}),
                   "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                              "conditions": [{"type": "Ready", "status": "True"}]}}
            self._put_new("", "pods", ns, pod)
        if rs["spec"].get("replicas") != want or rs["status"].get("replicas") != want:
            rs = copy.deepcopy(rs)
            rs["spec"]["replicas"] = want
            rs["status"] = {"replicas": want, "readyReplicas": want, "availableReplicas": want}
            self._stamp(rs)
            self.objs[("apps", "replicasets", ns, rs["metadata"]["name"])] = rs
            self._event("MODIFIED", "apps", "replicasets", rs)

    def _after_write(self, group, resource, ns, obj):
        if group == "apps" and resource == "deployments":
            self._reconcile_deployment(ns, obj)

    def endpoints(self, ns, name):
        """Endpoints of a Service, computed from the pods its selector picks."""
        svc = self.objs.get(("", "services", ns, name))
        if svc is None:
            return None
        sel = (svc.get("spec") or {}).get("selector")
        addrs = []
        for (g, r, pns, pname), pod in sorted(self.objs.items()):
            if (g, r, pns) == ("", "pods", ns) and selector_match(sel, pod["metadata"].get("labels")):
                addrs.append({"ip": pod["status"]["podIP"], "targetRef": {
                    "kind": "Pod", "namespace": ns, "name": pname, "uid": pod["metadata"]["uid"]}})
        ports = [{"name": p.get("name", ""), "port": p.get("targetPort", p.get("port")),
                  "protocol": p.get("protocol", "TCP")} for p in svc["spec"].get("ports") or []]
        ep = {"apiVersion": "v1", "kind": "Endpoints",
              "metadata": {"name": name, "namespace": ns, "uid": svc["metadata"]["uid"],
                           "creationTimestamp": svc["metadata"]["creationTimestamp"],
                           "resourceVersion": str(self.rv), "labels": svc["metadata"].get("labels", {})}}
        if addrs:
            ep["subsets"] = [{"addresses": addrs, "ports": ports}]
        return ep

    # -- the verbs --
    def get(self, group, resource, ns, name):
        with self.lock:
            if resource == "endpoints":
                ep = self.endpoints(ns, name)
                if ep is None:
                    raise not_found(group, resource, name)
                return ep
            o = self.objs.get((group, resource, ns, name))
            if o is None:
                raise not_found(group, resource, name)
            return copy.deepcopy(o)

    def list(self, group, resource, ns, label_sel, want_name=None):
        reqs = parse_label_selector(label_sel)
        with self.lock:
            if resource == "endpoints":
                items = [self.endpoints(k[2], k[3]) for k in sorted(self.objs)
                         if k[:2] == ("", "services") and (ns is None or k[2] == ns)]
            else:
                items = [copy.deepcopy(o) for k, o in sorted(self.objs.items())
                         if k[:2] == (group, resource) and (ns is None or k[2] == ns)]
            items = [o for o in items if labels_match(o["metadata"].get("labels"), reqs) and
                     (want_name is None or o["metadata"]["name"] == want_name)]
            return items, self.rv

    def create(self, group, resource, ns, obj):
        md = obj.setdefault("metadata", {})
        if md.get("resourceVersion"):
            raise ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created")
        name = md.get("name")
        if not name and md.get("generateName"):
            name = md["generateName"] + uuid.uuid4().hex[:5]
            md["name"] = name
        if not name:
            raise ApiError(422, "Invalid", "metadata.name: Required value: name or generateName is required")
        kind, _ = kind_info(group, resource)
        obj["apiVersion"] = api_version(group)
        obj["kind"] = kind
        with self.lock:
            if (group, resource, ns, name) in self.objs:
                raise ApiError(409, "AlreadyExists", '%s%s "%s" already exists'
                               % (resource, "." + group if group else "", name),
                               {"name": name, "group": group, "kind": resource})
            if ns is not None and ("", "namespaces", None, ns) not in self.objs:
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
            if resource == "namespaces":
                obj["status"] = {"phase": "Active"}
            self._admit(group, resource, ns, obj, None)
            self._put_new(group, resource, ns, obj)
            self._after_write(group, resource, ns, obj)
            return copy.deepcopy(self.objs[(group, resource, ns, name)])

    def update(self, group, resource, ns, name, obj, patch=None):
        """PUT (obj given) or PATCH (patch = (content type, document))."""
        kind, _ = kind_info(group, resource)
        with self.lock:
            old = self.objs.get((group, resource, ns, name))
            if old is None:
                raise not_found(group, resource, name)
            if patch is not None:
                ctype, doc = patch
                try:
                    if ctype == "application/strategic-merge-patch+json":
                        obj = strategic_merge(old, doc)
                    elif ctype == "application/merge-patch+json":
                        obj = json_merge(old, doc)
                    else:
                        obj = json_patch(old, doc)
                except PatchError as e:
                    raise ApiError(422, "Invalid", str(e))
                want_rv = (doc.get("metadata") or {}).get("resourceVersion") if isinstance(doc, dict) else None
            else:
                want_rv = (obj.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s%s "%s": the object '
                               'has been modified; please apply your changes to the latest version '
                               'and try again' % (resource, "." + group if group else "", name),
                               {"name": name, "group": group, "kind": resource})
            obj = copy.deepcopy(obj)
            obj.setdefault("metadata", {})["name"] = name
            obj["apiVersion"] = api_version(group)
            obj["kind"] = kind
            if old.get("status") is not None and patch is None:
                obj["status"] = old["status"]     # status is its own subresource
            self._admit(group, resource, ns, obj, old)
            obj = self._put_old(group, resource, ns, old, obj)
            self._after_write(group, resource, ns, obj)
            return copy.deepcopy(self.objs[(group, resource, ns, name)])

    def scale(self, ns, name, replicas=None):
        with self.lock:
            dep = self.objs.get(("apps", "deployments", ns, name))
            if dep is None:
                raise not_found("apps", "deployments", name)
            if replicas is not None and replicas != dep["spec"].get("replicas"):
                new = copy.deepcopy(dep)
                new["spec"]["replicas"] = replicas
                dep = self._put_old("apps", "deployments", ns, dep, new)
                self._after_write("apps", "deployments", ns, dep)
                dep = self.objs[("apps", "deployments", ns, name)]
            sel = ",".join("%s=%s" % kv for kv in sorted(
                ((dep["spec"].get("selector") or {}).get("matchLabels") or {}).items()))
            return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {"name": name, "namespace": ns, "uid": dep["metadata"]["uid"],
                                 "resourceVersion": dep["metadata"]["resourceVersion"],
                                 "creationTimestamp": dep["metadata"]["creationTimestamp"]},
                    "spec": {"replicas": dep["spec"].get("replicas", 1)},
                    "status": {"replicas": dep["status"].get("replicas", 0), "selector": sel}}

    def delete(self, group, resource, ns, name):
        with self.lock:
            obj = self._delete(group, resource, ns, name)
            if obj is None:
                raise not_found(group, resource, name)
            return obj

    def dump(self):
        """Every object, Endpoints computed, for the tests' own checks."""
        with self.lock:
            out = [copy.deepcopy(o) for _k, o in sorted(self.objs.items(), key=lambda kv: repr(kv[0]))]
            out += [self.endpoints(k[2], k[3]) for k in sorted(self.objs) if k[:2] == ("", "services")]
            return {"items": out}

    def events_after(self, rv):
        return [e for e in self.events if e[0] > rv]

    def oldest_rv(self):
        return self.events[0][0] - 1 if self.events else self.rv


# ---------- HTTP ----------

def go_json(obj):
    s = json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def status_json(code, reason, message, details=None):
    o = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason}
    if details is not None:
        o["details"] = details
    o["code"] = code
    return json.dumps(o, separators=(",", ":"))


def table(items, rv):
    """meta.k8s.io/v1 Table with the apiserver's default columns."""
    rows = []
    for o in items:
        rows.append({"cells": [o["metadata"]["name"], o["metadata"].get("creationTimestamp", "")],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": o["metadata"]}})
    return go_json({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                    "metadata": {"resourceVersion": str(rv)},
                    "columnDefinitions": [
                        {"name": "Name", "type": "string", "format": "name",
                         "description": "Name must be unique within a namespace.", "priority": 0},
                        {"name": "Created At", "type": "date", "format": "",
                         "description": "CreationTimestamp is a timestamp representing the server "
                                        "time when this object was created.", "priority": 0}],
                    "rows": rows})


def handle(h, method, parts, q):
    """Serves one request for a built-in kind. h is fakeapi's Handler (for
    reply(), headers, body, the server and its Objects at h.server.builtin)."""
    store = h.server.builtin
    if parts[:2] == ["openapi", "v3"]:
        return openapi_v3(h, parts[2:])
    if parts[:1] == ["api"]:
        group, ver, rest = "", (parts[1] if len(parts) > 1 else ""), parts[2:]
    else:
        group = parts[1] if len(parts) > 1 else ""
        ver, rest = (parts[2] if len(parts) > 2 else ""), parts[3:]
    if group not in KINDS:
        return h.not_found()
    gver = KINDS[group][0]
    if group and len(parts) == 2:
        gv = {"groupVersion": api_version(group), "version": gver}
        return h.reply(200, json.dumps({"kind": "APIGroup", "apiVersion": "v1", "name": group,
                                        "versions": [gv], "preferredVersion": gv}))
    if ver != gver:
        return h.not_found()
    if not rest:
        return h.reply(200, json.dumps(resources_doc(group)))
    ns = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    resource = rest[0]
    kind, namespaced = kind_info(group, resource)
    if kind is None or (namespaced and ns is None and len(rest) > 1) or (not namespaced and ns):
        return h.not_found()
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if len(rest) > 3 or (sub and (resource, sub) not in (("deployments", "scale"), ("deployments", "status"))):
        return h.not_found()
    try:
        return _serve(h, store, method, group, resource, ns, name, sub, q)
    except ApiError as e:
        return h.reply(e.code, status_json(e.code, e.reason, e.message, e.details))


def openapi_v3(h, gv_parts):
    """OpenAPI v3 discovery (/openapi/v3) and, per group version, the PATCH
    operations with their fieldValidation parameter: what kubectl reads to
    learn that the server validates fields itself (it then sends
    fieldValidation=Strict instead of validating against a schema). No
    schemas: components is empty."""
    gvs = {("api/" if not g else "apis/" + g + "/") + v if g else "api/" + v: g
           for g, (v, _r) in KINDS.items()}
    if not gv_parts:
        paths = {gv: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (
            gv, hashlib.sha1(gv.encode()).hexdigest().upper())} for gv in sorted(gvs)}
        return h.reply(200, json.dumps({"paths": paths}))
    gv = "/".join(gv_parts)
    if gv not in gvs:
        return h.not_found()
    group = gvs[gv]
    ver, res = KINDS[group]
    paths = {}
    for name, kind, namespaced, _short in res:
        base = "/" + gv + ("/namespaces/{namespace}" if namespaced else "") + "/" + name + "/{name}"
        paths[base] = {"patch": {
            "x-kubernetes-group-version-kind": {"group": group, "version": ver, "kind": kind},
            "x-kubernetes-action": "patch",
            "parameters": [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                           for n in ("dryRun", "fieldManager", "fieldValidation", "force")],
            "responses": {"200": {"description": "OK"}}}}
    return h.reply(200, json.dumps({"openapi": "3.0.0", "info": {"title": "Kubernetes",
                                                                 "version": "v1.32.0"},
                                    "paths": paths, "components": {"schemas": {}}}))


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise ApiError(400, "BadRequest", 'strict decoding error: json: duplicate field "%s"' % k)
    return dict(pairs)


def _body(h):
    try:
        return json.loads(h.body, object_pairs_hook=_no_duplicates) if h.body else {}
    except ValueError as e:
        raise ApiError(400, "BadRequest", "the body of the request could not be decoded: %s" % e)


def _serve(h, store, method, group, resource, ns, name, sub, q):
    wants_table = "as=Table" in h.headers.get("Accept", "")
    if method == "GET" and q.get("watch") in ("1", "true"):
        return watch(h, store, group, resource, ns, name, q)
    if sub == "scale":
        if method == "GET":
            return h.reply(200, go_json(store.scale(ns, name)))
        doc = _body(h)
        if method == "PATCH":
            cur = store.scale(ns, name)
            ctype = h.headers.get("Content-Type", "").split(";")[0]
            new = json_merge(cur, doc) if ctype != "application/json-patch+json" else json_patch(cur, doc)
        elif method == "PUT":
            new = doc
        else:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        return h.reply(200, go_json(store.scale(ns, name, int((new.get("spec") or {}).get("replicas", 0)))))
    if name is None:
        if method == "GET":
            fs = q.get("fieldSelector", "")
            want_name = None
            for term in filter(None, fs.split(",")):
                k, _, v = term.partition("=")
                v = v.lstrip("=")
                if k == "metadata.name":
                    want_name = v
                elif k == "metadata.namespace":
                    ns = v
            try:
                items, rv = store.list(group, resource, ns, q.get("labelSelector", ""), want_name)
            except PatchError as e:
                raise ApiError(400, "BadRequest", str(e))
            if wants_table:
                return h.reply(200, table(items, rv))
            kind, _ = kind_info(group, resource)
            return h.reply(200, go_json({"apiVersion": api_version(group), "kind": kind + "List",
                                         "metadata": {"resourceVersion": str(rv)}, "items": items}))
        if method == "POST":
            obj = _body(h)
            if not isinstance(obj, dict):
                raise ApiError(400, "BadRequest", "body is not an object")
            o = store.create(group, resource, ns, obj)
            return h.reply(201, go_json(o))
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    if method == "GET":
        o = store.get(group, resource, ns, name)
        if wants_table:
            return h.reply(200, table([o], o["metadata"].get("resourceVersion", "")))
        return h.reply(200, go_json(o))
    if resource == "endpoints":
        raise ApiError(405, "MethodNotAllowed", "endpoints are computed by this fake; they cannot be written")
    if method == "PUT":
        obj = _body(h)
        return h.reply(200, go_json(store.update(group, resource, ns, name, obj)))
    if method == "PATCH":
        ctype = h.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype == "application/apply-patch+yaml":
            raise ApiError(415, "UnsupportedMediaType",
                           "the fake API server does not implement server-side apply")
        if ctype not in ("application/strategic-merge-patch+json", "application/merge-patch+json",
                         "application/json-patch+json"):
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types "
                           "include: application/json-patch+json, application/merge-patch+json, "
                           "application/apply-patch+yaml, application/strategic-merge-patch+json")
        return h.reply(200, go_json(store.update(group, resource, ns, name, None, (ctype, _body(h)))))
    if method == "DELETE":
        o = store.delete(group, resource, ns, name)
        return h.reply(200, go_json(o))
    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def watch(h, store, group, resource, ns, name, q):
    """A chunked stream of watch events, as the apiserver sends them."""
    fs = q.get("fieldSelector", "")
    want_name = name
    for term in filter(None, fs.split(",")):
        k, _, v = term.partition("=")
        if k == "metadata.name":
            want_name = v.lstrip("=")
    reqs = parse_label_selector(q.get("labelSelector", ""))
    timeout = min(float(q.get("timeoutSeconds") or 1800), 1800)

    def match(typ_group, typ_res, obj):
        md = obj["metadata"]
        return (typ_group, typ_res) == (group, resource) and (ns is None or md.get("namespace") == ns) \
            and (want_name is None or md["name"] == want_name) and labels_match(md.get("labels"), reqs)

    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Cache-Control", "no-cache, private")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()

    def chunk(ev_type, obj):
        data = (go_json({"type": ev_type, "object": obj}) + "\n").encode()
        h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        h.wfile.flush()

    rvq = q.get("resourceVersion", "")
    try:
        with store.lock:
            if rvq in ("", "0"):
                cur = store.rv
                initial = [copy.deepcopy(o) for k, o in sorted(store.objs.items())
                           if match(k[0], k[1], o)]
            else:
                cur = int(rvq)
                initial = []
                if cur < store.oldest_rv():
                    initial = None
        if initial is None:
            chunk("ERROR", {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": "too old resource version: %s" % rvq, "reason": "Expired",
                            "code": 410})
        else:
            for o in initial:
                chunk("ADDED", o)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with store.lock:
                    new = store.events_after(cur)
                    if not new:
                        store.lock.wait(min(0.5, max(0.01, deadline - time.monotonic())))
                        new = store.events_after(cur)
                for (erv, typ, g, r, obj) in new:
                    cur = erv
                    if match(g, r, obj):
                        chunk(typ, obj)
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass
    h.close_connection = True
