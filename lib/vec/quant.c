/*
 * quant.c - SQ8 scalar quantisation and its distance kernels (quant.h).
 *
 * The kernels follow distance.c's dispatch: the level it chose for the
 * float32 kernels (sdb_vec_kernels, capped by SOCHDB_SIMD) picks the
 * AVX-512, AVX2+FMA or scalar body here; the SIMD bodies are compiled
 * with target attributes. Rows are padded to 16 bytes, so the SIMD loops
 * have no tail.
 */
#include "vec/quant.h"
#include "vec/distance.h"
#include "vec/simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SDB_X86 1
#endif

void sdb_sq8_free(struct sdb_sq8 *q)
{
	if (!q)
		return;
	free(q->scale);
	free(q->offset);
	q->scale = q->offset = NULL;
}

static int alloc_params(struct sdb_sq8 *q, uint32_t dim, struct sdb_error *e)
{
	memset(q, 0, sizeof(*q));
	if (dim == 0)
		return sdb_error_set(e, SDB_EINVAL, "quantiser of dimension 0");
	q->dim = dim;
	q->stride = (dim + 15) & ~15u;
	q->scale = calloc(q->stride, sizeof(float));
	q->offset = calloc(q->stride, sizeof(float));
	if (!q->scale || !q->offset) {
		sdb_sq8_free(q);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory for the quantiser");
	}
	return 0;
}

int sdb_sq8_init(struct sdb_sq8 *q, uint32_t dim, const float *offset, const float *scale,
		 struct sdb_error *e)
{
	int rc = alloc_params(q, dim, e);

	if (rc)
		return rc;
	memcpy(q->offset, offset, dim * sizeof(float));
	memcpy(q->scale, scale, dim * sizeof(float));
	return 0;
}

int sdb_sq8_train(struct sdb_sq8 *q, const float *v, uint64_t n, uint32_t dim,
		  struct sdb_error *e)
{
	float *lo, *hi;
	int rc;

	if (n == 0)
		return sdb_error_set(e, SDB_EINVAL, "no vectors to train the quantiser on");
	if ((rc = alloc_params(q, dim, e)))
		return rc;
	lo = q->offset;
	hi = q->scale; /* the maxima until the end */
	memcpy(lo, v, dim * sizeof(float));
	memcpy(hi, v, dim * sizeof(float));
#ifdef _OPENMP
#pragma omp parallel
#endif
	{
		float *mn = malloc(dim * sizeof(float)), *mx = malloc(dim * sizeof(float));
		if (mn && mx) {
			memcpy(mn, v, dim * sizeof(float));
			memcpy(mx, v, dim * sizeof(float));
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
			for (uint64_t r = 1; r < n; r++) {
				const float *x = v + r * dim;
				for (uint32_t i = 0; i < dim; i++) {
					mn[i] = x[i] < mn[i] ? x[i] : mn[i];
					mx[i] = x[i] > mx[i] ? x[i] : mx[i];
				}
			}
#ifdef _OPENMP
#pragma omp critical
#endif
			for (uint32_t i = 0; i < dim; i++) {
				lo[i] = mn[i] < lo[i] ? mn[i] : lo[i];
				hi[i] = mx[i] > hi[i] ? mx[i] : hi[i];
			}
		} else {
			/* no scratch: this thread's share is covered serially */
#ifdef _OPENMP
#pragma omp critical
#endif
			for (uint64_t r = 1; r < n; r++)
				for (uint32_t i = 0; i < dim; i++) {
					float x = v[r * dim + i];
					lo[i] = x < lo[i] ? x : lo[i];
					hi[i] = x > hi[i] ? x : hi[i];
				}
		}
		free(mn);
		free(mx);
	}
	for (uint32_t i = 0; i < dim; i++)
		hi[i] = (hi[i] - lo[i]) / 255.0f;
	return 0;
}

void sdb_sq8_encode(const struct sdb_sq8 *q, const float *v, uint8_t *code)
{
	uint32_t i;

	for (i = 0; i < q->dim; i++) {
		float s = q->scale[i], t;
		if (s <= 0) {
			code[i] = 0;
			continue;
		}
		t = nearbyintf((v[i] - q->offset[i]) / s);
		code[i] = t <= 0 ? 0 : t >= 255 ? 255 : (uint8_t)t;
	}
	for (; i < q->stride; i++)
		code[i] = 0;
}

void sdb_sq8_encode_rows(const struct sdb_sq8 *q, const float *v, uint64_t n, uint8_t *codes)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
	for (uint64_t r = 0; r < n; r++)
		sdb_sq8_encode(q, v + r * q->dim, codes + r * q->stride);
}

void sdb_sq8_decode(const struct sdb_sq8 *q, const uint8_t *code, float *v)
{
	for (uint32_t i = 0; i < q->dim; i++)
		v[i] = q->offset[i] + q->scale[i] * (float)code[i];
}

void sdb_sq8_query_prep(struct sdb_sq8_query *p, const struct sdb_sq8 *q, int metric,
			const float *query, float *w)
{
	double c = 0;

	p->q = q;
	p->metric = metric;
	p->w = w;
	for (uint32_t i = 0; i < q->stride; i++) {
		float x = i < q->dim ? query[i] : 0;
		if (metric == SDB_VEC_L2) {
			w[i] = x - q->offset[i];
		} else {
			w[i] = x * q->scale[i];
			c += (double)x * q->offset[i];
		}
	}
	p->c0 = (float)(1.0 - c);
}

/* ---- scalar kernels ------------------------------------------------- */

static float cc_l2_scalar(const struct sdb_sq8 *q, const uint8_t *a, const uint8_t *b)
{
	float s0 = 0, s1 = 0;

	for (uint32_t i = 0; i < q->stride; i += 2) {
		float t0 = q->scale[i] * (float)((int)a[i] - (int)b[i]);
		float t1 = q->scale[i + 1] * (float)((int)a[i + 1] - (int)b[i + 1]);
		s0 += t0 * t0;
		s1 += t1 * t1;
	}
	return s0 + s1;
}

static float cc_ip_scalar(const struct sdb_sq8 *q, const uint8_t *a, const uint8_t *b)
{
	float s0 = 0, s1 = 0;

	for (uint32_t i = 0; i < q->stride; i += 2) {
		float x0 = q->offset[i] + q->scale[i] * (float)a[i];
		float y0 = q->offset[i] + q->scale[i] * (float)b[i];
		float x1 = q->offset[i + 1] + q->scale[i + 1] * (float)a[i + 1];
		float y1 = q->offset[i + 1] + q->scale[i + 1] * (float)b[i + 1];
		s0 += x0 * y0;
		s1 += x1 * y1;
	}
	return 1.0f - (s0 + s1);
}

static float qc_l2_scalar(const struct sdb_sq8_query *p, const uint8_t *c)
{
	const struct sdb_sq8 *q = p->q;
	float s0 = 0, s1 = 0;

	for (uint32_t i = 0; i < q->stride; i += 2) {
		float t0 = p->w[i] - q->scale[i] * (float)c[i];
		float t1 = p->w[i + 1] - q->scale[i + 1] * (float)c[i + 1];
		s0 += t0 * t0;
		s1 += t1 * t1;
	}
	return s0 + s1;
}

static float qc_ip_scalar(const struct sdb_sq8_query *p, const uint8_t *c)
{
	float s0 = 0, s1 = 0;

	for (uint32_t i = 0; i < p->q->stride; i += 2) {
		s0 += p->w[i] * (float)c[i];
		s1 += p->w[i + 1] * (float)c[i + 1];
	}
	return p->c0 - (s0 + s1);
}

#ifdef SDB_X86
/* ---- AVX2 + FMA ----------------------------------------------------- */

__attribute__((target("avx2,fma")))
static inline __m256 u8x8_ps(const uint8_t *p)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

__attribute__((target("avx2,fma")))
static float cc_l2_avx2(const struct sdb_sq8 *q, const uint8_t *a, const uint8_t *b)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

	for (uint32_t i = 0; i < q->stride; i += 16) {
		__m256 t0 = _mm256_mul_ps(_mm256_sub_ps(u8x8_ps(a + i), u8x8_ps(b + i)),
					  _mm256_loadu_ps(q->scale + i));
		__m256 t1 = _mm256_mul_ps(_mm256_sub_ps(u8x8_ps(a + i + 8), u8x8_ps(b + i + 8)),
					  _mm256_loadu_ps(q->scale + i + 8));
		s0 = _mm256_fmadd_ps(t0, t0, s0);
		s1 = _mm256_fmadd_ps(t1, t1, s1);
	}
	return sdb_hsum256(_mm256_add_ps(s0, s1));
}

__attribute__((target("avx2,fma")))
static float cc_ip_avx2(const struct sdb_sq8 *q, const uint8_t *a, const uint8_t *b)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

	for (uint32_t i = 0; i < q->stride; i += 16) {
		__m256 sc0 = _mm256_loadu_ps(q->scale + i), of0 = _mm256_loadu_ps(q->offset + i);
		__m256 sc1 = _mm256_loadu_ps(q->scale + i + 8), of1 = _mm256_loadu_ps(q->offset + i + 8);
		__m256 x0 = _mm256_fmadd_ps(u8x8_ps(a + i), sc0, of0);
		__m256 y0 = _mm256_fmadd_ps(u8x8_ps(b + i), sc0, of0);
		__m256 x1 = _mm256_fmadd_ps(u8x8_ps(a + i + 8), sc1, of1);
		__m256 y1 = _mm256_fmadd_ps(u8x8_ps(b + i + 8), sc1, of1);
		s0 = _mm256_fmadd_ps(x0, y0, s0);
		s1 = _mm256_fmadd_ps(x1, y1, s1);
	}
	return 1.0f - sdb_hsum256(_mm256_add_ps(s0, s1));
}

__attribute__((target("avx2,fma")))
static float qc_l2_avx2(const struct sdb_sq8_query *p, const uint8_t *c)
{
	const struct sdb_sq8 *q = p->q;
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

	for (uint32_t i = 0; i < q->stride; i += 16) {
		__m256 t0 = _mm256_fnmadd_ps(u8x8_ps(c + i), _mm256_loadu_ps(q->scale + i),
					     _mm256_loadu_ps(p->w + i));
		__m256 t1 = _mm256_fnmadd_ps(u8x8_ps(c + i + 8), _mm256_loadu_ps(q->scale + i + 8),
					     _mm256_loadu_ps(p->w + i + 8));
		s0 = _mm256_fmadd_ps(t0, t0, s0);
		s1 = _mm256_fmadd_ps(t1, t1, s1);
	}
	return sdb_hsum256(_mm256_add_ps(s0, s1));
}

__attribute__((target("avx2,fma")))
static float qc_ip_avx2(const struct sdb_sq8_query *p, const uint8_t *c)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

	for (uint32_t i = 0; i < p->q->stride; i += 16) {
		s0 = _mm256_fmadd_ps(u8x8_ps(c + i), _mm256_loadu_ps(p->w + i), s0);
		s1 = _mm256_fmadd_ps(u8x8_ps(c + i + 8), _mm256_loadu_ps(p->w + i + 8), s1);
	}
	return p->c0 - sdb_hsum256(_mm256_add_ps(s0, s1));
}

/* ---- AVX-512 -------------------------------------------------------- */

__attribute__((target("avx512f")))
static inline __m512 u8x16_ps(const uint8_t *p)
{
	return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)));
}

__attribute__((target("avx512f")))
static float cc_l2_avx512(const struct sdb_sq8 *q, const uint8_t *a, const uint8_t *b)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	uint32_t i = 0;

	for (; i + 32 <= q->stride; i += 32) {
		__m512 t0 = _mm512_mul_ps(_mm512_sub_ps(u8x16_ps(a + i), u8x16_ps(b + i)),
					  _mm512_loadu_ps(q->scale + i));
		__m512 t1 = _mm512_mul_ps(_mm512_sub_ps(u8x16_ps(a + i + 16), u8x16_ps(b + i + 16)),
					  _mm512_loadu_ps(q->scale + i + 16));
		s0 = _mm512_fmadd_ps(t0, t0, s0);
		s1 = _mm512_fmadd_ps(t1, t1, s1);
	}
	if (i < q->stride) {
		__m512 t0 = _mm512_mul_ps(_mm512_sub_ps(u8x16_ps(a + i), u8x16_ps(b + i)),
					  _mm512_loadu_ps(q->scale + i));
		s0 = _mm512_fmadd_ps(t0, t0, s0);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static float cc_ip_avx512(const struct sdb_sq8 *q, const uint8_t *a, const uint8_t *b)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	uint32_t i = 0;

	for (; i + 32 <= q->stride; i += 32) {
		__m512 sc0 = _mm512_loadu_ps(q->scale + i), of0 = _mm512_loadu_ps(q->offset + i);
		__m512 sc1 = _mm512_loadu_ps(q->scale + i + 16), of1 = _mm512_loadu_ps(q->offset + i + 16);
		__m512 x0 = _mm512_fmadd_ps(u8x16_ps(a + i), sc0, of0);
		__m512 y0 = _mm512_fmadd_ps(u8x16_ps(b + i), sc0, of0);
		__m512 x1 = _mm512_fmadd_ps(u8x16_ps(a + i + 16), sc1, of1);
		__m512 y1 = _mm512_fmadd_ps(u8x16_ps(b + i + 16), sc1, of1);
		s0 = _mm512_fmadd_ps(x0, y0, s0);
		s1 = _mm512_fmadd_ps(x1, y1, s1);
	}
	if (i < q->stride) {
		__m512 sc0 = _mm512_loadu_ps(q->scale + i), of0 = _mm512_loadu_ps(q->offset + i);
		__m512 x0 = _mm512_fmadd_ps(u8x16_ps(a + i), sc0, of0);
		__m512 y0 = _mm512_fmadd_ps(u8x16_ps(b + i), sc0, of0);
		s0 = _mm512_fmadd_ps(x0, y0, s0);
	}
	return 1.0f - _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static float qc_l2_avx512(const struct sdb_sq8_query *p, const uint8_t *c)
{
	const struct sdb_sq8 *q = p->q;
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	uint32_t i = 0;

	for (; i + 32 <= q->stride; i += 32) {
		__m512 t0 = _mm512_fnmadd_ps(u8x16_ps(c + i), _mm512_loadu_ps(q->scale + i),
					     _mm512_loadu_ps(p->w + i));
		__m512 t1 = _mm512_fnmadd_ps(u8x16_ps(c + i + 16), _mm512_loadu_ps(q->scale + i + 16),
					     _mm512_loadu_ps(p->w + i + 16));
		s0 = _mm512_fmadd_ps(t0, t0, s0);
		s1 = _mm512_fmadd_ps(t1, t1, s1);
	}
	if (i < q->stride) {
		__m512 t0 = _mm512_fnmadd_ps(u8x16_ps(c + i), _mm512_loadu_ps(q->scale + i),
					     _mm512_loadu_ps(p->w + i));
		s0 = _mm512_fmadd_ps(t0, t0, s0);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static float qc_ip_avx512(const struct sdb_sq8_query *p, const uint8_t *c)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	uint32_t i = 0, stride = p->q->stride;

	for (; i + 32 <= stride; i += 32) {
		s0 = _mm512_fmadd_ps(u8x16_ps(c + i), _mm512_loadu_ps(p->w + i), s0);
		s1 = _mm512_fmadd_ps(u8x16_ps(c + i + 16), _mm512_loadu_ps(p->w + i + 16), s1);
	}
	if (i < stride)
		s0 = _mm512_fmadd_ps(u8x16_ps(c + i), _mm512_loadu_ps(p->w + i), s0);
	return p->c0 - _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
#endif

/* distance.c's choice: 3 avx512, 2 avx2, else 0 (sse has no u8 body here) */
static int chosen_level(void)
{
	const char *n = sdb_vec_kernels()->name;

	return !strcmp(n, "avx512") ? 3 : !strcmp(n, "avx2") ? 2 : 0;
}

static int cap_level(int level)
{
	int best = chosen_level();

	return level < best ? level : best;
}

sdb_sq8_code_dist_fn sdb_sq8_code_fn_at(int metric, int level)
{
	int l2 = metric == SDB_VEC_L2;

	level = cap_level(level);
#ifdef SDB_X86
	if (level >= 3)
		return l2 ? cc_l2_avx512 : cc_ip_avx512;
	if (level >= 2)
		return l2 ? cc_l2_avx2 : cc_ip_avx2;
#endif
	return l2 ? cc_l2_scalar : cc_ip_scalar;
}

sdb_sq8_query_dist_fn sdb_sq8_query_fn_at(int metric, int level)
{
	int l2 = metric == SDB_VEC_L2;

	level = cap_level(level);
#ifdef SDB_X86
	if (level >= 3)
		return l2 ? qc_l2_avx512 : qc_ip_avx512;
	if (level >= 2)
		return l2 ? qc_l2_avx2 : qc_ip_avx2;
#endif
	return l2 ? qc_l2_scalar : qc_ip_scalar;
}

sdb_sq8_code_dist_fn sdb_sq8_code_fn(int metric)
{
	return sdb_sq8_code_fn_at(metric, 3);
}

sdb_sq8_query_dist_fn sdb_sq8_query_fn(int metric)
{
	return sdb_sq8_query_fn_at(metric, 3);
}
