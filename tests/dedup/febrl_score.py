#!/usr/bin/python3
"""Scores `kartoteka dedup csv` on a FEBRL set against the truth in its record ids
(rec-N-org and rec-N-dup-K with the same N are one person): pairwise precision, recall and F1,
and the blocking's pair completeness and reduction ratio from the summary line.

    febrl_score.py PAIRS.csv CANDIDATES.csv INPUT.csv [INPUT2.csv]
                                    (two inputs: links across them only)

As a module: score(pairs, candidates, files) -> dict, for tests/e2e/test_dedup_csv.py.
"""
import csv
import itertools
import re
import sys


def person(rec_id):
    m = re.match(r"rec-(\d+)-(org|dup-\d+)$", rec_id.strip())
    return m.group(1) if m else None


def ids(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f, skipinitialspace=True)
        next(r)
        return [row[0].strip() for row in r if row]


def truth(files):
    people = {}
    for i, path in enumerate(files):
        for rec in ids(path):
            people.setdefault(person(rec), []).append((i, rec))
    pairs = set()
    for recs in people.values():
        for (fa, a), (fb, b) in itertools.combinations(recs, 2):
            if len(files) == 1 or fa != fb:
                pairs.add(frozenset((a, b)))
    return pairs


def read_pairs(path, header=True):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        if header:
            next(r)
        return {frozenset((row[0], row[1])) for row in r if row}


def score(pairs_path, cand_path, files):
    """precision, recall, f1 of the pairs; pair completeness and reduction ratio of the
    candidates; all against the truth of the record ids."""
    found, cands = read_pairs(pairs_path), read_pairs(cand_path, header=False)
    true = truth(files)
    sizes = [len(ids(p)) for p in files]
    if len(files) == 2:  # links across the two files only
        left = set(ids(files[0]))
        found = {p for p in found if len(p & left) == 1}
        cands = {p for p in cands if len(p & left) == 1}
        possible = sizes[0] * sizes[1]
    else:
        possible = sizes[0] * (sizes[0] - 1) // 2
    tp = len(found & true)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(true) if true else 0.0
    return {"true_pairs": len(true), "found": len(found), "tp": tp, "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
            "candidates": len(cands),
            "pair_completeness": len(cands & true) / len(true) if true else 0.0,
            "reduction_ratio": 1 - len(cands) / possible if possible else 0.0}


def main():
    r = score(sys.argv[1], sys.argv[2], sys.argv[3:])
    print(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
