#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Package test: build the Debian package with dpkg-buildpackage from a copy of the tree, run lintian, and check its files, conffile and initramfs trigger.
#
# Usage: tests/image/deb.sh WORKDIR RESULT_FILE
#
# The copy lives in WORKDIR (dpkg-buildpackage writes into debian/ and into the parent
# directory). Everything is compiled afresh, but the source packages this tree already
# fetched (build/src: kmod, xz-utils, libzstd, zlib) are taken along, so the package build
# does not download them again; --no-pre-clean keeps `make clean` from wiping them first.
#
# Test conditions are single-quoted strings that check() evaluates later:
# shellcheck disable=SC2016,SC2034,SC2317
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
work=$1
result=$2

# shellcheck source-path=SCRIPTDIR source=../support/tap.sh
. "$top/tests/support/tap.sh"
tap_tail=20
finish() {
	tap_finish "$result" deb
	exit
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
log=$work/build.log

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$work/gpu-vfio-$version
mkdir -p "$src/build"
# The sources, without git metadata and without build/ (which holds this very WORKDIR).
(cd "$top" && tar --exclude=./.git --exclude=./build -cf - .) | (cd "$src" && tar -xpf -)
if [ -f "$top/build/src/.fetched-trixie" ]; then
	cp -a "$top/build/src" "$src/build/src"
fi

t0=$(date +%s)
# A clean make environment: the MAKEFLAGS of `make check -k` are not the package build's.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	dpkg-buildpackage -b -us -uc --no-pre-clean) >"$log" 2>&1
rc=$?
secs=$(($(date +%s) - t0))
deb=
for f in "$work"/gpu-vfio_"$version"_*.deb; do
	[ -f "$f" ] && deb=$f
done
check "dpkg-buildpackage -b builds gpu-vfio_${version}_*.deb" '[ "$rc" -eq 0 ]' '[ -n "$deb" ]'
[ -n "$deb" ] || finish
echo "# package build: ${secs} s, $(($(stat -c %s "$deb") / 1024)) KiB"

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$work/files"
for path in \
	/usr/sbin/gpu-vfio \
	/usr/lib/systemd/system-generators/gpu-vfio-generator \
	/usr/share/initramfs-tools/hooks/gpu-vfio \
	/usr/share/initramfs-tools/scripts/init-top/gpu-vfio \
	/usr/lib/dracut/modules.d/50gpu-vfio/module-setup.sh \
	/usr/lib/dracut/modules.d/50gpu-vfio/gpu-vfio-pre-udev.sh \
	/usr/share/man/man8/gpu-vfio.8.gz \
	/usr/share/man/man8/gpu-vfio-generator.8.gz \
	/usr/share/man/man5/gpu-vfio.conf.5.gz \
	/usr/share/doc/gpu-vfio/examples/gpu-vfio.conf \
	/usr/share/doc/gpu-vfio/copyright \
	/etc/gpu-vfio.conf; do
	log=$work/files
	check "package holds $path" 'grep -qx "$path" "$work/files"'
done
log=$work/build.log

dpkg-deb -I "$deb" conffiles >"$work/conffiles" 2>/dev/null
check "/etc/gpu-vfio.conf is a conffile" 'grep -qx /etc/gpu-vfio.conf "$work/conffiles"'
dpkg-deb -I "$deb" triggers >"$work/triggers" 2>/dev/null
check "installing, upgrading or removing it rebuilds the initramfs (trigger)" \
	'grep -qx "activate-noawait update-initramfs" "$work/triggers"'

mkdir -p "$work/x"
dpkg-deb -x "$deb" "$work/x"
check "the shipped policy claims nothing (every line is a comment or blank)" \
	'[ -s "$work/x/etc/gpu-vfio.conf" ]' \
	'! grep -Ev "^[[:space:]]*(#|$)" "$work/x/etc/gpu-vfio.conf" >/dev/null'
check "the packaged hooks look for the program in /usr/sbin" \
	'grep -q "GPU_VFIO_BIN:-/usr/sbin/gpu-vfio" "$work/x/usr/share/initramfs-tools/hooks/gpu-vfio"' \
	'grep -q "GPU_VFIO_BIN:-/usr/sbin/gpu-vfio" "$work/x/usr/lib/dracut/modules.d/50gpu-vfio/module-setup.sh"'
check "the packaged boot scripts are executable" \
	'[ -x "$work/x/usr/share/initramfs-tools/hooks/gpu-vfio" ]' \
	'[ -x "$work/x/usr/share/initramfs-tools/scripts/init-top/gpu-vfio" ]' \
	'[ -x "$work/x/usr/lib/dracut/modules.d/50gpu-vfio/module-setup.sh" ]'

if command -v lintian >/dev/null; then
	lintian --fail-on error --suppress-tags-from-file /dev/null "$deb" >"$work/lintian.log" 2>&1
	rc=$?
	log=$work/lintian.log
	check "lintian reports no errors" '[ "$rc" -eq 0 ]' '! grep -q "^E: " "$work/lintian.log"'
	echo "# lintian: $(grep -c '^E: ' "$work/lintian.log") errors, $(grep -c '^W: ' "$work/lintian.log") warnings"
	grep -E '^(E|W): ' "$work/lintian.log" | sed 's/^/# /'
else
	not_ok "lintian is installed" "install lintian"
fi
finish
