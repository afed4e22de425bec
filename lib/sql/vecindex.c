/*
 * vecindex.c - HNSW indexes in SQL (vecindex.h): options, the base file
 * and its generations, the delta and tombstone keys kept in the row's
 * transaction, folding, and the k-NN search through them (unfiltered,
 * filtered by ACORN-1 in lib/vec, or handed back to the exact scan).
 */
#define _GNU_SOURCE
#include "sql/vecindex.h"

#include "sql/conn.h"
#include "sql/record.h"
#include "sql/sql.h"
#include "sql/write.h"
#include "store/keys.h"
#include "store/tuple.h"
#include "util/io.h"
#include "vec/distance.h"
#include "vec/flat.h"
#include "vec/hnsw.h"
#include "vec/hnswfile.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1
#define K_DELTA 0
#define K_TOMB 1
#define K_STATE 2
#define CACHE_MAX 8

static int oom(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ options */

static const char *opt_text(const struct sql_expr *v)
{
	if (!v)
		return NULL;
	if (v->kind == SQL_E_STRING)
		return v->text;
	if (v->kind == SQL_E_COLUMN && !v->table.z)
		return v->name.z;
	return NULL;
}

static int opt_int(const struct sql_expr *v, long lo, long hi, const char *name, long *out,
		   struct sdb_error *e)
{
	char *end;
	long n;

	if (!v || v->kind != SQL_E_INTEGER || !v->text)
		goto bad;
	errno = 0;
	n = strtol(v->text, &end, 10);
	if (errno || *end || n < lo || n > hi)
		goto bad;
	*out = n;
	return 0;
bad:
	return sdb_error_set(e, SDB_EINVAL, "hnsw option %s must be an integer from %ld to %ld",
			     name, lo, hi);
}

int sql_hnsw_parse(const struct sql_stmt *st, const struct sql_table_def *t, int col,
		   struct sql_hnsw_def *d, struct sdb_error *e)
{
	memset(d, 0, sizeof(*d));
	d->metric = SDB_VEC_L2;
	d->M = 16;
	d->ef_construction = 200;
	d->precision = SDB_PREC_F32;
	if (st->norder != 1)
		return sdb_error_set(e, SDB_EINVAL, "an hnsw index takes exactly one column");
	if (st->unique)
		return sdb_error_set(e, SDB_EINVAL, "an hnsw index cannot be UNIQUE");
	if (st->where)
		return sdb_error_set(e, SDB_EINVAL, "an hnsw index cannot be partial (WHERE)");
	if (col < 0 || col >= t->ncol || !t->cols[col].vec_dim)
		return sdb_error_set(e, SDB_EINVAL,
				     "an hnsw index needs a VECTOR(D) column: %s.%s is not one",
				     t->name, col >= 0 && col < t->ncol ? t->cols[col].name : "?");
	d->col = col;
	d->dim = t->cols[col].vec_dim;
	for (int i = 0; i < st->noptions; i++) {
		const struct sql_option *o = st->options[i];
		const char *k = o->key.z ? o->key.z : "", *s;
		long n;
		int rc;
		if (!strcasecmp(k, "metric")) {
			s = opt_text(o->value);
			int m = s ? sdb_vec_metric_parse(s) : -1;
			if (m < 0)
				return sdb_error_set(e, SDB_EINVAL,
						     "unknown hnsw metric '%s' (expected 'l2', 'ip' or 'cosine')",
						     s ? s : "?");
			d->metric = m;
		} else if (!strcasecmp(k, "m")) {
			if ((rc = opt_int(o->value, 2, 100, "m", &n, e)))
				return rc;
			d->M = (uint32_t)n;
		} else if (!strcasecmp(k, "ef_construction")) {
			if ((rc = opt_int(o->value, 1, 10000, "ef_construction", &n, e)))
				return rc;
			d->ef_construction = (uint32_t)n;
		} else if (!strcasecmp(k, "quantization")) {
			s = opt_text(o->value);
			if (s && !strcasecmp(s, "none"))
				d->precision = SDB_PREC_F32;
			else if (s && !strcasecmp(s, "sq8"))
				d->precision = SDB_PREC_SQ8;
			else if (s && !strcasecmp(s, "bf16"))
				d->precision = SDB_PREC_BF16;
			else
				return sdb_error_set(e, SDB_EINVAL,
						     "unknown hnsw quantization '%s' (expected 'none', 'sq8' or 'bf16')",
						     s ? s : "?");
		} else
			return sdb_error_set(e, SDB_EINVAL,
					     "unknown hnsw option '%s' (expected metric, m, ef_construction or quantization)",
					     k);
	}
	return 0;
}

/* ------------------------------------------------------------ keys */

static void hkey(struct sdb_buf *b, uint32_t id, int kind)
{
	sql_obj_prefix(b, id);
	sql_key_add_int(b, kind);
}

static void hkey_row(struct sdb_buf *b, uint32_t id, int kind, int64_t rowid)
{
	hkey(b, id, kind);
	sql_key_add_int(b, rowid);
}

/* The rowid of a delta or tombstone key whose (id, kind) prefix is plen bytes. */
static int key_rowid(const unsigned char *k, size_t n, size_t plen, int64_t *rowid,
		     struct sdb_error *e)
{
	struct sdb_tv v;
	long l;

	if (n <= plen)
		return sdb_error_set(e, SDB_ECORRUPT, "malformed hnsw index key");
	l = sdb_tuple_decode1(k + plen, n - plen, 0, 0, &v, NULL, e);
	if (l < 0)
		return (int)l;
	if (v.type != SDB_TV_INT)
		return sdb_error_set(e, SDB_ECORRUPT, "malformed hnsw index key");
	*rowid = v.i;
	return 0;
}

struct hstate {
	uint64_t gen, nbase;
	uint32_t dim, M;
	int metric;
	int present;
};

static int state_get(struct sdb_txn *txn, uint32_t id, struct hstate *s, struct sdb_error *e)
{
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_val v;
	struct sql_value c[6];
	int rc;

	memset(s, 0, sizeof(*s));
	hkey(&b, id, K_STATE);
	if (!sdb_buf_ok(&b)) {
		sdb_buf_release(&b);
		return oom(e);
	}
	rc = sdb_txn_get(txn, b.data, b.len, &v, e);
	sdb_buf_release(&b);
	if (rc == SDB_ENOTFOUND) {
		sdb_error_clear(e);
		return 0;
	}
	if (rc)
		return rc;
	for (int i = 0; i < 6; i++)
		if ((rc = sql_record_column(v.data, v.len, i, &c[i], e)))
			return rc;
	for (int i = 0; i < 6; i++)
		if (c[i].type != SQLV_INT)
			return sdb_error_set(e, SDB_ECORRUPT, "malformed hnsw index state");
	if (c[0].u.i != STATE_VERSION)
		return sdb_error_set(e, SDB_EVERSION, "hnsw index state version %lld is not supported",
				     (long long)c[0].u.i);
	s->gen = (uint64_t)c[1].u.i;
	s->nbase = (uint64_t)c[2].u.i;
	s->dim = (uint32_t)c[3].u.i;
	s->metric = (int)c[4].u.i;
	s->M = (uint32_t)c[5].u.i;
	s->present = 1;
	return 0;
}

static int state_put(struct sql_wstate *w, uint32_t id, const struct hstate *s,
		     struct sdb_error *e)
{
	struct sql_value c[6] = { sql_int(STATE_VERSION), sql_int((int64_t)s->gen),
				  sql_int((int64_t)s->nbase), sql_int(s->dim),
				  sql_int(s->metric), sql_int(s->M) };
	hkey(&w->k2, id, K_STATE);
	sdb_buf_reset(&w->vbuf);
	sql_record_encode(&w->vbuf, c, 6);
	if (!sdb_buf_ok(&w->k2) || !sdb_buf_ok(&w->vbuf))
		return oom(e);
	return sdb_txn_put(w->txn, w->k2.data, w->k2.len, w->vbuf.data, w->vbuf.len, 0, e);
}

/* ------------------------------------------------------------ files */

static void file_path(char *p, size_t n, const char *dir, uint32_t id, uint64_t gen)
{
	snprintf(p, n, "%s/sql-vec/%u-%llu.hnsw", dir, id, (unsigned long long)gen);
}

struct hfile {
	uint32_t id;
	uint64_t gen;
	struct sdb_index x;
	struct sdb_hnsw_ctx *ctx;
	struct hfile *next;
};

struct hcache {
	struct hfile *head;
	int n;
};

static void hfile_free(struct hfile *f)
{
	if (!f)
		return;
	sdb_index_close(&f->x);
	sdb_hnsw_ctx_free(f->ctx);
	free(f);
}

void sql_hnsw_close(struct sql_wstate *w)
{
	struct hcache *c = w->hnsw;

	if (!c)
		return;
	while (c->head) {
		struct hfile *f = c->head;
		c->head = f->next;
		hfile_free(f);
	}
	free(c);
	w->hnsw = NULL;
}

/* The mapped base of (id, gen), opened once per connection. */
static int base_open(struct sql_wstate *w, uint32_t id, const struct hstate *s,
		     struct hfile **out, struct sdb_error *e)
{
	struct hcache *c = w->hnsw;
	struct hfile *f, **pp;
	char path[4096];
	int rc;

	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return oom(e);
		w->hnsw = c;
	}
	for (pp = &c->head; (f = *pp); pp = &f->next)
		if (f->id == id && f->gen == s->gen) {
			*pp = f->next; /* to the front */
			f->next = c->head;
			c->head = f;
			*out = f;
			return 0;
		}
	if (!(f = calloc(1, sizeof(*f))))
		return oom(e);
	file_path(path, sizeof path, w->dir, id, s->gen);
	if ((rc = sdb_index_open(&f->x, path, e))) {
		free(f);
		return rc;
	}
	if (f->x.g.n != s->nbase || f->x.g.dim != s->dim || f->x.g.metric != s->metric) {
		sdb_index_close(&f->x);
		free(f);
		return sdb_error_set(e, SDB_ECORRUPT, "hnsw index file '%s' does not match its catalog state",
				     path);
	}
	if (!(f->ctx = sdb_hnsw_ctx_new(f->x.g.n, f->x.g.M0))) {
		hfile_free(f);
		return oom(e);
	}
	f->id = id;
	f->gen = s->gen;
	f->next = c->head;
	c->head = f;
	if (++c->n > CACHE_MAX) {
		struct hfile *p = c->head;
		while (p->next && p->next->next)
			p = p->next;
		hfile_free(p->next);
		p->next = NULL;
		c->n--;
	}
	*out = f;
	return 0;
}

/* The node of rowid in a base (ids ascending), or -1. */
static int64_t base_node(const struct sdb_index *x, int64_t rowid)
{
	uint64_t lo = 0, hi = x->g.n;
	const uint64_t *ids = x->ids;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int64_t v = (int64_t)ids[mid];
		if (v == rowid)
			return (int64_t)mid;
		if (v < rowid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int is_hnsw_file(const char *s, uint32_t *id, uint64_t *gen, int *tmp)
{
	unsigned long a;
	unsigned long long b;
	int n = 0;

	*tmp = 0;
	if (sscanf(s, "%lu-%llu.hnsw%n", &a, &b, &n) != 2 || !n)
		return 0;
	*id = (uint32_t)a;
	*gen = b;
	*tmp = s[n] != 0;
	return 1;
}

void sql_hnsw_gc(struct sql_wstate *w)
{
	struct stat st;
	char dir[4096], path[4400];
	struct dirent *de;
	struct sdb_error e = { 0 };
	struct sdb_txn *txn = w->txn, *own = NULL;
	DIR *d;

	if (!w->dir || !w->db)
		return;
	snprintf(dir, sizeof dir, "%s/sql-vec", w->dir);
	if (stat(dir, &st))
		return; /* no HNSW index was ever built here */
	/* the snapshot after the commit that just ended */
	if (!txn && (sdb_db_refresh(w->db, &e) || sdb_txn_begin(w->db, &own, &e)))
		return;
	if (!txn)
		txn = own;
	snprintf(dir, sizeof dir, "%s/sql-vec", w->dir);
	if (!(d = opendir(dir))) {
		sdb_txn_free(own);
		return;
	}
	while ((de = readdir(d))) {
		uint32_t id;
		uint64_t gen;
		int tmp, keep = 0;
		if (!is_hnsw_file(de->d_name, &id, &gen, &tmp))
			continue;
		if (!tmp) {
			/* the state key says whether the index exists (ids are
			 * never reused; DROP range-deletes it): the catalog this
			 * connection holds may be older than the store */
			struct hstate s;
			if (state_get(txn, id, &s, &e))
				keep = 1; /* unreadable: leave it */
			else if (s.present)
				keep = gen == s.gen || gen + 1 == s.gen;
			sdb_error_clear(&e);
		}
		if (!keep) {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
	sdb_txn_free(own);
}

/* ------------------------------------------------------------ build */

int sql_hnsw_build(struct sql_wstate *w, const struct sql_index_def *x, int fold,
		   struct sdb_error *e)
{
	const struct sql_hnsw_def *d = x->hnsw;
	const struct sql_table_def *t = x->table;
	struct sdb_txn_iter *it = NULL;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sql_value *row = NULL;
	float *vecs = NULL;
	uint64_t *ids = NULL, n = 0, cap = 0;
	struct sdb_hnsw *h = NULL;
	struct hstate s = { 0 }, old;
	char dir[4096], path[4400];
	int rc;

	if ((rc = state_get(w->txn, x->id, &old, e)))
		return rc;
	row = calloc((size_t)t->ncol + 1, sizeof(*row));
	sql_obj_prefix(&lo, t->id);
	sql_obj_end(&hi, t->id);
	if (!row || !sdb_buf_ok(&lo) || !sdb_buf_ok(&hi)) {
		rc = oom(e);
		goto out;
	}
	if ((rc = sdb_txn_iter_open(w->txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
		goto out;
	for (;;) {
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		int64_t rowid;
		rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
		if (rc <= 0)
			break;
		if ((rc = sql_row_decode(t, k, kn, v.data, v.len, row, &rowid, e)))
			break;
		const struct sql_value *cv = &row[d->col];
		if (cv->type != SQLV_BLOB || cv->n != d->dim * 4)
			continue;
		if (n == cap) {
			uint64_t nc = cap ? cap * 2 : 1024;
			float *nv = realloc(vecs, nc * d->dim * sizeof(float));
			if (nv)
				vecs = nv;
			uint64_t *ni = nv ? realloc(ids, nc * sizeof(uint64_t)) : NULL;
			if (!nv || !ni) {
				rc = oom(e);
				break;
			}
			ids = ni;
			cap = nc;
		}
		memcpy(vecs + n * d->dim, cv->u.z, d->dim * 4);
		if (d->metric == SDB_VEC_COSINE)
			sdb_vec_normalize(vecs + n * d->dim, d->dim);
		ids[n++] = (uint64_t)rowid;
	}
	sdb_txn_iter_close(it);
	if (rc)
		goto out;
	s.gen = (old.present ? old.gen : 0) + 1;
	s.nbase = n;
	s.dim = d->dim;
	s.metric = d->metric;
	s.M = d->M;
	snprintf(dir, sizeof dir, "%s/sql-vec", w->dir);
	if (mkdir(dir, 0777) && errno != EEXIST) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot create '%s'", dir);
		goto out;
	}
	if (n) {
		struct sdb_hnsw_params p = { .M = d->M, .ef_construction = d->ef_construction,
					     .metric = d->metric, .seed = 42, .batch_size = 4096,
					     .threads = 0, .precision = d->precision };
		struct sdb_index_meta meta = { 0 };
		if ((rc = sdb_hnsw_build(vecs, n, d->dim, &p, NULL, NULL, &h, e)))
			goto out;
		meta.ef_construction = d->ef_construction;
		meta.seed = p.seed;
		meta.batch_size = p.batch_size;
		meta.threads = (uint32_t)h->threads_used;
		meta.has_ids = 1;
		meta.precision = (uint32_t)h->precision_used;
		meta.shard_count = 1;
		meta.input_rows = n;
		file_path(path, sizeof path, w->dir, x->id, s.gen);
		if ((rc = sdb_index_write(path, h, ids, NULL, &meta, NULL, e)))
			goto out;
	} /* else no file: nbase 0, every row comes through the delta */
	if ((rc = state_put(w, x->id, &s, e)))
		goto out;
	/* the delta and the tombstones are folded in */
	hkey(&lo, x->id, K_DELTA);
	hkey(&hi, x->id, K_STATE);
	if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi)) {
		rc = oom(e);
		goto out;
	}
	rc = sdb_txn_del_range(w->txn, lo.data, lo.len, hi.data, hi.len, e);
	(void)fold;
out:
	sdb_hnsw_free(h);
	free(vecs);
	free(ids);
	free(row);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return rc;
}

/* ------------------------------------------------------------ maintenance */

static int vec_equal_base(const struct sdb_index *x, int64_t node, const void *blob, uint32_t dim,
			  int metric)
{
	float tmp[1024];
	const float *b = x->g.vecs + (size_t)node * dim;

	if (metric != SDB_VEC_COSINE)
		return !memcmp(b, blob, (size_t)dim * 4);
	if (dim > 1024)
		return 0;
	memcpy(tmp, blob, (size_t)dim * 4);
	sdb_vec_normalize(tmp, dim);
	return !memcmp(b, tmp, (size_t)dim * 4);
}

int sql_hnsw_row(struct sql_wstate *w, const struct sql_table_def *t,
		 const struct sql_value *row, int64_t rowid, int del, struct sdb_error *e)
{
	for (int i = 0; i < t->nidx; i++) {
		const struct sql_index_def *x = t->idx[i];
		const struct sql_hnsw_def *d = x->hnsw;
		const struct sql_value *cv;
		struct hfile *f = NULL;
		struct hstate s;
		int64_t node = -1;
		int rc;

		if (!d)
			continue;
		cv = &row[d->col];
		if (cv->type != SQLV_BLOB || cv->n != d->dim * 4)
			continue; /* NULL: not in the index */
		if ((rc = state_get(w->txn, x->id, &s, e)))
			return rc;
		int unknown = 0;
		if (s.present && s.nbase) {
			if (base_open(w, x->id, &s, &f, e)) {
				/* a missing or damaged base (salvage, a lost file):
				 * writes go on; a tombstone for every deleted row
				 * (harmless for a row not in it), REINDEX rebuilds */
				sdb_error_clear(e);
				f = NULL;
				unknown = 1;
			} else
				node = base_node(&f->x, rowid);
		}
		if (del) {
			hkey_row(&w->k2, x->id, K_DELTA, rowid);
			if (!sdb_buf_ok(&w->k2))
				return oom(e);
			if ((rc = sdb_txn_del(w->txn, w->k2.data, w->k2.len, e)))
				return rc;
			if (node >= 0 || unknown) {
				hkey_row(&w->k2, x->id, K_TOMB, rowid);
				if (!sdb_buf_ok(&w->k2))
					return oom(e);
				if ((rc = sdb_txn_put(w->txn, w->k2.data, w->k2.len, "", 0, 0, e)))
					return rc;
			}
			continue;
		}
		if (node >= 0 && vec_equal_base(&f->x, node, cv->u.z, d->dim, d->metric)) {
			/* the base row again (an UPDATE of other columns, a
			 * REPLACE of the same vector): no tombstone, no delta */
			hkey_row(&w->k2, x->id, K_TOMB, rowid);
			if (!sdb_buf_ok(&w->k2))
				return oom(e);
			if ((rc = sdb_txn_del(w->txn, w->k2.data, w->k2.len, e)))
				return rc;
			continue;
		}
		hkey_row(&w->k2, x->id, K_DELTA, rowid);
		if (!sdb_buf_ok(&w->k2))
			return oom(e);
		if ((rc = sdb_txn_put(w->txn, w->k2.data, w->k2.len, cv->u.z, cv->n, 0, e)))
			return rc;
	}
	return 0;
}

static int count_range(struct sdb_txn *txn, uint32_t id, int kind, uint64_t *n,
		       struct sdb_error *e)
{
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn_iter *it = NULL;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	int rc;

	*n = 0;
	hkey(&lo, id, kind);
	hkey(&hi, id, kind + 1);
	if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi))
		rc = oom(e);
	else if (!(rc = sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e))) {
		while ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) == 1)
			(*n)++;
		sdb_txn_iter_close(it);
	}
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return rc < 0 ? rc : 0;
}

int sql_hnsw_pending(struct sdb_txn *txn, const struct sql_index_def *x, uint64_t *delta,
		     uint64_t *tombs, struct sdb_error *e)
{
	int rc = count_range(txn, x->id, K_DELTA, delta, e);
	return rc ? rc : count_range(txn, x->id, K_TOMB, tombs, e);
}

/* ------------------------------------------------------------ search */

struct drow {
	int64_t rowid;
	float d;
};

static int drow_cmp(const void *a, const void *b)
{
	const struct drow *x = a, *y = b;
	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

struct fctx {
	const struct sdb_index *x;
	const uint8_t *excl;      /* bit per node: superseded (tombstone or delta) */
	sql_hnsw_pass_fn pass;
	void *arg;
};

static int node_ok(void *vp, uint32_t node)
{
	struct fctx *f = vp;
	if (f->excl && (f->excl[node >> 3] >> (node & 7)) & 1)
		return 0;
	return f->pass ? f->pass(f->arg, (int64_t)f->x->ids[node]) : 1;
}

/*
 * The cost model of a filtered query, in rows read by a sequential scan:
 * a row read by rowid (the walk's test, an index path's fetch) costs
 * ROW_GET_COST of them. The walk reads about ef / s rows (s the
 * selectivity: it takes the nearest nodes until ef of them pass); the
 * exact path reads every row (a full scan: rows) or, through an index
 * on the filter, the s * live matching ones by rowid.
 */
#define ROW_GET_COST 4.0

static double exact_cost(const struct sql_hnsw_query *hq, double sel, uint64_t live,
			 uint64_t rows)
{
	return hq->exact_scan ? (double)rows : ROW_GET_COST * sel * (double)live;
}

/* walk cost / exact cost (>= 1: exact); PRAGMA hnsw_exact_rows overrides:
 * exact when the matching rows are fewer. */
static double path_cost(const struct sql_hnsw_query *hq, double sel, uint64_t live,
			uint64_t rows, uint32_t ef)
{
	if (hq->exact_rows >= 0) {
		double m = sel * (double)live;
		return m < (double)hq->exact_rows || (m == 0 && hq->exact_rows > 0) ? 16 : 1.0 / 16;
	}
	if (sel <= 0)
		return 16;
	double ex = exact_cost(hq, sel, live, rows);
	return ex > 0 ? ROW_GET_COST * ef / sel / ex : 16;
}

int sql_hnsw_knn(struct sql_wstate *w, struct sdb_txn *txn, struct sql_hnsw_query *hq,
		 struct sdb_error *e)
{
	const struct sql_index_def *x = hq->x;
	const struct sql_hnsw_def *d = x->hnsw;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn_iter *it = NULL;
	struct hfile *f = NULL;
	struct hstate s;
	struct drow *dr = NULL;
	size_t ndr = 0, capdr = 0;
	uint8_t *excl = NULL;
	uint64_t nexcl = 0, live;
	float *qn = NULL, *tmp = NULL;
	uint32_t *nodes = NULL;
	float *nd = NULL;
	sdb_vec_dist_fn dist = sdb_vec_metric_fn(d->metric);
	uint64_t walk_budget = 0;
	int rc;

	hq->path = SQL_HNSW_EXACT;
	hq->est = 1;
	hq->rows = NULL;
	hq->nrows = 0;
	if ((rc = state_get(txn, x->id, &s, e)))
		return rc;
	if (!s.present || s.dim != d->dim)
		return 0; /* not built (another process's older catalog): scan */
	if (s.nbase && (rc = base_open(w, x->id, &s, &f, e))) {
		sdb_error_clear(e);
		return 0; /* a missing or damaged file: the scan answers */
	}
	qn = malloc((size_t)d->dim * sizeof(float) * 2);
	if (!qn) {
		rc = oom(e);
		goto out;
	}
	tmp = qn + d->dim;
	memcpy(qn, hq->q, (size_t)d->dim * 4);
	if (d->metric == SDB_VEC_COSINE)
		sdb_vec_normalize(qn, d->dim);
	if (f && !(excl = calloc((size_t)(s.nbase + 7) / 8 + 1, 1))) {
		rc = oom(e);
		goto out;
	}
	/* tombstones, then the delta (its rows supersede the base's) */
	for (int kind = K_DELTA; kind <= K_TOMB; kind++) {
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		hkey(&lo, x->id, kind);
		hkey(&hi, x->id, kind + 1);
		if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi)) {
			rc = oom(e);
			goto out;
		}
		if ((rc = sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
			goto out;
		while ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) == 1) {
			int64_t rowid = 0, node;
			if ((rc = key_rowid(k, kn, lo.len, &rowid, e)))
				break;
			if (f && (node = base_node(&f->x, rowid)) >= 0 &&
			    !((excl[node >> 3] >> (node & 7)) & 1)) {
				excl[node >> 3] |= (uint8_t)(1u << (node & 7));
				nexcl++;
			}
			if (kind != K_DELTA || v.len != d->dim * 4)
				continue;
			if (ndr == capdr) {
				size_t nc = capdr ? capdr * 2 : 64;
				struct drow *nr = realloc(dr, nc * sizeof(*nr));
				if (!nr) {
					rc = oom(e);
					break;
				}
				dr = nr;
				capdr = nc;
			}
			memcpy(tmp, v.data, (size_t)d->dim * 4);
			if (d->metric == SDB_VEC_COSINE)
				sdb_vec_normalize(tmp, d->dim);
			dr[ndr].rowid = rowid;
			dr[ndr].d = dist(qn, tmp, d->dim);
			ndr++;
		}
		sdb_txn_iter_close(it);
		it = NULL;
		if (rc < 0)
			goto out;
		rc = 0;
	}
	live = s.nbase - nexcl;
	if (!f || !live)
		goto out; /* everything is in the delta: the scan is as fast */
	struct fctx fc = { &f->x, nexcl ? excl : NULL, hq->pass, hq->arg };
	if (hq->pass) {
		/* the filter's selectivity on a seeded sample of up to 200 live
		 * rows (fewer once the answer is clear) */
		uint32_t want = live < 200 ? (uint32_t)live : 200, tested = 0, passed = 0;
		uint64_t z = 0x2302;
		uint32_t ef = hq->ef_default ? hq->ef * 2 : hq->ef;
		for (uint32_t i = 0; i < 4 * want && tested < want; i++) {
			/* sequential: stop early once the choice is clear (the
			 * sample costs row reads too) */
			if (tested >= 48 && tested % 16 == 0) {
				double c = path_cost(hq, (double)passed / tested, live, s.nbase + ndr, ef);
				if (c > 4 || c < 0.25)
					break;
			}
			/* splitmix64: a fixed seed, so a plan is repeatable */
			uint64_t r = (z += 0x9E3779B97F4A7C15ull);
			r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9ull;
			r = (r ^ (r >> 27)) * 0x94D049BB133111EBull;
			r ^= r >> 31;
			uint64_t node = r % s.nbase;
			if (nexcl && (excl[node >> 3] >> (node & 7)) & 1)
				continue;
			tested++;
			int p = hq->pass(hq->arg, (int64_t)f->x.ids[node]);
			if (p < 0) {
				rc = p;
				goto out;
			}
			passed += (uint32_t)p;
		}
		hq->est = tested ? (double)passed / tested : 0;
		if (hq->ef_default && hq->est < 0.5)
			hq->ef *= 2; /* a selective filter: a wider walk keeps the recall */
		if ((hq->exact_rows < 0 && hq->est * (double)live < hq->k) ||
		    path_cost(hq, hq->est, live, s.nbase + ndr, hq->ef) >= 1)
			goto out; /* the exact path over exactly the matching rows is cheaper */
		/* the walk may read as many rows as the exact path would */
		walk_budget = (uint64_t)(exact_cost(hq, hq->est, live, s.nbase + ndr) / ROW_GET_COST);
		if (walk_budget < 4ull * hq->ef)
			walk_budget = 4ull * hq->ef;
	}
	hq->path = SQL_HNSW_GRAPH;
	if (hq->plan_only)
		goto out;
	nodes = malloc(sizeof(*nodes) * hq->k);
	nd = malloc(sizeof(*nd) * hq->k);
	if (!nodes || !nd) {
		rc = oom(e);
		goto out;
	}
	int64_t got;
	if (!hq->pass && !nexcl) {
		got = sdb_hnsw_search(&f->x.g, f->ctx, qn, hq->k, hq->ef, nodes, nd);
	} else {
		/* past its budget of row reads the walk gives way to the
		 * exact path */
		struct sdb_hnsw_fstats st;
		got = sdb_hnsw_search_filtered(&f->x.g, f->ctx, qn, hq->k, hq->ef, node_ok, &fc,
					       hq->pass ? walk_budget : s.nbase, nodes, nd, &st);
		if (got < 0) {
			rc = (int)got;
			goto out;
		}
		hq->tests = st.tests;
		if (st.exhausted) {
			hq->path = SQL_HNSW_EXACT;
			goto out;
		}
	}
	if (got < (int64_t)hq->k && (uint64_t)got < live) {
		/* the walk found fewer than k: finished exactly by the scan */
		hq->path = SQL_HNSW_EXACT;
		goto out;
	}
	/* the delta's rows that pass, merged with the walk's */
	{
		size_t m = 0;
		for (size_t i = 0; i < ndr; i++) {
			if (hq->pass) {
				int p = hq->pass(hq->arg, dr[i].rowid);
				if (p < 0) {
					rc = p;
					goto out;
				}
				if (!p)
					continue;
			}
			dr[m++] = dr[i];
		}
		ndr = m;
		if (capdr < ndr + (size_t)got) {
			struct drow *nr = realloc(dr, (ndr + (size_t)got + 1) * sizeof(*nr));
			if (!nr) {
				rc = oom(e);
				goto out;
			}
			dr = nr;
		}
		for (int64_t i = 0; i < got; i++) {
			dr[ndr].rowid = (int64_t)f->x.ids[nodes[i]];
			dr[ndr].d = nd[i];
			ndr++;
		}
		qsort(dr, ndr, sizeof(*dr), drow_cmp);
		if (ndr > hq->k)
			ndr = hq->k;
		if (!(hq->rows = malloc(sizeof(int64_t) * (ndr ? ndr : 1)))) {
			rc = oom(e);
			goto out;
		}
		for (size_t i = 0; i < ndr; i++)
			hq->rows[i] = dr[i].rowid;
		hq->nrows = (uint32_t)ndr;
	}
out:
	sdb_txn_iter_close(it);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	free(dr);
	free(excl);
	free(qn);
	free(nodes);
	free(nd);
	return rc;
}

/* ------------------------------------------------------------ for sochdb-wal */

/* The HNSW indexes of the open connection c, with their states, through a
 * fresh snapshot. *txn is freed by the caller. */
static int each_index(struct sql_conn *c, struct sdb_txn **txn, struct sdb_error *e)
{
	*txn = NULL;
	if (!c->db || !c->cat)
		return 0;
	int rc = sdb_db_refresh(c->db, e);
	return rc ? rc : sdb_txn_begin(c->db, txn, e);
}

int sql_hnsw_fold_all(const struct sql_open_opts *o, uint64_t min_pending, int *folded,
		      struct sdb_error *e)
{
	struct sql_conn *c = NULL;
	struct sdb_txn *txn = NULL;
	char names[64][256];
	int n = 0, rc;

	*folded = 0;
	if ((rc = sql_open(o, &c, e)))
		return rc == SDB_ENOTFOUND ? (sdb_error_clear(e), 0) : rc;
	if ((rc = each_index(c, &txn, e)) || !txn)
		goto out;
	for (int i = 0; i < sql_catalog_index_count(c->cat) && n < 64; i++) {
		const struct sql_index_def *x = sql_catalog_index_nth(c->cat, i);
		struct hstate s;
		uint64_t d, t;
		if (!x->hnsw)
			continue;
		if ((rc = state_get(txn, x->id, &s, e)) || (rc = sql_hnsw_pending(txn, x, &d, &t, e)))
			goto out;
		uint64_t need = s.nbase / 20 > min_pending ? s.nbase / 20 : min_pending;
		if (d + t && d + t >= need && strlen(x->name) < 200)
			snprintf(names[n++], sizeof names[0], "%s", x->name);
	}
	sdb_txn_free(txn);
	txn = NULL;
	for (int i = 0; i < n; i++) {
		char sql[600], q[420];
		size_t k = 0;
		for (const char *p = names[i]; *p && k + 2 < sizeof q; p++) {
			if (*p == '"')
				q[k++] = '"';
			q[k++] = *p;
		}
		q[k] = 0;
		snprintf(sql, sizeof sql, "REINDEX \"%s\"", q);
		if ((rc = sql_exec(c, sql, e)))
			goto out;
		(*folded)++;
	}
out:
	sdb_txn_free(txn);
	sql_close(c);
	return rc;
}

int sql_hnsw_files(const struct sql_open_opts *o, sql_hnsw_file_fn fn, void *arg,
		   struct sdb_error *e)
{
	struct sql_conn *c = NULL;
	struct sdb_txn *txn = NULL;
	int rc;

	if ((rc = sql_open(o, &c, e)))
		return rc == SDB_ENOTFOUND ? (sdb_error_clear(e), 0) : rc;
	if ((rc = each_index(c, &txn, e)) || !txn)
		goto out;
	for (int i = 0; i < sql_catalog_index_count(c->cat); i++) {
		const struct sql_index_def *x = sql_catalog_index_nth(c->cat, i);
		struct hstate s;
		char path[4400];
		if (!x->hnsw)
			continue;
		if ((rc = state_get(txn, x->id, &s, e)))
			goto out;
		if (!s.present || !s.nbase)
			continue;
		file_path(path, sizeof path, o->dir, x->id, s.gen);
		if ((rc = fn(arg, x->name, path, s.nbase, e)))
			goto out;
	}
out:
	sdb_txn_free(txn);
	sql_close(c);
	return rc;
}

int sql_hnsw_verify_file(const char *path, uint64_t nbase, struct sdb_error *e)
{
	struct sdb_index x;
	int rc = sdb_index_open(&x, path, e);

	if (rc == SDB_ENOTFOUND)
		return sdb_error_set(e, SDB_ECORRUPT, "hnsw index file '%s' is missing", path);
	if (rc)
		return rc == SDB_EIO ? rc : (e->code = SDB_ECORRUPT); /* the message names the file */
	if (x.g.n != nbase)
		rc = sdb_error_set(e, SDB_ECORRUPT, "hnsw index file '%s' holds %llu vectors, its state says %llu",
				   path, (unsigned long long)x.g.n, (unsigned long long)nbase);
	else
		rc = sdb_index_verify(&x, e);
	sdb_index_close(&x);
	return rc;
}
