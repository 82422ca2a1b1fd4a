/*
 * test_report_refresh.c - a report never shows data older than the last
 * write committed before it started (report.h): after each change made
 * through the service layer (a deal moved to Won, a deal created, a deal
 * deleted, a lead, an activity) and through a second store connection
 * (another process's write), the next report must equal what plain SQL
 * over the same database says, and the hand-computed figure.  The
 * snapshot is kept between reports and refreshed from the audit log
 * (report.c: acquire, refresh), so these are the cases where a stale or
 * half-refreshed snapshot would show.
 *
 * Then record access: a rep's report counts their own deals only, and a
 * role that may not read leads gets 403 on a leads metric.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "service/report.h"
#include "testutil.h"

/* Total of a metric for the asker of c; *rows gets the records counted. */
static int64_t total(rv_ctx *c, const char *metric, int64_t *rows)
{
    rv_report_req req = {.metric = metric};
    rv_report r;
    rv_err err;
    if (rv_report_run(c, &req, &r, &err))
        fail_msg("report %s: %s", metric, err.message);
    int64_t v = r.res.total.num;
    if (rows)
        *rows = r.res.total.rows;
    rv_report_end(&r);
    return v;
}

/* The figures the reports must show, from plain SQL; owner 0: everyone. */
static void check_against_sql(tu_env *t, rv_ctx *c, int64_t owner, const char *when)
{
    char own[64] = "";
    if (owner)
        snprintf(own, sizeof own, " AND d.owner_id = %lld", (long long)owner);
    static const char *const kinds[] = {"won", "open", "lost"};
    static const char *const money[] = {"won_revenue", "pipeline_value", "lost_revenue"};
    static const char *const count[] = {"won_deals", "open_deals", "lost_deals"};
    for (int k = 0; k < 3; k++) {
        int64_t rows, want_sum = tu_sql_intf(t,
                                      "SELECT coalesce(sum(d.amount), 0) FROM deals d JOIN stages s "
                                      "ON s.id = d.stage_id WHERE s.kind = '%s'%s",
                                      kinds[k], own);
        int64_t want_n = tu_sql_intf(t,
                              "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id "
                              "WHERE s.kind = '%s'%s",
                              kinds[k], own);
        int64_t got = total(c, money[k], &rows);
        if (got != want_sum || rows != want_n)
            fail_msg("%s: %s is %lld over %lld deals, SQL says %lld over %lld", when, money[k],
                     (long long)got, (long long)rows, (long long)want_sum, (long long)want_n);
        got = total(c, count[k], NULL);
        if (got != want_n)
            fail_msg("%s: %s is %lld, SQL says %lld", when, count[k], (long long)got,
                     (long long)want_n);
    }
    if (owner)
        return;
    int64_t got = total(c, "leads_created", NULL), want = tu_count(t, "leads");
    if (got != want)
        fail_msg("%s: leads_created is %lld, SQL says %lld", when, (long long)got, (long long)want);
    got = total(c, "activities", NULL);
    want = tu_sql_int(t, "SELECT count(*) FROM activities WHERE done_at IS NOT NULL");
    if (got != want)
        fail_msg("%s: activities is %lld, SQL says %lld", when, (long long)got, (long long)want);
}

static int64_t create_on(rv_ctx *c, const char *entity, const char *json)
{
    const rv_entity *e = rv_entity_find(entity);
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    rv_record r;
    rv_record_init(&r, e);
    rv_err err;
    rv_status st = rv_record_from_json(&r, j, false, c->arena, &err);
    json_decref(j);
    if (!st)
        st = rv_svc_create(c, &r, &err);
    if (st)
        fail_msg("create %s %s: %s", entity, json, err.message);
    return r.id;
}

typedef struct fixture {
    tu_env *t;
    int64_t ann, bob, manager, cs;
    int64_t d[4];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    tu_env *t = f->t = tu_env_new("report-refresh");
    tu_seed_pipeline(t);
    f->manager = tu_create(t, "users", "{\"name\":\"Mia Manager\",\"email\":\"mia@example.com\","
                                       "\"role\":\"manager\"}");
    char json[512];
    snprintf(json, sizeof json,
             "{\"name\":\"Ann Rep\",\"email\":\"ann@example.com\",\"role\":\"rep\","
             "\"manager_id\":%lld}",
             (long long)f->manager);
    f->ann = tu_create(t, "users", json);
    snprintf(json, sizeof json,
             "{\"name\":\"Bob Rep\",\"email\":\"bob@example.com\",\"role\":\"rep\","
             "\"manager_id\":%lld}",
             (long long)f->manager);
    f->bob = tu_create(t, "users", json);
    f->cs = tu_create(t, "users", "{\"name\":\"Cy Success\",\"email\":\"cy@example.com\","
                                  "\"role\":\"cs\"}");
    /* Ann: 1,000.00 open and 2,500.50 won; Bob: 400.25 open and 99.99 lost */
    static const struct {
        const char *name, *stage, *amount;
        int bob;
    } deals[] = {{"A1", "Prospecting", "1000.00", 0},
                 {"A2", "Won", "2500.50", 0},
                 {"B1", "Proposal", "400.25", 1},
                 {"B2", "Lost", "99.99", 1}};
    for (int k = 0; k < 4; k++) {
        snprintf(json, sizeof json,
                 "{\"name\":\"%s\",\"stage_id\":\"%s\",\"amount\":%s,\"close_date\":\"2024-03-15\","
                 "\"owner_id\":%lld}",
                 deals[k].name, deals[k].stage, deals[k].amount,
                 (long long)(deals[k].bob ? f->bob : f->ann));
        f->d[k] = tu_create(t, "deals", json);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_env_free(f->t);
    rv_report_cache_clear();
    free(f);
    return 0;
}

static void reports_follow_every_write(void **state)
{
    fixture *f = *state;
    tu_env *t = f->t;
    rv_ctx *c = &t->ctx;
    rv_err err;
    /* by hand first, so that the SQL is checked too */
    assert_int_equal(total(c, "won_revenue", NULL), 250050);
    assert_int_equal(total(c, "pipeline_value", NULL), 100000 + 40025);
    assert_int_equal(total(c, "lost_revenue", NULL), 9999);
    check_against_sql(t, c, 0, "at first");

    /* a deal moves to Won */
    assert_int_equal(tu_try_update(t, "deals", f->d[0], "{\"stage_id\":\"Won\"}", &err), RV_OK);
    assert_int_equal(total(c, "won_revenue", NULL), 250050 + 100000);
    assert_int_equal(total(c, "pipeline_value", NULL), 40025);
    check_against_sql(t, c, 0, "after A1 won");

    /* a new deal */
    char json[256];
    snprintf(json, sizeof json,
             "{\"name\":\"B3\",\"stage_id\":\"Prospecting\",\"amount\":12.34,\"owner_id\":%lld}",
             (long long)f->bob);
    int64_t b3 = tu_create(t, "deals", json);
    assert_int_equal(total(c, "pipeline_value", NULL), 40025 + 1234);
    assert_int_equal(total(c, "open_deals", NULL), 2);
    check_against_sql(t, c, 0, "after B3 created");

    /* a deal deleted */
    assert_int_equal(rv_svc_delete(c, rv_entity_find("deals"), f->d[2], &err), RV_OK);
    assert_int_equal(total(c, "pipeline_value", NULL), 1234);
    assert_int_equal(total(c, "open_deals", NULL), 1);
    check_against_sql(t, c, 0, "after B1 deleted");

    /* a lead, an activity */
    assert_int_equal(total(c, "leads_created", NULL), 0);
    tu_create(t, "leads", "{\"email\":\"lee@example.org\",\"created_on\":\"2024-03-01T10:00:00Z\"}");
    assert_int_equal(total(c, "leads_created", NULL), 1);
    snprintf(json, sizeof json,
             "{\"kind\":\"call\",\"owner_id\":%lld,\"deal_id\":%lld,"
             "\"done_at\":\"2024-03-02T10:00:00Z\"}",
             (long long)f->bob, (long long)b3);
    tu_create(t, "activities", json);
    assert_int_equal(total(c, "activities", NULL), 1);
    check_against_sql(t, c, 0, "after a lead and an activity");

    /* another process writes: a second connection to the same database */
    rv_store *s2;
    assert_int_equal(rv_store_open(&s2, t->path, 0, &err), RV_OK);
    rv_arena a2;
    rv_arena_init(&a2, 4096);
    rv_ctx c2;
    rv_ctx_init(&c2, s2, &a2);
    snprintf(json, sizeof json,
             "{\"name\":\"A3\",\"stage_id\":\"Won\",\"amount\":7.00,\"close_date\":\"2024-03-20\","
             "\"owner_id\":%lld}",
             (long long)f->ann);
    create_on(&c2, "deals", json);
    assert_int_equal(total(c, "won_revenue", NULL), 250050 + 100000 + 700);
    check_against_sql(t, c, 0, "after A3 created by another connection");
    rv_record ch;
    rv_record_init(&ch, rv_entity_find("deals"));
    ch.id = b3;
    json_t *j = json_loads("{\"stage_id\":\"Lost\"}", 0, NULL);
    assert_int_equal(rv_record_from_json(&ch, j, false, &a2, &err), RV_OK);
    json_decref(j);
    assert_int_equal(rv_svc_update(&c2, &ch, NULL, &err), RV_OK);
    assert_int_equal(total(c, "pipeline_value", NULL), 0);
    assert_int_equal(total(c, "lost_deals", NULL), 2);
    check_against_sql(t, c, 0, "after B3 lost through another connection");
    create_on(&c2, "leads", "{\"email\":\"kim@example.org\"}");
    assert_int_equal(total(c, "leads_created", NULL), 2);
    rv_store_close(s2);
    rv_arena_release(&a2);
}

static void reports_obey_record_access(void **state)
{
    fixture *f = *state;
    tu_env *t = f->t;
    rv_err err;
    rv_principal p;
    rv_ctx c = t->ctx;
    assert_int_equal(rv_principal_load(&c, f->ann, &p, &err), RV_OK);
    c.who = &p;
    /* Ann sees her 2,500.50 won and 1,000.00 open, none of Bob's */
    assert_int_equal(total(&c, "won_revenue", NULL), 250050);
    assert_int_equal(total(&c, "pipeline_value", NULL), 100000);
    assert_int_equal(total(&c, "lost_deals", NULL), 0);
    check_against_sql(t, &c, f->ann, "as Ann");
    rv_report_req req = {.metric = "win_rate"};
    rv_report r;
    assert_int_equal(rv_report_run(&c, &req, &r, &err), RV_OK);
    assert_int_equal(r.res.total.num, 1);
    assert_int_equal(r.res.total.den, 1);
    rv_report_end(&r);
    /* Bob: 99.99 lost, 400.25 open */
    assert_int_equal(rv_principal_load(&c, f->bob, &p, &err), RV_OK);
    assert_int_equal(total(&c, "lost_revenue", NULL), 9999);
    assert_int_equal(total(&c, "won_revenue", NULL), 0);
    check_against_sql(t, &c, f->bob, "as Bob");
    /* their manager sees both */
    assert_int_equal(rv_principal_load(&c, f->manager, &p, &err), RV_OK);
    check_against_sql(t, &c, 0, "as their manager");
    /* customer success may not read leads: no leads metric either */
    assert_int_equal(rv_principal_load(&c, f->cs, &p, &err), RV_OK);
    req.metric = "leads_created";
    rv_status st = rv_report_run(&c, &req, &r, &err);
    assert_int_equal(st, RV_EFORBIDDEN);
    assert_int_equal(rv_status_http(st), 403);
    assert_string_equal(err.message, "user cy@example.com (cs) may not read leads");
    /* but deals they may read, all of them */
    assert_int_equal(total(&c, "won_revenue", NULL), 250050);
}

/* Reports read the database of $REVOS_READ_URL (report.c: each snapshot
 * has its own reader from rv_store_open_read), and follow what that
 * database has applied, not the primary: a second database stands in for
 * the replica here (a real streaming replica: test_migrate_pg.c). */
static void reports_read_the_read_url(void **state)
{
    fixture *f = *state;
    rv_ctx *c = &f->t->ctx;
    rv_err err;
    tu_env *rep = tu_env_new("report-read-url");
    tu_seed_pipeline(rep);
    tu_create(rep, "deals", "{\"name\":\"R1\",\"stage_id\":\"Won\",\"amount\":5.00}");
    setenv("REVOS_READ_URL", rep->path, 1);
    rv_report_cache_clear();
    /* the reader's 5.00, not the primary's 2,500.50 */
    assert_int_equal(total(c, "won_revenue", NULL), 500);
    /* a write on the primary is not on the reader: the report stays */
    assert_int_equal(tu_try_update(f->t, "deals", f->d[0], "{\"stage_id\":\"Won\"}", &err), RV_OK);
    assert_int_equal(total(c, "won_revenue", NULL), 500);
    /* a write the reader has: the next report shows it */
    tu_create(rep, "deals", "{\"name\":\"R2\",\"stage_id\":\"Won\",\"amount\":1.25}");
    assert_int_equal(total(c, "won_revenue", NULL), 625);
    /* a reader that cannot be opened is an error naming the variable */
    char bad[600];
    if (tu_pg())
        snprintf(bad, sizeof bad, "postgres://postgres@127.0.0.1:1/nowhere");
    else
        snprintf(bad, sizeof bad, "%s-missing.db", rep->path);
    setenv("REVOS_READ_URL", bad, 1);
    rv_report_cache_clear();
    rv_report_req req = {.metric = "won_revenue"};
    rv_report r;
    assert_int_not_equal(rv_report_run(c, &req, &r, &err), RV_OK);
    if (!strstr(err.message, "REVOS_READ_URL: "))
        fail_msg("error does not name REVOS_READ_URL: %s", err.message);
    /* without it, reports read the primary again */
    unsetenv("REVOS_READ_URL");
    rv_report_cache_clear();
    assert_int_equal(total(c, "won_revenue", NULL), 250050 + 100000);
    tu_env_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reports_obey_record_access, setup, teardown),
        cmocka_unit_test_setup_teardown(reports_follow_every_write, setup, teardown),
        cmocka_unit_test_setup_teardown(reports_read_the_read_url, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
