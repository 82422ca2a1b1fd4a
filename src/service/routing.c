/*
 * routing.c - lead routing in the service layer: load the rules, the pool
 * and its members with their counts, let engine/route.h decide, write the
 * owner, the assignment with its reason and the round-robin state.
 *
 * Counts are read when a decision needs them: assignments since the rep's
 * local midnight and Monday (caps, lowest_count), open leads
 * (load_balance), won and closed deals in the lead's industry (best_rep).
 * Territory rules are not offered: there are no territories to match yet.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/route.h"
#include "model/money.h"
#include "service/leads_internal.h"

#define MAX_MEMBERS 128
#define MAX_RULES 200

typedef struct rows_acc {
    rv_ctx *c;
    rv_record *rows;
    int n, max;
} rows_acc;

static int keep_row(void *ud, const rv_record *r)
{
    rows_acc *a = ud;
    if (a->n == a->max)
        return 1;
    rv_record *d = &a->rows[a->n++];
    *d = *r;
    for (int i = 0; i < r->ent->nfields; i++) /* the row's text lives only during the call */
        if (!rv_ftype_is_int(r->ent->fields[i].type) && r->v[i].state == RV_V_SET)
            d->v[i].s = rv_arena_strndup(a->c->arena, r->v[i].s, r->v[i].len);
    return 0;
}

static rv_status rows_where(rv_ctx *c, const char *entity, const char *field, int64_t id,
                            const char *sort, rv_record *rows, int max, int *n, rv_err *err)
{
    rows_acc a = {c, rows, 0, max};
    rv_status st = rv__list_where(c, entity, field, id, sort, max, keep_row, &a, err);
    *n = a.n;
    return st;
}

static rv_status count_since(rv_ctx *c, int64_t user, int64_t since, int *out, rv_err *err)
{
    rv_query q;
    rv_query_init(&q, rv_entity_find("lead_assignments"));
    q.filters[0] = (rv_filter){.field = rv_field_index(q.ent, "user_id"), .op = RV_OP_EQ,
                               .val = rv__int_val(user)};
    q.filters[1] = (rv_filter){.field = rv_field_index(q.ent, "at"), .op = RV_OP_GE,
                               .val = rv__int_val(since)};
    q.nfilters = 2;
    int64_t n = 0;
    rv_status st = rv_store_count(c->store, &q, &n, err);
    *out = (int)n;
    return st;
}

static rv_status open_leads(rv_ctx *c, int64_t user, int *out, rv_err *err)
{
    rv_query q;
    rv_query_init(&q, rv_entity_find("leads"));
    int si = rv_field_index(q.ent, "status");
    q.filters[0] = (rv_filter){.field = rv_field_index(q.ent, "owner_id"), .op = RV_OP_EQ,
                               .val = rv__int_val(user)};
    q.filters[1] = (rv_filter){.field = si, .op = RV_OP_NE, .val = rv__text_val("converted")};
    q.filters[2] = (rv_filter){.field = si, .op = RV_OP_NE, .val = rv__text_val("disqualified")};
    q.nfilters = 3;
    int64_t n = 0;
    rv_status st = rv_store_count(c->store, &q, &n, err);
    *out = (int)n;
    return st;
}

/* Won and closed deals of each member, in the lead's industry (all
 * industries when the lead gives none): a deal is closed when its stage's
 * kind is won or lost. */
typedef struct wins_acc {
    rv_ctx *c;
    rv_route_rep *reps;
    int n;
    const char *industry;
    rv_err *err;
    rv_status st;
} wins_acc;

static int deal_row(void *ud, const rv_record *d)
{
    wins_acc *a = ud;
    int64_t owner = rv__field_int(d, "owner_id"), stage = rv__field_int(d, "stage_id");
    int k = -1;
    for (int i = 0; i < a->n && k < 0; i++)
        if (a->reps[i].user_id == owner)
            k = i;
    if (k < 0 || !stage)
        return 0;
    rv_record s;
    if ((a->st = rv_store_get(a->c->store, rv_entity_find("stages"), stage, &s, a->c->arena, a->err)))
        return 1;
    const char *kind = rv__field_text(a->c, &s, "kind");
    if (!kind || !strcmp(kind, "open"))
        return 0;
    if (a->industry) {
        int64_t acct = rv__field_int(d, "account_id");
        rv_record ac;
        if (!acct)
            return 0;
        if ((a->st = rv_store_get(a->c->store, rv_entity_find("accounts"), acct, &ac, a->c->arena, a->err)))
            return 1;
        const char *ind = rv__field_text(a->c, &ac, "industry");
        if (!ind || strcasecmp(ind, a->industry))
            return 0;
    }
    a->reps[k].closed++;
    a->reps[k].won += !strcmp(kind, "won");
    return 0;
}

static rv_status win_rates(rv_ctx *c, rv_route_rep *reps, int n, const char *industry, rv_err *err)
{
    int64_t *ids = rv_arena_alloc(c->arena, (size_t)(n ? n : 1) * sizeof *ids);
    for (int i = 0; i < n; i++)
        ids[i] = reps[i].user_id;
    rv_query q;
    rv_query_init(&q, rv_entity_find("deals"));
    q.filters[0] = (rv_filter){.field = rv_field_index(q.ent, "owner_id"), .op = RV_OP_IN,
                               .ids = ids, .nids = n};
    q.nfilters = 1;
    q.sort_field = RV_COL_ID;
    wins_acc a = {c, reps, n, industry, err, RV_OK};
    rv_status st = rv_store_list(c->store, &q, deal_row, &a, err);
    return st ? st : a.st;
}

static int int_or(const rv_record *r, const char *f, int dflt)
{
    int fi = rv_field_index(r->ent, f);
    return r->v[fi].state == RV_V_SET ? (int)r->v[fi].i : dflt;
}

/* Route within pool p: fills o->owner and appends to reason. */
static rv_status route_in_pool(rv_ctx *c, const rv_record *lead, const rv_record *pool,
                               int64_t account_owner, uint64_t tie, int64_t exclude, int64_t now,
                               rv__route_out *o, rv_buf *reason, rv_err *err)
{
    rv_record *mem = rv_arena_alloc(c->arena, MAX_MEMBERS * sizeof *mem);
    rv_route_rep *reps = rv_arena_zalloc(c->arena, MAX_MEMBERS * sizeof *reps);
    int n = 0;
    rv_status st = rows_where(c, "pool_members", "pool_id", pool->id, NULL, mem, MAX_MEMBERS, &n, err);
    if (st)
        return st;
    const char *method = rv__field_text(c, pool, "method");
    int mi = method ? rv_route_method_parse(method) : RV_RM_ROUND_ROBIN;
    rv_route_method m = mi < 0 ? RV_RM_ROUND_ROBIN : (rv_route_method)mi;
    const rv_entity *ue = rv_entity_find("users");
    for (int i = 0; i < n; i++) {
        rv_route_rep *r = &reps[i];
        rv_record u;
        r->user_id = rv__field_int(&mem[i], "user_id");
        if ((st = rv_store_get(c->store, ue, r->user_id, &u, c->arena, err)))
            return st;
        r->name = rv__field_text(c, &u, "email");
        if (!r->name)
            r->name = rv__field_text(c, &u, "name");
        r->weight = int_or(&mem[i], "weight", 1);
        r->credit = mem[i].v[rv_field_index(mem[i].ent, "turns")].state == RV_V_SET
                        ? rv__field_int(&mem[i], "turns")
                        : -1;
        r->active = rv__field_int(&mem[i], "active") && rv__field_int(&u, "active");
        r->work_days = rv__field_text(c, &mem[i], "work_days");
        r->work_start_min = int_or(&mem[i], "work_start_min", 0);
        r->work_end_min = int_or(&mem[i], "work_end_min", 1440);
        r->utc_offset_min = int_or(&mem[i], "utc_offset_min", 0);
        r->away_from = rv__field_int(&mem[i], "away_from");
        r->away_until = rv__field_int(&mem[i], "away_until");
        r->cap_day = int_or(&mem[i], "cap_day", -1);
        r->cap_week = int_or(&mem[i], "cap_week", -1);
        r->excluded = exclude && r->user_id == exclude;
        if ((r->cap_day >= 0 || r->cap_week >= 0 || m == RV_RM_LOWEST_COUNT) &&
            ((st = count_since(c, r->user_id, rv_route_day_start(now, r->utc_offset_min), &r->count_day, err)) ||
             (st = count_since(c, r->user_id, rv_route_week_start(now, r->utc_offset_min), &r->count_week, err))))
            return st;
        if (m == RV_RM_LOAD_BALANCE && (st = open_leads(c, r->user_id, &r->open_leads, err)))
            return st;
    }
    if (m == RV_RM_BEST_REP &&
        (st = win_rates(c, reps, n, rv__field_text(c, lead, "industry"), err)))
        return st;
    rv_route_decision d;
    bool by_account = rv__field_int(pool, "account_owner") != 0;
    rv_route_choose(reps, n, m, by_account ? account_owner : 0, tie, now, &d);
    rv_buf_printf(reason, "; %s", d.reason);
    if (d.rep < 0)
        return RV_OK;
    o->owner = reps[d.rep].user_id;
    o->pool = pool->id;
    o->method = d.by_account ? "account_owner" : rv_route_method_name(m);
    if (m == RV_RM_ROUND_ROBIN && !d.by_account) { /* the chosen member took a turn */
        rv_record *cm = &mem[d.rep];
        cm->v[rv_field_index(cm->ent, "turns")] = rv__int_val(reps[d.rep].credit);
        cm->updated_at = now;
        if ((st = rv_store_update(c->store, cm, err)))
            return st;
    }
    return RV_OK;
}

rv_status rv__route_decide(rv_ctx *c, const rv_record *lead, int64_t account_owner,
                           uint64_t tie_key, int64_t exclude, rv__route_out *o, rv_err *err)
{
    memset(o, 0, sizeof *o);
    int64_t now = rv_now_ms();
    rv_record *rules = rv_arena_alloc(c->arena, MAX_RULES * sizeof *rules);
    int n = 0;
    rv_status st = rows_where(c, "routing_rules", NULL, 0, "position", rules, MAX_RULES, &n, err);
    if (st)
        return st;
    rv_buf reason;
    rv_buf_init(&reason, 4000);
    const rv_entity *pe = rv_entity_find("routing_pools");
    rv_record pool;
    bool have_pool = false;
    for (int i = 0; i < n && !have_pool; i++) {
        if (!rv__field_int(&rules[i], "active"))
            continue;
        const char *field = rv__field_text(c, &rules[i], "field");
        const char *op = rv__field_text(c, &rules[i], "op");
        const char *arg = rv__field_text(c, &rules[i], "value");
        int oi = op ? rv_route_op_parse(op) : RV_RO_EQ;
        const char *v = field && rv_field_index(lead->ent, field) >= 0 ? rv__field_text(c, lead, field) : NULL;
        if (oi < 0 || !rv_route_rule_test((rv_route_op)oi, arg, v))
            continue;
        if ((st = rv_store_get(c->store, pe, rv__field_int(&rules[i], "pool_id"), &pool, c->arena, err)))
            goto out;
        if (!rv__field_int(&pool, "active"))
            continue;
        have_pool = true;
        o->rule = rules[i].id;
        rv_buf_printf(&reason, "rule '%s' (%s %s%s%s) chose pool '%s'",
                      rv__field_text(c, &rules[i], "name"), field ? field : "", op ? op : "eq",
                      arg ? " " : "", arg ? arg : "", rv__field_text(c, &pool, "name"));
        if ((st = route_in_pool(c, lead, &pool, account_owner, tie_key, exclude, now, o, &reason, err)))
            goto out;
    }
    if (!have_pool)
        rv_buf_puts(&reason, "no routing rule matched");
    if (!o->owner) { /* the fallback pool, unless that was the one that failed */
        int64_t fb[1];
        int nf = 0;
        const rv_entity *e = rv_entity_find("routing_pools");
        if ((st = rv__ids_where_int(c, e, "fallback", 1, fb, 1, &nf, err)))
            goto out;
        if (nf && (!have_pool || fb[0] != pool.id)) {
            rv_record fp;
            if ((st = rv_store_get(c->store, e, fb[0], &fp, c->arena, err)))
                goto out;
            rv_buf_printf(&reason, "; fallback pool '%s'", rv__field_text(c, &fp, "name"));
            if ((st = route_in_pool(c, lead, &fp, account_owner, tie_key, exclude, now, o, &reason, err)))
                goto out;
        }
    }
    if (!o->owner) {
        rv_buf_puts(&reason, "; left in the unassigned queue");
        o->method = "unassigned";
    }
    o->reason = rv_arena_strdup(c->arena, rv_buf_str(&reason));
out:
    rv_buf_release(&reason);
    return st;
}

rv_status rv__route_record(rv_ctx *c, int64_t lead_id, const rv__route_out *o, rv_err *err)
{
    const rv_entity *ae = rv_entity_find("lead_assignments");
    rv_record r;
    rv_record_init(&r, ae);
    int64_t now = rv_now_ms();
    r.v[rv_field_index(ae, "lead_id")] = rv__int_val(lead_id);
    if (o->owner)
        r.v[rv_field_index(ae, "user_id")] = rv__int_val(o->owner);
    if (o->pool)
        r.v[rv_field_index(ae, "pool_id")] = rv__int_val(o->pool);
    if (o->rule)
        r.v[rv_field_index(ae, "rule_id")] = rv__int_val(o->rule);
    r.v[rv_field_index(ae, "method")] = rv__text_val(o->method ? o->method : "unassigned");
    r.v[rv_field_index(ae, "reason")] = rv__text_val(o->reason ? o->reason : "");
    r.v[rv_field_index(ae, "at")] = rv__int_val(now);
    r.created_at = r.updated_at = now;
    rv_status st = rv_store_insert(c->store, &r, err);
    if (st)
        return st;
    return rv__emit_event(c, ae, r.id, "assigned", NULL, err);
}

/* --- routing again, explaining ---------------------------------------------------- */

typedef struct reroute_args {
    int64_t lead, exclude;
} reroute_args;

static rv_status reroute_tx(rv_ctx *c, void *ud, rv_err *err)
{
    reroute_args *a = ud;
    const rv_entity *le = rv_entity_find("leads");
    rv_record l;
    rv_status st;
    if ((st = rv_store_get(c->store, le, a->lead, &l, c->arena, err)))
        return st;
    int64_t acct = rv__field_int(&l, "account_id"), aowner = 0;
    if (acct) {
        rv_record ac;
        if ((st = rv_store_get(c->store, rv_entity_find("accounts"), acct, &ac, c->arena, err)))
            return st;
        aowner = rv__field_int(&ac, "owner_id");
    }
    rv__route_out o;
    if ((st = rv__route_decide(c, &l, aowner, (uint64_t)l.id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)rv_now_ms(),
                               a->exclude, &o, err)))
        return st;
    int64_t old_owner = rv__field_int(&l, "owner_id");
    rv_record ch;
    rv_record_init(&ch, le);
    ch.id = l.id;
    ch.v[rv_field_index(le, "owner_id")] = o.owner ? rv__int_val(o.owner) : (rv_val){.state = RV_V_NULL};
    ch.v[rv_field_index(le, "route_reason")] = rv__text_val(o.reason);
    if ((st = rv_svc_update(c, &ch, NULL, err)) || (st = rv__route_record(c, l.id, &o, err)))
        return st;
    if (o.owner && o.owner != old_owner) {
        int64_t due = rv__field_int(&l, "sla_due_at");
        int64_t now = rv_now_ms();
        const char *subject = rv_arena_printf(c->arena, "First touch (reassigned): lead %lld",
                                              (long long)l.id);
        st = rv__first_touch_task(c, &l, o.owner, due > now ? due : now, subject, NULL, err);
    }
    return st;
}

rv_status rv_route_lead(rv_ctx *c, int64_t lead_id, int64_t exclude, rv_err *err)
{
    reroute_args a = {lead_id, exclude};
    return rv_svc_tx(c, reroute_tx, &a, err);
}

static void line_ts(rv_buf *out, const char *label, int64_t ms)
{
    char ts[40];
    if (ms)
        rv_buf_printf(out, "%s%s\n", label, rv_ts_format(ms, ts, sizeof ts));
}

rv_status rv_route_explain(rv_ctx *c, int64_t lead_id, rv_buf *out, rv_err *err)
{
    const rv_entity *le = rv_entity_find("leads");
    rv_record l;
    rv_status st = rv_svc_get(c, le, lead_id, &l, err);
    if (st)
        return st;
    const char *email = rv__field_text(c, &l, "email"), *co = rv__field_text(c, &l, "company");
    rv_buf_printf(out, "lead %lld: %s%s%s\n", (long long)l.id, email ? email : "(no email)",
                  co ? ", " : "", co ? co : "");
    const char *mr = rv__field_text(c, &l, "match_reason");
    rv_buf_printf(out, "match: %s\n", mr ? mr : "(not captured)");
    rv_buf_printf(out, "score: %lld (fit %lld, engagement %lld)\n", (long long)rv__field_int(&l, "score"),
                  (long long)rv__field_int(&l, "fit_score"), (long long)rv__field_int(&l, "engagement_score"));
    const char *sr = rv__field_text(c, &l, "score_reasons");
    json_t *j = sr ? json_loads(sr, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) {
        json_int_t p = json_integer_value(json_object_get(v, "points"));
        rv_buf_printf(out, "  %+lld  %s\n", (long long)p, json_string_value(json_object_get(v, "rule")));
    }
    json_decref(j);
    rv_record *as = rv_arena_alloc(c->arena, 100 * sizeof *as);
    int n = 0;
    if ((st = rows_where(c, "lead_assignments", "lead_id", l.id, NULL, as, 100, &n, err)))
        return st;
    for (int k = 0; k < n; k++) {
        char ts[40];
        int64_t u = rv__field_int(&as[k], "user_id");
        char who[32];
        if (u)
            snprintf(who, sizeof who, "user %lld", (long long)u);
        else
            snprintf(who, sizeof who, "nobody");
        rv_buf_printf(out, "routed %s: %s by %s: %s\n",
                      rv_ts_format(rv__field_int(&as[k], "at"), ts, sizeof ts), who,
                      rv__field_text(c, &as[k], "method"), rv__field_text(c, &as[k], "reason"));
    }
    if (!n)
        rv_buf_puts(out, "routed: never (created without capture)\n");
    int64_t owner = rv__field_int(&l, "owner_id");
    if (owner)
        rv_buf_printf(out, "owner: user %lld\n", (long long)owner);
    else
        rv_buf_puts(out, "owner: none (unassigned queue)\n");
    line_ts(out, "sla due: ", rv__field_int(&l, "sla_due_at"));
    line_ts(out, "first touch: ", rv__field_int(&l, "first_touch_at"));
    line_ts(out, "sla breached: ", rv__field_int(&l, "sla_breached_at"));
    return RV_OK;
}
