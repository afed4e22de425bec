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

#include <stdlib.h>
#include <string.h>

struct sdb_cursor {
	const struct sdb_memtable *mem;
	size_t mi;
	struct sdb_table *t;
	size_t bi, i;
	struct sdb_block b;
	int bloaded; /* b holds block bi */
	int valid;
	const unsigned char *k, *v;
	size_t klen, vlen;
	int kind;
	uint64_t exp;
	const struct sdb_range *rt; /* the source's range deletes */
	size_t nrt;
};

static void cur_load(struct sdb_cursor *c)
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

/* Loads block bi (kept when it is already the loaded one: seeks nearby
 * do not decode it again). */
static int cur_block(struct sdb_cursor *c, size_t bi, struct sdb_error *e)
{
	int rc;

	if (c->bloaded && c->bi == bi)
		return 0;
	rc = sdb_table_read_block(c->t, bi, &c->b, e);
	c->bi = bi;
	c->bloaded = rc == 0;
	return rc;
}

/*
 * Positions c at the first entry >= k (forward) or the last entry < k
 * (reverse); has 0: at the first (last) entry.
 */
static int cur_seek(struct sdb_cursor *c, const void *k, size_t kn, int has,
		    int reverse, struct sdb_error *e)
{
	int rc;

	c->valid = 0;
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
			size_t bi = has ? sdb_table_find_block(c->t, k, kn) : 0;
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
			size_t bi = has ? sdb_table_find_block(c->t, k, kn) : nb - 1;
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
		cur_load(c);
	return 0;
}

static int cur_next(struct sdb_cursor *c, int reverse, struct sdb_error *e)
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
		cur_load(c);
	return 0;
}

int sdb_iter_init(struct sdb_iter *it, const struct sdb_memtable *mem,
		  struct sdb_table **tabs, size_t ntabs, const void *lo,
		  size_t lolen, const void *hi, size_t hilen, int reverse,
		  int raw, uint64_t now, struct sdb_error *e)
{
	int rc = 0;

	memset(it, 0, sizeof(*it));
	it->c = calloc(ntabs + 1, sizeof(*it->c));
	if (!it->c)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
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
		it->c[it->nc].rt = mem->rd;
		it->c[it->nc].nrt = mem->nrd;
		it->c[it->nc++].mem = mem;
	}
	for (size_t i = 0; i < ntabs; i++) {
		it->c[it->nc].rt = tabs[i]->rt;
		it->c[it->nc].nrt = tabs[i]->nrt;
		it->c[it->nc++].t = tabs[i];
	}
	for (int i = 0; i < it->nc; i++)
		it->has_rt |= it->c[i].nrt > 0;
	for (int i = 0; i < it->nc && !rc; i++)
		rc = reverse ? cur_seek(&it->c[i], it->hi.data, it->hi.len, it->has_hi, 1, e) :
			cur_seek(&it->c[i], it->lo.data, it->lo.len, it->has_lo, 0, e);
	if (rc)
		sdb_iter_release(it); /* a failed init owns nothing (release is idempotent) */
	return rc;
}

/*
 * Whether a source ranked above best deletes best's key by a range; if
 * so, every cursor ranked below that source (best among them) is moved
 * past the range. @return 1 skipped, 0 not covered, or an error.
 */
static int skip_covered(struct sdb_iter *it, struct sdb_cursor *best,
			struct sdb_error *e)
{
	for (struct sdb_cursor *c = it->c; c < best; c++) {
		const struct sdb_range *r;
		size_t ri;
		if (!c->nrt || (ri = sdb_ranges_find(c->rt, c->nrt, best->k, best->klen)) >= c->nrt)
			continue;
		r = &c->rt[ri];
		for (struct sdb_cursor *m = c + 1; m < it->c + it->nc; m++) {
			int rc;
			if (!m->valid)
				continue;
			if (!it->reverse ? sdb_key_cmp(m->k, m->klen, r->hi, r->hilen) >= 0 :
			    sdb_key_cmp(m->k, m->klen, r->lo, r->lolen) < 0)
				continue;
			rc = it->reverse ? cur_seek(m, r->lo, r->lolen, 1, 1, e) :
				cur_seek(m, r->hi, r->hilen, 1, 0, e);
			if (rc)
				return rc;
		}
		return 1;
	}
	return 0;
}

int sdb_iter_next_raw(struct sdb_iter *it, const unsigned char **k,
		      size_t *klen, const unsigned char **v, size_t *vlen,
		      int *kind, uint64_t *expires, struct sdb_error *e)
{
	int rc;

	for (;;) {
		struct sdb_cursor *best = NULL;
		if (it->started) {
			for (int i = 0; i < it->nc; i++) {
				struct sdb_cursor *c = &it->c[i];
				if (c->valid && c->klen == it->prev.len &&
				    !memcmp(c->k, it->prev.data, c->klen) &&
				    (rc = cur_next(c, it->reverse, e)))
					return rc;
			}
		}
		it->started = 1;
		for (int i = 0; i < it->nc; i++) {
			struct sdb_cursor *c = &it->c[i];
			int d;
			if (!c->valid)
				continue;
			if (!best) {
				best = c;
				continue;
			}
			d = sdb_key_cmp(c->k, c->klen, best->k, best->klen);
			if (it->reverse ? d > 0 : d < 0)
				best = c;
		}
		if (!best)
			return 0;
		if (!it->reverse && it->has_hi &&
		    sdb_key_cmp(best->k, best->klen, it->hi.data, it->hi.len) >= 0)
			return 0;
		if (it->reverse && it->has_lo &&
		    sdb_key_cmp(best->k, best->klen, it->lo.data, it->lo.len) < 0)
			return 0;
		if (it->has_rt && best != it->c) {
			if ((rc = skip_covered(it, best, e)) < 0)
				return rc;
			if (rc) {
				it->started = 0; /* no cursor is left on the skipped key */
				continue;
			}
		}
		sdb_buf_reset(&it->prev);
		sdb_buf_add(&it->prev, best->k, best->klen);
		if (!sdb_buf_ok(&it->prev))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
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
	for (int i = 0; i < it->nc && !rc; i++)
		rc = cur_seek(&it->c[i], t->data, t->len, 1, it->reverse, e);
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
	sdb_buf_reset(&it->hi);
	sdb_buf_add(&it->hi, hi, hilen);
	it->has_hi = 1;
	return sdb_buf_ok(&it->hi) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

void sdb_iter_release(struct sdb_iter *it)
{
	for (int i = 0; i < it->nc; i++)
		sdb_block_release(&it->c[i].b);
	free(it->c);
	sdb_buf_release(&it->lo);
	sdb_buf_release(&it->hi);
	sdb_buf_release(&it->prev);
	sdb_buf_release(&it->target);
	memset(it, 0, sizeof(*it));
}

/* Public wrapper over a database snapshot. */
struct sdb_iter_pub {
	struct sdb_iter it;
	struct sdb_table **tabs;
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
	for (size_t i = 0; i < db->ntabs; i++)
		p->tabs[i] = db->tabs[i].t;
	rc = sdb_iter_init(&p->it, &db->mem, p->tabs, db->ntabs, lo, lolen, hi,
			   hilen, reverse, 0, db->now, e);
	if (rc) {
		sdb_iter_release(&p->it);
		free(p->tabs);
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
	int kind, rc = sdb_iter_next_raw(it, k, klen, &val, &v->len, &kind, &exp, e);

	if (rc == 1) {
		v->data = (const char *)val;
		v->expires_ms = kind == SDB_KIND_TTL ? exp : 0;
	}
	return rc;
}

void sdb_iter_close(struct sdb_iter *it)
{
	struct sdb_iter_pub *p = (struct sdb_iter_pub *)it;

	if (!it)
		return;
	sdb_iter_release(&p->it);
	free(p->tabs);
	free(p);
}
