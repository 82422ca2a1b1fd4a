/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * Why this shape: SQLite in WAL mode lets many readers run beside one
 * writer; prepared statements avoid re-parsing SQL per row (815k inserts/s
 * measured on this machine with prepared statements in one transaction, see
 * docs/decisions.md).  The SQL for every entity is generated once from the
 * entity table when the connection opens, and the insert, update, get and
 * delete statements are prepared then and kept (SQLITE_PREPARE_PERSISTENT).
 * List queries vary with their filters and are prepared per call.
 *
 * Pragmas: journal_mode=WAL, synchronous=NORMAL (durable at checkpoints,
 * never corrupt), foreign_keys=ON (a second line of defence behind the
 * service layer's own reference checks), busy_timeout=10s.  A server's
 * connections (RV_STORE_NO_AUTOCHECKPOINT) add wal_autocheckpoint=0: the
 * commit that crosses SQLite's 1,000-frame mark would otherwise copy the
 * log into the database and fsync it on the request's time; the server's
 * checkpoint thread does that instead (sq_checkpoint, PASSIVE, so it never
 * waits for a writer nor makes one wait).
 *
 * Migrations: schema version v creates the tables whose entity has since==v
 * and adds the columns whose field has since==v to older tables, then runs
 * the extra statements of that version (composite indexes).  All in one
 * transaction, so a failed migration leaves the file as it was.
 */
#include "store/store_internal.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "model/money.h"

extern const rv__store_ops rv__sqlite_ops;

typedef struct ent_stmts {
    sqlite3_stmt *ins, *upd, *get, *del, *exists;
} ent_stmts;

/* Lookups by field (external id, name) are prepared once per shape. */
typedef struct find_stmt {
    int ent, field, scope;
    sqlite3_stmt *st;
} find_stmt;

#define FIND_CACHE 64

/* List and count statements vary with their filters; the shapes a client
 * repeats (the same filters with other values) are kept prepared.  busy
 * marks one being stepped, so a nested list of the same shape gets its
 * own statement. */
typedef struct list_stmt {
    char *sql;
    uint64_t hash; /* of sql, to skip most string compares */
    sqlite3_stmt *st;
    uint64_t used;
    bool busy;
} list_stmt;

#define LIST_CACHE 64

typedef struct sq_store {
    struct rv_store base; /* first: the store.c view */
    sqlite3 *db;
    ent_stmts st[64];
    find_stmt finds[FIND_CACHE];
    int nfinds;
    list_stmt lists[LIST_CACHE];
    uint64_t tick;
    sqlite3_stmt *copy; /* the insert with ids of rv_store_copy_* */
    int64_t copied;
    sqlite3_stmt *fixed[4]; /* fixed_sql[], prepared on first use */
} sq_store;

/* Statements every request runs (a GET: BEGIN, the data version, COMMIT):
 * prepared once per connection rather than parsed each time. */
enum { FX_BEGIN, FX_BEGIN_WRITE, FX_COMMIT, FX_DATA_VERSION };
static const char *const fixed_sql[] = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT",
                                        "PRAGMA data_version"};

/* Extra SQL per schema version, beyond what the entity table implies. */
static const struct {
    int version;
    const char *sql;
} extra_sql[] = {
    {1, "CREATE UNIQUE INDEX IF NOT EXISTS stages_pipeline_name ON stages(pipeline_id, name COLLATE NOCASE)"},
    {1, "CREATE INDEX IF NOT EXISTS stage_history_deal_at ON stage_history(deal_id, changed_at)"},
    {1, "CREATE INDEX IF NOT EXISTS field_history_record ON field_history(entity, record_id)"},
    {1, "CREATE UNIQUE INDEX IF NOT EXISTS field_defs_entity_name ON field_defs(entity, name)"},
    {1, "CREATE INDEX IF NOT EXISTS deals_stage_owner ON deals(stage_id, owner_id)"},
};

static int since_of(int v) { return v ? v : 1; }

static rv_status db_error(sq_store *s, rv_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    rv_status st = RV_EDB;
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
        st = RV_EBUSY;
    else if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
        st = RV_ECONFLICT;
    else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
        st = RV_EREF;
    else if ((code & 0xff) == SQLITE_CONSTRAINT)
        st = RV_EINVAL;
    return rv_err_set(err, st, NULL, "%s: %s", what, sqlite3_errmsg(s->db));
}

static rv_status exec(sq_store *s, const char *sql, rv_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rv_status st = rv_err_set(err, RV_EDB, NULL, "database error: %s (in: %.120s)",
                                  msg ? msg : "?", sql);
        sqlite3_free(msg);
        return st;
    }
    return RV_OK;
}

/* Run fixed statement k; *row receives its first column when it returns
 * one (row may be NULL).  Errors read as exec()'s. */
static rv_status exec_fixed(sq_store *s, int k, int64_t *row, rv_err *err)
{
    if (!s->fixed[k] &&
        sqlite3_prepare_v3(s->db, fixed_sql[k], -1, SQLITE_PREPARE_PERSISTENT, &s->fixed[k],
                           NULL) != SQLITE_OK)
        return rv_err_set(err, RV_EDB, NULL, "database error: %s (in: %s)", sqlite3_errmsg(s->db),
                          fixed_sql[k]);
    int rc = sqlite3_step(s->fixed[k]);
    if (rc == SQLITE_ROW && row)
        *row = sqlite3_column_int64(s->fixed[k], 0);
    rv_status st = RV_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = rv_err_set(err, RV_EDB, NULL, "database error: %s (in: %s)", sqlite3_errmsg(s->db),
                        fixed_sql[k]);
    sqlite3_reset(s->fixed[k]);
    return st;
}

static const char *sql_type(rv_ftype t) { return rv_ftype_is_int(t) ? "INTEGER" : "TEXT"; }

static void column_def(rv_buf *b, const rv_entity *e, const rv_field *f, bool in_create)
{
    rv_buf_printf(b, "%s %s", f->name, sql_type(f->type));
    if (f->type == RV_FT_REF)
        rv_buf_printf(b, " REFERENCES %s(id)%s", f->ref,
                      (f->flags & RV_F_CASCADE) ? " ON DELETE CASCADE" : "");
    if (f->type == RV_FT_ENUM && f->values) {
        rv_buf_printf(b, " CHECK(%s IN (", f->name);
        for (int i = 0; f->values[i]; i++)
            rv_buf_printf(b, "%s'%s'", i ? "," : "", f->values[i]);
        rv_buf_puts(b, "))");
    }
    if (f->type == RV_FT_JSON)
        rv_buf_printf(b, " CHECK(%s IS NULL OR json_valid(%s))", f->name, f->name);
    if ((f->flags & RV_F_REQUIRED) && in_create)
        rv_buf_puts(b, " NOT NULL");
    (void)e;
}

static void create_table_sql(rv_buf *b, const rv_entity *e, int version)
{
    rv_buf_printf(b, "CREATE TABLE %s (id INTEGER PRIMARY KEY", e->name);
    for (int i = 0; i < e->nfields; i++) {
        if (since_of(e->fields[i].since) > version)
            continue;
        rv_buf_puts(b, ", ");
        column_def(b, e, &e->fields[i], true);
    }
    rv_buf_puts(b, ", created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);\n");
}

static void index_sql(rv_buf *b, const rv_entity *e, const rv_field *f)
{
    /* a name that references may use is unique regardless of case, since
     * lookups by name ignore case */
    if ((f->flags & RV_F_UNIQUE) && (f->flags & RV_F_NAME)) {
        rv_buf_printf(b, "CREATE UNIQUE INDEX IF NOT EXISTS %s_%s ON %s(%s COLLATE NOCASE);\n",
                      e->name, f->name, e->name, f->name);
        return;
    }
    if (f->flags & RV_F_UNIQUE)
        rv_buf_printf(b, "CREATE UNIQUE INDEX IF NOT EXISTS %s_%s ON %s(%s);\n", e->name, f->name,
                      e->name, f->name);
    else if (f->type == RV_FT_REF || (f->flags & RV_F_INDEX))
        rv_buf_printf(b, "CREATE INDEX IF NOT EXISTS %s_%s ON %s(%s);\n", e->name, f->name, e->name,
                      f->name);
    /* references may name a record; the lookup ignores case */
    if (f->flags & RV_F_NAME)
        rv_buf_printf(b, "CREATE INDEX IF NOT EXISTS %s_%s_nocase ON %s(%s COLLATE NOCASE);\n",
                      e->name, f->name, e->name, f->name);
}

static rv_status migrate(sq_store *s, rv_err *err)
{
    sqlite3_stmt *st;
    int have = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            have = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    int want = rv_schema_version();
    if (have > want)
        return rv_err_set(err, RV_EINVAL, NULL,
                          "database '%s' has schema version %d, newer than this revos (%d); "
                          "upgrade revos",
                          s->base.path, have, want);
    if (have == want)
        return RV_OK;
    rv_buf b = RV_BUF_INIT;
    rv_buf_puts(&b, "BEGIN IMMEDIATE;\n");
    for (int v = have + 1; v <= want; v++) {
        for (int k = 0; rv_entities[k]; k++) {
            const rv_entity *e = rv_entities[k];
            int es = since_of(e->since);
            if (es > v)
                continue;
            if (es == v)
                create_table_sql(&b, e, v);
            for (int i = 0; i < e->nfields; i++) {
                const rv_field *f = &e->fields[i];
                int fs = since_of(f->since);
                if (fs != v)
                    continue;
                if (es < v) {
                    rv_buf_printf(&b, "ALTER TABLE %s ADD COLUMN ", e->name);
                    column_def(&b, e, f, false);
                    rv_buf_puts(&b, ";\n");
                }
                index_sql(&b, e, f);
            }
        }
        for (size_t i = 0; i < sizeof extra_sql / sizeof extra_sql[0]; i++)
            if (extra_sql[i].version == v)
                rv_buf_printf(&b, "%s;\n", extra_sql[i].sql);
    }
    rv_buf_printf(&b, "PRAGMA user_version = %d;\nCOMMIT;\n", want);
    rv_status rc = exec(s, rv_buf_str(&b), err);
    if (rc) {
        exec(s, "ROLLBACK", NULL);
        rv_err_prefix(err, "migrating '%s' to schema %d: ", s->base.path, want);
    }
    rv_buf_release(&b);
    return rc;
}

static rv_status prepare(sq_store *s, const char *sql, sqlite3_stmt **out, rv_err *err)
{
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return db_error(s, err, "preparing statement");
    return RV_OK;
}

static rv_status prepare_entity(sq_store *s, const rv_entity *e, rv_err *err)
{
    ent_stmts *t = &s->st[e->index];
    rv_buf b = RV_BUF_INIT;
    rv_status rc;
    rv_buf_printf(&b, "INSERT INTO %s (", e->name);
    for (int i = 0; i < e->nfields; i++)
        rv_buf_printf(&b, "%s, ", e->fields[i].name);
    rv_buf_puts(&b, "created_at, updated_at) VALUES (");
    for (int i = 0; i < e->nfields + 2; i++)
        rv_buf_puts(&b, i ? ", ?" : "?");
    rv_buf_puts(&b, ")");
    if ((rc = prepare(s, rv_buf_str(&b), &t->ins, err)))
        goto out;
    rv_buf_reset(&b);
    rv_buf_printf(&b, "UPDATE %s SET ", e->name);
    for (int i = 0; i < e->nfields; i++)
        rv_buf_printf(&b, "%s = ?, ", e->fields[i].name);
    rv_buf_puts(&b, "updated_at = ? WHERE id = ?");
    if ((rc = prepare(s, rv_buf_str(&b), &t->upd, err)))
        goto out;
    rv_buf_reset(&b);
    rv_buf_puts(&b, "SELECT id");
    for (int i = 0; i < e->nfields; i++)
        rv_buf_printf(&b, ", %s", e->fields[i].name);
    rv_buf_printf(&b, ", created_at, updated_at FROM %s WHERE id = ?", e->name);
    if ((rc = prepare(s, rv_buf_str(&b), &t->get, err)))
        goto out;
    rv_buf_reset(&b);
    rv_buf_printf(&b, "DELETE FROM %s WHERE id = ?", e->name);
    if ((rc = prepare(s, rv_buf_str(&b), &t->del, err)))
        goto out;
    rv_buf_reset(&b);
    rv_buf_printf(&b, "SELECT 1 FROM %s WHERE id = ?", e->name);
    rc = prepare(s, rv_buf_str(&b), &t->exists, err);
out:
    rv_buf_release(&b);
    return rc;
}

static void sq_close(rv_store *rs_);
static void sq_rollback(rv_store *rs_);

static rv_status sq_open(rv_store **out, const char *path, unsigned flags, rv_err *err)
{
    *out = NULL;
    sq_store *s = rv_xcalloc(1, sizeof *s);
    s->base.ops = &rv__sqlite_ops;
    s->base.path = rv_xstrdup(path);
    int oflags = (flags & RV_STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & RV_STORE_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    oflags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        rv_err_set(err, RV_EIO, "db", "cannot open database '%s': %s", path,
                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sq_close(&s->base);
        return RV_EIO;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    rv_status rc = exec(s,
                        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                        "PRAGMA temp_store = MEMORY;",
                        err);
    if (!rc && !(flags & RV_STORE_READONLY))
        rc = exec(s, "PRAGMA journal_mode = WAL;", err);
    if (!rc && (flags & RV_STORE_NO_AUTOCHECKPOINT) && !(flags & RV_STORE_READONLY))
        rc = exec(s, "PRAGMA wal_autocheckpoint = 0;", err);
    if (rc) {
        rv_err_prefix(err, "opening '%s': ", path);
        sq_close(&s->base);
        return rc;
    }
    if (!(flags & RV_STORE_READONLY) && (rc = migrate(s, err))) {
        sq_close(&s->base);
        return rc;
    }
    for (int k = 0; rv_entities[k]; k++) {
        if ((rc = prepare_entity(s, rv_entities[k], err))) {
            rv_err_prefix(err, "opening '%s' (is it a revos database?): ", path);
            sq_close(&s->base);
            return rc;
        }
    }
    *out = &s->base;
    return RV_OK;
}

static void sq_close(rv_store *rs_)
{
    sq_store *s = (sq_store *)rs_;
    if (!s)
        return;
    for (int k = 0; k < 64; k++) {
        sqlite3_finalize(s->st[k].ins);
        sqlite3_finalize(s->st[k].upd);
        sqlite3_finalize(s->st[k].get);
        sqlite3_finalize(s->st[k].del);
        sqlite3_finalize(s->st[k].exists);
    }
    for (int k = 0; k < s->nfinds; k++)
        sqlite3_finalize(s->finds[k].st);
    for (int k = 0; k < LIST_CACHE; k++) {
        sqlite3_finalize(s->lists[k].st);
        free(s->lists[k].sql);
    }
    sqlite3_finalize(s->copy);
    for (int k = 0; k < (int)(sizeof s->fixed / sizeof s->fixed[0]); k++)
        sqlite3_finalize(s->fixed[k]);
    if (s->db)
        sqlite3_close(s->db);
    free(s->base.path);
    free(s);
}

static int sq_schema_version(rv_store *rs_)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_stmt *st;
    int v = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static int64_t sq_data_version(rv_store *rs_)
{
    sq_store *s = (sq_store *)rs_;
    int64_t v = 0;
    rv_err err;
    exec_fixed(s, FX_DATA_VERSION, &v, &err);
    return v;
}

static rv_status sq_begin(rv_store *rs_, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    if (s->base.in_tx)
        return rv_err_set(err, RV_EINTERNAL, NULL, "transaction already open");
    rv_status rc = exec_fixed(s, FX_BEGIN_WRITE, NULL, err);
    if (!rc)
        s->base.in_tx = true;
    return rc;
}

static rv_status sq_begin_read(rv_store *rs_, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    if (s->base.in_tx)
        return rv_err_set(err, RV_EINTERNAL, NULL, "transaction already open");
    rv_status rc = exec_fixed(s, FX_BEGIN, NULL, err);
    if (!rc)
        s->base.in_tx = true;
    return rc;
}

static rv_status sq_commit(rv_store *rs_, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    rv_status rc = exec_fixed(s, FX_COMMIT, NULL, err);
    if (rc) {
        sq_rollback(&s->base);
        return rc;
    }
    s->base.in_tx = false;
    return RV_OK;
}

static void sq_rollback(rv_store *rs_)
{
    sq_store *s = (sq_store *)rs_;
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->base.in_tx = false;
}

static void sq_bulk(rv_store *rs_, bool on)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_exec(s->db, on ? "PRAGMA cache_size = -262144" : "PRAGMA cache_size = -2000", NULL,
                 NULL, NULL);
}

static rv_status sq_checkpoint(rv_store *rs_, int64_t *frames, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        return rv_err_set(err, RV_EIO, "db", "checkpoint of '%s' failed: %s", s->base.path,
                          sqlite3_errmsg(s->db));
    if (frames)
        *frames = log > 0 ? log : 0;
    return RV_OK;
}

static void bind_val(sqlite3_stmt *st, int col, const rv_field *f, const rv_val *v)
{
    if (v->state != RV_V_SET) {
        sqlite3_bind_null(st, col);
        return;
    }
    if (rv_ftype_is_int(f->type))
        sqlite3_bind_int64(st, col, v->i);
    else
        sqlite3_bind_text(st, col, v->s, (int)v->len, SQLITE_STATIC);
}

/* Read column col of st into v (arena copies text when a is given,
 * otherwise text points into the statement until the next step). */
static void read_val(sqlite3_stmt *st, int col, const rv_field *f, rv_val *v, rv_arena *a)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        memset(v, 0, sizeof *v);
        v->state = RV_V_NULL;
        return;
    }
    v->state = RV_V_SET;
    v->i = 0;
    switch (f->type) {
    case RV_FT_INT:
    case RV_FT_MONEY:
    case RV_FT_DATE:
    case RV_FT_TS:
    case RV_FT_BOOL:
    case RV_FT_REF:
        v->i = sqlite3_column_int64(st, col);
        v->s = NULL;
        v->len = 0;
        break;
    case RV_FT_ENUM: {
        const char *t = (const char *)sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);
        int k = rv_enum_index(f, t, (size_t)n);
        v->s = k >= 0 ? f->values[k] : (a ? rv_arena_strndup(a, t, (size_t)n) : t);
        v->len = (uint32_t)n;
        break;
    }
    default: {
        const char *t = (const char *)sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);
        v->s = a ? rv_arena_strndup(a, t, (size_t)n) : t;
        v->len = (uint32_t)n;
    }
    }
}

static void read_row(sqlite3_stmt *st, const rv_entity *e, rv_record *r, rv_arena *a)
{
    /* every field is overwritten below: no need to clear the whole record */
    r->ent = e;
    r->id = sqlite3_column_int64(st, 0);
    for (int i = 0; i < e->nfields; i++)
        read_val(st, i + 1, &e->fields[i], &r->v[i], a);
    r->created_at = sqlite3_column_int64(st, e->nfields + 1);
    r->updated_at = sqlite3_column_int64(st, e->nfields + 2);
}

/* Turn a constraint failure into a message about the record. */
static rv_status write_error(sq_store *s, const rv_record *r, rv_err *err)
{
    int code = sqlite3_extended_errcode(s->db);
    if (code == SQLITE_CONSTRAINT_UNIQUE) {
        const char *m = sqlite3_errmsg(s->db);
        /* "UNIQUE constraint failed: deals.external_id" */
        const char *dot = strrchr(m, '.');
        const char *field = dot ? dot + 1 : "";
        char buf[64], q[80];
        int fi = rv_field_index(r->ent, field);
        const char *val = fi >= 0 ? rv_record_text(r, fi, buf, sizeof buf) : NULL;
        if (fi >= 0 && val)
            return rv_err_set(err, RV_ECONFLICT, field, "another %s already has %s '%s'",
                              r->ent->one, field, rv_err_quote(q, sizeof q, val, strlen(val)));
        return rv_err_set(err, RV_ECONFLICT, NULL, "another %s has the same values: %s",
                          r->ent->one, m);
    }
    if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
        return rv_err_set(err, RV_EREF, NULL, "%s refers to a record that does not exist",
                          r->ent->one);
    return db_error(s, err, "writing");
}

static rv_status sq_insert(rv_store *rs_, rv_record *r, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    const rv_entity *e = r->ent;
    sqlite3_stmt *st = s->st[e->index].ins;
    for (int i = 0; i < e->nfields; i++)
        bind_val(st, i + 1, &e->fields[i], &r->v[i]);
    sqlite3_bind_int64(st, e->nfields + 1, r->created_at);
    sqlite3_bind_int64(st, e->nfields + 2, r->updated_at);
    int rc = sqlite3_step(st);
    rv_status out = RV_OK;
    if (rc != SQLITE_DONE)
        out = write_error(s, r, err);
    else
        r->id = sqlite3_last_insert_rowid(s->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

static rv_status sq_update(rv_store *rs_, const rv_record *r, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    const rv_entity *e = r->ent;
    sqlite3_stmt *st = s->st[e->index].upd;
    for (int i = 0; i < e->nfields; i++)
        bind_val(st, i + 1, &e->fields[i], &r->v[i]);
    sqlite3_bind_int64(st, e->nfields + 1, r->updated_at);
    sqlite3_bind_int64(st, e->nfields + 2, r->id);
    int rc = sqlite3_step(st);
    rv_status out = RV_OK;
    if (rc != SQLITE_DONE)
        out = write_error(s, r, err);
    else if (sqlite3_changes(s->db) == 0)
        out = rv_err_set(err, RV_ENOTFOUND, "id", "%s %lld not found", e->one, (long long)r->id);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

static rv_status sq_delete(rv_store *rs_, const rv_entity *e, int64_t id, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_stmt *st = s->st[e->index].del;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    rv_status out = RV_OK;
    if (rc != SQLITE_DONE)
        out = db_error(s, err, "deleting");
    else if (sqlite3_changes(s->db) == 0)
        out = rv_err_set(err, RV_ENOTFOUND, "id", "%s %lld not found", e->one, (long long)id);
    sqlite3_reset(st);
    return out;
}

static rv_status sq_get(rv_store *rs_, const rv_entity *e, int64_t id, rv_record *out, rv_arena *a,
                       rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_stmt *st = s->st[e->index].get;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    rv_status res = RV_OK;
    if (rc == SQLITE_ROW)
        read_row(st, e, out, a);
    else if (rc == SQLITE_DONE)
        res = rv_err_set(err, RV_ENOTFOUND, "id", "%s %lld not found", e->one, (long long)id);
    else
        res = db_error(s, err, "reading");
    sqlite3_reset(st);
    return res;
}

static bool sq_exists(rv_store *rs_, const rv_entity *e, int64_t id)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_stmt *st = s->st[e->index].exists;
    sqlite3_bind_int64(st, 1, id);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return yes;
}

static sqlite3_stmt *find_stmt_for(sq_store *s, const rv_entity *e, int fi, int scope_fi)
{
    for (int k = 0; k < s->nfinds; k++)
        if (s->finds[k].ent == e->index && s->finds[k].field == fi && s->finds[k].scope == scope_fi)
            return s->finds[k].st;
    const rv_field *f = &e->fields[fi];
    char sql[256];
    bool nocase = f->type != RV_FT_EXTID;
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?%s%s%s%s LIMIT 2", e->name, f->name,
             nocase ? " COLLATE NOCASE" : "", scope_fi >= 0 ? " AND " : "",
             scope_fi >= 0 ? e->fields[scope_fi].name : "", scope_fi >= 0 ? " = ?" : "");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;
    if (s->nfinds < FIND_CACHE) {
        s->finds[s->nfinds++] = (find_stmt){e->index, fi, scope_fi, st};
    } else {
        /* full: replace the oldest entry */
        sqlite3_finalize(s->finds[0].st);
        memmove(&s->finds[0], &s->finds[1], sizeof s->finds[0] * (FIND_CACHE - 1));
        s->finds[FIND_CACHE - 1] = (find_stmt){e->index, fi, scope_fi, st};
    }
    return st;
}

static rv_status sq_find(rv_store *rs_, const rv_entity *e, int fi, const char *text, size_t len,
                        int scope_fi, int64_t scope_id, int64_t *id, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_stmt *st = find_stmt_for(s, e, fi, scope_fi);
    if (!st)
        return db_error(s, err, "looking up");
    sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC);
    if (scope_fi >= 0)
        sqlite3_bind_int64(st, 2, scope_id);
    int n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == 0)
            *id = sqlite3_column_int64(st, 0);
        n++;
    }
    rv_status res = RV_OK;
    if (rc != SQLITE_DONE)
        res = db_error(s, err, "looking up");
    else if (n == 0)
        res = RV_ENOTFOUND;
    else if (n > 1)
        res = RV_ECONFLICT;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return res;
}

static void where_sql(rv_buf *b, const rv_query *q, bool with_cursor)
{
    const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    bool any = false;
    for (int i = 0; i < q->nfilters; i++) {
        const rv_filter *f = &q->filters[i];
        const char *col = rv_store_column_name(q->ent, f->field);
        rv_buf_puts(b, any ? " AND " : " WHERE ");
        any = true;
        switch (f->op) {
        case RV_OP_NULL: rv_buf_printf(b, "%s IS NULL", col); break;
        case RV_OP_NOTNULL: rv_buf_printf(b, "%s IS NOT NULL", col); break;
        case RV_OP_IN: rv__store_in_sql(b, q->ent, f); break;
        case RV_OP_CONTAINS: rv_buf_printf(b, "instr(lower(%s), lower(?)) > 0", col); break;
        case RV_OP_NE: rv_buf_printf(b, "%s IS NOT ?", col); break;
        default: rv_buf_printf(b, "%s %s ?", col, ops[f->op]);
        }
    }
    if (with_cursor && q->has_cursor) {
        const char *col = rv_store_column_name(q->ent, q->sort_field);
        const char *cmp = q->desc ? "<" : ">";
        rv_buf_puts(b, any ? " AND " : " WHERE ");
        if (q->sort_field == RV_COL_ID)
            rv_buf_printf(b, "id %s ?", cmp);
        else if (q->cursor_val.state == RV_V_SET)
            /* NULLs sort first ascending, last descending (SQLite order) */
            rv_buf_printf(b, q->desc ? "(%s < ? OR (%s = ? AND id < ?) OR %s IS NULL)"
                                     : "(%s > ? OR (%s = ? AND id > ?))",
                          col, col, col);
        else
            rv_buf_printf(b, q->desc ? "(%s IS NULL AND id < ?)" : "(%s IS NOT NULL OR id > ?)",
                          col);
    }
}

static int bind_filters(sqlite3_stmt *st, const rv_query *q, bool with_cursor)
{
    int col = 1;
    for (int i = 0; i < q->nfilters; i++) {
        const rv_filter *f = &q->filters[i];
        if (f->op == RV_OP_NULL || f->op == RV_OP_NOTNULL || f->op == RV_OP_IN)
            continue;
        bind_val(st, col++, rv__store_column_field(q->ent, f->field), &f->val);
    }
    if (with_cursor && q->has_cursor) {
        const rv_field *sf = rv__store_column_field(q->ent, q->sort_field);
        if (q->sort_field == RV_COL_ID) {
            sqlite3_bind_int64(st, col++, q->cursor_id);
        } else if (q->cursor_val.state == RV_V_SET) {
            bind_val(st, col++, sf, &q->cursor_val);
            bind_val(st, col++, sf, &q->cursor_val);
            sqlite3_bind_int64(st, col++, q->cursor_id);
        } else {
            sqlite3_bind_int64(st, col++, q->cursor_id);
        }
    }
    return col;
}

/* A prepared statement for sql, from the cache when possible; *slot is
 * its cache slot or -1 when the caller owns it. */
static sqlite3_stmt *list_prepare(sq_store *s, const char *sql, int *slot)
{
    int victim = -1;
    uint64_t h = rv_hash(sql, strlen(sql));
    for (int i = 0; i < LIST_CACHE; i++) {
        list_stmt *l = &s->lists[i];
        if (l->sql && !l->busy && l->hash == h && !strcmp(l->sql, sql)) {
            l->used = ++s->tick;
            l->busy = true;
            *slot = i;
            return l->st;
        }
        if (!l->busy && (victim < 0 || l->used < s->lists[victim].used))
            victim = i;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;
    *slot = victim;
    if (victim >= 0) {
        list_stmt *l = &s->lists[victim];
        sqlite3_finalize(l->st);
        free(l->sql);
        l->sql = rv_xstrdup(sql);
        l->hash = h;
        l->st = st;
        l->used = ++s->tick;
        l->busy = true;
    }
    return st;
}

static void list_release(sq_store *s, sqlite3_stmt *st, int slot)
{
    if (slot < 0) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    s->lists[slot].busy = false;
}

/* "SELECT id, <every field>, created_at, updated_at FROM <table>", built
 * once per entity. */
static char *select_prefix[64];
static pthread_once_t prefix_once = PTHREAD_ONCE_INIT;

static void build_prefixes(void)
{
    for (int k = 0; rv_entities[k] && k < 64; k++) {
        const rv_entity *e = rv_entities[k];
        rv_buf b = RV_BUF_INIT;
        rv_buf_puts(&b, "SELECT id");
        for (int i = 0; i < e->nfields; i++)
            rv_buf_printf(&b, ", %s", e->fields[i].name);
        rv_buf_printf(&b, ", created_at, updated_at FROM %s", e->name);
        select_prefix[k] = rv_buf_detach(&b, NULL);
    }
}

static rv_status sq_list(rv_store *rs_, const rv_query *q, rv_row_fn fn, void *ud, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    const rv_entity *e = q->ent;
    pthread_once(&prefix_once, build_prefixes);
    rv_buf b = RV_BUF_INIT;
    rv_buf_reserve(&b, 1024);
    rv_buf_puts(&b, select_prefix[e->index]);
    where_sql(&b, q, true);
    const char *dir = q->desc ? "DESC" : "ASC";
    if (q->sort_field == RV_COL_ID)
        rv_buf_printf(&b, " ORDER BY id %s", dir);
    else
        rv_buf_printf(&b, " ORDER BY %s %s, id %s", rv_store_column_name(e, q->sort_field), dir,
                      dir);
    if (q->limit > 0)
        rv_buf_puts(&b, " LIMIT ?");
    int slot;
    rv_status res = RV_OK;
    sqlite3_stmt *st = list_prepare(s, rv_buf_str(&b), &slot);
    rv_buf_release(&b);
    if (!st)
        return db_error(s, err, "listing");
    int col = bind_filters(st, q, true);
    if (q->limit > 0)
        sqlite3_bind_int(st, col, q->limit);
    rv_record r;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_row(st, e, &r, NULL);
        if (fn(ud, &r))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = db_error(s, err, "listing");
    list_release(s, st, slot);
    return res;
}

static rv_status sq_count(rv_store *rs_, const rv_query *q, int64_t *n, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    rv_buf b = RV_BUF_INIT;
    rv_buf_printf(&b, "SELECT count(*) FROM %s", q->ent->name);
    where_sql(&b, q, false);
    int slot;
    rv_status res = RV_OK;
    sqlite3_stmt *st = list_prepare(s, rv_buf_str(&b), &slot);
    rv_buf_release(&b);
    if (!st)
        return db_error(s, err, "counting");
    bind_filters(st, q, false);
    *n = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        res = db_error(s, err, "counting");
    list_release(s, st, slot);
    return res;
}

static rv_status sq_scan(rv_store *rs_, const rv_query *q, const int *cols, int ncols,
                         rv_scan_fn fn, void *ud, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    rv_buf b = RV_BUF_INIT;
    rv_buf_puts(&b, "SELECT ");
    for (int i = 0; i < ncols; i++)
        rv_buf_printf(&b, "%s%s", i ? ", " : "", rv_store_column_name(q->ent, cols[i]));
    rv_buf_printf(&b, " FROM %s", q->ent->name);
    where_sql(&b, q, false);
    rv_buf_puts(&b, " ORDER BY id");
    int slot;
    sqlite3_stmt *st = list_prepare(s, rv_buf_str(&b), &slot);
    rv_buf_release(&b);
    if (!st)
        return db_error(s, err, "scanning");
    bind_filters(st, q, false);
    const rv_field *f[RV_SCAN_MAX_COLS];
    for (int i = 0; i < ncols; i++)
        f[i] = rv__store_column_field(q->ent, cols[i]);
    rv_val v[RV_SCAN_MAX_COLS];
    rv_status res = RV_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++)
            read_val(st, i, f[i], &v[i], NULL);
        if (fn(ud, v))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = db_error(s, err, "scanning");
    list_release(s, st, slot);
    return res;
}

/* --- bulk copy and totals -------------------------------------------------- */

static rv_status sq_copy_begin(rv_store *rs_, const rv_entity *e, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_finalize(s->copy);
    s->copy = NULL;
    s->copied = 0;
    /* checked at commit: a row may name a later row of its own table */
    rv_status rc = exec(s, "PRAGMA defer_foreign_keys = ON", err);
    if (rc)
        return rc;
    rv_buf b = RV_BUF_INIT;
    rv_buf_printf(&b, "INSERT INTO %s (id", e->name);
    for (int i = 0; i < e->nfields; i++)
        rv_buf_printf(&b, ", %s", e->fields[i].name);
    rv_buf_puts(&b, ", created_at, updated_at) VALUES (?");
    for (int i = 0; i < e->nfields + 2; i++)
        rv_buf_puts(&b, ", ?");
    rv_buf_puts(&b, ")");
    if (sqlite3_prepare_v2(s->db, rv_buf_str(&b), -1, &s->copy, NULL) != SQLITE_OK)
        rc = db_error(s, err, "copying");
    rv_buf_release(&b);
    return rc;
}

static rv_status sq_copy_row(rv_store *rs_, const rv_record *r, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    const rv_entity *e = r->ent;
    sqlite3_stmt *st = s->copy;
    if (!st)
        return rv_err_set(err, RV_EINTERNAL, NULL, "copying %s: no copy in progress", e->name);
    sqlite3_bind_int64(st, 1, r->id);
    for (int i = 0; i < e->nfields; i++)
        bind_val(st, i + 2, &e->fields[i], &r->v[i]);
    sqlite3_bind_int64(st, e->nfields + 2, r->created_at);
    sqlite3_bind_int64(st, e->nfields + 3, r->updated_at);
    rv_status out = RV_OK;
    if (sqlite3_step(st) != SQLITE_DONE) {
        out = write_error(s, r, err);
        rv_err_prefix(err, "copying %s %lld: ", e->name, (long long)r->id);
    } else {
        s->copied++;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return out;
}

static rv_status sq_copy_end(rv_store *rs_, int64_t *rows, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    (void)err;
    sqlite3_finalize(s->copy);
    s->copy = NULL;
    *rows = s->copied;
    return RV_OK;
}

static rv_status sq_int_row(rv_store *rs_, const char *sql, int64_t *v, int n, rv_err *err)
{
    sq_store *s = (sq_store *)rs_;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "reading totals");
    rv_status rc = RV_OK;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_count(st) == n) {
        for (int i = 0; i < n; i++)
            v[i] = sqlite3_column_int64(st, i);
    } else {
        rc = db_error(s, err, "reading totals");
    }
    sqlite3_finalize(st);
    return rc;
}

const rv__store_ops rv__sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .schema_version = sq_schema_version,
    .data_version = sq_data_version,
    .begin = sq_begin,
    .begin_read = sq_begin_read,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .bulk = sq_bulk,
    .checkpoint = sq_checkpoint,
    .insert = sq_insert,
    .update = sq_update,
    .del = sq_delete,
    .get = sq_get,
    .exists = sq_exists,
    .find = sq_find,
    .list = sq_list,
    .count = sq_count,
    .scan = sq_scan,
    .copy_begin = sq_copy_begin,
    .copy_row = sq_copy_row,
    .copy_end = sq_copy_end,
    .int_row = sq_int_row,
};
