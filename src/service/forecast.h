/*
 * forecast.h - forecasts of a database: the deals with their stage and
 * field history loaded into the forecast engine (engine/forecast.h), the
 * backtest of every method over past periods, and the live forecast per
 * node of the hierarchy.
 *
 * Record access: a backtest scores the company's forecast, so it needs read
 * access to all deals (admins, managers and finance by default); others get
 * 403.  `show` obeys record access like reports: it loads only the deals
 * the caller may read (a rep his own, a manager his subtree's), learns
 * from those and rolls them up, so no figure depends on a deal he cannot
 * read.
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
    const char *asof;      /* show: YYYY-MM-DD, default today (UTC) */
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
    bool scoped; /* only the deals the caller may read were loaded */
} rv_forecast_db;

/* Load every deal with its history; free with rv_forecast_db_free.  With
 * scoped, only the deals c->who may read; else c->who must read all deals
 * (RV_EFORBIDDEN). */
rv_status rv_forecast_load(rv_ctx *c, bool scoped, rv_forecast_db *db, rv_err *err);
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
/* One node of a live forecast: the period's won revenue so far, open
 * deals' amounts by forecast category (close date inside the period), and
 * the predictive total (won so far + the simulated rest of the period). */
typedef struct rv_forecast_node {
    const char *name; /* borrowed from the rv_forecast_show */
    const char *kind; /* company | team | user */
    int parent;       /* row index, -1 for the first row */
    int depth;
    int64_t won, cat[4]; /* cat: commit, best_case, pipeline, omitted */
    int64_t p10, p50, p90, mean;
    uint32_t open;
    int64_t drivers[RV_FC_DRIVERS]; /* deal ids by variance p(1-p)v^2, 0 past the end */
} rv_forecast_node;

typedef struct rv_forecast_show {
    char period[16];
    int32_t start, end, asof; /* the period [start, end), the forecast made at the end of asof */
    int n;
    rv_forecast_node *rows; /* the company (or --node) first, then its subtree depth-first */
    uint32_t unplaced;
    bool scoped;
    int cur_exp;
    rv_forecast_db db; /* names */
} rv_forecast_show;

/* Forecast the period (req->period: month | quarter | year) holding
 * req->asof as of the end of that day, per node of the hierarchy, from the
 * deals the caller may read.  RV_ENOTFOUND when req->node names no team or
 * user.  Free with rv_forecast_show_free. */
rv_status rv_forecast_show_run(rv_ctx *c, const rv_forecast_req *req, rv_forecast_show *out, rv_err *err);
void rv_forecast_show_free(rv_forecast_show *s);
/* {"period", "from", "to", "asof", "scoped", "unplaced", "nodes": [{"node", "kind", "parent",
 * "won", "commit", "best_case", "pipeline", "omitted", "p10", "p50", "p90", "mean", "open",
 * "drivers": [deal ids]}]}: money in currency units. */
void rv_forecast_show_json(const rv_forecast_show *s, rv_jsonw *w);

/* Absolute percentage error of a forecast, percent. */
double rv_forecast_ape(int64_t forecast, int64_t actual);

#endif
