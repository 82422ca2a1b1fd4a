/*
 * cmd_report.c - `revos report`: metrics, the records behind them, early
 * warnings and the catalogue.  Everything is computed by the report
 * service (service/report.h); this file parses and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonw.h"
#include "service/report.h"

static void print_buf(rv_buf *b)
{
    fwrite(rv_buf_str(b), 1, b->len, stdout);
    fputc('\n', stdout);
}

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', stdout);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', stdout);
            fputc(*s, stdout);
        }
        fputc('"', stdout);
    } else {
        fputs(s, stdout);
    }
    fputc(last ? '\n' : ',', stdout);
}

static int catalogue(rv_cli *c)
{
    bool md = rv_cli_flag(c, "markdown");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->out == RV_OUT_JSON) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, false);
        rv_report_catalogue_json(&w);
        print_buf(&b);
        rv_buf_release(&b);
        return 0;
    }
    if (md) {
        printf("| metric | unit | what it measures | formula | dimensions |\n|---|---|---|---|---|\n");
        for (int i = 0; i < rv_metric_count; i++) {
            const rv_metric_info *m = rv_metric_info_at(i);
            printf("| `%s` | %s | %s | %s | ", m->name, rv_unit_name(m->unit), m->doc, m->formula);
            bool first = true;
            for (int d = 0; d < RV_DIM_COUNT; d++)
                if (rv_metric_has_dim(i, (rv_dim)d)) {
                    printf("%s%s", first ? "" : ", ", rv_dims[d].name);
                    first = false;
                }
            printf(" |\n");
        }
        printf("\n| dimension | meaning |\n|---|---|\n");
        for (int d = 0; d < RV_DIM_COUNT; d++)
            printf("| `%s` | %s |\n", rv_dims[d].name, rv_dims[d].doc);
        return 0;
    }
    for (int i = 0; i < rv_metric_count; i++) {
        const rv_metric_info *m = rv_metric_info_at(i);
        printf("%-26s %-13s %s\n", m->name, rv_unit_name(m->unit), m->doc);
    }
    return 0;
}

static int print_warning(void *ud, const rv_report_warning *w)
{
    (void)ud;
    printf("%-6s %-16s %s\n", w->severity, w->kind, w->message);
    return 0;
}

static int warnings(rv_cli *c)
{
    int rc = rv_cli_check_opts(c);
    if (rc || (rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    rv_status st;
    if (c->out == RV_OUT_JSON) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, false);
        if (!(st = rv_report_warnings_json(&c->ctx, &w, &err)))
            print_buf(&b);
        rv_buf_release(&b);
    } else {
        st = rv_report_warnings(&c->ctx, print_warning, NULL, &err);
    }
    return st ? rv_cli_fail(c, &err) : 0;
}

static int print_record(void *ud, const rv_record *r)
{
    rv_cli_out_row(ud, r);
    return 0;
}

int rv_cmd_report(rv_cli *c)
{
    if (c->npos < 1)
        return rv_cli_usage(c, "which metric? ('revos report list' shows them)");
    const char *what = c->pos[0];
    if (!strcmp(what, "list"))
        return catalogue(c);
    if (!strcmp(what, "warnings"))
        return warnings(c);
    rv_report_req req = {.metric = what};
    req.by = rv_cli_opt(c, "by");
    req.period = rv_cli_opt(c, "period");
    req.from = rv_cli_opt(c, "from");
    req.to = rv_cli_opt(c, "to");
    req.compare = rv_cli_flag(c, "compare");
    req.nfilters = rv_cli_opt_all(c, "where", req.filters, RV_REPORT_MAX_FILTERS);
    bool records = rv_cli_flag(c, "records");
    const char *limit = rv_cli_opt(c, "limit");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->npos > 1)
        return rv_cli_usage(c, "one metric at a time, got '%s' too", c->pos[1]);
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    if (records) {
        const rv_entity *e = NULL;
        int64_t total = 0;
        int n = 1000;
        if ((limit && rv_report_limit_parse(limit, &n, &err)) ||
            rv_report_drill_entity(req.metric, &e, &err))
            return rv_cli_fail(c, &err);
        rv_cli_out *o = rv_cli_out_begin(c, e, NULL);
        rv_status st = rv_report_records(&c->ctx, &req, n, print_record, o,
                                         &e, &total, &err);
        rv_cli_out_end(o, NULL);
        if (st)
            return rv_cli_fail(c, &err);
        if (c->err_tty)
            fprintf(stderr, "revos: %lld %s behind the number\n", (long long)total, e->name);
        return 0;
    }
    rv_report r;
    rv_status st = rv_report_run(&c->ctx, &req, &r, &err);
    if (st)
        return rv_cli_fail(c, &err);
    const rv_metric_info *m = rv_metric_info_at(r.q.metric);
    char buf[256];
    if (*rv_report_left_out_text(&r, buf, sizeof buf))
        fprintf(stderr, "revos: note: %s\n", buf);
    if (c->out == RV_OUT_JSON) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, false);
        rv_report_json_rows(&r, &w);
        print_buf(&b);
        rv_buf_release(&b);
    } else {
        int nrows;
        const rv_mrow *rows = rv_report_rows(&r, &nrows);
        int width[RV_MQ_MAX_DIMS] = {0};
        for (int k = 0; k < r.q.ndims; k++) {
            width[k] = (int)strlen(rv_dims[r.q.dims[k]].name);
            for (int i = 0; i < nrows; i++) {
                int l = (int)strlen(rv_dim_label(r.snap, r.q.dims[k], rows[i].key[k], buf, sizeof buf));
                width[k] = l > width[k] ? l : width[k];
            }
        }
        bool csv = c->out == RV_OUT_CSV;
        for (int k = 0; k < r.q.ndims; k++)
            csv ? csv_field(rv_dims[r.q.dims[k]].name, false) : (void)printf("%-*s  ", width[k], rv_dims[r.q.dims[k]].name);
        csv ? csv_field(m->name, !r.compared) : (void)printf("%s", m->name);
        if (r.compared)
            csv ? (csv_field("previous", false), csv_field("change", true)) : (void)printf("  previous  change");
        if (!csv)
            printf("\n");
        for (int i = 0; i < nrows; i++) {
            for (int k = 0; k < r.q.ndims; k++) {
                rv_dim_label(r.snap, r.q.dims[k], rows[i].key[k], buf, sizeof buf);
                csv ? csv_field(buf, false) : (void)printf("%-*s  ", width[k], buf);
            }
            rv_report_value_text(&r, &rows[i], buf, sizeof buf);
            if (!csv && m->unit == RV_UNIT_RATIO && !rows[i].null)
                snprintf(buf, sizeof buf, "%.1f%%", 100 * rows[i].value);
            csv ? csv_field(rows[i].null ? "" : buf, !r.compared) : (void)printf("%s", buf);
            if (r.compared) {
                const rv_mrow *p = rv_report_previous(&r, &rows[i]);
                char pb[64] = "", cb[32] = "";
                if (p && !p->null)
                    rv_report_value_text(&r, p, pb, sizeof pb);
                if (p && !p->null && !rows[i].null && p->value != 0)
                    snprintf(cb, sizeof cb, "%+.1f%%", 100 * (rows[i].value - p->value) / (p->value < 0 ? -p->value : p->value));
                if (csv)
                    csv_field(pb, false), csv_field(cb, true);
                else
                    printf("  %s  %s", pb, cb);
            }
            if (!csv)
                printf("\n");
        }
    }
    rv_report_end(&r);
    return 0;
}
