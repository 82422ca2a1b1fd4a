/*
 * score.c - lead scoring on the database (see score.h for the features,
 * the outcome, the activation rule and access).
 *
 * Data flow: the leads are read once into a feature set (fset: one array
 * per feature, rows in lead-id order), touches and activities are counted
 * into it by binary search on the ids, and the set becomes an engine
 * dataset (rv_mdata) without the excluded, constant and empty features.
 * Scoring one lead builds a one-row set the same way, so a lead is
 * described identically at training and at scoring time.
 *
 * The active model is parsed once and kept in a small process-wide cache
 * keyed by database path, model id and updated_at (a new database may
 * reuse ids); a model is only read by predict and explain, so threads
 * share it, and a reference count keeps a replaced model alive until its
 * last user is done.
 */
#include "service/score.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jsonw.h"
#include "model/money.h"
#include "service/service_internal.h"

#define DAY_MS 86400000LL
#define MAX_FEATURES 64

/* ---- the feature set -------------------------------------------------- */

typedef enum { F_NUM, F_CAT, F_DATE } ftype;

typedef struct fcol {
    const char *name;
    ftype type;
    double *num;        /* F_NUM, F_DATE (days); NAN missing */
    const char **cat;   /* F_CAT; NULL missing (arena text) */
    const char *custom; /* custom field key; NULL for the lead's own */
    const char *ctype;  /* its field_defs type */
} fcol;

typedef struct fset {
    size_t n;
    int64_t *id, *created, *conv; /* ms; 0 none */
    int8_t *y;
    int ncols;
    fcol col[MAX_FEATURES];
} fset;

enum {
    X_INDUSTRY,
    X_COUNTRY,
    X_SOURCE,
    X_TITLE,
    X_CAMPAIGN,
    X_EMAIL_KIND,
    X_EMPLOYEES,
    X_HAS_PHONE,
    X_CREATED,
    X_TOUCHES,
    X_ACTIVITIES,
    X__N
};
static const struct {
    const char *name;
    ftype type;
} base[X__N] = {
    {"industry", F_CAT},    {"country", F_CAT},    {"source", F_CAT},     {"title", F_CAT},
    {"campaign", F_CAT},    {"email_kind", F_CAT}, {"employees", F_NUM},  {"has_phone", F_NUM},
    {"created_on", F_DATE}, {"touches", F_NUM},    {"activities", F_NUM},
};

static const char *const free_mail[] = {
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "aol.com",   "icloud.com",     "me.com",    "gmx.de",      "gmx.net",     "web.de",
    "mail.ru",   "yandex.ru",      "qq.com",    "163.com",     "proton.me",   "protonmail.com",
};

static void fset_release(fset *f)
{
    free(f->id);
    free(f->created);
    free(f->conv);
    free(f->y);
    for (int c = 0; c < f->ncols; c++) {
        free(f->col[c].num);
        free(f->col[c].cat);
    }
    memset(f, 0, sizeof *f);
}

typedef struct defs_acc {
    fset *f;
    rv_arena *a;
} defs_acc;

static int on_def(void *ud, const rv_val *v)
{
    defs_acc *d = ud;
    if (d->f->ncols >= MAX_FEATURES || v[0].state != RV_V_SET || v[1].state != RV_V_SET)
        return 0;
    fcol *c = &d->f->col[d->f->ncols++];
    c->custom = rv_arena_strndup(d->a, v[0].s, v[0].len);
    c->ctype = rv_arena_strndup(d->a, v[1].s, v[1].len);
    c->name = rv_arena_printf(d->a, "custom.%s", c->custom);
    c->type = !strcmp(c->ctype, "text") || !strcmp(c->ctype, "enum") ? F_CAT
              : !strcmp(c->ctype, "date")                            ? F_DATE
                                                                     : F_NUM;
    return 0;
}

/* Columns: the base features, then one per custom field of leads; arrays
 * for n rows (NAN / NULL: missing). */
static rv_status fset_init(rv_ctx *c, fset *f, size_t n, rv_err *err)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    size_t m = n ? n : 1;
    f->id = rv_xcalloc(m, sizeof *f->id);
    f->created = rv_xcalloc(m, sizeof *f->created);
    f->conv = rv_xcalloc(m, sizeof *f->conv);
    f->y = rv_xcalloc(m, sizeof *f->y);
    for (int i = 0; i < X__N; i++)
        f->col[f->ncols++] = (fcol){.name = base[i].name, .type = base[i].type};
    const rv_entity *fd = rv_entity_find("field_defs");
    rv_query q;
    rv_query_init(&q, fd);
    q.filters[q.nfilters++] = (rv_filter){.field = rv_field_index(fd, "entity"),
                                          .op = RV_OP_EQ,
                                          .val = {.s = "leads", .len = 5, .state = RV_V_SET}};
    int cols[2] = {rv_field_index(fd, "name"), rv_field_index(fd, "type")};
    defs_acc acc = {f, c->arena};
    rv_status st = rv_store_scan(c->store, &q, cols, 2, on_def, &acc, err);
    for (int k = 0; k < f->ncols; k++) {
        if (f->col[k].type == F_CAT) {
            f->col[k].cat = rv_xcalloc(m, sizeof *f->col[k].cat);
        } else {
            f->col[k].num = rv_xmalloc(m * sizeof *f->col[k].num);
            for (size_t i = 0; i < m; i++)
                f->col[k].num[i] = NAN;
        }
    }
    return st;
}

/* Days since 1970 of "YYYY-MM-DD...", NAN when it is not a date. */
static double parse_day(const char *s)
{
    int y;
    unsigned mo, d;
    if (!s || sscanf(s, "%4d-%2u-%2u", &y, &mo, &d) != 3 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return NAN;
    return rv_days_from_civil(y, mo, d);
}

/* Field text (arena copy), NULL when unset, null or empty. */
static const char *val_text(const rv_record *r, const char *field, rv_arena *a)
{
    int fi = rv_field_index(r->ent, field);
    if (fi < 0 || r->v[fi].state == RV_V_UNSET || r->v[fi].state == RV_V_NULL)
        return NULL;
    if (!rv_ftype_is_int(r->ent->fields[fi].type))
        return r->v[fi].len ? rv_arena_strndup(a, r->v[fi].s, r->v[fi].len) : NULL;
    char buf[64];
    const char *t = rv_record_text(r, fi, buf, sizeof buf);
    return t && *t ? rv_arena_strdup(a, t) : NULL;
}

static int64_t val_int(const rv_record *r, const char *field, bool *set)
{
    int fi = rv_field_index(r->ent, field);
    *set = fi >= 0 && r->v[fi].state == RV_V_SET;
    return *set ? r->v[fi].i : 0;
}

/* Row i of the set from a lead record (touches and activities stay 0). */
static void fset_fill(fset *f, size_t i, const rv_record *r, rv_arena *a)
{
    bool set;
    f->id[i] = r->id;
    f->created[i] = val_int(r, "created_on", &set);
    if (!set)
        f->created[i] = r->created_at;
    f->conv[i] = val_int(r, "converted_at", &set);
    const char *status = val_text(r, "status", a);
    f->y[i] = (status && !strcmp(status, "converted")) || f->conv[i] != 0;
    f->col[X_INDUSTRY].cat[i] = val_text(r, "industry", a);
    f->col[X_COUNTRY].cat[i] = val_text(r, "country", a);
    f->col[X_SOURCE].cat[i] = val_text(r, "source", a);
    f->col[X_TITLE].cat[i] = val_text(r, "title", a);
    int64_t camp = val_int(r, "campaign_id", &set);
    f->col[X_CAMPAIGN].cat[i] = set ? rv_arena_printf(a, "%lld", (long long)camp) : NULL;
    const char *email = val_text(r, "email", a), *at = email ? strrchr(email, '@') : NULL;
    if (at) {
        const char *kind = "company";
        for (size_t k = 0; k < sizeof free_mail / sizeof free_mail[0]; k++)
            if (!strcasecmp(at + 1, free_mail[k]))
                kind = "free";
        f->col[X_EMAIL_KIND].cat[i] = kind;
    }
    int64_t emp = val_int(r, "employees", &set);
    f->col[X_EMPLOYEES].num[i] = set ? (double)emp : NAN;
    f->col[X_HAS_PHONE].num[i] = val_text(r, "phone", a) != NULL;
    f->col[X_CREATED].num[i] = f->created[i] ? floor((double)f->created[i] / DAY_MS) : NAN;
    f->col[X_TOUCHES].num[i] = 0;
    f->col[X_ACTIVITIES].num[i] = 0;
    /* custom fields */
    const char *cj = val_text(r, "custom", a);
    json_t *obj = cj ? json_loads(cj, 0, NULL) : NULL;
    for (int k = X__N; k < f->ncols && obj; k++) {
        fcol *c = &f->col[k];
        json_t *v = json_object_get(obj, c->custom);
        if (!v || json_is_null(v))
            continue;
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        if (c->type == F_CAT) {
            if (s && *s)
                c->cat[i] = rv_arena_strdup(a, s);
            else if (json_is_number(v))
                c->cat[i] = rv_arena_printf(a, "%g", json_number_value(v));
        } else if (c->type == F_DATE) {
            c->num[i] = parse_day(s);
        } else if (json_is_boolean(v)) {
            c->num[i] = json_is_true(v);
        } else if (json_is_number(v)) {
            c->num[i] = json_number_value(v);
        } else if (s) {
            char *end;
            double x = strtod(s, &end);
            c->num[i] = end != s && *end == '\0' && isfinite(x) ? x : NAN;
        }
    }
    json_decref(obj);
}

typedef struct leads_acc {
    fset *f;
    size_t i;
    rv_arena *a;
} leads_acc;

static int on_lead(void *ud, const rv_record *r)
{
    leads_acc *l = ud;
    if (l->i >= l->f->n)
        return 1;
    fset_fill(l->f, l->i++, r, l->a);
    return 0;
}

typedef struct count_acc {
    fset *f;
    int col;
    int64_t window;
} count_acc;

/* A touch or activity (lead id, time) counts for its lead when dated in
 * [created, created + window) and before the lead converted. */
static int on_event(void *ud, const rv_val *v)
{
    count_acc *ca = ud;
    fset *f = ca->f;
    if (v[0].state != RV_V_SET || v[1].state != RV_V_SET)
        return 0;
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->id[mid] < v[0].i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == f->n || f->id[lo] != v[0].i)
        return 0;
    int64_t t = v[1].i, c0 = f->created[lo];
    if (t >= c0 && t < c0 + ca->window && (f->conv[lo] == 0 || t < f->conv[lo]))
        f->col[ca->col].num[lo] += 1;
    return 0;
}

static rv_status count_events(rv_ctx *c, fset *f, const char *entity, const char *when, int col,
                              int64_t window, const int64_t *one_id, rv_err *err)
{
    const rv_entity *e = rv_entity_find(entity);
    rv_query q;
    rv_query_init(&q, e);
    int lf = rv_field_index(e, "lead_id");
    if (one_id)
        q.filters[q.nfilters++] =
            (rv_filter){.field = lf, .op = RV_OP_EQ, .val = {.i = *one_id, .state = RV_V_SET}};
    else
        q.filters[q.nfilters++] = (rv_filter){.field = lf, .op = RV_OP_NOTNULL};
    int cols[2] = {lf, rv_field_index(e, when)};
    count_acc ca = {f, col, window};
    return rv_store_scan(c->store, &q, cols, 2, on_event, &ca, err);
}

#define WINDOW_MS ((int64_t)RV_SCORE_WINDOW_DAYS * DAY_MS)

/* Every lead into f (ids ascending), with its counts. */
static rv_status load_leads(rv_ctx *c, fset *f, rv_err *err)
{
    const rv_entity *le = rv_entity_find("leads");
    rv_query q;
    rv_query_init(&q, le);
    int64_t n = 0;
    rv_status st = rv_store_count(c->store, &q, &n, err);
    if (!st)
        st = fset_init(c, f, (size_t)n, err);
    leads_acc acc = {f, 0, c->arena};
    if (!st)
        st = rv_store_list(c->store, &q, on_lead, &acc, err);
    f->n = acc.i;
    if (!st)
        st = count_events(c, f, "touches", "at", X_TOUCHES, WINDOW_MS, NULL, err);
    if (!st)
        st = count_events(c, f, "activities", "done_at", X_ACTIVITIES, WINDOW_MS, NULL, err);
    return st;
}

/* ---- the engine dataset ------------------------------------------------ */

static bool excluded(const rv_score_opts *o, const char *name)
{
    for (int i = 0; o && i < o->nexclude; i++)
        if (!strcmp(o->exclude[i], name))
            return true;
    return false;
}

/* "empty", "constant" or NULL for a column worth learning from. */
static const char *degenerate(const fcol *c, size_t n)
{
    size_t k = 0, first = 0;
    bool differs = false;
    for (size_t i = 0; i < n && !differs; i++) {
        bool miss = c->type == F_CAT ? c->cat[i] == NULL : isnan(c->num[i]);
        if (miss)
            continue;
        if (k++ == 0)
            first = i;
        else
            differs = c->type == F_CAT ? strcmp(c->cat[i], c->cat[first]) != 0
                                       : c->num[i] != c->num[first];
    }
    return differs ? NULL : k == 0 ? "empty" : "constant";
}

static rv_status add_col(rv_mdata *d, const fcol *c, rv_err *err)
{
    if (c->type == F_CAT)
        return rv_mdata_add_categorical(d, c->name, c->cat, err);
    if (c->type == F_DATE)
        return rv_mdata_add_date(d, c->name, c->num, err);
    return rv_mdata_add_numeric(d, c->name, c->num, err);
}

/* The dataset of every usable feature, the target set; names of what was
 * left out go to ev (when given). */
static rv_status to_mdata(const fset *f, const rv_score_opts *o, rv_mdata **out, rv_score_eval *ev,
                          rv_arena *a, rv_err *err)
{
    for (int i = 0; o && i < o->nexclude; i++) {
        int k = 0;
        while (k < f->ncols && strcmp(f->col[k].name, o->exclude[i]))
            k++;
        if (k == f->ncols) {
            rv_buf b = RV_BUF_INIT;
            for (int j = 0; j < f->ncols; j++)
                rv_buf_printf(&b, "%s%s", j ? ", " : "", f->col[j].name);
            rv_status st = rv_err_set(err, RV_EINVAL, "exclude",
                                      "unknown feature '%s' in --exclude (features: %s)",
                                      o->exclude[i], rv_buf_str(&b));
            rv_buf_release(&b);
            return st;
        }
    }
    rv_mdata *d = NULL;
    rv_status st = rv_mdata_new(&d, f->n, err);
    if (ev) {
        ev->features = rv_arena_alloc(a, MAX_FEATURES * 2 * sizeof *ev->features);
        ev->left_out = rv_arena_alloc(a, MAX_FEATURES * sizeof *ev->left_out);
        ev->left_out_why = rv_arena_alloc(a, MAX_FEATURES * sizeof *ev->left_out_why);
    }
    for (int k = 0; k < f->ncols && !st; k++) {
        const fcol *c = &f->col[k];
        const char *why = excluded(o, c->name) ? "excluded" : degenerate(c, f->n);
        if (why) {
            if (ev) {
                ev->left_out[ev->nleft_out] = c->name;
                ev->left_out_why[ev->nleft_out++] = why;
            }
            continue;
        }
        st = add_col(d, c, err);
    }
    if (!st && rv_mdata_cols(d) == 0)
        st = rv_err_set(err, RV_EINVAL, "exclude", "no feature left to learn from");
    if (!st)
        st = rv_mdata_set_target(d, f->y, err);
    if (st) {
        rv_mdata_free(d);
        return st;
    }
    if (ev) {
        ev->nfeatures = rv_mdata_cols(d);
        for (int k = 0; k < ev->nfeatures; k++)
            ev->features[k] = rv_arena_strdup(a, rv_mdata_col_name(d, k));
    }
    *out = d;
    return RV_OK;
}

/* ---- access and options --------------------------------------------------- */

static rv_status check_object(const rv_score_opts *o, rv_err *err)
{
    if (o && o->object && strcmp(o->object, "leads"))
        return rv_err_set(err, RV_EINVAL, "object", "object must be 'leads', got '%s'", o->object);
    if (o && o->target && strcmp(o->target, "converted"))
        return rv_err_set(err, RV_EINVAL, "target",
                          "target must be 'converted' for leads, got '%s'", o->target);
    if (o && o->nexclude > RV_SCORE_MAX_EXCLUDE)
        return rv_err_set(err, RV_EINVAL, "exclude", "at most %d excluded features, got %d",
                          RV_SCORE_MAX_EXCLUDE, o->nexclude);
    return RV_OK;
}

/* Training reads every lead: the principal must read them all, and to
 * store a model write score_models. */
static rv_status check_reach(rv_ctx *c, bool write, rv_err *err)
{
    if (!c->who)
        return RV_OK;
    const rv_entity *le = rv_entity_find("leads"), *sm = rv_entity_find("score_models");
    if (strcmp(rv_access_scope(le, c->who->role, false), "all"))
        return rv__refuse(c, le, 0, err, "user %s may not read every lead, which scoring needs",
                          c->who->email);
    if (write && strcmp(rv_access_scope(sm, c->who->role, true), "all"))
        return rv__refuse(c, sm, 0, err, "user %s (%s) may not train scoring models", c->who->email,
                          rv_role_name(c->who->role));
    return RV_OK;
}

/* Reads in one snapshot: a transaction of its own unless one is open. */
static rv_status read_leads(rv_ctx *c, fset *f, rv_err *err)
{
    bool own = !rv_store_in_tx(c->store);
    rv_status st = own ? rv_store_begin_read(c->store, err) : RV_OK;
    if (!st)
        st = load_leads(c, f, err);
    if (own && !st)
        st = rv_store_commit(c->store, err);
    else if (own)
        rv_store_rollback(c->store);
    return st;
}

/* ---- evaluation ------------------------------------------------------------ */

/* What one evaluation leaves behind for training: the leads, the
 * dataset, the folds and the best kind's out-of-fold predictions. */
typedef struct work {
    fset f;
    rv_mdata *d;
    int *fold;
    double *oof[2]; /* per run */
} work;

static void work_release(work *w)
{
    fset_release(&w->f);
    rv_mdata_free(w->d);
    free(w->fold);
    free(w->oof[0]);
    free(w->oof[1]);
    memset(w, 0, sizeof *w);
}

static rv_status cv_runs(work *wk, const rv_score_opts *o, rv_score_eval *ev, rv_err *err)
{
    int kind = o ? o->kind : -1;
    rv_model_kind kinds[2] = {RV_MODEL_LR, RV_MODEL_GBT};
    ev->nruns = 2;
    if (kind == RV_MODEL_LR || kind == RV_MODEL_GBT)
        kinds[0] = (rv_model_kind)kind, ev->nruns = 1;
    size_t n = rv_mdata_rows(wk->d);
    rv_status st = RV_OK;
    for (int r = 0; r < ev->nruns && !st; r++) {
        rv_score_run *run = &ev->runs[r];
        run->kind = kinds[r];
        rv_model_params p;
        rv_model_params_default(&p, run->kind);
        p.seed = ev->seed;
        wk->oof[r] = rv_xmalloc(n * sizeof *wk->oof[r]);
        st = rv_model_cv(wk->d, wk->fold, ev->folds, &p, wk->oof[r], &run->cv, err);
        if (!st)
            rv_metric_calibration(wk->oof[r], wk->f.y, n, RV_SCORE_CALIB_BINS, run->calib);
    }
    ev->best = ev->nruns == 2 && ev->runs[1].cv.auc_mean > ev->runs[0].cv.auc_mean;
    return st;
}

/* Load, build, fold and cross-validate into wk (work_release after). */
static rv_status evaluate(rv_ctx *c, const rv_score_opts *o, rv_score_eval *ev, work *wk,
                          rv_err *err)
{
    memset(ev, 0, sizeof *ev);
    memset(wk, 0, sizeof *wk);
    ev->folds = o && o->folds ? o->folds : 5;
    ev->seed = o ? o->seed : 42;
    rv_status st = check_object(o, err);
    if (st)
        return st;
    if (ev->folds < 2 || ev->folds > 64)
        return rv_err_set(err, RV_EINVAL, "folds", "folds must be from 2 to 64, got %d", ev->folds);
    fset *f = &wk->f;
    st = read_leads(c, f, err);
    for (size_t i = 0; !st && i < f->n; i++)
        ev->positives += (size_t)f->y[i];
    ev->rows = f->n;
    if (!st && (ev->positives == 0 || ev->positives == f->n))
        st = rv_err_set(err, RV_EINVAL, "target",
                        "leads must include converted and unconverted ones, got %zu converted "
                        "and %zu not",
                        ev->positives, f->n - ev->positives);
    if (!st && f->n < (size_t)ev->folds * 2)
        st = rv_err_set(err, RV_EINVAL, "folds", "%zu leads are too few for %d folds", f->n,
                        ev->folds);
    if (!st)
        st = to_mdata(f, o, &wk->d, ev, c->arena, err);
    if (!st) {
        wk->fold = rv_xmalloc(f->n * sizeof *wk->fold);
        st = rv_mdata_folds(wk->d, ev->folds, ev->seed, wk->fold, err);
    }
    if (!st)
        st = cv_runs(wk, o, ev, err);
    return st;
}

rv_status rv_score_evaluate(rv_ctx *c, const rv_score_opts *o, rv_score_eval *out, rv_err *err)
{
    rv_status st = check_reach(c, false, err);
    if (st) {
        rv__audit_flush(c);
        return st;
    }
    work wk;
    st = evaluate(c, o, out, &wk, err);
    work_release(&wk);
    return st;
}

/* ---- stored models --------------------------------------------------------- */

typedef struct model_row {
    int64_t id, version, updated_at, through_id;
    const char *kind, *model, *excluded;
} model_row;

typedef struct row_acc {
    model_row *m;
    rv_arena *a;
    bool found;
} row_acc;

static int on_model_row(void *ud, const rv_record *r)
{
    row_acc *ra = ud;
    bool set;
    ra->m->id = r->id;
    ra->m->updated_at = r->updated_at;
    ra->m->version = val_int(r, "version", &set);
    ra->m->through_id = val_int(r, "through_id", &set);
    ra->m->kind = val_text(r, "kind", ra->a);
    ra->m->model = val_text(r, "model", ra->a);
    ra->m->excluded = val_text(r, "excluded", ra->a);
    ra->found = true;
    return 1;
}

/* The query of the score_models rows of leads/converted (only the active
 * one when active), the latest version first. */
static void models_query(rv_query *q, bool active)
{
    const rv_entity *e = rv_entity_find("score_models");
    rv_query_init(q, e);
    q->filters[q->nfilters++] = (rv_filter){.field = rv_field_index(e, "object"),
                                            .op = RV_OP_EQ,
                                            .val = {.s = "leads", .len = 5, .state = RV_V_SET}};
    q->filters[q->nfilters++] = (rv_filter){.field = rv_field_index(e, "target"),
                                            .op = RV_OP_EQ,
                                            .val = {.s = "converted", .len = 9, .state = RV_V_SET}};
    if (active)
        q->filters[q->nfilters++] = (rv_filter){.field = rv_field_index(e, "active"),
                                                .op = RV_OP_EQ,
                                                .val = {.i = 1, .state = RV_V_SET}};
    q->sort_field = rv_field_index(e, "version");
    q->desc = true;
    q->limit = 1;
}

/* The active model row (active) or the latest version (!active) of
 * leads/converted, its text included. */
static rv_status find_model(rv_ctx *c, bool active, model_row *m, bool *found, rv_err *err)
{
    rv_query q;
    models_query(&q, active);
    memset(m, 0, sizeof *m);
    row_acc ra = {m, c->arena, false};
    rv_status st = rv_store_list(c->store, &q, on_model_row, &ra, err);
    *found = ra.found;
    return st;
}

static int on_key(void *ud, const rv_val *v)
{
    model_row *m = ud;
    m->id = v[0].i;
    m->updated_at = v[1].i;
    m->version = v[2].i;
    return 1;
}

/* The active model's id, updated_at and version without reading its text
 * (scoring a lead reads the text only when the cache lacks the model). */
static rv_status active_key(rv_ctx *c, model_row *m, bool *found, rv_err *err)
{
    rv_query q;
    models_query(&q, true);
    memset(m, 0, sizeof *m);
    int cols[3] = {RV_COL_ID, RV_COL_UPDATED, rv_field_index(q.ent, "version")};
    rv_status st = rv_store_scan(c->store, &q, cols, 3, on_key, m, err);
    *found = m->id != 0;
    return st;
}

/* The process-wide cache of parsed active models. */
typedef struct cached {
    char *path;
    int64_t id, updated_at;
    rv_model *m;
    int refs;
} cached;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cached *cache_cur;

static void cache_put(cached *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&cache_mu);
    bool last = --e->refs == 0;
    pthread_mutex_unlock(&cache_mu);
    if (last) {
        rv_model_free(e->m);
        free(e->path);
        free(e);
    }
}

/* The parsed model of the row keyed by m's id and updated_at (a
 * reference: cache_put when done); its text is read only on a miss. */
static rv_status cache_get(rv_ctx *c, const model_row *m, cached **out, rv_err *err)
{
    const char *path = rv_store_path(c->store);
    pthread_mutex_lock(&cache_mu);
    cached *e = cache_cur;
    if (e && e->id == m->id && e->updated_at == m->updated_at && !strcmp(e->path, path)) {
        e->refs++;
        pthread_mutex_unlock(&cache_mu);
        *out = e;
        return RV_OK;
    }
    pthread_mutex_unlock(&cache_mu);
    model_row full;
    bool found;
    rv_status st = find_model(c, true, &full, &found, err);
    if (!st && (!found || full.id != m->id))
        st = rv_err_set(err, RV_ECONFLICT, NULL, "the active model changed while scoring");
    rv_model *pm = NULL;
    if (!st)
        st = rv_model_read(&pm, full.model, full.model ? strlen(full.model) : 0, err);
    if (st)
        return st;
    e = rv_xcalloc(1, sizeof *e);
    size_t pl = strlen(path) + 1;
    e->path = rv_xmalloc(pl);
    memcpy(e->path, path, pl);
    e->id = full.id;
    e->updated_at = full.updated_at;
    e->m = pm;
    e->refs = 2; /* the cache's and the caller's */
    pthread_mutex_lock(&cache_mu);
    cached *old = cache_cur;
    cache_cur = e;
    pthread_mutex_unlock(&cache_mu);
    cache_put(old);
    *out = e;
    return RV_OK;
}

static const char *kind_name(rv_model_kind k)
{
    return k == RV_MODEL_LR ? "lr" : "gbt";
}

void rv_score_run_json_open(rv_model_kind kind, const rv_cv_result *cv, const rv_calib_bin *calib,
                            int ncalib, rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "model"), rv_jsonw_str(w, kind_name(kind));
    rv_jsonw_key(w, "auc"), rv_jsonw_double(w, cv->auc_mean);
    rv_jsonw_key(w, "auc_pooled"), rv_jsonw_double(w, cv->auc);
    rv_jsonw_key(w, "fold_auc"), rv_jsonw_arr_begin(w);
    for (int f = 0; f < cv->k; f++)
        rv_jsonw_double(w, cv->fold_auc[f]);
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "log_loss"), rv_jsonw_double(w, cv->logloss);
    rv_jsonw_key(w, "train_seconds"), rv_jsonw_double(w, cv->train_seconds);
    rv_jsonw_key(w, "calibration"), rv_jsonw_arr_begin(w);
    for (int j = 0; j < ncalib; j++) {
        const rv_calib_bin *cb = &calib[j];
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "lo"), rv_jsonw_double(w, cb->lo);
        rv_jsonw_key(w, "hi"), rv_jsonw_double(w, cb->hi);
        rv_jsonw_key(w, "rows"), rv_jsonw_int(w, (int64_t)cb->n);
        rv_jsonw_key(w, "predicted"), rv_jsonw_double(w, cb->predicted);
        rv_jsonw_key(w, "observed"), rv_jsonw_double(w, cb->observed);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
}

void rv_score_eval_json(const rv_score_eval *ev, rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "object"), rv_jsonw_str(w, "leads");
    rv_jsonw_key(w, "target"), rv_jsonw_str(w, "converted");
    rv_jsonw_key(w, "rows"), rv_jsonw_int(w, (int64_t)ev->rows);
    rv_jsonw_key(w, "positives"), rv_jsonw_int(w, (int64_t)ev->positives);
    rv_jsonw_key(w, "window_days"), rv_jsonw_int(w, RV_SCORE_WINDOW_DAYS);
    rv_jsonw_key(w, "features"), rv_jsonw_arr_begin(w);
    for (int i = 0; i < ev->nfeatures; i++)
        rv_jsonw_str(w, ev->features[i]);
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "left_out"), rv_jsonw_arr_begin(w);
    for (int i = 0; i < ev->nleft_out; i++) {
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "name"), rv_jsonw_str(w, ev->left_out[i]);
        rv_jsonw_key(w, "why"), rv_jsonw_str(w, ev->left_out_why[i]);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "folds"), rv_jsonw_int(w, ev->folds);
    rv_jsonw_key(w, "seed"), rv_jsonw_int(w, (int64_t)ev->seed);
    rv_jsonw_key(w, "models"), rv_jsonw_arr_begin(w);
    for (int r = 0; r < ev->nruns; r++) {
        rv_score_run_json_open(ev->runs[r].kind, &ev->runs[r].cv, ev->runs[r].calib,
                               RV_SCORE_CALIB_BINS, w);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
    if (ev->nruns) {
        rv_jsonw_key(w, "best"), rv_jsonw_str(w, kind_name(ev->runs[ev->best].kind));
        rv_jsonw_key(w, "auc"), rv_jsonw_double(w, ev->runs[ev->best].cv.auc_mean);
    }
    rv_jsonw_obj_end(w);
}

void rv_score_trained_json(const rv_score_trained *t, rv_jsonw *w)
{
    const rv_score_run *best = &t->eval.runs[t->eval.best];
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "id"), rv_jsonw_int(w, t->model_id);
    rv_jsonw_key(w, "version"), rv_jsonw_int(w, t->version);
    rv_jsonw_key(w, "model"), rv_jsonw_str(w, kind_name(t->kind));
    rv_jsonw_key(w, "auc"), rv_jsonw_double(w, best->cv.auc_mean);
    rv_jsonw_key(w, "log_loss"), rv_jsonw_double(w, best->cv.logloss);
    rv_jsonw_key(w, "active"), rv_jsonw_bool(w, t->activated);
    rv_jsonw_key(w, "previous_id");
    if (t->previous_id)
        rv_jsonw_int(w, t->previous_id);
    else
        rv_jsonw_null(w);
    rv_jsonw_key(w, "previous_auc");
    if (isnan(t->previous_auc))
        rv_jsonw_null(w);
    else
        rv_jsonw_double(w, t->previous_auc);
    rv_jsonw_key(w, "challenger_auc");
    if (isnan(t->challenger_auc))
        rv_jsonw_null(w);
    else
        rv_jsonw_double(w, t->challenger_auc);
    rv_jsonw_key(w, "through_id"), rv_jsonw_int(w, t->through_id);
    rv_jsonw_key(w, "note"), rv_jsonw_str(w, t->note ? t->note : "");
    rv_jsonw_key(w, "evaluation");
    rv_score_eval_json(&t->eval, w);
    rv_jsonw_obj_end(w);
}

static void factors_json(const rv_score_factor *fs, int n, rv_jsonw *w)
{
    rv_jsonw_arr_begin(w);
    for (int i = 0; i < n; i++) {
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "feature"), rv_jsonw_str(w, fs[i].feature);
        rv_jsonw_key(w, "value"), rv_jsonw_str(w, fs[i].value);
        rv_jsonw_key(w, "contribution"), rv_jsonw_double(w, fs[i].contrib);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_arr_end(w);
}

void rv_score_result_json(const rv_score_result *r, int64_t lead_id, rv_jsonw *w)
{
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "lead_id"), rv_jsonw_int(w, lead_id);
    rv_jsonw_key(w, "probability"), rv_jsonw_double(w, r->probability);
    rv_jsonw_key(w, "model_id"), rv_jsonw_int(w, r->model_id);
    rv_jsonw_key(w, "version"), rv_jsonw_int(w, r->version);
    rv_jsonw_key(w, "model"), rv_jsonw_str(w, kind_name(r->kind));
    rv_jsonw_key(w, "up"), factors_json(r->up, r->nup, w);
    rv_jsonw_key(w, "down"), factors_json(r->down, r->ndown, w);
    rv_jsonw_obj_end(w);
}

/* What score_models.metrics holds: the evaluation. */
static void metrics_json(const rv_score_eval *ev, rv_buf *b)
{
    rv_jsonw w;
    rv_jsonw_init(&w, b, false);
    rv_score_eval_json(ev, &w);
}

static const char *join(rv_arena *a, const char *const *v, int n)
{
    rv_buf b = RV_BUF_INIT;
    for (int i = 0; i < n; i++)
        rv_buf_printf(&b, "%s%s", i ? "," : "", v[i]);
    const char *s = rv_arena_strdup(a, rv_buf_str(&b));
    rv_buf_release(&b);
    return s;
}

static int64_t ppm(double x)
{
    return (int64_t)llround(x * 1e6);
}

typedef struct store_args {
    rv_score_trained *t;
    const rv_score_opts *o;
    const char *model_text, *metrics;
    double auc, logloss;
} store_args;

static rv_status set_field(rv_record *r, const char *f, const char *v, rv_arena *a, rv_err *err)
{
    return v ? rv_record_set_named(r, f, v, a, err) : RV_OK;
}

static rv_status store_tx(rv_ctx *c, void *ud, rv_err *err)
{
    store_args *sa = ud;
    rv_score_trained *t = sa->t;
    model_row last;
    bool found;
    rv_status st = find_model(c, false, &last, &found, err);
    if (st)
        return st;
    t->version = found ? last.version + 1 : 1;
    const rv_entity *e = rv_entity_find("score_models");
    rv_record r;
    rv_record_init(&r, e);
    rv_arena *a = c->arena;
    const rv_score_eval *ev = &t->eval;
    const char *excl = sa->o ? join(a, sa->o->exclude, sa->o->nexclude) : NULL;
    if ((st = set_field(&r, "object", "leads", a, err)) ||
        (st = set_field(&r, "target", "converted", a, err)) ||
        (st =
             set_field(&r, "version", rv_arena_printf(a, "%lld", (long long)t->version), a, err)) ||
        (st = set_field(&r, "kind", kind_name(t->kind), a, err)) ||
        (st = set_field(&r, "features", join(a, ev->features, ev->nfeatures), a, err)) ||
        (st = set_field(&r, "excluded", excl && *excl ? excl : NULL, a, err)) ||
        (st = set_field(&r, "rows", rv_arena_printf(a, "%zu", ev->rows), a, err)) ||
        (st = set_field(&r, "positives", rv_arena_printf(a, "%zu", ev->positives), a, err)) ||
        (st = set_field(&r, "cv_auc_ppm", rv_arena_printf(a, "%lld", (long long)ppm(sa->auc)), a,
                        err)) ||
        (st = set_field(&r, "cv_log_loss_ppm",
                        rv_arena_printf(a, "%lld", (long long)ppm(sa->logloss)), a, err)) ||
        (st = set_field(&r, "active_auc_ppm",
                        isnan(t->previous_auc)
                            ? NULL
                            : rv_arena_printf(a, "%lld", (long long)ppm(t->previous_auc)),
                        a, err)) ||
        (st = set_field(&r, "challenger_auc_ppm",
                        isnan(t->challenger_auc)
                            ? NULL
                            : rv_arena_printf(a, "%lld", (long long)ppm(t->challenger_auc)),
                        a, err)) ||
        (st = set_field(&r, "through_id", rv_arena_printf(a, "%lld", (long long)t->through_id), a,
                        err)) ||
        (st = set_field(&r, "metrics", sa->metrics, a, err)) ||
        (st = set_field(&r, "model", sa->model_text, a, err)) ||
        (st = set_field(&r, "active", t->activated ? "true" : "false", a, err)) ||
        (st = set_field(&r, "note", t->note, a, err)))
        return st;
    if (t->activated && t->previous_id) { /* one active model at a time */
        rv_record ch;
        rv_record_init(&ch, e);
        ch.id = t->previous_id;
        if ((st = set_field(&ch, "active", "false", a, err)) ||
            (st = rv_svc_update(c, &ch, NULL, err)))
            return st;
    }
    if ((st = rv_svc_create(c, &r, err)))
        return st;
    t->model_id = r.id;
    return RV_OK;
}

/* Split the comma-separated names of a stored excluded list into ex. */
static int split_names(rv_arena *a, const char *list, const char **ex, int max)
{
    int n = 0;
    if (!list)
        return 0;
    char *s = rv_arena_strdup(a, list), *save = NULL;
    for (char *tok = strtok_r(s, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
        ex[n++] = tok;
    return n;
}

#define MIN_NEW_CLASS 5

/* The active model (champion) against the new one (challenger), on the
 * same held-out rows (score.h):
 *   the leads newer than the champion's training (id > through_id), when
 *   they hold at least MIN_NEW_CLASS of each outcome: the champion's
 *   predictions against the challenger's out-of-fold ones there (neither
 *   has seen those rows);
 *   otherwise the champion's settings (kind, excluded features) cross-
 *   validated on the same folds against the challenger's cross-validation.
 * *champ is NAN when the champion cannot score the current features. */
static rv_status compare(rv_ctx *c, const model_row *act, work *wk, const rv_score_eval *ev,
                         double *champ, double *chall, const char **how, rv_err *err)
{
    const fset *f = &wk->f;
    size_t n = f->n, m = 0, pos = 0;
    for (size_t i = 0; i < n; i++)
        if (f->id[i] > act->through_id)
            m++, pos += (size_t)f->y[i];
    *champ = NAN;
    rv_status st = RV_OK;
    if (pos >= MIN_NEW_CLASS && m - pos >= MIN_NEW_CLASS) {
        rv_mdata *all = NULL;
        rv_model *am = NULL;
        rv_err e2;
        double *p = rv_xmalloc(n * sizeof *p), *sa = rv_xmalloc(m * sizeof *sa),
               *sb = rv_xmalloc(m * sizeof *sb);
        int8_t *y = rv_xmalloc(m);
        const double *oof = wk->oof[ev->best];
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (f->id[i] > act->through_id)
                sb[j] = oof[i], y[j++] = f->y[i];
        *chall = rv_metric_auc(sb, y, m);
        if (to_mdata(f, NULL, &all, NULL, c->arena, &e2) == RV_OK &&
            rv_model_read(&am, act->model, act->model ? strlen(act->model) : 0, &e2) == RV_OK &&
            rv_model_predict(am, all, NULL, n, p, &e2) == RV_OK) {
            j = 0;
            for (size_t i = 0; i < n; i++)
                if (f->id[i] > act->through_id)
                    sa[j++] = p[i];
            *champ = rv_metric_auc(sa, y, m);
        }
        *how = rv_arena_printf(c->arena, "on the %zu leads newer than the active model", m);
        rv_model_free(am);
        rv_mdata_free(all);
        free(p), free(sa), free(sb), free(y);
        return RV_OK;
    }
    /* no new outcomes to speak of: the champion's settings on the same folds */
    const char *ex[RV_SCORE_MAX_EXCLUDE];
    rv_score_opts co = {.exclude = ex, .kind = -1};
    co.nexclude = split_names(c->arena, act->excluded, ex, RV_SCORE_MAX_EXCLUDE);
    rv_mdata *d2 = NULL;
    rv_err e2;
    *chall = ev->runs[ev->best].cv.auc_mean;
    *how = "its settings cross-validated on the same folds";
    if (to_mdata(f, &co, &d2, NULL, c->arena, &e2) == RV_OK) {
        rv_model_params p;
        rv_model_params_default(&p,
                                act->kind && !strcmp(act->kind, "lr") ? RV_MODEL_LR : RV_MODEL_GBT);
        p.seed = ev->seed;
        rv_cv_result cv;
        st = rv_model_cv(d2, wk->fold, ev->folds, &p, NULL, &cv, err);
        if (!st)
            *champ = cv.auc_mean;
    }
    rv_mdata_free(d2);
    return st;
}

/* Read the active model row in a snapshot of its own (unless in one). */
static rv_status find_active(rv_ctx *c, model_row *act, bool *found, rv_err *err)
{
    bool own = !rv_store_in_tx(c->store);
    rv_status st = own ? rv_store_begin_read(c->store, err) : RV_OK;
    if (!st)
        st = find_model(c, true, act, found, err);
    if (own && !st)
        st = rv_store_commit(c->store, err);
    else if (own)
        rv_store_rollback(c->store);
    return st;
}

rv_status rv_score_train(rv_ctx *c, const rv_score_opts *o, rv_score_trained *out, rv_err *err)
{
    memset(out, 0, sizeof *out);
    out->previous_auc = out->challenger_auc = NAN;
    rv_status st = check_reach(c, true, err);
    if (st) {
        rv__audit_flush(c);
        return st;
    }
    work wk;
    rv_model *m = NULL;
    rv_buf text = RV_BUF_INIT, metrics = RV_BUF_INIT;
    rv_score_eval *ev = &out->eval;
    st = evaluate(c, o, ev, &wk, err);
    const rv_score_run *best = st ? NULL : &ev->runs[ev->best];
    if (!st) {
        rv_model_params p;
        rv_model_params_default(&p, best->kind);
        p.seed = ev->seed;
        out->kind = best->kind;
        st = rv_model_train(&m, wk.d, NULL, 0, &p, err);
    }
    if (!st)
        st = rv_model_write(m, &text);
    model_row act;
    bool found = false;
    const char *how = NULL;
    if (!st)
        st = find_active(c, &act, &found, err);
    if (!st && found) {
        out->previous_id = act.id;
        st = compare(c, &act, &wk, ev, &out->previous_auc, &out->challenger_auc, &how, err);
    }
    if (!st) {
        double auc = best->cv.auc_mean;
        if (!found) {
            out->activated = true;
            out->note = rv_arena_printf(c->arena, "first model: active (AUC %.4f)", auc);
        } else if (isnan(out->previous_auc)) {
            out->activated = true;
            out->note = rv_arena_printf(c->arena,
                                        "active: the previous model (id %lld) cannot score the "
                                        "current features",
                                        (long long)act.id);
        } else {
            out->activated = out->challenger_auc > out->previous_auc;
            out->note = rv_arena_printf(
                c->arena, "%s: AUC %.4f against %.4f for the active model (id %lld), %s",
                out->activated ? "active" : "kept inactive", out->challenger_auc, out->previous_auc,
                (long long)act.id, how);
        }
        out->through_id = wk.f.n ? wk.f.id[wk.f.n - 1] : 0;
        metrics_json(ev, &metrics);
        store_args sa = {out, o, rv_buf_str(&text), rv_buf_str(&metrics), auc, best->cv.logloss};
        st = rv_svc_tx(c, store_tx, &sa, err);
    }
    rv_buf_release(&text);
    rv_buf_release(&metrics);
    rv_model_free(m);
    work_release(&wk);
    return st;
}

rv_status rv_score_retrain(rv_ctx *c, const rv_score_opts *o, rv_score_trained *out, rv_err *err)
{
    model_row act;
    bool found;
    rv_status st = find_active(c, &act, &found, err);
    if (st)
        return st;
    if (!found)
        return rv_err_set(err, RV_ENOTFOUND, NULL,
                          "no active model for leads converted: run 'revos score train' first");
    rv_score_opts ro = o ? *o : (rv_score_opts){.seed = 42};
    const char *ex[RV_SCORE_MAX_EXCLUDE];
    ro.kind = -1;
    ro.exclude = ex;
    ro.nexclude = split_names(c->arena, act.excluded, ex, RV_SCORE_MAX_EXCLUDE);
    return rv_score_train(c, &ro, out, err);
}

/* A score_models row written by hand (API, CLI, import) must hold a model
 * that reads back, of the kind it says; a second active model of the same
 * object and target is refused. */
static rv_status check_model_row(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    (void)old;
    const char *text = val_text(r, "model", c->arena), *kind = val_text(r, "kind", c->arena);
    rv_model *m = NULL;
    rv_err perr;
    if (rv_model_read(&m, text, text ? strlen(text) : 0, &perr))
        return rv_err_set(err, RV_EINVAL, "model", "model is not a revos model: %s", perr.message);
    const char *want = kind_name(rv_model_kind_of(m));
    rv_model_free(m);
    if (!kind || strcmp(kind, want))
        return rv_err_set(err, RV_EINVAL, "kind", "kind must be '%s' for this model, got '%s'",
                          want, kind ? kind : "");
    bool set;
    if (val_int(r, "active", &set)) {
        model_row act;
        bool found;
        rv_status st = find_model(c, true, &act, &found, err);
        if (st)
            return st;
        if (found && act.id != r->id)
            return rv_err_set(err, RV_ECONFLICT, "active",
                              "score model %lld is already active for leads converted; "
                              "deactivate it first",
                              (long long)act.id);
    }
    return RV_OK;
}

const rv__behaviour rv__score_model_behaviour = {"score_models", NULL, check_model_row, NULL};

/* ---- scoring one lead ------------------------------------------------------- */

static const char *value_text(const fset *f, const char *col, rv_arena *a)
{
    size_t len = strlen(col);
    for (int k = 0; k < f->ncols; k++) {
        const fcol *c = &f->col[k];
        size_t nl = strlen(c->name);
        if (strncmp(col, c->name, nl) || (len != nl && strcmp(col + nl, ".month")))
            continue;
        if (c->type == F_CAT)
            return c->cat[0] ? c->cat[0] : "(missing)";
        double x = c->num[0];
        if (isnan(x))
            return "(missing)";
        if (c->type == F_DATE) {
            int y;
            unsigned m, d;
            rv_civil_from_days((int32_t)x, &y, &m, &d);
            return len != nl ? rv_arena_printf(a, "%u", m)
                             : rv_arena_printf(a, "%04d-%02u-%02u", y, m, d);
        }
        return rv_arena_printf(a, "%g", x);
    }
    return "(missing)";
}

static rv_status score_set(rv_ctx *c, const fset *f, const model_row *mr, rv_score_result *out,
                           rv_err *err)
{
    cached *ce = NULL;
    rv_status st = cache_get(c, mr, &ce, err);
    if (st)
        return st;
    const rv_model *m = ce->m;
    /* a one-row dataset of every column the model knows */
    rv_mdata *d = NULL;
    st = rv_mdata_new(&d, 1, err);
    for (int k = 0; k < f->ncols && !st; k++) {
        const char *name = f->col[k].name;
        bool used = false;
        for (int j = 0; j < rv_model_cols(m) && !used; j++) {
            const char *mc = rv_model_col_name(m, j);
            used = !strncmp(mc, name, strlen(name)) &&
                   (mc[strlen(name)] == '\0' || !strcmp(mc + strlen(name), ".month"));
        }
        if (used)
            st = add_col(d, &f->col[k], err);
    }
    int nc = rv_model_cols(m);
    double *contrib = rv_xcalloc((size_t)nc, sizeof *contrib), bias = 0, prob = 0;
    if (!st)
        st = rv_model_predict(m, d, NULL, 1, &prob, err);
    if (!st)
        st = rv_model_explain(m, d, 0, contrib, &bias, err);
    if (!st) {
        out->probability = prob;
        out->model_id = mr->id;
        out->version = mr->version;
        out->kind = rv_model_kind_of(m);
        /* the largest contributions of each sign */
        for (int sign = 1; sign >= -1; sign -= 2) {
            rv_score_factor *fs = sign > 0 ? out->up : out->down;
            int *nf = sign > 0 ? &out->nup : &out->ndown;
            bool *taken = rv_xcalloc((size_t)nc, sizeof *taken);
            while (*nf < RV_SCORE_FACTORS) {
                int bj = -1;
                for (int j = 0; j < nc; j++)
                    if (!taken[j] && contrib[j] * sign > 1e-12 &&
                        (bj < 0 || contrib[j] * sign > contrib[bj] * sign))
                        bj = j;
                if (bj < 0)
                    break;
                taken[bj] = true;
                const char *name = rv_model_col_name(m, bj);
                fs[(*nf)++] = (rv_score_factor){rv_arena_strdup(c->arena, name),
                                                value_text(f, name, c->arena), contrib[bj]};
            }
            free(taken);
        }
    }
    free(contrib);
    rv_mdata_free(d);
    cache_put(ce);
    return st;
}

static rv_status active_or_fail(rv_ctx *c, model_row *mr, rv_err *err)
{
    bool found;
    rv_status st = active_key(c, mr, &found, err);
    if (!st && !found)
        st = rv_err_set(err, RV_ENOTFOUND, NULL,
                        "no active model for leads converted: run 'revos score train' first");
    return st;
}

rv_status rv_score_lead_record(rv_ctx *c, const rv_record *lead, rv_score_result *out, rv_err *err)
{
    memset(out, 0, sizeof *out);
    model_row mr;
    rv_status st = active_or_fail(c, &mr, err);
    if (st)
        return st;
    fset f;
    st = fset_init(c, &f, 1, err);
    if (!st) {
        fset_fill(&f, 0, lead, c->arena);
        if (lead->id) {
            st = count_events(c, &f, "touches", "at", X_TOUCHES, WINDOW_MS, &lead->id, err);
            if (!st)
                st = count_events(c, &f, "activities", "done_at", X_ACTIVITIES, WINDOW_MS,
                                  &lead->id, err);
        }
    }
    if (!st)
        st = score_set(c, &f, &mr, out, err);
    fset_release(&f);
    return st;
}

typedef struct lead_args {
    int64_t id;
    rv_score_result *out;
} lead_args;

static rv_status lead_tx(rv_ctx *c, void *ud, rv_err *err)
{
    lead_args *la = ud;
    const rv_entity *le = rv_entity_find("leads");
    rv_record r;
    rv_status st = rv_access_check(c, le, la->id, false, err);
    if (!st)
        st = rv_store_get(c->store, le, la->id, &r, c->arena, err);
    if (!st)
        st = rv_score_lead_record(c, &r, la->out, err);
    return st;
}

rv_status rv_score_lead(rv_ctx *c, int64_t lead_id, rv_score_result *out, rv_err *err)
{
    lead_args la = {lead_id, out};
    if (rv_store_in_tx(c->store))
        return lead_tx(c, &la, err);
    rv_status st = rv_store_begin_read(c->store, err);
    if (st)
        return st;
    st = lead_tx(c, &la, err);
    rv_store_rollback(c->store);
    rv__audit_flush(c);
    return st;
}
