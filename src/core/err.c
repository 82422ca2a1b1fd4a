/*
 * err.c - status table lookups and the error value (see err.h).
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define RV__X(name, str, http) str,
    RV_STATUS_TABLE(RV__X)
#undef RV__X
};

static const int status_http[] = {
#define RV__X(name, str, http) http,
    RV_STATUS_TABLE(RV__X)
#undef RV__X
};

const char *rv_status_name(rv_status s)
{
    if ((unsigned)s >= RV_STATUS_COUNT)
        return "internal";
    return status_names[s];
}

int rv_status_http(rv_status s)
{
    if ((unsigned)s >= RV_STATUS_COUNT)
        return 500;
    return status_http[s];
}

rv_status rv_err_set(rv_err *err, rv_status code, const char *field, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void rv_err_clear(rv_err *err)
{
    if (!err)
        return;
    err->code = RV_OK;
    err->message[0] = '\0';
    err->field[0] = '\0';
}

void rv_err_prefix(rv_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char pre[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    char old[RV_ERR_MSG_MAX];
    memcpy(old, err->message, sizeof old);
    snprintf(err->message, sizeof err->message, "%s%s", pre, old);
}

const char *rv_err_quote(char *buf, size_t cap, const char *value, size_t len)
{
    size_t max = 60, o = 0;
    if (cap < 8) {
        if (cap)
            buf[0] = '\0';
        return buf;
    }
    for (size_t i = 0; i < len && i < max && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)value[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (len > max && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}
