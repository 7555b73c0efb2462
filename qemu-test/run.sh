#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU proof of gpu-vfio: build initramfs images with the real builders and the project's own
# hook and dracut module, boot them under emulated Intel and AMD IOMMUs and check which
# driver each stand-in device ends on.
#
# Usage: run.sh [--demo | --prepare] [SCENARIO...]
#   SCENARIO: claim bootvga bridge preload rebind off invalid status hostclaim deb systemd
#   (default: all; hostclaim and deb are scenarios of rows.sh, systemd the booted Debian 13
#   host of systemd.sh, QT_SD_BOOTS and QT_SD_TIMEOUT its knobs)
#   --demo    boot one Intel/initramfs-tools "claim" image and show the claimed devices
#   --prepare build the cached Debian 13 roots (amd64, arm64) and the variant driver for
#             their kernels, boot nothing (.ci/run does it beside make check)
# Environment: QT_BUILDERS ("initramfs-tools dracut"), QT_IOMMUS ("intel amd"), QT_JOBS (2
# boots at a time), QT_OUT (build/qemu-test), QT_KVER, QT_ACCEL, QT_TIMEOUT (see lib.sh),
# QT_ROWS ("host" = the host's kernel and builders, the rows of rows.sh, and "arm64" of
# arm64.sh; default all), QT_ARM64_SCENARIOS (the arm64 row's scenarios: "claim off invalid").
# Prints "ok N - name" / "not ok N - name" per test and ends with "N passed, M failed".
# shellcheck source-path=SCRIPTDIR
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/rows.sh"
. "$here/variant.sh"
. "$here/arm64.sh"
. "$here/systemd.sh"

demo=n
prepare=n
case ${1:-} in
--demo)
	demo=y
	shift
	;;
--prepare)
	prepare=y
	shift
	;;
esac
scenarios=${*:-claim bootvga bridge preload rebind off invalid status hostclaim deb systemd}
builders=${QT_BUILDERS:-initramfs-tools dracut}
rows=${QT_ROWS:-host deb13-itools deb13-dracut deb13-dracut-shell deb13-itools-zst deb12-dracut-xz arm64}
# The arm64 row runs after the others (arm64.sh); without other rows nothing x86 is needed.
arm64=n
case " $rows " in
*" arm64 "*)
	arm64=y
	rows=$(echo " $rows " | sed 's/ arm64 / /g; s/^ *//; s/ *$//')
	;;
esac
case " $rows " in
*" host "*) ;;
*) builders= ;;
esac
iommus=${QT_IOMMUS:-intel amd}
jobs=${QT_JOBS:-2}
if [ "$demo" = y ]; then
	scenarios=claim
	builders=initramfs-tools
	iommus=intel
	rows=host
fi

out=${QT_OUT:-$top/build/qemu-test}
mkdir -p "$out"
out=$(cd "$out" && pwd)
kver=$(qt_kver)
kernel=/boot/vmlinuz-$kver
bin=$top/build/gpu-vfio
# Native drivers of the stand-ins: in the images so that udev would bind them, as the GPU
# drivers of a real host would.
native_drivers="bochs qxl snd_hda_intel snd_hda_codec_generic e1000"
root_drivers="virtio_pci virtio_blk ext4"
cmdline_base="root=/dev/vda ro rootfstype=ext4 rd.shell=0 rd.emergency=poweroff"
# The VFIO driver the stand-in GPU ends on: vfio-pci, or the variant driver where the row's
# module tree has it (variant.sh). Its audio function has no variant: always vfio-pci.
gpu_driver=vfio-pci

passed=0
failed=0
n=0

die() {
	echo "run.sh: $*" >&2
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
}

if [ "$prepare" = y ]; then
	for _a in amd64 arm64; do
		if ! { _r=$("$here/trixie-root.sh" "$_a") && variant_build "$(qt_root_kver "$_r")"; }; then
			die "cannot prepare the Debian 13 $_a root and its variant driver"
		fi
	done
	exit 0
fi

# result NAME PROBLEMS: one test line; PROBLEMS (newline separated) empty means ok.
result() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

for f in "$bin" "$top/initramfs-tools/hooks/gpu-vfio" \
	"$top/initramfs-tools/scripts/init-top/gpu-vfio" \
	"$top/dracut-module/50gpu-vfio/module-setup.sh" "$kernel"; do
	[ -z "$rows" ] || [ -e "$f" ] || die "$f is missing"
done
if [ -n "$rows" ] && readelf -l "$bin" 2>/dev/null | grep -q INTERP; then
	die "$bin is not static: it cannot run in an initramfs"
fi

# The policy each scenario's image is built with.
policy_of() {
	case $1 in
	claim | off | preload | rebind | status) echo "claim vendor=1234 device=1111 name=gpu" ;;
	bootvga) echo "claim class=03 name=display" ;;
	bridge) echo "claim vendor=1b36 device=0100 name=bridged" ;;
	invalid) echo "claim vendor=12345 name=gpu" ;;
	none) ;;
	esac
}

# make_root NAME POLICY: the test's root file system, as a directory (the GPU_VFIO_ROOT the
# image is built for) and as an ext4 image the VM boots into.
make_root() {
	r=$out/roots/$1
	rm -rf "$r" "$r.img"
	mkdir -p "$r/bin" "$r/sbin" "$r/usr/sbin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/run"
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
	done
	install -m 0755 "$here/root-init.sh" "$r/sbin/init"
	# systemd's switch-root (dracut) only enters a root that has an os-release.
	printf '%s\n' 'NAME="gpu-vfio QEMU test root"' ID=gpu-vfio-qemu-test >"$r/etc/os-release"
	install -m 0755 "$bin" "$r/usr/sbin/gpu-vfio"
	if [ -n "$2" ]; then
		(umask 022 && printf '%s\n' "# QEMU test policy ($1)" "$2" >"$r/etc/gpu-vfio.conf")
	fi
	mkfs.ext4 -q -F -L qtroot -d "$r" "$r.img" 48M >/dev/null
}

# preload_body MODULES: a boot script that loads MODULES and logs which driver each PCI
# device has before gpu-vfio runs. A subshell: dracut sources its hooks.
preload_body() {
	echo "# Test script: load $1 before gpu-vfio runs."
	echo "("
	echo "for m in $1; do modprobe \"\$m\"; done"
	cat <<-'EOF'
		for d in /sys/bus/pci/devices/*; do
			[ -e "$d/driver" ] || continue
			l=$(readlink "$d/driver")
			echo "qt: before gpu-vfio: ${d##*/} ${l##*/}" >/dev/kmsg
		done
	EOF
	echo "echo \"qt: preloaded $1 before gpu-vfio\" >/dev/kmsg"
	echo ")"
}

# build_itools NAME ROOTDIR WITH_GPU_VFIO PRELOAD: initramfs-tools image from a private
# configuration directory holding the project's hook and init-top script; PRELOAD names
# modules a test script loads before gpu-vfio runs.
build_itools() {
	c=$out/conf/itools-$1
	img=$out/images/initramfs-tools-$1.img
	rm -rf "$c"
	mkdir -p "$c/hooks" "$c/scripts/init-top" "$c/conf.d" "$out/images"
	printf '%s\n' MODULES=most BUSYBOX=auto KEYMAP=n COMPRESS=zstd DEVICE= NFSROOT=auto \
		RUNSIZE=10% FSTYPE=auto >"$c/initramfs.conf"
	: >"$c/modules"
	cat >"$c/hooks/qt-native-drivers" <<-EOF
		#!/bin/sh
		# Test hook: add the stand-ins' native drivers and the test root's disk driver.
		[ "\${1:-}" = prereqs ] && exit 0
		. /usr/share/initramfs-tools/hook-functions
		manual_add_modules $native_drivers $root_drivers
	EOF
	chmod 0755 "$c/hooks/qt-native-drivers"
	if [ "$3" = y ]; then
		install -m 0755 "$top/initramfs-tools/hooks/gpu-vfio" "$c/hooks/gpu-vfio"
		install -m 0755 "$top/initramfs-tools/scripts/init-top/gpu-vfio" \
			"$c/scripts/init-top/gpu-vfio"
	fi
	if [ -n "$4" ]; then
		# Its name sorts before gpu-vfio, so init-top runs it first, as an operator's
		# earlier script (or a built-in driver) would.
		{
			# shellcheck disable=SC2016 # written into the script, expanded at boot
			printf '%s\n' '#!/bin/sh' '[ "${1:-}" = prereqs ] && exit 0'
			preload_body "$4"
		} >"$c/scripts/init-top/early-preload"
		chmod 0755 "$c/scripts/init-top/early-preload"
	fi
	GPU_VFIO_BIN=$bin GPU_VFIO_ROOT=$2 mkinitramfs -d "$c" -o "$img" "$kver" \
		>"$out/images/initramfs-tools-$1.log" 2>&1
}

# build_dracut NAME ROOTDIR WITH_GPU_VFIO PRELOAD: dracut image from a private
# dracutbasedir that holds the project's module 50gpu-vfio; PRELOAD as for build_itools.
build_dracut() {
	base=$out/dracut-base
	img=$out/images/dracut-$1.img
	mkdir -p "$out/images" "$out/conf/dracut.conf.d"
	if [ ! -d "$base" ]; then
		cp -a /usr/lib/dracut "$base.tmp" && mv "$base.tmp" "$base"
	fi
	rm -rf "$base/modules.d/50gpu-vfio" "$base/modules.d/99qt-preload"
	cp -a "$top/dracut-module/50gpu-vfio" "$base/modules.d/50gpu-vfio"
	# Loads PRELOAD in the cmdline hook, which runs before pre-udev with and without
	# systemd (rd.driver.pre= is ignored when the image has systemd).
	mkdir -p "$base/modules.d/99qt-preload"
	cat >"$base/modules.d/99qt-preload/module-setup.sh" <<-EOF
		#!/bin/bash
		# Test module: load $4 before gpu-vfio's pre-udev hook runs.
		check() { return 255; }
		depends() { return 0; }
		installkernel() { hostonly='' instmods $4; }
		install() { inst_hook cmdline 99 "\$moddir/qt-preload.sh"; }
	EOF
	{
		echo '#!/bin/sh'
		preload_body "$4"
	} >"$base/modules.d/99qt-preload/qt-preload.sh"
	add=
	omit=plymouth
	if [ "$3" = y ]; then
		add="gpu-vfio"
	else
		omit="$omit gpu-vfio"
	fi
	[ -n "$4" ] && add="$add qt-preload"
	# shellcheck disable=SC2086 # dracut_extra: more options (rows.sh: --kmoddir DIR)
	GPU_VFIO_BIN=$bin GPU_VFIO_ROOT=$2 dracutbasedir=$base \
		dracut --force --no-hostonly --no-early-microcode --conf /dev/null \
		--confdir "$out/conf/dracut.conf.d" --omit "$omit" ${add:+--add "$add"} \
		--add-drivers "$native_drivers $root_drivers" --filesystems ext4 ${dracut_extra:-} \
		"$img" "$kver" >"$out/images/dracut-$1.log" 2>&1
}

# build BUILDER NAME ROOTDIR WITH_GPU_VFIO PRELOAD
build() {
	case $1 in
	initramfs-tools) build_itools "$2" "$3" "$4" "$5" ;;
	dracut) build_dracut "$2" "$3" "$4" "$5" ;;
	esac
}

# Modules a test script loads before gpu-vfio runs: vfio-pci (gpu-vfio must bind through
# drivers_probe) or the stand-ins' native drivers (gpu-vfio must unbind them first).
preload_of() {
	case $1 in
	preload) echo vfio_pci ;;
	rebind) echo bochs snd_hda_intel ;;
	esac
}

# Which image and extra kernel arguments a scenario boots with.
image_of() {
	case $2 in
	off | status) echo "$out/images/$1-claim.img" ;;
	*) echo "$out/images/$1-$2.img" ;;
	esac
}
root_of() {
	echo "$out/roots/$(base_of "$1").img"
}
args_of() {
	case $2 in
	off) echo "gpu-vfio=off" ;;
	esac
}

has() {
	case " $scenarios " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# ---- images -------------------------------------------------------------------------
# The scenarios that boot the "claim" image and root, with other kernel arguments or checks.
base_of() {
	case $1 in
	off | preload | rebind | status) echo claim ;;
	*) echo "$1" ;;
	esac
}
add_word() {
	case " $1 " in
	*" $2 "*) echo "$1" ;;
	*) echo "${1:+$1 }$2" ;;
	esac
}

booted=
checked=
need_roots=
for s in claim bootvga bridge preload rebind off status; do
	has "$s" || continue
	checked="$checked $s"
	if [ "$s" = status ]; then
		booted=$(add_word "$booted" claim)
	else
		booted=$(add_word "$booted" "$s")
	fi
	need_roots=$(add_word "$need_roots" "$(base_of "$s")")
done
has invalid && need_roots=$(add_word "$need_roots" claim)
# Only the arm64 row: no x86 test root.
[ -n "$rows" ] || need_roots=

for r in $need_roots; do
	make_root "$r" "$(policy_of "$r")" || die "cannot build the test root file system $r"
done

build_failed=
for b in $builders; do
	for r in $need_roots; do
		start=$(date +%s)
		if build "$b" "$r" "$out/roots/$r" y ""; then
			echo "# built $b $r image in $(($(date +%s) - start)) s," \
				"$(stat -c %s "$out/images/$b-$r.img") bytes"
		else
			build_failed="$build_failed $b-$r"
			echo "# building the $b $r image failed:"
			tail -n 20 "$out/images/$b-$r.log" | sed 's/^/#   /'
		fi
	done
	for s in preload rebind; do
		has "$s" || continue
		start=$(date +%s)
		if build "$b" "$s" "$out/roots/claim" y "$(preload_of "$s")"; then
			echo "# built $b $s image in $(($(date +%s) - start)) s"
		else
			build_failed="$build_failed $b-$s"
			tail -n 20 "$out/images/$b-$s.log" | sed 's/^/#   /'
		fi
	done
done

# ---- boots --------------------------------------------------------------------------
mkdir -p "$out/boots"
boot_one() {
	# boot_one SCENARIO BUILDER IOMMU
	log=$out/boots/$1-$2-$3.log
	rm -f "$log" "$log.qemu"
	start=$(date +%s)
	rc=0
	qt_boot "$3" "$kernel" "$(image_of "$2" "$1")" "$cmdline_base $(args_of "$2" "$1")" \
		"$log" "$(root_of "$1")" || rc=$?
	echo "$rc $(($(date +%s) - start))" >"$log.rc"
	tr -d '\r' <"$log" >"$log.clean"
}

running=0
for s in $booted; do
	for b in $builders; do
		case " $build_failed " in *" $b-claim "* | *" $b-$s "*) continue ;; esac
		for i in $iommus; do
			boot_one "$s" "$b" "$i" &
			running=$((running + 1))
			if [ "$running" -ge "$jobs" ]; then
				wait
				running=0
			fi
		done
	done
done
wait

# ---- checks -------------------------------------------------------------------------
# dev LOG VENDOR DEVICE CLASS_PREFIX: "address vendor device class driver group boot_vga"
# of the first matching device the guest reported.
dev() {
	sed -n 's/^@@qt dev //p' "$1" | awk -v v="$2" -v d="$3" -v c="$4" \
		'$2 == v && $3 == d && index($4, c) == 1 { print; exit }'
}
field() {
	echo "$1" | awk -v i="$2" '{ print $i }'
}
json_of() {
	sed -n 's/^@@qt json //p' "$1"
}
# json_get LOG ADDRESS KEY: one key of the status entry of ADDRESS.
json_get() {
	json_of "$1" | jq -r --arg a "$2" --arg k "$3" \
		'.devices[] | select(.address == $a) | .[$k] | tostring' 2>/dev/null | head -n 1
}
kmsg() {
	sed -n 's/^@@qt kmsg //p' "$1"
}
# First kernel timestamp (seconds) of a kmsg line matching an extended regex.
kmsg_time() {
	kmsg "$1" | grep -E "$2" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

P=
problem() {
	P="${P:+$P
}$*"
}

# expect_claimed_status LOG ADDRESS...: `gpu-vfio status --json` in the guest exited 0 and
# reports each ADDRESS claimed on vfio-pci, and the state record exists.
expect_claimed_status() {
	_cs_log=$1
	shift
	_cs_rc=$(sed -n 's/^@@qt json-rc //p' "$_cs_log")
	[ "$_cs_rc" = 0 ] || problem "gpu-vfio status --json exited $_cs_rc"
	# The first device (the GPU) on $gpu_driver, the others on vfio-pci.
	_cs_want=$gpu_driver
	for _cs_a in "$@"; do
		_cs_act=$(json_get "$_cs_log" "$_cs_a" action)
		_cs_drv=$(json_get "$_cs_log" "$_cs_a" driver)
		[ "$_cs_act" = claimed ] || problem "status --json: $_cs_a has action '$_cs_act', expected claimed"
		[ "$_cs_drv" = "$_cs_want" ] ||
			problem "status --json: $_cs_a has driver '$_cs_drv', expected '$_cs_want'"
		_cs_want=vfio-pci
	done
	grep -q '^@@qt state {' "$_cs_log" || problem "/run/gpu-vfio/state.json is missing"
}

# expect_driver LOG LABEL VENDOR DEVICE CLASS DRIVER
expect_driver() {
	_d=$(dev "$1" "$3" "$4" "$5")
	if [ -z "$_d" ]; then
		problem "$2 ($3:$4 class $5*) not found in the guest"
		return
	fi
	_drv=$(field "$_d" 5)
	[ "$_drv" = "$6" ] || problem "$2 $(field "$_d" 1) is on driver '$_drv', expected '$6'"
}

# never_native LOG ADDRESS: no host driver bound ADDRESS at any time during the boot.
never_native() {
	if kmsg "$1" | grep -E "(bochs-drm|snd_hda_intel|qxl|e1000) $2:|Initialized [a-z-]+ .* for $2 "; then
		problem "a native driver bound $2 during the boot"
	fi
}

boot_checks() {
	# boot_checks SCENARIO BUILDER IOMMU: sets P
	P=
	log=$out/boots/$(if [ "$1" = status ]; then echo claim; else echo "$1"; fi)-$2-$3.log
	qt_qemu_ran "$log.rc" "image build failed" || return
	if ! grep -q '^@@qt end' "$log.clean"; then
		problem "the boot did not reach the test root's report; last lines of $log:"
		problem "$(tail -n 15 "$log.clean")"
		return
	fi
	gpu=$(dev "$log.clean" 1234 1111 0380)
	gpu=${gpu%% *}
	aud=$(dev "$log.clean" 8086 293e 0403)
	aud=${aud%% *}
	vga=$(dev "$log.clean" 1234 1111 0300)
	vga=${vga%% *}
	case $1 in
	claim | preload | rebind | bootvga)
		expect_driver "$log.clean" "stand-in GPU" 1234 1111 0380 "$gpu_driver"
		expect_driver "$log.clean" "its audio function" 8086 293e 0403 vfio-pci
		if [ "$1" != rebind ]; then
			never_native "$log.clean" "$gpu" >/dev/null
			never_native "$log.clean" "$aud" >/dev/null
		fi
		grp=$(field "$(dev "$log.clean" 1234 1111 0380)" 6)
		sed -n 's/^@@qt vfio //p' "$log.clean" | tr ' ' '\n' | grep -qx "$grp" ||
			problem "/dev/vfio/$grp is missing"
		expect_driver "$log.clean" "boot VGA" 1234 1111 0300 bochs-drm
		;;
	esac
	case $1 in
	claim)
		kmsg "$log.clean" | grep -q "gpu-vfio: .*$gpu" ||
			problem "no gpu-vfio: kernel message names $gpu"
		;;
	preload | rebind)
		tv=$(kmsg_time "$log.clean" 'qt: preloaded .* before gpu-vfio')
		tg=$(kmsg_time "$log.clean" '\] gpu-vfio: ')
		if [ -z "$tv" ] || [ -z "$tg" ]; then
			problem "kernel log lacks the test's preload line ($tv) or a gpu-vfio: line ($tg)"
		elif ! awk -v a="$tv" -v b="$tg" 'BEGIN { exit !(a < b) }'; then
			problem "$(preload_of "$1") loaded at $tv s, not before gpu-vfio ran at $tg s"
		fi
		;;
	esac
	case $1 in
	rebind)
		# The native drivers had the devices before gpu-vfio took them over.
		kmsg "$log.clean" | grep -q "qt: before gpu-vfio: $gpu bochs-drm" ||
			problem "$gpu was not on bochs-drm before gpu-vfio ran: unbind path not exercised"
		kmsg "$log.clean" | grep -q "qt: before gpu-vfio: $aud snd_hda_intel" ||
			problem "$aud was not on snd_hda_intel before gpu-vfio ran: unbind path not exercised"
		;;
	bootvga)
		bv=$(field "$(dev "$log.clean" 1234 1111 0300)" 7)
		[ "$bv" = 1 ] || problem "the VGA device $vga has boot_vga=$bv, expected 1"
		a=$(json_get "$log.clean" "$vga" action)
		[ "$a" = keep ] || problem "status --json: boot VGA $vga has action '$a', expected keep"
		;;
	bridge)
		expect_driver "$log.clean" "bridged stand-in GPU" 1b36 0100 0380 qxl
		expect_driver "$log.clean" "its group neighbour NIC" 8086 100e 0200 e1000
		qxl=$(dev "$log.clean" 1b36 0100 0380)
		nic=$(dev "$log.clean" 8086 100e 0200)
		[ "$(field "$qxl" 6)" = "$(field "$nic" 6)" ] ||
			problem "qxl and e1000 are in different IOMMU groups: the scenario needs one"
		a=$(json_get "$log.clean" "${qxl%% *}" action)
		[ "$a" = blocked ] || problem "status --json: ${qxl%% *} has action '$a', expected blocked"
		json_get "$log.clean" "${qxl%% *}" reason | grep -q "${nic%% *}" ||
			problem "status --json: the reason for ${qxl%% *} does not name ${nic%% *}"
		if sed -n 's/^@@qt vfio //p' "$log.clean" | tr ' ' '\n' | grep -q '^[0-9]'; then
			problem "a VFIO group exists: $(grep '^@@qt vfio' "$log.clean")"
		fi
		;;
	off)
		expect_driver "$log.clean" "stand-in GPU" 1234 1111 0380 bochs-drm
		expect_driver "$log.clean" "its audio function" 8086 293e 0403 snd_hda_intel
		# The boot scripts only run claim; the binary reads gpu-vfio=off, says so and
		# records it.
		grep -q 'gpu-vfio: gpu-vfio=off on the kernel command line: claiming nothing' "$log.clean" ||
			problem "the console lacks gpu-vfio's own notice that gpu-vfio=off disabled it"
		grep -q '^@@qt state {.*"disabled": true' "$log.clean" ||
			problem "/run/gpu-vfio/state.json does not record disabled: true"
		json_of "$log.clean" | jq -e '.disabled == true' >/dev/null 2>&1 ||
			problem "status --json does not say disabled: true"
		;;
	status)
		json_of "$log.clean" | jq -e . >/dev/null 2>&1 || problem "status --json is not JSON"
		expect_claimed_status "$log.clean" "$gpu" "$aud"
		;;
	esac
}

for s in $checked; do
	for b in $builders; do
		for i in $iommus; do
			boot_checks "$s" "$b" "$i"
			result "$s $b $i" "$P"
		done
	done
done

if has invalid; then
	for b in $builders; do
		P=
		make_root invalid "$(policy_of invalid)" || die "cannot build the invalid test root"
		img=$out/images/$b-invalid.img
		if [ -s "$out/images/$b-claim.img" ]; then
			cp "$out/images/$b-claim.img" "$img"
			if build "$b" invalid "$out/roots/invalid" y ""; then
				problem "the $b build succeeded with an invalid policy"
			fi
			cmp -s "$img" "$out/images/$b-claim.img" ||
				problem "the previous image was changed by the failed build"
			grep -q 'gpu-vfio.conf:2:' "$out/images/$b-invalid.log" ||
				problem "the build log does not name the policy line (gpu-vfio.conf:2:)"
			grep 'gpu-vfio' "$out/images/$b-invalid.log" | head -n 3 | sed 's/^/# /'
		else
			problem "no previous image (the claim image build failed)"
		fi
		result "invalid $b: build fails, previous image kept" "$P"
	done
fi

# ---- measurements -------------------------------------------------------------------
# "SIZE PATH" of every file an image unpacks to.
unpacked_list() {
	_u=$out/unpacked
	rm -rf "$_u"
	if unmkinitramfs "$1" "$_u" >/dev/null 2>&1; then
		(cd "$_u" && find . -type f -printf '%s %p\n')
	fi
	rm -rf "$_u"
}
# What an image holds that the other does not: the files gpu-vfio adds, in bytes, and
# their names (robust to compression noise and to packages installed between the builds).
added_files() {
	unpacked_list "$2" >"$out/unpacked.without"
	unpacked_list "$1" | awk 'NR == FNR { seen[$2] = 1; next }
		!($2 in seen) { n += $1; f = f " " $2 } END { printf "%d bytes:%s\n", n, f }' \
		"$out/unpacked.without" -
}

if has claim && [ "$demo" = n ]; then
	for b in $builders; do
		if build "$b" none "$out/roots/claim" n ""; then
			with=$(stat -c %s "$out/images/$b-claim.img" 2>/dev/null || echo 0)
			without=$(stat -c %s "$out/images/$b-none.img")
			echo "# $b image: $without -> $with bytes compressed" \
				"($((with - without)), with compression noise); files added:" \
				"$(added_files "$out/images/$b-claim.img" "$out/images/$b-none.img")"
		fi
		for i in $iommus; do
			log=$out/boots/claim-$b-$i.log.clean
			[ -s "$log" ] || continue
			t0=$(kmsg_time "$log" '\] gpu-vfio: ')
			t1=$(kmsg "$log" | grep '\] gpu-vfio: ' | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
			up=$(sed -n 's/^@@qt begin uptime=//p' "$log")
			upoff=$(sed -n 's/^@@qt begin uptime=//p' "$out/boots/off-$b-$i.log.clean" 2>/dev/null)
			echo "# $b $i: gpu-vfio kernel messages from ${t0:-?} s to ${t1:-?} s" \
				"($(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN { printf "%.3f", b - a }') s);" \
				"root reached at ${up:-?} s (${upoff:-?} s with gpu-vfio=off)"
		done
	done
fi

[ "$demo" = y ] || rows_main
[ "$demo" = y ] || [ "$arm64" = n ] || arm64_main
[ "$demo" = y ] || ! has systemd || systemd_main

if [ "$demo" = y ]; then
	log=$out/boots/claim-initramfs-tools-intel.log.clean
	echo "## policy (/etc/gpu-vfio.conf in the image)"
	sed 's/^/   /' "$out/roots/claim/etc/gpu-vfio.conf"
	echo "## gpu-vfio kernel messages"
	kmsg "$log" | grep 'gpu-vfio' | sed 's/^/   /'
	echo "## gpu-vfio status (in the booted guest)"
	sed -n 's/^@@qt status //p' "$log" | sed 's/^/   /'
	echo "## /dev/vfio: $(sed -n 's/^@@qt vfio //p' "$log")"
	echo "## lspci -k (from the guest's sysfs)"
	for a in $(dev "$log" 1234 1111 0380 | cut -d' ' -f1) $(dev "$log" 8086 293e 0403 | cut -d' ' -f1) \
		$(dev "$log" 1234 1111 0300 | cut -d' ' -f1); do
		sed -n 's/^@@qt lspci //p' "$log" | awk -v a="$a" \
			'/^[0-9a-f]/ { on = index($0, a) == 1 } on' | sed 's/^/   /'
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
