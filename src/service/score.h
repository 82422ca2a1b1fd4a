/*
 * score.h - predictive lead scoring on the database's own records: build
 * the training table from leads, cross-validate, train, store versioned
 * models (the score_models entity), retrain, and score one lead with the
 * factors that raise and lower its probability.
 *
 * The model engine (engine/model.h) does the mathematics; this file
 * decides what a lead's features are and which model is active.
 *
 * Features of a lead (docs/scoring.md, "Scoring leads in the database"),
 * all known when the lead arrives:
 *   industry, country, source, title, campaign   categorical fields
 *   email_kind    "free" (gmail.com, ...) or "company"; missing without email
 *   employees     number
 *   has_phone     0/1
 *   created_on    the arrival day (days since 1970) and created_on.month
 *   touches       marketing touches of the lead dated in the window after
 *                 its arrival (RV_SCORE_WINDOW_DAYS, 7) and before it
 *                 converted
 *   activities    done activities of the lead in the same window
 *   custom.NAME   each custom field defined for leads (numbers, money,
 *                 int, bool numeric; text, enum categorical; date as days)
 * Never features, because they are filled after first contact or record
 * the outcome itself (leakage): status, score, owner_id (routing comes
 * after scoring), account_id, contact_id, deal_id, first_touch_at, mql_at,
 * sql_at, converted_at, disqualified_reason.  --exclude leaves out any of
 * the features above too (a custom field the sales team fills in later).
 *
 * The outcome "converted" is 1 for a lead whose status is converted or
 * whose converted_at is set, else 0.
 *
 * Models: every train stores a new version; it becomes the active one
 * when there is none, when the active one cannot score the current
 * features, or when it validates better than the active one on the same
 * held-out rows:
 *   - when at least 5 converted and 5 unconverted leads are newer than the
 *     active model's training (id > its through_id): the active model's
 *     predictions against the new model's out-of-fold predictions on
 *     exactly those leads (neither has seen them);
 *   - otherwise the active model's settings (kind, excluded features)
 *     cross-validated on the same folds against the new model's.
 * Scoring the active model on rows it was trained on would flatter it;
 * neither rule does.  Both figures are recorded (challenger_auc_ppm,
 * active_auc_ppm) with a note saying which rule applied.
 *
 * Access: training, retraining and evaluating read every lead: the
 * principal must read all leads and (train, retrain) write score_models,
 * i.e. admin or marketing (service/access.c).  Scoring a lead needs read
 * access to that lead.
 *
 * Ownership: results point their text into ctx->arena.
 */
#ifndef RV_SCORE_H
#define RV_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/jsonw.h"
#include "engine/model.h"
#include "service/service.h"

#define RV_SCORE_FACTORS 5
#define RV_SCORE_CALIB_BINS 10
#define RV_SCORE_MAX_EXCLUDE 64
#define RV_SCORE_WINDOW_DAYS 7

typedef struct rv_score_opts {
    const char *object;         /* "leads" (NULL: leads) */
    const char *target;         /* "converted" (NULL: converted) */
    const char *const *exclude; /* feature names to leave out */
    int nexclude;
    int kind;      /* -1 auto (both, the better AUC), RV_MODEL_LR, RV_MODEL_GBT */
    int folds;     /* 0: 5 */
    uint64_t seed; /* fold assignment and GBT hold-out */
} rv_score_opts;

/* Cross-validation of one kind on the leads. */
typedef struct rv_score_run {
    rv_model_kind kind;
    rv_cv_result cv;
    rv_calib_bin calib[RV_SCORE_CALIB_BINS];
} rv_score_run;

typedef struct rv_score_eval {
    size_t rows, positives;
    int nfeatures;
    const char **features; /* the dataset's columns */
    int nleft_out;         /* features left out: excluded, or constant */
    const char **left_out;
    const char **left_out_why; /* "excluded", "constant", "empty" */
    int folds;
    uint64_t seed;
    int nruns;
    rv_score_run runs[2];
    int best; /* index into runs */
} rv_score_eval;

/* Build the leads' table and cross-validate (no write).  Errors:
 * RV_EINVAL for an unknown object or target ("target must be 'converted'
 * for leads, got 'won'"), an unknown --exclude name (listing the
 * features), fewer leads than folds or a single class ("leads must
 * include converted and unconverted ones, got 40 converted and 0 not");
 * RV_EFORBIDDEN when the principal may not read every lead. */
rv_status rv_score_evaluate(rv_ctx *c, const rv_score_opts *o, rv_score_eval *out, rv_err *err);

typedef struct rv_score_trained {
    rv_score_eval eval;
    int64_t model_id; /* the stored score_models row */
    int64_t version;
    rv_model_kind kind;
    bool activated;
    int64_t previous_id;   /* the active model before (0: none) */
    double previous_auc;   /* its AUC on the rows compared (NAN: none, or it cannot score) */
    double challenger_auc; /* the new model's AUC on those rows (NAN: no previous) */
    int64_t through_id;    /* the newest lead trained on */
    const char *note;      /* why it was or was not activated */
} rv_score_trained;

/* Evaluate, train the better kind on every lead, store it as the next
 * version and activate it when it validates better than the active model
 * (see above).  One transaction for the writes; the reads come before.
 * Errors as rv_score_evaluate, and RV_EFORBIDDEN for a principal who may
 * not write score_models. */
rv_status rv_score_train(rv_ctx *c, const rv_score_opts *o, rv_score_trained *out, rv_err *err);

/* Train again on the outcomes so far with the active model's settings
 * (its object, target and excluded features; both kinds tried).
 * RV_ENOTFOUND when no model is active ("no active model for leads
 * converted: run 'revos score train' first"). */
rv_status rv_score_retrain(rv_ctx *c, const rv_score_opts *o, rv_score_trained *out, rv_err *err);

typedef struct rv_score_factor {
    const char *feature; /* "source" */
    const char *value;   /* "Webinar", "12", "(missing)" */
    double contrib;      /* change of the log-odds it brings */
} rv_score_factor;

typedef struct rv_score_result {
    double probability; /* calibrated, 0..1 */
    int64_t model_id;
    int64_t version;
    rv_model_kind kind;
    int nup, ndown;
    rv_score_factor up[RV_SCORE_FACTORS];   /* largest positive first */
    rv_score_factor down[RV_SCORE_FACTORS]; /* most negative first */
} rv_score_result;

/* Score stored lead lead_id with the active model.  RV_ENOTFOUND for no
 * such lead or no active model; RV_EFORBIDDEN when the principal may not
 * read the lead. */
rv_status rv_score_lead(rv_ctx *c, int64_t lead_id, rv_score_result *out, rv_err *err);

/* Score one lead record, stored or not (the capture pipeline calls this
 * inside its transaction, before routing): lead->id 0 counts no touches
 * or activities.  No access check (the caller has made it).  RV_ENOTFOUND
 * when no model is active. */
rv_status rv_score_lead_record(rv_ctx *c, const rv_record *lead, rv_score_result *out, rv_err *err);

/* ---- JSON, as the API returns and `revos score ... --json` prints ---- */

/* {"lead_id", "probability", "model_id", "version", "model", "up": [{"feature",
 * "value", "contribution"}], "down": [...]} */
void rv_score_result_json(const rv_score_result *r, int64_t lead_id, rv_jsonw *w);
/* {"id", "version", "model", "auc", "log_loss", "active", "previous_id",
 * "previous_auc", "challenger_auc", "through_id", "note", "evaluation"} */
void rv_score_trained_json(const rv_score_trained *t, rv_jsonw *w);
/* {"object", "target", "rows", "positives", "features", "left_out": [{"name",
 * "why"}], "folds", "seed", "models": [...], "best", "auc"}; a model as
 * rv_score_run_json writes it. */
void rv_score_eval_json(const rv_score_eval *ev, rv_jsonw *w);
/* {"model", "auc" (mean over folds), "auc_pooled", "fold_auc", "log_loss",
 * "train_seconds", "calibration": [{"lo", "hi", "rows", "predicted",
 * "observed"}]}, without the closing brace so callers may add fields. */
void rv_score_run_json_open(rv_model_kind kind, const rv_cv_result *cv, const rv_calib_bin *calib,
                            int ncalib, rv_jsonw *w);

#endif
