#!/usr/bin/python3
"""score_sklearn.py - the scikit-learn baseline for bench_score.sh.

usage: score_sklearn.py CSV TARGET REVOS_JSON FOLDS_FILE [MODELS]

Reads the column kinds revos inferred (REVOS_JSON, from `revos score
evaluate --json`) and the fold of every row (FOLDS_FILE, from
--write-folds), so both libraries see the same features and the same
folds.  Fits LogisticRegression (median imputation, standard scaling,
one-hot categoricals with a missing level) and HistGradientBoostingClassifier
(native missing values, native categoricals, defaults otherwise) on each
training fold (MODELS: a comma-separated subset of lr,hgb; both by
default) on the OpenMP threads OMP_NUM_THREADS allows, and prints one JSON
object with the mean AUC over the folds and the summed fit time of each
model (the least of BENCH_REPEAT runs of the five fits, default 1), and the
thread count.
"""
import csv
import json
import os
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads


def load(path, sep, target, info):
    kinds = {c["name"]: c["kind"] for c in info["columns"]}
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=sep))
    head, rows = rows[0], [[v.strip() for v in r] for r in rows[1:] if r]
    t = head.index(target)
    rows = [r for r in rows if r[t] != ""]
    y = np.array([r[t] == info["target"]["positive"] for r in rows], dtype=int)
    num = [i for i, n in enumerate(head) if kinds.get(n) == "numeric"]
    cat = [i for i, n in enumerate(head) if kinds.get(n) == "categorical"]
    xnum = np.array([[float(r[i]) if r[i] != "" else np.nan for i in num] for r in rows])
    xstr = np.array([[r[i] if r[i] != "" else "(missing)" for i in cat] for r in rows], dtype=object)
    xcode = np.empty((len(rows), len(cat)))
    for j, i in enumerate(cat):
        levels = {v: k for k, v in enumerate(sorted({r[i] for r in rows if r[i] != ""}))}
        xcode[:, j] = [levels[r[i]] if r[i] != "" else np.nan for r in rows]
    return y, xnum.reshape(len(rows), len(num)), xstr, xcode


def main():
    path, target, revos_json, folds_file = sys.argv[1:5]
    models = sys.argv[5].split(",") if len(sys.argv) > 5 else ["lr", "hgb"]
    info = json.load(open(revos_json))
    y, xnum, xstr, xcode = load(path, info["separator"], target, info)
    folds = np.loadtxt(folds_file, dtype=int)
    assert len(folds) == len(y), "folds file does not match the rows"

    def fit_lr(tr):
        num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        cat = OneHotEncoder(handle_unknown="ignore")
        x = sparse.hstack([sparse.csr_matrix(num.fit_transform(xnum[tr])),
                           cat.fit_transform(xstr[tr])]).tocsr()
        m = LogisticRegression(max_iter=1000).fit(x, y[tr])

        def predict(te):
            xt = sparse.hstack([sparse.csr_matrix(num.transform(xnum[te])),
                                cat.transform(xstr[te])]).tocsr()
            return m.predict_proba(xt)[:, 1]
        return predict

    def fit_hgb(tr):
        x = np.hstack([xnum, xcode])
        mask = [False] * xnum.shape[1] + [True] * xcode.shape[1]
        m = HistGradientBoostingClassifier(categorical_features=mask, random_state=0)
        m.fit(x[tr], y[tr])
        return lambda te: m.predict_proba(x[te])[:, 1]

    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    out = {}
    for name, fit in (("lr", fit_lr), ("hgb", fit_hgb)):
        if name not in models:
            continue
        runs = []
        for _ in range(repeat):
            aucs, secs = [], 0.0
            for f in range(folds.max() + 1):
                tr, te = folds != f, folds == f
                t0 = time.perf_counter()
                predict = fit(tr)
                secs += time.perf_counter() - t0
                aucs.append(roc_auc_score(y[te], predict(te)))
            runs.append(secs)
        out[name] = {"auc": float(np.mean(aucs)), "fold_auc": aucs, "train_seconds": min(runs),
                     "runs": runs}
    out["threads"] = _openmp_effective_n_threads()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
