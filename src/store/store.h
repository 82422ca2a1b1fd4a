/*
 * store.h - the only interface to the database.
 *
 * store/ is the only code that speaks SQL.  Everything here is generic over
 * the entity table (model/entity.h): one insert, update, get, delete, find
 * and list for every entity, with the SQL generated from the table and the
 * statements prepared once per connection.  The SQLite backend
 * (store_sqlite.c) is the default; a PostgreSQL backend implements the same
 * header (store_pg.c), chosen by a postgres:// URL in place of a path.
 *
 * Schema: one table per entity with a 64-bit integer id, a column per
 * field, created_at and updated_at (unix ms).  Migrations are derived from
 * the `since` versions in the entity table and applied on open, in one
 * transaction; the version is kept in PRAGMA user_version (SQLite) or the
 * revos_schema_version table (PostgreSQL).
 *
 * Threading: an rv_store is one connection; use one per thread.  Writes are
 * serialised (SQLite: BEGIN IMMEDIATE in WAL mode with a busy timeout;
 * PostgreSQL: an advisory lock per write transaction); readers never block.
 *
 * Transactions: the caller (the service layer) brackets every use case in
 * rv_store_begin / rv_store_commit, or rv_store_rollback on any failure, so
 * that a failed request changes nothing.
 *
 * Ownership: records filled by get/list point their text into the arena the
 * caller passes (get) or are valid only during the callback (list).
 */
#ifndef RV_STORE_H
#define RV_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "model/record.h"

typedef struct rv_store rv_store;

enum {
    RV_STORE_CREATE = 1u << 0,   /* create the file if missing */
    RV_STORE_READONLY = 1u << 1, /* open read-only (analytics readers) */
};

/* Open (and migrate) the database at path.  Errors name the path. */
rv_status rv_store_open(rv_store **out, const char *path, unsigned flags, rv_err *err);
void rv_store_close(rv_store *s); /* NULL ok */
const char *rv_store_path(const rv_store *s);
/* Schema version of the open database. */
int rv_store_schema_version(rv_store *s);

rv_status rv_store_begin(rv_store *s, rv_err *err); /* write transaction */
rv_status rv_store_begin_read(rv_store *s, rv_err *err);
rv_status rv_store_commit(rv_store *s, rv_err *err);
void rv_store_rollback(rv_store *s);
bool rv_store_in_tx(const rv_store *s);
/* Bulk mode for imports: larger cache, no per-statement sync work. */
void rv_store_bulk(rv_store *s, bool on);

/* Pseudo field indexes for the implicit columns. */
#define RV_COL_ID (-1)
#define RV_COL_CREATED (-2)
#define RV_COL_UPDATED (-3)

/* Insert r (all fields; UNSET and NULL are stored as NULL); sets r->id.
 * r->created_at and r->updated_at must be set by the caller. */
rv_status rv_store_insert(rv_store *s, rv_record *r, rv_err *err);
/* Overwrite every field of the row r->id with r's values (and updated_at). */
rv_status rv_store_update(rv_store *s, const rv_record *r, rv_err *err);
rv_status rv_store_delete(rv_store *s, const rv_entity *e, int64_t id, rv_err *err);
/* RV_ENOTFOUND when there is no such row (message names entity and id). */
rv_status rv_store_get(rv_store *s, const rv_entity *e, int64_t id, rv_record *out, rv_arena *a,
                       rv_err *err);
bool rv_store_exists(rv_store *s, const rv_entity *e, int64_t id);

/* Find the id of the row whose field fi equals text (case-insensitive for
 * names).  scope_fi/scope_id restrict the search (stages within a pipeline);
 * pass -1/0 for none.  RV_ENOTFOUND if none, RV_ECONFLICT if several. */
rv_status rv_store_find(rv_store *s, const rv_entity *e, int fi, const char *text, size_t len,
                        int scope_fi, int64_t scope_id, int64_t *id, rv_err *err);

/* Rows of other entities that reference (e, id) through a non-cascading
 * reference: fills the first such entity/field and the count. */
rv_status rv_store_count_refs(rv_store *s, const rv_entity *e, int64_t id,
                              const rv_entity **by, const char **field, int64_t *n, rv_err *err);

typedef enum {
    RV_OP_EQ, RV_OP_NE, RV_OP_LT, RV_OP_LE, RV_OP_GT, RV_OP_GE,
    RV_OP_CONTAINS, /* case-insensitive substring, text only */
    RV_OP_NULL, RV_OP_NOTNULL,
} rv_op;

#define RV_QUERY_MAX_FILTERS 16

typedef struct rv_filter {
    int field; /* index, or RV_COL_* */
    rv_op op;
    rv_val val; /* SET value of the field's type */
} rv_filter;

typedef struct rv_query {
    const rv_entity *ent;
    rv_filter filters[RV_QUERY_MAX_FILTERS];
    int nfilters;
    int sort_field; /* index or RV_COL_*; ties broken by id */
    bool desc;
    int limit;      /* 0: no limit */
    bool has_cursor; /* keyset: rows after (cursor_val, cursor_id) in sort order */
    rv_val cursor_val;
    int64_t cursor_id;
} rv_query;

void rv_query_init(rv_query *q, const rv_entity *e);

/* Called per row; return non-zero to stop early. The record is valid only
 * during the call. */
typedef int (*rv_row_fn)(void *ud, const rv_record *r);
rv_status rv_store_list(rv_store *s, const rv_query *q, rv_row_fn fn, void *ud, rv_err *err);
/* Rows matching the filters (limit and cursor ignored). */
rv_status rv_store_count(rv_store *s, const rv_query *q, int64_t *n, rv_err *err);

/* Value of field fi of a row as an rv_val (SET or NULL), used for sort keys. */
const char *rv_store_column_name(const rv_entity *e, int fi);

/* A counter that changes whenever another connection commits a write
 * (SQLite's data_version): lets snapshots notice foreign writes. */
int64_t rv_store_data_version(rv_store *s);

#endif
