/*
 * leadscore.c - fit and engagement points with their reasons.  The
 * formulas are written out in leadscore.h.
 */
#include "engine/leadscore.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void add_reason(rv_leadscore_result *o, int points, const char *a, const char *b,
                       const char *tail)
{
    if (o->nreasons == RV_SCORE_MAX_REASONS)
        return;
    rv_score_reason *r = &o->reasons[o->nreasons++];
    snprintf(r->text, sizeof r->text, "%s %s%s", a, b, tail);
    r->points = points;
}

static const char *const op_words[] = {"=",  "!=", "contains", "in",     ">=",
                                       "<=", "present", "any", "between"};

void rv_leadscore(const rv_fit_rule *fit, int nfit, rv_lead_value_fn value_of, void *ud,
                  const rv_engage_rule *eng, int neng, const rv_engage_event *ev, int nev,
                  int64_t now, rv_leadscore_result *o)
{
    memset(o, 0, sizeof *o);
    /* fit: group the rules by field, in the order fields first appear */
    for (int i = 0; i < nfit; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = !strcmp(fit[j].field, fit[i].field);
        if (seen)
            continue;
        const char *v = value_of(ud, fit[i].field);
        int sum = 0, cap = -1, hits = 0;
        char what[100] = "";
        for (int j = i; j < nfit; j++) {
            if (strcmp(fit[j].field, fit[i].field))
                continue;
            if (fit[j].cap >= 0 && (cap < 0 || fit[j].cap < cap))
                cap = fit[j].cap;
            if (!rv_route_rule_test(fit[j].op, fit[j].value, v))
                continue;
            sum += fit[j].points;
            if (!hits++)
                snprintf(what, sizeof what, "%s %s", op_words[fit[j].op],
                         fit[j].value ? fit[j].value : "");
        }
        if (!hits)
            continue;
        if (cap >= 0 && sum > cap)
            sum = cap;
        if (cap >= 0 && sum < -cap)
            sum = -cap;
        o->fit += sum;
        add_reason(o, sum, fit[i].field, what, hits > 1 ? " (and more rules)" : "");
    }
    /* engagement: per kind */
    double total = 0;
    for (int k = 0; k < neng; k++) {
        double s = 0;
        int n = 0;
        for (int e = 0; e < nev; e++) {
            if (!ev[e].kind || strcmp(ev[e].kind, eng[k].kind))
                continue;
            double age = ev[e].at < now ? (double)(now - ev[e].at) / 86400000.0 : 0;
            s += eng[k].points * pow(0.5, age / (eng[k].half_life_days > 0 ? eng[k].half_life_days : 30));
            n++;
        }
        if (!n)
            continue;
        if (eng[k].cap >= 0 && s > eng[k].cap)
            s = eng[k].cap;
        total += s;
        char cnt[24];
        snprintf(cnt, sizeof cnt, "%d", n);
        add_reason(o, (int)lround(s), cnt, "x ", eng[k].kind);
    }
    o->engagement = (int)lround(total);
    int score = o->fit + o->engagement;
    o->score = score < 0 ? 0 : score > 100 ? 100 : score;
}
