/*
 * route.h - lead routing: which rep of a pool takes a lead, and why.
 *
 * Pure computation (DESIGN.md: engines do no I/O).  The service layer
 * (service/routing.c) loads the rules, the pool and its members with their
 * counts, asks this engine, and writes the owner, the assignment record
 * with its reason and the members' new round-robin state.
 *
 * A decision has three steps:
 *
 *   1. rules: the first active rule (ascending position) whose test holds
 *      on the lead chooses the pool.  A rule tests one lead field:
 *        eq / ne      the value equals (does not equal) the text, case-folded
 *        contains     the value contains the text, case-folded
 *        in           the value is one of a comma-separated list
 *        gte / lte    the value, as a number, is >= (<=) the number
 *        present      the field has a value;  any: always
 *        between      the value, as a number, is within "lo,hi" inclusive
 *   2. eligibility: a member takes leads when it is active, not out of
 *      office (away_from <= now < away_until), inside its working hours
 *      (work_days as ISO digits 1..7 and [work_start_min, work_end_min) in
 *      its own UTC offset), below its caps (cap_day leads since its local
 *      midnight, cap_week since its local Monday midnight), and not
 *      excluded (an SLA reassignment excludes the late owner).
 *   3. choice among the eligible:
 *        account owner  a lead matched to an account whose owner is an
 *                       eligible member goes to that owner (pool option);
 *        round_robin    weighted turns by stride scheduling (Waldspurger
 *                       and Weihl, 1995): each member has taken `turns`
 *                       leads; the next goes to the eligible member with
 *                       the smallest pass (turns + 1) / weight, compared
 *                       exactly as (t_a + 1) * w_b < (t_b + 1) * w_a.
 *                       Turns interleave (1,2,1,2,...) rather than come in
 *                       blocks, each member's share stays within one lead
 *                       of weight / sum, and a decision changes only the
 *                       chosen member's count (one row written per lead).
 *                       A member without a count (just added) starts at
 *                       the pool's lowest pass, so it does not take every
 *                       lead until it has caught up;
 *        lowest_count   fewest leads assigned this week, per unit of weight
 *                       (count / weight, compared exactly as
 *                       count_a * weight_b < count_b * weight_a);
 *        load_balance   fewest open leads per unit of weight;
 *        best_rep       highest historical win rate in the lead's segment,
 *                       (won + 1) / (closed + 2) so a rep with no history
 *                       counts as 1/2 rather than 0 or 1.
 *      Ties are broken by a hash of the lead's tie key and the user id
 *      (splitmix64), so no member is favoured by its position in the
 *      list: over many leads every tied member wins equally often.
 *
 * When no member is eligible, the decision says so (rep = -1) and the
 * service tries the fallback pool, then leaves the lead in the unassigned
 * queue.  Territory rules are not part of routing until territories exist.
 *
 * Every decision fills a reason in words ("rule 'EMEA' chose pool
 * 'Inbound EMEA'; round robin by weight: ana (weight 2, credit 3 of 5)").
 */
#ifndef RV_ROUTE_H
#define RV_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    RV_RM_ROUND_ROBIN,
    RV_RM_LOWEST_COUNT,
    RV_RM_LOAD_BALANCE,
    RV_RM_BEST_REP,
} rv_route_method;

typedef enum {
    RV_RO_EQ, RV_RO_NE, RV_RO_CONTAINS, RV_RO_IN, RV_RO_GTE, RV_RO_LTE, RV_RO_PRESENT, RV_RO_ANY,
    RV_RO_BETWEEN,
} rv_route_op;

/* One member of a pool as the engine sees it. */
typedef struct rv_route_rep {
    int64_t user_id;
    const char *name;     /* for reasons */
    int weight;           /* >= 1 */
    int64_t credit;       /* round-robin turns taken (pool_members.turns), -1 when
                             unset; choose adds one to the chosen member's */
    bool active;
    const char *work_days; /* ISO digits; NULL or "": every day */
    int work_start_min, work_end_min, utc_offset_min;
    int64_t away_from, away_until; /* 0: not set */
    int cap_day, cap_week;         /* -1: no cap */
    int count_day, count_week;     /* leads assigned since local midnight / Monday */
    int open_leads;
    int won, closed;               /* history in the lead's segment (best_rep) */
    bool excluded;
} rv_route_rep;

typedef struct rv_route_decision {
    int rep;          /* index into reps[], -1 when nobody is eligible */
    bool by_account;  /* chosen as the matched account's owner */
    char reason[600];
} rv_route_decision;

/* Parse names ("round_robin", "eq", ...); -1 if unknown. */
int rv_route_method_parse(const char *s);
int rv_route_op_parse(const char *s);
const char *rv_route_method_name(rv_route_method m);

/* Does the lead value (text, NULL when empty) pass op against arg? */
bool rv_route_rule_test(rv_route_op op, const char *arg, const char *value);

/* Why rep cannot take a lead at now (unix ms), or NULL when it can.
 * The text is static or written into buf. */
const char *rv_route_unavailable(const rv_route_rep *rep, int64_t now, char *buf, size_t cap);

/* Start of the rep's local day / ISO week containing now, as unix ms. */
int64_t rv_route_day_start(int64_t now, int utc_offset_min);
int64_t rv_route_week_start(int64_t now, int utc_offset_min);

/* Choose among reps[0..n) by method at now.  account_owner: the matched
 * account's owner (0: none) when the pool routes to account owners.
 * tie_key: a number unique to the lead (its id): the tie-break hash.
 * Updates the credits of the eligible reps for round robin.  Fills d. */
void rv_route_choose(rv_route_rep *reps, int n, rv_route_method method, int64_t account_owner,
                     uint64_t tie_key, int64_t now, rv_route_decision *d);

#endif
