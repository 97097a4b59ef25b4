#!/usr/bin/python3
"""Dependencies point down: a module of src/ includes only modules below it. Run by ctest
(layers); a new upward include fails the tests.

The order is read from docs/house.md, the paragraph that begins "Layers, bottom up": modules in
backticks, bottom first, `→` between layers and `,` between modules of one layer. A module may
include its own headers and those of any layer below its own; never one of its own layer (so
`api` and `cli`, one layer, never include each other) nor above. A module of src/ that the
order does not name fails too: a new module takes its place in the order first.

Unit tests (*_test.c) are exempt: a test sets up its state with whatever does it for real (a
loyalty test erases a customer through privacy/).

ALLOWED lists upward includes that a branch in flight is removing, each with who removes it. An
entry that no longer matches an include fails as well, so the list only shrinks: delete the entry
when the branch that removes the include is merged.

Usage: check-layers.py [ROOT]   (default: KT_SOURCE_DIR or the repository of this script)
"""
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(
    sys.argv[1] if len(sys.argv) > 1
    else os.environ.get("KT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[1])

# (including file, included module): why it is still there and who removes it. Empty since
# parts 2 and 4 of issue 20 merged (they removed cli/ -> api/ and store.h -> segment/).
ALLOWED = {}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([a-z_]+)/[^"]+"', re.M)


def layers():
    """{module: layer number}, bottom = 0, from docs/house.md."""
    text = (ROOT / "docs" / "house.md").read_text(encoding="utf-8")
    m = re.search(r"^Layers, bottom up[^\n]*\n((?:[^\n]+\n)+)", text, re.M)
    if not m:
        sys.exit("check-layers: docs/house.md has no paragraph 'Layers, bottom up'")
    rank = {}
    for i, layer in enumerate(m.group(1).split("→")):
        for name in re.findall(r"`([^`]+)`", layer):
            rank[name] = i
    return rank


def module_of(path):
    rel = path.relative_to(ROOT / "src")
    return rel.parts[0] if len(rel.parts) > 1 else rel.name


def main():
    rank = layers()
    problems, used = [], set()
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix not in (".c", ".h") or not path.is_file() or path.name.endswith("_test.c"):
            continue
        rel = str(path.relative_to(ROOT))
        mod = module_of(path)
        if mod not in rank:
            problems.append(f"{rel}: the module '{mod}' has no place in the layers of "
                            "docs/house.md")
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in INCLUDE.finditer(text):
            dep = m.group(1)
            if dep == mod or not (ROOT / "src" / dep).is_dir():
                continue
            line = text.count("\n", 0, m.start()) + 1
            if dep not in rank:
                problems.append(f"{rel}:{line}: includes '{dep}/', which has no place in the "
                                "layers of docs/house.md")
            elif rank[dep] >= rank[mod]:
                if (rel, dep) in ALLOWED:
                    used.add((rel, dep))
                    continue
                where = "beside" if rank[dep] == rank[mod] else "above"
                problems.append(f"{rel}:{line}: {mod} includes {dep}/, which sits {where} it "
                                "(docs/house.md, Layers)")
    for rel, dep in sorted(set(ALLOWED) - used):
        problems.append(f"scripts/check-layers.py: the allowed include {rel} -> {dep}/ is gone "
                        "(merged?): delete its entry")
    if problems:
        print("includes against the layers:")
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
