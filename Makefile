# attest_tpm2_primary: certify TPM primary keys against an attested signing EK.
PREFIX   ?= /usr
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/lib/attest-tpm2
DATADIR  ?= $(PREFIX)/share/attest-tpm2
SYSCONFDIR ?= /etc
# Where the generators and systemd look, whatever PREFIX is.
DRACUTDIR ?= /usr/lib/dracut/modules.d
ITDIR    ?= /usr/share/initramfs-tools
UNITDIR  ?= /lib/systemd/system
BUILD    ?= build
CC       ?= cc
VERSION  := 0.1.0

CFLAGS   ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
override CPPFLAGS += -D_DEFAULT_SOURCE -DVERSION=\"$(VERSION)\"
# Expanded when a link runs, not when the Makefile is read: on a brand-new
# machine pkg-config and the -dev packages arrive only with a deps target.
LIBS      = $(shell pkg-config --libs tss2-esys tss2-sys tss2-mu tss2-rc tss2-tcti-device tss2-tcti-swtpm tss2-tcti-mssim libcrypto json-c 2>/dev/null)

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

.PHONY: all static static-bin FORCE deps deps-demo deps-lint deps-boot deps-fresh deps-deb check check-boot \
	check-policy check-fresh check-package demo bench fuzz gen install uninstall deb clean distclean lint

all: $(PROG)

# One compile recipe for every build; the objects follow its command line
# (another VERSION, compiler or dependency folder), recorded in .cc.
COMPILE = $(CC) -std=c11 $(WARNINGS) $(CPPFLAGS) $(CFLAGS)
$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) $(BUILD)/obj/.cc
	$(COMPILE) -c -o $@ $<

$(BUILD)/obj/.cc: FORCE
	@mkdir -p $(@D); printf '%s\n' '$(COMPILE)' | cmp -s - $@ || printf '%s\n' '$(COMPILE)' >$@

$(PROG): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libattest.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# The shipped binary: static/build.sh builds the musl dependencies (cached)
# and names their folder, this Makefile builds the program against it with
# musl-gcc in $(BUILD)/static, and static/check.sh strips and checks it.
# static-bin is the same without installing packages (debian/rules).
static: deps
	$(MAKE) static-bin

STATIC_LIBS := -ltss2-esys -ltss2-sys -ltss2-mu -ltss2-rc -ltss2-tctildr -ltss2-tcti-device \
	-ltss2-tcti-swtpm -ltss2-tcti-mssim -ljson-c -lcrypto
static-bin:
	d=$$(sh static/build.sh --deps) && $(MAKE) $(STATIC) BUILD=$(BUILD)/static CC=musl-gcc \
		CFLAGS='-Os -ffunction-sections -fdata-sections -fstack-protector-strong' \
		CPPFLAGS="-I$$d/include -idirafter $$d/uapi" LDFLAGS="-static -Wl,--gc-sections -L$$d/lib" \
		LIBS='-Wl,--start-group $(STATIC_LIBS) -Wl,--end-group'
	sh static/check.sh $(STATIC)

deps:
	sh tests/lib/ensure-packages.sh check

deps-demo deps-lint deps-boot deps-fresh deps-deb:
	sh tests/lib/ensure-packages.sh $(@:deps-%=%)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libattest.a
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARNINGS) -Wno-missing-prototypes $(CPPFLAGS) -Isrc $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libattest.a $(LIBS) -lcmocka

check: deps
	$(MAKE) $(PROG) $(UNIT_TESTS)
	$(if $(filter $(STATIC),$(TEST_BIN)),$(MAKE) static)
	sh tests/run.sh --build $(BUILD) --bin $(TEST_BIN)

check-boot: deps-boot static check-policy
	sh tests/boot/run.sh $(STATIC)
	sh tests/boot/unlock.sh $(STATIC)
	ATTEST_TPM2_SUITE=trixie sh tests/boot/unlock.sh $(STATIC)

# The boot policy alone, in seconds, without root or a TPM: every config and
# command-line value through busybox ash, klibc sh and dash, the PCRs a
# refusal caps as read from LUKS2 tokens, and the boot harness's judge.
check-policy: deps-boot
	$(MAKE) $(PROG)
	sh tests/policy/parse.sh
	sh tests/policy/cap-pcrs.sh $(PROG)
	sh tests/policy/judge.sh

# Every shell script in the tree, found rather than listed (by its first
# line, its shellcheck directive or its name; templates included), the bash
# ones apart, and the files filled in from the templates, as installed.
# Expanded only when lint runs.
SH_SCRIPTS = $(shell sh tests/lib/shell-scripts.sh sh)
BASH_SCRIPTS = $(shell sh tests/lib/shell-scripts.sh bash)

TIDY_CHECKS := -*,bugprone-*,cert-*,clang-analyzer-*,-bugprone-easily-swappable-parameters,-cert-err33-c,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,-clang-analyzer-valist.Uninitialized

# Static analysers and clang warnings; suppressions are justified in tests/static-analysis.md.
lint: deps-lint gen
	$(MAKE) CC=clang BUILD=$(BUILD)/clang $(BUILD)/clang/attest_tpm2_primary
	cppcheck --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
		--std=c11 -q -I src src/
	clang-tidy --quiet --warnings-as-errors='*' -checks='$(TIDY_CHECKS)' src/*.c -- \
		-std=c11 $(CPPFLAGS) -Isrc 2>/dev/null
	shellcheck -s sh -e SC1091 $(SH_SCRIPTS) $(patsubst %.in,$(GEN)/%,$(filter %.in,$(SH_SCRIPTS)))
	shellcheck -e SC1091 $(BASH_SCRIPTS) $(patsubst %.in,$(GEN)/%,$(filter %.in,$(BASH_SCRIPTS)))

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

# What install copies as the program: the static build when there is one.
INSTALL_BIN ?= $(if $(wildcard $(STATIC)),$(STATIC),$(PROG))

# Host-side paths follow PREFIX: where the adapters find the library, the
# program the images copy, the enroll script's program and vendor roots, and
# the host's systemd-cryptsetup guard. Each file that names one is a
# template (NAME.in) with @BINDIR@, @LIBEXECDIR@ or @DATADIR@ where the path
# goes; install copies the filled-in NAME from $(GEN). Paths inside an
# initramfs are no placeholders: they stay /usr/lib and /usr/bin whatever
# PREFIX is. One folder per set of paths, so that an install with another
# PREFIX never takes up a file filled in for the last one.
TEMPLATES := $(wildcard */*.in */*/*.in)
GEN_KEY := $(firstword $(shell printf '%s\n' '$(BINDIR)' '$(LIBEXECDIR)' '$(DATADIR)' | cksum))
GEN ?= $(BUILD)/gen/$(GEN_KEY)
GENERATED = $(TEMPLATES:%.in=$(GEN)/%)

# A placeholder left over (a misspelt one) fails the build rather than
# install a path that does not exist.
$(GEN)/%: %.in
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
		-e 's|@DATADIR@|$(DATADIR)|g' $< > $@.tmp
	@if grep -n '@[A-Z_]*@' $@.tmp; then echo "$<: unknown placeholder" >&2; rm -f $@.tmp; exit 1; fi
	mv -f $@.tmp $@

# Every template filled in, into $(GEN) (GEN=DIR for a folder of one's own).
gen: $(GENERATED)

DRACUT_FILES = $(filter-out %.in,$(wildcard dracut/91attest-tpm2/*)) \
	$(filter $(GEN)/dracut/%,$(GENERATED))
IT_SCRIPTS := $(wildcard initramfs-tools/scripts/*/attest-tpm2)

install: $(INSTALL_BIN) $(GENERATED)
	install -D -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/attest_tpm2_primary
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DRACUTDIR)/91attest-tpm2 \
		$(DESTDIR)$(ITDIR)/hooks $(DESTDIR)$(UNITDIR)/systemd-cryptsetup@.service.d \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(GEN)/enroll/attest-tpm2-enroll $(DESTDIR)$(BINDIR)/attest-tpm2-enroll
	install -m 0644 $(GEN)/policy/attest-tpm2-lib.sh $(DESTDIR)$(LIBEXECDIR)/attest-tpm2-lib.sh
	install -m 0644 enroll/attest-tpm2-status.sh $(DESTDIR)$(LIBEXECDIR)/attest-tpm2-status.sh
	install -d $(DESTDIR)$(DATADIR)/tpm-ca
	install -m 0644 policy/tpm-ca/*.pem policy/tpm-ca/README.md $(DESTDIR)$(DATADIR)/tpm-ca/
	for f in $(DRACUT_FILES); do \
		m=0644; case $$f in *.sh) m=0755 ;; esac; \
		install -m $$m $$f $(DESTDIR)$(DRACUTDIR)/91attest-tpm2/ || exit 1; \
	done
	install -m 0755 $(GEN)/initramfs-tools/hooks/attest-tpm2 $(DESTDIR)$(ITDIR)/hooks/attest-tpm2
	for f in $(IT_SCRIPTS); do \
		install -D -m 0755 $$f $(DESTDIR)$(ITDIR)/$${f#initramfs-tools/} || exit 1; \
	done
	install -m 0644 $(GEN)/systemd/systemd-cryptsetup-host.conf \
		$(DESTDIR)$(UNITDIR)/systemd-cryptsetup@.service.d/attest-tpm2.conf
	install -m 0644 man/attest_tpm2_primary.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/attest-tpm2.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/attest-tpm2-enroll.8 $(DESTDIR)$(MANDIR)/man8/
	# An existing configuration is the administrator's: never overwrite it.
	# Its presence alone turns nothing on: the enrolled name does.
	[ -e $(DESTDIR)$(SYSCONFDIR)/attest-tpm2.conf ] || \
		install -D -m 0644 policy/attest-tpm2.conf $(DESTDIR)$(SYSCONFDIR)/attest-tpm2.conf

# Removes what install put in place, but not /etc/attest-tpm2.conf (the
# administrator may have edited it) nor the enrolled name.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/attest_tpm2_primary $(DESTDIR)$(BINDIR)/attest-tpm2-enroll \
		$(DESTDIR)$(LIBEXECDIR)/attest-tpm2-lib.sh $(DESTDIR)$(LIBEXECDIR)/attest-tpm2-status.sh \
		$(DESTDIR)$(ITDIR)/hooks/attest-tpm2 \
		$(IT_SCRIPTS:initramfs-tools/%=$(DESTDIR)$(ITDIR)/%) \
		$(DESTDIR)$(UNITDIR)/systemd-cryptsetup@.service.d/attest-tpm2.conf \
		$(DESTDIR)$(MANDIR)/man1/attest_tpm2_primary.1 $(DESTDIR)$(MANDIR)/man5/attest-tpm2.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/attest-tpm2-enroll.8
	rm -rf $(DESTDIR)$(DRACUTDIR)/91attest-tpm2 $(DESTDIR)$(DATADIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR)/systemd-cryptsetup@.service.d 2>/dev/null

# A Debian package of the static build: build/deb/attest-tpm2_VERSION_ARCH.deb.
deb: deps-deb
	dpkg-buildpackage -us -uc -b
	mkdir -p $(BUILD)/deb
	mv ../attest-tpm2_$(VERSION)_* ../attest-tpm2-dbgsym_$(VERSION)_* $(BUILD)/deb/ 2>/dev/null; \
		ls $(BUILD)/deb/attest-tpm2_$(VERSION)_*.deb

# The package: lintian, install, upgrade, remove and purge in a fresh root.
check-package: deb deps-fresh
	sh tests/package/run.sh $(BUILD)/deb/attest-tpm2_$(VERSION)_*.deb

clean:
	rm -rf $(BUILD)

distclean: clean
	sh static/build.sh --drop-cache
