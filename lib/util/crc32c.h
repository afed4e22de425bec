/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of every WAL record, table
 * block and manifest. Uses the SSE4.2 crc32 instruction when the CPU has
 * it (runtime dispatch) and a slicing-by-8 table otherwise; both give the
 * same values (crc32c("123456789") == 0xE3069283).
 */
#ifndef SDB_CRC32C_H
#define SDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over n bytes at p; start with crc = 0. @return the CRC. */
uint32_t sdb_crc32c_extend(uint32_t crc, const void *p, size_t n);

static inline uint32_t sdb_crc32c(const void *p, size_t n)
{
	return sdb_crc32c_extend(0, p, n);
}

/* The portable implementation, exposed so tests can compare both paths. */
uint32_t sdb_crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif
