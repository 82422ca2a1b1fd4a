/*
 * bench_metrics.c - the whole dashboard on the analytics engine against the
 * same metrics written as SQL on the same SQLite file, in one run.
 *
 *   bench_metrics DB [WARM_RUNS]     (default 5)
 *
 * DB is a database filled by `revos gen` (bench_metrics.sh makes and caches
 * it).  "The whole dashboard" is the table `dashboard` below: one report
 * (metric, dimensions, window) per chart of every dashboard page.  Windows
 * are fixed periods of the generated history (it ends on 2025-12-31 with
 * the generator's defaults), so the figures do not depend on the day the
 * benchmark runs.
 *
 * Measured, in this order:
 *
 *   cold     a fresh process cache (rv_report_cache_clear), then every
 *            report through rv_report_run: the first one loads the
 *            snapshot from the file (the load is also shown alone);
 *   warm     every report again through rv_report_run on the loaded
 *            snapshot (the service path: write-signature check, query,
 *            result), median of WARM_RUNS passes, with the engine alone
 *            (rv_metric_run) beside it;
 *   SQL      each report's SQL (GROUP BY over the same tables, the
 *            semantics of the metric's formula) through sqlite3 directly
 *            on the same file, one pass after the engine's (the file is
 *            then in the page cache, as for the engine);
 *   refresh  one deal updated through the service layer (rv_svc_update),
 *            then the next report: the snapshot is refreshed in place;
 *            against the full load measured cold.  The deal is set back
 *            afterwards, so the cached file keeps its data.
 *
 * Every SQL result is checked against the engine's: the number of groups
 * and, per the query's check, the summed numerators, denominators and
 * record counts (exact), the record count alone (medians), or the total
 * value (composites: their SQL gives per group the two sides of the
 * division and whether the group has a value; relative 1e-9).  The
 * generator makes no quotas, so quota attainment and coverage have no
 * value on its data: they still walk their deals, and both sides must
 * agree that no group has a value.  A mismatch is printed and makes the
 * exit status 1: the comparison is only worth something when both sides
 * compute the same thing.
 *
 * Times are wall-clock (CLOCK_MONOTONIC): the engine and SQLite both run on
 * one thread here, on a machine that may be shared; ratios from one run are
 * the figures to trust.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/metrics.h"
#include "model/money.h"
#include "service/report.h"
#include "service/service.h"

/* --- the dashboard ------------------------------------------------------------------ */

enum { CHK_SUMS, CHK_ROWS, CHK_VALUE };

/* SQL returns one row per group: (group, num, den, records) (for
 * CHK_VALUE: (group, num, den, has a value)).  Parameters:
 * :from, :to (window in days, [from, to)), :today, :d0, :d1 (first day of
 * the window and the day a stock is measured: min(to - 1, today)). */
#define OPEN " JOIN stages s ON s.id = d.stage_id AND s.kind = 'open' "
#define WON " JOIN stages s ON s.id = d.stage_id AND s.kind = 'won' "
#define CLOSE_IN " d.close_date >= :from AND d.close_date < :to "
#define DAY(ms) "((" ms ") / 86400000)"
#define YEAR(day) "CAST(strftime('%Y', (" day ") * 86400, 'unixepoch') AS INT)"
#define MON(day) "CAST(strftime('%m', (" day ") * 86400, 'unixepoch') AS INT)"
#define QUARTER(day) "(" YEAR(day) " * 4 + (" MON(day) " - 1) / 3)"
#define MONTH(day) "(" YEAR(day) " * 12 + " MON(day) " - 1)"
#define DEAL_CREATED DAY("COALESCE(d.created_on, d.created_at)")
#define LEAD_MS "COALESCE(l.created_on, l.created_at)"
#define LEAD_IN " " LEAD_MS " >= :from * 86400000 AND " LEAD_MS " < :to * 86400000 "
#define SUB_AT(day) "(start_on <= " day " AND (end_on IS NULL OR end_on > " day "))"
#define REGION "COALESCE(NULLIF(u.region, ''), NULLIF(t.region, ''))"

static const struct dash {
    const char *page, *metric, *by, *period;
    int check;
    const char *sql;
} dashboard[] = {
    {"pipeline", "pipeline_value", "stage", NULL, CHK_SUMS,
     "SELECT d.stage_id, SUM(COALESCE(d.amount, 0)), 0, COUNT(*) FROM deals d" OPEN "GROUP BY d.stage_id"},
    {"pipeline", "weighted_pipeline", "owner", NULL, CHK_SUMS,
     "SELECT d.owner_id, SUM(COALESCE(d.amount, 0) * COALESCE(d.probability, s.probability, 0)), 0, COUNT(*)"
     " FROM deals d" OPEN "GROUP BY d.owner_id"},
    {"pipeline", "deals_created", "month", NULL, CHK_SUMS,
     "SELECT " MONTH(DEAL_CREATED) ", COUNT(*), 0, COUNT(*) FROM deals d GROUP BY 1"},
    {"pipeline", "pipeline_created", "source", NULL, CHK_SUMS,
     "SELECT NULLIF(d.source, ''), SUM(COALESCE(d.amount, 0)), 0, COUNT(*) FROM deals d GROUP BY 1"},
    {"pipeline", "stage_conversion", "stage", NULL, CHK_SUMS,
     "WITH pos AS (SELECT id, CASE kind WHEN 'won' THEN 1000000 WHEN 'open' THEN position ELSE -1 END p"
     "  FROM stages),"
     " hm AS (SELECT h.deal_id, MAX(pos.p) m FROM stage_history h JOIN pos ON pos.id = h.to_stage_id"
     "  GROUP BY h.deal_id),"
     " mp AS (SELECT d.id, d.pipeline_id, d.stage_id, MAX(cp.p, COALESCE(hm.m, -1)) m FROM deals d"
     "  JOIN pos cp ON cp.id = d.stage_id LEFT JOIN hm ON hm.deal_id = d.id)"
     " SELECT st.id, SUM(mp.m > st.position), COUNT(*), COUNT(*) FROM mp JOIN stages st"
     " ON st.pipeline_id = mp.pipeline_id AND st.kind = 'open' AND st.position <= mp.m AND st.id <> mp.stage_id"
     " WHERE mp.m >= 0 GROUP BY st.id"},
    {"pipeline", "time_in_stage_days", "stage", NULL, CHK_SUMS,
     "SELECT x.to_stage_id, SUM(x.nxt - x.changed_at), COUNT(*), COUNT(*) FROM"
     " (SELECT h.to_stage_id, h.changed_at, LEAD(h.changed_at) OVER (PARTITION BY h.deal_id"
     "   ORDER BY h.changed_at, h.id) nxt FROM stage_history h) x"
     " JOIN stages s ON s.id = x.to_stage_id AND s.kind = 'open' WHERE x.nxt IS NOT NULL GROUP BY 1"},
    {"pipeline", "past_close_date", "owner", NULL, CHK_SUMS,
     "SELECT d.owner_id, COUNT(*), 0, COUNT(*) FROM deals d" OPEN
     "WHERE d.close_date < :today GROUP BY d.owner_id"},
    {"pipeline", "coverage", "owner", "2025-Q4", CHK_VALUE,
     "SELECT o, SUM(p), SUM(q) - SUM(w), SUM(q) - SUM(w) > 0 FROM ("
     " SELECT d.owner_id o, COALESCE(d.amount, 0) p, 0 q, 0 w FROM deals d" OPEN "WHERE" CLOSE_IN
     " UNION ALL SELECT d.owner_id, 0, 0, COALESCE(d.amount, 0) FROM deals d" WON "WHERE" CLOSE_IN
     " UNION ALL SELECT user_id, 0, amount, 0 FROM quotas WHERE period_start >= :from AND period_start < :to)"
     " GROUP BY o"},
    {"sales", "win_rate", "owner", "2025", CHK_SUMS,
     "SELECT d.owner_id, SUM(s.kind = 'won'), COUNT(*), COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id"
     " WHERE s.kind IN ('won', 'lost') AND" CLOSE_IN "GROUP BY d.owner_id"},
    {"sales", "win_rate_value", "region", "2025", CHK_SUMS,
     "SELECT " REGION ", SUM(CASE s.kind WHEN 'won' THEN COALESCE(d.amount, 0) ELSE 0 END),"
     " SUM(COALESCE(d.amount, 0)), COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id"
     " LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN teams t ON t.id = u.team_id"
     " WHERE s.kind IN ('won', 'lost') AND" CLOSE_IN "GROUP BY 1"},
    {"sales", "won_revenue", "quarter", NULL, CHK_SUMS,
     "SELECT " QUARTER("d.close_date") ", SUM(COALESCE(d.amount, 0)), COUNT(*), COUNT(*) FROM deals d" WON
     "GROUP BY 1"},
    {"sales", "won_revenue", "product", "2025", CHK_SUMS,
     "SELECT (SELECT p.product_id FROM deal_products p WHERE p.deal_id = d.id"
     "   AND COALESCE(p.quantity, 1) * p.unit_price - COALESCE(p.discount, 0) >= 0"
     "   ORDER BY COALESCE(p.quantity, 1) * p.unit_price - COALESCE(p.discount, 0) DESC, p.id LIMIT 1),"
     " SUM(COALESCE(d.amount, 0)), COUNT(*), COUNT(*) FROM deals d" WON "WHERE" CLOSE_IN "GROUP BY 1"},
    {"sales", "avg_deal_size", "team", "2025", CHK_SUMS,
     "SELECT u.team_id, SUM(COALESCE(d.amount, 0)), COUNT(*), COUNT(*) FROM deals d" WON
     "LEFT JOIN users u ON u.id = d.owner_id WHERE" CLOSE_IN "GROUP BY 1"},
    {"sales", "sales_cycle_days", "manager", "2025", CHK_SUMS,
     "SELECT u.manager_id, SUM(d.close_date - " DEAL_CREATED "), COUNT(*), COUNT(*) FROM deals d" WON
     "LEFT JOIN users u ON u.id = d.owner_id WHERE COALESCE(d.created_on, d.created_at) IS NOT NULL AND"
     CLOSE_IN "GROUP BY 1"},
    {"sales", "quota_attainment", "owner", "2025-Q4", CHK_VALUE,
     "SELECT o, SUM(w), SUM(q), SUM(iw) > 0 AND SUM(iq) > 0 AND SUM(q) <> 0 FROM ("
     " SELECT d.owner_id o, COALESCE(d.amount, 0) w, 0 q, 1 iw, 0 iq FROM deals d" WON "WHERE" CLOSE_IN
     " UNION ALL SELECT user_id, 0, amount, 0, 1 FROM quotas WHERE period_start >= :from AND period_start < :to)"
     " GROUP BY o"},
    {"marketing", "funnel", "funnel_stage", "2025", CHK_SUMS,
     "WITH r AS (SELECT CASE WHEN s.kind = 'won' THEN 4"
     "  WHEN l.deal_id IS NOT NULL OR l.status = 'converted' OR l.converted_at IS NOT NULL THEN 3"
     "  WHEN l.status = 'sql' OR l.sql_at IS NOT NULL THEN 2"
     "  WHEN l.status = 'mql' OR l.mql_at IS NOT NULL THEN 1 ELSE 0 END r"
     "  FROM leads l LEFT JOIN deals d ON d.id = l.deal_id LEFT JOIN stages s ON s.id = d.stage_id"
     "  WHERE" LEAD_IN ")"
     " SELECT k.k, COUNT(*), 0, COUNT(*) FROM r JOIN (SELECT 0 k UNION ALL SELECT 1 UNION ALL SELECT 2"
     "  UNION ALL SELECT 3 UNION ALL SELECT 4) k ON k.k <= r.r GROUP BY k.k"},
    {"marketing", "leads_created", "channel", "2025", CHK_SUMS,
     "SELECT NULLIF(c.channel, ''), COUNT(*), 0, COUNT(*) FROM leads l LEFT JOIN campaigns c ON c.id = l.campaign_id"
     " WHERE" LEAD_IN "GROUP BY 1"},
    {"marketing", "speed_to_lead_minutes", "source", "2025", CHK_ROWS,
     "WITH x AS (SELECT NULLIF(l.source, '') src, l.first_touch_at - " LEAD_MS " v FROM leads l"
     "  WHERE l.first_touch_at IS NOT NULL AND l.first_touch_at >= " LEAD_MS " AND" LEAD_IN "),"
     " r AS (SELECT src, v, ROW_NUMBER() OVER (PARTITION BY src ORDER BY v) rn,"
     "  COUNT(*) OVER (PARTITION BY src) n FROM x)"
     " SELECT src, AVG(v), 0, MAX(n) FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY src"},
    {"marketing", "leads_contacted_5min", "source", "2025", CHK_SUMS,
     "SELECT NULLIF(l.source, ''), SUM(l.first_touch_at IS NOT NULL AND l.first_touch_at - " LEAD_MS " <= 300000),"
     " COUNT(*), COUNT(*) FROM leads l WHERE" LEAD_IN "GROUP BY 1"},
    {"marketing", "marketing_spend", "channel", NULL, CHK_SUMS,
     "SELECT NULLIF(channel, ''), SUM(COALESCE(spend, 0)), 0, COUNT(*) FROM campaigns GROUP BY 1"},
    {"marketing", "new_customers", "quarter", NULL, CHK_SUMS,
     "SELECT " QUARTER("f") ", COUNT(*), 0, COUNT(*) FROM (SELECT d.account_id, MIN(d.close_date) f FROM deals d" WON
     " WHERE d.close_date IS NOT NULL AND d.account_id IS NOT NULL GROUP BY d.account_id) GROUP BY 1"},
    {"customers", "arr", "product", "2025", CHK_SUMS,
     "SELECT product_id, SUM(12 * mrr), 0, COUNT(*) FROM subscriptions WHERE " SUB_AT(":d1") " GROUP BY 1"},
    {"customers", "nrr", NULL, "2025", CHK_SUMS,
     "SELECT 0, SUM(ea), SUM(sa), COUNT(*) FROM (SELECT account_id,"
     " SUM(CASE WHEN " SUB_AT(":d0") " THEN 12 * mrr ELSE 0 END) sa,"
     " SUM(CASE WHEN " SUB_AT(":d1") " THEN 12 * mrr ELSE 0 END) ea FROM subscriptions GROUP BY account_id)"
     " WHERE sa > 0"},
    {"customers", "churn_rate", "industry", "2025", CHK_SUMS,
     "SELECT NULLIF(a.industry, ''), SUM(x.ea = 0), COUNT(*), COUNT(*) FROM (SELECT account_id,"
     " SUM(CASE WHEN " SUB_AT(":d0") " THEN 12 * mrr ELSE 0 END) sa,"
     " SUM(CASE WHEN " SUB_AT(":d1") " THEN 12 * mrr ELSE 0 END) ea FROM subscriptions GROUP BY account_id) x"
     " JOIN accounts a ON a.id = x.account_id WHERE x.sa > 0 GROUP BY 1"},
    {"activity", "activities", "kind", "2025", CHK_SUMS,
     "SELECT kind, COUNT(*), 0, COUNT(*) FROM activities"
     " WHERE done_at >= :from * 86400000 AND done_at < :to * 86400000 GROUP BY kind"},
    {"activity", "activities_per_rep_day", "owner", "2025-Q4", CHK_SUMS,
     "SELECT o, SUM(n), SUM(w), SUM(c) FROM ("
     " SELECT a.owner_id o, COUNT(*) n, 0 w, COUNT(*) c FROM activities a JOIN users u ON u.id = a.owner_id"
     "  WHERE COALESCE(u.role, 'rep') = 'rep' AND a.done_at >= :from * 86400000 AND a.done_at < :to * 86400000"
     "  GROUP BY a.owner_id"
     " UNION ALL SELECT id, 0, (WITH RECURSIVE dd(d) AS (SELECT :from UNION ALL SELECT d + 1 FROM dd WHERE d + 1 < :to)"
     "   SELECT COUNT(*) FROM dd WHERE strftime('%w', d * 86400, 'unixepoch') NOT IN ('0', '6')), 1 FROM users WHERE COALESCE(active, 1) <> 0 AND COALESCE(role, 'rep') = 'rep')"
     " GROUP BY o"},
    {"activity", "next_step_share", "owner", NULL, CHK_SUMS,
     "SELECT d.owner_id, SUM(COALESCE(length(d.next_step), 0) > 0), COUNT(*), COUNT(*) FROM deals d" OPEN
     "GROUP BY d.owner_id"},
    {"activity", "crm_adoption", "team", NULL, CHK_SUMS,
     "SELECT u.team_id, SUM(:today - MAX(d.updated_at / 86400000, COALESCE((SELECT MAX(a.done_at) FROM activities a"
     "  WHERE a.deal_id = d.id AND a.done_at < (:today + 1) * 86400000) / 86400000, -1000000)) <= 30),"
     " COUNT(*), COUNT(*) FROM deals d" OPEN "LEFT JOIN users u ON u.id = d.owner_id GROUP BY 1"},
    {"data quality", "completeness", "field", NULL, CHK_SUMS,
     "WITH d AS MATERIALIZED (SELECT COUNT(*) n, SUM(amount IS NOT NULL) a, SUM(close_date IS NOT NULL) b,"
     "  SUM(account_id IS NOT NULL) c, SUM(length(next_step) > 0) e, SUM(length(source) > 0) f FROM deals),"
     " ac AS MATERIALIZED (SELECT COUNT(*) n, SUM(length(domain) > 0) a, SUM(length(industry) > 0) b,"
     "  SUM(employees IS NOT NULL) c, SUM(length(country) > 0) e, SUM(owner_id IS NOT NULL) f FROM accounts),"
     " co AS MATERIALIZED (SELECT COUNT(*) n, SUM(length(email) > 0) a, SUM(length(phone) > 0) b,"
     "  SUM(length(title) > 0) c, SUM(account_id IS NOT NULL) e FROM contacts),"
     " le AS MATERIALIZED (SELECT COUNT(*) n, SUM(length(email) > 0) a, SUM(length(phone) > 0) b,"
     "  SUM(length(company) > 0) c, SUM(length(source) > 0) e FROM leads)"
     " SELECT 0, a, n, n FROM d UNION ALL SELECT 1, b, n, n FROM d UNION ALL SELECT 2, c, n, n FROM d"
     " UNION ALL SELECT 3, e, n, n FROM d UNION ALL SELECT 4, f, n, n FROM d"
     " UNION ALL SELECT 5, a, n, n FROM ac UNION ALL SELECT 6, b, n, n FROM ac UNION ALL SELECT 7, c, n, n FROM ac"
     " UNION ALL SELECT 8, e, n, n FROM ac UNION ALL SELECT 9, f, n, n FROM ac"
     " UNION ALL SELECT 10, a, n, n FROM co UNION ALL SELECT 11, b, n, n FROM co"
     " UNION ALL SELECT 12, c, n, n FROM co UNION ALL SELECT 13, e, n, n FROM co"
     " UNION ALL SELECT 14, a, n, n FROM le UNION ALL SELECT 15, b, n, n FROM le"
     " UNION ALL SELECT 16, c, n, n FROM le UNION ALL SELECT 17, e, n, n FROM le"},
};
#define NDASH ((int)(sizeof dashboard / sizeof dashboard[0]))

/* --- helpers ---------------------------------------------------------------------------- */

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_metrics: %s: %s\n", what, msg ? msg : "");
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static rv_report_req req_of(const struct dash *q)
{
    return (rv_report_req){.metric = q->metric, .by = q->by, .period = q->period};
}

/* One report through the service; keeps the result summary. */
typedef struct outcome {
    int nrows;
    rv_mrow total;
    int32_t from, to;
} outcome;

static double run_report(rv_ctx *c, const struct dash *q, outcome *o)
{
    rv_report r;
    rv_err err;
    rv_report_req req = req_of(q);
    double t0 = wall_ms();
    if (rv_report_run(c, &req, &r, &err))
        die(q->metric, err.message);
    double t = wall_ms() - t0;
    if (o)
        *o = (outcome){r.res.nrows, r.res.total, r.res.from, r.res.to};
    rv_report_end(&r);
    return t;
}

/* The SQL of one report; returns ms, sums into *sum, groups into *groups. */
static double run_sql(sqlite3 *db, const struct dash *q, const rv_snap *s, const outcome *o, double sum[3],
                      int *groups)
{
    double t0 = wall_ms();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) != SQLITE_OK)
        die(q->metric, sqlite3_errmsg(db));
    int32_t d1 = o->to - 1 < s->today ? o->to - 1 : s->today;
    struct {
        const char *name;
        int64_t v;
    } params[] = {{":from", o->from}, {":to", o->to}, {":today", s->today}, {":d0", o->from}, {":d1", d1}};
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        int ix = sqlite3_bind_parameter_index(st, params[k].name);
        if (ix)
            sqlite3_bind_int64(st, ix, params[k].v);
    }
    sum[0] = sum[1] = sum[2] = 0;
    *groups = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ++*groups;
        for (int k = 0; k < 3; k++)
            sum[k] += sqlite3_column_double(st, k + 1);
    }
    if (rc != SQLITE_DONE)
        die(q->metric, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return wall_ms() - t0;
}

/* Does the SQL agree with the engine?  Writes what differs into why. */
static bool agrees(const struct dash *q, const outcome *o, const double sum[3], int groups, char *why,
                   size_t cap)
{
    why[0] = '\0';
    if (q->check == CHK_VALUE) /* composites list the groups that have a value */
        groups = (int)sum[2];
    if (groups != o->nrows) {
        snprintf(why, cap, "groups: sql %d, engine %d", groups, o->nrows);
        return false;
    }
    const rv_mrow *t = &o->total;
    switch (q->check) {
    case CHK_SUMS:
        if (sum[0] != (double)t->num || sum[1] != (double)t->den || sum[2] != (double)t->rows) {
            snprintf(why, cap, "sums: sql %.0f/%.0f/%.0f, engine %lld/%lld/%lld", sum[0], sum[1], sum[2],
                     (long long)t->num, (long long)t->den, (long long)t->rows);
            return false;
        }
        return true;
    case CHK_ROWS:
        if (sum[2] != (double)t->rows) {
            snprintf(why, cap, "records: sql %.0f, engine %lld", sum[2], (long long)t->rows);
            return false;
        }
        return true;
    default: {
        double v = sum[1] > 0 ? sum[0] / sum[1] : 0;
        bool null = !(sum[1] > 0);
        if (null != t->null || (!null && (v - t->value > 1e-9 * v || t->value - v > 1e-9 * v))) {
            snprintf(why, cap, "total: sql %.9g%s, engine %.9g%s", v, null ? " (none)" : "", t->value,
                     t->null ? " (none)" : "");
            return false;
        }
        return true;
    }
    }
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* Set the amount of deal id to text; the service validates and writes it. */
static double update_amount(rv_ctx *c, int64_t id, const char *amount)
{
    rv_record r;
    rv_err err;
    rv_record_init(&r, rv_entity_find("deals"));
    r.id = id;
    double t0 = wall_ms();
    if (rv_record_set_named(&r, "amount", amount, c->arena, &err) || rv_svc_update(c, &r, NULL, &err))
        die("update deal", err.message);
    return wall_ms() - t0;
}

/* --- main ------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_metrics DB [WARM_RUNS]\n");
        return 2;
    }
    const char *path = argv[1];
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1)
        runs = 1;
    rv_store *store;
    rv_err err;
    if (rv_store_open(&store, path, 0, &err))
        die(path, err.message);
    rv_arena arena;
    rv_arena_init(&arena, 1 << 16);
    rv_ctx c;
    rv_ctx_init(&c, store, &arena);

    /* cold: an empty cache, then the whole dashboard */
    rv_report_cache_clear();
    double cold_ms[NDASH], warm_ms[NDASH], engine_ms[NDASH], sql_ms[NDASH];
    outcome out[NDASH];
    double t0 = wall_ms();
    for (int i = 0; i < NDASH; i++)
        cold_ms[i] = run_report(&c, &dashboard[i], &out[i]);
    double cold = wall_ms() - t0;
    double load = cold_ms[0]; /* the first report loads the snapshot */

    /* the snapshot itself, held for the engine-only runs and the SQL's parameters */
    rv_report hold;
    rv_report_req hreq = req_of(&dashboard[0]);
    if (rv_report_run(&c, &hreq, &hold, &err))
        die("hold", err.message);
    const rv_snap *s = hold.snap;
    long rss = peak_rss_mb();

    /* warm: the service path and the engine alone, median of runs */
    double *wt = calloc((size_t)runs * NDASH, sizeof *wt), *et = calloc((size_t)runs * NDASH, sizeof *et);
    double *wtot = calloc((size_t)runs, sizeof *wtot), *etot = calloc((size_t)runs, sizeof *etot);
    rv_mquery mq[NDASH];
    for (int i = 0; i < NDASH; i++) {
        rv_report r;
        rv_report_req req = req_of(&dashboard[i]);
        if (rv_report_run(&c, &req, &r, &err))
            die(dashboard[i].metric, err.message);
        mq[i] = r.q;
        mq[i].visible = NULL;
        rv_report_end(&r);
    }
    /* the held report keeps a read lock; the service path takes its own */
    for (int k = 0; k < runs; k++) {
        double a = wall_ms();
        for (int i = 0; i < NDASH; i++)
            wt[i * runs + k] = run_report(&c, &dashboard[i], NULL);
        wtot[k] = wall_ms() - a;
        a = wall_ms();
        for (int i = 0; i < NDASH; i++) {
            rv_mresult res;
            double b = wall_ms();
            if (rv_metric_run(s, &mq[i], &res, &err))
                die(dashboard[i].metric, err.message);
            et[i * runs + k] = wall_ms() - b;
            rv_mresult_free(&res);
        }
        etot[k] = wall_ms() - a;
    }
    for (int i = 0; i < NDASH; i++) {
        warm_ms[i] = median(wt + i * runs, runs);
        engine_ms[i] = median(et + i * runs, runs);
    }
    double warm = median(wtot, runs), engine = median(etot, runs);

    /* SQL on the same file */
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die(path, sqlite3_errmsg(db));
    int bad = 0;
    double sql = 0;
    char why[NDASH][200];
    bool ok[NDASH];
    for (int i = 0; i < NDASH; i++) {
        double sum[3];
        int groups;
        sql_ms[i] = run_sql(db, &dashboard[i], s, &out[i], sum, &groups);
        sql += sql_ms[i];
        ok[i] = agrees(&dashboard[i], &out[i], sum, groups, why[i], sizeof why[i]);
        bad += !ok[i];
    }
    sqlite3_close(db);

    printf("data: %s: %u deals, %u leads, %u activities, %u accounts, %u stage changes, %u subscriptions\n",
           path, s->deals.n, s->leads.n, s->activities.n, s->accounts.n, s->history.n, s->subs.n);
    printf("the dashboard: %d reports; warm figures are the median of %d runs\n\n", NDASH, runs);
    printf("%-12s %-24s %-13s %-8s %6s %9s %9s %9s %9s %8s  %s\n", "page", "metric", "by", "period", "groups",
           "cold ms", "warm ms", "engine ms", "SQL ms", "SQL/warm", "agrees");
    for (int i = 0; i < NDASH; i++) {
        const struct dash *q = &dashboard[i];
        printf("%-12s %-24s %-13s %-8s %6d %9.2f %9.2f %9.2f %9.1f %8.0f  %s%s\n", q->page, q->metric,
               q->by ? q->by : "-", q->period ? q->period : "-", out[i].nrows, cold_ms[i], warm_ms[i],
               engine_ms[i], sql_ms[i], warm_ms[i] > 0 ? sql_ms[i] / warm_ms[i] : 0, ok[i] ? "yes" : "NO: ",
               why[i]);
    }
    printf("\n");
    printf("cold: %.0f ms (snapshot load %.0f ms + reports %.0f ms); peak RSS %ld MB\n", cold, load,
           cold - load, rss);
    printf("warm: %.1f ms through rv_report_run (engine alone: %.1f ms)\n", warm, engine);
    printf("SQL:  %.0f ms (sqlite3 %s, one pass, same file)\n", sql, sqlite3_libversion());
    printf("ratio SQL / warm: %.0fx\n", sql / warm);

    /* incremental refresh: one deal through the service, then the next report */
    rv_report_end(&hold);
    /* an open deal with an amount, so that the first report (open pipeline) moves */
    uint32_t row = s->deals.n / 2;
    while (row < s->deals.n && (s->deals.stage[row] < 0 || s->stages.kind[s->deals.stage[row]] != RV_STAGE_OPEN ||
                                !(s->deals.q[row] & RV_Q_DEAL_AMOUNT) || s->deals.amount[row] < 0))
        row++;
    if (row == s->deals.n)
        die("refresh", "no open deal with an amount");
    int64_t deal_id = s->deals.id[row];
    int64_t old = s->deals.amount[row];
    char before[40], after[40];
    snprintf(before, sizeof before, "%lld.%02lld", (long long)(old / 100), (long long)(old % 100));
    snprintf(after, sizeof after, "%lld.%02lld", (long long)((old + 10000) / 100), (long long)(old % 100));
    double upd = update_amount(&c, deal_id, after);
    outcome o2;
    double refresh = run_report(&c, &dashboard[0], &o2);
    double after_warm = run_report(&c, &dashboard[0], NULL);
    update_amount(&c, deal_id, before); /* the file keeps its data */
    run_report(&c, &dashboard[0], NULL);
    printf("refresh: one deal updated (rv_svc_update %.1f ms), next report %.0f ms (that report warm %.2f ms);"
           " full load %.0f ms\n",
           upd, refresh, after_warm, load);
    bool moved = o2.total.num == out[0].total.num + 10000;
    if (!moved)
        printf("refresh: the report did not see the update (total %lld, before %lld)\n",
               (long long)o2.total.num, (long long)out[0].total.num);

    printf("\ngoal: whole dashboard warm < 250 ms: %.1f ms (%s); SQL / warm >= 50x: %.0fx (%s)\n", warm,
           warm < 250 ? "met" : "not met", sql / warm, sql / warm >= 50 ? "met" : "not met");
    if (bad)
        printf("%d report(s) disagree with their SQL\n", bad);
    free(wt), free(et), free(wtot), free(etot);
    rv_report_cache_clear();
    rv_store_close(store);
    rv_arena_release(&arena);
    return bad || !moved ? 1 : 0;
}
