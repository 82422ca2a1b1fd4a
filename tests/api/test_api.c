/*
 * test_api.c - the JSON API over real HTTP on loopback.
 *
 * Each test starts the server in-process (rv_api_start, port 0) on a fresh
 * database and talks to it with the small client in
 * tests/support/http_client.c.  The request/response cases are tables of
 * method, path, body -> exact status and exact body (or, for records, the
 * members that must be in it).  After every failed write the row counts
 * and update stamps of every table are checked with plain SQL on the same
 * file: a refused request leaves nothing behind.
 *
 * The clock is fixed (rv_now_set) so that records, timestamps included,
 * can be compared as text.
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/api.h"
#include "http_client.h"
#include "model/money.h"
#include "service/auth.h"
#include "testutil.h"

#define NOW 1700000000000LL /* 2023-11-14T22:13:20.000Z */
#define NOW_TEXT "2023-11-14T22:13:20.000Z"

typedef struct api_env {
    tu_env *t;
    rv_api_server *srv;
    int port;
    tu_http conn; /* one keep-alive connection, reopened when the server closes it */
} api_env;

static api_env *env_start(const char *name, int threads, size_t max_body)
{
    api_env *a = calloc(1, sizeof *a);
    a->t = tu_env_new(name);
    tu_seed_pipeline(a->t);
    rv_now_set(NOW);
    tu_admin_token(a->t);
    rv_api_opts o;
    rv_api_opts_init(&o);
    o.db_path = a->t->path;
    o.port = 0;
    o.threads = threads;
    if (max_body)
        o.max_body = max_body;
    rv_err err;
    if (rv_api_start(&o, &a->srv, &err) != RV_OK)
        fail_msg("rv_api_start: %s", err.message);
    a->port = rv_api_port(a->srv);
    assert_true(a->port > 0);
    a->conn.fd = -1;
    /* the token's first use stamps last_used_at: do it now, not inside a
     * case that checks that a failed request changed nothing */
    tu_http_resp r;
    assert_true(tu_http_do(a->port, "GET", "/api/v1/settings", NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    tu_http_resp_release(&r);
    return a;
}

static int setup(void **state)
{
    *state = env_start("api", 4, 0);
    return 0;
}

static int teardown(void **state)
{
    api_env *a = *state;
    tu_http_close(&a->conn);
    rv_api_stop(a->srv);
    tu_env_free(a->t);
    rv_now_set(0);
    free(a);
    return 0;
}

/* One request on the env's keep-alive connection.  ctype "-" sends no
 * Content-Type; NULL sends application/json when there is a body. */
static void call(api_env *a, const char *method, const char *path, const char *ctype,
                 const char *body, tu_http_resp *r)
{
    if (a->conn.fd < 0 && !tu_http_connect(&a->conn, a->port))
        fail_msg("connect to port %d failed", a->port);
    if (!ctype && body)
        ctype = "application/json";
    if (ctype && !strcmp(ctype, "-"))
        ctype = NULL;
    if (!tu_http_request(&a->conn, method, path, ctype, body, r))
        fail_msg("%s %s: no response", method, path);
    if (r->closed)
        tu_http_close(&a->conn);
}

/* --- checking JSON --------------------------------------------------------- */

/* Every member of want is in got with the same value (arrays: same length,
 * element by element).  Numbers compare by value (100 == 100.00). */
static bool json_like(json_t *want, json_t *got, char *where, size_t cap)
{
    if (json_is_number(want) && json_is_number(got))
        return json_number_value(want) == json_number_value(got);
    if (json_is_object(want)) {
        if (!json_is_object(got))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v)
        {
            json_t *g = json_object_get(got, k);
            if (!g || !json_like(v, g, where, cap)) {
                size_t n = strlen(where);
                snprintf(where + n, cap - n, "%s<-%s", n ? " " : "", k);
                return false;
            }
        }
        return true;
    }
    if (json_is_array(want)) {
        if (!json_is_array(got) || json_array_size(want) != json_array_size(got))
            return false;
        for (size_t i = 0; i < json_array_size(want); i++)
            if (!json_like(json_array_get(want, i), json_array_get(got, i), where, cap)) {
                size_t n = strlen(where);
                snprintf(where + n, cap - n, " <-[%zu]", i);
                return false;
            }
        return true;
    }
    return json_equal(want, got);
}

static void assert_like(const char *want_text, const char *got_text)
{
    json_error_t je;
    json_t *want = json_loads(want_text, 0, &je);
    if (!want)
        fail_msg("bad expected JSON %s: %s", want_text, je.text);
    json_t *got = json_loads(got_text, 0, &je);
    if (!got)
        fail_msg("response is not JSON (%s): %s", je.text, got_text);
    char where[256] = "";
    bool ok = json_like(want, got, where, sizeof where);
    json_decref(want);
    json_decref(got);
    if (!ok)
        fail_msg("response differs at %s\n  want (subset): %s\n  got: %s", where, want_text,
                 got_text);
}

/* --- a failed request changes nothing ------------------------------------- */

#define MAX_ENT 64
typedef struct snapshot {
    int64_t count[MAX_ENT], stamp[MAX_ENT];
} snapshot;

static void take_snapshot(tu_env *t, snapshot *s)
{
    for (int k = 0; rv_entities[k]; k++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", rv_entities[k]->name);
        s->count[k] = tu_sql_int(t, sql);
        snprintf(sql, sizeof sql, "SELECT coalesce(sum(updated_at), 0) FROM %s",
                 rv_entities[k]->name);
        s->stamp[k] = tu_sql_int(t, sql);
    }
}

static void assert_unchanged(tu_env *t, const snapshot *before, const char *what)
{
    snapshot after;
    take_snapshot(t, &after);
    for (int k = 0; rv_entities[k]; k++)
        if (before->count[k] != after.count[k] || before->stamp[k] != after.stamp[k])
            fail_msg("%s changed %s: %lld rows -> %lld", what, rv_entities[k]->name,
                     (long long)before->count[k], (long long)after.count[k]);
}

/* --- data-driven cases ---------------------------------------------------- */

typedef struct api_case {
    const char *method, *path, *ctype, *body;
    int status;
    const char *want; /* the exact body, or NULL */
    const char *like; /* members the JSON body must have, or NULL */
    const char *text; /* a substring of the raw body (exact number text), or NULL */
} api_case;

static void run_cases(api_env *a, const api_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const api_case *c = &cases[i];
        snapshot before;
        bool write = strcmp(c->method, "GET") != 0;
        if (write && c->status >= 400)
            take_snapshot(a->t, &before);
        tu_http_resp r;
        call(a, c->method, c->path, c->ctype, c->body, &r);
        if (r.status != c->status)
            fail_msg("case %zu: %s %s %s: status %d, want %d; body: %s", i, c->method, c->path,
                     c->body ? c->body : "", r.status, c->status, r.body);
        if (c->want && strcmp(r.body, c->want) != 0)
            fail_msg("case %zu: %s %s: body\n  got:  %s\n  want: %s", i, c->method, c->path, r.body,
                     c->want);
        if (c->like)
            assert_like(c->like, r.body);
        if (c->text && !strstr(r.body, c->text))
            fail_msg("case %zu: %s %s: body lacks %s: %s", i, c->method, c->path, c->text, r.body);
        char ct[128];
        if (c->status != 204) {
            if (!tu_http_header(&r, "Content-Type", ct, sizeof ct) ||
                strcmp(ct, "application/json; charset=utf-8") != 0)
                fail_msg("case %zu: %s %s: Content-Type '%s'", i, c->method, c->path,
                         tu_http_header(&r, "Content-Type", ct, sizeof ct) ? ct : "(none)");
        }
        tu_http_resp_release(&r);
        if (write && c->status >= 400) {
            char what[300];
            snprintf(what, sizeof what, "case %zu (%s %s, refused with %d)", i, c->method, c->path,
                     c->status);
            assert_unchanged(a->t, &before, what);
        }
    }
}

// clang-format off: the case tables read best one request per row
#define T NOW_TEXT
#define ACME                                                                                       \
    "{\"id\":1,\"external_id\":null,\"name\":\"Acme\",\"domain\":\"acme.com\",\"industry\":null,"  \
    "\"employees\":120,\"annual_revenue\":2500000.00,\"currency\":\"USD\",\"phone\":null,"         \
    "\"city\":null,\"postcode\":null,\"country\":null,\"region\":null,\"year_founded\":null,"      \
    "\"owner_id\":null,\"parent_id\":null,\"territory\":null,\"created_on\":null,"                 \
    "\"custom\":null,\"domain_key\":\"acme.com\",\"name_key\":\"acme\",\"acronym_key\":null,"  \
    "\"phone_key\":null,\"postcode_key\":null,\"created_at\":\"" T "\",\"updated_at\":\"" T "\"}"
#define ERR(code, msg, field)                                                                      \
    "{\"error\":{\"code\":\"" code "\",\"message\":\"" msg "\",\"field\":" field "}}"

static const api_case crud_cases[] = {
    /* service routes */
    {"GET", "/healthz", NULL, NULL, 200, "{\"status\":\"ok\"}", NULL, NULL},
    /* accounts: create, get, list, patch, delete */
    {"POST", "/api/v1/accounts", NULL,
     "{\"name\":\"Acme\",\"domain\":\"acme.com\",\"employees\":120,\"annual_revenue\":\"2500000."
     "00\"}",
     201, ACME, NULL, NULL},
    {"GET", "/api/v1/accounts/1", NULL, NULL, 200, ACME, NULL, NULL},
    {"POST", "/api/v1/accounts", "application/json; charset=utf-8",
     "{\"name\":\"Globex\",\"external_id\":\"0015g000\"}", 201, NULL,
     "{\"id\":2,\"name\":\"Globex\",\"external_id\":\"0015g000\",\"annual_revenue\":null}", NULL},
    {"GET", "/api/v1/accounts", NULL, NULL, 200, NULL,
     "{\"data\":[{\"id\":1},{\"id\":2,\"name\":\"Globex\"}],\"next_cursor\":null}",
     "{\"data\":[" ACME ",{\"id\":2,"},
    {"GET", "/api/v1/accounts?sort=-id", NULL, NULL, 200, NULL,
     "{\"data\":[{\"id\":2},{\"id\":1}],\"next_cursor\":null}", NULL},
    {"PATCH", "/api/v1/accounts/1", NULL, "{\"industry\":\"Manufacturing\",\"employees\":150}", 200,
     NULL, "{\"id\":1,\"name\":\"Acme\",\"industry\":\"Manufacturing\",\"employees\":150}", NULL},
    {"PATCH", "/api/v1/accounts/1", NULL, "{\"employees\":-1}", 400,
     ERR("invalid", "employees must be between 0 and 100000000, got '-1'", "\"employees\""), NULL,
     NULL},
    {"PATCH", "/api/v1/accounts/99", NULL, "{\"employees\":1}", 404,
     ERR("not_found", "account 99 not found", "\"id\""), NULL, NULL},
    {"DELETE", "/api/v1/accounts/2", NULL, NULL, 204, "", NULL, NULL},
    {"GET", "/api/v1/accounts/2", NULL, NULL, 404,
     ERR("not_found", "account 2 not found", "\"id\""), NULL, NULL},
    {"DELETE", "/api/v1/accounts/2", NULL, NULL, 404,
     ERR("not_found", "account 2 not found", "\"id\""), NULL, NULL},
    /* deals: create, the stage's exit criteria, patch, get */
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"Big\",\"account_id\":\"Acme\",\"stage_id\":\"Prospecting\"}", 201, NULL,
     "{\"id\":1,\"name\":\"Big\",\"account_id\":1,\"pipeline_id\":1,\"stage_id\":1,"
     "\"amount\":null,\"currency\":\"USD\",\"type\":\"new\",\"forecast_category\":\"pipeline\","
     "\"probability\":10,\"created_at\":\"" T "\"}",
     NULL},
    {"PATCH", "/api/v1/deals/1", NULL, "{\"stage_id\":\"Proposal\"}", 422,
     ERR("rule_violation",
         "cannot move deal 1 to stage 'Proposal': missing amount, close_date (the stage's exit "
         "criteria)",
         "\"amount\""),
     NULL, NULL},
    {"PATCH", "/api/v1/deals/1", NULL, "{\"stage_id\":\"Proposal\",\"amount\":50}", 422,
     ERR("rule_violation",
         "cannot move deal 1 to stage 'Proposal': missing close_date (the stage's exit criteria)",
         "\"close_date\""),
     NULL, NULL},
    {"PATCH", "/api/v1/deals/1", NULL,
     "{\"stage_id\":\"Proposal\",\"amount\":\"5000.50\",\"close_date\":\"2024-03-31\"}", 200, NULL,
     "{\"id\":1,\"stage_id\":2,\"amount\":5000.5,\"close_date\":\"2024-03-31\","
     "\"probability\":60,\"forecast_category\":\"best_case\"}",
     "\"amount\":5000.50,"},
    {"GET", "/api/v1/deals/1", NULL, NULL, 200, NULL,
     "{\"id\":1,\"name\":\"Big\",\"stage_id\":2,\"amount\":5000.5,\"close_date\":\"2024-03-31\"}",
     "\"amount\":5000.50,"},
    /* field errors: nothing is written */
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"colour\":\"red\"}", 400,
     ERR("unknown_field", "deals has no field 'colour'", "\"colour\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"amount\":-5}",
     400, ERR("invalid", "amount must be >= 0, got '-5'", "\"amount\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"amount\":\"-5.00\"}", 400,
     ERR("invalid", "amount must be >= 0, got '-5.00'", "\"amount\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"amount\":true}",
     400, ERR("invalid", "amount must be an amount, got a boolean", "\"amount\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"probability\":\"high\"}", 400,
     ERR("invalid", "probability must be an integer, got a string", "\"probability\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":7,\"stage_id\":\"Prospecting\"}", 400,
     ERR("invalid", "name must be a string, got an integer", "\"name\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"close_date\":\"2024-02-30\"}", 400,
     ERR("invalid", "close_date is not a real date, got '2024-02-30'", "\"close_date\""), NULL,
     NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"type\":\"big\"}", 400,
     ERR("invalid", "type must be one of new, expansion, renewal; got 'big'", "\"type\""), NULL,
     NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"account_id\":\"nope\"}", 422,
     ERR("bad_reference", "account_id: no account with external id or name 'nope'",
         "\"account_id\""),
     NULL, NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":\"Prospecting\",\"account_id\":4242}", 422,
     ERR("bad_reference", "account_id: account 4242 does not exist", "\"account_id\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"X\",\"stage_id\":\"Closing\"}", 422,
     ERR("bad_reference", "stage_id: no stage 'Closing' in pipeline 1", "\"stage_id\""), NULL,
     NULL},
    {"POST", "/api/v1/deals", NULL, "{\"stage_id\":\"Prospecting\"}", 400,
     ERR("invalid", "name is required", "\"name\""), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"id\":7,\"name\":\"X\",\"stage_id\":\"Prospecting\"}", 400,
     ERR("invalid", "id is set by revos and cannot be written", "\"id\""), NULL, NULL},
    {"PATCH", "/api/v1/deals/1", NULL, "{\"amount\":\"12.345\"}", 400,
     ERR("invalid", "amount must have at most 2 decimal places, got '12.345'", "\"amount\""), NULL,
     NULL},
    /* bodies: malformed, not an object, not UTF-8, empty, wrong media type */
    {"POST", "/api/v1/deals", NULL, "{\"name\": }", 400,
     ERR("malformed", "malformed JSON at line 1, column 10: unexpected token near '}'", "null"),
     NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"X\",\n\"stage_id\":\"Prospecting\",}", 400,
     ERR("malformed", "malformed JSON at line 2, column 26: string or '}' expected near '}'",
         "null"),
     NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"a\",\"name\":\"b\"}", 400,
     ERR("malformed",
         "malformed JSON at line 1, column 18: duplicate object key near '\\\"name\\\"'", "null"),
     NULL, NULL},
    {"POST", "/api/v1/deals", NULL,
     "{\"name\":\"X\",\"stage_id\":1,\"amount\":123456789012345678901}", 400, NULL,
     "{\"error\":{\"code\":\"malformed\",\"field\":null}}", "too big integer"},
    {"POST", "/api/v1/deals", NULL, "[1,2]", 400,
     ERR("invalid", "request body must be a JSON object, got an array", "null"), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"caf\xc3\xa9 \xff\",\"stage_id\":1}", 400,
     ERR("invalid", "request body is not valid UTF-8 (byte 16)", "null"), NULL, NULL},
    {"POST", "/api/v1/deals", NULL, "{\"name\":\"\xed\xa0\x80\",\"stage_id\":1}", 400,
     ERR("invalid", "request body is not valid UTF-8 (byte 10)", "null"), NULL, NULL},
    {"POST", "/api/v1/deals", "application/json", "", 400,
     ERR("invalid", "request body is empty; send a JSON object", "null"), NULL, NULL},
    {"POST", "/api/v1/deals", "text/plain", "{\"name\":\"X\",\"stage_id\":1}", 415,
     ERR("unsupported_media_type", "Content-Type must be application/json, got 'text/plain'", "null"), NULL, NULL},
    {"PATCH", "/api/v1/deals/1", "application/x-www-form-urlencoded", "name=Y", 415,
     ERR("unsupported_media_type",
         "Content-Type must be application/json, got 'application/x-www-form-urlencoded'", "null"),
     NULL, NULL},
    {"POST", "/api/v1/deals", "-", "{\"name\":\"X\",\"stage_id\":1}", 415,
     ERR("unsupported_media_type", "Content-Type must be application/json, got none", "null"), NULL, NULL},
    {"POST", "/api/v1/deals", "application/json; charset=latin1", "{\"name\":\"X\",\"stage_id\":1}",
     415,
     ERR("unsupported_media_type", "Content-Type must be application/json, got 'application/json; charset=latin1'",
         "null"),
     NULL, NULL},
    /* paths and methods */
    {"GET", "/api/v1/widgets", NULL, NULL, 404,
     ERR("not_found", "no such path '/api/v1/widgets' (see /api/v1/openapi.json)", "null"), NULL,
     NULL},
    {"GET", "/api/v1/deals/1/history", NULL, NULL, 404,
     ERR("not_found", "no such path '/api/v1/deals/1/history' (see /api/v1/openapi.json)", "null"),
     NULL, NULL},
    {"GET", "/api/v1/deals/", NULL, NULL, 404,
     ERR("not_found", "no such path '/api/v1/deals/' (see /api/v1/openapi.json)", "null"), NULL,
     NULL},
    {"PUT", "/api/v1/deals/1", NULL, "{\"name\":\"Y\"}", 405,
     ERR("method_not_allowed",
         "PUT is not allowed on '/api/v1/deals/1' (allowed: GET, PATCH, DELETE)", "null"),
     NULL, NULL},
    {"POST", "/api/v1/events", NULL, "{\"entity\":\"deals\"}", 405,
     ERR("method_not_allowed", "POST is not allowed on '/api/v1/events' (allowed: GET)", "null"),
     NULL, NULL},
    {"DELETE", "/api/v1/stage_history/1", NULL, NULL, 405,
     ERR("method_not_allowed", "DELETE is not allowed on '/api/v1/stage_history/1' (allowed: GET)",
         "null"),
     NULL, NULL},
    {"DELETE", "/healthz", NULL, NULL, 405,
     ERR("method_not_allowed", "DELETE is not allowed on '/healthz' (allowed: GET)", "null"), NULL,
     NULL},
    {"GET", "/api/v1/deals/abc", NULL, NULL, 400,
     ERR("invalid", "id must be a positive integer, got 'abc'", "\"id\""), NULL, NULL},
    {"DELETE", "/api/v1/deals/0", NULL, NULL, 400,
     ERR("invalid", "id must be a positive integer, got '0'", "\"id\""), NULL, NULL},
    {"GET", "/api/v1/deals/99999999999999999999", NULL, NULL, 400,
     ERR("invalid", "id must be a positive integer, got '99999999999999999999'", "\"id\""), NULL,
     NULL},
    /* rules the service enforces */
    {"DELETE", "/api/v1/accounts/1", NULL, NULL, 409,
     ERR("conflict",
         "account 1 is still referenced by 1 deal (account_id); delete or reassign them first",
         "\"id\""),
     NULL, NULL},
    {"POST", "/api/v1/pipelines", NULL, "{\"name\":\"Sales\"}", 409,
     ERR("conflict", "another pipeline already has name 'Sales'", "\"name\""), NULL, NULL},
    {"POST", "/api/v1/stage_history", NULL, "{\"deal_id\":1}", 400,
     ERR("invalid", "to_stage_id is required", "\"to_stage_id\""), NULL, NULL},
    /* and the deal goes */
    {"DELETE", "/api/v1/deals/1", NULL, NULL, 204, "", NULL, NULL},
    {"GET", "/api/v1/deals/1", NULL, NULL, 404, ERR("not_found", "deal 1 not found", "\"id\""),
     NULL, NULL},
    {"DELETE", "/api/v1/accounts/1", NULL, NULL, 204, "", NULL, NULL},
};

// clang-format on

static void crud_and_errors(void **state)
{
    api_env *a = *state;
    run_cases(a, crud_cases, sizeof crud_cases / sizeof crud_cases[0]);
    /* what the successful cases wrote, counted independently */
    assert_int_equal(tu_count(a->t, "accounts"), 0);
    assert_int_equal(tu_count(a->t, "deals"), 0);
    /* 2 account creates, 1 patch, 2 deletes; 1 deal create, 1 patch that
     * also changed the stage (updated + stage_changed), 1 delete */
    assert_int_equal(tu_sql_int(a->t, "SELECT count(*) FROM events WHERE entity='accounts'"), 5);
    assert_int_equal(tu_sql_int(a->t, "SELECT count(*) FROM events WHERE entity='deals'"), 4);
    assert_int_equal(tu_sql_int(a->t, "SELECT count(*) FROM events WHERE entity='deals' AND "
                                      "kind='stage_changed'"),
                     1);
}

static void created_record_headers(void **state)
{
    api_env *a = *state;
    tu_http_resp r;
    call(a, "POST", "/api/v1/accounts", NULL, "{\"name\":\"Initech\"}", &r);
    assert_int_equal(r.status, 201);
    char v[128];
    assert_non_null(tu_http_header(&r, "Location", v, sizeof v));
    assert_string_equal(v, "/api/v1/accounts/1");
    tu_http_resp_release(&r);
    call(a, "PUT", "/api/v1/accounts/1", NULL, "{}", &r);
    assert_int_equal(r.status, 405);
    assert_non_null(tu_http_header(&r, "Allow", v, sizeof v));
    assert_string_equal(v, "GET, PATCH, DELETE");
    tu_http_resp_release(&r);
    call(a, "PUT", "/api/v1/accounts", NULL, "{}", &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(tu_http_header(&r, "Allow", v, sizeof v), "GET, POST");
    tu_http_resp_release(&r);
    /* a refused body leaves the connection open */
    call(a, "POST", "/api/v1/accounts", "text/plain", "{\"name\":\"Plain\"}", &r);
    assert_int_equal(r.status, 415);
    assert_false(r.closed);
    tu_http_resp_release(&r);
    /* the front page counts records (one account so far) */
    call(a, "GET", "/", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(tu_http_header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "<a href=\"/api/v1/accounts\">accounts</a></td><td class=n>1<"));
    assert_non_null(strstr(r.body, "<a href=\"/api/v1/deals\">deals</a></td><td class=n>0<"));
    tu_http_resp_release(&r);
    call(a, "DELETE", "/api/v1/accounts/1", NULL, NULL, &r);
    assert_int_equal(r.status, 204);
    assert_null(tu_http_header(&r, "Content-Type", v, sizeof v));
    assert_int_equal(r.body_len, 0);
    tu_http_resp_release(&r);
}

/* --- lists ---------------------------------------------------------------- */

/* ids of a list response's data, and its next_cursor (or "") */
static int page_ids(const char *body, int64_t *ids, int max, char *cursor, size_t cap)
{
    json_t *j = json_loads(body, 0, NULL);
    if (!j)
        fail_msg("list response is not JSON: %s", body);
    json_t *data = json_object_get(j, "data");
    assert_true(json_is_array(data));
    int n = 0;
    for (size_t i = 0; i < json_array_size(data) && n < max; i++)
        ids[n++] = json_integer_value(json_object_get(json_array_get(data, i), "id"));
    json_t *nc = json_object_get(j, "next_cursor");
    assert_non_null(nc);
    snprintf(cursor, cap, "%s", json_is_string(nc) ? json_string_value(nc) : "");
    json_decref(j);
    return n;
}

static void seed_deals(api_env *a, int n)
{
    /* amounts (i % 7) * 100 + 100, every third in Proposal, close dates in January */
    for (int i = 1; i <= n; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"name\":\"deal %02d\",\"stage_id\":\"%s\",\"amount\":%d,"
                 "\"close_date\":\"2024-01-%02d\"}",
                 i, i % 3 == 0 ? "Proposal" : "Prospecting", (i % 7) * 100 + 100, (i - 1) % 28 + 1);
        tu_http_resp r;
        call(a, "POST", "/api/v1/deals", NULL, body, &r);
        if (r.status != 201)
            fail_msg("seed deal %d: %d %s", i, r.status, r.body);
        tu_http_resp_release(&r);
    }
}

static void list_filters_sort_and_pages(void **state)
{
    api_env *a = *state;
    seed_deals(a, 25);
    /* every page of amount >= 400 by amount descending, 4 at a time */
    int64_t ids[100];
    int n = 0, pages = 0;
    char cursor[256] = "", enc[512], path[1024];
    do {
        snprintf(path, sizeof path,
                 "/api/v1/deals?filter=amount%%3E%%3D400&sort=-amount&limit=4%s%s",
                 cursor[0] ? "&cursor=" : "",
                 cursor[0] ? tu_http_urlencode(cursor, enc, sizeof enc) : "");
        tu_http_resp r;
        call(a, "GET", path, NULL, NULL, &r);
        if (r.status != 200)
            fail_msg("%s: %d %s", path, r.status, r.body);
        int k = page_ids(r.body, ids + n, 100 - n, cursor, sizeof cursor);
        assert_true(k <= 4);
        n += k;
        pages++;
        tu_http_resp_release(&r);
    } while (cursor[0] && pages < 50);
    int64_t want = tu_sql_int(a->t, "SELECT count(*) FROM deals WHERE amount >= 40000");
    assert_int_equal(n, want);
    assert_int_equal(pages, (want + 3) / 4);
    for (int i = 0; i < n; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT id FROM deals WHERE amount >= 40000 ORDER BY amount DESC, id DESC "
                 "LIMIT 1 OFFSET %d",
                 i);
        assert_int_equal(ids[i], tu_sql_int(a->t, sql));
    }

    /* the operators as curl sends them (not percent-encoded), the FIELD=value
     * shorthand and a reference by name */
    struct {
        const char *query, *sql;
    } lists[] = {
        {"filter=amount>=400&limit=100", "amount >= 40000"},
        {"filter=amount<300&filter=close_date>=2024-01-10&limit=100",
         "amount < 30000 AND close_date >= 19732"},
        {"stage_id=Proposal&limit=100", "stage_id = 2"},
        {"stage_id=2&filter=name~DEAL%201&limit=100", "stage_id = 2 AND name LIKE '%deal 1%'"},
        {"filter=lost_reason=&limit=100", "lost_reason IS NULL"},
        {"filter=amount!=200&limit=100", "amount != 20000"},
        {"name=deal%2007", "name = 'deal 07'"},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        snprintf(path, sizeof path, "/api/v1/deals?%s", lists[i].query);
        tu_http_resp r;
        call(a, "GET", path, NULL, NULL, &r);
        if (r.status != 200)
            fail_msg("%s: %d %s", path, r.status, r.body);
        int k = page_ids(r.body, ids, 100, cursor, sizeof cursor);
        char sql[300];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM deals WHERE %s", lists[i].sql);
        int64_t w = tu_sql_int(a->t, sql);
        if (k != w)
            fail_msg("%s: %d rows, SQL (%s) says %lld", path, k, lists[i].sql, (long long)w);
        assert_true(k > 0);
        for (int m = 0; m < k; m++) { /* ascending id by default */
            snprintf(sql, sizeof sql, "SELECT id FROM deals WHERE %s ORDER BY id LIMIT 1 OFFSET %d",
                     lists[i].sql, m);
            assert_int_equal(ids[m], tu_sql_int(a->t, sql));
        }
        assert_string_equal(cursor, "");
        tu_http_resp_release(&r);
    }
    /* the default page is 50 */
    seed_deals(a, 30);
    tu_http_resp r;
    call(a, "GET", "/api/v1/deals", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_ids(r.body, ids, 100, cursor, sizeof cursor), 50);
    assert_true(cursor[0] != '\0');
    tu_http_resp_release(&r);

    // clang-format off
    static const api_case bad[] = {
        {"GET", "/api/v1/deals?filter=colour=red", NULL, NULL, 400,
         ERR("unknown_field", "filter: deals has no field 'colour'", "\"filter\""), NULL, NULL},
        {"GET", "/api/v1/deals?colour=red", NULL, NULL, 400,
         ERR("unknown_field", "filter: deals has no field 'colour'", "\"filter\""), NULL, NULL},
        {"GET", "/api/v1/deals?filter=amount>=lots", NULL, NULL, 400,
         ERR("invalid", "filter: amount must be a decimal amount, got 'lots'", "\"amount\""), NULL,
         NULL},
        {"GET", "/api/v1/deals?filter=amount", NULL, NULL, 400,
         ERR("invalid", "filter must look like field=value (or != < <= > >= ~), got 'amount'",
             "\"filter\""),
         NULL, NULL},
        {"GET", "/api/v1/deals?filter=close_date<2024-02-30", NULL, NULL, 400,
         ERR("invalid", "filter: close_date is not a real date, got '2024-02-30'", "\"close_date\""),
         NULL, NULL},
        {"GET", "/api/v1/deals?account_id=nope", NULL, NULL, 422,
         ERR("bad_reference", "filter: account_id: no account with external id or name 'nope'",
             "\"account_id\""),
         NULL, NULL},
        {"GET", "/api/v1/deals?sort=colour", NULL, NULL, 400,
         ERR("unknown_field", "sort: deals has no field 'colour'", "\"sort\""), NULL, NULL},
        {"GET", "/api/v1/deals?sort=custom", NULL, NULL, 400,
         ERR("invalid", "sort: cannot sort by custom", "\"sort\""), NULL, NULL},
        {"GET", "/api/v1/deals?sort=id&sort=amount", NULL, NULL, 400,
         ERR("invalid", "sort is given more than once", "\"sort\""), NULL, NULL},
        {"GET", "/api/v1/reports/nope", NULL, NULL, 404,
         ERR("not_found", "no metric called 'nope' ('revos report list' shows them)", "\"metric\""),
         NULL, NULL},
        {"GET", "/api/v1/reports/win_rate?by=owner&by=stage", NULL, NULL, 400,
         ERR("invalid", "by is given more than once", "\"by\""), NULL, NULL},
        {"GET", "/api/v1/reports/win_rate?by=colour", NULL, NULL, 400,
         ERR("invalid", "no dimension called 'colour'", "\"by\""), NULL, NULL},
        {"GET", "/api/v1/reports/activities/records", NULL, NULL, 400,
         ERR("invalid", "activities has no records to list", "\"metric\""), NULL, NULL},
        {"GET", "/api/v1/reports/win_rate/records?limit=0", NULL, NULL, 400,
         ERR("invalid", "limit must be between 1 and 10000, got '0'", "\"limit\""), NULL, NULL},
        {"GET", "/api/v1/deals?limit=0", NULL, NULL, 400,
         ERR("invalid", "limit must be between 1 and 1000, got '0'", "\"limit\""), NULL, NULL},
        {"GET", "/api/v1/deals?limit=1001", NULL, NULL, 400,
         ERR("invalid", "limit must be between 1 and 1000, got '1001'", "\"limit\""), NULL, NULL},
        {"GET", "/api/v1/deals?limit=ten", NULL, NULL, 400,
         ERR("invalid", "limit must be between 1 and 1000, got 'ten'", "\"limit\""), NULL, NULL},
        {"GET", "/api/v1/deals?cursor=garbage!", NULL, NULL, 400,
         ERR("invalid",
             "cursor is not valid for this list (it must come from the same sort), got 'garbage!'",
             "\"cursor\""),
         NULL, NULL},
    };
    // clang-format on
    run_cases(a, bad, sizeof bad / sizeof bad[0]);
    /* a cursor of one sort is refused by another */
    call(a, "GET", "/api/v1/deals?sort=-amount&limit=2", NULL, NULL, &r);
    page_ids(r.body, ids, 100, cursor, sizeof cursor);
    tu_http_resp_release(&r);
    snprintf(path, sizeof path, "/api/v1/deals?sort=name&cursor=%s",
             tu_http_urlencode(cursor, enc, sizeof enc));
    call(a, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "cursor is not valid for this list"));
    tu_http_resp_release(&r);
    /* 17 filters: one too many */
    char many[2048] = "/api/v1/deals?";
    for (int i = 0; i < 17; i++)
        strcat(many, "filter=amount>=1&");
    call(a, "GET", many, NULL, NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, ERR("invalid", "at most 16 filters", "\"filter\""));
    tu_http_resp_release(&r);
}

/* --- bodies over the limit ------------------------------------------------ */

static char *big_body(size_t size)
{
    /* {"name":"xxx...x","stage_id":1} of exactly size bytes */
    const char *head = "{\"name\":\"", *tail = "\",\"stage_id\":1}";
    char *b = malloc(size + 1);
    size_t h = strlen(head), t = strlen(tail);
    memcpy(b, head, h);
    memset(b + h, 'x', size - h - t);
    memcpy(b + size - t, tail, t);
    b[size] = '\0';
    return b;
}

static void oversized_body(void **state)
{
    api_env *a = *state;
    snapshot before;
    take_snapshot(a->t, &before);
    size_t limit = (size_t)1 << 20;
    char *body = big_body(limit + 1);
    /* with a Content-Length: refused, the body read and dropped, and the
     * connection kept */
    tu_http c;
    tu_http_resp r;
    assert_true(tu_http_connect(&c, a->port));
    assert_true(tu_http_send(&c, "POST", "/api/v1/deals", "application/json", body, limit + 1, NULL,
                             false));
    assert_true(tu_http_recv(&c, &r, false));
    assert_int_equal(r.status, 413);
    assert_string_equal(r.body, ERR("too_large",
                                    "request body is larger than the limit of 1048576 bytes "
                                    "(Content-Length 1048577)",
                                    "null"));
    assert_false(r.closed);
    tu_http_resp_release(&r);
    /* chunked: no length to refuse early; refused at the end */
    assert_true(
        tu_http_send(&c, "POST", "/api/v1/deals", "application/json", body, limit + 1, NULL, true));
    assert_true(tu_http_recv(&c, &r, false));
    assert_int_equal(r.status, 413);
    assert_string_equal(
        r.body, ERR("too_large", "request body is larger than the limit of 1048576 bytes", "null"));
    assert_false(r.closed);
    tu_http_resp_release(&r);
    assert_true(tu_http_request(&c, "GET", "/healthz", NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    tu_http_resp_release(&r);
    tu_http_close(&c);
    /* a client that waits for "100 Continue" is answered before it sends
     * the body; so is one that announces more than is worth reading */
    const char *heads[] = {"Content-Length: 1048577\r\nExpect: 100-continue\r\n",
                           "Content-Length: 104857600\r\n"};
    for (int i = 0; i < 2; i++) {
        assert_true(tu_http_connect(&c, a->port));
        assert_true(tu_http_send(&c, "POST", "/api/v1/deals", "application/json", NULL, 0, heads[i],
                                 false));
        if (i == 1) /* the first bytes of the body; the rest never comes */
            assert_true(send(c.fd, body, 4096, MSG_NOSIGNAL) == 4096);
        assert_true(tu_http_recv(&c, &r, false));
        assert_int_equal(r.status, 413);
        assert_non_null(strstr(r.body, "request body is larger than the limit of 1048576 bytes"));
        assert_true(r.closed);
        tu_http_resp_release(&r);
        tu_http_close(&c);
    }
    assert_unchanged(a->t, &before, "oversized bodies");
    /* exactly at the limit: read and judged by the service */
    free(body);
    body = big_body(limit);
    tu_http_resp r2;
    call(a, "POST", "/api/v1/deals", NULL, body, &r2);
    assert_int_equal(r2.status, 400);
    assert_string_equal(r2.body,
                        ERR("invalid", "name is longer than 255 bytes (1048552)", "\"name\""));
    tu_http_resp_release(&r2);
    free(body);
    assert_unchanged(a->t, &before, "a body at the limit with a bad field");
}

static void smaller_limit(void **state)
{
    (void)state;
    api_env *a = env_start("api-limit", 1, 64);
    tu_http_resp r;
    call(a, "POST", "/api/v1/accounts", NULL, "{\"name\":\"Small\"}", &r);
    assert_int_equal(r.status, 201);
    tu_http_resp_release(&r);
    call(a, "POST", "/api/v1/accounts", NULL,
         "{\"name\":\"A name that makes this body longer than sixty-four bytes\"}", &r);
    assert_int_equal(r.status, 413);
    assert_string_equal(r.body, ERR("too_large",
                                    "request body is larger than the limit of 64 bytes "
                                    "(Content-Length 67)",
                                    "null"));
    tu_http_resp_release(&r);
    assert_int_equal(tu_count(a->t, "accounts"), 1);
    void *s = a;
    teardown(&s);
}

/* --- connections ------------------------------------------------------------ */

static void keep_alive_and_pipelining(void **state)
{
    api_env *a = *state;
    tu_http c;
    assert_true(tu_http_connect(&c, a->port));
    tu_http_resp r;
    char v[64];
    const char *paths[] = {"/healthz", "/api/v1/deals", "/api/v1/deals/1", "/nope"};
    for (int i = 0; i < 4; i++) {
        assert_true(tu_http_request(&c, "GET", paths[i], NULL, NULL, &r));
        assert_int_equal(r.status, i < 1 || i == 1 ? 200 : 404);
        assert_false(r.closed);
        const char *conn = tu_http_header(&r, "Connection", v, sizeof v);
        assert_true(!conn || strcasecmp(conn, "close") != 0);
        tu_http_resp_release(&r);
    }
    /* a write and a read on the same connection */
    assert_true(tu_http_request(&c, "POST", "/api/v1/accounts", "application/json",
                                "{\"name\":\"Kept\"}", &r));
    assert_int_equal(r.status, 201);
    assert_false(r.closed);
    tu_http_resp_release(&r);
    /* three requests sent at once, three answers in order */
    assert_true(tu_http_send(&c, "GET", "/api/v1/accounts/1", NULL, NULL, 0, NULL, false));
    assert_true(tu_http_send(&c, "GET", "/healthz", NULL, NULL, 0, NULL, false));
    assert_true(tu_http_send(&c, "GET", "/api/v1/accounts/2", NULL, NULL, 0, NULL, false));
    assert_true(tu_http_recv(&c, &r, false));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"name\":\"Kept\""));
    tu_http_resp_release(&r);
    assert_true(tu_http_recv(&c, &r, false));
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    tu_http_resp_release(&r);
    assert_true(tu_http_recv(&c, &r, false));
    assert_int_equal(r.status, 404);
    tu_http_resp_release(&r);
    /* HEAD is answered like GET, without a body */
    assert_true(tu_http_send(&c, "HEAD", "/api/v1/accounts/1", NULL, NULL, 0, NULL, false));
    assert_true(tu_http_recv(&c, &r, true));
    assert_int_equal(r.status, 200);
    tu_http_resp_release(&r);
    assert_true(tu_http_request(&c, "GET", "/healthz", NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    tu_http_resp_release(&r);
    tu_http_close(&c);
}

typedef struct reader_arg {
    int port, id, n, ok;
    char first_failure[256];
} reader_arg;

static void *reader(void *p)
{
    reader_arg *ra = p;
    tu_http c;
    if (!tu_http_connect(&c, ra->port))
        return NULL;
    for (int i = 0; i < ra->n; i++) {
        char path[128];
        if (i % 4 == 3)
            snprintf(path, sizeof path,
                     "/api/v1/deals?filter=amount%%3E%%3D300&sort=-amount&limit=5");
        else
            snprintf(path, sizeof path, "/api/v1/deals/%d", (ra->id * 7 + i) % 20 + 1);
        tu_http_resp r;
        if (!tu_http_request(&c, "GET", path, NULL, NULL, &r)) {
            snprintf(ra->first_failure, sizeof ra->first_failure, "%s: no response", path);
            tu_http_close(&c);
            if (!tu_http_connect(&c, ra->port))
                break;
            continue;
        }
        if (r.status == 200 && strstr(r.body, "\"id\":"))
            ra->ok++;
        else if (!ra->first_failure[0])
            snprintf(ra->first_failure, sizeof ra->first_failure, "%s: %d %.150s", path, r.status,
                     r.body);
        if (r.closed) {
            tu_http_close(&c);
            tu_http_connect(&c, ra->port);
        }
        tu_http_resp_release(&r);
    }
    tu_http_close(&c);
    return NULL;
}

static void *writer(void *p)
{
    reader_arg *ra = p;
    tu_http c;
    if (!tu_http_connect(&c, ra->port))
        return NULL;
    for (int i = 0; i < ra->n; i++) {
        char path[64], body[64];
        snprintf(path, sizeof path, "/api/v1/deals/%d", i % 20 + 1);
        snprintf(body, sizeof body, "{\"next_step\":\"step %d\"}", i);
        tu_http_resp r;
        if (!tu_http_request(&c, "PATCH", path, "application/json", body, &r))
            break;
        if (r.status == 200)
            ra->ok++;
        else if (!ra->first_failure[0])
            snprintf(ra->first_failure, sizeof ra->first_failure, "%s: %d %.150s", path, r.status,
                     r.body);
        tu_http_resp_release(&r);
    }
    tu_http_close(&c);
    return NULL;
}

static void concurrent_readers(void **state)
{
    api_env *a = *state;
    seed_deals(a, 20);
    int64_t events = tu_count(a->t, "events");
    enum { READERS = 8, PER = 200, WRITES = 50 };
    pthread_t th[READERS + 1];
    reader_arg args[READERS + 1];
    memset(args, 0, sizeof args);
    for (int i = 0; i < READERS; i++) {
        args[i] = (reader_arg){.port = a->port, .id = i, .n = PER};
        pthread_create(&th[i], NULL, reader, &args[i]);
    }
    args[READERS] = (reader_arg){.port = a->port, .id = READERS, .n = WRITES};
    pthread_create(&th[READERS], NULL, writer, &args[READERS]);
    for (int i = 0; i <= READERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < READERS; i++) {
        if (args[i].ok != PER)
            fail_msg("reader %d: %d of %d OK; first failure: %s", i, args[i].ok, PER,
                     args[i].first_failure);
    }
    if (args[READERS].ok != WRITES)
        fail_msg("writer: %d of %d OK; first failure: %s", args[READERS].ok, WRITES,
                 args[READERS].first_failure);
    /* every write went through exactly once */
    assert_int_equal(tu_count(a->t, "events"), events + WRITES);
    assert_int_equal(tu_sql_int(a->t, "SELECT count(*) FROM deals WHERE next_step LIKE 'step %'"),
                     20);
    assert_int_equal(tu_sql_int(a->t, "SELECT count(*) FROM deals WHERE next_step = 'step 49'"), 1);
}

/* --- duplicates: scan, merge, undo ------------------------------------------- */

static void dedupe_routes(void **state)
{
    api_env *a = *state;
    int64_t c1 = tu_create(a->t, "contacts", "{\"first_name\":\"Ann\",\"last_name\":\"Lee\","
                                             "\"email\":\"ann@acme.com\",\"title\":\"VP\"}");
    int64_t c2 = tu_create(a->t, "contacts", "{\"first_name\":\"Anne\",\"last_name\":\"Lee\","
                                             "\"email\":\"ann@acme.com\",\"phone\":\"617 555 0101\"}");
    for (int i = 0; i < 6; i++) {
        char b[200];
        snprintf(b, sizeof b, "{\"first_name\":\"P%d\",\"last_name\":\"Other%d\",\"email\":\"p%d@x%d.com\"}",
                 i, i * 7, i, i);
        tu_create(a->t, "contacts", b);
    }
    char b[300];
    snprintf(b, sizeof b, "{\"kind\":\"call\",\"contact_id\":%lld}", (long long)c2);
    int64_t act = tu_create(a->t, "activities", b);
    tu_http_resp r;
    call(a, "GET", "/api/v1/dedupe/contacts", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    tu_http_resp_release(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "records")), 8);
    json_t *pairs = json_object_get(j, "data");
    assert_int_equal(json_array_size(pairs), 1);
    json_t *p0 = json_array_get(pairs, 0);
    assert_int_equal(json_integer_value(json_object_get(p0, "id_a")), c1);
    assert_int_equal(json_integer_value(json_object_get(p0, "id_b")), c2);
    json_t *ev = json_object_get(p0, "evidence");
    assert_int_equal(json_array_size(ev), 4); /* first, last name, email, phone */
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "a")), "Ann");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "b")), "Anne");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 2), "level")), 0);
    assert_true(json_is_null(json_object_get(json_array_get(ev, 3), "level"))); /* no phone on c1 */
    json_decref(j);

    char *before = tu_dump_db(a->t);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/dedupe/contacts/merge?keep=%lld&merged=%lld&rule=title:merged",
             (long long)c1, (long long)c2);
    call(a, "POST", path, "-", NULL, &r);
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    tu_http_resp_release(&r);
    int64_t mid = json_integer_value(json_object_get(j, "merge_id"));
    json_decref(j);
    assert_true(mid > 0);
    assert_int_equal(tu_sql_intf(a->t, "SELECT contact_id FROM activities WHERE id = %lld", (long long)act), c1);
    assert_int_equal(tu_sql_intf(a->t, "SELECT count(*) FROM contacts WHERE id = %lld AND title IS NULL "
                                       "AND phone = '617 555 0101'", (long long)c1), 1);
    snprintf(path, sizeof path, "/api/v1/merges/%lld/undo", (long long)mid);
    call(a, "POST", path, "-", NULL, &r);
    assert_int_equal(r.status, 200);
    tu_http_resp_release(&r);
    char *after = tu_dump_db(a->t);
    /* equal but for the merges table */
    char *dumps[] = {before, after};
    for (int k = 0; k < 2; k++) {
        char *at = strstr(dumps[k], "== merges\n"), *next = at ? strstr(at + 1, "\n== ") : NULL;
        assert_non_null(next);
        memmove(at, next + 1, strlen(next + 1) + 1);
    }
    assert_string_equal(before, after);
    free(before), free(after);
    call(a, "POST", path, "-", NULL, &r);
    assert_int_equal(r.status, 409);
    snprintf(b, sizeof b, "merge %lld was undone already", (long long)mid);
    assert_non_null(strstr(r.body, b));
    tu_http_resp_release(&r);
    const struct {
        const char *method, *path;
        int status;
        const char *msg;
    } bad[] = {
        {"GET", "/api/v1/dedupe/deals", 400, "dedupe scans accounts, contacts or leads, got 'deals'"},
        {"GET", "/api/v1/dedupe/contacts?threshold=2", 400, "threshold must be a number between 0 and 1, got '2'"},
        {"GET", "/api/v1/dedupe/widgets", 404, "no entity 'widgets'"},
        {"POST", "/api/v1/dedupe/contacts/merge?keep=1", 400, "merged is required"},
        {"POST", "/api/v1/dedupe/contacts/merge?keep=1&merged=1", 400, "a record cannot be merged into itself, got contact 1 twice"},
        {"POST", "/api/v1/dedupe/contacts/merge?keep=1&merged=2&rule=colour:keep", 400,
         "rule takes FIELD:complete|recent|source|keep|merged with a field of contacts, got 'colour:keep'"},
        {"POST", "/api/v1/merges/x/undo", 400, "id must be a record id, got 'x'"},
        {"POST", "/api/v1/merges/999/undo", 404, "no merge 999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call(a, bad[i].method, bad[i].path, "-", NULL, &r);
        if (r.status != bad[i].status || !strstr(r.body, bad[i].msg))
            fail_msg("%s %s: %d %s", bad[i].method, bad[i].path, r.status, r.body);
        tu_http_resp_release(&r);
    }
}

/* --- the route table and the OpenAPI document -------------------------------- */

static void route_table(void **state)
{
    (void)state;
    size_t n;
    const rv_route *t = rv_api_routes(&n);
    int fixed = 0;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].fn);
        assert_non_null(t[i].op_id);
        assert_true(t[i].path[0] == '/');
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(t[i].method, t[j].method) && !strcmp(t[i].path, t[j].path))
                fail_msg("route %s %s appears twice", t[i].method, t[i].path);
            if (!strcmp(t[i].op_id, t[j].op_id))
                fail_msg("operationId %s appears twice", t[i].op_id);
        }
        if (!t[i].ent)
            fixed++;
    }
    assert_int_equal(fixed, 16); /* /, /healthz, /api/v1/openapi.json, GET+POST /login, /logout,
                                   reports, a report, its records, warnings, lead capture,
                                   dedupe scan, merge, undo, a lead's score, training a model */
    /* per entity: five routes, three for append-only, two for read-only */
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        int have = 0;
        bool post = false, patch = false, del = false;
        for (size_t i = 0; i < n; i++) {
            if (t[i].ent != e)
                continue;
            have++;
            post |= !strcmp(t[i].method, "POST");
            patch |= !strcmp(t[i].method, "PATCH");
            del |= !strcmp(t[i].method, "DELETE");
        }
        int want = (e->flags & RV_ENT_READONLY) ? 2 : (e->flags & RV_ENT_APPEND) ? 3 : 5;
        if (have != want)
            fail_msg("%s has %d routes, want %d", e->name, have, want);
        assert_int_equal(post, !(e->flags & RV_ENT_READONLY));
        assert_int_equal(patch, !(e->flags & (RV_ENT_READONLY | RV_ENT_APPEND)));
        assert_int_equal(del, patch);
    }
    assert_int_equal(n, 16 + 5 * 26 + 3 + 2 * 8);
}

/* "/api/v1/deals/{id}" with {id} filled in */
static void concrete_path(const rv_route *r, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = r->path; *p && o + 2 < cap; p++) {
        if (*p == '{') {
            out[o++] = '1';
            p = strchr(p, '}');
            continue;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
}

static void openapi_document(void **state)
{
    api_env *a = *state;
    tu_http_resp r;
    call(a, "GET", "/api/v1/openapi.json", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    json_error_t je;
    json_t *doc = json_loads(r.body, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        fail_msg("openapi.json is not valid JSON: %s at line %d column %d", je.text, je.line,
                 je.column);
    tu_http_resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    json_t *schemes = json_object_get(json_object_get(doc, "components"), "securitySchemes");
    assert_string_equal(json_string_value(json_object_get(json_object_get(schemes, "bearerToken"),
                                                          "scheme")),
                        "bearer");
    assert_string_equal(json_string_value(json_object_get(json_object_get(schemes, "sessionCookie"),
                                                          "name")),
                        "rv_session");
    assert_int_equal(json_array_size(json_object_get(doc, "security")), 2);
    json_t *paths = json_object_get(doc, "paths");
    size_t n;
    const rv_route *t = rv_api_routes(&n);
    size_t ops = 0;
    const char *pk;
    json_t *pv;
    json_object_foreach(paths, pk, pv) ops += json_object_size(pv);
    assert_int_equal(ops, n);        /* nothing more ... */
    for (size_t i = 0; i < n; i++) { /* ... and nothing less */
        char m[16];
        size_t k;
        for (k = 0; t[i].method[k]; k++)
            m[k] = (char)(t[i].method[k] - 'A' + 'a');
        m[k] = '\0';
        json_t *op = json_object_get(json_object_get(paths, t[i].path), m);
        if (!op)
            fail_msg("route %s %s is not in openapi.json", t[i].method, t[i].path);
        assert_string_equal(json_string_value(json_object_get(op, "operationId")), t[i].op_id);
        /* public routes say they need nothing; the rest inherit the
         * document's bearer-token-or-session requirement */
        json_t *sec = json_object_get(op, "security");
        if (t[i].flags & RV_ROUTE_PUBLIC)
            assert_true(json_is_array(sec) && json_array_size(sec) == 0);
        else
            assert_null(sec);
        char code[8];
        snprintf(code, sizeof code, "%d", t[i].status);
        assert_non_null(json_object_get(json_object_get(op, "responses"), code));
        /* and the route answers: the document describes what exists */
        char path[256];
        concrete_path(&t[i], path, sizeof path);
        call(a, t[i].method, path, NULL, t[i].req != RV_SHAPE_NONE ? "{}" : NULL, &r);
        if (r.status == 404 && strstr(r.body, "no such path"))
            fail_msg("%s %s: not routed", t[i].method, path);
        if (r.status == 405)
            fail_msg("%s %s: method not allowed", t[i].method, path);
        tu_http_resp_release(&r);
    }
    /* schemas from the entity table */
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *deal = json_object_get(schemas, "Deal");
    assert_non_null(deal);
    json_t *props = json_object_get(deal, "properties");
    char *s;
    assert_int_equal(json_object_size(props), rv_entity_find("deals")->nfields + 3);
    s = json_dumps(json_object_get(deal, "required"), JSON_COMPACT);
    assert_string_equal(s, "[\"id\",\"name\",\"stage_id\",\"created_at\",\"updated_at\"]");
    free(s);
    json_t *amount = json_object_get(props, "amount");
    assert_non_null(strstr(json_string_value(json_object_get(amount, "description")),
                           "decimal amount in the record's currency"));
    s = json_dumps(json_object_get(props, "close_date"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(strstr(s, "\"format\":\"date\""));
    free(s);
    s = json_dumps(json_object_get(props, "type"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(strstr(s, "\"enum\":[\"new\",\"expansion\",\"renewal\"]"));
    free(s);
    s = json_dumps(json_object_get(props, "created_on"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(strstr(s, "\"format\":\"date-time\""));
    free(s);
    s = json_dumps(json_object_get(props, "account_id"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(strstr(s, "\"anyOf\":[{\"format\":\"int64\",\"minimum\":1,\"nullable\":true,"
                              "\"type\":\"integer\"},{\"type\":\"string\"}]"));
    free(s);
    s = json_dumps(json_object_get(props, "custom"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(strstr(s, "\"type\":\"object\""));
    free(s);
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        char name[64] = "";
        bool up = true;
        size_t o = 0;
        for (const char *p = e->one; *p; p++) {
            if (*p == '_') {
                up = true;
                continue;
            }
            name[o++] = up ? (char)(*p - 'a' + 'A') : *p;
            up = false;
        }
        json_t *sc = json_object_get(schemas, name);
        if (!sc)
            fail_msg("no schema %s for %s", name, e->name);
        for (int i = 0; i < e->nfields; i++) {
            bool has = json_object_get(json_object_get(sc, "properties"), e->fields[i].name);
            if (e->fields[i].flags & RV_F_SECRET) {
                if (has) /* secrets are never described, let alone shown */
                    fail_msg("schema %s shows secret %s", name, e->fields[i].name);
            } else if (!has) {
                fail_msg("schema %s lacks %s", name, e->fields[i].name);
            }
        }
    }
    json_t *err = json_object_get(schemas, "Error");
    assert_non_null(err);
    s = json_dumps(err, JSON_COMPACT);
    assert_non_null(strstr(s, "\"rule_violation\""));
    free(s);
    /* a PATCH takes the Update schema, which requires nothing */
    json_t *patch = json_object_get(json_object_get(paths, "/api/v1/deals/{id}"), "patch");
    s = json_dumps(json_object_get(patch, "requestBody"), JSON_COMPACT);
    assert_non_null(strstr(s, "#/components/schemas/DealUpdate"));
    free(s);
    assert_null(json_object_get(json_object_get(schemas, "DealUpdate"), "required"));
    json_decref(doc);
}

/* --- `revos serve` ------------------------------------------------------------ */

/* A running `revos serve` on t's database: its pid, its stderr and port. */
typedef struct served {
    pid_t pid;
    FILE *err;
    int port;
} served;

/* Start `revos serve --port 0 --threads 2 [extra]`, with env ("NAME=value")
 * added to its environment when not NULL; skips when there is no binary. */
static void serve_start(tu_env *t, const char *extra, const char *env, served *s)
{
    const char *bin = tu_revos_bin();
    if (!bin || access(bin, X_OK) != 0) {
        print_message("SKIP: no revos binary at '%s'\n", bin ? bin : "?");
        tu_env_free(t);
        skip();
    }
    int errpipe[2];
    assert_int_equal(pipe(errpipe), 0);
    s->pid = fork();
    if (s->pid == 0) {
        dup2(errpipe[1], 2);
        close(errpipe[0]);
        if (env)
            putenv((char *)env);
        execl(bin, bin, "--db", t->path, "serve", "--port", "0", "--threads", "2", extra,
              (char *)NULL);
        _exit(127);
    }
    close(errpipe[1]);
    s->err = fdopen(errpipe[0], "r");
    char line[512] = "";
    if (!fgets(line, sizeof line, s->err))
        fail_msg("revos serve printed nothing");
    char want[600];
    snprintf(want, sizeof want, "revos: serving %s at http://127.0.0.1:", t->path);
    if (strncmp(line, want, strlen(want)) != 0)
        fail_msg("revos serve said: %s", line);
    s->port = atoi(line + strlen(want));
    assert_true(s->port > 0);
}

/* SIGTERM: a clean exit 0 that says why. */
static void serve_stop(served *s)
{
    char line[512] = "";
    kill(s->pid, SIGTERM);
    int st;
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_non_null(fgets(line, sizeof line, s->err));
    assert_string_equal(line, "revos: SIGTERM received, shutting down\n");
    fclose(s->err);
}

static void serve_command(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("api-serve");
    tu_create(t, "accounts", "{\"name\":\"Served\"}");
    tu_admin_token(t);
    served s;
    serve_start(t, NULL, NULL, &s);
    tu_http_resp r;
    assert_true(tu_http_do(s.port, "GET", "/api/v1/accounts/1", NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"name\":\"Served\""));
    tu_http_resp_release(&r);
    serve_stop(&s);
    tu_env_free(t);
}

/* --secure-cookies and REVOS_SECURE_COOKIES=1: both session cookies are
 * Secure; without either, neither is. */
static void serve_secure_cookies(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("api-secure");
    tu_admin_token(t);
    static const struct {
        const char *arg, *env;
        int secure; /* Set-Cookie lines with "; Secure" */
    } cases[] = {
        {"--secure-cookies", NULL, 2},
        {NULL, "REVOS_SECURE_COOKIES=1", 2},
        {NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        served s;
        serve_start(t, cases[i].arg, cases[i].env, &s);
        tu_http_resp r;
        assert_true(tu_http_do(s.port, "POST", "/login", "application/json",
                               "{\"email\":\"admin@example.com\",\"password\":\"admin-password\"}",
                               &r));
        assert_int_equal(r.status, 200);
        int n = 0;
        for (const char *p = r.headers; (p = strstr(p, "Set-Cookie: ")); p++) {
            size_t len = strcspn(p, "\r\n");
            const char *sec = strstr(p, "; Secure");
            n += sec && sec < p + len;
        }
        if (n != cases[i].secure)
            fail_msg("case %zu: %d Secure cookies, want %d:\n%s", i, n, cases[i].secure,
                     r.headers);
        tu_http_resp_release(&r);
        serve_stop(&s);
    }
    tu_env_free(t);
}

static void start_errors(void **state)
{
    api_env *a = *state;
    rv_api_opts o;
    rv_api_opts_init(&o);
    rv_api_server *s2 = NULL;
    rv_err err;
    /* the port is taken */
    o.db_path = a->t->path;
    o.port = a->port;
    assert_int_equal(rv_api_start(&o, &s2, &err), RV_EIO);
    char want[200];
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1 port %d: Address already in use",
             a->port);
    assert_string_equal(err.message, want);
    assert_null(s2);
    o.port = 0;
    o.bind = "not an address";
    assert_int_equal(rv_api_start(&o, &s2, &err), RV_EINVAL);
    assert_string_equal(err.message,
                        "bind address must be a numeric IPv4 or IPv6 address, got 'not an address'");
    o.bind = NULL;
    o.threads = 65;
    assert_int_equal(rv_api_start(&o, &s2, &err), RV_EINVAL);
    assert_string_equal(err.message, "threads must be between 1 and 64, got 65");
    o.threads = 1;
    o.db_path = "/nonexistent/dir/x.db";
    assert_int_not_equal(rv_api_start(&o, &s2, &err), RV_OK);
    assert_non_null(strstr(err.message, "/nonexistent/dir/x.db"));
    /* two servers on one database at once, each with its own connections */
    o.db_path = a->t->path;
    assert_int_equal(rv_api_start(&o, &s2, &err), RV_OK);
    tu_http_resp r;
    assert_true(tu_http_do(rv_api_port(s2), "POST", "/api/v1/accounts", "application/json",
                           "{\"name\":\"Second\"}", &r));
    assert_int_equal(r.status, 201);
    tu_http_resp_release(&r);
    call(a, "GET", "/api/v1/accounts?name=Second", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "\"name\":\"Second\""));
    tu_http_resp_release(&r);
    rv_api_stop(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_table),
        cmocka_unit_test_setup_teardown(dedupe_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(crud_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(created_record_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(list_filters_sort_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_body, setup, teardown),
        cmocka_unit_test(smaller_limit),
        cmocka_unit_test_setup_teardown(keep_alive_and_pipelining, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(openapi_document, setup, teardown),
        cmocka_unit_test_setup_teardown(start_errors, setup, teardown),
        cmocka_unit_test(serve_secure_cookies),
        cmocka_unit_test(serve_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
