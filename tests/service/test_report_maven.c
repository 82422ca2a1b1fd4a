/*
 * test_report_maven.c - the metrics on the Maven dataset
 * (../shared/datasets/maven-crm-sales-opportunities), checked against
 * figures this test computes itself from the CSV files.
 *
 * The import (`rv_maven_import`) stores engage_date as created_on,
 * close_value as the amount of closed deals, the product's list price as
 * the amount of open ones, the agent as owner, their manager as manager
 * and their regional_office as region, and reads "GTXPro" as "GTX Pro".
 * The test reads the same four files with the CSV reader and sums with
 * plain integer arithmetic and its own calendar (days from civil date),
 * never calling the engine for an expected value; the report service
 * (rv_report_run, what the CLI and the API call) must agree exactly:
 * money to the cent, counts exactly, ratios within 1e-12 relative.  The
 * same numbers are then read through `revos report ... --json` and
 * through GET /api/v1/reports/win_rate?by=region.
 *
 * Skips with a message when the dataset is absent; fails under CI=true.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "core/csv.h"
#include "http_client.h"
#include "service/import.h"
#include "service/report.h"
#include "testutil.h"

#define DS "maven-crm-sales-opportunities/"

/* ---- independent figures from the files ------------------------------------ */

/* One group of deals (an agent, a manager, a quarter, ...). */
typedef struct grp {
    char key[64];
    int64_t won, lost, open;
    int64_t won_cents, open_cents;
    int64_t cycle_sum;   /* days, over won deals */
    int32_t *cycles;     /* each won deal's cycle, for the median */
    int64_t ncycles, capcycles;
} grp;

typedef struct gtab {
    grp g[64];
    int n;
} gtab;

typedef struct agent {
    char name[64], manager[64], office[32];
} agent;

typedef struct figures {
    agent agent[64];
    int nagents;
    char product[8][32];
    int64_t price_cents[8];
    int nproducts;
    gtab by_owner, by_manager, by_region, by_quarter, by_product, by_stage, all;
} figures;

static grp *group(gtab *t, const char *key)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->g[i].key, key))
            return &t->g[i];
    assert_true(t->n < 64);
    grp *g = &t->g[t->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->key, sizeof g->key, "%s", key);
    return g;
}

static void gtab_free(gtab *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->g[i].cycles);
}

/* Days since 1970-01-01 of "YYYY-MM-DD" (the proleptic Gregorian
 * calendar, written out here rather than borrowed from the engine). */
static int64_t day_of(const char *s)
{
    int y, m, d;
    assert_int_equal(sscanf(s, "%4d-%2d-%2d", &y, &m, &d), 3);
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t days = 0;
    for (int yy = 1970; yy < y; yy++)
        days += (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0)) ? 366 : 365;
    days += before[m - 1] + d - 1;
    if (m > 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        days++;
    return days;
}

static void team_row(void *ud, const char *const *c, const size_t *l)
{
    figures *f = ud;
    agent *a = &f->agent[f->nagents++];
    snprintf(a->name, sizeof a->name, "%s", c[0]);
    snprintf(a->manager, sizeof a->manager, "%s", c[1]);
    snprintf(a->office, sizeof a->office, "%s", c[2]);
}

static void product_row(void *ud, const char *const *c, const size_t *l)
{
    figures *f = ud;
    snprintf(f->product[f->nproducts], sizeof f->product[0], "%s", c[0]);
    f->price_cents[f->nproducts++] = tu_hundredths(c[2]);
}

static void add_deal(grp *g, int stage, int64_t amount, int64_t cycle)
{
    if (stage == 2) {
        g->won++;
        g->won_cents += amount;
        g->cycle_sum += cycle;
        if (g->ncycles == g->capcycles) {
            g->capcycles = g->capcycles ? 2 * g->capcycles : 64;
            g->cycles = realloc(g->cycles, (size_t)g->capcycles * sizeof *g->cycles);
        }
        g->cycles[g->ncycles++] = (int32_t)cycle;
    } else if (stage == 3) {
        g->lost++;
    } else {
        g->open++;
        g->open_cents += amount;
    }
}

static void deal_row(void *ud, const char *const *c, const size_t *l)
{
    figures *f = ud;
    static const char *const stages[] = {"Prospecting", "Engaging", "Won", "Lost"};
    int s = -1;
    for (int k = 0; k < 4; k++)
        if (!strcmp(c[4], stages[k]))
            s = k;
    assert_true(s >= 0);
    const agent *a = NULL;
    for (int i = 0; i < f->nagents; i++)
        if (!strcmp(f->agent[i].name, c[1]))
            a = &f->agent[i];
    assert_non_null(a);
    const char *product = !strcmp(c[2], "GTXPro") ? "GTX Pro" : c[2];
    int p = 0;
    while (p < f->nproducts && strcmp(f->product[p], product))
        p++;
    assert_true(p < f->nproducts);
    int64_t amount = s >= 2 ? tu_hundredths(c[7]) : f->price_cents[p];
    int64_t cycle = s == 2 ? day_of(c[6]) - day_of(c[5]) : 0;
    add_deal(group(&f->by_owner, a->name), s, amount, cycle);
    add_deal(group(&f->by_manager, a->manager), s, amount, cycle);
    add_deal(group(&f->by_region, a->office), s, amount, cycle);
    add_deal(group(&f->by_product, product), s, amount, cycle);
    add_deal(group(&f->by_stage, stages[s]), s, amount, cycle);
    add_deal(group(&f->all, "all"), s, amount, cycle);
    if (s >= 2) { /* closed deals have a close date: its calendar quarter */
        int y, m;
        assert_int_equal(sscanf(c[6], "%4d-%2d", &y, &m), 2);
        char q[16];
        snprintf(q, sizeof q, "%04d-Q%d", y, (m - 1) / 3 + 1);
        add_deal(group(&f->by_quarter, q), s, amount, cycle);
    }
}

static figures *compute(void)
{
    figures *f = calloc(1, sizeof *f);
    tu_dataset_csv(DS "sales_teams.csv", 3, team_row, f);
    tu_dataset_csv(DS "products.csv", 3, product_row, f);
    tu_dataset_csv(DS "sales_pipeline.csv", 8, deal_row, f);
    return f;
}

static void figures_free(figures *f)
{
    gtab *t[] = {&f->by_owner, &f->by_manager, &f->by_region, &f->by_quarter,
                 &f->by_product, &f->by_stage, &f->all};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        gtab_free(t[i]);
    free(f);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static double median(grp *g)
{
    qsort(g->cycles, (size_t)g->ncycles, sizeof *g->cycles, cmp_i32);
    int64_t n = g->ncycles;
    return n % 2 ? g->cycles[n / 2] : (g->cycles[n / 2 - 1] + g->cycles[n / 2]) / 2.0;
}

/* ---- what a metric should say about a group --------------------------------- */

typedef enum { M_WIN_RATE, M_WON_REVENUE, M_CYCLE, M_CYCLE_MEDIAN, M_PIPELINE } mkind;

typedef struct want {
    bool has;       /* the group has a row */
    int64_t rows;   /* records counted */
    int64_t num, den;
    double value;
    bool ratio;     /* compare value within 1e-12 relative, else exactly */
} want;

static want expect(mkind k, grp *g)
{
    want w = {0};
    switch (k) {
    case M_WIN_RATE:
        w.has = g->won + g->lost > 0;
        w.rows = w.den = g->won + g->lost;
        w.num = g->won;
        w.value = w.den ? (double)g->won / (double)w.den : 0;
        w.ratio = true;
        break;
    case M_WON_REVENUE:
        w.has = g->won > 0;
        w.rows = w.den = g->won;
        w.num = g->won_cents;
        w.value = (double)g->won_cents;
        break;
    case M_CYCLE:
        w.has = g->won > 0;
        w.rows = w.den = g->won;
        w.num = g->cycle_sum;
        w.value = w.den ? (double)g->cycle_sum / (double)g->won : 0;
        w.ratio = true;
        break;
    case M_CYCLE_MEDIAN:
        w.has = g->won > 0;
        w.rows = g->won;
        w.den = -1; /* not compared */
        w.num = g->cycle_sum;
        w.value = g->won ? median(g) : 0;
        break;
    case M_PIPELINE:
        w.has = g->open > 0;
        w.rows = g->open;
        w.den = 0;
        w.num = g->open_cents;
        w.value = (double)g->open_cents;
        break;
    }
    return w;
}

static void check_value(const char *what, const want *w, double got)
{
    if (w->ratio ? fabs(got - w->value) > 1e-12 * fabs(w->value) : got != w->value)
        fail_msg("%s: got %.17g, want %.17g", what, got, w->value);
}

static void check_row(const char *what, const want *w, const rv_mrow *row)
{
    if (row->rows != w->rows)
        fail_msg("%s: %lld records, want %lld", what, (long long)row->rows, (long long)w->rows);
    if (row->num != w->num)
        fail_msg("%s: numerator %lld, want %lld", what, (long long)row->num, (long long)w->num);
    if (w->den >= 0 && row->den != w->den)
        fail_msg("%s: denominator %lld, want %lld", what, (long long)row->den, (long long)w->den);
    assert_false(row->null);
    check_value(what, w, row->value);
}

static void report(tu_env *t, const char *metric, const char *by, rv_report *r)
{
    rv_report_req req = {.metric = metric, .by = by};
    rv_err err;
    if (rv_report_run(&t->ctx, &req, r, &err))
        fail_msg("report %s by %s: %s", metric, by ? by : "-", err.message);
}

/* The report of metric by `by` has exactly the groups of tab that have
 * data, each with the figures computed from the files. */
static void check_by(tu_env *t, const char *metric, const char *by, mkind k, gtab *tab)
{
    rv_report r;
    report(t, metric, by, &r);
    int groups = 0;
    for (int i = 0; i < tab->n; i++)
        groups += expect(k, &tab->g[i]).has;
    if (r.res.nrows != groups)
        fail_msg("%s by %s: %d rows, want %d", metric, by, r.res.nrows, groups);
    for (int i = 0; i < r.res.nrows; i++) {
        char label[128], what[256];
        rv_dim_label(r.snap, r.q.dims[0], r.res.rows[i].key[0], label, sizeof label);
        snprintf(what, sizeof what, "%s by %s, %s", metric, by, label);
        grp *g = NULL;
        for (int j = 0; j < tab->n && !g; j++)
            if (!strcmp(tab->g[j].key, label))
                g = &tab->g[j];
        if (!g)
            fail_msg("%s: no such group in the files", what);
        want w = expect(k, g);
        assert_true(w.has);
        check_row(what, &w, &r.res.rows[i]);
    }
    rv_report_end(&r);
}

static void check_total(tu_env *t, const char *metric, mkind k, grp *all)
{
    rv_report r;
    report(t, metric, NULL, &r);
    want w = expect(k, all);
    check_row(metric, &w, &r.res.total);
    rv_report_end(&r);
}

/* ---- helpers ---------------------------------------------------------------- */

static const char *dataset_dir(void)
{
    static char dir[1024];
    const char *p = tu_dataset_file(DS "sales_pipeline.csv");
    snprintf(dir, sizeof dir, "%s", p);
    *strrchr(dir, '/') = '\0';
    return dir;
}

/* One import serves every test of the suite (it is the slow part). */
static tu_env *shared;

static tu_env *imported(void)
{
    if (shared)
        return shared;
    tu_env *t = shared = tu_env_new("report-maven");
    rv_maven_report rep;
    rv_err err;
    if (rv_maven_import(&t->ctx, dataset_dir(), NULL, &rep, &err))
        fail_msg("maven import: %s", err.message);
    assert_int_equal(rep.import.rejected, 0);
    rv_import_report_release(&rep.import);
    return t;
}

/* stdout of `revos --db DB ARGS` as parsed JSON. */
static json_t *revos_json(tu_env *t, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s '%s' %s", tu_revos_bin(), t->pg ? "--database-url" : "--db",
             t->path, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = NULL;
    size_t len = 0, cap = 0, n;
    char buf[4096];
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, buf, n);
        len += n;
    }
    int rc = pclose(p);
    if (rc != 0)
        fail_msg("`%s` exited with status %d", cmd, rc);
    assert_non_null(out);
    out[len] = '\0';
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fail_msg("`%s` printed no JSON (%s): %s", cmd, je.text, out);
    free(out);
    return j;
}

/* Check JSON rows [{DIM: label, METRIC: value, "records": n}] against tab. */
static void check_json_rows(json_t *rows, const char *metric, const char *dim, mkind k, gtab *tab,
                            const char *source)
{
    assert_true(json_is_array(rows));
    int groups = 0;
    for (int i = 0; i < tab->n; i++)
        groups += expect(k, &tab->g[i]).has;
    assert_int_equal(json_array_size(rows), groups);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *label = json_string_value(json_object_get(row, dim));
        assert_non_null(label);
        grp *g = NULL;
        for (int j = 0; j < tab->n && !g; j++)
            if (!strcmp(tab->g[j].key, label))
                g = &tab->g[j];
        if (!g)
            fail_msg("%s: %s '%s' is not in the files", source, dim, label);
        want w = expect(k, g);
        char what[256];
        snprintf(what, sizeof what, "%s: %s by %s, %s", source, metric, dim, label);
        json_t *v = json_object_get(row, metric);
        assert_true(json_is_number(v));
        if (k == M_WON_REVENUE || k == M_PIPELINE) /* money as a decimal number of dollars */
            assert_int_equal(llround(json_number_value(v) * 100), w.num);
        else
            check_value(what, &w, json_number_value(v));
        assert_int_equal(json_integer_value(json_object_get(row, "records")), w.rows);
    }
}

/* ---- tests -------------------------------------------------------------------- */

static void maven_metrics_match_the_files(void **state)
{
    dataset_dir(); /* skips (or fails under CI) before anything is allocated */
    figures *f = compute();
    /* the files say what SOURCE.md says */
    grp *all = &f->all.g[0];
    assert_int_equal(all->won, 4238);
    assert_int_equal(all->lost, 2473);
    assert_int_equal(all->open, 1589 + 500);
    assert_int_equal(all->won_cents, 1000553400);
    assert_int_equal(f->by_region.n, 3);
    assert_int_equal(f->by_manager.n, 6);
    assert_int_equal(f->by_owner.n, 30);
    assert_int_equal(f->by_quarter.n, 4); /* 2017-Q1 .. 2017-Q4 */

    tu_env *t = imported();
    check_by(t, "win_rate", "owner", M_WIN_RATE, &f->by_owner);
    check_by(t, "win_rate", "manager", M_WIN_RATE, &f->by_manager);
    check_by(t, "win_rate", "region", M_WIN_RATE, &f->by_region);
    check_by(t, "won_revenue", "quarter", M_WON_REVENUE, &f->by_quarter);
    check_by(t, "won_revenue", "product", M_WON_REVENUE, &f->by_product);
    check_by(t, "sales_cycle_days", "manager", M_CYCLE, &f->by_manager);
    check_by(t, "sales_cycle_median_days", "manager", M_CYCLE_MEDIAN, &f->by_manager);
    check_by(t, "pipeline_value", "stage", M_PIPELINE, &f->by_stage);
    check_total(t, "win_rate", M_WIN_RATE, all);
    check_total(t, "won_revenue", M_WON_REVENUE, all);
    check_total(t, "sales_cycle_days", M_CYCLE, all);
    check_total(t, "sales_cycle_median_days", M_CYCLE_MEDIAN, all);
    check_total(t, "pipeline_value", M_PIPELINE, all);

    /* counts and the average deal size, to the cent (half-even) */
    rv_report r;
    report(t, "won_deals", NULL, &r);
    assert_int_equal(r.res.total.num, all->won);
    assert_true(r.res.total.value == (double)all->won);
    rv_report_end(&r);
    report(t, "lost_deals", NULL, &r);
    assert_int_equal(r.res.total.num, all->lost);
    assert_true(r.res.total.value == (double)all->lost);
    rv_report_end(&r);
    report(t, "avg_deal_size", NULL, &r);
    assert_int_equal(r.res.total.num, all->won_cents);
    assert_int_equal(r.res.total.den, all->won);
    int64_t q = all->won_cents / all->won, rem = all->won_cents % all->won;
    if (2 * rem > all->won || (2 * rem == all->won && (q & 1)))
        q++;
    char want_text[32], got_text[64];
    snprintf(want_text, sizeof want_text, "%lld.%02lld", (long long)(q / 100), (long long)(q % 100));
    assert_string_equal(rv_report_value_text(&r, &r.res.total, got_text, sizeof got_text), want_text);
    assert_string_equal(want_text, "2360.91"); /* 10,005,534 / 4,238 = 2,360.909... */
    rv_report_end(&r);
    /* a filter picks one group: the same figures */
    rv_report_req req = {.metric = "win_rate", .filters = {"region=West"}, .nfilters = 1};
    rv_err err;
    assert_int_equal(rv_report_run(&t->ctx, &req, &r, &err), RV_OK);
    want w = expect(M_WIN_RATE, group(&f->by_region, "West"));
    check_row("win_rate where region=West", &w, &r.res.total);
    rv_report_end(&r);

    figures_free(f);
}

/* The same numbers through `revos report --json` and the HTTP API. */
static void maven_metrics_through_cli_and_api(void **state)
{
    dataset_dir();
    const char *bin = tu_revos_bin();
    if (!bin || access(bin, X_OK) != 0) {
        print_message("SKIP: no revos binary at '%s'\n", bin ? bin : "?");
        skip();
    }
    figures *f = compute();
    tu_env *t = imported();

    json_t *j = revos_json(t, "report won_revenue --by quarter --json");
    check_json_rows(j, "won_revenue", "quarter", M_WON_REVENUE, &f->by_quarter, "revos report");
    json_decref(j);
    j = revos_json(t, "report win_rate --by manager --json");
    check_json_rows(j, "win_rate", "manager", M_WIN_RATE, &f->by_manager, "revos report");
    json_decref(j);

    tu_admin_token(t);
    rv_api_opts o;
    rv_api_opts_init(&o);
    o.db_path = t->path;
    o.port = 0;
    o.threads = 2;
    rv_api_server *srv;
    rv_err err;
    if (rv_api_start(&o, &srv, &err) != RV_OK)
        fail_msg("rv_api_start: %s", err.message);
    tu_http_resp resp;
    assert_true(tu_http_do(rv_api_port(srv), "GET", "/api/v1/reports/win_rate?by=region", NULL,
                           NULL, &resp));
    assert_int_equal(resp.status, 200);
    json_error_t je;
    j = json_loads(resp.body, 0, &je);
    if (!j)
        fail_msg("not JSON (%s): %s", je.text, resp.body);
    tu_http_resp_release(&resp);
    assert_string_equal(json_string_value(json_object_get(j, "metric")), "win_rate");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "by"), 0)), "region");
    check_json_rows(json_object_get(j, "data"), "win_rate", "region", M_WIN_RATE, &f->by_region,
                    "GET /api/v1/reports/win_rate");
    want w = expect(M_WIN_RATE, &f->all.g[0]);
    check_value("GET /api/v1/reports/win_rate total", &w,
                json_number_value(json_object_get(j, "total")));
    json_decref(j);
    rv_api_stop(srv);
    tu_http_set_default_headers(NULL);

    figures_free(f);
}

static int teardown(void **state)
{
    tu_env_free(shared);
    shared = NULL;
    rv_report_cache_clear();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maven_metrics_match_the_files),
        cmocka_unit_test(maven_metrics_through_cli_and_api),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
