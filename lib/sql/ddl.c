/*
 * ddl.c - CREATE TABLE/INDEX/VIEW, DROP, ALTER TABLE, REINDEX, ANALYZE,
 * VACUUM: the catalog changed in memory and in the store in the
 * statement's transaction (one store commit: nothing half-applied), rows
 * and index entries removed with the store's range delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/vecindex.h"
#include "sql/wint.h"
#include "store/txn.h"

static int reserved_name(const char *name, struct sdb_error *e)
{
	if (!strncasecmp(name, "sqlite_", 7))
		return sdb_error_set(e, SDB_EINVAL, "object name reserved for internal use: %s", name);
	return 0;
}

static int name_clash(struct sql_wstate *w, const char *name, int is_index,
		      struct sdb_error *e)
{
	const char *type;

	if (!sql_cat_name_taken(w->cat, name, &type))
		return 0;
	if (is_index)
		return !strcmp(type, "index") ?
			sdb_error_set(e, SDB_EINVAL, "index %s already exists", name) :
			sdb_error_set(e, SDB_EINVAL, "there is already a table named %s", name);
	if (!strcmp(type, "index"))
		return sdb_error_set(e, SDB_EINVAL, "there is already an index named %s", name);
	return sdb_error_set(e, SDB_EINVAL, "%s %s already exists", type, name);
}

/* --------------------------------------------------------- CREATE TABLE */

static int create_table(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
			const struct sql_stmt *st, const char *src, struct sdb_error *e)
{
	const char *type;
	char *text;
	int rc;

	if (sql_cat_name_taken(w->cat, st->name.z, &type)) {
		if (st->if_not_exists && strcmp(type, "index"))
			return 0;
		return name_clash(w, st->name.z, 0, e);
	}
	if ((rc = reserved_name(st->name.z, e)))
		return rc;
	if (st->select)
		return sql_w_create_as(c, w, h, st, e);
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	w->txn_ddl = 1;
	if (!(text = sql_cat_create_text(w->cat, st, src, e)))
		return e && e->code ? e->code : SDB_ENOMEM;
	return sql_w_create_from_text(w, text, e);
}

int sql_w_create_from_text(struct sql_wstate *w, char *text, struct sdb_error *e)
{
	struct sql_table_def *t;
	int rc;

	{
		uint32_t id = w->cat->next_id++;
		if ((rc = sql_cat_build_table(w->cat, text, id, NULL, 0, &t, e)))
			return rc;
	}
	if ((rc = sql_cat_put_table(w, t, e)) || (rc = sql_cat_put_meta(w, e)))
		return rc;
	t->max_rowid = 0;
	t->max_rowid_ok = 1;
	return sql_cat_add(w->cat, t, e);
}

/* --------------------------------------------------------- CREATE INDEX */

struct ent {
	uint32_t off, len, vlen, plen; /* key at off, value after; plen: values part */
};

struct build {
	struct sdb_buf keys;
	struct ent *ents;
	size_t n, cap;
};

/* Entries from which an autocommit CREATE INDEX writes through the
 * store's bulk ingest (fewer go through the WAL with the transaction). */
#define BULK_MIN 50000

/* The length of the values part of an index key (head, id, ncol values). */
static size_t values_len(const unsigned char *k, size_t n, int nvals)
{
	size_t pos = SQL_KEY_HEAD;

	for (int i = 0; i < 1 + nvals; i++) {
		size_t m = sdb_tuple_skip(k + pos, n - pos, 0);
		if (!m)
			return n;
		pos += m;
	}
	return pos;
}

static int unique_failed(const struct sql_index_def *x, struct sdb_error *e);

int sql_w_unique_msg(const struct sql_index_def *x, struct sdb_error *e);
int sql_w_unique_msg(const struct sql_index_def *x, struct sdb_error *e)
{
	return unique_failed(x, e);
}

static int unique_failed(const struct sql_index_def *x, struct sdb_error *e)
{
	char msg[480];
	size_t n = 0;

	msg[0] = 0;
	for (int i = 0; i < x->ncol && n < sizeof(msg) - 64; i++) {
		const char *cn = x->cols[i] >= 0 ? x->table->cols[x->cols[i]].name :
			x->cols[i] == -1 ? "rowid" : "<expr>";
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s.%s", i ? ", " : "",
				      x->table->name, cn);
	}
	if (x->cols[0] == -2)
		return sdb_error_set(e, SDB_ECONFLICT, "UNIQUE constraint failed: index '%s'", x->name);
	return sdb_error_set(e, SDB_ECONFLICT, "UNIQUE constraint failed: %s", msg);
}

/* One row's entry of the index being filled (sql_rows_each). */
struct fill {
	struct sql_wstate *w;
	const struct sql_index_def *x;
	struct build *b;
};

static int fill_row(void *arg, const struct sql_value *row, int64_t rowid, struct sdb_error *e)
{
	struct fill *f = arg;
	struct sql_wstate *w = f->w;
	const struct sql_index_def *x = f->x;
	struct build *b = f->b;
	struct ent *en;
	int rc;

	if ((rc = sql_idxkey(&w->kbuf, &w->rbits, x, row, NULL, rowid, e)))
		return rc;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 1024;
		struct ent *ne = realloc(b->ents, nc * sizeof(*ne));
		if (!ne)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		b->ents = ne;
		b->cap = nc;
	}
	en = &b->ents[b->n++];
	en->off = (uint32_t)b->keys.len;
	en->len = (uint32_t)w->kbuf.len;
	en->vlen = (uint32_t)w->rbits.len;
	en->plen = x->unique ? (uint32_t)values_len((const unsigned char *)w->kbuf.data,
						     w->kbuf.len, x->ncol) : 0;
	if (x->unique)
		for (int i = 0; i < x->ncol; i++) {
			int c = x->cols[i];
			const struct sql_value *cv = c >= 0 ? &row[c] : NULL;
			if (cv && cv->type == SQLV_NULL)
				en->plen = 0; /* NULLs are distinct */
		}
	sdb_buf_add(&b->keys, w->kbuf.data, w->kbuf.len);
	sdb_buf_add(&b->keys, w->rbits.data, w->rbits.len);
	return sdb_buf_ok(&b->keys) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* Writes every entry of index x for the rows of its table: scanned,
 * sorted, checked for uniqueness, then written in key order. */
int sql_w_fill_index(struct sql_wstate *w, struct sql_index_def *x,
		     struct sdb_error *e);
int sql_w_fill_index(struct sql_wstate *w, struct sql_index_def *x,
		     struct sdb_error *e)
{
	struct sql_table_def *t = x->table;
	struct build b = { SDB_BUF_INIT, NULL, 0, 0 };
	struct fill fl = { w, x, &b };
	uint64_t *used = NULL;
	uint32_t *order = NULL, *koff = NULL, *klen = NULL;
	int rc = 0;

	for (int i = 0; i < x->ncol; i++)
		if (x->cols[i] == -2)
			return sdb_error_set(e, SDB_EUNSUPPORTED,
					     "indexes on expressions are not supported yet");
	if (x->where)
		return sdb_error_set(e, SDB_EUNSUPPORTED, "partial indexes are not supported yet");
	/* the rows' indexed columns and the rowid only (x->cols: -1 rowid) */
	used = calloc((size_t)(t->ncol + 1) / 64 + 1, sizeof(*used));
	if (!used)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	used[t->ncol >> 6] |= 1ull << (t->ncol & 63);
	for (int i = 0; i < x->ncol; i++) {
		int c = x->cols[i] < 0 ? t->ncol : x->cols[i];
		used[c >> 6] |= 1ull << (c & 63);
	}
	for (int i = 0; i < t->npk; i++) /* WITHOUT ROWID: the key columns */
		used[t->pk[i] >> 6] |= 1ull << (t->pk[i] & 63);
	if ((rc = sql_rows_each(w->txn, t, used, fill_row, &fl, e)))
		goto out;
	/* in key order: the store's radix sort of the keys' bytes */
	order = malloc((b.n ? b.n : 1) * sizeof(*order));
	koff = malloc((b.n ? b.n : 1) * sizeof(*koff));
	klen = malloc((b.n ? b.n : 1) * sizeof(*klen));
	if (!order || !koff || !klen) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		koff[i] = b.ents[i].off;
		klen[i] = b.ents[i].len;
	}
	if (b.n && sdb_keys_order((const unsigned char *)b.keys.data, koff, klen, b.n, order)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	{
		struct ent *sorted = malloc((b.n ? b.n : 1) * sizeof(*sorted));
		if (!sorted) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < b.n; i++)
			sorted[i] = b.ents[order[i]];
		free(b.ents);
		b.ents = sorted;
	}
	/* a big index of an autocommit CREATE INDEX: straight into tables
	 * (no WAL records to write now and replay at every open) */
	if (w->bulk_ok && !w->in_begin && !w->bulk && b.n >= BULK_MIN &&
	    (rc = sdb_bulk_begin(w->db, &w->bulk, e)))
		goto out;
	for (size_t i = 0; i < b.n; i++) {
		const struct ent *en = &b.ents[i];
		if (i + 8 < b.n) /* the keys lie in scan order, read in key order */
			__builtin_prefetch(b.keys.data + b.ents[i + 8].off);
		if (x->unique && i && en->plen && en->plen == b.ents[i - 1].plen &&
		    !memcmp(b.keys.data + en->off, b.keys.data + b.ents[i - 1].off, en->plen)) {
			rc = unique_failed(x, e);
			break;
		}
		if ((rc = w->bulk ? sdb_bulk_put(w->bulk, b.keys.data + en->off, en->len,
						 b.keys.data + en->off + en->len, en->vlen, 0, e)
				  : sdb_txn_put(w->txn, b.keys.data + en->off, en->len,
						b.keys.data + en->off + en->len, en->vlen, 0, e)))
			break;
	}
out:
	free(used);
	free(order);
	free(koff);
	free(klen);
	free(b.ents);
	sdb_buf_release(&b.keys);
	return rc;
}

static int create_index(struct sql_wstate *w, const struct sql_stmt *st,
			const char *src, struct sdb_error *e)
{
	struct sql_table_def *t = sql_catalog_table(w->cat, st->name2.z);
	struct sql_index_def *x;
	const char *type;
	char *text;
	int rc;

	if (sql_cat_name_taken(w->cat, st->name.z, &type)) {
		if (st->if_not_exists && !strcmp(type, "index"))
			return 0;
		return name_clash(w, st->name.z, 1, e);
	}
	if ((rc = reserved_name(st->name.z, e)))
		return rc;
	if (!t)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: main.%s", st->name2.z);
	if (t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "views may not be indexed");
	if (st->using_.z && strcasecmp(st->using_.z, "btree") && strcasecmp(st->using_.z, "hnsw"))
		return sdb_error_set(e, SDB_EINVAL, "unknown index method %s (expected btree or hnsw)",
				     st->using_.z);
	if (st->noptions && (!st->using_.z || strcasecmp(st->using_.z, "hnsw")))
		return sdb_error_set(e, SDB_EINVAL, "WITH (...) options are only for USING hnsw");
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	w->txn_ddl = 1;
	if (!(text = sql_cat_create_text(w->cat, st, src, e)))
		return e && e->code ? e->code : SDB_ENOMEM;
	{
		uint32_t id = w->cat->next_id++;
		if ((rc = sql_cat_build_index(w->cat, text, id, &x, e)))
			return rc;
	}
	if (x->hnsw) {
		rc = sql_hnsw_build(w, x, 0, e);
		w->hnsw_ddl = 1;
	} else {
		w->bulk_ok = 1;
		rc = sql_w_fill_index(w, x, e);
		w->bulk_ok = 0;
	}
	if (rc)
		return rc;
	if ((rc = sql_cat_put_index(w, x, e)) || (rc = sql_cat_put_meta(w, e)))
		return rc;
	return sql_cat_add_index(w->cat, x, e);
}

/* ---------------------------------------------------------- CREATE VIEW */

static int create_view(struct sql_wstate *w, const struct sql_stmt *st,
		       const char *src, struct sdb_error *e)
{
	struct sql_table_def *t;
	const char *type;
	char *text;
	int rc;

	if (sql_cat_name_taken(w->cat, st->name.z, &type)) {
		if (st->if_not_exists && strcmp(type, "index"))
			return 0;
		return name_clash(w, st->name.z, 0, e);
	}
	if ((rc = reserved_name(st->name.z, e)))
		return rc;
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	w->txn_ddl = 1;
	if (!(text = sql_cat_create_text(w->cat, st, src, e)))
		return e && e->code ? e->code : SDB_ENOMEM;
	{
		uint32_t id = w->cat->next_id++;
		if ((rc = sql_cat_build_table(w->cat, text, id, NULL, 0, &t, e)))
			return rc;
	}
	if ((rc = sql_cat_put_table(w, t, e)) || (rc = sql_cat_put_meta(w, e)))
		return rc;
	return sql_cat_add(w->cat, t, e);
}

/* ----------------------------------------------------------------- DROP */

static int del_object_keys(struct sql_wstate *w, uint32_t id, struct sdb_error *e)
{
	sql_obj_prefix(&w->kbuf, id);
	sql_obj_end(&w->k2, id);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->k2))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return sdb_txn_del_range(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data,
				 w->k2.len, e);
}

static int del_seq(struct sql_wstate *w, const char *name, struct sdb_error *e);

static int drop(struct sql_wstate *w, const struct sql_stmt *st, struct sdb_error *e)
{
	int rc;

	if (st->sub == SQL_DROP_INDEX) {
		struct sql_index_def *x = sql_catalog_index(w->cat, st->name.z);
		if (!x)
			return st->if_exists ? 0 :
				sdb_error_set(e, SDB_ENOTFOUND, "no such index: %s", st->name.z);
		if (!x->sql)
			return sdb_error_set(e, SDB_EINVAL,
					     "index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped");
		if ((rc = sql_w_begin_write(w, e)))
			return rc;
		w->txn_ddl = 1;
		w->hnsw_ddl |= x->hnsw != NULL;
		if ((rc = del_object_keys(w, x->id, e)) || (rc = sql_cat_del_obj(w, x->id, e)) ||
		    (rc = sql_cat_put_meta(w, e)))
			return rc;
		sql_cat_remove_index(w->cat, x);
		return 0;
	}
	struct sql_table_def *t = sql_catalog_table(w->cat, st->name.z);
	if (!t || t->is_system) {
		if (t && t->is_system)
			return sdb_error_set(e, SDB_EINVAL, "table %s may not be dropped", t->name);
		return st->if_exists ? 0 :
			sdb_error_set(e, SDB_ENOTFOUND, "no such %s: %s",
				      st->sub == SQL_DROP_VIEW ? "view" : "table", st->name.z);
	}
	if (st->sub == SQL_DROP_VIEW && !t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "use DROP TABLE to delete table %s", t->name);
	if (st->sub == SQL_DROP_TABLE && t->is_view)
		return sdb_error_set(e, SDB_EINVAL, "use DROP VIEW to delete view %s", t->name);
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	w->txn_ddl = 1;
	if (!t->is_view && (rc = del_object_keys(w, t->id, e)))
		return rc;
	if ((rc = sql_fts_drop(w, t, e)))
		return rc;
	for (int i = 0; i < t->nidx; i++)
		w->hnsw_ddl |= t->idx[i]->hnsw != NULL;
	for (int i = 0; i < t->nidx; i++)
		if ((rc = del_object_keys(w, t->idx[i]->id, e)) ||
		    (rc = sql_cat_del_obj(w, t->idx[i]->id, e)))
			return rc;
	if ((rc = sql_cat_del_obj(w, t->id, e)))
		return rc;
	if (t->autoinc && (rc = del_seq(w, t->name, e)))
		return rc;
	if ((rc = sql_cat_put_meta(w, e)))
		return rc;
	sql_cat_remove_table(w->cat, t);
	return 0;
}

/* (0, 'seq', lower(name)): the AUTOINCREMENT counter of a table. */
void sql_w_seq_key(struct sdb_buf *b, const char *name);
void sql_w_seq_key(struct sdb_buf *b, const char *name)
{
	char low[1024];
	size_t n = strlen(name);
	struct sql_value v;

	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	sql_key_head(b);
	sql_key_add_int(b, 0);
	v = sql_text("seq", 3);
	sql_key_add(b, &v, 0, SQL_COLL_BINARY);
	v = sql_text(low, n);
	sql_key_add(b, &v, 0, SQL_COLL_BINARY);
}

static int del_seq(struct sql_wstate *w, const char *name, struct sdb_error *e)
{
	sql_w_seq_key(&w->kbuf, name);
	if (!sdb_buf_ok(&w->kbuf))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return sdb_txn_del(w->txn, w->kbuf.data, w->kbuf.len, e);
}


/* ------------------------------------------------ REINDEX, ANALYZE, VACUUM */

static int reindex_one(struct sql_wstate *w, struct sql_index_def *x, struct sdb_error *e)
{
	if (x->hnsw) {
		w->hnsw_ddl = 1;
		return sql_hnsw_build(w, x, 1, e); /* the fold */
	}
	int rc = del_object_keys(w, x->id, e);

	return rc ? rc : sql_w_fill_index(w, x, e);
}

static int reindex(struct sql_wstate *w, const struct sql_stmt *st, struct sdb_error *e)
{
	const char *name = st->name.z;
	struct sql_catalog *c = w->cat;
	int rc, any = 0;

	if (name && !st->schema.z && sql_name_eq(name, "main"))
		name = NULL;
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	for (int i = 0; i < c->nidx; i++) {
		struct sql_index_def *x = c->idxs[i];
		int coll_match = name && (sql_name_eq(name, "BINARY") || sql_name_eq(name, "NOCASE") ||
					  sql_name_eq(name, "RTRIM"));
		if (name && !coll_match && !sql_name_eq(x->name, name) && !sql_name_eq(x->table->name, name))
			continue;
		any = 1;
		if ((rc = reindex_one(w, x, e)))
			return rc;
	}
	if (name && !any && !sql_catalog_table(c, name) && !sql_name_eq(name, "BINARY") &&
	    !sql_name_eq(name, "NOCASE") && !sql_name_eq(name, "RTRIM"))
		return sdb_error_set(e, SDB_ENOTFOUND, "unable to identify the object to be reindexed");
	return 0;
}

/* Rows of object id (a table's rows or an index's entries), and for an
 * index the number of distinct values of all its columns. */
static int count_keys(struct sql_wstate *w, uint32_t id, int nvals, double *rows,
		      double *distinct, struct sdb_error *e)
{
	struct sdb_txn_iter *it;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	struct sdb_buf last = SDB_BUF_INIT;
	int rc;

	*rows = *distinct = 0;
	sql_obj_prefix(&w->kbuf, id);
	sql_obj_end(&w->k2, id);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->k2))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if ((rc = sdb_txn_iter_open(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data, w->k2.len,
				    0, &it, e)))
		return rc;
	while ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) == 1) {
		(*rows)++;
		if (nvals) {
			size_t pl = values_len(k, kn, nvals);
			if (pl != last.len || memcmp(last.data, k, pl)) {
				(*distinct)++;
				sdb_buf_reset(&last);
				sdb_buf_add(&last, k, pl);
			}
		}
	}
	sdb_txn_iter_close(it);
	sdb_buf_release(&last);
	return rc < 0 ? rc : 0;
}

/* ANALYZE: a table's est_rows is its row count; an index's is the rows
 * an equality on all its columns finds (rows / distinct keys), as
 * sqlite_stat1's last number. */
static int analyze(struct sql_wstate *w, const struct sql_stmt *st, struct sdb_error *e)
{
	const char *name = st->name.z;
	struct sql_catalog *c = w->cat;
	int rc;

	if (name && !st->schema.z && sql_name_eq(name, "main"))
		name = NULL;
	if (name && !sql_catalog_table(c, name) && !sql_catalog_index(c, name))
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", name);
	if ((rc = sql_w_begin_write(w, e)))
		return rc;
	w->txn_ddl = 1;
	for (int i = 0; i < c->ntab; i++) {
		struct sql_table_def *t = c->tabs[i];
		double rows, d;
		int touched = 0;
		if (t->is_view || t->is_system)
			continue;
		if (name && !sql_name_eq(t->name, name)) {
			int hit = 0;
			for (int k = 0; k < t->nidx; k++)
				hit |= sql_name_eq(t->idx[k]->name, name);
			if (!hit)
				continue;
		}
		if ((rc = count_keys(w, t->id, 0, &rows, &d, e)))
			return rc;
		t->est_rows = rows;
		t->analyzed = 1;
		for (int k = 0; k < t->nidx; k++) {
			struct sql_index_def *x = t->idx[k];
			double n, dist;
			if (x->hnsw)
				continue;
			if ((rc = count_keys(w, x->id, x->ncol, &n, &dist, e)))
				return rc;
			x->est_rows = dist > 0 ? n / dist : 1;
			x->analyzed = 1;
			if (x->sql && (rc = sql_cat_put_index(w, x, e)))
				return rc;
		}
		touched = 1;
		if (touched && (rc = sql_cat_put_table(w, t, e)))
			return rc;
	}
	return sql_cat_put_meta(w, e);
}

/* VACUUM: a checkpoint and a full compaction of the store (dead versions
 * and range-deleted keys dropped), run without the writer lock. */
int sql_w_vacuum(struct sql_wstate *w, struct sdb_error *e);

/* ------------------------------------------------------------- dispatch */

int sql_ddl(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
	    const struct sql_stmt *st, const char *src, struct sql_rows *out,
	    struct sdb_error *e)
{
	int rc;

	if (st->schema.z && strcasecmp(st->schema.z, "main") && st->kind != SQL_S_VACUUM)
		return sdb_error_set(e, SDB_ENOTFOUND, "unknown database %s", st->schema.z);
	switch (st->kind) {
	case SQL_S_CREATE_TABLE:
	case SQL_S_CREATE_VTABLE:
		rc = create_table(c, w, h, st, src, e);
		break;
	case SQL_S_CREATE_INDEX:
		rc = create_index(w, st, src, e);
		break;
	case SQL_S_CREATE_VIEW:
		rc = create_view(w, st, src, e);
		break;
	case SQL_S_DROP:
		rc = drop(w, st, e);
		break;
	case SQL_S_REINDEX:
		rc = reindex(w, st, e);
		break;
	case SQL_S_ANALYZE:
		rc = analyze(w, st, e);
		break;
	case SQL_S_VACUUM:
		return sql_w_vacuum(w, e);
	case SQL_S_ALTER:
		rc = sql_w_alter(c, w, h, st, src, e);
		break;
	default:
		return sdb_error_set(e, SDB_EUNSUPPORTED, "statement not supported yet");
	}
	if (!rc && w->txn && w->txn_ddl && st->kind != SQL_S_ANALYZE && st->kind != SQL_S_REINDEX)
		rc = sql_cat_write_schema_rows(w, e);
	if (rc) {
		w->hnsw_ddl = 0;
		sql_w_end_write(w, 0, 0, NULL);
		return rc;
	}
	rc = sql_w_end_write(w, 1, 0, e);
	if (!rc && w->hnsw_ddl && !w->in_begin && w->writer && w->db) {
		/* committed: files of dropped indexes and old generations go
		 * (the writer lock is still held after an autocommit) */
		sql_hnsw_gc(w);
	}
	w->hnsw_ddl = 0;
	return rc;
}
