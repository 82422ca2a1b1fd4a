/*
 * testutil.c - shared helpers for the cmocka suites (see testutil.h).
 */
#include "testutil.h"

#include "core/csv.h"
#include "http_client.h"
#include "engine/gen.h"
#include "service/auth.h"
#include "service/import.h"

#include <libpq-fe.h>
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

/* --- PostgreSQL ------------------------------------------------------------ */

bool tu_pg(void)
{
    const char *u = getenv("REVOS_TEST_PG_URL");
    return u && u[0];
}

void tu_skip_on_pg(const char *why)
{
    if (!tu_pg())
        return;
    print_message("SKIP: on PostgreSQL: %s\n", why);
    skip();
}

static PGconn *pg_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQfinish(c);
        fail_msg("connecting to %s: %s", url, msg);
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

/* One connection to the test server's maintenance database, for CREATE and
 * DROP DATABASE; closed at exit. */
static PGconn *admin;

static void admin_close(void)
{
    PQfinish(admin);
    admin = NULL;
}

static PGconn *pg_admin(void)
{
    if (!admin) {
        admin = pg_connect(getenv("REVOS_TEST_PG_URL"));
        atexit(admin_close);
    }
    return admin;
}

static void pg_run(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("sql %s: %s", sql, msg);
    }
    PQclear(r);
}

static int64_t pg_scalar(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(r));
        PQclear(r);
        fail_msg("sql %s: %s", sql, msg);
    }
    int64_t v = 0;
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
        const char *s = PQgetvalue(r, 0, 0);
        if (PQftype(r, 0) == 16 /* bool */)
            v = s[0] == 't';
        else
            v = strtoll(s, NULL, 10);
    }
    PQclear(r);
    return v;
}

/* base with its database name replaced by db (query string kept). */
static char *url_with_db(const char *base, const char *db)
{
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    const char *q = strchr(host, '?');
    const char *slash = strchr(host, '/');
    if (slash && q && slash > q)
        slash = NULL;
    size_t head = slash ? (size_t)(slash - base) : (q ? (size_t)(q - base) : strlen(base));
    char *u = malloc(strlen(base) + strlen(db) + 2);
    sprintf(u, "%.*s/%s%s", (int)head, base, db, q ? q : "");
    return u;
}

static char *db_of_url(const char *url)
{
    const char *host = strstr(url, "://");
    const char *slash = strchr(host ? host + 3 : url, '/');
    if (!slash)
        fail_msg("no database name in %s", url);
    size_t n = strcspn(slash + 1, "?");
    char *d = malloc(n + 1);
    memcpy(d, slash + 1, n);
    d[n] = '\0';
    return d;
}

char *tu_pg_create(const char *name)
{
    static int seq;
    char db[64], sql[128];
    (void)name;
    snprintf(db, sizeof db, "t_%d_%d", (int)getpid(), seq++);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
    pg_run(pg_admin(), sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    pg_run(pg_admin(), sql);
    return url_with_db(getenv("REVOS_TEST_PG_URL"), db);
}

void tu_pg_drop(const char *url)
{
    char *db = db_of_url(url);
    char sql[160];
    /* FORCE: connections a test left behind (a server's workers) go too */
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    pg_run(pg_admin(), sql);
    free(db);
}

void tu_pg_exec(const char *url, const char *sql)
{
    PGconn *c = pg_connect(url);
    pg_run(c, sql);
    PQfinish(c);
}

int64_t tu_pg_int(const char *url, const char *sql)
{
    PGconn *c = pg_connect(url);
    int64_t v = pg_scalar(c, sql);
    PQfinish(c);
    return v;
}

/* --- fixtures -------------------------------------------------------------- */

tu_env *tu_env_new(const char *name)
{
    tu_env *t = calloc(1, sizeof *t);
    t->pg = tu_pg();
    if (t->pg) {
        t->path = tu_pg_create(name);
        t->pg_db = db_of_url(t->path);
    } else {
        t->path = tu_db_path(name);
    }
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
    if (t->pg) {
        PQfinish(t->sql);
        tu_pg_drop(t->path);
        free(t->pg_db);
    } else {
        char side[600];
        unlink(t->path);
        snprintf(side, sizeof side, "%s-wal", t->path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", t->path);
        unlink(side);
    }
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
    if (t->pg) {
        if (!t->sql)
            t->sql = pg_connect(t->path);
        return pg_scalar(t->sql, sql);
    }
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

static char *pg_dump_db(tu_env *t)
{
    if (!t->sql)
        t->sql = pg_connect(t->path);
    rv_buf out = RV_BUF_INIT;
    PGresult *tables = PQexec(t->sql, "SELECT table_name FROM information_schema.tables WHERE "
                                      "table_schema = current_schema() ORDER BY table_name");
    if (PQresultStatus(tables) != PGRES_TUPLES_OK)
        fail_msg("listing tables: %s", PQresultErrorMessage(tables));
    for (int k = 0; k < PQntuples(tables); k++) {
        const char *name = PQgetvalue(tables, k, 0);
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1", name);
        PGresult *r = PQexec(t->sql, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQresultErrorMessage(r));
        rv_buf_printf(&out, "== %s\n", name);
        for (int i = 0; i < PQntuples(r); i++) {
            for (int c = 0; c < PQnfields(r); c++)
                rv_buf_printf(&out, "%s|", PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c));
            rv_buf_putc(&out, '\n');
        }
        PQclear(r);
    }
    PQclear(tables);
    return rv_buf_detach(&out, NULL);
}

char *tu_dump_db(tu_env *t)
{
    if (t->pg)
        return pg_dump_db(t);
    sqlite3 *db;
    if (sqlite3_open_v2(t->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("open %s", t->path);
    rv_buf out = RV_BUF_INIT;
    sqlite3_stmt *tables;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1,
                       &tables, NULL);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY id",
                 (const char *)sqlite3_column_text(tables, 0));
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        rv_buf_printf(&out, "== %s\n", (const char *)sqlite3_column_text(tables, 0));
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const unsigned char *v = sqlite3_column_text(st, i);
                rv_buf_printf(&out, "%s|", v ? (const char *)v : "NULL");
            }
            rv_buf_putc(&out, '\n');
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return rv_buf_detach(&out, NULL);
}

int64_t tu_table_exists(tu_env *t, const char *table)
{
    char sql[300];
    if (t->pg)
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                 "current_schema() AND table_name = '%s'",
                 table);
    else
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", table);
    return tu_sql_int(t, sql);
}

const char *tu_admin_token(tu_env *t)
{
    static char token[RV_TOKEN_TEXT], header[RV_TOKEN_TEXT + 40];
    rv_err err;
    int64_t id;
    rv_auth_set_fast(true);
    rv_ctx c = t->ctx;
    c.who = NULL;
    if (rv_users_create(&c, "admin@example.com", "Test Admin", "admin", "admin-password", &id, &err) &&
        err.code != RV_ECONFLICT)
        fail_msg("creating admin@example.com: %s", err.message);
    if (rv_tokens_create(&c, "admin@example.com", "tests", "admin", token, &id, &err))
        fail_msg("creating a token: %s", err.message);
    snprintf(header, sizeof header, "Authorization: Bearer %s\r\n", token);
    tu_http_set_default_headers(header);
    return token;
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

int64_t tu_hundredths(const char *s)
{
    int64_t v = 0;
    int dec = -1;
    for (; *s; s++) {
        if (*s == '.') {
            dec = 0;
            continue;
        }
        assert_true(*s >= '0' && *s <= '9');
        v = v * 10 + (*s - '0');
        if (dec >= 0)
            dec++;
    }
    assert_true(dec <= 2);
    for (int k = dec < 0 ? 0 : dec; k < 2; k++)
        v *= 10;
    return v;
}

const char *tu_revos_bin(void)
{
    static char path[1024];
    const char *env = getenv("REVOS_BIN");
    if (env && env[0])
        return env;
    /* BUILD/tests/SUITE/PROGRAM -> BUILD/revos */
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(path, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
    }
    strcat(path, "/revos");
    return access(path, X_OK) == 0 ? path : NULL;
}

void tu_dataset_csv(const char *rel, int ncols, tu_csv_row_fn fn, void *ud)
{
    const char *path = tu_dataset_file(rel);
    rv_csv_reader *r;
    rv_err err;
    if (rv_csv_open_file(&r, path, &err))
        fail_msg("%s", err.message);
    int n;
    const char *const *cols;
    const size_t *lens;
    long row;
    assert_int_equal(rv_csv_next(r, &n, &cols, &lens, &row, &err), RV_OK); /* header */
    while (rv_csv_next(r, &n, &cols, &lens, &row, &err) == RV_OK) {
        assert_int_equal(n, ncols);
        fn(ud, cols, lens);
    }
    rv_csv_close(r);
}

int64_t tu_sql_intf(tu_env *t, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return tu_sql_int(t, sql);
}

typedef struct gen_state {
    rv_import *im;
    long rows;
} gen_state;

static int gen_emit(void *ud, const char *entity, int ncols, const char *const *cols,
                    const char *const *vals)
{
    gen_state *g = ud;
    const rv_entity *e = rv_entity_find(entity);
    assert_non_null(e);
    return rv_import_row(g->im, e, ncols, cols, vals, NULL, ++g->rows) != RV_OK;
}

void tu_generate(struct rv_ctx *ctx, int64_t deals, uint64_t seed)
{
    rv_import_opts io = {.history_supplied = true};
    gen_state g = {0};
    rv_err err;
    if (rv_import_begin(ctx, &io, &g.im, &err))
        fail_msg("import begin: %s", err.message);
    rv_gen_opts o = {.deals = deals, .seed = seed};
    int gr = rv_gen_run(&o, gen_emit, &g);
    rv_import_report rep;
    rv_import_report_init(&rep);
    rv_status st = rv_import_end(g.im, &rep, &err);
    rv_import_report_release(&rep);
    if (gr || st)
        fail_msg("generating: %d %s", gr, st ? err.message : "");
}
