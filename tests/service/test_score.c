/*
 * test_score.c - lead scoring on the database (service/score.h).
 *
 *   features_window   forty hand-made leads whose touches and activities
 *                     fall inside, after the window or after conversion:
 *                     the counts the explanation shows are the ones
 *                     worked out by hand (3 and 1 for a converted lead, 0
 *                     and 0 for the others), and their custom fields
 *                     (a number, an enum) are features with their values;
 *   generated_leads   the generator's leads: the stored model row's rows
 *                     and positives equal counts made in SQL, its AUC the
 *                     one returned, its text reads back; scoring a stored
 *                     lead and the same record agree to the bit;
 *   retrain_rules     the active model's settings cross-validated on the
 *                     same folds give exactly the AUC stored with it; with
 *                     new leads the champion is judged on them, and the
 *                     test recomputes that AUC from the champion's own
 *                     scores by counting pairs; one model is ever active;
 *   errors            each refusal names what is wrong.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/money.h"
#include "service/score.h"
#include "testutil.h"

#define DAY_MS 86400000LL
#define T0 1704096000000LL /* 2024-01-01T08:00:00Z */

static int setup(void **state)
{
    *state = tu_env_new("score");
    return 0;
}

static int teardown(void **state)
{
    tu_env_free(*state);
    return 0;
}

/* ISO-8601 text of unix ms (UTC, whole seconds). */
static const char *iso(char *buf, size_t cap, int64_t ms)
{
    int64_t days = ms / DAY_MS, s = (ms % DAY_MS) / 1000;
    int y;
    unsigned m, d;
    rv_civil_from_days((int32_t)days, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, (long long)(s / 3600),
             (long long)(s / 60 % 60), (long long)(s % 60));
    return buf;
}

static const rv_score_factor *factor(const rv_score_factor *fs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(fs[i].feature, name))
            return &fs[i];
    return NULL;
}

/* Lead i created at T0 + i days; even ones convert 5 days later.  Touches:
 * converted at +1, +2, +3 days (counted) and +6 (after converting: not
 * counted); the others five at +10 days (after the 7-day window).
 * Activities: converted done at +2 days, the others at +8 (outside). */
static int64_t hand_lead(tu_env *t, int i)
{
    char body[400], a[40], b[40], c[40];
    int64_t created = T0 + i * DAY_MS;
    bool conv = i % 2 == 0;
    if (conv)
        snprintf(body, sizeof body,
                 "{\"last_name\":\"L%d\",\"status\":\"converted\",\"created_on\":\"%s\","
                 "\"converted_at\":\"%s\",\"custom\":{\"budget\":%d,\"tier\":\"gold\"}}",
                 i, iso(a, sizeof a, created), iso(b, sizeof b, created + 5 * DAY_MS), 5000 + i);
    else
        snprintf(body, sizeof body,
                 "{\"last_name\":\"L%d\",\"status\":\"disqualified\",\"created_on\":\"%s\","
                 "\"custom\":{\"budget\":%d,\"tier\":\"tin\"}}",
                 i, iso(a, sizeof a, created), 100 + i);
    int64_t id = tu_create(t, "leads", body);
    int days_conv[] = {1, 2, 3, 6}, days_not[] = {10, 10, 10, 10, 10};
    const int *days = conv ? days_conv : days_not;
    int nd = conv ? 4 : 5;
    for (int k = 0; k < nd; k++) {
        snprintf(body, sizeof body, "{\"kind\":\"visit\",\"lead_id\":%lld,\"at\":\"%s\"}",
                 (long long)id, iso(c, sizeof c, created + days[k] * DAY_MS));
        tu_create(t, "touches", body);
    }
    snprintf(body, sizeof body, "{\"kind\":\"call\",\"lead_id\":%lld,\"done_at\":\"%s\"}",
             (long long)id, iso(c, sizeof c, created + (conv ? 2 : 8) * DAY_MS));
    tu_create(t, "activities", body);
    return id;
}

/* Two custom fields of leads: a number and an enum. */
static void define_custom(tu_env *t)
{
    tu_create(t, "field_defs", "{\"entity\":\"leads\",\"name\":\"budget\",\"type\":\"number\"}");
    tu_create(
        t, "field_defs",
        "{\"entity\":\"leads\",\"name\":\"tier\",\"type\":\"enum\",\"options\":\"gold,tin\"}");
}

static void features_window(void **state)
{
    tu_env *t = *state;
    int64_t ids[40];
    define_custom(t);
    for (int i = 0; i < 40; i++)
        ids[i] = hand_lead(t, i);
    rv_score_opts o = {.kind = RV_MODEL_LR, .folds = 4, .seed = 1};
    rv_score_trained tr;
    rv_err err;
    if (rv_score_train(&t->ctx, &o, &tr, &err))
        fail_msg("train: %s", err.message);
    assert_true(tr.activated);
    assert_int_equal(tr.eval.rows, 40);
    assert_int_equal(tr.eval.positives, 20);
    /* the fields left empty are left out, with the reason */
    bool industry_empty = false;
    for (int i = 0; i < tr.eval.nleft_out; i++)
        industry_empty |=
            !strcmp(tr.eval.left_out[i], "industry") && !strcmp(tr.eval.left_out_why[i], "empty");
    assert_true(industry_empty);
    for (int i = 0; i < 2; i++) {
        rv_score_result r;
        if (rv_score_lead(&t->ctx, ids[i], &r, &err))
            fail_msg("explain: %s", err.message);
        bool conv = i == 0;
        const rv_score_factor *tf =
            conv ? factor(r.up, r.nup, "touches") : factor(r.down, r.ndown, "touches");
        const rv_score_factor *af =
            conv ? factor(r.up, r.nup, "activities") : factor(r.down, r.ndown, "activities");
        assert_non_null(tf);
        assert_non_null(af);
        assert_string_equal(tf->value, conv ? "3" : "0");
        assert_string_equal(af->value, conv ? "1" : "0");
        /* custom fields are features with the lead's own values */
        const rv_score_factor *bf =
            conv ? factor(r.up, r.nup, "custom.budget") : factor(r.down, r.ndown, "custom.budget");
        const rv_score_factor *gf =
            conv ? factor(r.up, r.nup, "custom.tier") : factor(r.down, r.ndown, "custom.tier");
        assert_non_null(bf);
        assert_non_null(gf);
        assert_string_equal(bf->value, conv ? "5000" : "101");
        assert_string_equal(gf->value, conv ? "gold" : "tin");
        assert_true(conv ? r.probability > 0.5 : r.probability < 0.5);
    }
}

/* ---- generated data ---------------------------------------------------------- */

static void generated_leads(void **state)
{
    tu_env *t = *state;
    tu_generate(&t->ctx, 300, 3);
    rv_score_opts o = {.kind = -1, .folds = 5, .seed = 42};
    rv_score_trained tr;
    rv_err err;
    if (rv_score_train(&t->ctx, &o, &tr, &err))
        fail_msg("train: %s", err.message);
    int64_t n = tu_sql_int(t, "SELECT count(*) FROM leads");
    int64_t pos = tu_sql_int(
        t, "SELECT count(*) FROM leads WHERE status = 'converted' OR converted_at IS NOT NULL");
    assert_true(pos > 0 && pos < n);
    assert_int_equal(tr.eval.rows, n);
    assert_int_equal(tr.eval.positives, pos);
    assert_true(tr.activated);
    assert_int_equal(tr.version, 1);
    double auc = tr.eval.runs[tr.eval.best].cv.auc_mean;
    assert_true(auc > 0.6); /* the generator's leads carry signal */
    assert_int_equal(
        tu_sql_intf(t, "SELECT rows FROM score_models WHERE id = %lld", (long long)tr.model_id), n);
    assert_int_equal(tu_sql_intf(t, "SELECT cv_auc_ppm FROM score_models WHERE id = %lld",
                                 (long long)tr.model_id),
                     llround(auc * 1e6));
    assert_int_equal(tu_sql_intf(t, "SELECT through_id FROM score_models WHERE id = %lld",
                                 (long long)tr.model_id),
                     tu_sql_int(t, "SELECT max(id) FROM leads"));
    /* a stored lead, and the same record handed over as the capture
     * pipeline does: the same probability to the bit */
    rv_score_result a, b;
    if (rv_score_lead(&t->ctx, 7, &a, &err))
        fail_msg("score: %s", err.message);
    rv_record r;
    if (rv_svc_get(&t->ctx, rv_entity_find("leads"), 7, &r, &err) ||
        rv_score_lead_record(&t->ctx, &r, &b, &err))
        fail_msg("score record: %s", err.message);
    assert_true(a.probability == b.probability);
    assert_true(a.probability > 0 && a.probability < 1);
    assert_int_equal(a.model_id, tr.model_id);
    /* factors: up positive and descending, down negative and ascending */
    for (int i = 0; i < a.nup; i++)
        assert_true(a.up[i].contrib > 0 && (i == 0 || a.up[i].contrib <= a.up[i - 1].contrib));
    for (int i = 0; i < a.ndown; i++)
        assert_true(a.down[i].contrib < 0 &&
                    (i == 0 || a.down[i].contrib >= a.down[i - 1].contrib));
    assert_true(a.nup + a.ndown > 0);
}

/* Pairs (converted, not) where the converted one scores higher, ties a
 * half, over all such pairs. */
static double pair_auc(const double *p, const int *y, int n)
{
    double win = 0, pairs = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (y[i] == 1 && y[j] == 0) {
                pairs += 1;
                win += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
            }
    return win / pairs;
}

static void retrain_rules(void **state)
{
    tu_env *t = *state;
    tu_generate(&t->ctx, 300, 3);
    rv_err err;
    /* version 1 without the touch counts */
    const char *ex[] = {"touches"};
    rv_score_opts o1 = {.kind = RV_MODEL_LR, .folds = 5, .seed = 42, .exclude = ex, .nexclude = 1};
    rv_score_trained t1, t2, t3;
    if (rv_score_train(&t->ctx, &o1, &t1, &err))
        fail_msg("train 1: %s", err.message);
    /* version 2 with them: the champion's settings are cross-validated
     * again on the same data and folds, so its figure is exactly the AUC
     * stored with version 1 */
    rv_score_opts o2 = {.kind = RV_MODEL_LR, .folds = 5, .seed = 42};
    if (rv_score_train(&t->ctx, &o2, &t2, &err))
        fail_msg("train 2: %s", err.message);
    assert_int_equal(t2.version, 2);
    assert_int_equal(t2.previous_id, t1.model_id);
    assert_int_equal(llround(t2.previous_auc * 1e6),
                     tu_sql_intf(t, "SELECT cv_auc_ppm FROM score_models WHERE id = %lld",
                                 (long long)t1.model_id));
    assert_true(t2.challenger_auc == t2.eval.runs[0].cv.auc_mean);
    assert_int_equal(t2.activated, t2.challenger_auc > t2.previous_auc);
    assert_non_null(strstr(t2.note, "cross-validated on the same folds"));
    int64_t champ = t2.activated ? t2.model_id : t1.model_id;
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM score_models WHERE active = 1"), 1);
    assert_int_equal(tu_sql_int(t, "SELECT id FROM score_models WHERE active = 1"), champ);

    /* twelve new leads, six converted: the champion is judged on them */
    enum { NEW = 12 };
    static const char *const src[] = {"Webinar", "Paid Search", "Organic Search"};
    int64_t ids[NEW];
    int y[NEW];
    double p[NEW];
    for (int i = 0; i < NEW; i++) {
        char body[300], a[40], b[40];
        int64_t created = T0 + (int64_t)(700 + i) * DAY_MS;
        y[i] = i % 2;
        if (y[i])
            snprintf(body, sizeof body,
                     "{\"last_name\":\"N%d\",\"source\":\"%s\",\"employees\":%d,\"status\":"
                     "\"converted\",\"created_on\":\"%s\",\"converted_at\":\"%s\"}",
                     i, src[i % 3], 50 * (i + 1), iso(a, sizeof a, created),
                     iso(b, sizeof b, created + 9 * DAY_MS));
        else
            snprintf(body, sizeof body,
                     "{\"last_name\":\"N%d\",\"source\":\"%s\",\"employees\":%d,\"email\":"
                     "\"n%d@gmail.com\",\"created_on\":\"%s\"}",
                     i, src[i % 3], 40 * (i + 1), i, iso(a, sizeof a, created));
        ids[i] = tu_create(t, "leads", body);
    }
    for (int i = 0; i < NEW; i++) {
        rv_score_result r;
        if (rv_score_lead(&t->ctx, ids[i], &r, &err))
            fail_msg("score: %s", err.message);
        assert_int_equal(r.model_id, champ);
        p[i] = r.probability;
    }
    if (rv_score_retrain(&t->ctx, NULL, &t3, &err))
        fail_msg("retrain: %s", err.message);
    assert_non_null(strstr(t3.note, "on the 12 leads newer than the active model"));
    assert_true(fabs(t3.previous_auc - pair_auc(p, y, NEW)) < 1e-12);
    assert_int_equal(t3.activated, t3.challenger_auc > t3.previous_auc);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM score_models WHERE active = 1"), 1);
    assert_int_equal(tu_sql_intf(t, "SELECT active_auc_ppm FROM score_models WHERE id = %lld",
                                 (long long)t3.model_id),
                     llround(t3.previous_auc * 1e6));
}

static void expect_err(rv_status got, rv_status want, const rv_err *err, const char *msg)
{
    assert_int_equal(got, want);
    if (strncmp(err->message, msg, strlen(msg)))
        fail_msg("message '%s', want '%s...'", err->message, msg);
}

static void errors(void **state)
{
    tu_env *t = *state;
    rv_err err;
    rv_score_trained tr;
    rv_score_eval ev;
    rv_score_result r;
    rv_score_opts o = {.object = "deals", .kind = -1};
    expect_err(rv_score_evaluate(&t->ctx, &o, &ev, &err), RV_EINVAL, &err,
               "object must be 'leads', got 'deals'");
    o = (rv_score_opts){.target = "won", .kind = -1};
    expect_err(rv_score_train(&t->ctx, &o, &tr, &err), RV_EINVAL, &err,
               "target must be 'converted' for leads, got 'won'");
    expect_err(rv_score_retrain(&t->ctx, NULL, &tr, &err), RV_ENOTFOUND, &err,
               "no active model for leads converted: run 'revos score train' first");
    o = (rv_score_opts){.kind = -1};
    expect_err(rv_score_evaluate(&t->ctx, &o, &ev, &err), RV_EINVAL, &err,
               "leads must include converted and unconverted ones, got 0 converted and 0 not");
    define_custom(t);
    for (int i = 0; i < 12; i++)
        hand_lead(t, i);
    const char *ex[] = {"touches", "Tags"};
    o = (rv_score_opts){.kind = -1, .exclude = ex, .nexclude = 2};
    expect_err(rv_score_evaluate(&t->ctx, &o, &ev, &err), RV_EINVAL, &err,
               "unknown feature 'Tags' in --exclude (features: industry, country, source, title, "
               "campaign, email_kind, employees, has_phone, created_on, touches, activities, "
               "custom.budget, custom.tier)");
    expect_err(rv_score_lead(&t->ctx, 1, &r, &err), RV_ENOTFOUND, &err,
               "no active model for leads converted");
    o = (rv_score_opts){.kind = -1, .folds = 7};
    expect_err(rv_score_evaluate(&t->ctx, &o, &ev, &err), RV_EINVAL, &err,
               "12 leads are too few for 7 folds");
    /* nothing was stored by any of these */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM score_models"), 0);
    /* a hand-written model row must hold a model */
    expect_err(tu_try_create(t, "score_models",
                             "{\"object\":\"leads\",\"target\":\"converted\",\"version\":1,"
                             "\"kind\":\"lr\",\"model\":\"not a model\"}",
                             &err),
               RV_EINVAL, &err, "model is not a revos model: ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(features_window, setup, teardown),
        cmocka_unit_test_setup_teardown(generated_leads, setup, teardown),
        cmocka_unit_test_setup_teardown(retrain_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
