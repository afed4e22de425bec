/*
 * hash.h - the library's hash functions, in one place: a fast hash for the
 * short keys of in-memory tables (JSON/TOON duplicate-key checks) and the
 * stable 64-bit hash whose values are stored on disk (table bloom
 * filters). Neither is meant for tables fed by an adversary that need
 * flood resistance.
 */
#ifndef SDB_HASH_H
#define SDB_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A fast 64-bit hash for short keys (exact on the first and last eight
 * bytes and the length; longer keys mix in the middle too). Its values
 * are never stored: it may change between versions.
 */
static inline uint64_t sdb_hash_short(const char *p, size_t n)
{
	uint64_t a = 0, b = 0, h;

	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		for (size_t i = 8; i + 8 < n; i += 8) {
			uint64_t m;
			memcpy(&m, p + i, 8);
			a = (a ^ m) * 0x9E3779B97F4A7C15ull;
		}
	} else if (n >= 4) {
		uint32_t lo, hi; /* overlapping: every byte in */
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		a = lo | (uint64_t)hi << 32;
	} else if (n) {
		a = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
		    (uint64_t)(unsigned char)p[n - 1] << 16;
	}
	h = (a * 0x9E3779B97F4A7C15ull) ^ ((b ^ (uint64_t)n) * 0xC2B2AE3D27D4EB4Full);
	/* every byte reaches the low bits tables index by (keys that
	 * differ only in their last bytes, city07 and city08, must not
	 * share a slot) */
	h ^= h >> 32;
	h *= 0xD6E8FEB86659FD93ull;
	return h ^ (h >> 32);
}

/*
 * The stable 64-bit hash of p[0..n): eight bytes at a time (little
 * endian), each mixed with the murmur3 finaliser. Its values are stored
 * in table files (bloom filters, doc/FORMAT.md): never change it.
 */
uint64_t sdb_hash64(const void *p, size_t n);

#endif
