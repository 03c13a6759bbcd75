#!/usr/bin/env bash
# GET /names/<fqdn> on the admin listener explains an answer with one curl:
# for each view, what the query path answers for each type the name has,
# and where every record came from (cluster, namespace/name and
# resourceVersion of a ServiceEntry, or zone file:line); and what was dropped
# for the name and why. Cases: a name fed by two clusters and a zone file, a
# name that does not exist, a name whose only address was a /24.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

start_fakeapi mesh-1
start_fakeapi mesh-2
se_create mesh-1 default reviews reviews.default.global 240.0.1.1
se_create mesh-2 default reviews reviews.default.global 240.0.2.1
se_create mesh-1 default wide wide.default.global 10.0.0.0/24
rv1=$(se_rv mesh-1 default reviews)
rv2=$(se_rv mesh-2 default reviews)
rvw=$(se_rv mesh-1 default wide)

cat >"$T/global.zone" <<'ZONE'
$ORIGIN global.
$TTL 60
@                 IN SOA ns1.global. hostmaster.global. 1 14400 3600 1209600 300
@                 IN NS  ns1.global.
ns1               IN A   127.0.0.1
reviews.default   IN A   240.0.9.9
reviews.default   IN TXT "from the zone file"
ZONE
k8s_dnsd --zone "{name: global, file: $T/global.zone, ttl: 30, kubernetes: [mesh-1, mesh-2]}" \
  --kubernetes "$(k8s_source mesh-1)" --kubernetes "$(k8s_source mesh-2)" \
  --view "{name: one, match-clients: [127.0.0.11], kubernetes: [mesh-1]}" \
  --view "{name: two, match-clients: [127.0.0.12], kubernetes: [mesh-2]}" \
  --view "{name: both, match-clients: [any], kubernetes: [mesh-1, mesh-2]}"
wait_until 15 is_ready || die "not ready"
expect_answer 5 $'240.0.1.1\n240.0.2.1\n240.0.9.9' reviews.default.global
names() { curl -sS --max-time 5 -w '\n%{http_code} %{content_type}\n' "http://127.0.0.1:$HPORT/names/$1"; }

# jq-free checks: a small Python reads the JSON and prints stable lines
explain() {
  names "$1" >"$T/names.out"
  "$PY" - "$T/names.out" <<'PY'
import json, sys
text = open(sys.argv[1]).read().rstrip("\n").rsplit("\n", 1)
body, status = text[0], text[1]
print("http", status)
d = json.loads(body)
print("name", d["name"])
for v in d["views"]:
    print("view", v["view"], "zone", v.get("zone"))
    for a in v.get("answers", []):
        print("answer", v["view"], a["type"], a["rcode"], len(a["records"]))
        for r in a["records"]:
            for s in r["sources"]:
                if s["kind"] == "kubernetes":
                    src = "kubernetes %s %s/%s rv=%s" % (s["cluster"], s["namespace"], s["name"], s["resourceVersion"])
                elif s["kind"] == "file":
                    src = "file %s:%d" % (s["file"].rsplit("/", 1)[-1], s["line"])
                else:
                    src = s["kind"]
                print("record", v["view"], a["type"], r["data"], "<-", src)
for x in d["dropped"]:
    print("dropped", x["cluster"], "%s/%s" % (x["namespace"], x["name"]), "rv=%s" % x["resourceVersion"],
          x["field"], x["value"], x["reason"])
PY
}

out=$(explain reviews.default.global) || die "bad /names JSON: $(cat "$T/names.out")"
echo "$out" | sed 's/^/  | /'
assert_contains "$out" "http 200 application/json" "/names answers JSON"
assert_contains "$out" "name reviews.default.global." "the name, fully qualified"
for v in one two both; do assert_contains "$out" "view $v zone global." "view $v: zone global."; done
# view one: mesh-1 and the file; two: mesh-2 and the file; both: everything
assert_contains "$out" "answer one A NOERROR 2" "view one: two A records"
assert_contains "$out" "record one A 240.0.1.1 <- kubernetes mesh-1 default/reviews rv=$rv1" "view one: mesh-1's address, with its resourceVersion"
assert_contains "$out" "record one A 240.0.9.9 <- file global.zone:6" "view one: the zone file's address, file:line"
assert_not_contains "$out" "record one A 240.0.2.1" "view one: not mesh-2's"
assert_contains "$out" "answer two A NOERROR 2" "view two: two A records"
assert_contains "$out" "record two A 240.0.2.1 <- kubernetes mesh-2 default/reviews rv=$rv2" "view two: mesh-2's address"
assert_contains "$out" "answer both A NOERROR 3" "view both: three A records"
assert_contains "$out" "record both A 240.0.1.1 <- kubernetes mesh-1 default/reviews rv=$rv1" "view both: mesh-1's"
assert_contains "$out" "record both A 240.0.2.1 <- kubernetes mesh-2 default/reviews rv=$rv2" "view both: mesh-2's"
assert_contains "$out" "record both A 240.0.9.9 <- file global.zone:6" "view both: the file's"
assert_contains "$out" "record both TXT \"from the zone file\" <- file global.zone:7" "TXT from the file, line 7"
assert_contains "$out" "answer both AAAA NOERROR 0" "AAAA: NODATA"
assert_not_contains "$out" "dropped" "nothing dropped for reviews"
# what /names says is what a client in that view gets
assert_eq "$(qdig -b 127.0.0.11 +short reviews.default.global A | sort | tr '\n' ' ')" "240.0.1.1 240.0.9.9 " "dig from view one agrees"

out=$(explain nosuch.default.global) || die "bad /names JSON: $(cat "$T/names.out")"
assert_contains "$out" "answer both A NXDOMAIN 0" "a name that does not exist: NXDOMAIN"
assert_contains "$out" "answer one A NXDOMAIN 0" "... in every view"
assert_not_contains "$out" "dropped" "... and nothing was dropped for it"

out=$(explain wide.default.global) || die "bad /names JSON: $(cat "$T/names.out")"
echo "$out" | sed 's/^/  | /'
assert_contains "$out" "answer one A NOERROR 0" "the /24 name has no A (NODATA: its SRV name lies below)"
assert_contains "$out" "dropped mesh-1 default/wide rv=$rvw spec.addresses[0] 10.0.0.0/24 cidr" \
  "... and /names says why: the /24 was dropped"

# the SRV owner of an entry
out=$(explain _http1._tcp.reviews.default.global) || die "bad /names JSON"
assert_contains "$out" "record both SRV 0 0 3000 reviews.default.global. <- kubernetes mesh-1 default/reviews rv=$rv1" \
  "SRV from mesh-1's port"
assert_contains "$out" "record both SRV 0 0 3000 reviews.default.global. <- kubernetes mesh-2 default/reviews rv=$rv2" \
  "... and from mesh-2's: one record, two sources"

# the apex: the file's SOA (whatever serial the publisher gave it since) and NS
out=$(explain global) || die "bad /names JSON"
assert_match "$out" "record both SOA ns1\.global\. hostmaster\.global\. [0-9]+ 14400 3600 1209600 300 <- file global\.zone:3" \
  "the SOA, from the file's line 3"
assert_contains "$out" "record one NS ns1.global. <- file global.zone:4" "NS from line 4"

# trailing dot and case do not matter; a bad name is a 400 with a reason
assert_contains "$(explain REVIEWS.Default.global.)" "record both A 240.0.1.1" "case and trailing dot"
bad=$(names 'a..b')
assert_contains "$bad" "400" "an empty label: 400"
assert_contains "$bad" '"error"' "... with an error message"
long=$(printf 'a%.0s' $(seq 1 70)).global
assert_contains "$(names "$long")" "400" "a 70-octet label: 400"
assert_eq "$(http_code /names/)" 400 "no name: 400"
assert_running
