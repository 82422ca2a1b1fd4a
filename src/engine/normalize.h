/*
 * normalize.h - canonical forms of the text people type into a CRM: names,
 * company names, emails, web domains, phone numbers, postcodes.
 *
 * One set of normalisers serves lead capture (what is stored, and the keys a
 * new lead is matched on), lead-to-account matching and duplicate detection,
 * so that "ACME Corp." captured by a web form and "Acme Corporation" imported
 * from a spreadsheet meet on the same key everywhere.
 *
 * Two kinds of output:
 *   - stored forms (rv_norm_email, rv_norm_phone, rv_norm_display): what the
 *     record keeps; they change only what carries no meaning (spacing, case
 *     of an email, phone punctuation) and refuse what is invalid;
 *   - match keys (rv_norm_key, rv_norm_person_key, rv_norm_company_key,
 *     rv_norm_email_key, rv_norm_domain, rv_norm_postcode): lossy on
 *     purpose (case-folded, accents stripped, legal suffixes and honorifics
 *     dropped) and never shown to a user as the record's value.
 *
 * Unicode: text is validated as UTF-8; non-ASCII text goes through utf8proc
 * (NFKC compatibility decomposition, case folding, marks stripped, lookalike
 * punctuation lumped to ASCII), ASCII text takes a byte loop that gives the
 * same result without allocating.  Registrable domains come from the Public
 * Suffix List through libpsl ("shop.acme.co.uk" -> "acme.co.uk"), and
 * internationalised domains are turned into their ASCII (punycode) form with
 * libidn2, so a key is the same whichever way the domain was typed.
 *
 * Every function appends to `out` (reset it first to reuse it: after the
 * first calls nothing is allocated on the ASCII path) and returns RV_OK, or
 * fills err naming `field` and the bad value and leaves out's length as it
 * was.  Functions that cannot fail on valid UTF-8 still refuse invalid UTF-8.
 * Thread-safe: no function keeps state besides the read-only suffix list.
 */
#ifndef RV_NORMALIZE_H
#define RV_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Flags of rv_norm_key. Without flags it trims, collapses white space to one
 * space and drops control characters, keeping case and punctuation. */
enum {
    RV_NORM_FOLD = 1 << 0,  /* case-fold, compatibility forms, accents stripped */
    RV_NORM_PUNCT = 1 << 1, /* punctuation becomes a word break; apostrophes
                               and dots inside initials ("L.L.C.") vanish */
};

/* Text key: see the flags above.  "  Zoë  O’Brien-Smith " with
 * FOLD|PUNCT -> "zoe obrien smith". */
rv_status rv_norm_key(rv_buf *out, const char *in, size_t len, unsigned flags, const char *field,
                      rv_err *err);

/* Stored form of a name as typed: trimmed, spaces collapsed, control
 * characters dropped; text typed all in upper or all in lower case is
 * title-cased ("JOHN mcDONALD" keeps its mixed case; "john smith" ->
 * "John Smith"). */
rv_status rv_norm_display(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err);

/* Person-name key: FOLD|PUNCT, "Last, First" turned to "first last",
 * honorifics (mr, mrs, dr, prof, ...) and generational or degree suffixes
 * (jr, sr, iii, phd, md, ...) dropped.  "Dr. Smith, John Jr." -> "john smith". */
rv_status rv_norm_person_key(rv_buf *out, const char *in, size_t len, const char *field,
                             rv_err *err);

/* Company-name key: FOLD|PUNCT, "&" and "+" read as "and", a leading "the"
 * and trailing legal forms (inc, llc, ltd, gmbh, s.a., pty ltd, ...)
 * dropped; never empties a name ("The Company Inc." keeps "company").
 * "ACME Corp." and "Acme Corporation" -> "acme". */
rv_status rv_norm_company_key(rv_buf *out, const char *in, size_t len, const char *field,
                              rv_err *err);

/* The acronym of a company key: initials of its words, skipping "and", "of",
 * "the", "for"; empty when the key has fewer than two such words.
 * "international business machines" -> "ibm".  key must be a company key. */
void rv_norm_acronym(rv_buf *out, const char *key);

/* Street-address key: FOLD|PUNCT, then street types and directions in
 * their short postal forms (street -> st, avenue -> ave, road -> rd,
 * boulevard -> blvd, drive -> dr, place -> pl, north -> n, ...), so that
 * "221 E. 51st Street" and "221 East 51st St" meet on "221 e 51st st". */
rv_status rv_norm_address_key(rv_buf *out, const char *in, size_t len, const char *field,
                              rv_err *err);

/* Stored email: trimmed, "Name <addr>" and "mailto:" unwrapped, lower-cased,
 * internationalised domain in ASCII form; refused unless it has one '@', a
 * local part of 1-64 characters without spaces, and a domain of dot-separated
 * labels (letters, digits, hyphens) ending in a top-level label of letters. */
rv_status rv_norm_email(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err);

/* Email match key from a stored email (as rv_norm_email produces):
 * sub-address removed ("jo+news@x.com" -> "jo@x.com"), and for Gmail dots
 * in the local part removed and googlemail.com read as gmail.com. */
rv_status rv_norm_email_key(rv_buf *out, const char *email, size_t len, const char *field,
                            rv_err *err);

/* Registrable domain from a website, URL, bare host or email address:
 * "https://www.Shop.Acme.co.uk:8443/x?y" -> "acme.co.uk",
 * "jo@mail.acme.com" -> "acme.com".  Refused when no host can be read or the
 * host is itself a public suffix ("co.uk"). */
rv_status rv_norm_domain(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err);

/* True for domains of free and consumer mail providers (gmail.com,
 * outlook.com, yahoo.co.uk, ...), which say nothing about a company.
 * domain is a registrable domain as rv_norm_domain produces. */
bool rv_norm_domain_is_freemail(const char *domain);

/* Phone number as '+', country code and national number, digits only
 * ("+14155550123").  Reads "+", "00" and (for country code 1) "011"
 * international prefixes, drops a trunk "0" and "(0)", and drops extensions
 * ("x123", "ext. 9", "#4").  A number without an international prefix is
 * read in default_cc (digits, e.g. "1", "44"; NULL or "" refuses it).
 * Refused when letters remain or the result is not 8-15 digits long. */
rv_status rv_norm_phone(rv_buf *out, const char *in, size_t len, const char *default_cc,
                        const char *field, rv_err *err);

/* Postcode key: letters upper-cased, spaces and hyphens removed
 * ("sw1a 1aa" -> "SW1A1AA"); refused when other punctuation remains. */
rv_status rv_norm_postcode(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err);

#endif
