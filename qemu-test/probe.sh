#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot the test machine with a minimal busybox initramfs (no gpu-vfio) and print what the
# kernel made of it: PCI devices, drivers, IOMMU groups. Shows the stand-ins' native drivers
# bind when nothing intervenes. Usage: probe.sh [intel|amd]...
# shellcheck source-path=SCRIPTDIR
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

out=${QT_OUT:-build/qemu-test}/probe
kver=$(qt_kver)
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$out/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules/$kver"

cp /bin/busybox "$root/bin/busybox"
# The native drivers of the stand-ins plus vfio-pci, with their dependencies.
for mod in bochs qxl snd_hda_intel snd_hda_codec_generic e1000 vfio_pci; do
	modprobe -S "$kver" --show-depends "$mod" | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	mkdir -p "$root$(dirname "$ko")"
	cp "$ko" "$root$ko"
done
cp "/lib/modules/$kver/modules.order" "/lib/modules/$kver/modules.builtin" \
	"/lib/modules/$kver/modules.builtin.modinfo" "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "@@ probe start"
cat /proc/cmdline
for d in /sys/bus/pci/devices/*; do
	modprobe -q "$(cat "$d/modalias")" 2>/dev/null
done
sleep 2
echo "@@ devices"
for d in /sys/bus/pci/devices/*; do
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	grp=-
	[ -e "$d/iommu_group" ] && grp=$(basename "$(readlink "$d/iommu_group")")
	bv=-
	[ -e "$d/boot_vga" ] && bv=$(cat "$d/boot_vga")
	echo "dev ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") class=$(cat "$d/class") group=$grp boot_vga=$bv driver=$drv"
done
echo "@@ groups"
for g in /sys/kernel/iommu_groups/*; do
	echo "group ${g##*/}: $(ls "$g/devices" | tr '\n' ' ')"
done
echo "@@ iommu"
ls /sys/class/iommu
dmesg | grep -iE 'DMAR|AMD-Vi|iommu' | head -20
echo "@@ uptime $(cut -d' ' -f1 /proc/uptime)"
echo "@@ probe end"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"

[ $# -gt 0 ] || set -- intel amd
for iommu in "$@"; do
	start=$(date +%s)
	rc=0
	qt_boot "$iommu" "/boot/vmlinuz-$kver" "$out/initrd.img" "" "$out/$iommu.log" || rc=$?
	echo "== $iommu: qemu exit $rc, $(($(date +%s) - start)) s"
	sed -n '/^@@ probe start/,/^@@ probe end/p' "$out/$iommu.log"
done
