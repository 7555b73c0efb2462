#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A clean Debian root (mmdebstrap --variant=buildd) with the package's Build-Depends and
# what the install test needs, cached as a tarball keyed by suite and package list.
#
# Usage: tests/packages/root.sh SUITE CONTROL
#
# The root holds CONTROL's Build-Depends and EXTRA: the builder's tools, lintian, and a
# kernel with initramfs-tools for the install test (the package triggers update-initramfs).
#
# Prints the path of the tarball: $PKG_ROOT_CACHE (default /var/cache/gpu-vfio-pkg/roots)
# /SUITE-HASH.tar, where HASH covers the suite, the mirror and the sorted package list.
# It is built into a temporary file and renamed, so a killed run leaves no half root.
set -eu

die() {
	echo "pkg-root: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 SUITE CONTROL"
suite=$1
control=$2
EXTRA="dpkg-dev lintian linux-image-amd64 initramfs-tools zstd"
cache=${PKG_ROOT_CACHE:-/var/cache/gpu-vfio-pkg/roots}
mirror=${PKG_MIRROR:-http://deb.debian.org/debian}

# Build-Depends of CONTROL, one name a line, without versions, alternatives beyond the
# first, architecture or profile restrictions; debhelper-compat is the debhelper package.
build_deps() {
	awk '
	/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
	on && /^[ \t]/ { print; next }
	{ on = 0 }' "$1" | tr ',' '\n' | sed -e 's/|.*//' -e 's/[[(<].*//' -e 's/[ \t]//g' |
		sed -e '/^$/d' -e 's/^debhelper-compat$/debhelper/'
}

pkgs=$( { build_deps "$control"; for p in $EXTRA; do echo "$p"; done; } | sort -u | tr '\n' ' ')
key=$(printf '%s\n%s\n%s\n' "$suite" "$mirror" "$pkgs" | sha256sum | cut -c1-16)
tar=$cache/$suite-$key.tar
if [ -f "$tar" ]; then
	echo "$tar"
	exit 0
fi

command -v mmdebstrap >/dev/null || die "mmdebstrap not found"
mkdir -p "$cache"
tmp=$(mktemp "$cache/.$suite-$key.XXXXXX")
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
echo "pkg-root: building $tar ($suite: $pkgs)" >&2
t0=$(date +%s)
# shellcheck disable=SC2086
mmdebstrap --quiet --variant=buildd --mode=root --format=tar \
	--include="$(echo $pkgs | tr ' ' ',')" \
	--aptopt='Acquire::Retries "3"' \
	"$suite" "$tmp" "$mirror" >&2 || die "mmdebstrap $suite failed"
mv "$tmp" "$tar"
trap - EXIT
echo "pkg-root: $tar built in $(($(date +%s) - t0)) s, $(($(stat -c %s "$tar") / 1048576)) MiB" >&2
echo "$tar"
