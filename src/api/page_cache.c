/*
 * page_cache.c - encoded list pages kept per worker thread, for as long as
 * the database has not changed.
 *
 * Why: a list page of 20 deals costs about three times a GET by id, and
 * nearly all of the difference is reading the rows out of SQLite and
 * writing their JSON (docs/performance.md).  Dashboards and scripts ask for
 * the same pages again and again between writes, so a worker keeps the
 * bytes it answered and answers them again while nothing has changed.
 *
 * Key: the signed-in user, their role and the token's scope (record access
 * depends on nothing else that a write cannot change), the path and every
 * query parameter in request order.  Freshness: every entry belongs to one
 * data version of the worker's connection (SQLite's data_version, read
 * inside the request's read transaction, so it names the snapshot the
 * handler would read; PostgreSQL's snapshot).  A lookup at another version
 * empties the cache first.  Commits of the worker's own connection do not
 * move that version, so the server clears the cache after every request
 * that may have written (anything but GET and HEAD), exactly as it clears
 * the principal cache (service/auth.h).
 *
 * Size: PAGE_SLOTS entries, least recently used replaced first; a page
 * larger than PAGE_MAX bytes is not kept, so a worker holds at most
 * PAGE_SLOTS x PAGE_MAX bytes of pages (8 MiB).  Not thread-safe: one per
 * worker thread.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/map.h"

#define PAGE_SLOTS 32
#define PAGE_MAX ((size_t)256 << 10)

typedef struct page {
    uint64_t hash;
    char *key, *body; /* NULL key: empty slot */
    size_t klen, len;
    uint64_t used;
} page;

struct rv__page_cache {
    bool valid;
    int64_t version;
    uint64_t tick;
    page p[PAGE_SLOTS];
};

rv__page_cache *rv__page_cache_new(void) { return rv_xcalloc(1, sizeof(rv__page_cache)); }

void rv__page_cache_clear(rv__page_cache *pc)
{
    if (!pc)
        return;
    for (int i = 0; i < PAGE_SLOTS; i++) {
        free(pc->p[i].key);
        free(pc->p[i].body);
    }
    memset(pc, 0, sizeof *pc);
}

void rv__page_cache_free(rv__page_cache *pc)
{
    rv__page_cache_clear(pc);
    free(pc);
}

/* Append n:text, so that no two different lists of parts make one key. */
static void put_part(rv_buf *key, const char *text)
{
    rv_buf_printf(key, "%zu:", strlen(text));
    rv_buf_puts(key, text);
}

void rv__page_key(const rv_api_req *rq, rv_buf *key)
{
    const rv_principal *p = &rq->who;
    rv_buf_printf(key, "%lld %d %d ", (long long)p->user_id, (int)p->role, (int)p->scope);
    put_part(key, rq->path);
    for (int i = 0; i < rq->nargs; i++) {
        put_part(key, rq->args[i].key);
        if (rq->args[i].value) {
            rv_buf_putc(key, '=');
            put_part(key, rq->args[i].value);
        } else {
            rv_buf_putc(key, '.');
        }
    }
}

/* The slot of key, after emptying the cache if the version moved. */
static page *find(rv__page_cache *pc, int64_t version, const char *key, size_t klen, uint64_t h)
{
    if (!pc->valid || pc->version != version) {
        rv__page_cache_clear(pc);
        pc->valid = true;
        pc->version = version;
        return NULL;
    }
    for (int i = 0; i < PAGE_SLOTS; i++) {
        page *pg = &pc->p[i];
        if (pg->key && pg->hash == h && pg->klen == klen && !memcmp(pg->key, key, klen))
            return pg;
    }
    return NULL;
}

bool rv__page_cache_get(rv__page_cache *pc, int64_t version, const char *key, size_t klen,
                        rv_buf *out)
{
    page *pg = find(pc, version, key, klen, rv_hash(key, klen));
    if (!pg)
        return false;
    pg->used = ++pc->tick;
    rv_buf_reset(out);
    rv_buf_append(out, pg->body, pg->len);
    return true;
}

void rv__page_cache_put(rv__page_cache *pc, int64_t version, const char *key, size_t klen,
                        const char *body, size_t len)
{
    uint64_t h = rv_hash(key, klen);
    if (len > PAGE_MAX || find(pc, version, key, klen, h))
        return;
    page *victim = &pc->p[0];
    for (int i = 1; i < PAGE_SLOTS && victim->key; i++)
        if (!pc->p[i].key || pc->p[i].used < victim->used)
            victim = &pc->p[i];
    free(victim->key);
    free(victim->body);
    victim->key = rv_xmalloc(klen);
    memcpy(victim->key, key, klen);
    victim->klen = klen;
    victim->hash = h;
    victim->body = rv_xmalloc(len ? len : 1);
    memcpy(victim->body, body, len);
    victim->len = len;
    victim->used = ++pc->tick;
}
