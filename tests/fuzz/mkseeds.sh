#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the fuzz seed corpora in tests/fuzz/corpus/ from the test fixtures.
#
# Usage: tests/fuzz/mkseeds.sh BUILD_DIR   (run from the top of the tree; needs
# BUILD_DIR/gpu-vfio and BUILD_DIR/fakekernel for the state records, `make` builds both)
#
# policy:  the policy lines of every machine, examples/, the generator trees' policies
# cmdline: the machines' cmdline lines and the generator trees' proc/cmdline
# state:   state.json written by a real `gpu-vfio claim` on fixture machines
# grubcfg: each /etc/default/grub, alone and followed by a NUL and each of its grub.d files
# sysfs:   the attributes of every NVIDIA function of the fixture machines, in the format
#          of fuzz-sysfs.c (per attribute a length byte, 255 = absent, then the content)
set -eu

b=$1
c=tests/fuzz/corpus
m=tests/fixtures/machines
tmp=$(mktemp -d)
fk=
cleanup() {
	[ -z "$fk" ] || kill "$fk" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
for h in policy cmdline state grubcfg sysfs; do
	rm -rf "${c:?}/$h"
	mkdir -p "$c/$h"
done

for f in "$m"/*.machine; do
	n=${f##*/}
	n=${n%.machine}
	sed -n 's/^policy //p' "$f" >"$c/policy/$n.conf"
	[ -s "$c/policy/$n.conf" ] || rm -f "$c/policy/$n.conf"
	sed -n 's/^cmdline //p' "$f" >"$c/cmdline/$n"
	[ -s "$c/cmdline/$n" ] || rm -f "$c/cmdline/$n"
done
cp examples/gpu-vfio.conf "$c/policy/example.conf"
for d in tests/generator/*/; do
	n=$(basename "$d")
	[ ! -f "$d/etc/gpu-vfio.conf" ] || cp "$d/etc/gpu-vfio.conf" "$c/policy/gen-$n.conf"
	[ ! -f "$d/proc/cmdline" ] || cp "$d/proc/cmdline" "$c/cmdline/gen-$n"
	[ ! -f "$d/SYSTEMD_PROC_CMDLINE" ] || cp "$d/SYSTEMD_PROC_CMDLINE" "$c/cmdline/env-$n"
	g=$d/etc/default/grub
	[ -f "$g" ] || continue
	cp "$g" "$c/grubcfg/$n"
	for dropin in "$d"/etc/default/grub.d/*.cfg; do
		[ -f "$dropin" ] || continue
		{ cat "$g"; printf '\000'; cat "$dropin"; } >"$c/grubcfg/$n+${dropin##*/}"
	done
done

# A claim with the fake kernel serving sysfs writes, as tests/fixtures/README.md shows.
for n in turing-4fn two-identical pcistub-group sriov-vgpu shared-sata; do
	r=$tmp/$n
	sh tests/fixtures/mkroot.sh "$m/$n.machine" "$r"
	"$b/fakekernel" "$r" --load-driver vfio-pci >/dev/null 2>&1 &
	fk=$!
	i=0
	while [ ! -e "$r/.fake/ready" ] && [ "$i" -lt 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	"$b/gpu-vfio" --root "$r" claim >/dev/null 2>&1 || true
	kill "$fk"
	wait "$fk" 2>/dev/null || true
	fk=
	[ ! -f "$r/run/gpu-vfio/state.json" ] || cp "$r/run/gpu-vfio/state.json" "$c/state/$n.json"
done

# One length byte (octal for printf), then at most 254 bytes of content.
field() {
	if [ ! -e "$1" ] && [ ! -L "$1" ]; then
		printf '\377'
		return
	fi
	if [ -L "$1" ]; then
		readlink "$1" | tr -d '\n' | head -c 254 >"$tmp/field"
	else
		head -c 64 "$1" >"$tmp/field"
	fi
	# shellcheck disable=SC2059 # the format is the octal length escape
	printf "\\$(printf '%03o' "$(wc -c <"$tmp/field")")"
	cat "$tmp/field"
}
for n in turing-4fn hgx-h100 sriov-vgpu azure-nv-noiommu pcistub-group; do
	r=$tmp/sysfs-$n
	sh tests/fixtures/mkroot.sh "$m/$n.machine" "$r"
	for dev in "$r"/sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor")" = "0x10de" ] || continue
		{
			for a in config vendor device class modalias driver_override numa_node \
				sriov_numvfs boot_vga subsystem_vendor subsystem_device driver \
				iommu_group physfn; do
				field "$dev/$a"
			done
		} >"$c/sysfs/$n-${dev##*/}"
	done
done
