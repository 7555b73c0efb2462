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

# Both OS families, chosen by the gathered facts: this Debian machine's own, and those of
# a Rocky Linux 10 node (the facts module ansible-library/el_facts.py replaces setup).
t "Debian facts: apt installs the package, the handler runs update-initramfs -u" \
	eval 'play "$hgx" -v >"$d/debian.log" 2>&1 &&
	      grep -q "^ok: \[localhost\]" "$d/debian.log" &&
	      grep -A1 "TASK \[gpu_vfio : Install the gpu-vfio package (apt)\]" "$d/debian.log" | grep -q "^ok:" &&
	      grep -A1 "TASK \[gpu_vfio : Install the gpu-vfio package (dnf)\]" "$d/debian.log" | grep -q "^skipping:" &&
	      grep -q "\"cmd\": \[\"update-initramfs\", \"-u\"\]" "$d/debian.log"'
el_play() {
	ANSIBLE_LIBRARY="$top/tests/integrations/ansible-library" ANSIBLE_FACTS_MODULES=el_facts \
		play "$@"
}
t "EL facts: the node is RedHat, dracut --regenerate-all -f rebuilds its images" \
	eval 'el_play "$hgx" -v -e gpu_vfio_install=false >"$d/el.log" 2>&1 &&
	      grep -q "\"cmd\": \[\"dracut\", \"--regenerate-all\", \"-f\"\]" "$d/el.log" &&
	      grep -q "gpu-vfio: 8 claimed, 0 to claim, 0 blocked or failed" "$d/el.log" &&
	      ! grep -q "update-initramfs" "$d/el.log"'
# This machine has no dnf Python module: the dnf task fails here, which shows it (and
# not apt) is the one an EL node runs.
t_rejects "EL facts: the package is installed with dnf, not apt" \
	eval 'el_play "$hgx" -e gpu_vfio_install=true >"$d/el-dnf.log" 2>&1'
t "the failed task is the dnf one (apt skipped)" \
	eval 'grep -A1 "TASK \[gpu_vfio : Install the gpu-vfio package (apt)\]" "$d/el-dnf.log" | grep -q "^skipping:" &&
	      grep -A1 "TASK \[gpu_vfio : Install the gpu-vfio package (dnf)\]" "$d/el-dnf.log" | grep -q "^fatal:.*dnf"'
t_rejects "a node of another OS family (Suse) is refused before anything changes" \
	eval 'play "$hgx" -e gpu_vfio_os_family=Suse >"$d/suse.log" 2>&1'
t "with the reason" grep -q "no packaging for OS family Suse" "$d/suse.log"
