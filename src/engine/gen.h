/*
 * gen.h - a deterministic generator of realistic CRM data (`revos gen`).
 *
 * rv_gen_run() invents a company's sales history -- teams, reps, accounts,
 * contacts, campaigns, leads, products, the "Sales" pipeline, deals with
 * their stage history, line items, activities, marketing touches and
 * subscriptions -- and hands every record to a callback as a row of text
 * columns, in the entity order of rv_entities[] (parents before children),
 * so that the importer can take the rows as they are.  The engine does no
 * I/O: the caller decides whether rows go to a CSV file, a database or
 * nowhere (benchmarks).
 *
 * Rows: `entity` is an entity name from entity.c ("deals"), `cols` are
 * field names of that entity exactly as in the table, `vals` their text
 * values (NULL means empty).  Money is "1234.50" (USD, two decimals), dates
 * "YYYY-MM-DD", instants "2024-03-01T09:15:00.000Z", booleans
 * "true"/"false", enums as spelled in entity.c.  References (fields ending
 * in _id) hold the external_id of a record emitted earlier, because the
 * importer resolves references by external id:
 *
 *     teams          team-001         users          usr-0001
 *     accounts       acc-000001       contacts       con-000001-1 (account, n)
 *     campaigns      cmp-001          leads          lead-0000001
 *     products       prd-1            pipelines      pl-1
 *     stages         stg-1 .. stg-7   deals          deal-0000001
 *     deal_products  dp-0000001-1     activities     act-00000001
 *     touches        tch-00000001     subscriptions  sub-0000001-1
 *     stage_history  sh-0000001-1
 *
 * Widths are minimums; larger numbers just get more digits.  Two references
 * point forward in the entity order and are therefore not emitted (no such
 * column in the rows): teams.manager_id (users come after teams; users
 * carry team_id and manager_id instead) and leads.deal_id (deals come after
 * leads; the touches of a converted lead carry both lead_id and deal_id
 * instead).  A column whose value is NULL in one row may be set in the
 * next: every row of an entity has the same columns in the same order.
 *
 * The history is a snapshot taken at the start of end_day: everything that
 * happened before it is in the data, deals that had not closed by then are
 * open, and open deals may have close dates and scheduled activities after
 * it.  See gen.c for the distributions and why they were chosen.
 *
 * Determinism: the same options give byte-identical rows on the same
 * platform (the sampling uses libm's log/exp/cos, whose last bit may differ
 * between C libraries).  Nothing reads the clock or rand().
 *
 * Memory is bounded by the window length and the number of users and
 * campaigns, not by the number of records: no record is kept after it has
 * been emitted.  Threading: all state lives in the call, so concurrent
 * calls are safe.
 */
#ifndef RV_GEN_H
#define RV_GEN_H

#include <stdint.h>

#include "core/err.h"

/* Upper bounds checked by rv_gen_check(); they keep every intermediate
 * product inside 64 bits. */
#define RV_GEN_MAX_DEALS 100000000LL       /* 1e8 */
#define RV_GEN_MAX_ACCOUNTS 100000000LL    /* 1e8 */
#define RV_GEN_MAX_LEADS 1000000000LL      /* 1e9 */
#define RV_GEN_MAX_ACTIVITIES 2000000000LL /* 2e9 */
#define RV_GEN_MIN_WINDOW_DAYS 90
#define RV_GEN_MAX_WINDOW_DAYS (100 * 366)

/* rv_gen_run()'s own failures.  They are negative so that they never clash
 * with a callback's stop value (callbacks should stop with a positive one). */
#define RV_GEN_EINVAL (-1) /* options rejected by rv_gen_check() */
#define RV_GEN_ENOMEM (-2) /* out of memory (a few MB at most) */

typedef struct rv_gen_opts {
    int64_t accounts;   /* 0 = deals / 4, at least 20 */
    int64_t deals;      /* 0 = 1000 */
    int64_t leads;      /* 0 = 3 x deals */
    int64_t activities; /* 0 = 10 x deals */
    uint64_t seed;      /* any value; 0 is a seed like the others */
    int32_t start_day;  /* days since 1970, first day of history; 0 = 2023-01-01 */
    int32_t end_day;    /* snapshot day (exclusive); 0 = start_day + 3 years */
} rv_gen_opts;

/* Called once per record; see the header comment for the shape of a row.
 * The pointers are valid only during the call.  Return 0 to go on, anything
 * else to stop: rv_gen_run() then returns that value. */
typedef int (*rv_gen_emit_fn)(void *ud, const char *entity, int ncols, const char *const *cols,
                              const char *const *vals);

/* Copy `in` to `out` with every 0 replaced by its default, so a caller can
 * show what will be generated.  Does not validate. */
void rv_gen_resolve(const rv_gen_opts *in, rv_gen_opts *out);

/* Validate options (after defaults): counts >= 0 and within the maximums
 * above, a window of RV_GEN_MIN_WINDOW_DAYS..RV_GEN_MAX_WINDOW_DAYS days
 * between 1970 and 9000.  Returns RV_OK or RV_EINVAL with a message naming
 * the option ("deals must be <= 100000000, got '200000000'"). */
rv_status rv_gen_check(const rv_gen_opts *o, rv_err *err);

/* Generate everything described by `o` (NULL: all defaults), calling
 * `emit` once per record.  Returns 0 when done, the callback's non-zero
 * value if it stopped, RV_GEN_EINVAL if rv_gen_check() fails (call it first
 * for a message) or RV_GEN_ENOMEM. */
int rv_gen_run(const rv_gen_opts *o, rv_gen_emit_fn emit, void *ud);

/* Number of rows rv_gen_run() emits for one entity with these options (after
 * defaults; not validated), -1 when the count is only known by generating
 * (contacts, deal_products, touches, subscriptions, stage_history, quotas), 0 for
 * entities it never emits.  With reps = clamp(deals / 300, 4, 400) split
 * over 4 regions in teams of at most 12:
 *     teams = 1 + sum of ceil(region reps / 12)   users = 5 + (teams - 1) + reps
 *     campaigns = clamp(ceil(window days / 55), 4, 2000)
 *     products 8, pipelines 1, stages 7; accounts, leads, deals, activities
 *     as resolved.  Teams, users and campaigns do not depend on the seed. */
int64_t rv_gen_count(const rv_gen_opts *o, const char *entity);

#endif
