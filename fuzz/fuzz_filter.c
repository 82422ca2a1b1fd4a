/*
 * fuzz_filter.c - list filter, sort and cursor text (the CLI's --filter and
 * the API's ?filter=) parsed against a real, small database, and run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service/service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rv_store *store;

static int nop(void *ud, const rv_record *r)
{
    (void)ud;
    (void)r;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rv_err err;
    if (!store) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/revos-fuzz-filter-%d.db", (int)getpid());
        unlink(path);
        if (rv_store_open(&store, path, RV_STORE_CREATE, &err))
            abort();
    }
    if (size < 1 || size > 4096)
        return 0;
    /* split input on NUL into up to 3 filters, a sort and a cursor */
    char *buf = malloc(size + 1);
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    const char *parts[6] = {0};
    int np = 0;
    char *p = buf;
    while (np < 6 && p <= buf + size - 1) {
        parts[np++] = p;
        p += strlen(p) + 1;
    }
    rv_arena a;
    rv_arena_init(&a, 4096);
    rv_ctx c;
    rv_ctx_init(&c, store, &a);
    rv_list_req req = {.ent = rv_entities[data[0] % (unsigned)rv_entity_count], .limit = 5};
    for (int i = 0; i < np && i < 3; i++)
        req.filters[req.nfilters++] = parts[i];
    if (np > 3)
        req.sort = parts[3];
    if (np > 4)
        req.cursor = parts[4];
    rv_list_page page;
    rv_svc_list(&c, &req, nop, NULL, &page, &err);
    rv_arena_release(&a);
    free(buf);
    return 0;
}
