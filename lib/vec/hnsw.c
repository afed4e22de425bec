/*
 * hnsw.c - HNSW build (parallel insert) and search (hnsw.h). The
 * candidate heaps are vec/heap.h's; the flat index (vec/flat.c) and the
 * orderings (vec/order.c) live beside it.
 */
#include "vec/hnsw.h"
#include "util/array.h"
#include "util/buf.h"
#include "vec/flat.h"
#include "vec/heap.h"
#include "vec/order.h"
#include "vec/quant.h"
#include "vec/rng.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#define prefetch(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define cpu_relax() do { } while (0)
#define prefetch(p) __builtin_prefetch(p)
#endif

struct sdb_hnsw_ctx {
	uint16_t *visited; /* the filtered walks' epochs (two marks) */
	uint16_t epoch;
	uint64_t *vbits;   /* search_layer's visited set: a bit a node */
	uint32_t *vdirty;  /* the words of vbits set since the last reset */
	size_t nvdirty;    /* VDIRTY_CAP + 1: too many, clear them all */
	uint64_t n;
	struct cand *cq;   /* min-heap of candidates to expand */
	size_t cq_len, cq_cap;
	struct cand *top;  /* max-heap of the best ef found */
	size_t top_len, top_cap;
	struct cand *w;    /* sorted scratch; search_layer's pool */
	size_t w_cap;
	uint8_t *wdone;    /* the pool's entries already expanded */
	size_t wdone_cap;
	struct cand *sel;  /* heuristic output */
	uint32_t *nb;      /* neighbour list copy */
	uint32_t *todo;
	uint64_t ndist;
	float *qbf;        /* the query against a bf16 copy (query_space) */
	size_t qbf_cap;
	struct sdb_sq8_query sqq; /* an SQ8 build's folded query */
	float *sqw;        /* its weights (stride floats) */
	size_t sqw_cap;
};

/* A layer search visits about ef * M nodes: a word each at most. */
#define VDIRTY_CAP 8192

struct sdb_hnsw_ctx *sdb_hnsw_ctx_new(uint64_t n, uint32_t M0)
{
	struct sdb_hnsw_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->n = n;
	c->visited = calloc(n ? n : 1, sizeof(uint16_t));
	c->vbits = calloc((n + 63) / 64 + 1, sizeof(uint64_t));
	c->vdirty = malloc(VDIRTY_CAP * sizeof(uint32_t));
	c->cq_cap = c->top_cap = c->w_cap = 256;
	c->cq = malloc(c->cq_cap * sizeof(struct cand));
	c->top = malloc(c->top_cap * sizeof(struct cand));
	c->w = malloc(c->w_cap * sizeof(struct cand));
	c->sel = malloc(((size_t)M0 + 2) * sizeof(struct cand));
	c->nb = malloc(((size_t)M0 + 2) * sizeof(uint32_t));
	c->todo = malloc(((size_t)M0 + 2) * sizeof(uint32_t));
	if (!c->visited || !c->vbits || !c->vdirty || !c->cq || !c->top || !c->w || !c->sel ||
	    !c->nb || !c->todo) {
		sdb_hnsw_ctx_free(c);
		return NULL;
	}
	return c;
}

void sdb_hnsw_ctx_free(struct sdb_hnsw_ctx *c)
{
	if (!c)
		return;
	free(c->visited);
	free(c->vbits);
	free(c->vdirty);
	free(c->cq);
	free(c->top);
	free(c->w);
	free(c->wdone);
	free(c->sel);
	free(c->nb);
	free(c->todo);
	free(c->qbf);
	free(c->sqw);
	free(c);
}

/*
 * search_layer's visited set is a bitmap (n / 8 bytes: sift's 100k nodes
 * in 12.5 KiB, near the core, where a u16 epoch a node took 200 KiB);
 * a reset clears only the words the last search set.
 * @return 1 when v was not visited yet (and marks it).
 */
static inline int visit(struct sdb_hnsw_ctx *c, uint32_t v)
{
	uint64_t *w = &c->vbits[v >> 6], b = (uint64_t)1 << (v & 63);

	if (*w & b)
		return 0;
	if (!*w) {
		if (c->nvdirty < VDIRTY_CAP)
			c->vdirty[c->nvdirty] = v >> 6;
		c->nvdirty += c->nvdirty <= VDIRTY_CAP;
	}
	*w |= b;
	return 1;
}

static void visit_reset(struct sdb_hnsw_ctx *c)
{
	if (c->nvdirty > VDIRTY_CAP)
		memset(c->vbits, 0, (c->n + 63) / 64 * sizeof(uint64_t));
	else
		for (size_t i = 0; i < c->nvdirty; i++)
			c->vbits[c->vdirty[i]] = 0;
	c->nvdirty = 0;
}

static void new_epoch(struct sdb_hnsw_ctx *c)
{
	if (++c->epoch == 0) {
		memset(c->visited, 0, c->n * sizeof(uint16_t));
		c->epoch = 1;
	}
}

/* ---- graph access --------------------------------------------------- */

/* Critical sections are a few dozen instructions; if the holder was
 * preempted (a busy machine), yield instead of burning the time slice. */
static inline void spin_lock(uint8_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
		unsigned spins = 0;
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
			if (++spins < 256)
				cpu_relax();
			else
				sched_yield();
		}
	}
}

static inline void spin_unlock(uint8_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* The list of node id at level; NULL when a damaged file points outside. */
static inline const uint32_t *list_at(const struct sdb_hnsw_graph *g, uint32_t id,
				      uint32_t level)
{
	if (level == 0)
		return g->links0 + (size_t)id * (g->M0 + 1);
	if (g->untrusted) {
		uint64_t off = (uint64_t)g->upper_off[id] + (uint64_t)(level - 1) * (g->M + 1);
		if (level > g->levels[id] || off + g->M + 1 > g->upper_len)
			return NULL;
		return g->upper + off;
	}
	return g->upper + g->upper_off[id] + (size_t)(level - 1) * (g->M + 1);
}

static inline uint32_t *list_mut(struct sdb_hnsw *h, uint32_t id, uint32_t level)
{
	return (uint32_t *)list_at(&h->g, id, level);
}

/* Writes to a list during the build (under its node's lock); readers
 * load without the lock (read_list), so the stores are atomic too. */
static inline void store_id(uint32_t *slot, uint32_t id)
{
	__atomic_store_n(slot, id, __ATOMIC_RELAXED);
}

static inline void store_count(uint32_t *l, uint32_t cnt)
{
	__atomic_store_n(&l[0], cnt, __ATOMIC_RELEASE);
}

/*
 * Copies node id's list at level into c->nb (under its lock while
 * building). @return the count; ids that a damaged file puts out of
 * range are dropped -- or, with unchecked (a caller that tests each id
 * against g->n), left in place of the copy.
 */
static inline uint32_t read_list(const struct sdb_hnsw_graph *g, uint8_t *locks,
				 struct sdb_hnsw_ctx *c, uint32_t id, uint32_t level,
				 const uint32_t **out, int unchecked)
{
	const uint32_t *l = list_at(g, id, level);
	uint32_t cnt, cap = level ? g->M : g->M0;

	if (!l)
		return 0;
	if (locks) {
		/* No lock: a list is only ever rewritten in place with valid
		 * node ids (the arrays start zeroed), so a read racing a
		 * writer sees each slot old or new and a count no larger than
		 * cap -- a mix that is still a list of real nodes, which is
		 * all a best-first search needs. Taking the lock here made
		 * every read an exclusive cache-line transfer between cores
		 * and waited out the pruning in add_link. */
		cnt = __atomic_load_n(&l[0], __ATOMIC_ACQUIRE);
		if (cnt > cap)
			cnt = cap;
		for (uint32_t i = 0; i < cnt; i++)
			c->nb[i] = __atomic_load_n(&l[1 + i], __ATOMIC_RELAXED);
		*out = c->nb;
		return cnt;
	}
	cnt = l[0];
	if (g->untrusted) {
		uint32_t k = 0;
		if (unchecked) {
			/* the caller skips the ids out of range itself */
			*out = l + 1;
			return cnt > cap ? cap : cnt;
		}
		if (cnt > cap)
			cnt = cap;
		for (uint32_t i = 0; i < cnt; i++)
			if (l[1 + i] < g->n)
				c->nb[k++] = l[1 + i];
		*out = c->nb;
		return k;
	}
	*out = l + 1;
	return cnt;
}

#define VEC(g, i) ((g)->vecs + (size_t)(i) * (g)->dim)

/*
 * The vectors distances are computed on: the float32 rows themselves, or
 * during a reduced-precision build a bfloat16 copy (rows padded to 32
 * values; the kernels take them through a float pointer) or SQ8 codes
 * (sq set: rows of sq->stride bytes). exact, in a compressed space, is
 * the float32 distance over the caller's rows (xvecs, xdim floats) that
 * candidates are re-ranked with.
 *
 * A search compares a query with stored rows (sdist): the query is a row
 * of the same space, except in an SQ8 build, where it is the node's own
 * float32 row folded with the quantiser (quant.h's query-to-code
 * distance: only the stored side carries quantisation error, about half
 * the error of comparing two codes). Choosing neighbours compares stored
 * nodes with each other (ndist): in a re-ranked build with the exact
 * distances, the same scale as the re-ranked candidates' distances.
 */
struct space {
	sdb_vec_dist_fn fn;
	const char *base;
	size_t stride, dim;
	const struct sdb_sq8 *sq;
	sdb_sq8_query_dist_fn sqqfn;
	int metric;
	sdb_vec_dist_fn exact;
	const float *xvecs;
	size_t xdim;
};
#define SVEC(sp, i) ((const float *)(const void *)((sp)->base + (size_t)(i) * (sp)->stride))
#define XVEC(sp, i) ((sp)->xvecs + (size_t)(i) * (sp)->xdim)

/* q: a row of the space, or in an SQ8 space a struct sdb_sq8_query */
static inline float sdist(const struct space *sp, const void *q, uint32_t i)
{
	if (sp->sq)
		return sp->sqqfn((const struct sdb_sq8_query *)q,
				 (const uint8_t *)(const void *)SVEC(sp, i));
	return sp->fn((const float *)q, SVEC(sp, i), sp->dim);
}
#define SDIST(sp, a, i) sdist((sp), (a), (i))

static inline float ndist(const struct space *sp, uint32_t a, uint32_t b)
{
	if (sp->exact)
		return sp->exact(XVEC(sp, a), XVEC(sp, b), sp->xdim);
	return sp->fn(SVEC(sp, a), SVEC(sp, b), sp->dim);
}

/* The query a search for node i starts from (see struct space). */
static const void *query_of(const struct space *sp, struct sdb_hnsw_ctx *c, uint32_t i)
{
	if (!sp->sq)
		return SVEC(sp, i);
	sdb_sq8_query_prep(&c->sqq, sp->sq, sp->metric, XVEC(sp, i), c->sqw);
	return &c->sqq;
}

/* Greedy descent on one upper layer: the closest node reachable by
 * always moving to a strictly closer neighbour. */
/* While building, written[i] is the lowest layer whose list node i has
 * written (0xff: none yet). A node still being inserted by another thread
 * must not become the entry point of a layer it has not linked yet: its
 * empty list would end the search there. */
static inline int ready_below(const uint8_t *written, uint32_t id, uint32_t level)
{
	return !written || level == 0 ||
	       __atomic_load_n(&written[id], __ATOMIC_ACQUIRE) <= level - 1;
}

static void greedy(const struct sdb_hnsw_graph *g, uint8_t *locks, const uint8_t *written,
		   struct sdb_hnsw_ctx *c, const struct space *sp, const void *q,
		   uint32_t level, uint32_t *ep, float *epd)
{
	int changed = 1;

	while (changed) {
		const uint32_t *nb;
		uint32_t cnt = read_list(g, locks, c, *ep, level, &nb, 1);
		changed = 0;
		for (uint32_t i = 0; i < cnt; i++) {
			if (nb[i] >= g->n)
				continue;
			float d = SDIST(sp, q, nb[i]);
			c->ndist++;
			if (d < *epd && ready_below(written, nb[i], level)) {
				*epd = d;
				*ep = nb[i];
				changed = 1;
			}
		}
	}
}

/* Moves c->top into c->w sorted nearest first; see below. */
static size_t drain_sorted(struct sdb_hnsw_ctx *c);

/*
 * The neighbours of node id at level not visited yet, into c->todo
 * (marked visited), the first lines of their rows prefetched.
 * @return their count.
 */
static inline uint32_t gather(const struct sdb_hnsw_graph *g, uint8_t *locks,
			      struct sdb_hnsw_ctx *c, const struct space *sp, uint32_t id,
			      uint32_t level, size_t row_lines)
{
	const uint32_t *nb;
	uint32_t cnt = read_list(g, locks, c, id, level, &nb, 1), ntodo = 0;

	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t v = nb[i];
		if (v >= g->n || !visit(c, v))
			continue;
		c->todo[ntodo++] = v;
		const char *pv = (const char *)SVEC(sp, v);
		for (size_t ln = 0; ln < row_lines; ln++)
			prefetch(pv + 64 * ln);
	}
	return ntodo;
}

/* The distance of c->todo[i], the later lines of the next row fetched. */
static inline float todo_dist(const struct space *sp, const struct sdb_hnsw_ctx *c,
			      const void *q, uint32_t i, uint32_t ntodo)
{
	if (i + 1 < ntodo) {
		const char *pv = (const char *)SVEC(sp, c->todo[i + 1]);
		for (size_t ln = 4; ln < 8 && ln * 64 < sp->stride; ln++)
			prefetch(pv + 64 * ln);
	}
	return SDIST(sp, q, c->todo[i]);
}

static inline void prefetch_list(const struct sdb_hnsw_graph *g, uint32_t id, uint32_t level,
				 size_t list_lines)
{
	/* a layer-0 list is 4 * (2M + 1) bytes: all its lines */
	const char *pl = (const char *)list_at(g, id, level);

	if (pl)
		for (size_t ln = 0; ln < list_lines; ln++)
			prefetch(pl + 64 * ln);
}

/* Up to this ef the results are kept in a sorted pool, above it in heaps. */
#define POOL_MAX 1024

/*
 * Best-first search of one layer from ep for the ef nearest nodes,
 * written to c->w nearest first (by distance, ties by node number), their
 * count to *nw. Up to POOL_MAX the candidates are NSG's sorted pool: the
 * ef best found, each marked once expanded, the nearest unexpanded one
 * expanded next, until none is left -- the expansions of the classic
 * pair of heaps (a min-heap of candidates, a max-heap of results) without
 * their pushes and pops (mispredicted at every level) or the final sort.
 * @return 0 or -1 when an array could not grow.
 */
static int search_layer(const struct sdb_hnsw_graph *g, uint8_t *locks,
			struct sdb_hnsw_ctx *c, const struct space *sp, const void *q,
			uint32_t ep, float epd, uint32_t ef, uint32_t level, size_t *nw)
{
	size_t row_lines = (sp->stride + 63) / 64;
	size_t list_lines = ((level ? g->M : g->M0) + 1) * sizeof(uint32_t) / 64 + 1;
	struct cand *w;
	uint8_t *done;
	size_t len = 1, cur = 0;

	*nw = 0;
	if (row_lines > 4)
		row_lines = 4;
	visit_reset(c);
	visit(c, ep);
	if (ef > POOL_MAX) {
		c->cq_len = c->top_len = 0;
		if (sdb_grow((void **)&c->top, &c->top_cap, (size_t)ef + 2, sizeof(*c->top), 256))
			return -1;
		minh_push(c->cq, &c->cq_len, (struct cand){ epd, ep });
		maxh_push(c->top, &c->top_len, (struct cand){ epd, ep });
		while (c->cq_len) {
			struct cand x = minh_pop(c->cq, &c->cq_len);
			uint32_t ntodo;

			if (x.d > c->top[0].d && c->top_len >= ef)
				break;
			/* the next candidate's list is the likely next miss */
			if (c->cq_len)
				prefetch_list(g, c->cq[0].id, level, list_lines);
			ntodo = gather(g, locks, c, sp, x.id, level, row_lines);
			if (c->cq_cap < c->cq_len + ntodo + 1 &&
			    sdb_grow((void **)&c->cq, &c->cq_cap, c->cq_len + ntodo + 1,
				     sizeof(*c->cq), 256))
				return -1;
			for (uint32_t i = 0; i < ntodo; i++) {
				float d = todo_dist(sp, c, q, i, ntodo);
				if (c->top_len < ef || d < c->top[0].d) {
					struct cand y = { d, c->todo[i] };
					minh_push(c->cq, &c->cq_len, y);
					maxh_push(c->top, &c->top_len, y);
					if (c->top_len > ef)
						maxh_pop(c->top, &c->top_len);
				}
			}
			c->ndist += ntodo;
		}
		*nw = drain_sorted(c);
		return *nw ? 0 : -1;
	}
	if (sdb_grow((void **)&c->w, &c->w_cap, (size_t)ef + 2, sizeof(*c->w), 256) ||
	    sdb_grow((void **)&c->wdone, &c->wdone_cap, (size_t)ef + 2, 1, 256))
		return -1;
	w = c->w;
	done = c->wdone;
	w[0] = (struct cand){ epd, ep };
	done[0] = 0;
	while (cur < len) {
		size_t next = cur + 1, low = len;
		uint32_t ntodo;

		done[cur] = 1;
		while (next < len && done[next])
			next++;
		if (next < len)
			prefetch_list(g, w[next].id, level, list_lines);
		ntodo = gather(g, locks, c, sp, w[cur].id, level, row_lines);
		for (uint32_t i = 0; i < ntodo; i++) {
			struct cand y = { todo_dist(sp, c, q, i, ntodo), c->todo[i] };
			size_t lo = 0, hi = len;
			if (len >= ef && !(y.d < w[len - 1].d))
				continue;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (maxh_less(y, w[mid]))
					hi = mid;
				else
					lo = mid + 1;
			}
			if (len >= ef)
				len--;
			memmove(w + lo + 1, w + lo, (len - lo) * sizeof(*w));
			memmove(done + lo + 1, done + lo, len - lo);
			w[lo] = y;
			done[lo] = 0;
			len++;
			if (lo < low)
				low = lo;
		}
		c->ndist += ntodo;
		cur = low <= cur ? low : cur + 1;
		while (cur < len && done[cur])
			cur++;
	}
	*nw = len;
	return 0;
}

/* A candidate as one integer that orders as (d, id) does: the float's
 * bits made monotonic (negative distances of ip flip) above the id. */
static inline uint64_t cand_key(struct cand x)
{
	uint32_t b;

	memcpy(&b, &x.d, sizeof(b));
	b ^= (b >> 31) ? 0xffffffffu : 0x80000000u;
	return (uint64_t)b << 32 | x.id;
}

static inline struct cand key_cand(uint64_t k)
{
	uint32_t b = (uint32_t)(k >> 32);
	struct cand x;

	b ^= (b >> 31) ? 0x80000000u : 0xffffffffu;
	memcpy(&x.d, &b, sizeof(b));
	x.id = (uint32_t)k;
	return x;
}

/* Bottom-up merge sort of n keys, a and t n each; the merge selects
 * without branches (a heap's pops mispredict at every level). @return
 * the array that holds the result. */
static uint64_t *sort_keys(uint64_t *a, uint64_t *t, size_t n)
{
	/* runs of 4 by insertion first */
	for (size_t lo = 0; lo < n; lo += 4) {
		size_t hi = lo + 4 < n ? lo + 4 : n;
		for (size_t i = lo + 1; i < hi; i++) {
			uint64_t x = a[i];
			size_t j = i;
			while (j > lo && a[j - 1] > x) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = x;
		}
	}
	for (size_t w = 4; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t m = lo + w < n ? lo + w : n, e = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = m, k = lo;
			while (i < m && j < e) {
				uint64_t x = a[i], y = a[j];
				int tk = y < x;
				t[k++] = tk ? y : x;
				j += tk;
				i += !tk;
			}
			while (i < m)
				t[k++] = a[i++];
			while (j < e)
				t[k++] = a[j++];
		}
		uint64_t *sw = a;
		a = t;
		t = sw;
	}
	return a;
}

/* Moves c->top into c->w sorted nearest first (by distance, ties by
 * node number: the order the max-heap's pops give). @return the count. */
static size_t drain_sorted(struct sdb_hnsw_ctx *c)
{
	size_t n = c->top_len;
	uint64_t ka[512], kt[512], *r;

	if (sdb_grow((void **)&c->w, &c->w_cap, n + 1, sizeof(*c->w), 256))
		return 0;
	if (n > 512) {
		for (size_t i = n; i > 0; i--)
			c->w[i - 1] = maxh_pop(c->top, &c->top_len);
		return n;
	}
	for (size_t i = 0; i < n; i++)
		ka[i] = cand_key(c->top[i]);
	r = sort_keys(ka, kt, n);
	for (size_t i = 0; i < n; i++)
		c->w[i] = key_cand(r[i]);
	c->top_len = 0;
	return n;
}

/*
 * The neighbour-selection heuristic: walk candidates nearest first and
 * keep one only when it is closer to the base than to every neighbour
 * already kept. Writes up to m into out. @return the count.
 */
static uint32_t select_heuristic(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
				 const struct space *sp, const struct cand *w, size_t nw,
				 uint32_t m, struct cand *out)
{
	uint32_t k = 0;

	if (nw <= m) {
		memcpy(out, w, nw * sizeof(*w));
		return (uint32_t)nw;
	}
	for (size_t i = 0; i < nw && k < m; i++) {
		int good = 1;
		for (uint32_t j = 0; j < k; j++) {
			c->ndist++;
			if (ndist(sp, w[i].id, out[j].id) < w[i].d) {
				good = 0;
				break;
			}
		}
		if (good)
			out[k++] = w[i];
	}
	return k;
}

/* Adds q to s's list at level, pruning with the heuristic when full. */
static void add_link(struct sdb_hnsw *h, struct sdb_hnsw_ctx *c, const struct space *sp,
		     uint32_t s, uint32_t q, float dq, uint32_t level)
{
	const struct sdb_hnsw_graph *g = &h->g;
	uint32_t cap = level ? g->M : g->M0;
	uint32_t *l = list_mut(h, s, level);
	struct cand tmp[2 * 256 + 2];
	struct cand *cs = cap + 1 <= 2 * 256 + 2 ? tmp : NULL;
	uint32_t cnt, k;

	spin_lock(&h->locks[s]);
	cnt = l[0];
	for (uint32_t i = 0; i < cnt; i++)
		if (l[1 + i] == q)
			goto out;
	if (cnt < cap) {
		store_id(&l[1 + cnt], q);
		store_count(l, cnt + 1);
		goto out;
	}
	if (!cs)
		cs = malloc(((size_t)cap + 1) * sizeof(*cs));
	if (!cs)
		goto out; /* no memory: keep the old list, the graph stays valid */
	cs[0] = (struct cand){ dq, q };
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t v = l[1 + i];
		cs[i + 1] = (struct cand){ ndist(sp, s, v), v };
	}
	c->ndist += cnt;
	qsort(cs, (size_t)cnt + 1, sizeof(*cs), cand_cmp);
	k = select_heuristic(g, c, sp, cs, (size_t)cnt + 1, cap, c->sel);
	for (uint32_t i = 0; i < k; i++)
		store_id(&l[1 + i], c->sel[i].id);
	store_count(l, k);
	if (cs != tmp)
		free(cs);
out:
	spin_unlock(&h->locks[s]);
}

/*
 * A compressed build's candidates c->w[0..nw) for node q get float32
 * distances over the caller's rows and are sorted again, so the
 * neighbours are chosen (and the links pruned) on exact distances.
 */
static void rerank(const struct space *sp, struct sdb_hnsw_ctx *c, uint32_t q, size_t nw)
{
	const float *x = XVEC(sp, q);

	for (size_t i = 0; i < nw; i++) {
		if (i + 1 < nw)
			prefetch(XVEC(sp, c->w[i + 1].id));
		c->w[i].d = sp->exact(x, XVEC(sp, c->w[i].id), sp->xdim);
	}
	c->ndist += nw;
	qsort(c->w, nw, sizeof(*c->w), cand_cmp);
}

/* See enum sdb_hnsw_insert. @return 0, or SDB_ENOMEM with *out NULL. */
static int local_order(const struct sdb_hnsw *h, uint64_t seed, uint32_t **out,
		       struct sdb_error *e)
{
	uint64_t n = h->g.n, k = 1, s = seed ^ 0x5eed0bd3ull, extra = 0;
	uint32_t *perm = NULL, *order = NULL, nc = (uint32_t)(sqrt((double)n) / 3);
	uint8_t *head = NULL;
	int rc;

	/* Regions of ~3 sqrt(n) rows: sift's 100k in 105 of 950 rows (a
	 * region's vectors, 475 KiB, stay in a 1 MiB L2 while it is
	 * inserted). Three Lloyd steps on 50 rows a centroid are plenty for
	 * an order; sqrt(n) centroids after six steps on 20,000 cost 12% of
	 * that build (a third as many distances as the inserts), and the
	 * smaller regions cost recall on tightly clustered data. */
	*out = NULL;
	if ((rc = sdb_hnsw_kmeans_perm(h, seed, nc, 3, 50 * (uint64_t)nc, &perm, e)))
		return rc;
	order = malloc(n * sizeof(uint32_t));
	head = calloc(n, 1);
	if (!order || !head) {
		free(perm);
		free(order);
		free(head);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory for the insertion order");
	}
	/* The skeleton is a random fifth up to 400,000 rows, then grows
	 * with n to 65% of the rows at 1,000,000 and beyond: on 1M x 96 in
	 * 1,000 tight clusters a fifth lost 0.01-0.02 of recall@10 at every
	 * ef against hnswlib's random order (the same at 1 thread and 2),
	 * half lost up to 0.005, 65% came within 0.004 (means over 3 seeds,
	 * scripts/bench/ann-results.txt, block O; the input order costs 29%
	 * more build CPU, half 8%). Beyond the fifth, a row joins with
	 * probability extra / 800, so that below 400,000 rows the draws are
	 * those of a fifth alone. */
	if (n > 400000)
		extra = n >= 1000000 ? 450 : (n - 400000) * 3 / 4000;
	order[0] = 0;
	for (uint64_t i = 1; i < n; i++)
		if (sdb_vec_rng_next(&s) % 5 == 0 || (extra && sdb_vec_rng_next(&s) % 800 < extra)) {
			order[k++] = (uint32_t)i;
			head[i] = 1;
		}
	/* the skeleton in random order (Fisher-Yates over order[1..k)) */
	for (uint64_t j = k - 1; j > 1; j--) {
		uint64_t r = 1 + sdb_vec_rng_next(&s) % j;
		uint32_t t = order[j];
		order[j] = order[r];
		order[r] = t;
	}
	for (uint64_t i = 0; i < n; i++)
		if (perm[i] && !head[perm[i]])
			order[k++] = perm[i];
	free(perm);
	free(head);
	*out = order;
	return 0;
}

struct build_shared {
	pthread_mutex_t global;
	int failed;
};

static int insert(struct sdb_hnsw *h, struct build_shared *sh, struct sdb_hnsw_ctx *c,
		  const struct space *sp, uint32_t q)
{
	struct sdb_hnsw_graph *g = &h->g;
	const void *v = query_of(sp, c, q);
	uint32_t level = h->levels[q], maxl, ep, top;
	struct cand chosen[256], merge[256 + 2 * 256];
	int holding;
	float epd;

	pthread_mutex_lock(&sh->global);
	maxl = g->max_level;
	ep = g->entry;
	holding = level > maxl;
	if (!holding)
		pthread_mutex_unlock(&sh->global);
	epd = SDIST(sp, v, ep);
	c->ndist++;
	for (uint32_t l = maxl; l > level; l--)
		greedy(g, h->locks, h->written, c, sp, v, l, &ep, &epd);
	top = level < maxl ? level : maxl;
	for (uint32_t l = top + 1; l-- > 0;) {
		uint32_t m = h->params.M, k;
		size_t nw;
		uint32_t *mine;

		if (search_layer(g, h->locks, c, sp, v, ep, epd, h->params.ef_construction, l, &nw) ||
		    !nw) {
			sh->failed = 1;
			break;
		}
		if (sp->exact)
			rerank(sp, c, q, nw);
		k = select_heuristic(g, c, sp, c->w, nw, m, c->sel);
		/* c->sel is reused below: keep a copy of the choice */
		memcpy(chosen, c->sel, k * sizeof(*chosen));
		mine = list_mut(h, q, l);
		spin_lock(&h->locks[q]);
		if (mine[0] == 0) {
			for (uint32_t i = 0; i < k; i++)
				store_id(&mine[1 + i], chosen[i].id);
			store_count(mine, k);
		} else {
			/* Another thread reached q through a layer linked
			 * already and added itself to this list meanwhile:
			 * merge, never overwrite, or that node loses its only
			 * way in. */
			uint32_t cap = l ? g->M : g->M0, nm = 0, old = mine[0];
			for (uint32_t i = 0; i < k; i++)
				merge[nm++] = chosen[i];
			for (uint32_t i = 0; i < old && i < cap; i++) {
				uint32_t o = mine[1 + i], dup = 0;
				for (uint32_t j = 0; j < k; j++)
					dup |= chosen[j].id == o;
				if (!dup)
					merge[nm++] = (struct cand){ ndist(sp, q, o), o };
			}
			if (nm > cap) {
				qsort(merge, nm, sizeof(*merge), cand_cmp);
				nm = select_heuristic(g, c, sp, merge, nm, cap, c->sel);
				memcpy(merge, c->sel, nm * sizeof(*merge));
			}
			for (uint32_t i = 0; i < nm; i++)
				store_id(&mine[1 + i], merge[i].id);
			store_count(mine, nm);
		}
		spin_unlock(&h->locks[q]);
		for (uint32_t i = 0; i < k; i++)
			add_link(h, c, sp, chosen[i].id, q, chosen[i].d, l);
		__atomic_store_n(&h->written[q], (uint8_t)l, __ATOMIC_RELEASE);
		{
			size_t j = 0;
			while (j + 1 < nw && !ready_below(h->written, c->w[j].id, l))
				j++;
			if (!ready_below(h->written, c->w[j].id, l))
				j = 0;
			ep = c->w[j].id;
			epd = sp->exact ? SDIST(sp, v, ep) : c->w[j].d;
		}
	}
	if (holding) {
		g->entry = q;
		g->max_level = level;
		pthread_mutex_unlock(&sh->global);
	}
	return 0;
}

/* ---- connectivity repair --------------------------------------------- */

/*
 * Parallel inserts and the heuristic's pruning can leave a node that no
 * reachable layer-0 list names any more (identical vectors and tight
 * clusters do it most): a search never finds it, and a query for k = n
 * neighbours comes back short. After the build, as NSG and DiskANN do, a
 * breadth-first walk of layer 0 from the entry point finds every node a
 * search cannot reach, and each gets a link from its nearest reachable
 * node (a layer-0 search from the entry point, whose results are
 * reachable by construction): into a free slot, else in place of that
 * node's farthest link that is safe to drop. A link s -> f is safe when f
 * keeps a breadth-first parent other than s (an in-link from a node one
 * step nearer the entry point): f's shortest path then avoids s -> f, so
 * no depth changes and nothing is cut off. The walk's depths stay exact
 * through safe repairs, and each repair extends the walk from the node it
 * linked in (often a whole island at once), so one pass reaches every
 * node. Only when no candidate has a safe slot is a link dropped unsafely
 * and the walk redone (a few rounds at most; a search that still comes
 * back short is finished exactly, see sdb_hnsw_search). A connected graph
 * (the common case) costs one walk over n * M0 ids.
 */
#define UNREACHED UINT32_MAX

struct reach {
	uint32_t *depth;  /* steps from the entry point, UNREACHED */
	uint32_t *par;    /* in-links from nodes at depth - 1 */
	uint32_t *queue;  /* the reached nodes in breadth-first order */
	uint64_t tail;
};

/* Extends the walk from root, just reached at depth d. */
static void reach_from(const struct sdb_hnsw_graph *g, struct reach *r, uint32_t root,
		       uint32_t d)
{
	uint64_t head = r->tail;

	r->depth[root] = d;
	r->par[root] = 1;
	r->queue[r->tail++] = root;
	while (head < r->tail) {
		uint32_t x = r->queue[head++], dx = r->depth[x] + 1;
		const uint32_t *l = g->links0 + (size_t)x * (g->M0 + 1);
		for (uint32_t i = 0; i < l[0]; i++) {
			uint32_t v = l[1 + i];
			if (r->depth[v] == UNREACHED) {
				r->depth[v] = dx;
				r->par[v] = 1;
				r->queue[r->tail++] = v;
			} else if (r->depth[v] == dx)
				r->par[v]++;
		}
	}
}

/* 1 when dropping s's link to f cuts nothing off. */
static inline int safe_to_drop(const struct sdb_hnsw_graph *g, const struct reach *r,
			       uint32_t s, uint32_t f)
{
	return f == g->entry || r->depth[s] + 1 != r->depth[f] || r->par[f] >= 2;
}

/*
 * Links node u (not reached) from its nearest reached node.
 * @return 1 (safely), 0 (a link was dropped unsafely) or -1 (no memory).
 */
static int relink(struct sdb_hnsw *h, struct sdb_hnsw_ctx *c, const struct space *sp,
		  struct reach *r, uint32_t u)
{
	const struct sdb_hnsw_graph *g = &h->g;
	const void *v = query_of(sp, c, u);
	uint32_t ef = h->params.ef_construction < 16 ? 16 : h->params.ef_construction;
	uint32_t best = UNREACHED, slot = 0, *l;
	int safe = 1;
	size_t nw;

	c->ndist++;
	if (search_layer(g, NULL, c, sp, v, g->entry, SDIST(sp, v, g->entry), ef, 0, &nw) || !nw)
		return -1;
	for (size_t i = 0; i < nw && best == UNREACHED; i++) {
		uint32_t s = c->w[i].id;
		float far = -1;
		l = list_mut(h, s, 0);
		if (l[0] < g->M0) {
			best = s;
			slot = l[0];
			break;
		}
		for (uint32_t j = 0; j < l[0]; j++) {
			float d;
			if (!safe_to_drop(g, r, s, l[1 + j]))
				continue;
			d = ndist(sp, s, l[1 + j]);
			c->ndist++;
			if (d > far) {
				far = d;
				best = s;
				slot = j;
			}
		}
	}
	if (best == UNREACHED) {
		/* no candidate can spare a link: drop the nearest one's
		 * farthest, and let the next round re-link what it cuts */
		float far = -1;
		best = c->w[0].id;
		l = list_mut(h, best, 0);
		for (uint32_t j = 0; j < l[0]; j++) {
			float d = ndist(sp, best, l[1 + j]);
			c->ndist++;
			if (d > far) {
				far = d;
				slot = j;
			}
		}
		safe = 0;
	}
	l = list_mut(h, best, 0);
	if (slot == l[0])
		l[0]++;
	else if (r->depth[best] + 1 == r->depth[l[1 + slot]])
		r->par[l[1 + slot]]--;
	l[1 + slot] = u;
	reach_from(g, r, u, r->depth[best] + 1);
	return safe;
}

/* @return the number of nodes linked in, or -1 when out of memory. */
static int64_t repair_reach(struct sdb_hnsw *h, struct sdb_hnsw_ctx *c, const struct space *sp)
{
	const struct sdb_hnsw_graph *g = &h->g;
	struct reach r;
	int64_t fixed = 0;

	r.depth = malloc(g->n * sizeof(uint32_t));
	r.par = malloc(g->n * sizeof(uint32_t));
	r.queue = malloc(g->n * sizeof(uint32_t));
	if (!r.depth || !r.par || !r.queue) {
		fixed = -1;
		goto out;
	}
	for (int round = 0, exact = 0; round < 8 && !exact; round++) {
		memset(r.depth, 0xff, g->n * sizeof(uint32_t));
		r.tail = 0;
		reach_from(g, &r, g->entry, 0);
		exact = 1;
		for (uint64_t u = 0; u < g->n && r.tail < g->n; u++) {
			int rc;
			if (r.depth[u] != UNREACHED)
				continue;
			if ((rc = relink(h, c, sp, &r, (uint32_t)u)) < 0) {
				fixed = -1;
				goto out;
			}
			exact &= rc;
			fixed++;
		}
	}
out:
	free(r.depth);
	free(r.par);
	free(r.queue);
	return fixed;
}

void sdb_hnsw_free(struct sdb_hnsw *h)
{
	if (!h)
		return;
	free(h->levels);
	free(h->links0);
	free(h->upper_off);
	free(h->upper);
	free(h->locks);
	free(h->written);
	free(h->bf16);
	free(h);
}

int sdb_hnsw_insert_parse(const char *s)
{
	if (!strcmp(s, "input"))
		return SDB_INSERT_INPUT;
	if (!strcmp(s, "local"))
		return SDB_INSERT_LOCAL;
	return -1;
}

const char *sdb_hnsw_insert_name(int order)
{
	return order == SDB_INSERT_LOCAL ? "local" : order == SDB_INSERT_INPUT ? "input" : "unknown";
}

int sdb_hnsw_precision_parse(const char *s)
{
	static const char *const names[] = { "auto", "f32", "bf16", "sq8" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *sdb_hnsw_precision_name(int precision)
{
	switch (precision) {
	case SDB_PREC_AUTO: return "auto";
	case SDB_PREC_F32: return "f32";
	case SDB_PREC_BF16: return "bf16";
	case SDB_PREC_SQ8: return "sq8";
	}
	return "unknown";
}

uint64_t sdb_hnsw_graph_bytes(uint64_t n, uint32_t M, int threads)
{
	/* links0 (count + 2M ids), levels, upper_off, locks, written; the
	 * upper layers: a node has 1/(M-1) of them on average, (M+1) u32
	 * each (with a margin: levels are random); a visited array (u16)
	 * and bitmap per thread; the repair's three u32 arrays, or before the inserts
	 * the local insertion order's 20 bytes a node while it is sorted */
	uint64_t per = 4 * (2 * (uint64_t)M + 1) + 1 + 4 + 1 + 1;
	uint64_t upper = n * 4 * (M + 1) / (M > 2 ? M - 2 : 1);

	if (threads < 1)
		threads = 1;
	return n * per + upper + (n * 2 + n / 8 + 8) * (uint64_t)threads + n * 20 +
	       ((uint64_t)threads << 20);
}

uint64_t sdb_hnsw_copy_bytes(uint64_t n, uint32_t dim, int precision)
{
	if (precision == SDB_PREC_BF16)
		return n * (((uint64_t)dim + 31) & ~(uint64_t)31) * 2;
	if (precision == SDB_PREC_SQ8)
		return sdb_sq8_bytes(n, dim);
	return 0;
}

static uint64_t need_for(uint64_t n, uint32_t dim, int metric, int prec, uint64_t graph)
{
	uint64_t f32 = n * dim * 4;

	if (prec == SDB_PREC_F32)
		return graph + (metric == SDB_VEC_COSINE ? 2 * f32 : f32);
	return graph + sdb_hnsw_copy_bytes(n, dim, prec) + (metric == SDB_VEC_COSINE ? f32 : 0);
}

int sdb_hnsw_fit_budget(uint64_t budget, uint64_t n, uint32_t dim, uint32_t M, int metric,
			int threads, int *precision, struct sdb_error *e)
{
	static const int order[] = { SDB_PREC_F32, SDB_PREC_BF16, SDB_PREC_SQ8 };
	uint64_t graph = sdb_hnsw_graph_bytes(n, M, threads);
	uint64_t least = need_for(n, dim, metric, SDB_PREC_SQ8, graph);

	if (*precision != SDB_PREC_AUTO) {
		uint64_t need = need_for(n, dim, metric, *precision, graph);
		if (need <= budget)
			return 0;
		return sdb_error_set(e, SDB_ELIMIT,
				     "memory budget %.1f MiB is too small for a %s build of %llu vectors: "
				     "it needs %.1f MiB (graph %.1f MiB)",
				     (double)budget / 1048576.0, sdb_hnsw_precision_name(*precision),
				     (unsigned long long)n, (double)need / 1048576.0,
				     (double)graph / 1048576.0);
	}
	/* room for float32 and a bf16 copy: the automatic choice stands */
	if (need_for(n, dim, metric, SDB_PREC_F32, graph) + sdb_hnsw_copy_bytes(n, dim, SDB_PREC_BF16) <=
	    budget)
		return 0;
	for (int i = 0; i < 3; i++)
		if (need_for(n, dim, metric, order[i], graph) <= budget) {
			*precision = order[i];
			return 0;
		}
	if (graph > budget)
		return sdb_error_set(e, SDB_ELIMIT,
				     "memory budget %.1f MiB is too small for the graph of %llu vectors "
				     "(M %u: %.1f MiB); the smallest build (sq8) needs %.1f MiB",
				     (double)budget / 1048576.0, (unsigned long long)n, M,
				     (double)graph / 1048576.0, (double)least / 1048576.0);
	return sdb_error_set(e, SDB_ELIMIT,
			     "memory budget %.1f MiB is too small for %llu vectors: the smallest build "
			     "(sq8) needs %.1f MiB (graph %.1f MiB)",
			     (double)budget / 1048576.0, (unsigned long long)n, (double)least / 1048576.0,
			     (double)graph / 1048576.0);
}

int sdb_hnsw_build(const float *vecs, uint64_t n, uint32_t dim,
		   const struct sdb_hnsw_params *p, sdb_hnsw_progress_fn progress,
		   void *arg, struct sdb_hnsw **out, struct sdb_error *e)
{
	struct sdb_hnsw *h;
	struct build_shared sh;
	struct sdb_hnsw_ctx **ctx = NULL;
	struct space spc = { .fn = sdb_vec_metric_fn(p->metric), .base = (const char *)vecs,
			     .stride = (size_t)dim * sizeof(float), .dim = dim };
	const struct space *sp = &spc;
	uint16_t *bf = NULL;
	uint8_t *codes = NULL;
	struct sdb_sq8 sq = { 0 };
	int prec = p->precision;
	uint64_t rng = p->seed, upper_len = 0;
	uint32_t *order = NULL;
	double ml;
	int nthreads = 1, rc = 0;

	*out = NULL;
	if (p->M < 2 || p->M > 255)
		return sdb_error_set(e, SDB_EINVAL, "max-connections must be in 2..255 (got %u)", p->M);
	if (p->ef_construction < 1)
		return sdb_error_set(e, SDB_EINVAL, "ef-construction must be at least 1");
	if (n == 0)
		return sdb_error_set(e, SDB_EINVAL, "no vectors to index");
	if (n > UINT32_MAX - 1)
		return sdb_error_set(e, SDB_ELIMIT, "too many vectors (%llu; at most %u)",
				     (unsigned long long)n, UINT32_MAX - 1);
	h = calloc(1, sizeof(*h));
	if (!h)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	h->params = *p;
	h->g.n = n;
	h->g.dim = dim;
	h->g.M = p->M;
	h->g.M0 = 2 * p->M;
	h->g.metric = p->metric;
	h->g.vecs = vecs;
	h->levels = malloc(n);
	h->upper_off = calloc(n, sizeof(uint32_t));
	h->links0 = calloc(n * (h->g.M0 + 1), sizeof(uint32_t));
	h->locks = calloc(n, 1);
	h->written = malloc(n);
	if (!h->levels || !h->upper_off || !h->links0 || !h->locks || !h->written) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory for the graph of %llu nodes",
				   (unsigned long long)n);
		goto fail;
	}
	/* The lists are read at random: on 4 KiB pages nearly every list
	 * read is a TLB miss (a page walk, dearer still in a VM). The
	 * calloc'd pages are untouched yet, so the advice takes effect. */
	sdb_mem_advise_big(h->links0, n * (h->g.M0 + 1) * sizeof(uint32_t));
	/* Levels first, from the seed alone: the graph does not depend on
	 * which thread inserts what. */
	ml = 1.0 / log((double)p->M);
	for (uint64_t i = 0; i < n; i++) {
		double u = sdb_vec_rng_unit(&rng);
		double lv = floor(-log(u) * ml);
		uint32_t l = lv > SDB_HNSW_MAX_LEVEL ? SDB_HNSW_MAX_LEVEL : (uint32_t)lv;
		h->levels[i] = (uint8_t)l;
		h->upper_off[i] = (uint32_t)upper_len;
		upper_len += (uint64_t)l * (p->M + 1);
		if (upper_len > UINT32_MAX) {
			rc = sdb_error_set(e, SDB_ELIMIT, "graph too large");
			goto fail;
		}
	}
	h->upper = calloc(upper_len ? upper_len : 1, sizeof(uint32_t));
	if (!h->upper) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto fail;
	}
	sdb_mem_advise_big(h->upper, upper_len * sizeof(uint32_t));
	if (prec == SDB_PREC_AUTO)
		prec = p->metric != SDB_VEC_L2 && dim >= 256 && sdb_vec_has_bf16() ? SDB_PREC_BF16
										 : SDB_PREC_F32;
	h->precision_used = prec;
	if (prec == SDB_PREC_BF16) {
		size_t pd = ((size_t)dim + 31) & ~(size_t)31;
		bf = calloc(n * pd, sizeof(uint16_t));
		if (!bf) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory for the bfloat16 copy");
			goto fail;
		}
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
		for (uint64_t i = 0; i < n; i++)
			sdb_vec_to_bf16(bf + i * pd, vecs + i * dim, dim);
		spc.fn = sdb_vec_bf16_metric_fn(p->metric);
		spc.base = (const char *)bf;
		spc.stride = pd * sizeof(uint16_t);
		spc.dim = pd;
		h->copy_bytes = n * pd * sizeof(uint16_t);
	} else if (prec == SDB_PREC_SQ8) {
		if ((rc = sdb_sq8_train(&sq, vecs, n, dim, e)))
			goto fail;
		codes = malloc(sdb_sq8_bytes(n, dim));
		if (!codes) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory for the SQ8 copy");
			goto fail;
		}
		sdb_sq8_encode_rows(&sq, vecs, n, codes);
		spc.base = (const char *)codes;
		spc.stride = sq.stride;
		spc.dim = sq.stride;
		spc.sq = &sq;
		spc.sqqfn = sdb_sq8_query_fn(p->metric);
		spc.metric = p->metric;
		spc.exact = sdb_vec_metric_fn(p->metric);
		spc.xvecs = vecs;
		spc.xdim = dim;
		h->copy_bytes = sdb_sq8_bytes(n, dim);
	} else if (prec != SDB_PREC_F32) {
		rc = sdb_error_set(e, SDB_EINVAL, "unknown build precision %d", prec);
		goto fail;
	}
	h->g.levels = h->levels;
	h->g.links0 = h->links0;
	h->g.upper_off = h->upper_off;
	h->g.upper = h->upper;
	h->g.upper_len = upper_len;
	h->g.entry = 0;
	h->g.max_level = h->levels[0];
	memset(h->written, 0xff, n);
	h->written[0] = 0; /* the first node is complete: it has no neighbours */

#ifdef _OPENMP
	nthreads = p->threads > 0 ? p->threads : omp_get_max_threads();
	if (nthreads < 1)
		nthreads = 1;
#endif
	h->threads_used = nthreads;
	ctx = calloc((size_t)nthreads, sizeof(*ctx));
	if (!ctx) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto fail;
	}
	for (int t = 0; t < nthreads; t++) {
		if (!(ctx[t] = sdb_hnsw_ctx_new(n, h->g.M0))) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto fail;
		}
		if (spc.sq && !(ctx[t]->sqw = malloc(spc.sq->stride * sizeof(float)))) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (p->insert_order == SDB_INSERT_LOCAL && n > 2 &&
	    (rc = local_order(h, p->seed, &order, e)))
		goto fail;
	pthread_mutex_init(&sh.global, NULL);
	sh.failed = 0;
	{
		/* One parallel loop over every node (no barrier per batch: a
		 * preempted thread must not stall the others); thread 0
		 * reports progress every batch_size insertions. */
		uint64_t bs = p->batch_size ? p->batch_size : 1000;
		uint64_t done = 1;
		int cancel = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
		{
			int t = 0;
			uint64_t next = bs;
#ifdef _OPENMP
			t = omp_get_thread_num();
#pragma omp for schedule(dynamic, 16) nowait
#endif
			for (uint64_t i = 1; i < n; i++) {
				uint64_t d;
				if (__atomic_load_n(&cancel, __ATOMIC_RELAXED))
					continue;
				insert(h, &sh, ctx[t], sp, order ? order[i] : (uint32_t)i);
				d = __atomic_add_fetch(&done, 1, __ATOMIC_RELAXED);
				if (t == 0 && progress && d >= next && d < n) {
					next = d + bs;
					if (progress(arg, d, n))
						__atomic_store_n(&cancel, 1, __ATOMIC_RELAXED);
				}
			}
		}
		if (sh.failed)
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory during the build");
		else if (cancel)
			rc = sdb_error_set(e, SDB_EINVAL, "cancelled");
	}
	if (!rc) {
		int64_t fixed = repair_reach(h, ctx[0], sp);
		if (fixed < 0)
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory repairing the graph");
		else
			h->relinked = (uint64_t)fixed;
	}
	if (!rc && progress && progress(arg, n, n))
		rc = sdb_error_set(e, SDB_EINVAL, "cancelled");
	pthread_mutex_destroy(&sh.global);
	free(order);
	order = NULL;
	for (int t = 0; t < nthreads; t++) {
		h->distances += ctx[t]->ndist;
		sdb_hnsw_ctx_free(ctx[t]);
	}
	free(ctx);
	ctx = NULL;
	/* the codes served the build only: queries search the float32 rows */
	free(codes);
	codes = NULL;
	sdb_sq8_free(&sq);
	if (rc)
		goto fail;
	/* keep the bf16 copy: the index stores it for bf16 searches */
	h->bf16 = bf;
	if (bf) {
		h->g.vecs_bf16 = bf;
		h->g.bf16_dim = (uint32_t)spc.dim;
	}
	*out = h;
	return 0;
fail:
	free(order);
	free(bf);
	free(codes);
	sdb_sq8_free(&sq);
	if (ctx) {
		for (int t = 0; t < nthreads; t++)
			sdb_hnsw_ctx_free(ctx[t]);
		free(ctx);
	}
	sdb_hnsw_free(h);
	return rc;
}

/*
 * The space a query walks: the bfloat16 copy when g has one, else the
 * float32 rows. Against the copy the query stays float32 (laid out for
 * the mixed kernel in c->qbf; *qs points at it) -- on a CPU with
 * AVX512-BF16 it is rounded to bf16 too, for the dot-product instruction.
 * @return 0, or -1 when the query's copy could not grow.
 */
static int query_space(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c, const float *q,
		       struct space *spc, const float **qs)
{
	int mixed = !sdb_vec_has_bf16();

	*spc = (struct space){ .fn = sdb_vec_metric_fn(g->metric), .base = (const char *)g->vecs,
			       .stride = (size_t)g->dim * sizeof(float), .dim = g->dim };
	*qs = q;
	if (g->codes && g->sq8.dim == g->dim) {
		/* the float32 query folded with the quantiser: one pass over
		 * a row's code bytes per distance */
		if (c->sqw_cap < g->sq8.stride) {
			float *nw = realloc(c->sqw, g->sq8.stride * sizeof(float));
			if (!nw)
				return -1;
			c->sqw = nw;
			c->sqw_cap = g->sq8.stride;
		}
		sdb_sq8_query_prep(&c->sqq, &g->sq8, g->metric, q, c->sqw);
		spc->sq = &g->sq8;
		spc->sqqfn = sdb_sq8_query_fn(g->metric);
		spc->metric = g->metric;
		spc->base = (const char *)g->codes;
		spc->stride = g->sq8.stride;
		spc->dim = g->sq8.stride;
		*qs = (const float *)(const void *)&c->sqq;
		return 0;
	}
	if (!g->vecs_bf16 || g->bf16_dim < g->dim)
		return 0;
	if (c->qbf_cap < g->bf16_dim) {
		float *nq = realloc(c->qbf, g->bf16_dim * sizeof(float));
		if (!nq)
			return -1;
		c->qbf = nq;
		c->qbf_cap = g->bf16_dim;
	}
	if (mixed) {
		sdb_vec_bf16q_prep(c->qbf, q, g->dim, g->bf16_dim);
		spc->fn = sdb_vec_bf16q_metric_fn(g->metric);
	} else {
		uint16_t *qh = (uint16_t *)(void *)c->qbf;
		memset(qh, 0, g->bf16_dim * sizeof(uint16_t));
		sdb_vec_to_bf16(qh, q, g->dim);
		spc->fn = sdb_vec_bf16_metric_fn(g->metric);
	}
	spc->base = (const char *)g->vecs_bf16;
	spc->stride = (size_t)g->bf16_dim * sizeof(uint16_t);
	spc->dim = g->bf16_dim;
	*qs = c->qbf;
	return 0;
}

/*
 * The walk's nw results in c->w (nearest first, distances in sp): in a
 * bf16 space the best 2k are re-ranked with float32 distances (the bf16
 * order's error is a few parts in a thousand, so the best 2k hold the
 * true top k); in an SQ8 space, whose error is a few times larger, the
 * best max(2k, nw / 4) (at ef 256 on 768-dimensional ip rows the best
 * 2k lost 0.002 of recall@10, a quarter of the results none). Writes up
 * to k ids and float32 distances. @return the count.
 */
static uint32_t finish_top(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			   const struct space *sp, const float *q, size_t nw, uint32_t k,
			   uint32_t *ids, float *dists)
{
	sdb_vec_dist_fn exact = sdb_vec_metric_fn(g->metric);
	uint32_t n;

	if (sp->sq || sp->fn != exact) {
		size_t want = 2 * (size_t)k;
		if (sp->sq && nw / 4 > want)
			want = nw / 4;
		size_t nr = want < nw ? want : nw;
		size_t rl = (g->dim * sizeof(float) + 63) / 64;
		for (size_t i = 0; i < nr && i < 2; i++)
			for (size_t ln = 0; ln < rl; ln++)
				prefetch((const char *)VEC(g, c->w[i].id) + 64 * ln);
		for (size_t i = 0; i < nr; i++) {
			if (i + 2 < nr)
				for (size_t ln = 0; ln < rl; ln++)
					prefetch((const char *)VEC(g, c->w[i + 2].id) + 64 * ln);
			c->w[i].d = exact(q, VEC(g, c->w[i].id), g->dim);
		}
		qsort(c->w, nr, sizeof(*c->w), cand_cmp);
		nw = nr;
	}
	n = nw < k ? (uint32_t)nw : k;
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = c->w[i].id;
		dists[i] = c->w[i].d;
	}
	return n;
}

uint32_t sdb_hnsw_search(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			 const float *q, uint32_t k, uint32_t ef, uint32_t *ids,
			 float *dists)
{
	struct space spc;
	const struct space *sp = &spc;
	const float *qs;
	uint32_t ep = g->entry, n;
	size_t nw;
	float epd;

	if (!g->n || ep >= g->n)
		return 0;
	if (ef < k)
		ef = k;
	if (query_space(g, c, q, &spc, &qs))
		return 0;
	epd = SDIST(sp, qs, ep);
	for (uint32_t l = g->max_level; l > 0; l--)
		greedy(g, NULL, NULL, c, sp, qs, l, &ep, &epd);
	if (search_layer(g, NULL, c, sp, qs, ep, epd, ef, 0, &nw))
		return 0;
	n = finish_top(g, c, sp, q, nw, k, ids, dists);
	if (n < k && n < g->n) {
		/* The walk met fewer than k nodes (it entered layer 0 in a
		 * part of the graph with no way out, or a damaged file): the
		 * answer is finished exactly, never short. On no memory the
		 * walk's results stand. */
		uint32_t m = sdb_vec_exact_knn(g->vecs, g->n, g->dim, g->metric, q, k, ids, dists);
		if (m > n)
			n = m;
	}
	return n;
}

/*
 * Filtered search in the manner of ACORN-1 (Patel et al., SIGMOD 2024)
 * and hnswlib's filter: the greedy descent of the upper layers ignores
 * the filter (it only finds a good place to enter layer 0); on layer 0
 * only passing nodes enter the results, and the stop bound is the ef-th
 * passing distance. Two ways to test (hnsw.h):
 *   when taken (met = 0): every node is walked through, passing or not,
 *     so a failing node's neighbours (two hops from the node before it)
 *     are reached and the walk keeps the whole graph's connectivity; a
 *     node is tested when it is taken from the queue (nearest first), so
 *     the filter runs on about ef / selectivity nodes, the distances
 *     (cheap) on their neighbours;
 *   when met (met = 1): each new neighbour is tested at once; those that
 *     pass are queued, those that fail only next to a passing node (a
 *     failing node is a bridge one hop wide: the passing nodes two hops
 *     away are reached), so distances are computed for the passing nodes
 *     and their failing neighbours only. A queued entry carries FAILED.
 * Distances in the query's space (bf16 when the graph has the copy, the
 * best re-ranked in float32).
 */
#define FAILED 0x80000000u
/* a node's test: the bitmap's bit when the walk has one, else the call */
#define PASSES(v) (bits ? (int)((bits[(v) >> 6] >> ((v) & 63)) & 1) : filter(arg, (v)))

/*
 * ACORN-1's neighbour list of a taken node (met = 2): its unseen
 * neighbours that pass, then, for each that fails, the unseen passing
 * neighbours of that one (two hops), truncated at M0 candidates, into
 * c->todo; distances are computed only for passing nodes. A failing
 * neighbour is marked seen once its list is read (its passing
 * neighbours are then all seen); a failing node met two hops away is
 * not (another passing node may still need it as a bridge). The
 * failing neighbours' lists are fetched while the first hop is tested.
 * @return 0 or the filter's error.
 */
static int64_t two_hop(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
		       const struct space *sp, const uint32_t *nb, uint32_t cnt, uint16_t seen,
		       sdb_hnsw_filter_fn filter, void *arg, const uint64_t *bits, uint64_t *tests,
		       uint32_t *ntodo)
{
	size_t row_lines = (sp->stride + 63) / 64;
	uint32_t nf = 0, n = 0, cap = g->M0;
	int f;

	if (row_lines > 4)
		row_lines = 4;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t v = nb[i];
		if (c->visited[v] == seen)
			continue;
		(*tests)++;
		if ((f = PASSES(v)) < 0)
			return f;
		if (!f) {
			c->sel[nf++].id = v;
			prefetch(list_at(g, v, 0));
			continue;
		}
		if (n < cap) {
			c->visited[v] = seen;
			c->todo[n++] = v;
			const char *pv = (const char *)SVEC(sp, v);
			for (size_t ln = 0; ln < row_lines; ln++)
				prefetch(pv + 64 * ln);
		}
	}
	for (uint32_t i = 0; i < nf && n < cap; i++) {
		uint32_t v = c->sel[i].id;
		const uint32_t *l = list_at(g, v, 0);
		uint32_t m = l ? l[0] : 0;

		c->visited[v] = seen;
		if (m > g->M0)
			m = g->M0;
		for (uint32_t j = 0; j < m && n < cap; j++) {
			uint32_t w = l[1 + j];
			if (w >= g->n)
				continue;
			if (bits) {
				/* most fail: the small bitmap before the
				 * visited marks */
				if (!((bits[w >> 6] >> (w & 63)) & 1) || c->visited[w] == seen)
					continue;
			} else {
				if (c->visited[w] == seen)
					continue;
				(*tests)++;
				if ((f = filter(arg, w)) < 0)
					return f;
				if (!f)
					continue;
			}
			c->visited[w] = seen;
			c->todo[n++] = w;
			const char *pw = (const char *)SVEC(sp, w);
			for (size_t ln = 0; ln < row_lines; ln++)
				prefetch(pw + 64 * ln);
		}
	}
	*ntodo = n;
	return 0;
}

static int64_t walk_filtered(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			     const float *q, uint32_t k, uint32_t ef, int met,
			     sdb_hnsw_filter_fn filter, void *arg, const uint64_t *bits,
			     uint64_t max_tests,
			     uint32_t *ids, float *dists, struct sdb_hnsw_fstats *st)
{
	struct space spc;
	const struct space *sp = &spc;
	const float *qs;
	size_t row_lines;
	uint32_t ep = g->entry;
	uint64_t tests = 0;
	uint16_t dropped = 0, seen;
	float epd;
	int64_t rc = 0;
	int f = 1;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!g->n || ep >= g->n)
		return 0;
	if (g->n >= FAILED)
		met = 0; /* no spare bit in the ids */
	if (ef < k)
		ef = k;
	if (query_space(g, c, q, &spc, &qs))
		return SDB_ENOMEM;
	row_lines = (sp->stride + 63) / 64;
	if (row_lines > 4)
		row_lines = 4;
	epd = SDIST(sp, qs, ep);
	for (uint32_t l = g->max_level; l > 0; l--)
		greedy(g, NULL, NULL, c, sp, qs, l, &ep, &epd);
	if (sdb_grow((void **)&c->top, &c->top_cap, (size_t)ef + 2, sizeof(*c->top), 256))
		return SDB_ENOMEM;
	/* seen: in the queue, or taken; dropped (when met): failed, met
	 * through a failing node, so not queued, but a passing node may
	 * still queue it (a pair of epochs that wraps is skipped) */
	if (met) {
		do {
			new_epoch(c);
			dropped = c->epoch;
			new_epoch(c);
			seen = c->epoch;
		} while (seen != (uint16_t)(dropped + 1));
	} else {
		new_epoch(c);
		seen = c->epoch;
	}
	c->cq_len = c->top_len = 0;
	c->visited[ep] = seen;
	if (met) {
		tests++;
		if ((f = PASSES(ep)) < 0)
			return f;
	}
	minh_push(c->cq, &c->cq_len, (struct cand){ epd, ep | (f ? 0 : FAILED) });
	for (int first = 1; c->cq_len; first = 0) {
		struct cand cur = minh_pop(c->cq, &c->cq_len);
		uint32_t id = cur.id & ~FAILED, failed = cur.id & FAILED;
		const uint32_t *nb = NULL;
		uint32_t cnt, ntodo = 0;

		if (c->top_len >= ef && cur.d > c->top[0].d)
			break;
		if (tests >= max_tests)
			break;
		/* as search_layer: the next candidate's list is the likely
		 * next miss, then this one's neighbours' vectors */
		if (c->cq_len)
			prefetch(list_at(g, c->cq[0].id & ~FAILED, 0));
		cnt = read_list(g, NULL, c, id, 0, &nb, 0);
		if (first)
			failed = 0; /* the entry point is a bridge either way */
		if (met == 2) {
			int64_t r = two_hop(g, c, sp, nb, cnt, seen, filter, arg, bits, &tests,
						    &ntodo);
			if (r < 0) {
				rc = r;
				goto out;
			}
			cnt = 0;
		}
		for (uint32_t i = 0; i < cnt; i++) {
			uint32_t v = nb[i], mark = 0;
			uint16_t t = c->visited[v];
			if (t == seen || (met && t == dropped && failed))
				continue;
			if (met && t == dropped) {
				mark = FAILED;
			} else if (met) {
				tests++;
				if ((f = PASSES(v)) < 0) {
					rc = f;
					goto out;
				}
				if (!f && failed) {
					c->visited[v] = dropped;
					continue;
				}
				mark = f ? 0 : FAILED;
			}
			c->visited[v] = seen;
			c->todo[ntodo++] = v | mark;
			const char *pv = (const char *)SVEC(sp, v);
			for (size_t ln = 0; ln < row_lines; ln++)
				prefetch(pv + 64 * ln);
		}
		if (!met) {
			tests++;
			if ((f = PASSES(id)) < 0) {
				rc = f;
				goto out;
			}
			failed = f ? 0 : FAILED;
		} else {
			failed = cur.id & FAILED;
		}
		if (!failed) {
			maxh_push(c->top, &c->top_len, (struct cand){ cur.d, id });
			if (c->top_len > ef)
				maxh_pop(c->top, &c->top_len);
		}
		if (c->cq_cap < c->cq_len + ntodo + 1 &&
		    sdb_grow((void **)&c->cq, &c->cq_cap, c->cq_len + ntodo + 1, sizeof(*c->cq), 256))
			return SDB_ENOMEM;
		for (uint32_t i = 0; i < ntodo; i++) {
			uint32_t v = c->todo[i] & ~FAILED;
			float d;
			if (i + 1 < ntodo) {
				const char *pv = (const char *)SVEC(sp, c->todo[i + 1] & ~FAILED);
				for (size_t ln = 4; ln < 8 && ln * 64 < sp->stride; ln++)
					prefetch(pv + 64 * ln);
			}
			d = SDIST(sp, qs, v);
			c->ndist++;
			if (c->top_len < ef || d < c->top[0].d)
				minh_push(c->cq, &c->cq_len, (struct cand){ d, c->todo[i] });
		}
	}
	rc = finish_top(g, c, sp, q, drain_sorted(c), k, ids, dists);
out:
	if (st) {
		st->tests = tests;
		st->exhausted = tests >= max_tests && c->cq_len;
	}
	return rc;
}

int64_t sdb_hnsw_search_filtered(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
				 const float *q, uint32_t k, uint32_t ef,
				 sdb_hnsw_filter_fn filter, void *arg, uint64_t max_tests,
				 uint32_t *ids, float *dists, struct sdb_hnsw_fstats *st)
{
	return walk_filtered(g, c, q, k, ef, 0, filter, arg, NULL, max_tests, ids, dists, st);
}

int64_t sdb_hnsw_search_acorn(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			      const float *q, uint32_t k, uint32_t ef,
			      sdb_hnsw_filter_fn filter, void *arg, uint64_t max_tests,
			      uint32_t *ids, float *dists, struct sdb_hnsw_fstats *st)
{
	return walk_filtered(g, c, q, k, ef, 1, filter, arg, NULL, max_tests, ids, dists, st);
}

int64_t sdb_hnsw_search_bits(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			     const float *q, uint32_t k, uint32_t ef, const uint64_t *bits,
			     int how, uint32_t *ids, float *dists)
{
	return walk_filtered(g, c, q, k, ef, how, NULL, NULL, bits, UINT64_MAX, ids, dists, NULL);
}
