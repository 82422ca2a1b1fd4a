/*
 * model_internal.h - shared between model.c, model_data.c, model_lr.c and
 * model_gbt.c: the dataset and model structures and the per-kind hooks.
 */
#ifndef RV_MODEL_INTERNAL_H
#define RV_MODEL_INTERNAL_H

#include <math.h>

#include "engine/model.h"

#define RV__MODEL_VERSION 1

typedef struct rv__mcol {
    char *name;
    rv_col_kind kind;
    double *num;     /* numeric: n values, NAN missing */
    int32_t *code;   /* categorical: n codes into levels, -1 missing */
    char **levels;   /* sorted by strcmp */
    int nlevels;
} rv__mcol;

struct rv_mdata {
    size_t n;
    int ncols, cap;
    rv__mcol *cols;
    int8_t *y; /* NULL until set */
};

/* A model's view of one column: what it learned about it. */
typedef struct rv__spec {
    char *name;
    rv_col_kind kind;
    int nlevels;       /* categorical: known levels, sorted by strcmp */
    char **levels;
    int nedges;        /* numeric: bin upper edges (LR indicators, GBT bins) */
    double *edges;
    int has_missing;   /* LR: a missing indicator/level coefficient exists */
    double mean, sd;   /* LR standardisation */
    int off;           /* LR: index of the column's first coefficient */
} rv__spec;

typedef struct rv__node {
    int col;          /* -1 for a leaf */
    int left, right;
    int miss_left;    /* numeric: where missing goes */
    double thr;       /* numeric: x <= thr goes left */
    uint64_t cats[4]; /* categorical: bins (level index; nlevels = missing) going left */
    double value;     /* node value (leaf output; internal: for attributions) */
} rv__node;

typedef struct rv__tree {
    int nnodes;
    rv__node *nodes;
} rv__tree;

struct rv_model {
    rv_model_kind kind;
    int ncols;
    rv__spec *cols;
    double platt_a, platt_b;
    /* LR */
    int p;
    double *coef;
    double intercept;
    /* GBT */
    double base;
    int ntrees;
    rv__tree *trees;
};

/* Where each model column lives in a dataset, and its level translation. */
typedef struct rv__colmap {
    int ncols;
    const rv__mcol **dcol;
    int32_t **tr; /* categorical: dataset code -> model level (-1 unknown) */
} rv__colmap;

rv_status rv__colmap_init(rv__colmap *cm, const rv_model *m, const rv_mdata *d, rv_err *err);
void rv__colmap_release(rv__colmap *cm);
/* Model level of a categorical column for a row (-1 missing or unseen). */
static inline int rv__level(const rv__colmap *cm, int c, size_t row)
{
    int32_t code = cm->dcol[c]->code[row];
    return code < 0 ? -1 : cm->tr[c][code];
}
static inline double rv__num(const rv__colmap *cm, int c, size_t row)
{
    return cm->dcol[c]->num[row];
}

/* Copy the dataset's column names, kinds and levels into m->cols. */
rv_status rv__spec_from_data(rv_model *m, const rv_mdata *d);
/* Quantile edges of the given numeric values (NAN skipped) into at most
 * maxb - 1 edges; midpoints between distinct values when they are few.
 * Returns the count; *edges is malloc'd (NULL when 0). */
int rv__quantile_edges(const double *x, const size_t *rows, size_t n, int maxb, double **edges);
/* Bin of x: the first edge >= x (nedges when above all). */
int rv__bin_of(const double *edges, int nedges, double x);

/* Per kind: train (m->cols already filled from the dataset), and the raw
 * log-odds of a row, adding each column's part to contrib when given. */
rv_status rv__lr_train(rv_model *m, const rv_mdata *d, const rv__colmap *cm, const size_t *rows,
                       size_t n, const double *w, const rv_model_params *p, rv_err *err);
double rv__lr_raw(const rv_model *m, const rv__colmap *cm, size_t row, double *contrib);
rv_status rv__gbt_train(rv_model *m, const rv_mdata *d, const rv__colmap *cm, const size_t *rows,
                        size_t n, const double *w, const rv_model_params *p, rv_err *err);
double rv__gbt_raw(const rv_model *m, const rv__colmap *cm, size_t row, double *contrib);

/* Fit Platt scaling p = sigmoid(a f + b) to raw scores f and labels y. */
void rv__platt_fit(const double *f, const int8_t *y, size_t n, double *a, double *b);

static inline double rv__sigmoid(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}
/* log(1 + e^z) without overflow */
static inline double rv__log1pexp(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* A small seeded generator (splitmix64) for shuffles. */
static inline uint64_t rv__rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* Shuffle a[n] in place (Fisher-Yates). */
void rv__shuffle(size_t *a, size_t n, uint64_t *s);

#endif
