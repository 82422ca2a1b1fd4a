/*
 * cli.c - option access, errors, record output and progress (see cli.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/csv.h"
#include "core/jsonw.h"
#include "model/money.h"

const char *rv_cli_opt(rv_cli *c, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < c->nopts; i++)
        if (!strcmp(c->opts[i].name, name) && c->opts[i].value) {
            c->opts[i].used = true;
            v = c->opts[i].value; /* the last one wins */
        }
    return v;
}

bool rv_cli_flag(rv_cli *c, const char *name)
{
    bool yes = false;
    for (int i = 0; i < c->nopts; i++)
        if (!strcmp(c->opts[i].name, name) && !c->opts[i].value) {
            c->opts[i].used = true;
            yes = true;
        }
    return yes;
}

int rv_cli_opt_all(rv_cli *c, const char *name, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < c->nopts; i++)
        if (!strcmp(c->opts[i].name, name) && c->opts[i].value) {
            c->opts[i].used = true;
            if (n < max)
                out[n] = c->opts[i].value;
            n++;
        }
    return n;
}

int rv_cli_check_opts(rv_cli *c)
{
    for (int i = 0; i < c->nopts; i++)
        if (!c->opts[i].used)
            return rv_cli_usage(c, "unknown option --%s", c->opts[i].name);
    return 0;
}

bool rv_cli_db_is_url(const char *db)
{
    return !strncmp(db, "postgres://", 11) || !strncmp(db, "postgresql://", 13);
}

int rv_cli_open(rv_cli *c, bool create)
{
    rv_err err;
    if (!create && !rv_cli_db_is_url(c->db_path) && access(c->db_path, F_OK) != 0) {
        fprintf(stderr, "revos: error: no database at '%s' (run 'revos init' or pass --db)\n",
                c->db_path);
        return 1;
    }
    if (rv_store_open(&c->store, c->db_path, create ? RV_STORE_CREATE : 0, &err))
        return rv_cli_fail(c, &err);
    rv_ctx_init(&c->ctx, c->store, &c->arena);
    if (c->as_email) {
        if (rv_principal_load_email(&c->ctx, c->as_email, &c->who, &err))
            return rv_cli_fail(c, &err);
        c->ctx.who = &c->who;
        c->ctx.actor_id = c->who.user_id;
    }
    return 0;
}

int rv_cli_fail(rv_cli *c, const rv_err *err)
{
    (void)c;
    fprintf(stderr, "revos: error: %s\n", err->message[0] ? err->message : rv_status_name(err->code));
    return 1;
}

void rv_cli_print_json(void (*fn)(const void *v, rv_jsonw *w), const void *v)
{
    rv_buf b = RV_BUF_INIT;
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    fn(v, &w);
    fwrite(rv_buf_str(&b), 1, b.len, stdout);
    fputc('\n', stdout);
    rv_buf_release(&b);
}

bool rv_cli_parse_int(const char *text, long long lo, long long hi, long long *out)
{
    if (!text || !*text)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int rv_cli_usage(rv_cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("revos: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (c->usage)
        fprintf(stderr, "usage: %s\n", c->usage);
    return 2;
}

/* --- record output --------------------------------------------------------- */

struct rv_cli_out {
    rv_cli *c;
    const rv_entity *e;
    int cols[RV_MAX_FIELDS + 3]; /* field indexes; RV_COL_ID etc. */
    int ncols;
    bool all;     /* every field (JSON: the record's own encoding) */
    rv_buf buf;   /* JSON and CSV stream through it */
    rv_jsonw jw;
    /* table: buffered cells */
    char **cells;
    size_t ncells, cap;
    long rows;
};

static const char *col_name(const rv_entity *e, int fi)
{
    return rv_store_column_name(e, fi);
}

static const char *cell_text(const rv_record *r, int fi, char *buf, size_t cap)
{
    if (fi == RV_COL_ID) {
        snprintf(buf, cap, "%lld", (long long)r->id);
        return buf;
    }
    if (fi == RV_COL_CREATED || fi == RV_COL_UPDATED) {
        return rv_ts_format(fi == RV_COL_CREATED ? r->created_at : r->updated_at, buf, cap);
    }
    return rv_record_text(r, fi, buf, cap);
}

rv_cli_out *rv_cli_out_begin(rv_cli *c, const rv_entity *e, const char *fields)
{
    rv_cli_out *o = rv_xcalloc(1, sizeof *o);
    o->c = c;
    o->e = e;
    rv_buf_init(&o->buf, 0);
    if (fields && fields[0]) {
        const char *p = fields;
        while (*p && o->ncols < RV_MAX_FIELDS + 3) {
            size_t n = strcspn(p, ",");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)n, p);
            int fi = rv_field_index(e, name);
            if (fi >= 0 && (e->fields[fi].flags & RV_F_SECRET))
                fi = -1;
            if (!strcmp(name, "id"))
                fi = RV_COL_ID;
            else if (!strcmp(name, "created_at"))
                fi = RV_COL_CREATED;
            else if (!strcmp(name, "updated_at"))
                fi = RV_COL_UPDATED;
            if (fi != -1 || !strcmp(name, "id"))
                o->cols[o->ncols++] = fi;
            else
                fprintf(stderr, "revos: warning: %s has no field '%s'\n", e->name, name);
            p += n;
            if (*p == ',')
                p++;
        }
    } else {
        o->cols[o->ncols++] = RV_COL_ID;
        for (int i = 0; i < e->nfields; i++) {
            const rv_field *f = &e->fields[i];
            /* the table leaves out long text and JSON; CSV and JSON keep all */
            if (c->out == RV_OUT_TABLE && (f->type == RV_FT_JSON || f->max_len > 255))
                continue;
            if (f->flags & RV_F_SECRET)
                continue;
            o->cols[o->ncols++] = i;
        }
        o->all = true;
        if (c->out != RV_OUT_TABLE) {
            o->cols[o->ncols++] = RV_COL_CREATED;
            o->cols[o->ncols++] = RV_COL_UPDATED;
        }
    }
    if (c->out == RV_OUT_JSON) {
        rv_jsonw_init(&o->jw, &o->buf, false);
        rv_jsonw_arr_begin(&o->jw);
    } else if (c->out == RV_OUT_CSV) {
        const char *names[RV_MAX_FIELDS + 3];
        size_t lens[RV_MAX_FIELDS + 3];
        for (int i = 0; i < o->ncols; i++) {
            names[i] = col_name(e, o->cols[i]);
            lens[i] = strlen(names[i]);
        }
        rv_csv_put_row(&o->buf, o->ncols, names, lens, ',');
    }
    return o;
}

static void flush_buf(rv_cli_out *o)
{
    if (o->buf.len > (1 << 16) || o->buf.len == 0) {
        fwrite(o->buf.data ? o->buf.data : "", 1, o->buf.len, stdout);
        rv_buf_reset(&o->buf);
    }
}

void rv_cli_out_row(rv_cli_out *o, const rv_record *r)
{
    char tmp[64];
    o->rows++;
    if (o->c->out == RV_OUT_JSON) {
        if (o->all) {
            rv_record_to_json(r, &o->jw);
        } else {
            rv_jsonw_obj_begin(&o->jw);
            for (int i = 0; i < o->ncols; i++) {
                int fi = o->cols[i];
                rv_jsonw_key(&o->jw, col_name(o->e, fi));
                const char *t = cell_text(r, fi, tmp, sizeof tmp);
                if (!t)
                    rv_jsonw_null(&o->jw);
                else if (fi == RV_COL_ID)
                    rv_jsonw_int(&o->jw, r->id);
                else
                    rv_jsonw_str(&o->jw, t);
            }
            rv_jsonw_obj_end(&o->jw);
        }
        flush_buf(o);
        return;
    }
    if (o->c->out == RV_OUT_CSV) {
        const char *vals[RV_MAX_FIELDS + 3];
        size_t lens[RV_MAX_FIELDS + 3];
        char bufs[RV_MAX_FIELDS + 3][64];
        for (int i = 0; i < o->ncols; i++) {
            vals[i] = cell_text(r, o->cols[i], bufs[i], sizeof bufs[i]);
            lens[i] = vals[i] ? strlen(vals[i]) : 0;
        }
        rv_csv_put_row(&o->buf, o->ncols, vals, lens, ',');
        flush_buf(o);
        return;
    }
    if (o->ncells + (size_t)o->ncols > o->cap) {
        o->cap = o->cap ? o->cap * 2 : 1024;
        while (o->cap < o->ncells + (size_t)o->ncols)
            o->cap *= 2;
        o->cells = rv_xrealloc(o->cells, o->cap * sizeof *o->cells);
    }
    for (int i = 0; i < o->ncols; i++) {
        const char *t = cell_text(r, o->cols[i], tmp, sizeof tmp);
        o->cells[o->ncells++] = rv_xstrdup(t ? t : "");
    }
}

/* Display width of UTF-8 text (code points; wide glyphs count as one). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

static void put_cell(const char *s, size_t width, size_t max)
{
    size_t w = 0;
    const char *p = s;
    for (; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80) {
            if (w == max - 1 && text_width(p) > 1) {
                fputs("…", stdout);
                w++;
                break;
            }
            if (w >= max)
                break;
            w++;
        }
        fputc(*p == '\n' || *p == '\t' ? ' ' : *p, stdout);
    }
    for (; w < width; w++)
        fputc(' ', stdout);
}

void rv_cli_out_end(rv_cli_out *o, const char *next_cursor)
{
    if (o->c->out == RV_OUT_JSON) {
        rv_jsonw_arr_end(&o->jw);
        rv_buf_putc(&o->buf, '\n');
        fwrite(o->buf.data, 1, o->buf.len, stdout);
    } else if (o->c->out == RV_OUT_CSV) {
        if (o->buf.len)
            fwrite(o->buf.data, 1, o->buf.len, stdout);
    } else {
        size_t width[RV_MAX_FIELDS + 3];
        const size_t maxw = 40;
        int term = 0;
        if (o->c->tty) {
            struct winsize ws;
            if (ioctl(1, TIOCGWINSZ, &ws) == 0)
                term = ws.ws_col;
        }
        int show = o->ncols;
        size_t total = 0;
        for (int i = 0; i < o->ncols; i++) {
            width[i] = text_width(col_name(o->e, o->cols[i]));
            for (size_t r = 0; r < (size_t)o->rows; r++) {
                size_t w = text_width(o->cells[r * (size_t)o->ncols + (size_t)i]);
                if (w > width[i])
                    width[i] = w;
            }
            if (width[i] > maxw)
                width[i] = maxw;
            total += width[i] + 2;
            if (term && (int)total > term && show == o->ncols && i > 0)
                show = i;
        }
        for (int i = 0; i < show; i++) {
            put_cell(col_name(o->e, o->cols[i]), i + 1 < show ? width[i] : 0, maxw);
            if (i + 1 < show)
                fputs("  ", stdout);
        }
        fputc('\n', stdout);
        for (size_t r = 0; r < (size_t)o->rows; r++) {
            for (int i = 0; i < show; i++) {
                put_cell(o->cells[r * (size_t)o->ncols + (size_t)i], i + 1 < show ? width[i] : 0,
                         maxw);
                if (i + 1 < show)
                    fputs("  ", stdout);
            }
            fputc('\n', stdout);
        }
        if (o->c->tty || o->c->err_tty) {
            fprintf(stderr, "(%ld %s", o->rows, o->rows == 1 ? "row" : "rows");
            if (show < o->ncols)
                fprintf(stderr, "; %d more columns: use --fields or --json", o->ncols - show);
            fprintf(stderr, ")\n");
        }
        for (size_t k = 0; k < o->ncells; k++)
            free(o->cells[k]);
        free(o->cells);
    }
    if (next_cursor && next_cursor[0])
        fprintf(stderr, "more: --cursor %s\n", next_cursor);
    rv_buf_release(&o->buf);
    free(o);
}

void rv_cli_print_record(rv_cli *c, const rv_record *r)
{
    if (c->out == RV_OUT_JSON) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, true);
        rv_record_to_json(r, &w);
        rv_buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
        rv_buf_release(&b);
        return;
    }
    if (c->out == RV_OUT_CSV) {
        rv_cli_out *o = rv_cli_out_begin(c, r->ent, NULL);
        rv_cli_out_row(o, r);
        rv_cli_out_end(o, NULL);
        return;
    }
    char tmp[64];
    size_t w = 10;
    for (int i = 0; i < r->ent->nfields; i++)
        if (!(r->ent->fields[i].flags & RV_F_SECRET) && strlen(r->ent->fields[i].name) > w)
            w = strlen(r->ent->fields[i].name);
    printf("%-*s  %lld\n", (int)w, "id", (long long)r->id);
    for (int i = 0; i < r->ent->nfields; i++) {
        if (r->ent->fields[i].flags & RV_F_SECRET)
            continue;
        const char *t = rv_record_text(r, i, tmp, sizeof tmp);
        printf("%-*s  %s\n", (int)w, r->ent->fields[i].name, t ? t : "");
    }
    printf("%-*s  %s\n", (int)w, "created_at", cell_text(r, RV_COL_CREATED, tmp, sizeof tmp));
    printf("%-*s  %s\n", (int)w, "updated_at", cell_text(r, RV_COL_UPDATED, tmp, sizeof tmp));
}

void rv_cli_progress(rv_cli *c, const char *label, double fraction, long rows)
{
    if (!c->err_tty)
        return;
    int width = 30, fill = (int)(fraction * width + 0.5);
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r%s [", label);
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%%  %ld rows", (int)(fraction * 100 + 0.5), rows);
    fflush(stderr);
}

void rv_cli_progress_done(rv_cli *c)
{
    if (c->err_tty)
        fputs("\r\033[K", stderr);
}
