/*
 * migrate.c - copy a whole database to another backend, check, commit.
 * See migrate.h for the steps and why they are in that order.
 */
#include "service/migrate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PROGRESS_EVERY 16384

typedef struct copy_state {
    rv_store *to;
    const rv_migrate_opts *o;
    bool forward[RV_MAX_FIELDS]; /* fields copied as NULL, set in pass two */
    int64_t done, total, deferred;
    rv_status rc;
    rv_err *err;
} copy_state;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A reference to an entity that comes later in rv_entities[]. */
static bool points_forward(const rv_entity *e, const rv_field *f)
{
    if (f->type != RV_FT_REF)
        return false;
    const rv_entity *to = rv_entity_find(f->ref);
    return to && to->index > e->index;
}

static void progress(copy_state *cs)
{
    if (cs->o && cs->o->progress && cs->total > 0)
        cs->o->progress(cs->o->progress_ud, (double)cs->done / (double)cs->total, cs->done);
}

static int copy_one(void *ud, const rv_record *r)
{
    copy_state *cs = ud;
    const rv_record *row = r;
    rv_record held;
    bool any = false;
    for (int i = 0; i < r->ent->nfields; i++)
        any |= cs->forward[i] && r->v[i].state == RV_V_SET;
    if (any) {
        held = *r;
        for (int i = 0; i < r->ent->nfields; i++)
            if (cs->forward[i] && held.v[i].state == RV_V_SET)
                held.v[i] = (rv_val){.state = RV_V_NULL};
        row = &held;
        cs->deferred++;
    }
    cs->rc = rv_store_copy_row(cs->to, row, cs->err);
    if (cs->rc)
        return 1;
    if (++cs->done % PROGRESS_EVERY == 0)
        progress(cs);
    return 0;
}

static int update_one(void *ud, const rv_record *r)
{
    copy_state *cs = ud;
    cs->rc = rv_store_update(cs->to, r, cs->err);
    if (cs->rc)
        rv_err_prefix(cs->err, "%s %lld: setting references: ", r->ent->name, (long long)r->id);
    return cs->rc != RV_OK;
}

/* Copy the rows of e (forward references as NULL). */
static rv_status copy_entity(rv_store *from, copy_state *cs, const rv_entity *e, rv_err *err)
{
    for (int i = 0; i < e->nfields; i++)
        cs->forward[i] = points_forward(e, &e->fields[i]);
    rv_status rc = rv_store_copy_begin(cs->to, e, err);
    if (rc)
        return rc;
    rv_query q;
    rv_query_init(&q, e);
    cs->rc = RV_OK;
    cs->err = err;
    rc = rv_store_list(from, &q, copy_one, cs, err);
    if (!rc)
        rc = cs->rc;
    if (rc) {
        /* end the abandoned copy; the first error is the one to report */
        rv_err ignored;
        rv_store_copy_end(cs->to, NULL, &ignored);
        return rc;
    }
    return rv_store_copy_end(cs->to, NULL, err);
}

/* Pass two: rewrite the rows whose forward references were held back. */
static rv_status set_forward_refs(rv_store *from, copy_state *cs, const rv_entity *e, rv_err *err)
{
    for (int i = 0; i < e->nfields; i++) {
        if (!points_forward(e, &e->fields[i]))
            continue;
        rv_query q;
        rv_query_init(&q, e);
        q.filters[q.nfilters++] = (rv_filter){.field = i, .op = RV_OP_NOTNULL};
        cs->rc = RV_OK;
        cs->err = err;
        rv_status rc = rv_store_list(from, &q, update_one, cs, err);
        if (!rc)
            rc = cs->rc;
        if (rc)
            return rc;
    }
    return RV_OK;
}

static rv_status check_entity(rv_store *from, rv_store *to, const rv_entity *e,
                              rv_migrate_count *k, rv_err *err)
{
    rv_store_totals a, b;
    rv_status rc = rv_store_totals_get(from, e, &a, err);
    if (!rc)
        rc = rv_store_totals_get(to, e, &b, err);
    if (rc)
        return rc;
    if (a.rows != b.rows)
        return rv_err_set(err, RV_EDB, NULL, "check failed: %s: %lld rows on the source, %lld on "
                                             "the target",
                          e->name, (long long)a.rows, (long long)b.rows);
    for (int c = 0; c < a.ncols; c++) {
        const char *col = rv_store_column_name(e, a.field[c]);
        if (a.nonnull[c] != b.nonnull[c])
            return rv_err_set(err, RV_EDB, col,
                              "check failed: %s.%s: %lld values on the source, %lld on the "
                              "target",
                              e->name, col, (long long)a.nonnull[c], (long long)b.nonnull[c]);
        if (a.sum[c] != b.sum[c]) {
            char sa[48], sb[48];
            return rv_err_set(err, RV_EDB, col,
                              "check failed: %s.%s: sum %s on the source, %s on the target",
                              e->name, col, rv_sum128_text(a.sum[c], sa, sizeof sa),
                              rv_sum128_text(b.sum[c], sb, sizeof sb));
        }
    }
    k->rows = a.rows;
    k->columns = a.ncols;
    return RV_OK;
}

/* Everything between the two begins and the commit. */
static rv_status migrate_in_tx(rv_store *from, rv_store *to, copy_state *cs,
                               rv_migrate_report *rep, rv_err *err)
{
    rv_status rc;
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        rv_query q;
        rv_query_init(&q, e);
        int64_t n = 0;
        if ((rc = rv_store_count(to, &q, &n, err)))
            return rc;
        if (n > 0)
            return rv_err_set(err, RV_ECONFLICT, NULL,
                              "the target database is not empty: table '%s' has %lld rows; "
                              "migrate copies into an empty database only",
                              e->name, (long long)n);
        if ((rc = rv_store_count(from, &q, &n, err)))
            return rc;
        cs->total += n;
    }
    for (int k = 0; rv_entities[k]; k++) {
        const rv_entity *e = rv_entities[k];
        cs->deferred = 0;
        if ((rc = copy_entity(from, cs, e, err)))
            return rc;
        rep->counts[e->index].deferred = cs->deferred;
    }
    for (int k = 0; rv_entities[k]; k++)
        if (rep->counts[k].deferred && (rc = set_forward_refs(from, cs, rv_entities[k], err)))
            return rc;
    progress(cs);
    for (int k = 0; rv_entities[k]; k++) {
        if ((rc = check_entity(from, to, rv_entities[k], &rep->counts[k], err)))
            return rc;
        rep->rows += rep->counts[k].rows;
    }
    return RV_OK;
}

rv_status rv_migrate(rv_store *from, rv_store *to, const rv_migrate_opts *o,
                     rv_migrate_report *rep, rv_err *err)
{
    int64_t t0 = now_ms();
    rv_migrate_report scratch;
    if (!rep)
        rep = &scratch;
    memset(rep, 0, sizeof *rep);
    if (rv_store_in_tx(from) || rv_store_in_tx(to))
        return rv_err_set(err, RV_EINTERNAL, NULL, "migrate: a store is already in a transaction");
    int vf = rv_store_schema_version(from), vt = rv_store_schema_version(to);
    if (vf != vt)
        return rv_err_set(err, RV_EINVAL, NULL,
                          "the source has schema version %d and the target %d; open both with "
                          "the same revos",
                          vf, vt);
    rv_status rc = rv_store_begin_read(from, err);
    if (rc)
        return rc;
    if ((rc = rv_store_begin(to, err))) {
        rv_store_rollback(from);
        return rc;
    }
    copy_state cs = {.to = to, .o = o};
    rc = migrate_in_tx(from, to, &cs, rep, err);
    if (!rc)
        rc = rv_store_commit(to, err);
    else
        rv_store_rollback(to);
    rv_store_rollback(from); /* the read transaction: nothing to keep */
    rep->elapsed_ms = now_ms() - t0;
    if (rc) {
        if (rc != RV_ECONFLICT) {
            size_t n = strlen(err->message);
            snprintf(err->message + n, sizeof err->message - n, "; nothing was written");
        }
        rep->rows = 0;
        return rc;
    }
    rep->committed = true;
    return RV_OK;
}
