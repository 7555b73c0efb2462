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

# --json: the merge patch for kubectl patch kubevirt kubevirt -n kubevirt --type merge.
t "kubevirt --json prints the merge patch" \
	eval '"$gpu_vfio" --root "$hgx" --json kubevirt >"$d/hgx.json"'
py "the JSON parses: spec.configuration.permittedHostDevices, 10DE:2330 once" \
	"$here/kubevirt_check.py" --json "$d/hgx.json" "$work/hgx/status.json"
sed 's/"spec"/"Spec"/' "$d/hgx.json" >"$d/bad.json"
t_rejects "rejects a patch outside spec" \
	"$python" "$here/kubevirt_check.py" --json "$d/bad.json" "$work/hgx/status.json"

# name=gpu would be nvidia.com/gpu, the resource of NVIDIA's container device plugin.
printf 'claim vendor=10de class=0302 name=gpu\n' >"$d/gpu.policy"
t_rc "name=gpu is refused: nvidia.com/gpu is another device plugin's resource" 1 \
	"$gpu_vfio" --root "$hgx" --policy "$d/gpu.policy" kubevirt
t "and the message says why" grep -q "nvidia.com/gpu is another device plugin" "$last"
t_rc "kubevirt takes no FILE without --merge" 2 "$gpu_vfio" --root "$hgx" kubevirt "$d/x"
t_rc "kubevirt --merge without FILE is a usage error" 2 "$gpu_vfio" --root "$hgx" kubevirt --merge

# The fleet: pciHostDevices is one atomic list, so it must be the union of every node's.
t "the mixed-dc fixture is built (A100 SR-IOV off, T4, A10 as dc-gpu; GH200 on a variant driver)" \
	mkroot mixed mixed-dc
mixed=$work/mixed/root
"$gpu_vfio" --root "$mixed" status --json >"$d/mixed.json" 2>/dev/null
sriov=$work/kv-sriov/root
t "the sriov-vgpu fixture is built" mkroot kv-sriov sriov-vgpu
printf 'claim vendor=10de class=0302 name=vgpu-host\nclaim address=0000:41:00.0 name=vgpu-host\n' \
	>"$d/sriov.policy"
"$gpu_vfio" --root "$sriov" --policy "$d/sriov.policy" status --json >"$d/sriov.json" 2>/dev/null
t "kubevirt on the mixed node" eval '"$gpu_vfio" --root "$mixed" kubevirt >"$d/mixed.yaml"'
py "its YAML: three selectors as nvidia.com/dc-gpu, the GH200 externalResourceProvider" \
	"$here/kubevirt_check.py" "$d/mixed.yaml" "$d/mixed.json"
t "the variant-driver device has a note naming its driver" \
	grep -q "nvgrace_gpu_vfio_pci, a VFIO variant driver" "$d/mixed.yaml"
sed '/externalResourceProvider/d' "$d/mixed.yaml" >"$d/no-external.yaml"
t_rejects "rejects the GH200 entry without externalResourceProvider" \
	"$python" "$here/kubevirt_check.py" "$d/no-external.yaml" "$d/mixed.json"
t "kubevirt --merge of three nodes' status --json (HGX, mixed, SR-IOV; HGX twice)" \
	eval '"$gpu_vfio" kubevirt --merge "$work/hgx/status.json" "$d/mixed.json" "$d/sriov.json" \
		"$work/hgx/status.json" >"$d/fleet.yaml"'
py "the union holds each selector once with its resource" \
	"$here/kubevirt_check.py" "$d/fleet.yaml" "$work/hgx/status.json" "$d/mixed.json" "$d/sriov.json"
t "the T4 of two nodes under two names is one entry (the first name), with a note" \
	eval '"$gpu_vfio" kubevirt --merge "$d/mixed.json" "$d/sriov.json" 2>"$d/fleet.err" >/dev/null &&
	      grep -q "sriov.json: 0000:c1:00.0 (name=vgpu-host) is in the resource of 10DE:1EB8 (name=dc-gpu)" "$d/fleet.err"'
t "kubevirt --json --merge prints the fleet's merge patch" \
	eval '"$gpu_vfio" --json kubevirt --merge "$work/hgx/status.json" "$d/mixed.json" "$d/sriov.json" \
		>"$d/fleet.json"'
py "the fleet JSON parses with each selector once" \
	"$here/kubevirt_check.py" --json "$d/fleet.json" "$work/hgx/status.json" \
	"$d/mixed.json" "$d/sriov.json"
sed '/- pciVendorSelector: "10DE:1EB8"/{N;p}' "$d/mixed.yaml" >"$d/dup.yaml"
t_rejects "rejects a list that holds an entry twice" \
	"$python" "$here/kubevirt_check.py" "$d/dup.yaml" "$d/mixed.json"
"$gpu_vfio" --root "$hgx" kubevirt >"$d/one-node.yaml"
t_rejects "rejects one node's list as the fleet's (what merging one node's output gives)" \
	"$python" "$here/kubevirt_check.py" "$d/one-node.yaml" "$work/hgx/status.json" "$d/mixed.json"
printf '{"devices": [{"address": ' >"$d/truncated.json"
t_rc "--merge refuses a file that is not status --json" 1 \
	"$gpu_vfio" kubevirt --merge "$d/truncated.json"
