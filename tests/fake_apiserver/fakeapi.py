#!/usr/bin/python3
"""fakeapi.py - a small, faithful stand-in for kube-apiserver serving Istio
ServiceEntries (networking.istio.io), for dnsd's tests and benchmarks.

It speaks what dnsd and kubectl use of the real protocol:
  * HTTP/1.1 with keep-alive, over TLS (--cert/--key, optional --client-ca for
    client-certificate auth) or plain HTTP;
  * bearer tokens checked against --token-file, re-read on every request
    (so a test can rotate it), 401 Status otherwise;
  * discovery: /version /api /api/v1 /apis /apis/networking.istio.io[/VER]
    (--versions picks which of v1, v1beta1, v1alpha3 exist);
  * LIST with limit/continue (consistent snapshots at the list RV, rebuilt
    from the event history; continue tokens shaped like the apiserver's;
    410 Expired once the history they need is compacted), remainingItemCount,
    fieldSelector metadata.name/metadata.namespace, Table output for kubectl;
  * WATCH: chunked stream, events split across chunks and packed together,
    BOOKMARK events (allowWatchBookmarks), timeoutSeconds, ERROR 410 for a
    resourceVersion older than the history window;
  * POST / PUT / DELETE of ServiceEntries (the store accepts any JSON object:
    schema validation is not what is under test, broken objects are);
  * with --builtin-kinds, the built-in kinds kubectl applies (Deployments,
    Services, ConfigMaps, RBAC, ...): stored, patched and watched as the
    apiserver does, with stand-ins for the Deployment and Endpoints
    controllers (builtin.py);
  * fault injection and inspection under /_fake/ (see do_fake below).

Encoding follows the apiserver for custom resources: compact JSON with sorted
keys, Go's HTML escaping, raw UTF-8. Objects are encoded once, when stored.
Only the Python standard library is used.
"""

import argparse
import base64
import bisect
import datetime
import json
import os
import random
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import builtin  # noqa: E402  (tests/fake_apiserver/builtin.py)

GROUP = "networking.istio.io"
ALL_VERSIONS = ["v1", "v1beta1", "v1alpha3"]
KIND = "ServiceEntry"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FIXTURES = os.path.join(HERE, "..", "data", "k8s")


# --builtin-kinds: the built-in kinds (Deployments, Services, ConfigMaps,
# RBAC, ...) that kubectl applies, stored and served by builtin.py.
BUILTIN = builtin.KINDS


def builtin_resources(group):
    return builtin.resources_doc(group)


def go_json(obj, sort=True):
    s = json.dumps(obj, separators=(",", ":"), sort_keys=sort, ensure_ascii=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def status_body(code, reason, message, details=None, meta=None):
    """A metav1.Status in Go struct field order (typed, not sorted)."""
    o = {"kind": "Status", "apiVersion": "v1", "metadata": meta or {},
         "status": "Failure", "message": message, "reason": reason}
    if details is not None:
        o["details"] = details
    o["code"] = code
    return go_json(o, sort=False)


def now_ts():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_age(ts):
    """The Age cell as the apiserver renders a `date` printer column
    (k8s.io/apimachinery/pkg/util/duration.HumanDuration)."""
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return "<unknown>"
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    if s < 0:
        return "<invalid>"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = m // 60
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 192:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        dy = (h // 24) % 365
        return "%dy%dd" % (h // 24 // 365, dy) if dy else "%dy" % (h // 24 // 365)
    return "%dy" % (h // 24 // 365)


def obj_key(o):
    md = o.get("metadata") or {}
    return "%s/%s" % (md.get("namespace", ""), md.get("name", ""))


class Entry:
    """One stored object: the dict and its encoding for one API version."""
    __slots__ = ("obj", "enc", "raw")

    def __init__(self, obj, raw=None):
        self.obj = obj
        self.enc = {}
        self.raw = raw      # text served as is (apply-raw: broken objects)

    def encode(self, version):
        if self.raw is not None:
            return self.raw
        e = self.enc.get(version)
        if e is None:
            o = self.obj
            gv = GROUP + "/" + version
            if o.get("apiVersion") != gv:
                o = dict(o)
                o["apiVersion"] = gv
            e = go_json(o)
            self.enc[version] = e
        return e


class Store:
    """ServiceEntries with an etcd-like resourceVersion and a bounded history."""

    def __init__(self, history):
        self.lock = threading.Condition()
        self.rv = 1000
        self.objs = {}           # key -> Entry
        self.events = []         # (rv, type, key, Entry new, Entry old)
        self.floor = self.rv     # oldest RV a watch/continue may start from
        self.history = history
        self.snaps = {}          # rv -> (sorted keys, state) for paginated LISTs
        self.epoch = 0           # bumped by drop/restart: streams end
        self.expire = 0          # bumped by gone+stream: open watches get ERROR 410

    # -- mutation (call with lock held) --
    def _stamp(self, obj):
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        return self.rv

    def _record(self, rv, typ, key, new, old):
        self.events.append((rv, typ, key, new, old))
        if len(self.events) > self.history:
            drop = len(self.events) - self.history
            self.floor = self.events[drop - 1][0]
            del self.events[:drop]
        self.lock.notify_all()

    def put(self, obj, create_only=False, update_only=False):
        md = obj.setdefault("metadata", {})
        obj.setdefault("apiVersion", GROUP + "/v1")
        obj.setdefault("kind", KIND)
        key = obj_key(obj)
        with self.lock:
            old = self.objs.get(key)
            if old is not None and create_only:
                return 409, None
            if old is None and update_only:
                return 404, None
            if old is None:
                md.setdefault("uid", str(uuid.uuid4()))
                md.setdefault("creationTimestamp", now_ts())
                md.setdefault("generation", 1)
            else:
                omd = old.obj["metadata"]
                md["uid"] = omd.get("uid")
                md["creationTimestamp"] = omd.get("creationTimestamp")
                gen = omd.get("generation", 1)
                if old.obj.get("spec") != obj.get("spec"):
                    gen += 1
                md["generation"] = gen
            rv = self._stamp(obj)
            ent = Entry(obj)
            self.objs[key] = ent
            self._record(rv, "MODIFIED" if old else "ADDED", key, ent, old)
            return (200 if old else 201), ent

    def put_raw(self, key, text):
        """Stores text, served verbatim as the object key (ns/name); $RV in
        it becomes its resourceVersion. For objects a real client must
        survive but Python would not write: too deep, not UTF-8, cut."""
        ns, _, name = key.partition("/")
        with self.lock:
            old = self.objs.get(key)
            obj = {"metadata": {"namespace": ns, "name": name}}
            rv = self._stamp(obj)
            ent = Entry(obj, text.replace("$RV", str(rv)))
            self.objs[key] = ent
            self._record(rv, "MODIFIED" if old else "ADDED", key, ent, old)

    def put_line(self, text):
        """A line written verbatim into every watch stream that passes this
        point (not an event, or not JSON); it takes a resourceVersion."""
        with self.lock:
            self.rv += 1
            self._record(self.rv, "RAW", None, text, None)

    def delete(self, key):
        with self.lock:
            old = self.objs.pop(key, None)
            if old is None:
                return None
            gone = json.loads(json.dumps(old.obj))
            rv = self._stamp(gone)
            ent = Entry(gone)
            self._record(rv, "DELETED", key, ent, old)
            return ent

    def restart(self, jump):
        """etcd restored / apiserver restarted: every object gets a new
        resourceVersion, no history survives, open streams end."""
        with self.lock:
            self.rv += jump
            for key in sorted(self.objs):
                obj = self.objs[key].obj
                self._stamp(obj)
                self.objs[key] = Entry(obj)
            self.events = []
            self.floor = self.rv
            self.epoch += 1
            self.lock.notify_all()

    def compact(self, stream=False):
        with self.lock:
            self.events = []
            self.floor = self.rv
            if stream:
                self.expire += 1
            self.lock.notify_all()

    def snapshot_at(self, rv):
        """(sorted keys, {key: Entry}, rv) as of resourceVersion rv, or None
        when the history no longer reaches back that far. Lock held by the
        caller. Snapshots are cached per rv so that paging through a large
        LIST costs one sort, not one per page."""
        if rv >= self.rv:
            rv = self.rv
        elif rv < self.floor:
            return None
        hit = self.snaps.get(rv)
        if hit is not None:
            return hit
        if rv == self.rv:
            state = self.objs
        else:
            state = dict(self.objs)
            for (erv, typ, key, new, old) in reversed(self.events):
                if erv <= rv:
                    break
                if old is None:
                    state.pop(key, None)
                else:
                    state[key] = old
        snap = (sorted(state), dict(state), rv)
        if len(self.snaps) >= 4:
            del self.snaps[min(self.snaps)]
        self.snaps[rv] = snap
        return snap


def continue_token(rv, start_key):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start_key + "\x00"},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_continue(tok):
    try:
        pad = "=" * (-len(tok) % 4)
        d = json.loads(base64.urlsafe_b64decode(tok + pad))
        if d.get("v") != "meta.k8s.io/v1" or not isinstance(d.get("rv"), int):
            return None
        return d["rv"], d["start"]
    except (ValueError, KeyError, TypeError):
        return None


class Faults:
    """Injected faults. Each is armed for a number of matching requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.status = []        # dicts: code, count, match, retry_after
        self.slow = None        # {"bytes": n, "delay_ms": d, "count": k, "match": m}
        self.drop_after = None  # {"count": k, "events": n}: watch streams cut mid-event
        self.expire_continue = 0
        self.too_large_rv = 0
        self.crd_missing = False

    def take_status(self, kind):
        with self.lock:
            for f in self.status:
                if f["count"] > 0 and (f["match"] == kind or f["match"] == "any" and kind != "write"):
                    f["count"] -= 1
                    return dict(f)
        return None

    def take_slow(self, kind):
        with self.lock:
            s = self.slow
            if s and s["count"] > 0 and (s["match"] == kind or s["match"] == "any" and kind != "write"):
                s["count"] -= 1
                return dict(s)
        return None

    def take_drop(self):
        with self.lock:
            d = self.drop_after
            if d and d["count"] > 0:
                d["count"] -= 1
                return d["events"]
        return None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, args):
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        super().__init__(addr, handler)
        self.args = args
        self.store = Store(args.history)
        self.faults = Faults()
        self.builtin = builtin.Objects()
        self.log = []
        self.log_lock = threading.Lock()
        self.counts = {"list": 0, "watch": 0, "get": 0, "write": 0, "discovery": 0,
                       "unauthorized": 0, "faults": 0}
        self.conns = set()
        self.conns_lock = threading.Lock()
        self.watchers = 0
        self.versions = [v for v in args.versions.split(",") if v]
        self.discovery = {}
        ddir = os.path.join(args.fixtures, "discovery")
        for name in os.listdir(ddir):
            with open(os.path.join(ddir, name), encoding="utf-8") as f:
                self.discovery[name[:-5]] = json.load(f)
        self.ctx = None
        if args.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            if args.client_ca:
                ctx.load_verify_locations(args.client_ca)
                ctx.verify_mode = ssl.CERT_OPTIONAL
            self.ctx = ctx

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ctx:
            # Handshake in the handler thread, not the accept loop.
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def open_connections(self, but=None):
        with self.conns_lock:
            return [c for c in self.conns if c is not but]

    def kill_connections(self, conns=None):
        """Resets conns (default: every open connection)."""
        if conns is None:
            conns = self.open_connections()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Go's net/http (the apiserver) sets TCP_NODELAY; without it a watch
    # event split over two writes waits for a delayed ACK (40 ms).
    disable_nagle_algorithm = True
    server_version = "fakeapi"
    sys_version = ""

    # ---------- plumbing ----------
    def setup(self):
        super().setup()
        with self.server.conns_lock:
            self.server.conns.add(self.connection)
        self.slow = None

    def finish(self):
        with self.server.conns_lock:
            self.server.conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def handle_one_request(self):
        try:
            if self.server.ctx and isinstance(self.connection, ssl.SSLSocket):
                if not getattr(self, "_shook", False):
                    self.connection.do_handshake()
                    self._shook = True
            super().handle_one_request()
        except (ssl.SSLError, ConnectionError, OSError) as e:
            if self.server.args.verbose:
                sys.stderr.write("fakeapi: connection: %s\n" % e)
            self.close_connection = True

    def log_message(self, fmt, *a):
        if self.server.args.verbose:
            sys.stderr.write("fakeapi: %s %s\n" % (self.address_string(), fmt % a))

    def raw_write(self, data):
        if isinstance(data, str):
            data = data.encode()
        s = self.slow
        if s:
            step = max(1, s["bytes"])
            for i in range(0, len(data), step):
                self.wfile.write(data[i:i + step])
                self.wfile.flush()
                time.sleep(s["delay_ms"] / 1000.0)
        else:
            self.wfile.write(data)

    def reply(self, code, body, ctype="application/json", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        if body and not body.endswith(b"\n") and ctype == "application/json":
            body += b"\n"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.raw_write(body)
        self.record(code)

    def record(self, code):
        with self.server.log_lock:
            self.server.log.append({"method": self.command, "path": self.path, "code": code,
                                    "auth": self.headers.get("Authorization", "")[:7],
                                    "accept": self.headers.get("Accept", ""),
                                    "ua": self.headers.get("User-Agent", "")})
            if len(self.server.log) > 10000:
                del self.server.log[:5000]

    def body_json(self):
        return json.loads(self.body) if self.body else {}

    # ---------- auth ----------
    def authorized(self):
        args = self.server.args
        if isinstance(self.connection, ssl.SSLSocket) and args.client_ca:
            try:
                if self.connection.getpeercert():
                    return True
            except ValueError:
                pass
        if not args.token_file:
            return not args.client_ca or not args.require_auth
        try:
            with open(args.token_file, encoding="utf-8") as f:
                want = f.read().strip()
        except OSError:
            return False
        got = self.headers.get("Authorization", "")
        return bool(want) and got == "Bearer " + want

    # ---------- dispatch ----------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def dispatch(self, method):
        # Read any body first (DELETE carries DeleteOptions) so keep-alive
        # framing stays right whatever the route does with it.
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        parts = [p for p in u.path.split("/") if p]
        if parts and parts[0] == "_fake":
            return self.do_fake(method, parts[1:], q)
        if not self.authorized():
            self.server.counts["unauthorized"] += 1
            return self.reply(401, status_body(401, "Unauthorized", "Unauthorized"))
        try:
            self.route(method, parts, q)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def route(self, method, parts, q):
        srv = self.server
        if method == "GET" and parts in (["version"], ["api"], ["api", "v1"], ["apis"]) \
                or parts[:2] == ["apis", GROUP] and len(parts) <= 3:
            return self.discovery_doc(parts)
        if srv.args.builtin_kinds and (parts[:1] == ["api"] or parts[:2] != ["apis", GROUP]):
            return self.builtin(method, parts)
        # /apis/GROUP/VER[/namespaces/NS]/serviceentries[/NAME]
        if len(parts) < 4 or parts[:2] != ["apis", GROUP]:
            return self.not_found()
        ver = parts[2]
        rest = parts[3:]
        ns = None
        if len(rest) >= 2 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] != "serviceentries" or len(rest) > 2 \
                or ver not in srv.versions or srv.faults.crd_missing:
            return self.not_found()
        name = rest[1] if len(rest) == 2 else None
        kind = "watch" if q.get("watch") in ("1", "true") else "list"
        if method != "GET":
            kind = "write"
        elif name:
            kind = "get"
        f = srv.faults.take_status(kind)
        if f:
            srv.counts["faults"] += 1
            return self.fault_reply(f)
        self.slow = srv.faults.take_slow(kind)
        srv.counts[kind] += 1
        if kind == "watch":
            return self.watch(ver, ns, name, q)
        if kind == "list":
            return self.list(ver, ns, q)
        if kind == "get":
            with srv.store.lock:
                ent = srv.store.objs.get("%s/%s" % (ns, name))
            if ent is None:
                return self.obj_not_found(name)
            return self.reply(200, ent.encode(ver))
        return self.write(method, ver, ns, name)

    def not_found(self):
        return self.reply(404, status_body(404, "NotFound",
                                           "the server could not find the requested resource",
                                           details={}))

    def obj_not_found(self, name):
        return self.reply(404, status_body(
            404, "NotFound", 'serviceentries.%s "%s" not found' % (GROUP, name),
            details={"name": name, "group": GROUP, "kind": "serviceentries"}))

    def fault_reply(self, f):
        code = f["code"]
        if code == 429:
            body = "Too many requests, please try again later.\n"
            return self.reply(429, body, "text/plain; charset=utf-8",
                              [("Retry-After", str(f.get("retry_after", 1))),
                               ("X-Content-Type-Options", "nosniff")])
        reason = {500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}.get(code, "Unknown")
        hdr = [("Retry-After", str(f["retry_after"]))] if f.get("retry_after") else []
        return self.reply(code, status_body(code, reason, "Internal error occurred: injected fault",
                                            details={"causes": [{"message": "injected fault"}]}),
                          headers=hdr)

    def discovery_doc(self, parts):
        srv = self.server
        srv.counts["discovery"] += 1
        vers = srv.versions if not srv.faults.crd_missing else []
        gvs = [{"groupVersion": GROUP + "/" + v, "version": v} for v in ALL_VERSIONS if v in vers]
        if parts == ["version"]:
            return self.reply(200, go_json(srv.discovery["version"], sort=False))
        if parts == ["api"]:
            d = dict(srv.discovery["api"])
            host, port = self.server.server_address[:2]
            d["serverAddressByClientCIDRs"] = [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": "%s:%d" % (host, port)}]
            return self.reply(200, go_json(d, sort=False))
        if parts == ["api", "v1"]:
            if srv.args.builtin_kinds:
                return self.reply(200, go_json(builtin_resources(""), sort=False))
            return self.reply(200, go_json(srv.discovery["api_v1"], sort=False))
        group = {"name": GROUP, "versions": gvs,
                 "preferredVersion": gvs[0] if gvs else {}}
        if parts == ["apis"]:
            groups = [group] if gvs else []
            if srv.args.builtin_kinds:
                for g, (v, _res) in BUILTIN.items():
                    if g:
                        gv = {"groupVersion": g + "/" + v, "version": v}
                        groups.append({"name": g, "versions": [gv], "preferredVersion": gv})
            return self.reply(200, go_json({"kind": "APIGroupList", "apiVersion": "v1",
                                            "groups": groups}, sort=False))
        if not gvs:
            return self.not_found()
        if len(parts) == 2:
            d = {"kind": "APIGroup", "apiVersion": "v1"}
            d.update(group)
            return self.reply(200, go_json(d, sort=False))
        ver = parts[2]
        if ver not in vers:
            return self.not_found()
        d = json.loads(json.dumps(srv.discovery["apis_networking.istio.io_v1"]))
        d["groupVersion"] = GROUP + "/" + ver
        return self.reply(200, go_json(d, sort=False))

    def builtin(self, method, parts):
        """Built-in kinds (--builtin-kinds): see builtin.py."""
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        return builtin.handle(self, method, parts, q)

    # ---------- LIST ----------
    @staticmethod
    def selector(q, ns):
        fs = q.get("fieldSelector", "")
        want_name = want_ns = None
        for term in filter(None, fs.split(",")):
            k, _, v = term.partition("=")
            v = v.lstrip("=")
            if k == "metadata.name":
                want_name = v
            elif k == "metadata.namespace":
                want_ns = v
        if ns is not None:
            want_ns = ns

        def match(key):
            kns, _, kname = key.partition("/")
            return (want_ns is None or kns == want_ns) and (want_name is None or kname == want_name)
        return match

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def list(self, ver, ns, q):
        srv = self.server
        st = srv.store
        match = self.selector(q, ns)
        limit = int(q.get("limit") or 0)
        cont = q.get("continue", "")
        start = ""
        if srv.faults.too_large_rv:
            srv.faults.too_large_rv -= 1
            rv = st.rv + 786
            return self.reply(504, status_body(
                504, "Timeout", "Timeout: Too large resource version: %d, current: %d" % (rv, st.rv),
                details={"causes": [{"reason": "ResourceVersionTooLarge",
                                     "message": "Too large resource version"}],
                         "retryAfterSeconds": 1}))
        with st.lock:
            if cont:
                tok = parse_continue(cont)
                if tok is None:
                    return self.reply(400, status_body(400, "BadRequest",
                                                       "continue key is not valid: bad token"))
                at, start = tok
                snap = None
                if srv.faults.expire_continue:
                    srv.faults.expire_continue -= 1
                else:
                    snap = st.snapshot_at(at)
                if snap is None:
                    newtok = continue_token(-1, start.rstrip("\x00"))
                    return self.reply(410, status_body(
                        410, "Expired",
                        "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter, or use "
                        "the continue token in this response to retrieve the remainder of the "
                        "results. Continuing with the provided token results in an inconsistent "
                        "list - objects that were created, modified, or deleted between the time "
                        "the first chunk was returned and now may show up in the list.",
                        meta={"continue": newtok}))
            else:
                snap = st.snapshot_at(st.rv)
        keys, state, rv = snap
        filtered = q.get("fieldSelector") or ns is not None
        i = bisect.bisect_left(keys, start) if start else 0
        page = []
        while i < len(keys) and (limit <= 0 or len(page) < limit):
            if not filtered or match(keys[i]):
                page.append((keys[i], state[keys[i]]))
            i += 1
        if filtered:
            remaining = sum(1 for k in keys[i:] if match(k))
        else:
            remaining = len(keys) - i
        more = limit > 0 and remaining > 0
        meta = {"continue": continue_token(rv, page[-1][0]) if more else "",
                "resourceVersion": str(rv)}
        if more:
            meta["remainingItemCount"] = remaining
        if self.wants_table():
            return self.reply(200, self.table([e for _, e in page], meta))
        body = ('{"apiVersion":"%s/%s","items":[%s],"kind":"ServiceEntryList","metadata":%s}'
                % (GROUP, ver, ",".join(e.encode(ver) for _, e in page), go_json(meta)))
        return self.reply(200, body)

    @staticmethod
    def table_rows(entries):
        rows = []
        for e in entries:
            o = e.obj
            spec = o.get("spec") or {}
            md = o.get("metadata") or {}
            pmd = {k: v for k, v in md.items()}
            rows.append({"cells": [md.get("name", ""), go_json(spec.get("hosts", [])),
                                   spec.get("location", ""), spec.get("resolution", ""),
                                   human_age(md.get("creationTimestamp", ""))],
                         "object": {"kind": "PartialObjectMetadata",
                                    "apiVersion": "meta.k8s.io/v1", "metadata": pmd}})
        return rows

    COLUMNS = [
        {"name": "Name", "type": "string", "format": "name",
         "description": "Name must be unique within a namespace.", "priority": 0},
        {"name": "Hosts", "type": "string", "format": "",
         "description": "The hosts associated with the ServiceEntry", "priority": 0},
        {"name": "Location", "type": "string", "format": "",
         "description": "Whether the service is external to the mesh or part of the mesh "
                        "(MESH_EXTERNAL or MESH_INTERNAL)", "priority": 0},
        {"name": "Resolution", "type": "string", "format": "",
         "description": "Service resolution mode for the hosts (NONE, STATIC, or DNS)",
         "priority": 0},
        {"name": "Age", "type": "date", "format": "",
         "description": "CreationTimestamp ...", "priority": 0},
    ]

    def table(self, entries, meta):
        return go_json({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                        "columnDefinitions": self.COLUMNS, "rows": self.table_rows(entries)},
                       sort=False)

    # ---------- WATCH ----------
    def chunk(self, data):
        self.raw_write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, ver, ns, name, q):
        srv = self.server
        st = srv.store
        match = self.selector(q, ns if name is None else ns)
        if name is not None:
            base = match
            match = lambda k: base(k) and k.partition("/")[2] == name  # noqa: E731
        timeout = float(q.get("timeoutSeconds") or srv.args.watch_timeout)
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        table = self.wants_table()
        rvq = q.get("resourceVersion", "")
        drop_after = srv.faults.take_drop()
        rng = random.Random(srv.args.seed + srv.counts["watch"])

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.record(200)

        def enc_event(typ, ent):
            if typ == "RAW":
                return ent.encode("utf-8", "surrogateescape") + b"\n"
            if table:
                if typ in ("BOOKMARK", "ERROR"):
                    obj = ent
                else:
                    obj = json.loads(self.table([ent], {"resourceVersion":
                                                        ent.obj["metadata"]["resourceVersion"]}))
                return go_json({"type": typ, "object": obj}, sort=False).encode() + b"\n"
            body = ent if isinstance(ent, str) else ent.encode(ver)
            return ('{"type":"%s","object":%s}\n' % (typ, body)).encode("utf-8", "surrogateescape")

        pending = []   # encoded events not yet written
        sent = 0

        def flush(force_whole=False):
            """Write pending events with chunk boundaries that do not follow
            event boundaries: sometimes two events in a chunk, sometimes one
            event split over two chunks."""
            nonlocal sent
            while pending:
                ev = pending.pop(0)
                if drop_after is not None and sent >= drop_after:
                    # Cut the connection in the middle of an event.
                    half = ev[:max(1, len(ev) // 2)]
                    self.raw_write(b"%x\r\n%s" % (len(ev), half))
                    self.wfile.flush()
                    raise ConnectionAbortedError("injected drop")
                r = rng.random()
                if r < 0.3 and len(ev) > 2 and not force_whole:
                    cut = rng.randrange(1, len(ev))
                    self.chunk(ev[:cut])
                    self.chunk(ev[cut:])
                elif r < 0.5 and pending:
                    nxt = pending.pop(0)
                    self.chunk(ev + nxt)
                    sent += 1
                else:
                    self.chunk(ev)
                sent += 1

        try:
            with st.lock:
                epoch = st.epoch
                expire = st.expire
                if rvq in ("", "0"):
                    # Start with synthetic ADDED events for the current state.
                    cur = st.rv
                    for k, e in sorted(st.objs.items()):
                        if match(k):
                            pending.append(enc_event("ADDED", e))
                else:
                    try:
                        cur = int(rvq)
                    except ValueError:
                        cur = -1
                    if cur < st.floor:
                        msg = "too old resource version: %s (%d)" % (rvq, st.floor)
                        err = ('{"kind":"Status","apiVersion":"v1","metadata":{},'
                               '"status":"Failure","message":"%s","reason":"Expired","code":410}'
                               % msg)
                        pending.append(enc_event("ERROR", json.loads(err) if table else err))
                        cur = None
            if cur is None:
                flush()
                self.raw_write(b"0\r\n\r\n")
                self.close_connection = True
                return
            srv.watchers += 1
            deadline = time.monotonic() + timeout
            next_bm = time.monotonic() + srv.args.bookmark_interval
            try:
                while True:
                    flush()
                    with st.lock:
                        while True:
                            if st.epoch != epoch:
                                raise ConnectionAbortedError("restart")
                            if cur < st.floor or st.expire != expire:
                                # Compacted under us: tell the client, end.
                                msg = "too old resource version: %d (%d)" % (cur, st.floor)
                                err = ('{"kind":"Status","apiVersion":"v1","metadata":{},'
                                       '"status":"Failure","message":"%s","reason":"Expired",'
                                       '"code":410}' % msg)
                                pending.append(enc_event("ERROR", json.loads(err) if table
                                                         else err))
                                cur = None
                                break
                            new = [ev for ev in st.events if ev[0] > cur]
                            if new:
                                for (erv, typ, key, ent, _old) in new:
                                    if typ == "RAW" or match(key):
                                        pending.append(enc_event(typ, ent))
                                cur = new[-1][0]
                                break
                            t = time.monotonic()
                            if t >= deadline:
                                break
                            if bookmarks and t >= next_bm:
                                next_bm = t + srv.args.bookmark_interval
                                cur = max(cur, st.rv)
                                bm = ('{"apiVersion":"%s/%s","kind":"%s","metadata":'
                                      '{"resourceVersion":"%d"}}' % (GROUP, ver, KIND, st.rv))
                                pending.append(enc_event("BOOKMARK", json.loads(bm) if table
                                                         else bm))
                                break
                            wait = min(deadline, next_bm if bookmarks else deadline) - t
                            st.lock.wait(max(0.01, min(wait, 0.5)))
                    if cur is None or time.monotonic() >= deadline:
                        flush()
                        break
                self.raw_write(b"0\r\n\r\n")
                self.wfile.flush()
                if cur is None:
                    self.close_connection = True
            finally:
                srv.watchers -= 1
        except (ConnectionAbortedError, BrokenPipeError, ConnectionResetError, ssl.SSLError,
                OSError):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ---------- writes ----------
    def write(self, method, ver, ns, name):
        st = self.server.store
        if method == "DELETE":
            ent = st.delete("%s/%s" % (ns, name))
            if ent is None:
                return self.obj_not_found(name)
            return self.reply(200, ent.encode(ver))
        try:
            obj = self.body_json()
        except ValueError as e:
            return self.reply(400, status_body(400, "BadRequest", "invalid JSON: %s" % e))
        if not isinstance(obj, dict):
            return self.reply(400, status_body(400, "BadRequest", "body is not an object"))
        md = obj.setdefault("metadata", {})
        if ns is not None:
            md["namespace"] = ns
        if method == "PUT":
            md["name"] = name
        code, ent = st.put(obj, create_only=(method == "POST"), update_only=(method == "PUT"))
        if code == 409:
            return self.reply(409, status_body(409, "AlreadyExists",
                                               'serviceentries.%s "%s" already exists'
                                               % (GROUP, md.get("name")),
                                               details={"name": md.get("name"), "group": GROUP,
                                                        "kind": "serviceentries"}))
        if code == 404:
            return self.obj_not_found(name)
        return self.reply(code, ent.encode(ver))

    # ---------- test control ----------
    def do_fake(self, method, parts, q):
        """/_fake/ control endpoints (no auth):
          GET  state            rv, floor, objects, open watches, request counts
          GET  objects          every built-in object stored (--builtin-kinds), Endpoints included
          GET  requests         the request log (method, path, code, auth, accept)
          POST reset            empty store and faults, request log cleared
          POST apply            {"objects":[...]} create or replace each (any JSON object)
          POST delete           {"keys":["ns/name",...]}
          POST apply-raw        {"key":"ns/name","b64":...} store these bytes as the object
          POST raw-line         {"b64":...} a verbatim line in the watch streams
          POST generate         {"n":N,"namespaces":K,"prefix":"svc","v6":bool} N synthetic entries
          POST fault            {"kind":..., ...}:
             status       code (500|503|429|...), count, match (list|watch|get|write|any = reads), retry_after
             drop         cut every open watch now mid-event (connections closed)
             drop-after   count, events: the next `count` watches are cut after `events` events
             slow         bytes, delay_ms, count, match: trickle response bytes
             gone         compact history: RVs up to now are too old to resume from;
                          with "stream": true open watches also get ERROR 410 now
             restart      every object gets a new resourceVersion, history lost, all
                          connections closed (apiserver/etcd restart)
             expire-continue  count: next continue tokens are 410 Expired
             too-large-rv count: next LISTs answer 504 Too large resource version
             crd-missing  on (bool): the ServiceEntry API disappears (404)
             clear        remove every fault
        """
        srv = self.server
        st = srv.store
        if method == "GET" and parts == ["state"]:
            with st.lock:
                d = {"rv": st.rv, "floor": st.floor, "objects": len(st.objs),
                     "watchers": srv.watchers, "counts": dict(srv.counts),
                     "keys": sorted(st.objs) if q.get("keys") else None}
            return self.reply(200, json.dumps(d))
        if method == "GET" and parts == ["objects"]:
            return self.reply(200, json.dumps(srv.builtin.dump()))
        if method == "GET" and parts == ["requests"]:
            with srv.log_lock:
                body = json.dumps(srv.log)
            return self.reply(200, body)
        if method != "POST" or len(parts) != 1:
            return self.not_found()
        try:
            body = self.body_json()
        except ValueError as e:
            return self.reply(400, json.dumps({"error": str(e)}))
        what = parts[0]
        if what == "reset":
            with st.lock:
                st.objs.clear()
                st.events = []
                st.floor = st.rv
                st.epoch += 1
                st.lock.notify_all()
            srv.faults = Faults()
            with srv.log_lock:
                srv.log = []
            for k in srv.counts:
                srv.counts[k] = 0
        elif what == "apply":
            for o in body.get("objects", []):
                st.put(o)
        elif what == "apply-raw":
            st.put_raw(body["key"], base64.b64decode(body["b64"]).decode("utf-8", "surrogateescape"))
        elif what == "raw-line":
            st.put_line(base64.b64decode(body["b64"]).decode("utf-8", "surrogateescape"))
        elif what == "delete":
            for k in body.get("keys", []):
                st.delete(k)
        elif what == "generate":
            n = int(body.get("n", 0))
            nsn = max(1, int(body.get("namespaces", 100)))
            prefix = body.get("prefix", "svc")
            for i in range(n):
                ns = "ns-%d" % (i % nsn)
                a = 0xF0000000 + i + 1
                addrs = ["%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)]
                if body.get("v6"):
                    addrs.append("2001:db8:%x::%x" % (i >> 16, i & 0xFFFF))
                st.put({"apiVersion": GROUP + "/v1", "kind": KIND,
                        "metadata": {"name": "%s-%d" % (prefix, i), "namespace": ns},
                        "spec": {"hosts": ["%s-%d.%s.global" % (prefix, i, ns)],
                                 "addresses": addrs, "location": "MESH_INTERNAL",
                                 "resolution": "DNS",
                                 "ports": [{"name": "http", "number": 80, "protocol": "HTTP"}]}})
        elif what == "fault":
            f = srv.faults
            kind = body.get("kind")
            if kind == "status":
                with f.lock:
                    f.status.append({"code": int(body.get("code", 500)),
                                     "count": int(body.get("count", 1)),
                                     "match": body.get("match", "any"),
                                     "retry_after": body.get("retry_after")})
            elif kind == "drop":
                with st.lock:
                    st.epoch += 1
                    st.lock.notify_all()
            elif kind == "drop-after":
                with f.lock:
                    f.drop_after = {"count": int(body.get("count", 1)),
                                    "events": int(body.get("events", 1))}
            elif kind == "slow":
                with f.lock:
                    f.slow = {"bytes": int(body.get("bytes", 16)),
                              "delay_ms": float(body.get("delay_ms", 5)),
                              "count": int(body.get("count", 1)),
                              "match": body.get("match", "any")}
            elif kind == "gone":
                st.compact(bool(body.get("stream")))
            elif kind == "restart":
                st.restart(int(body.get("jump", 100000)))
                # the connections open now (not this control request's, nor
                # those that come after: the API is back by then) are reset
                # once this reply is out
                threading.Timer(0.05, srv.kill_connections,
                                [srv.open_connections(but=self.connection)]).start()
            elif kind == "expire-continue":
                f.expire_continue = int(body.get("count", 1))
            elif kind == "too-large-rv":
                f.too_large_rv = int(body.get("count", 1))
            elif kind == "crd-missing":
                f.crd_missing = bool(body.get("on", True))
            elif kind == "clear":
                srv.faults = Faults()
            else:
                return self.reply(400, json.dumps({"error": "unknown fault %r" % kind}))
        else:
            return self.not_found()
        with st.lock:
            body = json.dumps({"rv": st.rv, "objects": len(st.objs)})
        return self.reply(200, body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca", help="accept client certificates signed by this CA")
    ap.add_argument("--require-auth", action="store_true",
                    help="with --client-ca and no --token-file: refuse requests without a cert")
    ap.add_argument("--token-file", help="bearer token; re-read on every request")
    ap.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    ap.add_argument("--seed-list", help="a LIST document whose items are loaded at start")
    ap.add_argument("--versions", default="v1,v1beta1,v1alpha3")
    ap.add_argument("--builtin-kinds", action="store_true",
                    help="serve core, apps, rbac, policy, autoscaling and scheduling kinds "
                         "(builtin.py: kubectl apply, get, delete, scale, rollout status)")
    ap.add_argument("--history", type=int, default=10000, help="events kept for watch/continue")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--watch-timeout", type=float, default=1800)
    ap.add_argument("--seed", type=int, default=1, help="random seed for chunk splitting")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    srv = Server((args.listen, args.port), Handler, args)
    if args.seed_list:
        with open(args.seed_list, encoding="utf-8") as f:
            for o in json.load(f).get("items", []):
                o["metadata"].pop("resourceVersion", None)
                srv.store.put(o)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stderr.write("fakeapi: serving %s on %s:%d\n"
                     % ("https" if args.cert else "http", args.listen, port))
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
