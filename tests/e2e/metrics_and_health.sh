#!/usr/bin/env bash
# /health and /ready answer 200; /metrics is valid Prometheus text and its
# counters follow the queries sent; scraping while queries run disturbs none.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || die "no free port"
mport=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" --http "127.0.0.1:$mport" --chaos
start_dnsd "$T/dnsd.yaml"
base=http://127.0.0.1:$mport

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
assert_eq "$(code "$base/health")" 200 "/health is 200"
assert_eq "$(code "$base/ready")" 200 "/ready is 200"
assert_eq "$(code "$base/nope")" 404 "unknown path is 404"

curl -sf --max-time 5 "$base/metrics" >"$T/m1" || die "GET /metrics"
# a known mix: 5 A, 2 AAAA (NODATA), 3 NXDOMAIN over UDP; 1 A over TCP
for _ in 1 2 3 4 5; do qdig messenger.default.global A >/dev/null || die "dig A"; done
for _ in 1 2; do qdig messenger.default.global AAAA >/dev/null || die "dig AAAA"; done
for _ in 1 2 3; do qdig nope.default.global A >/dev/null || die "dig NXDOMAIN"; done
assert_eq "$(qshort +tcp messenger.default.global A)" 127.127.42.69 "TCP answer"
curl -sf --max-time 5 "$base/metrics" >"$T/m2" || die "GET /metrics"

$PY - "$T/m1" "$T/m2" <<'PY' || die "metrics check failed"
import re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % NAME)
LABEL = re.compile(r'\s*(%s)="((?:[^"\\]|\\.)*)"\s*(,|$)' % r"[a-zA-Z_][a-zA-Z0-9_]*")

def parse(path):
    """Prometheus text format 0.0.4: every sample belongs to a family with
    HELP and TYPE before it; returns {(name, frozenset(labels)): value}."""
    helps, types, type_lines, samples = {}, {}, {}, {}
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line:
            continue
        if line.startswith("# HELP "):
            name = line.split()[2]; helps[name] = n; continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind; type_lines[name] = n; continue
        assert not line.startswith("#"), "%s:%d: stray comment" % (path, n)
        m = SAMPLE.match(line)
        assert m, "%s:%d: not 'name{labels} value': %r" % (path, n, line)
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        float(value)
        labels, pos = {}, 0
        while pos < len(labels_text):
            lm = LABEL.match(labels_text, pos)
            assert lm, "%s:%d: bad labels %r" % (path, n, labels_text)
            labels[lm.group(1)] = lm.group(2); pos = lm.end()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types and family in helps, "%s:%d: %s has no HELP/TYPE" % (path, n, name)
        assert helps[family] < n and type_lines[family] < n, "%s:%d: HELP/TYPE after samples" % (path, n)
        key = (name, frozenset(labels.items()))
        assert key not in samples, "%s:%d: duplicate sample" % (path, n)
        samples[key] = float(value)
    return samples

def total(s, name, **want):
    return sum(v for (n, l), v in s.items() if n == name and all(dict(l).get(k) == x for k, x in want.items()))

def check_histogram(s, name):
    buckets = sorted(((float("inf") if dict(l)["le"] == "+Inf" else float(dict(l)["le"])), v)
                     for (n, l), v in s.items() if n == name + "_bucket")
    assert buckets and buckets[-1][0] == float("inf"), "no +Inf bucket"
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets not monotonic: %r" % counts
    assert total(s, name + "_count") == counts[-1], "_count != +Inf bucket"
    return counts[-1]

m1, m2 = parse(sys.argv[1]), parse(sys.argv[2])
print("ok - /metrics parses as Prometheus text (%d samples)" % len(m2))
d = lambda name, **kw: total(m2, name, **kw) - total(m1, name, **kw)
views = {dict(l).get("view") for (n, l) in m2 if n == "dnsd_dns_requests_total"}
assert views and all(views), "requests without a view label"
checks = [
    ("A over UDP", d("dnsd_dns_requests_total", zone="global.", proto="udp", type="A"), 8),
    ("AAAA over UDP", d("dnsd_dns_requests_total", zone="global.", proto="udp", type="AAAA"), 2),
    ("A over TCP", d("dnsd_dns_requests_total", zone="global.", proto="tcp", type="A"), 1),
    ("NOERROR responses", d("dnsd_dns_responses_total", rcode="NOERROR"), 8),
    ("NXDOMAIN responses", d("dnsd_dns_responses_total", rcode="NXDOMAIN"), 3),
    ("TCP connections", d("dnsd_tcp_connections_total"), 1),
]
for what, got, want in checks:
    assert got == want, "%s: counter moved by %s, want %s" % (what, got, want)
    print("ok - %s counted (+%d)" % (what, want))
c1, c2 = check_histogram(m1, "dnsd_dns_request_duration_seconds"), check_histogram(m2, "dnsd_dns_request_duration_seconds")
assert c2 - c1 == 11, "duration histogram count moved by %s, want 11" % (c2 - c1)
print("ok - duration histogram monotonic, counts every query")
assert total(m2, "dnsd_tcp_connections_open") >= 0
assert total(m2, "dnsd_zone_records", zone="global.") > 0, "no zone records gauge"
print("ok - zone gauges present")
PY

# 3000 UDP queries while another thread scrapes /metrics as fast as it can:
# every answer must be right and none may be lost.
$PY - "$port" "$mport" <<'PY' || die "answers disturbed by scraping"
import socket, sys, threading, urllib.request
import dnsq
port, mport = int(sys.argv[1]), int(sys.argv[2])
stop, scrapes, errors = threading.Event(), [0], []
def scraper():
    while not stop.is_set():
        try:
            body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport, timeout=5).read()
            assert b"dnsd_dns_requests_total" in body
            scrapes[0] += 1
        except Exception as e:
            errors.append(e); return
t = threading.Thread(target=scraper); t.start()
q = dnsq.query_wire("messenger.default.global", "A", edns=False)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
lost = wrong = 0
for i in range(3000):
    try:
        r = dnsq.exchange_udp(s, ("127.0.0.1", port), q)
    except socket.timeout:
        lost += 1; continue
    if r[3] & 0xf != 0 or bytes([127, 127, 42, 69]) not in r: wrong += 1
stop.set(); t.join()
print("# %d scrapes during 3000 queries" % scrapes[0])
assert not errors, errors
assert scrapes[0] > 0, "no scrape completed"
assert lost == 0 and wrong == 0, "lost %d, wrong %d" % (lost, wrong)
print("ok - 3000 answers right and none lost while scraping")
PY
