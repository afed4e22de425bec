/*
 * table_block - fuzz target: the table block reader (a stored block:
 * checksum, then lz4/zstd/raw payload, then entry decoding) and the bloom
 * probe. The first input byte chooses how the rest is used: as a stored
 * block as is, or as raw block contents wrapped in a block with a valid
 * checksum (so the decoders behind the checksum are reached).
 * Properties: no crash, leak or UB; decoded keys/values stay inside the
 * decompressed buffer.
 */
#include "util/crc32c.h"
#include "util/varint.h"
#include "store/internal.h"

#include <lz4.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static void check(const unsigned char *stored, size_t n)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	struct sdb_block b = { 0 };

	if (sdb_block_check_stored(stored, n, &raw, &rawlen) == 0) {
		if (sdb_block_decode(&b, raw, rawlen) == 0)
			for (size_t i = 0; i < b.n; i++)
				if (b.val[i] < raw || b.val[i] + b.vlen[i] > raw + rawlen)
					abort();
	}
	free(raw);
	sdb_block_release(&b);
	sdb_bloom_may_contain(stored, n, sdb_hash64(stored, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *buf;
	size_t plen = 0, cap;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0] % 4;
	data++;
	size--;
	if (mode == 0) {
		check(data, size);
		return 0;
	}
	/* wrap data as the contents of a block: raw, lz4 or zstd */
	cap = size + LZ4_compressBound((int)size) + ZSTD_compressBound(size) + 16;
	buf = malloc(cap);
	if (!buf)
		return 0;
	if (mode == 1) {
		memcpy(buf, data, size);
		plen = size;
	} else if (mode == 2) {
		int n = LZ4_compress_default((const char *)data, (char *)buf, (int)size, (int)(cap - 16));
		plen = n > 0 ? (size_t)n : 0;
	} else {
		size_t n = ZSTD_compress(buf, cap - 16, data, size, 1);
		plen = ZSTD_isError(n) ? 0 : n;
	}
	buf[plen] = (unsigned char)(mode - 1);
	sdb_put_u32(buf + plen + 1, (uint32_t)size);
	sdb_put_u32(buf + plen + 5, sdb_crc32c_extend(sdb_crc32c(buf, plen), buf + plen, 5));
	check(buf, plen + SDB_BLOCK_TRAILER);
	free(buf);
	return 0;
}
