#!/usr/bin/env bash
# NSD, Knot and BIND as secondaries of dnsd (hidden primary) for zone
# "global", fed by the fake Kubernetes API server plus zones/global.zone:
# - the initial AXFR: each secondary holds exactly the records dnsd serves;
# - a ServiceEntry change -> NOTIFY -> each secondary answers the new
#   address, by IXFR (dnsd logs an IXFR from its journal to each of them);
# - a restart of dnsd keeps the serial from going backwards, and the
#   secondaries follow the next change.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"
. "$E2E_DIR/secondaries.bash"
kinds=()
for k in "${SEC_KINDS[@]}"; do have_secondary "$k" && kinds+=("$k"); done
[ ${#kinds[@]} -gt 0 ] || skip "no secondary (nsd, knotd, named) installed"

start_fakeapi mesh-1
se_create mesh-1 team api api.team.global 10.0.0.1
se_create mesh-1 shop cart cart.shop.global 10.0.1.1 fd00::1

DNSD_PORT=$(free_port) || die "no free port"
HPORT=$(free_port) || die "no free port"
notify=
for k in "${kinds[@]}"; do
  p=$(free_port) || die "no free port"
  printf -v "SEC_WANT_PORT_$k" '%s' "$p"
  notify+="\"127.0.0.1:$p\", "
done
write_config "$T/dnsd.yaml" --port "$DNSD_PORT" --http "127.0.0.1:$HPORT" \
  --zone "{name: global, file: $REPO/zones/global.zone, ttl: 30, kubernetes: [mesh-1], notify: [${notify%, }]}" \
  --kubernetes "{name: mesh-1, kubeconfig: $T/mesh-1.kubeconfig}" "xfr: {notify-retry-ms: 200}"
start_dnsd "$T/dnsd.yaml"
wait_until 10 is_ready || die "dnsd not ready"
expect_answer 5 10.0.0.1 api.team.global

# the secondaries, on the ports dnsd notifies
for k in "${kinds[@]}"; do
  v="SEC_WANT_PORT_$k"
  SEC_WANT_PORT=${!v} start_secondary "$k" global
done

s0=$(serial)
for k in "${kinds[@]}"; do
  wait_until 30 sec_has_serial "$k" global "$s0" ||
    die "$k did not load serial $s0 (has '$(sec_serial "$k" global)'): $(tail -n 20 "$(sec_log "$k")" 2>/dev/null)"
  expect_same_records "$k" global
done

# a change at the API reaches every secondary through NOTIFY and IXFR
ixfr_before=$(grep -c 'transfer IXFR from journal' "$DNSD_LOG")
se_replace mesh-1 team api api.team.global 10.0.0.2
expect_answer 5 10.0.0.2 api.team.global
s1=$(serial)
for k in "${kinds[@]}"; do
  wait_until 15 sec_answers "$k" api.team.global A 10.0.0.2 ||
    die "$k still answers '$(dig +short -p "$(sec_port "$k")" @127.0.0.1 api.team.global)'"
  echo "ok - $k answers the new address"
  wait_until 5 sec_has_serial "$k" global "$s1" || die "$k serial $(sec_serial "$k" global), want $s1"
done
ixfrs_at_least() { [ "$(grep -c 'transfer IXFR from journal' "$DNSD_LOG")" -ge "$1" ]; }
wait_until 10 ixfrs_at_least $((ixfr_before + ${#kinds[@]})) ||
  die "fewer IXFRs from the journal than secondaries: $(grep 'transfer ' "$DNSD_LOG" | tail -n 8)"
echo "ok - the change went out as IXFR to each secondary"
assert_contains "$(grep 'notify' "$DNSD_LOG")" "answered" "NOTIFY answered"
for k in "${kinds[@]}"; do expect_same_records "$k" global; done

# restart: the serial does not go backwards, and the secondaries follow
kill_dnsd "$DNSD_PID"
start_dnsd "$T/dnsd.yaml"
wait_until 10 is_ready || die "dnsd not ready after the restart"
s2=$(serial)
"$PY" -c "import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if (a - b) % 2**32 < 2**31 else 1)" "$s2" "$s1" ||
  die "serial went backwards across a restart: $s1 -> $s2"
echo "ok - serial $s1 -> $s2 across a restart"
se_replace mesh-1 shop cart cart.shop.global 10.0.1.9 fd00::1
expect_answer 5 10.0.1.9 cart.shop.global
for k in "${kinds[@]}"; do
  wait_until 15 sec_answers "$k" cart.shop.global A 10.0.1.9 || die "$k did not follow after the restart"
  echo "ok - $k follows the restarted primary"
  expect_same_records "$k" global
done
assert_running
