/*
 * report.h - reports: metrics on the analytics snapshot, with record
 * access, for `revos report`, `/api/v1/reports` and the dashboard.
 *
 * The snapshot (engine/snapshot.h) of a database is built once per
 * process and shared by every request on that database.  Before each
 * report the service compares the database's write signature (the last
 * audit row and the last event: every write appends one, whichever
 * process made it) with the snapshot's; when it moved, the snapshot is
 * refreshed: the deals and leads written since are re-read row by row,
 * leaf tables that changed (activities, touches, subscriptions, quotas,
 * line items, history) are re-read whole, and anything else (an import,
 * users, teams, stages, accounts, ...) rebuilds the snapshot.  A report
 * therefore never shows data older than the last write committed before
 * it started, as seen by the snapshot's reader.
 *
 * The reader: each snapshot reads through its own connection,
 * rv_store_open_read (store.h): the streaming replica named by
 * $REVOS_READ_URL, else the primary, read-only.  The signature and the
 * rows are read from it, in one read transaction, so with a replica a
 * report is never older than what the replica had applied when it
 * started, and may lag the primary by the replay lag; a snapshot never
 * goes back to an older signature (docs/postgresql.md, "Read replicas").
 * Record access and drill-down records are read through c->store.
 *
 * Record access: a report counts only the records the asker may read
 * (the access table's read scope of the metric's entity: own, team,
 * subtree or all); a role that may not read the entity at all is refused
 * with 403.  Drill-downs list records through the same access filter as
 * every list.
 */
#ifndef RV_REPORT_H
#define RV_REPORT_H

#include "core/jsonw.h"
#include "engine/metrics.h"
#include "service/service.h"

#define RV_REPORT_MAX_FILTERS 8
#define RV_REPORT_MAX_LEFT_OUT 8 /* currencies listed; the count covers all */

/* A report request in text form, as the CLI and the API receive it. */
typedef struct rv_report_req {
    const char *metric;
    const char *by;     /* "owner" or "owner,quarter" */
    const char *period; /* month|quarter|year (group by it) or 2017, 2017-Q2, 2017-05 (window) */
    const char *from, *to; /* YYYY-MM-DD; to is inclusive */
    const char *filters[RV_REPORT_MAX_FILTERS]; /* "owner=Anna Snelling" */
    int nfilters;
    bool compare; /* add the previous period's value and the change */
} rv_report_req;

typedef struct rv_report {
    const rv_snap *snap; /* held until rv_report_end */
    rv_mquery q;
    rv_mresult res;
    bool compared;
    rv_mresult prev; /* the window before, when compare */
    void *hold;      /* the cache entry */
    uint8_t *mask;
    /* money left out for want of an exchange rate (rv_metric_left_out) */
    int64_t left_out;
    rv_left_out left_out_by[RV_REPORT_MAX_LEFT_OUT];
    int nleft_out;
} rv_report;

/* Run a report; on success r holds the snapshot (read-locked) until
 * rv_report_end. */
rv_status rv_report_run(rv_ctx *c, const rv_report_req *req, rv_report *r, rv_err *err);
void rv_report_end(rv_report *r);

/* One line for people when money was left out of r for want of an
 * exchange rate ("2 deals left out: no exchange rate into USD for JPY (2)"),
 * else "" (the CLI prints it on stderr; the API has "left_out"). */
const char *rv_report_left_out_text(const rv_report *r, char *buf, size_t cap);

/* The report as JSON: {"metric", "label", "unit", "currency", "by",
 * "from", "to", "data": [rows], "total", "left_out": {"records": N,
 * "currencies": [{"currency": "JPY", "records": 2}, ...]}}; each row has
 * the dimension values by name and the value under the metric's name. */
void rv_report_json(const rv_report *r, rv_jsonw *w);
/* Only the rows, as a JSON array (what `revos report --json` prints). */
void rv_report_json_rows(const rv_report *r, rv_jsonw *w);
/* The rows of the report: the total alone without dimensions, else one
 * per group; *n receives how many. */
const rv_mrow *rv_report_rows(const rv_report *r, int *n);
/* The same group's row in the previous window (compare), or NULL. */
const rv_mrow *rv_report_previous(const rv_report *r, const rv_mrow *row);
/* Value of a row as text in plain units (money as a decimal number). */
const char *rv_report_value_text(const rv_report *r, const rv_mrow *row, char *buf, size_t cap);

/* The catalogue of metrics and dimensions as JSON. */
void rv_report_catalogue_json(rv_jsonw *w);

/* Drill-down: the records behind the number the request's filters pick
 * (its `by` is ignored), as full records through the access filter; fn
 * is called per record, up to limit (0: 1000).  *entity receives the
 * entity listed, *total the number of records behind the number. */
rv_status rv_report_records(rv_ctx *c, const rv_report_req *req, int limit, rv_row_fn fn, void *ud,
                            const rv_entity **entity, int64_t *total, rv_err *err);

/* A drill-down's limit from text: 1 to 10000. */
rv_status rv_report_limit_parse(const char *text, int *limit, rv_err *err);
/* The entity a drill-down from the metric lists; errors name an unknown
 * metric, or one with no records to list (activities). */
rv_status rv_report_drill_entity(const char *metric, const rv_entity **e, rv_err *err);

/* One early warning, in the words the API and the CLI show. */
typedef struct rv_report_warning {
    const char *kind;     /* stalled_deal, past_close_date, ... */
    const char *severity; /* high, medium, low */
    const char *entity;   /* deals, leads, users, stages */
    int64_t record_id;
    const char *owner; /* name, or NULL */
    double value, limit;
    const char *message;
} rv_report_warning;

/* Early warnings the asker may see, most severe first: fn per warning
 * (valid during the call; non-zero stops). */
rv_status rv_report_warnings(rv_ctx *c, int (*fn)(void *ud, const rv_report_warning *w), void *ud,
                             rv_err *err);
/* The same as JSON {"data":[...]}. */
rv_status rv_report_warnings_json(rv_ctx *c, rv_jsonw *w, rv_err *err);

/* Drop every cached snapshot (tests, and after `revos init`). */
void rv_report_cache_clear(void);

#endif
