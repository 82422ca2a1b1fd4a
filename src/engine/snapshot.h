/*
 * snapshot.h - the in-memory picture of a database that analytics run on.
 *
 * A snapshot holds, for every record the metrics need, only the columns
 * they read, as struct-of-arrays: one array per column, one slot per row,
 * so that a metric is a tight loop over a few arrays.  References are
 * already resolved to row indexes (RV_NONE when empty or pointing
 * nowhere), text that metrics group by is dictionary-coded, money is int64
 * minor units of the display currency (money in another currency is
 * converted by the loader at the rate of `fx` in effect on its day, or
 * left out and flagged in fx_out: docs/metrics.md), dates are days since
 * 1970 and instants unix ms.
 *
 * The engine does no I/O: the service layer (service/report.c) fills a
 * snapshot from the store, table by table, through the append functions
 * below, then calls rv_snap_finish() to derive what metrics share (each
 * deal's stage visits, the day it entered its current stage, its primary
 * product, an account's first won deal, ...).  A finished snapshot is
 * read-only and may be shared by any number of threads.
 *
 * Rows can be changed in place after finish (an updated deal) or removed
 * (the `dead` flag); rv_snap_finish() is then called again to re-derive.
 */
#ifndef RV_SNAPSHOT_H
#define RV_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/map.h"

#define RV_NONE (-1)
#define RV_DAY_NONE INT32_MIN
#define RV_MS_NONE INT64_MIN
#define RV_PROB_STAGE 255

/* Dictionaries of text that metrics group by. */
enum {
    RV_DICT_REGION, RV_DICT_INDUSTRY, RV_DICT_COUNTRY, RV_DICT_SOURCE, RV_DICT_CHANNEL,
    RV_DICT_CURRENCY, /* currencies other than the display currency */
    RV_DICT_N
};

typedef struct rv_dict {
    rv_map map; /* text -> code */
    char **s;   /* code -> text */
    int32_t n, cap;
} rv_dict;

/* Code of text s (len bytes), added when new; RV_NONE for empty text. */
int32_t rv_dict_code(rv_dict *d, const char *s, size_t len);

/* int64 id -> row index, open addressing. */
typedef struct rv_idmap {
    int64_t *keys;
    int32_t *vals;
    uint32_t cap, n;
} rv_idmap;

void rv_idmap_put(rv_idmap *m, int64_t id, int32_t idx);
int32_t rv_idmap_get(const rv_idmap *m, int64_t id); /* RV_NONE if absent */
void rv_idmap_free(rv_idmap *m);

/* Data-quality bits, per entity (rv_quality_fields in metrics.c names them). */
enum {
    RV_Q_DEAL_AMOUNT = 1u << 0, RV_Q_DEAL_CLOSE = 1u << 1, RV_Q_DEAL_ACCOUNT = 1u << 2,
    RV_Q_DEAL_NEXT_STEP = 1u << 3, RV_Q_DEAL_SOURCE = 1u << 4,
};
enum {
    RV_Q_ACC_DOMAIN = 1u << 0, RV_Q_ACC_INDUSTRY = 1u << 1, RV_Q_ACC_EMPLOYEES = 1u << 2,
    RV_Q_ACC_COUNTRY = 1u << 3, RV_Q_ACC_OWNER = 1u << 4,
    RV_Q_ACC_BAD_DOMAIN = 1u << 5, RV_Q_ACC_BAD_PHONE = 1u << 6,
};
enum {
    RV_Q_PERSON_EMAIL = 1u << 0, RV_Q_PERSON_PHONE = 1u << 1, RV_Q_PERSON_TITLE = 1u << 2,
    RV_Q_PERSON_COMPANY = 1u << 3, /* contacts: account set; leads: company typed */
    RV_Q_PERSON_SOURCE = 1u << 4,
    RV_Q_PERSON_BAD_PHONE = 1u << 5, RV_Q_PERSON_BAD_EMAIL = 1u << 6,
};

/* Stage kinds and forecast categories, in entity.c's enum order. */
enum { RV_STAGE_OPEN, RV_STAGE_WON, RV_STAGE_LOST };
enum { RV_LEAD_NEW, RV_LEAD_WORKING, RV_LEAD_MQL, RV_LEAD_SQL, RV_LEAD_CONVERTED, RV_LEAD_DISQUALIFIED };

typedef struct rv_snap {
    /* settings and clock */
    int32_t today;     /* the day reports are computed for */
    int64_t now_ms;
    int fy_start;      /* first month of the fiscal year, 1..12 */
    char currency[4];  /* display currency */
    int cur_exp;       /* its minor-unit exponent */
    int sla_minutes;   /* follow-up SLA for new leads */
    int stale_days;    /* a deal untouched this long counts as not adopted */
    rv_dict dict[RV_DICT_N];
    int32_t min_day, max_day; /* range of every date in the snapshot */

    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *manager, *team, *region;
        uint8_t *role, *active;
        char **name;
        rv_idmap ix;
    } users;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *parent, *region;
        char **name;
        rv_idmap ix;
    } teams;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *owner, *industry, *country, *employees; /* employees RV_NONE: unknown */
        uint8_t *q;                                       /* RV_Q_ACC_* */
        uint64_t *dupkey;                                 /* 0: none */
        int32_t *first_won;                               /* derived: day of first won deal */
        char **name;
        rv_idmap ix;
    } accounts;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *owner, *account;
        uint8_t *q;
        uint64_t *dupkey;
        rv_idmap ix;
    } contacts;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *family;
        int64_t *price, *cost;
        char **name;
        rv_idmap ix;
    } products;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *owner, *channel, *start, *end;
        int64_t *spend;
        char **name;
        rv_idmap ix;
    } campaigns;
    struct {
        uint32_t n, cap;
        int64_t *id;
        char **name;
        rv_idmap ix;
    } pipelines;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *pipeline, *position, *stall_days; /* stall_days RV_NONE: no limit */
        uint8_t *kind, *prob;
        char **name;
        rv_idmap ix;
    } stages;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *owner, *account, *pipeline, *stage, *campaign, *source;
        int64_t *amount, *list_amount; /* 0 when empty (q tells) */
        int32_t *close, *created, *updated;
        uint8_t *type, *q, *dead;
        uint8_t *prob;    /* percent; RV_PROB_STAGE: the stage's */
        uint16_t *pushes; /* times the close date moved later */
        /* derived by rv_snap_finish */
        int32_t *product;     /* product of the largest line */
        int32_t *stage_since; /* day it entered its current stage */
        int32_t *last_touch;  /* latest of updated and its activities */
        int32_t *max_pos;     /* furthest open position reached; won = past the last */
        uint8_t *influenced;  /* a campaign touch names it */
        /* money in another currency: cur its RV_DICT_CURRENCY code
         * (RV_NONE: the display currency), fx_out 1 when no rate was in
         * effect, so amount and list_amount are 0 (left out) */
        int32_t *cur;
        uint8_t *fx_out;
        rv_idmap ix;
    } deals;
    struct { /* deal_products */
        uint32_t n, cap;
        int32_t *deal, *product;
        int64_t *value;
    } lines;
    struct { /* stage_history, sorted by (deal, at) by rv_snap_finish */
        uint32_t n, cap;
        int32_t *deal, *stage;
        int64_t *at;
        int64_t *left; /* derived: when the deal moved on (RV_MS_NONE: still there) */
        bool sorted;
    } history;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *owner, *campaign, *source, *deal;
        uint8_t *status, *q, *dead;
        int64_t *created, *first_touch, *mql, *sql, *converted;
        uint64_t *dupkey;
        rv_idmap ix;
    } leads;
    struct {
        uint32_t n, cap;
        int32_t *owner, *deal;
        int32_t *day; /* done day, RV_DAY_NONE while open */
        uint8_t *kind;
    } activities;
    struct {
        uint32_t n, cap;
        int32_t *campaign, *lead, *deal, *day;
    } touches;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *account, *product, *start, *end, *renewal; /* end RV_DAY_NONE: running */
        int64_t *mrr;
        uint8_t *dead;
        int32_t *cur; /* as deals.cur, deals.fx_out */
        uint8_t *fx_out;
        rv_idmap ix;
    } subs;
    struct {
        uint32_t n, cap;
        int64_t *id;
        int32_t *user, *start, *end;
        int64_t *amount;
        uint8_t *dead;
        int32_t *cur; /* as deals.cur, deals.fx_out */
        uint8_t *fx_out;
        rv_idmap ix;
    } quotas;
    struct { /* exchange rates into the display currency, by (cur, day) after rv_snap_fx_sort */
        uint32_t n, cap;
        int32_t *cur, *day; /* RV_DICT_CURRENCY code; first day in effect */
        int64_t *rate;      /* x RV_RATE_SCALE (model/money.h) */
    } fx;
} rv_snap;

/* A new, empty snapshot for `today` (days since 1970) and now_ms. */
rv_snap *rv_snap_new(int32_t today, int64_t now_ms);
void rv_snap_free(rv_snap *s);

/* Append one row to a table of the snapshot and return its index: every
 * column array of that table gains a slot, filled with RV_NONE for
 * references, RV_DAY_NONE / RV_MS_NONE for dates and instants and 0 for
 * the rest, that the caller then sets.  Rows with an id are found again
 * through the table's ix map. */
uint32_t rv_snap_add_user(rv_snap *s, int64_t id);
uint32_t rv_snap_add_team(rv_snap *s, int64_t id);
uint32_t rv_snap_add_account(rv_snap *s, int64_t id);
uint32_t rv_snap_add_contact(rv_snap *s, int64_t id);
uint32_t rv_snap_add_product(rv_snap *s, int64_t id);
uint32_t rv_snap_add_campaign(rv_snap *s, int64_t id);
uint32_t rv_snap_add_pipeline(rv_snap *s, int64_t id);
uint32_t rv_snap_add_stage(rv_snap *s, int64_t id);
uint32_t rv_snap_add_deal(rv_snap *s, int64_t id);
uint32_t rv_snap_add_line(rv_snap *s);
uint32_t rv_snap_add_history(rv_snap *s);
uint32_t rv_snap_add_lead(rv_snap *s, int64_t id);
uint32_t rv_snap_add_activity(rv_snap *s);
uint32_t rv_snap_add_touch(rv_snap *s);
uint32_t rv_snap_add_sub(rv_snap *s, int64_t id);
uint32_t rv_snap_add_quota(rv_snap *s, int64_t id);
uint32_t rv_snap_add_fx(rv_snap *s);

/* Sort the exchange rates once they are all added. */
void rv_snap_fx_sort(rv_snap *s);
/* The rate of currency cur (RV_DICT_CURRENCY code) in effect on day: the
 * one with the latest first day on or before day.  False when there is
 * none (no rate, or only later ones). */
bool rv_snap_fx_rate(const rv_snap *s, int32_t cur, int32_t day, int64_t *rate);

/* Interned copy of text in the snapshot's memory (names). */
char *rv_snap_strdup(rv_snap *s, const char *t, size_t len);

/* Derive the shared columns (see the struct) and the date range; call
 * after loading and after changing rows in place. */
void rv_snap_finish(rv_snap *s);

/* Day of a unix-ms instant (UTC). */
static inline int32_t rv_snap_day(int64_t ms)
{
    if (ms == RV_MS_NONE)
        return RV_DAY_NONE;
    return (int32_t)(ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000));
}

/* Hash of normalised text for duplicate keys (0 is never returned). */
uint64_t rv_snap_key(const char *s, size_t len);

#endif
