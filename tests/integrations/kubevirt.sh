# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by run.sh: `gpu-vfio kubevirt` parsed as YAML and checked against the status.

d=$work/kubevirt
mkdir -p "$d"
t "kubevirt prints permittedHostDevices" \
	eval '"$gpu_vfio" --root "$hgx" kubevirt >"$d/hgx.yaml"'
py "the YAML parses: one 10DE:2330 entry, resourceName nvidia.com/h100" \
	"$here/kubevirt_check.py" "$d/hgx.yaml" "$work/hgx/status.json"
t "it names 10DE:2330 and nvidia.com/h100" \
	eval 'grep -q "pciVendorSelector: \"10DE:2330\"" "$d/hgx.yaml" &&
	      grep -q "resourceName: \"nvidia.com/h100\"" "$d/hgx.yaml"'

sed 's/10DE:2330/10de:2330/' "$d/hgx.yaml" >"$d/lower.yaml"
t_rejects "rejects a lower-case selector" \
	"$python" "$here/kubevirt_check.py" "$d/lower.yaml" "$work/hgx/status.json"
sed 's/^  pciHostDevices:/  pciHostDevices:\n   bad: [/' "$d/hgx.yaml" >"$d/broken.yaml"
t_rejects "rejects YAML that does not parse" \
	"$python" "$here/kubevirt_check.py" "$d/broken.yaml" "$work/hgx/status.json"

# Two names for identical GPUs: KubeVirt selects by vendor:device, so one entry remains.
printf 'claim vendor=10de class=0302 name=h100\nclaim address=0000:03:00.0 name=special\n' \
	>"$d/two-names.policy"
"$gpu_vfio" --root "$hgx" --policy "$d/two-names.policy" status --json >"$d/two-names.json" \
	2>/dev/null
t "two names for one vendor:device still give one entry" \
	eval '"$gpu_vfio" --root "$hgx" --policy "$d/two-names.policy" kubevirt >"$d/two-names.yaml"'
py "that YAML parses with one 10DE:2330 entry (the first name)" \
	"$here/kubevirt_check.py" "$d/two-names.yaml" "$d/two-names.json"

printf '# nothing\n' >"$d/empty.policy"
"$gpu_vfio" --root "$hgx" --policy "$d/empty.policy" status --json >"$d/empty.json" 2>/dev/null
t "a policy that claims nothing gives an empty list" \
	eval '"$gpu_vfio" --root "$hgx" --policy "$d/empty.policy" kubevirt >"$d/empty.yaml"'
py "the empty list parses" "$here/kubevirt_check.py" "$d/empty.yaml" "$d/empty.json"
