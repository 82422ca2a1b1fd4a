/*
 * import.h - bulk import: rows of text in, records upserted, all or nothing.
 *
 * Three callers feed rows into the same path:
 *
 *   - CSV files (`revos import ENTITY FILE.csv`): rv_import_csv() maps the
 *     header to fields (exact field names, --map, or the Salesforce and
 *     HubSpot column names of the entity table) and hands every data row
 *     to rv_import_row();
 *   - the Maven CRM dataset (`revos import maven DIR`): rv_maven_import()
 *     reads its five files and turns them into rows of revos entities;
 *   - the data generator (`revos gen`), which emits rows as (entity, column
 *     names, text values) with references given as external ids.
 *
 * One import is one transaction.  rv_import_begin() opens it and puts the
 * context in batch mode (no per-row events, references remembered in a
 * cache); rv_import_row() upserts one row through rv_svc_upsert() (by
 * external_id, so importing the same file twice changes nothing the second
 * time); rv_import_end() commits if no row was rejected and otherwise rolls
 * everything back.  A rejected row does not stop the import: later rows are
 * still checked, so one run reports every problem (up to max_errors of
 * them, then only counts).
 *
 * Why this shape: a row is the unit everything agrees on (a CSV record, a
 * generated record, one derived Maven record), and the service layer's
 * rules (validation, references, entity behaviour) must apply to every row
 * exactly as to a single API call.  What makes it fast is what it avoids:
 * per-row memory lives in one arena that is reset per row, column names
 * are matched to fields once per column list (not per row), and
 * references resolve through ctx->refcache (an 8,800-deal file names 85
 * accounts: 85 lookups, not 8,800).
 *
 * On PostgreSQL, where every statement is a round trip, the same rules run
 * with almost no statement per row: the store defers new rows and streams
 * them with COPY (store.h, deferred inserts), the import reads each
 * entity's external ids once (so an upsert knows a row is new without a
 * lookup, and references to rows it created resolve from memory), and
 * records read or written lately are kept for the import (ctx->recent).
 * A row the database refuses when its COPY runs is still rejected at its
 * own row and column, with the message SQLite gives (docs/postgresql.md).
 *
 * Counting: a row that finds no record with its external_id creates one;
 * otherwise it updates it, and the update counts as "unchanged" when the
 * stored record is field for field the same afterwards (nothing is
 * written then, updated_at included).
 *
 * Ownership: the import keeps no pointer to the caller's row arrays after
 * rv_import_row() returns, except the column names given to
 * rv_import_set_source(), which must stay valid until the next call of it
 * or rv_import_end().  The report owns its rejects array; release it with
 * rv_import_report_release().
 *
 * Threading: an import uses its context's store connection; one thread.
 */
#ifndef RV_IMPORT_H
#define RV_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "service/service.h"

/* Room for per-entity counters: indexed by rv_entity.index. */
#define RV_IMPORT_MAX_ENTITIES 64
/* Most columns in one row given to rv_import_row(). */
#define RV_IMPORT_MAX_COLS 256
#define RV_IMPORT_DEFAULT_MAX_ERRORS 50

typedef struct rv_import rv_import;

typedef struct rv_import_opts {
    bool history_supplied; /* deals get no automatic first stage_history row
                              (sets ctx->no_initial_history): the import
                              brings the history itself */
    int max_errors;        /* rejects kept with their message; 0: 50 */
    bool dry_run;          /* check and count everything, then roll back */
} rv_import_opts;

typedef struct rv_import_count {
    int64_t created, updated, unchanged, rejected;
} rv_import_count;

typedef struct rv_import_reject {
    long row;                      /* spreadsheet row (header = 1), or the caller's number */
    char source[64];               /* file the row came from ("" when not a file) */
    char entity[32];               /* entity of the row */
    char column[RV_ERR_FIELD_MAX]; /* source column (or field) at fault; "" for the row */
    rv_err err;                    /* code, reason (message) and field */
} rv_import_reject;

typedef struct rv_import_report {
    rv_import_count counts[RV_IMPORT_MAX_ENTITIES]; /* by rv_entity.index */
    long rows;                                      /* rows given to the import */
    int64_t rejected;                               /* rows rejected in all */
    rv_import_reject *rejects;                      /* the first ones (at most max_errors) */
    int nrejects;
    bool committed; /* the rows are in the database */
    bool dry_run;
    char note[256]; /* what the reader decided (format auto-detected) */
    int64_t elapsed_ms;
} rv_import_report;

/* ---- the row API --------------------------------------------------------- */

/* Start an import on c: a write transaction (RV_ECONFLICT if c's store
 * already holds one), batch mode, a reference cache, and a per-row arena
 * that c uses until rv_import_end().  o may be NULL (defaults). */
rv_status rv_import_begin(rv_ctx *c, const rv_import_opts *o, rv_import **out, rv_err *err);

/* Name the file the following rows come from (for messages) and, when
 * columns is not NULL, the source column name behind each entry of the
 * `fields` array of the following rv_import_row() calls (columns[i] is
 * reported for a problem with fields[i]).  Both are kept, not copied. */
void rv_import_set_source(rv_import *im, const char *source, const char *const *columns);

/* Upsert one row of entity e: fields[i] is a field name of e, vals[i] its
 * text (NULL or length 0: empty, which clears the field), lens[i] its length
 * (lens NULL: the values are NUL-terminated).  The names id, created_at and
 * updated_at are skipped (revos sets them).  An unknown name rejects the
 * row the first time it is seen for e, and is skipped after that.
 * Returns RV_OK, or the reason the row was rejected (also recorded in the
 * report); a rejected row is not an error of the import itself, so the
 * caller simply goes on with the next row.  RV_EFORBIDDEN for entities
 * only revos writes (field_history, events). */
rv_status rv_import_row(rv_import *im, const rv_entity *e, int ncols, const char *const *fields,
                        const char *const *vals, const size_t *lens, long rowno);

/* Reject a row for a reason found outside rv_import_row() (a ragged CSV
 * row, a broken file, a Maven data check).  column may be NULL. */
void rv_import_reject_row(rv_import *im, const rv_entity *e, long rowno, const char *column,
                          const rv_err *why);

/* Rows rejected so far. */
int64_t rv_import_rejected(const rv_import *im);

/* Finish: commit when no row was rejected (and not a dry run), after
 * appending one summary event to the outbox when anything changed (entity
 * "import", record_id 0, kind "created", payload {"deals":{"created":N,
 * "updated":N,"unchanged":N},...}).  Otherwise roll back everything.  Fills
 * rep (may be NULL), restores c and frees im (NULL is a no-op).
 * Returns RV_OK when committed or when a dry run found no problem;
 * RV_EINVAL with "N rows rejected; nothing was written" when rows were
 * rejected; the store's error when the commit fails. */
rv_status rv_import_end(rv_import *im, rv_import_report *rep, rv_err *err);

void rv_import_report_init(rv_import_report *rep);
void rv_import_report_release(rv_import_report *rep); /* frees rejects; NULL ok */

/* "row 7, column Amount: amount must be a decimal amount, got 'abc'"
 * ("accounts.csv row 7, ..." when the row came from a named source;
 * "row 7: ..." when no column is at fault).  Returns buf. */
const char *rv_import_reject_text(const rv_import_reject *r, char *buf, size_t cap);

/* The report as a JSON object: {"committed","dry_run","rows","entities":
 * {"deals":{"created","updated","unchanged","rejected"}},"rejected",
 * "rejects":[{"row","source","entity","column","field","code","message"}]}. */
void rv_import_report_json(const rv_import_report *rep, rv_jsonw *w);

/* ---- CSV files ------------------------------------------------------------ */

typedef enum {
    RV_FORMAT_AUTO = 0,   /* field names; Salesforce/HubSpot names if most headers are */
    RV_FORMAT_FIELDS,     /* field names only */
    RV_FORMAT_SALESFORCE, /* the entity table's sf column names (and field names) */
    RV_FORMAT_HUBSPOT,    /* the entity table's hs column names (and field names) */
} rv_import_format;

typedef struct rv_csv_import_opts {
    rv_import_opts import;
    rv_import_format format;
    const char *map;     /* "SRC=field,SRC2=field2": overrides for these headers */
    bool ignore_unknown; /* skip columns that map to no field instead of failing */
    /* called about every 0.5% of the file with the fraction read and rows done */
    void (*progress)(void *ud, double fraction, long rows);
    void *progress_ud;
} rv_csv_import_opts;

/* Parse a format name: "salesforce"/"sf", "hubspot"/"hs", "fields", "auto".
 * RV_EINVAL naming the value otherwise. */
rv_status rv_import_format_parse(const char *s, rv_import_format *out, rv_err *err);

/* Import path (a CSV file with a header row) into entity e, in one
 * import.  Header problems (a column that maps to no field, two columns for
 * one field, a bad --map) are errors of the whole file: RV_EUNKNOWN or
 * RV_EINVAL with a message naming the columns, before any row is read.
 * Row problems are rejects in rep; the return value is then RV_EINVAL as
 * for rv_import_end().  A row with fewer or more cells than the header is
 * rejected ("row 5, column close_date: missing: the row has 7 cells, the
 * header 8").  A CSV syntax error ends reading; it is a reject of the row
 * where it happened.
 *
 * stage_history with RV_FORMAT_SALESFORCE reads an OpportunityHistory
 * export: each row is the state after a change; from_stage_id is the stage
 * of the previous row of the same OpportunityId in CreatedDate order (any
 * row order in the file), and both stages are looked up by name within the
 * deal's pipeline. */
rv_status rv_import_csv(rv_ctx *c, const rv_entity *e, const char *path,
                        const rv_csv_import_opts *o, rv_import_report *rep, rv_err *err);

/* ---- the Maven CRM dataset ----------------------------------------------- */

/* Known problems of the dataset, reported with how often they occur. */
typedef struct rv_maven_problem {
    const char *key; /* "product_alias", "deal_without_account", "sector_typo",
                        "country_typo", "agent_without_deals",
                        "prospecting_without_engage_date", "open_deal_amount",
                        "other_default_pipeline" (one entry per product alias) */
    int64_t count;
    char text[512]; /* the sentence shown to people */
} rv_maven_problem;

#define RV_MAVEN_MAX_PROBLEMS 16

typedef struct rv_maven_report {
    rv_import_report import;
    rv_maven_problem problems[RV_MAVEN_MAX_PROBLEMS];
    int nproblems;
    int32_t snapshot_day; /* latest date in sales_pipeline.csv (days since 1970) */
} rv_maven_report;

/* Import the Maven Analytics "CRM Sales Opportunities" files in dir
 * (sales_teams.csv, products.csv, accounts.csv, sales_pipeline.csv) in
 * one import; docs/import.md says how each column becomes a field.
 * Re-running it changes nothing.  Errors as rv_import_csv(); a missing
 * file or column is RV_ENOTFOUND / RV_EINVAL naming it. */
rv_status rv_maven_import(rv_ctx *c, const char *dir, const rv_import_opts *o, rv_maven_report *rep,
                          rv_err *err);

/* Count of a problem by key (0 when not found). */
int64_t rv_maven_problem_count(const rv_maven_report *rep, const char *key);

#endif
