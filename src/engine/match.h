/*
 * match.h - string, number and date comparators for record matching.
 *
 * Each comparator answers "how alike are these two values" for one kind of
 * field; the dedupe engine (dedupe.h) turns the answers into agreement
 * levels and the levels into match probabilities.  Inputs are match keys
 * (normalize.h: folded, punctuation-free) given as NUL-terminated strings;
 * the comparators work on bytes, which is what the keys are made of after
 * folding (accents stripped, so Latin text is ASCII).
 *
 * References:
 *   - Jaro (1989) and Winkler (1990), "String comparator metrics and
 *     enhanced decision rules in the Fellegi-Sunter model of record
 *     linkage": matching window floor(max(|a|,|b|)/2) - 1, transpositions
 *     halved, Winkler's prefix bonus l * 0.1 * (1 - jaro) with l <= 4.
 *   - Levenshtein (1966); Damerau (1964) in its "optimal string alignment"
 *     form (adjacent transposition costs 1, no substring edited twice).
 *   - Philips (2000), "The Double Metaphone search algorithm", C/C++ Users
 *     Journal: primary and alternate codes of up to 4 characters.
 *
 * No function allocates more than a small stack buffer for strings up to
 * RV_MATCH_MAX bytes; longer inputs are compared on their first
 * RV_MATCH_MAX bytes.  All functions are pure and thread-safe.
 */
#ifndef RV_MATCH_H
#define RV_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RV_MATCH_MAX 128

/* Jaro similarity in [0,1]; two empty strings give 1, one empty gives 0. */
double rv_match_jaro(const char *a, const char *b);

/* Jaro-Winkler: jaro + l * 0.1 * (1 - jaro), l the common prefix (<= 4).
 * MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.840, DIXON/DICKSONX 0.813. */
double rv_match_jaro_winkler(const char *a, const char *b);

/* Edit distance with insertions, deletions and substitutions. */
int rv_match_levenshtein(const char *a, const char *b);

/* As rv_match_levenshtein, an adjacent transposition also costing 1
 * (optimal string alignment): "ca" -> "ac" is 1, "ca" -> "abc" is 3. */
int rv_match_damerau(const char *a, const char *b);

/* rv_match_damerau capped: the distance when it is <= max, else max + 1.
 * With max <= 1 it runs in linear time without the dynamic programme, for
 * comparators that only ask "equal or one edit apart". */
int rv_match_damerau_within(const char *a, const char *b, int max);

/* Jaccard similarity of the sets of space-separated words:
 * |A and B| / |A or B|; "acme widget co" vs "widget acme" is 2/3.
 * Two empty strings give 1. */
double rv_match_token_set(const char *a, const char *b);

/* Share of the words of the shorter text found in the longer one (each
 * word counted once): "acme" vs "acme widget co" is 1. */
double rv_match_token_cover(const char *a, const char *b);

/* True when one name is an initial of the other ("j" and "john"), or both
 * are multi-word names whose words' initials agree ("j r smith" and
 * "john robert smith").  Exact equality is not an initials match. */
bool rv_match_initials(const char *a, const char *b);

/* True when one company key is the acronym (normalize.h rv_norm_acronym)
 * of the other: "ibm" and "international business machines". */
bool rv_match_acronym(const char *a, const char *b);

/* Double Metaphone codes of a word (letters; other bytes are skipped):
 * primary and alternate, each up to 4 characters, NUL-terminated in
 * buffers of at least 5 bytes.  "Smith" -> SM0 / XMT, "Schmidt" -> XMT /
 * SMT. */
void rv_match_metaphone(const char *word, char primary[5], char alternate[5]);

/* True when the two words share a Double Metaphone code (primary or
 * alternate on either side). */
bool rv_match_phonetic(const char *a, const char *b);

/* Numeric tolerance: 0 when equal, 1 when |a - b| <= abs_tol or
 * |a - b| <= rel_tol * max(|a|, |b|), 2 otherwise. */
int rv_match_numeric(double a, double b, double abs_tol, double rel_tol);

/* Dates as "YYYYMMDD" or "YYYY-MM-DD".  Returns 0 equal, 1 within
 * day_tol days or with day and month swapped, 2 one digit typed wrong or
 * two adjacent digits swapped, 3 otherwise, -1 when either is not a date. */
int rv_match_date(const char *a, const char *b, int day_tol);

#endif
