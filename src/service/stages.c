/*
 * stages.c - what stages do beyond the generic rules: a won stage forecasts
 * as "closed" and a lost stage as "omitted", whatever was asked, so that a
 * forecast never counts a closed deal twice or a lost one at all.
 */
#include <string.h>

#include "service/service_internal.h"

static rv_status check(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    (void)c;
    (void)old;
    (void)err;
    int kind = rv_field_index(r->ent, "kind"), fc = rv_field_index(r->ent, "forecast_category");
    const char *k = r->v[kind].state == RV_V_SET ? r->v[kind].s : "open";
    if (!strcmp(k, "won"))
        r->v[fc] = (rv_val){.s = "closed", .len = 6, .state = RV_V_SET};
    else if (!strcmp(k, "lost"))
        r->v[fc] = (rv_val){.s = "omitted", .len = 7, .state = RV_V_SET};
    else if (r->v[fc].state == RV_V_SET && !strcmp(r->v[fc].s, "closed"))
        return rv_err_set(err, RV_EINVAL, "forecast_category",
                          "forecast_category 'closed' is only for won stages (kind won)");
    return RV_OK;
}

const rv__behaviour rv__stage_behaviour = {"stages", NULL, check, NULL};
