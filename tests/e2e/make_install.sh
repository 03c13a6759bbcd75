#!/usr/bin/env bash
# make install DESTDIR=... PREFIX=/usr lays out the binary, the systemd unit
# (paths substituted), the man page, the sample config and zone.
. "$(dirname "$0")/lib.sh"

d=$T/root
make -s -C "$REPO" install DESTDIR="$d" PREFIX=/usr >"$T/install.log" 2>&1 ||
  { cat "$T/install.log"; die "make install failed"; }

for f in usr/sbin/dnsd usr/lib/systemd/system/dnsd.service usr/share/man/man8/dnsd.8 \
         etc/dnsd/dnsd.yaml.sample etc/dnsd/zones/global.zone.sample; do
  [ -f "$d/$f" ] || die "missing /$f"
  echo "ok - /$f installed"
done
assert_eq "$(stat -c %a "$d/usr/sbin/dnsd")" 755 "binary mode"
for f in usr/lib/systemd/system/dnsd.service usr/share/man/man8/dnsd.8 etc/dnsd/dnsd.yaml.sample; do
  assert_eq "$(stat -c %a "$d/$f")" 644 "/$f mode"
done
assert_match "$("$d/usr/sbin/dnsd" -V)" '^dnsd [0-9]' "installed binary runs"

unit=$(cat "$d/usr/lib/systemd/system/dnsd.service")
[[ $unit =~ @[A-Z_]+@ ]] && die "unit still has ${BASH_REMATCH[0]}"
echo "ok - no @PLACEHOLDER@ left in the unit"
assert_contains "$unit" "ExecStart=/usr/sbin/dnsd -c /etc/dnsd/dnsd.yaml" "ExecStart uses the PREFIX"

man=$(MANWIDTH=80 man -l "$d/usr/share/man/man8/dnsd.8" 2>&1)
assert_contains "$man" "SIGHUP" "man page renders and documents signals"
warnings=$(groff -man -ww -z "$d/usr/share/man/man8/dnsd.8" 2>&1)
assert_eq "$warnings" "" "man page has no groff warnings"

# the sample config points at the sample zone's directory
assert_contains "$(cat "$d/etc/dnsd/dnsd.yaml.sample")" "file: zones/global.zone" "sample config uses zones/ next to it"
# what an operator does: drop the .sample suffixes, then check
cp "$d/etc/dnsd/zones/global.zone.sample" "$d/etc/dnsd/zones/global.zone"
cp "$d/etc/dnsd/dnsd.yaml.sample" "$d/etc/dnsd/dnsd.yaml"
"$d/usr/sbin/dnsd" -t -c "$d/etc/dnsd/dnsd.yaml" >"$T/t.log" 2>&1 ||
  die "sample config does not load: $(cat "$T/t.log")"
echo "ok - the sample config and zone load (dnsd -t)"
