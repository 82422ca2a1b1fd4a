/*
 * buf.h - growable byte buffer and a bump arena.
 *
 * rv_buf is a NUL-terminated growable string (git's strbuf, curl's dynbuf):
 * every buffer that grows with input has a cap, and an append that would
 * pass it fails with RV_ETOOBIG instead of growing without bound.
 * rv_buf_release() frees the storage and leaves the buffer empty and usable.
 *
 * rv_arena hands out memory from large blocks and frees it all in one call:
 * a request, a CSV row or a record lives in one arena (h2o's mem pool).
 * Pointers returned by rv_arena_* stay valid until rv_arena_release().
 *
 * Neither type is thread-safe; each thread keeps its own.
 */
#ifndef RV_BUF_H
#define RV_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct rv_buf {
    char *data;   /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;   /* allocated bytes */
    size_t limit; /* 0: no limit; otherwise max len */
} rv_buf;

#define RV_BUF_INIT {NULL, 0, 0, 0}

void rv_buf_init(rv_buf *b, size_t limit);
void rv_buf_release(rv_buf *b);
/* Empty the buffer, keeping its storage. */
void rv_buf_reset(rv_buf *b);
rv_status rv_buf_reserve(rv_buf *b, size_t extra);
rv_status rv_buf_append(rv_buf *b, const void *p, size_t n);
rv_status rv_buf_puts(rv_buf *b, const char *s);
rv_status rv_buf_putc(rv_buf *b, char c);
rv_status rv_buf_printf(rv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
rv_status rv_buf_vprintf(rv_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents as a C string ("" when empty). */
const char *rv_buf_str(const rv_buf *b);
/* Hand the storage to the caller (malloc'd, NUL-terminated); b becomes empty. */
char *rv_buf_detach(rv_buf *b, size_t *len);

typedef struct rv_arena_block rv_arena_block;
typedef struct rv_arena {
    rv_arena_block *head;
    size_t block_size;
} rv_arena;

void rv_arena_init(rv_arena *a, size_t block_size);
/* Free every block. */
void rv_arena_release(rv_arena *a);
/* Keep the first block, forget everything allocated (cheap reuse per row). */
void rv_arena_reset(rv_arena *a);
/* Aligned to 16; aborts on out-of-memory (allocation failure is not a
 * recoverable condition in this program). */
void *rv_arena_alloc(rv_arena *a, size_t n);
void *rv_arena_zalloc(rv_arena *a, size_t n);
char *rv_arena_strndup(rv_arena *a, const char *s, size_t n);
char *rv_arena_strdup(rv_arena *a, const char *s);
char *rv_arena_printf(rv_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc/realloc that abort with a message on failure. */
void *rv_xmalloc(size_t n);
void *rv_xcalloc(size_t n, size_t m);
void *rv_xrealloc(void *p, size_t n);
char *rv_xstrdup(const char *s);

#endif
