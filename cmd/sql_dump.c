/*
 * sql_dump.c - .dump of sochdb-sql: SQL text that rebuilds the database,
 * laid out as sqlite3's .dump writes it (PRAGMA foreign_keys=OFF; BEGIN
 * TRANSACTION; each table's CREATE and its rows as INSERT INTO ...
 * VALUES(...); then the indexes and views; COMMIT;), so that either
 * shell reads the other's dump. Values are written as quote() writes
 * them, REALs with digits enough to come back the same double.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

#include "sql/tokenize.h"
#include "util/array.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void shell_quote_name(struct sdb_buf *b, const char *name)
{
	size_t n = strlen(name);
	int bare = n > 0 && !(name[0] >= '0' && name[0] <= '9') &&
		   sdb_sql_keyword(name, n) == SQL_KW_NONE;

	for (size_t i = 0; i < n && bare; i++) {
		char c = name[i];
		bare = c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
	}
	if (bare) {
		sdb_buf_add(b, name, n);
		return;
	}
	sdb_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '"')
			sdb_buf_addc(b, '"');
		sdb_buf_addc(b, name[i]);
	}
	sdb_buf_addc(b, '"');
}

void shell_quote_value(struct sdb_buf *b, const struct sql_value *v)
{
	static const char hex[] = "0123456789ABCDEF";
	char num[64];

	switch (v->type) {
	case SQLV_INT:
		sdb_buf_addf(b, "%" PRId64, v->u.i);
		break;
	case SQLV_REAL:
		if (isinf(v->u.r)) {
			sdb_buf_adds(b, v->u.r > 0 ? "9.0e+999" : "-9.0e+999");
			break;
		}
		sql_real_fmt(v->u.r, num);
		if (strtod(num, NULL) != v->u.r)
			snprintf(num, sizeof(num), "%.17e", v->u.r);
		sdb_buf_adds(b, num);
		break;
	case SQLV_TEXT:
		sdb_buf_addc(b, '\'');
		for (uint32_t i = 0; i < v->n; i++) {
			if (v->u.z[i] == '\'')
				sdb_buf_addc(b, '\'');
			sdb_buf_addc(b, v->u.z[i]);
		}
		sdb_buf_addc(b, '\'');
		break;
	case SQLV_BLOB:
		sdb_buf_adds(b, "X'");
		for (uint32_t i = 0; i < v->n; i++) {
			unsigned char c = (unsigned char)v->u.z[i];
			sdb_buf_addc(b, hex[c >> 4]);
			sdb_buf_addc(b, hex[c & 15]);
		}
		sdb_buf_addc(b, '\'');
		break;
	default:
		sdb_buf_adds(b, "NULL");
		break;
	}
}

struct obj {
	char *name, *sql;
};
struct objs {
	struct obj *v;
	size_t n, cap;
};

static int collect(void *ctx, struct sql_stmt_h *st)
{
	struct objs *x = ctx;
	const struct sql_value *n = sql_column(st, 0), *s = sql_column(st, 1);

	if (!n || n->type != SQLV_TEXT || !s || s->type != SQLV_TEXT)
		return 0;
	if (sdb_grow((void **)&x->v, &x->cap, x->n + 1, sizeof(*x->v), 16))
		return SDB_ENOMEM;
	x->v[x->n].name = strndup(n->u.z, n->n);
	x->v[x->n].sql = strndup(s->u.z, s->n);
	if (!x->v[x->n].name || !x->v[x->n].sql)
		return SDB_ENOMEM;
	x->n++;
	return 0;
}

static void objs_free(struct objs *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].name);
		free(x->v[i].sql);
	}
	free(x->v);
}

struct dump_rows {
	struct shell *sh;
	const char *table;
	int rc;
	struct sdb_error *e;
};

static int dump_row(void *ctx, struct sql_stmt_h *st)
{
	struct dump_rows *d = ctx;
	struct sdb_buf *b = &d->sh->ob;
	int n = sql_column_count(st);

	sdb_buf_adds(b, "INSERT INTO ");
	shell_quote_name(b, d->table);
	sdb_buf_adds(b, " VALUES(");
	for (int i = 0; i < n; i++) {
		const struct sql_value *v = sql_column(st, i);
		struct sql_value nul = sql_null();
		if (i)
			sdb_buf_addc(b, ',');
		shell_quote_value(b, v ? v : &nul);
	}
	sdb_buf_adds(b, ");\n");
	if (!sdb_buf_ok(b))
		return SDB_ENOMEM;
	if (b->len > (1u << 20)) {
		int rc = shell_sink(d->sh, b->data, b->len, d->e);
		sdb_buf_reset(b);
		return rc;
	}
	return 0;
}

/* Whether name matches one of the LIKE patterns av[1..ac) (all: none). */
static int wanted(struct shell *sh, int ac, char **av, const char *name)
{
	if (ac < 2)
		return 1;
	for (int i = 1; i < ac; i++) {
		if (sql_like(av[i], strlen(av[i]), name, strlen(name), 0))
			return 1;
	}
	(void)sh;
	return 0;
}

int shell_dump(struct shell *sh, int ac, char **av)
{
	struct objs t = { NULL, 0, 0 }, o = { NULL, 0, 0 };
	struct sdb_buf *b = &sh->ob;
	struct sdb_error e;
	int rc;

	sdb_error_clear(&e);
	rc = shell_query(sh, "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
			 "AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'", collect, &t, &e);
	if (!rc)
		rc = shell_query(sh, "SELECT tbl_name, sql FROM sqlite_schema WHERE type IN "
				 "('index', 'view', 'trigger') AND sql IS NOT NULL", collect, &o, &e);
	sdb_buf_reset(b);
	sdb_buf_adds(b, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
	for (size_t i = 0; i < t.n && !rc; i++) {
		struct dump_rows d = { sh, t.v[i].name, 0, &e };
		struct sdb_buf q = SDB_BUF_INIT;
		if (!wanted(sh, ac, av, t.v[i].name))
			continue;
		shell_put_create(b, t.v[i].sql, strlen(t.v[i].sql));
		sdb_buf_adds(b, ";\n");
		sdb_buf_adds(&q, "SELECT * FROM ");
		shell_quote_name(&q, t.v[i].name);
		sdb_buf_addc(&q, 0);
		rc = sdb_buf_ok(&q) ? shell_query(sh, q.data, dump_row, &d, &e) : SDB_ENOMEM;
		sdb_buf_release(&q);
	}
	for (size_t i = 0; i < o.n && !rc; i++) {
		if (!wanted(sh, ac, av, o.v[i].name))
			continue;
		sdb_buf_adds(b, o.v[i].sql);
		sdb_buf_adds(b, ";\n");
	}
	if (!rc) {
		sdb_buf_adds(b, "COMMIT;\n");
		rc = sdb_buf_ok(b) ? shell_sink(sh, b->data, b->len, &e) : SDB_ENOMEM;
	}
	sdb_buf_reset(b);
	objs_free(&t);
	objs_free(&o);
	if (rc) {
		if (e.code == SDB_EIO && !strncmp(e.msg, "write failure", 13))
			cli_die_output(&e);
		shell_report(sh, NULL, 0, 0, rc, &e);
	}
	return rc;
}
