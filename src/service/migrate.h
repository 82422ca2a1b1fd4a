/*
 * migrate.h - copy a whole revos database to another backend, and prove it.
 *
 * `revos migrate --from sqlite:revos.db --to postgres://...` moves a team
 * from the single-file database to PostgreSQL (and back: any direction
 * works, both ends are just stores).  What is copied is every row of every
 * entity table exactly as stored: ids, references, created_at and
 * updated_at are kept, so links, cursors and history stay valid; the
 * outbox (events) and the field and stage history come along as rows like
 * any other.  Nothing goes through the service layer: the rows were
 * validated when they were written, and re-running the rules (with today's
 * clock, today's defaults) would change them.
 *
 * How:
 *   1. The source is read in one read transaction (one snapshot), the
 *      target written in one write transaction: a failure anywhere leaves
 *      the target as it was (empty), and a mismatch found by the check
 *      below is a failure.
 *   2. The target must be empty: every entity table is counted first, and
 *      the first one with rows is named in the refusal.
 *   3. Entities go in the order of rv_entities[] (parents first) through
 *      the store's bulk copy (COPY FROM STDIN on PostgreSQL).  Two
 *      references point forward in that order (teams.manager_id -> users,
 *      leads.deal_id -> deals): such a field is copied as NULL, and once
 *      every table is in, the rows that had a value are rewritten whole
 *      (rv_store_update, with their original updated_at).  References
 *      within one table need nothing: PostgreSQL checks them at the end of
 *      the COPY, SQLite at commit.
 *   4. Check, before committing: per entity, the row count and, per integer
 *      column (id, money, int, date, timestamp, bool, reference,
 *      created_at, updated_at), the number of non-NULL values and the
 *      exact sum must be equal on both sides (rv_store_totals_get, plain
 *      SQL aggregates run by each database).  Text columns are not summed;
 *      they are carried byte for byte by the copy.
 *   5. Commit.  PostgreSQL's id sequences are moved past the largest
 *      copied id (rv_store_copy_end), so new records get fresh ids.
 *
 * Ownership: the caller opens and closes both stores; neither may be in a
 * transaction.  The report is plain data.  Threading: one thread.
 */
#ifndef RV_MIGRATE_H
#define RV_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define RV_MIGRATE_MAX_ENTITIES 64

typedef struct rv_migrate_opts {
    /* called about every 16,000 rows with the fraction of rows copied */
    void (*progress)(void *ud, double fraction, int64_t rows);
    void *progress_ud;
} rv_migrate_opts;

typedef struct rv_migrate_count {
    int64_t rows;     /* copied, and equal on both sides */
    int columns;      /* integer columns whose count and sum were compared */
    int64_t deferred; /* rows whose forward references were set after all tables */
} rv_migrate_count;

typedef struct rv_migrate_report {
    rv_migrate_count counts[RV_MIGRATE_MAX_ENTITIES]; /* by rv_entity.index */
    int64_t rows;                                     /* all entities */
    int64_t elapsed_ms;
    bool committed;
} rv_migrate_report;

/* Copy everything in from to to, check it, commit.  o may be NULL.
 * Errors (nothing is written to the target in every case):
 *   RV_ECONFLICT "the target database is not empty: table 'deals' has 3
 *     rows; migrate copies into an empty database only";
 *   RV_EINVAL when the two databases have different schema versions;
 *   RV_EDB "check failed: deals.amount: sum 1500 on the source, 1400 on
 *     the target; nothing was written" (also for counts: "deals: 3 rows
 *     on the source, 2 on the target");
 *   the store's error for a row the target refuses, prefixed with the
 *     table ("activities: copying: ...; nothing was written"). */
rv_status rv_migrate(rv_store *from, rv_store *to, const rv_migrate_opts *o,
                     rv_migrate_report *rep, rv_err *err);

#endif
