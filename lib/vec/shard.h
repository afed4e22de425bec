/*
 * shard.h - sharded builds and merged queries: N independent processes
 * (array tasks of a batch scheduler) each index one contiguous row range
 * of the same input, and a query searches every shard and merges their
 * top-k.
 *
 * DESIGN. Shard I of N over an input of n rows holds rows
 * floor(I*n/N) .. floor((I+1)*n/N)-1, the split a Slurm array task or a
 * Kubernetes Indexed Job pod computes from its index alone: no
 * coordination, no shared state. Ids stay global (the input row number,
 * or the ids file's id of that row). The index file records I, N, the
 * input's row count, the first row and a fingerprint of the input (CRC of
 * its row count, dimension, first and last row: two pages of the mapped
 * input, the same in every shard), so a query can refuse a set of shards
 * that overlap. The merge is exact over the shards' answers: the k
 * nearest of the union are among the k nearest of each part; ties by
 * distance are broken by id, then by the order of the index files.
 */
#ifndef SDB_VEC_SHARD_H
#define SDB_VEC_SHARD_H

#include "util/err.h"
#include "vec/hnswfile.h"

#include <stddef.h>
#include <stdint.h>

#define SDB_SHARD_MAX (1u << 20)

/*
 * Parses "I/N" (decimal, 0 <= I < N <= SDB_SHARD_MAX).
 * @return 0 or SDB_EINVAL ("invalid --shard 'X' (expected I/N with
 * 0 <= I < N)" and its variants).
 */
int sdb_shard_parse(const char *s, uint32_t *index, uint32_t *count, struct sdb_error *e);

/* Rows [*first, *end) of shard index/count over n rows. */
void sdb_shard_range(uint64_t n, uint32_t index, uint32_t count, uint64_t *first,
		     uint64_t *end);

/* The input fingerprint recorded in every shard of vecs (n x dim). */
uint32_t sdb_shard_fingerprint(const float *vecs, uint64_t n, uint32_t dim);

/*
 * Checks that the indexes xs[0..count) can be searched together: the same
 * dimension and metric, and no two of them built over overlapping rows of
 * the same input (same fingerprint and row count). @return 0 or
 * SDB_EINVAL naming both files.
 */
int sdb_shard_check_set(const struct sdb_index *xs, size_t count, struct sdb_error *e);

/* One answer of one shard. */
struct sdb_knn_hit {
	float dist;
	uint32_t src;   /* which index file */
	uint64_t id;    /* external id */
};

/*
 * Sorts hits[0..n) by (distance, id, src) and @return min(k, n): the
 * merged top-k are hits[0..return).
 */
uint32_t sdb_knn_merge(struct sdb_knn_hit *hits, size_t n, uint32_t k);

#endif
