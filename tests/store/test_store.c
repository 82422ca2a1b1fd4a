/*
 * test_store.c - the store on either backend (see testutil.h): schema and
 * migrations, a round trip of every field of every entity, readers beside a
 * writer, and keyset paging (including NULL sort values) against SQL's own
 * ORDER BY.  The tests that build SQLite files by hand skip on PostgreSQL;
 * test_store_pg.c has their PostgreSQL counterparts.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/money.h"
#include "testutil.h"

static void schema_version_and_reopen(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("store");
    assert_int_equal(rv_store_schema_version(t->store), rv_schema_version());
    rv_store *again;
    rv_err err;
    assert_int_equal(rv_store_open(&again, t->path, 0, &err), RV_OK);
    assert_int_equal(rv_store_schema_version(again), rv_schema_version());
    rv_store_close(again);
    /* a table per entity */
    for (int i = 0; rv_entities[i]; i++)
        assert_int_equal(tu_table_exists(t, rv_entities[i]->name), 1);
    tu_env_free(t);
}

static void newer_schema_refused(void **state)
{
    (void)state;
    tu_skip_on_pg("writes a SQLite file by hand (see test_store_pg.c)");
    char *path = tu_db_path("newer");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[100];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", rv_schema_version() + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rv_store *s;
    rv_err err;
    assert_int_equal(rv_store_open(&s, path, 0, &err), RV_EINVAL);
    char want[600];
    snprintf(want, sizeof want,
             "database '%s' has schema version %d, newer than this revos (%d); upgrade revos", path,
             rv_schema_version() + 1, rv_schema_version());
    assert_string_equal(err.message, want);
    unlink(path);
    free(path);
}

static void failed_migration_changes_nothing(void **state)
{
    (void)state;
    tu_skip_on_pg("writes a SQLite file by hand (see test_store_pg.c)");
    /* a foreign SQLite file that already has a "deals" table */
    char *path = tu_db_path("foreign");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE deals (x INTEGER); INSERT INTO deals VALUES (7)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    rv_store *s;
    rv_err err;
    assert_int_not_equal(rv_store_open(&s, path, 0, &err), RV_OK);
    assert_non_null(strstr(err.message, "migrating"));
    assert_non_null(strstr(err.message, "table deals already exists"));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_master), "
                                            "(SELECT x FROM deals), (SELECT user_version FROM "
                                            "pragma_user_version)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1); /* only the foreign table */
    assert_int_equal(sqlite3_column_int(st, 1), 7);
    assert_int_equal(sqlite3_column_int(st, 2), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(path);
    free(path);
}

/* A value of the field's type, different for each seed. */
static void sample_value(const rv_field *f, int seed, rv_val *v, char *buf, size_t cap)
{
    memset(v, 0, sizeof *v);
    v->state = RV_V_SET;
    switch (f->type) {
    case RV_FT_INT:
        v->i = (f->min || f->max) ? f->min + seed % (f->max - f->min + 1) : 1000000007LL * seed;
        break;
    case RV_FT_MONEY:
        v->i = 123456789012LL + seed;
        break;
    case RV_FT_DATE:
        v->i = rv_days_from_civil(2024, 2, 29) + seed;
        break;
    case RV_FT_TS:
        v->i = 1795445009123LL + seed;
        break;
    case RV_FT_BOOL:
        v->i = seed & 1;
        break;
    case RV_FT_REF:
        v->state = RV_V_NULL; /* referenced rows do not exist here */
        break;
    case RV_FT_ENUM: {
        int n = 0;
        while (f->values[n])
            n++;
        v->s = f->values[seed % n];
        v->len = (uint32_t)strlen(v->s);
        break;
    }
    case RV_FT_CURRENCY:
        v->s = seed & 1 ? "EUR" : "JPY";
        v->len = 3;
        break;
    case RV_FT_JSON:
        snprintf(buf, cap, "{\"k\":%d,\"s\":\"\\u00e9\"}", seed);
        v->s = buf;
        v->len = (uint32_t)strlen(buf);
        break;
    default:
        snprintf(buf, cap, "%s-%d-\xc3\xa9\xe2\x82\xac 'q\"", f->name, seed);
        v->s = buf;
        v->len = (uint32_t)strlen(buf);
    }
}

static void round_trip_every_entity(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("roundtrip");
    static char bufs[RV_MAX_FIELDS][128];
    rv_err err;
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        for (int seed = 1; seed <= 3; seed++) {
            rv_record r;
            rv_record_init(&r, e);
            for (int i = 0; i < e->nfields; i++)
                sample_value(&e->fields[i], seed + i, &r.v[i], bufs[i], sizeof bufs[i]);
            /* required references cannot be NULL: skip such entities' inserts */
            bool needs_ref = false;
            for (int i = 0; i < e->nfields; i++)
                if (e->fields[i].type == RV_FT_REF && (e->fields[i].flags & RV_F_REQUIRED))
                    needs_ref = true;
            if (needs_ref)
                break;
            r.created_at = 1000 + seed;
            r.updated_at = 2000 + seed;
            assert_int_equal(rv_store_insert(t->store, &r, &err), RV_OK);
            rv_record back;
            assert_int_equal(rv_store_get(t->store, e, r.id, &back, &t->arena, &err), RV_OK);
            for (int i = 0; i < e->nfields; i++)
                if (!rv_val_equal(&e->fields[i], &r.v[i], &back.v[i]))
                    fail_msg("%s.%s did not survive the round trip", e->name, e->fields[i].name);
            assert_int_equal(back.created_at, 1000 + seed);
            assert_int_equal(back.updated_at, 2000 + seed);
        }
    }
    tu_env_free(t);
}

static void reader_beside_writer(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("wal");
    tu_create(t, "accounts", "{\"name\":\"Before\"}");
    rv_store *reader;
    rv_err err;
    assert_int_equal(rv_store_open(&reader, t->path, 0, &err), RV_OK);
    int64_t v0 = rv_store_data_version(reader);
    assert_int_equal(rv_store_begin(t->store, &err), RV_OK);
    tu_create(t, "accounts", "{\"name\":\"During\"}");
    /* the reader is not blocked and sees the committed state only */
    rv_query q;
    rv_query_init(&q, rv_entity_find("accounts"));
    int64_t n = -1;
    assert_int_equal(rv_store_count(reader, &q, &n, &err), RV_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rv_store_commit(t->store, &err), RV_OK);
    assert_int_equal(rv_store_count(reader, &q, &n, &err), RV_OK);
    assert_int_equal(n, 2);
    /* and can tell that someone else wrote */
    assert_true(rv_store_data_version(reader) != v0);
    rv_store_close(reader);
    tu_env_free(t);
}

typedef struct ids {
    int64_t v[200];
    int n;
} ids;

static int take(void *ud, const rv_record *r)
{
    ids *a = ud;
    a->v[a->n++] = r->id;
    return 0;
}

static void keyset_paging_with_nulls(void **state)
{
    (void)state;
    tu_env *t = tu_env_new("keyset");
    tu_seed_pipeline(t);
    /* 60 deals; close_date NULL for every 4th, with ties elsewhere */
    for (int i = 0; i < 60; i++) {
        char j[200];
        if (i % 4 == 0)
            snprintf(j, sizeof j, "{\"name\":\"d%d\",\"stage_id\":\"Prospecting\"}", i);
        else
            snprintf(j, sizeof j,
                     "{\"name\":\"d%d\",\"stage_id\":\"Prospecting\",\"close_date\":\"2024-03-%02d\"}",
                     i, 1 + i % 5);
        tu_create(t, "deals", j);
    }
    for (int desc = 0; desc <= 1; desc++) {
        for (int limit = 1; limit <= 7; limit += 3) {
            ids got = {{0}, 0};
            rv_list_req req = {.ent = rv_entity_find("deals"), .limit = limit,
                               .sort = desc ? "-close_date" : "close_date"};
            char cursor[200] = "";
            rv_list_page page;
            rv_err err;
            int pages = 0;
            do {
                req.cursor = cursor[0] ? cursor : NULL;
                assert_int_equal(rv_svc_list(&t->ctx, &req, take, &got, &page, &err), RV_OK);
                snprintf(cursor, sizeof cursor, "%s", page.next_cursor);
                assert_true(++pages < 100);
            } while (page.more);
            assert_int_equal(got.n, 60);
            for (int i = 0; i < 60; i++) {
                char sql[200];
                snprintf(sql, sizeof sql,
                         "SELECT id FROM deals ORDER BY close_date %s, id %s LIMIT 1 OFFSET %d",
                         desc ? "DESC NULLS LAST" : "ASC NULLS FIRST", desc ? "DESC" : "ASC", i);
                if (got.v[i] != tu_sql_int(t, sql))
                    fail_msg("desc=%d limit=%d: row %d is %lld, SQL says %lld", desc, limit, i,
                             (long long)got.v[i], (long long)tu_sql_int(t, sql));
            }
        }
    }
    tu_env_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_version_and_reopen),
        cmocka_unit_test(newer_schema_refused),
        cmocka_unit_test(failed_migration_changes_nothing),
        cmocka_unit_test(round_trip_every_entity),
        cmocka_unit_test(reader_beside_writer),
        cmocka_unit_test(keyset_paging_with_nulls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
