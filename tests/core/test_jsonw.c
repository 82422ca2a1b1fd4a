/*
 * test_jsonw.c - the JSON writer's string escaping and in-place values:
 * exact output for control characters, quotes, valid and invalid UTF-8
 * (each bad byte becomes U+FFFD), texts longer than the writer's 4 KiB
 * pieces with a character across the cut, and the in-place path giving
 * the same bytes as the buffered one.
 */
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "testutil.h"

/* s[0..n) escaped both ways; both must give want. */
static void check(const char *s, size_t n, const char *want)
{
    rv_buf b = RV_BUF_INIT;
    rv_json_escape(&b, s, n);
    assert_string_equal(rv_buf_str(&b), want);
    char *p = malloc(6 * n + 3);
    char *end = rv_json_escape_to(p, s, n);
    *end = '\0';
    assert_string_equal(p, want);
    free(p);
    rv_buf_release(&b);
}

/* a literal, embedded NULs included */
#define CHECK(lit, want) check(lit, sizeof lit - 1, want)

static void escapes(void **state)
{
    (void)state;
    CHECK("", "\"\"");
    CHECK("plain text", "\"plain text\"");
    CHECK("q\" b\\ n\n r\r t\t b\b f\f", "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f\"");
    CHECK("\x01\x1f", "\"\\u0001\\u001f\"");
    CHECK("nul\0in", "\"nul\\u0000in\"");
    /* valid UTF-8 is copied: 2, 3 and 4 bytes */
    CHECK("\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89", "\"\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\x89\"");
    /* invalid: a stray continuation, a lone lead byte, an overlong form, a
     * surrogate, beyond U+10FFFF, a truncated sequence at the end */
    CHECK("a\x80z", "\"a\xef\xbf\xbdz\"");
    CHECK("\xc3z", "\"\xef\xbf\xbdz\"");
    CHECK("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK("\xe6\x97", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
}

/* A text longer than one piece, with a 3-byte character across every
 * possible cut near 4096, comes out whole. */
static void long_texts(void **state)
{
    (void)state;
    for (size_t at = 4090; at <= 4097; at++) {
        size_t n = 9000;
        char *s = malloc(n);
        memset(s, 'x', n);
        memcpy(s + at, "\xe6\x97\xa5", 3);
        s[7000] = '"';
        char *want = malloc(n + 8);
        size_t o = 0;
        want[o++] = '"';
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"')
                want[o++] = '\\';
            want[o++] = s[i];
        }
        want[o++] = '"';
        want[o] = '\0';
        check(s, n, want);
        free(want);
        free(s);
    }
}

/* A value written in place sits in the writer's structure like any other:
 * commas between array members, pretty indentation before it. */
static void in_place(void **state)
{
    (void)state;
    for (int pretty = 0; pretty < 2; pretty++) {
        rv_buf b = RV_BUF_INIT;
        rv_jsonw w;
        rv_jsonw_init(&w, &b, pretty);
        rv_jsonw_arr_begin(&w);
        rv_jsonw_int(&w, 1);
        char *p = rv_jsonw_value_begin(&w, 20);
        assert_non_null(p);
        p = rv_json_escape_to(p, "two", 3);
        rv_jsonw_value_end(&w, p);
        rv_jsonw_int(&w, 3);
        rv_jsonw_arr_end(&w);
        assert_string_equal(rv_buf_str(&b), pretty ? "[\n  1,\n  \"two\",\n  3\n]" : "[1,\"two\",3]");
        rv_buf_release(&b);
    }
    /* past the buffer's limit: NULL, nothing written */
    rv_buf b;
    rv_buf_init(&b, 8);
    rv_jsonw w;
    rv_jsonw_init(&w, &b, false);
    assert_null(rv_jsonw_value_begin(&w, 100));
    rv_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes),
        cmocka_unit_test(long_texts),
        cmocka_unit_test(in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
