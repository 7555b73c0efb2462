#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Make aarch64 binaries runnable here through qemu-user-static: mount binfmt_misc if it is
# not mounted and register Debian's qemu-aarch64 handler if it is not registered.
# Needs root for the mount and the registration; does nothing when the handler is enabled.
set -eu
bm=/proc/sys/fs/binfmt_misc
if [ -f "$bm/qemu-aarch64" ] && grep -q '^enabled' "$bm/qemu-aarch64"; then
	exit 0
fi
if [ ! -f "$bm/register" ]; then
	mount -t binfmt_misc binfmt_misc "$bm" ||
		{ echo "arm64-binfmt: cannot mount binfmt_misc on $bm" >&2; exit 1; }
fi
if [ ! -f "$bm/qemu-aarch64" ]; then
	if command -v update-binfmts >/dev/null 2>&1; then
		update-binfmts --enable qemu-aarch64 >&2 || :
	fi
	if [ ! -f "$bm/qemu-aarch64" ] && [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
		/lib/systemd/systemd-binfmt /usr/lib/binfmt.d/qemu-aarch64.conf >&2 || :
	fi
fi
if [ ! -f "$bm/qemu-aarch64" ]; then
	echo "arm64-binfmt: no qemu-aarch64 binfmt handler (install qemu-user-static)" >&2
	exit 1
fi
echo 1 >"$bm/qemu-aarch64"
