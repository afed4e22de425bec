/*
 * distance.c - SIMD distance kernels with run-time dispatch (distance.h).
 *
 * The AVX-512 and AVX2 bodies are compiled with target attributes, so the
 * rest of the library keeps the baseline x86-64 ABI; the dispatcher picks
 * one after asking the CPU. Other architectures get the scalar loops,
 * written with four accumulators so the compiler can vectorise them.
 */
#include "vec/distance.h"
#include "vec/simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SDB_X86 1
#endif

static float l2sq_scalar(const float *a, const float *b, size_t d)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= d; i += 4) {
		float t0 = a[i] - b[i], t1 = a[i + 1] - b[i + 1];
		float t2 = a[i + 2] - b[i + 2], t3 = a[i + 3] - b[i + 3];
		s0 += t0 * t0;
		s1 += t1 * t1;
		s2 += t2 * t2;
		s3 += t3 * t3;
	}
	for (; i < d; i++) {
		float t = a[i] - b[i];
		s0 += t * t;
	}
	return (s0 + s1) + (s2 + s3);
}

static float dot_scalar(const float *a, const float *b, size_t d)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= d; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < d; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

#ifdef SDB_X86
/* SSE2 is the x86-64 baseline: no target attribute needed. */
static inline float hsum128(__m128 v)
{
	v = _mm_add_ps(v, _mm_movehl_ps(v, v));
	v = _mm_add_ss(v, _mm_shuffle_ps(v, v, 1));
	return _mm_cvtss_f32(v);
}

static float l2sq_sse(const float *a, const float *b, size_t d)
{
	__m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
	size_t i = 0;
	float r;

	for (; i + 8 <= d; i += 8) {
		__m128 t0 = _mm_sub_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i));
		__m128 t1 = _mm_sub_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4));
		s0 = _mm_add_ps(s0, _mm_mul_ps(t0, t0));
		s1 = _mm_add_ps(s1, _mm_mul_ps(t1, t1));
	}
	r = hsum128(_mm_add_ps(s0, s1));
	for (; i < d; i++) {
		float t = a[i] - b[i];
		r += t * t;
	}
	return r;
}

static float dot_sse(const float *a, const float *b, size_t d)
{
	__m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
	size_t i = 0;
	float r;

	for (; i + 8 <= d; i += 8) {
		s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
		s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
	}
	r = hsum128(_mm_add_ps(s0, s1));
	for (; i < d; i++)
		r += a[i] * b[i];
	return r;
}

__attribute__((target("avx2,fma")))
static float l2sq_avx2(const float *a, const float *b, size_t d)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	size_t i = 0;
	float r;

	for (; i + 16 <= d; i += 16) {
		__m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256 t1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
		s0 = _mm256_fmadd_ps(t0, t0, s0);
		s1 = _mm256_fmadd_ps(t1, t1, s1);
	}
	for (; i + 8 <= d; i += 8) {
		__m256 t0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		s0 = _mm256_fmadd_ps(t0, t0, s0);
	}
	r = sdb_hsum256(_mm256_add_ps(s0, s1));
	for (; i < d; i++) {
		float t = a[i] - b[i];
		r += t * t;
	}
	return r;
}

__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, size_t d)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	size_t i = 0;
	float r;

	for (; i + 16 <= d; i += 16) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
	}
	for (; i + 8 <= d; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	r = sdb_hsum256(_mm256_add_ps(s0, s1));
	for (; i < d; i++)
		r += a[i] * b[i];
	return r;
}

__attribute__((target("avx512f")))
static float l2sq_avx512(const float *a, const float *b, size_t d)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	size_t i = 0;

	for (; i + 32 <= d; i += 32) {
		__m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		__m512 t1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
		s0 = _mm512_fmadd_ps(t0, t0, s0);
		s1 = _mm512_fmadd_ps(t1, t1, s1);
	}
	for (; i + 16 <= d; i += 16) {
		__m512 t0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		s0 = _mm512_fmadd_ps(t0, t0, s0);
	}
	if (i < d) {
		__mmask16 m = (__mmask16)((1u << (d - i)) - 1);
		__m512 t0 = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i),
					  _mm512_maskz_loadu_ps(m, b + i));
		s1 = _mm512_fmadd_ps(t0, t0, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static float dot_avx512(const float *a, const float *b, size_t d)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	size_t i = 0;

	for (; i + 32 <= d; i += 32) {
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
		s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
	}
	for (; i + 16 <= d; i += 16)
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
	if (i < d) {
		__mmask16 m = (__mmask16)((1u << (d - i)) - 1);
		s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i),
				     _mm512_maskz_loadu_ps(m, b + i), s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
#endif

static void dots_scalar(const float *a, const float *b, size_t nb, size_t d, float *out)
{
	for (size_t j = 0; j < nb; j++)
		out[j] = dot_scalar(a, b + j * d, d);
}

#ifdef SDB_X86
static void dots_sse(const float *a, const float *b, size_t nb, size_t d, float *out)
{
	for (size_t j = 0; j < nb; j++)
		out[j] = dot_sse(a, b + j * d, d);
}

/* Four rows at a time: each 8 values of a are loaded once for the four,
 * and the four sums reduce together (three hadds). */
__attribute__((target("avx2,fma")))
static void dots_avx2(const float *a, const float *b, size_t nb, size_t d, float *out)
{
	size_t j = 0;

	for (; j + 4 <= nb; j += 4) {
		const float *b0 = b + j * d, *b1 = b0 + d, *b2 = b1 + d, *b3 = b2 + d;
		__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
		__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
		__m256 h;
		float t[4];
		size_t i = 0;

		for (; i + 8 <= d; i += 8) {
			__m256 x = _mm256_loadu_ps(a + i);
			s0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b0 + i), s0);
			s1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b1 + i), s1);
			s2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b2 + i), s2);
			s3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b3 + i), s3);
		}
		h = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));
		_mm_storeu_ps(t, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
		for (; i < d; i++) {
			t[0] += a[i] * b0[i];
			t[1] += a[i] * b1[i];
			t[2] += a[i] * b2[i];
			t[3] += a[i] * b3[i];
		}
		memcpy(out + j, t, sizeof(t));
	}
	for (; j < nb; j++)
		out[j] = dot_avx2(a, b + j * d, d);
}
#endif

static const struct sdb_vec_kernels k_scalar = { l2sq_scalar, dot_scalar, "scalar", dots_scalar };
#ifdef SDB_X86
static const struct sdb_vec_kernels k_sse = { l2sq_sse, dot_sse, "sse", dots_sse };
static const struct sdb_vec_kernels k_avx2 = { l2sq_avx2, dot_avx2, "avx2", dots_avx2 };
/* an AVX-512 CPU has AVX2: the block kernel is bound by the rows' loads */
static const struct sdb_vec_kernels k_avx512 = { l2sq_avx512, dot_avx512, "avx512", dots_avx2 };
#endif

int sdb_vec_simd_check(struct sdb_error *e)
{
	static const char *const names[] = { "scalar", "sse", "avx2", "avx512" };
	const char *cap = getenv("SOCHDB_SIMD");

	if (!cap || !*cap)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(cap, names[i]))
			return 0;
	return sdb_error_set(e, SDB_EINVAL,
			     "invalid SOCHDB_SIMD '%.64s' (expected scalar, sse, avx2 or avx512)", cap);
}

const struct sdb_vec_kernels *sdb_vec_kernels(void)
{
	static const struct sdb_vec_kernels *chosen;
	const struct sdb_vec_kernels *k = &k_scalar;
	const char *cap;

	if (chosen)
		return chosen;
	cap = getenv("SOCHDB_SIMD");
	if (cap && !*cap)
		cap = NULL;
#ifdef SDB_X86
	__builtin_cpu_init();
	if (!cap || strcmp(cap, "scalar")) {
		k = &k_sse;
		if ((!cap || strcmp(cap, "sse")) && __builtin_cpu_supports("avx2") &&
		    __builtin_cpu_supports("fma"))
			k = &k_avx2;
		if ((!cap || !strcmp(cap, "avx512")) && __builtin_cpu_supports("avx512f"))
			k = &k_avx512;
	}
#else
	(void)cap;
#endif
	chosen = k; /* benign race: every thread computes the same answer */
	return k;
}

/* 1 - dot through the chosen kernel; a trampoline per kernel keeps the
 * hot path to one indirect call. */
static float ipd_scalar(const float *a, const float *b, size_t d) { return 1.0f - dot_scalar(a, b, d); }
#ifdef SDB_X86
static float ipd_sse(const float *a, const float *b, size_t d) { return 1.0f - dot_sse(a, b, d); }
__attribute__((target("avx2,fma")))
static float ipd_avx2(const float *a, const float *b, size_t d) { return 1.0f - dot_avx2(a, b, d); }
__attribute__((target("avx512f")))
static float ipd_avx512(const float *a, const float *b, size_t d) { return 1.0f - dot_avx512(a, b, d); }
#endif

sdb_vec_dist_fn sdb_vec_metric_fn(int metric)
{
	const struct sdb_vec_kernels *k = sdb_vec_kernels();

	if (metric == SDB_VEC_L2)
		return k->l2sq;
#ifdef SDB_X86
	if (k == &k_avx512)
		return ipd_avx512;
	if (k == &k_avx2)
		return ipd_avx2;
	if (k == &k_sse)
		return ipd_sse;
#endif
	return ipd_scalar;
}

/* ---- bfloat16 -------------------------------------------------------- */

void sdb_vec_to_bf16(uint16_t *out, const float *in, size_t d)
{
	for (size_t i = 0; i < d; i++) {
		uint32_t u;
		memcpy(&u, &in[i], 4);
		u += 0x7fffu + ((u >> 16) & 1);
		out[i] = (uint16_t)(u >> 16);
	}
}

static inline float bf16_f(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static float bf16_dot_scalar(const float *a_, const float *b_, size_t d)
{
	const uint16_t *a = (const uint16_t *)(const void *)a_, *b = (const uint16_t *)(const void *)b_;
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;

	for (size_t i = 0; i + 4 <= d; i += 4) {
		s0 += bf16_f(a[i]) * bf16_f(b[i]);
		s1 += bf16_f(a[i + 1]) * bf16_f(b[i + 1]);
		s2 += bf16_f(a[i + 2]) * bf16_f(b[i + 2]);
		s3 += bf16_f(a[i + 3]) * bf16_f(b[i + 3]);
	}
	return (s0 + s1) + (s2 + s3);
}

static float bf16_ipd_scalar(const float *a, const float *b, size_t d)
{
	return 1.0f - bf16_dot_scalar(a, b, d);
}

static float bf16_l2_scalar(const float *a_, const float *b_, size_t d)
{
	const uint16_t *a = (const uint16_t *)(const void *)a_, *b = (const uint16_t *)(const void *)b_;
	float s0 = 0, s1 = 0;

	for (size_t i = 0; i + 2 <= d; i += 2) {
		float t0 = bf16_f(a[i]) - bf16_f(b[i]), t1 = bf16_f(a[i + 1]) - bf16_f(b[i + 1]);
		s0 += t0 * t0;
		s1 += t1 * t1;
	}
	return s0 + s1;
}

#ifdef SDB_X86
__attribute__((target("avx512f,avx512bf16")))
static float bf16_ipd_avx512(const float *a_, const float *b_, size_t d)
{
	const uint16_t *a = (const uint16_t *)(const void *)a_, *b = (const uint16_t *)(const void *)b_;
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	size_t i = 0;

	for (; i + 64 <= d; i += 64) {
		s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_loadu_si512(a + i),
				      (__m512bh)_mm512_loadu_si512(b + i));
		s1 = _mm512_dpbf16_ps(s1, (__m512bh)_mm512_loadu_si512(a + i + 32),
				      (__m512bh)_mm512_loadu_si512(b + i + 32));
	}
	for (; i + 32 <= d; i += 32)
		s0 = _mm512_dpbf16_ps(s0, (__m512bh)_mm512_loadu_si512(a + i),
				      (__m512bh)_mm512_loadu_si512(b + i));
	return 1.0f - _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static float bf16_l2_avx512(const float *a_, const float *b_, size_t d)
{
	const uint16_t *a = (const uint16_t *)(const void *)a_, *b = (const uint16_t *)(const void *)b_;
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();

	for (size_t i = 0; i + 32 <= d; i += 32) {
		__m512 a0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(
			_mm256_loadu_si256((const __m256i *)(a + i))), 16));
		__m512 b0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(
			_mm256_loadu_si256((const __m256i *)(b + i))), 16));
		__m512 a1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(
			_mm256_loadu_si256((const __m256i *)(a + i + 16))), 16));
		__m512 b1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(
			_mm256_loadu_si256((const __m256i *)(b + i + 16))), 16));
		__m512 t0 = _mm512_sub_ps(a0, b0), t1 = _mm512_sub_ps(a1, b1);
		s0 = _mm512_fmadd_ps(t0, t0, s0);
		s1 = _mm512_fmadd_ps(t1, t1, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
/* bf16 rows on AVX2: eight values widen to float32 with a shift */
__attribute__((target("avx2,fma")))
static inline __m256 bf16x8_avx2(const uint16_t *p)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(
		_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p)), 16));
}

__attribute__((target("avx2,fma")))
static float bf16_l2_avx2(const float *a_, const float *b_, size_t d)
{
	const uint16_t *a = (const uint16_t *)(const void *)a_, *b = (const uint16_t *)(const void *)b_;
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

	/* rows are padded to 32 values */
	for (size_t i = 0; i + 16 <= d; i += 16) {
		__m256 t0 = _mm256_sub_ps(bf16x8_avx2(a + i), bf16x8_avx2(b + i));
		__m256 t1 = _mm256_sub_ps(bf16x8_avx2(a + i + 8), bf16x8_avx2(b + i + 8));
		s0 = _mm256_fmadd_ps(t0, t0, s0);
		s1 = _mm256_fmadd_ps(t1, t1, s1);
	}
	return sdb_hsum256(_mm256_add_ps(s0, s1));
}

__attribute__((target("avx2,fma")))
static float bf16_ipd_avx2(const float *a_, const float *b_, size_t d)
{
	const uint16_t *a = (const uint16_t *)(const void *)a_, *b = (const uint16_t *)(const void *)b_;
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();

	for (size_t i = 0; i + 16 <= d; i += 16) {
		s0 = _mm256_fmadd_ps(bf16x8_avx2(a + i), bf16x8_avx2(b + i), s0);
		s1 = _mm256_fmadd_ps(bf16x8_avx2(a + i + 8), bf16x8_avx2(b + i + 8), s1);
	}
	return 1.0f - sdb_hsum256(_mm256_add_ps(s0, s1));
}
/*
 * A float32 query against bf16 rows (search): only the row widens. On
 * AVX2 a 32-byte load of 16 values widens with two unpacks against zero
 * (the values land in the high halves of 32-bit lanes), which takes
 * them in the order 0-3 8-11 | 4-7 12-15 of each 16: the query is
 * stored in that order once (sdb_vec_bf16q_prep), so a distance costs
 * one load and two unpacks per 16 values of the row.
 */
__attribute__((target("avx2,fma")))
static inline void bf16x16_avx2(const uint16_t *p, __m256 *lo, __m256 *hi)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p), z = _mm256_setzero_si256();

	*lo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, x));
	*hi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, x));
}

__attribute__((target("avx2,fma")))
static float bf16q_l2_avx2(const float *q, const float *b_, size_t d)
{
	const uint16_t *b = (const uint16_t *)(const void *)b_;
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();

	/* rows are padded to 32 values */
	for (size_t i = 0; i + 32 <= d; i += 32) {
		__m256 a, c, e, f;
		bf16x16_avx2(b + i, &a, &c);
		bf16x16_avx2(b + i + 16, &e, &f);
		a = _mm256_sub_ps(_mm256_loadu_ps(q + i), a);
		c = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), c);
		e = _mm256_sub_ps(_mm256_loadu_ps(q + i + 16), e);
		f = _mm256_sub_ps(_mm256_loadu_ps(q + i + 24), f);
		s0 = _mm256_fmadd_ps(a, a, s0);
		s1 = _mm256_fmadd_ps(c, c, s1);
		s2 = _mm256_fmadd_ps(e, e, s2);
		s3 = _mm256_fmadd_ps(f, f, s3);
	}
	return sdb_hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

__attribute__((target("avx2,fma")))
static float bf16q_ipd_avx2(const float *q, const float *b_, size_t d)
{
	const uint16_t *b = (const uint16_t *)(const void *)b_;
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();

	for (size_t i = 0; i + 32 <= d; i += 32) {
		__m256 a, c, e, f;
		bf16x16_avx2(b + i, &a, &c);
		bf16x16_avx2(b + i + 16, &e, &f);
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), a, s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), c, s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), e, s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), f, s3);
	}
	return 1.0f - sdb_hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}
#endif

static float bf16q_l2_scalar(const float *q, const float *b_, size_t d)
{
	const uint16_t *b = (const uint16_t *)(const void *)b_;
	float s0 = 0, s1 = 0;

	for (size_t i = 0; i + 2 <= d; i += 2) {
		float t0 = q[i] - bf16_f(b[i]), t1 = q[i + 1] - bf16_f(b[i + 1]);
		s0 += t0 * t0;
		s1 += t1 * t1;
	}
	return s0 + s1;
}

static float bf16q_ipd_scalar(const float *q, const float *b_, size_t d)
{
	const uint16_t *b = (const uint16_t *)(const void *)b_;
	float s0 = 0, s1 = 0;

	for (size_t i = 0; i + 2 <= d; i += 2) {
		s0 += q[i] * bf16_f(b[i]);
		s1 += q[i + 1] * bf16_f(b[i + 1]);
	}
	return 1.0f - (s0 + s1);
}

/* 1 when the mixed kernels are the AVX2 ones (the permuted query) */
static int bf16q_avx2(void)
{
#ifdef SDB_X86
	sdb_vec_dist_fn l2 = sdb_vec_kernels()->l2sq;
	return l2 == l2sq_avx2 || l2 == l2sq_avx512;
#else
	return 0;
#endif
}

sdb_vec_dist_fn sdb_vec_bf16q_metric_fn(int metric)
{
#ifdef SDB_X86
	if (bf16q_avx2())
		return metric == SDB_VEC_L2 ? bf16q_l2_avx2 : bf16q_ipd_avx2;
#endif
	return metric == SDB_VEC_L2 ? bf16q_l2_scalar : bf16q_ipd_scalar;
}

void sdb_vec_bf16q_prep(float *out, const float *q, size_t d, size_t pd)
{
	static const uint8_t perm[16] = { 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15 };
	int avx2 = bf16q_avx2();

	for (size_t i = 0; i < pd; i++) {
		size_t j = avx2 ? (i & ~(size_t)15) + perm[i & 15] : i;
		out[i] = j < d ? q[j] : 0.0f;
	}
}


int sdb_vec_has_bf16(void)
{
#ifdef SDB_X86
	const char *cap = getenv("SOCHDB_SIMD");
	if (cap && *cap && strcmp(cap, "avx512"))
		return 0;
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f");
#else
	return 0;
#endif
}

sdb_vec_dist_fn sdb_vec_bf16_metric_fn(int metric)
{
#ifdef SDB_X86
	sdb_vec_dist_fn l2 = sdb_vec_kernels()->l2sq;
	if (metric == SDB_VEC_L2)
		return l2 == l2sq_avx512 ? bf16_l2_avx512 : l2 == l2sq_avx2 ? bf16_l2_avx2 : bf16_l2_scalar;
	if (sdb_vec_has_bf16())
		return bf16_ipd_avx512;
	if (l2 == l2sq_avx2 || l2 == l2sq_avx512)
		return bf16_ipd_avx2;
#else
	if (metric == SDB_VEC_L2)
		return bf16_l2_scalar;
#endif
	return bf16_ipd_scalar;
}

int sdb_vec_metric_parse(const char *s)
{
	if (!strcmp(s, "l2"))
		return SDB_VEC_L2;
	if (!strcmp(s, "ip"))
		return SDB_VEC_IP;
	if (!strcmp(s, "cosine"))
		return SDB_VEC_COSINE;
	return -1;
}

const char *sdb_vec_metric_name(int metric)
{
	switch (metric) {
	case SDB_VEC_L2: return "l2";
	case SDB_VEC_IP: return "ip";
	case SDB_VEC_COSINE: return "cosine";
	}
	return "unknown";
}

void sdb_vec_normalize(float *v, size_t d)
{
	double s = 0;

	for (size_t i = 0; i < d; i++)
		s += (double)v[i] * v[i];
	if (s > 0) {
		float inv = (float)(1.0 / sqrt(s));
		for (size_t i = 0; i < d; i++)
			v[i] *= inv;
	}
}
