/*
 * list.c - list requests: filters, sort and cursor pagination.
 *
 * Filter syntax (the same for the CLI's --filter and the API's ?filter=):
 *
 *     field=value    equal            field!=value   not equal
 *     field>value    field>=value     field<value    field<=value
 *     field~text     contains (case-insensitive, text fields)
 *     field=         is empty         field!=        is not empty
 *
 * Values are parsed by the field's own rules (dates, money, enums), and a
 * reference may be given by external id or name, like everywhere else.
 *
 * Pagination is keyset, not offset: the cursor holds the sort value and id
 * of the last row served, so a page costs the same at row 10 or 10 million
 * and rows inserted meanwhile never shift a page.  The cursor is opaque to
 * clients (base64url of "<sort field>\x1f<value>\x1f<id>").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/money.h"
#include "service/service_internal.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

static int b64_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in), o = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = strchr(b64, in[i]);
        if (!p || !in[i])
            return -1;
        v = v << 6 | (unsigned)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(v >> bits & 0xff);
        }
    }
    return (int)o;
}

/* Field index of a name, including the implicit columns. */
static bool column_of(const rv_entity *e, const char *name, size_t len, int *fi)
{
    char n[64];
    if (len >= sizeof n)
        return false;
    memcpy(n, name, len);
    n[len] = '\0';
    if (!strcmp(n, "id"))
        return (*fi = RV_COL_ID), true;
    if (!strcmp(n, "created_at"))
        return (*fi = RV_COL_CREATED), true;
    if (!strcmp(n, "updated_at"))
        return (*fi = RV_COL_UPDATED), true;
    int k = rv_field_index(e, n);
    if (k < 0 || (e->fields[k].flags & RV_F_SECRET))
        return false; /* a secret can be neither filtered nor sorted by */
    *fi = k;
    return true;
}

/* Parse text for column fi into a SET value (arena-backed). */
static rv_status parse_value(rv_ctx *c, const rv_entity *e, int fi, const char *s, size_t len,
                             rv_val *out, rv_err *err)
{
    static const rv_field idf = {.name = "id", .type = RV_FT_INT};
    static const rv_field tsf = {.name = "created_at", .type = RV_FT_TS};
    rv_record r;
    if (fi < 0) {
        /* implicit columns: parse with a stand-in entity of one field */
        rv_entity tmp = {.name = e->name, .one = e->one, .fields = fi == RV_COL_ID ? &idf : &tsf,
                         .nfields = 1};
        rv_record_init(&r, &tmp);
        rv_status st = rv_record_set_text(&r, 0, s, len, c->arena, err);
        if (st)
            return st;
        *out = r.v[0];
        return RV_OK;
    }
    rv_record_init(&r, e);
    rv_status st = rv_record_set_text(&r, fi, s, len, c->arena, err);
    if (st)
        return st;
    if (e->fields[fi].type == RV_FT_REF && (st = rv_svc_resolve_refs(c, &r, err)))
        return st;
    if ((st = rv_record_finish(&r, c->currency, err)))
        return st;
    *out = r.v[fi];
    return RV_OK;
}

static rv_status parse_filter(rv_ctx *c, const rv_entity *e, const char *f, rv_filter *out,
                              rv_err *err)
{
    static const struct {
        const char *tok;
        rv_op op;
    } ops[] = {{">=", RV_OP_GE}, {"<=", RV_OP_LE}, {"!=", RV_OP_NE}, {"=", RV_OP_EQ},
               {">", RV_OP_GT},  {"<", RV_OP_LT},  {"~", RV_OP_CONTAINS}};
    size_t n = strcspn(f, "=!<>~");
    char q[80];
    if (f[n] == '\0' || n == 0)
        return rv_err_set(err, RV_EINVAL, "filter",
                          "filter must look like field=value (or != < <= > >= ~), got '%s'",
                          rv_err_quote(q, sizeof q, f, strlen(f)));
    size_t flen = n;
    while (flen && f[flen - 1] == ' ')
        flen--;
    int fi;
    if (!column_of(e, f, flen, &fi))
        return rv_err_set(err, RV_EUNKNOWN, "filter", "filter: %s has no field '%s'", e->name,
                          rv_err_quote(q, sizeof q, f, flen));
    const char *p = f + n;
    rv_op op = RV_OP_EQ;
    size_t oplen = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t l = strlen(ops[i].tok);
        if (!strncmp(p, ops[i].tok, l)) {
            op = ops[i].op;
            oplen = l;
            break;
        }
    }
    if (!oplen)
        return rv_err_set(err, RV_EINVAL, "filter", "filter: unknown operator in '%s'",
                          rv_err_quote(q, sizeof q, f, strlen(f)));
    const char *v = p + oplen;
    size_t vlen = strlen(v);
    while (vlen && *v == ' ')
        v++, vlen--;
    out->field = fi;
    out->op = op;
    memset(&out->val, 0, sizeof out->val);
    if (vlen == 0) {
        if (op == RV_OP_EQ)
            return (out->op = RV_OP_NULL), RV_OK;
        if (op == RV_OP_NE)
            return (out->op = RV_OP_NOTNULL), RV_OK;
        return rv_err_set(err, RV_EINVAL, "filter", "filter '%s' has no value",
                          rv_err_quote(q, sizeof q, f, strlen(f)));
    }
    if (op == RV_OP_CONTAINS) {
        out->val = (rv_val){.s = rv_arena_strndup(c->arena, v, vlen), .len = (uint32_t)vlen,
                            .state = RV_V_SET};
        return RV_OK;
    }
    rv_status st = parse_value(c, e, fi, v, vlen, &out->val, err);
    if (st)
        rv_err_prefix(err, "filter: ");
    return st;
}

rv_status rv_svc_list_query(rv_ctx *c, const rv_list_req *req, rv_query *q, rv_err *err)
{
    const rv_entity *e = req->ent;
    rv_query_init(q, e);
    rv_status st;
    char qb[80];
    if (req->nfilters > RV_QUERY_MAX_FILTERS)
        return rv_err_set(err, RV_EINVAL, "filter", "at most %d filters", RV_QUERY_MAX_FILTERS);
    for (int i = 0; i < req->nfilters; i++) {
        if ((st = parse_filter(c, e, req->filters[i], &q->filters[i], err)))
            return st;
        q->nfilters++;
    }
    if (req->sort && req->sort[0]) {
        const char *s = req->sort;
        if (*s == '-' || *s == '+')
            q->desc = *s++ == '-';
        if (!column_of(e, s, strlen(s), &q->sort_field))
            return rv_err_set(err, RV_EUNKNOWN, "sort", "sort: %s has no field '%s'", e->name,
                              rv_err_quote(qb, sizeof qb, s, strlen(s)));
        if (q->sort_field >= 0 && e->fields[q->sort_field].type == RV_FT_JSON)
            return rv_err_set(err, RV_EINVAL, "sort", "sort: cannot sort by %s", s);
    }
    if (req->limit < 0)
        q->limit = 0;
    else if (req->limit == 0)
        q->limit = 50;
    else if (req->limit > 1000)
        return rv_err_set(err, RV_EINVAL, "limit", "limit must be between 1 and 1000, got %d",
                          req->limit);
    else
        q->limit = req->limit;
    /* record access: one more filter, so counts and pages are right */
    if ((st = rv__access_list(c, q, err))) {
        rv__audit_flush(c);
        return st;
    }
    if (req->cursor && req->cursor[0]) {
        unsigned char raw[600];
        int n = b64_decode(req->cursor, raw, sizeof raw - 1);
        char *sep1 = n > 0 ? memchr(raw, 0x1f, (size_t)n) : NULL;
        char *sep2 = sep1 ? memchr(sep1 + 1, 0x1f, (size_t)(n - (sep1 + 1 - (char *)raw))) : NULL;
        const char *sortname = rv_store_column_name(e, q->sort_field);
        if (!sep2 || (size_t)(sep1 - (char *)raw) != strlen(sortname) ||
            memcmp(raw, sortname, strlen(sortname)) != 0)
            return rv_err_set(err, RV_EINVAL, "cursor",
                              "cursor is not valid for this list (it must come from the same "
                              "sort), got '%s'",
                              rv_err_quote(qb, sizeof qb, req->cursor, strlen(req->cursor)));
        raw[n] = '\0';
        q->has_cursor = true;
        q->cursor_id = strtoll(sep2 + 1, NULL, 10);
        size_t vlen = (size_t)(sep2 - sep1 - 1);
        if (q->sort_field == RV_COL_ID || vlen == 0) {
            q->cursor_val.state = RV_V_NULL;
        } else {
            rv_val v;
            if (q->sort_field >= 0 && e->fields[q->sort_field].type == RV_FT_REF) {
                v = (rv_val){.i = strtoll(sep1 + 1, NULL, 10), .state = RV_V_SET};
            } else if ((st = parse_value(c, e, q->sort_field, sep1 + 1, vlen, &v, err))) {
                return rv_err_set(err, RV_EINVAL, "cursor", "cursor is damaged");
            }
            q->cursor_val = v;
        }
    }
    return RV_OK;
}

typedef struct page_acc {
    rv_row_fn fn;
    void *ud;
    const rv_query *q;
    int64_t n;
    bool more;
    rv_list_page *page;
} page_acc;

static void make_cursor(const rv_query *q, const rv_record *r, char *out, size_t cap)
{
    char buf[400], vb[64];
    const char *v = "";
    if (q->sort_field == RV_COL_CREATED)
        v = rv_ts_format(r->created_at, vb, sizeof vb);
    else if (q->sort_field == RV_COL_UPDATED)
        v = rv_ts_format(r->updated_at, vb, sizeof vb);
    else if (q->sort_field >= 0) {
        v = rv_record_text(r, q->sort_field, vb, sizeof vb);
        if (!v)
            v = "";
    }
    int n = snprintf(buf, sizeof buf, "%s\x1f%.200s\x1f%lld", rv_store_column_name(q->ent, q->sort_field),
                     v, (long long)r->id);
    b64_encode((const unsigned char *)buf, (size_t)n, out, cap);
}

static int page_row(void *ud, const rv_record *r)
{
    page_acc *a = ud;
    if (a->q->limit && a->n >= a->q->limit) {
        a->more = true;
        return 1;
    }
    a->n++;
    /* only the last row of a full page can start the next one */
    if (a->page && a->q->limit && a->n == a->q->limit)
        make_cursor(a->q, r, a->page->next_cursor, sizeof a->page->next_cursor);
    return a->fn(a->ud, r);
}

rv_status rv_svc_list(rv_ctx *c, const rv_list_req *req, rv_row_fn fn, void *ud,
                      rv_list_page *page, rv_err *err)
{
    rv_query q;
    rv_status st = rv_svc_list_query(c, req, &q, err);
    if (st)
        return st;
    int limit = q.limit;
    if (limit)
        q.limit = limit + 1; /* one more tells whether another page follows */
    rv_query shown = q;
    shown.limit = limit;
    page_acc a = {fn, ud, &shown, 0, false, page};
    if (page)
        memset(page, 0, sizeof *page);
    st = rv_store_list(c->store, &q, page_row, &a, err);
    if (page) {
        page->count = a.n;
        page->more = a.more;
        if (!a.more)
            page->next_cursor[0] = '\0';
    }
    return st;
}

rv_status rv_svc_count(rv_ctx *c, const rv_list_req *req, int64_t *n, rv_err *err)
{
    rv_query q;
    rv_status st = rv_svc_list_query(c, req, &q, err);
    if (st)
        return st;
    return rv_store_count(c->store, &q, n, err);
}
