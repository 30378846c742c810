# SPDX-License-Identifier: BSD-3-Clause
#
# vgpio: one Makefile. `make help` lists the targets.
#
#   make                 build everything into $(B)/
#   make check           every test tier this machine can run
#   make check-unit      unit tests only (fast iteration)
#   make check-integ     loop-transport integration tests only
#   make check-xen-fake  the Xen transport against the fake Xen (tests/xen-fake)
#   make fuzz-smoke      replay corpora + a short libFuzzer run per target
#   make demo            run the demo (daemon + sim board + shim guest)
#   make bench           print the benchmark figures
#   make check-san       unit + integration tiers under ASan+UBSan
#   make check-layers    backend/ layers include only downwards
#   make check-globals   no mutable file-scope state in backend/
#   make check-citations rule citations point into docs/validation.md
#   make check-deps      libgpiod 2.x found or fetched into .deps/, and it runs
#   make check-vm-gpiosim  libgpiod 2.x and vgpiod on gpio-sim in a QEMU guest
#   make check-vm-xen    real Xen in QEMU: vgpiod in dom0, a guest's gpio-virtio
#   make check-vm-systemd  Debian 12's systemd as PID 1 in QEMU runs the
#                        installed vgpiod.service on gpio-sim
#   make cross-arm64     vgpiod and vgpio-assign for arm64 in build-arm64/ (-Werror)
#   make check-cross-arm64  that build, checked and run under qemu-aarch64
#   make kernels         the Xen tiers' kernels (arm64, x86_64), built or cached
#   make check-kernels   each booted under QEMU (arm64 also under Xen), checked
#   make check-vm-xen-arm64  Arm64 Xen (IOREQ build) in QEMU: the cross-built
#                        vgpiod in dom0 serves an `xl create` virtio= guest
#   make format          clang-format the tree (format-check: just check)
#   make man             the man pages, from docs/*.[158].md, into $(B)/man/
#   make install         PREFIX=/usr/local DESTDIR= SYSCONFDIR=/etc: binaries,
#                        man pages, systemd unit, init script, example policy,
#                        the workers' user vgpio (sysusers.d; created now
#                        when run as root without DESTDIR)
#                        (MANDIR, UNITDIR, DOCDIR, SYSUSERSDIR too; a local
#                        libgpiod)
#   SAN=address,undefined  build and test under sanitizers (in build-san/)
#   CC=clang             build with clang; WERROR=0 to not fail on warnings
#   V=1                  show commands

CC ?= gcc
CLANG ?= clang
AR ?= ar
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
SAN ?=
WERROR ?= 1
V ?= 0

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifneq ($(SAN),)
B ?= build-san
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B ?= build
SANFLAGS :=
endif

WARNINGS := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wmissing-declarations -Wold-style-definition \
	-Wredundant-decls -Wnested-externs -Wundef -Wwrite-strings -Wvla \
	-Wimplicit-fallthrough -Wpointer-arith
# The ring and register code also gets -Wconversion.
CONVERSION := -Wconversion -Wno-sign-conversion
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

CPPFLAGS += -Iinclude -D_GNU_SOURCE
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARNINGS) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

# --- layers ---------------------------------------------------------------
# backend/ has one folder per layer, lowest first. Each layer builds into
# its own library and is compiled with the include paths of the layers it
# may use (USES_<layer>) and no others, so an upward include does not
# compile; tools/check-layers.sh also checks the #include lines. A layer's
# subfolders (one per transport) are part of it.
LAYERS := base virtio gpio providers transports policy daemon
USES_base :=
USES_virtio := base
USES_gpio := base virtio
USES_providers := base
USES_transports := base virtio
USES_policy := base virtio gpio transports
USES_daemon := base virtio gpio providers transports policy
layer_dirs = $(sort $(dir $(wildcard backend/$(1)/*.[ch] backend/$(1)/*/*.[ch])))
layer_inc = $(foreach l,$(1) $(USES_$(1)),$(patsubst %/,-I%,$(call layer_dirs,$(l))))
layer_srcs = $(sort $(wildcard backend/$(1)/*.c backend/$(1)/*/*.c))
# Tests, tools and fuzzers see every layer; production code never sees tests/.
ALL_INC := $(foreach l,$(LAYERS),$(patsubst %/,-I%,$(call layer_dirs,$(l))))
TEST_INC := $(ALL_INC) -Ifrontend-shim -Itools -Itests/lib

# --- sources -------------------------------------------------------------
# Linked into vgpiod (and vgpio-assign) only: main(), and the two adapters
# built against outside libraries (libgpiod; the Xen libraries).
MAIN_SRC := backend/daemon/main.c
GPIOD_SRC := backend/providers/prov-gpiod.c
XEN_SRCS := $(sort $(wildcard backend/transports/xen/xen*.c))
LAYER_SRCS = $(filter-out $(MAIN_SRC) $(GPIOD_SRC) $(XEN_SRCS),$(call layer_srcs,$(1)))
BACKEND_SRCS := $(foreach l,$(LAYERS),$(call LAYER_SRCS,$(l)))
CONV_SRCS := $(call layer_srcs,virtio)
SHIM_SRCS := $(filter-out frontend-shim/main.c,$(sort $(wildcard frontend-shim/*.c)))
TESTLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
INTEG_SRCS := $(sort $(wildcard tests/integ/test-*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FAKEXEN_SRCS := $(sort $(wildcard tests/lib/fakexen/*.c))
XENT_SRCS := $(sort $(wildcard tests/xen-fake/test-*.c))
# vgpio-assign, one file per concern (tools/assign/assign.h).
ASSIGN_SRCS := $(sort $(wildcard tools/assign/*.c))
# The control-socket client every tool links (never vgpiod).
CTLC_SRCS := tools/ctlclient.c

obj = $(patsubst %.c,$(B)/%.o,$(1))
# One library per layer; link order is upper layers first.
layer_lib = $(B)/libvgpio-$(1).a
reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
LAYER_LIBS := $(foreach l,$(call reverse,$(LAYERS)),$(call layer_lib,$(l)))
SHIM_OBJS := $(call obj,$(SHIM_SRCS))
TESTLIB_OBJS := $(call obj,$(TESTLIB_SRCS))
LIBSHIM := $(B)/libvgpio-shim.a
LIBTEST := $(B)/libvgpio-test.a
XEN_OBJS := $(call obj,$(XEN_SRCS))
LIBFAKEXEN := $(B)/libfakexen.a
LIBCTLC := $(B)/libvgpio-ctlclient.a

# Include paths of each object: a layer's own and those below it; the
# adapters and main() are in their layers too.
$(foreach l,$(LAYERS),$(eval $(call obj,$(call layer_srcs,$(l))): INC := $(call layer_inc,$(l))))
# The guest side uses only base/ (the one number and line-reference rule).
$(call obj,$(SHIM_SRCS) frontend-shim/main.c): INC := -Ifrontend-shim -Ibackend/base
# The tools see every layer, never tests/.
$(call obj,$(ASSIGN_SRCS) $(wildcard tools/*.c)): INC := $(ALL_INC) -Itools
INC ?= $(TEST_INC)

VGPIOD := $(B)/vgpiod
SHIM := $(B)/vgpio-shim
CTL := $(B)/vgpio-ctl
ASSIGN := $(B)/vgpio-assign
BENCH := $(B)/vgpio-bench
UNIT_BINS := $(patsubst %.c,$(B)/%,$(UNIT_SRCS))
INTEG_BINS := $(patsubst %.c,$(B)/%,$(INTEG_SRCS))
XENT_BINS := $(patsubst %.c,$(B)/%,$(XENT_SRCS))
BINS := $(VGPIOD) $(SHIM) $(CTL) $(ASSIGN)

.PHONY: all help deps check check-layers check-unit check-integ check-san check-globals check-citations check-deps check-vm-gpiosim check-vm-xen check-vm-systemd check-vm-xen-arm64 check-xen-fake fuzz fuzz-smoke \
	cross-arm64 check-cross-arm64 kernels check-kernels \
	fuzz-replay bench demo format format-check install clean tests
.DEFAULT_GOAL := all

all: $(BINS) $(LAYER_LIBS) $(LIBSHIM) $(LIBCTLC)

help:
	@sed -n '/^# vgpio: one Makefile/,/^$$/p' Makefile

# --- dependencies (installed or checked by the project itself) ----------
DEPS_STAMP := $(B)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/deps.sh
	$(Q)mkdir -p $(B)
	$(Q)sh tools/deps.sh
	$(Q)touch $@

# --- libgpiod 2.x (system, or Debian 13's packages in a local prefix) ----
# tools/deps-gpiod.sh prints the pkg-config directory to use (empty for the
# system's); it is cached in .deps/gpiod/pcpath. Only the gpiod provider
# and tests/deps/ may use these flags.
GPIOD_DIR := .deps/gpiod
GPIOD_PCPATH = $(shell cat $(GPIOD_DIR)/pcpath 2>/dev/null)
GPIOD_PKG = PKG_CONFIG_PATH=$(GPIOD_PCPATH) $(PKG_CONFIG)
GPIOD_CFLAGS = $(shell $(GPIOD_PKG) --cflags libgpiod)
GPIOD_LIBDIR = $(shell $(GPIOD_PKG) --variable=libdir libgpiod)
# The binaries find libgpiod beside an installed tree first (make install
# copies a project-local libgpiod to $(PREFIX)/lib/vgpio), else where it
# was built against.
GPIOD_RPATH := '-Wl,-rpath,$$ORIGIN/../lib/vgpio'
GPIOD_LIBS = $(shell $(GPIOD_PKG) --libs libgpiod) $(GPIOD_RPATH) -Wl,-rpath,$(GPIOD_LIBDIR)

$(GPIOD_DIR)/pcpath: tools/deps-gpiod.sh tools/apt-suite.sh
	$(Q)mkdir -p $(GPIOD_DIR)
	$(Q)sh tools/deps-gpiod.sh $(GPIOD_DIR) > $@.tmp && mv $@.tmp $@

$(B)/tests/deps/gpiod-version: tests/deps/gpiod-version.c $(GPIOD_DIR)/pcpath
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(TEST_INC) $(CFLAGS) $(GPIOD_CFLAGS) $(LDFLAGS) -o $@ $< $(GPIOD_LIBS)

# --- Xen tool libraries (Debian: libxen-dev, installed by tools/deps.sh) ---
# Only the Xen transport (backend/transports/xen/), the fake Xen that stands
# in for these libraries in tests (tests/lib/fakexen/) and its tests
# (tests/xen-fake/) use these flags.
XEN_PKGS := xencontrol xendevicemodel xenforeignmemory xenevtchn xengnttab \
	xenstore xentoolcore
XEN_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(XEN_PKGS) 2>/dev/null)
XEN_LIBS = $(shell $(PKG_CONFIG) --libs $(XEN_PKGS) 2>/dev/null)
XEN_USERS := backend/transports/xen/% tests/lib/fakexen/% tests/xen-fake/%
# The fake Xen's headers: tests only.
FAKEXEN_USERS := tests/lib/fakexen/% tests/xen-fake/%

# --- libseccomp (Debian: libseccomp-dev, installed by tools/deps.sh) -------
# Only the worker sandbox (backend/daemon/sandbox.c) includes <seccomp.h>;
# what links the daemon layer links libseccomp.
SECCOMP_CFLAGS = $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
SECCOMP_LIBS = $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null || echo -lseccomp)
SECCOMP_USERS := backend/daemon/sandbox.c

# The libgpiod 2.x dependency step works and its library runs in place,
# and an installed vgpiod runs with the libgpiod installed beside it.
check-deps: $(B)/tests/deps/gpiod-version all
	$(Q)$<
	$(Q)MAKE="$(MAKE)" B=$(B) sh tests/deps/install-check.sh

# VM tier: the programs run in a QEMU guest with Debian's kernel and
# gpio-sim; tests/vm-gpiosim/run.sh caches the kernel and modules in
# $${VGPIO_VM_CACHE:-/var/cache/vgpio/vm}.
VM_PROGS := $(B)/tests/vm-gpiosim/gpiosim-smoke $(B)/tests/vm-gpiosim/test-vm-gpiod
$(B)/tests/vm-gpiosim/gpiosim-smoke: tests/vm-gpiosim/gpiosim-smoke.c $(GPIOD_DIR)/pcpath
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(TEST_INC) $(CFLAGS) $(GPIOD_CFLAGS) $(LDFLAGS) -o $@ $< $(GPIOD_LIBS)
# test-vm-gpiod also drives the gpiod provider itself (lending lines).
$(B)/tests/vm-gpiosim/test-vm-gpiod: tests/vm-gpiosim/test-vm-gpiod.c $(call obj,$(GPIOD_SRC)) $(LIBTEST) $(LIBSHIM) $(LAYER_LIBS) $(GPIOD_DIR)/pcpath
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(TEST_INC) $(CFLAGS) $(GPIOD_CFLAGS) $(CMOCKA_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(call obj,$(GPIOD_SRC)) $(LIBTEST) $(LIBSHIM) $(LAYER_LIBS) $(CMOCKA_LIBS) $(GPIOD_LIBS) $(SECCOMP_LIBS)

# run.sh exits 77 after a "SKIP: vm-gpiosim: reason" line when QEMU cannot run.
# The daemon goes to the guest's /bin (VGPIO_BUILD there).
check-vm-gpiosim: $(VM_PROGS) $(VGPIOD) $(ASSIGN)
	$(Q)VGPIO_VM_OUT=$(B)/tests/vm-gpiosim VGPIO_VM_BINS="$(VGPIOD) $(ASSIGN)" \
		bash tests/vm-gpiosim/run.sh $(VM_PROGS) || \
		{ rc=$$?; [ $$rc -eq 77 ] || exit $$rc; }

# Xen tier: Xen under QEMU, vgpiod in dom0, an HVM guest's stock
# gpio-virtio driver and libgpiod tools; tests/vm-xen/run.sh shares the
# VM tier's cache. Exit 77 after "SKIP: vm-xen: reason" when QEMU cannot run.
check-vm-xen: $(VGPIOD) $(ASSIGN)
	$(Q)VGPIO_XEN_OUT=$(B)/tests/vm-xen bash tests/vm-xen/run.sh $(VGPIOD) $(ASSIGN) || \
		{ rc=$$?; [ $$rc -eq 77 ] || exit $$rc; }

# systemd tier: Debian 12's systemd as PID 1 in a QEMU guest starts,
# reloads, restarts and stops the unit `make install` installs (into
# $(SD_DEST) here), on a gpio-sim chip; sd-probe runs inside the unit's
# sandbox. tests/vm-systemd/run.sh shares the VM tier's kernel cache and
# keeps the guest's root in $${VGPIO_SD_CACHE:-/var/cache/vgpio/vm-systemd}.
# Exit 77 after "SKIP: vm-systemd: reason" when QEMU cannot run.
SD_OUT := $(B)/tests/vm-systemd
SD_DEST := $(abspath $(SD_OUT))/dest
SD_PROBE := $(SD_OUT)/sd-probe
$(SD_PROBE): tests/vm-systemd/sd-probe.c
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<
check-vm-systemd: all man $(SD_PROBE)
	$(Q)rm -rf $(SD_DEST)
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(SD_DEST) PREFIX=/usr/local SYSCONFDIR=/etc \
		>$(SD_OUT)/install.log 2>&1 || \
		{ cat $(SD_OUT)/install.log; echo "FAIL: vm-systemd: make install"; exit 1; }
	$(Q)VGPIO_SD_OUT=$(SD_OUT) bash tests/vm-systemd/run.sh $(SD_DEST) $(SD_PROBE) || \
		{ rc=$$?; [ $$rc -eq 77 ] || exit $$rc; }

# --- arm64 cross build ------------------------------------------------------
# vgpiod and vgpio-assign for an arm64 dom0 running Debian 13, built by
# this same Makefile into $(ARM64_B)/ with warnings as errors: only the
# compiler, the sysroot and pkg-config's search path differ. The sysroot
# ($(ARM64_DIR)/root: Debian 13's arm64 C library, Xen 4.20 libraries and
# libgpiod 2.x) comes from tools/deps-cross.sh, whose SYSROOT_PKGS is the
# one list of what the daemon links. No rpath: the target's libgpiod is
# the system's.
ARM64_DIR := .deps/arm64
ARM64_ROOT := $(abspath $(ARM64_DIR))/root
ARM64_B := build-arm64
ARM64_TRIPLET := aarch64-linux-gnu
ARM64_PKG_CONFIG := env PKG_CONFIG_SYSROOT_DIR=$(ARM64_ROOT) \
	PKG_CONFIG_LIBDIR=$(ARM64_ROOT)/usr/lib/$(ARM64_TRIPLET)/pkgconfig:$(ARM64_ROOT)/usr/share/pkgconfig \
	$(PKG_CONFIG)
# (The host's libgpiod step runs first: under the cross CC that make
# exports, dpkg-architecture would answer arm64 to it.)
cross-arm64: $(GPIOD_DIR)/pcpath
	$(Q)sh tools/deps-cross.sh arm64 $(ARM64_DIR)
	$(Q)$(MAKE) --no-print-directory B=$(ARM64_B) WERROR=1 SAN= \
		CC="$(ARM64_TRIPLET)-gcc --sysroot=$(ARM64_ROOT)" AR=$(ARM64_TRIPLET)-ar \
		PKG_CONFIG="$(ARM64_PKG_CONFIG)" GPIOD_PCPATH= \
		'GPIOD_LIBS=$$(shell $$(GPIOD_PKG) --libs libgpiod)' \
		$(ARM64_B)/vgpiod $(ARM64_B)/vgpio-assign

# The cross build, then what the binaries need (machine, loader, libraries,
# symbol versions) and `--help` under qemu-aarch64 on the sysroot.
# Exit 77 after "SKIP: cross-arm64: reason" without a cross compiler.
check-cross-arm64:
	$(Q)MAKE="$(MAKE)" ARM64_DIR=$(ARM64_DIR) ARM64_B=$(ARM64_B) \
		sh tests/cross-arm64/run.sh || { rc=$$?; [ $$rc -eq 77 ] || exit $$rc; }

# Arm64 Xen tier: Xen rebuilt with the IOREQ server (tools/xen-build.sh)
# under qemu-system-aarch64, the project's arm64 kernel as dom0 and guest,
# the cross-built vgpiod discovering a device that `xl create` made from a
# virtio= entry (grants). Kernel and hypervisor come from their recipes'
# caches. Exit 77 after "SKIP: vm-xen-arm64: reason" when QEMU cannot run.
check-vm-xen-arm64: cross-arm64
	$(Q)VGPIO_XEN_ARM64_OUT=$(B)/tests/vm-xen-arm64 bash tests/vm-xen-arm64/run.sh \
		$(ARM64_B)/vgpiod $(ARM64_B)/vgpio-assign || \
		{ rc=$$?; [ $$rc -eq 77 ] || exit $$rc; }

# --- kernels ----------------------------------------------------------------
# The project's own kernels for the Xen tiers, one per architecture:
# tools/kernel-build.sh builds each from Debian's linux-source and
# tests/kernel/ARCH.config, cached in $${VGPIO_KERNEL_CACHE:-/var/cache/vgpio/kernel}
# (a miss costs minutes per kernel, a hit seconds). check-kernels boots
# each under QEMU to a busybox /init that checks its features, bare and,
# the arm64 one, as dom0 of Debian 13's Xen. Neither is part of
# `make check` yet.
KERNEL_ARCHS := arm64 x86_64
kernels:
	$(Q)for a in $(KERNEL_ARCHS); do sh tools/kernel-build.sh $$a || exit 1; done
check-kernels:
	$(Q)for a in arm64 "arm64 xen" x86_64; do \
		VGPIO_KERNEL_OUT=$(B)/tests/kernel bash tests/kernel/run.sh $$a || \
			{ rc=$$?; [ $$rc -eq 77 ] || exit $$rc; }; \
	done

# --- compile --------------------------------------------------------------
$(B)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(INC) $(CFLAGS) $(if $(filter $<,$(CONV_SRCS)),$(CONVERSION)) \
		$(if $(filter $(XEN_USERS),$<),$(XEN_CFLAGS)) \
		$(if $(filter $(SECCOMP_USERS),$<),$(SECCOMP_CFLAGS)) \
		$(if $(filter $(FAKEXEN_USERS),$<),-Itests/lib/fakexen) \
		$(if $(filter backend/%,$<),,$(CMOCKA_CFLAGS)) -c -o $@ $<

define layer_lib_rule
$(call layer_lib,$(1)): $(call obj,$(call LAYER_SRCS,$(1)))
	@$$(if $$(filter 0,$$(V)),echo "  AR      $$@")
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib_rule,$(l))))
$(LIBSHIM): $(SHIM_OBJS)
	@$(if $(filter 0,$(V)),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBTEST): $(TESTLIB_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBFAKEXEN): $(call obj,$(FAKEXEN_SRCS))
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBCTLC): $(call obj,$(CTLC_SRCS))
	@$(if $(filter 0,$(V)),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# The gpiod provider is the one object built against libgpiod; the
# binaries that link it get an rpath to a project-local libgpiod.
GPIOD_OBJ := $(call obj,$(GPIOD_SRC))
$(GPIOD_OBJ): $(GPIOD_SRC) $(GPIOD_DIR)/pcpath | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(INC) $(CFLAGS) $(GPIOD_CFLAGS) -c -o $@ $<

$(VGPIOD): $(call obj,$(MAIN_SRC)) $(GPIOD_OBJ) $(XEN_OBJS) $(LAYER_LIBS)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(GPIOD_LIBS) $(XEN_LIBS) $(SECCOMP_LIBS)
$(SHIM): $(B)/frontend-shim/main.o $(LIBSHIM) $(call layer_lib,base)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^
$(ASSIGN): $(call obj,$(ASSIGN_SRCS)) $(GPIOD_OBJ) $(LIBCTLC) $(LAYER_LIBS)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(GPIOD_LIBS)
$(CTL): $(B)/tools/vgpio-ctl.o $(LIBCTLC) $(call layer_lib,base)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^
$(BENCH): $(B)/tests/bench/bench.o $(B)/tests/bench/procmem.o $(LIBTEST) $(LIBSHIM) $(LAYER_LIBS)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS)

# Static pattern rules: a unit and an integration test may share a name.
$(UNIT_BINS) $(INTEG_BINS): $(B)/%: $(B)/%.o $(LIBTEST) $(LIBSHIM) $(LIBCTLC) $(LAYER_LIBS)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(WRAP) -o $@ $^ $(CMOCKA_LIBS) $(SECCOMP_LIBS)

# System calls a unit test stands in for (house style: --wrap only for
# libc seams). test-linefd plays the kernel's GPIO line ioctls.
$(B)/tests/unit/test-linefd: WRAP := -Wl,--wrap=ioctl

# The Xen transport's tests link the real transport objects against the
# fake Xen instead of the Xen libraries.
$(XENT_BINS): $(B)/%: $(B)/%.o $(XEN_OBJS) $(LIBFAKEXEN) $(LIBTEST) $(LIBSHIM) $(LIBCTLC) $(LAYER_LIBS)
	@$(if $(filter 0,$(V)),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(SECCOMP_LIBS)

tests: $(UNIT_BINS) $(INTEG_BINS) $(XENT_BINS) $(BINS)

# --- tests ----------------------------------------------------------------
check-unit: $(UNIT_BINS)
	$(Q)sh tests/run-tier.sh unit $(UNIT_BINS)

check-integ: $(INTEG_BINS) $(BINS)
	$(Q)VGPIO_BUILD=$(B) sh tests/run-tier.sh integ $(INTEG_BINS)

check-xen-fake: $(XENT_BINS)
	$(Q)VGPIO_BUILD=$(B) sh tests/run-tier.sh xen-fake $(XENT_BINS)

# Every tier this machine can run; says which it skipped and why.
check: deps
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)VGPIO_BUILD=$(B) MAKE="$(MAKE)" sh tests/check.sh

# The layers include only downwards, production objects never see tests/
# (tools/check-layers.sh reads the compile commands make would run).
comma := ,
PROD_OBJS := $(call obj,$(BACKEND_SRCS) $(MAIN_SRC) $(GPIOD_SRC) $(XEN_SRCS))
check-layers:
	$(Q)mkdir -p $(B)
	$(Q)$(MAKE) --no-print-directory -n -B V=1 $(PROD_OBJS) > $(B)/layers.log
	$(Q)sh tools/check-layers.sh $(B)/layers.log \
		$(foreach l,$(LAYERS),$(l):$(subst $(eval) ,$(comma),$(strip $(USES_$(l)))))

# No mutable file-scope state in backend/ (docs/architecture.md, "Layers").
check-globals: $(call obj,$(BACKEND_SRCS) $(MAIN_SRC)) $(GPIOD_OBJ) $(XEN_OBJS)
	$(Q)sh tools/check-globals.sh $^

# Rule numbers cited in code and docs are defined in docs/validation.md;
# nothing cites a document outside the repository.
check-citations:
	$(Q)sh tools/check-citations.sh

check-san:
	$(Q)$(MAKE) --no-print-directory SAN=address,undefined check-unit check-integ check-xen-fake

# --- fuzzing (clang libFuzzer + ASan/UBSan, separate build dir) ---------
FB ?= build-fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# fuzz-loop.c includes the loop transport; the daemon layer stays out.
FUZZ_CORE_SRCS := $(filter-out backend/transports/loop/loop.c $(call layer_srcs,daemon),$(BACKEND_SRCS))
# Fuzzers have neither cmocka nor the daemon: test-library files that need
# them are named tests/lib/daemon-*.c and left out.
TESTLIB_FUZZ_SRCS := $(filter-out tests/lib/daemon-%.c,$(TESTLIB_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FB)/%,$(FUZZ_SRCS))
FUZZ_TIME ?= 10

# One clang command per target, so no .d files: depend on every source and
# header a target may include (fuzz-loop.c includes the loop transport).
FUZZ_DEPS := $(wildcard backend/*/*.[ch] backend/*/*/*.[ch] include/vgpio/*.h frontend-shim/*.h tests/lib/*.h)
$(FB)/%: tests/fuzz/%.c $(FUZZ_CORE_SRCS) $(SHIM_SRCS) $(TESTLIB_FUZZ_SRCS) $(FUZZ_DEPS) | $(DEPS_STAMP)
	@mkdir -p $(FB)
	@$(if $(filter 0,$(V)),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(CPPFLAGS) $(TEST_INC) -std=gnu11 $(WARNINGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_CORE_SRCS) $(SHIM_SRCS) $(TESTLIB_FUZZ_SRCS)

# fuzz-xen drives the shipped Xen transport against the fake Xen: it also
# needs the Xen headers, the transport's sources and the fake's
# (xenguest.c, which runs a daemon, stays out); the fake gets no coverage
# instrumentation (fuzz-xen.ignorelist).
FUZZ_XEN_SRCS := $(XEN_SRCS) $(filter-out tests/lib/fakexen/xenguest.c,$(FAKEXEN_SRCS))
FUZZ_XEN_IGNORE := tests/fuzz/fuzz-xen.ignorelist
$(FB)/fuzz-xen: tests/fuzz/fuzz-xen.c $(FUZZ_CORE_SRCS) $(TESTLIB_FUZZ_SRCS) $(FUZZ_XEN_SRCS) $(FUZZ_DEPS) $(wildcard tests/lib/fakexen/*.h) $(FUZZ_XEN_IGNORE) | $(DEPS_STAMP)
	@mkdir -p $(FB)
	@$(if $(filter 0,$(V)),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(CPPFLAGS) $(TEST_INC) -Itests/lib/fakexen -std=gnu11 $(WARNINGS) $(XEN_CFLAGS) $(FUZZ_FLAGS) \
		-fsanitize-coverage-ignorelist=$(FUZZ_XEN_IGNORE) -o $@ $< $(FUZZ_CORE_SRCS) $(TESTLIB_FUZZ_SRCS) $(FUZZ_XEN_SRCS)

fuzz: $(FUZZ_BINS)
fuzz-replay: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh replay $(FUZZ_BINS)
fuzz-smoke: $(FUZZ_BINS)
	$(Q)FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run.sh smoke $(FUZZ_BINS)

# --- bench, demo ---------------------------------------------------------
bench: $(BENCH) $(BINS)
	$(Q)VGPIO_BUILD=$(B) $(BENCH)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)VGPIO_BUILD=$(B) sh tools/vgpio-demo.sh

# --- style ------------------------------------------------------------------
# Tracked and new (untracked, not ignored) files alike.
FORMAT_FILES = $(shell git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(FORMAT_FILES)
format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

# --- man pages ------------------------------------------------------------
# The pages are markdown in docs/; tools/md2man.sh makes roff of them.
MAN_SRCS := $(sort $(wildcard docs/*.[158].md))
MAN_PAGES := $(patsubst docs/%.md,$(B)/man/%,$(MAN_SRCS))
.PHONY: man
man: $(MAN_PAGES)
$(MAN_PAGES): $(B)/man/%: docs/%.md tools/md2man.sh
	@mkdir -p $(dir $@)
	@$(if $(filter 0,$(V)),echo "  MAN     $@")
	$(Q)sh tools/md2man.sh $< > $@.tmp && mv $@.tmp $@

# --- install ----------------------------------------------------------------
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/vgpio
# dist/ files name the installed paths as @SBINDIR@, @SYSCONFDIR@, @DOCDIR@.
DIST_SUBST = sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'

# The policy file is the administrator's: installed (with no lines in it,
# so that the service starts) only where there is none.
install: all man
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(VGPIOD) $(ASSIGN) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 $(SHIM) $(CTL) $(DESTDIR)$(PREFIX)/bin/
	$(Q)if [ -n "$(GPIOD_PCPATH)" ]; then \
		install -d $(DESTDIR)$(PREFIX)/lib/vgpio && \
		cp -P $(GPIOD_LIBDIR)/libgpiod.so.3* $(DESTDIR)$(PREFIX)/lib/vgpio/; \
	fi
	$(Q)for p in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${p##*.} && \
		install -d $$d && install -m 0644 $$p $$d/ || exit 1; \
	done
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/init.d \
		$(DESTDIR)$(DOCDIR)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/vgpio
	$(DIST_SUBST) dist/vgpiod.service > $(B)/vgpiod.service.out
	install -m 0644 $(B)/vgpiod.service.out $(DESTDIR)$(UNITDIR)/vgpiod.service
	$(DIST_SUBST) dist/vgpiod.init > $(B)/vgpiod.init.out
	install -m 0755 $(B)/vgpiod.init.out $(DESTDIR)$(SYSCONFDIR)/init.d/vgpiod
	install -m 0644 dist/policy.conf.example $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(SYSUSERSDIR)
	install -m 0644 dist/vgpio.sysusers $(DESTDIR)$(SYSUSERSDIR)/vgpio.conf
	$(Q)if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	    ! getent passwd vgpio >/dev/null; then \
		if command -v systemd-sysusers >/dev/null; then \
			systemd-sysusers $(SYSUSERSDIR)/vgpio.conf; \
		else \
			useradd --system --user-group --no-create-home \
				--home-dir /nonexistent \
				--shell /usr/sbin/nologin vgpio; \
		fi && echo "install: created the system user vgpio for vgpiod's workers"; \
	fi
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/vgpio/policy.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/vgpio/policy.conf"; \
	else \
		$(DIST_SUBST) dist/policy.conf > $(B)/policy.conf.out && \
		install -m 0644 $(B)/policy.conf.out \
			$(DESTDIR)$(SYSCONFDIR)/vgpio/policy.conf; \
	fi

clean:
	rm -rf build build-san build-fuzz build-clang build-arm64

distclean: clean
	rm -rf .deps

-include $(shell find $(B) $(FB) -name '*.d' -type f 2>/dev/null)
