# SPDX-License-Identifier: GPL-2.0-or-later
# aarch64 (arm64) builds on an x86-64 machine.
#
#   make arm64          build-arm64/gpu-vfio and build-arm64/gpu-vfio-generator: static-pie,
#                       musl, libkmod 34 with the xz/zstd/zlib decoders, hardened, stripped,
#                       exactly as the native build (the same as `make ARCH=arm64`)
#   make check-arm64    the golden cases, the generator trees and unit tests' arm64 binaries
#                       under qemu-user (binfmt_misc); prints its pass count
#   make deb-arm64      build-arm64/deb/gpu-vfio_VERSION_arm64.deb by dpkg-buildpackage -aarm64
#
# Cross toolchain: gcc-aarch64-linux-gnu; musl for arm64 is Debian's musl-dev:arm64,
# unpacked by scripts/musl-cc-arm64 into build-arm64/musl (the system's dpkg and apt
# configuration is left alone).  Running the arm64 binaries needs qemu-user-static with
# binfmt_misc mounted (scripts/arm64-binfmt.sh does both).

ARM64_B        := build-arm64
ARM64_PKGS     := gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
ARM64_RUN_PKGS := qemu-user-static

.PHONY: arm64 check-arm64 check-arm64-run deb-arm64

ifeq ($(ARCH),arm64)
arm64: $(B)/gpu-vfio $(B)/gpu-vfio-generator
	@for f in $^; do \
		if ! readelf -h $$f | grep -q 'Machine:.*AArch64'; then \
			echo "arm64: $$f is not an AArch64 binary" >&2; exit 1; fi; \
		if readelf -l $$f | grep -q INTERP; then \
			echo "arm64: $$f has a program interpreter (not static)" >&2; exit 1; fi; \
		echo "arm64: $$f $$(stat -c %s $$f) bytes, AArch64, static-pie"; \
	done

# The arm64 binaries under qemu-user (mk/modules.mk comes later: its MODULES_TEST is not
# set yet here); the fake kernel and kmod 34's depmod are the native
# build's (host programs beside the tests, never shipped).
ARM64_HOST_B := build
check-arm64-run: $(B)/gpu-vfio $(B)/gpu-vfio-generator $(B)/modules/test-modules
	@rm -rf $(B)/results && mkdir -p $(B)/results
	@DEPMOD=$(CURDIR)/$(ARM64_HOST_B)/kmod/tools/depmod sh tests/golden/run.sh $(B)/gpu-vfio \
		$(ARM64_HOST_B)/fakekernel $(B)/results/golden >$(B)/results/golden.log 2>&1 || :
	@tests/generator/run.sh $(B)/gpu-vfio-generator $(B)/generator-tests \
		$(B)/results/generator >$(B)/results/generator.log 2>&1 || :
	@DEPMOD=$(CURDIR)/$(ARM64_HOST_B)/kmod/tools/depmod sh tests/modules/run.sh $(B)/modules/test-modules \
		$(B)/results/modules >$(B)/results/modules.log 2>&1 || :
	@grep -h -e '^FAIL' -e '^not ok' $(B)/results/*.log || :
	@echo "arm64 (qemu-user; logs in $(B)/results/*.log):"
	@scripts/summarize.sh $(B)/results golden generator modules
else
arm64:
	@scripts/ensure-deps.sh $(ARM64_PKGS)
	@$(MAKE) --no-print-directory ARCH=arm64 arm64

# The package, cross-built from the committed files plus the working tree's edits to them
# (git ls-files), with the fetched sources as the component directories debian/rules
# expects and the arm64 musl already unpacked.  dpkg-buildpackage -d: the cross
# Build-Depends (musl-dev:arm64) would need arm64 added to dpkg, which this leaves alone;
# the Makefile installs gcc-aarch64-linux-gnu itself.
ARM64_DEB_DIR := $(ARM64_B)/deb
ARM64_DEB_PKGS := $(ARM64_PKGS) dpkg-dev debhelper scdoc
deb-arm64: $(SRC_STAMP)
	@scripts/ensure-deps.sh $(ARM64_DEB_PKGS)
	@MUSL_ARM64_ROOT=$(CURDIR)/$(ARM64_B)/musl scripts/musl-cc-arm64 --version >/dev/null
	rm -rf $(ARM64_DEB_DIR) && mkdir -p $(ARM64_DEB_DIR)/gpu-vfio-$(VERSION)
	git ls-files -z | tar -c --null -T - -f - | tar -x -C $(ARM64_DEB_DIR)/gpu-vfio-$(VERSION)
	for c in $(COMPONENTS_ARM64); do cp -a $(SRC_DIR)/$$c $(ARM64_DEB_DIR)/gpu-vfio-$(VERSION)/$$c; done
	cd $(ARM64_DEB_DIR)/gpu-vfio-$(VERSION) && MUSL_ARM64_ROOT=$(CURDIR)/$(ARM64_B)/musl \
		DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -aarm64 -Pcross,nocheck -b -us -uc -d \
		>../build.log 2>&1 || { tail -30 ../build.log >&2; exit 1; }
	@deb=$$(ls $(ARM64_DEB_DIR)/gpu-vfio_*_arm64.deb) && \
	  rm -rf $(ARM64_DEB_DIR)/x && dpkg-deb -x $$deb $(ARM64_DEB_DIR)/x && \
	  for f in usr/sbin/gpu-vfio usr/lib/systemd/system-generators/gpu-vfio-generator; do \
		readelf -h $(ARM64_DEB_DIR)/x/$$f | grep -q 'Machine:.*AArch64' || \
			{ echo "deb-arm64: $$f in $$deb is not AArch64" >&2; exit 1; }; done && \
	  echo "deb-arm64: $$deb (Architecture: $$(dpkg-deb -f $$deb Architecture)), binaries AArch64"
COMPONENTS_ARM64 := kmod xz-utils libzstd zlib

check-arm64: $(B)/fakekernel $(KMOD_DEPMOD)
	@scripts/ensure-deps.sh $(ARM64_PKGS) $(ARM64_RUN_PKGS) $(GOLDEN_PKGS) $(GEN_TEST_PKGS)
	@scripts/arm64-binfmt.sh
	@$(MAKE) --no-print-directory ARCH=arm64 check-arm64-run
endif
