/*
 * snapshot.c - building and deriving analytics snapshots (snapshot.h).
 */
#include "engine/snapshot.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* --- memory ------------------------------------------------------------------ */

typedef struct col {
    void **p;
    size_t size;
} col;
#define C(x) {(void **)&(x), sizeof *(x)}

/* Make room for one more row in every column; returns the new row. */
static uint32_t add_row(uint32_t *n, uint32_t *cap, const col *c, int nc)
{
    if (*n == *cap) {
        uint32_t nc2 = *cap ? *cap * 2 : 256;
        for (int i = 0; i < nc; i++)
            *c[i].p = rv_xrealloc(*c[i].p, (size_t)nc2 * c[i].size);
        *cap = nc2;
    }
    return (*n)++;
}

static void free_cols(const col *c, int nc)
{
    for (int i = 0; i < nc; i++) {
        free(*c[i].p);
        *c[i].p = NULL;
    }
}

#define NC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The columns of each table, for growing and freeing. */
#define USERS_COLS(s) {C(s->users.id), C(s->users.manager), C(s->users.team), C(s->users.region), \
                       C(s->users.role), C(s->users.active), C(s->users.name)}
#define TEAMS_COLS(s) {C(s->teams.id), C(s->teams.parent), C(s->teams.region), C(s->teams.name)}
#define ACC_COLS(s) {C(s->accounts.id), C(s->accounts.owner), C(s->accounts.industry),              \
                     C(s->accounts.country), C(s->accounts.employees), C(s->accounts.q),            \
                     C(s->accounts.dupkey), C(s->accounts.first_won), C(s->accounts.name)}
#define CON_COLS(s) {C(s->contacts.id), C(s->contacts.owner), C(s->contacts.account),               \
                     C(s->contacts.q), C(s->contacts.dupkey)}
#define PROD_COLS(s) {C(s->products.id), C(s->products.family), C(s->products.price),               \
                      C(s->products.cost), C(s->products.name)}
#define CAMP_COLS(s) {C(s->campaigns.id), C(s->campaigns.owner), C(s->campaigns.channel),           \
                      C(s->campaigns.start), C(s->campaigns.end), C(s->campaigns.spend),            \
                      C(s->campaigns.name)}
#define PIPE_COLS(s) {C(s->pipelines.id), C(s->pipelines.name)}
#define STAGE_COLS(s) {C(s->stages.id), C(s->stages.pipeline), C(s->stages.position),               \
                       C(s->stages.stall_days), C(s->stages.kind), C(s->stages.prob),               \
                       C(s->stages.name)}
#define DEAL_COLS(s) {C(s->deals.id), C(s->deals.owner), C(s->deals.account), C(s->deals.pipeline), \
                      C(s->deals.stage), C(s->deals.campaign), C(s->deals.source),                  \
                      C(s->deals.amount), C(s->deals.list_amount), C(s->deals.close),               \
                      C(s->deals.created), C(s->deals.updated), C(s->deals.type), C(s->deals.q),    \
                      C(s->deals.dead), C(s->deals.prob), C(s->deals.pushes), C(s->deals.product),                    \
                      C(s->deals.stage_since), C(s->deals.last_touch), C(s->deals.max_pos),         \
                      C(s->deals.influenced), C(s->deals.cur), C(s->deals.fx_out)}
#define LINE_COLS(s) {C(s->lines.deal), C(s->lines.product), C(s->lines.value)}
#define HIST_COLS(s) {C(s->history.deal), C(s->history.stage), C(s->history.at), C(s->history.left)}
#define LEAD_COLS(s) {C(s->leads.id), C(s->leads.owner), C(s->leads.campaign), C(s->leads.source),  \
                      C(s->leads.deal), C(s->leads.status), C(s->leads.q), C(s->leads.dead),        \
                      C(s->leads.created), C(s->leads.first_touch), C(s->leads.mql),                \
                      C(s->leads.sql), C(s->leads.converted), C(s->leads.dupkey)}
#define ACT_COLS(s) {C(s->activities.owner), C(s->activities.deal), C(s->activities.day),           \
                     C(s->activities.kind)}
#define TOUCH_COLS(s) {C(s->touches.campaign), C(s->touches.lead), C(s->touches.deal),              \
                       C(s->touches.day)}
#define SUB_COLS(s) {C(s->subs.id), C(s->subs.account), C(s->subs.product), C(s->subs.start),       \
                     C(s->subs.end), C(s->subs.renewal), C(s->subs.mrr), C(s->subs.dead),          \
                     C(s->subs.cur), C(s->subs.fx_out)}
#define QUOTA_COLS(s) {C(s->quotas.id), C(s->quotas.user), C(s->quotas.start), C(s->quotas.end),    \
                       C(s->quotas.amount), C(s->quotas.dead), C(s->quotas.cur),                    \
                       C(s->quotas.fx_out)}
#define FX_COLS(s) {C(s->fx.cur), C(s->fx.day), C(s->fx.rate)}

/* --- dictionaries and id maps ---------------------------------------------------- */

int32_t rv_dict_code(rv_dict *d, const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len)
        return RV_NONE;
    int64_t v;
    if (rv_map_get(&d->map, s, len, &v))
        return (int32_t)v;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->s = rv_xrealloc(d->s, (size_t)d->cap * sizeof *d->s);
    }
    char *copy = rv_xmalloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    d->s[d->n] = copy;
    rv_map_put(&d->map, copy, len, d->n);
    return d->n++;
}

static uint32_t mix(int64_t id)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}

void rv_idmap_put(rv_idmap *m, int64_t id, int32_t idx)
{
    if ((m->n + 1) * 2 > m->cap) {
        uint32_t nc = m->cap ? m->cap * 2 : 1024;
        int64_t *k = rv_xmalloc((size_t)nc * sizeof *k);
        int32_t *v = rv_xmalloc((size_t)nc * sizeof *v);
        for (uint32_t i = 0; i < nc; i++)
            v[i] = RV_NONE;
        for (uint32_t i = 0; i < m->cap; i++) {
            if (m->vals[i] == RV_NONE)
                continue;
            uint32_t h = mix(m->keys[i]) & (nc - 1);
            while (v[h] != RV_NONE)
                h = (h + 1) & (nc - 1);
            k[h] = m->keys[i];
            v[h] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = k;
        m->vals = v;
        m->cap = nc;
    }
    uint32_t h = mix(id) & (m->cap - 1);
    while (m->vals[h] != RV_NONE && m->keys[h] != id)
        h = (h + 1) & (m->cap - 1);
    if (m->vals[h] == RV_NONE)
        m->n++;
    m->keys[h] = id;
    m->vals[h] = idx;
}

int32_t rv_idmap_get(const rv_idmap *m, int64_t id)
{
    if (!m->cap)
        return RV_NONE;
    uint32_t h = mix(id) & (m->cap - 1);
    while (m->vals[h] != RV_NONE) {
        if (m->keys[h] == id)
            return m->vals[h];
        h = (h + 1) & (m->cap - 1);
    }
    return RV_NONE;
}

void rv_idmap_free(rv_idmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

uint64_t rv_snap_key(const char *s, size_t len)
{
    /* FNV-1a over the lower-cased letters and digits only */
    uint64_t h = 1469598103934665603ull;
    bool any = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c < 0x80)
            continue;
        h ^= (uint64_t)tolower(c);
        h *= 1099511628211ull;
        any = true;
    }
    return any ? (h ? h : 1) : 0;
}

/* --- life cycle ---------------------------------------------------------------- */

typedef struct snap_mem {
    rv_snap s;
    rv_arena arena;
} snap_mem;

rv_snap *rv_snap_new(int32_t today, int64_t now_ms)
{
    snap_mem *m = rv_xcalloc(1, sizeof *m);
    rv_arena_init(&m->arena, 1 << 16);
    rv_snap *s = &m->s;
    s->today = today;
    s->now_ms = now_ms;
    s->fy_start = 1;
    memcpy(s->currency, "USD", 4);
    s->cur_exp = 2;
    s->sla_minutes = 60;
    s->stale_days = 30;
    for (int i = 0; i < RV_DICT_N; i++)
        rv_map_init(&s->dict[i].map);
    s->history.sorted = true;
    return s;
}

char *rv_snap_strdup(rv_snap *s, const char *t, size_t len)
{
    snap_mem *m = (snap_mem *)s;
    return rv_arena_strndup(&m->arena, t ? t : "", t ? len : 0);
}

void rv_snap_free(rv_snap *s)
{
    if (!s)
        return;
    for (int i = 0; i < RV_DICT_N; i++) {
        for (int32_t k = 0; k < s->dict[i].n; k++)
            free(s->dict[i].s[k]);
        free(s->dict[i].s);
        rv_map_release(&s->dict[i].map);
    }
    col a[] = USERS_COLS(s), b[] = TEAMS_COLS(s), c[] = ACC_COLS(s), d[] = CON_COLS(s),
        e[] = PROD_COLS(s), f[] = CAMP_COLS(s), g[] = PIPE_COLS(s), h[] = STAGE_COLS(s),
        i[] = DEAL_COLS(s), j[] = LINE_COLS(s), k[] = HIST_COLS(s), l[] = LEAD_COLS(s),
        m[] = ACT_COLS(s), n[] = TOUCH_COLS(s), o[] = SUB_COLS(s), p[] = QUOTA_COLS(s),
        x[] = FX_COLS(s);
    free_cols(a, NC(a)), free_cols(b, NC(b)), free_cols(c, NC(c)), free_cols(d, NC(d));
    free_cols(e, NC(e)), free_cols(f, NC(f)), free_cols(g, NC(g)), free_cols(h, NC(h));
    free_cols(i, NC(i)), free_cols(j, NC(j)), free_cols(k, NC(k)), free_cols(l, NC(l));
    free_cols(m, NC(m)), free_cols(n, NC(n)), free_cols(o, NC(o)), free_cols(p, NC(p));
    free_cols(x, NC(x));
    rv_idmap *maps[] = {&s->users.ix, &s->teams.ix, &s->accounts.ix, &s->contacts.ix,
                        &s->products.ix, &s->campaigns.ix, &s->pipelines.ix, &s->stages.ix,
                        &s->deals.ix, &s->leads.ix, &s->subs.ix, &s->quotas.ix};
    for (size_t q = 0; q < sizeof maps / sizeof maps[0]; q++)
        rv_idmap_free(maps[q]);
    snap_mem *mem = (snap_mem *)s;
    rv_arena_release(&mem->arena);
    free(mem);
}

/* --- appending rows -------------------------------------------------------------- */

uint32_t rv_snap_add_user(rv_snap *s, int64_t id)
{
    col c[] = USERS_COLS(s);
    uint32_t i = add_row(&s->users.n, &s->users.cap, c, NC(c));
    s->users.id[i] = id;
    s->users.manager[i] = s->users.team[i] = s->users.region[i] = RV_NONE;
    s->users.role[i] = 0;
    s->users.active[i] = 1;
    s->users.name[i] = NULL;
    rv_idmap_put(&s->users.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_team(rv_snap *s, int64_t id)
{
    col c[] = TEAMS_COLS(s);
    uint32_t i = add_row(&s->teams.n, &s->teams.cap, c, NC(c));
    s->teams.id[i] = id;
    s->teams.parent[i] = s->teams.region[i] = RV_NONE;
    s->teams.name[i] = NULL;
    rv_idmap_put(&s->teams.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_account(rv_snap *s, int64_t id)
{
    col c[] = ACC_COLS(s);
    uint32_t i = add_row(&s->accounts.n, &s->accounts.cap, c, NC(c));
    s->accounts.id[i] = id;
    s->accounts.owner[i] = s->accounts.industry[i] = s->accounts.country[i] = RV_NONE;
    s->accounts.employees[i] = RV_NONE;
    s->accounts.q[i] = 0;
    s->accounts.dupkey[i] = 0;
    s->accounts.first_won[i] = RV_DAY_NONE;
    s->accounts.name[i] = NULL;
    rv_idmap_put(&s->accounts.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_contact(rv_snap *s, int64_t id)
{
    col c[] = CON_COLS(s);
    uint32_t i = add_row(&s->contacts.n, &s->contacts.cap, c, NC(c));
    s->contacts.id[i] = id;
    s->contacts.owner[i] = s->contacts.account[i] = RV_NONE;
    s->contacts.q[i] = 0;
    s->contacts.dupkey[i] = 0;
    rv_idmap_put(&s->contacts.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_product(rv_snap *s, int64_t id)
{
    col c[] = PROD_COLS(s);
    uint32_t i = add_row(&s->products.n, &s->products.cap, c, NC(c));
    s->products.id[i] = id;
    s->products.family[i] = RV_NONE;
    s->products.price[i] = s->products.cost[i] = 0;
    s->products.name[i] = NULL;
    rv_idmap_put(&s->products.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_campaign(rv_snap *s, int64_t id)
{
    col c[] = CAMP_COLS(s);
    uint32_t i = add_row(&s->campaigns.n, &s->campaigns.cap, c, NC(c));
    s->campaigns.id[i] = id;
    s->campaigns.owner[i] = s->campaigns.channel[i] = RV_NONE;
    s->campaigns.start[i] = s->campaigns.end[i] = RV_DAY_NONE;
    s->campaigns.spend[i] = 0;
    s->campaigns.name[i] = NULL;
    rv_idmap_put(&s->campaigns.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_pipeline(rv_snap *s, int64_t id)
{
    col c[] = PIPE_COLS(s);
    uint32_t i = add_row(&s->pipelines.n, &s->pipelines.cap, c, NC(c));
    s->pipelines.id[i] = id;
    s->pipelines.name[i] = NULL;
    rv_idmap_put(&s->pipelines.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_stage(rv_snap *s, int64_t id)
{
    col c[] = STAGE_COLS(s);
    uint32_t i = add_row(&s->stages.n, &s->stages.cap, c, NC(c));
    s->stages.id[i] = id;
    s->stages.pipeline[i] = RV_NONE;
    s->stages.position[i] = 0;
    s->stages.stall_days[i] = RV_NONE;
    s->stages.kind[i] = RV_STAGE_OPEN;
    s->stages.prob[i] = 0;
    s->stages.name[i] = NULL;
    rv_idmap_put(&s->stages.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_deal(rv_snap *s, int64_t id)
{
    col c[] = DEAL_COLS(s);
    uint32_t i = add_row(&s->deals.n, &s->deals.cap, c, NC(c));
    s->deals.id[i] = id;
    s->deals.owner[i] = s->deals.account[i] = s->deals.pipeline[i] = s->deals.stage[i] = RV_NONE;
    s->deals.campaign[i] = s->deals.source[i] = s->deals.product[i] = RV_NONE;
    s->deals.amount[i] = s->deals.list_amount[i] = 0;
    s->deals.close[i] = s->deals.created[i] = s->deals.updated[i] = RV_DAY_NONE;
    s->deals.stage_since[i] = s->deals.last_touch[i] = RV_DAY_NONE;
    s->deals.max_pos[i] = RV_NONE;
    s->deals.type[i] = s->deals.q[i] = s->deals.dead[i] = s->deals.influenced[i] = 0;
    s->deals.pushes[i] = 0;
    s->deals.prob[i] = RV_PROB_STAGE;
    s->deals.cur[i] = RV_NONE;
    s->deals.fx_out[i] = 0;
    rv_idmap_put(&s->deals.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_line(rv_snap *s)
{
    col c[] = LINE_COLS(s);
    uint32_t i = add_row(&s->lines.n, &s->lines.cap, c, NC(c));
    s->lines.deal[i] = s->lines.product[i] = RV_NONE;
    s->lines.value[i] = 0;
    return i;
}

uint32_t rv_snap_add_history(rv_snap *s)
{
    col c[] = HIST_COLS(s);
    uint32_t i = add_row(&s->history.n, &s->history.cap, c, NC(c));
    s->history.deal[i] = s->history.stage[i] = RV_NONE;
    s->history.at[i] = s->history.left[i] = RV_MS_NONE;
    s->history.sorted = false;
    return i;
}

uint32_t rv_snap_add_lead(rv_snap *s, int64_t id)
{
    col c[] = LEAD_COLS(s);
    uint32_t i = add_row(&s->leads.n, &s->leads.cap, c, NC(c));
    s->leads.id[i] = id;
    s->leads.owner[i] = s->leads.campaign[i] = s->leads.source[i] = s->leads.deal[i] = RV_NONE;
    s->leads.status[i] = s->leads.q[i] = s->leads.dead[i] = 0;
    s->leads.created[i] = s->leads.first_touch[i] = s->leads.mql[i] = RV_MS_NONE;
    s->leads.sql[i] = s->leads.converted[i] = RV_MS_NONE;
    s->leads.dupkey[i] = 0;
    rv_idmap_put(&s->leads.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_activity(rv_snap *s)
{
    col c[] = ACT_COLS(s);
    uint32_t i = add_row(&s->activities.n, &s->activities.cap, c, NC(c));
    s->activities.owner[i] = s->activities.deal[i] = RV_NONE;
    s->activities.day[i] = RV_DAY_NONE;
    s->activities.kind[i] = 0;
    return i;
}

uint32_t rv_snap_add_touch(rv_snap *s)
{
    col c[] = TOUCH_COLS(s);
    uint32_t i = add_row(&s->touches.n, &s->touches.cap, c, NC(c));
    s->touches.campaign[i] = s->touches.lead[i] = s->touches.deal[i] = RV_NONE;
    s->touches.day[i] = RV_DAY_NONE;
    return i;
}

uint32_t rv_snap_add_sub(rv_snap *s, int64_t id)
{
    col c[] = SUB_COLS(s);
    uint32_t i = add_row(&s->subs.n, &s->subs.cap, c, NC(c));
    s->subs.id[i] = id;
    s->subs.account[i] = s->subs.product[i] = RV_NONE;
    s->subs.start[i] = s->subs.end[i] = s->subs.renewal[i] = RV_DAY_NONE;
    s->subs.mrr[i] = 0;
    s->subs.dead[i] = 0;
    s->subs.cur[i] = RV_NONE;
    s->subs.fx_out[i] = 0;
    rv_idmap_put(&s->subs.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_quota(rv_snap *s, int64_t id)
{
    col c[] = QUOTA_COLS(s);
    uint32_t i = add_row(&s->quotas.n, &s->quotas.cap, c, NC(c));
    s->quotas.id[i] = id;
    s->quotas.user[i] = RV_NONE;
    s->quotas.start[i] = s->quotas.end[i] = RV_DAY_NONE;
    s->quotas.amount[i] = 0;
    s->quotas.dead[i] = 0;
    s->quotas.cur[i] = RV_NONE;
    s->quotas.fx_out[i] = 0;
    rv_idmap_put(&s->quotas.ix, id, (int32_t)i);
    return i;
}

uint32_t rv_snap_add_fx(rv_snap *s)
{
    col c[] = FX_COLS(s);
    uint32_t i = add_row(&s->fx.n, &s->fx.cap, c, NC(c));
    s->fx.cur[i] = RV_NONE;
    s->fx.day[i] = RV_DAY_NONE;
    s->fx.rate[i] = 0;
    return i;
}

/* by (cur, day): insertion sort, rates are a few hundred rows at most */
void rv_snap_fx_sort(rv_snap *s)
{
    for (uint32_t i = 1; i < s->fx.n; i++) {
        int32_t c = s->fx.cur[i], d = s->fx.day[i];
        int64_t r = s->fx.rate[i];
        uint32_t j = i;
        for (; j > 0 && (s->fx.cur[j - 1] > c || (s->fx.cur[j - 1] == c && s->fx.day[j - 1] > d)); j--) {
            s->fx.cur[j] = s->fx.cur[j - 1];
            s->fx.day[j] = s->fx.day[j - 1];
            s->fx.rate[j] = s->fx.rate[j - 1];
        }
        s->fx.cur[j] = c, s->fx.day[j] = d, s->fx.rate[j] = r;
    }
}

bool rv_snap_fx_rate(const rv_snap *s, int32_t cur, int32_t day, int64_t *rate)
{
    /* the first row after (cur, day), then one back */
    uint32_t lo = 0, hi = s->fx.n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (s->fx.cur[mid] < cur || (s->fx.cur[mid] == cur && s->fx.day[mid] <= day))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || s->fx.cur[lo - 1] != cur || day == RV_DAY_NONE)
        return false;
    *rate = s->fx.rate[lo - 1];
    return true;
}

/* --- deriving -------------------------------------------------------------------- */

/* Sort stage history by (deal, at, original order) with a counting sort on
 * the deal and an insertion sort inside each deal (a deal has a handful
 * of rows). */
static void sort_history(rv_snap *s)
{
    uint32_t n = s->history.n, nd = s->deals.n;
    uint32_t *start = rv_xcalloc((size_t)nd + 2, sizeof *start);
    for (uint32_t i = 0; i < n; i++)
        start[s->history.deal[i] + 2]++; /* RV_NONE (-1) lands in bucket 1 */
    for (uint32_t d = 1; d < nd + 2; d++)
        start[d] += start[d - 1];
    int32_t *deal = rv_xmalloc((size_t)n * sizeof *deal), *stage = rv_xmalloc((size_t)n * sizeof *stage);
    int64_t *at = rv_xmalloc((size_t)n * sizeof *at);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = start[s->history.deal[i] + 1]++;
        deal[k] = s->history.deal[i];
        stage[k] = s->history.stage[i];
        at[k] = s->history.at[i];
    }
    for (uint32_t i = 1; i < n; i++) {
        uint32_t j = i;
        while (j > 0 && deal[j - 1] == deal[j] && at[j - 1] > at[j]) {
            int32_t td = stage[j];
            stage[j] = stage[j - 1], stage[j - 1] = td;
            int64_t ta = at[j];
            at[j] = at[j - 1], at[j - 1] = ta;
            j--;
        }
    }
    free(s->history.deal), free(s->history.stage), free(s->history.at);
    s->history.deal = deal, s->history.stage = stage, s->history.at = at;
    s->history.left = rv_xrealloc(s->history.left, (size_t)(n ? n : 1) * sizeof *s->history.left);
    s->history.cap = n;
    free(start);
    s->history.sorted = true;
}

static void widen(rv_snap *s, int32_t d)
{
    if (d == RV_DAY_NONE)
        return;
    if (s->min_day == RV_DAY_NONE || d < s->min_day)
        s->min_day = d;
    if (s->max_day == RV_DAY_NONE || d > s->max_day)
        s->max_day = d;
}

#define POS_WON 1000000

void rv_snap_finish(rv_snap *s)
{
    if (!s->history.sorted)
        sort_history(s);
    uint32_t nh = s->history.n, nd = s->deals.n;
    for (uint32_t i = 0; i < nh; i++)
        s->history.left[i] =
            i + 1 < nh && s->history.deal[i + 1] == s->history.deal[i] ? s->history.at[i + 1] : RV_MS_NONE;

    /* per deal: primary product, stage entry day, furthest position, last touch */
    int64_t *best = rv_xmalloc((size_t)(nd ? nd : 1) * sizeof *best);
    for (uint32_t d = 0; d < nd; d++) {
        best[d] = -1;
        s->deals.product[d] = RV_NONE;
        s->deals.influenced[d] = 0;
        s->deals.last_touch[d] = s->deals.updated[d];
        s->deals.stage_since[d] = s->deals.created[d];
        int32_t st = s->deals.stage[d];
        s->deals.max_pos[d] = st < 0 ? RV_NONE
                              : s->stages.kind[st] == RV_STAGE_WON ? POS_WON
                              : s->stages.kind[st] == RV_STAGE_OPEN ? s->stages.position[st]
                                                                    : RV_NONE;
    }
    for (uint32_t i = 0; i < s->lines.n; i++) {
        int32_t d = s->lines.deal[i];
        if (d >= 0 && s->lines.value[i] > best[d]) {
            best[d] = s->lines.value[i];
            s->deals.product[d] = s->lines.product[i];
        }
    }
    free(best);
    for (uint32_t i = 0; i < nh; i++) {
        int32_t d = s->history.deal[i], st = s->history.stage[i];
        if (d < 0 || st < 0)
            continue;
        if (st == s->deals.stage[d] && s->history.left[i] == RV_MS_NONE)
            s->deals.stage_since[d] = rv_snap_day(s->history.at[i]);
        int32_t pos = s->stages.kind[st] == RV_STAGE_WON ? POS_WON
                      : s->stages.kind[st] == RV_STAGE_OPEN ? s->stages.position[st]
                                                            : RV_NONE;
        if (pos > s->deals.max_pos[d])
            s->deals.max_pos[d] = pos;
    }
    for (uint32_t i = 0; i < s->activities.n; i++) {
        int32_t d = s->activities.deal[i], day = s->activities.day[i];
        if (d >= 0 && day != RV_DAY_NONE && day <= s->today &&
            (s->deals.last_touch[d] == RV_DAY_NONE || day > s->deals.last_touch[d]))
            s->deals.last_touch[d] = day;
    }
    for (uint32_t i = 0; i < s->touches.n; i++)
        if (s->touches.deal[i] >= 0 && s->touches.campaign[i] >= 0)
            s->deals.influenced[s->touches.deal[i]] = 1;

    /* per account: the day of its first won deal */
    for (uint32_t a = 0; a < s->accounts.n; a++)
        s->accounts.first_won[a] = RV_DAY_NONE;
    for (uint32_t d = 0; d < nd; d++) {
        int32_t a = s->deals.account[d], st = s->deals.stage[d], c = s->deals.close[d];
        if (s->deals.dead[d] || a < 0 || st < 0 || s->stages.kind[st] != RV_STAGE_WON || c == RV_DAY_NONE)
            continue;
        if (s->accounts.first_won[a] == RV_DAY_NONE || c < s->accounts.first_won[a])
            s->accounts.first_won[a] = c;
    }

    /* the range of dates, for period dimensions */
    s->min_day = s->max_day = RV_DAY_NONE;
    widen(s, s->today);
    for (uint32_t d = 0; d < nd; d++)
        widen(s, s->deals.close[d]), widen(s, s->deals.created[d]);
    for (uint32_t i = 0; i < s->leads.n; i++)
        widen(s, rv_snap_day(s->leads.created[i]));
    for (uint32_t i = 0; i < s->activities.n; i++)
        widen(s, s->activities.day[i]);
    for (uint32_t i = 0; i < s->subs.n; i++)
        widen(s, s->subs.start[i]), widen(s, s->subs.end[i]), widen(s, s->subs.renewal[i]);
    for (uint32_t i = 0; i < s->quotas.n; i++)
        widen(s, s->quotas.start[i]), widen(s, s->quotas.end[i]);
    for (uint32_t i = 0; i < s->campaigns.n; i++)
        widen(s, s->campaigns.start[i]);
}
