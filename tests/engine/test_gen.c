/*
 * test_gen.c - the data generator (src/engine/gen.c).
 *
 * One checking callback validates every row against the entity table as it
 * arrives: the entity order of rv_entities[], column names that exist,
 * required fields present, every value well-formed for its field type
 * (dates, instants and money re-formatted by model/money.c must give back
 * the same text, enums among the allowed values, ints within bounds,
 * instants before the snapshot except an activity's due_at),
 * external ids unique and shaped as gen.h documents, and every reference
 * naming an external id emitted earlier by the referenced entity.  It also
 * keeps, per deal, what later rows must agree with: stage_history chains
 * (first row from nothing, each from = previous to, changed_at
 * non-decreasing, last to = the deal's stage, closing row at closed_at),
 * line items that add up to the amount, won deals with closed_at.
 *
 * The remaining tests: exact rv_gen_check() messages, defaults, counts
 * against rv_gen_count(), determinism by a hash of all output, stopping,
 * window edge cases, and loose bounds on the numbers a demo shows (win
 * rate, median amount, slipped deals, ...), computed here from the rows.
 * Options stay small so that the suite runs in a few seconds under ASan.
 */
/* cmocka.h needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gen.h"
#include "model/entity.h"
#include "model/money.h"

/* ---- a set of strings ------------------------------------------------------ */

typedef struct strset {
    char **slot;
    size_t cap, n;
} strset;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static size_t set_find(const strset *s, const char *k)
{
    size_t i = (size_t)fnv(14695981039346656037ULL, k, strlen(k)) & (s->cap - 1);
    while (s->slot[i] && strcmp(s->slot[i], k) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static void set_grow(strset *s)
{
    strset t = {calloc(s->cap ? s->cap * 2 : 1024, sizeof(char *)), s->cap ? s->cap * 2 : 1024,
                s->n};
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i])
            t.slot[set_find(&t, s->slot[i])] = s->slot[i];
    free(s->slot);
    *s = t;
}

/* false when already present */
static bool set_add(strset *s, const char *k)
{
    if (2 * (s->n + 1) > s->cap)
        set_grow(s);
    size_t i = set_find(s, k);
    if (s->slot[i])
        return false;
    s->slot[i] = strdup(k);
    s->n++;
    return true;
}

static bool set_has(const strset *s, const char *k)
{
    return s->cap && s->slot[set_find(s, k)];
}

static void set_free(strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

/* ---- the checking callback --------------------------------------------------- */

typedef struct deal_info {
    int stage; /* 1..7 from stg-N */
    int64_t amount, list_amount, closed_at, created_on;
    int64_t lines_sum;
    int nlines;
    int sh_rows, sh_last_to;
    int64_t sh_last_at, sh_close_at;
    int32_t sh_last_close;
    bool pushed;
} deal_info;

typedef struct checker {
    char fail[600];
    uint64_t hash;
    int64_t rows, count[64]; /* per entity: rv_entity_count must fit (checked) */
    int64_t end_ms; /* the snapshot: nothing has happened at or after it */
    int last_entity;
    strset ids;
    deal_info *deals;
    int64_t ndeals;
    /* numbers for the realism test */
    int64_t converted, no_touch, canceled, open_acts, touches_with_deal;
    int64_t lead_status[8];
} checker;

static int failf(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(checker *c, const char *fmt, ...)
{
    if (!c->fail[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->fail, sizeof c->fail, fmt, ap);
        va_end(ap);
    }
    return 99;
}

static const char *col(int n, const char *const *cols, const char *const *vals, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cols[i], name) == 0)
            return vals[i];
    return NULL;
}

static int64_t ts_of(const char *v)
{
    int64_t ms = 0;
    if (v && rv_ts_parse(v, strlen(v), &ms, "t", NULL) != RV_OK)
        return -1;
    return v ? ms : 0;
}

static int64_t money_of(const char *v)
{
    int64_t c = 0;
    if (v)
        rv_money_parse(v, strlen(v), 2, &c, "m", NULL);
    return c;
}

static int64_t num_after(const char *v, const char *prefix)
{
    size_t n = strlen(prefix);
    return v && strncmp(v, prefix, n) == 0 ? strtoll(v + n, NULL, 10) : -1;
}

/* one value against its field description */
static int check_value(checker *c, const rv_entity *e, const rv_field *f, const char *v)
{
    char buf[64], key[300];
    size_t len = strlen(v);
    switch (f->type) {
    case RV_FT_REF:
        snprintf(key, sizeof key, "%s\x1f%s", f->ref, v);
        if (!set_has(&c->ids, key))
            return failf(c, "%s.%s = '%s' names no %s emitted before", e->name, f->name, v, f->ref);
        break;
    case RV_FT_EXTID:
        break; /* checked by the caller, after the references */
    case RV_FT_TS: {
        int64_t ms;
        if (rv_ts_parse(v, len, &ms, f->name, NULL) != RV_OK ||
            strcmp(rv_ts_format(ms, buf, sizeof buf), v) != 0)
            return failf(c, "%s.%s: bad instant '%s'", e->name, f->name, v);
        if (ms >= c->end_ms && strcmp(f->name, "due_at") != 0) /* only plans may be later */
            return failf(c, "%s.%s: '%s' is not before the snapshot", e->name, f->name, v);
        break;
    }
    case RV_FT_DATE: {
        int32_t d;
        if (rv_date_parse(v, len, &d, f->name, NULL) != RV_OK ||
            strcmp(rv_date_format(d, buf, sizeof buf), v) != 0)
            return failf(c, "%s.%s: bad date '%s'", e->name, f->name, v);
        break;
    }
    case RV_FT_MONEY: {
        int64_t m;
        if (rv_money_parse(v, len, 2, &m, f->name, NULL) != RV_OK ||
            strcmp(rv_money_format(m, 2, buf, sizeof buf), v) != 0 || m < f->min || m > f->max)
            return failf(c, "%s.%s: bad money '%s'", e->name, f->name, v);
        break;
    }
    case RV_FT_INT: {
        int64_t x;
        if (rv_int_parse(v, len, &x, f->name, NULL) != RV_OK ||
            ((f->min || f->max) && (x < f->min || x > f->max)))
            return failf(c, "%s.%s: bad int '%s'", e->name, f->name, v);
        break;
    }
    case RV_FT_ENUM:
        if (rv_enum_index(f, v, len) < 0)
            return failf(c, "%s.%s: '%s' is not one of its values", e->name, f->name, v);
        break;
    case RV_FT_BOOL:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return failf(c, "%s.%s: bad bool '%s'", e->name, f->name, v);
        break;
    case RV_FT_CURRENCY:
        if (strcmp(v, "USD") != 0)
            return failf(c, "%s.%s: bad currency '%s'", e->name, f->name, v);
        break;
    case RV_FT_EMAIL: {
        const char *at = strchr(v, '@');
        bool ok = at && at > v && !strchr(at + 1, '@') && strchr(at, '.');
        for (const char *p = v; *p; p++)
            ok = ok && !(*p >= 'A' && *p <= 'Z') && *p != ' ';
        if (!ok)
            return failf(c, "%s.%s: bad email '%s'", e->name, f->name, v);
        break;
    }
    case RV_FT_TEXT:
        if (len == 0 || len > (size_t)(f->max_len ? f->max_len : 255))
            return failf(c, "%s.%s: bad text length %zu", e->name, f->name, len);
        break;
    case RV_FT_JSON:
        return failf(c, "%s.%s: json is not generated", e->name, f->name);
    }
    return 0;
}

static int stage_num(const char *v)
{
    return (int)num_after(v, "stg-");
}

/* what later rows of other entities must agree with */
static int check_entity(checker *c, const char *e, int n, const char *const *cols,
                        const char *const *vals)
{
#define V(name) col(n, cols, vals, name)
    if (strcmp(e, "deals") == 0) {
        int64_t i = num_after(V("external_id"), "deal-");
        if (i != c->count[9])
            return failf(c, "deal ids are not sequential: '%s'", V("external_id"));
        deal_info *d = &c->deals[i - 1];
        d->stage = stage_num(V("stage_id"));
        d->amount = money_of(V("amount"));
        d->list_amount = money_of(V("list_amount"));
        d->closed_at = ts_of(V("closed_at"));
        d->created_on = ts_of(V("created_on"));
        if (d->amount <= 0 || d->list_amount < d->amount)
            return failf(c, "%s: amount %s, list_amount %s", V("external_id"), V("amount"),
                         V("list_amount"));
        bool closed = d->stage == 6 || d->stage == 7;
        if (closed != (d->closed_at != 0) || (closed && d->closed_at < d->created_on))
            return failf(c, "%s: stage %d with closed_at '%s'", V("external_id"), d->stage,
                         V("closed_at") ? V("closed_at") : "");
        if ((d->stage == 6) != (V("won_reason") != NULL) ||
            (d->stage == 7) != (V("lost_reason") != NULL))
            return failf(c, "%s: reasons do not match stage %d", V("external_id"), d->stage);
    } else if (strcmp(e, "deal_products") == 0) {
        deal_info *d = &c->deals[num_after(V("deal_id"), "deal-") - 1];
        int64_t q = strtoll(V("quantity"), NULL, 10);
        int64_t unit = money_of(V("unit_price")), disc = money_of(V("discount"));
        if (disc > q * unit)
            return failf(c, "%s: discount above the line total", V("external_id"));
        d->lines_sum += q * unit - disc;
        d->nlines++;
    } else if (strcmp(e, "stage_history") == 0) {
        int64_t i = num_after(V("deal_id"), "deal-");
        deal_info *d = &c->deals[i - 1];
        const char *from = V("from_stage_id");
        int to = stage_num(V("to_stage_id"));
        int64_t at = ts_of(V("changed_at"));
        int32_t close;
        rv_date_parse(V("close_date"), 10, &close, "close_date", NULL);
        if (d->sh_rows == 0 ? from != NULL : (!from || stage_num(from) != d->sh_last_to))
            return failf(c, "%s: from_stage_id '%s' after stg-%d", V("external_id"),
                         from ? from : "", d->sh_last_to);
        if (d->sh_rows > 0 && at < d->sh_last_at)
            return failf(c, "%s: changed_at goes back", V("external_id"));
        if (d->sh_rows > 0 && to <= 5 && close > d->sh_last_close)
            d->pushed = true;
        if (to >= 6)
            d->sh_close_at = at;
        d->sh_rows++;
        d->sh_last_to = to;
        d->sh_last_at = at;
        d->sh_last_close = close;
    } else if (strcmp(e, "leads") == 0) {
        static const char *const order[] = {"created_on", "first_touch_at", "mql_at", "sql_at",
                                            "converted_at"};
        int64_t prev = 0;
        for (int k = 0; k < 5; k++) {
            int64_t t = ts_of(V(order[k]));
            if (t && t < prev)
                return failf(c, "%s: %s before the previous step", V("external_id"), order[k]);
            if (t)
                prev = t;
        }
        const char *st = V("status");
        const rv_field *f =
            &rv_entity_find("leads")->fields[rv_field_index(rv_entity_find("leads"), "status")];
        c->lead_status[rv_enum_index(f, st, strlen(st))]++;
        bool conv = strcmp(st, "converted") == 0;
        if (conv != (V("converted_at") != NULL) || (conv && (!V("contact_id") || !V("account_id"))))
            return failf(c, "%s: status '%s' and converted_at disagree", V("external_id"), st);
        if (strcmp(st, "new") == 0 && V("first_touch_at"))
            return failf(c, "%s: new but touched", V("external_id"));
        if ((strcmp(st, "disqualified") == 0) != (V("disqualified_reason") != NULL))
            return failf(c, "%s: disqualified_reason and status disagree", V("external_id"));
        c->converted += conv;
        c->no_touch += V("first_touch_at") == NULL;
    } else if (strcmp(e, "activities") == 0) {
        int64_t due = ts_of(V("due_at")), done = ts_of(V("done_at"));
        if (!due || (done && done < due))
            return failf(c, "%s: due_at/done_at out of order", V("external_id"));
        c->open_acts += done == 0;
    } else if (strcmp(e, "touches") == 0) {
        c->touches_with_deal += V("deal_id") != NULL;
    } else if (strcmp(e, "subscriptions") == 0) {
        bool canceled = strcmp(V("status"), "canceled") == 0;
        if (canceled != (V("end_on") != NULL) || canceled != (V("churn_reason") != NULL) ||
            canceled == (V("renewal_on") != NULL) || money_of(V("mrr")) <= 0)
            return failf(c, "%s: inconsistent status", V("external_id"));
        if (c->deals[num_after(V("deal_id"), "deal-") - 1].stage != 6)
            return failf(c, "%s: subscription from a deal that is not won", V("external_id"));
        c->canceled += canceled;
    }
    return 0;
#undef V
}

static int check_row(void *ud, const char *entity, int n, const char *const *cols,
                     const char *const *vals)
{
    checker *c = ud;
    char key[300];
    c->rows++;
    c->hash = fnv(c->hash, entity, strlen(entity) + 1);
    for (int i = 0; i < n; i++) {
        c->hash = fnv(c->hash, cols[i], strlen(cols[i]) + 1);
        c->hash = vals[i] ? fnv(c->hash, vals[i], strlen(vals[i]) + 1) : fnv(c->hash, "\x01", 1);
    }
    const rv_entity *e = rv_entity_find(entity);
    if (!e || strcmp(e->name, entity) != 0)
        return failf(c, "unknown entity '%s'", entity);
    if (e->index < c->last_entity)
        return failf(c, "'%s' after '%s'", entity, rv_entities[c->last_entity]->name);
    c->last_entity = e->index;
    if (e->index >= (int)(sizeof c->count / sizeof c->count[0]))
        return failf(c, "entity '%s' at index %d: checker.count is too small", entity, e->index);
    c->count[e->index]++;
    const char *extid = NULL;
    for (int i = 0; i < n; i++) {
        int fi = rv_field_index(e, cols[i]);
        if (fi < 0)
            return failf(c, "%s has no field '%s'", entity, cols[i]);
        for (int k = 0; k < i; k++)
            if (strcmp(cols[k], cols[i]) == 0)
                return failf(c, "%s: column '%s' twice", entity, cols[i]);
        const rv_field *f = &e->fields[fi];
        if (f->type == RV_FT_EXTID)
            extid = vals[i];
        if (vals[i] && check_value(c, e, f, vals[i]))
            return 99;
    }
    for (int k = 0; k < e->nfields; k++) {
        const rv_field *f = &e->fields[k];
        if (f->flags & RV_F_REQUIRED) {
            const char *v = col(n, cols, vals, f->name);
            if (!v)
                return failf(c, "%s: required '%s' missing", entity, f->name);
        }
    }
    if (rv_entity_extid_field(e) >= 0) {
        if (!extid)
            return failf(c, "%s row %lld without external_id", entity,
                         (long long)c->count[e->index]);
        snprintf(key, sizeof key, "%s\x1f%s", entity, extid);
        if (!set_add(&c->ids, key))
            return failf(c, "%s: external_id '%s' twice", entity, extid);
    }
    return check_entity(c, entity, n, cols, vals);
}

static void checker_init(checker *c, const rv_gen_opts *o)
{
    rv_gen_opts r;
    rv_gen_resolve(o, &r);
    memset(c, 0, sizeof *c);
    c->hash = 14695981039346656037ULL;
    c->ndeals = r.deals;
    c->end_ms = (int64_t)r.end_day * 86400000;
    c->deals = calloc((size_t)r.deals, sizeof *c->deals);
}

static void checker_release(checker *c)
{
    set_free(&c->ids);
    free(c->deals);
}

/* run with every check; the checks that need the whole output come last */
static void run_checked(const rv_gen_opts *o, checker *c)
{
    checker_init(c, o);
    int rc = rv_gen_run(o, check_row, c);
    if (!c->fail[0] && rc != 0)
        failf(c, "rv_gen_run returned %d", rc);
    for (int64_t i = 0; i < c->ndeals && !c->fail[0]; i++) {
        const deal_info *d = &c->deals[i];
        if (d->sh_rows == 0 || d->sh_last_to != d->stage)
            failf(c, "deal-%07lld: stage stg-%d but history ends at stg-%d (%d rows)",
                  (long long)i + 1, d->stage, d->sh_last_to, d->sh_rows);
        else if (d->closed_at && d->sh_close_at != d->closed_at)
            failf(c, "deal-%07lld: closed_at is not the closing change", (long long)i + 1);
        else if (d->nlines && d->lines_sum != d->amount)
            failf(c, "deal-%07lld: lines add up to %lld, amount %lld", (long long)i + 1,
                  (long long)d->lines_sum, (long long)d->amount);
    }
    if (c->fail[0]) {
        char msg[sizeof c->fail];
        memcpy(msg, c->fail, sizeof msg);
        checker_release(c);
        fail_msg("%s", msg);
    }
}

/* ---- tests ------------------------------------------------------------------ */

static void expect_rejected(rv_gen_opts o, const char *field, const char *msg)
{
    rv_err err;
    assert_int_equal(rv_gen_check(&o, &err), RV_EINVAL);
    assert_int_equal(err.code, RV_EINVAL);
    assert_string_equal(err.field, field);
    assert_string_equal(err.message, msg);
    assert_int_equal(rv_gen_run(&o, check_row, NULL), RV_GEN_EINVAL);
}

static void test_check_messages(void **state)
{
    (void)state;
    expect_rejected((rv_gen_opts){.deals = 200000000}, "deals",
                    "deals must be <= 100000000, got '200000000'");
    expect_rejected((rv_gen_opts){.deals = -5}, "deals", "deals must be >= 0, got '-5'");
    expect_rejected((rv_gen_opts){.accounts = 100000001}, "accounts",
                    "accounts must be <= 100000000, got '100000001'");
    expect_rejected((rv_gen_opts){.leads = -1}, "leads", "leads must be >= 0, got '-1'");
    expect_rejected((rv_gen_opts){.leads = 1000000001}, "leads",
                    "leads must be <= 1000000000, got '1000000001'");
    expect_rejected((rv_gen_opts){.activities = 2000000001}, "activities",
                    "activities must be <= 2000000000, got '2000000001'");
    expect_rejected((rv_gen_opts){.start_day = -1}, "start_day",
                    "start_day must be a day from 1970-01-01 to 9000-01-01, got '-1'");
    expect_rejected((rv_gen_opts){.end_day = 3000000}, "end_day",
                    "end_day must be a day from 1970-01-01 to 9000-01-01, got '3000000'");
    expect_rejected((rv_gen_opts){.start_day = 19358, .end_day = 19388}, "end_day",
                    "end_day must be 90 to 36600 days after start_day, got '30'");
    expect_rejected((rv_gen_opts){.start_day = 19358, .end_day = 19348}, "end_day",
                    "end_day must be 90 to 36600 days after start_day, got '-10'");
    expect_rejected((rv_gen_opts){.start_day = 1, .end_day = 1 + 36601}, "end_day",
                    "end_day must be 90 to 36600 days after start_day, got '36601'");

    rv_err err;
    rv_gen_opts ok = {.deals = 100000000, .start_day = 1, .end_day = 91};
    assert_int_equal(rv_gen_check(&ok, &err), RV_OK);
    assert_int_equal(err.code, RV_OK);
    assert_int_equal(rv_gen_check(NULL, NULL), RV_OK);
    assert_int_equal(rv_gen_run(NULL, NULL, NULL), RV_GEN_EINVAL); /* no callback */
}

static void test_resolve(void **state)
{
    (void)state;
    rv_gen_opts o;
    rv_gen_resolve(NULL, &o);
    assert_int_equal(o.deals, 1000);
    assert_int_equal(o.accounts, 250);
    assert_int_equal(o.leads, 3000);
    assert_int_equal(o.activities, 10000);
    assert_int_equal(o.start_day, rv_days_from_civil(2023, 1, 1));
    assert_int_equal(o.end_day, rv_days_from_civil(2026, 1, 1));
    rv_gen_resolve(
        &(rv_gen_opts){.deals = 40, .seed = 9, .start_day = rv_days_from_civil(2020, 2, 29)}, &o);
    assert_int_equal(o.accounts, 20); /* deals / 4, at least 20 */
    assert_int_equal(o.leads, 120);
    assert_int_equal(o.activities, 400);
    assert_int_equal(o.seed, 9);
    assert_int_equal(o.end_day, rv_days_from_civil(2023, 2, 28));
    rv_gen_opts again;
    rv_gen_resolve(&o, &again);
    assert_memory_equal(&o, &again, sizeof o);
}

static void test_all_rows_valid(void **state)
{
    (void)state;
    rv_gen_opts o = {.deals = 400, .seed = 42};
    checker c;
    run_checked(&o, &c);
    /* every entity the generator knows, in the counts it promises */
    static const char *const emitted[] = {
        "teams",         "users",      "accounts",  "contacts",      "campaigns",
        "leads",         "products",   "pipelines", "stages",        "deals",
        "deal_products", "activities", "touches",   "subscriptions", "stage_history",
        "quotas",
    };
    for (int i = 0; i < rv_entity_count; i++) {
        const char *name = rv_entities[i]->name;
        int64_t want = rv_gen_count(&o, name);
        bool listed = false;
        for (size_t k = 0; k < sizeof emitted / sizeof emitted[0]; k++)
            listed = listed || strcmp(emitted[k], name) == 0;
        if (want >= 0)
            assert_int_equal(c.count[i], want);
        else
            assert_true(c.count[i] > 0);
        assert_true(listed == (c.count[i] > 0));
    }
    /* deals=400: 4 reps (the minimum), one team per region */
    assert_int_equal(rv_gen_count(&o, "teams"), 5);
    assert_int_equal(rv_gen_count(&o, "users"), 13);
    assert_int_equal(rv_gen_count(&o, "accounts"), 100);
    assert_int_equal(rv_gen_count(&o, "leads"), 1200);
    assert_int_equal(rv_gen_count(&o, "activities"), 4000);
    assert_int_equal(rv_gen_count(&o, "campaigns"), 20);
    assert_int_equal(rv_gen_count(&o, "stages"), 7);
    assert_int_equal(rv_gen_count(&o, "contacts"), -1);
    assert_int_equal(rv_gen_count(&o, "field_defs"), 0);
    assert_int_equal(rv_gen_count(&o, "nonsense"), 0);
    /* conversions = min(35% of deals, 20% of leads) */
    assert_int_equal(c.converted, 140);
    checker_release(&c);
}

static void test_team_layout(void **state)
{
    (void)state;
    /* 30000 deals: 100 reps; one per region, then 96 x 30/30/25/15% =
     * 28/28/24/14 (98 in all), the 2 left over to the first regions:
     * 30/30/25/15; teams of at most 12 reps: 3+3+3+2 = 11, plus Global */
    rv_gen_opts o = {.deals = 30000};
    assert_int_equal(rv_gen_count(&o, "teams"), 12);
    assert_int_equal(rv_gen_count(&o, "users"), 5 + 11 + 100);
    /* the cap: 400 reps as 120/120/100/60 in 10+10+9+5 teams */
    o.deals = 100000000;
    assert_int_equal(rv_gen_count(&o, "teams"), 35);
    assert_int_equal(rv_gen_count(&o, "users"), 5 + 34 + 400);
}

static void test_determinism(void **state)
{
    (void)state;
    rv_gen_opts o = {.deals = 300, .seed = 7};
    checker a, b, d;
    run_checked(&o, &a);
    run_checked(&o, &b);
    assert_int_equal(a.rows, b.rows);
    assert_true(a.hash == b.hash);
    o.seed = 8;
    run_checked(&o, &d);
    assert_true(a.hash != d.hash);
    checker_release(&a);
    checker_release(&b);
    checker_release(&d);
}

typedef struct stopper {
    int64_t calls, stop_at;
} stopper;

static int stop_cb(void *ud, const char *e, int n, const char *const *c, const char *const *v)
{
    (void)e, (void)n, (void)c, (void)v;
    stopper *s = ud;
    return ++s->calls == s->stop_at ? 7 : 0;
}

static void test_stop(void **state)
{
    (void)state;
    rv_gen_opts o = {.deals = 200};
    int64_t stops[] = {1, 5, 300, 2500, 4000};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        stopper s = {0, stops[i]};
        assert_int_equal(rv_gen_run(&o, stop_cb, &s), 7);
        assert_int_equal(s.calls, stops[i]);
    }
}

static void test_edges(void **state)
{
    (void)state;
    checker c;
    /* the smallest everything */
    run_checked(
        &(rv_gen_opts){
            .deals = 1, .accounts = 1, .leads = 1, .activities = 1, .start_day = 1, .end_day = 91},
        &c);
    assert_int_equal(c.count[9], 1);
    checker_release(&c);
    /* fewer activities than deals, more accounts than deals, the longest window */
    run_checked(&(rv_gen_opts){.deals = 60,
                               .accounts = 500,
                               .leads = 10,
                               .activities = 7,
                               .seed = UINT64_MAX,
                               .start_day = 1,
                               .end_day = 1 + RV_GEN_MAX_WINDOW_DAYS},
                &c);
    assert_int_equal(c.count[11], 7);
    checker_release(&c);
    /* a window ending late in the range */
    int32_t end = rv_days_from_civil(9000, 1, 1);
    run_checked(&(rv_gen_opts){.deals = 50, .start_day = end - 400, .end_day = end}, &c);
    checker_release(&c);
}

static void test_realism(void **state)
{
    (void)state;
    rv_gen_opts o = {.deals = 2000, .activities = 2000, .seed = 3};
    checker c;
    run_checked(&o, &c);
    int64_t won = 0, lost = 0, open = 0, pushed = 0, with_lines = 0;
    int64_t *amounts = calloc((size_t)c.ndeals, sizeof *amounts);
    for (int64_t i = 0; i < c.ndeals; i++) {
        const deal_info *d = &c.deals[i];
        won += d->stage == 6;
        lost += d->stage == 7;
        open += d->stage <= 5;
        pushed += d->pushed;
        with_lines += d->nlines > 0;
        amounts[i] = d->amount;
    }
    /* median by counting, no sort needed for a bound */
    int64_t below5k = 0, below40k = 0;
    for (int64_t i = 0; i < c.ndeals; i++) {
        below5k += amounts[i] < 500000;
        below40k += amounts[i] < 4000000;
    }
    free(amounts);
    double win_rate = (double)won / (double)(won + lost);
    print_message("win rate %.3f, open %lld, pushed %lld, lines %lld, canceled subs %lld\n",
                  win_rate, (long long)open, (long long)pushed, (long long)with_lines,
                  (long long)c.canceled);
    assert_true(win_rate > 0.20 && win_rate < 0.33);
    assert_true(below5k < c.ndeals / 2 && below40k > c.ndeals / 2); /* median $5k..$40k */
    assert_true(open > 20);                                         /* recent deals still open */
    assert_true(pushed > c.ndeals / 20);                            /* close dates slip */
    assert_true(with_lines > c.ndeals * 4 / 10 && with_lines < c.ndeals * 7 / 10);
    assert_true(c.canceled > 0); /* some churn */
    assert_true(c.no_touch > 0); /* leads nobody called */
    assert_true(c.touches_with_deal > 0);
    for (int s = 0; s < 6; s++) /* every lead status occurs */
        assert_true(c.lead_status[s] > 0);
    checker_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_messages), cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_all_rows_valid), cmocka_unit_test(test_team_layout),
        cmocka_unit_test(test_determinism),    cmocka_unit_test(test_stop),
        cmocka_unit_test(test_edges),          cmocka_unit_test(test_realism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
