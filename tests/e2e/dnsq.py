#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dnsq.py - precise DNS queries for the e2e tests (dnspython).

As a module, for the Python in the tests (lib.sh puts this directory on
PYTHONPATH, so `import dnsq` works in a heredoc):
    make_query(), query_wire()     a query as a dnspython message / as bytes
    frame()                        the 2-byte length prefix of DNS over TCP
    send_raw_udp(), send_raw_tcp() one query, one reply (None on silence)
    exchange_udp()                 a query on your own UDP socket, matched by ID
    recv_tcp_message()             one length-prefixed message from a stream
    render(), rrset_tuples()       a reply as the lines below / as a set
hostile.py builds its malformed packets by hand, on top of these.

As a command it prints one line per stable field, so shell tests can assert
on exact values with lib.sh's `field NAME "$out"`:

    rcode NOERROR
    flags qr aa                 (header flags in a fixed order)
    counts 1 0 0 1              (QD AN NS AR as on the wire, OPT included)
    question www.global. IN A   (as echoed, case preserved)
    answer www.global. 600 IN A 192.0.2.1
    authority ...
    additional ...              (OPT excluded)
    edns version=0 payload=1232 do=0 options=
    size 57                     (bytes on the wire)
    proto udp

Records within a section keep the server's order. With no reply within the
timeout it prints "noreply" and exits 3; a reply with another ID is "bad id"
(exit 4), one dnspython cannot parse "unparseable HEX: why" (exit 5).
"""
import argparse
import random
import socket
import struct
import sys

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

FLAG_ORDER = [("qr", dns.flags.QR), ("aa", dns.flags.AA), ("tc", dns.flags.TC),
              ("rd", dns.flags.RD), ("ra", dns.flags.RA), ("ad", dns.flags.AD),
              ("cd", dns.flags.CD)]


def make_query(qname, qtype="A", qclass="IN", edns=0, payload=1232, do=False, rd=False,
               options=None, qid=None):
    """A query message; edns=False (or None) sends no OPT."""
    if edns is None:
        edns = False
    msg = dns.message.make_query(qname, qtype, qclass)
    if edns is not False:
        # set explicitly: make_query() does not pass the version through
        msg.use_edns(edns, dns.flags.DO if do else 0, payload, options=options or [])
    msg.flags = dns.flags.RD if rd else 0
    if qid is not None:
        msg.id = qid
    return msg


def query_wire(qname, qtype="A", **kw):
    """make_query(...) as wire bytes."""
    return make_query(qname, qtype, **kw).to_wire()


def frame(wire):
    """wire with the 2-byte length prefix of DNS over TCP (RFC 1035 §4.2.2)."""
    return struct.pack("!H", len(wire)) + wire


def count_header(wire):
    return struct.unpack("!HHHH", wire[4:12])


def send_raw_udp(server, port, data, timeout=1.0, source=None):
    """Sends bytes over UDP (from address source, if given); returns the reply
    bytes or None after timeout."""
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.sendto(data, (server, port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None


def exchange_udp(sock, addr, wire):
    """Sends query wire on the UDP socket sock to addr, a (host, port), under a
    fresh random ID, and returns the first reply with that ID (late replies to
    earlier queries are skipped). Raises socket.timeout after sock's timeout."""
    qid = struct.pack("!H", random.randrange(65536))
    sock.sendto(qid + wire[2:], addr)
    while True:
        r = sock.recv(65535)
        if r[:2] == qid:
            return r


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_tcp_message(sock):
    """One length-prefixed message, or None on close."""
    head = recv_exact(sock, 2)
    if head is None:
        return None
    return recv_exact(sock, struct.unpack("!H", head)[0])


def check_shedding_left_others(peak_kib, bound_kib, sanitized, good, wire):
    """After a shedding test: dnsd's RSS grew by less than bound_kib (not
    asserted under a sanitizer's allocator), and the well-behaved client on
    TCP socket good is still answered (wire: a query)."""
    if sanitized:
        print("# sanitizer build: RSS grew %d KiB, not asserted" % peak_kib)
    else:
        assert peak_kib < bound_kib, "RSS grew by %d KiB" % peak_kib
        print("ok - dnsd's RSS grew by %d KiB at most (bound %d MiB)" % (peak_kib, bound_kib // 1024))
    good.sendall(frame(wire))
    assert recv_tcp_message(good) is not None, "the reading client was not answered"
    print("ok - the reading client kept its connection and was answered throughout")


def send_raw_tcp(server, port, data, timeout=2.0, source=None):
    """Sends one framed message over a new TCP connection (from address source,
    if given); returns the reply bytes, or None if the server closed or reset
    the connection or timed out."""
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect((server, port))
        try:
            s.sendall(frame(data))
            return recv_tcp_message(s)
        except (socket.timeout, ConnectionResetError):
            return None


def parse(wire):
    return dns.message.from_wire(wire, ignore_trailing=False)


def rr_lines(section):
    out = []
    for rrset in section:
        for rd in rrset:
            out.append("%s %d %s %s %s" % (rrset.name.to_text(), rrset.ttl,
                                           dns.rdataclass.to_text(rrset.rdclass),
                                           dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    return out


def rrset_tuples(section):
    """A section as a set of (lower-case name, type, ttl, rdata text)."""
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype),
                     rrset.ttl, rd.to_text().lower()))
    return out


def flags_text(msg):
    return " ".join(name for name, bit in FLAG_ORDER if msg.flags & bit)


def render(wire, proto="udp"):
    msg = parse(wire)
    lines = ["rcode %s" % dns.rcode.to_text(msg.rcode()),
             "opcode %s" % dns.opcode.to_text(msg.opcode()),
             "flags %s" % flags_text(msg),
             "counts %d %d %d %d" % count_header(wire)]
    for q in msg.question:
        lines.append("question %s %s %s" % (q.name.to_text(), dns.rdataclass.to_text(q.rdclass),
                                            dns.rdatatype.to_text(q.rdtype)))
    lines += ["answer " + l for l in rr_lines(msg.answer)]
    lines += ["authority " + l for l in rr_lines(msg.authority)]
    lines += ["additional " + l for l in rr_lines(msg.additional)]
    if msg.edns >= 0:
        opts = ",".join("%d:%s" % (o.otype, o.to_wire().hex()) for o in msg.options)
        lines.append("edns version=%d payload=%d do=%d options=%s" % (
            msg.edns, msg.payload, 1 if msg.ednsflags & dns.flags.DO else 0, opts))
    else:
        lines.append("edns none")
    lines.append("size %d" % len(wire))
    lines.append("proto %s" % proto)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--source", help="client address to send from (e.g. 127.0.0.11)")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--noedns", action="store_true")
    ap.add_argument("--bufsize", type=int, default=1232)
    ap.add_argument("--ednsver", type=int, default=0)
    ap.add_argument("--do", action="store_true")
    ap.add_argument("--rd", action="store_true")
    ap.add_argument("--class", dest="qclass", default="IN")
    ap.add_argument("--opt", action="append", default=[],
                    help="CODE:HEX extra EDNS option")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("qname")
    ap.add_argument("qtype", nargs="?", default="A")
    a = ap.parse_args()
    options = []
    for o in a.opt:
        code, _, data = o.partition(":")
        options.append(dns.edns.GenericOption(int(code), bytes.fromhex(data)))
    msg = make_query(a.qname, a.qtype, a.qclass, edns=False if a.noedns else a.ednsver,
                     payload=a.bufsize, do=a.do, rd=a.rd, options=options)
    data = msg.to_wire()
    if a.tcp:
        reply = send_raw_tcp(a.server, a.port, data, a.timeout, a.source)
    else:
        reply = send_raw_udp(a.server, a.port, data, a.timeout, a.source)
    if reply is None:
        print("noreply")
        return 3
    if reply[:2] != data[:2]:
        print("bad id")
        return 4
    try:
        print(render(reply, "tcp" if a.tcp else "udp"))
    except dns.exception.DNSException as e:
        print("unparseable %s: %s" % (reply.hex(), e))
        return 5
    return 0


if __name__ == "__main__":
    sys.exit(main())
