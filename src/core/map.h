/*
 * map.h - a string -> int64 hash map (open addressing, linear probing).
 *
 * Used where a hot loop resolves names to ids: an import resolves every
 * reference of every row (1M deals x 4 references), so the service layer
 * remembers what it has looked up.  Keys are copied into the map's arena.
 * Not thread-safe.
 */
#ifndef RV_MAP_H
#define RV_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct rv_map_slot {
    const char *key;
    uint32_t len;
    uint64_t hash;
    int64_t val;
} rv_map_slot;

typedef struct rv_map {
    rv_map_slot *slots;
    size_t cap, n;
    rv_arena keys;
} rv_map;

void rv_map_init(rv_map *m);
void rv_map_release(rv_map *m);
void rv_map_clear(rv_map *m);
bool rv_map_get(const rv_map *m, const char *key, size_t len, int64_t *val);
void rv_map_put(rv_map *m, const char *key, size_t len, int64_t val);
uint64_t rv_hash(const void *p, size_t len);

#endif
