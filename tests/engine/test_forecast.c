/*
 * test_forecast.c - the forecast engine (src/engine/forecast.c): Monte
 * Carlo percentiles against an exactly enumerated distribution, roll-up
 * sums through a hand-built hierarchy, as-of reconstruction against
 * hand-written history, and no peeking: changing data dated on or after
 * the as-of day leaves the forecast unchanged.
 */
/* cmocka.h needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/forecast.h"
#include "model/money.h"

/* Nearest-rank quantile of the exact distribution of sum v_i B(p_i). */
static int64_t exact_quantile(const double *p, const int64_t *v, int n, double q, double *cdf_gap)
{
    int m = 1 << n;
    int64_t *x = calloc((size_t)m, sizeof *x);
    double *w = calloc((size_t)m, sizeof *w);
    for (int s = 0; s < m; s++) {
        w[s] = 1;
        for (int i = 0; i < n; i++) {
            bool won = s >> i & 1;
            w[s] *= won ? p[i] : 1 - p[i];
            x[s] += won ? v[i] : 0;
        }
    }
    /* sort outcomes by value (tiny n: insertion sort) */
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
            int64_t tx = x[j]; x[j] = x[j - 1]; x[j - 1] = tx;
            double tw = w[j]; w[j] = w[j - 1]; w[j - 1] = tw;
        }
    double c = 0;
    int64_t r = x[m - 1];
    *cdf_gap = 1;
    for (int i = 0; i < m; i++) {
        c += w[i];
        if (fabs(c - q) < *cdf_gap)
            *cdf_gap = fabs(c - q);
        if (c >= q - 1e-12) {
            r = x[i];
            break;
        }
    }
    free(x), free(w);
    return r;
}

static void test_mc_exact(void **state)
{
    (void)state;
    double p[4] = {0.5, 0.3, 0.8, 0.15};
    int64_t v[4] = {10000, 20000, 40000, 70000};
    int32_t node[4] = {1, 1, 1, 1}, parent[2] = {-1, 0};
    rv_fc_sim_in in = {.ndeals = 4, .p = p, .value = v, .node = node, .nnodes = 2, .parent = parent,
                       .trials = 200000, .seed = 7};
    rv_fc_node_out out[2];
    assert_int_equal(rv_fc_simulate(&in, out), 0);
    double qs[3] = {0.1, 0.5, 0.9};
    int64_t got[3] = {out[1].p10, out[1].p50, out[1].p90};
    for (int k = 0; k < 3; k++) {
        double gap;
        int64_t want = exact_quantile(p, v, 4, qs[k], &gap);
        assert_true(gap > 0.01); /* no CDF step within the trial noise */
        assert_int_equal(got[k], want);
    }
    /* mean = sum p v exactly */
    assert_int_equal(out[1].mean, 5000 + 6000 + 32000 + 10500);
    /* the root holds the same trials */
    assert_int_equal(out[0].p10, out[1].p10);
    assert_int_equal(out[0].p90, out[1].p90);
    /* drivers by p(1-p)v^2: 70000 (0.1275*4.9e9), 40000 (0.16*1.6e9), 20000, 10000 */
    assert_int_equal(out[1].drivers[0], 3);
    assert_int_equal(out[1].drivers[1], 2);
    assert_int_equal(out[1].drivers[2], 1);
    assert_int_equal(out[1].drivers[3], 0);
    assert_int_equal(out[1].drivers[4], -1);
    /* the plain method gives the same percentiles */
    in.exact = true;
    in.threads = 1;
    rv_fc_node_out o2[2];
    assert_int_equal(rv_fc_simulate(&in, o2), 0);
    assert_int_equal(o2[1].p50, out[1].p50);
}

/* One rep with 200 deals of 1000 at p 0.5 (drawn from the normal law) and
 * one of 1,000,000 at p 0.3 that holds nearly all his variance (drawn
 * itself).  Exactly: P(total <= 1000 k) = 0.7 B(k) for k <= 200 and
 * 0.7 + 0.3 B(k - 1000) above, B the Binomial(200, 1/2) CDF; the normal
 * law stands in for the binomial, so percentiles may differ by one step of
 * 1000.  A normal law over all 201 deals would put P90 near 700,000. */
static void test_mc_heavy(void **state)
{
    (void)state;
    enum { N = 201 };
    double p[N];
    int64_t v[N];
    int32_t node[N], parent[2] = {-1, 0};
    for (int i = 0; i < N; i++)
        p[i] = i ? 0.5 : 0.3, v[i] = i ? 1000 : 1000000, node[i] = 1;
    double pmf[201], cdf[201], c = 0;
    pmf[0] = pow(0.5, 200);
    for (int k = 1; k <= 200; k++)
        pmf[k] = pmf[k - 1] * (200 - k + 1) / k;
    for (int k = 0; k <= 200; k++)
        cdf[k] = (c += pmf[k]);
    double qs[3] = {0.1, 0.5, 0.9};
    int64_t want[3];
    for (int q = 0; q < 3; q++) {
        int k = 0;
        if (qs[q] <= 0.7) {
            while (0.7 * cdf[k] < qs[q])
                k++;
            want[q] = 1000 * (int64_t)k;
        } else {
            while (0.7 + 0.3 * cdf[k] < qs[q])
                k++;
            want[q] = 1000000 + 1000 * (int64_t)k;
        }
    }
    rv_fc_sim_in in = {.ndeals = N, .p = p, .value = v, .node = node, .nnodes = 2, .parent = parent,
                       .trials = 100000, .seed = 3};
    for (int plain = 0; plain < 2; plain++) {
        in.exact = plain;
        rv_fc_node_out out[2];
        assert_int_equal(rv_fc_simulate(&in, out), 0);
        int64_t got[3] = {out[1].p10, out[1].p50, out[1].p90};
        for (int q = 0; q < 3; q++)
            assert_true(llabs(got[q] - want[q]) <= 1000);
        assert_int_equal(out[1].mean, 300000 + 100000);
        assert_int_equal(out[1].drivers[0], 0);
    }
}

static void test_rollup(void **state)
{
    (void)state;
    /* company 0; teams 1, 2; manager 3 (team 1) over reps 4, 5; rep 6 in team 2 */
    int32_t parent[7] = {-1, 0, 0, 1, 3, 3, 2};
    double p[6] = {1, 1, 1, 1, 0, 1};
    int64_t v[6] = {100, 250, 1000, 7, 999999, 40};
    int32_t node[6] = {4, 4, 5, 3, 5, 6};
    double constant[7] = {0, 0, 0, 0, 0.5, 0, 1000};
    rv_fc_sim_in in = {.ndeals = 6, .p = p, .value = v, .node = node, .nnodes = 7, .parent = parent,
                       .constant = constant, .trials = 1000, .seed = 1};
    rv_fc_node_out o[7];
    assert_int_equal(rv_fc_simulate(&in, o), 0);
    /* by hand: rep4 350.5 -> 350 (half-even), rep5 1000, manager 1357.5 -> 1358, team2 1040 */
    assert_int_equal(o[4].p50, 350);
    assert_int_equal(o[5].p50, 1000);
    assert_int_equal(o[3].p50, 1358);
    assert_int_equal(o[1].p50, 1358);
    assert_int_equal(o[6].p50, 1040);
    assert_int_equal(o[2].p10, 1040);
    assert_int_equal(o[0].p90, 2398); /* 350.5 + 1000 + 7 + 40 + 1000 = 2397.5 -> 2398 */
    assert_int_equal(o[0].deals, 6);
    assert_int_equal(o[3].deals, 5); /* its own deal and its reps' four */
    /* a cycle is refused */
    int32_t cyc[3] = {1, 2, 0};
    int32_t n0[1] = {0};
    rv_fc_sim_in bad = {.ndeals = 1, .p = p, .value = v, .node = n0, .nnodes = 3, .parent = cyc, .trials = 10};
    assert_int_equal(rv_fc_simulate(&bad, o), -1);
}

static int32_t day(const char *s)
{
    int32_t d;
    rv_err e;
    assert_int_equal(rv_date_parse(s, strlen(s), &d, "d", &e), RV_OK);
    return d;
}

static uint8_t kinds3[3] = {RV_FC_OPEN, RV_FC_WON, RV_FC_LOST};

static void test_asof(void **state)
{
    (void)state;
    rv_fc_data d;
    rv_fc_data_init(&d);
    d.nstages = 3;
    d.stage_kind = kinds3;
    /* deal 0: created 03-01 open, amount 1000 -> 1500 on 03-20, won 04-10 at 1600 */
    uint32_t a = rv_fc_add_deal(&d);
    d.created[a] = day("2017-03-01");
    d.cur[RV_FC_STAGE][a] = 1, d.cur[RV_FC_AMOUNT][a] = 1600, d.cur[RV_FC_OWNER][a] = 2;
    rv_fc_add_event(&d, (int32_t)a, day("2017-04-10"), RV_FC_STAGE, 0, 1);
    rv_fc_add_event(&d, (int32_t)a, day("2017-03-01"), RV_FC_STAGE, RV_FC_UNKNOWN, 0);
    rv_fc_add_event(&d, (int32_t)a, day("2017-03-20"), RV_FC_AMOUNT, 1000, 1500);
    rv_fc_add_event(&d, (int32_t)a, day("2017-04-10"), RV_FC_AMOUNT, RV_FC_UNKNOWN, 1600);
    rv_fc_add_event(&d, (int32_t)a, day("2017-03-25"), RV_FC_OWNER, 1, 2);
    /* deal 1: no created day */
    uint32_t b = rv_fc_add_deal(&d);
    d.cur[RV_FC_STAGE][b] = 0;
    /* deal 2: created 03-05 but its first stage row is dated 05-01 without an old stage */
    uint32_t c = rv_fc_add_deal(&d);
    d.created[c] = day("2017-03-05");
    d.cur[RV_FC_STAGE][c] = 2;
    rv_fc_add_event(&d, (int32_t)c, day("2017-05-01"), RV_FC_STAGE, RV_FC_UNKNOWN, 2);
    /* deal 3: created 06-01 */
    uint32_t e = rv_fc_add_deal(&d);
    d.created[e] = day("2017-06-01");
    d.cur[RV_FC_STAGE][e] = 0;
    rv_fc_data_finish(&d);

    rv_fc_state st;
    rv_fc_state_build(&d, day("2017-03-10"), &st);
    assert_int_equal(st.status[a], RV_FC_S_OPEN);
    assert_int_equal(st.amount[a], 1000);
    assert_int_equal(st.owner[a], 1);
    assert_int_equal(st.status[b], RV_FC_S_UNPLACED);
    assert_int_equal(st.status[c], RV_FC_S_UNPLACED);
    assert_int_equal(st.status[e], RV_FC_S_FUTURE);
    assert_int_equal(st.unplaced, 2);
    assert_int_equal(st.nopen, 1);
    rv_fc_state_free(&st);
    /* the change on 03-20 counts from 03-21; the won row on 04-10 from 04-11 */
    rv_fc_state_build(&d, day("2017-03-20"), &st);
    assert_int_equal(st.amount[a], 1000);
    rv_fc_state_free(&st);
    rv_fc_state_build(&d, day("2017-04-10"), &st);
    assert_int_equal(st.status[a], RV_FC_S_OPEN);
    assert_int_equal(st.amount[a], 1500);
    assert_int_equal(st.owner[a], 2);
    rv_fc_state_free(&st);
    rv_fc_state_build(&d, day("2017-05-02"), &st);
    assert_int_equal(st.status[a], RV_FC_S_WON);
    assert_int_equal(st.closed_day[a], day("2017-04-10"));
    assert_int_equal(st.amount[a], 1600);
    assert_int_equal(st.status[c], RV_FC_S_LOST);
    rv_fc_state_free(&st);
    assert_int_equal(rv_fc_actual(&d, day("2017-04-01"), day("2017-07-01")), 1600);
    d.stage_kind = NULL;
    rv_fc_data_free(&d);
}

/* A synthetic history: deals created over 2016-2017, each closing after
 * 10..120 days (won or lost) or staying open; owners 0..3 under 2 teams. */
static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void build_history(rv_fc_data *d, int32_t cut, uint64_t tamper)
{
    static int32_t mgr[4] = {-1, 0, -1, 2}, team[4] = {0, 0, 1, 1}, tp[2] = {-1, -1};
    rv_fc_data_init(d);
    d->nstages = 3;
    d->stage_kind = kinds3;
    d->nusers = 4, d->nteams = 2;
    d->user_manager = mgr, d->user_team = team, d->team_parent = tp;
    uint64_t s = 42, t = tamper;
    int32_t start = day("2016-10-01");
    for (int k = 0; k < 600; k++) {
        int32_t created = start + (int32_t)(lcg(&s) % 450);
        int32_t dur = 10 + (int32_t)(lcg(&s) % 110);
        int outcome = (int)(lcg(&s) % 10); /* 0-4 won, 5-7 lost, 8-9 open */
        int64_t amount = 1000 + (int64_t)(lcg(&s) % 9000) * 100;
        int64_t owner = (int64_t)(lcg(&s) % 4);
        int32_t closed = created + dur;
        /* tampering: anything dated on or after the cut changes */
        if (tamper && created >= cut) {
            amount = 1 + (int64_t)(lcg(&t) % 1000000);
            owner = (int64_t)(lcg(&t) % 4);
            outcome = (int)(lcg(&t) % 10);
        }
        if (tamper && closed >= cut && outcome < 8)
            outcome = (int)(lcg(&t) % 10);
        uint32_t i = rv_fc_add_deal(d);
        d->created[i] = created;
        d->cur[RV_FC_OWNER][i] = owner;
        rv_fc_add_event(d, (int32_t)i, created, RV_FC_STAGE, RV_FC_UNKNOWN, 0);
        rv_fc_add_event(d, (int32_t)i, created, RV_FC_AMOUNT, RV_FC_UNKNOWN, amount);
        int64_t final = amount;
        if (outcome < 8) {
            int st = outcome < 5 ? 1 : 2;
            final = st == 1 ? amount - (tamper && closed >= cut ? (int64_t)(lcg(&t) % 500) : 0) : amount;
            rv_fc_add_event(d, (int32_t)i, closed, RV_FC_STAGE, 0, st);
            rv_fc_add_event(d, (int32_t)i, closed, RV_FC_AMOUNT, RV_FC_UNKNOWN, final);
            d->cur[RV_FC_STAGE][i] = st;
        } else {
            d->cur[RV_FC_STAGE][i] = 0;
        }
        d->cur[RV_FC_AMOUNT][i] = final;
        /* every seventh deal pushed its close date once, five days in */
        if (k % 7 == 0 && (!tamper || created + 5 < cut))
            rv_fc_add_event(d, (int32_t)i, created + 5, RV_FC_CLOSE, created + 30, created + 60);
        if (tamper) /* and pushes dated after the cut */
            rv_fc_add_event(d, (int32_t)i, cut + 1 + (int32_t)(lcg(&t) % 30), RV_FC_CLOSE, created + 60, cut + 200);
    }
    if (tamper) /* deals created after the cut */
        for (int k = 0; k < 50; k++) {
            uint32_t i = rv_fc_add_deal(d);
            d->created[i] = cut + (int32_t)(lcg(&t) % 60);
            d->cur[RV_FC_STAGE][i] = 1;
            d->cur[RV_FC_AMOUNT][i] = 5000000;
            rv_fc_add_event(d, (int32_t)i, d->created[i], RV_FC_STAGE, RV_FC_UNKNOWN, 1);
        }
    rv_fc_data_finish(d);
}

static void free_history(rv_fc_data *d)
{
    d->stage_kind = NULL, d->user_manager = d->user_team = d->team_parent = NULL;
    rv_fc_data_free(d);
}

static void test_no_peek(void **state)
{
    (void)state;
    int32_t T = day("2017-07-01"), E = day("2017-10-01");
    rv_fc_data a, b;
    build_history(&a, T, 0);
    build_history(&b, T, 99);
    rv_fc_period_out oa, ob;
    rv_fc_node_out na[7], nb[7];
    rv_fc_forecast(&a, T, E, RV_FC_QUARTER, 1, 2000, 5, &oa, na);
    rv_fc_forecast(&b, T, E, RV_FC_QUARTER, 1, 2000, 5, &ob, nb);
    assert_true(oa.forecast[RV_FC_M_PREDICTIVE] > 0);
    for (int m = 0; m < RV_FC_NMETHODS; m++)
        assert_int_equal(oa.forecast[m], ob.forecast[m]);
    assert_int_equal(oa.p10, ob.p10);
    assert_int_equal(oa.p90, ob.p90);
    assert_int_equal(oa.open, ob.open);
    for (int k = 0; k < 7; k++) {
        assert_int_equal(na[k].p50, nb[k].p50);
        assert_int_equal(na[k].mean, nb[k].mean);
    }
    /* the settings chosen at T and a forecast with every option on */
    for (int shifted = 0; shifted < 2; shifted++) {
        rv_fc_settings sa, sb;
        double ma, mb;
        int wa = rv_fc_tune(&a, T, RV_FC_QUARTER, 1, shifted, &sa, &ma);
        int wb = rv_fc_tune(&b, T, RV_FC_QUARTER, 1, shifted, &sb, &mb);
        assert_true(wa > 0);
        assert_int_equal(wa, wb);
        assert_memory_equal(&sa, &sb, sizeof sa);
        assert_true(ma == mb);
    }
    rv_fc_settings all = rv_fc_default_settings;
    all.window_days = 182, all.cohort = RV_FC_COHORT_MATURITY, all.new_deals = RV_FC_NEW_RUNRATE;
    all.features = true;
    rv_fc_forecast_with(&a, T, E, RV_FC_QUARTER, 1, &all, 2000, 5, &oa, na);
    rv_fc_forecast_with(&b, T, E, RV_FC_QUARTER, 1, &all, 2000, 5, &ob, nb);
    assert_int_equal(oa.forecast[RV_FC_M_PREDICTIVE], ob.forecast[RV_FC_M_PREDICTIVE]);
    assert_int_equal(oa.p10, ob.p10);
    assert_int_equal(oa.p90, ob.p90);
    assert_true(rv_fc_expected(&a, T, E, RV_FC_QUARTER, 1, &all) == rv_fc_expected(&b, T, E, RV_FC_QUARTER, 1, &all));
    /* the tampering is real: the actuals differ */
    assert_true(rv_fc_actual(&a, T, E) != rv_fc_actual(&b, T, E));
    /* and the roll-up: the company's mean is the sum of its teams' */
    assert_true(llabs(na[0].mean - na[1].mean - na[2].mean) <= 1);
    free_history(&a);
    free_history(&b);
}

/* New deals by run-rate: won deals created and won inside the same window
 * a quarter back, by hand. */
static void test_new_runrate(void **state)
{
    (void)state;
    rv_fc_data d;
    rv_fc_data_init(&d);
    d.nstages = 3;
    d.stage_kind = kinds3;
    struct {
        const char *created, *closed;
        int stage;
        int64_t amount;
    } rows[] = {
        {"2017-01-20", "2017-02-01", 2, 100},  /* the first close: lost */
        {"2017-04-03", "2017-05-10", 1, 1000}, /* created and won in [04-01, 07-01): counts */
        {"2017-06-01", "2017-06-30", 1, 250},  /* counts */
        {"2017-03-31", "2017-04-10", 1, 7000}, /* created before the window */
        {"2017-06-15", "2017-07-02", 1, 9000}, /* won after it */
        {"2017-05-01", "2017-05-20", 2, 8000}, /* lost */
        {"2017-05-05", NULL, 0, 6000},         /* open */
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        uint32_t i = rv_fc_add_deal(&d);
        d.created[i] = day(rows[k].created);
        d.cur[RV_FC_AMOUNT][i] = rows[k].amount;
        d.cur[RV_FC_STAGE][i] = rows[k].stage;
        rv_fc_add_event(&d, (int32_t)i, d.created[i], RV_FC_STAGE, RV_FC_UNKNOWN, 0);
        if (rows[k].closed)
            rv_fc_add_event(&d, (int32_t)i, day(rows[k].closed), RV_FC_STAGE, 0, rows[k].stage);
    }
    rv_fc_data_finish(&d);
    rv_fc_state st;
    rv_fc_fit f;
    rv_fc_state_build(&d, day("2017-07-01"), &st);
    rv_fc_fit_build(&d, &st, RV_FC_QUARTER, 1, &f);
    assert_true(rv_fc_new_runrate(&d, &st, &f, day("2017-10-01")) == 1250);
    /* a month: [04-01, 05-01) moved back from [07-01, 08-01): nothing won in it */
    assert_true(rv_fc_new_runrate(&d, &st, &f, day("2017-08-01")) == 0);
    rv_fc_fit_free(&f);
    rv_fc_state_free(&st);
    /* as of 2017-04-01 the window [01-01, 04-01) starts before the first close: unknown */
    rv_fc_state_build(&d, day("2017-04-01"), &st);
    rv_fc_fit_build(&d, &st, RV_FC_QUARTER, 1, &f);
    assert_true(rv_fc_new_runrate(&d, &st, &f, day("2017-07-01")) == -1);
    rv_fc_fit_free(&f);
    rv_fc_state_free(&st);
    d.stage_kind = NULL;
    rv_fc_data_free(&d);
}

/* Deals not yet created: Poisson counts of 4 and 60 (by inversion of the
 * CDF) and of 900 (the normal law) deals of 100.  Poisson(4):
 * P(N <= 1) = 0.0916, P(N <= 2) = 0.2381, P(N <= 3) = 0.4335,
 * P(N <= 4) = 0.6288, P(N <= 6) = 0.8893, P(N <= 7) = 0.9489, so P10 =
 * 200, P50 = 400, P90 = 700.  Poisson(60): P10 = 50, P50 = 60, P90 = 70
 * (summed below); N(900, 900): P90 = 900 + 1.2816 x 30 = 938.4. */
static void test_new_poisson(void **state)
{
    (void)state;
    int32_t parent[4] = {-1, 0, 0, 0};
    double lambda[4] = {0, 4, 60, 900};
    rv_fc_sim_in in = {.nnodes = 4, .parent = parent, .new_count = lambda, .new_value = 100,
                       .trials = 200000, .seed = 11};
    rv_fc_node_out out[4];
    assert_int_equal(rv_fc_simulate(&in, out), 0);
    assert_int_equal(out[1].p10, 200);
    assert_int_equal(out[1].p50, 400);
    assert_int_equal(out[1].p90, 700);
    assert_int_equal(out[1].mean, 400);
    assert_int_equal(out[2].mean, 6000);
    assert_int_equal(out[3].mean, 90000);
    assert_int_equal(out[0].mean, 96400);
    /* Poisson(60) quantiles, summed here */
    double c = 0, p = exp(-60.0), q[3] = {0.1, 0.5, 0.9};
    int64_t want[3];
    for (int k = 0, j = 0; j < 3; k++) {
        if (k)
            p *= 60.0 / k;
        c += p;
        while (j < 3 && c >= q[j])
            want[j++] = 100 * (int64_t)k;
    }
    assert_int_equal(out[2].p10, want[0]);
    assert_int_equal(out[2].p50, want[1]);
    assert_int_equal(out[2].p90, want[2]);
    assert_true(llabs(out[3].p50 - 90000) <= 100);
    assert_true(llabs(out[3].p90 - 93840) <= 200);
}

/* Feature factors by hand: 30 closed deals of 100..3000 and one open;
 * deals 0..5 pushed their close date once, none twice; won are 0, 1,
 * 4..7, 10..14, 20 and 21 (13 of 30). */
static void test_features(void **state)
{
    (void)state;
    rv_fc_data d;
    rv_fc_data_init(&d);
    d.nstages = 3;
    d.stage_kind = kinds3;
    int32_t c0 = day("2017-01-02");
    for (int k = 0; k < 31; k++) {
        uint32_t i = rv_fc_add_deal(&d);
        d.created[i] = c0 + k;
        bool open = k == 30;
        bool won = k < 10 ? k < 8 : k < 15;
        int st = open ? 0 : won ? 1 : 2;
        d.cur[RV_FC_STAGE][i] = st;
        d.cur[RV_FC_AMOUNT][i] = open ? 500 : 100 * (k + 1);
        rv_fc_add_event(&d, (int32_t)i, d.created[i], RV_FC_STAGE, RV_FC_UNKNOWN, 0);
        if (!open)
            rv_fc_add_event(&d, (int32_t)i, d.created[i] + 20, RV_FC_STAGE, 0, st);
        if (k < 6) /* deals 0..5 push their close date once */
            rv_fc_add_event(&d, (int32_t)i, d.created[i] + 3, RV_FC_CLOSE, d.created[i] + 10, d.created[i] + 40);
    }
    /* deals 2 and 3 lost instead: pushed 6, won 4 */
    d.cur[RV_FC_STAGE][2] = d.cur[RV_FC_STAGE][3] = 2;
    d.cur[RV_FC_STAGE][20] = d.cur[RV_FC_STAGE][21] = 1; /* keep 13 won in all */
    rv_fc_data_finish(&d);
    for (uint32_t j = 0; j < d.nev; j++)
        if (d.ev_field[j] == RV_FC_STAGE && d.ev_new[j] != 0)
            d.ev_new[j] = d.cur[RV_FC_STAGE][d.ev_deal[j]];
    rv_fc_state st;
    rv_fc_state_build(&d, day("2017-04-01"), &st);
    rv_fc_settings set = rv_fc_default_settings;
    set.features = true;
    rv_fc_fit f;
    rv_fc_fit_build_with(&d, &st, RV_FC_QUARTER, 1, &set, &f);
    /* won: deals 0,1,4..7 and 10..14, 20, 21 = 13 of 30; wr = 13/30 */
    double wr = 13.0 / 30;
    assert_true(fabs(f.win_rate - wr) < 1e-12);
    /* thirds of the 30 closed amounts 100..3000: cuts at the 11th and 21st smallest */
    assert_int_equal(f.amount_cut[0], 1100);
    assert_int_equal(f.amount_cut[1], 2100);
    /* amount <= 1100: deals 0..10, won 0,1,4,5,6,7,10 = 7 of 11 */
    assert_true(fabs(f.feature_factor[0] - (7 + 20 * wr) / (11 + 20) / wr) < 1e-12);
    /* pushed once: deals 0..5, won 0, 1, 4, 5 = 4 of 6; never pushed: 9 of 24 */
    assert_true(fabs(f.feature_factor[4] - (4 + 20 * wr) / (6 + 20) / wr) < 1e-12);
    assert_true(fabs(f.feature_factor[3] - (9 + 20 * wr) / (24 + 20) / wr) < 1e-12);
    assert_true(fabs(f.feature_factor[5] - 1) < 1e-12); /* nobody pushed twice: the prior alone */
    rv_fc_fit_free(&f);
    rv_fc_state_free(&st);
    d.stage_kind = NULL;
    rv_fc_data_free(&d);
}

static void test_periods(void **state)
{
    (void)state;
    int32_t s, e;
    char buf[16];
    rv_fc_period_of(day("2017-05-17"), RV_FC_QUARTER, 1, &s, &e);
    assert_int_equal(s, day("2017-04-01"));
    assert_int_equal(e, day("2017-07-01"));
    rv_fc_period_label(s, RV_FC_QUARTER, 1, buf, sizeof buf);
    assert_string_equal(buf, "2017-Q2");
    rv_fc_period_of(day("2017-01-15"), RV_FC_QUARTER, 2, &s, &e); /* fiscal year from February */
    assert_int_equal(s, day("2016-11-01"));
    assert_int_equal(e, day("2017-02-01"));
    rv_fc_period_label(s, RV_FC_QUARTER, 2, buf, sizeof buf);
    assert_string_equal(buf, "2016-Q4");
    rv_fc_period_of(day("2017-12-31"), RV_FC_MONTH, 1, &s, &e);
    assert_int_equal(s, day("2017-12-01"));
    assert_int_equal(e, day("2018-01-01"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mc_exact), cmocka_unit_test(test_mc_heavy), cmocka_unit_test(test_rollup), cmocka_unit_test(test_asof),
        cmocka_unit_test(test_no_peek), cmocka_unit_test(test_new_runrate), cmocka_unit_test(test_new_poisson),
        cmocka_unit_test(test_features),  cmocka_unit_test(test_periods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
