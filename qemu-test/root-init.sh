#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /sbin/init of the QEMU test root file system: report on the serial console what the boot
# did to every PCI device (drivers, groups, gpu-vfio status, kernel log), then power off.
# shellcheck shell=dash
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# The initramfs moved these here; mount them in case a builder did not.
[ -r /proc/uptime ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
# Keep kernel messages from interleaving with the report; the report carries dmesg.
dmesg -n 1

link_name() {
	if [ -e "$1" ]; then
		basename "$(readlink "$1")"
	else
		echo -
	fi
}

class_name() {
	case $1 in
	0300) echo "VGA compatible controller" ;;
	0302) echo "3D controller" ;;
	03??) echo "Display controller" ;;
	0403) echo "Audio device" ;;
	0200) echo "Ethernet controller" ;;
	0100 | 0106 | 0108) echo "Storage controller" ;;
	0600) echo "Host bridge" ;;
	0601) echo "ISA bridge" ;;
	0604) echo "PCI bridge" ;;
	0680) echo "Bridge" ;;
	0806) echo "IOMMU" ;;
	0c03) echo "USB controller" ;;
	0c05) echo "SMBus" ;;
	*) echo "Class $1" ;;
	esac
}

# lspci -k for one device, from sysfs (busybox has no lspci -k).
lspci_k() {
	d=/sys/bus/pci/devices/$1
	cls=$(cut -c3-6 "$d/class")
	printf '%s %s [%s]: Device [%s:%s]\n' "$1" "$(class_name "$cls")" "$cls" \
		"$(cut -c3- "$d/vendor")" "$(cut -c3- "$d/device")"
	printf '\tSubsystem: Device [%s:%s]\n' "$(cut -c3- "$d/subsystem_vendor")" \
		"$(cut -c3- "$d/subsystem_device")"
	printf '\tIOMMU group: %s\n' "$(link_name "$d/iommu_group")"
	printf '\tdriver_override: %s\n' "$(cat "$d/driver_override")"
	drv=$(link_name "$d/driver")
	[ "$drv" = - ] || printf '\tKernel driver in use: %s\n' "$drv"
}

# The booted-host test (the root carries the kernel's vfio modules and this marker): claim
# the stand-in GPU, found by ids and class, with the booted root's gpu-vfio before reporting.
if [ -e /etc/qt-hostclaim ]; then
	gpu=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device"):$(cut -c1-6 "$d/class")" = 0x1234:0x1111:0x0380 ] &&
			gpu=${d##*/}
	done
	echo "@@qt hostclaim before $(grep -E '^vfio' /proc/modules | cut -d' ' -f1 | tr '\n' ' ')"
	# The boot had gpu-vfio=off (nothing claimed in the initramfs); gpu-vfio reads it from
	# /proc/cmdline: show it a command line whose last gpu-vfio= is on, as after a reboot.
	sed 's/$/ gpu-vfio=on/' /proc/cmdline >/run/qt-cmdline
	mount --bind /run/qt-cmdline /proc/cmdline
	gpu-vfio claim --device "$gpu" >/run/qt-claim 2>&1
	echo "@@qt hostclaim rc $? device $gpu"
	umount /proc/cmdline
	sed 's/^/@@qt hostclaim out /' /run/qt-claim
	echo "@@qt hostclaim after $(grep -E '^vfio' /proc/modules | cut -d' ' -f1 | tr '\n' ' ')"
	echo "@@qt hostclaim initstate $(cat /sys/module/vfio_pci/initstate 2>/dev/null)"
	echo "@@qt hostclaim files $(cd / && find lib/modules -name 'vfio*.ko*' | sort | tr '\n' ' ')"
fi
echo "@@qt begin uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "@@qt cmdline $(cat /proc/cmdline)"
for d in /sys/bus/pci/devices/*; do
	bv=-
	[ -e "$d/boot_vga" ] && bv=$(cat "$d/boot_vga")
	echo "@@qt dev ${d##*/} $(cut -c3- "$d/vendor") $(cut -c3- "$d/device")" \
		"$(cut -c3- "$d/class") $(link_name "$d/driver") $(link_name "$d/iommu_group") $bv"
done
echo "@@qt vfio $(cd /dev/vfio 2>/dev/null && echo *)"
state=
[ -r /run/gpu-vfio/state.json ] && state=$(tr '\n' ' ' </run/gpu-vfio/state.json)
echo "@@qt state $state"
gpu-vfio status >/run/qt-status 2>&1
rc=$?
sed 's/^/@@qt status /' /run/qt-status
echo "@@qt status-rc $rc"
gpu-vfio status --json >/run/qt-json 2>/run/qt-json.err
rc=$?
sed 's/^/@@qt json /' /run/qt-json
sed 's/^/@@qt json-err /' /run/qt-json.err
echo "@@qt json-rc $rc"
for d in /sys/bus/pci/devices/*; do
	lspci_k "${d##*/}" | sed 's/^/@@qt lspci /'
done
dmesg | sed 's/^/@@qt kmsg /'
echo "@@qt end"
sync
poweroff -f
# poweroff -f does not return; if it could not act, the kernel panics on PID 1's exit
# and -no-reboot stops QEMU.
