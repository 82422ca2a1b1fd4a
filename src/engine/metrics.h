/*
 * metrics.h - every KPI, defined once, computed on a snapshot.
 *
 * The metric table (metrics.c) gives each metric its stable snake_case
 * name, label, unit, the records it counts, its exact formula in words
 * (docs/metrics.md is generated from the table: `revos report list
 * --markdown`) and the dimensions it can be sliced by.  The dimension
 * table does the same for dimensions.
 *
 * A query names a metric, up to RV_MQ_MAX_DIMS dimensions to group by,
 * filters (dimension = value), a date window [from, to) and the set of
 * users whose records the asker may see; rv_metric_run() answers with one
 * row per group and the total, computed in one pass over the arrays the
 * metric reads.  Pure computation: no I/O, no locks; a finished snapshot
 * may be queried from many threads at once.
 */
#ifndef RV_METRICS_H
#define RV_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "engine/snapshot.h"

typedef enum {
    RV_UNIT_MONEY,         /* minor units of the display currency */
    RV_UNIT_COUNT,
    RV_UNIT_RATIO,         /* 0..1 (and above, for coverage and ROMI) */
    RV_UNIT_DAYS,
    RV_UNIT_MINUTES,
    RV_UNIT_MONTHS,
    RV_UNIT_MONEY_PER_DAY, /* minor units per day */
    RV_UNIT_PER_DAY,       /* count per day */
} rv_unit;

const char *rv_unit_name(rv_unit u);

/* Dimensions, in the order of the dimension table. */
typedef enum {
    RV_DIM_OWNER, RV_DIM_MANAGER, RV_DIM_TEAM, RV_DIM_REGION, RV_DIM_INDUSTRY,
    RV_DIM_COMPANY_SIZE, RV_DIM_COUNTRY, RV_DIM_PRODUCT, RV_DIM_SOURCE, RV_DIM_CAMPAIGN,
    RV_DIM_CHANNEL, RV_DIM_PIPELINE, RV_DIM_STAGE, RV_DIM_TYPE, RV_DIM_MONTH, RV_DIM_QUARTER,
    RV_DIM_YEAR,
    /* dimensions that belong to one metric's own rows */
    RV_DIM_FUNNEL_STAGE, RV_DIM_FIELD, RV_DIM_ENTITY, RV_DIM_BUCKET, RV_DIM_KIND,
    RV_DIM_COUNT
} rv_dim;

typedef struct rv_dim_info {
    const char *name, *label, *doc;
} rv_dim_info;

extern const rv_dim_info rv_dims[RV_DIM_COUNT];
/* Dimension by name, -1 if unknown. */
int rv_dim_find(const char *name);
bool rv_dim_is_period(rv_dim d);

typedef struct rv_metric rv_metric;

typedef struct rv_metric_info {
    const char *name, *label, *entity, *doc, *formula;
    rv_unit unit;
    bool higher_is_better;
    bool needs_window; /* a stock or a rate over a period: has a default window */
} rv_metric_info;

extern const int rv_metric_count;
const rv_metric_info *rv_metric_info_at(int i);
/* Index of the metric, -1 if unknown. */
int rv_metric_find(const char *name);
/* Can metric i be grouped or filtered by dimension d? */
bool rv_metric_has_dim(int i, rv_dim d);
/* The record entity a drill-down from metric i lists ("deals", "leads", ...). */
const char *rv_metric_drill_entity(int i);

#define RV_MQ_MAX_DIMS 3
#define RV_MQ_MAX_FILTERS 8

typedef struct rv_mquery {
    int metric;
    int ndims;
    rv_dim dims[RV_MQ_MAX_DIMS];
    int nfilters;
    struct {
        rv_dim dim;
        int32_t code; /* as returned by rv_dim_code */
    } filters[RV_MQ_MAX_FILTERS];
    int32_t from, to;       /* window [from, to) in days; RV_DAY_NONE: open */
    const uint8_t *visible; /* per user row: 1 if the asker may see their records; NULL: all */
    bool see_unowned;       /* may see records with no owner */
} rv_mquery;

typedef struct rv_mrow {
    int32_t key[RV_MQ_MAX_DIMS]; /* dimension codes (RV_NONE: none) */
    bool null;                   /* no value (a ratio over nothing) */
    double value;                /* in the metric's unit (money: minor units) */
    int64_t num, den;            /* the sums behind it (exact) */
    int64_t rows;                /* records counted */
} rv_mrow;

typedef struct rv_mresult {
    rv_mrow *rows; /* sorted by key */
    int nrows;
    rv_mrow total;
    int32_t from, to; /* the window used (defaults applied) */
} rv_mresult;

void rv_mresult_free(rv_mresult *r);

/* Run q on s.  Errors (RV_EINVAL) name the dimension a metric cannot be
 * sliced by, or too many groups. */
rv_status rv_metric_run(const rv_snap *s, const rv_mquery *q, rv_mresult *out, rv_err *err);

/* Label of a dimension code ("Darcel Schlecht", "2017-Q2", "(none)") into
 * buf; returns buf. */
const char *rv_dim_label(const rv_snap *s, rv_dim d, int32_t code, char *buf, size_t cap);
/* Code of a dimension value given as its label, for filters; RV_EINVAL
 * naming the dimension and the value when there is no such value. */
rv_status rv_dim_code(const rv_snap *s, rv_dim d, const char *label, int32_t *code, rv_err *err);

/* Periods: the fiscal month index of a day (months since year 0 of the
 * fiscal calendar), the first day of a period code, and a period's label. */
int32_t rv_period_code(const rv_snap *s, rv_dim d, int32_t day);
int32_t rv_period_start(const rv_snap *s, rv_dim d, int32_t code);
/* Parse "2017", "2017-Q2", "2017-05" (fiscal when the fiscal year does
 * not start in January: "FY2018-Q1") into a window. */
rv_status rv_period_parse(const rv_snap *s, const char *text, int32_t *from, int32_t *to,
                          rv_err *err);

/* Money left out of reports: the records of entity (deals, subscriptions or
 * quotas; none for other entities) that q's asker may see, whose money is
 * in a currency with no exchange rate in effect on its day (snapshot.h,
 * fx_out), counted per currency.  Fills at most cap rows of out, largest
 * count first; returns the number of such records in all. */
typedef struct rv_left_out {
    int32_t cur; /* RV_DICT_CURRENCY code */
    int64_t records;
} rv_left_out;
int64_t rv_metric_left_out(const rv_snap *s, const rv_mquery *q, const char *entity,
                           rv_left_out *out, int cap, int *n);

/* The records behind a number: calls fn with the row index of each record
 * of rv_metric_drill_entity(metric) that contributes to the group whose
 * filters q holds (q's dims are ignored). */
typedef int (*rv_drill_fn)(void *ud, uint32_t row);
rv_status rv_metric_drill(const rv_snap *s, const rv_mquery *q, rv_drill_fn fn, void *ud,
                          rv_err *err);

/* --- early warnings ------------------------------------------------------------- */

typedef enum {
    RV_WARN_STALLED, RV_WARN_PAST_CLOSE, RV_WARN_LOW_COVERAGE, RV_WARN_BEHIND_PACE,
    RV_WARN_CONVERSION_DROP, RV_WARN_LEAD_SLA,
} rv_warn_kind;

typedef struct rv_warning {
    rv_warn_kind kind;
    const char *entity; /* "deals", "users", "stages", "leads" */
    uint32_t row;       /* row in that table of the snapshot */
    int32_t owner;      /* user row, RV_NONE */
    double value, limit;
    int severity;       /* 1 low, 2 medium, 3 high */
} rv_warning;

const char *rv_warn_name(rv_warn_kind k);
/* Every warning the asker may see (q.visible / see_unowned), most severe
 * first; coverage_target is the pipeline coverage below which a rep is
 * warned (3.0 = 3x). */
rv_status rv_warnings(const rv_snap *s, const rv_mquery *q, double coverage_target,
                      rv_warning **out, int *n, rv_err *err);
/* Human sentence for a warning into buf. */
const char *rv_warning_text(const rv_snap *s, const rv_warning *w, char *buf, size_t cap);

#endif
