#!/usr/bin/env bash
# RFC 7766 §6.2.3: idle TCP connections are closed by the server after
# tcp idle-timeout-ms (2 s here): one that never sent anything, and one that
# was idle after a query. Neither is closed early.
. "$(dirname "$0")/lib.sh"
serve_test_zone "tcp: {idle-timeout-ms: 2000, max-connections: 1024}"

out=$("$PY" - "$DNSD_ADDR" "$DNSD_PORT" <<'PYEOF'
import select, socket, sys, time
import dnsq
addr, port = sys.argv[1], int(sys.argv[2])
silent = socket.create_connection((addr, port))
used = socket.create_connection((addr, port))
t0 = time.monotonic()
used.sendall(dnsq.frame(dnsq.query_wire("www.global", "A")))
assert dnsq.recv_tcp_message(used) is not None
t_used = time.monotonic()
closed = {}
socks = {silent.fileno(): ("silent", silent, t0), used.fileno(): ("used", used, t_used)}
while len(closed) < 2 and time.monotonic() - t0 < 6:
    ready, _, _ = select.select([s for _, s, _ in socks.values() if _ not in closed], [], [], 0.5)
    for s in ready:
        name, sock, start = socks[s.fileno()]
        if sock.recv(100) == b"":
            closed[name] = time.monotonic() - start
for name in ("silent", "used"):
    print("%s %s" % (name, "%.1f" % closed[name] if name in closed else "open"))
PYEOF
) || die "client failed: $out"
echo "$out" | sed 's/^/# closed after: /'
for name in silent used; do
  secs=$(sed -n "s/^$name //p" <<<"$out")
  [ "$secs" != open ] || die "$name connection still open after 6 s"
  awk -v s="$secs" 'BEGIN { exit !(s >= 1.8 && s <= 3.5) }' || die "$name connection closed after $secs s, want about 2"
  echo "ok - $name connection closed after $secs s (idle timeout 2 s)"
done
assert_eq "$(qdig +tcp +short www.global A)" 192.0.2.1 "TCP still served"
