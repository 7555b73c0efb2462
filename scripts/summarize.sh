#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Sum the per-layer results of `make check` into one closing line.
# Usage: summarize.sh RESULTS_DIR LAYER...
set -u
dir=$1
shift
passed=0
failed=0
for layer in "$@"; do
	if [ -r "$dir/$layer" ]; then
		read -r p f <"$dir/$layer"
		printf '%-12s %4d passed, %d failed\n' "$layer:" "$p" "$f"
	else
		printf '%-12s did not report (build or runner failed)\n' "$layer:"
		p=0
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
