/*
 * dml.c - INSERT (VALUES, DEFAULT VALUES; OR IGNORE|REPLACE|ABORT|FAIL|
 * ROLLBACK, REPLACE INTO, INSERT IGNORE, ON CONFLICT DO NOTHING), with
 * NOT NULL, PRIMARY KEY and UNIQUE enforced as SQLite does, rowids as
 * SQLite hands them out (largest + 1; AUTOINCREMENT never reuses), and
 * the rows written through the statement's transaction.
 *
 * DESIGN. One row: the column values get their affinity; the rowid is
 * the INTEGER PRIMARY KEY's value, an explicit rowid, or the table's
 * largest rowid + 1 (cached per table for the transaction, so a bulk
 * insert reads it once); NOT NULL, then the primary key (a point read of
 * the row key) and each UNIQUE index (a prefix seek of its values, NULLs
 * never conflict) are checked, each conflict resolved by the statement's
 * OR clause, else the constraint's ON CONFLICT, else ABORT; then the
 * record and every index entry are written. Keys and records are encoded
 * into the connection's reused buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sql/conn.h"
#include "sql/exec.h"
#include "sql/vec.h"
#include "sql/vecindex.h"
#include "sql/wint.h"
#include "store/txn.h"

int sql_w_unique_msg(const struct sql_index_def *x, struct sdb_error *e);
void sql_w_seq_key(struct sdb_buf *b, const char *name);

struct ins {
	struct sql_wstate *w;
	struct sql_table_def *t;
	int conflict;              /* the statement's OR clause */
	int upsert_nothing;        /* ON CONFLICT DO NOTHING (any target) */
	int fail_keep;             /* OR FAIL: keep the rows before */
	int rollback_txn;          /* OR ROLLBACK hit */
	struct sdb_sql_arena mem;  /* the row's converted bytes */
	int64_t seq;               /* AUTOINCREMENT counter */
	int seq_loaded, seq_dirty;
	struct sql_value *old;     /* a replaced row's values */
	struct sdb_buf oldrec;
	const struct sql_stmt *st;
	struct sql_rows *out;
	long changes;
	struct sql_conn *c;
	struct sql_stmt_h *h;
	struct sql_rowexpr **chk;  /* CHECK constraints, compiled once */
	struct sql_rowexpr **dflt; /* DEFAULT expressions, compiled once */
	struct sql_rowexpr **ret;  /* RETURNING expressions */
	int nret;
	struct sdb_sql_arena *srcmem; /* INSERT ... SELECT rows */
	/* upserts: compiled SET values and WHERE of each clause */
	struct sql_rowexpr **up_set[8], *up_where[8];
	int up_nset[8];
	int in_upsert;             /* the UPDATE of an upsert is running */
	struct sql_value *uold, *unew;
	struct sdb_buf urec, ukey;
	const struct sql_value *done_row; /* the row an upsert left */
	int64_t done_rowid;
};

static void free_exprs(struct sql_rowexpr **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		sql_rowexpr_free(v[i]);
	free(v);
}

/* Evaluates x (compiled into *slot once when slot is given) over row. */
static int eval_x(struct ins *s, const struct sql_table_def *t, const struct sql_expr *x,
		  struct sql_rowexpr **slot, const struct sql_value *row, int64_t rowid,
		  const struct sql_value *excl, int64_t excl_rowid, struct sql_value *out,
		  struct sdb_error *e)
{
	struct sql_rowexpr *r = slot ? *slot : NULL;
	int rc;

	if (!row && !excl) {
		int k = sql_w_const(x, &s->mem, out);
		if (k)
			return k < 0 ? sdb_error_set(e, SDB_ENOMEM, "out of memory") : 0;
		if (x && x->kind == SQL_E_PARAM && s->h) {
			/* a bound parameter (INSERT ... VALUES(?, ...) of .import):
			 * its value, as the compiled expression would give it */
			*out = sql_stmt_param(s->h, x->off);
			return sql_w_copy(out, &s->mem) ? sdb_error_set(e, SDB_ENOMEM, "out of memory") : 0;
		}
	}
	if (!r && (rc = sql_rowexpr_compile(s->c, s->h, t, x, excl != NULL, &r, e)))
		return rc;
	rc = sql_rowexpr_eval(r, row, rowid, excl, excl_rowid, out, e);
	if (!rc && sql_w_copy(out, &s->mem))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (slot)
		*slot = r;
	else
		sql_rowexpr_free(r);
	return rc;
}

static int resolve(const struct ins *s, int cons)
{
	if (s->conflict != SQL_OR_NONE)
		return s->conflict;
	return cons != SQL_OR_NONE ? cons : SQL_OR_ABORT;
}

static int oom(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* The table's largest rowid in the transaction's view. */
static int max_rowid(struct sql_wstate *w, struct sql_table_def *t, struct sdb_error *e)
{
	struct sdb_txn_iter *it;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int rc;

	if (t->max_rowid_ok)
		return 0;
	sql_obj_prefix(&w->kbuf, t->id);
	sql_obj_end(&w->k2, t->id);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->k2))
		return oom(e);
	if ((rc = sdb_txn_iter_open(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data,
				    w->k2.len, 1, &it, e)))
		return rc;
	rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
	t->max_rowid = 0;
	if (rc == 1)
		rc = sql_rowkey_rowid_of(k, kn, &t->max_rowid, e);
	sdb_txn_iter_close(it);
	if (rc < 0)
		return rc;
	t->max_rowid_ok = 1;
	return 0;
}

static int load_seq(struct ins *s, struct sdb_error *e)
{
	struct sdb_val v;
	struct sql_value c;
	int rc;

	if (s->seq_loaded)
		return 0;
	sql_w_seq_key(&s->w->kbuf, s->t->name);
	if (!sdb_buf_ok(&s->w->kbuf))
		return oom(e);
	rc = sdb_txn_get(s->w->txn, s->w->kbuf.data, s->w->kbuf.len, &v, e);
	s->seq = 0;
	if (rc == 0) {
		if ((rc = sql_record_column(v.data, v.len, 0, &c, e)))
			return rc;
		s->seq = c.type == SQLV_INT ? c.u.i : 0;
	} else if (rc != SDB_ENOTFOUND)
		return rc;
	s->seq_loaded = 1;
	return 0;
}

static int save_seq(struct ins *s, struct sdb_error *e)
{
	struct sql_value c = sql_int(s->seq);

	if (!s->seq_dirty)
		return 0;
	sql_w_seq_key(&s->w->kbuf, s->t->name);
	sdb_buf_reset(&s->w->vbuf);
	sql_record_encode(&s->w->vbuf, &c, 1);
	if (!sdb_buf_ok(&s->w->kbuf) || !sdb_buf_ok(&s->w->vbuf))
		return oom(e);
	s->seq_dirty = 0;
	return sdb_txn_put(s->w->txn, s->w->kbuf.data, s->w->kbuf.len, s->w->vbuf.data,
			   s->w->vbuf.len, 0, e);
}

/* Writes (del 0) or deletes (del 1) every index entry of a row. */
static int index_entries(struct sql_wstate *w, const struct sql_table_def *t,
			 const struct sql_value *row, int64_t rowid, int del,
			 struct sdb_error *e)
{
	int rc = sql_fts_row(w, t, row, rowid, del, e);

	if (rc || (rc = sql_hnsw_row(w, t, row, rowid, del, e)))
		return rc;
	for (int i = 0; i < t->nidx; i++) {
		const struct sql_index_def *x = t->idx[i];
		if (x->hnsw)
			continue;
		if ((rc = sql_idxkey(&w->kbuf, &w->rbits, x, row, NULL, rowid, e)))
			return rc;
		rc = del ? sdb_txn_del(w->txn, w->kbuf.data, w->kbuf.len, e) :
			sdb_txn_put(w->txn, w->kbuf.data, w->kbuf.len, w->rbits.data,
				    w->rbits.len, 0, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Deletes the row stored at key k (copied first: reads move pointers). */
int sql_w_delete_at(struct sql_wstate *w, const struct sql_table_def *t,
		    const void *k, size_t kn, struct sql_value *tmprow,
		    struct sdb_buf *tmprec, struct sdb_error *e);
int sql_w_delete_at(struct sql_wstate *w, const struct sql_table_def *t,
		    const void *k, size_t kn, struct sql_value *tmprow,
		    struct sdb_buf *tmprec, struct sdb_error *e)
{
	struct sdb_val v;
	int64_t rowid;
	size_t klen;
	int rc;

	sdb_buf_reset(tmprec);
	sdb_buf_add(tmprec, k, kn);
	klen = kn;
	if (!sdb_buf_ok(tmprec))
		return oom(e);
	rc = sdb_txn_get(w->txn, tmprec->data, klen, &v, e);
	if (rc)
		return rc == SDB_ENOTFOUND ? 0 : rc;
	sdb_buf_add(tmprec, v.data, v.len);
	if (!sdb_buf_ok(tmprec))
		return oom(e);
	if ((rc = sql_row_decode(t, tmprec->data, klen, tmprec->data + klen,
				 tmprec->len - klen, tmprow, &rowid, e)))
		return rc;
	if ((rc = index_entries(w, t, tmprow, rowid, 1, e)))
		return rc;
	if (!t->without_rowid && t->max_rowid_ok && rowid >= t->max_rowid)
		((struct sql_table_def *)t)->max_rowid_ok = 0; /* SQLite reuses the largest */
	rc = sdb_txn_del(w->txn, tmprec->data, klen, e);
	return rc ? rc : 1;
}

static int pk_failed(const struct sql_table_def *t, struct sdb_error *e)
{
	char msg[480];
	size_t n = 0;

	if (!t->npk)
		return sdb_error_set(e, SDB_ECONFLICT, "UNIQUE constraint failed: %s.rowid", t->name);
	msg[0] = 0;
	for (int i = 0; i < t->npk && n < sizeof(msg) - 64; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s.%s", i ? ", " : "",
				      t->name, t->cols[t->pk[i]].name);
	return sdb_error_set(e, SDB_ECONFLICT, "UNIQUE constraint failed: %s", msg);
}

/* A conflict under mode: 1 ignore the row, 2 replace, or the error. */
static int on_conflict(struct ins *s, int mode, int err)
{
	switch (mode) {
	case SQL_OR_IGNORE:
		return 1;
	case SQL_OR_REPLACE:
		return 2;
	case SQL_OR_FAIL:
		s->fail_keep = 1;
		return err;
	case SQL_OR_ROLLBACK:
		s->rollback_txn = 1;
		return err;
	default:
		return err;
	}
}

static void now_text(char *buf, size_t n, int kw)
{
	time_t tt = (time_t)(sdb_now_ms() / 1000);
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (kw == SQL_KW_CURRENT_DATE)
		strftime(buf, n, "%Y-%m-%d", &tm);
	else if (kw == SQL_KW_CURRENT_TIME)
		strftime(buf, n, "%H:%M:%S", &tm);
	else
		strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The DEFAULT of column i into *v. */
static int column_default(struct ins *s, int i, struct sql_value *v, struct sdb_error *e)
{
	const struct sql_col_def *c = &s->t->cols[i];

	if (c->dflt_const) {
		*v = c->dflt_value;
		return 0;
	}
	if (c->dflt_ctime) {
		char buf[32], *d;
		size_t n;
		now_text(buf, sizeof(buf), c->dflt->kw);
		n = strlen(buf);
		if (!(d = sdb_sql_arena_alloc(&s->mem, n + 1)))
			return oom(e);
		memcpy(d, buf, n + 1);
		*v = sql_text(d, n);
		return 0;
	}
	if (c->dflt) {
		if (!s->dflt && !(s->dflt = calloc((size_t)s->t->ncol, sizeof(*s->dflt))))
			return oom(e);
		return eval_x(s, NULL, c->dflt, &s->dflt[i], NULL, 0, NULL, 0, v, e);
	}
	*v = sql_null();
	return 0;
}

/* The CHECK constraints over the row about to be written. @return 0,
 * 1 (ignore the row) or the error. */
static int checks(struct ins *s, const struct sql_value *row, int64_t rowid,
		  struct sdb_error *e)
{
	const struct sql_table_def *t = s->t;
	int rc;

	if (!t->nchecks)
		return 0;
	if (!s->chk && !(s->chk = calloc((size_t)t->nchecks, sizeof(*s->chk))))
		return oom(e);
	for (int i = 0; i < t->nchecks; i++) {
		struct sql_value v;
		const struct sql_expr *x = t->checks[i].e;
		if (!s->chk[i] && (rc = sql_rowexpr_compile(s->c, NULL, t, x, 0, &s->chk[i], e)))
			return rc;
		if ((rc = sql_rowexpr_eval(s->chk[i], row, rowid, NULL, 0, &v, e)))
			return rc;
		if (sql_value_truth(&v) != 0)
			continue;
		if (t->checks[i].name)
			rc = sdb_error_set(e, SDB_EINVAL, "CHECK constraint failed: %s",
					   t->checks[i].name);
		else
			rc = sdb_error_set(e, SDB_EINVAL, "CHECK constraint failed: %.*s",
					   (int)x->len, t->sql + x->off);
		int mode = s->conflict == SQL_OR_REPLACE ? SQL_OR_ABORT : resolve(s, SQL_OR_NONE);
		rc = on_conflict(s, mode, rc);
		return rc == 2 ? SDB_EINVAL : rc;
	}
	return 0;
}


/* The upsert clause that covers a conflict on columns cols[0..n) (a
 * PRIMARY KEY or UNIQUE constraint), or -1. A clause without a target
 * covers every constraint. */
static int upsert_for(struct ins *s, const int *cols, int n)
{
	const struct sql_stmt *st = s->st;

	if (s->in_upsert || !st || st->kind != SQL_S_INSERT)
		return -1;
	for (int u = 0; u < st->nupserts && u < 8; u++) {
		const struct sql_upsert *up = st->upserts[u];
		int ok = 1;
		if (!up->ntarget)
			return u;
		if (up->ntarget != n)
			continue;
		for (int i = 0; i < n && ok; i++) {
			const struct sql_expr *x = up->target[i]->e;
			int found = 0;
			while (x && x->kind == SQL_E_COLLATE)
				x = x->left;
			if (!x || x->kind != SQL_E_COLUMN)
				return -1;
			int ci = sql_table_column(s->t, x->name.z);
			for (int j = 0; j < n; j++)
				if (cols[j] == ci || (ci == -1 && cols[j] == s->t->ipk))
					found = 1;
			ok = found;
		}
		if (ok)
			return u;
	}
	return -1;
}

/* Whether clause up's target is exactly the columns cols[0..n). */
static int upsert_target_is(struct ins *s, const struct sql_upsert *up, const int *cols, int n)
{
	if (up->ntarget != n)
		return 0;
	for (int i = 0; i < n; i++) {
		const struct sql_expr *x = up->target[i]->e;
		int found = 0;
		while (x && x->kind == SQL_E_COLLATE)
			x = x->left;
		if (!x || x->kind != SQL_E_COLUMN)
			return 0;
		int ci = sql_table_column(s->t, x->name.z);
		if (ci == -1)
			ci = s->t->ipk;
		for (int j = 0; j < n; j++)
			if (cols[j] == ci)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

/* Unqualified names in DO UPDATE are the target table's (SQLite's
 * rule; `excluded.x` names the other row): qualified here so the
 * binder does not see them as ambiguous. Subqueries are left alone. */
static void qualify(struct sql_expr *x, const char *tname)
{
	if (!x)
		return;
	if (x->kind == SQL_E_COLUMN && !x->table.z) {
		x->table.z = tname;
		return;
	}
	qualify(x->left, tname);
	qualify(x->right, tname);
	qualify(x->third, tname);
	for (int i = 0; i < x->nlist; i++)
		qualify(x->list[i], tname);
}

/* MySQL's VALUES(col) in ON DUPLICATE KEY UPDATE is excluded.col. */
static void mysql_values(struct sql_expr *x)
{
	if (!x)
		return;
	if (x->kind == SQL_E_FUNC && x->nlist == 1 && x->name.z && !strcasecmp(x->name.z, "values") &&
	    x->list[0]->kind == SQL_E_COLUMN) {
		struct sql_expr *c = x->list[0];
		*x = *c;
		x->table.z = "excluded";
		return;
	}
	mysql_values(x->left);
	mysql_values(x->right);
	mysql_values(x->third);
	for (int i = 0; i < x->nlist; i++)
		mysql_values(x->list[i]);
}

static int insert_row(struct ins *s, struct sql_value *row, int has_rowid,
		      struct sql_value rowid_v, int64_t *rowid_out, struct sdb_error *e);

/* The DO UPDATE of clause u on the row at key k (copied): @return 3 the
 * row was updated (s->done_row), 1 its WHERE said no, or an error. */
static int do_upsert(struct ins *s, int u, const void *k, size_t kn,
		     const struct sql_value *excl, int64_t excl_rowid, struct sdb_error *e)
{
	struct sql_wstate *w = s->w;
	struct sql_table_def *t = s->t;
	const struct sql_upsert *up = s->st->upserts[u];
	struct sdb_val v;
	int64_t orowid = 0, nrowid = 0;
	int rc, ncell = 0, keep_conflict = s->conflict;

	if (!up->do_update)
		return 1;
	if (!s->up_set[u] && !s->up_where[u])
		qualify((struct sql_expr *)up->where, t->name);
	if (!s->uold && (!(s->uold = calloc((size_t)t->ncol + 1, sizeof(*s->uold))) ||
			 !(s->unew = calloc((size_t)t->ncol + 1, sizeof(*s->unew)))))
		return oom(e);
	sdb_buf_reset(&s->ukey);
	sdb_buf_add(&s->ukey, k, kn);
	if (!sdb_buf_ok(&s->ukey))
		return oom(e);
	if ((rc = sdb_txn_get(w->txn, s->ukey.data, s->ukey.len, &v, e)))
		return rc;
	sdb_buf_reset(&s->urec);
	sdb_buf_add(&s->urec, v.data, v.len);
	if (!sdb_buf_ok(&s->urec))
		return oom(e);
	if ((rc = sql_row_decode(t, s->ukey.data, s->ukey.len, s->urec.data, s->urec.len,
				 s->uold, &orowid, e)))
		return rc;
	(void)ncell;
	if (up->where) {
		struct sql_value c;
		if ((rc = eval_x(s, t, up->where, &s->up_where[u], s->uold, orowid, excl,
				 excl_rowid, &c, e)))
			return rc;
		if (sql_value_truth(&c) != 1)
			return 1;
	}
	memcpy(s->unew, s->uold, sizeof(*s->unew) * (size_t)t->ncol);
	if (!s->up_set[u]) {
		int n = 0;
		for (int i = 0; i < up->nsets; i++)
			n += up->sets[i]->ncols;
		if (!(s->up_set[u] = calloc((size_t)n + 1, sizeof(*s->up_set[u]))))
			return oom(e);
		s->up_nset[u] = n;
		for (int i = 0; i < up->nsets; i++) {
			if (up->dup_key)
				mysql_values((struct sql_expr *)up->sets[i]->e);
			qualify((struct sql_expr *)up->sets[i]->e, t->name);
		}
		qualify((struct sql_expr *)up->where, t->name);
	}
	struct sql_value rowid_v = sql_int(orowid);
	for (int i = 0, slot = 0; i < up->nsets; i++) {
		const struct sql_set *set = up->sets[i];
		for (int kk = 0; kk < set->ncols; kk++, slot++) {
			int ci = sql_table_column(t, set->cols[kk].z);
			const struct sql_expr *x = set->ncols == 1 ? set->e :
				set->e && set->e->kind == SQL_E_VECTOR && set->e->nlist == set->ncols ?
				set->e->list[kk] : NULL;
			struct sql_value nv;
			if (ci == -2)
				return sdb_error_set(e, SDB_ENOTFOUND, "no such column: %s", set->cols[kk].z);
			if (!x)
				return sdb_error_set(e, SDB_EUNSUPPORTED,
						     "SET (a, b) = (SELECT ...) is not supported yet");
			if ((rc = eval_x(s, t, x, &s->up_set[u][slot], s->uold, orowid, excl,
					 excl_rowid, &nv, e)))
				return rc;
			if (ci == -1 && t->ipk < 0)
				rowid_v = nv;
			else
				s->unew[ci == -1 ? t->ipk : ci] = nv;
		}
	}
	if ((rc = sql_w_delete_at(w, t, s->ukey.data, s->ukey.len, s->old, &s->oldrec, e)) < 0)
		return rc;
	s->in_upsert = 1;
	s->conflict = SQL_OR_ABORT;
	rc = insert_row(s, s->unew, !t->without_rowid && t->ipk < 0, rowid_v, &nrowid, e);
	s->in_upsert = 0;
	s->conflict = keep_conflict;
	if (rc < 0)
		return rc;
	s->done_row = s->unew;
	s->done_rowid = nrowid;
	return 3;
}

/* Inserts one row (row[0..ncol) in column order; explicit rowid when
 * has_rowid). @return 0 written, 1 ignored, or an error. */
static int insert_row(struct ins *s, struct sql_value *row, int has_rowid,
		      struct sql_value rowid_v, int64_t *rowid_out, struct sdb_error *e)
{
	struct sql_wstate *w = s->w;
	struct sql_table_def *t = s->t;
	int64_t rowid = 0;
	int rc, explicit = 0;

	for (int i = 0; i < t->ncol; i++)
		if (row[i].type != SQLV_NULL &&
		    (rc = sql_w_apply_aff(&row[i], t->cols[i].aff, &s->mem)))
			return oom(e);
	for (int i = 0; i < t->ncol; i++)
		if (t->cols[i].vec_dim &&
		    (rc = sql_vec_store(t->name, t->cols[i].name, t->cols[i].vec_dim, &row[i],
					&s->mem, e)))
			return rc;
	/* the rowid */
	if (!t->without_rowid) {
		struct sql_value rv = sql_null();
		if (t->ipk >= 0)
			rv = row[t->ipk];
		else if (has_rowid) {
			rv = rowid_v;
			if ((rc = sql_w_apply_aff(&rv, SQL_AFF_INTEGER, &s->mem)))
				return oom(e);
		}
		if (rv.type == SQLV_INT) {
			rowid = rv.u.i;
			explicit = 1;
		} else if (rv.type != SQLV_NULL)
			return sdb_error_set(e, SDB_EINVAL, "datatype mismatch");
	}
	/* NOT NULL */
	for (int i = 0; i < t->ncol; i++) {
		const struct sql_col_def *c = &t->cols[i];
		if (!c->notnull || row[i].type != SQLV_NULL || i == t->ipk)
			continue;
		rc = on_conflict(s, resolve(s, c->notnull_conflict),
				 sdb_error_set(e, SDB_EINVAL, "NOT NULL constraint failed: %s.%s",
					       t->name, c->name));
		if (rc == 1)
			return 1;
		if (rc == 2) {
			if ((rc = column_default(s, i, &row[i], e)))
				return rc;
			if (row[i].type == SQLV_NULL) {
				s->fail_keep = 0;
				return sdb_error_set(e, SDB_EINVAL, "NOT NULL constraint failed: %s.%s",
						     t->name, c->name);
			}
			continue;
		}
		return rc;
	}
	if (e)
		sdb_error_clear(e);
	if (!t->without_rowid && !explicit) {
		if ((rc = max_rowid(w, t, e)))
			return rc;
		if (t->autoinc && (rc = load_seq(s, e)))
			return rc;
		int64_t top = t->max_rowid;
		if (t->autoinc && s->seq > top)
			top = s->seq;
		if (top == INT64_MAX)
			return sdb_error_set(e, SDB_ELIMIT, "database or disk is full");
		rowid = top + 1;
	}
	if (!t->without_rowid && t->ipk >= 0)
		row[t->ipk] = sql_int(rowid);
	if (t->fts && (rc = sql_fts_command(w, t, row, rowid, explicit, e))) {
		*rowid_out = rowid;
		return rc < 0 ? rc : 0;
	}
	if ((rc = checks(s, row, rowid, e)))
		return rc;
	/* the primary key: an explicit rowid above the largest one the
	 * transaction sees is free without a read (the largest is looked up
	 * once the transaction has a few writes: a load of ascending ids) */
	int free_rowid = 0;
	if (explicit && !t->without_rowid) {
		if (!t->max_rowid_ok && sdb_txn_nops(w->txn) >= 16 && (rc = max_rowid(w, t, e)))
			return rc;
		free_rowid = t->max_rowid_ok && rowid > t->max_rowid;
	}
	if ((rc = sql_rowkey(&w->kbuf, t, row, rowid, e)))
		return rc;
	if ((explicit && !free_rowid) || t->without_rowid) {
		struct sdb_val v;
		rc = sdb_txn_get(w->txn, w->kbuf.data, w->kbuf.len, &v, e);
		if (rc == 0) {
			int pkc = t->ipk >= 0 ? t->ipk : -1;
			int u = t->npk ? upsert_for(s, t->ipk >= 0 ? &pkc : t->pk, t->ipk >= 0 ? 1 : t->npk) :
				upsert_for(s, &pkc, 1);
			if (u >= 0) {
				sdb_buf_reset(&w->k2);
				sdb_buf_add(&w->k2, w->kbuf.data, w->kbuf.len);
				if (!sdb_buf_ok(&w->k2))
					return oom(e);
				return do_upsert(s, u, w->k2.data, w->k2.len, row, rowid, e);
			}
			rc = on_conflict(s, resolve(s, t->pk_conflict), pk_failed(t, e));
			if (rc == 1)
				return 1;
			if (rc != 2)
				return rc;
			sdb_buf_reset(&w->k2);
			sdb_buf_add(&w->k2, w->kbuf.data, w->kbuf.len);
			if (!sdb_buf_ok(&w->k2))
				return oom(e);
			if ((rc = sql_w_delete_at(w, t, w->k2.data, w->k2.len, s->old, &s->oldrec, e)) < 0)
				return rc;
			if (rc == 1 && w->foreign_keys && (rc = sql_w_fk_parent(w, t, s->old, NULL, e)))
				return rc;
		} else if (rc != SDB_ENOTFOUND)
			return rc;
	}
	/* UNIQUE indexes */
	for (int i = 0; i < t->nidx; i++) {
		const struct sql_index_def *x = t->idx[i];
		struct sql_value vals[64];
		struct sdb_txn_iter *it;
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		int hasnull = 0, found;

		if (!x->unique)
			continue;
		for (int j = 0; j < x->ncol && j < 64; j++) {
			vals[j] = x->cols[j] == -1 ? sql_int(rowid) : row[x->cols[j]];
			if (vals[j].type == SQLV_NULL)
				hasnull = 1;
		}
		if (hasnull)
			continue;
		sql_idxkey_prefix(&w->kbuf, x, vals, x->ncol);
		sdb_buf_reset(&w->k2);
		sdb_buf_add(&w->k2, w->kbuf.data, w->kbuf.len);
		sdb_prefix_succ(&w->k2);
		if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->k2))
			return oom(e);
		if ((rc = sdb_txn_iter_open(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data,
					    w->k2.len, 0, &it, e)))
			return rc;
		found = sdb_txn_iter_next(it, &k, &kn, &v, e);
		if (found == 1) {
			/* the row it names, for REPLACE */
			int64_t orow = 0;
			if (!t->without_rowid)
				rc = sql_idxkey_rowid_of(x, k, kn, &orow, e);
			sdb_txn_iter_close(it);
			if (rc)
				return rc;
			int u = upsert_for(s, x->cols, x->ncol);
			if (u >= 0) {
				if (t->without_rowid)
					return sdb_error_set(e, SDB_EUNSUPPORTED,
							     "an upsert on a UNIQUE index of a WITHOUT ROWID table is not supported yet");
				sql_rowkey_rowid(&w->k2, t->id, orow);
				return do_upsert(s, u, w->k2.data, w->k2.len, row, rowid, e);
			}
			rc = on_conflict(s, resolve(s, x->conflict), sql_w_unique_msg(x, e));
			if (rc == 1)
				return 1;
			if (rc != 2)
				return rc;
			if (t->without_rowid)
				return sdb_error_set(e, SDB_EUNSUPPORTED,
						     "REPLACE on a UNIQUE index of a WITHOUT ROWID table is not supported yet");
			sql_rowkey_rowid(&w->k2, t->id, orow);
			if ((rc = sql_w_delete_at(w, t, w->k2.data, w->k2.len, s->old, &s->oldrec, e)) < 0)
				return rc;
			if (rc == 1 && w->foreign_keys && (rc = sql_w_fk_parent(w, t, s->old, NULL, e)))
				return rc;
			i--; /* check this index again */
			continue;
		}
		sdb_txn_iter_close(it);
		if (found < 0)
			return found;
	}
	if (e)
		sdb_error_clear(e);
	/* write */
	if ((rc = sql_rowkey(&w->kbuf, t, row, rowid, e)))
		return rc;
	sdb_buf_reset(&w->vbuf);
	if (t->ipk >= 0) {
		struct sql_value keep = row[t->ipk];
		row[t->ipk] = sql_null();
		sql_record_encode(&w->vbuf, row, t->ncol);
		row[t->ipk] = keep;
	} else
		sql_record_encode(&w->vbuf, row, t->ncol);
	if (!sdb_buf_ok(&w->vbuf))
		return oom(e);
	if (w->vbuf.len > SDB_MAX_VALUE)
		return sdb_error_set(e, SDB_ELIMIT, "row too big: %zu bytes (the store's limit is %u)",
				     w->vbuf.len, SDB_MAX_VALUE);
	if ((rc = sdb_txn_put(w->txn, w->kbuf.data, w->kbuf.len, w->vbuf.data, w->vbuf.len, 0, e)))
		return rc;
	if ((rc = index_entries(w, t, row, rowid, 0, e)))
		return rc;
	if (w->foreign_keys && (rc = sql_w_fk_child(w, t, row, e)))
		return rc;
	if (!t->without_rowid) {
		if (t->max_rowid_ok && rowid > t->max_rowid)
			t->max_rowid = rowid;
		if (t->autoinc) {
			if ((rc = load_seq(s, e)))
				return rc;
			if (rowid > s->seq) {
				s->seq = rowid;
				s->seq_dirty = 1;
			}
		}
		w->last_rowid = rowid;
	}
	*rowid_out = rowid;
	return 0;
}

/* RETURNING of columns and * (expressions come with the executor). */
static int returning_row(struct ins *s, const struct sql_value *row, int64_t rowid,
			 struct sdb_error *e)
{
	const struct sql_stmt *st = s->st;
	struct sql_value vals[256];
	int n = 0;

	if (!s->out || !st->nreturning)
		return 0;
	for (int i = 0; i < st->nreturning; i++) {
		const struct sql_rescol *rc = st->returning[i];
		if (rc->star) {
			for (int j = 0; j < s->t->ncol && n < 256; j++)
				vals[n++] = row[j];
			continue;
		}
		if (rc->e && rc->e->kind == SQL_E_COLUMN && n < 256) {
			int ci = sql_table_column(s->t, rc->e->name.z);
			if (ci == -2)
				return sdb_error_set(e, SDB_ENOTFOUND, "no such column: %s",
						     rc->e->name.z);
			vals[n++] = ci == -1 ? sql_int(rowid) : row[ci];
			continue;
		}
		if (rc->e && n < 256) {
			int r;
			if (!s->ret && !(s->ret = calloc((size_t)st->nreturning, sizeof(*s->ret))))
				return oom(e);
			s->nret = st->nreturning;
			if ((r = eval_x(s, s->t, rc->e, &s->ret[i], row, rowid, NULL, 0, &vals[n], e)))
				return r;
			n++;
		}
	}
	return sql_rows_add(s->out, vals) ? oom(e) : 0;
}

static int returning_columns(struct ins *s, struct sdb_error *e)
{
	const struct sql_stmt *st = s->st;
	const char *names[256];
	char *texts[256];
	int n = 0, rc;

	if (!s->out || !st->nreturning)
		return 0;
	memset(names, 0, sizeof(names));
	memset(texts, 0, sizeof(texts));
	for (int i = 0; i < st->nreturning && n < 256; i++) {
		const struct sql_rescol *r = st->returning[i];
		if (r->star) {
			for (int j = 0; j < s->t->ncol && n < 256; j++)
				names[n++] = s->t->cols[j].name;
		} else if (r->alias.z)
			names[n++] = r->alias.z;
		else if (r->e && r->e->kind == SQL_E_COLUMN)
			names[n++] = r->e->name.z;
		else {
			const char *nm = s->h ? sql_rescol_name(r, sql_stmt_src(s->h), &s->mem) : NULL;
			if (!nm) {
				struct sdb_buf b = SDB_BUF_INIT;
				sdb_sql_print_expr(&b, r->e);
				texts[n] = b.data ? b.data : strdup("?");
				nm = texts[n];
			}
			names[n] = nm;
			n++;
		}
	}
	rc = sql_rows_columns(s->out, n, names);
	for (int i = 0; i < n; i++)
		free(texts[i]);
	return rc ? oom(e) : 0;
}

/* Runs the SELECT of INSERT ... SELECT to its end first (the rows may
 * come from the table being written). */
static int materialize(struct ins *s, const struct sql_select *sel, int nmap,
		       struct sql_value **rows, long *nrows, struct sdb_error *e)
{
	struct sql_query *q;
	long cap = 0, n = 0;
	struct sql_value *v = NULL;
	int rc;

	if (!sel)
		return sdb_error_set(e, SDB_EINVAL, "INSERT without values");
	if ((rc = sql_query_open(s->c, s->h, sel, &q, e)))
		return rc;
	if (sql_query_ncols(q) != nmap) {
		if (s->st->has_cols)
			rc = sdb_error_set(e, SDB_EINVAL, "%d values for %d columns",
					   sql_query_ncols(q), nmap);
		else
			rc = sdb_error_set(e, SDB_EINVAL,
					   "table %s has %d columns but %d values were supplied",
					   s->t->name, s->t->ncol, sql_query_ncols(q));
		sql_query_close(q);
		return rc;
	}
	while ((rc = sql_query_step(q, e)) == 1) {
		if ((n + 1) * nmap > cap) {
			long nc = cap ? cap * 2 : 64 * (nmap ? nmap : 1);
			struct sql_value *nv = realloc(v, sizeof(*nv) * (size_t)nc);
			if (!nv) {
				rc = oom(e);
				break;
			}
			v = nv;
			cap = nc;
		}
		for (int i = 0; i < nmap; i++) {
			v[n * nmap + i] = *sql_query_column(q, i);
			if (sql_w_copy(&v[n * nmap + i], s->srcmem)) {
				rc = oom(e);
				break;
			}
		}
		if (rc < 0)
			break;
		n++;
	}
	sql_query_close(q);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*rows = v;
	*nrows = n;
	return 0;
}

static int do_insert(struct sql_wstate *w, const struct sql_stmt *st,
		     struct sql_rows *out, struct ins *s, struct sdb_error *e)
{
	struct sql_table_def *t = sql_catalog_table(w->cat, st->name.z);
	int map[1024], nmap, rowid_pos = -1, rc = 0;
	struct sql_value *row = NULL, *srows = NULL;
	long nsrows = 0, nrows;
	const struct sql_core *core = NULL;
	struct sdb_sql_arena srcmem;

	sdb_sql_arena_init(&srcmem);
	s->srcmem = &srcmem;

	if (!t)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name.z);
	if (t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "cannot modify %s because it is a view", t->name);
	if (t->is_system)
		return sdb_error_set(e, SDB_EINVAL, "table %s may not be modified", t->name);
	s->t = t;
	s->conflict = st->replace ? SQL_OR_REPLACE : st->mysql_ignore ? SQL_OR_IGNORE : st->conflict;
	if (st->nupserts > 8)
		return sdb_error_set(e, SDB_ELIMIT, "too many ON CONFLICT clauses");
	for (int i = 0; i < st->nupserts; i++) {
		const struct sql_upsert *up = st->upserts[i];
		int match = !up->ntarget;
		int pkc = t->ipk;
		if (up->ntarget) {
			if (t->npk && upsert_target_is(s, up, t->ipk >= 0 ? &pkc : t->pk,
						       t->ipk >= 0 ? 1 : t->npk))
				match = 1;
			for (int k = 0; !match && k < t->nidx; k++)
				if (t->idx[k]->unique &&
				    upsert_target_is(s, up, t->idx[k]->cols, t->idx[k]->ncol))
					match = 1;
		}
		if (!match)
			return sdb_error_set(e, SDB_EINVAL,
					     "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint");
	}
	/* the columns given */
	if (st->has_cols) {
		nmap = st->ncols;
		if (nmap > 1024)
			return sdb_error_set(e, SDB_ELIMIT, "too many columns");
		for (int i = 0; i < nmap; i++) {
			int ci = sql_table_column(t, st->cols[i].z);
			if (ci == -2)
				return sdb_error_set(e, SDB_ENOTFOUND, "table %s has no column named %s",
						     t->name, st->cols[i].z);
			if (ci == -1) {
				if (t->ipk >= 0)
					ci = t->ipk;
				else
					rowid_pos = i;
			}
			map[i] = ci;
		}
	} else {
		nmap = t->fts ? t->fts->ncol : t->ncol; /* not FTS5's hidden columns */
		if (nmap > 1024)
			return sdb_error_set(e, SDB_ELIMIT, "too many columns");
		for (int i = 0; i < nmap; i++)
			map[i] = i;
	}
	if (!st->default_values) {
		const struct sql_select *sel = st->select;
		if (sel && sel->ncores == 1 && sel->cores[0]->values && !sel->with &&
		    !sel->norder && !sel->limit)
			core = sel->cores[0];
		else if ((rc = materialize(s, sel, nmap, &srows, &nsrows, e)))
			return rc;
	}
	if (!(row = calloc((size_t)(t->ncol ? t->ncol : 1), sizeof(*row))) ||
	    !(s->old = calloc((size_t)(t->ncol ? t->ncol : 1), sizeof(*row)))) {
		rc = oom(e);
		goto out;
	}
	if ((rc = returning_columns(s, e)))
		goto out;
	nrows = core ? core->nrows : srows ? nsrows : st->default_values ? 1 : 0;
	for (long r = 0; r < nrows; r++) {
		const struct sql_expr *vec = core ? core->rows[r] : NULL;
		struct sql_value rowid_v = sql_null();
		int64_t rowid = 0;
		int given[1024];

		if (vec && vec->nlist != nmap) {
			rc = st->has_cols ?
				sdb_error_set(e, SDB_EINVAL, "%d values for %d columns", vec->nlist, nmap) :
				sdb_error_set(e, SDB_EINVAL, "table %s has %d columns but %d values were supplied",
					      t->name, t->ncol, vec->nlist);
			goto out;
		}
		memset(given, 0, sizeof(int) * (size_t)t->ncol);
		for (int i = 0; (vec || srows) && i < nmap; i++) {
			struct sql_value v;
			if (srows)
				v = srows[r * nmap + i];
			else if ((rc = eval_x(s, NULL, vec->list[i], NULL, NULL, 0, NULL, 0, &v, e)))
				goto out;
			if (i == rowid_pos)
				rowid_v = v;
			else {
				row[map[i]] = v;
				given[map[i]] = 1;
			}
		}
		for (int i = 0; i < t->ncol; i++)
			if (!given[i] && (rc = column_default(s, i, &row[i], e)))
				goto out;
		rc = insert_row(s, row, rowid_pos >= 0, rowid_v, &rowid, e);
		if (rc < 0)
			goto out;
		if (rc == 0 || rc == 3) {
			s->changes++;
			if ((rc = rc == 3 ? returning_row(s, s->done_row, s->done_rowid, e) :
			     returning_row(s, row, rowid, e)))
				goto out;
		}
		rc = 0;
		sdb_sql_arena_reset(&s->mem); /* the row's values: one block kept */
	}
	rc = save_seq(s, e);
out:
	free(row);
	free(srows);
	sdb_sql_arena_release(&srcmem);
	return rc;
}


/* ------------------------------------------------------ UPDATE, DELETE */

static void *amem(struct sdb_sql_arena *a, size_t n)
{
	return sdb_sql_arena_alloc(a, n ? n : 1);
}

static struct sql_expr *colref(struct sdb_sql_arena *a, const char *tbl, const char *name)
{
	struct sql_expr *x = amem(a, sizeof(*x));

	if (x) {
		x->kind = SQL_E_COLUMN;
		x->table.z = tbl;
		x->name.z = name;
	}
	return x;
}

/*
 * SELECT <row locator>, extra... FROM t [AS alias] [, FROM ...] WHERE ...
 * [ORDER BY ... LIMIT ...]: the rows an UPDATE/DELETE touches, found by
 * the planner. The locator is the rowid, or the PRIMARY KEY columns of a
 * WITHOUT ROWID table.
 */
static struct sql_select *target_select(struct sdb_sql_arena *a, const struct sql_table_def *t,
					const struct sql_stmt *st, struct sql_expr **extra,
					int nextra, int *nloc)
{
	struct sql_select *sel = amem(a, sizeof(*sel));
	struct sql_core *core = amem(a, sizeof(*core));
	struct sql_from *from = amem(a, sizeof(*from));
	struct sql_source *src = amem(a, sizeof(*src));
	const char *qual = st->alias.z ? st->alias.z : t->name;
	int nl = t->without_rowid ? t->npk : 1, nfrom = 1 + (st->from ? st->from->n : 0);

	if (!sel || !core || !from || !src)
		return NULL;
	*nloc = nl;
	sel->cores = amem(a, sizeof(*sel->cores));
	core->cols = amem(a, sizeof(*core->cols) * (size_t)(nl + nextra));
	from->items = amem(a, sizeof(*from->items) * (size_t)nfrom);
	if (!sel->cores || !core->cols || !from->items)
		return NULL;
	sel->cores[0] = core;
	sel->ncores = 1;
	for (int i = 0; i < nl + nextra; i++) {
		struct sql_rescol *rc = amem(a, sizeof(*rc));
		if (!rc)
			return NULL;
		if (i < nl) {
			rc->e = colref(a, qual, t->without_rowid ? t->cols[t->pk[i]].name : "rowid");
			if (!rc->e)
				return NULL;
		} else
			rc->e = extra[i - nl];
		core->cols[i] = rc;
	}
	core->ncols = nl + nextra;
	src->name.z = t->name;
	src->alias = st->alias;
	src->indexed = st->name2;
	src->not_indexed = st->not_indexed;
	from->items[0] = src;
	for (int i = 1; i < nfrom; i++)
		from->items[i] = st->from->items[i - 1];
	from->n = nfrom;
	core->from = from;
	core->where = st->where;
	sel->order = st->order;
	sel->norder = st->norder;
	sel->limit = st->limit;
	sel->offset = st->offset;
	return sel;
}

/* The row key of a located row (locator values loc[0..nloc)). */
static int located_key(struct sql_wstate *w, const struct sql_table_def *t,
		       const struct sql_value *loc, struct sql_value *scratch,
		       int64_t *rowid, struct sdb_error *e)
{
	if (!t->without_rowid) {
		if (loc[0].type != SQLV_INT)
			return 1; /* e.g. a NULL from an outer join: nothing */
		*rowid = loc[0].u.i;
		sql_rowkey_rowid(&w->k2, t->id, *rowid);
		return sdb_buf_ok(&w->k2) ? 0 : oom(e);
	}
	for (int i = 0; i < t->npk; i++)
		scratch[t->pk[i]] = loc[i];
	*rowid = 0;
	return sql_rowkey(&w->k2, t, scratch, 0, e);
}

static int do_update_delete(struct sql_wstate *w, const struct sql_stmt *st,
			    struct ins *s, struct sdb_error *e)
{
	struct sql_table_def *t = sql_catalog_table(w->cat, st->name.z);
	struct sdb_sql_arena a;
	struct sql_expr *extra[1024];
	int setcol[1024], nextra = 0, nloc = 0, rc = 0, width;
	struct sql_select *sel;
	struct sql_query *q = NULL;
	struct sql_value *found = NULL, *row = NULL, *scratch = NULL, *prev = NULL;
	long nfound = 0, cap = 0;
	int64_t keep_rowid = w->last_rowid;

	sdb_sql_arena_init(&a);
	if (!t)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name.z);
	if (t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "cannot modify %s because it is a view", t->name);
	if (t->is_system)
		return sdb_error_set(e, SDB_EINVAL, "table %s may not be modified", t->name);
	s->t = t;
	s->conflict = st->conflict;
	/* SET targets, one result column each */
	for (int i = 0; st->kind == SQL_S_UPDATE && i < st->nsets; i++) {
		const struct sql_set *set = st->sets[i];
		for (int k = 0; k < set->ncols; k++) {
			int ci = sql_table_column(t, set->cols[k].z);
			if (ci == -2) {
				rc = sdb_error_set(e, SDB_ENOTFOUND, "no such column: %s", set->cols[k].z);
				goto out;
			}
			if (nextra >= 1024) {
				rc = sdb_error_set(e, SDB_ELIMIT, "too many columns in SET");
				goto out;
			}
			if (set->ncols == 1)
				extra[nextra] = set->e;
			else if (set->e && set->e->kind == SQL_E_VECTOR && set->e->nlist == set->ncols)
				extra[nextra] = set->e->list[k];
			else {
				rc = sdb_error_set(e, SDB_EUNSUPPORTED,
						   "SET (a, b) = (SELECT ...) is not supported yet");
				goto out;
			}
			setcol[nextra++] = ci;
		}
	}
	if (!(sel = target_select(&a, t, st, extra, nextra, &nloc))) {
		rc = oom(e);
		goto out;
	}
	width = nloc + nextra;
	if ((rc = sql_query_open(s->c, s->h, sel, &q, e)))
		goto out;
	while ((rc = sql_query_step(q, e)) == 1) {
		if ((nfound + 1) * width > cap) {
			long nc = cap ? cap * 2 : 64L * width;
			struct sql_value *nv = realloc(found, sizeof(*nv) * (size_t)nc);
			if (!nv) {
				rc = oom(e);
				break;
			}
			found = nv;
			cap = nc;
		}
		for (int i = 0; i < width; i++) {
			found[nfound * width + i] = *sql_query_column(q, i);
			if (sql_w_copy(&found[nfound * width + i], &a)) {
				rc = oom(e);
				break;
			}
		}
		if (rc < 0)
			break;
		nfound++;
	}
	sql_query_close(q);
	if (rc < 0)
		goto out;
	rc = 0;
	row = calloc((size_t)t->ncol + 1, sizeof(*row));
	scratch = calloc((size_t)t->ncol + 1, sizeof(*scratch));
	prev = calloc((size_t)t->ncol + 1, sizeof(*prev));
	if (!row || !scratch || !prev || !(s->old = calloc((size_t)t->ncol + 1, sizeof(*row)))) {
		rc = oom(e);
		goto out;
	}
	if ((rc = returning_columns(s, e)))
		goto out;
	for (long r = 0; r < nfound; r++) {
		const struct sql_value *loc = &found[r * width];
		int64_t rowid = 0, nrowid = 0;
		int k = located_key(w, t, loc, scratch, &rowid, e);
		if (k < 0) {
			rc = k;
			goto out;
		}
		if (k)
			continue;
		if (st->kind == SQL_S_DELETE) {
			if ((rc = sql_w_delete_at(w, t, w->k2.data, w->k2.len, s->old, &s->oldrec, e)) < 0)
				goto out;
			if (rc == 1) {
				s->changes++;
				if (w->foreign_keys && (rc = sql_w_fk_parent(w, t, s->old, NULL, e)))
					goto out;
				if ((rc = returning_row(s, s->old, rowid, e)))
					goto out;
			}
			rc = 0;
			continue;
		}
		/* UPDATE: the old row out, the new one in (under a savepoint, so
		 * an ignored conflict puts the old row back) */
		int sp = sdb_txn_savepoint(w->txn, e);
		size_t fmark = sql_fts_mark(w);
		struct sql_value rowid_v;
		if (sp < 0) {
			rc = sp;
			goto out;
		}
		if ((rc = sql_w_delete_at(w, t, w->k2.data, w->k2.len, s->old, &s->oldrec, e)) < 0)
			goto out;
		if (rc == 0) { /* gone already (a REPLACE of this statement) */
			sdb_txn_release(w->txn, sp, NULL);
			sql_fts_unmark(w, fmark, 0);
			rc = 0;
			continue;
		}
		memcpy(row, s->old, sizeof(*row) * (size_t)t->ncol);
		for (int i = 0; i < t->ncol; i++)
			if (sql_w_copy(&row[i], &s->mem)) {
				rc = oom(e);
				goto out;
			}
		memcpy(prev, row, sizeof(*row) * (size_t)t->ncol);
		rowid_v = sql_int(rowid);
		for (int i = 0; i < nextra; i++) {
			if (setcol[i] == -1) {
				if (t->ipk >= 0)
					row[t->ipk] = loc[nloc + i];
				else
					rowid_v = loc[nloc + i];
			} else
				row[setcol[i]] = loc[nloc + i];
		}
		if (!t->without_rowid && t->ipk < 0 && rowid_v.type == SQLV_NULL)
			rowid_v = sql_int(rowid);
		rc = insert_row(s, row, !t->without_rowid && t->ipk < 0, rowid_v, &nrowid, e);
		if (rc < 0) {
			/* the old row back: OR FAIL keeps the rows before this one,
			 * not this one half done */
			sdb_txn_rollback_to(w->txn, sp, NULL);
			sdb_txn_release(w->txn, sp, NULL);
			sql_fts_unmark(w, fmark, 1);
			t->max_rowid_ok = 0;
			goto out;
		}
		if (rc == 1) {
			sdb_txn_rollback_to(w->txn, sp, NULL);
			sdb_txn_release(w->txn, sp, NULL);
			sql_fts_unmark(w, fmark, 1);
			t->max_rowid_ok = 0;
		} else {
			sdb_txn_release(w->txn, sp, NULL);
			sql_fts_unmark(w, fmark, 0);
			s->changes++;
			if (w->foreign_keys && (rc = sql_w_fk_parent(w, t, prev, row, e)))
				goto out;
			if ((rc = returning_row(s, row, nrowid, e)))
				goto out;
		}
		rc = 0;
		sdb_sql_arena_reset(&s->mem); /* the row's values: one block kept */
	}
	rc = save_seq(s, e);
out:
	w->last_rowid = keep_rowid;
	free(found);
	free(row);
	free(scratch);
	free(prev);
	sdb_sql_arena_release(&a);
	return rc;
}

/* CREATE TABLE name AS SELECT: the select runs first (its errors leave
 * no table); the columns are its result columns with the declared type
 * of their affinity (INT, REAL, TEXT, NUM or none), the text as SQLite
 * writes it. */
void sql_w_put_name(struct sdb_buf *b, const char *z);
int sql_w_create_from_text(struct sql_wstate *w, char *text, struct sdb_error *e);

int sql_w_create_as(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
		    const struct sql_stmt *st, struct sdb_error *e)
{
	struct ins s;
	struct sql_query *q;
	struct sdb_buf b = SDB_BUF_INIT;
	struct sql_value *rows = NULL, *row = NULL;
	long nrows = 0;
	int rc, ncol;
	char *text;

	memset(&s, 0, sizeof(s));
	s.w = w;
	s.c = c;
	s.h = h;
	s.conflict = SQL_OR_ABORT;
	sdb_sql_arena_init(&s.mem);
	struct sdb_sql_arena srcmem;
	sdb_sql_arena_init(&srcmem);
	s.srcmem = &srcmem;
	if ((rc = sql_query_open(c, h, st->select, &q, e)))
		goto out;
	ncol = sql_query_ncols(q);
	sdb_buf_adds(&b, "CREATE TABLE ");
	sql_w_put_name(&b, st->name.z);
	sdb_buf_adds(&b, "(");
	/* SQLite's layout: one line when short, else a column a line */
	size_t width = strlen(st->name.z) + 2;
	for (int i = 0; i < ncol; i++) {
		const char *nm = sql_query_colname(q, i);
		width += strlen(nm) + 7;
		for (const char *z = nm; *z; z++)
			width += *z == '"';
	}
	const char *sep1 = width < 50 ? "" : "\n  ", *sep2 = width < 50 ? "," : ",\n  ";
	for (int i = 0; i < ncol; i++) {
		const char *types[] = { "", " TEXT", " NUM", " INT", " REAL" };
		enum sql_aff a = sql_query_affinity(q, i);
		const char *ty = a == SQL_AFF_TEXT ? types[1] : a == SQL_AFF_NUMERIC ? types[2] :
			a == SQL_AFF_INTEGER ? types[3] : a == SQL_AFF_REAL ? types[4] : types[0];
		sdb_buf_adds(&b, i ? sep2 : sep1);
		sql_w_put_name(&b, sql_query_colname(q, i));
		sdb_buf_adds(&b, ty);
	}
	sdb_buf_adds(&b, width < 50 ? ")" : "\n)");
	sql_query_close(q);
	if (!sdb_buf_ok(&b) || !(text = sql_cat_strdup(w->cat, b.data))) {
		rc = oom(e);
		goto out;
	}
	if ((rc = sql_w_begin_write(w, e)))
		goto out;
	w->txn_ddl = 1;
	if ((rc = sql_w_create_from_text(w, text, e)))
		goto out;
	s.t = sql_catalog_table(w->cat, st->name.z);
	if ((rc = materialize(&s, st->select, s.t->ncol, &rows, &nrows, e)))
		goto out;
	if (!(row = calloc((size_t)s.t->ncol + 1, sizeof(*row))) ||
	    !(s.old = calloc((size_t)s.t->ncol + 1, sizeof(*row)))) {
		rc = oom(e);
		goto out;
	}
	for (long r = 0; r < nrows; r++) {
		int64_t rowid;
		memcpy(row, &rows[r * s.t->ncol], sizeof(*row) * (size_t)s.t->ncol);
		if ((rc = insert_row(&s, row, 0, sql_null(), &rowid, e)) < 0)
			goto out;
		rc = 0;
		if (s.mem.head) {
			sdb_sql_arena_release(&s.mem);
			sdb_sql_arena_init(&s.mem);
		}
	}
out:
	free(rows);
	free(row);
	free(s.old);
	sdb_buf_release(&s.oldrec);
	sdb_buf_release(&b);
	sdb_sql_arena_release(&s.mem);
	sdb_sql_arena_release(&srcmem);
	return rc;
}

int sql_dml(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
	    const struct sql_stmt *st, struct sql_rows *out,
	    struct sdb_error *e)
{
	struct ins s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.w = w;
	s.st = st;
	s.out = out;
	s.c = c;
	s.h = h;
	sdb_sql_arena_init(&s.mem);
	if (st->schema.z && strcasecmp(st->schema.z, "main")) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s.%s", st->schema.z, st->name.z);
		goto out;
	}
	if (!sql_catalog_table(w->cat, st->name.z)) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name.z);
		goto out;
	}
	if ((rc = sql_w_begin_write(w, e)))
		goto out;
	rc = st->kind == SQL_S_INSERT ? do_insert(w, st, out, &s, e) :
		do_update_delete(w, st, &s, e);
	if (rc && s.fail_keep) {
		/* OR FAIL: the rows before stay; the error still stands */
		struct sdb_error keep;
		if (e)
			keep = *e;
		sql_w_end_write(w, 1, 0, NULL);
		if (e)
			*e = keep;
	} else if (rc)
		sql_w_end_write(w, 0, s.rollback_txn, NULL);
	else
		rc = sql_w_end_write(w, 1, 0, e);
	if (!rc || s.fail_keep) {
		w->changes = s.changes;
		w->total_changes += s.changes;
	} else {
		w->changes = 0; /* as SQLite: a statement rolled back changed nothing */
	}
out:
	free_exprs(s.chk, s.t ? s.t->nchecks : 0);
	free_exprs(s.dflt, s.t ? s.t->ncol : 0);
	free_exprs(s.ret, s.nret);
	for (int u = 0; u < 8; u++) {
		free_exprs(s.up_set[u], s.up_nset[u]);
		sql_rowexpr_free(s.up_where[u]);
	}
	free(s.uold);
	free(s.unew);
	sdb_buf_release(&s.urec);
	sdb_buf_release(&s.ukey);
	free(s.old);
	sdb_buf_release(&s.oldrec);
	sdb_sql_arena_release(&s.mem);
	return rc;
}
