#!/usr/bin/env bash
# spec.exportTo: a central DNS cannot tell which namespace asks, so an entry
# exported only to some namespaces (["."]) is either not served at all
# (export-to: require-all, the default) or served to everyone
# (export-to: ignore). Absent, [] and anything with "*" are served either way.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/k8s.bash"

spec() {   # HOST ADDR EXPORT_TO_JSON|""
  printf '{"hosts":["%s"],"addresses":["%s"],%s"resolution":"DNS","ports":[{"name":"http","number":80,"protocol":"HTTP"}]}' \
    "$1" "$2" "${3:+\"exportTo\":$3,}"
}
for c in ign req def; do
  start_fakeapi mesh-$c
  se_put mesh-$c dot private "$(spec private-$c.dot.global 240.0.4.1 '["."]')"
  se_put mesh-$c dot listed "$(spec listed-$c.dot.global 240.0.4.2 '["dot","other"]')"
  se_put mesh-$c dot all "$(spec all-$c.dot.global 240.0.4.3 '[".","*"]')"
  se_put mesh-$c dot absent "$(spec absent-$c.dot.global 240.0.4.4 '')"
  se_put mesh-$c dot empty "$(spec empty-$c.dot.global 240.0.4.5 '[]')"
done

k8s_dnsd --zone "{name: global, ttl: 30, kubernetes: [mesh-ign, mesh-req, mesh-def]}" \
  --kubernetes "$(k8s_source mesh-ign 'export-to: ignore')" \
  --kubernetes "$(k8s_source mesh-req 'export-to: require-all')" \
  --kubernetes "$(k8s_source mesh-def)"
wait_until 15 is_ready || die "not ready"

expect_answer 5 240.0.4.1 private-ign.dot.global
expect_answer 5 240.0.4.2 listed-ign.dot.global
echo "ok - export-to: ignore serves exportTo [\".\"] and a namespace list"
for c in req def; do
  expect_status 5 NXDOMAIN private-$c.dot.global
  expect_status 5 NXDOMAIN listed-$c.dot.global
  echo "ok - mesh-$c: exportTo [\".\"] and [dot, other] are not served"
  expect_log 5 "warn: kubernetes mesh-$c: ServiceEntry dot/private" "spec.exportTo" "export-to"
  expect_log 5 "warn: kubernetes mesh-$c: ServiceEntry dot/listed" "spec.exportTo" "export-to"
  expect_dropped 5 mesh-$c export-to 2
done
for c in ign req def; do
  expect_answer 5 240.0.4.3 all-$c.dot.global
  expect_answer 5 240.0.4.4 absent-$c.dot.global
  expect_answer 5 240.0.4.5 empty-$c.dot.global
done
echo "ok - absent, [] and a list with \"*\" are served under every setting"
assert_eq "$(dropped mesh-ign export-to)" 0 "export-to: ignore drops nothing"

# live: exported to all, then back to "."
se_put mesh-req dot private "$(spec private-req.dot.global 240.0.4.1 '["*"]')"
expect_answer 5 240.0.4.1 private-req.dot.global
se_put mesh-req dot private "$(spec private-req.dot.global 240.0.4.1 '["."]')"
expect_status 5 NXDOMAIN private-req.dot.global
expect_dropped 5 mesh-req export-to 3
assert_running
