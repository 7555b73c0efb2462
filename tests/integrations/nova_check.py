#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check `gpu-vfio nova` output with nova's own parsers (Debian's python3-nova).

Usage: nova_check.py NOVA_CONF STATUS_JSON --root ROOT
                     [--key device_spec|passthrough_whitelist] [--managed yes|no|absent]

NOVA_CONF is what `gpu-vfio nova` printed; STATUS_JSON is `gpu-vfio status --json` of
the same ROOT (whose sysfs tells which devices are SR-IOV capable: nova's type-PF). The [pci] section is loaded through oslo.config with nova's options, the
device specs through nova.pci.whitelist.Whitelist and the aliases through nova's alias
loader; then every device the node gives to VMs must be assignable by its address, every
other listed device must not be, and each alias must name the devices' ids.
Prints "ok - ..." / "not ok - ..." lines; exits 1 when any check fails or nova rejects
the configuration.
"""

import argparse
import json
import os
import re
import shlex

import tap
from tap import check


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("conf")
    ap.add_argument("status")
    ap.add_argument("--root", required=True)
    ap.add_argument("--key", default="device_spec")
    ap.add_argument("--managed", default="absent")
    args = ap.parse_args()

    import nova.conf
    from nova import exception
    from nova import objects
    from nova.pci import request as pci_request
    from nova.pci import whitelist

    objects.register_all()
    conf = nova.conf.CONF
    conf([], project="nova", default_config_files=[args.conf])

    with open(args.conf) as f:
        text = f.read()
    with open(args.status) as f:
        devices = json.load(f)["devices"]

    # The release's key, and nothing else, carries the specs.
    other = "passthrough_whitelist" if args.key == "device_spec" else "device_spec"
    check(re.search(r"^%s = " % args.key, text, re.M) is not None,
          "the [pci] section uses %s" % args.key)
    check(re.search(r"^%s = " % other, text, re.M) is None, "and not %s" % other)

    specs = list(conf.pci.device_spec)
    try:
        wl = whitelist.Whitelist(specs)
    except exception.NovaException as e:
        check(False, "nova.pci.whitelist.Whitelist accepts the specs: %s" % e)
        return
    check(len(wl.specs) == len(specs) and specs,
          "nova parses %d device spec(s)" % len(specs))

    wanted = [d for d in devices
              if d["action"] in ("claim", "claimed") and "via" not in d and "rule" in d]
    others = [d for d in devices if d not in wanted]
    check(len(specs) == len(wanted),
          "one spec per device for VMs (%d specs, %d devices)" % (len(specs), len(wanted)))
    for d in wanted:
        dev = {"vendor_id": d["vendor"], "product_id": d["device"],
               "address": d["address"], "parent_addr": None}
        check(wl.device_assignable(dev), "%s is assignable" % d["address"])
        # By address: an identical card elsewhere must not match the same spec.
        matches = [s for s in wl.specs if s.match(dev)]
        check(len(matches) == 1, "%s matches exactly one spec" % d["address"])
        if not matches:
            continue
        tags = matches[0].get_tags()
        if args.managed == "absent":
            check("managed" not in tags, "%s: no managed tag" % d["address"])
        else:
            check(tags.get("managed") == args.managed,
                  "%s: managed=%s" % (d["address"], args.managed))
    for d in others:
        dev = {"vendor_id": d["vendor"], "product_id": d["device"],
               "address": d["address"], "parent_addr": None}
        check(not wl.device_assignable(dev),
              "%s (%s) is not assignable" % (d["address"], d["action"]))

    try:
        aliases = pci_request._get_alias_from_config()
    except exception.PciInvalidAlias as e:
        check(False, "nova's alias loader accepts the aliases: %s" % e)
        return
    # Expected: name= or nvidia-DDDD; type-PF for SR-IOV capable devices, whose alias is
    # NAME-pf when the same name also covers plain devices (nova wants one type per alias).
    for d in wanted:
        d["name"] = d.get("name") or "nvidia-" + d["device"]
        d["sriov"] = os.path.exists(os.path.join(
            args.root, "sys/bus/pci/devices", d["address"], "sriov_totalvfs"))
    for d in wanted:
        if d["sriov"] and any(not o["sriov"] and o["name"] == d["name"] for o in wanted):
            d["alias"] = d["name"] + "-pf"
        else:
            d["alias"] = d["name"]
    names = sorted({d["alias"] for d in wanted})
    check(sorted(aliases) == names, "aliases %s (want %s)" % (sorted(aliases), names))
    seen = set()
    for d in wanted:
        want_type = "type-PF" if d["sriov"] else "type-PCI"
        key = (d["alias"], d["vendor"], d["device"], want_type)
        if key in seen or d["alias"] not in aliases:
            continue
        seen.add(key)
        ids = [(s.get("vendor_id"), s.get("product_id"), s.get("dev_type"))
               for s in aliases[d["alias"]][1]]
        check(key[1:] in ids, "alias %s names %s:%s as %s" % key)

    # The flavor command in the comments requests an alias nova knows.
    for line in text.splitlines():
        if not line.startswith("# openstack flavor create"):
            continue
        words = shlex.split(line[2:])
        prop = words[words.index("--property") + 1]
        key, _, value = prop.partition("=")
        check(key == "pci_passthrough:alias", "flavor property %s" % key)
        try:
            reqs = pci_request._translate_alias_to_requests(value)
            check(len(reqs) == 1 and reqs[0].count == 1,
                  "nova turns %s into one PCI request" % value)
        except exception.NovaException as e:
            check(False, "nova turns %s into a PCI request: %s" % (value, e))


if __name__ == "__main__":
    tap.run(main, "nova accepts the configuration")
