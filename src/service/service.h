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

typedef struct rv_ctx {
    rv_store *store;
    int64_t actor_id;             /* user doing this; 0 for the system / CLI owner */
    rv_arena *arena;              /* per-request memory for returned records */
    const char *currency;         /* default currency, "USD" */
    bool batch;                   /* inside an import: no per-row events */
    bool no_initial_history;      /* the import supplies stage_history itself */
    rv_map *refcache;             /* optional: remembered reference lookups */
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

/* Run fn inside one transaction (begin, fn, commit or rollback). */
typedef rv_status (*rv_tx_fn)(rv_ctx *c, void *ud, rv_err *err);
rv_status rv_svc_tx(rv_ctx *c, rv_tx_fn fn, void *ud, rv_err *err);

#endif
