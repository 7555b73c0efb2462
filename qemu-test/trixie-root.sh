#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (once) and print the path of a cached Debian 13 (trixie) root with its own kernel and
# image builders, made by mmdebstrap from the mirror the system's apt sources use.
#
# Usage: qemu-test/trixie-root.sh [amd64|arm64|kbuild-amd64 KVER|kbuild-arm64 KVER]
#   amd64, arm64   the root of the rows: Debian's kernel and image builders
#   kbuild-ARCH    an amd64 root with gcc-14 and the linux-headers of kernel KVER of ARCH
#                  (arm64: the cross compiler and the amd64 linux-kbuild; the arm64 headers
#                  package unpacked), where variant.sh builds the test's variant driver
# The root is a directory /var/cache/gpu-vfio-qemu/roots/trixie-HASH, trixie-arm64-HASH or
# trixie-kbuild-ARCH-HASH (QT_CACHE overrides the parent), HASH covering the package list and
# ROOT_VERSION (raise it when a change here changes the root), so a changed list builds a
# new root and CI runs on one machine share it. It is built in a temporary directory and
# renamed, so a killed run leaves no half root behind. Callers copy it: rows change /etc and
# /lib. QT_MIRROR=URI overrides the mirror. Prints "# ..." progress lines on stderr.
# shellcheck shell=dash
set -eu

SUITE=trixie
ROOT_VERSION=1
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# The kernel, both builders (dracut-core: no hook replaces initramfs-tools' one), systemd
# for dracut's systemd-in-initrd variant, udev for its shell variant, the decompressors.
PKGS="linux-image-amd64 initramfs-tools dracut-core systemd udev kmod zstd xz-utils busybox
cpio"
ARCH=${1:-amd64}
name=$SUITE
# Set for kbuild-arm64: the arm64 headers package, unpacked into the root after the build.
unpack=
case $ARCH in
amd64) ;;
arm64)
	# The arm64 row (arm64.sh): Debian's arm64 kernel and initramfs-tools only, built by
	# the arm64 binaries under qemu-user (qemu-user-static registers qemu-aarch64 in
	# binfmt_misc with the F flag, so it works inside the chroot).
	PKGS="linux-image-arm64 initramfs-tools busybox kmod xz-utils zstd cpio"
	name=$SUITE-arm64
	;;
kbuild-amd64 | kbuild-arm64)
	kv=${2:?usage: trixie-root.sh $ARCH KVER}
	# 6.12.57+deb13-arm64: the headers of the flavour, the common headers and kbuild of the
	# version (6.12.57+deb13).
	ver=${kv%-*}
	PKGS="make xz-utils linux-headers-$ver-common linux-kbuild-$ver"
	case $ARCH in
	kbuild-amd64) PKGS="$PKGS gcc-14 linux-headers-$kv" ;;
	*)
		PKGS="$PKGS gcc-14-aarch64-linux-gnu binutils-aarch64-linux-gnu"
		unpack=linux-headers-$kv
		;;
	esac
	name=$SUITE-$ARCH
	ARCH=amd64
	;;
*)
	echo "trixie-root: unknown root '$ARCH' (amd64, arm64, kbuild-amd64 KVER, kbuild-arm64 KVER)" >&2
	exit 2
	;;
esac

cache=${QT_CACHE:-/var/cache/gpu-vfio-qemu}/roots
# The amd64 key is the one of the script before it took an architecture (its cache stays).
hash=$(echo "$SUITE $ROOT_VERSION $PKGS" | sha256sum | cut -c1-12)
[ "$name" = "$SUITE" ] || hash=$(echo "$SUITE $name $ROOT_VERSION $PKGS $unpack" | sha256sum | cut -c1-12)
root=$cache/$name-$hash

if [ -d "$root" ]; then
	echo "# $name root: cached $root" >&2
	echo "$root"
	exit 0
fi

# The Debian archive the system's apt sources use (the mirror of bookworm carries trixie).
mirror=${QT_MIRROR:-}
if [ -z "$mirror" ]; then
	# shellcheck disable=SC2016 # apt-get expands the $(FIELD)s
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(ORIGIN)' 2>/dev/null |
		awk '$2 == "bookworm" && $3 == "Debian" { print $1; exit }')
fi
[ -n "$mirror" ] || {
	echo "trixie-root: no Debian bookworm mirror in the system's apt sources; set QT_MIRROR" >&2
	exit 1
}
# Debian 12's debian-archive-keyring (2023.3+deb12u1 and later) carries the trixie keys.
if ! gpg --no-default-keyring --keyring "$KEYRING" --list-keys 2>/dev/null | grep -qi trixie; then
	echo "trixie-root: $KEYRING has no trixie key: upgrade debian-archive-keyring" >&2
	exit 1
fi

if [ "$name" = "$SUITE-arm64" ]; then
	# mmdebstrap runs the foreign root's maintainer scripts through binfmt_misc.
	"$(dirname "$0")/../scripts/arm64-binfmt.sh"
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$root.tmp.XXXXXX")
cleanup() {
	# mmdebstrap unmounts what it mounted; a killed run may leave them: lazy unmount first.
	for m in proc sys dev; do
		umount -R -l "$tmp/$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
chmod 755 "$tmp"

start=$(date +%s)
echo "# $name root: building with mmdebstrap from $mirror" >&2
set --
if [ -n "$unpack" ]; then
	# apt-get download in the root, which also knows arm64; dpkg-deb -x, no dependencies.
	set -- --customize-hook="chroot \"\$1\" sh -c 'cd /tmp && apt-get download -q $unpack:arm64' && dpkg-deb -x \"\$1\"/tmp/$unpack*.deb \"\$1\" && rm \"\$1\"/tmp/$unpack*.deb"
	ARCH=amd64,arm64
fi
# update-initramfs is diverted to true while the packages are installed: the kernel's
# postinst would build an image nobody uses (under qemu-user, most of the arm64 root's time:
# 17 minutes with it, 5 without).
# shellcheck disable=SC2016 # mmdebstrap expands $1 (the root) in its hooks
mmdebstrap --quiet --arch="$ARCH" --variant=apt "$@" --include="$(echo "$PKGS" | tr ' \n' ',,' | sed 's/,$//')" \
	--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
	--customize-hook='rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs' \
	--keyring="$KEYRING" "$SUITE" "$tmp" \
	"deb [signed-by=$KEYRING] $mirror $SUITE main" >&2
# An image some trigger built after all: not needed, drop it.
rm -f "$tmp"/boot/initrd.img-*
mv "$tmp" "$root"
trap - EXIT
echo "# $name root: built in $(($(date +%s) - start)) s, $(du -sm "$root" | cut -f1) MiB" >&2
echo "$root"
