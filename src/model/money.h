/*
 * money.h - money as integer minor units, dates as days, instants as ms.
 *
 * Money is an int64 count of the currency's minor unit (cents for USD, yen
 * for JPY, fils for KWD) plus an ISO-4217 code; no double ever holds money.
 * Text forms are plain decimals: "1234.56", "-0.05", "1000" (JPY).  Parsing
 * accepts at most the currency's number of decimals (extra trailing zeros
 * are fine: "12.500" is 1250 cents); anything else is an error that names
 * the field and quotes the value.
 *
 * Dates are days since 1970-01-01 (proleptic Gregorian, Howard Hinnant's
 * days_from_civil), instants are unix milliseconds UTC.
 */
#ifndef RV_MONEY_H
#define RV_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RV_MONEY_MAX_UNITS 999999999999999LL /* ~1e15 minor units; guards overflow in sums */

/* Number of decimals of an ISO-4217 code (2 when unknown but well-formed). */
int rv_currency_exponent(const char *code);
/* Three upper-case ASCII letters. */
bool rv_currency_is_valid(const char *code, size_t len);

/* Parse a decimal amount into minor units with `exp` decimals. */
rv_status rv_money_parse(const char *s, size_t len, int exp, int64_t *out, const char *field,
                         rv_err *err);
/* Write minor units as a decimal with exactly `exp` decimals; returns buf. */
char *rv_money_format(int64_t units, int exp, char *buf, size_t cap);

/* --- exchange rates ----------------------------------------------------------
 *
 * A rate says how many units of the display currency one unit of another
 * currency is worth ("1.0825": one EUR is 1.0825 USD).  It is kept exact,
 * as a scaled integer: rate x 10^9 (RV_RATE_SCALE), so at most 9 decimals,
 * and at most 1,000,000. */
#define RV_RATE_SCALE 1000000000LL
#define RV_RATE_MAX (1000000LL * RV_RATE_SCALE)

/* Parse a rate ("1.0825") into rate x 10^9.  Errors name the field and
 * quote the value: not a number, more than 9 decimals, 0 or less, above
 * 1,000,000. */
rv_status rv_rate_parse(const char *s, size_t len, int64_t *scaled, const char *field, rv_err *err);

/* Convert amount minor units of a currency with from_exp decimals into a
 * currency with to_exp decimals at rate (x 10^9):
 *
 *   out = amount x rate / 10^9 x 10^(to_exp - from_exp)
 *
 * computed exactly in 128 bits and rounded once, half to even, to whole
 * minor units.  False (out untouched) when the result is beyond
 * RV_MONEY_MAX_UNITS. */
bool rv_money_convert(int64_t amount, int from_exp, int to_exp, int64_t rate, int64_t *out);

/* Parse a plain integer (optional sign, digits, no spaces). */
rv_status rv_int_parse(const char *s, size_t len, int64_t *out, const char *field, rv_err *err);

/* Dates: "YYYY-MM-DD" (also the date part of a timestamp, and the US form
 * "M/D/YYYY" when us_ok).  Rejects impossible days (2017-02-30). */
rv_status rv_date_parse(const char *s, size_t len, int32_t *days, const char *field, rv_err *err);
char *rv_date_format(int32_t days, char *buf, size_t cap);
int32_t rv_days_from_civil(int y, unsigned m, unsigned d);
void rv_civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d);
bool rv_date_valid(int y, unsigned m, unsigned d);

/* Instants: "YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]", the same with a
 * space for T, or a bare date (midnight UTC), or an integer of unix ms. */
rv_status rv_ts_parse(const char *s, size_t len, int64_t *ms, const char *field, rv_err *err);
/* "2026-11-23T14:43:29.123Z" */
char *rv_ts_format(int64_t ms, char *buf, size_t cap);
/* Current time in unix ms (CLOCK_REALTIME), overridable for tests with
 * rv_now_set(). */
int64_t rv_now_ms(void);
void rv_now_set(int64_t ms); /* 0 restores the real clock */

#endif
