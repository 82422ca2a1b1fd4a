/*
 * import.c - the row import API and CSV files (see import.h).
 *
 * The row path, per row:
 *
 *   1. map column names to field indexes: once per distinct column list
 *      (cached per entity; the same list again costs one short string
 *      comparison per column);
 *   2. parse each cell into the record (rv_record_set_text) with the row
 *      arena, which is reset at the start of the next row;
 *   3. rv_svc_upsert_outcome() in the import's transaction: references
 *      resolve through ctx->refcache, no per-row event (batch mode);
 *   4. count what it did: created, updated, or unchanged (nothing written).
 *
 * A rejected row leaves whatever it wrote inside the transaction, which is
 * rolled back at the end anyway; later rows are still checked so that one
 * run reports every problem.
 *
 * On a store that defers inserts (PostgreSQL), step 3 knows from the
 * entity's external ids, read once, whether the row is new, and each row
 * is tagged with its origin (row number, source, column layout) so that a
 * row the database refuses when its COPY runs is rejected like any other.
 *
 * The CSV layer maps the header once (exact field names, --map, the
 * Salesforce or HubSpot names of the entity table, auto-detected when most
 * headers are such names), then streams records from the CSV reader into
 * rv_import_row() with the header's names as the reported columns.
 */
#include "service/import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "model/money.h"
#include "service/service_internal.h"

/* ---- the import ------------------------------------------------------------ */

typedef struct colcache {
    int ncols;                             /* -1: nothing cached */
    const char *names[RV_IMPORT_MAX_COLS]; /* copies, in im->keep */
    int fi[RV_IMPORT_MAX_COLS];            /* field index; -1: skipped */
    int xi;                                /* external_id field of the entity, -1 none */
} colcache;

/* Where a row came from, for a reject found after the row was taken: on
 * PostgreSQL new rows wait in the store's COPY buffer, and the database
 * may refuse one when the buffer is written (store.h, deferred inserts).
 * The row's tag in the store is its index in im->origins. */
typedef struct layout {
    const char *source; /* copies, in im->keep */
    int ncols;
    const int *fi;
    const char *const *names;
} layout;

typedef struct origin {
    long rowno;
    int32_t layout;
    int16_t ent;
    int8_t how; /* rv_upsert_outcome once taken, 0 before */
    bool rejected;
} origin;

struct rv_import {
    rv_ctx *c;
    /* what the context had before, restored by rv_import_end() */
    rv_arena *saved_arena;
    rv_map *saved_refcache;
    bool saved_batch, saved_no_initial_history;

    rv_arena row;    /* per row: parsed values, records read back */
    rv_arena keep;   /* for the whole import: column names */
    rv_map refcache; /* ctx->refcache during the import */
    rv_map unknown;  /* "<entity>\x1f<name>" of unknown columns already reported */
    colcache *cols[RV_IMPORT_MAX_ENTITIES];

    /* deferred inserts (PostgreSQL): see struct origin */
    bool defer;
    rv_map *extids[RV_IMPORT_MAX_ENTITIES]; /* ctx->extids; NULL until the entity's first row */
    origin *origins;
    long norigins, cap_origins;
    layout *layouts;
    int nlayouts;
    rv_map layout_ix; /* layout key -> index in layouts */
    rv_buf key;

    rv_import_report rep;
    int max_errors, rejects_cap;
    bool dry_run;
    const char *source;
    const char *const *columns;
    int64_t t0;
};

void rv_import_report_init(rv_import_report *rep)
{
    memset(rep, 0, sizeof *rep);
}

void rv_import_report_release(rv_import_report *rep)
{
    if (!rep)
        return;
    free(rep->rejects);
    rep->rejects = NULL;
    rep->nrejects = 0;
}

static void deferred_reject(void *ud, int64_t tag, const rv_err *why);

rv_status rv_import_begin(rv_ctx *c, const rv_import_opts *o, rv_import **out, rv_err *err)
{
    *out = NULL;
    if (rv_store_in_tx(c->store))
        return rv_err_set(err, RV_ECONFLICT, NULL,
                          "an import needs its own transaction, and one is already open");
    rv_status st = rv_store_begin(c->store, err);
    if (st)
        return st;
    rv_import *im = rv_xcalloc(1, sizeof *im);
    im->c = c;
    im->t0 = rv_now_ms();
    im->max_errors = o && o->max_errors > 0 ? o->max_errors : RV_IMPORT_DEFAULT_MAX_ERRORS;
    im->dry_run = o && o->dry_run;
    im->rep.dry_run = im->dry_run;
    rv_arena_init(&im->row, 64 * 1024);
    rv_arena_init(&im->keep, 16 * 1024);
    rv_map_init(&im->refcache);
    rv_map_init(&im->unknown);
    im->saved_arena = c->arena;
    im->saved_refcache = c->refcache;
    im->saved_batch = c->batch;
    im->saved_no_initial_history = c->no_initial_history;
    c->arena = &im->row;
    c->refcache = &im->refcache;
    c->batch = true;
    c->no_initial_history = o && o->history_supplied;
    c->recent = rv__recent_new();
    rv_store_bulk(c->store, true);
    rv_map_init(&im->layout_ix);
    if (rv_store_can_defer(c->store)) {
        if ((st = rv_store_defer_begin(c->store, deferred_reject, im, err))) {
            rv_import_end(im, NULL, NULL);
            return st;
        }
        im->defer = true;
        c->extids = im->extids;
    }
    *out = im;
    return RV_OK;
}

void rv_import_set_source(rv_import *im, const char *source, const char *const *columns)
{
    im->source = source;
    im->columns = columns;
}

int64_t rv_import_rejected(const rv_import *im)
{
    return im->rep.rejected;
}

static void add_reject_from(rv_import *im, const char *source, const rv_entity *e, long rowno,
                            const char *column, const rv_err *why);

static void add_reject(rv_import *im, const rv_entity *e, long rowno, const char *column,
                       const rv_err *why)
{
    add_reject_from(im, im->source, e, rowno, column, why);
}

static void add_reject_from(rv_import *im, const char *source, const rv_entity *e, long rowno,
                            const char *column, const rv_err *why)
{
    im->rep.rejected++;
    if (e)
        im->rep.counts[e->index].rejected++;
    if (im->rep.nrejects >= im->max_errors)
        return;
    if (im->rep.nrejects == im->rejects_cap) {
        im->rejects_cap = im->rejects_cap ? im->rejects_cap * 2 : 8;
        if (im->rejects_cap > im->max_errors)
            im->rejects_cap = im->max_errors;
        im->rep.rejects =
            rv_xrealloc(im->rep.rejects, (size_t)im->rejects_cap * sizeof *im->rep.rejects);
    }
    rv_import_reject *r = &im->rep.rejects[im->rep.nrejects++];
    memset(r, 0, sizeof *r);
    r->row = rowno;
    snprintf(r->source, sizeof r->source, "%s", source ? source : "");
    snprintf(r->entity, sizeof r->entity, "%s", e ? e->name : "");
    snprintf(r->column, sizeof r->column, "%s", column ? column : "");
    r->err = *why;
}

void rv_import_reject_row(rv_import *im, const rv_entity *e, long rowno, const char *column,
                          const rv_err *why)
{
    im->rep.rows++;
    add_reject(im, e, rowno, column, why);
}

/* Which of the row's columns a failure concerns: the column whose field is
 * err->field ("custom.x" belongs to the custom column), else the field. */
static const char *column_of_error(const layout *l, const rv_entity *e, const rv_err *err)
{
    if (!err->field[0])
        return NULL;
    size_t n = strcspn(err->field, ".");
    for (int i = 0; i < l->ncols; i++) {
        int fi = l->fi[i];
        if (fi < 0)
            continue;
        const char *fname = e->fields[fi].name;
        if (strlen(fname) == n && strncmp(fname, err->field, n) == 0)
            return l->names[i];
    }
    return err->field;
}

/* The row's layout as it is now (nothing copied). */
static layout layout_now(const rv_import *im, const colcache *cc)
{
    return (layout){im->source, cc->ncols, cc->fi, im->columns ? im->columns : cc->names};
}

/* The index of the row's layout among those kept for the import (one
 * copy per distinct source, entity and column list). */
static int32_t layout_keep(rv_import *im, const rv_entity *e, const colcache *cc)
{
    layout now = layout_now(im, cc);
    rv_buf *k = &im->key;
    rv_buf_reset(k);
    rv_buf_printf(k, "%d\x1e%s\x1e", e->index, now.source ? now.source : "");
    for (int i = 0; i < now.ncols; i++)
        rv_buf_printf(k, "%d\x1f%s\x1f", now.fi[i], now.names[i] ? now.names[i] : "");
    int64_t ix;
    if (rv_map_get(&im->layout_ix, k->data, k->len, &ix))
        return (int32_t)ix;
    im->layouts = rv_xrealloc(im->layouts, (size_t)(im->nlayouts + 1) * sizeof *im->layouts);
    layout *l = &im->layouts[im->nlayouts];
    int *fi = rv_arena_alloc(&im->keep, (size_t)(now.ncols + 1) * sizeof *fi);
    const char **names = rv_arena_alloc(&im->keep, (size_t)(now.ncols + 1) * sizeof *names);
    for (int i = 0; i < now.ncols; i++) {
        fi[i] = now.fi[i];
        names[i] = rv_arena_strdup(&im->keep, now.names[i] ? now.names[i] : "");
    }
    *l = (layout){now.source ? rv_arena_strdup(&im->keep, now.source) : NULL, now.ncols, fi,
                  names};
    rv_map_put(&im->layout_ix, k->data, k->len, im->nlayouts);
    return im->nlayouts++;
}

/* The store refused a row it had deferred: reject the import row it came
 * from (once, however many of its writes were refused). */
static void deferred_reject(void *ud, int64_t tag, const rv_err *why)
{
    rv_import *im = ud;
    if (tag < 0 || tag >= im->norigins || im->origins[tag].rejected)
        return;
    origin *o = &im->origins[tag];
    o->rejected = true;
    const rv_entity *e = rv_entities[0];
    for (int k = 0; rv_entities[k]; k++)
        if (rv_entities[k]->index == o->ent)
            e = rv_entities[k];
    rv_import_count *cnt = &im->rep.counts[o->ent];
    if (o->how == RV_UPSERT_CREATED)
        cnt->created--;
    else if (o->how == RV_UPSERT_UPDATED)
        cnt->updated--;
    else if (o->how == RV_UPSERT_UNCHANGED)
        cnt->unchanged--;
    const layout *l = &im->layouts[o->layout];
    add_reject_from(im, l->source, e, o->rowno, column_of_error(l, e, why), why);
}

static void keep_extid(void *ud, const char *text, size_t len, int64_t id)
{
    rv_map_put(ud, text, len, id);
}

/* Upsert on PostgreSQL: the entity's external ids are read once, and a row
 * whose external id is new is created without a lookup (its insert waits
 * in the store's buffer). */
static rv_status upsert_known(rv_import *im, const colcache *cc, rv_record *r,
                              rv_upsert_outcome *how, rv_err *err)
{
    const rv_entity *e = r->ent;
    rv_val *x = cc->xi >= 0 ? &r->v[cc->xi] : NULL;
    if (!x || x->state != RV_V_SET)
        return rv_svc_upsert_outcome(im->c, r, how, err);
    rv_map *m = im->extids[e->index];
    if (!m) {
        m = im->extids[e->index] = rv_xcalloc(1, sizeof *m);
        rv_map_init(m);
        rv_status st = rv_store_keys(im->c->store, e, cc->xi, keep_extid, m, err);
        if (st)
            return st;
    }
    int64_t id = 0;
    rv_map_get(m, x->s, x->len, &id);
    rv_status st = rv__upsert_known(im->c, r, id, how, err);
    if (!st && *how == RV_UPSERT_CREATED)
        rv_map_put(m, x->s, x->len, r->id);
    return st;
}

static bool implicit_column(const char *name)
{
    return !strcmp(name, "id") || !strcmp(name, "created_at") || !strcmp(name, "updated_at");
}

/* The field indexes for this column list, or NULL after rejecting the row
 * (an unknown name seen for the first time, a field given twice). */
static colcache *map_columns(rv_import *im, const rv_entity *e, int ncols,
                             const char *const *fields, long rowno, rv_status *why)
{
    colcache *cc = im->cols[e->index];
    if (!cc) {
        cc = rv_xcalloc(1, sizeof *cc);
        cc->xi = rv_entity_extid_field(e);
        cc->ncols = -1;
        im->cols[e->index] = cc;
    }
    if (cc->ncols == ncols) {
        bool same = true;
        for (int i = 0; i < ncols && same; i++)
            same = strcmp(cc->names[i], fields[i] ? fields[i] : "") == 0;
        if (same)
            return cc;
    }
    rv_err err;
    cc->ncols = -1;
    for (int i = 0; i < ncols; i++) {
        const char *name = fields[i] ? fields[i] : "";
        cc->names[i] = rv_arena_strdup(&im->keep, name);
        cc->fi[i] = -1;
        if (implicit_column(name))
            continue;
        int fi = rv_field_index(e, name);
        if (fi < 0) {
            char key[300];
            int klen = snprintf(key, sizeof key, "%s\x1f%s", e->name, name);
            int64_t seen;
            if (klen > 0 && (size_t)klen < sizeof key &&
                rv_map_get(&im->unknown, key, (size_t)klen, &seen))
                continue;
            if (klen > 0 && (size_t)klen < sizeof key)
                rv_map_put(&im->unknown, key, (size_t)klen, 1);
            char q[80];
            rv_err_set(&err, RV_EUNKNOWN, name, "%s has no field '%s'", e->name,
                       rv_err_quote(q, sizeof q, name, strlen(name)));
            add_reject(im, e, rowno, im->columns ? im->columns[i] : name, &err);
            *why = err.code;
            return NULL;
        }
        for (int k = 0; k < i; k++)
            if (cc->fi[k] == fi) {
                rv_err_set(&err, RV_EINVAL, name, "field %s is given twice (columns %d and %d)",
                           name, k + 1, i + 1);
                add_reject(im, e, rowno, im->columns ? im->columns[i] : name, &err);
                *why = err.code;
                return NULL;
            }
        cc->fi[i] = fi;
    }
    cc->ncols = ncols;
    return cc;
}

rv_status rv_import_row(rv_import *im, const rv_entity *e, int ncols, const char *const *fields,
                        const char *const *vals, const size_t *lens, long rowno)
{
    rv_ctx *c = im->c;
    rv_err err;
    rv_status st;
    im->rep.rows++;
    if (e->flags & RV_ENT_READONLY) {
        st = rv_err_set(&err, RV_EFORBIDDEN, NULL, "%s are written by revos only", e->name);
        add_reject(im, e, rowno, NULL, &err);
        return st;
    }
    if (ncols < 0 || ncols > RV_IMPORT_MAX_COLS) {
        st = rv_err_set(&err, RV_ETOOBIG, NULL, "a row has at most %d columns, got %d",
                        RV_IMPORT_MAX_COLS, ncols);
        add_reject(im, e, rowno, NULL, &err);
        return st;
    }
    colcache *cc = map_columns(im, e, ncols, fields, rowno, &st);
    if (!cc)
        return st;
    rv_arena_reset(&im->row);
    rv_record r;
    rv_record_init(&r, e);
    for (int i = 0; i < ncols; i++) {
        int fi = cc->fi[i];
        if (fi < 0)
            continue;
        const char *v = vals[i] ? vals[i] : "";
        size_t n = vals[i] ? (lens ? lens[i] : strlen(v)) : 0;
        if ((st = rv_record_set_text(&r, fi, v, n, &im->row, &err))) {
            add_reject(im, e, rowno, im->columns ? im->columns[i] : cc->names[i], &err);
            return st;
        }
    }
    rv_import_count *cnt = &im->rep.counts[e->index];
    rv_upsert_outcome how = 0;
    long tag = -1;
    if (im->defer) {
        if (im->norigins == im->cap_origins) {
            im->cap_origins = im->cap_origins ? im->cap_origins * 2 : 1024;
            im->origins = rv_xrealloc(im->origins, (size_t)im->cap_origins * sizeof *im->origins);
        }
        tag = im->norigins++;
        im->origins[tag] = (origin){rowno, layout_keep(im, e, cc), (int16_t)e->index, 0, false};
        rv_store_defer_tag(c->store, tag);
        st = upsert_known(im, cc, &r, &how, &err);
    } else {
        st = rv_svc_upsert_outcome(c, &r, &how, &err);
    }
    if (st) {
        layout now = layout_now(im, cc);
        if (tag >= 0)
            im->origins[tag].rejected = true;
        add_reject(im, e, rowno, column_of_error(&now, e, &err), &err);
        return st;
    }
    if (tag >= 0)
        im->origins[tag].how = (int8_t)how;
    if (how == RV_UPSERT_CREATED)
        cnt->created++;
    else if (how == RV_UPSERT_UPDATED)
        cnt->updated++;
    else
        cnt->unchanged++;
    return RV_OK;
}

/* The outbox event that tells snapshot readers and automation that an
 * import happened (per-row events are off in batch mode). */
static rv_status summary_event(rv_import *im, rv_err *err)
{
    int64_t changed = 0;
    for (int k = 0; k < RV_IMPORT_MAX_ENTITIES; k++)
        changed += im->rep.counts[k].created + im->rep.counts[k].updated;
    if (!changed)
        return RV_OK;
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    rv_jsonw_obj_begin(&w);
    for (int k = 0; rv_entities[k]; k++) {
        const rv_import_count *n = &im->rep.counts[rv_entities[k]->index];
        if (!n->created && !n->updated && !n->unchanged)
            continue;
        rv_jsonw_key(&w, rv_entities[k]->name);
        rv_jsonw_obj_begin(&w);
        rv_jsonw_key(&w, "created");
        rv_jsonw_int(&w, n->created);
        rv_jsonw_key(&w, "updated");
        rv_jsonw_int(&w, n->updated);
        rv_jsonw_key(&w, "unchanged");
        rv_jsonw_int(&w, n->unchanged);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_obj_end(&w);
    const rv_entity *ev = rv_entity_find("events");
    rv_record r;
    rv_record_init(&r, ev);
    int64_t now = rv_now_ms();
    r.v[rv_field_index(ev, "entity")] = (rv_val){.s = "import", .len = 6, .state = RV_V_SET};
    r.v[rv_field_index(ev, "record_id")] = (rv_val){.i = 0, .state = RV_V_SET};
    r.v[rv_field_index(ev, "kind")] = (rv_val){.s = "created", .len = 7, .state = RV_V_SET};
    r.v[rv_field_index(ev, "at")] = (rv_val){.i = now, .state = RV_V_SET};
    if (im->c->actor_id)
        r.v[rv_field_index(ev, "actor_id")] = (rv_val){.i = im->c->actor_id, .state = RV_V_SET};
    r.v[rv_field_index(ev, "payload")] =
        (rv_val){.s = rv_buf_str(&b), .len = (uint32_t)b.len, .state = RV_V_SET};
    r.created_at = r.updated_at = now;
    rv_status st = rv_store_insert(im->c->store, &r, err);
    if (!st)
        st = rv__audit_import(im->c, rv_buf_str(&b), err);
    rv_buf_release(&b);
    return st;
}

rv_status rv_import_end(rv_import *im, rv_import_report *rep, rv_err *err)
{
    if (!im)
        return RV_OK;
    rv_ctx *c = im->c;
    rv_status st = RV_OK;
    if (im->defer && im->rep.rejected == 0 && rv_store_in_tx(c->store) &&
        (st = rv_store_defer_end(c->store, err))) {
        /* the database failed, not a row: nothing is written */
        rv_store_rollback(c->store);
        im->rep.committed = false;
    } else if (im->rep.rejected == 0 && !im->dry_run) {
        st = summary_event(im, err);
        if (st)
            rv_store_rollback(c->store);
        else
            st = rv_store_commit(c->store, err); /* rolls back itself on failure */
        im->rep.committed = st == RV_OK;
    } else {
        rv_store_rollback(c->store);
        if (im->rep.rejected)
            st = rv_err_set(err, RV_EINVAL, NULL, "%lld row%s rejected; nothing was written",
                            (long long)im->rep.rejected, im->rep.rejected == 1 ? "" : "s");
    }
    rv_store_bulk(c->store, false);
    c->arena = im->saved_arena;
    c->refcache = im->saved_refcache;
    c->batch = im->saved_batch;
    c->no_initial_history = im->saved_no_initial_history;
    rv__recent_free(c->recent);
    c->recent = NULL;
    c->extids = NULL;
    for (int k = 0; k < RV_IMPORT_MAX_ENTITIES; k++)
        if (im->extids[k]) {
            rv_map_release(im->extids[k]);
            free(im->extids[k]);
        }
    free(im->origins);
    free(im->layouts);
    rv_map_release(&im->layout_ix);
    rv_buf_release(&im->key);
    im->rep.elapsed_ms = rv_now_ms() - im->t0;
    if (rep) {
        *rep = im->rep;
    } else {
        free(im->rep.rejects);
    }
    for (int k = 0; k < RV_IMPORT_MAX_ENTITIES; k++)
        free(im->cols[k]);
    rv_map_release(&im->refcache);
    rv_map_release(&im->unknown);
    rv_arena_release(&im->row);
    rv_arena_release(&im->keep);
    free(im);
    return st;
}

const char *rv_import_reject_text(const rv_import_reject *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%srow %ld%s%s: %s", r->source, r->source[0] ? " " : "", r->row,
             r->column[0] ? ", column " : "", r->column,
             r->err.message[0] ? r->err.message : rv_status_name(r->err.code));
    return buf;
}

void rv_import_report_json(const rv_import_report *rep, rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "committed");
    rv_jsonw_bool(w, rep->committed);
    rv_jsonw_key(w, "dry_run");
    rv_jsonw_bool(w, rep->dry_run);
    if (rep->note[0]) {
        rv_jsonw_key(w, "note");
        rv_jsonw_str(w, rep->note);
    }
    rv_jsonw_key(w, "rows");
    rv_jsonw_int(w, rep->rows);
    rv_jsonw_key(w, "entities");
    rv_jsonw_obj_begin(w);
    for (int k = 0; rv_entities[k]; k++) {
        const rv_import_count *n = &rep->counts[rv_entities[k]->index];
        if (!n->created && !n->updated && !n->unchanged && !n->rejected)
            continue;
        rv_jsonw_key(w, rv_entities[k]->name);
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "created");
        rv_jsonw_int(w, n->created);
        rv_jsonw_key(w, "updated");
        rv_jsonw_int(w, n->updated);
        rv_jsonw_key(w, "unchanged");
        rv_jsonw_int(w, n->unchanged);
        rv_jsonw_key(w, "rejected");
        rv_jsonw_int(w, n->rejected);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_obj_end(w);
    rv_jsonw_key(w, "rejected");
    rv_jsonw_int(w, rep->rejected);
    rv_jsonw_key(w, "rejects");
    rv_jsonw_arr_begin(w);
    for (int i = 0; i < rep->nrejects; i++) {
        const rv_import_reject *r = &rep->rejects[i];
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "row");
        rv_jsonw_int(w, r->row);
        if (r->source[0]) {
            rv_jsonw_key(w, "source");
            rv_jsonw_str(w, r->source);
        }
        rv_jsonw_key(w, "entity");
        rv_jsonw_str(w, r->entity);
        rv_jsonw_key(w, "column");
        if (r->column[0])
            rv_jsonw_str(w, r->column);
        else
            rv_jsonw_null(w);
        rv_jsonw_key(w, "field");
        if (r->err.field[0])
            rv_jsonw_str(w, r->err.field);
        else
            rv_jsonw_null(w);
        rv_jsonw_key(w, "code");
        rv_jsonw_str(w, rv_status_name(r->err.code));
        rv_jsonw_key(w, "message");
        rv_jsonw_str(w, r->err.message);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
}

/* ---- CSV files: the header ------------------------------------------------ */

rv_status rv_import_format_parse(const char *s, rv_import_format *out, rv_err *err)
{
    static const struct {
        const char *name;
        rv_import_format f;
    } names[] = {{"salesforce", RV_FORMAT_SALESFORCE}, {"sf", RV_FORMAT_SALESFORCE},
                 {"hubspot", RV_FORMAT_HUBSPOT},       {"hs", RV_FORMAT_HUBSPOT},
                 {"fields", RV_FORMAT_FIELDS},         {"auto", RV_FORMAT_AUTO}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s && !strcasecmp(s, names[i].name))
            return (*out = names[i].f), RV_OK;
    char q[80];
    return rv_err_set(err, RV_EINVAL, "format", "format must be salesforce or hubspot, got '%s'",
                      rv_err_quote(q, sizeof q, s ? s : "", s ? strlen(s) : 0));
}

/* Is name one of the '|'-separated names in list (case-insensitive)? */
static bool in_names(const char *list, const char *name)
{
    if (!list)
        return false;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, "|");
        if (k == n && strncasecmp(p, name, n) == 0)
            return true;
        p += k;
        if (*p == '|')
            p++;
    }
    return false;
}

/* Field of e whose Salesforce (sf) or HubSpot column names include name. */
static int export_name_field(const rv_entity *e, const char *name, rv_import_format f)
{
    for (int i = 0; i < e->nfields; i++)
        if (in_names(f == RV_FORMAT_SALESFORCE ? e->fields[i].sf : e->fields[i].hs, name))
            return i;
    return -1;
}

static int field_nocase(const rv_entity *e, const char *name)
{
    for (int i = 0; i < e->nfields; i++)
        if (!strcasecmp(e->fields[i].name, name))
            return i;
    return -1;
}

#define MAP_SKIP (-1)
#define MAP_UNKNOWN (-2)

typedef struct header_map {
    int nh;
    char **names;            /* header cells (copies) */
    int *fi;                 /* field per header cell, MAP_SKIP or MAP_UNKNOWN */
    rv_import_format format; /* as given, or as detected */
} header_map;

static void header_release(header_map *h)
{
    for (int i = 0; i < h->nh; i++)
        free(h->names[i]);
    free(h->names);
    free(h->fi);
    memset(h, 0, sizeof *h);
}

static const char *format_label(rv_import_format f)
{
    return f == RV_FORMAT_SALESFORCE ? "Salesforce" : "HubSpot";
}

/* Parse --map "SRC=field,SRC2=field2" into h->fi; fills done[i] for the
 * headers it names. */
static rv_status apply_map(const rv_entity *e, const char *map, const char *path, header_map *h,
                           bool *done, rv_err *err)
{
    char q[80], q2[80];
    for (const char *p = map; p && *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (!eq || eq == p)
            return rv_err_set(err, RV_EINVAL, "map",
                              "--map entries look like COLUMN=field, got '%s'",
                              rv_err_quote(q, sizeof q, p, n));
        size_t sl = (size_t)(eq - p), fl = n - sl - 1;
        const char *fname = eq + 1;
        int col = -1;
        for (int i = 0; i < h->nh; i++)
            if (strlen(h->names[i]) == sl && strncmp(h->names[i], p, sl) == 0)
                col = i;
        if (col < 0)
            return rv_err_set(err, RV_EINVAL, "map", "--map: '%s' has no column '%s'", path,
                              rv_err_quote(q, sizeof q, p, sl));
        int fi = MAP_SKIP;
        if (fl > 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(fl < 63 ? fl : 63), fname);
            fi = rv_field_index(e, name);
            if (fi < 0 || fl >= 63)
                return rv_err_set(err, RV_EUNKNOWN, "map", "--map: %s has no field '%s'", e->name,
                                  rv_err_quote(q2, sizeof q2, fname, fl));
        }
        h->fi[col] = fi;
        done[col] = true;
        p += n;
        if (*p == ',')
            p++;
    }
    return RV_OK;
}

static rv_status map_header(const rv_entity *e, const char *path, int nh, const char *const *cols,
                            const size_t *lens, const rv_csv_import_opts *o, header_map *h,
                            char *note, size_t note_cap, rv_err *err)
{
    char q[80];
    h->nh = nh;
    h->names = rv_xcalloc((size_t)nh, sizeof *h->names);
    h->fi = rv_xcalloc((size_t)nh, sizeof *h->fi);
    h->format = o->format;
    bool *done = rv_xcalloc((size_t)nh, sizeof *done);
    rv_status st = RV_OK;
    for (int i = 0; i < nh; i++) {
        size_t n = lens[i];
        const char *s = cols[i];
        while (n && (s[0] == ' ' || s[0] == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        h->names[i] = rv_xmalloc(n + 1);
        memcpy(h->names[i], s, n);
        h->names[i][n] = '\0';
        h->fi[i] = MAP_UNKNOWN;
        if (!rv_utf8_valid(h->names[i], n)) {
            st = rv_err_set(err, RV_EINVAL, NULL,
                            "the header of '%s' is not valid UTF-8 text (column %d)", path, i + 1);
            goto out;
        }
    }
    if ((st = apply_map(e, o->map, path, h, done, err)))
        goto out;
    /* which naming do the other headers follow? */
    int nfield = 0, nsf = 0, nhs = 0, nrest = 0;
    for (int i = 0; i < nh; i++) {
        if (done[i])
            continue;
        nrest++;
        if (rv_field_index(e, h->names[i]) >= 0 || implicit_column(h->names[i]))
            nfield++;
        if (export_name_field(e, h->names[i], RV_FORMAT_SALESFORCE) >= 0)
            nsf++;
        if (export_name_field(e, h->names[i], RV_FORMAT_HUBSPOT) >= 0)
            nhs++;
    }
    if (h->format == RV_FORMAT_AUTO) {
        int best = nsf >= nhs ? nsf : nhs;
        if (best > nfield && 2 * best > nrest) {
            h->format = nsf >= nhs ? RV_FORMAT_SALESFORCE : RV_FORMAT_HUBSPOT;
            snprintf(note, note_cap,
                     "%d of %d columns are %s export names: reading the file as --format %s", best,
                     nrest, format_label(h->format),
                     h->format == RV_FORMAT_SALESFORCE ? "salesforce" : "hubspot");
        }
    }
    for (int i = 0; i < nh; i++) {
        if (done[i])
            continue;
        const char *name = h->names[i];
        int fi = rv_field_index(e, name);
        if (fi < 0 && implicit_column(name)) {
            h->fi[i] = MAP_SKIP;
            continue;
        }
        if (fi < 0 && (h->format == RV_FORMAT_SALESFORCE || h->format == RV_FORMAT_HUBSPOT))
            fi = export_name_field(e, name, h->format);
        if (fi < 0)
            fi = field_nocase(e, name);
        h->fi[i] = fi >= 0 ? fi : MAP_UNKNOWN;
    }
    /* columns that map to nothing */
    char list[400] = "";
    int nunknown = 0, first = -1;
    for (int i = 0; i < nh; i++) {
        if (h->fi[i] != MAP_UNKNOWN)
            continue;
        if (o->ignore_unknown) {
            h->fi[i] = MAP_SKIP;
            continue;
        }
        if (first < 0)
            first = i;
        nunknown++;
        if (strlen(list) < sizeof list - 100) {
            char item[100];
            snprintf(item, sizeof item, "%s'%s'", list[0] ? ", " : "",
                     rv_err_quote(q, sizeof q, h->names[i], strlen(h->names[i])));
            strncat(list, item, sizeof list - strlen(list) - 1);
        } else if (!strstr(list, ", ...")) {
            strncat(list, ", ...", sizeof list - strlen(list) - 1);
        }
    }
    if (nunknown) {
        st = rv_err_set(err, RV_EUNKNOWN, h->names[first],
                        "%s has no field for column%s %s of '%s' (name %s with --map "
                        "COLUMN=field, skip %s with --ignore-unknown%s)",
                        e->name, nunknown == 1 ? "" : "s", list, path,
                        nunknown == 1 ? "it" : "them", nunknown == 1 ? "it" : "them",
                        h->format == RV_FORMAT_SALESFORCE || h->format == RV_FORMAT_HUBSPOT
                            ? ""
                            : ", or read export names with --format salesforce|hubspot");
        goto out;
    }
    for (int i = 0; i < nh; i++)
        for (int k = 0; k < i; k++)
            if (h->fi[i] >= 0 && h->fi[i] == h->fi[k]) {
                st = rv_err_set(err, RV_EINVAL, e->fields[h->fi[i]].name,
                                "columns '%s' and '%s' both map to field %s (drop one with --map "
                                "'%s=')",
                                h->names[k], h->names[i], e->fields[h->fi[i]].name, h->names[i]);
                goto out;
            }
out:
    free(done);
    return st;
}

/* "BestCase" -> "best_case" (Salesforce API enum values), into out. */
static size_t camel_to_snake(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isupper(ch) && i > 0 && islower((unsigned char)s[i - 1]))
            out[o++] = '_';
        out[o++] = (char)tolower(ch);
    }
    return o;
}

static bool has_inner_upper(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (isupper((unsigned char)s[i]) && islower((unsigned char)s[i - 1]))
            return true;
    return false;
}

/* Drop the reader's "row N: " prefix: the reject names the row already. */
static void strip_row_prefix(rv_err *e)
{
    if (strncmp(e->message, "row ", 4) != 0)
        return;
    const char *p = e->message + 4;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p[0] == ':' && p[1] == ' ')
        memmove(e->message, p + 2, strlen(p + 2) + 1);
}

/* ---- CSV files: rows ------------------------------------------------------- */

typedef struct csv_job {
    rv_ctx *c;
    const rv_entity *e;
    const char *path;
    const rv_csv_import_opts *o;
    header_map h;
    /* mapped columns: header index and field name, in header order */
    int nm;
    int *src;
    const char **fname;
    const char **cname;
} csv_job;

static void progress(const csv_job *j, rv_csv_reader *r, long rows, long *next)
{
    if (!j->o->progress || rows < *next)
        return;
    *next = rows + 4096;
    j->o->progress(j->o->progress_ud, rv_csv_progress(r), rows);
}

/* A data row with the wrong number of cells. */
static void reject_ragged(rv_import *im, const csv_job *j, long row, int n, const char *const *cols,
                          const size_t *lens)
{
    rv_err why;
    char colname[RV_ERR_FIELD_MAX];
    int nh = j->h.nh;
    if (n < nh) {
        snprintf(colname, sizeof colname, "%s", j->h.names[n]);
        rv_err_set(&why, RV_EINVAL, NULL, "missing: the row has %d cell%s, the header has %d", n,
                   n == 1 ? "" : "s", nh);
    } else {
        char q[80];
        snprintf(colname, sizeof colname, "%d", nh + 1);
        rv_err_set(&why, RV_EINVAL, NULL,
                   "extra cell '%s': the row has %d cells, the header has %d",
                   rv_err_quote(q, sizeof q, cols[nh], lens[nh]), n, nh);
    }
    rv_import_reject_row(im, j->e, row, colname, &why);
}

static rv_status open_with_header(const csv_job *j, rv_csv_reader **r, rv_err *err)
{
    int n;
    const char *const *cols;
    const size_t *lens;
    return rv_csv_open_header(r, j->path, &n, &cols, &lens, err);
}

/* Stream the data rows into the import; with `extra`, a hook per row that
 * may add cells (the stage history case). */
typedef rv_status (*row_hook)(void *ud, rv_import *im, long row, const char **vals, size_t *lens,
                              int *nvals, const char **fnames, const char **cnames, bool *skip);

static rv_status stream_rows(csv_job *j, rv_import *im, row_hook hook, void *hook_ud, rv_err *err)
{
    rv_csv_reader *r = NULL;
    rv_status st = open_with_header(j, &r, err);
    if (st)
        return st;
    const char **vals = rv_xcalloc((size_t)j->nm + 4, sizeof *vals);
    size_t *vlens = rv_xcalloc((size_t)j->nm + 4, sizeof *vlens);
    const char **fnames = rv_xcalloc((size_t)j->nm + 4, sizeof *fnames);
    const char **cnames = rv_xcalloc((size_t)j->nm + 4, sizeof *cnames);
    memcpy(fnames, j->fname, (size_t)j->nm * sizeof *fnames);
    memcpy(cnames, j->cname, (size_t)j->nm * sizeof *cnames);
    rv_import_set_source(im, NULL, cnames); /* one file: "row N" says enough */
    /* enum cells rewritten from Salesforce API spelling */
    bool sf = j->h.format == RV_FORMAT_SALESFORCE;
    char(*conv)[64] = rv_xcalloc((size_t)j->nm + 1, sizeof *conv);
    long next = 0, rows = 0;
    int n;
    const char *const *cols;
    const size_t *lens;
    long row;
    while ((st = rv_csv_next(r, &n, &cols, &lens, &row, err)) == RV_OK) {
        rows++;
        progress(j, r, rows, &next);
        if (n != j->h.nh) {
            reject_ragged(im, j, row, n, cols, lens);
            continue;
        }
        for (int k = 0; k < j->nm; k++) {
            int s = j->src[k];
            vals[k] = cols[s];
            vlens[k] = lens[s];
            const rv_field *f = &j->e->fields[j->h.fi[s]];
            if (sf && f->type == RV_FT_ENUM && lens[s] < sizeof conv[k] &&
                has_inner_upper(cols[s], lens[s]) && rv_enum_index(f, cols[s], lens[s]) < 0) {
                vlens[k] = camel_to_snake(cols[s], lens[s], conv[k], sizeof conv[k]);
                vals[k] = conv[k];
            }
        }
        int nv = j->nm;
        bool skip = false;
        if (hook && (st = hook(hook_ud, im, row, vals, vlens, &nv, fnames, cnames, &skip)))
            break;
        if (skip)
            continue;
        rv_import_row(im, j->e, nv, fnames, vals, vlens, row);
    }
    if (st == RV_ENOTFOUND) {
        st = RV_OK;
    } else if (st == RV_EPARSE || st == RV_ETOOBIG) {
        /* the reader stops at broken CSV: a reject of the row where it broke */
        rv_err why = *err;
        strip_row_prefix(&why);
        rv_import_reject_row(im, j->e, row, why.field[0] ? why.field : NULL, &why);
        st = RV_OK;
    }
    if (j->o->progress)
        j->o->progress(j->o->progress_ud, 1.0, rows);
    free(conv);
    free(vals);
    free(vlens);
    free(fnames);
    free(cnames);
    rv_csv_close(r);
    return st;
}

/* ---- Salesforce OpportunityHistory ---------------------------------------- */

/*
 * Each row of an OpportunityHistory export is the opportunity's state after
 * one change: StageName is the stage it moved to.  The stage it came from
 * is the StageName of the previous row of the same OpportunityId in
 * CreatedDate order.  Pass 1 reads OpportunityId, CreatedDate and StageName
 * of every row and sorts; pass 2 imports the rows in file order, with
 * from_stage_id and to_stage_id resolved by name within the deal's
 * pipeline (a stage name alone is ambiguous when pipelines share names).
 */
typedef struct hist_row {
    int opp;    /* interned OpportunityId */
    int64_t at; /* CreatedDate (INT64_MIN when unreadable: pass 2 rejects it) */
    long index; /* data row index: CSV row number - 2 (blank lines are not rows) */
    int stage;  /* interned StageName */
} hist_row;

typedef struct hist_job {
    csv_job *j;
    int col_opp, col_stage, col_at; /* header indexes */
    int k_to, k_opp; /* positions of to_stage_id and deal_id among the mapped columns */
    rv_map names;    /* interned strings -> index */
    char **strs;
    int nstrs, cap_strs;
    hist_row *rows;
    long nrows, cap_rows;
    int *prev_stage;      /* by data row index: interned stage name or -1 */
    rv_map deal_pipeline; /* OpportunityId -> pipeline id */
    rv_map stage_ids;     /* "<pipeline>\x1f<name>" -> stage id */
    char to_buf[32], from_buf[32];
} hist_job;

static int intern(hist_job *h, const char *s, size_t n)
{
    int64_t v;
    if (rv_map_get(&h->names, s, n, &v))
        return (int)v;
    if (h->nstrs == h->cap_strs) {
        h->cap_strs = h->cap_strs ? h->cap_strs * 2 : 256;
        h->strs = rv_xrealloc(h->strs, (size_t)h->cap_strs * sizeof *h->strs);
    }
    char *c = rv_xmalloc(n + 1);
    memcpy(c, s, n);
    c[n] = '\0';
    h->strs[h->nstrs] = c;
    rv_map_put(&h->names, s, n, h->nstrs);
    return h->nstrs++;
}

static int cmp_hist(const void *a, const void *b)
{
    const hist_row *x = a, *y = b;
    if (x->opp != y->opp)
        return x->opp < y->opp ? -1 : 1;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Pass 1. Ragged and broken rows are left to pass 2, which rejects them. */
static rv_status hist_scan(hist_job *h, rv_err *err)
{
    rv_csv_reader *r = NULL;
    rv_status st = open_with_header(h->j, &r, err);
    if (st)
        return st;
    int n;
    const char *const *cols;
    const size_t *lens;
    long row;
    while ((st = rv_csv_next(r, &n, &cols, &lens, &row, err)) == RV_OK) {
        if (h->nrows == h->cap_rows) {
            h->cap_rows = h->cap_rows ? h->cap_rows * 2 : 1024;
            h->rows = rv_xrealloc(h->rows, (size_t)h->cap_rows * sizeof *h->rows);
        }
        hist_row *x = &h->rows[h->nrows++];
        x->index = row - 2;
        x->opp = -1;
        x->stage = -1;
        x->at = INT64_MIN;
        if (n != h->j->h.nh)
            continue;
        x->opp = intern(h, cols[h->col_opp], lens[h->col_opp]);
        x->stage = intern(h, cols[h->col_stage], lens[h->col_stage]);
        rv_err ignore;
        int64_t ms;
        if (rv_ts_parse(cols[h->col_at], lens[h->col_at], &ms, "changed_at", &ignore) == RV_OK)
            x->at = ms;
    }
    rv_csv_close(r);
    if (st != RV_ENOTFOUND && st != RV_EPARSE && st != RV_ETOOBIG)
        return st;
    qsort(h->rows, (size_t)h->nrows, sizeof *h->rows, cmp_hist);
    h->prev_stage = rv_xmalloc((size_t)(h->nrows ? h->nrows : 1) * sizeof *h->prev_stage);
    for (long i = 0; i < h->nrows; i++) {
        const hist_row *x = &h->rows[i];
        h->prev_stage[x->index] =
            i > 0 && x->opp >= 0 && h->rows[i - 1].opp == x->opp ? h->rows[i - 1].stage : -1;
    }
    return RV_OK;
}

/* Stage id of `name` in the pipeline of the deal with external id opp:
 * 0 when the deal is unknown (the row's deal_id then fails on its own),
 * -1 when the pipeline has no such stage. */
static rv_status hist_stage(hist_job *h, const char *opp, size_t opp_len, const char *name,
                            size_t name_len, int64_t *stage_id, int64_t *pipeline, rv_err *err)
{
    rv_ctx *c = h->j->c;
    const rv_entity *deals = rv_entity_find("deals"), *stages = rv_entity_find("stages");
    int64_t pid = 0;
    *stage_id = 0;
    if (!rv_map_get(&h->deal_pipeline, opp, opp_len, &pid)) {
        int64_t did = 0;
        rv_status st = rv_store_find(c->store, deals, rv_entity_extid_field(deals), opp, opp_len,
                                     -1, 0, &did, err);
        if (st == RV_ENOTFOUND)
            return RV_OK;
        if (st)
            return st;
        rv_record d;
        if ((st = rv_store_get(c->store, deals, did, &d, c->arena, err)))
            return st;
        const rv_val *p = &d.v[rv_field_index(deals, "pipeline_id")];
        pid = p->state == RV_V_SET ? p->i : 0;
        rv_map_put(&h->deal_pipeline, opp, opp_len, pid);
    }
    *pipeline = pid;
    char key[300];
    int klen = snprintf(key, sizeof key, "%lld\x1f%.*s", (long long)pid, (int)name_len, name);
    if (klen > 0 && (size_t)klen < sizeof key &&
        rv_map_get(&h->stage_ids, key, (size_t)klen, stage_id))
        return RV_OK;
    int64_t sid = 0;
    rv_status st = rv_store_find(c->store, stages, rv_entity_name_field(stages), name, name_len,
                                 rv_field_index(stages, "pipeline_id"), pid, &sid, err);
    if (st == RV_ENOTFOUND || st == RV_ECONFLICT) {
        *stage_id = -1;
        return RV_OK;
    }
    if (st)
        return st;
    *stage_id = sid;
    if (klen > 0 && (size_t)klen < sizeof key)
        rv_map_put(&h->stage_ids, key, (size_t)klen, sid);
    return RV_OK;
}

/* Trim spaces as the record parser does. */
static void trim_span(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)(*s)[0]))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static rv_status hist_hook(void *ud, rv_import *im, long row, const char **vals, size_t *lens,
                           int *nvals, const char **fnames, const char **cnames, bool *skip)
{
    hist_job *h = ud;
    long index = row - 2;
    csv_job *j = h->j;
    rv_err err;
    char q[80], q2[80];
    const char *stage = vals[h->k_to], *opp = vals[h->k_opp];
    size_t stage_len = lens[h->k_to], opp_len = lens[h->k_opp];
    trim_span(&stage, &stage_len);
    trim_span(&opp, &opp_len);
    if (!opp_len || !stage_len)
        return RV_OK; /* the required-field check reports it */
    int64_t to = 0, pid = 0;
    rv_status st = hist_stage(h, opp, opp_len, stage, stage_len, &to, &pid, &err);
    if (st)
        return st;
    if (to == 0)
        return RV_OK; /* unknown deal: the row import rejects deal_id */
    if (to < 0) {
        rv_err_set(&err, RV_EREF, "to_stage_id", "to_stage_id: no stage '%s' in pipeline %lld",
                   rv_err_quote(q, sizeof q, stage, stage_len), (long long)pid);
        rv_import_reject_row(im, j->e, row, cnames[h->k_to], &err);
        *skip = true;
        return RV_OK;
    }
    snprintf(h->to_buf, sizeof h->to_buf, "#%lld", (long long)to);
    vals[h->k_to] = h->to_buf;
    lens[h->k_to] = strlen(h->to_buf);
    int prev = index < h->nrows ? h->prev_stage[index] : -1;
    int k = *nvals;
    fnames[k] = "from_stage_id";
    cnames[k] = cnames[h->k_to];
    vals[k] = "";
    lens[k] = 0;
    if (prev >= 0) {
        const char *pn = h->strs[prev];
        size_t pl = strlen(pn);
        trim_span(&pn, &pl);
        int64_t from = 0;
        if (pl && (st = hist_stage(h, opp, opp_len, pn, pl, &from, &pid, &err)))
            return st;
        if (from < 0) {
            rv_err_set(&err, RV_EREF, "from_stage_id",
                       "from_stage_id: no stage '%s' in pipeline %lld (the stage of the previous "
                       "change of opportunity '%s')",
                       rv_err_quote(q, sizeof q, pn, pl), (long long)pid,
                       rv_err_quote(q2, sizeof q2, opp, opp_len));
            rv_import_reject_row(im, j->e, row, cnames[h->k_to], &err);
            *skip = true;
            return RV_OK;
        }
        if (from > 0) {
            snprintf(h->from_buf, sizeof h->from_buf, "#%lld", (long long)from);
            vals[k] = h->from_buf;
            lens[k] = strlen(h->from_buf);
        }
    }
    *nvals = k + 1;
    return RV_OK;
}

static rv_status import_sf_history(csv_job *j, rv_import *im, rv_err *err)
{
    hist_job h;
    memset(&h, 0, sizeof h);
    h.j = j;
    h.col_opp = h.col_stage = h.col_at = h.k_to = -1;
    const rv_entity *e = j->e;
    for (int i = 0; i < j->h.nh; i++) {
        int fi = j->h.fi[i];
        if (fi < 0)
            continue;
        if (!strcmp(e->fields[fi].name, "deal_id"))
            h.col_opp = i;
        else if (!strcmp(e->fields[fi].name, "to_stage_id"))
            h.col_stage = i;
        else if (!strcmp(e->fields[fi].name, "changed_at"))
            h.col_at = i;
        else if (!strcmp(e->fields[fi].name, "from_stage_id"))
            return rv_err_set(err, RV_EINVAL, "from_stage_id",
                              "an OpportunityHistory export has no from-stage column: revos "
                              "derives from_stage_id from the previous row (column '%s')",
                              j->h.names[i]);
    }
    if (h.col_opp < 0 || h.col_stage < 0 || h.col_at < 0)
        return rv_err_set(err, RV_EINVAL, NULL,
                          "an OpportunityHistory export needs the columns OpportunityId, "
                          "StageName and CreatedDate; '%s' lacks %s%s%s",
                          j->path, h.col_opp < 0 ? "OpportunityId " : "",
                          h.col_stage < 0 ? "StageName " : "", h.col_at < 0 ? "CreatedDate" : "");
    for (int k = 0; k < j->nm; k++) {
        if (j->src[k] == h.col_stage)
            h.k_to = k;
        if (j->src[k] == h.col_opp)
            h.k_opp = k;
    }
    rv_map_init(&h.names);
    rv_map_init(&h.deal_pipeline);
    rv_map_init(&h.stage_ids);
    rv_status st = hist_scan(&h, err);
    if (!st)
        st = stream_rows(j, im, hist_hook, &h, err);
    for (int i = 0; i < h.nstrs; i++)
        free(h.strs[i]);
    free(h.strs);
    free(h.rows);
    free(h.prev_stage);
    rv_map_release(&h.names);
    rv_map_release(&h.deal_pipeline);
    rv_map_release(&h.stage_ids);
    return st;
}

/* ---- CSV files: the whole import ------------------------------------------ */

rv_status rv_import_csv(rv_ctx *c, const rv_entity *e, const char *path,
                        const rv_csv_import_opts *o, rv_import_report *rep, rv_err *err)
{
    static const rv_csv_import_opts defaults;
    if (!o)
        o = &defaults;
    csv_job j;
    memset(&j, 0, sizeof j);
    j.c = c;
    j.e = e;
    j.path = path;
    j.o = o;
    if (rep)
        rep->note[0] = '\0';
    if (e->flags & RV_ENT_READONLY)
        return rv_err_set(err, RV_EFORBIDDEN, NULL, "%s are written by revos only", e->name);
    /* the header, before anything is written */
    rv_csv_reader *r = NULL;
    int n;
    const char *const *cols;
    const size_t *lens;
    rv_status st = rv_csv_open_header(&r, path, &n, &cols, &lens, err);
    if (st)
        return st;
    char note[256] = "";
    st = map_header(e, path, n, cols, lens, o, &j.h, note, sizeof note, err);
    rv_csv_close(r);
    if (st) {
        header_release(&j.h);
        return st;
    }
    if (rep)
        snprintf(rep->note, sizeof rep->note, "%s", note);
    j.src = rv_xcalloc((size_t)j.h.nh + 1, sizeof *j.src);
    j.fname = rv_xcalloc((size_t)j.h.nh + 1, sizeof *j.fname);
    j.cname = rv_xcalloc((size_t)j.h.nh + 1, sizeof *j.cname);
    for (int i = 0; i < j.h.nh; i++)
        if (j.h.fi[i] >= 0) {
            j.src[j.nm] = i;
            j.fname[j.nm] = e->fields[j.h.fi[i]].name;
            j.cname[j.nm] = j.h.names[i];
            j.nm++;
        }
    rv_import *im = NULL;
    if ((st = rv_import_begin(c, &o->import, &im, err)))
        goto out;
    if (!strcmp(e->name, "stage_history") && j.h.format == RV_FORMAT_SALESFORCE)
        st = import_sf_history(&j, im, err);
    else
        st = stream_rows(&j, im, NULL, NULL, err);
    if (st) {
        /* a failure of the file or the database, not of a row */
        rv_err keep = *err;
        rv_import_end(im, rep, NULL);
        *err = keep;
        if (rep)
            rep->committed = false;
    } else {
        st = rv_import_end(im, rep, err);
    }
    if (rep)
        snprintf(rep->note, sizeof rep->note, "%s", note);
out:
    free(j.src);
    free(j.fname);
    free(j.cname);
    header_release(&j.h);
    return st;
}
