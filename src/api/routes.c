/*
 * routes.c - the route table and its handlers.
 *
 * The table is built once from two small tables: the fixed routes
 * (/healthz, the OpenAPI document) and the five entity routes, expanded for
 * every entity of model/entity.c that allows them (READONLY entities get
 * only the GET routes, APPEND ones no PATCH or DELETE).  Each row carries
 * what the OpenAPI document needs (shapes, statuses, summary), so the
 * dispatcher and the document read the same rows.
 *
 * Handlers are thin on purpose: parse what HTTP gives (path id, query
 * parameters, JSON body already parsed by the dispatcher), call one
 * service function - the same one the CLI calls - and write the result.
 * No rule of the business lives here; a failed service call has already
 * rolled back, so the handler only reports it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "service/auth.h"

/* --- handlers -------------------------------------------------------------- */

rv_status rv__api_parse_id(rv_api_req *rq, int64_t *id, rv_err *err)
{
    const char *s = rv__api_param(rq, "id");
    char q[80];
    size_t n = s ? strlen(s) : 0;
    int64_t v = 0;
    bool ok = n > 0 && n <= 18;
    for (size_t i = 0; ok && i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            ok = false;
        else
            v = v * 10 + (s[i] - '0');
    }
    if (!ok || v <= 0)
        return rv_err_set(err, RV_EINVAL, "id", "id must be a positive integer, got '%s'",
                          rv_err_quote(q, sizeof q, s ? s : "", n));
    *id = v;
    return RV_OK;
}

static rv_status h_health(rv_api_req *rq, rv_err *err)
{
    (void)err;
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "status");
    rv_jsonw_str(&rq->w, "ok");
    rv_jsonw_obj_end(&rq->w);
    return RV_OK;
}

/* The front page: the dashboard when the server has it (static.c), else
 * what is in the database and where the API is. */
static rv_status h_home(rv_api_req *rq, rv_err *err)
{
    rq->content_type = "text/html; charset=utf-8";
    if (rq->web)
        return rv__web_index(rq->web, &rq->out);
    rv_buf *b = &rq->out;
    rv_buf_puts(b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<title>revos</title><style>body{font:15px/1.5 system-ui,sans-serif;"
                   "margin:2rem auto;max-width:46rem;color:#1d2330}table{border-collapse:collapse}"
                   "td{padding:.2rem 1.2rem .2rem 0}td.n{text-align:right;font-variant-numeric:"
                   "tabular-nums}a{color:#2456c7}</style></head><body><h1>revos</h1>"
                   "<p>Revenue operations on one source of truth. The JSON API is under "
                   "<a href=\"/api/v1/openapi.json\">/api/v1</a>.</p><table>"
                   "<tr><th align=left>records</th><th></th></tr>");
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        if (rq->ctx.who && (!strcmp(rv_access_scope(e, rq->ctx.who->role, false), "none") ||
                            (!strcmp(e->name, "audit_log") && rq->ctx.who->scope != RV_TOKEN_NONE &&
                             rq->ctx.who->scope != RV_TOKEN_ADMIN)))
            continue; /* not theirs to see, not even as a count */
        rv_list_req req = {.ent = e};
        int64_t n = 0;
        rv_status st = rv_svc_count(&rq->ctx, &req, &n, err);
        if (st)
            return st;
        rv_buf_printf(b, "<tr><td><a href=\"/api/v1/%s\">%s</a></td><td class=n>%lld</td></tr>",
                      e->name, e->name, (long long)n);
    }
    rv_buf_puts(b, "</table><p><a href=\"/healthz\">/healthz</a></p></body></html>\n");
    return RV_OK;
}

/* GET /login: the sign-in form (posts a form to POST /login). */
static rv_status h_login_page(rv_api_req *rq, rv_err *err)
{
    (void)err;
    rq->content_type = "text/html; charset=utf-8";
    rv_buf_puts(&rq->out,
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>Sign in - revos</title><style>body{font:15px/1.5 system-ui,sans-serif;"
                "margin:4rem auto;max-width:22rem;color:#1d2330}label{display:block;margin:.6rem 0}"
                "input{width:100%;padding:.4rem;font:inherit}button{margin-top:.8rem;padding:.4rem "
                "1.2rem;font:inherit}</style></head><body><h1>revos</h1>"
                "<form method=\"post\" action=\"/login\">"
                "<label>Email <input name=\"email\" type=\"email\" autocomplete=\"username\" "
                "required autofocus></label>"
                "<label>Password <input name=\"password\" type=\"password\" "
                "autocomplete=\"current-password\" required></label>"
                "<button type=\"submit\">Sign in</button></form></body></html>\n");
    return RV_OK;
}

static const char *body_str(rv_api_req *rq, const char *key)
{
    json_t *v = json_object_get(rq->body, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The two cookies of a session (values "" and max_age 0 clear them);
 * Secure when the server is behind HTTPS. */
static void set_cookies(rv_api_req *rq, const char *session, const char *csrf, long max_age)
{
    const char *secure = rq->secure_cookies ? "; Secure" : "";
    rq->set_cookie[0] = rv_arena_printf(&rq->arena,
                                        "rv_session=%s; Path=/; HttpOnly; SameSite=Strict%s; "
                                        "Max-Age=%ld",
                                        session, secure, max_age);
    rq->set_cookie[1] = rv_arena_printf(&rq->arena, "rv_csrf=%s; Path=/; SameSite=Strict%s; Max-Age=%ld",
                                        csrf, secure, max_age);
}

/* POST /login {email, password} (JSON or form): a session cookie. */
static rv_status h_login(rv_api_req *rq, rv_err *err)
{
    char token[RV_TOKEN_TEXT], csrf[RV_TOKEN_TEXT];
    const char *email = body_str(rq, "email"), *pw = body_str(rq, "password");
    rv_status st = rv_auth_login(&rq->ctx, email, pw, token, csrf, err);
    if (st)
        return st;
    set_cookies(rq, token, csrf, (long)(RV_SESSION_TTL_MS / 1000));
    if (rq->form) { /* a browser: on to the front page */
        rq->status = 303;
        rq->location = "/";
        rq->content_type = "text/html; charset=utf-8";
        return RV_OK;
    }
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "user");
    rv_jsonw_str(&rq->w, email);
    rv_jsonw_key(&rq->w, "csrf_token");
    rv_jsonw_str(&rq->w, csrf);
    rv_jsonw_obj_end(&rq->w);
    return RV_OK;
}

/* POST /logout: end the session (cookie) and clear the cookies. */
static rv_status h_logout(rv_api_req *rq, rv_err *err)
{
    rv_status st = rq->session ? rv_auth_logout(&rq->ctx, rq->session, err) : RV_OK;
    if (st)
        return st;
    set_cookies(rq, "", "", 0);
    return RV_OK;
}

static rv_status h_openapi(rv_api_req *rq, rv_err *err)
{
    (void)err;
    rv__api_openapi_write(&rq->out);
    return RV_OK;
}

static int write_row(void *ud, const rv_record *r)
{
    rv_api_req *rq = ud;
    rv_record_to_json(r, &rq->w);
    return 0;
}

/* One query parameter that may be given only once. */
static rv_status once(const char **slot, const rv__kv *kv, rv_err *err)
{
    if (*slot)
        return rv_err_set(err, RV_EINVAL, kv->key, "%s is given more than once", kv->key);
    *slot = kv->value ? kv->value : "";
    return RV_OK;
}

/* GET /api/v1/{entity}?filter=F&...&FIELD=value&sort=-F&limit=N&cursor=C */
static rv_status h_list(rv_api_req *rq, rv_err *err)
{
    rv_list_req req;
    memset(&req, 0, sizeof req);
    req.ent = rq->route->ent;
    const char *limit = NULL;
    int nf = 0;
    rv_status st;
    for (int i = 0; i < rq->nargs; i++) {
        const rv__kv *kv = &rq->args[i];
        const char *f = NULL;
        if (!strcmp(kv->key, "sort")) {
            if ((st = once(&req.sort, kv, err)))
                return st;
            continue;
        }
        if (!strcmp(kv->key, "limit")) {
            if ((st = once(&limit, kv, err)))
                return st;
            continue;
        }
        if (!strcmp(kv->key, "cursor")) {
            if ((st = once(&req.cursor, kv, err)))
                return st;
            continue;
        }
        if (!strcmp(kv->key, "filter"))
            f = kv->value ? kv->value : "";
        else /* FIELD=value is shorthand for filter=FIELD=value */
            f = rv_arena_printf(&rq->arena, "%s=%s", kv->key, kv->value ? kv->value : "");
        if (nf == RV_QUERY_MAX_FILTERS)
            return rv_err_set(err, RV_EINVAL, "filter", "at most %d filters", RV_QUERY_MAX_FILTERS);
        req.filters[nf++] = f;
    }
    req.nfilters = nf;
    if (limit) {
        char *end, q[80];
        long v = strtol(limit, &end, 10);
        if (!limit[0] || *end || v < 1 || v > 1000)
            return rv_err_set(err, RV_EINVAL, "limit", "limit must be between 1 and 1000, got '%s'",
                              rv_err_quote(q, sizeof q, limit, strlen(limit)));
        req.limit = (int)v;
    }
    rv_list_page page;
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "data");
    rv_jsonw_arr_begin(&rq->w);
    if ((st = rv_svc_list(&rq->ctx, &req, write_row, rq, &page, err)))
        return st;
    rv_jsonw_arr_end(&rq->w);
    rv_jsonw_key(&rq->w, "next_cursor");
    if (page.more)
        rv_jsonw_str(&rq->w, page.next_cursor);
    else
        rv_jsonw_null(&rq->w);
    rv_jsonw_obj_end(&rq->w);
    return RV_OK;
}

static rv_status h_get(rv_api_req *rq, rv_err *err)
{
    int64_t id;
    rv_record r;
    rv_status st;
    if ((st = rv__api_parse_id(rq, &id, err)) || (st = rv_svc_get(&rq->ctx, rq->route->ent, id, &r, err)))
        return st;
    rv_record_to_json(&r, &rq->w);
    return RV_OK;
}

static rv_status h_create(rv_api_req *rq, rv_err *err)
{
    rv_record r;
    rv_record_init(&r, rq->route->ent);
    rv_status st;
    if ((st = rv_record_from_json(&r, rq->body, false, &rq->arena, err)) ||
        (st = rv_svc_create(&rq->ctx, &r, err)))
        return st;
    rv_record_to_json(&r, &rq->w);
    rq->location = rv_arena_printf(&rq->arena, "/api/v1/%s/%lld", r.ent->name, (long long)r.id);
    return RV_OK;
}

static rv_status h_update(rv_api_req *rq, rv_err *err)
{
    rv_record changes, out;
    rv_record_init(&changes, rq->route->ent);
    rv_status st;
    if ((st = rv__api_parse_id(rq, &changes.id, err)) ||
        (st = rv_record_from_json(&changes, rq->body, false, &rq->arena, err)) ||
        (st = rv_svc_update(&rq->ctx, &changes, &out, err)))
        return st;
    rv_record_to_json(&out, &rq->w);
    return RV_OK;
}

static rv_status h_delete(rv_api_req *rq, rv_err *err)
{
    int64_t id;
    rv_status st;
    if ((st = rv__api_parse_id(rq, &id, err)) || (st = rv_svc_delete(&rq->ctx, rq->route->ent, id, err)))
        return st;
    return RV_OK;
}

/* --- the table ----------------------------------------------------------- */

static const int e_none[] = {500, 0};
static const int e_auth[] = {401, 500, 0};
static const int e_login[] = {400, 401, 415, 429, 500, 0};
static const int e_logout[] = {401, 403, 500, 0};
static const int e_list[] = {400, 401, 403, 422, 500, 0};
static const int e_get[] = {400, 401, 403, 404, 500, 0};
static const int e_create[] = {400, 401, 403, 409, 413, 415, 422, 500, 503, 0};
static const int e_update[] = {400, 401, 403, 404, 409, 413, 415, 422, 500, 503, 0};
static const int e_delete[] = {400, 401, 403, 404, 409, 500, 503, 0};
static const int e_capture[] = {200, 400, 401, 413, 415, 422, 429, 500, 503, 0};

static const rv_route fixed[] = {
    {"GET", "/", h_home, NULL, "home", "Front page: the dashboard (or record counts and links)", RV_SHAPE_NONE,
     RV_SHAPE_HTML, 200, e_none, RV_ROUTE_PAGE},
    {"GET", "/healthz", h_health, NULL, "health", "Liveness check", RV_SHAPE_NONE, RV_SHAPE_HEALTH,
     200, e_none, RV_ROUTE_PUBLIC},
    {"GET", "/api/v1/openapi.json", h_openapi, NULL, "openapi",
     "This API described as an OpenAPI 3.0 document", RV_SHAPE_NONE, RV_SHAPE_DOC, 200, e_auth, 0},
    {"GET", "/login", h_login_page, NULL, "loginPage", "The sign-in page", RV_SHAPE_NONE,
     RV_SHAPE_HTML, 200, e_none, RV_ROUTE_PUBLIC},
    {"POST", "/login", h_login, NULL, "login",
     "Sign in with email and password: sets the session cookie (HttpOnly, SameSite=Strict)",
     RV_SHAPE_LOGIN, RV_SHAPE_LOGIN, 200, e_login, RV_ROUTE_PUBLIC | RV_ROUTE_FORM},
    {"POST", "/logout", h_logout, NULL, "logout", "End the session and clear its cookies",
     RV_SHAPE_NONE, RV_SHAPE_NONE, 204, e_logout, RV_ROUTE_FORM},
    {"GET", "/api/v1/reports", rv__api_reports_list, NULL, "listReports",
     "Every metric with its unit, formula and dimensions, and every dimension", RV_SHAPE_NONE,
     RV_SHAPE_REPORT, 200, e_auth, 0},
    {"GET", "/api/v1/reports/{metric}", rv__api_report, NULL, "getReport",
     "A metric, grouped by dimensions, over a window, for the records the caller may read",
     RV_SHAPE_NONE, RV_SHAPE_REPORT, 200, e_get, RV_ROUTE_REPORT_QUERY},
    {"GET", "/api/v1/reports/{metric}/records", rv__api_report_records, NULL, "getReportRecords",
     "The records behind a metric's number (drill-down)", RV_SHAPE_NONE, RV_SHAPE_REPORT, 200,
     e_get, RV_ROUTE_REPORT_QUERY},
    {"POST", "/api/v1/leads/capture", rv__api_capture, NULL, "captureLead",
     "Capture a lead from a web form or integration (X-Source-Key; Idempotency-Key): "
     "normalise, match, score, route, first-touch task; 200 when a retry or an open lead of "
     "the same person answers",
     RV_SHAPE_CAPTURE, RV_SHAPE_CAPTURE, 201, e_capture, RV_ROUTE_PUBLIC | RV_ROUTE_FORM},
    {"GET", "/api/v1/leads/{id}/score", rv__api_lead_score, NULL, "getLeadScore",
     "A lead's predicted conversion probability and the factors raising and lowering it",
     RV_SHAPE_NONE, RV_SHAPE_SCORE, 200, e_get, 0},
    {"POST", "/api/v1/score/train", rv__api_score_train, NULL, "trainScoreModel",
     "Train a lead conversion model on the outcomes so far; it becomes active only when it "
     "validates better than the active one",
     RV_SHAPE_NONE, RV_SHAPE_SCORE, 201, e_list, RV_ROUTE_TRAIN_QUERY},
    {"GET", "/api/v1/warnings", rv__api_warnings, NULL, "listWarnings",
     "Early warnings: stalled deals, deals past close date, low coverage, reps behind pace, "
     "conversion drops, leads past their follow-up SLA",
     RV_SHAPE_NONE, RV_SHAPE_REPORT, 200, e_auth, 0},
    {"GET", "/api/v1/dedupe/{entity}", rv__api_dedupe_scan, NULL, "scanDuplicates",
     "Duplicate accounts, contacts or leads among those the caller may read: pairs with their "
     "probability and field-by-field evidence, and clusters",
     RV_SHAPE_NONE, RV_SHAPE_DEDUPE, 200, e_get, RV_ROUTE_DEDUPE_QUERY},
    {"POST", "/api/v1/dedupe/{entity}/merge", rv__api_dedupe_merge, NULL, "mergeDuplicates",
     "Merge record `merged` into record `keep` with survivorship rules; every row referring to "
     "it is re-pointed; undo with POST /api/v1/merges/{id}/undo",
     RV_SHAPE_NONE, RV_SHAPE_DEDUPE, 200, e_update, RV_ROUTE_DEDUPE_QUERY},
    {"POST", "/api/v1/merges/{id}/undo", rv__api_dedupe_undo, NULL, "undoMerge",
     "Undo a merge: the merged record, its references and the survivor as they were",
     RV_SHAPE_NONE, RV_SHAPE_DEDUPE, 200, e_update, 0},
};

/* Entity routes, under /api/v1/{entity name}.  `skip` lists the entity
 * flags that exclude the route. */
static const struct entity_route {
    const char *method, *suffix, *verb; /* verb: operationId prefix */
    rv_api_fn fn;
    bool plural;            /* operationId/summary use the plural */
    const char *pre, *post; /* summary: pre + entity name + post */
    rv_api_shape req, resp;
    int status;
    const int *errors;
    unsigned flags, skip;
} entity_routes[] = {
    {"GET", "", "list", h_list, true, "List ", " (filters, sort, cursor pages)", RV_SHAPE_NONE,
     RV_SHAPE_LIST, 200, e_list, RV_ROUTE_LIST_QUERY | RV_ROUTE_CACHED, 0},
    {"POST", "", "create", h_create, false, "Create a ", "", RV_SHAPE_RECORD, RV_SHAPE_RECORD, 201,
     e_create, 0, RV_ENT_READONLY},
    {"GET", "/{id}", "get", h_get, false, "Get a ", " by id", RV_SHAPE_NONE, RV_SHAPE_RECORD, 200,
     e_get, 0, 0},
    {"PATCH", "/{id}", "update", h_update, false, "Change some fields of a ", "", RV_SHAPE_PATCH,
     RV_SHAPE_RECORD, 200, e_update, 0, RV_ENT_READONLY | RV_ENT_APPEND},
    {"DELETE", "/{id}", "delete", h_delete, false, "Delete a ", "", RV_SHAPE_NONE, RV_SHAPE_NONE,
     204, e_delete, 0, RV_ENT_READONLY | RV_ENT_APPEND},
};

#define N_ENTITY_ROUTES (sizeof entity_routes / sizeof entity_routes[0])
#define MAX_ROUTES (sizeof fixed / sizeof fixed[0] + N_ENTITY_ROUTES * 64)
#define TEXT_MAX 96

static rv_route table[MAX_ROUTES];
static char texts[MAX_ROUTES][3][TEXT_MAX]; /* path, op_id, summary of each row */
static size_t ntable;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void)
{
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        table[ntable++] = fixed[i];
    for (int k = 0; rv_entities[k] && k < 64; k++) {
        const rv_entity *e = rv_entities[k];
        for (size_t i = 0; i < N_ENTITY_ROUTES; i++) {
            const struct entity_route *t = &entity_routes[i];
            if (e->flags & t->skip)
                continue;
            char(*tx)[TEXT_MAX] = texts[ntable];
            const char *noun = t->plural ? e->name : e->one;
            snprintf(tx[0], TEXT_MAX, "/api/v1/%s%s", e->name, t->suffix);
            rv__api_camel(tx[1], TEXT_MAX, t->verb, noun, "");
            snprintf(tx[2], TEXT_MAX, "%s%s%s", t->pre, noun, t->post);
            table[ntable++] = (rv_route){t->method, tx[0],   t->fn,     e,         tx[1],   tx[2],
                                         t->req,    t->resp, t->status, t->errors, t->flags};
        }
    }
}

const rv_route *rv_api_routes(size_t *n)
{
    pthread_once(&table_once, build_table);
    if (n)
        *n = ntable;
    return table;
}

void rv__api_camel(char *out, size_t cap, const char *prefix, const char *name, const char *suffix)
{
    size_t o = (size_t)snprintf(out, cap, "%s", prefix);
    bool up = true;
    for (const char *p = name; *p && o + 1 < cap; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        out[o++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        up = false;
    }
    out[o] = '\0';
    snprintf(out + o, cap - o, "%s", suffix);
}
