/*
 * index_header.c - fuzz target: the index file reader (lib/vec/hnswfile.c)
 * and a search over whatever graph it accepts. A damaged file must give
 * an error or a bounded search, never a crash: queries do not verify the
 * section checksums, so the search bounds-checks every id it reads.
 */
#include "vec/hnsw.h"
#include "vec/hnswfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_index x;
	struct sdb_error e;
	void *copy;

	/* sections must be 4-byte aligned: give the reader its own copy */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	sdb_error_clear(&e);
	if (sdb_index_from_memory(&x, copy, size, "fuzz", &e) == 0) {
		sdb_index_verify(&x, &e);
		if (x.g.n <= (1u << 20) && x.g.dim <= 4096) {
			struct sdb_hnsw_ctx *c = sdb_hnsw_ctx_new(x.g.n, x.g.M0);
			float *q = calloc(x.g.dim, sizeof(float));
			uint32_t ids[4];
			float d[4];
			if (c && q)
				sdb_hnsw_search(&x.g, c, q, x.g.n < 4 ? (uint32_t)x.g.n : 4, 8, ids, d);
			free(q);
			sdb_hnsw_ctx_free(c);
		}
		sdb_index_close(&x);
	}
	free(copy);
	return 0;
}
