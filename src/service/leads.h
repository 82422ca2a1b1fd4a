/*
 * leads.h - lead capture, lead-to-account matching, routing and follow-up
 * SLAs: the use cases behind POST /api/v1/leads/capture, `revos leads
 * capture`, `revos route explain` and `revos sla check` (docs/leads.md).
 *
 * Capture is one transaction per lead:
 *
 *   normalise  names (display form), email (stored form and match key),
 *              phone (E.164 with the default country code, setting
 *              default_country_code, "1" when unset), company-name key
 *              without legal suffixes and spaces, acronym, registrable
 *              domain from the website or, when not free-mail, the email,
 *              postcode key (engine/normalize.h);
 *   match      an open lead with the same email key (else the same phone)
 *              is the same person: the capture is linked to it (a touch,
 *              a new score) and no second lead is made; a closed one
 *              (converted, disqualified) is linked as duplicate_of_id.  A
 *              contact with the same email key (else phone) is linked as
 *              matched_contact_id and gives its account.  Otherwise the
 *              account is the one with the same domain, company-name key
 *              (word splits meet: keys have no spaces), acronym either
 *              way, or phone, in that order; several candidates on one key
 *              are told apart by postcode, then country, then an owner,
 *              then the lowest id.  match_reason says which and why;
 *   score      ICP fit and engagement (engine/leadscore.h) with reasons;
 *   route      routing rules, pool, member (engine/route.h); the
 *              assignment is recorded with its reason;
 *   follow up  sla_due_at from the SLA policy of the lead's priority (or
 *              the setting lead_sla_minutes, 60 when unset: the analytics
 *              engine's leads_past_sla uses the same setting), and a
 *              first-touch task for the owner due then;
 *   events     "captured" on the lead and "assigned" on the assignment.
 *
 * Any failure rolls everything back: the database is as it was.
 *
 * Record access: capture authenticates by the source's key, not by a
 * user; it writes with the system's rights.  Route explain and SLA checks
 * run with the caller's ctx.
 *
 * Threading: the per-source rate limit is process-wide (a mutex-guarded
 * table of one-minute windows); everything else is per ctx.
 */
#ifndef RV_LEADS_H
#define RV_LEADS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "service/service.h"

#define RV_SLA_DEFAULT_MINUTES 60 /* as the analytics snapshot's default */

typedef struct rv_capture_req {
    const char *source_key;  /* X-Source-Key; NULL: a trusted caller (CLI, import) */
    const char *idem_key;    /* Idempotency-Key, or NULL */
    json_t *body;            /* the lead's fields: strings or numbers */
} rv_capture_req;

typedef struct rv_capture_result {
    int64_t lead_id;
    bool replayed;       /* the idempotency key was seen: the first capture's lead */
    bool linked;         /* an open lead of the same person took the capture */
    int64_t source_id, duplicate_of_id, contact_id, account_id, owner_id, task_id;
    int fit, engagement, score;
    int64_t sla_due_at;
    const char *match_reason, *score_reasons, *route_reason; /* ctx arena */
} rv_capture_result;

/* Capture one lead (see above).  Errors: RV_EUNAUTH (missing, unknown or
 * inactive source key), RV_ERATE (the source's rate_per_minute is used
 * up), RV_EINVAL / RV_EUNKNOWN naming the field and value. */
rv_status rv_leads_capture(rv_ctx *c, const rv_capture_req *req, rv_capture_result *out,
                           rv_err *err);

/* The result as JSON {"lead_id", "replayed", "linked", ...}. */
void rv_capture_result_json(const rv_capture_result *r, rv_jsonw *w);

/* Create a lead source; key receives its secret (shown once). */
rv_status rv_lead_source_create(rv_ctx *c, const char *name, const char *rate_per_minute,
                                char key[80], int64_t *id, rv_err *err);

/* Forget the rate-limit windows (tests). */
void rv_capture_rate_reset(void);

/* Route lead id again (SLA reassignment, `revos route lead`): exclude
 * (a user id, 0 for none) may not take it.  Writes owner, route_reason,
 * an assignment and, for a new owner, a new first-touch task. */
rv_status rv_route_lead(rv_ctx *c, int64_t lead_id, int64_t exclude, rv_err *err);

/* Every routing decision of a lead, oldest first, with its reasons, the
 * lead's match and score reasons, as text lines into out. */
rv_status rv_route_explain(rv_ctx *c, int64_t lead_id, rv_buf *out, rv_err *err);

/* The SLA pass: every open lead without a first touch whose sla_due_at
 * (created_on + lead_sla_minutes when unset) is before now and that was
 * not escalated yet is marked (sla_breached_at), an "sla_breached" event
 * appended, and escalated by its priority's policy: notify (a task for
 * escalate_to_id or the owner's manager) or reassign (routed again
 * without the owner).  One transaction per lead. */
typedef struct rv_sla_report {
    int checked, breached, notified, reassigned;
} rv_sla_report;
rv_status rv_sla_check(rv_ctx *c, rv_sla_report *rep, rv_err *err);

/* Match keys of an account, contact or lead record (domain_key,
 * name_key, acronym_key, phone_key, postcode_key, email_key as the entity
 * has them), from its fields; unreadable values leave a key NULL. */
void rv__match_keys(rv_ctx *c, rv_record *r);

#endif
