/*
 * model_data.c - datasets for the model engine, stratified folds and the
 * evaluation metrics (AUC, log-loss, calibration table).
 *
 * A dataset is a struct of column arrays.  Categorical values are interned
 * once: the distinct strings sorted by strcmp become the column's levels
 * and each row keeps a 32-bit code, so models compare integers and a model
 * maps a dataset's levels onto its own by one binary search per level.
 *
 * AUC is computed from ranks (Mann-Whitney):
 *     AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)
 * where R_pos is the sum of the ranks of the positives and tied scores all
 * get the mean of the ranks they span, which counts each tied
 * positive/negative pair as one half.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model_internal.h"

rv_status rv_mdata_new(rv_mdata **out, size_t nrows, rv_err *err)
{
    *out = NULL;
    if (nrows == 0)
        return rv_err_set(err, RV_EINVAL, NULL, "dataset must have at least one row");
    rv_mdata *d = calloc(1, sizeof *d);
    if (!d)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    d->n = nrows;
    *out = d;
    return RV_OK;
}

void rv_mdata_free(rv_mdata *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->ncols; i++) {
        rv__mcol *c = &d->cols[i];
        free(c->name);
        free(c->num);
        free(c->code);
        for (int l = 0; l < c->nlevels; l++)
            free(c->levels[l]);
        free(c->levels);
    }
    free(d->cols);
    free(d->y);
    free(d);
}

/* A new column slot named name, or an error when the name is taken. */
static rv_status add_col(rv_mdata *d, const char *name, rv_col_kind kind, rv__mcol **out,
                         rv_err *err)
{
    if (!name || !*name)
        return rv_err_set(err, RV_EINVAL, "name", "column name must not be empty");
    for (int i = 0; i < d->ncols; i++)
        if (!strcmp(d->cols[i].name, name))
            return rv_err_set(err, RV_ECONFLICT, name, "column '%s' is already in the dataset",
                              name);
    if (d->ncols == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        rv__mcol *c = realloc(d->cols, (size_t)cap * sizeof *c);
        if (!c)
            return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        d->cols = c;
        d->cap = cap;
    }
    rv__mcol *c = &d->cols[d->ncols];
    memset(c, 0, sizeof *c);
    c->name = strdup(name);
    c->kind = kind;
    if (!c->name)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    *out = c;
    return RV_OK;
}

rv_status rv_mdata_add_numeric(rv_mdata *d, const char *name, const double *vals, rv_err *err)
{
    for (size_t i = 0; i < d->n; i++)
        if (isinf(vals[i]))
            return rv_err_set(err, RV_EINVAL, name, "%s: row %zu is infinite", name, i + 1);
    rv__mcol *c;
    rv_status st = add_col(d, name, RV_COL_NUMERIC, &c, err);
    if (st)
        return st;
    c->num = malloc(d->n * sizeof *c->num);
    if (!c->num) {
        free(c->name);
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    }
    memcpy(c->num, vals, d->n * sizeof *c->num);
    d->ncols++;
    return RV_OK;
}

static int cmp_by_val(const void *a, const void *b, void *vals)
{
    const char *const *v = vals;
    return strcmp(v[*(const size_t *)a], v[*(const size_t *)b]);
}

rv_status rv_mdata_add_categorical(rv_mdata *d, const char *name, const char *const *vals,
                                   rv_err *err)
{
    rv__mcol *c;
    rv_status st = add_col(d, name, RV_COL_CATEGORICAL, &c, err);
    if (st)
        return st;
    size_t n = d->n, m = 0;
    size_t *idx = malloc(n * sizeof *idx);
    c->code = malloc(n * sizeof *c->code);
    c->levels = malloc(n * sizeof *c->levels);
    if (!idx || !c->code || !c->levels)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        c->code[i] = -1;
        if (vals[i] && vals[i][0])
            idx[m++] = i;
    }
    qsort_r(idx, m, sizeof *idx, cmp_by_val, (void *)vals);
    for (size_t k = 0; k < m; k++) {
        const char *v = vals[idx[k]];
        if (k == 0 || strcmp(v, c->levels[c->nlevels - 1])) {
            if (!(c->levels[c->nlevels] = strdup(v)))
                goto nomem;
            c->nlevels++;
        }
        c->code[idx[k]] = c->nlevels - 1;
    }
    free(idx);
    d->ncols++;
    return RV_OK;
nomem:
    free(idx);
    free(c->code);
    for (int l = 0; l < c->nlevels; l++)
        free(c->levels[l]);
    free(c->levels);
    free(c->name);
    return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
}

rv_status rv_mdata_add_date(rv_mdata *d, const char *name, const double *days, rv_err *err)
{
    double *month = malloc(d->n * sizeof *month);
    if (!month)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < d->n; i++) {
        if (isnan(days[i])) {
            month[i] = NAN;
            continue;
        }
        /* civil-from-days (H. Hinnant): the month of a day count */
        long z = (long)floor(days[i]) + 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097;
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        month[i] = (double)(mp < 10 ? mp + 3 : mp - 9);
    }
    char mname[512];
    snprintf(mname, sizeof mname, "%s.month", name);
    rv_status st = rv_mdata_add_numeric(d, name, days, err);
    if (!st)
        st = rv_mdata_add_numeric(d, mname, month, err);
    free(month);
    return st;
}

rv_status rv_mdata_set_target(rv_mdata *d, const int8_t *y, rv_err *err)
{
    size_t pos = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return rv_err_set(err, RV_EINVAL, "target", "target must be 0 or 1, got %d in row %zu",
                              y[i], i + 1);
        pos += (size_t)y[i];
    }
    if (pos == 0 || pos == d->n)
        return rv_err_set(err, RV_EINVAL, "target",
                          "target must contain both classes, got only %d in %zu rows",
                          pos ? 1 : 0, d->n);
    int8_t *c = malloc(d->n);
    if (!c)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    memcpy(c, y, d->n);
    free(d->y);
    d->y = c;
    return RV_OK;
}

size_t rv_mdata_rows(const rv_mdata *d) { return d->n; }
int rv_mdata_cols(const rv_mdata *d) { return d->ncols; }
const char *rv_mdata_col_name(const rv_mdata *d, int col) { return d->cols[col].name; }
rv_col_kind rv_mdata_col_kind(const rv_mdata *d, int col) { return d->cols[col].kind; }
int rv_mdata_target(const rv_mdata *d, size_t row) { return d->y ? d->y[row] : -1; }

void rv__shuffle(size_t *a, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rv__rand(s) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

rv_status rv_mdata_folds(const rv_mdata *d, int k, uint64_t seed, int *fold, rv_err *err)
{
    if (!d->y)
        return rv_err_set(err, RV_EINVAL, "target", "dataset has no target");
    if (k < 2 || k > 64)
        return rv_err_set(err, RV_EINVAL, "folds", "folds must be between 2 and 64, got %d", k);
    if (d->n < (size_t)k)
        return rv_err_set(err, RV_EINVAL, "folds", "%zu rows are fewer than %d folds", d->n, k);
    size_t *idx = malloc(d->n * sizeof *idx);
    if (!idx)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    uint64_t s = seed;
    int next = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t m = 0;
        for (size_t i = 0; i < d->n; i++)
            if (d->y[i] == cls)
                idx[m++] = i;
        rv__shuffle(idx, m, &s);
        /* the negatives continue the round where the positives stopped,
         * so fold sizes differ by at most one */
        for (size_t j = 0; j < m; j++) {
            fold[idx[j]] = next;
            next = (next + 1) % k;
        }
    }
    free(idx);
    return RV_OK;
}

/* ---- bins ------------------------------------------------------------- */

/* Sort doubles (no NaN) ascending: quicksort on the median of three with
 * insertion sort below 16 elements, recursing into the smaller part.  It
 * runs once per numeric column per training, where qsort's comparator
 * calls were a tenth of logistic regression's time. */
static void sort_doubles(double *v, size_t n)
{
    while (n > 16) {
        double a = v[0], b = v[n / 2], c = v[n - 1];
        double p = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        size_t i = 0, j = n - 1;
        for (;;) {
            while (v[i] < p)
                i++;
            while (v[j] > p)
                j--;
            if (i >= j)
                break;
            double t = v[i];
            v[i++] = v[j];
            v[j--] = t;
        }
        /* v[0..j] <= p <= v[j+1..n) */
        size_t left = j + 1;
        if (left < n - left) {
            sort_doubles(v, left);
            v += left, n -= left;
        } else {
            sort_doubles(v + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t k = i;
        while (k > 0 && v[k - 1] > x) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = x;
    }
}

int rv__quantile_edges(const double *x, const size_t *rows, size_t n, int maxb, double **edges)
{
    *edges = NULL;
    double *v = malloc((n ? n : 1) * sizeof *v), *e = NULL;
    if (!v)
        return 0;
    size_t m = 0, u = 0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[rows ? rows[i] : i];
        if (!isnan(xi))
            v[m++] = xi;
    }
    sort_doubles(v, m);
    for (size_t i = 0; i < m; i++)
        u += i == 0 || v[i] != v[i - 1];
    int ne = 0;
    if (u >= 2 && maxb >= 2 && (e = malloc((size_t)maxb * sizeof *e))) {
        if (u <= (size_t)maxb) { /* one bin per value: cut between them */
            for (size_t i = 1; i < m; i++)
                if (v[i] != v[i - 1])
                    e[ne++] = v[i - 1] + (v[i] - v[i - 1]) / 2;
        } else { /* quantiles of the values, a heavy value kept whole */
            for (int b = 1; b < maxb; b++) {
                size_t q = (size_t)((double)b * (double)m / maxb);
                if (q == 0 || q >= m || v[q - 1] == v[q])
                    continue;
                double t = v[q - 1] + (v[q] - v[q - 1]) / 2;
                if (ne == 0 || t > e[ne - 1])
                    e[ne++] = t;
            }
        }
    }
    free(v);
    if (ne == 0) {
        free(e);
        e = NULL;
    }
    *edges = e;
    return ne;
}

int rv__bin_of(const double *edges, int nedges, double x)
{
    int lo = 0, hi = nedges;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x <= edges[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ---- metrics ---------------------------------------------------------- */

static int cmp_by_score(const void *a, const void *b, void *score)
{
    const double *s = score;
    double x = s[*(const size_t *)a], y = s[*(const size_t *)b];
    return (x > y) - (x < y);
}

double rv_metric_auc(const double *score, const int8_t *y, size_t n)
{
    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += y[i] == 1;
    size_t nneg = n - npos;
    if (npos == 0 || nneg == 0)
        return NAN;
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        return NAN;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_by_score, (void *)score);
    double rpos = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t pos = 0;
        while (j < n && score[idx[j]] == score[idx[i]])
            pos += y[idx[j++]] == 1;
        /* ranks i+1 .. j share their mean */
        rpos += (double)pos * ((double)(i + 1) + (double)j) / 2.0;
        i = j;
    }
    free(idx);
    return (rpos - (double)npos * ((double)npos + 1) / 2.0) / ((double)npos * (double)nneg);
}

double rv_metric_logloss(const double *prob, const int8_t *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double p = fmin(fmax(prob[i], 1e-15), 1 - 1e-15);
        s -= y[i] ? log(p) : log1p(-p);
    }
    return n ? s / (double)n : NAN;
}

void rv_metric_calibration(const double *prob, const int8_t *y, size_t n, int nbins,
                           rv_calib_bin *bins)
{
    for (int b = 0; b < nbins; b++) {
        bins[b] = (rv_calib_bin){(double)b / nbins, (double)(b + 1) / nbins, 0, 0, 0};
    }
    for (size_t i = 0; i < n; i++) {
        int b = (int)(prob[i] * nbins);
        b = b < 0 ? 0 : b >= nbins ? nbins - 1 : b;
        bins[b].n++;
        bins[b].predicted += prob[i];
        bins[b].observed += y[i];
    }
    for (int b = 0; b < nbins; b++)
        if (bins[b].n) {
            bins[b].predicted /= (double)bins[b].n;
            bins[b].observed /= (double)bins[b].n;
        }
}
