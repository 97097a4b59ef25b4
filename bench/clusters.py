#!/usr/bin/python3
"""bench/clusters.py BUILD_DIR [--k 6] [--runs 3]

`kartoteka cluster` beside scikit-learn (Debian python3-sklearn) on the same standardised
features: the Online Retail year replayed into a database (bench/replay.py --keep), clustered
by Kartoteka (k-means++, ten starts) which also writes its feature matrix; then sklearn's
KMeans(init="k-means++", n_init=10) on that matrix. Prints both inertias (Kartoteka's must be
within 1% of sklearn's), the silhouettes, and the times: Kartoteka's end to end in its process
(reading the features from SQLite, k-means, silhouette of 2,000) against sklearn's fit plus its
silhouette of 2,000.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default="build/release")
ap.add_argument("--k", type=int, default=6)
ap.add_argument("--runs", type=int, default=3)
a = ap.parse_args()
work = tempfile.mkdtemp(prefix="kt-clusters-")
print("== the Online Retail year into a database (bench/replay.py)")
subprocess.run([sys.executable, os.path.join(HERE, "replay.py"), a.build, "--no-check", "--keep",
                work], check=True, stdout=subprocess.DEVNULL)
db = os.path.join(work, "k.db")
feats = os.path.join(work, "features.csv")
ours, theirs = [], []
for run in range(a.runs):
    out = subprocess.run([os.path.join(a.build, "kartoteka"), "cluster", "--k", str(a.k),
                          "--json", "--no-store", "--features-out", feats, "--db", db,
                          "--now", "2011-12-10T00:00:00Z"],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    ours.append(r)
    x = np.loadtxt(feats, delimiter=",")
    t0 = time.perf_counter()
    km = KMeans(n_clusters=a.k, init="k-means++", n_init=10, random_state=run).fit(x)
    sil = silhouette_score(x, km.labels_, sample_size=min(2000, len(x)), random_state=run)
    theirs.append((km.inertia_, sil, (time.perf_counter() - t0) * 1000))
print(f"{ours[0]['customers']} customers, {len(ours[0]['features'])} features: "
      f"{', '.join(ours[0]['features'])}")
for c in ours[0]["clusters"]:
    print(f"  cluster {c['cluster']}: {c['size']:5d}  {c['description']}")
oi = statistics.median(r["inertia"] for r in ours)
si = statistics.median(t[0] for t in theirs)
ot = statistics.median(r["took_ms"] for r in ours)
st = statistics.median(t[2] for t in theirs)
print(f"RESULT k={a.k} inertia={oi:.1f} sklearn_inertia={si:.1f} ratio={oi / si:.4f} "
      f"silhouette={statistics.median(r['silhouette'] for r in ours):.3f} "
      f"sklearn_silhouette={statistics.median(t[1] for t in theirs):.3f} "
      f"ms={ot:.0f} sklearn_ms={st:.0f} time_ratio={ot / st:.2f}")
print("CHECK", "ok" if abs(oi / si - 1) <= 0.01 else "inertia differs by more than 1%")
subprocess.run(["rm", "-rf", work])
