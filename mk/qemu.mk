# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU proof: boot real kernels with initramfs images built by initramfs-tools and dracut.
#
#   make qemu-test   every scenario x builder x IOMMU (Intel, AMD); not part of `make check`
#   make demo        boot one Intel VM (initramfs-tools) and show the stand-in GPU claimed
# Both install what they need; qemu-test/run.sh documents the knobs (QT_*).

QEMU_PKGS := linux-image-amd64 qemu-system-x86 initramfs-tools dracut-core busybox-static \
	cpio zstd xz-utils kmod e2fsprogs jq pciutils binutils mmdebstrap

.PHONY: qemu-deps qemu-probe

qemu-deps:
	@scripts/ensure-deps.sh $(QEMU_PKGS)

# Runs every scenario even when one fails, then fails on the closing line's count.
qemu-test: qemu-deps $(B)/gpu-vfio
	qemu-test/run.sh

demo: qemu-deps $(B)/gpu-vfio
	qemu-test/run.sh --demo

# Boot the test machine without gpu-vfio: PCI layout, IOMMU groups, native drivers.
qemu-probe: qemu-deps
	qemu-test/probe.sh
