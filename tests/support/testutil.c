/*
 * testutil.c - shared helpers for the cmocka suites (see testutil.h).
 */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_db_path(const char *name)
{
    static int seq;
    const char *dir = getenv("REVOS_TEST_TMP");
    if (!dir || !dir[0])
        dir = "/tmp";
    char *p = malloc(512);
    snprintf(p, 512, "%s/%s-%d-%d.db", dir, name, (int)getpid(), seq++);
    unlink(p);
    return p;
}

tu_env *tu_env_new(const char *name)
{
    tu_env *t = calloc(1, sizeof *t);
    t->path = tu_db_path(name);
    rv_err err;
    if (rv_store_open(&t->store, t->path, RV_STORE_CREATE, &err) != RV_OK)
        fail_msg("open %s: %s", t->path, err.message);
    rv_arena_init(&t->arena, 1 << 14);
    rv_ctx_init(&t->ctx, t->store, &t->arena);
    return t;
}

void tu_env_free(tu_env *t)
{
    if (!t)
        return;
    rv_store_close(t->store);
    rv_arena_release(&t->arena);
    char side[600];
    unlink(t->path);
    snprintf(side, sizeof side, "%s-wal", t->path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", t->path);
    unlink(side);
    free(t->path);
    free(t);
}

rv_status tu_try_create(tu_env *t, const char *entity, const char *json, rv_err *err)
{
    const rv_entity *e = rv_entity_find(entity);
    assert_non_null(e);
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    if (!j)
        fail_msg("bad test JSON: %s: %s", json, je.text);
    rv_record r;
    rv_record_init(&r, e);
    rv_status st = rv_record_from_json(&r, j, false, &t->arena, err);
    json_decref(j);
    if (st)
        return st;
    return rv_svc_create(&t->ctx, &r, err);
}

int64_t tu_create(tu_env *t, const char *entity, const char *json)
{
    const rv_entity *e = rv_entity_find(entity);
    json_t *j = json_loads(json, 0, NULL);
    if (!j)
        fail_msg("bad test JSON: %s", json);
    rv_record r;
    rv_record_init(&r, e);
    rv_err err;
    rv_status st = rv_record_from_json(&r, j, false, &t->arena, &err);
    json_decref(j);
    if (!st)
        st = rv_svc_create(&t->ctx, &r, &err);
    if (st)
        fail_msg("create %s %s: %s", entity, json, err.message);
    return r.id;
}

rv_status tu_try_update(tu_env *t, const char *entity, int64_t id, const char *json, rv_err *err)
{
    const rv_entity *e = rv_entity_find(entity);
    json_t *j = json_loads(json, 0, NULL);
    if (!j)
        fail_msg("bad test JSON: %s", json);
    rv_record r;
    rv_record_init(&r, e);
    r.id = id;
    rv_status st = rv_record_from_json(&r, j, false, &t->arena, err);
    json_decref(j);
    if (st)
        return st;
    return rv_svc_update(&t->ctx, &r, NULL, err);
}

void tu_seed_pipeline(tu_env *t)
{
    tu_create(t, "pipelines", "{\"name\":\"Sales\",\"is_default\":true}");
    tu_create(t, "stages", "{\"pipeline_id\":\"Sales\",\"name\":\"Prospecting\",\"position\":1,"
                           "\"probability\":10}");
    tu_create(t, "stages", "{\"pipeline_id\":\"Sales\",\"name\":\"Proposal\",\"position\":2,"
                           "\"probability\":60,\"exit_criteria\":\"amount,close_date\","
                           "\"forecast_category\":\"best_case\"}");
    tu_create(t, "stages", "{\"pipeline_id\":\"Sales\",\"name\":\"Won\",\"position\":3,"
                           "\"probability\":100,\"kind\":\"won\",\"forecast_category\":\"closed\"}");
    tu_create(t, "stages", "{\"pipeline_id\":\"Sales\",\"name\":\"Lost\",\"position\":4,"
                           "\"probability\":0,\"kind\":\"lost\",\"forecast_category\":\"omitted\"}");
}

int64_t tu_sql_int(tu_env *t, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("sqlite open %s", t->path);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("sql %s: %s", sql, sqlite3_errmsg(db));
    int64_t v = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

int64_t tu_count(tu_env *t, const char *entity)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", entity);
    return tu_sql_int(t, sql);
}

const char *tu_datasets(void)
{
    static char path[512];
    const char *env = getenv("REVOS_DATASETS");
    snprintf(path, sizeof path, "%s", env && env[0] ? env : "../shared/datasets");
    if (access(path, R_OK) == 0)
        return path;
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true"))
        fail_msg("datasets folder '%s' is missing (required under CI)", path);
    print_message("SKIP: datasets folder '%s' is absent; set REVOS_DATASETS\n", path);
    skip();
    return NULL;
}

const char *tu_dataset_file(const char *rel)
{
    static char path[1024];
    const char *d = tu_datasets();
    snprintf(path, sizeof path, "%s/%s", d, rel);
    if (access(path, R_OK) != 0) {
        const char *ci = getenv("CI");
        if (ci && !strcmp(ci, "true"))
            fail_msg("dataset file '%s' is missing (required under CI)", path);
        print_message("SKIP: dataset file '%s' is absent\n", path);
        skip();
    }
    return path;
}
