#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kolla-ansible's merge of a service's config files, reimplemented (kolla-ansible is not
packaged in Debian): the semantics of OverrideConfigParser in kolla-ansible's
ansible/action_plugins/merge_configs.py, on oslo.config's iniparser as kolla uses it.

Within one file a key given several times keeps every value (nova's multi-valued alias and
device_spec); a later file that sets a key of a section replaces all of that key's values;
sections and keys keep their first order. kolla's nova role merges, in order, its template,
/etc/kolla/config/global.conf, /etc/kolla/config/nova.conf, /etc/kolla/config/nova/SERVICE.conf
and /etc/kolla/config/nova/INVENTORY_HOSTNAME/nova.conf.

Usage: kolla_merge.py OUT FILE...   (missing FILEs are skipped, as kolla does)
"""

import os
import sys

from oslo_config import iniparser

ORPHAN = "TEMPORARY_ORPHAN_VARIABLE_SECTION"


class Merger(iniparser.BaseParser):
    def __init__(self):
        self.merged = {}  # section -> {key: [value lines, ...]}, insertion-ordered
        self.this_file = {}
        self.section = None

    def new_section(self, section):
        self.section = self.this_file.setdefault(section, {})
        return self.section

    def assignment(self, key, value):
        if self.section is None:
            self.new_section(ORPHAN)
        if len(value) == 1 and value[0] == "":
            value = []
        self.section.setdefault(key, []).append(value)

    def parse_file(self, path):
        self.this_file = {}
        self.section = None
        with open(path) as f:
            self.parse(f)
        for section, keys in self.this_file.items():
            dest = self.merged.setdefault(section, {})
            for key, values in keys.items():
                dest[key] = values  # a later file replaces the key

    def write(self, f):
        for section, keys in self.merged.items():
            if section != ORPHAN:
                f.write("[%s]\n" % section)
            for key, values in keys.items():
                for v in values:
                    if not v:
                        f.write("%s =\n" % key)
                    for i, line in enumerate(v):
                        f.write("%s = %s\n" % (key, line) if i == 0 else
                                " " * (len(key) + 3) + line + "\n")
            f.write("\n")


def main():
    m = Merger()
    for path in sys.argv[2:]:
        if os.access(path, os.R_OK):
            m.parse_file(path)
    with open(sys.argv[1], "w") as f:
        m.write(f)


if __name__ == "__main__":
    main()
