# SPDX-License-Identifier: GPL-2.0-or-later
# The results of every shell test runner, sourced: "ok - NAME" and "not ok - NAME" lines
# with "#   " detail lines, counted in passed and failed; tap_finish writes "PASSED FAILED"
# to the results file that make check summarises, prints the count and sets the status.
# shellcheck shell=sh disable=SC2034 # passed and failed are the runners' counts

passed=0
failed=0

# ok NAME
ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

# not_ok NAME [DETAIL...]: each DETAIL, which may span lines, as "#   " lines.
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	for _tap_line in "$@"; do
		printf '%s\n' "$_tap_line" | sed 's/^/#   /'
	done
}

# What a failed check shows after the condition: by default the last $tap_tail (15) lines of
# $log. A runner redefines it to show its own evidence.
tap_evidence() {
	tail -n "${tap_tail:-15}" "${log:-/dev/null}" 2>/dev/null
}

# check NAME CONDITION...: every condition (a shell test string, evaluated in the caller's
# variables) must hold; the first that does not fails NAME with it and tap_evidence's output.
# Returns 1 then.
check() {
	_tap_name=$1
	shift
	for _tap_cond in "$@"; do
		if ! eval "$_tap_cond"; then
			not_ok "$_tap_name" "failed: $_tap_cond" "$(tap_evidence)"
			return 1
		fi
	done
	ok "$_tap_name"
}

# check_cmd NAME CMD...: passes when CMD exits 0.
check_cmd() {
	_tap_name=$1
	shift
	if "$@"; then ok "$_tap_name"; else not_ok "$_tap_name"; fi
}

# tap_finish RESULTS [LABEL]: "PASSED FAILED" to RESULTS (none if empty), the count on
# stdout, and the status: 0 when nothing failed.
tap_finish() {
	[ -z "$1" ] || echo "$passed $failed" >"$1"
	echo "${2:+$2: }$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
