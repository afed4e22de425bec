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
};

static int resolve(const struct ins *s, int cons)
{
	if (s->conflict != SQL_OR_NONE)
		return s->conflict;
	if (s->upsert_nothing)
		return SQL_OR_IGNORE;
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
	int rc;

	for (int i = 0; i < t->nidx; i++) {
		const struct sql_index_def *x = t->idx[i];
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
	return sdb_txn_del(w->txn, tmprec->data, klen, e);
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
	if (c->dflt)
		return sdb_error_set(e, SDB_EUNSUPPORTED,
				     "DEFAULT expressions are not supported yet (column %s)", c->name);
	*v = sql_null();
	return 0;
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
	/* the primary key */
	if ((rc = sql_rowkey(&w->kbuf, t, row, rowid, e)))
		return rc;
	if (explicit || t->without_rowid) {
		struct sdb_val v;
		rc = sdb_txn_get(w->txn, w->kbuf.data, w->kbuf.len, &v, e);
		if (rc == 0) {
			rc = on_conflict(s, resolve(s, t->pk_conflict), pk_failed(t, e));
			if (rc == 1)
				return 1;
			if (rc != 2)
				return rc;
			sdb_buf_reset(&w->k2);
			sdb_buf_add(&w->k2, w->kbuf.data, w->kbuf.len);
			if (!sdb_buf_ok(&w->k2))
				return oom(e);
			if ((rc = sql_w_delete_at(w, t, w->k2.data, w->k2.len, s->old, &s->oldrec, e)))
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
			rc = on_conflict(s, resolve(s, x->conflict), sql_w_unique_msg(x, e));
			if (rc == 1)
				return 1;
			if (rc != 2)
				return rc;
			if (t->without_rowid)
				return sdb_error_set(e, SDB_EUNSUPPORTED,
						     "REPLACE on a UNIQUE index of a WITHOUT ROWID table is not supported yet");
			sql_rowkey_rowid(&w->k2, t->id, orow);
			if ((rc = sql_w_delete_at(w, t, w->k2.data, w->k2.len, s->old, &s->oldrec, e)))
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
			int k = sql_w_const(rc->e, &s->mem, &vals[n]);
			if (k < 0)
				return oom(e);
			if (k == 1) {
				n++;
				continue;
			}
		}
		return sdb_error_set(e, SDB_EUNSUPPORTED,
				     "RETURNING expressions are not supported yet");
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
			struct sdb_buf b = SDB_BUF_INIT;
			sdb_sql_print_expr(&b, r->e);
			texts[n] = b.data ? b.data : strdup("?");
			names[n] = texts[n];
			n++;
		}
	}
	rc = sql_rows_columns(s->out, n, names);
	for (int i = 0; i < n; i++)
		free(texts[i]);
	return rc ? oom(e) : 0;
}

static int do_insert(struct sql_wstate *w, const struct sql_stmt *st,
		     struct sql_rows *out, struct ins *s, struct sdb_error *e)
{
	struct sql_table_def *t = sql_catalog_table(w->cat, st->name.z);
	int map[1024], nmap, rowid_pos = -1, rc = 0;
	struct sql_value *row = NULL;
	const struct sql_core *core = NULL;

	if (!t)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name.z);
	if (t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "cannot modify %s because it is a view", t->name);
	if (t->is_system)
		return sdb_error_set(e, SDB_EINVAL, "table %s may not be modified", t->name);
	s->t = t;
	s->conflict = st->replace ? SQL_OR_REPLACE : st->mysql_ignore ? SQL_OR_IGNORE : st->conflict;
	for (int i = 0; i < st->nupserts; i++) {
		if (st->upserts[i]->do_update)
			return sdb_error_set(e, SDB_EUNSUPPORTED,
					     "ON CONFLICT DO UPDATE is not supported yet");
		s->upsert_nothing = 1;
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
		nmap = t->ncol;
		if (nmap > 1024)
			return sdb_error_set(e, SDB_ELIMIT, "too many columns");
		for (int i = 0; i < nmap; i++)
			map[i] = i;
	}
	if (!st->default_values) {
		const struct sql_select *sel = st->select;
		if (!sel || sel->ncores != 1 || !sel->cores[0]->values || sel->with ||
		    sel->norder || sel->limit)
			return sdb_error_set(e, SDB_EUNSUPPORTED,
					     "INSERT ... SELECT is not supported yet");
		core = sel->cores[0];
	}
	if (!(row = calloc((size_t)(t->ncol ? t->ncol : 1), sizeof(*row))) ||
	    !(s->old = calloc((size_t)(t->ncol ? t->ncol : 1), sizeof(*row)))) {
		free(row);
		return oom(e);
	}
	if ((rc = returning_columns(s, e)))
		goto out;
	for (int r = 0; r < (core ? core->nrows : 1); r++) {
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
		for (int i = 0; vec && i < nmap; i++) {
			struct sql_value v;
			int k = sql_w_const(vec->list[i], &s->mem, &v);
			if (k < 0) {
				rc = oom(e);
				goto out;
			}
			if (!k) {
				rc = sdb_error_set(e, SDB_EUNSUPPORTED,
						   "expressions in VALUES are not supported yet");
				goto out;
			}
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
		if (rc == 0) {
			s->changes++;
			if ((rc = returning_row(s, row, rowid, e)))
				goto out;
		}
		rc = 0;
		if (s->mem.head) {
			sdb_sql_arena_release(&s->mem);
			sdb_sql_arena_init(&s->mem);
		}
	}
	rc = save_seq(s, e);
out:
	free(row);
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
	sdb_sql_arena_init(&s.mem);
	if (st->schema.z && strcasecmp(st->schema.z, "main")) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s.%s", st->schema.z, st->name.z);
		goto out;
	}
	if (st->kind != SQL_S_INSERT) {
		rc = sdb_error_set(e, SDB_EUNSUPPORTED, "UPDATE and DELETE are not supported yet");
		goto out;
	}
	if (!sql_catalog_table(w->cat, st->name.z)) {
		rc = sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name.z);
		goto out;
	}
	if ((rc = sql_w_begin_write(w, e)))
		goto out;
	rc = do_insert(w, st, out, &s, e);
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
	}
out:
	free(s.old);
	sdb_buf_release(&s.oldrec);
	sdb_sql_arena_release(&s.mem);
	return rc;
}
