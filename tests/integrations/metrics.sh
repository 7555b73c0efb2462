# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by run.sh: `gpu-vfio status --prometheus` judged by promtool and the client parser.

d=$work/metrics
mkdir -p "$d"
metrics_check() {
	"$python" "$here/metrics_check.py" "$@"
}
kver=$(cat "$hgx/proc/sys/kernel/osrelease")

t_rc "status --prometheus on the claimed HGX exits 0" 0 \
	eval '"$gpu_vfio" --root "$hgx" status --prometheus >"$d/hgx.prom"'
t "promtool check metrics accepts it" eval 'promtool check metrics <"$d/hgx.prom"'
py "8 H100 claimed (name h100), 4 NVSwitches kept, IOMMU active, policy valid" \
	"$here/metrics_check.py" "$d/hgx.prom" state:claimed=8 state:keep=4 \
	device:0000:03:00.0=claimed/h100 device:0000:0b:00.0=keep/ \
	gpu_vfio_iommu_active=1 gpu_vfio_policy_valid=1 gpu_vfio_claim_disabled=0
t "no initramfs in the fixture: initramfs_stale is 0 (the doctor only warns)" \
	metrics_check "$d/hgx.prom" gpu_vfio_initramfs_stale=0

# An initramfs older than the policy is stale; a newer one is not.
mkdir -p "$hgx/boot"
touch -d '2020-01-01' "$hgx/boot/initrd.img-$kver"
"$gpu_vfio" --root "$hgx" status --prometheus >"$d/stale.prom" 2>/dev/null
t "an initramfs older than the policy: gpu_vfio_initramfs_stale 1" \
	metrics_check "$d/stale.prom" gpu_vfio_initramfs_stale=1
touch "$hgx/boot/initrd.img-$kver"
"$gpu_vfio" --root "$hgx" status --prometheus >"$d/fresh.prom" 2>/dev/null
t "a rebuilt initramfs: gpu_vfio_initramfs_stale 0" \
	metrics_check "$d/fresh.prom" gpu_vfio_initramfs_stale=0
rm -rf "${hgx:?}/boot"

printf 'claim vendor=10de bogus=1\n' >"$d/invalid.policy"
t_rc "an invalid policy: status --prometheus still exits 0" 0 \
	eval '"$gpu_vfio" --root "$hgx" --policy "$d/invalid.policy" status --prometheus >"$d/invalid.prom"'
t "and reports gpu_vfio_policy_valid 0, the GPUs as claimed/none" \
	metrics_check "$d/invalid.prom" gpu_vfio_policy_valid=0 state:claimed=8
t "promtool accepts that too" eval 'promtool check metrics <"$d/invalid.prom"'

t "the azure-nv-noiommu fixture is built" mkroot noiommu azure-nv-noiommu
"$gpu_vfio" --root "$work/noiommu/root" status --prometheus >"$d/noiommu.prom" 2>/dev/null
t "no IOMMU: gpu_vfio_iommu_active 0, the M60 blocked" \
	metrics_check "$d/noiommu.prom" gpu_vfio_iommu_active=0 \
	device:0001:00:00.0=blocked/m60
t "promtool accepts it" eval 'promtool check metrics <"$d/noiommu.prom"'

# A claim that failed at boot shows as failed.
t "the turing-4fn fixture for a failed claim" mkroot mfail turing-4fn
mfail=$work/mfail/root
mkdir -p "$mfail/run/gpu-vfio"
cat >"$mfail/run/gpu-vfio/state.json" <<'JSON'
{"version": 1, "kernel": "6.1.0-28-amd64", "disabled": false, "devices": [
 {"address": "0000:01:00.0", "vendor": "10de", "device": "1e87", "iommu_group": 1, "action": "failed", "reason": "0000:01:00.0 did not bind to vfio-pci (driver: nouveau)"}
]}
JSON
"$gpu_vfio" --root "$mfail" status --prometheus >"$d/failed.prom" 2>/dev/null
t "a device boot failed to claim: state failed" \
	metrics_check "$d/failed.prom" device:0000:01:00.0=failed/rtx2080
t_rc "status --prometheus --json is a usage error" 2 "$gpu_vfio" --root "$hgx" status --prometheus --json
t_rc "--prometheus on another command is a usage error" 2 "$gpu_vfio" --root "$hgx" plan --prometheus

# Broken exposition must be rejected by both checkers.
sed 's/^gpu_vfio_iommu_active 1$/gpu_vfio_iommu_active one/' "$d/hgx.prom" >"$d/bad.prom"
t_rejects "promtool rejects a sample that is not a number" \
	eval 'promtool check metrics <"$d/bad.prom"'
t_rejects "the client parser rejects it too" metrics_check "$d/bad.prom"
sed 's/,state="claimed"}/}/' "$d/hgx.prom" >"$d/nostate.prom"
t_rejects "the checker rejects a device series without its state label" \
	metrics_check "$d/nostate.prom"

# --textfile PATH: the same metrics, written atomically where node_exporter reads them.
tf=$d/textfile
rm -rf "$tf"
mkdir -p "$tf"
t_rc "status --prometheus --textfile PATH exits 0 and prints nothing" 0 \
	eval '"$gpu_vfio" --root "$hgx" status --prometheus --textfile "$tf/gpu-vfio.prom" >"$d/tf.stdout" &&
	      [ ! -s "$d/tf.stdout" ]'
t "promtool check metrics accepts the file --textfile wrote" \
	eval 'promtool check metrics <"$tf/gpu-vfio.prom"'
t "the file holds what stdout gets, mode 0644 for node_exporter, no temporary file left" \
	eval '"$gpu_vfio" --root "$hgx" status --prometheus >"$d/tf-stdout.prom" &&
	      cmp "$d/tf-stdout.prom" "$tf/gpu-vfio.prom" &&
	      [ "$(stat -c %a "$tf/gpu-vfio.prom")" = 644 ] && [ "$(ls -A "$tf")" = gpu-vfio.prom ]'
cp "$tf/gpu-vfio.prom" "$d/tf-before.prom"
# A write that fails half-way: the file size limit (SIGXFSZ ignored, so write fails EFBIG).
t_rc "a write that fails half-way exits 1" 1 \
	sh -c 'trap "" XFSZ; ulimit -f 1; exec "$0" --root "$1" status --prometheus --textfile "$2"' \
	"$gpu_vfio" "$work/mfail/root" "$tf/gpu-vfio.prom"
t "its error names the file and says it is unchanged" \
	eval 'grep -q "^gpu-vfio: --textfile $tf/gpu-vfio.prom: cannot write the metrics: File too large; the file is unchanged" "$last"'
t "the old file is untouched and no temporary file is left" \
	eval 'cmp "$d/tf-before.prom" "$tf/gpu-vfio.prom" && [ "$(ls -A "$tf")" = gpu-vfio.prom ]'
t_rc "a missing directory exits 1" 1 \
	"$gpu_vfio" --root "$hgx" status --prometheus --textfile "$tf/missing/gpu-vfio.prom"
t "its error names the file and the directory" \
	eval 'grep -q "^gpu-vfio: --textfile $tf/missing/gpu-vfio.prom: cannot create a temporary file in $tf/missing: No such file or directory" "$last"'
t_rc "--textfile without --prometheus is a usage error" 2 \
	"$gpu_vfio" --root "$hgx" status --textfile "$tf/x.prom"
t_rc "--textfile naming a directory is a usage error" 2 \
	"$gpu_vfio" --root "$hgx" status --prometheus --textfile "$tf/"
