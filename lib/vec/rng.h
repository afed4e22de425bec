/*
 * rng.h - the seeded generator of lib/vec (splitmix64): HNSW levels and
 * the orderings' projections and samples. Private to lib/vec.
 */
#ifndef SDB_VEC_RNG_H
#define SDB_VEC_RNG_H

#include <stdint.h>

static inline uint64_t sdb_vec_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A uniform double in the open interval (0, 1). */
static inline double sdb_vec_rng_unit(uint64_t *s)
{
	return ((double)(sdb_vec_rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

#endif
