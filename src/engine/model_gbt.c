/*
 * model_gbt.c - histogram gradient-boosted trees for the logistic loss.
 *
 * The design follows LightGBM (Ke et al., NIPS 2017) and scikit-learn's
 * HistGradientBoostingClassifier:
 *
 *   bins      a numeric column is cut at quantiles of its training values
 *             into at most max_bins - 1 value bins (one bin per value when
 *             there are few) plus one bin for missing; a categorical
 *             column has one bin per level (the 254 most frequent when
 *             there are more; the rest, missing and unseen levels share the
 *             last bin).  Bins are stored one byte per row and column,
 *             column-major (partitioning a leaf on its split column reads
 *             one contiguous byte array), and for building histograms
 *             each row lists only its bins that are not its column's most
 *             frequent one (see build_hist).
 *   gradients g = w (p - y), h = w p (1 - p) for the current score F.
 *   histogram per leaf and column, the sums of g, h and the row count per
 *             bin; a split leaf builds the histogram of its smaller child
 *             and gets the larger one by subtraction from its own.
 *   splits    a leaf's value is -G / (H + leaf_l2) and a split's gain
 *                 G_L^2/(H_L + l2) + G_R^2/(H_R + l2) - G^2/(H + l2);
 *             numeric: every bin boundary, with the missing bin tried on
 *             both sides (the side is learned, as in XGBoost's "sparsity
 *             aware" splits); categorical: levels sorted by G / (H + 10)
 *             and every prefix of that order tried (Fisher 1958, as
 *             LightGBM does), so one split groups many levels.
 *             Both children must keep min_leaf rows.
 *   growth    leaf-wise: the leaf with the best gain splits next, up to
 *             max_leaves leaves.
 *   boosting  F += learning_rate * tree; trees are added while the
 *             log-loss of a stratified held-out part of the training rows
 *             (holdout) keeps improving, stopping patience trees after the
 *             best, and the model keeps the trees up to the best.
 *
 * Every node keeps its value (internal nodes too), so the attribution of a
 * row (Saabas' path contributions) adds value(child) - value(parent) to the
 * split column at each step of its path; they telescope to
 * leaf - root, and base + sum of roots is the bias.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/model_internal.h"

#define MAX_CAT_LEVELS 254
#define CAT_SMOOTH 10.0

/* A histogram entry, and a row's gradient, hessian and count of one, as
 * four doubles that one vector addition updates (GCC/Clang vector
 * extension; on plain SSE2 it is two 16-byte additions).  Arrays of them
 * are 32-byte aligned. */
typedef double v4d __attribute__((vector_size(32)));
typedef union hent {
    struct {
        double g, h, n, unused;
    };
    v4d v;
} hent;

typedef struct split {
    double gain;
    int col;
    int tbin;      /* numeric: bins <= tbin go left */
    int miss_left;
    uint64_t cats[4];
    double gl, hl, nl;
} split;

typedef struct leaf {
    size_t start, len;
    hent *hist;
    double g, h;
    int node;
    split best;
} leaf;

typedef struct gbt {
    const rv_model_params *p;
    int ncols;
    int *nb;       /* bins per column (last = missing) */
    int *hoff;     /* offset of a column's bins in a histogram */
    int tb;        /* total bins */
    const rv_col_kind *kind;
    size_t nf;     /* fit rows: positions 0..nf-1 of bins; held-out after */
    size_t n;      /* rows binned (fit then held-out) */
    uint8_t *bins; /* column-major: bins[c * n + i] (partitions, held-out rows) */
    int *mf;       /* per column: its most frequent bin over the fit rows */
    size_t *rstart; /* fit row i's histogram entries: ent[rstart[i]..rstart[i+1]) */
    uint32_t *ent; /* hoff[c] + bin for each column whose bin is not mf[c] */
    int *tbin;     /* the tree being grown: numeric split bin per node */
    hent *gh;      /* gradient, hessian and 1 per fit row */
    size_t *idx, *tmp;
} gbt;

static inline bool bit_get(const uint64_t *s, int b) { return (s[b >> 6] >> (b & 63)) & 1; }
static inline void bit_set(uint64_t *s, int b) { s[b >> 6] |= 1ull << (b & 63); }

static double leaf_gain(double g, double h, double l2) { return g * g / (h + l2); }

/* The histogram of a leaf's rows.  A row adds its gradient, hessian and
 * count (one vector) to the bins of the columns where it is not in the
 * column's most frequent bin; that bin is then the leaf's total minus the
 * column's other bins (LightGBM's treatment of sparse features).  A yes/no
 * column that is "no" for 90% of the rows costs a tenth of a dense pass. */
static void build_hist(const gbt *t, const size_t *idx, size_t len, hent *hist)
{
    memset(hist, 0, (size_t)t->tb * sizeof *hist);
    v4d tot = {0, 0, 0, 0};
    for (size_t k = 0; k < len; k++) {
        size_t r = idx[k];
        v4d gh = t->gh[r].v;
        tot += gh;
        for (size_t e = t->rstart[r]; e < t->rstart[r + 1]; e++)
            hist[t->ent[e]].v += gh;
    }
    for (int c = 0; c < t->ncols; c++) {
        hent *hc = hist + t->hoff[c];
        v4d rest = tot;
        for (int b = 0; b < t->nb[c]; b++)
            if (b != t->mf[c])
                rest -= hc[b].v;
        /* counts are exact; an empty bin gets exact zeros, not rounding
         * residue that would break ties between equivalent cuts */
        hc[t->mf[c]].v = rest[2] == 0 ? (v4d){0, 0, 0, 0} : rest;
    }
}

/* Fill t->mf, t->rstart and t->ent from the column-major bins. */
static rv_status sparse_rows(gbt *t)
{
    size_t nf = t->nf, cnt[256], total = 0;
    for (int c = 0; c < t->ncols; c++) {
        const uint8_t *col = t->bins + (size_t)c * t->n;
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < nf; i++)
            cnt[col[i]]++;
        int mf = 0;
        for (int b = 1; b < t->nb[c]; b++)
            if (cnt[b] > cnt[mf])
                mf = b;
        t->mf[c] = mf;
        total += nf - cnt[mf];
    }
    t->ent = malloc((total ? total : 1) * sizeof *t->ent);
    if (!t->ent)
        return RV_ENOMEM;
    size_t e = 0;
    for (size_t i = 0; i < nf; i++) {
        t->rstart[i] = e;
        for (int c = 0; c < t->ncols; c++) {
            int b = t->bins[(size_t)c * t->n + i];
            if (b != t->mf[c])
                t->ent[e++] = (uint32_t)(t->hoff[c] + b);
        }
    }
    t->rstart[nf] = e;
    return RV_OK;
}

/* Sort a categorical column's non-empty bins by G / (H + CAT_SMOOTH),
 * ties by bin: insertion sort, as a column has few levels in a leaf. */
static void sort_by_ratio(int *order, int m, const hent *hc)
{
    double key[256];
    for (int k = 0; k < m; k++)
        key[k] = hc[order[k]].g / (hc[order[k]].h + CAT_SMOOTH);
    for (int k = 1; k < m; k++) {
        int o = order[k];
        double r = key[k];
        int j = k - 1;
        while (j >= 0 && key[j] > r) { /* bins ascend, so equal keys keep bin order */
            key[j + 1] = key[j];
            order[j + 1] = order[j];
            j--;
        }
        key[j + 1] = r;
        order[j + 1] = o;
    }
}

static void consider(split *best, const gbt *t, int c, double gl, double hl, double nl, double G,
                     double H, double N, double parent)
{
    const rv_model_params *p = t->p;
    double gr = G - gl, hr = H - hl, nr = N - nl;
    if (nl < p->min_leaf || nr < p->min_leaf || hl < 1e-3 || hr < 1e-3)
        return;
    double gain = leaf_gain(gl, hl, p->leaf_l2) + leaf_gain(gr, hr, p->leaf_l2) - parent;
    if (gain > best->gain) {
        best->gain = gain;
        best->col = c;
        best->gl = gl, best->hl = hl, best->nl = nl;
        best->tbin = -2; /* filled by the caller */
    }
}

static void find_split(const gbt *t, leaf *lf)
{
    split *best = &lf->best;
    memset(best, 0, sizeof *best);
    best->col = -1;
    double N = (double)lf->len, G = lf->g, H = lf->h;
    double parent = leaf_gain(G, H, t->p->leaf_l2);
    int order[256];
    for (int c = 0; c < t->ncols; c++) {
        const hent *hc = lf->hist + t->hoff[c];
        int nb = t->nb[c], miss = nb - 1;
        if (t->kind[c] == RV_COL_NUMERIC) {
            const hent *M = &hc[miss];
            double gl = 0, hl = 0, nl = 0;
            for (int b = 0; b < miss; b++) {
                gl += hc[b].g, hl += hc[b].h, nl += hc[b].n;
                for (int ml = 0; ml <= (M->n > 0); ml++) {
                    double before = best->gain;
                    consider(best, t, c, gl + ml * M->g, hl + ml * M->h, nl + ml * M->n, G, H, N,
                             parent);
                    if (best->gain > before) {
                        best->tbin = b;
                        best->miss_left = ml;
                    }
                }
            }
        } else {
            int m = 0;
            for (int b = 0; b < nb; b++)
                if (hc[b].n > 0)
                    order[m++] = b;
            if (m < 2)
                continue;
            sort_by_ratio(order, m, hc);
            double gl = 0, hl = 0, nl = 0;
            for (int k = 0; k + 1 < m; k++) {
                const hent *e = &hc[order[k]];
                gl += e->g, hl += e->h, nl += e->n;
                double before = best->gain;
                consider(best, t, c, gl, hl, nl, G, H, N, parent);
                if (best->gain > before) {
                    memset(best->cats, 0, sizeof best->cats);
                    for (int j = 0; j <= k; j++)
                        bit_set(best->cats, order[j]);
                }
            }
        }
    }
}

/* The side of every bin of the split column: 1 left, 0 right. */
static void split_sides(const gbt *t, const split *s, uint8_t *left)
{
    int nb = t->nb[s->col];
    for (int b = 0; b < nb; b++)
        left[b] = t->kind[s->col] == RV_COL_CATEGORICAL ? bit_get(s->cats, b)
                  : b == nb - 1                          ? (uint8_t)s->miss_left
                                                         : b <= s->tbin;
}

static int add_node(rv__tree *tr, double value)
{
    rv__node *nd = &tr->nodes[tr->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->col = -1;
    nd->left = nd->right = -1;
    nd->value = value;
    return tr->nnodes++;
}

/* Grow one tree on the current gradients; fills leaf outputs into out[i]
 * for every fit row. */
static rv_status grow(gbt *t, const rv_model *m, rv__tree *tr, hent *pool, double *out)
{
    const rv_model_params *p = t->p;
    int L = p->max_leaves;
    leaf *leaves = calloc((size_t)L, sizeof *leaves);
    tr->nodes = calloc((size_t)(2 * L), sizeof *tr->nodes);
    tr->nnodes = 0;
    if (!leaves || !tr->nodes) {
        free(leaves);
        return RV_ENOMEM;
    }
    for (size_t i = 0; i < t->nf; i++)
        t->idx[i] = i;
    int nl = 1;
    leaf *root = &leaves[0];
    root->start = 0;
    root->len = t->nf;
    root->hist = pool;
    build_hist(t, t->idx, t->nf, root->hist);
    for (int b = 0; b < t->nb[0]; b++)
        root->g += root->hist[b].g, root->h += root->hist[b].h;
    root->node = add_node(tr, -p->learning_rate * root->g / (root->h + p->leaf_l2));
    find_split(t, root);
    while (nl < L) {
        int bi = -1;
        for (int i = 0; i < nl; i++)
            if (leaves[i].best.col >= 0 && leaves[i].best.gain > 1e-12 &&
                (bi < 0 || leaves[i].best.gain > leaves[bi].best.gain))
                bi = i;
        if (bi < 0)
            break;
        leaf *pa = &leaves[bi];
        split s = pa->best;
        /* stable partition of the leaf's rows */
        size_t *seg = t->idx + pa->start, nleft = 0, nright = 0;
        uint8_t left_of[256];
        split_sides(t, &s, left_of);
        const uint8_t *bcol = t->bins + (size_t)s.col * t->n;
        for (size_t k = 0; k < pa->len; k++) { /* without a branch to mispredict */
            size_t r = seg[k];
            size_t l = left_of[bcol[r]];
            seg[nleft] = r;
            t->tmp[nright] = r;
            nleft += l;
            nright += 1 - l;
        }
        memcpy(seg + nleft, t->tmp, nright * sizeof *seg);
        leaf *ch = &leaves[nl];
        leaf left = {.start = pa->start, .len = nleft, .g = s.gl, .h = s.hl};
        leaf right = {.start = pa->start + nleft, .len = nright, .g = pa->g - s.gl, .h = pa->h - s.hl};
        /* the smaller child gets a fresh histogram, the larger the parent's
         * minus it */
        leaf *small = nleft <= nright ? &left : &right, *large = small == &left ? &right : &left;
        small->hist = pool + (size_t)nl * (size_t)t->tb;
        build_hist(t, t->idx + small->start, small->len, small->hist);
        large->hist = pa->hist;
        for (int b = 0; b < t->tb; b++)
            large->hist[b].v -= small->hist[b].v;
        left.node = add_node(tr, -p->learning_rate * left.g / (left.h + p->leaf_l2));
        right.node = add_node(tr, -p->learning_rate * right.g / (right.h + p->leaf_l2));
        rv__node *pn = &tr->nodes[pa->node];
        pn->col = s.col;
        pn->left = left.node;
        pn->right = right.node;
        t->tbin[pa->node] = s.tbin;
        const rv__spec *sp = &m->cols[s.col];
        if (t->kind[s.col] == RV_COL_CATEGORICAL) {
            memcpy(pn->cats, s.cats, sizeof pn->cats);
        } else {
            pn->miss_left = s.miss_left;
            pn->thr = s.tbin < sp->nedges ? sp->edges[s.tbin] : INFINITY;
        }
        find_split(t, &left);
        find_split(t, &right);
        *pa = left;
        *ch = right;
        nl++;
    }
    for (int i = 0; i < nl; i++) {
        double v = tr->nodes[leaves[i].node].value;
        for (size_t k = 0; k < leaves[i].len; k++)
            out[t->idx[leaves[i].start + k]] = v;
    }
    free(leaves);
    return RV_OK;
}

/* Walk the tree just grown for binned row r (the held-out rows). */
static double tree_value_bins(const gbt *t, const rv__tree *tr, size_t r)
{
    int i = 0;
    while (tr->nodes[i].col >= 0) {
        const rv__node *nd = &tr->nodes[i];
        int b = t->bins[(size_t)nd->col * t->n + r];
        bool left = t->kind[nd->col] == RV_COL_CATEGORICAL ? bit_get(nd->cats, b)
                    : b == t->nb[nd->col] - 1                ? nd->miss_left
                                                             : b <= t->tbin[i];
        i = left ? nd->left : nd->right;
    }
    return tr->nodes[i].value;
}

/* Walk one tree for a dataset row; adds path attributions to contrib. */
static double tree_value(const rv_model *m, const rv__tree *tr, const rv__colmap *cm, size_t row,
                         double *contrib)
{
    int i = 0;
    while (tr->nodes[i].col >= 0) {
        const rv__node *nd = &tr->nodes[i];
        const rv__spec *s = &m->cols[nd->col];
        bool left;
        if (s->kind == RV_COL_CATEGORICAL) {
            int l = rv__level(cm, nd->col, row);
            left = bit_get(nd->cats, l < 0 ? s->nlevels : l);
        } else {
            double x = rv__num(cm, nd->col, row);
            left = isnan(x) ? nd->miss_left : x <= nd->thr;
        }
        int next = left ? nd->left : nd->right;
        if (contrib)
            contrib[nd->col] += tr->nodes[next].value - nd->value;
        i = next;
    }
    return tr->nodes[i].value;
}

double rv__gbt_raw(const rv_model *m, const rv__colmap *cm, size_t row, double *contrib)
{
    double f = m->base;
    for (int t = 0; t < m->ntrees; t++)
        f += tree_value(m, &m->trees[t], cm, row, contrib);
    return f;
}

static int cmp_count_desc(const void *a, const void *b, void *counts)
{
    const size_t *cnt = counts;
    size_t x = cnt[*(const int *)a], y = cnt[*(const int *)b];
    return x != y ? (x < y ? 1 : -1) : *(const int *)a - *(const int *)b;
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep the MAX_CAT_LEVELS most frequent levels of a categorical column. */
static rv_status cap_levels(rv__spec *s, const rv__colmap *cm, int c, const size_t *rows, size_t n)
{
    if (s->nlevels <= MAX_CAT_LEVELS)
        return RV_OK;
    size_t *cnt = calloc((size_t)s->nlevels, sizeof *cnt);
    int *ord = malloc((size_t)s->nlevels * sizeof *ord);
    if (!cnt || !ord) {
        free(cnt);
        free(ord);
        return RV_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int l = rv__level(cm, c, rows[i]);
        if (l >= 0)
            cnt[l]++;
    }
    for (int l = 0; l < s->nlevels; l++)
        ord[l] = l;
    qsort_r(ord, (size_t)s->nlevels, sizeof *ord, cmp_count_desc, cnt);
    char **keep = malloc(MAX_CAT_LEVELS * sizeof *keep);
    if (!keep) {
        free(cnt);
        free(ord);
        return RV_ENOMEM;
    }
    for (int k = 0; k < MAX_CAT_LEVELS; k++) {
        keep[k] = s->levels[ord[k]];
        s->levels[ord[k]] = NULL;
    }
    for (int l = 0; l < s->nlevels; l++)
        free(s->levels[l]);
    free(s->levels);
    qsort(keep, MAX_CAT_LEVELS, sizeof *keep, cmp_str);
    s->levels = keep;
    s->nlevels = MAX_CAT_LEVELS;
    free(cnt);
    free(ord);
    return RV_OK;
}

rv_status rv__gbt_train(rv_model *m, const rv_mdata *d, const rv__colmap *cm0, const size_t *rows,
                        size_t n, const double *w, const rv_model_params *p, rv_err *err)
{
    int nc = m->ncols;
    rv__colmap cm = {0};
    gbt t = {.p = p, .ncols = nc};
    rv_col_kind *kind = malloc((size_t)nc * sizeof *kind);
    t.nb = malloc((size_t)nc * sizeof *t.nb);
    t.hoff = malloc((size_t)nc * sizeof *t.hoff);
    size_t *fit = malloc(n * sizeof *fit), *val = malloc(n * sizeof *val);
    double *wf = malloc(n * sizeof *wf), *F = malloc(n * sizeof *F), *Fv = malloc(n * sizeof *Fv);
    double *Fb = malloc(n * sizeof *Fb);
    double *out = malloc(n * sizeof *out);
    int8_t *yv = malloc(n), *yf = malloc(n);
    hent *pool = NULL;
    rv_status st = RV_ENOMEM;
    t.kind = kind;
    if (!kind || !t.nb || !t.hoff || !fit || !val || !wf || !F || !Fv || !Fb || !out || !yv || !yf)
        goto nomem;
    for (int c = 0; c < nc; c++)
        if (m->cols[c].kind == RV_COL_CATEGORICAL && cap_levels(&m->cols[c], cm0, c, rows, n))
            goto nomem;
    if ((st = rv__colmap_init(&cm, m, d, err)))
        goto done;
    /* stratified held-out split for early stopping and calibration */
    size_t nf = 0, nv = 0;
    uint64_t seed = p->seed ^ 0x5bd1e995u;
    for (int cls = 1; cls >= 0; cls--) {
        size_t k = 0, *tmp = malloc(n * sizeof *tmp);
        if (!tmp)
            goto nomem;
        for (size_t i = 0; i < n; i++)
            if (d->y[rows[i]] == cls)
                tmp[k++] = i;
        rv__shuffle(tmp, k, &seed);
        size_t hold = (size_t)((double)k * p->holdout + 0.5);
        for (size_t j = 0; j < k; j++) {
            if (j < hold)
                val[nv++] = tmp[j];
            else
                fit[nf++] = tmp[j];
        }
        free(tmp);
    }
    if (nf < 2 || nv < 2) {
        st = rv_err_set(err, RV_EINVAL, "rows", "too few training rows (%zu) for boosting", n);
        goto done;
    }
    /* bins */
    int tb = 0;
    for (int c = 0; c < nc; c++) {
        rv__spec *s = &m->cols[c];
        kind[c] = s->kind;
        if (s->kind == RV_COL_NUMERIC) {
            free(s->edges);
            size_t *fr = malloc(nf * sizeof *fr);
            if (!fr)
                goto nomem;
            for (size_t i = 0; i < nf; i++)
                fr[i] = rows[fit[i]];
            s->nedges = rv__quantile_edges(cm.dcol[c]->num, fr, nf, p->max_bins, &s->edges);
            free(fr);
            t.nb[c] = s->nedges + 2;
        } else {
            t.nb[c] = s->nlevels + 1;
        }
        t.hoff[c] = tb;
        tb += t.nb[c];
    }
    t.tb = tb;
    t.nf = nf;
    t.bins = malloc(n * (size_t)(nc ? nc : 1));
    t.tbin = malloc((size_t)p->max_leaves * 2 * sizeof *t.tbin);
    t.n = n;
    t.gh = aligned_alloc(32, nf * sizeof *t.gh);
    t.mf = malloc((size_t)(nc ? nc : 1) * sizeof *t.mf);
    t.rstart = malloc((nf + 1) * sizeof *t.rstart);
    t.idx = malloc(nf * sizeof *t.idx);
    t.tmp = malloc(nf * sizeof *t.tmp);
    pool = aligned_alloc(32, (size_t)p->max_leaves * (size_t)tb * sizeof *pool);
    m->trees = calloc((size_t)p->max_trees, sizeof *m->trees);
    if (!t.bins || !t.tbin || !t.gh || !t.mf || !t.rstart || !t.idx || !t.tmp || !pool || !m->trees)
        goto nomem;
    for (int c = 0; c < nc; c++) {
        const rv__spec *s = &m->cols[c];
        for (size_t i = 0; i < n; i++) {
            size_t r = rows[i < nf ? fit[i] : val[i - nf]];
            int b;
            if (s->kind == RV_COL_NUMERIC) {
                double x = rv__num(&cm, c, r);
                b = isnan(x) ? t.nb[c] - 1 : rv__bin_of(s->edges, s->nedges, x);
            } else {
                int l = rv__level(&cm, c, r);
                b = l < 0 ? s->nlevels : l;
            }
            t.bins[(size_t)c * n + i] = (uint8_t)b;
        }
    }
    if (sparse_rows(&t))
        goto nomem;
    double wp = 0, wa = 0;
    for (size_t i = 0; i < nf; i++) {
        yf[i] = d->y[rows[fit[i]]];
        wf[i] = w[fit[i]];
        wp += wf[i] * yf[i];
        wa += wf[i];
    }
    for (size_t i = 0; i < nv; i++)
        yv[i] = d->y[rows[val[i]]];
    m->base = log(wp / (wa - wp));
    for (size_t i = 0; i < nf; i++)
        F[i] = m->base;
    for (size_t i = 0; i < nv; i++)
        Fv[i] = m->base;
    double best = INFINITY;
    int best_it = 0;
    for (int it = 0; it < p->max_trees; it++) {
        for (size_t i = 0; i < nf; i++) {
            double pr = rv__sigmoid(F[i]);
            double h = wf[i] * pr * (1 - pr);
            t.gh[i] = (hent){.g = wf[i] * (pr - yf[i]), .h = h > 1e-16 ? h : 1e-16, .n = 1};
        }
        rv__tree *tr = &m->trees[it];
        if (grow(&t, m, tr, pool, out))
            goto nomem;
        m->ntrees = it + 1;
        for (size_t i = 0; i < nf; i++)
            F[i] += out[i];
        double loss = 0;
        for (size_t i = 0; i < nv; i++) {
            Fv[i] += tree_value_bins(&t, tr, nf + i);
            loss += rv__log1pexp(Fv[i]) - yv[i] * Fv[i];
        }
        if (loss < best - 1e-9 * fabs(loss)) {
            best = loss;
            best_it = it;
            memcpy(Fb, Fv, nv * sizeof *Fb);
        } else if (it - best_it >= p->patience) {
            break;
        }
        if (tr->nnodes == 1) /* no split left anywhere */
            break;
    }
    for (int k = best_it + 1; k < m->ntrees; k++)
        free(m->trees[k].nodes);
    m->ntrees = best_it + 1;
    m->platt_a = 1;
    m->platt_b = 0;
    /* Fb holds the held-out rows' raw scores of the trees kept, summed in
     * the order rv__gbt_raw sums them, so it equals what scoring gives */
    if (p->calibrate)
        rv__platt_fit(Fb, yv, nv, &m->platt_a, &m->platt_b);
    st = RV_OK;
    goto done;
nomem:
    st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
done:
    rv__colmap_release(&cm);
    free(kind);
    free(t.nb);
    free(t.hoff);
    free(t.bins);
    free(t.tbin);
    free(t.gh);
    free(t.mf);
    free(t.rstart);
    free(t.ent);
    free(t.idx);
    free(t.tmp);
    free(pool);
    free(fit);
    free(val);
    free(wf);
    free(F);
    free(Fv);
    free(Fb);
    free(out);
    free(yv);
    free(yf);
    return st;
}
