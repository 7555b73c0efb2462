# SPDX-License-Identifier: GPL-2.0-or-later
# Run the fake kernel (tests/support/fakekernel.c) from a shell test. Sourced; the caller
# sets $fakekernel to the program. Sets and clears $fk_pid.
# shellcheck shell=dash

# fk_start ROOT LOG [OPTION...]: start the fake kernel on ROOT, its output in LOG, and wait
# (up to 5 s) until it serves the root; if it does not, print LOG to stderr and fail.
fk_start() {
	_fk_root=$1
	_fk_log=$2
	shift 2
	# shellcheck disable=SC2154 # $fakekernel is set by the caller
	"$fakekernel" "$_fk_root" "$@" >"$_fk_log" 2>&1 &
	fk_pid=$!
	_fk_i=0
	while [ ! -e "$_fk_root/.fake/ready" ]; do
		_fk_i=$((_fk_i + 1))
		if [ $_fk_i -gt 500 ] || ! kill -0 "$fk_pid" 2>/dev/null; then
			echo "fake kernel did not start:" >&2
			cat "$_fk_log" >&2
			return 1
		fi
		sleep 0.01
	done
}

# fk_stop: stop the fake kernel fk_start started, if one runs.
fk_stop() {
	if [ -n "${fk_pid:-}" ]; then
		kill "$fk_pid" 2>/dev/null
		wait "$fk_pid" 2>/dev/null
		fk_pid=
	fi
}
