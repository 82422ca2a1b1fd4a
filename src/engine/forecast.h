/*
 * forecast.h - the predictive forecast: deals as of a past day, the
 * probability that each open deal is won inside a period, a Monte Carlo
 * over all of them rolled up through the sales hierarchy, and a backtest
 * of every method against what happened.
 *
 * The engine does no I/O.  The service (service/forecast.c) fills an
 * rv_fc_data with every deal's current values, its created day, and the
 * dated changes of its tracked fields (stage_history and field_history as
 * rv_fc_event rows); the engine reconstructs any past day from them.
 *
 * As-of rule (no peeking): the state at day T is built from events dated
 * before T only.  A field's value at T is the new value of its last event
 * before T; when it has none, the old value of its first event on or after
 * T; when that event did not record an old value the value is unknown at T
 * (a deal whose stage is unknown at T cannot be placed); a field with no
 * event at all keeps its current value (fields change only through history).
 * Everything the model learns at T is read from that state, so data dated
 * on or after T cannot change a forecast made at T.
 *
 * Model (rv_fc_fit_build_with, settings in rv_fc_settings): a
 * discrete-time hazard of closing, by age of the deal (14-day buckets) and
 * by the third of the fiscal quarter the day falls in (end-of-quarter
 * pushes; with phase_quarter off, thirds of the period), estimated from the
 * deal-days at risk in the window [T - L, T), L = max(window_days, the
 * length of the period holding T - 1) (only from the first close on
 * record: days before any close was recorded are no evidence), each cell
 * shrunk toward the age-only hazard with a prior weight of k =
 * hazard_prior deal-days:
 *
 *     h(a, ph)  = (closes(a, ph) + k * closes(a) / days(a)) / (days(a, ph) + k)
 *     hw(a, ph) = the same with won closes only
 *
 * Factors on hw, each a shrunk win share over the company's win rate wr
 * from every deal closed before T, ((won_g + 20 wr) / (closed_g + 20)) / wr:
 * the owner's track record; with `features`, the deal's amount third (cut
 * at the closed deals' amount terciles) and its close-date pushes before T
 * (0, 1, 2+ changes of the close date to a later day).
 *
 * Cohorts (creation months), by `cohort`:
 *   closes    a cohort that has closed fewer deals than the hazard expected
 *             holds more deals that will never close: its open deals'
 *             probability x (observed closes + c) / (expected closes + c);
 *   maturity  the same evidence read on the open deals: x (expected still
 *             open + c) / (observed still open + c), the survival counted
 *             from the first close on record;
 * c = cohort_prior, the factor clamped to [0, 1.5].  Then for an open deal
 * of age a at T, period [T, E):
 *
 *     P(won in period) = sum_{d=T}^{E-1} S(d) * hw(a + d - T, ph(d)),
 *     S(T) = 1, S(d+1) = S(d) * (1 - h(a + d - T, ph(d)))
 *
 * Deals not yet created, by `new_deals`:
 *   hazard    deals created per day over the last L days, times their mean
 *             amount at creation, times P(won by E) of a deal created on
 *             each day d of the period, summed over d;
 *   run-rate  the won amount of deals created and won inside [T, E) moved
 *             back a quarter (a year for yearly periods), when that window
 *             starts after the first close on record (else as hazard).
 * In the Monte Carlo they are a Poisson number of won deals of the mean
 * new deal's value, its mean the expected revenue over that value; each
 * owner gets his share of the recent creations.
 * A deal's value if won is its amount at T times the ratio of won amounts
 * to the same deals' amounts the day before they closed (integer
 * arithmetic, half-even).
 *
 * Settings are chosen at T by rv_fc_tune: every candidate forecasts the
 * windows of a period's length that ended by T, each as of its own start,
 * and the one with the lowest MAPE against what was won there (as known
 * at T) is used; with no such window, rv_fc_default_settings.
 *
 * Another model plugs in through rv_fc_model: a function that returns the
 * probability for one deal; the Monte Carlo and roll-up take it as given.
 *
 * Monte Carlo: per trial every open deal is won with its probability.  A
 * deal that carries a tenth of its rep's (leaf node's) variance
 * p (1-p) v^2 is heavy and always drawn itself; the rep's other deals are
 * drawn deal by deal when there are fewer than RV_FC_EXACT_DEALS of them
 * (or one of them carries a tenth of their variance), else as one draw
 * from the normal law with their exact mean and variance (sum p v,
 * sum p (1-p) v^2: with that many independent deals none of which
 * dominates, the central limit theorem holds to well under the trial
 * noise; Marsaglia's polar method).  Parent nodes add their children's
 * totals trial by trial, so every node's percentiles come from the same
 * trials.  Percentiles are nearest-rank (P_q = the ceil(q N)-th smallest
 * of N trials), rounded half-even to minor units once, in fc_round().
 * Blocks of trials, then the nodes' percentiles, are split across
 * threads; each block has its own generator seeded from (seed, node,
 * block), so results are the same for a given seed whatever the threads.
 *
 * Money: amounts are int64 minor units; the probabilities and the trial
 * totals are double; every money figure returned is rounded once.
 */
#ifndef RV_FORECAST_H
#define RV_FORECAST_H

#include <stdbool.h>
#include <stdint.h>

#define RV_FC_NOVAL INT64_MIN         /* field empty */
#define RV_FC_UNKNOWN (INT64_MIN + 1) /* old value not recorded */
#define RV_FC_DAY_NONE INT32_MIN
#define RV_FC_PRIOR 20.0
#define RV_FC_EXACT_DEALS 64
#define RV_FC_DRIVERS 5

/* Tracked fields of a deal; values are int64: stage index, amount in
 * minor units, close day, category code, owner (user index). */
enum { RV_FC_STAGE, RV_FC_AMOUNT, RV_FC_CLOSE, RV_FC_CATEGORY, RV_FC_OWNER, RV_FC_NFIELDS };
/* Forecast categories, in entity.c's order. */
enum { RV_FC_CAT_PIPELINE, RV_FC_CAT_BEST_CASE, RV_FC_CAT_COMMIT, RV_FC_CAT_OMITTED, RV_FC_CAT_CLOSED };
/* Stage kinds, in entity.c's order. */
enum { RV_FC_OPEN, RV_FC_WON, RV_FC_LOST };
/* Status of a deal at a day. */
enum { RV_FC_S_UNPLACED, RV_FC_S_FUTURE, RV_FC_S_OPEN, RV_FC_S_WON, RV_FC_S_LOST };
/* Period kinds. */
typedef enum { RV_FC_MONTH, RV_FC_QUARTER, RV_FC_YEAR } rv_fc_period;

typedef struct rv_fc_data {
    /* stages */
    uint32_t nstages;
    uint8_t *stage_kind; /* RV_FC_OPEN/WON/LOST */
    /* hierarchy: users and teams (parents by index, -1 none) */
    uint32_t nusers, nteams;
    int32_t *user_manager, *user_team, *team_parent;
    /* deals: created day (RV_FC_DAY_NONE: unknown) and current values */
    uint32_t ndeals, cap_deals;
    int32_t *created;
    int64_t *cur[RV_FC_NFIELDS];
    /* events, any order until rv_fc_data_finish sorts them by (deal, day) */
    uint32_t nev, cap_ev;
    int32_t *ev_deal, *ev_day;
    uint8_t *ev_field;
    int64_t *ev_old, *ev_new;
    uint32_t *ev_first; /* derived: events of deal i are [ev_first[i], ev_first[i+1]) */
} rv_fc_data;

/* An empty data set; free with rv_fc_data_free. */
void rv_fc_data_init(rv_fc_data *d);
void rv_fc_data_free(rv_fc_data *d);
/* Append a deal (current values RV_FC_NOVAL) or an event; return its index. */
uint32_t rv_fc_add_deal(rv_fc_data *d);
uint32_t rv_fc_add_event(rv_fc_data *d, int32_t deal, int32_t day, int field, int64_t old_v, int64_t new_v);
/* Sort the events (stable: rows of one day keep their order); call once loaded. */
void rv_fc_data_finish(rv_fc_data *d);

/* Value of a deal's field at the start of day (see the as-of rule). */
int64_t rv_fc_value_at(const rv_fc_data *d, uint32_t deal, int field, int32_t day);

/* The deals as of the start of a day. */
typedef struct rv_fc_state {
    int32_t day;
    uint32_t n;
    uint8_t *status;  /* RV_FC_S_* */
    int32_t *stage, *owner, *close, *closed_day, *cat;
    int64_t *amount;  /* 0 when empty */
    uint32_t unplaced; /* created before the day but not placeable (no created day, stage unknown) */
    uint32_t nopen;
} rv_fc_state;

void rv_fc_state_build(const rv_fc_data *d, int32_t day, rv_fc_state *st);
void rv_fc_state_free(rv_fc_state *st);

/* Periods: the period of kind k containing day (fiscal year from month
 * fy_start, 1..12) as [*start, *end); its label "2017-Q2", "2017-05",
 * "FY2017" (the calendar year the fiscal year starts in). */
void rv_fc_period_of(int32_t day, rv_fc_period k, int fy_start, int32_t *start, int32_t *end);
void rv_fc_period_label(int32_t start, rv_fc_period k, int fy_start, char *buf, int cap);

/* Settings of the model (see the file comment). */
enum { RV_FC_COHORT_NONE, RV_FC_COHORT_CLOSES, RV_FC_COHORT_MATURITY };
enum { RV_FC_NEW_HAZARD, RV_FC_NEW_RUNRATE };
typedef struct rv_fc_settings {
    int window_days;     /* learning window, at least the period's length */
    double hazard_prior; /* deal-days of prior weight per hazard cell */
    double cohort_prior; /* deals of prior weight in the cohort factor */
    int cohort;          /* RV_FC_COHORT_* */
    int new_deals;       /* RV_FC_NEW_* */
    bool phase_quarter;  /* phases are thirds of the quarter, not of the period */
    bool features;       /* amount third and close-date pushes factors */
} rv_fc_settings;
#define RV_FC_NFEAT 6
extern const rv_fc_settings rv_fc_default_settings;
extern const char *const rv_fc_cohort_names[3];    /* none, closes, maturity */
extern const char *const rv_fc_new_deal_names[2];  /* hazard, run_rate */

/* The hazard model fitted at a state. */
typedef struct rv_fc_fit {
    rv_fc_settings set;
    int32_t first_close;
    int32_t asof, window_start;
    rv_fc_period period;
    int fy_start;
    int nage;
    double *h, *hw;            /* [age bucket][phase] */
    double *owner_factor;      /* per user */
    double feature_factor[RV_FC_NFEAT]; /* amount thirds 0..2, pushes 0, 1, 2+ */
    int64_t amount_cut[2];     /* upper bounds of the first two amount thirds */
    double win_rate;           /* won / closed before T */
    int64_t won_sum, won_base; /* ratio of won amounts to amounts the day before closing */
    int32_t cohort_first;      /* month number (y*12+m) of cohort_factor[0] */
    int ncohorts;
    double *cohort_factor;     /* [RV_FC_COHORT_* mode][cohort], every mode fitted */
    double new_per_day;        /* deals created per day in the window */
    int64_t new_amount;        /* their mean amount at creation */
    double *new_share;         /* per user: share of the recent creations */
    void *priv;                /* phases and caches */
} rv_fc_fit;

void rv_fc_fit_build(const rv_fc_data *d, const rv_fc_state *st, rv_fc_period k, int fy_start,
                     rv_fc_fit *f);
void rv_fc_fit_build_with(const rv_fc_data *d, const rv_fc_state *st, rv_fc_period k, int fy_start,
                          const rv_fc_settings *set, rv_fc_fit *f);
void rv_fc_fit_free(rv_fc_fit *f);

/* Value of a deal if won: amount * won_sum / won_base, half-even. */
int64_t rv_fc_won_value(const rv_fc_fit *f, int64_t amount);

/* A per-deal probability model: p of deal i (open in st) being won in
 * [st->day, end).  The default is the hazard model above. */
typedef struct rv_fc_model {
    double (*p_win)(void *ud, const rv_fc_data *d, const rv_fc_state *st, uint32_t deal, int32_t end);
    void *ud;
} rv_fc_model;

/* The hazard model over a fit (ud is the rv_fc_fit). */
rv_fc_model rv_fc_hazard_model(rv_fc_fit *f);

/* Won amount of the deals created and won inside [T, end) moved back a
 * quarter (a year for yearly periods), at their amounts at T; -1 when
 * that window starts before the first close on record. */
double rv_fc_new_runrate(const rv_fc_data *d, const rv_fc_state *st, const rv_fc_fit *f, int32_t end);

/* Expected won amount from deals created in [st->day, end), as double. */
double rv_fc_new_expected(const rv_fc_fit *f, int32_t end);

/* Monte Carlo input: open deals with probability, value if won and leaf
 * node; a hierarchy of nodes (parent index, -1 for the root; a parent's
 * index may be anything) and a per-node constant added to every trial. */
typedef struct rv_fc_sim_in {
    uint32_t ndeals;
    const double *p;
    const int64_t *value;
    const int32_t *node;
    uint32_t nnodes;
    const int32_t *parent;
    const double *constant; /* may be NULL */
    const double *new_count; /* per node: Poisson mean of deals not yet created and won; may be NULL */
    double new_value;        /* value of each of them */
    int trials;
    uint64_t seed;
    int threads;  /* 0: 2 */
    bool exact;   /* draw every deal in every trial (the plain method) */
} rv_fc_sim_in;

typedef struct rv_fc_node_out {
    int64_t p10, p50, p90, mean;
    uint32_t deals;
    int32_t drivers[RV_FC_DRIVERS]; /* deal indexes by variance p(1-p)v^2, -1 past the end */
} rv_fc_node_out;

/* Run the simulation; out has nnodes rows.  Returns 0, or -1 when the
 * hierarchy has a cycle (nothing is written). */
int rv_fc_simulate(const rv_fc_sim_in *in, rv_fc_node_out *out);

/* Hierarchy nodes of a data set: 0 company, 1..nteams teams, then users;
 * a user's parent is his manager, else his team, else the company; a
 * team's its parent team, else the company. */
uint32_t rv_fc_nodes(const rv_fc_data *d, int32_t *parent /* nteams + nusers + 1 */);
static inline int32_t rv_fc_user_node(const rv_fc_data *d, int32_t user)
{
    return user < 0 ? 0 : (int32_t)(1 + d->nteams + (uint32_t)user);
}

/* One forecast of one period by every method. */
enum { RV_FC_M_PREDICTIVE, RV_FC_M_WEIGHTED, RV_FC_M_CATEGORY, RV_FC_M_RUNRATE, RV_FC_NMETHODS };
extern const char *const rv_fc_method_names[RV_FC_NMETHODS];

typedef struct rv_fc_period_out {
    int32_t start, end;
    char label[16];
    int64_t forecast[RV_FC_NMETHODS];
    int64_t p10, p90;
    int64_t actual; /* won in the period, from all the data (backtests only) */
    rv_fc_settings set; /* the predictive model's settings */
    int tune_windows;    /* validation windows they were chosen on (0: the defaults) */
    double tune_mape;   /* their MAPE there, percent */
    uint32_t open, unplaced;
} rv_fc_period_out;

/* Forecast [start, end) as of start by every method; nodes (when not NULL,
 * rv_fc_nodes() rows) receive the predictive percentiles per node. */
void rv_fc_forecast(const rv_fc_data *d, int32_t start, int32_t end, rv_fc_period k, int fy_start,
                    int trials, uint64_t seed, rv_fc_period_out *out, rv_fc_node_out *nodes);

/* The same with settings: the forecast of rv_fc_forecast_with(set), its
 * expected value (sum of p x value over the open deals + new deals). */
void rv_fc_forecast_with(const rv_fc_data *d, int32_t start, int32_t end, rv_fc_period k, int fy_start,
                         const rv_fc_settings *set, int trials, uint64_t seed, rv_fc_period_out *out,
                         rv_fc_node_out *nodes);
double rv_fc_expected(const rv_fc_data *d, int32_t start, int32_t end, rv_fc_period k, int fy_start,
                      const rv_fc_settings *set);

/* Choose the settings for forecasts of k-periods made at day T, from data
 * dated before T only: every candidate forecasts (expected value) each
 * window of a period's length that starts on the 1st or the 16th of a
 * month after the first close on record and is over by T (with shifted_only, not those
 * that start a k-period: a backtest keeps the forecasts it scores out of
 * the choice; the latest 8), as of that window's start, and is scored
 * against what was won in it as known at T; the lowest mean absolute
 * percentage error wins
 * (ties: the earlier candidate, the defaults first).  Returns the number
 * of validation windows (0: *best is rv_fc_default_settings, *best_mape
 * -1). */
int rv_fc_tune(const rv_fc_data *d, int32_t T, rv_fc_period k, int fy_start, bool shifted_only,
               rv_fc_settings *best, double *best_mape);

/* Won amount with a close day in [start, end), from the current data. */
int64_t rv_fc_actual(const rv_fc_data *d, int32_t start, int32_t end);

#endif
