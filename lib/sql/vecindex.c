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
#include <sys/mman.h>
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
	d->precision = SDB_PREC_AUTO; /* as sochdb-bulk: bf16 distances for cosine/ip at D >= 256 */
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

/* The delta and the superseded base nodes as one snapshot sees them. */
struct hsnap {
	uint8_t *excl;            /* bit per base node: superseded (tombstone or delta) */
	uint64_t nexcl;
	int64_t *drow;            /* the delta's rows ... */
	float *dvec;              /* ... and their vectors (normalised for cosine) */
	size_t nd, capd;
};

/* The columns a filter reads, by base node, as one snapshot sees them
 * (NULL for a node whose row is gone: such a node is superseded). */
struct hcols {
	int n;
	int col[SQL_HNSW_FCOLS];  /* table columns, ncol: the rowid */
	struct sql_value *v;      /* nbase * n */
	unsigned char *bytes;     /* their TEXT and BLOB bytes */
	/* per column, made when a range first asks: its non-NULL values
	 * sorted (sv) with their nodes (perm); sorted -1: not all numeric */
	int sorted[SQL_HNSW_FCOLS];
	double *sv[SQL_HNSW_FCOLS];
	uint32_t *perm[SQL_HNSW_FCOLS];
	uint64_t ns[SQL_HNSW_FCOLS];
};

struct hfile {
	uint32_t id;
	uint64_t gen;
	struct sdb_index x;
	struct sdb_hnsw_ctx *ctx;
	/* kept while the store's snapshot tag says nothing changed */
	uint64_t stag[3], ctag[3];
	int snap_ok, cols_ok;
	struct hsnap snap;
	struct hcols cols;
	/* the filter of signature mkey by node: 0 not tested yet, 1 passes,
	 * 2 fails (valid with cols, on the snapshot of tag mtag) */
	uint8_t *memo;
	struct sdb_buf mkey;
	uint64_t mtag[3];
	int memo_ok;
	/* the same answers for every node, the tombstones folded in, as a
	 * bitmap for the walk (made when a walk first needs it; valid with
	 * the memo) */
	uint64_t *bits;
	int bits_ok;
	struct hfile *next;
};

struct hcache {
	struct hfile *head;
	int n;
	/* index states read on snapshots of tag stag (state_cached) */
	struct {
		uint32_t id;
		int ok;
		uint64_t tag[3];
		struct hstate s;
	} st[4];
	int nextst;
};

static void hsnap_free(struct hsnap *h)
{
	free(h->excl);
	free(h->drow);
	free(h->dvec);
	memset(h, 0, sizeof(*h));
}

static void hcols_free(struct hcols *c)
{
	for (int i = 0; i < SQL_HNSW_FCOLS; i++) {
		free(c->sv[i]);
		free(c->perm[i]);
	}
	free(c->v);
	free(c->bytes);
	memset(c, 0, sizeof(*c));
}

static void hfile_free(struct hfile *f)
{
	if (!f)
		return;
	hsnap_free(&f->snap);
	hcols_free(&f->cols);
	free(f->memo);
	free(f->bits);
	sdb_buf_release(&f->mkey);
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
#ifdef MADV_POPULATE_READ
	/* queries touch most of the file: its page table in one go, not a
	 * fault per page (an older kernel says EINVAL: faults then) */
	if (f->x.map)
		madvise((void *)f->x.map, f->x.file_bytes, MADV_POPULATE_READ);
#endif
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

	/* ids ascending and distinct: dense ones (an import's) at once */
	if (hi && rowid >= (int64_t)ids[0]) {
		uint64_t at = (uint64_t)rowid - ids[0];
		if (at < hi && (int64_t)ids[at] == rowid)
			return (int64_t)at;
	}

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

/* The vectors of the table's rows, gathered for the builder. */
struct gather {
	const struct sql_hnsw_def *d;
	float *vecs;
	uint64_t *ids, n, cap;
};

static int gather_row(void *arg, const struct sql_value *row, int64_t rowid, struct sdb_error *e)
{
	struct gather *g = arg;
	const struct sql_hnsw_def *d = g->d;
	const struct sql_value *cv = &row[d->col];

	if (cv->type != SQLV_BLOB || cv->n != d->dim * 4)
		return 0;
	if (g->n == g->cap) {
		/* rows on 64-byte boundaries, as sochdb-bulk's mapped .npy has
		 * them: a malloc'd block starts 16 bytes into a page, and every
		 * row of 128 floats then straddles nine cache lines, not eight
		 * (the build measured 5-10% slower) */
		uint64_t nc = g->cap ? g->cap * 2 : 1024;
		void *nv = NULL;
		if (posix_memalign(&nv, 64, nc * d->dim * sizeof(float)))
			return oom(e);
		if (g->n)
			memcpy(nv, g->vecs, g->n * d->dim * sizeof(float));
		free(g->vecs);
		g->vecs = nv;
		uint64_t *ni = realloc(g->ids, nc * sizeof(uint64_t));
		if (!ni)
			return oom(e);
		g->ids = ni;
		g->cap = nc;
	}
	memcpy(g->vecs + g->n * d->dim, cv->u.z, d->dim * 4);
	if (d->metric == SDB_VEC_COSINE)
		sdb_vec_normalize(g->vecs + g->n * d->dim, d->dim);
	g->ids[g->n++] = (uint64_t)rowid;
	return 0;
}

int sql_hnsw_build(struct sql_wstate *w, const struct sql_index_def *x, int fold,
		   struct sdb_error *e)
{
	const struct sql_hnsw_def *d = x->hnsw;
	const struct sql_table_def *t = x->table;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	uint64_t used[64] = { 0 };
	struct gather g = { d, NULL, NULL, 0, 0 };
	float *vecs;
	uint64_t *ids, n;
	struct sdb_hnsw *h = NULL;
	struct hstate s = { 0 }, old;
	char dir[4096], path[4400];
	int rc;

	if ((rc = state_get(w->txn, x->id, &old, e)))
		return rc;
	if (t->ncol >= 64 * 64)
		return sdb_error_set(e, SDB_ELIMIT, "too many columns for an hnsw index");
	/* the vector column and the rowid only */
	used[d->col >> 6] |= 1ull << (d->col & 63);
	used[t->ncol >> 6] |= 1ull << (t->ncol & 63);
	if ((rc = sql_rows_each(w->txn, t, used, gather_row, &g, e)))
		goto out;
	vecs = g.vecs;
	ids = g.ids;
	n = g.n;
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
		/* sochdb-bulk build-index's settings (its defaults) */
		struct sdb_hnsw_params p = { .M = d->M, .ef_construction = d->ef_construction,
					     .metric = d->metric, .seed = 42, .batch_size = 1000,
					     .threads = 0, .precision = d->precision,
					     .insert_order = SDB_INSERT_LOCAL };
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
		/* as sochdb-bulk's default: queries walk an SQ8 copy and
		 * re-rank the best in float32 */
		meta.search_sq8 = 1;
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
	free(g.vecs);
	free(g.ids);
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
	uint32_t node;            /* its base node, or NO_NODE (the delta's) */
};

#define NO_NODE UINT32_MAX

static int drow_cmp(const void *a, const void *b)
{
	const struct drow *x = a, *y = b;
	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Whether what txn reads may come from (and go into) the connection's
 * caches: the statement's own snapshot with no writes of its own; tag
 * gets the snapshot's tag. */
static int cacheable(struct sql_wstate *w, struct sdb_txn *txn, uint64_t tag[3])
{
	if (!w->db || txn != w->txn || sdb_txn_nops(txn))
		return 0;
	sdb_db_snapshot_tag(w->db, tag);
	return 1;
}

/* state_get, from the connection's cache while the store's snapshot
 * tag says nothing changed (a query per statement reads it again). */
static int state_cached(struct sql_wstate *w, struct sdb_txn *txn, uint32_t id,
			struct hstate *s, struct sdb_error *e)
{
	struct hcache *c = w->hnsw;
	uint64_t tag[3];
	int ok = c && cacheable(w, txn, tag);

	for (int i = 0; ok && i < 4; i++)
		if (c->st[i].ok && c->st[i].id == id && !memcmp(c->st[i].tag, tag, sizeof tag)) {
			*s = c->st[i].s;
			return 0;
		}
	int rc = state_get(txn, id, s, e);
	if (rc || !ok)
		return rc;
	int i = c->nextst++ & 3;
	c->st[i].id = id;
	c->st[i].ok = 1;
	memcpy(c->st[i].tag, tag, sizeof tag);
	c->st[i].s = *s;
	return 0;
}

/* Reads the delta and the tombstones of x into h (empty). */
static int snap_fill(struct sdb_txn *txn, const struct sql_index_def *x, const struct hfile *f,
		     struct hsnap *h, struct sdb_error *e)
{
	const struct sql_hnsw_def *d = x->hnsw;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn_iter *it = NULL;
	int rc = 0;

	if (f && !(h->excl = calloc((size_t)(f->x.g.n + 7) / 8 + 1, 1)))
		return oom(e);
	/* the delta, then the tombstones (the delta's rows supersede the base's) */
	for (int kind = K_DELTA; kind <= K_TOMB && !rc; kind++) {
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		hkey(&lo, x->id, kind);
		hkey(&hi, x->id, kind + 1);
		if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi)) {
			rc = oom(e);
			break;
		}
		if ((rc = sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
			break;
		while ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) == 1) {
			int64_t rowid = 0, node;
			if ((rc = key_rowid(k, kn, lo.len, &rowid, e)))
				break;
			if (f && (node = base_node(&f->x, rowid)) >= 0 &&
			    !((h->excl[node >> 3] >> (node & 7)) & 1)) {
				h->excl[node >> 3] |= (uint8_t)(1u << (node & 7));
				h->nexcl++;
			}
			if (kind != K_DELTA || v.len != d->dim * 4)
				continue;
			if (h->nd == h->capd) {
				size_t nc = h->capd ? h->capd * 2 : 64;
				int64_t *nr = realloc(h->drow, nc * sizeof(*nr));
				if (nr)
					h->drow = nr;
				float *nv = nr ? realloc(h->dvec, nc * d->dim * sizeof(float)) : NULL;
				if (!nv) {
					rc = oom(e);
					break;
				}
				h->dvec = nv;
				h->capd = nc;
			}
			float *dv = h->dvec + h->nd * d->dim;
			memcpy(dv, v.data, (size_t)d->dim * 4);
			if (d->metric == SDB_VEC_COSINE)
				sdb_vec_normalize(dv, d->dim);
			h->drow[h->nd++] = rowid;
		}
		sdb_txn_iter_close(it);
		it = NULL;
		if (rc > 0)
			rc = 0;
	}
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return rc;
}

/* The filter columns of a table's rows, by base node (cols_fill). */
struct cfill {
	const struct sdb_index *x;
	struct hcols *c;
	uint64_t pos;             /* rows come in rowid order, as the base's ids */
	struct sdb_buf bytes;
	int ncol;
};

static int cols_row(void *arg, const struct sql_value *row, int64_t rowid, struct sdb_error *e)
{
	struct cfill *cf = arg;
	struct hcols *c = cf->c;
	const uint64_t *ids = cf->x->ids;
	uint64_t n = cf->x->g.n;

	while (cf->pos < n && (int64_t)ids[cf->pos] < rowid)
		cf->pos++;
	if (cf->pos == n || (int64_t)ids[cf->pos] != rowid)
		return 0; /* a row since the base: in the delta, or no vector */
	struct sql_value *out = c->v + cf->pos * (uint64_t)c->n;
	for (int i = 0; i < c->n; i++) {
		struct sql_value v = c->col[i] == cf->ncol ? sql_int(rowid) : row[c->col[i]];
		if (v.type == SQLV_TEXT || v.type == SQLV_BLOB) {
			size_t off = cf->bytes.len;
			sdb_buf_add(&cf->bytes, v.u.z, v.n);
			v.u.i = (int64_t)off; /* a pointer once the bytes stop moving */
		}
		out[i] = v;
	}
	return sdb_buf_ok(&cf->bytes) ? 0 : oom(e);
}

/*
 * The b-tree index of t that holds every column of cols[0..n) (the rowid,
 * ncol, comes with every entry) as stored: no partial index, no folding
 * collation on them; the one with the fewest columns. *pos[i] gets the
 * key element of cols[i] (-1: the rowid, which the INTEGER PRIMARY KEY
 * is). NULL when there is none.
 */
static const struct sql_index_def *covering_index(const struct sql_table_def *t,
						  const int *cols, int n, int *pos)
{
	const struct sql_index_def *best = NULL;

	for (int j = 0; j < t->nidx; j++) {
		const struct sql_index_def *b = t->idx[j];
		int p[SQL_HNSW_FCOLS], ok = !b->hnsw && !b->where && !t->without_rowid;
		for (int i = 0; i < n && ok; i++) {
			p[i] = -1;
			if (cols[i] == t->ncol || cols[i] == t->ipk)
				continue;
			for (int k = 0; k < b->ncol && p[i] < 0; k++)
				if (b->cols[k] == cols[i] &&
				    (!b->coll || b->coll[k] == SQL_COLL_BINARY))
					p[i] = k;
			ok = p[i] >= 0;
		}
		if (ok && (!best || b->ncol < best->ncol)) {
			best = b;
			memcpy(pos, p, sizeof(int) * (size_t)n);
		}
	}
	return best;
}

/* cols_fill_index's state: the index, where the columns are in its
 * entries, and the leading column's values in index order (its sorted
 * column, cols_sort's, when they come ascending and all numbers). */
struct ifill {
	const struct sql_index_def *b;
	const int *pos;
	const struct hfile *f;
	struct hcols *c;
	struct cfill *cf;
	struct sql_value *vals;
	struct sdb_buf tmp;
	int lead;                 /* the cached column index 0 is, or -1 */
	int lead_state;           /* 1 in order so far, 0 not (qsort), -1 not all numbers */
	double *sv;
	uint32_t *perm;
	uint64_t ns;
};

static int ifill_entry(struct ifill *s, const unsigned char *k, size_t kn, const void *val,
		       size_t vlen, struct sdb_error *e)
{
	struct hcols *c = s->c;
	int64_t rowid;
	int rc = sql_idx_decode(s->b, k, kn, val, vlen, s->vals, &rowid, &s->tmp, e);
	if (rc)
		return rc;
	int64_t node = base_node(&s->f->x, rowid);
	if (node < 0)
		return 0; /* a row since the base: in the delta, or no vector */
	struct sql_value *out = c->v + (uint64_t)node * (uint64_t)c->n;
	for (int i = 0; i < c->n; i++) {
		struct sql_value x = s->pos[i] < 0 ? sql_int(rowid) : s->vals[s->pos[i]];
		if (x.type == SQLV_TEXT || x.type == SQLV_BLOB) {
			size_t off = s->cf->bytes.len;
			sdb_buf_add(&s->cf->bytes, x.u.z, x.n);
			x.u.i = (int64_t)off;
		}
		out[i] = x;
	}
	if (s->lead >= 0 && s->lead_state > 0) {
		const struct sql_value *x = &s->vals[0];
		double d;
		if (x->type == SQLV_NULL)
			return 0;
		if (x->type == SQLV_INT && x->u.i <= (1ll << 53) && x->u.i >= -(1ll << 53))
			d = (double)x->u.i;
		else if (x->type == SQLV_REAL && !isnan(x->u.r))
			d = x->u.r;
		else {
			s->lead_state = -1;
			return 0;
		}
		if (s->ns && (d < s->sv[s->ns - 1] ||
			      (d == s->sv[s->ns - 1] && (uint32_t)node <= s->perm[s->ns - 1]))) {
			s->lead_state = 0;
			return 0;
		}
		s->sv[s->ns] = d;
		s->perm[s->ns++] = (uint32_t)node;
	}
	return sdb_buf_ok(&s->cf->bytes) ? 0 : oom(e);
}

/*
 * cols_fill from index b (covering_index): its entries are far smaller
 * than the rows (which hold the vectors), and every row has one. Each
 * entry's rowid finds its node; rows since the base (not in it) are
 * skipped as cols_row skips them. The entries are served in place from
 * their blocks (nothing is written meanwhile).
 */
static int cols_fill_index(struct sdb_txn *txn, const struct sql_index_def *b, const int *pos,
			   const struct hfile *f, struct hcols *c, struct cfill *cf,
			   struct sdb_error *e)
{
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn_iter *it = NULL;
	struct ifill s = { b, pos, f, c, cf, calloc((size_t)b->ncol + 1, sizeof(*s.vals)),
			   SDB_BUF_INIT, -1, 1, NULL, NULL, 0 };
	uint64_t nbase = f->x.g.n;
	int rc;

	for (int i = 0; i < c->n; i++)
		if (pos[i] == 0 && !(b->desc && b->desc[0]))
			s.lead = i;
	if (s.lead >= 0) {
		s.sv = malloc(sizeof(double) * (nbase + 1));
		s.perm = malloc(sizeof(uint32_t) * (nbase + 1));
		if (!s.sv || !s.perm)
			s.lead = -1;
	}
	sql_obj_prefix(&lo, b->id);
	sql_obj_end(&hi, b->id);
	if (!s.vals || !sdb_buf_ok(&lo) || !sdb_buf_ok(&hi))
		rc = oom(e);
	else if (!(rc = sdb_txn_iter_open(txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
		for (;;) {
			const unsigned char *k;
			size_t kn;
			struct sdb_val v;
			struct sdb_run r;
			if ((rc = sdb_txn_iter_next(it, &k, &kn, &v, e)) <= 0 ||
			    (rc = ifill_entry(&s, k, kn, v.data, v.len, e)))
				break;
			if (!sdb_txn_iter_stable(it) || !sdb_txn_iter_run(it, &r))
				continue;
			for (size_t j = r.i; j < r.n && !rc; j++)
				rc = ifill_entry(&s, r.keys + r.koff[j], r.klen[j], r.val[j],
						 r.vlen[j], e);
			if (rc || (rc = sdb_txn_iter_skip(it, r.n - r.i, e)))
				break;
		}
	if (rc >= 0 && s.lead >= 0 && s.lead_state) {
		c->sorted[s.lead] = s.lead_state;
		if (s.lead_state > 0) {
			c->sv[s.lead] = s.sv;
			c->perm[s.lead] = s.perm;
			c->ns[s.lead] = s.ns;
			s.sv = NULL;
			s.perm = NULL;
		}
	}
	sdb_txn_iter_close(it);
	free(s.vals);
	free(s.sv);
	free(s.perm);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	sdb_buf_release(&s.tmp);
	return rc < 0 ? rc : 0;
}

/* Reads columns cols[0..n) of x's table for every node of f's base into c
 * (empty): from an index that holds them all when there is one, else
 * from the rows. */
static int cols_fill(struct sdb_txn *txn, const struct sql_index_def *x, const struct hfile *f,
		     const int *cols, int n, struct hcols *c, struct sdb_error *e)
{
	const struct sql_table_def *t = x->table;
	uint64_t *used = calloc((size_t)(t->ncol + 1) / 64 + 1, sizeof(*used));
	struct cfill cf = { &f->x, c, 0, SDB_BUF_INIT, t->ncol };
	int pos[SQL_HNSW_FCOLS];
	const struct sql_index_def *b = covering_index(t, cols, n, pos);
	int rc;

	c->n = n;
	memcpy(c->col, cols, sizeof(int) * (size_t)n);
	c->v = calloc(f->x.g.n * (uint64_t)n + 1, sizeof(*c->v));
	if (!used || !c->v) {
		free(used);
		return oom(e);
	}
	for (int i = 0; i < n; i++)
		used[cols[i] >> 6] |= 1ull << (cols[i] & 63);
	used[t->ncol >> 6] |= 1ull << (t->ncol & 63);
	rc = b ? cols_fill_index(txn, b, pos, f, c, &cf, e) :
		 sql_rows_each(txn, t, used, cols_row, &cf, e);
	free(used);
	if (rc) {
		sdb_buf_release(&cf.bytes);
		return rc;
	}
	c->bytes = (unsigned char *)cf.bytes.data;
	for (uint64_t i = 0; i < f->x.g.n * (uint64_t)n; i++)
		if (c->v[i].type == SQLV_TEXT || c->v[i].type == SQLV_BLOB)
			c->v[i].u.z = (const char *)c->bytes + c->v[i].u.i;
	return 0;
}

/* Whether the cached columns hold every column of cols[0..n). */
static int cols_cover(const struct hcols *c, const int *cols, int n)
{
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (int j = 0; j < c->n && !found; j++)
			found = c->col[j] == cols[i];
		if (!found)
			return 0;
	}
	return 1;
}

/* The columns cols[0..n) by node, from f's cache when it is current, else
 * read now (and cached when the snapshot allows: with the columns cached
 * before, so that queries filtering on either keep it). NULL when the
 * filter cannot use it (*rc 0) or on an error (*rc). */
static const struct hcols *cols_get(struct sql_wstate *w, struct sdb_txn *txn,
				    const struct sql_index_def *x, struct hfile *f,
				    const int *cols, int n, struct sdb_error *e, int *rc)
{
	uint64_t tag[3];
	int want[SQL_HNSW_FCOLS], nw = 0;

	*rc = 0;
	if (n < 0 || n > SQL_HNSW_FCOLS || !cacheable(w, txn, tag))
		return NULL;
	if (f->cols_ok && !memcmp(f->ctag, tag, sizeof tag) && cols_cover(&f->cols, cols, n))
		return &f->cols;
	if (f->cols_ok && !memcmp(f->ctag, tag, sizeof tag))
		for (int j = 0; j < f->cols.n && nw < SQL_HNSW_FCOLS; j++)
			want[nw++] = f->cols.col[j];
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (int j = 0; j < nw && !found; j++)
			found = want[j] == cols[i];
		if (!found) {
			if (nw == SQL_HNSW_FCOLS)
				nw = 0; /* too many: these alone */
			want[nw++] = cols[i];
		}
	}
	hcols_free(&f->cols);
	f->cols_ok = 0;
	if ((*rc = cols_fill(txn, x, f, want, nw, &f->cols, e))) {
		hcols_free(&f->cols);
		return NULL;
	}
	if (!cols_cover(&f->cols, cols, n)) {
		/* more columns than the cache holds: read them alone */
		hcols_free(&f->cols);
		if ((*rc = cols_fill(txn, x, f, cols, n, &f->cols, e))) {
			hcols_free(&f->cols);
			return NULL;
		}
	}
	memcpy(f->ctag, tag, sizeof tag);
	f->cols_ok = 1;
	return &f->cols;
}

struct vnode {
	double v;
	uint32_t node;
};

static int vnode_cmp(const void *a, const void *b)
{
	const struct vnode *x = a, *y = b;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Column i of c sorted (made once): 0, -1 when it is not all numbers
 * (or an integer too big for a double), or SDB_ENOMEM. */
static int cols_sort(struct hcols *c, uint64_t nbase, int i)
{
	struct vnode *t;
	uint64_t n = 0;

	if (c->sorted[i])
		return c->sorted[i] > 0 ? 0 : -1;
	if (!(t = malloc(sizeof(*t) * (nbase + 1))))
		return SDB_ENOMEM;
	for (uint64_t node = 0; node < nbase; node++) {
		const struct sql_value *v = &c->v[node * (uint64_t)c->n + (uint64_t)i];
		if (v->type == SQLV_NULL)
			continue;
		if (v->type == SQLV_INT && v->u.i <= (1ll << 53) && v->u.i >= -(1ll << 53))
			t[n].v = (double)v->u.i;
		else if (v->type == SQLV_REAL && !isnan(v->u.r))
			t[n].v = v->u.r;
		else {
			free(t);
			c->sorted[i] = -1;
			return -1;
		}
		t[n++].node = (uint32_t)node;
	}
	qsort(t, n, sizeof(*t), vnode_cmp);
	c->sv[i] = malloc(sizeof(double) * (n + 1));
	c->perm[i] = malloc(sizeof(uint32_t) * (n + 1));
	if (!c->sv[i] || !c->perm[i]) {
		free(t);
		return SDB_ENOMEM;
	}
	for (uint64_t j = 0; j < n; j++) {
		c->sv[i][j] = t[j].v;
		c->perm[i][j] = t[j].node;
	}
	free(t);
	c->ns[i] = n;
	c->sorted[i] = 1;
	return 0;
}

/* The first position of sv[0..n) whose value is >= v (incl) or > v. */
static uint64_t sv_bound(const double *sv, uint64_t n, double v, int after)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (after ? sv[mid] <= v : sv[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The narrowest of the query's ranges on the cached columns: *perm and
 * [*a, *b) its nodes. @return 1 found, 0 none, or SDB_ENOMEM. */
static int best_range(const struct sql_hnsw_query *hq, struct hcols *c, uint64_t nbase,
		      const uint32_t **perm, uint64_t *a, uint64_t *b)
{
	int found = 0;
	for (int r = 0; r < hq->nranges; r++) {
		const struct sql_hnsw_range *g = &hq->ranges[r];
		int i = -1;
		for (int j = 0; j < c->n && i < 0; j++)
			if (c->col[j] == g->col)
				i = j;
		if (i < 0)
			continue;
		int rc = cols_sort(c, nbase, i);
		if (rc == SDB_ENOMEM)
			return rc;
		if (rc)
			continue;
		uint64_t lo = 0, hi = c->ns[i];
		if (g->empty)
			hi = 0;
		else {
			if (g->has_lo)
				lo = sv_bound(c->sv[i], c->ns[i], g->lo, !g->lo_incl);
			if (g->has_hi)
				hi = sv_bound(c->sv[i], c->ns[i], g->hi, g->hi_incl);
			if (hi < lo)
				hi = lo;
		}
		if (!found || hi - lo < *b - *a) {
			*perm = c->perm[i];
			*a = lo;
			*b = hi;
			found = 1;
		}
	}
	return found;
}

struct fctx {
	const struct sdb_index *x;
	const uint8_t *excl;      /* bit per node: superseded (tombstone or delta) */
	const struct hcols *cols; /* the filter's columns by node, or NULL */
	uint8_t *memo;            /* the filter's answers so far, or NULL */
	const struct sql_hnsw_query *hq;
	/* the exact path's top k */
	struct drow *top;
	uint32_t ntop, k;
	const float *q;
	sdb_vec_dist_fn dist;
	int rc;
};

/* Whether base node node passes: not superseded, and the filter. */
static int node_ok(void *vp, uint32_t node)
{
	struct fctx *f = vp;
	const struct sql_hnsw_query *hq = f->hq;
	if (f->excl && (f->excl[node >> 3] >> (node & 7)) & 1)
		return 0;
	if (!hq->pass)
		return 1;
	if (f->cols) {
		if (f->memo && f->memo[node])
			return f->memo[node] == 1;
		int p = hq->test(hq->arg, f->cols->col, f->cols->v + (uint64_t)node * f->cols->n,
				 f->cols->n);
		if (f->memo && p >= 0)
			f->memo[node] = p ? 1 : 2;
		return p;
	}
	return hq->pass(hq->arg, (int64_t)f->x->ids[node]);
}

/* f's memo for a filter of signature hq->fsig on the cached columns (of
 * tag f->ctag): kept while both repeat, else cleared. NULL without a
 * signature or memory (the filter is then tested every time). */
static uint8_t *memo_get(struct hfile *f, const struct sql_hnsw_query *hq, uint64_t nbase)
{
	if (!hq->fsig || !nbase)
		return NULL;
	if (f->memo_ok && !memcmp(f->mtag, f->ctag, sizeof f->mtag) && f->mkey.len == hq->nfsig &&
	    !memcmp(f->mkey.data, hq->fsig, hq->nfsig))
		return f->memo;
	f->memo_ok = 0;
	f->bits_ok = 0;
	if (!f->memo && !(f->memo = malloc(nbase)))
		return NULL;
	memset(f->memo, 0, nbase);
	sdb_buf_reset(&f->mkey);
	sdb_buf_add(&f->mkey, hq->fsig, hq->nfsig);
	if (!sdb_buf_ok(&f->mkey))
		return NULL;
	memcpy(f->mtag, f->ctag, sizeof f->mtag);
	f->memo_ok = 1;
	return f->memo;
}

/* The walk's bitmap of the nodes that pass (fc's filter through its memo,
 * not superseded), made once per memo: every node tested now costs less
 * than the walk's calls (about as many tests as nodes met per query).
 * NULL without memory; *rc the filter's error. */
static const uint64_t *bits_get(struct hfile *f, struct fctx *fc, uint64_t nbase,
				const uint32_t *range, uint64_t nrange, int *rc)
{
	*rc = 0;
	if (f->bits_ok)
		return f->bits;
	free(f->bits);
	if (!(f->bits = calloc((nbase + 63) / 64, sizeof(uint64_t))))
		return NULL;
	/* with a range a conjunct implies, only its nodes can pass */
	for (uint64_t i = 0; i < (range ? nrange : nbase); i++) {
		uint64_t node = range ? range[i] : i;
		int p = node_ok(fc, (uint32_t)node);
		if (p < 0) {
			*rc = p;
			return NULL;
		}
		f->bits[node >> 6] |= (uint64_t)p << (node & 63);
	}
	f->bits_ok = 1;
	return f->bits;
}

/* The top k of the exact path: a max-heap on (d, rowid). */
static int drow_less(const struct drow *a, const struct drow *b)
{
	return a->d < b->d || (a->d == b->d && a->rowid < b->rowid);
}

static void top_add(struct fctx *f, int64_t rowid, float d, uint32_t node)
{
	struct drow *h = f->top, v = { rowid, d, node };
	uint32_t i;

	if (f->ntop == f->k) {
		if (!drow_less(&v, &h[0]))
			return;
		/* replace the root, sift down */
		i = 0;
		for (;;) {
			uint32_t l = 2 * i + 1, r = l + 1, m = i;
			const struct drow *hm = &v;
			if (l < f->ntop && drow_less(hm, &h[l]))
				m = l, hm = &h[l];
			if (r < f->ntop && drow_less(hm, &h[r]))
				m = r;
			if (m == i)
				break;
			h[i] = h[m];
			i = m;
		}
		h[i] = v;
		return;
	}
	i = f->ntop++;
	while (i && drow_less(&h[(i - 1) / 2], &v)) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

/* An exact candidate: a live base node that passes goes to the top k. */
static int exact_node(struct fctx *f, int64_t node)
{
	int p = node_ok(f, (uint32_t)node);
	if (p <= 0)
		return p;
	const struct sdb_hnsw_graph *g = &f->x->g;
	top_add(f, (int64_t)f->x->ids[node], f->dist(f->q, g->vecs + (uint64_t)node * g->dim, g->dim),
		(uint32_t)node);
	return 0;
}

static int exact_rowid(void *arg, int64_t rowid)
{
	struct fctx *f = arg;
	int64_t node = base_node(f->x, rowid);
	/* not in the base, or superseded: the delta's rows are added apart */
	return node < 0 ? 0 : exact_node(f, node);
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

/*
 * With the filter tested on cached columns and the exact path computing
 * distances over the mapped vectors, no row is read: costs in
 * microseconds as measured on 100k x 128 (one core). The walk takes
 * about ef / s nodes (s the selectivity), each a list and the distances
 * of its new neighbours, most of them cache misses (WALK_NODE_COST); the
 * exact path tests each candidate and computes the distance of each
 * match: from a range of a sorted cached column or an index range, the
 * candidates are about the matches (CAND_COST each, again misses, the
 * index's iterator CANDS_OPEN_COST once); else every live node is tested
 * in order (SCAN_TEST_COST) and the matches cost MATCH_COST.
 */
#define ACORN_MIN_SEL 0.05
#define WALK_NODE_COST 0.67
#define CAND_COST 0.3
#define CANDS_OPEN_COST 30.0
#define SCAN_TEST_COST 0.03
#define MATCH_COST 0.1

static double cached_cost(const struct sql_hnsw_query *hq, int ranged, double sel,
			  uint64_t live, uint32_t ef)
{
	double m = sel * (double)live;
	double ex = ranged ? CAND_COST * m :
		    hq->cands ? CANDS_OPEN_COST + CAND_COST * m :
		    SCAN_TEST_COST * (double)live + MATCH_COST * m;
	if (sel <= 0)
		return 16;
	return WALK_NODE_COST * ef / sel / (ex > 1 ? ex : 1);
}

/* walk cost / exact cost (>= 1: exact); PRAGMA hnsw_exact_rows overrides:
 * exact when the matching rows are fewer. */
static double path_cost(const struct sql_hnsw_query *hq, int cached, int ranged, double sel,
			uint64_t live, uint64_t rows, uint32_t ef)
{
	if (hq->exact_rows >= 0) {
		double m = sel * (double)live;
		return m < (double)hq->exact_rows || (m == 0 && hq->exact_rows > 0) ? 16 : 1.0 / 16;
	}
	if (sel <= 0)
		return 16;
	if (cached)
		return cached_cost(hq, ranged, sel, live, ef);
	double ex = exact_cost(hq, sel, live, rows);
	return ex > 0 ? ROW_GET_COST * ef / sel / ex : 16;
}

void sql_hnsw_query_free(struct sql_hnsw_query *hq)
{
	free(hq->rows);
	free(hq->rcover);
	free(hq->rvec);
	free(hq->rcols);
	free(hq->rbytes);
	hq->rows = NULL;
	hq->rcover = NULL;
	hq->rvec = NULL;
	hq->rcols = NULL;
	hq->rbytes = NULL;
	hq->nrows = 0;
	hq->nrcol = 0;
}

/* The base rows among hq->rows (dr[i] the row of hq->rows[i]): their
 * vectors and cached columns, copied (the caller keeps them past this
 * connection's next query). */
static int cover_rows(struct sql_hnsw_query *hq, const struct hfile *f, const struct fctx *fc,
		      const struct drow *dr, size_t n, struct sdb_error *e)
{
	const struct sdb_hnsw_graph *g = &f->x.g;
	const struct hcols *c = fc->cols;
	struct sdb_buf bytes = SDB_BUF_INIT;

	hq->nrcol = c ? c->n : 0;
	if (c)
		memcpy(hq->rcol, c->col, sizeof(int) * (size_t)c->n);
	hq->rcover = calloc(n, 1);
	hq->rvec = malloc(sizeof(float) * g->dim * n);
	hq->rcols = calloc(n * (size_t)hq->nrcol + 1, sizeof(*hq->rcols));
	if (!hq->rcover || !hq->rvec || !hq->rcols)
		return oom(e);
	for (size_t i = 0; i < n; i++) {
		uint32_t node = dr[i].node;
		if (node == NO_NODE || (fc->excl && (fc->excl[node >> 3] >> (node & 7)) & 1))
			continue; /* a row of the delta: read by the caller */
		hq->rcover[i] = 1;
		memcpy(hq->rvec + i * g->dim, g->vecs + (uint64_t)node * g->dim, sizeof(float) * g->dim);
		for (int j = 0; j < hq->nrcol; j++) {
			struct sql_value v = c->v[(uint64_t)node * c->n + (uint64_t)j];
			if (v.type == SQLV_TEXT || v.type == SQLV_BLOB) {
				size_t off = bytes.len;
				sdb_buf_add(&bytes, v.u.z, v.n);
				v.u.i = (int64_t)off;
			}
			hq->rcols[i * (size_t)hq->nrcol + (size_t)j] = v;
		}
	}
	if (!sdb_buf_ok(&bytes)) {
		sdb_buf_release(&bytes);
		return oom(e);
	}
	hq->rbytes = (unsigned char *)bytes.data;
	for (size_t i = 0; i < n * (size_t)hq->nrcol; i++)
		if (hq->rcols[i].type == SQLV_TEXT || hq->rcols[i].type == SQLV_BLOB)
			hq->rcols[i].u.z = (const char *)hq->rbytes + hq->rcols[i].u.i;
	return 0;
}

int sql_hnsw_knn(struct sql_wstate *w, struct sdb_txn *txn, struct sql_hnsw_query *hq,
		 struct sdb_error *e)
{
	const struct sql_index_def *x = hq->x;
	const struct sql_hnsw_def *d = x->hnsw;
	struct hfile *f = NULL;
	struct hstate s;
	struct hsnap own = { 0 };
	const struct hsnap *hs = &own;
	struct drow *dr = NULL;
	size_t ndr = 0;
	uint64_t tag[3], live;
	float *qn = NULL;
	uint32_t *nodes = NULL;
	float *nd = NULL;
	sdb_vec_dist_fn dist = sdb_vec_metric_fn(d->metric);
	uint64_t walk_budget = 0;
	int rc, cached = 0;

	hq->path = SQL_HNSW_EXACT;
	hq->est = 1;
	hq->rows = NULL;
	hq->nrows = 0;
	hq->exact_done = 0;
	hq->rcover = NULL;
	hq->rvec = NULL;
	hq->rcols = NULL;
	hq->rbytes = NULL;
	hq->nrcol = 0;
	if ((rc = state_cached(w, txn, x->id, &s, e)))
		return rc;
	if (!s.present || s.dim != d->dim || !s.nbase)
		return 0; /* not built (another process's older catalog), or
			   * everything in the delta: the scan answers */
	if ((rc = base_open(w, x->id, &s, &f, e))) {
		sdb_error_clear(e);
		return 0; /* a missing or damaged file: the scan answers */
	}
	/* the delta and the tombstones: from the cache while the store
	 * has not changed */
	if (cacheable(w, txn, tag) && f->snap_ok && !memcmp(f->stag, tag, sizeof tag)) {
		hs = &f->snap;
	} else if (cacheable(w, txn, tag)) {
		hsnap_free(&f->snap);
		f->snap_ok = 0;
		if ((rc = snap_fill(txn, x, f, &f->snap, e)))
			goto out;
		memcpy(f->stag, tag, sizeof tag);
		f->snap_ok = 1;
		hs = &f->snap;
	} else if ((rc = snap_fill(txn, x, f, &own, e)))
		goto out;
	qn = malloc((size_t)d->dim * sizeof(float));
	dr = malloc(sizeof(*dr) * (hs->nd + hq->k + 1));
	if (!qn || !dr) {
		rc = oom(e);
		goto out;
	}
	memcpy(qn, hq->q, (size_t)d->dim * 4);
	if (d->metric == SDB_VEC_COSINE)
		sdb_vec_normalize(qn, d->dim);
	live = s.nbase - hs->nexcl;
	if (!live)
		goto out; /* everything is in the delta: the scan is as fast */
	struct fctx fc = { .x = &f->x, .excl = hs->nexcl ? hs->excl : NULL, .hq = hq,
			   .q = qn, .dist = dist };
	const uint32_t *wrange = NULL; /* the range's nodes, for the walk's bitmap */
	uint64_t nwrange = 0;
	if (hq->pass) {
		/* the filter on the cached columns when it reads only those */
		const uint32_t *perm = NULL;
		uint64_t ra = 0, rb = 0;
		int ranged = 0;
		if (hq->test && hq->nfcols >= 0) {
			fc.cols = cols_get(w, txn, x, f, hq->fcols, hq->nfcols, e, &rc);
			if (rc)
				goto out;
			cached = fc.cols != NULL;
			if (cached)
				fc.memo = memo_get(f, hq, s.nbase);
		}
		/* a range one conjunct implies: its nodes from the sorted column */
		if (cached && hq->nranges &&
		    (ranged = best_range(hq, &f->cols, s.nbase, &perm, &ra, &rb)) < 0) {
			rc = oom(e);
			goto out;
		}
		if (ranged) {
			wrange = perm + ra;
			nwrange = rb - ra;
		}
		/* the filter's selectivity on a seeded sample of up to 200 live
		 * rows (of the range's when there is one; fewer once the
		 * answer is clear) */
		uint64_t pool = ranged ? rb - ra : s.nbase;
		uint32_t want = live < 200 ? (uint32_t)live : 200, tested = 0, passed = 0;
		uint64_t z = 0x2302;
		uint32_t ef = hq->ef_default ? hq->ef * 2 : hq->ef;
		if (pool < want)
			want = (uint32_t)pool;
		for (uint32_t i = 0; i < 4 * want && tested < want; i++) {
			/* sequential: stop early once the choice is clear (the
			 * sample costs row reads too) */
			if (tested >= 48 && tested % 16 == 0) {
				double sel = (double)passed / tested * (double)pool / (double)s.nbase;
				double c = path_cost(hq, cached, ranged, sel, live, s.nbase + hs->nd,
						     ef);
				if (c > 4 || c < 0.25)
					break;
			}
			/* splitmix64: a fixed seed, so a plan is repeatable */
			uint64_t r = (z += 0x9E3779B97F4A7C15ull);
			r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9ull;
			r = (r ^ (r >> 27)) * 0x94D049BB133111EBull;
			r ^= r >> 31;
			uint64_t node = ranged ? perm[ra + r % pool] : r % s.nbase;
			if (fc.excl && (fc.excl[node >> 3] >> (node & 7)) & 1)
				continue;
			tested++;
			int p = node_ok(&fc, (uint32_t)node);
			if (p < 0) {
				rc = p;
				goto out;
			}
			passed += (uint32_t)p;
		}
		hq->est = tested ? (double)passed / tested * (double)pool / (double)s.nbase : 0;
		if (hq->est > 1)
			hq->est = 1;
		if (hq->ef_default && hq->est < 0.5)
			hq->ef *= 2; /* a selective filter: a wider walk keeps the recall */
		if ((hq->exact_rows < 0 && hq->est * (double)live < hq->k) ||
		    path_cost(hq, cached, ranged, hq->est, live, s.nbase + hs->nd, hq->ef) >= 1) {
			/* the exact path over exactly the matching rows is cheaper */
			if (!cached || hq->plan_only)
				goto out;
			/* answered here: the candidates (the range's nodes, an
			 * index range on the filter, else every live node)
			 * tested on the cached columns, distances from the
			 * mapped vectors */
			if (!(fc.top = malloc(sizeof(*fc.top) * (hq->k + 1)))) {
				rc = oom(e);
				goto out;
			}
			fc.k = hq->k;
			if (ranged) {
				const struct sdb_hnsw_graph *g = &f->x.g;
				size_t lines = ((size_t)g->dim * 4 + 63) / 64;
				for (uint64_t i = ra; i < rb && !rc; i++) {
					/* candidates are scattered: fetch ahead */
					if (i + 6 < rb) {
						const char *pv = (const char *)(g->vecs +
							(uint64_t)perm[i + 6] * g->dim);
						for (size_t l = 0; l < lines && l < 16; l++)
							__builtin_prefetch(pv + 64 * l);
						__builtin_prefetch(f->cols.v + (uint64_t)perm[i + 6] *
								   f->cols.n);
					}
					rc = exact_node(&fc, perm[i]);
				}
			}
			else if (hq->cands)
				rc = hq->cands(hq->arg, exact_rowid, &fc);
			else
				for (uint64_t node = 0; node < s.nbase && !rc; node++)
					rc = exact_node(&fc, (int64_t)node);
			if (rc) {
				free(fc.top);
				goto out;
			}
			ndr = fc.ntop;
			memcpy(dr, fc.top, sizeof(*dr) * ndr);
			free(fc.top);
			hq->exact_done = 1;
			goto merge;
		}
		/* the walk may read as many rows as the exact path would */
		if (cached)
			walk_budget = s.nbase;
		else
			walk_budget = (uint64_t)(exact_cost(hq, hq->est, live, s.nbase + hs->nd) /
						 ROW_GET_COST);
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
	if (!hq->pass && !fc.excl) {
		got = sdb_hnsw_search(&f->x.g, f->ctx, qn, hq->k, hq->ef, nodes, nd);
	} else {
		/* past its budget of row reads the walk gives way to the
		 * exact path */
		struct sdb_hnsw_fstats st;
		/* a filter on the cached columns is cheaper than a distance:
		 * tested as the walk meets nodes (ACORN-1), while the passing
		 * nodes are dense enough that two hops keep them connected
		 * (at 1% its recall falls to ~0.8 where the walk through
		 * failing nodes keeps 0.95) */
		int acorn = !hq->pass || (cached && hq->est >= ACORN_MIN_SEL);
		const uint64_t *bits = fc.memo ? bits_get(f, &fc, s.nbase, wrange, nwrange, &rc) : NULL;
		if (rc)
			goto out;
		if (bits) {
			/* the answers known for every node: no test budget */
			got = sdb_hnsw_search_bits(&f->x.g, f->ctx, qn, hq->k, hq->ef, bits,
						   acorn ? 2 : 0, nodes, nd);
			if (got < 0) {
				rc = oom(e);
				goto out;
			}
		} else {
			got = (acorn ? sdb_hnsw_search_acorn : sdb_hnsw_search_filtered)(
				&f->x.g, f->ctx, qn, hq->k, hq->ef, node_ok, &fc,
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
	}
	if (got < (int64_t)hq->k && (uint64_t)got < live) {
		/* the walk found fewer than k: finished exactly by the scan */
		hq->path = SQL_HNSW_EXACT;
		goto out;
	}
	for (int64_t i = 0; i < got; i++) {
		dr[ndr].rowid = (int64_t)f->x.ids[nodes[i]];
		dr[ndr].d = nd[i];
		dr[ndr].node = nodes[i];
		ndr++;
	}
merge:
	/* the delta's rows that pass, merged with the base's */
	for (size_t i = 0; i < hs->nd; i++) {
		if (hq->pass) {
			int p = hq->pass(hq->arg, hs->drow[i]);
			if (p < 0) {
				rc = p;
				goto out;
			}
			if (!p)
				continue;
		}
		dr[ndr].rowid = hs->drow[i];
		dr[ndr].node = NO_NODE;
		dr[ndr].d = dist(qn, hs->dvec + i * d->dim, d->dim);
		ndr++;
	}
	/* the walk's answer comes sorted; the delta's rows are not */
	for (size_t i = 1; i < ndr; i++)
		if (drow_cmp(&dr[i - 1], &dr[i]) > 0) {
			qsort(dr, ndr, sizeof(*dr), drow_cmp);
			break;
		}
	if (ndr > hq->k)
		ndr = hq->k;
	if (!(hq->rows = malloc(sizeof(int64_t) * (ndr ? ndr : 1)))) {
		rc = oom(e);
		goto out;
	}
	for (size_t i = 0; i < ndr; i++)
		hq->rows[i] = dr[i].rowid;
	hq->nrows = (uint32_t)ndr;
	if (d->metric != SDB_VEC_COSINE && ndr && (rc = cover_rows(hq, f, &fc, dr, ndr, e)))
		goto out;
out:
	hsnap_free(&own);
	free(dr);
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
