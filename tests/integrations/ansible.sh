# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by run.sh: examples/ansible, syntax-checked and run in --check mode against
# localhost (connection=local). It reads a fake root, never this machine's devices, and
# check mode neither writes the policy nor rebuilds the initramfs nor reboots.

d=$work/ansible
mkdir -p "$d/tmp"
playbook=$top/examples/ansible/site.yml
printf '[gpu_nodes]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n' \
	"$python" >"$d/inventory"
export ANSIBLE_LOCAL_TEMP="$d/tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0

# play ROOT [EXTRA-VARS...]: the playbook in check mode against ROOT's devices.
play() {
	root=$1
	shift
	# The package step runs apt in check mode for a package that is installed here.
	ansible-playbook -i "$d/inventory" "$playbook" --check --diff \
		-e ansible_become=false -e gpu_vfio_package=bash -e gpu_vfio_bin="$gpu_vfio" \
		-e gpu_vfio_policy_file="$d/gpu-vfio.conf" -e gpu_vfio_reboot=false \
		-e "gpu_vfio_status_options='--root $root'" "$@"
}

t "ansible-playbook --syntax-check site.yml" \
	ansible-playbook -i "$top/examples/ansible/inventory.ini" "$playbook" --syntax-check
mkdir -p "$d/broken"
sed 's/^  serial: 1$/  serial: 1\n  bogus_keyword: 1/' "$playbook" >"$d/broken/site.yml"
ln -sfn "$top/examples/ansible/roles" "$d/broken/roles"
t_rejects "--syntax-check rejects a play with an unknown keyword" \
	ansible-playbook -i "$d/inventory" "$d/broken/site.yml" --syntax-check
t "the play is serial: 1 and stops the rollout at the first failed node" \
	eval 'grep -qx "  serial: 1" "$playbook" && grep -qx "  max_fail_percentage: 0" "$playbook"'

t "--check against the claimed HGX passes" eval 'play "$hgx" >"$d/hgx.log" 2>&1'
t "it gathered the status: 8 claimed, 0 blocked or failed" \
	grep -q "gpu-vfio: 8 claimed, 0 to claim, 0 blocked or failed" "$d/hgx.log"
t "it would deploy the policy and notify the initramfs rebuild" \
	eval 'grep -q "^+claim vendor=10de class=0300,0302 name=gpu" "$d/hgx.log" &&
	      grep -q "RUNNING HANDLER \[gpu_vfio : Rebuild the initramfs\]" "$d/hgx.log"'
t "check mode wrote no policy" eval '[ ! -e "$d/gpu-vfio.conf" ]'

t_rejects "--check fails a node whose GPU is blocked (shared-sata)" \
	eval 'play "$work/hps/root" >"$d/blocked.log" 2>&1'
t "and says which device and why" grep -q "0000:1e:00.0 blocked: IOMMU group 13 is not viable" "$d/blocked.log"
t_rejects "--check fails on a policy gpu-vfio rejects, before deploying it" \
	eval 'play "$hgx" -e "{\"gpu_vfio_rules\": [\"claim bogus=1\"]}" >"$d/invalid.log" 2>&1'
t "the rejection is gpu-vfio validate's" grep -q "unknown key" "$d/invalid.log"
