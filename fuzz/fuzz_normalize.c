/*
 * fuzz_normalize.c - every normaliser on arbitrary bytes: none may crash,
 * read out of bounds or leave a refused value half-written, and every key
 * must be valid UTF-8.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "engine/normalize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(rv_buf *out, rv_status st)
{
    if (st == RV_OK && rv_utf8_bad_at(out->data, out->len) != out->len)
        abort();
    if (st != RV_OK && out->len != 0)
        abort();
    rv_buf_reset(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const char *in = (const char *)data;
    rv_buf out = RV_BUF_INIT;
    rv_err err;
    check(&out, rv_norm_key(&out, in, size, RV_NORM_FOLD | RV_NORM_PUNCT, "f", &err));
    check(&out, rv_norm_key(&out, in, size, 0, "f", &err));
    check(&out, rv_norm_display(&out, in, size, "f", &err));
    check(&out, rv_norm_person_key(&out, in, size, "f", &err));
    rv_status st = rv_norm_company_key(&out, in, size, "f", &err);
    if (st == RV_OK) {
        char *key = strndup(out.data ? out.data : "", out.len);
        rv_buf_reset(&out);
        rv_norm_acronym(&out, key);
        free(key);
    }
    check(&out, st);
    st = rv_norm_email(&out, in, size, "f", &err);
    if (st == RV_OK) {
        char *e = strndup(out.data, out.len);
        rv_buf_reset(&out);
        check(&out, rv_norm_email_key(&out, e, strlen(e), "f", &err));
        free(e);
    } else {
        check(&out, st);
    }
    st = rv_norm_domain(&out, in, size, "f", &err);
    if (st == RV_OK)
        (void)rv_norm_domain_is_freemail(out.data);
    check(&out, st);
    check(&out, rv_norm_phone(&out, in, size, "1", "f", &err));
    check(&out, rv_norm_postcode(&out, in, size, "f", &err));
    rv_buf_release(&out);
    return 0;
}
