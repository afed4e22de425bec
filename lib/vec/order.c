/*
 * order.c - node orderings for locality (order.h): sort keys from random
 * projections or k-means centroids, or a breadth-first numbering.
 */
#include "vec/order.h"
#include "vec/distance.h"
#include "vec/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VEC(g, i) ((g)->vecs + (size_t)(i) * (g)->dim)

int sdb_hnsw_ordering_parse(const char *s)
{
	if (!strcmp(s, "none"))
		return SDB_ORDER_NONE;
	if (!strcmp(s, "random_projection"))
		return SDB_ORDER_RANDOM_PROJECTION;
	if (!strcmp(s, "kmeans"))
		return SDB_ORDER_KMEANS;
	if (!strcmp(s, "block"))
		return SDB_ORDER_BLOCK;
	return -1;
}

const char *sdb_hnsw_ordering_name(int o)
{
	switch (o) {
	case SDB_ORDER_NONE: return "none";
	case SDB_ORDER_RANDOM_PROJECTION: return "random_projection";
	case SDB_ORDER_KMEANS: return "kmeans";
	case SDB_ORDER_BLOCK: return "block";
	}
	return "unknown";
}

struct keyed {
	uint64_t key;
	uint32_t id;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static double rand_gauss(uint64_t *s)
{
	double u = sdb_vec_rng_unit(s);
	double v = sdb_vec_rng_unit(s);
	return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Sort key: 16 sign bits of random projections (a locality-sensitive
 * hash), so vectors in the same cone land next to each other. */
static int perm_random_projection(const struct sdb_hnsw *h, uint64_t seed, struct keyed *k)
{
	const struct sdb_hnsw_graph *g = &h->g;
	const struct sdb_vec_kernels *kern = sdb_vec_kernels();
	float *planes = malloc((size_t)16 * g->dim * sizeof(float));
	float *mean = calloc(g->dim, sizeof(float));
	uint64_t s = seed ^ 0x5eedull;

	if (!planes || !mean) {
		free(planes);
		free(mean);
		return -1;
	}
	for (size_t i = 0; i < (size_t)16 * g->dim; i++)
		planes[i] = (float)rand_gauss(&s);
	/* centre the hyperplanes on the data so the bits split it */
	for (uint64_t i = 0; i < g->n; i++)
		for (uint32_t d = 0; d < g->dim; d++)
			mean[d] += VEC(g, i)[d];
	for (uint32_t d = 0; d < g->dim; d++)
		mean[d] /= (float)g->n;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
	for (uint64_t i = 0; i < g->n; i++) {
		uint64_t code = 0;
		for (int b = 0; b < 16; b++) {
			const float *pl = planes + (size_t)b * g->dim;
			float v = kern->dot(VEC(g, i), pl, g->dim) - kern->dot(mean, pl, g->dim);
			code = code << 1 | (v > 0);
		}
		k[i].key = code;
		k[i].id = (uint32_t)i;
	}
	free(planes);
	free(mean);
	return 0;
}

#define KMEANS_MAX 1024

/* The nearest of nc (<= KMEANS_MAX) centroids to v, the first on a tie:
 * the least |c|^2 - 2 v.c (|v|^2 is the same for all), cn the |c|^2. */
static uint32_t nearest(const struct sdb_vec_kernels *kern, const float *v, const float *cent,
			const float *cn, uint32_t nc, uint32_t dim)
{
	float dots[KMEANS_MAX], bd = INFINITY;
	uint32_t best = 0;

	kern->dots(v, cent, nc, dim, dots);
	for (uint32_t c = 0; c < nc; c++) {
		float d = cn[c] - 2 * dots[c];
		if (d < bd) {
			bd = d;
			best = c;
		}
	}
	return best;
}

static void norms(const struct sdb_vec_kernels *kern, const float *cent, uint32_t nc,
		  uint32_t dim, float *cn)
{
	for (uint32_t c = 0; c < nc; c++)
		cn[c] = kern->dot(cent + (size_t)c * dim, cent + (size_t)c * dim, dim);
}

/* Sort key: the nearest of nc k-means centroids (iters Lloyd steps on
 * a seeded sample of ns rows). */
static int perm_kmeans(const struct sdb_hnsw *h, uint64_t seed, uint32_t nc, int iters,
		       uint64_t ns, struct keyed *k)
{
	const struct sdb_hnsw_graph *g = &h->g;
	const struct sdb_vec_kernels *kern = sdb_vec_kernels();
	uint64_t s = seed ^ 0xc105e7ull;
	float *cent, *sum, *cn;
	uint32_t *cnt, *sample, *near;

	if (nc < 1)
		nc = 1;
	if (nc > KMEANS_MAX)
		nc = KMEANS_MAX;
	if (ns > g->n)
		ns = g->n;
	if (ns < 1)
		ns = 1;
	cent = malloc((size_t)nc * g->dim * sizeof(float));
	cn = malloc(nc * sizeof(float));
	sum = malloc((size_t)nc * g->dim * sizeof(float));
	cnt = malloc(nc * sizeof(uint32_t));
	sample = malloc(ns * sizeof(uint32_t));
	near = malloc(ns * sizeof(uint32_t));
	if (!cent || !cn || !sum || !cnt || !sample || !near) {
		free(cent);
		free(cn);
		free(sum);
		free(cnt);
		free(sample);
		free(near);
		return -1;
	}
	for (uint64_t i = 0; i < ns; i++)
		sample[i] = (uint32_t)(ns == g->n ? i : sdb_vec_rng_next(&s) % g->n);
	for (uint32_t c = 0; c < nc; c++)
		memcpy(cent + (size_t)c * g->dim, VEC(g, sample[sdb_vec_rng_next(&s) % ns]),
		       g->dim * sizeof(float));
	for (int it = 0; it < iters; it++) {
		/* the nearest centroids on every thread, the sums in order
		 * (the same centroids whatever the thread count) */
		norms(kern, cent, nc, g->dim, cn);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
		for (uint64_t i = 0; i < ns; i++)
			near[i] = nearest(kern, VEC(g, sample[i]), cent, cn, nc, g->dim);
		memset(sum, 0, (size_t)nc * g->dim * sizeof(float));
		memset(cnt, 0, nc * sizeof(uint32_t));
		for (uint64_t i = 0; i < ns; i++) {
			const float *v = VEC(g, sample[i]);
			uint32_t best = near[i];
			cnt[best]++;
			for (uint32_t d = 0; d < g->dim; d++)
				sum[(size_t)best * g->dim + d] += v[d];
		}
		for (uint32_t c = 0; c < nc; c++)
			if (cnt[c])
				for (uint32_t d = 0; d < g->dim; d++)
					cent[(size_t)c * g->dim + d] = sum[(size_t)c * g->dim + d] / (float)cnt[c];
	}
	norms(kern, cent, nc, g->dim, cn);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
	for (uint64_t i = 0; i < g->n; i++) {
		k[i].key = nearest(kern, VEC(g, i), cent, cn, nc, g->dim);
		k[i].id = (uint32_t)i;
	}
	free(cent);
	free(cn);
	free(sum);
	free(cnt);
	free(sample);
	free(near);
	return 0;
}

/* Block order: breadth-first over layer 0 from the entry point, so a
 * node's neighbours are numbered (and stored) near it. */
static int perm_block(const struct sdb_hnsw *h, uint32_t *perm)
{
	const struct sdb_hnsw_graph *g = &h->g;
	uint8_t *seen = calloc(g->n, 1);
	uint64_t head = 0, tail = 0;

	if (!seen)
		return -1;
	for (uint64_t root = g->entry, scanned = 0; tail < g->n; root = scanned++) {
		if (seen[root])
			continue;
		seen[root] = 1;
		perm[tail++] = (uint32_t)root;
		while (head < tail) {
			uint32_t u = perm[head++];
			const uint32_t *l = g->links0 + (size_t)u * (g->M0 + 1);
			for (uint32_t i = 0; i < l[0]; i++)
				if (!seen[l[1 + i]]) {
					seen[l[1 + i]] = 1;
					perm[tail++] = l[1 + i];
				}
		}
	}
	free(seen);
	return 0;
}

/* ordering's perm; nc, iters and ns for SDB_ORDER_KMEANS. */
static int ordering_perm(const struct sdb_hnsw *h, int ordering, uint64_t seed, uint32_t nc,
			 int iters, uint64_t ns, uint32_t **perm, struct sdb_error *e)
{
	struct keyed *k = NULL;
	int rc = 0;

	*perm = NULL;
	if (ordering == SDB_ORDER_NONE)
		return 0;
	*perm = malloc(h->g.n * sizeof(uint32_t));
	if (!*perm)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (ordering == SDB_ORDER_BLOCK) {
		if (perm_block(h, *perm))
			rc = -1;
		goto out;
	}
	k = malloc(h->g.n * sizeof(*k));
	if (!k || (ordering == SDB_ORDER_KMEANS ? perm_kmeans(h, seed, nc, iters, ns, k)
						: perm_random_projection(h, seed, k))) {
		rc = -1;
		goto out;
	}
	qsort(k, h->g.n, sizeof(*k), keyed_cmp);
	for (uint64_t i = 0; i < h->g.n; i++)
		(*perm)[i] = k[i].id;
out:
	free(k);
	if (rc) {
		free(*perm);
		*perm = NULL;
		return sdb_error_set(e, SDB_ENOMEM, "out of memory computing the ordering");
	}
	return 0;
}

int sdb_hnsw_ordering_perm(const struct sdb_hnsw *h, int ordering, uint64_t seed,
			   uint32_t **perm, struct sdb_error *e)
{
	/* ~sqrt(n) centroids, 6 Lloyd steps on 20,000 rows */
	return ordering_perm(h, ordering, seed, (uint32_t)sqrt((double)h->g.n), 6, 20000, perm, e);
}

int sdb_hnsw_kmeans_perm(const struct sdb_hnsw *h, uint64_t seed, uint32_t nc, int iters,
			 uint64_t sample, uint32_t **perm, struct sdb_error *e)
{
	return ordering_perm(h, SDB_ORDER_KMEANS, seed, nc, iters, sample, perm, e);
}
