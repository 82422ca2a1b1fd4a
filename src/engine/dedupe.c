/*
 * dedupe.c - blocking, comparison, Fellegi-Sunter scoring with EM, and
 * clustering.  See dedupe.h for the method and the formulas.
 *
 * Data structures, and why:
 *   - values are match keys in one arena, one pointer per record and field
 *     (NULL when missing); phonetic codes of name fields are computed once
 *     per record, not once per pair;
 *   - a blocking key is a 64-bit word: 40 bits of the key's hash over 24
 *     bits of the record's rank in name order, so one radix sort groups the
 *     blocks and orders each block by name (which is what a block too large
 *     to compare all-pairs is windowed by); hence at most 2^24 records;
 *   - candidate pairs are 64-bit words (a << 32 | b), radix-sorted and
 *     deduplicated, so a pair found by several keys is compared once;
 *   - an agreement vector is 4 bits per field (15 = missing), so EM runs
 *     over the distinct vectors with their counts: a few thousand rows
 *     whatever the number of pairs.
 *
 * Comparison runs on opts->threads threads over slices of the pair array;
 * everything else is one thread.
 */
#include "engine/dedupe.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/map.h"
#include "engine/match.h"
#include "engine/normalize.h"

#define MAX_RECORDS (1u << 24)
#define MISSING ((unsigned)RV_DD_MISSING)

static const char *const type_names[] = {
#define RV__DDX(name, str) str,
    RV_DD_TYPES(RV__DDX)
#undef RV__DDX
};

const char *rv_dd_type_name(rv_dd_type t)
{
    return t < RV_DD_NTYPES ? type_names[t] : "?";
}

typedef struct feedback {
    uint32_t a, b;
    bool match;
} feedback;

struct rv_dedupe {
    int nf;
    rv_dd_field f[RV_DD_MAX_FIELDS];
    int given, surname, person, company, address, number, postcode, phone, email, date, code;
    size_t n, cap;
    const char **v;               /* n * nf */
    char (*codes[RV_DD_MAX_FIELDS])[2][5]; /* Double Metaphone of name fields */
    int64_t *truth;
    bool any_truth;
    rv_arena arena;
    feedback *fb;
    size_t nfb, capfb;
    /* the model of the last run */
    bool fitted;
    double prior, m[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS], u[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS];
};

/* --- comparators per type -------------------------------------------------- */

typedef struct side {
    const char *s;
    const char (*code)[5]; /* primary, alternate; NULL when none */
} side;

static int name_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    double jw = rv_match_jaro_winkler(a.s, b.s);
    if (jw >= 0.92)
        return 1;
    bool phon = a.code && b.code && a.code[0][0] &&
                (!strcmp(a.code[0], b.code[0]) || !strcmp(a.code[0], b.code[1]) ||
                 !strcmp(a.code[1], b.code[0]));
    if (jw >= 0.85 || phon || rv_match_initials(a.s, b.s))
        return 2;
    return 3;
}

static int text_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    double jw = rv_match_jaro_winkler(a.s, b.s);
    return jw >= 0.92 ? 1 : jw >= 0.8 ? 2 : 3;
}

static int person_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    double jw = rv_match_jaro_winkler(a.s, b.s);
    if (jw >= 0.92 || rv_match_token_set(a.s, b.s) >= 0.999)
        return 1;
    if (jw >= 0.85 || rv_match_initials(a.s, b.s) || rv_match_token_cover(a.s, b.s) >= 0.5)
        return 2;
    return 3;
}

static int company_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    double jw = rv_match_jaro_winkler(a.s, b.s), ts = rv_match_token_set(a.s, b.s);
    if (jw >= 0.94 || ts >= 0.75 || rv_match_acronym(a.s, b.s))
        return 1;
    if (jw >= 0.85 || ts >= 0.4 || rv_match_token_cover(a.s, b.s) >= 0.5)
        return 2;
    return 3;
}

/* Leading house number of an address key ("221 e 51st st" -> "221"), and
 * the rest. */
static const char *split_number(const char *s, char num[16])
{
    size_t i = 0;
    while (s[i] && s[i] != ' ' && i < 15)
        i++;
    bool digit = i > 0 && s[0] >= '0' && s[0] <= '9';
    if (!digit || (s[i] && s[i] != ' ')) {
        num[0] = '\0';
        return s;
    }
    memcpy(num, s, i);
    num[i] = '\0';
    return s[i] ? s + i + 1 : s + i;
}

static int address_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    char na[16], nb[16];
    const char *ra = split_number(a.s, na), *rb = split_number(b.s, nb);
    bool same_num = !strcmp(na, nb);
    double jw = rv_match_jaro_winkler(ra, rb);
    if (same_num && (jw >= 0.9 || rv_match_token_set(ra, rb) >= 0.5))
        return 1;
    if ((same_num && na[0]) || rv_match_jaro_winkler(a.s, b.s) >= 0.9)
        return 2;
    return 3;
}

static int exact_level(side a, side b)
{
    return strcmp(a.s, b.s) != 0;
}

static int edit_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    int e = rv_match_damerau_within(a.s, b.s, 2);
    return e <= 1 ? 1 : e <= 2 ? 2 : 3;
}

static int short_edit_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    return rv_match_damerau_within(a.s, b.s, 1) <= 1 ? 1 : 2;
}

static const char *tail(const char *s, size_t n)
{
    size_t l = strlen(s);
    return l > n ? s + l - n : s;
}

static int phone_level(side a, side b)
{
    const char *a10 = tail(a.s, 10), *b10 = tail(b.s, 10);
    if (!strcmp(a10, b10))
        return 0;
    if (!strcmp(tail(a.s, 7), tail(b.s, 7)))
        return 1;
    return rv_match_damerau_within(a10, b10, 1) <= 1 ? 2 : 3;
}

static int email_level(side a, side b)
{
    if (!strcmp(a.s, b.s))
        return 0;
    const char *ata = strchr(a.s, '@'), *atb = strchr(b.s, '@');
    if (ata && atb) {
        size_t la = (size_t)(ata - a.s), lb = (size_t)(atb - b.s);
        char x[RV_MATCH_MAX + 1], y[RV_MATCH_MAX + 1];
        la = la > RV_MATCH_MAX ? RV_MATCH_MAX : la;
        lb = lb > RV_MATCH_MAX ? RV_MATCH_MAX : lb;
        memcpy(x, a.s, la), x[la] = '\0';
        memcpy(y, b.s, lb), y[lb] = '\0';
        if (!strcmp(x, y) || (!strcmp(ata, atb) && rv_match_jaro_winkler(x, y) >= 0.9))
            return 1;
    }
    return 2;
}

static int date_level(side a, side b)
{
    int l = rv_match_date(a.s, b.s, 1);
    return l >= 0 ? l : edit_level(a, b);
}

typedef int (*level_fn)(side a, side b);

/* per type: comparator and number of levels */
static const struct {
    level_fn fn;
    int levels;
} kinds[RV_DD_NTYPES] = {
    [RV_DD_GIVEN] = {name_level, 4},     [RV_DD_SURNAME] = {name_level, 4},
    [RV_DD_PERSON] = {person_level, 4},  [RV_DD_COMPANY] = {company_level, 4},
    [RV_DD_ADDRESS] = {address_level, 4}, [RV_DD_NUMBER] = {short_edit_level, 3},
    [RV_DD_CITY] = {text_level, 4},      [RV_DD_POSTCODE] = {short_edit_level, 3},
    [RV_DD_STATE] = {exact_level, 2},    [RV_DD_PHONE] = {phone_level, 4},
    [RV_DD_EMAIL] = {email_level, 3},    [RV_DD_DATE] = {date_level, 4},
    [RV_DD_CODE] = {edit_level, 4},      [RV_DD_TEXT] = {text_level, 4},
};

static side side_of(const rv_dedupe *d, int f, uint32_t r)
{
    return (side){d->v[(size_t)r * (size_t)d->nf + (size_t)f],
                  d->codes[f] ? (const char(*)[5])d->codes[f][r] : NULL};
}

/* The agreement vector of records a and b: 4 bits per field. */
static uint64_t compare(const rv_dedupe *d, uint32_t a, uint32_t b)
{
    int lev[RV_DD_MAX_FIELDS];
    /* city and state follow from the postcode: counted with it they would
     * count one agreement two or three times (fields are assumed
     * independent), so they speak only when the postcode cannot */
    bool placed = d->postcode >= 0 && side_of(d, d->postcode, a).s && side_of(d, d->postcode, b).s;
    for (int f = 0; f < d->nf; f++) {
        side x = side_of(d, f, a), y = side_of(d, f, b);
        bool place = d->f[f].type == RV_DD_CITY || d->f[f].type == RV_DD_STATE;
        lev[f] = x.s && y.s && !(placed && place) ? kinds[d->f[f].type].fn(x, y) : (int)MISSING;
    }
    int g = d->given, s = d->surname;
    /* a swap can only help when both names disagree (an equal name would
     * have to equal the other side's other name too) */
    if (g >= 0 && s >= 0 && lev[g] != (int)MISSING && lev[s] != (int)MISSING && lev[g] > 0 &&
        lev[s] > 0) {
        /* names swapped: a's given name against b's surname and back */
        int gs = name_level(side_of(d, g, a), side_of(d, s, b));
        int sg = name_level(side_of(d, s, a), side_of(d, g, b));
        if (gs <= lev[g] && sg <= lev[s] && gs + sg < lev[g] + lev[s])
            lev[g] = gs, lev[s] = sg;
    }
    uint64_t pat = 0;
    for (int f = 0; f < d->nf; f++)
        pat |= (uint64_t)lev[f] << (4 * f);
    return pat;
}

static int level_at(uint64_t pat, int f)
{
    return (int)((pat >> (4 * f)) & 15u);
}

/* --- the record set -------------------------------------------------------- */

rv_status rv_dd_new(rv_dedupe **out, int nfields, const rv_dd_field *fields, rv_err *err)
{
    *out = NULL;
    if (nfields < 1 || nfields > RV_DD_MAX_FIELDS)
        return rv_err_set(err, RV_EINVAL, "fields", "a record needs 1 to %d fields, got %d",
                          RV_DD_MAX_FIELDS, nfields);
    rv_dedupe *d = rv_xcalloc(1, sizeof *d);
    rv_arena_init(&d->arena, 1 << 20);
    d->nf = nfields;
    int *roles[RV_DD_NTYPES] = {[RV_DD_GIVEN] = &d->given,     [RV_DD_SURNAME] = &d->surname,
                                [RV_DD_PERSON] = &d->person,   [RV_DD_COMPANY] = &d->company,
                                [RV_DD_ADDRESS] = &d->address, [RV_DD_NUMBER] = &d->number,
                                [RV_DD_POSTCODE] = &d->postcode, [RV_DD_PHONE] = &d->phone,
                                [RV_DD_EMAIL] = &d->email,     [RV_DD_DATE] = &d->date,
                                [RV_DD_CODE] = &d->code};
    for (int t = 0; t < RV_DD_NTYPES; t++)
        if (roles[t])
            *roles[t] = -1;
    for (int i = 0; i < nfields; i++) {
        if (fields[i].type >= RV_DD_NTYPES) {
            rv_dd_free(d);
            return rv_err_set(err, RV_EINVAL, fields[i].name, "field '%s' has an unknown type %d",
                              fields[i].name ? fields[i].name : "?", (int)fields[i].type);
        }
        d->f[i].name = rv_arena_strdup(&d->arena, fields[i].name ? fields[i].name : "?");
        d->f[i].type = fields[i].type;
        int *role = roles[fields[i].type];
        if (role && *role < 0)
            *role = i;
    }
    *out = d;
    return RV_OK;
}

void rv_dd_free(rv_dedupe *d)
{
    if (!d)
        return;
    free(d->v);
    for (int f = 0; f < RV_DD_MAX_FIELDS; f++)
        free(d->codes[f]);
    free(d->truth);
    free(d->fb);
    rv_arena_release(&d->arena);
    free(d);
}

size_t rv_dd_count(const rv_dedupe *d)
{
    return d->n;
}

/* The match key of a value of type t into out (empty: missing). */
static rv_status key_of(rv_buf *out, rv_dd_type t, const char *in, size_t len, const char *field,
                        rv_err *err)
{
    rv_status st;
    size_t mark = out->len;
    switch (t) {
    case RV_DD_PERSON:
        st = rv_norm_person_key(out, in, len, field, err);
        break;
    case RV_DD_COMPANY:
        st = rv_norm_company_key(out, in, len, field, err);
        break;
    case RV_DD_ADDRESS:
        st = rv_norm_address_key(out, in, len, field, err);
        break;
    case RV_DD_EMAIL: {
        rv_buf tmp = RV_BUF_INIT;
        st = rv_norm_email(&tmp, in, len, field, NULL);
        if (st == RV_OK)
            st = rv_norm_email_key(out, tmp.data, tmp.len, field, NULL);
        rv_buf_release(&tmp);
        if (st != RV_OK) {
            out->len = mark;
            st = rv_norm_key(out, in, len, RV_NORM_FOLD, field, err);
        }
        break;
    }
    case RV_DD_PHONE:
    case RV_DD_DATE:
    case RV_DD_POSTCODE:
    case RV_DD_NUMBER:
    case RV_DD_CODE:
        /* digits and letters only, folded: "(312) 555-0100" -> "3125550100" */
        st = rv_norm_key(out, in, len, RV_NORM_FOLD | RV_NORM_PUNCT, field, err);
        if (st == RV_OK) {
            size_t w = mark;
            for (size_t r = mark; r < out->len; r++)
                if (out->data[r] != ' ' && (t != RV_DD_PHONE || (out->data[r] >= '0' && out->data[r] <= '9')))
                    out->data[w++] = out->data[r];
            out->len = w;
            if (out->data)
                out->data[w] = '\0';
        }
        break;
    default:
        st = rv_norm_key(out, in, len, RV_NORM_FOLD | RV_NORM_PUNCT, field, err);
        break;
    }
    return st;
}

rv_status rv_dd_add(rv_dedupe *d, const char *const *vals, const size_t *lens, int64_t truth,
                    rv_err *err)
{
    if (d->n >= MAX_RECORDS)
        return rv_err_set(err, RV_ETOOBIG, NULL, "a scan takes at most %u records", MAX_RECORDS);
    const char *keys[RV_DD_MAX_FIELDS];
    rv_buf k = RV_BUF_INIT;
    for (int f = 0; f < d->nf; f++) {
        keys[f] = NULL;
        if (!vals[f] || !lens[f])
            continue;
        rv_buf_reset(&k);
        if (key_of(&k, d->f[f].type, vals[f], lens[f], d->f[f].name, err)) {
            rv_buf_release(&k);
            return err ? err->code : RV_EINVAL;
        }
        if (k.len)
            keys[f] = rv_arena_strndup(&d->arena, k.data, k.len);
    }
    rv_buf_release(&k);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->v = rv_xrealloc(d->v, d->cap * (size_t)d->nf * sizeof *d->v);
        d->truth = rv_xrealloc(d->truth, d->cap * sizeof *d->truth);
        for (int f = 0; f < d->nf; f++)
            if (d->f[f].type == RV_DD_GIVEN || d->f[f].type == RV_DD_SURNAME)
                d->codes[f] = rv_xrealloc(d->codes[f], d->cap * sizeof *d->codes[f]);
    }
    for (int f = 0; f < d->nf; f++) {
        d->v[d->n * (size_t)d->nf + (size_t)f] = keys[f];
        if (d->codes[f]) {
            char *c = &d->codes[f][d->n][0][0];
            memset(c, 0, 10);
            if (keys[f])
                rv_match_metaphone(keys[f], c, c + 5);
        }
    }
    d->truth[d->n] = truth;
    d->any_truth |= truth >= 0;
    d->n++;
    return RV_OK;
}

rv_status rv_dd_feedback(rv_dedupe *d, size_t a, size_t b, bool match, rv_err *err)
{
    if (a >= d->n || b >= d->n || a == b)
        return rv_err_set(err, RV_EINVAL, "pair",
                          "a pair needs two different records below %zu, got %zu and %zu", d->n, a,
                          b);
    if (d->nfb == d->capfb) {
        d->capfb = d->capfb ? d->capfb * 2 : 16;
        d->fb = rv_xrealloc(d->fb, d->capfb * sizeof *d->fb);
    }
    d->fb[d->nfb++] = (feedback){(uint32_t)(a < b ? a : b), (uint32_t)(a < b ? b : a), match};
    return RV_OK;
}

/* --- sorting --------------------------------------------------------------- */

/* LSD radix sort of 64-bit words, 16 bits per pass; passes where every
 * word has the same digit are skipped. */
static void sort_u64(uint64_t *a, size_t n)
{
    if (n < 2)
        return;
    uint64_t *tmp = rv_xmalloc(n * sizeof *tmp), *src = a, *dst = tmp;
    size_t *count = rv_xmalloc(65536 * sizeof *count);
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 0xffff]++;
        if (count[(src[0] >> shift) & 0xffff] == n)
            continue;
        size_t sum = 0;
        for (size_t i = 0; i < 65536; i++) {
            size_t c = count[i];
            count[i] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(tmp);
    free(count);
}

typedef struct u64vec {
    uint64_t *v;
    size_t n, cap;
} u64vec;

static void push(u64vec *x, uint64_t w)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 4096;
        x->v = rv_xrealloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = w;
}

/* Sort and drop repeats. */
static void sort_unique(u64vec *x)
{
    sort_u64(x->v, x->n);
    size_t w = 0;
    for (size_t i = 0; i < x->n; i++)
        if (i == 0 || x->v[i] != x->v[i - 1])
            x->v[w++] = x->v[i];
    x->n = w;
}

static void push_pair(u64vec *pairs, uint32_t a, uint32_t b)
{
    if (a != b)
        push(pairs, a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a);
}

/* --- blocking -------------------------------------------------------------- */

static const rv_dedupe *sort_d;
static int sort_f1, sort_f2;

static int by_name(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    const rv_dedupe *d = sort_d;
    for (int k = 0; k < 2; k++) {
        int f = k ? sort_f2 : sort_f1;
        if (f < 0)
            continue;
        const char *sa = d->v[(size_t)a * (size_t)d->nf + (size_t)f],
                   *sb = d->v[(size_t)b * (size_t)d->nf + (size_t)f];
        int c = strcmp(sa ? sa : "", sb ? sb : "");
        if (c)
            return c;
    }
    return a < b ? -1 : a > b;
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

/* Records ordered by fields f1 then f2 (the comparison function reads the
 * set through a static, hence the lock). */
static uint32_t *name_order(const rv_dedupe *d, int f1, int f2)
{
    uint32_t *ord = rv_xmalloc(d->n * sizeof *ord);
    for (size_t i = 0; i < d->n; i++)
        ord[i] = (uint32_t)i;
    pthread_mutex_lock(&sort_lock);
    sort_d = d, sort_f1 = f1, sort_f2 = f2;
    qsort(ord, d->n, sizeof *ord, by_name);
    pthread_mutex_unlock(&sort_lock);
    return ord;
}

static void window_pairs(u64vec *pairs, const uint32_t *ord, size_t n, int window)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 1; k < (size_t)window && i + k < n; k++)
            push_pair(pairs, ord[i], ord[i + k]);
}

/* Add a blocking key: kind and text hashed into the top 40 bits, the
 * record's rank in the low 24. */
static void add_key(u64vec *keys, char kind, const char *a, const char *b, uint32_t rank)
{
    char buf[2 * RV_MATCH_MAX + 4];
    size_t n = 0;
    buf[n++] = kind;
    for (const char *s = a; s && *s && n < RV_MATCH_MAX; s++)
        buf[n++] = *s;
    buf[n++] = '|';
    for (const char *s = b; s && *s && n < 2 * RV_MATCH_MAX + 2; s++)
        buf[n++] = *s;
    uint64_t h = rv_hash(buf, n);
    push(keys, (h & ~(uint64_t)0xffffff) | rank);
}

static const char *val(const rv_dedupe *d, int f, uint32_t r)
{
    return f >= 0 ? d->v[(size_t)r * (size_t)d->nf + (size_t)f] : NULL;
}

/* The first n bytes of s (or of "" when NULL) as a string in buf. */
static const char *prefix(char *buf, const char *s, size_t n)
{
    size_t l = s ? strlen(s) : 0;
    if (l > n)
        l = n;
    memcpy(buf, s ? s : "", l);
    buf[l] = '\0';
    return buf;
}

static void record_keys(const rv_dedupe *d, uint32_t r, uint32_t rank, u64vec *keys)
{
    char p1[8], p2[8];
    const char *g = val(d, d->given, r), *s = val(d, d->surname, r);
    const char *gc = g ? d->codes[d->given][r][0] : NULL;
    const char *sc = s ? d->codes[d->surname][r][0] : NULL;
    if (s && sc[0])
        add_key(keys, 'S', sc, prefix(p1, g, 1), rank);
    if (g && gc[0])
        add_key(keys, 'G', gc, prefix(p1, s, 1), rank);
    if (g && s && gc[0] && sc[0])
        add_key(keys, 'W', strcmp(gc, sc) < 0 ? gc : sc, strcmp(gc, sc) < 0 ? sc : gc, rank);
    const char *pn = val(d, d->person, r);
    if (pn) {
        const char *last = strrchr(pn, ' ');
        char c1[5], c2[5], a1[5], a2[5];
        rv_match_metaphone(pn, c1, a1); /* the first word dominates the first 4 codes */
        rv_match_metaphone(last ? last + 1 : pn, c2, a2);
        add_key(keys, 'P', strcmp(c1, c2) < 0 ? c1 : c2, strcmp(c1, c2) < 0 ? c2 : c1, rank);
        add_key(keys, 'L', last ? last + 1 : pn, NULL, rank);
    }
    const char *co = val(d, d->company, r);
    if (co) {
        add_key(keys, 'C', co, NULL, rank);
        const char *sp = strchr(co, ' ');
        if (sp && sp - co >= 3) {
            char first[RV_MATCH_MAX];
            add_key(keys, 'F', prefix(first, co, (size_t)(sp - co)), NULL, rank);
        }
        rv_buf acr = RV_BUF_INIT;
        rv_norm_acronym(&acr, co);
        if (acr.len > 2)
            add_key(keys, 'A', acr.data, NULL, rank);
        rv_buf_release(&acr);
    }
    const char *name1 = s ? s : pn ? pn : co;
    const char *name0 = g ? g : pn ? pn : co;
    const char *pc = val(d, d->postcode, r);
    if (pc) {
        add_key(keys, 'Q', pc, prefix(p1, name0, 1), rank);
        add_key(keys, 'R', pc, prefix(p1, name1, 1), rank);
    }
    const char *ad = val(d, d->address, r);
    if (ad) {
        char num[16];
        const char *rest = split_number(ad, num);
        if (num[0])
            add_key(keys, 'D', num, prefix(p2, rest, 4), rank);
    }
    const char *nb = val(d, d->number, r);
    if (nb && pc)
        add_key(keys, 'N', nb, pc, rank);
    /* a date of birth is shared by ~50 people in a million: with an initial */
    const char *dob = val(d, d->date, r);
    if (dob) {
        add_key(keys, 'T', dob, prefix(p1, name1, 1), rank);
        add_key(keys, 'U', dob, prefix(p1, name0, 1), rank);
    }
    const char *one[][2] = {{"I", val(d, d->code, r)}, {"E", val(d, d->email, r)}};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        if (one[i][1])
            add_key(keys, one[i][0][0], one[i][1], NULL, rank);
    const char *ph = val(d, d->phone, r);
    if (ph && strlen(ph) >= 7)
        add_key(keys, 'H', tail(ph, 7), NULL, rank);
}

/* The first name-like field, for the sorted-neighbourhood order. */
static void order_fields(const rv_dedupe *d, int *f1, int *f2, int *g1, int *g2)
{
    *f1 = d->surname >= 0 ? d->surname : d->person >= 0 ? d->person : d->company >= 0 ? d->company : 0;
    *f2 = d->surname >= 0 ? d->given : -1;
    /* second order: given name first, or the address for companies */
    *g1 = d->given >= 0 ? d->given : d->address >= 0 ? d->address : -1;
    *g2 = d->given >= 0 ? d->surname : -1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Candidate pairs, sorted and distinct. */
static void block(const rv_dedupe *d, const rv_dd_opts *o, u64vec *pairs)
{
    int f1, f2, g1, g2;
    order_fields(d, &f1, &f2, &g1, &g2);
    uint32_t *ord = name_order(d, f1, f2);
    uint32_t *rank = rv_xmalloc(d->n * sizeof *rank);
    for (size_t i = 0; i < d->n; i++)
        rank[ord[i]] = (uint32_t)i;
    window_pairs(pairs, ord, d->n, o->window);
    if (g1 >= 0) {
        uint32_t *ord2 = name_order(d, g1, g2);
        window_pairs(pairs, ord2, d->n, o->window);
        free(ord2);
    }
    u64vec keys = {0};
    for (uint32_t r = 0; r < d->n; r++)
        record_keys(d, r, rank[r], &keys);
    free(rank);
    sort_u64(keys.v, keys.n);
    uint32_t *members = rv_xmalloc((keys.n ? keys.n : 1) * sizeof *members);
    for (size_t i = 0; i < keys.n;) {
        size_t j = i;
        uint64_t h = keys.v[i] >> 24;
        while (j < keys.n && keys.v[j] >> 24 == h)
            j++;
        size_t m = 0;
        for (size_t k = i; k < j; k++) /* in name order, repeats of a record dropped */
            if (k == i || keys.v[k] != keys.v[k - 1])
                members[m++] = ord[keys.v[k] & 0xffffff];
        if (m <= (size_t)o->max_block) {
            for (size_t x = 0; x < m; x++)
                for (size_t y = x + 1; y < m; y++)
                    push_pair(pairs, members[x], members[y]);
        } else {
            window_pairs(pairs, members, m, o->window);
        }
        i = j;
    }
    free(members);
    free(keys.v);
    free(ord);
    sort_unique(pairs);
}

/* --- comparison on threads ------------------------------------------------- */

typedef struct cmp_job {
    const rv_dedupe *d;
    const uint64_t *pairs;
    uint64_t *pat;
    size_t from, to;
} cmp_job;

/* How far ahead the second record of a pair is fetched: its row of value
 * pointers first, then (once the row has arrived) its values and codes.
 * Pairs are in order of the first record, so the second is a random
 * record, almost never in cache: without this, waiting for memory is
 * about a third of the comparison time at 1M records. */
#define AHEAD_ROW 16
#define AHEAD_VALUES 8

static void prefetch_values(const rv_dedupe *d, uint32_t r)
{
    const char *const *row = &d->v[(size_t)r * (size_t)d->nf];
    for (int f = 0; f < d->nf; f++) {
        if (row[f])
            __builtin_prefetch(row[f]);
        if (d->codes[f])
            __builtin_prefetch(d->codes[f][r]);
    }
}

static void *cmp_run(void *arg)
{
    cmp_job *j = arg;
    const rv_dedupe *d = j->d;
    for (size_t i = j->from; i < j->to; i++) {
        if (i + AHEAD_ROW < j->to)
            __builtin_prefetch(&d->v[(size_t)(uint32_t)j->pairs[i + AHEAD_ROW] * (size_t)d->nf]);
        if (i + AHEAD_VALUES < j->to)
            prefetch_values(d, (uint32_t)j->pairs[i + AHEAD_VALUES]);
        j->pat[i] = compare(d, (uint32_t)(j->pairs[i] >> 32), (uint32_t)j->pairs[i]);
    }
    return NULL;
}

static void compare_all(const rv_dedupe *d, const u64vec *pairs, uint64_t *pat, int threads)
{
    enum { MAXT = 16 };
    if (threads > MAXT)
        threads = MAXT;
    pthread_t th[MAXT];
    cmp_job jobs[MAXT];
    size_t step = (pairs->n + (size_t)threads - 1) / (size_t)threads;
    int started = 0;
    for (int t = 0; t < threads; t++) {
        size_t from = (size_t)t * step, to = from + step < pairs->n ? from + step : pairs->n;
        jobs[t] = (cmp_job){d, pairs->v, pat, from < pairs->n ? from : pairs->n, to};
        if (t == threads - 1 || pthread_create(&th[t], NULL, cmp_run, &jobs[t]) != 0)
            cmp_run(&jobs[t]);
        else
            started = t + 1;
    }
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
}

/* --- EM -------------------------------------------------------------------- */

typedef struct patmap {
    uint64_t *key;
    uint32_t *idx;
    size_t cap;
} patmap;

static uint32_t patmap_get(patmap *pm, uint64_t key, uint64_t **keys, double **counts, size_t *n,
                           size_t *cap)
{
    if ((*n + 1) * 2 > pm->cap) {
        size_t nc = pm->cap ? pm->cap * 2 : 1024;
        uint64_t *nk = rv_xmalloc(nc * sizeof *nk);
        uint32_t *ni = rv_xmalloc(nc * sizeof *ni);
        memset(ni, 0xff, nc * sizeof *ni);
        for (size_t i = 0; i < pm->cap; i++)
            if (pm->idx[i] != UINT32_MAX) {
                size_t h = (size_t)(rv_hash(&pm->key[i], 8) & (nc - 1));
                while (ni[h] != UINT32_MAX)
                    h = (h + 1) & (nc - 1);
                nk[h] = pm->key[i], ni[h] = pm->idx[i];
            }
        free(pm->key), free(pm->idx);
        pm->key = nk, pm->idx = ni, pm->cap = nc;
    }
    size_t h = (size_t)(rv_hash(&key, 8) & (pm->cap - 1));
    while (pm->idx[h] != UINT32_MAX) {
        if (pm->key[h] == key)
            return pm->idx[h];
        h = (h + 1) & (pm->cap - 1);
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *keys = rv_xrealloc(*keys, *cap * sizeof **keys);
        *counts = rv_xrealloc(*counts, *cap * sizeof **counts);
    }
    (*keys)[*n] = key;
    (*counts)[*n] = 0;
    pm->key[h] = key;
    pm->idx[h] = (uint32_t)*n;
    return (uint32_t)(*n)++;
}

/* log-likelihood ratio terms of a pattern under the current model */
static double posterior(const rv_dedupe *d, double prior, const double (*m)[RV_DD_MAX_LEVELS],
                        const double (*u)[RV_DD_MAX_LEVELS], uint64_t pat)
{
    double lr = log(prior) - log1p(-prior);
    for (int f = 0; f < d->nf; f++) {
        int l = level_at(pat, f);
        if (l != (int)MISSING)
            lr += log(m[f][l]) - log(u[f][l]);
    }
    if (lr > 700)
        return 1.0;
    return 1.0 / (1.0 + exp(-lr));
}

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Fit p, m, u by EM over distinct patterns (keys, counts) and the
 * labelled pairs (lab_pat, lab_g fixed at 0 or 1). */
static int fit(rv_dedupe *d, const uint64_t *keys, const double *counts, size_t npat,
               const uint64_t *lab_pat, const double *lab_g, size_t nlab, int max_iter)
{
    int nf = d->nf;
    /* u from random pairs, nearly all non-matches; m leaning on agreement */
    double uc[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS] = {{0}};
    uint64_t seed = 42;
    size_t samples = d->n > 1 ? 20000 : 0;
    for (size_t i = 0; i < samples; i++) {
        uint32_t a = (uint32_t)(next_rand(&seed) % d->n), b = (uint32_t)(next_rand(&seed) % d->n);
        if (a == b)
            continue;
        uint64_t pat = compare(d, a, b);
        for (int f = 0; f < nf; f++)
            if (level_at(pat, f) != (int)MISSING)
                uc[f][level_at(pat, f)] += 1;
    }
    for (int f = 0; f < nf; f++) {
        int L = kinds[d->f[f].type].levels;
        double tot = 0;
        for (int l = 0; l < L; l++)
            tot += uc[f][l] + 1;
        for (int l = 0; l < L; l++) {
            d->u[f][l] = (uc[f][l] + 1) / tot;
            d->m[f][l] = l == 0 ? 0.85 : 0.15 / (L - 1);
        }
    }
    d->prior = 0.1;
    int it = 0;
    for (; it < max_iter; it++) {
        double sm[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS] = {{0}}, su[RV_DD_MAX_FIELDS][RV_DD_MAX_LEVELS] = {{0}};
        double gsum = 0, tot = 0;
        for (size_t i = 0; i < npat + nlab; i++) {
            uint64_t pat = i < npat ? keys[i] : lab_pat[i - npat];
            double c = i < npat ? counts[i] : 1.0;
            double g = i < npat ? posterior(d, d->prior, (const double(*)[RV_DD_MAX_LEVELS])d->m,
                                            (const double(*)[RV_DD_MAX_LEVELS])d->u, pat)
                                : lab_g[i - npat];
            gsum += c * g;
            tot += c;
            for (int f = 0; f < nf; f++) {
                int l = level_at(pat, f);
                if (l == (int)MISSING)
                    continue;
                sm[f][l] += c * g;
                su[f][l] += c * (1 - g);
            }
        }
        double delta = 0, np = gsum / tot;
        np = fmin(fmax(np, 1e-9), 1 - 1e-9);
        delta = fabs(np - d->prior);
        d->prior = np;
        for (int f = 0; f < nf; f++) {
            int L = kinds[d->f[f].type].levels;
            double tm = 0, tu = 0;
            for (int l = 0; l < L; l++)
                tm += sm[f][l] + 1e-3, tu += su[f][l] + 1e-3;
            for (int l = 0; l < L; l++) {
                double mm = (sm[f][l] + 1e-3) / tm, uu = (su[f][l] + 1e-3) / tu;
                delta = fmax(delta, fmax(fabs(mm - d->m[f][l]), fabs(uu - d->u[f][l])));
                d->m[f][l] = mm, d->u[f][l] = uu;
            }
        }
        if (delta < 1e-7)
            break;
    }
    d->fitted = true;
    return it + 1;
}

double rv_dd_pair_probability(const rv_dedupe *d, size_t a, size_t b)
{
    if (!d->fitted || a >= d->n || b >= d->n)
        return 0;
    return posterior(d, d->prior, (const double(*)[RV_DD_MAX_LEVELS])d->m,
                     (const double(*)[RV_DD_MAX_LEVELS])d->u, compare(d, (uint32_t)a, (uint32_t)b));
}

int rv_dd_pair_evidence(const rv_dedupe *d, size_t a, size_t b, int *levels, double *weights)
{
    if (!d->fitted || a >= d->n || b >= d->n)
        return 0;
    uint64_t pat = compare(d, (uint32_t)a, (uint32_t)b);
    for (int f = 0; f < d->nf; f++) {
        int l = level_at(pat, f);
        levels[f] = l;
        weights[f] = l == (int)MISSING ? 0.0 : log(d->m[f][l]) - log(d->u[f][l]);
    }
    return d->nf;
}

/* --- clustering ------------------------------------------------------------ */

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

#define DENSE_MAX 2000

/* Average linkage inside one component of nm records (members, global
 * indexes) with the candidate pairs among them (edges); writes each
 * member's cluster label into cluster[]. */
static void average_linkage(const uint32_t *members, size_t nm, const rv_dd_pair *edges,
                            size_t ne, const uint32_t *local, double threshold, uint32_t *cluster)
{
    float *s = rv_xcalloc(nm * nm, sizeof *s);
    for (size_t e = 0; e < ne; e++) {
        size_t i = local[edges[e].a], j = local[edges[e].b];
        s[i * nm + j] = s[j * nm + i] = (float)edges[e].p;
    }
    size_t *size = rv_xmalloc(nm * sizeof *size), *best = rv_xmalloc(nm * sizeof *best);
    size_t *head = rv_xmalloc(nm * sizeof *head); /* union-find of merged clusters */
    bool *alive = rv_xmalloc(nm * sizeof *alive);
    for (size_t i = 0; i < nm; i++) {
        size[i] = 1, head[i] = i, alive[i] = true, best[i] = SIZE_MAX;
        for (size_t j = 0; j < nm; j++)
            if (j != i && (best[i] == SIZE_MAX || s[i * nm + j] > s[i * nm + best[i]]))
                best[i] = j;
    }
    for (;;) {
        size_t bi = SIZE_MAX;
        for (size_t i = 0; i < nm; i++)
            if (alive[i] && best[i] != SIZE_MAX &&
                (bi == SIZE_MAX || s[i * nm + best[i]] > s[bi * nm + best[bi]]))
                bi = i;
        if (bi == SIZE_MAX || s[bi * nm + best[bi]] < (float)threshold)
            break;
        size_t i = bi, j = best[bi];
        /* merge j into i; Lance-Williams for average linkage */
        for (size_t k = 0; k < nm; k++)
            if (alive[k] && k != i && k != j) {
                float v = (float)(((double)size[i] * s[i * nm + k] + (double)size[j] * s[j * nm + k]) /
                                  (double)(size[i] + size[j]));
                s[i * nm + k] = s[k * nm + i] = v;
            }
        size[i] += size[j];
        alive[j] = false;
        head[j] = i;
        for (size_t k = 0; k < nm; k++) {
            if (!alive[k])
                continue;
            if (k == i || best[k] == i || best[k] == j) {
                best[k] = SIZE_MAX;
                for (size_t x = 0; x < nm; x++)
                    if (x != k && alive[x] && (best[k] == SIZE_MAX || s[k * nm + x] > s[k * nm + best[k]]))
                        best[k] = x;
            } else if (s[k * nm + i] > s[k * nm + best[k]]) {
                best[k] = i;
            }
        }
    }
    /* label: the smallest global index in each final cluster */
    uint32_t *label = rv_xmalloc(nm * sizeof *label);
    for (size_t i = 0; i < nm; i++)
        label[i] = UINT32_MAX;
    for (size_t i = 0; i < nm; i++) {
        size_t r = i;
        while (head[r] != r)
            r = head[r];
        if (members[i] < label[r])
            label[r] = members[i];
    }
    for (size_t i = 0; i < nm; i++) {
        size_t r = i;
        while (head[r] != r)
            r = head[r];
        cluster[members[i]] = label[r];
    }
    free(label);
    free(s), free(size), free(best), free(head), free(alive);
}

size_t rv_dd_cluster(size_t n, const rv_dd_pair *all, size_t nall, double threshold,
                     uint32_t *cluster)
{
    uint32_t *parent = rv_xmalloc(n * sizeof *parent);
    for (size_t i = 0; i < n; i++)
        parent[i] = (uint32_t)i;
    for (size_t e = 0; e < nall; e++)
        if (all[e].p >= threshold) {
            uint32_t x = find(parent, all[e].a), y = find(parent, all[e].b);
            if (x != y)
                parent[x < y ? y : x] = x < y ? x : y;
        }
    /* components as lists: count, offsets, members */
    uint32_t *comp = rv_xmalloc(n * sizeof *comp), *cnt = rv_xcalloc(n + 1, sizeof *cnt);
    for (size_t i = 0; i < n; i++)
        cnt[comp[i] = find(parent, (uint32_t)i)]++;
    uint32_t *off = rv_xmalloc((n + 1) * sizeof *off), *mem = rv_xmalloc(n * sizeof *mem),
             *local = rv_xmalloc(n * sizeof *local);
    off[0] = 0;
    for (size_t i = 0; i < n; i++)
        off[i + 1] = off[i] + cnt[i];
    memset(cnt, 0, (n + 1) * sizeof *cnt);
    for (size_t i = 0; i < n; i++) {
        local[i] = cnt[comp[i]];
        mem[off[comp[i]] + cnt[comp[i]]++] = (uint32_t)i;
    }
    /* edges of components of 3 or more, grouped by component */
    uint32_t *eoff = rv_xcalloc(n + 1, sizeof *eoff);
    for (size_t e = 0; e < nall; e++)
        if (comp[all[e].a] == comp[all[e].b] && cnt[comp[all[e].a]] > 2)
            eoff[comp[all[e].a] + 1]++;
    for (size_t i = 0; i < n; i++)
        eoff[i + 1] += eoff[i];
    rv_dd_pair *edges = rv_xmalloc((eoff[n] ? eoff[n] : 1) * sizeof *edges);
    uint32_t *fill = rv_xcalloc(n, sizeof *fill);
    for (size_t e = 0; e < nall; e++) {
        uint32_t c = comp[all[e].a];
        if (c == comp[all[e].b] && cnt[c] > 2)
            edges[eoff[c] + fill[c]++] = all[e];
    }
    for (size_t c = 0; c < n; c++) {
        if (cnt[c] == 0)
            continue;
        if (cnt[c] <= 2) {
            for (uint32_t k = 0; k < cnt[c]; k++)
                cluster[mem[off[c] + k]] = (uint32_t)c;
        } else if (cnt[c] <= DENSE_MAX) {
            average_linkage(mem + off[c], cnt[c], edges + eoff[c], eoff[c + 1] - eoff[c], local,
                            threshold, cluster);
        } else {
            /* too large to re-cluster densely: keep only near-certain links */
            for (uint32_t k = 0; k < cnt[c]; k++)
                parent[mem[off[c] + k]] = mem[off[c] + k];
            for (uint32_t e = eoff[c]; e < eoff[c + 1]; e++)
                if (edges[e].p >= 0.999) {
                    uint32_t x = find(parent, edges[e].a), y = find(parent, edges[e].b);
                    if (x != y)
                        parent[x < y ? y : x] = x < y ? x : y;
                }
            for (uint32_t k = 0; k < cnt[c]; k++)
                cluster[mem[off[c] + k]] = find(parent, mem[off[c] + k]);
        }
    }
    size_t multi = 0;
    memset(cnt, 0, (n + 1) * sizeof *cnt);
    for (size_t i = 0; i < n; i++)
        if (++cnt[cluster[i]] == 2)
            multi++;
    free(parent), free(comp), free(cnt), free(off), free(mem), free(local), free(eoff), free(edges),
        free(fill);
    return multi;
}

/* --- accuracy -------------------------------------------------------------- */

static void set_scores(rv_dd_scores *s, int64_t tp, int64_t predicted, int64_t truth)
{
    s->tp = tp, s->predicted = predicted, s->truth = truth;
    s->precision = predicted ? (double)tp / (double)predicted : 1.0;
    s->recall = truth ? (double)tp / (double)truth : 1.0;
    s->f1 = s->precision + s->recall > 0
                ? 2 * s->precision * s->recall / (s->precision + s->recall)
                : 0.0;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Pairs within groups of equal words: sum of C(size, 2). */
static int64_t pairs_in_runs(const uint64_t *v, size_t n)
{
    int64_t total = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        total += (int64_t)(j - i) * (int64_t)(j - i - 1) / 2;
        i = j;
    }
    return total;
}

typedef struct truth_rec {
    int64_t truth;
    uint32_t rec;
} truth_rec;

static int by_truth(const void *x, const void *y)
{
    const truth_rec *a = x, *b = y;
    return a->truth < b->truth ? -1 : a->truth > b->truth ? 1 : (a->rec > b->rec) - (a->rec < b->rec);
}

static void accuracy(const rv_dedupe *d, rv_dd_result *res)
{
    size_t n = d->n;
    /* truth ids compressed to ranks so that (cluster, truth) fits 64 bits */
    truth_rec *tt = rv_xmalloc((n ? n : 1) * sizeof *tt);
    for (size_t i = 0; i < n; i++)
        tt[i] = (truth_rec){d->truth[i], (uint32_t)i};
    qsort(tt, n, sizeof *tt, by_truth);
    uint32_t *tr = rv_xmalloc((n ? n : 1) * sizeof *tr), *tsize = rv_xcalloc(n + 1, sizeof *tsize);
    uint32_t ntrue = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && tt[i].truth != tt[i - 1].truth)
            ntrue++;
        tr[tt[i].rec] = ntrue;
        tsize[ntrue]++;
    }
    free(tt);
    uint64_t *t = rv_xmalloc((n ? n : 1) * sizeof *t);
    ntrue = n ? ntrue + 1 : 0;
    for (size_t i = 0; i < n; i++)
        t[i] = tr[i];
    qsort(t, n, sizeof *t, cmp_u64);
    res->true_pairs = pairs_in_runs(t, n);
    int64_t tp = 0;
    for (size_t i = 0; i < res->npairs; i++)
        tp += tr[res->pairs[i].a] == tr[res->pairs[i].b];
    set_scores(&res->pairwise, tp, (int64_t)res->npairs, res->true_pairs);
    /* clusters: pairs they imply, and exact matches with true entities */
    uint64_t *ct = rv_xmalloc(n * sizeof *ct), *cl = rv_xmalloc(n * sizeof *cl);
    for (size_t i = 0; i < n; i++) {
        ct[i] = (uint64_t)res->cluster[i] << 32 | tr[i];
        cl[i] = res->cluster[i];
    }
    qsort(ct, n, sizeof *ct, cmp_u64);
    qsort(cl, n, sizeof *cl, cmp_u64);
    set_scores(&res->clustered, pairs_in_runs(ct, n), pairs_in_runs(cl, n), res->true_pairs);
    int64_t exact = 0, npred = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ct[j] >> 32 == ct[i] >> 32)
            j++;
        npred++;
        bool one = ct[j - 1] == ct[i]; /* one truth inside */
        exact += one && tsize[(uint32_t)ct[i]] == (uint32_t)(j - i);
        i = j;
    }
    rv_dd_scores *s = &res->exact;
    s->tp = exact, s->predicted = npred, s->truth = ntrue;
    s->precision = npred ? (double)exact / (double)npred : 1.0;
    s->recall = ntrue ? (double)exact / (double)ntrue : 1.0;
    s->f1 = s->precision + s->recall > 0 ? 2 * s->precision * s->recall / (s->precision + s->recall) : 0;
    free(t), free(tr), free(tsize), free(ct), free(cl);
}

static int cmp_u64_pairs(const void *x, const void *y)
{
    const feedback *a = x, *b = y;
    uint64_t ka = (uint64_t)a->a << 32 | a->b, kb = (uint64_t)b->a << 32 | b->b;
    return ka < kb ? -1 : ka > kb;
}

/* --- the run --------------------------------------------------------------- */

rv_status rv_dd_run(rv_dedupe *d, const rv_dd_opts *opts, rv_dd_result *res, rv_err *err)
{
    memset(res, 0, sizeof *res);
    rv_dd_opts o = opts ? *opts : (rv_dd_opts){0};
    if (o.threshold == 0)
        o.threshold = 0.5;
    if (!(o.threshold > 0 && o.threshold < 1)) {
        char q[32];
        snprintf(q, sizeof q, "%g", o.threshold);
        return rv_err_set(err, RV_EINVAL, "threshold",
                          "threshold must be between 0 and 1 (exclusive), got '%s'", q);
    }
    const struct {
        const char *name;
        int *v, def;
    } ints[] = {{"window", &o.window, 6}, {"max_block", &o.max_block, 64},
                {"max_iter", &o.max_iter, 200}, {"threads", &o.threads, 2}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (*ints[i].v < 0)
            return rv_err_set(err, RV_EINVAL, ints[i].name, "%s must be >= 0, got '%d'",
                              ints[i].name, *ints[i].v);
        if (*ints[i].v == 0)
            *ints[i].v = ints[i].def;
    }
    if (o.window < 2)
        o.window = 2;
    size_t n = d->n;
    res->n = n;
    res->nfields = d->nf;
    res->cluster = rv_xmalloc((n ? n : 1) * sizeof *res->cluster);

    double t0 = now();
    u64vec pairs = {0};
    block(d, &o, &pairs);
    /* labelled pairs are compared even when no key brought them together */
    for (size_t i = 0; i < d->nfb; i++)
        push_pair(&pairs, d->fb[i].a, d->fb[i].b);
    if (d->nfb)
        sort_unique(&pairs);
    res->candidates = (int64_t)pairs.n;
    double all = n > 1 ? (double)n * (double)(n - 1) / 2 : 1;
    res->reduction = 1.0 - (double)pairs.n / all;
    double t1 = now();
    res->t_block = t1 - t0;

    uint64_t *pat = rv_xmalloc((pairs.n ? pairs.n : 1) * sizeof *pat);
    compare_all(d, &pairs, pat, o.threads);
    double t2 = now();
    res->t_compare = t2 - t1;

    /* distinct patterns with counts; labelled pairs apart */
    patmap pm = {0};
    uint64_t *keys = NULL;
    double *counts = NULL;
    size_t npat = 0, cap = 0;
    uint32_t *pidx = rv_xmalloc((pairs.n ? pairs.n : 1) * sizeof *pidx);
    uint64_t *lab_pat = rv_xmalloc((d->nfb ? d->nfb : 1) * sizeof *lab_pat);
    double *lab_g = rv_xmalloc((d->nfb ? d->nfb : 1) * sizeof *lab_g);
    for (size_t i = 0; i < pairs.n; i++)
        pidx[i] = patmap_get(&pm, pat[i], &keys, &counts, &npat, &cap);
    for (size_t i = 0; i < pairs.n; i++)
        counts[pidx[i]] += 1;
    for (size_t k = 0; k < d->nfb; k++) {
        lab_pat[k] = compare(d, d->fb[k].a, d->fb[k].b);
        lab_g[k] = d->fb[k].match ? 1.0 : 0.0;
        uint32_t id = patmap_get(&pm, lab_pat[k], &keys, &counts, &npat, &cap);
        counts[id] -= 1; /* counted once, as labelled */
    }
    free(pat);
    res->em_iterations = fit(d, keys, counts, npat, lab_pat, lab_g, d->nfb, o.max_iter);
    res->patterns = npat;
    res->prior = d->prior;
    for (int f = 0; f < d->nf; f++) {
        res->nlevels[f] = kinds[d->f[f].type].levels;
        memcpy(res->m[f], d->m[f], sizeof d->m[f]);
        memcpy(res->u[f], d->u[f], sizeof d->u[f]);
    }
    double *pp = rv_xmalloc((npat ? npat : 1) * sizeof *pp);
    for (size_t i = 0; i < npat; i++)
        pp[i] = posterior(d, d->prior, (const double(*)[RV_DD_MAX_LEVELS])d->m,
                          (const double(*)[RV_DD_MAX_LEVELS])d->u, keys[i]);
    rv_dd_pair *scored = rv_xmalloc((pairs.n ? pairs.n : 1) * sizeof *scored);
    size_t fbi = 0;
    feedback *fb = rv_xmalloc((d->nfb ? d->nfb : 1) * sizeof *fb);
    if (d->nfb)
        memcpy(fb, d->fb, d->nfb * sizeof *fb);
    qsort(fb, d->nfb, sizeof *fb, cmp_u64_pairs);
    for (size_t i = 0; i < pairs.n; i++) {
        uint32_t a = (uint32_t)(pairs.v[i] >> 32), b = (uint32_t)pairs.v[i];
        double p = pp[pidx[i]];
        while (fbi < d->nfb && ((uint64_t)fb[fbi].a << 32 | fb[fbi].b) < pairs.v[i])
            fbi++;
        if (fbi < d->nfb && fb[fbi].a == a && fb[fbi].b == b)
            p = fb[fbi].match ? 1.0 : 0.0;
        scored[i] = (rv_dd_pair){a, b, p};
        if (d->any_truth)
            res->true_pairs_blocked += d->truth[a] >= 0 && d->truth[a] == d->truth[b];
    }
    free(fb), free(pp), free(pidx), free(keys), free(counts), free(lab_pat), free(lab_g);
    free(pm.key), free(pm.idx), free(pairs.v);
    double t3 = now();
    res->t_em = t3 - t2;

    res->pairs = rv_xmalloc((pairs.n ? pairs.n : 1) * sizeof *res->pairs);
    for (size_t i = 0; i < pairs.n; i++)
        if (scored[i].p >= o.threshold)
            res->pairs[res->npairs++] = scored[i];
    res->nclusters = rv_dd_cluster(n, scored, pairs.n, o.threshold, res->cluster);
    free(scored);
    res->t_cluster = now() - t3;
    if (d->any_truth) {
        res->has_truth = true;
        accuracy(d, res);
        res->blocking_recall =
            res->true_pairs ? (double)res->true_pairs_blocked / (double)res->true_pairs : 1.0;
    }
    return RV_OK;
}

void rv_dd_result_release(rv_dd_result *res)
{
    free(res->pairs);
    free(res->cluster);
    res->pairs = NULL;
    res->cluster = NULL;
}
