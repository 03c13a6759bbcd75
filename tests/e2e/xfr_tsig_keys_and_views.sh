#!/usr/bin/env bash
# TSIG (RFC 8945) and views for transfers. Two views hold different data for
# zone "global"; view mesh-a is bound to key xfr-a (secret from a file, as a
# mounted Kubernetes Secret), view mesh-b to key xfr-b, and each zone entry
# allows only its key.
# - the right key: dig -y and dnspython (which checks every message's MAC,
#   RFC 8945 §5.3.1) get the key's view; a key bound to mesh-a never gets
#   mesh-b's data, from any address;
# - a wrong key name: BADKEY; the right name with a wrong secret: BADSIG; a
#   clock beyond the fudge: BADTIME (signed, with our time) - all NOTAUTH,
#   no records; unsigned: REFUSED;
# - Knot and BIND (NSD too) as secondaries with the key follow a change
#   announced by a signed NOTIFY.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/secondaries.bash"

SECRET_A=$(head -c 32 /dev/urandom | base64)
SECRET_B=$(head -c 32 /dev/urandom | base64)
WRONG=$(head -c 32 /dev/urandom | base64)
printf '%s\n' "$SECRET_A" >"$T/xfr-a.secret"
port=$(free_port) || die "no free port"
DNSD_PORT=$port
kinds=()
for k in "${SEC_KINDS[@]}"; do have_secondary "$k" && kinds+=("$k"); done
notify=
for k in "${kinds[@]}"; do
  p=$(free_port) || die "no free port"
  printf -v "SEC_WANT_PORT_$k" '%s' "$p"
  notify+="\"127.0.0.1:$p key xfr-a\", "
done
mkzone() {   # FILE SERIAL ADDR
  cat >"$1" <<ZONE
\$ORIGIN global.
\$TTL 60
@ IN SOA ns1 hostmaster $2 3600 600 86400 60
@ IN NS ns1
ns1 IN A 127.0.0.1
www IN A $3
ZONE
}
mkzone "$T/a.zone" 10 192.0.2.1
mkzone "$T/b.zone" 10 198.51.100.1
write_config "$T/dnsd.yaml" --port "$port" \
  --zone "{name: global, file: $T/a.zone, views: [mesh-a], allow-transfer: [\"key xfr-a\"], notify: [${notify%, }]}" \
  --zone "{name: global, file: $T/b.zone, views: [mesh-b], allow-transfer: [\"key xfr-b\"]}" \
  --view "{name: mesh-a, match-clients: [10.1.0.0/16], match-keys: [xfr-a]}" \
  --view "{name: mesh-b, match-clients: [any], match-keys: [xfr-b]}" \
  "tsig-keys: [{name: xfr-a, algorithm: hmac-sha256, secret-file: $T/xfr-a.secret}, {name: xfr-b, secret: \"$SECRET_B\"}]" \
  "xfr: {notify-retry-ms: 200}"
start_dnsd "$T/dnsd.yaml"

axfr_www() { qdig "$@" global AXFR | awk '$1 == "www.global." && $4 == "A" {print $5}'; }
assert_eq "$(axfr_www -y "hmac-sha256:xfr-a:$SECRET_A")" 192.0.2.1 "dig -y xfr-a: view mesh-a's data"
assert_eq "$(axfr_www -y "hmac-sha256:xfr-b:$SECRET_B")" 198.51.100.1 "dig -y xfr-b: view mesh-b's data"
assert_eq "$(axfr_www -b 127.0.0.1 -y "hmac-sha256:xfr-a:$SECRET_A")" 192.0.2.1 \
  "xfr-a from an address mesh-b matches: still mesh-a, never mesh-b"
got=$(dnsd_dump global xfr-a "$SECRET_A") || die "dnspython AXFR with xfr-a failed (MACs checked)"
assert_contains "$got" "www.global. 60 IN A 192.0.2.1" "dnspython verifies every signed message"
assert_not_contains "$got" "198.51.100.1" "no mesh-b data under xfr-a"

# the errors, seen by dnspython (raw rcode and TSIG error)
tsig_probe() {  # KEYNAME SECRET SKEW -> "RCODE TSIGERROR ANSWERS"
  "$PY" - "$DNSD_PORT" "$@" <<'PY'
import socket, struct, sys, time
import dns.message, dns.name, dns.rcode, dns.renderer, dns.tsig, dns.wire
import dns.rdtypes.ANY.TSIG
port, key, secret, skew = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
real = time.time
dns.renderer.time.time = lambda: real() + skew   # the clock dnspython signs with
q = dns.message.make_query("global.", "AXFR")
if key != "-":
    k = dns.tsig.Key(dns.name.from_text(key), secret, dns.tsig.HMAC_SHA256)
    q.use_tsig({k.name: k}, k.name)
w = q.to_wire()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(struct.pack("!H", len(w)) + w)
def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("closed")
        b += c
    return b
r = recv(struct.unpack("!H", recv(2))[0])
qd, an, ns, ar = struct.unpack("!HHHH", r[4:12])
# the TSIG record, read without checking its MAC: the errors are the point
p = dns.wire.Parser(r, 12)
for _ in range(qd):
    p.get_name(); p.get_uint16(); p.get_uint16()
err = "-"
for _ in range(an + ns + ar):
    p.get_name(); t = p.get_uint16(); p.get_uint16(); p.get_uint32(); rdlen = p.get_uint16()
    if t != 250:
        p.seek(p.current + rdlen)
        continue
    with p.restrict_to(rdlen):
        rd = dns.rdtypes.ANY.TSIG.TSIG.from_wire_parser(255, 250, p)
    if rd.error:
        err = {16: "BADSIG", 17: "BADKEY", 18: "BADTIME"}.get(rd.error, str(rd.error))
    if rd.error == 18:
        err += " other=%d %s" % (len(rd.other), "signed" if rd.mac else "unsigned")
print(dns.rcode.to_text(struct.unpack("!H", r[2:4])[0] & 0xF), err, an)
PY
}
assert_eq "$(tsig_probe xfr-c "$SECRET_A" 0)" "NOTAUTH BADKEY 0" "an unknown key name: NOTAUTH, BADKEY"
assert_eq "$(tsig_probe xfr-a "$WRONG" 0)" "NOTAUTH BADSIG 0" "xfr-a with a wrong secret: NOTAUTH, BADSIG"
assert_eq "$(tsig_probe xfr-a "$SECRET_A" 900)" "NOTAUTH BADTIME other=6 signed 0" "a clock 900 s ahead (fudge 300): NOTAUTH, BADTIME, signed, our time in Other Data"
assert_eq "$(tsig_probe xfr-a "$SECRET_A" 200)" "NOERROR - 5" "200 s of skew is within the fudge: the zone"
assert_eq "$(tsig_probe - - 0)" "REFUSED - 0" "unsigned from loopback: REFUSED (only the keys may)"
assert_contains "$(grep 'tsig:' "$DNSD_LOG")" "BADSIG from 127.0.0.1, key xfr-a." "TSIG failures are logged"

# secondaries with the key, notified with signed NOTIFYs
for k in "${kinds[@]}"; do
  v="SEC_WANT_PORT_$k"
  SEC_WANT_PORT=${!v} start_secondary "$k" global xfr-a "$SECRET_A"
done
for k in "${kinds[@]}"; do
  wait_until 30 sec_answers "$k" www.global A 192.0.2.1 || die "$k did not transfer with the key: $(tail -n 20 "$(sec_log "$k")" 2>/dev/null)"
  echo "ok - $k transferred view mesh-a with xfr-a"
done
mkzone "$T/a.zone" 11 192.0.2.2
kill -HUP "$DNSD_PID"
for k in "${kinds[@]}"; do
  wait_until 15 sec_answers "$k" www.global A 192.0.2.2 || die "$k did not follow the signed NOTIFY"
  echo "ok - $k followed a signed NOTIFY"
done
assert_not_contains "$(grep -i 'notify.*fails TSIG' "$DNSD_LOG")" "fails" "every NOTIFY answer verified"
assert_running
