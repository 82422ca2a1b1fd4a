/*
 * main.c - `revos`: argument parsing and the command table.
 *
 * One row per command; `revos --help` prints the table, the dispatcher
 * walks it.  Generic record commands (noun NULL) apply to every entity of
 * the entity table: `revos deals list`, `revos accounts create --name X`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define REVOS_VERSION "0.1.0"

static const rv_cli_cmd commands[] = {
    {"init", NULL, rv_cmd_init, "revos init [--db PATH] [--admin-email EMAIL]",
     "create a database (schema migrations are applied on every open) and its first admin, "
     "whose generated password is printed once"},
    {"schema", NULL, rv_cmd_schema, "revos schema [ENTITY] [--json]",
     "list entities, or the fields of one entity"},
    {NULL, "list", rv_cmd_list,
     "revos ENTITY list [--filter F]... [--sort [-]FIELD] [--limit N] [--cursor C] [--fields A,B]",
     "list records; filters: field=value != < <= > >= ~ (contains), field= for empty"},
    {NULL, "get", rv_cmd_get, "revos ENTITY get ID", "show one record"},
    {NULL, "create", rv_cmd_create, "revos ENTITY create --FIELD VALUE... [--data JSON]",
     "create a record"},
    {NULL, "update", rv_cmd_update, "revos ENTITY update ID --FIELD VALUE... [--data JSON]",
     "change fields of a record (an empty value clears a field)"},
    {NULL, "delete", rv_cmd_delete, "revos ENTITY delete ID", "delete a record"},
    {NULL, "count", rv_cmd_count, "revos ENTITY count [--filter F]...", "count records"},
    {"import", NULL, rv_cmd_import,
     "revos import ENTITY FILE.csv [--map SRC=field,...] [--format salesforce|hubspot] "
     "[--ignore-unknown] [--dry-run] [--history-supplied] | revos import leads FILE.csv --capture "
     "| revos import maven DIR",
     "import a CSV file (upsert by external_id; all rows or none)"},
    {"export", NULL, rv_cmd_export, "revos export ENTITY [--csv|--json] [--filter F]...",
     "write every record of an entity to stdout"},
    {"gen", NULL, rv_cmd_gen, "revos gen [--accounts N] [--deals N] [--leads N] [--seed S]",
     "fill the database with realistic generated data (deterministic per seed)"},
    {"migrate", NULL, rv_cmd_migrate, "revos migrate --from sqlite:PATH|PATH|URL --to URL|sqlite:PATH",
     "copy a whole database to an empty one (ids kept), check counts and sums, all or nothing"},
    {"users", NULL, rv_cmd_users,
     "revos users create --email E --name N --role R [--password-stdin] | users passwd EMAIL "
     "[--password-stdin] | users disable EMAIL | users list|get|update|count ...",
     "manage users and their passwords (argon2id); create and passwd read the password from "
     "stdin"},
    {"tokens", NULL, rv_cmd_tokens,
     "revos tokens create --user EMAIL --name N --scope read|write|admin | tokens list | tokens "
     "revoke ID",
     "API tokens: shown once at creation, stored hashed"},
    {"audit", NULL, rv_cmd_audit,
     "revos audit [--filter F]... [--sort [-]FIELD] [--limit N] [--cursor C] [--fields A,B]",
     "the audit log: every write and every refused access"},
    {"forecast", NULL, rv_cmd_forecast,
     "revos forecast show [--period month|quarter|year] [--asof DATE] [--node NAME] [--trials N] "
     "[--seed S] | forecast backtest --from DATE --to DATE [--period month|quarter|year] "
     "[--trials N] [--seed S]",
     "show: the period's won revenue, category totals and predictive P10/P50/P90 per node of the "
     "hierarchy, from the deals you may read; backtest: score every forecast method (predictive "
     "P50, weighted, category, run-rate) against the won revenue of each past period, "
     "reconstructed as of its start"},
    {"report", NULL, rv_cmd_report,
     "revos report METRIC [--by DIM[,DIM]] [--period month|quarter|year|2017-Q2] [--from DATE] "
     "[--to DATE] [--where DIM=VALUE]... [--compare] [--records [--limit N]] | report list "
     "[--markdown] | report warnings",
     "metrics (win_rate, won_revenue, pipeline_value, ...) sliced by dimensions, the records "
     "behind a number, early warnings; 'report list' shows every metric"},
    {"capture", NULL, rv_cmd_capture, "revos capture --data JSON | --file LEADS.csv",
     "capture leads through the whole pipeline (normalise, match, score, route, first-touch "
     "task), one transaction per lead"},
    {"sources", NULL, rv_cmd_sources, "revos sources create --name N [--rate PER_MINUTE]",
     "create a lead source for POST /api/v1/leads/capture; its key is shown once"},
    {"route", NULL, rv_cmd_route, "revos route explain LEAD_ID | route lead LEAD_ID",
     "why a lead went to its owner (match, score and every routing decision), or route it again"},
    {"sla", NULL, rv_cmd_sla, "revos sla check",
     "find leads past their first-touch SLA and escalate them (notify or reassign)"},
    {"dedupe", NULL, rv_cmd_dedupe,
     "revos dedupe scan --csv FILE [--id-col COL] [--kind person|company] [--threshold P] "
     "[--truth-col COL] [--json] | dedupe scan|review accounts|contacts|leads [--threshold P] "
     "[--json] | dedupe merge ENTITY A B [--keep ID] [--rule FIELD=complete|recent|source|keep|"
     "merged]... [--sources S1,S2] | dedupe merge ENTITY --auto --above P | dedupe undo MERGE_ID",
     "find duplicate records in a CSV file or the database (pairs with their probability, "
     "clusters, field-by-field evidence), merge them with survivorship rules, undo a merge"},
    {"score", NULL, rv_cmd_score,
     "revos score evaluate --csv FILE --target COL [--exclude COLS] [--folds 5] [--seed N] "
     "[--model lr|gbt|auto] [--write-folds FILE] [--json] | score evaluate|train --object leads "
     "[--target converted] [--exclude COLS] [--model lr|gbt|auto] [--folds 5] [--seed N] | "
     "score retrain | score explain LEAD_ID",
     "cross-validate the scoring models on a CSV file or the leads (AUC per fold, log-loss, "
     "calibration); train and store a versioned lead model, active only when it validates "
     "better; retrain on the outcomes so far; explain a lead's probability; --exclude leaves "
     "out columns filled after the outcome"},
    {"serve", NULL, rv_cmd_serve, "revos serve [--port 8080] [--bind 127.0.0.1] [--threads N] [--max-body BYTES] "
     "[--web DIR] [--secure-cookies] [--sla-every SECONDS] [--retrain-every 6h]",
     "serve the JSON API and the dashboard"},
};

/* Options that take no value. */
static const char *const flags[] = {"json", "csv", "help", "version", "desc", "quiet", "yes",
                                    "progress", "no-progress", "pretty", "dry-run",
                                    "ignore-unknown", "history-supplied", "capture", "password-stdin", "markdown",
                                    "compare", "records", "secure-cookies", "auto", NULL};

static bool is_flag(const char *name)
{
    for (int i = 0; flags[i]; i++)
        if (!strcmp(flags[i], name))
            return true;
    return false;
}

static void print_help(FILE *f)
{
    fprintf(f, "revos %s - revenue operations engine\n\nusage: revos <command> [options]\n\n",
            REVOS_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n      %s\n", commands[i].usage, commands[i].help);
    fprintf(f, "\nENTITY is one of:");
    for (int i = 0; rv_entities[i]; i++)
        fprintf(f, "%s%s", i % 6 ? " " : "\n  ", rv_entities[i]->name);
    fprintf(f, "\n\nglobal options:\n  --db PATH   database file (default $REVOS_DB or ./revos.db), or a\n"
               "              postgres://... URL\n"
               "  --database-url URL  PostgreSQL database (default $REVOS_DATABASE_URL)\n"
               "  --json      JSON output      --csv   CSV output\n"
               "  --as USER   run with that user's access (email, or full name)\n");
}

int main(int argc, char **argv)
{
    static rv_cli c;
    memset(&c, 0, sizeof c);
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc)
                pos[npos++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            if (c.nopts >= RV_CLI_MAX_OPTS) {
                fprintf(stderr, "revos: error: too many options\n");
                free(pos);
                return 2;
            }
            char *name = a + 2, *eq = strchr(name, '=');
            const char *value = NULL;
            if (eq) {
                *eq = '\0';
                value = eq + 1;
            } else if (!is_flag(name)) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "revos: error: option --%s needs a value\n", name);
                    free(pos);
                    return 2;
                }
                value = argv[++i];
            }
            c.opts[c.nopts].name = name;
            c.opts[c.nopts].value = value;
            c.nopts++;
        } else if (!strcmp(a, "-h")) {
            c.opts[c.nopts++].name = "help";
        } else {
            pos[npos++] = a;
        }
    }
    c.tty = isatty(1);
    c.err_tty = isatty(2);
    /* --database-url, --db, $REVOS_DATABASE_URL, $REVOS_DB, ./revos.db */
    const char *db_url = rv_cli_opt(&c, "database-url");
    c.db_path = rv_cli_opt(&c, "db");
    if (db_url && c.db_path) {
        fprintf(stderr, "revos: error: --db and --database-url at the same time are not compatible\n");
        free(pos);
        return 2;
    }
    if (db_url && !rv_cli_db_is_url(db_url)) {
        fprintf(stderr, "revos: error: --database-url must be a postgres:// or postgresql:// URL, "
                        "got '%s'\n", db_url);
        free(pos);
        return 2;
    }
    if (db_url)
        c.db_path = db_url;
    if (!c.db_path || !c.db_path[0])
        c.db_path = getenv("REVOS_DATABASE_URL");
    if (!c.db_path || !c.db_path[0])
        c.db_path = getenv("REVOS_DB");
    if (!c.db_path || !c.db_path[0])
        c.db_path = "revos.db";
    c.as_email = rv_cli_opt(&c, "as");
    if (rv_cli_flag(&c, "json"))
        c.out = RV_OUT_JSON;
    if (rv_cli_flag(&c, "csv"))
        c.out = RV_OUT_CSV;
    if (rv_cli_flag(&c, "version")) {
        printf("revos %s\n", REVOS_VERSION);
        free(pos);
        return 0;
    }
    bool help = rv_cli_flag(&c, "help");
    if (npos == 0 || (npos == 1 && !strcmp(pos[0], "help"))) {
        print_help(npos == 0 && !help ? stderr : stdout);
        free(pos);
        return npos == 0 && !help ? 2 : 0;
    }
    c.noun = pos[0];
    const rv_cli_cmd *cmd = NULL;
    int skip = 1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0] && !cmd; i++)
        if (commands[i].noun && !strcmp(commands[i].noun, c.noun))
            cmd = &commands[i];
    if (!cmd && rv_entity_find(c.noun)) {
        if (npos < 2) {
            fprintf(stderr, "revos: error: '%s' needs a verb: list, get, create, update, delete "
                            "or count\n",
                    c.noun);
            free(pos);
            return 2;
        }
        c.verb = pos[1];
        skip = 2;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0] && !cmd; i++)
            if (!commands[i].noun && !strcmp(commands[i].verb, c.verb))
                cmd = &commands[i];
        if (!cmd) {
            fprintf(stderr, "revos: error: unknown verb '%s' for %s (list, get, create, update, "
                            "delete, count)\n",
                    c.verb, c.noun);
            free(pos);
            return 2;
        }
    }
    if (!cmd) {
        fprintf(stderr, "revos: error: unknown command '%s' (see revos --help)\n", c.noun);
        free(pos);
        return 2;
    }
    if (help) {
        printf("usage: %s\n  %s\n", cmd->usage, cmd->help);
        free(pos);
        return 0;
    }
    c.usage = cmd->usage;
    c.pos = pos + skip;
    c.npos = npos - skip;
    rv_arena_init(&c.arena, 1 << 16);
    int rc = cmd->fn(&c);
    rv_store_close(c.store);
    rv_arena_release(&c.arena);
    free(pos);
    return rc;
}
