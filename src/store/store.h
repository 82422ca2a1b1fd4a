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
    /* no automatic checkpoint at commit (SQLite's wal_autocheckpoint=0):
     * for the connections of a server whose own thread calls
     * rv_store_checkpoint, so that no request pays for copying the log
     * into the database and its fsync */
    RV_STORE_NO_AUTOCHECKPOINT = 1u << 2,
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
/* Copy what the write-ahead log holds into the database without waiting
 * for readers or writers (SQLite: a PASSIVE checkpoint; what a reader
 * still uses stays in the log for the next call).  *frames (NULL ok) gets
 * the log's length in frames before the call.  A no-op returning RV_OK on
 * backends without a log of their own (PostgreSQL). */
rv_status rv_store_checkpoint(rv_store *s, int64_t *frames, rv_err *err);

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
    RV_OP_IN, /* column is one of ids[] (or, with via, the id of a via row whose
                 via_field is one of ids[]): record access (service/access.c) */
} rv_op;

#define RV_QUERY_MAX_FILTERS 16

/* One alternative of a parents filter (below): records of ent, all of
 * them (scope NULL) or those matching scope (an RV_OP_IN or RV_OP_NOTNULL
 * filter on ent). */
typedef struct rv_parent {
    const rv_entity *ent;
    const struct rv_filter *scope;
} rv_parent;

typedef struct rv_filter {
    int field; /* index, or RV_COL_* */
    rv_op op;
    rv_val val; /* SET value of the field's type */
    /* RV_OP_IN only: `field IN (ids)`, or with via set
     * `field IN (SELECT id FROM via WHERE via.<via_field> IN (ids))`.
     * No ids matches nothing.  The ids are integers written into the SQL
     * (no text from outside reaches it); the caller keeps them alive for
     * the call. */
    const int64_t *ids;
    int nids;
    const rv_entity *via;
    int via_field;
    /* RV_OP_IN with parents set instead of ids: rows that name a record by
     * entity name (column name_field) and id (column field), as
     * field_history and events do, match when one of parents[] admits that
     * record:
     *   (name_field = '<ent>' AND field IN (SELECT id FROM <ent> WHERE
     *    <scope>)) OR ...
     * No parents matches nothing.  Only names from the entity table and
     * integers are written into the SQL. */
    const rv_parent *parents;
    int nparents;
    int name_field;
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

/* Stream some columns of the rows matching q's filters, in id order (sort,
 * limit and cursor of q are ignored): fn receives vals[0..ncols), the
 * values of cols[] (field indexes or RV_COL_*), valid only during the call;
 * return non-zero to stop.  For loading analytics snapshots: far cheaper
 * per row than rv_store_list, which reads whole records. */
#define RV_SCAN_MAX_COLS 32
typedef int (*rv_scan_fn)(void *ud, const rv_val *vals);
rv_status rv_store_scan(rv_store *s, const rv_query *q, const int *cols, int ncols, rv_scan_fn fn,
                        void *ud, rv_err *err);

/* Value of field fi of a row as an rv_val (SET or NULL), used for sort keys. */
const char *rv_store_column_name(const rv_entity *e, int fi);

/* A counter that changes whenever another connection commits a write
 * (SQLite's data_version): lets snapshots notice foreign writes. */
int64_t rv_store_data_version(rv_store *s);

/* --- copying whole tables (revos migrate) ------------------------------------
 *
 * Rows of one entity written as they are: the caller's ids, created_at and
 * updated_at are kept, no validation, no events.  For moving a database
 * between backends, not for use cases (those go through the service layer).
 * Call inside a write transaction (rv_store_begin), one entity at a time:
 * copy_begin, copy_row per row, copy_end.  PostgreSQL streams the rows with
 * COPY FROM STDIN in binary format; SQLite runs a prepared insert per row
 * with foreign keys checked at commit (PRAGMA defer_foreign_keys), so a row
 * may refer to a row of its own table copied after it.
 *
 * A failed copy (a constraint, bad text) leaves the transaction unusable on
 * PostgreSQL: the caller rolls back.  Rows of one COPY are checked when the
 * COPY ends, so on PostgreSQL copy_row may succeed for a row that
 * copy_end then refuses; the message names the table and the COPY line.
 * copy_end also moves PostgreSQL's id generator past the largest id of the
 * table (sequences are not transactional: after a rollback it stays moved,
 * which only means the next ids start higher).  rows receives the rows
 * copied (may be NULL).  The store keeps no pointer into the records. */
rv_status rv_store_copy_begin(rv_store *s, const rv_entity *e, rv_err *err);
rv_status rv_store_copy_row(rv_store *s, const rv_record *r, rv_err *err);
rv_status rv_store_copy_end(rv_store *s, int64_t *rows, rv_err *err);

/* --- deferred inserts (imports on PostgreSQL) --------------------------------
 *
 * Between rv_store_defer_begin and rv_store_defer_end, inside a write
 * transaction, rv_store_insert does not write at once: it gives the record
 * its id (reserved from the table's id generator in blocks, one query per
 * block) and appends the row to a buffer of its table.  The buffer goes to
 * the database as one COPY FROM STDIN (binary) when it is large, before
 * any other call reads or writes that table (every read sees every insert
 * made before it), and at defer_end.  A table's buffer goes after the
 * buffers of the tables it refers to, so references hold.
 *
 * Each COPY runs under a savepoint.  When the database refuses it (a unique
 * value taken, a reference to nothing), the COPY is rolled back and its
 * rows are inserted one at a time: those refused are reported to fn(ud,
 * tag, why), with the tag that was current when the row was inserted
 * (rv_store_defer_tag) and the message a direct insert gives; the others
 * are written.  defer_end writes what is left and gives back the reserved
 * ids nobody used, so rows get the ids inserting them one by one would
 * have given.  A rollback drops the buffers and ends deferral; a commit
 * writes them first.
 *
 * SQLite writes each row in microseconds anyway: rv_store_can_defer() is
 * false there, and defer_begin/defer_end change nothing. */
typedef void (*rv_store_reject_fn)(void *ud, int64_t tag, const rv_err *why);
bool rv_store_can_defer(const rv_store *s);
rv_status rv_store_defer_begin(rv_store *s, rv_store_reject_fn fn, void *ud, rv_err *err);
void rv_store_defer_tag(rv_store *s, int64_t tag);
rv_status rv_store_defer_end(rv_store *s, rv_err *err);

/* fn(ud, text, len, id) for every row of e whose field fi is set, in one
 * query (an import's external ids).  The text is valid during the call. */
typedef void (*rv_key_fn)(void *ud, const char *text, size_t len, int64_t id);
rv_status rv_store_keys(rv_store *s, const rv_entity *e, int fi, rv_key_fn fn, void *ud,
                        rv_err *err);

/* What this connection wrote since it was opened: rows inserted one
 * statement each, COPY statements, and the rows those wrote. */
typedef struct rv_store_stats {
    int64_t inserts, copies, copy_rows;
} rv_store_stats;
void rv_store_stats_get(const rv_store *s, rv_store_stats *out);

/* Totals of one table, for checking a copy: the row count and, for every
 * integer column (id, each int, money, date, timestamp, bool and reference
 * field, created_at, updated_at), the number of non-NULL values and their
 * exact sum.  Sums are 128-bit: the database adds the high and the low 32
 * bits of the values separately (sum(v >> 32), sum(v & 4294967295)), which
 * cannot overflow below 2^31 rows, and the store combines them as
 * hi * 2^32 + lo. */
#define RV_TOTALS_MAX_COLS (RV_MAX_FIELDS + 3)
__extension__ typedef __int128 rv_sum128;
typedef struct rv_store_totals {
    int64_t rows;
    int ncols;
    int field[RV_TOTALS_MAX_COLS]; /* field index or RV_COL_* */
    int64_t nonnull[RV_TOTALS_MAX_COLS];
    rv_sum128 sum[RV_TOTALS_MAX_COLS];
} rv_store_totals;
rv_status rv_store_totals_get(rv_store *s, const rv_entity *e, rv_store_totals *out, rv_err *err);
/* A 128-bit sum in decimal; returns buf (at least 48 bytes). */
const char *rv_sum128_text(rv_sum128 v, char *buf, size_t cap);

/* --- read replicas -----------------------------------------------------------
 *
 * Open a connection for analytics reads: the database named by
 * $REVOS_READ_URL (a streaming replica of the primary, opened read-only)
 * when it is set and not empty, otherwise primary itself, read-only.
 * Writes through the returned store fail.  A replica lags the primary by
 * its replication delay (usually milliseconds): use it for reports, never
 * to read back what this process just wrote.  Errors name the URL and,
 * for the replica, the variable. */
rv_status rv_store_open_read(rv_store **out, const char *primary, rv_err *err);

#endif
