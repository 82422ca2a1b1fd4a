/*
 * cmd_records.c - init, schema, and the generic record commands
 * (list, get, create, update, delete, count) for every entity.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonw.h"
#include "service/auth.h"

int rv_cmd_init(rv_cli *c)
{
    const char *admin = rv_cli_opt(c, "admin-email");
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    if (c->npos)
        return rv_cli_usage(c, "init takes no arguments");
    if ((rc = rv_cli_open(c, true)))
        return rc;
    fprintf(stderr, "revos: database '%s' ready (schema version %d)\n", c->db_path,
            rv_store_schema_version(c->store));
    /* the first admin, when there is none: its password is shown once */
    char pw[RV_TOKEN_TEXT];
    bool created;
    rv_err err;
    if (rv_users_first_admin(&c->ctx, admin, pw, &created, &err))
        return rv_cli_fail(c, &err);
    if (created) {
        printf("admin: %s\npassword: %s\n", admin ? admin : "admin@revos.local", pw);
        fprintf(stderr, "revos: first admin created; the password is shown only this once "
                        "(change it with 'revos users passwd EMAIL --password-stdin')\n");
    }
    return 0;
}

int rv_cmd_schema(rv_cli *c)
{
    int rc = rv_cli_check_opts(c);
    if (rc)
        return rc;
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, true);
    if (c->npos == 0) {
        if (c->out == RV_OUT_JSON)
            rv_jsonw_arr_begin(&w);
        for (int i = 0; rv_entities[i]; i++) {
            const rv_entity *e = rv_entities[i];
            if (c->out == RV_OUT_JSON) {
                rv_jsonw_obj_begin(&w);
                rv_jsonw_key(&w, "name");
                rv_jsonw_str(&w, e->name);
                rv_jsonw_key(&w, "doc");
                rv_jsonw_str(&w, e->doc);
                rv_jsonw_obj_end(&w);
            } else {
                rv_buf_printf(&b, "%-16s %s\n", e->name, e->doc);
            }
        }
        if (c->out == RV_OUT_JSON) {
            rv_jsonw_arr_end(&w);
            rv_buf_putc(&b, '\n');
        }
    } else {
        const rv_entity *e = rv_entity_find(c->pos[0]);
        if (!e) {
            rv_buf_release(&b);
            return rv_cli_usage(c, "unknown entity '%s'", c->pos[0]);
        }
        if (c->out == RV_OUT_JSON)
            rv_jsonw_arr_begin(&w);
        for (int i = 0; i < e->nfields; i++) {
            const rv_field *f = &e->fields[i];
            char type[64];
            snprintf(type, sizeof type, "%s%s%s", rv_ftype_name(f->type),
                     f->type == RV_FT_REF ? " -> " : "", f->type == RV_FT_REF ? f->ref : "");
            if (c->out == RV_OUT_JSON) {
                rv_jsonw_obj_begin(&w);
                rv_jsonw_key(&w, "name");
                rv_jsonw_str(&w, f->name);
                rv_jsonw_key(&w, "type");
                rv_jsonw_str(&w, rv_ftype_name(f->type));
                if (f->ref) {
                    rv_jsonw_key(&w, "ref");
                    rv_jsonw_str(&w, f->ref);
                }
                rv_jsonw_key(&w, "required");
                rv_jsonw_bool(&w, f->flags & RV_F_REQUIRED);
                rv_jsonw_key(&w, "tracked");
                rv_jsonw_bool(&w, f->flags & RV_F_TRACKED);
                rv_jsonw_key(&w, "doc");
                rv_jsonw_str(&w, f->doc);
                rv_jsonw_obj_end(&w);
            } else {
                rv_buf_printf(&b, "%-20s %-24s %s%s%s\n", f->name, type,
                              (f->flags & RV_F_REQUIRED) ? "[required] " : "",
                              (f->flags & RV_F_TRACKED) ? "[history] " : "", f->doc ? f->doc : "");
            }
        }
        if (c->out == RV_OUT_JSON) {
            rv_jsonw_arr_end(&w);
            rv_buf_putc(&b, '\n');
        }
    }
    fwrite(rv_buf_str(&b), 1, b.len, stdout);
    rv_buf_release(&b);
    return 0;
}

static const rv_entity *entity_of(rv_cli *c)
{
    return rv_entity_find(c->noun);
}

static int parse_id(rv_cli *c, int64_t *id)
{
    if (c->npos != 1)
        return rv_cli_usage(c, "expected one record id");
    long long v;
    if (!rv_cli_parse_int(c->pos[0], 1, INT64_MAX, &v))
        return rv_cli_usage(c, "record id must be a positive integer, got '%s'", c->pos[0]);
    *id = v;
    return 0;
}

static int print_row(void *ud, const rv_record *r)
{
    rv_cli_out_row(ud, r);
    return 0;
}

static int fill_list_req(rv_cli *c, rv_list_req *req)
{
    memset(req, 0, sizeof *req);
    req->ent = entity_of(c);
    int n = rv_cli_opt_all(c, "filter", req->filters, RV_QUERY_MAX_FILTERS);
    if (n > RV_QUERY_MAX_FILTERS)
        return rv_cli_usage(c, "at most %d --filter options", RV_QUERY_MAX_FILTERS);
    req->nfilters = n;
    req->sort = rv_cli_opt(c, "sort");
    const char *limit = rv_cli_opt(c, "limit");
    if (limit) {
        long long v;
        if (!rv_cli_parse_int(limit, 1, 1000, &v))
            return rv_cli_usage(c, "--limit must be between 1 and 1000, got '%s'", limit);
        req->limit = (int)v;
    }
    req->cursor = rv_cli_opt(c, "cursor");
    return 0;
}

int rv_cmd_list(rv_cli *c)
{
    rv_list_req req;
    int rc = fill_list_req(c, &req);
    const char *fields = rv_cli_opt(c, "fields");
    if (rc || (rc = rv_cli_check_opts(c)))
        return rc;
    if (c->npos)
        return rv_cli_usage(c, "unexpected argument '%s'", c->pos[0]);
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    rv_list_page page;
    /* validate before printing anything */
    rv_query q;
    if (rv_svc_list_query(&c->ctx, &req, &q, &err))
        return rv_cli_fail(c, &err);
    rv_cli_out *o = rv_cli_out_begin(c, req.ent, fields);
    rv_status st = rv_svc_list(&c->ctx, &req, print_row, o, &page, &err);
    rv_cli_out_end(o, page.more ? page.next_cursor : NULL);
    return st ? rv_cli_fail(c, &err) : 0;
}

int rv_cmd_count(rv_cli *c)
{
    rv_list_req req;
    int rc = fill_list_req(c, &req);
    if (rc || (rc = rv_cli_check_opts(c)))
        return rc;
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    int64_t n;
    if (rv_svc_count(&c->ctx, &req, &n, &err))
        return rv_cli_fail(c, &err);
    if (c->out == RV_OUT_JSON)
        printf("{\"count\":%lld}\n", (long long)n);
    else
        printf("%lld\n", (long long)n);
    return 0;
}

int rv_cmd_get(rv_cli *c)
{
    int64_t id;
    int rc = rv_cli_check_opts(c);
    if (rc || (rc = parse_id(c, &id)) || (rc = rv_cli_open(c, false)))
        return rc;
    rv_record r;
    rv_err err;
    if (rv_svc_get(&c->ctx, entity_of(c), id, &r, &err))
        return rv_cli_fail(c, &err);
    rv_cli_print_record(c, &r);
    return 0;
}

/* Fill r from --data JSON and --FIELD options. */
static int record_from_opts(rv_cli *c, rv_record *r)
{
    rv_err err;
    const char *data = rv_cli_opt(c, "data");
    if (data) {
        json_error_t je;
        json_t *j = json_loads(data, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            fprintf(stderr, "revos: error: --data is not valid JSON: %s (line %d, column %d)\n",
                    je.text, je.line, je.column);
            return 1;
        }
        rv_status st = rv_record_from_json(r, j, false, &c->arena, &err);
        json_decref(j);
        if (st)
            return rv_cli_fail(c, &err);
    }
    for (int i = 0; i < c->nopts; i++) {
        if (c->opts[i].used || !c->opts[i].value)
            continue;
        int fi = rv_field_index(r->ent, c->opts[i].name);
        if (fi < 0)
            continue; /* reported by rv_cli_check_opts */
        c->opts[i].used = true;
        if (rv_record_set_text(r, fi, c->opts[i].value, strlen(c->opts[i].value), &c->arena,
                               &err))
            return rv_cli_fail(c, &err);
    }
    return 0;
}

static int write_cmd(rv_cli *c, bool create)
{
    const rv_entity *e = entity_of(c);
    int64_t id = 0;
    int rc;
    if (!create && (rc = parse_id(c, &id)))
        return rc;
    if (create && c->npos)
        return rv_cli_usage(c, "unexpected argument '%s' (fields are given as --FIELD VALUE)",
                            c->pos[0]);
    rv_record r;
    rv_record_init(&r, e);
    r.id = id;
    if ((rc = record_from_opts(c, &r)) || (rc = rv_cli_check_opts(c)))
        return rc;
    if ((rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    rv_record out;
    rv_status st = create ? rv_svc_create(&c->ctx, &r, &err) : rv_svc_update(&c->ctx, &r, &out, &err);
    if (st)
        return rv_cli_fail(c, &err);
    if (!create && rv_svc_get(&c->ctx, e, id, &out, &err))
        return rv_cli_fail(c, &err);
    rv_cli_print_record(c, create ? &r : &out);
    return 0;
}

int rv_cmd_create(rv_cli *c) { return write_cmd(c, true); }
int rv_cmd_update(rv_cli *c) { return write_cmd(c, false); }

int rv_cmd_delete(rv_cli *c)
{
    int64_t id;
    int rc = rv_cli_check_opts(c);
    if (rc || (rc = parse_id(c, &id)) || (rc = rv_cli_open(c, false)))
        return rc;
    rv_err err;
    if (rv_svc_delete(&c->ctx, entity_of(c), id, &err))
        return rv_cli_fail(c, &err);
    if (c->out == RV_OUT_JSON)
        printf("{\"deleted\":%lld}\n", (long long)id);
    else
        fprintf(stderr, "revos: deleted %s %lld\n", entity_of(c)->one, (long long)id);
    return 0;
}
