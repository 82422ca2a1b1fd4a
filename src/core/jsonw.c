/*
 * jsonw.c - streaming JSON writer (see jsonw.h).
 */
#include "core/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void rv_jsonw_init(rv_jsonw *w, rv_buf *out, bool pretty)
{
    w->out = out;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
    w->pretty = pretty;
}

static void indent(rv_jsonw *w)
{
    if (!w->pretty)
        return;
    rv_buf_putc(w->out, '\n');
    for (int i = 0; i < w->depth; i++)
        rv_buf_append(w->out, "  ", 2);
}

/* Before any value: a comma unless first at this level, or nothing after a key. */
static void pre_value(rv_jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth])
            rv_buf_putc(w->out, ',');
        indent(w);
    }
    w->first[w->depth] = false;
}

static void open(rv_jsonw *w, char c)
{
    pre_value(w);
    rv_buf_putc(w->out, c);
    if (w->depth + 1 < RV_JSONW_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void close_(rv_jsonw *w, char c)
{
    bool empty = w->first[w->depth];
    if (w->depth > 0)
        w->depth--;
    if (!empty)
        indent(w);
    rv_buf_putc(w->out, c);
}

void rv_jsonw_obj_begin(rv_jsonw *w) { open(w, '{'); }
void rv_jsonw_obj_end(rv_jsonw *w) { close_(w, '}'); }
void rv_jsonw_arr_begin(rv_jsonw *w) { open(w, '['); }
void rv_jsonw_arr_end(rv_jsonw *w) { close_(w, ']'); }

void rv_jsonw_key(rv_jsonw *w, const char *key)
{
    pre_value(w);
    size_t n = strlen(key);
    bool plain = true;
    for (size_t i = 0; i < n && plain; i++)
        plain = key[i] >= 0x20 && key[i] != '"' && key[i] != '\\' && (unsigned char)key[i] < 0x80;
    if (plain && rv_buf_reserve(w->out, n + 3) == RV_OK) {
        /* field names: copied as they are */
        char *p = w->out->data + w->out->len;
        p[0] = '"';
        memcpy(p + 1, key, n);
        p[n + 1] = '"';
        w->out->len += n + 2;
        w->out->data[w->out->len] = '\0';
    } else {
        rv_json_escape(w->out, key, n);
    }
    rv_buf_putc(w->out, ':');
    if (w->pretty)
        rv_buf_putc(w->out, ' ');
    w->after_key = true;
}

void rv_jsonw_key_quoted(rv_jsonw *w, const char *quoted, size_t n)
{
    pre_value(w);
    if (rv_buf_reserve(w->out, n + 2) != RV_OK)
        return;
    char *p = w->out->data + w->out->len;
    memcpy(p, quoted, n);
    p[n] = ':';
    size_t len = n + 1;
    if (w->pretty)
        p[len++] = ' ';
    w->out->len += len;
    w->out->data[w->out->len] = '\0';
    w->after_key = true;
}

/* The body of a JSON string for s[0..n) (no quotes) at p, which has room
 * for 6 n bytes: plain runs are copied as they are, control characters,
 * quotes and backslashes escaped, and each byte of invalid UTF-8 replaced
 * by U+FFFD.  Returns the end. */
static char *escape_body(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] != '"' && u[run] != '\\' && u[run] < 0x80)
            run++;
        memcpy(p, s + i, run - i);
        p += run - i;
        i = run;
        if (i == n)
            break;
        unsigned char c = u[i];
        if (c < 0x80) {
            *p++ = '\\';
            switch (c) {
            case '"': *p++ = '"'; break;
            case '\\': *p++ = '\\'; break;
            case '\n': *p++ = 'n'; break;
            case '\r': *p++ = 'r'; break;
            case '\t': *p++ = 't'; break;
            case '\b': *p++ = 'b'; break;
            case '\f': *p++ = 'f'; break;
            default:
                memcpy(p, "u00", 3);
                p[3] = hex[c >> 4];
                p[4] = hex[c & 15];
                p += 5;
            }
            i++;
            continue;
        }
        /* validate one UTF-8 sequence */
        size_t need;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            need = 0;
            cp = 0;
        }
        bool ok = need > 0;
        for (size_t k = 1; ok && k <= need; k++) {
            if (i + k >= n || (u[i + k] & 0xC0) != 0x80)
                ok = false;
            else
                cp = (cp << 6) | (u[i + k] & 0x3F);
        }
        if (ok && ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                   (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))))
            ok = false;
        if (ok) {
            memcpy(p, s + i, need + 1);
            p += need + 1;
            i += need + 1;
        } else {
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
            i++;
        }
    }
    return p;
}

char *rv_json_escape_to(char *p, const char *s, size_t n)
{
    *p++ = '"';
    p = escape_body(p, s, n);
    *p++ = '"';
    return p;
}

void rv_json_escape(rv_buf *b, const char *s, size_t n)
{
    /* in pieces of at most 4 KiB, cut before a byte that starts a
     * character, so that a long text never needs 6 times its size */
    const size_t piece = 4096;
    const unsigned char *u = (const unsigned char *)s;
    rv_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t k = n - i <= piece ? n : i + piece;
        while (k < n && k > i + piece - 4 && (u[k] & 0xC0) == 0x80)
            k--;
        if (rv_buf_reserve(b, 6 * (k - i)) != RV_OK)
            return;
        char *end = escape_body(b->data + b->len, s + i, k - i);
        b->len = (size_t)(end - b->data);
        b->data[b->len] = '\0';
        i = k;
    }
    rv_buf_putc(b, '"');
}

char *rv_jsonw_value_begin(rv_jsonw *w, size_t max)
{
    pre_value(w);
    if (rv_buf_reserve(w->out, max) != RV_OK)
        return NULL;
    return w->out->data + w->out->len;
}

void rv_jsonw_value_end(rv_jsonw *w, char *end)
{
    w->out->len = (size_t)(end - w->out->data);
    w->out->data[w->out->len] = '\0';
}

void rv_jsonw_strn(rv_jsonw *w, const char *s, size_t n)
{
    pre_value(w);
    rv_json_escape(w->out, s, n);
}

void rv_jsonw_str(rv_jsonw *w, const char *s)
{
    if (!s) {
        rv_jsonw_null(w);
        return;
    }
    rv_jsonw_strn(w, s, strlen(s));
}

char *rv_json_int_to(char *p, int64_t v)
{
    char tmp[24];
    char *t = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--t = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--t = '-';
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(p, t, n);
    return p + n;
}

void rv_jsonw_int(rv_jsonw *w, int64_t v)
{
    pre_value(w);
    char tmp[24];
    rv_buf_append(w->out, tmp, (size_t)(rv_json_int_to(tmp, v) - tmp));
}

void rv_jsonw_double(rv_jsonw *w, double v)
{
    pre_value(w);
    if (!isfinite(v)) {
        rv_buf_append(w->out, "null", 4);
        return;
    }
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.10g", v);
    rv_buf_append(w->out, tmp, (size_t)n);
}

void rv_jsonw_bool(rv_jsonw *w, bool v)
{
    pre_value(w);
    rv_buf_puts(w->out, v ? "true" : "false");
}

void rv_jsonw_null(rv_jsonw *w)
{
    pre_value(w);
    rv_buf_append(w->out, "null", 4);
}

void rv_jsonw_raw_number(rv_jsonw *w, const char *num)
{
    pre_value(w);
    rv_buf_puts(w->out, num);
}

void rv_jsonw_raw(rv_jsonw *w, const char *json, size_t n)
{
    pre_value(w);
    rv_buf_append(w->out, json, n);
}
