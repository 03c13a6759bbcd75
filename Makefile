# dnsd - hand-written Makefile (Redis style). Variants build into build/<variant>/.
#   make            build build/release/dnsd
#   make run        install missing packages, build, serve zones/ + conf/dnsd.yaml on 127.0.0.1:5353
#   make check      install missing packages, build, run every test
#   make asan       the same tests under ASan + UBSan in build/asan
#   make tsan       the same tests under ThreadSanitizer in build/tsan
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS per target
#   make bench      dnsperf against dnsd, NSD and Knot on the same zone; Kubernetes; PROXY v2
#   make install    PREFIX/DESTDIR-aware: binary, man page, systemd unit, sample config
#   make image      static build (VARIANT=static), then a FROM scratch image with buildah
#   make format     clang-format dnsd/, tests/unit/, tests/fuzz/ in place (.clang-format)
#   make format-check  list the files make format would change; exit 1 if any
#   make analyze    clang-tidy's static analyzer (clang-analyzer-*) on every dnsd/ file; exit 1
#                   on any finding (minutes; not part of make check)
#   (make all also writes build/compile_commands.json, linked from the top, for
#   editors and clang-tidy: clang-tidy -p build dnsd/dns/wire.c)

VARIANT ?= release
BUILD   := build/$(VARIANT)
CC      ?= cc
PKGS    := libevent libevent_pthreads ldns yaml-0.1 openssl liburing
# VARIANT=static links every library statically (for the FROM scratch image).
# glibc's NSS is not available in such a binary without its shared modules, so
# dnsd resolves `user:` from /etc/passwd itself or takes a numeric uid[:gid].
ifeq ($(VARIANT),static)
PKG_STATIC := --static
STATIC_LDFLAGS := -static
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config $(PKG_STATIC) --libs $(PKGS) 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla
OPT     ?= -g -O2
SAN     ?=
# The version is defined here and nowhere else: the code sees DNSD_VERSION.
VERSION := 0.1.0
ALL_CFLAGS := -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -pthread -MMD -MP -Idnsd \
              -DDNSD_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(SAN) $(CFLAGS)
ALL_LDFLAGS := -pthread $(STATIC_LDFLAGS) $(SAN) $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lm

# Extra libraries for one unit test: test_json links jansson as its oracle.
TEST_LIBS_test_json := -ljansson

# The source tree has one folder per layer (README "Architecture"); every
# file but main.c goes into libdnsd.a, which the daemon and every test link.
LAYERS    := dns util conf query zone k8s server
LIB_SRCS  := $(sort $(foreach l,$(LAYERS),$(wildcard dnsd/$(l)/*.c)))
LIB_OBJS  := $(LIB_SRCS:dnsd/%.c=$(BUILD)/obj/%.o)
# Unit tests mirror the tree: tests/unit/<layer>/test_<module>.c.
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
PORT    ?= 5353

# make image: the static binary in a FROM scratch image. buildah (vfs storage,
# chroot isolation: works unprivileged-ish and in containers) unless a docker
# daemon answers. Fully offline: FROM scratch pulls nothing.
IMAGE   ?= localhost/dnsd:latest
IMAGE_CONTEXT := build/image
BUILDAH ?= buildah --storage-driver vfs

.PHONY: all deps run check test unit e2e fuzz-replay layers asan tsan fuzz bench analyze install image clean \
        format format-check compile-commands
.DEFAULT_GOAL := all

all: $(BUILD)/dnsd

deps:
	@.ci/deps

$(BUILD)/obj/%.o: dnsd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libdnsd.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/dnsd: $(BUILD)/obj/main.o $(BUILD)/libdnsd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) -Itests/unit -c -o $@ $<

$(BUILD)/tests/k8s/test_json: $(BUILD)/tests/json_oracle.o

# Every unit test shares check_main.o's main(); it defines unit_suite(). unit_zone.o: the shared
# zone, snapshot and query fixtures (tests/unit/unit_zone.h).
$(UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/check_main.o $(BUILD)/tests/unit_zone.o $(BUILD)/libdnsd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libdnsd.a $(CHECK_LIBS) $(LIBS) $(TEST_LIBS_$(notdir $*))

# Fuzz harnesses built with a replay main() so `make check` runs their corpus.
$(BUILD)/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -c -o $@ $<

$(BUILD)/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/replay_main.o $(BUILD)/libdnsd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/dnsd -c conf/dnsd.yaml

unit: $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)

fuzz-replay: $(FUZZ_REPLAY)
	@tests/fuzz/replay-all $(BUILD)/fuzz

e2e: $(BUILD)/dnsd
	@DNSD_BIN=$(abspath $(BUILD)/dnsd) tests/e2e/run-all

# The layer rule (README "Architecture"), and a test that it catches violations.
layers:
	@tests/layers/check-layers
	@tests/layers/test-check-layers

test: format-check layers all unit fuzz-replay e2e

check: deps
	@$(MAKE) --no-print-directory test

# The insecureAPI family flags every memcpy/snprintf and asks for Annex K's
# *_s functions, which glibc does not have: off.
ANALYZE_CHECKS := -*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*
analyze: all
	@out=$$(for f in $(LIB_SRCS) dnsd/main.c; do \
	  clang-tidy -p build --checks='$(ANALYZE_CHECKS)' --quiet "$$f" 2>/dev/null; done); \
	if printf '%s\n' "$$out" | grep -E 'warning:|error:'; then echo "analyze: findings above"; exit 1; fi; \
	echo "analyze: no findings ($(words $(LIB_SRCS)) files + main.c)"

# Sanitized code runs 5-15x slower: Check's 4 s per-test timeout is stretched
# (test_mnemonic walks all 65,536 types through ldns; under tsan on a loaded
# machine that took longer than 4 s).
asan: deps
	@CK_TIMEOUT_MULTIPLIER=10 $(MAKE) --no-print-directory VARIANT=asan OPT="-g -O1" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" test

# The same tests under ThreadSanitizer (worker loops, UDP threads, the
# publisher, Kubernetes sources, /metrics): a race reported anywhere, even by
# a dnsd that exits cleanly afterwards, fails the run.
TSAN_LOGS := build/tsan-logs
tsan: deps
	@rm -rf $(TSAN_LOGS) && mkdir -p $(TSAN_LOGS)
	@CK_TIMEOUT_MULTIPLIER=10 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$(abspath $(TSAN_LOGS))/race" \
	  $(MAKE) --no-print-directory VARIANT=tsan OPT="-g -O1" SAN="-fsanitize=thread" test
	@if ls $(TSAN_LOGS)/race* >/dev/null 2>&1; then cat $(TSAN_LOGS)/race*; \
	  echo "tsan: data races reported (above)"; exit 1; fi; echo "tsan: no data races reported"

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} tests/fuzz/run-libfuzzer

# qlat: the fixed-rate client that records every query's latency (churn_bench.py)
$(BUILD)/bench/qlat: tests/bench/qlat.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

# zone_build_bench: one name with many records, for callgrind (big_name_callgrind.py)
$(BUILD)/bench/zone_build_bench: tests/bench/zone_build_bench.c $(BUILD)/libdnsd.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libdnsd.a $(LIBS)

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/qlat $(BUILD)/bench/zone_build_bench
	@tests/bench/run $(abspath $(BUILD)/dnsd)
	@tests/bench/k8s_bench.py $(abspath $(BUILD)/dnsd) build/bench/k8s-results.md
	@tests/bench/k8s_soak.py $(abspath $(BUILD)/dnsd) build/bench/k8s-soak-results.md
	@tests/bench/churn_bench.py $(abspath $(BUILD)/dnsd) $(abspath $(BUILD)/bench/qlat) build/bench/churn-results.md
	@tests/bench/xfr_bench.py $(abspath $(BUILD)/dnsd) build/bench/xfr-results.md
	@tests/bench/axfr_profile.py $(abspath $(BUILD)/dnsd) > build/bench/axfr-profile.md && cat build/bench/axfr-profile.md
	@tests/bench/proxy_bench.py $(abspath $(BUILD)/dnsd) build/bench/proxy-results.md
	@tests/bench/query_path_callgrind.py $(abspath $(BUILD)/dnsd)

install: $(BUILD)/dnsd
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(SYSCONFDIR)/dnsd/zones $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/dnsd $(DESTDIR)$(PREFIX)/sbin/dnsd
	sed 's|file: \.\./zones/|file: zones/|' conf/dnsd.yaml > $(DESTDIR)$(SYSCONFDIR)/dnsd/dnsd.yaml.sample
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/dnsd/dnsd.yaml.sample
	install -m 0644 zones/global.zone $(DESTDIR)$(SYSCONFDIR)/dnsd/zones/global.zone.sample
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/dnsd.service \
	  > $(DESTDIR)$(UNITDIR)/dnsd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dnsd.service
	sed 's|@VERSION@|$(VERSION)|g' dnsd/dnsd.8 > $(DESTDIR)$(PREFIX)/share/man/man8/dnsd.8
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man8/dnsd.8

# The context holds exactly what Containerfile COPYs, so nothing else (build/,
# .git) is sent to the builder.
image:
	@$(MAKE) --no-print-directory VARIANT=static SAN= OPT="-g -O2" all   # not under make asan
	rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)/zones
	cp Containerfile $(IMAGE_CONTEXT)/Containerfile
	cp build/static/dnsd $(IMAGE_CONTEXT)/dnsd
	strip $(IMAGE_CONTEXT)/dnsd
	cp conf/container/dnsd.yaml conf/container/passwd conf/container/group $(IMAGE_CONTEXT)/
	cp zones/*.zone $(IMAGE_CONTEXT)/zones/
	if docker info >/dev/null 2>&1; then \
	  docker build -t $(IMAGE) -f $(IMAGE_CONTEXT)/Containerfile $(IMAGE_CONTEXT); \
	else \
	  BUILDAH_ISOLATION=chroot $(BUILDAH) bud --isolation chroot --layers=false \
	    -t $(IMAGE) -f $(IMAGE_CONTEXT)/Containerfile $(IMAGE_CONTEXT); \
	fi

clean:
	rm -rf build

# clang-format (Debian 12's, version 14) with .clang-format over the C files of
# dnsd/, tests/unit/ and tests/fuzz/. make check runs format-check first.
format:
	@tests/tools/clang-format-files --fix

format-check:
	@tests/tools/clang-format-files --check

# The compilation database, from the compile lines `make -n` prints for this
# variant's daemon, unit tests and fuzz replays: exactly the rules' flags. The
# last `make all` wins (VARIANT=asan writes asan's), except the static build
# for the image (make image, and the e2e test of it), which leaves it alone.
# The link at the top is made only where no compile_commands.json of your own
# is in the way.
COMPDB := build/compile_commands.json
ifneq ($(VARIANT),static)
all: compile-commands
endif
compile-commands:
	@mkdir -p build
	@$(MAKE) --no-print-directory -nB $(BUILD)/dnsd $(UNIT_BINS) $(FUZZ_REPLAY) | \
	  tests/tools/compile-commands $(COMPDB)
	@if [ -L compile_commands.json ] || [ ! -e compile_commands.json ]; then \
	  ln -sfn $(COMPDB) compile_commands.json; fi

-include $(shell find build -name '*.d' 2>/dev/null)
