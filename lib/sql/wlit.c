/*
 * wlit.c - constant expressions of the write side (DEFAULT values, the
 * literal rows of INSERT ... VALUES): literals, signed numbers, NULL;
 * affinity and collation names. A small stand-in until value.c and
 * exec.h serve them (then these forward there).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/wint.h"

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decimal integer text to INT, or REAL when it overflows. */
static struct sql_value int_text(const char *z, int neg)
{
	uint64_t v = 0;
	int over = 0;

	if (z[0] == '0' && (z[1] == 'x' || z[1] == 'X')) {
		for (const char *p = z + 2; *p; p++)
			v = v << 4 | (uint64_t)hexval(*p);
		return sql_int(neg ? (int64_t)(0 - v) : (int64_t)v);
	}
	for (const char *p = z; *p; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			over = 1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!over && (v <= (uint64_t)INT64_MAX || (neg && v == (uint64_t)INT64_MAX + 1)))
		return sql_int(neg ? (int64_t)(0 - v) : (int64_t)v);
	return sql_real(neg ? -strtod(z, NULL) : strtod(z, NULL));
}

int sql_w_const(const struct sql_expr *x, struct sdb_sql_arena *mem,
		struct sql_value *out)
{
	int neg = 0;

	while (x && x->kind == SQL_E_UNARY && (x->op == SQL_OP_NEG || x->op == SQL_OP_POS)) {
		if (x->op == SQL_OP_NEG)
			neg = !neg;
		x = x->left;
	}
	if (!x)
		return 0;
	switch (x->kind) {
	case SQL_E_NULL:
		*out = sql_null();
		return 1;
	case SQL_E_INTEGER:
		*out = int_text(x->text, neg);
		return 1;
	case SQL_E_FLOAT:
		*out = sql_real(neg ? -strtod(x->text, NULL) : strtod(x->text, NULL));
		return 1;
	case SQL_E_STRING:
		if (neg)
			return 0;
		*out = sql_text(x->text, strlen(x->text));
		return 1;
	case SQL_E_BLOB: {
		size_t n = strlen(x->text) / 2;
		unsigned char *b;
		if (neg)
			return 0;
		b = sdb_sql_arena_alloc(mem, n + 1);
		if (!b)
			return SDB_ENOMEM;
		for (size_t i = 0; i < n; i++)
			b[i] = (unsigned char)(hexval(x->text[2 * i]) << 4 | hexval(x->text[2 * i + 1]));
		*out = sql_blob(b, n);
		return 1;
	}
	default:
		return 0;
	}
}

enum sql_aff sql_w_affinity(const char *decl)
{
	char up[256];
	size_t n;

	if (!decl)
		return SQL_AFF_BLOB;
	n = strlen(decl);
	if (n >= sizeof(up))
		n = sizeof(up) - 1;
	for (size_t i = 0; i < n; i++)
		up[i] = (char)toupper((unsigned char)decl[i]);
	up[n] = 0;
	if (strstr(up, "INT"))
		return SQL_AFF_INTEGER;
	if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
		return SQL_AFF_TEXT;
	if (strstr(up, "BLOB") || !n)
		return SQL_AFF_BLOB;
	if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
		return SQL_AFF_REAL;
	return SQL_AFF_NUMERIC;
}

int sql_w_coll(const char *name, enum sql_coll *out, struct sdb_error *e)
{
	if (!strcasecmp(name, "BINARY"))
		*out = SQL_COLL_BINARY;
	else if (!strcasecmp(name, "NOCASE"))
		*out = SQL_COLL_NOCASE;
	else if (!strcasecmp(name, "RTRIM"))
		*out = SQL_COLL_RTRIM;
	else
		return sdb_error_set(e, SDB_ENOTFOUND, "no such collation sequence: %s", name);
	return 0;
}

/* TEXT that is a number as a whole (white space around allowed), as
 * SQLite's affinity conversion sees it: *out INT or REAL. */
static int text_number(const char *z, size_t n, struct sql_value *out)
{
	char buf[400], *end;
	size_t a = 0, b = n, i;
	int isint = 1, digits = 0;

	while (a < b && isspace((unsigned char)z[a]))
		a++;
	while (b > a && isspace((unsigned char)z[b - 1]))
		b--;
	if (a == b || b - a >= sizeof(buf))
		return 0;
	memcpy(buf, z + a, b - a);
	buf[b - a] = 0;
	i = 0;
	if (buf[i] == '+' || buf[i] == '-')
		i++;
	for (; buf[i]; i++) {
		if (isdigit((unsigned char)buf[i]))
			digits++;
		else if (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E' ||
			 ((buf[i] == '+' || buf[i] == '-') && (buf[i - 1] == 'e' || buf[i - 1] == 'E')))
			isint = 0;
		else
			return 0;
	}
	if (!digits)
		return 0;
	if (isint) {
		errno = 0;
		long long v = strtoll(buf, &end, 10);
		if (!*end && errno != ERANGE) {
			*out = sql_int(v);
			return 1;
		}
	}
	errno = 0;
	double d = strtod(buf, &end);
	if (*end)
		return 0;
	*out = sql_real(d);
	return 1;
}

static int real_is_int(double r, int64_t *out)
{
	if (r >= -9223372036854775808.0 && r < 9223372036854775808.0 && r == floor(r)) {
		*out = (int64_t)r;
		return 1;
	}
	return 0;
}

int sql_w_apply_aff(struct sql_value *v, enum sql_aff aff, struct sdb_sql_arena *mem)
{
	struct sql_value nv;
	int64_t iv;

	switch (aff) {
	case SQL_AFF_TEXT:
		if (v->type == SQLV_INT || v->type == SQLV_REAL) {
			char buf[64], *d;
			size_t n;
			if (v->type == SQLV_INT)
				n = (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
			else {
				n = (size_t)snprintf(buf, sizeof(buf), "%.15g", v->u.r);
				if (!strpbrk(buf, ".eEin"))
					n = (size_t)snprintf(buf, sizeof(buf), "%.15g.0", v->u.r);
			}
			d = sdb_sql_arena_alloc(mem, n + 1);
			if (!d)
				return SDB_ENOMEM;
			memcpy(d, buf, n + 1);
			*v = sql_text(d, n);
		}
		return 0;
	case SQL_AFF_NUMERIC:
	case SQL_AFF_INTEGER:
		if (v->type == SQLV_TEXT && text_number(v->u.z, v->n, &nv))
			*v = nv;
		if (v->type == SQLV_REAL && real_is_int(v->u.r, &iv))
			*v = sql_int(iv);
		return 0;
	case SQL_AFF_REAL:
		if (v->type == SQLV_TEXT && text_number(v->u.z, v->n, &nv))
			*v = nv;
		if (v->type == SQLV_INT)
			*v = sql_real((double)v->u.i);
		return 0;
	default:
		return 0;
	}
}
