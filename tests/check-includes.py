#!/usr/bin/env python3
"""server/ in rooms (ARCHITECTURE.md "Layout"): checks the #include "x.h"
lines of every server/**/*.c and *.h.

A room is a folder of server/: core, and one per protocol (http, rtmp,
srt, webrtc, and any folder added later). Files at the top (main.c) may
include anything; nothing may include them. The rules:
  - core includes no room;
  - a protocol room includes core and its own headers, never another
    protocol room's, except those listed in RIDES_ON (a door that rides on
    another protocol: WebRTC signalling, WHIP and WHEP are carried by
    HTTP);
  - no include cycles: a module is a .c file with its .h (a header
    without a .c of its name is a module of its own), and no chain of
    includes between modules leads back to where it started: tg-a.c
    including tg-b.h while tg-b.c includes tg-a.h is a cycle.
Headers found nowhere in server/ (tollgate.h, tg-stream.h, generated ones,
system headers) are not the rooms' business and are ignored.

Usage: check-includes.py SERVER_DIR. Prints each problem and exits 1, or
prints a summary and exits 0."""

import os
import re
import sys

CORE = "core"
TOP = "(top)"
# room -> the other protocol rooms it may include
RIDES_ON = {"webrtc": {"http"}, "whip": {"http"}}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def module_of(name):
    return os.path.splitext(os.path.basename(name))[0]


def rides_on(room):
    others = sorted(RIDES_ON.get(room, ()))
    return ", and %s, which it rides on" % " and ".join(others) if others else ""


def scan(server):
    """{path relative to server: room} for every .c and .h."""
    files = {}
    for folder, dirs, names in os.walk(server):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                rel = os.path.relpath(os.path.join(folder, name), server)
                parts = rel.split(os.sep)
                files[rel] = parts[0] if len(parts) > 1 else TOP
    return files


def find_cycles(edges):
    """The strongly connected components of more than one module (Tarjan),
    each as a list of modules, and the modules that include themselves."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return cycles


def a_cycle(edges, component):
    """One closed path through a component: m1 -> m2 -> ... -> m1."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    while True:
        here = path[-1]
        nexts = sorted(w for w in edges.get(here, ()) if w in members)
        back = [w for w in nexts if w == start]
        if back and len(path) > 1:
            return path + [start]
        fresh = [w for w in nexts if w not in seen]
        if not fresh:
            # Close on the first module seen again.
            w = nexts[0]
            return path[path.index(w):] + [w]
        path.append(fresh[0])
        seen.add(fresh[0])


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    server = sys.argv[1]
    files = scan(server)
    problems = []
    by_name = {}
    for rel in files:
        by_name.setdefault(os.path.basename(rel), []).append(rel)
    for name, rels in sorted(by_name.items()):
        if len(rels) > 1:
            problems.append("%s is in several places (%s): includes of it "
                            "are ambiguous" % (name, ", ".join(rels)))

    edges = {}       # module -> modules it includes
    where = {}       # (module, module) -> first "file: #include" seen
    count = 0
    for rel, room in sorted(files.items()):
        with open(os.path.join(server, rel), encoding="utf-8") as f:
            text = f.read()
        mod = module_of(rel)
        edges.setdefault(mod, set())
        for included in INCLUDE.findall(text):
            targets = by_name.get(os.path.basename(included))
            if not targets:
                continue  # not a server header
            target = targets[0]
            to = files[target]
            count += 1
            line = '%s: #include "%s" (%s)' % (rel, included, target)
            if to == TOP:
                problems.append("%s: nothing may include a file at the top "
                                "of server/" % line)
            elif room == CORE and to != CORE:
                problems.append("%s: core includes no room (%s)" % (line, to))
            elif (room not in (TOP, CORE) and to not in (CORE, room)
                  and to not in RIDES_ON.get(room, ())):
                problems.append("%s: the %s room includes the %s room (a "
                                "door includes core and its own headers%s)"
                                % (line, room, to, rides_on(room)))
            tmod = module_of(target)
            if tmod != mod:
                edges[mod].add(tmod)
                where.setdefault((mod, tmod), line)

    for component in find_cycles(edges):
        path = a_cycle(edges, component)
        steps = ["  " + where[(a, b)] for a, b in zip(path, path[1:])]
        problems.append("include cycle %s:\n%s"
                        % (" -> ".join(path), "\n".join(steps)))

    if problems:
        for p in problems:
            print("check-includes: " + p)
        print("check-includes: %d problem(s) in %s" % (len(problems), server))
        return 1
    rooms = sorted(set(files.values()))
    print("check-includes: %d files in rooms %s, %d includes of server "
          "headers: no include between doors (but %s), none from core into "
          "a room, no cycle among %d modules"
          % (len(files), ", ".join(rooms), count,
             ", ".join("%s->%s" % (a, b) for a in RIDES_ON
                       for b in sorted(RIDES_ON[a])), len(edges)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
