# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by nova.sh: `gpu-vfio nova --part compute|api` as kolla-ansible lays the files out,
# merged by kolla's merge_configs semantics (tests/integrations/kolla_merge.py) and read by nova.

k=$work/kolla
mkdir -p "$k/config/nova/hgx-01" "$k/config/nova/mixed-01"
t "nova --part compute --host hgx-01: the per-host file" \
	eval '"$gpu_vfio" --root "$hgx" nova --release zed --part compute --host hgx-01 \
		>"$k/config/nova/hgx-01/nova.conf"'
t "its comment names kolla's path with the inventory name" \
	grep -q "/etc/kolla/config/nova/hgx-01/nova.conf" "$k/config/nova/hgx-01/nova.conf"
t "the per-host part has no alias" eval '! grep -q "^alias" "$k/config/nova/hgx-01/nova.conf"'
t "nova --part compute --host mixed-01" \
	eval '"$gpu_vfio" --root "$mixed" nova --release zed --part compute --host mixed-01 \
		>"$k/config/nova/mixed-01/nova.conf" 2>/dev/null'
t "nova --part api of both kinds of node: the global file" \
	eval '{ "$gpu_vfio" --root "$hgx" nova --release zed --part api &&
		"$gpu_vfio" --root "$mixed" nova --release zed --part api; } >"$k/config/nova.conf" 2>/dev/null'
t "the global part has no device_spec" eval '! grep -q "^device_spec" "$k/config/nova.conf"'
for host in hgx-01 mixed-01; do
	t "kolla's merge for $host (nova.conf, then nova/$host/nova.conf)" \
		"$python" "$here/kolla_merge.py" "$k/$host.conf" "$k/config/nova.conf" \
		"$k/config/nova/$host/nova.conf"
done
py "hgx-01's merged nova.conf: nova accepts it, its own devices, every alias" \
	"$here/nova_check.py" "$k/hgx-01.conf" "$work/hgx/status.json" --root "$hgx" --other-aliases
py "mixed-01's merged nova.conf: nova accepts it, its own devices, every alias" \
	"$here/nova_check.py" "$k/mixed-01.conf" "$d/mixed.json" --root "$mixed" --other-aliases
t "every host has every alias (h100, dc-gpu, dc-gpu-pf, gh200)" \
	eval 'for h in hgx-01 mixed-01; do
		for a in h100 dc-gpu dc-gpu-pf gh200; do
			grep -q "^alias = {\"name\": \"$a\"" "$k/$h.conf" || exit 1
		done
	      done'
# What the old single output did: pasted as the per-host file it replaces the global aliases.
"$gpu_vfio" --root "$hgx" nova --release zed >"$k/whole.conf"
"$python" "$here/kolla_merge.py" "$k/whole-merged.conf" "$k/config/nova.conf" "$k/whole.conf"
t_rejects "the whole output as a per-host file loses the other nodes' aliases" \
	grep -q '^alias = {"name": "dc-gpu"' "$k/whole-merged.conf"
