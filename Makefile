# attest_tpm2_primary: certify TPM primary keys against an attested signing EK.
PREFIX   ?= /usr
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d
ITDIR    ?= $(PREFIX)/share/initramfs-tools
LIBEXECDIR ?= $(PREFIX)/lib/attest-tpm2
SYSCONFDIR ?= /etc
BUILD    ?= build
CC       ?= cc
VERSION  := 0.1.0

CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_DEFAULT_SOURCE -DVERSION=\"$(VERSION)\"
# Expanded when a link runs, not when the Makefile is read: on a brand-new
# machine pkg-config and the -dev packages arrive only with a deps target.
LIBS      = $(shell pkg-config --libs tss2-esys tss2-sys tss2-mu tss2-rc tss2-tcti-device tss2-tcti-swtpm tss2-tcti-mssim libcrypto 2>/dev/null)

ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

SRCS     := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
OBJS     := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
PROG     := $(BUILD)/attest_tpm2_primary
STATIC   := $(BUILD)/static/attest_tpm2_primary

# Which binary the integration suites exercise: the static one is the product;
# a sanitizer build tests its own instrumented binary.
ifeq ($(SANITIZE),1)
TEST_BIN ?= $(PROG)
else
TEST_BIN ?= $(STATIC)
endif

.PHONY: all static deps deps-demo deps-lint deps-boot deps-fresh check check-boot check-fresh \
	demo bench fuzz install clean distclean lint

all: $(PROG)

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARNINGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(PROG): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libattest.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

static: deps
	VERSION=$(VERSION) sh static/build.sh $(BUILD)/static

deps:
	sh tests/lib/ensure-packages.sh check

deps-demo deps-lint deps-boot deps-fresh:
	sh tests/lib/ensure-packages.sh $(@:deps-%=%)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libattest.a
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARNINGS) -Wno-missing-prototypes $(CPPFLAGS) -Isrc $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libattest.a $(LIBS) -lcmocka

check: deps
	$(MAKE) $(PROG) $(UNIT_TESTS)
	$(if $(filter $(STATIC),$(TEST_BIN)),$(MAKE) static)
	sh tests/run.sh --build $(BUILD) --bin $(TEST_BIN)

check-boot: deps-boot static
	sh tests/boot/run.sh $(STATIC)

TIDY_CHECKS := -*,bugprone-*,cert-*,clang-analyzer-*,-bugprone-easily-swappable-parameters,-cert-err33-c,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-clang-analyzer-valist.Uninitialized

# Static analysers and clang warnings; suppressions are justified in tests/static-analysis.md.
lint: deps-lint
	$(MAKE) CC=clang BUILD=$(BUILD)/clang $(BUILD)/clang/attest_tpm2_primary
	cppcheck --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
		--std=c11 -q -I src src/
	clang-tidy --quiet --warnings-as-errors='*' -checks='$(TIDY_CHECKS)' src/*.c -- \
		-std=c11 $(CPPFLAGS) -Isrc 2>/dev/null
	shellcheck -s sh -e SC1091 src/attest-tpm2-enroll tests/*.sh tests/lib/*.sh tests/integration/*.sh tests/fuzz/*.sh \
		tests/fresh/*.sh
	shellcheck -e SC1091 dracut/attest-tpm2-lib.sh dracut/91attest-tpm2/*.sh initramfs-tools/hooks/* \
		initramfs-tools/scripts/init-premount/* tests/boot/*.sh

FUZZ_SECONDS ?= 60
fuzz: deps
	sh tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

# The build re-enters make after deps, as check does: the first run on a
# brand-new machine must work too.
demo: deps-demo
	$(MAKE) $(PROG)
	sh tests/demo.sh $(PROG)

bench: deps-demo
	$(MAKE) $(PROG)
	sh tests/bench.sh $(PROG)

# "make demo" as the very first command on a brand-new Debian 12: in a fresh
# root built with mmdebstrap from this machine's archive, with nothing
# installed but make and git.
check-fresh: deps-fresh
	sh tests/fresh/run.sh

install: $(PROG)
	install -D -m 0755 $(if $(wildcard $(STATIC)),$(STATIC),$(PROG)) $(DESTDIR)$(BINDIR)/attest_tpm2_primary
	install -D -m 0755 src/attest-tpm2-enroll $(DESTDIR)$(BINDIR)/attest-tpm2-enroll
	install -D -m 0644 attest_tpm2_primary.1 $(DESTDIR)$(MANDIR)/man1/attest_tpm2_primary.1
	install -D -m 0644 dracut/attest-tpm2-lib.sh $(DESTDIR)$(LIBEXECDIR)/attest-tpm2-lib.sh
	install -d $(DESTDIR)$(DRACUTDIR)/91attest-tpm2
	install -m 0755 dracut/91attest-tpm2/module-setup.sh dracut/91attest-tpm2/attest-tpm2-hook.sh \
		$(DESTDIR)$(DRACUTDIR)/91attest-tpm2/
	install -m 0644 dracut/91attest-tpm2/attest-tpm2.service \
		dracut/91attest-tpm2/attest-tpm2-cryptsetup.conf $(DESTDIR)$(DRACUTDIR)/91attest-tpm2/
	install -D -m 0755 initramfs-tools/hooks/attest-tpm2 $(DESTDIR)$(ITDIR)/hooks/attest-tpm2
	install -D -m 0755 initramfs-tools/scripts/init-premount/attest-tpm2 \
		$(DESTDIR)$(ITDIR)/scripts/init-premount/attest-tpm2
	# An existing configuration is the administrator's: never overwrite it.
	[ -e $(DESTDIR)$(SYSCONFDIR)/attest-tpm2.conf ] || \
		install -D -m 0644 dracut/attest-tpm2.conf $(DESTDIR)$(SYSCONFDIR)/attest-tpm2.conf

clean:
	rm -rf $(BUILD)

distclean: clean
	sh static/build.sh --drop-cache
