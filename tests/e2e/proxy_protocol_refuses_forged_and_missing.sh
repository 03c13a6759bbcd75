#!/usr/bin/env bash
# `proxy-protocol:` is an allowlist both ways: a client outside it that
# forges a PROXY v2 header to claim another client's address (and view) is
# dropped and counted; a peer inside it that omits the header, or sends a
# malformed or truncated one, is dropped too (UDP: no reply; TCP: the
# connection is closed) and counted by reason. A valid header followed by a
# bad DNS message gets FORMERR, as a direct client would; direct clients
# outside the list are served as before; dnsd survives all of it.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/proxy.bash"

# 127.0.0.2 plays the load balancer
start_proxied_dnsd "[127.0.0.2]"

"$PY" - "$DNSD_ADDR" "$DNSD_PORT" <<'PY' || die "hostile PROXY checks failed"
import socket, struct, sys, time
import dns.message, dns.rcode

addr, port = sys.argv[1], int(sys.argv[2])
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
ok = True

def check(good, what):
    global ok
    print(("ok - " if good else "not ok - ") + what)
    ok &= bool(good)

def header(src="127.0.0.11", sport=4711, dst="127.0.0.1", dport=53, cmd=0x21, fam=0x12, tlvs=b""):
    block = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport) + tlvs
    return SIG + bytes([cmd, fam]) + struct.pack(">H", len(block)) + block

def query(name="view.dnsd", rdtype="TXT", rdclass="CH", qid=0x1111):
    m = dns.message.make_query(name, rdtype, rdclass)
    m.id = qid
    return m.to_wire()

def udp(source, payload, probe=None):
    """The reply to payload (sent from source), or None if none came. No
    waiting for silence: a probe that is answered follows on the same socket,
    which dnsd's same thread handles in order, and whatever arrives before
    the probe's reply is payload's. probe: a direct query, or with a header
    for the proxy 127.0.0.2."""
    if probe is None:
        probe = (header("127.0.0.12") if source == "127.0.0.2" else b"") + query(qid=0x2222)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.settimeout(3)
    s.sendto(payload, (addr, port))
    s.sendto(probe, (addr, port))
    got = None
    try:
        while True:
            r = dns.message.from_wire(s.recv(65535))
            if r.id == 0x2222:
                return got
            got = r
    except socket.timeout:
        raise SystemExit("not ok - the probe after %r got no reply" % payload[:20])
    finally:
        s.close()

def view_of(r):
    return r.answer[0][0].strings[0].decode() if r is not None and r.answer else None

# positive controls first: the proxy's header is honoured, direct clients work
check(view_of(udp("127.0.0.2", header("127.0.0.11") + query())) == "mesh-1", "UDP: the proxy's header for 127.0.0.11 -> mesh-1")
check(view_of(udp("127.0.0.2", header("127.0.0.12") + query())) == "mesh-2", "UDP: the proxy's header for 127.0.0.12 -> mesh-2")
check(view_of(udp("127.0.0.11", query())) == "mesh-1", "UDP: direct client 127.0.0.11 -> mesh-1")
# LOCAL (a health check): the proxy's own address decides
check(view_of(udp("127.0.0.2", SIG + b"\x20\x00\x00\x00" + query())) == "default", "UDP: LOCAL -> the proxy's own view")
# TLVs are skipped
check(view_of(udp("127.0.0.2", header("127.0.0.12", tlvs=b"\x02\x00\x04name\xee\x00\x00") + query())) == "mesh-2",
      "UDP: a header with TLVs -> mesh-2")

# a forged header from outside the allowlist: dropped, even claiming a listed client
check(udp("127.0.0.13", header("127.0.0.11") + query()) is None, "UDP: forged header from 127.0.0.13: no reply")
check(udp("127.0.0.12", header("127.0.0.11") + query()) is None, "UDP: mesh-2's client forging mesh-1's address: no reply")
# the proxy without a header: dropped
check(udp("127.0.0.2", query()) is None, "UDP: the proxy without a header: no reply")
# malformed or truncated headers from the proxy: dropped
bad = {
    "truncated in the address block": header()[:20],
    "signature only": SIG,
    "version 1 binary": SIG + b"\x11\x12\x00\x0c" + header()[16:28] + query(),
    "PROXY for a UNIX socket": SIG + b"\x21\x32\x00\xd8" + bytes(216) + query(),
    "length past the datagram": SIG + b"\x21\x12\x01\x00" + header()[16:28] + query(),
    "TLV overrunning the header": header(tlvs=b"\x02\x00\x09ab") + query(),
    "text PROXY v1": b"PROXY TCP4 127.0.0.11 127.0.0.1 4711 53\r\n" + query(),
}
for what, payload in bad.items():
    check(udp("127.0.0.2", payload) is None, "UDP: %s: no reply" % what)
# a valid header, then a bad DNS message: FORMERR, as for a direct client
q = bytearray(query("messenger.default.global", "A", "IN"))
q[5] = 2          # QDCOUNT=2
r = udp("127.0.0.2", header("127.0.0.11") + bytes(q))
check(r is not None and r.rcode() == dns.rcode.FORMERR, "UDP: valid header, QDCOUNT=2: FORMERR")
check(udp("127.0.0.2", header("127.0.0.11")) is None, "UDP: a header and no DNS message: no reply")

# ---- TCP ----
def tcp(source, chunks, queries=1, wait=3.0):
    """Sends chunks on one connection from source; returns (replies, closed)."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(wait)
    s.connect((addr, port))
    for c in chunks:
        s.sendall(c)
    buf, replies, closed = b"", [], False
    deadline = time.monotonic() + wait
    while len(replies) < queries and time.monotonic() < deadline:
        try:
            d = s.recv(65535)
        except socket.timeout:
            break
        if not d:
            closed = True
            break
        buf += d
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
            n = struct.unpack(">H", buf[:2])[0]
            replies.append(dns.message.from_wire(buf[2:2 + n]))
            buf = buf[2 + n:]
    if not closed and len(replies) < queries:
        try:
            closed = s.recv(1) == b""
        except OSError:
            closed = True
    s.close()
    return replies, closed

def framed(m):
    return struct.pack(">H", len(m)) + m

hs = header("127.0.0.12", fam=0x11)
rep, _ = tcp("127.0.0.2", [hs + framed(query()) + framed(query("messenger.default.global", "A", "IN"))], queries=2)
check(len(rep) == 2 and view_of(rep[0]) == "mesh-2" and rep[1].answer and str(rep[1].answer[0][0]) == "127.127.43.69",
      "TCP: header then two pipelined queries: both answered for mesh-2")
# the header and the query arriving a byte at a time
data = hs + framed(query())
rep, _ = tcp("127.0.0.2", [data[i:i + 1] for i in range(len(data))])
check(len(rep) == 1 and view_of(rep[0]) == "mesh-2", "TCP: header and query one byte at a time: mesh-2")
rep, closed = tcp("127.0.0.13", [header("127.0.0.11", fam=0x11) + framed(query())])
check(not rep and closed, "TCP: forged header from 127.0.0.13: closed without an answer")
rep, closed = tcp("127.0.0.2", [framed(query())])
check(not rep and closed, "TCP: the proxy without a header: closed without an answer")
rep, closed = tcp("127.0.0.2", [SIG + b"\x31\x11\x00\x0c" + bytes(12) + framed(query())])
check(not rep and closed, "TCP: version 3 header: closed without an answer")
rep, closed = tcp("127.0.0.2", [SIG + b"\x21\x11\xff\xff"])
check(not rep and closed, "TCP: a header declaring 65535 bytes: closed at once")
rep, closed = tcp("127.0.0.11", [framed(query())])
check(len(rep) == 1 and view_of(rep[0]) == "mesh-1", "TCP: direct client 127.0.0.11 -> mesh-1")
sys.exit(0 if ok else 1)
PY

# every refusal counted by reason
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="udp",reason="not_allowed"}')" 2 "UDP forged headers counted"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="udp",reason="missing"}')" 2 "UDP missing headers counted (none, and a v1 text header)"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="udp",reason="malformed"}')" 6 "UDP malformed headers counted"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="tcp",reason="not_allowed"}')" 1 "TCP forged header counted"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="tcp",reason="missing"}')" 1 "TCP missing header counted"
assert_eq "$(metric 'dnsd_proxy_dropped_total{proto="tcp",reason="malformed"}')" 2 "TCP malformed headers counted"
# a stalled header is closed by the per-message deadline (slowloris)
"$PY" - "$DNSD_PORT" <<'PY' || die "a stalled header was not closed"
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.2", 0)); s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\r\n\r\n\x00\r\nQUIT\n\x21")
t = time.monotonic()
closed = s.recv(1) == b""
print("ok - a stalled header closed after %.1f s" % (time.monotonic() - t) if closed else "not ok")
sys.exit(0 if closed and time.monotonic() - t < 8 else 1)
PY
assert_running
