/*
 * forecast.h - forecasts of a database: the deals with their stage and
 * field history loaded into the forecast engine (engine/forecast.h), the
 * backtest of every method over past periods, and the live forecast per
 * node of the hierarchy.
 *
 * Record access: a forecast reads every deal, so it needs read access to
 * all deals (admins, managers and finance by default); others get 403.
 */
#ifndef RV_SERVICE_FORECAST_H
#define RV_SERVICE_FORECAST_H

#include "core/jsonw.h"
#include "engine/forecast.h"
#include "service/service.h"

typedef struct rv_forecast_req {
    const char *from, *to; /* YYYY-MM-DD (backtest: first and last period starts within) */
    const char *period;    /* month | quarter | year (default quarter) */
    const char *node;      /* show: a team or user name, NULL for all */
    int trials;            /* default 10000 */
    uint64_t seed;         /* default 1 */
} rv_forecast_req;

typedef struct rv_forecast_db {
    rv_fc_data d;
    char **user_name, **team_name;
    int64_t *deal_id;
    int cur_exp;
    int fy_start;
    char currency[4];
} rv_forecast_db;

/* Load every deal with its history; free with rv_forecast_db_free. */
rv_status rv_forecast_load(rv_ctx *c, rv_forecast_db *db, rv_err *err);
void rv_forecast_db_free(rv_forecast_db *db);

typedef struct rv_forecast_backtest {
    rv_fc_period kind;
    int n;
    rv_fc_period_out rows[64];
    double mape[RV_FC_NMETHODS]; /* percent; -1 when no period had an actual */
    uint32_t unplaced;           /* deals that can never be placed (no created day) */
    int cur_exp;
} rv_forecast_backtest;

/* Backtest every period starting in [from, to]. */
rv_status rv_forecast_backtest_run(rv_ctx *c, const rv_forecast_req *req, rv_forecast_backtest *out,
                                   rv_err *err);
/* {"period", "unplaced", "methods": [{"method", "rows": [{"period", "forecast",
 * "actual", "ape"}], "mape"}]}: money in currency units, ape and mape in percent. */
void rv_forecast_backtest_json(const rv_forecast_backtest *b, rv_jsonw *w);
/* Absolute percentage error of a forecast, percent. */
double rv_forecast_ape(int64_t forecast, int64_t actual);

#endif
