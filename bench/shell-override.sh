#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The ArchWiki-style initramfs loop operators run today, for comparison; writes only to SCRATCH.
#
# Usage: shell-override.sh ROOT SCRATCH
#
# As in the wiki's vfio-pci-override.sh: every PCI device's vendor, class and boot_vga are
# read with $(cat ...), and each NVIDIA function that is not the boot VGA gets "vfio-pci"
# written to its driver_override. Here that write goes to SCRATCH, never to ROOT.
set -u

root=$1
scratch=$2
: >"$scratch"
for dev in "$root"/sys/bus/pci/devices/*; do
	vendor=$(cat "$dev/vendor")
	class=$(cat "$dev/class")
	boot_vga=$(cat "$dev/boot_vga" 2>/dev/null)
	[ "$vendor" = "0x10de" ] || continue
	[ "${boot_vga:-0}" = "1" ] && continue
	case $class in
	0x03*|0x0403*|0x0c03*|0x0c80*)
		echo "vfio-pci" >>"$scratch" # stands in for "$dev/driver_override"
		;;
	esac
done
