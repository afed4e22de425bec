/*
 * tuple.c - the order-preserving codec for typed values. The byte layout
 * is in tuple.h and doc/FORMAT.md ("Tuples").
 */
#include "store/tuple.h"

#include <math.h>
#include <string.h>

#define EXP_BIAS 1075 /* E of the smallest subnormal (-1074) is 1 */
#define EXP_INF 1024

/* |v| = 1.f x 2^E with f left-aligned in 64 bits (bit 63 first). */
struct num {
	int neg, zero;
	int e;
	uint64_t f;
};

static void num_of_int(int64_t i, struct num *x)
{
	uint64_t m = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
	int top;

	x->neg = i < 0;
	x->zero = i == 0;
	if (!m)
		return;
	top = 63 - __builtin_clzll(m);
	x->e = top;
	x->f = top ? m << (64 - top) : 0;
}

/* d is not NaN. */
static void num_of_real(double d, struct num *x)
{
	int ex;
	double m;
	uint64_t mant;

	x->neg = d < 0;
	x->zero = d == 0;
	if (x->zero)
		return;
	if (isinf(d)) {
		x->e = EXP_INF;
		x->f = 0;
		return;
	}
	m = frexp(fabs(d), &ex);          /* m in [0.5, 1) */
	mant = (uint64_t)ldexp(m, 53);    /* 53 bits, top one set: exact */
	x->e = ex - 1;
	x->f = mant << 11 << 1;           /* drop the leading 1 */
}

static void add_num(struct sdb_buf *b, const struct num *x, unsigned char inv)
{
	unsigned char out[32]; /* 12 at most; room for sdb_buf_add's 8-byte moves */
	unsigned char flip;
	int n = 0, groups = 9;
	unsigned be = (unsigned)(x->e + EXP_BIAS);

	if (x->zero) {
		out[n++] = SDB_TUPLE_ZERO;
		goto done;
	}
	flip = x->neg ? 0xff : 0;
	out[n++] = x->neg ? SDB_TUPLE_NEG : SDB_TUPLE_POS;
	out[n++] = (unsigned char)(be >> 8) ^ flip;
	out[n++] = (unsigned char)be ^ flip;
	while (groups > 1 && !((x->f >> (64 - 7 * groups)) & 0x7f))
		groups--; /* trailing zero groups */
	for (int g = 1; g <= groups; g++) {
		unsigned char v = (unsigned char)(((x->f >> (64 - 7 * g)) & 0x7f) << 1);
		out[n++] = (unsigned char)(v | (g < groups)) ^ flip;
	}
done:
	for (int i = 0; i < n; i++)
		out[i] ^= inv;
	sdb_buf_add(b, out, (size_t)n);
}

/* add_num of an ascending integer, without the struct (keys of rows and
 * index entries are mostly integers): the same bytes, into out (room for
 * SDB_TUPLE_INT_MAX). @return their count. */
size_t sdb_tuple_put_int(unsigned char *out, int64_t i)
{
	uint64_t m = i < 0 ? 0 - (uint64_t)i : (uint64_t)i, f;
	unsigned char flip = i < 0 ? 0xff : 0;
	unsigned be;
	int top, groups, n = 3;

	if (!m) {
		out[0] = SDB_TUPLE_ZERO;
		return 1;
	}
	top = 63 - __builtin_clzll(m);
	f = top ? m << (64 - top) : 0;
	be = (unsigned)(top + EXP_BIAS);
	out[0] = i < 0 ? SDB_TUPLE_NEG : SDB_TUPLE_POS;
	out[1] = (unsigned char)(be >> 8) ^ flip;
	out[2] = (unsigned char)be ^ flip;
	/* the group holding f's lowest set bit is the last one (group g
	 * holds bits 64-7g .. 70-7g) */
	if (!f)
		groups = 1;
	else {
		groups = (70 - __builtin_ctzll(f)) / 7;
		if (groups > 9)
			groups = 9;
	}
	for (int g = 1; g <= groups; g++) {
		unsigned char v = (unsigned char)(((f >> (64 - 7 * g)) & 0x7f) << 1);
		out[n++] = (unsigned char)(v | (g < groups)) ^ flip;
	}
	return (size_t)n;
}

static void add_int(struct sdb_buf *b, int64_t i)
{
	unsigned char out[32]; /* at most 12 used; room for -O1 bounds analysis */

	sdb_buf_add(b, out, sdb_tuple_put_int(out, i));
}

static void add_bytes(struct sdb_buf *b, int tag, const unsigned char *p, size_t n,
		      unsigned char inv)
{
	size_t s = 0;

	sdb_buf_addc(b, (char)(tag ^ inv));
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i])
			continue;
		/* a run of non-zero bytes, then the escape or the end */
		if (!inv)
			sdb_buf_add(b, p + s, i - s);
		else
			for (size_t j = s; j < i; j++)
				sdb_buf_addc(b, (char)(p[j] ^ 0xff));
		sdb_buf_addc(b, (char)inv);
		sdb_buf_addc(b, (char)((i < n ? 0xff : 0x00) ^ inv));
		s = i + 1;
	}
}

void sdb_tuple_add(struct sdb_buf *b, const struct sdb_tv *v, int desc)
{
	unsigned char inv = desc ? 0xff : 0;
	struct num x = { 0 };

	switch (v->type) {
	case SDB_TV_INT:
		if (!inv) {
			add_int(b, v->i);
			return;
		}
		num_of_int(v->i, &x);
		add_num(b, &x, inv);
		return;
	case SDB_TV_REAL:
		if (!isnan(v->r)) {
			num_of_real(v->r, &x);
			add_num(b, &x, inv);
			return;
		}
		break; /* NaN is NULL */
	case SDB_TV_TEXT:
	case SDB_TV_BLOB:
		add_bytes(b, v->type == SDB_TV_TEXT ? SDB_TUPLE_TEXT : SDB_TUPLE_BLOB,
			  v->p, v->n, inv);
		return;
	}
	sdb_buf_addc(b, (char)(SDB_TUPLE_NULL ^ inv));
}

int sdb_tuple_encode(struct sdb_buf *b, const struct sdb_tv *v, size_t n,
		     const unsigned char *desc, struct sdb_error *e)
{
	for (size_t i = 0; i < n; i++)
		sdb_tuple_add(b, &v[i], desc ? desc[i] : 0);
	return sdb_buf_ok(b) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ decode */

/* Reads a number after its tag; @return its length or 0 (malformed). */
static size_t read_num(const unsigned char *p, size_t n, unsigned char inv,
		       struct num *x)
{
	unsigned char flip = x->neg ? 0xff : 0;
	unsigned be;
	size_t i = 3;
	int g = 0;

	if (n < 4)
		return 0;
	be = (unsigned)((p[1] ^ inv ^ flip) << 8 | (p[2] ^ inv ^ flip));
	if (be < 1 || be > EXP_INF + EXP_BIAS)
		return 0;
	x->e = (int)be - EXP_BIAS;
	x->f = 0;
	for (;;) {
		unsigned char c;
		if (i >= n || g == 9)
			return 0;
		c = p[i++] ^ inv ^ flip;
		x->f |= (uint64_t)(c >> 1) << (64 - 7 * ++g);
		if (!(c & 1)) {
			/* canonical: no trailing zero group (but one group) */
			if (g > 1 && !(c >> 1))
				return 0;
			break;
		}
	}
	if (x->e == EXP_INF && x->f)
		return 0;
	return i;
}

/* Length of an escaped byte string after its tag, and its unescaped size;
 * @return 0 when unterminated or badly escaped. */
static size_t read_bytes(const unsigned char *p, size_t n, unsigned char inv,
			 size_t *out)
{
	size_t m = 0;

	for (size_t i = 1; i < n; i++) {
		if ((p[i] ^ inv) != 0) {
			m++;
			continue;
		}
		if (i + 1 >= n)
			return 0;
		if ((p[i + 1] ^ inv) == 0x00) {
			*out = m;
			return i + 2;
		}
		if ((p[i + 1] ^ inv) != 0xff)
			return 0;
		m++;
		i++;
	}
	return 0;
}

size_t sdb_tuple_skip(const unsigned char *p, size_t n, int desc)
{
	unsigned char inv = desc ? 0xff : 0;
	struct num x = { 0 };
	size_t m;

	if (!n)
		return 0;
	switch (p[0] ^ inv) {
	case SDB_TUPLE_NULL:
	case SDB_TUPLE_ZERO:
		return 1;
	case SDB_TUPLE_NEG:
	case SDB_TUPLE_POS:
		x.neg = (p[0] ^ inv) == SDB_TUPLE_NEG;
		return read_num(p, n, inv, &x);
	case SDB_TUPLE_TEXT:
	case SDB_TUPLE_BLOB:
		if (!inv)
			return sdb_tuple_skip_bytes(p, n);
		return read_bytes(p, n, inv, &m);
	}
	return 0;
}

/* The value of a decoded number. */
static void num_value(const struct num *x, int is_real, struct sdb_tv *v)
{
	if (x->zero) {
		v->type = is_real ? SDB_TV_REAL : SDB_TV_INT;
		v->i = 0;
		v->r = 0;
		return;
	}
	if (!is_real && x->e >= 0 && x->e <= 63 &&
	    (x->e == 0 ? !x->f : !(x->f << x->e))) {
		uint64_t m = (1ull << x->e) | (x->e ? x->f >> (64 - x->e) : 0);
		if (x->neg ? m <= 1ull << 63 : m < 1ull << 63) {
			v->type = SDB_TV_INT;
			v->i = x->neg ? (int64_t)(0 - m) : (int64_t)m;
			return;
		}
	}
	v->type = SDB_TV_REAL;
	if (x->e == EXP_INF)
		v->r = INFINITY;
	else /* 1.f as a 64-bit integer scaled down; exact for any double */
		v->r = ldexp((double)((1ull << 63) | (x->f >> 1)), x->e - 63);
	if (x->neg)
		v->r = -v->r;
}

static inline long decode_int(const unsigned char *p, size_t n, unsigned char inv,
			      int64_t *out)
{
	unsigned char flip;
	uint64_t f = 0, m;
	size_t i = 3;
	int e, g = 0, neg;

	if (!n)
		return 0;
	if ((p[0] ^ inv) == SDB_TUPLE_ZERO) {
		*out = 0;
		return 1;
	}
	if ((p[0] ^ inv) != SDB_TUPLE_POS && (p[0] ^ inv) != SDB_TUPLE_NEG)
		return 0;
	/* read_num and num_value for an exponent an int64 can have */
	neg = (p[0] ^ inv) == SDB_TUPLE_NEG;
	flip = (neg ? 0xff : 0) ^ inv;
	if (n < 4)
		return 0;
	e = (int)((unsigned)((p[1] ^ flip) << 8 | (p[2] ^ flip))) - EXP_BIAS;
	if (e < 0 || e > 63)
		return 0;
	for (;;) {
		unsigned char c;
		if (i >= n || g == 9)
			return 0;
		c = p[i++] ^ flip;
		f |= (uint64_t)(c >> 1) << (64 - 7 * ++g);
		if (!(c & 1)) {
			if (g > 1 && !(c >> 1))
				return 0;
			break;
		}
	}
	if (e == 0 ? f != 0 : (f << e) != 0)
		return 0; /* a fraction: a REAL */
	m = (1ull << e) | (e ? f >> (64 - e) : 0);
	if (neg ? m > 1ull << 63 : m >= 1ull << 63)
		return 0;
	*out = neg ? (int64_t)(0 - m) : (int64_t)m;
	return (long)i;
}

long sdb_tuple_decode_int(const unsigned char *p, size_t n, int64_t *out)
{
	/* the common case (rowids, ids): a positive integer below 2^63, its
	 * 7-bit groups gathered as one integer; anything else as decode_int */
	if (n >= 4 && p[0] == SDB_TUPLE_POS) {
		int e = (int)((unsigned)(p[1] << 8 | p[2])) - EXP_BIAS, g = 0;
		uint64_t acc = 0;
		size_t i = 3;
		unsigned c;
		if (e < 0 || e > 62)
			return decode_int(p, n, 0, out);
		do {
			if (i >= n || g == 9)
				return 0;
			c = p[i++];
			acc = acc << 7 | (c >> 1);
			g++;
		} while (c & 1);
		if (g > 1 && !(c >> 1))
			return 0; /* a trailing zero group: not canonical */
		int fb = 7 * g;
		uint64_t lo;
		if (fb >= e) {
			if (acc & (((uint64_t)1 << (fb - e)) - 1))
				return 0; /* a fraction: a REAL */
			lo = acc >> (fb - e);
		} else
			lo = acc << (e - fb);
		*out = (int64_t)(((uint64_t)1 << e) | lo);
		return (long)i;
	}
	return decode_int(p, n, 0, out);
}

long sdb_tuple_decode_int_desc(const unsigned char *p, size_t n, int64_t *out)
{
	return decode_int(p, n, 0xff, out);
}

long sdb_tuple_decode1(const unsigned char *p, size_t n, int desc, int is_real,
		       struct sdb_tv *v, struct sdb_buf *tmp, struct sdb_error *e)
{
	unsigned char inv = desc ? 0xff : 0;
	struct num x = { 0 };
	size_t len, m;

	memset(v, 0, sizeof(*v));
	if (!n)
		goto bad;
	switch (p[0] ^ inv) {
	case SDB_TUPLE_NULL:
		v->type = SDB_TV_NULL;
		return 1;
	case SDB_TUPLE_ZERO:
		x.zero = 1;
		num_value(&x, is_real, v);
		return 1;
	case SDB_TUPLE_NEG:
	case SDB_TUPLE_POS:
		x.neg = (p[0] ^ inv) == SDB_TUPLE_NEG;
		if (!(len = read_num(p, n, inv, &x)))
			goto bad;
		num_value(&x, is_real, v);
		return (long)len;
	case SDB_TUPLE_TEXT:
	case SDB_TUPLE_BLOB: {
		size_t start = tmp->len;
		if (!(len = read_bytes(p, n, inv, &m)))
			goto bad;
		v->type = (p[0] ^ inv) == SDB_TUPLE_TEXT ? SDB_TV_TEXT : SDB_TV_BLOB;
		if (sdb_buf_grow(tmp, m))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		for (size_t i = 1; i + 2 < len; i++) {
			unsigned char c = p[i] ^ inv;
			tmp->data[tmp->len++] = (char)c;
			if (!c)
				i++; /* 0x00 0xff */
		}
		tmp->data[tmp->len] = 0;
		v->p = tmp->data + start;
		v->n = m;
		return (long)len;
	}
	}
bad:
	return sdb_error_set(e, SDB_ECORRUPT, "malformed tuple element");
}

#define BIT(bits, i) ((bits) && ((bits)[(i) / 8] >> ((i) % 8) & 1))

long sdb_tuple_decode(const unsigned char *p, size_t n,
		      const unsigned char *desc, const unsigned char *real_bits,
		      struct sdb_tv *v, size_t max, struct sdb_buf *tmp,
		      struct sdb_error *e)
{
	size_t off = 0, k = 0;

	sdb_buf_reset(tmp);
	while (off < n) {
		long len;
		if (k == max)
			return sdb_error_set(e, SDB_ECORRUPT, "tuple has more than %zu elements", max);
		len = sdb_tuple_decode1(p + off, n - off, desc ? desc[k] : 0,
					BIT(real_bits, k), &v[k], tmp, e);
		if (len < 0)
			return len;
		/* pointers into tmp as offsets until it stops growing */
		if (v[k].type == SDB_TV_TEXT || v[k].type == SDB_TV_BLOB)
			v[k].p = (const void *)(uintptr_t)((const char *)v[k].p - tmp->data);
		off += (size_t)len;
		k++;
	}
	for (size_t i = 0; i < k; i++)
		if (v[i].type == SDB_TV_TEXT || v[i].type == SDB_TV_BLOB)
			v[i].p = tmp->data + (uintptr_t)v[i].p;
	return (long)k;
}

void sdb_tuple_real_bits(const struct sdb_tv *v, size_t n, unsigned char *bits)
{
	memset(bits, 0, (n + 7) / 8);
	for (size_t i = 0; i < n; i++)
		if (v[i].type == SDB_TV_REAL)
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

/* ----------------------------------------------------------- compare */

static int rank(const struct sdb_tv *v)
{
	switch (v->type) {
	case SDB_TV_INT:
		return 1;
	case SDB_TV_REAL:
		return isnan(v->r) ? 0 : 1;
	case SDB_TV_TEXT:
		return 2;
	case SDB_TV_BLOB:
		return 3;
	}
	return 0;
}

/* INTEGER i against REAL d (not NaN), exactly. */
static int cmp_int_real(int64_t i, double d)
{
	double t;

	if (d < -9223372036854775808.0)
		return 1;
	if (d >= 9223372036854775808.0)
		return -1;
	t = trunc(d); /* |t| < 2^63: exact as an int64 */
	if (i != (int64_t)t)
		return i < (int64_t)t ? -1 : 1;
	return d > t ? -1 : d < t ? 1 : 0;
}

int sdb_tv_cmp(const struct sdb_tv *a, const struct sdb_tv *b)
{
	int ra = rank(a), rb = rank(b), c;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case 0:
		return 0;
	case 1:
		if (a->type == SDB_TV_INT && b->type == SDB_TV_INT)
			return a->i < b->i ? -1 : a->i > b->i;
		if (a->type == SDB_TV_REAL && b->type == SDB_TV_REAL)
			return a->r < b->r ? -1 : a->r > b->r;
		if (a->type == SDB_TV_INT)
			return cmp_int_real(a->i, b->r);
		return -cmp_int_real(b->i, a->r);
	}
	c = a->n && b->n ? memcmp(a->p, b->p, a->n < b->n ? a->n : b->n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return a->n < b->n ? -1 : a->n > b->n;
}
