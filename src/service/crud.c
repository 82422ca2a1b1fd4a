/*
 * crud.c - the generic use cases: create, update, upsert, delete, get for
 * every entity of the table, with the rules every entity shares:
 *
 *   1. parse and check field values (model/record.c did that);
 *   2. entity behaviour that supplies defaults (deals: default pipeline);
 *   3. resolve references (external id, name, id) and check they exist;
 *   4. money with the record's currency, custom fields against field_defs,
 *      required fields, entity checks (deals: stage exit criteria);
 *   5. write the row, field_history for tracked fields that changed, the
 *      entity's own follow-ups (stage_history), an outbox event;
 *   6. commit - or roll back on any failure, leaving nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/money.h"
#include "service/auth.h"
#include "service/service_internal.h"

static const rv__behaviour *const behaviours[] = {
    &rv__deal_behaviour,    &rv__stage_behaviour, &rv__account_behaviour, &rv__contact_behaviour,
    &rv__lead_behaviour,    &rv__activity_behaviour, &rv__fx_rate_behaviour,
    &rv__score_model_behaviour, NULL};

static const rv__behaviour *behaviour_of(const rv_entity *e)
{
    for (int i = 0; behaviours[i]; i++)
        if (strcmp(behaviours[i]->entity, e->name) == 0)
            return behaviours[i];
    return NULL;
}

void rv_ctx_init(rv_ctx *c, rv_store *s, rv_arena *a)
{
    memset(c, 0, sizeof *c);
    c->store = s;
    c->arena = a;
    c->currency = "USD";
}

rv_status rv_svc_tx(rv_ctx *c, rv_tx_fn fn, void *ud, rv_err *err)
{
    bool own = !rv_store_in_tx(c->store);
    rv_status st;
    if (own && (st = rv_store_begin(c->store, err)))
        return st;
    st = fn(c, ud, err);
    if (!own)
        return st;
    if (st) {
        rv_store_rollback(c->store);
        rv__audit_flush(c); /* a refusal is kept after the rollback */
        return st;
    }
    return rv_store_commit(c->store, err);
}

/* Secret fields are written by service/auth.c only.  An empty value (an
 * exported CSV's empty password_hash column, read back) is ignored: it
 * neither sets nor clears the secret (update_tx skips it). */
static rv_status check_secret(rv_ctx *c, const rv_record *r, rv_err *err)
{
    if (c->set_secret)
        return RV_OK;
    for (int i = 0; i < r->ent->nfields; i++)
        if ((r->ent->fields[i].flags & RV_F_SECRET) &&
            (r->v[i].state == RV_V_SET || r->v[i].state == RV_V_RAW))
            return rv_err_set(err, RV_EINVAL, r->ent->fields[i].name,
                              "%s is secret and cannot be written here (use 'revos users passwd')",
                              r->ent->fields[i].name);
    return RV_OK;
}

rv_status rv_svc_read_begin(rv_ctx *c, rv_err *err) { return rv_store_begin_read(c->store, err); }

void rv_svc_read_end(rv_ctx *c)
{
    if (rv_store_in_tx(c->store)) {
        rv_err e2;
        if (rv_store_commit(c->store, &e2))
            rv_store_rollback(c->store);
    }
    rv__audit_flush(c);
    rv_err e3;
    rv_auth_touch(c, c->who, &e3); /* best effort: a stamp, not the request */
}

/* --- records recently written or read (imports) ---------------------------
 *
 * An import validates rows that look up the same few records again and
 * again (a deal's stage, a history row's deal, the custom field
 * definitions of the entity), and on PostgreSQL a record it just created
 * may still wait in the store's COPY buffer, where reading it would cost a
 * flush.  While c->recent is set, rv__load answers from a direct-mapped
 * cache of the records this context wrote or read last, and check_custom
 * from the definitions it listed before.  Every write through this file
 * refreshes its record's slot (a delete empties it, a field_defs write
 * drops the definitions), and the import holds the write lock: the cache
 * can only miss, never be stale. */

#define RECENT_SLOTS 1024
#define RECENT_ENTITIES 64 /* > number of entities, like the import's counters */

/* Reading ahead (PostgreSQL, where each read is a round trip): a record
 * missing from the cache is read with the AHEAD_MIN..AHEAD_MAX records of
 * its entity that follow it in id order (or precede it, when the miss
 * before was at a higher id), in one query.  A re-import reads its rows
 * back in the order they were written, which is id order, so one query
 * answers a chunk of rows.  The chunk doubles while at least half of the
 * previous chunk was used before the next miss and halves otherwise, so
 * reads in no particular order cost a few extra rows per round trip, not
 * more round trips.  Chunks accumulate up to AHEAD_MAX records per entity,
 * so a small table read in random order (the accounts, owners and stages
 * that rows refer to) is soon held whole. */
#define AHEAD_MIN 8
#define AHEAD_START 64
#define AHEAD_MAX 1024

typedef struct recent_rec {
    rv_record r; /* text points into text */
    char *text;
    size_t cap; /* bytes allocated at text */
} recent_rec;

typedef struct defs_list {
    int n;
    recent_rec *recs;
} defs_list;

typedef struct ahead_list {
    int n, got, used, chunk; /* records held, read by the last query, read back
                              * since; size of the next query */
    int64_t missed;     /* id of the last miss */
    recent_rec *recs;   /* AHEAD_MAX, by id ascending; r.ent NULL: dropped */
} ahead_list;

struct rv__recent {
    recent_rec slot[RECENT_SLOTS];
    defs_list *defs[RECENT_ENTITIES]; /* NULL: not listed yet */
    ahead_list *ahead[RECENT_ENTITIES];
};

rv__recent *rv__recent_new(void) { return rv_xcalloc(1, sizeof(rv__recent)); }

static void defs_drop(rv__recent *rc)
{
    for (int k = 0; k < RECENT_ENTITIES; k++) {
        defs_list *d = rc->defs[k];
        if (!d)
            continue;
        for (int i = 0; i < d->n; i++)
            free(d->recs[i].text);
        free(d->recs);
        free(d);
        rc->defs[k] = NULL;
    }
}

void rv__recent_free(rv__recent *rc)
{
    if (!rc)
        return;
    for (int k = 0; k < RECENT_SLOTS; k++)
        free(rc->slot[k].text);
    defs_drop(rc);
    for (int k = 0; k < RECENT_ENTITIES; k++) {
        ahead_list *l = rc->ahead[k];
        if (!l)
            continue;
        for (int i = 0; i < AHEAD_MAX; i++)
            free(l->recs[i].text);
        free(l->recs);
        free(l);
    }
    free(rc);
}

/* A copy of r whose text lives in one allocation owned by dst. */
static void rec_copy(recent_rec *dst, const rv_record *r)
{
    size_t n = 0;
    for (int i = 0; i < r->ent->nfields; i++)
        if (r->v[i].state == RV_V_SET && !rv_ftype_is_int(r->ent->fields[i].type))
            n += r->v[i].len + 1;
    if (n > dst->cap || !dst->text) {
        free(dst->text);
        dst->cap = n > 64 ? n : 64;
        dst->text = rv_xmalloc(dst->cap);
    }
    dst->r = *r;
    char *p = dst->text;
    for (int i = 0; i < r->ent->nfields; i++) {
        rv_val *v = &dst->r.v[i];
        if (v->state == RV_V_RAW)
            v->state = RV_V_UNSET;
        if (v->state != RV_V_SET || rv_ftype_is_int(r->ent->fields[i].type))
            continue;
        memcpy(p, v->s ? v->s : "", v->len);
        p[v->len] = '\0';
        v->s = p;
        p += v->len + 1;
    }
}

static recent_rec *recent_slot(rv__recent *rc, const rv_entity *e, int64_t id)
{
    /* Fibonacci hashing of (id, entity): the top bits mix both */
    uint64_t h = ((uint64_t)id * 64 + (uint64_t)e->index) * 0x9E3779B97F4A7C15ULL;
    return &rc->slot[(h >> 40) % RECENT_SLOTS];
}

/* The record of e with this id among those read ahead, or NULL. */
static recent_rec *ahead_find(rv__recent *rc, const rv_entity *e, int64_t id)
{
    ahead_list *l = e->index < RECENT_ENTITIES ? rc->ahead[e->index] : NULL;
    int lo = 0, hi = l ? l->n : 0;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (l->recs[mid].r.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < (l ? l->n : 0) && l->recs[lo].r.id == id && l->recs[lo].r.ent == e)
        return &l->recs[lo];
    return NULL;
}

/* Forget e's record id, written or deleted since it was read. */
static void recent_forget(rv_ctx *c, const rv_entity *e, int64_t id)
{
    if (!strcmp(e->name, "field_defs"))
        defs_drop(c->recent);
    recent_rec *a = ahead_find(c->recent, e, id);
    if (a)
        a->r.ent = NULL;
}

/* Remember r as stored (after a create or an update). */
static void recent_put(rv_ctx *c, const rv_record *r)
{
    if (!c->recent)
        return;
    recent_forget(c, r->ent, r->id);
    rec_copy(recent_slot(c->recent, r->ent, r->id), r);
}

static void recent_drop(rv_ctx *c, const rv_entity *e, int64_t id)
{
    if (!c->recent)
        return;
    recent_forget(c, e, id);
    recent_rec *s = recent_slot(c->recent, e, id);
    if (s->text && s->r.ent == e && s->r.id == id)
        s->r.ent = NULL;
}

static int ahead_row(void *ud, const rv_record *r)
{
    ahead_list *l = ud;
    rec_copy(&l->recs[l->n++], r);
    return l->n == AHEAD_MAX;
}

static int cmp_rec_id(const void *a, const void *b)
{
    int64_t x = ((const recent_rec *)a)->r.id, y = ((const recent_rec *)b)->r.id;
    return x < y ? -1 : x > y;
}

/* Read e's record id and the records after (or before) it into e's ahead
 * list, beside those read before while there is room. */
static rv_status read_ahead(rv_ctx *c, const rv_entity *e, int64_t id, rv_err *err)
{
    ahead_list *l = c->recent->ahead[e->index];
    if (!l) {
        l = c->recent->ahead[e->index] = rv_xcalloc(1, sizeof *l);
        l->recs = rv_xcalloc(AHEAD_MAX, sizeof *l->recs);
        l->chunk = AHEAD_START;
    } else if (l->got) {
        l->chunk = l->used * 2 >= l->got ? l->chunk * 2 : l->chunk / 2;
        l->chunk = l->chunk < AHEAD_MIN ? AHEAD_MIN : l->chunk > AHEAD_MAX ? AHEAD_MAX : l->chunk;
    }
    bool down = l->missed > id;
    l->missed = id;
    if (l->n + l->chunk > AHEAD_MAX)
        l->n = 0; /* full: start again (the buffers stay for reuse) */
    int old = l->n;
    l->used = 0;
    rv_query q;
    rv_query_init(&q, e);
    q.filters[q.nfilters++] = (rv_filter){.field = RV_COL_ID, .op = down ? RV_OP_LE : RV_OP_GE,
                                          .val = {.i = id, .state = RV_V_SET}};
    q.sort_field = RV_COL_ID;
    q.desc = down;
    q.limit = l->chunk;
    rv_status st = rv_store_list(c->store, &q, ahead_row, l, err);
    l->got = l->n - old;
    if (!l->got)
        return st;
    /* the rows read replace older copies in their id range; then by id */
    int64_t lo = l->recs[old].r.id, hi = l->recs[l->n - 1].r.id;
    if (lo > hi)
        lo = hi, hi = l->recs[old].r.id;
    for (int i = 0; i < old; i++)
        if (l->recs[i].r.id >= lo && l->recs[i].r.id <= hi)
            l->recs[i].r.id = INT64_MAX;
    qsort(l->recs, (size_t)l->n, sizeof *l->recs, cmp_rec_id);
    while (l->n && l->recs[l->n - 1].r.id == INT64_MAX)
        l->n--;
    return st;
}

/* The cached record as the caller's own: text copied into c->arena. */
static void rec_out(rv_ctx *c, const rv_record *src, rv_record *out)
{
    *out = *src;
    for (int i = 0; i < src->ent->nfields; i++)
        if (out->v[i].state == RV_V_SET && !rv_ftype_is_int(src->ent->fields[i].type))
            out->v[i].s = rv_arena_strndup(c->arena, src->v[i].s, src->v[i].len);
}

rv_status rv__load(rv_ctx *c, const char *entity, int64_t id, rv_record *out, rv_err *err)
{
    const rv_entity *e = rv_entity_find(entity);
    if (!c->recent)
        return rv_store_get(c->store, e, id, out, c->arena, err);
    recent_rec *s = recent_slot(c->recent, e, id);
    if (s->text && s->r.ent == e && s->r.id == id) {
        rec_out(c, &s->r, out);
        return RV_OK;
    }
    if (rv_store_can_defer(c->store) && e->index < RECENT_ENTITIES) {
        recent_rec *a = ahead_find(c->recent, e, id);
        rv_status st;
        if (!a && (st = read_ahead(c, e, id, err)))
            return st;
        if (a || (a = ahead_find(c->recent, e, id))) {
            c->recent->ahead[e->index]->used++;
            rec_out(c, &a->r, out);
            return RV_OK;
        }
        /* not there: the store says so in its own words */
    }
    rv_status st = rv_store_get(c->store, e, id, out, c->arena, err);
    if (!st)
        rec_copy(s, out);
    return st;
}

rv_status rv__emit_event(rv_ctx *c, const rv_entity *e, int64_t id, const char *kind,
                         const char *payload, rv_err *err)
{
    if (c->batch || c->no_events)
        return RV_OK;
    const rv_entity *ev = rv_entity_find("events");
    rv_record r;
    rv_record_init(&r, ev);
    r.v[0] = (rv_val){.s = e->name, .len = (uint32_t)strlen(e->name), .state = RV_V_SET};
    r.v[1] = (rv_val){.i = id, .state = RV_V_SET};
    r.v[2] = (rv_val){.s = kind, .len = (uint32_t)strlen(kind), .state = RV_V_SET};
    r.v[3] = (rv_val){.i = rv_now_ms(), .state = RV_V_SET};
    if (c->actor_id)
        r.v[4] = (rv_val){.i = c->actor_id, .state = RV_V_SET};
    if (payload)
        r.v[5] = (rv_val){.s = payload, .len = (uint32_t)strlen(payload), .state = RV_V_SET};
    r.created_at = r.updated_at = r.v[3].i;
    return rv_store_insert(c->store, &r, err);
}

/* --- references ---------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The field of target entity t that must equal a reference the record
 * already holds (stages.pipeline_id when a deal names its pipeline). */
static int scope_for(const rv_record *r, const rv_entity *t, int64_t *scope_id)
{
    for (int k = 0; k < t->nfields; k++) {
        const rv_field *tf = &t->fields[k];
        if (tf->type != RV_FT_REF || strcmp(tf->ref, t->name) == 0)
            continue;
        for (int i = 0; i < r->ent->nfields; i++) {
            const rv_field *f = &r->ent->fields[i];
            if (f->type == RV_FT_REF && strcmp(f->ref, tf->ref) == 0 &&
                r->v[i].state == RV_V_SET && (tf->flags & RV_F_REQUIRED)) {
                *scope_id = r->v[i].i;
                return k;
            }
        }
    }
    return -1;
}

/* The same one reference further: a record without the scope's field
 * takes it from a record it refers to (a stage_history row's stages are
 * looked up in the pipeline of its deal).  Fields resolve in table order,
 * so the deal is known when its stages are.  Returns the scope field of t,
 * -1 for none, or -2 after a failed read (err filled). */
static int scope_via(rv_ctx *c, const rv_record *r, const rv_entity *t, int64_t *scope_id,
                     rv_err *err)
{
    int k = scope_for(r, t, scope_id);
    if (k >= 0)
        return k;
    for (k = 0; k < t->nfields; k++) {
        const rv_field *tf = &t->fields[k];
        if (tf->type != RV_FT_REF || !(tf->flags & RV_F_REQUIRED) || !strcmp(tf->ref, t->name))
            continue;
        for (int i = 0; i < r->ent->nfields; i++) {
            const rv_field *f = &r->ent->fields[i];
            if (f->type != RV_FT_REF || r->v[i].state != RV_V_SET || !strcmp(f->ref, t->name))
                continue;
            const rv_entity *x = rv_entity_find(f->ref);
            int xf = -1;
            for (int j = 0; j < x->nfields && xf < 0; j++)
                if (x->fields[j].type == RV_FT_REF && !strcmp(x->fields[j].ref, tf->ref))
                    xf = j;
            if (xf < 0)
                continue;
            rv_record via;
            rv_status st = rv__load(c, x->name, r->v[i].i, &via, err);
            if (st == RV_ENOTFOUND)
                continue; /* the reference itself fails on its own */
            if (st)
                return -2;
            if (via.v[xf].state != RV_V_SET)
                continue;
            *scope_id = via.v[xf].i;
            return k;
        }
    }
    return -1;
}

static rv_status resolve_one(rv_ctx *c, rv_record *r, int fi, rv_err *err)
{
    const rv_field *f = &r->ent->fields[fi];
    rv_val *v = &r->v[fi];
    const rv_entity *t = rv_entity_find(f->ref);
    char q[80];
    if (v->state == RV_V_SET) {
        rv_record row;
        rv_err ignored;
        if (c->recent ? rv__load(c, t->name, v->i, &row, &ignored) != RV_OK
                      : !rv_store_exists(c->store, t, v->i))
            return rv_err_set(err, RV_EREF, f->name, "%s: %s %lld does not exist", f->name, t->one,
                              (long long)v->i);
        return RV_OK;
    }
    if (v->state != RV_V_RAW)
        return RV_OK;
    int64_t scope_id = 0;
    int scope_fi = scope_via(c, r, t, &scope_id, err);
    if (scope_fi == -2)
        return err->code ? err->code : RV_EDB;
    char key[400];
    int klen = 0;
    if (c->refcache) {
        klen = snprintf(key, sizeof key, "%s\x1f%lld\x1f%.*s", t->name, (long long)scope_id,
                        (int)v->len, v->s);
        int64_t id;
        if (klen > 0 && (size_t)klen < sizeof key && rv_map_get(c->refcache, key, (size_t)klen, &id)) {
            v->i = id;
            v->state = RV_V_SET;
            return RV_OK;
        }
    }
    int64_t id = 0;
    rv_status st = RV_ENOTFOUND;
    int xi = rv_entity_extid_field(t);
    if (xi >= 0 && c->extids && c->extids[t->index] &&
        rv_map_get(c->extids[t->index], v->s, v->len, &id)) {
        /* a row the import knows, maybe not written yet: its scope from it */
        rv_record row;
        st = RV_OK;
        if (scope_fi >= 0 && (st = rv__load(c, t->name, id, &row, err)) == RV_OK &&
            (row.v[scope_fi].state != RV_V_SET || row.v[scope_fi].i != scope_id))
            st = RV_ENOTFOUND;
        if (st && st != RV_ENOTFOUND)
            return st;
    }
    if (xi >= 0 && st == RV_ENOTFOUND)
        st = rv_store_find(c->store, t, xi, v->s, v->len, scope_fi, scope_id, &id, err);
    for (int k = 0; st == RV_ENOTFOUND && k < t->nfields; k++) {
        if (!(t->fields[k].flags & RV_F_NAME))
            continue;
        st = rv_store_find(c->store, t, k, v->s, v->len, scope_fi, scope_id, &id, err);
        if (st == RV_ECONFLICT)
            return rv_err_set(err, RV_EREF, f->name,
                              "%s: more than one %s has %s '%s'; give its id instead", f->name,
                              t->one, t->fields[k].name, rv_err_quote(q, sizeof q, v->s, v->len));
    }
    if (st == RV_ENOTFOUND) {
        const char *p = v->s;
        size_t n = v->len;
        if (n > 1 && p[0] == '#') {
            p++;
            n--;
        }
        if (all_digits(p, n) && n < 19) {
            id = strtoll(p, NULL, 10);
            if (rv_store_exists(c->store, t, id))
                st = RV_OK;
        }
    }
    if (st == RV_ENOTFOUND) {
        if (scope_fi >= 0)
            return rv_err_set(err, RV_EREF, f->name, "%s: no %s '%s' in %s %lld", f->name, t->one,
                              rv_err_quote(q, sizeof q, v->s, v->len),
                              rv_entity_find(t->fields[scope_fi].ref)->one, (long long)scope_id);
        return rv_err_set(err, RV_EREF, f->name, "%s: no %s with external id or name '%s'",
                          f->name, t->one, rv_err_quote(q, sizeof q, v->s, v->len));
    }
    if (st)
        return st;
    if (c->refcache && klen > 0 && (size_t)klen < sizeof key)
        rv_map_put(c->refcache, key, (size_t)klen, id);
    v->i = id;
    v->state = RV_V_SET;
    v->s = NULL;
    v->len = 0;
    return RV_OK;
}

rv_status rv_svc_resolve_refs(rv_ctx *c, rv_record *r, rv_err *err)
{
    for (int i = 0; i < r->ent->nfields; i++) {
        if (r->ent->fields[i].type != RV_FT_REF)
            continue;
        rv_status st = resolve_one(c, r, i, err);
        if (st)
            return st;
    }
    return RV_OK;
}

/* --- custom fields --------------------------------------------------------- */

typedef struct defs_acc {
    rv_ctx *c;
    json_t *custom;
    rv_err *err;
    rv_status st;
    int seen;
    bool create;
} defs_acc;

static rv_status check_custom_value(const char *name, const char *type, const char *options,
                                    json_t *v, rv_err *err)
{
    char field[160];
    snprintf(field, sizeof field, "custom.%s", name);
    bool ok = true;
    const char *want = type;
    if (!strcmp(type, "text"))
        ok = json_is_string(v);
    else if (!strcmp(type, "int"))
        ok = json_is_integer(v), want = "an integer";
    else if (!strcmp(type, "number"))
        ok = json_is_number(v), want = "a number";
    else if (!strcmp(type, "bool"))
        ok = json_is_boolean(v), want = "true or false";
    else if (!strcmp(type, "money") || !strcmp(type, "date")) {
        int64_t x;
        int32_t d;
        rv_err e2;
        ok = json_is_string(v) &&
             (!strcmp(type, "money")
                  ? rv_money_parse(json_string_value(v), json_string_length(v), 2, &x, field, &e2) == RV_OK
                  : rv_date_parse(json_string_value(v), json_string_length(v), &d, field, &e2) == RV_OK);
        want = !strcmp(type, "money") ? "an amount string like \"12.50\"" : "a date string YYYY-MM-DD";
    } else if (!strcmp(type, "enum")) {
        ok = false;
        if (json_is_string(v) && options) {
            const char *s = json_string_value(v);
            size_t n = strlen(s);
            for (const char *p = options; *p;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                while (len && *p == ' ')
                    p++, len--;
                size_t l2 = len;
                while (l2 && p[l2 - 1] == ' ')
                    l2--;
                if (l2 == n && memcmp(p, s, n) == 0)
                    ok = true;
                if (!e)
                    break;
                p = e + 1;
            }
        }
        if (!ok)
            return rv_err_set(err, RV_EINVAL, field, "%s must be one of %s", field,
                              options ? options : "(no options defined)");
    }
    if (!ok)
        return rv_err_set(err, RV_EINVAL, field, "%s must be %s", field, want);
    return RV_OK;
}

static int defs_row(void *ud, const rv_record *d)
{
    defs_acc *a = ud;
    /* field_defs: entity, name, type, options, required, label */
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)d->v[1].len, d->v[1].s);
    char type[16];
    snprintf(type, sizeof type, "%.*s", (int)d->v[2].len, d->v[2].s);
    char *options = d->v[3].state == RV_V_SET ? strndup(d->v[3].s, d->v[3].len) : NULL;
    json_t *v = a->custom ? json_object_get(a->custom, name) : NULL;
    if (v && !json_is_null(v)) {
        a->seen++;
        a->st = check_custom_value(name, type, options, v, a->err);
    } else if (a->create && d->v[4].state == RV_V_SET && d->v[4].i) {
        a->st = rv_err_set(a->err, RV_EINVAL, "custom", "custom.%s is required", name);
    }
    free(options);
    return a->st != RV_OK;
}

static int defs_keep(void *ud, const rv_record *d)
{
    defs_list *l = ud;
    l->recs = rv_xrealloc(l->recs, (size_t)(l->n + 1) * sizeof *l->recs);
    memset(&l->recs[l->n], 0, sizeof l->recs[l->n]);
    rec_copy(&l->recs[l->n++], d);
    return 0;
}

/* The definitions of q's entity through c->recent: listed once per import. */
static rv_status defs_cached(rv_ctx *c, const rv_query *q, defs_acc *a, rv_err *err)
{
    int k = rv_entity_find(q->filters[0].val.s)->index;
    defs_list *l = c->recent->defs[k];
    if (!l) {
        l = rv_xcalloc(1, sizeof *l);
        rv_status st = rv_store_list(c->store, q, defs_keep, l, err);
        c->recent->defs[k] = l;
        if (st)
            return st;
    }
    for (int i = 0; i < l->n; i++)
        if (defs_row(a, &l->recs[i].r))
            break;
    return RV_OK;
}

static rv_status check_custom(rv_ctx *c, rv_record *r, bool create, rv_err *err)
{
    int ci = rv_field_index(r->ent, "custom");
    if (ci < 0)
        return RV_OK;
    json_t *obj = NULL;
    if (r->v[ci].state == RV_V_SET) {
        obj = json_loadb(r->v[ci].s, r->v[ci].len, 0, NULL);
        if (!obj)
            return rv_err_set(err, RV_EINVAL, "custom", "custom must be a JSON object");
    }
    const rv_entity *fd = rv_entity_find("field_defs");
    rv_query q;
    rv_query_init(&q, fd);
    q.filters[0] = (rv_filter){.field = 0, .op = RV_OP_EQ,
                               .val = {.s = r->ent->name, .len = (uint32_t)strlen(r->ent->name),
                                       .state = RV_V_SET}};
    q.nfilters = 1;
    defs_acc a = {c, obj, err, RV_OK, 0, create};
    rv_status st = c->recent ? defs_cached(c, &q, &a, err) : rv_store_list(c->store, &q, defs_row, &a, err);
    if (!st)
        st = a.st;
    if (!st && obj && (int)json_object_size(obj) > a.seen) {
        /* a key with no definition */
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v)
        {
            char sql_name[160];
            snprintf(sql_name, sizeof sql_name, "custom.%s", key);
            rv_err e2;
            q.filters[1] = (rv_filter){.field = 1, .op = RV_OP_EQ,
                                       .val = {.s = key, .len = (uint32_t)strlen(key), .state = RV_V_SET}};
            q.nfilters = 2;
            int64_t n = 0;
            rv_store_count(c->store, &q, &n, &e2);
            if (n == 0 && !json_is_null(v)) {
                st = rv_err_set(err, RV_EUNKNOWN, sql_name,
                                "%s is not a defined custom field of %s (see field_defs)",
                                sql_name, r->ent->name);
                break;
            }
        }
    }
    json_decref(obj);
    return st;
}

/* --- writes ---------------------------------------------------------------- */

static rv_status write_field_history(rv_ctx *c, const rv_record *old, const rv_record *r,
                                     int64_t now, rv_err *err)
{
    const rv_entity *fh = rv_entity_find("field_history");
    for (int i = 0; i < r->ent->nfields; i++) {
        const rv_field *f = &r->ent->fields[i];
        if (!(f->flags & RV_F_TRACKED) || rv_val_equal(f, &old->v[i], &r->v[i]))
            continue;
        char ob[64], nb[64];
        const char *ot = rv_record_text(old, i, ob, sizeof ob);
        const char *nt = rv_record_text(r, i, nb, sizeof nb);
        rv_record h;
        rv_record_init(&h, fh);
        h.v[0] = (rv_val){.s = r->ent->name, .len = (uint32_t)strlen(r->ent->name), .state = RV_V_SET};
        h.v[1] = (rv_val){.i = r->id, .state = RV_V_SET};
        h.v[2] = (rv_val){.s = f->name, .len = (uint32_t)strlen(f->name), .state = RV_V_SET};
        if (ot)
            h.v[3] = (rv_val){.s = ot, .len = (uint32_t)strlen(ot), .state = RV_V_SET};
        if (nt)
            h.v[4] = (rv_val){.s = nt, .len = (uint32_t)strlen(nt), .state = RV_V_SET};
        h.v[5] = (rv_val){.i = now, .state = RV_V_SET};
        if (c->actor_id)
            h.v[6] = (rv_val){.i = c->actor_id, .state = RV_V_SET};
        h.created_at = h.updated_at = now;
        rv_status st = rv_store_insert(c->store, &h, err);
        if (st)
            return st;
    }
    return RV_OK;
}

/* Steps 2-4 on a record about to be written (old: the stored version). */
static rv_status prepare(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    const rv__behaviour *b = behaviour_of(r->ent);
    rv_status st;
    if ((r->ent->flags & RV_ENT_READONLY) && !c->batch)
        return rv_err_set(err, RV_EFORBIDDEN, NULL, "%s are written by revos only", r->ent->name);
    if (b && b->pre_resolve && (st = b->pre_resolve(c, old, r, err)))
        return st;
    if ((st = rv_svc_resolve_refs(c, r, err)))
        return st;
    if ((st = rv_record_finish(r, c->currency, err)))
        return st;
    if ((st = rv_record_check_required(r, err)))
        return st;
    int ci = rv_field_index(r->ent, "custom");
    if (ci >= 0 && (r->v[ci].state == RV_V_SET || !old) &&
        (!old || !rv_val_equal(&r->ent->fields[ci], &old->v[ci], &r->v[ci])) &&
        (st = check_custom(c, r, old == NULL, err)))
        return st;
    if (b && b->check && (st = b->check(c, old, r, err)))
        return st;
    return RV_OK;
}

typedef struct create_args {
    rv_record *r;
} create_args;

static rv_status create_tx(rv_ctx *c, void *ud, rv_err *err)
{
    rv_record *r = ((create_args *)ud)->r;
    rv_status st;
    if ((st = check_secret(c, r, err)))
        return st;
    rv_record_apply_defaults(r, c->arena);
    if ((st = prepare(c, NULL, r, err)) || (st = rv__access_write(c, r, true, err)))
        return st;
    int64_t now = rv_now_ms();
    r->created_at = r->updated_at = now;
    if ((st = rv_store_insert(c->store, r, err)))
        return st;
    recent_put(c, r);
    const rv__behaviour *b = behaviour_of(r->ent);
    if (b && b->after && (st = b->after(c, NULL, r, err)))
        return st;
    if ((st = rv__audit_write(c, "create", r->ent, r->id, NULL, r, err)))
        return st;
    return rv__emit_event(c, r->ent, r->id, "created", NULL, err);
}

rv_status rv_svc_create(rv_ctx *c, rv_record *r, rv_err *err)
{
    create_args a = {r};
    return rv_svc_tx(c, create_tx, &a, err);
}

typedef struct update_args {
    const rv_record *changes;
    rv_record *out;
    bool changed;
} update_args;

static rv_status update_tx(rv_ctx *c, void *ud, rv_err *err)
{
    update_args *a = ud;
    const rv_entity *e = a->changes->ent;
    rv_record *old = rv_arena_alloc(c->arena, sizeof *old);
    rv_record *r = a->out ? a->out : rv_arena_alloc(c->arena, sizeof *r);
    rv_status st;
    if ((st = check_secret(c, a->changes, err)) ||
        (st = rv_access_check(c, e, a->changes->id, true, err)) ||
        (st = rv__load(c, e->name, a->changes->id, old, err)))
        return st;
    *r = *old;
    for (int i = 0; i < e->nfields; i++)
        if (a->changes->v[i].state != RV_V_UNSET &&
            (c->set_secret || !(e->fields[i].flags & RV_F_SECRET)))
            r->v[i] = a->changes->v[i];
    if ((st = prepare(c, old, r, err)) || (st = rv__access_write(c, r, false, err)))
        return st;
    a->changed = false;
    for (int i = 0; i < e->nfields; i++)
        if (!rv_val_equal(&e->fields[i], &old->v[i], &r->v[i]))
            a->changed = true;
    if (!a->changed)
        return RV_OK;
    int64_t now = rv_now_ms();
    r->updated_at = now;
    if ((st = rv_store_update(c->store, r, err)))
        return st;
    recent_put(c, r);
    if ((st = write_field_history(c, old, r, now, err)))
        return st;
    const rv__behaviour *b = behaviour_of(e);
    if (b && b->after && (st = b->after(c, old, r, err)))
        return st;
    if ((st = rv__audit_write(c, "update", e, r->id, old, r, err)))
        return st;
    return rv__emit_event(c, e, r->id, "updated", NULL, err);
}

rv_status rv_svc_update(rv_ctx *c, const rv_record *changes, rv_record *out, rv_err *err)
{
    update_args a = {changes, out, false};
    return rv_svc_tx(c, update_tx, &a, err);
}

rv_status rv_svc_upsert(rv_ctx *c, rv_record *r, bool *created, rv_err *err)
{
    rv_upsert_outcome o = 0;
    rv_status st = rv_svc_upsert_outcome(c, r, &o, err);
    if (created)
        *created = o == RV_UPSERT_CREATED;
    return st;
}

rv_status rv__upsert_known(rv_ctx *c, rv_record *r, int64_t id, rv_upsert_outcome *out,
                           rv_err *err)
{
    rv_status st;
    if (!id) {
        if ((st = rv_svc_create(c, r, err)))
            return st;
        *out = RV_UPSERT_CREATED;
        return RV_OK;
    }
    r->id = id;
    update_args a = {r, NULL, false};
    if ((st = rv_svc_tx(c, update_tx, &a, err)))
        return st;
    *out = a.changed ? RV_UPSERT_UPDATED : RV_UPSERT_UNCHANGED;
    return RV_OK;
}

rv_status rv_svc_upsert_outcome(rv_ctx *c, rv_record *r, rv_upsert_outcome *out, rv_err *err)
{
    int xi = rv_entity_extid_field(r->ent);
    int64_t id = 0;
    if (xi >= 0 && r->v[xi].state == RV_V_SET) {
        /* one indexed probe; remembering every written id would cost the
         * memory of the whole import (26M keys for 1M generated deals).
         * Imports on PostgreSQL, where a probe is a round trip, read the
         * external ids once and call rv__upsert_known (import.c). */
        rv_status st =
            rv_store_find(c->store, r->ent, xi, r->v[xi].s, r->v[xi].len, -1, 0, &id, err);
        if (st && st != RV_ENOTFOUND)
            return st;
    }
    return rv__upsert_known(c, r, id, out, err);
}

typedef struct delete_args {
    const rv_entity *e;
    int64_t id;
} delete_args;

static rv_status delete_tx(rv_ctx *c, void *ud, rv_err *err)
{
    delete_args *a = ud;
    if (a->e->flags & (RV_ENT_READONLY | RV_ENT_APPEND))
        return rv_err_set(err, RV_EFORBIDDEN, NULL, "%s cannot be deleted", a->e->name);
    rv_status st = rv_access_check(c, a->e, a->id, true, err);
    if (st)
        return st;
    if (!rv_store_exists(c->store, a->e, a->id))
        return rv_err_set(err, RV_ENOTFOUND, "id", "%s %lld not found", a->e->one,
                          (long long)a->id);
    const rv_entity *by = NULL;
    const char *field = NULL;
    int64_t n = 0;
    if ((st = rv_store_count_refs(c->store, a->e, a->id, &by, &field, &n, err)))
        return st;
    if (n > 0)
        return rv_err_set(err, RV_ECONFLICT, "id",
                          "%s %lld is still referenced by %lld %s (%s); delete or reassign them "
                          "first",
                          a->e->one, (long long)a->id, (long long)n, n == 1 ? by->one : by->name,
                          field);
    rv_record *old = NULL;
    if (!c->batch) {
        old = rv_arena_alloc(c->arena, sizeof *old);
        if ((st = rv_store_get(c->store, a->e, a->id, old, c->arena, err)))
            return st;
    }
    if ((st = rv_store_delete(c->store, a->e, a->id, err)))
        return st;
    recent_drop(c, a->e, a->id);
    if ((st = rv__audit_write(c, "delete", a->e, a->id, old, NULL, err)))
        return st;
    return rv__emit_event(c, a->e, a->id, "deleted", NULL, err);
}

rv_status rv_svc_delete(rv_ctx *c, const rv_entity *e, int64_t id, rv_err *err)
{
    delete_args a = {e, id};
    return rv_svc_tx(c, delete_tx, &a, err);
}

rv_status rv_svc_get(rv_ctx *c, const rv_entity *e, int64_t id, rv_record *out, rv_err *err)
{
    rv_status st = rv_access_check(c, e, id, false, err);
    if (st) {
        rv__audit_flush(c);
        return st;
    }
    return rv_store_get(c->store, e, id, out, c->arena, err);
}
