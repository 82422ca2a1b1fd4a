/*
 * dedupe_routes.c - duplicate records over HTTP: a scan with each pair's
 * field-by-field evidence, a merge, and the undo of a merge.  Each handler
 * parses the query string and calls the service (service/merge.h); the
 * rules are those of `revos dedupe` (docs/dedupe.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "service/merge.h"

/* A probability strictly between 0 and 1, or a positive id. */
static rv_status parse_probability(const char *key, const char *v, double *out, rv_err *err)
{
    char *end;
    *out = strtod(v, &end);
    if (*end || end == v || !(*out > 0 && *out < 1))
        return rv_err_set(err, RV_EINVAL, key, "%s must be a number between 0 and 1, got '%s'", key,
                          v);
    return RV_OK;
}

static rv_status parse_id(const char *key, const char *v, int64_t *out, rv_err *err)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || end == v || x <= 0)
        return rv_err_set(err, RV_EINVAL, key, "%s must be a record id, got '%s'", key, v);
    *out = x;
    return RV_OK;
}

static rv_status entity_of(rv_api_req *rq, const rv_entity **e, rv_err *err)
{
    const char *name = rv__api_param(rq, "entity");
    *e = name ? rv_entity_find(name) : NULL;
    if (!*e)
        return rv_err_set(err, RV_ENOTFOUND, "entity", "no entity '%s'", name ? name : "");
    return RV_OK;
}

static void pair_json(rv_jsonw *w, const rv_dedupe_scan *s, const rv_dd_pair *p)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "id_a");
    rv_jsonw_int(w, s->ids[p->a]);
    rv_jsonw_key(w, "id_b");
    rv_jsonw_int(w, s->ids[p->b]);
    rv_jsonw_key(w, "probability");
    rv_jsonw_double(w, p->p);
    rv_jsonw_key(w, "evidence");
    rv_jsonw_arr_begin(w);
    rv_dedupe_evidence ev[RV_DD_MAX_FIELDS];
    int nf = rv_dedupe_scan_evidence(s, p, ev);
    for (int f = 0; f < nf; f++) {
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "field");
        rv_jsonw_str(w, ev[f].field);
        const struct {
            const char *key, *v;
        } sides[] = {{"a", ev[f].a}, {"b", ev[f].b}};
        for (int k = 0; k < 2; k++) {
            rv_jsonw_key(w, sides[k].key);
            if (sides[k].v)
                rv_jsonw_str(w, sides[k].v);
            else
                rv_jsonw_null(w);
        }
        rv_jsonw_key(w, "level");
        if (ev[f].level == RV_DD_MISSING)
            rv_jsonw_null(w);
        else
            rv_jsonw_int(w, ev[f].level);
        rv_jsonw_key(w, "levels");
        rv_jsonw_int(w, ev[f].levels);
        rv_jsonw_key(w, "weight");
        rv_jsonw_double(w, ev[f].weight);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
}

/* GET /api/v1/dedupe/{entity}?threshold=P */
rv_status rv__api_dedupe_scan(rv_api_req *rq, rv_err *err)
{
    const rv_entity *e;
    rv_dd_opts o = {0};
    rv_status st = entity_of(rq, &e, err);
    for (int i = 0; !st && i < rq->nargs; i++) {
        const rv__kv *kv = &rq->args[i];
        if (strcmp(kv->key, "threshold"))
            st = rv_err_set(err, RV_EINVAL, kv->key, "unknown parameter '%s' (threshold)", kv->key);
        else
            st = parse_probability("threshold", kv->value ? kv->value : "", &o.threshold, err);
    }
    rv_dedupe_scan s;
    memset(&s, 0, sizeof s);
    if (!st)
        st = rv_svc_dedupe_scan(&rq->ctx, e, &o, &s, err);
    if (st) {
        rv_dedupe_scan_release(&s);
        return st;
    }
    rv_jsonw *w = &rq->w;
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "entity");
    rv_jsonw_str(w, e->name);
    rv_jsonw_key(w, "records");
    rv_jsonw_int(w, (int64_t)s.n);
    rv_jsonw_key(w, "candidate_pairs");
    rv_jsonw_int(w, s.res.candidates);
    rv_jsonw_key(w, "data");
    rv_jsonw_arr_begin(w);
    for (size_t i = 0; i < s.res.npairs; i++)
        pair_json(w, &s, &s.res.pairs[i]);
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "clusters");
    rv_jsonw_arr_begin(w);
    for (size_t l = 0; l < s.n; l++) {
        size_t size = 0;
        for (size_t i = l; i < s.n; i++)
            size += s.res.cluster[i] == l;
        if (size < 2)
            continue;
        rv_jsonw_arr_begin(w);
        for (size_t i = l; i < s.n; i++)
            if (s.res.cluster[i] == l)
                rv_jsonw_int(w, s.ids[i]);
        rv_jsonw_arr_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
    rv_dedupe_scan_release(&s);
    return RV_OK;
}

/* POST /api/v1/dedupe/{entity}/merge?keep=A&merged=B&rule=FIELD:RULE&sources=S1,S2 */
rv_status rv__api_dedupe_merge(rv_api_req *rq, rv_err *err)
{
    const rv_entity *e;
    rv_status st = entity_of(rq, &e, err);
    if (st)
        return st;
    rv_merge_plan p;
    rv_merge_plan_init(&p, e, 0, 0);
    for (int i = 0; !st && i < rq->nargs; i++) {
        const rv__kv *kv = &rq->args[i];
        const char *v = kv->value ? kv->value : "";
        if (!strcmp(kv->key, "keep") || !strcmp(kv->key, "merged")) {
            st = parse_id(kv->key, v, !strcmp(kv->key, "keep") ? &p.keep : &p.merged, err);
        } else if (!strcmp(kv->key, "rule")) {
            const char *colon = strchr(v, ':');
            char field[64];
            snprintf(field, sizeof field, "%.*s", colon ? (int)(colon - v) : 0, v);
            int fi = colon ? rv_field_index(e, field) : -1;
            int r = colon ? rv_surv_rule_parse(colon + 1) : -1;
            if (fi < 0 || r < 0)
                st = rv_err_set(err, RV_EINVAL, "rule",
                                "rule takes FIELD:complete|recent|source|keep|merged with a field "
                                "of %s, got '%s'",
                                e->name, v);
            else
                p.rule[fi] = (rv_surv_rule)r;
        } else if (!strcmp(kv->key, "sources")) {
            char *list = rv_arena_strdup(&rq->arena, v), *save = NULL;
            for (char *tok = strtok_r(list, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save))
                if (p.nsources == RV_MERGE_MAX_SOURCES)
                    st = rv_err_set(err, RV_EINVAL, "sources", "at most %d sources",
                                    RV_MERGE_MAX_SOURCES);
                else
                    p.sources[p.nsources++] = tok;
        } else {
            st = rv_err_set(err, RV_EINVAL, kv->key,
                            "unknown parameter '%s' (keep, merged, rule, sources)", kv->key);
        }
    }
    if (!st && (!p.keep || !p.merged))
        st = rv_err_set(err, RV_EINVAL, p.keep ? "merged" : "keep", "%s is required",
                        p.keep ? "merged" : "keep");
    int64_t mid = 0;
    if (st || (st = rv_svc_merge(&rq->ctx, &p, &mid, err)))
        return st;
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "merge_id");
    rv_jsonw_int(&rq->w, mid);
    rv_jsonw_key(&rq->w, "survivor_id");
    rv_jsonw_int(&rq->w, p.keep);
    rv_jsonw_key(&rq->w, "merged_id");
    rv_jsonw_int(&rq->w, p.merged);
    rv_jsonw_obj_end(&rq->w);
    return RV_OK;
}

/* POST /api/v1/merges/{id}/undo */
rv_status rv__api_dedupe_undo(rv_api_req *rq, rv_err *err)
{
    int64_t id;
    const char *v = rv__api_param(rq, "id");
    rv_status st = parse_id("id", v ? v : "", &id, err);
    if (!st && rq->nargs)
        st = rv_err_set(err, RV_EINVAL, rq->args[0].key, "unknown parameter '%s'", rq->args[0].key);
    if (st || (st = rv_svc_merge_undo(&rq->ctx, id, err)))
        return st;
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "merge_id");
    rv_jsonw_int(&rq->w, id);
    rv_jsonw_key(&rq->w, "undone");
    rv_jsonw_bool(&rq->w, true);
    rv_jsonw_obj_end(&rq->w);
    return RV_OK;
}
