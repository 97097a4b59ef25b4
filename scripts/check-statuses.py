#!/usr/bin/python3
"""An HTTP error status is chosen in one place: http_status_of() in src/http/reply.c, from the
error's result code (enum kt_rc). Run by ctest (http_statuses); code that picks a 4xx or 5xx by
hand anywhere else fails the tests (docs/house.md, part 3).

Outside the body of http_status_of(), in the C sources of src/ (unit tests exempt), it finds:
  1. an assignment of a 4xx/5xx literal to something named `status` (`err->status = 410`,
     `r->status = 500`, `int status = x ? 400 : 422`);
  2. a `status` member of an error (`err.status`, `e2->status`, `res[i].err.status`): struct
     kt_err has none, and one must not come back to override the mapping;
  3. a 4xx/5xx literal passed as the parameter named `status` of any function (a reply,
     `http_reply_json(r, 409, body)`, or a helper of one, `page_reply(r, 404, &b)`);
  4. a function returning a 4xx/5xx literal (a second mapping).
Success statuses (200, 201, 202, 204) stay with the handler that replies its success.

Comments and string literals are not read. ALLOWED lists the literals that are statuses but not
a reply's, each with why; an entry that no longer matches fails as well, so the list only
shrinks.

Usage: check-statuses.py [ROOT]   (default: KT_SOURCE_DIR or the repository of this script)
"""
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(
    sys.argv[1] if len(sys.argv) > 1
    else os.environ.get("KT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[1])

MAPPING = ("src/http/reply.c", "http_status_of")

# (file, literal): why it is a status but not one chosen for a reply.
ALLOWED = {
    ("src/http/server.c", "499"): "nginx's 'client closed request': the status the log line and "
                                  "the metrics give a request whose client left before its "
                                  "reply; it is never sent",
}

ERROR_STATUS = re.compile(r"\b[45]\d\d\b")
ASSIGN = re.compile(r"\bstatus\s*=(?!=)([^;]*);")
ERR_STATUS = re.compile(r"\b(?:err|e\d?)\s*(?:\.|->)\s*status\b")
PROTO = re.compile(r"\b([a-z_]\w*)\s*\(([^()]*)\)\s*[;{]")
RETURN = re.compile(r"\breturn\s+([45]\d\d)\s*;")


def blank(text):
    """The text with comments and string and character literals blanked, lines kept."""
    def spaces(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    return re.sub(pattern, spaces, text, flags=re.S)


def body_span(text, name):
    """(start, end) of the body of the function `name` defined in `text`, or None."""
    m = re.search(r"^[^\n;]*\b%s\s*\([^;{]*\)\s*\{" % re.escape(name), text, re.M)
    if not m:
        return None
    depth, i = 1, m.end()
    while depth and i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return m.end(), i


def status_params(texts):
    """{function: index of its parameter named `status`} over every declaration in `texts`."""
    out = {}
    for text in texts:
        for m in PROTO.finditer(text):
            params = m.group(2).split(",")
            for i, p in enumerate(params):
                if re.search(r"\bint\s+status\s*$", p.strip()):
                    out[m.group(1)] = i
    return out


def arg(text, start, k):
    """The k-th top-level argument of the call whose '(' ends just before `start`."""
    depth, args, cur = 1, [], ""
    for c in text[start:]:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                break
        if c == "," and depth == 1:
            args.append(cur)
            cur = ""
        else:
            cur += c
    args.append(cur)
    return args[k] if len(args) > k else ""


def findings(rel, text, takes_status):
    """(offset, literal or None, what) for every status chosen by hand in `text`."""
    out = []
    for m in ASSIGN.finditer(text):
        for lit in ERROR_STATUS.findall(m.group(1)):
            out.append((m.start(), lit, f"assigns the HTTP status {lit}"))
    for m in ERR_STATUS.finditer(text):
        out.append((m.start(), None, "reads or sets an error's status: only its code has one"))
    for name, k in takes_status.items():
        for m in re.finditer(r"\b%s\s*\(" % re.escape(name), text):
            for lit in ERROR_STATUS.findall(arg(text, m.end(), k)):
                out.append((m.start(), lit, f"passes the HTTP status {lit} to {name}()"))
    for m in RETURN.finditer(text):
        out.append((m.start(), m.group(1), f"returns the HTTP status {m.group(1)}"))
    return out


def sources():
    """{path relative to ROOT: text blanked} of the C sources of src/, unit tests left out."""
    out = {}
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix in (".c", ".h") and path.is_file() and not path.name.endswith("_test.c"):
            out[str(path.relative_to(ROOT))] = blank(
                path.read_text(encoding="utf-8", errors="replace"))
    return out


def main():
    problems, used = [], set()
    mapping = None
    texts = sources()
    takes_status = status_params(texts.values())
    for rel, text in texts.items():
        if rel == MAPPING[0]:
            mapping = body_span(text, MAPPING[1])
            if mapping is None:
                problems.append(f"{rel}: {MAPPING[1]}() is gone; the mapping has no place")
                continue
            text = text[:mapping[0]] + re.sub(r"[^\n]", " ", text[mapping[0]:mapping[1]]) + \
                text[mapping[1]:]
        lines = set()
        for off, lit, what in findings(rel, text, takes_status):
            if lit is not None and (rel, lit) in ALLOWED:
                used.add((rel, lit))
                continue
            line = text.count("\n", 0, off) + 1
            if line in lines:  # one finding a line
                continue
            lines.add(line)
            problems.append(f"{rel}:{line}: {what}; raise the error with its result code and "
                            f"let {MAPPING[1]}() choose the status")
    if mapping is None and not any(MAPPING[0] in p for p in problems):
        problems.append(f"{MAPPING[0]}: not found")
    for rel, lit in sorted(set(ALLOWED) - used):
        problems.append(f"scripts/check-statuses.py: the allowed status {lit} of {rel} is gone: "
                        "delete its entry")
    if problems:
        print("HTTP statuses chosen outside http_status_of():")
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
