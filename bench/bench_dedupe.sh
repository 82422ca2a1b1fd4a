#!/usr/bin/env bash
# bench_dedupe.sh - duplicate detection on BENCH_DEDUPE_RECORDS generated
# contacts (default 1000000) with known duplicates, on BENCH_DEDUPE_THREADS
# comparison threads (default 2); bench/bench_dedupe.c prints the figures and
# the ratio to a full comparison of every pair estimated in the same run.
# For a quick run: BENCH_DEDUPE_RECORDS=100000.
set -euo pipefail
: "${BENCH_BIN_DIR:?run through bench/run.sh or set BENCH_BIN_DIR}"
"$BENCH_BIN_DIR/bench_dedupe" "${BENCH_DEDUPE_RECORDS:-1000000}" "${BENCH_DEDUPE_THREADS:-2}"
