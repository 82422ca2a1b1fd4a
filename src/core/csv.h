/*
 * csv.h - streaming CSV reader and CSV writer.
 *
 * Every import (Salesforce and HubSpot exports, spreadsheets, the test
 * datasets) goes through rv_csv_reader; every export goes through
 * rv_csv_put_row().
 *
 * Why libcsv: quoting is where hand-written CSV parsers go wrong (doubled
 * quotes, separators and line breaks inside quotes, a quote that is never
 * closed).  libcsv (Debian libcsv-dev) is a small, long-lived state machine
 * that gets these right, takes input in pieces of any size and reports
 * broken quoting in strict mode.  It does not know rows, lines, caps or
 * separators, so this module adds them:
 *
 *   - input is fed to libcsv in chunks of RV_CSV_CHUNK bytes (fread from a
 *     file, or slices of the caller's memory); the fields of the records
 *     completed in a chunk are copied into one flat buffer and handed out
 *     one record at a time, so memory stays at about a chunk plus the
 *     longest record whatever the file size;
 *   - strict mode (CSV_STRICT, CSV_STRICT_FINI) errors become messages with
 *     the row, physical line and column ("row 7: quote inside an unquoted
 *     field (line 9, column 3)"), with err->field set to the header's name
 *     for that column;
 *   - libcsv trims spaces and tabs around fields by default; this reader
 *     keeps them (a leading space is data) unless rv_csv_set_trim() asks
 *     for trimming, as Febrl's ", "-separated files need;
 *   - CSV_REPALL_NL makes libcsv report every unquoted line break, so the
 *     physical line of each record is known even across blank lines and
 *     quoted line breaks (rv_csv_line()).
 *
 * What the reader accepts: an optional UTF-8 byte-order mark; CRLF, LF or
 * CR line ends; quoted fields with separators, doubled quotes and line
 * breaks inside; a last line without a line end.  Blank lines are skipped
 * and not counted as rows.  "" and an empty field both give length 0.
 * The separator is guessed from the first line (see rv_csv_open_file()).
 * Bytes are passed through as they are: no encoding check or conversion.
 *
 * Rows: row 1 is the header (the first record), the first data record is
 * row 2, as a spreadsheet numbers them.  Rows count records, not lines: a
 * record with a quoted line break is one row spanning two lines.
 *
 * Limits (all give RV_ETOOBIG): a field longer than the field cap
 * (RV_CSV_MAX_FIELD_DEFAULT, 1 MiB, changeable per reader); more than
 * RV_CSV_MAX_COLS (4096) fields in a record; a record whose fields add up
 * to more than 16 times the field cap.  A field being read is noticed
 * passing the cap at the latest at the end of the chunk it is in, so the
 * reader never holds more than the caps plus one chunk; for the same
 * reason, when trimming, a run of spaces longer than the record cap that
 * reaches the end of a chunk is refused even if trimming would drop it.
 *
 * Ownership: rv_csv_open_*() returns a reader that the caller frees with
 * rv_csv_close().  The column pointers and lengths from rv_csv_next()
 * belong to the reader and stay valid until the next call on it (next or
 * close); each field is also NUL-terminated, but may contain NUL bytes, so
 * trust the length.  rv_csv_open_mem() does not copy its input: the caller
 * keeps it alive until rv_csv_close().
 *
 * Threading: a reader is used by one thread at a time; readers share no
 * state, so different threads may each use their own.
 */
#ifndef RV_CSV_H
#define RV_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Bytes read and parsed per step.  Overridable at build time so that the
 * fuzzer and the tests can cross chunk boundaries with small inputs. */
#ifndef RV_CSV_CHUNK
#define RV_CSV_CHUNK (256 * 1024)
#endif
/* Default longest field, in bytes after unquoting. */
#define RV_CSV_MAX_FIELD_DEFAULT (1024 * 1024)
/* Most fields in one record. */
#define RV_CSV_MAX_COLS 4096

typedef struct rv_csv_reader rv_csv_reader;

/* ---- opening and options ---------------------------------------------- */

/* Open path for reading and guess its separator from the first line: the
 * one of ',', ';', '\t' and '|' that occurs most often outside quotes
 * (',' on a tie or when none occurs); for a file, only the first
 * RV_CSV_CHUNK bytes of that line are looked at.  Reads the first chunk.
 * Errors: RV_ENOTFOUND when the file does not exist, RV_EINVAL for a
 * directory, RV_EIO for other failures; the message names the path
 * ("cannot open 'x.csv': No such file or directory"). */
rv_status rv_csv_open_file(rv_csv_reader **out, const char *path, rv_err *err);

/* As rv_csv_open_file() over len bytes at data, which are not copied and
 * must stay valid until rv_csv_close().  data may be NULL when len is 0.
 * Errors: RV_EINVAL when data is NULL and len is not 0. */
rv_status rv_csv_open_mem(rv_csv_reader **out, const char *data, size_t len, rv_err *err);

/* Use sep instead of the guessed separator.  Only before the first
 * rv_csv_next(); RV_EINVAL after it, or when sep is not a tab or a
 * printable ASCII character other than '"'. */
rv_status rv_csv_set_separator(rv_csv_reader *r, char sep);

/* When on, spaces and tabs around fields (outside the quotes of quoted
 * fields) are dropped: "a , b" gives "a" and "b".  Off by default.  Only
 * before the first rv_csv_next(); RV_EINVAL after it. */
rv_status rv_csv_set_trim(rv_csv_reader *r, bool on);

/* Change the field cap (default RV_CSV_MAX_FIELD_DEFAULT); the record cap
 * becomes 16 times it.  Only before the first rv_csv_next(); RV_EINVAL
 * after it or for 0. */
rv_status rv_csv_set_max_field(rv_csv_reader *r, size_t bytes);

/* ---- reading ---------------------------------------------------------- */

/* Read the next record.  On RV_OK sets *ncols (>= 1), cols[i] and lens[i]
 * for i < *ncols (owned by the reader, valid until the next call) and
 * *row, the record's 1-based number with the header as row 1.
 * Returns RV_ENOTFOUND at the end of the input (leaving *row as it
 * was).  Errors:
 *   RV_EPARSE  broken quoting: "row 7: quote inside an unquoted field
 *              (line 9, column 3)", "... unterminated quoted field ...",
 *              "... unexpected 'x' after a closing quote ...";
 *   RV_ETOOBIG a field, a record or the column count passes its cap;
 *   RV_EIO     a read error, naming the path;
 *   RV_ENOMEM  libcsv could not grow its buffer.
 * On an error *ncols is 0, *row is the number of the record that failed
 * and err->field is its column's header name when known.  Errors are
 * final: later calls return the same error again.  Records before the
 * broken one are all returned first.  Any output pointer may be NULL. */
rv_status rv_csv_next(rv_csv_reader *r, int *ncols, const char *const **cols, const size_t **lens,
                      long *row, rv_err *err);

/* The physical line (1-based) on which the last record returned (or the
 * record that failed) starts; 0 before the first record. */
/* Open the file at path and read its header row into ncols/cols/lens
 * (valid until the next rv_csv_next).  An empty file is RV_EINVAL
 * "'PATH' is empty: no header row".  On any failure *out is NULL. */
rv_status rv_csv_open_header(rv_csv_reader **out, const char *path, int *ncols,
                             const char *const **cols, const size_t **lens, rv_err *err);
long rv_csv_line(const rv_csv_reader *r);

/* Fraction of the input handed to the parser so far, 0.0 to 1.0, for a
 * progress bar (moves in chunks; 0.0 until the end when the size is
 * unknown, as for a pipe). */
double rv_csv_progress(const rv_csv_reader *r);

/* The separator in use (guessed or set). */
char rv_csv_separator(const rv_csv_reader *r);

/* Free the reader and close its file.  NULL is a no-op. */
void rv_csv_close(rv_csv_reader *r);

/* ---- writing ---------------------------------------------------------- */

/* Append one field to b.  It is quoted when it contains sep, '"', CR or
 * LF, starts or ends with a space or tab, or starts with a UTF-8
 * byte-order mark; quotes inside are doubled.  s may be NULL when len is
 * 0.  Errors: RV_EINVAL for a separator that rv_csv_set_separator()
 * refuses, or a NULL s with len > 0;
 * RV_ETOOBIG when b's limit would be passed.  On error b is unchanged. */
rv_status rv_csv_put_field(rv_buf *b, const char *s, size_t len, char sep);

/* Append n >= 1 fields separated by sep and a "\n".  fields[i] NULL is an
 * empty field; lens NULL means every field is NUL-terminated.  A record
 * that is one empty field is written as "\"\"" so that it does not read
 * back as a blank line.  Errors as rv_csv_put_field(), and RV_EINVAL for
 * n < 1; on error b is unchanged. */
rv_status rv_csv_put_row(rv_buf *b, int n, const char *const *fields, const size_t *lens, char sep);

#endif
