/*
 * lead_routes.c - POST /api/v1/leads/capture: the thin handler over
 * rv_leads_capture() (service/leads.h).  Authenticated by the source's
 * key (X-Source-Key), not a session: the route is public to the
 * dispatcher and the service checks the key.  201 for a new lead; 200
 * when the Idempotency-Key was seen (the first answer's lead) or an open
 * lead of the same person took the capture.
 */
#include "api/api_internal.h"
#include "service/leads.h"

rv_status rv__api_capture(rv_api_req *rq, rv_err *err)
{
    rv_capture_req req = {rq->h_source ? rq->h_source : "", rq->h_idem, rq->body};
    rv_capture_result res;
    rv_status st = rv_leads_capture(&rq->ctx, &req, &res, err);
    if (st)
        return st;
    if (res.replayed || res.linked)
        rq->status = 200;
    else
        rq->location = rv_arena_printf(&rq->arena, "/api/v1/leads/%lld", (long long)res.lead_id);
    rv_capture_result_json(&res, &rq->w);
    return RV_OK;
}
