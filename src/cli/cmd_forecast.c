/*
 * cmd_forecast.c - `revos forecast backtest`: every forecast method scored
 * against what happened, period by period (service/forecast.h computes;
 * this file parses and prints).
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
    char *end;
    long v = text ? strtol(text, &end, 10) : 0;
    if (text && (*end || v < 1 || v > max))
        return rv_cli_usage(c, "--%s must be 1 to %ld, got '%s'", name, max, text);
    *out = v;
    return 0;
}

static int backtest(rv_cli *c)
{
    rv_forecast_req req = {0};
    req.from = rv_cli_opt(c, "from");
    req.to = rv_cli_opt(c, "to");
    req.period = rv_cli_opt(c, "period");
    long trials = 0, seed = 0;
    int rc = parse_int(c, "trials", rv_cli_opt(c, "trials"), 1000000, &trials);
    if (!rc)
        rc = parse_int(c, "seed", rv_cli_opt(c, "seed"), 2147483647L, &seed);
    if (rc || (rc = rv_cli_check_opts(c)))
        return rc;
    if (!req.from || !req.to)
        return rv_cli_usage(c, "--from and --to are required");
    req.trials = (int)trials;
    req.seed = (uint64_t)seed;
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_forecast_backtest *b = calloc(1, sizeof *b);
    rv_err err;
    if (!b || rv_forecast_backtest_run(&c->ctx, &req, b, &err)) {
        free(b);
        return rv_cli_fail(c, &err);
    }
    if (c->out == RV_OUT_JSON) {
        rv_buf buf = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &buf, false);
        rv_forecast_backtest_json(b, &w);
        fwrite(rv_buf_str(&buf), 1, buf.len, stdout);
        fputc('\n', stdout);
        rv_buf_release(&buf);
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
    }
    for (int m = 0; m < RV_FC_NMETHODS; m++) {
        if (b->mape[m] >= 0)
            printf("mape %-11s %.2f%%\n", rv_fc_method_names[m], b->mape[m]);
        else
            printf("mape %-11s -\n", rv_fc_method_names[m]);
    }
    if (b->unplaced)
        printf("%u deals have no created date: they cannot be placed in time and are left out\n",
               b->unplaced);
    free(b);
    return 0;
}

int rv_cmd_forecast(rv_cli *c)
{
    const char *what = c->npos > 0 ? c->pos[0] : "";
    if (!strcmp(what, "backtest"))
        return backtest(c);
    return rv_cli_usage(c, "unknown forecast command '%s'", what);
}
