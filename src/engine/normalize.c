/*
 * normalize.c - canonical forms of names, companies, emails, domains, phones
 * and postcodes.  See normalize.h for what each form promises.
 *
 * Structure: every text form goes through one scanner, scan_text(), which
 * walks code points and sorts each into a class (word character, white
 * space, control, apostrophe, dot, ampersand, other punctuation) and emits
 * words separated by single spaces.  Non-ASCII input is first mapped by
 * utf8proc when folding (NFKC, case fold, marks stripped, lumped
 * punctuation); ASCII input takes the same path byte by byte, so the common
 * case allocates nothing.  The name-specific keys then work on the words:
 * honorifics and legal forms are small sorted tables searched by bsearch.
 *
 * Dots: with RV_NORM_PUNCT a dot that ends a one-letter segment is dropped
 * so that initials join ("L.L.C." -> "llc", "U.S.A." -> "usa"); any other
 * dot breaks words ("Amazon.com" -> "amazon com", "Inc." -> "inc").
 */
#include "engine/normalize.h"

#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/utf8.h"

enum { RV__NORM_AMP = 1 << 8 }; /* '&' and '+' read as the word "and" */

#define MAX_WORDS 64

/* --- small helpers --------------------------------------------------------- */

static rv_status bad_value(rv_err *err, const char *field, const char *what, const char *in,
                           size_t len)
{
    char q[80];
    return rv_err_set(err, RV_EINVAL, field, "%s %s, got '%s'", field ? field : "value", what,
                      rv_err_quote(q, sizeof q, in, len));
}

static rv_status check_utf8(const char *in, size_t len, const char *field, rv_err *err)
{
    if (rv_utf8_bad_at(in, len) != len)
        return rv_err_set(err, RV_EINVAL, field, "%s is not valid UTF-8", field ? field : "value");
    return RV_OK;
}

static void trim(const char **in, size_t *len)
{
    const char *p = *in;
    size_t n = *len;
    while (n && isspace((unsigned char)p[0]))
        p++, n--;
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    *in = p;
    *len = n;
}

static bool has_non_ascii(const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)in[i] >= 0x80)
            return true;
    return false;
}

static int word_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

/* bsearch over a sorted table of words */
#define IN_TABLE(word, table)                                                                     \
    (bsearch((word), (table), sizeof(table) / sizeof((table)[0]), sizeof((table)[0]), word_cmp) != \
     NULL)

/* --- the scanner ----------------------------------------------------------- */

enum cls { C_WORD, C_SPACE, C_DROP, C_APOS, C_DOT, C_AMP, C_PUNCT };

static enum cls classify(int32_t cp, unsigned flags)
{
    if (cp < 0x80) {
        if (cp == ' ' || (cp >= '\t' && cp <= '\r'))
            return C_SPACE;
        if (cp < 0x20 || cp == 0x7f)
            return C_DROP;
        if (isalnum(cp) || !(flags & RV_NORM_PUNCT))
            return C_WORD;
        if (cp == '\'' || cp == '`')
            return C_APOS;
        if (cp == '.')
            return C_DOT;
        if ((cp == '&' || cp == '+') && (flags & RV__NORM_AMP))
            return C_AMP;
        return C_PUNCT;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return C_SPACE;
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
        return C_DROP;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
        if (!(flags & RV_NORM_PUNCT))
            return C_WORD;
        return (cp == 0x2019 || cp == 0x2018 || cp == 0x02bc) ? C_APOS : C_PUNCT;
    default:
        return C_WORD;
    }
}

/* Append the words of in (valid UTF-8) to out, separated by single spaces. */
static rv_status scan_text(rv_buf *out, const char *in, size_t len, unsigned flags)
{
    size_t start = out->len;
    bool pending = false; /* a word break is due before the next word char */
    size_t seg = 0;       /* word characters since the last break or dot */
    bool seg_letter = false;
    rv_status st = RV_OK;
    const uint8_t *p = (const uint8_t *)in;
    size_t i = 0;
    while (i < len && st == RV_OK) {
        int32_t cp;
        utf8proc_ssize_t n;
        if (p[i] < 0x80) {
            cp = p[i];
            n = 1;
        } else {
            n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
            if (n <= 0)
                return RV_EINVAL;
        }
        switch (classify(cp, flags)) {
        case C_WORD:
            if (pending && out->len > start)
                st = rv_buf_putc(out, ' ');
            pending = false;
            if (cp < 0x80)
                st = st ? st : rv_buf_putc(out, (flags & RV_NORM_FOLD) ? (char)tolower(cp) : (char)cp);
            else
                st = st ? st : rv_buf_append(out, p + i, (size_t)n);
            seg_letter = seg == 0 && (cp >= 0x80 || isalpha(cp));
            seg++;
            break;
        case C_DOT:
            if (!(seg == 1 && seg_letter))
                pending = true;
            seg = 0;
            break;
        case C_AMP:
            if (out->len > start)
                st = rv_buf_puts(out, " and");
            else
                st = rv_buf_puts(out, "and");
            pending = true;
            seg = 0;
            break;
        case C_APOS:
        case C_DROP:
            break;
        case C_SPACE:
        case C_PUNCT:
            pending = true;
            seg = 0;
            break;
        }
        i += (size_t)n;
    }
    return st;
}

/* Validate, fold (utf8proc for non-ASCII) and scan. */
static rv_status key_text(rv_buf *out, const char *in, size_t len, unsigned flags,
                          const char *field, rv_err *err)
{
    if (check_utf8(in, len, field, err))
        return err ? err->code : RV_EINVAL;
    size_t old = out->len;
    rv_status st;
    if ((flags & RV_NORM_FOLD) && has_non_ascii(in, len)) {
        utf8proc_uint8_t *mapped = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len,
                                          &mapped,
                                          UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                              UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
                                              UTF8PROC_LUMP | UTF8PROC_IGNORE);
        if (n < 0)
            return bad_value(err, field, "cannot be normalised", in, len);
        st = scan_text(out, (const char *)mapped, (size_t)n, flags);
        free(mapped);
    } else {
        st = scan_text(out, in, len, flags);
    }
    if (st) {
        out->len = old;
        if (out->data)
            out->data[old] = '\0';
        return rv_err_set(err, st, field, "%s is too long", field ? field : "value");
    }
    return RV_OK;
}

rv_status rv_norm_key(rv_buf *out, const char *in, size_t len, unsigned flags, const char *field,
                      rv_err *err)
{
    return key_text(out, in, len, flags & (RV_NORM_FOLD | RV_NORM_PUNCT), field, err);
}

/* --- words ----------------------------------------------------------------- */

typedef struct words {
    char *w[MAX_WORDS];
    int n;
} words;

/* Split s (modified in place) on single spaces. Words past MAX_WORDS stay
 * joined to the last one. */
static void split_words(char *s, words *ws)
{
    ws->n = 0;
    if (!*s)
        return;
    ws->w[ws->n++] = s;
    for (char *p = s; *p; p++)
        if (*p == ' ' && ws->n < MAX_WORDS) {
            *p = '\0';
            ws->w[ws->n++] = p + 1;
        }
}

static rv_status join_words(rv_buf *out, const words *ws, int from, int to)
{
    rv_status st = RV_OK;
    for (int i = from; i < to && !st; i++) {
        if (i > from)
            st = rv_buf_putc(out, ' ');
        st = st ? st : rv_buf_puts(out, ws->w[i]);
    }
    return st;
}

/* --- display form ---------------------------------------------------------- */

static bool one_case(const char *s, size_t len)
{
    bool up = false, low = false;
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return false;
        up |= utf8proc_isupper(cp);
        low |= utf8proc_islower(cp);
        i += (size_t)n;
    }
    return !(up && low);
}

static rv_status put_cp(rv_buf *out, int32_t cp)
{
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
    return rv_buf_append(out, enc, (size_t)n);
}

rv_status rv_norm_display(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err)
{
    size_t old = out->len;
    if (key_text(out, in, len, 0, field, err))
        return err ? err->code : RV_EINVAL;
    size_t n = out->len - old;
    if (!one_case(out->data + old, n))
        return RV_OK;
    /* title-case in place: copy the scanned text and rewrite it */
    char stack[256];
    char *copy = n < sizeof stack ? stack : rv_xmalloc(n + 1);
    memcpy(copy, out->data + old, n);
    out->len = old;
    const uint8_t *p = (const uint8_t *)copy;
    size_t word_len = 0;
    rv_status st = RV_OK;
    for (size_t i = 0; i < n && !st;) {
        int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            break;
        bool letter = utf8proc_isupper(cp) || utf8proc_islower(cp);
        if (letter) {
            st = put_cp(out, word_len == 0 ? utf8proc_totitle(cp) : utf8proc_tolower(cp));
            word_len++;
        } else {
            st = put_cp(out, cp);
            /* a new word after space or hyphen; after an apostrophe only
             * behind one letter (O'Brien, D'Angelo) */
            if (cp == ' ' || cp == '-' || ((cp == '\'' || cp == 0x2019) && word_len == 1))
                word_len = 0;
        }
        i += (size_t)k;
    }
    if (copy != stack)
        free(copy);
    if (out->data)
        out->data[out->len] = '\0';
    return st ? rv_err_set(err, st, field, "%s is too long", field ? field : "value") : RV_OK;
}

/* --- person names ---------------------------------------------------------- */

static const char *const honorifics[] = {"dame", "dr", "fr", "frau", "herr", "lady", "lord",
                                         "madam", "miss", "mlle", "mme", "mr", "mrs", "ms",
                                         "mx", "prof", "rev", "sir"};
static const char *const name_suffixes[] = {"cpa", "dds", "dvm", "esq", "ii", "iii", "iv",
                                            "jd", "jr", "mba", "md", "phd", "rn", "sr"};

/* Key of one part of a name, honorifics and suffixes dropped; a part that
 * is only a title is kept when it is the whole name (keep_lone), dropped when
 * it follows a comma ("Smith, Jr."). */
static rv_status person_words(rv_buf *out, const char *in, size_t len, bool keep_lone,
                              const char *field, rv_err *err)
{
    rv_buf tmp = RV_BUF_INIT;
    rv_status st = key_text(&tmp, in, len, RV_NORM_FOLD | RV_NORM_PUNCT, field, err);
    if (st == RV_OK && tmp.len) {
        words ws;
        split_words(tmp.data, &ws);
        int from = 0, to = ws.n;
        while (to - from > 1 && IN_TABLE(ws.w[from], honorifics))
            from++;
        while (to - from > 1 && IN_TABLE(ws.w[to - 1], name_suffixes))
            to--;
        if (!keep_lone && to - from == 1 && (IN_TABLE(ws.w[from], honorifics) || IN_TABLE(ws.w[from], name_suffixes)))
            to = from; /* a part that is only a title ("Jr.") */
        st = join_words(out, &ws, from, to);
    }
    rv_buf_release(&tmp);
    return st;
}

rv_status rv_norm_person_key(rv_buf *out, const char *in, size_t len, const char *field,
                             rv_err *err)
{
    size_t old = out->len;
    const char *comma = memchr(in, ',', len);
    rv_status st;
    if (comma && !memchr(comma + 1, ',', len - (size_t)(comma + 1 - in))) {
        /* "Last, First" unless what follows the comma is only a suffix */
        rv_buf first = RV_BUF_INIT;
        st = person_words(&first, comma + 1, len - (size_t)(comma + 1 - in), false, field, err);
        if (st == RV_OK && first.len) {
            st = rv_buf_append(out, first.data, first.len);
            size_t mark = out->len;
            st = st ? st : rv_buf_putc(out, ' ');
            st = st ? st : person_words(out, in, (size_t)(comma - in), true, field, err);
            if (st == RV_OK && out->len == mark + 1)
                out->len = mark, out->data[mark] = '\0';
        } else if (st == RV_OK) {
            st = person_words(out, in, (size_t)(comma - in), true, field, err);
        }
        rv_buf_release(&first);
    } else {
        st = person_words(out, in, len, true, field, err);
    }
    if (st) {
        out->len = old;
        if (out->data)
            out->data[old] = '\0';
        return err ? err->code : st;
    }
    return RV_OK;
}

/* --- company names --------------------------------------------------------- */

static const char *const legal_forms[] = {
    "ab",   "ag",  "and",  "aps", "as",  "asa", "bhd",  "bv",   "co",  "company", "corp",
    "corporation", "cv", "gmbh", "inc", "incorporated", "kft", "kg", "kk", "limited", "llc",
    "llp",  "lp",  "ltd",  "ltda", "mbh", "nv", "oy",   "oyj",  "plc", "pte",  "pty",  "pvt",
    "sa",   "sab", "sae",  "sarl", "sas", "sdn", "sl",  "spa",  "sro", "srl",  "ug",   "ulc",
    "zrt"};

rv_status rv_norm_company_key(rv_buf *out, const char *in, size_t len, const char *field,
                              rv_err *err)
{
    rv_buf tmp = RV_BUF_INIT;
    rv_status st =
        key_text(&tmp, in, len, RV_NORM_FOLD | RV_NORM_PUNCT | RV__NORM_AMP, field, err);
    if (st == RV_OK && tmp.len) {
        words ws;
        split_words(tmp.data, &ws);
        int from = 0, to = ws.n;
        if (to - from > 1 && strcmp(ws.w[0], "the") == 0)
            from++;
        /* trailing legal forms, and an "and" left dangling by "& Co." */
        while (to - from > 1 && IN_TABLE(ws.w[to - 1], legal_forms))
            to--;
        st = join_words(out, &ws, from, to);
        if (st)
            st = rv_err_set(err, st, field, "%s is too long", field ? field : "value");
    }
    rv_buf_release(&tmp);
    return st;
}

void rv_norm_acronym(rv_buf *out, const char *key)
{
    static const char *const skip[] = {"and", "de", "for", "of", "the"};
    char initials[4 * MAX_WORDS];
    size_t n = 0;
    int words_used = 0;
    const char *p = key;
    while (*p && words_used < MAX_WORDS) {
        const char *e = strchr(p, ' ');
        size_t wl = e ? (size_t)(e - p) : strlen(p);
        char w[16];
        if (wl < sizeof w) {
            memcpy(w, p, wl);
            w[wl] = '\0';
        }
        if (wl >= sizeof w || !IN_TABLE(w, skip)) {
            /* the whole first character, not its first byte */
            utf8proc_int32_t cp;
            utf8proc_ssize_t cl = utf8proc_iterate((const utf8proc_uint8_t *)p,
                                                   (utf8proc_ssize_t)wl, &cp);
            if (cl > 0) {
                memcpy(initials + n, p, (size_t)cl);
                n += (size_t)cl;
                words_used++;
            }
        }
        p = e ? e + 1 : p + wl;
    }
    if (words_used >= 2)
        rv_buf_append(out, initials, n);
}

/* --- street addresses ------------------------------------------------------ */

/* long form -> postal abbreviation, sorted by long form */
static const char *const street_words[][2] = {
    {"alley", "aly"},     {"av", "ave"},        {"avenue", "ave"},        {"boulevard", "blvd"},
    {"center", "ctr"},    {"centre", "ctr"},    {"circle", "cir"},    {"court", "ct"},
    {"crescent", "cres"}, {"drive", "dr"},      {"east", "e"},        {"expressway", "expy"},
    {"highway", "hwy"},   {"lane", "ln"},       {"north", "n"},       {"northeast", "ne"},
    {"northwest", "nw"},  {"parkway", "pkwy"},  {"place", "pl"},      {"road", "rd"},
    {"south", "s"},       {"southeast", "se"},  {"southwest", "sw"},  {"square", "sq"},
    {"street", "st"},     {"suite", "ste"},     {"terrace", "ter"},   {"west", "w"}};

static int street_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const char *const *)elem)[0]);
}

rv_status rv_norm_address_key(rv_buf *out, const char *in, size_t len, const char *field,
                              rv_err *err)
{
    rv_buf tmp = RV_BUF_INIT;
    rv_status st = key_text(&tmp, in, len, RV_NORM_FOLD | RV_NORM_PUNCT, field, err);
    if (st == RV_OK && tmp.len) {
        words ws;
        split_words(tmp.data, &ws);
        for (int i = 0; i < ws.n; i++) {
            const char *const *hit =
                bsearch(ws.w[i], street_words, sizeof street_words / sizeof street_words[0],
                        sizeof street_words[0], street_cmp);
            if (hit)
                ws.w[i] = (char *)hit[1];
        }
        st = join_words(out, &ws, 0, ws.n);
        if (st)
            st = rv_err_set(err, st, field, "%s is too long", field ? field : "address");
    }
    rv_buf_release(&tmp);
    return st;
}

/* --- hosts and emails ------------------------------------------------------ */

/* Check a lower-case ASCII host: labels of letters, digits and hyphens, not
 * starting or ending with a hyphen, at least two labels, a top-level label
 * of letters (or an IDN "xn--" label). */
static bool valid_host(const char *h, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t label = 0, labels = 1, last = 0;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
            labels++;
            last = i + 1;
            continue;
        }
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > 63)
            return false;
    }
    if (label == 0 || h[len - 1] == '-' || labels < 2)
        return false;
    const char *tld = h + last;
    size_t tl = len - last;
    if (tl >= 4 && strncmp(tld, "xn--", 4) == 0)
        return true;
    for (size_t i = 0; i < tl; i++)
        if (!islower((unsigned char)tld[i]))
            return false;
    return tl >= 2;
}

/* Lower-case ASCII form of a host (IDN to punycode) appended to out. */
static bool host_ascii(rv_buf *out, const char *h, size_t len)
{
    if (!has_non_ascii(h, len)) {
        for (size_t i = 0; i < len; i++)
            if (rv_buf_putc(out, (char)tolower((unsigned char)h[i])))
                return false;
        return true;
    }
    char stack[256];
    if (len >= sizeof stack)
        return false;
    memcpy(stack, h, len);
    stack[len] = '\0';
    char *ascii = NULL;
    if (idn2_to_ascii_8z(stack, &ascii, IDN2_NONTRANSITIONAL) != IDN2_OK) {
        /* lookalike full stops and upper case that IDNA 2008 refuses as typed */
        if (idn2_to_ascii_8z(stack, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
            return false;
    }
    rv_status st = rv_buf_puts(out, ascii);
    idn2_free(ascii);
    return st == RV_OK;
}

/* "Name <addr>" and "mailto:addr" -> addr */
static void unwrap_email(const char **in, size_t *len)
{
    const char *lt = memchr(*in, '<', *len);
    if (lt) {
        const char *gt = memchr(lt, '>', *len - (size_t)(lt - *in));
        if (gt) {
            *in = lt + 1;
            *len = (size_t)(gt - lt - 1);
            trim(in, len);
        }
    }
    if (*len >= 7 && strncasecmp(*in, "mailto:", 7) == 0)
        *in += 7, *len -= 7;
}

rv_status rv_norm_email(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err)
{
    const char *orig = in;
    size_t olen = len;
    if (check_utf8(in, len, field, err))
        return err ? err->code : RV_EINVAL;
    trim(&in, &len);
    unwrap_email(&in, &len);
    if (len == 0)
        return rv_err_set(err, RV_EINVAL, field, "%s is empty", field ? field : "email");
    const char *at = memchr(in, '@', len);
    if (!at || memchr(at + 1, '@', len - (size_t)(at + 1 - in)))
        return bad_value(err, field, "must have exactly one '@'", orig, olen);
    size_t ll = (size_t)(at - in);
    if (ll == 0 || ll > 64)
        return bad_value(err, field, "must have 1 to 64 characters before '@'", orig, olen);
    for (size_t i = 0; i < ll; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c) ||
            (c == '.' && (i == 0 || i == ll - 1 || in[i + 1] == '.')))
            return bad_value(err, field, "has an invalid character before '@'", orig, olen);
    }
    size_t old = out->len;
    for (size_t i = 0; i < ll; i++)
        rv_buf_putc(out, (char)tolower((unsigned char)in[i]));
    rv_buf_putc(out, '@');
    size_t host = out->len;
    const char *dom = at + 1;
    size_t dl = len - ll - 1;
    if (dl && dom[dl - 1] == '.')
        dl--;
    if (!host_ascii(out, dom, dl) || !valid_host(out->data + host, out->len - host)) {
        out->len = old;
        if (out->data)
            out->data[old] = '\0';
        return bad_value(err, field, "has an invalid domain", orig, olen);
    }
    return RV_OK;
}

rv_status rv_norm_email_key(rv_buf *out, const char *email, size_t len, const char *field,
                            rv_err *err)
{
    const char *at = memrchr(email, '@', len);
    if (!at)
        return bad_value(err, field, "must have exactly one '@'", email, len);
    const char *dom = at + 1;
    size_t dl = len - (size_t)(dom - email);
    bool gmail = (dl == 9 && memcmp(dom, "gmail.com", 9) == 0) ||
                 (dl == 14 && memcmp(dom, "googlemail.com", 14) == 0);
    const char *plus = memchr(email, '+', (size_t)(at - email));
    const char *end = plus ? plus : at;
    if (end == email)
        return bad_value(err, field, "has nothing before its '+' sub-address", email, len);
    rv_status st = RV_OK;
    for (const char *p = email; p < end && !st; p++)
        if (!(gmail && *p == '.'))
            st = rv_buf_putc(out, *p);
    st = st ? st : rv_buf_putc(out, '@');
    st = st ? st : (gmail ? rv_buf_puts(out, "gmail.com") : rv_buf_append(out, dom, dl));
    return st ? rv_err_set(err, st, field, "%s is too long", field ? field : "email") : RV_OK;
}

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void psl_load(void)
{
    /* the compiled-in list, or the distribution's newer copy when there is one */
    psl = psl_latest(NULL);
    if (!psl)
        psl = psl_builtin();
}

rv_status rv_norm_domain(rv_buf *out, const char *in, size_t len, const char *field, rv_err *err)
{
    const char *orig = in;
    size_t olen = len;
    if (check_utf8(in, len, field, err))
        return err ? err->code : RV_EINVAL;
    trim(&in, &len);
    if (len == 0)
        return rv_err_set(err, RV_EINVAL, field, "%s is empty", field ? field : "domain");
    const char *scheme = len >= 3 ? memmem(in, len, "://", 3) : NULL;
    if (scheme) {
        len -= (size_t)(scheme + 3 - in);
        in = scheme + 3;
    } else {
        unwrap_email(&in, &len);
        const char *at = memrchr(in, '@', len);
        if (at)
            len -= (size_t)(at + 1 - in), in = at + 1;
    }
    size_t hl = 0;
    while (hl < len && !strchr("/?#", in[hl]))
        hl++;
    const char *at = memrchr(in, '@', hl); /* user:pass@host */
    if (at)
        hl -= (size_t)(at + 1 - in), in = at + 1;
    const char *colon = memchr(in, ':', hl);
    if (colon)
        hl = (size_t)(colon - in);
    if (hl && in[hl - 1] == '.')
        hl--;
    rv_buf host = RV_BUF_INIT;
    char hostz[256];
    bool ok = host_ascii(&host, in, hl) && valid_host(host.data, host.len) &&
              host.len < sizeof hostz;
    if (ok)
        memcpy(hostz, host.data, host.len + 1);
    rv_buf_release(&host);
    if (!ok)
        return bad_value(err, field, "has no valid host name", orig, olen);
    pthread_once(&psl_once, psl_load);
    const char *reg = psl ? psl_registrable_domain(psl, hostz) : hostz;
    if (!reg)
        return bad_value(err, field, "must name a registered domain, not a public suffix", orig,
                         olen);
    if (rv_buf_puts(out, reg))
        return rv_err_set(err, RV_ETOOBIG, field, "%s is too long", field ? field : "domain");
    return RV_OK;
}

bool rv_norm_domain_is_freemail(const char *domain)
{
    static const char *const exact[] = {
        "126.com",       "139.com",      "163.com",       "aim.com",      "btinternet.com",
        "comcast.net",   "earthlink.net", "fastmail.com", "free.fr",      "gmail.com",
        "googlemail.com", "hey.com",     "hushmail.com",  "icloud.com",   "inbox.com",
        "laposte.net",   "libero.it",    "mac.com",       "mail.com",     "mail.ru",
        "me.com",        "naver.com",    "orange.fr",     "pm.me",        "proton.me",
        "protonmail.com", "qq.com",      "rambler.ru",    "rediffmail.com", "sbcglobal.net",
        "seznam.cz",     "sina.com",     "t-online.de",   "tutanota.com", "verizon.net",
        "wanadoo.fr",    "web.de",       "yeah.net",      "zoho.com",     "zohomail.com"};
    /* providers with a registrable domain per country: yahoo.co.uk, gmx.de */
    static const char *const first_label[] = {"aol", "gmx", "hotmail", "live", "msn", "outlook",
                                              "rocketmail", "yahoo", "yandex", "ymail"};
    if (IN_TABLE(domain, exact))
        return true;
    const char *dot = strchr(domain, '.');
    char label[16];
    if (!dot || (size_t)(dot - domain) >= sizeof label)
        return false;
    memcpy(label, domain, (size_t)(dot - domain));
    label[dot - domain] = '\0';
    return IN_TABLE(label, first_label);
}

/* --- phones and postcodes -------------------------------------------------- */

/* Length of the number before an extension marker ("x", "ext", "#"). */
static size_t before_extension(const char *s, size_t len)
{
    bool digits = false;
    for (size_t i = 0; i < len; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        if (isdigit((unsigned char)c))
            digits = true;
        else if (digits && (c == 'x' || c == '#' || c == 'e'))
            return (c == 'e' && !(i + 2 < len && tolower((unsigned char)s[i + 1]) == 'x' &&
                                  tolower((unsigned char)s[i + 2]) == 't'))
                       ? len
                       : i;
    }
    return len;
}

rv_status rv_norm_phone(rv_buf *out, const char *in, size_t len, const char *default_cc,
                        const char *field, rv_err *err)
{
    const char *orig = in;
    size_t olen = len;
    if (check_utf8(in, len, field, err))
        return err ? err->code : RV_EINVAL;
    /* full-width digits and lookalike dashes to ASCII */
    rv_buf folded = RV_BUF_INIT;
    if (key_text(&folded, in, len, RV_NORM_FOLD, field, err))
        return err ? err->code : RV_EINVAL;
    const char *s = folded.data ? folded.data : "";
    size_t n = before_extension(s, folded.len);
    char digits[32];
    size_t nd = 0;
    bool intl = false, any = false, ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        char c = s[i];
        if (isdigit((unsigned char)c)) {
            if (nd >= sizeof digits - 1)
                ok = false;
            else
                digits[nd++] = c;
            any = true;
        } else if (c == '+' && !any && !intl) {
            intl = true;
        } else if (c == '(' && intl && i + 2 < n && s[i + 1] == '0' && s[i + 2] == ')') {
            i += 2; /* "+44 (0)20": the trunk zero written beside the country code */
        } else if (!strchr(" -.()/", c)) {
            ok = false;
        }
    }
    rv_buf_release(&folded);
    if (!ok)
        return bad_value(err, field,
                         "must contain only digits, spaces, '+' and - . ( ) /", orig, olen);
    digits[nd] = '\0';
    const char *d = digits;
    if (!intl && strncmp(d, "00", 2) == 0)
        intl = true, d += 2;
    else if (!intl && default_cc && strcmp(default_cc, "1") == 0 && strncmp(d, "011", 3) == 0)
        intl = true, d += 3;
    char num[40];
    if (intl) {
        snprintf(num, sizeof num, "%s", d);
    } else {
        if (!default_cc || !*default_cc)
            return bad_value(err, field, "has no country code and no default country is set",
                             orig, olen);
        if (strcmp(default_cc, "1") == 0 && strlen(d) == 11 && d[0] == '1')
            d++;
        else if (d[0] == '0' && strcmp(default_cc, "39") != 0)
            d++; /* the trunk prefix; Italian numbers keep their 0 */
        snprintf(num, sizeof num, "%s%s", default_cc, d);
    }
    size_t nl = strlen(num);
    if (nl < 8 || nl > 15 || num[0] == '0' || (num[0] == '1' && nl != 11))
        return bad_value(err, field, "must have 8 to 15 digits with its country code", orig, olen);
    rv_status st = rv_buf_putc(out, '+');
    st = st ? st : rv_buf_append(out, num, nl);
    return st ? rv_err_set(err, st, field, "%s is too long", field ? field : "phone") : RV_OK;
}

rv_status rv_norm_postcode(rv_buf *out, const char *in, size_t len, const char *field,
                           rv_err *err)
{
    const char *orig = in;
    size_t olen = len;
    trim(&in, &len);
    if (len == 0)
        return rv_err_set(err, RV_EINVAL, field, "%s is empty", field ? field : "postcode");
    size_t old = out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (isalnum(c)) {
            if (rv_buf_putc(out, (char)toupper(c)))
                break;
        } else if (c != ' ' && c != '-') {
            out->len = old;
            if (out->data)
                out->data[old] = '\0';
            return bad_value(err, field, "must contain only letters, digits, spaces and hyphens",
                             orig, olen);
        }
    }
    return RV_OK;
}
