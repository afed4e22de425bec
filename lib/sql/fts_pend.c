/*
 * fts_pend.c - the postings a transaction has written to FTS5 tables,
 * kept in memory and written to the store as merged posting blocks
 * (fts_post.c): at commit, before a read of an index, before a
 * SAVEPOINT, a DROP or a 'rebuild', and in part whenever they pass
 * FTS_PEND_LIMIT bytes.
 *
 * DESIGN. sql_fts_row (fts.c) tokenizes a row written or deleted and
 * hands its tokens to sql_fts_log_row, which appends one record per
 * distinct term of the row to P, the transaction's in-memory inverted
 * index: one entry per (table, term) (one hash lookup per token, the
 * row's lookups prefetched together: they miss the cache) holding that
 * term's records in the order written, compact (rowid deltas, varints)
 * in chunks of an arena, and per table the change of the totals. A
 * flush sorts P's terms, and for each term reads the blocks its rows
 * fall into, merges (the last record of a rowid wins: a posting or its
 * removal), re-chunks into blocks of FTS_BLOCK_MAX rows and writes them
 * back, then adds the totals: a handful of keys per term instead of one
 * per (term, row). A term whose records are in rowid order past every
 * row the store holds of it (a table with no blocks yet, or one this
 * transaction has appended to) reads nothing.
 * Past the limit the flush is partial: of a term whose rows go on past
 * the store's it writes the full blocks only and keeps the rest
 * pending, so a load of any size writes each block once (a full flush
 * at the limit rewrote every term's last block each time).
 * Rollback: a failed statement's records are taken back with the undo
 * records (a term's last chunk and rowid before its first record of the
 * statement, the totals' change of each row); a flush inside a statement
 * of BEGIN (a read of the index, or a statement that alone passes the
 * limit) writes P's entries under the statement's savepoint, so P is
 * kept aside (R) until the statement ends and comes back when the store
 * rolls the statement back; SAVEPOINT flushes first, so ROLLBACK TO
 * drops what is pending; UPDATE's per-row savepoint takes back to its
 * mark.
 */
#include "sql/fts_int.h"

#include "sql/parse.h"
#include "sql/record.h"
#include "sql/wint.h"
#include "store/keys.h"
#include "util/hash.h"
#include "util/varint.h"

#include <stdlib.h>
#include <string.h>

#ifndef FTS_PEND_LIMIT
#define FTS_PEND_LIMIT (24u << 20)
#endif

/* A term's records live in a chain of chunks from its index's arena
 * (no reallocation, no copy as a term's postings grow); a record never
 * spans two chunks. */
struct chunk {
	struct chunk *next;
	uint32_t used, cap;
	unsigned char d[];
};

struct pterm {
	int64_t neg_id;
	int n;
	uint32_t ru;                 /* its place among the row's terms ... */
	uint64_t rgen;               /* ... of the row numbered rgen */
	uint64_t ugen;               /* the undo epoch it has a record in */
	int64_t last;                /* the rowid of its last record */
	/* its records (below); the last chunk's used bytes are kept here
	 * (tused) while it is the last, so a write never waits to read it */
	struct chunk *head, *tail;
	uint32_t tused, tcap;
	/* wvalid: the store holds none of its rows past wlast (so records
	 * in rowid order past wlast append blocks without reading any) */
	uint8_t wvalid;
	int64_t wlast;
	char z[];                    /* the term */
};

/* A pending record, in the order written: varint zigzag(rowid - the
 * previous record's rowid (0 for the first)), varint tf (0: the row's
 * posting is removed), then when tf > 0 varint dl (the row's tokens, all
 * columns) and the tf positions (col << 32 | offset), each a varint of
 * its difference from the one before (the first from 0), as a block
 * stores them. */

struct ptab {
	int64_t neg_id;
	int ncol;
	int64_t drows;
	int64_t *dtok;
	uint8_t fresh;               /* no blocks in the store before this index */
	uint8_t fresh_set;           /* (known once it has been written) */
};

struct pslot {
	uint64_t h;                  /* 0: free */
	struct pterm *p;
};

struct pidx {
	struct pslot *sl;
	size_t cap, used;
	struct ptab *tab;
	int ntab;
	size_t bytes;                /* of its arenas */
	size_t tbytes;               /* of them, the terms' */
	size_t limit;                /* a flush past it (0: FTS_PEND_LIMIT) */
	struct sdb_sql_arena terms;  /* the pterms, side by side */
	struct sdb_sql_arena recs;   /* the chunks */
};

/* undo records of the running statement: U_POST (pterm, its last chunk
 * and the bytes used in it before, its last rowid before) or U_TAB (a
 * row's change of the totals) */
enum { U_POST = 1, U_TAB };
struct upost {
	unsigned char ty;            /* U_POST */
	uint32_t used;
	struct pterm *pt;
	struct chunk *tail;
	int64_t last;
};

struct fts_pend {
	struct pidx P, R;
	int has_r;
	struct sdb_buf undo;
	uint64_t ugen;               /* the undo epoch: bumped when undo is cut */
	int hold;
	uint64_t rgen;               /* rows logged */
	/* one row's terms: uq[u] with its hits ufirst[u] -> nxt[] -> ulast[u] */
	struct pterm **uq;
	int32_t *ufirst, *ulast, *nxt;
	uint64_t *hh;                /* the hits' hashes */
	size_t capu;
};

static uint64_t zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static uint64_t th(int64_t neg_id, const char *z, int n)
{
	uint64_t h = sdb_hash_short(z, (size_t)n);
	h ^= (uint64_t)neg_id * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return h ? h : 1;
}

static void pidx_free(struct pidx *x)
{
	free(x->sl);
	for (int i = 0; i < x->ntab; i++)
		free(x->tab[i].dtok);
	free(x->tab);
	sdb_sql_arena_release(&x->terms);
	sdb_sql_arena_release(&x->recs);
	memset(x, 0, sizeof(*x));
}

static struct fts_pend *pend(struct sql_wstate *w)
{
	if (!w->fts_pend && (w->fts_pend = calloc(1, sizeof(struct fts_pend))))
		w->fts_pend->ugen = 1; /* a new term (ugen 0) gets its undo record */
	return w->fts_pend;
}

/* The undo records are cut: every term needs a new one for its next
 * record. */
static void undo_reset(struct fts_pend *p)
{
	sdb_buf_reset(&p->undo);
	p->ugen++;
}

void sql_fts_pend_free(struct sql_wstate *w)
{
	struct fts_pend *p = w->fts_pend;
	if (!p)
		return;
	pidx_free(&p->P);
	pidx_free(&p->R);
	sdb_buf_release(&p->undo);
	free(p->uq);
	free(p->ufirst);
	free(p->ulast);
	free(p->nxt);
	free(p->hh);
	free(p);
	w->fts_pend = NULL;
}

/* Room in x's table for more new terms without a rehash. @return 0 or -1. */
static int pidx_reserve(struct pidx *x, size_t more)
{
	if ((x->used + more) * 2 <= x->cap)
		return 0;
	size_t nc = x->cap ? x->cap * 2 : 1024;
	while ((x->used + more) * 2 > nc)
		nc *= 2;
	struct pslot *ns = calloc(nc, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < x->cap; i++) {
		if (!x->sl[i].h)
			continue;
		size_t j = x->sl[i].h & (nc - 1);
		while (ns[j].h)
			j = (j + 1) & (nc - 1);
		ns[j] = x->sl[i];
	}
	free(x->sl);
	x->sl = ns;
	x->cap = nc;
	return 0;
}

/* a[0..n) == b[0..n), for short terms (a call to memcmp costs more) */
static inline int same(const char *a, const char *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The entry of term z[0..n) (hash h = th(neg_id, z, n)), made when new;
 * the table has room (pidx_reserve). */
static struct pterm *pidx_term(struct pidx *x, int64_t neg_id, const char *z, int n,
			       uint64_t h, int fresh)
{
	size_t j = h & (x->cap - 1);
	for (;;) {
		if (!x->sl[j].h)
			break;
		if (x->sl[j].h == h) {
			struct pterm *s = x->sl[j].p;
			if (s->neg_id == neg_id && s->n == n && same(s->z, z, n))
				return s;
		}
		j = (j + 1) & (x->cap - 1);
	}
	/* zeroed: no records, rgen, ugen and last 0; on a cache line's
	 * start, so a short term's entry is two lines (both prefetched) */
	size_t sz = sizeof(struct pterm) + (size_t)n + 1 + 63;
	char *m = sdb_sql_arena_alloc(&x->terms, sz);
	if (!m)
		return NULL;
	struct pterm *s = (struct pterm *)(m + (-(uintptr_t)m & 63));
	x->bytes += sz;
	x->tbytes += sz;
	if (fresh) {
		s->wvalid = 1; /* its table had no blocks when first written */
		s->wlast = INT64_MIN;
	}
	memcpy(s->z, z, (size_t)n);
	s->n = n;
	s->neg_id = neg_id;
	x->sl[j].h = h;
	x->sl[j].p = s;
	x->used++;
	return s;
}

static struct ptab *pidx_tab(struct pidx *x, int64_t neg_id, int ncol)
{
	for (int i = 0; i < x->ntab; i++)
		if (x->tab[i].neg_id == neg_id)
			return &x->tab[i];
	struct ptab *nt = realloc(x->tab, sizeof(*nt) * (size_t)(x->ntab + 1));
	if (!nt)
		return NULL;
	x->tab = nt;
	struct ptab *t = &x->tab[x->ntab];
	memset(t, 0, sizeof(*t));
	t->neg_id = neg_id;
	t->ncol = ncol;
	if (!(t->dtok = calloc((size_t)ncol + 1, sizeof(int64_t))))
		return NULL;
	x->ntab++;
	return t;
}

/* ------------------------------------------------------------ rows */

static void tab_add(struct ptab *t, int sign, int ncol, const int *ntok)
{
	for (int i = 0; i < ncol && i < t->ncol; i++)
		t->dtok[i] += sign * (int64_t)ntok[i];
	t->drows += sign;
}

static int regrow(void **a, size_t nc, size_t sz)
{
	void *n = realloc(*a, nc * sz);
	if (!n)
		return -1;
	*a = n;
	return 0;
}

static int grow_u(struct fts_pend *p, size_t need)
{
	if (need <= p->capu)
		return 0;
	size_t nc = p->capu ? p->capu : 256;
	while (nc < need)
		nc *= 2;
	/* capu grows only when all of them did */
	if (regrow((void **)&p->uq, nc, sizeof(*p->uq)) ||
	    regrow((void **)&p->ufirst, nc, sizeof(*p->ufirst)) ||
	    regrow((void **)&p->ulast, nc, sizeof(*p->ulast)) ||
	    regrow((void **)&p->nxt, nc, sizeof(*p->nxt)) ||
	    regrow((void **)&p->hh, nc, sizeof(*p->hh)))
		return -1;
	p->capu = nc;
	return 0;
}

/* Room for need bytes at the end of pt's records: a new chunk when its
 * last one is short (twice the last one's size, 64 to 8192 bytes).
 * @return where the record goes, or NULL when out of memory. */
static unsigned char *room_new(struct pidx *x, struct pterm *pt, size_t need);

static inline unsigned char *room(struct pidx *x, struct pterm *pt, size_t need)
{
	if (pt->tail && pt->tcap - pt->tused >= need)
		return pt->tail->d + pt->tused;
	return room_new(x, pt, need);
}

static unsigned char *room_new(struct pidx *x, struct pterm *pt, size_t need)
{
	struct chunk *t = pt->tail;
	size_t cap = t ? (size_t)pt->tcap * 2 : 64 - sizeof(struct chunk);
	if (cap > 8192)
		cap = 8192;
	if (cap < need)
		cap = need;
	struct chunk *c = sdb_sql_arena_alloc(&x->recs, sizeof(*c) + cap);
	if (!c)
		return NULL;
	x->bytes += sizeof(*c) + cap;
	c->cap = (uint32_t)cap;
	if (t) {
		t->used = pt->tused;
		t->next = c;
	} else
		pt->head = c;
	pt->tail = c;
	pt->tused = 0;
	pt->tcap = (uint32_t)cap;
	return c->d;
}

/* The pending bytes that call for a flush: FTS_PEND_LIMIT, or for the
 * tests SDB_FTS_PEND_LIMIT (bytes) from the environment. */
static size_t pend_limit(void)
{
	static size_t lim;
	if (!lim) {
		const char *s = getenv("SDB_FTS_PEND_LIMIT");
		long long v = s ? atoll(s) : 0;
		lim = v > 0 ? (size_t)v : FTS_PEND_LIMIT;
	}
	return lim;
}

/* x past its limit (k 1), or past it and k - 1 limits more */
static int over(const struct pidx *x, size_t k)
{
	return x->bytes > (x->limit ? x->limit : pend_limit()) + (k - 1) * pend_limit();
}

static int flush_part(struct sql_wstate *w, struct sdb_error *e);

int sql_fts_log_row(struct sql_wstate *w, int64_t neg_id, int64_t rowid, int del,
		    int ncol, const int *ntok, const char *terms,
		    const struct fts_hit *hits, size_t nhit, struct sdb_error *e)
{
	struct fts_pend *p = pend(w);
	if (!p)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	struct pidx *x = &p->P;
	/* undo records only where a rollback can keep the transaction going */
	int undo = w->stmt_sp >= 0 || p->hold;
	struct ptab *t = pidx_tab(x, neg_id, ncol);
	if (!t || grow_u(p, nhit + 1) || pidx_reserve(x, nhit))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	uint64_t dl = 0;
	for (int i = 0; i < ncol; i++)
		dl += (uint64_t)ntok[i];
	tab_add(t, del ? -1 : 1, ncol, ntok);
	if (undo) {
		unsigned char ty = U_TAB, d = (unsigned char)del;
		uint32_t nc = (uint32_t)ncol;
		sdb_buf_add(&p->undo, &ty, 1);
		sdb_buf_add(&p->undo, &neg_id, 8);
		sdb_buf_add(&p->undo, &d, 1);
		sdb_buf_add(&p->undo, &nc, 4);
		sdb_buf_add(&p->undo, ntok, sizeof(int) * (size_t)ncol);
	}
	/* the row's distinct terms, in the order they first appear, each
	 * with its hits chained: one lookup in the index per hit */
	uint64_t gen = ++p->rgen;
	struct pterm **uq = p->uq;
	int32_t *ufirst = p->ufirst, *ulast = p->ulast, *nxt = p->nxt;
	uint64_t *hh = p->hh;
	uint32_t nu = 0;
	size_t mask = x->cap - 1;
	/* the lookups miss the cache: their lines are fetched for the whole
	 * row first (the slots, then the entries they name) */
	for (size_t i = 0; i < nhit; i++) {
		hh[i] = th(neg_id, terms + hits[i].off, (int)hits[i].len);
		__builtin_prefetch(&x->sl[hh[i] & mask]);
	}
	for (size_t i = 0; i < nhit; i++) {
		const struct pslot *sl = &x->sl[hh[i] & mask];
		if (sl->h) {
			__builtin_prefetch(sl->p);
			__builtin_prefetch((const char *)sl->p + 64);
		}
	}
	for (size_t i = 0; i < nhit; i++) {
		struct pterm *pt = pidx_term(x, neg_id, terms + hits[i].off, (int)hits[i].len, hh[i],
					       t->fresh);
		if (!pt)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		nxt[i] = -1;
		if (pt->rgen != gen) {
			pt->rgen = gen;
			pt->ru = nu;
			uq[nu] = pt;
			if (pt->tail)
				__builtin_prefetch(pt->tail);
			ufirst[nu] = ulast[nu] = (int32_t)i;
			nu++;
		} else {
			nxt[ulast[pt->ru]] = (int32_t)i;
			ulast[pt->ru] = (int32_t)i;
		}
	}
	for (uint32_t u = 0; u < nu; u++) {
		struct pterm *pt = uq[u];
		uint32_t tf = 0;
		if (!del)
			for (int32_t i = ufirst[u]; i >= 0; i = nxt[i])
				tf++;
		if (undo && pt->ugen != p->ugen) {
			/* its first record of this epoch: how to take it back */
			struct upost u1;
			memset(&u1, 0, sizeof(u1));
			u1.ty = U_POST;
			u1.pt = pt;
			u1.tail = pt->tail;
			u1.used = pt->tused;
			u1.last = pt->last;
			pt->ugen = p->ugen;
			sdb_buf_add(&p->undo, &u1, sizeof(u1));
		}
		unsigned char *o = room(x, pt, 32 + 10 * (size_t)tf), *o0 = o;
		if (!o)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		o += sdb_put_varint(o, zz((int64_t)((uint64_t)rowid - (uint64_t)pt->last)));
		o += sdb_put_varint(o, tf);
		if (tf) {
			int64_t prev = 0;
			o += sdb_put_varint(o, dl);
			for (int32_t i = ufirst[u]; i >= 0; i = nxt[i]) {
				o += sdb_put_varint(o, (uint64_t)(hits[i].pos - prev));
				prev = hits[i].pos;
			}
		}
		pt->last = rowid;
		pt->tused += (uint32_t)(o - o0);
	}
	if (!sdb_buf_ok(&p->undo))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (p->hold || !over(x, 1))
		return 0;
	/* outside BEGIN nothing is kept aside for a rollback; inside it the
	 * statement's end flushes (sql_fts_stmt_done) unless the statement
	 * alone writes that much */
	if (w->stmt_sp < 0 && !p->has_r)
		return flush_part(w, e);
	return over(x, 3) ? sql_fts_flush_read(w, e) : 0;
}

/* Undoes x's records past undo offset mark (the latest first). */
static void undo_to(struct fts_pend *p, struct pidx *x, size_t mark)
{
	/* the records are of varying size: walk forward, then apply back */
	size_t n = 0, cap = 0, *offs = NULL;
	for (size_t o = mark; o < p->undo.len;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			size_t *no = realloc(offs, sizeof(*no) * nc);
			if (!no)
				break;
			offs = no;
			cap = nc;
		}
		offs[n++] = o;
		unsigned char ty = (unsigned char)p->undo.data[o];
		if (ty == U_POST)
			o += sizeof(struct upost);
		else {
			uint32_t nc;
			memcpy(&nc, p->undo.data + o + 10, 4);
			o += 14 + sizeof(int) * nc;
		}
	}
	for (size_t i = n; i-- > 0;) {
		const char *r = p->undo.data + offs[i];
		if (r[0] == U_POST) {
			struct upost u1;
			memcpy(&u1, r, sizeof(u1));
			struct pterm *pt = u1.pt;
			pt->last = u1.last;
			/* the chunks past its old tail stay in the arena, unused */
			if (u1.tail) {
				u1.tail->next = NULL;
				pt->tcap = u1.tail->cap;
			} else {
				pt->head = NULL;
				pt->tcap = 0;
			}
			pt->tail = u1.tail;
			pt->tused = u1.used;
		} else {
			int64_t neg_id;
			uint32_t nc;
			int ntok[1026];
			memcpy(&neg_id, r + 1, 8);
			memcpy(&nc, r + 10, 4);
			memcpy(ntok, r + 14, sizeof(int) * (nc > 1026 ? 1026 : nc));
			for (int k = 0; k < x->ntab; k++)
				if (x->tab[k].neg_id == neg_id)
					tab_add(&x->tab[k], r[9] ? 1 : -1, (int)nc, ntok);
		}
	}
	free(offs);
	p->undo.len = mark;
	p->ugen++;
}

/* ------------------------------------------------------------ flush */

struct op {
	int64_t rowid;
	long seq;
	uint8_t del;
	struct fts_posting p;
};

static int opcmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;
	if (x->rowid != y->rowid)
		return x->rowid < y->rowid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int ptcmp(const void *a, const void *b)
{
	const struct pterm *x = *(const struct pterm *const *)a, *y = *(const struct pterm *const *)b;
	if (x->neg_id != y->neg_id)
		return x->neg_id < y->neg_id ? -1 : 1;
	int m = x->n < y->n ? x->n : y->n;
	int r = memcmp(x->z, y->z, (size_t)m);
	if (r)
		return r;
	return x->n < y->n ? -1 : x->n > y->n;
}

struct flushctx {
	struct sql_wstate *w;
	struct pidx *x;
	/* partial: write full blocks only where the rows go on past the
	 * store's; the rest stays pending, in x's new chunks */
	int partial;
	struct sdb_error *e;
	struct sdb_buf lo, hi, seek, val, blk, oldkeys;
	struct op *ops;
	long nops, capops;
	struct fts_posting *old;
	long nold, capold;
	struct fts_posting *mrg;
	long capmrg;
};

static int grow(void **a, long *cap, long need, size_t sz)
{
	if (need <= *cap)
		return 0;
	long nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	void *n = realloc(*a, sz * (size_t)nc);
	if (!n)
		return SDB_ENOMEM;
	*a = n;
	*cap = nc;
	return 0;
}

/* One term: its pending records merged into its blocks in the store. */
static int apply_term(struct flushctx *c, struct pterm *pt)
{
	struct sdb_error *e = c->e;
	struct sdb_txn *txn = c->w->txn;
	int rc = 0;
	/* the records as postings (tf 0: a removal) */
	long nrec = 0, nm;
	int sorted = 1, nodel = 1;
	int64_t rowid = 0;
	for (const struct chunk *ch = pt->head; ch; ch = ch->next) {
		const unsigned char *s = ch->d, *end = s + (ch == pt->tail ? pt->tused : ch->used);
		while (s < end) {
			if (grow((void **)&c->mrg, &c->capmrg, nrec + 1, sizeof(*c->mrg)))
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
			struct fts_posting *o = &c->mrg[nrec];
			uint64_t d = 0, tf = 0, dl = 0;
			s = sdb_get_varint(s, end, &d);
			s = s ? sdb_get_varint(s, end, &tf) : NULL;
			if (s && tf)
				s = sdb_get_varint(s, end, &dl);
			if (!s)
				return sdb_error_set(e, SDB_ECORRUPT, "malformed pending postings");
			rowid = (int64_t)((uint64_t)rowid + (uint64_t)unzz(d));
			/* the positions: tf varints */
			const unsigned char *ps = s;
			for (uint64_t k = 0; k < tf && s < end; s++)
				k += !(*s & 0x80);
			nodel &= tf > 0;
			if (nrec && c->mrg[nrec - 1].rowid >= rowid)
				sorted = 0;
			o->rowid = rowid;
			o->tf = (uint32_t)tf;
			o->dl = (uint32_t)dl;
			o->plen = (uint32_t)(s - ps);
			o->pos = ps;
			nrec++;
		}
	}
	if (c->partial) {
		/* its records are in the old chunks now: it starts again */
		pt->head = pt->tail = NULL;
		pt->tused = pt->tcap = 0;
		pt->last = 0;
	}
	if (!nrec)
		return 0;
	/* rows in order past all the store holds of the term: the postings
	 * are the new blocks as they are */
	int append = sorted && nodel && pt->wvalid && c->mrg[0].rowid > pt->wlast;
	nm = nrec;
	c->nops = 0;
	if (!append) {
		/* sorted by rowid (stable), the last of each rowid kept */
		if (grow((void **)&c->ops, &c->capops, nrec, sizeof(*c->ops)))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		for (long i = 0; i < nrec; i++) {
			struct op *o = &c->ops[i];
			o->rowid = c->mrg[i].rowid;
			o->seq = i;
			o->del = !c->mrg[i].tf;
			o->p = c->mrg[i];
		}
		c->nops = nrec;
	}
	if (!append && !sorted) {
		qsort(c->ops, (size_t)c->nops, sizeof(*c->ops), opcmp);
		long k = 0;
		for (long i = 0; i < c->nops; i++) {
			if (k && c->ops[k - 1].rowid == c->ops[i].rowid)
				k--;
			c->ops[k++] = c->ops[i];
		}
		c->nops = k;
	}
	int64_t minr = append ? c->mrg[0].rowid : c->ops[0].rowid;
	int64_t maxr = append ? c->mrg[nrec - 1].rowid : c->ops[c->nops - 1].rowid;
	/* the term's key range */
	if (fts_term_range(&c->lo, &c->hi, pt->neg_id, pt->z, pt->n, 0))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	sdb_buf_reset(&c->seek);
	sdb_buf_add(&c->seek, c->lo.data, c->lo.len);
	sql_key_add_int(&c->seek, minr);
	if (!sdb_buf_ok(&c->lo) || !sdb_buf_ok(&c->hi) || !sdb_buf_ok(&c->seek))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (c->lo.len > 4000)
		return 0; /* a giant token: kept out of the index */
	sdb_buf_reset(&c->val);
	sdb_buf_reset(&c->oldkeys);
	c->nold = 0;
	int after = 0;               /* blocks past maxr stay in the store */
	if (append)
		goto write;
	pt->wvalid = 0;
	/* the block holding minr (the last one starting at or before it) */
	struct sdb_txn_iter *it = NULL;
	const unsigned char *k;
	size_t kn;
	struct sdb_val v;
	if ((rc = sdb_txn_iter_open(txn, c->lo.data, c->lo.len, c->hi.data, c->hi.len, 1, &it, e)))
		return rc;
	if ((rc = sdb_txn_iter_seek(it, c->seek.data, c->seek.len, e)) == 0)
		rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
	int have_start = rc == 1;
	if (have_start) {
		sdb_buf_reset(&c->seek);
		sdb_buf_add(&c->seek, k, kn);
	}
	sdb_txn_iter_close(it);
	it = NULL;
	if (rc < 0)
		return rc;
	/* the blocks from there that hold rows up to maxr, values copied */
	if ((rc = sdb_txn_iter_open(txn, have_start ? c->seek.data : c->lo.data,
				    have_start ? c->seek.len : c->lo.len, c->hi.data, c->hi.len,
				    0, &it, e)))
		return rc;
	int first_blk = 1;
	for (;;) {
		rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
		if (rc <= 0)
			break;
		struct fts_bhdr h;
		if (fts_block_header(v.data, v.len, &h)) {
			rc = sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
			break;
		}
		if (h.first > maxr) {
			after = 1;
			break;
		}
		/* a full block that ends before the new rows stays as it is */
		if (first_blk && h.last < minr && h.n >= FTS_BLOCK_MAX) {
			first_blk = 0;
			continue;
		}
		first_blk = 0;
		uint32_t kl = (uint32_t)kn, vl = (uint32_t)v.len;
		sdb_buf_add(&c->oldkeys, &kl, 4);
		sdb_buf_add(&c->oldkeys, k, kn);
		sdb_buf_add(&c->val, &vl, 4);
		sdb_buf_add(&c->val, v.data, v.len);
		if (!sdb_buf_ok(&c->oldkeys) || !sdb_buf_ok(&c->val)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			break;
		}
	}
	sdb_txn_iter_close(it);
	if (rc < 0)
		return rc;
	rc = 0;
	/* decode the old blocks (the values now live in c->val) */
	for (size_t off = 0; off < c->val.len;) {
		uint32_t vl;
		memcpy(&vl, c->val.data + off, 4);
		struct fts_bhdr h;
		if (fts_block_header(c->val.data + off + 4, vl, &h))
			return sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
		if (grow((void **)&c->old, &c->capold, c->nold + h.n, sizeof(*c->old)))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		if (fts_block_decode(&h, c->old + c->nold))
			return sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
		c->nold += h.n;
		off += 4 + vl;
	}
	/* merge: a record replaces (or removes) the old row */
	if (grow((void **)&c->mrg, &c->capmrg, c->nold + c->nops, sizeof(*c->mrg)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	nm = 0;
	long a = 0, b = 0;
	while (a < c->nold || b < c->nops) {
		if (b >= c->nops || (a < c->nold && c->old[a].rowid < c->ops[b].rowid))
			c->mrg[nm++] = c->old[a++];
		else {
			if (a < c->nold && c->old[a].rowid == c->ops[b].rowid)
				a++;
			if (!c->ops[b].del)
				c->mrg[nm++] = c->ops[b].p;
			b++;
		}
	}
write:;
	/* partial: the full blocks written, the rest kept pending */
	long nw = nm;
	int keep = c->partial && !after && nm > 0;
	if (keep)
		nw = nm / FTS_BLOCK_MAX * FTS_BLOCK_MAX;
	/* the new blocks, then the old keys no new block took */
	struct sdb_buf nk = SDB_BUF_INIT;
	for (long i = 0; i < nw && !rc;) {
		int n = nw - i < FTS_BLOCK_MAX ? (int)(nw - i) : FTS_BLOCK_MAX;
		/* an even split of the tail keeps blocks from getting tiny */
		if (nw - i > FTS_BLOCK_MAX && nw - i < FTS_BLOCK_MAX + FTS_BLOCK_MAX / 4)
			n = (int)((nw - i) / 2);
		if ((rc = fts_block_encode(&c->blk, c->mrg + i, n))) {
			rc = sdb_error_set(e, rc, "out of memory");
			break;
		}
		sdb_buf_reset(&c->seek);
		sdb_buf_add(&c->seek, c->lo.data, c->lo.len);
		sql_key_add_int(&c->seek, c->mrg[i].rowid);
		uint32_t kl = (uint32_t)c->seek.len;
		sdb_buf_add(&nk, &kl, 4);
		sdb_buf_add(&nk, c->seek.data, c->seek.len);
		if (!sdb_buf_ok(&c->seek) || !sdb_buf_ok(&nk)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			break;
		}
		rc = sdb_txn_put(txn, c->seek.data, c->seek.len, c->blk.data, c->blk.len, 0, e);
		i += n;
	}
	for (size_t off = 0; !rc && off < c->oldkeys.len;) {
		uint32_t kl;
		memcpy(&kl, c->oldkeys.data + off, 4);
		const char *ok = c->oldkeys.data + off + 4;
		int kept = 0;
		for (size_t o2 = 0; o2 < nk.len && !kept;) {
			uint32_t l2;
			memcpy(&l2, nk.data + o2, 4);
			kept = l2 == kl && !memcmp(nk.data + o2 + 4, ok, kl);
			o2 += 4 + l2;
		}
		if (!kept)
			rc = sdb_txn_del(txn, ok, kl, e);
		off += 4 + kl;
	}
	sdb_buf_release(&nk);
	if (rc || !c->partial)
		return rc;
	/* what the store now holds of it ends at wlast */
	if (!keep) {
		pt->wvalid = 0; /* all written (or removed): nothing pending */
		return 0;
	}
	pt->wvalid = nw || c->mrg[0].rowid != INT64_MIN;
	pt->wlast = nw ? c->mrg[nw - 1].rowid : pt->wvalid ? c->mrg[0].rowid - 1 : 0;
	for (long i = nw; keep && i < nm; i++) {
		const struct fts_posting *q = &c->mrg[i];
		unsigned char *o = room(c->x, pt, 30 + (size_t)q->plen), *o0 = o;
		if (!o)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		o += sdb_put_varint(o, zz((int64_t)((uint64_t)q->rowid - (uint64_t)pt->last)));
		o += sdb_put_varint(o, q->tf);
		o += sdb_put_varint(o, q->dl);
		memcpy(o, q->pos, q->plen);
		o += q->plen;
		pt->last = q->rowid;
		pt->tused += (uint32_t)(o - o0);
	}
	return 0;
}

/* The totals of a table: [rows, tokens of column 0, ...; 2] (format 2).
 * A record without the trailing 2 is format 1 (one key per term and
 * row): *old set. */
static int read_totals(struct sdb_txn *txn, int64_t neg_id, int ncol, int64_t *tot,
		       int *found, int *old, struct sdb_buf *kb, struct sdb_error *e)
{
	struct sdb_val v;
	struct sql_value cells[1026];
	int n = 0, rc;
	*found = *old = 0;
	memset(tot, 0, sizeof(int64_t) * (size_t)(ncol + 1));
	sql_fts_key(kb, neg_id, 0);
	if (!sdb_buf_ok(kb))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_txn_get(txn, kb->data, kb->len, &v, e);
	if (rc == SDB_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if ((rc = sql_record_decode(v.data, v.len, cells, ncol + 2 > 1026 ? 1026 : ncol + 2, &n, e)))
		return rc;
	*found = 1;
	*old = !(n == ncol + 2 && cells[ncol + 1].type == SQLV_INT && cells[ncol + 1].u.i == 2);
	for (int i = 0; i <= ncol && i < n; i++)
		tot[i] = cells[i].type == SQLV_INT ? cells[i].u.i : 0;
	return 0;
}

static const char *tab_name(struct sql_wstate *w, int64_t neg_id)
{
	for (int i = 0; i < w->cat->ntab; i++)
		if (w->cat->tabs[i] && -(int64_t)w->cat->tabs[i]->id == neg_id)
			return w->cat->tabs[i]->name;
	return "?";
}

static int old_format(const char *name, struct sdb_error *e)
{
	return sdb_error_set(e, SDB_EUNSUPPORTED,
			     "fts5 table %s has an index of format 1 (before posting blocks): "
			     "run INSERT INTO %s(%s) VALUES('rebuild')", name, name, name);
}

int sql_fts_check_format(struct sdb_txn *txn, const struct sql_table_def *t,
			 struct sdb_error *e)
{
	struct sdb_buf kb = SDB_BUF_INIT;
	int64_t tot[1026];
	int found, old, ncol = t->fts->ncol > 1024 ? 1024 : t->fts->ncol;
	int rc = read_totals(txn, t->fts->neg_id, ncol, tot, &found, &old, &kb, e);
	sdb_buf_release(&kb);
	if (!rc && found && old && tot[0] > 0)
		rc = old_format(t->name, e);
	return rc;
}

/* Writes x into the transaction (x itself is kept). */
static int write_idx(struct sql_wstate *w, struct pidx *x, int partial,
		     struct sdb_error *e)
{
	struct flushctx c;
	int rc = 0;
	if (!x->used && !x->ntab)
		return 0;
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.x = x;
	c.partial = partial;
	c.e = e;
	/* partial: the records are read from the old chunks, what stays
	 * pending goes to new ones */
	struct sdb_sql_arena oldrecs = x->recs;
	if (partial) {
		sdb_sql_arena_init(&x->recs);
		x->bytes = x->tbytes;
	}
	struct pterm **v = malloc(sizeof(*v) * (x->used + 1));
	if (!v)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < x->cap; i++)
		if (x->sl[i].h)
			v[n++] = x->sl[i].p;
	qsort(v, n, sizeof(*v), ptcmp);
	/* the totals first: they say whether the table's index is format 2 */
	int newly_fresh = 0;
	for (int i = 0; i < x->ntab && !rc; i++) {
		struct ptab *t = &x->tab[i];
		int64_t tot[1026];
		int found, old;
		if (t->ncol > 1024)
			rc = sdb_error_set(e, SDB_ELIMIT, "too many columns");
		else
			rc = read_totals(w->txn, t->neg_id, t->ncol, tot, &found, &old, &c.lo, e);
		if (rc)
			break;
		if (found && old && tot[0] > 0) {
			rc = old_format(tab_name(w, t->neg_id), e);
			break;
		}
		if (!t->fresh_set) {
			/* without totals a table has no blocks yet */
			t->fresh_set = 1;
			t->fresh = !found;
			newly_fresh |= t->fresh;
		}
		struct sql_value cells[1026];
		for (int k = 0; k <= t->ncol; k++)
			cells[k] = sql_int(tot[k] + (k == 0 ? t->drows : t->dtok[k - 1]));
		cells[t->ncol + 1] = sql_int(2);
		sdb_buf_reset(&c.val);
		sql_record_encode(&c.val, cells, t->ncol + 2);
		sql_fts_key(&c.lo, t->neg_id, 0);
		if (!sdb_buf_ok(&c.val) || !sdb_buf_ok(&c.lo))
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		else
			rc = sdb_txn_put(w->txn, c.lo.data, c.lo.len, c.val.data, c.val.len, 0, e);
	}
	for (size_t i = 0; newly_fresh && i < n; i++)
		for (int k = 0; k < x->ntab; k++)
			if (x->tab[k].neg_id == v[i]->neg_id && x->tab[k].fresh && !v[i]->wvalid) {
				v[i]->wvalid = 1;
				v[i]->wlast = INT64_MIN;
			}
	for (size_t i = 0; i < n && !rc; i++)
		rc = apply_term(&c, v[i]);
	if (partial) {
		/* the totals are in the store now */
		for (int i = 0; i < x->ntab; i++) {
			struct ptab *t = &x->tab[i];
			t->drows = 0;
			memset(t->dtok, 0, sizeof(int64_t) * ((size_t)t->ncol + 1));
		}
		sdb_sql_arena_release(&oldrecs);
		x->limit = x->bytes + pend_limit();
	}
	free(v);
	free(c.ops);
	free(c.old);
	free(c.mrg);
	sdb_buf_release(&c.lo);
	sdb_buf_release(&c.hi);
	sdb_buf_release(&c.seek);
	sdb_buf_release(&c.val);
	sdb_buf_release(&c.blk);
	sdb_buf_release(&c.oldkeys);
	return rc;
}

/* Past the limit: the full blocks of rows that go on past the store's
 * written, the rest kept (so a long load writes each block once). */
static int flush_part(struct sql_wstate *w, struct sdb_error *e)
{
	struct fts_pend *p = w->fts_pend;
	if (!p || !w->txn)
		return 0;
	int rc = write_idx(w, &p->P, 1, e);
	if (rc)
		pidx_free(&p->P);
	undo_reset(p);
	return rc;
}

int sql_fts_flush(struct sql_wstate *w, struct sdb_error *e)
{
	struct fts_pend *p = w->fts_pend;
	int rc;
	if (!p || !w->txn)
		return 0;
	rc = write_idx(w, &p->P, 0, e);
	pidx_free(&p->P);
	undo_reset(p);
	return rc;
}

int sql_fts_flush_read(struct sql_wstate *w, struct sdb_error *e)
{
	struct fts_pend *p = w->fts_pend;
	int rc;
	if (!p || !w->txn || (!p->P.used && !p->P.ntab))
		return 0;
	if (w->stmt_sp < 0 || p->has_r)
		return sql_fts_flush(w, e);
	/* inside a statement of BEGIN: what was pending before it is kept
	 * aside until it ends, for its rollback */
	if ((rc = write_idx(w, &p->P, 0, e)))
		return rc;
	undo_to(p, &p->P, 0);
	p->R = p->P;
	memset(&p->P, 0, sizeof(p->P));
	p->has_r = 1;
	return 0;
}

int sql_fts_stmt_done(struct sql_wstate *w, struct sdb_error *e)
{
	struct fts_pend *p = w->fts_pend;
	if (!p)
		return 0;
	if (p->has_r) {
		pidx_free(&p->R);
		p->has_r = 0;
	}
	p->hold = 0;
	undo_reset(p);
	if (over(&p->P, 1))
		return flush_part(w, e);
	return 0;
}

void sql_fts_stmt_undo(struct sql_wstate *w)
{
	struct fts_pend *p = w->fts_pend;
	if (!p)
		return;
	p->hold = 0;
	if (p->has_r) {
		pidx_free(&p->P);
		p->P = p->R;
		memset(&p->R, 0, sizeof(p->R));
		p->has_r = 0;
	} else
		undo_to(p, &p->P, 0);
	undo_reset(p);
}

void sql_fts_discard(struct sql_wstate *w)
{
	struct fts_pend *p = w->fts_pend;
	if (!p)
		return;
	pidx_free(&p->P);
	pidx_free(&p->R);
	p->has_r = 0;
	p->hold = 0;
	undo_reset(p);
}

size_t sql_fts_mark(struct sql_wstate *w)
{
	struct fts_pend *p = pend(w);
	if (!p)
		return 0;
	p->hold = 1;
	p->ugen++; /* a record since the mark takes back to the mark */
	return p->undo.len;
}

void sql_fts_unmark(struct sql_wstate *w, size_t mark, int undo)
{
	struct fts_pend *p = w->fts_pend;
	if (!p)
		return;
	p->hold = 0;
	if (undo && mark <= p->undo.len)
		undo_to(p, &p->P, mark);
}
