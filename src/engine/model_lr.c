/*
 * model_lr.c - L2-regularised logistic regression.
 *
 * Encoding (what each column becomes; all learned from the training rows):
 *   numeric      z = (x - mean) / sd, 0 when x is missing;
 *                a missing indicator when the column has missing values;
 *                one indicator per quantile bin (lr_bins bins, fewer for a
 *                column with few distinct values), so that the model can
 *                bend a numeric effect (tenure, time on site) without
 *                giving up the linear term;
 *   categorical  one indicator per level, plus one for missing when the
 *                training rows have missing values.  A level the model
 *                never saw sets no indicator: it scores as the average.
 *
 * Objective, minimised by Newton's method (up to 1,200 coefficients) or
 * L-BFGS (Nocedal & Wright, algorithm 7.4, memory 10; wider encodings),
 * both with a backtracking line search (Armijo condition):
 *     sum_i w_i [log(1 + e^(z_i)) - y_i z_i] + l2/2 * sum_j beta_j^2,
 *     z_i = intercept + sum_j beta_j x_ij
 * The intercept is not penalised.  w_i are class weights (1, or
 * n / (2 n_class) with balanced).  A row is stored sparse (feature index,
 * value): two or three entries per column, so one pass is O(rows x
 * columns) whatever the number of levels.
 *
 * A column's contribution to a row's log-odds is the sum of beta_j x_ij
 * over its features; the intercept is the bias.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model_internal.h"

/* Number of encoded features of a column. */
static int width(const rv__spec *s)
{
    if (s->kind == RV_COL_CATEGORICAL)
        return s->nlevels + s->has_missing;
    return 1 + s->has_missing + (s->nedges ? s->nedges + 1 : 0);
}

/* Encode one column of a row: up to 2 (index, value) pairs; returns count. */
static int encode(const rv__spec *s, const rv__colmap *cm, int c, size_t row, int *idx,
                  double *val)
{
    int k = 0;
    if (s->kind == RV_COL_CATEGORICAL) {
        int l = rv__level(cm, c, row);
        if (l >= 0) {
            idx[k] = s->off + l, val[k++] = 1;
        } else if (s->has_missing && cm->dcol[c]->code[row] < 0) {
            idx[k] = s->off + s->nlevels, val[k++] = 1;
        }
        return k;
    }
    double x = rv__num(cm, c, row);
    if (isnan(x)) {
        if (s->has_missing)
            idx[k] = s->off + 1, val[k++] = 1;
        return k;
    }
    idx[k] = s->off, val[k++] = (x - s->mean) / s->sd;
    if (s->nedges)
        idx[k] = s->off + 1 + s->has_missing + rv__bin_of(s->edges, s->nedges, x), val[k++] = 1;
    return k;
}

double rv__lr_raw(const rv_model *m, const rv__colmap *cm, size_t row, double *contrib)
{
    double z = m->intercept;
    for (int c = 0; c < m->ncols; c++) {
        int idx[2];
        double val[2], part = 0;
        int k = encode(&m->cols[c], cm, c, row, idx, val);
        for (int j = 0; j < k; j++)
            part += m->coef[idx[j]] * val[j];
        z += part;
        if (contrib)
            contrib[c] += part;
    }
    return z;
}

typedef struct problem {
    size_t n;
    int p;
    const size_t *start; /* CSR row starts, n + 1 */
    const int *idx;
    const double *val;
    const double *w;
    const double *y;
    double l2;
    double *q; /* sigmoid(z_i) at the point of the last objective call */
} problem;

/* Objective and gradient at theta (p coefficients then the intercept). */
static double objective(const problem *pr, const double *th, double *g)
{
    int p = pr->p;
    double f = 0;
    memset(g, 0, ((size_t)p + 1) * sizeof *g);
    for (size_t i = 0; i < pr->n; i++) {
        double z = th[p];
        for (size_t k = pr->start[i]; k < pr->start[i + 1]; k++)
            z += th[pr->idx[k]] * pr->val[k];
        /* log(1 + e^z) and sigmoid(z) from one exponential */
        double e = exp(-fabs(z)), q = z >= 0 ? 1 / (1 + e) : e / (1 + e);
        f += pr->w[i] * ((z > 0 ? z : 0) + log1p(e) - pr->y[i] * z);
        pr->q[i] = q;
        double r = pr->w[i] * (q - pr->y[i]);
        for (size_t k = pr->start[i]; k < pr->start[i + 1]; k++)
            g[pr->idx[k]] += r * pr->val[k];
        g[p] += r;
    }
    for (int j = 0; j < p; j++) {
        f += 0.5 * pr->l2 * th[j] * th[j];
        g[j] += pr->l2 * th[j];
    }
    return f;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Backtracking from the full step d until the Armijo condition
 * f(x + t d) <= f(x) + 1e-4 t g.d holds; xn, gn and *fn get the point
 * taken.  false when 40 halvings find no decrease. */
static bool line_search(const problem *pr, const double *x, const double *d, double f, double gd,
                        double *xn, double *gn, double *fn, double *taken)
{
    int n = pr->p + 1;
    double step = 1;
    for (int ls = 0; ls < 40; ls++, step *= 0.5) {
        for (int i = 0; i < n; i++)
            xn[i] = x[i] + step * d[i];
        *fn = objective(pr, xn, gn);
        if (*fn <= f + 1e-4 * step * gd) {
            *taken = step;
            return true;
        }
    }
    return false;
}

#define LBFGS_M 10

static rv_status lbfgs(const problem *pr, double *x, int max_iter)
{
    int n = pr->p + 1;
    size_t sz = (size_t)n * sizeof(double);
    double *g = malloc(sz), *d = malloc(sz), *xn = malloc(sz), *gn = malloc(sz);
    double *S = malloc(sz * LBFGS_M), *Y = malloc(sz * LBFGS_M), rho[LBFGS_M], alpha[LBFGS_M];
    if (!g || !d || !xn || !gn || !S || !Y) {
        free(g), free(d), free(xn), free(gn), free(S), free(Y);
        return RV_ENOMEM;
    }
    double f = objective(pr, x, g);
    int hist = 0, head = 0;
    for (int it = 0; it < max_iter; it++) {
        /* two-loop recursion: d = -H g */
        for (int i = 0; i < n; i++)
            d[i] = -g[i];
        for (int k = 0; k < hist; k++) {
            int j = (head - 1 - k + LBFGS_M) % LBFGS_M;
            alpha[j] = rho[j] * dot(S + (size_t)j * n, d, n);
            for (int i = 0; i < n; i++)
                d[i] -= alpha[j] * Y[(size_t)j * n + i];
        }
        if (hist) {
            int j = (head - 1 + LBFGS_M) % LBFGS_M;
            double gamma = dot(S + (size_t)j * n, Y + (size_t)j * n, n) /
                           dot(Y + (size_t)j * n, Y + (size_t)j * n, n);
            for (int i = 0; i < n; i++)
                d[i] *= gamma;
        } else {
            double gn2 = sqrt(dot(g, g, n));
            for (int i = 0; i < n; i++)
                d[i] /= gn2 > 1 ? gn2 : 1;
        }
        for (int k = hist - 1; k >= 0; k--) {
            int j = (head - 1 - k + LBFGS_M) % LBFGS_M;
            double beta = rho[j] * dot(Y + (size_t)j * n, d, n);
            for (int i = 0; i < n; i++)
                d[i] += (alpha[j] - beta) * S[(size_t)j * n + i];
        }
        double gd = dot(g, d, n);
        if (gd >= 0) { /* not a descent direction: restart from steepest */
            for (int i = 0; i < n; i++)
                d[i] = -g[i];
            gd = -dot(g, g, n);
            hist = 0;
        }
        double fn, step;
        if (!line_search(pr, x, d, f, gd, xn, gn, &fn, &step))
            break;
        int j = head;
        double sy = 0;
        for (int i = 0; i < n; i++) {
            S[(size_t)j * n + i] = xn[i] - x[i];
            Y[(size_t)j * n + i] = gn[i] - g[i];
        }
        sy = dot(S + (size_t)j * n, Y + (size_t)j * n, n);
        if (sy > 1e-12) {
            rho[j] = 1 / sy;
            head = (head + 1) % LBFGS_M;
            if (hist < LBFGS_M)
                hist++;
        }
        memcpy(x, xn, sz);
        memcpy(g, gn, sz);
        double df = f - fn;
        f = fn;
        double gmax = 0;
        for (int i = 0; i < n; i++)
            gmax = fmax(gmax, fabs(g[i]));
        if (df <= 1e-10 * fmax(1, fabs(f)) || gmax < 1e-6)
            break;
    }
    free(g), free(d), free(xn), free(gn), free(S), free(Y);
    return RV_OK;
}

/* Newton's method for up to NEWTON_MAX_P coefficients: the Hessian
 *     H = sum_i w_i p_i (1 - p_i) x_i x_i^T + l2 I   (intercept unpenalised)
 * is built from the sparse rows (a row with k entries costs k (k + 1) / 2
 * updates) and solved by Cholesky; a backtracking line search keeps every
 * step a descent.  The objective is strictly convex (l2 > 0), so a handful
 * of steps reach the optimum to machine precision, where L-BFGS needs a
 * hundred gradient passes.  Wider encodings use L-BFGS. */
#define NEWTON_MAX_P 1200

/* Cholesky factor H = L L^T in place (lower triangle); false when H is
 * not positive definite. */
static bool cholesky_factor(double *H, int n)
{
    for (int j = 0; j < n; j++) {
        double *hj = H + (size_t)j * n;
        double s = hj[j];
        for (int k = 0; k < j; k++)
            s -= hj[k] * hj[k];
        if (!(s > 0))
            return false;
        hj[j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double *hi = H + (size_t)i * n;
            double t = hi[j];
            for (int k = 0; k < j; k++)
                t -= hi[k] * hj[k];
            hi[j] = t / hj[j];
        }
    }
    return true;
}

/* Solve L L^T x = b in place with the factor of cholesky_factor. */
static void cholesky_solve(const double *L, int n, double *b)
{
    for (int i = 0; i < n; i++) { /* L y = b */
        double t = b[i];
        for (int k = 0; k < i; k++)
            t -= L[(size_t)i * n + k] * b[k];
        b[i] = t / L[(size_t)i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
        double t = b[i];
        for (int k = i + 1; k < n; k++)
            t -= L[(size_t)k * n + i] * b[k];
        b[i] = t / L[(size_t)i * n + i];
    }
}

/* H = sum_i w_i p_i (1 - p_i) x_i x_i^T + l2 I at the point of the last
 * objective call (p_i from pr->q), lower triangle, the intercept as the
 * last row. */
static void hessian(const problem *pr, double *H)
{
    int n = pr->p + 1, p = pr->p;
    memset(H, 0, (size_t)n * (size_t)n * sizeof *H);
    for (size_t i = 0; i < pr->n; i++) {
        double q = pr->q[i], h = pr->w[i] * q * (1 - q);
        for (size_t a = pr->start[i]; a < pr->start[i + 1]; a++) {
            int ia = pr->idx[a];
            double ha = h * pr->val[a];
            /* a row's indices ascend, so b <= a is the lower triangle */
            double *ha_row = H + (size_t)ia * n;
            for (size_t b = pr->start[i]; b <= a; b++)
                ha_row[pr->idx[b]] += ha * pr->val[b];
            H[(size_t)p * n + ia] += ha;
        }
        H[(size_t)p * n + p] += h;
    }
    for (int j = 0; j < p; j++)
        H[(size_t)j * n + j] += pr->l2;
    H[(size_t)p * n + p] += 1e-10;
}

/* Newton's method with a lazily refreshed Hessian: building it is the
 * expensive part (k (k + 1) / 2 updates for a row of k entries, where the
 * objective costs k), so it is rebuilt only while the objective still
 * falls by more than 1% a step or when a step with the old one fails to
 * take the full length; near the optimum the old factor's steps converge
 * (the chord method) at the cost of one objective pass and two triangular
 * solves each.  Stops when the decrement g.H^-1.g (about twice the
 * distance to the optimum's objective) falls below 1e-7 of the objective:
 * the AUC and log-loss are then those of the optimum to every printed
 * digit. */
static rv_status newton(const problem *pr, double *x, int max_iter)
{
    int n = pr->p + 1;
    size_t sz = (size_t)n * sizeof(double);
    double *g = malloc(sz), *d = malloc(sz), *xn = malloc(sz), *gn = malloc(sz);
    double *H = malloc(sz * (size_t)n);
    if (!g || !d || !xn || !gn || !H) {
        free(g), free(d), free(xn), free(gn), free(H);
        return RV_ENOMEM;
    }
    double f = objective(pr, x, g);
    bool keep = false; /* the factor of an earlier point serves */
    for (int it = 0; it < max_iter; it++) {
        bool stale = keep;
        if (!keep) {
            hessian(pr, H); /* the last objective call was at x */
            if (!cholesky_factor(H, n))
                break;
        }
        for (int j = 0; j < n; j++)
            d[j] = -g[j];
        cholesky_solve(H, n, d);
        double gd = dot(g, d, n);
        if (-gd < 1e-7 * fmax(1, fabs(f)))
            break; /* the Newton decrement is negligible: converged */
        double fn, step;
        if (!line_search(pr, x, d, f, gd, xn, gn, &fn, &step)) {
            keep = false; /* retry with the Hessian of this point */
            if (!stale)
                break;
            f = objective(pr, x, g); /* pr->q back at x */
            continue;
        }
        memcpy(x, xn, sz);
        memcpy(g, gn, sz);
        /* keep the factor while steps are full and the fall is small */
        keep = step == 1 && f - fn < 1e-2 * fabs(f);
        f = fn;
    }
    free(g), free(d), free(xn), free(gn), free(H);
    return RV_OK;
}

rv_status rv__lr_train(rv_model *m, const rv_mdata *d, const rv__colmap *cm, const size_t *rows,
                       size_t n, const double *w, const rv_model_params *p, rv_err *err)
{
    if (p->max_iter < 1 || p->lr_bins < 0 || p->lr_bins > 1000)
        return rv_err_set(err, RV_EINVAL, "params",
                          "lr parameters out of range (max_iter >= 1, lr_bins 0..1000)");
    /* the encoding: standardisation, missing flags and bins per column */
    int off = 0;
    for (int c = 0; c < m->ncols; c++) {
        rv__spec *s = &m->cols[c];
        s->off = off;
        if (s->kind == RV_COL_NUMERIC) {
            double sum = 0, sq = 0;
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                double x = rv__num(cm, c, rows[i]);
                if (isnan(x)) {
                    s->has_missing = 1;
                    continue;
                }
                sum += x;
                k++;
            }
            s->mean = k ? sum / (double)k : 0;
            for (size_t i = 0; i < n; i++) {
                double x = rv__num(cm, c, rows[i]);
                if (!isnan(x))
                    sq += (x - s->mean) * (x - s->mean);
            }
            s->sd = k > 1 && sq > 0 ? sqrt(sq / (double)k) : 1;
            if (p->lr_bins >= 2)
                s->nedges = rv__quantile_edges(cm->dcol[c]->num, rows, n, p->lr_bins, &s->edges);
        } else {
            for (size_t i = 0; i < n && !s->has_missing; i++)
                s->has_missing = cm->dcol[c]->code[rows[i]] < 0;
        }
        off += width(s);
    }
    m->p = off;
    m->coef = calloc((size_t)off + 1, sizeof *m->coef);
    size_t cap = n * (size_t)m->ncols * 2 + 1;
    size_t *start = malloc((n + 1) * sizeof *start);
    int *idx = malloc(cap * sizeof *idx);
    double *val = malloc(cap * sizeof *val), *y = malloc(n * sizeof *y);
    double *th = calloc((size_t)off + 1, sizeof *th), *q = malloc((n ? n : 1) * sizeof *q);
    rv_status st = RV_OK;
    if (!m->coef || !start || !idx || !val || !y || !th || !q) {
        st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        goto done;
    }
    size_t nnz = 0;
    double wpos = 0, wall = 0;
    for (size_t i = 0; i < n; i++) {
        start[i] = nnz;
        for (int c = 0; c < m->ncols; c++)
            nnz += (size_t)encode(&m->cols[c], cm, c, rows[i], idx + nnz, val + nnz);
        y[i] = d->y[rows[i]];
        wpos += w[i] * y[i];
        wall += w[i];
    }
    start[n] = nnz;
    th[off] = log(wpos / (wall - wpos)); /* start from the base rate */
    problem pr = {n, off, start, idx, val, w, y, p->l2, q};
    if ((off < NEWTON_MAX_P ? newton : lbfgs)(&pr, th, p->max_iter)) {
        st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
        goto done;
    }
    memcpy(m->coef, th, (size_t)off * sizeof *th);
    m->intercept = th[off];
done:
    free(start);
    free(idx);
    free(val);
    free(y);
    free(th);
    free(q);
    return st;
}
