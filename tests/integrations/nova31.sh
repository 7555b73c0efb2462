# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by nova.sh: the checks run by Debian 13's nova (python3-nova 31, 2025.1) in a Debian 13
# root unpacked from $NOVA_ROOT_TAR (scripts/nova-root.sh). Nothing is mounted into the root:
# the checkers, the outputs and the fixture roots are copied into it (/w), and python3 runs
# under chroot, which needs no /proc, /sys or /dev for these imports.

tx=$work/trixie
rm -rf --one-file-system "$tx"
mkdir -p "$tx"
t "Debian 13's root is unpacked from $(basename "$NOVA_ROOT_TAR")" \
	tar -C "$tx" -xf "$NOVA_ROOT_TAR"
mkdir -p "$tx/w/roots"
cp "$here"/*.py "$tx/w/"
cp -a "$hgx" "$tx/w/roots/hgx"
cp -a "$mixed" "$tx/w/roots/mixed"
cp "$work/hgx/status.json" "$tx/w/hgx.json"
cp "$d/mixed.json" "$tx/w/mixed.json"
echo "# python3-nova $(chroot "$tx" dpkg-query -W -f='${Version}' python3-nova 2>/dev/null) in Debian 13"

# py31 NAME CHECKER ARGS...: a checker of /w run by the root's python3; the conf files are
# copied in first (ARGS name them below /w).
py31() {
	name=$1
	shift
	cp "$d"/*.conf "$tx/w/" 2>/dev/null
	if chroot "$tx" /usr/bin/python3 "$@" >"$log" 2>&1; then
		ok "$name ($(grep -c '^ok - ' "$log") checks)"
	else
		not_ok "$name" "$log"
	fi
}
t_rejects31() {
	name=$1
	shift
	cp "$d"/*.conf "$tx/w/" 2>/dev/null
	t_rejects "$name" chroot "$tx" /usr/bin/python3 "$@"
}

t "nova --release 2025.1 (legacy) on the HGX node" \
	eval '"$gpu_vfio" --root "$hgx" nova --release 2025.1 >"$d/e-hgx.conf"'
py31 "nova 2025.1 accepts the legacy HGX output (managed: no)" \
	/w/nova_check.py /w/e-hgx.conf /w/hgx.json --root /w/roots/hgx --managed no
t "nova --release 2025.1 (legacy) on the mixed node" \
	eval '"$gpu_vfio" --root "$mixed" nova --release 2025.1 >"$d/e-mixed.conf" 2>/dev/null'
py31 "nova 2025.1 accepts the legacy mixed output" \
	/w/nova_check.py /w/e-mixed.conf /w/mixed.json --root /w/roots/mixed --managed no
t "nova --release 2025.1 --placement on the HGX node" \
	eval '"$gpu_vfio" --root "$hgx" nova --release 2025.1 --placement >"$d/p-hgx.conf"'
py31 "nova 2025.1 in placement mode: the translator's class CUSTOM_H100, one alias" \
	/w/nova_check.py /w/p-hgx.conf /w/hgx.json --root /w/roots/hgx --managed no --placement
t "nova --release 2025.1 --placement on the mixed node" \
	eval '"$gpu_vfio" --root "$mixed" nova --release 2025.1 --placement >"$d/p-mixed.conf"'
py31 "nova 2025.1 in placement mode: dc-gpu (A100 PF, T4, A10) is one alias of one class" \
	/w/nova_check.py /w/p-mixed.conf /w/mixed.json --root /w/roots/mixed --managed no --placement
printf 'claim vendor=10de device=20f1,1eb8,2236 name=dc-gpu nova-resource-class=CUSTOM_DC nova-traits=CUSTOM_AMPERE,HW_GPU_API_CUDA_V8_0\nclaim vendor=10de device=2342 name=gh200\n' \
	>"$d/rc.policy"
t "nova-resource-class= and nova-traits= in placement mode" \
	eval '"$gpu_vfio" --root "$mixed" --policy "$d/rc.policy" nova --release 2025.1 --placement \
		>"$d/p-rc.conf" && grep -q "\"traits\": \"CUSTOM_AMPERE,HW_GPU_API_CUDA_V8_0\"" "$d/p-rc.conf"'
py31 "nova 2025.1: the translator gives CUSTOM_DC and the traits" \
	/w/nova_check.py /w/p-rc.conf /w/mixed.json --root /w/roots/mixed --managed no --placement \
	--rc dc-gpu=CUSTOM_DC
# The issue's failure, shown by nova: the legacy aliases (several specs for dc-gpu) with
# pci_in_placement on.
{ cat "$d/e-mixed.conf"; printf '[filter_scheduler]\npci_in_placement = True\n'; } >"$d/e-mixed-pip.conf"
t_rejects31 "nova 2025.1 refuses the legacy aliases when pci_in_placement is on" \
	/w/nova_check.py /w/e-mixed-pip.conf /w/mixed.json --root /w/roots/mixed --managed no
sed 's/"resource_class": "CUSTOM_GH200"/"resource_class": "CUSTOM_DC_GPU"/' "$d/p-mixed.conf" \
	>"$d/p-wrong-rc.conf"
t_rejects31 "rejects a device in another name's resource class" \
	/w/nova_check.py /w/p-wrong-rc.conf /w/mixed.json --root /w/roots/mixed --managed no --placement
t "kolla with 2025.1 placement: per-host and global parts" \
	eval '"$gpu_vfio" --root "$hgx" nova --release 2025.1 --placement --part compute --host hgx-01 \
		>"$d/k-hgx-host.conf" &&
	      "$gpu_vfio" --root "$mixed" nova --release 2025.1 --placement --part compute --host mixed-01 \
		>"$d/k-mixed-host.conf" &&
	      { "$gpu_vfio" --root "$hgx" nova --release 2025.1 --placement --part api &&
		"$gpu_vfio" --root "$mixed" nova --release 2025.1 --placement --part api; } >"$d/k-global.conf"'
py31 "kolla's merge for mixed-01 in Debian 13" /w/kolla_merge.py /w/k-mixed.conf /w/k-global.conf /w/k-mixed-host.conf
py31 "kolla's merge for hgx-01 in Debian 13" /w/kolla_merge.py /w/k-hgx.conf /w/k-global.conf /w/k-hgx-host.conf
cp "$tx/w/k-hgx.conf" "$tx/w/k-mixed.conf" "$d/" 2>/dev/null
py31 "nova 2025.1 accepts mixed-01's merged placement config with every alias" \
	/w/nova_check.py /w/k-mixed.conf /w/mixed.json --root /w/roots/mixed --managed no --placement --other-aliases
py31 "nova 2025.1 accepts hgx-01's merged placement config with every alias" \
	/w/nova_check.py /w/k-hgx.conf /w/hgx.json --root /w/roots/hgx --managed no --placement --other-aliases
rm -rf --one-file-system "$tx"
