/*
 * model.h - predictive models for binary outcomes: datasets, training,
 * calibrated probabilities, metrics, explanations and serialisation.
 *
 * One engine serves lead conversion, deal win probability and account
 * churn.  It does no I/O: callers build a dataset from column arrays,
 * train on a subset of its rows, predict, explain and serialise.
 *
 *   rv_mdata    columns of one table: numeric (NAN = missing), categorical
 *               (NULL or "" = missing; levels interned per column), and a
 *               0/1 target.  Dates enter as numeric days since 1970-01-01
 *               (rv_mdata_add_date adds the day count and the month).
 *   rv_model    a trained model.  It keeps its own copy of the feature
 *               schema (column names, category levels, bin edges), so it
 *               can score any dataset that has columns of the same names:
 *               a one-row dataset built for a new lead, or a table read
 *               back a year later.  A category the model never saw is
 *               scored as missing.
 *
 * Models (see model_lr.c and model_gbt.c for the details and references):
 *   RV_MODEL_LR   L2-regularised logistic regression fitted by L-BFGS.
 *                 Numeric columns are standardised, with a missing
 *                 indicator and one-hot quantile-bin indicators (so a
 *                 U-shaped effect is expressible); categoricals are
 *                 one-hot with a level for missing.
 *   RV_MODEL_GBT  histogram gradient-boosted trees (LightGBM-style):
 *                 quantile bins with a separate missing bin whose side is
 *                 learned per split, categorical splits by sorting levels
 *                 on gradient/hessian, leaf-wise growth, shrinkage, a
 *                 minimum leaf size, L2 on leaf values and early stopping
 *                 on a stratified held-out part of the training rows.
 *
 * Calibration is Platt scaling: p = sigmoid(a * f + b) over the model's raw
 * log-odds f.  It is chosen over isotonic regression because it is an
 * affine map of the log-odds, so (1) explanations stay exact for the
 * calibrated score (every contribution is multiplied by a, b joins the
 * bias), (2) the ranking and therefore the AUC are unchanged, and (3) two
 * parameters are well determined by the few hundred held-out rows a lead
 * table offers, where isotonic steps overfit.  LR is calibrated on its
 * training rows (a and b absorb the shift that class weights introduce);
 * GBT on its early-stopping rows, which the trees never saw.
 *
 * Explanations: for a row, contrib[c] per dataset column and a bias with
 *     bias + sum_c contrib[c] == calibrated log-odds of the row
 * (up to floating-point rounding).  For LR a column's contribution is the
 * sum of coef * (x - 0) over its encoded features; for trees it is the
 * path attribution (Saabas): each split on the path adds the change in node
 * value to its column, so a tree's sum telescopes to leaf - root value.
 *
 * Ownership: every *_new / *_train / *_read result is freed by its *_free
 * (NULL is a no-op).  Datasets copy the arrays they are given.
 *
 * Threading: the engine keeps no global state (sort comparators get their
 * context through qsort_r), so different threads may train at once; a
 * trained model and a dataset are only read by predict, explain and
 * importance, so one model may score from many threads.
 */
#ifndef RV_MODEL_H
#define RV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* ---- datasets --------------------------------------------------------- */

typedef enum { RV_COL_NUMERIC, RV_COL_CATEGORICAL } rv_col_kind;

typedef struct rv_mdata rv_mdata;

/* A dataset of nrows rows and no columns yet.  Errors: RV_EINVAL for
 * nrows 0 ("dataset must have at least one row"). */
rv_status rv_mdata_new(rv_mdata **out, size_t nrows, rv_err *err);
void rv_mdata_free(rv_mdata *d);

/* Add a numeric column (vals[nrows], NAN for missing; infinities are
 * refused naming the row).  Names are unique: a second column of the same
 * name is RV_ECONFLICT. */
rv_status rv_mdata_add_numeric(rv_mdata *d, const char *name, const double *vals, rv_err *err);
/* Add a categorical column (vals[nrows]; NULL or "" is missing). */
rv_status rv_mdata_add_categorical(rv_mdata *d, const char *name, const char *const *vals,
                                   rv_err *err);
/* Add a date column given as days since 1970-01-01 (NAN missing): two
 * numeric columns, NAME (the day count) and NAME.month (1..12). */
rv_status rv_mdata_add_date(rv_mdata *d, const char *name, const double *days, rv_err *err);
/* Set the target: y[nrows] each 0 or 1 (anything else is RV_EINVAL naming
 * the row).  Both classes must occur. */
rv_status rv_mdata_set_target(rv_mdata *d, const int8_t *y, rv_err *err);

size_t rv_mdata_rows(const rv_mdata *d);
int rv_mdata_cols(const rv_mdata *d);
const char *rv_mdata_col_name(const rv_mdata *d, int col);
rv_col_kind rv_mdata_col_kind(const rv_mdata *d, int col);
/* The target of row (0 or 1), or -1 when none is set. */
int rv_mdata_target(const rv_mdata *d, size_t row);

/* Stratified k-fold assignment: fold[i] in 0..k-1 for every row, each
 * class dealt round-robin over the folds after a seeded shuffle, so fold
 * sizes and class shares differ by at most one row.  Errors: RV_EINVAL
 * when k < 2, when there are fewer rows than folds, or no target. */
rv_status rv_mdata_folds(const rv_mdata *d, int k, uint64_t seed, int *fold, rv_err *err);

/* ---- datasets from text ---------------------------------------------- */

/* What rv_mdata_infer made of each column of a table of strings. */
typedef enum {
    RV_INFER_NUMERIC,     /* every non-empty value is a decimal number */
    RV_INFER_CATEGORICAL, /* anything else */
    RV_INFER_DATE,        /* every non-empty value is YYYY-MM-DD[ T...] */
    RV_INFER_TARGET,
    RV_INFER_EXCLUDED,    /* named by the caller (leakage, ...) */
    RV_INFER_ID,          /* a different non-empty value in every row */
    RV_INFER_CONSTANT,    /* one value in every row */
    RV_INFER_EMPTY,       /* no value in any row */
} rv_infer_kind;

/* Short name of an inferred kind ("numeric", "id", ...). */
const char *rv_infer_kind_name(rv_infer_kind k);

typedef struct rv_infer_info {
    char positive[64], negative[64]; /* the target's two values as written */
    size_t npos, nneg;
    size_t dropped_rows;             /* rows with an empty target */
} rv_infer_info;

/* Build a dataset from a table of strings: cells[r * ncols + c] (NULL or
 * blank is missing; values are trimmed of spaces).  Each column other than
 * the target and the excluded ones gets a type (see rv_infer_kind) written
 * to kinds[ncols]; ID-like, constant and empty columns are left out of the
 * dataset.  The target must have exactly two values; the positive one is
 * 1, yes, y, true or t (any case), or else the two must be 0/1-like.
 * Rows whose target is empty are dropped and counted.
 * Errors (RV_EINVAL unless said): "unknown target column 'X'",
 * "unknown column 'X' in --exclude", "target 'X' has more than two values:
 * 'a', 'b', 'c'", "target 'X' has only one value 'a'", "target 'X' values
 * 'a' and 'b' are not yes/no" and no feature column left. */
rv_status rv_mdata_infer(rv_mdata **out, int ncols, const char *const *names, size_t nrows,
                         const char *const *cells, const char *target, const char *const *exclude,
                         int nexclude, rv_infer_kind *kinds, rv_infer_info *info, rv_err *err);

/* ---- models ----------------------------------------------------------- */

typedef enum { RV_MODEL_LR, RV_MODEL_GBT } rv_model_kind;

typedef struct rv_model_params {
    rv_model_kind kind;
    bool balanced;       /* weight classes by n / (2 n_class) */
    bool calibrate;      /* Platt scaling (default true) */
    uint64_t seed;       /* held-out split for GBT */
    /* LR */
    double l2;           /* penalty on the sum of squared coefficients */
    int lr_bins;         /* quantile-bin indicators per numeric column (0 none) */
    int max_iter;        /* L-BFGS iterations */
    /* GBT */
    int max_trees;
    double learning_rate;
    int max_leaves;
    int min_leaf;        /* rows */
    double leaf_l2;
    int max_bins;        /* <= 255 */
    double holdout;      /* share of training rows for early stopping */
    int patience;        /* trees without improvement before stopping */
} rv_model_params;

/* Defaults for the kind (documented in docs/scoring.md). */
void rv_model_params_default(rv_model_params *p, rv_model_kind kind);

typedef struct rv_model rv_model;

/* Train on the given rows of d (rows NULL: every row) using every column.
 * Errors: RV_EINVAL when d has no target, no columns, or the rows lack a
 * class ("training rows must contain both classes, got only 0"), or a
 * parameter is out of range (naming it). */
rv_status rv_model_train(rv_model **out, const rv_mdata *d, const size_t *rows, size_t nrows,
                         const rv_model_params *p, rv_err *err);
void rv_model_free(rv_model *m);

rv_model_kind rv_model_kind_of(const rv_model *m);
/* Trees kept after early stopping (0 for LR). */
int rv_model_trees(const rv_model *m);
/* The model's columns: count and names (the dataset columns it uses). */
int rv_model_cols(const rv_model *m);
const char *rv_model_col_name(const rv_model *m, int col);

/* Calibrated probabilities for rows of d (rows NULL: all, nrows = rows of
 * d) into prob[nrows].  Columns are matched by name; a model column the
 * dataset lacks, or of the other kind, is RV_EINVAL naming it. */
rv_status rv_model_predict(const rv_model *m, const rv_mdata *d, const size_t *rows, size_t nrows,
                           double *prob, rv_err *err);

/* Explain one row: contrib[rv_model_cols(m)] (indexed like the model's
 * columns) and *bias, summing to the calibrated log-odds of the row. */
rv_status rv_model_explain(const rv_model *m, const rv_mdata *d, size_t row, double *contrib,
                           double *bias, rv_err *err);

/* Mean absolute contribution of each model column over the given rows
 * (importance[rv_model_cols(m)]): the "top features" of a model. */
rv_status rv_model_importance(const rv_model *m, const rv_mdata *d, const size_t *rows,
                              size_t nrows, double *importance, rv_err *err);

/* Serialise as text: a first line "revos-model 1 lr|gbt", then one record
 * per line; doubles in C99 hex-float ("%a") so that reading back gives the
 * same bits and the same predictions.  Appends to out. */
rv_status rv_model_write(const rv_model *m, rv_buf *out);
/* Read what rv_model_write wrote.  Errors: RV_EPARSE naming the line
 * ("model line 7: expected 'tree', got 'x'"), RV_EINVAL for an unknown
 * version. */
rv_status rv_model_read(rv_model **out, const char *text, size_t len, rv_err *err);

/* ---- metrics ---------------------------------------------------------- */

/* Area under the ROC curve: the probability that a random positive scores
 * above a random negative, ties counting one half (Mann-Whitney U with mid
 * ranks), exact for any number of ties.  NAN when a class is absent. */
double rv_metric_auc(const double *score, const int8_t *y, size_t n);
/* Mean negative log-likelihood, probabilities clipped to [1e-15, 1-1e-15]. */
double rv_metric_logloss(const double *prob, const int8_t *y, size_t n);

typedef struct rv_calib_bin {
    double lo, hi;      /* predicted-probability range [lo, hi) (last: [lo, 1]) */
    size_t n;           /* rows predicted in the range */
    double predicted;   /* mean prediction in the bin */
    double observed;    /* share of positives in the bin */
} rv_calib_bin;
/* Calibration table over nbins equal-width bins of [0, 1]. */
void rv_metric_calibration(const double *prob, const int8_t *y, size_t n, int nbins,
                           rv_calib_bin *bins);

/* ---- cross-validation -------------------------------------------------- */

typedef struct rv_cv_result {
    int k;
    double auc;            /* AUC of the out-of-fold predictions pooled */
    double auc_mean;       /* mean of the per-fold AUCs */
    double fold_auc[64];
    double logloss;        /* of the pooled out-of-fold predictions */
    double train_seconds;  /* summed over folds */
    int trees;             /* GBT: mean trees kept */
} rv_cv_result;

/* k-fold cross-validation with the fold assignment fold[rows of d]
 * (values 0..k-1, k <= 64): trains on k-1 folds, predicts the held-out one
 * into oof[rows of d] (may be NULL). */
rv_status rv_model_cv(const rv_mdata *d, const int *fold, int k, const rv_model_params *p,
                      double *oof, rv_cv_result *res, rv_err *err);

#endif
