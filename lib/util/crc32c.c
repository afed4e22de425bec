/* crc32c.c - CRC-32C with SSE4.2 dispatch and a table fallback (crc32c.h). */
#include "util/crc32c.h"

#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t table[8][256];
static int table_ready;

static void make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
	table_ready = 1;
}

uint32_t sdb_crc32c_sw(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (!table_ready)
		make_table();
	crc = ~crc;
	while (n >= 8) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + 4, 4);
		lo ^= crc;
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		      table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		      table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		s += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ table[0][(crc ^ *s++) & 0xff];
	return ~crc;
}

#if defined(__x86_64__)
/* Three streams of LANE bytes at a time: the crc32 instruction takes 3
 * cycles and issues one a cycle, so three independent chains run at its
 * throughput; their registers are joined by shifting them over LANE zero
 * bytes (linear in the register: four byte tables, made once from the
 * 32 single-bit registers). */
#define LANE 256
static uint32_t lane_shift[4][256];
static int lane_ready;

__attribute__((target("sse4.2")))
static void make_lane_shift(void)
{
	uint32_t bit[32];
	for (int j = 0; j < 32; j++) {
		uint64_t r = (uint64_t)1 << j;
		for (int i = 0; i < LANE / 8; i++)
			r = __builtin_ia32_crc32di(r, 0);
		bit[j] = (uint32_t)r;
	}
	for (int k = 0; k < 4; k++)
		for (int b = 0; b < 256; b++) {
			uint32_t v = 0;
			for (int t = 0; t < 8; t++)
				if (b >> t & 1)
					v ^= bit[8 * k + t];
			lane_shift[k][b] = v;
		}
	__atomic_store_n(&lane_ready, 1, __ATOMIC_RELEASE);
}

static inline uint32_t shift_lane(uint32_t c)
{
	return lane_shift[0][c & 0xff] ^ lane_shift[1][(c >> 8) & 0xff] ^
	       lane_shift[2][(c >> 16) & 0xff] ^ lane_shift[3][c >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t c = ~crc;

	if (n >= 3 * LANE) {
		if (!__atomic_load_n(&lane_ready, __ATOMIC_ACQUIRE))
			make_lane_shift();
		do {
			uint64_t c0 = c, c1 = 0, c2 = 0, v0, v1, v2;
			for (size_t i = 0; i < LANE; i += 8) {
				memcpy(&v0, s + i, 8);
				memcpy(&v1, s + LANE + i, 8);
				memcpy(&v2, s + 2 * LANE + i, 8);
				c0 = __builtin_ia32_crc32di(c0, v0);
				c1 = __builtin_ia32_crc32di(c1, v1);
				c2 = __builtin_ia32_crc32di(c2, v2);
			}
			c = shift_lane(shift_lane((uint32_t)c0) ^ (uint32_t)c1) ^ (uint32_t)c2;
			s += 3 * LANE;
			n -= 3 * LANE;
		} while (n >= 3 * LANE);
	}
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		c = __builtin_ia32_crc32di(c, v);
		s += 8;
		n -= 8;
	}
	while (n--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *s++);
	return ~(uint32_t)c;
}
#endif

uint32_t sdb_crc32c_extend(uint32_t crc, const void *p, size_t n)
{
#if defined(__x86_64__)
	static int have = -1;
	if (have < 0) {
		/* one cpuid leaf, when first needed: __builtin_cpu_supports
		 * would link libgcc's start-up probe of every leaf into each
		 * tool, and a cpuid is a trap to the hypervisor in a VM (tens
		 * of microseconds a leaf, before main) */
		unsigned a, b, c, d;
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) ? 1 : 0;
	}
	if (have)
		return crc_hw(crc, p, n);
#endif
	return sdb_crc32c_sw(crc, p, n);
}
