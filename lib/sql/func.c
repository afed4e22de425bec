/*
 * func.c - SQLite's core scalar and aggregate functions and the registry
 * sql_func_find looks them up in (date.c and printf.c add theirs).
 *
 * DESIGN. Each function follows the argument handling of its SQLite
 * counterpart: which arguments make the result NULL, how a number is
 * read as text (its %lld / %!.15g form) and text as a number (the
 * longest numeric prefix), that string functions count UTF-8 characters
 * and stop at a NUL byte where SQLite reads a C string, and that
 * substr()'s positions are 32-bit ints (sqlite3_value_int). Errors are
 * SQLite's messages with SDB_EINVAL ("integer overflow", "string or blob
 * too big").
 */
#include "sql/vpriv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "sql/sql.h"

#define SQL_MAX_LENGTH 1000000000

#define ARGS struct sql_fctx *c, int argc, const struct sql_value *argv, \
	struct sql_value *out

static int nomem(struct sql_fctx *c)
{
	return sdb_error_set(c->e, SDB_ENOMEM, "out of memory");
}

static int toobig(struct sql_fctx *c)
{
	return sdb_error_set(c->e, SDB_EINVAL, "string or blob too big");
}

static int result_text(struct sql_fctx *c, const char *z, size_t n,
		       struct sql_value *out)
{
	if (n > SQL_MAX_LENGTH)
		return toobig(c);
	char *p = sqlv_dup(c->mem, z, n);
	if (!p)
		return nomem(c);
	*out = sql_text(p, n);
	return 0;
}

/* A REAL result: NaN is NULL, as sqlite3_result_double makes it. */
static struct sql_value real_result(double r)
{
	return isnan(r) ? sql_null() : sql_real(r);
}

/* The text bytes of a non-NULL value (numbers in text form). */
static int text_of(struct sql_fctx *c, const struct sql_value *v,
		   const char **z, size_t *n)
{
	if (sqlv_bytes(v, c->mem, z, n))
		return nomem(c);
	return 0;
}

/* The length of z up to its first NUL byte (a C string's view). */
static size_t cstrlen(const char *z, size_t n)
{
	const char *p = n ? memchr(z, 0, n) : NULL;
	return p ? (size_t)(p - z) : n;
}

/* SQLITE_SKIP_UTF8 over z[0..n). */
static size_t skip_utf8(const unsigned char *z, size_t i, size_t n)
{
	if (z[i++] >= 0xc0)
		while (i < n && (z[i] & 0xc0) == 0x80)
			i++;
	return i;
}

/* ------------------------------------------------------------ scalars */

static int f_abs(ARGS)
{
	switch (argv[0].type) {
	case SQLV_NULL:
		*out = sql_null();
		return 0;
	case SQLV_INT:
		if (argv[0].u.i == INT64_MIN)
			return sdb_error_set(c->e, SDB_EINVAL, "integer overflow");
		*out = sql_int(argv[0].u.i < 0 ? -argv[0].u.i : argv[0].u.i);
		return 0;
	default: {
		double r = sql_value_to_real(&argv[0]);
		*out = sql_real(r < 0 ? -r : r);
		return 0;
	}
	}
}

static int f_coalesce(ARGS)
{
	*out = sql_null();
	for (int i = 0; i < argc; i++) {
		if (argv[i].type != SQLV_NULL) {
			*out = argv[i];
			break;
		}
	}
	return 0;
}

static int f_nullif(ARGS)
{
	if (sql_value_cmp(&argv[0], &argv[1], (enum sql_coll)c->coll) != 0)
		*out = argv[0];
	else
		*out = sql_null();
	return 0;
}

static int f_iif(ARGS)
{
	*out = sql_value_truth(&argv[0]) == 1 ? argv[1] : argv[2];
	return 0;
}

static int f_typeof(ARGS)
{
	static const char *names[] = { "null", "integer", "real", "text", "blob" };
	const char *s = names[argv[0].type];
	*out = sql_text(s, strlen(s));
	return 0;
}

static int f_length(ARGS)
{
	const struct sql_value *v = &argv[0];
	const char *z;
	size_t n;
	if (v->type == SQLV_NULL) {
		*out = sql_null();
		return 0;
	}
	if (v->type == SQLV_BLOB) {
		*out = sql_int(v->n);
		return 0;
	}
	if (text_of(c, v, &z, &n))
		return SDB_ENOMEM;
	n = cstrlen(z, n);
	int64_t len = 0;
	for (size_t i = 0; i < n; len++)
		i = skip_utf8((const unsigned char *)z, i, n);
	*out = sql_int(len);
	return 0;
}

static int f_octet_length(ARGS)
{
	const char *z;
	size_t n;
	if (argv[0].type == SQLV_NULL) {
		*out = sql_null();
		return 0;
	}
	if (text_of(c, &argv[0], &z, &n))
		return SDB_ENOMEM;
	*out = sql_int((int64_t)n);
	return 0;
}

static int case_map(struct sql_fctx *c, const struct sql_value *v,
		    struct sql_value *out, int up)
{
	const char *z;
	size_t n;
	if (v->type == SQLV_NULL) {
		*out = sql_null();
		return 0;
	}
	if (text_of(c, v, &z, &n))
		return SDB_ENOMEM;
	char *p = sdb_sql_arena_alloc(c->mem, n + 1);
	if (!p)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)z[i];
		if (up && ch >= 'a' && ch <= 'z')
			ch = (unsigned char)(ch - 32);
		else if (!up && ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + 32);
		p[i] = (char)ch;
	}
	*out = sql_text(p, n);
	return 0;
}

static int f_lower(ARGS)
{
	return case_map(c, &argv[0], out, 0);
}

static int f_upper(ARGS)
{
	return case_map(c, &argv[0], out, 1);
}

static int f_substr(ARGS)
{
	const struct sql_value *x = &argv[0];
	const char *z;
	size_t n;
	int64_t p1, p2, len = 0;
	int negp2 = 0;

	*out = sql_null();
	if (argv[1].type == SQLV_NULL || (argc == 3 && argv[2].type == SQLV_NULL))
		return 0;
	if (x->type == SQLV_NULL || (x->type == SQLV_BLOB && x->n == 0))
		return 0; /* sqlite3_value_blob() of an empty blob is NULL */
	p1 = (int)sql_value_to_int(&argv[1]);
	if (text_of(c, x, &z, &n))
		return SDB_ENOMEM;
	const unsigned char *u = (const unsigned char *)z;
	if (x->type == SQLV_BLOB) {
		len = (int64_t)n;
	} else {
		n = cstrlen(z, n);
		if (p1 < 0)
			for (size_t i = 0; i < n; len++)
				i = skip_utf8(u, i, n);
	}
	if (argc == 3) {
		p2 = (int)sql_value_to_int(&argv[2]);
		if (p2 < 0) {
			p2 = -p2;
			negp2 = 1;
		}
	} else {
		p2 = SQL_MAX_LENGTH;
	}
	if (p1 < 0) {
		p1 += len;
		if (p1 < 0) {
			p2 += p1;
			if (p2 < 0)
				p2 = 0;
			p1 = 0;
		}
	} else if (p1 > 0) {
		p1--;
	} else if (p2 > 0) {
		p2--;
	}
	if (negp2) {
		p1 -= p2;
		if (p1 < 0) {
			p2 += p1;
			p1 = 0;
		}
	}
	if (x->type != SQLV_BLOB) {
		size_t i = 0;
		while (i < n && p1) {
			i = skip_utf8(u, i, n);
			p1--;
		}
		size_t j = i;
		for (; j < n && p2; p2--)
			j = skip_utf8(u, j, n);
		return result_text(c, z + i, j - i, out);
	}
	if (p1 + p2 > len) {
		p2 = len - p1;
		if (p2 < 0)
			p2 = 0;
	}
	if (p1 > len)
		p1 = len;
	*out = sql_blob(z + p1, (size_t)p2);
	return 0;
}

/* flags: 1 left, 2 right. */
static int trim_common(struct sql_fctx *c, int argc, const struct sql_value *argv,
		       struct sql_value *out, int flags)
{
	const char *z, *set = " ";
	size_t n, nset = 1;
	*out = sql_null();
	if (argv[0].type == SQLV_NULL)
		return 0;
	if (argc == 2) {
		if (argv[1].type == SQLV_NULL)
			return 0;
		if (text_of(c, &argv[1], &set, &nset))
			return SDB_ENOMEM;
		nset = cstrlen(set, nset);
	}
	if (text_of(c, &argv[0], &z, &n))
		return SDB_ENOMEM;
	const unsigned char *s = (const unsigned char *)set;
	/* the characters of the set */
	size_t starts[256], nch = 0;
	size_t *st = nset < 256 ? starts : malloc((nset + 1) * sizeof(size_t));
	if (!st)
		return nomem(c);
	for (size_t i = 0; i < nset; nch++) {
		st[nch] = i;
		i = skip_utf8(s, i, nset);
	}
	st[nch] = nset;
	if (nch > 0) {
		if (flags & 1) {
			while (n > 0) {
				size_t k, len = 0;
				for (k = 0; k < nch; k++) {
					len = st[k + 1] - st[k];
					if (len <= n && memcmp(z, set + st[k], len) == 0)
						break;
				}
				if (k >= nch)
					break;
				z += len;
				n -= len;
			}
		}
		if (flags & 2) {
			while (n > 0) {
				size_t k, len = 0;
				for (k = 0; k < nch; k++) {
					len = st[k + 1] - st[k];
					if (len <= n && memcmp(z + n - len, set + st[k], len) == 0)
						break;
				}
				if (k >= nch)
					break;
				n -= len;
			}
		}
	}
	if (st != starts)
		free(st);
	return result_text(c, z, n, out);
}

static int f_trim(ARGS)
{
	return trim_common(c, argc, argv, out, 3);
}

static int f_ltrim(ARGS)
{
	return trim_common(c, argc, argv, out, 1);
}

static int f_rtrim(ARGS)
{
	return trim_common(c, argc, argv, out, 2);
}

static int f_replace(ARGS)
{
	const char *s, *p, *r;
	size_t ns, np, nr;
	*out = sql_null();
	if (argv[0].type == SQLV_NULL || argv[1].type == SQLV_NULL)
		return 0;
	if (text_of(c, &argv[0], &s, &ns) || text_of(c, &argv[1], &p, &np))
		return SDB_ENOMEM;
	if (np == 0 || p[0] == 0) {
		*out = argv[0]; /* X itself, a BLOB seen as TEXT */
		if (out->type == SQLV_BLOB)
			out->type = SQLV_TEXT;
		return 0;
	}
	if (argv[2].type == SQLV_NULL)
		return 0;
	if (text_of(c, &argv[2], &r, &nr))
		return SDB_ENOMEM;
	struct sdb_buf b = SDB_BUF_INIT;
	size_t i = 0;
	while (i < ns) {
		if (i + np <= ns && s[i] == p[0] && memcmp(s + i, p, np) == 0) {
			sdb_buf_add(&b, r, nr);
			i += np;
		} else {
			sdb_buf_addc(&b, s[i]);
			i++;
		}
	}
	int rc = sdb_buf_ok(&b) ? result_text(c, b.data ? b.data : "", b.len, out) : nomem(c);
	sdb_buf_release(&b);
	return rc;
}

static int f_instr(ARGS)
{
	const struct sql_value *h = &argv[0], *nd = &argv[1];
	const char *zh, *zn;
	size_t nh, nn;
	int64_t pos = 1;
	*out = sql_null();
	if (h->type == SQLV_NULL || nd->type == SQLV_NULL)
		return 0;
	int istext = !(h->type == SQLV_BLOB && nd->type == SQLV_BLOB);
	if (text_of(c, h, &zh, &nh) || text_of(c, nd, &zn, &nn))
		return SDB_ENOMEM;
	if (nn > 0) {
		const unsigned char *u = (const unsigned char *)zh;
		size_t i = 0;
		while (nn <= nh - i && memcmp(zh + i, zn, nn) != 0) {
			pos++;
			do {
				i++;
			} while (istext && i < nh && (u[i] & 0xc0) == 0x80);
			if (i > nh)
				break;
		}
		if (nn > nh - i || i > nh)
			pos = 0;
	}
	*out = sql_int(pos);
	return 0;
}

static int f_round(ARGS)
{
	int64_t nd = 0;
	*out = sql_null();
	if (argc == 2) {
		if (argv[1].type == SQLV_NULL)
			return 0;
		nd = (int)sql_value_to_int(&argv[1]);
		if (nd > 30)
			nd = 30;
		if (nd < 0)
			nd = 0;
	}
	if (argv[0].type == SQLV_NULL)
		return 0;
	double r = sql_value_to_real(&argv[0]);
	if (r < -4503599627370496.0 || r > 4503599627370496.0) {
		/* no fractional part */
	} else if (nd == 0) {
		r = (double)(int64_t)(r + (r < 0 ? -0.5 : 0.5));
	} else {
		static const struct sqlv_fflags none;
		char buf[sqlv_float_need(30, 0)];
		size_t len = sqlv_float_conv(buf, r, 'f', (int)nd, 0, &none);
		sqlv_atof(buf, len, &r);
	}
	*out = sql_real(r);
	return 0;
}

static int f_hex(ARGS)
{
	static const char hx[] = "0123456789ABCDEF";
	const char *z = "";
	size_t n = 0;
	if (argv[0].type != SQLV_NULL && text_of(c, &argv[0], &z, &n))
		return SDB_ENOMEM;
	if (n * 2 > SQL_MAX_LENGTH)
		return toobig(c);
	char *p = sdb_sql_arena_alloc(c->mem, n * 2 + 1);
	if (!p)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		p[2 * i] = hx[(unsigned char)z[i] >> 4];
		p[2 * i + 1] = hx[(unsigned char)z[i] & 15];
	}
	*out = sql_text(p, n * 2);
	return 0;
}

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((ch | 32) >= 'a' && (ch | 32) <= 'f')
		return (ch | 32) - 'a' + 10;
	return -1;
}

static int f_unhex(ARGS)
{
	const char *z, *pass = "";
	size_t n, npass = 0;
	*out = sql_null();
	if (argv[0].type == SQLV_NULL || (argc == 2 && argv[1].type == SQLV_NULL))
		return 0;
	if (text_of(c, &argv[0], &z, &n))
		return SDB_ENOMEM;
	if (argc == 2 && text_of(c, &argv[1], &pass, &npass))
		return SDB_ENOMEM;
	n = cstrlen(z, n);
	unsigned char *p = sdb_sql_arena_alloc(c->mem, n / 2 + 1);
	if (!p)
		return nomem(c);
	const unsigned char *u = (const unsigned char *)z, *end = u + n;
	const unsigned char *pe = (const unsigned char *)pass + npass;
	size_t k = 0;
	while (u < end) {
		while (hexval(*u) < 0) {
			uint32_t ch = sqlv_utf8_read(&u, end);
			int found = 0;
			const unsigned char *q = (const unsigned char *)pass;
			while (q < pe && !found)
				found = sqlv_utf8_read(&q, pe) == ch;
			if (!found)
				return 0;
			if (u >= end)
				goto done;
		}
		int hi = hexval(*u++);
		if (u >= end || hexval(*u) < 0)
			return 0;
		p[k++] = (unsigned char)(hi << 4 | hexval(*u++));
	}
done:
	*out = sql_blob(p, k);
	return 0;
}

static int f_quote(ARGS)
{
	const struct sql_value *v = &argv[0];
	struct sdb_buf b = SDB_BUF_INIT;
	int rc;
	switch (v->type) {
	case SQLV_NULL:
		*out = sql_text("NULL", 4);
		return 0;
	case SQLV_INT:
	case SQLV_REAL:
		if (v->type == SQLV_REAL) {
			static const struct sqlv_fflags bang = { .alt2 = 1 };
			char buf[400];
			size_t len = sqlv_float_conv(buf, v->u.r, 'g', 15, 0, &bang);
			double r2;
			sqlv_atof(buf, len, &r2);
			if (r2 != v->u.r)
				len = sqlv_float_conv(buf, v->u.r, 'e', 20, 0, &bang);
			return result_text(c, buf, len, out);
		}
		return sql_value_text(v, c->mem, out) ? nomem(c) : 0;
	case SQLV_TEXT: {
		size_t n = cstrlen(v->u.z, v->n);
		sdb_buf_addc(&b, '\'');
		for (size_t i = 0; i < n; i++) {
			if (v->u.z[i] == '\'')
				sdb_buf_addc(&b, '\'');
			sdb_buf_addc(&b, v->u.z[i]);
		}
		sdb_buf_addc(&b, '\'');
		break;
	}
	default: {
		static const char hx[] = "0123456789ABCDEF";
		sdb_buf_add(&b, "X'", 2);
		for (size_t i = 0; i < v->n; i++) {
			sdb_buf_addc(&b, hx[(unsigned char)v->u.z[i] >> 4]);
			sdb_buf_addc(&b, hx[(unsigned char)v->u.z[i] & 15]);
		}
		sdb_buf_addc(&b, '\'');
		break;
	}
	}
	rc = sdb_buf_ok(&b) ? result_text(c, b.data, b.len, out) : nomem(c);
	sdb_buf_release(&b);
	return rc;
}

/* Scalar min()/max(): NULL if any argument is NULL; ties as SQLite. */
static int minmax_scalar(struct sql_fctx *c, int argc, const struct sql_value *argv,
			 struct sql_value *out, int max)
{
	int best = 0;
	*out = sql_null();
	if (argv[0].type == SQLV_NULL)
		return 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i].type == SQLV_NULL)
			return 0;
		int cmp = sql_value_cmp(&argv[best], &argv[i], (enum sql_coll)c->coll);
		if (max ? cmp < 0 : cmp >= 0)
			best = i;
	}
	*out = argv[best];
	return 0;
}

static int f_min(ARGS)
{
	return minmax_scalar(c, argc, argv, out, 0);
}

static int f_max(ARGS)
{
	return minmax_scalar(c, argc, argv, out, 1);
}

static void random_bytes(void *p, size_t n)
{
	static uint64_t s;
	unsigned char *o = p;
	if (s == 0) {
		if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s))
			s = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull;
		s |= 1;
	}
	while (n) {
		/* splitmix64 */
		uint64_t z = (s += 0x9E3779B97F4A7C15ull);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		z ^= z >> 31;
		size_t k = n < 8 ? n : 8;
		memcpy(o, &z, k);
		o += k;
		n -= k;
	}
}

static int f_random(ARGS)
{
	int64_t r;
	random_bytes(&r, sizeof(r));
	if (r < 0)
		r = -(r & INT64_MAX);
	*out = sql_int(r);
	return 0;
}

static int f_randomblob(ARGS)
{
	int64_t n = sql_value_to_int(&argv[0]);
	if (n < 1)
		n = 1;
	if (n > SQL_MAX_LENGTH)
		return toobig(c);
	unsigned char *p = sdb_sql_arena_alloc(c->mem, (size_t)n);
	if (!p)
		return nomem(c);
	random_bytes(p, (size_t)n);
	*out = sql_blob(p, (size_t)n);
	return 0;
}

static int f_zeroblob(ARGS)
{
	int64_t n = sql_value_to_int(&argv[0]);
	if (n < 0)
		n = 0;
	if (n > SQL_MAX_LENGTH)
		return toobig(c);
	void *p = sdb_sql_arena_alloc(c->mem, (size_t)n);
	if (!p)
		return nomem(c);
	*out = sql_blob(p, (size_t)n);
	return 0;
}

static int f_unicode(ARGS)
{
	const char *z;
	size_t n;
	*out = sql_null();
	if (argv[0].type == SQLV_NULL)
		return 0;
	if (text_of(c, &argv[0], &z, &n))
		return SDB_ENOMEM;
	n = cstrlen(z, n);
	if (n == 0)
		return 0;
	const unsigned char *u = (const unsigned char *)z;
	*out = sql_int(sqlv_utf8_read(&u, u + n));
	return 0;
}

static int f_char(ARGS)
{
	char *p = sdb_sql_arena_alloc(c->mem, (size_t)argc * 4 + 1);
	size_t k = 0;
	if (!p)
		return nomem(c);
	for (int i = 0; i < argc; i++) {
		int64_t x = sql_value_to_int(&argv[i]);
		if (x < 0 || x > 0x10ffff)
			x = 0xfffd;
		k += (size_t)sqlv_utf8_put((uint32_t)(x & 0x1fffff), p + k);
	}
	*out = sql_text(p, k);
	return 0;
}

static int f_first(ARGS)
{
	*out = argv[0];
	return 0;
}

static int f_sign(ARGS)
{
	struct sql_value v = argv[0];
	*out = sql_null();
	if (v.type == SQLV_TEXT) {
		sql_value_apply_aff(&v, SQL_AFF_NUMERIC, c->mem);
	}
	if (v.type == SQLV_INT)
		*out = sql_int(v.u.i > 0 ? 1 : v.u.i < 0 ? -1 : 0);
	else if (v.type == SQLV_REAL)
		*out = sql_int(v.u.r > 0 ? 1 : v.u.r < 0 ? -1 : 0);
	return 0;
}

static int concat_common(struct sql_fctx *c, int argc, const struct sql_value *argv,
			 const char *sep, size_t nsep, struct sql_value *out)
{
	struct sdb_buf b = SDB_BUF_INIT;
	int first = 1, rc;
	for (int i = 0; i < argc; i++) {
		const char *z;
		size_t n;
		if (argv[i].type == SQLV_NULL)
			continue;
		if (text_of(c, &argv[i], &z, &n)) {
			sdb_buf_release(&b);
			return SDB_ENOMEM;
		}
		if (!first && nsep)
			sdb_buf_add(&b, sep, nsep);
		sdb_buf_add(&b, z, n);
		first = 0;
	}
	rc = sdb_buf_ok(&b) ? result_text(c, b.data ? b.data : "", b.len, out) : nomem(c);
	sdb_buf_release(&b);
	return rc;
}

static int f_concat(ARGS)
{
	return concat_common(c, argc, argv, NULL, 0, out);
}

static int f_concat_ws(ARGS)
{
	const char *sep;
	size_t nsep;
	if (argv[0].type == SQLV_NULL) {
		*out = sql_null();
		return 0;
	}
	if (text_of(c, &argv[0], &sep, &nsep))
		return SDB_ENOMEM;
	return concat_common(c, argc - 1, argv + 1, sep, nsep, out);
}

static int f_last_insert_rowid(ARGS)
{
	*out = sql_int(c->conn ? sql_last_insert_rowid(c->conn) : 0);
	return 0;
}

static int f_changes(ARGS)
{
	*out = sql_int(c->conn ? sql_changes(c->conn) : 0);
	return 0;
}

static int f_total_changes(ARGS)
{
	*out = sql_int(c->conn ? sql_total_changes(c->conn) : 0);
	return 0;
}

/* like(P, S[, E]) and glob(P, S): the operators' function forms. */
static int f_like(ARGS)
{
	const char *p, *s;
	size_t np, ns;
	uint32_t esc = 0;
	*out = sql_null();
	for (int i = 0; i < argc; i++)
		if (argv[i].type == SQLV_NULL)
			return 0;
	if (argv[0].type == SQLV_BLOB || argv[1].type == SQLV_BLOB) {
		*out = sql_int(0); /* SQLITE_LIKE_DOESNT_MATCH_BLOBS, as Debian builds it */
		return 0;
	}
	if (text_of(c, &argv[0], &p, &np) || text_of(c, &argv[1], &s, &ns))
		return SDB_ENOMEM;
	if (np > 50000)
		return sdb_error_set(c->e, SDB_EINVAL, "LIKE or GLOB pattern too complex");
	if (argc == 3) {
		const char *ze;
		size_t ne;
		if (text_of(c, &argv[2], &ze, &ne))
			return SDB_ENOMEM;
		ne = cstrlen(ze, ne);
		const unsigned char *u = (const unsigned char *)ze;
		size_t nchar = 0;
		for (size_t i = 0; i < ne; nchar++)
			i = skip_utf8(u, i, ne);
		if (nchar != 1)
			return sdb_error_set(c->e, SDB_EINVAL,
					     "ESCAPE expression must be a single character");
		esc = sqlv_utf8_read(&u, u + ne);
	}
	*out = sql_int(sql_like(p, np, s, ns, esc));
	return 0;
}

static int f_glob(ARGS)
{
	const char *p, *s;
	size_t np, ns;
	*out = sql_null();
	if (argv[0].type == SQLV_NULL || argv[1].type == SQLV_NULL)
		return 0;
	if (argv[0].type == SQLV_BLOB || argv[1].type == SQLV_BLOB) {
		*out = sql_int(0);
		return 0;
	}
	if (text_of(c, &argv[0], &p, &np) || text_of(c, &argv[1], &s, &ns))
		return SDB_ENOMEM;
	if (np > 50000)
		return sdb_error_set(c->e, SDB_EINVAL, "LIKE or GLOB pattern too complex");
	*out = sql_int(sql_glob(p, np, s, ns));
	return 0;
}

/* ------------------------------------------------------------ aggregates */

struct count_st {
	int64_t n;
};

static int count_step(struct sql_fctx *c, void *st, int argc,
		      const struct sql_value *argv)
{
	if (argc == 0 || argv[0].type != SQLV_NULL)
		((struct count_st *)st)->n++;
	return 0;
}

static int count_inverse(struct sql_fctx *c, void *st, int argc,
			 const struct sql_value *argv)
{
	if (argc == 0 || argv[0].type != SQLV_NULL)
		((struct count_st *)st)->n--;
	return 0;
}

static int count_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	*out = sql_int(((struct count_st *)st)->n);
	return 0;
}

static const struct sql_agg_def agg_count = {
	sizeof(struct count_st), count_step, count_inverse, count_final, NULL
};

int sql_agg_count_add(const struct sql_agg_def *agg, void *state, int64_t n)
{
	if (agg != &agg_count)
		return 0;
	if (state)
		((struct count_st *)state)->n += n;
	return 1;
}

/* sum/total/avg: SQLite 3.40's SumCtx (plain double sum beside an exact
 * integer sum until a REAL or an overflow is seen). */
struct sum_st {
	double rsum;
	int64_t isum;
	int64_t cnt;
	uint8_t overflow, approx;
};

/* sqlite3_value_numeric_type: TEXT that looks like a number counts as
 * one; other TEXT and BLOB add their numeric prefix as REAL. */
static struct sql_value numeric_type(const struct sql_value *v)
{
	struct sql_value x = *v;
	if (x.type == SQLV_TEXT) {
		double r;
		int64_t ix;
		int rc = sqlv_atof(x.u.z, x.n, &r);
		if (rc > 0) {
			ix = sqlv_dtoi(r);
			if (rc == 1 && (sqlv_real_same_as_int(r, ix) ||
					sqlv_atoi64(x.u.z, x.n, &ix) == 0))
				return sql_int(ix);
			return sql_real(r);
		}
	}
	return x;
}

static int sum_step(struct sql_fctx *c, void *st, int argc,
		    const struct sql_value *argv)
{
	struct sum_st *p = st;
	struct sql_value v = numeric_type(&argv[0]);
	if (v.type == SQLV_NULL)
		return 0;
	p->cnt++;
	if (v.type == SQLV_INT) {
		p->rsum += (double)v.u.i;
		if (!(p->approx | p->overflow) &&
		    __builtin_add_overflow(p->isum, v.u.i, &p->isum))
			p->approx = p->overflow = 1;
	} else {
		p->rsum += sql_value_to_real(&v);
		p->approx = 1;
	}
	return 0;
}

static int sum_inverse(struct sql_fctx *c, void *st, int argc,
		       const struct sql_value *argv)
{
	struct sum_st *p = st;
	struct sql_value v = numeric_type(&argv[0]);
	if (v.type == SQLV_NULL)
		return 0;
	p->cnt--;
	if (v.type == SQLV_INT && !p->approx) {
		p->rsum -= (double)v.u.i;
		p->isum = (int64_t)((uint64_t)p->isum - (uint64_t)v.u.i);
	} else {
		p->rsum -= sql_value_to_real(&v);
	}
	return 0;
}

static int sum_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	struct sum_st *p = st;
	*out = sql_null();
	if (p->cnt > 0) {
		if (p->overflow)
			return sdb_error_set(c->e, SDB_EINVAL, "integer overflow");
		*out = p->approx ? real_result(p->rsum) : sql_int(p->isum);
	}
	return 0;
}

static int total_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	*out = real_result(((struct sum_st *)st)->rsum);
	return 0;
}

static int avg_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	struct sum_st *p = st;
	*out = p->cnt > 0 ? real_result(p->rsum / (double)p->cnt) : sql_null();
	return 0;
}

static const struct sql_agg_def agg_sum = {
	sizeof(struct sum_st), sum_step, sum_inverse, sum_final, NULL
};
static const struct sql_agg_def agg_total = {
	sizeof(struct sum_st), sum_step, sum_inverse, total_final, NULL
};
static const struct sql_agg_def agg_avg = {
	sizeof(struct sum_st), sum_step, sum_inverse, avg_final, NULL
};

/* min/max: the best value so far, its bytes owned by the state. */
struct minmax_st {
	struct sql_value best;
	char *own;
	size_t cap;
};

static int minmax_step(struct sql_fctx *c, void *st, const struct sql_value *v,
		       int max)
{
	struct minmax_st *p = st;
	if (v->type == SQLV_NULL)
		return 0;
	if (p->best.type != SQLV_NULL) {
		int cmp = sql_value_cmp(&p->best, v, (enum sql_coll)c->coll);
		if (!(max ? cmp < 0 : cmp > 0))
			return 0;
	}
	p->best = *v;
	if (v->type == SQLV_TEXT || v->type == SQLV_BLOB) {
		if (v->n + 1 > p->cap) {
			char *q = realloc(p->own, (size_t)v->n + 1);
			if (!q)
				return nomem(c);
			p->own = q;
			p->cap = (size_t)v->n + 1;
		}
		if (v->n)
			memcpy(p->own, v->u.z, v->n);
		p->best.u.z = p->own;
	}
	return 0;
}

static int min_step(struct sql_fctx *c, void *st, int argc, const struct sql_value *argv)
{
	return minmax_step(c, st, &argv[0], 0);
}

static int max_step(struct sql_fctx *c, void *st, int argc, const struct sql_value *argv)
{
	return minmax_step(c, st, &argv[0], 1);
}

static int minmax_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	struct minmax_st *p = st;
	*out = p->best;
	return sql_value_copy(out, c->mem) ? nomem(c) : 0;
}

static void minmax_destroy(void *st)
{
	struct minmax_st *p = st;
	free(p->own);
	p->own = NULL;
	p->cap = 0;
}

static const struct sql_agg_def agg_min = {
	sizeof(struct minmax_st), min_step, NULL, minmax_final, minmax_destroy
};
static const struct sql_agg_def agg_max = {
	sizeof(struct minmax_st), max_step, NULL, minmax_final, minmax_destroy
};

/* group_concat(X[, SEP]) / string_agg(X, SEP): the text so far and, for
 * the inverse, each element's length and the separator length before it. */
struct gc_st {
	struct sdb_buf text;
	size_t *lens;   /* per element: value bytes, separator bytes before the next */
	size_t *seps;
	size_t n, cap, head;
	uint8_t active;
};

static int gc_step(struct sql_fctx *c, void *st, int argc, const struct sql_value *argv)
{
	struct gc_st *p = st;
	const char *z, *sep = ",";
	size_t n, nsep = 1;
	if (argv[0].type == SQLV_NULL)
		return 0;
	if (argc == 2) {
		if (argv[1].type == SQLV_NULL) {
			sep = "";
			nsep = 0;
		} else if (text_of(c, &argv[1], &sep, &nsep)) {
			return SDB_ENOMEM;
		}
	}
	if (text_of(c, &argv[0], &z, &n))
		return SDB_ENOMEM;
	if (p->n == p->cap && p->head > 0) {
		memmove(p->lens, p->lens + p->head, (p->n - p->head) * sizeof(size_t));
		memmove(p->seps, p->seps + p->head, (p->n - p->head) * sizeof(size_t));
		p->n -= p->head;
		p->head = 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap * 2 + 8;
		size_t *l = realloc(p->lens, cap * sizeof(size_t));
		if (!l)
			return nomem(c);
		p->lens = l;
		size_t *s = realloc(p->seps, cap * sizeof(size_t));
		if (!s)
			return nomem(c);
		p->seps = s;
		p->cap = cap;
	}
	if (p->active) {
		sdb_buf_add(&p->text, sep, nsep);
		p->seps[p->n] = nsep;
	} else {
		p->seps[p->n] = 0;
	}
	sdb_buf_add(&p->text, z, n);
	p->lens[p->n++] = n;
	p->active = 1;
	if (!sdb_buf_ok(&p->text))
		return nomem(c);
	if (p->text.len > SQL_MAX_LENGTH)
		return toobig(c);
	return 0;
}

static int gc_inverse(struct sql_fctx *c, void *st, int argc, const struct sql_value *argv)
{
	struct gc_st *p = st;
	if (argv[0].type == SQLV_NULL || p->head >= p->n)
		return 0;
	size_t drop = p->lens[p->head];
	p->head++;
	if (p->head < p->n) {
		drop += p->seps[p->head];
		p->seps[p->head] = 0;
	}
	if (drop >= p->text.len) {
		p->text.len = 0;
	} else {
		memmove(p->text.data, p->text.data + drop, p->text.len - drop);
		p->text.len -= drop;
	}
	if (p->head >= p->n) {
		p->active = 0;
		p->n = p->head = 0;
		p->text.len = 0;
	}
	return 0;
}

static int gc_final(struct sql_fctx *c, void *st, struct sql_value *out)
{
	struct gc_st *p = st;
	if (!p->active) {
		*out = sql_null();
		return 0;
	}
	return result_text(c, p->text.data ? p->text.data : "", p->text.len, out);
}

static void gc_destroy(void *st)
{
	struct gc_st *p = st;
	sdb_buf_release(&p->text);
	free(p->lens);
	free(p->seps);
	memset(p, 0, sizeof(*p));
}

static const struct sql_agg_def agg_group_concat = {
	sizeof(struct gc_st), gc_step, gc_inverse, gc_final, gc_destroy
};

/* ------------------------------------------------------------ math */

/* SQLite's math functions (as Debian's sqlite3 has them, built with
 * SQLITE_ENABLE_MATH_FUNCTIONS): an argument that is not a number (after
 * numeric affinity: '5' is one, 'abc' is not) gives NULL, so does NaN. */
static int math_arg(const struct sql_value *v, double *r)
{
	struct sql_value x = numeric_type(v);
	if (x.type != SQLV_INT && x.type != SQLV_REAL)
		return 0;
	*r = sql_value_to_real(&x);
	return 1;
}

#define MATH1(name, expr) \
	static int f_##name(ARGS) \
	{ \
		double x; \
		*out = sql_null(); \
		if (math_arg(&argv[0], &x)) \
			*out = real_result(expr); \
		return 0; \
	}

MATH1(acos, acos(x))
MATH1(asin, asin(x))
MATH1(atan, atan(x))
MATH1(acosh, acosh(x))
MATH1(asinh, asinh(x))
MATH1(atanh, atanh(x))
MATH1(cos, cos(x))
MATH1(sin, sin(x))
MATH1(tan, tan(x))
MATH1(cosh, cosh(x))
MATH1(sinh, sinh(x))
MATH1(tanh, tanh(x))
MATH1(exp, exp(x))
MATH1(sqrt, sqrt(x))
MATH1(degrees, x * (180.0 / M_PI))
MATH1(radians, x * (M_PI / 180.0))

#define MATH2(name, expr) \
	static int f_##name(ARGS) \
	{ \
		double x, y; \
		*out = sql_null(); \
		if (math_arg(&argv[0], &x) && math_arg(&argv[1], &y)) \
			*out = real_result(expr); \
		return 0; \
	}

MATH2(atan2, atan2(x, y))
MATH2(pow, pow(x, y))
MATH2(mod, fmod(x, y))

static int f_pi(ARGS)
{
	*out = sql_real(M_PI);
	return 0;
}

/* ceil, floor, trunc: an INTEGER comes back as it is */
static int rounding(const struct sql_value *v, struct sql_value *out, double (*fn)(double))
{
	struct sql_value x = numeric_type(v);
	if (x.type == SQLV_INT)
		*out = x;
	else if (x.type == SQLV_REAL)
		*out = real_result(fn(x.u.r));
	else
		*out = sql_null();
	return 0;
}

static int f_ceil(ARGS)
{
	return rounding(&argv[0], out, ceil);
}

static int f_floor(ARGS)
{
	return rounding(&argv[0], out, floor);
}

static int f_trunc(ARGS)
{
	return rounding(&argv[0], out, trunc);
}

/* ln(X); log(X), log10(X): base 10; log2(X); log(B, X). As SQLite:
 * the natural log divided by M_LN10 / M_LN2 / ln(B), NULL for X <= 0
 * or ln(B) <= 0. */
static int log_common(int argc, const struct sql_value *argv, struct sql_value *out, int kind)
{
	double x, b = 1.0;
	*out = sql_null();
	if (argc == 2) {
		if (!math_arg(&argv[0], &x) || x <= 0.0)
			return 0;
		b = log(x);
		if (b <= 0.0)
			return 0;
		kind = 0;
		x = sql_value_to_real(&argv[1]); /* SQLite reads X without a type check */
		if (x <= 0.0)
			return 0;
	} else if (!math_arg(&argv[0], &x) || x <= 0.0) {
		return 0;
	}
	double ans = log(x) / b;
	if (kind == 10)
		ans /= M_LN10;
	else if (kind == 2)
		ans /= M_LN2;
	*out = real_result(ans);
	return 0;
}

static int f_ln(ARGS)
{
	return log_common(argc, argv, out, 0);
}

static int f_log(ARGS)
{
	return log_common(argc, argv, out, 10);
}

static int f_log2(ARGS)
{
	return log_common(argc, argv, out, 2);
}

/* ------------------------------------------------------------ registry */

#define C SQL_FN_CONST
static const struct sql_func_def funcs[] = {
	{ "abs", 1, 1, C, f_abs, NULL },
	{ "coalesce", 2, -1, C, f_coalesce, NULL },
	{ "ifnull", 2, 2, C, f_coalesce, NULL },
	{ "nullif", 2, 2, C, f_nullif, NULL },
	{ "iif", 3, 3, C, f_iif, NULL },
	{ "typeof", 1, 1, C, f_typeof, NULL },
	{ "length", 1, 1, C, f_length, NULL },
	{ "octet_length", 1, 1, C, f_octet_length, NULL },
	{ "lower", 1, 1, C, f_lower, NULL },
	{ "upper", 1, 1, C, f_upper, NULL },
	{ "substr", 2, 3, C, f_substr, NULL },
	{ "substring", 2, 3, C, f_substr, NULL },
	{ "trim", 1, 2, C, f_trim, NULL },
	{ "ltrim", 1, 2, C, f_ltrim, NULL },
	{ "rtrim", 1, 2, C, f_rtrim, NULL },
	{ "replace", 3, 3, C, f_replace, NULL },
	{ "instr", 2, 2, C, f_instr, NULL },
	{ "round", 1, 2, C, f_round, NULL },
	{ "hex", 1, 1, C, f_hex, NULL },
	{ "unhex", 1, 2, C, f_unhex, NULL },
	{ "quote", 1, 1, C, f_quote, NULL },
	{ "min", 2, -1, C, f_min, NULL },
	{ "max", 2, -1, C, f_max, NULL },
	{ "random", 0, 0, 0, f_random, NULL },
	{ "randomblob", 1, 1, 0, f_randomblob, NULL },
	{ "zeroblob", 1, 1, C, f_zeroblob, NULL },
	{ "unicode", 1, 1, C, f_unicode, NULL },
	{ "char", 0, -1, C, f_char, NULL },
	{ "likelihood", 2, 2, C, f_first, NULL },
	{ "likely", 1, 1, C, f_first, NULL },
	{ "unlikely", 1, 1, C, f_first, NULL },
	{ "sign", 1, 1, C, f_sign, NULL },
	{ "concat", 1, -1, C, f_concat, NULL },
	{ "concat_ws", 2, -1, C, f_concat_ws, NULL },
	{ "like", 2, 3, C, f_like, NULL },
	{ "last_insert_rowid", 0, 0, SQL_FN_NEEDCONN, f_last_insert_rowid, NULL },
	{ "changes", 0, 0, SQL_FN_NEEDCONN, f_changes, NULL },
	{ "total_changes", 0, 0, SQL_FN_NEEDCONN, f_total_changes, NULL },
	{ "glob", 2, 2, C, f_glob, NULL },
	{ "acos", 1, 1, C, f_acos, NULL },
	{ "asin", 1, 1, C, f_asin, NULL },
	{ "atan", 1, 1, C, f_atan, NULL },
	{ "acosh", 1, 1, C, f_acosh, NULL },
	{ "asinh", 1, 1, C, f_asinh, NULL },
	{ "atanh", 1, 1, C, f_atanh, NULL },
	{ "atan2", 2, 2, C, f_atan2, NULL },
	{ "cos", 1, 1, C, f_cos, NULL },
	{ "sin", 1, 1, C, f_sin, NULL },
	{ "tan", 1, 1, C, f_tan, NULL },
	{ "cosh", 1, 1, C, f_cosh, NULL },
	{ "sinh", 1, 1, C, f_sinh, NULL },
	{ "tanh", 1, 1, C, f_tanh, NULL },
	{ "exp", 1, 1, C, f_exp, NULL },
	{ "sqrt", 1, 1, C, f_sqrt, NULL },
	{ "degrees", 1, 1, C, f_degrees, NULL },
	{ "radians", 1, 1, C, f_radians, NULL },
	{ "pow", 2, 2, C, f_pow, NULL },
	{ "power", 2, 2, C, f_pow, NULL },
	{ "mod", 2, 2, C, f_mod, NULL },
	{ "pi", 0, 0, C, f_pi, NULL },
	{ "ceil", 1, 1, C, f_ceil, NULL },
	{ "ceiling", 1, 1, C, f_ceil, NULL },
	{ "floor", 1, 1, C, f_floor, NULL },
	{ "trunc", 1, 1, C, f_trunc, NULL },
	{ "ln", 1, 1, C, f_ln, NULL },
	{ "log", 1, 2, C, f_log, NULL },
	{ "log10", 1, 1, C, f_log, NULL },
	{ "log2", 1, 1, C, f_log2, NULL },
	/* aggregates */
	{ "count", 0, 1, C, NULL, &agg_count },
	{ "sum", 1, 1, C, NULL, &agg_sum },
	{ "total", 1, 1, C, NULL, &agg_total },
	{ "avg", 1, 1, C, NULL, &agg_avg },
	{ "min", 1, 1, C, NULL, &agg_min },
	{ "max", 1, 1, C, NULL, &agg_max },
	{ "group_concat", 1, 2, C, NULL, &agg_group_concat },
	{ "string_agg", 2, 2, C, NULL, &agg_group_concat },
	/* window-only functions, run by exec */
	{ "row_number", 0, 0, SQL_FN_WINDOW, NULL, NULL },
	{ "rank", 0, 0, SQL_FN_WINDOW, NULL, NULL },
	{ "dense_rank", 0, 0, SQL_FN_WINDOW, NULL, NULL },
	{ "percent_rank", 0, 0, SQL_FN_WINDOW, NULL, NULL },
	{ "cume_dist", 0, 0, SQL_FN_WINDOW, NULL, NULL },
	{ "ntile", 1, 1, SQL_FN_WINDOW, NULL, NULL },
	{ "lag", 1, 3, SQL_FN_WINDOW, NULL, NULL },
	{ "lead", 1, 3, SQL_FN_WINDOW, NULL, NULL },
	{ "first_value", 1, 1, SQL_FN_WINDOW, NULL, NULL },
	{ "last_value", 1, 1, SQL_FN_WINDOW, NULL, NULL },
	{ "nth_value", 2, 2, SQL_FN_WINDOW, NULL, NULL },
};
#undef C

extern const struct sql_func_def sqlv_date_funcs[];
extern const size_t sqlv_ndate_funcs;
extern const struct sql_func_def sqlv_printf_funcs[];
extern const size_t sqlv_nprintf_funcs;
extern const struct sql_func_def sqlv_json_funcs[];
extern const size_t sqlv_njson_funcs;
extern const struct sql_func_def sqlv_vec_funcs[];
extern const size_t sqlv_nvec_funcs;

static const struct sql_func_def *search(const struct sql_func_def *t, size_t nt,
					 const char *name, size_t len, int argc,
					 int *seen)
{
	int c0 = len ? name[0] | (name[0] >= 'A' && name[0] <= 'Z' ? 0x20 : 0) : 0;
	for (size_t i = 0; i < nt; i++) {
		/* names are lower case: the first letter rules out most */
		if (t[i].name[0] != c0 || strlen(t[i].name) != len ||
		    strncasecmp(t[i].name, name, len))
			continue;
		*seen = 1;
		if (argc >= t[i].nargmin && (t[i].nargmax < 0 || argc <= t[i].nargmax))
			return &t[i];
	}
	return NULL;
}

const struct sql_func_def *sql_func_find(const char *name, size_t len,
					 int argc, int *wrong_args)
{
	int seen = 0;
	const struct sql_func_def *f;
	*wrong_args = 0;
	f = search(funcs, sizeof(funcs) / sizeof(*funcs), name, len, argc, &seen);
	if (!f)
		f = search(sqlv_date_funcs, sqlv_ndate_funcs, name, len, argc, &seen);
	if (!f)
		f = search(sqlv_printf_funcs, sqlv_nprintf_funcs, name, len, argc, &seen);
	if (!f)
		f = search(sqlv_json_funcs, sqlv_njson_funcs, name, len, argc, &seen);
	if (!f)
		f = search(sqlv_vec_funcs, sqlv_nvec_funcs, name, len, argc, &seen);
	if (!f && seen)
		*wrong_args = 1;
	return f;
}
