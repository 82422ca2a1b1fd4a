/*
 * service_internal.h - names shared between the service layer's files.
 */
#ifndef RV_SERVICE_INTERNAL_H
#define RV_SERVICE_INTERNAL_H

#include "service/service.h"

/* Entity behaviour beyond the generic rules: one row per entity that has
 * any.  pre_resolve runs before references are resolved (to supply
 * defaults that scope other references), check runs on the merged record
 * before it is written (old is NULL on create), after runs once it is
 * written, inside the same transaction. */
typedef struct rv__behaviour {
    const char *entity;
    rv_status (*pre_resolve)(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err);
    rv_status (*check)(rv_ctx *c, const rv_record *old, rv_record *r, rv_err *err);
    rv_status (*after)(rv_ctx *c, const rv_record *old, const rv_record *r, rv_err *err);
} rv__behaviour;

extern const rv__behaviour rv__deal_behaviour;
extern const rv__behaviour rv__stage_behaviour;
/* capture.c: match keys of accounts, contacts and leads; sla.c: a done
 * activity on a lead stamps its first touch */
extern const rv__behaviour rv__account_behaviour;
extern const rv__behaviour rv__contact_behaviour;
extern const rv__behaviour rv__lead_behaviour;
extern const rv__behaviour rv__activity_behaviour;
extern const rv__behaviour rv__fx_rate_behaviour;
extern const rv__behaviour rv__score_model_behaviour; /* score.c */

/* Append an event to the outbox (skipped in batch mode). */
rv_status rv__emit_event(rv_ctx *c, const rv_entity *e, int64_t id, const char *kind,
                         const char *payload, rv_err *err);
/* Load a record by id into the ctx arena. */
rv_status rv__load(rv_ctx *c, const char *entity, int64_t id, rv_record *out, rv_err *err);

/* Upsert r knowing the id of the row with its external id (0: none, create
 * it): rv_svc_upsert_outcome() without the lookup (imports that know every
 * external id already). */
rv_status rv__upsert_known(rv_ctx *c, rv_record *r, int64_t id, rv_upsert_outcome *out,
                           rv_err *err);

/* Records an import wrote or read lately (ctx->recent): rv__load answers
 * from it, custom field definitions are listed once.  _free(NULL) is a
 * no-op. */
typedef struct rv__recent rv__recent;
rv__recent *rv__recent_new(void);
void rv__recent_free(rv__recent *rc);

/* --- access.c --- */
/* Whose records c->who may read in e: *all, or the owner ids[0..n)
 * (arena memory); RV_EFORBIDDEN (audited) when e is not readable at all.
 * Reports aggregate by owner with this. */
rv_status rv__access_owners(rv_ctx *c, const rv_entity *e, const int64_t **ids, int *n, bool *all,
                            rv_err *err);
/* Restrict a list query to what c->who may read (adds one filter). */
rv_status rv__access_list(rv_ctx *c, rv_query *q, rv_err *err);
/* May c->who create r (create) or store the merged record r (update)?
 * Fills an unset owner with the user on create. */
rv_status rv__access_write(rv_ctx *c, rv_record *r, bool create, rv_err *err);
/* Fill err with RV_EFORBIDDEN and remember the refusal for the audit log. */
rv_status rv__refuse(rv_ctx *c, const rv_entity *e, int64_t id, rv_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* --- audit.c --- */
/* Append the audit row of a write (old NULL on create, r NULL on delete)
 * inside the caller's transaction; skipped in batch mode (imports). */
rv_status rv__audit_write(rv_ctx *c, const char *action, const rv_entity *e, int64_t id,
                          const rv_record *old, const rv_record *r, rv_err *err);
/* One audit row for a whole import (its per-row writes are not audited one
 * by one): changes holds the per-entity counts as JSON. */
rv_status rv__audit_import(rv_ctx *c, const char *changes, rv_err *err);
/* Write the pending refusal, if any, in its own transaction (no-op inside
 * someone else's transaction: the outermost caller flushes). */
void rv__audit_flush(rv_ctx *c);

#endif
