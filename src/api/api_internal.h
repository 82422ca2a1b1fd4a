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

#include "api/api.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "service/service.h"

#define RV__API_MAX_PARAMS 4 /* {name} captures of one path */
#define RV__API_MAX_ARGS 64  /* query parameters of one request */

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
};

/* Value of path capture name, or NULL. */
const char *rv__api_param(const rv_api_req *rq, const char *name);

/* prefix + name in CamelCase + suffix: ("list", "deal_products", "") ->
 * "listDealProducts", ("", "deal", "Update") -> "DealUpdate". */
void rv__api_camel(char *out, size_t cap, const char *prefix, const char *name, const char *suffix);

/* The OpenAPI document (openapi.c), written into b. */
void rv__api_openapi_write(rv_buf *b);

#endif
