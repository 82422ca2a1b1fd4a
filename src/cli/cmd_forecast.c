/*
 * cmd_forecast.c - `revos forecast show`: the live forecast of a period per
 * node of the hierarchy; `revos forecast backtest`: every forecast method
 * scored against what happened, period by period (service/forecast.h
 * computes; this file parses and prints).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonw.h"
#include "model/money.h"
#include "service/forecast.h"

static int parse_int(rv_cli *c, const char *name, const char *text, long max, long *out)
{
    long long v = 0;
    if (text && !rv_cli_parse_int(text, 1, max, &v))
        return rv_cli_usage(c, "--%s must be 1 to %ld, got '%s'", name, max, text);
    *out = (long)v;
    return 0;
}

static void show_json(const void *v, rv_jsonw *w) { rv_forecast_show_json(v, w); }
static void backtest_json(const void *v, rv_jsonw *w) { rv_forecast_backtest_json(v, w); }

static void print_unplaced(uint32_t n)
{
    if (n)
        printf("%u deals have no created date: they cannot be placed in time and are left out\n", n);
}

/* The options every forecast command takes (--period, --trials, --seed);
 * the caller has read its own, so any other is refused here. */
static int common_opts(rv_cli *c, rv_forecast_req *req)
{
    req->period = rv_cli_opt(c, "period");
    long trials = 0, seed = 0;
    int rc = parse_int(c, "trials", rv_cli_opt(c, "trials"), 1000000, &trials);
    if (!rc)
        rc = parse_int(c, "seed", rv_cli_opt(c, "seed"), 2147483647L, &seed);
    if (rc || (rc = rv_cli_check_opts(c)))
        return rc;
    req->trials = (int)trials;
    req->seed = (uint64_t)seed;
    return 0;
}

static int backtest(rv_cli *c)
{
    rv_forecast_req req = {0};
    req.from = rv_cli_opt(c, "from");
    req.to = rv_cli_opt(c, "to");
    int rc = common_opts(c, &req);
    if (rc)
        return rc;
    if (!req.from || !req.to)
        return rv_cli_usage(c, "--from and --to are required");
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_forecast_backtest *b = calloc(1, sizeof *b);
    rv_err err;
    if (!b || rv_forecast_backtest_run(&c->ctx, &req, b, &err)) {
        free(b);
        return rv_cli_fail(c, &err);
    }
    if (c->out == RV_OUT_JSON) {
        rv_cli_print_json(backtest_json, b);
        free(b);
        return 0;
    }
    char f[40], a[40], p10[40], p90[40];
    printf("%-10s %-11s %16s %16s %8s\n", "period", "method", "forecast", "actual", "ape %");
    for (int i = 0; i < b->n; i++) {
        const rv_fc_period_out *r = &b->rows[i];
        for (int m = 0; m < RV_FC_NMETHODS; m++) {
            printf("%-10s %-11s %16s %16s ", r->label, rv_fc_method_names[m],
                   rv_money_format(r->forecast[m], b->cur_exp, f, sizeof f),
                   rv_money_format(r->actual, b->cur_exp, a, sizeof a));
            if (r->actual)
                printf("%8.2f\n", rv_forecast_ape(r->forecast[m], r->actual));
            else
                printf("%8s\n", "-");
        }
        printf("%-10s P10 %s  P90 %s  open deals %u\n", r->label,
               rv_money_format(r->p10, b->cur_exp, p10, sizeof p10),
               rv_money_format(r->p90, b->cur_exp, p90, sizeof p90), r->open);
        printf("%-10s model: window %d days, cohort %s, new deals %s, features %s", r->label,
               r->set.window_days, rv_fc_cohort_names[r->set.cohort], rv_fc_new_deal_names[r->set.new_deals], r->set.features ? "on" : "off");
        if (r->tune_windows)
            printf(" (chosen on %d earlier windows, mape %.2f%%)\n", r->tune_windows, r->tune_mape);
        else
            printf(" (defaults: no earlier window to choose on)\n");
    }
    for (int m = 0; m < RV_FC_NMETHODS; m++) {
        if (b->mape[m] >= 0)
            printf("mape %-11s %.2f%%\n", rv_fc_method_names[m], b->mape[m]);
        else
            printf("mape %-11s -\n", rv_fc_method_names[m]);
    }
    print_unplaced(b->unplaced);
    free(b);
    return 0;
}

static int show(rv_cli *c)
{
    rv_forecast_req req = {0};
    req.node = rv_cli_opt(c, "node");
    req.asof = rv_cli_opt(c, "asof");
    int rc = common_opts(c, &req);
    if (rc || (rc = rv_cli_open(c, false)))
        return rc;
    rv_forecast_show s;
    rv_err err;
    if (rv_forecast_show_run(&c->ctx, &req, &s, &err))
        return rv_cli_fail(c, &err);
    if (c->out == RV_OUT_JSON) {
        rv_cli_print_json(show_json, &s);
        rv_forecast_show_free(&s);
        return 0;
    }
    char a[40], b[40], d[40];
    printf("%s (%s to %s) as of the end of %s%s\n", s.period, rv_date_format(s.start, a, sizeof a),
           rv_date_format(s.end - 1, b, sizeof b), rv_date_format(s.asof, d, sizeof d),
           s.scoped ? ", the deals you may read" : "");
    int width = 20; /* the node column fits the deepest, longest name */
    for (int i = 0; i < s.n; i++) {
        int w = 2 * s.rows[i].depth + (int)strlen(s.rows[i].name);
        width = w > width ? w : width;
    }
    printf("%-*s %12s %12s %12s %12s %12s %12s %12s %12s %5s\n", width, "node", "won", "commit", "best_case",
           "pipeline", "omitted", "p10", "p50", "p90", "open");
    for (int i = 0; i < s.n; i++) {
        const rv_forecast_node *r = &s.rows[i];
        char name[64];
        snprintf(name, sizeof name, "%*s%s", 2 * r->depth, "", r->name);
        printf("%-*s", width, name);
        int64_t v[8] = {r->won, r->cat[0], r->cat[1], r->cat[2], r->cat[3], r->p10, r->p50, r->p90};
        for (int k = 0; k < 8; k++)
            printf(" %12s", rv_money_format(v[k], s.cur_exp, a, sizeof a));
        printf(" %5u\n", r->open);
    }
    if (s.n && s.rows[0].drivers[0]) {
        printf("deals that drive the spread:");
        for (int j = 0; j < RV_FC_DRIVERS && s.rows[0].drivers[j]; j++)
            printf(" %lld", (long long)s.rows[0].drivers[j]);
        printf("\n");
    }
    print_unplaced(s.unplaced);
    rv_forecast_show_free(&s);
    return 0;
}

int rv_cmd_forecast(rv_cli *c)
{
    const char *what = c->npos > 0 ? c->pos[0] : "";
    if (!strcmp(what, "backtest"))
        return backtest(c);
    if (!strcmp(what, "show"))
        return show(c);
    return rv_cli_usage(c, "unknown forecast command '%s'", what);
}
