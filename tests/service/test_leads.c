/*
 * test_leads.c - the capture pipeline (service/capture.c), routing
 * (service/routing.c) and follow-up SLAs (service/sla.c) against a real
 * database (SQLite, and PostgreSQL in the "[pg]" half of tests/run.sh).
 *
 * Every step's result is asserted exactly: the stored forms, the account
 * matched and the reason in words, the points of each scoring rule worked
 * out by hand, the owner and the routing reason, the SLA due time; and
 * checked with plain SQL on the same database.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/money.h"
#include "service/leads.h"
#include "service/report.h"
#include "testutil.h"

/* 2024-01-03 (a Wednesday) 10:00 UTC */
#define NOW 1704276000000LL
#define MIN 60000LL
#define DAY (1440 * MIN)

typedef struct fx {
    tu_env *t;
    int64_t ana, ben, mgr, cy;
    int64_t acme, ibm, globex, initech_ny, initech_sf, datadog;
    int64_t inbound, queue;
} fx;

static int64_t user(tu_env *t, const char *email, const char *role, int64_t manager)
{
    char b[300];
    if (manager)
        snprintf(b, sizeof b, "{\"name\":\"%s\",\"email\":\"%s\",\"role\":\"%s\",\"manager_id\":%lld}",
                 email, email, role, (long long)manager);
    else
        snprintf(b, sizeof b, "{\"name\":\"%s\",\"email\":\"%s\",\"role\":\"%s\"}", email, email, role);
    return tu_create(t, "users", b);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    tu_env *t = f->t = tu_env_new("leads");
    rv_now_set(NOW);
    rv_capture_rate_reset();
    tu_seed_pipeline(t);
    f->mgr = user(t, "mgr@example.com", "manager", 0);
    f->ana = user(t, "ana@example.com", "rep", f->mgr);
    f->ben = user(t, "ben@example.com", "rep", f->mgr);
    f->cy = user(t, "cy@example.com", "rep", f->mgr);
    char b[400];
    snprintf(b, sizeof b, "{\"name\":\"Acme Corporation\",\"domain\":\"https://www.acme.com/\","
                          "\"owner_id\":%lld,\"industry\":\"Software\"}", (long long)f->ana);
    f->acme = tu_create(t, "accounts", b);
    snprintf(b, sizeof b, "{\"name\":\"International Business Machines\",\"domain\":\"ibm.com\","
                          "\"owner_id\":%lld}", (long long)f->ben);
    f->ibm = tu_create(t, "accounts", b);
    f->globex = tu_create(t, "accounts", "{\"name\":\"Globex Ltd\",\"phone\":\"+1 (415) 555-0100\"}");
    f->initech_sf = tu_create(t, "accounts", "{\"name\":\"Initech Inc\",\"postcode\":\"94105\",\"country\":\"US\"}");
    f->initech_ny = tu_create(t, "accounts", "{\"name\":\"Initech LLC\",\"postcode\":\"10001\",\"country\":\"US\"}");
    f->datadog = tu_create(t, "accounts", "{\"name\":\"Data Dog Inc\"}");
    snprintf(b, sizeof b, "{\"last_name\":\"Smith\",\"first_name\":\"Jo\",\"email\":\"jo.smith@gmail.com\","
                          "\"account_id\":%lld}", (long long)f->globex);
    tu_create(t, "contacts", b);
    /* routing: everything to Inbound (ana 1, ben 2); a fallback queue with cy */
    f->inbound = tu_create(t, "routing_pools", "{\"name\":\"Inbound\"}");
    f->queue = tu_create(t, "routing_pools", "{\"name\":\"Queue\",\"fallback\":true}");
    snprintf(b, sizeof b, "{\"name\":\"Everyone\",\"field\":\"email\",\"op\":\"any\",\"pool_id\":%lld}",
             (long long)f->inbound);
    tu_create(t, "routing_rules", b);
    snprintf(b, sizeof b, "{\"pool_id\":%lld,\"user_id\":%lld,\"weight\":1,\"work_start_min\":540,"
                          "\"work_end_min\":1020}", (long long)f->inbound, (long long)f->ana);
    tu_create(t, "pool_members", b);
    snprintf(b, sizeof b, "{\"pool_id\":%lld,\"user_id\":%lld,\"weight\":2,\"work_start_min\":540,"
                          "\"work_end_min\":1020}", (long long)f->inbound, (long long)f->ben);
    tu_create(t, "pool_members", b);
    snprintf(b, sizeof b, "{\"pool_id\":%lld,\"user_id\":%lld,\"work_days\":\"\"}", (long long)f->queue, (long long)f->cy);
    tu_create(t, "pool_members", b);
    /* scoring */
    tu_create(t, "fit_rules", "{\"field\":\"industry\",\"value\":\"Software\",\"points\":20}");
    tu_create(t, "fit_rules", "{\"field\":\"employees\",\"op\":\"between\",\"value\":\"100,1000\",\"points\":15}");
    tu_create(t, "fit_rules", "{\"field\":\"title\",\"op\":\"contains\",\"value\":\"VP\",\"points\":10,\"cap\":15}");
    tu_create(t, "fit_rules", "{\"field\":\"title\",\"op\":\"contains\",\"value\":\"Director\",\"points\":10}");
    tu_create(t, "engagement_rules", "{\"kind\":\"form\",\"points\":10,\"half_life_days\":30}");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tu_env_free(f->t);
    rv_now_set(0);
    free(f);
    return 0;
}

static rv_status capture(fx *f, const char *json, rv_capture_result *res, rv_err *err)
{
    json_error_t je;
    json_t *b = json_loads(json, 0, &je);
    if (!b)
        fail_msg("bad test JSON: %s", je.text);
    rv_capture_req req = {NULL, NULL, b};
    rv_status st = rv_leads_capture(&f->t->ctx, &req, res, err);
    json_decref(b);
    return st;
}

static void ok_capture(fx *f, const char *json, rv_capture_result *res)
{
    rv_err err;
    if (capture(f, json, res, &err))
        fail_msg("capture %s: %s", json, err.message);
}

static void pipeline_steps(void **state)
{
    fx *f = *state;
    tu_env *t = f->t;
    rv_capture_result r;
    ok_capture(f, "{\"email\":\" Pat@ACME.com \",\"first_name\":\"pat\",\"last_name\":\"LEE\","
                  "\"company\":\"ACME Corp.\",\"industry\":\"software\",\"employees\":\"500\","
                  "\"title\":\"VP, Sales Director\"}",
               &r);
    /* normalise: stored forms and keys */
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM leads WHERE id = %lld AND email = 'pat@acme.com' "
                                    "AND first_name = 'Pat' AND last_name = 'Lee' AND company = 'ACME Corp.' "
                                    "AND email_key = 'pat@acme.com' AND domain_key = 'acme.com' AND name_key = 'acme'",
                                 (long long)r.lead_id),
                     1);
    /* match: by domain (the email's: not free-mail) */
    assert_int_equal(r.account_id, f->acme);
    assert_string_equal(r.match_reason, "account 1 by domain 'acme.com'");
    assert_int_equal(r.contact_id, 0);
    /* score: industry 20 + employees 15 + title (10 + 10, capped 15) = 50; form 10 */
    assert_int_equal(r.fit, 50);
    assert_int_equal(r.engagement, 10);
    assert_int_equal(r.score, 60);
    assert_string_equal(r.score_reasons,
                        "[{\"rule\":\"industry = Software\",\"points\":20},"
                        "{\"rule\":\"employees between 100,1000\",\"points\":15},"
                        "{\"rule\":\"title contains VP (and more rules)\",\"points\":15},"
                        "{\"rule\":\"1 x form\",\"points\":10}]");
    /* route: the account's owner is in the pool */
    assert_int_equal(r.owner_id, f->ana);
    assert_string_equal(r.route_reason, "rule 'Everyone' (email any) chose pool 'Inbound'; owner of "
                                        "the matched account: ana@example.com");
    /* follow up: default SLA 60 minutes, a task due then for the owner */
    assert_int_equal(r.sla_due_at, NOW + 60 * MIN);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM activities WHERE id = %lld AND kind = 'task' "
                                    "AND owner_id = %lld AND lead_id = %lld AND due_at = %lld",
                                 (long long)r.task_id, (long long)f->ana, (long long)r.lead_id,
                                 NOW + 60 * MIN),
                     1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM lead_assignments WHERE lead_id = %lld AND "
                                    "user_id = %lld AND method = 'account_owner'",
                                 (long long)r.lead_id, (long long)f->ana),
                     1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM events WHERE entity = 'leads' AND record_id = %lld "
                                    "AND kind = 'captured'", (long long)r.lead_id),
                     1);
    /* one event for the pipeline: the lead's "created" and "captured"; the
     * task, touch and assignment are named by "captured", audited each */
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM events WHERE entity <> 'leads' OR record_id <> %lld",
                                 (long long)r.lead_id),
                     tu_sql_intf(t, "SELECT count(*) FROM events WHERE id < (SELECT min(id) FROM events "
                                    "WHERE entity = 'leads' AND record_id = %lld)",
                                 (long long)r.lead_id));
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM events WHERE entity = 'leads' AND record_id = %lld",
                                 (long long)r.lead_id),
                     2);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM events WHERE kind = 'captured' AND "
                                    "payload LIKE '%%\"task_id\":%lld,%%'",
                                 (long long)r.task_id),
                     1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM audit_log WHERE (entity = 'activities' AND "
                                    "record_id = %lld) OR (entity = 'touches' AND record_id = "
                                    "(SELECT id FROM touches WHERE lead_id = %lld))",
                                 (long long)r.task_id, (long long)r.lead_id),
                     2);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM touches WHERE lead_id = %lld AND kind = 'form'",
                                 (long long)r.lead_id),
                     1);

    /* the same person 30 days later: linked to the open lead, not re-created */
    int64_t leads = tu_count(t, "leads");
    rv_now_set(NOW + 30 * DAY);
    rv_capture_result r2;
    ok_capture(f, "{\"email\":\"pat@acme.com\",\"phone\":\"415 555 0199\"}", &r2);
    assert_true(r2.linked);
    assert_int_equal(r2.lead_id, r.lead_id);
    assert_int_equal(tu_count(t, "leads"), leads);
    assert_string_equal(r2.match_reason, "same email as open lead 1");
    assert_int_equal(r2.engagement, 15); /* 10 halved after one half-life, + 10 now */
    assert_int_equal(r2.score, 65);
    /* an empty field was filled from the capture */
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM leads WHERE id = %lld AND phone = '+14155550199'",
                                 (long long)r.lead_id),
                     1);
    rv_now_set(NOW);
}

static void account_matching(void **state)
{
    fx *f = *state;
    rv_capture_result r;
    /* acronym: the lead types the acronym of the account's name */
    ok_capture(f, "{\"email\":\"x@gmail.com\",\"company\":\"IBM\"}", &r);
    assert_int_equal(r.account_id, f->ibm);
    assert_string_equal(r.match_reason, "account 2 by company name as the account's acronym 'ibm'");
    assert_int_equal(r.owner_id, f->ben); /* the account's owner */
    /* word splits meet */
    ok_capture(f, "{\"email\":\"y@yahoo.com\",\"company\":\"Datadog\"}", &r);
    assert_int_equal(r.account_id, f->datadog);
    assert_string_equal(r.match_reason, "account 6 by company name 'datadog'");
    /* phone, read with the default country code */
    ok_capture(f, "{\"phone\":\"(415) 555-0100\"}", &r);
    assert_int_equal(r.account_id, f->globex);
    assert_string_equal(r.match_reason, "account 3 by phone '+14155550100'");
    /* two accounts share the name key: the postcode decides */
    ok_capture(f, "{\"email\":\"z@hotmail.com\",\"company\":\"Initech\",\"postcode\":\"10001\"}", &r);
    assert_int_equal(r.account_id, f->initech_ny);
    assert_string_equal(r.match_reason,
                        "account 5 by company name 'initech' (2 candidates, chosen by same postcode)");
    /* a contact of the same person (Gmail dots and sub-address ignored) */
    ok_capture(f, "{\"email\":\"JoSmith+news@googlemail.com\",\"last_name\":\"Smith\"}", &r);
    assert_int_equal(r.contact_id, 1);
    assert_int_equal(r.account_id, f->globex);
    assert_string_equal(r.match_reason, "same email as contact 1; account 3 of the contact");
    /* no account: free-mail and an unknown company; round robin in the pool */
    ok_capture(f, "{\"email\":\"q@gmail.com\",\"company\":\"Nobody Knows GmbH\"}", &r);
    assert_int_equal(r.account_id, 0);
    assert_string_equal(r.match_reason, "no account matched");
    assert_non_null(strstr(r.route_reason, "; round robin by weight: "));
}

static void errors_change_nothing(void **state)
{
    fx *f = *state;
    rv_capture_result r;
    rv_err err;
    char *before = tu_dump_db(f->t);
    assert_int_equal(capture(f, "{\"email\":\"not-an-email\"}", &r, &err), RV_EINVAL);
    assert_string_equal(err.field, "email");
    assert_non_null(strstr(err.message, "'not-an-email'"));
    assert_int_equal(capture(f, "{\"email\":\"a@b.com\",\"owner_id\":3}", &r, &err), RV_EINVAL);
    assert_string_equal(err.field, "owner_id");
    assert_int_equal(capture(f, "{\"email\":\"a@b.com\",\"shoe_size\":3}", &r, &err), RV_EUNKNOWN);
    assert_string_equal(err.message, "leads has no field 'shoe_size'");
    assert_int_equal(capture(f, "{\"company\":\"Acme\"}", &r, &err), RV_EINVAL);
    assert_string_equal(err.message, "email or phone is required");
    assert_int_equal(capture(f, "{\"email\":\"a@b.com\",\"employees\":\"many\"}", &r, &err), RV_EINVAL);
    assert_string_equal(err.field, "employees");
    assert_int_equal(capture(f, "{\"email\":\"a@b.com\",\"phone\":\"call me\"}", &r, &err), RV_EINVAL);
    assert_string_equal(err.field, "phone");
    char *after = tu_dump_db(f->t);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void source_keys_idempotency_rate(void **state)
{
    fx *f = *state;
    char key[80];
    int64_t sid;
    rv_err err;
    assert_int_equal(rv_lead_source_create(&f->t->ctx, "Web form", "3", key, &sid, &err), RV_OK);
    assert_int_equal(strncmp(key, "rvl_", 4), 0);
    assert_int_equal(tu_sql_intf(f->t, "SELECT count(*) FROM lead_sources WHERE id = %lld AND key_hash <> '%s'",
                                 (long long)sid, key),
                     1);
    json_t *b = json_pack("{s:s}", "email", "k@k.example.com");
    rv_capture_result r1, r2;
    rv_capture_req req = {key, "retry-1", b};
    assert_int_equal(rv_leads_capture(&f->t->ctx, &req, &r1, &err), RV_OK);
    assert_false(r1.replayed);
    assert_int_equal(r1.source_id, sid);
    assert_int_equal(rv_leads_capture(&f->t->ctx, &req, &r2, &err), RV_OK);
    assert_true(r2.replayed);
    assert_int_equal(r2.lead_id, r1.lead_id);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM leads WHERE email = 'k@k.example.com'"), 1);
    /* the third capture of the minute passes, the fourth is refused */
    req.idem_key = NULL;
    assert_int_equal(rv_leads_capture(&f->t->ctx, &req, &r2, &err), RV_OK);
    assert_int_equal(rv_leads_capture(&f->t->ctx, &req, &r2, &err), RV_ERATE);
    assert_string_equal(err.message, "lead source 'Web form' is over its limit of 3 captures per "
                                     "minute; retry in 60 s");
    rv_now_set(NOW + MIN);
    assert_int_equal(rv_leads_capture(&f->t->ctx, &req, &r2, &err), RV_OK);
    rv_now_set(NOW);
    req.source_key = "rvl_nope";
    assert_int_equal(rv_leads_capture(&f->t->ctx, &req, &r2, &err), RV_EUNAUTH);
    assert_string_equal(err.message, "unknown source key 'rvl_nope...'");
    json_decref(b);
}

static void routing_weights_and_fallback(void **state)
{
    fx *f = *state;
    tu_env *t = f->t;
    /* 300 leads with no account: ana (weight 1) and ben (weight 2) */
    for (int i = 0; i < 300; i++) {
        char b[100];
        rv_capture_result r;
        snprintf(b, sizeof b, "{\"email\":\"p%d@gmail.com\"}", i);
        ok_capture(f, b, &r);
    }
    int64_t a = tu_sql_intf(t, "SELECT count(*) FROM leads WHERE owner_id = %lld", (long long)f->ana);
    int64_t bn = tu_sql_intf(t, "SELECT count(*) FROM leads WHERE owner_id = %lld", (long long)f->ben);
    /* chi-square against 100 / 200, df 1, p = 0.001 */
    double x = (a - 100.0) * (a - 100.0) / 100 + (bn - 200.0) * (bn - 200.0) / 200;
    assert_int_equal(a + bn, 300);
    assert_true(x < 10.83);
    /* outside the reps' working hours: the fallback queue (cy, every day) */
    rv_now_set(NOW + 9 * 60 * MIN); /* 19:00 */
    rv_capture_result r;
    ok_capture(f, "{\"email\":\"late@gmail.com\"}", &r);
    assert_int_equal(r.owner_id, f->cy);
    assert_string_equal(r.route_reason,
                        "rule 'Everyone' (email any) chose pool 'Inbound'; no member can take it: "
                        "ana@example.com: outside working hours; ben@example.com: outside working "
                        "hours; fallback pool 'Queue'; round robin by weight: cy@example.com (weight 1 "
                        "of 1, turn 1)");
    rv_now_set(NOW);
    /* explain */
    rv_buf out;
    rv_err err;
    rv_buf_init(&out, 0);
    assert_int_equal(rv_route_explain(&t->ctx, r.lead_id, &out, &err), RV_OK);
    assert_non_null(strstr(rv_buf_str(&out), "by round_robin: rule 'Everyone'"));
    assert_non_null(strstr(rv_buf_str(&out), "  +10  1 x form\n"));
    rv_buf_release(&out);
}

static void sla_breach_and_metric(void **state)
{
    fx *f = *state;
    tu_env *t = f->t;
    char b[300];
    snprintf(b, sizeof b, "{\"priority\":\"high\",\"first_touch_minutes\":5,\"escalate\":\"reassign\"}");
    tu_create(t, "sla_policies", b);
    rv_capture_result hi, lo, touched;
    ok_capture(f, "{\"email\":\"hi@gmail.com\",\"priority\":\"high\"}", &hi);
    ok_capture(f, "{\"email\":\"lo@gmail.com\"}", &lo);
    ok_capture(f, "{\"email\":\"done@gmail.com\"}", &touched);
    assert_int_equal(hi.sla_due_at, NOW + 5 * MIN);
    assert_int_equal(lo.sla_due_at, NOW + 60 * MIN);
    /* a call on the third lead is its first touch */
    snprintf(b, sizeof b, "{\"kind\":\"call\",\"lead_id\":%lld,\"done_at\":\"2024-01-03T10:02:00Z\"}",
             (long long)touched.lead_id);
    tu_create(t, "activities", b);
    assert_int_equal(tu_sql_intf(t, "SELECT first_touch_at FROM leads WHERE id = %lld", (long long)touched.lead_id),
                     NOW + 2 * MIN);
    rv_sla_report rep;
    rv_err err;
    rv_now_set(NOW + 6 * MIN);
    assert_int_equal(rv_sla_check(&t->ctx, &rep, &err), RV_OK);
    assert_int_equal(rep.checked, 2);
    assert_int_equal(rep.breached, 1);
    assert_int_equal(rep.reassigned, 1);
    int64_t owner = tu_sql_intf(t, "SELECT owner_id FROM leads WHERE id = %lld", (long long)hi.lead_id);
    assert_true(owner != hi.owner_id && owner != 0);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM lead_assignments WHERE lead_id = %lld", (long long)hi.lead_id), 2);
    /* checked once: a second pass finds nothing new */
    assert_int_equal(rv_sla_check(&t->ctx, &rep, &err), RV_OK);
    assert_int_equal(rep.breached, 0);
    /* an hour later the normal lead is late: notify the owner's manager */
    rv_now_set(NOW + 61 * MIN);
    assert_int_equal(rv_sla_check(&t->ctx, &rep, &err), RV_OK);
    assert_int_equal(rep.breached, 1);
    assert_int_equal(rep.notified, 1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM activities WHERE owner_id = %lld AND lead_id = %lld "
                                    "AND subject LIKE 'SLA breached%%'",
                                 (long long)f->mgr, (long long)lo.lead_id),
                     1);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events WHERE kind = 'sla_breached'"), 2);
    rv_now_set(NOW);
}

/* Without policies the check and the analytics metric leads_past_sla use
 * one definition (created_on + lead_sla_minutes): they count the same. */
static void sla_agrees_with_metric(void **state)
{
    fx *f = *state;
    tu_env *t = f->t;
    tu_create(t, "settings", "{\"key\":\"lead_sla_minutes\",\"value\":\"30\"}");
    rv_capture_result r;
    for (int i = 0; i < 5; i++) {
        char b[80];
        rv_now_set(NOW + i * 10 * MIN);
        snprintf(b, sizeof b, "{\"email\":\"m%d@gmail.com\"}", i);
        ok_capture(f, b, &r);
    }
    rv_now_set(NOW + 65 * MIN); /* leads of 10:00 to 10:30 are past 30 minutes, 10:40 is not */
    rv_report_cache_clear();
    rv_report_req q = {.metric = "leads_past_sla"};
    rv_report rep;
    rv_err err;
    assert_int_equal(rv_report_run(&t->ctx, &q, &rep, &err), RV_OK);
    int64_t metric = (int64_t)llround(rep.res.total.value);
    rv_report_end(&rep);
    rv_sla_report s;
    assert_int_equal(rv_sla_check(&t->ctx, &s, &err), RV_OK);
    assert_int_equal(s.breached, 4);
    assert_int_equal(metric, s.breached);
    rv_now_set(NOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pipeline_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(account_matching, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(source_keys_idempotency_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(routing_weights_and_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(sla_breach_and_metric, setup, teardown),
        cmocka_unit_test_setup_teardown(sla_agrees_with_metric, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
