/*
 * maven.c - `revos import maven DIR`: the Maven Analytics "CRM Sales
 * Opportunities" dataset as revos records (see docs/import.md).
 *
 * The four data files are small (8,800 opportunities), so each is read
 * whole into memory first; the rows are then derived and handed to the
 * row import (import.h) in reference order, all in one transaction:
 *
 *   sales_teams.csv  -> teams (one per regional_office), users (managers
 *                       with role manager, agents with role rep whose
 *                       manager_id is their manager)
 *   products.csv     -> products (family = series, list_price = sales_price)
 *   (fixed)          -> pipeline "Maven" (default) with stages Prospecting,
 *                       Engaging (open), Won (won), Lost (lost)
 *   accounts.csv     -> accounts (revenue is in millions of USD: stored as
 *                       dollars), parents before their subsidiaries
 *   sales_pipeline.csv -> per opportunity: a deal, its one deal_products
 *                       line, and its stage_history derived from the dates
 *
 * Every record carries an external id ("maven:user:Anna Snelling", the
 * opportunity_id for deals), so running the import again finds every
 * record and changes nothing.
 *
 * Known problems of the data are corrected or kept as the table below
 * says, and every one is counted in the report; nothing is fixed silently.
 * Anything else unexpected (an unknown agent, product, account or stage, a
 * Won deal without a close value, a bad date) rejects its row, and a
 * rejected row means nothing is written.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "model/money.h"
#include "service/import.h"

/* Sector spellings corrected on import: {as in the file, as stored}. */
static const char *const sector_fixes[][2] = {{"technolgy", "technology"}};
/* Country spellings reported but kept (free text, no list to check against). */
static const char *const country_typos[] = {"Philipines", NULL};

/* Stages of the Maven pipeline: name, position, probability, kind, forecast category. */
static const struct {
    const char *name, *position, *probability, *kind, *forecast;
} maven_stages[] = {
    {"Prospecting", "1", "10", "open", "pipeline"},
    {"Engaging", "2", "60", "open", "pipeline"},
    {"Won", "3", "100", "won", "closed"},
    {"Lost", "4", "0", "lost", "omitted"},
};

/* ---- reading the files ---------------------------------------------------- */

typedef struct mtable {
    const char *file;
    const rv_entity *ent; /* entity its rows become, for rejects */
    int ncols;
    char **hdr; /* header names, in the arena */
    long n;
    char **cells; /* n x ncols, trimmed, NUL-terminated, in the arena */
    long *rowno;
    int col[8]; /* indexes of the columns asked for */
} mtable;

static const char *cell(const mtable *t, long r, int k)
{
    return t->cells[r * t->ncols + t->col[k]];
}

static char *trimmed_copy(rv_arena *a, const char *s, size_t n)
{
    while (n && isspace((unsigned char)s[0]))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return rv_arena_strndup(a, s, n);
}

/* Read dir/file whole; the columns `need` must be in its header.  Rows with
 * the wrong number of cells, and a CSV syntax error, are rejects. */
static rv_status load(rv_import *im, rv_arena *a, const char *dir, const char *file,
                      const rv_entity *ent, const char *const *need, mtable *t, rv_err *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    memset(t, 0, sizeof *t);
    t->file = file;
    t->ent = ent;
    rv_csv_reader *r = NULL;
    int n;
    const char *const *cols;
    const size_t *lens;
    rv_status st = rv_csv_open_header(&r, path, &n, &cols, &lens, err);
    if (st)
        return st;
    long row;
    t->ncols = n;
    t->hdr = rv_arena_alloc(a, (size_t)n * sizeof *t->hdr);
    for (int i = 0; i < n; i++)
        t->hdr[i] = trimmed_copy(a, cols[i], lens[i]);
    for (int k = 0; need[k]; k++) {
        t->col[k] = -1;
        for (int i = 0; i < n; i++)
            if (strlen(need[k]) == lens[i] && !memcmp(need[k], cols[i], lens[i]))
                t->col[k] = i;
        if (t->col[k] < 0) {
            rv_csv_close(r);
            return rv_err_set(err, RV_EINVAL, need[k], "'%s' has no column '%s'", path, need[k]);
        }
    }
    long cap = 0;
    rv_import_set_source(im, file, NULL);
    while ((st = rv_csv_next(r, &n, &cols, &lens, &row, err)) == RV_OK) {
        if (n != t->ncols) {
            rv_err why;
            char q[80];
            if (n < t->ncols)
                rv_err_set(&why, RV_EINVAL, NULL,
                           "missing: the row has %d cell%s, the header has %d", n,
                           n == 1 ? "" : "s", t->ncols);
            else
                rv_err_set(&why, RV_EINVAL, NULL,
                           "extra cell '%s': the row has %d cells, the header has %d",
                           rv_err_quote(q, sizeof q, cols[t->ncols], lens[t->ncols]), n, t->ncols);
            char colname[32];
            snprintf(colname, sizeof colname, "%d", t->ncols + 1);
            rv_import_reject_row(im, ent, row, n < t->ncols ? t->hdr[n] : colname, &why);
            continue;
        }
        if (t->n == cap) {
            cap = cap ? cap * 2 : 256;
            t->cells = rv_xrealloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *t->cells);
            t->rowno = rv_xrealloc(t->rowno, (size_t)cap * sizeof *t->rowno);
        }
        for (int i = 0; i < n; i++)
            t->cells[t->n * t->ncols + i] = trimmed_copy(a, cols[i], lens[i]);
        t->rowno[t->n++] = row;
    }
    if (st == RV_EPARSE || st == RV_ETOOBIG) {
        rv_err why = *err;
        if (!strncmp(why.message, "row ", 4)) {
            const char *p = strchr(why.message, ':');
            if (p && p[1] == ' ')
                memmove(why.message, p + 2, strlen(p + 2) + 1);
        }
        rv_import_reject_row(im, ent, row, why.field, &why);
        st = RV_ENOTFOUND;
    }
    rv_csv_close(r);
    return st == RV_ENOTFOUND ? RV_OK : st;
}

static void table_free(mtable *t)
{
    free(t->cells);
    free(t->rowno);
}

/* ---- the report ------------------------------------------------------------- */

static void problem(rv_maven_report *rep, const char *key, int64_t count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(rv_maven_report *rep, const char *key, int64_t count, const char *fmt, ...)
{
    if (!count || rep->nproblems >= RV_MAVEN_MAX_PROBLEMS)
        return;
    rv_maven_problem *p = &rep->problems[rep->nproblems++];
    p->key = key;
    p->count = count;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
}

int64_t rv_maven_problem_count(const rv_maven_report *rep, const char *key)
{
    for (int i = 0; i < rep->nproblems; i++)
        if (!strcmp(rep->problems[i].key, key))
            return rep->problems[i].count;
    return 0;
}

/* ---- rows ------------------------------------------------------------------- */

/* One row being built: field names and values side by side. */
typedef struct mrow {
    int n;
    const char *f[16];
    const char *v[16];
    const char *col[16]; /* source column behind each field, for messages */
} mrow;

static void put(mrow *r, const char *field, const char *val, const char *col)
{
    r->f[r->n] = field;
    r->v[r->n] = val;
    r->col[r->n] = col ? col : field;
    r->n++;
}

static void emit(rv_import *im, const char *file, const char *entity, mrow *r, long rowno)
{
    rv_import_set_source(im, file, r->col);
    rv_import_row(im, rv_entity_find(entity), r->n, r->f, r->v, NULL, rowno);
    r->n = 0;
}

static void reject(rv_import *im, const mtable *t, long i, const char *column, rv_status code,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void reject(rv_import *im, const mtable *t, long i, const char *column, rv_status code,
                   const char *fmt, ...)
{
    rv_err why;
    rv_err_clear(&why);
    why.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why.message, sizeof why.message, fmt, ap);
    va_end(ap);
    snprintf(why.field, sizeof why.field, "%s", column);
    rv_import_set_source(im, t->file, NULL);
    rv_import_reject_row(im, t->ent, t->rowno[i], column, &why);
}

/* Index of the row whose column k equals s, via the map; -1 if none. */
static long lookup(const rv_map *m, const char *s)
{
    int64_t v;
    return rv_map_get(m, s, strlen(s), &v) ? (long)v : -1;
}

/* The name with spaces removed and lower-cased: "GTX Pro" and "GTXPro"
 * are the same product. */
static void squash(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++)
        if (!isspace((unsigned char)*s))
            out[o++] = (char)tolower((unsigned char)*s);
    out[o] = '\0';
}

typedef struct alias {
    char from[128];
    long to;
    int64_t rows;
} alias;

/* ---- the import ------------------------------------------------------------- */

enum { T_AGENT, T_MANAGER, T_OFFICE };
enum { P_NAME, P_SERIES, P_PRICE };
enum { A_NAME, A_SECTOR, A_YEAR, A_REVENUE, A_EMPLOYEES, A_OFFICE, A_PARENT };
enum { S_ID, S_AGENT, S_PRODUCT, S_ACCOUNT, S_STAGE, S_ENGAGE, S_CLOSE, S_VALUE };

typedef struct mjob {
    rv_ctx *c;
    rv_import *im;
    rv_arena a;
    rv_maven_report *rep;
    mtable teams, products, accounts, deals;
    rv_map agent_ix, product_ix, product_sq, account_ix;
} mjob;

static const char *ext(mjob *j, const char *kind, const char *name)
{
    return rv_arena_printf(&j->a, "maven:%s:%s", kind, name);
}

static void import_teams_and_users(mjob *j)
{
    mtable *t = &j->teams;
    rv_map office_seen, manager_ix;
    rv_map_init(&office_seen);
    rv_map_init(&manager_ix);
    mrow r = {0};
    /* teams, one per regional office, in file order */
    for (long i = 0; i < t->n; i++) {
        const char *office = cell(t, i, T_OFFICE);
        if (!office[0] || lookup(&office_seen, office) >= 0)
            continue;
        rv_map_put(&office_seen, office, strlen(office), i);
        put(&r, "external_id", ext(j, "team", office), "regional_office");
        put(&r, "name", office, "regional_office");
        put(&r, "region", office, "regional_office");
        emit(j->im, t->file, "teams", &r, t->rowno[i]);
    }
    /* managers, each once, in the team of their first agent's office */
    for (long i = 0; i < t->n; i++) {
        const char *m = cell(t, i, T_MANAGER), *office = cell(t, i, T_OFFICE);
        long first = lookup(&manager_ix, m);
        if (first >= 0) {
            if (strcmp(cell(t, first, T_OFFICE), office) != 0)
                reject(j->im, t, i, "regional_office", RV_EINVAL,
                       "manager '%s' is in office '%s' here but in '%s' in row %ld", m, office,
                       cell(t, first, T_OFFICE), t->rowno[first]);
            continue;
        }
        rv_map_put(&manager_ix, m, strlen(m), i);
        put(&r, "external_id", ext(j, "user", m), "manager");
        put(&r, "name", m, "manager");
        put(&r, "role", "manager", NULL);
        put(&r, "team_id", office[0] ? ext(j, "team", office) : "", "regional_office");
        put(&r, "region", office, "regional_office");
        emit(j->im, t->file, "users", &r, t->rowno[i]);
    }
    for (long i = 0; i < t->n; i++) {
        const char *name = cell(t, i, T_AGENT), *m = cell(t, i, T_MANAGER);
        const char *office = cell(t, i, T_OFFICE);
        if (lookup(&j->agent_ix, name) >= 0) {
            reject(j->im, t, i, "sales_agent", RV_ECONFLICT, "agent '%s' is listed twice", name);
            continue;
        }
        rv_map_put(&j->agent_ix, name, strlen(name), i);
        put(&r, "external_id", ext(j, "user", name), "sales_agent");
        put(&r, "name", name, "sales_agent");
        put(&r, "role", "rep", NULL);
        put(&r, "manager_id", m[0] ? ext(j, "user", m) : "", "manager");
        put(&r, "team_id", office[0] ? ext(j, "team", office) : "", "regional_office");
        put(&r, "region", office, "regional_office");
        emit(j->im, t->file, "users", &r, t->rowno[i]);
    }
    rv_map_release(&office_seen);
    rv_map_release(&manager_ix);
}

static void import_products(mjob *j)
{
    mtable *t = &j->products;
    mrow r = {0};
    for (long i = 0; i < t->n; i++) {
        const char *name = cell(t, i, P_NAME);
        char sq[128];
        squash(name, sq, sizeof sq);
        rv_map_put(&j->product_ix, name, strlen(name), i);
        rv_map_put(&j->product_sq, sq, strlen(sq), i);
        put(&r, "external_id", ext(j, "product", name), "product");
        put(&r, "name", name, "product");
        put(&r, "family", cell(t, i, P_SERIES), "series");
        put(&r, "list_price", cell(t, i, P_PRICE), "sales_price");
        emit(j->im, t->file, "products", &r, t->rowno[i]);
    }
}

/* The default pipeline, unless another one already is. */
static void import_pipeline(mjob *j)
{
    const rv_entity *p = rv_entity_find("pipelines");
    rv_query q;
    rv_query_init(&q, p);
    q.filters[0] = (rv_filter){.field = rv_field_index(p, "is_default"),
                               .op = RV_OP_EQ,
                               .val = {.i = 1, .state = RV_V_SET}};
    q.filters[1] = (rv_filter){.field = rv_entity_extid_field(p),
                               .op = RV_OP_NE,
                               .val = {.s = "maven:pipeline", .len = 14, .state = RV_V_SET}};
    q.nfilters = 2;
    int64_t others = 0;
    rv_err err;
    if (rv_store_count(j->c->store, &q, &others, &err) != RV_OK)
        others = 0; /* the import itself will meet the same database error */
    problem(j->rep, "other_default_pipeline", others,
            "another pipeline is the default already: 'Maven' is imported as a pipeline that is "
            "not the default");
    mrow r = {0};
    put(&r, "external_id", "maven:pipeline", NULL);
    put(&r, "name", "Maven", NULL);
    put(&r, "is_default", others ? "false" : "true", NULL);
    emit(j->im, "maven pipeline", "pipelines", &r, 1);
    for (size_t k = 0; k < sizeof maven_stages / sizeof maven_stages[0]; k++) {
        put(&r, "external_id", ext(j, "stage", maven_stages[k].name), NULL);
        put(&r, "pipeline_id", "maven:pipeline", NULL);
        put(&r, "name", maven_stages[k].name, NULL);
        put(&r, "position", maven_stages[k].position, NULL);
        put(&r, "probability", maven_stages[k].probability, NULL);
        put(&r, "kind", maven_stages[k].kind, NULL);
        put(&r, "forecast_category", maven_stages[k].forecast, NULL);
        emit(j->im, "maven pipeline", "stages", &r, (long)k + 2);
    }
}

/* revenue is in millions of USD: "1100.04" -> "1100040000" (dollars). */
static const char *millions_to_dollars(mjob *j, const char *s, rv_status *bad)
{
    *bad = RV_OK;
    if (!s[0])
        return "";
    int64_t dollars;
    rv_err e;
    if ((*bad = rv_money_parse(s, strlen(s), 6, &dollars, "revenue", &e)))
        return NULL;
    return rv_arena_printf(&j->a, "%lld", (long long)dollars);
}

/* Depth of account i in the subsidiary_of tree (0: no parent); -1 when the
 * parent is unknown or the chain loops. */
static int account_depth(mjob *j, long i)
{
    const mtable *t = &j->accounts;
    int d = 0;
    for (long k = i; cell(t, k, A_PARENT)[0]; d++) {
        k = lookup(&j->account_ix, cell(t, k, A_PARENT));
        if (k < 0 || d > t->n)
            return -1;
    }
    return d;
}

static void import_accounts(mjob *j)
{
    mtable *t = &j->accounts;
    for (long i = 0; i < t->n; i++) {
        const char *name = cell(t, i, A_NAME);
        if (lookup(&j->account_ix, name) >= 0)
            reject(j->im, t, i, "account", RV_ECONFLICT, "account '%s' is listed twice", name);
        else
            rv_map_put(&j->account_ix, name, strlen(name), i);
    }
    int64_t fixed[sizeof sector_fixes / sizeof sector_fixes[0]] = {0};
    int64_t country_typo[sizeof country_typos / sizeof country_typos[0]] = {0};
    int maxd = 0;
    int *depth = rv_xcalloc((size_t)t->n + 1, sizeof *depth);
    for (long i = 0; i < t->n; i++) {
        depth[i] = account_depth(j, i);
        if (depth[i] < 0)
            reject(j->im, t, i, "subsidiary_of", RV_EREF,
                   "subsidiary_of: no account '%s' in accounts.csv (or the parents form a loop)",
                   cell(t, i, A_PARENT));
        if (depth[i] > maxd)
            maxd = depth[i];
    }
    mrow r = {0};
    /* parents first, so parent_id always names an account that exists */
    for (int d = 0; d <= maxd; d++) {
        for (long i = 0; i < t->n; i++) {
            if (depth[i] != d)
                continue;
            const char *sector = cell(t, i, A_SECTOR);
            for (size_t k = 0; k < sizeof sector_fixes / sizeof sector_fixes[0]; k++)
                if (!strcmp(sector, sector_fixes[k][0])) {
                    sector = sector_fixes[k][1];
                    fixed[k]++;
                }
            for (size_t k = 0; country_typos[k]; k++)
                if (!strcmp(cell(t, i, A_OFFICE), country_typos[k]))
                    country_typo[k]++;
            rv_status bad;
            const char *rev = millions_to_dollars(j, cell(t, i, A_REVENUE), &bad);
            if (bad) {
                reject(j->im, t, i, "revenue", RV_EINVAL,
                       "revenue must be a number of millions with at most 6 decimals, got '%s'",
                       cell(t, i, A_REVENUE));
                continue;
            }
            const char *parent = cell(t, i, A_PARENT);
            put(&r, "external_id", ext(j, "account", cell(t, i, A_NAME)), "account");
            put(&r, "name", cell(t, i, A_NAME), "account");
            put(&r, "industry", sector, "sector");
            put(&r, "year_founded", cell(t, i, A_YEAR), "year_established");
            put(&r, "annual_revenue", rev, "revenue");
            put(&r, "employees", cell(t, i, A_EMPLOYEES), "employees");
            put(&r, "country", cell(t, i, A_OFFICE), "office_location");
            put(&r, "parent_id", parent[0] ? ext(j, "account", parent) : "", "subsidiary_of");
            emit(j->im, t->file, "accounts", &r, t->rowno[i]);
        }
    }
    free(depth);
    for (size_t k = 0; k < sizeof sector_fixes / sizeof sector_fixes[0]; k++)
        problem(j->rep, "sector_typo", fixed[k],
                "accounts.csv: sector '%s' in %lld accounts, stored as industry '%s'",
                sector_fixes[k][0], (long long)fixed[k], sector_fixes[k][1]);
    for (size_t k = 0; country_typos[k]; k++)
        problem(j->rep, "country_typo", country_typo[k],
                "accounts.csv: office_location '%s' in %lld account%s, kept as spelled (country)",
                country_typos[k], (long long)country_typo[k], country_typo[k] == 1 ? "" : "s");
}

static int stage_index(const char *s)
{
    for (int k = 0; k < 4; k++)
        if (!strcmp(s, maven_stages[k].name))
            return k;
    return -1;
}

static void import_deals(mjob *j)
{
    mtable *t = &j->deals, *p = &j->products;
    alias aliases[16];
    int naliases = 0;
    int64_t no_account[4] = {0}, no_engage = 0, open_amount = 0;
    int64_t *agent_deals = rv_xcalloc((size_t)j->teams.n + 1, sizeof *agent_deals);
    /* the snapshot: the latest date anywhere in the file */
    int32_t snap = 0;
    for (long i = 0; i < t->n; i++)
        for (int k = S_ENGAGE; k <= S_CLOSE; k++) {
            const char *s = cell(t, i, k);
            int32_t d;
            rv_err e;
            if (s[0] && rv_date_parse(s, strlen(s), &d, "date", &e) == RV_OK && d > snap)
                snap = d;
        }
    j->rep->snapshot_day = snap;
    char snap_text[16];
    rv_date_format(snap, snap_text, sizeof snap_text);
    mrow r = {0};
    for (long i = 0; i < t->n; i++) {
        const char *opp = cell(t, i, S_ID), *agent = cell(t, i, S_AGENT);
        const char *product = cell(t, i, S_PRODUCT), *account = cell(t, i, S_ACCOUNT);
        const char *stage = cell(t, i, S_STAGE), *engage = cell(t, i, S_ENGAGE);
        const char *close = cell(t, i, S_CLOSE), *value = cell(t, i, S_VALUE);
        int sk = stage_index(stage);
        long pi = lookup(&j->product_ix, product);
        if (pi < 0) {
            char sq[128];
            squash(product, sq, sizeof sq);
            pi = lookup(&j->product_sq, sq);
            if (pi >= 0) {
                int a = 0;
                while (a < naliases && strcmp(aliases[a].from, product) != 0)
                    a++;
                if (a == naliases && naliases < 16) {
                    snprintf(aliases[a].from, sizeof aliases[a].from, "%s", product);
                    aliases[a].to = pi;
                    aliases[a].rows = 0;
                    naliases++;
                }
                if (a < naliases)
                    aliases[a].rows++;
            }
        }
        long ai = lookup(&j->agent_ix, agent);
        if (sk < 0) {
            reject(j->im, t, i, "deal_stage", RV_EINVAL,
                   "deal_stage must be Prospecting, Engaging, Won or Lost, got '%s'", stage);
            continue;
        }
        if (pi < 0) {
            reject(j->im, t, i, "product", RV_EREF, "product: no product '%s' in products.csv",
                   product);
            continue;
        }
        if (ai < 0) {
            reject(j->im, t, i, "sales_agent", RV_EREF,
                   "sales_agent: no agent '%s' in sales_teams.csv", agent);
            continue;
        }
        if (account[0] && lookup(&j->account_ix, account) < 0) {
            reject(j->im, t, i, "account", RV_EREF, "account: no account '%s' in accounts.csv",
                   account);
            continue;
        }
        bool closed = sk >= 2;
        if (closed && (!close[0] || !value[0])) {
            reject(j->im, t, i, !close[0] ? "close_date" : "close_value", RV_EINVAL,
                   "%s is empty for a %s deal", !close[0] ? "close_date" : "close_value", stage);
            continue;
        }
        if (sk >= 1 && !engage[0]) {
            reject(j->im, t, i, "engage_date", RV_EINVAL, "engage_date is empty for a %s deal",
                   stage);
            continue;
        }
        agent_deals[ai]++;
        if (!account[0])
            no_account[sk]++;
        if (sk == 0 && !engage[0])
            no_engage++;
        const char *pname = cell(p, pi, P_NAME), *list = cell(p, pi, P_PRICE);
        const char *amount = closed ? value : list;
        if (!closed)
            open_amount++;
        const char *deal_ext = opp;
        put(&r, "external_id", opp, "opportunity_id");
        put(&r, "name",
            rv_arena_printf(&j->a, "%s \xe2\x80\x93 %s", pname,
                            account[0] ? account : "no account"),
            "product");
        put(&r, "account_id", account[0] ? ext(j, "account", account) : "", "account");
        put(&r, "owner_id", ext(j, "user", agent), "sales_agent");
        put(&r, "pipeline_id", "maven:pipeline", NULL);
        put(&r, "stage_id", ext(j, "stage", stage), "deal_stage");
        put(&r, "amount", amount, closed ? "close_value" : "product");
        put(&r, "close_date", close, "close_date");
        put(&r, "created_on", engage, "engage_date");
        put(&r, "closed_at", closed ? close : "", "close_date");
        emit(j->im, t->file, "deals", &r, t->rowno[i]);

        put(&r, "external_id", rv_arena_printf(&j->a, "maven:line:%s", opp), "opportunity_id");
        put(&r, "deal_id", deal_ext, "opportunity_id");
        put(&r, "product_id", ext(j, "product", pname), "product");
        put(&r, "quantity", "1", NULL);
        put(&r, "unit_price", sk == 2 ? value : list, sk == 2 ? "close_value" : "product");
        emit(j->im, t->file, "deal_products", &r, t->rowno[i]);

        /* history: into the first known stage, then the close */
        const char *first_stage = sk == 0 ? "Prospecting" : "Engaging";
        const char *first_at = engage[0] ? engage : snap_text;
        put(&r, "external_id", rv_arena_printf(&j->a, "maven:history:%s:1", opp), "opportunity_id");
        put(&r, "deal_id", deal_ext, "opportunity_id");
        put(&r, "to_stage_id", ext(j, "stage", first_stage), "deal_stage");
        put(&r, "changed_at", first_at, engage[0] ? "engage_date" : "deal_stage");
        put(&r, "amount", list, "product");
        put(&r, "forecast_category", "pipeline", NULL);
        emit(j->im, t->file, "stage_history", &r, t->rowno[i]);
        if (closed) {
            put(&r, "external_id", rv_arena_printf(&j->a, "maven:history:%s:2", opp),
                "opportunity_id");
            put(&r, "deal_id", deal_ext, "opportunity_id");
            put(&r, "from_stage_id", ext(j, "stage", "Engaging"), "deal_stage");
            put(&r, "to_stage_id", ext(j, "stage", stage), "deal_stage");
            put(&r, "changed_at", close, "close_date");
            put(&r, "amount", value, "close_value");
            put(&r, "close_date", close, "close_date");
            put(&r, "forecast_category", maven_stages[sk].forecast, NULL);
            emit(j->im, t->file, "stage_history", &r, t->rowno[i]);
        }
        /* the arena holds derived text: keep it small between deals */
        if ((i & 1023) == 1023)
            rv_arena_reset(&j->a);
    }
    for (int a = 0; a < naliases; a++)
        problem(j->rep, "product_alias", aliases[a].rows,
                "sales_pipeline.csv: product '%s' in %lld rows is not in products.csv; read as "
                "'%s' (same name without spaces)",
                aliases[a].from, (long long)aliases[a].rows, cell(p, aliases[a].to, P_NAME));
    int64_t na = no_account[0] + no_account[1] + no_account[2] + no_account[3];
    problem(j->rep, "deal_without_account", na,
            "sales_pipeline.csv: %lld deals have no account (%lld Prospecting, %lld Engaging, "
            "%lld Won, %lld Lost); kept without one",
            (long long)na, (long long)no_account[0], (long long)no_account[1],
            (long long)no_account[2], (long long)no_account[3]);
    problem(j->rep, "prospecting_without_engage_date", no_engage,
            "sales_pipeline.csv: %lld Prospecting deals have no engage_date: created_on is left "
            "empty and their one stage_history row (into Prospecting) is dated %s, the latest "
            "date in the file",
            (long long)no_engage, snap_text);
    problem(j->rep, "open_deal_amount", open_amount,
            "sales_pipeline.csv: %lld open deals (Prospecting, Engaging) have no close_value: "
            "their amount is the product's list price",
            (long long)open_amount);
    /* agents who never appear in the pipeline */
    char names[400] = "";
    int64_t idle = 0;
    for (long i = 0; i < j->teams.n; i++) {
        if (agent_deals[i])
            continue;
        idle++;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "",
                 cell(&j->teams, i, T_AGENT));
    }
    problem(j->rep, "agent_without_deals", idle,
            "sales_teams.csv: %lld agents have no deals (%s); imported as users all the same",
            (long long)idle, names);
    free(agent_deals);
}

rv_status rv_maven_import(rv_ctx *c, const char *dir, const rv_import_opts *o, rv_maven_report *rep,
                          rv_err *err)
{
    static const char *const team_cols[] = {"sales_agent", "manager", "regional_office", NULL};
    static const char *const product_cols[] = {"product", "series", "sales_price", NULL};
    static const char *const account_cols[] = {"account",       "sector",    "year_established",
                                               "revenue",       "employees", "office_location",
                                               "subsidiary_of", NULL};
    static const char *const deal_cols[] = {"opportunity_id", "sales_agent", "product",
                                            "account",        "deal_stage",  "engage_date",
                                            "close_date",     "close_value", NULL};
    memset(rep, 0, sizeof *rep);
    rv_import_opts io = o ? *o : (rv_import_opts){0};
    io.history_supplied = true; /* the history is derived from the dates below */
    mjob j;
    memset(&j, 0, sizeof j);
    j.rep = rep;
    j.c = c;
    rv_arena_init(&j.a, 64 * 1024);
    rv_map_init(&j.agent_ix);
    rv_map_init(&j.product_ix);
    rv_map_init(&j.product_sq);
    rv_map_init(&j.account_ix);
    rv_status st = rv_import_begin(c, &io, &j.im, err);
    if (st)
        goto out;
    /* tables live in their own arena: the per-deal arena resets */
    rv_arena tables;
    rv_arena_init(&tables, 256 * 1024);
    if (!(st = load(j.im, &tables, dir, "sales_teams.csv", rv_entity_find("users"), team_cols,
                    &j.teams, err)) &&
        !(st = load(j.im, &tables, dir, "products.csv", rv_entity_find("products"), product_cols,
                    &j.products, err)) &&
        !(st = load(j.im, &tables, dir, "accounts.csv", rv_entity_find("accounts"), account_cols,
                    &j.accounts, err)) &&
        !(st = load(j.im, &tables, dir, "sales_pipeline.csv", rv_entity_find("deals"), deal_cols,
                    &j.deals, err))) {
        import_teams_and_users(&j);
        import_products(&j);
        import_pipeline(&j);
        import_accounts(&j);
        import_deals(&j);
    }
    if (st) {
        rv_err keep = *err;
        rv_import_end(j.im, &rep->import, NULL);
        *err = keep;
    } else {
        st = rv_import_end(j.im, &rep->import, err);
    }
    rv_arena_release(&tables);
out:
    table_free(&j.teams);
    table_free(&j.products);
    table_free(&j.accounts);
    table_free(&j.deals);
    rv_map_release(&j.agent_ix);
    rv_map_release(&j.product_ix);
    rv_map_release(&j.product_sq);
    rv_map_release(&j.account_ix);
    rv_arena_release(&j.a);
    return st;
}
