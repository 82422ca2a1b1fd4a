/*
 * money.c - exact decimal money, calendar dates and instants (see money.h).
 */
#include "model/money.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const zero_dec[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                                       "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF", NULL};
static const char *const three_dec[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", NULL};

bool rv_currency_is_valid(const char *code, size_t len)
{
    if (len != 3)
        return false;
    for (size_t i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return false;
    return true;
}

/* Is code one of list?  Codes are three letters: compared inline, since
 * every amount of every listed row asks. */
static bool code_in(const char *code, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (list[i][0] == code[0] && list[i][1] == code[1] && list[i][2] == code[2])
            return true;
    return false;
}

int rv_currency_exponent(const char *code)
{
    if (!code || !code[0] || !code[1] || !code[2] || code[3])
        return 2;
    return code_in(code, zero_dec) ? 0 : code_in(code, three_dec) ? 3 : 2;
}

rv_status rv_money_parse(const char *s, size_t len, int exp, int64_t *out, const char *field,
                         rv_err *err)
{
    char q[80];
    size_t i = 0;
    bool neg = false;
    int64_t v = 0;
    int digits = 0, decs = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (v > RV_MONEY_MAX_UNITS / 10)
            goto range;
        v = v * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (decs < exp) {
                if (v > RV_MONEY_MAX_UNITS / 10)
                    goto range;
                v = v * 10 + (s[i] - '0');
                decs++;
            } else if (s[i] != '0') {
                return rv_err_set(err, RV_EINVAL, field,
                                  "%s must have at most %d decimal places, got '%s'", field, exp,
                                  rv_err_quote(q, sizeof q, s, len));
            }
            digits++;
        }
    }
    if (i != len || digits == 0)
        return rv_err_set(err, RV_EINVAL, field, "%s must be a decimal amount, got '%s'", field,
                          rv_err_quote(q, sizeof q, s, len));
    for (; decs < exp; decs++) {
        if (v > RV_MONEY_MAX_UNITS / 10)
            goto range;
        v *= 10;
    }
    if (v > RV_MONEY_MAX_UNITS)
        goto range;
    *out = neg ? -v : v;
    return RV_OK;
range:
    return rv_err_set(err, RV_EINVAL, field, "%s is out of range, got '%s'", field,
                      rv_err_quote(q, sizeof q, s, len));
}

char *rv_money_format(int64_t units, int exp, char *buf, size_t cap)
{
    /* by hand, right to left: amounts are printed on every listed row */
    char tmp[48];
    char *p = tmp + sizeof tmp;
    *--p = '\0';
    uint64_t a = units < 0 ? (uint64_t)0 - (uint64_t)units : (uint64_t)units;
    for (int i = 0; i < exp; i++) {
        *--p = (char)('0' + a % 10);
        a /= 10;
    }
    if (exp > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    if (units < 0)
        *--p = '-';
    size_t n = (size_t)(tmp + sizeof tmp - p);
    if (n > cap) {
        if (cap)
            buf[0] = '\0';
        return buf;
    }
    memcpy(buf, p, n);
    return buf;
}

rv_status rv_int_parse(const char *s, size_t len, int64_t *out, const char *field, rv_err *err)
{
    char q[80];
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t start = i;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (uint64_t)INT64_MAX / 10)
            goto bad;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    /* "12.0" from spreadsheets is an integer too */
    if (i < len && s[i] == '.' && i > start) {
        size_t j = i + 1;
        while (j < len && s[j] == '0')
            j++;
        if (j == len)
            i = len;
    }
    if (i != len || i == start || v > (uint64_t)INT64_MAX)
        goto bad;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return RV_OK;
bad:
    return rv_err_set(err, RV_EINVAL, field, "%s must be an integer, got '%s'", field,
                      rv_err_quote(q, sizeof q, s, len));
}

int32_t rv_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void rv_civil_from_days(int32_t z0, int *y, unsigned *m, unsigned *d)
{
    int z = z0 + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int yy = (int)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

bool rv_date_valid(int y, unsigned m, unsigned d)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    unsigned lim = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        lim = 29;
    return d <= lim;
}

/* Read exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return true;
}

/* 1 or 2 digits */
static bool digits12(const char *s, size_t len, size_t *i, int *out)
{
    if (!digits(s, len, i, 1, out))
        return false;
    if (*i < len && s[*i] >= '0' && s[*i] <= '9')
        *out = *out * 10 + (s[(*i)++] - '0');
    return true;
}

/* Parses the date at the start of s; *i is left after it. 0 ok, 1 syntax,
 * 2 impossible day. */
static int date_prefix(const char *s, size_t len, size_t *i, int *y, int *m, int *d)
{
    size_t j = 0;
    if (digits(s, len, &j, 4, y) && j < len && s[j] == '-') {
        j++;
        if (!digits(s, len, &j, 2, m) || j >= len || s[j] != '-')
            return 1;
        j++;
        if (!digits(s, len, &j, 2, d))
            return 1;
    } else {
        /* US form M/D/YYYY, as spreadsheets re-save ISO dates */
        j = 0;
        if (!digits12(s, len, &j, m) || j >= len || s[j] != '/')
            return 1;
        j++;
        if (!digits12(s, len, &j, d) || j >= len || s[j] != '/')
            return 1;
        j++;
        if (!digits(s, len, &j, 4, y))
            return 1;
    }
    *i = j;
    return rv_date_valid(*y, (unsigned)*m, (unsigned)*d) ? 0 : 2;
}

rv_status rv_date_parse(const char *s, size_t len, int32_t *days, const char *field, rv_err *err)
{
    char q[80];
    int y, m, d;
    size_t i = 0;
    int r = date_prefix(s, len, &i, &y, &m, &d);
    if (r == 0 && i < len && (s[i] == 'T' || s[i] == ' ')) {
        int64_t ms;
        if (rv_ts_parse(s, len, &ms, field, err) != RV_OK)
            return err ? err->code : RV_EINVAL;
        *days = (int32_t)((ms >= 0 ? ms : ms - 86399999) / 86400000);
        return RV_OK;
    }
    if (r == 2)
        return rv_err_set(err, RV_EINVAL, field, "%s is not a real date, got '%s'", field,
                          rv_err_quote(q, sizeof q, s, len));
    if (r != 0 || i != len)
        return rv_err_set(err, RV_EINVAL, field, "%s must be a date YYYY-MM-DD, got '%s'", field,
                          rv_err_quote(q, sizeof q, s, len));
    *days = rv_days_from_civil(y, (unsigned)m, (unsigned)d);
    return RV_OK;
}

/* Write v as exactly n digits, zero-padded (v >= 0). */
static char *put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* Dates and instants are printed on every row of every list: formatted by
 * hand, without snprintf. */
char *rv_date_format(int32_t days, char *buf, size_t cap)
{
    int y;
    unsigned m, d;
    rv_civil_from_days(days, &y, &m, &d);
    if (cap < 11 || y < 0 || y > 9999) {
        snprintf(buf, cap, "%04d-%02u-%02u", y, m, d);
        return buf;
    }
    char *p = put_digits(buf, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p = '\0';
    return buf;
}

rv_status rv_ts_parse(const char *s, size_t len, int64_t *ms, const char *field, rv_err *err)
{
    char q[80];
    int y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0;
    size_t i = 0;
    bool all_digits = len > 0;
    for (size_t k = 0; k < len; k++)
        if (!((s[k] >= '0' && s[k] <= '9') || (k == 0 && s[k] == '-')))
            all_digits = false;
    if (all_digits && len > 8)
        return rv_int_parse(s, len, ms, field, err);
    int r = date_prefix(s, len, &i, &y, &mo, &d);
    if (r == 2)
        return rv_err_set(err, RV_EINVAL, field, "%s is not a real date, got '%s'", field,
                          rv_err_quote(q, sizeof q, s, len));
    if (r != 0)
        goto bad;
    int64_t off_min = 0;
    if (i < len && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        if (!digits(s, len, &i, 2, &hh) || i >= len || s[i] != ':')
            goto bad;
        i++;
        if (!digits(s, len, &i, 2, &mi))
            goto bad;
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &ss))
                goto bad;
            if (i < len && s[i] == '.') {
                i++;
                int n = 0, scale = 100;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    if (n < 3)
                        frac += (s[i] - '0') * scale;
                    scale /= 10;
                    n++;
                    i++;
                }
                if (n == 0)
                    goto bad;
            }
        }
        if (hh > 23 || mi > 59 || ss > 60)
            return rv_err_set(err, RV_EINVAL, field, "%s has an impossible time, got '%s'", field,
                              rv_err_quote(q, sizeof q, s, len));
        if (i < len && s[i] == 'Z') {
            i++;
        } else if (i < len && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
            i++;
            if (!digits(s, len, &i, 2, &oh))
                goto bad;
            if (i < len && s[i] == ':')
                i++;
            if (i < len && !digits(s, len, &i, 2, &om))
                goto bad;
            off_min = sign * (oh * 60 + om);
        }
    }
    if (i != len)
        goto bad;
    int64_t days = rv_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 86400 + hh * 3600 + mi * 60 + ss) - off_min * 60) * 1000 + frac;
    return RV_OK;
bad:
    return rv_err_set(err, RV_EINVAL, field,
                      "%s must be a timestamp YYYY-MM-DDTHH:MM:SSZ, got '%s'", field,
                      rv_err_quote(q, sizeof q, s, len));
}

char *rv_ts_format(int64_t ms, char *buf, size_t cap)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msr = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    int y;
    unsigned m, d;
    rv_civil_from_days((int32_t)days, &y, &m, &d);
    if (cap >= 25 && y >= 0 && y <= 9999) {
        char *p = put_digits(buf, (unsigned)y, 4);
        *p++ = '-';
        p = put_digits(p, m, 2);
        *p++ = '-';
        p = put_digits(p, d, 2);
        *p++ = 'T';
        p = put_digits(p, (unsigned)(sod / 3600), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(sod % 60), 2);
        *p++ = '.';
        p = put_digits(p, (unsigned)msr, 3);
        *p++ = 'Z';
        *p = '\0';
        return buf;
    }
    snprintf(buf, cap, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60), msr);
    return buf;
}

static int64_t fixed_now;

void rv_now_set(int64_t ms) { fixed_now = ms; }

int64_t rv_now_ms(void)
{
    if (fixed_now)
        return fixed_now;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
