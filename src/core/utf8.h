/*
 * utf8.h - UTF-8 validation (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF).  One definition for request bodies, record
 * fields and anything else that must refuse bad text.
 */
#ifndef RV_UTF8_H
#define RV_UTF8_H

#include <stddef.h>

/* Offset of the first byte that does not start a valid UTF-8 sequence, or
 * len when all of p is valid.  NUL bytes count as valid here. */
size_t rv_utf8_bad_at(const void *p, size_t len);

#endif
