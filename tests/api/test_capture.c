/*
 * test_capture.c - POST /api/v1/leads/capture over real HTTP: the source
 * key instead of a session, JSON and form bodies, the Idempotency-Key,
 * the per-source rate limit, and the exact error of each refusal, which
 * leaves the database as it was.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http_client.h"
#include "model/money.h"
#include "service/leads.h"
#include "testutil.h"

#define NOW 1704276000000LL /* 2024-01-03 10:00 UTC, a Wednesday */

typedef struct fx {
    tu_env *t;
    rv_api_server *srv;
    int port;
    char key[80], slow_key[80];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->t = tu_env_new("capture");
    rv_now_set(NOW);
    rv_capture_rate_reset();
    tu_http_set_default_headers(NULL);
    int64_t id, rep = tu_create(f->t, "users", "{\"name\":\"Ana\",\"email\":\"ana@example.com\"}");
    int64_t pool = tu_create(f->t, "routing_pools", "{\"name\":\"Inbound\"}");
    char b[200];
    snprintf(b, sizeof b, "{\"name\":\"All\",\"field\":\"email\",\"op\":\"any\",\"pool_id\":%lld}", (long long)pool);
    tu_create(f->t, "routing_rules", b);
    snprintf(b, sizeof b, "{\"pool_id\":%lld,\"user_id\":%lld}", (long long)pool, (long long)rep);
    tu_create(f->t, "pool_members", b);
    tu_create(f->t, "accounts", "{\"name\":\"Acme Corp\",\"domain\":\"acme.com\"}");
    rv_err err;
    if (rv_lead_source_create(&f->t->ctx, "Web form", NULL, f->key, &id, &err) ||
        rv_lead_source_create(&f->t->ctx, "Partner feed", "2", f->slow_key, &id, &err))
        fail_msg("source: %s", err.message);
    rv_api_opts o;
    rv_api_opts_init(&o);
    o.db_path = f->t->path;
    if (rv_api_start(&o, &f->srv, &err))
        fail_msg("rv_api_start: %s", err.message);
    f->port = rv_api_port(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    rv_api_stop(f->srv);
    tu_env_free(f->t);
    rv_now_set(0);
    free(f);
    return 0;
}

static void post(fx *f, const char *key, const char *idem, const char *ctype, const char *body,
                 tu_http_resp *r)
{
    tu_http c = {.fd = -1};
    char h[300] = "";
    size_t o = 0;
    if (key)
        o += (size_t)snprintf(h + o, sizeof h - o, "X-Source-Key: %s\r\n", key);
    if (idem)
        snprintf(h + o, sizeof h - o, "Idempotency-Key: %s\r\n", idem);
    if (!tu_http_connect(&c, f->port) ||
        !tu_http_send(&c, "POST", "/api/v1/leads/capture", ctype, body, strlen(body), h, false) ||
        !tu_http_recv(&c, r, false))
        fail_msg("no response");
    tu_http_close(&c);
}

static json_t *body_json(const tu_http_resp *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    if (!j)
        fail_msg("not JSON: %s", r->body);
    return j;
}

static void json_and_form(void **state)
{
    fx *f = *state;
    tu_http_resp r;
    post(f, f->key, NULL, "application/json",
         "{\"email\":\"Pat@Acme.com\",\"last_name\":\"lee\",\"employees\":250}", &r);
    assert_int_equal(r.status, 201);
    json_t *j = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "lead_id")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "account_id")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "owner_id")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "match_reason")),
                        "account 1 by domain 'acme.com'");
    assert_string_equal(json_string_value(json_object_get(j, "sla_due_at")), "2024-01-03T11:00:00.000Z");
    char loc[100];
    assert_string_equal(tu_http_header(&r, "Location", loc, sizeof loc), "/api/v1/leads/1");
    json_decref(j);
    tu_http_resp_release(&r);
    /* a form post from a web page, with a number as text */
    post(f, f->key, NULL, "application/x-www-form-urlencoded",
         "email=jo%40example.org&first_name=Jo&employees=12&company=Example+Org", &r);
    assert_int_equal(r.status, 201);
    tu_http_resp_release(&r);
    assert_int_equal(tu_sql_int(f->t, "SELECT employees FROM leads WHERE email = 'jo@example.org'"), 12);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM leads WHERE company = 'Example Org' AND source_id = 1"), 1);
    /* the same person again: linked, 200 */
    post(f, f->key, NULL, "application/json", "{\"email\":\"pat@acme.com\"}", &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    assert_true(json_is_true(json_object_get(j, "linked")));
    assert_int_equal(json_integer_value(json_object_get(j, "lead_id")), 1);
    json_decref(j);
    tu_http_resp_release(&r);
    assert_int_equal(tu_count(f->t, "leads"), 2);
}

static void keys_and_errors(void **state)
{
    fx *f = *state;
    tu_http_resp r;
    char *before = tu_dump_db(f->t);
    static const struct {
        const char *key, *ctype, *body;
        int status;
        const char *want;
    } cases[] = {
        {NULL, "application/json", "{\"email\":\"a@b.com\"}", 401,
         "{\"error\":{\"code\":\"unauthorized\",\"message\":\"lead capture needs the source's key in "
         "the X-Source-Key header\",\"field\":null}}"},
        {"rvl_wrong", "application/json", "{\"email\":\"a@b.com\"}", 401,
         "{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown source key 'rvl_wrong...'\","
         "\"field\":null}}"},
        {"", "application/json", "{\"email\":\"a@b.com\",\"owner_id\":1}", 400, NULL},
        {"", "application/json", "{\"email\":\"a@b.com\",\"height\":1}", 400,
         "{\"error\":{\"code\":\"unknown_field\",\"message\":\"leads has no field 'height'\","
         "\"field\":\"height\"}}"},
        {"", "application/json", "{\"company\":\"Acme\"}", 400,
         "{\"error\":{\"code\":\"invalid\",\"message\":\"email or phone is required\",\"field\":\"email\"}}"},
        {"", "application/json", "{\"email\":\"a@b.com\",\"employees\":-4}", 400, NULL},
        {"", "application/json", "{\"email\":", 400, NULL},
        {"", "text/plain", "email=a@b.com", 415, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *key = cases[i].key && !cases[i].key[0] ? f->key : cases[i].key;
        post(f, key, NULL, cases[i].ctype, cases[i].body, &r);
        if (r.status != cases[i].status || (cases[i].want && strcmp(r.body, cases[i].want)))
            fail_msg("case %zu: %d %s", i, r.status, r.body);
        tu_http_resp_release(&r);
    }
    /* the owner field names itself */
    post(f, f->key, NULL, "application/json", "{\"email\":\"a@b.com\",\"owner_id\":1}", &r);
    assert_non_null(strstr(r.body, "\"field\":\"owner_id\""));
    tu_http_resp_release(&r);
    char *after = tu_dump_db(f->t);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void idempotency_and_rate(void **state)
{
    fx *f = *state;
    tu_http_resp r;
    post(f, f->key, "order-77", "application/json", "{\"email\":\"once@example.com\"}", &r);
    assert_int_equal(r.status, 201);
    json_t *j = body_json(&r);
    json_int_t lead = json_integer_value(json_object_get(j, "lead_id"));
    json_decref(j);
    tu_http_resp_release(&r);
    /* a retry, even with another body, answers with the first lead */
    post(f, f->key, "order-77", "application/json", "{\"email\":\"twice@example.com\"}", &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    assert_true(json_is_true(json_object_get(j, "replayed")));
    assert_int_equal(json_integer_value(json_object_get(j, "lead_id")), lead);
    json_decref(j);
    tu_http_resp_release(&r);
    assert_int_equal(tu_count(f->t, "leads"), 1);
    /* the same key from another source is another capture */
    post(f, f->slow_key, "order-77", "application/json", "{\"email\":\"other@example.com\"}", &r);
    assert_int_equal(r.status, 201);
    tu_http_resp_release(&r);
    /* the slow source takes 2 a minute: the third is 429 */
    post(f, f->slow_key, NULL, "application/json", "{\"email\":\"o2@example.com\"}", &r);
    assert_int_equal(r.status, 201);
    tu_http_resp_release(&r);
    post(f, f->slow_key, NULL, "application/json", "{\"email\":\"o3@example.com\"}", &r);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.body, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"lead source "
                                "'Partner feed' is over its limit of 2 captures per minute; retry "
                                "in 60 s\",\"field\":null}}");
    tu_http_resp_release(&r);
    assert_int_equal(tu_count(f->t, "leads"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(json_and_form, setup, teardown),
        cmocka_unit_test_setup_teardown(keys_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(idempotency_and_rate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
