#!/usr/bin/python3
"""check-glossary.py - the API says one word for one idea (docs/api.md, "Glossary"; docs/house.md,
part 5). Reads the glossary from docs/api.md and every property, query parameter and path
parameter name from docs/openapi.json, and fails, naming the place in the description, when:

- a name is not a word of the glossary, or is used as what its row does not allow (a query
  parameter where the row says property only);
- a name is a forbidden synonym (`time` for `at`, `next_before` for `next_cursor`, ...);
- a name breaks a rule of form: `at`, `*_at`, `since`, `until`, `as_of` and `now` are RFC 3339
  times, `*_on` dates, `id` and `*_id` strings, a duration names its unit (`*_ms`, `*_seconds`,
  `*_minutes`, `*_days`, `*_months`, `*_years`) and is a number;
- a resource calls its own id `<resource>_id` (a `purchase_id` in the schema `PurchaseView`);
- a list pages any other way than `?limit=&cursor=` answering `items` and `next_cursor` (a string,
  or null on the last page);
- a word of the glossary is used nowhere, so the list holds what the API says and nothing else.
Headers (Idempotency-Key) are HTTP's words, not ours, and are not checked; nor is a schema marked
`"x-foreign"` (its value names the protocol): the tracking API speaks the Segment spec's words
(`userId`, `timestamp`, `sentAt`), which the SDKs send and read as they are.
"""
import json
import os
import re
import sys

ROOT = os.environ.get("KT_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..")
KINDS = {"property", "query", "path"}
TIMES = {"at", "since", "until", "as_of", "now"}
DURATION = re.compile(r"_(ms|seconds|minutes|days|months|years)$")


def read_glossary(path):
    """{word: set of kinds} and {forbidden: what to say instead} from the Glossary section."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^## Glossary\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        sys.exit(f"{path}: no '## Glossary' section")
    words, forbidden, table = {}, {}, None
    for line in m.group(1).splitlines():
        if line.startswith("### "):
            table = line[4:].strip().lower()
            continue
        if not line.startswith("|") or re.match(r"^\|[-| ]+\|$", line):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        if table == "words" and names and len(cells) >= 3:
            kinds = {k.strip() for k in cells[1].split(",")}
            if not kinds <= KINDS:
                sys.exit(f"{path}: glossary row {cells[0]}: 'as' is one or more of {sorted(KINDS)}")
            for n in names:
                if n in words:
                    sys.exit(f"{path}: '{n}' is in the glossary twice")
                words[n] = kinds
        elif table == "forbidden" and names and len(cells) >= 2:
            for n in names:
                forbidden[n] = cells[1]
    if not words or not forbidden:
        sys.exit(f"{path}: the Glossary needs a '### Words' and a '### Forbidden' table")
    both = [w for w in words if forbidden_pattern(w, forbidden)]
    if both:
        sys.exit(f"{path}: the glossary allows and forbids {both}")
    return words, forbidden


class Walk:
    """Every name of the description: (name, kind, schema or None, where)."""

    def __init__(self, doc):
        self.doc, self.found, self.seen = doc, [], set()

    def schema(self, s, where, owner=None):
        if not isinstance(s, dict) or s.get("x-foreign"):
            return  # x-foreign: a schema of another's protocol (Segment's spec) keeps its words
        if "$ref" in s:
            name = s["$ref"].rsplit("/", 1)[1]
            if name not in self.seen:
                self.seen.add(name)
                self.schema(self.doc["components"]["schemas"][name],
                            f"components.schemas.{name}", name)
            return
        for k, v in (s.get("properties") or {}).items():
            self.found.append((k, "property", v, f"{where}.{k}", owner))
            self.schema(v, f"{where}.{k}")
        for key in ("items", "additionalProperties", "not"):
            if isinstance(s.get(key), dict):
                self.schema(s[key], f"{where}[]" if key == "items" else f"{where}.{{*}}", owner)
        for key in ("allOf", "oneOf", "anyOf"):
            for i, part in enumerate(s.get(key, [])):
                self.schema(part, f"{where}.{key}[{i}]", owner)

    def all(self):
        for name, s in self.doc["components"]["schemas"].items():
            if name not in self.seen:
                self.seen.add(name)
                self.schema(s, f"components.schemas.{name}", name)
        for route, item in self.doc["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict):
                    continue
                at = f"paths.{route}.{method}"
                for p in op.get("parameters", []) + item.get("parameters", []):
                    if p.get("in") in ("query", "path"):
                        self.found.append((p["name"], p["in"], p.get("schema"),
                                           f"{at} ?{p['name']}" if p["in"] == "query"
                                           else f"{at} {{{p['name']}}}", None))
                body = op.get("requestBody", {}).get("content", {})
                for media, c in body.items():
                    self.schema(c.get("schema"), f"{at}.requestBody")
                for status, r in op.get("responses", {}).items():
                    for media, c in r.get("content", {}).items():
                        if route == "/v1/openapi.json":
                            continue  # the description itself: OpenAPI's words
                        self.schema(c.get("schema"), f"{at}.{status}")
        return self.found


def types_of(s):
    if not isinstance(s, dict):
        return set()
    t = s.get("type")
    return set(t) if isinstance(t, list) else {t} if t else set()


def form_errors(name, s):
    """What is wrong with the form of a value named `name`, or None."""
    if not isinstance(s, dict) or "$ref" in s:
        return None
    t, fmt = types_of(s) - {"null"}, s.get("format")
    if (name in TIMES or name.endswith("_at")) and not (t == {"string"} and fmt == "date-time"):
        return "a time: a string of format date-time"
    if name.endswith("_on") and not (t == {"string"} and fmt == "date"):
        return "a day: a string of format date"
    if (name == "id" or name.endswith("_id")) and t and t != {"string"}:
        return "an id: a string"
    if DURATION.search(name) and t and not t <= {"integer", "number"}:
        return "a duration: a number in the unit its name says"
    return None


def own_id(owner):
    """The `<resource>_id` a component may not call its own id: PurchaseView -> purchase_id."""
    m = re.match(r"[A-Z][a-z0-9]*", owner or "")
    return m.group(0).lower() + "_id" if m else None


def forbidden_pattern(name, forbidden):
    """The forbidden entry `name` matches: itself, or a pattern `prefix*` or `*suffix`."""
    if name in forbidden:
        return name
    for n in forbidden:
        if (n.endswith("*") and name.startswith(n[:-1])) or \
                (n.startswith("*") and name.endswith(n[1:])):
            return n
    return None


def check(doc, words, forbidden):
    errors, used = [], set()
    found = Walk(doc).all()
    for name, kind, s, where, owner in found:
        used.add(name)
        bad = forbidden_pattern(name, forbidden)
        if bad is not None:
            errors.append(f"{where}: '{name}' is forbidden" +
                          (f" ({bad})" if bad != name else "") + f": {forbidden[bad]}")
        elif name not in words:
            errors.append(f"{where}: '{name}' is not in the glossary (docs/api.md)")
        elif kind not in words[name]:
            errors.append(f"{where}: '{name}' is a {kind} here; the glossary allows it as "
                          f"{', '.join(sorted(words[name]))}")
        why = form_errors(name, s)
        if why:
            errors.append(f"{where}: '{name}' must be {why}")
        if kind == "property" and owner and name == own_id(owner):
            errors.append(f"{where}: a resource's own id is 'id', never '{name}'")
    errors += paging_errors(doc)
    for w in sorted(set(words) - used):
        errors.append(f"docs/api.md: the glossary's '{w}' is used nowhere in docs/openapi.json")
    return errors


def response_props(doc, op):
    """The top-level properties of an operation's 200 JSON reply."""
    s = op.get("responses", {}).get("200", {}).get("content", {}) \
        .get("application/json", {}).get("schema", {})
    while "$ref" in s:
        s = doc["components"]["schemas"][s["$ref"].rsplit("/", 1)[1]]
    props = dict(s.get("properties", {}))
    for part in s.get("allOf", []):
        while "$ref" in part:
            part = doc["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]]
        props.update(part.get("properties", {}))
    return props


def paging_errors(doc):
    errors = []
    for route, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            at = f"paths.{route}.{method}"
            query = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
            props = response_props(doc, op)
            if "cursor" in query or "next_cursor" in props:
                if not {"cursor", "limit"} <= query:
                    errors.append(f"{at}: a list takes ?limit= and ?cursor=")
                nc = props.get("next_cursor")
                if nc is None or types_of(nc) != {"string", "null"}:
                    errors.append(f"{at}: a list answers next_cursor, a string or null")
                if types_of(props.get("items")) != {"array"}:
                    errors.append(f"{at}: a list answers its page as items, an array")
            for name in props:
                if name.startswith("next_") and name not in ("next_cursor", "next_expiry"):
                    errors.append(f"{at}: '{name}': a list's next page is next_cursor")
    return errors


def main():
    words, forbidden = read_glossary(os.path.join(ROOT, "docs", "api.md"))
    doc = json.load(open(os.path.join(ROOT, "docs", "openapi.json"), encoding="utf-8"))
    errors = check(doc, words, forbidden)
    for e in errors:
        print(e)
    if errors:
        print(f"{len(errors)} place(s) break the glossary of docs/api.md")
        return 1
    print(f"glossary: {len(words)} words, every name of docs/openapi.json among them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
