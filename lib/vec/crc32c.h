/*
 * crc32c.h - CRC-32C (Castagnoli) for the vector index sections.
 * Uses the SSE4.2 instruction when the CPU has it (checked at run time),
 * a table otherwise. Kept inside vec so the module needs only util.
 */
#ifndef SDB_VEC_CRC32C_H
#define SDB_VEC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (start with 0) over n bytes. @return the new crc. */
uint32_t sdb_vec_crc32c(uint32_t crc, const void *p, size_t n);

#endif
