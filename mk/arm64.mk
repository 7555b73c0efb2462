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

.PHONY: arm64 check-arm64 deb-arm64 arm64-binfmt

ifeq ($(ARCH),arm64)
arm64: $(B)/gpu-vfio $(B)/gpu-vfio-generator
	@for f in $^; do \
		if ! readelf -h $$f | grep -q 'Machine:.*AArch64'; then \
			echo "arm64: $$f is not an AArch64 binary" >&2; exit 1; fi; \
		if readelf -l $$f | grep -q INTERP; then \
			echo "arm64: $$f has a program interpreter (not static)" >&2; exit 1; fi; \
		echo "arm64: $$f $$(stat -c %s $$f) bytes, AArch64, static-pie"; \
	done
else
arm64:
	@scripts/ensure-deps.sh $(ARM64_PKGS)
	@$(MAKE) --no-print-directory ARCH=arm64 arm64
endif
