#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
# Fault suite of the write side: claim, release, the state record, the lock and the journal,
# run as the real binary on fake roots served by the fake kernel, with faults injected.
# After every case the state of every device it touched is asserted: on vfio-pci with a
# "claimed" record, or back on its host driver with driver_override cleared; never in
# between, never unrecorded, and the same for the whole IOMMU group.
#
# Usage: run.sh GPU_VFIO FAKEKERNEL RESULTS_FILE
# Prints "ok N - ..." / "not ok N - ..." lines and "faults: N passed, M failed"; writes
# "PASSED FAILED" to RESULTS_FILE.
set -u

if [ $# -ne 3 ]; then
	echo "usage: run.sh GPU_VFIO FAKEKERNEL RESULTS_FILE" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
gpu_vfio=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fakekernel=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
results=$3

# shellcheck source-path=SCRIPTDIR source=../support/fakekernel.sh
. "$top/tests/support/fakekernel.sh"
tmp=$(mktemp -d)
fk_pid=
bg_pids=
cleanup() {
	for p in $bg_pids; do
		kill "$p" 2>/dev/null
	done
	fk_stop
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0
failed=0
n=0
why=

# result NAME: ok when $why is empty, else not ok with the reasons.
result() {
	n=$((n + 1))
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		printf '%s\n' "$why" | sed 's/^/#   /'
		if [ -f "$root/.fake/log" ]; then
			echo "#   fake kernel log:"
			sed 's/^/#     /' "$root/.fake/log"
		fi
		for f in "$tmp"/out "$tmp"/err; do
			[ -s "$f" ] && sed 's/^/#   | /' "$f"
		done
	fi
	why=
}

problem() {
	why="${why:+$why
}$*"
}

# fresh MACHINE [FAKEKERNEL OPTION...]: a new root from a fixture, served by the fake kernel.
# Each fixture is built once and copied (mkroot.sh takes seconds; a copy, milliseconds).
fresh() {
	fk_stop
	[ -n "${root:-}" ] && rm -rf --one-file-system "$tmp/root"
	root=$tmp/root
	_m=$top/tests/fixtures/machines/$1.machine
	[ -f "$tmp/$1.machine" ] && _m=$tmp/$1.machine
	if [ ! -d "$tmp/pristine-$1" ] &&
		! sh "$top/tests/fixtures/mkroot.sh" "$_m" "$tmp/pristine-$1" >"$tmp/mkroot.log" 2>&1; then
		problem "mkroot $1 failed: $(cat "$tmp/mkroot.log")"
		return 1
	fi
	cp -a "$tmp/pristine-$1" "$root" || { problem "cannot copy the $1 root"; return 1; }
	shift
	fk_start "$root" "$tmp/fk.out" "$@" || { problem "the fake kernel did not start"; return 1; }
}

# gv ARGS...: run gpu-vfio on the root; stdout in $tmp/out, stderr in $tmp/err, status in $rc.
# A run that does not end within 60 s is a hang (every run is bounded well below that).
gv() {
	timeout -s KILL 60 "$gpu_vfio" --root "$root" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 137 ] && problem "gpu-vfio $* did not end within 60 s"
}

drv() {
	_l=$(readlink "$root/sys/bus/pci/devices/$1/driver" 2>/dev/null) && echo "${_l##*/}"
}

ovr() {
	_o=$(cat "$root/sys/bus/pci/devices/$1/driver_override" 2>/dev/null)
	[ "$_o" = "(null)" ] && _o=
	echo "$_o"
}

native() {
	cat "$root/.fake/native/$1" 2>/dev/null
}

# The action the state record holds for a device ("" when none), and whether it was taken.
record() {
	grep "\"address\": \"$1\"" "$root/run/gpu-vfio/state.json" 2>/dev/null |
		sed -n 's/.*"action": "\([a-z]*\)".*/\1/p'
}

# settle: let the fake kernel catch up with the last writes (it serves them asynchronously).
settle() {
	sleep 0.2
}

# whole ADDR...: each device is either on vfio-pci with a "claimed" record, or on its host
# driver with driver_override cleared; and all of them the same way (a group is never split).
# Sets $kind to "vfio" or "host".
whole() {
	kind=
	settle
	for a in "$@"; do
		d=$(drv "$a")
		o=$(ovr "$a")
		rec=$(record "$a")
		if [ "$d" = vfio-pci ] && [ "$rec" = claimed ]; then
			k=vfio
			if grep "\"address\": \"$a\"" "$root/run/gpu-vfio/state.json" |
				grep -q '"previous_override": "vfio-pci"'; then
				problem "$a: its own override recorded as the one to return to"
			fi
		elif [ "$d" = "$(native "$a")" ] && [ -z "$o" ]; then
			k=host
		else
			problem "$a in between: driver '${d:-none}', driver_override '${o:-(null)}', record '${rec:-none}'"
			k=bad
		fi
		if [ -n "$kind" ] && [ "$kind" != "$k" ]; then
			problem "the group is split: $a is $k, an earlier one $kind"
		fi
		kind=$k
	done
}

expect_kind() {
	if [ "$kind" != "$1" ]; then
		problem "want every device $1, got ${kind:-nothing}"
	fi
}

expect_rc() {
	if [ "$rc" -ne "$1" ]; then
		problem "exit status $rc, want $1"
	fi
}

expect_err() {
	if ! grep -q -- "$1" "$tmp/err"; then
		problem "stderr lacks '$1'"
	fi
}

# Milliseconds since the epoch (GNU date).
ms() {
	date +%s%3N
}

# The four functions of turing-4fn's RTX 2080 (IOMMU group 1).
whole_gpu() {
	whole 0000:01:00.0 0000:01:00.1 0000:01:00.2 0000:01:00.3
}

# --- release with more arguments than devices ------------------------------------------
if fresh pcistub-group --load-driver vfio-pci:vfio_pci; then
	# shellcheck disable=SC2046 # 17 words on purpose
	gv release $(yes 04:00.0 | head -n 17)
	[ "$rc" -ge 128 ] && problem "release died with signal $((rc - 128))"
	expect_rc 0
fi
result "release 04:00.0 given 17 times does not crash (the groups array is per device)"

# --- a driver_override write that blocks --------------------------------------------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci --fail-write 0000:01:00.2:driver_override:ENXIO; then
	t0=$(ms)
	gv claim
	t=$(($(ms) - t0))
	[ "$t" -gt 15000 ] && problem "claim took $t ms"
	expect_rc 3
	expect_err "driver_override of 0000:01:00.2 abandoned"
	# 01:00.2's override is the FIFO: not readable; the others must be clear.
	whole 0000:01:00.0 0000:01:00.1 0000:01:00.3
	expect_kind host
	[ "$(drv 0000:01:00.2)" = xhci_hcd ] || problem "0000:01:00.2 left its host driver"
	echo "# claim with a blocking driver_override: $t ms"
fi
result "a blocking driver_override write is abandoned; the group is back on its host drivers"

# --- a hanging unbind and failing probes: bounded, restored, said so ---------------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci --hang-unbind 0000:01:00.2 \
	--fail-probe 0000:01:00.0 --fail-probe 0000:01:00.1; then
	t0=$(ms)
	gv claim
	t=$(($(ms) - t0))
	[ "$t" -gt 30500 ] && problem "claim took $t ms, over the 30 s run deadline"
	expect_rc 3
	expect_err "unbind of 0000:01:00.2 from xhci_hcd abandoned"
	expect_err "claim failed, group restored"
	whole_gpu
	expect_kind host
	echo "# claim with a hanging unbind and two failing probes: $t ms"
fi
result "a hanging unbind with failing probes ends within the run deadline, the group restored"

# --- restoring hangs: bounded, and "not restored" said; the next run finishes the undo -------
# 00:14.0 starts on vfio-pci, so vfio-pci's unbind hangs; 01:00.3 cannot bind to vfio-pci.
sed -e 's/^vfio available/vfio loaded/' \
	-e 's/^\(dev 00:14.0 .*\) drv=xhci_hcd /\1 drv=vfio-pci native=xhci_hcd /' \
	"$top/tests/fixtures/machines/turing-4fn.machine" >"$tmp/busy-vfio.machine"
if fresh busy-vfio --hang-unbind 0000:00:14.0 --fail-probe 0000:01:00.3; then
	t0=$(ms)
	gv claim
	t=$(($(ms) - t0))
	[ "$t" -gt 30500 ] && problem "claim took $t ms, over the 30 s run deadline"
	expect_rc 1 # devices left half-claimed: an error, not only a failed claim
	for a in 0000:01:00.0 0000:01:00.1 0000:01:00.2; do
		expect_err "$a: claim failed and NOT restored: unbind from vfio-pci"
		grep -q "$a: claim failed, group restored" "$tmp/err" &&
			problem "$a said restored while on vfio-pci"
	done
	[ -s "$root/run/gpu-vfio/journal.json" ] || problem "no journal kept for what is not restored"
	echo "# claim whose restore hangs: $t ms"
	# The hung unbinds end (the fake kernel serves them again): the next run undoes.
	fk_stop
	fk_start "$root" "$tmp/fk.out" || problem "the fake kernel did not restart"
	gv release
	expect_err "interrupted claim undone"
	whole_gpu
	expect_kind host
fi
result "a restore that hangs ends at the run deadline, says NOT restored, and the next run undoes it"

# --- the VFIO driver cannot be had: nothing is written ------------------------------------
if fresh turing-4fn; then
	gv claim
	expect_rc 3
	expect_err "driver vfio-pci is not registered"
	expect_err "nothing was written"
	settle
	if grep -E "^(driver_override|unbind|bind) 0000:01" "$root/.fake/log" >/dev/null; then
		problem "a device was written to: $(grep -E '^(driver_override|unbind|bind) 0000:01' "$root/.fake/log" | head -n 3)"
	fi
	whole_gpu
	expect_kind host
fi
result "no VFIO driver: every device failed untouched (no write at all)"

# --- claim killed during a hanging unbind; release undoes it ------------------------------
for sig in KILL TERM; do
	if fresh turing-4fn --load-driver vfio-pci:vfio_pci --hang-unbind 0000:01:00.1; then
		"$gpu_vfio" --root "$root" claim >"$tmp/out" 2>"$tmp/err" &
		cpid=$!
		bg_pids="$bg_pids $cpid"
		i=0
		while ! grep -q "^unbind 0000:01:00.0" "$root/.fake/log" && [ $i -lt 500 ]; do
			sleep 0.01
			i=$((i + 1))
		done
		sleep 0.2 # now in the unbind of 01:00.1, which hangs
		# The child doing that write (it would stay blocked after its parent is gone).
		kids=$(ps -o pid= --ppid "$cpid" 2>/dev/null)
		kill -s "$sig" "$cpid"
		wait "$cpid" 2>/dev/null
		for k in $kids; do
			kill -s KILL "$k" 2>/dev/null
		done
		[ -s "$root/run/gpu-vfio/journal.json" ] || problem "no journal left by the killed claim"
		gv release
		expect_rc 0
		expect_err "interrupted claim undone"
		whole_gpu
		expect_kind host
		[ -e "$root/run/gpu-vfio/journal.json" ] && problem "the journal is still there"
		gv claim
		expect_rc 3 # the unbind still hangs: failed, restored
		whole_gpu
		expect_kind host
	fi
	result "claim killed (SIG$sig) in a hanging unbind: release puts the whole group back"
done

# --- release waits for the previous driver and says when it does not come back ------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
	gv claim
	expect_rc 0
	whole_gpu
	expect_kind vfio
	: >"$root/.fake/native/0000:01:00.1" # snd_hda_intel will not take it back
	gv release
	expect_rc 1
	expect_err "0000:01:00.1: released from vfio-pci but did not return to snd_hda_intel"
	whole 0000:01:00.0 0000:01:00.2 0000:01:00.3
	expect_kind host
fi
result "release reports a device that did not return to its previous driver, and exits 1"

# --- release without arguments gives back only what claim took -----------------------------
if fresh pcistub-group --load-driver vfio-pci:vfio_pci; then
	printf 'claim address=0000:00:14.0\nkeep address=0000:04:00.0\n' >"$root/etc/gpu-vfio.conf"
	gv claim
	[ "$(drv 0000:00:14.0)" = vfio-pci ] || problem "00:14.0 was not claimed"
	gv release
	expect_rc 0
	settle
	[ "$(drv 0000:00:14.0)" = xhci_hcd ] || problem "00:14.0 (claimed) was not released"
	for a in 0000:04:00.0 0000:04:00.1; do
		[ "$(drv $a)" = vfio-pci ] || problem "$a (vfio-pci.ids=, policy keep) was released"
	done
fi
result "release without arguments leaves devices claim never took (vfio-pci.ids=, keep)"

# --- the lock: two claim --device of one card at once ------------------------------------
bad=0
for try in 1 2 3 4; do
	if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
		"$gpu_vfio" --root "$root" claim --device 0000:01:00.0 >/dev/null 2>"$tmp/err1" &
		p1=$!
		"$gpu_vfio" --root "$root" claim --device 0000:01:00.2 >/dev/null 2>"$tmp/err2" &
		p2=$!
		bg_pids="$bg_pids $p1 $p2"
		wait "$p1"
		r1=$?
		wait "$p2"
		r2=$?
		if [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
			problem "try $try: exit $r1 and $r2"
		fi
		whole_gpu
		[ "$kind" = vfio ] || bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ] || problem "$bad of 4 tries did not end with the card on vfio-pci"
result "two claim --device for functions of one card at once: the card ends claimed, 4 of 4"

if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
	mkdir -p "$root/run/gpu-vfio"
	echo "pid 4242 (gpu-vfio claim)" >"$root/run/gpu-vfio/lock"
	flock "$root/run/gpu-vfio/lock" sleep 3 &
	fl=$!
	bg_pids="$bg_pids $fl"
	sleep 0.2
	GPU_VFIO_LOCK_TIMEOUT_MS=500 gv claim
	expect_rc 1
	expect_err "/run/gpu-vfio/lock is held by pid 4242 (gpu-vfio claim)"
	settle
	grep -q "^driver_override 0000:01" "$root/.fake/log" && problem "claim wrote without the lock"
	gv claim # waits for the holder, then claims
	expect_rc 0
	expect_err "waiting for /run/gpu-vfio/lock"
	whole_gpu
	expect_kind vfio
	wait "$fl"
fi
result "the lock: a held lock makes claim wait, and after the bound say who holds it"

# --- a truncated state record ---------------------------------------------------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
	gv claim
	s=$root/run/gpu-vfio/state.json
	head -c "$(($(wc -c <"$s") / 2))" "$s" >"$s.half" && mv "$s.half" "$s"
	gv status
	expect_rc 1
	expect_err "cannot read /run/gpu-vfio/state.json: not a whole record"
	gv release
	expect_rc 1
	expect_err "cannot read /run/gpu-vfio/state.json: not a whole record"
	expect_err "name the devices to release"
	gv release 01:00.0
	whole_gpu
	[ "$(drv 0000:01:00.0)" = nouveau ] || problem "release 01:00.0 did not release"
fi
result "a truncated state.json is named and makes status and release exit 1"

# --- a huge stale state record ---------------------------------------------------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
	mkdir -p "$root/run/gpu-vfio"
	awk 'BEGIN {
		printf "{\"version\": 1, \"kernel\": \"x\", \"disabled\": false, \"devices\": ["
		for (i = 0; i < 40000; i++)
			printf "%s\n{\"address\": \"0001:%02x:%02x.%d\", \"action\": \"claimed\", \"driver\": \"vfio-pci\", \"previous_driver\": \"nouveau\"}",
				i ? "," : "", int(i / 256), int(i / 8) % 32, i % 8
		print "]}"
	}' >"$root/run/gpu-vfio/state.json"
	t0=$(ms)
	gv claim
	t=$(($(ms) - t0))
	expect_rc 0
	[ "$t" -gt 8000 ] && problem "claim with a 40k-entry record took $t ms"
	whole_gpu
	expect_kind vfio
	entries=$(grep -c '"address"' "$root/run/gpu-vfio/state.json")
	[ "$entries" -le 16 ] || problem "the record kept $entries entries (stale ones not dropped)"
	echo "# claim with a 40000-entry stale record: $t ms; record now $entries entries"
fi
result "a 40k-entry stale state record costs little, and is dropped to the machine's devices"

# --- 100k policy errors to the kernel log -------------------------------------------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
	awk 'BEGIN { for (i = 0; i < 100000; i++) print "claim bogus=" i }' >"$root/etc/gpu-vfio.conf"
	: >"$root/dev/kmsg"
	gv --kmsg claim
	expect_rc 1
	lines=$(wc -l <"$root/dev/kmsg")
	[ "$lines" -le 25 ] || problem "$lines kernel log records"
	grep -q "and 99980 more policy errors" "$root/dev/kmsg" || problem "no summary of the rest"
	settle
	grep -q "^driver_override 0000:01" "$root/.fake/log" && problem "an invalid policy claimed"
fi
result "--kmsg claim with 100k policy errors writes at most 25 records, with a summary"

# --- release refuses a group a VM holds through the iommufd cdev ----------------------------
if fresh turing-4fn --load-driver vfio-pci:vfio_pci; then
	gv claim
	mkdir -p "$root/sys/bus/pci/devices/0000:01:00.0/vfio-dev/vfio3" "$root/proc/4343/fd"
	ln -s /dev/vfio/devices/vfio3 "$root/proc/4343/fd/21"
	gv release
	expect_rc 1
	expect_err "refusing to release, /dev/vfio/devices/vfio3 is open by pid 4343"
	whole_gpu
	expect_kind vfio
	rm -rf "$root/proc/4343"
	gv release
	expect_rc 0
	whole_gpu
	expect_kind host
fi
result "release refuses a group whose iommufd cdev (/dev/vfio/devices/vfioN) is open"

# kill_each MACHINE CHECK LABEL FAKE_OPTION...: a claim SIGKILLed after each of its first 13
# writes, then claim or release; "CHECK vfio" or "CHECK host" judges the end. Sets kill_bad.
kill_each() {
	_machine=$1
	_check=$2
	_label=$3
	shift 3
	kill_bad=0
	for next in claim release; do
		for w in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
			fresh "$_machine" "$@" --kill-at "$w" || continue
			# shellcheck disable=SC2016 # expanded by the inner sh
			timeout -s KILL 60 sh -c 'echo $$ >"$1/.fake/kill-pid"; exec "$2" --root "$1" claim' sh \
				"$root" "$gpu_vfio" >/dev/null 2>"$tmp/err.kill"
			krc=$?
			gv "$next"
			if [ "$next" = claim ]; then
				"$_check" vfio
			else
				"$_check" host
			fi
			[ -e "$root/run/gpu-vfio/journal.json" ] && problem "journal left after $next"
			if [ -n "$why" ]; then
				kill_bad=$((kill_bad + 1))
				why="killed after write $w (claim exit $krc), then $next:
$why"
				result "${_label}kill after write $w, then $next"
			fi
		done
	done
}

# --- the kill test: claim killed after each write of the 4-function card --------------------
# The card takes 12 writes (4 overrides, 4 unbinds, 4 probes); a claim killed after any of
# them is finished by the next claim or undone by the next release.
turing_whole() {
	whole_gpu
	expect_kind "$1"
}
kill_each turing-4fn turing_whole "" --load-driver vfio-pci:vfio_pci
[ $kill_bad -eq 0 ] && result "claim SIGKILLed after each of its 13 writes: the next claim or release ends every device whole and recorded (26 runs)"

# --- the kill test on arm64: claim killed during the group probe or the claim ----------------
# On the arm64 virt machine (golden 34) the GPU and its audio get their IOMMU group from a
# pci-stub probe first: 4 writes each (override, drivers_probe, override back, unbind), then
# the claim's 2 overrides and 2 probes. A claim killed after any write leaves neither on
# pci-stub once the next claim (both on vfio-pci, recorded) or release (both unbound, no
# override) has run.
cp "$top/tests/golden/34-arm64-group-at-probe/virt.machine" "$tmp/virt.machine"
# virt_whole WANT: 0000:00:05.0 and .1 both on vfio-pci and recorded claimed (vfio), or both
# unbound without override (host).
virt_whole() {
	settle
	for a in 0000:00:05.0 0000:00:05.1; do
		d=$(drv "$a")
		o=$(ovr "$a")
		if [ "$1" = vfio ]; then
			if [ "$d" != vfio-pci ] || [ "$(record "$a")" != claimed ]; then
				problem "$a: on '${d:-no driver}' (override '$o', record '$(record "$a")'), want vfio-pci, claimed"
			fi
		elif [ -n "$d" ] || [ -n "$o" ]; then
			problem "$a: on '$d' with override '$o', want unbound, no override"
		fi
	done
}
kill_each virt virt_whole "arm64: " --load-driver vfio-pci:vfio_pci --load-driver pci-stub:pci_stub
[ $kill_bad -eq 0 ] && result "arm64: claim SIGKILLed after each of its 13 writes (group probe by pci-stub, then claim): the next claim or release leaves nothing on pci-stub (26 runs)"

echo "faults: $passed passed, $failed failed"
mkdir -p "$(dirname "$results")"
echo "$passed $failed" >"$results"
[ "$failed" -eq 0 ]
