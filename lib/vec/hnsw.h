/*
 * hnsw.h - Hierarchical Navigable Small World graphs: parallel build and
 * search (Malkov & Yashunin, with the neighbour-selection heuristic).
 *
 * DESIGN. The graph is a handful of flat arrays, the same in memory
 * during the build and in the index file, so a query runs directly on a
 * read-only mapping:
 *   levels[n]            top layer of each node (u8)
 *   links0[n*(M0+1)]     layer 0: per node a count, then up to M0 = 2M ids
 *   upper_off[n]         where node i's upper layers start in upper[]
 *   upper[...]           per node with level L > 0: L blocks of (M+1) u32,
 *                        layer l at upper_off[i] + (l-1)*(M+1)
 * Levels are drawn from a seeded generator before the build starts, and
 * node 0 is the first entry point, so with one thread the graph depends
 * only on the data, the parameters and the seed. Threads insert nodes in
 * parallel (OpenMP, dynamic schedule, one batch at a time), each node
 * guarded by a one-byte spinlock that writers take; searches read the
 * lists without it (atomic loads: a list is rewritten in place with valid
 * ids only, so a racing read sees a list of real nodes). After the inserts, a connectivity repair (one
 * breadth-first walk of layer 0 from the entry point) links in every node
 * the walk cannot reach, so every node is reachable from the entry point. Per-thread search contexts hold an epoch-tagged
 * visited array and two heaps, so the hot path never allocates.
 */
#ifndef SDB_VEC_HNSW_H
#define SDB_VEC_HNSW_H

#include "util/err.h"
#include "vec/distance.h"
#include "vec/quant.h"

#include <stddef.h>
#include <stdint.h>

#define SDB_HNSW_MAX_LEVEL 48

struct sdb_hnsw_params {
	uint32_t M;               /* >= 2; layer-0 degree 2M */
	uint32_t ef_construction; /* >= 1 */
	int metric;               /* enum sdb_vec_metric */
	uint64_t seed;
	uint32_t batch_size;      /* nodes per progress step, >= 1 */
	int threads;              /* 0: OpenMP default */
	int precision;            /* enum sdb_hnsw_precision */
	int insert_order;         /* enum sdb_hnsw_insert */
};

/*
 * The order nodes are inserted in. INPUT: 1, 2, ..., n-1 (node 0 is the
 * first entry point). LOCAL: node 0, then a seeded random fifth of the
 * nodes (the skeleton that links the whole space early; above 400,000
 * nodes it grows, to 65% from 1,000,000 on), then the rest
 * grouped by their nearest of ~sqrt(n)/3 k-means centroids (three Lloyd
 * steps on 50 rows a centroid: vec/order.h's sdb_hnsw_kmeans_perm), so
 * that consecutive inserts search the same region and find its vectors
 * and lists still in cache (15% less insert time on 100k x 128; recall
 * at every ef within a few thousandths). Node
 * numbers, and so the index file, do not change with the order.
 */
enum sdb_hnsw_insert {
	SDB_INSERT_INPUT = 0,
	SDB_INSERT_LOCAL = 1,
};

/* "input", "local". @return the order or -1. */
int sdb_hnsw_insert_parse(const char *s);
const char *sdb_hnsw_insert_name(int order);

/*
 * Precision of the distances computed while building (queries and the
 * stored vectors are always float32). AUTO: bfloat16 for ip and cosine at
 * 256 dimensions and more when the CPU has AVX512-BF16, else float32.
 * SQ8: an 8-bit scalar-quantised copy (vec/quant.h, a quarter of the
 * float32 bytes); the build's searches compare the inserted node's
 * float32 row with the codes (query-to-code distances), each layer's
 * candidates are re-ranked with float32 distances over the caller's
 * vectors, and the neighbours are chosen and pruned on float32 distances.
 */
enum sdb_hnsw_precision {
	SDB_PREC_AUTO = 0,
	SDB_PREC_F32 = 1,
	SDB_PREC_BF16 = 2,
	SDB_PREC_SQ8 = 3,
};

/* "auto", "f32", "bf16", "sq8". @return the precision or -1. */
int sdb_hnsw_precision_parse(const char *s);
const char *sdb_hnsw_precision_name(int precision);

/*
 * Memory model of a build (anonymous bytes, the figures --memory-budget
 * plans with): the graph arrays with their build-time state and the
 * per-thread search scratch, and the copy of the vectors a precision
 * keeps (float32: none, the vectors are read where they lie).
 */
uint64_t sdb_hnsw_graph_bytes(uint64_t n, uint32_t M, int threads);
uint64_t sdb_hnsw_copy_bytes(uint64_t n, uint32_t dim, int precision);
/*
 * Chooses the build precision for a memory budget of budget bytes:
 * float32 when the float32 vectors (read at random, so resident: n*dim*4,
 * twice for cosine, whose normalised copy is anonymous) and the graph
 * fit, else bf16 when its copy and the graph fit, else sq8. A precision
 * other than AUTO in *precision is kept when it fits. @return 0 with
 * *precision set, or SDB_ELIMIT saying what the smallest build needs.
 */
int sdb_hnsw_fit_budget(uint64_t budget, uint64_t n, uint32_t dim, uint32_t M, int metric,
			int threads, int *precision, struct sdb_error *e);

/* A read-only view of a graph: what search needs. */
struct sdb_hnsw_graph {
	uint64_t n;
	uint32_t dim, M, M0;
	int metric;
	uint32_t max_level, entry;
	const float *vecs;        /* n*dim; for cosine already normalised */
	const uint8_t *levels;
	const uint32_t *links0;
	const uint32_t *upper_off;
	const uint32_t *upper;
	uint64_t upper_len;       /* u32 entries in upper[] */
	int untrusted;            /* bounds-check ids read from the arrays */
	/* optional bfloat16 copy of vecs (rows of bf16_dim values, zero
	 * padded): search compares with it, then re-ranks in float32 */
	const uint16_t *vecs_bf16;
	uint32_t bf16_dim;
	/* optional SQ8 copy of vecs (rows of sq8.stride code bytes; the
	 * quantiser's arrays point into the same memory, never freed here):
	 * when set, search walks it instead of the bf16 copy and re-ranks
	 * the best max(2k, results / 4) in float32 */
	const uint8_t *codes;
	struct sdb_sq8 sq8;
};

/* Per-thread scratch for searching. */
struct sdb_hnsw_ctx;

/* @return a context for graphs of up to n nodes, or NULL (no memory). */
struct sdb_hnsw_ctx *sdb_hnsw_ctx_new(uint64_t n, uint32_t M0);
void sdb_hnsw_ctx_free(struct sdb_hnsw_ctx *c);

/*
 * Called between batches of the build with the number of nodes inserted
 * so far; a nonzero return cancels the build (SDB_EINVAL "cancelled").
 */
typedef int (*sdb_hnsw_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* A graph under construction; its view is complete after build returns. */
struct sdb_hnsw {
	struct sdb_hnsw_graph g;
	struct sdb_hnsw_params params;
	uint8_t *levels;
	uint32_t *links0, *upper_off, *upper;
	uint8_t *locks;
	uint8_t *written;     /* lowest layer each node has linked (build) */
	uint64_t distances;   /* distance computations made by the build */
	uint64_t relinked;    /* nodes the connectivity repair linked in */
	int threads_used;
	int precision_used;   /* SDB_PREC_F32, SDB_PREC_BF16 or SDB_PREC_SQ8 */
	uint16_t *bf16;       /* the bf16 copy of a bf16 build (g.vecs_bf16) */
	uint64_t copy_bytes;  /* bytes of the compressed copy the build used */
};

/*
 * Builds an HNSW graph over vecs (n x dim, kept by reference: the caller
 * keeps it alive while the graph is used; for cosine pass normalised
 * vectors). @return 0, SDB_EINVAL (bad parameters), SDB_ENOMEM, or the
 * progress callback's cancellation.
 */
int sdb_hnsw_build(const float *vecs, uint64_t n, uint32_t dim,
		   const struct sdb_hnsw_params *p, sdb_hnsw_progress_fn progress,
		   void *arg, struct sdb_hnsw **out, struct sdb_error *e);
void sdb_hnsw_free(struct sdb_hnsw *h);

/*
 * k nearest nodes of q (dim floats; normalised already for cosine) in g,
 * searching layer 0 with max(ef, k) candidates. When g has a bfloat16
 * copy the search compares in bf16 and the candidates are re-ranked with
 * float32 distances (the distances returned are always float32). Writes
 * min(k, n) internal node numbers and distances, nearest first: when the
 * walk meets fewer than k nodes the answer is finished exactly by brute
 * force (sdb_vec_exact_knn). @return the number written (fewer than
 * min(k, n) only when out of memory).
 */
uint32_t sdb_hnsw_search(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			 const float *q, uint32_t k, uint32_t ef, uint32_t *ids,
			 float *dists);

/*
 * Whether node passes a search filter: 1 yes, 0 no, or a negative error
 * that ends the search.
 */
typedef int (*sdb_hnsw_filter_fn)(void *arg, uint32_t node);

struct sdb_hnsw_fstats {
	uint64_t tests;      /* filter calls made */
	int exhausted;       /* the walk stopped at max_tests */
};

/*
 * k nearest nodes of q in g among those filter passes, in the manner of
 * ACORN-1: on layer 0 the walk goes through failing nodes too (so their
 * neighbours, two hops away, are reached) but returns only passing ones;
 * a node is tested when the walk takes it, nearest first, so about
 * ef / selectivity nodes are tested. Distances as sdb_hnsw_search's
 * (the bf16 copy when g has one, the best re-ranked in float32; q
 * normalised for cosine). At most max_tests filter calls; each node
 * is tested once. Writes up to k passing nodes nearest first; fewer when
 * the walk ended or ran out of tests (st->exhausted): the caller
 * finishes exactly. @return the number written, SDB_ENOMEM or the
 * filter's error.
 */
int64_t sdb_hnsw_search_filtered(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
				 const float *q, uint32_t k, uint32_t ef,
				 sdb_hnsw_filter_fn filter, void *arg, uint64_t max_tests,
				 uint32_t *ids, float *dists, struct sdb_hnsw_fstats *st);

/*
 * The same walk for a filter cheaper than a distance (one read of an
 * in-memory column): each node is tested when the walk first meets it;
 * a passing node is queued, a failing one only when met next to a
 * passing node (ACORN-1's two hops), so distances are computed for the
 * passing nodes and their failing neighbours only. About as many nodes
 * are tested as met (max_tests counts them). Same returns.
 */
int64_t sdb_hnsw_search_acorn(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			      const float *q, uint32_t k, uint32_t ef,
			      sdb_hnsw_filter_fn filter, void *arg, uint64_t max_tests,
			      uint32_t *ids, float *dists, struct sdb_hnsw_fstats *st);

/*
 * The walks above with the filter's answers given as a bitmap (bit
 * node of bits[node / 64] set: passes), tested in place: how 0 as
 * sdb_hnsw_search_filtered (tested when taken), 1 as
 * sdb_hnsw_search_acorn (when met), 2 ACORN-1's neighbour lists: of a
 * taken node, its passing neighbours and the passing neighbours of each
 * failing one (two hops), truncated at M0, so that distances are
 * computed for passing nodes only and failing nodes are never queued.
 * No test budget. @return the number written (fewer than k when the
 * walk ended: the caller finishes exactly) or SDB_ENOMEM.
 */
int64_t sdb_hnsw_search_bits(const struct sdb_hnsw_graph *g, struct sdb_hnsw_ctx *c,
			     const float *q, uint32_t k, uint32_t ef, const uint64_t *bits,
			     int how, uint32_t *ids, float *dists);

#endif
