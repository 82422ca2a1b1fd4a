/*
 * merge.c - merging duplicate records and undoing merges.  See merge.h for
 * what a merge does and what undo restores.
 *
 * The merge log's plan is JSON:
 *   {"keep": REC, "merged": REC, "after": survivor's updated_at after the
 *    merge, "from": {"field": "merged", ...},
 *    "children": [[entity, field, row id, row's updated_at before], ...]}
 * REC = {"id", "created_at", "updated_at", "v": [one per field: null, an
 * integer for integer-stored types, else the text]}: the row exactly as
 * the store holds it, so undo writes back the same bytes.
 */
#include "service/merge.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "model/money.h"
#include "service/service_internal.h"

static const char *const rule_names[] = {
#define RV__SURVX(name, str) str,
    RV_SURV_RULES(RV__SURVX)
#undef RV__SURVX
};

const char *rv_surv_rule_name(rv_surv_rule r)
{
    return r < RV_SURV_NRULES ? rule_names[r] : "?";
}

int rv_surv_rule_parse(const char *name)
{
    for (int i = 0; i < RV_SURV_NRULES; i++)
        if (!strcmp(rule_names[i], name))
            return i;
    return -1;
}

void rv_merge_plan_init(rv_merge_plan *p, const rv_entity *e, int64_t keep, int64_t merged)
{
    memset(p, 0, sizeof *p);
    p->ent = e;
    p->keep = keep;
    p->merged = merged;
}

/* --- scanning ---------------------------------------------------------------- */

/* entity field -> engine type, per entity that can be scanned */
static const struct {
    const char *entity, *field;
    rv_dd_type type;
} scan_fields[] = {
    {"contacts", "first_name", RV_DD_GIVEN}, {"contacts", "last_name", RV_DD_SURNAME},
    {"contacts", "email", RV_DD_EMAIL},      {"contacts", "phone", RV_DD_PHONE},
    {"leads", "first_name", RV_DD_GIVEN},    {"leads", "last_name", RV_DD_SURNAME},
    {"leads", "email", RV_DD_EMAIL},         {"leads", "phone", RV_DD_PHONE},
    {"leads", "company", RV_DD_COMPANY},     {"accounts", "name", RV_DD_COMPANY},
    {"accounts", "domain", RV_DD_CODE},      {"accounts", "phone", RV_DD_PHONE},
    {"accounts", "city", RV_DD_CITY},        {"accounts", "postcode", RV_DD_POSTCODE},
};

typedef struct scan_acc {
    rv_dedupe_scan *s;
    size_t cap;
    rv_status st;
    rv_err *err;
} scan_acc;

static int scan_row(void *ud, const rv_record *r)
{
    scan_acc *a = ud;
    rv_dedupe_scan *s = a->s;
    if (s->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        s->ids = rv_xrealloc(s->ids, a->cap * sizeof *s->ids);
        s->vals = rv_xrealloc(s->vals, a->cap * (size_t)s->nfields * sizeof *s->vals);
    }
    const char *v[RV_DD_MAX_FIELDS];
    size_t l[RV_DD_MAX_FIELDS];
    char **row = s->vals + s->n * (size_t)s->nfields;
    for (int f = 0; f < s->nfields; f++) {
        char buf[64];
        const char *t = rv_record_text(r, s->field[f], buf, sizeof buf);
        row[f] = t && *t ? rv_xstrdup(t) : NULL;
        v[f] = row[f];
        l[f] = row[f] ? strlen(row[f]) : 0;
    }
    s->ids[s->n++] = r->id;
    a->st = rv_dd_add(s->set, v, l, -1, a->err);
    return a->st != RV_OK;
}

rv_status rv_svc_dedupe_scan(rv_ctx *c, const rv_entity *e, const rv_dd_opts *opts,
                             rv_dedupe_scan *out, rv_err *err)
{
    memset(out, 0, sizeof *out);
    out->ent = e;
    rv_dd_field f[RV_DD_MAX_FIELDS];
    for (size_t i = 0; e && i < sizeof scan_fields / sizeof scan_fields[0]; i++)
        if (!strcmp(scan_fields[i].entity, e->name)) {
            out->field[out->nfields] = rv_field_index(e, scan_fields[i].field);
            f[out->nfields++] = (rv_dd_field){scan_fields[i].field, scan_fields[i].type};
        }
    if (!out->nfields)
        return rv_err_set(err, RV_EINVAL, "entity",
                          "dedupe scans accounts, contacts or leads, got '%s'", e ? e->name : "?");
    rv_status st = rv_dd_new(&out->set, out->nfields, f, err);
    if (st)
        return st;
    rv_list_req req = {.ent = e, .limit = -1};
    scan_acc a = {out, 0, RV_OK, err};
    st = rv_svc_list(c, &req, scan_row, &a, NULL, err);
    if (!st)
        st = a.st;
    if (!st)
        st = rv_dd_run(out->set, opts, &out->res, err);
    return st;
}

void rv_dedupe_scan_release(rv_dedupe_scan *s)
{
    if (s->vals && s->nfields)
        for (size_t i = 0; i < s->n * (size_t)s->nfields; i++)
            free(s->vals[i]);
    free(s->vals);
    free(s->ids);
    rv_dd_result_release(&s->res);
    rv_dd_free(s->set);
    memset(s, 0, sizeof *s);
}

int rv_dedupe_scan_evidence(const rv_dedupe_scan *s, const rv_dd_pair *p, rv_dedupe_evidence *out)
{
    int lev[RV_DD_MAX_FIELDS];
    double wt[RV_DD_MAX_FIELDS];
    int nf = rv_dd_pair_evidence(s->set, p->a, p->b, lev, wt);
    for (int f = 0; f < nf; f++)
        out[f] = (rv_dedupe_evidence){s->ent->fields[s->field[f]].name,
                                      s->vals[p->a * (size_t)s->nfields + (size_t)f],
                                      s->vals[p->b * (size_t)s->nfields + (size_t)f], lev[f],
                                      s->res.nlevels[f], wt[f]};
    return nf;
}

/* --- choosing values ----------------------------------------------------- */

static bool present(const rv_val *v)
{
    return v->state == RV_V_SET && (v->s == NULL || v->len > 0);
}

static int source_rank(const rv_merge_plan *p, const rv_record *r, int src)
{
    if (src < 0 || !present(&r->v[src]))
        return p->nsources;
    for (int i = 0; i < p->nsources; i++)
        if (strlen(p->sources[i]) == r->v[src].len &&
            !strncmp(p->sources[i], r->v[src].s, r->v[src].len))
            return i;
    return p->nsources;
}

/* 0: the survivor's value, 1: the merged record's. */
static int pick(const rv_merge_plan *p, int fi, const rv_record *k, const rv_record *m)
{
    const rv_val *a = &k->v[fi], *b = &m->v[fi];
    bool ha = present(a), hb = present(b);
    switch (p->rule[fi]) {
    case RV_SURV_KEEP:
        return 0;
    case RV_SURV_MERGED:
        return 1;
    case RV_SURV_RECENT:
        if (ha && hb)
            return m->updated_at > k->updated_at;
        return !ha && hb;
    case RV_SURV_SOURCE: {
        int src = rv_field_index(p->ent, "source");
        if (ha && hb)
            return source_rank(p, m, src) < source_rank(p, k, src);
        return !ha && hb;
    }
    default:
        if (ha && hb)
            return a->s && b->s && b->len > a->len;
        return !ha && hb;
    }
}

static rv_status check_plan(const rv_merge_plan *p, rv_err *err)
{
    const rv_entity *e = p->ent;
    if (!e || (e->flags & (RV_ENT_READONLY | RV_ENT_APPEND)))
        return rv_err_set(err, RV_EINVAL, "entity", "records of '%s' cannot be merged",
                          e ? e->name : "?");
    if (p->keep == p->merged)
        return rv_err_set(err, RV_EINVAL, "merged",
                          "a record cannot be merged into itself, got %s %lld twice", e->one,
                          (long long)p->keep);
    if (p->nsources < 0 || p->nsources > RV_MERGE_MAX_SOURCES)
        return rv_err_set(err, RV_EINVAL, "sources", "at most %d sources, got %d",
                          RV_MERGE_MAX_SOURCES, p->nsources);
    for (int i = 0; i < e->nfields; i++)
        if (p->rule[i] >= RV_SURV_NRULES)
            return rv_err_set(err, RV_EINVAL, e->fields[i].name, "unknown rule %d for '%s'",
                              (int)p->rule[i], e->fields[i].name);
    return RV_OK;
}

/* Both records, checked writable, and the survivor as it would become. */
static rv_status prepare(rv_ctx *c, const rv_merge_plan *p, rv_record *k, rv_record *m,
                         rv_record *out, int *from, rv_err *err)
{
    rv_status st;
    if ((st = check_plan(p, err)) || (st = rv_access_check(c, p->ent, p->keep, true, err)) ||
        (st = rv_access_check(c, p->ent, p->merged, true, err)) ||
        (st = rv_store_get(c->store, p->ent, p->keep, k, c->arena, err)) ||
        (st = rv_store_get(c->store, p->ent, p->merged, m, c->arena, err)))
        return st;
    *out = *k;
    for (int i = 0; i < p->ent->nfields; i++) {
        const rv_field *f = &p->ent->fields[i];
        int side = (f->flags & (RV_F_SYSTEM | RV_F_SECRET)) ? 0 : pick(p, i, k, m);
        if (from)
            from[i] = side;
        if (side)
            out->v[i] = m->v[i];
        if (f->type == RV_FT_REF && !strcmp(f->ref, p->ent->name) && out->v[i].state == RV_V_SET &&
            (out->v[i].i == p->keep || out->v[i].i == p->merged))
            return rv_err_set(err, RV_ECONFLICT, f->name,
                              "%s %lld would refer to itself through %s after the merge; change "
                              "%s first",
                              p->ent->one, (long long)p->keep, f->name, f->name);
    }
    return RV_OK;
}

rv_status rv_svc_merge_preview(rv_ctx *c, const rv_merge_plan *p, rv_record *out, int *from,
                               rv_err *err)
{
    rv_record k, m;
    return prepare(c, p, &k, &m, out, from, err);
}

/* --- records as JSON and back ---------------------------------------------- */

static void rec_json(rv_jsonw *w, const rv_record *r)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "id");
    rv_jsonw_int(w, r->id);
    rv_jsonw_key(w, "created_at");
    rv_jsonw_int(w, r->created_at);
    rv_jsonw_key(w, "updated_at");
    rv_jsonw_int(w, r->updated_at);
    rv_jsonw_key(w, "v");
    rv_jsonw_arr_begin(w);
    for (int i = 0; i < r->ent->nfields; i++) {
        const rv_val *v = &r->v[i];
        if (v->state != RV_V_SET)
            rv_jsonw_null(w);
        else if (rv_ftype_is_int(r->ent->fields[i].type))
            rv_jsonw_int(w, v->i);
        else
            rv_jsonw_strn(w, v->s ? v->s : "", v->len);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
}

static rv_status bad_plan(int64_t id, const char *what, rv_err *err)
{
    return rv_err_set(err, RV_EINTERNAL, "plan", "merge %lld has a damaged plan: %s",
                      (long long)id, what);
}

static rv_status rec_parse(json_t *o, const rv_entity *e, rv_record *r, int64_t mid, rv_err *err)
{
    json_t *v = json_object_get(o, "v");
    if (!json_is_array(v) || (int)json_array_size(v) != e->nfields ||
        !json_is_integer(json_object_get(o, "id")))
        return bad_plan(mid, "a record does not match its entity", err);
    rv_record_init(r, e);
    r->id = json_integer_value(json_object_get(o, "id"));
    r->created_at = json_integer_value(json_object_get(o, "created_at"));
    r->updated_at = json_integer_value(json_object_get(o, "updated_at"));
    for (int i = 0; i < e->nfields; i++) {
        json_t *x = json_array_get(v, (size_t)i);
        if (json_is_null(x))
            r->v[i] = (rv_val){.state = RV_V_NULL};
        else if (json_is_integer(x))
            r->v[i] = (rv_val){.i = json_integer_value(x), .state = RV_V_SET};
        else if (json_is_string(x))
            r->v[i] = (rv_val){.s = json_string_value(x), .len = (uint32_t)json_string_length(x),
                               .state = RV_V_SET};
        else
            return bad_plan(mid, "a value is neither null, integer nor text", err);
    }
    return RV_OK;
}

/* --- merge ------------------------------------------------------------------- */

typedef struct child {
    const rv_entity *ent;
    int field;
    int64_t id, updated_at;
} child;

typedef struct children {
    child *v;
    size_t n, cap;
    const rv_entity *ent;
    int field;
} children;

static int collect_child(void *ud, const rv_record *r)
{
    children *ch = ud;
    if (ch->n == ch->cap) {
        ch->cap = ch->cap ? ch->cap * 2 : 64;
        ch->v = rv_xrealloc(ch->v, ch->cap * sizeof *ch->v);
    }
    ch->v[ch->n++] = (child){ch->ent, ch->field, r->id, r->updated_at};
    return 0;
}

/* Every row whose reference to e holds id. */
static rv_status find_children(rv_ctx *c, const rv_entity *e, int64_t id, children *ch,
                               rv_err *err)
{
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *ce = rv_entities[k];
        for (int fi = 0; fi < ce->nfields; fi++) {
            const rv_field *f = &ce->fields[fi];
            if (f->type != RV_FT_REF || strcmp(f->ref, e->name))
                continue;
            rv_query q;
            rv_query_init(&q, ce);
            q.filters[0] = (rv_filter){.field = fi, .op = RV_OP_EQ,
                                       .val = {.i = id, .state = RV_V_SET}};
            q.nfilters = 1;
            ch->ent = ce, ch->field = fi;
            rv_status st = rv_store_list(c->store, &q, collect_child, ch, err);
            if (st)
                return st;
        }
    }
    return RV_OK;
}

/* Point field ch->field of row ch->id at target, stamping updated_at. */
static rv_status repoint(rv_ctx *c, const child *ch, int64_t target, int64_t updated_at,
                         rv_err *err)
{
    rv_record r;
    rv_status st = rv_store_get(c->store, ch->ent, ch->id, &r, c->arena, err);
    if (st)
        return st;
    r.v[ch->field] = (rv_val){.i = target, .state = RV_V_SET};
    r.updated_at = updated_at;
    return rv_store_update(c->store, &r, err);
}

typedef struct merge_args {
    const rv_merge_plan *p;
    int64_t id;
} merge_args;

static rv_status merge_tx(rv_ctx *c, void *ud, rv_err *err)
{
    merge_args *a = ud;
    const rv_merge_plan *p = a->p;
    const rv_entity *e = p->ent;
    rv_record k, m, out;
    int from[RV_MAX_FIELDS];
    rv_status st = prepare(c, p, &k, &m, &out, from, err);
    if (st)
        return st;
    children ch = {0};
    if ((st = find_children(c, e, p->merged, &ch, err)))
        goto done;
    int64_t now = rv_now_ms();
    for (size_t i = 0; i < ch.n; i++) {
        if (ch.v[i].ent == e && ch.v[i].id == p->keep) {
            st = rv_err_set(err, RV_ECONFLICT, e->fields[ch.v[i].field].name,
                            "%s %lld refers to %s %lld through %s; change %s first", e->one,
                            (long long)p->keep, e->one, (long long)p->merged,
                            e->fields[ch.v[i].field].name, e->fields[ch.v[i].field].name);
            goto done;
        }
        if ((st = repoint(c, &ch.v[i], p->keep, now, err)))
            goto done;
    }
    if ((st = rv_store_delete(c->store, e, p->merged, err)))
        goto done;
    out.updated_at = now;
    if ((st = rv_store_update(c->store, &out, err)))
        goto done;

    rv_buf plan = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &plan, false);
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "keep");
    rec_json(&w, &k);
    rv_jsonw_key(&w, "merged");
    rec_json(&w, &m);
    rv_jsonw_key(&w, "after");
    rv_jsonw_int(&w, now);
    rv_jsonw_key(&w, "from");
    rv_jsonw_obj_begin(&w);
    for (int i = 0; i < e->nfields; i++)
        if (from[i]) {
            rv_jsonw_key(&w, e->fields[i].name);
            rv_jsonw_str(&w, "merged");
        }
    rv_jsonw_obj_end(&w);
    rv_jsonw_key(&w, "children");
    rv_jsonw_arr_begin(&w);
    for (size_t i = 0; i < ch.n; i++) {
        rv_jsonw_arr_begin(&w);
        rv_jsonw_str(&w, ch.v[i].ent->name);
        rv_jsonw_str(&w, ch.v[i].ent->fields[ch.v[i].field].name);
        rv_jsonw_int(&w, ch.v[i].id);
        rv_jsonw_int(&w, ch.v[i].updated_at);
        rv_jsonw_arr_end(&w);
    }
    rv_jsonw_arr_end(&w);
    rv_jsonw_obj_end(&w);

    const rv_entity *me = rv_entity_find("merges");
    rv_record log;
    rv_record_init(&log, me);
    int max = me->fields[rv_field_index(me, "plan")].max_len;
    if (plan.len > (size_t)max) {
        st = rv_err_set(err, RV_ETOOBIG, "plan",
                        "a merge re-pointing %zu rows needs a plan of %zu bytes, over %d", ch.n,
                        plan.len, max);
        rv_buf_release(&plan);
        goto done;
    }
    const struct {
        const char *name;
        rv_val v;
    } vals[] = {
        {"entity", {.s = e->name, .len = (uint32_t)strlen(e->name), .state = RV_V_SET}},
        {"survivor_id", {.i = p->keep, .state = RV_V_SET}},
        {"merged_id", {.i = p->merged, .state = RV_V_SET}},
        {"actor_id", {.i = c->actor_id, .state = c->actor_id ? RV_V_SET : RV_V_NULL}},
        {"merged_at", {.i = now, .state = RV_V_SET}},
        {"plan", {.s = plan.data, .len = (uint32_t)plan.len, .state = RV_V_SET}},
        {"undone_at", {.state = RV_V_NULL}},
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        log.v[rv_field_index(me, vals[i].name)] = vals[i].v;
    log.created_at = log.updated_at = now;
    st = rv_store_insert(c->store, &log, err);
    a->id = log.id;
    rv_buf_release(&plan);
done:
    free(ch.v);
    return st;
}

rv_status rv_svc_merge(rv_ctx *c, const rv_merge_plan *p, int64_t *merge_id, rv_err *err)
{
    merge_args a = {p, 0};
    rv_status st = rv_svc_tx(c, merge_tx, &a, err);
    if (!st && merge_id)
        *merge_id = a.id;
    return st;
}

/* --- undo -------------------------------------------------------------------- */

static rv_status undo_tx(rv_ctx *c, void *ud, rv_err *err)
{
    int64_t mid = *(int64_t *)ud;
    const rv_entity *me = rv_entity_find("merges");
    rv_record log;
    rv_status st = rv_store_get(c->store, me, mid, &log, c->arena, err);
    if (st)
        return st == RV_ENOTFOUND
                   ? rv_err_set(err, RV_ENOTFOUND, "merge_id", "no merge %lld", (long long)mid)
                   : st;
    int fu = rv_field_index(me, "undone_at"), fp = rv_field_index(me, "plan");
    const rv_val *ent_v = &log.v[rv_field_index(me, "entity")];
    char ename[64];
    snprintf(ename, sizeof ename, "%.*s", (int)ent_v->len, ent_v->s ? ent_v->s : "");
    const rv_entity *e = rv_entity_find(ename);
    if (!e)
        return bad_plan(mid, "unknown entity", err);
    /* the survivor must be writable before anything about the merge is told */
    if ((st = rv_access_check(c, e, log.v[rv_field_index(me, "survivor_id")].i, true, err)))
        return st;
    if (log.v[fu].state == RV_V_SET)
        return rv_err_set(err, RV_ECONFLICT, "merge_id", "merge %lld was undone already",
                          (long long)mid);
    json_error_t je;
    json_t *plan = json_loadb(log.v[fp].s, log.v[fp].len, 0, &je);
    if (!plan)
        return bad_plan(mid, je.text, err);
    rv_record k, m, now_k;
    json_t *kids = json_object_get(plan, "children");
    if ((st = rec_parse(json_object_get(plan, "keep"), e, &k, mid, err)) ||
        (st = rec_parse(json_object_get(plan, "merged"), e, &m, mid, err)))
        goto done;
    if (!json_is_array(kids) || !json_is_integer(json_object_get(plan, "after"))) {
        st = bad_plan(mid, "no children or no survivor stamp", err);
        goto done;
    }
    st = rv_store_get(c->store, e, k.id, &now_k, c->arena, err);
    if (st == RV_ENOTFOUND) {
        st = rv_err_set(err, RV_ECONFLICT, "merge_id",
                        "%s %lld no longer exists (merged again later?): undo that first", e->one,
                        (long long)k.id);
        goto done;
    }
    if (st)
        goto done;
    if (now_k.updated_at != json_integer_value(json_object_get(plan, "after"))) {
        st = rv_err_set(err, RV_ECONFLICT, "merge_id",
                        "%s %lld changed after merge %lld; undoing it would lose that change",
                        e->one, (long long)k.id, (long long)mid);
        goto done;
    }
    /* the merged record again, with its id and timestamps */
    int64_t rows = 0;
    if ((st = rv_store_copy_begin(c->store, e, err)) || (st = rv_store_copy_row(c->store, &m, err)) ||
        (st = rv_store_copy_end(c->store, &rows, err)))
        goto done;
    for (size_t i = 0; i < json_array_size(kids); i++) {
        json_t *row = json_array_get(kids, i);
        const rv_entity *ce = rv_entity_find(json_string_value(json_array_get(row, 0)));
        const char *fname = json_string_value(json_array_get(row, 1));
        int fi = ce && fname ? rv_field_index(ce, fname) : -1;
        if (fi < 0) {
            st = bad_plan(mid, "a re-pointed row names an unknown field", err);
            goto done;
        }
        child ch = {ce, fi, json_integer_value(json_array_get(row, 2)), 0};
        rv_record cur;
        st = rv_store_get(c->store, ce, ch.id, &cur, c->arena, err);
        if (st == RV_ENOTFOUND) /* deleted since: nothing to point back */
            continue;
        if (st)
            goto done;
        if (cur.v[fi].state != RV_V_SET || cur.v[fi].i != k.id) /* moved since: leave it */
            continue;
        if ((st = repoint(c, &ch, m.id, json_integer_value(json_array_get(row, 3)), err)))
            goto done;
    }
    if ((st = rv_store_update(c->store, &k, err)))
        goto done;
    log.v[fu] = (rv_val){.i = rv_now_ms(), .state = RV_V_SET};
    log.updated_at = log.v[fu].i;
    st = rv_store_update(c->store, &log, err);
done:
    json_decref(plan);
    return st;
}

rv_status rv_svc_merge_undo(rv_ctx *c, int64_t merge_id, rv_err *err)
{
    return rv_svc_tx(c, undo_tx, &merge_id, err);
}
