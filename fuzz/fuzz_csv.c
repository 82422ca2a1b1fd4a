/*
 * fuzz_csv.c - libFuzzer target for the CSV reader and writer (src/core/csv.c).
 *
 * The first input byte picks the options (trimming, a separator instead of
 * the guessed one, a small field cap so the caps are reached); the rest is
 * the CSV text, read from memory to the end or the first error.  Besides
 * the sanitizers, it checks properties that must hold for any input:
 *
 *   - reading ends in RV_ENOTFOUND, RV_EPARSE or RV_ETOOBIG, with a message;
 *   - rows are numbered 1, 2, 3, ...; lines never go down; every field is
 *     NUL-terminated at its length; progress stays within 0..1;
 *   - writing the records read with rv_csv_put_row() and reading that back
 *     (same separator and cap, no trimming) gives the same records exactly.
 *
 * Build and run (see the Makefile's fuzz target):
 *   clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       fuzz/fuzz_csv.c src/core/csv.c src/core/err.c src/core/buf.c -lcsv -o fuzz_csv
 *   ./fuzz_csv -max_total_time=60 corpus/
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_csv: property failed: %s\n", what);
        abort();
    }
}

/* Read everything; write each record to out and its fields, length-
 * prefixed, to flat.  Returns the final status. */
static rv_status read_all(rv_csv_reader *r, rv_buf *out, rv_buf *flat, char sep)
{
    int n;
    const char *const *cols;
    const size_t *lens;
    long row, want_row = 1, last_line = 0;
    rv_err err;
    rv_status st;
    while ((st = rv_csv_next(r, &n, &cols, &lens, &row, &err)) == RV_OK) {
        check(n >= 1 && n <= RV_CSV_MAX_COLS, "column count in range");
        check(row == want_row++, "rows numbered 1, 2, 3, ...");
        check(rv_csv_line(r) >= row && rv_csv_line(r) > last_line, "lines go up");
        last_line = rv_csv_line(r);
        double p = rv_csv_progress(r);
        check(p >= 0.0 && p <= 1.0, "progress within 0..1");
        for (int i = 0; i < n; i++) {
            check(cols[i][lens[i]] == '\0', "fields NUL-terminated");
            if (flat) {
                rv_buf_append(flat, &lens[i], sizeof lens[i]);
                rv_buf_append(flat, cols[i], lens[i]);
            }
        }
        if (flat)
            rv_buf_append(flat, "\n", 1);
        if (out)
            check(rv_csv_put_row(out, n, cols, lens, sep) == RV_OK, "writer accepts a record read");
    }
    check(st == RV_ENOTFOUND || st == RV_EPARSE || st == RV_ETOOBIG, "ends as end, parse or cap");
    check(err.code == st && err.message[0] != '\0', "a status has its message");
    check(rv_csv_next(r, &n, &cols, &lens, &row, &err) == st, "the end is final");
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char seps[8] = {0, ',', ';', '\t', '|', ' ', ':', 'x'};
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    bool trim = opt & 1;
    char sep_opt = seps[(opt >> 1) & 7];
    size_t cap = (opt & 0x10) ? 16 : RV_CSV_MAX_FIELD_DEFAULT;

    rv_csv_reader *r;
    rv_err err;
    check(rv_csv_open_mem(&r, text, len, &err) == RV_OK, "open_mem");
    check(rv_csv_set_trim(r, trim) == RV_OK, "set_trim before reading");
    if (sep_opt)
        check(rv_csv_set_separator(r, sep_opt) == RV_OK, "set_separator before reading");
    check(rv_csv_set_max_field(r, cap) == RV_OK, "set_max_field before reading");
    char sep = rv_csv_separator(r);

    rv_buf out = RV_BUF_INIT, flat1 = RV_BUF_INIT, flat2 = RV_BUF_INIT;
    read_all(r, &out, &flat1, sep);
    check(rv_csv_set_trim(r, false) == RV_EINVAL, "options refused after reading");
    rv_csv_close(r);

    /* what was written reads back the same, to a clean end */
    check(rv_csv_open_mem(&r, out.data, out.len, &err) == RV_OK, "open_mem on written");
    check(rv_csv_set_separator(r, sep) == RV_OK, "same separator");
    check(rv_csv_set_max_field(r, cap) == RV_OK, "same cap");
    rv_status st = read_all(r, NULL, &flat2, sep);
    check(st == RV_ENOTFOUND, "written CSV reads back without error");
    check(flat1.len == flat2.len &&
              (flat1.len == 0 || memcmp(flat1.data, flat2.data, flat1.len) == 0),
          "written CSV reads back as the same records");
    rv_csv_close(r);

    rv_buf_release(&out);
    rv_buf_release(&flat1);
    rv_buf_release(&flat2);
    return 0;
}
