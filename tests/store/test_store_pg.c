/*
 * test_store_pg.c - what only the PostgreSQL backend has to prove: the
 * counterparts of test_store.c's SQLite-file tests (a newer schema is
 * refused, a failed migration changes nothing), MVCC readers beside a
 * writer, writers serialised like SQLite's, SQLite's statement semantics
 * inside a transaction, long lists read in chunks, reconnecting after the
 * server drops the connection, and passwords kept out of messages.  Runs only in the "[pg]" half of
 * tests/run.sh (REVOS_TEST_PG_URL set); on SQLite it prints one line and exits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static void newer_schema_refused(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("pgnewer");
    char sql[100];
    snprintf(sql, sizeof sql, "UPDATE revos_schema_version SET version = %d",
             rv_schema_version() + 1);
    tu_pg_exec(t->path, sql);
    rv_store *s;
    rv_err err;
    assert_int_equal(rv_store_open(&s, t->path, 0, &err), RV_EINVAL);
    char want[600];
    snprintf(want, sizeof want,
             "database '%s' has schema version %d, newer than this revos (%d); upgrade revos",
             t->path, rv_schema_version() + 1, rv_schema_version());
    assert_string_equal(err.message, want);
    tu_env_free(t);
}

static void failed_migration_changes_nothing(void **state)
{
    (void)state;
    /* a foreign database that already has a "deals" table */
    char *url = tu_pg_create("pgforeign");
    tu_pg_exec(url, "CREATE TABLE deals (x integer); INSERT INTO deals VALUES (7)");
    rv_store *s;
    rv_err err;
    assert_int_not_equal(rv_store_open(&s, url, 0, &err), RV_OK);
    assert_non_null(strstr(err.message, "migrating"));
    assert_non_null(strstr(err.message, "relation \"deals\" already exists"));
    /* only the foreign table, untouched; no version table; no sequences */
    assert_int_equal(tu_pg_int(url, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
                                    "n.oid = c.relnamespace WHERE n.nspname = current_schema()"),
                     1);
    assert_int_equal(tu_pg_int(url, "SELECT x FROM deals"), 7);
    assert_int_equal(tu_pg_int(url, "SELECT to_regclass('revos_schema_version') IS NULL"), 1);
    /* and a second attempt fails the same way (nothing half-done in between) */
    assert_int_not_equal(rv_store_open(&s, url, 0, &err), RV_OK);
    assert_non_null(strstr(err.message, "relation \"deals\" already exists"));
    tu_pg_drop(url);
    free(url);
}

static void reader_snapshot_beside_writer(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("pgmvcc");
    tu_create(t, "accounts", "{\"name\":\"Before\"}");
    rv_store *reader;
    rv_err err;
    assert_int_equal(rv_store_open(&reader, t->path, RV_STORE_READONLY, &err), RV_OK);
    rv_query q;
    rv_query_init(&q, rv_entity_find("accounts"));
    int64_t n = -1, v0 = rv_store_data_version(reader);
    /* a read transaction keeps one snapshot through a writer's commit */
    assert_int_equal(rv_store_begin_read(reader, &err), RV_OK);
    assert_int_equal(rv_store_count(reader, &q, &n, &err), RV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rv_store_begin(t->store, &err), RV_OK);
    tu_create(t, "accounts", "{\"name\":\"During\"}");
    assert_int_equal(rv_store_count(reader, &q, &n, &err), RV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rv_store_commit(t->store, &err), RV_OK);
    assert_int_equal(rv_store_count(reader, &q, &n, &err), RV_OK);
    assert_int_equal(n, 1);
    rv_store_rollback(reader);
    /* outside it, the committed write is visible and noticed */
    assert_int_equal(rv_store_count(reader, &q, &n, &err), RV_OK);
    assert_int_equal(n, 2);
    assert_true(rv_store_data_version(reader) != v0);
    /* a read-only store refuses writes */
    rv_record r;
    rv_record_init(&r, rv_entity_find("accounts"));
    r.v[rv_field_index(r.ent, "name")] = (rv_val){.s = "No", .len = 2, .state = RV_V_SET};
    r.created_at = r.updated_at = 1;
    assert_int_not_equal(rv_store_insert(reader, &r, &err), RV_OK);
    assert_non_null(strstr(err.message, "read-only"));
    rv_store_close(reader);
    tu_env_free(t);
}

typedef struct second_writer {
    const char *url;
    int64_t began_ms;
    rv_status st;
} second_writer;

static void *second_writer_run(void *ud)
{
    second_writer *w = ud;
    rv_store *s;
    rv_err err;
    w->st = rv_store_open(&s, w->url, 0, &err);
    if (w->st)
        return NULL;
    w->st = rv_store_begin(s, &err);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    w->began_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (!w->st)
        w->st = rv_store_commit(s, &err);
    rv_store_close(s);
    return NULL;
}

static void writers_are_serialised(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("pgwriters");
    rv_err err;
    assert_int_equal(rv_store_begin(t->store, &err), RV_OK);
    second_writer w = {.url = t->path};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, second_writer_run, &w), 0);
    usleep(300 * 1000);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t commit_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    assert_int_equal(rv_store_commit(t->store, &err), RV_OK);
    pthread_join(th, NULL);
    assert_int_equal(w.st, RV_OK);
    /* the second writer's begin returned only once the first committed */
    assert_true(w.began_ms >= commit_ms);
    tu_env_free(t);
}

static void failed_write_keeps_the_transaction(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("pgsavepoint");
    rv_err err;
    assert_int_equal(rv_store_begin(t->store, &err), RV_OK);
    tu_create(t, "users", "{\"name\":\"A\",\"email\":\"a@x.io\"}");
    /* below the service layer, so the database's unique index answers */
    const rv_entity *u = rv_entity_find("users");
    rv_record r;
    rv_record_init(&r, u);
    r.v[rv_field_index(u, "name")] = (rv_val){.s = "B", .len = 1, .state = RV_V_SET};
    r.v[rv_field_index(u, "email")] = (rv_val){.s = "A@x.io", .len = 6, .state = RV_V_SET};
    r.created_at = r.updated_at = 5;
    assert_int_equal(rv_store_insert(t->store, &r, &err), RV_ECONFLICT);
    assert_string_equal(err.message, "another user already has email 'A@x.io'");
    assert_string_equal(err.field, "email");
    /* a bad reference is RV_EREF */
    r.v[rv_field_index(u, "email")] = (rv_val){.s = "b@x.io", .len = 6, .state = RV_V_SET};
    r.v[rv_field_index(u, "team_id")] = (rv_val){.i = 99, .state = RV_V_SET};
    assert_int_equal(rv_store_insert(t->store, &r, &err), RV_EREF);
    assert_string_equal(err.message, "user refers to a record that does not exist");
    /* the transaction goes on, as on SQLite */
    r.v[rv_field_index(u, "team_id")] = (rv_val){.state = RV_V_NULL};
    assert_int_equal(rv_store_insert(t->store, &r, &err), RV_OK);
    assert_int_equal(rv_store_commit(t->store, &err), RV_OK);
    assert_int_equal(tu_count(t, "users"), 2);
    /* lookups by name ignore case; external ids do not */
    int64_t id = 0;
    assert_int_equal(
        rv_store_find(t->store, u, rv_field_index(u, "email"), "B@X.IO", 6, -1, 0, &id, &err),
        RV_OK);
    assert_int_equal(id, r.id);
    tu_env_free(t);
}

typedef struct walk {
    rv_store *s;
    int64_t n, weighted;
    bool nested_ok;
} walk;

static int walk_row(void *ud, const rv_record *r)
{
    walk *w = ud;
    w->n++;
    w->weighted += r->id * w->n;
    /* the connection is free while the callback runs */
    if (w->n % 700 == 0 && !rv_store_exists(w->s, r->ent, r->id))
        w->nested_ok = false;
    return 0;
}

static void long_lists_in_chunks(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("pgchunks");
    /* 2500 accounts, a third with a NULL industry, many ties */
    tu_pg_exec(t->path, "INSERT INTO accounts (name, industry, currency, created_at, updated_at) "
                        "SELECT 'a' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'ind' || (g % 7) END, "
                        "'USD', g, g FROM generate_series(1, 2500) g");
    const rv_entity *e = rv_entity_find("accounts");
    for (int desc = 0; desc <= 1; desc++) {
        for (int limit = 0; limit <= 2100; limit += 2100) {
            rv_query q;
            rv_query_init(&q, e);
            q.sort_field = rv_field_index(e, "industry");
            q.desc = desc;
            q.limit = limit;
            walk w = {.s = t->store, .nested_ok = true};
            rv_err err;
            assert_int_equal(rv_store_list(t->store, &q, walk_row, &w, &err), RV_OK);
            assert_int_equal(w.n, limit ? limit : 2500);
            char sql[300];
            snprintf(sql, sizeof sql,
                     "SELECT sum(id * rn) FROM (SELECT id, row_number() OVER (ORDER BY "
                     "industry %s, id %s) rn FROM accounts) x WHERE %d = 0 OR rn <= %d",
                     desc ? "DESC NULLS LAST" : "ASC NULLS FIRST", desc ? "DESC" : "ASC", limit,
                     limit);
            if (w.weighted != tu_sql_int(t, sql))
                fail_msg("desc=%d limit=%d: order differs from SQL's", desc, limit);
            assert_true(w.nested_ok);
        }
    }
    tu_env_free(t);
}

static void reconnects_after_a_dropped_connection(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("pgreset");
    int64_t id = tu_create(t, "accounts", "{\"name\":\"Kept\"}");
    const rv_entity *e = rv_entity_find("accounts");
    rv_record r;
    rv_err err;
    assert_int_equal(rv_store_get(t->store, e, id, &r, &t->arena, &err), RV_OK);
    /* the server ends every other session on the database (the store's) */
    tu_pg_exec(t->path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid()");
    /* the operation that finds out fails; the next one reconnects */
    usleep(100 * 1000);
    assert_int_equal(rv_store_get(t->store, e, id, &r, &t->arena, &err), RV_EIO);
    assert_int_equal(rv_store_get(t->store, e, id, &r, &t->arena, &err), RV_OK);
    assert_string_equal(r.v[rv_field_index(e, "name")].s, "Kept");
    tu_create(t, "accounts", "{\"name\":\"After\"}");
    assert_int_equal(tu_count(t, "accounts"), 2);
    tu_env_free(t);
}

static void password_not_in_messages(void **state)
{
    (void)state;
    rv_store *s;
    rv_err err;
    assert_int_equal(rv_store_open(&s, "postgres://ann:s3cret@127.0.0.1:1/nodb", 0, &err), RV_EIO);
    assert_null(strstr(err.message, "s3cret"));
    assert_non_null(
        strstr(err.message, "cannot open database 'postgres://ann:***@127.0.0.1:1/nodb'"));
}

int main(void)
{
    if (!tu_pg()) {
        printf("test_store_pg: PostgreSQL only; runs in the [pg] half of tests/run.sh\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(newer_schema_refused),
        cmocka_unit_test(failed_migration_changes_nothing),
        cmocka_unit_test(reader_snapshot_beside_writer),
        cmocka_unit_test(writers_are_serialised),
        cmocka_unit_test(failed_write_keeps_the_transaction),
        cmocka_unit_test(long_lists_in_chunks),
        cmocka_unit_test(reconnects_after_a_dropped_connection),
        cmocka_unit_test(password_not_in_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
