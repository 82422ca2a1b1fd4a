/*
 * forecast.c - loading a database into the forecast engine, backtests and
 * the live forecast (forecast.h).
 *
 * Events given to the engine (engine/forecast.h explains the as-of rule):
 *   stage_history: the stage (old = from_stage when recorded), and the
 *                  amount, close date and category it recorded (no old value)
 *   field_history: amount, close_date, forecast_category and owner_id of
 *                  deals, with their old and new values
 * A deal's created day is created_on; a deal without one cannot be placed
 * in time and is counted as unplaced.
 */
#include "service/forecast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/money.h"
#include "engine/snapshot.h"
#include "service/service_internal.h"

typedef struct loadctx {
    rv_forecast_db *db;
    bool restricted; /* only deals owned by owner_ids */
    const int64_t *owner_ids;
    int nowner_ids;
    rv_idmap deals, users, teams, stages;
    const rv_entity *e;
    int table;
    int64_t *team_parent_id; /* by team index, 0: none */
} loadctx;

enum { L_SETTINGS, L_STAGES, L_TEAMS, L_USERS, L_DEALS, L_SH, L_FH, L_N };

static const struct {
    const char *entity, *cols;
} ltables[L_N] = {
    [L_SETTINGS] = {"settings", "key value"},
    [L_STAGES] = {"stages", "id kind"},
    [L_TEAMS] = {"teams", "id name parent_id"},
    [L_USERS] = {"users", "id name manager_id team_id"},
    [L_DEALS] = {"deals", "id stage_id amount close_date forecast_category owner_id created_on"},
    [L_SH] = {"stage_history", "deal_id from_stage_id to_stage_id changed_at amount close_date forecast_category"},
    [L_FH] = {"field_history", "record_id field old_value new_value changed_at"},
};

static bool set(const rv_val *v) { return v->state == RV_V_SET; }
static bool has_text(const rv_val *v) { return set(v) && v->len > 0; }

static int64_t ref_ix(const rv_idmap *m, const rv_val *v)
{
    if (!set(v))
        return RV_FC_NOVAL;
    int32_t i = rv_idmap_get(m, v->i);
    return i == RV_NONE ? RV_FC_NOVAL : i;
}

static int enum_code(const rv_entity *e, const char *field, const char *s, size_t len)
{
    return rv_enum_index(&e->fields[rv_field_index(e, field)], s, len);
}

/* A field_history value as the engine's int64 (RV_FC_NOVAL when empty). */
static int64_t fh_value(loadctx *l, int field, const rv_val *v)
{
    if (!has_text(v))
        return RV_FC_NOVAL;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)v->len, v->s);
    rv_err e;
    switch (field) {
    case RV_FC_AMOUNT: {
        int64_t m;
        return rv_money_parse(buf, strlen(buf), l->db->cur_exp, &m, "amount", &e) ? RV_FC_NOVAL : m;
    }
    case RV_FC_CLOSE: {
        int32_t d;
        return rv_date_parse(buf, strlen(buf), &d, "close_date", &e) ? RV_FC_NOVAL : d;
    }
    case RV_FC_CATEGORY: {
        int k = enum_code(rv_entity_find("deals"), "forecast_category", buf, strlen(buf));
        return k < 0 ? RV_FC_NOVAL : k;
    }
    default: {
        int32_t u = rv_idmap_get(&l->users, strtoll(buf, NULL, 10));
        return u == RV_NONE ? RV_FC_NOVAL : u;
    }
    }
}

/* May the caller read a deal of this owner (restricted scope: owner in the list)? */
static bool readable_owner(const loadctx *l, const rv_val *owner)
{
    if (!set(owner))
        return false;
    for (int k = 0; k < l->nowner_ids; k++)
        if (l->owner_ids[k] == owner->i)
            return true;
    return false;
}

static char *dup_val(const rv_val *v)
{
    if (!has_text(v))
        return NULL;
    char *s = rv_xcalloc(1, v->len + 1);
    memcpy(s, v->s, v->len);
    return s;
}

static int load_row(void *ud, const rv_val *v)
{
    loadctx *l = ud;
    rv_forecast_db *db = l->db;
    rv_fc_data *d = &db->d;
    switch (l->table) {
    case L_SETTINGS: {
        char key[64], val[64];
        snprintf(key, sizeof key, "%.*s", (int)v[0].len, has_text(&v[0]) ? v[0].s : "");
        snprintf(val, sizeof val, "%.*s", (int)v[1].len, has_text(&v[1]) ? v[1].s : "");
        if (!strcmp(key, "fiscal_year_start_month") && atoi(val) >= 1 && atoi(val) <= 12)
            db->fy_start = atoi(val);
        else if (!strcmp(key, "display_currency") && rv_currency_is_valid(val, strlen(val))) {
            memcpy(db->currency, val, 3);
            db->cur_exp = rv_currency_exponent(db->currency);
        }
        break;
    }
    case L_STAGES: {
        uint32_t i = d->nstages++;
        d->stage_kind = rv_xrealloc(d->stage_kind, d->nstages);
        int k = has_text(&v[1]) ? enum_code(l->e, "kind", v[1].s, v[1].len) : 0;
        d->stage_kind[i] = (uint8_t)(k < 0 ? RV_FC_OPEN : k);
        rv_idmap_put(&l->stages, v[0].i, (int32_t)i);
        break;
    }
    case L_TEAMS: {
        uint32_t i = d->nteams++;
        d->team_parent = rv_xrealloc(d->team_parent, d->nteams * sizeof *d->team_parent);
        db->team_name = rv_xrealloc(db->team_name, d->nteams * sizeof *db->team_name);
        db->team_name[i] = dup_val(&v[1]);
        l->team_parent_id = rv_xrealloc(l->team_parent_id, d->nteams * sizeof *l->team_parent_id);
        l->team_parent_id[i] = set(&v[2]) ? v[2].i : 0; /* resolved after the scan */
        rv_idmap_put(&l->teams, v[0].i, (int32_t)i);
        break;
    }
    case L_USERS: {
        uint32_t i = d->nusers++;
        d->user_manager = rv_xrealloc(d->user_manager, d->nusers * sizeof *d->user_manager);
        d->user_team = rv_xrealloc(d->user_team, d->nusers * sizeof *d->user_team);
        db->user_name = rv_xrealloc(db->user_name, d->nusers * sizeof *db->user_name);
        db->user_name[i] = dup_val(&v[1]);
        /* manager ids are kept as ids until every user is read */
        d->user_manager[i] = -1;
        if (set(&v[2]))
            d->user_manager[i] = (int32_t)-2 - (int32_t)v[2].i; /* id, decoded after the scan */
        int64_t t = ref_ix(&l->teams, &v[3]);
        d->user_team[i] = t == RV_FC_NOVAL ? -1 : (int32_t)t;
        rv_idmap_put(&l->users, v[0].i, (int32_t)i);
        break;
    }
    case L_DEALS: {
        if (l->restricted && !readable_owner(l, &v[5]))
            break; /* its history rows find no deal and are dropped too */
        uint32_t i = rv_fc_add_deal(d);
        db->deal_id = rv_xrealloc(db->deal_id, d->cap_deals * sizeof *db->deal_id);
        db->deal_id[i] = v[0].i;
        rv_idmap_put(&l->deals, v[0].i, (int32_t)i);
        d->cur[RV_FC_STAGE][i] = ref_ix(&l->stages, &v[1]);
        d->cur[RV_FC_AMOUNT][i] = set(&v[2]) ? v[2].i : RV_FC_NOVAL;
        d->cur[RV_FC_CLOSE][i] = set(&v[3]) ? v[3].i : RV_FC_NOVAL;
        d->cur[RV_FC_CATEGORY][i] =
            has_text(&v[4]) ? enum_code(l->e, "forecast_category", v[4].s, v[4].len) : RV_FC_NOVAL;
        d->cur[RV_FC_OWNER][i] = ref_ix(&l->users, &v[5]);
        /* created_at is when the row was written, an import's day for
         * imported deals: only created_on places a deal in time */
        d->created[i] = set(&v[6]) ? rv_snap_day(v[6].i) : RV_FC_DAY_NONE;
        break;
    }
    case L_SH: {
        int64_t deal = ref_ix(&l->deals, &v[0]);
        if (deal == RV_FC_NOVAL || !set(&v[3]))
            break;
        int32_t day = rv_snap_day(v[3].i);
        int64_t from = ref_ix(&l->stages, &v[1]);
        rv_fc_add_event(d, (int32_t)deal, day, RV_FC_STAGE, from == RV_FC_NOVAL ? RV_FC_UNKNOWN : from,
                        ref_ix(&l->stages, &v[2]));
        if (set(&v[4]))
            rv_fc_add_event(d, (int32_t)deal, day, RV_FC_AMOUNT, RV_FC_UNKNOWN, v[4].i);
        if (set(&v[5]))
            rv_fc_add_event(d, (int32_t)deal, day, RV_FC_CLOSE, RV_FC_UNKNOWN, v[5].i);
        if (has_text(&v[6]))
            rv_fc_add_event(d, (int32_t)deal, day, RV_FC_CATEGORY, RV_FC_UNKNOWN,
                            enum_code(rv_entity_find("deals"), "forecast_category", v[6].s, v[6].len));
        break;
    }
    case L_FH: {
        int64_t deal = ref_ix(&l->deals, &v[0]);
        if (deal == RV_FC_NOVAL || !has_text(&v[1]) || !set(&v[4]))
            break;
        static const char *const names[RV_FC_NFIELDS] = {NULL, "amount", "close_date", "forecast_category",
                                                         "owner_id"};
        int f = 1;
        while (f < RV_FC_NFIELDS && (strlen(names[f]) != v[1].len || memcmp(names[f], v[1].s, v[1].len)))
            f++;
        if (f == RV_FC_NFIELDS)
            break;
        rv_fc_add_event(d, (int32_t)deal, rv_snap_day(v[4].i), f, fh_value(l, f, &v[2]), fh_value(l, f, &v[3]));
        break;
    }
    }
    return 0;
}

static rv_status load_table(rv_ctx *c, loadctx *l, int t, rv_err *err)
{
    l->table = t;
    l->e = rv_entity_find(ltables[t].entity);
    int cols[16], n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ltables[t].cols);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        cols[n++] = !strcmp(tok, "id") ? RV_COL_ID : !strcmp(tok, "created_at") ? RV_COL_CREATED
                                                                                 : rv_field_index(l->e, tok);
    rv_query q;
    rv_query_init(&q, l->e);
    if (t == L_FH)
        q.filters[q.nfilters++] = (rv_filter){.field = rv_field_index(l->e, "entity"), .op = RV_OP_EQ,
                                              .val = {.s = "deals", .len = 5, .state = RV_V_SET}};
    return rv_store_scan(c->store, &q, cols, n, load_row, l, err);
}

void rv_forecast_db_free(rv_forecast_db *db)
{
    if (!db)
        return;
    for (uint32_t i = 0; i < db->d.nusers; i++)
        free(db->user_name[i]);
    for (uint32_t i = 0; i < db->d.nteams; i++)
        free(db->team_name[i]);
    free(db->user_name), free(db->team_name), free(db->deal_id);
    free(db->d.stage_kind), free(db->d.user_manager), free(db->d.user_team), free(db->d.team_parent);
    rv_fc_data_free(&db->d);
    memset(db, 0, sizeof *db);
}

rv_status rv_forecast_load(rv_ctx *c, bool scoped, rv_forecast_db *db, rv_err *err)
{
    memset(db, 0, sizeof *db);
    rv_fc_data_init(&db->d);
    db->fy_start = 1;
    memcpy(db->currency, "USD", 4);
    db->cur_exp = 2;
    loadctx l = {.db = db};
    if (c->who && !scoped) {
        const char *scope = rv_access_scope(rv_entity_find("deals"), c->who->role, false);
        if (!scope || strcmp(scope, "all"))
            return rv_err_set(err, RV_EFORBIDDEN, NULL,
                              "a forecast reads every deal: role '%s' may not read all deals",
                              rv_role_name(c->who->role));
    } else if (c->who) {
        bool all;
        rv_status st = rv__access_owners(c, rv_entity_find("deals"), &l.owner_ids, &l.nowner_ids, &all, err);
        if (st)
            return st;
        db->scoped = l.restricted = !all;
    }
    rv_status st = RV_OK;
    for (int t = 0; t < L_N && !st; t++)
        st = load_table(c, &l, t, err);
    if (!st) {
        rv_fc_data *d = &db->d;
        for (uint32_t u = 0; u < d->nusers; u++)
            if (d->user_manager[u] <= -2)
                d->user_manager[u] = rv_idmap_get(&l.users, (int64_t)-2 - d->user_manager[u]);
        for (uint32_t t = 0; t < d->nteams; t++)
            d->team_parent[t] = l.team_parent_id[t] ? rv_idmap_get(&l.teams, l.team_parent_id[t]) : -1;
        rv_fc_data_finish(d);
    }
    free(l.team_parent_id);
    rv_idmap_free(&l.deals), rv_idmap_free(&l.users), rv_idmap_free(&l.teams), rv_idmap_free(&l.stages);
    if (st)
        rv_forecast_db_free(db);
    return st;
}

/* --- requests ----------------------------------------------------------------------- */

static rv_status parse_req(const rv_forecast_req *req, rv_fc_period *k, int32_t *from, int32_t *to, rv_err *err)
{
    const char *p = req->period ? req->period : "quarter";
    if (!strcmp(p, "month"))
        *k = RV_FC_MONTH;
    else if (!strcmp(p, "quarter"))
        *k = RV_FC_QUARTER;
    else if (!strcmp(p, "year"))
        *k = RV_FC_YEAR;
    else
        return rv_err_set(err, RV_EINVAL, "period", "period must be month, quarter or year, got '%s'", p);
    rv_status st;
    if (from && req->from && (st = rv_date_parse(req->from, strlen(req->from), from, "from", err)))
        return st;
    if (to && req->to && (st = rv_date_parse(req->to, strlen(req->to), to, "to", err)))
        return st;
    if (req->trials < 0 || req->trials > 1000000)
        return rv_err_set(err, RV_EINVAL, "trials", "trials must be 1 to 1000000, got '%d'", req->trials);
    return RV_OK;
}

double rv_forecast_ape(int64_t forecast, int64_t actual)
{
    return actual ? 100.0 * fabs((double)forecast - (double)actual) / fabs((double)actual) : -1;
}

rv_status rv_forecast_backtest_run(rv_ctx *c, const rv_forecast_req *req, rv_forecast_backtest *out,
                                   rv_err *err)
{
    memset(out, 0, sizeof *out);
    if (!req->from || !req->to)
        return rv_err_set(err, RV_EINVAL, req->from ? "to" : "from", "%s is required (YYYY-MM-DD)",
                          req->from ? "to" : "from");
    int32_t from, to;
    rv_status st = parse_req(req, &out->kind, &from, &to, err);
    if (st)
        return st;
    if (to < from)
        return rv_err_set(err, RV_EINVAL, "to", "to must not be before from, got '%s'", req->to);
    rv_forecast_db db;
    if ((st = rv_forecast_load(c, false, &db, err)))
        return st;
    out->cur_exp = db.cur_exp;
    for (uint32_t i = 0; i < db.d.ndeals; i++)
        out->unplaced += db.d.created[i] == RV_FC_DAY_NONE;
    int32_t s, e;
    rv_fc_period_of(from, out->kind, db.fy_start, &s, &e);
    if (s < from)
        s = e, rv_fc_period_of(s, out->kind, db.fy_start, &s, &e);
    double sum[RV_FC_NMETHODS] = {0};
    int cnt = 0;
    while (s <= to && out->n < 64) {
        rv_fc_period_out *r = &out->rows[out->n++];
        rv_fc_settings set;
        double tm;
        int nm = rv_fc_tune(&db.d, s, out->kind, db.fy_start, true, &set, &tm);
        rv_fc_forecast_with(&db.d, s, e, out->kind, db.fy_start, &set, req->trials ? req->trials : 10000,
                            req->seed ? req->seed : 1, r, NULL);
        r->tune_windows = nm, r->tune_mape = tm;
        r->actual = rv_fc_actual(&db.d, s, e);
        if (r->actual) {
            cnt++;
            for (int m = 0; m < RV_FC_NMETHODS; m++)
                sum[m] += rv_forecast_ape(r->forecast[m], r->actual);
        }
        s = e;
        rv_fc_period_of(s, out->kind, db.fy_start, &s, &e);
    }
    for (int m = 0; m < RV_FC_NMETHODS; m++)
        out->mape[m] = cnt ? sum[m] / cnt : -1;
    rv_forecast_db_free(&db);
    return RV_OK;
}

static void money_num(rv_jsonw *w, int64_t v, int exp)
{
    char buf[64];
    rv_jsonw_raw_number(w, rv_money_format(v, exp, buf, sizeof buf));
}

static void pct_num(rv_jsonw *w, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", v);
    rv_jsonw_raw_number(w, buf);
}

static const char *const period_names[] = {"month", "quarter", "year"};

/* "settings": the model's settings of a row and the windows they were chosen on. */
static void settings_json(rv_jsonw *w, const rv_fc_period_out *r)
{
    rv_jsonw_key(w, "settings");
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "window_days");
    rv_jsonw_int(w, r->set.window_days);
    rv_jsonw_key(w, "cohort");
    rv_jsonw_str(w, rv_fc_cohort_names[r->set.cohort]);
    rv_jsonw_key(w, "new_deals");
    rv_jsonw_str(w, rv_fc_new_deal_names[r->set.new_deals]);
    rv_jsonw_key(w, "features");
    rv_jsonw_bool(w, r->set.features);
    rv_jsonw_key(w, "validation_windows");
    rv_jsonw_int(w, r->tune_windows);
    rv_jsonw_key(w, "validation_mape");
    if (r->tune_windows)
        pct_num(w, r->tune_mape);
    else
        rv_jsonw_null(w);
    rv_jsonw_obj_end(w);
}

void rv_forecast_backtest_json(const rv_forecast_backtest *b, rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "period");
    rv_jsonw_str(w, period_names[b->kind]);
    rv_jsonw_key(w, "unplaced");
    rv_jsonw_int(w, b->unplaced);
    rv_jsonw_key(w, "methods");
    rv_jsonw_arr_begin(w);
    for (int m = 0; m < RV_FC_NMETHODS; m++) {
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "method");
        rv_jsonw_str(w, rv_fc_method_names[m]);
        rv_jsonw_key(w, "rows");
        rv_jsonw_arr_begin(w);
        for (int i = 0; i < b->n; i++) {
            const rv_fc_period_out *r = &b->rows[i];
            rv_jsonw_obj_begin(w);
            rv_jsonw_key(w, "period");
            rv_jsonw_str(w, r->label);
            rv_jsonw_key(w, "forecast");
            money_num(w, r->forecast[m], b->cur_exp);
            rv_jsonw_key(w, "actual");
            money_num(w, r->actual, b->cur_exp);
            rv_jsonw_key(w, "ape");
            if (r->actual)
                pct_num(w, rv_forecast_ape(r->forecast[m], r->actual));
            else
                rv_jsonw_null(w);
            if (m == RV_FC_M_PREDICTIVE) {
                rv_jsonw_key(w, "p10");
                money_num(w, r->p10, b->cur_exp);
                rv_jsonw_key(w, "p90");
                money_num(w, r->p90, b->cur_exp);
                rv_jsonw_key(w, "open");
                rv_jsonw_int(w, r->open);
                rv_jsonw_key(w, "unplaced");
                rv_jsonw_int(w, r->unplaced);
                settings_json(w, r);
            }
            rv_jsonw_obj_end(w);
        }
        rv_jsonw_arr_end(w);
        rv_jsonw_key(w, "mape");
        if (b->mape[m] >= 0)
            pct_num(w, b->mape[m]);
        else
            rv_jsonw_null(w);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
}

/* --- the live forecast ----------------------------------------------------------------- */

void rv_forecast_show_free(rv_forecast_show *s)
{
    if (!s)
        return;
    free(s->rows);
    rv_forecast_db_free(&s->db);
    memset(s, 0, sizeof *s);
}

/* The node called name: a team, else a user; -1 when none. */
static int32_t node_by_name(const rv_forecast_db *db, const char *name)
{
    for (uint32_t t = 0; t < db->d.nteams; t++)
        if (db->team_name[t] && !strcmp(db->team_name[t], name))
            return (int32_t)(1 + t);
    for (uint32_t u = 0; u < db->d.nusers; u++)
        if (db->user_name[u] && !strcmp(db->user_name[u], name))
            return rv_fc_user_node(&db->d, (int32_t)u);
    return -1;
}

typedef struct show_acc {
    int64_t won, cat[4];
} show_acc;

/* Output order of the categories: commit, best_case, pipeline, omitted. */
static int cat_slot(int32_t cat)
{
    switch (cat) {
    case RV_FC_CAT_COMMIT: return 0;
    case RV_FC_CAT_BEST_CASE: return 1;
    case RV_FC_CAT_OMITTED: return 3;
    default: return 2;
    }
}

typedef struct show_ctx {
    rv_forecast_show *s;
    const int32_t *parent;
    uint32_t nn;
    const rv_fc_node_out *no;
    const show_acc *acc;
    const uint32_t *open_ix; /* the simulation's deal j is deal open_ix[j] */
} show_ctx;

/* Rows of node k's subtree, depth-first, children in node order; nodes
 * with nothing in the period are left out (the first row never is). */
static void show_rows(const show_ctx *x, int32_t k, int prow, int depth)
{
    rv_forecast_show *s = x->s;
    const rv_fc_node_out *no = x->no;
    const show_acc *a = &x->acc[k];
    bool any = no[k].deals || a->won || a->cat[0] || a->cat[1] || a->cat[2] || a->cat[3];
    if (prow >= 0 && !any)
        return;
    const rv_fc_data *d = &s->db.d;
    rv_forecast_node *r = &s->rows[s->n];
    int me = s->n++;
    r->parent = prow, r->depth = depth;
    if (k == 0)
        r->name = "company", r->kind = "company";
    else if ((uint32_t)k <= d->nteams)
        r->name = s->db.team_name[k - 1], r->kind = "team";
    else
        r->name = s->db.user_name[k - 1 - d->nteams], r->kind = "user";
    if (!r->name)
        r->name = "";
    r->won = a->won;
    memcpy(r->cat, a->cat, sizeof r->cat);
    r->p10 = a->won + no[k].p10, r->p50 = a->won + no[k].p50, r->p90 = a->won + no[k].p90;
    r->mean = a->won + no[k].mean;
    r->open = no[k].deals;
    for (int j = 0; j < RV_FC_DRIVERS; j++)
        r->drivers[j] = no[k].drivers[j] >= 0 ? s->db.deal_id[x->open_ix[no[k].drivers[j]]] : 0;
    for (uint32_t c = 0; c < x->nn; c++)
        if (x->parent[c] == k)
            show_rows(x, (int32_t)c, me, depth + 1);
}

rv_status rv_forecast_show_run(rv_ctx *c, const rv_forecast_req *req, rv_forecast_show *out, rv_err *err)
{
    memset(out, 0, sizeof *out);
    rv_fc_period kind;
    rv_status st = parse_req(req, &kind, NULL, NULL, err);
    if (st)
        return st;
    int32_t asof = (int32_t)(rv_now_ms() / 86400000);
    if (req->asof && (st = rv_date_parse(req->asof, strlen(req->asof), &asof, "asof", err)))
        return st;
    if ((st = rv_forecast_load(c, true, &out->db, err)))
        return st;
    rv_forecast_db *db = &out->db;
    rv_fc_data *d = &db->d;
    uint32_t nn = 1 + d->nteams + d->nusers;
    int32_t top = 0;
    if (req->node && (top = node_by_name(db, req->node)) < 0) {
        rv_err_set(err, RV_ENOTFOUND, "node", "no team or user called '%s'", req->node);
        rv_forecast_show_free(out);
        return RV_ENOTFOUND;
    }
    out->cur_exp = db->cur_exp;
    out->scoped = db->scoped;
    out->asof = asof;
    rv_fc_period_of(asof, kind, db->fy_start, &out->start, &out->end);
    rv_fc_period_label(out->start, kind, db->fy_start, out->period, sizeof out->period);
    int32_t T = asof + 1; /* the forecast is made at the end of the as-of day */

    int32_t *parent = rv_xcalloc(nn, sizeof *parent);
    rv_fc_nodes(d, parent);
    rv_fc_node_out *no = rv_xcalloc(nn, sizeof *no);
    rv_fc_period_out po;
    if (T < out->end) {
        rv_fc_settings set;
        double tm;
        rv_fc_tune(d, T, kind, db->fy_start, false, &set, &tm);
        rv_fc_forecast_with(d, T, out->end, kind, db->fy_start, &set, req->trials ? req->trials : 10000,
                            req->seed ? req->seed : 1, &po, no);
    }
    else
        for (uint32_t k = 0; k < nn; k++)
            for (int j = 0; j < RV_FC_DRIVERS; j++)
                no[k].drivers[j] = -1;

    /* won so far and the categories, from the same as-of state */
    rv_fc_state sa;
    rv_fc_state_build(d, T, &sa);
    out->unplaced = sa.unplaced;
    show_acc *acc = rv_xcalloc(nn, sizeof *acc);
    uint32_t *open_ix = rv_xcalloc(sa.nopen + 1, sizeof *open_ix), nopen = 0;
    for (uint32_t i = 0; i < sa.n; i++) {
        bool won = sa.status[i] == RV_FC_S_WON && sa.closed_day[i] >= out->start;
        bool open = sa.status[i] == RV_FC_S_OPEN;
        if (open)
            open_ix[nopen++] = i;
        bool due = open && sa.close[i] != RV_FC_DAY_NONE && sa.close[i] >= out->start && sa.close[i] < out->end;
        if (!won && !due)
            continue;
        for (int32_t k = rv_fc_user_node(d, sa.owner[i]); k >= 0; k = parent[k]) {
            if (won)
                acc[k].won += sa.amount[i];
            else
                acc[k].cat[cat_slot(sa.cat[i])] += sa.amount[i];
        }
    }
    out->rows = rv_xcalloc(nn, sizeof *out->rows);
    show_ctx x = {.s = out, .parent = parent, .nn = nn, .no = no, .acc = acc, .open_ix = open_ix};
    show_rows(&x, top, -1, 0);
    free(open_ix), free(acc), free(no), free(parent);
    rv_fc_state_free(&sa);
    return RV_OK;
}

void rv_forecast_show_json(const rv_forecast_show *s, rv_jsonw *w)
{
    char buf[16];
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "period");
    rv_jsonw_str(w, s->period);
    rv_jsonw_key(w, "from");
    rv_jsonw_str(w, rv_date_format(s->start, buf, sizeof buf));
    rv_jsonw_key(w, "to");
    rv_jsonw_str(w, rv_date_format(s->end - 1, buf, sizeof buf));
    rv_jsonw_key(w, "asof");
    rv_jsonw_str(w, rv_date_format(s->asof, buf, sizeof buf));
    rv_jsonw_key(w, "scoped");
    rv_jsonw_bool(w, s->scoped);
    rv_jsonw_key(w, "unplaced");
    rv_jsonw_int(w, s->unplaced);
    rv_jsonw_key(w, "nodes");
    rv_jsonw_arr_begin(w);
    static const char *const cats[4] = {"commit", "best_case", "pipeline", "omitted"};
    for (int i = 0; i < s->n; i++) {
        const rv_forecast_node *r = &s->rows[i];
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "node");
        rv_jsonw_str(w, r->name);
        rv_jsonw_key(w, "kind");
        rv_jsonw_str(w, r->kind);
        rv_jsonw_key(w, "parent");
        if (r->parent >= 0)
            rv_jsonw_str(w, s->rows[r->parent].name);
        else
            rv_jsonw_null(w);
        rv_jsonw_key(w, "won");
        money_num(w, r->won, s->cur_exp);
        for (int k = 0; k < 4; k++) {
            rv_jsonw_key(w, cats[k]);
            money_num(w, r->cat[k], s->cur_exp);
        }
        const struct {
            const char *name;
            int64_t v;
        } figs[] = {{"p10", r->p10}, {"p50", r->p50}, {"p90", r->p90}, {"mean", r->mean}};
        for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
            rv_jsonw_key(w, figs[k].name);
            money_num(w, figs[k].v, s->cur_exp);
        }
        rv_jsonw_key(w, "open");
        rv_jsonw_int(w, r->open);
        rv_jsonw_key(w, "drivers");
        rv_jsonw_arr_begin(w);
        for (int j = 0; j < RV_FC_DRIVERS && r->drivers[j]; j++)
            rv_jsonw_int(w, r->drivers[j]);
        rv_jsonw_arr_end(w);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
}
