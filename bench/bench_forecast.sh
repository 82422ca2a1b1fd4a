#!/usr/bin/env bash
# bench_forecast.sh - the forecast's Monte Carlo and hierarchy roll-up over
# 1M open deals and 10,000 trials, against every deal drawn in every trial
# (bench/bench_forecast.c prints the figures and the ratio).
# BENCH_FORECAST_DEALS (default 1000000), BENCH_FORECAST_TRIALS (10000),
# BENCH_FORECAST_BASE_TRIALS (200: the plain method's trials, scaled up).
set -euo pipefail
: "${BENCH_BIN_DIR:?run through bench/run.sh or set BENCH_BIN_DIR}"
"$BENCH_BIN_DIR/bench_forecast" "${BENCH_FORECAST_DEALS:-1000000}" "${BENCH_FORECAST_TRIALS:-10000}" \
    "${BENCH_FORECAST_BASE_TRIALS:-200}"
