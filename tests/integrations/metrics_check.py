#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check `gpu-vfio status --prometheus` output with the Prometheus client's own parser.

Usage: metrics_check.py METRICS [EXPECT...]

Every family must be a documented gauge (HELP and TYPE), every series of
gpu_vfio_device_state must have the labels address, vendor, device, class, name, driver and
state with value 1, addresses must be unique, and the state one of claim, claimed, keep,
blocked, failed, none. EXPECT items:
  METRIC=VALUE        the unlabelled series METRIC has VALUE
  METRIC=absent       no such series
  state:STATE=N       N devices are in STATE
  device:ADDRESS=STATE[/NAME]   that device is in STATE (and has that name label)
Prints ok/not ok lines; exits 1 on any failure.
"""

import re
import sys

from prometheus_client.parser import text_string_to_metric_families

import tap
from tap import check

STATES = {"claim", "claimed", "keep", "blocked", "failed", "none"}
DEVICE_LABELS = {"address", "vendor", "device", "class", "name", "driver", "state"}


def main():
    with open(sys.argv[1]) as f:
        text = f.read()
    families = {fam.name: fam for fam in text_string_to_metric_families(text)}
    check(len(families) > 0, "the client library parses %d families" % len(families))
    for name, fam in families.items():
        check(fam.type == "gauge" and fam.documentation,
              "%s is a documented gauge" % name)
        check(re.search(r"^# HELP %s " % name, text, re.M) is not None,
              "%s has a HELP line" % name)

    devices = {}
    fam = families.get("gpu_vfio_device_state")
    check(fam is not None, "gpu_vfio_device_state is there")
    for s in fam.samples if fam else []:
        labels = s.labels
        check(set(labels) == DEVICE_LABELS and s.value == 1 and labels["state"] in STATES
              and re.fullmatch(r"[0-9a-f]{4}", labels["vendor"]) is not None
              and re.fullmatch(r"[0-9a-f]{4}", labels["device"]) is not None,
              "series of %s: labels %s, value %s" % (labels.get("address"),
                                                     sorted(labels), s.value))
        check(labels.get("address") not in devices, "%s appears once" % labels.get("address"))
        devices[labels.get("address")] = labels
    plain = {}
    for fam in families.values():
        for s in fam.samples:
            if not s.labels:
                plain[s.name] = s.value

    for item in sys.argv[2:]:
        key, _, want = item.partition("=")
        if key.startswith("state:"):
            n = sum(1 for d in devices.values() if d["state"] == key[6:])
            check(n == int(want), "%d device(s) %s (want %s)" % (n, key[6:], want))
        elif key.startswith("device:"):
            d = devices.get(key[7:], {})
            state, _, name = want.partition("/")
            check(d.get("state") == state and (not name or d.get("name") == name),
                  "%s is %s%s (got %s/%s)" % (key[7:], state, "/" + name if name else "",
                                              d.get("state"), d.get("name")))
        elif want == "absent":
            check(key not in plain, "%s is absent" % key)
        else:
            check(plain.get(key) == float(want), "%s = %s (got %s)" % (key, want, plain.get(key)))


if __name__ == "__main__":
    tap.run(main, "the metrics parse")
