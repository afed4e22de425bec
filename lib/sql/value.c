/*
 * value.c - SQL values with SQLite's rules: declared-type affinity and
 * applying it, comparison affinity, the total order under BINARY/NOCASE/
 * RTRIM, hashing consistent with that order, truth, text <-> number
 * conversions, CAST, arithmetic and bit operators, ||, LIKE and GLOB.
 *
 * DESIGN. Every conversion follows the routine SQLite uses for it, so
 * that corner cases agree: text to number by sqlite3AtoF/sqlite3Atoi64
 * (longest numeric prefix, white space around, no hex), arithmetic
 * operands typed as OP_Add types them (an integer-looking text is an
 * INTEGER, "1.5x" a REAL), integer results that overflow int64 redone in
 * double, NaN results as NULL. The value of a decimal text is computed
 * as sqlite3AtoF computes it (not by strtod: SQLite's long double
 * scaling differs from correct rounding in the last bit of some inputs,
 * and quote() tests its output by reading it back that way).
 */
#include "sql/vpriv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/ast.h"
#include "util/hash.h"

/* ------------------------------------------------------------ numbers */

int sqlv_atof(const char *z0, size_t n, double *out)
{
	const unsigned char *z = (const unsigned char *)z0, *end = z + n;
	int sign = 1, d = 0, esign = 1, e = 0, evalid = 1, ndigit = 0, etype = 1;
	int64_t s = 0;
	double result;

	*out = 0.0;
	while (z < end && sqlv_isspace(*z))
		z++;
	if (z >= end)
		return 0;
	if (*z == '-') {
		sign = -1;
		z++;
	} else if (*z == '+') {
		z++;
	}
	while (z < end && *z >= '0' && *z <= '9') {
		s = s * 10 + (*z - '0');
		z++;
		ndigit++;
		if (s >= (INT64_MAX - 9) / 10)
			while (z < end && *z >= '0' && *z <= '9') {
				z++;
				d++;
			}
	}
	if (z >= end)
		goto calc;
	if (*z == '.') {
		z++;
		etype++;
		while (z < end && *z >= '0' && *z <= '9') {
			if (s < (INT64_MAX - 9) / 10) {
				s = s * 10 + (*z - '0');
				d--;
				ndigit++;
			}
			z++;
		}
	}
	if (z >= end)
		goto calc;
	if (*z == 'e' || *z == 'E') {
		z++;
		evalid = 0;
		etype++;
		if (z >= end)
			goto calc;
		if (*z == '-') {
			esign = -1;
			z++;
		} else if (*z == '+') {
			z++;
		}
		while (z < end && *z >= '0' && *z <= '9') {
			e = e < 10000 ? e * 10 + (*z - '0') : 10000;
			z++;
			evalid = 1;
		}
	}
	while (z < end && sqlv_isspace(*z))
		z++;
calc:
	/* SQLite's own conversion (not strtod): the significand's first 18
	 * or so digits times a power of ten built in long double */
	e = e * esign + d;
	if (e < 0) {
		esign = -1;
		e = -e;
	} else {
		esign = 1;
	}
	if (s == 0) {
		result = sign < 0 ? -0.0 : 0.0;
	} else {
		while (e > 0) {
			if (esign > 0) {
				if (s >= INT64_MAX / 10)
					break;
				s *= 10;
			} else {
				if (s % 10 != 0)
					break;
				s /= 10;
			}
			e--;
		}
		s = sign < 0 ? -s : s;
		if (e == 0) {
			result = (double)s;
		} else {
			long double scale = 1.0;
			if (e > 307) {
				if (e < 342) {
					while (e % 308) {
						scale *= 1.0e+1;
						e -= 1;
					}
					if (esign < 0) {
						result = (double)(s / scale);
						result /= 1.0e+308;
					} else {
						result = (double)(s * scale);
						result *= 1.0e+308;
					}
				} else {
					result = esign < 0 ? 0.0 * (double)s : INFINITY * (double)s;
				}
			} else {
				while (e % 22) {
					scale *= 1.0e+1;
					e -= 1;
				}
				while (e > 0) {
					scale *= 1.0e+22;
					e -= 22;
				}
				result = (double)(esign < 0 ? s / scale : s * scale);
			}
		}
	}
	*out = result;
	if (z == end && ndigit > 0 && evalid && etype > 0)
		return etype;
	if (etype >= 2 && (etype == 3 || evalid) && ndigit > 0)
		return -1;
	return 0;
}

/* Compares the 19 digits at z with 9223372036854775808 (2^63). */
static int cmp_2pow63(const char *z)
{
	static const char pow63[] = "922337203685477580";
	int c = 0;
	for (int i = 0; c == 0 && i < 18; i++)
		c = (z[i] - pow63[i]) * 10;
	if (c == 0)
		c = z[18] - '8';
	return c;
}

int sqlv_atoi64(const char *z0, size_t n, int64_t *out)
{
	const char *z = z0, *end = z0 + n, *start;
	int neg = 0, rc = 0;
	uint64_t u = 0;
	size_t i;

	while (z < end && sqlv_isspace((unsigned char)*z))
		z++;
	if (z < end) {
		if (*z == '-') {
			neg = 1;
			z++;
		} else if (*z == '+') {
			z++;
		}
	}
	start = z;
	while (z < end && *z == '0')
		z++;
	for (i = 0; z + i < end && z[i] >= '0' && z[i] <= '9'; i++)
		u = u * 10 + (uint64_t)(z[i] - '0');
	if (u > (uint64_t)INT64_MAX)
		*out = neg ? INT64_MIN : INT64_MAX;
	else if (neg)
		*out = -(int64_t)u;
	else
		*out = (int64_t)u;
	if (i == 0 && start == z) {
		rc = -1;
	} else if (z + i < end) {
		for (size_t j = i; z + j < end; j++) {
			if (!sqlv_isspace((unsigned char)z[j])) {
				rc = 1;
				break;
			}
		}
	}
	if (i < 19)
		return rc;
	int c = i > 19 ? 1 : cmp_2pow63(z);
	if (c < 0)
		return rc;
	*out = neg ? INT64_MIN : INT64_MAX;
	if (c > 0)
		return 2;
	return neg ? rc : 3;
}

int64_t sqlv_dtoi(double r)
{
	if (r <= -9223372036854775808.0)
		return INT64_MIN;
	if (r >= 9223372036854775808.0)
		return INT64_MAX;
	if (r != r)
		return 0;
	return (int64_t)r;
}

int sqlv_real_same_as_int(double r, int64_t i)
{
	double r2 = (double)i;
	return r == 0.0 || (memcmp(&r, &r2, sizeof(r)) == 0 &&
			    i >= -2251799813685248LL && i < 2251799813685248LL);
}

char *sqlv_dup(struct sdb_sql_arena *mem, const char *z, size_t n)
{
	char *p = sdb_sql_arena_alloc(mem, n + 1);
	if (p && n)
		memcpy(p, z, n);
	return p;
}

size_t sql_real_fmt(double r, char *buf)
{
	static const struct sqlv_fflags bang = { .alt2 = 1 };
	char tmp[sizeof(double) * 0 + 400];
	size_t n = sqlv_float_conv(tmp, r, 'g', 15, 0, &bang);
	if (n > 31)
		n = 31;
	memcpy(buf, tmp, n);
	buf[n] = 0;
	return n;
}

static size_t int_fmt(int64_t i, char *buf)
{
	char t[24];
	size_t n = 0;
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	size_t k = 0;
	if (i < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = t[--n];
	buf[k] = 0;
	return k;
}

int sql_value_text(const struct sql_value *v, struct sdb_sql_arena *mem,
		   struct sql_value *out)
{
	char buf[32];
	size_t n;

	switch (v->type) {
	case SQLV_TEXT:
	case SQLV_BLOB:
		*out = sql_text(v->u.z, v->n);
		return 0;
	case SQLV_INT:
		n = int_fmt(v->u.i, buf);
		break;
	case SQLV_REAL:
		n = sql_real_fmt(v->u.r, buf);
		break;
	default:
		*out = sql_null();
		return 0;
	}
	char *p = sqlv_dup(mem, buf, n);
	if (!p)
		return SDB_ENOMEM;
	*out = sql_text(p, n);
	return 0;
}

int sqlv_bytes(const struct sql_value *v, struct sdb_sql_arena *mem,
	       const char **z, size_t *n)
{
	struct sql_value t;
	if (v->type == SQLV_NULL) {
		*z = NULL;
		*n = 0;
		return 0;
	}
	int rc = sql_value_text(v, mem, &t);
	if (rc)
		return rc;
	*z = t.u.z;
	*n = t.n;
	return 0;
}

int64_t sql_value_to_int(const struct sql_value *v)
{
	int64_t i = 0;
	switch (v->type) {
	case SQLV_INT:
		return v->u.i;
	case SQLV_REAL:
		return sqlv_dtoi(v->u.r);
	case SQLV_TEXT:
	case SQLV_BLOB:
		sqlv_atoi64(v->u.z, v->n, &i);
		return i;
	default:
		return 0;
	}
}

double sql_value_to_real(const struct sql_value *v)
{
	double r = 0.0;
	switch (v->type) {
	case SQLV_INT:
		return (double)v->u.i;
	case SQLV_REAL:
		return v->u.r;
	case SQLV_TEXT:
	case SQLV_BLOB:
		sqlv_atof(v->u.z, v->n, &r);
		return r;
	default:
		return 0.0;
	}
}

/* OP_Add's computeNumericType. */
struct sql_value sql_value_numeric(const struct sql_value *v)
{
	if (v->type != SQLV_TEXT && v->type != SQLV_BLOB)
		return *v;
	double r;
	int64_t ix;
	int rc = sqlv_atof(v->u.z, v->n, &r);
	if (rc <= 0) {
		if (rc == 0 && sqlv_atoi64(v->u.z, v->n, &ix) <= 1)
			return sql_int(ix);
		return sql_real(r);
	}
	if (rc == 1 && sqlv_atoi64(v->u.z, v->n, &ix) == 0)
		return sql_int(ix);
	return sql_real(r);
}

/* ------------------------------------------------------------ affinity */

enum sql_aff sql_affinity_of(const char *decl)
{
	if (!decl || !*decl)
		return SQL_AFF_BLOB;
	enum sql_aff aff = SQL_AFF_NUMERIC;
	uint32_t h = 0;
	for (const unsigned char *z = (const unsigned char *)decl; *z; z++) {
		unsigned char c = *z;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h << 8) + c;
#define W(a, b, c_, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c_) << 8) | (uint32_t)(d))
		if (h == W('c', 'h', 'a', 'r') || h == W('c', 'l', 'o', 'b') ||
		    h == W('t', 'e', 'x', 't')) {
			aff = SQL_AFF_TEXT;
		} else if (h == W('b', 'l', 'o', 'b') &&
			   (aff == SQL_AFF_NUMERIC || aff == SQL_AFF_REAL)) {
			aff = SQL_AFF_BLOB;
		} else if ((h == W('r', 'e', 'a', 'l') || h == W('f', 'l', 'o', 'a') ||
			    h == W('d', 'o', 'u', 'b')) && aff == SQL_AFF_NUMERIC) {
			aff = SQL_AFF_REAL;
		} else if ((h & 0x00FFFFFF) == W(0, 'i', 'n', 't')) {
			return SQL_AFF_INTEGER;
		}
#undef W
	}
	return aff;
}

static int ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return *a == *b;
}

int sql_coll_find(const char *name, enum sql_coll *out, struct sdb_error *e)
{
	if (ascii_ieq(name, "binary"))
		*out = SQL_COLL_BINARY;
	else if (ascii_ieq(name, "nocase"))
		*out = SQL_COLL_NOCASE;
	else if (ascii_ieq(name, "rtrim"))
		*out = SQL_COLL_RTRIM;
	else
		return sdb_error_set(e, SDB_ENOTFOUND,
				     "no such collation sequence: %s", name);
	return 0;
}

/* sqlite3VdbeIntegerAffinity: a REAL that is an exact integer (strictly
 * inside the int64 range) becomes INTEGER. */
static void integer_affinity(struct sql_value *v)
{
	int64_t ix = sqlv_dtoi(v->u.r);
	if (v->u.r == (double)ix && ix > INT64_MIN && ix < INT64_MAX)
		*v = sql_int(ix);
}

/* applyNumericAffinity(v, 1) on a TEXT. */
static void numeric_affinity(struct sql_value *v)
{
	double r;
	int64_t ix;
	int rc = sqlv_atof(v->u.z, v->n, &r);
	if (rc <= 0)
		return;
	if (rc == 1) {
		ix = sqlv_dtoi(r);
		if (sqlv_real_same_as_int(r, ix) ||
		    sqlv_atoi64(v->u.z, v->n, &ix) == 0) {
			*v = sql_int(ix);
			return;
		}
	}
	*v = sql_real(r);
	integer_affinity(v);
}

int sql_value_apply_aff(struct sql_value *v, enum sql_aff aff,
			struct sdb_sql_arena *mem)
{
	switch (aff) {
	case SQL_AFF_NUMERIC:
	case SQL_AFF_INTEGER:
	case SQL_AFF_REAL:
		if (v->type == SQLV_TEXT)
			numeric_affinity(v);
		else if (v->type == SQLV_REAL && aff != SQL_AFF_REAL)
			integer_affinity(v);
		if (aff == SQL_AFF_REAL && v->type == SQLV_INT)
			*v = sql_real((double)v->u.i);
		return 0;
	case SQL_AFF_TEXT:
		if (v->type == SQLV_INT || v->type == SQLV_REAL)
			return sql_value_text(v, mem, v);
		return 0;
	default:
		return 0;
	}
}

static int is_numeric_aff(enum sql_aff a)
{
	return a == SQL_AFF_NUMERIC || a == SQL_AFF_INTEGER || a == SQL_AFF_REAL;
}

void sql_cmp_affinity(enum sql_aff la, enum sql_aff ra, enum sql_aff *apply_l,
		      enum sql_aff *apply_r)
{
	enum sql_aff a;
	if (la && ra) {
		a = is_numeric_aff(la) || is_numeric_aff(ra) ? SQL_AFF_NUMERIC : 0;
	} else {
		a = la ? la : ra;
		if (a == SQL_AFF_BLOB)
			a = 0;
	}
	*apply_l = a;
	*apply_r = a;
}

/* ------------------------------------------------------------ compare */

/* i vs r exactly (r not NaN). */
static int int_real_cmp(int64_t i, double r)
{
	if (r < -9223372036854775808.0)
		return 1;
	if (r >= 9223372036854775808.0)
		return -1;
	int64_t y = (int64_t)r; /* truncation toward zero, exact range */
	if (i < y)
		return -1;
	if (i > y)
		return 1;
	double fy = (double)y;
	if (r > fy)
		return -1;
	if (r < fy)
		return 1;
	return 0;
}

static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int text_cmp(const char *a, size_t na, const char *b, size_t nb,
		    enum sql_coll coll)
{
	if (coll == SQL_COLL_RTRIM) {
		while (na && a[na - 1] == ' ')
			na--;
		while (nb && b[nb - 1] == ' ')
			nb--;
	}
	size_t m = na < nb ? na : nb;
	int c = 0;
	if (coll == SQL_COLL_NOCASE) {
		for (size_t i = 0; i < m && c == 0; i++)
			c = (int)lower((unsigned char)a[i]) - (int)lower((unsigned char)b[i]);
	} else if (m) {
		c = memcmp(a, b, m);
	}
	if (c)
		return c;
	return na < nb ? -1 : na > nb;
}

int sql_value_cmp(const struct sql_value *a, const struct sql_value *b,
		  enum sql_coll coll)
{
	int ta = a->type, tb = b->type;
	int ca = ta == SQLV_REAL ? SQLV_INT : ta, cb = tb == SQLV_REAL ? SQLV_INT : tb;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	switch (ta) {
	case SQLV_NULL:
		return 0;
	case SQLV_INT:
		if (tb == SQLV_INT)
			return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
		return int_real_cmp(a->u.i, b->u.r);
	case SQLV_REAL:
		if (tb == SQLV_INT)
			return -int_real_cmp(b->u.i, a->u.r);
		return a->u.r < b->u.r ? -1 : a->u.r > b->u.r;
	case SQLV_TEXT:
		return text_cmp(a->u.z, a->n, b->u.z, b->n, coll);
	default:
		return text_cmp(a->u.z, a->n, b->u.z, b->n, SQL_COLL_BINARY);
	}
}

uint64_t sql_value_hash(const struct sql_value *v, enum sql_coll coll)
{
	uint64_t h;
	switch (v->type) {
	case SQLV_NULL:
		return 0x6e756c6cull;
	case SQLV_INT:
		h = (uint64_t)v->u.i;
		break;
	case SQLV_REAL: {
		double r = v->u.r;
		if (r >= -9223372036854775808.0 && r < 9223372036854775808.0 &&
		    r == floor(r)) {
			h = (uint64_t)(int64_t)r;
		} else {
			memcpy(&h, &r, 8);
			h ^= 0x5555555555555555ull;
		}
		break;
	}
	case SQLV_TEXT: {
		size_t n = v->n;
		if (coll == SQL_COLL_RTRIM)
			while (n && v->u.z[n - 1] == ' ')
				n--;
		if (coll == SQL_COLL_NOCASE) {
			h = 0xcbf29ce484222325ull ^ n;
			for (size_t i = 0; i < n; i++)
				h = (h ^ lower((unsigned char)v->u.z[i])) * 0x100000001b3ull;
		} else {
			h = sdb_hash_short(v->u.z, n);
		}
		return h ^ 0x7465787400000000ull;
	}
	default:
		return sdb_hash_short(v->u.z, v->n) ^ 0x626c6f6200000000ull;
	}
	h *= 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}

int sql_value_truth(const struct sql_value *v)
{
	switch (v->type) {
	case SQLV_NULL:
		return -1;
	case SQLV_INT:
		return v->u.i != 0;
	default:
		return sql_value_to_real(v) != 0.0;
	}
}

/* ------------------------------------------------------------ cast */

int sql_value_cast(const struct sql_value *v, const char *type,
		   struct sdb_sql_arena *mem, struct sql_value *out)
{
	enum sql_aff aff = sql_affinity_of(type);
	if (v->type == SQLV_NULL) {
		*out = *v;
		return 0;
	}
	switch (aff) {
	case SQL_AFF_BLOB:
		if (v->type == SQLV_BLOB) {
			*out = *v;
			return 0;
		}
		if (sql_value_text(v, mem, out))
			return SDB_ENOMEM;
		out->type = SQLV_BLOB;
		return 0;
	case SQL_AFF_TEXT:
		if (sql_value_text(v, mem, out))
			return SDB_ENOMEM;
		out->type = SQLV_TEXT;
		return 0;
	case SQL_AFF_INTEGER:
		*out = sql_int(sql_value_to_int(v));
		return 0;
	case SQL_AFF_REAL:
		*out = sql_real(sql_value_to_real(v));
		return 0;
	default: /* NUMERIC: sqlite3VdbeMemNumerify */
		if (v->type == SQLV_TEXT || v->type == SQLV_BLOB) {
			double r;
			int64_t ix;
			int rc = sqlv_atof(v->u.z, v->n, &r);
			if ((rc == 0 || rc == 1) && sqlv_atoi64(v->u.z, v->n, &ix) <= 1) {
				*out = sql_int(ix);
			} else {
				ix = sqlv_dtoi(r);
				if (sqlv_real_same_as_int(r, ix))
					*out = sql_int(ix);
				else
					*out = sql_real(r);
			}
			return 0;
		}
		*out = *v;
		return 0;
	}
}

int sql_value_copy(struct sql_value *v, struct sdb_sql_arena *mem)
{
	if (v->type != SQLV_TEXT && v->type != SQLV_BLOB)
		return 0;
	char *p = sqlv_dup(mem, v->u.z, v->n);
	if (!p)
		return SDB_ENOMEM;
	v->u.z = p;
	return 0;
}

/* ------------------------------------------------------------ operators */

static int concat(const struct sql_value *a, const struct sql_value *b,
		  struct sdb_sql_arena *mem, struct sql_value *out)
{
	struct sql_value ta, tb;
	if (sql_value_text(a, mem, &ta) || sql_value_text(b, mem, &tb))
		return SDB_ENOMEM;
	size_t n = (size_t)ta.n + tb.n;
	char *p = sdb_sql_arena_alloc(mem, n + 1);
	if (!p)
		return SDB_ENOMEM;
	if (ta.n)
		memcpy(p, ta.u.z, ta.n);
	if (tb.n)
		memcpy(p + ta.n, tb.u.z, tb.n);
	*out = sql_text(p, n);
	return 0;
}

static int64_t shift(int op, int64_t a, int64_t b)
{
	uint64_t u;
	if (b == 0)
		return a;
	if (b < 0) {
		op = op == SQL_OP_LSHIFT ? SQL_OP_RSHIFT : SQL_OP_LSHIFT;
		b = b > -64 ? -b : 64;
	}
	if (b >= 64)
		return (a >= 0 || op == SQL_OP_LSHIFT) ? 0 : -1;
	memcpy(&u, &a, 8);
	if (op == SQL_OP_LSHIFT) {
		u <<= b;
	} else {
		u >>= b;
		if (a < 0)
			u |= UINT64_MAX << (64 - b);
	}
	memcpy(&a, &u, 8);
	return a;
}

static int cmp_op(int op, const struct sql_value *a, const struct sql_value *b,
		  struct sql_value *out)
{
	int isop = op == SQL_OP_IS || op == SQL_OP_ISNOT ||
		   op == SQL_OP_ISNOTDISTINCT || op == SQL_OP_ISDISTINCT;
	if (!isop && (a->type == SQLV_NULL || b->type == SQLV_NULL)) {
		*out = sql_null();
		return 0;
	}
	int c = sql_value_cmp(a, b, SQL_COLL_BINARY), r;
	switch (op) {
	case SQL_OP_EQ: case SQL_OP_IS: case SQL_OP_ISNOTDISTINCT: r = c == 0; break;
	case SQL_OP_NE: case SQL_OP_ISNOT: case SQL_OP_ISDISTINCT: r = c != 0; break;
	case SQL_OP_LT: r = c < 0; break;
	case SQL_OP_LE: r = c <= 0; break;
	case SQL_OP_GT: r = c > 0; break;
	default: r = c >= 0; break;
	}
	*out = sql_int(r);
	return 0;
}

int sql_value_binop(int op, const struct sql_value *a,
		    const struct sql_value *b, struct sdb_sql_arena *mem,
		    struct sql_value *out, struct sdb_error *e)
{
	switch (op) {
	case SQL_OP_AND: {
		int x = sql_value_truth(a), y = sql_value_truth(b);
		*out = (x == 0 || y == 0) ? sql_int(0) : (x < 0 || y < 0) ? sql_null() : sql_int(1);
		return 0;
	}
	case SQL_OP_OR: {
		int x = sql_value_truth(a), y = sql_value_truth(b);
		*out = (x == 1 || y == 1) ? sql_int(1) : (x < 0 || y < 0) ? sql_null() : sql_int(0);
		return 0;
	}
	case SQL_OP_EQ: case SQL_OP_NE: case SQL_OP_LT: case SQL_OP_LE:
	case SQL_OP_GT: case SQL_OP_GE: case SQL_OP_IS: case SQL_OP_ISNOT:
	case SQL_OP_ISDISTINCT: case SQL_OP_ISNOTDISTINCT:
		return cmp_op(op, a, b, out);
	default:
		break;
	}
	if (a->type == SQLV_NULL || b->type == SQLV_NULL) {
		*out = sql_null();
		return 0;
	}
	switch (op) {
	case SQL_OP_CONCAT:
		return concat(a, b, mem, out);
	case SQL_OP_BITAND:
		*out = sql_int(sql_value_to_int(a) & sql_value_to_int(b));
		return 0;
	case SQL_OP_BITOR:
		*out = sql_int(sql_value_to_int(a) | sql_value_to_int(b));
		return 0;
	case SQL_OP_LSHIFT:
	case SQL_OP_RSHIFT:
		*out = sql_int(shift(op, sql_value_to_int(a), sql_value_to_int(b)));
		return 0;
	case SQL_OP_ADD: case SQL_OP_SUB: case SQL_OP_MUL: case SQL_OP_DIV:
	case SQL_OP_REM:
		break;
	default:
		return sdb_error_set(e, SDB_EUNSUPPORTED, "unsupported operator");
	}
	struct sql_value x = sql_value_numeric(a), y = sql_value_numeric(b);
	if (x.type == SQLV_INT && y.type == SQLV_INT) {
		int64_t i = x.u.i, j = y.u.i, r;
		switch (op) {
		case SQL_OP_ADD:
			if (__builtin_add_overflow(i, j, &r))
				goto fp;
			break;
		case SQL_OP_SUB:
			if (__builtin_sub_overflow(i, j, &r))
				goto fp;
			break;
		case SQL_OP_MUL:
			if (__builtin_mul_overflow(i, j, &r))
				goto fp;
			break;
		case SQL_OP_DIV:
			if (j == 0) {
				*out = sql_null();
				return 0;
			}
			if (j == -1 && i == INT64_MIN)
				goto fp;
			r = i / j;
			break;
		default:
			if (j == 0) {
				*out = sql_null();
				return 0;
			}
			if (j == -1)
				j = 1;
			r = i % j;
			break;
		}
		*out = sql_int(r);
		return 0;
	}
fp:;
	double ra = sql_value_to_real(&x), rb = sql_value_to_real(&y), r;
	switch (op) {
	case SQL_OP_ADD: r = ra + rb; break;
	case SQL_OP_SUB: r = ra - rb; break;
	case SQL_OP_MUL: r = ra * rb; break;
	case SQL_OP_DIV:
		if (rb == 0.0) {
			*out = sql_null();
			return 0;
		}
		r = ra / rb;
		break;
	default: { /* the operands' own integer values (text by its prefix) */
		int64_t i = sql_value_to_int(a), j = sql_value_to_int(b);
		if (j == 0) {
			*out = sql_null();
			return 0;
		}
		if (j == -1)
			j = 1;
		r = (double)(i % j);
		break;
	}
	}
	*out = isnan(r) ? sql_null() : sql_real(r);
	return 0;
}

int sql_value_unop(int op, const struct sql_value *a, struct sql_value *out,
		   struct sdb_error *e)
{
	switch (op) {
	case SQL_OP_POS:
		*out = *a;
		return 0;
	case SQL_OP_NOT: {
		int t = sql_value_truth(a);
		*out = t < 0 ? sql_null() : sql_int(!t);
		return 0;
	}
	case SQL_OP_BITNOT:
		*out = a->type == SQLV_NULL ? sql_null() : sql_int(~sql_value_to_int(a));
		return 0;
	case SQL_OP_NEG: {
		struct sql_value zero = sql_int(0);
		return sql_value_binop(SQL_OP_SUB, &zero, a, NULL, out, e);
	}
	default:
		return sdb_error_set(e, SDB_EUNSUPPORTED, "unsupported operator");
	}
}

/* ------------------------------------------------------------ literals */

int sql_value_int_literal(const char *text, int neg, struct sql_value *out,
			  struct sdb_error *e)
{
	size_t n = strlen(text);
	if (n > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		uint64_t u = 0;
		size_t i = 2;
		while (i < n && text[i] == '0')
			i++;
		if (n - i > 16)
			return sdb_error_set(e, SDB_EPARSE, "hex literal too big: %s%s",
					     neg ? "-" : "", text);
		for (; i < n; i++) {
			unsigned char c = (unsigned char)text[i];
			u = u * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
		}
		int64_t v;
		memcpy(&v, &u, 8);
		if (neg) {
			if (v == INT64_MIN)
				return sdb_error_set(e, SDB_EPARSE, "hex literal too big: -%s", text);
			v = -v;
		}
		*out = sql_int(v);
		return 0;
	}
	int64_t v;
	int rc = sqlv_atoi64(text, n, &v);
	if (rc == 0) {
		*out = sql_int(neg ? -v : v);
		return 0;
	}
	if (rc == 3 && neg) {
		*out = sql_int(INT64_MIN);
		return 0;
	}
	double r = 0;
	sqlv_atof(text, n, &r);
	*out = sql_real(neg ? -r : r);
	return 0;
}

/* ------------------------------------------------------------ LIKE/GLOB */

uint32_t sqlv_utf8_read(const unsigned char **pz, const unsigned char *end)
{
	static const unsigned char trans1[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x00, 0x01, 0x02, 0x03, 0x00, 0x01, 0x00, 0x00,
	};
	const unsigned char *z = *pz;
	if (z >= end)
		return 0;
	uint32_t c = *z++;
	if (c >= 0xc0) {
		c = trans1[c - 0xc0];
		while (z < end && (*z & 0xc0) == 0x80)
			c = (c << 6) + (0x3f & *z++);
		if (c < 0x80 || (c & 0xFFFFF800) == 0xD800 || (c & 0xFFFFFFFE) == 0xFFFE)
			c = 0xFFFD;
	}
	*pz = z;
	return c;
}

int sqlv_utf8_put(uint32_t c, char *o)
{
	unsigned char *z = (unsigned char *)o;
	if (c < 0x80) {
		z[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		z[0] = (unsigned char)(0xC0 + ((c >> 6) & 0x1F));
		z[1] = (unsigned char)(0x80 + (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		z[0] = (unsigned char)(0xE0 + ((c >> 12) & 0x0F));
		z[1] = (unsigned char)(0x80 + ((c >> 6) & 0x3F));
		z[2] = (unsigned char)(0x80 + (c & 0x3F));
		return 3;
	}
	z[0] = (unsigned char)(0xF0 + ((c >> 18) & 0x07));
	z[1] = (unsigned char)(0x80 + ((c >> 12) & 0x3F));
	z[2] = (unsigned char)(0x80 + ((c >> 6) & 0x3F));
	z[3] = (unsigned char)(0x80 + (c & 0x3F));
	return 4;
}

enum { MATCH = 0, NOMATCH = 1, NOWILDCARDMATCH = 2 };

struct pinfo {
	uint32_t all, one, other; /* '%'/'*', '_'/'?', escape or '[' */
	int glob, nocase;
	const unsigned char *pend, *send; /* a NUL byte ends either, as in C */
};

static inline uint32_t rd(const unsigned char **z, const unsigned char *end)
{
	if (*z >= end || **z == 0)
		return 0;
	if (**z < 0x80)
		return *(*z)++;
	return sqlv_utf8_read(z, end);
}

static inline int at_end(const unsigned char *z, const unsigned char *end)
{
	return z >= end || *z == 0;
}

/* SQLite's patternCompare, over byte ranges. */
static int pattern(const unsigned char *p, const unsigned char *s,
		   const struct pinfo *pi)
{
	const unsigned char *pend = pi->pend, *send = pi->send, *escaped = NULL;
	uint32_t c, c2;

	while ((c = rd(&p, pend)) != 0) {
		if (c == pi->all) {
			while ((c = rd(&p, pend)) == pi->all || c == pi->one) {
				if (c == pi->one && rd(&s, send) == 0)
					return NOWILDCARDMATCH;
			}
			if (c == 0)
				return MATCH;
			if (c == pi->other) {
				if (!pi->glob) {
					c = rd(&p, pend);
					if (c == 0)
						return NOWILDCARDMATCH;
				} else {
					while (!at_end(s, send)) {
						int m = pattern(p - 1, s, pi);
						if (m != NOMATCH)
							return m;
						rd(&s, send);
					}
					return NOWILDCARDMATCH;
				}
			}
			if (c < 0x80) {
				unsigned char up = (unsigned char)c, lo = (unsigned char)c;
				if (pi->nocase) {
					up = (unsigned char)(c >= 'a' && c <= 'z' ? c - 32 : c);
					lo = lower((unsigned char)c);
				}
				for (;;) {
					while (!at_end(s, send) && *s != up && *s != lo)
						s++;
					if (at_end(s, send))
						break;
					s++;
					int m = pattern(p, s, pi);
					if (m != NOMATCH)
						return m;
				}
			} else {
				while ((c2 = rd(&s, send)) != 0) {
					if (c2 != c)
						continue;
					int m = pattern(p, s, pi);
					if (m != NOMATCH)
						return m;
				}
			}
			return NOWILDCARDMATCH;
		}
		if (c == pi->other) {
			if (!pi->glob) {
				c = rd(&p, pend);
				if (c == 0)
					return NOMATCH;
				escaped = p;
			} else {
				uint32_t prior = 0;
				int seen = 0, invert = 0;
				c = rd(&s, send);
				if (c == 0)
					return NOMATCH;
				c2 = rd(&p, pend);
				if (c2 == '^') {
					invert = 1;
					c2 = rd(&p, pend);
				}
				if (c2 == ']') {
					if (c == ']')
						seen = 1;
					c2 = rd(&p, pend);
				}
				while (c2 && c2 != ']') {
					if (c2 == '-' && !at_end(p, pend) && *p != ']' && prior > 0) {
						c2 = rd(&p, pend);
						if (c >= prior && c <= c2)
							seen = 1;
						prior = 0;
					} else {
						if (c == c2)
							seen = 1;
						prior = c2;
					}
					c2 = rd(&p, pend);
				}
				if (c2 == 0 || (seen ^ invert) == 0)
					return NOMATCH;
				continue;
			}
		}
		c2 = rd(&s, send);
		if (c == c2)
			continue;
		if (pi->nocase && c < 0x80 && c2 < 0x80 &&
		    lower((unsigned char)c) == lower((unsigned char)c2))
			continue;
		if (c == pi->one && p != escaped && c2 != 0)
			continue;
		return NOMATCH;
	}
	return at_end(s, send) ? MATCH : NOMATCH;
}

int sql_like(const char *pat, size_t np, const char *s, size_t ns, uint32_t esc)
{
	struct pinfo pi = { '%', '_', esc, 0, 1,
			    (const unsigned char *)pat + np,
			    (const unsigned char *)s + ns };
	return pattern((const unsigned char *)pat, (const unsigned char *)s, &pi) == MATCH;
}

int sql_glob(const char *pat, size_t np, const char *s, size_t ns)
{
	struct pinfo pi = { '*', '?', '[', 1, 0,
			    (const unsigned char *)pat + np,
			    (const unsigned char *)s + ns };
	return pattern((const unsigned char *)pat, (const unsigned char *)s, &pi) == MATCH;
}
