/*
 * score_routes.c - the scoring endpoints: a lead's probability with its
 * factors, and training a new lead model.  Each handler parses what HTTP
 * gives and calls the scoring service (service/score.h), the same calls
 * `revos score explain` and `revos score train` make.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "service/score.h"

rv_status rv__api_lead_score(rv_api_req *rq, rv_err *err)
{
    int64_t id;
    rv_score_result r;
    rv_status st;
    if ((st = rv__api_parse_id(rq, &id, err)) || (st = rv_score_lead(&rq->ctx, id, &r, err)))
        return st;
    rv_score_result_json(&r, id, &rq->w);
    return RV_OK;
}

static rv_status int_arg(const char *key, const char *v, long lo, long hi, long *out, rv_err *err)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return rv_err_set(err, RV_EINVAL, key, "%s must be an integer from %ld to %ld, got '%s'",
                          key, lo, hi, v);
    *out = x;
    return RV_OK;
}

/* ?exclude=a,b&model=lr|gbt|auto&folds=5&seed=42 */
rv_status rv__api_score_train(rv_api_req *rq, rv_err *err)
{
    static const int max = RV_SCORE_MAX_EXCLUDE;
    const char **ex = rv_arena_alloc(&rq->arena, (size_t)max * sizeof *ex);
    rv_score_opts o = {.kind = -1, .folds = 5, .seed = 42, .exclude = ex};
    rv_status st = RV_OK;
    for (int i = 0; i < rq->nargs && !st; i++) {
        const char *k = rq->args[i].key, *v = rq->args[i].value ? rq->args[i].value : "";
        long x = 0;
        if (!strcmp(k, "exclude")) {
            char *s = rv_arena_strdup(&rq->arena, v), *save = NULL;
            for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (o.nexclude == max)
                    return rv_err_set(err, RV_EINVAL, "exclude", "at most %d excluded features",
                                      max);
                ex[o.nexclude++] = t;
            }
        } else if (!strcmp(k, "model")) {
            if (!strcmp(v, "lr"))
                o.kind = RV_MODEL_LR;
            else if (!strcmp(v, "gbt"))
                o.kind = RV_MODEL_GBT;
            else if (strcmp(v, "auto"))
                st = rv_err_set(err, RV_EINVAL, "model", "model must be lr, gbt or auto, got '%s'",
                                v);
        } else if (!strcmp(k, "folds")) {
            if (!(st = int_arg(k, v, 2, 64, &x, err)))
                o.folds = (int)x;
        } else if (!strcmp(k, "seed")) {
            if (!(st = int_arg(k, v, 0, 2147483647L, &x, err)))
                o.seed = (uint64_t)x;
        } else {
            st = rv_err_set(err, RV_EINVAL, k,
                            "unknown parameter '%s' (exclude, model, folds, seed)", k);
        }
    }
    rv_score_trained t;
    if (st || (st = rv_score_train(&rq->ctx, &o, &t, err)))
        return st;
    rv_score_trained_json(&t, &rq->w);
    return RV_OK;
}
