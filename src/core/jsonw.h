/*
 * jsonw.h - a streaming JSON writer into an rv_buf.
 *
 * Responses are written straight into a buffer instead of building a DOM:
 * a list of 50k records as a DOM costs hundreds of MB (MEASUREMENTS.md),
 * written directly it costs its own size.  The writer tracks nesting so
 * commas and colons are placed for the caller; strings are escaped per
 * RFC 8259 (control characters as \u00XX, invalid UTF-8 replaced by U+FFFD
 * so the output is always valid JSON).  Parsing input is jansson's job.
 *
 * Money and decimals are written from their exact text form
 * (rv_jsonw_raw_number), never through a double.
 */
#ifndef RV_JSONW_H
#define RV_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define RV_JSONW_DEPTH 32

typedef struct rv_jsonw {
    rv_buf *out;
    int depth;
    bool first[RV_JSONW_DEPTH]; /* no element yet at this level */
    bool after_key;
    bool pretty;
} rv_jsonw;

void rv_jsonw_init(rv_jsonw *w, rv_buf *out, bool pretty);
void rv_jsonw_obj_begin(rv_jsonw *w);
void rv_jsonw_obj_end(rv_jsonw *w);
void rv_jsonw_arr_begin(rv_jsonw *w);
void rv_jsonw_arr_end(rv_jsonw *w);
void rv_jsonw_key(rv_jsonw *w, const char *key);
/* A key already quoted, of n bytes: '"name"' (no colon); for hot loops. */
void rv_jsonw_key_quoted(rv_jsonw *w, const char *quoted, size_t n);
void rv_jsonw_str(rv_jsonw *w, const char *s);
void rv_jsonw_strn(rv_jsonw *w, const char *s, size_t n);
void rv_jsonw_int(rv_jsonw *w, int64_t v);
void rv_jsonw_double(rv_jsonw *w, double v); /* for ratios and scores, never money */
void rv_jsonw_bool(rv_jsonw *w, bool v);
void rv_jsonw_null(rv_jsonw *w);
/* A number already in JSON number syntax ("1234.56"). */
void rv_jsonw_raw_number(rv_jsonw *w, const char *num);
/* Already-valid JSON text (e.g. a stored custom-fields object). */
void rv_jsonw_raw(rv_jsonw *w, const char *json, size_t n);

/* Escape s as a JSON string (with quotes) onto b. */
void rv_json_escape(rv_buf *b, const char *s, size_t n);
/* The same written at p, which has room for 6 n + 2 bytes; returns the end. */
char *rv_json_escape_to(char *p, const char *s, size_t n);
/* v in decimal at p (room for 20 bytes); returns the end. */
char *rv_json_int_to(char *p, int64_t v);

/* One value written in place, for hot loops (a record per listed row):
 * rv_jsonw_value_begin writes what comes before a value (a comma, pretty
 * indentation), reserves max bytes and returns where the value goes, or
 * NULL when the output's limit would be passed; the caller writes at most
 * max bytes there and hands the end to rv_jsonw_value_end. */
char *rv_jsonw_value_begin(rv_jsonw *w, size_t max);
void rv_jsonw_value_end(rv_jsonw *w, char *end);

#endif
