#!/usr/bin/env python3
"""Prints wasmfit's module graph and any import cycle in it.

Edges come from `crate::a::b` and `super::x` paths in each file (comments
and `#[cfg(test)]` modules left out), cut to LEVEL path segments: level 1
shows the top-level folders (model, input, parse, analyze, report...), level
3 shows e.g. parse::binary::x86. ARCHITECTURE.md says which arrows are
allowed; a cycle at any level is a bug.

usage: scripts/module-deps.py [LEVEL] [--all]   (default level 1; --all checks levels 1-4 for cycles)
Exit status 1 when there is a cycle."""
import collections, pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "src"


def module_of(f):
    parts = list(f.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def code(f):
    text = f.read_text()
    i = text.find("#[cfg(test)]\nmod tests")
    if i >= 0:
        text = text[:i]
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))


def graph(level):
    edges = collections.defaultdict(set)
    for f in sorted(ROOT.rglob("*.rs")):
        me = module_of(f)
        if me in (["lib"], ["main"]):
            continue
        is_mod = f.name == "mod.rs"
        src = code(f)
        targets = []
        for m in re.finditer(r"\bcrate((?:::[a-z_][a-z0-9_]*)+)", src):
            targets.append(m.group(1).strip(":").split("::"))
        for m in re.finditer(r"\b((?:super::)+)([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", src):
            ups = m.group(1).count("super")
            base = me if is_mod else me[:-1]
            base = base[: len(base) - (ups - 1)] if ups > 1 else base
            targets.append(base + m.group(2).split("::"))
        a = "::".join(me[:level])
        for t in targets:
            b = "::".join(t[:level])
            # Only arrows between existing modules at this level.
            if b != a and (ROOT / pathlib.Path(*t[:level])).with_suffix(".rs").exists() or (ROOT / pathlib.Path(*t[:level])).is_dir():
                if b != a:
                    edges[a].add(b)
    return edges


def cycles(edges):
    def reach(a):
        seen, stack = set(), [a]
        while stack:
            for y in edges.get(stack.pop(), ()):
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        return seen
    return sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in reach(b)})


def main():
    args = sys.argv[1:]
    levels = [1, 2, 3, 4] if "--all" in args else [int(next((x for x in args if x.isdigit()), "1"))]
    bad = False
    for level in levels:
        edges = graph(level)
        if "--all" not in args:
            for k in sorted(edges):
                print(k, "->", " ".join(sorted(edges[k])))
        found = cycles(edges)
        print(f"level {level} cycles:", ", ".join(f"{a} <-> {b}" for a, b in found) if found else "none")
        bad |= bool(found)
    sys.exit(1 if bad else 0)


main()
