#!/usr/bin/python3
"""xfr_dump.py - AXFR a zone with dnspython and print every record, one per
line, sorted (owner, TTL, class, type, rdata in presentation form), for
comparing what two servers hold. With --ixfr SERIAL, an IXFR instead, printed
in order as received. --key/--secret sign the request (hmac-sha256); the
answers' signatures are checked by dnspython. Exit status 1 on any failure,
with the reason on stderr."""
import argparse
import sys

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import dns.zone


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key")
    ap.add_argument("--secret")
    ap.add_argument("--ixfr", type=int)
    ap.add_argument("--count", action="store_true", help="print the number of records only")
    ap.add_argument("zone")
    a = ap.parse_args()
    keyring = keyname = None
    if a.key:
        keyname = dns.name.from_text(a.key)
        keyring = {keyname: dns.tsig.Key(keyname, a.secret, dns.tsig.HMAC_SHA256)}
    try:
        if a.ixfr is not None:
            q = dns.message.make_query(a.zone, dns.rdatatype.IXFR)
            soa = dns.rrset.from_text(a.zone, 0, "IN", "SOA", ". . %d 0 0 0 0" % a.ixfr)
            q.authority.append(soa)
            if keyring:
                q.use_tsig(keyring, keyname)
            out = []
            for m in dns.query.xfr(a.server, a.zone, port=a.port, rdtype=dns.rdatatype.IXFR,
                                   serial=a.ixfr, keyring=keyring, keyname=keyname, lifetime=60,
                                   relativize=False):
                for rrset in m.answer:
                    for rd in rrset:
                        out.append("%s %d %s %s" % (rrset.name, rrset.ttl, dns.rdatatype.to_text(rrset.rdtype), rd))
            print("\n".join(out))
            return 0
        lines = []
        for m in dns.query.xfr(a.server, a.zone, port=a.port, keyring=keyring, keyname=keyname, lifetime=120,
                               relativize=False):
            for rrset in m.answer:
                for rd in rrset:
                    lines.append("%s %d IN %s %s" % (rrset.name.to_text().lower(), rrset.ttl,
                                                     dns.rdatatype.to_text(rrset.rdtype), rd.to_text().lower()))
        if not lines or " SOA " not in lines[0] or lines[0] != lines[-1]:
            print("xfr_dump: not an AXFR stream (SOA first and last)", file=sys.stderr)
            return 1
        body = sorted(set(lines[1:-1] + [lines[0]]))
        if a.count:
            print(len(body))
        else:
            print("\n".join(body))
        return 0
    except Exception as e:  # the reason, for the test's log
        print("xfr_dump: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
