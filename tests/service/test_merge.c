/* Merging duplicate records: survivorship, re-pointed children, the merge
 * log, and undo restoring every table as it was (SQLite, and PostgreSQL
 * when the suites run there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "service/merge.h"
#include "testutil.h"

static int setup(void **state)
{
    tu_env *t = tu_env_new("merge");
    tu_seed_pipeline(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tu_env_free(*state);
    return 0;
}

/* The dump without the merges table (the one table a merge and its undo
 * leave changed). */
static char *dump_without_merges(tu_env *t)
{
    char *d = tu_dump_db(t);
    char *at = strstr(d, "== merges\n");
    assert_non_null(at);
    char *next = strstr(at + 1, "\n== ");
    if (next)
        memmove(at, next + 1, strlen(next + 1) + 1);
    else
        *at = '\0';
    return d;
}

typedef struct world {
    int64_t acme, acme2, ann, ann2, deal, act1, act2, touch, lead;
} world;

/* Two accounts that are one company, two contacts that are one person, and
 * rows hanging off the duplicates. */
static void build(tu_env *t, world *w)
{
    w->acme = tu_create(t, "accounts", "{\"name\":\"Acme\",\"city\":\"Boston\"}");
    w->acme2 = tu_create(t, "accounts", "{\"name\":\"Acme Inc\",\"domain\":\"acme.com\","
                                        "\"phone\":\"+1 617 555 0100\",\"city\":\"Boston\"}");
    char b[400];
    snprintf(b, sizeof b, "{\"first_name\":\"Ann\",\"last_name\":\"Lee\",\"account_id\":%lld,"
                          "\"title\":\"VP\",\"source\":\"web\"}",
             (long long)w->acme);
    w->ann = tu_create(t, "contacts", b);
    snprintf(b, sizeof b, "{\"first_name\":\"Ann\",\"last_name\":\"Lee\",\"account_id\":%lld,"
                          "\"email\":\"ann@acme.com\",\"title\":\"Vice President\",\"source\":\"import\"}",
             (long long)w->acme2);
    w->ann2 = tu_create(t, "contacts", b);
    snprintf(b, sizeof b, "{\"name\":\"Big deal\",\"account_id\":%lld,\"contact_id\":%lld,"
                          "\"stage_id\":\"prospecting\"}",
             (long long)w->acme2, (long long)w->ann2);
    w->deal = tu_create(t, "deals", b);
    snprintf(b, sizeof b, "{\"kind\":\"call\",\"contact_id\":%lld,\"account_id\":%lld}",
             (long long)w->ann2, (long long)w->acme);
    w->act1 = tu_create(t, "activities", b);
    snprintf(b, sizeof b, "{\"kind\":\"note\",\"contact_id\":%lld}", (long long)w->ann);
    w->act2 = tu_create(t, "activities", b);
    snprintf(b, sizeof b, "{\"kind\":\"visit\",\"at\":\"2024-01-01T00:00:00Z\",\"contact_id\":%lld}",
             (long long)w->ann2);
    w->touch = tu_create(t, "touches", b);
    snprintf(b, sizeof b, "{\"last_name\":\"Lee\",\"contact_id\":%lld,\"account_id\":%lld}",
             (long long)w->ann2, (long long)w->acme2);
    w->lead = tu_create(t, "leads", b);
}

static void merge_then_undo(void **state)
{
    tu_env *t = *state;
    world w;
    build(t, &w);
    char *before = dump_without_merges(t);
    /* let the clock move, so that a stamp the merge writes differs from
     * the one it must restore */
    nanosleep(&(struct timespec){0, 5000000}, NULL);
    const rv_entity *ce = rv_entity_find("contacts");
    rv_merge_plan p;
    rv_merge_plan_init(&p, ce, w.ann, w.ann2);
    p.rule[rv_field_index(ce, "title")] = RV_SURV_KEEP; /* manual pick */
    rv_err err;
    int64_t mid = 0;
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_OK);
    assert_true(mid > 0);
    /* survivor: its own title (picked), the email only the duplicate had */
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM contacts WHERE id = %lld AND title = 'VP' "
                                    "AND email = 'ann@acme.com'", (long long)w.ann), 1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM contacts WHERE id = %lld", (long long)w.ann2), 0);
    /* every child points at the survivor: deal, activity, touch, lead */
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM deals WHERE contact_id = %lld", (long long)w.ann), 1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM activities WHERE contact_id = %lld", (long long)w.ann), 2);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM touches WHERE contact_id = %lld", (long long)w.ann), 1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM leads WHERE contact_id = %lld", (long long)w.ann), 1);
    assert_int_equal(tu_sql_intf(t, "SELECT survivor_id FROM merges WHERE id = %lld", (long long)mid), w.ann);
    assert_int_equal(tu_sql_intf(t, "SELECT merged_id FROM merges WHERE id = %lld", (long long)mid), w.ann2);
    char *merged = dump_without_merges(t);
    assert_true(strcmp(before, merged) != 0);

    assert_int_equal(rv_svc_merge_undo(&t->ctx, mid, &err), RV_OK);
    char *after = dump_without_merges(t);
    assert_string_equal(before, after);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM merges WHERE id = %lld AND undone_at IS NOT NULL",
                                 (long long)mid), 1);
    assert_int_equal(rv_svc_merge_undo(&t->ctx, mid, &err), RV_ECONFLICT);
    char want[200];
    snprintf(want, sizeof want, "merge %lld was undone already", (long long)mid);
    assert_string_equal(err.message, want);
    assert_int_equal(rv_svc_merge_undo(&t->ctx, mid + 100, &err), RV_ENOTFOUND);

    /* accounts: children of four kinds re-pointed, then restored */
    const rv_entity *ae = rv_entity_find("accounts");
    rv_merge_plan_init(&p, ae, w.acme, w.acme2);
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_OK);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM accounts WHERE id = %lld AND domain = 'acme.com' "
                                    "AND name = 'Acme Inc'", (long long)w.acme), 1); /* longer name */
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM contacts WHERE account_id = %lld", (long long)w.acme), 2);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM deals WHERE account_id = %lld", (long long)w.acme), 1);
    assert_int_equal(tu_sql_intf(t, "SELECT count(*) FROM leads WHERE account_id = %lld", (long long)w.acme), 1);
    assert_int_equal(rv_svc_merge_undo(&t->ctx, mid, &err), RV_OK);
    char *again = dump_without_merges(t);
    assert_string_equal(before, again);
    free(before), free(merged), free(after), free(again);
}

/* Refusals change nothing and name what is wrong. */
static void refusals(void **state)
{
    tu_env *t = *state;
    world w;
    build(t, &w);
    const rv_entity *ae = rv_entity_find("accounts");
    char b[200];
    snprintf(b, sizeof b, "{\"parent_id\":%lld}", (long long)w.acme2);
    rv_err err;
    assert_int_equal(tu_try_update(t, "accounts", w.acme, b, &err), RV_OK);
    char *before = dump_without_merges(t);
    rv_merge_plan p;
    rv_merge_plan_init(&p, ae, w.acme, w.acme2);
    int64_t mid;
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_ECONFLICT);
    snprintf(b, sizeof b, "account %lld would refer to itself through parent_id after the merge; "
                          "change parent_id first", (long long)w.acme);
    assert_string_equal(err.message, b);
    rv_merge_plan_init(&p, ae, w.acme, w.acme);
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_EINVAL);
    snprintf(b, sizeof b, "a record cannot be merged into itself, got account %lld twice", (long long)w.acme);
    assert_string_equal(err.message, b);
    rv_merge_plan_init(&p, ae, w.acme, 999);
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_ENOTFOUND);
    rv_merge_plan_init(&p, rv_entity_find("audit_log"), 1, 2);
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_EINVAL);
    assert_string_equal(err.message, "records of 'audit_log' cannot be merged");
    char *after = dump_without_merges(t);
    assert_string_equal(before, after);

    /* undo refuses once the survivor changed after the merge */
    const rv_entity *ce = rv_entity_find("contacts");
    rv_merge_plan_init(&p, ce, w.ann, w.ann2);
    assert_int_equal(rv_svc_merge(&t->ctx, &p, &mid, &err), RV_OK);
    assert_int_equal(tu_try_update(t, "contacts", w.ann, "{\"title\":\"CEO\"}", &err), RV_OK);
    assert_int_equal(rv_svc_merge_undo(&t->ctx, mid, &err), RV_ECONFLICT);
    snprintf(b, sizeof b, "contact %lld changed after merge %lld; undoing it would lose that change",
             (long long)w.ann, (long long)mid);
    assert_string_equal(err.message, b);
    free(before), free(after);
}

/* Survivorship rules, seen through the preview (which writes nothing). */
static void survivorship(void **state)
{
    tu_env *t = *state;
    world w;
    build(t, &w);
    const rv_entity *ce = rv_entity_find("contacts");
    int ft = rv_field_index(ce, "title"), fe = rv_field_index(ce, "email");
    rv_merge_plan p;
    rv_merge_plan_init(&p, ce, w.ann, w.ann2);
    rv_record out;
    int from[RV_MAX_FIELDS];
    rv_err err;
    /* complete: the longer title, the only email */
    assert_int_equal(rv_svc_merge_preview(&t->ctx, &p, &out, from, &err), RV_OK);
    assert_int_equal(from[ft], 1);
    assert_int_equal(from[fe], 1);
    assert_int_equal(from[rv_field_index(ce, "first_name")], 0); /* equal: the survivor's */
    /* source priority: web before import */
    p.rule[ft] = RV_SURV_SOURCE;
    p.sources[0] = "web", p.sources[1] = "import", p.nsources = 2;
    assert_int_equal(rv_svc_merge_preview(&t->ctx, &p, &out, from, &err), RV_OK);
    assert_int_equal(from[ft], 0);
    p.sources[0] = "import", p.sources[1] = "web";
    assert_int_equal(rv_svc_merge_preview(&t->ctx, &p, &out, from, &err), RV_OK);
    assert_int_equal(from[ft], 1);
    /* most recent: the duplicate was written last; after an update of the
     * survivor, the survivor */
    p.rule[ft] = RV_SURV_RECENT;
    assert_int_equal(rv_svc_merge_preview(&t->ctx, &p, &out, from, &err), RV_OK);
    assert_int_equal(from[ft], tu_sql_intf(t, "SELECT (SELECT updated_at FROM contacts WHERE id = %lld) > "
                                              "(SELECT updated_at FROM contacts WHERE id = %lld)",
                                           (long long)w.ann2, (long long)w.ann));
    p.rule[ft] = RV_SURV_MERGED;
    assert_int_equal(rv_svc_merge_preview(&t->ctx, &p, &out, from, &err), RV_OK);
    assert_int_equal(from[ft], 1);
    assert_int_equal(rv_surv_rule_parse("recent"), RV_SURV_RECENT);
    assert_int_equal(rv_surv_rule_parse("newest"), -1);
    assert_string_equal(rv_surv_rule_name(RV_SURV_SOURCE), "source");
    assert_int_equal(tu_count(t, "merges"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(merge_then_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(survivorship, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
