#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The report of the systemd guest (systemd.sh): installed as /usr/local/sbin/qt-guest and
# run by qt-guest.service once the Debian 13 root booted with systemd as init. It waits for
# the boot to finish, writes what systemctl, journalctl and sysfs say as "@@qt ..." lines to
# the second serial port (/dev/ttyS1, a file on the host), takes part in the host's hotplug
# steps, and powers the machine off.
#
# The scenario comes from qt.scenario= on the kernel command line:
#   main   no gpu-vfio in the initramfs: gpu-vfio.service claims; hotplug, unplug, release
#          and claim again; the metrics timer's textfile
#   off    gpu-vfio=off: claim records that it was switched off
#   offon  gpu-vfio=off gpu-vfio=on: the last one wins, the GPU is claimed
#   nomu   no IOMMU: the generator's check unit fails and says why
# shellcheck shell=dash
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

out=/dev/ttyS1
stty -F "$out" raw -echo 2>/dev/null
say() {
	printf '@@qt %s\n' "$*" >"$out"
}
# say_file TAG FILE: each line of FILE as "@@qt TAG line".
say_file() {
	sed "s/^/@@qt $1 /" "$2" >"$out"
}
# say_cmd TAG CMD...: CMD's output, then its exit status as "@@qt TAG-rc N".
say_cmd() {
	_tag=$1
	shift
	"$@" >/run/qt-out 2>&1
	_rc=$?
	say_file "$_tag" /run/qt-out
	say "$_tag-rc $_rc"
}

scenario=$(sed -n 's/.*qt\.scenario=\([a-z]*\).*/\1/p' /proc/cmdline)
say "begin scenario=$scenario uptime=$(cut -d' ' -f1 /proc/uptime)"
say "cmdline $(cat /proc/cmdline)"

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS (a poll takes about a
# second under TCG, so this counts time, not tries).
wait_for() {
	_end=$(($(cut -d. -f1 /proc/uptime) + $1))
	shift
	while ! "$@"; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ] || return 1
		sleep 1
	done
}

link_name() {
	if [ -e "$1" ]; then
		basename "$(readlink "$1")"
	else
		echo -
	fi
}

devices() {
	for d in /sys/bus/pci/devices/*; do
		_bv=-
		[ -e "$d/boot_vga" ] && _bv=$(cat "$d/boot_vga")
		say "dev ${d##*/} $(cut -c3- "$d/vendor") $(cut -c3- "$d/device")" \
			"$(cut -c3- "$d/class") $(link_name "$d/driver") $(link_name "$d/iommu_group") $_bv"
	done
}

# unit UNIT: the unit's state, result, exit status, and on the monotonic clock (microseconds,
# the kernel log's clock) when it left inactive, became active and became inactive again.
unit() {
	say "unit $1 $(systemctl show -P ActiveState "$1") $(systemctl show -P Result "$1")" \
		"$(systemctl show -P ExecMainStatus "$1")" \
		"$(systemctl show -P InactiveExitTimestampMonotonic "$1")" \
		"$(systemctl show -P ActiveEnterTimestampMonotonic "$1")" \
		"$(systemctl show -P InactiveEnterTimestampMonotonic "$1")"
}

snapshot() {
	devices
	say "vfio $(cd /dev/vfio 2>/dev/null && echo *)"
	say "iommu-class $(cd /sys/class/iommu 2>/dev/null && echo *)"
	_st=
	[ -r /run/gpu-vfio/state.json ] && _st=$(tr '\n' ' ' </run/gpu-vfio/state.json)
	say "state $_st"
	gpu-vfio status --json >/run/qt-json 2>&1
	say "json-rc $?"
	say "json $(tr '\n' ' ' </run/qt-json)"
	say_cmd status gpu-vfio status
	say "metric $(gpu-vfio status --prometheus 2>/dev/null | grep -E '^gpu_vfio_(claim_disabled|iommufd_available) ' | tr '\n' ' ')"
}

# find_dev VENDOR DEVICE CLASS6 [NOT]: the first PCI address with these ids other than NOT.
find_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "${d##*/}" = "${4:-}" ] && continue
		[ "$(cat "$d/vendor"):$(cat "$d/device"):$(cat "$d/class")" = "0x$1:0x$2:0x$3" ] &&
			echo "${d##*/}" && return 0
	done
	return 1
}
on_driver() {
	[ "$(link_name "/sys/bus/pci/devices/$1/driver")" = "$2" ]
}

# ---- every scenario: the boot as systemd saw it ----
# "degraded" is an answer too (nomu: the check unit fails).
timeout 400 systemctl is-system-running --wait >/dev/null 2>&1
say "system $(systemctl is-system-running 2>&1)"
systemctl --failed --no-legend --plain >/run/qt-failed 2>&1
say_file failed /run/qt-failed
say "analyze $(systemd-analyze time 2>&1 | head -n 1)"
say "generated $(find /run/systemd/generator /run/systemd/generator.early \
	/run/systemd/generator.late -name 'gpu-vfio*' 2>/dev/null | sort | tr '\n' ' ')"
for u in gpu-vfio.service systemd-udev-trigger.service systemd-udevd.service \
	gpu-vfio-iommu-check.service sysinit.target multi-user.target; do
	unit "$u"
done
for u in $(systemctl list-units --all --no-legend --plain 'gpu-vfio@*' | cut -d' ' -f1); do
	unit "$u"
done
say "userspace $(systemctl show -P UserspaceTimestampMonotonic)" \
	"finish $(systemctl show -P FinishTimestampMonotonic)"
snapshot

case $scenario in
nomu)
	say_cmd check-status systemctl status --no-pager -l gpu-vfio-iommu-check.service
	journalctl -b -u gpu-vfio-iommu-check.service -o cat --no-pager >/run/qt-j 2>&1
	say_file check-journal /run/qt-j
	say_cmd check-unit systemctl cat gpu-vfio-iommu-check.service
	say "exposure gpu-vfio-iommu-check.service $(systemd-analyze security --no-pager gpu-vfio-iommu-check.service 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')"
	;;
main)
	gpu=$(find_dev 1234 1111 038000)
	# ---- hotplug: the host adds a card (GPU .0 and audio .1) into the root port ----
	say "hotplug-ready $(cut -d' ' -f1 /proc/uptime)"
	new=
	newaud=
	newdev() {
		new=$(find_dev 1234 1111 038000 "$gpu") || return 1
		newaud=${new%.*}.1
		[ -e "/sys/bus/pci/devices/$newaud" ] || return 1
		on_driver "$new" vfio-pci && on_driver "$newaud" vfio-pci
	}
	if wait_for 150 newdev; then
		say "hotplug-bound $new $newaud $(cut -d' ' -f1 /proc/uptime)"
	else
		say "hotplug-timeout new=${new:-none} aud=${newaud:-none}"
	fi
	# Let udev and the units finish with the event before reading them.
	udevadm settle --timeout=60
	wait_for 60 sh -c '! systemctl list-jobs --no-legend | grep -q gpu-vfio@'
	# By name: a oneshot unit that finished may be gone from list-units already.
	for u in "gpu-vfio@$new.service" "gpu-vfio@$newaud.service"; do
		unit "$u"
		journalctl -b -u "$u" -o short-monotonic --no-pager >/run/qt-j 2>&1
		say_file "journal-$u" /run/qt-j
	done
	if [ -n "$new" ]; then
		say "newgroup $(link_name "/sys/bus/pci/devices/$new/iommu_group")" \
			"$(link_name "/sys/bus/pci/devices/$newaud/iommu_group")"
		say "newdrivers $(link_name "/sys/bus/pci/devices/$new/driver")" \
			"$(link_name "/sys/bus/pci/devices/$newaud/driver")"
	fi
	snapshot
	# ---- unplug: the host removes the card ----
	say "unplug-ready $(cut -d' ' -f1 /proc/uptime)"
	gone() {
		[ -n "$new" ] && [ ! -e "/sys/bus/pci/devices/$new" ] && [ ! -e "/sys/bus/pci/devices/$newaud" ]
	}
	if wait_for 90 gone; then
		say "unplugged $(cut -d' ' -f1 /proc/uptime)"
	else
		say "unplug-timeout"
	fi
	udevadm settle --timeout=60
	systemctl --failed --no-legend --plain >/run/qt-failed 2>&1
	say_file failed-unplug /run/qt-failed
	say_cmd status-unplug gpu-vfio status --json
	# ---- release gives the GPU back to its native drivers; claim takes it again ----
	aud=${gpu%.*}.1
	say_cmd release gpu-vfio release "$gpu"
	wait_for 60 sh -c "[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$gpu/driver)\")\" = bochs-drm ] &&
		[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$aud/driver)\")\" = snd_hda_intel ]"
	say "released $gpu $(link_name "/sys/bus/pci/devices/$gpu/driver") $aud $(link_name "/sys/bus/pci/devices/$aud/driver")"
	say_cmd reclaim gpu-vfio claim
	say "reclaimed $gpu $(link_name "/sys/bus/pci/devices/$gpu/driver") $aud $(link_name "/sys/bus/pci/devices/$aud/driver")"
	snapshot
	# ---- metrics: the timer's service writes the node_exporter textfile ----
	ran() {
		[ "$(systemctl show -P LastTriggerUSecMonotonic gpu-vfio-metrics.timer)" != 0 ] &&
			[ "$(systemctl show -P ActiveState gpu-vfio-metrics.service)" != activating ] &&
			[ -s /var/lib/prometheus/node-exporter/gpu-vfio.prom ]
	}
	wait_for 150 ran || say "metrics-timeout"
	unit gpu-vfio-metrics.timer
	unit gpu-vfio-metrics.service
	say "metrics-result $(systemctl show -P Result gpu-vfio-metrics.service)" \
		"$(systemctl show -P ExecMainStatus gpu-vfio-metrics.service)"
	say "prom-dir $(find /var/lib/prometheus/node-exporter -mindepth 1 -printf '%f ' | sort)"
	say "prom-mode $(stat -c '%a %U:%G %s' /var/lib/prometheus/node-exporter/gpu-vfio.prom 2>&1)"
	say_file prom /var/lib/prometheus/node-exporter/gpu-vfio.prom
	# The template's instance for the GPU that is still there (the hot-added one is gone).
	for u in gpu-vfio.service "gpu-vfio@$gpu.service" gpu-vfio-metrics.service; do
		systemd-analyze security --no-pager "$u" >/run/qt-sec 2>&1
		say "exposure $u $(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' /run/qt-sec)"
		grep -q 'Overall exposure' /run/qt-sec || say_file "exposure-error $u" /run/qt-sec
	done
	;;
esac

journalctl -b -o short-monotonic --no-pager -u 'gpu-vfio*' -u systemd-udev-trigger.service \
	>/run/qt-j 2>&1
say_file journal /run/qt-j
dmesg >/run/qt-dmesg 2>&1
say_file kmsg /run/qt-dmesg
say "end"
sync
systemctl poweroff --force --force
