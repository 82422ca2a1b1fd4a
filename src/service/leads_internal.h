/*
 * leads_internal.h - names shared by capture.c, routing.c and sla.c.
 */
#ifndef RV_LEADS_INTERNAL_H
#define RV_LEADS_INTERNAL_H

#include "service/leads.h"
#include "service/service_internal.h"

/* A SET text value (s must outlive the record: arena or static). */
rv_val rv__text_val(const char *s);
rv_val rv__int_val(int64_t i);
/* Field value as NUL-terminated text in the ctx arena, NULL when empty. */
const char *rv__field_text(rv_ctx *c, const rv_record *r, const char *field);
/* Integer field (ref, int, ts), 0 when empty. */
int64_t rv__field_int(const rv_record *r, const char *field);
/* A setting's value (arena text), or NULL when unset. */
const char *rv__setting(rv_ctx *c, const char *key);
/* Ids of e's rows where field = value (text) or = id, lowest first, at
 * most max; *n receives how many. */
rv_status rv__ids_where_text(rv_ctx *c, const rv_entity *e, const char *field, const char *value,
                             int64_t *ids, int max, int *n, rv_err *err);
rv_status rv__ids_where_int(rv_ctx *c, const rv_entity *e, const char *field, int64_t value,
                            int64_t *ids, int max, int *n, rv_err *err);
/* Rows of entity (where field = id when field is not NULL) by sort
 * (NULL: id), at most limit, to fn. */
rv_status rv__list_where(rv_ctx *c, const char *entity, const char *field, int64_t id,
                         const char *sort, int limit, rv_row_fn fn, void *ud, rv_err *err);
/* The first-touch task of a lead for owner, due at due; *id receives it. */
rv_status rv__first_touch_task(rv_ctx *c, const rv_record *lead, int64_t owner, int64_t due,
                               const char *subject, int64_t *id, rv_err *err);
/* SLA minutes for a priority: its policy's, else lead_sla_minutes, else
 * RV_SLA_DEFAULT_MINUTES. */
rv_status rv__sla_minutes(rv_ctx *c, const char *priority, int64_t *minutes, rv_record *policy,
                          bool *has_policy, rv_err *err);

/* Routing inside the caller's transaction: choose the owner of lead
 * (fields set, id maybe 0) and fill owner, reason, pool and rule; tie_key
 * breaks ties; exclude may not take it.  The pool members' round-robin
 * credits are written; the assignment row is written by
 * rv__route_record once the lead has its id. */
typedef struct rv__route_out {
    int64_t owner, pool, rule;
    const char *method, *reason;
} rv__route_out;
rv_status rv__route_decide(rv_ctx *c, const rv_record *lead, int64_t account_owner,
                           uint64_t tie_key, int64_t exclude, rv__route_out *o, rv_err *err);
rv_status rv__route_record(rv_ctx *c, int64_t lead_id, const rv__route_out *o, rv_err *err);

#endif
