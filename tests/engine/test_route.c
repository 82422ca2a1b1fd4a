/*
 * test_route.c - the routing decision (engine/route.c) and the fit and
 * engagement score (engine/leadscore.c) on hand-built inputs.
 *
 * Fairness is checked with a chi-square statistic against the expected
 * counts, bounded by the 0.1% critical value of its degrees of freedom,
 * not by eye: the weighted round robin (stride scheduling) over 6,000 leads and the tie-break
 * hash over 8,000 ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "engine/leadscore.h"
#include "engine/route.h"

/* 2024-01-03 (a Wednesday) 10:00 UTC */
#define WED10 1704276000000LL
#define MIN 60000LL

static rv_route_rep rep(int64_t id, int weight)
{
    return (rv_route_rep){.user_id = id, .weight = weight, .active = true, .work_days = "12345",
                          .work_start_min = 9 * 60, .work_end_min = 17 * 60, .cap_day = -1,
                          .cap_week = -1};
}

/* sum (observed - expected)^2 / expected */
static double chi2(const int *obs, const double *exp, int k)
{
    double s = 0;
    for (int i = 0; i < k; i++)
        s += (obs[i] - exp[i]) * (obs[i] - exp[i]) / exp[i];
    return s;
}

static void rules(void **state)
{
    (void)state;
    assert_true(rv_route_rule_test(RV_RO_EQ, "US", "us"));
    assert_false(rv_route_rule_test(RV_RO_EQ, "US", NULL));
    assert_true(rv_route_rule_test(RV_RO_NE, "US", NULL));
    assert_true(rv_route_rule_test(RV_RO_IN, "DE, FR ,UK", "fr"));
    assert_false(rv_route_rule_test(RV_RO_IN, "DE,FR", "US"));
    assert_true(rv_route_rule_test(RV_RO_CONTAINS, "vp", "SVP Sales"));
    assert_true(rv_route_rule_test(RV_RO_GTE, "1000", "1000"));
    assert_false(rv_route_rule_test(RV_RO_GTE, "1000", "999"));
    assert_false(rv_route_rule_test(RV_RO_GTE, "1000", "lots"));
    assert_true(rv_route_rule_test(RV_RO_BETWEEN, "100,1000", "100"));
    assert_false(rv_route_rule_test(RV_RO_BETWEEN, "100,1000", "1001"));
    assert_true(rv_route_rule_test(RV_RO_PRESENT, NULL, "x"));
    assert_false(rv_route_rule_test(RV_RO_PRESENT, NULL, ""));
    assert_true(rv_route_rule_test(RV_RO_ANY, NULL, NULL));
}

static void availability(void **state)
{
    (void)state;
    char buf[80];
    rv_route_rep r = rep(1, 1);
    assert_null(rv_route_unavailable(&r, WED10, buf, sizeof buf));
    assert_string_equal(rv_route_unavailable(&r, WED10 + 7 * 60 * MIN, buf, sizeof buf),
                        "outside working hours"); /* 17:00 */
    assert_string_equal(rv_route_unavailable(&r, WED10 + 3 * 1440 * MIN, buf, sizeof buf),
                        "not a working day"); /* Saturday */
    r.utc_offset_min = -8 * 60; /* 02:00 local */
    assert_string_equal(rv_route_unavailable(&r, WED10, buf, sizeof buf), "outside working hours");
    r = rep(1, 1);
    r.away_from = WED10 - MIN, r.away_until = WED10 + MIN;
    assert_string_equal(rv_route_unavailable(&r, WED10, buf, sizeof buf), "out of office");
    assert_null(rv_route_unavailable(&r, WED10 + MIN, buf, sizeof buf));
    r = rep(1, 1);
    r.cap_day = 3, r.count_day = 3;
    assert_string_equal(rv_route_unavailable(&r, WED10, buf, sizeof buf), "daily cap of 3 reached");
    r.cap_day = -1, r.cap_week = 10, r.count_week = 10;
    assert_string_equal(rv_route_unavailable(&r, WED10, buf, sizeof buf), "weekly cap of 10 reached");
    /* local midnight and Monday */
    assert_int_equal(rv_route_day_start(WED10, 0), WED10 - 10 * 60 * MIN);
    assert_int_equal(rv_route_week_start(WED10, 0), WED10 - 10 * 60 * MIN - 2 * 1440 * MIN);
    /* at UTC-11 it is Tuesday 23:00: the day began at Tuesday 11:00 UTC */
    assert_int_equal(rv_route_day_start(WED10, -11 * 60), WED10 - 23 * 60 * MIN);
}

static void methods_and_reasons(void **state)
{
    (void)state;
    rv_route_rep r[3] = {rep(1, 1), rep(2, 1), rep(3, 1)};
    r[0].name = "ana", r[1].name = "ben", r[2].name = "cy";
    rv_route_decision d;
    /* account owner first */
    rv_route_choose(r, 3, RV_RM_ROUND_ROBIN, 2, 7, WED10, &d);
    assert_int_equal(d.rep, 1);
    assert_string_equal(d.reason, "owner of the matched account: ben");
    /* load balance: fewest open leads per weight */
    r[0].open_leads = 4, r[1].open_leads = 2, r[2].open_leads = 5;
    rv_route_choose(r, 3, RV_RM_LOAD_BALANCE, 0, 7, WED10, &d);
    assert_int_equal(d.rep, 1);
    assert_string_equal(d.reason, "fewest open leads: ben (2 open, weight 1)");
    r[2].weight = 3; /* 5/3 < 2/1 */
    rv_route_choose(r, 3, RV_RM_LOAD_BALANCE, 0, 7, WED10, &d);
    assert_int_equal(d.rep, 2);
    /* lowest count this week */
    r[2].weight = 1;
    r[0].count_week = 1, r[1].count_week = 3, r[2].count_week = 2;
    rv_route_choose(r, 3, RV_RM_LOWEST_COUNT, 0, 7, WED10, &d);
    assert_string_equal(d.reason, "lowest count this week: ana (1 leads, weight 1)");
    /* best rep: (won+1)/(closed+2): ana 3/4=0.6, ben 1/1 -> 2/3=0.667, cy 0/0 -> 0.5 */
    r[0].won = 5, r[0].closed = 8, r[1].won = 1, r[1].closed = 1;
    rv_route_choose(r, 3, RV_RM_BEST_REP, 0, 7, WED10, &d);
    assert_string_equal(d.reason, "best win rate in the segment: ben (1 won of 1 closed)");
    /* nobody */
    r[0].active = false, r[1].away_from = WED10 - 1, r[2].cap_day = 0;
    rv_route_choose(r, 3, RV_RM_ROUND_ROBIN, 0, 7, WED10, &d);
    assert_int_equal(d.rep, -1);
    assert_string_equal(d.reason, "no member can take it: ana: inactive; ben: out of office; cy: "
                                  "daily cap of 0 reached");
}

/* 6,000 leads over weights 1, 2, 3: weighted turns give
 * each its share within one lead at every prefix, and the chi-square of
 * the totals is far below the bound. */
static void weighted_round_robin_fairness(void **state)
{
    (void)state;
    rv_route_rep r[3] = {rep(11, 1), rep(12, 2), rep(13, 3)};
    int count[3] = {0};
    for (int i = 0; i < 6000; i++) {
        rv_route_decision d;
        rv_route_choose(r, 3, RV_RM_ROUND_ROBIN, 0, (uint64_t)i, WED10, &d);
        assert_true(d.rep >= 0);
        count[d.rep]++;
        for (int k = 0; k < 3; k++) { /* never more than one lead off its share */
            double share = (i + 1) * (k + 1) / 6.0;
            assert_true(count[k] >= share - 1 - 1e-9 && count[k] <= share + 1 + 1e-9);
        }
    }
    double exp[3] = {1000, 2000, 3000};
    assert_true(chi2(count, exp, 3) < 13.82); /* df 2, p = 0.001 */
    /* a member added now joins at the lowest pass instead of taking every
     * lead until it has caught up with 6,000 */
    rv_route_rep late[4] = {r[0], r[1], r[2], rep(14, 1)};
    late[3].credit = -1;
    int got[4] = {0};
    for (int i = 0; i < 70; i++) {
        rv_route_decision d;
        rv_route_choose(late, 4, RV_RM_ROUND_ROBIN, 0, (uint64_t)i, WED10, &d);
        got[d.rep]++;
    }
    assert_int_equal(got[3], 10); /* weight 1 of 7 */
    assert_int_equal(count[0], 1000);
    assert_int_equal(count[2], 3000);
}

/* Ties (load balance with equal loads, nothing updated between leads):
 * the hash decides alone, and must not favour any position. */
static void ties_are_fair(void **state)
{
    (void)state;
    rv_route_rep r[4] = {rep(101, 1), rep(102, 1), rep(103, 1), rep(104, 1)};
    int count[4] = {0};
    for (int i = 0; i < 8000; i++) {
        rv_route_decision d;
        rv_route_choose(r, 4, RV_RM_LOAD_BALANCE, 0, (uint64_t)i * 7919 + 13, WED10, &d);
        count[d.rep]++;
        if (i == 0)
            assert_non_null(strstr(d.reason, "; tie among 4 broken by lead hash"));
    }
    double exp[4] = {2000, 2000, 2000, 2000};
    double x = chi2(count, exp, 4);
    print_message("ties: %d %d %d %d, chi2 %.2f\n", count[0], count[1], count[2], count[3], x);
    assert_true(x < 16.27); /* df 3, p = 0.001 */
}

typedef struct lead_vals {
    const char *industry, *employees, *title;
} lead_vals;

static const char *value_of(void *ud, const char *field)
{
    lead_vals *v = ud;
    return !strcmp(field, "industry") ? v->industry : !strcmp(field, "employees") ? v->employees
                                                   : !strcmp(field, "title")     ? v->title
                                                                                 : NULL;
}

static void fit_and_engagement(void **state)
{
    (void)state;
    rv_fit_rule fit[] = {
        {"industry", RV_RO_EQ, "Software", 20, -1},
        {"employees", RV_RO_BETWEEN, "100,1000", 15, -1},
        {"employees", RV_RO_GTE, "1000", 25, -1},
        {"title", RV_RO_CONTAINS, "VP", 10, 15},
        {"title", RV_RO_CONTAINS, "Director", 10, 15},
        {"country", RV_RO_EQ, "KP", -50, -1},
    };
    rv_engage_rule eng[] = {{"form", 10, 30, -1}, {"webinar", 20, 10, 25}};
    lead_vals v = {"software", "500", "VP, Sales Director"};
    int64_t now = WED10, day = 1440 * MIN;
    rv_engage_event ev[] = {
        {"form", now}, {"form", now - 30 * day},             /* 10 + 5 */
        {"webinar", now - 10 * day}, {"webinar", now},        /* 10 + 20 = 30, capped at 25 */
        {"visit", now},                                       /* no rule */
    };
    rv_leadscore_result r;
    rv_leadscore(fit, 6, value_of, &v, eng, 2, ev, 5, now, &r);
    assert_int_equal(r.fit, 20 + 15 + 15); /* title: 10 + 10 capped at 15 */
    assert_int_equal(r.engagement, 15 + 25);
    assert_int_equal(r.score, 90);
    assert_false(r.has_predicted);
    assert_int_equal(r.nreasons, 5);
    assert_string_equal(r.reasons[0].text, "industry = Software");
    assert_int_equal(r.reasons[0].points, 20);
    assert_string_equal(r.reasons[2].text, "title contains VP (and more rules)");
    assert_int_equal(r.reasons[2].points, 15);
    assert_string_equal(r.reasons[3].text, "2 x form");
    assert_int_equal(r.reasons[3].points, 15);
    assert_string_equal(r.reasons[4].text, "2 x webinar");
    assert_int_equal(r.reasons[4].points, 25);
    /* held to [0, 100] */
    lead_vals big = {"software", "5000", "VP"};
    rv_engage_event many[10];
    for (int i = 0; i < 10; i++)
        many[i] = (rv_engage_event){"form", now};
    rv_leadscore(fit, 6, value_of, &big, eng, 2, many, 10, now, &r);
    assert_int_equal(r.fit, 55);
    assert_int_equal(r.engagement, 100);
    assert_int_equal(r.score, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules),
        cmocka_unit_test(availability),
        cmocka_unit_test(methods_and_reasons),
        cmocka_unit_test(weighted_round_robin_fairness),
        cmocka_unit_test(ties_are_fair),
        cmocka_unit_test(fit_and_engagement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
