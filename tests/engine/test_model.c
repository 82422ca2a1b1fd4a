/*
 * test_model.c - the predictive-model engine (src/engine/model*.c).
 *
 * Data are generated here from known models with a seeded generator, so
 * every expected number is either a parameter of the generator (the
 * coefficients LR must recover) or computed by hand / by a brute-force
 * loop in the test (AUC over all pairs, log-loss).
 */
/* cmocka.h needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model.h"

static uint64_t rng = 1;
static double unif(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}
static double sigm(double z) { return 1 / (1 + exp(-z)); }
static double logit(double p) { return log(p / (1 - p)); }

static void expect_err(rv_status st, const rv_err *err, rv_status code, const char *msg)
{
    assert_int_equal(st, code);
    assert_string_equal(err->message, msg);
}

/* y ~ Bernoulli(sigmoid(0.5 + 1.5 x1 - 2 x2)), x ~ N(0, 1). */
static rv_mdata *logistic_data(size_t n)
{
    rv_mdata *d;
    rv_err err;
    double *x1 = malloc(n * sizeof *x1), *x2 = malloc(n * sizeof *x2);
    int8_t *y = malloc(n);
    for (size_t i = 0; i < n; i++) {
        x1[i] = gauss();
        x2[i] = gauss() * 2 + 3;
        y[i] = unif() < sigm(0.5 + 1.5 * x1[i] - 2 * (x2[i] - 3) / 2);
    }
    assert_int_equal(rv_mdata_new(&d, n, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(d, "x1", x1, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(d, "x2", x2, &err), RV_OK);
    assert_int_equal(rv_mdata_set_target(d, y, &err), RV_OK);
    free(x1), free(x2), free(y);
    return d;
}

/* A dataset of given numeric rows (no target) for queries. */
static rv_mdata *query2(const char *a, const char *b, const double *va, const double *vb, size_t n)
{
    rv_mdata *q;
    rv_err err;
    assert_int_equal(rv_mdata_new(&q, n, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(q, a, va, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(q, b, vb, &err), RV_OK);
    return q;
}

static void test_lr_recovers_coefficients(void **state)
{
    (void)state;
    rng = 7;
    rv_mdata *d = logistic_data(40000);
    rv_model_params p;
    rv_model_params_default(&p, RV_MODEL_LR);
    p.lr_bins = 0;
    p.l2 = 1e-6;
    p.calibrate = false;
    rv_model *m;
    rv_err err;
    assert_int_equal(rv_model_train(&m, d, NULL, 0, &p, &err), RV_OK);
    /* log-odds at (0,3), (1,3), (0,4): intercept 0.5, +1.5 per x1, -1 per x2 */
    double a[] = {0, 1, 0}, b[] = {3, 3, 4}, pr[3];
    rv_mdata *q = query2("x1", "x2", a, b, 3);
    assert_int_equal(rv_model_predict(m, q, NULL, 0, pr, &err), RV_OK);
    assert_true(fabs(logit(pr[0]) - 0.5) < 0.06);
    assert_true(fabs(logit(pr[1]) - logit(pr[0]) - 1.5) < 0.06);
    assert_true(fabs(logit(pr[2]) - logit(pr[0]) + 1.0) < 0.06);
    rv_mdata_free(q);
    rv_model_free(m);
    rv_mdata_free(d);
}

static double brute_auc(const double *s, const int8_t *y, size_t n)
{
    double win = 0, pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] == 1 && y[j] == 0) {
                pairs++;
                win += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
    return win / pairs;
}

static void test_auc_ties(void **state)
{
    (void)state;
    /* positives 0.4, 0.8, 0.4; negatives 0.1, 0.4: of 6 pairs, two are
     * ties (0.4 vs 0.4) and four are won: (4 + 2 * 0.5) / 6 */
    double s[] = {0.1, 0.4, 0.4, 0.8, 0.4};
    int8_t y[] = {0, 1, 0, 1, 1};
    assert_true(fabs(rv_metric_auc(s, y, 5) - 5.0 / 6.0) < 1e-15);
    /* many ties: scores in 5 values */
    rng = 3;
    enum { N = 400 };
    double t[N];
    int8_t z[N];
    for (int i = 0; i < N; i++) {
        t[i] = floor(unif() * 5);
        z[i] = unif() < 0.2 + 0.1 * t[i];
    }
    assert_true(fabs(rv_metric_auc(t, z, N) - brute_auc(t, z, N)) < 1e-12);
    int8_t one[] = {1, 1};
    assert_true(isnan(rv_metric_auc(s, one, 2)));
    /* log-loss by hand: -(log 0.8 + log 0.6) / 2 */
    double pr[] = {0.8, 0.4};
    int8_t yy[] = {1, 0};
    assert_true(fabs(rv_metric_logloss(pr, yy, 2) + (log(0.8) + log(0.6)) / 2) < 1e-15);
}

static void test_calibration_table(void **state)
{
    (void)state;
    double pr[] = {0.05, 0.15, 0.12, 0.95, 1.0};
    int8_t y[] = {0, 1, 0, 1, 1};
    rv_calib_bin b[10];
    rv_metric_calibration(pr, y, 5, 10, b);
    assert_int_equal(b[0].n, 1);
    assert_int_equal(b[1].n, 2);
    assert_true(fabs(b[1].predicted - 0.135) < 1e-15);
    assert_true(fabs(b[1].observed - 0.5) < 1e-15);
    assert_int_equal(b[9].n, 2); /* 1.0 falls in the last bin */
    assert_true(fabs(b[9].predicted - 0.975) < 1e-15);
}

/* Imbalanced data (about 8% positives) trained with balanced class
 * weights: the raw probabilities are inflated; Platt scaling must bring
 * the held-out log-loss down. */
static void test_calibration_reduces_logloss(void **state)
{
    (void)state;
    rng = 11;
    size_t n = 6000;
    double *x = malloc(n * sizeof *x);
    int8_t *y = malloc(n);
    for (size_t i = 0; i < n; i++) {
        x[i] = gauss();
        y[i] = unif() < sigm(-3 + 1.2 * x[i]);
    }
    rv_mdata *d;
    rv_err err;
    assert_int_equal(rv_mdata_new(&d, n, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(d, "x", x, &err), RV_OK);
    assert_int_equal(rv_mdata_set_target(d, y, &err), RV_OK);
    size_t *tr = malloc(n * sizeof *tr), *te = malloc(n * sizeof *te), ntr = 0, nte = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2)
            te[nte++] = i;
        else
            tr[ntr++] = i;
    }
    int8_t *yte = malloc(nte);
    for (size_t i = 0; i < nte; i++)
        yte[i] = y[te[i]];
    double *raw = malloc(nte * sizeof *raw), *cal = malloc(nte * sizeof *cal);
    for (int kind = 0; kind < 2; kind++) {
        rv_model_params p;
        rv_model_params_default(&p, kind ? RV_MODEL_GBT : RV_MODEL_LR);
        p.balanced = true;
        p.calibrate = false;
        rv_model *m;
        assert_int_equal(rv_model_train(&m, d, tr, ntr, &p, &err), RV_OK);
        assert_int_equal(rv_model_predict(m, d, te, nte, raw, &err), RV_OK);
        rv_model_free(m);
        p.calibrate = true;
        assert_int_equal(rv_model_train(&m, d, tr, ntr, &p, &err), RV_OK);
        assert_int_equal(rv_model_predict(m, d, te, nte, cal, &err), RV_OK);
        rv_model_free(m);
        double l_raw = rv_metric_logloss(raw, yte, nte), l_cal = rv_metric_logloss(cal, yte, nte);
        assert_true(l_cal < l_raw - 0.05);
        /* calibrated: mean prediction close to the positive rate */
        double mp = 0, rate = 0;
        for (size_t i = 0; i < nte; i++)
            mp += cal[i], rate += yte[i];
        assert_true(fabs(mp - rate) / (double)nte < 0.02);
    }
    free(x), free(y), free(tr), free(te), free(yte), free(raw), free(cal);
    rv_mdata_free(d);
}

/* Mixed data: a numeric column with missing values, a categorical with
 * missing values, a date. */
static rv_mdata *mixed_data(size_t n, bool with_target)
{
    static const char *const lv[] = {"red", "green", "blue", "amber", NULL};
    rv_mdata *d;
    rv_err err;
    double *x = malloc(n * sizeof *x), *day = malloc(n * sizeof *day);
    const char **c = malloc(n * sizeof *c);
    int8_t *y = malloc(n);
    for (size_t i = 0; i < n; i++) {
        x[i] = unif() < 0.1 ? NAN : gauss();
        int k = (int)(unif() * 5);
        c[i] = lv[k];
        day[i] = 19000 + floor(unif() * 365);
        double z = (isnan(x[i]) ? 1 : x[i]) + (k == 0 ? 1.5 : k == 4 ? -1 : 0) +
                   (day[i] - 19180) / 200;
        y[i] = unif() < sigm(z);
    }
    assert_int_equal(rv_mdata_new(&d, n, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(d, "x", x, &err), RV_OK);
    assert_int_equal(rv_mdata_add_categorical(d, "colour", c, &err), RV_OK);
    assert_int_equal(rv_mdata_add_date(d, "signed", day, &err), RV_OK);
    if (with_target)
        assert_int_equal(rv_mdata_set_target(d, y, &err), RV_OK);
    free(x), free(day), free(c), free(y);
    return d;
}

static void test_explanations_sum_to_log_odds(void **state)
{
    (void)state;
    rng = 5;
    rv_mdata *d = mixed_data(3000, true);
    assert_int_equal(rv_mdata_cols(d), 4); /* x, colour, signed, signed.month */
    assert_string_equal(rv_mdata_col_name(d, 3), "signed.month");
    for (int kind = 0; kind < 2; kind++) {
        rv_model_params p;
        rv_model_params_default(&p, kind ? RV_MODEL_GBT : RV_MODEL_LR);
        rv_model *m;
        rv_err err;
        assert_int_equal(rv_model_train(&m, d, NULL, 0, &p, &err), RV_OK);
        if (kind)
            assert_true(rv_model_trees(m) > 1);
        double contrib[4], bias, pr;
        for (size_t row = 0; row < 200; row++) {
            size_t r1[] = {row};
            assert_int_equal(rv_model_explain(m, d, row, contrib, &bias, &err), RV_OK);
            assert_int_equal(rv_model_predict(m, d, r1, 1, &pr, &err), RV_OK);
            double sum = bias;
            for (int c = 0; c < 4; c++)
                sum += contrib[c];
            assert_true(fabs(sum - logit(pr)) < 1e-9);
        }
        double imp[4];
        assert_int_equal(rv_model_importance(m, d, NULL, 0, imp, &err), RV_OK);
        assert_true(imp[0] > 0 && imp[1] > 0);
        rv_model_free(m);
    }
    rv_mdata_free(d);
}

static void test_serialise_round_trip(void **state)
{
    (void)state;
    rng = 9;
    rv_mdata *d = mixed_data(2000, true);
    size_t n = rv_mdata_rows(d);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    for (int kind = 0; kind < 2; kind++) {
        rv_model_params p;
        rv_model_params_default(&p, kind ? RV_MODEL_GBT : RV_MODEL_LR);
        rv_model *m, *m2;
        rv_err err;
        assert_int_equal(rv_model_train(&m, d, NULL, 0, &p, &err), RV_OK);
        rv_buf t1 = RV_BUF_INIT, t2 = RV_BUF_INIT;
        assert_int_equal(rv_model_write(m, &t1), RV_OK);
        assert_memory_equal(t1.data, kind ? "revos-model 1 gbt\n" : "revos-model 1 lr\n",
                            kind ? 18 : 17);
        assert_int_equal(rv_model_read(&m2, t1.data, t1.len, &err), RV_OK);
        assert_int_equal(rv_model_write(m2, &t2), RV_OK);
        assert_int_equal(t1.len, t2.len);
        assert_memory_equal(t1.data, t2.data, t1.len);
        assert_int_equal(rv_model_predict(m, d, NULL, 0, a, &err), RV_OK);
        assert_int_equal(rv_model_predict(m2, d, NULL, 0, b, &err), RV_OK);
        assert_memory_equal(a, b, n * sizeof *a);
        rv_model_free(m2);
        /* a truncated text names the line where it stops */
        size_t cut = (size_t)(strstr(t1.data, "columns") - t1.data);
        assert_int_equal(rv_model_read(&m2, t1.data, cut + 10, &err), RV_EPARSE);
        assert_non_null(strstr(err.message, "model line 3:"));
        rv_buf_release(&t1);
        rv_buf_release(&t2);
        rv_model_free(m);
    }
    free(a), free(b);
    rv_mdata_free(d);
}

static void test_missing_and_unseen_categories(void **state)
{
    (void)state;
    rng = 13;
    rv_mdata *d = mixed_data(3000, true);
    /* a query: one row per case, same numeric and date values */
    const char *cats[] = {"red", NULL, "violet"};
    double x[] = {0.3, 0.3, 0.3}, day[] = {19100, 19100, 19100};
    rv_mdata *q;
    rv_err err;
    assert_int_equal(rv_mdata_new(&q, 3, &err), RV_OK);
    assert_int_equal(rv_mdata_add_numeric(q, "x", x, &err), RV_OK);
    assert_int_equal(rv_mdata_add_categorical(q, "colour", cats, &err), RV_OK);
    assert_int_equal(rv_mdata_add_date(q, "signed", day, &err), RV_OK);
    for (int kind = 0; kind < 2; kind++) {
        rv_model_params p;
        rv_model_params_default(&p, kind ? RV_MODEL_GBT : RV_MODEL_LR);
        rv_model *m;
        assert_int_equal(rv_model_train(&m, d, NULL, 0, &p, &err), RV_OK);
        double pr[3], contrib[4], bias;
        assert_int_equal(rv_model_predict(m, q, NULL, 0, pr, &err), RV_OK);
        for (int i = 0; i < 3; i++)
            assert_true(pr[i] > 0 && pr[i] < 1);
        /* "red" raises the odds in the data; the unseen level does not */
        assert_true(pr[0] > pr[2]);
        assert_int_equal(rv_model_explain(m, q, 2, contrib, &bias, &err), RV_OK);
        if (kind == 0) /* LR: an unseen level sets no indicator */
            assert_true(contrib[1] == 0);
        else /* trees: an unseen level goes where missing goes */
            assert_true(pr[2] == pr[1]);
        rv_model_free(m);
    }
    rv_mdata_free(q);
    rv_mdata_free(d);
}

static void test_folds_stratified(void **state)
{
    (void)state;
    rng = 17;
    rv_mdata *d = mixed_data(1003, true);
    int fold[1003], cnt[5][2] = {{0}};
    rv_err err;
    assert_int_equal(rv_mdata_folds(d, 5, 42, fold, &err), RV_OK);
    for (int i = 0; i < 1003; i++)
        cnt[fold[i]][rv_mdata_target(d, (size_t)i)]++;
    for (int f = 1; f < 5; f++)
        for (int c = 0; c < 2; c++)
            assert_true(abs(cnt[f][c] - cnt[0][c]) <= 1);
    int again[1003];
    assert_int_equal(rv_mdata_folds(d, 5, 42, again, &err), RV_OK);
    assert_memory_equal(fold, again, sizeof fold);
    rv_cv_result res;
    rv_model_params p;
    rv_model_params_default(&p, RV_MODEL_LR);
    assert_int_equal(rv_model_cv(d, fold, 5, &p, NULL, &res, &err), RV_OK);
    assert_true(res.auc > 0.6 && res.auc_mean > 0.6 && res.logloss < 0.69);
    rv_mdata_free(d);
}

static void test_bad_input(void **state)
{
    (void)state;
    rv_mdata *d;
    rv_err err;
    expect_err(rv_mdata_new(&d, 0, &err), &err, RV_EINVAL, "dataset must have at least one row");
    assert_int_equal(rv_mdata_new(&d, 3, &err), RV_OK);
    double x[] = {1, INFINITY, 3};
    expect_err(rv_mdata_add_numeric(d, "x", x, &err), &err, RV_EINVAL, "x: row 2 is infinite");
    x[1] = 2;
    assert_int_equal(rv_mdata_add_numeric(d, "x", x, &err), RV_OK);
    expect_err(rv_mdata_add_numeric(d, "x", x, &err), &err, RV_ECONFLICT,
               "column 'x' is already in the dataset");
    int fold[3];
    expect_err(rv_mdata_folds(d, 5, 1, fold, &err), &err, RV_EINVAL, "dataset has no target");
    int8_t y[] = {0, 2, 1};
    expect_err(rv_mdata_set_target(d, y, &err), &err, RV_EINVAL,
               "target must be 0 or 1, got 2 in row 2");
    int8_t same[] = {1, 1, 1};
    expect_err(rv_mdata_set_target(d, same, &err), &err, RV_EINVAL,
               "target must contain both classes, got only 1 in 3 rows");
    y[1] = 1;
    assert_int_equal(rv_mdata_set_target(d, y, &err), RV_OK);
    expect_err(rv_mdata_folds(d, 5, 1, fold, &err), &err, RV_EINVAL, "3 rows are fewer than 5 folds");
    rv_model_params p;
    rv_model_params_default(&p, RV_MODEL_LR);
    rv_model *m;
    size_t only[] = {1, 2};
    expect_err(rv_model_train(&m, d, only, 2, &p, &err), &err, RV_EINVAL,
               "training rows must contain both classes, got only 1");
    p.l2 = -1;
    expect_err(rv_model_train(&m, d, NULL, 0, &p, &err), &err, RV_EINVAL, "l2 must be >= 0, got -1");
    p.l2 = 1;
    assert_int_equal(rv_model_train(&m, d, NULL, 0, &p, &err), RV_OK);
    rv_mdata *q;
    assert_int_equal(rv_mdata_new(&q, 1, &err), RV_OK);
    double pr;
    expect_err(rv_model_predict(m, q, NULL, 0, &pr, &err), &err, RV_EINVAL,
               "the model needs column 'x' (numeric), which the data lacks");
    const char *s[] = {"a"};
    assert_int_equal(rv_mdata_add_categorical(q, "x", s, &err), RV_OK);
    expect_err(rv_model_predict(m, q, NULL, 0, &pr, &err), &err, RV_EINVAL,
               "column 'x' must be numeric for this model");
    rv_mdata_free(q);
    rv_model_free(m);
    rv_mdata_free(d);
    expect_err(rv_model_read(&m, "hello\n", 6, &err), &err, RV_EPARSE,
               "model line 1: expected revos-model, got 'hello'");
    expect_err(rv_model_read(&m, "revos-model 9 lr\n", 17, &err), &err, RV_EINVAL,
               "model version 9 is not supported (this build reads 1)");
    assert_null(m);
}

static void test_infer(void **state)
{
    (void)state;
    const char *names[] = {"id", "amount", "stage", "opened", "flag", "empty", "won"};
    /* id unique; amount numeric with a blank; opened a date; flag
     * constant; the target blank in row 4 (left out) */
    const char *cells[] = {
        "A1", "10.5", "new",  "2024-01-31", "x", "", "Yes",
        "A2", " ",    "old",  "2024-02-01", "x", "", "no",
        "A3", "7",    "new",  "",           "x", "", "Yes",
        "A4", "3",    "",     "2024-03-15", "x", "", " ",
        "A5", "1e2",  "old",  "2024-03-16", "x", "", "no",
    };
    rv_mdata *d;
    rv_err err;
    rv_infer_kind k[7];
    rv_infer_info info;
    assert_int_equal(rv_mdata_infer(&d, 7, names, 5, cells, "won", NULL, 0, k, &info, &err),
                     RV_OK);
    rv_infer_kind want[] = {RV_INFER_ID,       RV_INFER_NUMERIC,  RV_INFER_CATEGORICAL,
                            RV_INFER_DATE,     RV_INFER_CONSTANT, RV_INFER_EMPTY,
                            RV_INFER_TARGET};
    for (int c = 0; c < 7; c++)
        assert_string_equal(rv_infer_kind_name(k[c]), rv_infer_kind_name(want[c]));
    assert_string_equal(info.positive, "Yes");
    assert_string_equal(info.negative, "no");
    assert_int_equal(info.npos, 2);
    assert_int_equal(info.nneg, 2);
    assert_int_equal(info.dropped_rows, 1);
    /* amount, stage, opened and opened.month; 4 rows */
    assert_int_equal(rv_mdata_cols(d), 4);
    assert_int_equal(rv_mdata_rows(d), 4);
    assert_string_equal(rv_mdata_col_name(d, 3), "opened.month");
    rv_mdata_free(d);
    /* "Yes" and "YES" are two values: with "no" that is three */
    cells[20] = "YES";
    expect_err(rv_mdata_infer(&d, 7, names, 5, cells, "won", NULL, 0, k, &info, &err), &err,
               RV_EINVAL, "target 'won' has more than two values: 'YES', 'Yes', 'no'");
}

static void test_infer_errors(void **state)
{
    (void)state;
    const char *names[] = {"a", "t"};
    const char *cells[] = {"1", "x", "2", "y", "3", "z"};
    rv_mdata *d;
    rv_err err;
    rv_infer_kind k[2];
    rv_infer_info info;
    expect_err(rv_mdata_infer(&d, 2, names, 3, cells, "nope", NULL, 0, k, &info, &err), &err,
               RV_EINVAL, "unknown target column 'nope'");
    const char *ex[] = {"b"};
    expect_err(rv_mdata_infer(&d, 2, names, 3, cells, "t", ex, 1, k, &info, &err), &err,
               RV_EINVAL, "unknown column 'b' in --exclude");
    expect_err(rv_mdata_infer(&d, 2, names, 3, cells, "t", NULL, 0, k, &info, &err), &err,
               RV_EINVAL, "target 't' has more than two values: 'x', 'y', 'z'");
    cells[5] = "y";
    expect_err(rv_mdata_infer(&d, 2, names, 3, cells, "t", NULL, 0, k, &info, &err), &err,
               RV_EINVAL, "target 't' values 'x' and 'y' are not yes/no");
    cells[1] = "y";
    expect_err(rv_mdata_infer(&d, 2, names, 3, cells, "t", NULL, 0, k, &info, &err), &err,
               RV_EINVAL, "target 't' has only one value 'y'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lr_recovers_coefficients),
        cmocka_unit_test(test_auc_ties),
        cmocka_unit_test(test_calibration_table),
        cmocka_unit_test(test_calibration_reduces_logloss),
        cmocka_unit_test(test_explanations_sum_to_log_odds),
        cmocka_unit_test(test_serialise_round_trip),
        cmocka_unit_test(test_missing_and_unseen_categories),
        cmocka_unit_test(test_folds_stratified),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_infer),
        cmocka_unit_test(test_infer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
