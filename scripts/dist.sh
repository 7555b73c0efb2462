#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Make the source tarballs of gpu-vfio from a git checkout, for the Debian and RPM packages.
#
# Usage: scripts/dist.sh SRCDIR OUTDIR
#
# Writes into OUTDIR:
#   gpu-vfio_VERSION.orig.tar.xz             git archive of HEAD (with uncommitted changes of
#                                            tracked files: git stash create) but debian/,
#                                            gpu-vfio-VERSION/
#   gpu-vfio_VERSION.orig-COMPONENT.tar.xz   one per third-party source in SRCDIR (the Debian
#                                            source trees fetched by scripts/fetch-source.sh:
#                                            kmod, xz-utils, libzstd, zlib), COMPONENT/ inside
#   gpu-vfio_VERSION.components              "COMPONENT SOURCE DEBIAN-VERSION UPSTREAM-VERSION"
#   gpu-vfio.spec                            rpm/gpu-vfio.spec.in with these versions filled in
#   gpu-vfio_DEBVERSION.dsc, .debian.tar.xz  the Debian 3.0 (quilt) source package of them
#                                            (debian/ from the same git tree)
# The tarballs are reproducible: sorted names, owner 0, the mtime of the last commit or of the
# component's debian/changelog entry, single-threaded xz.
set -eu

COMPONENTS="kmod xz-utils libzstd zlib"

die() {
	echo "dist: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 SRCDIR OUTDIR"
srcdir=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || die "$top is not a git checkout"
version=$(cat "$top/VERSION")
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d "$out/.dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# tarxz DIR NAME MTIME OUTPUT: DIR/NAME as a reproducible .tar.xz with NAME/ at the top.
tarxz() {
	tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$3" \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-cf - "$2" | xz -6 -T1 >"$4.tmp"
	mv "$4.tmp" "$4"
}

tree=$(git -C "$top" stash create)
[ -n "$tree" ] || tree=HEAD
# Without debian/: the Debian source package carries it in its own debian.tar.
git -C "$top" archive --format=tar --prefix="gpu-vfio-$version/" "$tree" -- . ':(exclude)debian' |
	xz -6 -T1 \
	>"$tmp/orig.tar.xz"
mv "$tmp/orig.tar.xz" "$out/gpu-vfio_$version.orig.tar.xz"
echo "dist: gpu-vfio_$version.orig.tar.xz ($(git -C "$top" rev-parse --short "$tree"))" >&2

: >"$tmp/components"
for c in $COMPONENTS; do
	cl=$srcdir/$c/debian/changelog
	[ -f "$cl" ] || die "$srcdir/$c: no Debian source tree (run scripts/fetch-source.sh first)"
	src=$(dpkg-parsechangelog -l "$cl" -S Source)
	ver=$(dpkg-parsechangelog -l "$cl" -S Version)
	ts=$(dpkg-parsechangelog -l "$cl" -S Timestamp)
	up=${ver#*:}
	up=${up%-*}
	# The tree as dpkg-source -x left it (Debian's patches applied), without quilt's .pc.
	mkdir -p "$tmp/c"
	cp -a "$srcdir/$c/." "$tmp/c/$c"
	rm -rf "$tmp/c/$c/.pc"
	tarxz "$tmp/c" "$c" "$ts" "$out/gpu-vfio_$version.orig-$c.tar.xz"
	rm -rf "$tmp/c"
	echo "$c $src $ver $up" >>"$tmp/components"
	echo "dist: gpu-vfio_$version.orig-$c.tar.xz ($src $ver)" >&2
done
mv "$tmp/components" "$out/gpu-vfio_$version.components"

# The spec: @VERSION@ and @COMPONENT_UPSTREAM@ / @COMPONENT_DEBIAN@ (upper case, - as _).
set --
while read -r c _ _ _; do
	u=$(echo "$c" | tr 'a-z-' 'A-Z_')
	set -- "$@" -e "s|@${u}_UPSTREAM@|$up|g" -e "s|@${u}_DEBIAN@|$ver|g"
done <"$out/gpu-vfio_$version.components"
sed -e "s|@VERSION@|$version|g" "$@" "$top/rpm/gpu-vfio.spec.in" >"$tmp/spec"
if grep -n '@[A-Z_]*@' "$tmp/spec" >&2; then
	die "rpm/gpu-vfio.spec.in: placeholders left"
fi
mv "$tmp/spec" "$out/gpu-vfio.spec"
echo "dist: gpu-vfio.spec" >&2

# The Debian source package: the tarballs unpacked as dpkg-source -x would, debian/ added.
debversion=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
d=$tmp/deb/gpu-vfio-$version
mkdir -p "$d"
tar -C "$tmp/deb" -xf "$out/gpu-vfio_$version.orig.tar.xz"
while read -r c _ _ _; do
	tar -C "$d" -xf "$out/gpu-vfio_$version.orig-$c.tar.xz"
done <"$out/gpu-vfio_$version.components"
git -C "$top" archive --format=tar "$tree" debian | tar -C "$d" -xf -
ln -s "$out"/gpu-vfio_"$version".orig*.tar.xz "$tmp/deb/"
rm -f "$out/gpu-vfio_$debversion.dsc" "$out/gpu-vfio_$debversion.debian.tar.xz"
(cd "$tmp/deb" && dpkg-source -b "gpu-vfio-$version" >"$tmp/dpkg-source.log" 2>&1) || {
	cat "$tmp/dpkg-source.log" >&2
	die "dpkg-source -b failed"
}
mv "$tmp/deb/gpu-vfio_$debversion.debian.tar.xz" "$tmp/deb/gpu-vfio_$debversion.dsc" "$out/"
echo "dist: gpu-vfio_$debversion.dsc" >&2
