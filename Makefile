# SPDX-License-Identifier: GPL-2.0-or-later
# Top-level build of gpu-vfio: static binaries, tests, install, QEMU demo.
#
# Each part adds itself through a fragment in mk/*.mk by appending to
#   DEPS_PKGS        Debian packages its build or tests need
#   CHECK_TARGETS    targets that `make check` runs (each records build/results/NAME)
#   INSTALL_TARGETS  targets that `make install` runs

PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
LIBDIR_SYSTEMD ?= /usr/lib/systemd
DESTDIR   ?=

B         := build
MUSL_CC   ?= scripts/musl-cc
HOST_CC   ?= gcc
STRIP     ?= strip

# ARCH=arm64 (or aarch64): the same static binaries for aarch64, cross-built on x86-64 with
# Debian's gcc-aarch64-linux-gnu and musl-dev:arm64 into build-arm64/ (mk/arm64.mk).  The
# fetched sources (libkmod and the decoders) are shared with the native build in build/src.
ifneq ($(filter arm64 aarch64,$(ARCH)),)
ARCH      := arm64
B         := build-arm64
SRC_DIR   := build/src
MUSL_CC   := scripts/musl-cc-arm64
LD        := aarch64-linux-gnu-ld
OBJCOPY   := aarch64-linux-gnu-objcopy
AR        := aarch64-linux-gnu-ar
STRIP     := aarch64-linux-gnu-strip
endif

# Hardened static build: static-pie where the toolchain has rcrt1.o.
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
WARN      := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wmissing-prototypes
CFLAGS    ?= -Os -g
STATIC_CFLAGS  := -std=gnu11 $(WARN) $(HARDEN) -ffunction-sections -fdata-sections -Ilib
STATIC_LDFLAGS := -static-pie -Wl,--gc-sections -Wl,-z,relro,-z,now -Wl,-z,noexecstack

DEPS_PKGS       := build-essential musl-tools libcmocka-dev dpkg-dev
CHECK_TARGETS   :=
INSTALL_TARGETS :=

all:

# libkmod and lib/'s archives first: the programs use their variables in their prerequisites.
include mk/kmod.mk mk/lib.mk
include $(filter-out mk/kmod.mk mk/lib.mk,$(sort $(wildcard mk/*.mk)))

.PHONY: all deps check check-clean install demo qemu-test bench clean

deps:
	@scripts/ensure-deps.sh $(sort $(DEPS_PKGS))

# Every layer that needs no VM. Each layer writes build/results/LAYER ("PASSED FAILED");
# the summary prints one closing line and fails if any layer failed or did not report.
check: deps
	@rm -rf $(B)/results && mkdir -p $(B)/results
	@$(MAKE) --no-print-directory -k $(CHECK_TARGETS); \
	 scripts/summarize.sh $(B)/results $(patsubst check-%,%,$(CHECK_TARGETS))

install: all $(INSTALL_TARGETS)

clean:
	rm -rf $(B)
