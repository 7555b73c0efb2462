#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Package test: the Debian source package built offline in clean Debian 12 and 13 roots,
# lintian, the install / rebuild / purge cycle there, and the RPM built, linted and unpacked.
#
# Usage: tests/packages/run.sh DISTDIR WORKDIR RESULT_FILE [SUITE...]
#
# DISTDIR holds what `make dist` made. The roots come from tests/packages/root.sh (cached
# tarballs); each is unpacked under WORKDIR and used inside a private mount namespace
# without network (unshare -m -n), so its /proc and /dev mounts end with the namespace
# even when this script is killed. SUITES defaults to "bookworm trixie"; "none" skips the
# Debian roots (the RPM part only).
#
# Test conditions are single-quoted strings that check() evaluates later:
# shellcheck disable=SC2016,SC2034
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
dist=$(cd "$1" && pwd)
work=$2
result=$3
shift 3
suites=${*:-bookworm trixie}
[ "$suites" != none ] || suites=

# shellcheck source-path=SCRIPTDIR source=../support/tap.sh
. "$top/tests/support/tap.sh"
log=/dev/null
tap_tail=25
# first GLOB...: the first existing path the patterns match, or nothing.
first() {
	for f in "$@"; do
		if [ -e "$f" ]; then
			echo "$f"
			return
		fi
	done
}
note() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# Remove a root: nothing is mounted in it outside its namespaces, but a lazy unmount of
# anything there first is cheap insurance before rm --one-file-system.
remove_root() {
	if [ -d "$1" ]; then
		grep -F " $1/" /proc/self/mounts | cut -d ' ' -f 2 | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null || :
		done
		rm -rf --one-file-system "$1"
	fi
}
cleanup() {
	for s in $suites; do
		remove_root "$work/root-$s"
	done
	remove_root "$work/rpmroot"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# in_root ROOT COMMAND: COMMAND (sh -c) chrooted in ROOT, no network, /proc and /dev mounted
# in a mount namespace of its own.
in_root() {
	unshare -m -n --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" || exit 125
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh -c "$1"' sh "$@"
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
version=$(cat "$top/VERSION")
debversion=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)

# --- debian/copyright carries every component's own paragraphs --------------------------
log=$work/copyright.diff
"$top/scripts/copyright.py" "$top/scripts/copyright-head.dep5" "$top/build/src" \
	kmod xz-utils libzstd zlib >"$work/copyright" 2>"$log"
diff -u "$top/debian/copyright" "$work/copyright" >>"$log" 2>&1
check "debian/copyright is scripts/copyright.py's output for the fetched components" \
	'[ ! -s "$log" ]'
for c in kmod xz-utils libzstd zlib; do
	check "debian/copyright covers $c/ with its licence" \
		'grep -q "^Files: $c/\\*" "$top/debian/copyright"'
done

# --- the source package (made by make dist) ----------------------------------------------
src=$dist
log=/dev/null
dsc=$src/gpu-vfio_$debversion.dsc
check "dpkg-source -b makes a 3.0 (quilt) source package with four components" \
	'[ -f "$dsc" ]' 'grep -qx "Format: 3.0 (quilt)" "$dsc"' \
	'[ "$(grep -c "gpu-vfio_$version.orig-[a-z-]*.tar.xz$" "$dsc")" -eq 12 ]' || :
note "source package: $(du -ck "$src"/gpu-vfio_* | tail -n 1 | cut -f 1) KiB"

# --- each Debian suite -----------------------------------------------------------------
for s in $suites; do
	[ -f "$dsc" ] || break
	log=$work/root-$s.log
	t0=$(date +%s)
	tar=$("$top/tests/packages/root.sh" "$s" "$top/debian/control" 2>"$log")
	check "$s: a clean root with the Build-Depends (mmdebstrap --variant=buildd, cached)" \
		'[ -n "$tar" ] && [ -f "$tar" ]' || continue
	r=$work/root-$s
	mkdir -p "$r"
	tar -C "$r" -xf "$tar"
	mkdir -p "$r/build"
	cp "$src"/gpu-vfio_* "$r/build/"
	note "$s: root $(basename "$tar") ready in $(($(date +%s) - t0)) s"

	log=$work/build-$s.log
	t0=$(date +%s)
	# nocheck: the unit tests run in the unit layer and in the RPM's %check.
	in_root "$r" "cd /build && dpkg-source -x gpu-vfio_$debversion.dsc gpu-vfio-$version &&
		cd gpu-vfio-$version && DEB_BUILD_OPTIONS=\"nocheck parallel=$(nproc)\" dpkg-buildpackage -us -uc -b" \
		>"$log" 2>&1
	rc=$?
	deb=$(first "$r"/build/gpu-vfio_"$debversion"_*.deb)
	check "$s: dpkg-buildpackage -us -uc -b without network" '[ "$rc" -eq 0 ]' '[ -n "$deb" ]' ||
		continue
	note "$s: package build $(($(date +%s) - t0)) s, $(($(stat -c %s "$deb") / 1024)) KiB"
	check "$s: the build used the component tarballs (no fetch)" \
		'! grep -q "fetch-source: fetching" "$log"' \
		'grep -q "build/src/kmod/libkmod/libkmod.c" "$log"'
	cp "$deb" "$work/"
	debname=$(basename "$deb")

	bu=$(dpkg-deb -f "$deb" Built-Using)
	note "$s: Built-Using: $bu"
	while read -r c srcpkg ver up; do
		check "$s: Built-Using names $srcpkg (= $ver)" \
			'printf "%s\n" "$bu" | tr "," "\n" | grep -qx " *$srcpkg (= $ver)"'
	done <"$dist/gpu-vfio_$version.components"

	log=$work/lintian-$s.log
	in_root "$r" "lintian --fail-on error,warning --display-info /build/$debname" >"$log" 2>&1
	rc=$?
	check "$s: lintian $debname: no error, no warning" '[ "$rc" -eq 0 ]' \
		'! grep -q "^[EW]: " "$log"' || :
	note "$s: lintian $(in_root "$r" 'lintian --version' 2>/dev/null): $(grep -c '^E: ' "$log") errors," \
		"$(grep -c '^W: ' "$log") warnings, $(grep -c '^I: ' "$log") info tags"
	grep -E '^(E|W|I): ' "$log" | sed "s/^/# $s: /"
	log=$work/lintian-source-$s.log
	in_root "$r" "lintian --fail-on error,warning --display-info /build/gpu-vfio_$debversion.dsc" \
		>"$log" 2>&1
	rc=$?
	check "$s: lintian on the source package: no error, no warning" '[ "$rc" -eq 0 ]' \
		'! grep -q "^[EW]: " "$log"' || :
	grep -E '^(E|W|I): ' "$log" | sed "s/^/# $s: /"
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$work/files-$s"

	# Install, rebuild, purge.
	snap() {
		in_root "$r" 'find / -xdev \( -path /proc -o -path /dev -o -path /sys -o -path /build \) \
			-prune -o -print' | sort >"$1"
	}
	log=$work/install-$s.log
	snap "$work/before-$s"
	# apt takes a local file as ./NAME; the network is cut, so nothing else can come in.
	in_root "$r" "cd /build && apt-get install -y ./$debname" >"$log" 2>&1
	rc=$?
	check "$s: apt install ./$debname runs the initramfs trigger" '[ "$rc" -eq 0 ]' \
		'grep -q "update-initramfs: Generating /boot/initrd.img-" "$log"' || continue
	img=$(first "$r"/boot/initrd.img-*)
	in_root "$r" "lsinitramfs /boot/${img##*/}" >"$work/image-$s" 2>&1
	log=$work/image-$s
	check "$s: the image holds gpu-vfio, its init-top script and the policy" \
		'grep -qx "usr/sbin/gpu-vfio" "$log"' \
		'grep -qx "scripts/init-top/gpu-vfio" "$log"' \
		'grep -qx "etc/gpu-vfio.conf" "$log"'
	log=$work/install-$s.log
	check "$s: gpu-vfio.service is enabled, not started" \
		'[ -L "$r/etc/systemd/system/sysinit.target.wants/gpu-vfio.service" ] ||
		 ls "$r"/etc/systemd/system/*.wants/gpu-vfio.service >/dev/null 2>&1'

	# What gpu-vfio-metrics.timer does every minute on a booted host (no systemd runs in
	# the root): the textfile, in the directory tmpfiles.d/gpu-vfio.conf creates.
	log=$work/metrics-$s.log
	in_root "$r" 'mkdir -p /var/lib/prometheus/node-exporter &&
		{ gpu-vfio status --prometheus --textfile /var/lib/prometheus/node-exporter/gpu-vfio.prom || :; } &&
		grep "^gpu_vfio_" /var/lib/prometheus/node-exporter/gpu-vfio.prom' >"$log" 2>&1
	check "$s: the metrics service's command writes the node_exporter textfile" \
		'[ -s "$log" ]' \
		'[ -L "$r/etc/systemd/system/timers.target.wants/gpu-vfio-metrics.timer" ]'
	log=$work/purge-$s.log
	in_root "$r" "apt-get purge -y gpu-vfio" >"$log" 2>&1
	rc=$?
	check "$s: apt purge gpu-vfio" '[ "$rc" -eq 0 ]'
	grep -q "update-initramfs" "$log" && note "$s: the purge ran update-initramfs itself"
	snap "$work/after-$s"
	# What Debian policy lets stay: dpkg's and apt's own state, caches and logs.
	diff "$work/before-$s" "$work/after-$s" | grep '^[<>]' |
		grep -v -E '^[<>] /var/(lib/dpkg|lib/apt|cache|log)(/|$)' >"$work/left-$s"
	log=$work/left-$s
	check "$s: purge leaves no file of the package (outside dpkg/apt state and logs)" \
		'[ ! -s "$log" ]'
	log=$work/rebuild-$s.log
	in_root "$r" "update-initramfs -u -k all && lsinitramfs /boot/${img##*/}" >"$log" 2>&1
	rc=$?
	check "$s: the image rebuilt after the purge has no gpu-vfio" '[ "$rc" -eq 0 ]' \
		'! grep -q "gpu-vfio" "$log"'
	remove_root "$r"
done

# --- RPM ---------------------------------------------------------------------------------
rpmtop=$work/rpmbuild
log=$work/rpmbuild.log
t0=$(date +%s)
# Debian's rpm has no rpmdb of the BuildRequires: --nodeps; the tools are installed by
# `make deps` (mk/packages.mk) instead.
unshare -n rpmbuild -ba --nodeps --define "_topdir $rpmtop" --define "_sourcedir $dist" \
	"$dist/gpu-vfio.spec" >"$log" 2>&1
rc=$?
rpm=$(first "$rpmtop"/RPMS/*/gpu-vfio-"$version"-1*.rpm)
srpm=$(first "$rpmtop"/SRPMS/gpu-vfio-"$version"-1*.src.rpm)
if check "rpmbuild -ba without network makes the RPM and the SRPM" '[ "$rc" -eq 0 ]' \
	'[ -n "$rpm" ]' '[ -n "$srpm" ]'; then
	note "rpm build $(($(date +%s) - t0)) s, $(($(stat -c %s "$rpm") / 1024)) KiB"
	check "%check ran the unit tests" 'grep -q "unit: [0-9]* passed, 0 failed" "$log"'
	cp "$rpm" "$srpm" "$work/"
	log=$work/rpmlint.log
	# rpm/rpmlint.toml: the EL settings Debian's rpmlint lacks (SPDX licences, gzip man
	# pages); rpm/gpu-vfio.rpmlintrc: the filters, each with its reason.
	rpmlint -c "$top/rpm/rpmlint.toml" -r "$top/rpm/gpu-vfio.rpmlintrc" "$rpm" "$srpm" >"$log" 2>&1
	check "rpmlint: no error" 'grep -q " 0 errors" "$log"' '! grep -q ": E: " "$log"' || :
	note "$(tail -n 1 "$log")"
	grep -E ': (E|W|I): ' "$log" | sed 's/^/# rpmlint: /'

	rpm -qlp "$rpm" >"$work/files-rpm" 2>/dev/null
	log=$work/files-rpm
	for path in /usr/sbin/gpu-vfio /usr/lib/systemd/system-generators/gpu-vfio-generator \
		/usr/lib/systemd/system/gpu-vfio.service /usr/lib/systemd/system/gpu-vfio@.service \
		/usr/lib/udev/rules.d/60-gpu-vfio.rules \
		/usr/lib/dracut/modules.d/50gpu-vfio/module-setup.sh \
		/usr/lib/dracut/modules.d/50gpu-vfio/gpu-vfio-pre-udev.sh \
		/usr/share/man/man8/gpu-vfio.8.gz /usr/share/man/man5/gpu-vfio.conf.5.gz \
		/etc/gpu-vfio.conf; do
		check "rpm -qlp lists $path" 'grep -qx "$path" "$log"'
	done
	check "the RPM has nothing of initramfs-tools" '! grep -q initramfs-tools "$log"'
	rpm -qp --configfiles "$rpm" >"$work/config-rpm" 2>/dev/null
	rpm -qp --queryformat '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm" >"$work/flags-rpm" 2>/dev/null
	log=$work/flags-rpm
	check "/etc/gpu-vfio.conf is %config(noreplace)" 'grep -qx "/etc/gpu-vfio.conf cn" "$log"'
	rpm -qp --scripts "$rpm" >"$work/scripts-rpm" 2>/dev/null
	log=$work/scripts-rpm
	check "the scriptlets rebuild with dracut --regenerate-all and cannot fail" \
		'[ "$(grep -c "dracut -f --regenerate-all" "$log")" -ge 2 ]' \
		'[ "$(grep -c "^exit 0$" "$log")" -ge 2 ]'
	rpm -qp --provides "$rpm" >"$work/provides-rpm" 2>/dev/null
	log=$work/provides-rpm
	check "the RPM provides bundled(kmod), (xz), (zstd), (zlib)" \
		'[ "$(grep -c "^bundled(" "$log")" -eq 4 ]'

	log=$work/rpmroot.log
	remove_root "$work/rpmroot"
	mkdir -p "$work/rpmroot"
	# The scriptlets (%post systemctl preset, %preun disable, %postun and %posttrans
	# dracut) need an EL system: --noscripts; the file set is what is checked.
	rpm --root "$work/rpmroot" --initdb >"$log" 2>&1
	rpm --root "$work/rpmroot" -i --nodeps --noscripts "$rpm" >>"$log" 2>&1
	rc=$?
	check "rpm --root into an empty directory installs every file" '[ "$rc" -eq 0 ]' \
		'[ -x "$work/rpmroot/usr/sbin/gpu-vfio" ]' \
		'[ -f "$work/rpmroot/usr/lib/dracut/modules.d/50gpu-vfio/module-setup.sh" ]' \
		'rpm --root "$work/rpmroot" -V --nodeps gpu-vfio >>"$log" 2>&1'
	remove_root "$work/rpmroot"
fi

tap_finish "$result" packages
