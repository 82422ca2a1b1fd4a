/*
 * cmd_gen.c - `revos gen`: fill the database with generated data.
 *
 * The generator engine (src/engine/gen.c) invents the rows; they go into the
 * database through the same import path as a CSV file (one transaction,
 * references by external id, upsert), so a generated database is exactly
 * what an import of the same rows would give, and running the same command
 * twice changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/gen.h"
#include "model/money.h"
#include "service/import.h"

typedef struct gen_state {
    rv_cli *c;
    rv_import *im;
    long rows;
    int64_t deals_total, deals_seen;
    const char *last_entity;
} gen_state;

static int emit(void *ud, const char *entity, int ncols, const char *const *cols,
                const char *const *vals)
{
    gen_state *g = ud;
    const rv_entity *e = rv_entity_find(entity);
    if (!e)
        return 1;
    size_t lens[RV_IMPORT_MAX_COLS];
    for (int i = 0; i < ncols; i++)
        lens[i] = vals[i] ? strlen(vals[i]) : 0;
    g->rows++;
    rv_status st = rv_import_row(g->im, e, ncols, cols, vals, lens, g->rows);
    if (st != RV_OK && rv_import_rejected(g->im) > 0 && st != RV_EINVAL)
        return 2;
    if (!strcmp(entity, "deals"))
        g->deals_seen++;
    if ((g->rows & 0x3fff) == 0) {
        double f = g->deals_total ? (double)g->deals_seen / (double)g->deals_total : 0;
        rv_cli_progress(g->c, "generating", f, g->rows);
    }
    return 0;
}

static int parse_count(rv_cli *c, const char *name, int64_t *out)
{
    const char *v = rv_cli_opt(c, name);
    if (!v)
        return 0;
    long long n;
    if (!rv_cli_parse_int(v, 0, INT64_MAX, &n))
        return rv_cli_usage(c, "--%s must be a whole number >= 0, got '%s'", name, v);
    *out = n;
    return 0;
}

int rv_cmd_gen(rv_cli *c)
{
    rv_gen_opts o = {0};
    int rc;
    int64_t seed = 1;
    if ((rc = parse_count(c, "accounts", &o.accounts)) || (rc = parse_count(c, "deals", &o.deals)) ||
        (rc = parse_count(c, "leads", &o.leads)) ||
        (rc = parse_count(c, "activities", &o.activities)) || (rc = parse_count(c, "seed", &seed)))
        return rc;
    o.seed = (uint64_t)seed;
    rv_err err;
    const char *start = rv_cli_opt(c, "start"), *end = rv_cli_opt(c, "end");
    if (start && rv_date_parse(start, strlen(start), &o.start_day, "start", &err))
        return rv_cli_fail(c, &err);
    if (end && rv_date_parse(end, strlen(end), &o.end_day, "end", &err))
        return rv_cli_fail(c, &err);
    if ((rc = rv_cli_check_opts(c)))
        return rc;
    if (c->npos)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[0]);
    rv_gen_opts full;
    rv_gen_resolve(&o, &full);
    if (rv_gen_check(&full, &err))
        return rv_cli_fail(c, &err);
    if ((rc = rv_cli_open(c, true)))
        return rc;
    rv_import_opts io = {.history_supplied = true};
    gen_state g = {.c = c, .deals_total = full.deals};
    if (rv_import_begin(&c->ctx, &io, &g.im, &err))
        return rv_cli_fail(c, &err);
    int gr = rv_gen_run(&full, emit, &g);
    rv_cli_progress_done(c);
    rv_import_report rep;
    rv_import_report_init(&rep);
    rv_status st = rv_import_end(g.im, &rep, &err);
    if (gr < 0) {
        rv_import_report_release(&rep);
        fprintf(stderr, "revos: error: the generator failed (%d)\n", gr);
        return 1;
    }
    if (st) {
        char buf[RV_ERR_MSG_MAX + 200];
        for (int i = 0; i < rep.nrejects; i++)
            fprintf(stderr, "revos: %s\n", rv_import_reject_text(&rep.rejects[i], buf, sizeof buf));
        rv_import_report_release(&rep);
        return rv_cli_fail(c, &err);
    }
    for (int i = 0; rv_entities[i]; i++) {
        const rv_import_count *k = &rep.counts[i];
        if (k->created || k->updated || k->unchanged)
            fprintf(stderr, "%-14s %9lld created %9lld updated %9lld unchanged\n",
                    rv_entities[i]->name, (long long)k->created, (long long)k->updated,
                    (long long)k->unchanged);
    }
    fprintf(stderr, "revos: %ld rows in %.1f s (seed %llu)\n", rep.rows,
            (double)rep.elapsed_ms / 1000.0, (unsigned long long)o.seed);
    rv_import_report_release(&rep);
    return 0;
}
