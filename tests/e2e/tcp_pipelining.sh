#!/usr/bin/env bash
# RFC 7766 §6.2.1.1: several queries on one TCP connection, sent back to back
# (pipelined) and one after another, each answered in order with its own ID.
. "$(dirname "$0")/lib.sh"
serve_test_zone

out=$("$PY" - "$DNSD_ADDR" "$DNSD_PORT" <<'PYEOF'
import socket, sys
import dnsq
import dns.message, dns.rcode
addr, port = sys.argv[1], int(sys.argv[2])
qs = [("www.global", "A"), ("nope.global", "A"), ("big.global", "A"), ("example.com", "A"),
      ("alias1.global", "AAAA"), ("sub.global", "A"), ("v4only.global", "AAAA")]
s = socket.create_connection((addr, port), timeout=3)
# 1. all seven in one write
s.sendall(b"".join(dnsq.frame(dnsq.query_wire(n, t, qid=100 + i)) for i, (n, t) in enumerate(qs)))
for i, (n, t) in enumerate(qs):
    r = dns.message.from_wire(dnsq.recv_tcp_message(s))
    print("pipelined %d %s %s %s %d" % (r.id, n, t, dns.rcode.to_text(r.rcode()), sum(len(x) for x in r.answer)))
# 2. one at a time on the same connection
for i, (n, t) in enumerate(qs):
    s.sendall(dnsq.frame(dnsq.query_wire(n, t, qid=200 + i)))
    r = dns.message.from_wire(dnsq.recv_tcp_message(s))
    print("sequential %d %s %s %s" % (r.id, n, t, dns.rcode.to_text(r.rcode())))
# 3. a message split across writes, the length prefix split too
data = dnsq.frame(dnsq.query_wire("www.global", "A", qid=300))
for chunk in (data[:1], data[1:5], data[5:]):
    s.sendall(chunk)
r = dns.message.from_wire(dnsq.recv_tcp_message(s))
print("split %d %s" % (r.id, dns.rcode.to_text(r.rcode())))
PYEOF
) || die "pipelining client failed: $out"
echo "$out" | sed 's/^/# /'
assert_eq "$(grep -c '^pipelined' <<<"$out")" 7 "7 pipelined replies"
assert_eq "$(grep '^pipelined' <<<"$out" | awk '{print $2}' | tr '\n' ' ')" "100 101 102 103 104 105 106 " "pipelined replies in order"
assert_eq "$(grep '^pipelined' <<<"$out" | awk '{print $5 ":" $6}' | tr '\n' ' ')" \
  "NOERROR:1 NXDOMAIN:0 NOERROR:120 REFUSED:0 NOERROR:3 NOERROR:0 NOERROR:0 " "pipelined rcodes and answer counts"
assert_eq "$(grep '^sequential' <<<"$out" | awk '{print $2 ":" $5}' | tr '\n' ' ')" \
  "200:NOERROR 201:NXDOMAIN 202:NOERROR 203:REFUSED 204:NOERROR 205:NOERROR 206:NOERROR " "sequential queries on one connection"
assert_eq "$(grep '^split' <<<"$out")" "split 300 NOERROR" "a message split across writes"
# dig and kdig reuse a connection for several questions
d=$(dig -p "$DNSD_PORT" "@$DNSD_ADDR" +tcp +keepopen +norec +short www.global A ns1.global A mail.global A)
assert_eq "$(echo "$d" | tr '\n' ' ')" "192.0.2.1 127.0.0.1 192.0.2.25 " "dig +keepopen: three answers"
k=$(kdig -p "$DNSD_PORT" "@$DNSD_ADDR" +tcp +keepopen +short www.global A ns1.global A mail.global A)
assert_eq "$(echo "$k" | tr '\n' ' ')" "192.0.2.1 127.0.0.1 192.0.2.25 " "kdig +keepopen: three answers"
