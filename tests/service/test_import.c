/*
 * test_import.c - the row import API, CSV import and export
 * (src/service/import.c, export.c), against a real database (SQLite, or
 * PostgreSQL under REVOS_TEST_PG_URL), checked with plain SQL on it.
 *
 * "Nothing changed" is checked on the database's content itself: every row
 * of every table, dumped as text with plain SQL (tu_dump_db), before and
 * after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/csv.h"
#include "model/money.h"
#include "service/export.h"
#include "service/import.h"
#include "testutil.h"

static int setup(void **state)
{
    tu_env *t = tu_env_new("import");
    tu_seed_pipeline(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tu_env_free(*state);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

/* name in a folder of this test run (the messages show only the name) */
static const char *write_file(const char *name, const char *content)
{
    static char path[8][512];
    static int k;
    const char *dir = getenv("REVOS_TEST_TMP");
    char folder[400];
    snprintf(folder, sizeof folder, "%s/import-%d", dir && dir[0] ? dir : "/tmp", (int)getpid());
    mkdir(folder, 0700);
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", folder, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fwrite(content, 1, strlen(content), f);
    fclose(f);
    return p;
}

static const rv_import_count *count_of(const rv_import_report *rep, const char *entity)
{
    return &rep->counts[rv_entity_find(entity)->index];
}

static void expect_counts(const rv_import_report *rep, const char *entity, int64_t created,
                          int64_t updated, int64_t unchanged)
{
    const rv_import_count *n = count_of(rep, entity);
    if (n->created != created || n->updated != updated || n->unchanged != unchanged)
        fail_msg("%s: expected %lld/%lld/%lld created/updated/unchanged, got %lld/%lld/%lld",
                 entity, (long long)created, (long long)updated, (long long)unchanged,
                 (long long)n->created, (long long)n->updated, (long long)n->unchanged);
}

/* Import a CSV text; returns the status, fills rep. */
static rv_status import_text(tu_env *t, const char *entity, const char *csv,
                             const rv_csv_import_opts *o, rv_import_report *rep, rv_err *err)
{
    const char *path = write_file("in.csv", csv);
    rv_import_report_init(rep);
    rv_err_clear(err);
    return rv_import_csv(&t->ctx, rv_entity_find(entity), path, o, rep, err);
}

/* The one reject of a failed import, as the CLI prints it. */
static void expect_one_reject(const rv_import_report *rep, const char *text)
{
    char buf[1024];
    if (rep->nrejects < 1)
        fail_msg("expected the reject \"%s\", got none", text);
    rv_import_reject_text(&rep->rejects[0], buf, sizeof buf);
    assert_string_equal(buf, text);
    assert_int_equal(rep->rejected, 1);
}

/* Import a CSV that must fail with exactly one reject whose text is `want`;
 * nothing may be written. */
static void expect_csv_reject(tu_env *t, const char *entity, const char *csv, const char *want)
{
    char *before = tu_dump_db(t);
    rv_import_report rep;
    rv_err err;
    rv_status st = import_text(t, entity, csv, NULL, &rep, &err);
    if (st != RV_EINVAL)
        fail_msg("expected RV_EINVAL for %s, got %d (%s)", want, st, err.message);
    assert_string_equal(err.message, "1 row rejected; nothing was written");
    expect_one_reject(&rep, want);
    assert_false(rep.committed);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    rv_import_report_release(&rep);
}

/* ---- the row API -------------------------------------------------------- */

static const char *const acc_f[] = {"external_id", "name", "employees", "annual_revenue"};
static const char *const deal_f[] = {"external_id", "name",   "account_id",
                                     "stage_id",    "amount", "close_date"};

static rv_status import_sample(tu_env *t, const char *amount2, const rv_import_opts *o,
                               rv_import_report *rep)
{
    const char *accs[][4] = {{"A-1", "Acme", "120", "2500000.00"},
                             {"A-2", "Globex, Inc.", "", "10.5"}};
    const char *deals[][6] = {
        {"D-1", "Acme renewal", "A-1", "Prospecting", "1000.00", "2024-03-31"},
        {"D-2", "Globex new", "A-2", "Won", amount2, "2024-02-29"},
        {"D-3", "No account", "", "Lost", "0", ""}};
    rv_import *im;
    rv_err err;
    assert_int_equal(rv_import_begin(&t->ctx, o, &im, &err), RV_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(
            rv_import_row(im, rv_entity_find("accounts"), 4, acc_f, accs[i], NULL, i + 2), RV_OK);
    for (int i = 0; i < 3; i++)
        rv_import_row(im, rv_entity_find("deals"), 6, deal_f, deals[i], NULL, i + 2);
    rv_import_report_init(rep);
    return rv_import_end(im, rep, &err);
}

static void rows_create_then_reimport_changes_nothing(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    assert_int_equal(import_sample(t, "5000.50", NULL, &rep), RV_OK);
    assert_true(rep.committed);
    expect_counts(&rep, "accounts", 2, 0, 0);
    expect_counts(&rep, "deals", 3, 0, 0);
    assert_int_equal(rep.rows, 5);
    assert_int_equal(rep.rejected, 0);
    /* plain SQL: the values and the references */
    assert_int_equal(tu_count(t, "deals"), 3);
    assert_int_equal(tu_sql_int(t, "SELECT sum(amount) FROM deals"), 100000 + 500050);
    assert_int_equal(tu_sql_int(t, "SELECT annual_revenue FROM accounts WHERE external_id='A-2'"),
                     1050);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals d JOIN accounts a ON "
                                   "a.id=d.account_id WHERE d.external_id='D-2' AND "
                                   "a.name='Globex, Inc.'"),
                     1);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals WHERE account_id IS NULL"), 1);
    /* each new deal got its first stage_history row; one summary event */
    assert_int_equal(tu_count(t, "stage_history"), 3);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events WHERE entity='import' AND "
                                   "record_id=0 AND kind='created' AND payload="
                                   "'{\"accounts\":{\"created\":2,\"updated\":0,\"unchanged\":0},"
                                   "\"deals\":{\"created\":3,\"updated\":0,\"unchanged\":0}}'"),
                     1);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events WHERE entity='import'"), 1);
    /* and one audit row for the whole import, with the same counts */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM audit_log WHERE action='import' AND "
                                   "changes='{\"accounts\":{\"created\":2,\"updated\":0,"
                                   "\"unchanged\":0},\"deals\":{\"created\":3,\"updated\":0,"
                                   "\"unchanged\":0}}'"),
                     1);
    /* (rows are not audited one by one) */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM audit_log WHERE entity IN "
                                   "('accounts', 'deals')"),
                     0);
    rv_import_report_release(&rep);

    /* the same rows again: nothing changes, not even updated_at or events */
    char *before = tu_dump_db(t);
    int64_t max_updated = tu_sql_int(t, "SELECT max(updated_at) FROM deals");
    assert_int_equal(import_sample(t, "5000.50", NULL, &rep), RV_OK);
    expect_counts(&rep, "accounts", 0, 0, 2);
    expect_counts(&rep, "deals", 0, 0, 3);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    assert_int_equal(tu_sql_int(t, "SELECT max(updated_at) FROM deals"), max_updated);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events WHERE entity='import'"), 1);
    free(before);
    free(after);
    rv_import_report_release(&rep);

    /* one value differs: one update, with its field history */
    assert_int_equal(import_sample(t, "5100", NULL, &rep), RV_OK);
    expect_counts(&rep, "accounts", 0, 0, 2);
    expect_counts(&rep, "deals", 0, 1, 2);
    assert_int_equal(tu_sql_int(t, "SELECT amount FROM deals WHERE external_id='D-2'"), 510000);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history WHERE field='amount' AND "
                                   "old_value='5000.50' AND new_value='5100.00'"),
                     1);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM events WHERE entity='import'"), 2);
    rv_import_report_release(&rep);
}

static void rows_rejected_roll_back_everything(void **state)
{
    tu_env *t = *state;
    char *before = tu_dump_db(t);
    rv_import_report rep;
    rv_err err;
    assert_int_equal(import_sample(t, "12.345", NULL, &rep), RV_EINVAL);
    assert_false(rep.committed);
    assert_int_equal(rep.rejected, 1);
    assert_int_equal(rep.nrejects, 1);
    const rv_import_reject *r = &rep.rejects[0];
    assert_int_equal(r->row, 3);
    assert_string_equal(r->entity, "deals");
    assert_string_equal(r->column, "amount");
    assert_string_equal(r->err.field, "amount");
    assert_string_equal(r->err.message, "amount must have at most 2 decimal places, got '12.345'");
    char line[1024];
    assert_string_equal(rv_import_reject_text(r, line, sizeof line),
                        "row 3, column amount: amount must have at most 2 decimal places, got "
                        "'12.345'");
    /* the other rows were fine, and are gone with it */
    expect_counts(&rep, "accounts", 2, 0, 0);
    expect_counts(&rep, "deals", 2, 0, 0);
    assert_int_equal(count_of(&rep, "deals")->rejected, 1);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    rv_import_report_release(&rep);
    /* the context is itself again: a normal create works and is not batched */
    assert_false(t->ctx.batch);
    assert_null(t->ctx.refcache);
    assert_ptr_equal(t->ctx.arena, &t->arena);
    int64_t events = tu_count(t, "events");
    tu_create(t, "accounts", "{\"name\":\"After\"}");
    assert_int_equal(tu_count(t, "events"), events + 1);
    (void)err;
}

static void rows_unknown_field_once_and_max_errors(void **state)
{
    tu_env *t = *state;
    rv_import *im;
    rv_err err;
    rv_import_opts o = {.max_errors = 3};
    assert_int_equal(rv_import_begin(&t->ctx, &o, &im, &err), RV_OK);
    const rv_entity *acc = rv_entity_find("accounts");
    const char *f[] = {"name", "colour"};
    const char *v[] = {"A", "red"};
    assert_int_equal(rv_import_row(im, acc, 2, f, v, NULL, 2), RV_EUNKNOWN);
    /* seen before: skipped, the row goes through */
    assert_int_equal(rv_import_row(im, acc, 2, f, v, NULL, 3), RV_OK);
    /* five rows with a bad number: three kept, five counted */
    const char *f2[] = {"name", "employees"};
    const char *v2[] = {"B", "many"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(rv_import_row(im, acc, 2, f2, v2, NULL, 10 + i), RV_EINVAL);
    /* a field given twice */
    const char *f3[] = {"name", "name"};
    assert_int_equal(rv_import_row(im, acc, 2, f3, v, NULL, 20), RV_EINVAL);
    /* written by revos only */
    const char *f4[] = {"entity"};
    const char *v4[] = {"deals"};
    assert_int_equal(rv_import_row(im, rv_entity_find("events"), 1, f4, v4, NULL, 21),
                     RV_EFORBIDDEN);
    assert_int_equal(rv_import_rejected(im), 8);
    rv_import_report rep;
    rv_import_report_init(&rep);
    assert_int_equal(rv_import_end(im, &rep, &err), RV_EINVAL);
    assert_string_equal(err.message, "8 rows rejected; nothing was written");
    assert_int_equal(rep.rejected, 8);
    assert_int_equal(rep.nrejects, 3);
    char line[1024];
    assert_string_equal(rv_import_reject_text(&rep.rejects[0], line, sizeof line),
                        "row 2, column colour: accounts has no field 'colour'");
    assert_string_equal(rv_import_reject_text(&rep.rejects[1], line, sizeof line),
                        "row 10, column employees: employees must be an integer, got 'many'");
    assert_int_equal(count_of(&rep, "accounts")->rejected, 7);
    assert_int_equal(count_of(&rep, "events")->rejected, 1);
    rv_import_report_release(&rep);
    assert_int_equal(tu_count(t, "accounts"), 0);
}

static void rows_history_supplied_and_dry_run(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    rv_import_opts dry = {.dry_run = true};
    char *before = tu_dump_db(t);
    assert_int_equal(import_sample(t, "1", &dry, &rep), RV_OK);
    assert_true(rep.dry_run);
    assert_false(rep.committed);
    expect_counts(&rep, "deals", 3, 0, 0);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    rv_import_report_release(&rep);

    rv_import_opts hist = {.history_supplied = true};
    assert_int_equal(import_sample(t, "1", &hist, &rep), RV_OK);
    assert_int_equal(tu_count(t, "deals"), 3);
    assert_int_equal(tu_count(t, "stage_history"), 0);
    assert_false(t->ctx.no_initial_history);
    rv_import_report_release(&rep);
}

static void rows_lengths_and_null_values(void **state)
{
    tu_env *t = *state;
    rv_import *im;
    rv_err err;
    assert_int_equal(rv_import_begin(&t->ctx, NULL, &im, &err), RV_OK);
    /* lengths given: the values need not be NUL-terminated */
    const char *f[] = {"external_id", "name", "domain", "id", "created_at"};
    const char *v[] = {"X-1junk", "Initech!!", NULL, "99", "whenever"};
    size_t lens[] = {3, 7, 0, 2, 8};
    assert_int_equal(rv_import_row(im, rv_entity_find("accounts"), 5, f, v, lens, 2), RV_OK);
    /* a second import may not start inside the first */
    rv_import *im2;
    assert_int_equal(rv_import_begin(&t->ctx, NULL, &im2, &err), RV_ECONFLICT);
    rv_import_report rep;
    rv_import_report_init(&rep);
    assert_int_equal(rv_import_end(im, &rep, &err), RV_OK);
    rv_import_report_release(&rep);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM accounts WHERE external_id='X-1' AND "
                                   "name='Initech' AND domain IS NULL AND id=1"),
                     1);
    assert_int_equal(rv_import_end(NULL, NULL, NULL), RV_OK);
}

/* ---- CSV ---------------------------------------------------------------- */

static void csv_import_and_reimport(void **state)
{
    tu_env *t = *state;
    const char *csv = "external_id,name,industry,employees,annual_revenue\r\n"
                      "A-1,Acme,software,120,2500000.00\r\n"
                      "A-2,\"Globex, Inc.\",,,\r\n"
                      "\r\n"
                      "A-3,\"Quote \"\"Co\"\"\",retail,7,1.5\r\n";
    rv_import_report rep;
    rv_err err;
    assert_int_equal(import_text(t, "accounts", csv, NULL, &rep, &err), RV_OK);
    expect_counts(&rep, "accounts", 3, 0, 0);
    assert_string_equal(rep.note, "");
    assert_int_equal(tu_sql_int(t, "SELECT sum(employees) FROM accounts"), 127);
    assert_int_equal(tu_sql_int(t, "SELECT sum(annual_revenue) FROM accounts"), 250000150);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM accounts WHERE name='Quote \"Co\"'"), 1);
    rv_import_report_release(&rep);
    char *before = tu_dump_db(t);
    assert_int_equal(import_text(t, "accounts", csv, NULL, &rep, &err), RV_OK);
    expect_counts(&rep, "accounts", 0, 0, 3);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    rv_import_report_release(&rep);
}

static void csv_header_errors(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    rv_err err;
    const char *csv = "Company,Head count,Notes,external_id\nAcme,12,x,A-1\n";
    rv_status st = import_text(t, "accounts", csv, NULL, &rep, &err);
    assert_int_equal(st, RV_EUNKNOWN);
    /* the message names every unmatched column and the way out */
    const char *p =
        strstr(err.message, "accounts has no field for columns 'Company', 'Head count', "
                            "'Notes' of '");
    assert_non_null(p);
    assert_non_null(strstr(err.message, "in.csv' (name them with --map COLUMN=field, skip them "
                                        "with --ignore-unknown, or read export names with "
                                        "--format salesforce|hubspot)"));
    assert_string_equal(err.field, "Company");
    rv_import_report_release(&rep);

    /* --map names them; an empty target skips a column */
    rv_csv_import_opts o = {.map = "Company=name,Head count=employees,Notes="};
    assert_int_equal(import_text(t, "accounts", csv, &o, &rep, &err), RV_OK);
    expect_counts(&rep, "accounts", 1, 0, 0);
    assert_int_equal(tu_sql_int(t, "SELECT employees FROM accounts WHERE name='Acme'"), 12);
    rv_import_report_release(&rep);

    /* --ignore-unknown skips the rest */
    rv_csv_import_opts o2 = {.map = "Company=name", .ignore_unknown = true};
    assert_int_equal(import_text(t, "accounts", csv, &o2, &rep, &err), RV_OK);
    expect_counts(&rep, "accounts", 0, 0, 1);
    rv_import_report_release(&rep);

    /* bad --map entries */
    rv_csv_import_opts o3 = {.map = "Company=nom"};
    assert_int_equal(import_text(t, "accounts", csv, &o3, &rep, &err), RV_EUNKNOWN);
    assert_string_equal(err.message, "--map: accounts has no field 'nom'");
    rv_csv_import_opts o4 = {.map = "Firm=name"};
    assert_int_equal(import_text(t, "accounts", csv, &o4, &rep, &err), RV_EINVAL);
    assert_non_null(strstr(err.message, "in.csv' has no column 'Firm'"));
    rv_csv_import_opts o5 = {.map = "Company"};
    assert_int_equal(import_text(t, "accounts", csv, &o5, &rep, &err), RV_EINVAL);
    assert_string_equal(err.message, "--map entries look like COLUMN=field, got 'Company'");

    /* two columns for one field */
    assert_int_equal(import_text(t, "accounts", "name,Name\na,b\n", NULL, &rep, &err), RV_EINVAL);
    assert_string_equal(err.message,
                        "columns 'name' and 'Name' both map to field name (drop one with --map "
                        "'Name=')");
    /* an empty file */
    assert_int_equal(import_text(t, "accounts", "", NULL, &rep, &err), RV_EINVAL);
    assert_non_null(strstr(err.message, "in.csv' is empty: no header row"));
    /* a file that is not there */
    rv_import_report_init(&rep);
    assert_int_equal(
        rv_import_csv(&t->ctx, rv_entity_find("accounts"), "/nonexistent/x.csv", NULL, &rep, &err),
        RV_ENOTFOUND);
    assert_string_equal(err.message, "cannot open '/nonexistent/x.csv': No such file or directory");
    /* entities only revos writes */
    assert_int_equal(import_text(t, "events", "entity\nx\n", NULL, &rep, &err), RV_EFORBIDDEN);
    assert_string_equal(err.message, "events are written by revos only");
    assert_int_equal(tu_count(t, "accounts"), 1);
}

static void csv_salesforce_and_hubspot_names(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    rv_err err;
    /* explicit --format salesforce */
    const char *sf_acc = "Id,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry\n"
                         "0015g00000A,Acme,Software,120,2500000,US\n"
                         "0015g00000B,Globex,Retail,80,,DE\n";
    rv_csv_import_opts o = {.format = RV_FORMAT_SALESFORCE};
    assert_int_equal(import_text(t, "accounts", sf_acc, &o, &rep, &err), RV_OK);
    expect_counts(&rep, "accounts", 2, 0, 0);
    assert_string_equal(rep.note, "");
    rv_import_report_release(&rep);
    /* auto-detected, and said so */
    assert_int_equal(import_text(t, "accounts", sf_acc, NULL, &rep, &err), RV_OK);
    expect_counts(&rep, "accounts", 0, 0, 2);
    assert_string_equal(rep.note, "6 of 6 columns are Salesforce export names: reading the file "
                                  "as --format salesforce");
    rv_import_report_release(&rep);
    tu_create(t, "users",
              "{\"name\":\"Ann Rep\",\"email\":\"ann@example.com\","
              "\"external_id\":\"0055g00000U\"}");
    /* opportunities: references by Salesforce id, stage by name, enums in API spelling */
    const char *sf_opp =
        "Id,Name,AccountId,OwnerId,StageName,Amount,CloseDate,ForecastCategoryName\n"
        "0065g00000X,Acme renewal,0015g00000A,0055g00000U,Proposal,1200.50,"
        "2024-06-30,BestCase\n"
        "0065g00000Y,Globex new,0015g00000B,,Won,300,6/1/2024,\n";
    assert_int_equal(import_text(t, "deals", sf_opp, NULL, &rep, &err), RV_OK);
    expect_counts(&rep, "deals", 2, 0, 0);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals d JOIN users u ON u.id=d.owner_id "
                                   "JOIN accounts a ON a.id=d.account_id WHERE "
                                   "d.external_id='0065g00000X' AND a.name='Acme' AND "
                                   "d.forecast_category='best_case' AND d.amount=120050"),
                     1);
    assert_int_equal(tu_sql_int(t, "SELECT close_date FROM deals WHERE external_id='0065g00000Y'"),
                     rv_days_from_civil(2024, 6, 1));
    rv_import_report_release(&rep);
    /* HubSpot companies */
    const char *hs = "Record ID,Company name,Company Domain Name,Number of Employees\n"
                     "901,Hooli,hooli.com,5000\n";
    rv_csv_import_opts oh = {.format = RV_FORMAT_HUBSPOT};
    assert_int_equal(import_text(t, "accounts", hs, &oh, &rep, &err), RV_OK);
    assert_int_equal(tu_sql_int(t, "SELECT employees FROM accounts WHERE external_id='901' AND "
                                   "domain='hooli.com' AND name='Hooli'"),
                     5000);
    rv_import_report_release(&rep);
    assert_int_equal(import_text(t, "accounts", hs, NULL, &rep, &err), RV_OK);
    assert_string_equal(rep.note, "4 of 4 columns are HubSpot export names: reading the file as "
                                  "--format hubspot");
    rv_import_report_release(&rep);
    rv_import_format f;
    assert_int_equal(rv_import_format_parse("HubSpot", &f, &err), RV_OK);
    assert_int_equal(f, RV_FORMAT_HUBSPOT);
    assert_int_equal(rv_import_format_parse("excel", &f, &err), RV_EINVAL);
    assert_string_equal(err.message, "format must be salesforce or hubspot, got 'excel'");
}

static void csv_row_errors_have_exact_messages(void **state)
{
    tu_env *t = *state;
    tu_create(t, "accounts", "{\"name\":\"Acme\",\"external_id\":\"A-1\"}");
    const char *h = "external_id,name,account_id,stage_id,amount,close_date,type\n";
    char csv[512];
#define ROW(r)                                                                                     \
    (snprintf(csv, sizeof csv, "%sD-1,ok,A-1,Prospecting,1,2024-01-01,new\n%s", h, r), csv)
    /* ragged rows */
    expect_csv_reject(t, "deals", ROW("D-2,short,A-1,Won\n"),
                      "row 3, column amount: missing: the row has 4 cells, the header has 7");
    expect_csv_reject(t, "deals", ROW("D-2,long,A-1,Won,1,2024-01-01,new,surplus\n"),
                      "row 3, column 8: extra cell 'surplus': the row has 8 cells, the "
                      "header has 7");
    /* broken quoting (the reader's own words, with the row moved in front) */
    expect_csv_reject(t, "deals", ROW("D-2,say \"hi\",A-1,Won,1,2024-01-01,new\n"),
                      "row 3, column name: quote inside an unquoted field (line 3, column 2)");
    expect_csv_reject(t, "deals", ROW("D-2,\"never closed,A-1,Won,1,2024-01-01,new\n"),
                      "row 3, column name: unterminated quoted field (line 3, column 2)");
    /* invalid UTF-8 */
    expect_csv_reject(t, "deals", ROW("D-2,caf\xe9,A-1,Won,1,2024-01-01,new\n"),
                      "row 3, column name: name is not valid UTF-8 text");
    /* numbers, dates, enums */
    expect_csv_reject(t, "deals", ROW("D-2,x,A-1,Won,1.2.3,2024-01-01,new\n"),
                      "row 3, column amount: amount must be a decimal amount, got '1.2.3'");
    expect_csv_reject(t, "deals", ROW("D-2,x,A-1,Won,-5,2024-01-01,new\n"),
                      "row 3, column amount: amount must be >= 0, got '-5'");
    expect_csv_reject(t, "deals", ROW("D-2,x,A-1,Won,1,2024-02-30,new\n"),
                      "row 3, column close_date: close_date is not a real date, got "
                      "'2024-02-30'");
    expect_csv_reject(t, "deals", ROW("D-2,x,A-1,Won,1,tomorrow,new\n"),
                      "row 3, column close_date: close_date must be a date YYYY-MM-DD, got "
                      "'tomorrow'");
    expect_csv_reject(t, "deals", ROW("D-2,x,A-1,Won,1,2024-01-01,upsell\n"),
                      "row 3, column type: type must be one of new, expansion, renewal; got "
                      "'upsell'");
    /* references */
    expect_csv_reject(t, "deals", ROW("D-2,x,A-9,Won,1,2024-01-01,new\n"),
                      "row 3, column account_id: account_id: no account with external id "
                      "or name 'A-9'");
    expect_csv_reject(t, "deals", ROW("D-2,x,A-1,Closing,1,2024-01-01,new\n"),
                      "row 3, column stage_id: stage_id: no stage 'Closing' in pipeline 1");
    /* required */
    expect_csv_reject(t, "deals", ROW("D-2,,A-1,Won,1,2024-01-01,new\n"),
                      "row 3, column name: name is required");
#undef ROW
    /* a mapped column is reported by its own name */
    rv_import_report rep;
    rv_err err;
    rv_csv_import_opts o = {.map = "Value=amount"};
    assert_int_equal(import_text(t, "deals", "name,stage_id,Value\nx,Won,lots\n", &o, &rep, &err),
                     RV_EINVAL);
    expect_one_reject(&rep, "row 2, column Value: amount must be a decimal amount, got "
                            "'lots'");
    rv_import_report_release(&rep);
    /* several rejects: all listed, in row order */
    assert_int_equal(import_text(t, "deals",
                                 "name,stage_id,amount\nx,Won,1\ny,Nope,1\nz,Won,abc\nw,Won\n",
                                 NULL, &rep, &err),
                     RV_EINVAL);
    assert_string_equal(err.message, "3 rows rejected; nothing was written");
    assert_int_equal(rep.nrejects, 3);
    assert_int_equal(rep.rejects[0].row, 3);
    assert_int_equal(rep.rejects[1].row, 4);
    assert_int_equal(rep.rejects[2].row, 5);
    expect_counts(&rep, "deals", 1, 0, 0);
    rv_import_report_release(&rep);
    assert_int_equal(tu_count(t, "deals"), 0);
}

static void csv_report_json(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    rv_err err;
    assert_int_equal(import_text(t, "accounts", "name,employees\nA,x\n", NULL, &rep, &err),
                     RV_EINVAL);
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    rv_import_report_json(&rep, &w);
    assert_string_equal(
        rv_buf_str(&b),
        "{\"committed\":false,\"dry_run\":false,\"rows\":1,\"entities\":"
        "{\"accounts\":{\"created\":0,\"updated\":0,\"unchanged\":0,\"rejected\":1}},"
        "\"rejected\":1,\"rejects\":[{\"row\":2,"
        "\"entity\":\"accounts\",\"column\":\"employees\",\"field\":\"employees\","
        "\"code\":\"invalid\",\"message\":\"employees must be an integer, got 'x'\"}]}");
    rv_buf_release(&b);
    rv_import_report_release(&rep);
}

/* ---- export and the round trip ---------------------------------------------- */

static rv_status to_buf(void *ud, const char *data, size_t len, rv_err *err)
{
    return rv_buf_append(ud, data, len);
}

static char *export_text(tu_env *t, const char *entity, rv_export_format fmt, int64_t *rows)
{
    rv_list_req req;
    memset(&req, 0, sizeof req);
    req.ent = rv_entity_find(entity);
    rv_buf b = RV_BUF_INIT;
    rv_err err;
    if (rv_export(&t->ctx, &req, fmt, to_buf, &b, rows, &err) != RV_OK)
        fail_msg("export %s: %s", entity, err.message);
    if (!b.len)
        rv_buf_puts(&b, "");
    return rv_buf_detach(&b, NULL);
}

/* The CSV without its created_at and updated_at columns (the last two),
 * re-written with the CSV writer. */
static char *without_timestamps(const char *csv)
{
    rv_csv_reader *r;
    rv_err err;
    assert_int_equal(rv_csv_open_mem(&r, csv, strlen(csv), &err), RV_OK);
    rv_buf out = RV_BUF_INIT;
    int n;
    const char *const *cols;
    const size_t *lens;
    while (rv_csv_next(r, &n, &cols, &lens, NULL, &err) == RV_OK) {
        assert_true(n > 2);
        rv_csv_put_row(&out, n - 2, cols, lens, ',');
    }
    rv_csv_close(r);
    return rv_buf_detach(&out, NULL);
}

static void export_round_trip(void **state)
{
    tu_env *t = *state;
    tu_create(t, "users", "{\"name\":\"Zoë Rep\",\"email\":\"zoe@Example.COM\",\"role\":\"rep\"}");
    tu_create(t, "accounts",
              "{\"name\":\"Acme, \\\"the\\\" firm\",\"external_id\":\"A-1\","
              "\"annual_revenue\":\"1234567.89\",\"employees\":5}");
    tu_create(t, "accounts", "{\"name\":\"Multi\\nline\",\"parent_id\":1,\"country\":\"DE\"}");
    tu_create(t, "deals",
              "{\"name\":\"D1\",\"account_id\":1,\"owner_id\":1,"
              "\"stage_id\":\"Proposal\",\"amount\":\"100.10\","
              "\"close_date\":\"2024-03-31\",\"created_on\":\"2024-01-02T03:04:05Z\"}");
    tu_create(t, "deals",
              "{\"name\":\"D2\",\"stage_id\":\"Won\",\"amount\":7,\"type\":\"renewal\","
              "\"probability\":95}");
    tu_create(
        t, "deals",
        "{\"name\":\"D3\",\"stage_id\":\"Lost\",\"lost_reason\":\"price; \\\"too high\\\"\"}");
    static const char *const order[] = {"users", "accounts",      "pipelines", "stages",
                                        "deals", "stage_history", NULL};
    char *first[8];
    int64_t n1[8];
    for (int k = 0; order[k]; k++)
        first[k] = export_text(t, order[k], RV_EXPORT_CSV, &n1[k]);
    assert_int_equal(n1[4], 3);
    assert_true(!strncmp(first[4], "id,external_id,name,account_id,contact_id,owner_id,", 50));

    /* into a fresh database, entity by entity, as a user would */
    tu_env *t2 = tu_env_new("roundtrip");
    for (int k = 0; order[k]; k++) {
        rv_csv_import_opts o = {.import.history_supplied = true};
        rv_import_report rep;
        rv_err err;
        const char *path = write_file("export.csv", first[k]);
        rv_import_report_init(&rep);
        rv_status st = rv_import_csv(&t2->ctx, rv_entity_find(order[k]), path, &o, &rep, &err);
        if (st) {
            char line[1024];
            fail_msg("import %s: %s %s", order[k], err.message,
                     rep.nrejects ? rv_import_reject_text(&rep.rejects[0], line, sizeof line) : "");
        }
        assert_int_equal(count_of(&rep, order[k])->created, n1[k]);
        rv_import_report_release(&rep);
    }
    for (int k = 0; order[k]; k++) {
        int64_t n2;
        char *second = export_text(t2, order[k], RV_EXPORT_CSV, &n2);
        assert_int_equal(n2, n1[k]);
        char *a = without_timestamps(first[k]), *b = without_timestamps(second);
        assert_string_equal(a, b);
        free(a);
        free(b);
        free(second);
    }
    /* the same sums by plain SQL on both files */
    assert_int_equal(tu_sql_int(t2, "SELECT sum(amount) FROM deals"),
                     tu_sql_int(t, "SELECT sum(amount) FROM deals"));
    assert_int_equal(tu_sql_int(t2, "SELECT sum(annual_revenue) FROM accounts"), 123456789);
    tu_env_free(t2);
    for (int k = 0; order[k]; k++)
        free(first[k]);

    /* JSON: an array of the records as the API shows them */
    int64_t n;
    char *json = export_text(t, "users", RV_EXPORT_JSON, &n);
    assert_int_equal(n, 1);
    assert_true(!strncmp(json,
                         "[\n{\"id\":1,\"external_id\":null,\"name\":\"Zoë Rep\","
                         "\"email\":\"zoe@example.com\",\"role\":\"rep\"",
                         80));
    assert_string_equal(json + strlen(json) - 4, "}\n]\n");
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 1);
    json_decref(j);
    free(json);
    char *empty = export_text(t, "campaigns", RV_EXPORT_JSON, &n);
    assert_string_equal(empty, "[]\n");
    free(empty);
    /* filters apply; a bad one fails before any output */
    rv_list_req req;
    memset(&req, 0, sizeof req);
    req.ent = rv_entity_find("deals");
    req.filters[0] = "amount>=100";
    req.nfilters = 1;
    rv_buf b = RV_BUF_INIT;
    rv_err err;
    assert_int_equal(rv_export(&t->ctx, &req, RV_EXPORT_CSV, to_buf, &b, &n, &err), RV_OK);
    assert_int_equal(n, 1);
    rv_buf_release(&b);
    req.filters[0] = "colour=red";
    assert_int_equal(rv_export(&t->ctx, &req, RV_EXPORT_CSV, to_buf, &b, &n, &err), RV_EUNKNOWN);
    assert_int_equal(b.len, 0);
    rv_buf_release(&b);
}

/* ---- Salesforce OpportunityHistory ------------------------------------------- */

/* A second pipeline "Renewals" (external id P2) whose stages share names
 * with the seeded pipeline's (Prospecting and Won), then the deals of
 * deals_csv, imported without history. */
static void seed_two_pipelines(tu_env *t, const char *deals_csv)
{
    tu_create(t, "pipelines", "{\"name\":\"Renewals\",\"external_id\":\"P2\"}");
    tu_create(t, "stages",
              "{\"pipeline_id\":\"Renewals\",\"name\":\"Prospecting\",\"position\":1}");
    tu_create(t, "stages", "{\"pipeline_id\":\"Renewals\",\"name\":\"Won\",\"kind\":\"won\"}");
    rv_import_report rep;
    rv_err err;
    rv_csv_import_opts nohist = {.import.history_supplied = true};
    assert_int_equal(import_text(t, "deals", deals_csv, &nohist, &rep, &err), RV_OK);
    rv_import_report_release(&rep);
    assert_int_equal(tu_count(t, "stage_history"), 0);
}

/* Importing the same CSV again leaves every table as it was and counts
 * every row unchanged. */
static void expect_reimport_unchanged(tu_env *t, const char *entity, const char *csv,
                                      const rv_csv_import_opts *o, int64_t rows)
{
    rv_import_report rep;
    rv_err err;
    char *before = tu_dump_db(t);
    assert_int_equal(import_text(t, entity, csv, o, &rep, &err), RV_OK);
    expect_counts(&rep, entity, 0, 0, rows);
    rv_import_report_release(&rep);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void salesforce_stage_history(void **state)
{
    tu_env *t = *state;
    /* a second pipeline with the same stage names: names must resolve within the deal's */
    seed_two_pipelines(t, "Id,Name,Pipeline,StageName,Amount\n"
                          "006A,Big,,Won,100\n"
                          "006B,Renewal,P2,Won,50\n");
    rv_import_report rep;
    rv_err err;
    /* rows out of order: by CreatedDate within each opportunity */
    const char *hist = "Id,OpportunityId,CreatedDate,StageName,Amount,CloseDate,ForecastCategory\n"
                       "017C,006A,2024-03-01T10:00:00.000+0000,Won,100,2024-03-01,Closed\n"
                       "017D,006B,2024-01-05T00:00:00.000Z,Prospecting,50,,Pipeline\n"
                       "017A,006A,2024-01-01T09:00:00.000+0000,Prospecting,80,2024-06-30,Pipeline\n"
                       "017B,006A,2024-02-01T09:00:00.000+0000,Proposal,90,2024-06-30,BestCase\n"
                       "017E,006B,2024-02-05T00:00:00.000Z,Won,50,2024-02-05,Closed\n";
    rv_csv_import_opts sf = {.format = RV_FORMAT_SALESFORCE};
    assert_int_equal(import_text(t, "stage_history", hist, &sf, &rep, &err), RV_OK);
    expect_counts(&rep, "stage_history", 5, 0, 0);
    rv_import_report_release(&rep);
    /* plain SQL: each row's from and to stages by name and pipeline */
    const char *q = "SELECT count(*) FROM stage_history h JOIN deals d ON d.id=h.deal_id "
                    "JOIN stages ts ON ts.id=h.to_stage_id LEFT JOIN stages fs ON "
                    "fs.id=h.from_stage_id WHERE ts.pipeline_id=d.pipeline_id AND "
                    "(fs.id IS NULL OR fs.pipeline_id=d.pipeline_id) AND h.external_id||':'||"
                    "coalesce(fs.name,'')||'>'||ts.name IN ('017A:>Prospecting',"
                    "'017B:Prospecting>Proposal','017C:Proposal>Won','017D:>Prospecting',"
                    "'017E:Prospecting>Won')";
    assert_int_equal(tu_sql_int(t, q), 5);
    assert_int_equal(tu_sql_int(t, "SELECT changed_at FROM stage_history WHERE external_id='017A'"),
                     (int64_t)rv_days_from_civil(2024, 1, 1) * 86400000 + 9 * 3600000);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM stage_history WHERE "
                                   "forecast_category='best_case'"),
                     1);
    expect_reimport_unchanged(t, "stage_history", hist, &sf, 5);
    /* a stage the deal's pipeline lacks, an unknown opportunity */
    expect_csv_reject(t, "stage_history",
                      "Id,OpportunityId,CreatedDate,StageName\n"
                      "017F,006B,2024-03-01T00:00:00Z,Proposal\n",
                      "row 2, column StageName: to_stage_id: no stage 'Proposal' in "
                      "pipeline 2");
    expect_csv_reject(t, "stage_history",
                      "Id,OpportunityId,CreatedDate,StageName\n"
                      "017F,006Z,2024-03-01T00:00:00Z,Won\n",
                      "row 2, column OpportunityId: deal_id: no deal with external id or "
                      "name '006Z'");
    assert_int_equal(
        import_text(t, "stage_history", "Id,OpportunityId,StageName\n", &sf, &rep, &err),
        RV_EINVAL);
    assert_non_null(strstr(err.message, "an OpportunityHistory export needs the columns "
                                        "OpportunityId, StageName and CreatedDate;"));
    assert_non_null(strstr(err.message, "lacks CreatedDate"));
}

/* stage_history by field names: a stage named in a row is the one of the
 * row's deal's pipeline, also when another pipeline has a stage of that name */
static void stage_history_stage_names_within_the_deal_pipeline(void **state)
{
    tu_env *t = *state;
    seed_two_pipelines(t, "external_id,name,pipeline_id,stage_id,amount\n"
                          "D1,Big,Sales,Won,100\n"
                          "D2,Renewal,P2,Won,50\n");
    rv_import_report rep;
    rv_err err;
    const char *hist = "external_id,deal_id,from_stage_id,to_stage_id,changed_at\n"
                       "H1,D1,,Prospecting,2024-01-01\n"
                       "H2,D1,Prospecting,Won,2024-02-01\n"
                       "H3,D2,,prospecting,2024-01-05\n"
                       "H4,D2,Prospecting,Won,2024-02-05\n";
    assert_int_equal(import_text(t, "stage_history", hist, NULL, &rep, &err), RV_OK);
    expect_counts(&rep, "stage_history", 4, 0, 0);
    rv_import_report_release(&rep);
    /* plain SQL: every stage of every row is in its deal's pipeline */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM stage_history h JOIN deals d ON "
                                   "d.id=h.deal_id JOIN stages ts ON ts.id=h.to_stage_id LEFT JOIN "
                                   "stages fs ON fs.id=h.from_stage_id WHERE ts.pipeline_id="
                                   "d.pipeline_id AND (fs.id IS NULL OR fs.pipeline_id="
                                   "d.pipeline_id)"),
                     4);
    assert_int_equal(tu_sql_int(t, "SELECT count(DISTINCT to_stage_id) FROM stage_history"), 4);
    expect_reimport_unchanged(t, "stage_history", hist, NULL, 4);
    /* a stage only the other pipeline has */
    expect_csv_reject(t, "stage_history",
                      "external_id,deal_id,to_stage_id,changed_at\n"
                      "H5,D2,Proposal,2024-03-01\n",
                      "row 2, column to_stage_id: to_stage_id: no stage 'Proposal' in pipeline 2");
}

/* ---- how new rows are written ------------------------------------------------
 *
 * On PostgreSQL an import streams its new rows with COPY (the store's
 * deferred inserts); on SQLite it inserts them one statement each.  The
 * store's counters tell which path wrote them: a per-row path on
 * PostgreSQL would show one insert per row and no COPY. */

#define BULK_ACCOUNTS 300
#define BULK_DEALS 600

/* BULK_ACCOUNTS accounts, then BULK_DEALS deals naming them by external
 * id (and, every 7th, by name) with a stage by name: each new deal also
 * gets its first stage_history row.  bad_row > 0 makes that deal row's
 * amount unreadable. */
static rv_status import_bulk(tu_env *t, long bad_row, rv_import_report *rep)
{
    static const char *const af[] = {"external_id", "name", "employees"};
    static const char *const df[] = {"external_id", "name", "account_id", "stage_id", "amount",
                                     "close_date"};
    rv_import *im = NULL;
    rv_err err;
    rv_import_report_init(rep);
    assert_int_equal(rv_import_begin(&t->ctx, NULL, &im, &err), RV_OK);
    char a[4][64], d[6][64];
    for (int i = 0; i < BULK_ACCOUNTS; i++) {
        snprintf(a[0], sizeof a[0], "A%d", i);
        snprintf(a[1], sizeof a[1], "Account %d", i);
        snprintf(a[2], sizeof a[2], "%d", 10 + i);
        const char *v[] = {a[0], a[1], a[2]};
        rv_import_row(im, rv_entity_find("accounts"), 3, af, v, NULL, i + 2);
    }
    static const char *const stages[] = {"Prospecting", "Proposal", "Won", "Lost"};
    for (int i = 0; i < BULK_DEALS; i++) {
        snprintf(d[0], sizeof d[0], "D%d", i);
        snprintf(d[1], sizeof d[1], "Deal %d", i);
        snprintf(d[2], sizeof d[2], i % 7 ? "A%d" : "Account %d", i % BULK_ACCOUNTS);
        snprintf(d[3], sizeof d[3], "%s", stages[i % 4]);
        snprintf(d[4], sizeof d[4], i + 2 == bad_row ? "12x" : "%d.%02d", 100 + i, i % 100);
        snprintf(d[5], sizeof d[5], "2025-%02d-%02d", 1 + i % 12, 1 + i % 28);
        const char *v[] = {d[0], d[1], d[2], d[3], d[4], d[5]};
        rv_import_row(im, rv_entity_find("deals"), 6, df, v, NULL, i + 2);
    }
    return rv_import_end(im, rep, &err);
}

static void new_rows_go_through_copy_on_postgresql(void **state)
{
    tu_env *t = *state;
    rv_store_stats s0, s1, s2;
    rv_store_stats_get(t->store, &s0);
    rv_import_report rep;
    assert_int_equal(import_bulk(t, 0, &rep), RV_OK);
    expect_counts(&rep, "accounts", BULK_ACCOUNTS, 0, 0);
    expect_counts(&rep, "deals", BULK_DEALS, 0, 0);
    rv_import_report_release(&rep);
    rv_store_stats_get(t->store, &s1);
    int64_t rows = BULK_ACCOUNTS + 2 * BULK_DEALS; /* each deal has its first history row */
    if (tu_pg()) {
        /* every new row in a COPY; only the import's event and audit row inserted alone */
        assert_true(s1.copy_rows - s0.copy_rows >= rows);
        assert_true(s1.copies - s0.copies <= 10);
        assert_true(s1.inserts - s0.inserts <= 2);
    } else {
        assert_int_equal(s1.copies, s0.copies);
        assert_true(s1.inserts - s0.inserts >= rows);
    }
    /* the data, with plain SQL: each deal's account, stage, history, amount */
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals d JOIN accounts a ON "
                                   "a.id=d.account_id WHERE a.external_id='A'||"
                                   "(CAST(substr(d.external_id,2) AS INTEGER) % 300)"),
                     BULK_DEALS);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals d JOIN stage_history h ON "
                                   "h.deal_id=d.id AND h.to_stage_id=d.stage_id AND "
                                   "h.from_stage_id IS NULL"),
                     BULK_DEALS);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals d JOIN stages s ON s.id=d.stage_id "
                                   "WHERE s.pipeline_id=d.pipeline_id"),
                     BULK_DEALS);
    int64_t cents = 0;
    for (int i = 0; i < BULK_DEALS; i++)
        cents += (100 + i) * 100 + i % 100;
    assert_int_equal(tu_sql_int(t, "SELECT sum(amount) FROM deals"), cents);
    /* ids as row-by-row inserts give them: dense, in file order */
    assert_int_equal(tu_sql_int(t, "SELECT max(id) - min(id) + 1 FROM deals"), BULK_DEALS);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM deals WHERE external_id='D0' AND id="
                                   "(SELECT min(id) FROM deals)"),
                     1);
    /* again: nothing changes, nothing is copied */
    char *before = tu_dump_db(t);
    rv_store_stats_get(t->store, &s1);
    assert_int_equal(import_bulk(t, 0, &rep), RV_OK);
    expect_counts(&rep, "accounts", 0, 0, BULK_ACCOUNTS);
    expect_counts(&rep, "deals", 0, 0, BULK_DEALS);
    rv_import_report_release(&rep);
    rv_store_stats_get(t->store, &s2);
    if (tu_pg()) {
        /* each existing row is read back with the rows after it, in chunks
         * doubling from 64: accounts 64+128+256 (3 reads), deals
         * 64+128+256+512 (4), and each entity's field definitions once
         * (2): 9 queries, not one read per row */
        assert_int_equal(s2.gets - s1.gets, 0);
        assert_int_equal(s2.lists - s1.lists, 9);
    } else {
        assert_true(s2.gets - s1.gets >= BULK_ACCOUNTS + BULK_DEALS); /* one read per row */
    }
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    rv_store_stats_get(t->store, &s2);
    assert_int_equal(s2.copy_rows, s1.copy_rows);
    /* the next record takes the next id: the import gave back what it reserved */
    int64_t next = tu_sql_int(t, "SELECT max(id) FROM accounts") + 1;
    assert_int_equal(tu_create(t, "accounts", "{\"name\":\"After\"}"), next);
}

static void failed_import_late_row_changes_nothing(void **state)
{
    tu_env *t = *state;
    tu_create(t, "accounts", "{\"name\":\"Before\"}");
    char *before = tu_dump_db(t);
    rv_store_stats s0, s1;
    rv_store_stats_get(t->store, &s0);
    rv_import_report rep;
    /* the bad row comes after the accounts were written (deals read them) */
    assert_int_equal(import_bulk(t, BULK_DEALS - 5, &rep), RV_EINVAL);
    expect_one_reject(&rep, "row 595, column amount: amount must be a decimal amount, got '12x'");
    assert_false(rep.committed);
    rv_import_report_release(&rep);
    rv_store_stats_get(t->store, &s1);
    if (tu_pg())
        assert_true(s1.copy_rows > s0.copy_rows); /* written, then rolled back */
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* ids too: the next account is the second */
    assert_int_equal(tu_create(t, "accounts", "{\"name\":\"After\"}"),
                     tu_sql_int(t, "SELECT min(id) FROM accounts") + 1);
}

/* A re-import in another order than the rows were written, with some
 * amounts changed: each update compares with the stored record (on
 * PostgreSQL read ahead in chunks, crud.c), so exactly the changed deals
 * are updated, each with one amount history row, and the others stay. */
static void reimport_out_of_order_updates_exactly_the_changes(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    rv_err err;
    assert_int_equal(import_bulk(t, 0, &rep), RV_OK);
    rv_import_report_release(&rep);
    int64_t sum0 = tu_sql_int(t, "SELECT sum(amount) FROM deals");
    rv_import *im = NULL;
    assert_int_equal(rv_import_begin(&t->ctx, NULL, &im, &err), RV_OK);
    static const char *const df[] = {"external_id", "amount"};
    char d[2][64];
    int64_t added = 0;
    for (int i = BULK_DEALS - 1; i >= 0; i--) { /* backwards, every fourth left out */
        if (i % 4 == 3)
            continue;
        bool change = i % 50 == 1;
        snprintf(d[0], sizeof d[0], "D%d", i);
        snprintf(d[1], sizeof d[1], "%d.%02d", 100 + i + (change ? 7 : 0), i % 100);
        added += change ? 700 : 0;
        const char *v[] = {d[0], d[1]};
        assert_int_equal(rv_import_row(im, rv_entity_find("deals"), 2, df, v, NULL, i + 2), RV_OK);
    }
    assert_int_equal(rv_import_end(im, &rep, &err), RV_OK);
    /* changed: 1, 101, 201, 301, 401, 501 (51, 151, ... are 3 mod 4: left out);
     * 450 rows in all */
    expect_counts(&rep, "deals", 0, 6, 444);
    rv_import_report_release(&rep);
    assert_int_equal(added, 6 * 700);
    assert_int_equal(tu_sql_int(t, "SELECT sum(amount) FROM deals"), sum0 + added);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history WHERE entity = 'deals' AND "
                                   "field = 'amount'"),
                     6);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history h JOIN deals d ON "
                                   "d.id = h.record_id WHERE h.field = 'amount' AND "
                                   "d.amount = (CAST(substr(d.external_id, 2) AS INTEGER) + 107) * 100 + "
                                   "CAST(substr(d.external_id, 2) AS INTEGER) % 100"),
                     6);
    /* every deal 1.00 more, in file order: on PostgreSQL the updates wait
     * in the store and go out as one UPDATE each time the deals are read
     * ahead (chunks of 64, 128, 256, 512: 4, and 1 at the end), not one per row */
    rv_store_stats st0, st1;
    rv_store_stats_get(t->store, &st0);
    assert_int_equal(rv_import_begin(&t->ctx, NULL, &im, &err), RV_OK);
    for (int i = 0; i < BULK_DEALS; i++) {
        bool changed = i % 50 == 1 && i % 4 != 3;
        snprintf(d[0], sizeof d[0], "D%d", i);
        snprintf(d[1], sizeof d[1], "%d.%02d", 101 + i + (changed ? 7 : 0), i % 100);
        const char *v[] = {d[0], d[1]};
        assert_int_equal(rv_import_row(im, rv_entity_find("deals"), 2, df, v, NULL, i + 2), RV_OK);
    }
    assert_int_equal(rv_import_end(im, &rep, &err), RV_OK);
    expect_counts(&rep, "deals", 0, BULK_DEALS, 0);
    rv_import_report_release(&rep);
    rv_store_stats_get(t->store, &st1);
    assert_int_equal(tu_sql_int(t, "SELECT sum(amount) FROM deals"),
                     sum0 + added + BULK_DEALS * 100);
    assert_int_equal(tu_sql_int(t, "SELECT count(*) FROM field_history WHERE entity = 'deals' AND "
                                   "field = 'amount'"),
                     6 + BULK_DEALS);
    if (tu_pg())
        assert_true(st1.updates - st0.updates <= 5);
}

/* Import users from csv, which has one row the database refuses: the
 * import fails with that one reject and changes nothing. */
static void import_users_refused(tu_env *t, const char *csv, const char *reject, int created)
{
    char *before = tu_dump_db(t);
    rv_import_report rep;
    rv_err err;
    assert_int_equal(import_text(t, "users", csv, NULL, &rep, &err), RV_EINVAL);
    expect_one_reject(&rep, reject);
    if (created >= 0)
        expect_counts(&rep, "users", created, 0, 0);
    rv_import_report_release(&rep);
    char *after = tu_dump_db(t);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* An update the database refuses (on PostgreSQL when its batch is
 * written: the whole batch is undone and replayed row by row) is reported
 * at its row and column, as on SQLite, and nothing is written. */
static void refused_update_reported_at_its_row(void **state)
{
    tu_env *t = *state;
    rv_import_report rep;
    rv_err err;
    assert_int_equal(import_text(t, "users",
                                 "external_id,name,email\n"
                                 "U1,Ann,ann@x.io\n"
                                 "U2,Bob,bob@x.io\n"
                                 "U3,Cid,cid@x.io\n",
                                 NULL, &rep, &err),
                     RV_OK);
    rv_import_report_release(&rep);
    import_users_refused(t,
                         "external_id,name,email\n"
                         "U1,Ann B,ann@x.io\n"
                         "U2,Bob,ann@x.io\n"
                         "U3,Cid C,cid@x.io\n",
                         "row 3, column email: another user already has email 'ann@x.io'", -1);
}

/* A new row the database refuses when its COPY runs (a unique value taken
 * twice in the file) is reported at its row and column, as on SQLite. */
static void refused_new_row_reported_at_its_row(void **state)
{
    import_users_refused(*state,
                         "external_id,name,email\n"
                         "U1,Ann,ann@x.io\n"
                         "U2,Bob,bob@x.io\n"
                         "U3,Bea,ann@x.io\n"
                         "U4,Cid,cid@x.io\n",
                         "row 4, column email: another user already has email 'ann@x.io'", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rows_create_then_reimport_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_rejected_roll_back_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_unknown_field_once_and_max_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_history_supplied_and_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_lengths_and_null_values, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_import_and_reimport, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_header_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_salesforce_and_hubspot_names, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_row_errors_have_exact_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_report_json, setup, teardown),
        cmocka_unit_test_setup_teardown(export_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(salesforce_stage_history, setup, teardown),
        cmocka_unit_test_setup_teardown(stage_history_stage_names_within_the_deal_pipeline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(new_rows_go_through_copy_on_postgresql, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_import_late_row_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_new_row_reported_at_its_row, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_update_reported_at_its_row, setup, teardown),
        cmocka_unit_test_setup_teardown(reimport_out_of_order_updates_exactly_the_changes, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
