#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check systemd/60-gpu-vfio.rules without a real device: parse it with udev's syntax and
run its matches against fake uevents.

Usage: udev_rule_check.py RULES UNIT_DIR

udevadm test needs a device in /sys, and Debian 12's udevadm has no verify, so this is a
small model of udev's rule language: one rule per line, KEY[{ATTR}]OP"VALUE" pairs
separated by commas, == and != matches with udev's glob patterns ('*', '?', '[...]',
'|' alternatives), GOTO/LABEL, and the assignments += and =. The checks: every key and
operator is one udev knows, every GOTO has its LABEL, the SYSTEMD_WANTS unit exists in
UNIT_DIR as a template, and fake add/remove events of GPUs, their audio functions, NICs
and disks start gpu-vfio@ADDRESS.service exactly when they should.
Prints ok/not ok lines; exits 1 on any failure.
"""

import fnmatch
import os
import re
import sys

import tap
from tap import check


# The keys this rule may use, and the operators udev allows for each.
MATCH_OPS = ("==", "!=")
ASSIGN_OPS = ("=", "+=", "-=", ":=")
KEYS = {
    "ACTION": MATCH_OPS, "SUBSYSTEM": MATCH_OPS, "KERNEL": MATCH_OPS,
    "DRIVER": MATCH_OPS, "ATTR": MATCH_OPS + ASSIGN_OPS, "ENV": MATCH_OPS + ASSIGN_OPS,
    "TAG": MATCH_OPS + ASSIGN_OPS, "GOTO": ("=",), "LABEL": ("=",), "RUN": ASSIGN_OPS,
}
TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)')


def parse(path):
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pairs, pos = [], 0
            while pos < len(line):
                m = TOKEN.match(line, pos)
                if not m:
                    raise ValueError("%s:%d: cannot parse %r" % (path, n, line[pos:]))
                key, attr, op, value = m.group(1, 2, 3, 4)
                if key not in KEYS or op not in KEYS[key]:
                    raise ValueError("%s:%d: %s%s is not a udev key/operator" % (path, n, key, op))
                if (key in ("ATTR", "ENV")) != (attr is not None):
                    raise ValueError("%s:%d: %s needs {NAME} exactly when it is ATTR/ENV"
                                     % (path, n, key))
                pairs.append((key, attr, op, value))
                pos = m.end()
            rules.append((n, pairs))
    return rules


def glob_match(value, pattern):
    return any(fnmatch.fnmatchcase(value, p) for p in pattern.split("|"))


def lookup(event, key, attr):
    if key == "ATTR":
        return event["attrs"].get(attr, "")
    if key == "ENV":
        return event["env"].get(attr, "")
    if key == "TAG":
        return " ".join(event["tags"])
    return event.get(key, "")


def run(rules, event):
    """Apply the rules to event; returns (env, tags) after processing."""
    env, tags = dict(event.get("env", {})), set()
    event = dict(event, env=env, tags=tags)
    labels = {pairs[0][3]: i for i, (_, pairs) in enumerate(rules) if pairs[0][0] == "LABEL"}
    i = 0
    while i < len(rules):
        _, pairs = rules[i]
        goto = None
        matched = True
        for key, attr, op, value in pairs:
            if op in MATCH_OPS:
                hit = glob_match(lookup(event, key, attr), value)
                if hit != (op == "=="):
                    matched = False
                    break
        if matched:
            for key, attr, op, value in pairs:
                value = value.replace("%k", event["KERNEL"]).replace("$kernel", event["KERNEL"])
                if key == "GOTO":
                    goto = value
                elif key == "TAG" and op in ("+=", "="):
                    tags.add(value)
                elif key == "ENV" and op == "+=":
                    env[attr] = (env.get(attr, "") + " " + value).strip()
                elif key == "ENV" and op in ("=", ":="):
                    env[attr] = value
        i = labels[goto] if goto else i + 1
    return env, tags


def device(action, address, vendor, cls):
    return {"ACTION": action, "SUBSYSTEM": "pci", "KERNEL": address,
            "attrs": {"vendor": vendor, "class": cls}, "env": {}}


def main():
    rules = parse(sys.argv[1])
    check(True, "%s parses as udev rules (%d rules)" % (sys.argv[1], len(rules)))
    labels = [p[0][3] for _, p in rules if p[0][0] == "LABEL"]
    gotos = [v for _, p in rules for k, _, _, v in p if k == "GOTO"]
    check(all(g in labels for g in gotos), "every GOTO has its LABEL")
    check(len(labels) == len(set(labels)), "labels are unique")

    wants = [v for _, p in rules for k, a, _, v in p if k == "ENV" and a == "SYSTEMD_WANTS"]
    check(len(wants) == 1, "one SYSTEMD_WANTS assignment")
    unit = wants[0] if wants else ""
    check(unit == "gpu-vfio@%k.service", "SYSTEMD_WANTS is gpu-vfio@%%k.service (%s)" % unit)
    template = re.sub(r"@[^.]*\.", "@.", unit)
    check(os.path.isfile(os.path.join(sys.argv[2], template)),
          "the template %s exists in %s" % (template, sys.argv[2]))
    check(not any(k == "RUN" for _, p in rules for k, _, _, _ in p),
          "no RUN: a claim can take seconds, so it runs as a unit")

    cases = [
        ("H100 added", device("add", "0000:03:00.0", "0x10de", "0x030200"), True),
        ("GeForce added", device("add", "0000:01:00.0", "0x10de", "0x030000"), True),
        ("its HDMI audio added", device("add", "0000:01:00.1", "0x10de", "0x040300"), True),
        ("NVSwitch added", device("add", "0000:0b:00.0", "0x10de", "0x068000"), True),
        ("AMD GPU added", device("add", "0000:41:00.0", "0x1002", "0x030000"), True),
        ("accelerator added", device("add", "0000:99:00.0", "0x1da3", "0x120000"), True),
        ("H100 removed", device("remove", "0000:03:00.0", "0x10de", "0x030200"), False),
        ("H100 bound", device("bind", "0000:03:00.0", "0x10de", "0x030200"), False),
        ("ConnectX-7 added", device("add", "0000:05:00.0", "0x15b3", "0x020000"), False),
        ("NVMe added", device("add", "0000:06:00.0", "0x144d", "0x010802"), False),
        ("AMD HDMI audio added", device("add", "0000:41:00.1", "0x1002", "0x040300"), False),
        ("USB device added", dict(device("add", "1-1", "0x10de", "0x030000"),
                                  SUBSYSTEM="usb"), False),
    ]
    for name, event, want in cases:
        env, tags = run(rules, event)
        unit = "gpu-vfio@%s.service" % event["KERNEL"]
        got = env.get("SYSTEMD_WANTS", "").split() == [unit] and "systemd" in tags
        none = "SYSTEMD_WANTS" not in env and not tags
        check(got if want else none,
              "%s: %s" % (name, ("starts " + unit) if want else "starts nothing"))


if __name__ == "__main__":
    tap.run(main, "the rules parse")
