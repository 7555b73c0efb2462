#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The include graph of the project's C sources, and a check that it has no cycle.

A node is a module: DIR/NAME.c and DIR/NAME.h together (generator/ has sources only). An
edge A -> B means a file of A has `#include "B.h"` for a header of the project. A cycle
of modules means two concepts need each other; so does an upward edge, from the shared
lib/ to a program's directory. `--check` names every cycle and upward edge and fails.

  include-graph.py [--dot | --check] DIR...
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def modules(dirs):
    """{module: [files]} and {header basename: module} of the given directories."""
    files, headers = {}, {}
    for d in dirs:
        for name in sorted(os.listdir(d)):
            base, ext = os.path.splitext(name)
            if ext not in ('.c', '.h'):
                continue
            mod = os.path.join(d, base)
            files.setdefault(mod, []).append(os.path.join(d, name))
            if ext == '.h':
                headers[name] = mod
    return files, headers


def graph(dirs):
    files, headers = modules(dirs)
    edges = {m: set() for m in files}
    for mod, paths in files.items():
        for path in paths:
            with open(path, encoding='utf-8', errors='replace') as f:
                for line in f:
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    dep = headers.get(os.path.basename(m.group(1)))
                    if dep and dep != mod:
                        edges[mod].add(dep)
    return edges


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def upward(edges):
    """Edges from lib/ (shared by the programs) into a program's directory."""
    return ['%s -> %s' % (a, b) for a in sorted(edges) for b in sorted(edges[a])
            if os.path.dirname(a) == 'lib' and os.path.dirname(b) != 'lib']


def main(argv):
    mode = 'text'
    if argv and argv[0] in ('--dot', '--check'):
        mode = argv.pop(0)[2:]
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    edges = graph(argv)
    if mode == 'dot':
        print('digraph includes {')
        print('\trankdir=LR;')
        for a in sorted(edges):
            print('\t"%s";' % a)
            for b in sorted(edges[a]):
                print('\t"%s" -> "%s";' % (a, b))
        print('}')
        return 0
    found = cycles(edges)
    if mode == 'text':
        for a in sorted(edges):
            for b in sorted(edges[a]):
                print('%s -> %s' % (a, b))
        print('# %d modules, %d edges, %d cycles' %
              (len(edges), sum(len(e) for e in edges.values()), len(found)))
    for comp in found:
        members = set(comp)
        inner = ['%s -> %s' % (a, b) for a in comp for b in sorted(edges[a]) if b in members]
        print('include cycle: %s (%s)' % (' '.join(comp), ', '.join(inner)),
              file=sys.stderr if mode == 'text' else sys.stdout)
    up = upward(edges)
    for e in up:
        print('upward include: %s' % e, file=sys.stderr if mode == 'text' else sys.stdout)
    if mode == 'check' and not found and not up:
        print('no include cycle or upward include among %d modules' % len(edges))
    return 1 if mode == 'check' and (found or up) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
