/*
 * model_infer.c - a model dataset from a table of strings (an exported
 * CSV): column types, the yes/no target, and the columns that must not be
 * features.
 *
 * Rules, in order, for each column other than the target and the excluded:
 *   empty        no non-blank value                          -> left out
 *   constant     one distinct value and no blank              -> left out
 *   numeric      every non-blank value is a decimal number (digits, one
 *                point, optional sign and exponent); blanks are missing,
 *                so a column with " " for a few rows stays numeric
 *   date         every non-blank value starts YYYY-MM-DD      -> days
 *   categorical  anything else
 *   ID-like      a numeric (integer) or categorical column whose value is
 *                different and non-blank in every row: a key that would
 *                only memorise rows                            -> left out
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/model_internal.h"

const char *rv_infer_kind_name(rv_infer_kind k)
{
    static const char *const names[] = {"numeric", "categorical", "date",  "target",
                                        "excluded", "id",         "constant", "empty"};
    return names[k];
}

/* Trimmed copy bounds of s: *len set, returns the start. */
static const char *trim(const char *s, size_t *len)
{
    if (!s) {
        *len = 0;
        return "";
    }
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    *len = n;
    return s;
}

static bool parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !strchr("+-.eE", s[i]))
            return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end || isinf(v) || isnan(v))
        return false;
    *out = v;
    return true;
}

static bool parse_date(const char *s, size_t n, double *days)
{
    if (n < 10 || s[4] != '-' || s[7] != '-' || (n > 10 && s[10] != ' ' && s[10] != 'T'))
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    long y = strtol(s, NULL, 10), m = strtol(s + 5, NULL, 10), d = strtol(s + 8, NULL, 10);
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    /* days-from-civil (H. Hinnant) */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = (double)(era * 146097 + doe - 719468);
    return true;
}

static const char *const yes_words[] = {"1", "yes", "y", "true", "t", NULL};
static const char *const no_words[] = {"0", "no", "n", "false", "f", NULL};

/* s is one of words, in any case. */
static bool is_word(const char *s, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (!strcasecmp(s, words[i]))
            return true;
    return false;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Trimmed values of column c over rows keep (NULL for blank), owned by the
 * caller (one block: the pointers, then the bytes). */
static char **column_values(int ncols, const char *const *cells, const size_t *keep, size_t n,
                            int c)
{
    size_t bytes = 0, len;
    for (size_t i = 0; i < n; i++) {
        trim(cells[keep[i] * (size_t)ncols + (size_t)c], &len);
        bytes += len + 1;
    }
    char **v = malloc(n * sizeof *v + bytes);
    if (!v)
        return NULL;
    char *p = (char *)(v + n);
    for (size_t i = 0; i < n; i++) {
        const char *s = trim(cells[keep[i] * (size_t)ncols + (size_t)c], &len);
        if (!len) {
            v[i] = NULL;
            continue;
        }
        memcpy(p, s, len);
        p[len] = 0;
        v[i] = p;
        p += len + 1;
    }
    return v;
}

/* Distinct non-blank values of v (sorted copy of pointers); returns count
 * and whether any was blank. */
static size_t distinct(char **v, size_t n, bool *blank, char ***sorted_out)
{
    char **s = malloc((n ? n : 1) * sizeof *s);
    size_t m = 0, u = 0;
    *blank = false;
    if (!s)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i])
            s[m++] = v[i];
        else
            *blank = true;
    }
    qsort(s, m, sizeof *s, cmp_cstr);
    for (size_t i = 0; i < m; i++)
        if (u == 0 || strcmp(s[i], s[u - 1]))
            s[u++] = s[i];
    *sorted_out = s;
    return u;
}

static rv_status infer_target(int ncols, const char *const *names, size_t nrows,
                              const char *const *cells, int tc, size_t **keep_out, size_t *nkeep,
                              int8_t **y_out, rv_infer_info *info, rv_err *err)
{
    size_t *all = malloc(nrows * sizeof *all);
    if (!all)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < nrows; i++)
        all[i] = i;
    char **v = column_values(ncols, cells, all, nrows, tc), **s = NULL;
    bool blank;
    size_t u = v ? distinct(v, nrows, &blank, &s) : 0;
    rv_status st = RV_OK;
    char q[3][80];
    const char *t = names[tc];
    if (!v || !s) {
        st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    } else if (u > 2) {
        st = rv_err_set(err, RV_EINVAL, t, "target '%s' has more than two values: '%s', '%s', '%s'%s",
                        t, rv_err_quote(q[0], 80, s[0], strlen(s[0])),
                        rv_err_quote(q[1], 80, s[1], strlen(s[1])),
                        rv_err_quote(q[2], 80, s[2], strlen(s[2])), u > 3 ? ", ..." : "");
    } else if (u < 2) {
        st = u ? rv_err_set(err, RV_EINVAL, t, "target '%s' has only one value '%s'", t,
                            rv_err_quote(q[0], 80, s[0], strlen(s[0])))
               : rv_err_set(err, RV_EINVAL, t, "target '%s' is empty in every row", t);
    } else {
        int pos = is_word(s[0], yes_words) && is_word(s[1], no_words)   ? 0
                  : is_word(s[1], yes_words) && is_word(s[0], no_words) ? 1
                                                                        : -1;
        if (pos < 0) {
            st = rv_err_set(err, RV_EINVAL, t, "target '%s' values '%s' and '%s' are not yes/no", t,
                            rv_err_quote(q[0], 80, s[0], strlen(s[0])),
                            rv_err_quote(q[1], 80, s[1], strlen(s[1])));
        } else {
            snprintf(info->positive, sizeof info->positive, "%s", s[pos]);
            snprintf(info->negative, sizeof info->negative, "%s", s[1 - pos]);
            int8_t *y = malloc(nrows);
            size_t k = 0;
            if (!y) {
                st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
            } else {
                for (size_t i = 0; i < nrows; i++) {
                    if (!v[i]) {
                        info->dropped_rows++;
                        continue;
                    }
                    y[k] = !strcmp(v[i], s[pos]);
                    info->npos += (size_t)y[k];
                    info->nneg += (size_t)!y[k];
                    all[k++] = i;
                }
                *y_out = y;
                *nkeep = k;
            }
        }
    }
    free(s);
    free(v);
    if (st) {
        free(all);
        return st;
    }
    *keep_out = all;
    return RV_OK;
}

/* Type one column and add it to d (unless it is left out). */
static rv_status add_inferred(rv_mdata *d, const char *name, char **v, size_t n,
                              rv_infer_kind *kind, rv_err *err)
{
    bool blank, num = true, date = true, integer = true;
    char **s = NULL;
    size_t u = distinct(v, n, &blank, &s);
    free(s);
    if (u == 0) {
        *kind = RV_INFER_EMPTY;
        return RV_OK;
    }
    if (u == 1 && !blank) {
        *kind = RV_INFER_CONSTANT;
        return RV_OK;
    }
    double *x = malloc(n * sizeof *x);
    if (!x)
        return rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n && num; i++) {
        x[i] = NAN;
        if (v[i] && !parse_number(v[i], strlen(v[i]), &x[i]))
            num = false;
        else if (v[i] && x[i] != floor(x[i]))
            integer = false;
    }
    for (size_t i = 0; i < n && !num && date; i++) {
        x[i] = NAN;
        if (v[i] && !parse_date(v[i], strlen(v[i]), &x[i]))
            date = false;
    }
    rv_status st = RV_OK;
    if (u == n && !blank && ((num && integer) || (!num && !date))) {
        *kind = RV_INFER_ID;
    } else if (num) {
        *kind = RV_INFER_NUMERIC;
        st = rv_mdata_add_numeric(d, name, x, err);
    } else if (date) {
        *kind = RV_INFER_DATE;
        st = rv_mdata_add_date(d, name, x, err);
    } else {
        *kind = RV_INFER_CATEGORICAL;
        st = rv_mdata_add_categorical(d, name, (const char *const *)v, err);
    }
    free(x);
    return st;
}

rv_status rv_mdata_infer(rv_mdata **out, int ncols, const char *const *names, size_t nrows,
                         const char *const *cells, const char *target, const char *const *exclude,
                         int nexclude, rv_infer_kind *kinds, rv_infer_info *info, rv_err *err)
{
    *out = NULL;
    memset(info, 0, sizeof *info);
    char q[80];
    int tc = -1;
    for (int c = 0; c < ncols; c++) {
        kinds[c] = RV_INFER_EMPTY;
        if (!strcmp(names[c], target))
            tc = c;
    }
    if (tc < 0)
        return rv_err_set(err, RV_EINVAL, "target", "unknown target column '%s'",
                          rv_err_quote(q, sizeof q, target, strlen(target)));
    kinds[tc] = RV_INFER_TARGET;
    for (int e = 0; e < nexclude; e++) {
        int found = -1;
        for (int c = 0; c < ncols && found < 0; c++)
            if (!strcmp(names[c], exclude[e]))
                found = c;
        if (found < 0)
            return rv_err_set(err, RV_EINVAL, "exclude", "unknown column '%s' in --exclude",
                              rv_err_quote(q, sizeof q, exclude[e], strlen(exclude[e])));
        if (found == tc)
            return rv_err_set(err, RV_EINVAL, "exclude", "--exclude names the target '%s'",
                              target);
        kinds[found] = RV_INFER_EXCLUDED;
    }
    size_t *keep = NULL, n = 0;
    int8_t *y = NULL;
    rv_status st = infer_target(ncols, names, nrows, cells, tc, &keep, &n, &y, info, err);
    if (st)
        return st;
    rv_mdata *d = NULL;
    if (n == 0)
        st = rv_err_set(err, RV_EINVAL, "rows", "no rows to learn from");
    else
        st = rv_mdata_new(&d, n, err);
    for (int c = 0; c < ncols && !st; c++) {
        if (kinds[c] == RV_INFER_TARGET || kinds[c] == RV_INFER_EXCLUDED)
            continue;
        char **v = column_values(ncols, cells, keep, n, c);
        if (!v) {
            st = rv_err_set(err, RV_ENOMEM, NULL, "out of memory");
            break;
        }
        st = add_inferred(d, names[c], v, n, &kinds[c], err);
        free(v);
    }
    if (!st && d->ncols == 0)
        st = rv_err_set(err, RV_EINVAL, "columns", "no feature column left to learn from");
    if (!st)
        st = rv_mdata_set_target(d, y, err);
    free(keep);
    free(y);
    if (st) {
        rv_mdata_free(d);
        return st;
    }
    *out = d;
    return RV_OK;
}
