# trustfolder: make, make check, make demo, make install (PREFIX, DESTDIR).
#
# The module's objects are built once into a static archive that the shared
# module, the command-line tool and every test link. A sanitizer build
# (ASan + UBSan) of the same sources goes into build/asan.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
PKCS11DIR ?= $(PREFIX)/lib/$(MULTIARCH)/pkcs11
BUILD    ?= build

PKG_CFLAGS := $(shell pkg-config --cflags p11-kit-1 sqlite3 openssl 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs sqlite3 openssl 2>/dev/null)
# The module carries its own SQLite, linked in and hidden by the version
# script: a host that has loaded another SQLite (Firefox has its own) must not
# bind the module's calls to it, half to one library and half to the other.
# libcrypto is not linked: x509.c loads it on first use (most processes that
# load the module never need it).
MODULE_LIBS := -Wl,-Bstatic -lsqlite3 -Wl,-Bdynamic -lm -ldl
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
NSS_CFLAGS := $(shell pkg-config --cflags nss 2>/dev/null)
NSS_LIBS   := $(shell pkg-config --libs nss 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
SAN      ?=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# TSAN=1: ThreadSanitizer, for the threads stress test (build/tsan).
ifeq ($(TSAN),1)
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(CFLAGS) $(SANFLAGS) -Iinclude -Imodule $(PKG_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

MODULE_SRCS := $(sort $(wildcard module/*.c))
MODULE_OBJS := $(MODULE_SRCS:module/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS   := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%) \
               $(BUILD)/helpers/hide-libcrypto.so

ARCHIVE := $(BUILD)/libtrustfolder.a
MODULE  := $(BUILD)/trustfolder-pkcs11.so

# The command-line tool: a PKCS#11 client that dlopens the module, so it links
# nothing of the module; it finds the module next to itself, else in PKCS11DIR.
TOOL_SRCS := $(sort $(wildcard tools/*.c))
TOOL_OBJS := $(TOOL_SRCS:tools/%.c=$(BUILD)/tool-obj/%.o)
TOOL      := $(BUILD)/trustfolder
TOOL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -Iinclude $(PKG_CFLAGS) \
	-DTF_PKCS11DIR='"$(PKCS11DIR)"'
TOOL_LIBS := $(shell pkg-config --libs p11-kit-1 openssl 2>/dev/null) -ldl
MANDIR   ?= $(PREFIX)/share/man

.PHONY: all deps check check-unit check-integration check-asan check-valgrind demo install \
	uninstall format format-check clean fixtures fuzz fuzz-build check-fuzz fuzz-seeds

all: $(MODULE) $(TOOL) $(HELPER_BINS)

$(BUILD)/obj/%.o: module/%.c $(wildcard module/*.h include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(ARCHIVE): $(MODULE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(MODULE): $(ARCHIVE) module/trustfolder.map
	$(CC) -shared -o $@ -Wl,--whole-archive $(ARCHIVE) -Wl,--no-whole-archive \
		-Wl,--version-script=module/trustfolder.map -Wl,-z,defs -Wl,-z,now \
		$(ALL_LDFLAGS) $(MODULE_LIBS) -lpthread

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h tests/fuzz/pkcs11-spec.h $(ARCHIVE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $< -o $@ $(ARCHIVE) $(ALL_LDFLAGS) $(UNIT_LDFLAGS) $(CMOCKA_LIBS) $(PKG_LIBS) -lpthread

# test-index makes the index's allocations fail on purpose: the module's calls
# to calloc go through the test's __wrap_calloc (libraries' calls do not).
$(BUILD)/tests/test-index: UNIT_LDFLAGS := -Wl,--wrap=calloc
# test-index-collide builds test-index.c over its own index.c, whose keys all collide.
$(BUILD)/tests/test-index-collide: UNIT_LDFLAGS := -Wl,--wrap=calloc
$(BUILD)/tests/test-index-collide: tests/unit/test-index.c module/index.c

# Small C programs the integration tests run (NSS and raw PKCS#11 clients).
$(BUILD)/helpers/%: tests/helpers/%.c $(wildcard tests/helpers/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(NSS_CFLAGS) $< -o $@ $(ALL_LDFLAGS) $(NSS_LIBS) -ldl -lpthread

# An LD_PRELOAD shim that hides libcrypto from a client (test-no-libcrypto.sh);
# never sanitized, as it loads after the sanitizer runtimes.
$(BUILD)/helpers/hide-libcrypto.so: tests/preload/hide-libcrypto.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -fPIC -shared $< -o $@ -ldl

$(BUILD)/tool-obj/%.o: tools/%.c $(wildcard tools/*.h) include/trustfolder.h
	@mkdir -p $(dir $@)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

$(TOOL): $(TOOL_OBJS)
	$(CC) -o $@ $(TOOL_OBJS) $(ALL_LDFLAGS) $(TOOL_LIBS)

# make bench: trustfolder against softokn and p11-kit-trust (issue 6), sources
# in tests/bench, report in $(BUILD)/bench/report.md. Not part of make check;
# BENCH_SIZES, BENCH_MODULES, BENCH_TIMEOUT, BENCH_BUDGET choose what it runs.
BENCH_SRCS := $(filter-out tests/bench/gen.c tests/bench/nosync.c,$(sort $(wildcard tests/bench/*.c)))
BENCH_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS)

.PHONY: bench
bench: $(MODULE) $(BUILD)/bench/bench $(BUILD)/bench/bench-gen $(BUILD)/bench/nosync.so
	$(BUILD)/bench/bench

$(BUILD)/bench/bench: $(BENCH_SRCS) $(wildcard tests/bench/*.h) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(BENCH_SRCS) -o $@ -ldl -lpthread

$(BUILD)/bench/bench-gen: tests/bench/gen.c tests/bench/data.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< -o $@ $(shell pkg-config --libs libcrypto 2>/dev/null)

$(BUILD)/bench/nosync.so: tests/bench/nosync.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared $< -o $@

# The crash, concurrency and fault tests' client: one program from
# tests/stress/*.c, linking OpenSSL (its certificates) and SQLite (the rows).
STRESS_SRCS := $(sort $(wildcard tests/stress/*.c))
STRESS      := $(BUILD)/stress/tf-stress
TSAN_BUILD  := build/tsan

$(STRESS): $(STRESS_SRCS) $(wildcard tests/stress/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(STRESS_SRCS) -o $@ $(ALL_LDFLAGS) $(PKG_LIBS) -ldl -lpthread

# Crash, concurrency and faults (tests/stress/): bounded versions in make
# check, long ones (1,000 kills, ...) in make stress. The threads test also
# runs a ThreadSanitizer build of the module and its client. Tests that show
# a module bug wait in tests/stress/pending/ (make check-stress-pending).
.PHONY: check-stress-short stress stress-tsan check-stress-pending
stress-tsan:
	$(MAKE) BUILD=$(TSAN_BUILD) TSAN=1 CFLAGS='-O1 -g' $(TSAN_BUILD)/trustfolder-pkcs11.so \
		$(TSAN_BUILD)/stress/tf-stress

check-stress-short: $(MODULE) $(HELPER_BINS) $(STRESS) stress-tsan
	@TF_TSAN_BUILD=$(TSAN_BUILD) tests/stress/run $(BUILD)

stress: $(MODULE) $(HELPER_BINS) $(STRESS) stress-tsan
	@TF_STRESS_LONG=1 TF_TSAN_BUILD=$(TSAN_BUILD) tests/stress/run $(BUILD)

check-stress-pending: $(MODULE) $(HELPER_BINS) $(STRESS) stress-tsan
	@TF_TSAN_BUILD=$(TSAN_BUILD) tests/stress/run $(BUILD) tests/stress/pending/test-*.sh

deps:
	@scripts/install-deps

fixtures:
	scripts/gen-fixtures tests/fixtures

check-unit: $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)

check-integration: all
	@tests/integration/run $(BUILD)

# Debian's firefox-esr, headless, with the module in its profiles: pages over
# TLS load or are refused as the module's decisions say (tests/e2e).
.PHONY: check-e2e
check-e2e: all
	@tests/e2e/run $(BUILD)

# The same sources under ASan + UBSan: unit tests, then the integration tests
# against the sanitized module (the clients run with the runtime preloaded).
check-asan:
	$(MAKE) BUILD=build/asan SAN=1 all $(patsubst $(BUILD)/%,build/asan/%,$(UNIT_BINS))
	@tests/run-unit $(patsubst $(BUILD)/%,build/asan/%,$(UNIT_BINS))
	@TF_SANITIZED=1 tests/integration/run build/asan

# Unit tests under valgrind (a leak of ours, definitely lost, fails), then
# one NSS round trip with the module under valgrind.
VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99

check-valgrind: all $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== valgrind $$t"; $(VALGRIND) $$t || exit 1; done
	@tests/valgrind/run $(BUILD)

# libFuzzer targets (tests/fuzz/fuzz-*.c), built by Debian's clang against the
# module's objects rebuilt with ASan + UBSan and fuzzer coverage in build/fuzz.
# make fuzz runs each for FUZZ_SECONDS, make check-fuzz (part of check) for
# FUZZ_CHECK_SECONDS; a crash, leak or sanitizer report fails either.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CHECK_SECONDS ?= 30
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz-*.c)))
FUZZ_MAKE := $(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) SAN=1 CFLAGS='-O1 -g -fsanitize=fuzzer-no-link'

$(BUILD)/fuzz-%: tests/fuzz/fuzz-%.c $(wildcard tests/fuzz/*.h) $(ARCHIVE)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< -o $@ $(ARCHIVE) $(ALL_LDFLAGS) $(PKG_LIBS) -lpthread

fuzz-build:
	$(FUZZ_MAKE) $(FUZZ_TARGETS:%=build/fuzz/%)

fuzz: fuzz-build
	@tests/fuzz/run build/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: fuzz-build
	@tests/fuzz/run build/fuzz $(FUZZ_CHECK_SECONDS) $(FUZZ_TARGETS)

# Regenerates the committed seed corpora from the fixtures, through the module.
$(BUILD)/fuzz-seeds: tests/fuzz/seeds.c $(wildcard tests/fuzz/*.h) $(ARCHIVE)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(ARCHIVE) $(ALL_LDFLAGS) $(PKG_LIBS) -lpthread

fuzz-seeds: $(BUILD)/fuzz-seeds
	$(BUILD)/fuzz-seeds tests/fixtures tests/fuzz/corpus

check: deps
	$(MAKE) all
	$(MAKE) check-unit
	$(MAKE) check-integration
	$(MAKE) check-e2e
	$(MAKE) check-asan
	$(MAKE) check-valgrind
	$(MAKE) check-stress-short
	$(MAKE) check-fuzz

demo: deps
	$(MAKE) all
	@scripts/demo $(BUILD)

install: $(MODULE) $(TOOL)
	install -d $(DESTDIR)$(PKCS11DIR)
	install -m 0644 $(MODULE) $(DESTDIR)$(PKCS11DIR)/$(notdir $(MODULE))
	install -d $(DESTDIR)$(PREFIX)/share/trustfolder
	install -m 0644 nss-config/pkcs11.txt nss-config/policies.json nss-config/trustfolder.module \
		$(DESTDIR)$(PREFIX)/share/trustfolder/
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 scripts/register-nss $(DESTDIR)$(PREFIX)/bin/trustfolder-register-nss
	install -m 0755 scripts/register-firefox $(DESTDIR)$(PREFIX)/bin/trustfolder-register-firefox
	install -m 0755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/trustfolder
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 tools/trustfolder.1 $(DESTDIR)$(MANDIR)/man1/trustfolder.1
	install -m 0755 scripts/register-p11kit $(DESTDIR)$(PREFIX)/bin/trustfolder-register-p11kit

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/trustfolder-register-firefox
	rm -f $(DESTDIR)$(PKCS11DIR)/$(notdir $(MODULE)) $(DESTDIR)$(PREFIX)/bin/trustfolder-register-nss \
		$(DESTDIR)$(PREFIX)/bin/trustfolder-register-p11kit \
		$(DESTDIR)$(PREFIX)/bin/trustfolder $(DESTDIR)$(MANDIR)/man1/trustfolder.1
	rm -rf $(DESTDIR)$(PREFIX)/share/trustfolder

format:
	clang-format -i module/*.[ch] include/*.h tests/unit/*.[ch] tests/helpers/*.c tools/*.[ch]

format-check:
	clang-format --dry-run --Werror module/*.[ch] include/*.h

clean:
	rm -rf build
