/*
 * merge.h - finding duplicate records in the database, merging them, and
 * undoing a merge exactly.
 *
 * A scan (rv_svc_dedupe_scan) reads the accounts, contacts or leads the
 * principal may read, maps their fields to the matching engine's types
 * (engine/dedupe.h: names, company, email, phone, city, postcode, domain)
 * and runs it: pairs with probabilities, clusters, and per pair the
 * field-by-field evidence (rv_dd_pair_evidence).
 *
 * A merge keeps one record (the survivor) and folds another into it:
 *   1. every field of the survivor takes the value its survivorship rule
 *      picks from the two records (rv_surv_rule);
 *   2. every row of every entity that refers to the merged record (through
 *      any reference field whose target is the merged record's entity:
 *      contacts, deals, activities, touches, leads, subscriptions, ...) is
 *      re-pointed to the survivor;
 *   3. the merged record is deleted;
 *   4. a row of `merges` keeps both records as they were, the side each
 *      field's value came from and every re-pointed row with its old
 *      updated_at: everything rv_svc_merge_undo needs.
 * All of it is one transaction: a failure changes nothing.
 *
 * Undo re-creates the merged record with its id and timestamps, points the
 * re-pointed rows back (their updated_at restored), restores the survivor
 * as it was and stamps the merge's undone_at: every table but `merges` is
 * then as it was before the merge.  Undo refuses when the survivor changed
 * after the merge (its later edits would be lost) or is gone (a later merge
 * folded it into another record: undo that one first).
 *
 * Access: both records must be writable by the principal (rv_access_check);
 * re-pointed rows follow their parent and are not checked one by one.
 * Merges write no events or field history: the merge log is the record.
 */
#ifndef RV_MERGE_H
#define RV_MERGE_H

#include "engine/dedupe.h"
#include "service/service.h"

/* --- scanning ---------------------------------------------------------------- */

typedef struct rv_dedupe_scan {
    const rv_entity *ent;
    rv_dedupe *set;           /* the engine's records, index i = ids[i] */
    int64_t *ids;
    size_t n;
    int nfields;
    int field[RV_DD_MAX_FIELDS]; /* entity field index of each engine field */
    char **vals;              /* n * nfields values as read (NULL: empty) */
    rv_dd_result res;
} rv_dedupe_scan;

/* Scan accounts, contacts or leads (those the principal of c may read) with
 * opts (may be NULL).  Errors: RV_EINVAL naming the entity when it is not
 * one of the three; store and access errors.  Release with
 * rv_dedupe_scan_release (also after a failure). */
rv_status rv_svc_dedupe_scan(rv_ctx *c, const rv_entity *e, const rv_dd_opts *opts,
                             rv_dedupe_scan *out, rv_err *err);
void rv_dedupe_scan_release(rv_dedupe_scan *s);

/* The evidence of one scanned pair, per field used: the entity field, both
 * values as read (NULL: empty), the agreement level (RV_DD_MISSING when it
 * does not count) out of `levels`, and its weight ln(m/u).  Fills out[]
 * (RV_DD_MAX_FIELDS entries at most) and returns how many. */
typedef struct rv_dedupe_evidence {
    const char *field, *a, *b;
    int level, levels;
    double weight;
} rv_dedupe_evidence;
int rv_dedupe_scan_evidence(const rv_dedupe_scan *s, const rv_dd_pair *p, rv_dedupe_evidence *out);

/* --- merging ------------------------------------------------------------------ */

/* Survivorship: which record a field's value comes from. */
#define RV_SURV_RULES(X)                                                                           \
    X(RV_SURV_COMPLETE, "complete") /* the value present; both: the longer text, else the survivor's */ \
    X(RV_SURV_RECENT, "recent")     /* the value of the record updated last, when present */    \
    X(RV_SURV_SOURCE, "source")     /* the value of the record whose source ranks first */      \
    X(RV_SURV_KEEP, "keep")         /* manual pick: the survivor's value */                     \
    X(RV_SURV_MERGED, "merged")     /* manual pick: the merged record's value */

typedef enum {
#define RV__SURVX(name, str) name,
    RV_SURV_RULES(RV__SURVX)
#undef RV__SURVX
        RV_SURV_NRULES
} rv_surv_rule;

/* The rule's name ("complete"), and back (-1 when unknown). */
const char *rv_surv_rule_name(rv_surv_rule r);
int rv_surv_rule_parse(const char *name);

#define RV_MERGE_MAX_SOURCES 16

typedef struct rv_merge_plan {
    const rv_entity *ent;
    int64_t keep, merged;
    rv_surv_rule rule[RV_MAX_FIELDS]; /* per field of ent; zeroed: all "complete" */
    /* RV_SURV_SOURCE: values of the entity's `source` field, best first; a
     * source not listed ranks last */
    const char *sources[RV_MERGE_MAX_SOURCES];
    int nsources;
} rv_merge_plan;

/* Initialise a plan: every field "complete". */
void rv_merge_plan_init(rv_merge_plan *p, const rv_entity *e, int64_t keep, int64_t merged);

/* What the merge would write, without writing: the survivor as it would
 * become (out, text in c->arena) and, per field, 0 when the value is the
 * survivor's and 1 when it is the merged record's (from[], may be NULL).
 * Errors: as rv_svc_merge. */
rv_status rv_svc_merge_preview(rv_ctx *c, const rv_merge_plan *p, rv_record *out, int *from,
                               rv_err *err);

/* Merge p->merged into p->keep (see above); *merge_id receives the merge
 * log's id.  Errors: RV_EINVAL for an entity that cannot be merged or
 * keep == merged, RV_ENOTFOUND for a missing record, RV_EFORBIDDEN, and
 * RV_ECONFLICT when a record refers to itself after the merge (an account
 * whose parent is the other). */
rv_status rv_svc_merge(rv_ctx *c, const rv_merge_plan *p, int64_t *merge_id, rv_err *err);

/* Undo merge merge_id (see above).  Errors: RV_ENOTFOUND, RV_ECONFLICT
 * when it was undone already, the survivor changed since or is gone. */
rv_status rv_svc_merge_undo(rv_ctx *c, int64_t merge_id, rv_err *err);

#endif
