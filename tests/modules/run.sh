#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The module seam with the real static libkmod and decoders (tests/modules/test-modules.c)
# on fake roots holding the host kernel's real vfio modules.
#
# Usage: tests/modules/run.sh TEST_PROGRAM RESULTS_FILE
# DEPMOD (the depmod that indexes the trees) is passed on to tests/fixtures/realmodules.sh.
set -u

if [ $# -ne 2 ]; then
	echo "usage: run.sh TEST_PROGRAM RESULTS_FILE" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
prog=$1
results=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

machine=$top/tests/fixtures/machines/turing-4fn.machine
fail() {
	echo "modules: $*"
	echo "modules: 0 passed, 1 failed"
	mkdir -p "$(dirname "$results")"
	echo "0 1" >"$results"
	exit 1
}

# NAME FORMAT [OPTION...]: a root of the real modules (see realmodules.sh).
mkreal() {
	name=$1
	shift
	if ! sh "$top/tests/fixtures/mkroot.sh" "$machine" "$tmp/$name" >"$tmp/$name.log" 2>&1 ||
		! sh "$top/tests/fixtures/realmodules.sh" "$tmp/$name" "$@" >>"$tmp/$name.log" 2>&1; then
		cat "$tmp/$name.log"
		fail "cannot build the $name root"
	fi
}

mkreal plain none
mkreal xz xz
mkreal zstd zstd
mkreal gzip gzip
mkreal corrupt xz corrupt
mkreal builtin xz builtin
mkreal variant xz variant
mkreal nvgrace xz nvgrace
mkreal nomodule xz nvgrace nomodule=kernel/drivers/vfio/pci/nvgrace-gpu/nvgrace-gpu-vfio-pci.ko
cp "$tmp/plain/.fake/kver" "$tmp/kver"
sh "$top/tests/fixtures/mkroot.sh" "$machine" "$tmp/empty" >"$tmp/empty.log" 2>&1 ||
	fail "cannot build the empty root"
rm -rf "$tmp/empty/lib/modules"

"$prog" "$tmp" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
counts=$(sed -n 's/^modules: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$tmp/out")
if [ -z "$counts" ]; then
	fail "$prog exited with status $rc before its summary"
fi
if [ "$rc" -ne 0 ] && [ "${counts#* }" = 0 ]; then
	fail "$prog exited with status $rc"
fi
mkdir -p "$(dirname "$results")"
echo "$counts" >"$results"
[ "$rc" -eq 0 ]
