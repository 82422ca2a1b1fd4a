/*
 * test_crud.c - the generic use cases and the deal rules, against a real
 * database (a SQLite file, or a PostgreSQL database in the "[pg]" half of
 * tests/run.sh), checked with plain, portable SQL on the same database.
 */
#include <string.h>

#include "model/money.h"
#include "testutil.h"

static int setup(void **state)
{
    tu_env *t = tu_env_new("crud");
    tu_seed_pipeline(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tu_env_free(*state);
    return 0;
}

static void create_and_get(void **state)
{
    tu_env *t = *state;
    int64_t acc = tu_create(t, "accounts", "{\"name\":\"Acme\",\"external_id\":\"A-1\","
                                           "\"employees\":120,\"annual_revenue\":\"2500000.00\"}");
    rv_record r;
    rv_err err;
    assert_int_equal(rv_svc_get(&t->ctx, rv_entity_find("accounts"), acc, &r, &err), RV_OK);
    assert_string_equal(r.v[rv_field_index(r.ent, "name")].s, "Acme");
    assert_int_equal(r.v[rv_field_index(r.ent, "annual_revenue")].i, 250000000);
    assert_int_equal(tu_sql_int(t, "SELECT annual_revenue FROM accounts WHERE external_id='A-1'"),
                     250000000);
    assert_int_equal(rv_svc_get(&t->ctx, rv_entity_find("accounts"), 999, &r, &err), RV_ENOTFOUND);
    assert_string_equal(err.message, "account 999 not found");
}

static void references_by_external_id_and_name(void **state)
{
    tu_env *t = *state;
    tu_create(t, "accounts", "{\"name\":\"Globex\",\"external_id\":\"0015g000\"}");
    tu_create(t, "users", "{\"name\":\"Ann Rep\",\"email\":\"ann@example.com\"}");
    int64_t d = tu_create(t, "deals", "{\"name\":\"D1\",\"account_id\":\"0015g000\","
                                      "\"owner_id\":\"ann@example.com\",\"stage_id\":\"prospecting\"}");
    assert_int_equal(tu_sql_int(t, "SELECT account_id FROM deals WHERE name='D1'"),
                     tu_sql_int(t, "SELECT id FROM accounts WHERE name='Globex'"));
    assert_int_equal(tu_sql_int(t, "SELECT owner_id FROM deals WHERE name='D1'"),
                     tu_sql_int(t, "SELECT id FROM users WHERE name='Ann Rep'"));
    assert_true(d > 0);
    rv_err err;
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"D2\",\"account_id\":\"nope\","
                                               "\"stage_id\":\"Prospecting\"}",
                                   &err),
                     RV_EREF);
    assert_string_equal(err.message, "account_id: no account with external id or name 'nope'");
    assert_string_equal(err.field, "account_id");
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"D2\",\"account_id\":4242,"
                                               "\"stage_id\":\"Prospecting\"}",
                                   &err),
                     RV_EREF);
    assert_string_equal(err.message, "account_id: account 4242 does not exist");
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"D2\",\"stage_id\":\"Closing\"}", &err),
                     RV_EREF);
    assert_string_equal(err.message, "stage_id: no stage 'Closing' in pipeline 1");
    /* nothing was written by the failures */
    assert_int_equal(tu_count(t, "deals"), 1);
}

static void required_and_defaults(void **state)
{
    tu_env *t = *state;
    rv_err err;
    assert_int_equal(tu_try_create(t, "deals", "{\"stage_id\":\"Prospecting\"}", &err), RV_EINVAL);
    assert_string_equal(err.message, "name is required");
    int64_t d = tu_create(t, "deals", "{\"name\":\"Defaults\",\"stage_id\":\"Proposal\","
                                      "\"amount\":100}");
    rv_record r;
    assert_int_equal(rv_svc_get(&t->ctx, rv_entity_find("deals"), d, &r, &err), RV_OK);
    /* default pipeline, currency, type; category and probability from the stage */
    assert_int_equal(r.v[rv_field_index(r.ent, "pipeline_id")].i, 1);
    assert_string_equal(r.v[rv_field_index(r.ent, "currency")].s, "USD");
    assert_string_equal(r.v[rv_field_index(r.ent, "type")].s, "new");
    assert_string_equal(r.v[rv_field_index(r.ent, "forecast_category")].s, "best_case");
    assert_int_equal(r.v[rv_field_index(r.ent, "probability")].i, 60);
    assert_int_equal(r.v[rv_field_index(r.ent, "amount")].i, 10000);
}

static void stage_change_history_and_exit_criteria(void **state)
{
    tu_env *t = *state;
    rv_now_set(1700000000000LL);
    int64_t d = tu_create(t, "deals", "{\"name\":\"Big\",\"stage_id\":\"Prospecting\"}");
    rv_err err;
    assert_int_equal(tu_try_update(t, "deals", d, "{\"stage_id\":\"Proposal\"}", &err), RV_ERULE);
    assert_string_equal(err.message, "cannot move deal 1 to stage 'Proposal': missing amount, "
                                     "close_date (the stage's exit criteria)");
    assert_string_equal(err.field, "amount");
    assert_int_equal(tu_try_update(t, "deals", d, "{\"stage_id\":\"Proposal\",\"amount\":50}", &err),
                     RV_ERULE);
    assert_string_equal(err.message, "cannot move deal 1 to stage 'Proposal': missing close_date "
                                     "(the stage's exit criteria)");
    /* refused changes left nothing behind */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM stage_history WHERE deal_id=1"), 1);
    assert_int_equal(tu_sql_int(t, "SELECT amount IS NULL FROM deals WHERE id=1"), 1);

    rv_now_set(1700000100000LL);
    assert_int_equal(tu_try_update(t, "deals", d, "{\"stage_id\":\"Proposal\",\"amount\":\"5000.50\","
                                                  "\"close_date\":\"2024-03-31\"}",
                                   &err),
                     RV_OK);
    rv_now_set(1700000200000LL);
    assert_int_equal(tu_try_update(t, "deals", d, "{\"close_date\":\"2024-04-30\"}", &err), RV_OK);
    rv_now_set(1700000300000LL);
    assert_int_equal(tu_try_update(t, "deals", d, "{\"stage_id\":\"Won\"}", &err), RV_OK);

    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM stage_history WHERE deal_id=1"), 3);
    assert_int_equal(tu_sql_int(t, "SELECT from_stage_id FROM stage_history WHERE deal_id=1 AND "
                                   "to_stage_id=2"),
                     1);
    assert_int_equal(tu_sql_int(t, "SELECT amount FROM stage_history WHERE to_stage_id=2"), 500050);
    assert_int_equal(tu_sql_int(t, "SELECT close_date FROM stage_history WHERE to_stage_id=2"),
                     rv_days_from_civil(2024, 3, 31));
    assert_int_equal(tu_sql_int(t, "SELECT close_date FROM stage_history WHERE to_stage_id=3"),
                     rv_days_from_civil(2024, 4, 30));
    assert_int_equal(tu_sql_int(t, "SELECT changed_at FROM stage_history WHERE to_stage_id=3"),
                     1700000300000LL);
    /* won: closed_at set, category closed */
    assert_int_equal(tu_sql_int(t, "SELECT closed_at FROM deals WHERE id=1"), 1700000300000LL);
    assert_int_equal(tu_sql_int(t, "SELECT forecast_category='closed' FROM deals WHERE id=1"), 1);
    /* field history: amount once, close_date twice, forecast category */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history WHERE field='amount'"), 1);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history WHERE field='close_date'"), 2);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history WHERE field='close_date' AND "
                                   "old_value='2024-03-31' AND new_value='2024-04-30'"),
                     1);
    /* events: 1 create + 3 updates + 2 stage changes for this deal */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events WHERE entity='deals'"), 6);
    rv_now_set(0);
}

static void created_closed_takes_close_date(void **state)
{
    tu_env *t = *state;
    rv_now_set(1800000000000LL);
    tu_create(t, "deals", "{\"name\":\"Old win\",\"stage_id\":\"Won\",\"close_date\":\"2017-03-01\"}");
    tu_create(t, "deals", "{\"name\":\"Undated\",\"stage_id\":\"Lost\"}");
    rv_now_set(0);
    /* 2017-03-01 is day 17226 */
    assert_int_equal(tu_sql_int(t, "SELECT closed_at FROM deals WHERE name='Old win'"),
                     17226LL * 86400000LL);
    assert_int_equal(tu_sql_int(t, "SELECT closed_at FROM deals WHERE name='Undated'"),
                     1800000000000LL);
}

static void update_without_change_writes_nothing(void **state)
{
    tu_env *t = *state;
    int64_t d = tu_create(t, "deals", "{\"name\":\"Same\",\"stage_id\":\"Prospecting\",\"amount\":10}");
    int64_t before = tu_sql_int(t, "SELECT count(*) FROM events");
    int64_t upd = tu_sql_int(t, "SELECT updated_at FROM deals WHERE id=1");
    rv_err err;
    assert_int_equal(tu_try_update(t, "deals", d, "{\"amount\":\"10.00\",\"name\":\"Same\"}", &err),
                     RV_OK);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events"), before);
    assert_int_equal(tu_sql_int(t, "SELECT updated_at FROM deals WHERE id=1"), upd);
}

static void delete_refused_while_referenced(void **state)
{
    tu_env *t = *state;
    int64_t a = tu_create(t, "accounts", "{\"name\":\"Initech\"}");
    tu_create(t, "deals", "{\"name\":\"X\",\"account_id\":1,\"stage_id\":\"Prospecting\"}");
    tu_create(t, "deals", "{\"name\":\"Y\",\"account_id\":1,\"stage_id\":\"Prospecting\"}");
    rv_err err;
    assert_int_equal(rv_svc_delete(&t->ctx, rv_entity_find("accounts"), a, &err), RV_ECONFLICT);
    assert_string_equal(err.message, "account 1 is still referenced by 2 deals (account_id); "
                                     "delete or reassign them first");
    assert_int_equal(rv_svc_delete(&t->ctx, rv_entity_find("deals"), 1, &err), RV_OK);
    assert_int_equal(rv_svc_delete(&t->ctx, rv_entity_find("deals"), 1, &err), RV_ENOTFOUND);
    assert_string_equal(err.message, "deal 1 not found");
    /* the deal's stage history went with it */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM stage_history WHERE deal_id=1"), 0);
}

static void unique_conflict(void **state)
{
    tu_env *t = *state;
    tu_create(t, "users", "{\"name\":\"A\",\"email\":\"a@x.io\"}");
    rv_err err;
    assert_int_equal(tu_try_create(t, "users", "{\"name\":\"B\",\"email\":\"a@X.IO\"}", &err),
                     RV_ECONFLICT);
    assert_string_equal(err.message, "another user already has email 'a@x.io'");
    assert_int_equal(tu_count(t, "users"), 1);
    /* names that references use are unique regardless of case, so a
     * reference by name can never become ambiguous */
    assert_int_equal(tu_try_create(t, "pipelines", "{\"name\":\"sales\"}", &err), RV_ECONFLICT);
    assert_string_equal(err.message, "another pipeline already has name 'sales'");
    assert_int_equal(tu_try_create(t, "stages", "{\"pipeline_id\":1,\"name\":\"WON\"}", &err),
                     RV_ECONFLICT);
    assert_int_equal(tu_count(t, "pipelines"), 1);
}

static void custom_fields(void **state)
{
    tu_env *t = *state;
    tu_create(t, "field_defs", "{\"entity\":\"deals\",\"name\":\"region_code\",\"type\":\"enum\","
                               "\"options\":\"NA, EU, APAC\"}");
    tu_create(t, "field_defs", "{\"entity\":\"deals\",\"name\":\"seats\",\"type\":\"int\"}");
    rv_err err;
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"C\",\"stage_id\":\"Prospecting\","
                                               "\"custom\":{\"region_code\":\"EU\",\"seats\":40}}",
                                   &err),
                     RV_OK);
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"C\",\"stage_id\":\"Prospecting\","
                                               "\"custom\":{\"region_code\":\"LATAM\"}}",
                                   &err),
                     RV_EINVAL);
    assert_string_equal(err.message, "custom.region_code must be one of NA, EU, APAC");
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"C\",\"stage_id\":\"Prospecting\","
                                               "\"custom\":{\"seats\":\"many\"}}",
                                   &err),
                     RV_EINVAL);
    assert_string_equal(err.message, "custom.seats must be an integer");
    assert_int_equal(tu_try_create(t, "deals", "{\"name\":\"C\",\"stage_id\":\"Prospecting\","
                                               "\"custom\":{\"colour\":\"red\"}}",
                                   &err),
                     RV_EUNKNOWN);
    assert_string_equal(err.message,
                        "custom.colour is not a defined custom field of deals (see field_defs)");
    assert_int_equal(tu_count(t, "deals"), 1);
}

typedef struct collect {
    int64_t ids[100];
    int n;
} collect;

static int collect_row(void *ud, const rv_record *r)
{
    collect *c = ud;
    c->ids[c->n++] = r->id;
    return 0;
}

static void list_filters_sort_and_cursor(void **state)
{
    tu_env *t = *state;
    /* 25 deals with amounts 100..2500; every third in Proposal */
    for (int i = 1; i <= 25; i++) {
        char j[200];
        snprintf(j, sizeof j,
                 "{\"name\":\"deal %02d\",\"stage_id\":\"%s\",\"amount\":%d,\"close_date\":"
                 "\"2024-01-%02d\"}",
                 i, i % 3 == 0 ? "Proposal" : "Prospecting", (i % 7) * 100 + 100, i);
        tu_create(t, "deals", j);
    }
    rv_list_req req = {.ent = rv_entity_find("deals"), .nfilters = 1, .limit = 4};
    req.filters[0] = "amount>=400";
    req.sort = "-amount";
    collect all = {{0}, 0};
    rv_list_page page;
    rv_err err;
    char cursor[200] = "";
    int pages = 0;
    do {
        req.cursor = cursor[0] ? cursor : NULL;
        assert_int_equal(rv_svc_list(&t->ctx, &req, collect_row, &all, &page, &err), RV_OK);
        snprintf(cursor, sizeof cursor, "%s", page.next_cursor);
        pages++;
    } while (page.more);
    int64_t want = tu_sql_int(t, "SELECT count(*) FROM deals WHERE amount >= 40000");
    assert_int_equal(all.n, want);
    assert_int_equal(pages, (int)((want + 3) / 4));
    /* order: amount desc, id desc - the same as SQL */
    for (int i = 0; i < all.n; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT id FROM deals WHERE amount >= 40000 ORDER BY amount DESC, id DESC "
                 "LIMIT 1 OFFSET %d",
                 i);
        assert_int_equal(all.ids[i], tu_sql_int(t, sql));
    }
    /* reference filter by name, date filter, contains, empty */
    collect c2 = {{0}, 0};
    rv_list_req r2 = {.ent = rv_entity_find("deals"), .nfilters = 3, .limit = 100};
    r2.filters[0] = "stage_id=Proposal";
    r2.filters[1] = "close_date<2024-01-15";
    r2.filters[2] = "name~DEAL";
    assert_int_equal(rv_svc_list(&t->ctx, &r2, collect_row, &c2, &page, &err), RV_OK);
    assert_int_equal(c2.n, 4); /* deals 3, 6, 9, 12 */
    r2.nfilters = 1;
    r2.filters[0] = "lost_reason=";
    c2.n = 0;
    assert_int_equal(rv_svc_list(&t->ctx, &r2, collect_row, &c2, &page, &err), RV_OK);
    assert_int_equal(c2.n, 25);
    /* errors */
    struct {
        const char *filter, *msg;
    } bad[] = {
        {"colour=red", "filter: deals has no field 'colour'"},
        {"amount>=lots", "filter: amount must be a decimal amount, got 'lots'"},
        {"amount", "filter must look like field=value (or != < <= > >= ~), got 'amount'"},
        {"close_date<2024-02-30", "filter: close_date is not a real date, got '2024-02-30'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r2.filters[0] = bad[i].filter;
        assert_int_not_equal(rv_svc_list(&t->ctx, &r2, collect_row, &c2, &page, &err), RV_OK);
        assert_string_equal(err.message, bad[i].msg);
    }
    r2.nfilters = 0;
    r2.sort = "colour";
    assert_int_equal(rv_svc_list(&t->ctx, &r2, collect_row, &c2, &page, &err), RV_EUNKNOWN);
    assert_string_equal(err.message, "sort: deals has no field 'colour'");
    r2.sort = NULL;
    r2.cursor = "garbage!";
    assert_int_equal(rv_svc_list(&t->ctx, &r2, collect_row, &c2, &page, &err), RV_EINVAL);
    assert_string_equal(err.message, "cursor is not valid for this list (it must come from the "
                                     "same sort), got 'garbage!'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(references_by_external_id_and_name, setup, teardown),
        cmocka_unit_test_setup_teardown(required_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(stage_change_history_and_exit_criteria, setup, teardown),
        cmocka_unit_test_setup_teardown(created_closed_takes_close_date, setup, teardown),
        cmocka_unit_test_setup_teardown(update_without_change_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_refused_while_referenced, setup, teardown),
        cmocka_unit_test_setup_teardown(unique_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(custom_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(list_filters_sort_and_cursor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
