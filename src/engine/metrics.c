/*
 * metrics.c - the metric and dimension tables and the engine that runs
 * them (metrics.h).
 *
 * How a metric is computed: its `rows` function walks the snapshot arrays
 * it needs and, for every record that counts, calls emit() with a
 * numerator and a denominator (and the day that places the record in a
 * period).  emit() applies record access, the date window and the filters,
 * finds the record's group from the query's dimensions and adds to that
 * group's sums.  The metric's aggregation turns sums into values: a sum, a
 * ratio num/den, or a median of the emitted numerators.  Composite metrics
 * (coverage, quota attainment, CAC, ...) run their parts over the same
 * groups and combine them.
 *
 * Groups are a dense array indexed by the mixed-radix number of the
 * dimension codes, so a query is one pass without hashing.
 */
#include "engine/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "model/money.h"

/* --- dimensions --------------------------------------------------------------- */

const rv_dim_info rv_dims[RV_DIM_COUNT] = {
    [RV_DIM_OWNER] = {"owner", "Owner", "the record's owner (a subscription's: its account's owner)"},
    [RV_DIM_MANAGER] = {"manager", "Manager", "the owner's manager"},
    [RV_DIM_TEAM] = {"team", "Team", "the owner's team"},
    [RV_DIM_REGION] = {"region", "Region", "the owner's region (else their team's)"},
    [RV_DIM_INDUSTRY] = {"industry", "Industry", "the account's industry"},
    [RV_DIM_COMPANY_SIZE] = {"company_size", "Company size", "the account's head count band: 1-10, 11-50, 51-200, 201-1000, 1001-5000, 5001+"},
    [RV_DIM_COUNTRY] = {"country", "Country", "the account's country"},
    [RV_DIM_PRODUCT] = {"product", "Product", "the deal's product (its largest line), or the subscription's"},
    [RV_DIM_SOURCE] = {"source", "Source", "lead or deal source"},
    [RV_DIM_CAMPAIGN] = {"campaign", "Campaign", "the campaign that brought the lead or deal"},
    [RV_DIM_CHANNEL] = {"channel", "Channel", "the campaign's channel"},
    [RV_DIM_PIPELINE] = {"pipeline", "Pipeline", "the deal's pipeline"},
    [RV_DIM_STAGE] = {"stage", "Stage", "the deal's stage (for stage metrics: the stage measured)"},
    [RV_DIM_TYPE] = {"type", "Deal type", "new, expansion or renewal"},
    [RV_DIM_MONTH] = {"month", "Month", "calendar month, 2017-05"},
    [RV_DIM_QUARTER] = {"quarter", "Quarter", "fiscal quarter, 2017-Q2 (FY2018-Q1 when the fiscal year does not start in January)"},
    [RV_DIM_YEAR] = {"year", "Year", "fiscal year, 2017 (FY2018 when it does not start in January)"},
    [RV_DIM_FUNNEL_STAGE] = {"funnel_stage", "Funnel stage", "lead, mql, sql, opportunity, won"},
    [RV_DIM_FIELD] = {"field", "Field", "entity.field checked (data quality)"},
    [RV_DIM_ENTITY] = {"entity", "Entity", "accounts, contacts or leads (duplicates)"},
    [RV_DIM_BUCKET] = {"bucket", "Attainment band", "<50%, 50-75%, 75-100%, 100-125%, >=125%"},
    [RV_DIM_KIND] = {"kind", "Activity kind", "call, email, meeting, note, task"},
};

int rv_dim_find(const char *name)
{
    for (int i = 0; i < RV_DIM_COUNT; i++)
        if (name && !strcmp(rv_dims[i].name, name))
            return i;
    return -1;
}

bool rv_dim_is_period(rv_dim d) { return d == RV_DIM_MONTH || d == RV_DIM_QUARTER || d == RV_DIM_YEAR; }

static const char *const unit_names[] = {"money", "count", "ratio", "days", "minutes", "months", "money_per_day", "per_day"};
const char *rv_unit_name(rv_unit u) { return (unsigned)u < 8 ? unit_names[u] : "?"; }

static const char *const funnel_names[] = {"lead", "mql", "sql", "opportunity", "won"};
static const char *const bucket_names[] = {"<50%", "50-75%", "75-100%", "100-125%", ">=125%"};
static const char *const size_names[] = {"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"};
static const char *const kind_names[] = {"call", "email", "meeting", "note", "task"};
static const char *const type_names[] = {"new", "expansion", "renewal"};
static const char *const dup_entities[] = {"accounts", "contacts", "leads"};

/* Fields whose completeness is measured, and the invalid-value checks. */
enum { QE_DEALS, QE_ACCOUNTS, QE_CONTACTS, QE_LEADS };
static const struct qfield {
    const char *name;
    int entity;
    unsigned bit;
} qfields[] = {
    {"deals.amount", QE_DEALS, RV_Q_DEAL_AMOUNT},
    {"deals.close_date", QE_DEALS, RV_Q_DEAL_CLOSE},
    {"deals.account_id", QE_DEALS, RV_Q_DEAL_ACCOUNT},
    {"deals.next_step", QE_DEALS, RV_Q_DEAL_NEXT_STEP},
    {"deals.source", QE_DEALS, RV_Q_DEAL_SOURCE},
    {"accounts.domain", QE_ACCOUNTS, RV_Q_ACC_DOMAIN},
    {"accounts.industry", QE_ACCOUNTS, RV_Q_ACC_INDUSTRY},
    {"accounts.employees", QE_ACCOUNTS, RV_Q_ACC_EMPLOYEES},
    {"accounts.country", QE_ACCOUNTS, RV_Q_ACC_COUNTRY},
    {"accounts.owner_id", QE_ACCOUNTS, RV_Q_ACC_OWNER},
    {"contacts.email", QE_CONTACTS, RV_Q_PERSON_EMAIL},
    {"contacts.phone", QE_CONTACTS, RV_Q_PERSON_PHONE},
    {"contacts.title", QE_CONTACTS, RV_Q_PERSON_TITLE},
    {"contacts.account_id", QE_CONTACTS, RV_Q_PERSON_COMPANY},
    {"leads.email", QE_LEADS, RV_Q_PERSON_EMAIL},
    {"leads.phone", QE_LEADS, RV_Q_PERSON_PHONE},
    {"leads.company", QE_LEADS, RV_Q_PERSON_COMPANY},
    {"leads.source", QE_LEADS, RV_Q_PERSON_SOURCE},
};
#define NQFIELDS ((int)(sizeof qfields / sizeof qfields[0]))
static const struct qfield badfields[] = {
    {"accounts.domain", QE_ACCOUNTS, RV_Q_ACC_BAD_DOMAIN},
    {"accounts.phone", QE_ACCOUNTS, RV_Q_ACC_BAD_PHONE},
    {"contacts.phone", QE_CONTACTS, RV_Q_PERSON_BAD_PHONE},
    {"contacts.email", QE_CONTACTS, RV_Q_PERSON_BAD_EMAIL},
    {"leads.phone", QE_LEADS, RV_Q_PERSON_BAD_PHONE},
    {"leads.email", QE_LEADS, RV_Q_PERSON_BAD_EMAIL},
};
#define NBADFIELDS ((int)(sizeof badfields / sizeof badfields[0]))

/* The field dimension's code of a checked field: its place in qfields,
 * where completeness and invalid_values share one code for one name
 * (a filter "field=leads.email" means the same field for both); a field
 * checked only for invalid values comes after, at NQFIELDS + its place
 * in badfields. */
static int32_t field_code(const struct qfield *f)
{
    for (int k = 0; k < NQFIELDS; k++)
        if (!strcmp(qfields[k].name, f->name))
            return k;
    return NQFIELDS + (int32_t)(f - badfields);
}

static const char *field_name(int32_t code)
{
    return code < NQFIELDS ? qfields[code].name
           : code < NQFIELDS + NBADFIELDS ? badfields[code - NQFIELDS].name
                                          : "?";
}

/* --- periods ---------------------------------------------------------------------- */

/* Fiscal month index: months since the start of fiscal year 0. */
static int32_t fmonth(const rv_snap *s, int32_t day)
{
    int y;
    unsigned m, d;
    rv_civil_from_days(day, &y, &m, &d);
    return y * 12 + (int32_t)m - 1 - (s->fy_start - 1);
}

static int32_t floordiv(int32_t a, int32_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int32_t rv_period_code(const rv_snap *s, rv_dim d, int32_t day)
{
    if (day == RV_DAY_NONE)
        return RV_NONE;
    if (d == RV_DIM_MONTH) { /* calendar months */
        int y;
        unsigned m, dd;
        rv_civil_from_days(day, &y, &m, &dd);
        return y * 12 + (int32_t)m - 1;
    }
    int32_t fm = fmonth(s, day);
    return d == RV_DIM_QUARTER ? floordiv(fm, 3) : floordiv(fm, 12);
}

int32_t rv_period_start(const rv_snap *s, rv_dim d, int32_t code)
{
    int32_t m = d == RV_DIM_MONTH ? code : (d == RV_DIM_QUARTER ? code * 3 : code * 12) + s->fy_start - 1;
    return rv_days_from_civil(floordiv(m, 12), (unsigned)(m - floordiv(m, 12) * 12) + 1, 1);
}

static int32_t period_end(const rv_snap *s, rv_dim d, int32_t code)
{
    return rv_period_start(s, d, code + 1);
}

/* The name of fiscal year y (by the calendar year it ends in). */
static int fy_name(const rv_snap *s, int32_t y) { return y + (s->fy_start > 1); }

static void period_label(const rv_snap *s, rv_dim d, int32_t code, char *buf, size_t cap)
{
    const char *fy = s->fy_start > 1 ? "FY" : "";
    if (d == RV_DIM_MONTH)
        snprintf(buf, cap, "%04d-%02d", floordiv(code, 12), code - floordiv(code, 12) * 12 + 1);
    else if (d == RV_DIM_QUARTER)
        snprintf(buf, cap, "%s%04d-Q%d", fy, fy_name(s, floordiv(code, 4)), code - floordiv(code, 4) * 4 + 1);
    else
        snprintf(buf, cap, "%s%04d", fy, fy_name(s, code));
}

rv_status rv_period_parse(const rv_snap *s, const char *text, int32_t *from, int32_t *to, rv_err *err)
{
    int y, q, m, n = 0;
    const char *t = text;
    bool fy = !strncasecmp(t, "FY", 2);
    if (fy)
        t += 2;
    if (sscanf(t, "%4d-Q%1d%n", &y, &q, &n) == 2 && !t[n] && q >= 1 && q <= 4) {
        int32_t code = (y - (s->fy_start > 1)) * 4 + q - 1;
        *from = rv_period_start(s, RV_DIM_QUARTER, code);
        *to = period_end(s, RV_DIM_QUARTER, code);
        return RV_OK;
    }
    if (!fy && sscanf(t, "%4d-%2d%n", &y, &m, &n) == 2 && !t[n] && m >= 1 && m <= 12) {
        *from = rv_period_start(s, RV_DIM_MONTH, y * 12 + m - 1);
        *to = period_end(s, RV_DIM_MONTH, y * 12 + m - 1);
        return RV_OK;
    }
    if (sscanf(t, "%4d%n", &y, &n) == 1 && !t[n] && y > 1900 && y < 3000) {
        int32_t code = y - (s->fy_start > 1);
        *from = rv_period_start(s, RV_DIM_YEAR, code);
        *to = period_end(s, RV_DIM_YEAR, code);
        return RV_OK;
    }
    return rv_err_set(err, RV_EINVAL, "period",
                      "period must be month, quarter, year, or one like 2017, 2017-Q2 or 2017-05, got '%s'",
                      text);
}

/* --- what a metric is ----------------------------------------------------------- */

/* Bases: the record sets metrics walk.  Each knows how to reach the
 * dimensions (owner, account, deal, ...). */
enum {
    B_DEALS, B_HIST, B_LEADS, B_ACTS, B_TOUCHES, B_SUBS, B_ACCOUNTS, B_QUOTAS, B_CAMPAIGNS,
    B_USERS, B_CONTACTS, B_N
};

#define DM(d) (1u << (d))
#define D_PERIOD (DM(RV_DIM_MONTH) | DM(RV_DIM_QUARTER) | DM(RV_DIM_YEAR))
#define D_PEOPLE (DM(RV_DIM_OWNER) | DM(RV_DIM_MANAGER) | DM(RV_DIM_TEAM) | DM(RV_DIM_REGION))
#define D_ACCOUNT (DM(RV_DIM_INDUSTRY) | DM(RV_DIM_COMPANY_SIZE) | DM(RV_DIM_COUNTRY))
#define D_DEAL (D_PEOPLE | D_ACCOUNT | D_PERIOD | DM(RV_DIM_PRODUCT) | DM(RV_DIM_SOURCE) |      \
                DM(RV_DIM_CAMPAIGN) | DM(RV_DIM_CHANNEL) | DM(RV_DIM_PIPELINE) | DM(RV_DIM_STAGE) | \
                DM(RV_DIM_TYPE))

static const uint32_t base_dims[B_N] = {
    [B_DEALS] = D_DEAL,
    [B_HIST] = D_DEAL,
    [B_LEADS] = D_PEOPLE | D_PERIOD | DM(RV_DIM_SOURCE) | DM(RV_DIM_CAMPAIGN) | DM(RV_DIM_CHANNEL),
    [B_ACTS] = D_PEOPLE | D_PERIOD | DM(RV_DIM_KIND),
    [B_TOUCHES] = D_PERIOD | DM(RV_DIM_CAMPAIGN) | DM(RV_DIM_CHANNEL),
    [B_SUBS] = D_PEOPLE | D_ACCOUNT | D_PERIOD | DM(RV_DIM_PRODUCT),
    [B_ACCOUNTS] = D_PEOPLE | D_ACCOUNT | D_PERIOD,
    [B_QUOTAS] = D_PEOPLE | D_PERIOD,
    [B_CAMPAIGNS] = D_PERIOD | DM(RV_DIM_CAMPAIGN) | DM(RV_DIM_CHANNEL),
    [B_USERS] = D_PEOPLE | D_PERIOD,
    [B_CONTACTS] = D_PEOPLE | D_ACCOUNT,
};
static const char *const base_entity[B_N] = {"deals", "deals", "leads", NULL, NULL, "subscriptions",
                                             "accounts", "quotas", "campaigns", "users", "contacts"};

typedef enum { AGG_SUM, AGG_RATIO, AGG_MEDIAN, AGG_COMBINE } agg_kind;

typedef struct run run;
typedef void (*rows_fn)(run *r);
typedef bool (*combine_fn)(const run *r, const double *v, const bool *null, double *out);

#define MAX_DEPS 4

struct rv_metric {
    rv_metric_info info;
    agg_kind agg;
    double scale; /* value = num / den / scale (ratio), num / scale (sum) */
    uint32_t bases; /* bitmask of B_* the rows function emits from */
    int own;        /* a dimension only this metric's rows carry, -1 */
    rows_fn rows;
    const char *deps[MAX_DEPS];
    combine_fn combine;
    int window;     /* default window: W_NONE, W_QUARTER, W_TODAY, W_YEAR, W_90 */
};
enum { W_NONE, W_QUARTER, W_TODAY, W_YEAR, W_90 };

/* Inlined into every rows function, so that the base (a constant at each
 * call) picks its branch of the dimension lookups at compile time. */
#define RV_HOT __attribute__((always_inline)) inline

/* --- the run ---------------------------------------------------------------------- */

typedef struct acc {
    int64_t num, den, rows;
} acc;

typedef struct kv {
    uint32_t key;
    double v;
} kv;

typedef struct bucket {
    int32_t start, end; /* [start, end) */
} bucket;

struct run {
    const rv_snap *s;
    const rv_mquery *q;
    const rv_metric *m;
    int32_t from, to;
    int ndims;
    rv_dim dims[RV_MQ_MAX_DIMS];
    int32_t lo[RV_MQ_MAX_DIMS], card[RV_MQ_MAX_DIMS];
    uint32_t nkeys;
    acc *acc;
    acc total;
    kv *vals;
    size_t nvals, capvals;
    bool by_own;
    /* buckets for metrics measured at points or over spans of time */
    bucket *b;
    int nb;
    /* period codes of the days [plo, plo + pn) for each period dimension
     * of the query, so that a record's period is a lookup */
    int32_t *ptab[RV_MQ_MAX_DIMS];
    int32_t plo, pn;
    /* set by run_setup() for emit(): the window as [wfrom, wto), where an
     * undated record (RV_DAY_NONE, below every day) falls outside any
     * window that has a bound; whether access, filters or a drill-down
     * apply; whether values are kept for a median */
    int32_t wfrom, wto;
    bool checks, median;
    /* drill-down */
    rv_drill_fn drill;
    void *drill_ud;
    uint8_t *drilled;
    int drill_base;
    int stop;
};

RV_HOT static int32_t owner_of(const rv_snap *s, int b, uint32_t i)
{
    switch (b) {
    case B_DEALS: return s->deals.owner[i];
    case B_HIST: return s->deals.owner[s->history.deal[i]];
    case B_LEADS: return s->leads.owner[i];
    case B_ACTS: return s->activities.owner[i];
    case B_TOUCHES: {
        int32_t d = s->touches.deal[i], l = s->touches.lead[i];
        return d >= 0 ? s->deals.owner[d] : l >= 0 ? s->leads.owner[l] : RV_NONE;
    }
    case B_SUBS: {
        int32_t a = s->subs.account[i];
        return a >= 0 ? s->accounts.owner[a] : RV_NONE;
    }
    case B_ACCOUNTS: return s->accounts.owner[i];
    case B_QUOTAS: return s->quotas.user[i];
    case B_CAMPAIGNS: return s->campaigns.owner[i];
    case B_USERS: return (int32_t)i;
    case B_CONTACTS: return s->contacts.owner[i];
    }
    return RV_NONE;
}

RV_HOT static int32_t deal_of(const rv_snap *s, int b, uint32_t i)
{
    switch (b) {
    case B_DEALS: return (int32_t)i;
    case B_HIST: return s->history.deal[i];
    case B_ACTS: return s->activities.deal[i];
    case B_TOUCHES: return s->touches.deal[i];
    default: return RV_NONE;
    }
}

RV_HOT static int32_t account_of(const rv_snap *s, int b, uint32_t i)
{
    switch (b) {
    case B_SUBS: return s->subs.account[i];
    case B_ACCOUNTS: return (int32_t)i;
    case B_CONTACTS: return s->contacts.account[i];
    default: {
        int32_t d = deal_of(s, b, i);
        return d >= 0 ? s->deals.account[d] : RV_NONE;
    }
    }
}

RV_HOT static int32_t campaign_of(const rv_snap *s, int b, uint32_t i)
{
    switch (b) {
    case B_LEADS: return s->leads.campaign[i];
    case B_TOUCHES: return s->touches.campaign[i];
    case B_CAMPAIGNS: return (int32_t)i;
    default: {
        int32_t d = deal_of(s, b, i);
        return d >= 0 ? s->deals.campaign[d] : RV_NONE;
    }
    }
}

static int32_t size_band(int32_t e)
{
    if (e < 0)
        return RV_NONE;
    return e <= 10 ? 0 : e <= 50 ? 1 : e <= 200 ? 2 : e <= 1000 ? 3 : e <= 5000 ? 4 : 5;
}

static int32_t user_region(const rv_snap *s, int32_t u)
{
    if (u < 0)
        return RV_NONE;
    int32_t r = s->users.region[u], t = s->users.team[u];
    return r >= 0 ? r : t >= 0 ? s->teams.region[t] : RV_NONE;
}

/* The code of dimension d for row i of base b. */
RV_HOT static int32_t dcode(const rv_snap *s, int b, uint32_t i, rv_dim d, int32_t own, int32_t day)
{
    switch (d) {
    case RV_DIM_OWNER: return owner_of(s, b, i);
    case RV_DIM_MANAGER: {
        int32_t o = owner_of(s, b, i);
        return o >= 0 ? s->users.manager[o] : RV_NONE;
    }
    case RV_DIM_TEAM: {
        int32_t o = owner_of(s, b, i);
        return o >= 0 ? s->users.team[o] : RV_NONE;
    }
    case RV_DIM_REGION: return user_region(s, owner_of(s, b, i));
    case RV_DIM_INDUSTRY: {
        int32_t a = account_of(s, b, i);
        return a >= 0 ? s->accounts.industry[a] : RV_NONE;
    }
    case RV_DIM_COMPANY_SIZE: {
        int32_t a = account_of(s, b, i);
        return a >= 0 ? size_band(s->accounts.employees[a]) : RV_NONE;
    }
    case RV_DIM_COUNTRY: {
        int32_t a = account_of(s, b, i);
        return a >= 0 ? s->accounts.country[a] : RV_NONE;
    }
    case RV_DIM_PRODUCT: {
        if (b == B_SUBS)
            return s->subs.product[i];
        int32_t dl = deal_of(s, b, i);
        return dl >= 0 ? s->deals.product[dl] : RV_NONE;
    }
    case RV_DIM_SOURCE: {
        if (b == B_LEADS)
            return s->leads.source[i];
        int32_t dl = deal_of(s, b, i);
        return dl >= 0 ? s->deals.source[dl] : RV_NONE;
    }
    case RV_DIM_CAMPAIGN: return campaign_of(s, b, i);
    case RV_DIM_CHANNEL: {
        int32_t c = campaign_of(s, b, i);
        return c >= 0 ? s->campaigns.channel[c] : RV_NONE;
    }
    case RV_DIM_PIPELINE: {
        int32_t dl = deal_of(s, b, i);
        return dl >= 0 ? s->deals.pipeline[dl] : RV_NONE;
    }
    case RV_DIM_STAGE: {
        if (own != RV_NONE)
            return own;
        if (b == B_HIST)
            return s->history.stage[i];
        int32_t dl = deal_of(s, b, i);
        return dl >= 0 ? s->deals.stage[dl] : RV_NONE;
    }
    case RV_DIM_TYPE: {
        int32_t dl = deal_of(s, b, i);
        return dl >= 0 ? s->deals.type[dl] : RV_NONE;
    }
    case RV_DIM_MONTH:
    case RV_DIM_QUARTER:
    case RV_DIM_YEAR: return rv_period_code(s, d, day);
    case RV_DIM_KIND: return b == B_ACTS ? s->activities.kind[i] : own;
    default: return own;
    }
}

/* Is row i of base b visible to the asker? */
RV_HOT static bool visible(const run *r, int b, uint32_t i)
{
    if (!r->q->visible)
        return true;
    int32_t o = owner_of(r->s, b, i);
    return o < 0 ? r->q->see_unowned : r->q->visible[o] != 0;
}

static void push_val(run *r, uint32_t key, double v)
{
    if (r->nvals == r->capvals) {
        r->capvals = r->capvals ? r->capvals * 2 : 1024;
        r->vals = rv_xrealloc(r->vals, r->capvals * sizeof *r->vals);
    }
    r->vals[r->nvals++] = (kv){key, v};
}

static void drill_mark(run *r, int b, uint32_t i)
{
    uint32_t row = b == B_HIST ? (uint32_t)r->s->history.deal[i] : i;
    if (r->drilled[row])
        return;
    r->drilled[row] = 1;
    if (!r->stop)
        r->stop = r->drill(r->drill_ud, row);
}

/* One record's contribution.  own: the code of the metric's own
 * dimension (RV_NONE if none); day: places the record in a period. */
RV_HOT static void emit(run *r, int b, uint32_t i, int32_t own, int32_t day, int64_t num, int64_t den)
{
    const rv_snap *s = r->s;
    if (day < r->wfrom || day >= r->wto)
        return;
    if (r->checks) {
        if (!visible(r, b, i))
            return;
        const rv_mquery *q = r->q;
        for (int f = 0; f < q->nfilters; f++)
            if (dcode(s, b, i, q->filters[f].dim, own, day) != q->filters[f].code)
                return;
        if (r->drill) {
            if ((int)b == r->drill_base)
                drill_mark(r, b, i);
            return;
        }
    }
    uint32_t key = 0;
    for (int k = 0; k < r->ndims; k++) {
        int32_t c = r->ptab[k] && day != RV_DAY_NONE && (uint32_t)(day - r->plo) < (uint32_t)r->pn
                        ? r->ptab[k][day - r->plo]
                        : dcode(s, b, i, r->dims[k], own, day);
        int32_t x = c == RV_NONE ? 0 : c - r->lo[k] + 1;
        if (x < 0 || x >= r->card[k])
            x = 0;
        key = key * (uint32_t)r->card[k] + (uint32_t)x;
    }
    acc *a = &r->acc[key];
    a->num += num, a->den += den, a->rows++;
    r->total.num += num, r->total.den += den, r->total.rows++;
    if (r->median)
        push_val(r, key, (double)num);
}

/* --- helpers for rows functions ---------------------------------------------- */

#define S (r->s)
#define FOR_DEALS(i) for (uint32_t i = 0; i < S->deals.n; i++) if (!S->deals.dead[i])
#define FOR_LEADS(i) for (uint32_t i = 0; i < S->leads.n; i++) if (!S->leads.dead[i])

static int kind_of(const rv_snap *s, uint32_t d)
{
    int32_t st = s->deals.stage[d];
    return st < 0 ? -1 : s->stages.kind[st];
}
static bool is_open(const rv_snap *s, uint32_t d) { return kind_of(s, d) == RV_STAGE_OPEN; }
static bool is_won(const rv_snap *s, uint32_t d) { return kind_of(s, d) == RV_STAGE_WON; }
static bool is_lost(const rv_snap *s, uint32_t d) { return kind_of(s, d) == RV_STAGE_LOST; }

static int prob_of(const rv_snap *s, uint32_t d)
{
    if (s->deals.prob[d] != RV_PROB_STAGE)
        return s->deals.prob[d];
    int32_t st = s->deals.stage[d];
    return st >= 0 ? s->stages.prob[st] : 0;
}

/* The buckets a metric measured over time runs for: one per period of the
 * query's period dimension inside the window, else the window itself. */
static void make_buckets(run *r)
{
    rv_dim pd = RV_DIM_COUNT;
    for (int k = 0; k < r->ndims; k++)
        if (rv_dim_is_period(r->dims[k]))
            pd = r->dims[k];
    for (int f = 0; f < r->q->nfilters && pd == RV_DIM_COUNT; f++)
        if (rv_dim_is_period(r->q->filters[f].dim))
            pd = r->q->filters[f].dim;
    int32_t from = r->from != RV_DAY_NONE ? r->from : r->s->min_day;
    int32_t to = r->to != RV_DAY_NONE ? r->to : r->s->max_day + 1;
    if (pd == RV_DIM_COUNT) {
        r->b = rv_xmalloc(sizeof *r->b);
        r->b[0] = (bucket){from, to};
        r->nb = 1;
        return;
    }
    int32_t c0 = rv_period_code(r->s, pd, from), c1 = rv_period_code(r->s, pd, to - 1);
    r->nb = c1 - c0 + 1;
    r->b = rv_xmalloc((size_t)r->nb * sizeof *r->b);
    for (int k = 0; k < r->nb; k++) {
        int32_t a = rv_period_start(r->s, pd, c0 + k), e = period_end(r->s, pd, c0 + k);
        r->b[k] = (bucket){a > from ? a : from, e < to ? e : to};
    }
}

/* The day a stock (ARR at the end of a bucket) is measured: the bucket's
 * last day, or today when the bucket ends later. */
static int32_t stock_day(const run *r, const bucket *b)
{
    int32_t d = b->end - 1;
    return d > r->s->today ? r->s->today : d;
}

static bool sub_active(const rv_snap *s, uint32_t i, int32_t day)
{
    return !s->subs.dead[i] && s->subs.start[i] != RV_DAY_NONE && s->subs.start[i] <= day &&
           (s->subs.end[i] == RV_DAY_NONE || s->subs.end[i] > day);
}

/* --- rows functions: pipeline ----------------------------------------------------- */

static void r_pipeline_value(run *r)
{
    FOR_DEALS(i) if (is_open(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.amount[i], 0);
}
static void r_weighted_pipeline(run *r)
{
    FOR_DEALS(i) if (is_open(S, i))
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.amount[i] * prob_of(S, i), 0);
}
static void r_open_deals(run *r)
{
    FOR_DEALS(i) if (is_open(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], 1, 0);
}
static void r_pipeline_created(run *r)
{
    FOR_DEALS(i) emit(r, B_DEALS, i, RV_NONE, S->deals.created[i], S->deals.amount[i], 0);
}
static void r_deals_created(run *r)
{
    FOR_DEALS(i) emit(r, B_DEALS, i, RV_NONE, S->deals.created[i], 1, 0);
}

/* Stage-to-stage conversion: of the deals that reached an open stage,
 * the share that went further (a later stage or won).  Deals sitting in
 * the stage now have no outcome yet and are left out. */
static void r_stage_conversion(run *r)
{
    FOR_DEALS(i)
    {
        int32_t p = S->deals.pipeline[i], mp = S->deals.max_pos[i];
        if (mp == RV_NONE || p < 0)
            continue;
        for (uint32_t st = 0; st < S->stages.n; st++) {
            if (S->stages.pipeline[st] != p || S->stages.kind[st] != RV_STAGE_OPEN)
                continue;
            int32_t pos = S->stages.position[st];
            if (mp < pos || (S->deals.stage[i] == (int32_t)st))
                continue;
            emit(r, B_DEALS, i, (int32_t)st, S->deals.created[i], mp > pos, 1);
        }
    }
}

static void r_time_in_stage(run *r)
{
    for (uint32_t i = 0; i < S->history.n; i++) {
        int32_t d = S->history.deal[i], st = S->history.stage[i];
        if (d < 0 || st < 0 || S->deals.dead[d] || S->stages.kind[st] != RV_STAGE_OPEN ||
            S->history.left[i] == RV_MS_NONE)
            continue;
        emit(r, B_HIST, i, RV_NONE, rv_snap_day(S->history.at[i]),
             S->history.left[i] - S->history.at[i], 1);
    }
}

static bool stalled(const rv_snap *s, uint32_t i)
{
    int32_t st = s->deals.stage[i];
    return st >= 0 && s->stages.kind[st] == RV_STAGE_OPEN && s->stages.stall_days[st] != RV_NONE &&
           s->deals.stage_since[i] != RV_DAY_NONE &&
           s->today - s->deals.stage_since[i] > s->stages.stall_days[st];
}
static void r_stalled(run *r)
{
    FOR_DEALS(i) if (stalled(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], 1, 0);
}
static void r_slipped(run *r)
{
    FOR_DEALS(i) if (S->deals.pushes[i]) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], 1, 0);
}
static void r_past_close(run *r)
{
    FOR_DEALS(i) if (is_open(S, i) && S->deals.close[i] != RV_DAY_NONE && S->deals.close[i] < S->today)
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], 1, 0);
}

/* --- outcomes -------------------------------------------------------------------- */

static void r_win_rate(run *r)
{
    FOR_DEALS(i)
    {
        int k = kind_of(S, i);
        if (k == RV_STAGE_WON || k == RV_STAGE_LOST)
            emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], k == RV_STAGE_WON, 1);
    }
}
static void r_win_rate_value(run *r)
{
    FOR_DEALS(i)
    {
        int k = kind_of(S, i);
        if (k == RV_STAGE_WON || k == RV_STAGE_LOST)
            emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], k == RV_STAGE_WON ? S->deals.amount[i] : 0,
                 S->deals.amount[i]);
    }
}
static void r_won_revenue(run *r)
{
    FOR_DEALS(i) if (is_won(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.amount[i], 1);
}
static void r_won_deals(run *r)
{
    FOR_DEALS(i) if (is_won(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], 1, 0);
}
static void r_lost_deals(run *r)
{
    FOR_DEALS(i) if (is_lost(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], 1, 0);
}
static void r_lost_revenue(run *r)
{
    FOR_DEALS(i) if (is_lost(S, i)) emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.amount[i], 0);
}
static void r_sales_cycle(run *r)
{
    FOR_DEALS(i) if (is_won(S, i) && S->deals.created[i] != RV_DAY_NONE && S->deals.close[i] != RV_DAY_NONE)
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.close[i] - S->deals.created[i], 1);
}
static void r_discount(run *r)
{
    FOR_DEALS(i) if (is_won(S, i) && S->deals.list_amount[i] > S->deals.amount[i])
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.list_amount[i] - S->deals.amount[i], 0);
}
static void r_discount_rate(run *r)
{
    FOR_DEALS(i) if (is_won(S, i) && S->deals.list_amount[i] > 0)
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i],
             S->deals.list_amount[i] > S->deals.amount[i] ? S->deals.list_amount[i] - S->deals.amount[i] : 0,
             S->deals.list_amount[i]);
}
static void r_reps(run *r)
{
    /* a rep counts in every period of the window (their quota-carrying presence) */
    for (uint32_t u = 0; u < S->users.n; u++)
        if (S->users.active[u] && S->users.role[u] == 2 /* rep */)
            for (int k = 0; k < r->nb; k++)
                emit(r, B_USERS, u, RV_NONE, r->b[k].start, 1, 0);
}
static void r_quota(run *r)
{
    for (uint32_t i = 0; i < S->quotas.n; i++)
        if (!S->quotas.dead[i])
            emit(r, B_QUOTAS, i, RV_NONE, S->quotas.start[i], S->quotas.amount[i], 0);
}

/* Attainment per rep in each bucket, counted into bands. */
static void r_attainment_dist(run *r)
{
    uint32_t nu = S->users.n;
    int64_t *won = rv_xmalloc((size_t)(nu ? nu : 1) * sizeof *won);
    int64_t *quota = rv_xmalloc((size_t)(nu ? nu : 1) * sizeof *quota);
    for (int k = 0; k < r->nb; k++) {
        memset(won, 0, (size_t)nu * sizeof *won);
        memset(quota, 0, (size_t)nu * sizeof *quota);
        const bucket *b = &r->b[k];
        FOR_DEALS(i)
        {
            int32_t c = S->deals.close[i], o = S->deals.owner[i];
            if (o >= 0 && is_won(S, i) && c != RV_DAY_NONE && c >= b->start && c < b->end)
                won[o] += S->deals.amount[i];
        }
        for (uint32_t i = 0; i < S->quotas.n; i++) {
            int32_t u = S->quotas.user[i], st = S->quotas.start[i];
            if (!S->quotas.dead[i] && u >= 0 && st >= b->start && st < b->end)
                quota[u] += S->quotas.amount[i];
        }
        for (uint32_t u = 0; u < nu; u++) {
            if (quota[u] <= 0)
                continue;
            double a = (double)won[u] / (double)quota[u];
            int band = a < 0.5 ? 0 : a < 0.75 ? 1 : a < 1.0 ? 2 : a < 1.25 ? 3 : 4;
            emit(r, B_USERS, u, band, b->start, 1, 0);
        }
    }
    free(won);
    free(quota);
}

/* --- funnel and leads --------------------------------------------------------------- */

static int funnel_reached(const rv_snap *s, uint32_t i)
{
    int st = s->leads.status[i];
    int32_t d = s->leads.deal[i];
    if (d >= 0 && !s->deals.dead[d] && is_won(s, (uint32_t)d))
        return 4;
    if (d >= 0 || st == RV_LEAD_CONVERTED || s->leads.converted[i] != RV_MS_NONE)
        return 3;
    if (st == RV_LEAD_SQL || s->leads.sql[i] != RV_MS_NONE)
        return 2;
    if (st == RV_LEAD_MQL || s->leads.mql[i] != RV_MS_NONE)
        return 1;
    return 0;
}
static int32_t lead_day(const rv_snap *s, uint32_t i) { return rv_snap_day(s->leads.created[i]); }

static void r_leads_created(run *r)
{
    FOR_LEADS(i) emit(r, B_LEADS, i, RV_NONE, lead_day(S, i), 1, 0);
}
static void r_funnel(run *r)
{
    FOR_LEADS(i)
    {
        int reached = funnel_reached(S, i);
        if (!r->by_own) /* without the funnel dimension: the leads at the top */
            emit(r, B_LEADS, i, 0, lead_day(S, i), 1, 0);
        else
            for (int k = 0; k <= reached; k++)
                emit(r, B_LEADS, i, k, lead_day(S, i), 1, 0);
    }
}
static void funnel_step(run *r, bool leak)
{
    FOR_LEADS(i)
    {
        int reached = funnel_reached(S, i);
        if (!r->by_own) { /* lead to won, end to end */
            bool won = reached == 4;
            emit(r, B_LEADS, i, 4, lead_day(S, i), leak ? !won : won, 1);
            continue;
        }
        for (int k = 1; k <= 4 && k - 1 <= reached; k++)
            emit(r, B_LEADS, i, k, lead_day(S, i), leak ? reached < k : reached >= k, 1);
    }
}
static void r_funnel_conversion(run *r) { funnel_step(r, false); }
static void r_funnel_leakage(run *r) { funnel_step(r, true); }

static void r_speed_to_lead(run *r)
{
    FOR_LEADS(i) if (S->leads.first_touch[i] != RV_MS_NONE && S->leads.created[i] != RV_MS_NONE &&
                     S->leads.first_touch[i] >= S->leads.created[i])
        emit(r, B_LEADS, i, RV_NONE, lead_day(S, i), S->leads.first_touch[i] - S->leads.created[i], 1);
}
static void r_contacted_5min(run *r)
{
    FOR_LEADS(i)
    {
        int64_t c = S->leads.created[i], t = S->leads.first_touch[i];
        emit(r, B_LEADS, i, RV_NONE, lead_day(S, i), t != RV_MS_NONE && c != RV_MS_NONE && t - c <= 300000, 1);
    }
}
static bool lead_open(const rv_snap *s, uint32_t i)
{
    int st = s->leads.status[i];
    return st != RV_LEAD_DISQUALIFIED && st != RV_LEAD_CONVERTED && s->leads.deal[i] < 0;
}
static void r_no_follow_up(run *r)
{
    FOR_LEADS(i) if (lead_open(S, i) && S->leads.first_touch[i] == RV_MS_NONE)
        emit(r, B_LEADS, i, RV_NONE, lead_day(S, i), 1, 0);
}
static bool past_sla(const rv_snap *s, uint32_t i)
{
    return lead_open(s, i) && s->leads.first_touch[i] == RV_MS_NONE && s->leads.created[i] != RV_MS_NONE &&
           s->now_ms - s->leads.created[i] > (int64_t)s->sla_minutes * 60000;
}
static void r_past_sla(run *r)
{
    FOR_LEADS(i) if (past_sla(S, i)) emit(r, B_LEADS, i, RV_NONE, lead_day(S, i), 1, 0);
}
/* Of the leads whose follow-up SLA has run out, the share touched in time. */
static void r_follow_up_compliance(run *r)
{
    int64_t sla = (int64_t)S->sla_minutes * 60000;
    FOR_LEADS(i)
    {
        int64_t c = S->leads.created[i], t = S->leads.first_touch[i];
        if (c == RV_MS_NONE || (S->now_ms - c < sla && t == RV_MS_NONE))
            continue;
        emit(r, B_LEADS, i, RV_NONE, lead_day(S, i), t != RV_MS_NONE && t - c <= sla, 1);
    }
}

/* --- marketing --------------------------------------------------------------------- */

static void r_spend(run *r)
{
    for (uint32_t i = 0; i < S->campaigns.n; i++)
        emit(r, B_CAMPAIGNS, i, RV_NONE, S->campaigns.start[i], S->campaigns.spend[i], 0);
}
static void r_new_customers(run *r)
{
    for (uint32_t a = 0; a < S->accounts.n; a++)
        if (S->accounts.first_won[a] != RV_DAY_NONE)
            emit(r, B_ACCOUNTS, a, RV_NONE, S->accounts.first_won[a], 1, 0);
}
static void r_sourced_pipeline(run *r)
{
    FOR_DEALS(i) if (S->deals.campaign[i] >= 0) emit(r, B_DEALS, i, RV_NONE, S->deals.created[i], S->deals.amount[i], 0);
}
static void r_influenced_pipeline(run *r)
{
    FOR_DEALS(i) if (S->deals.influenced[i]) emit(r, B_DEALS, i, RV_NONE, S->deals.created[i], S->deals.amount[i], 0);
}
static void r_sourced_revenue(run *r)
{
    FOR_DEALS(i) if (S->deals.campaign[i] >= 0 && is_won(S, i))
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], S->deals.amount[i], 0);
}

/* --- customer success ------------------------------------------------------------ */

static void r_arr(run *r)
{
    for (int k = 0; k < r->nb; k++) {
        int32_t day = stock_day(r, &r->b[k]);
        for (uint32_t i = 0; i < S->subs.n; i++)
            if (sub_active(S, i, day))
                emit(r, B_SUBS, i, RV_NONE, r->b[k].start, 12 * S->subs.mrr[i], 0);
    }
}
static void r_active_customers(run *r)
{
    uint8_t *seen = rv_xcalloc((size_t)S->accounts.n + 1, 1);
    for (int k = 0; k < r->nb; k++) {
        memset(seen, 0, S->accounts.n);
        int32_t day = stock_day(r, &r->b[k]);
        for (uint32_t i = 0; i < S->subs.n; i++) {
            int32_t a = S->subs.account[i];
            if (a >= 0 && !seen[a] && sub_active(S, i, day)) {
                seen[a] = 1;
                emit(r, B_ACCOUNTS, (uint32_t)a, RV_NONE, r->b[k].start, 1, 0);
            }
        }
    }
    free(seen);
}

/* Retention over a bucket [start, end): the accounts with recurring
 * revenue on the first day are the cohort; s_a is their ARR then, e_a
 * their ARR on the last day (expansion included). */
typedef enum { RET_NRR, RET_GRR, RET_CHURN, RET_EXPANSION, RET_CHURNED_ARR } ret_kind;

static void retention(run *r, ret_kind kind)
{
    uint32_t na = S->accounts.n;
    int64_t *sa = rv_xmalloc((size_t)(na ? na : 1) * sizeof *sa);
    int64_t *ea = rv_xmalloc((size_t)(na ? na : 1) * sizeof *ea);
    int64_t *kept = rv_xmalloc((size_t)(na ? na : 1) * sizeof *kept);
    for (int k = 0; k < r->nb; k++) {
        const bucket *b = &r->b[k];
        int32_t d0 = b->start, d1 = stock_day(r, b);
        if (d1 < d0)
            continue;
        memset(sa, 0, (size_t)na * sizeof *sa);
        memset(ea, 0, (size_t)na * sizeof *ea);
        memset(kept, 0, (size_t)na * sizeof *kept);
        for (uint32_t i = 0; i < S->subs.n; i++) {
            int32_t a = S->subs.account[i];
            if (a < 0)
                continue;
            bool at0 = sub_active(S, i, d0), at1 = sub_active(S, i, d1);
            int64_t arr = 12 * S->subs.mrr[i];
            if (at0)
                sa[a] += arr;
            if (at1)
                ea[a] += arr;
            if (at0 && at1)
                kept[a] += arr;
        }
        for (uint32_t a = 0; a < na; a++) {
            if (sa[a] <= 0)
                continue;
            int64_t num = 0, den = sa[a];
            switch (kind) {
            case RET_NRR: num = ea[a]; break;
            case RET_GRR: num = kept[a]; break;
            case RET_CHURN: num = ea[a] == 0, den = 1; break;
            case RET_EXPANSION: num = ea[a] > sa[a] ? ea[a] - sa[a] : 0; break;
            case RET_CHURNED_ARR: num = sa[a] - kept[a]; break;
            }
            emit(r, B_ACCOUNTS, a, RV_NONE, b->start, num, den);
        }
    }
    free(sa);
    free(ea);
    free(kept);
}
static void r_nrr(run *r) { retention(r, RET_NRR); }
static void r_grr(run *r) { retention(r, RET_GRR); }
static void r_churn(run *r) { retention(r, RET_CHURN); }
static void r_expansion(run *r) { retention(r, RET_EXPANSION); }
static void r_churned_arr(run *r) { retention(r, RET_CHURNED_ARR); }

static void r_renewals_due(run *r)
{
    for (uint32_t i = 0; i < S->subs.n; i++)
        if (!S->subs.dead[i] && S->subs.renewal[i] != RV_DAY_NONE &&
            (S->subs.end[i] == RV_DAY_NONE || S->subs.end[i] > S->subs.renewal[i]))
            emit(r, B_SUBS, i, RV_NONE, S->subs.renewal[i], 1, 0);
}
static void r_acv(run *r)
{
    for (uint32_t i = 0; i < S->subs.n; i++)
        if (!S->subs.dead[i])
            emit(r, B_SUBS, i, RV_NONE, S->subs.start[i], 12 * S->subs.mrr[i], 1);
}
/* Gross margin of the recurring revenue active at the end of the bucket,
 * from its products' list price and cost (per mille; products without
 * a price count at full margin). */
static void r_gross_margin(run *r)
{
    for (int k = 0; k < r->nb; k++) {
        int32_t day = stock_day(r, &r->b[k]);
        for (uint32_t i = 0; i < S->subs.n; i++) {
            if (!sub_active(S, i, day))
                continue;
            int32_t p = S->subs.product[i];
            int64_t mrr = S->subs.mrr[i], price = p >= 0 ? S->products.price[p] : 0;
            int64_t cost = p >= 0 ? S->products.cost[p] : 0;
            int64_t margin = price > 0 ? (int64_t)llround(1000.0 * (double)(price - cost) / (double)price) : 1000;
            emit(r, B_SUBS, i, RV_NONE, r->b[k].start, mrr * margin, mrr * 1000);
        }
    }
}

/* --- activity and adoption --------------------------------------------------------- */

static void r_activities(run *r)
{
    for (uint32_t i = 0; i < S->activities.n; i++)
        if (S->activities.day[i] != RV_DAY_NONE)
            emit(r, B_ACTS, i, RV_NONE, S->activities.day[i], 1, 0);
}
static int weekdays(int32_t from, int32_t to)
{
    int n = 0;
    for (int32_t d = from; d < to; d++) {
        int wd = (int)((d % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday: 0 = Sunday */
        n += wd != 0 && wd != 6;
    }
    return n;
}
/* Activities done per rep per working day: activities over (reps x
 * weekdays), each active rep counting every weekday of the bucket. */
static void r_activities_per_rep_day(run *r)
{
    for (uint32_t i = 0; i < S->activities.n; i++) {
        int32_t o = S->activities.owner[i];
        if (S->activities.day[i] != RV_DAY_NONE && o >= 0 && S->users.role[o] == 2)
            emit(r, B_ACTS, i, RV_NONE, S->activities.day[i], 1, 0);
    }
    for (int k = 0; k < r->nb; k++) {
        int wd = weekdays(r->b[k].start, r->b[k].end);
        for (uint32_t u = 0; u < S->users.n; u++) {
            if (!S->users.active[u] || S->users.role[u] != 2)
                continue;
            if (r->by_own)
                for (int kind = 0; kind < 5; kind++)
                    emit(r, B_USERS, u, kind, r->b[k].start, 0, wd);
            else
                emit(r, B_USERS, u, RV_NONE, r->b[k].start, 0, wd);
        }
    }
}
static void r_next_step_share(run *r)
{
    FOR_DEALS(i) if (is_open(S, i))
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], (S->deals.q[i] & RV_Q_DEAL_NEXT_STEP) != 0, 1);
}
static void r_crm_adoption(run *r)
{
    FOR_DEALS(i) if (is_open(S, i))
    {
        int32_t t = S->deals.last_touch[i];
        emit(r, B_DEALS, i, RV_NONE, S->deals.close[i], t != RV_DAY_NONE && S->today - t <= S->stale_days, 1);
    }
}

/* --- data quality ------------------------------------------------------------------ */

/* Is the query plain: every record counts (no window, filter, access
 * mask or drill-down) and its only dimension, if any, is `own`?  Then a
 * record's group depends on nothing but the metric's own code. */
static bool plain(const run *r, rv_dim own)
{
    return r->from == RV_DAY_NONE && r->to == RV_DAY_NONE && !r->q->visible && !r->q->nfilters &&
           !r->drill && (r->ndims == 0 || (r->ndims == 1 && r->dims[0] == own));
}

/* Add n records with sum num (den 1 each) to the group of own code k, as n
 * calls of emit() would on a plain query. */
static void add_plain(run *r, int32_t k, int64_t num, int64_t n)
{
    uint32_t key = 0;
    if (r->ndims) {
        int32_t x = k - r->lo[0] + 1;
        key = x < 0 || x >= r->card[0] ? 0 : (uint32_t)x;
    }
    r->acc[key].num += num, r->acc[key].den += n, r->acc[key].rows += n;
    r->total.num += num, r->total.den += n, r->total.rows += n;
}

/* Plain quality queries: one pass per entity counting every field's bit. */
static void quality_plain(run *r, const struct qfield *f, int nf)
{
    static const int ents[] = {QE_DEALS, QE_ACCOUNTS, QE_CONTACTS, QE_LEADS};
    for (int e = 0; e < 4; e++) {
        const uint8_t *qb = NULL, *dead = NULL;
        uint32_t n = 0;
        switch (ents[e]) {
        case QE_DEALS: qb = S->deals.q, dead = S->deals.dead, n = S->deals.n; break;
        case QE_ACCOUNTS: qb = S->accounts.q, n = S->accounts.n; break;
        case QE_CONTACTS: qb = S->contacts.q, n = S->contacts.n; break;
        case QE_LEADS: qb = S->leads.q, dead = S->leads.dead, n = S->leads.n; break;
        }
        int64_t hist[256] = {0}, bits[8] = {0}, live = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!dead || !dead[i])
                hist[qb[i]]++;
        for (int v = 0; v < 256; v++) {
            live += hist[v];
            for (int b = 0; b < 8; b++)
                bits[b] += (v >> b) & 1 ? hist[v] : 0;
        }
        for (int k = 0; k < nf; k++)
            if (f[k].entity == ents[e])
                add_plain(r, field_code(&f[k]), bits[__builtin_ctz(f[k].bit)], live);
    }
}

static void quality(run *r, const struct qfield *f, int nf)
{
    if (plain(r, RV_DIM_FIELD)) {
        quality_plain(r, f, nf);
        return;
    }
    for (int k = 0; k < nf; k++) {
        int32_t fc = field_code(&f[k]);
        switch (f[k].entity) {
        case QE_DEALS:
            FOR_DEALS(i) emit(r, B_DEALS, i, fc, S->deals.created[i], (S->deals.q[i] & f[k].bit) != 0, 1);
            break;
        case QE_ACCOUNTS:
            for (uint32_t i = 0; i < S->accounts.n; i++)
                emit(r, B_ACCOUNTS, i, fc, RV_DAY_NONE, (S->accounts.q[i] & f[k].bit) != 0, 1);
            break;
        case QE_CONTACTS:
            for (uint32_t i = 0; i < S->contacts.n; i++)
                emit(r, B_CONTACTS, i, fc, RV_DAY_NONE, (S->contacts.q[i] & f[k].bit) != 0, 1);
            break;
        case QE_LEADS:
            FOR_LEADS(i) emit(r, B_LEADS, i, fc, lead_day(S, i), (S->leads.q[i] & f[k].bit) != 0, 1);
            break;
        }
    }
}
static void r_completeness(run *r) { quality(r, qfields, NQFIELDS); }
static void r_invalid(run *r) { quality(r, badfields, NBADFIELDS); }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether each row's key is shared with another row (exact key after
 * normalisation: lower-cased letters and digits). */
static uint8_t *dup_flags(const uint64_t *keys, uint32_t n)
{
    uint64_t *sorted = rv_xmalloc((size_t)(n ? n : 1) * sizeof *sorted);
    if (n) /* an empty table has no key array at all */
        memcpy(sorted, keys, (size_t)n * sizeof *keys);
    qsort(sorted, n, sizeof *sorted, cmp_u64);
    uint8_t *flag = rv_xcalloc((size_t)n + 1, 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!keys[i])
            continue;
        uint64_t *hit = bsearch(&keys[i], sorted, n, sizeof *sorted, cmp_u64);
        flag[i] = (hit > sorted && hit[-1] == keys[i]) || (hit + 1 < sorted + n && hit[1] == keys[i]);
    }
    free(sorted);
    return flag;
}

static void r_duplicate_rate(run *r)
{
    uint8_t *f = dup_flags(S->accounts.dupkey, S->accounts.n);
    for (uint32_t i = 0; i < S->accounts.n; i++)
        if (S->accounts.dupkey[i])
            emit(r, B_ACCOUNTS, i, 0, RV_DAY_NONE, f[i], 1);
    free(f);
    f = dup_flags(S->contacts.dupkey, S->contacts.n);
    for (uint32_t i = 0; i < S->contacts.n; i++)
        if (S->contacts.dupkey[i])
            emit(r, B_CONTACTS, i, 1, RV_DAY_NONE, f[i], 1);
    free(f);
    f = dup_flags(S->leads.dupkey, S->leads.n);
    FOR_LEADS(i) if (S->leads.dupkey[i]) emit(r, B_LEADS, i, 2, lead_day(S, i), f[i], 1);
    free(f);
}

#undef S

/* --- combinations ------------------------------------------------------------------ */

static bool c_div(const run *r, const double *v, const bool *nl, double *out)
{
    if (nl[0] || nl[1] || v[1] == 0)
        return false;
    *out = v[0] / v[1];
    return true;
}
/* pipeline / (quota - won): null when the quota is met */
static bool c_coverage(const run *r, const double *v, const bool *nl, double *out)
{
    double gap = (nl[1] ? 0 : v[1]) - (nl[2] ? 0 : v[2]);
    if (gap <= 0)
        return false;
    *out = (nl[0] ? 0 : v[0]) / gap;
    return true;
}
static bool c_velocity(const run *r, const double *v, const bool *nl, double *out)
{
    for (int i = 0; i < 4; i++)
        if (nl[i])
            return false;
    if (v[3] <= 0)
        return false;
    *out = v[0] * v[1] * v[2] / v[3];
    return true;
}
static bool c_romi(const run *r, const double *v, const bool *nl, double *out)
{
    if (nl[1] || v[1] <= 0)
        return false;
    *out = ((nl[0] ? 0 : v[0]) - v[1]) / v[1];
    return true;
}
static double window_months(const run *r) { return (r->to - r->from) / (365.25 / 12); }
/* LTV = ARPA per month x gross margin / monthly logo churn, where ARPA is
 * ARR / 12 / active customers at the end of the window and the monthly
 * churn is the window's churn rate spread over its months. */
static bool c_ltv(const run *r, const double *v, const bool *nl, double *out)
{
    for (int i = 0; i < 4; i++)
        if (nl[i])
            return false;
    double months = window_months(r);
    if (v[1] <= 0 || v[2] <= 0 || months <= 0)
        return false;
    double arpa = v[0] / 12.0 / v[1], churn_m = v[2] / months;
    *out = arpa * v[3] / churn_m;
    return true;
}
/* months of gross-margin revenue per customer to earn back CAC */
static bool c_payback(const run *r, const double *v, const bool *nl, double *out)
{
    for (int i = 0; i < 4; i++)
        if (nl[i])
            return false;
    if (v[1] <= 0 || v[0] <= 0)
        return false;
    double arpa = v[2] / 12.0 / v[1] * v[3];
    if (arpa <= 0)
        return false;
    *out = v[0] / arpa;
    return true;
}

/* --- the table ----------------------------------------------------------------------- */

#define BM(b) (1u << (b))
#define I(n_, l_, e_, u_, hib_, doc_, f_) .info = {.name = n_, .label = l_, .entity = e_, .unit = u_, .higher_is_better = hib_, .doc = doc_, .formula = f_}

static const rv_metric metrics[] = {
    /* pipeline */
    {I("pipeline_value", "Open pipeline", "deals", RV_UNIT_MONEY, true, "value of the open deals (by close date)", "sum(amount) over deals in an open stage"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_pipeline_value},
    {I("weighted_pipeline", "Weighted pipeline", "deals", RV_UNIT_MONEY, true, "open pipeline weighted by win probability", "sum(amount x probability / 100) over open deals; probability is the deal's, else its stage's"),
     .agg = AGG_SUM, .scale = 100, .bases = BM(B_DEALS), .own = -1, .rows = r_weighted_pipeline},
    {I("open_deals", "Open deals", "deals", RV_UNIT_COUNT, true, "deals in an open stage", "count of deals in an open stage"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_open_deals},
    {I("pipeline_created", "Pipeline created", "deals", RV_UNIT_MONEY, true, "value of the deals opened (by creation date)", "sum(amount) over deals, dated by created_on"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_pipeline_created},
    {I("deals_created", "Deals created", "deals", RV_UNIT_COUNT, true, "deals opened (by creation date)", "count of deals, dated by created_on"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_deals_created},
    {I("coverage", "Pipeline coverage", "deals", RV_UNIT_RATIO, true, "open pipeline closing in the period against what is left of the quota (default: this quarter)", "pipeline_value / (quota - won_revenue); empty when the quota is met"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"pipeline_value", "quota", "won_revenue"}, c_coverage, W_QUARTER},
    {I("pipeline_velocity", "Pipeline velocity", "deals", RV_UNIT_MONEY_PER_DAY, true, "revenue the pipeline produces per day", "open_deals x avg_deal_size x win_rate / sales_cycle_days"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"open_deals", "avg_deal_size", "win_rate", "sales_cycle_days"}, c_velocity},
    {I("stage_conversion", "Stage conversion", "deals", RV_UNIT_RATIO, true, "share of deals that went past a stage, by stage (dated by creation)", "deals that reached a later stage or won / deals that reached the stage, leaving out deals still in it"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = RV_DIM_STAGE, .rows = r_stage_conversion},
    {I("time_in_stage_days", "Time in stage", "deals", RV_UNIT_DAYS, false, "average days deals spent in a stage before moving on, by stage", "avg(next change - entry) over stage_history rows of open stages that were left"),
     .agg = AGG_RATIO, .scale = 86400000.0, .bases = BM(B_HIST), .own = -1, .rows = r_time_in_stage},
    {I("stalled_deals", "Stalled deals", "deals", RV_UNIT_COUNT, false, "open deals in their stage longer than its stall limit", "count of open deals with today - stage entry > stage.stall_days"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_stalled},
    {I("slipped_deals", "Slipped deals", "deals", RV_UNIT_COUNT, false, "deals whose close date was pushed later at least once", "count of deals with a close_date change to a later date in field_history"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_slipped},
    {I("past_close_date", "Past close date", "deals", RV_UNIT_COUNT, false, "open deals whose close date has passed", "count of open deals with close_date < today"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_past_close},
    /* outcomes */
    {I("win_rate", "Win rate", "deals", RV_UNIT_RATIO, true, "share of closed deals that were won, by count (by close date)", "won / (won + lost)"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_win_rate},
    {I("win_rate_value", "Win rate by value", "deals", RV_UNIT_RATIO, true, "share of closed value that was won", "sum(amount of won) / sum(amount of won + lost)"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_win_rate_value},
    {I("won_revenue", "Won revenue", "deals", RV_UNIT_MONEY, true, "value of the deals won (by close date)", "sum(amount) over won deals"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_won_revenue},
    {I("won_deals", "Won deals", "deals", RV_UNIT_COUNT, true, "deals won", "count of won deals"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_won_deals},
    {I("lost_deals", "Lost deals", "deals", RV_UNIT_COUNT, false, "deals lost", "count of lost deals"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_lost_deals},
    {I("lost_revenue", "Lost revenue", "deals", RV_UNIT_MONEY, false, "value of the deals lost", "sum(amount) over lost deals"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_lost_revenue},
    {I("sales_cycle_days", "Sales cycle", "deals", RV_UNIT_DAYS, false, "average days from opening to winning", "avg(close_date - created_on) over won deals"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_sales_cycle},
    {I("sales_cycle_median_days", "Median sales cycle", "deals", RV_UNIT_DAYS, false, "median days from opening to winning", "median(close_date - created_on) over won deals"),
     .agg = AGG_MEDIAN, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_sales_cycle},
    {I("avg_deal_size", "Average deal size", "deals", RV_UNIT_MONEY, true, "average value of a won deal", "sum(amount) / count over won deals"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_won_revenue},
    {I("reps", "Reps", "users", RV_UNIT_COUNT, true, "active users with the rep role", "count of active reps"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_USERS), .own = -1, .rows = r_reps, .deps = {0}, NULL, W_TODAY},
    {I("revenue_per_rep", "Revenue per rep", "deals", RV_UNIT_MONEY, true, "won revenue per active rep", "won_revenue / reps"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"won_revenue", "reps"}, c_div},
    {I("quota", "Quota", "quotas", RV_UNIT_MONEY, true, "quota of the periods starting in the window", "sum(amount) over quotas, dated by period_start"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_QUOTAS), .own = -1, .rows = r_quota},
    {I("quota_attainment", "Quota attainment", "deals", RV_UNIT_RATIO, true, "won revenue against quota (default: this quarter)", "won_revenue / quota"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"won_revenue", "quota"}, c_div, W_QUARTER},
    {I("attainment_distribution", "Attainment distribution", "users", RV_UNIT_COUNT, true, "reps by band of quota attainment (default: this quarter)", "count of users with a quota, by won_revenue / quota band"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_USERS), .own = RV_DIM_BUCKET, .rows = r_attainment_dist, .deps = {0}, NULL, W_QUARTER},
    {I("discount_given", "Discount given", "deals", RV_UNIT_MONEY, false, "list value given away on won deals", "sum(list_amount - amount) over won deals with list_amount > amount"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_discount},
    {I("discount_rate", "Discount rate", "deals", RV_UNIT_RATIO, false, "discount as a share of list value on won deals", "sum(max(list_amount - amount, 0)) / sum(list_amount) over won deals with a list_amount"),
     AGG_RATIO, 1, BM(B_DEALS), -1, r_discount_rate},
    /* funnel and leads */
    {I("leads_created", "Leads", "leads", RV_UNIT_COUNT, true, "leads that arrived", "count of leads, dated by created_on"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_LEADS), .own = -1, .rows = r_leads_created},
    {I("funnel", "Funnel", "leads", RV_UNIT_COUNT, true, "leads reaching each funnel stage (cohort by arrival)", "count of leads whose furthest stage is at or past the funnel stage: mql (mql_at or status), sql, opportunity (a deal or converted), won (its deal won)"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_LEADS), .own = RV_DIM_FUNNEL_STAGE, .rows = r_funnel},
    {I("funnel_conversion", "Funnel conversion", "leads", RV_UNIT_RATIO, true, "share of leads moving from one funnel stage to the next (without funnel_stage: lead to won)", "reached(stage) / reached(previous stage)"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_LEADS), .own = RV_DIM_FUNNEL_STAGE, .rows = r_funnel_conversion},
    {I("funnel_leakage", "Funnel leakage", "leads", RV_UNIT_RATIO, false, "share of leads lost at each hand-off", "1 - funnel_conversion"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_LEADS), .own = RV_DIM_FUNNEL_STAGE, .rows = r_funnel_leakage},
    {I("speed_to_lead_minutes", "Speed to lead", "leads", RV_UNIT_MINUTES, false, "median minutes from a lead's arrival to its first follow-up", "median(first_touch_at - created_on) over followed-up leads"),
     .agg = AGG_MEDIAN, .scale = 60000.0, .bases = BM(B_LEADS), .own = -1, .rows = r_speed_to_lead},
    {I("leads_contacted_5min", "Leads followed up within 5 minutes", "leads", RV_UNIT_RATIO, true, "share of leads followed up within five minutes of arriving", "leads with first_touch_at - created_on <= 5 min / leads"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_LEADS), .own = -1, .rows = r_contacted_5min},
    {I("leads_no_follow_up", "Leads without follow-up", "leads", RV_UNIT_COUNT, false, "open leads nobody has followed up yet", "count of leads not converted or disqualified with no first_touch_at"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_LEADS), .own = -1, .rows = r_no_follow_up},
    {I("leads_past_sla", "Leads past SLA", "leads", RV_UNIT_COUNT, false, "open leads without follow-up past the follow-up SLA (setting lead_sla_minutes)", "count of open leads with no first_touch_at and now - created_on > SLA"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_LEADS), .own = -1, .rows = r_past_sla},
    {I("follow_up_compliance", "Follow-up compliance", "leads", RV_UNIT_RATIO, true, "share of leads followed up within the SLA", "leads with first_touch_at - created_on <= SLA / leads whose SLA has elapsed or that were followed up"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_LEADS), .own = -1, .rows = r_follow_up_compliance},
    /* marketing */
    {I("marketing_spend", "Marketing spend", "campaigns", RV_UNIT_MONEY, false, "campaign spend (by campaign start)", "sum(spend) over campaigns"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_CAMPAIGNS), .own = -1, .rows = r_spend},
    {I("new_customers", "New customers", "accounts", RV_UNIT_COUNT, true, "accounts whose first won deal closed in the period", "count of accounts by the close date of their first won deal"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_ACCOUNTS), .own = -1, .rows = r_new_customers},
    {I("cac", "Customer acquisition cost", "campaigns", RV_UNIT_MONEY, false, "marketing spend per new customer", "marketing_spend / new_customers"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"marketing_spend", "new_customers"}, c_div},
    {I("sourced_pipeline", "Marketing-sourced pipeline", "deals", RV_UNIT_MONEY, true, "value of deals a campaign brought in (by creation)", "sum(amount) over deals with campaign_id"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_sourced_pipeline},
    {I("influenced_pipeline", "Marketing-influenced pipeline", "deals", RV_UNIT_MONEY, true, "value of deals any campaign touched (by creation)", "sum(amount) over deals named by a campaign touch"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_influenced_pipeline},
    {I("sourced_revenue", "Marketing-sourced revenue", "deals", RV_UNIT_MONEY, true, "won value of deals a campaign brought in", "sum(amount) over won deals with campaign_id"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_sourced_revenue},
    {I("romi", "Return on marketing investment", "campaigns", RV_UNIT_RATIO, true, "won revenue a campaign sourced, net of its spend, per unit of spend", "(sourced_revenue - marketing_spend) / marketing_spend"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"sourced_revenue", "marketing_spend"}, c_romi},
    /* customer success */
    {I("arr", "ARR", "subscriptions", RV_UNIT_MONEY, true, "annual recurring revenue at the end of the period (default: today)", "12 x sum(mrr) over subscriptions running that day"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_SUBS), .own = -1, .rows = r_arr, .deps = {0}, NULL, W_TODAY},
    {I("active_customers", "Active customers", "accounts", RV_UNIT_COUNT, true, "accounts with a running subscription at the end of the period", "count of accounts with a subscription running that day"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_ACCOUNTS), .own = -1, .rows = r_active_customers, .deps = {0}, NULL, W_TODAY},
    {I("nrr", "Net revenue retention", "subscriptions", RV_UNIT_RATIO, true, "ARR kept and grown from the customers at the start of the period (default: the last 12 months)", "sum(ARR at end) / sum(ARR at start) over accounts with ARR at the start"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_ACCOUNTS), .own = -1, .rows = r_nrr, .deps = {0}, NULL, W_YEAR},
    {I("grr", "Gross revenue retention", "subscriptions", RV_UNIT_RATIO, true, "ARR kept from the customers at the start, without expansion", "sum(ARR at start of subscriptions still running at end) / sum(ARR at start)"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_ACCOUNTS), .own = -1, .rows = r_grr, .deps = {0}, NULL, W_YEAR},
    {I("churn_rate", "Logo churn", "accounts", RV_UNIT_RATIO, false, "share of the customers at the start who have no recurring revenue at the end", "accounts with ARR at start and none at end / accounts with ARR at start"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_ACCOUNTS), .own = -1, .rows = r_churn, .deps = {0}, NULL, W_YEAR},
    {I("expansion_arr", "Expansion ARR", "subscriptions", RV_UNIT_MONEY, true, "ARR added by existing customers", "sum(max(ARR at end - ARR at start, 0)) over accounts with ARR at start"),
     AGG_SUM, 1, BM(B_ACCOUNTS), -1, r_expansion, {0}, NULL, W_YEAR},
    {I("churned_arr", "Churned ARR", "subscriptions", RV_UNIT_MONEY, false, "ARR of subscriptions that ended", "sum(ARR at start of subscriptions not running at end)"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_ACCOUNTS), .own = -1, .rows = r_churned_arr, .deps = {0}, NULL, W_YEAR},
    {I("renewals_due", "Renewals due", "subscriptions", RV_UNIT_COUNT, true, "running subscriptions whose renewal date falls in the period", "count of subscriptions by renewal_on"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_SUBS), .own = -1, .rows = r_renewals_due},
    {I("acv", "Average contract value", "subscriptions", RV_UNIT_MONEY, true, "average annual value of the subscriptions started", "avg(12 x mrr) over subscriptions by start_on"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_SUBS), .own = -1, .rows = r_acv},
    {I("gross_margin", "Gross margin", "subscriptions", RV_UNIT_RATIO, true, "margin of the running recurring revenue, from product list price and cost", "sum(mrr x (price - cost) / price) / sum(mrr) at the end of the period"),
     AGG_RATIO, 1000, BM(B_SUBS), -1, r_gross_margin, {0}, NULL, W_TODAY},
    /* unit economics */
    {I("ltv", "Customer lifetime value", "subscriptions", RV_UNIT_MONEY, true, "margin a customer brings over their expected life (default: the last 12 months)", "ARPA per month x gross_margin / monthly churn; ARPA = arr / 12 / active_customers, monthly churn = churn_rate / months in the window"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"arr", "active_customers", "churn_rate", "gross_margin"}, c_ltv, W_YEAR},
    {I("ltv_cac", "LTV to CAC", "subscriptions", RV_UNIT_RATIO, true, "lifetime value per unit of acquisition cost", "ltv / cac"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"ltv", "cac"}, c_div, W_YEAR},
    {I("cac_payback_months", "CAC payback", "subscriptions", RV_UNIT_MONTHS, false, "months of gross margin per customer to earn back its acquisition cost", "cac / (arr / 12 / active_customers x gross_margin)"),
     .agg = AGG_COMBINE, .scale = 1, .bases = 0, .own = -1, .deps = {"cac", "active_customers", "arr", "gross_margin"}, c_payback, W_YEAR},
    /* activity and adoption */
    {I("activities", "Activities", "activities", RV_UNIT_COUNT, true, "activities done (by day done)", "count of activities with done_at"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_ACTS), .own = -1, .rows = r_activities},
    {I("activities_per_rep_day", "Activities per rep per day", "activities", RV_UNIT_PER_DAY, true, "activities reps did per working day (default: the last 90 days)", "activities done by reps / (active reps x weekdays in the period)"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_ACTS) | BM(B_USERS), .own = -1, .rows = r_activities_per_rep_day, .deps = {0}, NULL, W_90},
    {I("next_step_share", "Deals with a next step", "deals", RV_UNIT_RATIO, true, "share of open deals with a next step written down", "open deals with next_step / open deals"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_next_step_share},
    {I("crm_adoption", "CRM adoption", "deals", RV_UNIT_RATIO, true, "share of open deals updated or worked on recently (setting stale_days, default 30)", "open deals updated or with an activity done in the last stale_days / open deals"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS), .own = -1, .rows = r_crm_adoption},
    /* data quality */
    {I("completeness", "Completeness", "deals", RV_UNIT_RATIO, true, "share of records with each key field filled in, by field", "records with the field set / records"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_DEALS) | BM(B_ACCOUNTS) | BM(B_CONTACTS) | BM(B_LEADS), .own = RV_DIM_FIELD, .rows = r_completeness},
    {I("duplicate_rate", "Duplicate rate", "accounts", RV_UNIT_RATIO, false, "share of records whose normalised key another record shares (accounts: domain, else name; contacts and leads: email)", "records sharing their key / records with a key"),
     .agg = AGG_RATIO, .scale = 1, .bases = BM(B_ACCOUNTS) | BM(B_CONTACTS) | BM(B_LEADS), .own = RV_DIM_ENTITY, .rows = r_duplicate_rate},
    {I("invalid_values", "Invalid values", "accounts", RV_UNIT_COUNT, false, "values that cannot be right: phones with letters or under 7 digits, domains without a dot, emails without a domain", "count of records with the value set and invalid, by field"),
     .agg = AGG_SUM, .scale = 1, .bases = BM(B_ACCOUNTS) | BM(B_CONTACTS) | BM(B_LEADS), .own = RV_DIM_FIELD, .rows = r_invalid},
};
#undef I

const int rv_metric_count = (int)(sizeof metrics / sizeof metrics[0]);

const rv_metric_info *rv_metric_info_at(int i)
{
    return i >= 0 && i < rv_metric_count ? &metrics[i].info : NULL;
}

int rv_metric_find(const char *name)
{
    for (int i = 0; i < rv_metric_count; i++)
        if (name && !strcmp(metrics[i].info.name, name))
            return i;
    return -1;
}

static uint32_t metric_dims(int i, int depth)
{
    const rv_metric *m = &metrics[i];
    uint32_t d = 0xffffffffu;
    if (m->agg == AGG_COMBINE) {
        for (int k = 0; k < MAX_DEPS && m->deps[k] && depth < 4; k++)
            d &= metric_dims(rv_metric_find(m->deps[k]), depth + 1);
        return d;
    }
    for (int b = 0; b < B_N; b++)
        if (m->bases & BM(b))
            d &= base_dims[b];
    if (m->own >= 0)
        d |= DM(m->own);
    return d;
}

bool rv_metric_has_dim(int i, rv_dim d)
{
    return i >= 0 && i < rv_metric_count && (metric_dims(i, 0) & DM(d));
}

static int drill_base(int i)
{
    const rv_metric *m = &metrics[i];
    while (m->agg == AGG_COMBINE)
        m = &metrics[rv_metric_find(m->deps[0])];
    for (int b = 0; b < B_N; b++)
        if ((m->bases & BM(b)) && base_entity[b])
            return b;
    return -1;
}

const char *rv_metric_drill_entity(int i)
{
    int b = i >= 0 && i < rv_metric_count ? drill_base(i) : -1;
    return b >= 0 ? base_entity[b] : NULL;
}

/* --- labels and codes ---------------------------------------------------------------- */

static const char *name_or_id(char **names, const int64_t *ids, int32_t code, char *buf, size_t cap)
{
    if (names[code] && names[code][0])
        return names[code];
    snprintf(buf, cap, "#%lld", (long long)ids[code]);
    return buf;
}

const char *rv_dim_label(const rv_snap *s, rv_dim d, int32_t code, char *buf, size_t cap)
{
    const char *t = NULL;
    char tmp[64];
    if (code == RV_NONE) {
        snprintf(buf, cap, "(none)");
        return buf;
    }
    switch (d) {
    case RV_DIM_OWNER:
    case RV_DIM_MANAGER: t = name_or_id(s->users.name, s->users.id, code, tmp, sizeof tmp); break;
    case RV_DIM_TEAM: t = name_or_id(s->teams.name, s->teams.id, code, tmp, sizeof tmp); break;
    case RV_DIM_REGION: t = s->dict[RV_DICT_REGION].s[code]; break;
    case RV_DIM_INDUSTRY: t = s->dict[RV_DICT_INDUSTRY].s[code]; break;
    case RV_DIM_COUNTRY: t = s->dict[RV_DICT_COUNTRY].s[code]; break;
    case RV_DIM_SOURCE: t = s->dict[RV_DICT_SOURCE].s[code]; break;
    case RV_DIM_CHANNEL: t = s->dict[RV_DICT_CHANNEL].s[code]; break;
    case RV_DIM_COMPANY_SIZE: t = size_names[code]; break;
    case RV_DIM_PRODUCT: t = name_or_id(s->products.name, s->products.id, code, tmp, sizeof tmp); break;
    case RV_DIM_CAMPAIGN: t = name_or_id(s->campaigns.name, s->campaigns.id, code, tmp, sizeof tmp); break;
    case RV_DIM_PIPELINE: t = name_or_id(s->pipelines.name, s->pipelines.id, code, tmp, sizeof tmp); break;
    case RV_DIM_STAGE: t = name_or_id(s->stages.name, s->stages.id, code, tmp, sizeof tmp); break;
    case RV_DIM_TYPE: t = code < 3 ? type_names[code] : "?"; break;
    case RV_DIM_MONTH:
    case RV_DIM_QUARTER:
    case RV_DIM_YEAR: period_label(s, d, code, buf, cap); return buf;
    case RV_DIM_FUNNEL_STAGE: t = code < 5 ? funnel_names[code] : "?"; break;
    case RV_DIM_FIELD: t = field_name(code); break;
    case RV_DIM_ENTITY: t = code < 3 ? dup_entities[code] : "?"; break;
    case RV_DIM_BUCKET: t = code < 5 ? bucket_names[code] : "?"; break;
    case RV_DIM_KIND: t = code < 5 ? kind_names[code] : "?"; break;
    default: t = "?";
    }
    snprintf(buf, cap, "%s", t);
    return buf;
}

static int32_t dim_card(const rv_snap *s, rv_dim d)
{
    switch (d) {
    case RV_DIM_OWNER:
    case RV_DIM_MANAGER: return (int32_t)s->users.n;
    case RV_DIM_TEAM: return (int32_t)s->teams.n;
    case RV_DIM_REGION: return s->dict[RV_DICT_REGION].n;
    case RV_DIM_INDUSTRY: return s->dict[RV_DICT_INDUSTRY].n;
    case RV_DIM_COUNTRY: return s->dict[RV_DICT_COUNTRY].n;
    case RV_DIM_SOURCE: return s->dict[RV_DICT_SOURCE].n;
    case RV_DIM_CHANNEL: return s->dict[RV_DICT_CHANNEL].n;
    case RV_DIM_COMPANY_SIZE: return 6;
    case RV_DIM_PRODUCT: return (int32_t)s->products.n;
    case RV_DIM_CAMPAIGN: return (int32_t)s->campaigns.n;
    case RV_DIM_PIPELINE: return (int32_t)s->pipelines.n;
    case RV_DIM_STAGE: return (int32_t)s->stages.n;
    case RV_DIM_TYPE: return 3;
    case RV_DIM_FUNNEL_STAGE: return 5;
    case RV_DIM_FIELD: return NQFIELDS + NBADFIELDS;
    case RV_DIM_ENTITY: return 3;
    case RV_DIM_BUCKET: return 5;
    case RV_DIM_KIND: return 5;
    default: return 0;
    }
}

rv_status rv_dim_code(const rv_snap *s, rv_dim d, const char *label, int32_t *code, rv_err *err)
{
    if (!strcmp(label, "(none)")) {
        *code = RV_NONE;
        return RV_OK;
    }
    char buf[256];
    if (rv_dim_is_period(d)) {
        int32_t from, to;
        if (rv_period_parse(s, label, &from, &to, err))
            return rv_err_set(err, RV_EINVAL, rv_dims[d].name, "%s must look like %s, got '%s'",
                              rv_dims[d].name,
                              d == RV_DIM_MONTH ? "2017-05" : d == RV_DIM_QUARTER ? "2017-Q2" : "2017",
                              label);
        *code = rv_period_code(s, d, from);
        period_label(s, d, *code, buf, sizeof buf);
        if (!strcasecmp(buf, label))
            return RV_OK;
        return rv_err_set(err, RV_EINVAL, rv_dims[d].name, "%s '%s' is not a %s", rv_dims[d].name,
                          label, rv_dims[d].name);
    }
    int32_t n = dim_card(s, d);
    for (int32_t c = 0; c < n; c++)
        if (!strcasecmp(rv_dim_label(s, d, c, buf, sizeof buf), label)) {
            *code = c;
            return RV_OK;
        }
    return rv_err_set(err, RV_EINVAL, rv_dims[d].name, "no %s is called '%s'", rv_dims[d].name, label);
}

/* --- running ------------------------------------------------------------------------ */

static void default_window(const rv_snap *s, int w, int32_t *from, int32_t *to)
{
    switch (w) {
    case W_QUARTER: {
        int32_t c = rv_period_code(s, RV_DIM_QUARTER, s->today);
        *from = rv_period_start(s, RV_DIM_QUARTER, c);
        *to = period_end(s, RV_DIM_QUARTER, c);
        break;
    }
    case W_TODAY: *from = s->today, *to = s->today + 1; break;
    case W_YEAR: *from = s->today - 364, *to = s->today + 1; break;
    case W_90: *from = s->today - 89, *to = s->today + 1; break;
    }
}

static bool has_period(const rv_mquery *q)
{
    for (int k = 0; k < q->ndims; k++)
        if (rv_dim_is_period(q->dims[k]))
            return true;
    for (int f = 0; f < q->nfilters; f++)
        if (rv_dim_is_period(q->filters[f].dim))
            return true;
    return false;
}

/* Put the k-th smallest of a[0..n) at a[k], smaller ones before it and
 * larger after (Hoare's selection; expected linear time). */
static void select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double p = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                double x = a[i];
                a[i] = a[j], a[j] = x;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* Median of a[0..n), n > 0, as the sorted middle (mean of the two middle
 * values when n is even); reorders a. */
static double median_sel(double *a, size_t n)
{
    select_kth(a, n, n / 2);
    if (n % 2)
        return a[n / 2];
    double lower = a[0];
    for (size_t i = 1; i < n / 2; i++)
        if (a[i] > lower)
            lower = a[i];
    return (lower + a[n / 2]) / 2;
}

/* Value of a simple metric's group. */
static bool value_of(const rv_metric *m, const acc *a, double *out)
{
    switch (m->agg) {
    case AGG_SUM: *out = (double)a->num / m->scale; return true;
    case AGG_RATIO:
        if (a->den == 0)
            return false;
        *out = (double)a->num / (double)a->den / m->scale;
        return true;
    default: return false;
    }
}

typedef struct part {
    acc *acc;
    acc total;
    double *v;    /* per key value (composites and medians) */
    uint8_t *set; /* per key: has a value */
    double tv;
    bool tset;
} part;

static void part_free(part *p)
{
    free(p->acc), free(p->v), free(p->set);
}

static void run_setup(run *r)
{
    bool bounded = r->from != RV_DAY_NONE || r->to != RV_DAY_NONE;
    r->wfrom = r->from != RV_DAY_NONE ? r->from : bounded ? RV_DAY_NONE + 1 : RV_DAY_NONE;
    r->wto = r->to != RV_DAY_NONE ? r->to : INT32_MAX;
    r->checks = r->q->visible || r->q->nfilters || r->drill;
    r->median = r->m->agg == AGG_MEDIAN;
}

static rv_status run_part(run *base, int mi, part *out, int depth, rv_err *err);

/* Evaluate metric mi over base's groups into out. */
static rv_status run_part(run *base, int mi, part *out, int depth, rv_err *err)
{
    const rv_metric *m = &metrics[mi];
    uint32_t nk = base->nkeys;
    memset(out, 0, sizeof *out);
    out->v = rv_xcalloc(nk, sizeof *out->v);
    out->set = rv_xcalloc(nk, 1);
    if (m->agg == AGG_COMBINE) {
        part deps[MAX_DEPS];
        int nd = 0;
        for (; nd < MAX_DEPS && m->deps[nd]; nd++) {
            rv_status rc = run_part(base, rv_metric_find(m->deps[nd]), &deps[nd], depth + 1, err);
            if (rc) {
                for (int k = 0; k < nd; k++)
                    part_free(&deps[k]);
                return rc;
            }
        }
        double v[MAX_DEPS];
        bool nl[MAX_DEPS];
        for (uint32_t key = 0; key < nk; key++) {
            bool any = false;
            for (int k = 0; k < nd; k++) {
                v[k] = deps[k].v[key];
                nl[k] = !deps[k].set[key];
                any |= deps[k].acc ? deps[k].acc[key].rows > 0 : deps[k].set[key];
            }
            if (any && m->combine(base, v, nl, &out->v[key]))
                out->set[key] = 1;
            out->total.rows += any; /* groups with data */
        }
        for (int k = 0; k < nd; k++) {
            v[k] = deps[k].tv;
            nl[k] = !deps[k].tset;
        }
        out->tset = m->combine(base, v, nl, &out->tv);
        for (int k = 0; k < nd; k++)
            part_free(&deps[k]);
        return RV_OK;
    }
    run r = *base;
    r.m = m;
    r.acc = rv_xcalloc(nk, sizeof *r.acc);
    memset(&r.total, 0, sizeof r.total);
    r.vals = NULL, r.nvals = r.capvals = 0;
    r.by_own = false;
    run_setup(&r);
    for (int k = 0; k < r.ndims; k++)
        r.by_own |= (int)r.dims[k] == m->own;
    for (int f = 0; f < r.q->nfilters; f++)
        r.by_own |= (int)r.q->filters[f].dim == m->own;
    m->rows(&r);
    out->acc = r.acc;
    out->total = r.total;
    if (m->agg == AGG_MEDIAN) {
        /* values grouped by key (a counting sort: every emit pushed one
         * value, so a group's rows are its count), then each group's
         * median and the total's by selection, without sorting */
        size_t *at = rv_xmalloc((size_t)nk * sizeof *at);
        size_t sum = 0;
        for (uint32_t key = 0; key < nk; key++)
            at[key] = sum, sum += (size_t)r.acc[key].rows;
        double *v = rv_xmalloc((r.nvals ? r.nvals : 1) * sizeof *v);
        for (size_t i = 0; i < r.nvals; i++)
            v[at[r.vals[i].key]++] = r.vals[i].v;
        size_t start = 0;
        for (uint32_t key = 0; key < nk; key++) {
            size_t n = at[key] - start;
            if (n) {
                out->v[key] = median_sel(v + start, n) / m->scale;
                out->set[key] = 1;
            }
            start = at[key];
        }
        if (r.nvals) {
            out->tv = median_sel(v, r.nvals) / m->scale;
            out->tset = true;
        }
        free(at);
        free(v);
        free(r.vals);
    } else {
        for (uint32_t key = 0; key < nk; key++)
            if (r.acc[key].rows && value_of(m, &r.acc[key], &out->v[key]))
                out->set[key] = 1;
        out->tset = value_of(m, &r.total, &out->tv) && (m->agg != AGG_SUM || r.total.rows >= 0);
    }
    return RV_OK;
}

static void run_release(run *r)
{
    free(r->b);
    for (int k = 0; k < RV_MQ_MAX_DIMS; k++)
        free(r->ptab[k]);
}

/* Check dimensions and set up the key space. */
static rv_status prepare(run *r, const rv_snap *s, const rv_mquery *q, rv_err *err)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->q = q;
    if (q->metric < 0 || q->metric >= rv_metric_count)
        return rv_err_set(err, RV_EINVAL, "metric", "no such metric");
    const rv_metric *m = &metrics[q->metric];
    r->m = m;
    r->from = q->from, r->to = q->to;
    if (m->window != W_NONE && r->from == RV_DAY_NONE && r->to == RV_DAY_NONE && !has_period(q))
        default_window(s, m->window, &r->from, &r->to);
    uint32_t allowed = metric_dims(q->metric, 0);
    char list[600];
    size_t len = 0;
    list[0] = '\0';
    for (int d = 0; d < RV_DIM_COUNT; d++)
        if (allowed & DM(d))
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", rv_dims[d].name);
    for (int k = 0; k < q->ndims + q->nfilters; k++) {
        rv_dim d = k < q->ndims ? q->dims[k] : q->filters[k - q->ndims].dim;
        if ((unsigned)d >= RV_DIM_COUNT || !(allowed & DM(d)))
            return rv_err_set(err, RV_EINVAL, "by", "%s cannot be sliced by %s; it can be by: %s",
                              m->info.name, (unsigned)d < RV_DIM_COUNT ? rv_dims[d].name : "?", list);
    }
    if (q->ndims > RV_MQ_MAX_DIMS)
        return rv_err_set(err, RV_EINVAL, "by", "at most %d dimensions at once", RV_MQ_MAX_DIMS);
    r->ndims = q->ndims;
    uint64_t nk = 1;
    for (int k = 0; k < q->ndims; k++) {
        rv_dim d = q->dims[k];
        r->dims[k] = d;
        if (rv_dim_is_period(d)) {
            int32_t a = s->min_day, b = s->max_day;
            if (r->from != RV_DAY_NONE && r->from < a)
                a = r->from;
            if (r->to != RV_DAY_NONE && r->to - 1 > b)
                b = r->to - 1;
            r->lo[k] = rv_period_code(s, d, a);
            r->card[k] = rv_period_code(s, d, b) - r->lo[k] + 2;
            if (s->min_day != RV_DAY_NONE && s->max_day - s->min_day < 400000) {
                r->plo = s->min_day, r->pn = s->max_day - s->min_day + 1;
                r->ptab[k] = rv_xmalloc((size_t)r->pn * sizeof *r->ptab[k]);
                for (int32_t day = 0; day < r->pn; day++)
                    r->ptab[k][day] = rv_period_code(s, d, r->plo + day);
            }
        } else {
            r->lo[k] = 0;
            r->card[k] = dim_card(s, d) + 1;
        }
        nk *= (uint64_t)r->card[k];
    }
    if (nk > (1u << 24))
        return rv_err_set(err, RV_EINVAL, "by", "%llu groups are too many; slice by fewer or smaller dimensions",
                          (unsigned long long)nk);
    r->nkeys = (uint32_t)nk;
    make_buckets(r);
    return RV_OK;
}

rv_status rv_metric_run(const rv_snap *s, const rv_mquery *q, rv_mresult *out, rv_err *err)
{
    memset(out, 0, sizeof *out);
    run r;
    rv_status rc = prepare(&r, s, q, err);
    if (rc) {
        run_release(&r);
        return rc;
    }
    part p;
    rc = run_part(&r, q->metric, &p, 0, err);
    run_release(&r);
    if (rc)
        return rc;
    int n = 0;
    for (uint32_t key = 0; key < r.nkeys; key++)
        n += p.acc ? p.acc[key].rows > 0 : p.set[key];
    out->rows = rv_xcalloc((size_t)(n ? n : 1), sizeof *out->rows);
    for (uint32_t key = 0; key < r.nkeys; key++) {
        bool has = p.acc ? p.acc[key].rows > 0 : p.set[key];
        if (!has)
            continue;
        rv_mrow *row = &out->rows[out->nrows++];
        uint32_t k2 = key;
        for (int k = r.ndims - 1; k >= 0; k--) {
            int32_t x = (int32_t)(k2 % (uint32_t)r.card[k]);
            k2 /= (uint32_t)r.card[k];
            row->key[k] = x == 0 ? RV_NONE : x - 1 + r.lo[k];
        }
        row->null = !p.set[key];
        row->value = p.v[key];
        if (p.acc)
            row->num = p.acc[key].num, row->den = p.acc[key].den, row->rows = p.acc[key].rows;
    }
    out->total.null = !p.tset;
    out->total.value = p.tv;
    out->total.num = p.total.num, out->total.den = p.total.den, out->total.rows = p.total.rows;
    for (int k = 0; k < RV_MQ_MAX_DIMS; k++)
        out->total.key[k] = RV_NONE;
    out->from = r.from, out->to = r.to;
    part_free(&p);
    return RV_OK;
}

void rv_mresult_free(rv_mresult *r)
{
    free(r->rows);
    memset(r, 0, sizeof *r);
}

rv_status rv_metric_drill(const rv_snap *s, const rv_mquery *q, rv_drill_fn fn, void *ud, rv_err *err)
{
    rv_mquery q2 = *q;
    q2.ndims = 0;
    run r;
    rv_status rc = prepare(&r, s, &q2, err);
    if (rc) {
        run_release(&r);
        return rc;
    }
    int mi = q->metric;
    while (metrics[mi].agg == AGG_COMBINE)
        mi = rv_metric_find(metrics[mi].deps[0]);
    r.m = &metrics[mi];
    r.drill_base = drill_base(q->metric);
    if (r.drill_base < 0) {
        run_release(&r);
        return rv_err_set(err, RV_EINVAL, "metric", "%s has no records to list", metrics[q->metric].info.name);
    }
    uint32_t n = 0;
    switch (r.drill_base) {
    case B_DEALS:
    case B_HIST: n = s->deals.n; break;
    case B_LEADS: n = s->leads.n; break;
    case B_SUBS: n = s->subs.n; break;
    case B_ACCOUNTS: n = s->accounts.n; break;
    case B_QUOTAS: n = s->quotas.n; break;
    case B_CAMPAIGNS: n = s->campaigns.n; break;
    case B_USERS: n = s->users.n; break;
    case B_CONTACTS: n = s->contacts.n; break;
    }
    r.drilled = rv_xcalloc((size_t)n + 1, 1);
    r.drill = fn;
    r.drill_ud = ud;
    r.nkeys = 1;
    r.by_own = false;
    run_setup(&r);
    for (int f = 0; f < q2.nfilters; f++)
        r.by_own |= (int)q2.filters[f].dim == r.m->own;
    r.m->rows(&r);
    free(r.drilled);
    run_release(&r);
    return RV_OK;
}

/* --- warnings --------------------------------------------------------------------- */

static const char *const warn_names[] = {"stalled_deal", "past_close_date", "low_coverage", "behind_pace", "conversion_drop", "lead_past_sla"};
const char *rv_warn_name(rv_warn_kind k) { return (unsigned)k < 6 ? warn_names[k] : "?"; }

typedef struct wlist {
    rv_warning *w;
    int n, cap;
} wlist;

static void wadd(wlist *l, rv_warning w)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->w = rv_xrealloc(l->w, (size_t)l->cap * sizeof *l->w);
    }
    l->w[l->n++] = w;
}

static int cmp_warn(const void *a, const void *b)
{
    const rv_warning *x = a, *y = b;
    if (x->severity != y->severity)
        return y->severity - x->severity;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    return x->row < y->row ? -1 : x->row > y->row;
}

static bool user_visible(const rv_mquery *q, int32_t u)
{
    return !q->visible || (u < 0 ? q->see_unowned : q->visible[u] != 0);
}

int64_t rv_metric_left_out(const rv_snap *s, const rv_mquery *q, const char *entity,
                           rv_left_out *out, int cap, int *n)
{
    int b = !strcmp(entity, "deals") ? B_DEALS : !strcmp(entity, "subscriptions") ? B_SUBS
            : !strcmp(entity, "quotas") ? B_QUOTAS : -1;
    uint32_t rows = b == B_DEALS ? s->deals.n : b == B_SUBS ? s->subs.n : b == B_QUOTAS ? s->quotas.n : 0;
    const uint8_t *fx_out = b == B_DEALS ? s->deals.fx_out : b == B_SUBS ? s->subs.fx_out : s->quotas.fx_out;
    const uint8_t *dead = b == B_DEALS ? s->deals.dead : b == B_SUBS ? s->subs.dead : s->quotas.dead;
    const int32_t *cur = b == B_DEALS ? s->deals.cur : b == B_SUBS ? s->subs.cur : s->quotas.cur;
    int32_t ncur = s->dict[RV_DICT_CURRENCY].n;
    *n = 0;
    if (ncur == 0 || b < 0)
        return 0; /* one currency only (the usual case): no scan */
    int64_t *count = rv_xcalloc((size_t)ncur + 1, sizeof *count), total = 0;
    for (uint32_t i = 0; i < rows; i++)
        if (fx_out[i] && !dead[i] && cur[i] >= 0 && user_visible(q, owner_of(s, b, i)))
            count[cur[i]]++, total++;
    for (int k = 0; k < cap; k++) { /* largest first; ties by code */
        int32_t best = -1;
        for (int32_t c = 0; c < ncur; c++)
            if (count[c] && (best < 0 || count[c] > count[best]))
                best = c;
        if (best < 0)
            break;
        out[(*n)++] = (rv_left_out){best, count[best]};
        count[best] = 0;
    }
    free(count);
    return total;
}

rv_status rv_warnings(const rv_snap *s, const rv_mquery *q, double coverage_target, rv_warning **out,
                      int *n, rv_err *err)
{
    wlist l = {0};
    for (uint32_t i = 0; i < s->deals.n; i++) {
        if (s->deals.dead[i] || !is_open(s, i) || !user_visible(q, s->deals.owner[i]))
            continue;
        if (stalled(s, i)) {
            int32_t st = s->deals.stage[i];
            double days = s->today - s->deals.stage_since[i], lim = s->stages.stall_days[st];
            wadd(&l, (rv_warning){RV_WARN_STALLED, "deals", i, s->deals.owner[i], days, lim,
                                  days > 2 * lim ? 3 : 2});
        }
        if (s->deals.close[i] != RV_DAY_NONE && s->deals.close[i] < s->today) {
            double late = s->today - s->deals.close[i];
            wadd(&l, (rv_warning){RV_WARN_PAST_CLOSE, "deals", i, s->deals.owner[i], late, 0,
                                  late > 30 ? 3 : 2});
        }
    }
    for (uint32_t i = 0; i < s->leads.n; i++)
        if (!s->leads.dead[i] && past_sla(s, i) && user_visible(q, s->leads.owner[i])) {
            double mins = (double)(s->now_ms - s->leads.created[i]) / 60000.0;
            wadd(&l, (rv_warning){RV_WARN_LEAD_SLA, "leads", i, s->leads.owner[i], mins,
                                  s->sla_minutes, mins > 24 * 60 ? 2 : 3});
        }

    /* reps: coverage and pace in the current quarter */
    int32_t qc = rv_period_code(s, RV_DIM_QUARTER, s->today);
    int32_t q0 = rv_period_start(s, RV_DIM_QUARTER, qc), q1 = period_end(s, RV_DIM_QUARTER, qc);
    uint32_t nu = s->users.n;
    int64_t *won = rv_xcalloc((size_t)nu + 1, sizeof *won), *quota = rv_xcalloc((size_t)nu + 1, sizeof *quota);
    int64_t *pipe = rv_xcalloc((size_t)nu + 1, sizeof *pipe);
    for (uint32_t i = 0; i < s->deals.n; i++) {
        int32_t o = s->deals.owner[i], c = s->deals.close[i];
        if (s->deals.dead[i] || o < 0 || c == RV_DAY_NONE || c < q0 || c >= q1)
            continue;
        if (is_won(s, i))
            won[o] += s->deals.amount[i];
        else if (is_open(s, i))
            pipe[o] += s->deals.amount[i];
    }
    for (uint32_t i = 0; i < s->quotas.n; i++) {
        int32_t u = s->quotas.user[i];
        if (!s->quotas.dead[i] && u >= 0 && s->quotas.start[i] >= q0 && s->quotas.start[i] < q1)
            quota[u] += s->quotas.amount[i];
    }
    double elapsed = (double)(s->today - q0 + 1) / (double)(q1 - q0);
    for (uint32_t u = 0; u < nu; u++) {
        if (quota[u] <= 0 || !user_visible(q, (int32_t)u))
            continue;
        double gap = (double)(quota[u] - won[u]);
        if (gap > 0) {
            double cov = (double)pipe[u] / gap;
            if (cov < coverage_target)
                wadd(&l, (rv_warning){RV_WARN_LOW_COVERAGE, "users", u, (int32_t)u, cov, coverage_target,
                                      cov < coverage_target / 2 ? 3 : 2});
        }
        double att = (double)won[u] / (double)quota[u], pace = elapsed;
        if (att < 0.8 * pace)
            wadd(&l, (rv_warning){RV_WARN_BEHIND_PACE, "users", u, (int32_t)u, att, pace,
                                  att < 0.5 * pace ? 3 : 2});
    }
    free(won), free(quota), free(pipe);

    /* stage conversion this quarter against the four quarters before */
    int ms = rv_metric_find("stage_conversion");
    rv_mquery cq = *q;
    cq.metric = ms;
    cq.ndims = 1;
    cq.dims[0] = RV_DIM_STAGE;
    cq.nfilters = 0;
    rv_mresult now, before;
    cq.from = q0, cq.to = q1;
    rv_status rc = rv_metric_run(s, &cq, &now, err);
    if (rc == RV_OK) {
        cq.from = rv_period_start(s, RV_DIM_QUARTER, qc - 4), cq.to = q0;
        rc = rv_metric_run(s, &cq, &before, err);
        if (rc == RV_OK) {
            for (int i = 0; i < now.nrows; i++)
                for (int j = 0; j < before.nrows; j++)
                    if (now.rows[i].key[0] == before.rows[j].key[0] && !now.rows[i].null &&
                        !before.rows[j].null && now.rows[i].den >= 10 &&
                        now.rows[i].value < 0.8 * before.rows[j].value && now.rows[i].key[0] >= 0)
                        wadd(&l, (rv_warning){RV_WARN_CONVERSION_DROP, "stages",
                                              (uint32_t)now.rows[i].key[0], RV_NONE, now.rows[i].value,
                                              before.rows[j].value, 2});
            rv_mresult_free(&before);
        }
        rv_mresult_free(&now);
    }
    if (rc) {
        free(l.w);
        return rc;
    }
    if (l.n)
        qsort(l.w, (size_t)l.n, sizeof *l.w, cmp_warn);
    *out = l.w;
    *n = l.n;
    return RV_OK;
}

const char *rv_warning_text(const rv_snap *s, const rv_warning *w, char *buf, size_t cap)
{
    char a[128], b[128];
    switch (w->kind) {
    case RV_WARN_STALLED:
        snprintf(buf, cap, "deal %lld has been in %s for %.0f days (limit %.0f)",
                 (long long)s->deals.id[w->row],
                 rv_dim_label(s, RV_DIM_STAGE, s->deals.stage[w->row], b, sizeof b), w->value, w->limit);
        break;
    case RV_WARN_PAST_CLOSE:
        snprintf(buf, cap, "deal %lld is open %.0f days after its close date", (long long)s->deals.id[w->row], w->value);
        break;
    case RV_WARN_LOW_COVERAGE:
        snprintf(buf, cap, "%s has %.1fx pipeline coverage this quarter (target %.1fx)",
                 rv_dim_label(s, RV_DIM_OWNER, (int32_t)w->row, a, sizeof a), w->value, w->limit);
        break;
    case RV_WARN_BEHIND_PACE:
        snprintf(buf, cap, "%s is at %.0f%% of quota with %.0f%% of the quarter gone",
                 rv_dim_label(s, RV_DIM_OWNER, (int32_t)w->row, a, sizeof a), 100 * w->value, 100 * w->limit);
        break;
    case RV_WARN_CONVERSION_DROP:
        snprintf(buf, cap, "conversion from %s is %.0f%% this quarter against %.0f%% over the four before",
                 rv_dim_label(s, RV_DIM_STAGE, (int32_t)w->row, a, sizeof a), 100 * w->value, 100 * w->limit);
        break;
    case RV_WARN_LEAD_SLA:
        snprintf(buf, cap, "lead %lld has waited %.0f minutes for a first follow-up (SLA %.0f)",
                 (long long)s->leads.id[w->row], w->value, w->limit);
        break;
    }
    return buf;
}
