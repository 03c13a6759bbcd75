#!/usr/bin/env bash
# `make image` builds the FROM scratch image offline (static dnsd, config,
# zones, passwd); its root filesystem holds exactly those files, its config
# runs /dnsd -c /etc/dnsd/dnsd.yaml as 65532:65532, and the entrypoint, run
# from the unpacked rootfs with chroot as that user, answers DNS and /health.
# Run as root with `user: dnsd`, the static binary finds dnsd in the image's
# /etc/passwd (no NSS modules in the image) and drops to 65532.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "chroot needs root"
rootfs=$T/rootfs
image=localhost/dnsd-e2e:$$
# A private store, so the test neither needs nor touches the host's images.
buildah=(buildah --storage-driver vfs --root "$T/storage" --runroot "$T/runroot")

# DNSD_TEST_NO_BUILDAH=1 exercises the fallback below.
if [ -z "${DNSD_TEST_NO_BUILDAH:-}" ] && command -v buildah >/dev/null &&
   "${buildah[@]}" info >/dev/null 2>&1; then
  make -s -C "$REPO" image IMAGE="$image" BUILDAH="${buildah[*]}" >"$T/image.log" 2>&1 ||
    { tail -n 30 "$T/image.log"; die "make image failed"; }
  echo "ok - make image built $image"
  on_exit "${buildah[*]} rmi -f $image"
  "${buildah[@]}" push "$image" "oci:$T/oci" >"$T/push.log" 2>&1 || die "buildah push: $(cat "$T/push.log")"
  # Unpack the layers in order and keep the image config for the checks.
  $PY - "$T/oci" "$rootfs" "$T/image-config.json" <<'PY' || die "cannot unpack the image"
import json, os, sys, tarfile
oci, rootfs, out = sys.argv[1:4]
blob = lambda d: os.path.join(oci, "blobs", *d.split(":"))
index = json.load(open(os.path.join(oci, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
os.makedirs(rootfs)
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"])) as t:    # plain or gzip
        for m in t.getmembers():
            assert not os.path.basename(m.name).startswith(".wh."), "whiteout in a FROM scratch image"
        t.extractall(rootfs, numeric_owner=True)
json.dump(json.load(open(blob(manifest["config"]["digest"]))), open(out, "w"))
PY
  echo "ok - image exported (buildah push oci:) and unpacked"
else
  # No working buildah here: build the same rootfs from the Containerfile's
  # COPY lines over the context `make image` stages, so the static binary and
  # the layout are still tested.
  note "buildah cannot run here: building the rootfs from Containerfile's COPY lines instead"
  make -s -C "$REPO" VARIANT=static all >"$T/build.log" 2>&1 || die "static build failed"
  ctx=$T/context
  mkdir -p "$ctx/zones" "$rootfs"
  cp "$REPO/build/static/dnsd" "$REPO/conf/container/"{dnsd.yaml,passwd,group} "$ctx/"
  cp "$REPO"/zones/*.zone "$ctx/zones/"
  while read -r verb src dst; do
    [ "$verb" = COPY ] || continue
    mkdir -p "$rootfs$(dirname "$dst")"
    if [ -d "$ctx/$src" ]; then mkdir -p "$rootfs$dst" && cp -a "$ctx/$src/." "$rootfs$dst"
    else cp -a "$ctx/$src" "$rootfs$dst"; fi
  done <"$REPO/Containerfile"
  printf '{"config": {"User": "%s", "Entrypoint": %s, "ExposedPorts": {%s}}}\n' \
    "$(sed -n 's/^USER //p' "$REPO/Containerfile")" \
    "$(sed -n 's/^ENTRYPOINT //p' "$REPO/Containerfile")" \
    "$(sed -n 's/^EXPOSE //p' "$REPO/Containerfile" | tr ' ' '\n' | sed 's|^[0-9]*$|&/tcp|; s/.*/"&": {}/' | paste -sd,)" \
    >"$T/image-config.json"
fi

# --- the image: its files and its config
files=$(cd "$rootfs" && find . -type f | sort | tr '\n' ' ')
assert_eq "$files" "./dnsd ./etc/dnsd/dnsd.yaml ./etc/dnsd/zones/global.zone ./etc/group ./etc/passwd " "rootfs holds exactly the COPYed files"
readelf -l "$rootfs/dnsd" | grep -q INTERP && die "/dnsd has a program interpreter: not static"
readelf -d "$rootfs/dnsd" 2>/dev/null | grep -q NEEDED && die "/dnsd needs shared libraries"
echo "ok - /dnsd is a static executable"
assert_match "$(grep '^dnsd:' "$rootfs/etc/passwd")" '^dnsd:x:65532:65532:' "/etc/passwd names dnsd 65532"
cfg=$($PY -c 'import json,sys; c=json.load(open(sys.argv[1]))["config"]; print(c["User"]); print(json.dumps(c["Entrypoint"])); print(" ".join(sorted(c["ExposedPorts"])))' "$T/image-config.json")
assert_eq "$(sed -n 1p <<<"$cfg")" 65532:65532 "image USER"
assert_eq "$(sed -n 2p <<<"$cfg")" '["/dnsd", "-c", "/etc/dnsd/dnsd.yaml"]' "image ENTRYPOINT"
assert_eq "$(sed -n 3p <<<"$cfg")" "53/tcp 53/udp 8080/tcp 9153/tcp" "image EXPOSE"
mapfile -t entrypoint < <($PY -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["config"]["Entrypoint"]))' "$T/image-config.json")
chroot "$rootfs" /dnsd -t -c /etc/dnsd/dnsd.yaml >"$T/t.log" 2>&1 || die "the image's own config fails dnsd -t: $(cat "$T/t.log")"
echo "ok - the image's /etc/dnsd/dnsd.yaml passes dnsd -t in the rootfs"

# --- run the entrypoint from the rootfs, as the image's user
run_image() {   # run_image CHROOT_USERSPEC USER_KEY WANT_UID
  local port mport
  port=$(free_port) || die "no free port"
  mport=$(free_port) || die "no free port"
  # the zone file's path is the image's, relative to /etc/dnsd
  write_config "$rootfs/etc/dnsd/dnsd.yaml" --port "$port" --zone "{name: global, file: zones/global.zone, ttl: 30}" \
    --http "127.0.0.1:$mport" --user "$2"
  DNSD_PORT=$port
  DNSD_LOG=$T/chroot.$1.log
  chroot --userspec="$1" "$rootfs" "${entrypoint[@]}" >"$DNSD_LOG" 2>&1 &
  DNSD_PID=$!
  on_exit "kill_dnsd $DNSD_PID"
  wait_until 10 dnsd_alive || die "dnsd in the rootfs did not answer within 10s"
  kill -0 "$DNSD_PID" 2>/dev/null || die "dnsd in the rootfs exited: $(cat "$DNSD_LOG")"
  assert_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$DNSD_PID/status")" "$3 $3 $3 $3" "as $1 with user '$2': runs as uid $3"
  assert_eq "$(qshort messenger.default.global A)" 127.127.42.69 "as $1: answers over UDP"
  assert_eq "$(qshort +tcp _http1._tcp.messenger.default.global SRV)" "0 0 3000 messenger.default.global." "as $1: answers over TCP"
  assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$mport/health")" 200 "as $1: /health"
  stop_dnsd || die "exit status $? after SIGTERM"
  echo "ok - as $1: exits 0 on SIGTERM"
}
run_image 65532:65532 "" 65532
run_image 0:0 dnsd 65532
