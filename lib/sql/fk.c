/*
 * fk.c - foreign keys under PRAGMA foreign_keys = ON, as SQLite enforces
 * them (immediate constraints): a child row's key must name a parent row
 * (the parent's PRIMARY KEY, or the UNIQUE columns named); deleting or
 * changing a parent key that child rows name fails (NO ACTION, RESTRICT)
 * or acts on them (CASCADE, SET NULL, SET DEFAULT). Messages are
 * SQLite's: "FOREIGN KEY constraint failed", "foreign key mismatch -
 * "child" referencing "parent"".
 *
 * DESIGN. The parent lookup is a point read (rowid, WITHOUT ROWID key) or
 * a prefix seek of the parent's UNIQUE index; the child lookup scans the
 * child table (no index is required of the child, as in SQLite, which
 * also scans without one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/wint.h"
#include "store/txn.h"

int sql_w_delete_at(struct sql_wstate *w, const struct sql_table_def *t,
		    const void *k, size_t kn, struct sql_value *tmprow,
		    struct sdb_buf *tmprec, struct sdb_error *e);

static int fk_failed(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ECONFLICT, "FOREIGN KEY constraint failed");
}

static int mismatch(const struct sql_table_def *c, const char *p, struct sdb_error *e)
{
	return sdb_error_set(e, SDB_EINVAL, "foreign key mismatch - \"%s\" referencing \"%s\"",
			     c->name, p);
}

/* The parent columns of fk (its PRIMARY KEY when none are named) into
 * pc[0..n). @return 0 or the mismatch error. */
static int parent_cols(const struct sql_table_def *child, const struct sql_fkey_def *fk,
		       const struct sql_table_def *p, int *pc, struct sdb_error *e)
{
	if (!fk->pcols) {
		if (p->npk != fk->ncol)
			return mismatch(child, fk->parent, e);
		for (int i = 0; i < fk->ncol; i++)
			pc[i] = p->pk[i];
		return 0;
	}
	for (int i = 0; i < fk->ncol; i++) {
		pc[i] = sql_table_column(p, fk->pcols[i]);
		if (pc[i] == -1 && p->ipk >= 0)
			pc[i] = p->ipk;
		if (pc[i] < 0)
			return mismatch(child, fk->parent, e);
	}
	return 0;
}

/* The UNIQUE index of p over exactly the columns pc (any order). */
static const struct sql_index_def *parent_index(const struct sql_table_def *p, const int *pc, int n)
{
	for (int i = 0; i < p->nidx; i++) {
		const struct sql_index_def *x = p->idx[i];
		int ok = x->unique && x->ncol == n && !x->where;
		for (int k = 0; ok && k < n; k++) {
			int f = 0;
			for (int j = 0; j < n; j++)
				f |= x->cols[j] == pc[k];
			ok = f;
		}
		if (ok)
			return x;
	}
	return NULL;
}

/* Whether p has a row whose columns pc hold vals. */
static int parent_has(struct sql_wstate *w, const struct sql_table_def *child,
		      const struct sql_fkey_def *fk, const struct sql_table_def *p,
		      const int *pc, const struct sql_value *vals, struct sdb_error *e)
{
	struct sdb_buf k = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_val v;
	int rc, n = fk->ncol;

	if (n == 1 && pc[0] == p->ipk && p->ipk >= 0) {
		if (vals[0].type != SQLV_INT)
			return 0;
		sql_rowkey_rowid(&k, p->id, vals[0].u.i);
		rc = sdb_txn_get(w->txn, k.data, k.len, &v, e);
		sdb_buf_release(&k);
		return rc == 0 ? 1 : rc == SDB_ENOTFOUND ? 0 : rc;
	}
	const struct sql_index_def *x = parent_index(p, pc, n);
	if (!x && p->without_rowid && p->npk == n) {
		struct sql_value *row = calloc((size_t)p->ncol + 1, sizeof(*row));
		if (!row)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		for (int i = 0; i < n; i++)
			row[pc[i]] = vals[i];
		rc = sql_rowkey(&k, p, row, 0, e);
		free(row);
		if (!rc)
			rc = sdb_txn_get(w->txn, k.data, k.len, &v, e);
		sdb_buf_release(&k);
		return rc == 0 ? 1 : rc == SDB_ENOTFOUND ? 0 : rc;
	}
	if (!x)
		return mismatch(child, fk->parent, e);
	{
		struct sql_value iv[64];
		struct sdb_txn_iter *it;
		const unsigned char *kk;
		size_t kn;
		for (int i = 0; i < x->ncol && i < 64; i++)
			for (int j = 0; j < n; j++)
				if (x->cols[i] == pc[j])
					iv[i] = vals[j];
		sql_idxkey_prefix(&k, x, iv, x->ncol);
		sdb_buf_add(&hi, k.data, k.len);
		sdb_prefix_succ(&hi);
		rc = sdb_txn_iter_open(w->txn, k.data, k.len, hi.data, hi.len, 0, &it, e);
		if (!rc) {
			rc = sdb_txn_iter_next(it, &kk, &kn, &v, e);
			sdb_txn_iter_close(it);
		}
		sdb_buf_release(&k);
		sdb_buf_release(&hi);
		return rc;
	}
}

int sql_w_fk_child(struct sql_wstate *w, const struct sql_table_def *t,
		   const struct sql_value *row, struct sdb_error *e)
{
	struct sdb_sql_arena a;
	int rc = 0;

	if (!w->foreign_keys || !t->nfks)
		return 0;
	sdb_sql_arena_init(&a);
	for (int f = 0; f < t->nfks && !rc; f++) {
		const struct sql_fkey_def *fk = &t->fks[f];
		const struct sql_table_def *p = sql_catalog_table(w->cat, fk->parent);
		struct sql_value vals[64];
		int pc[64], null = 0;

		if (fk->ncol > 64)
			continue;
		for (int i = 0; i < fk->ncol; i++)
			null |= row[fk->cols[i]].type == SQLV_NULL;
		if (null)
			continue;
		if (!p || p->is_view) {
			rc = sdb_error_set(e, SDB_ENOTFOUND, "no such table: main.%s", fk->parent);
			break;
		}
		if ((rc = parent_cols(t, fk, p, pc, e)))
			break;
		for (int i = 0; i < fk->ncol; i++) {
			vals[i] = row[fk->cols[i]];
			if ((rc = sql_w_apply_aff(&vals[i], p->cols[pc[i]].aff, &a)))
				break;
		}
		if (rc)
			break;
		rc = parent_has(w, t, fk, p, pc, vals, e);
		if (rc == 0)
			rc = fk_failed(e);
		else if (rc == 1)
			rc = 0;
	}
	sdb_sql_arena_release(&a);
	return rc;
}

/* Rewrites a child row with new values (SET NULL / SET DEFAULT /
 * CASCADE on update): the old entry and row out, the new ones in. */
static int rewrite_child(struct sql_wstate *w, const struct sql_table_def *c,
			 const void *key, size_t kn, const struct sql_fkey_def *fk,
			 const struct sql_value *nv, struct sdb_error *e)
{
	struct sql_value *row = calloc((size_t)c->ncol + 1, sizeof(*row));
	struct sdb_buf rec = SDB_BUF_INIT, k = SDB_BUF_INIT, v = SDB_BUF_INIT, rb = SDB_BUF_INIT;
	int64_t rowid;
	int rc;

	if (!row)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_add(&k, key, kn);
	rc = sql_w_delete_at(w, c, k.data, k.len, row, &rec, e);
	if (rc == 1) {
		rc = 0;
		if (!c->without_rowid)
			sql_rowkey_rowid_of(k.data, k.len, &rowid, e);
		else
			rowid = 0;
		for (int i = 0; i < fk->ncol; i++)
			row[fk->cols[i]] = nv[i];
		if (c->ipk >= 0 && row[c->ipk].type == SQLV_INT) {
			rowid = row[c->ipk].u.i;
			/* the row may move above the largest rowid (dml.c) */
			((struct sql_table_def *)c)->max_rowid_ok = 0;
		}
		if (!(rc = sql_rowkey(&k, c, row, rowid, e))) {
			struct sql_value keep = c->ipk >= 0 ? row[c->ipk] : sql_null();
			if (c->ipk >= 0)
				row[c->ipk] = sql_null();
			sql_record_encode(&v, row, c->ncol);
			if (c->ipk >= 0)
				row[c->ipk] = keep;
			rc = sdb_txn_put(w->txn, k.data, k.len, v.data, v.len, 0, e);
		}
		for (int i = 0; !rc && i < c->nidx; i++) {
			struct sdb_buf ik = SDB_BUF_INIT;
			if (!(rc = sql_idxkey(&ik, &rb, c->idx[i], row, NULL, rowid, e)))
				rc = sdb_txn_put(w->txn, ik.data, ik.len, rb.data, rb.len, 0, e);
			sdb_buf_release(&ik);
		}
		if (!rc)
			rc = sql_w_fk_child(w, c, row, e);
	}
	free(row);
	sdb_buf_release(&rec);
	sdb_buf_release(&k);
	sdb_buf_release(&v);
	sdb_buf_release(&rb);
	return rc < 0 ? rc : 0;
}

int sql_w_fk_parent(struct sql_wstate *w, const struct sql_table_def *p,
		    const struct sql_value *oldrow, const struct sql_value *newrow,
		    struct sdb_error *e)
{
	struct sql_catalog *cat = w->cat;
	int rc = 0;

	if (!w->foreign_keys)
		return 0;
	for (int ci = 0; ci < cat->ntab && !rc; ci++) {
		const struct sql_table_def *c = cat->tabs[ci];
		for (int f = 0; f < c->nfks && !rc; f++) {
			const struct sql_fkey_def *fk = &c->fks[f];
			struct sql_value keyv[64], nv[64];
			int pc[64], changed = 0, null = 0, act;
			struct sdb_buf keys = SDB_BUF_INIT, lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
			size_t *offs = NULL, n = 0, cap = 0;
			struct sdb_txn_iter *it = NULL;
			struct sql_value *crow = NULL;

			if (!sql_name_eq(fk->parent, p->name) || fk->ncol > 64)
				continue;
			if ((rc = parent_cols(c, fk, p, pc, e)))
				break;
			for (int i = 0; i < fk->ncol; i++) {
				keyv[i] = oldrow[pc[i]];
				null |= keyv[i].type == SQLV_NULL;
				if (newrow) {
					nv[i] = newrow[pc[i]];
					changed |= sql_value_cmp(&keyv[i], &nv[i], SQL_COLL_BINARY) != 0 ||
						keyv[i].type != nv[i].type;
				}
			}
			if (null || (newrow && !changed))
				continue;
			act = newrow ? fk->on_update : fk->on_delete;
			/* the child rows naming the old key */
			crow = calloc((size_t)c->ncol + 1, sizeof(*crow));
			sql_obj_prefix(&lo, c->id);
			sql_obj_end(&hi, c->id);
			if (!crow)
				rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			if (!rc)
				rc = sdb_txn_iter_open(w->txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e);
			while (!rc) {
				const unsigned char *k;
				size_t kn;
				struct sdb_val v;
				int64_t rowid;
				int match = 1;
				rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
				if (rc <= 0)
					break;
				rc = sql_row_decode(c, k, kn, v.data, v.len, crow, &rowid, e);
				for (int i = 0; !rc && match && i < fk->ncol; i++) {
					struct sql_value cv = crow[fk->cols[i]];
					struct sdb_sql_arena a;
					sdb_sql_arena_init(&a);
					sql_w_apply_aff(&cv, p->cols[pc[i]].aff, &a);
					match = cv.type != SQLV_NULL &&
						sql_value_cmp(&cv, &keyv[i], p->cols[pc[i]].coll) == 0;
					sdb_sql_arena_release(&a);
				}
				if (rc || !match)
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					size_t *no = realloc(offs, sizeof(*no) * cap * 2);
					if (!no) {
						rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
						break;
					}
					offs = no;
				}
				offs[2 * n] = keys.len;
				offs[2 * n + 1] = kn;
				sdb_buf_add(&keys, k, kn);
				n++;
			}
			sdb_txn_iter_close(it);
			if (rc > 0)
				rc = 0;
			if (!rc && n) {
				if (act <= 1 && !(c == p && !newrow))
					rc = fk_failed(e);
				else if (act <= 1) {
					/* a row naming itself, deleted: nothing left to name */
					rc = 0;
				}
				for (size_t i = 0; !rc && act > 1 && i < n; i++) {
					const char *k = keys.data + offs[2 * i];
					size_t kn = offs[2 * i + 1];
					struct sql_value setv[64];
					if (act == 4 && !newrow) {
						struct sdb_buf rec = SDB_BUF_INIT, kc = SDB_BUF_INIT;
						struct sql_value *tmp = calloc((size_t)c->ncol + 1, sizeof(*tmp));
						sdb_buf_add(&kc, k, kn);
						rc = tmp ? sql_w_delete_at(w, c, kc.data, kc.len, tmp, &rec, e) :
							sdb_error_set(e, SDB_ENOMEM, "out of memory");
						if (rc > 0)
							rc = sql_w_fk_parent(w, c, tmp, NULL, e);
						free(tmp);
						sdb_buf_release(&rec);
						sdb_buf_release(&kc);
						continue;
					}
					for (int j = 0; j < fk->ncol; j++)
						setv[j] = act == 2 ? sql_null() :
							act == 3 ? (c->cols[fk->cols[j]].dflt_const ?
								    c->cols[fk->cols[j]].dflt_value : sql_null()) :
							nv[j];
					rc = rewrite_child(w, c, k, kn, fk, setv, e);
				}
			}
			free(crow);
			free(offs);
			sdb_buf_release(&keys);
			sdb_buf_release(&lo);
			sdb_buf_release(&hi);
		}
	}
	return rc;
}
