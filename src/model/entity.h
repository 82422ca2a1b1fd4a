/*
 * entity.h - one description per entity.
 *
 * Every record type (accounts, contacts, deals, ...) is described once, in
 * the table in entity.c: its fields with type, constraints, default,
 * relation, whether changes go to field history, and the column names it
 * takes in Salesforce and HubSpot exports.  The SQL schema, validation, the
 * JSON encoding, the API routes and OpenAPI document, the CLI's
 * list/get/create/update/delete and CSV import/export are all generic code
 * driven by this table.  Adding a field is one line; adding an entity is one
 * table entry plus whatever behaviour is really its own (stage changes and
 * exit criteria live in the service layer).
 *
 * Every entity has the implicit columns id, created_at and updated_at.
 * Reference fields end in "_id" and name the entity they point at.
 *
 * Schema versions: a field or entity carries `since`, the schema version
 * that introduced it (0 means 1).  The store derives its migrations from
 * that, so a database made by an older revos gains exactly the new tables
 * and columns.
 *
 * The table is static, read-only data: safe to share between threads.
 */
#ifndef RV_ENTITY_H
#define RV_ENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    RV_FT_TEXT,     /* UTF-8 text, max_len bytes */
    RV_FT_EMAIL,    /* text shaped like local@domain, stored lower-cased domain */
    RV_FT_INT,      /* int64 within [min, max] */
    RV_FT_MONEY,    /* int64 minor units of the record's currency */
    RV_FT_CURRENCY, /* ISO-4217 code */
    RV_FT_DATE,     /* days since 1970-01-01; text YYYY-MM-DD */
    RV_FT_TS,       /* unix ms UTC; text ISO-8601 */
    RV_FT_BOOL,     /* 0/1; text true/false/yes/no/1/0 */
    RV_FT_ENUM,     /* one of values[], stored as text */
    RV_FT_REF,      /* id of a record of entity `ref` */
    RV_FT_EXTID,    /* external id, unique per entity */
    RV_FT_JSON,     /* custom fields: a JSON object checked against field_defs */
} rv_ftype;

enum {
    RV_F_REQUIRED = 1u << 0, /* must be present and not null on create */
    RV_F_TRACKED = 1u << 1,  /* changes recorded in field_history */
    RV_F_UNIQUE = 1u << 2,   /* unique index */
    RV_F_SYSTEM = 1u << 3,   /* set by revos only; rejected on input */
    RV_F_INDEX = 1u << 4,    /* plain index (refs are always indexed) */
    RV_F_CASCADE = 1u << 5,  /* ref: deleting the parent deletes this row */
    RV_F_NAME = 1u << 6,     /* the name a reference may use instead of an id */
    RV_F_SECRET = 1u << 7,   /* never written to JSON, CSV, tables or OpenAPI; never
                                accepted by generic create/update (password and token
                                hashes: set only by service/auth.c) */
};

typedef struct rv_field {
    const char *name;
    rv_ftype type;
    unsigned flags;
    const char *ref;                 /* RV_FT_REF: entity name */
    const char *const *values;       /* RV_FT_ENUM: NULL-terminated */
    const char *def;                 /* default as text, NULL for none */
    int64_t min, max;                /* RV_FT_INT/MONEY bounds (min==max==0: none) */
    int max_len;                     /* text bytes (0: 255) */
    const char *sf;                  /* Salesforce export columns, '|'-separated */
    const char *hs;                  /* HubSpot export columns, '|'-separated */
    const char *doc;
    int since;                       /* schema version that added it */
} rv_field;

enum {
    RV_ENT_READONLY = 1u << 0, /* no create/update/delete through the API or CLI */
    RV_ENT_APPEND = 1u << 1,   /* rows are only ever appended (history, events) */
};

typedef struct rv_entity {
    const char *name;     /* table, route and CLI noun: "deals" */
    const char *one;      /* singular: "deal" */
    const rv_field *fields;
    int nfields;
    unsigned flags;
    const char *sf_object; /* Salesforce object name, e.g. "Opportunity" */
    const char *hs_object; /* HubSpot object name, e.g. "deals" */
    const char *doc;
    int since;
    int index; /* position in rv_entities[] */
} rv_entity;

#define RV_MAX_FIELDS 48

extern const rv_entity *const rv_entities[];
extern const int rv_entity_count;

/* Lookup by name ("deals") or singular ("deal"); NULL if unknown. */
const rv_entity *rv_entity_find(const char *name);
/* Index of a field, -1 if unknown. */
int rv_field_index(const rv_entity *e, const char *name);
/* The field a reference may name instead of an id (RV_F_NAME), -1 if none. */
int rv_entity_name_field(const rv_entity *e);
/* Index of the external_id field, -1 if none. */
int rv_entity_extid_field(const rv_entity *e);
/* Index of the currency field, -1 if none. */
int rv_entity_currency_field(const rv_entity *e);
/* true if the entity has any RV_F_SECRET field. */
bool rv_entity_has_secret(const rv_entity *e);
/* Latest schema version described by the table. */
int rv_schema_version(void);
/* true for types stored as a 64-bit integer (int, money, date, timestamp,
 * bool, reference); the others are stored as text. */
bool rv_ftype_is_int(rv_ftype t);
/* Type name as used in docs and OpenAPI ("text", "money", ...). */
const char *rv_ftype_name(rv_ftype t);
/* Position of v in the enum's values, -1 if not one of them. */
int rv_enum_index(const rv_field *f, const char *v, size_t len);

#endif
