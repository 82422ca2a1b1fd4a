/*
 * test_buf.c - the growable buffer (src/core/buf.c): the promises of buf.h
 * that callers lean on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "core/buf.h"

/* Detaching a buffer that never had anything appended gives "" (a fresh
 * allocation is not zeroed: under ASan it is filled with 0xbe, so a missing
 * terminator shows up as an overflow here). */
static void test_detach_empty(void **state)
{
    (void)state;
    rv_buf b = RV_BUF_INIT;
    size_t len = 99;
    char *p = rv_buf_detach(&b, &len);
    assert_int_equal(len, 0);
    assert_string_equal(p, "");
    free(p);
    assert_null(b.data);
}

static void test_limit(void **state)
{
    (void)state;
    rv_buf b;
    rv_buf_init(&b, 4);
    assert_int_equal(rv_buf_puts(&b, "abcd"), RV_OK);
    assert_int_equal(rv_buf_putc(&b, 'e'), RV_ETOOBIG);
    assert_string_equal(rv_buf_str(&b), "abcd");
    rv_buf_release(&b);
    assert_string_equal(rv_buf_str(&b), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detach_empty),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
