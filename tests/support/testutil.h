/*
 * testutil.h - shared helpers for the cmocka suites.
 *
 * Every suite includes this instead of cmocka.h directly.  Databases are
 * created in $REVOS_TEST_TMP (tests/run.sh makes one) or /tmp.
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
    char *path;
    rv_store *store;
    rv_arena arena;
    rv_ctx ctx;
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
/* Count rows of an entity. */
int64_t tu_count(tu_env *t, const char *entity);
/* One scalar from plain SQL on the database file (independent check). */
int64_t tu_sql_int(tu_env *t, const char *sql);

/* The shared datasets folder, or NULL (after skip()) when absent and not CI.
 * Under CI=true a missing folder fails the test. */
const char *tu_datasets(void);
/* Path to a dataset file (static buffer), or skips/fails as above. */
const char *tu_dataset_file(const char *rel);

#endif
