/*
 * openapi.c - the OpenAPI 3.0 document, generated from the route table
 * (routes.c) and the entity table (model/entity.c).
 *
 * Nothing here is written by hand per route or per field: paths and
 * operations come from the rows the dispatcher uses, component schemas
 * from the entity table.  A route added to the table, or a field added to
 * an entity, appears in the document with no change to this file, and a
 * test walks the route table to check that every row is in the document.
 *
 * Field types map as follows (x-revos-type keeps the revos name):
 *
 *     text, external_id  string (maxLength)
 *     email              string, format email
 *     int                integer int64 (minimum, maximum)
 *     money              number or decimal string (anyOf): "decimal amount in the
 *                        record's currency" (responses write a number with
 *                        the currency's decimals; requests may send a
 *                        string to stay exact)
 *     currency           string, 3 letters
 *     date               string, format date
 *     timestamp          string, format date-time (requests may also send
 *                        unix milliseconds)
 *     bool               boolean
 *     enum               string with its values
 *     reference          integer id, or a string (anyOf): the referenced record's
 *                        external_id or name (responses give the id)
 *     json               object
 *
 * Every entity has two schemas: <Name> (a record: required fields, id and
 * timestamps read-only) and <Name>Update (any subset of the writable
 * fields, for PATCH).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static void ref_to(rv_jsonw *w, const rv_entity *e, const char *suffix)
{
    char name[80], ref[120];
    rv__api_camel(name, sizeof name, "", e->one, suffix);
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "$ref");
    rv_jsonw_str(w, ref);
    rv_jsonw_obj_end(w);
}

static void kv_str(rv_jsonw *w, const char *k, const char *v)
{
    rv_jsonw_key(w, k);
    rv_jsonw_str(w, v);
}

static void kv_int(rv_jsonw *w, const char *k, int64_t v)
{
    rv_jsonw_key(w, k);
    rv_jsonw_int(w, v);
}

static void kv_bool(rv_jsonw *w, const char *k, bool v)
{
    rv_jsonw_key(w, k);
    rv_jsonw_bool(w, v);
}

/* {"application/json":{"schema":...}} opened up to the schema value. */
static void json_content_begin(rv_jsonw *w)
{
    rv_jsonw_key(w, "content");
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "application/json");
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "schema");
}

static void json_content_end(rv_jsonw *w)
{
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
}

/* An application/json content whose schema is an object described in words
 * (the shapes documented in docs/ rather than field by field). */
static void described_object(rv_jsonw *w, const char *description)
{
    json_content_begin(w);
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "object");
    kv_str(w, "description", description);
    rv_jsonw_obj_end(w);
    json_content_end(w);
}

/* --- schemas ------------------------------------------------------------- */

/* OpenAPI 3.0 honours "nullable" only beside a "type", so a field that is
 * one of two types (money, references) is an anyOf whose first branch
 * carries it. */
static void field_schema(rv_jsonw *w, const rv_field *f)
{
    char doc[600];
    const char *d = f->doc ? f->doc : f->name;
    bool nullable = !(f->flags & RV_F_REQUIRED), in_branch = false;
    rv_jsonw_obj_begin(w);
    switch (f->type) {
    case RV_FT_TEXT:
    case RV_FT_EXTID:
        kv_str(w, "type", "string");
        kv_int(w, "maxLength", f->max_len ? f->max_len : 255);
        snprintf(doc, sizeof doc, "%s", d);
        break;
    case RV_FT_EMAIL:
        kv_str(w, "type", "string");
        kv_str(w, "format", "email");
        kv_int(w, "maxLength", 254);
        snprintf(doc, sizeof doc, "%s", d);
        break;
    case RV_FT_INT:
        kv_str(w, "type", "integer");
        kv_str(w, "format", "int64");
        if (f->min || f->max) {
            kv_int(w, "minimum", f->min);
            kv_int(w, "maximum", f->max);
        }
        snprintf(doc, sizeof doc, "%s", d);
        break;
    case RV_FT_MONEY:
        rv_jsonw_key(w, "anyOf");
        rv_jsonw_arr_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "number");
        if (f->min || f->max)
            kv_int(w, "minimum", f->min);
        if (nullable)
            kv_bool(w, "nullable", true);
        in_branch = true;
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        kv_str(w, "pattern", "^-?[0-9]+(\\.[0-9]+)?$");
        rv_jsonw_obj_end(w);
        rv_jsonw_arr_end(w);
        snprintf(doc, sizeof doc,
                 "%s: decimal amount in the record's currency (responses give a number with the "
                 "currency's decimals; requests may send a string such as \"1234.50\" to stay "
                 "exact)",
                 d);
        break;
    case RV_FT_CURRENCY:
        kv_str(w, "type", "string");
        kv_str(w, "pattern", "^[A-Za-z]{3}$");
        snprintf(doc, sizeof doc, "%s", d);
        break;
    case RV_FT_DATE:
        kv_str(w, "type", "string");
        kv_str(w, "format", "date");
        snprintf(doc, sizeof doc, "%s (YYYY-MM-DD)", d);
        break;
    case RV_FT_TS:
        kv_str(w, "type", "string");
        kv_str(w, "format", "date-time");
        snprintf(doc, sizeof doc, "%s (ISO-8601 UTC; requests may also send unix milliseconds)", d);
        break;
    case RV_FT_BOOL:
        kv_str(w, "type", "boolean");
        snprintf(doc, sizeof doc, "%s", d);
        break;
    case RV_FT_ENUM:
        kv_str(w, "type", "string");
        rv_jsonw_key(w, "enum");
        rv_jsonw_arr_begin(w);
        for (int i = 0; f->values && f->values[i]; i++)
            rv_jsonw_str(w, f->values[i]);
        rv_jsonw_arr_end(w);
        snprintf(doc, sizeof doc, "%s", d);
        break;
    case RV_FT_REF: {
        const rv_entity *t = rv_entity_find(f->ref);
        rv_jsonw_key(w, "anyOf");
        rv_jsonw_arr_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "integer");
        kv_str(w, "format", "int64");
        kv_int(w, "minimum", 1);
        if (nullable)
            kv_bool(w, "nullable", true);
        in_branch = true;
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        rv_jsonw_obj_end(w);
        rv_jsonw_arr_end(w);
        kv_str(w, "x-revos-ref", f->ref);
        snprintf(doc, sizeof doc,
                 "%s: id of a %s; requests may instead give its external_id or name "
                 "(responses give the id)",
                 d, t ? t->one : f->ref);
        break;
    }
    case RV_FT_JSON:
        kv_str(w, "type", "object");
        snprintf(doc, sizeof doc, "%s", d);
        break;
    default:
        snprintf(doc, sizeof doc, "%s", d);
    }
    if (nullable && !in_branch)
        kv_bool(w, "nullable", true);
    kv_str(w, "description", doc);
    kv_str(w, "x-revos-type", rv_ftype_name(f->type));
    if (f->def)
        kv_str(w, "x-revos-default", f->def);
    rv_jsonw_obj_end(w);
}

static void system_prop(rv_jsonw *w, const char *name, bool ts)
{
    rv_jsonw_key(w, name);
    rv_jsonw_obj_begin(w);
    if (ts) {
        kv_str(w, "type", "string");
        kv_str(w, "format", "date-time");
    } else {
        kv_str(w, "type", "integer");
        kv_str(w, "format", "int64");
    }
    kv_bool(w, "readOnly", true);
    kv_str(w, "description",
           ts ? (name[0] == 'c' ? "when revos stored the record"
                                : "when revos last changed the record")
              : "record id");
    rv_jsonw_obj_end(w);
}

static void entity_schema(rv_jsonw *w, const rv_entity *e, bool update)
{
    char name[80];
    rv__api_camel(name, sizeof name, "", e->one, update ? "Update" : "");
    rv_jsonw_key(w, name);
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "object");
    kv_str(w, "description",
           update ? "Fields to change; fields left out keep their value, null clears one."
                  : e->doc);
    kv_bool(w, "additionalProperties", false);
    if (!update) {
        rv_jsonw_key(w, "required");
        rv_jsonw_arr_begin(w);
        rv_jsonw_str(w, "id");
        for (int i = 0; i < e->nfields; i++)
            if ((e->fields[i].flags & RV_F_REQUIRED) && !(e->fields[i].flags & RV_F_SECRET))
                rv_jsonw_str(w, e->fields[i].name);
        rv_jsonw_str(w, "created_at");
        rv_jsonw_str(w, "updated_at");
        rv_jsonw_arr_end(w);
    }
    rv_jsonw_key(w, "properties");
    rv_jsonw_obj_begin(w);
    if (!update)
        system_prop(w, "id", false);
    for (int i = 0; i < e->nfields; i++) {
        const rv_field *f = &e->fields[i];
        if ((update && (f->flags & RV_F_SYSTEM)) || (f->flags & RV_F_SECRET))
            continue;
        rv_jsonw_key(w, f->name);
        field_schema(w, f);
    }
    if (!update) {
        system_prop(w, "created_at", true);
        system_prop(w, "updated_at", true);
    }
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
}

static void error_schema(rv_jsonw *w)
{
    rv_jsonw_key(w, "Error");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "object");
    kv_str(w, "description", "Every 4xx and 5xx answer of this API.");
    rv_jsonw_key(w, "required");
    rv_jsonw_arr_begin(w);
    rv_jsonw_str(w, "error");
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "properties");
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "error");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "object");
    rv_jsonw_key(w, "required");
    rv_jsonw_arr_begin(w);
    rv_jsonw_str(w, "code");
    rv_jsonw_str(w, "message");
    rv_jsonw_str(w, "field");
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "properties");
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "code");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "string");
    rv_jsonw_key(w, "enum");
    rv_jsonw_arr_begin(w);
    for (int s = RV_OK + 1; s < RV_STATUS_COUNT; s++)
        rv_jsonw_str(w, rv_status_name((rv_status)s));
    rv_jsonw_arr_end(w);
    kv_str(w, "description", "stable machine-readable code");
    rv_jsonw_obj_end(w);
    rv_jsonw_key(w, "message");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "string");
    kv_str(w, "description", "what went wrong, for people; names the field and the bad value");
    rv_jsonw_obj_end(w);
    rv_jsonw_key(w, "field");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "string");
    kv_bool(w, "nullable", true);
    kv_str(w, "description", "the field (or query parameter) concerned, or null");
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
}

/* --- operations ------------------------------------------------------------ */

static const char *status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "Deleted";
    case 400:
        return "Invalid request: a bad field value, unknown field, malformed JSON or invalid UTF-8";
    case 303:
        return "Redirect";
    case 401:
        return "No valid session or API token (see WWW-Authenticate)";
    case 403:
        return "The user's role, the token's scope or a missing CSRF token forbids it";
    case 404:
        return "No such record";
    case 405:
        return "Method not allowed on this path (see the Allow header)";
    case 409:
        return "Conflict: a unique value is taken, or other records still refer to this one";
    case 413:
        return "Request body larger than the server's limit";
    case 415:
        return "Content-Type is not application/json";
    case 422:
        return "A reference that does not exist, or a rule of the entity refused the change";
    case 500:
        return "Internal or database error";
    case 429:
        return "Too many failed sign-ins: the account is locked for a while";
    case 503:
        return "Database busy; retry";
    }
    return "Error";
}

static void query_param(rv_jsonw *w, const char *name, const char *type, const char *doc)
{
    rv_jsonw_obj_begin(w);
    kv_str(w, "name", name);
    kv_str(w, "in", "query");
    kv_bool(w, "required", false);
    rv_jsonw_key(w, "schema");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", type);
    rv_jsonw_obj_end(w);
    kv_str(w, "description", doc);
    rv_jsonw_obj_end(w);
}

static void string_param(rv_jsonw *w, const char *name, const char *doc)
{
    rv_jsonw_obj_begin(w);
    kv_str(w, "name", name);
    kv_str(w, "in", "query");
    kv_bool(w, "required", false);
    rv_jsonw_key(w, "schema");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "string");
    rv_jsonw_obj_end(w);
    kv_str(w, "description", doc);
    rv_jsonw_obj_end(w);
}

static void report_params(rv_jsonw *w)
{
    string_param(w, "by", "dimensions to group by, comma-separated (owner, quarter, ...; see GET /api/v1/reports)");
    string_param(w, "period", "month, quarter or year to group by, or one period (2017, 2017-Q2, 2017-05) as the window");
    string_param(w, "from", "first day of the window, YYYY-MM-DD");
    string_param(w, "to", "last day of the window, YYYY-MM-DD");
    string_param(w, "compare", "true: add each row's value in the previous period and the change");
    string_param(w, "DIMENSION", "any dimension name = a value as rows show it (owner=Anna Snelling): only those records");
}

static void train_params(rv_jsonw *w)
{
    string_param(w, "exclude", "features to leave out, comma-separated (fields filled after first contact)");
    string_param(w, "model", "lr, gbt or auto (default: both, the better AUC)");
    string_param(w, "folds", "cross-validation folds, 2 to 64 (default 5)");
    string_param(w, "seed", "seed of the fold assignment (default 42)");
}

static void list_params(rv_jsonw *w, const rv_entity *e)
{
    /* filter: repeatable */
    rv_jsonw_obj_begin(w);
    kv_str(w, "name", "filter");
    kv_str(w, "in", "query");
    kv_bool(w, "required", false);
    kv_str(w, "style", "form");
    kv_bool(w, "explode", true);
    rv_jsonw_key(w, "schema");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "array");
    kv_int(w, "maxItems", RV_QUERY_MAX_FILTERS);
    rv_jsonw_key(w, "items");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "string");
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
    kv_str(w, "description",
           "FIELD=value, FIELD!=value, FIELD<value, FIELD<=value, FIELD>value, FIELD>=value, "
           "FIELD~text (contains, case-insensitive), FIELD= (is empty), FIELD!= (is not empty); "
           "repeatable, all must hold. Values are parsed like the field's own values; a "
           "reference may be given by id, external_id or name.");
    rv_jsonw_obj_end(w);
    /* sort: one of the columns, '-' for descending */
    rv_jsonw_obj_begin(w);
    kv_str(w, "name", "sort");
    kv_str(w, "in", "query");
    kv_bool(w, "required", false);
    rv_jsonw_key(w, "schema");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "string");
    rv_jsonw_key(w, "enum");
    rv_jsonw_arr_begin(w);
    for (int dir = 0; dir < 2; dir++) {
        const char *pre = dir ? "-" : "";
        char b[80];
        snprintf(b, sizeof b, "%sid", pre);
        rv_jsonw_str(w, b);
        for (int i = 0; i < e->nfields; i++) {
            if (e->fields[i].type == RV_FT_JSON || (e->fields[i].flags & RV_F_SECRET))
                continue;
            snprintf(b, sizeof b, "%s%s", pre, e->fields[i].name);
            rv_jsonw_str(w, b);
        }
        snprintf(b, sizeof b, "%screated_at", pre);
        rv_jsonw_str(w, b);
        snprintf(b, sizeof b, "%supdated_at", pre);
        rv_jsonw_str(w, b);
    }
    rv_jsonw_arr_end(w);
    rv_jsonw_obj_end(w);
    kv_str(w, "description", "order by this field, ties by id; a leading '-' sorts descending");
    rv_jsonw_obj_end(w);
    /* limit */
    rv_jsonw_obj_begin(w);
    kv_str(w, "name", "limit");
    kv_str(w, "in", "query");
    kv_bool(w, "required", false);
    rv_jsonw_key(w, "schema");
    rv_jsonw_obj_begin(w);
    kv_str(w, "type", "integer");
    kv_int(w, "minimum", 1);
    kv_int(w, "maximum", 1000);
    kv_int(w, "default", 50);
    rv_jsonw_obj_end(w);
    kv_str(w, "description", "records per page");
    rv_jsonw_obj_end(w);
    query_param(w, "cursor", "string",
                "next_cursor of the previous page (with the same filters and sort)");
    /* FIELD=value shorthand */
    for (int i = 0; i < e->nfields; i++) {
        const rv_field *f = &e->fields[i];
        if (f->type == RV_FT_JSON || (f->flags & RV_F_SECRET))
            continue;
        char doc[160];
        snprintf(doc, sizeof doc, "shorthand for filter=%s=value", f->name);
        query_param(w, f->name, "string", doc);
    }
}

static void path_params(rv_jsonw *w, const char *path)
{
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        bool id = strcmp(name, "id") == 0;
        rv_jsonw_obj_begin(w);
        kv_str(w, "name", name);
        kv_str(w, "in", "path");
        kv_bool(w, "required", true);
        rv_jsonw_key(w, "schema");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", id ? "integer" : "string");
        if (id) {
            kv_str(w, "format", "int64");
            kv_int(w, "minimum", 1);
        }
        rv_jsonw_obj_end(w);
        if (id)
            kv_str(w, "description", "record id");
        rv_jsonw_obj_end(w);
    }
}

static void response_body(rv_jsonw *w, const rv_route *r)
{
    switch (r->resp) {
    case RV_SHAPE_HEALTH:
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "object");
        rv_jsonw_key(w, "properties");
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "status");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        rv_jsonw_key(w, "enum");
        rv_jsonw_arr_begin(w);
        rv_jsonw_str(w, "ok");
        rv_jsonw_arr_end(w);
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        json_content_end(w);
        break;
    case RV_SHAPE_HTML:
        rv_jsonw_key(w, "content");
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "text/html");
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "schema");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        break;
    case RV_SHAPE_DOC:
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "object");
        kv_str(w, "description", "this document");
        rv_jsonw_obj_end(w);
        json_content_end(w);
        break;
    case RV_SHAPE_RECORD:
    case RV_SHAPE_PATCH:
        json_content_begin(w);
        ref_to(w, r->ent, "");
        json_content_end(w);
        break;
    case RV_SHAPE_LIST:
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "object");
        rv_jsonw_key(w, "required");
        rv_jsonw_arr_begin(w);
        rv_jsonw_str(w, "data");
        rv_jsonw_str(w, "next_cursor");
        rv_jsonw_arr_end(w);
        rv_jsonw_key(w, "properties");
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "data");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "array");
        rv_jsonw_key(w, "items");
        ref_to(w, r->ent, "");
        rv_jsonw_obj_end(w);
        rv_jsonw_key(w, "next_cursor");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        kv_bool(w, "nullable", true);
        kv_str(w, "description", "pass as cursor for the next page; null on the last page");
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        json_content_end(w);
        break;
    case RV_SHAPE_LOGIN:
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "object");
        rv_jsonw_key(w, "properties");
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "user");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        rv_jsonw_obj_end(w);
        rv_jsonw_key(w, "csrf_token");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        kv_str(w, "description", "send as X-CSRF-Token with cookie-authenticated writes");
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        json_content_end(w);
        break;
    case RV_SHAPE_SCORE:
        described_object(w, "a lead's probability with the factors raising (up) and lowering "
                            "(down) it, or a trained model version with its evaluation "
                            "(docs/scoring.md)");
        break;
    case RV_SHAPE_REPORT:
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "object");
        rv_jsonw_key(w, "required");
        rv_jsonw_arr_begin(w);
        rv_jsonw_str(w, "data");
        rv_jsonw_arr_end(w);
        kv_str(w, "description", "rows of dimension values and the metric's value by name (docs/metrics.md)");
        rv_jsonw_obj_end(w);
        json_content_end(w);
        break;
    case RV_SHAPE_CAPTURE:
        described_object(w, "lead_id, replayed, linked, duplicate_of_id, contact_id, account_id, "
                            "owner_id, task_id, fit_score, engagement_score, score, sla_due_at, "
                            "match_reason, score_reasons [{rule, points}], route_reason "
                            "(docs/leads.md)");
        break;
    case RV_SHAPE_DEDUPE:
        described_object(w, "a scan: {entity, records, candidate_pairs, data: [{id_a, id_b, "
                            "probability, evidence: [{field, a, b, level, levels, weight}]}], "
                            "clusters: [[ids]]}; a merge: {merge_id, survivor_id, merged_id}; "
                            "an undo: {merge_id, undone} (docs/dedupe.md)");
        break;
    case RV_SHAPE_NONE:
        break;
    }
}

/* The query of the dedupe routes: a scan's threshold, a merge's plan. */
static void dedupe_params(rv_jsonw *w, const rv_route *r)
{
    if (!strcmp(r->method, "GET")) {
        string_param(w, "threshold", "match probability for a pair (default 0.5)");
        return;
    }
    query_param(w, "keep", "integer", "id of the record kept (required)");
    query_param(w, "merged", "integer", "id of the record merged into it and deleted (required)");
    string_param(w, "rule", "FIELD:complete|recent|source|keep|merged, repeatable (default complete)");
    string_param(w, "sources", "values of the source field, best first, for the rule 'source'");
}

static void operation(rv_jsonw *w, const rv_route *r)
{
    char m[16];
    size_t i;
    for (i = 0; r->method[i] && i + 1 < sizeof m; i++)
        m[i] = (char)(r->method[i] >= 'A' && r->method[i] <= 'Z' ? r->method[i] - 'A' + 'a'
                                                                 : r->method[i]);
    m[i] = '\0';
    rv_jsonw_key(w, m);
    rv_jsonw_obj_begin(w);
    kv_str(w, "operationId", r->op_id);
    kv_str(w, "summary", r->summary);
    if (r->flags & RV_ROUTE_PUBLIC) {
        /* answered without a session or token */
        rv_jsonw_key(w, "security");
        rv_jsonw_arr_begin(w);
        rv_jsonw_arr_end(w);
    }
    rv_jsonw_key(w, "tags");
    rv_jsonw_arr_begin(w);
    rv_jsonw_str(w, r->ent ? r->ent->name : "service");
    rv_jsonw_arr_end(w);
    rv_jsonw_key(w, "parameters");
    rv_jsonw_arr_begin(w);
    path_params(w, r->path);
    if ((r->flags & RV_ROUTE_LIST_QUERY) && r->ent)
        list_params(w, r->ent);
    if (r->flags & RV_ROUTE_REPORT_QUERY)
        report_params(w);
    if (r->flags & RV_ROUTE_DEDUPE_QUERY)
        dedupe_params(w, r);
    if (r->flags & RV_ROUTE_TRAIN_QUERY)
        train_params(w);
    rv_jsonw_arr_end(w);
    if (r->req == RV_SHAPE_LOGIN) {
        rv_jsonw_key(w, "requestBody");
        rv_jsonw_obj_begin(w);
        kv_bool(w, "required", true);
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "object");
        rv_jsonw_key(w, "required");
        rv_jsonw_arr_begin(w);
        rv_jsonw_str(w, "email");
        rv_jsonw_str(w, "password");
        rv_jsonw_arr_end(w);
        rv_jsonw_key(w, "properties");
        rv_jsonw_obj_begin(w);
        rv_jsonw_key(w, "email");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        rv_jsonw_obj_end(w);
        rv_jsonw_key(w, "password");
        rv_jsonw_obj_begin(w);
        kv_str(w, "type", "string");
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        rv_jsonw_obj_end(w);
        json_content_end(w);
        rv_jsonw_obj_end(w);
    }
    if (r->req == RV_SHAPE_CAPTURE) { /* the lead's fields a capture may give, all optional */
        rv_jsonw_key(w, "requestBody");
        rv_jsonw_obj_begin(w);
        kv_bool(w, "required", true);
        json_content_begin(w);
        ref_to(w, rv_entity_find("leads"), "Update");
        json_content_end(w);
        rv_jsonw_obj_end(w);
    }
    if ((r->req == RV_SHAPE_RECORD || r->req == RV_SHAPE_PATCH) && r->ent) {
        rv_jsonw_key(w, "requestBody");
        rv_jsonw_obj_begin(w);
        kv_bool(w, "required", true);
        json_content_begin(w);
        ref_to(w, r->ent, r->req == RV_SHAPE_PATCH ? "Update" : "");
        json_content_end(w);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_key(w, "responses");
    rv_jsonw_obj_begin(w);
    char code[8];
    snprintf(code, sizeof code, "%d", r->status);
    rv_jsonw_key(w, code);
    rv_jsonw_obj_begin(w);
    kv_str(w, "description", status_text(r->status));
    response_body(w, r);
    rv_jsonw_obj_end(w);
    for (const int *e = r->errors; e && *e; e++) {
        snprintf(code, sizeof code, "%d", *e);
        rv_jsonw_key(w, code);
        rv_jsonw_obj_begin(w);
        kv_str(w, "description", status_text(*e));
        json_content_begin(w);
        rv_jsonw_obj_begin(w);
        kv_str(w, "$ref", "#/components/schemas/Error");
        rv_jsonw_obj_end(w);
        json_content_end(w);
        rv_jsonw_obj_end(w);
    }
    rv_jsonw_obj_end(w);
    rv_jsonw_obj_end(w);
}

void rv__api_openapi_write(rv_buf *b)
{
    size_t n;
    const rv_route *t = rv_api_routes(&n);
    rv_jsonw w;
    rv_jsonw_init(&w, b, false);
    rv_jsonw_obj_begin(&w);
    kv_str(&w, "openapi", "3.0.3");
    rv_jsonw_key(&w, "info");
    rv_jsonw_obj_begin(&w);
    kv_str(&w, "title", "revos API");
    kv_str(&w, "version", "1.0.0");
    kv_str(&w, "description",
           "The revos REST API: one set of routes per entity, generated from the entity table. "
           "Errors are {\"error\":{\"code\",\"message\",\"field\"}}; lists are pages of "
           "{\"data\",\"next_cursor\"}.");
    rv_jsonw_obj_end(&w);
    rv_jsonw_key(&w, "tags");
    rv_jsonw_arr_begin(&w);
    rv_jsonw_obj_begin(&w);
    kv_str(&w, "name", "service");
    kv_str(&w, "description", "health and this document");
    rv_jsonw_obj_end(&w);
    for (int k = 0; rv_entities[k]; k++) {
        rv_jsonw_obj_begin(&w);
        kv_str(&w, "name", rv_entities[k]->name);
        kv_str(&w, "description", rv_entities[k]->doc);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_arr_end(&w);
    /* every operation needs a token or the session cookie unless it says
     * otherwise (security: []) */
    rv_jsonw_key(&w, "security");
    rv_jsonw_arr_begin(&w);
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "bearerToken");
    rv_jsonw_arr_begin(&w);
    rv_jsonw_arr_end(&w);
    rv_jsonw_obj_end(&w);
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "sessionCookie");
    rv_jsonw_arr_begin(&w);
    rv_jsonw_arr_end(&w);
    rv_jsonw_obj_end(&w);
    rv_jsonw_arr_end(&w);
    /* paths: the operations of one path together, in table order */
    rv_jsonw_key(&w, "paths");
    rv_jsonw_obj_begin(&w);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(t[j].path, t[i].path) == 0;
        if (seen)
            continue;
        rv_jsonw_key(&w, t[i].path);
        rv_jsonw_obj_begin(&w);
        for (size_t j = i; j < n; j++)
            if (strcmp(t[j].path, t[i].path) == 0)
                operation(&w, &t[j]);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_obj_end(&w);
    rv_jsonw_key(&w, "components");
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "securitySchemes");
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "bearerToken");
    rv_jsonw_obj_begin(&w);
    kv_str(&w, "type", "http");
    kv_str(&w, "scheme", "bearer");
    kv_str(&w, "description", "an API token from `revos tokens create` (scope read, write or admin)");
    rv_jsonw_obj_end(&w);
    rv_jsonw_key(&w, "sessionCookie");
    rv_jsonw_obj_begin(&w);
    kv_str(&w, "type", "apiKey");
    kv_str(&w, "in", "cookie");
    kv_str(&w, "name", "rv_session");
    kv_str(&w, "description", "set by POST /login; writes with it also need the CSRF token");
    rv_jsonw_obj_end(&w);
    rv_jsonw_obj_end(&w);
    rv_jsonw_key(&w, "schemas");
    rv_jsonw_obj_begin(&w);
    error_schema(&w);
    for (int k = 0; rv_entities[k]; k++) {
        entity_schema(&w, rv_entities[k], false);
        if (!(rv_entities[k]->flags & (RV_ENT_READONLY | RV_ENT_APPEND)))
            entity_schema(&w, rv_entities[k], true);
    }
    rv_jsonw_obj_end(&w);
    rv_jsonw_obj_end(&w);
    rv_jsonw_obj_end(&w);
}

char *rv_api_openapi(size_t *len)
{
    rv_buf b = RV_BUF_INIT;
    rv__api_openapi_write(&b);
    return rv_buf_detach(&b, len);
}
