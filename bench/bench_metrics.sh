#!/usr/bin/env bash
# bench_metrics.sh - the whole dashboard on the analytics engine, cold and
# warm, against the same metrics as SQL on the same SQLite file
# (bench/bench_metrics.c prints the figures and the ratio).
#
# Data: `revos gen --accounts D/4 --deals D --leads D --activities 10D
# --seed 1` with D = BENCH_METRICS_DEALS (default 1000000: 1M deals, 1M
# leads, 10M activities).  Generating 1M deals takes 10-20 minutes, so the
# database is cached under BENCH_METRICS_CACHE (default
# /tmp/revos-bench-cache) in a file named by the options and reused by the
# next run.  For a quick run: BENCH_METRICS_DEALS=20000.
# BENCH_METRICS_RUNS (default 5): warm passes, the median is reported.
set -euo pipefail
: "${BENCH_BIN_DIR:?run through bench/run.sh or set BENCH_BIN_DIR}"
: "${REVOS_BIN:?run through bench/run.sh or set REVOS_BIN}"
deals=${BENCH_METRICS_DEALS:-1000000}
accounts=$((deals / 4 > 20 ? deals / 4 : 20))
leads=$deals
activities=$((deals * 10))
cache=${BENCH_METRICS_CACHE:-/tmp/revos-bench-cache}
mkdir -p "$cache"
db=$cache/metrics-a$accounts-d$deals-l$leads-act$activities-s1.db
if [ ! -f "$db" ]; then
    echo "generating $db (revos gen --accounts $accounts --deals $deals --leads $leads --activities $activities --seed 1)"
    rm -f "$db.tmp" "$db.tmp-wal" "$db.tmp-shm"
    "$REVOS_BIN" --db "$db.tmp" init >/dev/null 2>&1
    start=$(date +%s)
    "$REVOS_BIN" --db "$db.tmp" gen --accounts "$accounts" --deals "$deals" --leads "$leads" \
        --activities "$activities" --seed 1 2>"$cache/gen-$deals.log" </dev/null
    echo "generated in $(( $(date +%s) - start )) s"
    mv "$db.tmp" "$db"
fi
"$BENCH_BIN_DIR/bench_metrics" "$db" "${BENCH_METRICS_RUNS:-5}"
