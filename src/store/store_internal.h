/*
 * store_internal.h - what a storage backend implements.
 *
 * store.c dispatches every rv_store_* call through the backend's ops
 * table; a backend's connection struct starts with struct rv_store so that
 * store.c can reach the ops, the path and the transaction flag.
 */
#ifndef RV_STORE_INTERNAL_H
#define RV_STORE_INTERNAL_H

#include "store/store.h"

typedef struct rv__store_ops {
    const char *name;
    rv_status (*open)(rv_store **out, const char *path, unsigned flags, rv_err *err);
    void (*close)(rv_store *s);
    int (*schema_version)(rv_store *s);
    int64_t (*data_version)(rv_store *s);
    rv_status (*begin)(rv_store *s, rv_err *err);
    rv_status (*begin_read)(rv_store *s, rv_err *err);
    rv_status (*commit)(rv_store *s, rv_err *err);
    void (*rollback)(rv_store *s);
    void (*bulk)(rv_store *s, bool on);
    /* rv_store_checkpoint; NULL: nothing to do */
    rv_status (*checkpoint)(rv_store *s, int64_t *frames, rv_err *err);
    rv_status (*insert)(rv_store *s, rv_record *r, rv_err *err);
    rv_status (*update)(rv_store *s, const rv_record *r, rv_err *err);
    rv_status (*del)(rv_store *s, const rv_entity *e, int64_t id, rv_err *err);
    rv_status (*get)(rv_store *s, const rv_entity *e, int64_t id, rv_record *out, rv_arena *a,
                     rv_err *err);
    bool (*exists)(rv_store *s, const rv_entity *e, int64_t id);
    rv_status (*find)(rv_store *s, const rv_entity *e, int fi, const char *text, size_t len,
                      int scope_fi, int64_t scope_id, int64_t *id, rv_err *err);
    rv_status (*list)(rv_store *s, const rv_query *q, rv_row_fn fn, void *ud, rv_err *err);
    rv_status (*count)(rv_store *s, const rv_query *q, int64_t *n, rv_err *err);
    rv_status (*scan)(rv_store *s, const rv_query *q, const int *cols, int ncols, rv_scan_fn fn,
                      void *ud, rv_err *err);
    /* bulk copy (store.h); copy_begin is only called inside a transaction */
    rv_status (*copy_begin)(rv_store *s, const rv_entity *e, rv_err *err);
    rv_status (*copy_row)(rv_store *s, const rv_record *r, rv_err *err);
    rv_status (*copy_end)(rv_store *s, int64_t *rows, rv_err *err);
    /* deferred inserts (store.h), NULL where the backend has none: defer
     * starts (on) or flushes and ends (off) deferral; sync writes the
     * rows of e (and of what e refers to) still buffered */
    rv_status (*defer)(rv_store *s, bool on, rv_err *err);
    rv_status (*sync)(rv_store *s, const rv_entity *e, rv_err *err);
    /* rv_store_keys; NULL: store.c lists whole rows */
    rv_status (*keys)(rv_store *s, const rv_entity *e, int fi, rv_key_fn fn, void *ud,
                      rv_err *err);
    /* Run a query of one row of n integers (NULL reads as 0) into v[0..n). */
    rv_status (*int_row)(rv_store *s, const char *sql, int64_t *v, int n, rv_err *err);
} rv__store_ops;

struct rv_store {
    const rv__store_ops *ops;
    char *path; /* file path or URL as given (owned) */
    bool in_tx;
    bool deferring; /* between defer_begin and defer_end (or a rollback) */
    rv_store_reject_fn defer_fn;
    void *defer_ud;
    int64_t defer_tag;
    rv_store_stats stats;
};

/* The totals query of rv_store_totals_get (written once: it is the same SQL
 * on both backends): count(*), then per integer column count(col),
 * sum(col >> 32), sum(col & 4294967295).  Fills t->ncols and t->field;
 * returns how many values the query's one row has. */
int rv__totals_sql(rv_buf *b, const rv_entity *e, rv_store_totals *t);

/* The SQL of an RV_OP_IN filter (no parameters: the ids are integers),
 * shared by both backends. */
void rv__store_in_sql(rv_buf *b, const rv_entity *e, const rv_filter *f);

extern const rv__store_ops rv__sqlite_ops;

/* The description of column fi of e, the implicit ones included (id as an
 * integer, created_at and updated_at as instants): how to bind and read it. */
const rv_field *rv__store_column_field(const rv_entity *e, int fi);
extern const rv__store_ops rv__pg_ops;

#endif
