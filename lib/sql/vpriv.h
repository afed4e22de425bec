/*
 * vpriv.h - private to value.c, func.c, date.c, printf.c and json.c:
 * SQLite's number parsing and printing primitives and small helpers they
 * share. Nothing outside those files includes it.
 */
#ifndef SDB_SQL_VPRIV_H
#define SDB_SQL_VPRIV_H

#include <stddef.h>
#include <stdint.h>

#include "sql/value.h"

/* SQLite's white space for numbers: space, \t, \n, \v, \f, \r. */
static inline int sqlv_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * Text to double as sqlite3AtoF: leading/trailing white space, sign,
 * digits, '.', exponent. *out gets the value of the longest numeric
 * prefix (0.0 when none). @return 1 a complete integer-looking number,
 * 2 or 3 a complete number with '.' and/or exponent, -1 not complete but
 * a prefix with '.'/exponent, 0 not a number (or only an integer prefix).
 */
int sqlv_atof(const char *z, size_t n, double *out);

/*
 * Text to int64 as sqlite3Atoi64 (saturating). @return -1 no digits, 0
 * exact, 1 extra text after the integer, 2 too large, 3 exactly 2^63.
 */
int sqlv_atoi64(const char *z, size_t n, int64_t *out);

/* Double to int64, saturating, as SQLite's doubleToInt64. */
int64_t sqlv_dtoi(double r);

/* sqlite3RealSameAsInt. */
int sqlv_real_same_as_int(double r, int64_t i);

/* The bytes of v for string functions: TEXT/BLOB as is, numbers in
 * their text form in mem, NULL as (NULL, 0). @return 0 or SDB_ENOMEM. */
int sqlv_bytes(const struct sql_value *v, struct sdb_sql_arena *mem,
	       const char **z, size_t *n);

/* One UTF-8 character as SQLite reads it (sqlite3Utf8Read: lead byte,
 * any continuation bytes, surrogates and bad forms to U+FFFD); *pz
 * advances, never past end. @return the code point. */
uint32_t sqlv_utf8_read(const unsigned char **pz, const unsigned char *end);

/* Appends code point c as UTF-8 (SQLite's WRITE_UTF8). @return bytes. */
int sqlv_utf8_put(uint32_t c, char *out);

/* printf.c: SQLite's float conversion (etFLOAT/etEXP/etGENERIC with its
 * long double digit loop) of r into buf. conv 'f', 'e', 'E', 'g', 'G';
 * prec -1 for the default (6); width only for zero padding (the caller
 * pads with spaces). buf needs sqlv_float_need(prec, width) bytes.
 * @return the length written (NUL-terminated). */
struct sqlv_fflags {
	uint8_t alt, alt2, plus, space, zero, left, comma;
};
static inline size_t sqlv_float_need(int prec, int width)
{
	return 350 + (size_t)(prec < 0 ? 6 : prec) + (size_t)(width < 0 ? 0 : width) + 16;
}
size_t sqlv_float_conv(char *buf, double r, char conv, int prec, int width,
		       const struct sqlv_fflags *fl);

/* A copy of n bytes in mem (NUL-terminated). NULL when out of memory. */
char *sqlv_dup(struct sdb_sql_arena *mem, const char *z, size_t n);

#endif
