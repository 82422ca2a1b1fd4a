/*
 * sla.c - follow-up SLAs: the first touch of a lead, breach detection and
 * escalation.
 *
 * A lead is breached when it is open (not converted or disqualified, no
 * deal), has no first_touch_at, and now is past its sla_due_at (for a
 * lead made without capture: created_on + lead_sla_minutes).  With the
 * default policy only, that is exactly the analytics engine's
 * leads_past_sla (now - created_on > lead_sla_minutes), so `revos sla
 * check` and the report agree; a test checks it.
 *
 * The first touch is the first done activity on the lead other than a
 * note: the activity behaviour below stamps leads.first_touch_at with its
 * done_at (and moves a new lead to working) when it is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/money.h"
#include "service/leads_internal.h"

/* --- first touch ------------------------------------------------------------------ */

static rv_status activity_after(rv_ctx *c, const rv_record *old, const rv_record *r, rv_err *err)
{
    (void)old;
    int64_t lead = rv__field_int(r, "lead_id"), done = rv__field_int(r, "done_at");
    const char *kind = rv__field_text(c, r, "kind");
    if (!lead || !done || !kind || !strcmp(kind, "note"))
        return RV_OK;
    const rv_entity *le = rv_entity_find("leads");
    rv_record l;
    rv_status st = rv_store_get(c->store, le, lead, &l, c->arena, err);
    if (st)
        return st == RV_ENOTFOUND ? RV_OK : st;
    int64_t first = rv__field_int(&l, "first_touch_at");
    if (first && first <= done)
        return RV_OK;
    rv_record ch;
    rv_record_init(&ch, le);
    ch.id = lead;
    ch.v[rv_field_index(le, "first_touch_at")] = rv__int_val(done);
    const char *status = rv__field_text(c, &l, "status");
    if (status && !strcmp(status, "new"))
        ch.v[rv_field_index(le, "status")] = rv__text_val("working");
    const rv_principal *who = c->who;
    c->who = NULL; /* the activity's writer was allowed; the stamp follows it */
    st = rv_svc_update(c, &ch, NULL, err);
    c->who = who;
    return st;
}

const rv__behaviour rv__activity_behaviour = {"activities", NULL, NULL, activity_after};

/* --- the check --------------------------------------------------------------------- */

typedef struct cand_acc {
    int64_t *ids;
    int n, max;
    int64_t now, default_ms;
    int checked;
} cand_acc;

static int cand_row(void *ud, const rv_record *r)
{
    cand_acc *a = ud;
    int si = rv_field_index(r->ent, "status");
    const rv_val *s = &r->v[si];
    bool closed = s->state == RV_V_SET && ((s->len == 9 && !memcmp(s->s, "converted", 9)) ||
                                           (s->len == 12 && !memcmp(s->s, "disqualified", 12)));
    if (closed || rv__field_int(r, "deal_id") || rv__field_int(r, "first_touch_at") ||
        rv__field_int(r, "sla_breached_at"))
        return 0;
    a->checked++;
    int64_t due = rv__field_int(r, "sla_due_at");
    int64_t created = rv__field_int(r, "created_on");
    if (!due && created)
        due = created + a->default_ms;
    if (due && a->now > due && a->n < a->max)
        a->ids[a->n++] = r->id;
    return 0;
}

typedef struct breach_args {
    int64_t lead;
    rv_sla_report *rep;
} breach_args;

static rv_status breach_tx(rv_ctx *c, void *ud, rv_err *err)
{
    breach_args *a = ud;
    const rv_entity *le = rv_entity_find("leads");
    rv_record l;
    rv_status st = rv_store_get(c->store, le, a->lead, &l, c->arena, err);
    if (st)
        return st;
    int64_t now = rv_now_ms(), minutes;
    rv_record pol;
    bool has_pol;
    if ((st = rv__sla_minutes(c, rv__field_text(c, &l, "priority"), &minutes, &pol, &has_pol, err)))
        return st;
    rv_record ch;
    rv_record_init(&ch, le);
    ch.id = l.id;
    ch.v[rv_field_index(le, "sla_breached_at")] = rv__int_val(now);
    if ((st = rv_svc_update(c, &ch, NULL, err)))
        return st;
    const char *esc = has_pol ? rv__field_text(c, &pol, "escalate") : NULL;
    int64_t owner = rv__field_int(&l, "owner_id");
    char payload[200];
    snprintf(payload, sizeof payload, "{\"escalate\":\"%s\",\"owner_id\":%lld}",
             esc ? esc : "notify", (long long)owner);
    if ((st = rv__emit_event(c, le, l.id, "sla_breached", payload, err)))
        return st;
    if (esc && !strcmp(esc, "reassign")) {
        a->rep->reassigned++;
        return rv_route_lead(c, l.id, owner, err);
    }
    /* notify: a task for the escalation user, else the owner's manager */
    int64_t to = has_pol ? rv__field_int(&pol, "escalate_to_id") : 0;
    if (!to && owner) {
        rv_record u;
        if ((st = rv_store_get(c->store, rv_entity_find("users"), owner, &u, c->arena, err)))
            return st;
        to = rv__field_int(&u, "manager_id");
    }
    if (!to)
        return RV_OK; /* nobody to tell: the event and the stamp remain */
    a->rep->notified++;
    const char *subject = rv_arena_printf(c->arena, "SLA breached: lead %lld not touched in %lld min",
                                          (long long)l.id, (long long)minutes);
    return rv__first_touch_task(c, &l, to, now, subject, NULL, err);
}

#define MAX_BREACHES 100000

rv_status rv_sla_check(rv_ctx *c, rv_sla_report *rep, rv_err *err)
{
    memset(rep, 0, sizeof *rep);
    const char *s = rv__setting(c, "lead_sla_minutes");
    int dm = s ? atoi(s) : 0;
    cand_acc a = {NULL, 0, MAX_BREACHES, rv_now_ms(),
                  (int64_t)(dm > 0 ? dm : RV_SLA_DEFAULT_MINUTES) * 60000, 0};
    a.ids = rv_arena_alloc(c->arena, MAX_BREACHES * sizeof *a.ids);
    rv_query q;
    rv_query_init(&q, rv_entity_find("leads"));
    q.filters[0] = (rv_filter){.field = rv_field_index(q.ent, "first_touch_at"), .op = RV_OP_NULL};
    q.filters[1] = (rv_filter){.field = rv_field_index(q.ent, "sla_breached_at"), .op = RV_OP_NULL};
    q.nfilters = 2;
    q.sort_field = RV_COL_ID;
    rv_status st = rv_store_list(c->store, &q, cand_row, &a, err);
    if (st)
        return st;
    rep->checked = a.checked;
    for (int i = 0; i < a.n; i++) {
        breach_args b = {a.ids[i], rep};
        if ((st = rv_svc_tx(c, breach_tx, &b, err)))
            return st;
        rep->breached++;
    }
    return RV_OK;
}
