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
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t c = ~crc;

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
