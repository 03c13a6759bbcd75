# SPDX-License-Identifier: BSD-3-Clause
"""benchlib.py - what the Python benchmarks share: a free loopback port,
polling with a deadline (never a sleep as synchronisation), dnsd's /metrics
read into a dict, and the fake
Kubernetes API server started with its certificates, token and a kubeconfig
for dnsd."""
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FAKEAPI = os.path.join(REPO, "tests", "fake_apiserver", "fakeapi.py")
MKCERTS = os.path.join(REPO, "tests", "fake_apiserver", "mkcerts.sh")
TOKEN = "bench-token"


def free_port():
    """A port free on 127.0.0.1 now (dnsd then binds it for UDP and TCP)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    """dnsd's metrics as {name: value}, labels left out (summed)."""
    out = {}
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if not line or line[0] == "#":
                continue
            name, _, v = line.rpartition(" ")
            name = name.split("{")[0]
            try:
                out[name] = out.get(name, 0) + float(v)
            except ValueError:
                pass
    return out


def wait_for(pred, secs, what, poll=0.01):
    """pred()'s first true value within secs seconds, polled every poll
    seconds; otherwise the benchmark stops, saying what it waited for."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(poll)
    prog = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    raise SystemExit("%s: timed out waiting for %s" % (prog, what))


class FakeApi:
    """tests/fake_apiserver/fakeapi.py, started in tmp: HTTPS with a CA made
    in tmp/pki (once per tmp), bearer token tmp/token, watch bookmarks every
    60 s and history events kept for resumed watches. .p is the process,
    .port its port, .kubeconfig a kubeconfig for dnsd (absolute paths),
    .log the fake's own log. req() keeps one HTTPS connection (a timed change
    must not pay a TLS handshake) and stops the benchmark on an HTTP error."""

    def __init__(self, tmp, name="bench", history=100000, timeout_s=120):
        prog = os.path.splitext(os.path.basename(sys.argv[0]))[0]
        self.prog, self.timeout_s, self.conn = prog, timeout_s, None
        self.pki = os.path.join(tmp, "pki")
        if not os.path.exists(os.path.join(self.pki, "ca.crt")):
            subprocess.run([MKCERTS, self.pki], check=True, capture_output=True)
        token = os.path.join(tmp, "token")
        if not os.path.exists(token):
            with open(token, "w") as f:
                f.write(TOKEN + "\n")
        portfile = os.path.join(tmp, name + ".port")
        self.log = os.path.join(tmp, name + ".fakeapi.log")
        self.p = subprocess.Popen([sys.executable, FAKEAPI, "--port-file", portfile,
                                   "--token-file", token,
                                   "--cert", os.path.join(self.pki, "server.crt"),
                                   "--key", os.path.join(self.pki, "server.key"),
                                   "--bookmark-interval", "60", "--history", str(history)],
                                  stderr=open(self.log, "w"))
        wait_for(lambda: os.path.exists(portfile) and open(portfile).read().strip(), 20,
                 "the fake API server (%s)" % name, poll=0.005)
        self.port = int(open(portfile).read())
        self.url = "https://127.0.0.1:%d" % self.port
        self.ca = os.path.join(self.pki, "ca.crt")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.kubeconfig = os.path.join(tmp, name + ".kubeconfig")
        with open(self.kubeconfig, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster: {server: "
                    "\"%s\", certificate-authority: %s}\nusers:\n- name: dnsd\n"
                    "  user: {tokenFile: %s}\ncontexts:\n- {name: %s, context: {cluster: %s, user: dnsd}}\n"
                    "current-context: %s\n" % (name, self.url, self.ca, token, name, name, name))

    def req(self, method, path, body=None):
        """The response body (bytes) of method path with body as JSON."""
        for attempt in (1, 2):   # once more on a fresh connection if the kept one was closed
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                        timeout=self.timeout_s)
            try:
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                                  headers={"Authorization": "Bearer " + TOKEN,
                                           "Content-Type": "application/json"})
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        if r.status >= 400:
            raise SystemExit("%s: %s %s: %d %s" % (self.prog, method, path, r.status, data[:200]))
        return data

    def list_all(self):
        """Every ServiceEntry the fake holds, through the paginated LIST."""
        import k8s_churn   # the bench scripts' folder is on sys.path
        return k8s_churn.list_all(self.req)

    def stop(self):
        stop_process(self.p)


def stop_process(p, secs=20):
    """SIGTERM, then SIGKILL if p has not ended within secs."""
    p.terminate()
    try:
        p.wait(secs)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
