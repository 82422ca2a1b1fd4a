/*
 * leadscore.h - the explainable part of a lead's score: ICP fit and
 * engagement, each rule's points kept as a reason.
 *
 * Pure computation: the service layer (service/capture.c) hands in the
 * rules (fit_rules, engagement_rules) and the lead's values and
 * touches; nothing here reads the database.
 *
 * Fit: every rule whose test holds on the lead field adds its points
 * (tests as in routing: eq, ne, contains, in, gte, lte, present, any,
 * between).  The points of the rules of one field are added, then held to
 * within [-cap, cap] when any of that field's rules has a cap (the
 * smallest cap given):
 *
 *     fit = sum over fields f of clamp(sum of points of f's rules that hold, cap_f)
 *
 * Engagement: each touch or activity of a kind that has a rule counts its
 * points halved every half_life_days of age, and a kind's total is held to
 * its cap:
 *
 *     engagement = round( sum over kinds k of min(cap_k,
 *                         sum over k's events e of points_k * 0.5^(age_e / half_life_k)) )
 *
 * with age in days (fractional) from the event to now; events in the
 * future count as age 0.
 *
 * The lead's score (leads.score, 0-100) is fit + engagement held to
 * [0, 100].  A predictive probability from a trained model is a separate
 * input: rv_leadscore_result.predicted stays absent (has_predicted false)
 * until a model engine supplies it (see capture.c's score step).
 */
#ifndef RV_LEADSCORE_H
#define RV_LEADSCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/route.h"

typedef struct rv_fit_rule {
    const char *field;
    rv_route_op op;
    const char *value;
    int points;
    int cap; /* -1: none */
} rv_fit_rule;

typedef struct rv_engage_rule {
    const char *kind;
    int points;
    int half_life_days;
    int cap; /* -1: none */
} rv_engage_rule;

typedef struct rv_engage_event {
    const char *kind;
    int64_t at; /* unix ms */
} rv_engage_event;

#define RV_SCORE_MAX_REASONS 32

typedef struct rv_score_reason {
    char text[120]; /* "industry eq 'Software'", "2 x form (half-life 30 d)" */
    int points;     /* after caps */
} rv_score_reason;

typedef struct rv_leadscore_result {
    int fit, engagement, score;
    bool has_predicted; /* a model's probability: absent until a model engine is wired */
    double predicted;
    rv_score_reason reasons[RV_SCORE_MAX_REASONS];
    int nreasons;
} rv_leadscore_result;

/* value_of(ud, field) returns the lead's value of a field as text or NULL. */
typedef const char *(*rv_lead_value_fn)(void *ud, const char *field);

/* Score a lead.  Reasons list the fit fields that scored, then the
 * engagement kinds, each with the points it added after caps. */
void rv_leadscore(const rv_fit_rule *fit, int nfit, rv_lead_value_fn value_of, void *ud,
                  const rv_engage_rule *eng, int neng, const rv_engage_event *ev, int nev,
                  int64_t now, rv_leadscore_result *out);

#endif
