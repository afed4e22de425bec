/*
 * num.h - canonical number text, as TOON §2 and JavaScript's
 * Number.prototype.toString write it (the reference TOON library and
 * JSON.stringify both use it):
 *
 *   shortest digits that round-trip the IEEE double; no exponent for
 *   1e-6 <= |n| < 1e21; "1e+21", "1.5e-7" outside; -0 -> 0;
 *   values that overflow a double -> null (JSON.parse gives Infinity,
 *   which JSON.stringify and TOON write as null).
 *
 * With exact=1 the input's own digits are kept (the spec's lossless
 * option), laid out the same way, for numbers a double cannot hold.
 */
#ifndef SDB_NUM_H
#define SDB_NUM_H

#include "util/buf.h"

#include <stddef.h>

/*
 * Appends the canonical form of the numeric literal tok[0..len) to out.
 * tok must match -?(0|[1-9]\d*|\d+)(\.\d+)?([eE][+-]?\d+)? (leading zeros
 * are tolerated: the caller decides what is a number).
 */
void sdb_num_canon(const char *tok, size_t len, int exact, struct sdb_buf *out);

/* Appends the canonical form of d (NaN and infinities -> "null"). */
void sdb_num_from_double(double d, struct sdb_buf *out);

/*
 * Whether p[0..n) is a number literal: -?D(\.\d+)?([eE][+-]?\d+)? where
 * D is 0|[1-9]\d* (JSON), or any \d+ with leading_zeros (the TOON
 * encoder's "numeric-like" test for strings that need quotes).
 */
int sdb_num_syntax(const char *p, size_t n, int leading_zeros);

/*
 * Whether p[0..n) is a plain number -?(0|[1-9]\d*)(\.\d+)? (no exponent,
 * always finite): 0 when not, 2 when it is already in canonical form (what
 * sdb_num_canon would copy as it is), 1 when it needs sdb_num_canon.
 */
int sdb_num_plain(const char *p, size_t n);

/* Parses the literal as a double (strtod semantics, correctly rounded)
 * into *v. @return 0 or SDB_ENOMEM (a long literal needs a copy). */
int sdb_num_value(const char *tok, size_t len, double *v);

#endif
