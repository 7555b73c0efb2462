#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Integration tests: gpu-vfio's nova and KubeVirt output judged by nova's own parsers and a
# YAML parser, claim --device, the systemd units and udev rule, status --prometheus judged
# by promtool and the Prometheus client parser, and the Ansible example role.
#
# Usage: run.sh GPU_VFIO FAKEKERNEL WORKDIR RESULTS_FILE
# Every test prints "ok - NAME" or "not ok - NAME" (with the evidence as "# " lines); each
# group of checks has a deliberately broken input that must be rejected, so the checks
# are shown to be able to fail. RESULTS_FILE gets "PASSED FAILED".
# shellcheck disable=SC2016 # the eval strings of the tests expand when they run
set -u

if [ $# -ne 4 ]; then
	echo "usage: run.sh GPU_VFIO FAKEKERNEL WORKDIR RESULTS_FILE" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
gpu_vfio=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fakekernel=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$3
results=$4
# Debian's interpreter: python3-nova and friends live in its dist-packages, not in
# whatever python3 comes first on PATH.
python=${PYTHON:-/usr/bin/python3}

rm -rf "$work"
mkdir -p "$work" "$(dirname "$results")"
work=$(cd "$work" && pwd)
log=$work/log
last=$work/last
fk_pid=

# shellcheck source-path=SCRIPTDIR source=../support/fakekernel.sh
. "$top/tests/support/fakekernel.sh"
trap fk_stop EXIT
trap 'exit 1' INT TERM

# shellcheck source-path=SCRIPTDIR source=../support/tap.sh
. "$top/tests/support/tap.sh"

# not_ok_log NAME [LOGFILE]: the failure, with the last lines of its evidence.
not_ok_log() {
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		not_ok "$1" "$(grep -v '^ok - ' "$2" | tail -n 25)"
	else
		not_ok "$1"
	fi
}

# t NAME CMD...: passes when CMD exits 0.
t() {
	name=$1
	shift
	if "$@" >"$log" 2>&1; then ok "$name"; else not_ok_log "$name" "$log"; fi
}

# t_rejects NAME CMD...: passes when CMD fails (a broken input must be rejected).
t_rejects() {
	name=$1
	shift
	if "$@" >"$log" 2>&1; then not_ok_log "$name (it was accepted)" "$log"; else ok "$name"; fi
}

# t_rc NAME STATUS CMD...: passes when CMD exits with STATUS; its output stays in $last.
t_rc() {
	name=$1
	want=$2
	shift 2
	"$@" >"$last" 2>&1
	rc=$?
	cp "$last" "$log"
	if [ "$rc" -eq "$want" ]; then ok "$name"; else not_ok_log "$name (exit $rc, want $want)" "$log"; fi
}

# py NAME HELPER ARGS...: a Python checker; its "ok" lines are counted in the name.
py() {
	name=$1
	shift
	if "$python" "$@" >"$log" 2>&1; then
		ok "$name ($(grep -c '^ok - ' "$log") checks)"
	else
		not_ok_log "$name" "$log"
	fi
}

# mkroot NAME MACHINE: a fresh fake root at $work/NAME/root.
mkroot() {
	rm -rf "${work:?}/$1"
	mkdir -p "$work/$1"
	sh "$top/tests/fixtures/mkroot.sh" "$top/tests/fixtures/machines/$2.machine" \
		"$work/$1/root" >"$work/$1/mkroot.log" 2>&1 &&
		chmod 0644 "$work/$1/root/etc/gpu-vfio.conf"
}

# start_fakekernel ROOT: the fake kernel on ROOT, with vfio-pci registered.
start_fakekernel() {
	fk_start "$1" "$work/fakekernel.log" --load-driver vfio-pci:vfio_pci
}

# claimed ROOT: an HGX root after `gpu-vfio claim`, as the nodes look after boot.
claim_root() {
	start_fakekernel "$1" && "$gpu_vfio" --root "$1" claim >"$work/claim.log" 2>&1
	rc=$?
	fk_stop
	return $rc
}

# driver ROOT ADDRESS: the name of the device's driver ("" when unbound).
driver() {
	link=$(readlink "$1/sys/bus/pci/devices/$2/driver" 2>/dev/null) || return 0
	basename "$link"
}

t_start=$(date +%s)

echo "# setup: the HGX H100 fixture, claimed"
t "the hgx-h100 fixture is built and claimed" eval 'mkroot hgx hgx-h100 && claim_root "$work/hgx/root"'
hgx=$work/hgx/root
"$gpu_vfio" --root "$hgx" status --json >"$work/hgx/status.json" 2>/dev/null

echo "# nova: the [pci] section through nova's own parsers (python3-nova $(dpkg-query -W -f='${Version}' python3-nova 2>/dev/null))"
# shellcheck source=tests/integrations/nova.sh
. "$here/nova.sh"
echo "# kubevirt: permittedHostDevices through a YAML parser"
# shellcheck source=tests/integrations/kubevirt.sh
. "$here/kubevirt.sh"
echo "# claim --device: one device and its IOMMU group, as udev asks for it"
# shellcheck source=tests/integrations/hotplug.sh
. "$here/hotplug.sh"
echo "# systemd units and the udev rule"
# shellcheck source=tests/integrations/units.sh
. "$here/units.sh"
echo "# status --prometheus through promtool and the Prometheus client parser"
# shellcheck source=tests/integrations/metrics.sh
. "$here/metrics.sh"
echo "# the Ansible example role"
# shellcheck source=tests/integrations/ansible.sh
. "$here/ansible.sh"

echo "# shell scripts: shellcheck -s dash"
t "shellcheck -s dash tests/integrations/*.sh" \
	eval '(cd "$top" && shellcheck -s dash -x tests/integrations/run.sh)'

echo "# integrations: $(($(date +%s) - t_start)) s"
tap_finish "$results" integrations
