#!/usr/bin/env bash
# CSV import of deals (rv_import_csv, the path of `revos import deals`)
# against plain prepared SQLite inserts of the same rows into the same
# schema, measured in one run.  BENCH_IMPORT_DEALS (default 1000000) and
# BENCH_IMPORT_ACCOUNTS (default 10000) size it; files go to BENCH_TMP.
set -euo pipefail
: "${BENCH_BIN_DIR:?run through bench/run.sh or set BENCH_BIN_DIR}"
: "${BENCH_TMP:=$(mktemp -d /tmp/revos-bench.XXXXXX)}"
dir="$BENCH_TMP/import"
mkdir -p "$dir"
"$BENCH_BIN_DIR/bench_import" "$dir" "${BENCH_IMPORT_DEALS:-1000000}" "${BENCH_IMPORT_ACCOUNTS:-10000}"
rm -rf "$dir"
