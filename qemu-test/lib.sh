# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the QEMU tests: kernel, accelerator, machine layout and one guarded boot.
# shellcheck shell=dash

# The machine every QEMU test boots, found by PCI ids in the guest (slots move when the AMD
# IOMMU takes one):
#   boot VGA      VGA (std)               1234:1111 class 030000  bochs-drm, boot_vga=1
#   stand-in GPU  bochs-display, slot .0  1234:1111 class 038000  bochs-drm
#   its audio     ich9-intel-hda, slot .1 8086:293e class 040300  snd_hda_intel
#   bridged GPU   qxl behind a PCIe-to-PCI bridge  1b36:0100 class 038000  qxl
#   its neighbour e1000 behind the same bridge     8086:100e class 020000  e1000

# The kernel to boot: $QT_KVER, else the newest Debian kernel installed in /boot.
qt_kver() {
	if [ -n "${QT_KVER:-}" ]; then
		echo "$QT_KVER"
		return
	fi
	qt_root_kver ""
}

# qt_root_kver ROOT: the newest kernel of ROOT's /boot (empty if it has none).
qt_root_kver() {
	# shellcheck disable=SC2012
	ls "$1"/boot/vmlinuz-* 2>/dev/null | sed 's|^.*/vmlinuz-||' | sort -V | tail -n 1
}

# KVM only where the host can really run a guest with it (the CPU advertises VMX/SVM);
# otherwise TCG. $QT_ACCEL overrides.
qt_accel() {
	if [ -n "${QT_ACCEL:-}" ]; then
		echo "$QT_ACCEL"
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
		echo kvm
	else
		echo tcg
	fi
}

# qt_boot IOMMU KERNEL INITRD CMDLINE LOG [DISK]: boot the test machine with IOMMU "intel",
# "amd" or "none" (no IOMMU device, no iommu=pt), $QT_MEM MiB (1024), $QT_BOOT_EXTRA more
# QEMU arguments, serial console to LOG, DISK (raw, opened as a snapshot: boots may share it) as
# virtio disk /dev/vda, hard timeout $QT_TIMEOUT seconds (180). Returns QEMU's status
# (124 on timeout). no_timer_check: under TCG on a loaded host the IO-APIC timer test can
# miss its ticks, and with interrupt remapping on (6.12 enables it, Intel and AMD) the
# kernel then panics "timer doesn't work through Interrupt-remapped IO-APIC" (6 of 8
# Debian 13 boots at load 13).
qt_boot() {
	_iommu=$1 _kernel=$2 _initrd=$3 _cmdline=$4 _log=$5 _disk=${6:-}
	case $_iommu in
	intel)
		_machine=q35,kernel-irqchip=split
		_iommu_dev=intel-iommu,intremap=on
		_iommu_arg=intel_iommu=on
		;;
	amd)
		_machine=q35
		_iommu_dev=amd-iommu
		_iommu_arg=
		;;
	none)
		# No IOMMU at all: the machine of a host whose firmware has it off.
		_machine=q35
		_iommu_dev=
		_iommu_arg=
		;;
	*)
		echo "qt_boot: unknown IOMMU '$_iommu'" >&2
		return 2
		;;
	esac
	_pt=iommu=pt
	[ -n "$_iommu_dev" ] || _pt=
	# shellcheck disable=SC2086 # QT_BOOT_EXTRA: more QEMU arguments, split on blanks
	timeout "${QT_TIMEOUT:-180}" qemu-system-x86_64 \
		-accel "$(qt_accel)" -machine "$_machine" -cpu max -smp 1 -m "${QT_MEM:-1024}" \
		-nographic -no-reboot -serial "file:$_log" -monitor none -nodefaults \
		${_iommu_dev:+-device "$_iommu_dev"} ${QT_BOOT_EXTRA:-} \
		-device VGA \
		-device bochs-display,addr=0x5.0,multifunction=on \
		-device ich9-intel-hda,id=hda,addr=0x5.1 -device hda-duplex,bus=hda.0 \
		-device pcie-pci-bridge,id=pcibr,addr=0x6 \
		-device qxl,bus=pcibr,addr=0x1 \
		-device e1000,bus=pcibr,addr=0x2,netdev=n0 -netdev user,id=n0,restrict=on \
		${_disk:+-drive "file=$_disk,if=virtio,format=raw,snapshot=on"} \
		-kernel "$_kernel" -initrd "$_initrd" \
		-append "console=ttyS0 $_iommu_arg $_pt panic=-1 no_timer_check $_cmdline" \
		</dev/null >"$_log.qemu" 2>&1
}

# The arm64 machine (arm64.sh), found by PCI ids in the guest like the x86 one; no boot VGA
# (an arm64 server's console is the BMC's serial line):
#   stand-in GPU  bochs-display, 00:05.0 (multifunction)  1234:1111 class 038000  bochs-drm
#   its audio     ich9-intel-hda, 00:05.1                 8086:293e class 040300  snd_hda_intel
#   bridged pair  cirrus-vga + e1000 behind a PCIe-to-PCI bridge at 00:06.0 (01:01.0,
#                 01:02.0): 1013:00b8 class 030000 cirrus, 8086:100e class 020000 e1000
#                 (qemu-system-aarch64 has no qxl)
#   NIC           e1000e on its own slot 00:07.0           8086:10d3 class 020000  e1000e
#   test disk     virtio-blk-pci 00:08.0                   1af4:1001               virtio-pci
#
# qt_boot_arm64 KERNEL INITRD CMDLINE LOG [DISK]: boot it on qemu-system-aarch64's virt
# machine with an emulated SMMUv3 (iommu=smmuv3: one SMMU for the PCIe root complex, given
# to the kernel by the device tree of the direct kernel boot, not by an ACPI IORT table),
# under TCG, serial console (PL011, ttyAMA0) to LOG; otherwise as qt_boot. pauth-impdef:
# QEMU's own pointer-authentication algorithm, much cheaper under TCG than the
# architected QARMA5 of -cpu max. iommu.passthrough=1 is arm64's iommu=pt.
qt_boot_arm64() {
	_kernel=$1 _initrd=$2 _cmdline=$3 _log=$4 _disk=${5:-}
	timeout "${QT_TIMEOUT:-420}" qemu-system-aarch64 \
		-accel tcg -machine virt,iommu=smmuv3 -cpu max,pauth-impdef=on -smp 1 -m 1024 \
		-nographic -no-reboot -serial "file:$_log" -monitor none -nodefaults \
		-device bochs-display,addr=0x5.0,multifunction=on \
		-device ich9-intel-hda,id=hda,addr=0x5.1 -device hda-duplex,bus=hda.0 \
		-device pcie-pci-bridge,id=pcibr,addr=0x6 \
		-device cirrus-vga,bus=pcibr,addr=0x1 \
		-device e1000,bus=pcibr,addr=0x2,netdev=n0 -netdev user,id=n0,restrict=on \
		-device e1000e,addr=0x7,netdev=n1 -netdev user,id=n1,restrict=on \
		${_disk:+-drive "file=$_disk,if=none,id=disk0,format=raw,snapshot=on"} \
		${_disk:+-device virtio-blk-pci,drive=disk0,addr=0x8} \
		-kernel "$_kernel" -initrd "$_initrd" \
		-append "console=ttyAMA0 iommu.passthrough=1 panic=-1 $_cmdline" \
		</dev/null >"$_log.qemu" 2>&1
}

# qt_qemu_ran RCFILE [WHY]: did the boot whose "STATUS SECONDS" RCFILE holds run, and QEMU
# exit 0? Files a problem() (the caller's) for each failure; false when there was no boot.
qt_qemu_ran() {
	if [ ! -s "$1" ]; then
		problem "no boot${2:+ ($2)}"
		return 1
	fi
	read -r _qrc _qsecs <"$1"
	[ "$_qrc" -eq 0 ] || problem "QEMU exited $_qrc after $_qsecs s (124: timeout)"
}

# qt_pool_start, then qt_pool_next JOBS after starting each boot in the background: once
# JOBS run, wait for them; a final wait takes the rest.
qt_pool_start() {
	qt_running=0
}
qt_pool_next() {
	qt_running=$((qt_running + 1))
	if [ "$qt_running" -ge "$1" ]; then
		wait
		qt_running=0
	fi
}
