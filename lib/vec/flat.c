/*
 * flat.c - exact k-NN by brute force (flat.h): one pass over the rows
 * with the run-time chosen distance kernel, a max-heap of the k best.
 */
#include "vec/flat.h"
#include "vec/distance.h"
#include "vec/heap.h"

#include <stdlib.h>

uint32_t sdb_vec_exact_knn(const float *vecs, uint64_t n, uint32_t dim,
			   int metric, const float *q, uint32_t k, uint32_t *ids,
			   float *dists)
{
	sdb_vec_dist_fn dist = sdb_vec_metric_fn(metric);
	struct cand *hp = malloc(((size_t)k + 1) * sizeof(*hp));
	size_t len = 0;
	uint32_t m;

	if (!hp || !k)
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		struct cand x = { dist(q, vecs + i * dim, dim), (uint32_t)i };
		if (len < k)
			maxh_push(hp, &len, x);
		else if (maxh_less(x, hp[0])) {
			maxh_pop(hp, &len);
			maxh_push(hp, &len, x);
		}
	}
out:
	m = (uint32_t)len;
	for (size_t i = len; i > 0; i--) {
		struct cand x = maxh_pop(hp, &len);
		ids[i - 1] = x.id;
		dists[i - 1] = x.d;
	}
	free(hp);
	return m;
}
