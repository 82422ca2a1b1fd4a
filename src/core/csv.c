/*
 * csv.c - streaming CSV reader on libcsv, and the CSV writer (see csv.h).
 *
 * How a record travels: rv_csv_next() feeds the next chunk of input to
 * csv_parse(), whose callbacks (on_field, on_row) copy each field into
 * r->fb (NUL-terminated, one after the other) with its offset and length
 * in r->off / r->flen, and append one csv_rec per finished record to the
 * queue r->recs.  rv_csv_next() then hands out queued records until the
 * queue is empty, and only then parses the next chunk.  Before parsing,
 * compact() moves the fields of the record still being read (started in
 * the last chunk, not yet ended) to the front and forgets the rest, which
 * is what makes the returned pointers valid only until the next call.
 *
 * Errors found inside a chunk (a cap passed, broken quoting) are kept in
 * r->perr and r->stop is set: the callbacks ignore everything after it,
 * the records finished before it are still handed out, and then the error
 * is returned, and returned again on every later call.
 *
 * Lines: with CSV_REPALL_NL libcsv calls on_row for every line break
 * outside quotes, also for blank lines (with no field before it).  r->lines
 * counts the line breaks consumed so far: those events (a CR followed at
 * once by an LF event is one CRLF break) plus the breaks inside the quoted
 * fields (LF, or CR not followed by LF).  A record starts on line
 * 1 + r->lines as it was when its first field arrived.
 */
#include "core/csv.h"

#include <csv.h> /* libcsv: angle brackets, so that this file's own directory is not searched */
#ifndef LIBCSV_H__
#error "<csv.h> is not libcsv's header: src/core must not be on the include path"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECORD_CAP_FACTOR 16     /* record cap = this x field cap */
#define LIBCSV_BLOCK (64 * 1024) /* libcsv grows its field buffer by this */

typedef struct csv_rec {
    size_t first; /* index of its first field in off/flen */
    int ncols;
    long row;
    long line;
} csv_rec;

struct rv_csv_reader {
    struct csv_parser p;

    /* input: a file read into chunk, or the caller's memory */
    FILE *fp;
    char *path;  /* for messages; NULL for memory */
    char *chunk; /* RV_CSV_CHUNK bytes, files only */
    const char *mem;
    size_t mem_len, mem_pos;
    const char *pend; /* read but not yet parsed */
    size_t pend_len;
    size_t fed;   /* bytes handed to the parser (or skipped as BOM) */
    size_t total; /* input size when known */
    bool total_known, input_eof, started, finished;

    /* options */
    char sep;
    bool trim;
    size_t max_field, max_record;

    /* fields of queued records and of the record being read */
    char *fb;
    size_t fb_len, fb_cap;
    size_t *off, *flen;
    size_t nf, f_cap;

    /* finished records not yet returned: recs[qhead .. nrec) */
    csv_rec *recs;
    size_t nrec, rec_cap, qhead;

    /* the record being read: fields cur_first .. nf */
    size_t cur_first, cur_bytes;
    long cur_line;
    long rows;    /* records finished so far */
    long lines;   /* line breaks consumed so far */
    bool last_cr; /* the previous event was a CR line end */

    /* header names, for err->field */
    char **names;
    int nnames;

    /* output of the last rv_csv_next() */
    const char **ptrs;
    size_t ptr_cap;
    long line;

    /* the error that ended reading */
    bool stop;
    rv_err perr;
    long perr_row, perr_line;
};

/* ---- small helpers ---------------------------------------------------- */

/* Tab or printable ASCII other than the quote: anything else (NUL, line
 * ends, bytes of UTF-8 sequences such as the BOM) cannot be written back
 * unambiguously. */
static bool valid_sep(char c)
{
    return c == '\t' || (c >= 0x20 && c < 0x7f && c != '"');
}

/* libcsv's space test when not trimming: nothing is a space. */
static int no_space(unsigned char c)
{
    return 0;
}

/* Line breaks inside a field's text: LF, and CR not followed by LF.
 * Called for every field, so the common case (no byte <= '\r') is a
 * plain loop over the bytes, which is faster than memchr on short fields. */
static long count_breaks(const char *s, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > '\r')
            continue;
        if (c == '\n' || (c == '\r' && (i + 1 == n || s[i + 1] != '\n')))
            k++;
    }
    return k;
}

static size_t grow_cap(size_t cap, size_t need, size_t first)
{
    if (!cap)
        cap = first;
    while (cap < need)
        cap *= 2;
    return cap;
}

/* The line on which the record being read starts. */
static long cur_record_line(const rv_csv_reader *r)
{
    return r->nf > r->cur_first ? r->cur_line : 1 + r->lines;
}

/* Stop reading with an error about the record being read:
 * "row R: <what> (line L, column C)"; col 0 leaves out the column. */
static void fail(rv_csv_reader *r, rv_status code, int col, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void fail(rv_csv_reader *r, rv_status code, int col, long line, const char *fmt, ...)
{
    if (r->stop)
        return;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    long row = r->rows + 1;
    const char *field = (col >= 1 && col <= r->nnames) ? r->names[col - 1] : NULL;
    if (col >= 1)
        rv_err_set(&r->perr, code, field, "row %ld: %s (line %ld, column %d)", row, what, line,
                   col);
    else
        rv_err_set(&r->perr, code, field, "row %ld: %s (line %ld)", row, what, line);
    r->perr_row = row;
    r->perr_line = cur_record_line(r);
    r->stop = true;
}

/* Keep the header's names (cut to fit err->field) for error messages. */
static void keep_names(rv_csv_reader *r, size_t first, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        size_t len = r->flen[first + (size_t)i];
        total += (len < RV_ERR_FIELD_MAX ? len : RV_ERR_FIELD_MAX - 1) + 1;
    }
    r->names = rv_xmalloc((size_t)n * sizeof *r->names + total);
    char *s = (char *)(r->names + n);
    for (int i = 0; i < n; i++) {
        size_t len = r->flen[first + (size_t)i];
        if (len >= RV_ERR_FIELD_MAX)
            len = RV_ERR_FIELD_MAX - 1;
        memcpy(s, r->fb + r->off[first + (size_t)i], len);
        s[len] = '\0';
        r->names[i] = s;
        s += len + 1;
    }
    r->nnames = n;
}

/* ---- libcsv callbacks ------------------------------------------------- */

static void on_field(void *s, size_t len, void *data)
{
    rv_csv_reader *r = data;
    if (r->stop)
        return;
    size_t col = r->nf - r->cur_first;
    if (col == 0)
        r->cur_line = 1 + r->lines;
    if (col >= RV_CSV_MAX_COLS) {
        fail(r, RV_ETOOBIG, 0, r->cur_line, "more than %d columns", RV_CSV_MAX_COLS);
        return;
    }
    if (len > r->max_field) {
        fail(r, RV_ETOOBIG, (int)col + 1, 1 + r->lines, "field longer than %zu bytes",
             r->max_field);
        return;
    }
    r->cur_bytes += len;
    if (r->cur_bytes > r->max_record) {
        fail(r, RV_ETOOBIG, 0, r->cur_line, "record longer than %zu bytes", r->max_record);
        return;
    }
    if (r->fb_len + len + 1 > r->fb_cap) {
        r->fb_cap = grow_cap(r->fb_cap, r->fb_len + len + 1, 64 * 1024);
        r->fb = rv_xrealloc(r->fb, r->fb_cap);
    }
    if (r->nf == r->f_cap) {
        r->f_cap = grow_cap(r->f_cap, r->nf + 1, 4096);
        r->off = rv_xrealloc(r->off, r->f_cap * sizeof *r->off);
        r->flen = rv_xrealloc(r->flen, r->f_cap * sizeof *r->flen);
    }
    char *d = r->fb + r->fb_len;
    if (len) {
        memcpy(d, s, len);
        r->lines += count_breaks(s, len);
    }
    d[len] = '\0';
    r->off[r->nf] = r->fb_len;
    r->flen[r->nf] = len;
    r->nf++;
    r->fb_len += len + 1;
    r->last_cr = false;
}

static void on_row(int c, void *data)
{
    rv_csv_reader *r = data;
    if (r->stop)
        return;
    if (r->nf > r->cur_first) {
        if (r->nrec == r->rec_cap) {
            r->rec_cap = grow_cap(r->rec_cap, r->nrec + 1, 1024);
            r->recs = rv_xrealloc(r->recs, r->rec_cap * sizeof *r->recs);
        }
        csv_rec *rec = &r->recs[r->nrec++];
        rec->first = r->cur_first;
        rec->ncols = (int)(r->nf - r->cur_first);
        rec->row = ++r->rows;
        rec->line = r->cur_line;
        if (rec->row == 1)
            keep_names(r, rec->first, rec->ncols);
        r->cur_first = r->nf;
        r->cur_bytes = 0;
    }
    /* else: a blank line (reported because of CSV_REPALL_NL) */
    if (c == '\n') {
        if (!r->last_cr)
            r->lines++;
        r->last_cr = false;
    } else if (c == '\r') {
        r->lines++;
        r->last_cr = true;
    } else {
        r->last_cr = false; /* -1: end of input */
    }
}

/* ---- feeding the parser ----------------------------------------------- */

/* Drop what was handed out; keep the fields of the record being read. */
static void compact(rv_csv_reader *r)
{
    size_t keep = r->nf - r->cur_first;
    if (keep && r->cur_first) {
        size_t base = r->off[r->cur_first];
        memmove(r->fb, r->fb + base, r->fb_len - base);
        r->fb_len -= base;
        for (size_t i = 0; i < keep; i++) {
            r->off[i] = r->off[r->cur_first + i] - base;
            r->flen[i] = r->flen[r->cur_first + i];
        }
    } else if (!keep) {
        r->fb_len = 0;
    }
    r->nf = keep;
    r->cur_first = 0;
    r->nrec = r->qhead = 0;
}

/* Point r->pend at the next piece of input; sets input_eof at the end. */
static void read_more(rv_csv_reader *r)
{
    if (!r->fp) {
        size_t n = r->mem_len - r->mem_pos;
        if (n > RV_CSV_CHUNK)
            n = RV_CSV_CHUNK;
        r->pend = r->mem + r->mem_pos;
        r->pend_len = n;
        r->mem_pos += n;
        if (r->mem_pos == r->mem_len)
            r->input_eof = true;
        return;
    }
    size_t n = fread(r->chunk, 1, RV_CSV_CHUNK, r->fp);
    r->pend = r->chunk;
    r->pend_len = n;
    if (n < RV_CSV_CHUNK) {
        if (ferror(r->fp)) {
            int e = errno;
            rv_err_set(&r->perr, RV_EIO, NULL, "cannot read '%s': %s", r->path,
                       e ? strerror(e) : "read error");
            r->perr_row = r->rows + 1;
            r->perr_line = cur_record_line(r);
            r->stop = true;
            r->pend_len = 0;
            return;
        }
        r->input_eof = true;
    }
}

static void parse_error(rv_csv_reader *r, unsigned char c)
{
    int col = (int)(r->nf - r->cur_first) + 1;
    if (!r->p.quoted) {
        fail(r, RV_EPARSE, col, 1 + r->lines, "quote inside an unquoted field");
        return;
    }
    long line = 1 + r->lines + count_breaks((const char *)r->p.entry_buf, r->p.entry_pos);
    char what[16];
    if (c >= 0x20 && c < 0x7f)
        snprintf(what, sizeof what, "'%c'", c);
    else
        snprintf(what, sizeof what, "byte 0x%02x", c);
    fail(r, RV_EPARSE, col, line, "unexpected %s after a closing quote", what);
}

static void parse_chunk(rv_csv_reader *r, const char *s, size_t n)
{
    size_t done = csv_parse(&r->p, s, n, on_field, on_row, r);
    r->fed += n;
    if (r->stop)
        return;
    if (done < n) {
        switch (csv_error(&r->p)) {
        case CSV_EPARSE:
            parse_error(r, (unsigned char)s[done]);
            break;
        case CSV_ENOMEM:
            fail(r, RV_ENOMEM, (int)(r->nf - r->cur_first) + 1, 1 + r->lines,
                 "out of memory reading a field");
            break;
        default:
            fail(r, RV_ETOOBIG, (int)(r->nf - r->cur_first) + 1, 1 + r->lines, "field too long");
            break;
        }
        return;
    }
    /* The field still being read counts against the caps as well, so that
     * one enormous field cannot hold more than a chunk past the cap.  Its
     * buffer may end in bytes that libcsv drops when the field ends: a
     * closing quote (quoted fields) and, when trimming, trailing spaces
     * (p.spaces).  Only what must remain is counted, so that a field is
     * never refused here that would pass on_field(). */
    size_t held = r->p.entry_pos, spaces = r->p.spaces;
    size_t open = held > spaces ? held - spaces : 0;
    if (r->p.quoted && open)
        open--;
    int col = (int)(r->nf - r->cur_first) + 1;
    if (open > r->max_field)
        fail(r, RV_ETOOBIG, col, 1 + r->lines, "field longer than %zu bytes", r->max_field);
    else if (r->cur_bytes + open > r->max_record)
        fail(r, RV_ETOOBIG, 0, cur_record_line(r), "record longer than %zu bytes", r->max_record);
    else if (spaces > r->max_record) /* trimming: a run of spaces is held too */
        fail(r, RV_ETOOBIG, col, 1 + r->lines, "more than %zu spaces in a row", r->max_record);
}

static void finish(rv_csv_reader *r)
{
    r->finished = true;
    if (csv_fini(&r->p, on_field, on_row, r) != 0 && !r->stop)
        fail(r, RV_EPARSE, (int)(r->nf - r->cur_first) + 1, 1 + r->lines,
             "unterminated quoted field");
}

/* One step: parse the next chunk, or finish at the end of input. */
static void step(rv_csv_reader *r)
{
    compact(r);
    if (!r->pend_len && !r->input_eof)
        read_more(r);
    if (r->stop)
        return;
    if (r->pend_len) {
        const char *s = r->pend;
        size_t n = r->pend_len;
        r->pend_len = 0;
        parse_chunk(r, s, n);
        return;
    }
    finish(r);
}

/* ---- opening ---------------------------------------------------------- */

/* The separator among , ; TAB | that occurs most in the first line,
 * outside quotes; ',' on a tie or when there is none. */
static char guess_separator(const char *s, size_t n)
{
    static const char cand[] = {',', ';', '\t', '|'};
    size_t count[4] = {0, 0, 0, 0};
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted) {
            if (c == '\n' || c == '\r')
                break;
            for (int k = 0; k < 4; k++)
                count[k] += (c == cand[k]);
        }
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (count[k] > count[best])
            best = k;
    return cand[best];
}

static rv_csv_reader *reader_new(void)
{
    rv_csv_reader *r = rv_xcalloc(1, sizeof *r);
    if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
        fprintf(stderr, "revos: csv_init failed\n");
        abort();
    }
    csv_set_blk_size(&r->p, LIBCSV_BLOCK);
    csv_set_space_func(&r->p, no_space);
    r->max_field = RV_CSV_MAX_FIELD_DEFAULT;
    r->max_record = RECORD_CAP_FACTOR * (size_t)RV_CSV_MAX_FIELD_DEFAULT;
    rv_err_clear(&r->perr);
    return r;
}

/* After the first piece of input is pending: skip a BOM, guess the
 * separator. */
static void reader_start(rv_csv_reader *r)
{
    if (r->pend_len >= 3 && memcmp(r->pend, "\xEF\xBB\xBF", 3) == 0) {
        r->pend += 3;
        r->pend_len -= 3;
        r->fed += 3;
    }
    if (r->fp) /* the first chunk: enough for any real header line */
        r->sep = guess_separator(r->pend, r->pend_len);
    else
        r->sep = guess_separator(r->pend, (size_t)(r->mem + r->mem_len - r->pend));
    csv_set_delim(&r->p, (unsigned char)r->sep);
}

rv_status rv_csv_open_mem(rv_csv_reader **out, const char *data, size_t len, rv_err *err)
{
    *out = NULL;
    if (!data && len)
        return rv_err_set(err, RV_EINVAL, NULL, "no data for a CSV of %zu bytes", len);
    rv_csv_reader *r = reader_new();
    r->mem = data ? data : "";
    r->mem_len = len;
    r->total = len;
    r->total_known = true;
    read_more(r);
    reader_start(r);
    *out = r;
    return RV_OK;
}

rv_status rv_csv_open_file(rv_csv_reader **out, const char *path, rv_err *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return rv_err_set(err, e == ENOENT ? RV_ENOTFOUND : RV_EIO, NULL, "cannot open '%s': %s",
                          path, strerror(e));
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0) {
        int e = errno;
        fclose(fp);
        return rv_err_set(err, RV_EIO, NULL, "cannot open '%s': %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(fp);
        return rv_err_set(err, RV_EINVAL, NULL, "cannot read '%s': it is a directory", path);
    }
    rv_csv_reader *r = reader_new();
    r->fp = fp;
    r->path = rv_xstrdup(path);
    r->chunk = rv_xmalloc(RV_CSV_CHUNK);
    if (S_ISREG(st.st_mode)) {
        r->total = (size_t)st.st_size;
        r->total_known = true;
    }
    read_more(r);
    if (r->stop) { /* a read error on the first chunk */
        rv_status st_code = r->perr.code;
        if (err)
            *err = r->perr;
        rv_csv_close(r);
        return st_code;
    }
    reader_start(r);
    *out = r;
    return RV_OK;
}

rv_status rv_csv_set_separator(rv_csv_reader *r, char sep)
{
    if (r->started || !valid_sep(sep))
        return RV_EINVAL;
    r->sep = sep;
    csv_set_delim(&r->p, (unsigned char)sep);
    return RV_OK;
}

rv_status rv_csv_set_trim(rv_csv_reader *r, bool on)
{
    if (r->started)
        return RV_EINVAL;
    r->trim = on;
    /* NULL: libcsv's own test, space or tab */
    csv_set_space_func(&r->p, on ? NULL : no_space);
    return RV_OK;
}

rv_status rv_csv_set_max_field(rv_csv_reader *r, size_t bytes)
{
    if (r->started || bytes == 0 || bytes > (size_t)-1 / RECORD_CAP_FACTOR)
        return RV_EINVAL;
    r->max_field = bytes;
    r->max_record = bytes * RECORD_CAP_FACTOR;
    return RV_OK;
}

/* ---- reading ---------------------------------------------------------- */

rv_status rv_csv_next(rv_csv_reader *r, int *ncols, const char *const **cols, const size_t **lens,
                      long *row, rv_err *err)
{
    r->started = true;
    for (;;) {
        if (r->qhead < r->nrec) {
            const csv_rec *rec = &r->recs[r->qhead++];
            if ((size_t)rec->ncols > r->ptr_cap) {
                r->ptr_cap = (size_t)rec->ncols;
                r->ptrs = rv_xrealloc(r->ptrs, r->ptr_cap * sizeof *r->ptrs);
            }
            for (int i = 0; i < rec->ncols; i++)
                r->ptrs[i] = r->fb + r->off[rec->first + (size_t)i];
            r->line = rec->line;
            if (ncols)
                *ncols = rec->ncols;
            if (cols)
                *cols = r->ptrs;
            if (lens)
                *lens = r->flen + rec->first;
            if (row)
                *row = rec->row;
            return RV_OK;
        }
        if (r->stop || r->finished) {
            if (ncols)
                *ncols = 0;
            if (cols)
                *cols = NULL;
            if (lens)
                *lens = NULL;
            if (r->stop) {
                r->line = r->perr_line;
                if (row)
                    *row = r->perr_row;
                if (err)
                    *err = r->perr;
                return r->perr.code;
            }
            return rv_err_set(err, RV_ENOTFOUND, NULL, "end of input after row %ld", r->rows);
        }
        step(r);
    }
}

long rv_csv_line(const rv_csv_reader *r)
{
    return r->line;
}

double rv_csv_progress(const rv_csv_reader *r)
{
    if (r->finished)
        return 1.0;
    if (!r->total_known || r->total == 0)
        return 0.0;
    double f = (double)r->fed / (double)r->total;
    return f > 1.0 ? 1.0 : f;
}

char rv_csv_separator(const rv_csv_reader *r)
{
    return r->sep;
}

void rv_csv_close(rv_csv_reader *r)
{
    if (!r)
        return;
    csv_free(&r->p);
    if (r->fp)
        fclose(r->fp);
    free(r->path);
    free(r->chunk);
    free(r->fb);
    free(r->off);
    free(r->flen);
    free(r->recs);
    free(r->names);
    free(r->ptrs);
    free(r);
}

/* ---- writing ---------------------------------------------------------- */

static bool needs_quotes(const char *s, size_t len, char sep)
{
    if (!len)
        return false;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return true;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        return true;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == sep || c == '"' || c == '\n' || c == '\r')
            return true;
    }
    return false;
}

/* Append without validating; b may be left part-written on error. */
static rv_status put_field(rv_buf *b, const char *s, size_t len, char sep)
{
    if (!needs_quotes(s, len, sep))
        return len ? rv_buf_append(b, s, len) : RV_OK;
    size_t nq = 0;
    for (size_t i = 0; i < len; i++)
        nq += (s[i] == '"');
    rv_status st = rv_buf_reserve(b, len + nq + 2);
    if (st)
        return st;
    char *d = b->data + b->len;
    *d++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            *d++ = '"';
        *d++ = s[i];
    }
    *d++ = '"';
    *d = '\0';
    b->len += len + nq + 2;
    return RV_OK;
}

static void truncate_to(rv_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

rv_status rv_csv_put_field(rv_buf *b, const char *s, size_t len, char sep)
{
    if (!valid_sep(sep) || (!s && len))
        return RV_EINVAL;
    size_t start = b->len;
    rv_status st = put_field(b, s, len, sep);
    if (st)
        truncate_to(b, start);
    return st;
}

rv_status rv_csv_put_row(rv_buf *b, int n, const char *const *fields, const size_t *lens, char sep)
{
    if (n < 1 || !fields || !valid_sep(sep))
        return RV_EINVAL;
    size_t start = b->len;
    rv_status st = RV_OK;
    if (n == 1 && (!fields[0] || (lens ? lens[0] : strlen(fields[0])) == 0)) {
        st = rv_buf_append(b, "\"\"\n", 3);
    } else {
        for (int i = 0; i < n && !st; i++) {
            const char *s = fields[i];
            size_t len = !s ? 0 : lens ? lens[i] : strlen(s);
            if (!s)
                s = "";
            if (i)
                st = rv_buf_putc(b, sep);
            if (!st)
                st = put_field(b, s, len, sep);
        }
        if (!st)
            st = rv_buf_putc(b, '\n');
    }
    if (st)
        truncate_to(b, start);
    return st;
}

rv_status rv_csv_open_header(rv_csv_reader **out, const char *path, int *ncols,
                             const char *const **cols, const size_t **lens, rv_err *err)
{
    rv_csv_reader *r = NULL;
    rv_status st = rv_csv_open_file(&r, path, err);
    *out = NULL;
    if (st)
        return st;
    long row;
    if ((st = rv_csv_next(r, ncols, cols, lens, &row, err))) {
        if (st == RV_ENOTFOUND)
            st = rv_err_set(err, RV_EINVAL, NULL, "'%s' is empty: no header row", path);
        rv_csv_close(r);
        return st;
    }
    *out = r;
    return RV_OK;
}
