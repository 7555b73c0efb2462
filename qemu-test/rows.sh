# SPDX-License-Identifier: GPL-2.0-or-later
# Rows of the QEMU proof beyond the host's own kernel and builders, sourced by run.sh (it
# provides result, problem, boot_checks, dev, field, kmsg, kmsg_time, make_root, build_dracut):
#
#   deb13-itools       Debian 13 root: its initramfs-tools 0.148, its 6.12 kernel, .ko.xz
#                      (the kernel decompresses xz itself)
#   deb13-dracut       Debian 13: dracut-ng with systemd in the initrd, .ko.xz
#   deb13-dracut-shell Debian 13: dracut-ng without systemd (--omit systemd), .ko.xz
#   deb13-itools-zst   Debian 13: initramfs-tools, the vfio modules recompressed to .ko.zst
#                      (the kernel decompresses only xz: gpu-vfio decompresses in userspace)
#   deb12-dracut-xz    the host's Debian 12 kernel 6.1 (no in-kernel decompression) and
#                      dracut 059 on a copy of its module tree with the vfio modules as .ko.xz
#
# Scenarios per row and IOMMU: claim and off boot; invalid (deb13-itools, deb13-dracut,
# deb13-dracut-shell) is a build check; hostclaim (deb13-itools) boots gpu-vfio=off and
# claims from the booted root with its copy of the kernel's vfio modules; deb (deb13-itools)
# installs and purges the package of make check-deb in a copy of the root.
# The Debian 13 root comes from trixie-root.sh (cached); each row works on a copy, builds its
# images inside it with its own builders in a chroot (proc, sys, dev mounted, always
# unmounted), after `make install DESTDIR=<copy>`.
# shellcheck shell=dash disable=SC2154 # run.sh sets out, top, here, bin, kver, ...

# rm_root DIR: remove a root a killed run may have left with file systems mounted.
rm_root() {
	for _m in proc sys dev; do
		umount -l "$1/$_m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$1"
}

# in_root ROOT CMD...: CMD in a chroot of ROOT with proc, sys and dev mounted, unmounted
# on every exit of the subshell.
in_root() (
	_r=$1
	shift
	trap 'umount -l "$_r/dev" 2>/dev/null; umount -l "$_r/sys" 2>/dev/null; umount -l "$_r/proc" 2>/dev/null' EXIT
	trap 'exit 130' INT TERM HUP
	mount -t proc proc "$_r/proc" && mount -t sysfs sysfs "$_r/sys" &&
		mount --bind /dev "$_r/dev" || exit 1
	chroot "$_r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
)

row_selected() {
	case " $rows " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# row_copy NAME: a fresh copy of the trixie root with gpu-vfio installed, the variant driver
# in its module tree as .ko.NAME, the claim policy, the native drivers listed for
# initramfs-tools. Prints its path.
row_copy() {
	_d=$out/deb13/$1
	rm_root "$_d"
	rm_root "$_d.tmp"
	mkdir -p "$out/deb13"
	cp -a "$root13" "$_d.tmp" && mv "$_d.tmp" "$_d" || return 1
	make -s -C "$top" install DESTDIR="$_d" >"$out/deb13/$1.install.log" 2>&1 || return 1
	# The variant driver, compressed as the row's modules are (NAME is xz or zst).
	variant_add "$_d/usr/lib/modules/$kver13" "$1" && in_root "$_d" depmod "$kver13" ||
		return 1
	(umask 022 && printf '%s\n' "# QEMU test policy (claim)" "$(policy_of claim)" \
		>"$_d/etc/gpu-vfio.conf")
	for _m in $native_drivers $root_drivers; do
		echo "$_m"
	done >>"$_d/etc/initramfs-tools/modules"
	echo "$_d"
}

# row_build ROW ROOT IMAGE: build IMAGE (a path in ROOT) with the row's builder, log in
# $out/images/ROW.log.
row_build() {
	case $1 in
	deb13-itools | deb13-itools-zst)
		in_root "$2" mkinitramfs -o "$3" "$kver13"
		;;
	deb13-dracut)
		in_root "$2" dracut --force --no-hostonly --no-early-microcode --omit plymouth \
			--add gpu-vfio --add-drivers "$native_drivers $root_drivers" \
			--filesystems ext4 "$3" "$kver13"
		;;
	deb13-dracut-shell)
		in_root "$2" dracut --force --no-hostonly --no-early-microcode \
			--omit "plymouth systemd" --add gpu-vfio \
			--add-drivers "$native_drivers $root_drivers" --filesystems ext4 "$3" "$kver13"
		;;
	esac
}

# recompress DIR FROM TO: every vfio (and iommufd) module under the module tree DIR from
# .ko[.FROM] to .ko.TO (xz with the CRC32 check the kernel's own xz modules use).
recompress() {
	find "$1/kernel/drivers/vfio" "$1/kernel/drivers/iommu/iommufd" \
		-name "*.ko${2:+.$2}" 2>/dev/null | while read -r _f; do
		_base=${_f%.ko*}
		case $2 in
		xz) xz -dc "$_f" ;;
		zst) zstd -qdc "$_f" ;;
		'') cat "$_f" ;;
		esac >"$_base.ko.tmp" || return 1
		case $3 in
		xz) xz -C crc32 -c "$_base.ko.tmp" >"$_base.ko.xz" ;;
		zst) zstd -q -19 -c "$_base.ko.tmp" >"$_base.ko.zst" ;;
		esac || return 1
		rm -f "$_base.ko.tmp" "$_f"
	done
}

# image_list ROW IMAGE: the files in IMAGE, listed by the builder's own tool.
image_list() {
	case $1 in
	deb13-itools*) in_root "$root_of_row" lsinitramfs "$2" ;;
	deb13-dracut*) in_root "$root_of_row" lsinitrd "$2" ;;
	deb12-*) lsinitrd "$2" ;;
	esac
}

# image_checks ROW LIST EXT: problems with what the image holds.
image_checks() {
	P=
	grep -q 'usr/sbin/gpu-vfio$' "$2" || problem "the image lacks usr/sbin/gpu-vfio"
	grep -q 'etc/gpu-vfio.conf$' "$2" || problem "the image lacks etc/gpu-vfio.conf"
	# Module file names use - or _ (6.12: vfio-pci.ko.xz, 6.1: vfio_iommu_type1.ko).
	for _m in vfio.pci vfio.pci.core vfio.iommu.type1 vfio; do
		grep -qE "/$_m\.ko\.$3\$" "$2" || problem "the image lacks $_m.ko.$3"
	done
	if grep -E '/vfio[a-z_-]*\.ko$' "$2"; then
		problem "the image holds uncompressed vfio modules"
	fi
	for _m in bochs qxl snd.hda.intel e1000 virtio.blk ext4; do
		grep -qE "/$_m\.ko" "$2" || problem "the image lacks the driver $_m"
	done
	# The hook and the dracut module add the variant driver the policy may need.
	case $1 in
	deb13-*)
		grep -qE "/$variant_name\.ko\.$3\$" "$2" ||
			problem "the image lacks the variant driver $variant_name.ko.$3"
		;;
	esac
	case $1 in
	deb13-dracut)
		grep -q 'usr/lib/systemd/systemd$' "$2" || problem "the image has no systemd"
		;;
	deb13-dracut-shell)
		if grep -E 'usr/lib/systemd/systemd$|systemd-udevd.service' "$2"; then
			problem "the image has systemd"
		fi
		grep -qE '/systemd-udevd( -> .*)?$' "$2" || problem "the image has no udevd"
		;;
	esac
}

# row_boot SCENARIO ROW IOMMU KERNEL IMAGE DISK ARGS: one boot, logged like run.sh's.
row_boot() {
	_log=$out/boots/$1-$2-$3.log
	rm -f "$_log" "$_log.qemu" "$_log.rc"
	_start=$(date +%s)
	_rc=0
	QT_TIMEOUT=${QT_TIMEOUT:-420} qt_boot "$3" "$4" "$5" "$cmdline_base $7" "$_log" "$6" ||
		_rc=$?
	echo "$_rc $(($(date +%s) - _start))" >"$_log.rc"
	tr -d '\r' <"$_log" >"$_log.clean"
}

# row_checks SCENARIO ROW IOMMU: run.sh's checks of the scenario, and the module loading and
# ordering checks of these rows; sets P.
row_checks() {
	# The Debian 13 rows' trees have the variant driver: the GPU ends on it.
	gpu_driver=vfio-pci
	case $2 in deb13-*) gpu_driver=$variant_name ;; esac
	# hostclaim: only the generic checks (the boot reached the report); its own below.
	boot_checks "$1" "$2" "$3"
	_log=$out/boots/$1-$2-$3.log.clean
	[ -s "$_log" ] || return 0
	if grep -E 'Invalid ELF header|Exec format error|[Uu]nknown symbol' "$_log" >"$_log.bad"; then
		problem "module loading failed: $(head -n 3 "$_log.bad")"
	fi
	case $1 in
	claim)
		kmsg "$_log" | grep -q '\] gpu-vfio: .*loaded module vfio_pci' ||
			problem "no gpu-vfio: kernel message says it loaded vfio_pci"
		if [ "$gpu_driver" != vfio-pci ]; then
			kmsg "$_log" | grep -q "\] gpu-vfio: .*loaded module $gpu_driver" ||
				problem "no gpu-vfio: kernel message says it loaded $gpu_driver"
		fi
		# gpu-vfio runs before udev: on the serial console (one stream of the kernel's
		# messages and the boot scripts' output) its first line precedes udevd's start
		# ("Starting systemd-udevd version" from udevd on the console, or systemd's unit
		# start in the kernel log).
		_lg=$(grep -v '^@@qt' "$_log" | grep -n '\] gpu-vfio: ' | head -n 1 | cut -d: -f1)
		_lu=$(grep -v '^@@qt' "$_log" | grep -nE "$udev_start" | head -n 1 | cut -d: -f1)
		if [ -z "$_lg" ] || [ -z "$_lu" ]; then
			problem "the console lacks a gpu-vfio: line (${_lg:-none}) or udevd's start (${_lu:-none})"
		elif [ "$_lg" -ge "$_lu" ]; then
			problem "udevd started (console line $_lu) before gpu-vfio ran (line $_lg)"
		fi
		;;
	hostclaim)
		_gpu=$(dev "$_log" 1234 1111 0380)
		_gpu=${_gpu%% *}
		_aud=$(dev "$_log" 8086 293e 0403)
		_aud=${_aud%% *}
		grep -q "^@@qt hostclaim rc 0 device $_gpu\$" "$_log" ||
			problem "gpu-vfio claim --device $_gpu failed: $(grep '^@@qt hostclaim \(rc\|out\)' "$_log")"
		grep -q '^@@qt hostclaim before .*vfio_pci' "$_log" &&
			problem "vfio_pci was loaded before gpu-vfio claim ran"
		grep -q '^@@qt hostclaim after .*vfio_pci' "$_log" ||
			problem "vfio_pci is not in /proc/modules after gpu-vfio claim"
		grep -q '^@@qt hostclaim initstate live$' "$_log" ||
			problem "/sys/module/vfio_pci/initstate is not live"
		grep -qE '^@@qt hostclaim files .*vfio.pci\.ko\.xz' "$_log" ||
			problem "the booted root has no vfio_pci.ko.xz"
		if grep '^@@qt hostclaim files' "$_log" | grep -qE '\.ko( |$)'; then
			problem "the booted root has uncompressed vfio modules"
		fi
		grep -q '^@@qt hostclaim out .*loaded module vfio_pci' "$_log" ||
			problem "gpu-vfio claim did not say it loaded vfio_pci"
		expect_driver "$_log" "stand-in GPU" 1234 1111 0380 "$gpu_driver"
		expect_driver "$_log" "its audio function" 8086 293e 0403 vfio-pci
		_grp=$(field "$(dev "$_log" 1234 1111 0380)" 6)
		sed -n 's/^@@qt vfio //p' "$_log" | tr ' ' '\n' | grep -qx "$_grp" ||
			problem "/dev/vfio/$_grp is missing"
		grep -qE 'gpu-vfio: .*(=off|disabled)' "$_log" ||
			problem "nothing on the console says gpu-vfio was switched off in the initramfs"
		;;
	esac
}

# hostclaim_root MODDIR: the busybox test root with the claim policy, the marker that makes
# its init claim the GPU, and the vfio modules of MODDIR (a module tree) with their own
# depmod files.
hostclaim_root() {
	make_root hostclaim "$(policy_of claim)" || return 1
	_r=$out/roots/hostclaim
	_k=$(basename "$1")
	mkdir -p "$_r/lib/modules/$_k"
	# The vfio modules and everything they depend on (vfio-pci-core needs irqbypass, in
	# kernel/virt/lib): modules.dep lists each module's whole closure on its line.
	grep -E '^(kernel/drivers/(vfio|iommu/iommufd)|updates)/' "$1/modules.dep" | tr -d ':' | tr ' ' '\n' |
		sort -u | while read -r _f; do
			[ -n "$_f" ] || continue
			mkdir -p "$_r/lib/modules/$_k/$(dirname "$_f")"
			cp "$1/$_f" "$_r/lib/modules/$_k/$_f"
		done
	cp "$1/modules.builtin" "$1/modules.builtin.modinfo" "$1/modules.order" \
		"$_r/lib/modules/$_k/" 2>/dev/null
	depmod -b "$_r" "$_k" || return 1
	: >"$_r/etc/qt-hostclaim"
	rm -f "$_r.img"
	mkfs.ext4 -q -F -L qtroot -d "$_r" "$_r.img" 48M >/dev/null
}

# invalid_check ROW ROOT IMAGE: the build with an invalid policy fails naming the line, the
# previous image unchanged.
invalid_check() {
	P=
	_pol=$2/etc/gpu-vfio.conf
	cp "$_pol" "$_pol.qt"
	printf '%s\n' "# QEMU test policy (invalid)" "$(policy_of invalid)" >"$_pol"
	cp "$2$3" "$2/boot/qt-invalid.img"
	if row_build "$1" "$2" /boot/qt-invalid.img >"$out/images/$1-invalid.log" 2>&1; then
		problem "the $1 build succeeded with an invalid policy"
	fi
	cmp -s "$2$3" "$2/boot/qt-invalid.img" ||
		problem "the previous image was changed by the failed build"
	grep -q 'gpu-vfio.conf:2:' "$out/images/$1-invalid.log" ||
		problem "the build log does not name the policy line (gpu-vfio.conf:2:)"
	grep 'gpu-vfio' "$out/images/$1-invalid.log" | head -n 3 | sed 's/^/# /'
	mv "$_pol.qt" "$_pol"
	rm -f "$2/boot/qt-invalid.img"
}

# deb_check: the package (build/deb, from make check-deb) on a copy of the Debian 13 root:
# apt installs it and its trigger rebuilds the initramfs, which then holds gpu-vfio; apt
# purges it and the rebuilt initramfs no longer does.
deb_check() {
	P=
	# shellcheck disable=SC2012
	_deb=$(ls "$top"/build/deb/gpu-vfio_*.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$_deb" ]; then
		result "deb on Debian 13" "no build/deb/gpu-vfio_*.deb: run make check-deb first"
		return
	fi
	_d=$out/deb13/deb
	_l=$out/deb13/deb.log
	rm_root "$_d"
	cp -a "$root13" "$_d" || {
		result "deb on Debian 13" "cannot copy the Debian 13 root"
		return
	}
	cp "$_deb" "$_d/tmp/"
	_img=/boot/initrd.img-$kver13
	{
		in_root "$_d" update-initramfs -c -k "$kver13"
		echo "## install"
		in_root "$_d" apt-get install -y --no-install-recommends "/tmp/${_deb##*/}"
	} >"$_l" 2>&1 || problem "apt-get install ./${_deb##*/} failed: $(tail -n 5 "$_l")"
	sed -n '/^## install/,$p' "$_l" | grep -q 'update-initramfs: Generating' ||
		problem "installing the package did not trigger update-initramfs"
	in_root "$_d" lsinitramfs "$_img" >"$_l.installed" 2>&1
	grep -q 'usr/sbin/gpu-vfio$' "$_l.installed" ||
		problem "after install, $_img lacks usr/sbin/gpu-vfio"
	grep -qE '/vfio.pci\.ko\.xz$' "$_l.installed" ||
		problem "after install, $_img lacks vfio-pci.ko.xz"
	echo "## purge" >>"$_l"
	in_root "$_d" apt-get purge -y gpu-vfio >>"$_l" 2>&1 ||
		problem "apt-get purge gpu-vfio failed: $(tail -n 5 "$_l")"
	in_root "$_d" lsinitramfs "$_img" >"$_l.purged" 2>&1
	if grep -q 'usr/sbin/gpu-vfio$' "$_l.purged"; then
		problem "after purge, $_img still holds usr/sbin/gpu-vfio"
	fi
	for _f in usr/sbin/gpu-vfio etc/gpu-vfio.conf usr/share/initramfs-tools/hooks/gpu-vfio; do
		[ ! -e "$_d/$_f" ] || problem "after purge, /$_f is left"
	done
	result "deb on Debian 13: apt install triggers the initramfs with gpu-vfio, purge removes it" "$P"
	[ -n "$P" ] || rm_root "$_d"
}

# span LOG: "first last" kernel timestamps of the gpu-vfio: lines.
span() {
	kmsg "$1" | grep '\] gpu-vfio: ' | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' |
		awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%s %s", a, b }'
}

rows_main() {
	# udevd's start in the kernel log (systemd.log_target=kmsg): systemd's unit start
	# (systemd in the initrd) or the daemon's own start line (udev.log_level=info).
	udev_start='Starting systemd-udevd( version|\.service)'
	need13=
	has claim || has off || has invalid || has hostclaim || has deb || rows=
	for r in $rows; do
		case $r in deb13-*) need13=y ;; esac
	done
	root13=
	if [ -n "$need13" ]; then
		_start=$(date +%s)
		root13=$("$here/trixie-root.sh") || die "cannot build the Debian 13 root"
		echo "# Debian 13 root ready in $(($(date +%s) - _start)) s: $root13"
		kver13=$(qt_root_kver "$root13")
		kernel13=$root13/boot/vmlinuz-$kver13
		[ -n "$kver13" ] || die "the Debian 13 root has no kernel"
		echo "# Debian 13 kernel $kver13; module compression:" \
			"$(grep -E '^CONFIG_MODULE_(COMPRESS|DECOMPRESS)' "$root13/boot/config-$kver13" | tr '\n' ' ')"
		_start=$(date +%s)
		variant_build "$kver13" || die "cannot build the variant driver for $kver13"
		echo "# variant driver $variant_name for $kver13 in $(($(date +%s) - _start)) s:" \
			"$(modinfo -F alias "$variant_ko" | tr '\n' ' ')"
	fi
	mkdir -p "$out/images" "$out/boots"
	[ -n "$(echo "$rows" | sed 's/host//g' | tr -d ' ')" ] || return 0
	has claim || has off || has invalid || has hostclaim || has deb || return 0
	if [ ! -s "$out/roots/claim.img" ]; then
		make_root claim "$(policy_of claim)" || die "cannot build the test root file system claim"
	fi

	# ---- images: one per row, each checked for what it holds ----
	queue=
	for r in $rows; do
		_ext=xz
		case $r in
		deb13-itools | deb13-dracut | deb13-dracut-shell)
			# One copy for the three rows: they change only the policy and /boot.
			root_of_row=$out/deb13/xz
			if [ -z "${copied_xz:-}" ]; then
				if row_copy xz >/dev/null; then
					copied_xz=y
				else
					result "$r image" "cannot copy the Debian 13 root"
					continue
				fi
			fi
			;;
		deb13-itools-zst)
			_ext=zst
			root_of_row=$out/deb13/zst
			if row_copy zst >/dev/null &&
				recompress "$root_of_row/usr/lib/modules/$kver13" xz zst &&
				in_root "$root_of_row" depmod "$kver13"; then
				:
			else
				result "$r image" "cannot make the Debian 13 root with .ko.zst vfio modules"
				continue
			fi
			;;
		deb12-dracut-xz)
			_k=$out/kmod12/lib/modules/$kver
			rm -rf "$out/kmod12"
			mkdir -p "$out/kmod12/lib/modules"
			# Hard links: recompress replaces the vfio files, depmod's output is removed
			# first, so the host's tree is never written.
			if ! { cp -al "/lib/modules/$kver" "$_k" &&
				rm -f "$_k"/modules.*.bin "$_k"/modules.dep "$_k"/modules.alias \
					"$_k"/modules.symbols "$_k"/modules.devname "$_k"/modules.softdep &&
				recompress "$_k" "" xz && depmod -b "$out/kmod12" "$kver"; }; then
				result "$r image" "cannot make the module tree with .ko.xz vfio modules"
				continue
			fi
			;;
		host) continue ;;
		*)
			result "$r" "unknown row (QT_ROWS)"
			continue
			;;
		esac
		_start=$(date +%s)
		case $r in
		deb12-*)
			_img=$out/images/dracut-xz-claim.img
			dracut_extra="--kmoddir $_k" build_dracut xz-claim "$out/roots/claim" y ""
			_rc=$?
			cp "$out/images/dracut-xz-claim.log" "$out/images/$r.log"
			;;
		*)
			_img=$out/images/$r-claim.img
			row_build "$r" "$root_of_row" "/boot/qt-$r.img" >"$out/images/$r.log" 2>&1
			_rc=$?
			[ "$_rc" -eq 0 ] && cp "$root_of_row/boot/qt-$r.img" "$_img"
			;;
		esac
		if [ "$_rc" -ne 0 ]; then
			result "$r image" "the build failed: $(tail -n 15 "$out/images/$r.log")"
			continue
		fi
		echo "# built $r image in $(($(date +%s) - _start)) s, $(stat -c %s "$_img") bytes"
		case $r in
		deb12-*) image_list "$r" "$_img" >"$out/images/$r.list" 2>&1 ;;
		*) image_list "$r" "/boot/qt-$r.img" >"$out/images/$r.list" 2>&1 ;;
		esac
		image_checks "$r" "$out/images/$r.list" "$_ext"
		result "$r image holds gpu-vfio, the policy, .ko.$_ext vfio modules, the native drivers" "$P"
		[ -z "$P" ] || continue
		if has invalid; then
			case $r in
			deb13-itools | deb13-dracut | deb13-dracut-shell)
				invalid_check "$r" "$root_of_row" "/boot/qt-$r.img"
				result "invalid $r: build fails, previous image kept" "$P"
				;;
			esac
		fi
		_kern=$kernel13
		case $r in deb12-*) _kern=$kernel ;; esac
		for i in $iommus; do
			has claim && queue="$queue claim:$r:$i:$_kern:$_img"
			has off && queue="$queue off:$r:$i:$_kern:$_img"
			[ "$r" = deb13-itools ] && has hostclaim && queue="$queue hostclaim:$r:$i:$_kern:$_img"
		done
	done

	if has deb && row_selected deb13-itools; then
		_start=$(date +%s)
		deb_check
		echo "# deb on Debian 13: $(($(date +%s) - _start)) s"
	fi

	case $queue in
	*hostclaim:*)
		hostclaim_root "$out/deb13/xz/usr/lib/modules/$kver13" ||
			result "hostclaim root" "cannot build the test root with the vfio modules"
		;;
	esac

	# ---- boots, QT_JOBS at a time ----
	qt_pool_start
	for q in $queue; do
		_oifs=$IFS
		IFS=:
		# shellcheck disable=SC2086
		set -- $q
		IFS=$_oifs
		_disk=$out/roots/claim.img
		# udevd and systemd log to the kernel log, unthrottled: the order of the lines
		# shows gpu-vfio ran before udevd started.
		_args="udev.log_level=info rd.udev.log_level=info systemd.log_target=kmsg printk.devkmsg=on"
		case $1 in
		off) _args="$_args gpu-vfio=off" ;;
		hostclaim)
			_args="$_args gpu-vfio=off"
			_disk=$out/roots/hostclaim.img
			;;
		esac
		row_boot "$1" "$2" "$3" "$4" "$5" "$_disk" "$_args" &
		qt_pool_next "$jobs"
	done
	wait

	# ---- checks and figures ----
	for q in $queue; do
		_oifs=$IFS
		IFS=:
		# shellcheck disable=SC2086
		set -- $q
		IFS=$_oifs
		row_checks "$1" "$2" "$3"
		result "$1 $2 $3" "$P"
		_log=$out/boots/$1-$2-$3.log
		[ -s "$_log.clean" ] || continue
		read -r _rc _secs <"$_log.rc"
		# shellcheck disable=SC2046
		set -- "$1" "$2" "$3" $(span "$_log.clean")
		echo "# $2 $3 $1: root reached at $(sed -n 's/^@@qt begin uptime=//p' "$_log.clean") s" \
			"(boot $_secs s wall); gpu-vfio kernel messages from ${4:-?} s to ${5:-?} s" \
			"($(awk -v a="${4:-0}" -v b="${5:-0}" 'BEGIN { printf "%.3f", b - a }') s)"
	done
}
