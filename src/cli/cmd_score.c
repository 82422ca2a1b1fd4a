/*
 * cmd_score.c - `revos score evaluate --csv FILE --target COL`: cross-
 * validate the scoring models on any exported table, before its data is in
 * the database.  The CSV is read here; typing the columns, the folds, the
 * models and the metrics are the model engine's (engine/model.h).
 *
 * On the database's leads (service/score.h): `score evaluate --object
 * leads`, `score train`, `score retrain` and `score explain LEAD_ID`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/csv.h"
#include "core/jsonw.h"
#include "engine/model.h"
#include "service/score.h"

#define TOP_FEATURES 10
#define CALIB_BINS 10
#define MAX_EXCLUDE 256

typedef struct table {
    int ncols;
    const char **names;
    size_t nrows, cap;
    const char **cells; /* row-major, arena strings */
    char sep;
} table;

static rv_status read_table(rv_cli *c, const char *path, table *t, rv_err *err)
{
    rv_csv_reader *r;
    const char *const *cols;
    const size_t *lens;
    int n;
    rv_status st = rv_csv_open_header(&r, path, &n, &cols, &lens, err);
    if (st)
        return st;
    t->ncols = n;
    t->sep = rv_csv_separator(r);
    t->names = rv_arena_alloc(&c->arena, (size_t)n * sizeof *t->names);
    for (int i = 0; i < n; i++)
        t->names[i] = rv_arena_strndup(&c->arena, cols[i], lens[i]);
    long row;
    while ((st = rv_csv_next(r, &n, &cols, &lens, &row, err)) == RV_OK) {
        if (n != t->ncols) {
            st = rv_err_set(err, RV_EINVAL, NULL, "row %ld has %d field%s, the header has %d", row,
                            n, n == 1 ? "" : "s", t->ncols);
            break;
        }
        if (t->nrows == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 1024;
            t->cells = rv_xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
        }
        for (int i = 0; i < n; i++)
            t->cells[t->nrows * (size_t)t->ncols + (size_t)i] =
                rv_arena_strndup(&c->arena, cols[i], lens[i]);
        t->nrows++;
    }
    rv_csv_close(r);
    return st == RV_ENOTFOUND ? RV_OK : st;
}

/* Integer option in [lo, hi], or def when absent; -1 after a usage error. */
static long int_opt(rv_cli *c, const char *name, long def, long lo, long hi, int *rc)
{
    const char *v = rv_cli_opt(c, name);
    if (!v)
        return def;
    long long x;
    if (!rv_cli_parse_int(v, lo, hi, &x)) {
        *rc = rv_cli_usage(c, "--%s must be an integer from %ld to %ld, got '%s'", name, lo, hi, v);
        return -1;
    }
    return (long)x;
}

/* Comma-separated --exclude values (repeatable) split into names. */
static int split_excludes(rv_cli *c, const char **out)
{
    const char *vals[64];
    int nv = rv_cli_opt_all(c, "exclude", vals, 64), n = 0;
    for (int i = 0; i < nv; i++) {
        char *s = rv_arena_strdup(&c->arena, vals[i]), *save = NULL;
        for (char *tok = strtok_r(s, ",", &save); tok && n < MAX_EXCLUDE;
             tok = strtok_r(NULL, ",", &save))
            out[n++] = tok;
    }
    return n;
}

typedef struct run {
    rv_model_kind kind;
    rv_cv_result cv;
    rv_calib_bin calib[CALIB_BINS];
    int nf;
    int top[TOP_FEATURES];
    double imp[TOP_FEATURES];
    const rv_model *model;
} run;

static const char *kind_name(rv_model_kind k) { return k == RV_MODEL_LR ? "lr" : "gbt"; }

/* Cross-validate one kind, then train on every row for the top features. */
static rv_status evaluate(const rv_mdata *d, const int *fold, int k, uint64_t seed, run *r,
                          rv_err *err)
{
    rv_model_params p;
    rv_model_params_default(&p, r->kind);
    p.seed = seed;
    size_t n = rv_mdata_rows(d);
    double *oof = rv_xmalloc(n * sizeof *oof);
    int8_t *y = rv_xmalloc(n);
    rv_status st = rv_model_cv(d, fold, k, &p, oof, &r->cv, err);
    if (!st) {
        for (size_t i = 0; i < n; i++)
            y[i] = (int8_t)rv_mdata_target(d, i);
        rv_metric_calibration(oof, y, n, CALIB_BINS, r->calib);
    }
    rv_model *m = NULL;
    if (!st)
        st = rv_model_train(&m, d, NULL, 0, &p, err);
    if (!st) {
        int nc = rv_model_cols(m);
        double *imp = rv_xmalloc((size_t)nc * sizeof *imp);
        st = rv_model_importance(m, d, NULL, 0, imp, err);
        for (r->nf = 0; !st && r->nf < TOP_FEATURES && r->nf < nc; r->nf++) {
            int best = -1;
            for (int j = 0; j < nc; j++)
                if (imp[j] >= 0 && (best < 0 || imp[j] > imp[best]))
                    best = j;
            r->top[r->nf] = best;
            r->imp[r->nf] = imp[best];
            imp[best] = -1;
        }
        free(imp);
    }
    r->model = m;
    free(oof);
    free(y);
    return st;
}

static void print_json(const char *path, const table *t, const rv_infer_kind *kinds,
                       const rv_infer_info *info, const char *target, size_t rows, int k,
                       uint64_t seed, const run *runs, int nruns, int best)
{
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "file"), rv_jsonw_str(&w, path);
    rv_jsonw_key(&w, "rows"), rv_jsonw_int(&w, (int64_t)rows);
    char sep[2] = {t->sep, 0};
    rv_jsonw_key(&w, "separator"), rv_jsonw_str(&w, sep);
    rv_jsonw_key(&w, "target"), rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "column"), rv_jsonw_str(&w, target);
    rv_jsonw_key(&w, "positive"), rv_jsonw_str(&w, info->positive);
    rv_jsonw_key(&w, "negative"), rv_jsonw_str(&w, info->negative);
    rv_jsonw_key(&w, "positives"), rv_jsonw_int(&w, (int64_t)info->npos);
    rv_jsonw_key(&w, "negatives"), rv_jsonw_int(&w, (int64_t)info->nneg);
    rv_jsonw_key(&w, "dropped_rows"), rv_jsonw_int(&w, (int64_t)info->dropped_rows);
    rv_jsonw_obj_end(&w);
    rv_jsonw_key(&w, "columns"), rv_jsonw_arr_begin(&w);
    for (int c = 0; c < t->ncols; c++) {
        rv_jsonw_obj_begin(&w);
        rv_jsonw_key(&w, "name"), rv_jsonw_str(&w, t->names[c]);
        rv_jsonw_key(&w, "kind"), rv_jsonw_str(&w, rv_infer_kind_name(kinds[c]));
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_arr_end(&w);
    rv_jsonw_key(&w, "folds"), rv_jsonw_int(&w, k);
    rv_jsonw_key(&w, "seed"), rv_jsonw_int(&w, (int64_t)seed);
    rv_jsonw_key(&w, "models"), rv_jsonw_arr_begin(&w);
    for (int i = 0; i < nruns; i++) {
        const run *r = &runs[i];
        rv_score_run_json_open(r->kind, &r->cv, r->calib, CALIB_BINS, &w);
        if (r->kind == RV_MODEL_GBT)
            rv_jsonw_key(&w, "trees"), rv_jsonw_int(&w, r->cv.trees);
        rv_jsonw_key(&w, "top_features"), rv_jsonw_arr_begin(&w);
        for (int j = 0; j < r->nf; j++) {
            rv_jsonw_obj_begin(&w);
            rv_jsonw_key(&w, "column"), rv_jsonw_str(&w, rv_model_col_name(r->model, r->top[j]));
            rv_jsonw_key(&w, "importance"), rv_jsonw_double(&w, r->imp[j]);
            rv_jsonw_obj_end(&w);
        }
        rv_jsonw_arr_end(&w);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_arr_end(&w);
    rv_jsonw_key(&w, "best"), rv_jsonw_str(&w, kind_name(runs[best].kind));
    rv_jsonw_key(&w, "auc"), rv_jsonw_double(&w, runs[best].cv.auc_mean);
    rv_jsonw_obj_end(&w);
    fwrite(rv_buf_str(&b), 1, b.len, stdout);
    fputc('\n', stdout);
    rv_buf_release(&b);
}

/* One model's cross-validation: AUC per fold, log-loss, time, calibration. */
static void print_run(rv_model_kind kind, const rv_cv_result *cv, const rv_calib_bin *calib)
{
    if (kind == RV_MODEL_LR)
        printf("\nlr          logistic regression, L2, Platt-calibrated\n");
    else
        printf("\ngbt         gradient-boosted trees, %d trees on average, Platt-calibrated\n",
               cv->trees);
    printf("  AUC       %.4f (folds", cv->auc_mean);
    for (int f = 0; f < cv->k; f++)
        printf(" %.4f", cv->fold_auc[f]);
    printf(")\n  log-loss  %.4f\n", cv->logloss);
    printf("  training  %.3f s over %d folds\n", cv->train_seconds, cv->k);
    printf("  calibration (out of fold)\n    predicted   rows  mean predicted  observed\n");
    for (int j = 0; j < CALIB_BINS; j++) {
        const rv_calib_bin *cb = &calib[j];
        if (cb->n)
            printf("    %.1f-%.1f  %6zu  %14.3f  %8.3f\n", cb->lo, cb->hi, cb->n, cb->predicted,
                   cb->observed);
    }
}

/* "label     a, b, c" for the columns of one inferred kind, if any. */
static void print_kind_list(const table *t, const rv_infer_kind *kinds, rv_infer_kind k,
                            const char *label)
{
    int n = 0;
    for (int c = 0; c < t->ncols; c++)
        if (kinds[c] == k)
            printf("%s%s", n++ ? ", " : label, t->names[c]);
    if (n)
        printf("\n");
}

static void print_text(const char *path, const table *t, const rv_infer_kind *kinds,
                       const rv_infer_info *info, const char *target, size_t rows, int k,
                       uint64_t seed, const run *runs, int nruns, int best)
{
    int cnt[RV_INFER_EMPTY + 1] = {0};
    for (int c = 0; c < t->ncols; c++)
        cnt[kinds[c]]++;
    printf("data        %s: %zu rows, %d columns, separator '%s'\n", path, rows, t->ncols,
           t->sep == '\t' ? "\\t" : (char[2]){t->sep, 0});
    printf("target      %s: '%s' %zu (%.1f%%), '%s' %zu", target, info->positive, info->npos,
           100.0 * (double)info->npos / (double)rows, info->negative, info->nneg);
    if (info->dropped_rows)
        printf("; %zu rows with no value left out", info->dropped_rows);
    printf("\nfeatures    %d: %d numeric, %d categorical, %d date\n",
           cnt[RV_INFER_NUMERIC] + cnt[RV_INFER_CATEGORICAL] + cnt[RV_INFER_DATE],
           cnt[RV_INFER_NUMERIC], cnt[RV_INFER_CATEGORICAL], cnt[RV_INFER_DATE]);
    print_kind_list(t, kinds, RV_INFER_EXCLUDED, "excluded    ");
    print_kind_list(t, kinds, RV_INFER_ID, "ID-like     ");
    print_kind_list(t, kinds, RV_INFER_CONSTANT, "constant    ");
    print_kind_list(t, kinds, RV_INFER_EMPTY, "empty       ");
    printf("folds       %d stratified, seed %llu\n", k, (unsigned long long)seed);
    for (int i = 0; i < nruns; i++) {
        const run *r = &runs[i];
        print_run(r->kind, &r->cv, r->calib);
        printf("  top features (mean |contribution| to the log-odds)\n");
        for (int j = 0; j < r->nf; j++)
            printf("    %-40s %.3f\n", rv_model_col_name(r->model, r->top[j]), r->imp[j]);
    }
    if (nruns > 1)
        printf("\nbest        %s (AUC %.4f)\n", kind_name(runs[best].kind), runs[best].cv.auc_mean);
}

/* ---- the database's leads ------------------------------------------------ */

/* Options shared by evaluate --object, train and retrain; 0 or the exit
 * code of a usage error. */
static int object_opts(rv_cli *c, rv_score_opts *o, const char **excl, bool kinds)
{
    *o = (rv_score_opts){.object = rv_cli_opt(c, "object"), .target = rv_cli_opt(c, "target"),
                         .kind = -1, .exclude = excl};
    o->nexclude = split_excludes(c, excl);
    int rc = 0;
    o->folds = (int)int_opt(c, "folds", 5, 2, 64, &rc);
    if (rc)
        return rc;
    o->seed = (uint64_t)int_opt(c, "seed", 42, 0, 2147483647L, &rc);
    if (rc)
        return rc;
    const char *model = kinds ? rv_cli_opt(c, "model") : NULL;
    if (model && !strcmp(model, "lr"))
        o->kind = RV_MODEL_LR;
    else if (model && !strcmp(model, "gbt"))
        o->kind = RV_MODEL_GBT;
    else if (model && strcmp(model, "auto"))
        return rv_cli_usage(c, "--model must be lr, gbt or auto, got '%s'", model);
    if ((rc = rv_cli_check_opts(c)))
        return rc;
    if (c->npos > 1)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[1]);
    return rv_cli_open(c, false);
}

static void eval_json(const void *v, rv_jsonw *w) { rv_score_eval_json(v, w); }
static void trained_json(const void *v, rv_jsonw *w) { rv_score_trained_json(v, w); }

static void print_left_out(const rv_score_eval *ev)
{
    for (int i = 0; i < ev->nleft_out; i++)
        printf("%s%s (%s)%s", i ? ", " : "left out    ", ev->left_out[i], ev->left_out_why[i],
               i + 1 == ev->nleft_out ? "\n" : "");
}

static void print_eval(const rv_score_eval *ev)
{
    printf("data        leads: %zu rows, converted %zu (%.1f%%)\n", ev->rows, ev->positives,
           100.0 * (double)ev->positives / (double)(ev->rows ? ev->rows : 1));
    printf("features    %d:", ev->nfeatures);
    for (int i = 0; i < ev->nfeatures; i++)
        printf("%s %s", i ? "," : "", ev->features[i]);
    printf("\n");
    print_left_out(ev);
    printf("folds       %d stratified, seed %llu\n", ev->folds, (unsigned long long)ev->seed);
    for (int r = 0; r < ev->nruns; r++)
        print_run(ev->runs[r].kind, &ev->runs[r].cv, ev->runs[r].calib);
    if (ev->nruns > 1)
        printf("\nbest        %s (AUC %.4f)\n", kind_name(ev->runs[ev->best].kind),
               ev->runs[ev->best].cv.auc_mean);
}

static int evaluate_object(rv_cli *c)
{
    bool json = rv_cli_flag(c, "json");
    const char *excl[MAX_EXCLUDE];
    rv_score_opts o;
    int rc = object_opts(c, &o, excl, true);
    if (rc)
        return rc;
    rv_err err;
    rv_err_clear(&err);
    rv_score_eval ev;
    if (rv_score_evaluate(&c->ctx, &o, &ev, &err))
        return rv_cli_fail(c, &err);
    if (json)
        rv_cli_print_json(eval_json, &ev);
    else
        print_eval(&ev);
    return 0;
}

static void print_trained(const rv_score_trained *t)
{
    const rv_score_run *best = &t->eval.runs[t->eval.best];
    printf("model       leads converted version %lld (id %lld): %s, AUC %.4f, log-loss %.4f\n",
           (long long)t->version, (long long)t->model_id, kind_name(t->kind), best->cv.auc_mean,
           best->cv.logloss);
    printf("data        %zu leads, %zu converted, %d features, %d folds, seed %llu\n",
           t->eval.rows, t->eval.positives, t->eval.nfeatures, t->eval.folds,
           (unsigned long long)t->eval.seed);
    print_left_out(&t->eval);
    printf("%s\n", t->note);
}

static int train_cmd(rv_cli *c, bool retrain)
{
    bool json = rv_cli_flag(c, "json");
    const char *excl[MAX_EXCLUDE];
    rv_score_opts o;
    int rc = object_opts(c, &o, excl, !retrain);
    if (rc)
        return rc;
    rv_err err;
    rv_err_clear(&err);
    rv_score_trained t;
    rv_status st = retrain ? rv_score_retrain(&c->ctx, &o, &t, &err)
                           : rv_score_train(&c->ctx, &o, &t, &err);
    if (st)
        return rv_cli_fail(c, &err);
    if (json)
        rv_cli_print_json(trained_json, &t);
    else
        print_trained(&t);
    return 0;
}

static int explain_cmd(rv_cli *c)
{
    bool json = rv_cli_flag(c, "json");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->npos != 2)
        return rv_cli_usage(c, "score explain needs one LEAD_ID");
    long long id;
    if (!rv_cli_parse_int(c->pos[1], 1, INT64_MAX, &id))
        return rv_cli_usage(c, "LEAD_ID must be a positive integer, got '%s'", c->pos[1]);
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    rv_err_clear(&err);
    rv_score_result r;
    if (rv_score_lead(&c->ctx, id, &r, &err))
        return rv_cli_fail(c, &err);
    if (json) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, false);
        rv_score_result_json(&r, id, &w);
        printf("%s\n", rv_buf_str(&b));
        rv_buf_release(&b);
        return 0;
    }
    printf("lead %lld: probability %.3f (model version %lld, %s)\n", id, r.probability,
           (long long)r.version, kind_name(r.kind));
    for (int i = 0; i < r.nup; i++)
        printf("%s%-32s %-24s %+.3f\n", i ? "        " : "raises  ", r.up[i].feature,
               r.up[i].value, r.up[i].contrib);
    for (int i = 0; i < r.ndown; i++)
        printf("%s%-32s %-24s %+.3f\n", i ? "        " : "lowers  ", r.down[i].feature,
               r.down[i].value, r.down[i].contrib);
    return 0;
}

static int evaluate_cmd(rv_cli *c)
{
    if (rv_cli_opt(c, "object"))
        return evaluate_object(c);
    const char *path = rv_cli_opt(c, "csv");
    bool csv_flag = rv_cli_flag(c, "csv");
    bool json = rv_cli_flag(c, "json");
    const char *target = rv_cli_opt(c, "target");
    const char *model = rv_cli_opt(c, "model");
    const char *folds_out = rv_cli_opt(c, "write-folds");
    const char *excl[MAX_EXCLUDE];
    int nexcl = split_excludes(c, excl);
    int rc = 0;
    long k = int_opt(c, "folds", 5, 2, 64, &rc);
    if (rc)
        return rc;
    long seed = int_opt(c, "seed", 42, 0, 2147483647L, &rc);
    if (rc)
        return rc;
    if ((rc = rv_cli_check_opts(c)))
        return rc;
    /* --csv is also the global "CSV output" flag, so "--csv FILE" leaves
     * FILE as the positional argument after the verb */
    if (!path && csv_flag && c->npos == 2)
        path = c->pos[1];
    else if (c->npos > 1)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[1]);
    if (!path)
        return rv_cli_usage(c, "score evaluate needs --csv FILE");
    if (!target)
        return rv_cli_usage(c, "score evaluate needs --target COLUMN");
    rv_model_kind kinds_to_run[2] = {RV_MODEL_LR, RV_MODEL_GBT};
    int nruns = 2;
    if (model && !strcmp(model, "lr"))
        nruns = 1;
    else if (model && !strcmp(model, "gbt"))
        kinds_to_run[0] = RV_MODEL_GBT, nruns = 1;
    else if (model && strcmp(model, "auto"))
        return rv_cli_usage(c, "--model must be lr, gbt or auto, got '%s'", model);

    rv_err err;
    rv_err_clear(&err);
    table t = {0};
    rv_mdata *d = NULL;
    int *fold = NULL;
    run runs[2] = {0};
    rv_infer_kind *kinds = NULL;
    rv_infer_info info;
    rv_status st = read_table(c, path, &t, &err);
    if (!st && t.nrows == 0)
        st = rv_err_set(&err, RV_EINVAL, NULL, "'%s' has a header but no rows", path);
    if (!st) {
        kinds = rv_xcalloc((size_t)t.ncols, sizeof *kinds);
        st = rv_mdata_infer(&d, t.ncols, t.names, t.nrows, t.cells, target, excl, nexcl, kinds,
                            &info, &err);
    }
    size_t rows = d ? rv_mdata_rows(d) : 0;
    if (!st) {
        fold = rv_xmalloc(rows * sizeof *fold);
        st = rv_mdata_folds(d, (int)k, (uint64_t)seed, fold, &err);
    }
    if (!st && folds_out) {
        FILE *f = fopen(folds_out, "w");
        if (!f) {
            st = rv_err_set(&err, RV_EIO, "write-folds", "cannot write '%s': %s", folds_out,
                            strerror(errno));
        } else {
            for (size_t i = 0; i < rows; i++)
                fprintf(f, "%d\n", fold[i]);
            if (fclose(f))
                st = rv_err_set(&err, RV_EIO, "write-folds", "cannot write '%s'", folds_out);
        }
    }
    for (int i = 0; i < nruns && !st; i++) {
        runs[i].kind = kinds_to_run[i];
        st = evaluate(d, fold, (int)k, (uint64_t)seed, &runs[i], &err);
    }
    if (!st) {
        int best = nruns == 2 && runs[1].cv.auc_mean > runs[0].cv.auc_mean ? 1 : 0;
        (json ? print_json : print_text)(path, &t, kinds, &info, target, rows, (int)k,
                                          (uint64_t)seed, runs, nruns, best);
    }
    for (int i = 0; i < 2; i++)
        rv_model_free((rv_model *)runs[i].model);
    rv_mdata_free(d);
    free(fold);
    free(kinds);
    free(t.cells);
    return st ? rv_cli_fail(c, &err) : 0;
}

int rv_cmd_score(rv_cli *c)
{
    const char *verb = c->npos ? c->pos[0] : NULL;
    if (verb && !strcmp(verb, "evaluate"))
        return evaluate_cmd(c);
    if (verb && !strcmp(verb, "train"))
        return train_cmd(c, false);
    if (verb && !strcmp(verb, "retrain"))
        return train_cmd(c, true);
    if (verb && !strcmp(verb, "explain"))
        return explain_cmd(c);
    return rv_cli_usage(c,
                        verb ? "unknown score command '%s' (evaluate, train, retrain, explain)"
                             : "score needs a verb%s",
                        verb ? verb : ": evaluate, train, retrain or explain");
}
