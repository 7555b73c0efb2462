#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check `gpu-vfio nova` output with nova's own parsers (Debian's python3-nova).

Usage: nova_check.py NOVA_CONF STATUS_JSON --root ROOT
                     [--key device_spec|passthrough_whitelist] [--managed yes|no|absent]
                     [--placement] [--rc NAME=CLASS]... [--other-aliases]

NOVA_CONF is what `gpu-vfio nova` printed; STATUS_JSON is `gpu-vfio status --json` of
the same ROOT (whose sysfs tells which devices are SR-IOV capable: nova's type-PF). The [pci] section is loaded through oslo.config with nova's options, the
device specs through nova.pci.whitelist.Whitelist and the aliases through nova's alias
loader; then every device the node gives to VMs must be assignable by its address, every
other listed device must not be, and each alias must name the devices' ids.
With --placement (nova 2023.1 and later) [pci] report_in_placement and [filter_scheduler]
pci_in_placement must be on, nova's placement translator (pci_placement_translator) must give
every device the resource class of its name (CUSTOM_NAME, or --rc NAME=CLASS) and the alias
loader must accept one alias per name whose flavor request asks for that class. With
--other-aliases the file may hold aliases of other nodes too (a kolla-ansible merge).
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
    ap.add_argument("--placement", action="store_true")
    ap.add_argument("--rc", action="append", default=[])
    ap.add_argument("--other-aliases", action="store_true")
    args = ap.parse_args()
    rcs = dict(a.split("=", 1) for a in args.rc)

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
            # nova 2025.1 normalises the tag to "true"/"false" (oslo's bool_from_string).
            want = {"no": ("no", "false"), "yes": ("yes", "true")}[args.managed]
            check(tags.get("managed") in want,
                  "%s: managed=%s (%s)" % (d["address"], args.managed, tags.get("managed")))
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
    if args.placement:
        check_placement(args, conf, wl, wanted, rcs, aliases, pci_request, exception)
        return
    for d in wanted:
        if d["sriov"] and any(not o["sriov"] and o["name"] == d["name"] for o in wanted):
            d["alias"] = d["name"] + "-pf"
        else:
            d["alias"] = d["name"]
    names = sorted({d["alias"] for d in wanted})
    if args.other_aliases:
        check(set(names) <= set(aliases), "aliases %s include %s" % (sorted(aliases), names))
    else:
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
            groups = placement_groups(value)
            if groups is not None:
                check(len(groups) == 1, "nova's RequestSpec makes %s one placement group: %s"
                      % (value, groups))
        except (exception.NovaException, ValueError) as e:
            check(False, "nova turns %s into a PCI request: %s" % (value, e))


def placement_groups(value):
    """nova's RequestSpec turns the flavor's alias request into placement request groups
    when pci_in_placement is on (and refuses a request of several specs). Returns the
    groups' resources, or None when pci_in_placement is off (Zed has no such option)."""
    import nova.conf
    from nova import objects
    from nova.pci import request as pci_request

    conf = nova.conf.CONF
    if not getattr(conf.filter_scheduler, "pci_in_placement", False):
        return None
    reqs = pci_request._translate_alias_to_requests(value)
    rs = objects.RequestSpec(pci_requests=objects.InstancePCIRequests(requests=reqs),
                             requested_resources=[])
    rs.generate_request_groups_from_pci_requests()
    return [dict(g.resources) for g in rs.requested_resources]


def check_placement(args, conf, wl, wanted, rcs, aliases, pci_request, exception):
    """PCI in Placement: the translator's resource class of every device is its name's, and
    each name's one alias asks for that class."""
    from nova import objects
    from nova.compute import pci_placement_translator as ppt

    check(conf.pci.report_in_placement, "[pci] report_in_placement is on")
    check(conf.filter_scheduler.pci_in_placement, "[filter_scheduler] pci_in_placement is on")
    by_name = {}
    for d in wanted:
        want = rcs.get(d["name"]) or "CUSTOM_" + d["name"].upper().replace("-", "_")
        dev = {"vendor_id": d["vendor"], "product_id": d["device"],
               "address": d["address"], "parent_addr": None}
        spec = [s for s in wl.specs if s.match(dev)][0]
        obj = objects.PciDevice(vendor_id=d["vendor"], product_id=d["device"],
                                address=d["address"],
                                dev_type="type-PF" if d["sriov"] else "type-PCI")
        rc = ppt._get_rc_for_dev(obj, spec.get_tags())
        traits = ppt._get_traits_for_dev(spec.get_tags())
        check(rc == want, "%s: placement resource class %s (want %s)" % (d["address"], rc, want))
        check("COMPUTE_MANAGED_PCI_DEVICE" in traits,
              "%s: traits %s" % (d["address"], sorted(traits)))
        by_name.setdefault(d["name"], set()).add(rc)
    names = sorted(by_name)
    if args.other_aliases:
        check(set(names) <= set(aliases), "aliases %s include %s" % (sorted(aliases), names))
    else:
        check(sorted(aliases) == names, "aliases %s (want %s)" % (sorted(aliases), names))
    for name, classes in by_name.items():
        check(len(classes) == 1, "name %s has one resource class (%s)" % (name, classes))
        if name not in aliases:
            continue
        specs = aliases[name][1]
        check(len(specs) == 1, "alias %s has one spec, as pci_in_placement needs" % name)
        try:
            reqs = pci_request._translate_alias_to_requests("%s:1" % name)
        except exception.NovaException as e:
            check(False, "nova turns %s:1 into a PCI request: %s" % (name, e))
            continue
        got = {s.get("resource_class") for r in reqs for s in r.spec}
        check(got == classes, "the request for %s asks for %s (devices: %s)" %
              (name, sorted(got), sorted(classes)))
        try:
            groups = placement_groups("%s:1" % name)
        except ValueError as e:
            check(False, "nova's RequestSpec turns %s:1 into placement groups: %s" % (name, e))
            continue
        check(groups == [{rc: 1 for rc in classes}],
              "nova asks placement for %s for %s:1" % (groups, name))


if __name__ == "__main__":
    tap.run(main, "nova accepts the configuration")
