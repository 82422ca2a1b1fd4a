/*
 * testutil.h - shared helpers for the cmocka suites.
 *
 * Every suite includes this instead of cmocka.h directly.  Databases are
 * created in $REVOS_TEST_TMP (tests/run.sh makes one) or /tmp.
 *
 * Two backends: when REVOS_TEST_PG_URL names a PostgreSQL server (a
 * superuser URL; tests/run.sh starts a throwaway cluster with
 * scripts/pg-cluster), tu_env_new() creates a fresh database on it per
 * fixture (t_<pid>_<n>, dropped by tu_env_free) and opens the store on its
 * URL; tu_sql_int() runs its SQL there through libpq.  Otherwise both work
 * on a fresh SQLite file.  Checks written as portable SQL therefore run
 * unchanged on both; what is inherently SQLite's skips with tu_skip_on_pg().
 */
#ifndef RV_TESTUTIL_H
#define RV_TESTUTIL_H

// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on
#include <stdbool.h>

#include "service/service.h"
#include "store/store.h"

/* A fresh database file path (unique per call); caller frees. */
char *tu_db_path(const char *name);

/* A test fixture: store + arena + ctx on a fresh database. */
typedef struct tu_env {
    char *path; /* SQLite file, or the PostgreSQL database's URL */
    rv_store *store;
    rv_arena arena;
    rv_ctx ctx;
    bool pg;
    char *pg_db;  /* database name on the server (pg only) */
    void *sql;    /* PGconn of tu_sql_int (pg only), opened on first use */
} tu_env;

tu_env *tu_env_new(const char *name);
void tu_env_free(tu_env *t);

/* Create a record from JSON text; fails the test on error unless expect is
 * not RV_OK, in which case the status is returned and err filled. */
int64_t tu_create(tu_env *t, const char *entity, const char *json);
rv_status tu_try_create(tu_env *t, const char *entity, const char *json, rv_err *err);
rv_status tu_try_update(tu_env *t, const char *entity, int64_t id, const char *json, rv_err *err);
/* A pipeline "Sales" (default) with stages Prospecting(10), Proposal(60,
 * exit criteria amount,close_date), Won(won), Lost(lost). */
void tu_seed_pipeline(tu_env *t);
/* An admin user (admin@example.com) with an admin-scope API token; sends
 * "Authorization: Bearer <token>" with every tu_http request from now on
 * and returns the token (static buffer).  Password hashing uses
 * libsodium's minimum cost in tests. */
const char *tu_admin_token(tu_env *t);
/* Count rows of an entity. */
int64_t tu_count(tu_env *t, const char *entity);
/* Fill the database of ctx with the generator's data (engine/gen.h) for
 * `deals` deals and seed, through the import service (history supplied);
 * fails the test on error. */
struct rv_ctx;
void tu_generate(struct rv_ctx *ctx, int64_t deals, uint64_t seed);
/* One scalar from plain SQL on the fixture's database, through sqlite3 or
 * libpq rather than the store (independent check).  NULL reads as 0, a
 * boolean as 0/1, a numeric as its integer part. */
int64_t tu_sql_int(tu_env *t, const char *sql);
/* The same with the SQL given as a printf format. */
int64_t tu_sql_intf(tu_env *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every row of every table of the fixture's database as text ("== table"
 * then "v1|v2|...|" per row, NULL as "NULL"), tables by name, rows by id:
 * compare a dump before and after an operation on the same backend.
 * Caller frees. */
char *tu_dump_db(tu_env *t);
/* 1 if the fixture's database has a table of that name, else 0. */
int64_t tu_table_exists(tu_env *t, const char *table);

/* true when the suites run on PostgreSQL (REVOS_TEST_PG_URL is set). */
bool tu_pg(void);
/* On PostgreSQL, print "SKIP: <why>" and skip the test; no-op on SQLite. */
void tu_skip_on_pg(const char *why);
/* PostgreSQL only: a fresh empty database on the test server; returns its
 * URL (caller frees, and drops it with tu_pg_drop). */
char *tu_pg_create(const char *name);
void tu_pg_drop(const char *url);
/* PostgreSQL only: run SQL (several statements allowed) on the database at
 * url; fails the test on error.  tu_pg_int returns one scalar as above. */
void tu_pg_exec(const char *url, const char *sql);
int64_t tu_pg_int(const char *url, const char *sql);

/* The shared datasets folder, or NULL (after skip()) when absent and not CI.
 * Under CI=true a missing folder fails the test. */
const char *tu_datasets(void);
/* Path to a dataset file (static buffer), or skips/fails as above. */
const char *tu_dataset_file(const char *rel);
/* Read a dataset CSV file (tu_dataset_file(rel)) with the CSV reader:
 * the header is skipped, every other row must have ncols cells and is
 * handed to fn. */
typedef void (*tu_csv_row_fn)(void *ud, const char *const *cells, const size_t *lens);
void tu_dataset_csv(const char *rel, int ncols, tu_csv_row_fn fn, void *ud);
/* A decimal with at most 2 decimals as hundredths ("1100.04" -> 110004,
 * "1054" -> 105400): money in the dataset files as cents, parsed here
 * rather than by the code under test.  Fails the test on anything else. */
int64_t tu_hundredths(const char *s);

/* The revos binary under test: $REVOS_BIN, else BUILD/revos next to the
 * BUILD/tests/SUITE/PROGRAM running when it is executable; NULL otherwise. */
const char *tu_revos_bin(void);

#endif
