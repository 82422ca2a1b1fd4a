/*
 * cli.h - the command line: shared parsing, output and error helpers.
 *
 * `revos <noun> <verb> [args] [--option value ...]`.  Global options may
 * stand anywhere: --db PATH (or REVOS_DB; default ./revos.db), --json,
 * --csv, --as EMAIL (run with that user's access instead of the full
 * rights of whoever can read the database file).  Options take a value ("--limit 10" or "--limit=10") unless they
 * are listed as flags in main.c.  Every command reads its options through
 * rv_cli_opt/rv_cli_flag and then calls rv_cli_check_opts, which refuses any
 * option the command did not ask for, before it changes anything.
 *
 * Commands are rows of the table in main.c, so `revos --help` and the
 * dispatcher cannot disagree.  Commands are thin: they parse, call one
 * service function, and print.
 *
 * Exit codes: 0 success, 1 the request failed (bad input, not found, a
 * refused rule), 2 usage error.
 */
#ifndef RV_CLI_H
#define RV_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "model/record.h"
#include "service/service.h"
#include "store/store.h"

typedef enum { RV_OUT_TABLE, RV_OUT_JSON, RV_OUT_CSV } rv_out_fmt;

#define RV_CLI_MAX_OPTS 128

typedef struct rv_cli {
    const char *noun, *verb;
    int npos;
    char **pos; /* positional arguments after noun and verb */
    int nopts;
    struct {
        const char *name, *value; /* value NULL for flags */
        bool used;
    } opts[RV_CLI_MAX_OPTS];
    const char *db_path;
    const char *as_email; /* --as EMAIL: run with that user's access */
    rv_principal who;     /* loaded by rv_cli_open when as_email is set */
    const char *usage; /* of the running command */
    rv_out_fmt out;
    bool tty; /* stdout is a terminal */
    bool err_tty;
    rv_store *store;
    rv_arena arena;
    rv_ctx ctx;
} rv_cli;

typedef int (*rv_cli_fn)(rv_cli *c);

typedef struct rv_cli_cmd {
    const char *noun; /* NULL noun: any entity name (generic record commands) */
    const char *verb; /* NULL: the noun alone */
    rv_cli_fn fn;
    const char *usage;
    const char *help;
} rv_cli_cmd;

/* Value of --name, or NULL (marks it used). */
const char *rv_cli_opt(rv_cli *c, const char *name);
/* --name present as a flag. */
bool rv_cli_flag(rv_cli *c, const char *name);
/* All values of a repeatable option, in order; returns how many. */
int rv_cli_opt_all(rv_cli *c, const char *name, const char **out, int max);
/* Refuse options the command did not read; returns 0 or the exit code. */
int rv_cli_check_opts(rv_cli *c);
/* Open the database (creating it when create); prints and returns 1 on error. */
int rv_cli_open(rv_cli *c, bool create);
/* true if the database is a PostgreSQL URL rather than a SQLite file. */
bool rv_cli_db_is_url(const char *db);
/* Print "revos: error: <message>" and return the exit code for it. */
int rv_cli_fail(rv_cli *c, const rv_err *err);
/* true when all of text reads as a decimal integer (strtoll, base 10) from
 * lo to hi; *out is set only then.  Empty text and overflow are refused.
 * Each caller words its own usage error. */
bool rv_cli_parse_int(const char *text, long long lo, long long hi, long long *out);
/* Usage error: print message and the command's usage line; returns 2. */
int rv_cli_usage(rv_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record output: begin, rows, end.  Tables are buffered to size columns;
 * JSON is an array of objects; CSV has a header row of field names. */
typedef struct rv_cli_out rv_cli_out;
rv_cli_out *rv_cli_out_begin(rv_cli *c, const rv_entity *e, const char *fields);
void rv_cli_out_row(rv_cli_out *o, const rv_record *r);
void rv_cli_out_end(rv_cli_out *o, const char *next_cursor);
/* One record in full (get/create/update): a vertical table, or JSON. */
void rv_cli_print_record(rv_cli *c, const rv_record *r);
/* Print on stdout, with a newline, the JSON that fn(v, w) writes. */
void rv_cli_print_json(void (*fn)(const void *v, rv_jsonw *w), const void *v);

/* A progress bar on stderr when it is a terminal (fraction 0..1). */
void rv_cli_progress(rv_cli *c, const char *label, double fraction, long rows);
void rv_cli_progress_done(rv_cli *c);

/* Commands implemented across src/cli/cmd_*.c */
int rv_cmd_init(rv_cli *c);
int rv_cmd_schema(rv_cli *c);
int rv_cmd_list(rv_cli *c);
int rv_cmd_get(rv_cli *c);
int rv_cmd_create(rv_cli *c);
int rv_cmd_update(rv_cli *c);
int rv_cmd_delete(rv_cli *c);
int rv_cmd_count(rv_cli *c);
int rv_cmd_gen(rv_cli *c);
int rv_cmd_serve(rv_cli *c);
int rv_cmd_import(rv_cli *c);
int rv_cmd_export(rv_cli *c);
int rv_cmd_users(rv_cli *c);
int rv_cmd_tokens(rv_cli *c);
int rv_cmd_audit(rv_cli *c);
int rv_cmd_migrate(rv_cli *c);
int rv_cmd_report(rv_cli *c);
int rv_cmd_forecast(rv_cli *c);
int rv_cmd_dedupe(rv_cli *c);
int rv_cmd_score(rv_cli *c);
int rv_cmd_capture(rv_cli *c);
/* `revos import leads FILE.csv --capture`: every row through the capture
 * pipeline, in one transaction (cmd_leads.c). */
int rv_cmd_capture_import(rv_cli *c, const char *path);
int rv_cmd_sources(rv_cli *c);
int rv_cmd_route(rv_cli *c);
int rv_cmd_sla(rv_cli *c);

#endif
