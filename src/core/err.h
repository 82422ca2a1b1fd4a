/*
 * err.h - status codes and the error value carried to the user.
 *
 * Every failing function in revos returns an rv_status and fills a
 * struct rv_err: a code, a message written for people that names the
 * subject and the bad value ("amount must be >= 0, got '-5'"), and the
 * field (or CSV column) it concerns.  The API turns it into
 * {"error":{"code","message","field"}} with the HTTP status from the table
 * below; the CLI prints "revos: error: <message>" and exits non-zero.
 *
 * The table is an X-macro so that the enum, the code names and the HTTP
 * statuses cannot drift apart: one row per status.
 *
 * Ownership: struct rv_err holds its text inline (fixed-size buffers), so it
 * can be copied, returned and discarded without freeing anything.
 */
#ifndef RV_ERR_H
#define RV_ERR_H

#include <stdbool.h>
#include <stddef.h>

/*   name           code string         HTTP */
#define RV_STATUS_TABLE(X)                                   \
    X(RV_OK,          "ok",               200)               \
    X(RV_EINVAL,      "invalid",          400)               \
    X(RV_EPARSE,      "malformed",        400)               \
    X(RV_EUNKNOWN,    "unknown_field",    400)               \
    X(RV_ETOOBIG,     "too_large",        413)               \
    X(RV_EMEDIA,      "unsupported_media_type", 415)         \
    X(RV_ENOTFOUND,   "not_found",        404)               \
    X(RV_ECONFLICT,   "conflict",         409)               \
    X(RV_EREF,        "bad_reference",    422)               \
    X(RV_ERULE,       "rule_violation",   422)               \
    X(RV_EUNAUTH,     "unauthorized",     401)               \
    X(RV_EFORBIDDEN,  "forbidden",        403)               \
    X(RV_EMETHOD,     "method_not_allowed", 405)             \
    X(RV_ELOCKED,     "locked",           429)               \
    X(RV_ERATE,       "rate_limited",     429)               \
    X(RV_EBUSY,       "busy",             503)               \
    X(RV_EIO,         "io_error",         500)               \
    X(RV_EDB,         "database_error",   500)               \
    X(RV_ENOMEM,      "out_of_memory",    500)               \
    X(RV_EINTERNAL,   "internal",         500)

typedef enum {
#define RV__X(name, str, http) name,
    RV_STATUS_TABLE(RV__X)
#undef RV__X
    RV_STATUS_COUNT
} rv_status;

#define RV_ERR_MSG_MAX 512
#define RV_ERR_FIELD_MAX 128

typedef struct rv_err {
    rv_status code;
    char message[RV_ERR_MSG_MAX];
    char field[RV_ERR_FIELD_MAX];
} rv_err;

/* The code's stable name ("invalid", "not_found", ...). */
const char *rv_status_name(rv_status s);
/* The HTTP status that an API response with this code carries. */
int rv_status_http(rv_status s);

/* Fill err (if not NULL) and return code.  field may be NULL.  The message
 * is printf-formatted and truncated to fit. */
rv_status rv_err_set(rv_err *err, rv_status code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset err to RV_OK with empty texts. */
void rv_err_clear(rv_err *err);

/* Prefix the message with "row N: " style context, keeping code and field. */
void rv_err_prefix(rv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Quote a user-supplied value for a message: at most 60 bytes, control
 * characters shown as '?', with "..." when cut.  Writes into buf. */
const char *rv_err_quote(char *buf, size_t cap, const char *value, size_t len);

#endif
