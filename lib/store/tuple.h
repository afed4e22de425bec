/*
 * tuple.h - the order-preserving codec for typed values: a sequence of
 * values (a composite key) encodes to bytes whose memcmp order (shorter
 * first on a tie, sdb_key_cmp) is the values' order, SQLite's: NULL <
 * numbers < TEXT < BLOB; INTEGER and REAL in one numeric order; TEXT and
 * BLOB bytewise (BINARY collation), a prefix first. Used for SQL row and
 * index keys and for the graph's ids and types.
 *
 * DESIGN. Each value is one self-delimiting element; a tuple is the
 * elements back to back, so a tuple that is a prefix of another sorts
 * first and the encoding of a leading part of a key is a seek prefix.
 *   NULL      0x05
 *   number    0x14 for zero (INTEGER 0, REAL 0.0 and -0.0 alike);
 *             0x18 E1 E0 F... for v > 0; 0x10 then the same bytes
 *             inverted (x ^ 0xff) for v < 0, where |v| = 1.f x 2^E:
 *             E + 1075 as 2 bytes big-endian (E in -1074..1024; 1024 is
 *             infinity), then the fraction bits f (at most 63: every
 *             int64 and every double is exact) 7 at a time from the top,
 *             each in bits 7..1 of a byte whose bit 0 says "another
 *             byte follows"; trailing zero groups dropped, at least one.
 *             So a number has one encoding whatever its type (3 and 3.0
 *             are the same bytes, as they are the same key to SQLite), and
 *             int64 values beyond 2^53 order exactly against doubles.
 *   TEXT      0x20, the bytes with 0x00 written 0x00 0xff, then 0x00 0x00
 *   BLOB      0x30, escaped and terminated as TEXT
 * A descending element is the same bytes inverted (x ^ 0xff), tag
 * included; elements are prefix-free, so inversion reverses their order.
 * NaN encodes as NULL (SQLite stores a NaN as NULL).
 * Because 3 and 3.0 encode alike, the key alone cannot say which type a
 * number had: decoding returns an integral value that fits int64 as
 * INTEGER and everything else as REAL, unless the caller passes the
 * real-bits that sdb_tuple_real_bits made at encoding time (kept beside
 * the key, e.g. in the row's value).
 */
#ifndef SDB_TUPLE_H
#define SDB_TUPLE_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

enum sdb_tv_type {
	SDB_TV_NULL = 0,
	SDB_TV_INT = 1,
	SDB_TV_REAL = 2,
	SDB_TV_TEXT = 3,
	SDB_TV_BLOB = 4,
};

/* A typed value; p/n for TEXT and BLOB (not owned). */
struct sdb_tv {
	int type; /* enum sdb_tv_type */
	int64_t i;
	double r;
	const void *p;
	size_t n;
};

/* Element tags (ascending). */
enum {
	SDB_TUPLE_NULL = 0x05,
	SDB_TUPLE_NEG = 0x10,
	SDB_TUPLE_ZERO = 0x14,
	SDB_TUPLE_POS = 0x18,
	SDB_TUPLE_TEXT = 0x20,
	SDB_TUPLE_BLOB = 0x30,
};

/*
 * The documented order of two values: NULL < numbers < TEXT < BLOB;
 * numbers by exact numeric value (INTEGER against REAL without rounding;
 * NaN is NULL; -0.0 == 0); TEXT and BLOB by memcmp, a prefix first.
 * @return <0, 0 or >0.
 */
int sdb_tv_cmp(const struct sdb_tv *a, const struct sdb_tv *b);

/* Appends the element of v (desc: inverted, for a descending column) to
 * b; allocation failure sets b's oom flag. */
void sdb_tuple_add(struct sdb_buf *b, const struct sdb_tv *v, int desc);
/* The ascending element of integer i written to out (room for
 * SDB_TUPLE_INT_MAX bytes), the bytes sdb_tuple_add writes. @return their
 * count. */
#define SDB_TUPLE_INT_MAX 12
size_t sdb_tuple_put_int(unsigned char *out, int64_t i);

/*
 * Appends the elements of v[0..n) to b; desc (NULL: all ascending) marks
 * the descending ones. @return 0 or SDB_ENOMEM.
 */
int sdb_tuple_encode(struct sdb_buf *b, const struct sdb_tv *v, size_t n,
		     const unsigned char *desc, struct sdb_error *e);

/* Length of the element at p[0..n) read with direction desc.
 * @return its length in bytes, or 0 when it is malformed or truncated. */
size_t sdb_tuple_skip(const unsigned char *p, size_t n, int desc);
/* sdb_tuple_skip of an ascending TEXT or BLOB element, inline (its end
 * is the first 0x00 not followed by the escape 0xff): a key's ids and
 * types are skipped without a call. */
static inline size_t sdb_tuple_skip_bytes(const unsigned char *p, size_t n)
{
	size_t i = 1;

	if (!n || (p[0] != SDB_TUPLE_TEXT && p[0] != SDB_TUPLE_BLOB))
		return 0;
	for (;;) {
		/* to the next 0x00 (the end, or an escape): 8 bytes a step where
		 * a word's zero byte can be told (the lowest flagged is exact) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		for (; i + 8 <= n; i += 8) {
			uint64_t v, z;
			memcpy(&v, p + i, 8);
			z = (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
			if (z) {
				i += (size_t)__builtin_ctzll(z) >> 3;
				break;
			}
		}
#endif
		while (i < n && p[i])
			i++;
		if (i + 1 >= n)
			return 0;
		if (p[i + 1] == 0x00)
			return i + 2;
		if (p[i + 1] != 0xff)
			return 0;
		i += 2;
	}
}

/*
 * Decodes the element at p[0..n) (desc as encoded) into *v; TEXT and BLOB
 * bytes are unescaped into tmp (appended; v->p points there, valid until
 * tmp changes). is_real: the number was REAL (from the real-bits), 0:
 * integral values that fit int64 come back as INTEGER.
 * @return the element's length (> 0), or SDB_ECORRUPT / SDB_ENOMEM.
 */
/* An ascending INTEGER element at p (a number that is an int64): its
 * value in *out. @return its length, or 0 when p holds anything else
 * (use sdb_tuple_decode1 then). */
long sdb_tuple_decode_int(const unsigned char *p, size_t n, int64_t *out);
/* The same for a descending (inverted) INTEGER element. */
long sdb_tuple_decode_int_desc(const unsigned char *p, size_t n, int64_t *out);
long sdb_tuple_decode1(const unsigned char *p, size_t n, int desc, int is_real,
		       struct sdb_tv *v, struct sdb_buf *tmp, struct sdb_error *e);

/*
 * Decodes a whole tuple p[0..n) into v[0..max): every element, desc and
 * real_bits (bitmaps by element index, bit i of byte i/8; NULL: none) as
 * encoded. TEXT/BLOB bytes go to tmp (reset first); v->p point into it.
 * @return the number of elements, or SDB_ECORRUPT (malformed, or more
 * than max elements) / SDB_ENOMEM.
 */
long sdb_tuple_decode(const unsigned char *p, size_t n,
		      const unsigned char *desc, const unsigned char *real_bits,
		      struct sdb_tv *v, size_t max, struct sdb_buf *tmp,
		      struct sdb_error *e);

/* Sets bit i of bits (ceil(n/8) bytes, cleared first) for every REAL
 * among v[0..n): what sdb_tuple_decode needs to give the types back. */
void sdb_tuple_real_bits(const struct sdb_tv *v, size_t n, unsigned char *bits);

#endif
