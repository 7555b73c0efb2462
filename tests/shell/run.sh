#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot-script tests: run the initramfs-tools init-top script and the dracut pre-udev hook under busybox sh in a chroot that looks like the initramfs, and shellcheck every shell script.
#
# Usage: tests/shell/run.sh PROGRAM WORKDIR RESULT_FILE SCRIPT...
#   PROGRAM      the gpu-vfio binary, which the dracut module's functions run (validate)
#   WORKDIR      scratch directory (recreated)
#   RESULT_FILE  gets one line "PASSED FAILED"
#   SCRIPT...    shell scripts to check with `shellcheck -s dash`
#
# The chroot holds busybox-static, the real initramfs-tools scripts/functions and dracut's
# dracut-lib.sh, a /proc/cmdline that is a plain file, and a stand-in /usr/sbin/gpu-vfio
# that records its arguments and then exits as the test says. Needs root (chroot).
#
# Test conditions are single-quoted strings that check() evaluates later:
# shellcheck disable=SC2016
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
prog=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
result=$3
shift 3

# shellcheck source-path=SCRIPTDIR source=../support/tap.sh
. "$top/tests/support/tap.sh"

busybox=$(command -v busybox || echo /bin/busybox)
if [ "$(id -u)" -ne 0 ] || ! "$busybox" --list >/dev/null 2>&1; then
	echo "shell tests: need root (chroot) and busybox-static" >&2
	echo "0 1" >"$result"
	exit 1
fi

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
chroot_dir=$work/root

# The initramfs as both tools lay it out, as far as the scripts see it.
mkdir -p "$chroot_dir/bin" "$chroot_dir/usr/sbin" "$chroot_dir/scripts/init-top" \
	"$chroot_dir/lib/dracut/hooks/pre-udev" "$chroot_dir/proc" "$chroot_dir/dev" \
	"$chroot_dir/run" "$chroot_dir/tmp"
cp "$busybox" "$chroot_dir/bin/busybox"
chroot "$chroot_dir" /bin/busybox --install -s /bin
cp /usr/share/initramfs-tools/scripts/functions "$chroot_dir/scripts/functions"
cp /usr/lib/dracut/modules.d/99base/dracut-lib.sh "$chroot_dir/lib/dracut-lib.sh"
cp /usr/lib/dracut/modules.d/99base/dracut-dev-lib.sh "$chroot_dir/lib/dracut-dev-lib.sh"
# dracut-lib's getarg runs dracut-getarg (dracut-util, a dynamically linked program).
mkdir -p "$chroot_dir/usr/bin"
cp /usr/lib/dracut/dracut-util "$chroot_dir/usr/bin/dracut-util"
ln -s dracut-util "$chroot_dir/usr/bin/dracut-getarg"
ln -s dracut-util "$chroot_dir/usr/bin/dracut-getargs"
for lib in $(ldd /usr/lib/dracut/dracut-util | sed -n 's|.*[[:space:]]\(/[^ ]*\) (0x.*|\1|p'); do
	mkdir -p "$chroot_dir$(dirname "$lib")"
	cp -L "$lib" "$chroot_dir$lib"
done
cp "$top/initramfs-tools/scripts/init-top/gpu-vfio" "$chroot_dir/scripts/init-top/gpu-vfio"
cp "$top/dracut-module/50gpu-vfio/gpu-vfio-pre-udev.sh" \
	"$chroot_dir/lib/dracut/hooks/pre-udev/40-gpu-vfio-pre-udev.sh"
chmod 755 "$chroot_dir/scripts/init-top/gpu-vfio"

# fake_bin BEHAVIOUR: ok | exit1 | exit3 | signal | missing
fake_bin() {
	rm -f "$chroot_dir/usr/sbin/gpu-vfio" "$chroot_dir/argv"
	case "$1" in
	missing) return ;;
	ok) tail='exit 0' ;;
	exit1) tail='echo "gpu-vfio: /etc/gpu-vfio.conf:3: unknown key" >/dev/kmsg; exit 1' ;;
	exit3) tail='exit 3' ;;
	signal) tail='kill -KILL $$' ;;
	esac
	printf '#!/bin/sh\necho "$*" >>/argv\n%s\n' "$tail" >"$chroot_dir/usr/sbin/gpu-vfio"
	chmod 755 "$chroot_dir/usr/sbin/gpu-vfio"
}

# in_chroot CMDLINE SHELL-COMMAND: run it with a clean environment; output in $out, status in $rc.
in_chroot() {
	printf '%s\n' "$1" >"$chroot_dir/proc/cmdline"
	: >"$chroot_dir/dev/kmsg"
	out=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$chroot_dir" /bin/sh -c "$2" 2>&1)
}

ran() {
	[ -f "$chroot_dir/argv" ]
}
argv() {
	cat "$chroot_dir/argv" 2>/dev/null
}

# initramfs-tools: init runs the script as a program with quiet exported.
init_top() {
	in_chroot "$1" "quiet=$2; export quiet; /scripts/init-top/gpu-vfio; echo \"status=\$?\""
}
# dracut: init sources dracut-lib.sh, then sources the hook; the hook must not leak
# variables, must not exit the sourcing shell and must leave status 0.
pre_udev() {
	in_chroot "$1" '. /lib/dracut-lib.sh
		set >/tmp/before
		. /lib/dracut/hooks/pre-udev/40-gpu-vfio-pre-udev.sh
		hook_status=$?
		set >/tmp/after
		grep -v "^hook_status=" /tmp/after >/tmp/after.f
		grep -v "^hook_status=" /tmp/before >/tmp/before.f
		if cmp -s /tmp/before.f /tmp/after.f; then echo "leak=none"; else echo "leak=yes"; diff /tmp/before.f /tmp/after.f; fi
		if type gpu_vfio_pre_udev >/dev/null 2>&1; then echo "leak=function"; fi
		echo "status=$hook_status"'
}

has() {
	case "$out" in
	*"$1"*) return 0 ;;
	esac
	return 1
}

# A failed check (tests/support/tap.sh) shows the run's exit status and output, and argv.
tap_evidence() {
	echo "exit/output: $(printf '%s' "$out" | tr '\n' '|')"
	echo "argv: $(argv)"
}

# --- initramfs-tools init-top script ------------------------------------------------------

prq=$(sh "$top/initramfs-tools/scripts/init-top/gpu-vfio" prereqs)
prq_rc=$?
out="$prq (status $prq_rc)"
check "init-top: prereqs prints an empty list and exits 0" '[ "$prq_rc" -eq 0 ] && [ -z "$prq" ]'

fake_bin ok
init_top "root=/dev/sda1 ro" n
check "init-top: runs gpu-vfio --kmsg claim" 'has status=0' 'ran' '[ "$(argv)" = "--kmsg claim" ]'

fake_bin exit1
init_top "root=/dev/sda1" n
check "init-top: claim exit 1 does not stop the boot" 'has status=0' 'ran' 'has "claim failed"'

fake_bin exit3
init_top "root=/dev/sda1" n
check "init-top: claim exit 3 does not stop the boot" 'has status=0' 'ran' 'has "blocked or failed"'

fake_bin signal
init_top "root=/dev/sda1" n
check "init-top: claim killed by a signal does not stop the boot" 'has status=0' 'ran' 'has "killed by signal 9"'

fake_bin missing
init_top "root=/dev/sda1" n
check "init-top: missing binary does not stop the boot" 'has status=0' 'has "missing"'

# One decision point: the script never reads gpu-vfio=off; the binary does (and records it).
for cl in "root=/dev/sda1 gpu-vfio=off" "gpu_vfio=off root=/dev/sda1" 'root=/dev/sda1 gpu-vfio="off"' \
	'root=/dev/sda1 opt=* /* gpu-vfio=off'; do
	fake_bin ok
	init_top "$cl" n
	check "init-top: $cl still runs gpu-vfio --kmsg claim (the binary decides)" 'has status=0' \
		'[ "$(argv)" = "--kmsg claim" ]' '! has "disabled by"'
done

fake_bin exit1
init_top "root=/dev/sda1 quiet" y
check "init-top: quiet and a failing claim print nothing" 'has status=0' 'ran' '[ "$out" = status=0 ]'

fake_bin ok
init_top "root=/dev/sda1 quiet gpu-vfio=off" y
check "init-top: quiet, gpu-vfio=off and a claim that exits 0 print nothing" 'ran' '[ "$out" = status=0 ]'

fake_bin missing
init_top "quiet" y
check "init-top: quiet and a missing binary print nothing" '[ "$out" = status=0 ]'

fake_bin ok
rm -f "$chroot_dir/proc/cmdline"
out=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$chroot_dir" /bin/sh -c \
	'quiet=n; export quiet; /scripts/init-top/gpu-vfio; echo "status=$?"' 2>&1)
check "init-top: unreadable /proc/cmdline still runs claim" 'has status=0' 'ran'

# --- dracut pre-udev hook -----------------------------------------------------------------

fake_bin ok
pre_udev "root=/dev/sda1" 
check "pre-udev: runs gpu-vfio --kmsg claim" 'has status=0' 'ran' '[ "$(argv)" = "--kmsg claim" ]'
check "pre-udev: leaks no variable or function" 'has leak=none' '! has leak=function'

for b in exit1 exit3 signal missing; do
	fake_bin "$b"
	pre_udev "root=/dev/sda1"
	check "pre-udev: $b returns 0 and leaks nothing" 'has status=0' 'has leak=none' '! has leak=function'
done

fake_bin exit3
pre_udev "root=/dev/sda1"
check "pre-udev: claim exit 3 is reported on the console" 'has "blocked or failed"'

fake_bin signal
pre_udev "root=/dev/sda1"
check "pre-udev: a killed claim is logged to the kernel log" 'grep -q "killed by signal 9" "$chroot_dir/dev/kmsg"'

for cl in "root=/dev/sda1 gpu-vfio=off" "gpu_vfio=off" "gpu-vfio=off gpu-vfio=on"; do
	fake_bin ok
	pre_udev "$cl"
	check "pre-udev: $cl still runs gpu-vfio --kmsg claim (the binary decides)" 'has status=0' \
		'[ "$(argv)" = "--kmsg claim" ]' 'has leak=none' \
		'! grep -q "disabled by" "$chroot_dir/dev/kmsg"'
done

fake_bin exit3
pre_udev "root=/dev/sda1 quiet"
check "pre-udev: quiet and a failing claim print nothing on the console" 'ran' \
	'grep -q "blocked or failed" "$chroot_dir/dev/kmsg"' \
	'[ "$(printf "%s\n" "$out" | grep -v -e "^leak=none$" -e "^status=0$")" = "" ]'

# --- dracut module-setup.sh ---------------------------------------------------------------

# dracut sources module-setup.sh with bash and calls its functions; dracut's own
# functions (dfatal, inst_simple, inst_hook, instmods) are stubs that record their calls.
ms=$top/dracut-module/50gpu-vfio/module-setup.sh
msroot=$work/ms-root
mkdir -p "$msroot/etc/gpu-vfio.d"
# module_setup BIN HOSTONLY FUNCTION: output (with the stubs' records) in $out.
module_setup() {
	out=$(cd "$work" && GPU_VFIO_BIN=$1 GPU_VFIO_ROOT=$msroot hostonly=$2 moddir=/mod \
		bash -c '
		dfatal() { echo "dfatal: $*"; }
		dwarn() { echo "dwarn: $*"; }
		inst_simple() { echo "inst_simple $*"; }
		inst_hook() { echo "inst_hook $*"; }
		instmods() { echo "instmods hostonly=[$hostonly] $*"; }
		. "$0"
		"$1"
		echo "status=$?"' "$ms" "$3" 2>&1)
}

printf '# nothing\n' >"$msroot/etc/gpu-vfio.conf"
rm -f "$msroot/etc/gpu-vfio.d/"*
module_setup "$work/no-such-bin" "" check
check "module-setup: check() fails without the program" 'has status=1'
module_setup "$prog" "" check
check "module-setup: check() includes it in generic images" 'has status=0'
module_setup "$prog" "-h" check
check "module-setup: host-only check() skips it when nothing is claimed" 'has status=255'
printf 'claim vendor=10de\n' >"$msroot/etc/gpu-vfio.d/10-gpu.conf"
module_setup "$prog" "-h" check
check "module-setup: host-only check() includes it when a drop-in claims" 'has status=0'
rm -f "$msroot/etc/gpu-vfio.d/10-gpu.conf"
printf '# nothing\nkeep vendorr=10de\n' >"$msroot/etc/gpu-vfio.conf"
module_setup "$prog" "-h" check
check "module-setup: host-only check() includes it when the policy is invalid" 'has status=0'
printf '# nothing\n' >"$msroot/etc/gpu-vfio.conf"

module_setup "$prog" "-h" installkernel
check "module-setup: installkernel() adds the vfio modules even in host-only mode" \
	'has "instmods hostonly=[] vfio vfio_pci vfio_pci_core vfio_iommu_type1 iommufd"'

printf 'keep address=00:02.0\n' >"$msroot/etc/gpu-vfio.d/20-keep.conf"
printf 'x\n' >"$msroot/etc/gpu-vfio.d/notes.txt"
chmod 644 "$msroot/etc/gpu-vfio.conf" "$msroot/etc/gpu-vfio.d/20-keep.conf"
module_setup "$prog" "" install
check "module-setup: install() adds the program, the policy and the pre-udev hook" 'has status=0' \
	"has 'inst_simple $prog /usr/sbin/gpu-vfio'" \
	"has 'inst_simple $msroot/etc/gpu-vfio.conf /etc/gpu-vfio.conf'" \
	"has 'inst_simple $msroot/etc/gpu-vfio.d/20-keep.conf /etc/gpu-vfio.d/20-keep.conf'" \
	'! has notes.txt' 'has "inst_hook pre-udev 40 /mod/gpu-vfio-pre-udev.sh"'

printf '# nothing\nclaim vendorr=10de\n' >"$msroot/etc/gpu-vfio.conf"
module_setup "$prog" "" install
check "module-setup: install() stops dracut on an invalid policy, with FILE:LINE" \
	'! has status=' '! has inst_' "has \"dfatal: /etc/gpu-vfio.conf:2: unknown key 'vendorr'\""
printf '# nothing\n' >"$msroot/etc/gpu-vfio.conf"

chmod 666 "$msroot/etc/gpu-vfio.d/20-keep.conf"
module_setup "$prog" "" install
check "module-setup: install() refuses a world-writable policy file, naming it" '! has status=' \
	'! has inst_' 'has "dfatal: /etc/gpu-vfio.d/20-keep.conf: refusing policy: writable by group or others (mode 0666)"'
chmod 644 "$msroot/etc/gpu-vfio.d/20-keep.conf"

chown 65534 "$msroot/etc/gpu-vfio.d"
module_setup "$prog" "" install
check "module-setup: install() refuses a policy directory owned by another user" '! has status=' \
	'! has inst_' 'has "dfatal: /etc/gpu-vfio.d: refusing policy: owned by uid 65534, not 0"'
chown 0 "$msroot/etc/gpu-vfio.d"

# --- shellcheck ---------------------------------------------------------------------------

if command -v shellcheck >/dev/null; then
	for script in "$@"; do
		if msg=$(shellcheck -x -s dash "$script" 2>&1); then
			ok "shellcheck -s dash ${script#"$top"/}"
		else
			not_ok "shellcheck -s dash ${script#"$top"/}" "$msg"
		fi
	done
else
	not_ok "shellcheck is installed" "install shellcheck"
fi

tap_finish "$result" shell
