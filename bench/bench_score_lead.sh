#!/usr/bin/env bash
# Scoring one lead with its reasons (bench/score_lead.c) against reading
# it, on `revos gen --deals 3000 --seed 1` with a model trained by `revos
# score train` (the better of lr and gbt), then with gbt forced.  Files go
# to BENCH_TMP.
set -euo pipefail
: "${BENCH_BIN_DIR:?}" "${REVOS_BIN:?}" "${BENCH_TMP:?}"
dir=$BENCH_TMP/score_lead
mkdir -p "$dir"
db=$dir/leads.db
rm -f "$db" "$db-wal" "$db-shm"
"$REVOS_BIN" --db "$db" init >/dev/null 2>&1
"$REVOS_BIN" --db "$db" gen --deals 3000 --seed 1 >/dev/null 2>&1
for model in lr gbt; do
    "$REVOS_BIN" --db "$db" score_models list --fields id,active --csv | awk -F, '$2 == "true" {print $1}' |
        while read -r id; do "$REVOS_BIN" --db "$db" score_models update "$id" --active false >/dev/null; done
    "$REVOS_BIN" --db "$db" score train --model "$model" --json >/dev/null
    id=$("$REVOS_BIN" --db "$db" score_models list --fields id --sort -id --limit 1 --csv 2>/dev/null | tail -1)
    "$REVOS_BIN" --db "$db" score_models update "$id" --active true >/dev/null
    "$BENCH_BIN_DIR/score_lead" "$db"
done
rm -rf "$dir"
