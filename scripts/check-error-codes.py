#!/usr/bin/python3
"""Every error code the binary can send is in docs/api.md's table of errors and in the
OpenAPI's enum of error codes (docs/openapi.json, components.schemas.Error...code), and no
other. Run by ctest (error_codes): a new code without its documentation fails the tests.

The codes are read from the sources, not from a list kept by hand. A string literal is a code
when it stands where a code goes:
  1. the code argument (the third) of kt_err_set(...) and kt_err_limit(...);
  2. the argument, at the same place, of a call to a function that has a parameter named `code`
     (a wrapper such as fail_field(err, "code", ...) or refuse(d, "code", ...));
  3. when that argument is a name X, the literals assigned to X (`X = ...;`, `*X = ...`,
     `->X = ...`, `.X = ...`) in the same file, or anywhere for a struct member (but an
     error's own `.code`, passed on, was raised where it was made);
  4. when it is a call f(...), the literals f returns;
  5. the fallback code of the error reply (`code[0] ? ... : "internal"`).
It also checks each code's status: where a code is raised by kt_err_set(err, KT_E..., "code",
...) with both written out, the status that result code answers (http_status_of in
src/http/reply.c) must be a row of docs/api.md's table that lists the code (customer_erased
once stood under 409 while it answered 410).
"""
import json
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(os.environ.get("KT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[1])
CODE = re.compile(r'^[a-z][a-z0-9]*(_[a-z0-9]+)*$')
RAISERS = ("kt_err_set", "kt_err_limit")  # the functions that raise, code third
LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def call_args(text, start):
    """The top-level arguments of the call whose '(' is just before `start`, and its end."""
    depth, cur, args, i, in_str = 1, "", [], start, False
    while i < len(text) and depth:
        c = text[i]
        if in_str:
            cur += c
            if c == "\\":
                cur += text[i + 1]
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str, cur = True, cur + c
        elif c in "([{":
            depth, cur = depth + 1, cur + c
        elif c in ")]}":
            depth -= 1
            if depth:
                cur += c
        elif c == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    args.append(cur.strip())
    return args, i


def literals(expr):
    return {m for m in LIT.findall(expr) if CODE.match(m)}


class Sources:
    def __init__(self):
        self.files = {}
        for p in sorted((ROOT / "src").rglob("*.[ch]")):
            if not p.name.endswith("_test.c"):
                self.files[p] = strip_comments(p.read_text(encoding="utf-8"))
        # Function definitions, per file (static functions of the same name differ between
        # files): (path, name) -> (index of a `code` parameter or None, body).
        self.defs = {}
        fdef = re.compile(r'\b(\w+)\s*\(([^;{}()]*)\)\s*\{')
        for path, text in self.files.items():
            for m in fdef.finditer(text):
                if m.group(1) in ("if", "for", "while", "switch"):
                    continue
                params = [x.strip() for x in m.group(2).split(",")]
                idx = next((i for i, prm in enumerate(params)
                            if re.search(r'\bconst\s+char\s*\*\s*code$', prm)), None)
                depth, j = 1, m.end()
                while depth and j < len(text):
                    depth += {"{": 1, "}": -1}.get(text[j], 0)
                    j += 1
                self.defs[(path, m.group(1))] = (idx, text[m.end():j])
        # A wrapper passes its `code` on to kt_err_set or to another wrapper, at the code's
        # place; a function that takes a `code` for something else (a warning) is none.
        self.wrappers = {}  # (path, name) -> index of its code parameter
        grew = True
        while grew:
            grew = False
            for (path, name), (idx, body) in self.defs.items():
                if idx is None or (path, name) in self.wrappers:
                    continue
                for _, _, args, cidx in self.calls_in(path, body):
                    if re.search(r'\bcode\b', args[cidx]):
                        self.wrappers[(path, name)] = idx
                        grew = True
                        break

    def target(self, path, name):
        """The wrapper a call of `name` in `path` reaches: the file's own, else any other."""
        if (path, name) in self.wrappers:
            return self.wrappers[(path, name)]
        if (path, name) in self.defs:
            return None
        return next((i for (p, n), i in self.wrappers.items() if n == name), None)

    def calls_in(self, path, text):
        """(name, start, args, index of the code argument) of each raising call in `text`."""
        for m in re.finditer(r'(?<![\w.>])([A-Za-z_]\w*)\s*\(', text):
            name = m.group(1)
            idx = 2 if name in RAISERS else self.target(path, name)
            if idx is None:
                continue
            before = text[max(0, m.start() - 40):m.start()]
            if re.search(r'(enum\s+kt_rc|bool|void|char\s*\*|static)\s*$', before):
                continue  # the definition or a declaration
            args, _ = call_args(text, m.end())
            if len(args) > idx:
                yield name, m.start(), args, idx

    def resolve(self, expr, path, text, seen):
        """The codes an expression in a code position can hold."""
        found = literals(expr)
        for name in re.findall(r'\b([A-Za-z_]\w*)\s*\(', expr):  # calls: what they return
            body = (self.defs.get((path, name)) or next(
                (d for (p, n), d in self.defs.items() if n == name), (None, "")))[1]
            if ("fn", name) not in seen:
                seen.add(("fn", name))
                for ret in re.findall(r'\breturn\b([^;]*);', body):
                    found |= literals(ret)
        ident = re.fullmatch(r'(?:[\w]+(->|\.))?([A-Za-z_]\w*)', expr)
        if ident and ident.group(1) and ident.group(2) == "code":
            return found  # another error's code passed on: raised where it was made
        if ident and (ident.group(2), ident.group(1) or path) not in seen:
            name, member = ident.group(2), ident.group(1)
            seen.add((name, member or path))
            scope = self.files.items() if member else [(path, text)]
            assign = re.compile(r'(?:->|\.|\*|\b)' + name + r'\s*=(?!=)\s*([^;]*);')
            for p2, t2 in scope:
                for m in assign.finditer(t2):
                    found |= self.resolve(m.group(1), p2, t2, seen)
        return found

    def codes(self):
        """code -> the files that raise it."""
        out = {}
        for path, text in self.files.items():
            for _, _, args, idx in self.calls_in(path, text):
                for c in self.resolve(args[idx], path, text, set()):
                    out.setdefault(c, set()).add(str(path.relative_to(ROOT)))
            for m in re.finditer(r'code\[0\]\s*\?[^:;]*:\s*"([a-z_]+)"', text):
                out.setdefault(m.group(1), set()).add(str(path.relative_to(ROOT)))
        return out


def statuses_of_results():
    """KT_E... -> HTTP status, from http_status_of in src/http/reply.c."""
    text = (ROOT / "src" / "http" / "reply.c").read_text(encoding="utf-8")
    body = text.split("http_status_of", 1)[1]
    out, pending = {}, []
    for m in re.finditer(r'case\s+(KT_\w+):|return\s+(\d+);', body):
        if m.group(1):
            pending.append(m.group(1))
        else:
            for rc in pending:
                out[rc] = int(m.group(2))
            pending = []
    return out


def raised_statuses():
    """code -> {status: a file} for kt_err_set calls with a literal result and code."""
    status = statuses_of_results()
    out = {}
    call = re.compile(r'\bkt_err_set\s*\(\s*[^,]+,\s*(KT_E\w+)\s*,\s*"([a-z][a-z0-9_]*)"')
    for p in sorted((ROOT / "src").rglob("*.c")):
        if p.name.endswith("_test.c") or p.parts[-2] == "cli":
            continue  # the command line prints its errors; no status goes out
        for m in call.finditer(strip_comments(p.read_text(encoding="utf-8"))):
            if m.group(1) in status:
                out.setdefault(m.group(2), {}).setdefault(status[m.group(1)],
                                                           str(p.relative_to(ROOT)))
    return out


def rows_of_api_md():
    """code -> the statuses of the rows of docs/api.md's table that list it (numbers only)."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    lines = text.split("## Errors", 1)[1].splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("| status | codes |"))
    out = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        head = line.split("|")[1].strip()
        m = re.match(r'(\d{3})', head)
        if not m:
            continue
        row = re.sub(r'\([^)]*\)', '', line.split("|", 2)[2])
        for c in re.findall(r'`([a-z][a-z0-9_]*)`', row):
            out.setdefault(c, set()).add(int(m.group(1)))
    return out


def status_problems():
    rows, problems = rows_of_api_md(), []
    for code, by in sorted(raised_statuses().items()):
        if code not in rows:
            continue  # a start-up or CLI code, or one missing altogether (reported above)
        for st, where in sorted(by.items()):
            if st not in rows[code]:
                problems.append(f"error code '{code}' is answered {st} (raised in {where}) but "
                                f"docs/api.md lists it under {', '.join(map(str, sorted(rows[code])))}")
    return problems


def documented_in_api_md():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    lines = text.split("## Errors", 1)[1].splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("| status | codes |"))
    rows = []
    for line in lines[start + 2:]:  # the header and its rule
        if not line.startswith("|"):
            break
        rows.append(re.sub(r'\([^)]*\)', '', line.split("|", 2)[2]))  # not the notes
    return {c for row in rows for c in re.findall(r'`([a-z][a-z0-9_]*)`', row)}


def documented_in_openapi():
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    schema = doc["components"]["schemas"]["Error"]
    code = schema["properties"]["error"]["properties"]["code"]
    return set(code.get("enum", []))


def main():
    emitted = Sources().codes()
    problems = []
    for where, documented in [("docs/api.md (the table under '## Errors')",
                               documented_in_api_md()),
                              ("docs/openapi.json (components.schemas.Error: error.code enum)",
                               documented_in_openapi())]:
        for c in sorted(set(emitted) - documented):
            problems.append(f"error code '{c}' (raised in {', '.join(sorted(emitted[c]))}) "
                            f"is missing from {where}")
        for c in sorted(documented - set(emitted)):
            problems.append(f"error code '{c}' is listed in {where} but nothing raises it")
    problems += status_problems()
    if "-v" in sys.argv:
        for c in sorted(emitted):
            print(c, " ".join(sorted(emitted[c])))
    for p in problems:
        print(p)
    print(f"{len(emitted)} error codes raised, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
