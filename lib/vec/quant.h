/*
 * quant.h - scalar quantisation of float32 vectors to 8-bit codes (SQ8).
 *
 * DESIGN. Each dimension i gets an offset o[i] (the smallest value seen
 * in training) and a scale s[i] = (largest - smallest) / 255; a value x
 * is stored as the byte round((x - o[i]) / s[i]) clamped to 0..255 and
 * read back as o[i] + s[i] * code. A code row is `stride` bytes: the dim
 * codes then zeros up to a multiple of 16 (the padding's scale and offset
 * are zero, so it adds nothing to any distance). A vector takes a quarter
 * of its float32 bytes; the error per value is at most s[i] / 2 (inside
 * the trained range).
 *
 * Distances keep hnswlib's conventions (distance.h): squared L2, and
 * 1 - dot for ip and cosine (cosine rows normalised before encoding):
 *  - code to code (sdb_sq8_code_fn): both rows decoded on the fly, the
 *    one a graph build over codes uses;
 *  - float query to code (sdb_sq8_query_prep + sdb_sq8_query_fn): the
 *    query is folded with the scales once (l2: q - o; ip: q * s and
 *    q . o), so a distance costs one pass over the code bytes and only
 *    the stored side is quantised.
 * The kernels are AVX-512, AVX2+FMA or scalar, chosen at run time with
 * distance.c's choice (SOCHDB_SIMD caps it).
 */
#ifndef SDB_VEC_QUANT_H
#define SDB_VEC_QUANT_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

struct sdb_sq8 {
	uint32_t dim;     /* values per vector */
	uint32_t stride;  /* bytes per code row: dim rounded up to 16 */
	float *scale;     /* stride values, 0 past dim */
	float *offset;    /* stride values, 0 past dim */
};

/*
 * Trains q on n vectors of dim floats (every row: one parallel pass,
 * per-dimension minimum and maximum). @return 0, SDB_EINVAL (n or dim
 * 0) or SDB_ENOMEM. Free with sdb_sq8_free.
 */
int sdb_sq8_train(struct sdb_sq8 *q, const float *v, uint64_t n, uint32_t dim,
		  struct sdb_error *e);
/* Sets q from given offsets and scales (dim each). @return 0 or SDB_ENOMEM. */
int sdb_sq8_init(struct sdb_sq8 *q, uint32_t dim, const float *offset, const float *scale,
		 struct sdb_error *e);
void sdb_sq8_free(struct sdb_sq8 *q);

/* Encodes one vector (dim floats) into code (stride bytes). */
void sdb_sq8_encode(const struct sdb_sq8 *q, const float *v, uint8_t *code);
/* Encodes n rows of dim floats into n * stride bytes (OpenMP). */
void sdb_sq8_encode_rows(const struct sdb_sq8 *q, const float *v, uint64_t n, uint8_t *codes);
/* Decodes one code row into dim floats. */
void sdb_sq8_decode(const struct sdb_sq8 *q, const uint8_t *code, float *v);

/* Distance between two code rows of q. */
typedef float (*sdb_sq8_code_dist_fn)(const struct sdb_sq8 *q, const uint8_t *a,
				      const uint8_t *b);
/* The code-to-code kernel for metric (enum sdb_vec_metric). */
sdb_sq8_code_dist_fn sdb_sq8_code_fn(int metric);

/* A float query folded with q's scales for one metric. */
struct sdb_sq8_query {
	const struct sdb_sq8 *q;
	int metric;
	float c0;   /* ip: 1 - q . o */
	float *w;   /* stride floats (l2: q - o; ip: q * s); caller's buffer */
};
/*
 * Prepares query (dim floats; normalised for cosine) into p, using w
 * (stride floats, owned by the caller) as its buffer.
 */
void sdb_sq8_query_prep(struct sdb_sq8_query *p, const struct sdb_sq8 *q, int metric,
			const float *query, float *w);
typedef float (*sdb_sq8_query_dist_fn)(const struct sdb_sq8_query *p, const uint8_t *code);
/* The query-to-code kernel for metric. */
sdb_sq8_query_dist_fn sdb_sq8_query_fn(int metric);

/* Bytes of n code rows of dimension dim. */
static inline uint64_t sdb_sq8_bytes(uint64_t n, uint32_t dim)
{
	return n * (((uint64_t)dim + 15) & ~(uint64_t)15);
}

/*
 * The kernels of one level, for tests: 0 scalar, 2 avx2, 3 avx512 (a
 * level the CPU lacks gives the best below it).
 */
sdb_sq8_code_dist_fn sdb_sq8_code_fn_at(int metric, int level);
sdb_sq8_query_dist_fn sdb_sq8_query_fn_at(int metric, int level);

#endif
