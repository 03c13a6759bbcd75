#!/usr/bin/env bash
# Response rate limiting over UDP (rrl, the BIND/NSD/Knot model). With
# rrl {responses-per-second: 20, slip: 2}: a flood of 300 identical queries
# from one address gets its burst (20) plus 20/s answered, every second
# limited reply slipped (TC=1, no records) and the rest dropped, each counted
# (dnsd_rrl_limited_total = slipped + dropped) and logged with the prefix.
# NXDOMAINs have their own rate, keyed by zone (random names do not escape
# it). Controls: a client in another /24 is answered in full meanwhile; an
# exempt prefix is never limited; TCP from the flooding address is answered
# (TCP is exempt); log-only sends every reply and only counts; with rrl off
# (the default) the same flood is answered in full.
. "$(dirname "$0")/lib.sh"
port=$(free_port) || die "no free port"
hport=$(free_port) || die "no free port"

# flood SOURCE COUNT NAME|random [CLIENT]: COUNT queries as fast as the
# socket takes them (with CLIENT: each behind a PROXY v2 header naming it),
# replies read meanwhile and until none came for 0.5 s (at most 10 s);
# prints "full TC missing elapsed_ms nxdomain"
flood() {
  $PY - "$DNSD_ADDR" "$DNSD_PORT" "$@" <<'PY'
import os, select, socket, struct, sys, time
import dns.edns, dns.message
import dnsq
edns = os.environ.get("FLOOD_EDNS", "1") == "1"
cookie = dns.edns.GenericOption(10, bytes(range(8)))  # a client cookie
addr, port, source, count, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
proxied = sys.argv[6] if len(sys.argv) > 6 else None
def proxy_header(client):
    block = socket.inet_aton(client) + socket.inet_aton(addr) + struct.pack(">HH", 4711, port)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x12]) + struct.pack(">H", len(block)) + block
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((source, 0))
s.setblocking(False)
full = tc = nx = 0
seen = set()
def drain(wait):
    global full, tc, nx
    while select.select([s], [], [], wait)[0]:
        wire = s.recv(65535)
        qid, flags = struct.unpack("!HH", wire[:4])
        if qid in seen:
            continue
        seen.add(qid)
        if flags & 0x0200:
            tc += 1
            # a slip carries no records, but the OPT when the query had one
            # (a TC without it tells an EDNS client the server lost EDNS)
            m = dns.message.from_wire(wire)
            assert not m.answer and not m.authority and not m.additional, "a slip carries no records"
            if edns:
                assert struct.unpack("!HHH", wire[6:12]) == (0, 0, 1), "a slip has AR 1, the OPT"
                assert m.edns == 0 and m.payload == 1232, "a slip keeps the OPT: %s" % m.edns
                assert [o.otype for o in m.options] == [10], "... and its server cookie"
                assert m.options[0].data[:8] == bytes(range(8)), "... for our client cookie"
            else:
                assert struct.unpack("!HHH", wire[6:12]) == (0, 0, 0), "no OPT for a query without"
                assert m.edns == -1, "a slip of a non-EDNS query has no OPT"
        else:
            full += 1
            nx += (flags & 0xf) == 3
        wait = 0
t0 = time.monotonic()
for i in range(count):
    q = name if name != "random" else "r%s.global" % os.urandom(6).hex()
    if edns:
        wire = dnsq.query_wire(q, "A", qid=i + 1, options=[cookie])
    else:
        wire = dnsq.query_wire(q, "A", qid=i + 1, edns=False)
    s.sendto((proxy_header(proxied) if proxied else b"") + wire, (addr, port))
    drain(0)
elapsed = time.monotonic() - t0
deadline = time.monotonic() + 10
while time.monotonic() < deadline and len(seen) < count:
    before = len(seen)
    drain(0.5)
    if len(seen) == before:
        break
print(full, tc, count - full - tc, int(elapsed * 1000), nx)
PY
}
m() { curl -sf --max-time 5 "http://127.0.0.1:$hport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
rrl_metrics() { echo "$(m 'dnsd_rrl_limited_total{kind="response"}') $(m dnsd_rrl_slipped_total) $(m dnsd_rrl_dropped_total)"; }

write_config "$T/on.yaml" --port "$port" --workers 1 --zone "{name: global, file: $TEST_ZONE}" \
  --http "127.0.0.1:$hport" "lameduck-ms: 0" \
  "rrl: {responses-per-second: 20, nxdomains-per-second: 5, slip: 2, exempt: [127.0.2.0/24]}"
start_dnsd "$T/on.yaml"

read -r full tc missing ms _ <<<"$(flood 127.0.0.2 300 www.global)" || die "flood failed"
note "flood from 127.0.0.2: $full answered, $tc slipped, $missing dropped, sent in $ms ms"
allowed=$((20 + 20 * ms / 1000 + 2))
[ "$full" -ge 20 ] && [ "$full" -le "$allowed" ] || die "answered $full, want 20..$allowed"
echo "ok - the flood gets its burst and rate: $full of 300 answered in full (<= $allowed)"
limited=$((300 - full))
[ "$tc" -ge $((limited / 2 - 1)) ] && [ "$tc" -le $((limited / 2 + 1)) ] || die "slipped $tc of $limited, want half"
echo "ok - slip 2: every second limited reply sent truncated ($tc of $limited)"
read -r l s d <<<"$(rrl_metrics)"
assert_eq "$l" "$limited" "dnsd_rrl_limited_total{kind=response} counts each limited reply"
assert_eq "$s $d" "$tc $missing" "dnsd_rrl_slipped_total and dnsd_rrl_dropped_total match what the client saw"
assert_contains "$(cat "$DNSD_LOG")" "rrl: limiting responses to 127.0.0.0/24 over 20/s" "limiting is logged with the prefix"

# a query without EDNS gets a slip without OPT
read -r full tc missing _ <<<"$(FLOOD_EDNS=0 flood 127.0.4.4 100 www.global)" || die "flood without EDNS failed"
[ "$tc" -ge 30 ] || die "no-EDNS flood: $tc slipped, want >= 30"
echo "ok - slipped replies carry the query's OPT (with the server cookie), and none for a query without EDNS"

# controls while the flooder's bucket is empty
read -r full tc missing _ <<<"$(flood 127.0.1.9 15 www.global)"
assert_eq "$full $tc $missing" "15 0 0" "a client in another /24 is answered in full"
out=$(dnsq --tcp --source 127.0.0.2 www.global A)
assert_eq "$(field rcode "$out")" NOERROR "TCP from the flooding address is answered (TCP is exempt)"
assert_contains "$(field answer "$out")" "192.0.2.1" "... with the answer"
read -r full tc missing _ <<<"$(flood 127.0.2.5 300 www.global)"
assert_eq "$full $tc $missing" "300 0 0" "an exempt prefix is never limited"

# NXDOMAIN: random names under the zone share its bucket (5/s)
read -r full tc missing ms nx <<<"$(flood 127.0.3.3 200 random)"
allowed=$((5 + 5 * ms / 1000 + 2))
[ "$nx" -ge 5 ] && [ "$nx" -le "$allowed" ] || die "NXDOMAIN answered $nx, want 5..$allowed"
echo "ok - random-name NXDOMAINs limited by zone: $nx of 200 answered (<= $allowed)"
nxl=$(m 'dnsd_rrl_limited_total{kind="nxdomain"}')
assert_eq "$nxl" "$((200 - full))" "dnsd_rrl_limited_total{kind=nxdomain} counts them"
stop_dnsd || die "dnsd exit status $?"

# PROXY v2: the client the balancer names is the one limited, not the balancer
write_config "$T/proxy.yaml" --port "$port" --workers 1 --zone "{name: global, file: $TEST_ZONE}" \
  --http "127.0.0.1:$hport" "lameduck-ms: 0" "proxy-protocol: [127.0.0.5]" \
  "rrl: {responses-per-second: 20}"
start_dnsd "$T/proxy.yaml"
read -r full tc missing _ <<<"$(flood 127.0.0.5 200 www.global 198.51.100.7)"
[ "$full" -ge 20 ] && [ "$full" -le 30 ] && [ "$tc" -ge 1 ] || die "proxied flood: $full answered, $tc slipped"
echo "ok - a flood from 198.51.100.7 through the balancer is limited ($full of 200 answered)"
read -r full tc missing _ <<<"$(flood 127.0.0.5 15 www.global 203.0.113.9)"
assert_eq "$full $tc $missing" "15 0 0" "another client through the same balancer is answered in full"
assert_contains "$(cat "$DNSD_LOG")" "responses to 198.51.100.0/24" "the log names the real client's prefix"
stop_dnsd || die "dnsd exit status $?"

# log-only: all sent, the would-be limits counted
write_config "$T/log.yaml" --port "$port" --workers 1 --zone "{name: global, file: $TEST_ZONE}" \
  --http "127.0.0.1:$hport" "lameduck-ms: 0" "rrl: {responses-per-second: 20, log-only: true}"
start_dnsd "$T/log.yaml"
read -r full tc missing _ <<<"$(flood 127.0.0.2 300 www.global)"
assert_eq "$full $tc $missing" "300 0 0" "log-only: the flood is answered in full"
read -r l s d <<<"$(rrl_metrics)"
[ "$l" -ge 250 ] || die "log-only counted $l would-be limits, want >= 250"
assert_eq "$s $d" "0 0" "log-only: nothing slipped or dropped"
assert_contains "$(cat "$DNSD_LOG")" "rrl: would limit (log-only) responses to 127.0.0.0/24" "log-only is logged"
stop_dnsd || die "dnsd exit status $?"

# off (the default): the same flood is answered in full, nothing counted
write_config "$T/off.yaml" --port "$port" --workers 1 --zone "{name: global, file: $TEST_ZONE}" \
  --http "127.0.0.1:$hport" "lameduck-ms: 0"
start_dnsd "$T/off.yaml"
read -r full tc missing _ <<<"$(flood 127.0.0.2 300 www.global)"
assert_eq "$full $tc $missing" "300 0 0" "rrl off: the flood is answered in full"
assert_eq "$(rrl_metrics)" "0 0 0" "rrl off: nothing counted"
stop_dnsd || die "dnsd exit status $?"

# reload: new rrl settings take effect without a restart (the table is
# swapped under the UDP threads); a reload that leaves them alone keeps the
# buckets (the flooder stays limited)
rrl_config() {
  write_config "$T/reload.yaml" --port "$port" --workers 1 --zone "{name: global, file: $TEST_ZONE}" \
    --http "127.0.0.1:$hport" "lameduck-ms: 0" "$@"
}
reloads() { grep -c "reload: done" "$DNSD_LOG"; }
reloaded_since() { [ "$(reloads)" -gt "$1" ]; }
hup_and_wait() {
  local before; before=$(reloads)
  kill -HUP "$DNSD_PID"
  wait_until 10 reloaded_since "$before" || die "reload not done within 10 s"
}
rrl_config "rrl: {responses-per-second: 20, slip: 2}"
start_dnsd "$T/reload.yaml"
pid=$DNSD_PID
read -r full _ <<<"$(flood 127.0.5.5 300 www.global)"
[ "$full" -le 40 ] || die "at 20/s: $full of 300 answered"
hup_and_wait
read -r full _ <<<"$(flood 127.0.5.5 300 www.global)"
[ "$full" -le 40 ] || die "after a reload that left rrl alone: $full of 300 answered, want <= 40"
echo "ok - a reload without rrl changes keeps the buckets ($full of 300 answered)"
rrl_config "rrl: {responses-per-second: 250, slip: 2}"
hup_and_wait
read -r full _ <<<"$(flood 127.0.5.5 300 www.global)"
[ "$full" -ge 250 ] || die "after reloading to 250/s: $full of 300 answered, want >= 250"
assert_contains "$(cat "$DNSD_LOG")" "reload: rrl now 250 responses/s" "the new rate is logged"
echo "ok - after a reload to 250/s the same flood gets $full of 300 answered"
rrl_config
hup_and_wait
assert_contains "$(cat "$DNSD_LOG")" "reload: rrl now off" "turning rrl off is logged"
read -r full tc missing _ <<<"$(flood 127.0.5.5 300 www.global)"
assert_eq "$full $tc $missing" "300 0 0" "after reloading rrl off the flood is answered in full"
rrl_config "rrl: {responses-per-second: 20}"
hup_and_wait
read -r full _ <<<"$(flood 127.0.5.5 300 www.global)"
[ "$full" -le 40 ] || die "after reloading rrl back on at 20/s: $full of 300 answered"
echo "ok - and back on at 20/s: $full of 300 answered"
assert_eq "$DNSD_PID" "$pid" "no restart: the same dnsd"
assert_running
assert_not_contains "$(cat "$DNSD_LOG")" "rrl takes effect after a restart" "no restart warning"
