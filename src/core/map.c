/*
 * map.c - string -> int64 hash map (see map.h).  FNV-1a hashing; the table
 * doubles at 50% load so probes stay short.
 */
#include "core/map.h"

#include <stdlib.h>
#include <string.h>

uint64_t rv_hash(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

void rv_map_init(rv_map *m)
{
    m->slots = NULL;
    m->cap = m->n = 0;
    rv_arena_init(&m->keys, 1 << 16);
}

void rv_map_release(rv_map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
    rv_arena_release(&m->keys);
}

void rv_map_clear(rv_map *m)
{
    rv_map_release(m);
    rv_map_init(m);
}

bool rv_map_get(const rv_map *m, const char *key, size_t len, int64_t *val)
{
    if (!m->cap)
        return false;
    uint64_t h = rv_hash(key, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const rv_map_slot *s = &m->slots[i];
        if (!s->key)
            return false;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            *val = s->val;
            return true;
        }
    }
}

static void insert_slot(rv_map_slot *slots, size_t cap, rv_map_slot s)
{
    for (size_t i = s.hash & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!slots[i].key) {
            slots[i] = s;
            return;
        }
}

void rv_map_put(rv_map *m, const char *key, size_t len, int64_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        rv_map_slot *ns = rv_xcalloc(ncap, sizeof *ns);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                insert_slot(ns, ncap, m->slots[i]);
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    uint64_t h = rv_hash(key, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        rv_map_slot *s = &m->slots[i];
        if (!s->key) {
            s->key = rv_arena_strndup(&m->keys, key, len);
            s->len = (uint32_t)len;
            s->hash = h;
            s->val = val;
            m->n++;
            return;
        }
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            s->val = val;
            return;
        }
    }
}
