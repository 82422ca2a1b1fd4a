/*
 * dedupe.h - finding the records that describe the same person or company.
 *
 * The engine takes records with typed fields (given name, surname, company,
 * address, postcode, phone, email, date of birth, ...) and returns the
 * pairs it believes are duplicates, with a probability, and the entities
 * (clusters) those pairs make.  Four steps:
 *
 *   1. Blocking: only pairs that share a blocking key are compared (the
 *      phonetic code of a surname with a given-name initial, a postcode with
 *      a name initial, a date of birth with a name initial, an identifier, a phone number, an
 *      email key, a street number with the street's first letters, a company
 *      key or its first word or acronym), plus a sorted-neighbourhood pass:
 *      records sorted by name, each compared with the next `window - 1`.
 *      A block larger than `max_block` is not compared all-pairs but
 *      windowed in the same name order.  The run reports the pair reduction
 *      (1 - candidates / (n (n - 1) / 2)) and, when the truth is known, the
 *      recall of blocking (true pairs among the candidates / true pairs).
 *
 *   2. Comparison: each field of a candidate pair gets an agreement level
 *      from its comparator (match.h): 0 is "the same", higher levels agree
 *      less; a field empty on either side is "missing" and says nothing.
 *      Given name and surname are also compared swapped, and the better of
 *      the two readings is kept when it is better on both names.
 *
 *   3. Scoring (Fellegi and Sunter, 1969): the probability that a pair with
 *      agreement vector g is a match is
 *          P(M | g) = p * prod_f m_f(g_f) / (p * prod_f m_f(g_f) + (1 - p) * prod_f u_f(g_f))
 *      with m_f(l) = P(level l on field f | match), u_f(l) = P(l | non-match)
 *      and p the share of matches among the candidates.  m, u and p are
 *      estimated from the candidates themselves by expectation-maximisation
 *      (Winkler 1988; Jaro 1989) on the distinct agreement vectors with
 *      their counts; u starts from a random sample of all pairs (nearly all
 *      non-matches), m from a fixed prior favouring agreement.  No labels
 *      are needed.  Pairs a user confirmed or rejected (rv_dd_feedback)
 *      enter EM with their class fixed and are scored 1 or 0.
 *
 *   4. Clustering: the pairs at or above the threshold are grouped into
 *      connected components; each component is then re-clustered by average
 *      linkage (pairs never compared count 0), merging two clusters only
 *      while the mean probability over all their cross pairs stays at or
 *      above the threshold.  A weak bridge between two groups therefore no
 *      longer chains them into one entity.
 *
 * Accuracy, when every record carries its true entity (truth >= 0):
 *   pairwise     precision = TP / matched pairs, recall = TP / true pairs
 *   clustered    the same over the pairs implied by the clusters
 *   exact        clusters equal to a true entity, as a share of the
 *                predicted clusters (precision) and of the true entities
 *                (recall), singletons included
 *   F1 = 2 P R / (P + R) throughout.
 *
 * Ownership: rv_dd_new returns a set the caller frees with rv_dd_free; it
 * copies every value it is given.  A result is filled by rv_dd_run and
 * released with rv_dd_result_release.  Threading: one set per thread; a
 * run uses up to opts->threads threads internally.
 */
#ifndef RV_DEDUPE_H
#define RV_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Field types: how a field is normalised, compared and blocked on. */
#define RV_DD_TYPES(X)                                                                             \
    X(RV_DD_GIVEN, "given_name")                                                                   \
    X(RV_DD_SURNAME, "surname")                                                                    \
    X(RV_DD_PERSON, "person_name")                                                                 \
    X(RV_DD_COMPANY, "company")                                                                    \
    X(RV_DD_ADDRESS, "address")                                                                    \
    X(RV_DD_NUMBER, "street_number")                                                               \
    X(RV_DD_CITY, "city")                                                                          \
    X(RV_DD_POSTCODE, "postcode")                                                                  \
    X(RV_DD_STATE, "state")                                                                        \
    X(RV_DD_PHONE, "phone")                                                                        \
    X(RV_DD_EMAIL, "email")                                                                        \
    X(RV_DD_DATE, "date_of_birth")                                                                 \
    X(RV_DD_CODE, "identifier")                                                                    \
    X(RV_DD_TEXT, "text")

typedef enum {
#define RV__DDX(name, str) name,
    RV_DD_TYPES(RV__DDX)
#undef RV__DDX
        RV_DD_NTYPES
} rv_dd_type;

/* The type's name ("given_name", ...). */
const char *rv_dd_type_name(rv_dd_type t);

/* Most fields per record; a pattern of agreement levels fits in 64 bits. */
#define RV_DD_MAX_FIELDS 16
/* Most agreement levels of one field (missing not counted). */
#define RV_DD_MAX_LEVELS 4

typedef struct rv_dd_field {
    const char *name; /* shown in reports; copied */
    rv_dd_type type;
} rv_dd_field;

typedef struct rv_dedupe rv_dedupe;

/* A set of records with these fields (1 to RV_DD_MAX_FIELDS).
 * Errors: RV_EINVAL naming the field count. */
rv_status rv_dd_new(rv_dedupe **out, int nfields, const rv_dd_field *fields, rv_err *err);
void rv_dd_free(rv_dedupe *d);

/* Add one record: vals[i] of lens[i] bytes for field i (NULL or empty is
 * missing); truth is its true entity (>= 0) when known, else -1.  Values
 * are normalised into match keys here; a value its normaliser refuses (an
 * email without '@') is kept as folded text, since a scan reads data as it
 * is.  Errors: RV_ETOOBIG past 16M records; RV_EINVAL for invalid UTF-8,
 * naming the field. */
rv_status rv_dd_add(rv_dedupe *d, const char *const *vals, const size_t *lens, int64_t truth,
                    rv_err *err);
size_t rv_dd_count(const rv_dedupe *d);

/* A pair a user confirmed (match true) or rejected; used by the next run.
 * Errors: RV_EINVAL when a or b is not a record index or a == b. */
rv_status rv_dd_feedback(rv_dedupe *d, size_t a, size_t b, bool match, rv_err *err);

typedef struct rv_dd_opts {
    double threshold; /* match probability for a pair, and average linkage; default 0.5 */
    int window;       /* sorted-neighbourhood window; default 6 */
    int max_block;    /* largest block compared all-pairs; default 64 */
    int max_iter;     /* EM iterations at most; default 200 */
    int threads;      /* comparison threads; default 2 */
} rv_dd_opts;

typedef struct rv_dd_pair {
    uint32_t a, b; /* record indexes, a < b */
    double p;
} rv_dd_pair;

typedef struct rv_dd_scores {
    double precision, recall, f1;
    int64_t tp, predicted, truth;
} rv_dd_scores;

typedef struct rv_dd_result {
    size_t n;                /* records */
    rv_dd_pair *pairs;       /* matched pairs, p >= threshold, by a then b */
    size_t npairs;
    uint32_t *cluster;       /* per record: its cluster, the smallest record index in it */
    size_t nclusters;        /* clusters with 2 or more records */
    int64_t candidates;      /* distinct pairs compared */
    double reduction;        /* 1 - candidates / all pairs */
    int em_iterations;
    size_t patterns;         /* distinct agreement vectors */
    double prior;            /* p: share of matches among candidates */
    int nfields;
    int nlevels[RV_DD_MAX_FIELDS];
    double m[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS], u[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS];
    /* with truth only (has_truth): */
    bool has_truth;
    int64_t true_pairs, true_pairs_blocked;
    double blocking_recall;
    rv_dd_scores pairwise, clustered, exact;
    /* seconds spent per step */
    double t_block, t_compare, t_em, t_cluster;
} rv_dd_result;

/* Block, compare, score and cluster.  opts may be NULL (defaults; a zero
 * member takes its default).  Errors: RV_EINVAL for a threshold outside
 * (0, 1) or a negative option, naming it. */
rv_status rv_dd_run(rv_dedupe *d, const rv_dd_opts *opts, rv_dd_result *res, rv_err *err);
void rv_dd_result_release(rv_dd_result *res);

/* Step 4 alone: cluster n records given scored pairs (a, b < n; pairs not
 * listed count 0), writing each record's cluster label (the smallest record
 * index in its cluster) to cluster[n].  Returns the number of clusters of
 * two or more records. */
size_t rv_dd_cluster(size_t n, const rv_dd_pair *pairs, size_t npairs, double threshold,
                     uint32_t *cluster);

/* Probability of one pair of records under the model of the last run
 * (0 before a run). */
double rv_dd_pair_probability(const rv_dedupe *d, size_t a, size_t b);

/* The evidence for one pair under the model of the last run: per field,
 * levels[f] (0 = the same, higher agrees less; RV_DD_MISSING when empty on
 * a side or not counted, as a city beside a postcode) and weights[f] =
 * ln(m_f(level) / u_f(level)), 0 when missing.  Returns the number of
 * fields, or 0 before a run or for a bad index. */
#define RV_DD_MISSING 15
int rv_dd_pair_evidence(const rv_dedupe *d, size_t a, size_t b, int *levels, double *weights);

#endif
