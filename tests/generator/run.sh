#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run the generator's unit tests and golden trees; write "PASSED FAILED" to RESULT.
#
# Usage: run.sh GENERATOR WORKDIR RESULT [UNIT_TEST...]
#
# Each tests/generator/NN-name/ directory is a fake root ($GPU_VFIO_ROOT) and holds the
# output the generator must write into NORMAL:
#   expected/        the exact tree (diff -r, symlinks compared as links)
#   expected.empty   marker file: NORMAL must stay empty (git keeps no empty directory)
#   SYSTEMD_PROC_CMDLINE  optional: exported, it replaces proc/cmdline
# GOLDEN_UPDATE=1 (the switch of tests/golden too) rewrites expected/ from the current output
# (review the diff before committing).
set -u

gen=$1
work=$2
result=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "PASS: generator: $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL: generator: $1"
	[ -z "${2-}" ] || printf '%s\n' "$2" | sed 's/^/    /'
}

# cmocka prints "[ RUN      ] name" and then "[       OK ] name" or "[  FAILED  ] name";
# a test that crashes (sanitizer abort) has a RUN line and no OK line.
for t in "$@"; do
	name=$(basename "$t")
	out=$(UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 "$t" 2>&1)
	rc=$?
	run=$(printf '%s\n' "$out" | grep -c '^\[ RUN      \]')
	ok=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	printf '%s\n' "$out" | sed -n 's/^\[       OK \] /PASS: unit: '"$name"': /p'
	printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([a-z_0-9]*\)$/FAIL: unit: '"$name"': \1/p'
	passed=$((passed + ok))
	failed=$((failed + run - ok))
	if [ "$run" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$run" -eq "$ok" ]; }; then
		fail "unit: $name exited $rc" "$(printf '%s\n' "$out" | tail -20)"
	fi
done

rm -rf "$work"
mkdir -p "$work"

have_verify=
if command -v systemd-analyze >/dev/null 2>&1; then
	have_verify=1
fi

# systemd's calling convention: one or three directories, nothing else.
for args in "" "a b" "a b c d"; do
	# shellcheck disable=SC2086
	if GPU_VFIO_ROOT=$here/01-grub-all-good "$gen" $args >/dev/null 2>&1; then
		fail "usage: $(echo "$args" | wc -w) arguments accepted"
	else
		pass "usage: $(echo "$args" | wc -w) arguments refused"
	fi
done

for case in "$here"/[0-9][0-9]-*/; do
	case=${case%/}
	name=$(basename "$case")
	out=$work/$name
	mkdir -p "$out/normal" "$out/early" "$out/late"
	touch "$out/stamp"
	sleep 0.01 2>/dev/null || :
	(
		unset SYSTEMD_PROC_CMDLINE
		if [ -f "$case/SYSTEMD_PROC_CMDLINE" ]; then
			SYSTEMD_PROC_CMDLINE=$(cat "$case/SYSTEMD_PROC_CMDLINE")
			export SYSTEMD_PROC_CMDLINE
		fi
		GPU_VFIO_ROOT=$case exec "$gen" "$out/normal" "$out/early" "$out/late"
	) >"$out/stdout" 2>"$out/stderr"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit status $rc" "$(cat "$out/stderr")"
		continue
	fi
	if [ -s "$out/stdout" ]; then
		fail "$name: wrote to stdout" "$(cat "$out/stdout")"
		continue
	fi
	if [ -n "$(ls -A "$out/early")$(ls -A "$out/late")" ]; then
		fail "$name: wrote into EARLY or LATE"
		continue
	fi
	changed=$(find "$case" -newer "$out/stamp" 2>/dev/null)
	if [ -n "$changed" ]; then
		fail "$name: changed its input tree" "$changed"
		continue
	fi
	if [ "${GOLDEN_UPDATE-}" = 1 ]; then
		rm -rf "$case/expected" "$case/expected.empty"
		if [ -n "$(ls -A "$out/normal")" ]; then
			cp -a "$out/normal" "$case/expected"
		else
			: >"$case/expected.empty"
		fi
	fi
	if [ -f "$case/expected.empty" ]; then
		if [ -n "$(ls -A "$out/normal")" ]; then
			fail "$name: expected no output" "$(cd "$out/normal" && find . | sort)"
		else
			pass "$name: writes nothing"
		fi
		continue
	fi
	if ! [ -d "$case/expected" ]; then
		fail "$name: neither expected/ nor expected.empty"
		continue
	fi
	if d=$(diff -r --no-dereference "$case/expected" "$out/normal" 2>&1); then
		pass "$name: output matches expected/"
	else
		fail "$name: output differs from expected/" "$d"
		continue
	fi
	unit=$out/normal/gpu-vfio-iommu-check.service
	link=$out/normal/multi-user.target.wants/gpu-vfio-iommu-check.service
	[ -f "$unit" ] || continue
	if [ "$(readlink "$link")" = ../gpu-vfio-iommu-check.service ] && [ -f "$link" ]; then
		pass "$name: multi-user.target.wants link resolves"
	else
		fail "$name: multi-user.target.wants link missing or dangling"
	fi
	if [ -n "$have_verify" ]; then
		if v=$(SYSTEMD_UNIT_PATH="$out/normal:" timeout 60 systemd-analyze verify \
			--man=no "$unit" 2>&1) && [ -z "$v" ]; then
			pass "$name: systemd-analyze verify"
		else
			fail "$name: systemd-analyze verify" "$v"
		fi
	fi
done

echo "generator: $passed passed, $failed failed"
mkdir -p "$(dirname "$result")"
echo "$passed $failed" >"$result"
[ "$failed" -eq 0 ]
