#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests: run the real gpu-vfio on fresh fake roots and compare its output with the cases.
#
# Usage: run.sh GPU_VFIO FAKEKERNEL RESULTS_FILE [CASE_DIR...]
#
# A case is a directory tests/golden/NN-name/ holding:
#   machine       a fixture name (tests/fixtures/machines/NAME.machine) or a .machine file
#                 in the case directory
#   policy        optional: replaces ROOT/etc/gpu-vfio.conf ("-" removes it)
#   cmdline       optional: replaces ROOT/proc/cmdline
#   wrapper       optional: words put before every gpu-vfio command (e.g. setpriv to drop
#                 CAP_DAC_OVERRIDE, so that a 0444 attribute refuses the write)
#   setup         optional: a sh script run with the fake root as $1 before the commands
#                 (to break the root: a read-only /run, a policy that is a directory, ...;
#                 tests/fixtures/realmodules.sh puts in real modules)
#   fakekernel    optional: the fake kernel serves ROOT while the commands run; the file
#                 holds its options (may be empty)
#   args          one gpu-vfio command line per line; the word ROOT is the fake root
#   expected.out  stdout of every command, each preceded by "$ gpu-vfio ARGS"
#   expected.err  stderr, likewise
#   expected.rc   the exit status of every command, one a line
# Paths under the fake root are shown as ROOT. GOLDEN_UPDATE=1 rewrites the expected files
# from what the program printed; review every change before keeping it.
set -u

if [ $# -lt 3 ]; then
	echo "usage: run.sh GPU_VFIO FAKEKERNEL RESULTS_FILE [CASE_DIR...]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
gpu_vfio=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fakekernel=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
results=$3
shift 3
if [ $# -eq 0 ]; then
	set -- "$here"/[0-9]*/
fi

# shellcheck source-path=SCRIPTDIR source=../support/fakekernel.sh
. "$top/tests/support/fakekernel.sh"
tmp=$(mktemp -d)
fk_pid=
cleanup() {
	fk_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Replace the root's path by ROOT (the path has no newline; escape sed's specials), and
# the kernel release a setup wrote to ROOT/.fake/kver (the host's, for the cases built
# from its real modules by tests/fixtures/realmodules.sh) by KVER.
normalise() {
	esc=$(printf '%s\n' "$1" | sed 's/[][\\/.*^$]/\\&/g')
	if [ -f "$1/.fake/kver" ]; then
		kv=$(sed 's/[][\\/.*^$]/\\&/g' "$1/.fake/kver")
		sed -e "s/$esc/ROOT/g" -e "s/$kv/KVER/g"
	else
		sed "s/$esc/ROOT/g"
	fi
}

# Run one case; prints the diff and returns 1 when the output differs.
run_case() {
	dir=${1%/}
	work=$tmp/case
	rm -rf "$work"
	mkdir -p "$work"
	root=$work/root

	machine=$(head -n 1 "$dir/machine")
	if [ -f "$dir/$machine" ]; then
		machine_file=$dir/$machine
	else
		machine_file=$top/tests/fixtures/machines/$machine.machine
	fi
	if ! sh "$top/tests/fixtures/mkroot.sh" "$machine_file" "$root" >"$work/mkroot.log" 2>&1; then
		cat "$work/mkroot.log"
		return 1
	fi
	if [ -f "$dir/policy" ]; then
		if [ "$(cat "$dir/policy")" = "-" ]; then
			rm -f "$root/etc/gpu-vfio.conf"
		else
			cp "$dir/policy" "$root/etc/gpu-vfio.conf"
		fi
	fi
	chmod 0644 "$root/etc/gpu-vfio.conf" 2>/dev/null
	if [ -f "$dir/cmdline" ]; then
		cp "$dir/cmdline" "$root/proc/cmdline"
	fi
	if [ -f "$dir/setup" ] && ! sh "$dir/setup" "$root" >"$work/setup.log" 2>&1; then
		cat "$work/setup.log"
		return 1
	fi
	if [ -f "$dir/fakekernel" ]; then
		# shellcheck disable=SC2046 # the options file holds words to split
		fk_start "$root" "$tmp/fakekernel.log" $(cat "$dir/fakekernel") || return 1
	fi

	wrapper=
	[ -f "$dir/wrapper" ] && wrapper=$(cat "$dir/wrapper")
	: >"$work/out"
	: >"$work/err"
	: >"$work/rc"
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "$line" ] || continue
		args=$(printf '%s\n' "$line" | sed "s|ROOT|$root|g")
		echo "\$ gpu-vfio $line" >>"$work/out"
		echo "\$ gpu-vfio $line" >>"$work/err"
		# shellcheck disable=SC2086 # args is a command line to split
		(cd "$work" && $wrapper "$gpu_vfio" $args) >"$work/o" 2>"$work/e"
		echo $? >>"$work/rc"
		normalise "$root" <"$work/o" >>"$work/out"
		normalise "$root" <"$work/e" >>"$work/err"
	done <"$dir/args"
	fk_stop

	if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
		cp "$work/out" "$dir/expected.out"
		cp "$work/err" "$dir/expected.err"
		cp "$work/rc" "$dir/expected.rc"
		return 0
	fi
	ok=0
	for f in out err rc; do
		if ! diff -u "$dir/expected.$f" "$work/$f" >"$work/diff" 2>&1; then
			cat "$work/diff"
			ok=1
		fi
	done
	return $ok
}

passed=0
failed=0
for d in "$@"; do
	name=$(basename "$d")
	if run_case "$d"; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
	fi
done
echo "golden: $passed passed, $failed failed"
mkdir -p "$(dirname "$results")"
echo "$passed $failed" >"$results"
[ "$failed" -eq 0 ]
