/*
 * service.h - the use cases.  The CLI and the HTTP API call these and
 * nothing below them, so the two can never disagree.
 *
 * Every call is one transaction: it validates everything first (field
 * values, references, custom fields, entity rules such as a stage's exit
 * criteria), then writes the record, its history (field_history,
 * stage_history) and an event in the outbox, and commits; on any failure
 * it rolls back and the database is exactly as it was.  When the caller
 * already holds a transaction (an import of many rows), the call joins it
 * and the caller commits or rolls back the whole batch.
 *
 * References may be given as an id (JSON integer), or as text: the
 * referenced record's external_id first, then its name field (users also
 * by email), then "#<id>" or a bare number as an id.  A stage is looked up
 * within the deal's pipeline.
 *
 * Ownership: records returned point their text into ctx->arena.
 */
#ifndef RV_SERVICE_H
#define RV_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/map.h"
#include "model/record.h"
#include "store/store.h"

/* Roles, in the order of users.role's values and of the access table's
 * columns (service/access.c, docs/access.md). */
typedef enum {
    RV_ROLE_ADMIN, RV_ROLE_MANAGER, RV_ROLE_REP, RV_ROLE_MARKETING, RV_ROLE_CS, RV_ROLE_FINANCE,
    RV_ROLE_COUNT
} rv_role;

/* What an API token may do on top of its user's role; sessions and
 * `--as` carry RV_TOKEN_NONE (the role alone decides). */
typedef enum { RV_TOKEN_NONE, RV_TOKEN_READ, RV_TOKEN_WRITE, RV_TOKEN_ADMIN } rv_token_scope;

/* Who is asking: a signed-in user with their reach, computed by
 * rv_principal_load().  Arrays live in the ctx arena, or in the auth cache
 * entry it came from (valid until the next sign-in on that cache). */
typedef struct rv_principal {
    int64_t user_id;
    char email[256];
    rv_role role;
    int64_t team_id;         /* 0: no team */
    rv_token_scope scope;    /* RV_TOKEN_NONE unless authenticated by a token */
    int64_t token_id;        /* the token used, 0 for none */
    bool read_team;          /* setting rep_read_team is on */
    const int64_t *subtree;  /* self and everyone below through users.manager_id */
    int nsubtree;
    const int64_t *team;     /* members of the user's team, self included */
    int nteam;
    /* a last-used stamp (token or session) that was due while a read-only
     * request held its snapshot; written by rv_svc_read_end */
    const char *touch_entity;
    int touch_field;
    int64_t touch_id;
} rv_principal;

typedef struct rv_ctx {
    rv_store *store;
    const rv_principal *who;      /* NULL: full rights (the CLI, owner of the file) */
    bool set_secret;              /* service/auth.c only: may write RV_F_SECRET fields */
    struct {                      /* a refused access, audited after the rollback */
        bool pending;
        const char *entity;
        int64_t record_id;
        char reason[RV_ERR_MSG_MAX];
    } refusal;
    int64_t actor_id;             /* user doing this; 0 for the system / CLI owner */
    rv_arena *arena;              /* per-request memory for returned records */
    const char *currency;         /* default currency, "USD" */
    bool batch;                   /* inside an import: no per-row events */
    bool no_initial_history;      /* the import supplies stage_history itself */
    bool no_events;               /* records written by a pipeline that appends
                                   * one event of its own for all of them
                                   * (lead capture): no per-record events;
                                   * audit rows are still written */
    rv_map *refcache;             /* optional: remembered reference lookups */
    /* optional, by entity index: external id -> id of every row of the
     * entities an import writes, the rows it created included (imports on
     * PostgreSQL, whose new rows may still wait in the store's buffer) */
    rv_map *const *extids;
    struct rv__recent *recent;    /* imports: records written or read lately (crud.c) */
    struct rv_auth_cache *auth_cache; /* optional: principals signed in before
                                       * (service/auth.h); NULL: none */
} rv_ctx;

/* Initialise ctx for store s with arena a. */
void rv_ctx_init(rv_ctx *c, rv_store *s, rv_arena *a);

/* Create r (fields parsed by the caller, e.g. rv_record_from_json).  On
 * success r holds the stored record with its id. */
rv_status rv_svc_create(rv_ctx *c, rv_record *r, rv_err *err);
/* Apply the SET/NULL/RAW fields of changes to record changes->id; out
 * receives the stored result (may be NULL). */
rv_status rv_svc_update(rv_ctx *c, const rv_record *changes, rv_record *out, rv_err *err);
/* Create, or update the record with the same external_id (imports).
 * *created tells which; an update that changes nothing writes nothing. */
rv_status rv_svc_upsert(rv_ctx *c, rv_record *r, bool *created, rv_err *err);

typedef enum { RV_UPSERT_CREATED = 1, RV_UPSERT_UPDATED, RV_UPSERT_UNCHANGED } rv_upsert_outcome;
/* As rv_svc_upsert(), telling also whether an update changed anything
 * (RV_UPSERT_UNCHANGED: nothing was written, updated_at included). */
rv_status rv_svc_upsert_outcome(rv_ctx *c, rv_record *r, rv_upsert_outcome *out, rv_err *err);
/* Refused with RV_ECONFLICT when other records still refer to it. */
rv_status rv_svc_delete(rv_ctx *c, const rv_entity *e, int64_t id, rv_err *err);
rv_status rv_svc_get(rv_ctx *c, const rv_entity *e, int64_t id, rv_record *out, rv_err *err);

/* A list request in text form, as both the CLI and the API receive it. */
typedef struct rv_list_req {
    const rv_entity *ent;
    const char *filters[RV_QUERY_MAX_FILTERS]; /* "amount>=1000", "stage_id=Won", "name~acme" */
    int nfilters;
    const char *sort;   /* "amount" or "-amount" (descending); NULL: id */
    int limit;          /* 0: default 50; at most 1000 (export passes -1 for all) */
    const char *cursor; /* from a previous page's next_cursor */
} rv_list_req;

typedef struct rv_list_page {
    int64_t count;       /* rows on this page */
    bool more;           /* another page follows */
    char next_cursor[160];
} rv_list_page;

/* Parse a list request into a query (errors name the filter). */
rv_status rv_svc_list_query(rv_ctx *c, const rv_list_req *req, rv_query *q, rv_err *err);
/* Run it: fn is called per row; page says whether more follow. */
rv_status rv_svc_list(rv_ctx *c, const rv_list_req *req, rv_row_fn fn, void *ud,
                      rv_list_page *page, rv_err *err);

/* Rows matching the request's filters (sort, limit and cursor ignored). */
rv_status rv_svc_count(rv_ctx *c, const rv_list_req *req, int64_t *n, rv_err *err);

/* Resolve RAW references of r to ids (exposed for imports and filters). */
rv_status rv_svc_resolve_refs(rv_ctx *c, rv_record *r, rv_err *err);

/* --- access (service/access.c) -------------------------------------------- */

/* Load the principal of user_id (role, subtree, team, the rep_read_team
 * setting) into p; arrays come from c->arena.  RV_EUNAUTH when the user
 * does not exist or is disabled (active = false). */
rv_status rv_principal_load(rv_ctx *c, int64_t user_id, rv_principal *p, rv_err *err);
/* The same by email (case-insensitive). */
/* By email, or else by full name (users imported without one). */
rv_status rv_principal_load_email(rv_ctx *c, const char *email, rv_principal *p, rv_err *err);
/* Role from its name ("rep"); -1 if unknown. */
int rv_role_parse(const char *name);
const char *rv_role_name(rv_role r);

/* The access table as data, for tests and docs: the read and write scope
 * of role on entity, as names ("all", "own", "team", "subtree",
 * "account", "none"). */
const char *rv_access_scope(const rv_entity *e, rv_role role, bool write);
/* May the principal of c read (write=false) or change record id of e?
 * RV_OK, or RV_EFORBIDDEN with "user X may not read deal N" (audited).
 * With full read scope a missing record is left to the caller (404). */
rv_status rv_access_check(rv_ctx *c, const rv_entity *e, int64_t id, bool write, rv_err *err);

/* --- audit (service/audit.c) ----------------------------------------------- */

/* Append an audit row for an event that is not a record write (login,
 * logout, token creation), in its own transaction unless one is open. */
rv_status rv_audit_event(rv_ctx *c, const char *action, const rv_entity *e, int64_t id,
                         const char *reason, rv_err *err);

/* A read-only request (the API's GETs): everything it reads, sign-in
 * included, sees one snapshot and takes the database's read lock once.
 * rv_svc_read_end closes it, then writes what had to wait for the end: the
 * audit row of a refusal and a token's or session's last-used stamp. */
rv_status rv_svc_read_begin(rv_ctx *c, rv_err *err);
void rv_svc_read_end(rv_ctx *c);

/* Run fn inside one transaction (begin, fn, commit or rollback). */
typedef rv_status (*rv_tx_fn)(rv_ctx *c, void *ud, rv_err *err);
rv_status rv_svc_tx(rv_ctx *c, rv_tx_fn fn, void *ud, rv_err *err);

#endif
