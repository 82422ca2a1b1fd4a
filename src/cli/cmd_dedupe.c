/*
 * cmd_dedupe.c - `revos dedupe scan --csv FILE`: duplicates in a CSV file.
 *
 * The file's columns are mapped to typed fields by their header names
 * (table `columns` below: given/first name, surname/last name, company,
 * address lines, suburb/city, postcode/zip, state, phone, email, date of
 * birth, identifiers); the matching engine (src/engine/dedupe.c) does the
 * rest.  Output: the matched pairs (id_a, id_b, probability), the clusters
 * of two or more records, and with --truth-col the accuracy against that
 * column.  A truth value of the Febrl form "rec-N-org" / "rec-N-dup-K"
 * counts as entity N; any other value is the entity's name as it is.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/csv.h"
#include "core/jsonw.h"
#include "core/map.h"
#include "engine/dedupe.h"
#include "service/merge.h"

enum { KIND_ANY, KIND_PERSON, KIND_COMPANY };

/* header name (lower case, '_' for spaces and punctuation) -> field type;
 * `kind` limits a row to person or company scans */
static const struct {
    const char *name;
    rv_dd_type type;
    int kind;
} columns[] = {
    {"given_name", RV_DD_GIVEN, KIND_ANY},      {"first_name", RV_DD_GIVEN, KIND_ANY},
    {"firstname", RV_DD_GIVEN, KIND_ANY},       {"first", RV_DD_GIVEN, KIND_ANY},
    {"forename", RV_DD_GIVEN, KIND_ANY},        {"given", RV_DD_GIVEN, KIND_ANY},
    {"surname", RV_DD_SURNAME, KIND_ANY},       {"last_name", RV_DD_SURNAME, KIND_ANY},
    {"lastname", RV_DD_SURNAME, KIND_ANY},      {"last", RV_DD_SURNAME, KIND_ANY},
    {"family_name", RV_DD_SURNAME, KIND_ANY},   {"name", RV_DD_PERSON, KIND_PERSON},
    {"full_name", RV_DD_PERSON, KIND_ANY},      {"contact_name", RV_DD_PERSON, KIND_ANY},
    {"name", RV_DD_COMPANY, KIND_COMPANY},      {"company", RV_DD_COMPANY, KIND_ANY},
    {"company_name", RV_DD_COMPANY, KIND_ANY},  {"account", RV_DD_COMPANY, KIND_ANY},
    {"account_name", RV_DD_COMPANY, KIND_ANY},  {"organisation", RV_DD_COMPANY, KIND_ANY},
    {"organization", RV_DD_COMPANY, KIND_ANY},  {"business_name", RV_DD_COMPANY, KIND_ANY},
    {"site_name", RV_DD_COMPANY, KIND_ANY},     {"address", RV_DD_ADDRESS, KIND_ANY},
    {"address_1", RV_DD_ADDRESS, KIND_ANY},     {"address1", RV_DD_ADDRESS, KIND_ANY},
    {"address_line_1", RV_DD_ADDRESS, KIND_ANY}, {"street", RV_DD_ADDRESS, KIND_ANY},
    {"street_address", RV_DD_ADDRESS, KIND_ANY}, {"billing_street", RV_DD_ADDRESS, KIND_ANY},
    {"mailing_street", RV_DD_ADDRESS, KIND_ANY}, {"address_2", RV_DD_TEXT, KIND_ANY},
    {"address2", RV_DD_TEXT, KIND_ANY},         {"address_line_2", RV_DD_TEXT, KIND_ANY},
    {"street_number", RV_DD_NUMBER, KIND_ANY},  {"street_no", RV_DD_NUMBER, KIND_ANY},
    {"house_number", RV_DD_NUMBER, KIND_ANY},   {"suburb", RV_DD_CITY, KIND_ANY},
    {"city", RV_DD_CITY, KIND_ANY},             {"town", RV_DD_CITY, KIND_ANY},
    {"locality", RV_DD_CITY, KIND_ANY},         {"billing_city", RV_DD_CITY, KIND_ANY},
    {"mailing_city", RV_DD_CITY, KIND_ANY},     {"postcode", RV_DD_POSTCODE, KIND_ANY},
    {"post_code", RV_DD_POSTCODE, KIND_ANY},    {"postal_code", RV_DD_POSTCODE, KIND_ANY},
    {"zip", RV_DD_POSTCODE, KIND_ANY},          {"zipcode", RV_DD_POSTCODE, KIND_ANY},
    {"zip_code", RV_DD_POSTCODE, KIND_ANY},     {"billing_postal_code", RV_DD_POSTCODE, KIND_ANY},
    {"state", RV_DD_STATE, KIND_ANY},           {"province", RV_DD_STATE, KIND_ANY},
    {"billing_state", RV_DD_STATE, KIND_ANY},   {"phone", RV_DD_PHONE, KIND_ANY},
    {"phone_number", RV_DD_PHONE, KIND_ANY},    {"telephone", RV_DD_PHONE, KIND_ANY},
    {"tel", RV_DD_PHONE, KIND_ANY},             {"mobile", RV_DD_PHONE, KIND_ANY},
    {"mobile_phone", RV_DD_PHONE, KIND_ANY},    {"email", RV_DD_EMAIL, KIND_ANY},
    {"email_address", RV_DD_EMAIL, KIND_ANY},   {"e_mail", RV_DD_EMAIL, KIND_ANY},
    {"date_of_birth", RV_DD_DATE, KIND_ANY},    {"dob", RV_DD_DATE, KIND_ANY},
    {"birth_date", RV_DD_DATE, KIND_ANY},       {"birthdate", RV_DD_DATE, KIND_ANY},
    {"soc_sec_id", RV_DD_CODE, KIND_ANY},       {"ssn", RV_DD_CODE, KIND_ANY},
    {"national_id", RV_DD_CODE, KIND_ANY},      {"tax_id", RV_DD_CODE, KIND_ANY},
};

/* "Site name" -> "site_name", " E-Mail " -> "e_mail" */
static void header_key(char *out, size_t cap, const char *in, size_t len)
{
    size_t n = 0;
    bool gap = false;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (isalnum(ch)) {
            if (gap && n)
                out[n++] = '_';
            out[n++] = (char)tolower(ch);
            gap = false;
        } else {
            gap = true;
        }
    }
    out[n] = '\0';
}

static int column_type(const char *key, int kind)
{
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (!strcmp(columns[i].name, key) && (columns[i].kind == KIND_ANY || columns[i].kind == kind))
            return (int)columns[i].type;
    return -1;
}

/* Entity of a truth value: Febrl's "rec-N-org" / "rec-N-dup-K" -> N,
 * otherwise the value itself, numbered in order of appearance. */
static int64_t truth_of(rv_map *ids, const char *v, size_t len)
{
    if (len > 4 && !memcmp(v, "rec-", 4)) {
        const char *p = v + 4, *e = v + len;
        const char *q = p;
        while (q < e && isdigit((unsigned char)*q))
            q++;
        if (q > p && q < e && *q == '-' &&
            ((e - q == 4 && !memcmp(q, "-org", 4)) || (e - q > 5 && !memcmp(q, "-dup-", 5))))
            len = (size_t)(q - v);
    }
    int64_t id;
    if (!rv_map_get(ids, v, len, &id)) {
        id = (int64_t)ids->n;
        rv_map_put(ids, v, len, id);
    }
    return id;
}

typedef struct scan {
    int ncols, idcol, truthcol;
    int nf;
    int col[RV_DD_MAX_FIELDS]; /* file column of each field */
    rv_dd_field fields[RV_DD_MAX_FIELDS];
    char names[RV_DD_MAX_FIELDS][64];
    char **ids; /* per record */
    size_t nids, capids;
} scan;

static int find_col(int ncols, const char *const *cols, const size_t *lens, const char *name)
{
    for (int i = 0; i < ncols; i++)
        if (strlen(name) == lens[i] && !strncasecmp(cols[i], name, lens[i]))
            return i;
    return -1;
}

static int map_header(rv_cli *c, scan *s, int ncols, const char *const *cols, const size_t *lens,
                      const char *idcol, const char *truthcol, int kind)
{
    s->ncols = ncols;
    s->idcol = idcol ? find_col(ncols, cols, lens, idcol) : -1;
    s->truthcol = truthcol ? find_col(ncols, cols, lens, truthcol) : -1;
    rv_err err;
    if (idcol && s->idcol < 0)
        return rv_cli_fail(c, (rv_err_set(&err, RV_EINVAL, "id-col", "--id-col: no column '%s' in the file", idcol), &err));
    if (truthcol && s->truthcol < 0)
        return rv_cli_fail(c, (rv_err_set(&err, RV_EINVAL, "truth-col", "--truth-col: no column '%s' in the file", truthcol), &err));
    if (kind == KIND_ANY) { /* person when any person-name column is there */
        kind = KIND_COMPANY;
        for (int i = 0; i < ncols; i++) {
            char key[64];
            header_key(key, sizeof key, cols[i], lens[i]);
            int t = column_type(key, KIND_PERSON);
            if (t == RV_DD_GIVEN || t == RV_DD_SURNAME || t == RV_DD_PERSON)
                kind = KIND_PERSON;
        }
    }
    for (int i = 0; i < ncols && s->nf < RV_DD_MAX_FIELDS; i++) {
        if (i == s->idcol || i == s->truthcol)
            continue;
        char key[64];
        header_key(key, sizeof key, cols[i], lens[i]);
        int t = column_type(key, kind);
        if (t < 0)
            continue;
        snprintf(s->names[s->nf], sizeof s->names[s->nf], "%.*s", (int)lens[i], cols[i]);
        s->fields[s->nf] = (rv_dd_field){s->names[s->nf], (rv_dd_type)t};
        s->col[s->nf++] = i;
    }
    if (s->nf == 0)
        return rv_cli_fail(c, (rv_err_set(&err, RV_EINVAL, "csv",
                                          "no column of the file could be read as a name, "
                                          "company, address, phone, email or date (see "
                                          "docs/dedupe.md for the names understood)"),
                               &err));
    return 0;
}

static int read_file(rv_cli *c, const char *path, scan *s, rv_dedupe **out, const char *idcol,
                     const char *truthcol, int kind)
{
    rv_err err;
    rv_csv_reader *r;
    int ncols;
    const char *const *cols;
    const size_t *lens;
    long row;
    if (rv_csv_open_header(&r, path, &ncols, &cols, &lens, &err))
        return rv_cli_fail(c, &err);
    rv_csv_set_trim(r, true); /* "a, b" files (Febrl) and padded cells */
    int rc = map_header(c, s, ncols, cols, lens, idcol, truthcol, kind);
    if (rc || (rc = rv_dd_new(out, s->nf, s->fields, &err) ? rv_cli_fail(c, &err) : 0)) {
        rv_csv_close(r);
        return rc;
    }
    rv_map ids;
    rv_map_init(&ids);
    rv_status st;
    while ((st = rv_csv_next(r, &ncols, &cols, &lens, &row, &err)) == RV_OK) {
        const char *vals[RV_DD_MAX_FIELDS];
        size_t vl[RV_DD_MAX_FIELDS];
        for (int f = 0; f < s->nf; f++) {
            bool have = s->col[f] < ncols;
            vals[f] = have ? cols[s->col[f]] : NULL;
            vl[f] = have ? lens[s->col[f]] : 0;
        }
        int64_t truth = -1;
        if (s->truthcol >= 0 && s->truthcol < ncols && lens[s->truthcol])
            truth = truth_of(&ids, cols[s->truthcol], lens[s->truthcol]);
        if (rv_dd_add(*out, vals, vl, truth, &err)) {
            rv_err_prefix(&err, "row %ld: ", row);
            break;
        }
        if (s->nids == s->capids) {
            s->capids = s->capids ? s->capids * 2 : 1024;
            s->ids = rv_xrealloc(s->ids, s->capids * sizeof *s->ids);
        }
        char num[32];
        snprintf(num, sizeof num, "%ld", row - 1);
        s->ids[s->nids++] = s->idcol >= 0 && s->idcol < ncols
                                ? rv_arena_strndup(&c->arena, cols[s->idcol], lens[s->idcol])
                                : rv_arena_strdup(&c->arena, num);
        if ((row & 0x3fff) == 0)
            rv_cli_progress(c, "reading", rv_csv_progress(r), row);
    }
    rv_cli_progress_done(c);
    rv_map_release(&ids);
    rv_csv_close(r);
    if (st != RV_ENOTFOUND)
        return rv_cli_fail(c, &err);
    return 0;
}

/* Records per cluster label; caller frees. */
static size_t *cluster_sizes(const rv_dd_result *res)
{
    size_t *size = rv_xcalloc(res->n ? res->n : 1, sizeof *size);
    for (size_t i = 0; i < res->n; i++)
        size[res->cluster[i]]++;
    return size;
}

static void print_table(char *const *ids, const rv_dd_result *res)
{
    printf("id_a\tid_b\tprobability\n");
    for (size_t i = 0; i < res->npairs; i++)
        printf("%s\t%s\t%.4f\n", ids[res->pairs[i].a], ids[res->pairs[i].b], res->pairs[i].p);
    printf("\ncluster\tsize\tids\n");
    /* members of each cluster follow its label record (the smallest index) */
    size_t *size = cluster_sizes(res);
    size_t k = 0;
    for (size_t l = 0; l < res->n; l++) {
        if (size[l] < 2)
            continue;
        printf("%zu\t%zu\t", ++k, size[l]);
        const char *sep = "";
        for (size_t i = l; i < res->n; i++)
            if (res->cluster[i] == l) {
                printf("%s%s", sep, ids[i]);
                sep = " ";
            }
        printf("\n");
    }
    free(size);
    if (res->has_truth) {
        printf("\naccuracy\tprecision\trecall\tf1\n");
        const rv_dd_scores *sc[] = {&res->pairwise, &res->clustered, &res->exact};
        const char *names[] = {"pairwise", "clustered", "clusters"};
        for (int i = 0; i < 3; i++)
            printf("%s\t%.4f\t%.4f\t%.4f\n", names[i], sc[i]->precision, sc[i]->recall, sc[i]->f1);
    }
}

static void json_scores(rv_jsonw *w, const char *name, const rv_dd_scores *s)
{
    rv_jsonw_key(w, name);
    rv_jsonw_obj_begin(w);
    rv_jsonw_key(w, "precision");
    rv_jsonw_double(w, s->precision);
    rv_jsonw_key(w, "recall");
    rv_jsonw_double(w, s->recall);
    rv_jsonw_key(w, "f1");
    rv_jsonw_double(w, s->f1);
    rv_jsonw_key(w, "true_positives");
    rv_jsonw_int(w, s->tp);
    rv_jsonw_key(w, "predicted");
    rv_jsonw_int(w, s->predicted);
    rv_jsonw_key(w, "truth");
    rv_jsonw_int(w, s->truth);
    rv_jsonw_obj_end(w);
}

static void print_json(char *const *ids, const rv_dd_result *res)
{
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    rv_jsonw_obj_begin(&w);
    rv_jsonw_key(&w, "records");
    rv_jsonw_int(&w, (int64_t)res->n);
    rv_jsonw_key(&w, "candidate_pairs");
    rv_jsonw_int(&w, res->candidates);
    rv_jsonw_key(&w, "pair_reduction");
    rv_jsonw_double(&w, res->reduction);
    rv_jsonw_key(&w, "pairs");
    rv_jsonw_arr_begin(&w);
    for (size_t i = 0; i < res->npairs; i++) {
        rv_jsonw_obj_begin(&w);
        rv_jsonw_key(&w, "id_a");
        rv_jsonw_str(&w, ids[res->pairs[i].a]);
        rv_jsonw_key(&w, "id_b");
        rv_jsonw_str(&w, ids[res->pairs[i].b]);
        rv_jsonw_key(&w, "probability");
        rv_jsonw_double(&w, res->pairs[i].p);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_arr_end(&w);
    rv_jsonw_key(&w, "clusters");
    rv_jsonw_arr_begin(&w);
    size_t *size = cluster_sizes(res);
    for (size_t l = 0; l < res->n; l++) {
        if (size[l] < 2)
            continue;
        rv_jsonw_arr_begin(&w);
        for (size_t i = l; i < res->n; i++)
            if (res->cluster[i] == l)
                rv_jsonw_str(&w, ids[i]);
        rv_jsonw_arr_end(&w);
    }
    free(size);
    rv_jsonw_arr_end(&w);
    if (res->has_truth) {
        rv_jsonw_key(&w, "accuracy");
        rv_jsonw_obj_begin(&w);
        json_scores(&w, "pairwise", &res->pairwise);
        json_scores(&w, "clustered", &res->clustered);
        json_scores(&w, "clusters", &res->exact);
        rv_jsonw_key(&w, "blocking_recall");
        rv_jsonw_double(&w, res->blocking_recall);
        rv_jsonw_obj_end(&w);
    }
    rv_jsonw_obj_end(&w);
    printf("%s\n", rv_buf_str(&b));
    rv_buf_release(&b);
}

/* The run's figures, on stderr. */
static void print_summary(const rv_dd_result *res)
{
    fprintf(stderr,
            "revos: %zu records, %lld candidate pairs (%.4f%% of all pairs), %zu pairs matched, "
            "%zu clusters\n",
            res->n, (long long)res->candidates, 100.0 * (1.0 - res->reduction), res->npairs,
            res->nclusters);
}

/* --threshold or --above: a probability strictly between 0 and 1. */
static int parse_probability(rv_cli *c, const char *name, const char *v, double *out)
{
    char *end;
    *out = strtod(v, &end);
    if (*end || end == v || !(*out > 0 && *out < 1))
        return rv_cli_usage(c, "--%s must be a number between 0 and 1, got '%s'", name, v);
    return 0;
}

static int dedupe_scan(rv_cli *c)
{
    /* --csv is also the global "CSV output" flag: its file may follow it as
     * the next argument, or be given as --csv=FILE */
    const char *path = rv_cli_opt(c, "csv");
    bool flag = c->out == RV_OUT_CSV, json = rv_cli_flag(c, "json");
    if (!path && flag && c->npos >= 2)
        path = c->pos[1];
    int extra = path && !rv_cli_opt(c, "csv") ? 2 : 1;
    const char *idcol = rv_cli_opt(c, "id-col"), *truthcol = rv_cli_opt(c, "truth-col");
    const char *kinds = rv_cli_opt(c, "kind"), *thr = rv_cli_opt(c, "threshold");
    int rc;
    if ((rc = rv_cli_check_opts(c)))
        return rc;
    if (!path)
        return rv_cli_usage(c, "dedupe scan needs --csv FILE");
    if (c->npos > extra)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[extra]);
    int kind = KIND_ANY;
    if (kinds && !strcmp(kinds, "person"))
        kind = KIND_PERSON;
    else if (kinds && !strcmp(kinds, "company"))
        kind = KIND_COMPANY;
    else if (kinds)
        return rv_cli_usage(c, "--kind must be person or company, got '%s'", kinds);
    rv_dd_opts o = {0};
    if (thr && (rc = parse_probability(c, "threshold", thr, &o.threshold)))
        return rc;
    scan s;
    memset(&s, 0, sizeof s);
    rv_dedupe *d = NULL;
    rc = read_file(c, path, &s, &d, idcol, truthcol, kind);
    if (rc) {
        rv_dd_free(d);
        free(s.ids);
        return rc;
    }
    rv_dd_result res;
    rv_err err;
    if (rv_dd_run(d, &o, &res, &err)) {
        rv_dd_free(d);
        free(s.ids);
        return rv_cli_fail(c, &err);
    }
    if (json) /* --csv names the input here, so --json alone decides the output */
        print_json(s.ids, &res);
    else
        print_table(s.ids, &res);
    print_summary(&res);
    if (res.has_truth)
        fprintf(stderr, "revos: blocking recall %.4f (%lld of %lld true pairs)\n",
                res.blocking_recall, (long long)res.true_pairs_blocked, (long long)res.true_pairs);
    rv_dd_result_release(&res);
    rv_dd_free(d);
    free(s.ids);
    return 0;
}

/* --- the database: scan, review, merge, undo --------------------------------- */

typedef struct db_scan {
    rv_dedupe_scan s;
    char **ids; /* record ids as text, for the printers */
} db_scan;

static void db_scan_release(db_scan *d)
{
    for (size_t i = 0; d->ids && i < d->s.n; i++)
        free(d->ids[i]);
    free(d->ids);
    rv_dedupe_scan_release(&d->s);
}

/* Scan the entity named by pos[1] at threshold thr (NULL: default), given
 * by option opt. */
static int db_scan_run(rv_cli *c, const char *opt, const char *thr, db_scan *d)
{
    memset(d, 0, sizeof *d);
    rv_dd_opts o = {0};
    int rc;
    if (thr && (rc = parse_probability(c, opt, thr, &o.threshold)))
        return rc;
    if (c->npos < 2)
        return rv_cli_usage(c, "dedupe %s needs an entity: accounts, contacts or leads", c->pos[0]);
    const rv_entity *e = rv_entity_find(c->pos[1]);
    rv_err err;
    if (!e)
        return rv_cli_usage(c, "dedupe scans accounts, contacts or leads, got '%s'", c->pos[1]);
    if ((rc = rv_cli_open(c, false)))
        return rc;
    if (rv_svc_dedupe_scan(&c->ctx, e, &o, &d->s, &err))
        return rv_cli_fail(c, &err);
    d->ids = rv_xcalloc(d->s.n ? d->s.n : 1, sizeof *d->ids);
    for (size_t i = 0; i < d->s.n; i++) {
        char b[24];
        snprintf(b, sizeof b, "%lld", (long long)d->s.ids[i]);
        d->ids[i] = rv_xstrdup(b);
    }
    return 0;
}

/* "same", "different", "missing", or the level in between. */
static const char *level_name(int level, int nlevels, char *buf, size_t cap)
{
    if (level == RV_DD_MISSING)
        return "missing";
    if (level == 0)
        return "same";
    if (level == nlevels - 1)
        return "different";
    snprintf(buf, cap, "close (%d of %d)", level, nlevels - 1);
    return buf;
}

/* Matched pairs with the evidence of each field: both values, the
 * agreement and its weight ln(m/u). */
static void print_review(const db_scan *d)
{
    const rv_dedupe_scan *s = &d->s;
    for (size_t i = 0; i < s->res.npairs; i++) {
        const rv_dd_pair *p = &s->res.pairs[i];
        printf("%s%s %s and %s: probability %.4f\n", i ? "\n" : "", s->ent->one, d->ids[p->a],
               d->ids[p->b], p->p);
        rv_dedupe_evidence ev[RV_DD_MAX_FIELDS];
        int nf = rv_dedupe_scan_evidence(s, p, ev);
        for (int f = 0; f < nf; f++) {
            char b[32];
            printf("  %-12s %-28s %-28s %-16s %+.2f\n", ev[f].field, ev[f].a ? ev[f].a : "-",
                   ev[f].b ? ev[f].b : "-", level_name(ev[f].level, ev[f].levels, b, sizeof b),
                   ev[f].weight);
        }
    }
}

/* revos dedupe scan|review ENTITY [--threshold P] [--json (scan)] */
static int dedupe_db(rv_cli *c)
{
    bool review = !strcmp(c->pos[0], "review");
    const char *thr = rv_cli_opt(c, "threshold");
    bool json = !review && rv_cli_flag(c, "json");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->npos > 2)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[2]);
    db_scan d;
    if (!(rc = db_scan_run(c, "threshold", thr, &d))) {
        if (review)
            print_review(&d);
        else if (json)
            print_json(d.ids, &d.s.res);
        else
            print_table(d.ids, &d.s.res);
        print_summary(&d.s.res);
    }
    db_scan_release(&d);
    return rc;
}

static int parse_id(rv_cli *c, const char *what, const char *v, int64_t *out)
{
    long long x;
    if (!rv_cli_parse_int(v, 1, INT64_MAX, &x))
        return rv_cli_usage(c, "%s must be a record id, got '%s'", what, v);
    *out = x;
    return 0;
}

/* --rule FIELD=RULE (repeatable) and --sources A,B into the plan. */
static int plan_options(rv_cli *c, rv_merge_plan *p, const char *const *rules, int nrules,
                        char *sources)
{
    for (int i = 0; i < nrules; i++) {
        const char *eq = strchr(rules[i], '=');
        char field[64];
        snprintf(field, sizeof field, "%.*s", eq ? (int)(eq - rules[i]) : 0, rules[i]);
        int fi = eq ? rv_field_index(p->ent, field) : -1;
        int r = eq ? rv_surv_rule_parse(eq + 1) : -1;
        if (fi < 0 || r < 0)
            return rv_cli_usage(c, "--rule takes FIELD=complete|recent|source|keep|merged with a "
                                   "field of %s, got '%s'", p->ent->name, rules[i]);
        p->rule[fi] = (rv_surv_rule)r;
    }
    for (char *tok = sources ? strtok(sources, ",") : NULL; tok; tok = strtok(NULL, ",")) {
        if (p->nsources == RV_MERGE_MAX_SOURCES)
            return rv_cli_usage(c, "--sources takes at most %d sources", RV_MERGE_MAX_SOURCES);
        p->sources[p->nsources++] = tok;
    }
    return 0;
}

static int merge_one(rv_cli *c, rv_merge_plan *p)
{
    rv_err err;
    int64_t mid;
    if (rv_svc_merge(&c->ctx, p, &mid, &err))
        return rv_cli_fail(c, &err);
    printf("merge %lld: %s %lld into %s %lld (undo: revos dedupe undo %lld)\n", (long long)mid,
           p->ent->one, (long long)p->merged, p->ent->one, (long long)p->keep, (long long)mid);
    return 0;
}

/* revos dedupe merge ENTITY A B [--keep ID] | merge ENTITY --auto --above P,
 * with [--rule FIELD=RULE]... [--sources A,B,...] */
static int dedupe_merge(rv_cli *c)
{
    const char *keep = rv_cli_opt(c, "keep"), *above = rv_cli_opt(c, "above");
    const char *src = rv_cli_opt(c, "sources");
    bool autom = rv_cli_flag(c, "auto");
    const char *rules[32];
    int nrules = rv_cli_opt_all(c, "rule", rules, 32);
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->npos < 2)
        return rv_cli_usage(c, "dedupe merge needs an entity: accounts, contacts or leads");
    const rv_entity *e = rv_entity_find(c->pos[1]);
    if (!e)
        return rv_cli_usage(c, "unknown entity '%s'", c->pos[1]);
    char sources[512];
    snprintf(sources, sizeof sources, "%s", src ? src : "");
    rv_merge_plan p;
    rv_merge_plan_init(&p, e, 0, 0);
    if ((rc = plan_options(c, &p, rules, nrules, src ? sources : NULL)))
        return rc;
    if (autom != (above != NULL))
        return rv_cli_usage(c, "--auto and --above P go together");
    if (!autom) {
        if (c->npos != 4)
            return rv_cli_usage(c, "dedupe merge %s needs two record ids", e->name);
        int64_t a = 0, b = 0, k;
        if ((rc = parse_id(c, "A", c->pos[2], &a)) || (rc = parse_id(c, "B", c->pos[3], &b)))
            return rc;
        k = a;
        if (keep && ((rc = parse_id(c, "--keep", keep, &k)) || (k != a && k != b)))
            return rc ? rc : rv_cli_usage(c, "--keep must be %lld or %lld, got '%s'", (long long)a,
                                          (long long)b, keep);
        p.keep = k, p.merged = k == a ? b : a;
        if ((rc = rv_cli_open(c, false)))
            return rc;
        return merge_one(c, &p);
    }
    if (c->npos != 2)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[2]);
    /* every cluster at or above P folds into its oldest record */
    db_scan d;
    if (!(rc = db_scan_run(c, "above", above, &d))) {
        const rv_dedupe_scan *s = &d.s;
        for (size_t i = 0; i < s->n && !rc; i++) {
            size_t head = s->res.cluster[i];
            if (head == i)
                continue;
            p.keep = s->ids[head], p.merged = s->ids[i];
            rc = merge_one(c, &p);
        }
        print_summary(&s->res);
    }
    db_scan_release(&d);
    return rc;
}

static int dedupe_undo(rv_cli *c)
{
    int rc = rv_cli_check_opts(c);
    int64_t id = 0;
    if (rc)
        return rc;
    if (c->npos != 2)
        return rv_cli_usage(c, "dedupe undo needs one merge id");
    if ((rc = parse_id(c, "MERGE_ID", c->pos[1], &id)) || (rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    if (rv_svc_merge_undo(&c->ctx, id, &err))
        return rv_cli_fail(c, &err);
    printf("merge %lld undone\n", (long long)id);
    return 0;
}

int rv_cmd_dedupe(rv_cli *c)
{
    static const struct {
        const char *name;
        int (*fn)(rv_cli *c);
    } cmds[] = {{"review", dedupe_db}, {"merge", dedupe_merge}, {"undo", dedupe_undo}};
    if (c->npos < 1)
        return rv_cli_usage(c, "dedupe needs a command: scan, review, merge or undo");
    if (!strcmp(c->pos[0], "scan"))
        return c->npos >= 2 && !rv_cli_opt(c, "csv") && c->out != RV_OUT_CSV
                   ? dedupe_db(c)
                   : dedupe_scan(c);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(c->pos[0], cmds[i].name))
            return cmds[i].fn(c);
    return rv_cli_usage(c, "unknown dedupe command '%s' (scan, review, merge, undo)", c->pos[0]);
}
