#!/usr/bin/env bash
# Which replica answered: NSID (RFC 5001) and CH TXT id.server (RFC 4892),
# both off by default. Off, a client asking for them learns nothing: no NSID
# option in the reply (dig +nsid, kdig +nsid) and REFUSED for id.server and
# hostname.bind, even with chaos: true. On, the identity is $HOSTNAME (the
# pod name in Kubernetes) unless identity: names one, and NSID comes only
# when the query asked for it, in every kind of reply.
. "$(dirname "$0")/lib.sh"

nsid_of() { dig -p "$DNSD_PORT" @127.0.0.1 +norec +nsid "$@" | sed -n 's/.*; NSID: .*("\(.*\)").*/\1/p'; }
has_nsid() { dig -p "$DNSD_PORT" @127.0.0.1 +norec +nsid "$@" | grep -q '; NSID:'; }

# off (the default), chaos on
export HOSTNAME=dnsd-7c9f5-abcde
serve_test_zone
! has_nsid messenger.default.global || die "NSID sent while off"
echo "ok - off by default: no NSID in the reply"
assert_eq "$(qstatus id.server CH TXT)" REFUSED "off by default: id.server REFUSED"
assert_eq "$(qstatus hostname.bind CH TXT)" REFUSED "off by default: hostname.bind REFUSED"
assert_not_contains "$(kdig -p "$DNSD_PORT" @127.0.0.1 +nsid messenger.default.global 2>&1)" "dnsd-7c9f5" \
  "kdig +nsid learns nothing either"
kill_dnsd "$DNSD_PID"

# on, identity from HOSTNAME
serve_test_zone "nsid: true" "id-server: true"
assert_eq "$(nsid_of messenger.default.global)" dnsd-7c9f5-abcde "NSID is \$HOSTNAME"
assert_eq "$(nsid_of nope.default.global)" dnsd-7c9f5-abcde "NSID in an NXDOMAIN reply"
assert_eq "$(nsid_of example.org)" dnsd-7c9f5-abcde "NSID in a REFUSED reply"
! dig -p "$DNSD_PORT" @127.0.0.1 +norec messenger.default.global | grep -q 'NSID' || die "NSID sent unasked"
echo "ok - no NSID unless the query asks (RFC 5001 §2.1)"
out=$(kdig -p "$DNSD_PORT" @127.0.0.1 +nsid messenger.default.global)
assert_contains "$out" "dnsd-7c9f5-abcde" "kdig +nsid shows it"
assert_eq "$(qshort id.server CH TXT)" '"dnsd-7c9f5-abcde"' "id.server CH TXT"
assert_eq "$(qshort hostname.bind CH TXT)" '"dnsd-7c9f5-abcde"' "hostname.bind CH TXT"
out=$(dnsq --tcp id.server TXT --class CH)
assert_eq "$(field rcode "$out")" NOERROR "id.server over TCP"
assert_contains "$(field flags "$out")" "aa" "id.server is authoritative"
kill_dnsd "$DNSD_PID"

# an explicit identity wins; id-server alone leaves NSID off
export HOSTNAME=ignored
port=$(free_port) || die "no free port"
DNSD_ZONE=$TEST_ZONE write_config "$T/id.yaml" --port "$port" "identity: eu-west-1a" "id-server: true"
start_dnsd "$T/id.yaml"
assert_eq "$(qshort id.server CH TXT)" '"eu-west-1a"' "identity: names it"
! has_nsid messenger.default.global || die "nsid: false but NSID sent"
echo "ok - nsid stays off when only id-server is on"
assert_eq "$(qstatus version.dnsd CH TXT)" REFUSED "chaos: false still refuses version.dnsd"

# a config error names the key
port=$(free_port)
DNSD_ZONE=$TEST_ZONE write_config "$T/bad.yaml" --port "$port" "identity: \"$(printf 'x%.0s' $(seq 1 300))\""
out=$("$DNSD_BIN" -t -c "$T/bad.yaml" 2>&1) && die "a 300-byte identity was accepted"
assert_contains "$out" "identity" "too long an identity is an error naming the key"
