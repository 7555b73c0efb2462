#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU proof of gpu-vfio: build initramfs images with the real builders and the project's own
# hook and dracut module, boot them under emulated Intel and AMD IOMMUs and check which
# driver each stand-in device ends on.
#
# Usage: run.sh [--demo] [SCENARIO...]
#   SCENARIO: claim bootvga bridge off preload invalid status (default: all)
#   --demo    boot one Intel/initramfs-tools "claim" image and show the claimed devices
# Environment: QT_BUILDERS ("initramfs-tools dracut"), QT_IOMMUS ("intel amd"), QT_JOBS (2
# boots at a time), QT_OUT (build/qemu-test), QT_KVER, QT_ACCEL, QT_TIMEOUT (see lib.sh).
# Prints "ok N - name" / "not ok N - name" per test and ends with "N passed, M failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

demo=n
if [ "${1:-}" = --demo ]; then
	demo=y
	shift
fi
scenarios=${*:-claim bootvga bridge off preload invalid status}
builders=${QT_BUILDERS:-initramfs-tools dracut}
iommus=${QT_IOMMUS:-intel amd}
jobs=${QT_JOBS:-2}
if [ "$demo" = y ]; then
	scenarios=claim
	builders=initramfs-tools
	iommus=intel
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

passed=0
failed=0
n=0

die() {
	echo "run.sh: $*" >&2
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
}

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
	[ -e "$f" ] || die "$f is missing"
done
if readelf -l "$bin" 2>/dev/null | grep -q INTERP; then
	die "$bin is not static: it cannot run in an initramfs"
fi

# The policy each scenario's image is built with.
policy_of() {
	case $1 in
	claim | off | preload | status) echo "claim vendor=1234 device=1111 name=gpu" ;;
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
	mkfs.ext4 -q -F -L qtroot -d "$r" "$r.img" 48M
}

# build_itools NAME ROOTDIR WITH_GPU_VFIO PRELOAD: initramfs-tools image from a private
# configuration directory holding the project's hook and init-top script.
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
	if [ "$4" = y ]; then
		# Loads vfio-pci before gpu-vfio runs (its name sorts first), as an operator's
		# earlier script or a built-in vfio-pci would.
		cat >"$c/scripts/init-top/early-vfio-pci" <<-'EOF'
			#!/bin/sh
			# Test script: load vfio-pci before gpu-vfio runs.
			[ "${1:-}" = prereqs ] && exit 0
			modprobe vfio-pci
			echo "qt: vfio-pci loaded before gpu-vfio" >/dev/kmsg
		EOF
		chmod 0755 "$c/scripts/init-top/early-vfio-pci"
	fi
	GPU_VFIO_BIN=$bin GPU_VFIO_ROOT=$2 mkinitramfs -d "$c" -o "$img" "$kver" \
		>"$out/images/initramfs-tools-$1.log" 2>&1
}

# build_dracut NAME ROOTDIR WITH_GPU_VFIO: dracut image from a private dracutbasedir that
# holds the project's module 50gpu-vfio.
build_dracut() {
	base=$out/dracut-base
	img=$out/images/dracut-$1.img
	mkdir -p "$out/images" "$out/conf/dracut.conf.d"
	if [ ! -d "$base" ]; then
		cp -a /usr/lib/dracut "$base.tmp" && mv "$base.tmp" "$base"
	fi
	rm -rf "$base/modules.d/50gpu-vfio"
	cp -a "$top/dracut-module/50gpu-vfio" "$base/modules.d/50gpu-vfio"
	if [ "$3" = y ]; then
		set -- "$@" --add gpu-vfio
	else
		set -- "$@" --omit gpu-vfio
	fi
	GPU_VFIO_BIN=$bin GPU_VFIO_ROOT=$2 dracutbasedir=$base \
		dracut --force --no-hostonly --no-early-microcode --conf /dev/null \
		--confdir "$out/conf/dracut.conf.d" --omit plymouth \
		--add-drivers "$native_drivers $root_drivers" --filesystems ext4 \
		"$4" "$5" "$img" "$kver" >"$out/images/dracut-$1.log" 2>&1
}

# build BUILDER NAME ROOTDIR WITH_GPU_VFIO PRELOAD
build() {
	case $1 in
	initramfs-tools) build_itools "$2" "$3" "$4" "$5" ;;
	dracut) build_dracut "$2" "$3" "$4" ;;
	esac
}

# Which image and extra kernel arguments a scenario boots with.
image_of() {
	case $2 in
	off | status) echo "$out/images/$1-claim.img" ;;
	preload) [ "$1" = dracut ] && echo "$out/images/$1-claim.img" ||
		echo "$out/images/$1-preload.img" ;;
	*) echo "$out/images/$1-$2.img" ;;
	esac
}
root_of() {
	echo "$out/roots/$(base_of "$1").img"
}
args_of() {
	case $2 in
	off) echo "gpu-vfio=off" ;;
	preload) [ "$1" = dracut ] && echo "rd.driver.pre=vfio_pci" ;;
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
	off | preload | status) echo claim ;;
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
for s in claim bootvga bridge preload off status; do
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

for r in $need_roots; do
	make_root "$r" "$(policy_of "$r")" || die "cannot build the test root file system $r"
done

build_failed=
for b in $builders; do
	for r in $need_roots; do
		start=$(date +%s)
		if build "$b" "$r" "$out/roots/$r" y n; then
			echo "# built $b $r image in $(($(date +%s) - start)) s," \
				"$(stat -c %s "$out/images/$b-$r.img") bytes"
		else
			build_failed="$build_failed $b-$r"
			echo "# building the $b $r image failed:"
			tail -n 20 "$out/images/$b-$r.log" | sed 's/^/#   /'
		fi
	done
	if [ "$b" = initramfs-tools ] && has preload; then
		build "$b" preload "$out/roots/claim" y y ||
			build_failed="$build_failed $b-preload"
	fi
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
	if [ ! -s "$log.rc" ]; then
		problem "no boot (image build failed)"
		return
	fi
	read -r rc secs <"$log.rc"
	[ "$rc" -eq 0 ] || problem "QEMU exited $rc after $secs s (124: timeout)"
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
	claim | preload | bootvga)
		expect_driver "$log.clean" "stand-in GPU" 1234 1111 0380 vfio-pci
		expect_driver "$log.clean" "its audio function" 8086 293e 0403 vfio-pci
		never_native "$log.clean" "$gpu" >/dev/null
		never_native "$log.clean" "$aud" >/dev/null
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
	preload)
		tv=$(kmsg_time "$log.clean" 'VFIO - User Level meta-driver')
		tg=$(kmsg_time "$log.clean" 'gpu-vfio: ')
		if [ -z "$tv" ] || [ -z "$tg" ]; then
			problem "kernel log lacks the VFIO banner ($tv) or a gpu-vfio: line ($tg)"
		elif ! awk -v a="$tv" -v b="$tg" 'BEGIN { exit !(a < b) }'; then
			problem "vfio-pci was loaded at $tv s, not before gpu-vfio ran at $tg s"
		fi
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
		grep -qE 'gpu-vfio.*(gpu-vfio=off|disabled)' "$log.clean" ||
			problem "nothing on the console says gpu-vfio was switched off"
		;;
	status)
		rc=$(sed -n 's/^@@qt json-rc //p' "$log.clean")
		[ "$rc" = 0 ] || problem "gpu-vfio status --json exited $rc"
		json_of "$log.clean" | jq -e . >/dev/null 2>&1 || problem "status --json is not JSON"
		for a in "$gpu" "$aud"; do
			act=$(json_get "$log.clean" "$a" action)
			drv=$(json_get "$log.clean" "$a" driver)
			[ "$act" = claimed ] || problem "status --json: $a has action '$act', expected claimed"
			[ "$drv" = vfio-pci ] || problem "status --json: $a has driver '$drv'"
		done
		grep -q '^@@qt state {' "$log.clean" || problem "/run/gpu-vfio/state.json is missing"
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
			if build "$b" invalid "$out/roots/invalid" y n; then
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
if has claim && [ "$demo" = n ]; then
	for b in $builders; do
		if build "$b" none "$out/roots/claim" n n; then
			with=$(stat -c %s "$out/images/$b-claim.img" 2>/dev/null || echo 0)
			without=$(stat -c %s "$out/images/$b-none.img")
			echo "# $b image: $without bytes without gpu-vfio, $with with (+$((with - without)))"
		fi
		for i in $iommus; do
			log=$out/boots/claim-$b-$i.log.clean
			[ -s "$log" ] || continue
			t0=$(kmsg_time "$log" 'gpu-vfio: ')
			t1=$(kmsg "$log" | grep 'gpu-vfio: ' | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
			up=$(sed -n 's/^@@qt begin uptime=//p' "$log")
			upoff=$(sed -n 's/^@@qt begin uptime=//p' "$out/boots/off-$b-$i.log.clean" 2>/dev/null)
			echo "# $b $i: gpu-vfio kernel messages from ${t0:-?} s to ${t1:-?} s" \
				"($(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN { printf "%.3f", b - a }') s);" \
				"root reached at ${up:-?} s (${upoff:-?} s with gpu-vfio=off)"
		done
	done
fi

if [ "$demo" = y ]; then
	log=$out/boots/claim-initramfs-tools-intel.log.clean
	echo "## gpu-vfio kernel messages"
	kmsg "$log" | grep 'gpu-vfio' | sed 's/^/   /'
	echo "## gpu-vfio status (in the booted guest)"
	sed -n 's/^@@qt status //p' "$log" | sed 's/^/   /'
	echo "## lspci -k (from the guest's sysfs)"
	for a in $(dev "$log" 1234 1111 0380 | cut -d' ' -f1) $(dev "$log" 8086 293e 0403 | cut -d' ' -f1) \
		$(dev "$log" 1234 1111 0300 | cut -d' ' -f1); do
		sed -n 's/^@@qt lspci //p' "$log" | awk -v a="$a" \
			'/^[0-9a-f]/ { on = index($0, a) == 1 } on' | sed 's/^/   /'
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
