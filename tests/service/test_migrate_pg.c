/*
 * test_migrate.c - `revos migrate`: a whole database copied between
 * backends, checked by plain SQL on both sides.
 *
 * Needs a PostgreSQL server (the [pg] half of tests/run.sh); on SQLite
 * alone every test prints a SKIP line.  The source is a SQLite file filled
 * by the data generator through the import path (as `revos gen` does), plus
 * records with the two references that point forward in the entity order
 * (teams.manager_id, leads.deal_id).  The checks do not use the store: row
 * counts and sums of every integer and money column come from sqlite3 and
 * libpq directly.
 *
 * Also here, since it needs the same [pg] half: a streaming replica made by
 * scripts/pg-replica, read through rv_store_open_read (REVOS_READ_URL).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gen.h"
#include "service/import.h"
#include "service/migrate.h"
#include "service/report.h"
#include "testutil.h"

static bool need_pg(void)
{
    if (tu_pg())
        return true;
    print_message("SKIP: migrate tests need PostgreSQL (REVOS_TEST_PG_URL; the [pg] half)\n");
    return false;
}

/* --- plain SQL on the SQLite side ------------------------------------------ */

static int64_t sq_int(const char *path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail_msg("sqlite open %s", path);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("sql %s: %s", sql, sqlite3_errmsg(db));
    int64_t v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        fail_msg("sql %s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void sq_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail_msg("sqlite open %s", path);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql %s: %s", sql, msg);
    sqlite3_close(db);
}

static void sq_unlink(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* --- the source database --------------------------------------------------- */

/* A SQLite file with generated data (deals deals) and forward references. */
static char *make_source(int64_t deals)
{
    char *path = tu_db_path("migrate-src");
    rv_store *s;
    rv_err err;
    if (rv_store_open(&s, path, RV_STORE_CREATE, &err))
        fail_msg("open %s: %s", path, err.message);
    rv_arena a;
    rv_arena_init(&a, 1 << 14);
    rv_ctx ctx;
    rv_ctx_init(&ctx, s, &a);
    tu_generate(&ctx, deals, 7);
    rv_store_close(s);
    rv_arena_release(&a);
    /* the references that point forward in the entity order */
    sq_exec(path, "UPDATE teams SET manager_id = (SELECT max(id) FROM users) WHERE id = 1;"
                  "UPDATE leads SET deal_id = (SELECT min(id) FROM deals) WHERE id IN (1, 2);");
    return path;
}

/* --- the check, independent of the store ----------------------------------- */

static bool summed(rv_ftype t)
{
    return t == RV_FT_INT || t == RV_FT_MONEY;
}

/* Row counts, and per entity the sums of id and of every integer and money
 * column, equal in the SQLite file and the PostgreSQL database; returns
 * how many numbers were compared. */
static int compare_sides(const char *sqlite_path, const char *pg_url)
{
    int compared = 0;
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", e->name);
        int64_t a = sq_int(sqlite_path, sql), b = tu_pg_int(pg_url, sql);
        if (a != b)
            fail_msg("%s: %lld rows in SQLite, %lld in PostgreSQL", e->name, (long long)a,
                     (long long)b);
        compared++;
        for (int i = -1; i < e->nfields; i++) {
            if (i >= 0 && !summed(e->fields[i].type))
                continue;
            const char *col = i < 0 ? "id" : e->fields[i].name;
            snprintf(sql, sizeof sql, "SELECT coalesce(sum(%s), 0) FROM %s", col, e->name);
            a = sq_int(sqlite_path, sql);
            b = tu_pg_int(pg_url, sql);
            if (a != b)
                fail_msg("%s.%s: sum %lld in SQLite, %lld in PostgreSQL", e->name, col,
                         (long long)a, (long long)b);
            compared++;
        }
    }
    return compared;
}

static rv_status run_migrate(const char *from_path, const char *to_path, rv_migrate_report *rep,
                             rv_err *err)
{
    rv_store *from, *to;
    rv_err oe;
    if (rv_store_open(&from, from_path, 0, &oe))
        fail_msg("open %s: %s", from_path, oe.message);
    if (rv_store_open(&to, to_path, RV_STORE_CREATE, &oe))
        fail_msg("open %s: %s", to_path, oe.message);
    rv_status st = rv_migrate(from, to, NULL, rep, err);
    rv_store_close(from);
    rv_store_close(to);
    return st;
}

/* --- tests ----------------------------------------------------------------- */

static void test_sqlite_to_pg_and_back(void **state)
{
    (void)state;
    if (!need_pg())
        skip();
    char *src = make_source(300);
    char *url = tu_pg_create("migrate");
    rv_migrate_report rep;
    rv_err err;
    rv_status st = run_migrate(src, url, &rep, &err);
    if (st)
        fail_msg("migrate: %s", err.message);
    assert_true(rep.committed);
    const rv_entity *deals = rv_entity_find("deals");
    assert_int_equal(rep.counts[deals->index].rows, 300);
    int64_t all = 0;
    for (int k = 0; rv_entities[k]; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", rv_entities[k]->name);
        all += sq_int(src, sql);
    }
    assert_int_equal(rep.rows, all);
    assert_true(compare_sides(src, url) > 50);
    /* the numbers a user would check, by hand */
    assert_int_equal(tu_pg_int(url, "SELECT count(*) FROM deals"), 300);
    assert_int_equal(tu_pg_int(url, "SELECT sum(amount) FROM deals WHERE stage_id IN (SELECT id "
                                    "FROM stages WHERE kind = 'won')"),
                     sq_int(src, "SELECT sum(amount) FROM deals WHERE stage_id IN (SELECT id "
                                 "FROM stages WHERE kind = 'won')"));
    /* ids, timestamps and the forward references kept */
    assert_int_equal(tu_pg_int(url, "SELECT sum(updated_at % 1000003) FROM leads"),
                     sq_int(src, "SELECT sum(updated_at % 1000003) FROM leads"));
    assert_int_equal(tu_pg_int(url, "SELECT manager_id FROM teams WHERE id = 1"),
                     sq_int(src, "SELECT max(id) FROM users"));
    assert_int_equal(tu_pg_int(url, "SELECT count(*) FROM leads WHERE deal_id = (SELECT min(id) "
                                    "FROM deals)"),
                     2);
    assert_int_equal(rep.counts[rv_entity_find("teams")->index].deferred, 1);
    assert_int_equal(rep.counts[rv_entity_find("leads")->index].deferred, 2);
    /* new records get ids after the copied ones */
    rv_store *pg;
    if (rv_store_open(&pg, url, 0, &err))
        fail_msg("%s", err.message);
    rv_record r;
    rv_record_init(&r, rv_entity_find("accounts"));
    r.v[rv_field_index(r.ent, "name")] = (rv_val){.s = "Newco", .len = 5, .state = RV_V_SET};
    r.created_at = r.updated_at = 1;
    assert_int_equal(rv_store_begin(pg, &err), RV_OK);
    assert_int_equal(rv_store_insert(pg, &r, &err), RV_OK);
    assert_int_equal(rv_store_commit(pg, &err), RV_OK);
    rv_store_close(pg);
    assert_int_equal(r.id, sq_int(src, "SELECT max(id) FROM accounts") + 1);
    /* and back to a new SQLite file, the new account included */
    char *back = tu_db_path("migrate-back");
    st = run_migrate(url, back, &rep, &err);
    if (st)
        fail_msg("migrate back: %s", err.message);
    compare_sides(back, url);
    assert_int_equal(sq_int(back, "SELECT count(*) FROM accounts WHERE name = 'Newco'"), 1);
    sq_unlink(back);
    free(back);
    tu_pg_drop(url);
    free(url);
    sq_unlink(src);
    free(src);
}

static void test_nonempty_target_refused(void **state)
{
    (void)state;
    if (!need_pg())
        skip();
    char *src = make_source(20);
    char *url = tu_pg_create("migrate");
    rv_migrate_report rep;
    rv_err err;
    assert_int_equal(run_migrate(src, url, &rep, &err), RV_OK);
    int64_t teams = tu_pg_int(url, "SELECT count(*) FROM teams");
    int64_t all = tu_pg_int(url, "SELECT (SELECT count(*) FROM deals) + (SELECT count(*) FROM "
                                 "accounts)");
    assert_int_equal(run_migrate(src, url, &rep, &err), RV_ECONFLICT);
    char want[200];
    snprintf(want, sizeof want,
             "the target database is not empty: table 'teams' has %lld rows; migrate copies "
             "into an empty database only",
             (long long)teams);
    assert_string_equal(err.message, want);
    assert_false(rep.committed);
    /* nothing added */
    assert_int_equal(tu_pg_int(url, "SELECT count(*) FROM teams"), teams);
    assert_int_equal(tu_pg_int(url, "SELECT (SELECT count(*) FROM deals) + (SELECT count(*) FROM "
                                    "accounts)"),
                     all);
    tu_pg_drop(url);
    free(url);
    sq_unlink(src);
    free(src);
}

static void test_failure_midway_leaves_target_empty(void **state)
{
    (void)state;
    if (!need_pg())
        skip();
    char *src = make_source(50);
    /* one bad row late in the order: an activity whose deal does not exist
     * (possible in a SQLite file written without foreign keys) */
    sq_exec(src, "PRAGMA foreign_keys = OFF; UPDATE activities SET deal_id = 999999 WHERE id = "
                 "(SELECT max(id) FROM activities);");
    char *url = tu_pg_create("migrate");
    rv_migrate_report rep;
    rv_err err;
    assert_int_equal(run_migrate(src, url, &rep, &err), RV_EREF);
    assert_non_null(strstr(err.message, "activities: copying: "));
    assert_non_null(strstr(err.message, "999999"));
    assert_non_null(strstr(err.message, "; nothing was written"));
    assert_false(rep.committed);
    assert_int_equal(rep.rows, 0);
    for (int k = 0; rv_entities[k]; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", rv_entities[k]->name);
        if (tu_pg_int(url, sql) != 0)
            fail_msg("%s has rows after a failed migrate", rv_entities[k]->name);
    }
    /* and the same target takes a good copy afterwards */
    sq_exec(src, "UPDATE activities SET deal_id = NULL WHERE deal_id = 999999");
    assert_int_equal(run_migrate(src, url, &rep, &err), RV_OK);
    compare_sides(src, url);
    tu_pg_drop(url);
    free(url);
    sq_unlink(src);
    free(src);
}

static void test_mismatch_is_reported(void **state)
{
    (void)state;
    if (!need_pg())
        skip();
    /* the check itself: totals differ when a row differs */
    char *src = make_source(20);
    char *url = tu_pg_create("migrate");
    rv_migrate_report rep;
    rv_err err;
    assert_int_equal(run_migrate(src, url, &rep, &err), RV_OK);
    tu_pg_exec(url, "UPDATE deals SET amount = amount + 1 WHERE id = 1");
    rv_store *a, *b;
    assert_int_equal(rv_store_open(&a, src, 0, &err), RV_OK);
    assert_int_equal(rv_store_open(&b, url, 0, &err), RV_OK);
    rv_store_totals ta, tb;
    const rv_entity *deals = rv_entity_find("deals");
    assert_int_equal(rv_store_totals_get(a, deals, &ta, &err), RV_OK);
    assert_int_equal(rv_store_totals_get(b, deals, &tb, &err), RV_OK);
    int amount = -1;
    for (int c = 0; c < ta.ncols; c++)
        if (ta.field[c] == rv_field_index(deals, "amount"))
            amount = c;
    assert_true(amount >= 0);
    assert_true(tb.sum[amount] == ta.sum[amount] + 1);
    assert_int_equal(ta.sum[amount], sq_int(src, "SELECT sum(amount) FROM deals"));
    assert_int_equal(ta.rows, tb.rows);
    char buf[48];
    assert_string_equal(rv_sum128_text(-((rv_sum128)1 << 70), buf, sizeof buf),
                        "-1180591620717411303424");
    rv_store_close(a);
    rv_store_close(b);
    tu_pg_drop(url);
    free(url);
    sq_unlink(src);
    free(src);
}

/* --- read replica ---------------------------------------------------------- */

/* The number of leads the reports of c count (leads_created, all time). */
static int64_t leads_reported(rv_ctx *c)
{
    rv_report_req req = {.metric = "leads_created"};
    rv_report r;
    rv_err err;
    if (rv_report_run(c, &req, &r, &err))
        fail_msg("report: %s", err.message);
    int64_t n = r.res.total.num;
    rv_report_end(&r);
    return n;
}

/* Reports on the primary read the replica: with replay paused they show
 * what the replica has applied, and once the replica has a write the next
 * report shows it too (report.c, docs/postgresql.md "Read replicas"). */
static void reports_follow_replica(rv_store *w, const char *url, const char *rurl)
{
    rv_arena a;
    rv_arena_init(&a, 4096);
    rv_ctx c;
    rv_ctx_init(&c, w, &a);
    rv_err err;
    rv_report_cache_clear();
    assert_int_equal(leads_reported(&c), 0);
    tu_pg_exec(rurl, "SELECT pg_wal_replay_pause()");
    rv_record lead;
    rv_record_init(&lead, rv_entity_find("leads"));
    lead.v[rv_field_index(lead.ent, "email")] = (rv_val){.s = "lee@example.org", .len = 15,
                                                         .state = RV_V_SET};
    if (rv_svc_create(&c, &lead, &err))
        fail_msg("create lead: %s", err.message);
    assert_int_equal(tu_pg_int(url, "SELECT count(*) FROM leads"), 1);
    usleep(300 * 1000); /* time enough to replay, were replay not paused */
    assert_int_equal(tu_pg_int(rurl, "SELECT count(*) FROM leads"), 0);
    assert_int_equal(leads_reported(&c), 0);
    tu_pg_exec(rurl, "SELECT pg_wal_replay_resume()");
    int tries = 0;
    while (tu_pg_int(rurl, "SELECT count(*) FROM leads") == 0 && tries++ < 300)
        usleep(50 * 1000);
    assert_int_equal(tu_pg_int(rurl, "SELECT count(*) FROM leads"), 1);
    assert_int_equal(leads_reported(&c), 1);
    rv_report_cache_clear();
    rv_arena_release(&a);
}

/* base ("postgres://u@h:p/postgres") with its database replaced by db. */
static char *with_db(const char *base, const char *db)
{
    const char *slash = strrchr(base, '/');
    char *u = malloc(strlen(base) + strlen(db) + 2);
    sprintf(u, "%.*s/%s", (int)(slash - base), base, db);
    return u;
}

static void test_read_replica(void **state)
{
    (void)state;
    if (!need_pg())
        skip();
    char cmd[600], out[400] = "";
    snprintf(cmd, sizeof cmd, "scripts/pg-replica start '%s' 2>&1", getenv("REVOS_TEST_PG_URL"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(out, sizeof out, p) && !strstr(out, "://")) {
    }
    int rc = pclose(p);
    out[strcspn(out, "\n")] = '\0';
    if (rc != 0 && strstr(out, "not a cluster started by scripts/pg-cluster")) {
        print_message("SKIP: %s\n", out);
        skip();
    }
    if (rc != 0)
        fail_msg("scripts/pg-replica start: %s", out);
    char *replica = strdup(out);
    /* a database made on the primary after the standby started */
    char *url = tu_pg_create("replica");
    rv_store *w, *r = NULL;
    rv_err err;
    if (rv_store_open(&w, url, 0, &err))
        fail_msg("%s", err.message);
    rv_record rec;
    rv_record_init(&rec, rv_entity_find("accounts"));
    rec.v[rv_field_index(rec.ent, "name")] = (rv_val){.s = "Replicated", .len = 10,
                                                      .state = RV_V_SET};
    rec.created_at = rec.updated_at = 1;
    assert_int_equal(rv_store_begin(w, &err), RV_OK);
    assert_int_equal(rv_store_insert(w, &rec, &err), RV_OK);
    assert_int_equal(rv_store_commit(w, &err), RV_OK);
    /* read it through the replica once it has caught up (poll, 15 s at most) */
    char *rurl = with_db(replica, strrchr(url, '/') + 1);
    setenv("REVOS_READ_URL", rurl, 1);
    bool seen = false;
    for (int tries = 0; tries < 300 && !seen; tries++) {
        if (!r && rv_store_open_read(&r, url, &err) != RV_OK)
            r = NULL; /* the database or its schema has not arrived yet */
        if (r)
            seen = rv_store_exists(r, rec.ent, rec.id);
        if (!seen)
            usleep(50 * 1000);
    }
    if (!seen)
        fail_msg("the row did not reach the replica in 15 s (last error: %s)", err.message);
    assert_string_equal(rv_store_path(r), rurl);
    reports_follow_replica(w, url, rurl);
    /* the replica takes no writes */
    rv_status st = rv_store_begin(r, &err);
    if (st == RV_OK) {
        st = rv_store_insert(r, &rec, &err);
        rv_store_rollback(r);
    }
    assert_int_not_equal(st, RV_OK);
    rv_store_close(r);
    /* without REVOS_READ_URL, reads go to the primary */
    unsetenv("REVOS_READ_URL");
    assert_int_equal(rv_store_open_read(&r, url, &err), RV_OK);
    assert_string_equal(rv_store_path(r), url);
    assert_true(rv_store_exists(r, rec.ent, rec.id));
    rv_store_close(r);
    /* a replica that cannot be reached is an error naming the variable */
    setenv("REVOS_READ_URL", "postgres://postgres@127.0.0.1:1/nowhere", 1);
    assert_int_equal(rv_store_open_read(&r, url, &err), RV_EIO);
    assert_non_null(strstr(err.message, "REVOS_READ_URL: cannot open database"));
    unsetenv("REVOS_READ_URL");
    rv_store_close(w);
    snprintf(cmd, sizeof cmd, "scripts/pg-replica stop '%s'", replica);
    assert_int_equal(system(cmd), 0);
    tu_pg_drop(url);
    free(rurl);
    free(url);
    free(replica);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_to_pg_and_back),
        cmocka_unit_test(test_nonempty_target_refused),
        cmocka_unit_test(test_failure_midway_leaves_target_empty),
        cmocka_unit_test(test_mismatch_is_reported),
        cmocka_unit_test(test_read_replica),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
