/*
 * access.c - who may read and change which records.
 *
 * One table decides it: a row per entity, a column per role, a scope for
 * reading and one for writing.  Every list, count, get, create, update,
 * delete and export goes through the service layer, which asks this file,
 * so the API, the CLI (`--as`) and exports cannot disagree.  The rules in
 * words, with the reasons, are in docs/access.md; the table below is the
 * single source the code reads.
 *
 * Scopes:
 *   all      every row
 *   none     no row (the entity is refused as a whole)
 *   own      rows the user owns (owner = the user)
 *   team     own rows, plus rows owned by members of the user's team when
 *            the setting rep_read_team is on (reading only)
 *   subtree  rows owned by the user or anyone below them through
 *            users.manager_id, recursively
 *   account  rows linked to an account (account_id set): customer success
 *            on activities
 *   parent   rows that name another record by (entity, record_id), as
 *            field_history and events do: readable when the record they
 *            name is (its entity is not "none" and the record is within
 *            the entity's scope)
 *
 * Ownership is the row's owner_id, or its parent's: stage_history and
 * deal_products follow their deal, subscriptions their account.  A row
 * with no owner is visible only to "all" scopes.
 *
 * Lists are filtered in the query (an RV_OP_IN filter, so counts and
 * cursor pages are right); a single record is checked with the same
 * filter plus id = N, so a list and a get can never disagree.  The reach
 * of a user (subtree, team) is computed in rv_principal_load() when they
 * sign in (and kept by the server's principal cache, service/auth.h).
 *
 * Refusals are RV_EFORBIDDEN (403) and name the user, the verb and the
 * record: "user ana@example.com may not read deal 12".  A user whose scope
 * is not "all" gets that same answer for a record that does not exist, so
 * the existence of records outside their reach does not leak; only users
 * with "all" see 404.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/service_internal.h"

typedef enum { S_NONE, S_ALL, S_OWN, S_TEAM, S_SUBTREE, S_ACCT, S_PARENT } scope;

static const char *const scope_names[] = {"none",    "all",     "own",   "team",
                                          "subtree", "account", "parent"};

#define N S_NONE
#define A S_ALL
#define O S_OWN
#define T S_TEAM
#define S S_SUBTREE
#define C S_ACCT
#define P S_PARENT

/* entity, owner field, via entity, via field,
 *   read:  admin manager rep marketing cs finance
 *   write: admin manager rep marketing cs finance */
static const struct rule {
    const char *entity, *owner, *via, *via_owner;
    unsigned char read[RV_ROLE_COUNT], write[RV_ROLE_COUNT];
} rules[] = {
    /* reference data: everyone reads, admin writes */
    {"teams", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, N}},
    {"users", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, N}},
    {"products", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, N}},
    {"pipelines", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, N}},
    {"stages", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, N}},
    {"field_defs", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, N}},
    {"campaigns", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, A, N, N}},
    /* owned records */
    {"accounts", "owner_id", NULL, NULL, {A, S, T, N, A, A}, {A, S, O, N, N, N}},
    {"contacts", "owner_id", NULL, NULL, {A, S, T, N, A, N}, {A, S, O, N, N, N}},
    {"leads", "owner_id", NULL, NULL, {A, S, T, A, N, N}, {A, S, O, A, N, N}},
    {"deals", "owner_id", NULL, NULL, {A, S, T, A, A, A}, {A, S, O, N, N, N}},
    {"activities", "owner_id", NULL, NULL, {A, S, T, N, C, N}, {A, S, O, N, C, N}},
    {"touches", NULL, NULL, NULL, {A, N, N, A, N, N}, {A, N, N, A, N, N}},
    /* records that follow their parent */
    {"deal_products", "deal_id", "deals", "owner_id", {A, S, T, A, A, A}, {A, S, O, N, N, N}},
    {"subscriptions", "account_id", "accounts", "owner_id", {A, S, T, N, A, A}, {A, S, O, N, A, N}},
    {"stage_history", "deal_id", "deals", "owner_id", {A, S, T, A, A, A}, {A, N, N, N, N, N}},
    /* compensation data: its owner, their managers, finance and admin */
    {"quotas", "user_id", NULL, NULL, {A, S, O, N, N, A}, {A, S, N, N, N, A}},
    /* lead capture and routing configuration: admin writes, marketing
     * runs the capture sources; managers read how leads are routed */
    {"lead_sources", NULL, NULL, NULL, {A, A, N, A, N, N}, {A, N, N, A, N, N}},
    {"routing_pools", NULL, NULL, NULL, {A, A, A, A, N, N}, {A, N, N, N, N, N}},
    {"routing_rules", NULL, NULL, NULL, {A, A, A, A, N, N}, {A, N, N, N, N, N}},
    {"pool_members", NULL, NULL, NULL, {A, A, A, A, N, N}, {A, N, N, N, N, N}},
    {"sla_policies", NULL, NULL, NULL, {A, A, A, A, N, N}, {A, N, N, N, N, N}},
    {"lead_assignments", NULL, NULL, NULL, {A, A, N, A, N, N}, {N, N, N, N, N, N}},
    {"fit_rules", NULL, NULL, NULL, {A, A, A, A, N, N}, {A, N, N, A, N, N}},
    {"engagement_rules", NULL, NULL, NULL, {A, A, A, A, N, N}, {A, N, N, A, N, N}},
    {"capture_keys", NULL, NULL, NULL, {A, N, N, N, N, N}, {N, N, N, N, N, N}},
    /* reference data that finance keeps */
    {"fx_rates", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, N, N, A}},
    /* scoring models: admin and marketing train and activate, everyone reads */
    {"score_models", NULL, NULL, NULL, {A, A, A, A, A, A}, {A, N, N, A, N, N}},
    /* revos's own records */
    {"field_history", NULL, NULL, NULL, {A, P, P, P, P, P}, {N, N, N, N, N, N}},
    {"events", NULL, NULL, NULL, {A, P, P, P, P, P}, {N, N, N, N, N, N}},
    {"settings", NULL, NULL, NULL, {A, N, N, N, N, N}, {A, N, N, N, N, N}},
    {"audit_log", NULL, NULL, NULL, {A, N, N, N, N, N}, {N, N, N, N, N, N}},
    {"sessions", NULL, NULL, NULL, {A, N, N, N, N, N}, {N, N, N, N, N, N}},
    {"api_tokens", NULL, NULL, NULL, {A, N, N, N, N, N}, {N, N, N, N, N, N}},
    {"merges", NULL, NULL, NULL, {A, N, N, N, N, N}, {N, N, N, N, N, N}},
};

#undef N
#undef A
#undef O
#undef T
#undef S
#undef C
#undef P

static const struct rule *rule_of(const rv_entity *e)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i].entity, e->name))
            return &rules[i];
    return NULL; /* an entity without a row: admin only (see scope_of) */
}

static const char *const role_names[] = {"admin", "manager", "rep", "marketing", "cs", "finance"};

int rv_role_parse(const char *name)
{
    for (int i = 0; i < RV_ROLE_COUNT; i++)
        if (name && !strcmp(role_names[i], name))
            return i;
    return -1;
}

const char *rv_role_name(rv_role r)
{
    return (unsigned)r < RV_ROLE_COUNT ? role_names[r] : "?";
}

static scope scope_of(const rv_entity *e, rv_role role, bool write)
{
    const struct rule *r = rule_of(e);
    if (!r)
        return role == RV_ROLE_ADMIN && !write ? S_ALL : S_NONE;
    return (scope)(write ? r->write[role] : r->read[role]);
}

const char *rv_access_scope(const rv_entity *e, rv_role role, bool write)
{
    return scope_names[scope_of(e, role, write)];
}

/* --- the principal ------------------------------------------------------------ */

typedef struct ids_acc {
    rv_arena *a;
    int64_t *ids;
    int n, cap;
} ids_acc;

static void ids_add(ids_acc *x, int64_t id)
{
    for (int i = 0; i < x->n; i++)
        if (x->ids[i] == id)
            return;
    if (x->n == x->cap) {
        int cap = x->cap ? x->cap * 2 : 16;
        int64_t *n = rv_arena_alloc(x->a, (size_t)cap * sizeof *n);
        if (x->n)
            memcpy(n, x->ids, (size_t)x->n * sizeof *n);
        x->ids = n;
        x->cap = cap;
    }
    x->ids[x->n++] = id;
}

static int collect_id(void *ud, const rv_record *r)
{
    ids_add(ud, r->id);
    return 0;
}

static rv_status setting_on(rv_ctx *c, const char *key, bool *on, rv_err *err)
{
    const rv_entity *se = rv_entity_find("settings");
    int64_t id = 0;
    *on = false;
    rv_status st = rv_store_find(c->store, se, 0, key, strlen(key), -1, 0, &id, err);
    if (st == RV_ENOTFOUND)
        return RV_OK;
    if (st)
        return st;
    rv_record r;
    if ((st = rv_store_get(c->store, se, id, &r, c->arena, err)))
        return st;
    const rv_val *v = &r.v[1];
    *on = v->state == RV_V_SET && v->len > 0 &&
          (!strncasecmp(v->s, "true", v->len) || !strncasecmp(v->s, "yes", v->len) ||
           !strncasecmp(v->s, "on", v->len) || !strncmp(v->s, "1", v->len));
    return RV_OK;
}

rv_status rv_principal_load(rv_ctx *c, int64_t user_id, rv_principal *p, rv_err *err)
{
    const rv_entity *ue = rv_entity_find("users");
    rv_record u;
    memset(p, 0, sizeof *p);
    rv_status st = rv_store_get(c->store, ue, user_id, &u, c->arena, err);
    if (st == RV_ENOTFOUND)
        return rv_err_set(err, RV_EUNAUTH, NULL, "user %lld does not exist", (long long)user_id);
    if (st)
        return st;
    int fe = rv_field_index(ue, "email"), fr = rv_field_index(ue, "role"),
        ft = rv_field_index(ue, "team_id"), fa = rv_field_index(ue, "active"),
        fm = rv_field_index(ue, "manager_id");
    p->user_id = user_id;
    if (u.v[fe].state == RV_V_SET)
        snprintf(p->email, sizeof p->email, "%.*s", (int)u.v[fe].len, u.v[fe].s);
    else
        snprintf(p->email, sizeof p->email, "#%lld", (long long)user_id);
    if (u.v[fa].state == RV_V_SET && !u.v[fa].i)
        return rv_err_set(err, RV_EUNAUTH, NULL, "user %s is disabled", p->email);
    char role[16] = "rep";
    if (u.v[fr].state == RV_V_SET)
        snprintf(role, sizeof role, "%.*s", (int)u.v[fr].len, u.v[fr].s);
    int ri = rv_role_parse(role);
    p->role = ri < 0 ? RV_ROLE_REP : (rv_role)ri;
    p->team_id = u.v[ft].state == RV_V_SET ? u.v[ft].i : 0;

    /* the subtree, breadth first; a cycle in manager_id ends because
     * ids_add keeps every id once */
    ids_acc sub = {c->arena, NULL, 0, 0};
    ids_add(&sub, user_id);
    if (p->role == RV_ROLE_MANAGER || p->role == RV_ROLE_ADMIN) {
        int from = 0;
        while (from < sub.n) {
            int to = sub.n;
            rv_query q;
            rv_query_init(&q, ue);
            q.filters[0] = (rv_filter){.field = fm, .op = RV_OP_IN, .ids = sub.ids + from,
                                       .nids = to - from};
            q.nfilters = 1;
            if ((st = rv_store_list(c->store, &q, collect_id, &sub, err)))
                return st;
            from = to;
        }
    }
    p->subtree = sub.ids;
    p->nsubtree = sub.n;

    ids_acc team = {c->arena, NULL, 0, 0};
    ids_add(&team, user_id);
    if (p->team_id) {
        rv_query q;
        rv_query_init(&q, ue);
        q.filters[0] = (rv_filter){.field = ft, .op = RV_OP_EQ,
                                   .val = {.i = p->team_id, .state = RV_V_SET}};
        q.nfilters = 1;
        if ((st = rv_store_list(c->store, &q, collect_id, &team, err)))
            return st;
    }
    p->team = team.ids;
    p->nteam = team.n;
    return setting_on(c, "rep_read_team", &p->read_team, err);
}

rv_status rv_principal_load_email(rv_ctx *c, const char *email, rv_principal *p, rv_err *err)
{
    const rv_entity *ue = rv_entity_find("users");
    int64_t id = 0;
    char q[80];
    size_t n = strlen(email);
    rv_status st = rv_store_find(c->store, ue, rv_field_index(ue, "email"), email, n, -1, 0, &id, err);
    /* people imported without an email (the Maven agents) by their full name */
    if (st == RV_ENOTFOUND)
        st = rv_store_find(c->store, ue, rv_field_index(ue, "name"), email, n, -1, 0, &id, err);
    if (st == RV_ENOTFOUND)
        return rv_err_set(err, RV_EUNAUTH, NULL, "no user with email or name '%s'",
                          rv_err_quote(q, sizeof q, email, n));
    if (st == RV_ECONFLICT)
        return rv_err_set(err, RV_EUNAUTH, NULL, "more than one user is named '%s'; give the email",
                          rv_err_quote(q, sizeof q, email, n));
    if (st)
        return st;
    return rv_principal_load(c, id, p, err);
}

/* --- checks ----------------------------------------------------------------- */

/* Record a refusal: err is filled, and the audit row is written once the
 * request's transaction (if any) has rolled back (rv__audit_flush). */
rv_status rv__refuse(rv_ctx *c, const rv_entity *e, int64_t id, rv_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[RV_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->refusal.pending = true;
    c->refusal.entity = e ? e->name : NULL;
    c->refusal.record_id = id;
    snprintf(c->refusal.reason, sizeof c->refusal.reason, "%s", msg);
    return rv_err_set(err, RV_EFORBIDDEN, NULL, "%s", msg);
}

/* The audit log needs a token of scope admin (or a session). */
static bool token_too_weak(const rv_principal *p, const rv_entity *e)
{
    return !strcmp(e->name, "audit_log") && p->scope != RV_TOKEN_NONE &&
           p->scope != RV_TOKEN_ADMIN;
}

/* The filter that restricts e to scope s for c->who; false when the scope
 * needs none (all).  The parent scope's alternatives live in c->arena. */
static bool scope_filter(rv_ctx *c, const rv_entity *e, scope s, rv_filter *f)
{
    const rv_principal *p = c->who;
    const struct rule *r = rule_of(e);
    memset(f, 0, sizeof *f);
    if (s == S_ALL || !r)
        return false;
    if (s == S_PARENT) {
        /* one alternative per entity the principal may read */
        rv_parent *pa = rv_arena_alloc(c->arena, (size_t)rv_entity_count * sizeof *pa);
        rv_filter *sf = rv_arena_alloc(c->arena, (size_t)rv_entity_count * sizeof *sf);
        int n = 0;
        for (int k = 0; rv_entities[k]; k++) {
            const rv_entity *pe = rv_entities[k];
            scope ps = scope_of(pe, p->role, false);
            if (ps == S_NONE || ps == S_PARENT || token_too_weak(p, pe))
                continue;
            pa[n].ent = pe;
            pa[n].scope = scope_filter(c, pe, ps, &sf[n]) ? &sf[n] : NULL;
            n++;
        }
        f->op = RV_OP_IN;
        f->field = rv_field_index(e, "record_id");
        f->name_field = rv_field_index(e, "entity");
        f->parents = pa;
        f->nparents = n;
        return true;
    }
    if (s == S_ACCT) {
        f->field = rv_field_index(e, "account_id");
        f->op = RV_OP_NOTNULL;
        return true;
    }
    f->op = RV_OP_IN;
    f->field = rv_field_index(e, r->owner);
    if (r->via) {
        f->via = rv_entity_find(r->via);
        f->via_field = rv_field_index(f->via, r->via_owner);
    }
    if (s == S_SUBTREE) {
        f->ids = p->subtree;
        f->nids = p->nsubtree;
    } else if (s == S_TEAM && p->read_team) {
        f->ids = p->team;
        f->nids = p->nteam;
    } else {
        f->ids = &p->user_id;
        f->nids = 1;
    }
    return true;
}

/* Entity-level checks shared by lists and records: the role's scope, and
 * what a token's scope forbids.  *s receives the scope. */
static rv_status entity_scope(rv_ctx *c, const rv_entity *e, bool write, scope *s, rv_err *err)
{
    const rv_principal *p = c->who;
    *s = scope_of(e, p->role, write);
    if (*s == S_NONE)
        return rv__refuse(c, e, 0, err, "user %s (%s) may not %s %s", p->email,
                          rv_role_name(p->role), write ? "change" : "read", e->name);
    if (write && p->scope == RV_TOKEN_READ)
        return rv__refuse(c, e, 0, err, "user %s may not change %s: the token is read-only",
                          p->email, e->name);
    if (token_too_weak(p, e))
        return rv__refuse(c, e, 0, err, "user %s may not read audit_log: it needs a token with "
                                        "scope admin", p->email);
    return RV_OK;
}

rv_status rv__access_list(rv_ctx *c, rv_query *q, rv_err *err)
{
    if (!c->who)
        return RV_OK;
    scope s;
    rv_status st = entity_scope(c, q->ent, false, &s, err);
    if (st)
        return st;
    rv_filter f;
    if (!scope_filter(c, q->ent, s, &f))
        return RV_OK;
    if (q->nfilters >= RV_QUERY_MAX_FILTERS)
        return rv_err_set(err, RV_EINVAL, "filter", "at most %d filters",
                          RV_QUERY_MAX_FILTERS - 1);
    q->filters[q->nfilters++] = f;
    return RV_OK;
}

/* Is row id of e within scope s? */
static rv_status in_scope(rv_ctx *c, const rv_entity *e, int64_t id, scope s, bool *yes,
                          rv_err *err)
{
    rv_query q;
    rv_query_init(&q, e);
    q.filters[0] = (rv_filter){.field = RV_COL_ID, .op = RV_OP_EQ,
                               .val = {.i = id, .state = RV_V_SET}};
    q.nfilters = 1;
    if (scope_filter(c, e, s, &q.filters[1]))
        q.nfilters = 2;
    int64_t n = 0;
    rv_status st = rv_store_count(c->store, &q, &n, err);
    *yes = n > 0;
    return st;
}

rv_status rv_access_check(rv_ctx *c, const rv_entity *e, int64_t id, bool write, rv_err *err)
{
    if (!c->who)
        return RV_OK;
    scope rs, ws = S_ALL;
    rv_status st = entity_scope(c, e, false, &rs, err);
    if (st || (write && (st = entity_scope(c, e, true, &ws, err))))
        return st;
    bool yes = true;
    if (rs != S_ALL && ((st = in_scope(c, e, id, rs, &yes, err))))
        return st;
    if (!yes)
        return rv__refuse(c, e, id, err, "user %s may not read %s %lld", c->who->email, e->one,
                          (long long)id);
    if (write && ws != S_ALL && ((st = in_scope(c, e, id, ws, &yes, err))))
        return st;
    if (!yes)
        return rv__refuse(c, e, id, err, "user %s may not change %s %lld", c->who->email, e->one,
                          (long long)id);
    return RV_OK;
}

rv_status rv__access_write(rv_ctx *c, rv_record *r, bool create, rv_err *err)
{
    if (!c->who)
        return RV_OK;
    const rv_entity *e = r->ent;
    const rv_principal *p = c->who;
    scope s;
    rv_status st = entity_scope(c, e, true, &s, err);
    if (st || s == S_ALL)
        return st;
    if (s == S_ACCT) {
        int ai = rv_field_index(e, "account_id");
        if (r->v[ai].state != RV_V_SET)
            return rv__refuse(c, e, r->id, err, "user %s may only %s %s linked to an account",
                              p->email, create ? "create" : "change", e->name);
        return RV_OK;
    }
    const struct rule *ru = rule_of(e);
    int oi = rv_field_index(e, ru->owner);
    rv_val *ov = &r->v[oi];
    if (!ru->via && create && ov->state != RV_V_SET)
        *ov = (rv_val){.i = p->user_id, .state = RV_V_SET}; /* yours unless said otherwise */
    if (ov->state != RV_V_SET)
        return rv__refuse(c, e, r->id, err, "user %s may not %s a %s without %s", p->email,
                          create ? "create" : "leave", e->one, ru->owner);
    if (ru->via) {
        /* the parent must be one the user may change */
        const rv_entity *pe = rv_entity_find(ru->via);
        bool yes = false;
        if ((st = in_scope(c, pe, ov->i, s, &yes, err)))
            return st;
        if (!yes)
            return rv__refuse(c, e, r->id, err, "user %s may not %s a %s of %s %lld", p->email,
                              create ? "create" : "move", e->one, pe->one, (long long)ov->i);
        return RV_OK;
    }
    rv_filter f;
    scope_filter(c, e, s, &f);
    for (int i = 0; i < f.nids; i++)
        if (f.ids[i] == ov->i)
            return RV_OK;
    return rv__refuse(c, e, r->id, err, "user %s may not %s a %s owned by user %lld", p->email,
                      create ? "create" : "give away", e->one, (long long)ov->i);
}

rv_status rv__access_owners(rv_ctx *c, const rv_entity *e, const int64_t **ids, int *n, bool *all,
                            rv_err *err)
{
    *ids = NULL;
    *n = 0;
    *all = true;
    if (!c->who)
        return RV_OK;
    scope s;
    rv_status st = entity_scope(c, e, false, &s, err);
    if (st)
        return st;
    /* "account" (customer success on activities) reads every row linked to
     * an account; aggregated, that is every owner */
    if (s == S_ALL || s == S_ACCT)
        return RV_OK;
    rv_filter f;
    if (!scope_filter(c, e, s, &f))
        return RV_OK;
    *all = false;
    *ids = f.ids;
    *n = f.nids;
    return RV_OK;
}
