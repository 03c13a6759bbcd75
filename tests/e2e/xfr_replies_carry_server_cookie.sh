#!/usr/bin/env bash
# RFC 7873 §5.2.3: every response to a request with a COOKIE option carries
# the client cookie and a server cookie - transfers included. Checked with
# dnspython on raw messages:
# - AXFR over TCP of a zone spanning several messages: every message's OPT
#   has the COOKIE option (our client cookie, a 16-byte RFC 9018 server
#   cookie); signed with TSIG, every message's MAC still verifies (RFC 8945:
#   TSIG last, after the OPT, its MAC covering the OPT);
# - the server cookie from the AXFR is valid: a UDP query carrying it is
#   answered under cookie-require (a forged one gets BADCOOKIE);
# - IXFR over UDP (current, one SOA; and too large, SOA with TC) and the
#   refusals (AXFR over UDP, a client outside allow-transfer) carry it too;
# - kdig +cookie AXFR completes; a transfer without a COOKIE gets none.
. "$(dirname "$0")/lib.sh"

SECRET=$(head -c 32 /dev/urandom | base64)
{
  printf '$ORIGIN global.\n$TTL 60\n@ IN SOA ns1 hostmaster 10 3600 600 86400 60\n@ IN NS ns1\n'
  printf 'ns1 IN A 127.0.0.1\n'
  for i in $(seq 1 3000); do printf 'host%d IN A 10.%d.%d.%d\n' "$i" $((i / 65536)) $((i / 256 % 256)) $((i % 256)); done
} >"$T/big.zone"
port=$(free_port) || die "no free port"
write_config "$T/dnsd.yaml" --port "$port" \
  --zone "{name: global, file: $T/big.zone, allow-transfer: [127.0.0.1, \"key xfr\"]}" \
  "tsig-keys: [{name: xfr, algorithm: hmac-sha256, secret: \"$SECRET\"}]" \
  "cookie-require: true" "lameduck-ms: 0"
start_dnsd "$T/dnsd.yaml"

$PY - "$DNSD_ADDR" "$DNSD_PORT" "$SECRET" <<'PY' || die "transfer cookie checks failed"
import socket, struct, sys
import dns.edns, dns.flags, dns.message, dns.name, dns.rcode, dns.rdatatype, dns.rrset, dns.tsigkeyring
import dnsq
addr, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
CLIENT = bytes.fromhex("0123456789abcdef")
keyring = dns.tsigkeyring.from_text({"xfr.": ("hmac-sha256", secret)})
origin = dns.name.from_text("global.")
ok = lambda what: print("ok - " + what)

def cookie_of(m):
    got = [o.data for o in m.options if o.otype == 10]
    assert len(got) == 1, "no COOKIE option: %s" % (m.options,)
    c = bytes(got[0])
    assert c[:8] == CLIENT, "client cookie not echoed: %s" % c.hex()
    assert len(c) == 24 and c[8] == 1, "not an RFC 9018 server cookie: %s" % c.hex()
    return c

def query(qtype, cookie=CLIENT, key=False, serial=None):
    q = dns.message.make_query("global.", qtype)
    q.flags = 0
    q.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, cookie)] if cookie else [])
    if serial is not None:
        q.authority.append(dns.rrset.from_text("global.", 0, "IN", "SOA",
                                               "ns1.global. hostmaster.global. %d 3600 600 86400 60" % serial))
    if key:
        q.use_tsig(keyring, keyname="xfr.", algorithm="hmac-sha256")
    return q

def axfr(q, source="127.0.0.1"):
    """every message of a TCP transfer, MACs verified as dnspython's xfr does"""
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(dnsq.frame(q.to_wire()))
    msgs, ctx, soas = [], None, 0
    while soas < 2:
        wire = dnsq.recv_tcp_message(s)
        assert wire, "the stream ended after %d messages" % len(msgs)
        r = dns.message.from_wire(wire, keyring=q.keyring, request_mac=q.mac, xfr=True,
                                  origin=origin, tsig_ctx=ctx, multi=True)
        ctx = r.tsig_ctx
        assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
        soas += sum(len(rr) for rr in r.answer if rr.rdtype == dns.rdatatype.SOA)
        msgs.append((r, wire))
    s.close()
    return msgs

msgs = axfr(query("AXFR"))
assert len(msgs) >= 2, "the zone fits one message; the test needs several"
cookies = [cookie_of(r) for r, _ in msgs]
ok("AXFR over TCP: all %d messages carry the client cookie and a server cookie" % len(msgs))

# the server cookie is valid for this client: UDP under cookie-require answers it
good = cookies[0]
r = dns.message.from_wire(dnsq.send_raw_udp(addr, port, query("SOA", cookie=good).to_wire()))
assert r.rcode() == dns.rcode.NOERROR and r.answer, "the AXFR's server cookie was refused: %s" % r
forged = CLIENT + bytes([1, 0, 0, 0]) + bytes(range(12))
r = dns.message.from_wire(dnsq.send_raw_udp(addr, port, query("SOA", cookie=forged).to_wire()))
assert r.rcode() == dns.rcode.BADCOOKIE, "a forged cookie: %s" % dns.rcode.to_text(r.rcode())
ok("the transfer's server cookie is valid: a UDP query with it is answered under cookie-require")

msgs = axfr(query("AXFR", key=True))
for r, wire in msgs:
    cookie_of(r)
    assert r.had_tsig, "a message without TSIG"
    # RFC 8945 §5.3: TSIG is the last record, after the OPT
    assert wire.rfind(b"\x00\x00\x29") < wire.rfind(b"\x03xfr\x00\x00\xfa"), "OPT after TSIG"
ok("AXFR signed with TSIG: %d messages, every MAC verified, each with the cookie before TSIG" % len(msgs))

# IXFR over UDP: current (one SOA), and older than the journal (the whole
# zone does not fit: SOA with TC)
for serial, what in ((10, "current: one SOA"), (5, "too large: SOA with TC")):
    wire = dnsq.send_raw_udp(addr, port, query("IXFR", cookie=good, serial=serial).to_wire())
    assert wire, "no UDP IXFR reply"
    r = dns.message.from_wire(wire)
    assert r.answer and r.answer[0].rdtype == dns.rdatatype.SOA, "IXFR reply: %s" % r
    assert (serial == 5) == bool(r.flags & dns.flags.TC), "TC: %s" % r
    cookie_of(r)
    ok("IXFR over UDP (%s) carries the server cookie" % what)

# refusals
r = dns.message.from_wire(dnsq.send_raw_udp(addr, port, query("AXFR", cookie=good).to_wire()))
assert r.rcode() == dns.rcode.REFUSED, dns.rcode.to_text(r.rcode())
cookie_of(r)
assert [o.otype for o in r.options].count(15) == 1, "the EDE stays beside the cookie"
ok("AXFR over UDP: REFUSED with the EDE and the server cookie")
s = socket.socket(); s.bind(("127.0.0.7", 0)); s.settimeout(5); s.connect((addr, port))
s.sendall(dnsq.frame(query("AXFR").to_wire()))
r = dns.message.from_wire(dnsq.recv_tcp_message(s)); s.close()
assert r.rcode() == dns.rcode.REFUSED, dns.rcode.to_text(r.rcode())
cookie_of(r)
ok("AXFR from outside allow-transfer: REFUSED with the server cookie")

# control: no COOKIE option, no cookie in the transfer
msgs = axfr(query("AXFR", cookie=None))
assert all(not [o for o in r.options if o.otype == 10] for r, _ in msgs), "a cookie nobody asked for"
ok("AXFR without a client cookie: no COOKIE option in any message")
PY

out=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +cookie +tcp global AXFR 2>&1)
assert_contains "$out" "host3000.global." "kdig +cookie AXFR completes"
assert_not_contains "$out" "WARNING" "kdig finds nothing wrong with the cookies"
