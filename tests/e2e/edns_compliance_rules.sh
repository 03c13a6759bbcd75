#!/usr/bin/env bash
# The ISC EDNS compliance tests (genreport, behind DNS Flag Day), each
# re-stated here as a rule: the query it sends and what an "ok" reply must
# hold. The rules are written from the published test descriptions, not
# copied. Every test must be ok; "opcode" and "opcodeflg" pin that RD, CD,
# AD, RA and AA, defined only for QUERY, are clear in a NOTIMP reply.
. "$(dirname "$0")/lib.sh"
serve_test_zone

$PY - "$DNSD_ADDR" "$DNSD_PORT" <<'PY' || die "an EDNS compliance rule failed"
import struct, sys
import dns.edns, dns.flags, dns.message, dns.rcode, dns.rdatatype
import dnsq
server, port = sys.argv[1], int(sys.argv[2])
QR, AA, TC, RD, RA, Z, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020, 0x0010

def query(qtype="SOA", edns=False, version=0, payload=4096, ednsflags=0, options=(),
          flags=0, opcode=0):
    m = dnsq.make_query("global.", qtype, edns=False)
    if edns:
        m.use_edns(version, ednsflags, payload, options=list(options))
    wire = bytearray(m.to_wire())
    struct.pack_into("!H", wire, 2, flags | (opcode << 11))
    return bytes(wire)

def parts(reply):
    hflags = struct.unpack("!H", reply[2:4])[0]
    if hflags >> 11 & 0xF:        # dnspython does not parse unknown opcodes; sections are empty then
        an = struct.unpack("!H", reply[6:8])[0]
        return hflags, None, an
    return hflags, dns.message.from_wire(reply), None

def soa_answer(m):
    return any(r.rdtype == dns.rdatatype.SOA for r in m.answer)

# name -> (query, transport, rule(hflags, message) -> None or the reason it fails)
def rule_noerror_soa(need_opt):
    def check(h, m):
        if m.rcode() != dns.rcode.NOERROR: return "rcode %s" % dns.rcode.to_text(m.rcode())
        if not h & AA: return "AA clear"
        if not soa_answer(m): return "no SOA in the answer"
        if need_opt and m.edns != 0: return "OPT missing or version %s" % m.edns
        if not need_opt and m.edns >= 0: return "OPT in the reply to a query without one"
        if h & Z: return "Z set"
    return check

def rule_badvers(h, m):
    if m.rcode() != dns.rcode.BADVERS: return "rcode %s" % dns.rcode.to_text(m.rcode())
    if m.edns != 0: return "OPT version %s" % m.edns
    if m.answer: return "answer records with BADVERS"
    if any(o.otype == 100 for o in m.options): return "unknown option echoed"

def rule_then(first, extra):
    def check(h, m):
        return first(h, m) or extra(h, m)
    return check

def rule_notimp(h, m_an):
    m, an = m_an if isinstance(m_an, tuple) else (m_an, None)
    if h & 0xF != dns.rcode.NOTIMP: return "rcode %d" % (h & 0xF)
    if h >> 11 & 0xF != 15: return "opcode %d not echoed" % (h >> 11 & 0xF)
    for bit, name in ((RD, "RD"), (CD, "CD"), (AD, "AD"), (RA, "RA"), (AA, "AA"), (Z, "Z")):
        if h & bit: return name + " set in a reply to opcode 15"
    if an: return "answer records"

tests = {
    "dns":       (query(), "udp", rule_noerror_soa(False)),
    "aflag":     (query(flags=AA), "udp", rule_noerror_soa(False)),
    "adflag":    (query(flags=AD), "udp", rule_noerror_soa(False)),
    "cdflag":    (query(flags=CD), "udp", rule_noerror_soa(False)),
    "zflag":     (query(flags=Z), "udp", rule_noerror_soa(False)),
    "edns":      (query(edns=True), "udp", rule_then(rule_noerror_soa(True),
                  lambda h, m: "options in the reply" if m.options else None)),
    "edns1":     (query(edns=True, version=1), "udp", rule_badvers),
    "ednsflags": (query(edns=True, ednsflags=0x0080), "udp", rule_then(rule_noerror_soa(True),
                  lambda h, m: "undefined EDNS flag echoed" if m.ednsflags & 0x7FFF else None)),
    "ednsopt":   (query(edns=True, options=[dns.edns.GenericOption(100, b"")]), "udp",
                  rule_then(rule_noerror_soa(True),
                  lambda h, m: "option 100 echoed" if any(o.otype == 100 for o in m.options) else None)),
    "edns1opt":  (query(edns=True, version=1, options=[dns.edns.GenericOption(100, b"")]), "udp", rule_badvers),
    "do":        (query(edns=True, ednsflags=dns.flags.DO), "udp", rule_then(rule_noerror_soa(True),
                  lambda h, m: None if m.ednsflags & dns.flags.DO else "DO not echoed (RFC 3225)")),
    "optlist":   (query(edns=True, options=[dns.edns.GenericOption(3, b""),                 # NSID
                                            dns.edns.ECSOption("0.0.0.0", 0),
                                            dns.edns.GenericOption(9, b""),                 # EXPIRE
                                            dns.edns.GenericOption(10, b"\x01" * 8)]),      # COOKIE
                  "udp", rule_noerror_soa(True)),
    "type666":   (query(qtype=666, edns=True), "udp", lambda h, m:
                  ("rcode %s" % dns.rcode.to_text(m.rcode())) if m.rcode() != dns.rcode.NOERROR else
                  "answer records" if m.answer else
                  None if any(r.rdtype == dns.rdatatype.SOA for r in m.authority) else "no SOA in authority"),
    "tcp":       (query(), "tcp", rule_noerror_soa(False)),
    "opcode":    (query(opcode=15), "udp", None),
    "opcodeflg": (query(opcode=15, flags=RD | CD | AD), "udp", None),
    "opcodeedns": (query(opcode=15, edns=True, flags=RD | CD), "udp", None),
}
failed = 0
for name, (wire, proto, rule) in tests.items():
    reply = (dnsq.send_raw_udp if proto == "udp" else dnsq.send_raw_tcp)(server, port, wire)
    if reply is None:
        why = "no reply"
    elif reply[:2] != wire[:2]:
        why = "ID not echoed"
    else:
        h, m, an = parts(reply)
        if not h & QR:
            why = "QR clear"
        elif m is None or rule is None:
            why = rule_notimp(h, (m, an)) if rule is None else "unparseable"
        else:
            why = rule(h, m)
    print(("ok - %s" % name) if not why else ("not ok - %s: %s" % (name, why)))
    failed += bool(why)
sys.exit(1 if failed else 0)
PY
assert_running
