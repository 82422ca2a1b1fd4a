#!/usr/bin/env bash
# bench_score.sh - `revos score evaluate` against scikit-learn on the same
# folds: 5-fold stratified cross-validated AUC (mean over folds) of revos'
# logistic regression and boosted trees beside scikit-learn's
# LogisticRegression and HistGradientBoostingClassifier, and the training
# time ratio (scikit-learn's summed fit time / revos' for the comparable
# model, and best against best).  revos writes the fold of every row
# (--write-folds); bench/score_sklearn.py reads it and the column kinds
# revos inferred, so both see the same rows, features and folds.
# revos trains on one thread.  scikit-learn runs on one thread too (like
# with like: OMP_NUM_THREADS=1), and HistGradientBoosting once more on its
# default OpenMP thread count (every core), reported beside it.
#
# The machines are shared, so a burst of someone else's work can land on
# either side: each side's time is the least of BENCH_REPEAT (default 3)
# runs of the five fits (revos: of `score evaluate`), the usual way to
# time on a noisy machine; every run's figure is printed too.  The
# many-thread scikit-learn run is timed once.
#
# Needs Debian's python3-sklearn (scripts/install-deps --bench); skipped
# with a message when it is missing.  Datasets from ../shared/datasets (or
# REVOS_DATASETS).
set -euo pipefail
: "${REVOS_BIN:?run through bench/run.sh or set REVOS_BIN}"
here=$(cd "$(dirname "$0")" && pwd)
data=${REVOS_DATASETS:-$here/../../shared/datasets}
tmp=${BENCH_TMP:-$(mktemp -d)}
py=${BENCH_PYTHON:-/usr/bin/python3}
if ! "$py" -c 'import sklearn' 2>/dev/null; then
    echo "bench_score: skipped: python3-sklearn is not installed (scripts/install-deps --bench)"
    exit 0
fi
export OPENBLAS_NUM_THREADS=1
repeat=${BENCH_REPEAT:-3}
leads_leaks="Tags,Lead Quality,Lead Profile,Last Activity,Last Notable Activity"
leads_leaks+=",Asymmetrique Activity Index,Asymmetrique Profile Index"
leads_leaks+=",Asymmetrique Activity Score,Asymmetrique Profile Score"

one() { # name csv target exclude
    local name=$1 csv=$2 target=$3 exclude=$4
    if [ ! -f "$csv" ]; then
        echo "$name: skipped: $csv not found"
        return
    fi
    local args=(score evaluate --csv "$csv" --target "$target" --folds 5 --seed 42 --json
                --write-folds "$tmp/$name.folds")
    [ -n "$exclude" ] && args+=(--exclude "$exclude")
    local i
    for ((i = 1; i <= repeat; i++)); do
        "$REVOS_BIN" "${args[@]}" >"$tmp/$name.revos.$i.json"
    done
    BENCH_REPEAT=$repeat OMP_NUM_THREADS=1 "$py" "$here/score_sklearn.py" "$csv" "$target" "$tmp/$name.revos.1.json" \
        "$tmp/$name.folds" >"$tmp/$name.sklearn.json"
    BENCH_REPEAT=1 "$py" "$here/score_sklearn.py" "$csv" "$target" "$tmp/$name.revos.1.json" \
        "$tmp/$name.folds" hgb >"$tmp/$name.sklearn-mt.json"
    "$py" - "$name" "$tmp/$name.sklearn.json" "$tmp/$name.sklearn-mt.json" \
        "$tmp/$name".revos.*.json <<'PY'
import json, sys
name, sk, mt = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
runs = [json.load(open(f)) for f in sys.argv[4:]]
rv = runs[0]
for mod in rv["models"]:
    times = [next(x for x in r["models"] if x["model"] == mod["model"])["train_seconds"] for r in runs]
    mod["train_seconds"], mod["runs"] = min(times), times
m = {x["model"]: x for x in rv["models"]}
print(f"{name}: {rv['rows']} rows, 5 folds (seed 42); threads: revos 1, sklearn {sk['threads']}; "
      f"time: least of {len(runs)} runs")
print(f"  {'model':<34} {'AUC':>7} {'train s':>8}")
rows = [("revos lr", m["lr"]), ("revos gbt", m["gbt"]),
        ("sklearn LogisticRegression", sk["lr"]), ("sklearn HistGradientBoosting", sk["hgb"])]
for label, r in rows:
    print(f"  {label:<34} {r['auc']:7.4f} {r['train_seconds']:8.3f}   runs "
          + " ".join(f"{t:.3f}" for t in r["runs"]))
best_rv = max(m.values(), key=lambda r: r["auc"])
best_sk = max((sk[k] for k in ("lr", "hgb")), key=lambda r: r["auc"])
print(f"  best AUC: revos {best_rv['auc']:.4f} ({best_rv['model']}) vs sklearn {best_sk['auc']:.4f}"
      f"  -> {'at least as high' if best_rv['auc'] >= best_sk['auc'] else 'LOWER'}")
print(f"  training time ratio sklearn/revos: lr {sk['lr']['train_seconds'] / m['lr']['train_seconds']:.1f}x, "
      f"trees {sk['hgb']['train_seconds'] / m['gbt']['train_seconds']:.1f}x, "
      f"both models {(sk['lr']['train_seconds'] + sk['hgb']['train_seconds']) / (m['lr']['train_seconds'] + m['gbt']['train_seconds']):.1f}x")
print(f"  sklearn HistGradientBoosting on {mt['threads']} threads: AUC {mt['hgb']['auc']:.4f}, "
      f"{mt['hgb']['train_seconds']:.3f} s; ratio to revos gbt on 1 thread "
      f"{mt['hgb']['train_seconds'] / m['gbt']['train_seconds']:.1f}x")
PY
}

one xeducation-leads "$data/xeducation-leads/Leads.csv" Converted "$leads_leaks"
one ibm-telco-churn "$data/ibm-telco-churn/Telco-Customer-Churn.csv" Churn ""
