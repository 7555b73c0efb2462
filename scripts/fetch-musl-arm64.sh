#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Unpack Debian's musl for arm64 (musl and musl-dev, the suite the system runs) into DEST:
#   scripts/fetch-musl-arm64.sh DEST
# DEST then holds usr/lib/aarch64-linux-musl (crt objects, libc.a, musl-gcc.specs) and
# usr/include/aarch64-linux-musl.  The system's apt and dpkg configuration is not changed:
# apt reads the system's sources (read only) with its lists, caches and state in a scratch
# directory, asked for the arm64 architecture; the packages are authenticated by apt as
# usual (signed Release -> Packages -> .deb hashes) and unpacked with dpkg-deb -x.
set -eu

die() {
	echo "fetch-musl-arm64: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 DEST"
dest=${1%/}
[ -f "$dest/usr/lib/aarch64-linux-musl/musl-gcc.specs" ] && exit 0
command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian system"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

mkdir -p "$dest"
work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
work=$(cd "$work" && pwd)
chmod 755 "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/dl" "$work/root"
: >"$work/status"
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$work/lists/partial" "$work/cache/archives/partial" "$work/dl"
fi

apt_private() {
	apt-get -q \
		-o APT::Architecture=arm64 \
		-o APT::Architectures=arm64 \
		-o Dir::State::Lists="$work/lists" \
		-o Dir::State::status="$work/status" \
		-o Dir::State::extended_states="$work/extended_states" \
		-o Dir::Cache="$work/cache" \
		-o Dir::Cache::pkgcache= \
		-o Dir::Cache::srcpkgcache= \
		"$@"
}

echo "fetch-musl-arm64: fetching musl and musl-dev for arm64" >&2
apt_private update --error-on=any >&2 || die "apt-get update (arm64 indexes) failed"
(cd "$work/dl" && apt_private download musl musl-dev) >&2 ||
	die "apt-get download musl musl-dev (arm64) failed"
for deb in "$work"/dl/*.deb; do
	[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || die "$(basename "$deb") is not arm64"
	dpkg-deb -x "$deb" "$work/root"
	echo "fetch-musl-arm64: unpacked $(basename "$deb")" >&2
done
[ -f "$work/root/usr/lib/aarch64-linux-musl/musl-gcc.specs" ] ||
	die "musl-dev:arm64 has no usr/lib/aarch64-linux-musl/musl-gcc.specs"
[ -f "$work/root/usr/lib/aarch64-linux-musl/rcrt1.o" ] ||
	die "musl-dev:arm64 has no rcrt1.o: cannot link static-pie"
cp -a "$work/root/." "$dest/"
