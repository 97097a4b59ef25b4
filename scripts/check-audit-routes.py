#!/usr/bin/python3
"""Every route is in docs/privacy.md's table of what the audit log gets, marked as its ROUTE_PD
says. Run by ctest (audit_routes).

src/api/routes.c marks with ROUTE_PD each route whose reply may hold customers' personal data;
the router then refuses it while the log of reads cannot take more and logs a read its handler
did not (docs/privacy.md, "Every read, by any key"). The table there lists every route, one
`METHOD /path` in backticks each, with its second column starting "yes" (personal data in the
reply) or "no". This fails on a route missing from the table, a row naming no route, and a
route marked otherwise than its flag, so adding a route means deciding, in writing, whether it
shows anyone's data. (tests/e2e/test_audit.py checks the behaviour: every reply that shows a
customer's id has an entry naming them.)

Usage: check-audit-routes.py [ROOT]   (default: KT_SOURCE_DIR or the repository of this script)
"""
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                    os.environ.get("KT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[1])
ROUTE = re.compile(r'\{HTTP_(\w+),\s*"([^"]+)",\s*\w+,\s*[^,]+,\s*([^}]+)\}')
CELL_ROUTE = re.compile(r"`([A-Z]+) (/[^`]*)`")
HEADING = "### Every read, by any key"


def routes_c():
    text = (ROOT / "src" / "api" / "routes.c").read_text()
    return {(m.group(1), m.group(2)): "ROUTE_PD" in m.group(3) for m in ROUTE.finditer(text)}


def table():
    text = (ROOT / "docs" / "privacy.md").read_text()
    start = text.find(HEADING)
    if start < 0:
        sys.exit(f"docs/privacy.md has no section '{HEADING}'")
    body = text[start + len(HEADING):]
    body = body[:body.find("\n#")] if "\n#" in body else body
    rows, problems = {}, []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[0] in ("route", "---"):
            continue
        found = CELL_ROUTE.findall(cells[0])
        if not found:
            problems.append(f"a row names no route: {line[:80]}")
        pd = cells[1].split(":")[0].split(",")[0].strip().lower()
        if pd not in ("yes", "no"):
            problems.append(f"the second column must start 'yes' or 'no': {line[:80]}")
        for method, path in found:
            if (method, path) in rows:
                problems.append(f"{method} {path} is in the table twice")
            rows[(method, path)] = pd == "yes"
    return rows, problems


def main():
    flags = routes_c()
    if len(flags) < 10:
        sys.exit("src/api/routes.c: no routes found")
    rows, problems = table()
    for r, pd in sorted(flags.items()):
        if r not in rows:
            problems.append(f"{r[0]} {r[1]} is not in docs/privacy.md's table of the audit log")
        elif rows[r] != pd:
            problems.append(f"{r[0]} {r[1]}: the table says personal data '{'yes' if rows[r] else 'no'}'"
                            f" but routes.c {'marks' if pd else 'does not mark'} it ROUTE_PD")
    for r in sorted(rows):
        if r not in flags:
            problems.append(f"{r[0]} {r[1]} is in the table but not a route")
    for p in problems:
        print(p)
    print(f"{len(flags)} routes, {sum(flags.values())} with personal data, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
