/*
 * cmd_migrate.c - `revos migrate --from DB --to DB`: copy a whole database
 * to another backend (service/migrate.h), then print what was copied and
 * checked.
 *
 * A database is a postgres:// or postgresql:// URL, "sqlite:PATH", or a
 * bare PATH (a SQLite file).  The source must exist; a SQLite target is
 * created when missing.  The global --db is not used.
 */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "service/migrate.h"

static const char *sqlite_path(const char *db)
{
    return strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
}

static void on_progress(void *ud, double fraction, int64_t rows)
{
    rv_cli_progress(ud, "migrating", fraction, (long)rows);
}

static int open_end(rv_cli *c, const char *which, const char *db, bool create, rv_store **out)
{
    rv_err err;
    const char *path = rv_cli_db_is_url(db) ? db : sqlite_path(db);
    if (!path[0])
        return rv_cli_usage(c, "--%s needs a database, got '%s'", which, db);
    if (!create && !rv_cli_db_is_url(path) && access(path, F_OK) != 0) {
        fprintf(stderr, "revos: error: no database at '%s' (--%s)\n", path, which);
        return 1;
    }
    if (rv_store_open(out, path, create ? RV_STORE_CREATE : 0, &err)) {
        rv_err_prefix(&err, "--%s: ", which);
        return rv_cli_fail(c, &err);
    }
    return 0;
}

int rv_cmd_migrate(rv_cli *c)
{
    const char *from = rv_cli_opt(c, "from"), *to = rv_cli_opt(c, "to");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->npos)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[0]);
    if (!from || !to)
        return rv_cli_usage(c, "--from and --to are both required");
    if (!strcmp(sqlite_path(from), sqlite_path(to)))
        return rv_cli_usage(c, "--from and --to name the same database '%s'", from);
    rv_store *src = NULL, *dst = NULL;
    if ((rc = open_end(c, "from", from, false, &src)))
        return rc;
    if ((rc = open_end(c, "to", to, true, &dst))) {
        rv_store_close(src);
        return rc;
    }
    rv_migrate_opts o = {.progress = on_progress, .progress_ud = c};
    rv_migrate_report rep;
    rv_err err;
    rv_status st = rv_migrate(src, dst, &o, &rep, &err);
    rv_cli_progress_done(c);
    rv_store_close(src);
    rv_store_close(dst);
    if (st)
        return rv_cli_fail(c, &err);
    printf("%-16s %12s %8s  %s\n", "entity", "rows", "columns", "check");
    for (int k = 0; rv_entities[k]; k++) {
        const rv_migrate_count *n = &rep.counts[k];
        printf("%-16s %12lld %8d  ok", rv_entities[k]->name, (long long)n->rows, n->columns);
        if (n->deferred)
            printf(" (%lld rows had forward references set after all tables)",
                   (long long)n->deferred);
        putchar('\n');
    }
    double secs = (double)rep.elapsed_ms / 1000.0;
    printf("%-16s %12lld rows copied and checked in %.1f s (%.0f rows/s)\n", "total",
           (long long)rep.rows, secs, secs > 0 ? (double)rep.rows / secs : 0.0);
    return 0;
}
