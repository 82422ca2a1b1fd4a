/*
 * list_rows.c - the per-row cost of a listed page, split in two: reading
 * the rows (the store's list: SQLite stepping and column decoding into
 * records) and writing them as JSON (rv_record_to_json, what the API's
 * list handler does per row).  The baseline is the same list with a
 * callback that writes nothing, in the same run; the difference is the
 * JSON's cost.
 *
 *   list_rows DB [ROUNDS]
 *
 * DB holds deals (revos gen); the list is the API benchmark's filter,
 * amount >= 1000, 1000 rows a page, in one read transaction.  Each figure
 * is the best of ROUNDS (default 15) rounds of 50 pages, in microseconds
 * per row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/jsonw.h"
#include "service/service.h"

static rv_jsonw w;

static int to_json(void *ud, const rv_record *r)
{
    (void)ud;
    rv_record_to_json(r, &w);
    return 0;
}

static int nothing(void *ud, const rv_record *r)
{
    (void)ud, (void)r;
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: list_rows DB [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    rv_store *s;
    rv_err err;
    if (rv_store_open(&s, argv[1], 0, &err)) {
        fprintf(stderr, "list_rows: %s\n", err.message);
        return 1;
    }
    rv_arena a;
    rv_arena_init(&a, 8192);
    rv_ctx c;
    rv_ctx_init(&c, s, &a);
    rv_buf b = RV_BUF_INIT;
    rv_list_req req = {.ent = rv_entity_find("deals"), .filters = {"amount>=1000"},
                       .nfilters = 1, .limit = 1000};
    const int pages = 50;
    double best[2] = {1e9, 1e9};
    int64_t rows = 0;
    for (int k = 0; k < rounds; k++)
        for (int json = 0; json < 2; json++) {
            rv_list_page page;
            double t0 = now();
            for (int i = 0; i < pages; i++) {
                rv_buf_reset(&b);
                rv_jsonw_init(&w, &b, false);
                if (rv_store_begin_read(s, &err) ||
                    rv_svc_list(&c, &req, json ? to_json : nothing, NULL, &page, &err) ||
                    rv_store_commit(s, &err)) {
                    fprintf(stderr, "list_rows: %s\n", err.message);
                    return 1;
                }
            }
            rows = page.count;
            double us = (now() - t0) / (double)(pages * (rows ? rows : 1)) * 1e6;
            if (us < best[json])
                best[json] = us;
        }
    printf("%lld rows a page, %zu bytes of JSON (%.0f a row)\n", (long long)rows, b.len,
           rows ? (double)b.len / (double)rows : 0.0);
    printf("read only      %6.2f us/row\n", best[0]);
    printf("read + JSON    %6.2f us/row\n", best[1]);
    printf("JSON           %6.2f us/row (the difference)\n", best[1] - best[0]);
    rv_buf_release(&b);
    rv_arena_release(&a);
    rv_store_close(s);
    return 0;
}
