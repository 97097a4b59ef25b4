#!/usr/bin/python3
"""Scores `kartoteka dedup csv` on gen_ru.py's set: pairwise precision, recall, F1 against the
truth, and the false merges of each hard-negative kind (pairs found between two different
people of one look-alike group).

    ru_score.py PAIRS.csv TRUTH.csv        As a module: score(pairs, truth) -> dict.
"""
import collections
import csv
import itertools
import sys

from febrl_score import read_pairs


def score(pairs_path, truth_path):
    person, neg = {}, {}
    with open(truth_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            person[row["record_id"]] = row["person"]
            if row["negative"]:
                neg[row["record_id"]] = row["negative"]
    by_person = collections.defaultdict(list)
    for rid, p in person.items():
        by_person[p].append(rid)
    true = {frozenset(x) for recs in by_person.values() for x in itertools.combinations(recs, 2)}
    found = read_pairs(pairs_path)
    tp = len(found & true)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(true) if true else 0.0
    false_merges = collections.Counter()
    groups = collections.Counter()
    for tag in set(neg.values()):
        groups[tag.split(":")[0]] += 1
    for pair in found - true:
        a, b = tuple(pair)
        if a in neg and neg.get(b) == neg[a]:
            false_merges[neg[a].split(":")[0]] += 1
    return {"true_pairs": len(true), "found": len(found), "tp": tp, "precision": precision,
            "recall": recall, "f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
            "false_merges": dict(false_merges), "negative_groups": dict(groups)}


if __name__ == "__main__":
    print(score(sys.argv[1], sys.argv[2]))
