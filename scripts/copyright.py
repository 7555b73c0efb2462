#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write debian/copyright: gpu-vfio's own paragraphs, then each component's.

Usage: scripts/copyright.py HEAD SRCDIR COMPONENT... > debian/copyright

HEAD holds gpu-vfio's header, Files and License paragraphs (DEP-5). For each COMPONENT,
SRCDIR/COMPONENT/debian/copyright (DEP-5, the Debian source package's own) contributes
its Files paragraphs with every pattern prefixed by COMPONENT/, and its stand-alone
License paragraphs; a licence short name already defined (names compare case-insensitive,
as DEP-5 says) keeps its first text, as one name may have one text only.
"""
import re
import sys


def paragraphs(text):
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def field(par, name):
    m = re.search(r"^%s:[ \t]*(.*(?:\n[ \t].*)*)" % re.escape(name), par, re.M | re.I)
    return m.group(1) if m else None


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    head, srcdir, comps = argv[1], argv[2], argv[3:]
    out = paragraphs(open(head, encoding="utf-8").read())
    files, licences, seen = [], [], set()
    for par in out:
        if field(par, "Files") is None and field(par, "License") is not None:
            seen.add(field(par, "License").split("\n")[0].strip().lower())
    for comp in comps:
        path = "%s/%s/debian/copyright" % (srcdir, comp)
        pars = paragraphs(open(path, encoding="utf-8").read())
        if field(pars[0], "Format") is None:
            sys.exit("%s: not a DEP-5 (machine-readable) copyright file" % path)
        for par in pars[1:]:
            pats = field(par, "Files")
            if pats is not None:
                new = " ".join("%s/%s" % (comp, p) for p in pats.split())
                par = re.sub(r"^Files:[ \t]*.*(?:\n[ \t].*)*", "Files: " + new, par,
                             count=1, flags=re.M | re.I)
                files.append(par)
            elif field(par, "License") is not None:
                name = field(par, "License").split("\n")[0].strip().lower()
                if name not in seen:
                    seen.add(name)
                    licences.append(par)
    sys.stdout.write("\n\n".join(out + files + licences) + "\n")


if __name__ == "__main__":
    main(sys.argv)
