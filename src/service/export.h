/*
 * export.h - every record of an entity, streamed as CSV or JSON.
 *
 * `revos export ENTITY` writes what `revos import ENTITY` reads back: the
 * CSV header is id, the entity's field names in table order, created_at
 * and updated_at; values are in their text form (money as exact decimals,
 * dates YYYY-MM-DD, instants ISO-8601 UTC, references as ids).  Importing
 * the file skips id, created_at and updated_at (revos sets those), so an
 * export imported into an empty database and exported again gives the same
 * bytes apart from the two timestamps, provided the records were created
 * in id order without gaps (references are written as ids).
 *
 * JSON is one array of the records as the API shows them, one per line.
 *
 * Memory: rows stream from the database through a 64 KiB buffer to the
 * caller's write function; nothing grows with the number of records.  The
 * whole export reads one snapshot (a read transaction), so rows written
 * meanwhile by other connections are either all in or all out.
 */
#ifndef RV_EXPORT_H
#define RV_EXPORT_H

#include <stdint.h>

#include "core/err.h"
#include "service/service.h"

typedef enum { RV_EXPORT_CSV, RV_EXPORT_JSON } rv_export_format;

/* Receives the output in pieces; return RV_OK to go on, or an error (with
 * err filled) to stop the export, which then returns it. */
typedef rv_status (*rv_export_write_fn)(void *ud, const char *data, size_t len, rv_err *err);

/* Write every record of req->ent matching req->filters (sorted by
 * req->sort, id by default) in format fmt.  req->limit and req->cursor are
 * ignored: an export has no pages.  *rows (may be NULL) receives the number
 * of records written.  Errors: a bad filter or sort (as rv_svc_list), the
 * database's, or the write function's. */
rv_status rv_export(rv_ctx *c, const rv_list_req *req, rv_export_format fmt,
                    rv_export_write_fn write, void *ud, int64_t *rows, rv_err *err);

#endif
