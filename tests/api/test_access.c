/*
 * test_access.c - who may do what, over real HTTP: the matrix of every
 * route of the route table x every role x the record's owner (the user
 * themselves, their subordinate, someone else), plus sign-in, lockout,
 * CSRF, token scopes, secrets and the audit log.
 *
 * The expectations are computed here from a hand-written copy of the
 * access table (want_scope below, the table of docs/access.md) and the
 * rules' meaning, not from the code under test; a separate test checks
 * that the service's table says the same.  The matrix walks
 * rv_api_routes(), so a route added later without a case here fails the
 * test ("no case for route ...").
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http_client.h"
#include "model/money.h"
#include "service/auth.h"
#include "service/leads.h"
#include "service/merge.h"
#include "testutil.h"

#define NOW 1700000000000LL

/* --- the access table, by hand (docs/access.md) ----------------------------- */

static const char *const role_names[] = {"admin", "manager", "rep", "marketing", "cs", "finance"};
#define NROLES 6

/* read/write scope per role: a=all n=none o=own t=team s=subtree c=account
 * p=parent (the record the row names by entity and record_id) */
static const struct want_scope {
    const char *entity, *read, *write;
} want_scope[] = {
    {"teams", "aaaaaa", "annnnn"},         {"users", "aaaaaa", "annnnn"},
    {"accounts", "astnaa", "asonnn"},      {"contacts", "astnan", "asonnn"},
    {"campaigns", "aaaaaa", "annann"},     {"leads", "astann", "asoann"},
    {"products", "aaaaaa", "annnnn"},      {"pipelines", "aaaaaa", "annnnn"},
    {"stages", "aaaaaa", "annnnn"},        {"deals", "astaaa", "asonnn"},
    {"deal_products", "astaaa", "asonnn"}, {"activities", "astncn", "asoncn"},
    {"touches", "annann", "annann"},       {"subscriptions", "astnaa", "asonan"},
    {"field_defs", "aaaaaa", "annnnn"},    {"stage_history", "astaaa", "annnnn"},
    {"field_history", "appppp", "nnnnnn"}, {"events", "appppp", "nnnnnn"},
    {"settings", "annnnn", "annnnn"},      {"audit_log", "annnnn", "nnnnnn"},
    {"sessions", "annnnn", "nnnnnn"},      {"api_tokens", "annnnn", "nnnnnn"},
    {"quotas", "asonna", "asnnna"},
    {"lead_sources", "aanann", "annann"},  {"routing_pools", "aaaann", "annnnn"},
    {"routing_rules", "aaaann", "annnnn"}, {"pool_members", "aaaann", "annnnn"},
    {"sla_policies", "aaaann", "annnnn"},  {"lead_assignments", "aanann", "nnnnnn"},
    {"capture_keys", "annnnn", "nnnnnn"}, {"fit_rules", "aaaann", "annann"},
    {"engagement_rules", "aaaann", "annann"},
    {"fx_rates", "aaaaaa", "annnna"},
    {"merges", "annnnn", "nnnnnn"},
    {"score_models", "aaaaaa", "annann"},
};

static const struct want_scope *want_of(const char *entity)
{
    for (size_t i = 0; i < sizeof want_scope / sizeof want_scope[0]; i++)
        if (!strcmp(want_scope[i].entity, entity))
            return &want_scope[i];
    fail_msg("no hand-written access row for %s", entity);
    return NULL;
}

static const char *scope_word(char c)
{
    switch (c) {
    case 'a': return "all";
    case 'n': return "none";
    case 'o': return "own";
    case 't': return "team";
    case 's': return "subtree";
    case 'c': return "account";
    case 'p': return "parent";
    }
    return "?";
}

/* The service's table says what the hand-written one says, for every
 * entity and role. */
static void rules_table(void **state)
{
    (void)state;
    for (int k = 0; rv_entities[k]; k++) {
        const struct want_scope *w = want_of(rv_entities[k]->name);
        for (int r = 0; r < NROLES; r++) {
            assert_string_equal(rv_access_scope(rv_entities[k], (rv_role)r, false),
                                scope_word(w->read[r]));
            assert_string_equal(rv_access_scope(rv_entities[k], (rv_role)r, true),
                                scope_word(w->write[r]));
        }
    }
}

/* --- fixture ----------------------------------------------------------------- */

/* Owner cases: the role user themselves, their subordinate, someone else. */
enum { OWN, SUB, OTHER, NCASES };
static const char *const case_names[] = {"own", "subordinate's", "other's"};

/* entities whose rows have an owner, and how */
static const struct owned {
    const char *entity, *parent; /* parent: the entity the owner comes through */
} owned[] = {
    {"accounts", NULL}, {"contacts", NULL},      {"leads", NULL},
    {"deals", NULL},    {"activities", NULL},    {"deal_products", "deals"},
    {"subscriptions", "accounts"}, {"stage_history", "deals"}, {"quotas", NULL},
};
#define NOWNED (sizeof owned / sizeof owned[0])

typedef struct fixture {
    tu_env *t;
    rv_api_server *srv;
    int port;
    tu_http conn;
    int64_t user[NROLES], sub[NROLES], other;
    char token[NROLES][RV_TOKEN_TEXT];
    int64_t product, campaign;
    /* rec[owned entity][role][case]: a record of that owner */
    int64_t rec[NOWNED][NROLES][NCASES];
    /* hist[field_history, events][role][case]: a row naming rec's deal */
    int64_t hist[2][NROLES][NCASES];
    int seq;
} fixture;

static int owned_index(const char *entity)
{
    for (size_t i = 0; i < NOWNED; i++)
        if (!strcmp(owned[i].entity, entity))
            return (int)i;
    return -1;
}

static int64_t owner_of(fixture *f, int role, int cs)
{
    return cs == OWN ? f->user[role] : cs == SUB ? f->sub[role] : f->other;
}

/* Body creating a record of entity e owned (directly or through its
 * parent) by owner; unique names from f->seq. */
static char *create_body(fixture *f, const char *e, int role, int cs)
{
    char *b = malloc(600);
    int n = ++f->seq;
    int64_t o = owner_of(f, role, cs);
    int ai = owned_index("accounts"), di = owned_index("deals");
    int64_t acct = f->rec[ai][role][cs], deal = f->rec[di][role][cs];
    if (!strcmp(e, "accounts"))
        snprintf(b, 600, "{\"name\":\"A%d\",\"owner_id\":%lld}", n, (long long)o);
    else if (!strcmp(e, "contacts"))
        snprintf(b, 600, "{\"last_name\":\"C%d\",\"owner_id\":%lld}", n, (long long)o);
    else if (!strcmp(e, "leads"))
        snprintf(b, 600, "{\"last_name\":\"L%d\",\"owner_id\":%lld}", n, (long long)o);
    else if (!strcmp(e, "deals"))
        snprintf(b, 600, "{\"name\":\"D%d\",\"stage_id\":1,\"owner_id\":%lld}", n, (long long)o);
    else if (!strcmp(e, "activities"))
        snprintf(b, 600, "{\"kind\":\"call\",\"owner_id\":%lld,\"account_id\":%lld}", (long long)o,
                 (long long)acct);
    else if (!strcmp(e, "deal_products"))
        snprintf(b, 600, "{\"deal_id\":%lld,\"product_id\":%lld,\"unit_price\":\"10\"}",
                 (long long)deal, (long long)f->product);
    else if (!strcmp(e, "subscriptions"))
        snprintf(b, 600, "{\"account_id\":%lld,\"mrr\":\"10\",\"start_on\":\"2024-01-01\"}",
                 (long long)acct);
    else if (!strcmp(e, "stage_history"))
        snprintf(b, 600, "{\"deal_id\":%lld,\"to_stage_id\":1,\"changed_at\":\"2024-01-01T00:00:00Z\"}",
                 (long long)deal);
    else if (!strcmp(e, "quotas"))
        snprintf(b, 600, "{\"user_id\":%lld,\"period_start\":\"2024-01-01\",\"period_end\":\"2024-03-31\",\"amount\":\"1000\"}",
                 (long long)o);
    else if (!strcmp(e, "teams"))
        snprintf(b, 600, "{\"name\":\"T%d\"}", n);
    else if (!strcmp(e, "users"))
        snprintf(b, 600, "{\"name\":\"U%d\",\"email\":\"u%d@example.com\"}", n, n);
    else if (!strcmp(e, "products"))
        snprintf(b, 600, "{\"name\":\"P%d\"}", n);
    else if (!strcmp(e, "pipelines"))
        snprintf(b, 600, "{\"name\":\"Pl%d\"}", n);
    else if (!strcmp(e, "stages"))
        snprintf(b, 600, "{\"pipeline_id\":1,\"name\":\"S%d\"}", n);
    else if (!strcmp(e, "field_defs"))
        snprintf(b, 600, "{\"entity\":\"deals\",\"name\":\"f%d\",\"type\":\"text\"}", n);
    else if (!strcmp(e, "campaigns"))
        snprintf(b, 600, "{\"name\":\"Cm%d\"}", n);
    else if (!strcmp(e, "touches"))
        snprintf(b, 600, "{\"kind\":\"visit\",\"at\":\"2024-01-01T00:00:00Z\"}");
    else if (!strcmp(e, "settings"))
        snprintf(b, 600, "{\"key\":\"k%d\",\"value\":\"x\"}", n);
    else if (!strcmp(e, "lead_sources"))
        snprintf(b, 600, "{\"name\":\"Src%d\"}", n);
    else if (!strcmp(e, "routing_pools"))
        snprintf(b, 600, "{\"name\":\"Pool%d\"}", n);
    else if (!strcmp(e, "routing_rules"))
        snprintf(b, 600, "{\"name\":\"R%d\",\"field\":\"country\",\"value\":\"US\",\"pool_id\":1}", n);
    else if (!strcmp(e, "pool_members"))
        snprintf(b, 600, "{\"pool_id\":1,\"user_id\":1,\"weight\":%d}", n % 5 + 1);
    else if (!strcmp(e, "fit_rules"))
        snprintf(b, 600, "{\"field\":\"industry\",\"value\":\"I%d\",\"points\":5}", n);
    else if (!strcmp(e, "engagement_rules"))
        snprintf(b, 600, "{\"kind\":\"k%d\",\"points\":5}", n);
    else if (!strcmp(e, "sla_policies"))
        snprintf(b, 600, "{\"priority\":\"%s\",\"first_touch_minutes\":5}",
                 n % 2 ? "low" : "normal");
    else if (!strcmp(e, "fx_rates"))
        snprintf(b, 600, "{\"currency\":\"X%c%c\",\"rate\":\"1.%d\",\"effective_on\":\"2024-01-01\"}",
                 'A' + n % 26, 'A' + n / 26 % 26, n);
    else if (!strcmp(e, "score_models")) /* a one-column logistic regression */
        snprintf(b, 600,
                 "{\"object\":\"leads\",\"target\":\"converted\",\"version\":%d,\"kind\":\"lr\","
                 "\"model\":\"revos-model 1 lr\\nplatt 0x1p+0 0x0p+0\\ncolumns 1\\n"
                 "numeric 0 0 0x1.4p+1 0x1.1e3779b97f4a8p+0 0 x\\nedges\\nlr 1 0x0p+0\\n"
                 "coef 0x1.6e5b7d16657e1p-3\\nend\\n\"}",
                 n);
    else
        fail_msg("no create body for %s", e);
    return b;
}

static const char *patch_body(const char *e)
{
    static const struct {
        const char *e, *body;
    } t[] = {
        {"accounts", "{\"industry\":\"x\"}"}, {"contacts", "{\"title\":\"x\"}"},
        {"leads", "{\"title\":\"x\"}"},       {"deals", "{\"next_step\":\"x\"}"},
        {"activities", "{\"subject\":\"x\"}"}, {"deal_products", "{\"quantity\":2}"},
        {"subscriptions", "{\"seats\":2}"},   {"teams", "{\"region\":\"x\"}"},
        {"users", "{\"title\":\"x\"}"},       {"products", "{\"family\":\"x\"}"},
        {"pipelines", "{\"external_id\":\"x\"}"}, {"stages", "{\"stall_days\":5}"},
        {"field_defs", "{\"label\":\"x\"}"},  {"campaigns", "{\"channel\":\"x\"}"},
        {"touches", "{\"channel\":\"x\"}"},   {"settings", "{\"value\":\"y\"}"},
        {"quotas", "{\"amount\":\"2000\"}"},
        {"lead_sources", "{\"rate_per_minute\":60}"}, {"routing_pools", "{\"method\":\"lowest_count\"}"},
        {"routing_rules", "{\"position\":5}"},        {"pool_members", "{\"weight\":3}"},
        {"sla_policies", "{\"first_touch_minutes\":30}"}, {"fit_rules", "{\"points\":7}"},
        {"engagement_rules", "{\"points\":7}"},
        {"fx_rates", "{\"rate\":\"1.25\"}"},
        {"quotas", "{\"amount\":\"2000\"}"},  {"score_models", "{\"note\":\"x\"}"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].e, e))
            return t[i].body;
    fail_msg("no patch body for %s", e);
    return NULL;
}

/* Create through the service with full rights (the CLI's view). */
static int64_t make(fixture *f, const char *e, int role, int cs)
{
    char *b = create_body(f, e, role, cs);
    const rv_principal *who = f->t->ctx.who;
    f->t->ctx.who = NULL; /* not a copy of the env: its arena must stay one */
    int64_t id = tu_create(f->t, e, b);
    f->t->ctx.who = who;
    free(b);
    return id;
}

static int64_t user(fixture *f, const char *email, const char *role, int64_t manager)
{
    char b[300];
    snprintf(b, sizeof b, "{\"name\":\"%s\",\"email\":\"%s\",\"role\":\"%s\"%s%lld}", email, email,
             role, manager ? ",\"manager_id\":" : ",\"title\":\"", (long long)manager);
    if (!manager)
        snprintf(b, sizeof b, "{\"name\":\"%s\",\"email\":\"%s\",\"role\":\"%s\"}", email, email,
                 role);
    return tu_create(f->t, "users", b);
}

/* (Re)start the server on the fixture's database: 2 threads, any port. */
static void serve(fixture *f, bool secure_cookies)
{
    tu_http_close(&f->conn);
    rv_api_stop(f->srv);
    rv_api_opts o;
    rv_api_opts_init(&o);
    o.db_path = f->t->path;
    o.port = 0;
    o.threads = 2;
    o.secure_cookies = secure_cookies;
    rv_err err;
    if (rv_api_start(&o, &f->srv, &err))
        fail_msg("rv_api_start: %s", err.message);
    f->port = rv_api_port(f->srv);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->t = tu_env_new("access");
    tu_seed_pipeline(f->t);
    rv_now_set(NOW);
    rv_auth_set_fast(true);
    tu_admin_token(f->t);
    assert_int_equal(tu_sql_int(f->t, "SELECT id FROM users WHERE email = 'admin@example.com'"), 1);
    tu_http_set_default_headers(NULL); /* every request names its own token */
    f->other = user(f, "other@example.com", "rep", 0);
    for (int r = 0; r < NROLES; r++) {
        char email[64];
        snprintf(email, sizeof email, "%s@example.com", role_names[r]);
        f->user[r] = r == 0 ? 1 /* tu_admin_token's admin */ : user(f, email, role_names[r], 0);
        snprintf(email, sizeof email, "%s.sub@example.com", role_names[r]);
        f->sub[r] = user(f, email, "rep", f->user[r]);
        rv_err err;
        int64_t id;
        snprintf(email, sizeof email, "%s@example.com", role_names[r]);
        if (rv_tokens_create(&f->t->ctx, email, "matrix", r == 0 ? "admin" : "write", f->token[r],
                             &id, &err))
            fail_msg("token: %s", err.message);
    }
    f->product = tu_create(f->t, "products", "{\"name\":\"Widget\"}");
    /* one row of each reference entity, id 1 */
    tu_create(f->t, "teams", "{\"name\":\"East\"}");
    tu_create(f->t, "settings", "{\"key\":\"rep_read_team\",\"value\":\"false\"}");
    tu_create(f->t, "touches", "{\"kind\":\"visit\",\"at\":\"2024-01-01T00:00:00Z\"}");
    tu_create(f->t, "field_defs", "{\"entity\":\"deals\",\"name\":\"color\",\"type\":\"text\"}");
    tu_create(f->t, "fx_rates", "{\"currency\":\"EUR\",\"rate\":\"1.08\",\"effective_on\":\"2024-01-01\"}");
    f->campaign = tu_create(f->t, "campaigns", "{\"name\":\"Launch\"}");
    tu_create(f->t, "lead_sources", "{\"name\":\"Web form\"}");
    tu_create(f->t, "routing_pools", "{\"name\":\"Inbound\"}");
    tu_create(f->t, "routing_rules", "{\"name\":\"All\",\"field\":\"country\",\"op\":\"any\",\"pool_id\":1}");
    tu_create(f->t, "pool_members", "{\"pool_id\":1,\"user_id\":1}");
    tu_create(f->t, "sla_policies", "{\"priority\":\"high\",\"first_touch_minutes\":5}");
    tu_create(f->t, "fit_rules", "{\"field\":\"industry\",\"value\":\"Software\",\"points\":10}");
    tu_create(f->t, "engagement_rules", "{\"kind\":\"form\",\"points\":10}");
    { /* a capture: the first lead_assignments and capture_keys rows */
        char key[80];
        int64_t sid;
        rv_err e2;
        if (rv_lead_source_create(&f->t->ctx, "Matrix form", NULL, key, &sid, &e2))
            fail_msg("source: %s", e2.message);
        json_t *b = json_pack("{s:s}", "email", "first@lead.example.com");
        rv_capture_req cr = {key, "k1", b};
        rv_capture_result res;
        if (rv_leads_capture(&f->t->ctx, &cr, &res, &e2))
            fail_msg("capture: %s", e2.message);
        json_decref(b);
    }
    char *sm = create_body(f, "score_models", 0, OWN);
    tu_create(f->t, "score_models", sm);
    free(sm);
    /* parents first: accounts and deals come before their children */
    for (size_t i = 0; i < NOWNED; i++)
        for (int r = 0; r < NROLES; r++)
            for (int cs = 0; cs < NCASES; cs++)
                f->rec[i][r][cs] = make(f, owned[i].entity, r, cs);
    /* rows for the read-only entities: a field change, a session */
    tu_try_update(f->t, "deals", f->rec[owned_index("deals")][0][0], "{\"amount\":\"5\"}", NULL);
    /* a field change and an event of every deal of the fixture */
    for (int r = 0; r < NROLES; r++)
        for (int cs = 0; cs < NCASES; cs++) {
            int64_t deal = f->rec[owned_index("deals")][r][cs];
            char sql[200];
            assert_int_equal(tu_try_update(f->t, "deals", deal, "{\"amount\":\"7\"}", NULL), RV_OK);
            snprintf(sql, sizeof sql,
                     "SELECT max(id) FROM field_history WHERE entity = 'deals' AND record_id = %lld",
                     (long long)deal);
            f->hist[0][r][cs] = tu_sql_int(f->t, sql);
            snprintf(sql, sizeof sql,
                     "SELECT max(id) FROM events WHERE entity = 'deals' AND record_id = %lld",
                     (long long)deal);
            f->hist[1][r][cs] = tu_sql_int(f->t, sql);
            assert_true(f->hist[0][r][cs] > 0 && f->hist[1][r][cs] > 0);
        }
    /* a merge log row, id 1: two accounts merged */
    rv_merge_plan mp;
    rv_merge_plan_init(&mp, rv_entity_find("accounts"), tu_create(f->t, "accounts", "{\"name\":\"Dup\"}"),
                       tu_create(f->t, "accounts", "{\"name\":\"Dup Inc\"}"));
    int64_t mid = 0;
    assert_int_equal(rv_svc_merge(&f->t->ctx, &mp, &mid, NULL), RV_OK);
    assert_int_equal(mid, 1);
    char tok[RV_TOKEN_TEXT], csrf[RV_TOKEN_TEXT];
    rv_err err;
    rv_users_passwd(&f->t->ctx, "admin@example.com", "admin-password", &err);
    if (rv_auth_login(&f->t->ctx, "admin@example.com", "admin-password", tok, csrf, &err))
        fail_msg("login: %s", err.message);
    f->conn.fd = -1;
    serve(f, false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_http_close(&f->conn);
    rv_api_stop(f->srv);
    tu_env_free(f->t);
    rv_now_set(0);
    tu_http_set_default_headers(NULL);
    free(f);
    return 0;
}

static void req(fixture *f, const char *method, const char *path, const char *headers,
                const char *ctype, const char *body, tu_http_resp *r)
{
    if (f->conn.fd < 0 && !tu_http_connect(&f->conn, f->port))
        fail_msg("connect failed");
    if (!ctype && body)
        ctype = "application/json";
    if (!tu_http_send(&f->conn, method, path, ctype, body, body ? strlen(body) : 0, headers, false) ||
        !tu_http_recv(&f->conn, r, false))
        fail_msg("%s %s: no response", method, path);
    if (r->closed)
        tu_http_close(&f->conn);
}

static void as_role(fixture *f, int role, const char *method, const char *path, const char *body,
                    tu_http_resp *r)
{
    char h[RV_TOKEN_TEXT + 40];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", f->token[role]);
    req(f, method, path, h, NULL, body, r);
}

/* The error message in a response body. */
static const char *message_of(const tu_http_resp *r, char *buf, size_t cap)
{
    json_t *j = json_loads(r->body, 0, NULL);
    const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    snprintf(buf, cap, "%s", m ? m : "(no message)");
    json_decref(j);
    return buf;
}

static void expect(const tu_http_resp *r, int status, const char *msg, const char *what)
{
    char got[600];
    if (r->status != status)
        fail_msg("%s: status %d, want %d (%s)", what, r->status, status, r->body);
    if (msg && strcmp(message_of(r, got, sizeof got), msg) != 0)
        fail_msg("%s: message '%s', want '%s'", what, got, msg);
}

/* Can role see a record of e owned by case cs (hand-derived)? */
static bool sees(char scope, int cs)
{
    switch (scope) {
    case 'a': return true;
    case 'c': return true; /* the fixture's activities all have an account */
    case 'o':
    case 't': return cs == OWN; /* rep_read_team is off */
    case 's': return cs != OTHER;
    }
    return false;
}

/* --- the matrix ------------------------------------------------------------- */

static bool ends_with_id(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && !strcmp(path + n - 5, "/{id}");
}

static void entity_refusal(char *msg, size_t cap, const char *email, int role, bool write,
                           const rv_entity *e)
{
    snprintf(msg, cap, "user %s (%s) may not %s %s", email, role_names[role],
             write ? "change" : "read", e->name);
}

/* The dedupe routes: a scan obeys the read scope of contacts; a merge of
 * two contacts that do not exist is refused by the read or write scope, else
 * reported missing (full read) or unreadable; undoing merge 1 (an admin's
 * two accounts, see setup) needs write access to its survivor, and is
 * done once: by the admin, who comes first. */
static bool dedupe_case(fixture *f, const rv_route *rt, int role, const char *email,
                        const char *what)
{
    const rv_entity *ce = rv_entity_find("contacts"), *ae = rv_entity_find("accounts");
    const struct want_scope *cw = want_of("contacts"), *aw = want_of("accounts");
    char msg[400] = "", path[200];
    int want = 200;
    tu_http_resp r;
    if (!strcmp(rt->method, "GET")) {
        snprintf(path, sizeof path, "/api/v1/dedupe/contacts");
        if (cw->read[role] == 'n')
            want = 403, entity_refusal(msg, sizeof msg, email, role, false, ce);
    } else if (strstr(rt->path, "/merge")) {
        snprintf(path, sizeof path, "/api/v1/dedupe/contacts/merge?keep=999998&merged=999999");
        if (cw->read[role] == 'n' || cw->write[role] == 'n')
            want = 403, entity_refusal(msg, sizeof msg, email, role, cw->read[role] != 'n', ce);
        else if (cw->read[role] == 'a')
            want = 404, snprintf(msg, sizeof msg, "contact 999998 not found");
        else
            want = 403, snprintf(msg, sizeof msg, "user %s may not read contact 999998", email);
    } else {
        snprintf(path, sizeof path, "/api/v1/merges/1/undo");
        int64_t survivor = tu_sql_int(f->t, "SELECT survivor_id FROM merges WHERE id = 1");
        if (aw->read[role] == 'n' || aw->write[role] == 'n')
            want = 403, entity_refusal(msg, sizeof msg, email, role, aw->read[role] != 'n', ae);
        else if (aw->read[role] != 'a')
            want = 403, snprintf(msg, sizeof msg, "user %s may not read account %lld", email,
                                 (long long)survivor);
        else if (role != 0)
            want = 409, snprintf(msg, sizeof msg, "merge 1 was undone already");
    }
    as_role(f, role, rt->method, path, NULL, &r);
    expect(&r, want, msg[0] ? msg : NULL, what);
    tu_http_resp_release(&r);
    return want == 403; /* refused, and so audited */
}

/* The scoring routes: a lead's score follows the lead's read scope (no
 * model is trained in the fixture: 404 for those who may read the lead);
 * training reads every lead, so only roles that read all leads get past
 * access, to the fixture's want of converted leads (400). */
static bool score_case(fixture *f, const rv_route *rt, int role, const char *email,
                       const char *what)
{
    bool refused = false;
    const struct want_scope *lw = want_of("leads");
    char path[200], msg[400], got[600];
    tu_http_resp r;
    if (!strcmp(rt->method, "GET")) {
        snprintf(path, sizeof path, "/api/v1/leads/%lld/score",
                 (long long)f->rec[owned_index("leads")][role][OWN]);
        as_role(f, role, "GET", path, NULL, &r);
        if (lw->read[role] == 'n') {
            entity_refusal(msg, sizeof msg, email, role, false, rv_entity_find("leads"));
            expect(&r, 403, msg, what);
            refused = true;
        } else {
            expect(&r, 404, "no active model for leads converted: run 'revos score train' first",
                   what);
        }
    } else {
        as_role(f, role, "POST", rt->path, NULL, &r);
        if (lw->read[role] != 'a') {
            snprintf(msg, sizeof msg, "user %s may not read every lead, which scoring needs",
                     email);
            expect(&r, 403, msg, what);
            refused = true;
        } else {
            expect(&r, 400, NULL, what);
            const char *want = "leads must include converted and unconverted ones, got 0 converted";
            if (strncmp(message_of(&r, got, sizeof got), want, strlen(want)))
                fail_msg("%s: message '%s', want '%s ...'", what, got, want);
        }
    }
    tu_http_resp_release(&r);
    return refused;
}

static void matrix(void **state)
{
    fixture *f = *state;
    size_t n;
    const rv_route *routes = rv_api_routes(&n);
    int checked = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        const rv_route *rt = &routes[i];
        const rv_entity *e = rt->ent;
        for (int role = 0; role < NROLES; role++) {
            char email[64], what[300], msg[400], path[200];
            snprintf(email, sizeof email, "%s@example.com", role_names[role]);
            tu_http_resp r;
            if (!e) {
                /* the fixed routes: the same answer for every signed-in role */
                snprintf(what, sizeof what, "%s %s as %s", rt->method, rt->path, role_names[role]);
                bool login = !strcmp(rt->path, "/login") && !strcmp(rt->method, "POST");
                if (!strcmp(rt->path, "/api/v1/leads/capture")) {
                    /* the source's key authenticates, whoever else is signed in */
                    as_role(f, role, rt->method, rt->path, "{\"email\":\"x@y.com\"}", &r);
                    expect(&r, 401, "lead capture needs the source's key in the X-Source-Key header", what);
                    tu_http_resp_release(&r);
                    checked++;
                    continue;
                }
                bool known = login || !strcmp(rt->path, "/") || !strcmp(rt->path, "/healthz") ||
                             !strcmp(rt->path, "/login") || !strcmp(rt->path, "/logout") ||
                             !strcmp(rt->path, "/api/v1/openapi.json") ||
                             !strcmp(rt->path, "/api/v1/reports") ||
                             !strcmp(rt->path, "/api/v1/warnings");
                /* a report obeys the read scope of its metric's entity:
                 * leads_created counts leads, which cs and finance may not read */
                bool report = !strncmp(rt->path, "/api/v1/reports/{metric}", 24);
                bool dedupe = !strncmp(rt->path, "/api/v1/dedupe/", 15) ||
                              !strcmp(rt->path, "/api/v1/merges/{id}/undo");
                if (dedupe) {
                    refused += dedupe_case(f, rt, role, email, what);
                    checked++;
                    continue;
                }
                if (!strcmp(rt->path, "/api/v1/leads/{id}/score") ||
                    !strcmp(rt->path, "/api/v1/score/train")) {
                    refused += score_case(f, rt, role, email, what);
                    checked++;
                    continue;
                }
                if (!known && !report && !dedupe)
                    fail_msg("no case for route %s %s", rt->method, rt->path);
                if (report) {
                    snprintf(path, sizeof path, "/api/v1/reports/leads_created%s", rt->path + 24);
                    as_role(f, role, rt->method, path, NULL, &r);
                    const struct want_scope *lw = want_of("leads");
                    if (lw->read[role] == 'n') {
                        entity_refusal(msg, sizeof msg, email, role, false, rv_entity_find("leads"));
                        expect(&r, 403, msg, what);
                        refused++;
                    } else {
                        expect(&r, 200, NULL, what);
                    }
                    tu_http_resp_release(&r);
                    checked++;
                    continue;
                }
                as_role(f, role, rt->method, rt->path, login ? "{}" : NULL, &r);
                if (login)
                    expect(&r, 400, "email is required", what);
                else
                    expect(&r, rt->status, NULL, what);
                tu_http_resp_release(&r);
                checked++;
                continue;
            }
            const struct want_scope *w = want_of(e->name);
            char rs = w->read[role], ws = w->write[role];
            int oi = owned_index(e->name);
            /* rows that follow their parent: here always a deal */
            int hi = !strcmp(e->name, "field_history") ? 0 : !strcmp(e->name, "events") ? 1 : -1;
            int ncases = oi >= 0 || hi >= 0 ? NCASES : 1;
            for (int cs = 0; cs < ncases; cs++) {
                snprintf(what, sizeof what, "%s %s as %s, %s record", rt->method, rt->path,
                         role_names[role], oi >= 0 || hi >= 0 ? case_names[cs] : "a");
                int64_t id = oi >= 0 ? f->rec[oi][role][cs] : hi >= 0 ? f->hist[hi][role][cs] : 1;
                char vs = rs == 'p' ? want_of("deals")->read[role] : rs;
                bool visible = rs != 'n' && sees(vs, cs);
                bool writable = ws != 'n' && sees(ws, cs);
                const char *m = rt->method;
                int want = rt->status;
                msg[0] = '\0';
                char *body = NULL;
                if (!strcmp(m, "GET") && !ends_with_id(rt->path)) {
                    snprintf(path, sizeof path, "/api/v1/%s?id=%lld", e->name, (long long)id);
                    if (rs == 'n')
                        want = 403, entity_refusal(msg, sizeof msg, email, role, false, e);
                } else if (!strcmp(m, "GET")) {
                    snprintf(path, sizeof path, "/api/v1/%s/%lld", e->name, (long long)id);
                    if (rs == 'n')
                        want = 403, entity_refusal(msg, sizeof msg, email, role, false, e);
                    else if (!visible)
                        want = 403, snprintf(msg, sizeof msg, "user %s may not read %s %lld",
                                             email, e->one, (long long)id);
                } else if (!strcmp(m, "POST")) {
                    snprintf(path, sizeof path, "/api/v1/%s", e->name);
                    body = create_body(f, e->name, role, cs);
                    if (ws == 'n') {
                        want = 403, entity_refusal(msg, sizeof msg, email, role, true, e);
                    } else if (!writable) {
                        want = 403;
                        const char *parent = owned[oi].parent;
                        if (parent)
                            snprintf(msg, sizeof msg, "user %s may not create a %s of %s %lld",
                                     email, e->one, rv_entity_find(parent)->one,
                                     (long long)f->rec[owned_index(parent)][role][cs]);
                        else
                            snprintf(msg, sizeof msg, "user %s may not create a %s owned by user %lld",
                                     email, e->one, (long long)owner_of(f, role, cs));
                    }
                } else if (!strcmp(m, "PATCH") || !strcmp(m, "DELETE")) {
                    bool del = !strcmp(m, "DELETE");
                    if (del) /* a fresh record: deleting must not be blocked by references */
                        id = make(f, e->name, role, cs);
                    snprintf(path, sizeof path, "/api/v1/%s/%lld", e->name, (long long)id);
                    if (!del)
                        body = strdup(patch_body(e->name));
                    if (rs == 'n')
                        want = 403, entity_refusal(msg, sizeof msg, email, role, false, e);
                    else if (ws == 'n')
                        want = 403, entity_refusal(msg, sizeof msg, email, role, true, e);
                    else if (!visible)
                        want = 403, snprintf(msg, sizeof msg, "user %s may not read %s %lld",
                                             email, e->one, (long long)id);
                    else if (!writable)
                        want = 403, snprintf(msg, sizeof msg, "user %s may not change %s %lld",
                                             email, e->one, (long long)id);
                } else {
                    fail_msg("no case for route %s %s", rt->method, rt->path);
                }
                as_role(f, role, m, path, body, &r);
                expect(&r, want, msg[0] ? msg : NULL, what);
                if (want == 200 && !strcmp(m, "GET") && !ends_with_id(rt->path)) {
                    /* the list shows the record exactly when a get would */
                    json_t *j = json_loads(r.body, 0, NULL);
                    size_t rows = json_array_size(json_object_get(j, "data"));
                    json_decref(j);
                    if (rows != (visible ? 1u : 0u))
                        fail_msg("%s: %zu rows, want %d", what, rows, visible ? 1 : 0);
                }
                refused += want == 403;
                tu_http_resp_release(&r);
                free(body);
                checked++;
            }
        }
    }
    print_message("matrix: %d requests, %d refused\n", checked, refused);
    assert_true(checked > 500);
    /* every refusal is in the audit log, with who and why */
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM audit_log WHERE action = 'refused'"),
                     refused);
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor_id = %lld AND "
             "entity = 'audit_log' AND reason = 'user rep@example.com (rep) may not read audit_log'",
             (long long)f->user[2]);
    assert_int_equal(tu_sql_int(f->t, sql), 2); /* list and get */
}

/* --- sign-in, lockout, CSRF, token scopes, secrets, audit rows ------------------ */

static const char *cookie_of(const tu_http_resp *r, const char *name, char *buf, size_t cap)
{
    /* Set-Cookie lines in the raw header block */
    char want[64];
    snprintf(want, sizeof want, "Set-Cookie: %s=", name);
    const char *p = strstr(r->headers, want);
    if (!p)
        return NULL;
    p += strlen(want);
    size_t n = strcspn(p, ";\r\n");
    snprintf(buf, cap, "%.*s", (int)n, p);
    return buf;
}

static void sessions_and_csrf(void **state)
{
    fixture *f = *state;
    tu_http_resp r;
    char h[600], sess[200], csrf[200], hdr[600];
    /* no credentials: 401 with WWW-Authenticate; /healthz needs none */
    req(f, "GET", "/api/v1/deals", NULL, NULL, NULL, &r);
    expect(&r, 401, "sign in first: send 'Authorization: Bearer <token>' or the session cookie "
                    "from POST /login", "no credentials");
    assert_non_null(tu_http_header(&r, "WWW-Authenticate", h, sizeof h));
    assert_string_equal(h, "Bearer realm=\"revos\"");
    tu_http_resp_release(&r);
    req(f, "GET", "/api/v1/deals", "Authorization: Bearer rvs_nope\r\n", NULL, NULL, &r);
    expect(&r, 401, "the API token is not valid (unknown or revoked)", "bad token");
    tu_http_resp_release(&r);
    req(f, "GET", "/healthz", NULL, NULL, NULL, &r);
    expect(&r, 200, NULL, "healthz");
    tu_http_resp_release(&r);
    req(f, "GET", "/", NULL, NULL, NULL, &r);
    assert_int_equal(r.status, 303); /* people go to the login page */
    assert_string_equal(tu_http_header(&r, "Location", h, sizeof h), "/login");
    tu_http_resp_release(&r);
    req(f, "GET", "/login", NULL, NULL, NULL, &r);
    expect(&r, 200, NULL, "login page");
    assert_non_null(strstr(r.body, "<form method=\"post\" action=\"/login\">"));
    tu_http_resp_release(&r);

    /* sign in with a form: cookies, then a redirect */
    rv_err err;
    assert_int_equal(rv_users_passwd(&f->t->ctx, "rep@example.com", "rep password 1", &err), RV_OK);
    req(f, "POST", "/login", NULL, "application/x-www-form-urlencoded",
        "email=rep%40example.com&password=rep+password+1", &r);
    assert_int_equal(r.status, 303);
    assert_non_null(cookie_of(&r, "rv_session", sess, sizeof sess));
    assert_non_null(cookie_of(&r, "rv_csrf", csrf, sizeof csrf));
    assert_non_null(strstr(r.headers, "HttpOnly; SameSite=Strict; Max-Age=43200"));
    assert_null(strstr(r.headers, "Secure")); /* plain HTTP unless told otherwise */
    tu_http_resp_release(&r);
    /* only the token's hash is stored */
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE token_hash = '%s'", sess);
    assert_int_equal(tu_sql_int(f->t, sql), 0);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM sessions WHERE length(token_hash) = 64"), 2);

    /* the cookie reads what the rep may read */
    snprintf(hdr, sizeof hdr, "Cookie: rv_session=%s\r\n", sess);
    snprintf(sql, sizeof sql, "/api/v1/deals/%lld", (long long)f->rec[owned_index("deals")][2][OWN]);
    req(f, "GET", sql, hdr, NULL, NULL, &r);
    expect(&r, 200, NULL, "cookie get");
    tu_http_resp_release(&r);
    /* a write with the cookie but without the CSRF token is refused */
    const char *body = "{\"name\":\"Via cookie\",\"stage_id\":1}";
    req(f, "POST", "/api/v1/deals", hdr, NULL, body, &r);
    expect(&r, 403, "POST /api/v1/deals with a session cookie needs the CSRF token (header "
                    "X-CSRF-Token or form field csrf_token)", "no csrf");
    tu_http_resp_release(&r);
    snprintf(hdr, sizeof hdr, "Cookie: rv_session=%s\r\nX-CSRF-Token: %s0\r\n", sess, csrf);
    req(f, "POST", "/api/v1/deals", hdr, NULL, body, &r);
    assert_int_equal(r.status, 403);
    tu_http_resp_release(&r);
    snprintf(hdr, sizeof hdr, "Cookie: rv_session=%s\r\nX-CSRF-Token: %s\r\n", sess, csrf);
    req(f, "POST", "/api/v1/deals", hdr, NULL, body, &r);
    expect(&r, 201, NULL, "with csrf");
    assert_non_null(strstr(r.body, "\"owner_id\":")); /* the rep's own deal */
    tu_http_resp_release(&r);
    /* logout ends the session */
    req(f, "POST", "/logout", hdr, NULL, NULL, &r);
    expect(&r, 204, NULL, "logout");
    tu_http_resp_release(&r);
    req(f, "GET", "/api/v1/deals", hdr, NULL, NULL, &r);
    expect(&r, 401, "the session is not valid (unknown or expired)", "after logout");
    tu_http_resp_release(&r);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM audit_log WHERE action = 'logout'"), 1);
}

static void lockout(void **state)
{
    fixture *f = *state;
    rv_err err;
    char tok[RV_TOKEN_TEXT], csrf[RV_TOKEN_TEXT];
    assert_int_equal(rv_users_passwd(&f->t->ctx, "cs@example.com", "right password", &err), RV_OK);
    for (int i = 1; i < RV_AUTH_MAX_FAILS; i++) {
        assert_int_equal(rv_auth_login(&f->t->ctx, "cs@example.com", "wrong", tok, csrf, &err),
                         RV_EUNAUTH);
        assert_string_equal(err.message, "email or password is wrong");
    }
    /* the fifth failure locks for 15 minutes, the right password included */
    assert_int_equal(rv_auth_login(&f->t->ctx, "cs@example.com", "wrong", tok, csrf, &err),
                     RV_ELOCKED);
    assert_string_equal(err.message, "too many failed sign-ins for cs@example.com: locked until "
                                     "2023-11-14T22:28:20.000Z");
    assert_int_equal(rv_auth_login(&f->t->ctx, "cs@example.com", "right password", tok, csrf, &err),
                     RV_ELOCKED);
    tu_http_resp r;
    req(f, "POST", "/login", NULL, NULL,
        "{\"email\":\"cs@example.com\",\"password\":\"right password\"}", &r);
    assert_int_equal(r.status, 429);
    tu_http_resp_release(&r);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM audit_log WHERE action = "
                                      "'login_failed'"),
                     RV_AUTH_MAX_FAILS);
    /* 15 minutes later the right password works again */
    rv_now_set(NOW + RV_AUTH_LOCK_MS + 1);
    assert_int_equal(rv_auth_login(&f->t->ctx, "cs@example.com", "right password", tok, csrf, &err),
                     RV_OK);
    assert_true(strncmp(tok, "rvc_", 4) == 0);
    rv_now_set(NOW);
}

static void token_scopes(void **state)
{
    fixture *f = *state;
    rv_err err;
    char tok[RV_TOKEN_TEXT], h[200];
    int64_t id;
    tu_http_resp r;
    /* read scope: reads work, writes are refused */
    assert_int_equal(rv_tokens_create(&f->t->ctx, "admin@example.com", "ro", "read", tok, &id, &err),
                     RV_OK);
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", tok);
    req(f, "GET", "/api/v1/deals", h, NULL, NULL, &r);
    expect(&r, 200, NULL, "read token reads");
    tu_http_resp_release(&r);
    req(f, "POST", "/api/v1/teams", h, NULL, "{\"name\":\"Nope\"}", &r);
    expect(&r, 403, "user admin@example.com may not change teams: the token is read-only",
           "read token writes");
    tu_http_resp_release(&r);
    /* the audit log needs an admin-scope token, even for an admin */
    req(f, "GET", "/api/v1/audit_log", h, NULL, NULL, &r);
    expect(&r, 403, "user admin@example.com may not read audit_log: it needs a token with scope "
                    "admin", "audit with read token");
    tu_http_resp_release(&r);
    /* last use is recorded; a revoked token stops working */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT last_used_at FROM api_tokens WHERE id = %lld", (long long)id);
    assert_int_equal(tu_sql_int(f->t, sql), NOW);
    assert_int_equal(rv_tokens_revoke(&f->t->ctx, id, &err), RV_OK);
    req(f, "GET", "/api/v1/deals", h, NULL, NULL, &r);
    expect(&r, 401, "the API token is not valid (unknown or revoked)", "revoked");
    tu_http_resp_release(&r);
    /* stored as a hash only, with a recognisable prefix */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM api_tokens WHERE token_hash = '%s'", tok);
    assert_int_equal(tu_sql_int(f->t, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM api_tokens WHERE prefix = '%.12s'", tok);
    assert_int_equal(tu_sql_int(f->t, sql), 1);
    /* a non-admin may not make tokens */
    rv_principal p;
    rv_ctx c = f->t->ctx;
    assert_int_equal(rv_principal_load_email(&c, "rep@example.com", &p, &err), RV_OK);
    c.who = &p;
    assert_int_equal(rv_tokens_create(&c, "rep@example.com", "x", "admin", tok, &id, &err),
                     RV_EFORBIDDEN);
    assert_string_equal(err.message, "user rep@example.com (rep) may not manage API tokens");
}

static void secrets_never_leave(void **state)
{
    fixture *f = *state;
    rv_err err;
    assert_int_equal(rv_users_passwd(&f->t->ctx, "finance@example.com", "s3cret pass", &err), RV_OK);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM users WHERE password_hash LIKE "
                                      "'$argon2id$%'"),
                     2); /* admin (setup) and finance */
    tu_http_resp r;
    char h[200];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", f->token[0]);
    const char *paths[] = {"/api/v1/users", "/api/v1/users/1", "/api/v1/api_tokens",
                           "/api/v1/sessions", "/api/v1/audit_log?limit=1000",
                           "/api/v1/openapi.json"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        req(f, "GET", paths[i], h, NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        /* the audit log may say that a password changed ("(secret)"), never to what */
        bool audit = strstr(paths[i], "audit_log") != NULL;
        if ((!audit && (strstr(r.body, "password_hash") || strstr(r.body, "token_hash"))) ||
            strstr(r.body, "$argon2id$") || (audit && !strstr(r.body, "(secret)")))
            fail_msg("%s shows a secret: %.300s", paths[i], r.body);
        tu_http_resp_release(&r);
    }
    /* filtering by a secret is not possible either (no oracle) */
    req(f, "GET", "/api/v1/users?password_hash=x", h, NULL, NULL, &r);
    expect(&r, 400, "filter: users has no field 'password_hash'", "filter by secret");
    tu_http_resp_release(&r);
    /* nor writing one through the generic routes */
    req(f, "PATCH", "/api/v1/users/1", h, NULL, "{\"password_hash\":\"x\"}", &r);
    expect(&r, 400, "password_hash is secret and cannot be written here (use 'revos users passwd')",
           "write a secret");
    tu_http_resp_release(&r);
}

static void audit_rows(void **state)
{
    fixture *f = *state;
    tu_http_resp r;
    char h[200];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", f->token[1]); /* manager */
    int64_t deal = f->rec[owned_index("deals")][1][SUB];
    char path[100];
    snprintf(path, sizeof path, "/api/v1/deals/%lld", (long long)deal);
    req(f, "PATCH", path, h, NULL, "{\"next_step\":\"call them\",\"amount\":\"12.50\"}", &r);
    expect(&r, 200, NULL, "manager changes a subordinate's deal");
    tu_http_resp_release(&r);
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_log WHERE action = 'update' AND entity = 'deals' AND "
             "record_id = %lld AND actor_id = %lld AND actor = 'manager@example.com' AND changes = "
             "'{\"amount\":[\"7.00\",\"12.50\"],\"next_step\":[null,\"call them\"]}'",
             (long long)deal, (long long)f->user[1]);
    assert_int_equal(tu_sql_int(f->t, sql), 1);
    /* the audit row is in the write's transaction: a refused write leaves none */
    int64_t before = tu_sql_int(f->t, "SELECT count(*) FROM audit_log WHERE action <> 'refused'");
    req(f, "PATCH", path, h, NULL, "{\"stage_id\":\"Proposal\"}", &r); /* exit criteria */
    assert_int_equal(r.status, 422);
    tu_http_resp_release(&r);
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM audit_log WHERE action <> 'refused'"),
                     before);
    /* the audit log is for admins: GET /api/v1/audit_log */
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", f->token[0]);
    req(f, "GET", "/api/v1/audit_log?action=update&entity=deals", h, NULL, NULL, &r);
    expect(&r, 200, NULL, "admin reads audit");
    assert_non_null(strstr(r.body, "\"actor\":\"manager@example.com\""));
    tu_http_resp_release(&r);
}

/* --- the principal cache: what changes access takes effect at once ------------ */

static void get_deal(fixture *f, const char *hdr, int64_t deal, int status, const char *msg,
                     const char *what)
{
    char path[80];
    tu_http_resp r;
    snprintf(path, sizeof path, "/api/v1/deals/%lld", (long long)deal);
    req(f, "GET", path, hdr, NULL, NULL, &r);
    expect(&r, status, msg, what);
    tu_http_resp_release(&r);
}

/* GET path with header hdr: 200, X-Cache is want_cache, and whether deal
 * id is among the listed records; the body goes to body (malloc'd). */
static bool list_has(fixture *f, const char *hdr, const char *path, int64_t id,
                     const char *want_cache, char **body, const char *what)
{
    tu_http_resp r;
    char v[16];
    req(f, "GET", path, hdr, NULL, NULL, &r);
    expect(&r, 200, NULL, what);
    const char *got = tu_http_header(&r, "X-Cache", v, sizeof v);
    if (!got || strcmp(got, want_cache) != 0)
        fail_msg("%s: X-Cache %s, want %s", what, got ? got : "(none)", want_cache);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    bool found = false;
    json_t *data = json_object_get(j, "data"), *row;
    size_t i;
    json_array_foreach(data, i, row) found |= json_integer_value(json_object_get(row, "id")) == id;
    json_decref(j);
    if (body) {
        *body = malloc(r.body_len + 1);
        memcpy(*body, r.body, r.body_len + 1);
    }
    tu_http_resp_release(&r);
    return found;
}

/* A list page is answered again from the worker's cache only for the same
 * user and while nothing has been written, by any connection. */
static void list_page_cache(void **state)
{
    fixture *f = *state;
    rv_err err;
    char hm[200], hr[200], body[200];
    const char *path = "/api/v1/deals?sort=id&limit=1000";
    int di = owned_index("deals");
    int64_t subs = f->rec[di][1][SUB], own = f->rec[di][1][OWN];
    snprintf(hm, sizeof hm, "Authorization: Bearer %s\r\n", f->token[1]);
    snprintf(hr, sizeof hr, "Authorization: Bearer %s\r\n", f->token[2]);
    /* one keep-alive connection: one worker, one cache; each token's first
     * use stamps its last use (a write) before the pages are compared */
    get_deal(f, hm, subs, 200, NULL, "manager signs in");
    get_deal(f, hr, f->rec[di][2][OWN], 200, NULL, "rep signs in");
    char *first, *again;
    assert_true(list_has(f, hm, path, subs, "miss", &first, "manager, first"));
    assert_true(list_has(f, hm, path, subs, "hit", &again, "manager, again"));
    assert_string_equal(first, again);
    free(again);
    /* the same path for a rep is the rep's own page, not the manager's */
    assert_false(list_has(f, hr, path, subs, "miss", &again, "rep, same path"));
    assert_string_not_equal(first, again);
    free(again);
    free(first);
    assert_true(list_has(f, hm, path, subs, "hit", NULL, "manager, after the rep"));
    /* another connection moves the subordinate away: the page is stale */
    snprintf(body, sizeof body, "{\"manager_id\":%lld}", (long long)f->other);
    assert_int_equal(tu_try_update(f->t, "users", f->sub[1], body, &err), RV_OK);
    assert_false(list_has(f, hm, path, subs, "miss", NULL, "manager, subordinate moved"));
    assert_false(list_has(f, hm, path, subs, "hit", NULL, "manager, moved, again"));
    /* a write through this very connection (its data version stays) */
    char p2[100];
    snprintf(p2, sizeof p2, "/api/v1/deals/%lld", (long long)own);
    tu_http_resp r;
    char tok[RV_TOKEN_TEXT + 40];
    snprintf(tok, sizeof tok, "Authorization: Bearer %s\r\n", f->token[0]);
    req(f, "DELETE", p2, tok, NULL, NULL, &r);
    expect(&r, 204, NULL, "admin deletes the manager's deal");
    tu_http_resp_release(&r);
    assert_false(list_has(f, hm, path, own, "miss", NULL, "manager, own deal deleted"));
    assert_false(list_has(f, hm, path, own, "hit", NULL, "manager, deleted, again"));
}

static void principal_cache(void **state)
{
    fixture *f = *state;
    rv_err err;
    char h[200], h2[200], body[200], msg[200], sql[200];
    int di = owned_index("deals");
    /* a manager reads a subordinate's deal, the second time from the cache */
    int64_t subs = f->rec[di][1][SUB];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", f->token[1]);
    get_deal(f, h, subs, 200, NULL, "manager, subordinate's deal");
    get_deal(f, h, subs, 200, NULL, "manager, again");
    /* another connection moves the subordinate to someone else */
    snprintf(body, sizeof body, "{\"manager_id\":%lld}", (long long)f->other);
    assert_int_equal(tu_try_update(f->t, "users", f->sub[1], body, &err), RV_OK);
    snprintf(msg, sizeof msg, "user manager@example.com may not read deal %lld", (long long)subs);
    get_deal(f, h, subs, 403, msg, "after the subordinate moved");

    /* teams and settings: a rep sees a teammate's deal once rep_read_team is on */
    int64_t mate = f->rec[di][2][OTHER];
    snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", f->token[2]);
    snprintf(msg, sizeof msg, "user rep@example.com may not read deal %lld", (long long)mate);
    get_deal(f, h, mate, 403, msg, "rep, other's deal");
    assert_int_equal(tu_try_update(f->t, "users", f->user[2], "{\"team_id\":1}", &err), RV_OK);
    assert_int_equal(tu_try_update(f->t, "users", f->other, "{\"team_id\":1}", &err), RV_OK);
    get_deal(f, h, mate, 403, msg, "same team, setting off");
    assert_int_equal(tu_try_update(f->t, "settings", 1, "{\"value\":\"true\"}", &err), RV_OK);
    get_deal(f, h, mate, 200, NULL, "same team, setting on");

    /* the last-used stamp is still written, once a minute */
    char tok[RV_TOKEN_TEXT];
    int64_t id;
    assert_int_equal(rv_tokens_create(&f->t->ctx, "rep@example.com", "cache", "read", tok, &id, &err),
                     RV_OK);
    snprintf(h2, sizeof h2, "Authorization: Bearer %s\r\n", tok);
    snprintf(sql, sizeof sql, "SELECT last_used_at FROM api_tokens WHERE id = %lld", (long long)id);
    get_deal(f, h2, mate, 200, NULL, "new token");
    assert_int_equal(tu_sql_int(f->t, sql), NOW);
    rv_now_set(NOW + 30000);
    get_deal(f, h2, mate, 200, NULL, "half a minute later");
    assert_int_equal(tu_sql_int(f->t, sql), NOW);
    rv_now_set(NOW + 61000);
    get_deal(f, h2, mate, 200, NULL, "a minute later");
    assert_int_equal(tu_sql_int(f->t, sql), NOW + 61000);
    rv_now_set(NOW);

    /* revoked by another process: the CLI (another connection when this
     * build has no binary) */
    const char *bin = tu_revos_bin();
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' tokens revoke %lld >/dev/null 2>&1", bin ? bin : "",
             f->t->path, (long long)id);
    if (bin) {
        int rc = system(cmd);
        if (rc != 0)
            fail_msg("'revos tokens revoke' exited with %d", rc);
    } else {
        print_message("no revos binary: revoking through another connection\n");
        assert_int_equal(rv_tokens_revoke(&f->t->ctx, id, &err), RV_OK);
    }
    assert_int_equal(tu_sql_int(f->t, "SELECT count(*) FROM api_tokens WHERE name = 'cache' AND "
                                      "revoked_at IS NOT NULL"),
                     1);
    get_deal(f, h2, mate, 401, "the API token is not valid (unknown or revoked)", "revoked");

    /* a session ends at its expiry, cached or not */
    tu_http_resp r;
    char sess[200], hc[300];
    assert_int_equal(rv_users_passwd(&f->t->ctx, "finance@example.com", "finance pass", &err),
                     RV_OK);
    req(f, "POST", "/login", NULL, NULL,
        "{\"email\":\"finance@example.com\",\"password\":\"finance pass\"}", &r);
    expect(&r, 200, NULL, "finance signs in");
    assert_non_null(cookie_of(&r, "rv_session", sess, sizeof sess));
    tu_http_resp_release(&r);
    snprintf(hc, sizeof hc, "Cookie: rv_session=%s\r\n", sess);
    get_deal(f, hc, mate, 200, NULL, "session");
    get_deal(f, hc, mate, 200, NULL, "session, again");
    rv_now_set(NOW + RV_SESSION_TTL_MS);
    get_deal(f, hc, mate, 401, "the session has expired; sign in again", "session expired");
    rv_now_set(NOW);

    /* disabled through the API on the same connection (the same worker):
     * the worker's own write empties its cache */
    get_deal(f, h, mate, 200, NULL, "rep before being disabled");
    snprintf(h2, sizeof h2, "Authorization: Bearer %s\r\n", f->token[0]);
    snprintf(body, sizeof body, "/api/v1/users/%lld", (long long)f->user[2]);
    req(f, "PATCH", body, h2, NULL, "{\"active\":false}", &r);
    expect(&r, 200, NULL, "admin disables the rep");
    tu_http_resp_release(&r);
    get_deal(f, h, mate, 401, "user rep@example.com is disabled", "disabled");
}

/* Behind HTTPS (opts.secure_cookies) both cookies are Secure, when set
 * and when cleared. */
static void secure_cookies(void **state)
{
    fixture *f = *state;
    serve(f, true);
    tu_http_resp r;
    char sess[200], csrf[200], h[600];
    req(f, "POST", "/login", NULL, NULL,
        "{\"email\":\"admin@example.com\",\"password\":\"admin-password\"}", &r);
    expect(&r, 200, NULL, "login");
    assert_non_null(cookie_of(&r, "rv_session", sess, sizeof sess));
    assert_non_null(cookie_of(&r, "rv_csrf", csrf, sizeof csrf));
    assert_non_null(strstr(r.headers, "Set-Cookie: rv_session="));
    assert_non_null(strstr(r.headers, "; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=43200"));
    assert_non_null(strstr(r.headers, "; Path=/; SameSite=Strict; Secure; Max-Age=43200"));
    tu_http_resp_release(&r);
    snprintf(h, sizeof h, "Cookie: rv_session=%s\r\nX-CSRF-Token: %s\r\n", sess, csrf);
    req(f, "POST", "/logout", h, NULL, NULL, &r);
    expect(&r, 204, NULL, "logout");
    assert_non_null(
        strstr(r.headers, "Set-Cookie: rv_session=; Path=/; HttpOnly; SameSite=Strict; Secure; "
                          "Max-Age=0"));
    assert_non_null(strstr(r.headers, "Set-Cookie: rv_csrf=; Path=/; SameSite=Strict; Secure; "
                                      "Max-Age=0"));
    tu_http_resp_release(&r);
}


/* --- history and events follow the record they name --------------------------- */

/* Rows of a list as role (all pages of up to 1000). */
static size_t list_rows(fixture *f, int role, const char *path)
{
    tu_http_resp r;
    as_role(f, role, "GET", path, NULL, &r);
    expect(&r, 200, NULL, path);
    json_t *j = json_loads(r.body, 0, NULL);
    size_t n = json_array_size(json_object_get(j, "data"));
    json_decref(j);
    tu_http_resp_release(&r);
    return n;
}

static void history_follows_parent(void **state)
{
    fixture *f = *state;
    rv_err err;
    char sql[400], path[100], msg[200];
    /* marketing may not read accounts: a change of an account's owner is
     * hidden from them, in lists and by id */
    int64_t acct = f->rec[owned_index("accounts")][3][OWN];
    snprintf(sql, sizeof sql, "{\"owner_id\":%lld}", (long long)f->other);
    assert_int_equal(tu_try_update(f->t, "accounts", acct, sql, &err), RV_OK);
    snprintf(sql, sizeof sql,
             "SELECT max(id) FROM field_history WHERE entity = 'accounts' AND record_id = %lld",
             (long long)acct);
    int64_t change = tu_sql_int(f->t, sql);
    assert_true(change > 0);
    assert_int_equal(list_rows(f, 3, "/api/v1/field_history?entity=accounts&limit=1000"), 0);
    tu_http_resp r;
    snprintf(path, sizeof path, "/api/v1/field_history/%lld", (long long)change);
    as_role(f, 3, "GET", path, NULL, &r);
    snprintf(msg, sizeof msg, "user marketing@example.com may not read field_change %lld",
             (long long)change);
    expect(&r, 403, msg, "marketing, an account's change");
    tu_http_resp_release(&r);
    /* ... while the account's owners and their managers see it */
    as_role(f, 0, "GET", path, NULL, &r);
    expect(&r, 200, NULL, "admin, an account's change");
    tu_http_resp_release(&r);
    /* marketing reads every deal, so every deal's history */
    assert_int_equal(list_rows(f, 3, "/api/v1/field_history?entity=deals&limit=1000"),
                     tu_sql_int(f->t, "SELECT count(*) FROM field_history WHERE entity = 'deals'"));
    /* a rep: the events of their own deals, and of every user (users are
     * readable by all); counted by plain SQL */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM events WHERE entity = 'deals' AND record_id IN "
             "(SELECT id FROM deals WHERE owner_id = %lld)",
             (long long)f->user[2]);
    int64_t own = tu_sql_int(f->t, sql);
    assert_true(own >= 2); /* created, and changed */
    assert_int_equal(list_rows(f, 2, "/api/v1/events?entity=deals&limit=1000"), own);
    int64_t users = tu_sql_int(f->t, "SELECT count(*) FROM events WHERE entity = 'users'");
    assert_true(users > 0);
    assert_int_equal(list_rows(f, 2, "/api/v1/events?entity=users&limit=1000"), users);
    /* pages of one row add up to the same (the restriction is in the query) */
    size_t seen = 0;
    char cursor[300] = "";
    for (int guard = 0; guard < 100; guard++) {
        snprintf(path, sizeof path, "/api/v1/events?entity=deals&limit=1%s%s",
                 cursor[0] ? "&cursor=" : "", cursor);
        as_role(f, 2, "GET", path, NULL, &r);
        expect(&r, 200, NULL, path);
        json_t *j = json_loads(r.body, 0, NULL);
        seen += json_array_size(json_object_get(j, "data"));
        const char *next = json_string_value(json_object_get(j, "next_cursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(j);
        tu_http_resp_release(&r);
        if (!cursor[0])
            break;
    }
    assert_int_equal(seen, own);
    /* the CLI's view of a user (--as) is the same service call */
    rv_principal p;
    rv_ctx c = f->t->ctx;
    assert_int_equal(rv_principal_load_email(&c, "rep@example.com", &p, &err), RV_OK);
    c.who = &p;
    rv_list_req lr = {.ent = rv_entity_find("events"), .filters = {"entity=deals"}, .nfilters = 1};
    int64_t n = 0;
    assert_int_equal(rv_svc_count(&c, &lr, &n, &err), RV_OK);
    assert_int_equal(n, own);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_table),
        cmocka_unit_test_setup_teardown(matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(sessions_and_csrf, setup, teardown),
        cmocka_unit_test_setup_teardown(lockout, setup, teardown),
        cmocka_unit_test_setup_teardown(token_scopes, setup, teardown),
        cmocka_unit_test_setup_teardown(secrets_never_leave, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(principal_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(list_page_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(secure_cookies, setup, teardown),
        cmocka_unit_test_setup_teardown(history_follows_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
