/*
 * cmd_import.c - `revos import` and `revos export`.
 *
 *   revos import ENTITY FILE.csv [--map SRC=field,...] [--format salesforce|hubspot]
 *                [--ignore-unknown] [--dry-run] [--history-supplied] [--max-errors N]
 *   revos import maven DIR [--dry-run]
 *   revos export ENTITY [--csv|--json] [--filter F]... [--sort [-]FIELD]
 *
 * The work is in the service layer (service/import.h, service/export.h);
 * this file parses options, shows progress and prints the report: one line
 * per entity on stdout ("deals: 8800 created, 0 updated, 0 unchanged"), or
 * the report as JSON with --json; rejected rows on stderr, one per line
 * ("row 7, column amount: amount must be a decimal amount, got 'abc'").
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonw.h"
#include "service/export.h"
#include "service/import.h"

/* A yes/no option given as a flag (--dry-run) or with a value
 * (--dry-run=true, for builds whose option table does not list it as a
 * flag).  Returns -1 for a value that is neither. */
static int yes_no(rv_cli *c, const char *name)
{
    if (rv_cli_flag(c, name))
        return 1;
    const char *v = rv_cli_opt(c, name);
    if (!v)
        return 0;
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
        return 1;
    if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
        return 0;
    return -1;
}

static void show_progress(void *ud, double fraction, long rows)
{
    rv_cli_progress(ud, "importing", fraction, rows);
}

static void print_counts(const rv_import_report *rep)
{
    for (int k = 0; rv_entities[k]; k++) {
        const rv_import_count *n = &rep->counts[rv_entities[k]->index];
        if (!n->created && !n->updated && !n->unchanged && !n->rejected)
            continue;
        printf("%s: %lld created, %lld updated, %lld unchanged", rv_entities[k]->name,
               (long long)n->created, (long long)n->updated, (long long)n->unchanged);
        if (n->rejected)
            printf(", %lld rejected", (long long)n->rejected);
        putchar('\n');
    }
}

static void print_rejects(const rv_import_report *rep)
{
    char line[RV_ERR_MSG_MAX + 400];
    for (int i = 0; i < rep->nrejects; i++)
        fprintf(stderr, "  %s\n", rv_import_reject_text(&rep->rejects[i], line, sizeof line));
    if (rep->rejected > rep->nrejects)
        fprintf(stderr, "  ... and %lld more\n", (long long)(rep->rejected - rep->nrejects));
}

/* Print the outcome; returns the exit code. */
static int report(rv_cli *c, rv_status st, const rv_err *err, const rv_import_report *rep,
                  const rv_maven_report *maven)
{
    if (c->out == RV_OUT_JSON) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, true);
        if (maven) {
            rv_jsonw_obj_begin(&w);
            rv_jsonw_key(&w, "import");
        }
        rv_import_report_json(rep, &w);
        if (maven) {
            rv_jsonw_key(&w, "problems");
            rv_jsonw_arr_begin(&w);
            for (int i = 0; i < maven->nproblems; i++) {
                rv_jsonw_obj_begin(&w);
                rv_jsonw_key(&w, "key");
                rv_jsonw_str(&w, maven->problems[i].key);
                rv_jsonw_key(&w, "count");
                rv_jsonw_int(&w, maven->problems[i].count);
                rv_jsonw_key(&w, "message");
                rv_jsonw_str(&w, maven->problems[i].text);
                rv_jsonw_obj_end(&w);
            }
            rv_jsonw_arr_end(&w);
            rv_jsonw_obj_end(&w);
        }
        rv_buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
        rv_buf_release(&b);
    }
    if (rep->note[0])
        fprintf(stderr, "revos: %s\n", rep->note);
    if (maven)
        for (int i = 0; i < maven->nproblems; i++)
            fprintf(stderr, "revos: note: %s\n", maven->problems[i].text);
    if (st) {
        rv_cli_fail(c, err);
        print_rejects(rep);
        return 1;
    }
    if (c->out != RV_OUT_JSON)
        print_counts(rep);
    if (rep->dry_run)
        fprintf(stderr, "revos: dry run: nothing was written\n");
    else if (c->err_tty)
        fprintf(stderr, "revos: imported %ld rows in %.1f s\n", rep->rows,
                (double)rep->elapsed_ms / 1000.0);
    return 0;
}

static int import_maven(rv_cli *c, rv_import_opts *io)
{
    if (c->npos != 2)
        return rv_cli_usage(c, "import maven takes one directory (the dataset's folder)");
    int rc = rv_cli_open(c, false);
    if (rc)
        return rc;
    rv_maven_report rep;
    rv_err err;
    rv_err_clear(&err);
    if (c->err_tty)
        fprintf(stderr, "importing %s ...", c->pos[1]);
    rv_status st = rv_maven_import(&c->ctx, c->pos[1], io, &rep, &err);
    if (c->err_tty)
        fputs("\r\033[K", stderr);
    rc = report(c, st, &err, &rep.import, &rep);
    rv_import_report_release(&rep.import);
    return rc;
}

int rv_cmd_import(rv_cli *c)
{
    const char *maps[32];
    int nmap = rv_cli_opt_all(c, "map", maps, 32);
    const char *format = rv_cli_opt(c, "format");
    const char *max_errors = rv_cli_opt(c, "max-errors");
    int dry = yes_no(c, "dry-run"), ignore = yes_no(c, "ignore-unknown");
    int hist = yes_no(c, "history-supplied");
    int capture = yes_no(c, "capture");
    bool no_progress = rv_cli_flag(c, "no-progress");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (dry < 0 || ignore < 0 || hist < 0 || capture < 0)
        return rv_cli_usage(c, "--dry-run, --ignore-unknown, --history-supplied and --capture take "
                               "no value (or true/false)");
    if (capture == 1) {
        if (c->npos != 2 || strcmp(c->pos[0], "leads") || nmap || format || dry == 1 ||
            ignore == 1 || hist == 1)
            return rv_cli_usage(c, "--capture imports leads only: revos import leads FILE.csv "
                                   "--capture (no --map, --format, --dry-run, --ignore-unknown "
                                   "or --history-supplied)");
        return rv_cmd_capture_import(c, c->pos[1]);
    }
    if (nmap > 32)
        return rv_cli_usage(c, "at most 32 --map options (or one with a comma-separated list)");
    rv_import_opts io = {.history_supplied = hist == 1, .dry_run = dry == 1};
    if (max_errors) {
        long long v;
        if (!rv_cli_parse_int(max_errors, 1, 100000, &v))
            return rv_cli_usage(c, "--max-errors must be between 1 and 100000, got '%s'",
                                max_errors);
        io.max_errors = (int)v;
    }
    if (c->npos < 1)
        return rv_cli_usage(c, "import needs an entity and a CSV file, or 'maven' and a folder");
    if (!strcmp(c->pos[0], "maven")) {
        if (nmap || format || ignore == 1 || hist == 1)
            return rv_cli_usage(c, "import maven takes no --map, --format, --ignore-unknown or "
                                   "--history-supplied");
        return import_maven(c, &io);
    }
    const rv_entity *e = rv_entity_find(c->pos[0]);
    if (!e)
        return rv_cli_usage(c, "unknown entity '%s' (see revos schema)", c->pos[0]);
    if (c->npos != 2)
        return rv_cli_usage(c, "import %s needs one CSV file", e->name);
    rv_csv_import_opts o = {.import = io, .ignore_unknown = ignore == 1};
    rv_err err;
    rv_err_clear(&err);
    if (format && rv_import_format_parse(format, &o.format, &err))
        return rv_cli_usage(c, "%s", err.message);
    /* several --map options are one list */
    rv_buf map = RV_BUF_INIT;
    for (int i = 0; i < nmap; i++) {
        if (i)
            rv_buf_putc(&map, ',');
        rv_buf_puts(&map, maps[i]);
    }
    o.map = nmap ? rv_buf_str(&map) : NULL;
    if (!no_progress) {
        o.progress = show_progress;
        o.progress_ud = c;
    }
    if ((rc = rv_cli_open(c, false))) {
        rv_buf_release(&map);
        return rc;
    }
    rv_import_report rep;
    rv_import_report_init(&rep);
    rv_status st = rv_import_csv(&c->ctx, e, c->pos[1], &o, &rep, &err);
    if (o.progress)
        rv_cli_progress_done(c);
    rc = report(c, st, &err, &rep, NULL);
    rv_import_report_release(&rep);
    rv_buf_release(&map);
    return rc;
}

static rv_status write_stdout(void *ud, const char *data, size_t len, rv_err *err)
{
    (void)ud;
    if (fwrite(data, 1, len, stdout) != len)
        return rv_err_set(err, RV_EIO, NULL, "cannot write the export to stdout");
    return RV_OK;
}

int rv_cmd_export(rv_cli *c)
{
    rv_list_req req;
    memset(&req, 0, sizeof req);
    int n = rv_cli_opt_all(c, "filter", req.filters, RV_QUERY_MAX_FILTERS);
    req.sort = rv_cli_opt(c, "sort");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (n > RV_QUERY_MAX_FILTERS)
        return rv_cli_usage(c, "at most %d --filter options", RV_QUERY_MAX_FILTERS);
    req.nfilters = n;
    if (c->npos != 1)
        return rv_cli_usage(c, "export takes one entity");
    req.ent = rv_entity_find(c->pos[0]);
    if (!req.ent)
        return rv_cli_usage(c, "unknown entity '%s' (see revos schema)", c->pos[0]);
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    int64_t rows = 0;
    rv_export_format fmt = c->out == RV_OUT_JSON ? RV_EXPORT_JSON : RV_EXPORT_CSV;
    if (rv_export(&c->ctx, &req, fmt, write_stdout, NULL, &rows, &err))
        return rv_cli_fail(c, &err);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "revos: error: cannot write the export to stdout\n");
        return 1;
    }
    if (c->err_tty)
        fprintf(stderr, "revos: exported %lld %s\n", (long long)rows,
                rows == 1 ? req.ent->one : req.ent->name);
    return 0;
}
