/*
 * pragma.c - PRAGMA statements as SQLite answers them: table_info,
 * table_xinfo, index_list, index_info, index_xinfo, foreign_keys,
 * foreign_key_list; other names SQLite knows and that change nothing
 * here are accepted and return nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/wint.h"

static int add(struct sql_rows *out, const struct sql_value *v, struct sdb_error *e)
{
	return sql_rows_add(out, v) ? sdb_error_set(e, SDB_ENOMEM, "out of memory") : 0;
}

static struct sql_value txt(const char *s)
{
	return s ? sql_text(s, strlen(s)) : sql_null();
}

static int pragma_arg(const struct sql_stmt *st, const char **name)
{
	const struct sql_expr *x = st->value;

	*name = NULL;
	if (!x)
		return 0;
	if (x->kind == SQL_E_COLUMN)
		*name = x->name.z;
	else if (x->kind == SQL_E_STRING || x->kind == SQL_E_INTEGER)
		*name = x->text;
	return *name != NULL;
}

static int cols(struct sql_rows *out, int n, const char *const *names, struct sdb_error *e)
{
	if (!out)
		return 0;
	return sql_rows_columns(out, n, names) ? sdb_error_set(e, SDB_ENOMEM, "out of memory") : 0;
}

static int table_info(struct sql_wstate *w, const struct sql_table_def *t, int x,
		      struct sql_rows *out, struct sdb_error *e)
{
	static const char *const n6[] = { "cid", "name", "type", "notnull", "dflt_value", "pk", "hidden" };
	int rc = cols(out, x ? 7 : 6, n6, e);

	for (int i = 0; !rc && out && i < t->ncol; i++) {
		const struct sql_col_def *c = &t->cols[i];
		struct sql_value v[7];
		struct sdb_buf b = SDB_BUF_INIT;
		int pk = 0;
		for (int k = 0; k < t->npk; k++)
			if (t->pk[k] == i)
				pk = k + 1;
		if (c->dflt)
			sdb_sql_print_expr(&b, c->dflt);
		v[0] = sql_int(i);
		v[1] = txt(c->name);
		v[2] = txt(c->type ? c->type : "");
		v[3] = sql_int(c->notnull);
		v[4] = c->dflt ? sql_text(b.data ? b.data : "", b.len) : sql_null();
		v[5] = sql_int(pk);
		v[6] = sql_int(0);
		rc = add(out, v, e);
		sdb_buf_release(&b);
	}
	return rc;
}

static int index_list(const struct sql_table_def *t, struct sql_rows *out, struct sdb_error *e)
{
	static const char *const n[] = { "seq", "name", "unique", "origin", "partial" };
	int rc = cols(out, 5, n, e), seq = 0;

	/* newest first, as SQLite lists them */
	for (int i = t->nidx - 1; !rc && out && i >= 0; i--) {
		const struct sql_index_def *x = t->idx[i];
		char o[2] = { (char)x->origin, 0 };
		struct sql_value v[5] = { sql_int(seq++), txt(x->name), sql_int(x->unique),
					  txt(o), sql_int(x->where != NULL) };
		rc = add(out, v, e);
	}
	return rc;
}

static int index_info(const struct sql_index_def *x, int xi, struct sql_rows *out,
		      struct sdb_error *e)
{
	static const char *const n[] = { "seqno", "cid", "name", "desc", "coll", "key" };
	static const char *const colls[] = { "BINARY", "NOCASE", "RTRIM" };
	int rc = cols(out, xi ? 6 : 3, n, e);

	for (int i = 0; !rc && out && i < x->ncol; i++) {
		int c = x->cols[i];
		struct sql_value v[6] = {
			sql_int(i), sql_int(c),
			c >= 0 ? txt(x->table->cols[c].name) : sql_null(),
			sql_int(x->desc[i]), txt(colls[x->coll[i]]), sql_int(1) };
		rc = add(out, v, e);
	}
	return rc;
}

int sql_pragma(struct sql_conn *c, struct sql_wstate *w,
	       const struct sql_stmt *st, struct sql_rows *out,
	       struct sdb_error *e)
{
	const char *p = st->name.z, *arg;

	if (!strcasecmp(p, "foreign_keys")) {
		static const char *const n[] = { "foreign_keys" };
		if (st->value) {
			if (pragma_arg(st, &arg))
				w->foreign_keys = !strcasecmp(arg, "on") || !strcasecmp(arg, "yes") ||
					!strcasecmp(arg, "true") || atoi(arg) != 0;
			return 0;
		}
		int rc = cols(out, 1, n, e);
		struct sql_value v = sql_int(w->foreign_keys);
		return rc || !out ? rc : add(out, &v, e);
	}
	if (!strcasecmp(p, "hnsw_ef_search")) {
		static const char *const n[] = { "hnsw_ef_search" };
		if (st->value) {
			char *end;
			long v;
			if (!pragma_arg(st, &arg))
				return sdb_error_set(e, SDB_EINVAL, "hnsw_ef_search must be an integer from 0 to 100000");
			v = strtol(arg, &end, 10);
			if (*end || end == arg || v < 0 || v > 100000)
				return sdb_error_set(e, SDB_EINVAL, "hnsw_ef_search must be an integer from 0 to 100000");
			w->hnsw_ef_search = (uint32_t)v;
			return 0;
		}
		int rc = cols(out, 1, n, e);
		struct sql_value v = sql_int(w->hnsw_ef_search);
		return rc || !out ? rc : add(out, &v, e);
	}
	if (!strcasecmp(p, "hnsw_exact_rows")) {
		static const char *const n[] = { "hnsw_exact_rows" };
		if (st->value) {
			char *end;
			long long v;
			const char *msg = "hnsw_exact_rows must be -1 (the default) or a row count from 0";
			int neg = st->value->kind == SQL_E_UNARY && st->value->op == SQL_OP_NEG &&
				  st->value->left && st->value->left->kind == SQL_E_INTEGER;
			if (neg) {
				if (strcmp(st->value->left->text, "1"))
					return sdb_error_set(e, SDB_EINVAL, "%s", msg);
				w->hnsw_exact_rows = 0;
				return 0;
			}
			if (!pragma_arg(st, &arg))
				return sdb_error_set(e, SDB_EINVAL, "%s", msg);
			v = strtoll(arg, &end, 10);
			if (*end || end == arg || v < -1 || v > (1ll << 50))
				return sdb_error_set(e, SDB_EINVAL, "%s", msg);
			w->hnsw_exact_rows = v + 1;
			return 0;
		}
		int rc = cols(out, 1, n, e);
		struct sql_value v = sql_int(w->hnsw_exact_rows - 1);
		return rc || !out ? rc : add(out, &v, e);
	}
	if (!strcasecmp(p, "fts_prune")) {
		static const char *const n[] = { "fts_prune" };
		if (st->value) {
			if (!pragma_arg(st, &arg))
				return sdb_error_set(e, SDB_EINVAL, "fts_prune takes on or off");
			if (!strcasecmp(arg, "on") || !strcasecmp(arg, "yes") ||
			    !strcasecmp(arg, "true") || !strcmp(arg, "1"))
				w->fts_noprune = 0;
			else if (!strcasecmp(arg, "off") || !strcasecmp(arg, "no") ||
				 !strcasecmp(arg, "false") || !strcmp(arg, "0"))
				w->fts_noprune = 1;
			else
				return sdb_error_set(e, SDB_EINVAL, "fts_prune takes on or off, not '%s'", arg);
			return 0;
		}
		int rc = cols(out, 1, n, e);
		struct sql_value v = sql_int(!w->fts_noprune);
		return rc || !out ? rc : add(out, &v, e);
	}
	if (!strcasecmp(p, "table_info") || !strcasecmp(p, "table_xinfo") ||
	    !strcasecmp(p, "index_list")) {
		struct sql_table_def *t;
		if (!pragma_arg(st, &arg) || !(t = sql_catalog_table(w->cat, arg)))
			return 0;
		if (!strcasecmp(p, "index_list"))
			return index_list(t, out, e);
		return table_info(w, t, p[5] == 'x', out, e);
	}
	if (!strcasecmp(p, "foreign_key_list")) {
		static const char *const n[] = { "id", "seq", "table", "from", "to", "on_update",
						  "on_delete", "match" };
		static const char *const acts[] = { "NO ACTION", "RESTRICT", "SET NULL", "SET DEFAULT",
						    "CASCADE" };
		struct sql_table_def *t;
		int rc;
		if (!pragma_arg(st, &arg) || !(t = sql_catalog_table(w->cat, arg)))
			return 0;
		if ((rc = cols(out, 8, n, e)))
			return rc;
		/* newest first, as SQLite numbers them */
		for (int f = t->nfks - 1, id = 0; out && f >= 0; f--, id++) {
			const struct sql_fkey_def *fk = &t->fks[f];
			for (int i = 0; i < fk->ncol; i++) {
				struct sql_value v[8] = {
					sql_int(id), sql_int(i), txt(fk->parent),
					txt(t->cols[fk->cols[i]].name),
					fk->pcols ? txt(fk->pcols[i]) : sql_null(),
					txt(acts[fk->on_update]), txt(acts[fk->on_delete]), txt("NONE") };
				if ((rc = add(out, v, e)))
					return rc;
			}
		}
		return 0;
	}
	if (!strcasecmp(p, "index_info") || !strcasecmp(p, "index_xinfo")) {
		struct sql_index_def *x;
		if (!pragma_arg(st, &arg) || !(x = sql_catalog_index(w->cat, arg)))
			return 0;
		return index_info(x, p[5] == 'x', out, e);
	}
	return 0;
}
