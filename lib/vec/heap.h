/*
 * heap.h - search candidates (distance, node) and the binary heaps over
 * them, shared by the graph search (hnsw.c) and the flat index (flat.c).
 * Private to lib/vec.
 *
 * The max-heap breaks distance ties by node number (larger on top), so
 * the k best of a set are the same whatever order they arrive in.
 */
#ifndef SDB_VEC_HEAP_H
#define SDB_VEC_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct cand {
	float d;
	uint32_t id;
};

/*
 * One binary heap, two orders: before(a, b) says a belongs above b. The
 * order is a constant at every use, so after inlining no call is left.
 */
typedef int (*cand_before_fn)(struct cand a, struct cand b);

static inline __attribute__((always_inline)) void
heap_push(struct cand *h, size_t *len, struct cand x, cand_before_fn before)
{
	size_t i = (*len)++;

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(x, h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static inline __attribute__((always_inline)) struct cand
heap_pop(struct cand *h, size_t *len, cand_before_fn before)
{
	struct cand top = h[0], x = h[--(*len)];
	size_t i = 0, n = *len;

	for (;;) {
		size_t l = 2 * i + 1, m;
		if (l >= n)
			break;
		m = l + 1 < n && before(h[l + 1], h[l]) ? l + 1 : l;
		if (!before(h[m], x))
			break;
		h[i] = h[m];
		i = m;
	}
	if (n)
		h[i] = x;
	return top;
}

/* min-heap on d */
static inline int minh_before(struct cand a, struct cand b)
{
	return a.d < b.d;
}

static inline void minh_push(struct cand *h, size_t *len, struct cand x)
{
	heap_push(h, len, x, minh_before);
}

static inline struct cand minh_pop(struct cand *h, size_t *len)
{
	return heap_pop(h, len, minh_before);
}

/* max-heap on d (ties: larger id on top, so results are deterministic) */
static inline int maxh_less(struct cand a, struct cand b)
{
	return a.d < b.d || (a.d == b.d && a.id < b.id);
}

static inline int maxh_before(struct cand a, struct cand b)
{
	return maxh_less(b, a);
}

static inline void maxh_push(struct cand *h, size_t *len, struct cand x)
{
	heap_push(h, len, x, maxh_before);
}

static inline struct cand maxh_pop(struct cand *h, size_t *len)
{
	return heap_pop(h, len, maxh_before);
}

/* qsort order: nearest first, ties by node number. */
static inline int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

#endif
