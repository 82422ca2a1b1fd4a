/*
 * buf.c - growable buffer and bump arena (see buf.h).
 */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *rv_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "revos: out of memory (%zu bytes)\n", n);
        abort();
    }
    return p;
}

void *rv_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) {
        fprintf(stderr, "revos: out of memory (%zu x %zu bytes)\n", n, m);
        abort();
    }
    return p;
}

void *rv_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "revos: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

char *rv_xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = rv_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

void rv_buf_init(rv_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->limit = limit;
}

void rv_buf_release(rv_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void rv_buf_reset(rv_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

rv_status rv_buf_reserve(rv_buf *b, size_t extra)
{
    if (b->limit && b->len + extra > b->limit)
        return RV_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return RV_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = rv_xrealloc(b->data, cap);
    b->cap = cap;
    return RV_OK;
}

rv_status rv_buf_append(rv_buf *b, const void *p, size_t n)
{
    rv_status st = rv_buf_reserve(b, n);
    if (st)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return RV_OK;
}

rv_status rv_buf_puts(rv_buf *b, const char *s) { return rv_buf_append(b, s, strlen(s)); }

rv_status rv_buf_putc(rv_buf *b, char c)
{
    if (b->len + 2 <= b->cap && (!b->limit || b->len < b->limit)) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return RV_OK;
    }
    return rv_buf_append(b, &c, 1);
}

rv_status rv_buf_vprintf(rv_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, cp);
    va_end(cp);
    if (n < 0)
        return RV_EINTERNAL;
    if ((size_t)n < sizeof tmp)
        return rv_buf_append(b, tmp, (size_t)n);
    rv_status st = rv_buf_reserve(b, (size_t)n);
    if (st)
        return st;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return RV_OK;
}

rv_status rv_buf_printf(rv_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rv_status st = rv_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

const char *rv_buf_str(const rv_buf *b) { return b->data ? b->data : ""; }

char *rv_buf_detach(rv_buf *b, size_t *len)
{
    if (!b->data) {
        rv_buf_reserve(b, 0);
        b->data[0] = '\0'; /* the promise: NUL-terminated, also when empty */
    }
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

struct rv_arena_block {
    rv_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char mem[];
};

void rv_arena_init(rv_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 8192;
}

void rv_arena_release(rv_arena *a)
{
    rv_arena_block *b = a->head;
    while (b) {
        rv_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

void rv_arena_reset(rv_arena *a)
{
    if (!a->head)
        return;
    rv_arena_block *keep = a->head;
    while (keep->next) {
        rv_arena_block *n = keep->next;
        keep->next = NULL;
        free(keep);
        keep = n;
    }
    /* keep is now the oldest (first) block */
    keep->used = 0;
    keep->next = NULL;
    a->head = keep;
}

void *rv_arena_alloc(rv_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    rv_arena_block *b = a->head;
    if (!b || b->used + n > b->size) {
        size_t sz = n > a->block_size ? n : a->block_size;
        rv_arena_block *nb = rv_xmalloc(sizeof *nb + sz);
        nb->size = sz;
        nb->used = 0;
        if (b && n > a->block_size) {
            /* oversized: put it behind the current block so the current
             * block keeps serving small allocations */
            nb->next = b->next;
            b->next = nb;
            nb->used = n;
            return nb->mem;
        }
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

void *rv_arena_zalloc(rv_arena *a, size_t n)
{
    void *p = rv_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *rv_arena_strndup(rv_arena *a, const char *s, size_t n)
{
    char *p = rv_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *rv_arena_strdup(rv_arena *a, const char *s) { return rv_arena_strndup(a, s, strlen(s)); }

char *rv_arena_printf(rv_arena *a, const char *fmt, ...)
{
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *p = rv_arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
