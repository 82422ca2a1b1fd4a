/*
 * test_report_fx.c - money in other currencies in reports: converted into
 * the display currency (USD) at the rate in effect on the deal's close date
 * (open deals: today), rounded half-even to the cent, and counted in
 * left_out when no rate was in effect; the error texts of bad rates.
 *
 * Rates: EUR 1.10 from 2024-01-01 and 1.0825 from 2024-03-01; GBP 1.25
 * from 2024-01-01 and 1.2735 from 2024-03-01; none for JPY.
 *
 * Deals, and their dollars worked out by hand:
 *   D1 won  USD  100.00 closed 2024-02-15   100.00                -> 10000
 *   D2 won  EUR 1000.00 closed 2024-02-10  x 1.10   = 1100.00     -> 110000
 *   D3 won  EUR  333.33 closed 2024-03-05  x 1.0825 = 360.829725  -> 36083
 *   D4 won  GBP    0.30 closed 2024-02-01  x 1.25   = 0.375 (tie) -> 38 (to even)
 *   D5 won  GBP    0.10 closed 2024-02-01  x 1.25   = 0.125 (tie) -> 12 (to even)
 *   D6 won  GBP  200.00 closed 2024-03-31  x 1.2735 = 254.70      -> 25470
 *   D7 lost GBP   50.00 closed 2023-12-31  no GBP rate yet         -> left out
 *   D8 won  JPY    5000 closed 2024-02-01  no JPY rate             -> left out
 *   D9 open EUR  100.00 (today)            x 1.0825 = 108.25      -> 10825
 * won_revenue = 10000 + 110000 + 36083 + 38 + 12 + 25470 = 181603
 *   2024-02: 10000 + 110000 + 38 + 12 = 120050; 2024-03: 36083 + 25470 = 61553
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/report.h"
#include "testutil.h"

static int64_t total(rv_ctx *c, const char *metric, const char *by, int64_t *left_out)
{
    rv_report_req req = {.metric = metric, .by = by};
    rv_report r;
    rv_err err;
    if (rv_report_run(c, &req, &r, &err))
        fail_msg("report %s: %s", metric, err.message);
    int64_t v = r.res.total.num;
    if (left_out)
        *left_out = r.left_out;
    rv_report_end(&r);
    return v;
}

static void deal(tu_env *t, const char *name, const char *stage, const char *cur, const char *amount,
                 const char *close)
{
    char json[300];
    snprintf(json, sizeof json,
             "{\"name\":\"%s\",\"stage_id\":\"%s\",\"currency\":\"%s\",\"amount\":\"%s\"%s%s%s}",
             name, stage, cur, amount, close ? ",\"close_date\":\"" : "", close ? close : "",
             close ? "\"" : "");
    tu_create(t, "deals", json);
}

static int64_t rate(tu_env *t, const char *cur, const char *r, const char *on)
{
    char json[200];
    snprintf(json, sizeof json, "{\"currency\":\"%s\",\"rate\":\"%s\",\"effective_on\":\"%s\"}", cur,
             r, on);
    return tu_create(t, "fx_rates", json);
}

static int setup(void **state)
{
    tu_env *t = tu_env_new("report-fx");
    tu_seed_pipeline(t);
    rate(t, "EUR", "1.10", "2024-01-01");
    rate(t, "EUR", "1.0825", "2024-03-01");
    rate(t, "GBP", "1.25", "2024-01-01");
    rate(t, "GBP", "1.2735", "2024-03-01");
    deal(t, "D1", "Won", "USD", "100.00", "2024-02-15");
    deal(t, "D2", "Won", "EUR", "1000.00", "2024-02-10");
    deal(t, "D3", "Won", "EUR", "333.33", "2024-03-05");
    deal(t, "D4", "Won", "GBP", "0.30", "2024-02-01");
    deal(t, "D5", "Won", "GBP", "0.10", "2024-02-01");
    deal(t, "D6", "Won", "GBP", "200.00", "2024-03-31");
    deal(t, "D7", "Lost", "GBP", "50.00", "2023-12-31");
    deal(t, "D8", "Won", "JPY", "5000", "2024-02-01");
    deal(t, "D9", "Prospecting", "EUR", "100.00", NULL);
    rv_report_cache_clear();
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tu_env_free(*state);
    rv_report_cache_clear();
    return 0;
}

static void converted_at_the_rate_of_the_day(void **state)
{
    tu_env *t = *state;
    rv_ctx *c = &t->ctx;
    int64_t left;
    assert_int_equal(total(c, "won_revenue", NULL, &left), 10000 + 110000 + 36083 + 38 + 12 + 25470);
    /* D7 (GBP before its first rate) and D8 (JPY): left out of every deals report */
    assert_int_equal(left, 2);
    assert_int_equal(total(c, "lost_revenue", NULL, NULL), 0);
    assert_int_equal(total(c, "pipeline_value", NULL, NULL), 10825);
    /* by month */
    rv_report_req req = {.metric = "won_revenue", .by = "month"};
    rv_report r;
    rv_err err;
    assert_int_equal(rv_report_run(c, &req, &r, &err), RV_OK);
    int n;
    const rv_mrow *rows = rv_report_rows(&r, &n);
    char label[32];
    int64_t feb = -1, mar = -1;
    for (int i = 0; i < n; i++) {
        rv_dim_label(r.snap, RV_DIM_MONTH, rows[i].key[0], label, sizeof label);
        if (!strcmp(label, "2024-02"))
            feb = rows[i].num;
        if (!strcmp(label, "2024-03"))
            mar = rows[i].num;
    }
    assert_int_equal(feb, 120050);
    assert_int_equal(mar, 61553);
    /* the API's JSON: money in dollars, and what was left out */
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    rv_report_json(&r, &w);
    const char *json = rv_buf_str(&b);
    if (!strstr(json, "\"total\":1816.03,\"left_out\":{\"records\":2,\"currencies\":["
                      "{\"currency\":\"GBP\",\"records\":1},{\"currency\":\"JPY\",\"records\":1}]}}"))
        fail_msg("unexpected report JSON: %s", json);
    char note[256];
    assert_string_equal(rv_report_left_out_text(&r, note, sizeof note),
                        "2 deals left out: no exchange rate into USD for GBP (1), JPY (1)");
    rv_buf_release(&b);
    rv_report_end(&r);
    /* a report on something else than deals leaves nothing out */
    assert_int_equal(total(c, "leads_created", NULL, &left), 0);
    assert_int_equal(left, 0);
}

static void a_new_rate_applies_from_its_day(void **state)
{
    tu_env *t = *state;
    rv_ctx *c = &t->ctx;
    /* EUR 2 from 2024-03-03: D3 (closed 03-05) is now 333.33 x 2 = 666.66;
     * D2 (02-10) keeps 1.10; D9 (open) takes today's, 2 */
    rate(t, "EUR", "2", "2024-03-03");
    assert_int_equal(total(c, "won_revenue", NULL, NULL),
                     10000 + 110000 + 66666 + 38 + 12 + 25470);
    assert_int_equal(total(c, "pipeline_value", NULL, NULL), 20000);
    /* a GBP rate from 2023-12-01 brings D7 in: 50.00 x 1.5 = 75.00 */
    rate(t, "GBP", "1.5", "2023-12-01");
    int64_t left;
    assert_int_equal(total(c, "lost_revenue", NULL, &left), 7500);
    assert_int_equal(left, 1);
    /* JPY at 0.0067: 5000 yen = 33.50 dollars, and nothing is left out */
    rate(t, "JPY", "0.0067", "2024-01-01");
    assert_int_equal(total(c, "won_revenue", NULL, &left),
                     10000 + 110000 + 66666 + 38 + 12 + 25470 + 3350);
    assert_int_equal(left, 0);
}

/* left_out counts only what the asker may read: a rep sees their own deal */
static void left_out_obeys_record_access(void **state)
{
    tu_env *t = *state;
    int64_t ann = tu_create(t, "users", "{\"name\":\"Ann Rep\",\"email\":\"ann@example.com\",\"role\":\"rep\"}");
    char json[200];
    snprintf(json, sizeof json,
             "{\"name\":\"A1\",\"stage_id\":\"Won\",\"currency\":\"CHF\",\"amount\":\"10\","
             "\"close_date\":\"2024-02-01\",\"owner_id\":%lld}",
             (long long)ann);
    tu_create(t, "deals", json);
    int64_t left;
    total(&t->ctx, "won_revenue", NULL, &left);
    assert_int_equal(left, 3); /* D7, D8 (no owner) and A1 */
    rv_principal p;
    rv_err err;
    rv_ctx c = t->ctx;
    assert_int_equal(rv_principal_load(&c, ann, &p, &err), RV_OK);
    c.who = &p;
    rv_report_req req = {.metric = "won_revenue"};
    rv_report r;
    assert_int_equal(rv_report_run(&c, &req, &r, &err), RV_OK);
    assert_int_equal(r.left_out, 1);
    assert_int_equal(r.nleft_out, 1);
    assert_string_equal(r.snap->dict[RV_DICT_CURRENCY].s[r.left_out_by[0].cur], "CHF");
    assert_int_equal(r.res.total.num, 0);
    rv_report_end(&r);
}

static void bad_rates_are_refused(void **state)
{
    tu_env *t = *state;
    static const struct {
        const char *json, *message;
    } bad[] = {
        {"{\"currency\":\"EUR\",\"rate\":\"abc\",\"effective_on\":\"2024-05-01\"}",
         "rate must be a decimal number such as 1.0825, got 'abc'"},
        {"{\"currency\":\"EUR\",\"rate\":\"-1.5\",\"effective_on\":\"2024-05-01\"}",
         "rate must be a decimal number such as 1.0825, got '-1.5'"},
        {"{\"currency\":\"EUR\",\"rate\":\"0\",\"effective_on\":\"2024-05-01\"}",
         "rate must be greater than 0, got '0'"},
        {"{\"currency\":\"EUR\",\"rate\":\"1.0000000001\",\"effective_on\":\"2024-05-01\"}",
         "rate must have at most 9 decimal places, got '1.0000000001'"},
        {"{\"currency\":\"EUR\",\"rate\":\"2000000\",\"effective_on\":\"2024-05-01\"}",
         "rate must be at most 1000000, got '2000000'"},
        {"{\"currency\":\"EUR\",\"effective_on\":\"2024-05-01\"}", "rate is required"},
        {"{\"currency\":\"EUR\",\"rate\":\"1.2\",\"effective_on\":\"2024-03-01\"}",
         "EUR already has a rate effective on 2024-03-01 (fx_rate 2)"},
    };
    int64_t before = tu_count(t, "fx_rates");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rv_err err;
        assert_int_not_equal(tu_try_create(t, "fx_rates", bad[i].json, &err), RV_OK);
        assert_string_equal(err.message, bad[i].message);
    }
    assert_int_equal(tu_count(t, "fx_rates"), before);
    /* an update to another day is checked the same way; to its own day it is fine */
    rv_err err;
    assert_int_equal(tu_try_update(t, "fx_rates", 1, "{\"effective_on\":\"2024-03-01\"}", &err),
                     RV_ECONFLICT);
    assert_string_equal(err.message, "EUR already has a rate effective on 2024-03-01 (fx_rate 2)");
    assert_int_equal(tu_try_update(t, "fx_rates", 1, "{\"rate\":\"1.1000\"}", &err), RV_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(converted_at_the_rate_of_the_day, setup, teardown),
        cmocka_unit_test_setup_teardown(a_new_rate_applies_from_its_day, setup, teardown),
        cmocka_unit_test_setup_teardown(left_out_obeys_record_access, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_rates_are_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
