/*
 * ast_print.c - renders the syntax tree (ast.h) back to canonical SQL
 * text: keywords upper-case, names quoted only where needed (keywords,
 * odd characters, names that were "double-quoted"), strings and blobs
 * re-quoted, numbers and parameters as written, every compound expression
 * in parentheses. print(parse(print(parse(s)))) == print(parse(s)) is the
 * contract the tests hold it to; the text also names result columns and
 * is stored as schema text.
 */
#include "sql/parse.h"

#include <string.h>

typedef struct sdb_buf B;

static void put(B *b, const char *s) { sdb_buf_adds(b, s); }

static int plain_name(const char *z)
{
	if (!z[0] || !((z[0] >= 'a' && z[0] <= 'z') || (z[0] >= 'A' && z[0] <= 'Z') ||
		       z[0] == '_'))
		return 0;
	size_t i;
	for (i = 1; z[i]; i++) {
		char c = z[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '$'))
			return 0;
	}
	return sdb_sql_keyword(z, i) == SQL_KW_NONE;
}

static void put_quoted(B *b, const char *z, char q)
{
	sdb_buf_addc(b, q);
	for (; *z; z++) {
		sdb_buf_addc(b, *z);
		if (*z == q)
			sdb_buf_addc(b, q);
	}
	sdb_buf_addc(b, q);
}

static void put_name(B *b, const struct sql_name *n)
{
	if (!n->dq && plain_name(n->z))
		put(b, n->z);
	else
		put_quoted(b, n->z, '"');
}

/* A function name: bare also when it is a keyword that may stand for a
 * name (replace(), like(), glob()): before "(" it cannot be read otherwise. */
static void put_func_name(B *b, const struct sql_name *n)
{
	enum sdb_sql_kw kw = sdb_sql_keyword(n->z, strlen(n->z));
	if (!n->dq && kw != SQL_KW_NONE && sdb_sql_keyword_is_name(kw))
		put(b, n->z);
	else
		put_name(b, n);
}

static void put_qname(B *b, const struct sql_name *schema, const struct sql_name *name)
{
	if (schema->z) {
		put_name(b, schema);
		sdb_buf_addc(b, '.');
	}
	put_name(b, name);
}

static void print_expr(B *b, const struct sql_expr *x);
static void print_select(B *b, const struct sql_select *s);
static void print_window(B *b, const struct sql_window *w);

static void print_list(B *b, struct sql_expr *const *l, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, ", ");
		print_expr(b, l[i]);
	}
}

static void print_names(B *b, const struct sql_name *l, int n)
{
	sdb_buf_addc(b, '(');
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, ", ");
		put_name(b, &l[i]);
	}
	sdb_buf_addc(b, ')');
}

static const char *op_text(enum sql_op op)
{
	switch (op) {
	case SQL_OP_OR: return "OR";
	case SQL_OP_AND: return "AND";
	case SQL_OP_EQ: return "=";
	case SQL_OP_NE: return "<>";
	case SQL_OP_IS: return "IS";
	case SQL_OP_ISNOT: return "IS NOT";
	case SQL_OP_ISDISTINCT: return "IS DISTINCT FROM";
	case SQL_OP_ISNOTDISTINCT: return "IS NOT DISTINCT FROM";
	case SQL_OP_LT: return "<";
	case SQL_OP_LE: return "<=";
	case SQL_OP_GT: return ">";
	case SQL_OP_GE: return ">=";
	case SQL_OP_BITAND: return "&";
	case SQL_OP_BITOR: return "|";
	case SQL_OP_LSHIFT: return "<<";
	case SQL_OP_RSHIFT: return ">>";
	case SQL_OP_ADD: return "+";
	case SQL_OP_SUB: return "-";
	case SQL_OP_MUL: return "*";
	case SQL_OP_DIV: return "/";
	case SQL_OP_REM: return "%";
	case SQL_OP_CONCAT: return "||";
	case SQL_OP_PTR: return "->";
	case SQL_OP_PTR2: return "->>";
	case SQL_OP_NEG: return "-";
	case SQL_OP_POS: return "+";
	case SQL_OP_NOT: return "NOT ";
	case SQL_OP_BITNOT: return "~";
	case SQL_OP_LIKE: return "LIKE";
	case SQL_OP_GLOB: return "GLOB";
	case SQL_OP_REGEXP: return "REGEXP";
	case SQL_OP_MATCH: return "MATCH";
	case SQL_OP_RAISE_IGNORE: return "IGNORE";
	case SQL_OP_RAISE_ROLLBACK: return "ROLLBACK";
	case SQL_OP_RAISE_ABORT: return "ABORT";
	case SQL_OP_RAISE_FAIL: return "FAIL";
	default: return "?";
	}
}

static void print_expr(B *b, const struct sql_expr *x)
{
	switch (x->kind) {
	case SQL_E_NULL:
		put(b, "NULL");
		return;
	case SQL_E_INTEGER:
	case SQL_E_FLOAT:
	case SQL_E_PARAM:
		put(b, x->text);
		return;
	case SQL_E_STRING:
		put_quoted(b, x->text, '\'');
		return;
	case SQL_E_BLOB:
		put(b, "X'");
		put(b, x->text);
		sdb_buf_addc(b, '\'');
		return;
	case SQL_E_CTIME:
		put(b, sdb_sql_keyword_name(x->kw));
		return;
	case SQL_E_COLUMN:
		if (x->schema.z) {
			put_name(b, &x->schema);
			sdb_buf_addc(b, '.');
		}
		if (x->table.z) {
			put_name(b, &x->table);
			sdb_buf_addc(b, '.');
		}
		put_name(b, &x->name);
		return;
	case SQL_E_STAR:
		sdb_buf_addc(b, '*');
		return;
	case SQL_E_UNARY:
		sdb_buf_addc(b, '(');
		put(b, op_text(x->op));
		print_expr(b, x->left);
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_BINARY:
		sdb_buf_addc(b, '(');
		print_expr(b, x->left);
		sdb_buf_addc(b, ' ');
		put(b, op_text(x->op));
		sdb_buf_addc(b, ' ');
		print_expr(b, x->right);
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_COLLATE: {
		struct sql_name n = { x->text, 0 };
		sdb_buf_addc(b, '(');
		print_expr(b, x->left);
		put(b, " COLLATE ");
		put_name(b, &n);
		sdb_buf_addc(b, ')');
		return;
	}
	case SQL_E_BETWEEN:
		sdb_buf_addc(b, '(');
		print_expr(b, x->left);
		put(b, x->not_ ? " NOT BETWEEN " : " BETWEEN ");
		print_expr(b, x->right);
		put(b, " AND ");
		print_expr(b, x->third);
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_IN:
		sdb_buf_addc(b, '(');
		print_expr(b, x->left);
		put(b, x->not_ ? " NOT IN " : " IN ");
		if (x->select) {
			sdb_buf_addc(b, '(');
			print_select(b, x->select);
			sdb_buf_addc(b, ')');
		} else if (x->name.z) {
			put_qname(b, &x->schema, &x->name);
			if (x->distinct) {
				sdb_buf_addc(b, '(');
				print_list(b, x->list, x->nlist);
				sdb_buf_addc(b, ')');
			}
		} else {
			sdb_buf_addc(b, '(');
			print_list(b, x->list, x->nlist);
			sdb_buf_addc(b, ')');
		}
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_LIKE:
		sdb_buf_addc(b, '(');
		print_expr(b, x->left);
		put(b, x->not_ ? " NOT " : " ");
		put(b, op_text(x->op));
		sdb_buf_addc(b, ' ');
		print_expr(b, x->right);
		if (x->third) {
			put(b, " ESCAPE ");
			print_expr(b, x->third);
		}
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_ISNULL:
		sdb_buf_addc(b, '(');
		print_expr(b, x->left);
		put(b, x->not_ ? " NOTNULL)" : " ISNULL)");
		return;
	case SQL_E_CASE:
		put(b, "CASE ");
		if (x->left) {
			print_expr(b, x->left);
			sdb_buf_addc(b, ' ');
		}
		for (int i = 0; i + 1 < x->nlist; i += 2) {
			put(b, "WHEN ");
			print_expr(b, x->list[i]);
			put(b, " THEN ");
			print_expr(b, x->list[i + 1]);
			sdb_buf_addc(b, ' ');
		}
		if (x->right) {
			put(b, "ELSE ");
			print_expr(b, x->right);
			sdb_buf_addc(b, ' ');
		}
		put(b, "END");
		return;
	case SQL_E_CAST:
		put(b, "CAST(");
		print_expr(b, x->left);
		put(b, " AS");
		if (x->text) {
			sdb_buf_addc(b, ' ');
			put(b, x->text);
		}
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_EXISTS:
		put(b, "EXISTS (");
		print_select(b, x->select);
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_SUBQUERY:
		sdb_buf_addc(b, '(');
		print_select(b, x->select);
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_FUNC:
		put_func_name(b, &x->name);
		sdb_buf_addc(b, '(');
		if (x->distinct)
			put(b, "DISTINCT ");
		print_list(b, x->list, x->nlist);
		sdb_buf_addc(b, ')');
		if (x->right) {
			put(b, " FILTER (WHERE ");
			print_expr(b, x->right);
			sdb_buf_addc(b, ')');
		}
		if (x->over) {
			put(b, " OVER ");
			if (x->over->base.z && !x->over->npartition && !x->over->norder &&
			    !x->over->frame && !x->over->name.z && x->over->base.z)
				put_name(b, &x->over->base);
			else
				print_window(b, x->over);
		}
		return;
	case SQL_E_VECTOR:
		sdb_buf_addc(b, '(');
		print_list(b, x->list, x->nlist);
		sdb_buf_addc(b, ')');
		return;
	case SQL_E_RAISE:
		put(b, "RAISE(");
		put(b, op_text(x->op));
		if (x->left) {
			put(b, ", ");
			print_expr(b, x->left);
		}
		sdb_buf_addc(b, ')');
		return;
	}
}

static void print_order(B *b, struct sql_order *const *l, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, ", ");
		print_expr(b, l[i]->e);
		if (l[i]->desc)
			put(b, " DESC");
		else if (l[i]->asc)
			put(b, " ASC");
		if (l[i]->nulls)
			put(b, l[i]->nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
	}
}

static void print_frame(B *b, const struct sql_window *w)
{
	const struct sql_expr *next = w->frame_start ? w->frame_start : w->frame_end;
	for (const char *f = w->frame; *f; f++) {
		if (*f == '?' && next) {
			print_expr(b, next);
			next = w->frame_end;
		} else
			sdb_buf_addc(b, *f);
	}
}

static void print_window(B *b, const struct sql_window *w)
{
	const char *sep = "";
	sdb_buf_addc(b, '(');
	if (w->base.z) {
		put_name(b, &w->base);
		sep = " ";
	}
	if (w->npartition) {
		put(b, sep);
		put(b, "PARTITION BY ");
		print_list(b, w->partition, w->npartition);
		sep = " ";
	}
	if (w->norder) {
		put(b, sep);
		put(b, "ORDER BY ");
		print_order(b, w->order, w->norder);
		sep = " ";
	}
	if (w->frame) {
		put(b, sep);
		print_frame(b, w);
	}
	sdb_buf_addc(b, ')');
}

static void print_rescols(B *b, struct sql_rescol *const *l, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, ", ");
		if (l[i]->star) {
			if (l[i]->table.z) {
				put_name(b, &l[i]->table);
				sdb_buf_addc(b, '.');
			}
			sdb_buf_addc(b, '*');
			continue;
		}
		print_expr(b, l[i]->e);
		if (l[i]->alias.z) {
			put(b, " AS ");
			put_name(b, &l[i]->alias);
		}
	}
}

static void print_from(B *b, const struct sql_from *f)
{
	static const char *const joins[] = {
		[SQL_JOIN_COMMA] = "", [SQL_JOIN_INNER] = "INNER ",
		[SQL_JOIN_LEFT] = "LEFT ", [SQL_JOIN_RIGHT] = "RIGHT ",
		[SQL_JOIN_FULL] = "FULL ", [SQL_JOIN_CROSS] = "CROSS ",
	};
	for (int i = 0; i < f->n; i++) {
		const struct sql_source *s = f->items[i];
		if (i) {
			if (s->join == SQL_JOIN_COMMA && !s->natural)
				put(b, ", ");
			else {
				sdb_buf_addc(b, ' ');
				if (s->natural)
					put(b, "NATURAL ");
				if (!s->join_kw)
					put(b, joins[s->join]);
				if (s->outer)
					put(b, "OUTER ");
				put(b, "JOIN ");
			}
		}
		if (s->sub) {
			sdb_buf_addc(b, '(');
			print_select(b, s->sub);
			sdb_buf_addc(b, ')');
		} else if (s->paren) {
			sdb_buf_addc(b, '(');
			print_from(b, s->paren);
			sdb_buf_addc(b, ')');
		} else {
			put_qname(b, &s->schema, &s->name);
			if (s->has_args) {
				sdb_buf_addc(b, '(');
				print_list(b, s->args, s->nargs);
				sdb_buf_addc(b, ')');
			}
		}
		if (s->alias.z) {
			put(b, " AS ");
			put_name(b, &s->alias);
		}
		if (s->indexed.z) {
			put(b, " INDEXED BY ");
			put_name(b, &s->indexed);
		} else if (s->not_indexed)
			put(b, " NOT INDEXED");
		if (s->on) {
			put(b, " ON ");
			print_expr(b, s->on);
		} else if (s->using_) {
			put(b, " USING ");
			print_names(b, s->using_, s->nusing);
		}
	}
}

static void print_with(B *b, const struct sql_with *w)
{
	put(b, w->recursive ? "WITH RECURSIVE " : "WITH ");
	for (int i = 0; i < w->n; i++) {
		const struct sql_cte *c = w->ctes[i];
		if (i)
			put(b, ", ");
		put_name(b, &c->name);
		if (c->ncols)
			print_names(b, c->cols, c->ncols);
		put(b, " AS ");
		if (c->materialized)
			put(b, c->materialized == 1 ? "MATERIALIZED " : "NOT MATERIALIZED ");
		sdb_buf_addc(b, '(');
		print_select(b, c->select);
		sdb_buf_addc(b, ')');
	}
	sdb_buf_addc(b, ' ');
}

static void print_core(B *b, const struct sql_core *c)
{
	if (c->values) {
		put(b, "VALUES ");
		for (int i = 0; i < c->nrows; i++) {
			if (i)
				put(b, ", ");
			print_expr(b, c->rows[i]);
		}
		return;
	}
	put(b, "SELECT ");
	if (c->distinct)
		put(b, c->distinct == 1 ? "DISTINCT " : "ALL ");
	print_rescols(b, c->cols, c->ncols);
	if (c->from) {
		put(b, " FROM ");
		print_from(b, c->from);
	}
	if (c->where) {
		put(b, " WHERE ");
		print_expr(b, c->where);
	}
	if (c->ngroup) {
		put(b, " GROUP BY ");
		print_list(b, c->group, c->ngroup);
	}
	if (c->having) {
		put(b, " HAVING ");
		print_expr(b, c->having);
	}
	for (int i = 0; i < c->nwindows; i++) {
		put(b, i ? ", " : " WINDOW ");
		put_name(b, &c->windows[i]->name);
		put(b, " AS ");
		print_window(b, c->windows[i]);
	}
}

static void print_limit(B *b, const struct sql_expr *limit, const struct sql_expr *offset)
{
	if (!limit)
		return;
	put(b, " LIMIT ");
	print_expr(b, limit);
	if (offset) {
		put(b, " OFFSET ");
		print_expr(b, offset);
	}
}

static void print_select(B *b, const struct sql_select *s)
{
	static const char *const ops[] = {
		[SQL_CMP_NONE] = "", [SQL_CMP_UNION] = " UNION ",
		[SQL_CMP_UNION_ALL] = " UNION ALL ", [SQL_CMP_INTERSECT] = " INTERSECT ",
		[SQL_CMP_EXCEPT] = " EXCEPT ",
	};
	if (s->with)
		print_with(b, s->with);
	for (int i = 0; i < s->ncores; i++) {
		put(b, ops[s->cores[i]->op]);
		print_core(b, s->cores[i]);
	}
	if (s->norder) {
		put(b, " ORDER BY ");
		print_order(b, s->order, s->norder);
	}
	print_limit(b, s->limit, s->offset);
}

static const char *const conflicts[] = {
	[SQL_OR_NONE] = "", [SQL_OR_ROLLBACK] = "ROLLBACK", [SQL_OR_ABORT] = "ABORT",
	[SQL_OR_FAIL] = "FAIL", [SQL_OR_IGNORE] = "IGNORE", [SQL_OR_REPLACE] = "REPLACE",
};

static void print_sets(B *b, struct sql_set *const *l, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			put(b, ", ");
		if (l[i]->paren)
			print_names(b, l[i]->cols, l[i]->ncols);
		else
			put_name(b, &l[i]->cols[0]);
		put(b, " = ");
		print_expr(b, l[i]->e);
	}
}

static void print_returning(B *b, const struct sql_stmt *s)
{
	if (!s->nreturning)
		return;
	put(b, " RETURNING ");
	print_rescols(b, s->returning, s->nreturning);
}

static void print_onconf(B *b, enum sql_conflict c)
{
	if (c == SQL_OR_NONE)
		return;
	put(b, " ON CONFLICT ");
	put(b, conflicts[c]);
}

static void print_fk(B *b, const struct sql_fkey *fk)
{
	put(b, "REFERENCES ");
	put_name(b, &fk->table);
	if (fk->ncols) {
		sdb_buf_addc(b, ' ');
		print_names(b, fk->cols, fk->ncols);
	}
	if (fk->clauses) {
		sdb_buf_addc(b, ' ');
		put(b, fk->clauses);
	}
}

static void print_cons(B *b, const struct sql_constraint *c, int table)
{
	if (c->name.z) {
		put(b, "CONSTRAINT ");
		put_name(b, &c->name);
		sdb_buf_addc(b, ' ');
	}
	switch (c->kind) {
	case SQL_CONS_PRIMARY:
		put(b, "PRIMARY KEY");
		if (table) {
			put(b, " (");
			print_order(b, c->cols, c->ncols);
			if (c->autoinc)
				put(b, " AUTOINCREMENT");
			sdb_buf_addc(b, ')');
		} else if (c->desc)
			put(b, " DESC");
		else if (c->asc)
			put(b, " ASC");
		print_onconf(b, c->conflict);
		if (!table && c->autoinc)
			put(b, " AUTOINCREMENT");
		return;
	case SQL_CONS_NOTNULL:
		put(b, "NOT NULL");
		print_onconf(b, c->conflict);
		return;
	case SQL_CONS_NULL:
		put(b, "NULL");
		print_onconf(b, c->conflict);
		return;
	case SQL_CONS_UNIQUE:
		put(b, "UNIQUE");
		if (table) {
			put(b, " (");
			print_order(b, c->cols, c->ncols);
			sdb_buf_addc(b, ')');
		}
		print_onconf(b, c->conflict);
		return;
	case SQL_CONS_CHECK:
		put(b, "CHECK (");
		print_expr(b, c->e);
		sdb_buf_addc(b, ')');
		print_onconf(b, c->conflict);
		return;
	case SQL_CONS_DEFAULT:
		put(b, "DEFAULT ");
		if (c->e->kind > SQL_E_COLUMN) {
			sdb_buf_addc(b, '(');
			print_expr(b, c->e);
			sdb_buf_addc(b, ')');
		} else
			print_expr(b, c->e);
		return;
	case SQL_CONS_COLLATE: {
		struct sql_name n = { c->text, 0 };
		put(b, "COLLATE ");
		put_name(b, &n);
		return;
	}
	case SQL_CONS_REFERENCES:
		print_fk(b, &c->fk);
		return;
	case SQL_CONS_GENERATED:
		put(b, "GENERATED ALWAYS AS (");
		print_expr(b, c->e);
		sdb_buf_addc(b, ')');
		if (c->text) {
			sdb_buf_addc(b, ' ');
			put(b, c->text);
		}
		return;
	case SQL_CONS_FOREIGN:
		put(b, "FOREIGN KEY ");
		print_names(b, c->fcols, c->nfcols);
		sdb_buf_addc(b, ' ');
		print_fk(b, &c->fk);
		return;
	}
}

static void print_column(B *b, const struct sql_column *col)
{
	put_name(b, &col->name);
	if (col->type) {
		sdb_buf_addc(b, ' ');
		put(b, col->type);
	}
	for (int i = 0; i < col->ncons; i++) {
		sdb_buf_addc(b, ' ');
		print_cons(b, col->cons[i], 0);
	}
}

static void print_trans(B *b, const struct sql_stmt *s)
{
	if (s->transaction_kw) {
		put(b, " TRANSACTION");
		if (s->name.z && s->kind != SQL_S_ROLLBACK) {
			sdb_buf_addc(b, ' ');
			put_name(b, &s->name);
		}
	}
}

static void print_upserts(B *b, const struct sql_stmt *s)
{
	for (int i = 0; i < s->nupserts; i++) {
		const struct sql_upsert *u = s->upserts[i];
		if (u->dup_key) {
			put(b, " ON DUPLICATE KEY UPDATE ");
			print_sets(b, u->sets, u->nsets);
			continue;
		}
		put(b, " ON CONFLICT");
		if (u->ntarget) {
			put(b, " (");
			print_order(b, u->target, u->ntarget);
			sdb_buf_addc(b, ')');
			if (u->target_where) {
				put(b, " WHERE ");
				print_expr(b, u->target_where);
			}
		}
		if (!u->do_update) {
			put(b, " DO NOTHING");
			continue;
		}
		put(b, " DO UPDATE SET ");
		print_sets(b, u->sets, u->nsets);
		if (u->where) {
			put(b, " WHERE ");
			print_expr(b, u->where);
		}
	}
}

static void print_table_ref(B *b, const struct sql_stmt *s)
{
	put_qname(b, &s->schema, &s->name);
	if (s->alias.z) {
		put(b, " AS ");
		put_name(b, &s->alias);
	}
	if (s->name2.z) {
		put(b, " INDEXED BY ");
		put_name(b, &s->name2);
	} else if (s->not_indexed)
		put(b, " NOT INDEXED");
}

static void print_dml_tail(B *b, const struct sql_stmt *s)
{
	if (s->where) {
		put(b, " WHERE ");
		print_expr(b, s->where);
	}
	print_returning(b, s);
	if (s->norder) {
		put(b, " ORDER BY ");
		print_order(b, s->order, s->norder);
	}
	print_limit(b, s->limit, s->offset);
}

static void print_stmt(B *b, const struct sql_stmt *s)
{
	if (s->explain)
		put(b, s->explain == 2 ? "EXPLAIN QUERY PLAN " : "EXPLAIN ");
	if (s->with)
		print_with(b, s->with);
	switch (s->kind) {
	case SQL_S_SELECT:
		print_select(b, s->select);
		return;
	case SQL_S_INSERT:
		if (s->replace)
			put(b, "REPLACE");
		else if (s->mysql_ignore)
			put(b, "INSERT IGNORE");
		else {
			put(b, "INSERT");
			if (s->conflict) {
				put(b, " OR ");
				put(b, conflicts[s->conflict]);
			}
		}
		put(b, " INTO ");
		put_qname(b, &s->schema, &s->name);
		if (s->alias.z) {
			put(b, " AS ");
			put_name(b, &s->alias);
		}
		if (s->has_cols) {
			sdb_buf_addc(b, ' ');
			print_names(b, s->cols, s->ncols);
		}
		if (s->default_values)
			put(b, " DEFAULT VALUES");
		else {
			sdb_buf_addc(b, ' ');
			print_select(b, s->select);
			print_upserts(b, s);
		}
		print_returning(b, s);
		return;
	case SQL_S_UPDATE:
		put(b, "UPDATE ");
		if (s->conflict) {
			put(b, "OR ");
			put(b, conflicts[s->conflict]);
			sdb_buf_addc(b, ' ');
		}
		print_table_ref(b, s);
		put(b, " SET ");
		print_sets(b, s->sets, s->nsets);
		if (s->from) {
			put(b, " FROM ");
			print_from(b, s->from);
		}
		print_dml_tail(b, s);
		return;
	case SQL_S_DELETE:
		put(b, "DELETE FROM ");
		print_table_ref(b, s);
		print_dml_tail(b, s);
		return;
	case SQL_S_CREATE_TABLE:
		put(b, s->temp ? "CREATE TEMP TABLE " : "CREATE TABLE ");
		if (s->if_not_exists)
			put(b, "IF NOT EXISTS ");
		put_qname(b, &s->schema, &s->name);
		if (s->select) {
			put(b, " AS ");
			print_select(b, s->select);
			return;
		}
		put(b, " (");
		for (int i = 0; i < s->ncolumns; i++) {
			if (i)
				put(b, ", ");
			print_column(b, s->columns[i]);
		}
		for (int i = 0; i < s->ntcons; i++) {
			put(b, ", ");
			print_cons(b, s->tcons[i], 1);
		}
		sdb_buf_addc(b, ')');
		if (s->without_rowid)
			put(b, " WITHOUT ROWID");
		if (s->strict)
			put(b, s->without_rowid ? ", STRICT" : " STRICT");
		return;
	case SQL_S_CREATE_INDEX:
		put(b, s->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
		if (s->if_not_exists)
			put(b, "IF NOT EXISTS ");
		put_qname(b, &s->schema, &s->name);
		put(b, " ON ");
		put_name(b, &s->name2);
		if (s->using_.z) {
			put(b, " USING ");
			put_name(b, &s->using_);
		}
		put(b, " (");
		print_order(b, s->order, s->norder);
		sdb_buf_addc(b, ')');
		if (s->noptions) {
			put(b, " WITH (");
			for (int i = 0; i < s->noptions; i++) {
				if (i)
					put(b, ", ");
				put_name(b, &s->options[i]->key);
				put(b, " = ");
				print_expr(b, s->options[i]->value);
			}
			sdb_buf_addc(b, ')');
		}
		if (s->where) {
			put(b, " WHERE ");
			print_expr(b, s->where);
		}
		return;
	case SQL_S_CREATE_VIEW:
		put(b, s->temp ? "CREATE TEMP VIEW " : "CREATE VIEW ");
		if (s->if_not_exists)
			put(b, "IF NOT EXISTS ");
		put_qname(b, &s->schema, &s->name);
		if (s->has_cols) {
			sdb_buf_addc(b, ' ');
			print_names(b, s->cols, s->ncols);
		}
		put(b, " AS ");
		print_select(b, s->select);
		return;
	case SQL_S_CREATE_VTABLE:
		put(b, "CREATE VIRTUAL TABLE ");
		if (s->if_not_exists)
			put(b, "IF NOT EXISTS ");
		put_qname(b, &s->schema, &s->name);
		put(b, " USING ");
		put_name(b, &s->using_);
		if (s->has_vargs) {
			sdb_buf_addc(b, '(');
			for (int i = 0; i < s->nvargs; i++) {
				if (i)
					put(b, ", ");
				put(b, s->vargs[i]);
			}
			sdb_buf_addc(b, ')');
		}
		return;
	case SQL_S_DROP:
		put(b, s->sub == SQL_DROP_TABLE ? "DROP TABLE " :
		       s->sub == SQL_DROP_INDEX ? "DROP INDEX " : "DROP VIEW ");
		if (s->if_exists)
			put(b, "IF EXISTS ");
		put_qname(b, &s->schema, &s->name);
		return;
	case SQL_S_ALTER:
		put(b, "ALTER TABLE ");
		put_qname(b, &s->schema, &s->name);
		switch (s->sub) {
		case SQL_ALTER_RENAME:
			put(b, " RENAME TO ");
			put_name(b, &s->name2);
			return;
		case SQL_ALTER_RENAME_COLUMN:
			put(b, " RENAME COLUMN ");
			put_name(b, &s->alias);
			put(b, " TO ");
			put_name(b, &s->name2);
			return;
		case SQL_ALTER_ADD:
			put(b, " ADD COLUMN ");
			print_column(b, s->columns[0]);
			return;
		default:
			put(b, " DROP COLUMN ");
			put_name(b, &s->name2);
			return;
		}
	case SQL_S_BEGIN:
		put(b, s->sub == SQL_BEGIN_DEFERRED ? "BEGIN DEFERRED" :
		       s->sub == SQL_BEGIN_IMMEDIATE ? "BEGIN IMMEDIATE" :
		       s->sub == SQL_BEGIN_EXCLUSIVE ? "BEGIN EXCLUSIVE" : "BEGIN");
		print_trans(b, s);
		return;
	case SQL_S_COMMIT:
		put(b, "COMMIT");
		print_trans(b, s);
		return;
	case SQL_S_ROLLBACK:
		put(b, "ROLLBACK");
		print_trans(b, s);
		if (s->name.z) {
			put(b, s->savepoint_kw ? " TO SAVEPOINT " : " TO ");
			put_name(b, &s->name);
		}
		return;
	case SQL_S_SAVEPOINT:
		put(b, "SAVEPOINT ");
		put_name(b, &s->name);
		return;
	case SQL_S_RELEASE:
		put(b, s->savepoint_kw ? "RELEASE SAVEPOINT " : "RELEASE ");
		put_name(b, &s->name);
		return;
	case SQL_S_PRAGMA:
		put(b, "PRAGMA ");
		put_qname(b, &s->schema, &s->name);
		if (s->value) {
			if (s->pragma_call)
				sdb_buf_addc(b, '(');
			else
				put(b, " = ");
			if (s->value->kind == SQL_E_COLUMN && plain_name(s->value->name.z))
				put(b, s->value->name.z);
			else if (s->value->kind == SQL_E_COLUMN &&
				 sdb_sql_keyword(s->value->name.z, strlen(s->value->name.z)))
				put(b, s->value->name.z); /* ON, DELETE, DEFAULT, ... */
			else if (s->value->kind == SQL_E_COLUMN)
				put_quoted(b, s->value->name.z, '"');
			else
				print_expr(b, s->value);
			if (s->pragma_call)
				sdb_buf_addc(b, ')');
		}
		return;
	case SQL_S_ANALYZE:
	case SQL_S_REINDEX:
		put(b, s->kind == SQL_S_ANALYZE ? "ANALYZE" : "REINDEX");
		if (s->name.z) {
			sdb_buf_addc(b, ' ');
			put_qname(b, &s->schema, &s->name);
		}
		return;
	case SQL_S_VACUUM:
		put(b, "VACUUM");
		if (s->name.z) {
			sdb_buf_addc(b, ' ');
			put_name(b, &s->name);
		}
		if (s->value) {
			put(b, " INTO ");
			print_expr(b, s->value);
		}
		return;
	}
}

int sdb_sql_print_stmt(struct sdb_buf *b, const struct sql_stmt *s)
{
	print_stmt(b, s);
	return sdb_buf_ok(b) ? 0 : SDB_ENOMEM;
}

int sdb_sql_print_expr(struct sdb_buf *b, const struct sql_expr *x)
{
	print_expr(b, x);
	return sdb_buf_ok(b) ? 0 : SDB_ENOMEM;
}

int sdb_sql_print_select(struct sdb_buf *b, const struct sql_select *s)
{
	print_select(b, s);
	return sdb_buf_ok(b) ? 0 : SDB_ENOMEM;
}
