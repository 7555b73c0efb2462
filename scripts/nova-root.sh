#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A Debian 13 (trixie) root with python3-nova (2025.1) and python3-yaml, made with mmdebstrap
# and cached as a tarball outside the clone, for the integration tests that judge
# `gpu-vfio nova` with a second nova release.
#
# Usage: scripts/nova-root.sh [CACHE_DIR]      (default /var/cache/gpu-vfio-nova)
# Prints the path of CACHE_DIR/trixie-HASH.tar; HASH covers this script, so a change of the
# package list makes a new tarball. The tarball is written to a temporary name and renamed,
# so a killed run never leaves a half tarball under the final name. mmdebstrap's own
# temporary root is unmounted and removed by mmdebstrap. NOVA_MIRROR=URI overrides the mirror.
set -eu

cache=${1:-/var/cache/gpu-vfio-nova}
mirror=${NOVA_MIRROR:-http://deb.debian.org/debian}
pkgs=python3-nova,python3-yaml
hash=$(sha256sum "$0" | cut -c1-12)
tar=$cache/trixie-$hash.tar

if [ -s "$tar" ]; then
	echo "$tar"
	exit 0
fi
mkdir -p "$cache"
tmp=$tar.tmp.$$
trap 'rm -f "$tmp"' EXIT
trap 'exit 1' INT TERM
# --variant=apt: no init or daemons; the nova package's postinst only adds a user.
mmdebstrap --quiet --variant=apt --include="$pkgs" --format=tar \
	--aptopt='Acquire::Retries "3"' trixie "$tmp" "$mirror" >&2
mv "$tmp" "$tar"
trap - EXIT
# Older tarballs of this cache (a changed script) are not needed any more.
for f in "$cache"/trixie-*.tar; do
	[ "$f" = "$tar" ] || rm -f "$f"
done
echo "$tar"
