#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dracut module 50gpu-vfio: put gpu-vfio, its policy, the vfio modules and the pre-udev hook into the image.
#
# Environment (tests and images for another root; the defaults are the real paths):
#   GPU_VFIO_BIN   the program to copy and run for `validate` (/usr/sbin/gpu-vfio)
#   GPU_VFIO_ROOT  root directory whose etc/gpu-vfio.conf and etc/gpu-vfio.d/ are used
#                  (default: dracut's --sysroot, else the running system's /etc)
#
# dracut sources this file and sets moddir, initdir and hostonly.
# shellcheck disable=SC2154

gpu_vfio_bin() {
    printf '%s\n' "${GPU_VFIO_BIN:-/usr/sbin/gpu-vfio}"
}

gpu_vfio_root() {
    local _root="${GPU_VFIO_ROOT-${dracutsysrootdir:-}}"
    printf '%s\n' "${_root%/}"
}

# Run gpu-vfio validate for the policy of the image's root, with the global options given
# (--json); errors go to stderr. The program also refuses a policy that someone other than
# root can change (under a test root: other than the user building the image).
gpu_vfio_validate() {
    local _root
    _root=$(gpu_vfio_root)
    "$(gpu_vfio_bin)" ${_root:+--root "$_root"} "$@" validate
}

# True when the policy has a claim rule, or is invalid (install() then fails the build
# with the errors instead of leaving the host's policy silently out).
gpu_vfio_policy_claims() {
    local _json
    _json=$(gpu_vfio_validate --json 2> /dev/null) || return 0
    case "$_json" in
        *'"claim_rules": 0'*) return 1 ;;
    esac
    return 0
}

# called by dracut
check() {
    [ -x "$(gpu_vfio_bin)" ] || return 1
    # A host-only image carries gpu-vfio only where this host's policy claims something.
    if [ -n "$hostonly" ]; then
        gpu_vfio_policy_claims || return 255
    fi
    return 0
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    # hostonly='' because the vfio modules are usually not loaded on the host building
    # the image: host-only mode would leave them out.
    # instmods skips what the kernel does not have (vfio_pci_core before 5.15, iommufd
    # before 6.2) or has built in, like manual_add_modules of initramfs-tools.
    # pci_stub: arm64 gives IOMMU groups at the first driver probe; claim probes with it.
    hostonly='' instmods vfio vfio_pci vfio_pci_core vfio_iommu_type1 iommufd pci_stub
    # The VFIO variant drivers the policy's devices may need (nvgrace_gpu_vfio_pci on a
    # Grace node): the program reads them from the kernel's modules.alias.
    local _root _variants
    _root=$(gpu_vfio_root)
    if _variants=$("$(gpu_vfio_bin)" ${_root:+--root "$_root"} validate --image-modules "${srcmods%/}"); then
        # shellcheck disable=SC2086 # one module name per line
        [ -z "$_variants" ] || hostonly='' instmods $_variants
    else
        dwarn "gpu-vfio: cannot list the VFIO variant drivers of $srcmods: the image has vfio-pci only"
    fi
}

# called by dracut
install() {
    local _errors _f _root
    _root=$(gpu_vfio_root)
    # dracut 059 ignores install()'s return status, so a bad policy ends dracut here: the
    # image is not written and the previous one stays in place.
    if ! _errors=$(gpu_vfio_validate 2>&1); then
        printf '%s\n' "$_errors" | while IFS= read -r _f; do
            dfatal "$_f"
        done
        dfatal "gpu-vfio: the policy is invalid or unsafe; initramfs not written"
        exit 1
    fi

    inst_simple "$(gpu_vfio_bin)" /usr/sbin/gpu-vfio
    [ -f "$_root/etc/gpu-vfio.conf" ] && inst_simple "$_root/etc/gpu-vfio.conf" /etc/gpu-vfio.conf
    for _f in "$_root"/etc/gpu-vfio.d/*.conf; do
        [ -f "$_f" ] && inst_simple "$_f" "/etc/gpu-vfio.d/${_f##*/}"
    done
    inst_hook pre-udev 40 "$moddir/gpu-vfio-pre-udev.sh"
    return 0
}
