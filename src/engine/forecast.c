/*
 * forecast.c - as-of reconstruction, the hazard model, the Monte Carlo
 * roll-up and the forecast of one period by every method (forecast.h).
 */
#include "engine/forecast.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "model/money.h"

#define AGE_BUCKET 14
#define NAGE 27
#define NPHASE 3
#define OWNER_PRIOR 20.0
#define BLOCK 1024

const char *const rv_fc_method_names[RV_FC_NMETHODS] = {"predictive", "weighted", "category", "run_rate"};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *q = calloc(n ? n : 1, sz ? sz : 1);
    if (!q)
        abort();
    return q;
}

/* --- data ----------------------------------------------------------------------------- */

void rv_fc_data_init(rv_fc_data *d) { memset(d, 0, sizeof *d); }

void rv_fc_data_free(rv_fc_data *d)
{
    if (!d)
        return;
    free(d->created);
    for (int f = 0; f < RV_FC_NFIELDS; f++)
        free(d->cur[f]);
    free(d->ev_deal), free(d->ev_day), free(d->ev_field), free(d->ev_old), free(d->ev_new);
    free(d->ev_first);
    memset(d, 0, sizeof *d);
}

uint32_t rv_fc_add_deal(rv_fc_data *d)
{
    if (d->ndeals == d->cap_deals) {
        d->cap_deals = d->cap_deals ? d->cap_deals * 2 : 256;
        d->created = xrealloc(d->created, d->cap_deals * sizeof *d->created);
        for (int f = 0; f < RV_FC_NFIELDS; f++)
            d->cur[f] = xrealloc(d->cur[f], d->cap_deals * sizeof *d->cur[f]);
    }
    uint32_t i = d->ndeals++;
    d->created[i] = RV_FC_DAY_NONE;
    for (int f = 0; f < RV_FC_NFIELDS; f++)
        d->cur[f][i] = RV_FC_NOVAL;
    return i;
}

uint32_t rv_fc_add_event(rv_fc_data *d, int32_t deal, int32_t day, int field, int64_t old_v, int64_t new_v)
{
    if (d->nev == d->cap_ev) {
        d->cap_ev = d->cap_ev ? d->cap_ev * 2 : 256;
        d->ev_deal = xrealloc(d->ev_deal, d->cap_ev * sizeof *d->ev_deal);
        d->ev_day = xrealloc(d->ev_day, d->cap_ev * sizeof *d->ev_day);
        d->ev_field = xrealloc(d->ev_field, d->cap_ev * sizeof *d->ev_field);
        d->ev_old = xrealloc(d->ev_old, d->cap_ev * sizeof *d->ev_old);
        d->ev_new = xrealloc(d->ev_new, d->cap_ev * sizeof *d->ev_new);
    }
    uint32_t i = d->nev++;
    d->ev_deal[i] = deal, d->ev_day[i] = day, d->ev_field[i] = (uint8_t)field;
    d->ev_old[i] = old_v, d->ev_new[i] = new_v;
    return i;
}

/* Counting sort by deal, then a stable insertion sort by day within a deal
 * (a deal has few events). */
void rv_fc_data_finish(rv_fc_data *d)
{
    uint32_t n = d->nev, nd = d->ndeals;
    free(d->ev_first);
    d->ev_first = xcalloc(nd + 2, sizeof *d->ev_first);
    uint32_t *cnt = d->ev_first;
    for (uint32_t i = 0; i < n; i++)
        if (d->ev_deal[i] >= 0 && (uint32_t)d->ev_deal[i] < nd)
            cnt[d->ev_deal[i] + 1]++;
    for (uint32_t k = 0; k < nd; k++)
        cnt[k + 1] += cnt[k];
    uint32_t m = cnt[nd];
    uint32_t *pos = xcalloc(nd + 1, sizeof *pos);
    memcpy(pos, cnt, nd * sizeof *pos);
    int32_t *deal = xcalloc(m, sizeof *deal), *day = xcalloc(m, sizeof *day);
    uint8_t *field = xcalloc(m, 1);
    int64_t *o = xcalloc(m, sizeof *o), *nw = xcalloc(m, sizeof *nw);
    for (uint32_t i = 0; i < n; i++) {
        int32_t k = d->ev_deal[i];
        if (k < 0 || (uint32_t)k >= nd)
            continue;
        uint32_t j = pos[k]++;
        deal[j] = k, day[j] = d->ev_day[i], field[j] = d->ev_field[i], o[j] = d->ev_old[i], nw[j] = d->ev_new[i];
    }
    for (uint32_t k = 0; k < nd; k++)
        for (uint32_t j = cnt[k] + 1; j < cnt[k + 1]; j++)
            for (uint32_t x = j; x > cnt[k] && day[x - 1] > day[x]; x--) {
                int32_t td = day[x]; day[x] = day[x - 1]; day[x - 1] = td;
                uint8_t tf = field[x]; field[x] = field[x - 1]; field[x - 1] = tf;
                int64_t to = o[x]; o[x] = o[x - 1]; o[x - 1] = to;
                int64_t tn = nw[x]; nw[x] = nw[x - 1]; nw[x - 1] = tn;
            }
    free(pos);
    free(d->ev_deal), free(d->ev_day), free(d->ev_field), free(d->ev_old), free(d->ev_new);
    d->ev_deal = deal, d->ev_day = day, d->ev_field = field, d->ev_old = o, d->ev_new = nw;
    d->nev = d->cap_ev = m;
}

int64_t rv_fc_value_at(const rv_fc_data *d, uint32_t deal, int field, int32_t day)
{
    uint32_t a = d->ev_first ? d->ev_first[deal] : 0, b = d->ev_first ? d->ev_first[deal + 1] : 0;
    int64_t v = RV_FC_UNKNOWN;
    bool any = false;
    for (uint32_t j = a; j < b; j++) {
        if (d->ev_field[j] != field)
            continue;
        if (d->ev_day[j] < day) {
            v = d->ev_new[j];
            any = true;
        } else {
            return any ? v : d->ev_old[j]; /* RV_FC_UNKNOWN when not recorded */
        }
    }
    return any ? v : d->cur[field][deal];
}

/* --- as-of state ---------------------------------------------------------------------- */

static int32_t i32_or(int64_t v, int32_t none)
{
    return v == RV_FC_NOVAL || v == RV_FC_UNKNOWN ? none : (int32_t)v;
}

void rv_fc_state_build(const rv_fc_data *d, int32_t day, rv_fc_state *st)
{
    uint32_t n = d->ndeals;
    memset(st, 0, sizeof *st);
    st->day = day;
    st->n = n;
    st->status = xcalloc(n, 1);
    st->stage = xcalloc(n, sizeof *st->stage);
    st->owner = xcalloc(n, sizeof *st->owner);
    st->close = xcalloc(n, sizeof *st->close);
    st->closed_day = xcalloc(n, sizeof *st->closed_day);
    st->cat = xcalloc(n, sizeof *st->cat);
    st->amount = xcalloc(n, sizeof *st->amount);
    for (uint32_t i = 0; i < n; i++) {
        st->closed_day[i] = RV_FC_DAY_NONE;
        int32_t c = d->created[i];
        if (c != RV_FC_DAY_NONE && c >= day) {
            st->status[i] = RV_FC_S_FUTURE;
            continue;
        }
        int64_t s = rv_fc_value_at(d, i, RV_FC_STAGE, day);
        if (c == RV_FC_DAY_NONE || s == RV_FC_UNKNOWN || s == RV_FC_NOVAL || s < 0 ||
            (uint64_t)s >= d->nstages) {
            st->status[i] = RV_FC_S_UNPLACED;
            st->unplaced++;
            continue;
        }
        st->stage[i] = (int32_t)s;
        int kind = d->stage_kind[s];
        st->status[i] = kind == RV_FC_WON ? RV_FC_S_WON : kind == RV_FC_LOST ? RV_FC_S_LOST : RV_FC_S_OPEN;
        if (kind != RV_FC_OPEN) {
            /* the day of the last stage change before `day` */
            for (uint32_t j = d->ev_first[i]; j < d->ev_first[i + 1]; j++)
                if (d->ev_field[j] == RV_FC_STAGE && d->ev_day[j] < day)
                    st->closed_day[i] = d->ev_day[j];
            if (st->closed_day[i] == RV_FC_DAY_NONE)
                st->closed_day[i] = i32_or(rv_fc_value_at(d, i, RV_FC_CLOSE, day), c);
        } else {
            st->nopen++;
        }
        int64_t am = rv_fc_value_at(d, i, RV_FC_AMOUNT, day);
        st->amount[i] = am == RV_FC_NOVAL || am == RV_FC_UNKNOWN ? 0 : am;
        st->owner[i] = i32_or(rv_fc_value_at(d, i, RV_FC_OWNER, day), -1);
        st->close[i] = i32_or(rv_fc_value_at(d, i, RV_FC_CLOSE, day), RV_FC_DAY_NONE);
        st->cat[i] = i32_or(rv_fc_value_at(d, i, RV_FC_CATEGORY, day), RV_FC_CAT_PIPELINE);
    }
}

void rv_fc_state_free(rv_fc_state *st)
{
    if (!st)
        return;
    free(st->status), free(st->stage), free(st->owner), free(st->close), free(st->closed_day);
    free(st->cat), free(st->amount);
    memset(st, 0, sizeof *st);
}

/* --- periods ---------------------------------------------------------------------------- */

void rv_fc_period_of(int32_t day, rv_fc_period k, int fy_start, int32_t *start, int32_t *end)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(day, &y, &m, &dd);
    int len = k == RV_FC_MONTH ? 1 : k == RV_FC_QUARTER ? 3 : 12;
    /* months since the fiscal year's first month */
    int idx = y * 12 + (int)m - 1 - (fy_start - 1);
    int first = idx - ((idx % len) + len) % len + (fy_start - 1);
    int fy = first / 12, fm = first % 12;
    *start = rv_days_from_civil(fy, (unsigned)fm + 1, 1);
    int nx = first + len;
    *end = rv_days_from_civil(nx / 12, (unsigned)(nx % 12) + 1, 1);
}

void rv_fc_period_label(int32_t start, rv_fc_period k, int fy_start, char *buf, int cap)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(start, &y, &m, &dd);
    int idx = ((int)m - fy_start + 12) % 12; /* month of the fiscal year, 0-based */
    int fy = (int)m >= fy_start ? y : y - 1;
    if (k == RV_FC_MONTH)
        snprintf(buf, (size_t)cap, "%04d-%02u", y, m);
    else if (k == RV_FC_QUARTER)
        snprintf(buf, (size_t)cap, "%04d-Q%d", fy_start == 1 ? y : fy, idx / 3 + 1);
    else
        snprintf(buf, (size_t)cap, fy_start == 1 ? "%04d" : "FY%04d", fy);
}

/* --- the hazard model ----------------------------------------------------------------- */

typedef struct phases {
    int32_t lo;
    uint32_t n;
    uint8_t *ph;
} phases;

static void phases_build(phases *p, int32_t lo, int32_t hi, rv_fc_period k, int fy)
{
    p->lo = lo;
    p->n = hi > lo ? (uint32_t)(hi - lo) : 0;
    p->ph = xcalloc(p->n, 1);
    int32_t s = 0, e = 0;
    for (uint32_t i = 0; i < p->n; i++) {
        int32_t day = lo + (int32_t)i;
        if (i == 0 || day >= e)
            rv_fc_period_of(day, k, fy, &s, &e);
        p->ph[i] = (uint8_t)((int64_t)(day - s) * NPHASE / (e - s));
    }
}

static int phase_at(const phases *p, int32_t day)
{
    int64_t i = (int64_t)day - p->lo;
    return i >= 0 && i < p->n ? p->ph[i] : 0;
}

static int age_bucket(int32_t age) { return age / AGE_BUCKET < NAGE ? age / AGE_BUCKET : NAGE - 1; }

typedef struct fit_priv {
    phases ph;
    double *pwin_age; /* cache by age: P(won in [asof, end)) */
    int32_t cache_end, cache_n;
} fit_priv;

static int month_no(int32_t day)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(day, &y, &m, &dd);
    return y * 12 + (int)m - 1;
}

static double hz(const rv_fc_fit *f, const double *t, int32_t age, int ph)
{
    return t[age_bucket(age) * NPHASE + ph];
}

/* Survival from day `from` (age 0) to `to`, by the all-closes hazard. */
static double survive(const rv_fc_fit *f, const phases *p, int32_t age0, int32_t from, int32_t to)
{
    double s = 1;
    for (int32_t day = from; day < to; day++)
        s *= 1 - hz(f, f->h, age0 + day - from, phase_at(p, day));
    return s;
}

/* P(won in [from, to)) of a deal of age `age` at `from`. */
static double pwin(const rv_fc_fit *f, const phases *p, int32_t age, int32_t from, int32_t to)
{
    double s = 1, w = 0;
    for (int32_t day = from; day < to; day++) {
        int ph = phase_at(p, day);
        w += s * hz(f, f->hw, age + day - from, ph);
        s *= 1 - hz(f, f->h, age + day - from, ph);
    }
    return w;
}

const char *const rv_fc_cohort_names[3] = {"none", "closes", "maturity"};
const char *const rv_fc_new_deal_names[2] = {"hazard", "run_rate"};

const rv_fc_settings rv_fc_default_settings = {
    .window_days = 0, .hazard_prior = RV_FC_PRIOR, .cohort_prior = 2, .cohort = RV_FC_COHORT_CLOSES,
    .new_deals = RV_FC_NEW_HAZARD, .phase_quarter = true};

/* Close-date pushes of deal i before day: changes of its close date to a
 * later day, the old day known. */
static int pushes(const rv_fc_data *d, uint32_t i, int32_t day)
{
    int n = 0;
    for (uint32_t j = d->ev_first[i]; j < d->ev_first[i + 1] && d->ev_day[j] < day; j++)
        n += d->ev_field[j] == RV_FC_CLOSE && d->ev_old[j] != RV_FC_UNKNOWN && d->ev_old[j] != RV_FC_NOVAL &&
             d->ev_new[j] != RV_FC_NOVAL && d->ev_new[j] > d->ev_old[j];
    return n;
}

/* Feature groups of deal i in st: amount third (0..2), pushes 0, 1, 2+ (3..5). */
static void feature_groups(const rv_fc_data *d, const rv_fc_state *st, const rv_fc_fit *f, uint32_t i, int g[2])
{
    int64_t a = st->amount[i];
    g[0] = a <= f->amount_cut[0] ? 0 : a <= f->amount_cut[1] ? 1 : 2;
    int32_t until = st->status[i] == RV_FC_S_OPEN ? st->day : st->closed_day[i];
    int n = pushes(d, i, until);
    g[1] = 3 + (n < 2 ? n : 2);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Feature factors: a group's shrunk win share over the company's, from
 * every deal closed before T (as the owner's track record). */
static void features_fit(const rv_fc_data *d, const rv_fc_state *st, rv_fc_fit *f)
{
    for (int g = 0; g < RV_FC_NFEAT; g++)
        f->feature_factor[g] = 1;
    if (f->win_rate <= 0) /* fitted whatever set.features says: rv_fc_tune switches it on one fit */
        return;
    uint32_t n = 0;
    int64_t *am = xcalloc(st->n, sizeof *am);
    for (uint32_t i = 0; i < st->n; i++)
        if (st->status[i] == RV_FC_S_WON || st->status[i] == RV_FC_S_LOST)
            am[n++] = st->amount[i];
    if (!n) {
        free(am);
        return;
    }
    qsort(am, n, sizeof *am, cmp_i64);
    f->amount_cut[0] = am[n / 3], f->amount_cut[1] = am[2 * n / 3];
    free(am);
    double won[RV_FC_NFEAT] = {0}, cl[RV_FC_NFEAT] = {0};
    for (uint32_t i = 0; i < st->n; i++) {
        if (st->status[i] != RV_FC_S_WON && st->status[i] != RV_FC_S_LOST)
            continue;
        int g[2];
        feature_groups(d, st, f, i, g);
        for (int k = 0; k < 2; k++)
            cl[g[k]] += 1, won[g[k]] += st->status[i] == RV_FC_S_WON;
    }
    for (int g = 0; g < RV_FC_NFEAT; g++)
        f->feature_factor[g] = (won[g] + OWNER_PRIOR * f->win_rate) / (cl[g] + OWNER_PRIOR) / f->win_rate;
}

void rv_fc_fit_build(const rv_fc_data *d, const rv_fc_state *st, rv_fc_period k, int fy_start,
                     rv_fc_fit *f)
{
    rv_fc_fit_build_with(d, st, k, fy_start, &rv_fc_default_settings, f);
}

void rv_fc_fit_build_with(const rv_fc_data *d, const rv_fc_state *st, rv_fc_period k, int fy_start,
                          const rv_fc_settings *set, rv_fc_fit *f)
{
    memset(f, 0, sizeof *f);
    f->set = *set;
    int32_t T = st->day;
    f->asof = T;
    f->period = k;
    f->fy_start = fy_start;
    f->nage = NAGE;
    fit_priv *pv = xcalloc(1, sizeof *pv);
    int32_t ps, pe;
    rv_fc_period_of(T - 1, k, fy_start, &ps, &pe);
    int32_t L = pe - ps; /* a period's length: the last period when T starts one */
    L = set->window_days > L ? set->window_days : L;
    int32_t lo = T, first_close = INT32_MAX;
    uint64_t won = 0, closed = 0;
    for (uint32_t i = 0; i < st->n; i++) {
        uint8_t s = st->status[i];
        if (s < RV_FC_S_OPEN)
            continue;
        lo = d->created[i] < lo ? d->created[i] : lo;
        if (s != RV_FC_S_OPEN) {
            closed++;
            won += s == RV_FC_S_WON;
            first_close = st->closed_day[i] < first_close ? st->closed_day[i] : first_close;
        }
    }
    phases_build(&pv->ph, lo, T + 800, set->phase_quarter ? RV_FC_QUARTER : k, fy_start);
    int32_t W = T - L > first_close ? T - L : first_close;
    f->first_close = first_close;
    f->window_start = W;
    f->win_rate = closed ? (double)won / (double)closed : 0;

    /* deal-days at risk and closes in the window */
    double ex[NAGE * NPHASE] = {0}, ev[NAGE * NPHASE] = {0}, evw[NAGE * NPHASE] = {0};
    double *owon = xcalloc(d->nusers + 1, sizeof *owon), *ocl = xcalloc(d->nusers + 1, sizeof *ocl);
    __int128 wsum = 0, wbase = 0;
    for (uint32_t i = 0; i < st->n; i++) {
        uint8_t s = st->status[i];
        if (s < RV_FC_S_OPEN)
            continue;
        int32_t c = d->created[i];
        bool cl = s != RV_FC_S_OPEN;
        int32_t last = cl ? st->closed_day[i] : T - 1;
        for (int32_t day = c > W ? c : W; day <= last; day++)
            ex[age_bucket(day - c) * NPHASE + phase_at(&pv->ph, day)] += 1;
        if (cl && st->closed_day[i] >= W) {
            int cell = age_bucket(st->closed_day[i] - c) * NPHASE + phase_at(&pv->ph, st->closed_day[i]);
            ev[cell] += 1;
            evw[cell] += s == RV_FC_S_WON;
        }
        if (cl) {
            int32_t o = st->owner[i];
            if (o >= 0 && (uint32_t)o < d->nusers) {
                ocl[o] += 1;
                owon[o] += s == RV_FC_S_WON;
            }
        }
        if (s == RV_FC_S_WON) {
            int64_t before = rv_fc_value_at(d, i, RV_FC_AMOUNT, st->closed_day[i]);
            if (before != RV_FC_NOVAL && before != RV_FC_UNKNOWN && before > 0) {
                wsum += st->amount[i];
                wbase += before;
            }
        }
    }
    f->h = xcalloc(NAGE * NPHASE, sizeof *f->h);
    f->hw = xcalloc(NAGE * NPHASE, sizeof *f->hw);
    for (int a = 0; a < NAGE; a++) {
        double pex = 0, pev = 0, pevw = 0;
        for (int p = 0; p < NPHASE; p++)
            pex += ex[a * NPHASE + p], pev += ev[a * NPHASE + p], pevw += evw[a * NPHASE + p];
        double r = pex > 0 ? pev / pex : 0, rw = pex > 0 ? pevw / pex : 0;
        for (int p = 0; p < NPHASE; p++) {
            int cell = a * NPHASE + p;
            f->h[cell] = (ev[cell] + set->hazard_prior * r) / (ex[cell] + set->hazard_prior);
            f->hw[cell] = (evw[cell] + set->hazard_prior * rw) / (ex[cell] + set->hazard_prior);
        }
    }
    f->owner_factor = xcalloc(d->nusers + 1, sizeof *f->owner_factor);
    for (uint32_t u = 0; u < d->nusers; u++)
        f->owner_factor[u] = f->win_rate > 0
                                 ? (owon[u] + OWNER_PRIOR * f->win_rate) / (ocl[u] + OWNER_PRIOR) / f->win_rate
                                 : 1;
    free(owon), free(ocl);
    features_fit(d, st, f);
    if (wbase > 0 && wsum > 0 && wsum <= INT64_MAX && wbase <= INT64_MAX)
        f->won_sum = (int64_t)wsum, f->won_base = (int64_t)wbase;
    else
        f->won_sum = f->won_base = 1;

    /* cohorts, every mode (rv_fc_tune switches modes on one fit):
     *   closes    closes observed against closes the hazard expected since creation;
     *   maturity  deals still open against those the hazard expects still
     *             open, survival from the first close on (no evidence before) */
    int m0 = month_no(lo), m1 = month_no(T);
    f->cohort_first = m0;
    f->ncohorts = m1 - m0 + 1;
    size_t nc = (size_t)f->ncohorts;
    double *obs = xcalloc(2 * nc, sizeof *obs), *expd = xcalloc(2 * nc, sizeof *expd);
    uint32_t nd = (uint32_t)(T - lo) + 1;
    double *surv_from = xcalloc(2 * (size_t)nd, sizeof *surv_from);
    for (uint32_t x = 0; x < 2 * nd; x++)
        surv_from[x] = -1;
    for (uint32_t i = 0; i < st->n; i++) {
        uint8_t s = st->status[i];
        if (s < RV_FC_S_OPEN)
            continue;
        int32_t c = d->created[i];
        int m = month_no(c) - m0;
        uint32_t x = (uint32_t)(c - lo);
        if (surv_from[x] < 0) {
            int32_t from = first_close > c && first_close < T ? first_close : c;
            surv_from[x] = survive(f, &pv->ph, 0, c, T);
            surv_from[nd + x] = from < T ? survive(f, &pv->ph, from - c, from, T) : 1;
        }
        expd[m] += 1 - surv_from[x];
        obs[m] += s != RV_FC_S_OPEN;
        expd[nc + (size_t)m] += surv_from[nd + x];
        obs[nc + (size_t)m] += s == RV_FC_S_OPEN;
    }
    f->cohort_factor = xcalloc(3 * nc, sizeof *f->cohort_factor);
    double kc = set->cohort_prior;
    for (size_t m = 0; m < nc; m++) {
        double r[3] = {1, (obs[m] + kc) / (expd[m] + kc), (expd[nc + m] + kc) / (obs[nc + m] + kc)};
        for (int mode = 0; mode < 3; mode++)
            f->cohort_factor[(size_t)mode * nc + m] = r[mode] < 0 ? 0 : r[mode] > 1.5 ? 1.5 : r[mode];
    }
    free(obs), free(expd), free(surv_from);

    /* deals not yet created: the last period's creations */
    f->new_share = xcalloc(d->nusers + 1, sizeof *f->new_share);
    __int128 amt = 0;
    uint64_t nnew = 0;
    for (uint32_t i = 0; i < st->n; i++) {
        if (st->status[i] < RV_FC_S_OPEN || d->created[i] < T - L)
            continue;
        int64_t a = rv_fc_value_at(d, i, RV_FC_AMOUNT, d->created[i] + 1);
        amt += a == RV_FC_NOVAL || a == RV_FC_UNKNOWN ? 0 : a;
        nnew++;
        int64_t o = rv_fc_value_at(d, i, RV_FC_OWNER, d->created[i] + 1);
        if (o >= 0 && (uint64_t)o < d->nusers)
            f->new_share[o] += 1;
    }
    f->new_per_day = L > 0 ? (double)nnew / L : 0;
    f->new_amount = nnew ? (int64_t)((amt + (__int128)nnew / 2) / (__int128)nnew) : 0;
    for (uint32_t u = 0; u < d->nusers && nnew; u++)
        f->new_share[u] /= (double)nnew;
    pv->cache_end = RV_FC_DAY_NONE;
    f->priv = pv;
}

void rv_fc_fit_free(rv_fc_fit *f)
{
    if (!f)
        return;
    fit_priv *pv = f->priv;
    if (pv) {
        free(pv->ph.ph);
        free(pv->pwin_age);
        free(pv);
    }
    free(f->h), free(f->hw), free(f->owner_factor), free(f->cohort_factor), free(f->new_share);
    memset(f, 0, sizeof *f);
}

/* a * num / den rounded half-even, in 128 bits. */
static int64_t muldiv_half_even(int64_t a, int64_t num, int64_t den)
{
    __int128 x = (__int128)a * num;
    bool neg = (x < 0) != (den < 0);
    __int128 ax = x < 0 ? -x : x, ad = den < 0 ? -(__int128)den : den;
    __int128 q = ax / ad, r = ax % ad;
    if (2 * r > ad || (2 * r == ad && (q & 1)))
        q++;
    return (int64_t)(neg ? -q : q);
}

int64_t rv_fc_won_value(const rv_fc_fit *f, int64_t amount)
{
    return f->won_base > 0 ? muldiv_half_even(amount, f->won_sum, f->won_base) : amount;
}

static double hazard_p(void *ud, const rv_fc_data *d, const rv_fc_state *st, uint32_t i, int32_t end)
{
    rv_fc_fit *f = ud;
    fit_priv *pv = f->priv;
    int32_t T = st->day;
    if (pv->cache_end != end) {
        free(pv->pwin_age);
        pv->cache_n = T - (pv->ph.lo) + 1;
        pv->pwin_age = xcalloc((size_t)pv->cache_n, sizeof *pv->pwin_age);
        for (int32_t a = 0; a < pv->cache_n; a++)
            pv->pwin_age[a] = -1;
        pv->cache_end = end;
    }
    int32_t age = T - d->created[i];
    if (age < 0 || age >= pv->cache_n)
        return 0;
    if (pv->pwin_age[age] < 0)
        pv->pwin_age[age] = pwin(f, &pv->ph, age, T, end);
    double p = pv->pwin_age[age];
    int32_t o = st->owner[i];
    if (o >= 0 && (uint32_t)o < d->nusers)
        p *= f->owner_factor[o];
    int m = month_no(d->created[i]) - f->cohort_first;
    if (m >= 0 && m < f->ncohorts)
        p *= f->cohort_factor[(size_t)f->set.cohort * (size_t)f->ncohorts + (size_t)m];
    if (f->set.features) {
        int g[2];
        feature_groups(d, st, f, i, g);
        p *= f->feature_factor[g[0]] * f->feature_factor[g[1]];
    }
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

rv_fc_model rv_fc_hazard_model(rv_fc_fit *f) { return (rv_fc_model){hazard_p, f}; }

/* day moved by n months, the day of the month kept where the month has it */
static int32_t add_months(int32_t day, int n)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(day, &y, &m, &dd);
    int idx = y * 12 + (int)m - 1 + n;
    int ny = idx / 12, nm = idx % 12 + 1;
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned last = mdays[nm - 1] + (nm == 2 && ny % 4 == 0 && (ny % 100 != 0 || ny % 400 == 0));
    return rv_days_from_civil(ny, (unsigned)nm, dd < last ? dd : last);
}

double rv_fc_new_runrate(const rv_fc_data *d, const rv_fc_state *st, const rv_fc_fit *f, int32_t end)
{
    (void)d;
    int back = f->period == RV_FC_YEAR ? -12 : -3;
    int32_t a = add_months(st->day, back), b = add_months(end, back);
    if (f->first_close == INT32_MAX || a < f->first_close || b > st->day)
        return -1;
    double sum = 0;
    for (uint32_t i = 0; i < st->n; i++)
        if (st->status[i] == RV_FC_S_WON && d->created[i] >= a && st->closed_day[i] >= a && st->closed_day[i] < b)
            sum += (double)st->amount[i];
    return sum;
}

double rv_fc_new_expected(const rv_fc_fit *f, int32_t end)
{
    const fit_priv *pv = f->priv;
    double v = (double)rv_fc_won_value(f, f->new_amount), e = 0;
    for (int32_t day = f->asof; day < end; day++)
        e += pwin(f, &pv->ph, 0, day, end);
    return f->new_per_day * v * e;
}

/* --- Monte Carlo ------------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t x = seed ^ (a * 0xD1B54A32D192ED03ull) ^ (b * 0x8CB92BA72F3D8DD7ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return res;
}

static inline double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Poisson(lambda) counts by inversion: cdf[k] = P(N <= k) up to where it
 * reaches 1 - 1e-13 (or cap); a draw is the first k with cdf[k] >= u,
 * found by bisection.  Exact to double precision; used up to lambda = 500
 * (exp(-lambda) stays a normal double, the table within POISSON_CAP). */
#define POISSON_MAX 500.0
#define POISSON_CAP 1024
static int poisson_table(double lambda, double *cdf)
{
    double p = exp(-lambda), c = p;
    int k = 0;
    cdf[0] = c;
    while (k + 1 < POISSON_CAP && c < 1 - 1e-13) {
        k++;
        p *= lambda / k;
        c += p;
        cdf[k] = c;
    }
    return k + 1;
}

static double poisson_draw(rng *r, const double *cdf, int n)
{
    double u = rng_unit(r);
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cdf[mid] >= u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Above POISSON_MAX, the normal law N(lambda, lambda) rounded and kept >= 0
 * (its skew, 1/sqrt(lambda) < 0.045, is far inside a roll-up's trial noise). */
static double poisson_normal(rng *r, double lambda)
{
    double u, v, q;
    do {
        u = 2 * rng_unit(r) - 1, v = 2 * rng_unit(r) - 1, q = u * u + v * v;
    } while (q >= 1 || q == 0);
    double x = nearbyint(lambda + sqrt(lambda) * u * sqrt(-2 * log(q) / q));
    return x < 0 ? 0 : x;
}

typedef struct sim {
    const rv_fc_sim_in *in;
    uint32_t *first, *deals; /* deals of each node (CSR) */
    uint64_t *thr;           /* Bernoulli thresholds: win when next < thr (p = 1: UINT64_MAX + always) */
    uint8_t *exact;          /* per node: every deal drawn */
    uint8_t *heavy;          /* per deal: drawn even when its node is drawn from the normal law */
    double *mean, *sd;       /* per node: the normal law of its deals that are not heavy */
    int32_t *order;          /* nodes, children before parents */
    double *tot;             /* [node][trial] */
    int nblocks;
    int next_block;
    uint32_t next_node;      /* percentiles, after every block */
    rv_fc_node_out *out;
    pthread_mutex_t mu;
} sim;

/* One deal drawn in trials [t0, t1) of a row. */
static void draw_deal(const sim *s, rng *r, uint32_t i, double *row, int t0, int t1)
{
    uint64_t th = s->thr[i];
    double v = (double)s->in->value[i];
    if (s->in->p[i] >= 1) {
        for (int t = t0; t < t1; t++)
            row[t] += v;
    } else {
        for (int t = t0; t < t1; t++)
            row[t] += rng_next(r) < th ? v : 0;
    }
}

static void sim_block(sim *s, int blk)
{
    const rv_fc_sim_in *in = s->in;
    int t0 = blk * BLOCK, t1 = t0 + BLOCK < in->trials ? t0 + BLOCK : in->trials;
    for (uint32_t nd = 0; nd < in->nnodes; nd++) {
        double *row = s->tot + (size_t)nd * (size_t)in->trials;
        double c = in->constant ? in->constant[nd] : 0;
        for (int t = t0; t < t1; t++)
            row[t] = c;
        if (in->new_count && in->new_count[nd] > 0) {
            rng q;
            rng_seed(&q, in->seed ^ 0x6E6577ull, nd, (uint64_t)blk);
            double lam = in->new_count[nd], cdf[POISSON_CAP];
            int n = lam <= POISSON_MAX ? poisson_table(lam, cdf) : 0;
            for (int t = t0; t < t1; t++)
                row[t] += in->new_value * (n ? poisson_draw(&q, cdf, n) : poisson_normal(&q, lam));
        }
        if (s->first[nd] == s->first[nd + 1])
            continue;
        rng r;
        rng_seed(&r, in->seed, nd, (uint64_t)blk);
        if (s->exact[nd]) {
            for (uint32_t k = s->first[nd]; k < s->first[nd + 1]; k++)
                draw_deal(s, &r, s->deals[k], row, t0, t1);
            continue;
        }
        double m = s->mean[nd], sd = s->sd[nd];
        for (int t = t0; t < t1; t += 2) {
            /* Marsaglia's polar method: two normals per accepted pair of uniforms */
            double u, v, q;
            do {
                u = 2 * rng_unit(&r) - 1, v = 2 * rng_unit(&r) - 1, q = u * u + v * v;
            } while (q >= 1 || q == 0);
            double f = sqrt(-2 * log(q) / q);
            row[t] += m + sd * u * f;
            if (t + 1 < t1)
                row[t + 1] += m + sd * v * f;
        }
        for (uint32_t k = s->first[nd]; k < s->first[nd + 1]; k++)
            if (s->heavy[s->deals[k]])
                draw_deal(s, &r, s->deals[k], row, t0, t1);
    }
    for (uint32_t k = 0; k < in->nnodes; k++) {
        int32_t nd = s->order[k], p = in->parent[nd];
        if (p < 0)
            continue;
        double *row = s->tot + (size_t)nd * (size_t)in->trials, *prow = s->tot + (size_t)p * (size_t)in->trials;
        for (int t = t0; t < t1; t++)
            prow[t] += row[t];
    }
}

static void *sim_worker(void *ud)
{
    sim *s = ud;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int b = s->next_block++;
        pthread_mutex_unlock(&s->mu);
        if (b >= s->nblocks)
            return NULL;
        sim_block(s, b);
    }
}

static double select_kth(double *x, int n, int k);
static int64_t fc_round(double v);
static int nearest_rank(double q, int n);

/* Percentiles of nodes taken 16 at a time: P50 first, then P10 among the
 * trials below it and P90 among those above (select leaves them split). */
static void *pct_worker(void *ud)
{
    sim *s = ud;
    int n = s->in->trials, k10 = nearest_rank(0.1, n), k50 = nearest_rank(0.5, n), k90 = nearest_rank(0.9, n);
    double *x = xcalloc((size_t)n, sizeof *x);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        uint32_t a = s->next_node;
        s->next_node += 16;
        pthread_mutex_unlock(&s->mu);
        if (a >= s->in->nnodes)
            break;
        uint32_t b = a + 16 < s->in->nnodes ? a + 16 : s->in->nnodes;
        for (uint32_t k = a; k < b; k++) {
            memcpy(x, s->tot + (size_t)k * (size_t)n, (size_t)n * sizeof *x);
            rv_fc_node_out *o = &s->out[k];
            o->p50 = fc_round(select_kth(x, n, k50));
            o->p10 = fc_round(k10 < k50 ? select_kth(x, k50, k10) : x[k10]);
            o->p90 = fc_round(k90 > k50 ? select_kth(x + k50 + 1, n - k50 - 1, k90 - k50 - 1) : x[k90]);
        }
    }
    free(x);
    return NULL;
}

/* Run fn on nt threads (the caller's among them). */
static void run_threads(int nt, void *(*fn)(void *), sim *s)
{
    pthread_t th[16];
    nt = nt < 1 ? 1 : nt > 16 ? 16 : nt;
    for (int t = 1; t < nt; t++)
        pthread_create(&th[t], NULL, fn, s);
    fn(s);
    for (int t = 1; t < nt; t++)
        pthread_join(th[t], NULL);
}

static inline void dswap(double *x, int i, int j)
{
    double t = x[i];
    x[i] = x[j], x[j] = t;
}

/* Floyd and Rivest's SELECT (CACM 18(3), 1975, algorithm 489): put the
 * k-th smallest of x[l..r] at x[k], smaller before it, larger after; a
 * sample around the expected position narrows the range first, so it takes
 * about n + min(k, n - k) comparisons where Hoare's takes ~3.4 n. */
static void fr_select(double *x, int l, int r, int k)
{
    while (r > l) {
        if (r - l > 600) {
            double n = r - l + 1, i = k - l + 1, z = log(n), sz = 0.5 * exp(2 * z / 3);
            double sd = 0.5 * sqrt(z * sz * (n - sz) / n) * (i - n / 2 < 0 ? -1 : 1);
            int nl = (int)fmax(l, floor(k - i * sz / n + sd)), nr = (int)fmin(r, floor(k + (n - i) * sz / n + sd));
            fr_select(x, nl, nr, k);
        }
        double t = x[k];
        int i = l, j = r;
        dswap(x, l, k);
        if (x[r] > t)
            dswap(x, r, l);
        while (i < j) {
            dswap(x, i, j);
            i++, j--;
            while (x[i] < t)
                i++;
            while (x[j] > t)
                j--;
        }
        if (x[l] == t) {
            dswap(x, l, j);
        } else {
            j++;
            dswap(x, j, r);
        }
        if (j <= k)
            l = j + 1;
        if (k <= j)
            r = j - 1;
    }
}

/* The k-th smallest of x[0..n) (x is reordered: smaller ones before k, larger after). */
static double select_kth(double *x, int n, int k)
{
    fr_select(x, 0, n - 1, k);
    return x[k];
}

/* The one place money leaves double: half-even to minor units. */
static int64_t fc_round(double v) { return (int64_t)nearbyint(v); }

static int nearest_rank(double q, int n)
{
    int k = (int)ceil(q * n - 1e-9) - 1;
    return k < 0 ? 0 : k >= n ? n - 1 : k;
}

int rv_fc_simulate(const rv_fc_sim_in *in, rv_fc_node_out *out)
{
    uint32_t nn = in->nnodes;
    int32_t *depth = xcalloc(nn, sizeof *depth);
    for (uint32_t k = 0; k < nn; k++) {
        uint32_t steps = 0;
        for (int32_t p = in->parent[k]; p >= 0; p = in->parent[p])
            if (++steps > nn) {
                free(depth);
                return -1;
            }
        depth[k] = (int32_t)steps;
    }
    sim s = {.in = in};
    s.first = xcalloc(nn + 1, sizeof *s.first);
    for (uint32_t i = 0; i < in->ndeals; i++)
        s.first[in->node[i] + 1]++;
    for (uint32_t k = 0; k < nn; k++)
        s.first[k + 1] += s.first[k];
    s.deals = xcalloc(in->ndeals, sizeof *s.deals);
    uint32_t *pos = xcalloc(nn + 1, sizeof *pos);
    memcpy(pos, s.first, nn * sizeof *pos);
    for (uint32_t i = 0; i < in->ndeals; i++)
        s.deals[pos[in->node[i]]++] = i;
    free(pos);
    s.thr = xcalloc(in->ndeals, sizeof *s.thr);
    s.exact = xcalloc(nn, 1);
    s.heavy = xcalloc(in->ndeals, 1);
    s.mean = xcalloc(nn, sizeof *s.mean);
    s.sd = xcalloc(nn, sizeof *s.sd);
    double *var = xcalloc(nn, sizeof *var), *maxv = xcalloc(nn, sizeof *maxv), *dvar = xcalloc(in->ndeals, sizeof *dvar);
    uint32_t *nlight = xcalloc(nn, sizeof *nlight);
    for (uint32_t i = 0; i < in->ndeals; i++) {
        double p = in->p[i] < 0 ? 0 : in->p[i] > 1 ? 1 : in->p[i], v = (double)in->value[i];
        s.thr[i] = p >= 1 ? UINT64_MAX : (uint64_t)(p * 0x1.0p64);
        dvar[i] = p * (1 - p) * v * v;
        var[in->node[i]] += dvar[i];
    }
    /* a deal holding a tenth of its node's variance is heavy: drawn itself;
     * the node's other deals go to the normal law when there are enough
     * of them and none of them holds a tenth of their variance */
    double *lvar = xcalloc(nn, sizeof *lvar);
    for (uint32_t i = 0; i < in->ndeals; i++) {
        int32_t nd = in->node[i];
        s.heavy[i] = dvar[i] > 0.1 * var[nd];
        if (!s.heavy[i])
            lvar[nd] += dvar[i], nlight[nd]++, maxv[nd] = dvar[i] > maxv[nd] ? dvar[i] : maxv[nd];
    }
    for (uint32_t i = 0; i < in->ndeals; i++)
        if (!s.heavy[i])
            s.mean[in->node[i]] += (in->p[i] < 0 ? 0 : in->p[i] > 1 ? 1 : in->p[i]) * (double)in->value[i];
    for (uint32_t k = 0; k < nn; k++) {
        s.sd[k] = sqrt(lvar[k]);
        s.exact[k] = in->exact || nlight[k] < RV_FC_EXACT_DEALS || maxv[k] > 0.1 * lvar[k];
    }
    free(lvar), free(nlight);
    /* children before parents */
    s.order = xcalloc(nn, sizeof *s.order);
    int32_t maxd = 0;
    for (uint32_t k = 0; k < nn; k++)
        maxd = depth[k] > maxd ? depth[k] : maxd;
    uint32_t o = 0;
    for (int32_t dd = maxd; dd >= 0; dd--)
        for (uint32_t k = 0; k < nn; k++)
            if (depth[k] == dd)
                s.order[o++] = (int32_t)k;
    int trials = in->trials > 0 ? in->trials : 1;
    rv_fc_sim_in local = *in;
    local.trials = trials;
    s.in = &local;
    s.tot = xcalloc((size_t)nn * (size_t)trials, sizeof *s.tot);
    s.nblocks = (trials + BLOCK - 1) / BLOCK;
    s.out = out;
    pthread_mutex_init(&s.mu, NULL);
    int nt = in->threads > 0 ? in->threads : 2;
    run_threads(nt, sim_worker, &s);
    run_threads(nt, pct_worker, &s);
    pthread_mutex_destroy(&s.mu);

    /* per node: exact mean, percentiles of the trials, subtree deal count, drivers */
    double *mean_tree = xcalloc(nn, sizeof *mean_tree);
    uint32_t *cnt = xcalloc(nn, sizeof *cnt);
    for (uint32_t k = 0; k < nn; k++) {
        mean_tree[k] += (in->constant ? in->constant[k] : 0) + (in->new_count ? in->new_count[k] * in->new_value : 0);
        cnt[k] += s.first[k + 1] - s.first[k];
    }
    for (uint32_t i = 0; i < in->ndeals; i++)
        mean_tree[in->node[i]] += (in->p[i] < 0 ? 0 : in->p[i] > 1 ? 1 : in->p[i]) * (double)in->value[i];
    for (uint32_t k = 0; k < nn; k++) {
        int32_t nd = s.order[k], p = in->parent[nd];
        if (p >= 0)
            mean_tree[p] += mean_tree[nd], cnt[p] += cnt[nd];
    }
    for (uint32_t k = 0; k < nn; k++) {
        out[k].mean = fc_round(mean_tree[k]);
        out[k].deals = cnt[k];
        for (int j = 0; j < RV_FC_DRIVERS; j++)
            out[k].drivers[j] = -1;
    }
    double *dv = xcalloc((size_t)nn * RV_FC_DRIVERS, sizeof *dv);
    for (uint32_t i = 0; i < in->ndeals; i++) {
        double vi = dvar[i];
        if (vi <= 0)
            continue;
        for (int32_t nd = in->node[i]; nd >= 0; nd = in->parent[nd]) {
            double *w = dv + (size_t)nd * RV_FC_DRIVERS;
            int32_t *dr = out[nd].drivers;
            if (dr[RV_FC_DRIVERS - 1] >= 0 && vi <= w[RV_FC_DRIVERS - 1])
                continue;
            int j = RV_FC_DRIVERS - 1;
            while (j > 0 && (dr[j - 1] < 0 || vi > w[j - 1])) {
                w[j] = w[j - 1], dr[j] = dr[j - 1];
                j--;
            }
            w[j] = vi, dr[j] = (int32_t)i;
        }
    }
    free(dv), free(mean_tree), free(cnt), free(dvar);
    free(depth), free(var), free(maxv);
    free(s.first), free(s.deals), free(s.thr), free(s.exact), free(s.heavy), free(s.mean), free(s.sd), free(s.order);
    free(s.tot);
    return 0;
}

/* --- forecasts ----------------------------------------------------------------------- */

uint32_t rv_fc_nodes(const rv_fc_data *d, int32_t *parent)
{
    uint32_t n = 1 + d->nteams + d->nusers;
    parent[0] = -1;
    for (uint32_t t = 0; t < d->nteams; t++) {
        int32_t p = d->team_parent ? d->team_parent[t] : -1;
        parent[1 + t] = p >= 0 && (uint32_t)p < d->nteams ? 1 + p : 0;
    }
    for (uint32_t u = 0; u < d->nusers; u++) {
        int32_t m = d->user_manager ? d->user_manager[u] : -1, t = d->user_team ? d->user_team[u] : -1;
        parent[rv_fc_user_node(d, (int32_t)u)] = m >= 0 && (uint32_t)m < d->nusers ? rv_fc_user_node(d, m)
                                                 : t >= 0 && (uint32_t)t < d->nteams ? 1 + t
                                                                                     : 0;
    }
    return n;
}

int64_t rv_fc_actual(const rv_fc_data *d, int32_t start, int32_t end)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < d->ndeals; i++) {
        int64_t s = d->cur[RV_FC_STAGE][i];
        if (s < 0 || (uint64_t)s >= d->nstages || d->stage_kind[s] != RV_FC_WON)
            continue;
        int32_t day = RV_FC_DAY_NONE;
        for (uint32_t j = d->ev_first[i]; j < d->ev_first[i + 1]; j++)
            if (d->ev_field[j] == RV_FC_STAGE)
                day = d->ev_day[j];
        if (day == RV_FC_DAY_NONE)
            day = i32_or(d->cur[RV_FC_CLOSE][i], RV_FC_DAY_NONE);
        int64_t a = d->cur[RV_FC_AMOUNT][i];
        if (day >= start && day < end && a != RV_FC_NOVAL)
            sum += a;
    }
    return sum;
}

/* Expected won amount from deals not yet created, by the fit's setting. */
static double new_deals(const rv_fc_data *d, const rv_fc_state *st, const rv_fc_fit *f, int32_t end)
{
    double rr = f->set.new_deals == RV_FC_NEW_RUNRATE ? rv_fc_new_runrate(d, st, f, end) : -1;
    return rr >= 0 ? rr : rv_fc_new_expected(f, end);
}

/* Expected won amount of [st->day, end) by a fit (its settings as they are now). */
static double fit_expected(const rv_fc_data *d, const rv_fc_state *st, rv_fc_fit *f, int32_t end)
{
    rv_fc_model m = rv_fc_hazard_model(f);
    double e = new_deals(d, st, f, end);
    for (uint32_t i = 0; i < st->n; i++)
        if (st->status[i] == RV_FC_S_OPEN)
            e += m.p_win(m.ud, d, st, i, end) * (double)rv_fc_won_value(f, st->amount[i]);
    return e;
}

double rv_fc_expected(const rv_fc_data *d, int32_t start, int32_t end, rv_fc_period k, int fy_start,
                      const rv_fc_settings *set)
{
    rv_fc_state st;
    rv_fc_state_build(d, start, &st);
    rv_fc_fit f;
    rv_fc_fit_build_with(d, &st, k, fy_start, set, &f);
    double e = fit_expected(d, &st, &f, end);
    rv_fc_fit_free(&f);
    rv_fc_state_free(&st);
    return e;
}

/* The candidates rv_fc_tune tries, the defaults first. */
static int candidates(rv_fc_settings *c, int cap)
{
    static const int windows[] = {0, 91, 182, 364};
    static const int cohorts[] = {RV_FC_COHORT_CLOSES, RV_FC_COHORT_NONE, RV_FC_COHORT_MATURITY};
    static const int news[] = {RV_FC_NEW_HAZARD, RV_FC_NEW_RUNRATE};
    int n = 0;
    for (int ft = 0; ft < 2; ft++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int w = 0; w < 4 && n < cap; w++) {
                    c[n] = rv_fc_default_settings;
                    c[n].window_days = windows[w], c[n].cohort = cohorts[b], c[n].new_deals = news[a];
                    c[n].features = ft;
                    n++;
                }
    return n;
}

/* The next validation window start after s: the 16th, else the next 1st. */
static int32_t s_next(int32_t s)
{
    int y;
    unsigned m, dd;
    rv_civil_from_days(s, &y, &m, &dd);
    return dd < 16 ? rv_days_from_civil(y, m, 16) : add_months(rv_days_from_civil(y, m, 1), 1);
}

int rv_fc_tune(const rv_fc_data *d, int32_t T, rv_fc_period k, int fy_start, bool shifted_only,
               rv_fc_settings *best, double *best_mape)
{
    *best = rv_fc_default_settings;
    *best_mape = -1;
    rv_fc_state st;
    rv_fc_state_build(d, T, &st);
    int32_t first_close = INT32_MAX;
    for (uint32_t i = 0; i < st.n; i++)
        if (st.status[i] == RV_FC_S_WON || st.status[i] == RV_FC_S_LOST)
            first_close = st.closed_day[i] < first_close ? st.closed_day[i] : first_close;
    /* validation windows: a period's length from a month start after the
     * first close on record, over by T, something won in it (known at T) */
    enum { MAXW = 8 };
    int32_t ws[MAXW], we[MAXW];
    double actual[MAXW];
    int nw = 0, len = k == RV_FC_MONTH ? 1 : k == RV_FC_QUARTER ? 3 : 12;
    if (first_close != INT32_MAX) {
        int32_t s, e, ps, pe;
        rv_fc_period_of(first_close, RV_FC_MONTH, fy_start, &s, &e);
        /* starts on the 1st and the 16th of every month */
        for (s = e; (e = add_months(s, len)) <= T; s = s_next(s)) {
            rv_fc_period_of(s, k, fy_start, &ps, &pe);
            if (shifted_only && ps == s)
                continue;
            double a = 0;
            for (uint32_t i = 0; i < st.n; i++)
                if (st.status[i] == RV_FC_S_WON && st.closed_day[i] >= s && st.closed_day[i] < e)
                    a += (double)st.amount[i];
            if (a <= 0)
                continue;
            if (nw == MAXW) { /* the latest MAXW windows */
                memmove(ws, ws + 1, (MAXW - 1) * sizeof *ws), memmove(we, we + 1, (MAXW - 1) * sizeof *we);
                memmove(actual, actual + 1, (MAXW - 1) * sizeof *actual);
                nw--;
            }
            ws[nw] = s, we[nw] = e, actual[nw++] = a;
        }
    }
    rv_fc_state_free(&st);
    if (!nw)
        return 0;
    /* the hazard depends on the learning window only: one fit per
     * validation window and window length, the other settings switched on it */
    rv_fc_settings cand[64];
    int nc = candidates(cand, 64);
    double sum[64] = {0};
    for (int w = 0; w < nw; w++) {
        rv_fc_state vs;
        rv_fc_state_build(d, ws[w], &vs);
        for (int c0 = 0; c0 < nc; c0++) {
            bool first = true;
            for (int c = 0; c < c0 && first; c++)
                first = cand[c].window_days != cand[c0].window_days;
            if (!first)
                continue;
            rv_fc_fit f;
            rv_fc_fit_build_with(d, &vs, k, fy_start, &cand[c0], &f);
            for (int c = c0; c < nc; c++) {
                if (cand[c].window_days != cand[c0].window_days)
                    continue;
                f.set = cand[c];
                sum[c] += fabs(fit_expected(d, &vs, &f, we[w]) - actual[w]) / actual[w];
            }
            rv_fc_fit_free(&f);
        }
        rv_fc_state_free(&vs);
    }
    for (int c = 0; c < nc; c++) {
        double mape = 100 * sum[c] / nw;
        if (*best_mape < 0 || mape < *best_mape)
            *best = cand[c], *best_mape = mape;
    }
    return nw;
}

void rv_fc_forecast(const rv_fc_data *d, int32_t start, int32_t end, rv_fc_period k, int fy_start,
                    int trials, uint64_t seed, rv_fc_period_out *out, rv_fc_node_out *nodes)
{
    rv_fc_forecast_with(d, start, end, k, fy_start, &rv_fc_default_settings, trials, seed, out, nodes);
}

void rv_fc_forecast_with(const rv_fc_data *d, int32_t start, int32_t end, rv_fc_period k, int fy_start,
                         const rv_fc_settings *set, int trials, uint64_t seed, rv_fc_period_out *out,
                         rv_fc_node_out *nodes)
{
    memset(out, 0, sizeof *out);
    out->start = start, out->end = end;
    rv_fc_period_label(start, k, fy_start, out->label, sizeof out->label);
    rv_fc_state st;
    rv_fc_state_build(d, start, &st);
    rv_fc_fit f;
    rv_fc_fit_build_with(d, &st, k, fy_start, set, &f);
    rv_fc_model m = rv_fc_hazard_model(&f);
    out->open = st.nopen, out->unplaced = st.unplaced;
    out->set = *set;

    uint32_t nn = 1 + d->nteams + d->nusers;
    int32_t *parent = xcalloc(nn, sizeof *parent);
    rv_fc_nodes(d, parent);
    double *p = xcalloc(st.nopen, sizeof *p), *constant = xcalloc(nn, sizeof *constant);
    int64_t *value = xcalloc(st.nopen, sizeof *value);
    int32_t *node = xcalloc(st.nopen, sizeof *node);
    double weighted = 0;
    int64_t category = 0, runrate = 0;
    int32_t ps, pe;
    rv_fc_period_of(start - 1, k, fy_start, &ps, &pe);
    uint32_t n = 0;
    for (uint32_t i = 0; i < st.n; i++) {
        if (st.status[i] == RV_FC_S_WON && st.closed_day[i] >= ps)
            runrate += st.amount[i];
        if (st.status[i] != RV_FC_S_OPEN)
            continue;
        p[n] = m.p_win(m.ud, d, &st, i, end);
        value[n] = rv_fc_won_value(&f, st.amount[i]);
        node[n] = rv_fc_user_node(d, st.owner[i]);
        n++;
        bool due = st.close[i] == RV_FC_DAY_NONE || st.close[i] < end;
        if (due)
            weighted += f.win_rate * (double)st.amount[i];
        if (st.close[i] != RV_FC_DAY_NONE && st.close[i] < end &&
            (st.cat[i] == RV_FC_CAT_COMMIT || st.cat[i] == RV_FC_CAT_BEST_CASE))
            category += st.amount[i];
    }
    /* deals not yet created: a Poisson number of won deals of the mean
     * value, their expected revenue nw, shared by owner */
    double nw = new_deals(d, &st, &f, end), shared = 0, nv = (double)rv_fc_won_value(&f, f.new_amount);
    double *lambda = xcalloc(nn, sizeof *lambda);
    for (uint32_t u = 0; u < d->nusers; u++) {
        double x = nw * f.new_share[u];
        if (nv > 0)
            lambda[rv_fc_user_node(d, (int32_t)u)] = x / nv;
        else
            constant[rv_fc_user_node(d, (int32_t)u)] = x;
        shared += f.new_share[u];
    }
    double rest = nw * (1 - shared > 1e-12 ? 1 - shared : 0);
    if (nv > 0)
        lambda[0] += rest / nv;
    else
        constant[0] += rest;
    rv_fc_node_out *no = nodes ? nodes : xcalloc(nn, sizeof *no);
    rv_fc_sim_in in = {.ndeals = n, .p = p, .value = value, .node = node, .nnodes = nn, .parent = parent,
                       .constant = constant, .new_count = lambda, .new_value = nv, .trials = trials,
                       .seed = seed};
    rv_fc_simulate(&in, no);
    out->forecast[RV_FC_M_PREDICTIVE] = no[0].p50;
    out->p10 = no[0].p10, out->p90 = no[0].p90;
    out->forecast[RV_FC_M_WEIGHTED] = fc_round(weighted);
    out->forecast[RV_FC_M_CATEGORY] = category;
    out->forecast[RV_FC_M_RUNRATE] = runrate;
    if (!nodes)
        free(no);
    free(p), free(constant), free(lambda), free(value), free(node), free(parent);
    rv_fc_fit_free(&f);
    rv_fc_state_free(&st);
}
