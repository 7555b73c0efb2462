# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd guest of the QEMU proof (scenario "systemd"), sourced by run.sh (it provides
# result, problem, dev, field, kmsg; rows.sh provides rm_root and in_root).
#
# A copy of the cached Debian 13 root (trixie-root.sh: systemd, udev, kmod, its 6.12 kernel)
# gets an initramfs of its own initramfs-tools WITHOUT gpu-vfio and without the stand-ins'
# native drivers (built before the project is installed), then `make install` of the
# project: units, udev rule, generator, binary. It boots with systemd as init
# (init=/usr/lib/systemd/systemd: the root has no systemd-sysv) on a disk per IOMMU whose
# /etc/kernel/cmdline is right for it. qt-guest.service (guest.sh) reports from the guest's
# own systemctl, journalctl and sysfs on the second serial port. Boots:
#   main:intel main:amd    gpu-vfio.service claims before systemd-udev-trigger; QMP hotplug
#                          of a card into a pcie-root-port (gpu-vfio@.service claims it),
#                          device_del; release and claim; the metrics timer's textfile;
#                          exposure scores
#   off:intel off:amd      gpu-vfio=off: claim records disabled, gpu_vfio_claim_disabled 1
#   offon:intel offon:amd  gpu-vfio=off gpu-vfio=on: the last wins, the GPU is claimed
#   nomu:none              no IOMMU device: the generated check unit fails and says why
# QT_SD_BOOTS overrides that list; QT_SD_TIMEOUT (600 s) bounds each boot.
# shellcheck shell=dash disable=SC2154 # run.sh sets out, top, here, jobs, ...

sd_policy="claim vendor=1234 device=1111 name=gpu"

# sd_make: the root, its initramfs and one disk image per IOMMU under $sd; sets P.
sd_make() {
	P=
	_d=$sd/root
	rm_root "$_d"
	rm_root "$_d.tmp"
	mkdir -p "$sd"
	if ! { cp -a "$root13" "$_d.tmp" && mv "$_d.tmp" "$_d"; }; then
		problem "cannot copy the Debian 13 root"
		return
	fi
	# The host's own initramfs, from before gpu-vfio is installed: only what mounts the
	# root, so udev in the booted root loads bochs and snd_hda_intel for the stand-ins.
	sed -i 's/^MODULES=.*/MODULES=list/' "$_d/etc/initramfs-tools/initramfs.conf"
	printf '%s\n' virtio_pci virtio_blk ext4 >>"$_d/etc/initramfs-tools/modules"
	in_root "$_d" mkinitramfs -o /boot/qt-systemd.img "$kver13" >"$sd/initramfs.log" 2>&1 || {
		problem "mkinitramfs failed: $(tail -n 5 "$sd/initramfs.log")"
		return
	}
	in_root "$_d" lsinitramfs /boot/qt-systemd.img >"$sd/initramfs.list" 2>&1
	grep -q 'gpu-vfio' "$sd/initramfs.list" && problem "the initramfs holds gpu-vfio"
	grep -qE '/(bochs|snd-hda-intel|snd_hda_intel)\.ko' "$sd/initramfs.list" &&
		problem "the initramfs holds a stand-in's native driver"
	cp "$_d/boot/qt-systemd.img" "$sd/initrd.img"
	make -s -C "$top" install DESTDIR="$_d" >"$sd/install.log" 2>&1 || {
		problem "make install failed: $(tail -n 5 "$sd/install.log")"
		return
	}
	(umask 022 && printf '%s\n' "# QEMU systemd guest policy" "$sd_policy" >"$_d/etc/gpu-vfio.conf")
	# A machine that booted before: no first-boot or needs-update units.
	echo 5bd2b0e41e8b4a7d9c0a5f4e7e1c2d3a >"$_d/etc/machine-id"
	touch "$_d/etc/.updated" "$_d/var/.updated"
	# The console is the report of the kernel and systemd only; no login prompt on it.
	ln -sf /dev/null "$_d/etc/systemd/system/serial-getty@ttyS0.service"
	install -m 0755 "$here/guest.sh" "$_d/usr/local/sbin/qt-guest"
	cat >"$_d/etc/systemd/system/qt-guest.service" <<-'EOF'
		[Unit]
		Description=QEMU test report (qemu-test/guest.sh)

		[Service]
		Type=exec
		ExecStart=/usr/local/sbin/qt-guest
		StandardOutput=journal+console

		[Install]
		WantedBy=multi-user.target
	EOF
	systemctl --root="$_d" enable gpu-vfio.service gpu-vfio-metrics.timer qt-guest.service \
		>"$sd/enable.log" 2>&1 || {
		problem "systemctl --root enable failed: $(cat "$sd/enable.log")"
		return
	}
	# /boot need not be on the disk (the kernel and image come from the host).
	rm -f "$_d"/boot/initrd.img-* "$_d/boot/qt-systemd.img"
	for _i in intel amd; do
		case $_i in
		intel) echo "root=/dev/vda rw intel_iommu=on iommu=pt" ;;
		amd) echo "root=/dev/vda rw iommu=pt" ;;
		esac >"$_d/etc/kernel/cmdline"
		rm -f "$sd/disk-$_i.img"
		mkfs.ext4 -q -F -L qtsd -d "$_d" "$sd/disk-$_i.img" 1G >/dev/null 2>&1 ||
			problem "mkfs.ext4 of the $_i disk failed"
	done
}

# sd_args SCENARIO: the kernel arguments of its boot.
sd_args() {
	_a="root=/dev/vda rw rootfstype=ext4 init=/usr/lib/systemd/systemd qt.scenario=$1"
	_a="$_a printk.devkmsg=on systemd.show_status=1"
	case $1 in
	off) _a="$_a gpu-vfio=off" ;;
	offon) _a="$_a gpu-vfio=off gpu-vfio=on" ;;
	esac
	echo "$_a"
}

# sd_wait_line FILE REGEX SECONDS PID: wait until FILE has a line matching REGEX while QEMU
# (PID) runs.
sd_wait_line() {
	_end=$(($(date +%s) + $3))
	while ! grep -qE "$2" "$1" 2>/dev/null; do
		kill -0 "$4" 2>/dev/null || return 1
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 1
	done
}

# sd_hotplug REPORT SOCKET PID: the host's part of the hotplug steps, logged to
# REPORT.host: on "hotplug-ready" add a card (audio .1 first, then GPU .0, which makes the
# slot present) into the root port rp1; on "unplug-ready" remove it (device_del of function
# 0 takes the slot). The audio function carries the multifunction bit in its own header,
# as the functions of a real card do: the kernel gives a hot-added function its IOMMU group
# as it adds it, before it marks later functions multifunction, so without the bit the
# audio (a conventional PCI device without ACS) would get a group of its own instead of
# sharing the GPU's, which boot-time enumeration would give it.
sd_hotplug() {
	_h=$1.host
	: >"$_h"
	_qmp="/usr/bin/python3 $here/qmp.py $2"
	if ! sd_wait_line "$1" '^@@qt hotplug-ready' "${QT_SD_TIMEOUT:-600}" "$3"; then
		echo "no hotplug-ready" >>"$_h"
		return
	fi
	echo "device_add $(date +%s.%N)" >>"$_h"
	$_qmp '{"execute": "device_add", "arguments": {"driver": "ich9-intel-hda", "id": "hpaud", "bus": "rp1", "addr": "0.1", "multifunction": true}}' \
		'{"execute": "device_add", "arguments": {"driver": "bochs-display", "id": "hpgpu", "bus": "rp1", "addr": "0.0", "multifunction": true}}' \
		>>"$_h" 2>&1 || echo "device_add failed" >>"$_h"
	if sd_wait_line "$1" '^@@qt hotplug-(bound|timeout)' 200 "$3"; then
		echo "seen-bound $(date +%s.%N)" >>"$_h"
	fi
	if ! sd_wait_line "$1" '^@@qt unplug-ready' 200 "$3"; then
		echo "no unplug-ready" >>"$_h"
		return
	fi
	echo "device_del $(date +%s.%N)" >>"$_h"
	$_qmp '{"execute": "device_del", "arguments": {"id": "hpgpu"}}' >>"$_h" 2>&1 ||
		echo "device_del failed" >>"$_h"
	sd_wait_line "$1" '^@@qt (unplugged|unplug-timeout)' 120 "$3"
	echo "seen-unplugged $(date +%s.%N)" >>"$_h"
}

# sd_boot SCENARIO IOMMU: one boot; console to .log, the guest's report to .report.
sd_boot() {
	_log=$sd/boots/$1-$2.log
	_rep=$_log.report
	_sock=$sd/boots/$1-$2.qmp
	rm -f "$_log" "$_log.qemu" "$_log.rc" "$_rep" "$_rep.host" "$_sock"
	: >"$_rep"
	_disk=$sd/disk-$2.img
	[ "$2" = none ] && _disk=$sd/disk-intel.img
	_extra="-serial file:$_rep -qmp unix:$_sock,server=on,wait=off"
	[ "$1" = main ] && _extra="$_extra -device pcie-root-port,id=rp1,bus=pcie.0,addr=0x10,chassis=1,pref32-reserve=32M"
	_start=$(date +%s)
	QT_BOOT_EXTRA=$_extra QT_TIMEOUT=${QT_SD_TIMEOUT:-600} \
		qt_boot "$2" "$kernel13" "$sd/initrd.img" "$(sd_args "$1")" "$_log" "$_disk" &
	_qpid=$!
	[ "$1" = main ] && sd_hotplug "$_rep" "$_sock" "$_qpid" &
	_rc=0
	wait "$_qpid" || _rc=$?
	wait
	echo "$_rc $(($(date +%s) - _start))" >"$_log.rc"
	tr -d '\r' <"$_rep" >"$_rep.clean"
}

# sd_get REPORT TAG: the lines "@@qt TAG ..." without the tag.
sd_get() {
	sed -n "s/^@@qt $2 //p" "$1"
}
# sd_unit REPORT UNIT FIELD: one field of the unit line (1 state, 2 result, 3 exit status,
# 4 start, 5 active, 6 inactive again; the first such line).
sd_unit() {
	sd_get "$1" "unit $2" | head -n 1 | awk -v i="$3" '{ print $i }'
}
# sd_kmsg_before REPORT SECONDS: the kernel log up to SECONDS after boot.
sd_kmsg_before() {
	sd_get "$1" kmsg | awk -v t="$2" '{ s = $0; sub(/^\[ */, "", s); sub(/\].*/, "", s); if (s + 0 < t + 0) print }'
}
# sd_dev REPORT VENDOR DEVICE CLASS [N]: the Nth (1) "dev" line of the report's first
# snapshot with these ids.
sd_driver_in() {
	printf '%s\n' "$1" | awk -v v="$2" -v d="$3" -v c="$4" \
		'$1 == "@@qt" && $2 == "dev" && $4 == v && $5 == d && index($6, c) == 1 { print $7; exit }'
}
sd_first_snapshot() {
	# From the first "dev" line to the first "status-rc" line.
	awk '/^@@qt dev / { on = 1 } on { print } /^@@qt status-rc / && on { exit }' "$1"
}
sd_exposure_ok() {
	_e=$(sd_get "$1" "exposure $2")
	if [ -z "$_e" ]; then
		problem "no exposure score for $2"
	elif ! awk -v e="$_e" 'BEGIN { exit !(e <= 3.0) }'; then
		problem "systemd-analyze security rates $2 $_e (more than 3.0)"
	fi
}

# sd_checks SCENARIO IOMMU: sets P.
sd_checks() {
	P=
	_log=$sd/boots/$1-$2.log
	_r=$_log.report.clean
	qt_qemu_ran "$_log.rc" || return
	if ! grep -q '^@@qt end' "$_r"; then
		problem "the guest's report did not end; its last lines, then the console's:"
		problem "$(tail -n 8 "$_r")"
		problem "$(tr -d '\r' <"$_log" | tail -n 12)"
		return
	fi
	grep -q "^@@qt begin scenario=$1 " "$_r" || problem "the guest ran another scenario"
	_snap=$(sd_first_snapshot "$_r")
	_gpu=$(printf '%s\n' "$_snap" | awk '$2 == "dev" && $4 == "1234" && $5 == "1111" && index($6, "0380") == 1 { print $3; exit }')
	_aud=$(printf '%s\n' "$_snap" | awk '$2 == "dev" && $4 == "8086" && $5 == "293e" && index($6, "0403") == 1 { print $3; exit }')
	_gdrv=$(sd_driver_in "$_snap" 1234 1111 0380)
	_adrv=$(sd_driver_in "$_snap" 8086 293e 0403)
	_vdrv=$(sd_driver_in "$_snap" 1234 1111 0300)
	[ "$_vdrv" = bochs-drm ] || problem "the boot VGA is on '$_vdrv', expected bochs-drm"
	_failed=$(sd_get "$_r" failed)
	_gen=$(sd_get "$_r" generated | tr -d ' ')
	case $1 in
	nomu)
		printf '%s\n' "$_failed" | grep -q 'gpu-vfio-iommu-check.service' ||
			problem "systemctl --failed does not list gpu-vfio-iommu-check.service: '$_failed'"
		[ -n "$_gen" ] || problem "the generator wrote no gpu-vfio-iommu-check.service"
		[ "$(sd_unit "$_r" gpu-vfio-iommu-check.service 2)" = exit-code ] ||
			problem "gpu-vfio-iommu-check.service result '$(sd_unit "$_r" gpu-vfio-iommu-check.service 2)', expected exit-code"
		_j=$(sd_get "$_r" check-journal)
		printf '%s\n' "$_j" | grep -qi 'iommu' ||
			problem "the check unit's journal does not name the IOMMU problem: $(printf '%s\n' "$_j" | head -n 5)"
		printf '%s\n' "$_j" | grep -qiE 'fix|enable|firmware|BIOS|add ' ||
			problem "the check unit's journal gives no fix"
		sd_exposure_ok "$_r" gpu-vfio-iommu-check.service
		return
		;;
	esac
	# With the IOMMU on and the command lines right: nothing failed, nothing generated.
	[ -z "$_failed" ] || problem "failed units: $_failed"
	[ -z "$_gen" ] || problem "the generator wrote $_gen although everything is right"
	[ "$(sd_unit "$_r" gpu-vfio.service 1)" = active ] ||
		problem "gpu-vfio.service is '$(sd_unit "$_r" gpu-vfio.service 1)' ($(sd_unit "$_r" gpu-vfio.service 2))"
	_cend=$(sd_unit "$_r" gpu-vfio.service 5)
	_tstart=$(sd_unit "$_r" systemd-udev-trigger.service 4)
	if [ -z "$_cend" ] || [ -z "$_tstart" ] || [ "$_cend" = 0 ]; then
		problem "no timestamps of gpu-vfio.service ($_cend) or systemd-udev-trigger ($_tstart)"
	elif [ "$_cend" -gt "$_tstart" ]; then
		problem "systemd-udev-trigger started at $_tstart us, before gpu-vfio.service ended at $_cend us"
	fi
	_state=$(sd_get "$_r" state | head -n 1)
	_metric=$(sd_get "$_r" metric | head -n 1)
	_json=$(sd_get "$_r" json | head -n 1)
	printf '%s\n' "$_json" | jq -e '.iommufd == false' >/dev/null 2>&1 ||
		problem "status --json does not say iommufd false: $(printf '%s\n' "$_json" | cut -c1-200)"
	sd_get "$_r" status | grep -qi 'iommufd: not available' ||
		problem "status does not say iommufd is not available"
	printf '%s\n' "$_metric" | grep -q 'gpu_vfio_iommufd_available 0' ||
		problem "gpu_vfio_iommufd_available is not 0: $_metric"
	case $1 in
	off)
		[ "$_gdrv" = bochs-drm ] || problem "with gpu-vfio=off the GPU is on '$_gdrv', expected bochs-drm"
		[ "$_adrv" = snd_hda_intel ] || problem "with gpu-vfio=off its audio is on '$_adrv', expected snd_hda_intel"
		printf '%s\n' "$_state" | jq -e '.disabled == true' >/dev/null 2>&1 ||
			problem "state.json does not record disabled: true: $_state"
		printf '%s\n' "$_metric" | grep -q 'gpu_vfio_claim_disabled 1' ||
			problem "gpu_vfio_claim_disabled is not 1: $_metric"
		sd_get "$_r" journal | grep -qiE 'gpu-vfio=off|switched off|disabled' ||
			problem "the journal of gpu-vfio.service does not say it was switched off"
		return
		;;
	esac
	# main and offon: claimed before udev's coldplug, never on a native driver.
	[ "$_gdrv" = vfio-pci ] || problem "the GPU $_gpu is on '$_gdrv', expected vfio-pci"
	[ "$_adrv" = vfio-pci ] || problem "its audio $_aud is on '$_adrv', expected vfio-pci"
	printf '%s\n' "$_state" | jq -e '.disabled == false' >/dev/null 2>&1 ||
		problem "state.json does not record disabled: false: $_state"
	printf '%s\n' "$_metric" | grep -q 'gpu_vfio_claim_disabled 0' ||
		problem "gpu_vfio_claim_disabled is not 0: $_metric"
	_until=$(sd_get "$_r" hotplug-ready | awk '{ print $1 }')
	[ -n "$_until" ] || _until=100000
	if sd_kmsg_before "$_r" "$_until" | grep -E "(bochs-drm|snd_hda_intel) ($_gpu|$_aud):"; then
		problem "a native driver bound the GPU or its audio during the boot"
	fi >/dev/null
	[ "$1" = main ] || return 0

	# ---- hotplug ----
	_hb=$(sd_get "$_r" hotplug-bound)
	if [ -z "$_hb" ]; then
		problem "the hot-added card did not end on vfio-pci: $(sd_get "$_r" hotplug-timeout)"
		problem "host: $(tr '\n' ' ' <"$_log.report.host")"
	else
		_new=$(echo "$_hb" | awk '{ print $1 }')
		_newaud=$(echo "$_hb" | awk '{ print $2 }')
		_u="gpu-vfio@$_new.service"
		# A oneshot instance that finished is unloaded soon: its journal is the record.
		sd_get "$_r" "journal-$_u" | grep -q "Starting $_u" || problem "udev did not start $_u"
		sd_get "$_r" "journal-$_u" | grep -q "Finished $_u" ||
			problem "$_u did not finish: $(sd_get "$_r" "journal-$_u" | tail -n 3 | tr '\n' ' ')"
		! sd_get "$_r" "journal-$_u" | grep -q "Failed with result" ||
			problem "$_u failed: $(sd_get "$_r" "journal-$_u" | grep 'Failed with result')"
		# The native drivers are loaded (the boot's coldplug), so the kernel binds them
		# to the new card at once; the unit takes it from them. None may stay.
		_fin=$(sd_get "$_r" newdrivers)
		[ "$_fin" = "vfio-pci vfio-pci" ] ||
			problem "after hotplug the new functions are on '$_fin', expected vfio-pci"
		[ "$(sd_get "$_r" newgroup | awk '{ print ($1 == $2) }')" = 1 ] ||
			problem "the new GPU and its audio are in different IOMMU groups: $(sd_get "$_r" newgroup)"
	fi
	grep -q '^@@qt unplugged' "$_r" || problem "the card did not go away after device_del"
	[ -z "$(sd_get "$_r" failed-unplug)" ] ||
		problem "failed units after device_del: $(sd_get "$_r" failed-unplug)"
	sd_get "$_r" journal | grep -iE 'gpu-vfio.*(error|fail|assert)' | grep -v 'qt-guest' >"$_log.errors"
	# ---- release and claim again ----
	[ "$(sd_get "$_r" release-rc)" = 0 ] || problem "gpu-vfio release exited $(sd_get "$_r" release-rc): $(sd_get "$_r" release | head -n 3)"
	sd_get "$_r" released | grep -qE "^$_gpu bochs-drm $_aud snd_hda_intel\$" ||
		problem "after release: '$(sd_get "$_r" released)', expected $_gpu on bochs-drm, $_aud on snd_hda_intel"
	[ "$(sd_get "$_r" reclaim-rc)" = 0 ] || problem "gpu-vfio claim exited $(sd_get "$_r" reclaim-rc): $(sd_get "$_r" reclaim | head -n 3)"
	sd_get "$_r" reclaimed | grep -qE "^$_gpu vfio-pci $_aud vfio-pci\$" ||
		problem "after claim: '$(sd_get "$_r" reclaimed)', expected both on vfio-pci"
	# ---- metrics ----
	grep -q '^@@qt metrics-timeout' "$_r" && problem "the metrics timer did not write the textfile"
	[ "$(sd_get "$_r" metrics-result)" = "success 0" ] ||
		problem "gpu-vfio-metrics.service ended '$(sd_get "$_r" metrics-result)'"
	sd_get "$_r" prom-mode | grep -qE '^644 root:root [1-9]' ||
		problem "the textfile is '$(sd_get "$_r" prom-mode)', expected 644 root:root, not empty"
	[ "$(sd_get "$_r" prom-dir)" = "gpu-vfio.prom " ] ||
		problem "the textfile directory holds '$(sd_get "$_r" prom-dir)' (a temporary file left?)"
	sd_get "$_r" prom >"$_log.prom"
	grep -q '^gpu_vfio_device_claimed' "$_log.prom" || grep -q '^gpu_vfio_' "$_log.prom" ||
		problem "the textfile has no gpu_vfio_ metrics"
	promtool check metrics <"$_log.prom" >"$_log.promtool" 2>&1 ||
		problem "promtool check metrics: $(head -n 5 "$_log.promtool")"
	# ---- hardening, measured on the running units ----
	sd_exposure_ok "$_r" gpu-vfio.service
	sd_exposure_ok "$_r" "gpu-vfio@$_gpu.service"
	sd_exposure_ok "$_r" gpu-vfio-metrics.service
}

# usec A B: B - A (microseconds) in seconds, 3 decimals.
sd_secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == 0 || b == 0) print "?"; else printf "%.3f", (b - a) / 1e6 }'
}

# sd_figures SCENARIO IOMMU: the timeline of the boot, on the guest's monotonic clock.
sd_figures() {
	_log=$sd/boots/$1-$2.log
	_r=$_log.report.clean
	[ -s "$_r" ] || return 0
	read -r _rc _secs <"$_log.rc"
	_us=$(sd_get "$_r" userspace | awk '{ print $1 }')
	_fin=$(sd_get "$_r" userspace | awk '{ print $3 }')
	_cs=$(sd_unit "$_r" gpu-vfio.service 4)
	_ce=$(sd_unit "$_r" gpu-vfio.service 5)
	_ts=$(sd_unit "$_r" systemd-udev-trigger.service 4)
	_te=$(sd_unit "$_r" systemd-udev-trigger.service 5)
	echo "# systemd $1 $2: $_secs s wall; init at $(sd_secs 1 "$_us") s," \
		"gpu-vfio.service $(sd_secs 1 "$_cs")-$(sd_secs 1 "$_ce") s ($(sd_secs "$_cs" "$_ce") s)," \
		"udev trigger $(sd_secs 1 "$_ts")-$(sd_secs 1 "$_te") s, boot finished at $(sd_secs 1 "$_fin") s" \
		"($(sd_get "$_r" analyze))"
	[ "$1" = main ] || return 0
	_hb=$(sd_get "$_r" hotplug-bound)
	[ -n "$_hb" ] || return 0
	_new=$(echo "$_hb" | awk '{ print $1 }')
	# The kernel's first line of the new device, the unit's start and end.
	_k=$(sd_get "$_r" kmsg | grep -F "pci $_new: [1234:1111]" | head -n 1 |
		sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
	_u="gpu-vfio@$_new.service"
	# short-monotonic journal lines: "[   80.533967] vm systemd[1]: Starting ...".
	_us2=$(sd_get "$_r" "journal-$_u" | sed -n "s/^\[ *\([0-9.]*\)\].*Starting $_u.*/\1/p" | head -n 1)
	_ue=$(sd_get "$_r" "journal-$_u" | sed -n "s/^\[ *\([0-9.]*\)\].*Finished $_u.*/\1/p" | head -n 1)
	_add=$(sed -n 's/^device_add //p' "$_log.report.host")
	_seen=$(sed -n 's/^seen-bound //p' "$_log.report.host")
	_del=$(sed -n 's/^device_del //p' "$_log.report.host")
	_gone=$(sed -n 's/^seen-unplugged //p' "$_log.report.host")
	echo "# systemd main $2 hotplug: kernel found $_new at ${_k:-?} s; $_u ran" \
		"${_us2:-?}-${_ue:-?} s ($(awk -v a="${_us2:-0}" -v b="${_ue:-0}" 'BEGIN { if (a == 0 || b == 0) print "?"; else printf "%.3f", b - a }') s)," \
		"started $(awk -v k="${_k:-0}" -v s="${_us2:-0}" 'BEGIN { if (k == 0 || s == 0) print "?"; else printf "%.3f", s - k }') s and on vfio-pci" \
		"$(awk -v k="${_k:-0}" -v e="${_ue:-0}" 'BEGIN { if (k == 0 || e == 0) print "?"; else printf "%.3f", e - k }') s" \
		"after the kernel found it; host clock device_add to seen on vfio-pci" \
		"$(awk -v a="${_add:-0}" -v b="${_seen:-0}" 'BEGIN { if (a == 0 || b == 0) print "?"; else printf "%.1f", b - a }') s," \
		"device_del to gone $(awk -v a="${_del:-0}" -v b="${_gone:-0}" 'BEGIN { if (a == 0 || b == 0) print "?"; else printf "%.1f", b - a }') s"
	echo "# systemd main $2 exposure: $(grep '^@@qt exposure ' "$_r" | sed 's/^@@qt exposure //' | tr '\n' ';')"
}

systemd_main() {
	sd=$out/systemd
	mkdir -p "$sd/boots"
	if [ -z "${root13:-}" ]; then
		_start=$(date +%s)
		root13=$("$here/trixie-root.sh") || {
			result "systemd guest" "cannot build the Debian 13 root"
			return
		}
		kver13=$(qt_root_kver "$root13")
		kernel13=$root13/boot/vmlinuz-$kver13
	fi
	_start=$(date +%s)
	sd_make
	result "systemd guest: Debian 13 root with the project installed, initramfs without gpu-vfio or native drivers" "$P"
	[ -z "$P" ] || return 0
	echo "# systemd guest root and disks made in $(($(date +%s) - _start)) s"
	command -v promtool >/dev/null || "$top/scripts/ensure-deps.sh" prometheus >/dev/null
	_boots=${QT_SD_BOOTS:-main:intel main:amd off:intel off:amd offon:intel offon:amd nomu:none}
	qt_pool_start
	for _b in $_boots; do
		sd_boot "${_b%%:*}" "${_b#*:}" &
		qt_pool_next "$jobs"
	done
	wait
	for _b in $_boots; do
		_s=${_b%%:*}
		_i=${_b#*:}
		sd_checks "$_s" "$_i"
		case $_s in
		main) _what="gpu-vfio.service claims before udev's coldplug; hotplug via gpu-vfio@.service, device_del, release and claim, metrics timer, exposure <= 3.0" ;;
		off) _what="gpu-vfio=off: claim records disabled, gpu_vfio_claim_disabled 1, native drivers bound" ;;
		offon) _what="gpu-vfio=off gpu-vfio=on: the last wins, claimed before udev's coldplug" ;;
		nomu) _what="no IOMMU: gpu-vfio-iommu-check.service fails, its journal says why and how to fix it" ;;
		*) _what="unknown scenario" ;;
		esac
		result "systemd $_s $_i: $_what" "$P"
		sd_figures "$_s" "$_i"
	done
}
