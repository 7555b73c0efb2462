#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dracut pre-udev hook: bind the devices the policy claims to vfio-pci before udev loads their host drivers.
#
# dracut's init sources this file. The work runs in a subshell, so no variable or shell
# option leaks into init, and the file's status is always 0: a claim failure never stops
# the boot. It does not read gpu-vfio=off itself: the binary decides (last occurrence
# wins), says so in the kernel log and records it in /run/gpu-vfio/state.json.

gpu_vfio_pre_udev() (
	bin=/usr/sbin/gpu-vfio
	command -v info >/dev/null 2>&1 || info() { echo "gpu-vfio: $*" >&2; }
	command -v warn >/dev/null 2>&1 || warn() { echo "gpu-vfio: $*" >&2; }

	if command -v getcmdline >/dev/null 2>&1; then
		cmdline=$(getcmdline)
	else
		cmdline=$(cat /proc/cmdline 2>/dev/null)
	fi
	quiet=n
	set -f
	for arg in $cmdline; do
		case "$arg" in
		quiet) quiet=y ;;
		esac
	done
	set +f
	# dracut's info reaches the console only with rd.info; warn always does. With quiet
	# on the command line, messages go to the kernel log only.
	say() {
		if [ "$quiet" = y ]; then
			info "$@"
		else
			warn "$@"
		fi
	}

	if [ ! -x "$bin" ]; then
		say "gpu-vfio: $bin is missing from the initramfs, no device claimed"
		return 0
	fi

	rc=0
	"$bin" --kmsg claim || rc=$?
	case "$rc" in
	0) ;;
	3) say "gpu-vfio: some wanted devices were blocked or failed, see: dmesg | grep gpu-vfio" ;;
	1) say "gpu-vfio: claim failed (invalid policy or error), no device claimed, see: dmesg | grep gpu-vfio" ;;
	*)
		if [ "$rc" -gt 128 ]; then
			say "gpu-vfio: claim was killed by signal $((rc - 128)), see: dmesg | grep gpu-vfio"
		else
			say "gpu-vfio: claim exited with status $rc, see: dmesg | grep gpu-vfio"
		fi
		;;
	esac
	return 0
)

gpu_vfio_pre_udev
unset -f gpu_vfio_pre_udev
