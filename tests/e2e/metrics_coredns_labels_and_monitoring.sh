#!/usr/bin/env bash
# /metrics speaks CoreDNS's language with the dnsd_ prefix: requests by
# server, zone, view, proto, family and type; responses by rcode and plugin;
# duration, request size and response size histograms with CoreDNS's labels
# (the sizes summed exactly as the client saw them); the standard process_*
# metrics (checked against /proc); the time from a watch event to its
# publication, one observation per event. `promtool check metrics` finds
# nothing to object to, and every metric and label conf/monitoring/ uses
# (dashboard queries and legends, alert expressions and annotations) exists in
# this scrape.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
port=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
k8s_config "$T/dnsd.yaml" "$port" "$HPORT" mesh-1
sed -i "s|^listen: .*|listen: [\"127.0.0.1:$port\", \"[::1]:$port\"]|" "$T/dnsd.yaml"
start_dnsd "$T/dnsd.yaml"
wait_until 10 is_ready || die "not ready"
for i in 1 2 3; do se_create mesh-1 default "svc$i" "svc$i.default.global" "240.0.0.$i"; done
expect_answer 10 240.0.0.3 svc3.default.global

scrape() { curl -sf --max-time 5 "http://127.0.0.1:$HPORT/metrics"; }
# the counters move by exactly what these queries do: a scrape before, one after
scrape >"$T/metrics0.txt" || die "scrape failed"
# the queries, with the exact bytes each way
$PY - "$port" >"$T/expected" <<'PY' || die "queries failed"
import socket, sys
import dns.message, dns.query, dns.rdatatype, dns.rdataclass, dns.flags
port = int(sys.argv[1])
sizes = {}
def q(name, qtype, proto="udp", addr="127.0.0.1", do=False, qclass="IN"):
    m = dns.message.make_query(name, qtype, qclass, use_edns=0, want_dnssec=do)
    wire = m.to_wire()
    if proto == "udp":
        r = dns.query.udp(m, addr, port=port, timeout=2)
    else:
        r = dns.query.tcp(m, addr, port=port, timeout=2)
    fam = "2" if ":" in addr else "1"
    key = (proto, fam)
    sizes.setdefault(proto, [0, 0, 0])
    sizes[proto][0] += 1
    sizes[proto][1] += len(wire)
    sizes[proto][2] += len(r.to_wire())
    return r
for _ in range(4):
    q("svc1.default.global", "A")
q("svc1.default.global", "AAAA")
q("svc2.default.global", "A", "tcp")
q("svc1.default.global", "A", addr="::1")
q("nope.default.global", "A")
q("svc1.default.global", "A", do=True)
q("svc1.default.global", 65280)
q("example.org", "A")                                   # no zone: REFUSED, zone "dropped"
q("version.dnsd", "TXT", qclass="CH")                   # chaos
for proto, (n, qbytes, rbytes) in sorted(sizes.items()):
    print(proto, n, qbytes, rbytes)
PY
wait_until 5 sh -c "curl -sf http://127.0.0.1:$HPORT/metrics | grep -q 'proto=\"tcp\"'" || die "no TCP request counted"
scrape >"$T/metrics.txt" || die "scrape failed"

$PY - "$T/metrics.txt" "$T/expected" "$port" "$DNSD_PID" "$T/metrics0.txt" <<'PY' || die "metric checks failed"
import re, sys, os, time
text, expected, port, pid = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4])
def parse(text):
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        assert m, "bad line %r" % line
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out
samples, before = parse(text), parse(open(sys.argv[5]).read())
def total(ss, name, **want):
    return sum(v for n, l, v in ss if n == name and all(l.get(k) == w for k, w in want.items()))
def get(name, **want):
    """how much the queries moved it (process_* and gauges: the value now)"""
    if name.startswith("process_") or name.startswith("dnsd_kubernetes"):
        return total(samples, name, **want)
    return total(samples, name, **want) - total(before, name, **want)
def ok(cond, what):
    assert cond, what
    print("ok - " + what)
srv4, srv6 = "dns://127.0.0.1:%s" % port, "dns://[::1]:%s" % port
req = [l for n, l, v in samples if n == "dnsd_dns_requests_total"]
ok(req and all(set(l) == {"server", "zone", "view", "proto", "family", "type"} for l in req),
   "dnsd_dns_requests_total{server,zone,view,proto,family,type}")
ok(get("dnsd_dns_requests_total", server=srv4, zone="global.", proto="udp", family="1", type="A") == 6,
   "6 A queries over UDP/IPv4 to global.")
ok(get("dnsd_dns_requests_total", server=srv6, zone="global.", proto="udp", family="2", type="A") == 1,
   "1 A query over IPv6, server and family say so")
ok(get("dnsd_dns_requests_total", server=srv4, proto="tcp", type="A") == 1, "1 A query over TCP")
ok(get("dnsd_dns_requests_total", type="other") == 1, "TYPE65280 counted as other")
ok(get("dnsd_dns_requests_total", zone="dropped", type="A") == 1, "a query for no zone: zone=\"dropped\" (CoreDNS's)")
resp = [l for n, l, v in samples if n == "dnsd_dns_responses_total"]
ok(resp and all(set(l) == {"server", "zone", "view", "rcode", "plugin"} for l in resp),
   "dnsd_dns_responses_total{server,zone,view,rcode,plugin}")
ok(get("dnsd_dns_responses_total", zone="global.", rcode="NXDOMAIN", plugin="zone") == 1, "NXDOMAIN from the zone")
ok(get("dnsd_dns_responses_total", zone="dropped", rcode="REFUSED", plugin="") == 1, "REFUSED, written before any zone")
ok(get("dnsd_dns_responses_total", rcode="NOERROR", plugin="chaos") == 1, "the chaos answer")
ok(get("dnsd_dns_do_requests_total", zone="global.") == 1, "one DO=1 query")
for h, labels in (("dnsd_dns_request_duration_seconds", {"server", "zone", "view", "type"}),
                  ("dnsd_dns_request_size_bytes", {"server", "zone", "view", "proto"}),
                  ("dnsd_dns_response_size_bytes", {"server", "zone", "view", "proto"})):
    b = [(l, v) for n, l, v in samples if n == h + "_bucket"]
    ok(b and all(set(l) == labels | {"le"} for l, v in b), "%s{%s}" % (h, ",".join(sorted(labels))))
    series = {}
    for l, v in b:
        key = tuple(sorted((k, x) for k, x in l.items() if k != "le"))
        series.setdefault(key, []).append((float("inf") if l["le"] == "+Inf" else float(l["le"]), v))
    for key, bs in series.items():
        bs.sort()
        assert all(bs[i][1] <= bs[i + 1][1] for i in range(len(bs) - 1)), "%s not cumulative" % h
        assert bs[-1][0] == float("inf")
        cnt = total(samples, h + "_count", **dict(key))
        assert cnt == bs[-1][1], "%s _count %s != +Inf bucket %s" % (h, cnt, bs[-1][1])
exp = {l.split()[0]: [int(x) for x in l.split()[1:]] for l in expected.splitlines()}
for proto, (n, qbytes, rbytes) in exp.items():
    ok(get("dnsd_dns_request_size_bytes_count", proto=proto) == n, "%d %s requests sized" % (n, proto))
    ok(get("dnsd_dns_request_size_bytes_sum", proto=proto) == qbytes, "%s request bytes: %d, as sent" % (proto, qbytes))
    ok(get("dnsd_dns_response_size_bytes_sum", proto=proto) == rbytes, "%s response bytes: %d, as received" % (proto, rbytes))
# process_*, against /proc
fds = len(os.listdir("/proc/%d/fd" % pid))
ok(abs(get("process_open_fds") - fds) <= 2, "process_open_fds %d ~ /proc (%d)" % (get("process_open_fds"), fds))
rss = int(re.search(r"VmRSS:\s+(\d+) kB", open("/proc/%d/status" % pid).read()).group(1)) * 1024
ok(0.5 * rss < get("process_resident_memory_bytes") < 2 * rss, "process_resident_memory_bytes ~ VmRSS")
soft = int(re.search(r"Max open files\s+(\d+)", open("/proc/%d/limits" % pid).read()).group(1))
ok(get("process_max_fds") == soft, "process_max_fds = the soft limit (%d)" % soft)
st = get("process_start_time_seconds")
ok(time.time() - 120 < st <= time.time(), "process_start_time_seconds is this run's")
# utime + stime in clock ticks, read after the scrape: the metric may not be
# ahead of it, nor far behind (an idle dnsd may have used 0 ticks: > 0 was flaky)
f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
cpu = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
ok(cpu - 0.5 <= get("process_cpu_seconds_total") <= cpu + 0.01,
   "process_cpu_seconds_total %.2f ~ /proc (%.2f)" % (get("process_cpu_seconds_total"), cpu))
ok(get("dnsd_kubernetes_programming_duration_seconds_count", cluster="mesh-1") == 3,
   "3 watch events, 3 observations of event -> publication")
ok(0 < get("dnsd_kubernetes_programming_duration_seconds_sum", cluster="mesh-1") < 3,
   "and they took a plausible time")
PY

if command -v promtool >/dev/null; then
  out=$(promtool check metrics <"$T/metrics.txt" 2>&1) || die "promtool check metrics: $out"
  assert_eq "$out" "" "promtool check metrics: no lint findings"
fi

# every metric and label conf/monitoring/ uses is in the scrape
$PY - "$T/metrics.txt" "$REPO/conf/monitoring/dnsd-dashboard.json" "$REPO/conf/monitoring/dnsd-alerts.yaml" <<'PY' || die "monitoring refers to metrics or labels dnsd does not export"
import json, re, sys, yaml
text = open(sys.argv[1]).read()
have = {}
for line in text.splitlines():
    if line and not line.startswith("#"):
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?', line)
        have.setdefault(m.group(1), set()).update(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""))
TARGET = {"instance", "job", "namespace", "pod", "__name__"}   # Prometheus adds these
def check(where, expr, extra_labels=()):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    labels = set(extra_labels)
    for m in re.finditer(r'\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)', e):
        labels |= {x.strip() for x in m.group(1).split(",") if x.strip()}
    for m in re.finditer(r'\{([^}]*)\}', e):
        labels |= set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)', m.group(1)))
    e2 = re.sub(r'\{[^}]*\}', '', e)
    names = set(re.findall(r'\b((?:dnsd|process)_[a-zA-Z0-9_:]*)\b', e2))
    assert names, "%s: no metric in %r" % (where, expr)
    for n in names:
        assert n in have, "%s: %s is not in /metrics" % (where, n)
    known = set().union(*(have[n] for n in names))
    missing = labels - known - TARGET
    assert not missing, "%s: labels %s are on none of %s" % (where, sorted(missing), sorted(names))
    return len(names)
count = 0
d = json.load(open(sys.argv[2]))
for p in d["panels"]:
    for t in p.get("targets", []):
        legend = re.findall(r'\{\{\s*(\w+)\s*\}\}', t.get("legendFormat", ""))
        count += check("dashboard %r" % p["title"], t["expr"], legend)
for v in d["templating"]["list"]:
    if v["type"] == "query":
        m = re.match(r'label_values\((\w+),\s*(\w+)\)', v["query"]["query"])
        assert m.group(1) in have and (m.group(2) in have[m.group(1)] or m.group(2) in TARGET), v["name"]
for g in yaml.safe_load(open(sys.argv[3]))["groups"]:
    for r in g["rules"]:
        used = set()
        for a in r.get("annotations", {}).values():
            used |= set(re.findall(r'\$labels\.(\w+)', a))
        count += check("alert %s" % r["alert"], r["expr"], used)
print("ok - every metric and label of the dashboard and the alerts is in the scrape (%d uses)" % count)
PY
echo "ok - conf/monitoring/ matches /metrics"
