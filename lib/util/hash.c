/* hash.c - the stable 64-bit hash (see hash.h). */
#include "util/hash.h"
#include "util/varint.h"

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t sdb_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0x100000001b3ull);

	while (n >= 8) {
		h = mix(h ^ sdb_get_u64(s)) * 0x9e3779b97f4a7c15ull;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)s[i] << (8 * i);
		h = mix(h ^ v ^ 0xa5) * 0x9e3779b97f4a7c15ull;
	}
	return mix(h);
}
