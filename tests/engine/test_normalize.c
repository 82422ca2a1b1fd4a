/*
 * test_normalize.c - the shared normalisers (src/engine/normalize.c).
 *
 * Tables of input -> exact output, written by hand from what a person would
 * call "the same" value, and input -> exact error text.  Each case runs
 * twice, into an empty buffer and after existing text, to check that a
 * function appends and that a refusal leaves the buffer as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "engine/normalize.h"

typedef rv_status (*norm_fn)(rv_buf *out, const char *in, size_t len, rv_err *err);

typedef struct ncase {
    const char *in;
    const char *want; /* NULL: refused */
    const char *error;
} ncase;

static void run_cases(const char *what, norm_fn fn, const ncase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int prefix = 0; prefix < 2; prefix++) {
            rv_buf out = RV_BUF_INIT;
            if (prefix)
                rv_buf_puts(&out, "keep|");
            rv_err err;
            rv_err_clear(&err);
            rv_status st = fn(&out, cases[i].in, strlen(cases[i].in), &err);
            const char *got = rv_buf_str(&out) + (prefix ? 5 : 0);
            if (cases[i].want) {
                if (st != RV_OK || strcmp(got, cases[i].want) != 0)
                    fail_msg("%s('%s'): want '%s', got '%s' (status %d: %s)", what, cases[i].in,
                             cases[i].want, got, st, err.message);
            } else {
                if (st == RV_OK)
                    fail_msg("%s('%s'): want refusal, got '%s'", what, cases[i].in, got);
                if (strcmp(err.message, cases[i].error) != 0)
                    fail_msg("%s('%s'): want error '%s', got '%s'", what, cases[i].in,
                             cases[i].error, err.message);
                assert_string_equal(rv_buf_str(&out), prefix ? "keep|" : "");
            }
            rv_buf_release(&out);
        }
    }
}

#define RUN(fn, cases) run_cases(#fn, fn, cases, sizeof(cases) / sizeof(cases[0]))

/* adapters to one signature */
static rv_status key_fold_punct(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_key(o, in, n, RV_NORM_FOLD | RV_NORM_PUNCT, "name", e);
}
static rv_status key_plain(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_key(o, in, n, 0, "name", e);
}
static rv_status display(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_display(o, in, n, "first_name", e);
}
static rv_status person(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_person_key(o, in, n, "name", e);
}
static rv_status company(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_company_key(o, in, n, "company", e);
}
static rv_status email(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_email(o, in, n, "email", e);
}
static rv_status email_key(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_email_key(o, in, n, "email", e);
}
static rv_status domain(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_domain(o, in, n, "website", e);
}
static rv_status phone_us(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_phone(o, in, n, "1", "phone", e);
}
static rv_status phone_uk(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_phone(o, in, n, "44", "phone", e);
}
static rv_status phone_none(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_phone(o, in, n, NULL, "phone", e);
}
static rv_status postcode(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_postcode(o, in, n, "postcode", e);
}

static void test_key(void **state)
{
    (void)state;
    static const ncase fold[] = {
        {"  Zoë  O’Brien-Smith ", "zoe obrien smith", NULL},
        {"ÅNGSTRÖM\tMüller", "angstrom muller", NULL},
        {"Straße", "strasse", NULL},
        {"ＡＣＭＥ　Ｃｏｒｐ", "acme corp", NULL}, /* full-width letters and space */
        {"L.L.C.", "llc", NULL},
        {"U.S.A. Inc.", "usa inc", NULL},
        {"Amazon.com", "amazon com", NULL},
        {"J. R. R. Tolkien", "j r r tolkien", NULL},
        {"a\x01" "b\x7f" "c", "abc", NULL},
        {"...", "", NULL},
        {"", "", NULL},
        {"bad \xff byte", NULL, "name is not valid UTF-8"},
        {"bad \xc3", NULL, "name is not valid UTF-8"},
    };
    RUN(key_fold_punct, fold);
    static const ncase plain[] = {
        {"  Zoë   O’Brien\n", "Zoë O’Brien", NULL},
        {"Acme,\u00a0Inc.", "Acme, Inc.", NULL}, /* no-break space is a space */
    };
    RUN(key_plain, plain);
}

static void test_display(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {"  john   smith ", "John Smith", NULL},
        {"JOHN SMITH", "John Smith", NULL},
        {"o'brien-jones", "O'Brien-Jones", NULL},
        {"ÉLODIE", "Élodie", NULL},
        {"John McDonald", "John McDonald", NULL}, /* mixed case is kept */
        {"van der Berg Jr", "van der Berg Jr", NULL},
        {"x\xff", NULL, "first_name is not valid UTF-8"},
    };
    RUN(display, cases);
}

static void test_person(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {"Dr. Smith, John Jr.", "john smith", NULL},
        {"Smith, John", "john smith", NULL},
        {"John Smith, Jr.", "john smith", NULL},
        {"Mr John Smith III", "john smith", NULL},
        {"José Ñúñez", "jose nunez", NULL},
        {"Ms", "ms", NULL}, /* a name that is only a title keeps it */
        {"Smith,", "smith", NULL},
        {"a, b, c", "a b c", NULL},
    };
    RUN(person, cases);
}

static void test_company(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {"ACME Corp.", "acme", NULL},
        {"Acme Corporation", "acme", NULL},
        {"Acme, Inc", "acme", NULL},
        {"The Coca-Cola Company", "coca cola", NULL},
        {"Procter & Gamble Co.", "procter and gamble", NULL},
        {"Smith & Co", "smith", NULL},
        {"Siemens AG", "siemens", NULL},
        {"Nestlé S.A.", "nestle", NULL},
        {"BHP Group Pty Ltd", "bhp group", NULL},
        {"Widgets L.L.C.", "widgets", NULL},
        {"The Company Inc.", "company", NULL},
        {"Inc", "inc", NULL},
        {"AT&T", "at and t", NULL},
        {"Amazon.com, Inc.", "amazon com", NULL},
    };
    RUN(company, cases);

    static const struct {
        const char *key, *want;
    } acr[] = {
        {"international business machines", "ibm"},
        {"bank of america", "ba"},
        {"the home depot", "hd"},
        {"acme", ""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof acr / sizeof acr[0]; i++) {
        rv_buf out = RV_BUF_INIT;
        rv_norm_acronym(&out, acr[i].key);
        assert_string_equal(rv_buf_str(&out), acr[i].want);
        rv_buf_release(&out);
    }
}

static void test_email(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {"  Jo.Smith@Example.COM ", "jo.smith@example.com", NULL},
        {"Jo Smith <jo+news@Acme.io>", "jo+news@acme.io", NULL},
        {"mailto:jo@acme.io", "jo@acme.io", NULL},
        {"jo@acme.io.", "jo@acme.io", NULL},
        {"jo@bücher.de", "jo@xn--bcher-kva.de", NULL},
        {"", NULL, "email is empty"},
        {"jo.acme.io", NULL, "email must have exactly one '@', got 'jo.acme.io'"},
        {"a@b@c.io", NULL, "email must have exactly one '@', got 'a@b@c.io'"},
        {"@acme.io", NULL, "email must have 1 to 64 characters before '@', got '@acme.io'"},
        {"jo smith@acme.io", NULL,
         "email has an invalid character before '@', got 'jo smith@acme.io'"},
        {"jo..s@acme.io", NULL, "email has an invalid character before '@', got 'jo..s@acme.io'"},
        {"jo@acme", NULL, "email has an invalid domain, got 'jo@acme'"},
        {"jo@-acme.io", NULL, "email has an invalid domain, got 'jo@-acme.io'"},
        {"jo@acme.123", NULL, "email has an invalid domain, got 'jo@acme.123'"},
        {"jo@ac_me.io", NULL, "email has an invalid domain, got 'jo@ac_me.io'"},
    };
    RUN(email, cases);
    static const ncase keys[] = {
        {"jo+news@acme.io", "jo@acme.io", NULL},
        {"j.o.smith+x@gmail.com", "josmith@gmail.com", NULL},
        {"josmith@googlemail.com", "josmith@gmail.com", NULL},
        {"j.smith@acme.io", "j.smith@acme.io", NULL},
        {"+x@acme.io", NULL, "email has nothing before its '+' sub-address, got '+x@acme.io'"},
    };
    RUN(email_key, keys);
}

static void test_domain(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {"https://www.Shop.Acme.co.uk:8443/x?y", "acme.co.uk", NULL},
        {"www.acme.com", "acme.com", NULL},
        {"acme.com/about", "acme.com", NULL},
        {"http://user:pw@eu.acme.com", "acme.com", NULL},
        {"jo@mail.acme.com", "acme.com", NULL},
        {"Jo <jo@acme.com>", "acme.com", NULL},
        {"acme.com.", "acme.com", NULL},
        {"münchen.de", "xn--mnchen-3ya.de", NULL},
        {"foo.github.io", "foo.github.io", NULL}, /* github.io is a public suffix */
        {"co.uk", NULL, "website must name a registered domain, not a public suffix, got 'co.uk'"},
        {"localhost", NULL, "website has no valid host name, got 'localhost'"},
        {"192.168.0.1", NULL, "website has no valid host name, got '192.168.0.1'"},
        {"http://", NULL, "website has no valid host name, got 'http://'"},
        {"  ", NULL, "website is empty"},
    };
    RUN(domain, cases);
    assert_true(rv_norm_domain_is_freemail("gmail.com"));
    assert_true(rv_norm_domain_is_freemail("yahoo.co.uk"));
    assert_true(rv_norm_domain_is_freemail("gmx.de"));
    assert_true(rv_norm_domain_is_freemail("web.de"));
    assert_false(rv_norm_domain_is_freemail("acme.com"));
    assert_false(rv_norm_domain_is_freemail("yahooligans-fans.org"));
    assert_false(rv_norm_domain_is_freemail("com"));
}

static void test_phone(void **state)
{
    (void)state;
    static const ncase us[] = {
        {"(415) 555-0123", "+14155550123", NULL},
        {"415.555.0123 ext. 45", "+14155550123", NULL},
        {"1-415-555-0123 x9", "+14155550123", NULL},
        {"+1 415 555 0123", "+14155550123", NULL},
        {"011 44 20 7946 0958", "+442079460958", NULL},
        {"+44 (0)20 7946 0958", "+442079460958", NULL},
        {"００４４２０７９４６０９５８", "+442079460958", NULL}, /* full-width digits */
        {"555-0123", NULL,
         "phone must have 8 to 15 digits with its country code, got '555-0123'"},
        {"1-800-FLOWERS", NULL,
         "phone must contain only digits, spaces, '+' and - . ( ) /, got '1-800-FLOWERS'"},
        {"+1 415 555 01234", NULL,
         "phone must have 8 to 15 digits with its country code, got '+1 415 555 01234'"},
        {"+0 123 4567 890", NULL,
         "phone must have 8 to 15 digits with its country code, got '+0 123 4567 890'"},
    };
    RUN(phone_us, us);
    static const ncase uk[] = {
        {"020 7946 0958", "+442079460958", NULL},
        {"0044 20 7946 0958 #12", "+442079460958", NULL},
        {"+49 30 1234567", "+49301234567", NULL},
    };
    RUN(phone_uk, uk);
    static const ncase none[] = {
        {"+49 30 1234567", "+49301234567", NULL},
        {"030 1234567", NULL,
         "phone has no country code and no default country is set, got '030 1234567'"},
    };
    RUN(phone_none, none);
    rv_buf out = RV_BUF_INIT;
    assert_int_equal(rv_norm_phone(&out, "06 1234 5678", 12, "39", "phone", NULL), RV_OK);
    assert_string_equal(rv_buf_str(&out), "+390612345678"); /* Italy keeps its 0 */
    rv_buf_release(&out);
}

static void test_postcode(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {" sw1a 1aa ", "SW1A1AA", NULL},
        {"94105-1234", "941051234", NULL},
        {"75008", "75008", NULL},
        {"", NULL, "postcode is empty"},
        {"SW1A/1AA", NULL,
         "postcode must contain only letters, digits, spaces and hyphens, got 'SW1A/1AA'"},
    };
    RUN(postcode, cases);
}

static rv_status address(rv_buf *o, const char *in, size_t n, rv_err *e)
{
    return rv_norm_address_key(o, in, n, "address", e);
}

static void test_address(void **state)
{
    (void)state;
    static const ncase cases[] = {
        {"221 E. 51st St. ", "221 e 51st st", NULL},
        {"221 East 51st Street", "221 e 51st st", NULL},
        {"1 North Michigan Avenue, Suite 4", "1 n michigan ave ste 4", NULL},
        {"9 Rue de la Paix", "9 rue de la paix", NULL},
        {"  ", "", NULL},
        {"\xff", NULL, "address is not valid UTF-8"},
    };
    RUN(address, cases);
}

/* A reused buffer allocates nothing more after the first call on ASCII. */
static void test_reuse(void **state)
{
    (void)state;
    rv_buf out = RV_BUF_INIT;
    assert_int_equal(rv_norm_company_key(&out, "Widgets International Ltd", 25, "c", NULL), RV_OK);
    char *data = out.data;
    for (int i = 0; i < 100; i++) {
        rv_buf_reset(&out);
        assert_int_equal(rv_norm_key(&out, "Widgets International", 21, RV_NORM_FOLD, "c", NULL),
                         RV_OK);
    }
    assert_ptr_equal(out.data, data);
    assert_string_equal(rv_buf_str(&out), "widgets international");
    rv_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),     cmocka_unit_test(test_display),
        cmocka_unit_test(test_person),  cmocka_unit_test(test_company),
        cmocka_unit_test(test_email),   cmocka_unit_test(test_domain),
        cmocka_unit_test(test_phone),   cmocka_unit_test(test_postcode),
        cmocka_unit_test(test_reuse),   cmocka_unit_test(test_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
