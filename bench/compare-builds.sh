#!/bin/sh
# bench/compare-builds.sh PRE_SRC PRE_BUILD POST_SRC POST_BUILD [OUT] - one run of every benchmark
# for two builds in one sitting, alternating script by script (before, after), each side with its
# own tree's bench scripts (an API change renames what the scripts send). For "before and after"
# figures of a change (BENCHMARKS.md). PRE_SRC/POST_SRC: checkouts (git worktree add --detach);
# PRE_BUILD/POST_BUILD: their release builds (cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo
# -DBUILD_TESTING=OFF). Logs go to OUT (default /tmp/kt-compare); sizes follow the KT_BENCH_*
# knobs, one run each unless KT_BENCH_RUNS says otherwise.
set -u
[ $# -ge 4 ] || { echo "usage: $0 PRE_SRC PRE_BUILD POST_SRC POST_BUILD [OUT]" >&2; exit 2; }
out=${5:-/tmp/kt-compare}
mkdir -p "$out"
export KT_BENCH_RUNS=${KT_BENCH_RUNS:-1}
for s in run import analytics events purchases segments; do
    for side in pre post; do
        if [ $side = pre ]; then src=$1 b=$2; else src=$3 b=$4; fi
        echo "== $s $side $(date +%T)"
        (cd "$src" && timeout 1800 sh bench/$s.sh "$b") >"$out/$s.$side.log" 2>&1
        echo "   exit $? $(date +%T); medians: $out/$s.$side.log"
    done
done
