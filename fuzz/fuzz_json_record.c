/*
 * fuzz_json_record.c - JSON request bodies into records of every entity:
 * jansson parse, rv_record_from_json, rv_record_finish, and writing the
 * record back as JSON.  Must never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/jsonw.h"
#include "model/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const rv_entity *e = rv_entities[data[0] % (unsigned)rv_entity_count];
    json_error_t je;
    json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return 0;
    rv_arena a;
    rv_arena_init(&a, 4096);
    rv_record r;
    rv_record_init(&r, e);
    rv_err err;
    if (rv_record_from_json(&r, j, data[0] & 0x80, &a, &err) == RV_OK &&
        rv_record_finish(&r, "USD", &err) == RV_OK) {
        /* references stay RAW without a store; print what is SET */
        for (int i = 0; i < e->nfields; i++)
            if (r.v[i].state == RV_V_RAW)
                r.v[i].state = RV_V_NULL;
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, false);
        rv_record_to_json(&r, &w);
        json_t *back = json_loadb(b.data, b.len, 0, NULL);
        if (!back)
            __builtin_trap(); /* our output must always be valid JSON */
        json_decref(back);
        rv_buf_release(&b);
    }
    json_decref(j);
    rv_arena_release(&a);
    return 0;
}
