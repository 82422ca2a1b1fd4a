/*
 * record.c - parsing, checking and printing records (see record.h).
 *
 * JSON numbers and money: jansson keeps integers exact (int64) but reads
 * "1234.56" as a double.  A double is accepted for a money field only when
 * printing it with the currency's decimals and reading that back yields
 * the very same double, i.e. the JSON text had no more decimals than the
 * currency allows; the decimal text is then parsed exactly.  Amounts may
 * also be sent as strings ("1234.56"), which is always exact.
 */
#include "model/record.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "model/money.h"

void rv_record_init(rv_record *r, const rv_entity *e)
{
    memset(r, 0, sizeof *r);
    r->ent = e;
}

bool rv_utf8_valid(const char *s, size_t len)
{
    return rv_utf8_bad_at(s, len) == len && memchr(s, '\0', len) == NULL;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static rv_status parse_bool(const char *s, size_t len, int64_t *out, const char *field, rv_err *err)
{
    static const char *const yes[] = {"true", "yes", "y", "1", "t", NULL};
    static const char *const no[] = {"false", "no", "n", "0", "f", NULL};
    for (int i = 0; yes[i]; i++)
        if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
            return (*out = 1), RV_OK;
    for (int i = 0; no[i]; i++)
        if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
            return (*out = 0), RV_OK;
    char q[80];
    return rv_err_set(err, RV_EINVAL, field, "%s must be true or false, got '%s'", field,
                      rv_err_quote(q, sizeof q, s, len));
}

static rv_status check_email(const char *s, size_t len, const char *field, rv_err *err)
{
    char q[80];
    const char *at = memchr(s, '@', len);
    bool ok = at && at > s && (size_t)(at - s) < len - 1;
    if (ok) {
        const char *dom = at + 1;
        size_t dl = len - (size_t)(dom - s);
        ok = memchr(dom, '@', dl) == NULL && memchr(dom, '.', dl) != NULL && dom[0] != '.' &&
             dom[dl - 1] != '.';
        for (size_t i = 0; ok && i < len; i++)
            if (isspace((unsigned char)s[i]) || s[i] == ',' || s[i] == ';' || s[i] == '<' ||
                s[i] == '>')
                ok = false;
    }
    if (!ok)
        return rv_err_set(err, RV_EINVAL, field, "%s must be an email address, got '%s'", field,
                          rv_err_quote(q, sizeof q, s, len));
    return RV_OK;
}

rv_status rv_record_set_text(rv_record *r, int fi, const char *s, size_t len, rv_arena *a,
                             rv_err *err)
{
    const rv_field *f = &r->ent->fields[fi];
    rv_val *v = &r->v[fi];
    char q[80];
    if (f->type != RV_FT_JSON)
        trim(&s, &len);
    if (len == 0) {
        v->state = RV_V_NULL;
        v->s = NULL;
        v->len = 0;
        v->i = 0;
        return RV_OK;
    }
    if (!rv_utf8_valid(s, len))
        return rv_err_set(err, RV_EINVAL, f->name, "%s is not valid UTF-8 text", f->name);
    int64_t iv = 0;
    int32_t dv = 0;
    rv_status st = RV_OK;
    switch (f->type) {
    case RV_FT_TEXT:
    case RV_FT_EXTID: {
        int max = f->max_len ? f->max_len : 255;
        if (len > (size_t)max)
            return rv_err_set(err, RV_EINVAL, f->name, "%s is longer than %d bytes (%zu)", f->name,
                              max, len);
        v->s = rv_arena_strndup(a, s, len);
        v->len = (uint32_t)len;
        v->state = RV_V_SET;
        return RV_OK;
    }
    case RV_FT_EMAIL: {
        if (len > 254)
            return rv_err_set(err, RV_EINVAL, f->name, "%s is longer than 254 bytes (%zu)",
                              f->name, len);
        if ((st = check_email(s, len, f->name, err)))
            return st;
        char *c = rv_arena_strndup(a, s, len);
        for (char *p = strchr(c, '@'); p && *p; p++) /* domains are case-insensitive */
            *p = (char)tolower((unsigned char)*p);
        v->s = c;
        v->len = (uint32_t)len;
        v->state = RV_V_SET;
        return RV_OK;
    }
    case RV_FT_INT:
        if ((st = rv_int_parse(s, len, &iv, f->name, err)))
            return st;
        if ((f->min || f->max) && (iv < f->min || iv > f->max))
            return rv_err_set(err, RV_EINVAL, f->name, "%s must be between %lld and %lld, got '%s'",
                              f->name, (long long)f->min, (long long)f->max,
                              rv_err_quote(q, sizeof q, s, len));
        v->i = iv;
        v->state = RV_V_SET;
        return RV_OK;
    case RV_FT_MONEY:
    case RV_FT_REF:
        v->s = rv_arena_strndup(a, s, len);
        v->len = (uint32_t)len;
        v->state = RV_V_RAW;
        return RV_OK;
    case RV_FT_CURRENCY: {
        char up[4] = {0};
        if (len == 3)
            for (int i = 0; i < 3; i++)
                up[i] = (char)toupper((unsigned char)s[i]);
        if (!rv_currency_is_valid(up, len))
            return rv_err_set(err, RV_EINVAL, f->name,
                              "%s must be a 3-letter ISO-4217 code, got '%s'", f->name,
                              rv_err_quote(q, sizeof q, s, len));
        v->s = rv_arena_strndup(a, up, 3);
        v->len = 3;
        v->state = RV_V_SET;
        return RV_OK;
    }
    case RV_FT_DATE:
        if ((st = rv_date_parse(s, len, &dv, f->name, err)))
            return st;
        v->i = dv;
        v->state = RV_V_SET;
        return RV_OK;
    case RV_FT_TS:
        if ((st = rv_ts_parse(s, len, &iv, f->name, err)))
            return st;
        v->i = iv;
        v->state = RV_V_SET;
        return RV_OK;
    case RV_FT_BOOL:
        if ((st = parse_bool(s, len, &iv, f->name, err)))
            return st;
        v->i = iv;
        v->state = RV_V_SET;
        return RV_OK;
    case RV_FT_ENUM: {
        int k = rv_enum_index(f, s, len);
        if (k < 0) {
            /* accept case and space variants: "Best Case" -> best_case */
            char norm[64];
            if (len < sizeof norm) {
                for (size_t i = 0; i < len; i++)
                    norm[i] = (s[i] == ' ' || s[i] == '-') ? '_' : (char)tolower((unsigned char)s[i]);
                k = rv_enum_index(f, norm, len);
            }
        }
        if (k < 0) {
            char list[256] = "";
            for (int i = 0; f->values[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, f->values[i], sizeof list - strlen(list) - 1);
            }
            return rv_err_set(err, RV_EINVAL, f->name, "%s must be one of %s; got '%s'", f->name,
                              list, rv_err_quote(q, sizeof q, s, len));
        }
        v->s = f->values[k];
        v->len = (uint32_t)strlen(f->values[k]);
        v->state = RV_V_SET;
        return RV_OK;
    }
    case RV_FT_JSON: {
        json_error_t je;
        json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
            return rv_err_set(err, RV_EINVAL, f->name, "%s is not valid JSON: %s", f->name, je.text);
        if (!json_is_object(j)) {
            json_decref(j);
            return rv_err_set(err, RV_EINVAL, f->name, "%s must be a JSON object", f->name);
        }
        char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        v->s = rv_arena_strdup(a, txt);
        v->len = (uint32_t)strlen(txt);
        free(txt);
        v->state = RV_V_SET;
        return RV_OK;
    }
    }
    return rv_err_set(err, RV_EINTERNAL, f->name, "unknown type of field %s", f->name);
}

rv_status rv_record_set_named(rv_record *r, const char *field, const char *s, rv_arena *a,
                              rv_err *err)
{
    int fi = rv_field_index(r->ent, field);
    if (fi < 0)
        return rv_err_set(err, RV_EUNKNOWN, field, "%s has no field '%s'", r->ent->name, field);
    return rv_record_set_text(r, fi, s, strlen(s), a, err);
}

static const char *json_type_name(json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static rv_status type_error(const rv_field *f, const char *want, json_t *j, rv_err *err)
{
    return rv_err_set(err, RV_EINVAL, f->name, "%s must be %s, got %s", f->name, want,
                      json_type_name(j));
}

rv_status rv_record_from_json(rv_record *r, json_t *obj, bool allow_system, rv_arena *a,
                              rv_err *err)
{
    if (!json_is_object(obj))
        return rv_err_set(err, RV_EINVAL, NULL, "request body must be a JSON object, got %s",
                          json_type_name(obj));
    const char *key;
    json_t *j;
    json_object_foreach(obj, key, j)
    {
        if (strcmp(key, "id") == 0 || strcmp(key, "created_at") == 0 ||
            strcmp(key, "updated_at") == 0) {
            if (allow_system)
                continue;
            return rv_err_set(err, RV_EINVAL, key, "%s is set by revos and cannot be written", key);
        }
        int fi = rv_field_index(r->ent, key);
        if (fi < 0)
            return rv_err_set(err, RV_EUNKNOWN, key, "%s has no field '%s'", r->ent->name, key);
        const rv_field *f = &r->ent->fields[fi];
        rv_val *v = &r->v[fi];
        if (f->flags & RV_F_SECRET)
            return rv_err_set(err, RV_EINVAL, key,
                              "%s is secret and cannot be written here (use 'revos users passwd')",
                              key);
        if (f->flags & RV_F_SYSTEM)
            return rv_err_set(err, RV_EINVAL, key, "%s is set by revos and cannot be written", key);
        if (json_is_null(j)) {
            memset(v, 0, sizeof *v);
            v->state = RV_V_NULL;
            continue;
        }
        char tmp[64];
        rv_status st;
        switch (f->type) {
        case RV_FT_INT:
        case RV_FT_DATE:
        case RV_FT_TS:
            if (json_is_integer(j) && f->type != RV_FT_DATE) {
                snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(j));
                st = rv_record_set_text(r, fi, tmp, strlen(tmp), a, err);
            } else if (json_is_string(j) && f->type != RV_FT_INT) {
                st = rv_record_set_text(r, fi, json_string_value(j), json_string_length(j), a, err);
            } else {
                st = type_error(f, f->type == RV_FT_INT ? "an integer"
                                   : f->type == RV_FT_DATE ? "a date string YYYY-MM-DD"
                                                           : "a timestamp string or unix ms",
                                j, err);
            }
            break;
        case RV_FT_MONEY:
            if (json_is_integer(j)) {
                snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(j));
                st = rv_record_set_text(r, fi, tmp, strlen(tmp), a, err);
            } else if (json_is_real(j)) {
                /* exactness check happens in finish(): keep the shortest
                 * text that reads back as the same double */
                double d = json_real_value(j);
                int n = 0;
                for (int prec = 0; prec <= 17; prec++) {
                    n = snprintf(tmp, sizeof tmp, "%.*f", prec, d);
                    if (strtod(tmp, NULL) == d)
                        break;
                }
                st = rv_record_set_text(r, fi, tmp, (size_t)n, a, err);
            } else if (json_is_string(j)) {
                st = rv_record_set_text(r, fi, json_string_value(j), json_string_length(j), a, err);
            } else {
                st = type_error(f, "an amount", j, err);
            }
            break;
        case RV_FT_REF:
            if (json_is_integer(j)) {
                if (json_integer_value(j) <= 0)
                    return rv_err_set(err, RV_EINVAL, key, "%s must be a positive id, got %lld",
                                      key, (long long)json_integer_value(j));
                v->i = json_integer_value(j);
                v->state = RV_V_SET;
                v->s = NULL;
                st = RV_OK;
            } else if (json_is_string(j)) {
                st = rv_record_set_text(r, fi, json_string_value(j), json_string_length(j), a, err);
            } else {
                st = type_error(f, "an id or an external id", j, err);
            }
            break;
        case RV_FT_BOOL:
            if (json_is_boolean(j)) {
                v->i = json_is_true(j);
                v->state = RV_V_SET;
                st = RV_OK;
            } else {
                st = type_error(f, "true or false", j, err);
            }
            break;
        case RV_FT_JSON:
            if (json_is_object(j)) {
                char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
                v->s = rv_arena_strdup(a, txt);
                v->len = (uint32_t)strlen(txt);
                v->state = RV_V_SET;
                free(txt);
                st = RV_OK;
            } else {
                st = type_error(f, "an object", j, err);
            }
            break;
        default:
            if (json_is_string(j))
                st = rv_record_set_text(r, fi, json_string_value(j), json_string_length(j), a, err);
            else
                st = type_error(f, "a string", j, err);
        }
        if (st)
            return st;
    }
    return RV_OK;
}

int rv_record_exponent(const rv_record *r)
{
    int ci = rv_entity_currency_field(r->ent);
    if (ci >= 0 && r->v[ci].state == RV_V_SET)
        return rv_currency_exponent(r->v[ci].s);
    return 2;
}

rv_status rv_record_finish(rv_record *r, const char *fallback_currency, rv_err *err)
{
    int ci = rv_entity_currency_field(r->ent);
    const char *cur = ci >= 0 && r->v[ci].state == RV_V_SET ? r->v[ci].s : fallback_currency;
    int exp = rv_currency_exponent(cur);
    for (int i = 0; i < r->ent->nfields; i++) {
        const rv_field *f = &r->ent->fields[i];
        rv_val *v = &r->v[i];
        if (f->type != RV_FT_MONEY || v->state != RV_V_RAW)
            continue;
        int64_t units;
        rv_status st = rv_money_parse(v->s, v->len, exp, &units, f->name, err);
        if (st)
            return st;
        if (units < f->min) {
            char q[80];
            return rv_err_set(err, RV_EINVAL, f->name, "%s must be >= 0, got '%s'", f->name,
                              rv_err_quote(q, sizeof q, v->s, v->len));
        }
        v->i = units;
        v->s = NULL;
        v->len = 0;
        v->state = RV_V_SET;
    }
    return RV_OK;
}

rv_status rv_record_check_required(const rv_record *r, rv_err *err)
{
    for (int i = 0; i < r->ent->nfields; i++) {
        const rv_field *f = &r->ent->fields[i];
        if ((f->flags & RV_F_REQUIRED) && r->v[i].state != RV_V_SET && r->v[i].state != RV_V_RAW) {
            /* a reference with a default (pipeline) is filled by the service */
            return rv_err_set(err, RV_EINVAL, f->name, "%s is required", f->name);
        }
    }
    return RV_OK;
}

void rv_record_apply_defaults(rv_record *r, rv_arena *a)
{
    for (int i = 0; i < r->ent->nfields; i++) {
        const rv_field *f = &r->ent->fields[i];
        if (r->v[i].state == RV_V_UNSET && f->def) {
            rv_err e;
            rv_record_set_text(r, i, f->def, strlen(f->def), a, &e);
        }
    }
}

const char *rv_record_text(const rv_record *r, int fi, char *buf, size_t cap)
{
    const rv_field *f = &r->ent->fields[fi];
    const rv_val *v = &r->v[fi];
    if (v->state == RV_V_UNSET || v->state == RV_V_NULL)
        return NULL;
    if (v->state == RV_V_RAW)
        return v->s;
    switch (f->type) {
    case RV_FT_INT:
    case RV_FT_REF:
        snprintf(buf, cap, "%lld", (long long)v->i);
        return buf;
    case RV_FT_MONEY:
        return rv_money_format(v->i, rv_record_exponent(r), buf, cap);
    case RV_FT_DATE:
        return rv_date_format((int32_t)v->i, buf, cap);
    case RV_FT_TS:
        return rv_ts_format(v->i, buf, cap);
    case RV_FT_BOOL:
        return v->i ? "true" : "false";
    default:
        return v->s;
    }
}

/* Field names quoted once per entity: every row of every list writes them. */
typedef struct quoted_keys {
    char *key[RV_MAX_FIELDS];
    size_t len[RV_MAX_FIELDS];
} quoted_keys;

static quoted_keys all_keys[64];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void build_keys(void)
{
    for (int k = 0; rv_entities[k] && k < 64; k++) {
        const rv_entity *e = rv_entities[k];
        for (int i = 0; i < e->nfields; i++) {
            rv_buf b = RV_BUF_INIT;
            rv_json_escape(&b, e->fields[i].name, strlen(e->fields[i].name));
            all_keys[k].key[i] = rv_buf_detach(&b, &all_keys[k].len[i]);
        }
    }
}

static const quoted_keys *keys_of(const rv_entity *e)
{
    pthread_once(&keys_once, build_keys);
    return &all_keys[e->index];
}

/* Before a member: the comma, pretty indentation, the quoted key. */
static char *put_key(char *p, const char *quoted, size_t n, bool first, int indent)
{
    if (!first)
        *p++ = ',';
    if (indent) {
        *p++ = '\n';
        memset(p, ' ', (size_t)indent);
        p += indent;
    }
    memcpy(p, quoted, n);
    p += n;
    *p++ = ':';
    if (indent)
        *p++ = ' ';
    return p;
}

/* Text known to need no escaping (numbers, dates), quoted or not. */
static char *put_plain(char *p, const char *s, bool quote)
{
    size_t n = strlen(s);
    if (quote)
        *p++ = '"';
    memcpy(p, s, n);
    p += n;
    if (quote)
        *p++ = '"';
    return p;
}

/* Written in place: one bound on the record's size is reserved, then every
 * member goes straight into the output (a listed page writes thousands of
 * them).  Bounds: a text value takes at most 6 bytes per byte (escapes)
 * plus quotes; numbers, dates and timestamps at most 48. */
void rv_record_to_json(const rv_record *r, rv_jsonw *w)
{
    const rv_entity *e = r->ent;
    const quoted_keys *k = keys_of(e);
    int indent = w->pretty ? (w->depth + 1) * 2 : 0;
    size_t per = (size_t)indent + 4; /* comma, newline, colon, space */
    size_t max = 2 + (size_t)indent + 3 * (per + 14 + 48);
    for (int i = 0; i < e->nfields; i++) {
        const rv_val *v = &r->v[i];
        max += per + k->len[i];
        if (v->state == RV_V_SET && (e->fields[i].type == RV_FT_JSON || !rv_ftype_is_int(e->fields[i].type)))
            max += 6 * (size_t)v->len + 2 + 48;
        else
            max += 48;
    }
    char *p = rv_jsonw_value_begin(w, max);
    if (!p)
        return;
    char buf[64];
    int exp = -1; /* of the record's currency, looked up at its first amount */
    *p++ = '{';
    p = put_key(p, "\"id\"", 4, true, indent);
    p = rv_json_int_to(p, r->id);
    for (int i = 0; i < e->nfields; i++) {
        const rv_field *f = &e->fields[i];
        const rv_val *v = &r->v[i];
        if (f->flags & RV_F_SECRET)
            continue; /* never leaves revos */
        p = put_key(p, k->key[i], k->len[i], false, indent);
        if (v->state == RV_V_UNSET || v->state == RV_V_NULL) {
            p = put_plain(p, "null", false);
            continue;
        }
        switch (f->type) {
        case RV_FT_INT:
        case RV_FT_REF:
            p = rv_json_int_to(p, v->i);
            break;
        case RV_FT_MONEY:
            if (exp < 0)
                exp = rv_record_exponent(r);
            p = put_plain(p, rv_money_format(v->i, exp, buf, sizeof buf), false);
            break;
        case RV_FT_BOOL:
            p = put_plain(p, v->i ? "true" : "false", false);
            break;
        case RV_FT_JSON:
            memcpy(p, v->s, v->len);
            p += v->len;
            break;
        case RV_FT_DATE:
        case RV_FT_TS:
            p = put_plain(p, rv_record_text(r, i, buf, sizeof buf), true);
            break;
        default:
            p = rv_json_escape_to(p, v->s, v->len);
        }
    }
    p = put_key(p, "\"created_at\"", 12, false, indent);
    p = put_plain(p, rv_ts_format(r->created_at, buf, sizeof buf), true);
    p = put_key(p, "\"updated_at\"", 12, false, indent);
    p = put_plain(p, rv_ts_format(r->updated_at, buf, sizeof buf), true);
    if (indent) {
        *p++ = '\n';
        memset(p, ' ', (size_t)(indent - 2));
        p += indent - 2;
    }
    *p++ = '}';
    rv_jsonw_value_end(w, p);
}

bool rv_val_equal(const rv_field *f, const rv_val *a, const rv_val *b)
{
    bool an = a->state != RV_V_SET, bn = b->state != RV_V_SET;
    if (an || bn)
        return an == bn;
    if (rv_ftype_is_int(f->type))
        return a->i == b->i;
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}
