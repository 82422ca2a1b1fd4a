/*
 * report.c - the analytics snapshot of a database, kept fresh, and the
 * report use cases on it (report.h).
 */
#include "service/report.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/money.h"
#include "service/service_internal.h"

/* --- reading tables into the snapshot ------------------------------------------- */

#define MAXC 24

typedef struct loader {
    rv_snap *s;
    const rv_entity *e;
    int ncols;
    int cols[MAXC];
    const char *names[MAXC];
    int table;
    /* references to rows of the same table, resolved after the scan */
    uint32_t *pend_row;
    int64_t *pend_id;
    uint32_t npend, cappend;
} loader;

static void pend(loader *l, uint32_t row, int64_t id)
{
    if (l->npend == l->cappend) {
        l->cappend = l->cappend ? l->cappend * 2 : 256;
        l->pend_row = rv_xrealloc(l->pend_row, l->cappend * sizeof *l->pend_row);
        l->pend_id = rv_xrealloc(l->pend_id, l->cappend * sizeof *l->pend_id);
    }
    l->pend_row[l->npend] = row;
    l->pend_id[l->npend++] = id;
}

enum {
    T_TEAMS, T_USERS, T_ACCOUNTS, T_CONTACTS, T_PRODUCTS, T_CAMPAIGNS, T_PIPELINES, T_STAGES,
    T_DEALS, T_LINES, T_HISTORY, T_PUSHES, T_LEADS, T_ACTIVITIES, T_TOUCHES, T_SUBS, T_QUOTAS,
    T_SETTINGS, T_FX, T_N
};

static const struct table_def {
    const char *entity;
    const char *cols; /* space-separated; id, created_at, updated_at are the implicit columns */
} tables[T_N] = {
    [T_TEAMS] = {"teams", "id name parent_id region"},
    [T_USERS] = {"users", "id name role manager_id team_id region active"},
    [T_ACCOUNTS] = {"accounts", "id name domain industry employees country owner_id phone"},
    [T_CONTACTS] = {"contacts", "id account_id email phone title owner_id"},
    [T_PRODUCTS] = {"products", "id name family list_price cost"},
    [T_CAMPAIGNS] = {"campaigns", "id name channel spend start_on owner_id"},
    [T_PIPELINES] = {"pipelines", "id name"},
    [T_STAGES] = {"stages", "id pipeline_id name position probability kind stall_days"},
    [T_DEALS] = {"deals", "id owner_id account_id pipeline_id stage_id campaign_id source amount list_amount "
                          "close_date created_on created_at updated_at type probability next_step currency"},
    [T_LINES] = {"deal_products", "deal_id product_id quantity unit_price discount"},
    [T_HISTORY] = {"stage_history", "deal_id to_stage_id changed_at"},
    [T_PUSHES] = {"field_history", "record_id old_value new_value"},
    [T_LEADS] = {"leads", "id owner_id campaign_id source deal_id status created_on created_at "
                          "first_touch_at mql_at sql_at converted_at email phone company title"},
    [T_ACTIVITIES] = {"activities", "owner_id deal_id kind done_at"},
    [T_TOUCHES] = {"touches", "campaign_id lead_id deal_id at"},
    [T_SUBS] = {"subscriptions", "id account_id product_id mrr start_on end_on renewal_on status currency"},
    [T_QUOTAS] = {"quotas", "id user_id period_start period_end amount currency"},
    [T_SETTINGS] = {"settings", "key value"},
    [T_FX] = {"fx_rates", "currency rate effective_on"},
};

static void loader_init(loader *l, rv_snap *s, int t)
{
    memset(l, 0, sizeof *l);
    l->s = s;
    l->table = t;
    l->e = rv_entity_find(tables[t].entity);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", tables[t].cols);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        int fi = !strcmp(tok, "id") ? RV_COL_ID
                 : !strcmp(tok, "created_at") ? RV_COL_CREATED
                 : !strcmp(tok, "updated_at") ? RV_COL_UPDATED
                                               : rv_field_index(l->e, tok);
        l->cols[l->ncols] = fi;
        l->names[l->ncols] = tables[t].cols + (tok - buf);
        l->ncols++;
    }
}

static bool set(const rv_val *v) { return v->state == RV_V_SET; }
static bool has_text(const rv_val *v) { return set(v) && v->len > 0; }
static int64_t iv(const rv_val *v, int64_t none) { return set(v) ? v->i : none; }
static int32_t dayv(const rv_val *v) { return set(v) ? (int32_t)v->i : RV_DAY_NONE; }

static int32_t ref(const rv_idmap *m, const rv_val *v)
{
    return set(v) ? rv_idmap_get(m, v->i) : RV_NONE;
}

static int enum_ix(const rv_entity *e, const char *field, const rv_val *v)
{
    if (!has_text(v))
        return -1;
    return rv_enum_index(&e->fields[rv_field_index(e, field)], v->s, v->len);
}

static char *dup_text(rv_snap *s, const rv_val *v)
{
    return has_text(v) ? rv_snap_strdup(s, v->s, v->len) : NULL;
}

/* A phone is plausible with 7 to 15 digits and no letters. */
static bool bad_phone(const rv_val *v)
{
    if (!has_text(v))
        return false;
    int digits = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)v->s[i];
        if (isdigit(ch))
            digits++;
        else if (isalpha(ch) && !(i + 1 < v->len && (ch == 'x' || ch == 'X'))) /* x123: extension */
            return true;
    }
    return digits < 7 || digits > 15;
}

/* A domain needs a dot, no spaces and no '@'. */
static bool bad_domain(const rv_val *v)
{
    if (!has_text(v))
        return false;
    const char *s = v->s;
    size_t n = v->len;
    if (n > 8 && !strncasecmp(s, "https://", 8))
        s += 8, n -= 8;
    else if (n > 7 && !strncasecmp(s, "http://", 7))
        s += 7, n -= 7;
    bool dot = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/')
            break;
        if (s[i] == ' ' || s[i] == '@')
            return true;
        dot |= s[i] == '.' && i > 0 && i + 1 < n;
    }
    return !dot;
}

static bool bad_email(const rv_val *v)
{
    if (!has_text(v))
        return false;
    const char *at = memchr(v->s, '@', v->len);
    return !at || !memchr(at, '.', v->len - (size_t)(at - v->s));
}

/* The one place money changes currency (docs/metrics.md): amount, in the
 * minor units of cur, in the display currency at the rate of cur in
 * effect on day, rounded half-even to whole minor units
 * (rv_money_convert).  code gets cur's RV_DICT_CURRENCY code (RV_NONE for
 * the display currency); with no rate in effect the amount is left out:
 * 0, and *out is set. */
static int64_t money_at(rv_snap *s, const rv_val *amount, int32_t code, int32_t day, uint8_t *out)
{
    if (!set(amount) || code == RV_NONE)
        return set(amount) ? amount->i : 0;
    int64_t rate, v;
    if (rv_snap_fx_rate(s, code, day, &rate) &&
        rv_money_convert(amount->i, rv_currency_exponent(s->dict[RV_DICT_CURRENCY].s[code]),
                         s->cur_exp, rate, &v))
        return v;
    *out = 1;
    return 0;
}

/* The RV_DICT_CURRENCY code of a currency column (RV_NONE: empty, or the
 * display currency). */
static int32_t currency_code(rv_snap *s, const rv_val *cur)
{
    if (!has_text(cur) || (cur->len == 3 && !strncmp(cur->s, s->currency, 3)))
        return RV_NONE;
    return rv_dict_code(&s->dict[RV_DICT_CURRENCY], cur->s, cur->len);
}

/* The day whose rate converts deal d: its close date once won or lost (today
 * when it has none), today while open. */
static int32_t deal_fx_day(const rv_snap *s, int32_t d)
{
    int32_t st = s->deals.stage[d];
    bool closed = st >= 0 && s->stages.kind[st] != RV_STAGE_OPEN;
    return closed && s->deals.close[d] != RV_DAY_NONE ? s->deals.close[d] : s->today;
}

static int load_row(void *ud, const rv_val *v)
{
    loader *l = ud;
    rv_snap *s = l->s;
    const rv_entity *e = l->e;
    switch (l->table) {
    case T_USERS: {
        uint32_t i = rv_snap_add_user(s, v[0].i);
        s->users.name[i] = dup_text(s, &v[1]);
        int r = enum_ix(e, "role", &v[2]);
        s->users.role[i] = (uint8_t)(r < 0 ? 2 : r);
        if (set(&v[3])) /* resolved once the whole table is read */
            pend(l, i, v[3].i);
        s->users.team[i] = ref(&s->teams.ix, &v[4]);
        s->users.region[i] = rv_dict_code(&s->dict[RV_DICT_REGION], v[5].s, has_text(&v[5]) ? v[5].len : 0);
        s->users.active[i] = (uint8_t)iv(&v[6], 1);
        break;
    }
    case T_TEAMS: {
        uint32_t i = rv_snap_add_team(s, v[0].i);
        s->teams.name[i] = dup_text(s, &v[1]);
        if (set(&v[2]))
            pend(l, i, v[2].i);
        s->teams.region[i] = rv_dict_code(&s->dict[RV_DICT_REGION], v[3].s, has_text(&v[3]) ? v[3].len : 0);
        break;
    }
    case T_ACCOUNTS: {
        uint32_t i = rv_snap_add_account(s, v[0].i);
        s->accounts.name[i] = dup_text(s, &v[1]);
        s->accounts.industry[i] = rv_dict_code(&s->dict[RV_DICT_INDUSTRY], v[3].s, has_text(&v[3]) ? v[3].len : 0);
        s->accounts.employees[i] = set(&v[4]) ? (int32_t)v[4].i : RV_NONE;
        s->accounts.country[i] = rv_dict_code(&s->dict[RV_DICT_COUNTRY], v[5].s, has_text(&v[5]) ? v[5].len : 0);
        s->accounts.owner[i] = ref(&s->users.ix, &v[6]);
        uint8_t q = 0;
        q |= has_text(&v[2]) ? RV_Q_ACC_DOMAIN : 0;
        q |= s->accounts.industry[i] >= 0 ? RV_Q_ACC_INDUSTRY : 0;
        q |= set(&v[4]) ? RV_Q_ACC_EMPLOYEES : 0;
        q |= s->accounts.country[i] >= 0 ? RV_Q_ACC_COUNTRY : 0;
        q |= s->accounts.owner[i] >= 0 ? RV_Q_ACC_OWNER : 0;
        q |= bad_domain(&v[2]) ? RV_Q_ACC_BAD_DOMAIN : 0;
        q |= bad_phone(&v[7]) ? RV_Q_ACC_BAD_PHONE : 0;
        s->accounts.q[i] = q;
        s->accounts.dupkey[i] = has_text(&v[2]) ? rv_snap_key(v[2].s, v[2].len)
                                : has_text(&v[1]) ? rv_snap_key(v[1].s, v[1].len) : 0;
        break;
    }
    case T_CONTACTS: {
        uint32_t i = rv_snap_add_contact(s, v[0].i);
        s->contacts.account[i] = ref(&s->accounts.ix, &v[1]);
        s->contacts.owner[i] = ref(&s->users.ix, &v[5]);
        uint8_t q = 0;
        q |= has_text(&v[2]) ? RV_Q_PERSON_EMAIL : 0;
        q |= has_text(&v[3]) ? RV_Q_PERSON_PHONE : 0;
        q |= has_text(&v[4]) ? RV_Q_PERSON_TITLE : 0;
        q |= s->contacts.account[i] >= 0 ? RV_Q_PERSON_COMPANY : 0;
        q |= bad_phone(&v[3]) ? RV_Q_PERSON_BAD_PHONE : 0;
        q |= bad_email(&v[2]) ? RV_Q_PERSON_BAD_EMAIL : 0;
        s->contacts.q[i] = q;
        s->contacts.dupkey[i] = has_text(&v[2]) ? rv_snap_key(v[2].s, v[2].len) : 0;
        break;
    }
    case T_PRODUCTS: {
        uint32_t i = rv_snap_add_product(s, v[0].i);
        s->products.name[i] = dup_text(s, &v[1]);
        s->products.price[i] = iv(&v[3], 0);
        s->products.cost[i] = iv(&v[4], 0);
        break;
    }
    case T_CAMPAIGNS: {
        uint32_t i = rv_snap_add_campaign(s, v[0].i);
        s->campaigns.name[i] = dup_text(s, &v[1]);
        s->campaigns.channel[i] = rv_dict_code(&s->dict[RV_DICT_CHANNEL], v[2].s, has_text(&v[2]) ? v[2].len : 0);
        s->campaigns.spend[i] = iv(&v[3], 0);
        s->campaigns.start[i] = dayv(&v[4]);
        s->campaigns.owner[i] = ref(&s->users.ix, &v[5]);
        break;
    }
    case T_PIPELINES: {
        uint32_t i = rv_snap_add_pipeline(s, v[0].i);
        s->pipelines.name[i] = dup_text(s, &v[1]);
        break;
    }
    case T_STAGES: {
        uint32_t i = rv_snap_add_stage(s, v[0].i);
        s->stages.pipeline[i] = ref(&s->pipelines.ix, &v[1]);
        s->stages.name[i] = dup_text(s, &v[2]);
        s->stages.position[i] = (int32_t)iv(&v[3], 0);
        s->stages.prob[i] = (uint8_t)iv(&v[4], 0);
        int k = enum_ix(e, "kind", &v[5]);
        s->stages.kind[i] = (uint8_t)(k < 0 ? RV_STAGE_OPEN : k);
        s->stages.stall_days[i] = set(&v[6]) ? (int32_t)v[6].i : RV_NONE;
        break;
    }
    case T_DEALS: {
        int32_t i = rv_idmap_get(&s->deals.ix, v[0].i);
        if (i == RV_NONE)
            i = (int32_t)rv_snap_add_deal(s, v[0].i);
        s->deals.dead[i] = 0;
        s->deals.owner[i] = ref(&s->users.ix, &v[1]);
        s->deals.account[i] = ref(&s->accounts.ix, &v[2]);
        s->deals.pipeline[i] = ref(&s->pipelines.ix, &v[3]);
        s->deals.stage[i] = ref(&s->stages.ix, &v[4]);
        s->deals.campaign[i] = ref(&s->campaigns.ix, &v[5]);
        s->deals.source[i] = rv_dict_code(&s->dict[RV_DICT_SOURCE], v[6].s, has_text(&v[6]) ? v[6].len : 0);
        s->deals.close[i] = dayv(&v[9]);
        s->deals.cur[i] = currency_code(s, &v[16]);
        s->deals.fx_out[i] = 0;
        s->deals.amount[i] = money_at(s, &v[7], s->deals.cur[i], deal_fx_day(s, i), &s->deals.fx_out[i]);
        s->deals.list_amount[i] =
            money_at(s, &v[8], s->deals.cur[i], deal_fx_day(s, i), &s->deals.fx_out[i]);
        s->deals.created[i] = rv_snap_day(set(&v[10]) ? v[10].i : iv(&v[11], RV_MS_NONE));
        s->deals.updated[i] = rv_snap_day(iv(&v[12], RV_MS_NONE));
        int t = enum_ix(e, "type", &v[13]);
        s->deals.type[i] = (uint8_t)(t < 0 ? 0 : t);
        s->deals.prob[i] = set(&v[14]) ? (uint8_t)v[14].i : RV_PROB_STAGE;
        uint8_t q = 0;
        q |= set(&v[7]) ? RV_Q_DEAL_AMOUNT : 0;
        q |= set(&v[9]) ? RV_Q_DEAL_CLOSE : 0;
        q |= set(&v[2]) ? RV_Q_DEAL_ACCOUNT : 0;
        q |= has_text(&v[15]) ? RV_Q_DEAL_NEXT_STEP : 0;
        q |= has_text(&v[6]) ? RV_Q_DEAL_SOURCE : 0;
        s->deals.q[i] = q;
        s->deals.pushes[i] = 0;
        break;
    }
    case T_LINES: {
        uint32_t i = rv_snap_add_line(s);
        s->lines.deal[i] = ref(&s->deals.ix, &v[0]);
        s->lines.product[i] = ref(&s->products.ix, &v[1]);
        int32_t d = s->lines.deal[i];
        rv_val value = {.i = iv(&v[2], 1) * iv(&v[3], 0) - iv(&v[4], 0), .state = RV_V_SET};
        uint8_t out = 0; /* the deal says so already */
        s->lines.value[i] = d >= 0 ? money_at(s, &value, s->deals.cur[d], deal_fx_day(s, d), &out)
                                   : value.i;
        break;
    }
    case T_HISTORY: {
        uint32_t i = rv_snap_add_history(s);
        s->history.deal[i] = ref(&s->deals.ix, &v[0]);
        s->history.stage[i] = ref(&s->stages.ix, &v[1]);
        s->history.at[i] = iv(&v[2], RV_MS_NONE);
        break;
    }
    case T_PUSHES: {
        int32_t d = ref(&s->deals.ix, &v[0]);
        /* dates as YYYY-MM-DD text compare as they sort */
        if (d >= 0 && has_text(&v[1]) && has_text(&v[2]) &&
            (v[2].len != v[1].len || memcmp(v[2].s, v[1].s, v[1].len) > 0) && s->deals.pushes[d] < 65535)
            s->deals.pushes[d]++;
        break;
    }
    case T_LEADS: {
        int32_t i = rv_idmap_get(&s->leads.ix, v[0].i);
        if (i == RV_NONE)
            i = (int32_t)rv_snap_add_lead(s, v[0].i);
        s->leads.dead[i] = 0;
        s->leads.owner[i] = ref(&s->users.ix, &v[1]);
        s->leads.campaign[i] = ref(&s->campaigns.ix, &v[2]);
        s->leads.source[i] = rv_dict_code(&s->dict[RV_DICT_SOURCE], v[3].s, has_text(&v[3]) ? v[3].len : 0);
        s->leads.deal[i] = ref(&s->deals.ix, &v[4]);
        int st = enum_ix(e, "status", &v[5]);
        s->leads.status[i] = (uint8_t)(st < 0 ? 0 : st);
        s->leads.created[i] = set(&v[6]) ? v[6].i : iv(&v[7], RV_MS_NONE);
        s->leads.first_touch[i] = iv(&v[8], RV_MS_NONE);
        s->leads.mql[i] = iv(&v[9], RV_MS_NONE);
        s->leads.sql[i] = iv(&v[10], RV_MS_NONE);
        s->leads.converted[i] = iv(&v[11], RV_MS_NONE);
        uint8_t q = 0;
        q |= has_text(&v[12]) ? RV_Q_PERSON_EMAIL : 0;
        q |= has_text(&v[13]) ? RV_Q_PERSON_PHONE : 0;
        q |= has_text(&v[14]) ? RV_Q_PERSON_COMPANY : 0;
        q |= has_text(&v[15]) ? RV_Q_PERSON_TITLE : 0;
        q |= has_text(&v[3]) ? RV_Q_PERSON_SOURCE : 0;
        q |= bad_phone(&v[13]) ? RV_Q_PERSON_BAD_PHONE : 0;
        q |= bad_email(&v[12]) ? RV_Q_PERSON_BAD_EMAIL : 0;
        s->leads.q[i] = q;
        s->leads.dupkey[i] = has_text(&v[12]) ? rv_snap_key(v[12].s, v[12].len) : 0;
        break;
    }
    case T_ACTIVITIES: {
        uint32_t i = rv_snap_add_activity(s);
        s->activities.owner[i] = ref(&s->users.ix, &v[0]);
        s->activities.deal[i] = ref(&s->deals.ix, &v[1]);
        int k = enum_ix(e, "kind", &v[2]);
        s->activities.kind[i] = (uint8_t)(k < 0 ? 0 : k);
        s->activities.day[i] = rv_snap_day(iv(&v[3], RV_MS_NONE));
        break;
    }
    case T_TOUCHES: {
        uint32_t i = rv_snap_add_touch(s);
        s->touches.campaign[i] = ref(&s->campaigns.ix, &v[0]);
        s->touches.lead[i] = ref(&s->leads.ix, &v[1]);
        s->touches.deal[i] = ref(&s->deals.ix, &v[2]);
        s->touches.day[i] = rv_snap_day(iv(&v[3], RV_MS_NONE));
        break;
    }
    case T_SUBS: {
        uint32_t i = rv_snap_add_sub(s, v[0].i);
        s->subs.account[i] = ref(&s->accounts.ix, &v[1]);
        s->subs.product[i] = ref(&s->products.ix, &v[2]);
        s->subs.cur[i] = currency_code(s, &v[8]);
        s->subs.fx_out[i] = 0;
        s->subs.mrr[i] = money_at(s, &v[3], s->subs.cur[i], s->today, &s->subs.fx_out[i]);
        s->subs.start[i] = dayv(&v[4]);
        s->subs.end[i] = dayv(&v[5]);
        s->subs.renewal[i] = dayv(&v[6]);
        break;
    }
    case T_QUOTAS: {
        uint32_t i = rv_snap_add_quota(s, v[0].i);
        s->quotas.user[i] = ref(&s->users.ix, &v[1]);
        s->quotas.start[i] = dayv(&v[2]);
        s->quotas.end[i] = dayv(&v[3]);
        s->quotas.cur[i] = currency_code(s, &v[5]);
        s->quotas.fx_out[i] = 0;
        s->quotas.amount[i] =
            money_at(s, &v[4], s->quotas.cur[i], s->quotas.start[i], &s->quotas.fx_out[i]);
        break;
    }
    case T_FX: {
        int64_t rate;
        int32_t code = currency_code(s, &v[0]);
        if (code == RV_NONE || !set(&v[2]) || !has_text(&v[1]) ||
            rv_rate_parse(v[1].s, v[1].len, &rate, "rate", NULL))
            break; /* the display currency needs no rate; rates are checked on write */
        uint32_t i = rv_snap_add_fx(s);
        s->fx.cur[i] = code;
        s->fx.day[i] = (int32_t)v[2].i;
        s->fx.rate[i] = rate;
        break;
    }
    case T_SETTINGS: {
        if (!has_text(&v[0]) || !has_text(&v[1]))
            break;
        char key[64], val[64];
        snprintf(key, sizeof key, "%.*s", (int)v[0].len, v[0].s);
        snprintf(val, sizeof val, "%.*s", (int)v[1].len, v[1].s);
        int n = atoi(val);
        if (!strcmp(key, "fiscal_year_start_month") && n >= 1 && n <= 12)
            s->fy_start = n;
        else if (!strcmp(key, "lead_sla_minutes") && n > 0)
            s->sla_minutes = n;
        else if (!strcmp(key, "stale_days") && n > 0)
            s->stale_days = n;
        else if (!strcmp(key, "display_currency") && rv_currency_is_valid(val, strlen(val))) {
            memcpy(s->currency, val, 3);
            s->currency[3] = '\0';
            s->cur_exp = rv_currency_exponent(s->currency);
        }
        break;
    }
    }
    return 0;
}

/* Read table t (all rows, or with ids only those rows) into s. */
static rv_status load_table(rv_ctx *c, rv_snap *s, int t, const int64_t *ids, int nids, rv_err *err)
{
    loader l;
    loader_init(&l, s, t);
    rv_query q;
    rv_query_init(&q, l.e);
    if (t == T_PUSHES) {
        q.filters[q.nfilters++] = (rv_filter){.field = rv_field_index(l.e, "entity"), .op = RV_OP_EQ,
                                              .val = {.s = "deals", .len = 5, .state = RV_V_SET}};
        q.filters[q.nfilters++] = (rv_filter){.field = rv_field_index(l.e, "field"), .op = RV_OP_EQ,
                                              .val = {.s = "close_date", .len = 10, .state = RV_V_SET}};
    }
    if (ids) {
        int fi = t == T_HISTORY || t == T_LINES ? rv_field_index(l.e, "deal_id")
                 : t == T_PUSHES                ? rv_field_index(l.e, "record_id")
                                                : RV_COL_ID;
        q.filters[q.nfilters++] = (rv_filter){.field = fi, .op = RV_OP_IN, .ids = ids, .nids = nids};
    }
    rv_status st = rv_store_scan(c->store, &q, l.cols, l.ncols, load_row, &l, err);
    for (uint32_t k = 0; k < l.npend; k++) {
        if (t == T_USERS)
            s->users.manager[l.pend_row[k]] = rv_idmap_get(&s->users.ix, l.pend_id[k]);
        else
            s->teams.parent[l.pend_row[k]] = rv_idmap_get(&s->teams.ix, l.pend_id[k]);
    }
    free(l.pend_row);
    free(l.pend_id);
    return st;
}

static rv_status load_all(rv_ctx *c, rv_snap *s, rv_err *err)
{
    /* the display currency, then the rates into it, then the money */
    rv_status st = load_table(c, s, T_SETTINGS, NULL, 0, err);
    if (!st && !(st = load_table(c, s, T_FX, NULL, 0, err)))
        rv_snap_fx_sort(s);
    for (int t = 0; t < T_SETTINGS && !st; t++)
        st = load_table(c, s, t, NULL, 0, err);
    if (!st)
        rv_snap_finish(s);
    return st;
}

/* --- the cache ------------------------------------------------------------------------ */

typedef struct entry {
    char *path;
    pthread_rwlock_t lock;
    /* The entry's own read-only connection (rv_store_open_read: the
     * replica of $REVOS_READ_URL, or the primary), shared by every thread
     * that reports on this database, so used under rd_mu only.  Lock
     * order: lock, then rd_mu. */
    pthread_mutex_t rd_mu;
    rv_store *rd;
    rv_snap *snap;
    int64_t audit_max, event_max; /* write signature the snapshot reflects */
    int32_t today;
    int64_t built_ms;
    struct entry *next;
} entry;

static pthread_mutex_t entries_mu = PTHREAD_MUTEX_INITIALIZER;
static entry *entries;

void rv_report_cache_clear(void)
{
    pthread_mutex_lock(&entries_mu);
    for (entry *e = entries, *n; e; e = n) {
        n = e->next;
        rv_snap_free(e->snap);
        rv_store_close(e->rd);
        pthread_mutex_destroy(&e->rd_mu);
        pthread_rwlock_destroy(&e->lock);
        free(e->path);
        free(e);
    }
    entries = NULL;
    pthread_mutex_unlock(&entries_mu);
}

static entry *entry_for(const char *path)
{
    pthread_mutex_lock(&entries_mu);
    entry *e = entries;
    while (e && strcmp(e->path, path))
        e = e->next;
    if (!e) {
        e = rv_xcalloc(1, sizeof *e);
        e->path = rv_xstrdup(path);
        pthread_rwlock_init(&e->lock, NULL);
        pthread_mutex_init(&e->rd_mu, NULL);
        e->next = entries;
        entries = e;
    }
    pthread_mutex_unlock(&entries_mu);
    return e;
}

static int max_id_row(void *ud, const rv_record *r)
{
    *(int64_t *)ud = r->id;
    return 1;
}

static rv_status max_id(rv_store *st, const char *entity, int64_t *out, rv_err *err)
{
    rv_query q;
    rv_query_init(&q, rv_entity_find(entity));
    q.desc = true;
    q.limit = 1;
    *out = 0;
    return rv_store_list(st, &q, max_id_row, out, err);
}

/* The write signature of the database as e's reader sees it (on a
 * replica: what it has applied), opening the reader on first use.  Caller
 * holds e->rd_mu. */
static rv_status signature(entry *e, const char *primary, int64_t *am, int64_t *em, rv_err *err)
{
    rv_status st;
    if (!e->rd && (st = rv_store_open_read(&e->rd, primary, err))) {
        e->rd = NULL;
        return st;
    }
    if ((st = max_id(e->rd, "audit_log", am, err)) || (st = max_id(e->rd, "events", em, err)))
        return st;
    return RV_OK;
}

typedef struct changes {
    rv_arena *a;
    bool rebuild;
    int64_t *deals, *leads;
    int ndeals, nleads, cap_deals, cap_leads;
    bool leaf[T_N];
    int rows;
} changes;

static void add_id(rv_arena *a, int64_t **ids, int *n, int *cap, int64_t id)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        int64_t *x = rv_arena_alloc(a, (size_t)nc * sizeof *x);
        if (*n)
            memcpy(x, *ids, (size_t)*n * sizeof *x);
        *ids = x, *cap = nc;
    }
    (*ids)[(*n)++] = id;
}

/* Sort out what each write since the snapshot touched. */
static int change_row(void *ud, const rv_record *r)
{
    changes *ch = ud;
    const rv_entity *ae = r->ent;
    const rv_val *ent = &r->v[rv_field_index(ae, "entity")];
    const rv_val *act = &r->v[rv_field_index(ae, "action")];
    const rv_val *rid = &r->v[rv_field_index(ae, "record_id")];
    if (++ch->rows > 5000 || (has_text(act) && !strncmp(act->s, "import", act->len))) {
        ch->rebuild = true;
        return 1;
    }
    if (!has_text(ent))
        return 0; /* sign-in, tokens, refusals: no data */
    char name[40];
    snprintf(name, sizeof name, "%.*s", (int)ent->len, ent->s);
    if (!strcmp(name, "deals") && set(rid))
        add_id(ch->a, &ch->deals, &ch->ndeals, &ch->cap_deals, rid->i);
    else if (!strcmp(name, "leads") && set(rid))
        add_id(ch->a, &ch->leads, &ch->nleads, &ch->cap_leads, rid->i);
    else if (!strcmp(name, "activities"))
        ch->leaf[T_ACTIVITIES] = true;
    else if (!strcmp(name, "touches"))
        ch->leaf[T_TOUCHES] = true;
    else if (!strcmp(name, "subscriptions"))
        ch->leaf[T_SUBS] = true;
    else if (!strcmp(name, "quotas"))
        ch->leaf[T_QUOTAS] = true;
    else if (!strcmp(name, "deal_products"))
        ch->leaf[T_LINES] = true;
    else if (!strcmp(name, "stage_history"))
        ch->leaf[T_HISTORY] = true;
    else if (strcmp(name, "field_history") && strcmp(name, "events") && strcmp(name, "audit_log") &&
             strcmp(name, "sessions") && strcmp(name, "api_tokens"))
        ch->rebuild = true; /* reference data and owned records other rows point at */
    return ch->rebuild;
}

/* Clear a leaf table before it is read again whole. */
static void clear_leaf(rv_snap *s, int t)
{
    switch (t) {
    case T_ACTIVITIES: s->activities.n = 0; break;
    case T_TOUCHES: s->touches.n = 0; break;
    case T_LINES: s->lines.n = 0; break;
    case T_HISTORY: s->history.n = 0; break;
    case T_SUBS: s->subs.n = 0, rv_idmap_free(&s->subs.ix); break;
    case T_QUOTAS: s->quotas.n = 0, rv_idmap_free(&s->quotas.ix); break;
    }
}

/* Re-read the deals in ids with their lines, history and pushes; rows
 * that no longer exist are marked dead. */
static rv_status refresh_deals(rv_ctx *c, rv_snap *s, const int64_t *ids, int n, bool whole_hist,
                               bool whole_lines, rv_err *err)
{
    for (int k = 0; k < n; k++) {
        int32_t d = rv_idmap_get(&s->deals.ix, ids[k]);
        if (d >= 0) {
            s->deals.dead[d] = 1;
            s->deals.pushes[d] = 0;
        }
    }
    /* drop their history and lines: re-read below */
    for (uint32_t i = 0; i < s->history.n && !whole_hist; i++) {
        int32_t d = s->history.deal[i];
        if (d >= 0 && s->deals.dead[d]) {
            s->history.deal[i] = RV_NONE;
            s->history.sorted = false;
        }
    }
    for (uint32_t i = 0; i < s->lines.n && !whole_lines; i++) {
        int32_t d = s->lines.deal[i];
        if (d >= 0 && s->deals.dead[d])
            s->lines.deal[i] = RV_NONE;
    }
    rv_status st = load_table(c, s, T_DEALS, ids, n, err);
    if (!st && !whole_hist)
        st = load_table(c, s, T_HISTORY, ids, n, err);
    if (!st && !whole_lines)
        st = load_table(c, s, T_LINES, ids, n, err);
    if (!st)
        st = load_table(c, s, T_PUSHES, ids, n, err);
    return st;
}

static rv_status refresh_from(rv_ctx *c, entry *e, int64_t audit_max, int64_t event_max, int32_t today,
                              rv_err *err)
{
    rv_snap *s = e->snap;
    rv_status st = RV_OK;
    changes ch = {.a = c->arena};
    if (s && today == e->today) {
        rv_query q;
        const rv_entity *ae = rv_entity_find("audit_log");
        rv_query_init(&q, ae);
        q.filters[0] = (rv_filter){.field = RV_COL_ID, .op = RV_OP_GT,
                                   .val = {.i = e->audit_max, .state = RV_V_SET}};
        q.nfilters = 1;
        if ((st = rv_store_list(c->store, &q, change_row, &ch, err)))
            return st;
        /* events without audit rows (none today) would go unseen: rebuild */
        if (!ch.rows && event_max != e->event_max)
            ch.rebuild = true;
    } else {
        ch.rebuild = true;
    }
    if (!ch.rebuild) {
        for (int t = 0; t < T_N; t++)
            if (ch.leaf[t])
                clear_leaf(s, t);
        if (ch.ndeals)
            st = refresh_deals(c, s, ch.deals, ch.ndeals, ch.leaf[T_HISTORY], ch.leaf[T_LINES], err);
        if (!st && ch.nleads) {
            for (int k = 0; k < ch.nleads; k++) {
                int32_t l = rv_idmap_get(&s->leads.ix, ch.leads[k]);
                if (l >= 0)
                    s->leads.dead[l] = 1;
            }
            st = load_table(c, s, T_LEADS, ch.leads, ch.nleads, err);
        }
        for (int t = 0; t < T_N && !st; t++)
            if (ch.leaf[t])
                st = load_table(c, s, t, NULL, 0, err);
        if (!st)
            rv_snap_finish(s);
    }
    if (st || ch.rebuild) {
        /* build a new snapshot; the old one stays until the new is whole */
        rv_snap *n = rv_snap_new(today, rv_now_ms());
        if ((st = load_all(c, n, err))) {
            rv_snap_free(n);
            return st;
        }
        rv_snap_free(e->snap);
        e->snap = n;
    }
    e->snap->now_ms = rv_now_ms();
    e->audit_max = audit_max;
    e->event_max = event_max;
    e->today = today;
    return RV_OK;
}

/* Bring e's snapshot up to what its reader has applied, reading the
 * signature and the rows in one read transaction on the reader, so the
 * snapshot is exactly the database at the signature it records.  Caller
 * holds e->lock for writing. */
static rv_status refresh(rv_ctx *c, entry *e, int32_t today, rv_err *err)
{
    pthread_mutex_lock(&e->rd_mu);
    int64_t am = 0, em = 0;
    rv_status st = signature(e, rv_store_path(c->store), &am, &em, err); /* opens the reader */
    if (!st)
        st = rv_store_begin_read(e->rd, err);
    if (!st) {
        rv_ctx rc = *c;
        rc.store = e->rd;
        st = signature(e, NULL, &am, &em, err);
        /* never back to an older signature (a replica further behind
         * than the one read before, after a reconnect) */
        bool older = e->snap && e->today == today && (am < e->audit_max || em < e->event_max);
        if (!st && !older)
            st = refresh_from(&rc, e, am, em, today, err);
        rv_store_rollback(e->rd); /* read only: nothing to keep */
    }
    pthread_mutex_unlock(&e->rd_mu);
    return st;
}

/* The fresh snapshot of c's database, read-locked: release with
 * pthread_rwlock_unlock(&e->lock).  Fresh means: built from the entry's
 * reader at the write signature (max audit_log.id, max events.id) the
 * reader shows now, or at a later one. */
static rv_status acquire(rv_ctx *c, entry **out, rv_err *err)
{
    entry *e = entry_for(rv_store_path(c->store));
    int64_t am, em;
    pthread_mutex_lock(&e->rd_mu);
    rv_status st = signature(e, rv_store_path(c->store), &am, &em, err);
    pthread_mutex_unlock(&e->rd_mu);
    if (st)
        return st;
    int32_t today = rv_snap_day(rv_now_ms());
    pthread_rwlock_rdlock(&e->lock);
    if (e->snap && e->audit_max >= am && e->event_max >= em && e->today == today) {
        e->snap->now_ms = rv_now_ms() > e->snap->now_ms ? rv_now_ms() : e->snap->now_ms;
        *out = e;
        return RV_OK;
    }
    pthread_rwlock_unlock(&e->lock);
    pthread_rwlock_wrlock(&e->lock);
    bool stale = !e->snap || e->audit_max < am || e->event_max < em || e->today != today;
    st = stale ? refresh(c, e, today, err) : RV_OK;
    pthread_rwlock_unlock(&e->lock);
    if (st)
        return st;
    /* another request may refresh in between: the snapshot only gets newer */
    pthread_rwlock_rdlock(&e->lock);
    if (!e->snap) {
        pthread_rwlock_unlock(&e->lock);
        return rv_err_set(err, RV_EIO, NULL, "the analytics snapshot could not be built");
    }
    *out = e;
    return RV_OK;
}

/* --- access ---------------------------------------------------------------------------- */

/* Per user row of s: may c->who see records they own?  NULL mask: all. */
static rv_status make_mask(rv_ctx *c, const rv_snap *s, const char *entity, uint8_t **mask,
                           bool *unowned, rv_err *err)
{
    *mask = NULL;
    *unowned = true;
    if (!c->who)
        return RV_OK;
    const int64_t *ids;
    int n;
    bool all;
    rv_status st = rv__access_owners(c, rv_entity_find(entity), &ids, &n, &all, err);
    if (st || all)
        return st;
    *unowned = false;
    *mask = rv_xcalloc((size_t)s->users.n + 1, 1);
    for (int k = 0; k < n; k++) {
        int32_t u = rv_idmap_get(&s->users.ix, ids[k]);
        if (u >= 0)
            (*mask)[u] = 1;
    }
    return RV_OK;
}

/* --- requests -------------------------------------------------------------------------- */

static rv_status parse_day(const char *text, const char *field, int32_t *day, rv_err *err)
{
    return rv_date_parse(text, strlen(text), day, field, err);
}

static rv_status find_metric(const char *name, int *mi, rv_err *err)
{
    *mi = rv_metric_find(name);
    if (*mi < 0)
        return rv_err_set(err, RV_ENOTFOUND, "metric",
                          "no metric called '%s' ('revos report list' shows them)", name ? name : "");
    return RV_OK;
}

rv_status rv_report_limit_parse(const char *text, int *limit, rv_err *err)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (!*text || *end || n < 1 || n > 10000)
        return rv_err_set(err, RV_EINVAL, "limit", "limit must be between 1 and 10000, got '%s'", text);
    *limit = (int)n;
    return RV_OK;
}

rv_status rv_report_drill_entity(const char *metric, const rv_entity **e, rv_err *err)
{
    int mi;
    rv_status st = find_metric(metric, &mi, err);
    if (st)
        return st;
    const char *name = rv_metric_drill_entity(mi);
    if (!name)
        return rv_err_set(err, RV_EINVAL, "metric", "%s has no records to list", metric);
    *e = rv_entity_find(name);
    return RV_OK;
}

/* The query of req on s (without access). */
static rv_status build_query(const rv_snap *s, const rv_report_req *req, rv_mquery *q, rv_err *err)
{
    memset(q, 0, sizeof *q);
    q->from = q->to = RV_DAY_NONE;
    rv_status st;
    if ((st = find_metric(req->metric, &q->metric, err)))
        return st;
    char buf[256];
    if (req->by && *req->by) {
        snprintf(buf, sizeof buf, "%s", req->by);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            int d = rv_dim_find(tok);
            if (d < 0)
                return rv_err_set(err, RV_EINVAL, "by", "no dimension called '%s'", tok);
            if (q->ndims == RV_MQ_MAX_DIMS)
                return rv_err_set(err, RV_EINVAL, "by", "at most %d dimensions at once", RV_MQ_MAX_DIMS);
            q->dims[q->ndims++] = (rv_dim)d;
        }
    }
    if (req->period && *req->period) {
        int d = rv_dim_find(req->period);
        if (d >= 0 && rv_dim_is_period((rv_dim)d)) {
            if (q->ndims == RV_MQ_MAX_DIMS)
                return rv_err_set(err, RV_EINVAL, "period", "at most %d dimensions at once", RV_MQ_MAX_DIMS);
            q->dims[q->ndims++] = (rv_dim)d;
        } else if ((st = rv_period_parse(s, req->period, &q->from, &q->to, err))) {
            return st;
        }
    }
    if (req->from && *req->from && (st = parse_day(req->from, "from", &q->from, err)))
        return st;
    if (req->to && *req->to) {
        if ((st = parse_day(req->to, "to", &q->to, err)))
            return st;
        q->to++; /* inclusive */
    }
    if (q->from != RV_DAY_NONE && q->to != RV_DAY_NONE && q->to <= q->from)
        return rv_err_set(err, RV_EINVAL, "to", "to (%s) is before from (%s)", req->to, req->from);
    for (int k = 0; k < req->nfilters; k++) {
        const char *f = req->filters[k], *eq = strchr(f, '=');
        if (!eq)
            return rv_err_set(err, RV_EINVAL, "filter", "a filter is DIMENSION=VALUE, got '%s'", f);
        snprintf(buf, sizeof buf, "%.*s", (int)(eq - f), f);
        int d = rv_dim_find(buf);
        if (d < 0)
            return rv_err_set(err, RV_EINVAL, "filter", "no dimension called '%s'", buf);
        if (q->nfilters == RV_MQ_MAX_FILTERS)
            return rv_err_set(err, RV_EINVAL, "filter", "at most %d filters", RV_MQ_MAX_FILTERS);
        q->filters[q->nfilters].dim = (rv_dim)d;
        if ((st = rv_dim_code(s, (rv_dim)d, eq + 1, &q->filters[q->nfilters].code, err)))
            return st;
        q->nfilters++;
    }
    return RV_OK;
}

rv_status rv_report_run(rv_ctx *c, const rv_report_req *req, rv_report *r, rv_err *err)
{
    memset(r, 0, sizeof *r);
    entry *e;
    rv_status st = acquire(c, &e, err);
    if (st)
        return st;
    r->hold = e;
    r->snap = e->snap;
    bool unowned;
    if ((st = build_query(r->snap, req, &r->q, err)) ||
        (st = make_mask(c, r->snap, rv_metric_info_at(r->q.metric)->entity, &r->mask, &unowned, err))) {
        rv_report_end(r);
        return st;
    }
    r->q.visible = r->mask;
    r->q.see_unowned = unowned;
    if ((st = rv_metric_run(r->snap, &r->q, &r->res, err))) {
        rv_report_end(r);
        return st;
    }
    r->left_out = rv_metric_left_out(r->snap, &r->q, rv_metric_info_at(r->q.metric)->entity,
                                     r->left_out_by, RV_REPORT_MAX_LEFT_OUT, &r->nleft_out);
    if (req->compare) {
        if (r->res.from == RV_DAY_NONE || r->res.to == RV_DAY_NONE) {
            rv_report_end(r);
            return rv_err_set(err, RV_EINVAL, "compare",
                              "compare needs a window: give --period 2017-Q2, or --from and --to");
        }
        rv_mquery pq = r->q;
        int32_t len = r->res.to - r->res.from;
        pq.from = r->res.from - len, pq.to = r->res.from;
        /* whole periods compare with the period before */
        for (int d = RV_DIM_MONTH; d <= RV_DIM_YEAR; d++) {
            int32_t c0 = rv_period_code(r->snap, (rv_dim)d, r->res.from);
            if (rv_period_start(r->snap, (rv_dim)d, c0) == r->res.from &&
                rv_period_start(r->snap, (rv_dim)d, c0 + 1) == r->res.to) {
                pq.from = rv_period_start(r->snap, (rv_dim)d, c0 - 1);
                pq.to = r->res.from;
                break;
            }
        }
        if ((st = rv_metric_run(r->snap, &pq, &r->prev, err))) {
            rv_report_end(r);
            return st;
        }
        r->compared = true;
    }
    return RV_OK;
}

void rv_report_end(rv_report *r)
{
    rv_mresult_free(&r->res);
    rv_mresult_free(&r->prev);
    free(r->mask);
    r->mask = NULL;
    if (r->hold) {
        pthread_rwlock_unlock(&((entry *)r->hold)->lock);
        r->hold = NULL;
    }
}

/* --- output ------------------------------------------------------------------------------ */

static int64_t round_half_even(double v)
{
    double f = floor(v), d = v - f;
    int64_t i = (int64_t)f;
    if (d > 0.5 || (d == 0.5 && (i & 1)))
        i++;
    return i;
}

const char *rv_report_value_text(const rv_report *r, const rv_mrow *row, char *buf, size_t cap)
{
    const rv_metric_info *m = rv_metric_info_at(r->q.metric);
    if (row->null) {
        snprintf(buf, cap, "null");
        return buf;
    }
    switch (m->unit) {
    case RV_UNIT_MONEY: {
        /* sums are exact; averages round half-even to the minor unit */
        int64_t units = round_half_even(row->value);
        return rv_money_format(units, r->snap->cur_exp, buf, cap);
    }
    case RV_UNIT_COUNT:
        snprintf(buf, cap, "%lld", (long long)round_half_even(row->value));
        return buf;
    case RV_UNIT_MONEY_PER_DAY:
        return rv_money_format(round_half_even(row->value), r->snap->cur_exp, buf, cap);
    default:
        /* the shortest text that reads back as the same double: a ratio
         * printed with fewer digits would be off by up to 5e-11 */
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(buf, cap, "%.*g", digits, row->value);
            if (strtod(buf, NULL) == row->value)
                break;
        }
        return buf;
    }
}

static void value_json(const rv_report *r, const rv_mrow *row, rv_jsonw *w)
{
    char buf[64];
    if (row->null)
        rv_jsonw_null(w);
    else
        rv_jsonw_raw_number(w, rv_report_value_text(r, row, buf, sizeof buf));
}

const rv_mrow *rv_report_rows(const rv_report *r, int *n)
{
    *n = r->q.ndims ? r->res.nrows : 1;
    return r->q.ndims ? r->res.rows : &r->res.total;
}

const rv_mrow *rv_report_previous(const rv_report *r, const rv_mrow *row)
{
    if (!r->compared)
        return NULL;
    if (!r->q.ndims)
        return &r->prev.total;
    for (int i = 0; i < r->prev.nrows; i++) {
        bool same = true;
        for (int k = 0; k < r->q.ndims; k++)
            same &= r->prev.rows[i].key[k] == row->key[k];
        if (same)
            return &r->prev.rows[i];
    }
    return NULL;
}

static void row_json(const rv_report *r, const rv_mrow *row, const rv_mrow *prev, rv_jsonw *w)
{
    const rv_metric_info *m = rv_metric_info_at(r->q.metric);
    char buf[256];
    rv_jsonw_obj_begin(w);
    for (int k = 0; k < r->q.ndims; k++) {
        rv_jsonw_key(w, rv_dims[r->q.dims[k]].name);
        rv_jsonw_str(w, rv_dim_label(r->snap, r->q.dims[k], row->key[k], buf, sizeof buf));
    }
    rv_jsonw_key(w, m->name);
    value_json(r, row, w);
    rv_jsonw_key(w, "records");
    rv_jsonw_int(w, row->rows);
    if (r->compared) {
        rv_jsonw_key(w, "previous");
        if (prev)
            value_json(r, prev, w);
        else
            rv_jsonw_null(w);
        rv_jsonw_key(w, "change");
        if (prev && !prev->null && !row->null && prev->value != 0)
            rv_jsonw_double(w, (row->value - prev->value) / fabs(prev->value));
        else
            rv_jsonw_null(w);
    }
    rv_jsonw_obj_end(w);
}

void rv_report_json_rows(const rv_report *r, rv_jsonw *w)
{
    int n;
    const rv_mrow *rows = rv_report_rows(r, &n);
    rv_jsonw_arr_begin(w);
    for (int i = 0; i < n; i++)
        row_json(r, &rows[i], rv_report_previous(r, &rows[i]), w);
    rv_jsonw_arr_end(w);
}

static void day_json(rv_jsonw *w, int32_t day)
{
    char buf[16];
    if (day == RV_DAY_NONE)
        rv_jsonw_null(w);
    else
        rv_jsonw_str(w, rv_date_format(day, buf, sizeof buf));
}

void rv_report_json(const rv_report *r, rv_jsonw *w)
{
    const rv_metric_info *m = rv_metric_info_at(r->q.metric);
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "metric");
    rv_jsonw_str(w, m->name);
    rv_jsonw_key(w, "label");
    rv_jsonw_str(w, m->label);
    rv_jsonw_key(w, "unit");
    rv_jsonw_str(w, rv_unit_name(m->unit));
    rv_jsonw_key(w, "currency");
    rv_jsonw_str(w, r->snap->currency);
    rv_jsonw_key(w, "by");
    rv_jsonw_arr_begin(w);
    for (int k = 0; k < r->q.ndims; k++)
        rv_jsonw_str(w, rv_dims[r->q.dims[k]].name);
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "from");
    day_json(w, r->res.from);
    rv_jsonw_key(w, "to"); /* inclusive */
    day_json(w, r->res.to == RV_DAY_NONE ? RV_DAY_NONE : r->res.to - 1);
    rv_jsonw_key(w, "data");
    rv_report_json_rows(r, w);
    rv_jsonw_key(w, "total");
    value_json(r, &r->res.total, w);
    rv_jsonw_key(w, "left_out");
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "records");
    rv_jsonw_int(w, r->left_out);
    rv_jsonw_key(w, "currencies");
    rv_jsonw_arr_begin(w);
    for (int k = 0; k < r->nleft_out; k++) {
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "currency");
        rv_jsonw_str(w, r->snap->dict[RV_DICT_CURRENCY].s[r->left_out_by[k].cur]);
        rv_jsonw_key(w, "records");
        rv_jsonw_int(w, r->left_out_by[k].records);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
}

const char *rv_report_left_out_text(const rv_report *r, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!r->left_out)
        return buf;
    const rv_entity *e = rv_entity_find(rv_metric_info_at(r->q.metric)->entity);
    size_t n = (size_t)snprintf(buf, cap, "%lld %s left out: no exchange rate into %s for",
                                (long long)r->left_out, r->left_out == 1 ? e->one : e->name,
                                r->snap->currency);
    for (int k = 0; k < r->nleft_out && n < cap; k++)
        n += (size_t)snprintf(buf + n, cap - n, "%s %s (%lld)", k ? "," : "",
                              r->snap->dict[RV_DICT_CURRENCY].s[r->left_out_by[k].cur],
                              (long long)r->left_out_by[k].records);
    return buf;
}

void rv_report_catalogue_json(rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "data");
    rv_jsonw_arr_begin(w);
    for (int i = 0; i < rv_metric_count; i++) {
        const rv_metric_info *m = rv_metric_info_at(i);
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "name");
        rv_jsonw_str(w, m->name);
        rv_jsonw_key(w, "label");
        rv_jsonw_str(w, m->label);
        rv_jsonw_key(w, "unit");
        rv_jsonw_str(w, rv_unit_name(m->unit));
        rv_jsonw_key(w, "entity");
        rv_jsonw_str(w, m->entity);
        rv_jsonw_key(w, "description");
        rv_jsonw_str(w, m->doc);
        rv_jsonw_key(w, "formula");
        rv_jsonw_str(w, m->formula);
        rv_jsonw_key(w, "higher_is_better");
        rv_jsonw_bool(w, m->higher_is_better);
        rv_jsonw_key(w, "records");
        const char *de = rv_metric_drill_entity(i);
        if (de)
            rv_jsonw_str(w, de);
        else
            rv_jsonw_null(w);
        rv_jsonw_key(w, "dimensions");
        rv_jsonw_arr_begin(w);
        for (int d = 0; d < RV_DIM_COUNT; d++)
            if (rv_metric_has_dim(i, (rv_dim)d))
                rv_jsonw_str(w, rv_dims[d].name);
        rv_jsonw_arr_end(w);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "dimensions");
    rv_jsonw_arr_begin(w);
    for (int d = 0; d < RV_DIM_COUNT; d++) {
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "name");
        rv_jsonw_str(w, rv_dims[d].name);
        rv_jsonw_key(w, "label");
        rv_jsonw_str(w, rv_dims[d].label);
        rv_jsonw_key(w, "description");
        rv_jsonw_str(w, rv_dims[d].doc);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
}

/* --- drill-down ------------------------------------------------------------------------- */

typedef struct drill_acc {
    int64_t *ids;
    int n, cap;
    const int64_t *idcol;
} drill_acc;

static int drill_row(void *ud, uint32_t row)
{
    drill_acc *d = ud;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 256;
        d->ids = rv_xrealloc(d->ids, (size_t)d->cap * sizeof *d->ids);
    }
    d->ids[d->n++] = d->idcol[row];
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct limited {
    rv_row_fn fn;
    void *ud;
    int left;
} limited;

static int limited_row(void *ud, const rv_record *r)
{
    limited *l = ud;
    if (l->left-- <= 0)
        return 1;
    return l->fn(l->ud, r);
}

rv_status rv_report_records(rv_ctx *c, const rv_report_req *req, int limit, rv_row_fn fn, void *ud,
                            const rv_entity **entity, int64_t *total, rv_err *err)
{
    rv_report r;
    memset(&r, 0, sizeof r);
    entry *e;
    rv_status st = acquire(c, &e, err);
    if (st)
        return st;
    r.hold = e;
    r.snap = e->snap;
    drill_acc d = {0};
    if ((st = build_query(r.snap, req, &r.q, err))) {
        rv_report_end(&r);
        return st;
    }
    const rv_entity *ent;
    if ((st = rv_report_drill_entity(req->metric, &ent, err))) {
        rv_report_end(&r);
        return st;
    }
    const char *ename = ent->name;
    const rv_snap *s = r.snap;
    d.idcol = !strcmp(ename, "deals") ? s->deals.id
              : !strcmp(ename, "leads") ? s->leads.id
              : !strcmp(ename, "subscriptions") ? s->subs.id
              : !strcmp(ename, "accounts") ? s->accounts.id
              : !strcmp(ename, "quotas") ? s->quotas.id
              : !strcmp(ename, "campaigns") ? s->campaigns.id
              : !strcmp(ename, "users") ? s->users.id
                                        : s->contacts.id;
    st = rv_metric_drill(s, &r.q, drill_row, &d, err);
    rv_report_end(&r);
    if (st) {
        free(d.ids);
        return st;
    }
    qsort(d.ids, (size_t)d.n, sizeof *d.ids, cmp_i64);
    /* the records, through the same access filter as every list */
    *entity = ent;
    rv_list_req lr = {.ent = ent, .limit = -1};
    rv_query q;
    if ((st = rv_svc_list_query(c, &lr, &q, err))) {
        free(d.ids);
        return st;
    }
    if (q.nfilters < RV_QUERY_MAX_FILTERS)
        q.filters[q.nfilters++] = (rv_filter){.field = RV_COL_ID, .op = RV_OP_IN, .ids = d.ids, .nids = d.n};
    q.limit = 0;
    if ((st = rv_store_count(c->store, &q, total, err))) {
        free(d.ids);
        return st;
    }
    limited l = {fn, ud, limit > 0 ? limit : 1000};
    st = rv_store_list(c->store, &q, limited_row, &l, err);
    free(d.ids);
    return st;
}

/* --- warnings ----------------------------------------------------------------------------- */

rv_status rv_report_warnings(rv_ctx *c, int (*fn)(void *ud, const rv_report_warning *w), void *ud,
                             rv_err *err)
{
    entry *e;
    rv_status st = acquire(c, &e, err);
    if (st)
        return st;
    const rv_snap *s = e->snap;
    uint8_t *mask = NULL;
    bool unowned = true;
    rv_warning *ws = NULL;
    int n = 0;
    rv_mquery q = {.from = RV_DAY_NONE, .to = RV_DAY_NONE};
    if (!(st = make_mask(c, s, "deals", &mask, &unowned, err))) {
        q.visible = mask;
        q.see_unowned = unowned;
        st = rv_warnings(s, &q, 3.0, &ws, &n, err);
    }
    for (int i = 0; !st && i < n; i++) {
        const rv_warning *x = &ws[i];
        char owner[256], msg[512];
        const int64_t *ids = !strcmp(x->entity, "deals") ? s->deals.id
                             : !strcmp(x->entity, "leads") ? s->leads.id
                             : !strcmp(x->entity, "users") ? s->users.id
                                                           : s->stages.id;
        rv_report_warning w = {
            .kind = rv_warn_name(x->kind),
            .severity = x->severity >= 3 ? "high" : x->severity == 2 ? "medium" : "low",
            .entity = x->entity,
            .record_id = ids[x->row],
            .owner = x->owner >= 0 ? rv_dim_label(s, RV_DIM_OWNER, x->owner, owner, sizeof owner) : NULL,
            .value = x->value,
            .limit = x->limit,
            .message = rv_warning_text(s, x, msg, sizeof msg),
        };
        if (fn(ud, &w))
            break;
    }
    free(ws);
    free(mask);
    pthread_rwlock_unlock(&e->lock);
    return st;
}

static int warning_json(void *ud, const rv_report_warning *x)
{
    rv_jsonw *w = ud;
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "kind");
    rv_jsonw_str(w, x->kind);
    rv_jsonw_key(w, "severity");
    rv_jsonw_str(w, x->severity);
    rv_jsonw_key(w, "entity");
    rv_jsonw_str(w, x->entity);
    rv_jsonw_key(w, "record_id");
    rv_jsonw_int(w, x->record_id);
    rv_jsonw_key(w, "owner");
    if (x->owner)
        rv_jsonw_str(w, x->owner);
    else
        rv_jsonw_null(w);
    rv_jsonw_key(w, "value");
    rv_jsonw_double(w, x->value);
    rv_jsonw_key(w, "limit");
    rv_jsonw_double(w, x->limit);
    rv_jsonw_key(w, "message");
    rv_jsonw_str(w, x->message);
    rv_jsonw_obj_end(w);
    return 0;
}

rv_status rv_report_warnings_json(rv_ctx *c, rv_jsonw *w, rv_err *err)
{
    /* a failure leaves a partial body: the server drops what was written */
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "data");
    rv_jsonw_arr_begin(w);
    rv_status st = rv_report_warnings(c, warning_json, w, err);
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
    return st;
}
