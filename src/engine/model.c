/*
 * model.c - what every model kind shares: training entry, Platt
 * calibration, prediction, explanations, importance, cross-validation and
 * the text serialisation.  The kinds themselves are model_lr.c and
 * model_gbt.c; both score a row through rv__*_raw(), which returns the raw
 * log-odds and, on request, each column's part of it.
 *
 * Serialisation format (version 1), one record per line, fields separated
 * by one space, doubles in hex-float so reading gives back the same bits:
 *
 *     revos-model 1 lr|gbt
 *     platt A B
 *     columns N
 *     numeric NEDGES HAS_MISSING MEAN SD OFF NAME      (then "edges E...")
 *     categorical NLEVELS HAS_MISSING OFF NAME         (then NLEVELS "level NAME")
 *     lr P INTERCEPT                                   (then "coef C...")
 *     gbt BASE NTREES                                  (then per tree:)
 *     tree NNODES
 *     node COL LEFT RIGHT MISS_LEFT THR CATS0 CATS1 CATS2 CATS3 VALUE
 *     end
 *
 * NAME is the rest of the line with '\\' and newline escaped as "\\\\" and
 * "\\n".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/model_internal.h"

void rv_model_params_default(rv_model_params *p, rv_model_kind kind)
{
    *p = (rv_model_params){
        .kind = kind,
        .balanced = false,
        .calibrate = true,
        .seed = 42,
        .l2 = 4.0,
        .lr_bins = 8,
        .max_iter = 300,
        .max_trees = 500,
        .learning_rate = 0.1,
        .max_leaves = 15,
        .min_leaf = 20,
        .leaf_l2 = 1.0,
        .max_bins = 255,
        .holdout = 0.15,
        .patience = 15,
    };
}

static void spec_release(rv__spec *s)
{
    free(s->name);
    for (int l = 0; l < s->nlevels; l++)
        free(s->levels[l]);
    free(s->levels);
    free(s->edges);
}

void rv_model_free(rv_model *m)
{
    if (!m)
        return;
    for (int c = 0; c < m->ncols; c++)
        spec_release(&m->cols[c]);
    free(m->cols);
    free(m->coef);
    for (int t = 0; t < m->ntrees; t++)
        free(m->trees[t].nodes);
    free(m->trees);
    free(m);
}

rv_model_kind rv_model_kind_of(const rv_model *m) { return m->kind; }
int rv_model_trees(const rv_model *m) { return m->ntrees; }
int rv_model_cols(const rv_model *m) { return m->ncols; }
const char *rv_model_col_name(const rv_model *m, int col) { return m->cols[col].name; }

rv_status rv__spec_from_data(rv_model *m, const rv_mdata *d)
{
    m->cols = calloc((size_t)d->ncols, sizeof *m->cols);
    if (!m->cols)
        return RV_ENOMEM;
    m->ncols = d->ncols;
    for (int c = 0; c < d->ncols; c++) {
        const rv__mcol *dc = &d->cols[c];
        rv__spec *s = &m->cols[c];
        s->kind = dc->kind;
        if (!(s->name = strdup(dc->name)))
            return RV_ENOMEM;
        if (dc->kind == RV_COL_CATEGORICAL && dc->nlevels) {
            if (!(s->levels = calloc((size_t)dc->nlevels, sizeof *s->levels)))
                return RV_ENOMEM;
            for (int l = 0; l < dc->nlevels; l++, s->nlevels++)
                if (!(s->levels[l] = strdup(dc->levels[l])))
                    return RV_ENOMEM;
        }
    }
    return RV_OK;
}

rv_status rv__colmap_init(rv__colmap *cm, const rv_model *m, const rv_mdata *d, rv_err *err)
{
    cm->ncols = m->ncols;
    cm->dcol = calloc((size_t)m->ncols + 1, sizeof *cm->dcol);
    cm->tr = calloc((size_t)m->ncols + 1, sizeof *cm->tr);
    if (!cm->dcol || !cm->tr) {
        rv__colmap_release(cm);
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    }
    for (int c = 0; c < m->ncols; c++) {
        const rv__spec *s = &m->cols[c];
        const rv__mcol *dc = NULL;
        for (int j = 0; j < d->ncols && !dc; j++)
            if (!strcmp(d->cols[j].name, s->name))
                dc = &d->cols[j];
        if (!dc || dc->kind != s->kind) {
            rv__colmap_release(cm);
            return rv_err_set(err, RV_EINVAL, s->name,
                              dc ? "column '%s' must be %s for this model"
                                 : "the model needs column '%s' (%s), which the data lacks",
                              s->name, s->kind == RV_COL_NUMERIC ? "numeric" : "categorical");
        }
        cm->dcol[c] = dc;
        if (s->kind != RV_COL_CATEGORICAL)
            continue;
        cm->tr[c] = malloc(((size_t)dc->nlevels + 1) * sizeof **cm->tr);
        if (!cm->tr[c]) {
            rv__colmap_release(cm);
            return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        }
        for (int l = 0; l < dc->nlevels; l++) {
            int lo = 0, hi = s->nlevels - 1, at = -1;
            while (lo <= hi) {
                int mid = (lo + hi) / 2, r = strcmp(s->levels[mid], dc->levels[l]);
                if (r == 0) {
                    at = mid;
                    break;
                }
                if (r < 0)
                    lo = mid + 1;
                else
                    hi = mid - 1;
            }
            cm->tr[c][l] = at;
        }
    }
    return RV_OK;
}

void rv__colmap_release(rv__colmap *cm)
{
    if (cm->tr)
        for (int c = 0; c < cm->ncols; c++)
            free(cm->tr[c]);
    free(cm->tr);
    free(cm->dcol);
    cm->tr = NULL;
    cm->dcol = NULL;
}

/* Platt: minimise the log-loss of sigmoid(a f + b) by Newton's method on
 * (a, b) with a tiny ridge for stability; starts from the identity. */
void rv__platt_fit(const double *f, const int8_t *y, size_t n, double *a, double *b)
{
    double A = 1, B = 0;
    for (int it = 0; it < 50; it++) {
        double ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
        for (size_t i = 0; i < n; i++) {
            double p = rv__sigmoid(A * f[i] + B), r = p - y[i], h = p * (1 - p);
            ga += r * f[i];
            gb += r;
            haa += h * f[i] * f[i];
            hab += h * f[i];
            hbb += h;
        }
        double det = haa * hbb - hab * hab;
        if (!(det > 0))
            break;
        double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
        A -= da;
        B -= db;
        if (fabs(da) + fabs(db) < 1e-10)
            break;
    }
    *a = A;
    *b = B;
}

static double raw_of(const rv_model *m, const rv__colmap *cm, size_t row, double *contrib)
{
    return m->kind == RV_MODEL_LR ? rv__lr_raw(m, cm, row, contrib)
                                  : rv__gbt_raw(m, cm, row, contrib);
}

rv_status rv_model_train(rv_model **out, const rv_mdata *d, const size_t *rows, size_t nrows,
                         const rv_model_params *p, rv_err *err)
{
    *out = NULL;
    if (!d->y)
        return rv_err_set(err, RV_EINVAL, "target", "dataset has no target");
    if (d->ncols == 0)
        return rv_err_set(err, RV_EINVAL, NULL, "dataset has no feature columns");
    if (!rows)
        nrows = d->n;
    if (p->l2 < 0 || p->leaf_l2 < 0)
        return rv_err_set(err, RV_EINVAL, "l2", "l2 must be >= 0, got %g",
                          p->l2 < 0 ? p->l2 : p->leaf_l2);
    if (p->kind == RV_MODEL_GBT &&
        (p->max_bins < 2 || p->max_bins > 255 || p->max_leaves < 2 || p->min_leaf < 1 ||
         p->learning_rate <= 0 || p->max_trees < 1 || p->holdout <= 0 || p->holdout >= 0.5))
        return rv_err_set(err, RV_EINVAL, "params",
                          "gbt parameters out of range (max_bins 2..255, max_leaves >= 2, "
                          "min_leaf >= 1, learning_rate > 0, max_trees >= 1, holdout in (0, "
                          "0.5))");
    size_t pos = 0;
    for (size_t i = 0; i < nrows; i++)
        pos += (size_t)d->y[rows ? rows[i] : i];
    if (pos == 0 || pos == nrows)
        return rv_err_set(err, RV_EINVAL, "target",
                          "training rows must contain both classes, got only %d", pos ? 1 : 0);
    size_t *all = NULL;
    if (!rows) {
        if (!(all = malloc(nrows * sizeof *all)))
            return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        for (size_t i = 0; i < nrows; i++)
            all[i] = i;
        rows = all;
    }
    double *w = malloc(nrows * sizeof *w);
    rv_model *m = calloc(1, sizeof *m);
    rv_status st = RV_ENOMEM;
    rv__colmap cm = {0};
    if (!w || !m || rv__spec_from_data(m, d)) {
        rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        goto done;
    }
    m->kind = p->kind;
    m->platt_a = 1;
    for (size_t i = 0; i < nrows; i++)
        w[i] = !p->balanced ? 1.0
               : d->y[rows[i]] ? (double)nrows / (2.0 * (double)pos)
                               : (double)nrows / (2.0 * (double)(nrows - pos));
    if ((st = rv__colmap_init(&cm, m, d, err)))
        goto done;
    st = p->kind == RV_MODEL_LR ? rv__lr_train(m, d, &cm, rows, nrows, w, p, err)
                                : rv__gbt_train(m, d, &cm, rows, nrows, w, p, err);
    if (!st && p->kind == RV_MODEL_LR && p->calibrate) {
        double *f = malloc(nrows * sizeof *f);
        int8_t *y = malloc(nrows);
        if (!f || !y) {
            st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        } else {
            for (size_t i = 0; i < nrows; i++) {
                f[i] = rv__lr_raw(m, &cm, rows[i], NULL);
                y[i] = d->y[rows[i]];
            }
            rv__platt_fit(f, y, nrows, &m->platt_a, &m->platt_b);
        }
        free(f);
        free(y);
    }
done:
    rv__colmap_release(&cm);
    free(w);
    free(all);
    if (st) {
        rv_model_free(m);
        return st;
    }
    *out = m;
    return RV_OK;
}

rv_status rv_model_predict(const rv_model *m, const rv_mdata *d, const size_t *rows, size_t nrows,
                           double *prob, rv_err *err)
{
    rv__colmap cm;
    rv_status st = rv__colmap_init(&cm, m, d, err);
    if (st)
        return st;
    if (!rows)
        nrows = d->n;
    for (size_t i = 0; i < nrows; i++)
        prob[i] = rv__sigmoid(m->platt_a * raw_of(m, &cm, rows ? rows[i] : i, NULL) + m->platt_b);
    rv__colmap_release(&cm);
    return RV_OK;
}

/* Contributions of one row with a colmap already made. */
static void explain_row(const rv_model *m, const rv__colmap *cm, size_t row, double *contrib,
                        double *bias)
{
    for (int c = 0; c < m->ncols; c++)
        contrib[c] = 0;
    double raw = raw_of(m, cm, row, contrib), sum = 0;
    for (int c = 0; c < m->ncols; c++) {
        contrib[c] *= m->platt_a;
        sum += contrib[c];
    }
    /* the bias is what the columns leave: exact by construction, and equal
     * to a * (intercept or base + root values) + b up to rounding */
    *bias = m->platt_a * raw + m->platt_b - sum;
}

rv_status rv_model_explain(const rv_model *m, const rv_mdata *d, size_t row, double *contrib,
                           double *bias, rv_err *err)
{
    if (row >= d->n)
        return rv_err_set(err, RV_EINVAL, "row", "row %zu is out of range (%zu rows)", row + 1,
                          d->n);
    rv__colmap cm;
    rv_status st = rv__colmap_init(&cm, m, d, err);
    if (st)
        return st;
    explain_row(m, &cm, row, contrib, bias);
    rv__colmap_release(&cm);
    return RV_OK;
}

rv_status rv_model_importance(const rv_model *m, const rv_mdata *d, const size_t *rows,
                              size_t nrows, double *importance, rv_err *err)
{
    rv__colmap cm;
    rv_status st = rv__colmap_init(&cm, m, d, err);
    if (st)
        return st;
    double *c = malloc(((size_t)m->ncols + 1) * sizeof *c), bias;
    if (!c) {
        rv__colmap_release(&cm);
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    }
    if (!rows)
        nrows = d->n;
    for (int k = 0; k < m->ncols; k++)
        importance[k] = 0;
    for (size_t i = 0; i < nrows; i++) {
        explain_row(m, &cm, rows ? rows[i] : i, c, &bias);
        for (int k = 0; k < m->ncols; k++)
            importance[k] += fabs(c[k]);
    }
    for (int k = 0; k < m->ncols; k++)
        importance[k] /= nrows ? (double)nrows : 1.0;
    free(c);
    rv__colmap_release(&cm);
    return RV_OK;
}

/* ---- cross-validation -------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

rv_status rv_model_cv(const rv_mdata *d, const int *fold, int k, const rv_model_params *p,
                      double *oof, rv_cv_result *res, rv_err *err)
{
    if (k < 2 || k > 64)
        return rv_err_set(err, RV_EINVAL, "folds", "folds must be between 2 and 64, got %d", k);
    if (!d->y)
        return rv_err_set(err, RV_EINVAL, "target", "dataset has no target");
    memset(res, 0, sizeof *res);
    res->k = k;
    size_t n = d->n;
    size_t *tr = malloc(n * sizeof *tr), *te = malloc(n * sizeof *te);
    double *pred = malloc(n * sizeof *pred), *all = malloc(n * sizeof *all);
    int8_t *yt = malloc(n);
    rv_status st = RV_OK;
    if (!tr || !te || !pred || !all || !yt) {
        st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        goto done;
    }
    for (int f = 0; f < k && !st; f++) {
        size_t ntr = 0, nte = 0;
        for (size_t i = 0; i < n; i++) {
            if (fold[i] == f)
                te[nte++] = i;
            else
                tr[ntr++] = i;
        }
        if (nte == 0) {
            st = rv_err_set(err, RV_EINVAL, "folds", "fold %d has no rows", f + 1);
            break;
        }
        rv_model *m;
        double t0 = now_seconds();
        if ((st = rv_model_train(&m, d, tr, ntr, p, err)))
            break;
        res->train_seconds += now_seconds() - t0;
        res->trees += m->ntrees;
        st = rv_model_predict(m, d, te, nte, pred, err);
        rv_model_free(m);
        for (size_t i = 0; i < nte && !st; i++) {
            yt[i] = d->y[te[i]];
            all[te[i]] = pred[i];
        }
        res->fold_auc[f] = rv_metric_auc(pred, yt, nte);
        res->auc_mean += res->fold_auc[f] / k;
    }
    if (!st) {
        res->trees /= k;
        res->auc = rv_metric_auc(all, d->y, n);
        res->logloss = rv_metric_logloss(all, d->y, n);
        if (oof)
            memcpy(oof, all, n * sizeof *oof);
    }
done:
    free(tr);
    free(te);
    free(pred);
    free(all);
    free(yt);
    return st;
}

/* ---- serialisation ----------------------------------------------------- */

static void put_name(rv_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            rv_buf_puts(b, "\\\\");
        else if (*s == '\n')
            rv_buf_puts(b, "\\n");
        else
            rv_buf_putc(b, *s);
    }
    rv_buf_putc(b, '\n');
}

static void put_doubles(rv_buf *b, const char *tag, const double *v, int n)
{
    rv_buf_puts(b, tag);
    for (int i = 0; i < n; i++)
        rv_buf_printf(b, " %a", v[i]);
    rv_buf_putc(b, '\n');
}

rv_status rv_model_write(const rv_model *m, rv_buf *b)
{
    rv_buf_printf(b, "revos-model %d %s\n", RV__MODEL_VERSION, m->kind == RV_MODEL_LR ? "lr" : "gbt");
    rv_buf_printf(b, "platt %a %a\ncolumns %d\n", m->platt_a, m->platt_b, m->ncols);
    for (int c = 0; c < m->ncols; c++) {
        const rv__spec *s = &m->cols[c];
        if (s->kind == RV_COL_NUMERIC) {
            rv_buf_printf(b, "numeric %d %d %a %a %d ", s->nedges, s->has_missing, s->mean, s->sd,
                          s->off);
            put_name(b, s->name);
            put_doubles(b, "edges", s->edges, s->nedges);
        } else {
            rv_buf_printf(b, "categorical %d %d %d ", s->nlevels, s->has_missing, s->off);
            put_name(b, s->name);
            for (int l = 0; l < s->nlevels; l++) {
                rv_buf_puts(b, "level ");
                put_name(b, s->levels[l]);
            }
        }
    }
    if (m->kind == RV_MODEL_LR) {
        rv_buf_printf(b, "lr %d %a\n", m->p, m->intercept);
        put_doubles(b, "coef", m->coef, m->p);
    } else {
        rv_buf_printf(b, "gbt %a %d\n", m->base, m->ntrees);
        for (int t = 0; t < m->ntrees; t++) {
            rv_buf_printf(b, "tree %d\n", m->trees[t].nnodes);
            for (int i = 0; i < m->trees[t].nnodes; i++) {
                const rv__node *nd = &m->trees[t].nodes[i];
                rv_buf_printf(b, "node %d %d %d %d %a %llx %llx %llx %llx %a\n", nd->col, nd->left,
                              nd->right, nd->miss_left, nd->thr, (unsigned long long)nd->cats[0],
                              (unsigned long long)nd->cats[1], (unsigned long long)nd->cats[2],
                              (unsigned long long)nd->cats[3], nd->value);
            }
        }
    }
    return rv_buf_puts(b, "end\n");
}

typedef struct reader {
    const char *p, *end;
    int line;
    char buf[65536];
    rv_err *err;
} reader;

/* Next line into r->buf (NUL-terminated); false at the end. */
static bool next_line(reader *r)
{
    if (r->p >= r->end)
        return false;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    size_t len = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
    if (len >= sizeof r->buf)
        len = sizeof r->buf - 1;
    memcpy(r->buf, r->p, len);
    r->buf[len] = 0;
    r->p = nl ? nl + 1 : r->end;
    r->line++;
    return true;
}

static rv_status bad(reader *r, const char *what)
{
    char q[80];
    return rv_err_set(r->err, RV_EPARSE, NULL, "model line %d: expected %s, got '%s'", r->line,
                      what, rv_err_quote(q, sizeof q, r->buf, strlen(r->buf)));
}

/* Read a line starting with tag; *rest points after "tag ". */
static rv_status expect(reader *r, const char *tag, char **rest)
{
    size_t n = strlen(tag);
    if (!next_line(r)) {
        snprintf(r->buf, sizeof r->buf, "end of input");
        return bad(r, tag);
    }
    if (strncmp(r->buf, tag, n) || (r->buf[n] != ' ' && r->buf[n] != 0))
        return bad(r, tag);
    *rest = r->buf + n + (r->buf[n] == ' ');
    return RV_OK;
}

static char *unescape(const char *s)
{
    char *o = malloc(strlen(s) + 1), *q = o;
    if (!o)
        return NULL;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *q++ = *s == 'n' ? '\n' : *s;
        } else {
            *q++ = *s;
        }
    }
    *q = 0;
    return o;
}

/* Parse n doubles from s. */
static rv_status read_doubles(reader *r, char *s, double *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *e;
        v[i] = strtod(s, &e);
        if (e == s)
            return bad(r, "a number");
        s = e;
    }
    return RV_OK;
}

/* Skip k space-separated fields of s; the rest (a name) is returned. */
static char *skip_fields(char *s, int k)
{
    for (int i = 0; i < k && s; i++) {
        s = strchr(s, ' ');
        if (s)
            s++;
    }
    return s;
}

static rv_status read_cols(reader *r, rv_model *m)
{
    char *s;
    rv_status st;
    for (int c = 0; c < m->ncols; c++) {
        rv__spec *sp = &m->cols[c];
        if (!next_line(r))
            return bad(r, "a column");
        if (!strncmp(r->buf, "numeric ", 8)) {
            sp->kind = RV_COL_NUMERIC;
            s = r->buf + 8;
            if (sscanf(s, "%d %d %la %la %d", &sp->nedges, &sp->has_missing, &sp->mean, &sp->sd,
                       &sp->off) != 5 ||
                sp->nedges < 0 || sp->nedges > 1 << 20 || !(s = skip_fields(s, 5)))
                return bad(r, "numeric NEDGES HAS_MISSING MEAN SD OFF NAME");
            if (!(sp->name = unescape(s)))
                return RV_ENOMEM;
            if ((st = expect(r, "edges", &s)))
                return st;
            if (sp->nedges && !(sp->edges = malloc((size_t)sp->nedges * sizeof *sp->edges)))
                return RV_ENOMEM;
            if ((st = read_doubles(r, s, sp->edges, sp->nedges)))
                return st;
        } else if (!strncmp(r->buf, "categorical ", 12)) {
            sp->kind = RV_COL_CATEGORICAL;
            s = r->buf + 12;
            int nl;
            if (sscanf(s, "%d %d %d", &nl, &sp->has_missing, &sp->off) != 3 || nl < 0 ||
                nl > 1 << 24 || !(s = skip_fields(s, 3)))
                return bad(r, "categorical NLEVELS HAS_MISSING OFF NAME");
            if (!(sp->name = unescape(s)))
                return RV_ENOMEM;
            if (nl && !(sp->levels = calloc((size_t)nl, sizeof *sp->levels)))
                return RV_ENOMEM;
            for (; sp->nlevels < nl; sp->nlevels++) {
                if ((st = expect(r, "level", &s)))
                    return st;
                if (!(sp->levels[sp->nlevels] = unescape(s)))
                    return RV_ENOMEM;
            }
        } else {
            return bad(r, "'numeric' or 'categorical'");
        }
    }
    return RV_OK;
}

static rv_status read_model(reader *r, rv_model *m)
{
    char *s, kind[8];
    int ver;
    rv_status st;
    if ((st = expect(r, "revos-model", &s)))
        return st;
    if (sscanf(s, "%d %7s", &ver, kind) != 2)
        return bad(r, "'revos-model VERSION KIND'");
    if (ver != RV__MODEL_VERSION)
        return rv_err_set(r->err, RV_EINVAL, "version",
                          "model version %d is not supported (this build reads %d)", ver,
                          RV__MODEL_VERSION);
    if (!strcmp(kind, "lr"))
        m->kind = RV_MODEL_LR;
    else if (!strcmp(kind, "gbt"))
        m->kind = RV_MODEL_GBT;
    else
        return bad(r, "kind lr or gbt");
    if ((st = expect(r, "platt", &s)))
        return st;
    if (sscanf(s, "%la %la", &m->platt_a, &m->platt_b) != 2)
        return bad(r, "'platt A B'");
    if ((st = expect(r, "columns", &s)))
        return st;
    int nc;
    if (sscanf(s, "%d", &nc) != 1 || nc < 0 || nc > 1 << 16)
        return bad(r, "'columns N'");
    if (!(m->cols = calloc((size_t)nc + 1, sizeof *m->cols)))
        return RV_ENOMEM;
    m->ncols = nc;
    if ((st = read_cols(r, m)))
        return st;
    if (m->kind == RV_MODEL_LR) {
        if ((st = expect(r, "lr", &s)))
            return st;
        if (sscanf(s, "%d %la", &m->p, &m->intercept) != 2 || m->p < 0 || m->p > 1 << 24)
            return bad(r, "'lr P INTERCEPT'");
        if ((st = expect(r, "coef", &s)))
            return st;
        if (!(m->coef = calloc((size_t)m->p + 1, sizeof *m->coef)))
            return RV_ENOMEM;
        if ((st = read_doubles(r, s, m->coef, m->p)))
            return st;
        for (int c = 0; c < m->ncols; c++)
            if (m->cols[c].off < 0 || m->cols[c].off > m->p)
                return rv_err_set(r->err, RV_EPARSE, NULL, "model: column %d offset out of range",
                                  c + 1);
    } else {
        int nt;
        if ((st = expect(r, "gbt", &s)))
            return st;
        if (sscanf(s, "%la %d", &m->base, &nt) != 2 || nt < 0 || nt > 1 << 20)
            return bad(r, "'gbt BASE NTREES'");
        if (!(m->trees = calloc((size_t)nt + 1, sizeof *m->trees)))
            return RV_ENOMEM;
        for (; m->ntrees < nt; m->ntrees++) {
            rv__tree *t = &m->trees[m->ntrees];
            int nn;
            if ((st = expect(r, "tree", &s)))
                return st;
            if (sscanf(s, "%d", &nn) != 1 || nn < 1 || nn > 1 << 20)
                return bad(r, "'tree NNODES'");
            if (!(t->nodes = calloc((size_t)nn, sizeof *t->nodes)))
                return RV_ENOMEM;
            t->nnodes = nn;
            for (int i = 0; i < nn; i++) {
                rv__node *nd = &t->nodes[i];
                unsigned long long c0, c1, c2, c3;
                if ((st = expect(r, "node", &s)))
                    return st;
                if (sscanf(s, "%d %d %d %d %la %llx %llx %llx %llx %la", &nd->col, &nd->left,
                           &nd->right, &nd->miss_left, &nd->thr, &c0, &c1, &c2, &c3,
                           &nd->value) != 10)
                    return bad(r, "'node COL LEFT RIGHT MISS THR CATS*4 VALUE'");
                /* children come after their parent, so a walk always ends */
                if (nd->col >= m->ncols ||
                    (nd->col >= 0 && (nd->left <= i || nd->left >= nn || nd->right <= i ||
                                      nd->right >= nn)))
                    return bad(r, "a node whose column and children are in range");
                nd->cats[0] = c0, nd->cats[1] = c1, nd->cats[2] = c2, nd->cats[3] = c3;
            }
        }
    }
    if ((st = expect(r, "end", &s)))
        return st;
    return RV_OK;
}

rv_status rv_model_read(rv_model **out, const char *text, size_t len, rv_err *err)
{
    *out = NULL;
    reader *r = calloc(1, sizeof *r);
    rv_model *m = calloc(1, sizeof *m);
    if (!r || !m) {
        free(r);
        free(m);
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    }
    r->p = text;
    r->end = text + len;
    r->err = err;
    rv_status st = read_model(r, m);
    if (st == RV_ENOMEM)
        rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    free(r);
    if (st) {
        rv_model_free(m);
        return st;
    }
    *out = m;
    return RV_OK;
}
