#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Image tests: build real initramfs images with mkinitramfs and dracut for the installed Debian kernel, with the project's hook, script and module, and look inside them.
#
# Usage: tests/image/run.sh GPU_VFIO_BINARY WORKDIR RESULT_FILE
#
# Nothing of the system's configuration is used or changed: mkinitramfs gets a private
# CONFDIR (-d) holding our hook and init-top script, dracut a private dracutbasedir whose
# modules.d links the system's modules plus ours, and both read a test policy through
# GPU_VFIO_ROOT. Prints image sizes and build times with and without gpu-vfio.
#
# Test conditions are single-quoted strings that check() evaluates later:
# shellcheck disable=SC2016,SC2034,SC2317
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
result=$3

# shellcheck source-path=SCRIPTDIR source=../support/tap.sh
. "$top/tests/support/tap.sh"
finish() {
	tap_finish "$result" image
	exit
}

now() {
	date +%s.%N
}
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}
size_kib() {
	echo $(($(stat -c %s "$1") / 1024))
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
log=$work/last.log

if [ ! -x "$bin" ]; then
	not_ok "gpu-vfio binary $bin exists"
	finish
fi

# The newest installed Debian kernel that mkinitramfs can build for.
kver=
for d in /lib/modules/*; do
	k=${d##*/}
	[ -f "$d/modules.dep" ] || [ -d "$d/kernel" ] || continue
	[ -f "/boot/config-$k" ] || continue
	kver=$(printf '%s\n%s\n' "$kver" "$k" | sed '/^$/d' | sort -V | tail -n 1)
done
if [ -z "$kver" ]; then
	not_ok "an installed kernel with /boot/config-VERSION and /lib/modules/VERSION" \
		"install linux-image-amd64"
	finish
fi
echo "# kernel $kver"

# The test policies: a valid one (two files, plus entries gpu-vfio must ignore) and an
# invalid one whose error is on line 3.
good=$work/good
mkdir -p "$good/etc/gpu-vfio.d"
printf '# test policy\nclaim vendor=10de class=0300,0302 name=gpu\n' >"$good/etc/gpu-vfio.conf"
printf 'keep address=0000:65:00.0\n' >"$good/etc/gpu-vfio.d/10-keep.conf"
printf 'claim nonsense\n' >"$good/etc/gpu-vfio.d/README"
printf 'claim nonsense\n' >"$good/etc/gpu-vfio.d/.hidden.conf"
bad=$work/bad
mkdir -p "$bad/etc"
printf '# broken on purpose\nclaim vendor=10de\nclaim vendor=10de colour=green\n' \
	>"$bad/etc/gpu-vfio.conf"
unsafe=$work/unsafe
mkdir -p "$unsafe/etc"
cp "$good/etc/gpu-vfio.conf" "$unsafe/etc/gpu-vfio.conf"
chmod 664 "$unsafe/etc/gpu-vfio.conf"

"$bin" --root "$good" validate >"$log" 2>&1
rc=$?
check "gpu-vfio --root validate accepts the test policy" '[ "$rc" -eq 0 ]'

# The shipped example is /etc/gpu-vfio.conf of the Debian package: valid, claiming
# nothing, and every example rule in it valid once uncommented.
example=$top/examples/gpu-vfio.conf
"$bin" --policy "$example" validate >"$log" 2>&1
rc=$?
check "examples/gpu-vfio.conf is valid" '[ "$rc" -eq 0 ]'
check "examples/gpu-vfio.conf claims nothing (comments only)" \
	'! grep -Ev "^[[:space:]]*(#|$)" "$example" >/dev/null'
sed -n 's/^#\(claim\|keep\) /\1 /p' "$example" >"$work/example-rules.conf"
"$bin" --policy "$work/example-rules.conf" validate >"$log" 2>&1
rc=$?
check "every example rule of examples/gpu-vfio.conf is valid uncommented" '[ "$rc" -eq 0 ]' \
	"[ $(wc -l <"$work/example-rules.conf") -ge 5 ]"

# --- initramfs-tools ----------------------------------------------------------------------

# CONFDIR for mkinitramfs -d: the system's defaults with MODULES=list (only what hooks ask
# for, so the build is quick) and, in the gpu-vfio variant, our hook and init-top script.
make_confdir() {
	mkdir -p "$1/conf.d" "$1/hooks" "$1/scripts"
	cat >"$1/initramfs.conf" <<-EOF
		MODULES=list
		BUSYBOX=auto
		KEYMAP=n
		COMPRESS=zstd
		DEVICE=
		NFSROOT=auto
		RUNSIZE=10%
		FSTYPE=auto
	EOF
	: >"$1/modules"
}
make_confdir "$work/it-plain"
make_confdir "$work/it-conf"
mkdir -p "$work/it-conf/scripts/init-top"
install -m 0755 "$top/initramfs-tools/hooks/gpu-vfio" "$work/it-conf/hooks/gpu-vfio"
install -m 0755 "$top/initramfs-tools/scripts/init-top/gpu-vfio" \
	"$work/it-conf/scripts/init-top/gpu-vfio"

# mkinit CONFDIR ROOT OUT: build; status in $rc, output in $log, seconds in $secs.
mkinit() {
	t0=$(now)
	GPU_VFIO_BIN=$bin GPU_VFIO_ROOT=$2 TMPDIR=$work mkinitramfs -d "$1" -o "$3" "$kver" \
		>"$log" 2>&1
	rc=$?
	secs=$(elapsed "$t0" "$(now)")
}

mkinit "$work/it-plain" "$good" "$work/it-plain.img"
check "mkinitramfs builds an image without gpu-vfio" '[ "$rc" -eq 0 ]'
it_plain_secs=$secs

mkinit "$work/it-conf" "$good" "$work/it.img"
check "mkinitramfs builds an image with gpu-vfio" '[ "$rc" -eq 0 ]' '[ -s "$work/it.img" ]'
it_secs=$secs

lsinitramfs "$work/it.img" >"$work/it.list" 2>"$log"
has_file() {
	grep -Eq "$1" "$2"
}
check "initramfs-tools image holds usr/sbin/gpu-vfio" 'has_file "^usr/sbin/gpu-vfio$" "$work/it.list"'
check "initramfs-tools image holds the policy" \
	'has_file "^etc/gpu-vfio.conf$" "$work/it.list"' \
	'has_file "^etc/gpu-vfio.d/10-keep.conf$" "$work/it.list"'
check "initramfs-tools image leaves out non-policy files of gpu-vfio.d" \
	'! has_file "README|hidden" "$work/it.list"'
for m in vfio vfio-pci vfio-pci-core vfio_iommu_type1; do
	check "initramfs-tools image holds module $m" \
		"has_file '/kernel/drivers/vfio/(pci/)?$m\\.ko' \"\$work/it.list\""
done
check "initramfs-tools image holds pci-stub (it probes the IOMMU groups arm64 gives at probe)" \
	'has_file "/kernel/drivers/pci/pci-stub\.ko" "$work/it.list"'
check "initramfs-tools image holds scripts/init-top/gpu-vfio" \
	'has_file "^scripts/init-top/gpu-vfio$" "$work/it.list"'

mkdir -p "$work/it.x"
unmkinitramfs "$work/it.img" "$work/it.x" >"$log" 2>&1
# With microcode in front, unmkinitramfs puts the main archive under main/.
itx=$work/it.x
[ -d "$itx/main" ] && itx=$itx/main
check "the image's gpu-vfio is the built binary" 'cmp -s "$bin" "$itx/usr/sbin/gpu-vfio"'
check "the image's policy is the test policy" \
	'cmp -s "$good/etc/gpu-vfio.conf" "$itx/etc/gpu-vfio.conf"' \
	'cmp -s "$good/etc/gpu-vfio.d/10-keep.conf" "$itx/etc/gpu-vfio.d/10-keep.conf"'
order=$itx/scripts/init-top/ORDER
gv_line=$(grep -n '/scripts/init-top/gpu-vfio ' "$order" 2>/dev/null | cut -d: -f1)
udev_line=$(grep -n '/scripts/init-top/udev ' "$order" 2>/dev/null | cut -d: -f1)
check "scripts/init-top/ORDER runs gpu-vfio before udev" \
	'[ -n "$gv_line" ] && [ -n "$udev_line" ] && [ "$gv_line" -lt "$udev_line" ]'
echo "# ORDER: $(grep -v param.conf "$order" | sed 's|/scripts/init-top/||; s| "\$@"||' | tr '\n' ' ')"
chroot "$itx" /usr/sbin/gpu-vfio validate >"$log" 2>&1
rc=$?
check "gpu-vfio runs inside the image and accepts the image's policy" '[ "$rc" -eq 0 ]'

cp "$work/it.img" "$work/it-old.img"
mkinit "$work/it-conf" "$bad" "$work/it-old.img"
check "mkinitramfs fails on an invalid policy" '[ "$rc" -ne 0 ]'
check "mkinitramfs output names the error as FILE:LINE" 'grep -q "/etc/gpu-vfio.conf:3:" "$log"'
check "the previous initramfs-tools image is left untouched" 'cmp -s "$work/it.img" "$work/it-old.img"'

mkinit "$work/it-conf" "$unsafe" "$work/it-old.img"
check "mkinitramfs refuses a group-writable policy, naming it" '[ "$rc" -ne 0 ]' \
	'grep -q "/etc/gpu-vfio.conf: refusing policy: writable by group or others (mode 0664)" "$log"' \
	'cmp -s "$work/it.img" "$work/it-old.img"'

chmod 644 "$unsafe/etc/gpu-vfio.conf"
mkdir -p "$unsafe/etc/gpu-vfio.d"
cp "$good/etc/gpu-vfio.d/10-keep.conf" "$unsafe/etc/gpu-vfio.d/10-keep.conf"
chown 65534 "$unsafe/etc/gpu-vfio.d/10-keep.conf"
mkinit "$work/it-conf" "$unsafe" "$work/it-old.img"
check "mkinitramfs refuses a policy file owned by another user, naming it" '[ "$rc" -ne 0 ]' \
	'grep -q "/etc/gpu-vfio.d/10-keep.conf: refusing policy: owned by uid 65534, not 0" "$log"' \
	'cmp -s "$work/it.img" "$work/it-old.img"'
chown 0 "$unsafe/etc/gpu-vfio.d/10-keep.conf"
chmod 664 "$unsafe/etc/gpu-vfio.conf"

GPU_VFIO_BIN=$work/not-installed GPU_VFIO_ROOT=$good TMPDIR=$work \
	mkinitramfs -d "$work/it-conf" -o "$work/it-nobin.img" "$kver" >"$log" 2>&1
rc=$?
check "mkinitramfs succeeds without gpu-vfio once the package is removed" '[ "$rc" -eq 0 ]' \
	'! lsinitramfs "$work/it-nobin.img" | grep -q "^usr/sbin/gpu-vfio$"'

# --- dracut -------------------------------------------------------------------------------

# A private dracutbasedir: the system's dracut files, and a modules.d that links every
# system module plus ours, so /usr/lib/dracut/modules.d is left alone.
dbase=$work/dracut-base
mkdir -p "$dbase/modules.d" "$work/dracut-conf.d" "$work/dracut-tmp"
for f in /usr/lib/dracut/*; do
	[ "${f##*/}" = modules.d ] || ln -s "$f" "$dbase/${f##*/}"
done
for m in /usr/lib/dracut/modules.d/*; do
	[ "${m##*/}" = 50gpu-vfio ] || ln -s "$m" "$dbase/modules.d/${m##*/}"
done
cp -r "$top/dracut-module/50gpu-vfio" "$dbase/modules.d/50gpu-vfio"

# dracut_build ROOT OUT MODULES: status in $rc, output in $log, seconds in $secs.
dracut_build() {
	t0=$(now)
	dracutbasedir=$dbase GPU_VFIO_BIN=$bin GPU_VFIO_ROOT=$1 \
		dracut --conf /dev/null --confdir "$work/dracut-conf.d" --tmpdir "$work/dracut-tmp" \
		--no-hostonly --no-early-microcode --zstd --force --kver "$kver" \
		-m "$3" "$2" >"$log" 2>&1
	rc=$?
	secs=$(elapsed "$t0" "$(now)")
}

dracut_build "$good" "$work/dr-plain.img" "base"
check "dracut builds an image without gpu-vfio" '[ "$rc" -eq 0 ]'
dr_plain_secs=$secs

dracut_build "$good" "$work/dr.img" "base gpu-vfio"
check "dracut builds an image with gpu-vfio" '[ "$rc" -eq 0 ]' '[ -s "$work/dr.img" ]'
dr_secs=$secs

lsinitrd "$work/dr.img" >"$work/dr.list" 2>"$log"
# lsinitrd prints ls -l lines: the path is the last field (before " -> " for links).
awk '{ for (i = 1; i <= NF; i++) if ($i == "->") { NF = i - 1; break } print $NF }' \
	"$work/dr.list" >"$work/dr.paths"
check "dracut image holds usr/sbin/gpu-vfio" 'has_file "^usr/sbin/gpu-vfio$" "$work/dr.paths"'
check "dracut image holds the policy" \
	'has_file "^etc/gpu-vfio.conf$" "$work/dr.paths"' \
	'has_file "^etc/gpu-vfio.d/10-keep.conf$" "$work/dr.paths"'
check "dracut image leaves out non-policy files of gpu-vfio.d" '! has_file "README|hidden" "$work/dr.paths"'
for m in vfio vfio-pci vfio-pci-core vfio_iommu_type1; do
	check "dracut image holds module $m" \
		"has_file '/kernel/drivers/vfio/(pci/)?$m\\.ko' \"\$work/dr.paths\""
done
check "dracut image holds pci-stub (it probes the IOMMU groups arm64 gives at probe)" \
	'has_file "/kernel/drivers/pci/pci-stub\.ko" "$work/dr.paths"'
check "dracut image holds the pre-udev hook" \
	'has_file "^(usr/)?lib/dracut/hooks/pre-udev/40-gpu-vfio-pre-udev.sh$" "$work/dr.paths"'
check "dracut image without gpu-vfio has neither binary nor hook" \
	'! lsinitrd "$work/dr-plain.img" 2>/dev/null | grep -q -e usr/sbin/gpu-vfio -e gpu-vfio-pre-udev'

mkdir -p "$work/dr.x"
(cd "$work/dr.x" && lsinitrd --unpack "$work/dr.img") >"$log" 2>&1
check "dracut image's gpu-vfio is the built binary" 'cmp -s "$bin" "$work/dr.x/usr/sbin/gpu-vfio"'
check "dracut image's policy is the test policy" \
	'cmp -s "$good/etc/gpu-vfio.conf" "$work/dr.x/etc/gpu-vfio.conf"'

cp "$work/dr.img" "$work/dr-old.img"
dracut_build "$bad" "$work/dr-old.img" "base gpu-vfio"
check "dracut fails on an invalid policy" '[ "$rc" -ne 0 ]'
check "dracut output names the error as FILE:LINE" 'grep -q "/etc/gpu-vfio.conf:3:" "$log"'
check "the previous dracut image is left untouched" 'cmp -s "$work/dr.img" "$work/dr-old.img"'

dracut_build "$unsafe" "$work/dr-old.img" "base gpu-vfio"
check "dracut refuses a group-writable policy, naming it" '[ "$rc" -ne 0 ]' \
	'grep -q "/etc/gpu-vfio.conf: refusing policy: writable by group or others (mode 0664)" "$log"' \
	'cmp -s "$work/dr.img" "$work/dr-old.img"'

echo "# initramfs-tools: $(size_kib "$work/it-plain.img") KiB in ${it_plain_secs} s without gpu-vfio," \
	"$(size_kib "$work/it.img") KiB in ${it_secs} s with it (MODULES=list, zstd)"
echo "# dracut: $(size_kib "$work/dr-plain.img") KiB in ${dr_plain_secs} s without gpu-vfio (-m base)," \
	"$(size_kib "$work/dr.img") KiB in ${dr_secs} s with it (-m 'base gpu-vfio'), zstd"
echo "# gpu-vfio binary: $(size_kib "$bin") KiB"
finish
