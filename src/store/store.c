/*
 * store.c - dispatch of store.h to the backend chosen when the store was
 * opened: "postgres://..." or "postgresql://..." URLs go to PostgreSQL
 * (store_pg.c), anything else is a SQLite file path (store_sqlite.c).
 * Also the backend-independent helpers of store.h.
 */
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

rv_status rv_store_insert(rv_store *s, rv_record *r, rv_err *err)
{
    return s->ops->insert(s, r, err);
}

rv_status rv_store_update(rv_store *s, const rv_record *r, rv_err *err)
{
    return s->ops->update(s, r, err);
}

rv_status rv_store_delete(rv_store *s, const rv_entity *e, int64_t id, rv_err *err)
{
    return s->ops->del(s, e, id, err);
}

rv_status rv_store_get(rv_store *s, const rv_entity *e, int64_t id, rv_record *out, rv_arena *a,
                       rv_err *err)
{
    return s->ops->get(s, e, id, out, a, err);
}

bool rv_store_exists(rv_store *s, const rv_entity *e, int64_t id)
{
    return s->ops->exists(s, e, id);
}

rv_status rv_store_find(rv_store *s, const rv_entity *e, int fi, const char *text, size_t len,
                        int scope_fi, int64_t scope_id, int64_t *id, rv_err *err)
{
    return s->ops->find(s, e, fi, text, len, scope_fi, scope_id, id, err);
}

rv_status rv_store_count_refs(rv_store *s, const rv_entity *e, int64_t id, const rv_entity **by,
                              const char **field, int64_t *n, rv_err *err)
{
    return s->ops->count_refs(s, e, id, by, field, n, err);
}

rv_status rv_store_list(rv_store *s, const rv_query *q, rv_row_fn fn, void *ud, rv_err *err)
{
    return s->ops->list(s, q, fn, ud, err);
}

rv_status rv_store_count(rv_store *s, const rv_query *q, int64_t *n, rv_err *err)
{
    return s->ops->count(s, q, n, err);
}

void rv_query_init(rv_query *q, const rv_entity *e)
{
    memset(q, 0, sizeof *q);
    q->ent = e;
    q->sort_field = RV_COL_ID;
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
