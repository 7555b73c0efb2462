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

# The mixed node under Zed: A100 (SR-IOV capable, off) is type-PF, so dc-gpu-pf; T4 and A10
# are two alias lines of dc-gpu; the GH200 on its variant driver is gh200.
t "the mixed-dc fixture is built" mkroot nova-mixed mixed-dc
mixed=$work/nova-mixed/root
"$gpu_vfio" --root "$mixed" status --json >"$d/mixed.json" 2>/dev/null
t "nova --release zed on the mixed node" \
	eval '"$gpu_vfio" --root "$mixed" nova --release zed >"$d/mixed-zed.conf" 2>/dev/null'
py "nova (Zed) accepts it: several models under one name, a PF, a variant-driver device" \
	"$here/nova_check.py" "$d/mixed-zed.conf" "$d/mixed.json" --root "$mixed"
t_rc "nova --json is refused (no JSON form)" 2 "$gpu_vfio" --root "$hgx" --json nova
t_rc "--placement before 2023.1 is a usage error" 2 "$gpu_vfio" --root "$hgx" nova --release zed --placement
t_rc "--part other than compute|api is a usage error" 2 "$gpu_vfio" --root "$hgx" nova --part all
t_rc "release --json is refused (no JSON form)" 2 "$gpu_vfio" --root "$hgx" --json release

# nova-* policy keys: numa_policy on the alias; one_time_use needs placement.
printf 'claim vendor=10de class=0302 name=h100 nova-numa-policy=socket nova-live-migratable=no\n' \
	>"$d/numa.policy"
t "nova-numa-policy=socket and nova-live-migratable=no (2025.1)" \
	eval '"$gpu_vfio" --root "$hgx" --policy "$d/numa.policy" nova --release 2025.1 >"$d/numa.conf" &&
	      grep -q "\"numa_policy\": \"socket\"}" "$d/numa.conf" &&
	      [ "$(grep -c "\"live_migratable\": \"no\"}" "$d/numa.conf")" -eq 8 ]'
t "Zed has no live_migratable: left out with a warning" \
	eval '"$gpu_vfio" --root "$hgx" --policy "$d/numa.policy" nova --release zed >"$d/numa-zed.conf" \
		2>"$d/numa-zed.err" && ! grep -q live_migratable "$d/numa-zed.conf" &&
	      grep -q "no live_migratable" "$d/numa-zed.err"'
py "nova (Zed) accepts the numa_policy alias" \
	"$here/nova_check.py" "$d/numa-zed.conf" "$work/hgx/status.json" --root "$hgx"
printf 'claim vendor=10de class=0302 name=h100 nova-one-time-use=yes\n' >"$d/otu.policy"
t_rc "nova-one-time-use=yes without --placement is refused" 1 \
	"$gpu_vfio" --root "$hgx" --policy "$d/otu.policy" nova --release 2025.2
printf 'claim vendor=10de device=20f1 name=dc-gpu nova-resource-class=CUSTOM_A\nclaim vendor=10de device=1eb8,2236,2342 name=dc-gpu\n' \
	>"$d/two-rc.policy"
t_rc "one name with two resource classes is refused in placement mode" 1 \
	"$gpu_vfio" --root "$mixed" --policy "$d/two-rc.policy" nova --placement

# kolla-ansible: per-host and global parts, merged as kolla's merge_configs does.
# shellcheck source=tests/integrations/kolla.sh
. "$here/kolla.sh"

# Debian 13's nova (2025.1, python3-nova 31) in a Debian 13 root: legacy and placement mode.
if [ -n "${NOVA_ROOT_TAR:-}" ] && [ -s "$NOVA_ROOT_TAR" ]; then
	# shellcheck source=tests/integrations/nova31.sh
	. "$here/nova31.sh"
else
	not_ok "Debian 13's nova root: NOVA_ROOT_TAR (scripts/nova-root.sh) is not set or empty"
fi
