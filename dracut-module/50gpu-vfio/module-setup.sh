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

# Run gpu-vfio validate for the policy of the image's root; errors go to stderr.
gpu_vfio_validate() {
    local _root
    _root=$(gpu_vfio_root)
    if [ -n "$_root" ]; then
        "$(gpu_vfio_bin)" --root "$_root" validate
    else
        "$(gpu_vfio_bin)" validate
    fi
}

# Print the policy files in the order gpu-vfio reads them.
gpu_vfio_policy_files() {
    local _root _f
    _root=$(gpu_vfio_root)
    [ -f "$_root/etc/gpu-vfio.conf" ] && printf '%s\n' "$_root/etc/gpu-vfio.conf"
    for _f in "$_root"/etc/gpu-vfio.d/*.conf; do
        [ -f "$_f" ] && printf '%s\n' "$_f"
    done
    return 0
}

# True when some policy file has a claim rule, or the policy is invalid (install() then
# fails the build with the errors instead of leaving the host's policy silently out).
gpu_vfio_policy_claims() {
    local _f
    for _f in $(gpu_vfio_policy_files); do
        grep -qE '^[[:space:]]*claim([[:space:]]|$)' "$_f" && return 0
    done
    gpu_vfio_validate > /dev/null 2>&1 || return 0
    return 1
}

# A policy that someone other than root can change decides which devices the host gives
# away at the next boot: refuse it, naming the file.
gpu_vfio_check_owner() {
    local _owner=0 _uid _mode _ret=0 _p
    [ -n "$(gpu_vfio_root)" ] && _owner=$(id -u)
    for _p in "$(gpu_vfio_root)/etc/gpu-vfio.d" $(gpu_vfio_policy_files); do
        [ -e "$_p" ] || continue
        _uid=$(stat -L -c %u "$_p")
        _mode=$(stat -L -c %A "$_p")
        if [ "$_uid" != "$_owner" ]; then
            dfatal "gpu-vfio: $_p: owned by uid $_uid, not $_owner: refusing this policy"
            _ret=1
        fi
        case "$_mode" in
            ?????w* | ????????w*)
                dfatal "gpu-vfio: $_p: writable by group or others ($_mode): refusing this policy"
                _ret=1
                ;;
        esac
    done
    return "$_ret"
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
    if ! gpu_vfio_check_owner; then
        dfatal "gpu-vfio: fix the owner or mode (chown root:root, chmod go-w); initramfs not written"
        exit 1
    fi
    if ! _errors=$(gpu_vfio_validate 2>&1); then
        printf '%s\n' "$_errors" | while IFS= read -r _f; do
            dfatal "$_f"
        done
        dfatal "gpu-vfio: the policy is invalid; initramfs not written"
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
