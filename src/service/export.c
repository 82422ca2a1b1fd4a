/*
 * export.c - stream every record of an entity as CSV or JSON (export.h).
 *
 * rv_svc_list() with limit -1 calls back once per row; each row is
 * appended to a buffer that is handed to the caller's write function
 * whenever it passes 64 KiB, so memory stays flat at any size.
 */
#include "service/export.h"

#include <string.h>

#include "core/csv.h"
#include "core/jsonw.h"
#include "model/money.h"

#define FLUSH_AT (64 * 1024)

typedef struct export_job {
    rv_export_format fmt;
    rv_export_write_fn write;
    void *ud;
    rv_buf buf;
    int64_t rows;
    rv_status st;
    rv_err *err;
} export_job;

static rv_status flush(export_job *j, bool force)
{
    if (j->st || (!force && j->buf.len < FLUSH_AT) || j->buf.len == 0)
        return j->st;
    j->st = j->write(j->ud, j->buf.data, j->buf.len, j->err);
    rv_buf_reset(&j->buf);
    return j->st;
}

static void csv_header(export_job *j, const rv_entity *e)
{
    const char *names[RV_MAX_FIELDS + 3];
    int n = 0;
    names[n++] = "id";
    for (int i = 0; i < e->nfields; i++)
        if (!(e->fields[i].flags & RV_F_SECRET)) /* never leaves the database */
            names[n++] = e->fields[i].name;
    names[n++] = "created_at";
    names[n++] = "updated_at";
    rv_csv_put_row(&j->buf, n, names, NULL, ',');
}

static bool is_text(rv_ftype t)
{
    return t == RV_FT_TEXT || t == RV_FT_EMAIL || t == RV_FT_EXTID || t == RV_FT_ENUM ||
           t == RV_FT_CURRENCY || t == RV_FT_JSON;
}

static void csv_row(export_job *j, const rv_record *r)
{
    const rv_entity *e = r->ent;
    const char *vals[RV_MAX_FIELDS + 3];
    size_t lens[RV_MAX_FIELDS + 3];
    char bufs[RV_MAX_FIELDS + 3][64];
    int n = 0;
    snprintf(bufs[n], sizeof bufs[n], "%lld", (long long)r->id);
    vals[n] = bufs[n];
    lens[n] = strlen(bufs[n]);
    n++;
    for (int i = 0; i < e->nfields; i++, n++) {
        if (e->fields[i].flags & RV_F_SECRET) {
            n--;
            continue;
        }
        const rv_val *v = &r->v[i];
        vals[n] = rv_record_text(r, i, bufs[n], sizeof bufs[n]);
        if (!vals[n])
            lens[n] = 0;
        else if (is_text(e->fields[i].type) && v->state == RV_V_SET)
            lens[n] = v->len;
        else
            lens[n] = strlen(vals[n]);
    }
    vals[n] = rv_ts_format(r->created_at, bufs[n], sizeof bufs[n]);
    lens[n] = strlen(vals[n]);
    n++;
    vals[n] = rv_ts_format(r->updated_at, bufs[n], sizeof bufs[n]);
    lens[n] = strlen(vals[n]);
    n++;
    rv_csv_put_row(&j->buf, n, vals, lens, ',');
}

static int export_row(void *ud, const rv_record *r)
{
    export_job *j = ud;
    if (j->fmt == RV_EXPORT_CSV) {
        csv_row(j, r);
    } else {
        rv_buf_puts(&j->buf, j->rows ? ",\n" : "\n");
        rv_jsonw w;
        rv_jsonw_init(&w, &j->buf, false);
        rv_record_to_json(r, &w);
    }
    j->rows++;
    return flush(j, false) != RV_OK;
}

rv_status rv_export(rv_ctx *c, const rv_list_req *req, rv_export_format fmt,
                    rv_export_write_fn write, void *ud, int64_t *rows, rv_err *err)
{
    rv_list_req all = *req;
    all.limit = -1;
    all.cursor = NULL;
    export_job j = {fmt, write, ud, RV_BUF_INIT, 0, RV_OK, err};
    rv_buf_init(&j.buf, 0);
    if (rows)
        *rows = 0;
    /* validate the filters before writing a byte */
    rv_query q;
    rv_status st = rv_svc_list_query(c, &all, &q, err);
    if (st)
        return st;
    bool own = !rv_store_in_tx(c->store);
    if (own && (st = rv_store_begin_read(c->store, err)))
        return st;
    if (fmt == RV_EXPORT_CSV)
        csv_header(&j, req->ent);
    else
        rv_buf_putc(&j.buf, '[');
    st = rv_svc_list(c, &all, export_row, &j, NULL, err);
    if (!st && j.st)
        st = j.st;
    if (!st) {
        if (fmt == RV_EXPORT_JSON)
            rv_buf_puts(&j.buf, j.rows ? "\n]\n" : "]\n");
        st = flush(&j, true);
    }
    if (own)
        rv_store_rollback(c->store); /* a read: nothing to keep */
    rv_buf_release(&j.buf);
    if (rows)
        *rows = j.rows;
    return st;
}
