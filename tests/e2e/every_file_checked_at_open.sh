#!/usr/bin/env bash
# Every file dnsd is told to read is a regular file of bounded size (one
# opener, dnsd/util/file.c): the config itself, a TSIG secret-file, a
# kubeconfig, the CA, client certificate, client key and tokenFile it names,
# and the in-cluster service account's token and ca.crt. For each, a
# directory, a FIFO without a writer and /dev/zero make `dnsd -t` exit 1
# within 5 s naming the path and the kind (not spin, not block). A running
# dnsd given the same on SIGHUP keeps its configuration, logs the path,
# counts the failure, still answers, and still stops on SIGTERM.
# Control: the good files pass `dnsd -t`. (Zone files: zone_file_bad_input_rejected;
# state files: kubernetes_state_file_refused_when_bad.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/k8s.bash"
make_pki
port=$(free_port) || die "no free port"
hport=$(free_port) || die "no free port"
zone="{name: global, file: $TEST_ZONE}"
secret=$(head -c 32 /dev/urandom | base64)
printf '%s\n' "$secret" >"$T/good.secret"
printf 'token-1\n' >"$T/good.token"
cp "$PKI/client.crt" "$T/client.crt" 2>/dev/null || cp "$PKI/ca.crt" "$T/client.crt"
mkdir "$T/dir"; mkfifo "$T/fifo"
kinds=(dir fifo zero)
bad_path() { case $1 in dir) echo "$T/dir" ;; fifo) echo "$T/fifo" ;; zero) echo /dev/zero ;; esac; }
kind_word() { case $1 in dir) echo "a directory" ;; fifo) echo "a FIFO" ;; zero) echo "a character device" ;; esac; }

# kubeconfig FILE CA TOKEN [CERT]: one cluster over https with CA, user with TOKEN (and CERT/KEY)
kubeconfig() {
  local user="    tokenFile: $3"
  [ -n "${4:-}" ] && user="    client-certificate: $4
    client-key: $4"
  write_kubeconfig "$1" "https://127.0.0.1:1" mesh-1 "$user" "    certificate-authority: $2"
}
# tsig_config FILE SECRET_FILE
tsig_config() {
  write_config "$1" --port "$port" --zone "$zone" \
    "tsig-keys: [{name: xfr-a, algorithm: hmac-sha256, secret-file: $2}]" "lameduck-ms: 0" \
    --http "127.0.0.1:$hport"
}
# k8s_cfg FILE KUBECONFIG
k8s_cfg() {
  write_config "$1" --port "$port" --zone "{name: global, file: $TEST_ZONE, kubernetes: [mesh-1]}" \
    --kubernetes "{name: mesh-1, kubeconfig: $2}"
}

# refused WHAT CONFIG WANT [ENV...]: dnsd -t exits 1 within 5 s and says WANT
refused() {
  local what=$1 cfg=$2 want=$3 out rc=0 t0 ms
  shift 3
  t0=$(date +%s%N)
  out=$(env "$@" timeout 5 "$DNSD_BIN" -t -c "$cfg" 2>&1) || rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$rc" -ne 124 ] || die "$what: dnsd -t hung"
  [ "$rc" -eq 1 ] || die "$what: dnsd -t exit $rc: $out"
  assert_contains "$out" "$want" "$what: dnsd -t exits 1 in $ms ms naming the path"
}

# the controls: every good file passes
tsig_config "$T/tsig.yaml" "$T/good.secret"
assert_contains "$("$DNSD_BIN" -t -c "$T/tsig.yaml" 2>&1)" ": ok" "good TSIG secret-file passes dnsd -t"
kubeconfig "$T/good.kubeconfig" "$PKI/ca.crt" "$T/good.token"
k8s_cfg "$T/k8s.yaml" "$T/good.kubeconfig"
assert_contains "$("$DNSD_BIN" -t -c "$T/k8s.yaml" 2>&1)" ": ok" "good kubeconfig, CA and token pass dnsd -t"

for k in "${kinds[@]}"; do
  p=$(bad_path "$k") w=$(kind_word "$k")
  want="$p: not a regular file ($w)"
  refused "config is $w" "$p" "$want"
  tsig_config "$T/c.yaml" "$p"
  refused "TSIG secret-file is $w" "$T/c.yaml" "$want"
  k8s_cfg "$T/c.yaml" "$p"
  refused "kubeconfig is $w" "$T/c.yaml" "kubernetes mesh-1: $want"
  kubeconfig "$T/k.kubeconfig" "$p" "$T/good.token"
  k8s_cfg "$T/c.yaml" "$T/k.kubeconfig"
  refused "certificate-authority is $w" "$T/c.yaml" "certificate-authority: $want"
  kubeconfig "$T/k.kubeconfig" "$PKI/ca.crt" "$p"
  refused "tokenFile is $w" "$T/c.yaml" "tokenFile: $want"
  kubeconfig "$T/k.kubeconfig" "$PKI/ca.crt" "" "$p"
  refused "client-certificate is $w" "$T/c.yaml" "client-certificate: $want"
  # in-cluster: the service account directory's token, then its ca.crt
  sa=$T/sa-$k; mkdir -p "$sa"; ln -sfn "$p" "$sa/token"
  write_config "$T/c.yaml" --port "$port" --zone "{name: global, file: $TEST_ZONE, kubernetes: [mesh-1]}" \
    --kubernetes "{name: mesh-1, in-cluster: true}"
  refused "in-cluster token is $w" "$T/c.yaml" "$sa/token: not a regular file ($w)" \
    KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=1 DNSD_SERVICEACCOUNT_DIR="$sa"
  cp "$T/good.token" "$sa/token.real"; ln -sfn "$sa/token.real" "$sa/token"; ln -sfn "$p" "$sa/ca.crt"
  refused "in-cluster ca.crt is $w" "$T/c.yaml" "$sa/ca.crt: not a regular file ($w)" \
    KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=1 DNSD_SERVICEACCOUNT_DIR="$sa"
done

# the size limit: a TSIG secret-file of 1 MiB is refused, naming the limit
head -c 1048576 /dev/zero | tr '\0' A >"$T/big.secret"
tsig_config "$T/c.yaml" "$T/big.secret"
refused "a 1 MiB secret-file" "$T/c.yaml" "$T/big.secret: larger than 1023 bytes"

# Reload: the running dnsd keeps its configuration through each bad file.
live=$T/live.yaml
cp "$T/tsig.yaml" "$live"
start_dnsd "$live"
assert_eq "$(qstatus www.global A)" NOERROR "served before the reloads"
n=0
for k in "${kinds[@]}"; do
  p=$(bad_path "$k")
  for how in config secret; do
    before=$(wc -c <"$DNSD_LOG")
    if [ "$how" = config ]; then
      rm -f "$live"; ln -s "$p" "$live"; want="$live: not a regular file"
    else
      rm -f "$live"; tsig_config "$live" "$p"; want="$p: not a regular file"
    fi
    kill -HUP "$DNSD_PID"
    said() { tail -c +"$((before + 1))" "$DNSD_LOG" | grep -qF "$want"; }
    wait_until 5 said || die "reload with the $how a $k: no error naming $want"
    kept() { tail -c +"$((before + 1))" "$DNSD_LOG" | grep -q "reload failed: keeping the previous configuration"; }
    wait_until 5 kept ||
      die "reload with the $how a $k: not said to keep the old config"
    n=$((n + 1))
    assert_eq "$(qstatus www.global A)" NOERROR "reload with the $how a $k fails, still answered"
  done
done
failures=$(curl -sS --max-time 5 "http://127.0.0.1:$hport/metrics" | awk '$1 == "dnsd_reload_failures_total" {print $2}')
# (the file watcher may reload on the same change too: at least one per SIGHUP)
[ "${failures:-0}" -ge "$n" ] || die "dnsd_reload_failures_total $failures, want >= $n"
assert_eq "$(curl -sS --max-time 5 "http://127.0.0.1:$hport/metrics" |
  awk '$1 == "dnsd_reloads_total" {print $2}')" 0 "no reload succeeded"
echo "ok - every failed reload counted ($failures in dnsd_reload_failures_total)"
kill -TERM "$DNSD_PID"
wait_until 5 not_running "$DNSD_PID" || die "dnsd ignored SIGTERM after the failed reloads"
echo "ok - SIGTERM stops dnsd within 5 s after $n failed reloads"
