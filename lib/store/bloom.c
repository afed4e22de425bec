/*
 * bloom.c - the per-table bloom filter (over util/hash.h's sdb_hash64).
 *
 * Filter layout: nbits/8 bytes of bits (nbits a multiple of 64), then one
 * byte k (number of probes, 1..30). Probe i tests bit (h1 + i*h2) mod nbits
 * with h1 = low 32 bits of the hash, h2 = high 32 bits | 1 (double
 * hashing). A filter with an unexpected k says "may contain" (safe).
 */
#include "store/internal.h"

#include "util/varint.h"

void sdb_bloom_build(struct sdb_buf *b, const uint64_t *h, size_t n,
		     int bits_per_key)
{
	size_t nbits = n * (size_t)bits_per_key;
	int k = (int)(bits_per_key * 0.69);
	unsigned char *bits;

	if (k < 1)
		k = 1;
	if (k > 30)
		k = 30;
	nbits = (nbits + 63) / 64 * 64;
	if (nbits < 64)
		nbits = 64;
	if (sdb_buf_grow(b, nbits / 8 + 1))
		return;
	bits = (unsigned char *)b->data + b->len;
	memset(bits, 0, nbits / 8);
	for (size_t i = 0; i < n; i++) {
		uint32_t h1 = (uint32_t)h[i], h2 = (uint32_t)(h[i] >> 32) | 1;
		for (int j = 0; j < k; j++) {
			uint32_t bit = (uint32_t)((h1 + (uint64_t)j * h2) % nbits);
			bits[bit >> 3] |= (unsigned char)(1u << (bit & 7));
		}
	}
	bits[nbits / 8] = (unsigned char)k;
	b->len += nbits / 8 + 1;
	b->data[b->len] = 0;
}

int sdb_bloom_may_contain(const unsigned char *f, size_t n, uint64_t h)
{
	size_t nbits;
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;
	int k;

	if (n < 9 || (n - 1) % 8)
		return 1;
	nbits = (n - 1) * 8;
	k = f[n - 1];
	if (k < 1 || k > 30)
		return 1;
	for (int j = 0; j < k; j++) {
		uint32_t bit = (uint32_t)((h1 + (uint64_t)j * h2) % nbits);
		if (!(f[bit >> 3] & (1u << (bit & 7))))
			return 0;
	}
	return 1;
}
