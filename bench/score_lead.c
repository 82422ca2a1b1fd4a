/*
 * score_lead.c - the cost of scoring one lead with its reasons
 * (rv_score_lead: read the lead, count its touches and activities, build
 * its features, predict and explain with the active model), against the
 * baseline of reading the same lead (rv_svc_get), in the same run on the
 * same database.
 *
 * usage: score_lead DB
 *
 * Prints the mean and the 99th percentile of each, and their ratio.  The
 * first scoring call parses the model and is reported on its own line.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "service/score.h"

#define N 5000

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: score_lead DB\n");
        return 2;
    }
    rv_store *s;
    rv_err e;
    if (rv_store_open(&s, argv[1], 0, &e)) {
        fprintf(stderr, "score_lead: %s\n", e.message);
        return 1;
    }
    rv_arena a;
    rv_arena_init(&a, 1 << 16);
    rv_ctx c;
    rv_ctx_init(&c, s, &a);
    const rv_entity *le = rv_entity_find("leads");
    int64_t nleads = 0;
    rv_query q;
    rv_query_init(&q, le);
    rv_store_count(s, &q, &nleads, &e);
    static double tg[N], ts[N];
    rv_score_result r;
    double t0 = now();
    if (rv_score_lead(&c, 1, &r, &e)) {
        fprintf(stderr, "score_lead: %s\n", e.message);
        return 1;
    }
    double first = now() - t0;
    for (int i = 0; i < N; i++) {
        int64_t id = 1 + i % nleads;
        rv_record rec;
        double t1 = now();
        if (rv_svc_get(&c, le, id, &rec, &e))
            return 1;
        double t2 = now();
        if (rv_score_lead(&c, id, &r, &e))
            return 1;
        double t3 = now();
        tg[i] = t2 - t1, ts[i] = t3 - t2;
        rv_arena_reset(&a);
    }
    double mg = 0, ms = 0;
    for (int i = 0; i < N; i++)
        mg += tg[i], ms += ts[i];
    mg /= N, ms /= N;
    qsort(tg, N, sizeof *tg, cmp);
    qsort(ts, N, sizeof *ts, cmp);
    printf("%d leads of %lld, model %s version %lld\n", N, (long long)nleads,
           r.kind == RV_MODEL_LR ? "lr" : "gbt", (long long)r.version);
    printf("read the lead   mean %7.1f us  p99 %7.1f us  (baseline)\n", mg * 1e6,
           tg[N * 99 / 100] * 1e6);
    printf("score + explain mean %7.1f us  p99 %7.1f us  ratio to baseline %.1fx\n", ms * 1e6,
           ts[N * 99 / 100] * 1e6, ms / mg);
    printf("first call (parses the model) %.1f us\n", first * 1e6);
    rv_store_close(s);
    rv_arena_release(&a);
    return 0;
}
