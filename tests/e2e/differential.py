#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""differential.py - the same random questions to dnsd, Knot and NSD serving
the same zone file; dnsd must agree with Knot on every one.

    differential.py --zone FILE --origin global --dnsd PORT --knot PORT --nsd PORT
                    [--count 600] [--seed N] [--fixed]
                    [--exhaustive FILE:ORIGIN ...] [--axfr ORIGIN ...]

--count random questions about --zone; --fixed adds the negative and
edge cases of FIXED (names of tests/data/zones/test.global.zone: NXDOMAIN,
NODATA, empty non-terminals, wildcards, below a CNAME, below a delegation,
case differences, out-of-zone REFUSED); --exhaustive asks every type of
TYPES at every name of that zone (and one nonexistent name below each);
--axfr transfers the zone from all three and compares the records (owner,
TTL, type, rdata; order aside), as secondaries would hold them.

For each (name, type) pair the rcode, the AA flag, and the answer and
authority sections as sets of (lower-case name, type, TTL, rdata) are
compared. Queries go over TCP so that truncation policy (which both may
choose differently, RFC 2181 §9) does not hide the answers; the additional
section is reported but not compared (its content is optional, RFC 1034
§4.3.2 step 6).

Known, RFC-permitted differences are normalised, each in one named function
below, and counted in the summary; nothing else is. Not compared at all:
- ANY (not among TYPES): RFC 8482 lets each server pick its minimal answer;
- UDP truncation: when additional data does not fit, dnsd drops all of it
  while Knot and NSD keep what fits (both allowed by RFC 2181 §9); the
  TC decisions themselves agreed in a manual check (mid/big/mxheavy). NSD is a second opinion:
where NSD and Knot agree, dnsd agrees with both; where they disagree the case
is listed but does not fail the run.
"""
import argparse
import random
import socket
import sys

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.zone

# every type the zone loader accepts that the test zones hold, and a few
# they do not (NODATA); DNAME is refused at load, asked here for NODATA
TYPES = ["A", "AAAA", "SOA", "NS", "MX", "TXT", "SRV", "CNAME", "PTR", "DS", "CAA", "HINFO", "NAPTR",
         "SSHFP", "TLSA", "SVCB", "HTTPS", "URI", "LOC", "RP", "TYPE65280", "DNAME", "DNSKEY", "SPF"]

# (name, type, what it pins) relative to test.global.zone; "@" is the origin
FIXED = [
    ("nosuch.@", "A", "NXDOMAIN"),
    ("a.b.nosuch.@", "AAAA", "NXDOMAIN, several labels down"),
    ("www.@", "TXT", "NODATA"),
    ("v4only.@", "AAAA", "NODATA, AAAA of an A-only name"),
    ("default.@", "A", "empty non-terminal (RFC 8020: NOERROR)"),
    ("_tcp.messenger.default.@", "SRV", "empty non-terminal in an SRV name"),
    ("in-addr.@", "PTR", "empty non-terminal of the PTR names"),
    ("foo.wild.@", "A", "wildcard"),
    ("foo.wild.@", "TXT", "wildcard, second type"),
    ("foo.wild.@", "AAAA", "wildcard NODATA"),
    ("a.b.wild.@", "A", "wildcard, two labels below"),
    ("explicit.wild.@", "TXT", "explicit name beside the wildcard: NODATA, not the wildcard"),
    ("x.explicit.wild.@", "A", "below an explicit name beside a wildcard: NXDOMAIN"),
    ("*.wild.@", "A", "the wildcard asked by name"),
    ("x.wc.@", "A", "wildcard CNAME"),
    ("x.alias1.@", "A", "below a CNAME: NXDOMAIN, no CNAME"),
    ("alias1.@", "CNAME", "CNAME asked for"),
    ("alias1.@", "TXT", "CNAME chain for another type"),
    ("dangling.@", "A", "CNAME to nothing"),
    ("x.dangling.@", "A", "below a dangling CNAME"),
    ("external.@", "A", "CNAME out of zone"),
    ("tosub.@", "A", "CNAME into the delegation"),
    ("loop1.@", "A", "CNAME loop"),
    ("sub.@", "NS", "referral"),
    ("sub.@", "DS", "DS at the cut: the parent's NODATA"),
    ("host.sub.@", "A", "below the cut: referral"),
    ("occluded.sub.@", "A", "occluded data: referral"),
    ("WWW.@", "AAAA", "case: upper"),
    ("mixedcase.@", "A", "case: the file's MixedCase, asked lower"),
    ("MIXEDCASE.@", "A", "case: asked upper"),
    ("wWw.GlObAl.", "A", "case: mixed, origin included"),
    ("FOO.WILD.@", "TXT", "case: wildcard"),
    ("@", "SOA", "apex SOA"),
    ("@", "NS", "apex NS"),
    ("@", "DS", "DS at the apex: not ours (NODATA from the zone)"),
    ("example.com.", "A", "out of zone: REFUSED"),
    ("com.", "NS", "out of zone, a TLD: REFUSED"),
    (".", "SOA", "the root: REFUSED"),
    ("globalx.", "A", "a name that only shares a suffix of letters: REFUSED"),
    ("nosuch.types.test.", "A", "a zone the servers of this run serve too"),
]


def zone_names(path, origin):
    """Owner names in the zone plus the empty non-terminals above them."""
    z = dns.zone.from_file(path, origin=origin, relativize=False, check_origin=True)
    apex = z.origin
    names = set()
    for n in z.nodes:
        while n != apex and n.is_subdomain(apex):
            names.add(n)
            n = n.parent()
    names.add(apex)
    return apex, sorted(names)


def random_label(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(rng.randint(1, 12))).strip("-") or "x"


def mangle_case(rng, text):
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in text)


def make_pairs(rng, apex, names, count):
    """Names from the zone, below wildcards, nonexistent ones (beside and
    below existing names, below the delegation), each possibly case-mangled."""
    wildcard_parents = [n.parent() for n in names if n.labels[0] == b"*"]
    pairs = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.45:
            name = rng.choice(names).to_text()
        elif kind < 0.60 and wildcard_parents:
            parent = rng.choice(wildcard_parents)
            labels = ".".join(random_label(rng) for _ in range(rng.randint(1, 3)))
            name = "%s.%s" % (labels, parent.to_text())
        elif kind < 0.85:
            base = rng.choice(names).to_text()
            name = "%s.%s" % (random_label(rng), base) if base != "." else random_label(rng) + "."
        else:
            name = "%s.%s" % (random_label(rng), apex.to_text())
        if rng.random() < 0.3:
            name = mangle_case(rng, name)
        pairs.append((name, rng.choice(TYPES)))
    return pairs


def fixed_pairs(apex):
    origin = apex.to_text()
    out = []
    for name, qtype, _why in FIXED:
        n = origin if name == "@" else name.replace("@", origin)
        out.append((n, qtype))
    return out


def exhaustive_pairs(path, origin):
    apex, names = zone_names(path, origin)
    pairs = []
    for n in names:
        for t in TYPES:
            pairs.append((n.to_text(), t))
        pairs.append(("nonexistent-below." + n.to_text(), "A"))
    return pairs


def axfr_records(port, origin):
    """The zone's records as a set, via AXFR over TCP (dnspython)."""
    out = set()
    first = last = None
    for m in dns.query.xfr("127.0.0.1", origin, port=port, lifetime=30, relativize=False):
        for rrset in m.answer:
            for rd in rrset:
                r = (rrset.name.to_text().lower(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                     rd.to_text().lower())
                if first is None:
                    first = r
                last = r
                out.add(r)
    if first is None or first[2] != "SOA" or last != first:
        raise dns.exception.FormError("not SOA first and last")
    return out


def ask(port, name, qtype):
    q = dns.message.make_query(name, qtype, use_edns=0, payload=1232)
    q.flags = 0
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)


def view(msg):
    """The compared fields of a reply."""
    def rrs(section):
        out = set()
        for rrset in section:
            for rd in rrset:
                out.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype), rrset.ttl,
                         rd.to_text().lower()))
        return out
    return {
        "rcode": dns.rcode.to_text(msg.rcode()),
        "aa": bool(msg.flags & dns.flags.AA),
        "answer": rrs(msg.answer),
        "authority": rrs(msg.authority),
        "additional": rrs([r for r in msg.additional if r.rdtype != dns.rdatatype.OPT]),
    }


# ---- known differences, each with its reason ----

def normalise_nsd_authority_ns(v, apexes):
    """NSD (without minimal-responses) puts the apex NS RRset in the authority
    section of positive answers. RFC 1034 §4.3.2 step 4 / RFC 2181 §6.1 make
    that optional; dnsd and Knot answer minimally. Drop exactly that RRset,
    only on positive authoritative answers."""
    if v["rcode"] != "NOERROR" or not v["answer"] or not v["aa"]:
        return False
    ns = {r for r in v["authority"] if r[0] in apexes and r[1] == "NS"}
    if not ns or ns != v["authority"]:
        return False
    v["authority"] = set()
    return True


NORMALISE_NSD = [normalise_nsd_authority_ns]


def diff(a, b, fields=("rcode", "aa", "answer", "authority")):
    out = []
    for f in fields:
        if a[f] != b[f]:
            if isinstance(a[f], set):
                out.append("%s: only first %s, only second %s" % (f, sorted(a[f] - b[f]), sorted(b[f] - a[f])))
            else:
                out.append("%s: %s vs %s" % (f, a[f], b[f]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zone", required=True)
    ap.add_argument("--origin", default="global")
    ap.add_argument("--dnsd", type=int, required=True)
    ap.add_argument("--knot", type=int, required=True)
    ap.add_argument("--nsd", type=int, required=True)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--fixed", action="store_true")
    ap.add_argument("--exhaustive", action="append", default=[], metavar="FILE:ORIGIN")
    ap.add_argument("--axfr", action="append", default=[], metavar="ORIGIN")
    a = ap.parse_args()
    print("# seed %d (rerun with DIFF_SEED=%d), %d random questions" % (a.seed, a.seed, a.count))
    rng = random.Random(a.seed)
    apex, names = zone_names(a.zone, a.origin)
    apexes = {apex.to_text().lower()} | {spec.rsplit(":", 1)[1].rstrip(".").lower() + "." for spec in a.exhaustive}
    pairs = make_pairs(rng, apex, names, a.count)
    if a.fixed:
        pairs += fixed_pairs(apex)
        print("# %d fixed cases" % len(FIXED))
    for spec in a.exhaustive:
        path, origin = spec.rsplit(":", 1)
        more = exhaustive_pairs(path, origin)
        print("# %s: every type at every name, %d questions" % (origin, len(more)))
        pairs += more
    failed_axfr = 0
    for origin in a.axfr:
        try:
            got = {who: axfr_records(port, origin) for who, port in (("dnsd", a.dnsd), ("knot", a.knot), ("nsd", a.nsd))}
        except (dns.exception.DNSException, OSError) as e:
            print("not ok - AXFR %s: %r" % (origin, e))
            failed_axfr += 1
            continue
        for other in ("knot", "nsd"):
            if got["dnsd"] != got[other]:
                failed_axfr += 1
                print("not ok - AXFR %s: dnsd vs %s: only dnsd %s, only %s %s" % (
                    origin, other, sorted(got["dnsd"] - got[other])[:5], other, sorted(got[other] - got["dnsd"])[:5]))
            else:
                print("ok - AXFR %s: dnsd's %d records = %s's" % (origin, len(got["dnsd"]), other))
    types_seen = sorted({t for _, t in pairs})

    stats = {"agree": 0, "dnsd_vs_knot": 0, "nsd_vs_knot": 0, "additional_differs": 0}
    normalised = {f.__name__: 0 for f in NORMALISE_NSD}
    rcodes = {}
    for name, qtype in pairs:
        try:
            d = view(ask(a.dnsd, name, qtype))
            k = view(ask(a.knot, name, qtype))
            n = view(ask(a.nsd, name, qtype))
        except (dns.exception.DNSException, OSError) as e:
            print("not ok - %s %s: query failed: %r" % (name, qtype, e))
            stats["dnsd_vs_knot"] += 1
            continue
        for f in NORMALISE_NSD:
            if f(n, apexes):
                normalised[f.__name__] += 1
        rcodes[d["rcode"]] = rcodes.get(d["rcode"], 0) + 1
        dk = diff(d, k)
        nk = diff(n, k)
        if dk:
            stats["dnsd_vs_knot"] += 1
            print("not ok - %s %s: dnsd vs knot: %s" % (name, qtype, "; ".join(dk)))
            if not nk:
                print("#   (NSD agrees with Knot)")
            continue
        if nk:
            stats["nsd_vs_knot"] += 1
            print("# nsd differs from knot (dnsd = knot) for %s %s: %s" % (name, qtype, "; ".join(nk)))
        if d["additional"] != k["additional"]:
            stats["additional_differs"] += 1
        stats["agree"] += 1
    print("# rcodes seen from dnsd: %s" % ", ".join("%s=%d" % kv for kv in sorted(rcodes.items())))
    print("# normalised NSD replies: %s" % ", ".join("%s=%d" % kv for kv in normalised.items()))
    print("# additional section differs from Knot (not compared) in %d replies" % stats["additional_differs"])
    print("# types asked: %s" % " ".join(types_seen))
    print("# summary: %d questions, %d dnsd = knot, %d dnsd != knot, %d nsd != knot (informational), %d AXFR differences" % (
        len(pairs), stats["agree"], stats["dnsd_vs_knot"], stats["nsd_vs_knot"], failed_axfr))
    return 1 if stats["dnsd_vs_knot"] or failed_axfr else 0


if __name__ == "__main__":
    sys.exit(main())
