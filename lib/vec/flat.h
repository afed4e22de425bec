/*
 * flat.h - the flat index: exact k nearest neighbours by brute force over
 * a row-major array of vectors (ground truth for recall, and the exact
 * finish of a graph search that found too few).
 */
#ifndef SDB_VEC_FLAT_H
#define SDB_VEC_FLAT_H

#include <stdint.h>

/*
 * Exact k nearest rows of q among vecs (n x dim) under metric (enum
 * sdb_vec_metric; vectors already normalised for cosine). Writes up to k
 * row numbers and distances, nearest first, ties by row number.
 * @return the number written: min(k, n), or 0 when out of memory.
 */
uint32_t sdb_vec_exact_knn(const float *vecs, uint64_t n, uint32_t dim,
			   int metric, const float *q, uint32_t k, uint32_t *ids,
			   float *dists);

#endif
