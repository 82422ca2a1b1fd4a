/*
 * server.c - libmicrohttpd glue: listening, the per-request life cycle,
 * dispatch over the route table, bodies, errors and responses.
 *
 * Life of a request.  MHD calls the access handler several times for one
 * request: first with the headers only, then once per chunk of body, then
 * once more with no data.
 *
 *   1st call   allocate the request (its arena, output buffer), match the
 *              route, and judge what the headers alone decide: a POST or
 *              PATCH with the wrong Content-Type (415) or a Content-Length
 *              over the limit (413).  Nothing is answered on this call
 *              unless the client waits for "100 Continue" or the body is
 *              too large to be worth reading: MHD 0.9.75 sends
 *              "Connection: close" for a response queued this early
 *              (MEASUREMENTS.md), and a server that closes while a client
 *              is still sending may reset the connection before the client
 *              reads the answer.  So a refused body is read and dropped
 *              (up to 8 x max_body, at least 8 MiB) and refused after it,
 *              on a connection that stays open.
 *   chunks     append to the body buffer, capped at max_body; past the cap
 *              the rest is read and dropped and the answer is 413 (a
 *              chunked upload has no Content-Length to refuse early).
 *   last call  check UTF-8, parse JSON (jansson, with line and column in
 *              the error), take this thread's store, call the handler,
 *              queue the response.
 *   completed  MHD_OPTION_NOTIFY_COMPLETED frees the request and its arena.
 *
 * Workers: one rv_store (SQLite connection), one principal cache
 * (service/auth.h) and one cache of list pages (page_cache.c) per worker
 * thread, made on the thread's first request and recorded in the server's
 * list so that rv_api_stop() closes them after MHD has joined its threads.
 *
 * Checkpoints: the worker connections are opened without automatic
 * checkpoints (RV_STORE_NO_AUTOCHECKPOINT) and one more thread of the
 * server, with its own connection, copies the write-ahead log into the
 * database every RV_API_CHECKPOINT_MS (a PASSIVE checkpoint: it never
 * blocks a request).  Otherwise every ~1,000th log frame makes the commit
 * that crosses it copy the whole log and fsync the database on the
 * request's time: about a quarter of a lead capture's cost, and the p99 of
 * every write.  When the thread cannot start, the workers keep SQLite's
 * automatic checkpoints.
 * Both caches notice commits of other connections by themselves (the data
 * version, read inside the request's read transaction); after a request
 * that may have written through this thread's own connection (anything
 * but GET and HEAD) the dispatcher empties both.  A thread
 * finds its store through a __thread slot tagged with the server's
 * generation number, so a second server in the same process (tests) never
 * picks up a connection of the first.
 *
 * The listening socket is made here rather than by MHD so that a failure
 * says why ("address already in use") and port 0 can report the port the
 * kernel chose.
 */
#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api_internal.h"
#include "core/utf8.h"
#include "service/auth.h"

#define OUT_LIMIT ((size_t)256 << 20) /* a 1000-record page is far below this */

struct rv_api_server {
    struct MHD_Daemon *d;
    char *db_path, *bind, *currency;
    int port, threads;
    size_t max_body;
    bool secure_cookies;
    unsigned gen;
    pthread_mutex_t lock; /* guards workers */
    struct worker **workers;
    int nworkers, cap;
    rv__web *web; /* the dashboard's files (static.c), or NULL */
    /* the checkpoint thread (see the header): runs while ckpt_run */
    pthread_t ckpt;
    bool ckpt_started, ckpt_run;
    pthread_cond_t ckpt_cv; /* with lock: wakes the thread to stop */
};

#define RV_API_CHECKPOINT_MS 200

/* What a worker thread keeps between requests: its connection and the
 * principals signed in through it. */
typedef struct worker {
    rv_store *store;
    rv_auth_cache *auth;
    rv__page_cache *pages; /* list pages answered (page_cache.c) */
    rv_buf key;            /* the page key of the request at hand */
} worker;

static atomic_uint next_gen = 1;
static __thread struct {
    unsigned gen;
    worker *w;
} tls;

/* A request with its upload state. */
typedef struct conn_req {
    rv_api_req rq;
    rv_api_server *srv;
    rv_buf body;
    bool take_body; /* the route reads a JSON body */
    bool too_big;   /* the body passed max_body */
    bool answered;  /* a response is queued */
    bool too_many_args;
    size_t dropped; /* body bytes read and thrown away */
    rv_err early;   /* refused on the headers (415, 413), answered after the body */
    int early_http;
    char allow[48]; /* methods of the routes matching the path (405) */
} conn_req;

void rv_api_opts_init(rv_api_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->port = RV_API_DEFAULT_PORT;
    o->threads = RV_API_DEFAULT_THREADS;
    o->max_body = RV_API_DEFAULT_MAX_BODY;
    o->currency = "USD";
}

const char *rv__api_param(const rv_api_req *rq, const char *name)
{
    for (int i = 0; i < rq->nparams; i++)
        if (!strcmp(rq->params[i].key, name))
            return rq->params[i].value;
    return NULL;
}

/* --- routing ------------------------------------------------------------- */

/* Does path match the pattern?  "{name}" matches one non-empty segment;
 * captures go to rq when it is not NULL. */
static bool match(const char *pat, const char *path, rv_api_req *rq)
{
    const char *p = pat, *s = path;
    while (*p) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            size_t seg = strcspn(s, "/");
            if (!end || seg == 0)
                return false;
            if (rq && rq->nparams < RV__API_MAX_PARAMS) {
                rq->params[rq->nparams].key =
                    rv_arena_strndup(&rq->arena, p + 1, (size_t)(end - p - 1));
                rq->params[rq->nparams].value = rv_arena_strndup(&rq->arena, s, seg);
                rq->nparams++;
            }
            p = end + 1;
            s += seg;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

/* Find the route for method and path; on a miss fill allow with the
 * methods the path does take ("" when none: 404). */
static const rv_route *route_find(const char *method, const char *path, char *allow, size_t cap)
{
    size_t n;
    const rv_route *t = rv_api_routes(&n);
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    size_t o = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!match(t[i].path, path, NULL))
            continue;
        if (!strcmp(t[i].method, m))
            return &t[i];
        int w = snprintf(allow + o, cap - o, "%s%s", o ? ", " : "", t[i].method);
        if (w > 0 && (size_t)w < cap - o)
            o += (size_t)w;
    }
    return NULL;
}

/* --- responses ------------------------------------------------------------- */

static void write_error(rv_api_req *rq, rv_status st, const rv_err *err)
{
    rv_buf_reset(&rq->out);
    rv_jsonw_init(&rq->w, &rq->out, false);
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "error");
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "code");
    rv_jsonw_str(&rq->w, rv_status_name(st));
    rv_jsonw_key(&rq->w, "message");
    rv_jsonw_str(&rq->w, err->message[0] ? err->message : rv_status_name(st));
    rv_jsonw_key(&rq->w, "field");
    if (err->field[0])
        rv_jsonw_str(&rq->w, err->field);
    else
        rv_jsonw_null(&rq->w);
    rv_jsonw_obj_end(&rq->w);
    rv_jsonw_obj_end(&rq->w);
    rq->status = rv_status_http(st);
    rq->location = NULL;
}

static enum MHD_Result respond(struct MHD_Connection *conn, conn_req *cr)
{
    rv_api_req *rq = &cr->rq;
    size_t len;
    char *data = rv_buf_detach(&rq->out, &len);
    struct MHD_Response *resp;
    if (len == 0 || rq->status == 204) {
        free(data);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    }
    if (!resp) {
        if (len && rq->status != 204)
            free(data);
        return MHD_NO;
    }
    if (rq->status != 204)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                rq->content_type ? rq->content_type
                                                 : "application/json; charset=utf-8");
    if (rq->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rq->location);
    if (rq->status == 405 && cr->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, cr->allow);
    if (rq->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"revos\"");
    for (int i = 0; i < 2; i++)
        if (rq->set_cookie[i])
            MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rq->set_cookie[i]);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (rq->x_cache && rq->status == 200)
        MHD_add_response_header(resp, "X-Cache", rq->x_cache);
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)rq->status, resp);
    MHD_destroy_response(resp);
    cr->answered = true;
    return r;
}

/* --- bodies ---------------------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode s[0..n) ('+' is a space) into the arena. */
static char *form_decode(rv_arena *a, const char *s, size_t n)
{
    char *out = rv_arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+')
            out[o++] = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

/* An application/x-www-form-urlencoded body as a JSON object of strings. */
static json_t *form_to_json(rv_arena *a, const char *s, size_t n)
{
    json_t *obj = json_object();
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '&')
            j++;
        const char *eq = memchr(s + i, '=', j - i);
        if (j > i) {
            size_t kl = eq ? (size_t)(eq - (s + i)) : j - i;
            char *k = form_decode(a, s + i, kl);
            const char *v = eq ? form_decode(a, eq + 1, (size_t)(s + j - eq - 1)) : "";
            json_object_set_new(obj, k, json_string(v));
        }
        i = j + 1;
    }
    return obj;
}

static rv_status parse_body(conn_req *cr, rv_err *err)
{
    const char *s = cr->body.data;
    size_t n = cr->body.len;
    if (n == 0)
        return rv_err_set(err, RV_EINVAL, NULL, "request body is empty; send a JSON object");
    size_t bad = rv_utf8_bad_at(s, n);
    if (bad < n)
        return rv_err_set(err, RV_EINVAL, NULL, "request body is not valid UTF-8 (byte %zu)",
                          bad + 1);
    if (cr->rq.form) {
        cr->rq.body = form_to_json(&cr->rq.arena, s, n);
        return RV_OK;
    }
    json_error_t je;
    cr->rq.body = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (!cr->rq.body)
        return rv_err_set(err, RV_EPARSE, NULL, "malformed JSON at line %d, column %d: %s", je.line,
                          je.column, je.text);
    return RV_OK;
}

/* "application/json" with an optional charset=utf-8, any case. */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof want - 1) != 0)
        return false;
    const char *p = ct + sizeof want - 1;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return true;
    if (*p != ';')
        return false;
    p++;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return true;
    if (strncasecmp(p, "charset=", 8) != 0)
        return false;
    p += 8;
    if (*p == '"')
        p++;
    return strncasecmp(p, "utf-8", 5) == 0 && (p[5] == '\0' || p[5] == '"' || p[5] == ' ');
}

/* --- the access handler ------------------------------------------------------ */

static worker *thread_worker(rv_api_server *srv, rv_err *err)
{
    if (tls.gen == srv->gen && tls.w)
        return tls.w;
    rv_store *s;
    if (rv_store_open(&s, srv->db_path, srv->ckpt_started ? RV_STORE_NO_AUTOCHECKPOINT : 0, err))
        return NULL;
    worker *w = rv_xcalloc(1, sizeof *w);
    w->store = s;
    w->auth = rv_auth_cache_new();
    w->pages = rv__page_cache_new();
    pthread_mutex_lock(&srv->lock);
    if (srv->nworkers == srv->cap) {
        srv->cap = srv->cap ? srv->cap * 2 : 8;
        srv->workers = rv_xrealloc(srv->workers, (size_t)srv->cap * sizeof *srv->workers);
    }
    srv->workers[srv->nworkers++] = w;
    pthread_mutex_unlock(&srv->lock);
    tls.gen = srv->gen;
    tls.w = w;
    return w;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    conn_req *cr = cls;
    rv_api_req *rq = &cr->rq;
    if (rq->nargs == RV__API_MAX_ARGS) {
        cr->too_many_args = true;
        return MHD_NO;
    }
    rq->args[rq->nargs].key = rv_arena_strdup(&rq->arena, key ? key : "");
    rq->args[rq->nargs].value = value ? rv_arena_strdup(&rq->arena, value) : NULL;
    rq->nargs++;
    return MHD_YES;
}

/* The value of cookie name in a Cookie header, into the arena; NULL if absent. */
static const char *cookie_value(rv_arena *a, const char *header, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=')
            return rv_arena_strndup(a, p + nl + 1, len - nl - 1);
        p = end;
    }
    return NULL;
}

/* Who is asking: a Bearer token, or the session cookie.  RV_EUNAUTH
 * (401, with WWW-Authenticate) when neither is there or valid. */
static rv_status authenticate(rv_api_req *rq, rv_err *err)
{
    rv_status st;
    if (rq->h_auth) {
        const char *h = rq->h_auth;
        if (strncasecmp(h, "Bearer ", 7) != 0)
            return rv_err_set(err, RV_EUNAUTH, NULL,
                              "Authorization must be 'Bearer <token>' (see revos tokens create)");
        h += 7;
        while (*h == ' ')
            h++;
        st = rv_auth_bearer(&rq->ctx, h, &rq->who, err);
    } else if (rq->h_cookie && (rq->session = cookie_value(&rq->arena, rq->h_cookie, "rv_session"))) {
        st = rv_auth_session(&rq->ctx, rq->session, &rq->who, err);
    } else {
        return rv_err_set(err, RV_EUNAUTH, NULL,
                          "sign in first: send 'Authorization: Bearer <token>' or the session "
                          "cookie from POST /login");
    }
    if (st)
        return st;
    rq->ctx.who = &rq->who;
    rq->ctx.actor_id = rq->who.user_id;
    return RV_OK;
}

/* A cookie-authenticated request that changes something must carry the
 * session's CSRF token (header X-CSRF-Token or form field csrf_token). */
static rv_status check_csrf(rv_api_req *rq, rv_err *err)
{
    if (!rq->session || !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD"))
        return RV_OK;
    const char *got = rq->h_csrf;
    if (!got && rq->form && rq->body) {
        json_t *v = json_object_get(rq->body, "csrf_token");
        got = json_is_string(v) ? json_string_value(v) : NULL;
    }
    char want[RV_TOKEN_TEXT];
    rv_auth_csrf(rq->session, want);
    if (!got || strlen(got) != strlen(want) || sodium_memcmp(got, want, strlen(want)) != 0)
        return rv_err_set(err, RV_EFORBIDDEN, NULL,
                          "%s %s with a session cookie needs the CSRF token (header "
                          "X-CSRF-Token or form field csrf_token)",
                          rq->method, rq->path);
    if (rq->form && rq->body)
        json_object_del(rq->body, "csrf_token");
    return RV_OK;
}

/* Call the route's handler, or for a cached route inside a read
 * transaction answer the page kept at this snapshot's data version. */
static rv_status answer(worker *w, rv_api_req *rq, bool in_read, rv_err *err)
{
    if (!(rq->route->flags & RV_ROUTE_CACHED) || !in_read || strcmp(rq->method, "GET") != 0)
        return rq->route->fn(rq, err);
    int64_t version = rv_store_data_version(w->store);
    rv_buf_reset(&w->key);
    rv__page_key(rq, &w->key);
    if (rv__page_cache_get(w->pages, version, w->key.data, w->key.len, &rq->out)) {
        rq->x_cache = "hit";
        return RV_OK;
    }
    rq->x_cache = "miss";
    rv_status st = rq->route->fn(rq, err);
    if (!st && rq->status == 200)
        rv__page_cache_put(w->pages, version, w->key.data, w->key.len, rq->out.data,
                           rq->out.len);
    return st;
}

static void dispatch(conn_req *cr)
{
    rv_api_req *rq = &cr->rq;
    rv_api_server *srv = cr->srv;
    rv_err err;
    rv_err_clear(&err);
    rv_status st = RV_OK;
    char q[80];
    if (!rq->route) {
        const char *p = rv_err_quote(q, sizeof q, rq->path, strlen(rq->path));
        if (cr->allow[0])
            st = rv_err_set(&err, RV_EMETHOD, NULL, "%s is not allowed on '%s' (allowed: %s)",
                            rq->method, p, cr->allow);
        else
            st = rv_err_set(&err, RV_ENOTFOUND, NULL,
                            "no such path '%s' (see /api/v1/openapi.json)", p);
    } else if (cr->early_http) {
        write_error(rq, cr->early.code, &cr->early);
        rq->status = cr->early_http;
        return;
    } else if (cr->too_big) {
        st = rv_err_set(&err, RV_ETOOBIG, NULL,
                        "request body is larger than the limit of %zu bytes", srv->max_body);
    } else if (cr->too_many_args) {
        st = rv_err_set(&err, RV_EINVAL, NULL, "more than %d query parameters", RV__API_MAX_ARGS);
    } else {
        worker *w = thread_worker(srv, &err);
        /* a GET reads one snapshot, sign-in included: one read lock */
        bool read_only = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
        bool in_read = false;
        if (!w)
            st = err.code ? err.code : RV_EINTERNAL;
        if (!st) {
            rv_ctx_init(&rq->ctx, w->store, &rq->arena);
            rq->ctx.currency = srv->currency;
            rq->ctx.auth_cache = w->auth;
            rq->secure_cookies = srv->secure_cookies;
            if (read_only && !(st = rv_svc_read_begin(&rq->ctx, &err)))
                in_read = true;
        }
        if (!st && !(rq->route->flags & RV_ROUTE_PUBLIC))
            st = authenticate(rq, &err);
        if (!st && rq->route->req != RV_SHAPE_NONE)
            st = parse_body(cr, &err);
        if (!st && !(rq->route->flags & RV_ROUTE_PUBLIC))
            st = check_csrf(rq, &err);
        if (!st) {
            rq->status = rq->route->status;
            st = answer(w, rq, in_read, &err);
        }
        /* a last-used stamp due is written by rv_svc_read_end */
        bool stamps = rq->ctx.who && rq->who.touch_entity;
        if (in_read)
            rv_svc_read_end(&rq->ctx);
        /* this connection's own commits do not move its data version */
        if (w && stamps)
            rv__page_cache_clear(w->pages); /* a listed token or session changed */
        if (w && !read_only) {
            rv_auth_cache_clear(w->auth);
            rv__page_cache_clear(w->pages);
        }
        if (st == RV_EUNAUTH && (rq->route->flags & RV_ROUTE_PAGE)) {
            /* a person at a browser: to the login page */
            rv_buf_reset(&rq->out);
            rq->status = 303;
            rq->location = "/login";
            rq->content_type = "text/html; charset=utf-8";
            return;
        }
    }
    if (st) {
        if (err.code != st)
            err.code = st;
        write_error(rq, st, &err);
    }
}

/* How much of a refused body is read and dropped to keep the connection
 * (and to let a client that sends its whole body before reading see the
 * answer); beyond this the connection is closed. */
static size_t drain_max(const rv_api_server *srv)
{
    return srv->max_body * 8 > ((size_t)8 << 20) ? srv->max_body * 8 : (size_t)8 << 20;
}

/* First call of a route that reads a JSON body: refuse a wrong Content-Type
 * (415) or a Content-Length over the limit (413).  The refusal is answered
 * at once when the client waits for "100 Continue" before sending the body
 * or when the body is too large to drain; otherwise the body is read,
 * dropped, and the refusal answered after it on a connection that stays
 * open. */
static enum MHD_Result check_body_headers(struct MHD_Connection *conn, conn_req *cr)
{
    rv_api_server *srv = cr->srv;
    rv_err *err = &cr->early;
    char q[80];
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;
    if ((cr->rq.route->flags & RV_ROUTE_FORM) && ct &&
        !strncasecmp(ct, "application/x-www-form-urlencoded", 33))
        cr->rq.form = true;
    if (!is_json_type(ct) && !cr->rq.form) {
        if (ct)
            rv_err_set(err, RV_EMEDIA, NULL, "Content-Type must be application/json, got '%s'",
                       rv_err_quote(q, sizeof q, ct, strlen(ct)));
        else
            rv_err_set(err, RV_EMEDIA, NULL, "Content-Type must be application/json, got none");
        cr->early_http = rv_status_http(RV_EMEDIA);
    } else if (n > srv->max_body) {
        rv_err_set(err, RV_ETOOBIG, NULL,
                   "request body is larger than the limit of %zu bytes (Content-Length %llu)",
                   srv->max_body, n);
        cr->early_http = rv_status_http(RV_ETOOBIG);
    } else {
        cr->take_body = true;
        /* room for the announced body, but not more than 64 KiB before the
         * bytes arrive: a Content-Length alone must not pin memory */
        if (n)
            rv_buf_reserve(&cr->body, n < 65536 ? (size_t)n : 65536);
        return MHD_YES;
    }
    if ((expect && strcasecmp(expect, "100-continue") == 0) || n > drain_max(srv)) {
        write_error(&cr->rq, err->code, err);
        cr->rq.status = cr->early_http;
        return respond(conn, cr);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    rv_api_server *srv = cls;
    conn_req *cr = *con_cls;
    if (!cr) {
        cr = rv_xcalloc(1, sizeof *cr);
        cr->srv = srv;
        *con_cls = cr;
        rv_api_req *rq = &cr->rq;
        rv_arena_init(&rq->arena, 8192);
        rv_buf_init(&rq->out, OUT_LIMIT);
        rv_buf_reserve(&rq->out, 4000); /* a record or an error without regrowing */
        rv_buf_init(&cr->body, srv->max_body);
        rv_jsonw_init(&rq->w, &rq->out, false);
        rq->method = rv_arena_strdup(&rq->arena, method);
        rq->path = rv_arena_strdup(&rq->arena, url);
        rq->web = srv->web;
        rq->route = route_find(method, rq->path, cr->allow, sizeof cr->allow);
        if (rq->route) {
            match(rq->route->path, rq->path, rq);
            MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, cr);
            const char *h;
            if ((h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_AUTHORIZATION)))
                rq->h_auth = rv_arena_strdup(&rq->arena, h);
            if ((h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE)))
                rq->h_cookie = rv_arena_strdup(&rq->arena, h);
            if ((h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token")))
                rq->h_csrf = rv_arena_strdup(&rq->arena, h);
            if ((h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Source-Key")))
                rq->h_source = rv_arena_strdup(&rq->arena, h);
            if ((h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key")))
                rq->h_idem = rv_arena_strdup(&rq->arena, h);
        }
        if (rq->route && rq->route->req != RV_SHAPE_NONE)
            return check_body_headers(conn, cr);
        return MHD_YES;
    }
    if (*upload_size) {
        if (cr->answered)
            return MHD_NO; /* cannot happen: MHD reads no body after an answer */
        if (cr->take_body && !cr->too_big &&
            rv_buf_append(&cr->body, upload_data, *upload_size) != RV_OK) {
            cr->too_big = true;
            rv_buf_release(&cr->body);
        }
        if (!cr->take_body || cr->too_big) {
            cr->dropped += *upload_size;
            if (cr->dropped > drain_max(srv))
                return MHD_NO; /* not worth reading on: close the connection */
        }
        *upload_size = 0; /* consumed (or dropped) */
        return MHD_YES;
    }
    if (cr->answered)
        return MHD_YES;
    if (!cr->rq.route && srv->web && rv__web_claims(cr->rq.path)) { /* the dashboard: static.c */
        cr->answered = true;
        return rv__web_answer(srv->web, conn, cr->rq.method, cr->rq.path);
    }
    dispatch(cr);
    return respond(conn, cr);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    conn_req *cr = *con_cls;
    if (!cr)
        return;
    json_decref(cr->rq.body);
    rv_buf_release(&cr->rq.out);
    rv_buf_release(&cr->body);
    rv_arena_release(&cr->rq.arena);
    free(cr);
    *con_cls = NULL;
}

/* --- start and stop ---------------------------------------------------------- */

static rv_status listen_on(rv_api_server *srv, int *fd_out, bool *v6, rv_err *err)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", srv->port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST; /* no DNS lookups */
    int gai = getaddrinfo(srv->bind, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        char q[80];
        return rv_err_set(err, RV_EINVAL, "bind",
                          "bind address must be a numeric IPv4 or IPv6 address, got '%s'",
                          rv_err_quote(q, sizeof q, srv->bind, strlen(srv->bind)));
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return rv_err_set(err, RV_EIO, "port", "cannot listen on %s port %d: %s", srv->bind,
                          srv->port, strerror(e));
    }
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return RV_OK;
}

static void *checkpoint_loop(void *ud)
{
    rv_api_server *srv = ud;
    rv_store *s;
    rv_err e;
    if (rv_store_open(&s, srv->db_path, RV_STORE_NO_AUTOCHECKPOINT, &e)) {
        fprintf(stderr, "revos: checkpoints: %s\n", e.message);
        return NULL;
    }
    pthread_mutex_lock(&srv->lock);
    while (srv->ckpt_run) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += RV_API_CHECKPOINT_MS * 1000000L;
        t.tv_sec += t.tv_nsec / 1000000000L;
        t.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&srv->ckpt_cv, &srv->lock, &t);
        if (!srv->ckpt_run)
            break;
        pthread_mutex_unlock(&srv->lock);
        if (rv_store_checkpoint(s, NULL, &e))
            fprintf(stderr, "revos: %s\n", e.message);
        pthread_mutex_lock(&srv->lock);
    }
    pthread_mutex_unlock(&srv->lock);
    rv_store_checkpoint(s, NULL, &e); /* what the last requests wrote */
    rv_store_close(s);
    return NULL;
}

rv_status rv_api_start(const rv_api_opts *o, rv_api_server **out, rv_err *err)
{
    *out = NULL;
    if (!o->db_path || !o->db_path[0])
        return rv_err_set(err, RV_EINVAL, "db", "no database given");
    if (o->port < 0 || o->port > 65535)
        return rv_err_set(err, RV_EINVAL, "port", "port must be between 0 and 65535, got %d",
                          o->port);
    if (o->threads < 0 || o->threads > RV_API_MAX_THREADS)
        return rv_err_set(err, RV_EINVAL, "threads", "threads must be between 1 and %d, got %d",
                          RV_API_MAX_THREADS, o->threads);
    /* Open once here: a bad path or a database newer than this revos fails
     * now, not on the first request, and migrations run before any worker
     * opens its own connection. */
    rv_store *check;
    rv_status st = rv_store_open(&check, o->db_path, 0, err);
    if (st)
        return st;
    rv_store_close(check);

    rv_api_server *srv = rv_xcalloc(1, sizeof *srv);
    srv->db_path = rv_xstrdup(o->db_path);
    srv->bind = rv_xstrdup(o->bind && o->bind[0] ? o->bind : "127.0.0.1");
    srv->currency = rv_xstrdup(o->currency && o->currency[0] ? o->currency : "USD");
    srv->port = o->port;
    srv->threads = o->threads ? o->threads : RV_API_DEFAULT_THREADS;
    srv->max_body = o->max_body ? o->max_body : RV_API_DEFAULT_MAX_BODY;
    srv->secure_cookies = o->secure_cookies;
    srv->gen = atomic_fetch_add(&next_gen, 1);
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->ckpt_cv, NULL);
    srv->ckpt_run = true;
    srv->ckpt_started = pthread_create(&srv->ckpt, NULL, checkpoint_loop, srv) == 0;
    rv_api_routes(NULL); /* build the table before the threads race for it */
    if (o->web_dir && (st = rv__web_load(o->web_dir, &srv->web, err))) {
        rv_api_stop(srv);
        return st;
    }

    int fd = -1;
    bool v6 = false;
    if ((st = listen_on(srv, &fd, &v6, err))) {
        rv_api_stop(srv);
        return st;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
                              MHD_OPTION_THREAD_POOL_SIZE,
                              (unsigned)(srv->threads > 1 ? srv->threads : 0),
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!srv->d) {
        /* fd is not closed here: whether MHD already closed it on this path
         * differs between versions, and closing twice could close a
         * descriptor another thread has just opened */
        rv_api_stop(srv);
        return rv_err_set(err, RV_EIO, NULL, "cannot start the HTTP server on %s port %d", o->bind,
                          o->port);
    }
    *out = srv;
    return RV_OK;
}

int rv_api_port(const rv_api_server *s)
{
    return s->port;
}
const char *rv_api_bind(const rv_api_server *s)
{
    return s->bind;
}

void rv_api_stop(rv_api_server *s)
{
    if (!s)
        return;
    if (s->d)
        MHD_stop_daemon(s->d); /* joins the workers: no store is in use after this */
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->lock);
        s->ckpt_run = false;
        pthread_cond_signal(&s->ckpt_cv);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->ckpt, NULL);
    }
    for (int i = 0; i < s->nworkers; i++) {
        rv_store_close(s->workers[i]->store);
        rv_auth_cache_free(s->workers[i]->auth);
        rv__page_cache_free(s->workers[i]->pages);
        rv_buf_release(&s->workers[i]->key);
        free(s->workers[i]);
    }
    free(s->workers);
    rv__web_free(s->web); /* after MHD: responses point into it */
    pthread_cond_destroy(&s->ckpt_cv);
    pthread_mutex_destroy(&s->lock);
    free(s->db_path);
    free(s->bind);
    free(s->currency);
    free(s);
}
