/*
 * distance.h - float32 distance kernels chosen at run time.
 *
 * One binary runs everywhere: sdb_vec_kernels() probes the CPU once
 * (__builtin_cpu_supports) and returns AVX-512, AVX2+FMA, SSE (the x86-64
 * baseline) or portable scalar kernels. No -march flag is needed at build time.
 *
 * Conventions (hnswlib's): l2 is the squared Euclidean distance; ip and
 * cosine are 1 - dot (cosine vectors are normalised once beforehand).
 */
#ifndef SDB_VEC_DISTANCE_H
#define SDB_VEC_DISTANCE_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

enum sdb_vec_metric {
	SDB_VEC_L2 = 0,
	SDB_VEC_IP = 1,
	SDB_VEC_COSINE = 2,
};

typedef float (*sdb_vec_dist_fn)(const float *a, const float *b, size_t d);
/* out[j] = a . b_j for the nb rows b_j = b + j * d (one query against a
 * block of rows: the query's loads are shared by four rows at a time) */
typedef void (*sdb_vec_dots_fn)(const float *a, const float *b, size_t nb, size_t d,
				float *out);

struct sdb_vec_kernels {
	sdb_vec_dist_fn l2sq; /* sum (a-b)^2 */
	sdb_vec_dist_fn dot;  /* sum a*b */
	const char *name;     /* "avx512", "avx2", "sse", "scalar" */
	sdb_vec_dots_fn dots; /* dot against each of a block of rows */
};

/*
 * The best kernels for this CPU. SOCHDB_SIMD=scalar|sse|avx2|avx512 in
 * the environment caps the choice (for tests and benchmarks).
 * @return a static table, never NULL.
 */
const struct sdb_vec_kernels *sdb_vec_kernels(void);

/*
 * Checks SOCHDB_SIMD: unset, empty, or one of scalar, sse, avx2, avx512.
 * (sdb_vec_kernels treats any other value as no cap above avx2; tools
 * call this first so that a typo is an error, not a silent choice.)
 * @return 0 or SDB_EINVAL naming the value.
 */
int sdb_vec_simd_check(struct sdb_error *e);

/* The distance function for metric (l2sq, or 1 - dot). */
sdb_vec_dist_fn sdb_vec_metric_fn(int metric);

/* Parses "l2", "ip", "cosine". @return the metric or -1. */
int sdb_vec_metric_parse(const char *s);
const char *sdb_vec_metric_name(int metric);

/*
 * bfloat16: the top 16 bits of a float32, rounded to nearest even. Used
 * for the distances of a reduced-precision build (half the memory
 * traffic); queries and stored vectors stay float32.
 */
void sdb_vec_to_bf16(uint16_t *out, const float *in, size_t d);
/* 1 when the CPU has the AVX512-BF16 dot-product instruction. */
int sdb_vec_has_bf16(void);
/*
 * The distance for metric over two bf16 rows of d values, d a multiple
 * of 32 (zero padded); the rows are passed through float pointers.
 */
sdb_vec_dist_fn sdb_vec_bf16_metric_fn(int metric);
/*
 * A float32 query against a bf16 row (searches: only the stored side
 * carries the rounding, and only the row widens). The query is first
 * laid out for the kernel: sdb_vec_bf16q_prep writes its d values,
 * zero padded to pd (the rows' padded length, a multiple of 32), into
 * out (pd floats) in the order the chosen kernel reads them.
 */
sdb_vec_dist_fn sdb_vec_bf16q_metric_fn(int metric);
void sdb_vec_bf16q_prep(float *out, const float *q, size_t d, size_t pd);

/* Scales v (d floats) to unit length; a zero vector stays zero. */
void sdb_vec_normalize(float *v, size_t d);

#endif
