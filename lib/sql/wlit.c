/*
 * wlit.c - constant expressions of the write side (DEFAULT values, the
 * literal rows of INSERT ... VALUES): literals, signed numbers, NULL,
 * evaluated without the executor (the fast path of INSERT ... VALUES);
 * affinity and collation names forward to value.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
	return sql_affinity_of(decl);
}

int sql_w_coll(const char *name, enum sql_coll *out, struct sdb_error *e)
{
	return sql_coll_find(name, out, e);
}

int sql_w_apply_aff(struct sql_value *v, enum sql_aff aff, struct sdb_sql_arena *mem)
{
	return sql_value_apply_aff(v, aff, mem);
}
