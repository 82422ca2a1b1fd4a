/*
 * test_match.c - the comparators of src/engine/match.c against published
 * reference values: Jaro-Winkler from Winkler (1990) and the examples every
 * implementation repeats (MARTHA/MARHTA, DWAYNE/DUANE, DIXON/DICKSONX),
 * edit distances worked by hand, Double Metaphone codes from Philips'
 * article and the reference implementation's usual test words.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/match.h"
#include "testutil.h"

static void test_jaro_winkler(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        double jaro, jw;
    } cases[] = {
        /* jaro by hand: m matches, t half-transpositions:
         * MARTHA/MARHTA m=6 t=1 -> (1 + 1 + 5/6) / 3 = 0.9444 */
        {"MARTHA", "MARHTA", 0.944, 0.961},
        {"DWAYNE", "DUANE", 0.822, 0.840},
        {"DIXON", "DICKSONX", 0.767, 0.813},
        {"JONES", "JOHNSON", 0.790, 0.832},
        {"ABC", "ABC", 1.0, 1.0},
        {"ABC", "XYZ", 0.0, 0.0},
        {"", "", 1.0, 1.0},
        {"A", "", 0.0, 0.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double j = rv_match_jaro(cases[i].a, cases[i].b);
        double jw = rv_match_jaro_winkler(cases[i].a, cases[i].b);
        if (fabs(j - cases[i].jaro) > 0.0005 || fabs(jw - cases[i].jw) > 0.0005)
            fail_msg("%s/%s: want jaro %.3f jw %.3f, got %.4f %.4f", cases[i].a, cases[i].b,
                     cases[i].jaro, cases[i].jw, j, jw);
        /* symmetric */
        assert_true(fabs(jw - rv_match_jaro_winkler(cases[i].b, cases[i].a)) < 1e-12);
    }
}

static void test_edit(void **state)
{
    (void)state;
    assert_int_equal(rv_match_levenshtein("kitten", "sitting"), 3);
    assert_int_equal(rv_match_levenshtein("flaw", "lawn"), 2);
    assert_int_equal(rv_match_levenshtein("", "abc"), 3);
    assert_int_equal(rv_match_levenshtein("ca", "ac"), 2);
    assert_int_equal(rv_match_damerau("ca", "ac"), 1);
    /* optimal string alignment: no substring edited twice */
    assert_int_equal(rv_match_damerau("ca", "abc"), 3);
    assert_int_equal(rv_match_damerau("19560409", "19564009"), 1);
    assert_int_equal(rv_match_damerau("smith", "smiht"), 1);
}

static void test_tokens(void **state)
{
    (void)state;
    assert_true(fabs(rv_match_token_set("acme widget co", "widget acme") - 2.0 / 3.0) < 1e-12);
    assert_true(fabs(rv_match_token_set("a b", "b a") - 1.0) < 1e-12);
    assert_true(fabs(rv_match_token_set("a a b", "c") - 0.0) < 1e-12);
    assert_true(fabs(rv_match_token_cover("acme", "acme widget co") - 1.0) < 1e-12);
    assert_true(fabs(rv_match_token_cover("acme tools", "acme widget co") - 0.5) < 1e-12);
    assert_true(rv_match_initials("j", "john"));
    assert_true(rv_match_initials("j r smith", "john robert smith"));
    assert_false(rv_match_initials("john", "john"));
    assert_false(rv_match_initials("j", "mary"));
    assert_false(rv_match_initials("j smith", "john smyth"));
    assert_true(rv_match_acronym("international business machines", "ibm"));
    assert_true(rv_match_acronym("ibm", "international business machines"));
    assert_false(rv_match_acronym("ibm", "acme"));
}

static void test_metaphone(void **state)
{
    (void)state;
    static const struct {
        const char *word, *primary, *alternate;
    } cases[] = {
        {"Smith", "SM0", "XMT"},     {"Schmidt", "XMT", "SMT"},   {"Smyth", "SM0", "XMT"},
        {"Knight", "NT", "NT"},      {"Nite", "NT", "NT"},        {"Robert", "RPRT", "RPRT"},
        {"Rupert", "RPRT", "RPRT"},  {"maurice", "MRS", "MRS"},   {"aubrey", "APR", "APR"},
        {"heidi", "HT", "HT"},       {"katherine", "K0RN", "KTRN"}, {"catherine", "K0RN", "KTRN"},
        {"richard", "RXRT", "RKRT"}, {"bob", "PP", "PP"},         {"eric", "ARK", "ARK"},
        {"geoff", "JF", "KF"},       {"Through", "0R", "TR"},     {"Schwein", "XN", "XFN"},
        {"dave", "TF", "TF"},        {"ray", "R", "R"},           {"steven", "STFN", "STFN"},
        {"bryce", "PRS", "PRS"},     {"Thumbail", "0MPL", "TMPL"}, {"Xavier", "SF", "SFR"},
        {"Arnow", "ARN", "ARNF"},    {"Jankelowicz", "JNKL", "ANKL"}, {"Caesar", "SSR", "SSR"},
        {"Gough", "KF", "KF"},       {"Jose", "HS", "HS"},        {"Tichner", "TXNR", "TKNR"},
        {"", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char p[5], a[5];
        rv_match_metaphone(cases[i].word, p, a);
        if (strcmp(p, cases[i].primary) || strcmp(a, cases[i].alternate))
            fail_msg("%s: want %s/%s, got %s/%s", cases[i].word, cases[i].primary,
                     cases[i].alternate, p, a);
    }
    assert_true(rv_match_phonetic("smith", "schmidt"));
    assert_true(rv_match_phonetic("steven", "stephen"));
    assert_false(rv_match_phonetic("smith", "jones"));
}

static void test_numbers_dates(void **state)
{
    (void)state;
    assert_int_equal(rv_match_numeric(100, 100, 0, 0), 0);
    assert_int_equal(rv_match_numeric(100, 101, 1, 0), 1);
    assert_int_equal(rv_match_numeric(1000, 1040, 0, 0.05), 1);
    assert_int_equal(rv_match_numeric(1000, 1100, 0, 0.05), 2);
    assert_int_equal(rv_match_date("19560409", "1956-04-09", 1), 0);
    assert_int_equal(rv_match_date("19560409", "19560410", 1), 1);
    assert_int_equal(rv_match_date("19561231", "19570101", 1), 1); /* across a year */
    assert_int_equal(rv_match_date("19560409", "19560904", 1), 1); /* day and month swapped */
    assert_int_equal(rv_match_date("19560409", "19650409", 1), 2); /* adjacent digits swapped */
    assert_int_equal(rv_match_date("19560409", "19570409", 1), 2); /* one digit */
    assert_int_equal(rv_match_date("19560409", "19801122", 1), 3);
    assert_int_equal(rv_match_date("19561340", "19560409", 1), -1);
    assert_int_equal(rv_match_date("n/a", "19560409", 1), -1);
}

/* The capped distance agrees with the full one on every pair of short
 * strings over a small alphabet (all strings up to length 4 over "ab" plus
 * random longer ones), capped at 0, 1 and 2. */
static void test_damerau_within(void **state)
{
    (void)state;
    char words[64][12];
    int n = 0;
    for (int len = 0; len <= 4; len++)
        for (int bits = 0; bits < (1 << len); bits++, n++) {
            for (int i = 0; i < len; i++)
                words[n][i] = (bits >> i & 1) ? 'b' : 'a';
            words[n][len] = '\0';
        }
    unsigned seed = 7;
    while (n < 64) {
        int len = 5 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
        for (int i = 0; i < len; i++)
            words[n][i] = (char)('a' + ((seed = seed * 1103515245u + 12345u) >> 16) % 3);
        words[n++][len] = '\0';
    }
    int checked = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int max = 0; max <= 2; max++) {
                int full = rv_match_damerau(words[i], words[j]);
                assert_int_equal(rv_match_damerau_within(words[i], words[j], max),
                                 full > max ? max + 1 : full);
                checked++;
            }
    assert_int_equal(checked, 64 * 64 * 3);
    assert_int_equal(rv_match_damerau_within("10115", "10151", 1), 1); /* swap */
    assert_int_equal(rv_match_damerau_within("10115", "10511", 1), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jaro_winkler), cmocka_unit_test(test_edit),
        cmocka_unit_test(test_tokens),       cmocka_unit_test(test_metaphone),
        cmocka_unit_test(test_numbers_dates), cmocka_unit_test(test_damerau_within),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
