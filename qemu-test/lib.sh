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
	# shellcheck disable=SC2012
	ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1
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

# qt_boot IOMMU KERNEL INITRD CMDLINE LOG [DISK]: boot the test machine with IOMMU "intel" or
# "amd", serial console to LOG, DISK (raw, opened as a snapshot: boots may share it) as
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
	*)
		echo "qt_boot: unknown IOMMU '$_iommu'" >&2
		return 2
		;;
	esac
	timeout "${QT_TIMEOUT:-180}" qemu-system-x86_64 \
		-accel "$(qt_accel)" -machine "$_machine" -cpu max -smp 1 -m 1024 \
		-nographic -no-reboot -serial "file:$_log" -monitor none -nodefaults \
		-device "$_iommu_dev" \
		-device VGA \
		-device bochs-display,addr=0x5.0,multifunction=on \
		-device ich9-intel-hda,id=hda,addr=0x5.1 -device hda-duplex,bus=hda.0 \
		-device pcie-pci-bridge,id=pcibr,addr=0x6 \
		-device qxl,bus=pcibr,addr=0x1 \
		-device e1000,bus=pcibr,addr=0x2,netdev=n0 -netdev user,id=n0,restrict=on \
		${_disk:+-drive "file=$_disk,if=virtio,format=raw,snapshot=on"} \
		-kernel "$_kernel" -initrd "$_initrd" \
		-append "console=ttyS0 $_iommu_arg iommu=pt panic=-1 no_timer_check $_cmdline" \
		</dev/null >"$_log.qemu" 2>&1
}
