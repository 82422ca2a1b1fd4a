/*
 * bench_import.c - CSV import of deals against plain SQLite inserts.
 *
 *   bench_import DIR [DEALS [ACCOUNTS [PHASES]]]   (defaults 1000000, 10000, all)
 *
 * PHASES is a comma-separated subset of raw,import,reimport,import+h (for
 * profiling one of them: valgrind --tool=callgrind on a small file).
 *
 * Writes DIR/accounts.csv and DIR/deals.csv from a deterministic generator
 * (splitmix64, seed 42): deals have an external id, a name, the external
 * id of one of the accounts, a stage name, an amount and a close date.
 * Then, in the same run:
 *
 *   import   rv_import_csv() of deals.csv into a database that already
 *            holds the accounts and a pipeline: the real path (CSV reader,
 *            header mapping, rv_import_row, rv_svc_upsert with reference
 *            resolution, one transaction).  Twice: with the import
 *            supplying its own history (one row written per deal), and by
 *            default (a first stage_history row per deal as well);
 *   reimport the same file again (every row found and unchanged);
 *   raw      the same deals inserted into an identical schema (a database
 *            made by the same revos, same pragmas) with one prepared
 *            INSERT statement in one transaction, values bound directly:
 *            what SQLite itself costs, the baseline.
 *
 * Prints rows/s for each and the ratio import/raw; the goal is >= 0.5.
 * The times cover the import or insert only, not writing the CSV.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/csv.h"
#include "model/money.h"
#include "service/import.h"

static const char *const stages[] = {"Prospecting", "Proposal", "Won", "Lost"};
static const char *const stage_kind[] = {"open", "open", "won", "lost"};
static const char *const stage_prob[] = {"10", "60", "100", "0"};

static uint64_t rng = 42;
static uint64_t next_rand(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* One generated deal. */
typedef struct gdeal {
    char ext[16], name[40];
    long account; /* 0-based */
    int stage;
    int64_t cents;
    int32_t close_day;
} gdeal;

static void gen_deal(long i, long naccounts, gdeal *d)
{
    snprintf(d->ext, sizeof d->ext, "D%07ld", i + 1);
    d->account = (long)(next_rand() % (uint64_t)naccounts);
    d->stage = (int)(next_rand() % 4);
    d->cents = (int64_t)(next_rand() % 5000000) * 100 + (int64_t)(next_rand() % 100);
    d->close_day = rv_days_from_civil(2023, 1, 1) + (int32_t)(next_rand() % 730);
    snprintf(d->name, sizeof d->name, "Deal %ld for account %ld", i + 1, d->account + 1);
}

/* Seconds of CPU time used by this process (user + system).  The machine
 * may be shared: CPU time is what the work costs, wall time what it took. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct span {
    double cpu, wall;
} span;

static span span_start(void)
{
    return (span){now_s(), wall_s()};
}
static span span_end(span t0)
{
    return (span){now_s() - t0.cpu, wall_s() - t0.wall};
}

static void die(const char *what, const rv_err *err)
{
    fprintf(stderr, "bench_import: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

static void write_csvs(const char *dir, long ndeals, long naccounts)
{
    char path[1024];
    rv_buf b = RV_BUF_INIT;
    snprintf(path, sizeof path, "%s/accounts.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        die(path, NULL);
    fputs("external_id,name,industry\n", f);
    for (long i = 0; i < naccounts; i++)
        fprintf(f, "A%05ld,Account %ld,%s\n", i + 1, i + 1, i % 3 ? "software" : "retail");
    fclose(f);
    snprintf(path, sizeof path, "%s/deals.csv", dir);
    f = fopen(path, "w");
    if (!f)
        die(path, NULL);
    fputs("external_id,name,account_id,stage_id,amount,close_date\n", f);
    rng = 42;
    for (long i = 0; i < ndeals; i++) {
        gdeal d;
        gen_deal(i, naccounts, &d);
        char amount[32], day[16], acc[16];
        rv_money_format(d.cents, 2, amount, sizeof amount);
        rv_date_format(d.close_day, day, sizeof day);
        snprintf(acc, sizeof acc, "A%05ld", d.account + 1);
        const char *cells[] = {d.ext, d.name, acc, stages[d.stage], amount, day};
        rv_csv_put_row(&b, 6, cells, NULL, ',');
        if (b.len > (1 << 20)) {
            fwrite(b.data, 1, b.len, f);
            rv_buf_reset(&b);
        }
    }
    fwrite(b.data ? b.data : "", 1, b.len, f);
    fclose(f);
    rv_buf_release(&b);
}

static rv_store *fresh_db(const char *dir, const char *name)
{
    char path[1024], side[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rv_store *s;
    rv_err err;
    if (rv_store_open(&s, path, RV_STORE_CREATE, &err))
        die("open", &err);
    return s;
}

/* A database with the pipeline and the accounts (imported too: timed apart). */
static void seed(rv_ctx *c, const char *dir, span *acc_secs)
{
    rv_err err;
    rv_import *im;
    if (rv_import_begin(c, NULL, &im, &err))
        die("begin", &err);
    const char *pf[] = {"external_id", "name", "is_default"};
    const char *pv[] = {"bench", "Bench", "true"};
    rv_import_row(im, rv_entity_find("pipelines"), 3, pf, pv, NULL, 1);
    for (int k = 0; k < 4; k++) {
        char ext[32], pos[8];
        snprintf(ext, sizeof ext, "bench:%s", stages[k]);
        snprintf(pos, sizeof pos, "%d", k + 1);
        const char *sf[] = {"external_id", "pipeline_id", "name",
                            "position",    "probability", "kind"};
        const char *sv[] = {ext, "bench", stages[k], pos, stage_prob[k], stage_kind[k]};
        rv_import_row(im, rv_entity_find("stages"), 6, sf, sv, NULL, k + 2);
    }
    rv_import_report rep;
    rv_import_report_init(&rep);
    if (rv_import_end(im, &rep, &err))
        die("pipeline", &err);
    rv_import_report_release(&rep);
    char path[1024];
    snprintf(path, sizeof path, "%s/accounts.csv", dir);
    span t0 = span_start();
    if (rv_import_csv(c, rv_entity_find("accounts"), path, NULL, &rep, &err))
        die("accounts", &err);
    *acc_secs = span_end(t0);
    rv_import_report_release(&rep);
}

/* Import deals.csv; returns the time it took. */
static span import_deals(rv_ctx *c, const char *dir, bool history_supplied, long want_created,
                         long want_unchanged)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/deals.csv", dir);
    rv_csv_import_opts o = {.import.history_supplied = history_supplied};
    rv_import_report rep;
    rv_import_report_init(&rep);
    rv_err err;
    span t0 = span_start();
    rv_status st = rv_import_csv(c, rv_entity_find("deals"), path, &o, &rep, &err);
    span secs = span_end(t0);
    if (st) {
        char line[1024];
        fprintf(stderr, "%s\n",
                rep.nrejects ? rv_import_reject_text(&rep.rejects[0], line, sizeof line) : "");
        die("deals", &err);
    }
    const rv_import_count *n = &rep.counts[rv_entity_find("deals")->index];
    if (n->created != want_created || n->unchanged != want_unchanged) {
        fprintf(stderr, "bench_import: unexpected counts %lld created, %lld unchanged\n",
                (long long)n->created, (long long)n->unchanged);
        exit(1);
    }
    rv_import_report_release(&rep);
    return secs;
}

static void sql(sqlite3 *db, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "bench_import: %s: %s\n", q, msg);
        exit(1);
    }
}

/* The baseline: the same deals, one prepared INSERT, one transaction. */
static span raw_insert(const char *dir, long ndeals, long naccounts)
{
    rv_store *s = fresh_db(dir, "raw.db");
    rv_store_close(s); /* the schema revos makes; from here on plain SQLite */
    char path[1024];
    snprintf(path, sizeof path, "%s/raw.db", dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("open raw", NULL);
    sql(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; "
            "PRAGMA journal_mode = WAL; PRAGMA cache_size = -262144");
    sql(db, "BEGIN");
    sql(db, "INSERT INTO pipelines (id, external_id, name, is_default, created_at, updated_at) "
            "VALUES (1, 'bench', 'Bench', 1, 0, 0)");
    for (int k = 0; k < 4; k++) {
        char q[400];
        snprintf(q, sizeof q,
                 "INSERT INTO stages (id, external_id, pipeline_id, name, position, probability, "
                 "kind, forecast_category, created_at, updated_at) VALUES (%d, 'bench:%s', 1, "
                 "'%s', %d, %s, '%s', 'pipeline', 0, 0)",
                 k + 1, stages[k], stages[k], k + 1, stage_prob[k], stage_kind[k]);
        sql(db, q);
    }
    sqlite3_stmt *acc;
    sqlite3_prepare_v2(db,
                       "INSERT INTO accounts (id, external_id, name, industry, currency, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, 'USD', 0, 0)",
                       -1, &acc, NULL);
    for (long i = 0; i < naccounts; i++) {
        char ext[16], name[32];
        snprintf(ext, sizeof ext, "A%05ld", i + 1);
        snprintf(name, sizeof name, "Account %ld", i + 1);
        sqlite3_bind_int64(acc, 1, i + 1);
        sqlite3_bind_text(acc, 2, ext, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(acc, 3, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(acc, 4, i % 3 ? "software" : "retail", -1, SQLITE_STATIC);
        sqlite3_step(acc);
        sqlite3_reset(acc);
    }
    sqlite3_finalize(acc);
    sql(db, "COMMIT");
    /* the columns revos writes for such a deal: all of them, as its insert does */
    const rv_entity *e = rv_entity_find("deals");
    rv_buf q = RV_BUF_INIT;
    rv_buf_puts(&q, "INSERT INTO deals (");
    for (int i = 0; i < e->nfields; i++)
        rv_buf_printf(&q, "%s, ", e->fields[i].name);
    rv_buf_puts(&q, "created_at, updated_at) VALUES (");
    for (int i = 0; i < e->nfields + 2; i++)
        rv_buf_puts(&q, i ? ", ?" : "?");
    rv_buf_puts(&q, ")");
    int c_ext = rv_field_index(e, "external_id") + 1, c_name = rv_field_index(e, "name") + 1;
    int c_acc = rv_field_index(e, "account_id") + 1, c_pipe = rv_field_index(e, "pipeline_id") + 1;
    int c_stage = rv_field_index(e, "stage_id") + 1, c_amount = rv_field_index(e, "amount") + 1;
    int c_cur = rv_field_index(e, "currency") + 1, c_close = rv_field_index(e, "close_date") + 1;
    int c_type = rv_field_index(e, "type") + 1, c_fc = rv_field_index(e, "forecast_category") + 1;
    int c_prob = rv_field_index(e, "probability") + 1,
        c_closed = rv_field_index(e, "closed_at") + 1;
    int c_created = e->nfields + 1, c_updated = e->nfields + 2;
    span t0 = span_start();
    sql(db, "BEGIN");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(db, rv_buf_str(&q), -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "bench_import: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    rng = 42;
    int64_t now = rv_now_ms();
    for (long i = 0; i < ndeals; i++) {
        gdeal d;
        gen_deal(i, naccounts, &d);
        sqlite3_bind_text(st, c_ext, d.ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, c_name, d.name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, c_acc, d.account + 1);
        sqlite3_bind_int64(st, c_pipe, 1);
        sqlite3_bind_int64(st, c_stage, d.stage + 1);
        sqlite3_bind_int64(st, c_amount, d.cents);
        sqlite3_bind_text(st, c_cur, "USD", 3, SQLITE_STATIC);
        sqlite3_bind_int64(st, c_close, d.close_day);
        sqlite3_bind_text(st, c_type, "new", 3, SQLITE_STATIC);
        const char *fc = d.stage == 2 ? "closed" : d.stage == 3 ? "omitted" : "pipeline";
        sqlite3_bind_text(st, c_fc, fc, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, c_prob, atoi(stage_prob[d.stage]));
        if (d.stage >= 2)
            sqlite3_bind_int64(st, c_closed, now);
        else
            sqlite3_bind_null(st, c_closed);
        sqlite3_bind_int64(st, c_created, now);
        sqlite3_bind_int64(st, c_updated, now);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "bench_import: raw insert: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sql(db, "COMMIT");
    span secs = span_end(t0);
    rv_buf_release(&q);
    sqlite3_close(db);
    return secs;
}

static bool phase(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, name, n))
            return true;
        p += k;
        if (*p == ',')
            p++;
    }
    return false;
}

static void show(const char *label, long rows, span t, const span *raw, const char *what)
{
    printf("%-9s %8.0f rows/s cpu  %8.0f rows/s wall  (%.2f s cpu, %.2f s wall)", label,
           rows / t.cpu, rows / t.wall, t.cpu, t.wall);
    if (raw)
        printf("  ratio %.2f", raw->cpu / t.cpu);
    printf("  %s\n", what);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_import DIR [DEALS [ACCOUNTS]]\n");
        return 2;
    }
    const char *dir = argv[1];
    long ndeals = argc > 2 ? atol(argv[2]) : 1000000;
    long naccounts = argc > 3 ? atol(argv[3]) : 10000;
    const char *phases = argc > 4 ? argv[4] : "raw,import,reimport,import+h";
    if (ndeals < 1 || naccounts < 1)
        return 2;
    span t0 = span_start();
    write_csvs(dir, ndeals, naccounts);
    printf("csv: %ld deals, %ld accounts written in %.2f s; rates below are rows per second of "
           "CPU time (the ratio too) and of wall time\n",
           ndeals, naccounts, span_end(t0).wall);

    span raw = {0, 0}, imp1 = {0, 0}, imp2 = {0, 0}, acc;
    if (phase(phases, "raw")) {
        raw = raw_insert(dir, ndeals, naccounts);
        show("raw", ndeals, raw, NULL, "prepared INSERT into the same schema, one transaction");
    }
    const span *base = raw.cpu > 0 ? &raw : NULL;
    rv_arena a;
    rv_arena_init(&a, 1 << 16);
    rv_ctx c;
    if (phase(phases, "import") || phase(phases, "reimport")) {
        rv_store *s = fresh_db(dir, "import-nohist.db");
        rv_ctx_init(&c, s, &a);
        seed(&c, dir, &acc);
        imp1 = import_deals(&c, dir, true, ndeals, 0);
        show("import", ndeals, imp1, base,
             "rv_import_csv, history supplied: 1 row written per deal");
        show("accounts", naccounts, acc, NULL, "rv_import_csv of accounts.csv (3 columns)");
        if (phase(phases, "reimport")) {
            span re = import_deals(&c, dir, true, 0, ndeals);
            show("reimport", ndeals, re, base, "the same file again: every row found, unchanged");
        }
        rv_store_close(s);
    }
    if (phase(phases, "import+h")) {
        rv_store *s = fresh_db(dir, "import.db");
        rv_ctx_init(&c, s, &a);
        seed(&c, dir, &acc);
        imp2 = import_deals(&c, dir, false, ndeals, 0);
        show("import+h", ndeals, imp2, base,
             "rv_import_csv, default: deal + first stage_history row");
        rv_store_close(s);
    }
    rv_arena_release(&a);
    if (base && imp1.cpu > 0 && imp2.cpu > 0)
        printf("ratio import/raw (cpu): %.2f (goal >= 0.50); with the history row: %.2f\n",
               raw.cpu / imp1.cpu, raw.cpu / imp2.cpu);
    return 0;
}
