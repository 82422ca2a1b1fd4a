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

void rv_json_escape(rv_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    rv_buf_reserve(b, n + 2);
    rv_buf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            run++;
            continue;
        }
        if (run)
            rv_buf_append(b, s + i - run, run);
        run = 0;
        if (c < 0x80) {
            char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
            size_t len = 2;
            switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            default:
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                len = 6;
            }
            rv_buf_append(b, esc, len);
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
            if (i + k >= n || (p[i + k] & 0xC0) != 0x80)
                ok = false;
            else
                cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (ok && ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                   (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))))
            ok = false;
        if (ok) {
            rv_buf_append(b, s + i, need + 1);
            i += need + 1;
        } else {
            rv_buf_append(b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    if (run)
        rv_buf_append(b, s + i - run, run);
    rv_buf_putc(b, '"');
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

void rv_jsonw_int(rv_jsonw *w, int64_t v)
{
    pre_value(w);
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    rv_buf_append(w->out, p, (size_t)(tmp + sizeof tmp - p));
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
