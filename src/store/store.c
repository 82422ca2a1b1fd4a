/*
 * store.c - dispatch of store.h to the backend chosen when the store was
 * opened: "postgres://..." or "postgresql://..." URLs go to PostgreSQL
 * (store_pg.c), anything else is a SQLite file path (store_sqlite.c).
 * Also the backend-independent helpers of store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

static bool is_pg_url(const char *path)
{
    return !strncmp(path, "postgres://", 11) || !strncmp(path, "postgresql://", 13);
}

static const rv__store_ops *backend_for(const char *path)
{
    return is_pg_url(path) ? &rv__pg_ops : &rv__sqlite_ops;
}

rv_status rv_store_open(rv_store **out, const char *path, unsigned flags, rv_err *err)
{
    *out = NULL;
    if (!path || !path[0])
        return rv_err_set(err, RV_EINVAL, "db", "database path is empty");
    return backend_for(path)->open(out, path, flags, err);
}

void rv_store_close(rv_store *s)
{
    if (s)
        s->ops->close(s);
}

const char *rv_store_path(const rv_store *s) { return s->path; }
bool rv_store_in_tx(const rv_store *s) { return s->in_tx; }
int rv_store_schema_version(rv_store *s) { return s->ops->schema_version(s); }
int64_t rv_store_data_version(rv_store *s) { return s->ops->data_version(s); }
rv_status rv_store_begin(rv_store *s, rv_err *err) { return s->ops->begin(s, err); }
rv_status rv_store_begin_read(rv_store *s, rv_err *err) { return s->ops->begin_read(s, err); }
rv_status rv_store_commit(rv_store *s, rv_err *err) { return s->ops->commit(s, err); }
void rv_store_rollback(rv_store *s) { s->ops->rollback(s); }
void rv_store_bulk(rv_store *s, bool on) { s->ops->bulk(s, on); }
rv_status rv_store_checkpoint(rv_store *s, int64_t *frames, rv_err *err)
{
    if (frames)
        *frames = 0;
    return s->ops->checkpoint ? s->ops->checkpoint(s, frames, err) : RV_OK;
}

/* Rows of e still in a deferred-insert buffer go to the database first, so
 * that every call sees them. */
static rv_status sync(rv_store *s, const rv_entity *e, rv_err *err)
{
    return s->deferring ? s->ops->sync(s, e, err) : RV_OK;
}

/* sync for the tables a query reads: its entity and the via of IN filters */
static rv_status sync_query(rv_store *s, const rv_query *q, rv_err *err)
{
    rv_status rc = sync(s, q->ent, err);
    for (int k = 0; !rc && k < q->nfilters; k++)
        if (q->filters[k].via)
            rc = sync(s, q->filters[k].via, err);
    return rc;
}

rv_status rv_store_insert(rv_store *s, rv_record *r, rv_err *err)
{
    rv_status rc = s->ops->insert(s, r, err);
    if (!rc && !s->deferring)
        s->stats.inserts++;
    return rc;
}

rv_status rv_store_update(rv_store *s, const rv_record *r, rv_err *err)
{
    rv_status rc = sync(s, r->ent, err);
    return rc ? rc : s->ops->update(s, r, err);
}

rv_status rv_store_delete(rv_store *s, const rv_entity *e, int64_t id, rv_err *err)
{
    rv_status rc = sync(s, e, err);
    return rc ? rc : s->ops->del(s, e, id, err);
}

rv_status rv_store_get(rv_store *s, const rv_entity *e, int64_t id, rv_record *out, rv_arena *a,
                       rv_err *err)
{
    rv_status rc = sync(s, e, err);
    return rc ? rc : s->ops->get(s, e, id, out, a, err);
}

bool rv_store_exists(rv_store *s, const rv_entity *e, int64_t id)
{
    rv_err ignored;
    sync(s, e, &ignored); /* a failed write shows in the next call that can say so */
    return s->ops->exists(s, e, id);
}

rv_status rv_store_find(rv_store *s, const rv_entity *e, int fi, const char *text, size_t len,
                        int scope_fi, int64_t scope_id, int64_t *id, rv_err *err)
{
    rv_status rc = sync(s, e, err);
    return rc ? rc : s->ops->find(s, e, fi, text, len, scope_fi, scope_id, id, err);
}

/* --- deferred inserts -------------------------------------------------------- */

bool rv_store_can_defer(const rv_store *s) { return s->ops->defer != NULL; }

rv_status rv_store_defer_begin(rv_store *s, rv_store_reject_fn fn, void *ud, rv_err *err)
{
    if (!s->ops->defer)
        return RV_OK;
    if (!s->in_tx)
        return rv_err_set(err, RV_EINTERNAL, NULL, "deferring inserts: no transaction open");
    s->defer_fn = fn;
    s->defer_ud = ud;
    s->defer_tag = 0;
    return s->ops->defer(s, true, err);
}

void rv_store_defer_tag(rv_store *s, int64_t tag) { s->defer_tag = tag; }

rv_status rv_store_defer_end(rv_store *s, rv_err *err)
{
    return s->deferring ? s->ops->defer(s, false, err) : RV_OK;
}

/* Without a keys query of the backend: the rows, read whole. */
typedef struct keys_acc {
    int fi;
    rv_key_fn fn;
    void *ud;
} keys_acc;

static int keys_row(void *ud, const rv_record *r)
{
    keys_acc *k = ud;
    if (r->v[k->fi].state == RV_V_SET)
        k->fn(k->ud, r->v[k->fi].s, r->v[k->fi].len, r->id);
    return 0;
}

rv_status rv_store_keys(rv_store *s, const rv_entity *e, int fi, rv_key_fn fn, void *ud,
                        rv_err *err)
{
    rv_status rc = sync(s, e, err);
    if (rc)
        return rc;
    if (s->ops->keys)
        return s->ops->keys(s, e, fi, fn, ud, err);
    rv_query q;
    rv_query_init(&q, e);
    keys_acc k = {fi, fn, ud};
    return s->ops->list(s, &q, keys_row, &k, err);
}

void rv_store_stats_get(const rv_store *s, rv_store_stats *out) { *out = s->stats; }

/* Every backend counts with the same query path: walk the references the
 * entity table declares to e (cascading ones excepted, they go along). */
rv_status rv_store_count_refs(rv_store *s, const rv_entity *e, int64_t id, const rv_entity **by,
                              const char **field, int64_t *n, rv_err *err)
{
    *n = 0;
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *o = rv_entities[k];
        for (int i = 0; i < o->nfields; i++) {
            const rv_field *f = &o->fields[i];
            if (f->type != RV_FT_REF || strcmp(f->ref, e->name) != 0 || (f->flags & RV_F_CASCADE))
                continue;
            rv_query q;
            rv_query_init(&q, o);
            q.filters[0] = (rv_filter){.field = i, .op = RV_OP_EQ,
                                       .val = {.i = id, .state = RV_V_SET}};
            q.nfilters = 1;
            int64_t c = 0;
            rv_status st = sync(s, o, err);
            if (!st)
                st = s->ops->count(s, &q, &c, err);
            if (st)
                return st;
            if (c > 0) {
                *by = o;
                *field = f->name;
                *n = c;
                return RV_OK;
            }
        }
    }
    return RV_OK;
}

rv_status rv_store_list(rv_store *s, const rv_query *q, rv_row_fn fn, void *ud, rv_err *err)
{
    rv_status rc = sync_query(s, q, err);
    return rc ? rc : s->ops->list(s, q, fn, ud, err);
}

rv_status rv_store_count(rv_store *s, const rv_query *q, int64_t *n, rv_err *err)
{
    rv_status rc = sync_query(s, q, err);
    return rc ? rc : s->ops->count(s, q, n, err);
}

rv_status rv_store_scan(rv_store *s, const rv_query *q, const int *cols, int ncols, rv_scan_fn fn,
                        void *ud, rv_err *err)
{
    if (ncols < 1 || ncols > RV_SCAN_MAX_COLS)
        return rv_err_set(err, RV_EINVAL, NULL, "a scan reads 1 to %d columns, not %d",
                          RV_SCAN_MAX_COLS, ncols);
    return s->ops->scan(s, q, cols, ncols, fn, ud, err);
}

void rv_query_init(rv_query *q, const rv_entity *e)
{
    memset(q, 0, sizeof *q);
    q->ent = e;
    q->sort_field = RV_COL_ID;
}

const rv_field *rv__store_column_field(const rv_entity *e, int fi)
{
    static const rv_field id_field = {.name = "id", .type = RV_FT_INT};
    static const rv_field ts_field = {.name = "created_at", .type = RV_FT_TS};
    if (fi == RV_COL_ID)
        return &id_field;
    if (fi < 0)
        return &ts_field;
    return &e->fields[fi];
}

const char *rv_store_column_name(const rv_entity *e, int fi)
{
    switch (fi) {
    case RV_COL_ID: return "id";
    case RV_COL_CREATED: return "created_at";
    case RV_COL_UPDATED: return "updated_at";
    default: return e->fields[fi].name;
    }
}

/* --- bulk copy and totals -------------------------------------------------- */

rv_status rv_store_copy_begin(rv_store *s, const rv_entity *e, rv_err *err)
{
    if (!s->in_tx)
        return rv_err_set(err, RV_EINTERNAL, NULL, "copying %s: no transaction open", e->name);
    return s->ops->copy_begin(s, e, err);
}

rv_status rv_store_copy_row(rv_store *s, const rv_record *r, rv_err *err)
{
    return s->ops->copy_row(s, r, err);
}

rv_status rv_store_copy_end(rv_store *s, int64_t *rows, rv_err *err)
{
    int64_t n = 0;
    rv_status rc = s->ops->copy_end(s, &n, err);
    if (rows)
        *rows = n;
    return rc;
}

int rv__totals_sql(rv_buf *b, const rv_entity *e, rv_store_totals *t)
{
    t->ncols = 0;
    t->field[t->ncols++] = RV_COL_ID;
    for (int i = 0; i < e->nfields; i++)
        if (rv_ftype_is_int(e->fields[i].type))
            t->field[t->ncols++] = i;
    t->field[t->ncols++] = RV_COL_CREATED;
    t->field[t->ncols++] = RV_COL_UPDATED;
    rv_buf_puts(b, "SELECT count(*)");
    for (int k = 0; k < t->ncols; k++) {
        const char *col = rv_store_column_name(e, t->field[k]);
        rv_buf_printf(b, ", count(%s), sum(%s >> 32), sum(%s & 4294967295)", col, col, col);
    }
    rv_buf_printf(b, " FROM %s", e->name);
    return 1 + 3 * t->ncols;
}

rv_status rv_store_totals_get(rv_store *s, const rv_entity *e, rv_store_totals *out, rv_err *err)
{
    memset(out, 0, sizeof *out);
    rv_status rc0 = sync(s, e, err);
    if (rc0)
        return rc0;
    rv_buf b = RV_BUF_INIT;
    int n = rv__totals_sql(&b, e, out);
    int64_t v[1 + 3 * RV_TOTALS_MAX_COLS];
    rv_status rc = s->ops->int_row(s, rv_buf_str(&b), v, n, err);
    rv_buf_release(&b);
    if (rc) {
        rv_err_prefix(err, "totals of %s: ", e->name);
        return rc;
    }
    out->rows = v[0];
    for (int k = 0; k < out->ncols; k++) {
        out->nonnull[k] = v[1 + 3 * k];
        out->sum[k] = (rv_sum128)v[2 + 3 * k] * ((rv_sum128)1 << 32) + (rv_sum128)v[3 + 3 * k];
    }
    return RV_OK;
}

const char *rv_sum128_text(rv_sum128 v, char *buf, size_t cap)
{
    char tmp[48];
    int n = 0;
    bool neg = v < 0;
    /* digits from the least significant, without negating (INT128_MIN) */
    do {
        int d = (int)(v % 10);
        tmp[n++] = (char)('0' + (d < 0 ? -d : d));
        v /= 10;
    } while (v != 0);
    size_t k = 0;
    if (neg && k + 1 < cap)
        buf[k++] = '-';
    while (n > 0 && k + 1 < cap)
        buf[k++] = tmp[--n];
    if (cap)
        buf[k] = '\0';
    return buf;
}

/* --- read replicas --------------------------------------------------------- */

rv_status rv_store_open_read(rv_store **out, const char *primary, rv_err *err)
{
    const char *url = getenv("REVOS_READ_URL");
    if (!url || !url[0])
        return rv_store_open(out, primary, RV_STORE_READONLY, err);
    rv_status rc = rv_store_open(out, url, RV_STORE_READONLY, err);
    if (rc)
        rv_err_prefix(err, "REVOS_READ_URL: ");
    return rc;
}

/* The parents form of RV_OP_IN (store.h). */
static void parents_sql(rv_buf *b, const rv_entity *e, const rv_filter *f)
{
    const char *col = rv_store_column_name(e, f->field);
    const char *name = rv_store_column_name(e, f->name_field);
    if (f->nparents <= 0) {
        rv_buf_puts(b, "1 = 0");
        return;
    }
    rv_buf_putc(b, '(');
    for (int i = 0; i < f->nparents; i++) {
        const rv_parent *pa = &f->parents[i];
        rv_buf_printf(b, "%s(%s = '%s'", i ? " OR " : "", name, pa->ent->name);
        if (pa->scope) {
            rv_buf_printf(b, " AND %s IN (SELECT id FROM %s WHERE ", col, pa->ent->name);
            if (pa->scope->op == RV_OP_NOTNULL)
                rv_buf_printf(b, "%s IS NOT NULL", rv_store_column_name(pa->ent, pa->scope->field));
            else
                rv__store_in_sql(b, pa->ent, pa->scope);
            rv_buf_putc(b, ')');
        }
        rv_buf_putc(b, ')');
    }
    rv_buf_putc(b, ')');
}

void rv__store_in_sql(rv_buf *b, const rv_entity *e, const rv_filter *f)
{
    const char *col = rv_store_column_name(e, f->field);
    if (f->parents) {
        parents_sql(b, e, f);
        return;
    }
    if (f->nids <= 0) {
        rv_buf_puts(b, "1 = 0");
        return;
    }
    if (f->via)
        rv_buf_printf(b, "%s IN (SELECT id FROM %s WHERE %s IN (", col, f->via->name,
                      rv_store_column_name(f->via, f->via_field));
    else
        rv_buf_printf(b, "%s IN (", col);
    for (int i = 0; i < f->nids; i++)
        rv_buf_printf(b, "%s%lld", i ? "," : "", (long long)f->ids[i]);
    rv_buf_puts(b, f->via ? "))" : ")");
}
