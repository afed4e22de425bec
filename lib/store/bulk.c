/*
 * bulk.c - bulk ingest: keys given in sorted order are written straight
 * into table files and installed by one manifest switch (store.h,
 * sdb_bulk_*), and the sorter that puts a caller's keys in that order.
 *
 * DESIGN. A bulk ingest runs as the writer lock holder and takes the
 * maintenance lock for its whole life (nobody else may change the table
 * set, allocate file numbers or sweep the tables being written as
 * orphans). It reserves file number N for the flush of the WAL and writes
 * its tables as N+1, N+2, ... (split past table_bytes, lz4 blocks, each
 * fsynced and renamed in by the table writer). The commit then, still
 * under both locks:
 *   1. seals the WAL when it holds anything since the checkpoint (a
 *      CHECKPOINT record, synced, a new segment) and writes what the
 *      sealed WAL holds (plus the caller's transaction, when given, as one
 *      more committed transaction after it) as table N;
 *   2. places table N, then each bulk table, at the deepest level where
 *      no table of that level or above overlaps its key span (level 6 in
 *      an empty database; level 0 when a level-0 table overlaps it): so
 *      it shadows every table below it, and table N and every older table
 *      it overlaps lie below it (level 0 orders by file number, and the
 *      bulk numbers are the highest);
 *   3. publishes one manifest: the old tables, table N, the bulk tables,
 *      the new checkpoint LSN; then retires the sealed WAL.
 * Every file is fsynced before the manifest names it and the directory
 * before the manifest is published (sync off: none), so a crash at any
 * point leaves the old manifest (the new tables are orphans, swept by the
 * next maintenance; the sealed WAL replays as before) or the new one: all
 * or nothing. The bulk keys are newer than everything committed before
 * the commit, older than everything after it.
 */
#define _GNU_SOURCE
#include "store/db_int.h"
#include "store/txn.h"

#include "util/array.h"
#include "util/io.h"
#include "util/varint.h"

#include <stdlib.h>
#include <string.h>

struct sdb_bulk {
	struct sdb_db *db;
	uint64_t flush_no, next_no;
	struct sdb_table_writer *w;
	struct sdb_table_meta *outs;
	size_t nout, outcap;
	struct sdb_buf last;
	uint64_t keys;
	int failed;
};

static int nosync(const struct sdb_db *db)
{
	return db->o.sync == SDB_SYNC_OFF;
}

/* wait: whether to wait for the maintenance lock (lock_timeout), else
 * SDB_EBUSY at once */
static int bulk_begin(struct sdb_db *db, struct sdb_bulk **out, int wait,
		      struct sdb_error *e)
{
	struct sdb_bulk *b;
	int rc;

	*out = NULL;
	if (!db->wlocked)
		return sdb_error_set(e, SDB_EINVAL, "database not opened for writing");
	if (db->bulk)
		return sdb_error_set(e, SDB_EINVAL, "a bulk ingest is already running on this handle");
	if (!wait && sdb_lock_take(db->lock_fd, SDB_LOCK_MAINT, 0, db->dir, NULL))
		return SDB_EBUSY;
	if (wait && (rc = sdb_lock_take(db->lock_fd, SDB_LOCK_MAINT, db->o.lock_timeout, db->dir, e)))
		return rc;
	/* the manifest as it is now that nobody else may replace it */
	sdb_manifest_release(&db->man);
	if ((rc = sdb_damage_refuse(db->dir, e)) ||
	    (rc = sdb_manifest_read(&db->man, db->dir, e))) {
		sdb_lock_release(db->lock_fd, SDB_LOCK_MAINT);
		return rc;
	}
	if (!(b = calloc(1, sizeof(*b)))) {
		sdb_lock_release(db->lock_fd, SDB_LOCK_MAINT);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	b->db = db;
	b->flush_no = db->man.next_file;
	b->next_no = b->flush_no + 1;
	sdb_buf_init(&b->last);
	db->bulk = 1;
	*out = b;
	return 0;
}

int sdb_bulk_begin(struct sdb_db *db, struct sdb_bulk **out,
		   struct sdb_error *e)
{
	return bulk_begin(db, out, 1, e);
}

int sdb_bulk_commit_txn(struct sdb_txn *t, struct sdb_db *db, struct sdb_error *e)
{
	struct sdb_bulk *b;
	int rc;

	if ((rc = bulk_begin(db, &b, 0, e)))
		return rc == SDB_EBUSY ? 1 : rc;
	return sdb_bulk_commit(b, t, e);
}

/* Finishes the table being written into outs[nout - 1]. */
static int finish_table(struct sdb_bulk *b, struct sdb_error *e)
{
	int rc;

	if (!b->w)
		return 0;
	rc = sdb_table_writer_finish(b->w, &b->outs[b->nout - 1], e);
	b->w = NULL;
	return rc;
}

/* sorted: the sorter's own order (checked, validated keys): no order
 * check and no copy of the last key per key. */
static int bulk_add(struct sdb_bulk *b, const void *ik, size_t n, int kind,
		    const void *val, size_t vlen, uint64_t expires, int sorted,
		    struct sdb_error *e)
{
	struct sdb_db *db = b->db;
	int rc;

	if (b->failed)
		return sdb_error_set(e, SDB_EINVAL, "bulk ingest failed before");
	if (vlen > SDB_MAX_VALUE)
		return sdb_error_set(e, SDB_ELIMIT, "value longer than %u bytes", SDB_MAX_VALUE);
	if (n < 2 || n > SDB_IKEY_MAX || (size_t)((const unsigned char *)ik)[0] + 1 >= n)
		return sdb_error_set(e, SDB_EINVAL, "malformed internal key (%zu bytes)", n);
	if (!sorted && b->keys && sdb_key_cmp(b->last.data, b->last.len, ik, n) >= 0)
		return sdb_error_set(e, SDB_EINVAL, "bulk keys not in strictly increasing order");
	if (!b->w) {
		struct sdb_buf path = SDB_BUF_INIT;
		if (sdb_grow((void **)&b->outs, &b->outcap, b->nout + 1, sizeof(*b->outs), 4))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		memset(&b->outs[b->nout], 0, sizeof(*b->outs));
		b->outs[b->nout].no = b->next_no++;
		sdb_table_path(&path, db->dir, b->outs[b->nout].no);
		b->nout++;
		rc = sdb_table_writer_open(&b->w, sdb_buf_ok(&path) ? path.data : NULL,
					   db->o.compression, nosync(db), e);
		sdb_buf_release(&path);
		if (rc) {
			b->failed = 1;
			return rc;
		}
	}
	if ((rc = sdb_table_writer_add(b->w, ik, n, kind, expires, val, vlen, e))) {
		b->failed = 1;
		return rc;
	}
	if (!sorted) {
		sdb_buf_reset(&b->last);
		sdb_buf_add(&b->last, ik, n);
		if (!sdb_buf_ok(&b->last)) {
			b->failed = 1;
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
	}
	b->keys++;
	if (sdb_table_writer_bytes(b->w) >= (db->o.table_bytes ? db->o.table_bytes : SDB_TABLE_TARGET) &&
	    (rc = finish_table(b, e))) {
		b->failed = 1;
		return rc;
	}
	return 0;
}

int sdb_bulk_put(struct sdb_bulk *b, const void *ik, size_t n, const void *val,
		 size_t vlen, uint64_t expires_ms, struct sdb_error *e)
{
	return bulk_add(b, ik, n, expires_ms ? SDB_KIND_TTL : SDB_KIND_PUT, val, vlen,
			expires_ms, 0, e);
}

int sdb_bulk_del(struct sdb_bulk *b, const void *ik, size_t n,
		 struct sdb_error *e)
{
	return bulk_add(b, ik, n, SDB_KIND_DEL, "", 0, 0, 0, e);
}

uint64_t sdb_bulk_count(const struct sdb_bulk *b)
{
	return b->keys;
}

static int overlaps(const struct sdb_table_meta *a, const struct sdb_table_meta *b)
{
	return sdb_key_cmp(a->largest, a->llen, b->smallest, b->slen) >= 0 &&
	       sdb_key_cmp(a->smallest, a->slen, b->largest, b->llen) <= 0;
}

/* The deepest level where no table of m at that level or above overlaps
 * t (see DESIGN). */
static int place(const struct sdb_manifest *m, const struct sdb_table_meta *t)
{
	int minl = SDB_LEVELS;

	for (size_t i = 0; i < m->ntables; i++)
		if (m->tables[i].level < minl && overlaps(&m->tables[i], t))
			minl = m->tables[i].level;
	if (minl == SDB_LEVELS)
		return SDB_LEVELS - 1;
	return minl ? minl - 1 : 0;
}

/* Removes the tables written (best effort; unnamed, so nobody reads them). */
static void unlink_outputs(struct sdb_bulk *b, int with_flush)
{
	struct sdb_buf path = SDB_BUF_INIT;

	for (size_t i = 0; i < b->nout; i++) {
		sdb_table_path(&path, b->db->dir, b->outs[i].no);
		if (sdb_buf_ok(&path))
			sdb_io_unlink(path.data, NULL);
	}
	if (with_flush) {
		sdb_table_path(&path, b->db->dir, b->flush_no);
		if (sdb_buf_ok(&path))
			sdb_io_unlink(path.data, NULL);
	}
	sdb_buf_release(&path);
}

static void bulk_free(struct sdb_bulk *b)
{
	sdb_table_writer_abort(b->w);
	for (size_t i = 0; i < b->nout; i++)
		sdb_table_meta_release(&b->outs[i]);
	free(b->outs);
	sdb_buf_release(&b->last);
	b->db->bulk = 0;
	sdb_lock_release(b->db->lock_fd, SDB_LOCK_MAINT);
	free(b);
}

void sdb_bulk_abort(struct sdb_bulk *b)
{
	if (!b)
		return;
	sdb_table_writer_abort(b->w);
	b->w = NULL;
	unlink_outputs(b, 0);
	bulk_free(b);
}

int sdb_bulk_commit(struct sdb_bulk *b, struct sdb_txn *t, struct sdb_error *e)
{
	struct sdb_db *db = b->db;
	struct sdb_manifest nm = { 0 };
	struct sdb_table_meta fm = { 0 };
	struct sdb_batch *extra = NULL;
	uint64_t cp = db->man.checkpoint_lsn, newcp = cp;
	int rc, have = 0;

	if (b->failed) {
		rc = sdb_error_set(e, SDB_EINVAL, "bulk ingest failed before");
		goto fail;
	}
	if (!db->wlocked) {
		rc = sdb_error_set(e, SDB_EINVAL, "database not opened for writing");
		goto fail;
	}
	if ((rc = finish_table(b, e)))
		goto fail;
	if (t && (rc = sdb_txn_ready(t, db, &extra, e)))
		goto fail;
	/* 1: what the WAL holds (and the transaction) as table flush_no */
	if (db->wal_end > cp && (rc = sdb_ckpt_seal(db, &newcp, e)))
		goto fail;
	if ((newcp > cp || extra) &&
	    (rc = sdb_ckpt_flush(db, cp, newcp, extra, b->flush_no, &fm, &have, e)))
		goto fail;
	if (!nosync(db) && (b->nout || have) && (rc = sdb_io_fsync_dir(db->dir, e)))
		goto fail;
	/* 2, 3: one manifest */
	nm.next_file = b->next_no;
	nm.checkpoint_lsn = newcp;
	nm.tables = calloc(db->man.ntables + b->nout + 1, sizeof(*nm.tables));
	if (!nm.tables) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < db->man.ntables; i++)
		nm.tables[nm.ntables++] = db->man.tables[i];
	if (have) {
		/* placed as the bulk tables are: a large transaction written
		 * straight into a table (sdb_txn_commit_direct: an .import)
		 * lands below level 0 when it overlaps nothing there, so the
		 * next level-0 compaction does not rewrite it */
		fm.level = place(&nm, &fm);
		nm.tables[nm.ntables++] = fm;
	}
	for (size_t i = 0; i < b->nout; i++) {
		b->outs[i].level = place(&nm, &b->outs[i]);
		nm.tables[nm.ntables++] = b->outs[i];
	}
	rc = sdb_manifest_write(&nm, db->dir, nosync(db), e);
	free(nm.tables); /* the metas are still owned by db->man, fm, outs */
	if (rc) {
		/* it may be published all the same (a failed fsync of the
		 * directory after the rename): keep the tables; when it was
		 * not, they are orphans the next maintenance removes */
		goto fail_kept;
	}
	if (newcp > cp)
		sdb_ckpt_retire_wal(db, newcp);
	sdb_table_meta_release(&fm);
	sdb_manifest_release(&db->man);
	if (sdb_manifest_read(&db->man, db->dir, NULL))
		db->man.checkpoint_lsn = newcp; /* published: only our copy is short */
	bulk_free(b);
	return 0;
fail:
	unlink_outputs(b, have);
fail_kept:
	sdb_table_meta_release(&fm);
	/* db->man may name what the failed publish left: read it again */
	sdb_manifest_release(&db->man);
	sdb_manifest_read(&db->man, db->dir, NULL);
	bulk_free(b);
	return rc;
}

/* ------------------------------------------------------------- sorter */

/*
 * An entry is 24 bytes (its index is its age: entries are appended in
 * order); its key, value and, for a put with expiry, the u64 expiry after
 * the value live in the arena. Sorting moves 16-byte (prefix, index)
 * pairs and never the entries; feeding reads the entries through the
 * sorted indices, with prefetches (the arena is read out of order).
 */
struct sent {
	uint64_t off;  /* key, value, [expiry], in the arena */
	uint64_t pfx2; /* key bytes 8..16 after the common prefix */
	uint32_t klen; /* key length | kind << 24 */
	uint32_t vlen;
};
#define SENT_KLEN(x) ((x)->klen & 0xffffffu)
#define SENT_KIND(x) ((int)((x)->klen >> 24))

/* the sort moves struct sdb_kidx pairs (internal.h): pfx is the key's
 * bytes 0..8 after the common prefix, idx its entry */

struct sdb_sorter {
	struct sdb_buf arena;
	struct sent *e;
	size_t n, cap;
};

int sdb_sorter_new(struct sdb_sorter **out, struct sdb_error *e)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_init(&(*out)->arena);
	return 0;
}

void sdb_sorter_free(struct sdb_sorter *s)
{
	if (!s)
		return;
	sdb_buf_release(&s->arena);
	free(s->e);
	free(s);
}

static int sorter_add(struct sdb_sorter *s, const void *ik, size_t n, int kind,
		      const void *val, size_t vlen, uint64_t expires,
		      struct sdb_error *e)
{
	struct sent *x;

	if (vlen > SDB_MAX_VALUE)
		return sdb_error_set(e, SDB_ELIMIT, "value longer than %u bytes", SDB_MAX_VALUE);
	if (n < 2 || n > SDB_IKEY_MAX || (size_t)((const unsigned char *)ik)[0] + 1 >= n)
		return sdb_error_set(e, SDB_EINVAL, "malformed internal key (%zu bytes)", n);
	if (sdb_grow((void **)&s->e, &s->cap, s->n + 1, sizeof(*s->e), 4096))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	x = &s->e[s->n];
	x->off = s->arena.len;
	x->klen = (uint32_t)n | (uint32_t)kind << 24;
	x->vlen = (uint32_t)vlen;
	sdb_buf_add(&s->arena, ik, n);
	sdb_buf_add(&s->arena, val, vlen);
	if (kind == SDB_KIND_TTL) {
		unsigned char t[8];
		sdb_put_u64(t, expires);
		sdb_buf_add(&s->arena, t, 8);
	}
	if (!sdb_buf_ok(&s->arena))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	s->n++;
	return 0;
}

int sdb_sorter_put(struct sdb_sorter *s, const void *ik, size_t n,
		   const void *val, size_t vlen, uint64_t expires_ms,
		   struct sdb_error *e)
{
	return sorter_add(s, ik, n, expires_ms ? SDB_KIND_TTL : SDB_KIND_PUT, val, vlen,
			  expires_ms, e);
}

int sdb_sorter_del(struct sdb_sorter *s, const void *ik, size_t n,
		   struct sdb_error *e)
{
	return sorter_add(s, ik, n, SDB_KIND_DEL, "", 0, 0, e);
}

size_t sdb_sorter_count(const struct sdb_sorter *s)
{
	return s->n;
}

/* Key ascending, then newest (highest index) first (qsort_r: ctx is the
 * sorter). */
static int sidx_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sdb_sorter *sorting = ctx;
	const struct sdb_kidx *a = pa, *b = pb;
	const struct sent *x = &sorting->e[a->idx], *y = &sorting->e[b->idx];
	const unsigned char *ar = (const unsigned char *)sorting->arena.data;
	int c;

	if (a->pfx != b->pfx)
		return a->pfx < b->pfx ? -1 : 1;
	if (x->pfx2 != y->pfx2)
		return x->pfx2 < y->pfx2 ? -1 : 1;
	c = sdb_key_cmp(ar + x->off, SENT_KLEN(x), ar + y->off, SENT_KLEN(y));
	if (c)
		return c;
	return a->idx > b->idx ? -1 : a->idx < b->idx;
}

/*
 * A short run of equal prefixes (the keys of one graph node, one SQL
 * index value...): its entries' second prefixes and key pointers are
 * gathered once (one read of each entry, which lies anywhere in the
 * sorter), then sorted in place by insertion, in sidx_cmp's order. qsort
 * with sidx_cmp reads two entries per comparison, each a likely cache
 * miss.
 */
#define TIE_RUN 64
struct tie {
	uint64_t pfx2, idx;
	const unsigned char *k;
	size_t kl;
};

static int tie_less(const struct tie *x, const struct tie *y)
{
	int c;

	if (x->pfx2 != y->pfx2)
		return x->pfx2 < y->pfx2;
	c = sdb_key_cmp(x->k, x->kl, y->k, y->kl);
	return c ? c < 0 : x->idx > y->idx;
}

static void sort_ties(const struct sdb_sorter *s, struct sdb_kidx *a, size_t n)
{
	const unsigned char *ar = (const unsigned char *)s->arena.data;
	struct tie t[TIE_RUN];

	for (size_t i = 0; i < n; i++) {
		const struct sent *x = &s->e[a[i].idx];
		t[i] = (struct tie){ x->pfx2, a[i].idx, ar + x->off, SENT_KLEN(x) };
	}
	for (size_t i = 1; i < n; i++) {
		struct tie v = t[i];
		size_t j = i;
		while (j && tie_less(&v, &t[j - 1])) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = v;
	}
	for (size_t i = 0; i < n; i++)
		a[i].idx = t[i].idx;
}

static uint64_t load_be(const unsigned char *k, size_t from, size_t n)
{
	uint64_t v = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (from + 8 <= n) {
		memcpy(&v, k + from, 8);
		return __builtin_bswap64(v);
	}
#endif
	for (size_t j = from; j < from + 8; j++)
		v = v << 8 | (j < n ? k[j] : 0);
	return v;
}

/*
 * A set of keys to order by prefix_sort: key(ctx, i, &len) is key i;
 * seen (optional) is told each key and the length of the prefix common
 * to all keys, before any run is sorted; ties(ctx, run, n) orders a run
 * of n > 1 pairs whose 8-byte prefixes are equal.
 */
struct pfx_keys {
	const unsigned char *(*key)(void *ctx, size_t i, size_t *len);
	void (*seen)(void *ctx, size_t i, const unsigned char *k, size_t len, size_t lcp);
	void (*ties)(void *ctx, struct sdb_kidx *run, size_t n);
	void *ctx;
};

/* The sorted order of n keys as (prefix, index) pairs: the 8 bytes after
 * the common prefix of all keys by an LSD radix sort (constant bytes
 * skipped), then runs of equal prefixes by pk->ties. @return the pairs
 * (caller frees), NULL when out of memory. */
static struct sdb_kidx *prefix_sort(const struct pfx_keys *pk, size_t n)
{
	struct sdb_kidx *a, *b;
	size_t lcp = SIZE_MAX, l0 = 0;
	const unsigned char *k0 = n ? pk->key(pk->ctx, 0, &l0) : NULL;

	a = malloc((n ? n : 1) * sizeof(*a));
	b = malloc((n ? n : 1) * sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		return NULL;
	}
	for (size_t i = 1; i < n && lcp; i++) {
		size_t li, m, j = 0;
		const unsigned char *q = pk->key(pk->ctx, i, &li);
		m = l0 < li ? l0 : li;
		if (m > lcp)
			m = lcp;
		while (j < m && k0[j] == q[j])
			j++;
		lcp = j;
	}
	if (lcp == SIZE_MAX)
		lcp = 0;
	for (size_t i = 0; i < n; i++) {
		size_t kl;
		const unsigned char *k = pk->key(pk->ctx, i, &kl);
		a[i].pfx = load_be(k, lcp, kl);
		a[i].idx = i;
		if (pk->seen)
			pk->seen(pk->ctx, i, k, kl, lcp);
	}
	{
		struct sdb_kidx *sorted = sdb_radix_pfx(a, b, n);
		if (sorted != a) {
			b = a;
			a = sorted;
		}
	}
	free(b);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].pfx == a[i].pfx)
			j++;
		if (j - i > 1)
			pk->ties(pk->ctx, a + i, j - i);
		i = j;
	}
	return a;
}

/* prefix_sort over a sorter's entries */
static const unsigned char *sorter_key(void *ctx, size_t i, size_t *len)
{
	const struct sdb_sorter *s = ctx;

	*len = SENT_KLEN(&s->e[i]);
	return (const unsigned char *)s->arena.data + s->e[i].off;
}

static void sorter_seen(void *ctx, size_t i, const unsigned char *k, size_t len, size_t lcp)
{
	struct sdb_sorter *s = ctx;

	s->e[i].pfx2 = load_be(k, lcp + 8, len);
}

static void sorter_ties(void *ctx, struct sdb_kidx *run, size_t n)
{
	if (n <= TIE_RUN)
		sort_ties(ctx, run, n);
	else
		qsort_r(run, n, sizeof(*run), sidx_cmp, ctx);
}

/* The sorted order of s->e: key ascending, newest first. */
static struct sdb_kidx *sorter_sort(struct sdb_sorter *s)
{
	const struct pfx_keys pk = { sorter_key, sorter_seen, sorter_ties, s };

	return prefix_sort(&pk, s->n);
}

/* Ties of sdb_keys_order: the whole keys (qsort_r: ctx is the keys). */
struct korder {
	const unsigned char *base;
	const uint32_t *off, *len;
};

static int kidx_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct korder *ko = ctx;
	const struct sdb_kidx *a = pa, *b = pb;
	int c = sdb_key_cmp(ko->base + ko->off[a->idx], ko->len[a->idx],
			    ko->base + ko->off[b->idx], ko->len[b->idx]);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static const unsigned char *korder_key(void *ctx, size_t i, size_t *len)
{
	const struct korder *ko = ctx;

	*len = ko->len[i];
	return ko->base + ko->off[i];
}

static void korder_ties(void *ctx, struct sdb_kidx *run, size_t n)
{
	qsort_r(run, n, sizeof(*run), kidx_cmp, ctx);
}

int sdb_keys_order(const unsigned char *base, const uint32_t *off,
		   const uint32_t *len, size_t n, uint32_t *order)
{
	struct korder ko = { base, off, len };
	const struct pfx_keys pk = { korder_key, NULL, korder_ties, &ko };
	struct sdb_kidx *a = prefix_sort(&pk, n);

	if (!a)
		return SDB_ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)a[i].idx;
	free(a);
	return 0;
}

int sdb_sorter_feed(struct sdb_sorter *s, struct sdb_bulk *b,
		    struct sdb_error *e)
{
	const unsigned char *ar = (const unsigned char *)s->arena.data;
	const struct sent *prev = NULL;
	struct sdb_kidx *a;
	uint64_t prevpfx = 0;
	int rc = 0;

	if (!s->n)
		return 0;
	if (!(a = sorter_sort(s)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	/* the first key must follow what the bulk holds (an earlier feed) */
	if (b->keys) {
		const struct sent *x = &s->e[a[0].idx];
		if (sdb_key_cmp(b->last.data, b->last.len, ar + x->off, SENT_KLEN(x)) >= 0) {
			free(a);
			return sdb_error_set(e, SDB_EINVAL, "bulk keys not in strictly increasing order");
		}
	}
	for (size_t i = 0; i < s->n && !rc; i++) {
		const struct sent *x = &s->e[a[i].idx];
		size_t kl = SENT_KLEN(x);
		int kind = SENT_KIND(x);
		/* the entries and the arena are read out of order */
		if (i + 16 < s->n)
			__builtin_prefetch(&s->e[a[i + 16].idx]);
		if (i + 8 < s->n)
			__builtin_prefetch(ar + s->e[a[i + 8].idx].off);
		if (prev && a[i].pfx == prevpfx && x->pfx2 == prev->pfx2 &&
		    kl == SENT_KLEN(prev) && !memcmp(ar + x->off, ar + prev->off, kl))
			continue; /* an older write of the same key */
		rc = bulk_add(b, ar + x->off, kl, kind, ar + x->off + kl, x->vlen,
			      kind == SDB_KIND_TTL ? sdb_get_u64(ar + x->off + kl + x->vlen) : 0, 1, e);
		prev = x;
		prevpfx = a[i].pfx;
	}
	/* the last key, for the order check of what comes next */
	if (!rc && prev) {
		sdb_buf_reset(&b->last);
		sdb_buf_add(&b->last, ar + prev->off, SENT_KLEN(prev));
		if (!sdb_buf_ok(&b->last)) {
			b->failed = 1;
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
	}
	free(a);
	/* emptied: the sorter can take the next batch */
	s->n = 0;
	sdb_buf_reset(&s->arena);
	return rc;
}
