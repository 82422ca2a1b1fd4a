/*
 * fx.c - what exchange rates (fx_rates) do beyond the generic rules: the
 * rate is an exact decimal (model/money.h, rv_rate_parse), and a currency
 * has at most one rate per day, so that "the rate in effect on a day" is
 * one row (the latest effective_on on or before that day; report.c).
 */
#include <stdio.h>
#include <string.h>

#include "model/money.h"
#include "service/service_internal.h"

static rv_status check(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err)
{
    (void)old;
    const rv_entity *e = r->ent;
    const rv_val *rate = &r->v[rv_field_index(e, "rate")];
    const rv_val *cur = &r->v[rv_field_index(e, "currency")];
    int on = rv_field_index(e, "effective_on");
    int64_t scaled, other = 0;
    rv_status st = rv_rate_parse(rate->s, rate->len, &scaled, "rate", err);
    if (st)
        return st;
    st = rv_store_find(c->store, e, rv_field_index(e, "currency"), cur->s, cur->len, on,
                       r->v[on].i, &other, err);
    if (st == RV_ENOTFOUND || (st == RV_OK && other == r->id))
        return RV_OK;
    if (st && st != RV_ECONFLICT)
        return st;
    char day[16];
    return rv_err_set(err, RV_ECONFLICT, "effective_on",
                      "%.*s already has a rate effective on %s (fx_rate %lld)", (int)cur->len,
                      cur->s, rv_date_format((int32_t)r->v[on].i, day, sizeof day),
                      (long long)other);
}

const rv__behaviour rv__fx_rate_behaviour = {"fx_rates", NULL, check, NULL};
