/*
 * audit.c - the audit log: every write and every refused access.
 *
 * A write (create, update, delete through crud.c) appends one audit_log
 * row in the same transaction as the write, so the log and the data can
 * never disagree: a write that rolls back leaves no audit row, a committed
 * one always has its row.  The row names who (actor_id and the email, or
 * "cli" for the owner of the database file), when, the entity and record,
 * and the changed fields as JSON {"field":[old,new]} with values as text
 * (null for empty).  Secret fields appear only as "(secret)".
 *
 * A refused access is remembered in the ctx by access.c (rv__refuse) and
 * written here after the request's transaction has rolled back, in its
 * own small transaction: the refusal survives the rollback of the request
 * that caused it.
 *
 * Imports (ctx batch mode) do not write a row per record; see
 * docs/access.md.
 */
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "model/money.h"
#include "service/service_internal.h"

static void put_text(rv_jsonw *w, const rv_record *r, int fi)
{
    char buf[64];
    const char *t = r ? rv_record_text(r, fi, buf, sizeof buf) : NULL;
    if (!t)
        rv_jsonw_null(w);
    else if (r->ent->fields[fi].type == RV_FT_JSON || r->ent->fields[fi].type == RV_FT_TEXT ||
             r->ent->fields[fi].type == RV_FT_EMAIL || r->ent->fields[fi].type == RV_FT_EXTID ||
             r->ent->fields[fi].type == RV_FT_ENUM)
        rv_jsonw_strn(w, t, r->v[fi].len);
    else
        rv_jsonw_str(w, t);
}

static const char *changes_json(rv_ctx *c, const rv_entity *e, const rv_record *old,
                                const rv_record *r)
{
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    rv_jsonw_obj_begin(&w);
    for (int i = 0; i < e->nfields; i++) {
        const rv_field *f = &e->fields[i];
        const rv_val *ov = old ? &old->v[i] : NULL, *nv = r ? &r->v[i] : NULL;
        bool oset = ov && ov->state == RV_V_SET, nset = nv && nv->state == RV_V_SET;
        if (!oset && !nset)
            continue;
        if (oset && nset && rv_val_equal(f, ov, nv))
            continue;
        rv_jsonw_key(&w, f->name);
        rv_jsonw_arr_begin(&w);
        if (f->flags & RV_F_SECRET) {
            if (oset)
                rv_jsonw_str(&w, "(secret)");
            else
                rv_jsonw_null(&w);
            if (nset)
                rv_jsonw_str(&w, "(secret)");
            else
                rv_jsonw_null(&w);
        } else {
            put_text(&w, oset ? old : NULL, i);
            put_text(&w, nset ? r : NULL, i);
        }
        rv_jsonw_arr_end(&w);
    }
    rv_jsonw_obj_end(&w);
    const char *s = rv_arena_strndup(c->arena, b.data, b.len);
    rv_buf_release(&b);
    return s;
}

static rv_status insert_row(rv_ctx *c, const char *action, const char *entity, int64_t id,
                            const char *changes, const char *reason, rv_err *err)
{
    const rv_entity *ae = rv_entity_find("audit_log");
    rv_record a;
    rv_record_init(&a, ae);
    int64_t now = rv_now_ms();
    /* at, actor_id, actor, action, entity, record_id, changes, reason */
    a.v[0] = (rv_val){.i = now, .state = RV_V_SET};
    const char *actor = "cli";
    if (c->who) {
        a.v[1] = (rv_val){.i = c->who->user_id, .state = RV_V_SET};
        actor = c->who->email;
    }
    a.v[2] = (rv_val){.s = actor, .len = (uint32_t)strlen(actor), .state = RV_V_SET};
    a.v[3] = (rv_val){.s = action, .len = (uint32_t)strlen(action), .state = RV_V_SET};
    if (entity)
        a.v[4] = (rv_val){.s = entity, .len = (uint32_t)strlen(entity), .state = RV_V_SET};
    if (id)
        a.v[5] = (rv_val){.i = id, .state = RV_V_SET};
    if (changes)
        a.v[6] = (rv_val){.s = changes, .len = (uint32_t)strlen(changes), .state = RV_V_SET};
    if (reason) {
        size_t n = strlen(reason);
        a.v[7] = (rv_val){.s = reason, .len = (uint32_t)(n > 1000 ? 1000 : n), .state = RV_V_SET};
    }
    a.created_at = a.updated_at = now;
    return rv_store_insert(c->store, &a, err);
}

rv_status rv__audit_write(rv_ctx *c, const char *action, const rv_entity *e, int64_t id,
                          const rv_record *old, const rv_record *r, rv_err *err)
{
    if (c->batch)
        return RV_OK;
    return insert_row(c, action, e->name, id, changes_json(c, e, old, r), NULL, err);
}

rv_status rv__audit_import(rv_ctx *c, const char *changes, rv_err *err)
{
    return insert_row(c, "import", "import", 0, changes, NULL, err);
}

void rv__audit_flush(rv_ctx *c)
{
    if (!c->refusal.pending || rv_store_in_tx(c->store) || c->batch)
        return;
    c->refusal.pending = false;
    rv_err e2;
    if (rv_store_begin(c->store, &e2))
        return;
    if (insert_row(c, "refused", c->refusal.entity, c->refusal.record_id, NULL, c->refusal.reason,
                   &e2) ||
        rv_store_commit(c->store, &e2))
        rv_store_rollback(c->store);
}

rv_status rv_audit_event(rv_ctx *c, const char *action, const rv_entity *e, int64_t id,
                         const char *reason, rv_err *err)
{
    bool own = !rv_store_in_tx(c->store);
    rv_status st;
    if (own && (st = rv_store_begin(c->store, err)))
        return st;
    st = insert_row(c, action, e ? e->name : NULL, id, NULL, reason, err);
    if (!own)
        return st;
    if (st) {
        rv_store_rollback(c->store);
        return st;
    }
    return rv_store_commit(c->store, err);
}
