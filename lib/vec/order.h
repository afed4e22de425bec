/*
 * order.h - node orderings for memory locality: after a build, the nodes
 * are renumbered so that vectors (and their lists) that are visited
 * together are stored near each other in the index file.
 */
#ifndef SDB_VEC_ORDER_H
#define SDB_VEC_ORDER_H

#include "util/err.h"
#include "vec/hnsw.h"

#include <stdint.h>

enum sdb_hnsw_ordering {
	SDB_ORDER_NONE = 0,
	SDB_ORDER_RANDOM_PROJECTION = 1, /* signs of 16 seeded projections */
	SDB_ORDER_KMEANS = 2,            /* nearest of ~sqrt(n) centroids */
	SDB_ORDER_BLOCK = 3,             /* breadth-first over layer 0 */
};

/* "none", "random_projection", "kmeans", "block". @return the ordering or -1. */
int sdb_hnsw_ordering_parse(const char *s);
const char *sdb_hnsw_ordering_name(int o);

/*
 * Computes a renumbering of h's nodes: perm[new] = old, a permutation of
 * 0..n-1 (malloc'd, caller frees; NULL for SDB_ORDER_NONE).
 * @return 0 or SDB_ENOMEM.
 */
int sdb_hnsw_ordering_perm(const struct sdb_hnsw *h, int ordering, uint64_t seed,
			   uint32_t **perm, struct sdb_error *e);

/*
 * The kmeans ordering with its knobs: the nodes grouped by their nearest
 * of nc (1..1024) centroids after iters Lloyd steps on a seeded sample of
 * `sample` rows (all rows when n is smaller); perm as above (malloc'd,
 * caller frees). @return 0 or SDB_ENOMEM.
 */
int sdb_hnsw_kmeans_perm(const struct sdb_hnsw *h, uint64_t seed, uint32_t nc, int iters,
			 uint64_t sample, uint32_t **perm, struct sdb_error *e);

#endif
