/*
 * iter.c - merging iterator over a snapshot's memtable and tables, in key
 * order or reverse. Sources are ranked (memtable, then tables newest
 * first); for a key present in several, the highest-ranked wins, and a
 * key that a higher-ranked source's range deletes cover is skipped (with
 * every lower-ranked cursor moved past the range at once). Returned
 * pointers stay valid until the next call: cursors that produced the
 * previous key are advanced lazily at the start of the next call.
 */
#include "store/db_int.h"
#include "store/txn.h"

#include <stdlib.h>
#include <string.h>

struct sdb_cursor {
	const struct sdb_memtable *mem;
	size_t mi;
	struct sdb_table *t;
	size_t bi, i;
	struct sdb_block b;
	int bloaded; /* b holds block bi */
	int cached;  /* blocks read through the table's block cache */
	int valid;
	const unsigned char *k, *v;
	size_t klen, vlen;
	int kind;
	uint64_t exp;
	const struct sdb_range *rt; /* the source's range deletes */
	size_t nrt;
	/* the table's smallest/largest keys (ranges included), when known:
	 * a table entirely past the iterator's far bound is not read */
	const unsigned char *smallest, *largest;
	size_t slen, llen;
	int beyond; /* invalid because smallest >= hi (forward) */
	/* forward: the first of rt whose end is past the last key tested
	 * against it (the keys tested only grow until the next seek) */
	size_t rpos;
	int rok;
	size_t nrt_all; /* rt's size; nrt counts it only when it meets the range */
	int rset;       /* rt set (a lazily opened table: once ready) */
	/* the far edge (file offset) of what this cursor's run of blocks
	 * read one after another has not released yet (rel_ok: set) */
	uint64_t rel;
	int rel_ok;
	/* forward: block hib - 1 has every key below the far bound (hiok);
	 * hib 0: not known (a new bound) */
	size_t hib;
	int hiok;
};

/* Whether a sorted disjoint range set meets [lo, hi) (hi NULL: open). */
static int ranges_meet(const struct sdb_range *r, size_t n, const void *lo,
		       size_t lolen, const void *hi, size_t hilen)
{
	size_t a = 0, b = n;

	while (a < b) { /* the first range ending after lo */
		size_t mid = a + (b - a) / 2;
		if (sdb_key_cmp(r[mid].hi, r[mid].hilen, lo, lolen) <= 0)
			a = mid + 1;
		else
			b = mid;
	}
	return a < n && (!hi || sdb_key_cmp(r[a].lo, r[a].lolen, hi, hilen) < 0);
}

/* c's range deletes: only those that meet the iterator's [lo, hi) can
 * hide a key it returns (c->nrt is 0 when none does). */
static void cur_set_ranges(struct sdb_iter *it, struct sdb_cursor *c,
			   const struct sdb_range *rt, size_t n)
{
	c->rt = rt;
	c->nrt_all = n;
	c->nrt = n && ranges_meet(rt, n, it->has_lo ? it->lo.data : "",
				  it->has_lo ? it->lo.len : 0,
				  it->has_hi ? it->hi.data : NULL, it->hi.len) ? n : 0;
	c->rok = 0;
	c->rset = 1;
	it->has_rt |= c->nrt > 0;
}

/* The range of c's range deletes holding k, or c->nrt. */
static size_t cur_range_find(struct sdb_cursor *c, int reverse, const void *k, size_t kn)
{
	if (reverse)
		return sdb_ranges_find(c->rt, c->nrt, k, kn);
	if (!c->rok) {
		c->rpos = 0;
		c->rok = 1;
		if (c->nrt > 8) { /* the first range ending after k */
			size_t a = 0, b = c->nrt;
			while (a < b) {
				size_t mid = a + (b - a) / 2;
				if (sdb_key_cmp(c->rt[mid].hi, c->rt[mid].hilen, k, kn) <= 0)
					a = mid + 1;
				else
					b = mid;
			}
			c->rpos = a;
		}
	}
	while (c->rpos < c->nrt && sdb_key_cmp(c->rt[c->rpos].hi, c->rt[c->rpos].hilen, k, kn) <= 0)
		c->rpos++;
	if (c->rpos < c->nrt && sdb_key_cmp(c->rt[c->rpos].lo, c->rt[c->rpos].lolen, k, kn) <= 0)
		return c->rpos;
	return c->nrt;
}

static inline void cur_load(struct sdb_cursor *c)
{
	if (c->mem) {
		const struct sdb_ment *x = &c->mem->e[c->mi];
		c->k = x->key;
		c->klen = x->klen;
		c->v = x->val;
		c->vlen = x->vlen;
		c->kind = x->kind;
		c->exp = x->expires;
	} else {
		c->k = c->b.keys + c->b.koff[c->i];
		c->klen = c->b.klen[c->i];
		c->v = c->b.val[c->i];
		c->vlen = c->b.vlen[c->i];
		c->kind = c->b.kind[c->i];
		c->exp = c->b.expires[c->i];
	}
}

/* Whether every key of c's loaded block lies below the far bound (then
 * forward steps inside it need not compare keys with the bound). */
static inline int block_below_hi(const struct sdb_iter *it, struct sdb_cursor *c)
{
	if (c->hib != c->bi + 1) {
		c->hib = c->bi + 1;
		c->hiok = !it->has_hi ||
			  (c->b.n && sdb_key_cmp(c->b.keys + c->b.koff[c->b.n - 1], c->b.klen[c->b.n - 1],
						 it->hi.data, it->hi.len) < 0);
	}
	return c->hiok;
}

/* Loads the cursor's entry; one past the iterator's far bound leaves the
 * merge (forward: beyond, revived by a larger limit), so the merge
 * compares only cursors inside the range. */
static void cur_bound(const struct sdb_iter *it, struct sdb_cursor *c, int reverse)
{
	cur_load(c);
	if (!reverse && it->has_hi && (c->mem || !block_below_hi(it, c)) &&
	    sdb_key_cmp(c->k, c->klen, it->hi.data, it->hi.len) >= 0) {
		c->valid = 0;
		c->beyond = 1;
	} else if (reverse && it->has_lo &&
		   sdb_key_cmp(c->k, c->klen, it->lo.data, it->lo.len) < 0) {
		c->valid = 0;
	}
}

/* Loads block bi (kept when it is already the loaded one: seeks nearby
 * do not decode it again). */
static int cur_block(struct sdb_cursor *c, size_t bi, struct sdb_error *e)
{
	int rc;

	if (c->bloaded && c->bi == bi)
		return 0;
	size_t prev = c->bi;
	int had = c->bloaded;
	rc = c->cached ? sdb_table_read_block_cached(c->t, bi, &c->b, e)
		       : sdb_table_read_block(c->t, bi, &c->b, e);
	/* a cached cursor reads short ranges again (their pages stay) */
	if (!rc && !c->cached) {
		/* blocks read in order: every SDB_SCAN_RELEASE bytes the pages
		 * behind the new block leave the resident set (a streamed scan
		 * stays small); boff[bi] is parsed now */
		const struct sdb_table *t = c->t;
		uint64_t lo = t->boff[bi], hi = lo + t->bsize[bi] + SDB_BLOCK_TRAILER;
		if (!c->rel_ok || !had || (bi != prev + 1 && bi + 1 != prev)) {
			c->rel = bi + 1 == prev && had ? hi : lo;
			c->rel_ok = 1;
		} else if (bi == prev + 1 && lo - c->rel >= SDB_SCAN_RELEASE) {
			sdb_table_release_span(c->t, c->rel, lo);
			c->rel = lo;
		} else if (bi + 1 == prev && c->rel - hi >= SDB_SCAN_RELEASE) {
			sdb_table_release_span(c->t, hi, c->rel);
			c->rel = hi;
		}
	}
	c->bi = bi;
	c->bloaded = rc == 0;
	return rc;
}

/*
 * Positions c at the first entry >= k (forward) or the last entry < k
 * (reverse); has 0: at the first (last) entry.
 */
static int cur_seek(struct sdb_iter *it, struct sdb_cursor *c,
		    const void *k, size_t kn, int has, int reverse,
		    struct sdb_error *e)
{
	int rc;

	c->valid = 0;
	c->beyond = 0;
	if (!c->mem && c->smallest) {
		/* nothing of the table lies in the range: no block is read */
		if (!reverse && it->has_hi &&
		    sdb_key_cmp(c->smallest, c->slen, it->hi.data, it->hi.len) >= 0) {
			c->beyond = 1;
			return 0;
		}
		if (reverse && it->has_lo &&
		    sdb_key_cmp(c->largest, c->llen, it->lo.data, it->lo.len) < 0)
			return 0;
		/* keys below lo (forward) or from hi on (reverse) are never
		 * asked for: seeks are clamped to the range */
		if (!reverse && it->has_lo &&
		    sdb_key_cmp(c->largest, c->llen, it->lo.data, it->lo.len) < 0)
			return 0;
		if (reverse && it->has_hi &&
		    sdb_key_cmp(c->smallest, c->slen, it->hi.data, it->hi.len) >= 0)
			return 0;
	}
	if (!c->mem && !c->rset) {
		if ((rc = sdb_table_ready(c->t, e)))
			return rc;
		cur_set_ranges(it, c, c->t->rt, c->t->nrt);
	}
	if (c->mem) {
		size_t n = c->mem->n;
		if (!reverse) {
			c->mi = has ? sdb_mem_lower_bound(c->mem, k, kn) : 0;
			c->valid = c->mi < n;
		} else {
			c->mi = has ? sdb_mem_lower_bound(c->mem, k, kn) : n;
			c->valid = c->mi > 0;
			c->mi--;
		}
	} else if (c->t->nblocks) {
		size_t nb = c->t->nblocks;
		if (!reverse) {
			size_t bi = 0;
			if (has && (rc = sdb_table_find_block(c->t, k, kn, &bi, e)))
				return rc;
			if (bi >= nb)
				return 0;
			if ((rc = cur_block(c, bi, e)))
				return rc;
			c->i = has ? sdb_block_lower_bound(&c->b, k, kn) : 0;
			while (c->i >= c->b.n) {
				if (c->bi + 1 >= nb)
					return 0;
				if ((rc = cur_block(c, c->bi + 1, e)))
					return rc;
				c->i = 0;
			}
		} else {
			size_t bi = nb - 1;
			if (has && (rc = sdb_table_find_block(c->t, k, kn, &bi, e)))
				return rc;
			if (bi >= nb)
				bi = nb - 1;
			if ((rc = cur_block(c, bi, e)))
				return rc;
			c->i = has ? sdb_block_lower_bound(&c->b, k, kn) : c->b.n;
			while (c->i == 0) {
				if (c->bi == 0)
					return 0;
				if ((rc = cur_block(c, c->bi - 1, e)))
					return rc;
				c->i = c->b.n;
			}
			c->i--;
		}
		c->valid = 1;
	}
	if (c->valid)
		cur_bound(it, c, reverse);
	return 0;
}

static int cur_next(struct sdb_iter *it, struct sdb_cursor *c, int reverse,
		    struct sdb_error *e)
{
	int rc;

	if (c->mem) {
		if (!reverse)
			c->valid = ++c->mi < c->mem->n;
		else
			c->valid = c->mi-- > 0;
	} else if (!reverse) {
		while (++c->i >= c->b.n) {
			if (c->bi + 1 >= c->t->nblocks) {
				c->valid = 0;
				return 0;
			}
			if ((rc = cur_block(c, c->bi + 1, e)))
				return rc;
			c->i = (size_t)-1;
		}
	} else {
		while (c->i == 0) {
			if (c->bi == 0) {
				c->valid = 0;
				return 0;
			}
			if ((rc = cur_block(c, c->bi - 1, e)))
				return rc;
			c->i = c->b.n;
		}
		c->i--;
	}
	if (c->valid)
		cur_bound(it, c, reverse);
	return 0;
}

int sdb_iter_init(struct sdb_iter *it, const struct sdb_memtable *mem,
		  struct sdb_table **tabs, const struct sdb_table_meta *const *metas,
		  size_t ntabs, const void *lo,
		  size_t lolen, const void *hi, size_t hilen, int reverse,
		  int raw, uint64_t now, struct sdb_error *e)
{
	int rc = 0;

	memset(it, 0, sizeof(*it));
	it->c = calloc(ntabs + 1, sizeof(*it->c));
	it->tie = calloc(ntabs + 1, sizeof(*it->tie));
	if (!it->c || !it->tie) {
		free(it->c);
		free(it->tie);
		it->c = NULL;
		it->tie = NULL;
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	it->reverse = reverse;
	it->raw = raw;
	it->now = now;
	if (lo) {
		sdb_buf_add(&it->lo, lo, lolen);
		it->has_lo = 1;
	}
	if (hi) {
		sdb_buf_add(&it->hi, hi, hilen);
		it->has_hi = 1;
	}
	if (mem && (mem->n || mem->nrd)) {
		struct sdb_cursor *c = &it->c[it->nc++];
		c->mem = mem;
		cur_set_ranges(it, c, mem->rd, mem->nrd);
	}
	for (size_t i = 0; i < ntabs; i++) {
		struct sdb_cursor *c = &it->c[it->nc++];
		c->t = tabs[i];
		if (tabs[i]->loaded) /* a lazily opened one: set once ready */
			cur_set_ranges(it, c, tabs[i]->rt, tabs[i]->nrt);
		if (metas && metas[i] && metas[i]->smallest && metas[i]->largest) {
			c->smallest = metas[i]->smallest;
			c->slen = metas[i]->slen;
			c->largest = metas[i]->largest;
			c->llen = metas[i]->llen;
		}
	}
	for (int i = 0; i < it->nc && !rc; i++)
		rc = reverse ? cur_seek(it, &it->c[i], it->hi.data, it->hi.len, it->has_hi, 1, e) :
			cur_seek(it, &it->c[i], it->lo.data, it->lo.len, it->has_lo, 0, e);
	if (rc)
		sdb_iter_release(it); /* a failed init owns nothing (release is idempotent) */
	return rc;
}

/*
 * Whether a source ranked above best deletes best's key by a range; if
 * so, every cursor ranked below that source (best among them) is moved
 * past the range. @return 1 skipped, 0 not covered, or an error.
 */
static int limit_settle(struct sdb_iter *it, struct sdb_error *e);

static int skip_covered(struct sdb_iter *it, struct sdb_cursor *best,
			struct sdb_error *e)
{
	for (struct sdb_cursor *c = it->c; c < best; c++) {
		const struct sdb_range *r;
		size_t ri;
		if (!c->nrt || (ri = cur_range_find(c, it->reverse, best->k, best->klen)) >= c->nrt)
			continue;
		r = &c->rt[ri];
		for (struct sdb_cursor *m = c + 1; m < it->c + it->nc; m++) {
			int rc;
			if (!m->valid)
				continue;
			if (!it->reverse ? sdb_key_cmp(m->k, m->klen, r->hi, r->hilen) >= 0 :
			    sdb_key_cmp(m->k, m->klen, r->lo, r->lolen) < 0)
				continue;
			rc = it->reverse ? cur_seek(it, m, r->lo, r->lolen, 1, 1, e) :
				cur_seek(it, m, r->hi, r->hilen, 1, 0, e);
			if (rc)
				return rc;
		}
		return 1;
	}
	return 0;
}

/* A scan's common step: one table left in the range, the next entry in
 * its block and the whole block below the far bound. @return the cursor
 * on a live entry, or NULL: the general steps go on (past a dead one). */
static inline struct sdb_cursor *scan_step(struct sdb_iter *it)
{
	if (it->started && it->solo && it->ntie == 1 && !it->has_rt && !it->reverse &&
	    !it->limit_pending) {
		struct sdb_cursor *c = &it->c[it->tie[0]];
		if (c->valid && !c->mem && c->i + 1 < c->b.n && block_below_hi(it, c)) {
			c->i++;
			cur_load(c);
			if (it->raw || c->kind == SDB_KIND_PUT ||
			    (c->kind == SDB_KIND_TTL && c->exp > it->now))
				return c;
		}
	}
	return NULL;
}

size_t sdb_iter_run(struct sdb_iter *it, struct sdb_run *r)
{
	if (!it->started || !it->solo || it->ntie != 1 || it->has_rt || it->reverse ||
	    it->limit_pending || it->raw)
		return 0;
	struct sdb_cursor *c = &it->c[it->tie[0]];
	if (!c->valid || c->mem || c->i + 1 >= c->b.n)
		return 0;
	size_t j = c->i + 1, n = j;
	/* a block that reaches the far bound: its entries below it (a
	 * prefix scan's block holds the keys after the prefix too) */
	int below = block_below_hi(it, c);
	while (n < c->b.n && c->b.kind[n] == SDB_KIND_PUT &&
	       (below || sdb_key_cmp(c->b.keys + c->b.koff[n], c->b.klen[n], it->hi.data, it->hi.len) < 0))
		n++;
	r->keys = c->b.keys;
	r->koff = c->b.koff;
	r->klen = c->b.klen;
	r->vlen = c->b.vlen;
	r->val = c->b.val;
	r->i = j;
	r->n = n;
	return n - j;
}

void sdb_iter_skip(struct sdb_iter *it, size_t m, const unsigned char **k,
		   size_t *klen, struct sdb_val *v)
{
	struct sdb_cursor *c = &it->c[it->tie[0]];
	c->i += m;
	cur_load(c);
	*k = c->k;
	*klen = c->klen;
	v->data = (const char *)c->v;
	v->len = c->vlen;
	v->expires_ms = 0;
}

int sdb_iter_next_raw(struct sdb_iter *it, const unsigned char **k,
		      size_t *klen, const unsigned char **v, size_t *vlen,
		      int *kind, uint64_t *expires, struct sdb_error *e)
{
	int rc;

	if (it->limit_pending && (rc = limit_settle(it, e)))
		return rc;
	struct sdb_cursor *sc = scan_step(it);
	if (sc) {
		*k = sc->k;
		*klen = sc->klen;
		*v = sc->v;
		*vlen = sc->vlen;
		*kind = sc->kind;
		*expires = sc->exp;
		return 1;
	}
	for (;;) {
		struct sdb_cursor *best = NULL;
		/* the cursors that held the previous key (it->tie) move on */
		if (it->started)
			for (int j = 0; j < it->ntie; j++) {
				struct sdb_cursor *c = &it->c[it->tie[j]];
				if (c->valid && (rc = cur_next(it, c, it->reverse, e)))
					return rc;
			}
		if (it->started && it->solo && it->ntie == 1 && it->c[it->tie[0]].valid) {
			/* the only source left in the range: still the best */
			best = &it->c[it->tie[0]];
		} else {
			it->started = 1;
			it->ntie = 0;
			it->solo = 0;
			if (it->nc == 1) {
				if (it->c[0].valid) {
					best = &it->c[0];
					it->tie[it->ntie++] = 0;
				}
			} else {
				for (int i = 0; i < it->nc; i++) {
					struct sdb_cursor *c = &it->c[i];
					int d;
					if (!c->valid)
						continue;
					if (!best) {
						best = c;
						it->tie[it->ntie++] = i;
						continue;
					}
					d = sdb_key_cmp(c->k, c->klen, best->k, best->klen);
					if (d == 0) {
						it->tie[it->ntie++] = i;
						continue;
					}
					if (it->reverse ? d > 0 : d < 0) {
						best = c;
						it->tie[0] = i;
						it->ntie = 1;
					}
				}
			}
			if (best) { /* one valid cursor: the next steps need no merge */
				int nv = 0;
				for (int i = 0; i < it->nc && nv < 2; i++)
					nv += it->c[i].valid;
				it->solo = nv == 1;
			}
		}
		if (!best) /* cursors past the far bound are not valid */
			return 0;
		if (it->has_rt && best != it->c) {
			if ((rc = skip_covered(it, best, e)) < 0)
				return rc;
			if (rc) {
				it->started = 0; /* no cursor is left on the skipped key */
				continue;
			}
		}
		if (!it->raw && !(best->kind == SDB_KIND_PUT ||
				  (best->kind == SDB_KIND_TTL && best->exp > it->now)))
			continue;
		*k = best->k;
		*klen = best->klen;
		*v = best->v;
		*vlen = best->vlen;
		*kind = best->kind;
		*expires = best->exp;
		return 1;
	}
}

int sdb_iter_seek(struct sdb_iter *it, const void *key, size_t klen,
		  struct sdb_error *e)
{
	struct sdb_buf *t = &it->target;
	int rc = 0;

	/* copy first: key may point into a block a cursor is about to reload */
	sdb_buf_reset(t);
	sdb_buf_add(t, key, klen);
	if (it->reverse)
		sdb_buf_add(t, "", 1); /* last key <= key: last key < key + "\0" */
	if (!sdb_buf_ok(t))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (!it->reverse && it->has_lo &&
	    sdb_key_cmp(t->data, t->len, it->lo.data, it->lo.len) < 0) {
		sdb_buf_reset(t);
		sdb_buf_add(t, it->lo.data, it->lo.len);
	}
	if (it->reverse && it->has_hi &&
	    sdb_key_cmp(t->data, t->len, it->hi.data, it->hi.len) > 0) {
		sdb_buf_reset(t);
		sdb_buf_add(t, it->hi.data, it->hi.len);
	}
	if (!sdb_buf_ok(t))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	it->started = 0;
	it->solo = 0;
	it->limit_pending = 0; /* every cursor is placed again */
	for (int i = 0; i < it->nc; i++)
		it->c[i].rok = 0; /* keys may go back: range positions found again */
	for (int i = 0; i < it->nc && !rc; i++)
		rc = cur_seek(it, &it->c[i], t->data, t->len, 1, it->reverse, e);
	if (rc) /* no cursor is left half-placed: the iterator ends */
		for (int i = 0; i < it->nc; i++)
			it->c[i].valid = 0;
	return rc;
}

int sdb_iter_limit(struct sdb_iter *it, const void *hi, size_t hilen,
		   struct sdb_error *e)
{
	if (it->reverse)
		return sdb_error_set(e, SDB_EINVAL, "a limit is for forward iterators");
	if (!it->limit_pending) {
		/* the old bound, for the re-seek (a pending one keeps the
		 * older bound: its cursors are past that one) */
		struct sdb_buf t = it->hi_old;
		it->hi_old = it->hi;
		it->hi = t;
	}
	sdb_buf_reset(&it->hi);
	sdb_buf_add(&it->hi, hi, hilen);
	if (!sdb_buf_ok(&it->hi)) {
		if (!it->limit_pending) {
			struct sdb_buf t = it->hi_old;
			it->hi_old = it->hi;
			it->hi = t;
		}
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	it->has_hi = 1;
	it->solo = 0; /* cursors past the old bound may come back */
	it->has_rt = 0;
	for (int i = 0; i < it->nc; i++)
		it->c[i].hib = 0;
	for (int i = 0; i < it->nc; i++)
		if (it->c[i].rset)
			cur_set_ranges(it, &it->c[i], it->c[i].rt, it->c[i].nrt_all);
	for (int i = 0; i < it->nc; i++) {
		struct sdb_cursor *c = &it->c[i];
		if (c->beyond)
			it->limit_pending = 1;
		else if (c->valid && sdb_key_cmp(c->k, c->klen, it->hi.data, it->hi.len) >= 0) {
			c->valid = 0; /* a lower bound: past it now */
			c->beyond = 1;
		}
	}
	return 0;
}

/* Does the re-seek sdb_iter_limit deferred: every key returned so far
 * is below the old bound, and a cursor past it has none below it: its
 * first key >= the old bound is next. */
static int limit_settle(struct sdb_iter *it, struct sdb_error *e)
{
	int rc = 0;

	if (!it->limit_pending)
		return 0;
	it->limit_pending = 0;
	for (int i = 0; i < it->nc && !rc; i++)
		if (it->c[i].beyond)
			rc = cur_seek(it, &it->c[i], it->hi_old.data, it->hi_old.len, 1, 0, e);
	return rc;
}

int sdb_iter_count(struct sdb_iter *it, uint64_t *out, struct sdb_error *e)
{
	struct sdb_cursor *one = NULL;
	uint64_t n = 0;
	int nvalid = 0, rc;

	*out = 0;
	if ((rc = limit_settle(it, e)))
		return rc;
	/* the sources with keys in the range (a cursor at a key >= hi has
	 * none: its keys only grow) */
	for (int i = 0; i < it->nc; i++)
		if (it->c[i].valid && (!it->has_hi ||
				       sdb_key_cmp(it->c[i].k, it->c[i].klen, it->hi.data, it->hi.len) < 0)) {
			nvalid++;
			one = &it->c[i];
		}
	if (nvalid == 0 && !it->reverse && !it->started)
		return 0;
	/* range deletes of sources ranked above it that reach into the range
	 * would hide some of its keys */
	int hidden = 0;
	if (nvalid == 1 && it->has_rt)
		for (struct sdb_cursor *c = it->c; c < one && !hidden; c++)
			hidden = ranges_meet(c->rt, c->nrt, it->has_lo ? it->lo.data : "",
					     it->has_lo ? it->lo.len : 0,
					     it->has_hi ? it->hi.data : NULL, it->hi.len);
	if (nvalid == 1 && !one->mem && !hidden && !it->reverse && !it->started) {
		/* one table holds the whole range: whole blocks are counted
		 * from their entries' kinds, not merged key by key */
		struct sdb_table *t = one->t;
		unsigned char *scratch = NULL;
		size_t cap = 0, i = one->i, bi = one->bi;
		for (;;) {
			struct sdb_block *b = &one->b;
			size_t stop = b->n;
			int last = 0;
			if (it->has_hi) {
				if ((rc = sdb_table_block_at(t, bi, e)))
					goto out1;
				if (sdb_key_cmp(t->bkey[bi], t->bklen[bi], it->hi.data, it->hi.len) >= 0) {
					stop = sdb_block_lower_bound(b, it->hi.data, it->hi.len);
					last = 1;
				}
			}
			for (size_t j = i; j < stop; j++)
				n += b->kind[j] == SDB_KIND_PUT ||
				     (b->kind[j] == SDB_KIND_TTL && b->expires[j] > it->now);
			if (last || bi + 1 >= t->nblocks)
				break;
			/* the blocks wholly below hi, by kinds alone */
			for (bi++; bi < t->nblocks; bi++) {
				uint64_t live;
				if (it->has_hi) {
					if ((rc = sdb_table_block_at(t, bi, e)))
						goto out1;
					if (sdb_key_cmp(t->bkey[bi], t->bklen[bi], it->hi.data, it->hi.len) >= 0)
						break;
				}
				if ((rc = sdb_table_count_block(t, bi, it->now, &scratch, &cap, &live, e)))
					goto out1;
				n += live;
			}
			if (bi >= t->nblocks)
				break;
			if ((rc = cur_block(one, bi, e)))
				goto out1;
			i = 0;
		}
		rc = 0;
	out1:
		free(scratch);
		for (int ci = 0; ci < it->nc; ci++)
			it->c[ci].valid = 0; /* the iterator is at its end */
		if (!rc)
			*out = n;
		return rc;
	}
	for (;;) {
		const unsigned char *k, *v;
		size_t kl, vl;
		int kind;
		uint64_t exp;
		rc = sdb_iter_next_raw(it, &k, &kl, &v, &vl, &kind, &exp, e);
		if (rc < 0)
			return rc;
		if (!rc)
			break;
		n++;
	}
	*out = n;
	return 0;
}

void sdb_iter_release(struct sdb_iter *it)
{
	for (int i = 0; i < it->nc; i++)
		sdb_block_release(&it->c[i].b);
	free(it->c);
	free(it->tie);
	sdb_buf_release(&it->lo);
	sdb_buf_release(&it->hi);
	sdb_buf_release(&it->hi_old);
	sdb_buf_release(&it->target);
	memset(it, 0, sizeof(*it));
}

/* Public wrapper over a database snapshot. */
struct sdb_iter_pub {
	struct sdb_iter it;
	struct sdb_table **tabs;
	const struct sdb_table_meta **metas;
};

int sdb_iter_open(struct sdb_db *db, const void *lo, size_t lolen,
		  const void *hi, size_t hilen, int reverse,
		  struct sdb_iter **out, struct sdb_error *e)
{
	struct sdb_iter_pub *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p || !(p->tabs = calloc(db->ntabs + 1, sizeof(*p->tabs)))) {
		free(p);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	if (!(p->metas = calloc(db->ntabs + 1, sizeof(*p->metas)))) {
		free(p->tabs);
		free(p);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < db->ntabs; i++) {
		p->tabs[i] = db->tabs[i].t;
		p->metas[i] = db->tabs[i].meta;
	}
	rc = sdb_iter_init(&p->it, &db->mem, p->tabs, p->metas, db->ntabs, lo, lolen, hi,
			   hilen, reverse, 0, db->now, e);
	if (rc) {
		sdb_iter_release(&p->it);
		free(p->tabs);
		free(p->metas);
		free(p);
		return rc;
	}
	*out = &p->it;
	return 0;
}

int sdb_iter_next(struct sdb_iter *it, const unsigned char **k, size_t *klen,
		  struct sdb_val *v, struct sdb_error *e)
{
	const unsigned char *val;
	uint64_t exp;
	struct sdb_cursor *c = scan_step(it);
	if (c) {
		*k = c->k;
		*klen = c->klen;
		v->data = (const char *)c->v;
		v->len = c->vlen;
		v->expires_ms = c->kind == SDB_KIND_TTL ? c->exp : 0;
		return 1;
	}
	int kind, rc = sdb_iter_next_raw(it, k, klen, &val, &v->len, &kind, &exp, e);

	if (rc == 1) {
		v->data = (const char *)val;
		v->expires_ms = kind == SDB_KIND_TTL ? exp : 0;
	}
	return rc;
}

void sdb_iter_cache_blocks(struct sdb_iter *it)
{
	for (int i = 0; i < it->nc; i++)
		it->c[i].cached = 1;
}

void sdb_iter_close(struct sdb_iter *it)
{
	struct sdb_iter_pub *p = (struct sdb_iter_pub *)it;

	if (!it)
		return;
	sdb_iter_release(&p->it);
	free(p->tabs);
	free(p->metas);
	free(p);
}
