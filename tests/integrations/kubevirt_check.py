#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check `gpu-vfio kubevirt` output: YAML that merges into the KubeVirt CR's
spec.configuration, or (--json) the merge patch of the CR for kubectl patch --type merge.

Usage: kubevirt_check.py [--json] OUTPUT STATUS_JSON...

Every vendor:device the nodes give to VMs (each STATUS_JSON: one node's `gpu-vfio status
--json`; several for `kubevirt --merge`) must have exactly one pciHostDevices entry, with
pciVendorSelector "VVVV:DDDD" (upper-case hex, as KubeVirt's examples write it) and
resourceName "nvidia.com/NAME" for NVIDIA devices (the first name seen); a device on a VFIO
variant driver (bound to it, or claim's vfio_driver) needs externalResourceProvider: true,
since KubeVirt's own device plugin serves vfio-pci devices only; no other entry and no other
key may appear. Prints ok/not ok lines; exits 1 on any failure.
"""

import json
import re
import sys

import yaml

import tap
from tap import check


def main():
    argv = sys.argv[1:]
    as_json = argv[0] == "--json"
    if as_json:
        argv = argv[1:]
    with open(argv[0]) as f:
        doc = json.load(f) if as_json else yaml.safe_load(f)
    devices = []
    for path in argv[1:]:
        with open(path) as f:
            devices += json.load(f)["devices"]

    if as_json:
        check(isinstance(doc, dict) and list(doc) == ["spec"], "one top-level key, spec")
        check(list(doc["spec"]) == ["configuration"], "spec holds configuration only")
        doc = doc["spec"]["configuration"]
    check(isinstance(doc, dict) and list(doc) == ["permittedHostDevices"],
          "one top-level key, permittedHostDevices")
    phd = doc["permittedHostDevices"]
    check(isinstance(phd, dict) and list(phd) == ["pciHostDevices"],
          "permittedHostDevices holds pciHostDevices only")
    entries = phd["pciHostDevices"]
    check(isinstance(entries, list), "pciHostDevices is a list")

    wanted = {}
    external = set()
    for d in devices:
        if d["action"] in ("claim", "claimed") and "via" not in d and "rule" in d:
            sel = ("%s:%s" % (d["vendor"], d["device"])).upper()
            wanted.setdefault(sel, d.get("name") or "nvidia-" + d["device"])
            drv = d.get("vfio_driver") or (d["driver"] if d["action"] == "claimed" else None)
            if drv and drv != "vfio-pci":
                external.add(sel)
    got = {}
    for e in entries:
        keys = {"pciVendorSelector", "resourceName"}
        if isinstance(e, dict) and e.get("pciVendorSelector") in external:
            keys.add("externalResourceProvider")
            check(e.get("externalResourceProvider") is True,
                  "%s (variant driver) has externalResourceProvider: true" %
                  e.get("pciVendorSelector"))
        check(isinstance(e, dict) and set(e) == keys,
              "entry %s has %s only" % (e, sorted(keys)))
        sel = e.get("pciVendorSelector", "")
        check(re.fullmatch(r"[0-9A-F]{4}:[0-9A-F]{4}", sel) is not None,
              "selector %r is VVVV:DDDD in upper-case hex" % sel)
        check(sel not in got, "selector %s appears once" % sel)
        got[sel] = e.get("resourceName")
    check(sorted(got) == sorted(wanted),
          "selectors %s (want %s)" % (sorted(got), sorted(wanted)))
    for sel, name in wanted.items():
        want = ("nvidia.com/" if sel.startswith("10DE:") else "devices.kubevirt.io/") + name
        check(got.get(sel) == want, "%s -> resourceName %s (got %s)" % (sel, want, got.get(sel)))
        check(want != "nvidia.com/gpu", "%s is not NVIDIA's device plugin resource" % want)


if __name__ == "__main__":
    tap.run(main, "the output parses and has the structure")
