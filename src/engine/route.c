/*
 * route.c - lead routing decisions.  See route.h for the rules, the
 * eligibility test and the choice methods, written out.
 */
#include "engine/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const method_names[] = {"round_robin", "lowest_count", "load_balance", "best_rep"};
static const char *const op_names[] = {"eq",  "ne",      "contains", "in",     "gte",
                                       "lte", "present", "any",      "between"};

static int parse_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return -1;
}

int rv_route_method_parse(const char *s) { return parse_name(method_names, 4, s); }
int rv_route_op_parse(const char *s) { return parse_name(op_names, 9, s); }
const char *rv_route_method_name(rv_route_method m)
{
    return (unsigned)m < 4 ? method_names[m] : "?";
}

/* Trimmed [s, s+n) equals t (case-insensitive ASCII)? */
static bool eq_trim(const char *s, size_t n, const char *t)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return strlen(t) == n && !strncasecmp(s, t, n);
}

static bool contains_fold(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (!strncasecmp(p, needle, n))
            return true;
    return n == 0;
}

static bool as_number(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return false;
    *out = strtod(s, &end);
    return *end == '\0';
}

bool rv_route_rule_test(rv_route_op op, const char *arg, const char *value)
{
    const char *a = arg ? arg : "";
    double x, y;
    switch (op) {
    case RV_RO_ANY: return true;
    case RV_RO_PRESENT: return value && *value;
    case RV_RO_EQ: return value && eq_trim(a, strlen(a), value);
    case RV_RO_NE: return !value || !eq_trim(a, strlen(a), value);
    case RV_RO_CONTAINS: return value && contains_fold(value, a);
    case RV_RO_IN:
        if (!value)
            return false;
        for (const char *p = a;;) {
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            if (eq_trim(p, n, value))
                return true;
            if (!c)
                return false;
            p = c + 1;
        }
    case RV_RO_GTE: return as_number(value, &x) && as_number(a, &y) && x >= y;
    case RV_RO_LTE: return as_number(value, &x) && as_number(a, &y) && x <= y;
    case RV_RO_BETWEEN: {
        const char *c = strchr(a, ',');
        char lo[64];
        double z;
        if (!c || (size_t)(c - a) >= sizeof lo || !as_number(value, &x))
            return false;
        memcpy(lo, a, (size_t)(c - a));
        lo[c - a] = '\0';
        return as_number(lo, &y) && as_number(c + 1, &z) && x >= y && x <= z;
    }
    }
    return false;
}

#define DAY_MS 86400000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t rv_route_day_start(int64_t now, int utc_offset_min)
{
    int64_t off = (int64_t)utc_offset_min * 60000;
    return floor_div(now + off, DAY_MS) * DAY_MS - off;
}

/* ISO weekday of a local day number (days since 1970-01-01, a Thursday). */
static int iso_weekday(int64_t day)
{
    int64_t w = (day + 3) % 7; /* 0 = Monday */
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

int64_t rv_route_week_start(int64_t now, int utc_offset_min)
{
    int64_t off = (int64_t)utc_offset_min * 60000;
    int64_t day = floor_div(now + off, DAY_MS);
    return (day - (iso_weekday(day) - 1)) * DAY_MS - off;
}

const char *rv_route_unavailable(const rv_route_rep *r, int64_t now, char *buf, size_t cap)
{
    if (!r->active)
        return "inactive";
    if (r->excluded)
        return "excluded (the owner being replaced)";
    if (r->away_from && now >= r->away_from && (!r->away_until || now < r->away_until))
        return "out of office";
    if (r->away_until && !r->away_from && now < r->away_until)
        return "out of office";
    int64_t local = now + (int64_t)r->utc_offset_min * 60000;
    int64_t day = floor_div(local, DAY_MS);
    int minute = (int)((local - day * DAY_MS) / 60000);
    if (r->work_days && *r->work_days && !strchr(r->work_days, '0' + iso_weekday(day)))
        return "not a working day";
    if (minute < r->work_start_min || minute >= r->work_end_min)
        return "outside working hours";
    if (r->cap_day >= 0 && r->count_day >= r->cap_day) {
        snprintf(buf, cap, "daily cap of %d reached", r->cap_day);
        return buf;
    }
    if (r->cap_week >= 0 && r->count_week >= r->cap_week) {
        snprintf(buf, cap, "weekly cap of %d reached", r->cap_week);
        return buf;
    }
    return NULL;
}

/* splitmix64: a well-mixed 64-bit hash (Steele, Lea, Flood 2014). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t tie_rank(uint64_t key, int64_t user)
{
    return mix(mix(key) ^ (uint64_t)user);
}

/* Compare a/b with c/d for positive b, d: <0, 0, >0. */
static int cmp_ratio(int64_t a, int64_t b, int64_t c, int64_t d)
{
    __int128 l = (__int128)a * d, r = (__int128)c * b;
    return l < r ? -1 : l > r;
}

/* Is candidate i better than the best so far (j) for method m?  Returns
 * <0 when better, 0 when tied. */
static int better(const rv_route_rep *reps, int i, int j, rv_route_method m)
{
    const rv_route_rep *a = &reps[i], *b = &reps[j];
    switch (m) {
    case RV_RM_ROUND_ROBIN: return cmp_ratio(a->credit + 1, a->weight, b->credit + 1, b->weight);
    case RV_RM_LOWEST_COUNT: return cmp_ratio(a->count_week, a->weight, b->count_week, b->weight);
    case RV_RM_LOAD_BALANCE: return cmp_ratio(a->open_leads, a->weight, b->open_leads, b->weight);
    case RV_RM_BEST_REP:
        return -cmp_ratio(a->won + 1, a->closed + 2, b->won + 1, b->closed + 2);
    }
    return 0;
}

static const char *name_of(const rv_route_rep *r, char *buf, size_t cap)
{
    if (r->name)
        return r->name;
    snprintf(buf, cap, "user %lld", (long long)r->user_id);
    return buf;
}

void rv_route_choose(rv_route_rep *reps, int n, rv_route_method method, int64_t account_owner,
                     uint64_t tie_key, int64_t now, rv_route_decision *d)
{
    char why[80], nb[40];
    memset(d, 0, sizeof *d);
    d->rep = -1;
    int eligible = 0;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (rv_route_unavailable(&reps[i], now, why, sizeof why))
            continue;
        eligible++;
        total += reps[i].weight;
        if (account_owner && reps[i].user_id == account_owner) {
            d->rep = i;
            d->by_account = true;
            snprintf(d->reason, sizeof d->reason, "owner of the matched account: %s",
                     name_of(&reps[i], nb, sizeof nb));
            return;
        }
    }
    if (!eligible) {
        size_t o = (size_t)snprintf(d->reason, sizeof d->reason, "no member can take it");
        for (int i = 0; i < n && o < sizeof d->reason; i++)
            o += (size_t)snprintf(d->reason + o, sizeof d->reason - o, "%s %s: %s",
                                  i ? ";" : ":", name_of(&reps[i], nb, sizeof nb),
                                  rv_route_unavailable(&reps[i], now, why, sizeof why));
        return;
    }
    if (method == RV_RM_ROUND_ROBIN) { /* members without a count join at the lowest pass */
        int lo = -1;
        for (int i = 0; i < n; i++)
            if (reps[i].credit >= 0 &&
                (lo < 0 || cmp_ratio(reps[i].credit, reps[i].weight, reps[lo].credit, reps[lo].weight) < 0))
                lo = i;
        for (int i = 0; i < n; i++)
            if (reps[i].credit < 0)
                reps[i].credit = lo < 0 ? 0 : reps[lo].credit * reps[i].weight / reps[lo].weight;
    }
    int best = -1;
    uint64_t best_rank = 0;
    int tied = 1;
    for (int i = 0; i < n; i++) {
        if (rv_route_unavailable(&reps[i], now, why, sizeof why))
            continue;
        uint64_t rank = tie_rank(tie_key, reps[i].user_id);
        if (best < 0) {
            best = i, best_rank = rank;
            continue;
        }
        int c = better(reps, i, best, method);
        if (c == 0)
            tied++;
        else if (c < 0)
            tied = 1;
        if (c < 0 || (c == 0 && rank < best_rank))
            best = i, best_rank = rank;
    }
    rv_route_rep *r = &reps[best];
    d->rep = best;
    const char *nm = name_of(r, nb, sizeof nb);
    size_t o = 0;
    switch (method) {
    case RV_RM_ROUND_ROBIN:
        o = (size_t)snprintf(d->reason, sizeof d->reason,
                             "round robin by weight: %s (weight %d of %lld, turn %lld)", nm,
                             r->weight, (long long)total, (long long)r->credit + 1);
        r->credit++;
        break;
    case RV_RM_LOWEST_COUNT:
        o = (size_t)snprintf(d->reason, sizeof d->reason,
                             "lowest count this week: %s (%d leads, weight %d)", nm, r->count_week,
                             r->weight);
        break;
    case RV_RM_LOAD_BALANCE:
        o = (size_t)snprintf(d->reason, sizeof d->reason,
                             "fewest open leads: %s (%d open, weight %d)", nm, r->open_leads,
                             r->weight);
        break;
    case RV_RM_BEST_REP:
        o = (size_t)snprintf(d->reason, sizeof d->reason,
                             "best win rate in the segment: %s (%d won of %d closed)", nm, r->won,
                             r->closed);
        break;
    }
    if (tied > 1 && o < sizeof d->reason)
        snprintf(d->reason + o, sizeof d->reason - o, "; tie among %d broken by lead hash", tied);
}
