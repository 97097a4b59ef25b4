"""What a reply holds against what docs/openapi.json says it holds: every member the server sends
must be a property the description declares (a map - additionalProperties - takes any key), so
the description, and the glossary checked against it (scripts/check-glossary.py), cover every
word the API really says."""
import json
import os
import pathlib
import re

ROOT = pathlib.Path(os.environ.get("KT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
DOC = json.loads((ROOT / "docs" / "openapi.json").read_text())


def route_of(method, path):
    """The described path and operation of a request path, or (None, None); the most literal
    pattern wins, as the router's does (/v1/segments/language before /v1/segments/{id})."""
    found = [(pattern.count("{"), pattern) for pattern, item in DOC["paths"].items()
             if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", pattern), path)
             and method.lower() in item]
    if not found:
        return None, None
    pattern = min(found)[1]
    return pattern, DOC["paths"][pattern][method.lower()]


def _resolve(schema):
    while "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _declared(schema):
    """The properties an object schema declares (allOf merged) and whether any key is allowed."""
    schema = _resolve(schema)
    props, open_ = dict(schema.get("properties", {})), "additionalProperties" in schema and \
        schema["additionalProperties"] is not False
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        p, o = _declared(part)
        props.update(p)
        open_ = open_ or o
    return props, open_


def undeclared(value, schema, path="$"):
    """The JSON paths in `value` that `schema` does not declare."""
    schema = _resolve(schema)
    out = []
    if isinstance(value, dict):
        props, open_ = _declared(schema)
        if not props and not open_:
            return [f"{path} (an object the description leaves undescribed)"] if value else []
        for k, v in value.items():
            if k in props:
                out += undeclared(v, props[k], f"{path}.{k}")
            elif not open_:
                out.append(f"{path}.{k}")
            else:
                extra = _resolve(schema).get("additionalProperties")
                if isinstance(extra, dict) and extra:
                    out += undeclared(v, extra, f"{path}.{k}")
    elif isinstance(value, list):
        items = schema.get("items")
        for alt in schema.get("allOf", []) + schema.get("oneOf", []):
            items = items or _resolve(alt).get("items")
        if items is not None:
            for i, v in enumerate(value):
                out += undeclared(v, items, f"{path}[{i}]")
    return out


def reply_undeclared(method, path, status, body):
    """The members of a reply its operation's response does not declare."""
    pattern, op = route_of(method, path)
    if op is None:
        return [f"{method} {path}: no such operation in the description"]
    resp = op.get("responses", {}).get(str(status))
    if resp is None:
        return [f"{method} {pattern}: status {status} is not described"]
    schema = resp.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return [f"{method} {pattern} {status}: no JSON body is described"]
    return [f"{method} {pattern} {status}: {p}" for p in undeclared(body, schema)]
