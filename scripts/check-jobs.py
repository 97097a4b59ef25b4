#!/usr/bin/python3
"""The list of background jobs exists once: in src/sched/jobs.c. Run by ctest (jobs).

The job functions are the functions of other modules that src/sched/jobs.c calls (its rows'
work: loyalty_expire_due, events_forget_ids, privacy_retention_due ...). Outside src/sched/:
  1. a domain module - one below sched in docs/house.md's layers - calls no job function of
     another module: every background job runs in sched/, none in a domain module (this is how
     consent/worker.c made consent depend on loyalty, events, segment and import);
  2. no other file (http/, api/, cli/, main.c) calls two or more job functions: a file that
     does holds a second list of jobs, the way run-due and POST /v1/loyalty/run-due each kept
     theirs; it asks sched/ instead (sched_run_due, sched_run_now). One job function alone is a
     verb or an endpoint for that one thing (`kartoteka segment refresh`, GET /v1/audit writing
     the queued reads before it reads).
Unit tests (*_test.c) may call what they test.

Usage: check-jobs.py [ROOT]   (default: KT_SOURCE_DIR or the repository of this script)
"""
import importlib.util
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("check_layers", HERE / "check-layers.py")
layers_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(layers_mod)
ROOT = layers_mod.ROOT

CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined"}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def definitions():
    """{function: module} of every non-static function defined in src/ outside tests."""
    out = {}
    for path in (ROOT / "src").rglob("*.c"):
        if path.name.endswith("_test.c"):
            continue
        mod = layers_mod.module_of(path)
        text = strip_comments(path.read_text(encoding="utf-8", errors="replace"))
        # A definition starts at the beginning of a line with its return type, and its
        # parameter list ends before a "{" (perhaps lines later), not a ";".
        for m in re.finditer(r"^(?!static\b)[a-z][\w \t\*]*?\b([a-z_][a-z0-9_]*)\(([^;{]*?)\)\s*\{",
                             text, re.M | re.S):
            out[m.group(1)] = mod
    return out


def calls(path):
    text = strip_comments(path.read_text(encoding="utf-8", errors="replace"))
    return {m.group(1) for m in CALL.finditer(text)} - KEYWORDS


def main():
    rank = layers_mod.layers()
    defs = definitions()
    jobs_c = ROOT / "src" / "sched" / "jobs.c"
    jobs = {f: defs[f] for f in calls(jobs_c) if defs.get(f) not in (None, "sched", "base", "store")}
    if not jobs:
        print("check-jobs: no job function found in src/sched/jobs.c")
        return 1
    problems = []
    for path in sorted((ROOT / "src").rglob("*.c")):
        mod = layers_mod.module_of(path)
        if mod == "sched" or path.name.endswith("_test.c"):
            continue
        rel = path.relative_to(ROOT)
        theirs = sorted(f for f in calls(path) & set(jobs) if jobs[f] != mod)
        if mod in rank and rank[mod] < rank["sched"] and theirs:
            problems.append(f"{rel}: {mod} runs another module's job ({', '.join(theirs)}): "
                            "jobs run in sched/ (src/sched/jobs.c), none in a domain module")
        elif len(theirs) >= 2:
            problems.append(f"{rel}: calls {len(theirs)} jobs ({', '.join(theirs)}), a second "
                            "list of jobs: run them through sched/ (sched_run_due, sched_run_now)")
    if problems:
        print("jobs outside the one list:")
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
