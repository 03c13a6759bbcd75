#!/usr/bin/env bash
# Loading a zone file costs a bounded number of system calls, not some per
# record: `dnsd -t` on a 5,000-name zone (10,005 records) under strace makes
# fewer than 300 read/pread64/lseek calls (the file calls: the count of the
# others depends on the allocator, and a sanitizer's maps more). The loader once called ftell() (an lseek) twice and
# pread() once per record: 15,000 calls here, 600,000 and a second of kernel
# time for 100,000 names (README "Performance").
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || die "strace is not installed (.ci/deps)"
"$PY" "$REPO/tests/bench/genzone.py" --names 5000 --zone "$T/z.zone" --queries "$T/q.txt" >/dev/null
port=$(free_port) || die "no free port"
write_config "$T/t.yaml" --port "$port" --zone "{name: global, file: $T/z.zone}"
# LeakSanitizer cannot run under ptrace; the leak check is not what this test is about
out=$(ASAN_OPTIONS=detect_leaks=0 strace -f -c -e trace=read,pread64,lseek -o "$T/strace.txt" "$DNSD_BIN" -t -c "$T/t.yaml" 2>&1) || die "dnsd -t failed: $out"
assert_contains "$out" "10005 records" "the whole zone was loaded"
total=$(awk '$NF == "total" { print $(NF-2) }' "$T/strace.txt")
[ -n "$total" ] || die "no strace summary: $(cat "$T/strace.txt")"
echo "system calls for 10005 records: $total"
[ "$total" -lt 300 ] || die "loading 10005 records made $total read/pread64/lseek calls (want < 300): $(head -8 "$T/strace.txt")"
echo "ok - zone load: $total system calls for 10005 records"
