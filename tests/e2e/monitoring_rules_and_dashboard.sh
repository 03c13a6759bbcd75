#!/usr/bin/env bash
# conf/monitoring/ is usable as shipped: promtool accepts the alerting rules
# and their unit tests pass (tests/monitoring/dnsd-alerts.test.yaml: each
# alert fires on the series that should raise it and stays silent on healthy
# ones), the Grafana dashboard is well-formed JSON whose every query parses
# as PromQL (promtool, with Grafana's variables filled in), and every panel
# has a query. (monitoring_matches_metrics.sh checks them against a real
# /metrics scrape.)
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || skip "no promtool (Debian package prometheus)"
MON=$REPO/conf/monitoring

out=$(promtool check rules "$MON/dnsd-alerts.yaml" 2>&1) || die "promtool check rules: $out"
assert_contains "$out" "SUCCESS: 7 rules found" "promtool check rules: 7 alerting rules"
out=$(cd "$REPO/tests/monitoring" && promtool test rules dnsd-alerts.test.yaml 2>&1) || die "promtool test rules: $out"
assert_contains "$out" "SUCCESS" "promtool test rules: every alert fires when it should, and only then"

# the dashboard's queries as recording rules, for promtool to parse
$PY - "$MON/dnsd-dashboard.json" >"$T/dashboard-rules.yaml" <<'PY' || die "dashboard JSON"
import json, sys, yaml
d = json.load(open(sys.argv[1]))
assert d["uid"] == "dnsd" and d["title"] == "dnsd"
names = [v["name"] for v in d["templating"]["list"]]
assert names == ["datasource", "instance", "cluster"], names
rules, titles = [], set()
for p in d["panels"]:
    if p["type"] == "row":
        continue
    assert p["title"] not in titles, "two panels titled %r" % p["title"]
    titles.add(p["title"])
    assert p["datasource"]["uid"] == "${datasource}", p["title"]
    assert p.get("targets"), "panel %r has no query" % p["title"]
    for t in p["targets"]:
        e = t["expr"].replace("$__rate_interval", "5m").replace("$__range", "1h")
        e = e.replace('"$instance"', '".*"').replace('"$cluster"', '".*"')
        assert "$" not in e, "unknown variable in %r" % t["expr"]
        rules.append({"record": "dashboard:%s:%s" % (p["id"], t["refId"]), "expr": e})
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sys.stdout)
print("# %d panels" % len(titles), file=sys.stderr)
PY
n=$(grep -c 'record:' "$T/dashboard-rules.yaml")
out=$(promtool check rules "$T/dashboard-rules.yaml" 2>&1) || die "a dashboard query does not parse: $out"
assert_contains "$out" "SUCCESS: $n rules found" "promtool parses all $n dashboard queries"
[ "$n" -ge 20 ] || die "only $n dashboard queries"
