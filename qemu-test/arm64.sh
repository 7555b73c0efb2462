# SPDX-License-Identifier: GPL-2.0-or-later
# The arm64 row of the QEMU proof, sourced by run.sh after rows.sh (it provides result,
# problem, die, dev, field, kmsg, kmsg_time, expect_driver, never_native, json_get, json_of,
# policy_of, in_root, rm_root, span):
#
#   arm64   Debian 13's arm64 root (trixie-root.sh arm64: linux-image-arm64, its
#           initramfs-tools 0.148, made by mmdebstrap --arch=arm64 under qemu-user), its
#           6.12 kernel with .ko.xz modules, build-arm64/gpu-vfio (make arm64), booted on
#           qemu-system-aarch64 -machine virt,iommu=smmuv3 under TCG (qt_boot_arm64)
#
# Scenarios (QT_ARM64_SCENARIOS, "claim off invalid" by default; the ones also selected on run.sh's
# command line run): claim (boots the claim image; includes run.sh's status checks), off
# (the claim image with gpu-vfio=off: nothing claimed, the native drivers bind; its report
# is the machine's probe: drivers and IOMMU groups without gpu-vfio), invalid (a build
# check). The image is built in a chroot of a copy of the root by its own mkinitramfs (the
# arm64 programs run under qemu-user through binfmt_misc), after
# `make ARCH=arm64 install DESTDIR=<copy>` put the project there: the arm64 gpu-vfio in
# /usr/sbin, the hook and init-top script in /usr/share/initramfs-tools.
# shellcheck shell=dash disable=SC2154 # run.sh sets out, top, here, scenarios, ...

arm64_native_drivers="bochs cirrus snd_hda_intel snd_hda_codec_generic e1000 e1000e"
arm64_root_drivers="virtio_pci virtio_blk ext4"

arm64_has() {
	case " ${QT_ARM64_SCENARIOS:-claim off invalid} " in
	*" $1 "*) has "$1" ;;
	*) return 1 ;;
	esac
}

# arm64_make_root: the busybox test root for the arm64 boots, with the arm64 root's busybox
# (linked against its glibc: the libraries it needs come along) and the arm64 gpu-vfio, the
# claim policy; as a directory and an ext4 image ($out/arm64/testroot.img).
arm64_make_root() {
	_r=$out/arm64/testroot
	rm -rf "$_r" "$_r.img"
	mkdir -p "$_r/bin" "$_r/sbin" "$_r/usr/sbin" "$_r/etc" "$_r/proc" "$_r/sys" "$_r/dev" \
		"$_r/run" "$_r/lib/aarch64-linux-gnu"
	cp "$root64/usr/bin/busybox" "$_r/bin/busybox" || return 1
	# Its libraries (readelf: NEEDED), from the root's /usr/lib and /usr/lib/aarch64-linux-gnu.
	for _l in $(readelf -d "$_r/bin/busybox" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		if [ -e "$root64/usr/lib/aarch64-linux-gnu/$_l" ]; then
			cp -L "$root64/usr/lib/aarch64-linux-gnu/$_l" "$_r/lib/aarch64-linux-gnu/"
		else
			cp -L "$root64/usr/lib/$_l" "$_r/lib/"
		fi || return 1
	done
	# The program interpreter where the binary names it (/lib/ld-linux-aarch64.so.1).
	cp -L "$root64/usr/lib/ld-linux-aarch64.so.1" "$_r/lib/" || return 1
	# The applet list, from the arm64 busybox itself (qemu-user, in the root).
	for _a in $(chroot "$root64" /usr/bin/busybox --list); do
		[ "$_a" = busybox ] || ln -s busybox "$_r/bin/$_a"
	done
	[ -e "$_r/bin/sh" ] || return 1
	install -m 0755 "$here/root-init.sh" "$_r/sbin/init"
	install -m 0755 "$bin64" "$_r/usr/sbin/gpu-vfio"
	(umask 022 && printf '%s\n' "# QEMU test policy (claim)" "$(policy_of claim)" \
		>"$_r/etc/gpu-vfio.conf")
	mkfs.ext4 -q -F -L qtroot -d "$_r" "$_r.img" 48M >/dev/null
}

# arm64_copy: a fresh copy of the arm64 root with the project installed for arm64, the
# variant driver in its module tree, the claim policy, the stand-ins' native drivers and the
# disk's listed for initramfs-tools.
arm64_copy() {
	_d=$out/arm64/root
	rm_root "$_d"
	rm_root "$_d.tmp"
	cp -a "$root64" "$_d.tmp" && mv "$_d.tmp" "$_d" || return 1
	make -s -C "$top" ARCH=arm64 install DESTDIR="$_d" >"$out/arm64/install.log" 2>&1 ||
		return 1
	readelf -h "$_d/usr/sbin/gpu-vfio" | grep -q 'Machine:.*AArch64' || {
		echo "arm64: make ARCH=arm64 install did not install an AArch64 gpu-vfio" >&2
		return 1
	}
	(umask 022 && printf '%s\n' "# QEMU test policy (claim)" "$(policy_of claim)" \
		>"$_d/etc/gpu-vfio.conf")
	# The variant driver, cross-built for the arm64 kernel; the root's depmod (qemu-user).
	variant_add "$_d/usr/lib/modules/$kver64" xz && in_root "$_d" depmod "$kver64" ||
		return 1
	for _m in $arm64_native_drivers $arm64_root_drivers; do
		echo "$_m"
	done >>"$_d/etc/initramfs-tools/modules"
	# MODULES=list: the listed drivers and what the hooks add (gpu-vfio's among them), not
	# the hundreds of MODULES=most, which take mkinitramfs minutes under qemu-user.
	sed -i 's/^MODULES=.*/MODULES=list/' "$_d/etc/initramfs-tools/initramfs.conf"
}

arm64_build() {
	in_root "$out/arm64/root" mkinitramfs -o "$1" "$kver64"
}

# arm64_boot SCENARIO ARGS: one boot of the claim image into the test root.
arm64_boot() {
	_log=$out/boots/$1-arm64.log
	rm -f "$_log" "$_log.qemu" "$_log.rc"
	_start=$(date +%s)
	_rc=0
	qt_boot_arm64 "$kernel64" "$out/images/arm64-claim.img" "$cmdline_base $2" "$_log" \
		"$out/arm64/testroot.img" || _rc=$?
	echo "$_rc $(($(date +%s) - _start))" >"$_log.rc"
	tr -d '\r' <"$_log" >"$_log.clean"
}

# arm64_checks SCENARIO: sets P.
arm64_checks() {
	P=
	_log=$out/boots/$1-arm64.log
	qt_qemu_ran "$_log.rc" || return
	_log=$_log.clean
	if ! grep -q '^@@qt end' "$_log"; then
		problem "the boot did not reach the test root's report; last lines of $_log:"
		problem "$(tail -n 15 "$_log")"
		return
	fi
	grep -q 'arm-smmu-v3' "$_log" || problem "the kernel log has no arm-smmu-v3 line"
	if grep -E 'Invalid ELF header|Exec format error|[Uu]nknown symbol' "$_log" >"$_log.bad"; then
		problem "module loading failed: $(head -n 3 "$_log.bad")"
	fi
	_gpu=$(dev "$_log" 1234 1111 0380)
	_gpu=${_gpu%% *}
	_aud=$(dev "$_log" 8086 293e 0403)
	_aud=${_aud%% *}
	[ -n "$(field "$(dev "$_log" 1234 1111 0380)" 6 | tr -d -)" ] ||
		problem "the stand-in GPU has no IOMMU group: the SMMUv3 did not take it"
	# The bridged pair and the NIC are not in the policy: on their own drivers either way.
	expect_driver "$_log" "bridged display" 1013 00b8 0300 cirrus
	expect_driver "$_log" "its bridge neighbour" 8086 100e 0200 e1000
	expect_driver "$_log" "NIC" 8086 10d3 0200 e1000e
	case $1 in
	claim)
		expect_driver "$_log" "stand-in GPU" 1234 1111 0380 "$variant_name"
		expect_driver "$_log" "its audio function" 8086 293e 0403 vfio-pci
		never_native "$_log" "$_gpu" >/dev/null
		never_native "$_log" "$_aud" >/dev/null
		_grp=$(field "$(dev "$_log" 1234 1111 0380)" 6)
		sed -n 's/^@@qt vfio //p' "$_log" | tr ' ' '\n' | grep -qx "$_grp" ||
			problem "/dev/vfio/$_grp is missing"
		kmsg "$_log" | grep -q "gpu-vfio: .*$_gpu" ||
			problem "no gpu-vfio: kernel message names $_gpu"
		kmsg "$_log" | grep -q '\] gpu-vfio: .*loaded module vfio_pci' ||
			problem "no gpu-vfio: kernel message says it loaded vfio_pci"
		kmsg "$_log" | grep -q "\] gpu-vfio: .*loaded module $variant_name" ||
			problem "no gpu-vfio: kernel message says it loaded $variant_name"
		# Before udev: on the serial console gpu-vfio's first line precedes udevd's start.
		_lg=$(grep -v '^@@qt' "$_log" | grep -n '\] gpu-vfio: ' | head -n 1 | cut -d: -f1)
		_lu=$(grep -v '^@@qt' "$_log" | grep -nE 'Starting systemd-udevd version' |
			head -n 1 | cut -d: -f1)
		if [ -z "$_lg" ] || [ -z "$_lu" ]; then
			problem "the console lacks a gpu-vfio: line (${_lg:-none}) or udevd's start (${_lu:-none})"
		elif [ "$_lg" -ge "$_lu" ]; then
			problem "udevd started (console line $_lu) before gpu-vfio ran (line $_lg)"
		fi
		# shellcheck disable=SC2034 # expect_claimed_status reads it
		gpu_driver=$variant_name
		expect_claimed_status "$_log" "$_gpu" "$_aud"
		;;
	off)
		expect_driver "$_log" "stand-in GPU" 1234 1111 0380 bochs-drm
		expect_driver "$_log" "its audio function" 8086 293e 0403 snd_hda_intel
		grep -qE 'gpu-vfio: .*(=off|disabled)' "$_log" ||
			problem "nothing on the console says gpu-vfio was switched off"
		if sed -n 's/^@@qt vfio //p' "$_log" | tr ' ' '\n' | grep -q '^[0-9]'; then
			problem "a VFIO group exists: $(grep '^@@qt vfio' "$_log")"
		fi
		;;
	esac
}

# arm64_invalid: the build with an invalid policy fails naming the line, the previous image
# unchanged.
arm64_invalid() {
	P=
	_d=$out/arm64/root
	_pol=$_d/etc/gpu-vfio.conf
	cp "$_pol" "$_pol.qt"
	printf '%s\n' "# QEMU test policy (invalid)" "$(policy_of invalid)" >"$_pol"
	cp "$_d/boot/qt-arm64.img" "$_d/boot/qt-invalid.img"
	if arm64_build /boot/qt-invalid.img >"$out/images/arm64-invalid.log" 2>&1; then
		problem "the arm64 build succeeded with an invalid policy"
	fi
	cmp -s "$_d/boot/qt-arm64.img" "$_d/boot/qt-invalid.img" ||
		problem "the previous image was changed by the failed build"
	grep -q 'gpu-vfio.conf:2:' "$out/images/arm64-invalid.log" ||
		problem "the build log does not name the policy line (gpu-vfio.conf:2:)"
	grep 'gpu-vfio' "$out/images/arm64-invalid.log" | head -n 3 | sed 's/^/# /'
	mv "$_pol.qt" "$_pol"
	rm -f "$_d/boot/qt-invalid.img"
}

# arm64_groups LOG: the IOMMU groups the SMMUv3 gave, as "#" lines.
arm64_groups() {
	sed -n 's/^@@qt dev //p' "$1" | sort -n -k6 |
		awk '{ printf "#   group %s: %s %s:%s class %s driver %s\n", $6, $1, $2, $3, $4, $5 }'
}

arm64_main() {
	arm64_has claim || arm64_has off || arm64_has invalid || return 0
	bin64=$top/build-arm64/gpu-vfio
	[ -x "$bin64" ] || die "$bin64 is missing: run make arm64"
	readelf -h "$bin64" | grep -q 'Machine:.*AArch64' || die "$bin64 is not an AArch64 binary"
	_t0=$(date +%s)
	root64=$("$here/trixie-root.sh" arm64) || die "cannot build the Debian 13 arm64 root"
	echo "# Debian 13 arm64 root ready in $(($(date +%s) - _t0)) s: $root64"
	kver64=$(qt_root_kver "$root64")
	[ -n "$kver64" ] || die "the Debian 13 arm64 root has no kernel"
	# Debian 13's arm64 vmlinuz is a plain Image (EFI stub, no EFI_ZBOOT): QEMU's -kernel
	# loads it as it is.
	kernel64=$root64/boot/vmlinuz-$kver64
	echo "# arm64 kernel $kver64 ($(grep -E '^CONFIG_EFI_ZBOOT|^# CONFIG_EFI_ZBOOT' "$root64/boot/config-$kver64")); SMMUv3:" \
		"$(grep -E '^CONFIG_ARM_SMMU_V3=' "$root64/boot/config-$kver64")"
	mkdir -p "$out/arm64" "$out/images" "$out/boots"
	_t=$(date +%s)
	variant_build "$kver64" || die "cannot build the variant driver for $kver64"
	echo "# variant driver $variant_name cross-built for $kver64 in $(($(date +%s) - _t)) s"

	_t=$(date +%s)
	if ! arm64_copy; then
		result "arm64 image" "cannot copy the arm64 root or install the project into it: $(tail -n 5 "$out/arm64/install.log")"
		return 0
	fi
	arm64_make_root || {
		result "arm64 image" "cannot build the arm64 test root file system"
		return 0
	}
	echo "# arm64 root copy, make ARCH=arm64 install and test root in $(($(date +%s) - _t)) s"
	_t=$(date +%s)
	if ! arm64_build /boot/qt-arm64.img >"$out/images/arm64.log" 2>&1; then
		result "arm64 image" "the build failed: $(tail -n 15 "$out/images/arm64.log")"
		return 0
	fi
	cp "$out/arm64/root/boot/qt-arm64.img" "$out/images/arm64-claim.img"
	echo "# built the arm64 image in $(($(date +%s) - _t)) s (mkinitramfs under qemu-user)," \
		"$(stat -c %s "$out/images/arm64-claim.img") bytes"
	# What the image holds, by the root's own lsinitramfs.
	in_root "$out/arm64/root" lsinitramfs /boot/qt-arm64.img >"$out/images/arm64.list" 2>&1
	P=
	grep -q 'usr/sbin/gpu-vfio$' "$out/images/arm64.list" || problem "the image lacks usr/sbin/gpu-vfio"
	grep -q 'etc/gpu-vfio.conf$' "$out/images/arm64.list" || problem "the image lacks etc/gpu-vfio.conf"
	for _m in vfio.pci vfio.pci.core vfio.iommu.type1 vfio pci.stub "$variant_name" bochs cirrus \
		snd.hda.intel e1000 e1000e virtio.blk ext4; do
		grep -qE "/$_m\.ko\.xz\$" "$out/images/arm64.list" || problem "the image lacks $_m.ko.xz"
	done
	# gpu-vfio in the image is the arm64 one.
	_u=$out/arm64/unpacked
	rm -rf "$_u"
	if in_root "$out/arm64/root" unmkinitramfs /boot/qt-arm64.img /tmp/qt-unpacked \
		>/dev/null 2>&1; then
		_g=$(find "$out/arm64/root/tmp/qt-unpacked" -path '*usr/sbin/gpu-vfio' | head -n 1)
		readelf -h "$_g" 2>/dev/null | grep -q 'Machine:.*AArch64' ||
			problem "the image's gpu-vfio is not an AArch64 binary"
	else
		problem "unmkinitramfs cannot unpack the image"
	fi
	rm -rf --one-file-system "$out/arm64/root/tmp/qt-unpacked"
	result "arm64 image holds the arm64 gpu-vfio, the policy, .ko.xz vfio modules, pci-stub and the variant driver, the native drivers" "$P"
	[ -z "$P" ] || return 0

	if arm64_has invalid; then
		arm64_invalid
		result "invalid arm64: build fails, previous image kept" "$P"
	fi

	_args="udev.log_level=info systemd.log_target=kmsg printk.devkmsg=on"
	for _s in claim off; do
		arm64_has "$_s" || continue
		_extra=
		[ "$_s" = off ] && _extra=gpu-vfio=off
		arm64_boot "$_s" "$_args $_extra"
		arm64_checks "$_s"
		result "$_s arm64 smmuv3" "$P"
		_log=$out/boots/$_s-arm64.log
		read -r _rc _secs <"$_log.rc"
		# shellcheck disable=SC2046
		set -- $(span "$_log.clean")
		echo "# arm64 smmuv3 $_s: root reached at" \
			"$(sed -n 's/^@@qt begin uptime=//p' "$_log.clean") s (boot $_secs s wall);" \
			"gpu-vfio kernel messages from ${1:-?} s to ${2:-?} s" \
			"($(awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { printf "%.3f", b - a }') s)"
		echo "# arm64 $_s: IOMMU groups and drivers:"
		arm64_groups "$_log.clean"
		[ "$_s" = claim ] && kmsg "$_log.clean" | grep '\] gpu-vfio: ' | sed 's/^/#   /'
	done
	[ -n "${QT_KEEP:-}" ] || rm_root "$out/arm64/root"
	echo "# arm64 row: $(($(date +%s) - _t0)) s in all"
}
