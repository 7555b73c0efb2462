#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check `gpu-vfio kubevirt` output: YAML that merges into the KubeVirt CR's
spec.configuration.

Usage: kubevirt_check.py KUBEVIRT_YAML STATUS_JSON

Every vendor:device the node gives to VMs (STATUS_JSON: `gpu-vfio status --json`) must have
exactly one pciHostDevices entry, with pciVendorSelector "VVVV:DDDD" (upper-case hex, as
KubeVirt's examples write it) and resourceName "nvidia.com/NAME" for NVIDIA devices; no
other entry and no other key may appear. Prints ok/not ok lines; exits 1 on any failure.
"""

import json
import re
import sys

import yaml

import tap
from tap import check


def main():
    with open(sys.argv[1]) as f:
        doc = yaml.safe_load(f)
    with open(sys.argv[2]) as f:
        devices = json.load(f)["devices"]

    check(isinstance(doc, dict) and list(doc) == ["permittedHostDevices"],
          "one top-level key, permittedHostDevices")
    phd = doc["permittedHostDevices"]
    check(isinstance(phd, dict) and list(phd) == ["pciHostDevices"],
          "permittedHostDevices holds pciHostDevices only")
    entries = phd["pciHostDevices"]
    check(isinstance(entries, list), "pciHostDevices is a list")

    wanted = {}
    for d in devices:
        if d["action"] in ("claim", "claimed") and "via" not in d and "rule" in d:
            sel = ("%s:%s" % (d["vendor"], d["device"])).upper()
            wanted.setdefault(sel, d.get("name") or "nvidia-" + d["device"])
    got = {}
    for e in entries:
        check(isinstance(e, dict) and set(e) == {"pciVendorSelector", "resourceName"},
              "entry %s has pciVendorSelector and resourceName only" % e)
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


if __name__ == "__main__":
    tap.run(main, "the YAML parses and has the structure")
