/*
 * cmd_leads.c - `revos capture`, `revos sources`, `revos route`,
 * `revos sla`: the CLI over service/leads.h.
 *
 * `revos capture --data JSON` runs one lead through the capture pipeline;
 * `revos capture --file LEADS.csv` runs every row (header = lead field
 * names) through the same pipeline, one transaction per lead: a refused
 * row is reported with its row number and changes nothing, the others
 * are kept, and the exit status says whether any was refused.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/csv.h"
#include "service/leads.h"

static const char *take_verb(rv_cli *c)
{
    if (c->npos == 0)
        return NULL;
    c->verb = c->pos[0];
    c->pos++;
    c->npos--;
    return c->verb;
}

static void print_result(rv_cli *c, const rv_capture_result *r)
{
    if (c->out == RV_OUT_JSON) {
        rv_buf b;
        rv_jsonw w;
        rv_buf_init(&b, 0);
        rv_jsonw_init(&w, &b, false);
        rv_capture_result_json(r, &w);
        printf("%s\n", rv_buf_str(&b));
        rv_buf_release(&b);
        return;
    }
    printf("lead %lld%s%s: owner %lld, score %d (fit %d, engagement %d)\n", (long long)r->lead_id,
           r->replayed ? " (replayed)" : "", r->linked ? " (linked to the open lead)" : "",
           (long long)r->owner_id, r->score, r->fit, r->engagement);
    printf("  match: %s\n  route: %s\n", r->match_reason ? r->match_reason : "",
           r->route_reason ? r->route_reason : "");
}

/* Capture every row of the CSV at path.  Each row in its own transaction
 * (refused rows reported, the others kept), or, with all, every row in one
 * transaction: the import path, all rows or none. */
static int capture_file(rv_cli *c, const char *path, bool all)
{
    rv_csv_reader *rd;
    rv_err err;
    int ncols;
    const char *const *cols;
    const size_t *lens;
    if (rv_csv_open_header(&rd, path, &ncols, &cols, &lens, &err))
        return rv_cli_fail(c, &err);
    char **names = calloc((size_t)ncols, sizeof *names);
    for (int i = 0; i < ncols; i++)
        names[i] = strndup(cols[i], lens[i]);
    long row, ok = 0, bad = 0, linked = 0;
    int n;
    rv_status st = all ? rv_store_begin(c->ctx.store, &err) : RV_OK;
    while (!st && !(st = rv_csv_next(rd, &n, &cols, &lens, &row, &err))) {
        json_t *b = json_object();
        for (int i = 0; i < n && i < ncols; i++)
            if (lens[i])
                json_object_set_new(b, names[i], json_stringn(cols[i], lens[i]));
        rv_capture_req req = {NULL, NULL, b};
        rv_capture_result r;
        if (!c->as_email) /* the principal (--as) lives in the arena */
            rv_arena_reset(&c->arena);
        if (rv_leads_capture(&c->ctx, &req, &r, &err)) {
            fprintf(stderr, "revos: row %ld: %s\n", row, err.message);
            bad++;
        } else {
            ok++;
            linked += r.linked;
        }
        json_decref(b);
    }
    for (int i = 0; i < ncols; i++)
        free(names[i]);
    free(names);
    rv_csv_close(rd);
    if (st == RV_ENOTFOUND && all && !bad)
        st = rv_store_commit(c->ctx.store, &err);
    else if (all)
        rv_store_rollback(c->ctx.store);
    if (st && st != RV_ENOTFOUND)
        return rv_cli_fail(c, &err);
    if (all && bad) {
        printf("refused %ld of %ld leads: nothing imported\n", bad, ok + bad);
        return 1;
    }
    printf("captured %ld leads (%ld linked to open leads), refused %ld\n", ok, linked, bad);
    return bad ? 1 : 0;
}

int rv_cmd_capture_import(rv_cli *c, const char *path)
{
    int rc = rv_cli_open(c, false);
    return rc ? rc : capture_file(c, path, true);
}

int rv_cmd_capture(rv_cli *c)
{
    const char *data = rv_cli_opt(c, "data"), *file = rv_cli_opt(c, "file");
    int rc;
    if ((rc = rv_cli_check_opts(c)))
        return rc;
    if (!!data == !!file)
        return rv_cli_usage(c, "give --data JSON or --file LEADS.csv");
    if ((rc = rv_cli_open(c, false)))
        return rc;
    if (file)
        return capture_file(c, file, false);
    json_error_t je;
    json_t *b = json_loads(data, 0, &je);
    rv_err err;
    if (!b) {
        rv_err_set(&err, RV_EPARSE, "data", "--data is not JSON: %s", je.text);
        return rv_cli_fail(c, &err);
    }
    rv_capture_req req = {NULL, NULL, b};
    rv_capture_result r;
    rv_status st = rv_leads_capture(&c->ctx, &req, &r, &err);
    json_decref(b);
    if (st)
        return rv_cli_fail(c, &err);
    print_result(c, &r);
    return 0;
}

int rv_cmd_sources(rv_cli *c)
{
    const char *verb = take_verb(c);
    if (!verb || strcmp(verb, "create"))
        return rv_cli_usage(c, "sources needs a verb: create (list them with 'revos lead_sources list')");
    const char *name = rv_cli_opt(c, "name"), *rate = rv_cli_opt(c, "rate");
    int rc;
    if ((rc = rv_cli_check_opts(c)))
        return rc;
    if (!name)
        return rv_cli_usage(c, "--name is required");
    if ((rc = rv_cli_open(c, false)))
        return rc;
    char key[80];
    int64_t id;
    rv_err err;
    if (rv_lead_source_create(&c->ctx, name, rate, key, &id, &err))
        return rv_cli_fail(c, &err);
    if (c->out == RV_OUT_JSON)
        printf("{\"id\":%lld,\"key\":\"%s\"}\n", (long long)id, key);
    else
        printf("%s\n", key);
    fprintf(stderr, "revos: lead source %lld '%s'; its key is shown only this once\n", (long long)id,
            name);
    return 0;
}

static int lead_id_arg(rv_cli *c, int64_t *id)
{
    long long v;
    if (c->npos != 1 || !rv_cli_parse_int(c->pos[0], 1, INT64_MAX, &v))
        return rv_cli_usage(c, "expected one lead id");
    *id = v;
    return 0;
}

int rv_cmd_route(rv_cli *c)
{
    const char *verb = take_verb(c);
    int rc;
    int64_t id = 0;
    rv_err err;
    if (!verb || (strcmp(verb, "explain") && strcmp(verb, "lead")))
        return rv_cli_usage(c, "route needs a verb: explain LEAD_ID or lead LEAD_ID");
    if ((rc = rv_cli_check_opts(c)) || (rc = lead_id_arg(c, &id)) || (rc = rv_cli_open(c, false)))
        return rc;
    if (!strcmp(verb, "lead") && rv_route_lead(&c->ctx, id, 0, &err))
        return rv_cli_fail(c, &err);
    rv_buf out;
    rv_buf_init(&out, 0);
    if (rv_route_explain(&c->ctx, id, &out, &err)) {
        rv_buf_release(&out);
        return rv_cli_fail(c, &err);
    }
    fputs(rv_buf_str(&out), stdout);
    rv_buf_release(&out);
    return 0;
}

int rv_cmd_sla(rv_cli *c)
{
    const char *verb = take_verb(c);
    int rc;
    if (!verb || strcmp(verb, "check"))
        return rv_cli_usage(c, "sla needs a verb: check");
    if ((rc = rv_cli_check_opts(c)) || (rc = rv_cli_open(c, false)))
        return rc;
    rv_sla_report rep;
    rv_err err;
    if (rv_sla_check(&c->ctx, &rep, &err))
        return rv_cli_fail(c, &err);
    if (c->out == RV_OUT_JSON)
        printf("{\"checked\":%d,\"breached\":%d,\"notified\":%d,\"reassigned\":%d}\n", rep.checked,
               rep.breached, rep.notified, rep.reassigned);
    else
        printf("checked %d open leads without a first touch: %d breached (%d notified, %d "
               "reassigned)\n",
               rep.checked, rep.breached, rep.notified, rep.reassigned);
    return 0;
}
