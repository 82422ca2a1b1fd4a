/*
 * api.h - the JSON REST API: `revos serve`.
 *
 * The server is libmicrohttpd (MEASUREMENTS.md: at the throughput ceiling
 * of the libraries measured, with the simplest stable API) run with its
 * internal epoll thread pool.  Request bodies are parsed by jansson (exact
 * int64, errors with line and column); responses are written by our
 * streaming writer (core/jsonw.h) straight into the response buffer.
 *
 * Routes are rows of one table (routes.c), generated once from the entity
 * table: GET /healthz, GET /api/v1/openapi.json, and for every entity
 *
 *     GET    /api/v1/{entity}        list (filter, sort, limit, cursor)
 *     POST   /api/v1/{entity}        create                 not READONLY
 *     GET    /api/v1/{entity}/{id}   get
 *     PATCH  /api/v1/{entity}/{id}   partial update         not READONLY/APPEND
 *     DELETE /api/v1/{entity}/{id}   delete                 not READONLY/APPEND
 *
 * The dispatcher and the OpenAPI document both walk that table, so the
 * document cannot describe a route that does not exist or miss one that
 * does.  Handlers are thin: they turn the request into a call of the
 * service layer (service/service.h), the very functions the CLI calls, and
 * write the result; every rule lives below them.
 *
 * Errors are {"error":{"code":"<rv_status_name>","message":"...",
 * "field":"..."|null}} with rv_status_http(code) as the HTTP status.
 *
 * Authentication (docs/access.md): every route except those flagged
 * RV_ROUTE_PUBLIC (/healthz, the login page and POST /login) needs
 * "Authorization: Bearer <API token>" or the session cookie rv_session
 * set by POST /login; without either the answer is 401 with
 * "WWW-Authenticate: Bearer".  A request authenticated by the cookie that
 * changes something (POST, PATCH, DELETE) must also send the session's
 * CSRF token, in the X-CSRF-Token header or a csrf_token form field (the
 * login answer and the readable cookie rv_csrf carry it); otherwise 403.
 * The user's role and token scope then decide, in the service layer, what
 * the request may see and change.  Behind an HTTPS proxy
 * (opts.secure_cookies) both cookies carry the Secure attribute.
 *
 * Threading: each worker thread of the pool opens its own rv_store (one
 * SQLite connection) on its first request and keeps it until
 * rv_api_stop(), so readers never wait on each other; writers are
 * serialised by SQLite (WAL, busy timeout).  Every request has its own
 * rv_arena, released when MHD reports the request complete.
 */
#ifndef RV_API_H
#define RV_API_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "model/entity.h"

#define RV_API_DEFAULT_PORT 8080
#define RV_API_DEFAULT_THREADS 2
#define RV_API_MAX_THREADS 64
#define RV_API_DEFAULT_MAX_BODY ((size_t)1 << 20) /* 1 MiB */

typedef struct rv_api_opts {
    const char *db_path;  /* an existing revos database (required) */
    const char *bind;     /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
    int port;             /* 0: any free port (see rv_api_port) */
    int threads;          /* worker threads, 1..RV_API_MAX_THREADS; 0: 2 */
    size_t max_body;      /* largest request body in bytes; 0: 1 MiB */
    const char *currency; /* default currency of money fields; NULL: USD */
    const char *web_dir;  /* the built dashboard (index.html, assets/); NULL: none */
    bool secure_cookies;  /* behind HTTPS: the session cookies carry Secure */
} rv_api_opts;

typedef struct rv_api_server rv_api_server;

/* Fill o with the defaults above (db_path NULL). */
void rv_api_opts_init(rv_api_opts *o);

/* Open the database once (to check it and apply migrations), bind and
 * listen, and start the worker threads.  The options are copied.  Errors:
 * RV_EINVAL for a bad option, RV_EIO when the address cannot be bound
 * (message names address and port) or web_dir cannot be read, or the
 * store's error for the database. */
rv_status rv_api_start(const rv_api_opts *o, rv_api_server **out, rv_err *err);
/* The port actually listened on (the kernel's choice for port 0). */
int rv_api_port(const rv_api_server *s);
/* The bound address as given ("127.0.0.1"). */
const char *rv_api_bind(const rv_api_server *s);
/* Stop accepting, finish the requests in flight, join the threads, close
 * every store and free s.  NULL is a no-op. */
void rv_api_stop(rv_api_server *s);

/* --- the route table ------------------------------------------------------ */

/* What a route takes and gives, for the dispatcher and the OpenAPI
 * document. */
typedef enum rv_api_shape {
    RV_SHAPE_NONE,   /* no body */
    RV_SHAPE_HEALTH, /* {"status":"ok"} */
    RV_SHAPE_DOC,    /* the OpenAPI document */
    RV_SHAPE_HTML,   /* a page for people (text/html) */
    RV_SHAPE_RECORD, /* one record of the route's entity (all required fields) */
    RV_SHAPE_PATCH,  /* some fields of the route's entity */
    RV_SHAPE_LIST,   /* {"data":[records],"next_cursor":"..."|null} */
    RV_SHAPE_LOGIN,  /* request {email,password} (JSON or form); response {user,csrf_token} */
    RV_SHAPE_REPORT, /* a report or catalogue: {"data":[rows], ...} (docs/metrics.md) */
    RV_SHAPE_CAPTURE, /* request: lead fields (JSON or form); response: the capture's result */
    RV_SHAPE_DEDUPE, /* duplicate pairs with evidence, or a merge (docs/dedupe.md) */
    RV_SHAPE_SCORE,  /* a lead's score with its factors, or a trained model (docs/scoring.md) */
} rv_api_shape;

enum {
    RV_ROUTE_LIST_QUERY = 1u << 0, /* takes filter, sort, limit, cursor, FIELD=value */
    RV_ROUTE_REPORT_QUERY = 1u << 7, /* takes by, period, from, to, compare, DIMENSION=value */
    RV_ROUTE_PUBLIC = 1u << 1,     /* answered without a session or token */
    RV_ROUTE_FORM = 1u << 2,       /* body may also be application/x-www-form-urlencoded */
    RV_ROUTE_PAGE = 1u << 3,       /* a page for people: unauthenticated -> 303 to /login */
    RV_ROUTE_DEDUPE_QUERY = 1u << 9, /* takes threshold, or keep, merged, rule, sources (merge) */
    RV_ROUTE_CACHED = 1u << 8,     /* a GET whose 200 answer a worker keeps until the data
                                    * changes (page_cache.c); answers carry X-Cache */
    RV_ROUTE_TRAIN_QUERY = 1u << 10, /* takes exclude, model, folds, seed (scoring) */
};

/* A request as handlers see it (api_internal.h). */
typedef struct rv_api_req rv_api_req;
/* Handle rq: on success write the response body into the request's output
 * and set its status; on failure fill err (the dispatcher writes it). */
typedef rv_status (*rv_api_fn)(rv_api_req *rq, rv_err *err);

typedef struct rv_route {
    const char *method; /* "GET", "POST", "PATCH", "DELETE" */
    const char *path;   /* pattern; "{name}" matches one path segment */
    rv_api_fn fn;
    const rv_entity *ent; /* NULL for routes that are not about one entity */
    const char *op_id;    /* OpenAPI operationId: "listDeals" */
    const char *summary;
    rv_api_shape req, resp;
    int status;        /* HTTP status on success */
    const int *errors; /* other statuses it may answer, 0-terminated */
    unsigned flags;    /* RV_ROUTE_* */
} rv_route;

/* Every route, in dispatch order (built once; static, read-only data).
 * *n receives the count. */
const rv_route *rv_api_routes(size_t *n);

/* The OpenAPI 3.0 document generated from the route and entity tables, as
 * JSON text (malloc'd; the caller frees it). */
char *rv_api_openapi(size_t *len);

#endif
