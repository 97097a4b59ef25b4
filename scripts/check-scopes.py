#!/usr/bin/python3
"""Every route names the key scopes that may call it, and says so alike in three places. Run by
ctest (route_scopes).

src/api/routes.c gives each route its scopes (a mask of ADMIN, POS, COLLECT, DPO, AUDITOR,
DELIVERIES, MARKETER, ANALYST, MANAGER, or ROUTE_PUBLIC) and marks with STORES (ROUTE_STORES) the routes whose handlers apply a store key's
limit. docs/openapi.json says the scopes in each operation's `security` (`apiKey: [...]`, empty
for a public route), and docs/api.md, "Scopes by route", has a row per route: `METHOD /path` in
backticks, the scopes, and whether a key limited to stores may call it (`yes` or `no`). This
fails on a route that names no scope and is not public, on a route missing from the table or the
description, on a row or an operation that names no route, and on any disagreement - so a new
route is given its scopes, in writing, by whoever adds it.

The console's session routes (docs/console.md) take no key: the kt_session cookie is their
credential, which their handlers resolve. routes.c marks them ROUTE_PUBLIC with the flag
ROUTE_SESSION, the OpenAPI gives them the `session` scheme (`[{"session": []}]`) and the table
names `session` as their scope; the login itself (`POST /v1/session`) is public. A route marked
ROUTE_SESSION anywhere but under /v1/session fails, and so does a public /v1/session route
without it (but the login).

A key limited to stores (a pos or store_manager key) may call only the routes marked STORES: those that read no
customer, and those whose handlers apply the limit; the table's last column says which.

Usage: check-scopes.py [ROOT]   (default: KT_SOURCE_DIR or the repository of this script)
"""
import json
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                    os.environ.get("KT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[1])
ROUTE = re.compile(r'\{HTTP_(\w+),\s*"([^"]+)",\s*\w+,\s*([^,]+),\s*([^}]+)\}')
SCOPES = {"ADMIN": "admin", "POS": "pos", "COLLECT": "collect", "DPO": "dpo",
          "AUDITOR": "auditor", "DELIVERIES": "deliveries", "MARKETER": "marketer",
          "ANALYST": "analyst", "MANAGER": "store_manager"}
CELL_ROUTE = re.compile(r"`([A-Z]+) (/[^`]*)`")
HEADING = "### Scopes by route"


def routes_c(problems):
    text = (ROOT / "src" / "api" / "routes.c").read_text()
    out = {}
    for m in ROUTE.finditer(text):
        method, path, scopes, flags = m.groups()
        names = [t.strip() for t in scopes.split("|")]
        if names == ["ROUTE_PUBLIC"]:
            got = set()
        elif all(n in SCOPES for n in names):
            got = {SCOPES[n] for n in names}
        else:
            problems.append(f"routes.c: {method} {path} names scopes this check does not know: "
                            f"{scopes.strip()}")
            continue
        flagset = {t.strip() for t in flags.split("|")}
        if "ROUTE_SESSION" in flagset:
            if not got and path.startswith("/v1/session"):
                got = {"session"}
            else:
                problems.append(f"routes.c: {method} {path} is marked ROUTE_SESSION: only the "
                                "public routes under /v1/session may be")
        elif not got and path.startswith("/v1/session") and (method, path) != ("POST",
                                                                                "/v1/session"):
            problems.append(f"routes.c: {method} {path} is public under /v1/session without "
                            "ROUTE_SESSION: only the login may be")
        marked = "STORES" in flagset or "ROUTE_STORES" in flagset
        stores = ("pos" in got or "store_manager" in got) and marked
        if "store_manager" in got and not marked:
            problems.append(f"routes.c: {method} {path} names MANAGER without STORES: a store "
                            "manager's key is always limited to stores, so admit.c refuses it")
        out[(method, path)] = (got, stores)
    return out


def openapi(problems):
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text())
    out = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or method.startswith("x-") or method == "parameters":
                continue
            sec = op.get("security")
            if sec is None:
                problems.append(f"openapi.json: {method.upper()} {path} has no security")
                continue
            got = set()
            for req in sec:
                got |= set(req.get("apiKey", []))
                if "session" in req:
                    got.add("session")
            out[(method.upper(), path)] = got
    return out


def table(problems):
    text = (ROOT / "docs" / "api.md").read_text()
    start = text.find(HEADING)
    if start < 0:
        problems.append(f"docs/api.md has no section '{HEADING}'")
        return {}
    body = text[start + len(HEADING):]
    body = body[:body.find("\n#")] if "\n#" in body else body
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[0] in ("route", "---"):
            continue
        found = CELL_ROUTE.findall(cells[0])
        if not found:
            problems.append(f"api.md: a row names no route: {line[:80]}")
        scopes = {s.strip() for s in cells[1].split(",") if s.strip() not in ("", "public")}
        m = re.match(r"(yes|no)\b", cells[2].lower())
        stores = m.group(1) if m else ""
        if not m:
            problems.append(f"api.md: the third column must start 'yes' or 'no': {line[:80]}")
        for method, path in found:
            if (method, path) in rows:
                problems.append(f"api.md: {method} {path} is in the table twice")
            rows[(method, path)] = (scopes, stores == "yes")
    return rows


def main():
    problems = []
    routes = routes_c(problems)
    if len(routes) < 10:
        sys.exit(f"found only {len(routes)} routes in src/api/routes.c: is the pattern stale?")
    described = openapi(problems)
    rows = table(problems)
    for key, (scopes, stores) in sorted(routes.items()):
        name = " ".join(key)
        if not scopes and key != ("POST", "/v1/session") and not key[1].startswith(("/healthz", "/readyz", "/metrics", "/u/", "/o/",
                                                 "/c/", "/p/", "/q/", "/j/", "/t/", "/w/", "/wallet/v1/", "/admin", "/v1/openapi.json", "/v1/sdk.js")):
            problems.append(f"routes.c: {name} is public; only the probes, the description, "
                            "the SDK, the unsubscribe page, the customer's pages, the wallet "
                            "links and Apple's web service for passes (each pass's own token), "
                            "the e-mail pixel and links, the console's app and its login may be")
        if key not in described:
            problems.append(f"openapi.json: {name} is missing")
        elif described[key] != scopes:
            problems.append(f"openapi.json: {name} says {sorted(described[key])}, routes.c "
                            f"{sorted(scopes)}")
        if key not in rows:
            problems.append(f"api.md: {name} is missing from '{HEADING}'")
        elif rows[key] != (scopes, stores):
            problems.append(f"api.md: {name} says {sorted(rows[key][0])} / stores "
                            f"{'yes' if rows[key][1] else 'no'}, routes.c {sorted(scopes)} / "
                            f"stores {'yes' if stores else 'no'}")
    for key in sorted(set(described) - set(routes)):
        problems.append(f"openapi.json: {' '.join(key)} is no route")
    for key in sorted(set(rows) - set(routes)):
        problems.append(f"api.md: {' '.join(key)} is no route")
    for p in problems:
        print(p)
    print(f"{len(routes)} routes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
