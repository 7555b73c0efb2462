# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU proof: boot real kernels with initramfs images built by initramfs-tools and dracut.
#
#   make qemu-test   every scenario x builder x IOMMU (Intel, AMD), and the arm64 row; not
#                    part of `make check`
#   make demo        boot one Intel VM (initramfs-tools) and show the stand-in GPU claimed
#   make qemu-test-arm64  the arm64 row alone: claim, off and invalid: Debian 13 arm64
#                    kernel, initramfs-tools on qemu-system-aarch64 -machine virt,iommu=smmuv3
#                    (qemu-test/arm64.sh)
# Both install what they need; qemu-test/run.sh documents the knobs (QT_*).

QEMU_PKGS := linux-image-amd64 qemu-system-x86 initramfs-tools dracut-core busybox-static \
	cpio zstd xz-utils kmod e2fsprogs jq pciutils binutils mmdebstrap
# The arm64 row: the emulator, qemu-aarch64 in binfmt_misc (F flag) for the arm64 root's
# maintainer scripts and mkinitramfs, arch-test for mmdebstrap --arch=arm64.
QEMU_ARM64_PKGS := qemu-system-arm qemu-user-static arch-test

.PHONY: qemu-deps qemu-probe qemu-test-arm64

qemu-deps:
	@scripts/ensure-deps.sh $(QEMU_PKGS) $(QEMU_ARM64_PKGS)

# Runs every scenario even when one fails, then fails on the closing line's count.
qemu-test: qemu-deps $(B)/gpu-vfio arm64
	qemu-test/run.sh

qemu-test-arm64: qemu-deps arm64
	QT_ROWS=arm64 qemu-test/run.sh claim off invalid

demo: qemu-deps $(B)/gpu-vfio
	qemu-test/run.sh --demo

# Boot the test machine without gpu-vfio: PCI layout, IOMMU groups, native drivers.
qemu-probe: qemu-deps
	qemu-test/probe.sh
