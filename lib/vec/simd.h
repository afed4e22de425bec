/*
 * simd.h - private to lib/vec: small SIMD helpers shared by the kernel
 * files (distance.c, quant.c), compiled with target attributes so the
 * rest of the library keeps the baseline x86-64 ABI.
 */
#ifndef SDB_VEC_SIMD_H
#define SDB_VEC_SIMD_H

#if defined(__x86_64__)
#include <immintrin.h>

/* The sum of the eight lanes of v. */
__attribute__((target("avx2,fma")))
static inline float sdb_hsum256(__m256 v)
{
	__m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
	lo = _mm_add_ps(lo, hi);
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
	return _mm_cvtss_f32(lo);
}
#endif

#endif
