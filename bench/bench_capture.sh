#!/usr/bin/env bash
# bench_capture.sh - lead capture over HTTP through the whole pipeline
# against 1M contacts and 100k accounts, with a plain lead create through
# the same server as the baseline (see bench/bench_capture.c).
#
# The database is built on first use and cached in $BENCH_TMP/capture
# (building 1.1M records takes a while); every run adds its leads to it,
# so later runs match against a few more leads.
#
# Environment (from bench/run.sh): BENCH_BIN_DIR, BENCH_TMP.  Optional:
# CAPTURE_SECONDS (5 per phase), CAPTURE_RATE (1000 leads/s),
# CAPTURE_ACCOUNTS (100000), CAPTURE_CONTACTS_PER (10).
set -euo pipefail
: "${BENCH_BIN_DIR:?}" "${BENCH_TMP:?}"
accounts=${CAPTURE_ACCOUNTS:-100000}
per=${CAPTURE_CONTACTS_PER:-10}
dir=$BENCH_TMP/capture
mkdir -p "$dir"
db=$dir/capture-$accounts-$per.db
"$BENCH_BIN_DIR/bench_capture" "$db" "${CAPTURE_SECONDS:-5}" "${CAPTURE_RATE:-1000}" "$accounts" "$per"
