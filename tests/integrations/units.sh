# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by run.sh: the systemd units and the udev rule, installed as `make install` does.

d=$work/units
dest=$d/dest
t "make install-integrations installs the units and the rule" \
	make -C "$top" --no-print-directory install-integrations DESTDIR="$dest"
unitdir=$dest/usr/lib/systemd/system
t "gpu-vfio.service, gpu-vfio@.service and 60-gpu-vfio.rules are in place" \
	eval '[ -f "$unitdir/gpu-vfio.service" ] && [ -f "$unitdir/gpu-vfio@.service" ] &&
	      [ -f "$dest/usr/lib/udev/rules.d/60-gpu-vfio.rules" ]'

# systemd-analyze verify checks that ExecStart= programs exist: give it a root holding them.
mkdir -p "$dest/usr/sbin" "$dest/usr/bin"
cp "$gpu_vfio" "$dest/usr/sbin/gpu-vfio"
cp "$(command -v flock)" "$dest/usr/bin/flock"
t "systemd-analyze verify gpu-vfio.service" \
	eval 'systemd-analyze --root="$dest" verify --man=no /usr/lib/systemd/system/gpu-vfio.service 2>&1 |
	      tee "$d/verify.log"; [ ! -s "$d/verify.log" ]'
# A template cannot be verified, only an instance; systemd 252 rejects a ':' in the file
# name here, so the instance is "test".
cp "$unitdir/gpu-vfio@.service" "$d/gpu-vfio@test.service"
t "systemd-analyze verify gpu-vfio@.service (as an instance)" \
	eval 'systemd-analyze --root="$dest" verify --man=no "$d/gpu-vfio@test.service" 2>&1 |
	      tee "$d/verify@.log"; [ ! -s "$d/verify@.log" ]'
sed 's|/usr/sbin/gpu-vfio|/usr/sbin/gpu-vfio-missing|' "$unitdir/gpu-vfio.service" \
	>"$d/gpu-vfio-broken.service"
t_rejects "systemd-analyze verify rejects a unit whose program is missing" \
	systemd-analyze --root="$dest" verify --man=no "$d/gpu-vfio-broken.service"

t "gpu-vfio.service runs before systemd-udev-trigger.service, off sysinit.target" \
	eval 'grep -qx "Before=systemd-udev-trigger.service sysinit.target shutdown.target" "$unitdir/gpu-vfio.service" &&
	      grep -qx "WantedBy=sysinit.target" "$unitdir/gpu-vfio.service" &&
	      grep -qx "DefaultDependencies=no" "$unitdir/gpu-vfio.service"'
t "it is skipped when the initramfs already claimed (state.json)" \
	grep -qx "ConditionPathExists=!/run/gpu-vfio/state.json" "$unitdir/gpu-vfio.service"
t_rejects "no unit reads gpu-vfio=off itself: claim does, and records disabled" \
	grep -q "ConditionKernelCommandLine" "$unitdir/gpu-vfio.service" "$unitdir/gpu-vfio@.service"
t "gpu-vfio@.service runs claim --device with the instance, one at a time" \
	grep -qx "ExecStart=/usr/bin/flock /run/gpu-vfio/hotplug.lock /usr/sbin/gpu-vfio claim --device %i" \
	"$unitdir/gpu-vfio@.service"

# The metrics timer and service, and the textfile directory from tmpfiles.d.
t "gpu-vfio-metrics.service, gpu-vfio-metrics.timer and tmpfiles.d/gpu-vfio.conf are in place" \
	eval '[ -f "$unitdir/gpu-vfio-metrics.service" ] && [ -f "$unitdir/gpu-vfio-metrics.timer" ] &&
	      [ -f "$dest/usr/lib/tmpfiles.d/gpu-vfio.conf" ]'
t "the metrics service writes node_exporter's textfile atomically, the timer every minute" \
	eval 'grep -qx "ExecStart=/usr/sbin/gpu-vfio status --prometheus --textfile /var/lib/prometheus/node-exporter/gpu-vfio.prom" "$unitdir/gpu-vfio-metrics.service" &&
	      grep -qx "ReadWritePaths=/var/lib/prometheus/node-exporter" "$unitdir/gpu-vfio-metrics.service" &&
	      grep -qx "OnUnitActiveSec=1min" "$unitdir/gpu-vfio-metrics.timer" &&
	      grep -qx "WantedBy=timers.target" "$unitdir/gpu-vfio-metrics.timer"'
# Units with default dependencies need the targets: a root holding the host's.
vroot=$d/vroot
rm -rf "$vroot"
mkdir -p "$vroot/usr/lib/systemd/system" "$vroot/usr/sbin"
cp "$gpu_vfio" "$vroot/usr/sbin/gpu-vfio"
cp /lib/systemd/system/*.target "$vroot/usr/lib/systemd/system/"
cp "$unitdir/gpu-vfio-metrics.service" "$unitdir/gpu-vfio-metrics.timer" "$vroot/usr/lib/systemd/system/"
t "systemd-analyze verify gpu-vfio-metrics.service and gpu-vfio-metrics.timer" \
	eval 'systemd-analyze --root="$vroot" verify --man=no /usr/lib/systemd/system/gpu-vfio-metrics.service \
	      /usr/lib/systemd/system/gpu-vfio-metrics.timer 2>&1 | tee "$d/verify-m.log"; [ ! -s "$d/verify-m.log" ]'
tmpr=$d/tmpfiles-root
rm -rf "$tmpr"
mkdir -p "$tmpr"
t "systemd-tmpfiles creates the textfile directory when it is missing (root, 0755)" \
	eval 'systemd-tmpfiles --root="$tmpr" --create "$dest/usr/lib/tmpfiles.d/gpu-vfio.conf" &&
	      [ "$(stat -c "%U %a" "$tmpr/var/lib/prometheus/node-exporter")" = "root 755" ]'
chown 65534 "$tmpr/var/lib/prometheus/node-exporter"
chmod 0750 "$tmpr/var/lib/prometheus/node-exporter"
t "and leaves an existing one's owner and mode alone" \
	eval 'systemd-tmpfiles --root="$tmpr" --create "$dest/usr/lib/tmpfiles.d/gpu-vfio.conf" &&
	      [ "$(stat -c "%u %a" "$tmpr/var/lib/prometheus/node-exporter")" = "65534 750" ]'

# Hardening: systemd-analyze security's exposure, at most 3.0 (they were 9.5-9.6).
# exposure ROOT UNIT: the overall exposure level systemd-analyze prints.
exposure() {
	systemd-analyze security --offline=yes --root="$1" "$2" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}
cp "$unitdir/gpu-vfio.service" "$unitdir/gpu-vfio@.service" "$vroot/usr/lib/systemd/system/"
cp "$unitdir/gpu-vfio@.service" "$vroot/usr/lib/systemd/system/gpu-vfio@test.service"
mkdir -p "$vroot/usr/bin"
cp "$(command -v flock)" "$vroot/usr/bin/flock"
# The generated unit as check-generator proves the generator writes it (a failing setup).
cp "$top/tests/generator/14-irq-remapping-off/expected/gpu-vfio-iommu-check.service" \
	"$vroot/usr/lib/systemd/system/"
for u in gpu-vfio.service gpu-vfio@test.service gpu-vfio-metrics.service gpu-vfio-iommu-check.service; do
	e=$(exposure "$vroot" "$u")
	t "systemd-analyze security: $u exposure ${e:-?} <= 3.0" \
		awk -v e="${e:-99}" 'BEGIN { exit !(e <= 3.0) }'
done
sed '/^\[Service\]/,$ { /^CapabilityBoundingSet=/d; /^ProtectSystem=/d; /^SystemCallFilter=/d; /^PrivateDevices=/d; /^NoNewPrivileges=/d; /^ProtectHome=/d; /^PrivateNetwork=/d; /^RestrictAddressFamilies=/d; /^RestrictNamespaces=/d; }' \
	"$unitdir/gpu-vfio.service" >"$vroot/usr/lib/systemd/system/gpu-vfio-weak.service"
e=$(exposure "$vroot" gpu-vfio-weak.service)
t_rejects "the check can fail: without its main sandboxing the unit scores ${e:-?} > 3.0" \
	awk -v e="${e:-0}" 'BEGIN { exit !(e <= 3.0) }'
t "make install-integrations SBINDIR=/opt/sbin points the units there" \
	eval 'make -C "$top" --no-print-directory install-integrations DESTDIR="$d/opt" SBINDIR=/opt/sbin >/dev/null &&
	      grep -q "^ExecStart=/opt/sbin/gpu-vfio claim$" "$d/opt/usr/lib/systemd/system/gpu-vfio.service"'

# The instance name udev makes: a PCI address, which claim --device must accept as is.
t "systemd-escape keeps a PCI address as the instance (no escaping)" \
	eval '[ "$(systemd-escape --template=gpu-vfio@.service 0000:03:00.0)" = "gpu-vfio@0000:03:00.0.service" ]'

if udevadm verify --help >/dev/null 2>&1; then
	t "udevadm verify 60-gpu-vfio.rules" udevadm verify --no-style \
		"$dest/usr/lib/udev/rules.d/60-gpu-vfio.rules"
else
	echo "# skip: udevadm verify is not in this udev ($(udevadm --version 2>/dev/null)); the rule is checked by udev_rule_check.py only"
fi
py "the udev rule: syntax, GOTO/LABEL, and which fake uevents start gpu-vfio@%k.service" \
	"$here/udev_rule_check.py" "$dest/usr/lib/udev/rules.d/60-gpu-vfio.rules" "$unitdir"
sed 's/gpu-vfio@%k.service/gpu-vfio.service/' "$top/systemd/60-gpu-vfio.rules" >"$d/wrong-unit.rules"
t_rejects "the rule checker rejects a rule that wants the wrong unit" \
	"$python" "$here/udev_rule_check.py" "$d/wrong-unit.rules" "$unitdir"
sed 's/ATTR{vendor}=="0x10de"/ATTR{vendor}="0x10de"/' "$top/systemd/60-gpu-vfio.rules" \
	>"$d/assign.rules"
t_rejects "the rule checker rejects a match written as an assignment" \
	"$python" "$here/udev_rule_check.py" "$d/assign.rules" "$unitdir"
