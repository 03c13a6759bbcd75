#!/bin/bash
# mkcerts.sh DIR - a throwaway PKI for the fake API server tests:
#   ca.crt/ca.key          the test CA
#   server.crt/server.key  127.0.0.1, ::1, localhost (signed by ca)
#   client.crt/client.key  a client certificate (CN=dnsd, O=system:masters)
#   other-ca.crt           an unrelated CA (verification must fail with it)
set -euo pipefail
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
days=2
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
    -days $days -subj "/CN=fakeapi-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key \
    -out other-ca.crt -days $days -subj "/CN=some-other-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
leaf() { # name subject extensions
    ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" \
        -subj "$2"
    printf '%s\n' "$3" > "$1.ext"
    ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" \
        -days $days -extfile "$1.ext"
    rm -f "$1.csr" "$1.ext"
}
leaf server "/CN=kube-apiserver" \
"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes.default.svc"
leaf client "/O=system:masters/CN=dnsd" \
"basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
chmod 600 ./*.key
