/*
 * report_routes.c - the report endpoints: the metric catalogue, a metric
 * sliced by dimensions, the records behind a number, and early warnings.
 * Each handler parses the query string into an rv_report_req and calls
 * the report service (service/report.h); nothing here computes.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "service/report.h"

rv_status rv__api_reports_list(rv_api_req *rq, rv_err *err)
{
    (void)err;
    rv_report_catalogue_json(&rq->w);
    return RV_OK;
}

/* ?by=D[,D]&period=P&from=D&to=D&compare=true&limit=N&DIM=value... */
static rv_status parse_req(rv_api_req *rq, rv_report_req *req, int *limit, rv_err *err)
{
    memset(req, 0, sizeof *req);
    req->metric = rv__api_param(rq, "metric");
    for (int i = 0; i < rq->nargs; i++) {
        const rv__kv *kv = &rq->args[i];
        const char *v = kv->value ? kv->value : "";
        const char **slot = !strcmp(kv->key, "by") ? &req->by
                            : !strcmp(kv->key, "period") ? &req->period
                            : !strcmp(kv->key, "from") ? &req->from
                            : !strcmp(kv->key, "to") ? &req->to
                                                     : NULL;
        if (slot) {
            if (*slot)
                return rv_err_set(err, RV_EINVAL, kv->key, "%s is given more than once", kv->key);
            *slot = v;
        } else if (!strcmp(kv->key, "compare")) {
            req->compare = !strcmp(v, "true") || !strcmp(v, "1") || !*v;
        } else if (!strcmp(kv->key, "limit") && limit) {
            rv_status st = rv_report_limit_parse(v, limit, err);
            if (st)
                return st;
        } else {
            if (req->nfilters == RV_REPORT_MAX_FILTERS)
                return rv_err_set(err, RV_EINVAL, "filter", "at most %d filters", RV_REPORT_MAX_FILTERS);
            req->filters[req->nfilters++] = rv_arena_printf(&rq->arena, "%s=%s", kv->key, v);
        }
    }
    return RV_OK;
}

rv_status rv__api_report(rv_api_req *rq, rv_err *err)
{
    rv_report_req req;
    rv_status st = parse_req(rq, &req, NULL, err);
    if (st)
        return st;
    rv_report r;
    if ((st = rv_report_run(&rq->ctx, &req, &r, err)))
        return st;
    rv_report_json(&r, &rq->w);
    rv_report_end(&r);
    return RV_OK;
}

static int write_record(void *ud, const rv_record *r)
{
    rv_api_req *rq = ud;
    rv_record_to_json(r, &rq->w);
    return 0;
}

rv_status rv__api_report_records(rv_api_req *rq, rv_err *err)
{
    rv_report_req req;
    int limit = 1000;
    rv_status st = parse_req(rq, &req, &limit, err);
    if (st)
        return st;
    const rv_entity *e = NULL;
    int64_t total = 0;
    /* a failure midway is answered with a clean error: the server drops
     * what was written */
    rv_jsonw_obj_begin(&rq->w);
    rv_jsonw_key(&rq->w, "data");
    rv_jsonw_arr_begin(&rq->w);
    if ((st = rv_report_records(&rq->ctx, &req, limit, write_record, rq, &e, &total, err)))
        return st;
    rv_jsonw_arr_end(&rq->w);
    rv_jsonw_key(&rq->w, "entity");
    rv_jsonw_str(&rq->w, e->name);
    rv_jsonw_key(&rq->w, "total");
    rv_jsonw_int(&rq->w, total);
    rv_jsonw_obj_end(&rq->w);
    return RV_OK;
}

rv_status rv__api_warnings(rv_api_req *rq, rv_err *err)
{
    return rv_report_warnings_json(&rq->ctx, &rq->w, err);
}
