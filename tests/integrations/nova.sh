# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by run.sh: `gpu-vfio nova` judged by Debian's python3-nova (Zed).

d=$work/nova
mkdir -p "$d"
nova() {
	"$gpu_vfio" --root "$hgx" nova "$@"
}

t "nova --release zed prints the [pci] section" eval 'nova --release zed >"$d/zed.conf"'
py "nova (Zed) accepts --release zed: Whitelist, alias loader, flavor request" \
	"$here/nova_check.py" "$d/zed.conf" "$work/hgx/status.json" --root "$hgx"
t "nova --release yoga prints the [pci] section" eval 'nova --release yoga >"$d/yoga.conf"'
py "nova reads --release yoga's passthrough_whitelist (its deprecated name)" \
	"$here/nova_check.py" "$d/yoga.conf" "$work/hgx/status.json" --root "$hgx" \
	--key passthrough_whitelist
t "nova --release 2025.1 prints the [pci] section" eval 'nova --release 2025.1 >"$d/epoxy.conf"'
py "--release 2025.1 adds \"managed\": \"no\" to every device_spec" \
	"$here/nova_check.py" "$d/epoxy.conf" "$work/hgx/status.json" --root "$hgx" --managed no
t "nova without --release is the newest release (managed: no)" \
	eval 'nova >"$d/newest.conf" && grep -q "\"managed\": \"no\"" "$d/newest.conf"'
t_rc "nova --release bogus is a usage error" 2 nova --release bogus
t "H100 (class 0302) output has no img_hide_hypervisor_id line" \
	eval '! grep -q img_hide_hypervisor_id "$d/zed.conf"'
t "the comments say where kolla-ansible wants the lines and name PciPassthroughFilter" \
	eval 'grep -q "/etc/kolla/config/nova/.*/nova.conf" "$d/zed.conf" &&
	      grep -q "PciPassthroughFilter" "$d/zed.conf"'

# Broken output must be rejected, or the checks above prove nothing.
sed '0,/^device_spec = /s/^device_spec = {/device_spec = {{/' "$d/zed.conf" >"$d/bad-json.conf"
t_rejects "rejects a device_spec that is not JSON" \
	"$python" "$here/nova_check.py" "$d/bad-json.conf" "$work/hgx/status.json" --root "$hgx"
sed 's/"device_type": "type-PCI"}/"device_type": "type-PCI", "managed": "no"}/' \
	"$d/zed.conf" >"$d/bad-alias.conf"
t_rejects "rejects an alias with a key nova does not know" \
	"$python" "$here/nova_check.py" "$d/bad-alias.conf" "$work/hgx/status.json" --root "$hgx"
sed '/0000:89:00.0/d' "$d/zed.conf" >"$d/missing.conf"
t_rejects "rejects output that leaves a claimed GPU out" \
	"$python" "$here/nova_check.py" "$d/missing.conf" "$work/hgx/status.json" --root "$hgx"
sed 's/0000:89:00.0/0000:8b:00.0/' "$d/zed.conf" >"$d/nvswitch.conf"
t_rejects "rejects output that offers an NVSwitch the host keeps" \
	"$python" "$here/nova_check.py" "$d/nvswitch.conf" "$work/hgx/status.json" --root "$hgx"
sed 's/^device_spec = /passthrough_whitelist = /' "$d/zed.conf" >"$d/oldkey.conf"
t_rejects "rejects the pre-Zed key in --release zed output" \
	"$python" "$here/nova_check.py" "$d/oldkey.conf" "$work/hgx/status.json" --root "$hgx"

# SR-IOV: a PF the policy names is type-PF; nova wants one device_type per alias name.
t "the sriov-vgpu fixture is built" mkroot sriov sriov-vgpu
sriov=$work/sriov/root
printf 'claim vendor=10de class=0302 name=gpu\nclaim address=0000:41:00.0 name=gpu\n' \
	>"$d/sriov.policy"
"$gpu_vfio" --root "$sriov" --policy "$d/sriov.policy" status --json >"$d/sriov.json" 2>/dev/null
t "nova --release zed on a node with an SR-IOV PF and a plain GPU under one name" \
	eval '"$gpu_vfio" --root "$sriov" --policy "$d/sriov.policy" nova --release zed \
		>"$d/sriov.conf" 2>"$d/sriov.err" && grep -q "gpu-pf" "$d/sriov.err"'
py "nova accepts it: the PF is alias gpu-pf, type-PF; the T4 is gpu, type-PCI" \
	"$here/nova_check.py" "$d/sriov.conf" "$d/sriov.json" --root "$sriov"
sed 's/"gpu-pf"/"gpu"/' "$d/sriov.conf" >"$d/sriov-mixed.conf"
t_rejects "nova rejects one alias name with two device types (why gpu-pf exists)" \
	"$python" "$here/nova_check.py" "$d/sriov-mixed.conf" "$d/sriov.json" --root "$sriov"

# A GeForce node: consumer cards get the image property hint.
t "the turing-4fn fixture is built" mkroot turing turing-4fn
t "a GeForce (class 0300) node gets the img_hide_hypervisor_id hint" \
	eval '"$gpu_vfio" --root "$work/turing/root" nova >"$d/turing.conf" &&
	      grep -q "img_hide_hypervisor_id=true" "$d/turing.conf"'
