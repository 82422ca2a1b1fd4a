/*
 * deals.c - what deals do beyond the generic rules.
 *
 *  - A deal with no pipeline goes to the default pipeline (is_default, or
 *    the only one); its stage must belong to its pipeline.
 *  - Forecast category and probability default from the stage, and follow
 *    the stage when it changes unless the same request sets them.
 *  - Entering a stage requires the fields listed in the stage's
 *    exit_criteria ("amount,close_date"); a stage change that misses them
 *    is refused with an error naming every missing field.
 *  - Entering a won or lost stage sets closed_at (kept if given; a deal
 *    created already closed takes midnight UTC of its close date); moving
 *    back to an open stage clears it.  Won deals are forecast "closed".
 *  - Every stage change appends a stage_history row with the from and to
 *    stages, when, who, and the amount, close date and forecast category at
 *    that moment.  A new deal gets its first row (from = empty) unless the
 *    import supplies history itself.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "model/money.h"
#include "service/service_internal.h"

/* field indexes in the deals and stages tables, looked up once */
typedef struct deal_fields {
    int pipeline, stage, amount, currency, close_date, fc, prob, closed_at, created_on;
    int st_pipeline, st_name, st_prob, st_kind, st_fc, st_exit;
} deal_fields;

static deal_fields F;
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void load_fields(void)
{
    const rv_entity *d = rv_entity_find("deals"), *s = rv_entity_find("stages");
    F.pipeline = rv_field_index(d, "pipeline_id");
    F.amount = rv_field_index(d, "amount");
    F.currency = rv_field_index(d, "currency");
    F.close_date = rv_field_index(d, "close_date");
    F.fc = rv_field_index(d, "forecast_category");
    F.prob = rv_field_index(d, "probability");
    F.closed_at = rv_field_index(d, "closed_at");
    F.created_on = rv_field_index(d, "created_on");
    F.st_pipeline = rv_field_index(s, "pipeline_id");
    F.st_name = rv_field_index(s, "name");
    F.st_prob = rv_field_index(s, "probability");
    F.st_kind = rv_field_index(s, "kind");
    F.st_fc = rv_field_index(s, "forecast_category");
    F.st_exit = rv_field_index(s, "exit_criteria");
    F.stage = rv_field_index(d, "stage_id");
}

static void init_fields(void) { pthread_once(&fields_once, load_fields); }

typedef struct first_id {
    int64_t id;
    int n;
} first_id;

static int take_first(void *ud, const rv_record *r)
{
    first_id *f = ud;
    if (f->n++ == 0)
        f->id = r->id;
    return f->n > 1;
}

static rv_status default_pipeline(rv_ctx *c, int64_t *id, rv_err *err)
{
    const rv_entity *p = rv_entity_find("pipelines");
    rv_query q;
    rv_query_init(&q, p);
    q.filters[0] = (rv_filter){.field = rv_field_index(p, "is_default"), .op = RV_OP_EQ,
                               .val = {.i = 1, .state = RV_V_SET}};
    q.nfilters = 1;
    first_id f = {0, 0};
    rv_status st = rv_store_list(c->store, &q, take_first, &f, err);
    if (st)
        return st;
    if (f.n == 0) {
        q.nfilters = 0;
        if ((st = rv_store_list(c->store, &q, take_first, &f, err)))
            return st;
        if (f.n != 1)
            return rv_err_set(err, RV_EINVAL, "pipeline_id",
                              f.n == 0 ? "pipeline_id: there is no pipeline yet; create one first"
                                       : "pipeline_id is required: no pipeline is marked default");
    }
    *id = f.id;
    return RV_OK;
}

static rv_status pre_resolve(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    init_fields();
    rv_val *p = &r->v[F.pipeline];
    /* a stage given by name needs its pipeline first */
    if (p->state != RV_V_SET && p->state != RV_V_RAW && r->v[F.stage].state == RV_V_RAW) {
        int64_t id = 0;
        rv_status st = default_pipeline(c, &id, err);
        if (st)
            return st;
        *p = (rv_val){.i = id, .state = RV_V_SET};
    }
    if (p->state == RV_V_RAW) {
        /* resolve the pipeline before the stage that depends on it */
        rv_record tmp = *r;
        for (int i = 0; i < r->ent->nfields; i++)
            if (i != F.pipeline)
                tmp.v[i].state = tmp.v[i].state == RV_V_RAW ? RV_V_UNSET : tmp.v[i].state;
        rv_status st = rv_svc_resolve_refs(c, &tmp, err);
        if (st)
            return st;
        *p = tmp.v[F.pipeline];
    }
    return RV_OK;
}

static bool field_filled(const rv_record *r, int fi) { return r->v[fi].state == RV_V_SET; }

static rv_status check(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    rv_record stage;
    rv_status st = rv__load(c, "stages", r->v[F.stage].i, &stage, err);
    if (st)
        return st;
    int64_t stage_pipeline = stage.v[F.st_pipeline].i;
    if (r->v[F.pipeline].state != RV_V_SET) {
        r->v[F.pipeline] = (rv_val){.i = stage_pipeline, .state = RV_V_SET};
    } else if (r->v[F.pipeline].i != stage_pipeline) {
        return rv_err_set(err, RV_EINVAL, "stage_id",
                          "stage_id: stage '%.*s' belongs to pipeline %lld, not to the deal's "
                          "pipeline %lld",
                          (int)stage.v[F.st_name].len, stage.v[F.st_name].s,
                          (long long)stage_pipeline, (long long)r->v[F.pipeline].i);
    }
    bool stage_changed = !old || old->v[F.stage].i != r->v[F.stage].i;
    const char *kind = stage.v[F.st_kind].s ? stage.v[F.st_kind].s : "open";
    /* a deal created here (not imported) is opened now: created_on places
     * it in time for velocity and forecasts; an import without a created
     * date leaves it unknown rather than claim the import's day */
    if (!old && !c->batch && r->v[F.created_on].state != RV_V_SET)
        r->v[F.created_on] = (rv_val){.i = rv_now_ms(), .state = RV_V_SET};
    bool closed = strcmp(kind, "open") != 0;

    if (stage_changed && old && stage.v[F.st_exit].state == RV_V_SET) {
        char missing[300] = "";
        char first[64] = "";
        const char *p = stage.v[F.st_exit].s;
        size_t n = stage.v[F.st_exit].len;
        size_t i = 0;
        while (i < n) {
            while (i < n && (p[i] == ',' || p[i] == ' '))
                i++;
            size_t j = i;
            while (j < n && p[j] != ',' && p[j] != ' ')
                j++;
            if (j > i) {
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)(j - i), p + i);
                int fi = rv_field_index(r->ent, name);
                if (fi >= 0 && !field_filled(r, fi)) {
                    if (!first[0])
                        snprintf(first, sizeof first, "%s", name);
                    strncat(missing, missing[0] ? ", " : "", sizeof missing - strlen(missing) - 1);
                    strncat(missing, name, sizeof missing - strlen(missing) - 1);
                }
            }
            i = j;
        }
        if (missing[0])
            return rv_err_set(err, RV_ERULE, first,
                              "cannot move deal %lld to stage '%.*s': missing %s (the stage's "
                              "exit criteria)",
                              (long long)r->id, (int)stage.v[F.st_name].len, stage.v[F.st_name].s,
                              missing);
    }
    if (stage_changed) {
        /* category and probability follow the stage unless set in this request */
        bool fc_given = old && !rv_val_equal(&r->ent->fields[F.fc], &old->v[F.fc], &r->v[F.fc]);
        bool pr_given = old && !rv_val_equal(&r->ent->fields[F.prob], &old->v[F.prob], &r->v[F.prob]);
        if (!old) {
            fc_given = r->v[F.fc].state == RV_V_SET;
            pr_given = r->v[F.prob].state == RV_V_SET;
        }
        if (!fc_given && stage.v[F.st_fc].state == RV_V_SET)
            r->v[F.fc] = stage.v[F.st_fc];
        if (!pr_given && stage.v[F.st_prob].state == RV_V_SET)
            r->v[F.prob] = stage.v[F.st_prob];
        /* a deal created already closed (an import of history) closed on
         * its close date, not at the moment it was imported */
        if (closed && r->v[F.closed_at].state != RV_V_SET)
            r->v[F.closed_at] = (rv_val){.i = !old && r->v[F.close_date].state == RV_V_SET
                                                  ? r->v[F.close_date].i * 86400000LL
                                                  : rv_now_ms(),
                                         .state = RV_V_SET};
        if (!closed && old)
            r->v[F.closed_at] = (rv_val){.state = RV_V_NULL};
    }
    if (!strcmp(kind, "won"))
        r->v[F.fc] = (rv_val){.s = "closed", .len = 6, .state = RV_V_SET};
    if (!strcmp(kind, "lost") && r->v[F.fc].state == RV_V_SET && !strcmp(r->v[F.fc].s, "closed"))
        r->v[F.fc] = (rv_val){.s = "omitted", .len = 7, .state = RV_V_SET};
    return RV_OK;
}

static rv_status after(rv_ctx *c, const rv_record *old, const rv_record *r, rv_err *err)
{
    bool changed = !old || old->v[F.stage].i != r->v[F.stage].i;
    if (!changed || (!old && c->no_initial_history))
        return RV_OK;
    const rv_entity *sh = rv_entity_find("stage_history");
    rv_record h;
    rv_record_init(&h, sh);
    int64_t at = rv_now_ms();
    if (!old && r->v[F.created_on].state == RV_V_SET)
        at = r->v[F.created_on].i;
    /* stage_history: external_id, deal_id, from_stage_id, to_stage_id,
     * changed_at, changed_by_id, amount, currency, close_date, forecast_category */
    h.v[1] = (rv_val){.i = r->id, .state = RV_V_SET};
    if (old)
        h.v[2] = (rv_val){.i = old->v[F.stage].i, .state = RV_V_SET};
    h.v[3] = (rv_val){.i = r->v[F.stage].i, .state = RV_V_SET};
    h.v[4] = (rv_val){.i = at, .state = RV_V_SET};
    if (c->actor_id)
        h.v[5] = (rv_val){.i = c->actor_id, .state = RV_V_SET};
    h.v[6] = r->v[F.amount];
    h.v[7] = r->v[F.currency];
    h.v[8] = r->v[F.close_date];
    h.v[9] = r->v[F.fc];
    h.created_at = h.updated_at = rv_now_ms();
    rv_status st = rv_store_insert(c->store, &h, err);
    if (st)
        return st;
    if (old) {
        char payload[96];
        snprintf(payload, sizeof payload, "{\"from_stage_id\":%lld,\"to_stage_id\":%lld}",
                 (long long)old->v[F.stage].i, (long long)r->v[F.stage].i);
        return rv__emit_event(c, r->ent, r->id, "stage_changed", payload, err);
    }
    return RV_OK;
}

const rv__behaviour rv__deal_behaviour = {"deals", pre_resolve, check, after};
