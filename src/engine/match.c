/*
 * match.c - comparators for record matching.  See match.h for what each
 * returns and the papers they follow.
 *
 * Strings longer than RV_MATCH_MAX are cut, so every comparator runs on
 * stack buffers: the dedupe engine calls them millions of times per scan
 * and must not allocate per pair.
 */
#include "engine/match.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "engine/normalize.h"

static size_t cut_len(const char *s)
{
    size_t n = strlen(s);
    return n > RV_MATCH_MAX ? RV_MATCH_MAX : n;
}

/* --- Jaro and Jaro-Winkler ------------------------------------------------- */

double rv_match_jaro(const char *a, const char *b)
{
    size_t la = cut_len(a), lb = cut_len(b);
    if (la == 0 && lb == 0)
        return 1.0;
    if (la == 0 || lb == 0)
        return 0.0;
    size_t longer = la > lb ? la : lb;
    size_t win = longer / 2 > 0 ? longer / 2 - 1 : 0;
    bool ma[RV_MATCH_MAX], mb[RV_MATCH_MAX];
    memset(ma, 0, la);
    memset(mb, 0, lb);
    size_t m = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > win ? i - win : 0, hi = i + win + 1 < lb ? i + win + 1 : lb;
        for (size_t j = lo; j < hi; j++)
            if (!mb[j] && a[i] == b[j]) {
                ma[i] = mb[j] = true;
                m++;
                break;
            }
    }
    if (m == 0)
        return 0.0;
    size_t t = 0, k = 0;
    for (size_t i = 0; i < la; i++) {
        if (!ma[i])
            continue;
        while (!mb[k])
            k++;
        if (a[i] != b[k])
            t++;
        k++;
    }
    double md = (double)m;
    return (md / (double)la + md / (double)lb + (md - (double)t / 2.0) / md) / 3.0;
}

double rv_match_jaro_winkler(const char *a, const char *b)
{
    double j = rv_match_jaro(a, b);
    int l = 0;
    while (l < 4 && a[l] && a[l] == b[l])
        l++;
    return j + l * 0.1 * (1.0 - j);
}

/* --- edit distances -------------------------------------------------------- */

/* Levenshtein, with adjacent transpositions when osa (optimal string
 * alignment): three rows of the dynamic programme. */
static int edit_distance(const char *a, const char *b, bool osa)
{
    size_t la = cut_len(a), lb = cut_len(b);
    int rows[3][RV_MATCH_MAX + 1];
    int *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (osa && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
        }
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

int rv_match_levenshtein(const char *a, const char *b)
{
    return edit_distance(a, b, false);
}

int rv_match_damerau(const char *a, const char *b)
{
    return edit_distance(a, b, true);
}

int rv_match_damerau_within(const char *a, const char *b, int max)
{
    size_t la = cut_len(a), lb = cut_len(b);
    size_t diff = la > lb ? la - lb : lb - la;
    if (diff > (size_t)max)
        return max + 1;
    if (max <= 1) {
        /* one edit at most: skip the common prefix and suffix, then what is
         * left must be one substitution, insertion, deletion or swap */
        size_t p = 0;
        while (p < la && p < lb && a[p] == b[p])
            p++;
        if (p == la && p == lb)
            return 0;
        if (max < 1)
            return 1;
        size_t ea = la, eb = lb;
        while (ea > p && eb > p && a[ea - 1] == b[eb - 1])
            ea--, eb--;
        size_t ra = ea - p, rb = eb - p;
        if ((ra <= 1 && rb <= 1) ||
            (ra == 2 && rb == 2 && a[p] == b[p + 1] && a[p + 1] == b[p]))
            return 1;
        return 2;
    }
    int d = edit_distance(a, b, true);
    return d > max ? max + 1 : d;
}

/* --- words ----------------------------------------------------------------- */

typedef struct span {
    const char *p;
    size_t n;
} span;

#define MAX_TOKENS 32

/* Distinct words of s (split on spaces), at most MAX_TOKENS. */
static int tokens(const char *s, span *out)
{
    int n = 0;
    while (*s && n < MAX_TOKENS) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if (s == w)
            break;
        bool dup = false;
        for (int i = 0; i < n && !dup; i++)
            dup = out[i].n == (size_t)(s - w) && memcmp(out[i].p, w, out[i].n) == 0;
        if (!dup)
            out[n++] = (span){w, (size_t)(s - w)};
    }
    return n;
}

static int common_tokens(const span *x, int nx, const span *y, int ny)
{
    int c = 0;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++)
            if (x[i].n == y[j].n && memcmp(x[i].p, y[j].p, x[i].n) == 0) {
                c++;
                break;
            }
    return c;
}

double rv_match_token_set(const char *a, const char *b)
{
    span x[MAX_TOKENS], y[MAX_TOKENS];
    int nx = tokens(a, x), ny = tokens(b, y);
    if (nx == 0 && ny == 0)
        return 1.0;
    int c = common_tokens(x, nx, y, ny);
    return (double)c / (double)(nx + ny - c);
}

double rv_match_token_cover(const char *a, const char *b)
{
    span x[MAX_TOKENS], y[MAX_TOKENS];
    int nx = tokens(a, x), ny = tokens(b, y);
    if (nx == 0 || ny == 0)
        return nx == ny ? 1.0 : 0.0;
    int c = common_tokens(x, nx, y, ny);
    return (double)c / (double)(nx < ny ? nx : ny);
}

bool rv_match_initials(const char *a, const char *b)
{
    span x[MAX_TOKENS], y[MAX_TOKENS];
    int nx = tokens(a, x), ny = tokens(b, y);
    if (nx == 0 || nx != ny || strcmp(a, b) == 0)
        return false;
    bool abbreviated = false;
    for (int i = 0; i < nx; i++) {
        if (x[i].p[0] != y[i].p[0])
            return false;
        if (x[i].n == 1 || y[i].n == 1)
            abbreviated = true;
        else if (x[i].n != y[i].n || memcmp(x[i].p, y[i].p, x[i].n) != 0)
            return false;
    }
    return abbreviated;
}

bool rv_match_acronym(const char *a, const char *b)
{
    rv_buf acr = RV_BUF_INIT;
    rv_norm_acronym(&acr, a);
    bool hit = acr.len > 1 && strcmp(rv_buf_str(&acr), b) == 0;
    if (!hit) {
        rv_buf_reset(&acr);
        rv_norm_acronym(&acr, b);
        hit = acr.len > 1 && strcmp(rv_buf_str(&acr), a) == 0;
    }
    rv_buf_release(&acr);
    return hit;
}

/* --- Double Metaphone ------------------------------------------------------ */

/* The word upper-cased, letters only, followed by spaces so that looking
 * ahead past the end reads blanks, as in the reference implementation. */
typedef struct dm {
    char s[RV_MATCH_MAX + 8];
    int len, last;
    char p[8], a[8];
    int np, na;
    bool slavo;
} dm;

static char at(const dm *d, int i)
{
    return i >= 0 && i < d->len + 5 ? d->s[i] : '\0';
}

/* True when one of the NULL-terminated candidates (all of length n)
 * starts at position start. */
static bool str_at(const dm *d, int start, int n, ...)
{
    if (start < 0 || start + n > d->len + 5)
        return false;
    va_list ap;
    va_start(ap, n);
    bool hit = false;
    for (const char *c; !hit && (c = va_arg(ap, const char *));)
        hit = memcmp(d->s + start, c, (size_t)n) == 0;
    va_end(ap);
    return hit;
}
#define AT(d, start, n, ...) str_at(d, start, n, __VA_ARGS__, (const char *)NULL)

static bool vowel(const dm *d, int i)
{
    char c = at(d, i);
    return c && strchr("AEIOUY", c);
}

static void add2(dm *d, const char *p, const char *a)
{
    for (; *p && d->np < 4; p++)
        d->p[d->np++] = *p;
    for (; *a && d->na < 4; a++)
        d->a[d->na++] = *a;
}

static void add(dm *d, const char *p)
{
    add2(d, p, p);
}

/* Each letter's rule returns how many letters it consumed. */
static int dm_c(dm *d, int cur)
{
    if (cur > 1 && !vowel(d, cur - 2) && AT(d, cur - 1, 3, "ACH") && at(d, cur + 2) != 'I' &&
        (at(d, cur + 2) != 'E' || AT(d, cur - 2, 6, "BACHER", "MACHER"))) {
        add(d, "K");
        return 2;
    }
    if (cur == 0 && AT(d, cur, 6, "CAESAR")) {
        add(d, "S");
        return 2;
    }
    if (AT(d, cur, 4, "CHIA")) {
        add(d, "K");
        return 2;
    }
    if (AT(d, cur, 2, "CH")) {
        if (cur > 0 && AT(d, cur, 4, "CHAE")) {
            add2(d, "K", "X");
            return 2;
        }
        if (cur == 0 && (AT(d, cur + 1, 5, "HARAC", "HARIS") || AT(d, cur + 1, 3, "HOR", "HYM", "HIA", "HEM")) &&
            !AT(d, 0, 5, "CHORE")) {
            add(d, "K");
            return 2;
        }
        if (AT(d, 0, 4, "VAN ", "VON ") || AT(d, 0, 3, "SCH") ||
            AT(d, cur - 2, 6, "ORCHES", "ARCHIT", "ORCHID") || AT(d, cur + 2, 1, "T", "S") ||
            ((AT(d, cur - 1, 1, "A", "O", "U", "E") || cur == 0) &&
             AT(d, cur + 2, 1, "L", "R", "N", "M", "B", "H", "F", "V", "W", " "))) {
            add(d, "K");
        } else if (cur > 0) {
            if (AT(d, 0, 2, "MC"))
                add(d, "K");
            else
                add2(d, "X", "K");
        } else {
            add(d, "X");
        }
        return 2;
    }
    if (AT(d, cur, 2, "CZ") && !AT(d, cur - 2, 4, "WICZ")) {
        add2(d, "S", "X");
        return 2;
    }
    if (AT(d, cur + 1, 3, "CIA")) {
        add(d, "X");
        return 3;
    }
    if (AT(d, cur, 2, "CC") && !(cur == 1 && at(d, 0) == 'M')) {
        if (AT(d, cur + 2, 1, "I", "E", "H") && !AT(d, cur + 2, 2, "HU")) {
            if ((cur == 1 && at(d, cur - 1) == 'A') || AT(d, cur - 1, 5, "UCCEE", "UCCES"))
                add(d, "KS");
            else
                add(d, "X");
            return 3;
        }
        add(d, "K");
        return 2;
    }
    if (AT(d, cur, 2, "CK", "CG", "CQ")) {
        add(d, "K");
        return 2;
    }
    if (AT(d, cur, 2, "CI", "CE", "CY")) {
        if (AT(d, cur, 3, "CIO", "CIE", "CIA"))
            add2(d, "S", "X");
        else
            add(d, "S");
        return 2;
    }
    add(d, "K");
    if (AT(d, cur + 1, 2, " C", " Q", " G"))
        return 3;
    if (AT(d, cur + 1, 1, "C", "K", "Q") && !AT(d, cur + 1, 2, "CE", "CI"))
        return 2;
    return 1;
}

static int dm_g(dm *d, int cur)
{
    if (at(d, cur + 1) == 'H') {
        if (cur > 0 && !vowel(d, cur - 1)) {
            add(d, "K");
            return 2;
        }
        if (cur == 0) {
            add(d, at(d, cur + 2) == 'I' ? "J" : "K");
            return 2;
        }
        if ((cur > 1 && AT(d, cur - 2, 1, "B", "H", "D")) ||
            (cur > 2 && AT(d, cur - 3, 1, "B", "H", "D")) || (cur > 3 && AT(d, cur - 4, 1, "B", "H")))
            return 2;
        if (cur > 2 && at(d, cur - 1) == 'U' && AT(d, cur - 3, 1, "C", "G", "L", "R", "T"))
            add(d, "F");
        else if (cur > 0 && at(d, cur - 1) != 'I')
            add(d, "K");
        return 2;
    }
    if (at(d, cur + 1) == 'N') {
        if (cur == 1 && vowel(d, 0) && !d->slavo)
            add2(d, "KN", "N");
        else if (!AT(d, cur + 2, 2, "EY") && at(d, cur + 1) != 'Y' && !d->slavo)
            add2(d, "N", "KN");
        else
            add(d, "KN");
        return 2;
    }
    if (AT(d, cur + 1, 2, "LI") && !d->slavo) {
        add2(d, "KL", "L");
        return 2;
    }
    if (cur == 0 && (at(d, cur + 1) == 'Y' || AT(d, cur + 1, 2, "ES", "EP", "EB", "EL", "EY", "IB",
                                                 "IL", "IN", "IE", "EI", "ER"))) {
        add2(d, "K", "J");
        return 2;
    }
    if ((AT(d, cur + 1, 2, "ER") || at(d, cur + 1) == 'Y') &&
        !AT(d, 0, 6, "DANGER", "RANGER", "MANGER") && !AT(d, cur - 1, 1, "E", "I") &&
        !AT(d, cur - 1, 3, "RGY", "OGY")) {
        add2(d, "K", "J");
        return 2;
    }
    if (AT(d, cur + 1, 1, "E", "I", "Y") || AT(d, cur - 1, 4, "AGGI", "OGGI")) {
        if (AT(d, 0, 4, "VAN ", "VON ") || AT(d, 0, 3, "SCH") || AT(d, cur + 1, 2, "ET"))
            add(d, "K");
        else if (AT(d, cur + 1, 4, "IER "))
            add(d, "J");
        else
            add2(d, "J", "K");
        return 2;
    }
    add(d, "K");
    return at(d, cur + 1) == 'G' ? 2 : 1;
}

static int dm_j(dm *d, int cur)
{
    if (AT(d, cur, 4, "JOSE") || AT(d, 0, 4, "SAN ")) {
        if ((cur == 0 && at(d, cur + 4) == ' ') || AT(d, 0, 4, "SAN "))
            add(d, "H");
        else
            add2(d, "J", "H");
        return 1;
    }
    if (cur == 0)
        add2(d, "J", "A");
    else if (vowel(d, cur - 1) && !d->slavo && (at(d, cur + 1) == 'A' || at(d, cur + 1) == 'O'))
        add2(d, "J", "H");
    else if (cur == d->last)
        add2(d, "J", "");
    else if (!AT(d, cur + 1, 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
             !AT(d, cur - 1, 1, "S", "K", "L"))
        add(d, "J");
    return at(d, cur + 1) == 'J' ? 2 : 1;
}

static int dm_s(dm *d, int cur)
{
    if (AT(d, cur - 1, 3, "ISL", "YSL"))
        return 1;
    if (cur == 0 && AT(d, cur, 5, "SUGAR")) {
        add2(d, "X", "S");
        return 1;
    }
    if (AT(d, cur, 2, "SH")) {
        add(d, AT(d, cur + 1, 4, "HEIM", "HOEK", "HOLM", "HOLZ") ? "S" : "X");
        return 2;
    }
    if (AT(d, cur, 3, "SIO", "SIA") || AT(d, cur, 4, "SIAN")) {
        if (d->slavo)
            add(d, "S");
        else
            add2(d, "S", "X");
        return 3;
    }
    if ((cur == 0 && AT(d, cur + 1, 1, "M", "N", "L", "W")) || AT(d, cur + 1, 1, "Z")) {
        add2(d, "S", "X");
        return AT(d, cur + 1, 1, "Z") ? 2 : 1;
    }
    if (AT(d, cur, 2, "SC")) {
        if (at(d, cur + 2) == 'H') {
            if (AT(d, cur + 3, 2, "OO", "ER", "EN", "UY", "ED", "EM")) {
                if (AT(d, cur + 3, 2, "ER", "EN"))
                    add2(d, "X", "SK");
                else
                    add(d, "SK");
            } else if (cur == 0 && !vowel(d, 3) && at(d, 3) != 'W') {
                add2(d, "X", "S");
            } else {
                add(d, "X");
            }
            return 3;
        }
        add(d, AT(d, cur + 2, 1, "I", "E", "Y") ? "S" : "SK");
        return 3;
    }
    if (cur == d->last && AT(d, cur - 2, 2, "AI", "OI"))
        add2(d, "", "S");
    else
        add(d, "S");
    return AT(d, cur + 1, 1, "S", "Z") ? 2 : 1;
}

static int dm_t(dm *d, int cur)
{
    if (AT(d, cur, 4, "TION") || AT(d, cur, 3, "TIA", "TCH")) {
        add(d, "X");
        return 3;
    }
    if (AT(d, cur, 2, "TH") || AT(d, cur, 3, "TTH")) {
        if (AT(d, cur + 2, 2, "OM", "AM") || AT(d, 0, 4, "VAN ", "VON ") || AT(d, 0, 3, "SCH"))
            add(d, "T");
        else
            add2(d, "0", "T");
        return 2;
    }
    add(d, "T");
    return AT(d, cur + 1, 1, "T", "D") ? 2 : 1;
}

static int dm_w(dm *d, int cur)
{
    if (AT(d, cur, 2, "WR")) {
        add(d, "R");
        return 2;
    }
    if (cur == 0 && (vowel(d, cur + 1) || AT(d, cur, 2, "WH"))) {
        if (vowel(d, cur + 1))
            add2(d, "A", "F");
        else
            add(d, "A");
    }
    if ((cur == d->last && vowel(d, cur - 1)) ||
        AT(d, cur - 1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || AT(d, 0, 3, "SCH")) {
        add2(d, "", "F");
        return 1;
    }
    if (AT(d, cur, 4, "WICZ", "WITZ")) {
        add2(d, "TS", "FX");
        return 4;
    }
    return 1;
}

/* One letter's rule; returns the letters consumed. */
static int dm_step(dm *d, int cur)
{
    char c = d->s[cur], next = at(d, cur + 1);
    switch (c) {
    case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
        if (cur == 0)
            add(d, "A");
        return 1;
    case 'B':
        add(d, "P");
        return next == 'B' ? 2 : 1;
    case 'C':
        return dm_c(d, cur);
    case 'D':
        if (AT(d, cur, 2, "DG")) {
            if (AT(d, cur + 2, 1, "I", "E", "Y")) {
                add(d, "J");
                return 3;
            }
            add(d, "TK");
            return 2;
        }
        add(d, "T");
        return AT(d, cur, 2, "DT", "DD") ? 2 : 1;
    case 'F': case 'K': case 'N': case 'Q': case 'V':
        add(d, c == 'Q' ? "K" : c == 'V' ? "F" : (char[2]){c, 0});
        return next == c ? 2 : 1;
    case 'G':
        return dm_g(d, cur);
    case 'H':
        if ((cur == 0 || vowel(d, cur - 1)) && vowel(d, cur + 1)) {
            add(d, "H");
            return 2;
        }
        return 1;
    case 'J':
        return dm_j(d, cur);
    case 'L':
        if (next == 'L') {
            if ((cur == d->len - 3 && AT(d, cur - 1, 4, "ILLO", "ILLA", "ALLE")) ||
                ((AT(d, d->last - 1, 2, "AS", "OS") || AT(d, d->last, 1, "A", "O")) &&
                 AT(d, cur - 1, 4, "ALLE"))) {
                add2(d, "L", "");
                return 2;
            }
            add(d, "L");
            return 2;
        }
        add(d, "L");
        return 1;
    case 'M':
        add(d, "M");
        return (AT(d, cur - 1, 3, "UMB") && (cur + 1 == d->last || AT(d, cur + 2, 2, "ER"))) ||
                       next == 'M'
                   ? 2
                   : 1;
    case 'P':
        if (next == 'H') {
            add(d, "F");
            return 2;
        }
        add(d, "P");
        return AT(d, cur + 1, 1, "P", "B") ? 2 : 1;
    case 'R':
        if (cur == d->last && !d->slavo && AT(d, cur - 2, 2, "IE") && !AT(d, cur - 4, 2, "ME", "MA"))
            add2(d, "", "R");
        else
            add(d, "R");
        return next == 'R' ? 2 : 1;
    case 'S':
        return dm_s(d, cur);
    case 'T':
        return dm_t(d, cur);
    case 'W':
        return dm_w(d, cur);
    case 'X':
        if (!(cur == d->last && (AT(d, cur - 3, 3, "IAU", "EAU") || AT(d, cur - 2, 2, "AU", "OU"))))
            add(d, "KS");
        return AT(d, cur + 1, 1, "C", "X") ? 2 : 1;
    case 'Z':
        if (next == 'H') {
            add(d, "J");
            return 2;
        }
        if (AT(d, cur + 1, 2, "ZO", "ZI", "ZA") || (d->slavo && cur > 0 && at(d, cur - 1) != 'T'))
            add2(d, "S", "TS");
        else
            add(d, "S");
        return next == 'Z' ? 2 : 1;
    default:
        return 1;
    }
}

void rv_match_metaphone(const char *word, char primary[5], char alternate[5])
{
    dm d;
    memset(&d, 0, sizeof d);
    for (const char *w = word; *w && d.len < RV_MATCH_MAX; w++)
        if (isalpha((unsigned char)*w))
            d.s[d.len++] = (char)toupper((unsigned char)*w);
    memset(d.s + d.len, ' ', 5);
    d.last = d.len - 1;
    d.slavo = strchr(d.s, 'W') || strchr(d.s, 'K') || strstr(d.s, "CZ") || strstr(d.s, "WITZ");
    int cur = 0;
    if (AT(&d, 0, 2, "GN", "KN", "PN", "WR", "PS"))
        cur = 1;
    if (d.len && d.s[0] == 'X') {
        add(&d, "S");
        cur = 1;
    }
    while ((d.np < 4 || d.na < 4) && cur < d.len)
        cur += dm_step(&d, cur);
    memcpy(primary, d.p, (size_t)d.np);
    primary[d.np] = '\0';
    memcpy(alternate, d.a, (size_t)d.na);
    alternate[d.na] = '\0';
}

bool rv_match_phonetic(const char *a, const char *b)
{
    char pa[5], aa[5], pb[5], ab[5];
    rv_match_metaphone(a, pa, aa);
    rv_match_metaphone(b, pb, ab);
    if (!pa[0] || !pb[0])
        return false;
    return !strcmp(pa, pb) || !strcmp(pa, ab) || (aa[0] && (!strcmp(aa, pb) || !strcmp(aa, ab)));
}

/* --- numbers and dates ----------------------------------------------------- */

int rv_match_numeric(double a, double b, double abs_tol, double rel_tol)
{
    if (a == b)
        return 0;
    double d = fabs(a - b), m = fmax(fabs(a), fabs(b));
    return d <= abs_tol || d <= rel_tol * m ? 1 : 2;
}

/* "YYYYMMDD" or "YYYY-MM-DD" to 8 digits; false when not a date. */
static bool date_digits(const char *s, char out[9])
{
    int n = 0;
    for (; *s && n < 9; s++) {
        if (isdigit((unsigned char)*s))
            out[n++] = *s;
        else if (*s != '-')
            return false;
    }
    if (n != 8 || *s)
        return false;
    out[8] = '\0';
    int m = (out[4] - '0') * 10 + out[5] - '0', dd = (out[6] - '0') * 10 + out[7] - '0';
    return m >= 1 && m <= 12 && dd >= 1 && dd <= 31;
}

static long days_of(const char *d)
{
    int y = atoi((char[5]){d[0], d[1], d[2], d[3], 0});
    int m = (d[4] - '0') * 10 + d[5] - '0', dd = (d[6] - '0') * 10 + d[7] - '0';
    /* days from civil (Howard Hinnant's algorithm) */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int rv_match_date(const char *a, const char *b, int day_tol)
{
    char x[9], y[9];
    if (!date_digits(a, x) || !date_digits(b, y))
        return -1;
    if (!strcmp(x, y))
        return 0;
    bool swapped = !memcmp(x, y, 4) && !memcmp(x + 4, y + 6, 2) && !memcmp(x + 6, y + 4, 2);
    if (swapped || labs(days_of(x) - days_of(y)) <= day_tol)
        return 1;
    return rv_match_damerau_within(x, y, 1) <= 1 ? 2 : 3;
}
