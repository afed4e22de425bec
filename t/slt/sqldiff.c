/*
 * sqldiff.c - the differential SQL test: a seeded generator of schemas,
 * data and statements run on the sochdb engine (lib/sql/sql.h) and on
 * libsqlite3 (linked into this test tool only), results compared.
 *
 *   sqldiff [-s SEED] [-n STATEMENTS] [-v] [-k KNOWN] [-d DUMP] [-b REF,ENGINE]
 *           [-e EPISODE] [-F OUT] [-j PCT] [-w PCT] [-o PCT]
 *
 * -j PCT makes PCT% of the function calls JSON functions (json_array,
 * json_object, json_extract/type/array_length over paths, -> and ->>,
 * json_quote, json_valid, json_set/insert/replace/remove, json_patch,
 * json(), json_each in a subquery), feature "json"; -w PCT makes PCT% of
 * the result columns of one-table selects window functions (ranking,
 * ntile, lag/lead, first/last/nth_value, aggregates with FILTER, PARTITION
 * BY, ROWS/GROUPS/RANGE frames, EXCLUDE), feature "window"; -o PCT makes
 * PCT% of the joins outer joins of two or three tables (LEFT, RIGHT, FULL
 * [OUTER] with ON, USING and NATURAL, parenthesized joins on either side),
 * feature "outerjoin".
 * -d writes every statement run (a script for sqlite3 or sochdb-sql),
 * -F the features of the mismatching statements in KNOWN's form; -x runs
 * no statement that uses a listed feature (to look past them in triage).
 *
 * The run is a series of episodes, each in a child process on fresh
 * databases: a schema of three tables (INTEGER/REAL/TEXT/untyped
 * columns, some NOT NULL, UNIQUE, CHECK, DEFAULT, indexes), rows with
 * NULLs, duplicates, negatives, mixed INTEGER/REAL, quotes and UTF-8,
 * then queries (WHERE with every operator, functions, CASE, CAST,
 * LIKE/GLOB, BETWEEN, IN lists and subqueries, EXISTS, scalar and
 * correlated subqueries, joins, LEFT JOIN, GROUP BY/HAVING, aggregates,
 * DISTINCT, compound selects, ORDER BY, LIMIT/OFFSET) and DML (INSERT
 * with conflicts, OR IGNORE/REPLACE, upserts, INSERT ... SELECT,
 * UPDATE, DELETE, transactions), each table's whole content compared
 * after each write.
 *
 * What is compared: whether the statement failed (not the wording);
 * the values with their types, a REAL as SQLite prints it (%!.15g);
 * rows as a multiset without ORDER BY; with ORDER BY as a multiset plus
 * the sochdb order checked against the ORDER BY keys (ties may come in
 * either order); in order where the generator makes the order total
 * (LIMIT only follows such an ORDER BY); sqlite3_changes() after writes.
 *
 * Deliberate limits of the generator, so that SQLite's own arbitrary
 * choices do not count as differences: no group_concat() (its order is
 * the scan's), DISTINCT/UNION/INTERSECT/EXCEPT/min()/max()/GROUP BY only
 * over typed columns (an untyped column may hold both 3 and 3.0, equal
 * but printed differently, and which one survives is arbitrary), REALs
 * with short binary fractions (sums exact in any order), no random(),
 * no 'now'.
 *
 * KNOWN lists features (lines "feature NAME") the engine does not get
 * right yet: a mismatch of a statement using one of them is expected;
 * the exit status is 1 only for the others. The listed features whose
 * statements all agreed are named, so the list only shrinks.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"

/* ------------------------------------------------------------ features */

#define FEATURES(X) \
	X(select) X(where) X(orderby) X(limit) X(distinct) X(groupby) \
	X(having) X(aggregate) X(join) X(leftjoin) X(subquery) X(correlated) \
	X(exists) X(insubquery) X(compound) X(case) X(cast) X(like) X(glob) \
	X(between) X(inlist) X(func) X(arith) X(concat) X(isnull) X(insert) \
	X(upsert) X(replace) X(update) X(delete) X(insertselect) X(txn) \
	X(index) X(unique) X(check) X(notnull) X(default) X(createtable) \
	X(droptable) X(bigint) X(unicode) X(collate) X(nulls) X(uplus) X(blob) \
	X(json) X(window) X(outerjoin)

enum {
#define X(n) F_##n,
	FEATURES(X)
#undef X
	F_COUNT
};
static const char *fname[] = {
#define X(n) #n,
	FEATURES(X)
#undef X
};

static uint64_t feat; /* the features of the statement being made */
#define USE(f) (feat |= 1ull << F_##f)

/* --------------------------------------------------------- generation */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int rnd(int n)
{
	return (int)(rnd64() % (uint64_t)n);
}

static int chance(int pct)
{
	return rnd(100) < pct;
}

/* A growing string. */
struct str {
	char *s;
	size_t n, cap;
};

static void sadd(struct str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sadd(struct str *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		b->cap = 2 * (b->cap + (size_t)k + 64);
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			exit(3);
	}
}

enum kind { K_INT, K_REAL, K_TEXT, K_ANY };

struct col {
	char name[16];
	int kind;
	int uniq; /* UNIQUE: not updated (SQLite checks it row by row, so
		   * whether SET b = id fails depends on the order of rows) */
};

struct table {
	char name[16];
	int ncol; /* col[0] is id INTEGER PRIMARY KEY */
	struct col col[6];
};

static struct table tabs[3];
static int ntabs;

static const char *texts[] = {
	"'a'", "'b'", "'A'", "'abc'", "'it''s'", "'h\xc3\xa9llo'", "'\xe6\x97\xa5\xe6\x9c\xac'", "''",
	"' x '", "'10'", "'3.5'", "'Ab%'", "'a_c'", "'B'", "'-7'", "'x\"y'",
};
static const char *reals[] = {
	"0.5", "-1.25", "2.0", "3.75", "1e10", "1.5", "100.0", "-0.25", "3.0", "-2.5", "7.125",
};

/* No integers near 2^63 while set: stored values and aggregate
 * arguments, where REAL sums of them would round by the order of rows. */
static int no_big;
/* -j PCT: the share of function calls that are JSON functions (0: none,
 * so the default statements stay as they were) */
static int json_pct;
/* Set while the arguments of a json_each in a subquery are made: column
 * names qualified (json_each has columns key, value, type, atom, id ...
 * that an unqualified name would bind to, in SQLite as here). */
static int qualify_cols;
/* -w PCT: the share of result columns of one-table selects that are
 * window functions (0: none) */
static int win_pct;
/* -o PCT: the share of joins that are outer joins (0: none) */
static int outer_pct;
/* Set while an aggregate's argument is made: only + - * of columns and
 * literals, whose REAL sums are exact in any order. */
static int simple_arith;
/* The table a write changes: its subqueries read the others (SQLite's
 * own result then depends on the order it visits rows). */
static const struct table *write_target;

static const struct table *other_table(void)
{
	const struct table *o;
	do
		o = &tabs[rnd(ntabs)];
	while (o == write_target);
	return o;
}

static void lit(struct str *b, int kind)
{
	if (chance(12)) {
		USE(nulls);
		sadd(b, "NULL");
		return;
	}
	if (kind == K_ANY || chance(20))
		kind = rnd(3);
	switch (kind) {
	case K_INT:
		if (!no_big && chance(4)) {
			static const char *big[] = { "9223372036854775807", "-9223372036854775808",
						     "2147483648", "-4294967296", "1000000000000" };
			USE(bigint);
			sadd(b, "%s", big[rnd(5)]);
		} else {
			sadd(b, "%d", rnd(12) - 4);
		}
		break;
	case K_REAL:
		sadd(b, "%s", reals[rnd((int)(sizeof(reals) / sizeof(*reals)))]);
		break;
	default: {
		int i = rnd((int)(sizeof(texts) / sizeof(*texts)));
		if (i == 5 || i == 6)
			USE(unicode);
		sadd(b, "%s", texts[i]);
	}
	}
}

/* Tables in scope of an expression: their names and whether to qualify. */
struct scope {
	const struct table *t[3];
	const char *alias[3];
	int n;
};

static void colref(struct str *b, const struct scope *sc, int want_typed)
{
	const struct table *t;
	int k = rnd(sc->n), c;

	t = sc->t[k];
	for (int tries = 0;; tries++) {
		c = rnd(t->ncol);
		if (!want_typed || t->col[c].kind != K_ANY || tries > 8)
			break;
	}
	if (sc->n > 1 || qualify_cols || chance(10))
		sadd(b, "%s.%s", sc->alias[k], t->col[c].name);
	else
		sadd(b, "%s", t->col[c].name);
}

static void expr(struct str *b, const struct scope *sc, int depth);
static void json_expr(struct str *b, const struct scope *sc, int depth);

static void subquery_scalar(struct str *b, const struct scope *sc, int depth)
{
	/* (SELECT agg(col) FROM other [WHERE other.x op outer.y]) */
	const struct table *o = other_table();
	struct scope in = { { o }, { "sq" }, 1 };
	static const char *agg[] = { "max", "min", "count", "sum", "total" };
	int a = rnd(5);
	USE(subquery);
	sadd(b, "(SELECT %s(sq.%s) FROM %s AS sq", agg[a], o->col[rnd(o->ncol)].name, o->name);
	if (chance(70)) {
		sadd(b, " WHERE ");
		if (sc && chance(60)) {
			USE(correlated);
			sadd(b, "sq.%s %s ", o->col[rnd(o->ncol)].name, chance(50) ? "=" : "<");
			colref(b, sc, 0);
		} else {
			expr(b, &in, depth + 1);
		}
	}
	sadd(b, ")");
}

/* A JSON function over expressions (lib/sql/json.c): arrays and objects
 * built from values (the JSON subtype of nested calls), paths into them,
 * the -> and ->> operators, json_each in a subquery. */
/* Only JSON text for the argument being made (json_array, json_object,
 * and what keeps a document a document), so that no "malformed JSON"
 * error depends on which operand of an OR is evaluated first. */
static int json_doc_only;

static void json_doc(struct str *b, const struct scope *sc, int depth)
{
	json_doc_only = 1;
	json_expr(b, sc, depth);
}

static void json_expr(struct str *b, const struct scope *sc, int depth)
{
	static const char *paths[] = { "'$'", "'$[0]'", "'$[1]'", "'$[#-1]'", "'$.k'",
				       "'$.k[0]'", "'$[2]'", "'$.a.b'", "'$[#]'" };
	int np = (int)(sizeof(paths) / sizeof(*paths));
	static const int docs[] = { 0, 1, 2, 8, 9, 10 };
	int want_doc = json_doc_only;
	json_doc_only = 0;
	USE(json);
	switch (want_doc ? docs[rnd(6)] : rnd(12)) {
	case 0: case 1: /* json_array(e, e[, e]) */
		sadd(b, "json_array(");
		for (int i = 0, n = 1 + rnd(3); i < n; i++) {
			if (i)
				sadd(b, ", ");
			if (chance(20))
				json_expr(b, sc, depth + 1);
			else
				expr(b, sc, depth + 1);
		}
		sadd(b, ")");
		return;
	case 2:
		sadd(b, "json_object('k', ");
		expr(b, sc, depth + 1);
		sadd(b, ", 'a', json_object('b', ");
		expr(b, sc, depth + 1);
		sadd(b, "))");
		return;
	case 3: {
		static const char *fn[] = { "json_extract", "json_type", "json_array_length" };
		sadd(b, "%s(", fn[rnd(3)]);
		json_doc(b, sc, depth + 1);
		sadd(b, ", %s)", paths[rnd(np)]);
		return;
	}
	case 4:
		sadd(b, "json_quote(");
		expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	case 5:
		sadd(b, "json_valid(");
		expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	case 6: {
		static const char *rhs[] = { "0", "1", "'k'", "'$[1]'", "'$.a'", "'[0]'" };
		sadd(b, "(");
		json_doc(b, sc, depth + 1);
		sadd(b, " %s %s)", chance(50) ? "->" : "->>", rhs[rnd(6)]);
		return;
	}
	case 7: {
		static const char *fn[] = { "json_set", "json_insert", "json_replace" };
		sadd(b, "%s(", fn[rnd(3)]);
		json_doc(b, sc, depth + 1);
		sadd(b, ", %s, ", paths[rnd(np)]);
		expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	}
	case 8:
		sadd(b, "json_remove(");
		json_doc(b, sc, depth + 1);
		sadd(b, ", %s)", paths[rnd(np)]);
		return;
	case 9:
		sadd(b, "json_patch(");
		json_doc(b, sc, depth + 1);
		sadd(b, ", json_object('k', ");
		expr(b, sc, depth + 1);
		sadd(b, "))");
		return;
	case 10:
		sadd(b, "json(");
		json_doc(b, sc, depth + 1);
		sadd(b, ")");
		return;
	default:
		if (depth >= 3) {
			sadd(b, "json_array(");
			expr(b, sc, depth + 1);
			sadd(b, ")");
			return;
		}
		USE(subquery);
		sadd(b, "(SELECT %s FROM json_each(json_array(", chance(50) ? "count(*)" : "group_concat(type, ',')");
		qualify_cols++;
		expr(b, sc, depth + 1);
		sadd(b, ", ");
		expr(b, sc, depth + 1);
		qualify_cols--;
		sadd(b, ")) WHERE atom IS NOT NULL)");
		return;
	}
}

static void expr(struct str *b, const struct scope *sc, int depth)
{
	int r = depth > 3 ? rnd(10) : rnd(100);

	if (simple_arith) {
		r = rnd(10);
		if (r < 3 || depth > 3)
			colref(b, sc, 0);
		else if (r < 5)
			lit(b, K_ANY);
		else {
			static const char *op[] = { "+", "-", "*" };
			USE(arith);
			sadd(b, "(");
			expr(b, sc, depth + 1);
			sadd(b, " %s ", op[rnd(3)]);
			expr(b, sc, depth + 1);
			sadd(b, ")");
		}
		return;
	}

	if (r < 4) {
		lit(b, K_ANY);
		return;
	}
	if (r < 10) {
		colref(b, sc, 0);
		return;
	}
	if (r < 30) { /* comparison */
		static const char *op[] = { "=", "<>", "<", "<=", ">", ">=", "==", "!=", "IS", "IS NOT" };
		sadd(b, "(");
		expr(b, sc, depth + 1);
		sadd(b, " %s ", op[rnd(10)]);
		if (chance(50))
			lit(b, K_ANY);
		else
			expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	}
	if (r < 40) { /* arithmetic */
		static const char *op[] = { "+", "-", "*", "/", "%", "||", "&", "|", "<<", ">>" };
		int o = rnd(chance(70) ? 5 : 10);
		if (o == 5)
			USE(concat);
		else
			USE(arith);
		sadd(b, "(");
		expr(b, sc, depth + 1);
		sadd(b, " %s ", op[o]);
		expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	}
	if (r < 48) { /* logic */
		sadd(b, "(");
		expr(b, sc, depth + 1);
		sadd(b, chance(50) ? " AND " : " OR ");
		expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	}
	if (r < 52) {
		static const char *u[] = { "NOT", "-", "+", "~" };
		int k = rnd(4);
		if (k == 2)
			USE(uplus); /* +x: the value of x without its affinity */
		sadd(b, "(%s ", u[k]); /* "- -4", never the comment "--4" */
		expr(b, sc, depth + 1);
		sadd(b, ")");
		return;
	}
	if (r < 56) {
		USE(isnull);
		sadd(b, "(");
		expr(b, sc, depth + 1);
		sadd(b, chance(50) ? " IS NULL)" : " IS NOT NULL)");
		return;
	}
	if (r < 60) {
		USE(between);
		sadd(b, "(");
		colref(b, sc, 0);
		sadd(b, chance(30) ? " NOT BETWEEN " : " BETWEEN ");
		lit(b, K_ANY);
		sadd(b, " AND ");
		lit(b, K_ANY);
		sadd(b, ")");
		return;
	}
	if (r < 65) {
		int n = 1 + rnd(4);
		USE(inlist);
		sadd(b, "(");
		expr(b, sc, depth + 1);
		sadd(b, chance(30) ? " NOT IN (" : " IN (");
		for (int i = 0; i < n; i++) {
			if (i)
				sadd(b, ", ");
			lit(b, K_ANY);
		}
		sadd(b, "))");
		return;
	}
	if (r < 69) {
		static const char *pat[] = { "'a%'", "'%b%'", "'_'", "'A%'", "'%'", "'h_llo'", "'1%'", "'%!%%' ESCAPE '!'" };
		static const char *gpat[] = { "'a*'", "'*b*'", "'?'", "'[a-c]*'", "'[^a]*'", "'*'" };
		int g = chance(30);
		if (g)
			USE(glob);
		else
			USE(like);
		sadd(b, "(");
		colref(b, sc, 0);
		sadd(b, "%s%s ", chance(20) ? " NOT" : "", g ? " GLOB" : " LIKE");
		sadd(b, "%s)", g ? gpat[rnd(6)] : pat[rnd(8)]);
		return;
	}
	if (r < 74) {
		USE(case);
		sadd(b, "CASE");
		if (chance(40)) {
			sadd(b, " ");
			colref(b, sc, 0);
			for (int i = 0, n = 1 + rnd(2); i < n; i++) {
				sadd(b, " WHEN ");
				lit(b, K_ANY);
				sadd(b, " THEN ");
				expr(b, sc, depth + 1);
			}
		} else {
			for (int i = 0, n = 1 + rnd(2); i < n; i++) {
				sadd(b, " WHEN ");
				expr(b, sc, depth + 1);
				sadd(b, " THEN ");
				expr(b, sc, depth + 1);
			}
		}
		if (chance(70)) {
			sadd(b, " ELSE ");
			expr(b, sc, depth + 1);
		}
		sadd(b, " END");
		return;
	}
	if (r < 78) {
		static const char *ty[] = { "INTEGER", "REAL", "TEXT", "NUMERIC", "INT", "BLOB" };
		int k = rnd(6);
		USE(cast);
		/* no BLOB is stored: Debian's sqlite3 is built with
		 * SQLITE_LIKE_DOESNT_MATCH_BLOBS, and a LIKE long after
		 * the write could not name the cause */
		if (k == 5 && no_big)
			k = 2;
		if (k == 5)
			USE(blob);
		sadd(b, "CAST(");
		expr(b, sc, depth + 1);
		sadd(b, " AS %s)", ty[k]);
		return;
	}
	if (r < 90 && json_pct && chance(json_pct)) {
		json_expr(b, sc, depth);
		return;
	}
	if (r < 90) {
		static const struct {
			const char *name;
			int nargs; /* -2: (x, int), -3: (x, int, int) */
		} fn[] = {
			{ "abs", 1 }, { "coalesce", 2 }, { "ifnull", 2 }, { "nullif", 2 },
			{ "length", 1 }, { "lower", 1 }, { "upper", 1 }, { "substr", -3 },
			{ "typeof", 1 }, { "round", -2 }, { "instr", 2 }, { "replace", 3 },
			{ "trim", 1 }, { "ltrim", 1 }, { "rtrim", 1 }, { "quote", 1 },
			{ "max", 2 }, { "min", 2 }, { "iif", 3 }, { "hex", 1 }, { "unicode", 1 },
			{ "substr", -2 }, { "round", 1 }, { "coalesce", 3 },
		};
		int k = rnd((int)(sizeof(fn) / sizeof(*fn)));
		USE(func);
		sadd(b, "%s(", fn[k].name);
		if (fn[k].nargs > 0) {
			for (int i = 0; i < fn[k].nargs; i++) {
				if (i)
					sadd(b, ", ");
				expr(b, sc, depth + 1);
			}
		} else {
			expr(b, sc, depth + 1);
			sadd(b, ", %d", rnd(6) - 2);
			if (fn[k].nargs == -3)
				sadd(b, ", %d", rnd(5) - 1);
		}
		sadd(b, ")");
		return;
	}
	if (r < 93 && depth < 3) {
		subquery_scalar(b, sc, depth);
		return;
	}
	if (r < 96 && depth < 3) {
		const struct table *o = other_table();
		int c = rnd(o->ncol);
		USE(insubquery);
		USE(subquery);
		sadd(b, "(");
		colref(b, sc, 0);
		sadd(b, "%s IN (SELECT %s FROM %s", chance(30) ? " NOT" : "", o->col[c].name, o->name);
		if (chance(50)) {
			struct scope in = { { o }, { o->name }, 1 };
			sadd(b, " WHERE ");
			expr(b, &in, depth + 2);
		}
		sadd(b, "))");
		return;
	}
	if (r < 98 && depth < 3) {
		const struct table *o = other_table();
		USE(exists);
		USE(subquery);
		sadd(b, "(%sEXISTS (SELECT 1 FROM %s AS ex WHERE ex.%s = ", chance(30) ? "NOT " : "",
		     o->name, o->col[rnd(o->ncol)].name);
		colref(b, sc, 0);
		USE(correlated);
		sadd(b, "))");
		return;
	}
	if (r < 100) {
		USE(collate);
		sadd(b, "(");
		colref(b, sc, 0);
		sadd(b, " COLLATE NOCASE %s ", chance(50) ? "=" : "<");
		lit(b, K_TEXT);
		sadd(b, ")");
		return;
	}
	colref(b, sc, 0);
}

/* ------------------------------------------------------------ compare */

struct row {
	char *text; /* the rendered row: values separated by '\x1f' */
	struct slt_val *v; /* copies, for the order check */
	int n;
};

struct rows {
	struct row *r;
	size_t n, cap;
	int ncol;
};

static char *render(const struct slt_val *v, int n)
{
	struct str b = { 0 };
	for (int i = 0; i < n; i++) {
		if (i)
			sadd(&b, "\x1f");
		switch (v[i].type) {
		case SLT_NULL:
			sadd(&b, "NULL");
			break;
		case SLT_INT:
			sadd(&b, "%" PRId64, v[i].i);
			break;
		case SLT_REAL:
			sadd(&b, "r:%.*s", (int)v[i].n, v[i].z);
			break;
		case SLT_TEXT:
			sadd(&b, "'%.*s'", (int)v[i].n, v[i].z);
			break;
		default:
			sadd(&b, "x'");
			for (size_t k = 0; k < v[i].n; k++)
				sadd(&b, "%02x", (unsigned char)v[i].z[k]);
			sadd(&b, "'");
		}
	}
	if (!b.s)
		sadd(&b, "%s", "");
	return b.s;
}

static int on_row(void *ctx, int n, const struct slt_val *v)
{
	struct rows *rs = ctx;
	struct row *r;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 16;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		if (!rs->r)
			exit(3);
	}
	r = &rs->r[rs->n++];
	r->text = render(v, n);
	r->n = n;
	r->v = calloc((size_t)n + 1, sizeof(*r->v));
	for (int i = 0; i < n; i++) {
		r->v[i] = v[i];
		if (v[i].type == SLT_TEXT || v[i].type == SLT_BLOB || v[i].type == SLT_REAL) {
			char *c = malloc(v[i].n + 1);
			memcpy(c, v[i].z ? v[i].z : "", v[i].n);
			c[v[i].n] = 0;
			r->v[i].z = c;
		}
	}
	rs->ncol = n;
	return 0;
}

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		for (int k = 0; k < rs->r[i].n; k++)
			if (rs->r[i].v[k].type >= SLT_REAL)
				free((char *)rs->r[i].v[k].z);
		free(rs->r[i].v);
		free(rs->r[i].text);
	}
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

static int cmp_rowtext(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->text, ((const struct row *)b)->text);
}

/* SQLite's order of values (BINARY collation). */
static int vcmp(const struct slt_val *a, const struct slt_val *b)
{
	int ca = a->type == SLT_REAL ? SLT_INT : a->type, cb = b->type == SLT_REAL ? SLT_INT : b->type;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	switch (ca) {
	case SLT_NULL:
		return 0;
	case SLT_INT: {
		long double x = a->type == SLT_INT ? (long double)a->i : (long double)a->r;
		long double y = b->type == SLT_INT ? (long double)b->i : (long double)b->r;
		if (a->type == SLT_INT && b->type == SLT_INT)
			return a->i < b->i ? -1 : a->i > b->i;
		return x < y ? -1 : x > y;
	}
	default: {
		size_t n = a->n < b->n ? a->n : b->n;
		int c = memcmp(a->z, b->z, n);
		return c ? c : a->n < b->n ? -1 : a->n > b->n;
	}
	}
}

struct okey {
	int col;  /* 0-based output column */
	int desc;
};

/* ------------------------------------------------------------ the run */

struct stats {
	long stmts, queries, writes, mismatches, expected, unexpected, skipped;
	long crashed_at;
	uint64_t feat_failed; /* features of the statements that mismatched */
	uint64_t feat_seen;
};

static struct stats *shared;
static const struct slt_backend *be_a, *be_b; /* reference, engine under test */
static void *db_a, *db_b;
static uint64_t known_feat;
static int verbose;
static int exclude_known; /* -x: run no statement using a listed feature */
static FILE *dump;
static int episode_len = 200;

static void report(long idx, const char *sql, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(long idx, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int exp = (feat & known_feat) != 0;

	shared->mismatches++;
	shared->feat_failed |= feat;
	if (exp)
		shared->expected++;
	else
		shared->unexpected++;
	if (!verbose || (exp && verbose < 2))
		return;
	printf("statement %ld [", idx);
	for (int f = 0, first = 1; f < F_COUNT; f++)
		if (feat & (1ull << f)) {
			printf("%s%s", first ? "" : " ", fname[f]);
			first = 0;
		}
	printf("]%s: %s\n", exp ? " (listed feature)" : "", sql);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void print_rows(const char *who, const struct rows *rs)
{
	printf("  %s: %zu rows\n", who, rs->n);
	for (size_t i = 0; i < rs->n && i < (verbose > 2 ? rs->n : 12); i++) {
		printf("    ");
		for (const char *p = rs->r[i].text; *p; p++)
			putchar(*p == '\x1f' ? '|' : *p);
		putchar('\n');
	}
}

enum { ORD_NONE, ORD_KEYS, ORD_TOTAL };

/* Runs a query on both; @return 0 same, 1 differ. */
static int check_query(long idx, const char *sql, int ord, const struct okey *keys, int nkeys)
{
	struct rows ra = { 0 }, rb = { 0 };
	char ea[1024] = "", eb[1024] = "";
	int na, nb, bad = 0;

	if (exclude_known && (feat & known_feat))
		return 0;
	shared->queries++;
	na = be_a->query(db_a, sql, on_row, &ra, ea, sizeof(ea));
	nb = be_b->query(db_b, sql, on_row, &rb, eb, sizeof(eb));
	if ((na < 0) != (nb < 0)) {
		report(idx, sql, "  %s: %s\n  %s: %s\n", be_a->name, na < 0 ? ea : "ok",
		       be_b->name, nb < 0 ? eb : "ok");
		bad = 1;
		goto out;
	}
	if (na < 0)
		goto out;
	if (na != nb) {
		report(idx, sql, "  %s: %d columns, %s: %d\n", be_a->name, na, be_b->name, nb);
		bad = 1;
		goto out;
	}
	/* a COLLATE anywhere in an ORDER BY term may become its collation
	 * (SQLite takes it from inside CASE and function arguments): the
	 * order check knows BINARY only */
	if (ord == ORD_KEYS && !strstr(sql, "COLLATE")) {
		/* the engine's order must follow the keys */
		for (size_t i = 1; i < rb.n && !bad; i++) {
			for (int k = 0; k < nkeys; k++) {
				int c = vcmp(&rb.r[i - 1].v[keys[k].col], &rb.r[i].v[keys[k].col]);
				if (keys[k].desc)
					c = -c;
				if (c < 0)
					break;
				if (c > 0) {
					report(idx, sql, "  %s: rows %zu and %zu out of ORDER BY order\n",
					       be_b->name, i, i + 1);
					print_rows(be_b->name, &rb);
					bad = 1;
					break;
				}
			}
		}
		if (bad)
			goto out;
	}
	if (ord != ORD_TOTAL) {
		if (ra.n > 1)
			qsort(ra.r, ra.n, sizeof(*ra.r), cmp_rowtext);
		if (rb.n > 1)
			qsort(rb.r, rb.n, sizeof(*rb.r), cmp_rowtext);
	}
	if (ra.n != rb.n)
		bad = 1;
	for (size_t i = 0; i < ra.n && !bad; i++)
		if (strcmp(ra.r[i].text, rb.r[i].text))
			bad = 1;
	if (bad) {
		report(idx, sql, "%s", "");
		if (!verbose || ((feat & known_feat) && verbose < 2))
			goto out;
		print_rows(be_a->name, &ra);
		print_rows(be_b->name, &rb);
	}
out:
	rows_free(&ra);
	rows_free(&rb);
	return bad;
}

/* Runs a write on both; @return 0 same, 1 differ. */
static int check_write(long idx, const char *sql)
{
	char ea[1024] = "", eb[1024] = "";
	int a, b;

	if (exclude_known && (feat & known_feat))
		return 0;
	shared->writes++;
	a = be_a->exec(db_a, sql, ea, sizeof(ea));
	b = be_b->exec(db_b, sql, eb, sizeof(eb));
	if (a != b) {
		report(idx, sql, "  %s: %s\n  %s: %s\n", be_a->name, a ? ea : "ok", be_b->name, b ? eb : "ok");
		return 1;
	}
	/* changes() is defined for INSERT/UPDATE/DELETE only (after DDL
	 * SQLite's own count is not what the SQL function shows) */
	if (!a && (!strncmp(sql, "INSERT", 6) || !strncmp(sql, "UPDATE", 6) ||
		   !strncmp(sql, "DELETE", 6) || !strncmp(sql, "REPLACE", 7)) &&
	    be_a->changes(db_a) != be_b->changes(db_b)) {
		report(idx, sql, "  changes(): %s %" PRId64 ", %s %" PRId64 "\n", be_a->name,
		       be_a->changes(db_a), be_b->name, be_b->changes(db_b));
		return 1;
	}
	return 0;
}

/* The state of every table, compared in id order. */
static int check_state(long idx)
{
	uint64_t f = feat;
	int bad = 0;
	for (int t = 0; t < ntabs && !bad; t++) {
		char q[600];
		snprintf(q, sizeof(q), "SELECT * FROM %s ORDER BY id", tabs[t].name);
		feat = f;
		bad = check_query(idx, q, ORD_TOTAL, NULL, 0);
	}
	feat = f;
	return bad;
}

static long stmt_idx;

static void emit(const char *sql)
{
	if (exclude_known && (feat & known_feat))
		return; /* not run */
	if (dump)
		fprintf(dump, "%s;\n", sql);
}

/* Schema + data of one episode. @return 1 when the engines disagree. */
static int make_schema(void)
{
	static const char *tyname[] = { "INTEGER", "REAL", "TEXT", "" };
	struct str b = { 0 };
	int bad = 0;

	ntabs = 3;
	for (int t = 0; t < ntabs && !bad; t++) {
		struct table *tb = &tabs[t];
		snprintf(tb->name, sizeof(tb->name), "t%d", t + 1);
		tb->ncol = 3 + rnd(4);
		snprintf(tb->col[0].name, sizeof(tb->col[0].name), "id");
		tb->col[0].kind = K_INT;
		feat = 0;
		USE(droptable);
		b.n = 0;
		sadd(&b, "DROP TABLE IF EXISTS %s", tb->name);
		emit(b.s);
		bad |= check_write(++stmt_idx, b.s);
		feat = 0;
		USE(createtable);
		b.n = 0;
		sadd(&b, "CREATE TABLE %s(id INTEGER PRIMARY KEY", tb->name);
		for (int c = 1; c < tb->ncol; c++) {
			struct col *cl = &tb->col[c];
			snprintf(cl->name, sizeof(cl->name), "%c", 'a' + c - 1);
			cl->kind = rnd(4);
			sadd(&b, ", %s%s%s", cl->name, *tyname[cl->kind] ? " " : "", tyname[cl->kind]);
			if (chance(8)) {
				USE(notnull);
				USE(default);
				sadd(&b, " NOT NULL DEFAULT ");
				size_t at = b.n;
				do {
					b.n = at;
					lit(&b, cl->kind);
				} while (!strcmp(b.s + at, "NULL"));
			} else if (chance(8)) {
				USE(default);
				sadd(&b, " DEFAULT ");
				lit(&b, cl->kind);
			}
			cl->uniq = 0;
			if (chance(6)) {
				USE(unique);
				sadd(&b, " UNIQUE");
				cl->uniq = 1;
			}
			if (cl->kind == K_INT && chance(8)) {
				USE(check);
				sadd(&b, " CHECK (%s > -1000)", cl->name);
			}
		}
		sadd(&b, ")");
		emit(b.s);
		bad |= check_write(++stmt_idx, b.s);
		if (chance(60)) {
			feat = 0;
			USE(index);
			b.n = 0;
			int c = 1 + rnd(tb->ncol - 1);
			sadd(&b, "CREATE INDEX %s_i%d ON %s(%s", tb->name, c, tb->name, tb->col[c].name);
			if (chance(40))
				sadd(&b, ", %s", tb->col[1 + rnd(tb->ncol - 1)].name);
			sadd(&b, ")");
			emit(b.s);
			bad |= check_write(++stmt_idx, b.s);
		}
		/* rows */
		int nrows = 5 + rnd(25);
		for (int r = 0; r < nrows && !bad; r++) {
			feat = 0;
			USE(insert);
			b.n = 0;
			sadd(&b, "INSERT INTO %s VALUES(", tb->name);
			if (chance(60))
				sadd(&b, "%d", r * 3 + rnd(3) - 5);
			else
				sadd(&b, "NULL");
			for (int c = 1; c < tb->ncol; c++) {
				sadd(&b, ", ");
				lit(&b, tb->col[c].kind);
			}
			sadd(&b, ")");
			emit(b.s);
			bad |= check_write(++stmt_idx, b.s);
		}
	}
	if (!bad)
		bad = check_state(stmt_idx);
	free(b.s);
	return bad;
}

/* A window function over a one-table scope (lib/sql/window.c). Orders
 * that decide a value are made total with id; aggregates over ROWS
 * frames too (peers could come in either order); min/max over typed
 * columns, sums of + - * only (exact in any order). */
static void window_expr(struct str *b, const struct scope *sc)
{
	static const char *rank[] = { "row_number()", "rank()", "dense_rank()",
				      "percent_rank()", "cume_dist()" };
	static const char *agg[] = { "sum", "count", "total", "avg", "min", "max" };
	static const char *frames[] = {
		"ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING", "ROWS UNBOUNDED PRECEDING",
		"ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING", "GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW",
		"RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
		"ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING",
		"ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW",
		"GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING EXCLUDE TIES",
	};
	int kind = rnd(4), part = chance(50), total = 1, frame = -1;
	USE(window);
	switch (kind) {
	case 0: {
		int k = rnd(5);
		sadd(b, "%s", rank[k]);
		total = k == 0 || chance(50); /* row_number() numbers peers in any order */
		break;
	}
	case 1:
		sadd(b, "ntile(%d)", 1 + rnd(4));
		break;
	case 2: {
		static const char *fn[] = { "lag", "lead", "first_value", "last_value", "nth_value" };
		int f = rnd(5);
		sadd(b, "%s(", fn[f]);
		expr(b, sc, 2);
		if (f < 2 && chance(60)) {
			sadd(b, ", %d", rnd(3));
			if (chance(40)) {
				sadd(b, ", ");
				lit(b, K_ANY);
			}
		}
		if (f == 4)
			sadd(b, ", %d", 1 + rnd(3));
		sadd(b, ")");
		if (f >= 2 && chance(50))
			frame = rnd(8);
		break;
	}
	default: {
		int a = rnd(6);
		sadd(b, "%s(", agg[a]);
		if (a == 1 && chance(30))
			sadd(b, "*");
		else if (a >= 4)
			colref(b, sc, 1);
		else {
			simple_arith = no_big = 1;
			expr(b, sc, 2);
			simple_arith = no_big = 0;
		}
		sadd(b, ")");
		/* no FILTER on min/max: SQLite 3.40 ignores it over sliding frames */
		if (a < 4 && chance(20)) {
			sadd(b, " FILTER (WHERE ");
			expr(b, sc, 2);
			sadd(b, ")");
		}
		total = 0;
		if (chance(60))
			frame = rnd(8);
		if (frame >= 0 && frame != 3 && frame != 4 && frame != 7)
			total = 1; /* ROWS: peers in a fixed order */
		break;
	}
	}
	sadd(b, " OVER (");
	if (part) {
		sadd(b, "PARTITION BY ");
		colref(b, sc, 1);
		sadd(b, " ");
	}
	if (kind != 3 || total || chance(70)) {
		sadd(b, "ORDER BY ");
		colref(b, sc, 1);
		if (chance(30))
			sadd(b, " DESC");
		if (total)
			sadd(b, ", id");
	} else if (frame == 3 || frame == 7) {
		frame = 4;
	}
	if (frame >= 0)
		sadd(b, " %s", frames[frame]);
	sadd(b, ")");
}

static void select_list(struct str *b, const struct scope *sc, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			sadd(b, ", ");
		if (win_pct && sc->n == 1 && chance(win_pct))
			window_expr(b, sc);
		else
			expr(b, sc, 1);
	}
}

/* A join condition between aliases a (table ta) and b (table tb). */
/* Set while a query with a RIGHT or FULL JOIN is made: its ON clauses get
 * no extra terms (SQLite 3.40.1 answers no rows at all for a constant
 * false term in the ON of an inner join left of a RIGHT JOIN, e.g.
 * (x JOIN y ON x.d = y.b AND 'a') RIGHT JOIN z ON ...). */
static int no_on_terms;

static void join_cond(struct str *b, const char *a, const struct table *ta,
		      const char *bn, const struct table *tb)
{
	/* reads only the two tables it joins (SQLite: "ON clause references
	 * tables to its right", and a parenthesized join's ON sees only its own) */
	struct scope two = { { ta, tb }, { a, bn }, 2 };
	sadd(b, "%s.%s %s %s.%s", a, ta->col[rnd(ta->ncol)].name, chance(80) ? "=" : "<",
	     bn, tb->col[rnd(tb->ncol)].name);
	if (!no_on_terms && chance(20)) {
		sadd(b, " AND ");
		expr(b, &two, 2);
	}
}

/* -o: FROM and the rest of an outer join of two or three tables. */
static void outer_join(struct str *b)
{
	static const char *jk[] = { "LEFT ", "RIGHT ", "FULL ", "LEFT OUTER ", "RIGHT OUTER ",
				    "FULL OUTER ", "", "INNER " };
	const struct table *t = &tabs[rnd(ntabs)], *u = &tabs[rnd(ntabs)], *v = &tabs[rnd(ntabs)];
	struct scope js = { { t, u, v }, { "x", "y", "z" }, 3 };
	int form = rnd(6);
	const char *j1 = jk[rnd(8)], *j2 = jk[rnd(8)];
	const char *jin = chance(50) ? "LEFT " : ""; /* inside parentheses */
	USE(join);
	USE(outerjoin);
	no_on_terms = strstr(j1, "RIGHT") || strstr(j1, "FULL") ||
		      (form == 1 && (strstr(j2, "RIGHT") || strstr(j2, "FULL")));
	if (form == 0 || form == 3)
		js.n = 2;
	sadd(b, "SELECT ");
	if ((form == 2 || form == 3) && chance(40))
		sadd(b, "*");
	else
		select_list(b, &js, 1 + rnd(3));
	switch (form) {
	case 0: /* x J y ON c */
		sadd(b, " FROM %s AS x %sJOIN %s AS y ON ", t->name, j1, u->name);
		join_cond(b, "x", t, "y", u);
		break;
	case 1: /* x J y ON c J z ON c */
		sadd(b, " FROM %s AS x %sJOIN %s AS y ON ", t->name, j1, u->name);
		join_cond(b, "x", t, "y", u);
		sadd(b, " %sJOIN %s AS z ON ", j2, v->name);
		if (chance(50))
			join_cond(b, "x", t, "z", v);
		else
			join_cond(b, "y", u, "z", v);
		break;
	case 2: /* USING (id) */
		sadd(b, " FROM %s AS x %sJOIN %s AS y USING (id) %sJOIN %s AS z USING (id)",
		     t->name, j1, u->name, j2, v->name);
		break;
	case 3: /* NATURAL */
		sadd(b, " FROM %s AS x NATURAL %sJOIN %s AS y", t->name, j1, u->name);
		break;
	case 4: /* x J (y J z ON c) ON c */
		sadd(b, " FROM %s AS x %sJOIN (%s AS y %sJOIN %s AS z ON ", t->name,
		     chance(50) ? "LEFT " : "", u->name, jin, v->name);
		join_cond(b, "y", u, "z", v);
		sadd(b, ") ON ");
		if (chance(50))
			join_cond(b, "x", t, "y", u);
		else
			join_cond(b, "x", t, "z", v);
		break;
	default: /* (x J y ON c) J z ON c */
		sadd(b, " FROM (%s AS x %sJOIN %s AS y ON ", t->name, jin, u->name);
		join_cond(b, "x", t, "y", u);
		sadd(b, ") %sJOIN %s AS z ON ", j1, v->name);
		if (chance(50))
			join_cond(b, "x", t, "z", v);
		else
			join_cond(b, "y", u, "z", v);
		break;
	}
	if (chance(40)) {
		USE(where);
		sadd(b, " WHERE ");
		expr(b, &js, 1);
	}
}

/* One query; @return 1 when the engines disagree. */
static int gen_query(void)
{
	struct str b = { 0 };
	struct okey keys[4];
	int nkeys = 0, ord = ORD_NONE, bad;
	const struct table *t = &tabs[rnd(ntabs)];
	struct scope sc = { { t }, { t->name }, 1 };
	int kind = rnd(100);

	feat = 0;
	USE(select);
	if (kind < 35) { /* plain */
		int n = 1 + rnd(3);
		int distinct = chance(10);
		if (distinct) {
			/* DISTINCT over typed columns only */
			USE(distinct);
			sadd(&b, "SELECT DISTINCT ");
			for (int i = 0; i < n; i++) {
				if (i)
					sadd(&b, ", ");
				colref(&b, &sc, 1);
			}
		} else {
			sadd(&b, "SELECT ");
			select_list(&b, &sc, n);
		}
		sadd(&b, " FROM %s", t->name);
		if (chance(75)) {
			USE(where);
			sadd(&b, " WHERE ");
			expr(&b, &sc, 0);
		}
		if (chance(30)) {
			USE(orderby);
			ord = ORD_KEYS;
			nkeys = 1 + rnd(n);
			sadd(&b, " ORDER BY ");
			for (int k = 0; k < nkeys; k++) {
				keys[k].col = rnd(n);
				keys[k].desc = chance(40);
				sadd(&b, "%s%d%s", k ? ", " : "", keys[k].col + 1, keys[k].desc ? " DESC" : "");
			}
		}
	} else if (kind < 45) { /* ORDER BY id LIMIT: a total order */
		USE(orderby);
		USE(limit);
		ord = ORD_TOTAL;
		sadd(&b, "SELECT id, ");
		select_list(&b, &sc, 1 + rnd(2));
		sadd(&b, " FROM %s", t->name);
		if (chance(60)) {
			USE(where);
			sadd(&b, " WHERE ");
			expr(&b, &sc, 0);
		}
		sadd(&b, " ORDER BY id%s LIMIT %d", chance(40) ? " DESC" : "", rnd(8) - (chance(10) ? 2 : 0));
		if (chance(50))
			sadd(&b, " OFFSET %d", rnd(5));
	} else if (kind < 65) { /* aggregates */
		static const char *agg[] = { "count(*)", "count(%s)", "sum(%s)", "total(%s)", "avg(%s)",
					     "min(%s)", "max(%s)", "count(DISTINCT %s)", "sum(DISTINCT %s)" };
		int group = chance(70);
		int g = 1 + rnd(t->ncol - 1);
		USE(aggregate);
		sadd(&b, "SELECT ");
		if (group) {
			for (int tries = 0; t->col[g].kind == K_ANY && tries < 10; tries++)
				g = 1 + rnd(t->ncol - 1);
			if (t->col[g].kind == K_ANY)
				g = 0;
			sadd(&b, "%s, ", t->col[g].name);
		}
		for (int i = 0, n = 1 + rnd(3); i < n; i++) {
			int a = rnd(9);
			int c = rnd(t->ncol);
			if (a >= 5 && a <= 6)
				for (int tries = 0; t->col[c].kind == K_ANY && tries < 10; tries++)
					c = rnd(t->ncol);
			if ((a == 5 || a == 6) && t->col[c].kind == K_ANY)
				c = 0;
			if (i)
				sadd(&b, ", ");
			if (a >= 2 && a <= 4 && chance(40)) {
				/* an aggregate of an expression */
				struct str e = { 0 };
				no_big = 1;
				simple_arith = 1;
				expr(&e, &sc, 2);
				simple_arith = 0;
				no_big = 0;
				sadd(&b, agg[a], e.s);
				free(e.s);
			} else {
				sadd(&b, agg[a], t->col[c].name);
			}
		}
		sadd(&b, " FROM %s", t->name);
		if (chance(50)) {
			USE(where);
			sadd(&b, " WHERE ");
			expr(&b, &sc, 1);
		}
		if (group) {
			USE(groupby);
			sadd(&b, " GROUP BY %s", t->col[g].name);
			if (chance(30)) {
				USE(having);
				sadd(&b, " HAVING count(*) %s %d", chance(50) ? ">" : "<=", rnd(3));
			}
			if (chance(40)) {
				USE(orderby);
				ord = ORD_TOTAL;
				sadd(&b, " ORDER BY 1%s", chance(50) ? " DESC" : "");
				if (chance(40)) {
					USE(limit);
					sadd(&b, " LIMIT %d", 1 + rnd(4));
				}
			}
		}
	} else if (kind < 80 && outer_pct && chance(outer_pct)) {
		outer_join(&b);
	} else if (kind < 80) { /* joins */
		const struct table *u = &tabs[rnd(ntabs)];
		struct scope js = { { t, u }, { "x", "y" }, 2 };
		int left = chance(35);
		USE(join);
		if (left)
			USE(leftjoin);
		sadd(&b, "SELECT ");
		select_list(&b, &js, 1 + rnd(3));
		if (chance(30) && !left) {
			sadd(&b, " FROM %s AS x, %s AS y WHERE x.%s = y.%s", t->name, u->name,
			     t->col[rnd(t->ncol)].name, u->col[rnd(u->ncol)].name);
			if (chance(50)) {
				sadd(&b, " AND ");
				expr(&b, &js, 1);
			}
		} else {
			sadd(&b, " FROM %s AS x %sJOIN %s AS y ON x.%s %s y.%s", t->name, left ? "LEFT " : "",
			     u->name, t->col[rnd(t->ncol)].name, chance(80) ? "=" : "<", u->col[rnd(u->ncol)].name);
			if (chance(40)) {
				USE(where);
				sadd(&b, " WHERE ");
				expr(&b, &js, 1);
			}
		}
	} else if (kind < 90) { /* compound selects of one typed kind */
		static const char *op[] = { "UNION", "UNION ALL", "INTERSECT", "EXCEPT" };
		const struct table *u = &tabs[rnd(ntabs)];
		int ca = rnd(t->ncol), cb = -1;
		for (int tries = 0; tries < 10 && t->col[ca].kind == K_ANY; tries++)
			ca = rnd(t->ncol);
		for (int c = 0; c < u->ncol; c++)
			if (u->col[c].kind == t->col[ca].kind && (cb < 0 || chance(50)))
				cb = c;
		if (cb < 0 || t->col[ca].kind == K_ANY) {
			ca = cb = 0;
		}
		USE(compound);
		sadd(&b, "SELECT %s FROM %s", t->col[ca].name, t->name);
		if (chance(50)) {
			USE(where);
			sadd(&b, " WHERE ");
			expr(&b, &sc, 1);
		}
		sadd(&b, " %s SELECT %s FROM %s", op[rnd(4)], u->col[cb].name, u->name);
		if (chance(40)) {
			USE(orderby);
			ord = ORD_TOTAL;
			sadd(&b, " ORDER BY 1%s", chance(50) ? " DESC" : "");
			if (strstr(b.s, "UNION ALL"))
				ord = ORD_KEYS, keys[0].col = 0, keys[0].desc = strstr(b.s, "DESC") != NULL, nkeys = 1;
		}
	} else { /* scalar subqueries in the select list, IN/EXISTS in WHERE */
		sadd(&b, "SELECT id, ");
		subquery_scalar(&b, &sc, 1);
		sadd(&b, " FROM %s WHERE ", t->name);
		expr(&b, &sc, 2);
	}
	emit(b.s);
	bad = check_query(++stmt_idx, b.s, ord, keys, nkeys);
	free(b.s);
	return bad;
}

/* One write; @return 1 when the engines disagree (state included). */
static int gen_write1(void)
{
	struct str b = { 0 };
	const struct table *t = write_target = &tabs[rnd(ntabs)];
	struct scope sc = { { t }, { t->name }, 1 };
	int kind = rnd(100), bad;

	feat = 0;
	if (kind < 40) {
		static const char *verb[] = { "INSERT", "INSERT OR IGNORE", "INSERT OR REPLACE", "REPLACE" };
		int v = chance(60) ? 0 : rnd(4);
		int n = 1 + rnd(3), upsert = v == 0 && chance(25);
		USE(insert);
		if (v >= 2)
			USE(replace);
		sadd(&b, "%s INTO %s VALUES", verb[v], t->name);
		for (int r = 0; r < n; r++) {
			sadd(&b, "%s(", r ? ", " : "");
			if (chance(70))
				sadd(&b, "%d", rnd(90) - 5);
			else
				sadd(&b, "NULL");
			for (int c = 1; c < t->ncol; c++) {
				sadd(&b, ", ");
				lit(&b, t->col[c].kind);
			}
			sadd(&b, ")");
		}
		if (upsert) {
			int c = 1 + rnd(t->ncol - 1);
			USE(upsert);
			if (chance(30))
				sadd(&b, " ON CONFLICT(id) DO NOTHING");
			else
				sadd(&b, " ON CONFLICT(id) DO UPDATE SET %s = excluded.%s", t->col[c].name, t->col[c].name);
		}
	} else if (kind < 50) {
		const struct table *u = &tabs[rnd(ntabs)];
		USE(insertselect);
		sadd(&b, "INSERT OR IGNORE INTO %s SELECT id + %d", t->name, 100 + rnd(100));
		for (int c = 1; c < t->ncol; c++)
			sadd(&b, ", %s", c < u->ncol ? u->col[c].name : "NULL");
		sadd(&b, " FROM %s", u->name);
		if (chance(60)) {
			struct scope us = { { u }, { u->name }, 1 };
			sadd(&b, " WHERE ");
			expr(&b, &us, 1);
		}
		/* which of two conflicting rows is kept depends on their order */
		sadd(&b, " ORDER BY id");
	} else if (kind < 75) {
		int c = 1 + rnd(t->ncol - 1);
		for (int tries = 0; t->col[c].uniq && tries < 10; tries++)
			c = 1 + rnd(t->ncol - 1);
		if (t->col[c].uniq) {
			free(b.s);
			return 0;
		}
		USE(update);
		sadd(&b, "UPDATE %s SET %s = ", t->name, t->col[c].name);
		expr(&b, &sc, 2);
		if (chance(30)) {
			int d = 1 + rnd(t->ncol - 1);
			if (d != c && !t->col[d].uniq) {
				sadd(&b, ", %s = ", t->col[d].name);
				lit(&b, t->col[d].kind);
			}
		}
		if (chance(85)) {
			USE(where);
			sadd(&b, " WHERE ");
			expr(&b, &sc, 1);
		}
	} else if (kind < 92) {
		USE(delete);
		sadd(&b, "DELETE FROM %s WHERE ", t->name);
		expr(&b, &sc, 1);
	} else {
		/* a transaction of two writes, committed or rolled back */
		int commit = chance(60);
		struct str w = { 0 };
		USE(txn);
		USE(update);
		sadd(&w, "UPDATE %s SET %s = %s", t->name, t->col[1].name, t->col[1].name);
		emit("BEGIN");
		bad = check_write(++stmt_idx, "BEGIN");
		emit(w.s);
		bad |= check_write(++stmt_idx, w.s);
		free(w.s);
		sadd(&b, "DELETE FROM %s WHERE id %% %d = 0", t->name, 2 + rnd(3));
		emit(b.s);
		bad |= check_write(++stmt_idx, b.s);
		emit(commit ? "COMMIT" : "ROLLBACK");
		bad |= check_write(++stmt_idx, commit ? "COMMIT" : "ROLLBACK");
		free(b.s);
		if (bad) /* leave no transaction open on either side */
			be_a->exec(db_a, "ROLLBACK", (char[8]){ 0 }, 8), be_b->exec(db_b, "ROLLBACK", (char[8]){ 0 }, 8);
		return bad || check_state(stmt_idx);
	}
	emit(b.s);
	bad = check_write(++stmt_idx, b.s);
	free(b.s);
	return bad || check_state(stmt_idx);
}

/* Writes store no integers near 2^63 (see no_big). */
static int gen_write(void)
{
	int bad;
	no_big = 1;
	bad = gen_write1();
	no_big = 0;
	write_target = NULL;
	return bad;
}

/* One episode in this (child) process. */
static void run_episode(const char *dir, long n)
{
	char da[4200], db[4200], err[1024];
	int bad_schema;

	snprintf(da, sizeof(da), "%s/a", dir);
	snprintf(db, sizeof(db), "%s/b", dir);
	mkdir(da, 0700);
	mkdir(db, 0700);
	if (be_a->open(&db_a, da, 0, err, sizeof(err)) || be_b->open(&db_b, db, 0, err, sizeof(err))) {
		fprintf(stderr, "sqldiff: cannot open a database: %s\n", err);
		_exit(3);
	}
	no_big = 1;
	bad_schema = make_schema();
	no_big = 0;
	if (bad_schema) {
		shared->skipped += n;
		goto out;
	}
	for (long i = 0; i < n; i++) {
		int bad;
		shared->crashed_at = stmt_idx + 1;
		bad = chance(70) ? gen_query() : gen_write();
		shared->feat_seen |= feat;
		if (bad && (feat & ((1ull << F_insert) | (1ull << F_update) | (1ull << F_delete) |
				    (1ull << F_txn) | (1ull << F_insertselect)))) {
			/* the states differ: the rest of the episode would only repeat it */
			shared->skipped += n - i - 1;
			break;
		}
	}
out:
	shared->stmts = stmt_idx;
	shared->crashed_at = 0;
	be_a->close(db_a);
	be_b->close(db_b);
}

int main(int argc, char **argv)
{
	uint64_t seed = 20261201;
	long total = 5000;
	const char *known_path = NULL, *dump_path = NULL, *pair = "sqlite,sochdb", *fail_path = NULL;
	int c;

	while ((c = getopt(argc, argv, "s:n:vk:xd:b:e:F:j:w:o:")) != -1) {
		if (c == 'j') {
			json_pct = atoi(optarg);
			continue;
		}
		if (c == 'w') {
			win_pct = atoi(optarg);
			continue;
		}
		if (c == 'o') {
			outer_pct = atoi(optarg);
			continue;
		}
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			total = atol(optarg);
			break;
		case 'v':
			verbose++;
			break;
		case 'k':
			known_path = optarg;
			break;
		case 'd':
			dump_path = optarg;
			break;
		case 'b':
			pair = optarg;
			break;
		case 'e':
			episode_len = atoi(optarg);
			break;
		case 'F':
			fail_path = optarg;
			break;
		case 'x':
			exclude_known = 1;
			break;
		default:
			fprintf(stderr, "usage: sqldiff [-s SEED] [-n STATEMENTS] [-v] [-k KNOWN [-x]] [-d DUMP] [-b REF,ENGINE] [-e EPISODE] [-F OUT] [-j PCT] [-w PCT] [-o PCT]\n");
			return 2;
		}
	}
	{
		char a[300], *comma;
		snprintf(a, sizeof(a), "%s", pair);
		comma = strchr(a, ',');
		if (!comma) {
			fprintf(stderr, "sqldiff: -b wants two engines, REF,ENGINE\n");
			return 2;
		}
		*comma = 0;
		be_a = slt_backend_find(a);
		be_b = slt_backend_find(comma + 1);
		if (!be_a || !be_b) {
			fprintf(stderr, "sqldiff: unknown engine in '%s' (sochdb, sqlite)\n", pair);
			return 2;
		}
	}
	if (known_path) {
		FILE *f = fopen(known_path, "r");
		char line[256], name[64];
		if (!f) {
			fprintf(stderr, "sqldiff: cannot open '%s': %s\n", known_path, strerror(errno));
			return 3;
		}
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " feature %63s", name) != 1)
				continue;
			int k;
			for (k = 0; k < F_COUNT && strcmp(fname[k], name); k++)
				;
			if (k == F_COUNT) {
				fprintf(stderr, "sqldiff: %s: unknown feature '%s'\n", known_path, name);
				return 3;
			}
			known_feat |= 1ull << k;
		}
		fclose(f);
	}
	if (dump_path && !(dump = fopen(dump_path, "w"))) {
		fprintf(stderr, "sqldiff: cannot create '%s': %s\n", dump_path, strerror(errno));
		return 3;
	}
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 3;
	printf("sqldiff: seed %" PRIu64 ", %ld statements, %s against %s (replay: sqldiff -s %" PRIu64 " -n %ld -v)\n",
	       seed, total, be_b->name, be_a->name, seed, total);
	fflush(stdout);
	long done = 0, crashes = 0;
	struct stats tot = { 0 };
	for (int ep = 0; done < total; ep++) {
		char tmpl[4096];
		const char *tmp = getenv("TMPDIR");
		long n = total - done < episode_len ? total - done : episode_len;
		int status;
		pid_t pid;

		snprintf(tmpl, sizeof(tmpl), "%s/sqldiff.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpl))
			return 3;
		memset(shared, 0, sizeof(*shared));
		rng_state = seed * 1000003u + (uint64_t)ep;
		stmt_idx = (long)ep * 1000000L; /* statement numbers: episode * 1e6 + k */
		if (dump)
			fprintf(dump, "-- episode %d\n", ep);
		fflush(stdout);
		if (dump)
			fflush(dump);
		pid = fork();
		if (pid == 0) {
			run_episode(tmpl, n);
			fflush(stdout);
			if (dump)
				fflush(dump);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		slt_rmtree(tmpl);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("statement %ld: %s\n", shared->crashed_at,
			       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "the episode failed");
			crashes++;
			tot.unexpected++;
			tot.mismatches++;
		}
		tot.queries += shared->queries;
		tot.writes += shared->writes;
		tot.mismatches += shared->mismatches;
		tot.expected += shared->expected;
		tot.unexpected += shared->unexpected;
		tot.skipped += shared->skipped;
		tot.feat_failed |= shared->feat_failed;
		tot.feat_seen |= shared->feat_seen;
		done += n;
	}
	printf("sqldiff: %ld statements compared (%ld queries, %ld writes incl. schema and data), %ld skipped after a state difference, %ld crashes\n",
	       tot.queries + tot.writes, tot.queries, tot.writes, tot.skipped, crashes);
	printf("sqldiff: %ld mismatches: %ld expected (listed features), %ld unexpected\n",
	       tot.mismatches, tot.expected, tot.unexpected);
	if (known_feat) {
		printf("sqldiff: listed features that agreed in every statement:");
		for (int f = 0; f < F_COUNT; f++)
			if ((known_feat & (1ull << f)) && !(tot.feat_failed & (1ull << f)))
				printf(" %s", fname[f]);
		printf("\n");
	}
	if (dump)
		fclose(dump);
	if (fail_path) {
		/* the features of the statements that mismatched, as KNOWN */
		FILE *f = fopen(fail_path, "w");
		if (!f) {
			fprintf(stderr, "sqldiff: cannot create '%s': %s\n", fail_path, strerror(errno));
			return 3;
		}
		for (int k = 0; k < F_COUNT; k++)
			if (tot.feat_failed & (1ull << k))
				fprintf(f, "feature %s\n", fname[k]);
		fclose(f);
	}
	return tot.unexpected ? 1 : 0;
}
