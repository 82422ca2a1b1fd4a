/*
 * record.h - one record of any entity, in memory.
 *
 * A record is an entity pointer plus one rv_val per field, in the order of
 * the entity table.  Each value is UNSET (not given: on update it means
 * "leave as is"), NULL (given empty), SET (parsed), or RAW (text still to
 * be resolved by the service layer: a reference given by external id or
 * name, or money waiting for the record's currency).  Integers, money
 * (minor units), dates (days), timestamps (ms), booleans and resolved
 * references live in .i; text, enum values, emails and custom JSON in .s.
 *
 * Ownership: a record never owns memory.  Text values point into an
 * rv_arena that the caller passes to the parse functions and keeps alive as
 * long as the record is used.  Records are plain values: copy them freely.
 *
 * Validation happens here, field by field, with messages that name the
 * field and the bad value; cross-record rules (references exist, exit
 * criteria, custom field definitions) belong to the service layer.
 */
#ifndef RV_RECORD_H
#define RV_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "model/entity.h"

enum { RV_V_UNSET = 0, RV_V_NULL, RV_V_SET, RV_V_RAW };

typedef struct rv_val {
    int64_t i;
    const char *s;
    uint32_t len;
    uint8_t state;
} rv_val;

typedef struct rv_record {
    const rv_entity *ent;
    int64_t id; /* 0 until stored */
    int64_t created_at, updated_at;
    rv_val v[RV_MAX_FIELDS];
} rv_record;

void rv_record_init(rv_record *r, const rv_entity *e);

/* Parse text for field fi.  Empty text (after trimming spaces) sets NULL.
 * References and money become RAW; everything else is checked now. */
rv_status rv_record_set_text(rv_record *r, int fi, const char *s, size_t len, rv_arena *a,
                             rv_err *err);
/* Set by field name; RV_EUNKNOWN when the entity has no such field. */
rv_status rv_record_set_named(rv_record *r, const char *field, const char *s, rv_arena *a,
                              rv_err *err);
/* Parse a JSON object: unknown keys are refused with RV_EUNKNOWN, system
 * fields (id, created_at, updated_at) are ignored when allow_system, refused
 * otherwise; numbers for money keep exactness (see record.c). */
rv_status rv_record_from_json(rv_record *r, json_t *obj, bool allow_system, rv_arena *a,
                              rv_err *err);
/* Resolve RAW money with the record's currency (or fallback_currency when the
 * record does not carry one).  Call after all fields are set. */
rv_status rv_record_finish(rv_record *r, const char *fallback_currency, rv_err *err);
/* Required fields present (create). */
rv_status rv_record_check_required(const rv_record *r, rv_err *err);
/* Fill UNSET fields that have a default. */
void rv_record_apply_defaults(rv_record *r, rv_arena *a);

/* Decimal exponent of the record's money fields. */
int rv_record_exponent(const rv_record *r);
/* Field value as text (export, history, tables).  Returns NULL for NULL or
 * UNSET; otherwise a pointer to buf or to the record's own text. */
const char *rv_record_text(const rv_record *r, int fi, char *buf, size_t cap);
/* Write the record as a JSON object: id, fields in table order, created_at,
 * updated_at.  Money as exact decimals, dates and timestamps as text. */
void rv_record_to_json(const rv_record *r, rv_jsonw *w);
/* true if the two values are equal (for change detection). */
bool rv_val_equal(const rv_field *f, const rv_val *a, const rv_val *b);
/* Valid UTF-8 without NUL bytes. */
bool rv_utf8_valid(const char *s, size_t len);

#endif
