/*
 * api_internal.h - names shared by the files of src/api: the request as
 * the dispatcher (server.c) hands it to the handlers (routes.c).
 *
 * Ownership: everything a handler allocates comes from rq->arena, which
 * lives until MHD reports the request complete.  The body (rq->body) is
 * owned by the request and released with it.
 */
#ifndef RV_API_INTERNAL_H
#define RV_API_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "service/service.h"

#define RV__API_MAX_PARAMS 4 /* {name} captures of one path */
#define RV__API_MAX_ARGS 64  /* query parameters of one request */

/* The dashboard's built files, loaded once (static.c). */
typedef struct rv__web rv__web;

typedef struct rv__kv {
    const char *key, *value; /* value NULL for "?key" without '=' */
} rv__kv;

struct rv_api_req {
    const rv_route *route;
    const char *method, *path;
    rv__kv params[RV__API_MAX_PARAMS]; /* path captures, in pattern order */
    int nparams;
    rv__kv args[RV__API_MAX_ARGS]; /* query parameters, in request order */
    int nargs;
    json_t *body; /* parsed JSON body (req shape RECORD/PATCH) */
    rv_arena arena;
    rv_ctx ctx; /* service context on this thread's store */
    rv_principal who; /* the signed-in user (ctx.who points here) */
    /* request headers the dispatcher needs (arena copies, or NULL) */
    const char *h_auth, *h_cookie, *h_csrf;
    const char *h_source, *h_idem; /* X-Source-Key, Idempotency-Key (lead capture) */
    bool form;           /* the body was a form, not JSON */
    const char *session; /* the rv_session cookie's value, or NULL */
    const char *set_cookie[2]; /* Set-Cookie headers of the response */
    bool secure_cookies;       /* add Secure to them (served behind HTTPS) */
    /* output */
    int status;
    rv_buf out;
    rv_jsonw w;
    const char *location; /* Location header (201), or NULL */
    const char *content_type; /* NULL: application/json */
    const char *x_cache;      /* X-Cache header: "hit" or "miss" (cached routes), or NULL */
    const rv__web *web;       /* the dashboard's files, or NULL (static.c) */
};

/* --- encoded list pages per worker (page_cache.c) --------------------------- */

typedef struct rv__page_cache rv__page_cache;
rv__page_cache *rv__page_cache_new(void);
void rv__page_cache_clear(rv__page_cache *pc); /* NULL ok */
void rv__page_cache_free(rv__page_cache *pc);  /* NULL ok */
/* Append the cache key of rq (signed-in user, role, token scope, path and
 * every query parameter in order) to key. */
void rv__page_key(const rv_api_req *rq, rv_buf *key);
/* Copy the page kept for key at data version `version` into out (replacing
 * its contents); false when there is none.  A version other than the
 * cache's empties it. */
bool rv__page_cache_get(rv__page_cache *pc, int64_t version, const char *key, size_t klen,
                        rv_buf *out);
/* Keep a copy of body as the page of key at version (not kept when larger
 * than the cache's per-page cap). */
void rv__page_cache_put(rv__page_cache *pc, int64_t version, const char *key, size_t klen,
                        const char *body, size_t len);

/* Value of path capture name, or NULL. */
const char *rv__api_param(const rv_api_req *rq, const char *name);

/* prefix + name in CamelCase + suffix: ("list", "deal_products", "") ->
 * "listDealProducts", ("", "deal", "Update") -> "DealUpdate". */
void rv__api_camel(char *out, size_t cap, const char *prefix, const char *name, const char *suffix);

/* The OpenAPI document (openapi.c), written into b. */
void rv__api_openapi_write(rv_buf *b);

/* Report endpoints (report_routes.c). */
rv_status rv__api_reports_list(rv_api_req *rq, rv_err *err);
rv_status rv__api_report(rv_api_req *rq, rv_err *err);
rv_status rv__api_report_records(rv_api_req *rq, rv_err *err);
rv_status rv__api_warnings(rv_api_req *rq, rv_err *err);
/* dedupe_routes.c */
rv_status rv__api_dedupe_scan(rv_api_req *rq, rv_err *err);
rv_status rv__api_dedupe_merge(rv_api_req *rq, rv_err *err);
rv_status rv__api_dedupe_undo(rv_api_req *rq, rv_err *err);

/* POST /api/v1/leads/capture (lead_routes.c). */
rv_status rv__api_capture(rv_api_req *rq, rv_err *err);

/* Scoring endpoints (score_routes.c). */
rv_status rv__api_lead_score(rv_api_req *rq, rv_err *err);
rv_status rv__api_score_train(rv_api_req *rq, rv_err *err);
/* Path capture "id" as a positive integer (routes.c). */
rv_status rv__api_parse_id(rv_api_req *rq, int64_t *id, rv_err *err);

/* --- the dashboard's files (static.c) ------------------------------------- */

/* Read dir/index.html and the regular files of dir/assets into memory.
 * Errors: RV_EIO (no such folder, no index.html, unreadable), RV_EINVAL
 * (too many or too large files, not a regular file); the message names
 * the path.  Free with rv__web_free (NULL is a no-op). */
rv_status rv__web_load(const char *dir, rv__web **out, rv_err *err);
void rv__web_free(rv__web *w);
/* Files loaded, index.html included (0 for NULL). */
int rv__web_count(const rv__web *w);
/* Append index.html to out. */
rv_status rv__web_index(const rv__web *w, rv_buf *out);
/* Is path one of the dashboard's files ("/assets/...")? */
bool rv__web_claims(const char *path);
/* Queue the answer for a claimed path: the file (200, cached for a year),
 * 404 for a name that is not loaded, 405 for a method other than GET and
 * HEAD. */
enum MHD_Result rv__web_answer(const rv__web *w, struct MHD_Connection *conn, const char *method,
                               const char *path);

#endif
