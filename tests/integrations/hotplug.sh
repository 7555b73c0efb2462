# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash disable=SC2016 # eval strings expand when the test runs
# Sourced by run.sh: `gpu-vfio claim --device ADDRESS` on roots served by the fake kernel.
# A fresh fixture has every GPU on its host driver, as after a hot-add or a remove/rescan
# (driver_override is lost and the kernel binds nvidia first).

d=$work/hotplug
mkdir -p "$d"
t "a fresh hgx-h100 fixture (GPUs on nvidia)" mkroot hp hgx-h100
hp=$work/hp/root
state=$hp/run/gpu-vfio/state.json
if start_fakekernel "$hp"; then
	t_rc "claim --device 0000:03:00.0 exits 0" 0 "$gpu_vfio" --root "$hp" claim --device 0000:03:00.0
	t "0000:03:00.0 is on vfio-pci (nvidia was unbound)" \
		eval '[ "$(driver "$hp" 0000:03:00.0)" = vfio-pci ]'
	t "the other GPUs are untouched (0000:04:00.0 still on nvidia)" \
		eval '[ "$(driver "$hp" 0000:04:00.0)" = nvidia ] &&
		      [ "$(driver "$hp" 0000:89:00.0)" = nvidia ]'
	t "state.json records 0000:03:00.0 claimed, previously on nvidia" \
		eval 'grep "\"0000:03:00.0\"" "$state" | grep -q "\"claimed\".*\"previous_driver\": \"nvidia\""'
	t_rc "claim --device 04:00.0 (short form, upper case) exits 0" 0 \
		"$gpu_vfio" --root "$hp" claim --device 04:00.0
	t "0000:04:00.0 is on vfio-pci and state.json still holds 0000:03:00.0" \
		eval '[ "$(driver "$hp" 0000:04:00.0)" = vfio-pci ] &&
		      grep -q "\"0000:03:00.0\".*\"claimed\"" "$state"'
	t_rc "claim --device of a claimed device again exits 0 (idempotent)" 0 \
		"$gpu_vfio" --root "$hp" claim --device 0000:03:00.0
	t "and leaves it on vfio-pci" eval '[ "$(driver "$hp" 0000:03:00.0)" = vfio-pci ]'
	t_rc "claim --device of an NVSwitch (kept by the policy) exits 0" 0 \
		"$gpu_vfio" --root "$hp" claim --device 0000:0b:00.0
	t "the NVSwitch stays on nvidia" eval '[ "$(driver "$hp" 0000:0b:00.0)" = nvidia ]'
	t_rc "claim --device of a device no rule matches (the BMC VGA) exits 0" 0 \
		"$gpu_vfio" --root "$hp" claim --device 0000:0e:00.0
	t "and says there is nothing to do" grep -q "not wanted by the policy" "$last"
	fk_stop
fi
t_rc "claim --device with a malformed address exits 2" 2 \
	"$gpu_vfio" --root "$hp" claim --device 0000:03:00
t "and names the argument" grep -q "0000:03:00: not a PCI address" "$last"
t_rc "claim --device with a wildcard exits 2" 2 "$gpu_vfio" --root "$hp" claim --device '0000:0?:00.0'
t_rc "claim --device of an address that is not there exits 1" 1 \
	"$gpu_vfio" --root "$hp" claim --device 0000:ff:1f.7
t "and names it" grep -q "0000:ff:1f.7: no such PCI device" "$last"
t_rc "--device on another command is a usage error" 2 "$gpu_vfio" --root "$hp" status --device 03:00.0

# Group closure: a GPU whose audio, USB and UCSI functions share its group. udev sees each
# function; --device on the audio function claims the whole group.
t "the turing-4fn fixture is built" mkroot hp4 turing-4fn
hp4=$work/hp4/root
if start_fakekernel "$hp4"; then
	t_rc "claim --device 0000:01:00.1 (the HDMI audio function) exits 0" 0 \
		"$gpu_vfio" --root "$hp4" claim --device 0000:01:00.1
	t "all four functions of the group are on vfio-pci" \
		eval '[ "$(driver "$hp4" 0000:01:00.0)$(driver "$hp4" 0000:01:00.1)" = vfio-pcivfio-pci ] &&
		      [ "$(driver "$hp4" 0000:01:00.2)$(driver "$hp4" 0000:01:00.3)" = vfio-pcivfio-pci ]'
	t "the iGPU and the chipset audio stay with the host" \
		eval '[ "$(driver "$hp4" 0000:00:02.0)" = i915 ] &&
		      [ "$(driver "$hp4" 0000:00:1f.3)" = snd_hda_intel ]'
	fk_stop
fi

# A blocked group: exit 3, nothing bound.
t "the shared-sata fixture is built" mkroot hps shared-sata
if start_fakekernel "$work/hps/root"; then
	t_rc "claim --device of a GPU in a group with a SATA controller exits 3" 3 \
		"$gpu_vfio" --root "$work/hps/root" claim --device 0000:1e:00.0
	t "it stays on nouveau" eval '[ "$(driver "$work/hps/root" 0000:1e:00.0)" = nouveau ]'
	fk_stop
fi
