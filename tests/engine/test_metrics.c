/*
 * test_metrics.c - the metrics engine on hand-built snapshots, no
 * database: every number below is worked out on paper in the comment
 * beside it.
 *
 * The snapshot (build()) is a small company on 2018-03-15, noon:
 *
 *   users   Mia Manager (manager, team Alpha), Ann Rep (rep, Mia's, team
 *           Alpha: region EMEA through the team), Bob Rep (rep, Mia's,
 *           team Beta of region APAC, but his own region NA)
 *   stages  Prospecting (open, 1, 10%, stalls after 10 days),
 *           Proposal (open, 2, 60%), Won, Lost
 *   deals   (amounts in dollars; created -> close)
 *     d0 Ann  Won         1,000   2018-01-10 -> 2018-01-20  cycle 10
 *     d1 Ann  Lost          500   2018-01-05 -> 2018-03-01
 *     d2 Bob  Won         3,000   2017-12-01 -> 2018-03-05  cycle 94
 *     d3 Bob  Prospecting 2,000   2018-02-01 -> 2018-03-10  (past close, stalled)
 *     d4 Ann  Proposal    4,000   2018-03-01 -> 2018-04-20
 *     d5 none Won           200   2018-02-17 -> 2018-03-02  cycle 13
 *   quotas  Ann 5,000 and Bob 4,000 for 2018-Q1
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"
#include "model/money.h"
#include "testutil.h"

#define DAY(y, m, d) rv_days_from_civil(y, m, d)
#define MS(y, m, d, h, mi) ((int64_t)DAY(y, m, d) * 86400000 + (int64_t)(h) * 3600000 + (int64_t)(mi) * 60000)
#define DOLLARS(x) ((int64_t)(x) * 100)

enum { MIA, ANN, BOB };
enum { PROSPECTING, PROPOSAL, WON, LOST };
enum { ACME, ACME2, BETA, GAMMA };

static rv_snap *build(void)
{
    rv_snap *s = rv_snap_new(DAY(2018, 3, 15), MS(2018, 3, 15, 12, 0));
    int32_t emea = rv_dict_code(&s->dict[RV_DICT_REGION], "EMEA", 4);
    int32_t apac = rv_dict_code(&s->dict[RV_DICT_REGION], "APAC", 4);
    int32_t na = rv_dict_code(&s->dict[RV_DICT_REGION], "NA", 2);
    uint32_t alpha = rv_snap_add_team(s, 1), beta = rv_snap_add_team(s, 2);
    s->teams.name[alpha] = rv_snap_strdup(s, "Alpha", 5);
    s->teams.region[alpha] = emea;
    s->teams.name[beta] = rv_snap_strdup(s, "Beta", 4);
    s->teams.region[beta] = apac;
    static const char *const names[] = {"Mia Manager", "Ann Rep", "Bob Rep"};
    for (int u = 0; u < 3; u++) {
        uint32_t i = rv_snap_add_user(s, 10 + u);
        s->users.name[i] = rv_snap_strdup(s, names[u], strlen(names[u]));
        s->users.role[i] = u == MIA ? 1 : 2;
        s->users.manager[i] = u == MIA ? RV_NONE : MIA;
        s->users.team[i] = u == BOB ? (int32_t)beta : (int32_t)alpha;
    }
    s->users.region[BOB] = na;

    uint32_t p = rv_snap_add_pipeline(s, 1);
    s->pipelines.name[p] = rv_snap_strdup(s, "Sales", 5);
    static const struct {
        const char *name;
        int kind, pos, prob, stall;
    } st[] = {{"Prospecting", RV_STAGE_OPEN, 1, 10, 10},
              {"Proposal", RV_STAGE_OPEN, 2, 60, RV_NONE},
              {"Won", RV_STAGE_WON, 3, 100, RV_NONE},
              {"Lost", RV_STAGE_LOST, 4, 0, RV_NONE}};
    for (int k = 0; k < 4; k++) {
        uint32_t i = rv_snap_add_stage(s, 20 + k);
        s->stages.name[i] = rv_snap_strdup(s, st[k].name, strlen(st[k].name));
        s->stages.pipeline[i] = (int32_t)p;
        s->stages.kind[i] = (uint8_t)st[k].kind;
        s->stages.position[i] = st[k].pos;
        s->stages.prob[i] = (uint8_t)st[k].prob;
        s->stages.stall_days[i] = st[k].stall;
    }
    for (int a = 0; a < 4; a++)
        rv_snap_add_account(s, 30 + a);

    static const struct {
        int owner, stage, account;
        int64_t dollars;
        int cy, cm, cd, ky, km, kd;
    } d[] = {
        {ANN, WON, ACME, 1000, 2018, 1, 10, 2018, 1, 20},
        {ANN, LOST, BETA, 500, 2018, 1, 5, 2018, 3, 1},
        {BOB, WON, ACME2, 3000, 2017, 12, 1, 2018, 3, 5},
        {BOB, PROSPECTING, BETA, 2000, 2018, 2, 1, 2018, 3, 10},
        {ANN, PROPOSAL, GAMMA, 4000, 2018, 3, 1, 2018, 4, 20},
        {RV_NONE, WON, ACME, 200, 2018, 2, 17, 2018, 3, 2},
    };
    for (int k = 0; k < 6; k++) {
        uint32_t i = rv_snap_add_deal(s, 100 + k);
        s->deals.owner[i] = d[k].owner;
        s->deals.stage[i] = d[k].stage;
        s->deals.pipeline[i] = (int32_t)p;
        s->deals.account[i] = d[k].account;
        s->deals.amount[i] = DOLLARS(d[k].dollars);
        s->deals.created[i] = DAY(d[k].cy, d[k].cm, d[k].cd);
        s->deals.close[i] = DAY(d[k].ky, d[k].km, d[k].kd);
        s->deals.updated[i] = s->deals.created[i];
        s->deals.q[i] = RV_Q_DEAL_AMOUNT | RV_Q_DEAL_CLOSE;
    }
    s->deals.q[0] |= RV_Q_DEAL_ACCOUNT | RV_Q_DEAL_NEXT_STEP | RV_Q_DEAL_SOURCE;
    /* stage history: deal, stage, day entered */
    static const int h[][5] = {
        {0, PROSPECTING, 2018, 1, 10}, {0, PROPOSAL, 2018, 1, 15}, {0, WON, 2018, 1, 20},
        {1, PROSPECTING, 2018, 1, 5},  {1, LOST, 2018, 3, 1},      {2, PROSPECTING, 2017, 12, 1},
        {2, PROPOSAL, 2018, 1, 1},     {2, WON, 2018, 3, 5},       {3, PROSPECTING, 2018, 2, 1},
        {4, PROSPECTING, 2018, 3, 1},  {4, PROPOSAL, 2018, 3, 5},
    };
    /* appended out of order: rv_snap_finish sorts by (deal, at) */
    for (int k = (int)(sizeof h / sizeof h[0]) - 1; k >= 0; k--) {
        uint32_t i = rv_snap_add_history(s);
        s->history.deal[i] = h[k][0];
        s->history.stage[i] = h[k][1];
        s->history.at[i] = MS(h[k][2], h[k][3], h[k][4], 0, 0);
    }
    for (int u = ANN; u <= BOB; u++) {
        uint32_t i = rv_snap_add_quota(s, 40 + u);
        s->quotas.user[i] = u;
        s->quotas.start[i] = DAY(2018, 1, 1);
        s->quotas.end[i] = DAY(2018, 3, 31);
        s->quotas.amount[i] = DOLLARS(u == ANN ? 5000 : 4000);
    }
    rv_snap_finish(s);
    return s;
}

/* ---- running queries ----------------------------------------------------------- */

static rv_mquery query(const char *metric)
{
    rv_mquery q;
    memset(&q, 0, sizeof q);
    q.metric = rv_metric_find(metric);
    if (q.metric < 0)
        fail_msg("no metric %s", metric);
    q.from = q.to = RV_DAY_NONE;
    return q;
}

static void by(rv_mquery *q, rv_dim d) { q->dims[q->ndims++] = d; }

static void where(const rv_snap *s, rv_mquery *q, rv_dim d, const char *label)
{
    rv_err err;
    q->filters[q->nfilters].dim = d;
    if (rv_dim_code(s, d, label, &q->filters[q->nfilters].code, &err))
        fail_msg("%s", err.message);
    q->nfilters++;
}

static void run(const rv_snap *s, const rv_mquery *q, rv_mresult *r)
{
    rv_err err;
    if (rv_metric_run(s, q, r, &err))
        fail_msg("%s: %s", rv_metric_info_at(q->metric)->name, err.message);
}

static void near(double got, double want, const char *what)
{
    if (fabs(got - want) > 1e-12 * fabs(want) + 1e-15)
        fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

/* The row of r whose first dimension has label `label`; fails if none. */
static const rv_mrow *row(const rv_snap *s, const rv_mquery *q, const rv_mresult *r, const char *label)
{
    char buf[128];
    for (int i = 0; i < r->nrows; i++)
        if (!strcmp(rv_dim_label(s, q->dims[0], r->rows[i].key[0], buf, sizeof buf), label))
            return &r->rows[i];
    fail_msg("%s: no row '%s'", rv_metric_info_at(q->metric)->name, label);
    return NULL;
}

/* Rows of a one-dimension result as "label=value;..." (values %.6g). */
static const char *rows_text(const rv_snap *s, const rv_mquery *q, const rv_mresult *r)
{
    static char out[1024];
    char buf[128];
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < r->nrows; i++) {
        rv_dim_label(s, q->dims[0], r->rows[i].key[0], buf, sizeof buf);
        if (r->rows[i].null)
            n += (size_t)snprintf(out + n, sizeof out - n, "%s=null;", buf);
        else
            n += (size_t)snprintf(out + n, sizeof out - n, "%s=%.6g;", buf, r->rows[i].value);
    }
    return out;
}

/* The total of metric on s with the query's defaults. */
static double total_of(const rv_snap *s, const char *metric, rv_mresult *r)
{
    rv_mquery q = query(metric);
    run(s, &q, r);
    return r->total.value;
}

/* ---- aggregation kinds ------------------------------------------------------------ */

static void sums_ratios_medians(void **state)
{
    rv_snap *s = build();
    rv_mresult r;
    /* sum: won 1,000 + 3,000 + 200 */
    assert_true(total_of(s, "won_revenue", &r) == DOLLARS(4200));
    assert_int_equal(r.total.rows, 3);
    rv_mresult_free(&r);
    /* open: d3 2,000 + d4 4,000; weighted 2,000 x 10% + 4,000 x 60% */
    assert_true(total_of(s, "pipeline_value", &r) == DOLLARS(6000));
    rv_mresult_free(&r);
    assert_true(total_of(s, "weighted_pipeline", &r) == DOLLARS(2600));
    rv_mresult_free(&r);
    /* ratio: 3 won of 4 closed */
    near(total_of(s, "win_rate", &r), 0.75, "win_rate");
    assert_int_equal(r.total.num, 3);
    assert_int_equal(r.total.den, 4);
    rv_mresult_free(&r);
    /* by value: 4,200 won of 4,700 closed */
    near(total_of(s, "win_rate_value", &r), 4200.0 / 4700.0, "win_rate_value");
    rv_mresult_free(&r);
    /* cycles 10, 94, 13: mean 39, median 13 */
    near(total_of(s, "sales_cycle_days", &r), 39, "sales_cycle_days");
    rv_mresult_free(&r);
    assert_true(total_of(s, "sales_cycle_median_days", &r) == 13);
    rv_mresult_free(&r);
    /* average deal size: 4,200 / 3 = 1,400 */
    near(total_of(s, "avg_deal_size", &r), DOLLARS(1400), "avg_deal_size");
    rv_mresult_free(&r);
    /* a median of an even count: Ann's one and Bob's one -> by owner each alone;
     * Mia's team (manager) has 10 and 94 -> 52 */
    rv_mquery q = query("sales_cycle_median_days");
    by(&q, RV_DIM_MANAGER);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "(none)=13;Mia Manager=52;");
    rv_mresult_free(&r);
    rv_snap_free(s);
}

static void composites(void **state)
{
    rv_snap *s = build();
    rv_mresult r;
    /* the default window of coverage and attainment is this quarter:
     * 2018-01-01 .. 2018-04-01.  Pipeline closing in it: d3 2,000 (d4
     * closes in April); won in it 4,200; quota 9,000 */
    rv_mquery q = query("coverage");
    run(s, &q, &r);
    assert_int_equal(r.from, DAY(2018, 1, 1));
    assert_int_equal(r.to, DAY(2018, 4, 1));
    near(r.total.value, 2000.0 / (9000 - 4200), "coverage");
    rv_mresult_free(&r);
    /* by owner: Ann 0 / (5,000 - 1,000) = 0, Bob 2,000 / (4,000 - 3,000) = 2;
     * nobody's d5 has no quota, so no gap and no value: a composite lists
     * only the groups it has a value for */
    by(&q, RV_DIM_OWNER);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "Ann Rep=0;Bob Rep=2;");
    rv_mresult_free(&r);
    q = query("quota_attainment");
    run(s, &q, &r);
    near(r.total.value, 4200.0 / 9000.0, "quota_attainment");
    rv_mresult_free(&r);
    by(&q, RV_DIM_OWNER);
    run(s, &q, &r);
    near(row(s, &q, &r, "Ann Rep")->value, 0.2, "Ann's attainment");
    near(row(s, &q, &r, "Bob Rep")->value, 0.75, "Bob's attainment");
    rv_mresult_free(&r);
    /* a window given wins over the default: 2017 has no quota */
    q = query("quota_attainment");
    q.from = DAY(2017, 1, 1), q.to = DAY(2018, 1, 1);
    run(s, &q, &r);
    assert_true(r.total.null);
    rv_mresult_free(&r);
    /* attainment bands: Ann 20% -> <50%, Bob 75% -> 75-100% */
    q = query("attainment_distribution");
    by(&q, RV_DIM_BUCKET);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "<50%=1;75-100%=1;");
    rv_mresult_free(&r);

    /* marketing: one campaign, 1,000 spent, sourced Bob's won 3,000 */
    uint32_t c = rv_snap_add_campaign(s, 50);
    s->campaigns.name[c] = rv_snap_strdup(s, "Webinar", 7);
    s->campaigns.channel[c] = rv_dict_code(&s->dict[RV_DICT_CHANNEL], "events", 6);
    s->campaigns.start[c] = DAY(2018, 1, 5);
    s->campaigns.spend[c] = DOLLARS(1000);
    s->deals.campaign[2] = (int32_t)c;
    rv_snap_finish(s);
    /* romi = (3,000 - 1,000) / 1,000 */
    near(total_of(s, "romi", &r), 2.0, "romi");
    rv_mresult_free(&r);
    /* new customers: Acme (d0, d5) and Acme II (d2); cac = 1,000 / 2 */
    assert_true(total_of(s, "new_customers", &r) == 2);
    rv_mresult_free(&r);
    near(total_of(s, "cac", &r), DOLLARS(500), "cac");
    rv_mresult_free(&r);
    rv_snap_free(s);
}

/* ---- dimensions, periods, filters, access ------------------------------------------ */

static void dimensions_and_roll_ups(void **state)
{
    rv_snap *s = build();
    rv_mresult r;
    rv_mquery q = query("win_rate");
    by(&q, RV_DIM_OWNER);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "(none)=1;Ann Rep=0.5;Bob Rep=1;");
    rv_mresult_free(&r);
    q = query("win_rate");
    by(&q, RV_DIM_MANAGER); /* Ann and Bob roll up to Mia: 2 of 3 */
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "(none)=1;Mia Manager=0.666667;");
    near(row(s, &q, &r, "Mia Manager")->value, 2.0 / 3.0, "Mia");
    rv_mresult_free(&r);
    q = query("win_rate");
    by(&q, RV_DIM_TEAM);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "(none)=1;Alpha=0.5;Beta=1;");
    rv_mresult_free(&r);
    /* Ann's region is her team's (EMEA); Bob's own (NA) beats his team's (APAC) */
    q = query("win_rate");
    by(&q, RV_DIM_REGION);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "(none)=1;EMEA=0.5;NA=1;");
    rv_mresult_free(&r);
    /* two dimensions: owner x stage of the open pipeline */
    q = query("pipeline_value");
    by(&q, RV_DIM_OWNER);
    by(&q, RV_DIM_STAGE);
    run(s, &q, &r);
    assert_int_equal(r.nrows, 2);
    char a[64], b[64];
    assert_string_equal(rv_dim_label(s, RV_DIM_OWNER, r.rows[0].key[0], a, sizeof a), "Ann Rep");
    assert_string_equal(rv_dim_label(s, RV_DIM_STAGE, r.rows[0].key[1], b, sizeof b), "Proposal");
    assert_true(r.rows[0].value == DOLLARS(4000));
    assert_string_equal(rv_dim_label(s, RV_DIM_OWNER, r.rows[1].key[0], a, sizeof a), "Bob Rep");
    assert_string_equal(rv_dim_label(s, RV_DIM_STAGE, r.rows[1].key[1], b, sizeof b), "Prospecting");
    assert_true(r.rows[1].value == DOLLARS(2000));
    rv_mresult_free(&r);
    /* filters: Ann's win rate; Bob's pipeline in Prospecting */
    q = query("win_rate");
    where(s, &q, RV_DIM_OWNER, "Ann Rep");
    run(s, &q, &r);
    assert_int_equal(r.total.num, 1);
    assert_int_equal(r.total.den, 2);
    rv_mresult_free(&r);
    q = query("pipeline_value");
    where(s, &q, RV_DIM_OWNER, "bob rep"); /* labels match without case */
    where(s, &q, RV_DIM_STAGE, "Proposal");
    run(s, &q, &r);
    assert_int_equal(r.total.rows, 0);
    rv_mresult_free(&r);
    q = query("won_revenue");
    where(s, &q, RV_DIM_OWNER, "(none)");
    run(s, &q, &r);
    assert_true(r.total.value == DOLLARS(200));
    rv_mresult_free(&r);
    rv_snap_free(s);
}

static void periods_and_fiscal_year(void **state)
{
    rv_snap *s = build();
    rv_mresult r;
    /* calendar: d0 closed in January, d2 and d5 in March */
    rv_mquery q = query("won_revenue");
    by(&q, RV_DIM_MONTH);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "2018-01=100000;2018-03=320000;");
    rv_mresult_free(&r);
    q = query("won_revenue");
    by(&q, RV_DIM_QUARTER);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "2018-Q1=420000;");
    rv_mresult_free(&r);
    /* the fiscal year starts in February and is named by the year it
     * ends in: January 2018 is FY2018-Q4, February-April 2018 FY2019-Q1 */
    s->fy_start = 2;
    rv_snap_finish(s);
    q = query("won_revenue");
    by(&q, RV_DIM_QUARTER);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "FY2018-Q4=100000;FY2019-Q1=320000;");
    rv_mresult_free(&r);
    q = query("won_revenue");
    by(&q, RV_DIM_YEAR);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "FY2018=100000;FY2019=320000;");
    rv_mresult_free(&r);
    /* months stay calendar months */
    q = query("won_revenue");
    by(&q, RV_DIM_MONTH);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "2018-01=100000;2018-03=320000;");
    rv_mresult_free(&r);
    /* a period as a filter, and the window it parses to */
    q = query("won_revenue");
    where(s, &q, RV_DIM_QUARTER, "FY2019-Q1");
    run(s, &q, &r);
    assert_true(r.total.value == DOLLARS(3200));
    rv_mresult_free(&r);
    int32_t from, to;
    rv_err err;
    assert_int_equal(rv_period_parse(s, "FY2019-Q1", &from, &to, &err), RV_OK);
    assert_int_equal(from, DAY(2018, 2, 1));
    assert_int_equal(to, DAY(2018, 5, 1));
    assert_int_equal(rv_period_parse(s, "FY2019", &from, &to, &err), RV_OK);
    assert_int_equal(from, DAY(2018, 2, 1));
    assert_int_equal(to, DAY(2019, 2, 1));
    /* the default window follows the fiscal quarter of today: Feb..Apr,
     * where d2 and d5 (3,200) closed and d3 (2,000) and d4 (4,000) close */
    q = query("coverage");
    run(s, &q, &r);
    assert_int_equal(r.from, DAY(2018, 2, 1));
    assert_int_equal(r.to, DAY(2018, 5, 1));
    /* quotas start 2018-01-01: in FY2018-Q4, so none this quarter */
    assert_true(r.total.null);
    rv_mresult_free(&r);
    rv_snap_free(s);
}

static void record_access(void **state)
{
    rv_snap *s = build();
    rv_mresult r;
    uint8_t ann_only[3] = {0, 1, 0};
    rv_mquery q = query("win_rate");
    q.visible = ann_only;
    run(s, &q, &r);
    assert_int_equal(r.total.num, 1); /* d0 won, d1 lost */
    assert_int_equal(r.total.den, 2);
    rv_mresult_free(&r);
    q.see_unowned = true; /* and nobody's d5 */
    run(s, &q, &r);
    assert_int_equal(r.total.num, 2);
    assert_int_equal(r.total.den, 3);
    rv_mresult_free(&r);
    /* grouped: Bob's row is not there at all */
    q.see_unowned = false;
    by(&q, RV_DIM_OWNER);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "Ann Rep=0.5;");
    rv_mresult_free(&r);
    q = query("pipeline_value");
    q.visible = ann_only;
    run(s, &q, &r);
    assert_true(r.total.value == DOLLARS(4000));
    rv_mresult_free(&r);
    rv_snap_free(s);
}

/* ---- stages, funnel, leads ----------------------------------------------------------- */

static void stage_metrics_from_history(void **state)
{
    rv_snap *s = build();
    rv_mresult r;
    /* Prospecting: reached by d0, d1, d2, d4, d5 (d3 is still there);
     * went further: d0, d2, d4, d5 -> 4/5.  Proposal: reached by d0, d2,
     * d5 (won: past every stage), all went on; d4 is still there -> 3/3 */
    rv_mquery q = query("stage_conversion");
    by(&q, RV_DIM_STAGE);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "Prospecting=0.8;Proposal=1;");
    assert_int_equal(row(s, &q, &r, "Prospecting")->den, 5);
    rv_mresult_free(&r);
    /* days in a stage before leaving it: Prospecting d0 5, d1 55, d2 31,
     * d4 4 -> 95/4; Proposal d0 5, d2 63 -> 34 */
    q = query("time_in_stage_days");
    by(&q, RV_DIM_STAGE);
    run(s, &q, &r);
    near(row(s, &q, &r, "Prospecting")->value, 95.0 / 4, "Prospecting");
    near(row(s, &q, &r, "Proposal")->value, 34, "Proposal");
    assert_int_equal(r.nrows, 2);
    near(r.total.value, 163.0 / 6, "time in stage");
    rv_mresult_free(&r);
    /* stalled: d3 in Prospecting since 2018-02-01, 42 days > 10; past
     * close: d3 (2018-03-10) */
    assert_true(total_of(s, "stalled_deals", &r) == 1);
    rv_mresult_free(&r);
    assert_true(total_of(s, "past_close_date", &r) == 1);
    rv_mresult_free(&r);
    rv_snap_free(s);
}

/* Leads: created, first touched (minutes later, -1: never), how far. */
static void add_leads(rv_snap *s)
{
    static const struct {
        int owner, day, touch, status, deal;
        bool mql, sql;
        const char *email;
        uint8_t q;
    } l[] = {
        {ANN, 1, 3, RV_LEAD_CONVERTED, 0, true, true, "a@x.com", RV_Q_PERSON_EMAIL | RV_Q_PERSON_PHONE},
        {ANN, 2, 10, RV_LEAD_MQL, RV_NONE, false, false, "A@X.com", RV_Q_PERSON_EMAIL},
        {BOB, 3, 4, RV_LEAD_CONVERTED, 4, false, false, "b@x.com",
         RV_Q_PERSON_EMAIL | RV_Q_PERSON_BAD_EMAIL},
        {BOB, 4, -1, RV_LEAD_NEW, RV_NONE, false, false, "c@x.com",
         RV_Q_PERSON_EMAIL | RV_Q_PERSON_BAD_PHONE},
        {ANN, 15, -1, RV_LEAD_NEW, RV_NONE, false, false, NULL, 0}, /* 10:00 today */
    };
    for (int k = 0; k < 5; k++) {
        uint32_t i = rv_snap_add_lead(s, 200 + k);
        s->leads.owner[i] = l[k].owner;
        s->leads.created[i] = MS(2018, 3, l[k].day, k == 4 ? 10 : 9, 0);
        if (l[k].touch >= 0)
            s->leads.first_touch[i] = s->leads.created[i] + l[k].touch * 60000;
        s->leads.status[i] = (uint8_t)l[k].status;
        s->leads.deal[i] = l[k].deal;
        if (l[k].mql)
            s->leads.mql[i] = s->leads.created[i];
        if (l[k].sql)
            s->leads.sql[i] = s->leads.created[i];
        s->leads.q[i] = l[k].q;
        s->leads.dupkey[i] = l[k].email ? rv_snap_key(l[k].email, strlen(l[k].email)) : 0;
    }
    rv_snap_finish(s);
}

static void funnel_and_speed_to_lead(void **state)
{
    rv_snap *s = build();
    add_leads(s);
    rv_mresult r;
    /* furthest stage: L0 won (its deal d0 won), L1 mql, L2 opportunity
     * (deal d4), L3 and L4 lead */
    rv_mquery q = query("funnel");
    by(&q, RV_DIM_FUNNEL_STAGE);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "lead=5;mql=3;sql=2;opportunity=2;won=1;");
    rv_mresult_free(&r);
    assert_true(total_of(s, "funnel", &r) == 5); /* without the dimension: the top */
    rv_mresult_free(&r);
    /* each step over the one before: 3/5, 2/3, 2/2, 1/2 */
    q = query("funnel_conversion");
    by(&q, RV_DIM_FUNNEL_STAGE);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "mql=0.6;sql=0.666667;opportunity=1;won=0.5;");
    near(row(s, &q, &r, "sql")->value, 2.0 / 3, "sql");
    rv_mresult_free(&r);
    near(total_of(s, "funnel_conversion", &r), 0.2, "lead to won"); /* 1 of 5 */
    rv_mresult_free(&r);
    /* followed up after 3, 10 and 4 minutes: median 4; within 5 minutes:
     * 2 of 5 */
    assert_true(total_of(s, "speed_to_lead_minutes", &r) == 4);
    rv_mresult_free(&r);
    near(total_of(s, "leads_contacted_5min", &r), 0.4, "leads_contacted_5min");
    assert_int_equal(r.total.num, 2);
    assert_int_equal(r.total.den, 5);
    rv_mresult_free(&r);
    /* past the 60-minute SLA at noon: L3 (days ago) and L4 (2 hours) */
    assert_true(total_of(s, "leads_past_sla", &r) == 2);
    rv_mresult_free(&r);
    rv_snap_free(s);
}

/* ---- recurring revenue ---------------------------------------------------------------- */

static void retention(void **state)
{
    rv_snap *s = build();
    /* monthly: account, mrr dollars, start, end (0: running) */
    static const struct {
        int account, mrr, sy, sm, ey, em;
    } sub[] = {
        {ACME, 100, 2016, 6, 0, 0},  /* kept all year */
        {ACME, 50, 2017, 6, 0, 0},   /* expansion */
        {ACME2, 200, 2016, 1, 2017, 7}, /* churned */
        {BETA, 80, 2016, 1, 2017, 9},   /* downgraded ... */
        {BETA, 30, 2017, 9, 0, 0},      /* ... to this */
        {GAMMA, 10, 2017, 3, 0, 0},     /* new: not in the cohort */
    };
    for (int k = 0; k < 6; k++) {
        uint32_t i = rv_snap_add_sub(s, 300 + k);
        s->subs.account[i] = sub[k].account;
        s->subs.mrr[i] = DOLLARS(sub[k].mrr);
        s->subs.start[i] = DAY(sub[k].sy, sub[k].sm, 1);
        s->subs.end[i] = sub[k].ey ? DAY(sub[k].ey, sub[k].em, 1) : RV_DAY_NONE;
    }
    rv_snap_finish(s);
    /* over 2017: ARR on 2017-01-01 of the cohort: Acme 1,200, Acme II
     * 2,400, Beta 960 = 4,560; on 2017-12-31: Acme 1,800, Acme II 0,
     * Beta 360 = 2,160; kept from the start: Acme's 1,200 */
    rv_mresult r;
    const char *m[] = {"nrr", "grr", "churn_rate", "expansion_arr", "churned_arr"};
    double want[] = {2160.0 / 4560, 1200.0 / 4560, 1.0 / 3, DOLLARS(600), DOLLARS(2400 + 960)};
    for (int k = 0; k < 5; k++) {
        rv_mquery q = query(m[k]);
        q.from = DAY(2017, 1, 1), q.to = DAY(2018, 1, 1);
        run(s, &q, &r);
        near(r.total.value, want[k], m[k]);
        rv_mresult_free(&r);
    }
    /* by quarter of 2017: Q3 starts (07-01) with Acme 1,800, Beta 960 and
     * Gamma 120 (Acme II ended that day) and ends (09-30) with Acme 1,800,
     * Beta 360 and Gamma 120: NRR 2,280 / 2,880 */
    rv_mquery q = query("nrr");
    q.from = DAY(2017, 1, 1), q.to = DAY(2018, 1, 1);
    by(&q, RV_DIM_QUARTER);
    run(s, &q, &r);
    near(row(s, &q, &r, "2017-Q3")->value, 2280.0 / 2880, "2017-Q3");
    rv_mresult_free(&r);
    /* ARR today: 1,200 + 600 + 360 + 120 */
    assert_true(total_of(s, "arr", &r) == DOLLARS(2280));
    rv_mresult_free(&r);
    rv_snap_free(s);
}

/* ---- data quality ------------------------------------------------------------------------ */

static void data_quality(void **state)
{
    rv_snap *s = build();
    add_leads(s);
    static const char *const domains[] = {"acme.com", "ACME.com", "beta", NULL};
    for (int a = 0; a < 4; a++) {
        s->accounts.dupkey[a] = domains[a] ? rv_snap_key(domains[a], strlen(domains[a])) : 0;
        s->accounts.q[a] = domains[a] ? RV_Q_ACC_DOMAIN : 0;
    }
    s->accounts.q[BETA] |= RV_Q_ACC_BAD_DOMAIN;
    rv_mresult r;
    /* completeness: every deal has an amount, one of six a next step;
     * three of four accounts a domain; one of five leads a phone */
    rv_mquery q = query("completeness");
    by(&q, RV_DIM_FIELD);
    run(s, &q, &r);
    near(row(s, &q, &r, "deals.amount")->value, 1, "deals.amount");
    near(row(s, &q, &r, "deals.next_step")->value, 1.0 / 6, "deals.next_step");
    near(row(s, &q, &r, "accounts.domain")->value, 0.75, "accounts.domain");
    near(row(s, &q, &r, "leads.phone")->value, 0.2, "leads.phone");
    rv_mresult_free(&r);
    q = query("completeness");
    where(s, &q, RV_DIM_FIELD, "leads.email"); /* L4 has none */
    run(s, &q, &r);
    near(r.total.value, 0.8, "leads.email");
    rv_mresult_free(&r);
    /* duplicates: acme.com twice of three accounts with a key; a@x.com
     * twice of four leads with an email */
    q = query("duplicate_rate");
    by(&q, RV_DIM_ENTITY);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r), "accounts=0.666667;leads=0.5;");
    near(r.total.value, 4.0 / 7, "duplicate_rate");
    rv_mresult_free(&r);
    /* invalid values, by field: the domain 'beta', L3's phone, L2's email */
    q = query("invalid_values");
    by(&q, RV_DIM_FIELD);
    run(s, &q, &r);
    assert_string_equal(rows_text(s, &q, &r),
                        "accounts.domain=1;leads.email=1;leads.phone=1;accounts.phone=0;");
    rv_mresult_free(&r);
    q = query("invalid_values");
    where(s, &q, RV_DIM_FIELD, "leads.email");
    run(s, &q, &r);
    assert_true(r.total.value == 1);
    rv_mresult_free(&r);
    rv_snap_free(s);
}

/* ---- drill-down ------------------------------------------------------------------------------ */

typedef struct rows_seen {
    uint32_t row[32];
    int n;
} rows_seen;

static int seen(void *ud, uint32_t row)
{
    rows_seen *r = ud;
    r->row[r->n++] = row;
    return 0;
}

static const char *drilled(const rv_snap *s, const rv_mquery *q)
{
    static char out[256];
    rows_seen r = {0};
    rv_err err;
    if (rv_metric_drill(s, q, seen, &r, &err))
        fail_msg("%s", err.message);
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < r.n; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "%sd%u", i ? "," : "", r.row[i]);
    return out;
}

static void drill_down(void **state)
{
    rv_snap *s = build();
    /* Ann's win rate 1/2 stands on d0 and d1 */
    rv_mquery q = query("win_rate");
    where(s, &q, RV_DIM_OWNER, "Ann Rep");
    assert_string_equal(drilled(s, &q), "d0,d1");
    /* won revenue of 2018-03: d2 and d5; the query's dims are ignored */
    q = query("won_revenue");
    by(&q, RV_DIM_OWNER);
    where(s, &q, RV_DIM_MONTH, "2018-03");
    assert_string_equal(drilled(s, &q), "d2,d5");
    /* the open pipeline of Prospecting */
    q = query("pipeline_value");
    where(s, &q, RV_DIM_STAGE, "Prospecting");
    assert_string_equal(drilled(s, &q), "d3");
    /* time in Prospecting: history rows, listed as their deals, once each */
    q = query("time_in_stage_days");
    where(s, &q, RV_DIM_STAGE, "Prospecting");
    assert_string_equal(drilled(s, &q), "d0,d1,d2,d4");
    /* a composite lists the records of its first part: coverage -> open
     * deals closing this quarter */
    q = query("coverage");
    assert_string_equal(drilled(s, &q), "d3");
    /* record access applies */
    uint8_t ann_only[3] = {0, 1, 0};
    q = query("won_revenue");
    q.visible = ann_only;
    assert_string_equal(drilled(s, &q), "d0");
    rv_snap_free(s);
}

/* ---- codes, labels and errors ------------------------------------------------------------------ */

static void codes_labels_errors(void **state)
{
    rv_snap *s = build();
    rv_err err;
    int32_t code;
    char buf[128];
    /* round trips */
    static const struct {
        rv_dim d;
        const char *label;
    } rt[] = {{RV_DIM_OWNER, "Bob Rep"},   {RV_DIM_MANAGER, "Mia Manager"}, {RV_DIM_TEAM, "Beta"},
              {RV_DIM_REGION, "NA"},       {RV_DIM_STAGE, "Proposal"},      {RV_DIM_PIPELINE, "Sales"},
              {RV_DIM_MONTH, "2018-03"},   {RV_DIM_QUARTER, "2018-Q1"},     {RV_DIM_YEAR, "2018"},
              {RV_DIM_FUNNEL_STAGE, "sql"}, {RV_DIM_BUCKET, ">=125%"},       {RV_DIM_TYPE, "renewal"},
              {RV_DIM_COMPANY_SIZE, "51-200"}, {RV_DIM_FIELD, "leads.source"}, {RV_DIM_KIND, "meeting"}};
    for (size_t k = 0; k < sizeof rt / sizeof rt[0]; k++) {
        if (rv_dim_code(s, rt[k].d, rt[k].label, &code, &err))
            fail_msg("%s '%s': %s", rv_dims[rt[k].d].name, rt[k].label, err.message);
        assert_string_equal(rv_dim_label(s, rt[k].d, code, buf, sizeof buf), rt[k].label);
    }
    assert_int_equal(rv_dim_code(s, RV_DIM_OWNER, "Bob Rep", &code, &err), RV_OK);
    assert_int_equal(code, BOB);
    assert_int_equal(rv_dim_code(s, RV_DIM_OWNER, "(none)", &code, &err), RV_OK);
    assert_int_equal(code, RV_NONE);
    assert_string_equal(rv_dim_label(s, RV_DIM_OWNER, RV_NONE, buf, sizeof buf), "(none)");
    /* unknown values */
    assert_int_equal(rv_dim_code(s, RV_DIM_OWNER, "Nobody", &code, &err), RV_EINVAL);
    assert_string_equal(err.message, "no owner is called 'Nobody'");
    assert_string_equal(err.field, "owner");
    assert_int_equal(rv_dim_code(s, RV_DIM_MONTH, "2018-13", &code, &err), RV_EINVAL);
    assert_string_equal(err.message, "month must look like 2017-05, got '2018-13'");
    assert_int_equal(rv_dim_code(s, RV_DIM_QUARTER, "Q1", &code, &err), RV_EINVAL);
    assert_string_equal(err.message, "quarter must look like 2017-Q2, got 'Q1'");
    /* with a fiscal year the quarter names carry FY */
    s->fy_start = 2;
    assert_int_equal(rv_dim_code(s, RV_DIM_QUARTER, "FY2019-Q1", &code, &err), RV_OK);
    assert_string_equal(rv_dim_label(s, RV_DIM_QUARTER, code, buf, sizeof buf), "FY2019-Q1");
    assert_int_equal(rv_period_start(s, RV_DIM_QUARTER, code), DAY(2018, 2, 1));
    assert_int_equal(rv_period_code(s, RV_DIM_QUARTER, DAY(2018, 1, 31)), code - 1);
    s->fy_start = 1;
    /* a dimension the metric cannot be sliced by: the error lists those it can */
    rv_mquery q = query("win_rate");
    by(&q, RV_DIM_KIND);
    rv_mresult r;
    assert_int_equal(rv_metric_run(s, &q, &r, &err), RV_EINVAL);
    assert_string_equal(err.message,
                        "win_rate cannot be sliced by kind; it can be by: owner, manager, team, "
                        "region, industry, company_size, country, product, source, campaign, "
                        "channel, pipeline, stage, type, month, quarter, year");
    assert_string_equal(err.field, "by");
    q = query("leads_created");
    q.filters[0].dim = RV_DIM_STAGE;
    q.filters[0].code = 0;
    q.nfilters = 1;
    assert_int_equal(rv_metric_run(s, &q, &r, &err), RV_EINVAL);
    assert_string_equal(err.message,
                        "leads_created cannot be sliced by stage; it can be by: owner, manager, "
                        "team, region, source, campaign, channel, month, quarter, year");
    assert_false(rv_metric_has_dim(rv_metric_find("win_rate"), RV_DIM_FUNNEL_STAGE));
    assert_true(rv_metric_has_dim(rv_metric_find("funnel"), RV_DIM_FUNNEL_STAGE));
    /* a composite may be sliced only by what all its parts allow */
    assert_false(rv_metric_has_dim(rv_metric_find("coverage"), RV_DIM_STAGE));
    assert_true(rv_metric_has_dim(rv_metric_find("coverage"), RV_DIM_OWNER));
    rv_snap_free(s);
}

/* ---- warnings ---------------------------------------------------------------------------------- */

static void warnings(void **state)
{
    rv_snap *s = build();
    add_leads(s);
    rv_mquery q = query("win_rate");
    rv_warning *w;
    int n;
    rv_err err;
    assert_int_equal(rv_warnings(s, &q, 3.0, &w, &n, &err), RV_OK);
    /* most severe first, then by kind:
     *   3 stalled d3 (42 days, limit 10: over twice)
     *   3 low coverage Ann: 0 / (5,000 - 1,000) = 0x (under half of 3x)
     *   3 behind pace Ann: 20% with 74/90 of the quarter gone
     *   3 lead L4 past the 60-minute SLA (120 minutes, under a day)
     *   2 past close d3 (5 days)
     *   2 low coverage Bob: 2,000 / (4,000 - 3,000) = 2x
     *   2 lead L3 past the SLA by more than a day */
    char text[256], got[2048] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(got + len, sizeof got - len, "%d %s: %s\n", w[i].severity,
                                rv_warn_name(w[i].kind), rv_warning_text(s, &w[i], text, sizeof text));
    assert_string_equal(got,
                        "3 stalled_deal: deal 103 has been in Prospecting for 42 days (limit 10)\n"
                        "3 low_coverage: Ann Rep has 0.0x pipeline coverage this quarter (target 3.0x)\n"
                        "3 behind_pace: Ann Rep is at 20% of quota with 82% of the quarter gone\n"
                        "3 lead_past_sla: lead 204 has waited 120 minutes for a first follow-up (SLA 60)\n"
                        "2 past_close_date: deal 103 is open 5 days after its close date\n"
                        "2 low_coverage: Bob Rep has 2.0x pipeline coverage this quarter (target 3.0x)\n"
                        "2 lead_past_sla: lead 203 has waited 16020 minutes for a first follow-up (SLA 60)\n");
    near(w[2].limit, 74.0 / 90, "pace");
    free(w);
    /* Bob sees his own: d3's two, his coverage and his lead L3 */
    uint8_t bob_only[3] = {0, 0, 1};
    q.visible = bob_only;
    assert_int_equal(rv_warnings(s, &q, 3.0, &w, &n, &err), RV_OK);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++)
        assert_int_equal(w[i].owner, BOB);
    free(w);
    rv_snap_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sums_ratios_medians),
        cmocka_unit_test(composites),
        cmocka_unit_test(dimensions_and_roll_ups),
        cmocka_unit_test(periods_and_fiscal_year),
        cmocka_unit_test(record_access),
        cmocka_unit_test(stage_metrics_from_history),
        cmocka_unit_test(funnel_and_speed_to_lead),
        cmocka_unit_test(retention),
        cmocka_unit_test(data_quality),
        cmocka_unit_test(drill_down),
        cmocka_unit_test(codes_labels_errors),
        cmocka_unit_test(warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
