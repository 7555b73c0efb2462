# SPDX-License-Identifier: GPL-2.0-or-later
# The VFIO variant driver of the boots (variant/qt_variant_vfio_pci.c), sourced by run.sh
# (after rows.sh: in_root). Built against Debian's linux-headers of the kernel a row boots,
# in a trixie root with gcc-14 (trixie-root.sh kbuild-amd64 KVER), or the cross compiler
# and the arm64 headers package for the arm64 kernel (kbuild-arm64 KVER). The module is
# cached under $QT_CACHE/variant/KVER-HASH (HASH of its source), stripped of debug info.
# The rows put it in the module tree they build images from (updates/, compressed as the
# row's modules are) and run depmod there, as an operator's DKMS or vendor package would.
# shellcheck shell=dash disable=SC2154 # run.sh sets here, out

variant_name=qt_variant_vfio_pci

# variant_build KVER: build (once) the module for kernel KVER (…-amd64 or …-arm64); sets
# variant_ko to its path. Logs in $out/variant-KVER.log.
variant_build() {
	_vk=$1
	_vlog=$out/variant-$_vk.log
	_vh=$(cat "$here/variant/Kbuild" "$here/variant/$variant_name.c" | sha256sum | cut -c1-12)
	_vd=${QT_CACHE:-/var/cache/gpu-vfio-qemu}/variant/$_vk-$_vh
	variant_ko=$_vd/$variant_name.ko
	[ -s "$variant_ko" ] && return 0
	case $_vk in
	*-arm64) _vr=kbuild-arm64 _vx="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" _vs=aarch64-linux-gnu-strip ;;
	*) _vr=kbuild-amd64 _vx='' _vs=strip ;;
	esac
	_vroot=$("$here/trixie-root.sh" "$_vr" "$_vk" 2>"$_vlog") || {
		echo "variant: cannot build the $_vr root for $_vk: $(tail -n 5 "$_vlog")" >&2
		return 1
	}
	rm -rf "$_vroot/tmp/variant"
	cp -r "$here/variant" "$_vroot/tmp/variant" || return 1
	# shellcheck disable=SC2086 # _vx: make's variables
	if ! in_root "$_vroot" make -C "/usr/src/linux-headers-$_vk" M=/tmp/variant $_vx modules \
		>>"$_vlog" 2>&1; then
		echo "variant: the module did not build against linux-headers-$_vk: $(tail -n 5 "$_vlog")" >&2
		return 1
	fi
	in_root "$_vroot" "$_vs" --strip-debug /tmp/variant/$variant_name.ko >>"$_vlog" 2>&1 &&
		mkdir -p "$_vd.tmp" && cp "$_vroot/tmp/variant/$variant_name.ko" "$_vd.tmp/" &&
		rm -rf "$_vd" && mv "$_vd.tmp" "$_vd" || return 1
	rm -rf "$_vroot/tmp/variant"
}

# variant_add MODDIR EXT: put the built module into the module tree MODDIR (lib/modules/KVER
# of a root), as updates/NAME.ko.EXT (xz with the kernel's CRC32 check, zst, or none).
variant_add() {
	mkdir -p "$1/updates"
	case $2 in
	xz) xz -C crc32 -c "$variant_ko" >"$1/updates/$variant_name.ko.xz" ;;
	zst) zstd -q -19 -c "$variant_ko" >"$1/updates/$variant_name.ko.zst" ;;
	*) cp "$variant_ko" "$1/updates/$variant_name.ko" ;;
	esac
}
