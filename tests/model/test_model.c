/*
 * test_model.c - money, dates, timestamps, the entity table and record
 * parsing, with the exact error texts users see.
 */
#include <string.h>

#include "model/entity.h"
#include "model/money.h"
#include "model/record.h"
#include "testutil.h"

static void money_parse_ok(void **state)
{
    (void)state;
    struct {
        const char *in;
        int exp;
        int64_t want;
    } cases[] = {
        {"1234.56", 2, 123456}, {"0.05", 2, 5},   {"-0.05", 2, -5}, {"12.500", 2, 1250},
        {"1000", 0, 1000},      {"7", 2, 700},    {"1.5", 2, 150},  {"0.001", 3, 1},
        {"+3.10", 2, 310},      {".5", 2, 50},    {"999999999999.99", 2, 99999999999999LL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 0;
        rv_err err;
        assert_int_equal(rv_money_parse(cases[i].in, strlen(cases[i].in), cases[i].exp, &v,
                                        "amount", &err),
                         RV_OK);
        assert_int_equal(v, cases[i].want);
    }
}

static void money_parse_errors(void **state)
{
    (void)state;
    struct {
        const char *in;
        const char *msg;
    } cases[] = {
        {"12.345", "amount must have at most 2 decimal places, got '12.345'"},
        {"abc", "amount must be a decimal amount, got 'abc'"},
        {"1,000", "amount must be a decimal amount, got '1,000'"},
        {"", "amount must be a decimal amount, got ''"},
        {"-", "amount must be a decimal amount, got '-'"},
        {"99999999999999999999", "amount is out of range, got '99999999999999999999'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v;
        rv_err err;
        assert_int_equal(rv_money_parse(cases[i].in, strlen(cases[i].in), 2, &v, "amount", &err),
                         RV_EINVAL);
        assert_string_equal(err.message, cases[i].msg);
        assert_string_equal(err.field, "amount");
    }
}

static void money_format(void **state)
{
    (void)state;
    char b[40];
    assert_string_equal(rv_money_format(123456, 2, b, sizeof b), "1234.56");
    assert_string_equal(rv_money_format(-5, 2, b, sizeof b), "-0.05");
    assert_string_equal(rv_money_format(1000, 0, b, sizeof b), "1000");
    assert_string_equal(rv_money_format(1, 3, b, sizeof b), "0.001");
    assert_string_equal(rv_money_format(0, 2, b, sizeof b), "0.00");
    assert_int_equal(rv_currency_exponent("JPY"), 0);
    assert_int_equal(rv_currency_exponent("KWD"), 3);
    assert_int_equal(rv_currency_exponent("EUR"), 2);
}

/* Exchange rates: exact decimals as rate x 10^9, and conversions rounded
 * once, half to even, figures worked out by hand. */
static void rates_and_conversion(void **state)
{
    (void)state;
    int64_t r;
    rv_err err;
    assert_int_equal(rv_rate_parse("1.0825", 6, &r, "rate", &err), RV_OK);
    assert_int_equal(r, 1082500000);
    assert_int_equal(rv_rate_parse("150", 3, &r, "rate", &err), RV_OK);
    assert_int_equal(r, 150000000000LL);
    assert_int_equal(rv_rate_parse("0.000000001", 11, &r, "rate", &err), RV_OK);
    assert_int_equal(r, 1);
    assert_int_equal(rv_rate_parse("1000000", 7, &r, "rate", &err), RV_OK);
    assert_int_equal(r, RV_RATE_MAX);
    assert_int_equal(rv_rate_parse("1000000.000000001", 17, &r, "rate", &err), RV_EINVAL);
    assert_string_equal(err.message, "rate must be at most 1000000, got '1000000.000000001'");
    assert_int_equal(rv_rate_parse("99999999999999999999999", 23, &r, "rate", &err), RV_EINVAL);
    assert_string_equal(err.message, "rate must be at most 1000000, got '99999999999999999999999'");
    assert_int_equal(rv_rate_parse("", 0, &r, "rate", &err), RV_EINVAL);
    assert_string_equal(err.message, "rate must be a decimal number such as 1.0825, got ''");
    assert_int_equal(rv_rate_parse("0.0000000000", 12, &r, "rate", &err), RV_EINVAL);
    assert_string_equal(err.message, "rate must have at most 9 decimal places, got '0.0000000000'");
    int64_t out;
    /* 0.125 and 0.375 dollars: ties go to the even cent (12, 38) */
    assert_true(rv_money_convert(10, 2, 2, 1250000000, &out));
    assert_int_equal(out, 12);
    assert_true(rv_money_convert(30, 2, 2, 1250000000, &out));
    assert_int_equal(out, 38);
    assert_true(rv_money_convert(-10, 2, 2, 1250000000, &out));
    assert_int_equal(out, -12);
    /* 333.33 EUR x 1.0825 = 360.829725 -> 360.83 */
    assert_true(rv_money_convert(33333, 2, 2, 1082500000, &out));
    assert_int_equal(out, 36083);
    /* 5000 JPY (no decimals) x 0.0067 = 33.50 USD; 10.00 USD x 150.5 = 1505 JPY */
    assert_true(rv_money_convert(5000, 0, 2, 6700000, &out));
    assert_int_equal(out, 3350);
    assert_true(rv_money_convert(1000, 2, 0, 150500000000LL, &out));
    assert_int_equal(out, 1505);
    /* 1.005 KWD (3 decimals) x 3.25 = 3.26625 USD -> 3.27 */
    assert_true(rv_money_convert(1005, 3, 2, 3250000000LL, &out));
    assert_int_equal(out, 327);
    /* beyond RV_MONEY_MAX_UNITS: refused, out untouched */
    out = 7;
    assert_false(rv_money_convert(RV_MONEY_MAX_UNITS, 2, 2, 2 * RV_RATE_SCALE, &out));
    assert_int_equal(out, 7);
}

static void dates(void **state)
{
    (void)state;
    int32_t d;
    rv_err err;
    char b[40];
    assert_int_equal(rv_date_parse("1970-01-01", 10, &d, "close_date", &err), RV_OK);
    assert_int_equal(d, 0);
    assert_int_equal(rv_date_parse("2017-03-01", 10, &d, "close_date", &err), RV_OK);
    assert_int_equal(d, 17226); /* python: date(2017,3,1) - date(1970,1,1) */
    assert_string_equal(rv_date_format(d, b, sizeof b), "2017-03-01");
    assert_int_equal(rv_date_parse("3/1/2017", 8, &d, "close_date", &err), RV_OK);
    assert_int_equal(d, 17226);
    assert_int_equal(rv_date_parse("2016-02-29", 10, &d, "close_date", &err), RV_OK);
    assert_int_equal(rv_date_parse("2017-02-29", 10, &d, "close_date", &err), RV_EINVAL);
    assert_string_equal(err.message, "close_date is not a real date, got '2017-02-29'");
    assert_int_equal(rv_date_parse("2017-13-01", 10, &d, "close_date", &err), RV_EINVAL);
    assert_string_equal(err.message, "close_date is not a real date, got '2017-13-01'");
    assert_int_equal(rv_date_parse("next week", 9, &d, "close_date", &err), RV_EINVAL);
    assert_string_equal(err.message, "close_date must be a date YYYY-MM-DD, got 'next week'");
    for (int32_t k = -800000; k < 800000; k += 997) {
        int y;
        unsigned m, dd;
        rv_civil_from_days(k, &y, &m, &dd);
        assert_int_equal(rv_days_from_civil(y, m, dd), k);
    }
}

static void timestamps(void **state)
{
    (void)state;
    int64_t ms;
    rv_err err;
    char b[40];
    assert_int_equal(rv_ts_parse("2026-11-23T14:43:29.123Z", 24, &ms, "at", &err), RV_OK);
    assert_int_equal(ms, 1795445009123LL); /* date -d 2026-11-23T14:43:29Z +%s -> 1795445009 */
    assert_string_equal(rv_ts_format(ms, b, sizeof b), "2026-11-23T14:43:29.123Z");
    assert_int_equal(rv_ts_parse("2026-11-23T16:43:29+02:00", 25, &ms, "at", &err), RV_OK);
    assert_int_equal(ms, 1795445009000LL);
    assert_int_equal(rv_ts_parse("2026-11-23 14:43", 16, &ms, "at", &err), RV_OK);
    assert_int_equal(ms, 1795444980000LL);
    assert_int_equal(rv_ts_parse("2026-11-23", 10, &ms, "at", &err), RV_OK);
    assert_int_equal(ms, 1795392000000LL);
    assert_int_equal(rv_ts_parse("2026-11-23T25:00:00Z", 20, &ms, "at", &err), RV_EINVAL);
    assert_string_equal(err.message, "at has an impossible time, got '2026-11-23T25:00:00Z'");
    assert_string_equal(rv_ts_format(-1, b, sizeof b), "1969-12-31T23:59:59.999Z");
}

static void entity_table(void **state)
{
    (void)state;
    for (int i = 0; rv_entities[i]; i++) {
        const rv_entity *e = rv_entities[i];
        assert_int_equal(e->index, i);
        assert_true(e->nfields <= RV_MAX_FIELDS);
        for (int k = 0; k < e->nfields; k++) {
            const rv_field *f = &e->fields[k];
            if (f->type == RV_FT_REF) {
                assert_non_null(rv_entity_find(f->ref));
                /* references are named <something>_id */
                size_t n = strlen(f->name);
                assert_true(n > 3 && !strcmp(f->name + n - 3, "_id"));
            }
            if (f->type == RV_FT_ENUM)
                assert_non_null(f->values);
            for (int j = k + 1; j < e->nfields; j++)
                assert_string_not_equal(f->name, e->fields[j].name);
        }
    }
    assert_ptr_equal(rv_entity_find("deal"), rv_entity_find("deals"));
    assert_null(rv_entity_find("nope"));
}

static void record_text_errors(void **state)
{
    (void)state;
    const rv_entity *d = rv_entity_find("deals");
    rv_arena a;
    rv_arena_init(&a, 1024);
    rv_record r;
    rv_record_init(&r, d);
    rv_err err;
    struct {
        const char *field, *value, *msg;
    } cases[] = {
        {"probability", "150", "probability must be between 0 and 100, got '150'"},
        {"probability", "ten", "probability must be an integer, got 'ten'"},
        {"type", "upsell", "type must be one of new, expansion, renewal; got 'upsell'"},
        {"close_date", "2017-02-30", "close_date is not a real date, got '2017-02-30'"},
        {"currency", "dollars", "currency must be a 3-letter ISO-4217 code, got 'dollars'"},
        {"custom", "[1]", "custom must be a JSON object"},
        {"name", "\xff\xfe", "name is not valid UTF-8 text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(rv_record_set_named(&r, cases[i].field, cases[i].value, &a, &err),
                         RV_EINVAL);
        assert_string_equal(err.message, cases[i].msg);
        assert_string_equal(err.field, cases[i].field);
    }
    assert_int_equal(rv_record_set_named(&r, "colour", "red", &a, &err), RV_EUNKNOWN);
    assert_string_equal(err.message, "deals has no field 'colour'");
    /* enum spelled as in exports */
    assert_int_equal(rv_record_set_named(&r, "forecast_category", "Best Case", &a, &err), RV_OK);
    assert_string_equal(r.v[rv_field_index(d, "forecast_category")].s, "best_case");
    /* negative money refused once the currency is known */
    assert_int_equal(rv_record_set_named(&r, "amount", "-5", &a, &err), RV_OK);
    assert_int_equal(rv_record_finish(&r, "USD", &err), RV_EINVAL);
    assert_string_equal(err.message, "amount must be >= 0, got '-5'");
    rv_arena_release(&a);
}

static void record_json(void **state)
{
    (void)state;
    const rv_entity *d = rv_entity_find("deals");
    rv_arena a;
    rv_arena_init(&a, 1024);
    rv_err err;
    struct {
        const char *json, *msg, *field;
    } cases[] = {
        {"{\"amount\": 12.345}", "amount must have at most 2 decimal places, got '12.345'", "amount"},
        {"{\"amount\": true}", "amount must be an amount, got a boolean", "amount"},
        {"{\"probability\": \"x\"}", "probability must be an integer, got a string", "probability"},
        {"{\"id\": 4}", "id is set by revos and cannot be written", "id"},
        {"{\"stage\": 4}", "deals has no field 'stage'", "stage"},
        {"{\"account_id\": -3}", "account_id must be a positive id, got -3", "account_id"},
        {"[1,2]", "request body must be a JSON object, got an array", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rv_record r;
        rv_record_init(&r, d);
        json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        rv_status st = rv_record_from_json(&r, j, false, &a, &err);
        if (st == RV_OK)
            st = rv_record_finish(&r, "USD", &err);
        json_decref(j);
        assert_int_not_equal(st, RV_OK);
        assert_string_equal(err.message, cases[i].msg);
        assert_string_equal(err.field, cases[i].field);
    }
    /* exact money from a JSON number and a string */
    rv_record r;
    rv_record_init(&r, d);
    json_t *j = json_loads("{\"amount\": 1234.56, \"list_amount\": \"0.10\"}", 0, NULL);
    assert_int_equal(rv_record_from_json(&r, j, false, &a, &err), RV_OK);
    json_decref(j);
    assert_int_equal(rv_record_finish(&r, "USD", &err), RV_OK);
    assert_int_equal(r.v[rv_field_index(d, "amount")].i, 123456);
    assert_int_equal(r.v[rv_field_index(d, "list_amount")].i, 10);
    rv_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(money_parse_ok),   cmocka_unit_test(money_parse_errors),
        cmocka_unit_test(money_format),     cmocka_unit_test(dates),
        cmocka_unit_test(rates_and_conversion),
        cmocka_unit_test(timestamps),       cmocka_unit_test(entity_table),
        cmocka_unit_test(record_text_errors), cmocka_unit_test(record_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
