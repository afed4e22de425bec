/*
 * alter.c - ALTER TABLE: RENAME TO, RENAME COLUMN, ADD COLUMN, DROP
 * COLUMN, as SQLite does them: the CREATE texts of the table and its
 * indexes rewritten token by token, the definitions rebuilt from them
 * with the same ids (so no row or entry moves), and for DROP COLUMN the
 * rows rewritten without the cell; all in the statement's transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/wint.h"
#include "store/txn.h"

/* A name as SQLite writes it in a CREATE text: bare when it is a plain
 * identifier and no keyword, else "double-quoted". */
static void put_name(struct sdb_buf *b, const char *z, int force_quote)
{
	size_t n = strlen(z);
	int plain = n && (isalpha((unsigned char)z[0]) || z[0] == '_') && !force_quote;

	for (size_t i = 0; plain && i < n; i++)
		if (!isalnum((unsigned char)z[i]) && z[i] != '_')
			plain = 0;
	if (plain && sdb_sql_keyword(z, n) != SQL_KW_NONE)
		plain = 0;
	if (plain) {
		sdb_buf_add(b, z, n);
		return;
	}
	sdb_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (z[i] == '"')
			sdb_buf_addc(b, '"');
		sdb_buf_addc(b, z[i]);
	}
	sdb_buf_addc(b, '"');
}

void sql_w_put_name(struct sdb_buf *b, const char *z);
void sql_w_put_name(struct sdb_buf *b, const char *z)
{
	put_name(b, z, 0);
}

static int is_name_tok(const struct sdb_sql_token *t)
{
	return t->type == SQL_TK_ID || t->type == SQL_TK_QID || t->type == SQL_TK_STRING ||
		(t->type == SQL_TK_KEYWORD && sdb_sql_keyword_is_name(t->kw));
}

static int tok_is(const struct sdb_sql_token *t, const char *name)
{
	char tmp[1024];

	if (!is_name_tok(t) || t->n >= sizeof(tmp))
		return 0;
	sdb_sql_dequote(t->z, t->n, tmp);
	return !strcasecmp(tmp, name);
}

/*
 * Rewrites text: every name token equal to from is replaced by to (as
 * put_name writes it), except the first `skip` name tokens; with
 * only_after_kw, only the name right after that keyword. @return the new
 * text in the catalog's arena, or NULL.
 */
static char *rewrite(struct sql_catalog *c, const char *text, const char *from,
		     const char *to, int force_quote, int only_after_kw, int skip_tokens,
		     struct sdb_error *e)
{
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;
	struct sdb_buf b = SDB_BUF_INIT;
	size_t at = 0;
	int prev_kw = 0, names = 0;
	char *out;

	sdb_sql_lexer_init(&lx, text, strlen(text));
	for (;;) {
		if (sdb_sql_lexer_next(&lx, &t, e)) {
			sdb_buf_release(&b);
			return NULL;
		}
		if (t.type == SQL_TK_EOF)
			break;
		int isname = is_name_tok(&t) && t.type != SQL_TK_STRING;
		int hit = isname && tok_is(&t, from) && names >= skip_tokens &&
			(!only_after_kw || prev_kw == only_after_kw);
		if (isname)
			names++;
		if (hit) {
			sdb_buf_add(&b, text + at, t.off - at);
			put_name(&b, to, force_quote);
			at = t.off + t.n;
		}
		prev_kw = t.type == SQL_TK_KEYWORD ? (int)t.kw : 0;
	}
	sdb_buf_adds(&b, text + at);
	if (!sdb_buf_ok(&b)) {
		sdb_error_set(e, SDB_ENOMEM, "out of memory");
		return NULL;
	}
	out = sql_cat_strdup(c, b.data ? b.data : "");
	sdb_buf_release(&b);
	if (!out)
		sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return out;
}

/* Builds the table again from ttext (same id, automatic indexes keeping
 * their ids in order) and its CREATE INDEX indexes from itexts (NULL:
 * their text unchanged); replaces the old definitions and writes the
 * catalog records. */
static int rebuild(struct sql_wstate *w, struct sql_table_def *old, const char *ttext,
		   char **itexts, struct sdb_error *e)
{
	struct sql_catalog *c = w->cat;
	struct sql_index_def *olds[256], *oauto[256];
	int nolds = 0, nauto = 0, rc;
	uint32_t keep = c->next_id;
	struct sql_table_def *nt;

	for (int i = 0; i < old->nidx && i < 256; i++) {
		if (old->idx[i]->sql)
			olds[nolds++] = old->idx[i];
		else
			oauto[nauto++] = old->idx[i];
	}
	if ((rc = sql_cat_build_table(c, ttext, old->id, NULL, 0, &nt, e)))
		return rc;
	c->next_id = keep;
	{
		int k = 0;
		for (int i = 0; i < nt->nidx; i++) {
			if (k >= nauto)
				return sdb_error_set(e, SDB_EUNSUPPORTED,
						     "ALTER TABLE cannot add a UNIQUE or PRIMARY KEY constraint");
			nt->idx[i]->id = oauto[k++]->id;
		}
	}
	nt->est_rows = old->est_rows;
	nt->analyzed = old->analyzed;
	sql_cat_remove_table(c, old);
	if ((rc = sql_cat_add(c, nt, e)))
		return rc;
	/* the old automatic index records go (names may change) */
	for (int i = 0; i < nauto; i++)
		if ((rc = sql_cat_del_obj(w, oauto[i]->id, e)))
			return rc;
	if ((rc = sql_cat_put_table(w, nt, e)))
		return rc;
	for (int i = 0; i < nolds; i++) {
		struct sql_index_def *x;
		const char *text = itexts && itexts[i] ? itexts[i] : olds[i]->sql;
		if ((rc = sql_cat_build_index(c, text, olds[i]->id, &x, e))) {
			if (rc == SDB_ENOTFOUND && e) {
				char why[512];
				snprintf(why, sizeof(why), "%s", e->msg);
				rc = sdb_error_set(e, SDB_EINVAL, "error in index %s after drop column: %s",
						   olds[i]->name, why);
			}
			return rc;
		}
		x->est_rows = olds[i]->est_rows;
		x->analyzed = olds[i]->analyzed;
		if ((rc = sql_cat_add_index(c, x, e)) || (rc = sql_cat_put_index(w, x, e)))
			return rc;
	}
	return sql_cat_put_meta(w, e);
}

static int has_rows(struct sql_wstate *w, const struct sql_table_def *t, int *yes,
		    struct sdb_error *e)
{
	struct sdb_txn_iter *it;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int rc;

	sql_obj_prefix(&w->kbuf, t->id);
	sql_obj_end(&w->k2, t->id);
	if ((rc = sdb_txn_iter_open(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data, w->k2.len,
				    0, &it, e)))
		return rc;
	rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
	sdb_txn_iter_close(it);
	if (rc < 0)
		return rc;
	*yes = rc == 1;
	return 0;
}

/* The text of the column definition in ALTER TABLE ... ADD [COLUMN] def. */
static const char *add_def(const struct sql_stmt *st, const char *src, size_t *len,
			   struct sdb_error *e)
{
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;
	int seen_add = 0;

	sdb_sql_lexer_init(&lx, src + st->off, st->len);
	for (;;) {
		if (sdb_sql_lexer_next(&lx, &t, e) || t.type == SQL_TK_EOF)
			return NULL;
		if (!seen_add) {
			seen_add = t.type == SQL_TK_KEYWORD && t.kw == SQL_KW_ADD;
			continue;
		}
		if (t.type == SQL_TK_KEYWORD && t.kw == SQL_KW_COLUMN)
			continue;
		*len = st->len - t.off;
		while (*len && (src[st->off + t.off + *len - 1] == ' ' ||
				src[st->off + t.off + *len - 1] == '\n'))
			(*len)--;
		return src + st->off + t.off;
	}
}

static int add_column(struct sql_wstate *w, struct sql_table_def *t, const struct sql_stmt *st,
		      const char *src, struct sdb_error *e)
{
	const struct sql_column *col = st->ncolumns ? st->columns[0] : NULL;
	const char *def, *close;
	size_t dlen, head;
	struct sdb_buf b = SDB_BUF_INIT;
	char *text;
	int rc, rows = 0;

	if (!col)
		return sdb_error_set(e, SDB_EINVAL, "ADD COLUMN without a column");
	if (sql_table_column(t, col->name.z) >= 0)
		return sdb_error_set(e, SDB_EINVAL, "duplicate column name: %s", col->name.z);
	if ((rc = has_rows(w, t, &rows, e)))
		return rc;
	for (int k = 0; k < col->ncons; k++) {
		const struct sql_constraint *cn = col->cons[k];
		if (cn->kind == SQL_CONS_PRIMARY)
			return sdb_error_set(e, SDB_EINVAL, "Cannot add a PRIMARY KEY column");
		if (cn->kind == SQL_CONS_UNIQUE)
			return sdb_error_set(e, SDB_EINVAL, "Cannot add a UNIQUE column");
	}
	if (!(def = add_def(st, src, &dlen, e)))
		return e && e->code ? e->code : SDB_EINVAL;
	close = strrchr(t->sql, ')');
	if (!close)
		return sdb_error_set(e, SDB_ECORRUPT, "malformed CREATE text of %s", t->name);
	head = (size_t)(close - t->sql);
	while (head && t->sql[head - 1] == ' ')
		head--;
	sdb_buf_add(&b, t->sql, head);
	sdb_buf_adds(&b, ", ");
	sdb_buf_add(&b, def, dlen);
	sdb_buf_adds(&b, t->sql + (close - t->sql));
	if (!sdb_buf_ok(&b) || !(text = sql_cat_strdup(w->cat, b.data))) {
		sdb_buf_release(&b);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	sdb_buf_release(&b);
	struct sql_table_def *old = t;
	if ((rc = rebuild(w, old, text, NULL, e)))
		return rc;
	t = sql_catalog_table(w->cat, st->name.z);
	if (rows && t) {
		const struct sql_col_def *cd = &t->cols[t->ncol - 1];
		if (cd->dflt && !cd->dflt_const)
			return sdb_error_set(e, SDB_EINVAL, "Cannot add a column with non-constant default");
		if (cd->notnull && (!cd->dflt_const || cd->dflt_value.type == SQLV_NULL))
			return sdb_error_set(e, SDB_EINVAL,
					     "Cannot add a NOT NULL column with default value NULL");
	}
	return 0;
}

static int rename_table(struct sql_wstate *w, struct sql_table_def *t, const char *to,
			struct sdb_error *e)
{
	struct sql_catalog *c = w->cat;
	char *ttext, *itexts[256];
	const char *type;
	int n = 0;

	if (sql_cat_name_taken(c, to, &type) && !(sql_name_eq(to, t->name)))
		return sdb_error_set(e, SDB_EINVAL,
				     "there is already another table or index with this name: %s", to);
	if (!strncasecmp(to, "sqlite_", 7))
		return sdb_error_set(e, SDB_EINVAL, "object name reserved for internal use: %s", to);
	/* CREATE TABLE name: the name after TABLE, always quoted (SQLite) */
	if (!(ttext = rewrite(c, t->sql, t->name, to, 1, SQL_KW_TABLE, 0, e)))
		return e && e->code ? e->code : SDB_ENOMEM;
	for (int i = 0; i < t->nidx && i < 256; i++) {
		if (!t->idx[i]->sql)
			continue;
		if (!(itexts[n++] = rewrite(c, t->idx[i]->sql, t->name, to, 1, SQL_KW_ON, 0, e)))
			return e && e->code ? e->code : SDB_ENOMEM;
	}
	return rebuild(w, t, ttext, itexts, e);
}

static int rename_column(struct sql_wstate *w, struct sql_table_def *t, const char *from,
			 const char *to, struct sdb_error *e)
{
	struct sql_catalog *c = w->cat;
	char *ttext, *itexts[256];
	int n = 0, ci = sql_table_column(t, from);

	if (ci < 0)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such column: \"%s\"", from);
	if (sql_table_column(t, to) >= 0 && !sql_name_eq(from, to))
		return sdb_error_set(e, SDB_EINVAL, "error in table %s after rename: duplicate column name: %s",
				     t->name, to);
	/* every name token but the table's own (the first) */
	if (!(ttext = rewrite(c, t->sql, from, to, 0, 0, 1, e)))
		return e && e->code ? e->code : SDB_ENOMEM;
	for (int i = 0; i < t->nidx && i < 256; i++) {
		if (!t->idx[i]->sql)
			continue;
		/* CREATE INDEX i ON t(...): past the index's and table's names */
		if (!(itexts[n++] = rewrite(c, t->idx[i]->sql, from, to, 0, 0, 2, e)))
			return e && e->code ? e->code : SDB_ENOMEM;
	}
	return rebuild(w, t, ttext, itexts, e);
}

/* The text without the definition of column col (and one comma). */
static char *drop_def(struct sql_catalog *c, const char *text, const char *col,
		      struct sdb_error *e)
{
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;
	size_t starts[1024], ends[1024], seps[1024];
	int n = 0, depth = 0, want_start = 0, hit = -1;
	struct sdb_buf b = SDB_BUF_INIT;
	size_t from, to;
	char *out;

	sdb_sql_lexer_init(&lx, text, strlen(text));
	for (;;) {
		if (sdb_sql_lexer_next(&lx, &t, e))
			return NULL;
		if (t.type == SQL_TK_EOF)
			break;
		if (t.type == SQL_TK_LP && ++depth == 1) {
			want_start = 1;
			continue;
		}
		if (t.type == SQL_TK_RP && depth-- == 1) {
			if (n)
				ends[n - 1] = t.off;
			continue;
		}
		if (t.type == SQL_TK_COMMA && depth == 1) {
			if (n)
				ends[n - 1] = seps[n - 1] = t.off;
			want_start = 1;
			continue;
		}
		if (want_start && depth == 1 && n < 1024) {
			want_start = 0;
			starts[n] = t.off;
			if (hit < 0 && tok_is(&t, col))
				hit = n;
			n++;
		}
	}
	if (hit < 0)
		return NULL;
	if (hit + 1 < n) {
		from = starts[hit];
		to = starts[hit + 1];
	} else if (hit > 0) {
		from = seps[hit - 1];
		to = ends[hit];
	} else
		return NULL;
	sdb_buf_add(&b, text, from);
	sdb_buf_adds(&b, text + to);
	out = sdb_buf_ok(&b) ? sql_cat_strdup(c, b.data) : NULL;
	sdb_buf_release(&b);
	if (!out)
		sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return out;
}

static int drop_column(struct sql_wstate *w, struct sql_table_def *t, const char *col,
		       struct sdb_error *e)
{
	int ci = sql_table_column(t, col), rc;
	char *ttext;
	struct sql_table_def *nt;

	if (ci < 0)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such column: \"%s\"", col);
	for (int i = 0; i < t->npk; i++)
		if (t->pk[i] == ci)
			return sdb_error_set(e, SDB_EINVAL, "cannot drop PRIMARY KEY column: \"%s\"", col);
	for (int i = 0; i < t->nidx; i++)
		if (!t->idx[i]->sql)
			for (int k = 0; k < t->idx[i]->ncol; k++)
				if (t->idx[i]->cols[k] == ci)
					return sdb_error_set(e, SDB_EINVAL, "cannot drop UNIQUE column: \"%s\"", col);
	if (t->ncol == 1)
		return sdb_error_set(e, SDB_EINVAL, "cannot drop column \"%s\": no other columns exist", col);
	if (!(ttext = drop_def(w->cat, t->sql, t->cols[ci].name, e)))
		return e && e->code ? e->code : sdb_error_set(e, SDB_EUNSUPPORTED,
							      "cannot find the definition of column %s", col);
	/* the rows without the cell (before the definitions change) */
	{
		struct sdb_txn_iter *it;
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		struct sql_value *row = calloc((size_t)t->ncol + 1, sizeof(*row));
		struct sdb_buf keys = SDB_BUF_INIT, vals = SDB_BUF_INIT;
		size_t *offs = NULL, n = 0, cap = 0;

		if (!row)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		sql_obj_prefix(&w->kbuf, t->id);
		sql_obj_end(&w->k2, t->id);
		rc = sdb_txn_iter_open(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data, w->k2.len, 0, &it, e);
		while (!rc && (rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) == 1) {
			int64_t rowid;
			size_t vstart = vals.len;
			rc = 0;
			if ((rc = sql_row_decode(t, k, kn, v.data, v.len, row, &rowid, e)))
				break;
			if (t->ipk >= 0)
				row[t->ipk] = sql_null();
			memmove(&row[ci], &row[ci + 1], sizeof(*row) * (size_t)(t->ncol - ci - 1));
			sql_record_encode(&vals, row, t->ncol - 1);
			if (n + 1 >= cap) {
				cap = cap ? cap * 2 : 256;
				size_t *no = realloc(offs, sizeof(*no) * cap * 4);
				if (!no) {
					rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
					break;
				}
				offs = no;
			}
			offs[4 * n] = keys.len;
			offs[4 * n + 1] = kn;
			offs[4 * n + 2] = vstart;
			offs[4 * n + 3] = vals.len - vstart;
			sdb_buf_add(&keys, k, kn);
			n++;
		}
		if (it)
			sdb_txn_iter_close(it);
		if (rc >= 0 && (!sdb_buf_ok(&keys) || !sdb_buf_ok(&vals)))
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		for (size_t i = 0; rc >= 0 && i < n; i++)
			rc = sdb_txn_put(w->txn, keys.data + offs[4 * i], offs[4 * i + 1],
					 vals.data + offs[4 * i + 2], offs[4 * i + 3], 0, e);
		free(row);
		free(offs);
		sdb_buf_release(&keys);
		sdb_buf_release(&vals);
		if (rc < 0)
			return rc;
	}
	if ((rc = rebuild(w, t, ttext, NULL, e)))
		return rc;
	nt = sql_catalog_table(w->cat, t->name);
	return nt ? 0 : SDB_EINVAL;
}

int sql_w_alter(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
		const struct sql_stmt *st, const char *src, struct sdb_error *e)
{
	struct sql_table_def *t = sql_catalog_table(w->cat, st->name.z);
	int rc;

	if (!t || t->is_system)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name.z);
	if (t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "Cannot alter view %s", t->name);
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	w->txn_ddl = 1;
	switch (st->sub) {
	case SQL_ALTER_RENAME:
		return rename_table(w, t, st->name2.z, e);
	case SQL_ALTER_RENAME_COLUMN:
		return rename_column(w, t, st->alias.z, st->name2.z, e);
	case SQL_ALTER_ADD:
		return add_column(w, t, st, src, e);
	case SQL_ALTER_DROP_COLUMN:
		return drop_column(w, t, st->name2.z, e);
	default:
		return sdb_error_set(e, SDB_EUNSUPPORTED, "ALTER TABLE form not supported");
	}
}
