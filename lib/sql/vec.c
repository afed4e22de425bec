/*
 * vec.c - vectors in SQL (see vec.h): the literal parser, the VECTOR(D)
 * column check, and the functions vector, vec_dims, vec_distance_l2,
 * vec_distance_cosine, vec_distance_ip, vec_normalize, vec_to_json.
 *
 * Arguments of the functions are vectors given as a float32 blob or as
 * JSON array text; NULL gives NULL. Every bad argument is a one-line
 * error naming the function and the argument.
 */
#include "sql/vec.h"

#include "vec/distance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ literals */

static int js_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int malformed(struct sdb_error *e, const char *z, const char *at,
		     const char *end, const char *what)
{
	if (at >= end)
		return sdb_error_set(e, SDB_EPARSE,
				     "malformed vector literal: expected %s at its end", what);
	return sdb_error_set(e, SDB_EPARSE,
			     "malformed vector literal at offset %zu: expected %s",
			     (size_t)(at - z), what);
}

/* Whether the 8 bytes of x are all ASCII digits. */
static int eight_digits(uint64_t x)
{
	return ((x & 0xF0F0F0F0F0F0F0F0ull) |
		(((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) ==
	       0x3333333333333333ull;
}

/* The value of 8 ASCII digits (little-endian load, first digit lowest). */
static uint32_t eight_value(uint64_t x)
{
	x -= 0x3030303030303030ull;
	x = x * 10 + (x >> 8);
	x = (((x & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
	     (((x >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
	return (uint32_t)x;
}

/*
 * The digits at *pp (before end) appended to *m, eight at a time while
 * they last; *big is set once *m could overflow (the value is then left
 * to strtof). @return the number of digits (*pp moves past them).
 */
static inline __attribute__((always_inline)) size_t
scan_digits(const char **pp, const char *end, uint64_t *m, int *big)
{
	const char *p = *pp, *p0 = p;
	uint64_t v = *m;

	while (end - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		if (!eight_digits(x))
			break;
		if (v > 184467440737ull) /* * 10^8 + 10^8 stays below 2^64 */
			*big = 1;
		else
			v = v * 100000000u + eight_value(x);
		p += 8;
	}
	for (; p < end && digit(*p); p++) {
		if (v > 1844674407370955160ull)
			*big = 1;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	*m = v;
	*pp = p;
	return (size_t)(p - p0);
}

/* parse_number's element p0..p through strtof. */
static __attribute__((noinline)) int parse_slow(const char *p0, const char *p, float *out,
						  uint32_t el, struct sdb_error *e)
{
	char num[400];
	size_t len = (size_t)(p - p0);
	if (len >= sizeof(num))
		return sdb_error_set(e, SDB_EPARSE, "vector element %u has more than %zu characters",
				     el + 1, sizeof(num) - 1);
	memcpy(num, p0, len);
	num[len] = 0;
	*out = strtof(num, NULL);
	if (!isfinite(*out))
		return sdb_error_set(e, SDB_EPARSE, "vector element %u (%s) is out of float32 range",
				     el + 1, num);
	return 0;
}

/*
 * One JSON number at *pp as the nearest float, its syntax checked in the
 * same pass: @return 0 and *out (*pp past it), 1 when p holds no number,
 * or SDB_EPARSE when it is out of float32 range (message set, element
 * index el). The common case needs no strtof: a mantissa below 2^53 and
 * a decimal exponent within 22 make one exact double operation
 * (Clinger's fast path, correctly rounded), and rounding that double to
 * float is the correct rounding unless it lies exactly halfway between
 * two floats or below the normal range; everything else (and those) goes
 * to strtof, locale-independent here as JSON has no other decimal point.
 */
static inline __attribute__((always_inline)) int
parse_number(const char **pp, const char *end, float *out, uint32_t el, struct sdb_error *e)
{
	static const double p10[23] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
					 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
					 1e20, 1e21, 1e22 };
	const char *p = *pp, *p0 = p;
	uint64_t m = 0;
	int neg = 0, big = 0, ex = 0;

	if (p < end && *p == '-')
		neg = 1, p++;
	if (p >= end || !digit(*p))
		return 1;
	if (*p == '0')
		p++;
	else
		scan_digits(&p, end, &m, &big);
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !digit(*p))
			return 1;
		ex = -(int)scan_digits(&p, end, &m, &big);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		int es = 1, ev = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			es = *p++ == '-' ? -1 : 1;
		if (p >= end || !digit(*p))
			return 1;
		for (; p < end && digit(*p); p++)
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
		ex += es * ev;
	}
	*pp = p;
	if (!big && m <= (1ull << 53)) {
		double d = (double)m;
		if (!m) {
			*out = neg ? -0.0f : 0.0f;
			return 0;
		}
		if (ex >= -22 && ex <= 22) {
			d = ex < 0 ? d / p10[-ex] : d * p10[ex];
			uint64_t bits;
			memcpy(&bits, &d, sizeof bits);
			if (d >= 1.1754943508222875e-38 && d <= 3.4028234663852886e38 &&
			    (bits & ((1ull << 29) - 1)) != 1ull << 28) {
				*out = (float)(neg ? -d : d);
				return 0;
			}
		}
	}
	return parse_slow(p0, p, out, el, e);
}

int sql_vec_parse(const char *z, size_t n, struct sdb_buf *out, uint32_t *dim,
		  struct sdb_error *e)
{
	const char *p = z, *end = z + n;
	uint32_t d = 0;

	*dim = 0;
	while (p < end && js_space(*p))
		p++;
	if (p >= end || *p != '[')
		return malformed(e, z, p, end, "'['");
	p++;
	while (p < end && js_space(*p))
		p++;
	if (p < end && *p == ']')
		return sdb_error_set(e, SDB_EPARSE, "vector has no elements");
	/* room for the elements a literal of n bytes can hold ("0," each) */
	size_t room = n / 2 + 1 < SQL_VEC_MAX_DIM ? n / 2 + 1 : SQL_VEC_MAX_DIM;
	size_t base = out->len;
	if (sdb_buf_grow(out, room * sizeof(float)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	for (;;) {
		while (p < end && js_space(*p))
			p++;
		float f;
		const char *at = p;
		int rc = parse_number(&p, end, &f, d, e);
		if (rc == 1)
			return malformed(e, z, at, end, "a number");
		if (rc)
			return rc;
		if (d == SQL_VEC_MAX_DIM)
			return sdb_error_set(e, SDB_ELIMIT, "vector has more than %d elements",
					     SQL_VEC_MAX_DIM);
		memcpy(out->data + base + (size_t)d * sizeof f, &f, sizeof f);
		d++;
		while (p < end && js_space(*p))
			p++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']')
			break;
		return malformed(e, z, p, end, "',' or ']'");
	}
	out->len = base + (size_t)d * sizeof(float);
	p++;
	while (p < end && js_space(*p))
		p++;
	if (p < end)
		return malformed(e, z, p, end, "nothing after ']'");
	*dim = d;
	return 0;
}

/*
 * The last two texts parsed (a k-NN statement parses the same query text
 * in its plan and in every row's distance): per thread, slot 0 or 1 (an
 * argument position), looked up in both.
 */
static __thread struct vcache {
	char *z;
	size_t n;
	float *f;
	uint32_t d;
} vcache[2];

int sql_vec_parse_cached(const char *z, size_t n, int slot, const float **f, uint32_t *dim,
			 struct sdb_error *e)
{
	struct sdb_buf b = SDB_BUF_INIT;
	int rc;

	for (int i = 0; i < 2; i++)
		if (vcache[i].z && vcache[i].n == n && !memcmp(vcache[i].z, z, n)) {
			*f = vcache[i].f;
			*dim = vcache[i].d;
			return 0;
		}
	if ((rc = sql_vec_parse(z, n, &b, dim, e))) {
		sdb_buf_release(&b);
		return rc;
	}
	char *cz = malloc(n ? n : 1);
	if (!cz) {
		sdb_buf_release(&b);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	memcpy(cz, z, n);
	struct vcache *c = &vcache[slot & 1];
	free(c->z);
	free(c->f);
	c->z = cz;
	c->n = n;
	c->f = (float *)(void *)b.data; /* the buffer's bytes, kept */
	c->d = *dim;
	*f = c->f;
	return 0;
}

/* ------------------------------------------------------------ VECTOR(D) */

int sql_vec_decl(const char *decl, const char *col, uint32_t *dim,
		 struct sdb_error *e)
{
	const char *p = decl;
	*dim = 0;
	if (!p)
		return 0;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "vector", 6))
		return 0;
	p += 6;
	while (*p == ' ')
		p++;
	if (*p && *p != '(')
		return 0; /* another name: VECTORS, VECTOR_X ... */
	if (*p == '(') {
		p++;
		while (*p == ' ')
			p++;
		unsigned long d = 0;
		int nd = 0;
		while (digit(*p) && nd < 8) {
			d = d * 10 + (unsigned long)(*p++ - '0');
			nd++;
		}
		while (*p == ' ')
			p++;
		if (nd && !digit(*p) && *p == ')' && d >= 1 && d <= SQL_VEC_MAX_DIM) {
			p++;
			while (*p == ' ')
				p++;
			if (!*p) {
				*dim = (uint32_t)d;
				return 0;
			}
		}
	}
	return sdb_error_set(e, SDB_EINVAL,
			     "column %s: VECTOR needs a dimension from 1 to %d, as VECTOR(384)",
			     col, SQL_VEC_MAX_DIM);
}

static const char *type_words(int t)
{
	static const char *w[] = { "NULL", "an integer", "a real", "text", "a blob" };
	return t >= 0 && t <= 4 ? w[t] : "a value";
}

/* Checks n floats at p (possibly unaligned) are finite. @return the
 * 1-based index of the first that is not, or 0. */
static uint32_t first_bad(const char *p, uint32_t n, int *is_nan)
{
	/* the common case in one pass the compiler vectorises: no value
	 * has the all-ones exponent of NaN and infinity */
	uint32_t any = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t w;
		memcpy(&w, p + 4 * (size_t)i, 4);
		any |= (w & 0x7f800000u) == 0x7f800000u;
	}
	if (!any)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		float f;
		memcpy(&f, p + 4 * (size_t)i, 4);
		if (!isfinite(f)) {
			*is_nan = isnan(f);
			return i + 1;
		}
	}
	return 0;
}

int sql_vec_store(const char *tab, const char *col, uint32_t dim,
		  struct sql_value *v, struct sdb_sql_arena *mem,
		  struct sdb_error *e)
{
	int nan = 0;
	uint32_t bad;

	switch (v->type) {
	case SQLV_NULL:
		return 0;
	case SQLV_BLOB:
		if (v->n != 4 * (size_t)dim) {
			if (v->n % 4)
				return sdb_error_set(e, SDB_EINVAL,
						     "%s.%s is VECTOR(%u): got a blob of %u bytes, not float32 values",
						     tab, col, dim, v->n);
			return sdb_error_set(e, SDB_EINVAL, "%s.%s is VECTOR(%u): got %u dimensions",
					     tab, col, dim, v->n / 4);
		}
		if ((bad = first_bad(v->u.z, dim, &nan)))
			return sdb_error_set(e, SDB_EINVAL, "%s.%s: vector element %u is %s",
					     tab, col, bad, nan ? "NaN" : "infinite");
		return 0;
	case SQLV_TEXT: {
		struct sdb_buf b = SDB_BUF_INIT;
		uint32_t d;
		struct sdb_error pe;
		int rc = sql_vec_parse(v->u.z, v->n, &b, &d, &pe);
		if (rc) {
			sdb_buf_release(&b);
			if (rc == SDB_ENOMEM)
				return sdb_error_set(e, rc, "out of memory");
			return sdb_error_set(e, rc, "%s.%s: %s", tab, col, pe.msg);
		}
		if (d != dim) {
			sdb_buf_release(&b);
			return sdb_error_set(e, SDB_EINVAL, "%s.%s is VECTOR(%u): got %u dimensions",
					     tab, col, dim, d);
		}
		char *z = sdb_sql_arena_alloc(mem, b.len);
		if (!z) {
			sdb_buf_release(&b);
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		memcpy(z, b.data, b.len);
		*v = sql_blob(z, b.len);
		sdb_buf_release(&b);
		return 0;
	}
	default:
		return sdb_error_set(e, SDB_EINVAL, "%s.%s is VECTOR(%u): got %s, not a vector",
				     tab, col, dim, type_words(v->type));
	}
}

/* ------------------------------------------------------------ functions */

#define ARGS struct sql_fctx *c, int argc, const struct sql_value *argv, \
	struct sql_value *out

/* Argument i of function fn as floats (aligned, in c->mem when copied).
 * @return 1 it is a vector (*p, *dim), 0 it is NULL, or an error. */
static int vec_arg(struct sql_fctx *c, const char *fn, int i,
		   const struct sql_value *v, const float **p, uint32_t *dim)
{
	int nan = 0;
	uint32_t bad;

	switch (v->type) {
	case SQLV_NULL:
		return 0;
	case SQLV_BLOB: {
		if (v->n == 0 || v->n % 4)
			return sdb_error_set(c->e, SDB_EINVAL,
					     "%s: argument %d is a blob of %u bytes, not float32 values",
					     fn, i + 1, v->n);
		if (v->n / 4 > SQL_VEC_MAX_DIM)
			return sdb_error_set(c->e, SDB_ELIMIT,
					     "%s: argument %d has more than %d elements",
					     fn, i + 1, SQL_VEC_MAX_DIM);
		*dim = v->n / 4;
		if (((uintptr_t)v->u.z & 3) == 0) {
			*p = (const float *)(const void *)v->u.z;
		} else {
			float *f = sdb_sql_arena_alloc(c->mem, v->n);
			if (!f)
				return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
			memcpy(f, v->u.z, v->n);
			*p = f;
		}
		/* finite values have a finite sum of squares (one SIMD pass);
		 * only a NaN, an infinity or an overflow of the sum looks closer */
		if (!isfinite(sdb_vec_kernels()->dot(*p, *p, *dim)) &&
		    (bad = first_bad(v->u.z, *dim, &nan)))
			return sdb_error_set(c->e, SDB_EINVAL, "%s: argument %d element %u is %s",
					     fn, i + 1, bad, nan ? "NaN" : "infinite");
		return 1;
	}
	case SQLV_TEXT: {
		struct sdb_error pe;
		const float *cf;
		int rc = sql_vec_parse_cached(v->u.z, v->n, i & 1, &cf, dim, &pe);
		if (rc) {
			if (rc == SDB_ENOMEM)
				return sdb_error_set(c->e, rc, "out of memory");
			return sdb_error_set(c->e, rc, "%s: argument %d: %s", fn, i + 1, pe.msg);
		}
		/* in the arena: the cache's copy goes with the next text */
		float *f = sdb_sql_arena_alloc(c->mem, (size_t)*dim * sizeof(float));
		if (!f)
			return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
		memcpy(f, cf, (size_t)*dim * sizeof(float));
		*p = f;
		return 1;
	}
	default:
		return sdb_error_set(c->e, SDB_EINVAL, "%s: argument %d is %s, not a vector",
				     fn, i + 1, type_words(v->type));
	}
}

static int vec_out(struct sql_fctx *c, const float *p, uint32_t dim,
		   struct sql_value *out)
{
	char *z = sdb_sql_arena_alloc(c->mem, 4 * (size_t)dim);
	if (!z)
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	memcpy(z, p, 4 * (size_t)dim);
	*out = sql_blob(z, 4 * (size_t)dim);
	return 0;
}

/* The one vector argument of fn: 1 a vector, 0 NULL (*out NULL), or an
 * error. */
static int arg1(struct sql_fctx *c, const char *fn, const struct sql_value *argv,
		const float **p, uint32_t *d, struct sql_value *out)
{
	int rc = vec_arg(c, fn, 0, &argv[0], p, d);
	if (rc <= 0)
		*out = sql_null();
	return rc;
}

static int f_vector(ARGS)
{
	const float *p;
	uint32_t d;
	int rc = arg1(c, "vector", argv, &p, &d, out);
	if (rc <= 0)
		return rc;
	if (argv[0].type == SQLV_BLOB) {
		*out = argv[0];
		return 0;
	}
	return vec_out(c, p, d, out);
}

static int f_vec_dims(ARGS)
{
	const float *p;
	uint32_t d;
	int rc = arg1(c, "vec_dims", argv, &p, &d, out);
	if (rc == 1)
		*out = sql_int(d);
	return rc < 0 ? rc : 0;
}

static int f_vec_normalize(ARGS)
{
	const float *p;
	uint32_t d;
	int rc = arg1(c, "vec_normalize", argv, &p, &d, out);
	if (rc <= 0)
		return rc;
	float *f = sdb_sql_arena_alloc(c->mem, 4 * (size_t)d);
	if (!f)
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	memcpy(f, p, 4 * (size_t)d);
	sdb_vec_normalize(f, d);
	*out = sql_blob(f, 4 * (size_t)d);
	return 0;
}

/* The shortest %g text that reads back as the same float32. */
static int float_text(float f, char *buf, size_t cap)
{
	int n = 0;
	for (int prec = 1; prec <= 9; prec++) {
		n = snprintf(buf, cap, "%.*g", prec, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	return n;
}

static int f_vec_to_json(ARGS)
{
	const float *p;
	uint32_t d;
	int rc = arg1(c, "vec_to_json", argv, &p, &d, out);
	if (rc <= 0)
		return rc;
	struct sdb_buf b = SDB_BUF_INIT;
	char num[40];
	sdb_buf_addc(&b, '[');
	for (uint32_t i = 0; i < d; i++) {
		if (i)
			sdb_buf_addc(&b, ',');
		int n = float_text(p[i], num, sizeof num);
		/* JSON has no "-0" issue, but %g may print "1e+20": valid JSON */
		sdb_buf_add(&b, num, (size_t)n);
	}
	sdb_buf_addc(&b, ']');
	char *z = sdb_buf_ok(&b) ? sdb_sql_arena_alloc(c->mem, b.len) : NULL;
	if (!z) {
		sdb_buf_release(&b);
		return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
	}
	memcpy(z, b.data, b.len);
	*out = sql_text(z, b.len);
	sdb_buf_release(&b);
	return 0;
}

static int distance(struct sql_fctx *c, const char *fn, int metric,
		    const struct sql_value *argv, struct sql_value *out)
{
	const float *a, *b;
	uint32_t da, db;
	int ra, rb;
	*out = sql_null();
	if ((ra = vec_arg(c, fn, 0, &argv[0], &a, &da)) < 0)
		return ra;
	if ((rb = vec_arg(c, fn, 1, &argv[1], &b, &db)) < 0)
		return rb;
	if (!ra || !rb)
		return 0;
	if (da != db)
		return sdb_error_set(c->e, SDB_EINVAL,
				     "%s: vectors of different dimensions (%u and %u)", fn, da, db);
	const struct sdb_vec_kernels *k = sdb_vec_kernels();
	double r;
	switch (metric) {
	case SDB_VEC_L2:
		r = k->l2sq(a, b, da);
		break;
	case SDB_VEC_IP:
		r = 1.0 - (double)k->dot(a, b, da);
		break;
	default: {
		double na = k->dot(a, a, da), nb = k->dot(b, b, da);
		if (na == 0 || nb == 0)
			r = 1.0;
		else
			r = 1.0 - (double)k->dot(a, b, da) / sqrt(na * nb);
		break;
	}
	}
	*out = sql_real(r);
	return 0;
}

static int f_l2(ARGS)
{
	return distance(c, "vec_distance_l2", SDB_VEC_L2, argv, out);
}

static int f_ip(ARGS)
{
	return distance(c, "vec_distance_ip", SDB_VEC_IP, argv, out);
}

static int f_cosine(ARGS)
{
	return distance(c, "vec_distance_cosine", SDB_VEC_COSINE, argv, out);
}

int sql_vec_distance_name(const char *name, size_t len, int *metric)
{
	static const struct { const char *n; int m; } d[] = {
		{ "vec_distance_l2", SDB_VEC_L2 },
		{ "vec_distance_ip", SDB_VEC_IP },
		{ "vec_distance_cosine", SDB_VEC_COSINE },
	};
	for (size_t i = 0; i < sizeof d / sizeof *d; i++)
		if (strlen(d[i].n) == len && !strncasecmp(d[i].n, name, len)) {
			*metric = d[i].m;
			return 1;
		}
	return 0;
}

#define C SQL_FN_CONST
const struct sql_func_def sqlv_vec_funcs[] = {
	{ "vector", 1, 1, C, f_vector, NULL },
	{ "vec_dims", 1, 1, C, f_vec_dims, NULL },
	{ "vec_normalize", 1, 1, C, f_vec_normalize, NULL },
	{ "vec_to_json", 1, 1, C, f_vec_to_json, NULL },
	{ "vec_distance_l2", 2, 2, C, f_l2, NULL },
	{ "vec_distance_ip", 2, 2, C, f_ip, NULL },
	{ "vec_distance_cosine", 2, 2, C, f_cosine, NULL },
};
#undef C
const size_t sqlv_nvec_funcs = sizeof(sqlv_vec_funcs) / sizeof(*sqlv_vec_funcs);
