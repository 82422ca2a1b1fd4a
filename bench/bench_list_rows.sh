#!/usr/bin/env bash
# Per-row cost of a listed page: reading deals vs reading them and
# writing their JSON (bench/list_rows.c), on `revos gen --deals 20000
# --seed 1` (the API benchmark's data).  Files go to BENCH_TMP.
set -euo pipefail
: "${BENCH_BIN_DIR:?}" "${REVOS_BIN:?}" "${BENCH_TMP:?}"
dir=$BENCH_TMP/list_rows
mkdir -p "$dir"
db=$dir/rows.db
rm -f "$db" "$db-wal" "$db-shm"
"$REVOS_BIN" --db "$db" init >/dev/null 2>&1
"$REVOS_BIN" --db "$db" gen --deals 20000 --seed 1 >/dev/null 2>&1
"$BENCH_BIN_DIR/list_rows" "$db"
rm -rf "$dir"
