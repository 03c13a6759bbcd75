#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""k8s_churn.py - churn against the fake API server, and the check that dnsd's
zone is exactly what the API's state implies. Used by tests/bench/k8s_soak.py
(`make bench`) and by tests/e2e/kubernetes_churn_memory_bounded.sh.

  k8s_churn.py churn   --url U --ca CA --token-file F --n N --changes C
                       [--relists R] [--batch B] [--seed S] [--max-s T] [--prefix P]
      C changes to the N entries named P-0..P-(N-1) in namespaces ns-0..ns-99
      (the set /_fake/generate makes): mixed, a third each, modify (new
      addresses), delete, add back (so the count stays near N), in batches of B
      (POST /_fake/apply and /_fake/delete: the fake writes each as its own
      watch event), and R relists spread evenly (ERROR 410 into open watches:
      fault gone + stream). Bounded by C and by T seconds.
  k8s_churn.py compare --url U --ca CA --token-file F --dns-port P [--zone global]
                       [--wait-s T]
      Polls (every 0.2 s, T seconds at most) until `dig AXFR` of the zone from
      127.0.0.1:P carries exactly the A, AAAA and SRV records the API's LIST
      implies (each host: its addresses; each port: _<name>._tcp.<host> SRV
      0 0 <number> <host>.), for the names of --prefix. Exit 0 when equal; 1 with the first differences
      (stale: served, not at the API; missing: at the API, not served).
Traffic goes to 127.0.0.1 only.
"""
import argparse
import json
import random
import ssl
import subprocess
import sys
import time
import urllib.request

GROUP = "/apis/networking.istio.io/v1"


class Api:
    def __init__(self, url, ca, token):
        self.url = url.rstrip("/")
        self.ctx = ssl.create_default_context(cafile=ca) if url.startswith("https") else None
        self.token = token

    def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.url + path, data=data, method=method,
                                   headers={"Authorization": "Bearer " + self.token,
                                            "Content-Type": "application/json"})
        with urllib.request.urlopen(r, context=self.ctx, timeout=120) as resp:
            return resp.read()

    def list_all(self):
        return list_all(self.req)


def list_all(req):
    """Every ServiceEntry at the API, through the paginated LIST; req(method,
    path) returns a response body."""
    items, cont = [], ""
    for _ in range(100000):   # pages; bounded
        d = json.loads(req("GET", GROUP + "/serviceentries?limit=500" + ("&continue=" + cont if cont else "")))
        items += d.get("items") or []
        cont = d["metadata"].get("continue", "")
        if not cont:
            return items
    raise SystemExit("k8s_churn: LIST did not end")


def entry(prefix, i, gen):
    ns = "ns-%d" % (i % 100)
    a = 0xF0000000 + i + 1
    v4 = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, gen & 255)
    v6 = "2001:db8:%x:%x::%x" % (i >> 16, gen & 0xFFFF, i & 0xFFFF)
    return {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
            "metadata": {"name": "%s-%d" % (prefix, i), "namespace": ns},
            "spec": {"hosts": ["%s-%d.%s.global" % (prefix, i, ns)], "addresses": [v4, v6],
                     "location": "MESH_INTERNAL", "resolution": "DNS",
                     "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}}


def churn(api, prefix, n, changes, relists, batch, seed, max_s):
    rnd = random.Random(seed)
    present = set(range(n))
    absent = []
    t0 = time.monotonic()
    done = 0
    every = changes // (relists + 1) if relists else changes + 1
    next_relist = every
    relisted = 0
    counts = {"modify": 0, "delete": 0, "add": 0}
    while done < changes and time.monotonic() - t0 < max_s:
        apply, delete = [], []
        touched = set()
        for _ in range(min(batch, changes - done)):
            kind = rnd.choice(("modify", "delete", "add"))
            if kind == "add" and not absent:
                kind = "modify"
            if kind in ("modify", "delete") and not present:
                kind = "add"
            if kind == "add":
                i = absent.pop(rnd.randrange(len(absent)))
                present.add(i)
            else:
                i = rnd.choice(tuple(present)) if len(present) < 64 else rnd.randrange(n)
                while i not in present:
                    i = rnd.randrange(n)
                if kind == "delete":
                    present.discard(i)
                    absent.append(i)
            if i in touched:   # one change per entry and batch: order is then irrelevant
                if kind == "delete":
                    present.add(i)
                    absent.remove(i)
                elif kind == "add":
                    present.discard(i)
                    absent.append(i)
                continue
            touched.add(i)
            counts[kind] += 1
            done += 1
            if kind == "delete":
                delete.append("ns-%d/%s-%d" % (i % 100, prefix, i))
            else:
                apply.append(entry(prefix, i, done))
        if apply:
            api.req("POST", "/_fake/apply", {"objects": apply})
        if delete:
            api.req("POST", "/_fake/delete", {"keys": delete})
        if relisted < relists and done >= next_relist:
            api.req("POST", "/_fake/fault", {"kind": "gone", "stream": True})
            relisted += 1
            next_relist += every
    return {"changes": done, "relists": relisted, "held": len(present),
            "seconds": time.monotonic() - t0, **counts}


def expected(api):
    want = set()
    for o in api.list_all():
        spec = o.get("spec") or {}
        for h in spec.get("hosts") or []:
            h = h.lower().rstrip(".")
            for a in spec.get("addresses") or []:
                want.add((h + ".", "AAAA" if ":" in a else "A", a))
            for p in spec.get("ports") or []:
                want.add(("_%s._tcp.%s." % (p["name"], h), "SRV", "0 0 %d %s." % (p["number"], h)))
    return want


def served(dns_port, zone):
    out = subprocess.run(["dig", "+noall", "+answer", "+norecurse", "+tries=1", "+time=20",
                          "-p", str(dns_port), "@127.0.0.1", zone, "AXFR"],
                         capture_output=True, text=True, timeout=60).stdout
    got = set()
    for line in out.splitlines():
        f = line.split(None, 4)
        if len(f) == 5 and f[3] in ("A", "AAAA", "SRV"):
            rdata = f[4]
            if f[3] == "AAAA":   # dig writes the canonical text form; so do we above
                import ipaddress
                rdata = str(ipaddress.ip_address(rdata))
            got.add((f[0].lower(), f[3], rdata))
    return got


def ours(owner, prefix):
    """Is owner one of the churned names (host or SRV owner)? The zone may
    hold other records (a zone file's)."""
    labels = owner.split(".")
    if len(labels) > 2 and labels[0].startswith("_") and labels[1] == "_tcp":
        labels = labels[2:]
    return labels[0].startswith(prefix + "-")


def compare(api, dns_port, zone, wait_s, prefix):
    deadline = time.monotonic() + wait_s
    while True:
        want = {(o, t, str(__import__("ipaddress").ip_address(r)) if t == "AAAA" else r)
                for o, t, r in expected(api) if ours(o, prefix)}
        got = {x for x in served(dns_port, zone) if ours(x[0], prefix)}
        if want == got or time.monotonic() > deadline:
            break
        time.sleep(0.2)   # polling with a deadline
    stale, missing = sorted(got - want), sorted(want - got)
    print(json.dumps({"records": len(want), "served": len(got), "stale": len(stale),
                      "missing": len(missing), "stale_first": stale[:5],
                      "missing_first": missing[:5]}))
    return not stale and not missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("churn", "compare"))
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--prefix", default="svc")
    ap.add_argument("--changes", type=int, default=100000)
    ap.add_argument("--relists", type=int, default=5)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--max-s", type=float, default=600)
    ap.add_argument("--dns-port", type=int)
    ap.add_argument("--zone", default="global")
    ap.add_argument("--wait-s", type=float, default=60)
    a = ap.parse_args()
    api = Api(a.url, a.ca, open(a.token_file).read().strip())
    if a.cmd == "churn":
        print(json.dumps(churn(api, a.prefix, a.n, a.changes, a.relists, a.batch, a.seed, a.max_s)))
        return 0
    return 0 if compare(api, a.dns_port, a.zone, a.wait_s, a.prefix) else 1


if __name__ == "__main__":
    sys.exit(main())
