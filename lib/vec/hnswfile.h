/*
 * hnswfile.h - the HNSW index file: written once through temp + rename,
 * read through a read-only mmap without deserialising.
 *
 * LAYOUT (version 1; every integer little-endian)
 *
 *   header, 4096 bytes at offset 0:
 *     0   8  magic "SDBHNSW\0"
 *     8   4  u32 format version (1)
 *    12   4  u32 header size (4096)
 *    16   8  u64 n, number of vectors
 *    24   4  u32 dimension
 *    28   4  u32 metric (0 l2, 1 ip, 2 cosine)
 *    32   4  u32 M (upper-layer degree)
 *    36   4  u32 M0 (layer-0 degree, 2M)
 *    40   4  u32 ef_construction
 *    44   4  u32 max level
 *    48   4  u32 entry point (node number)
 *    52   4  u32 ordering (0 none, 1 random_projection, 2 kmeans, 3 block)
 *    56   8  u64 seed
 *    64   4  u32 batch size
 *    68   4  u32 threads used by the build
 *    72   8  u64 upper-layer entries (u32 count of the upper section)
 *    80   4  u32 has external ids (1: from --ids, 0: input row numbers)
 *    84   4  u32 section count (7)
 *    88 224  7 section records of 32 bytes:
 *              u64 offset, u64 length in bytes, u32 crc32c of the bytes,
 *              u32 section kind (0..5 below), u64 zero
 *   312   4  u32 build precision (1 float32, 2 bfloat16, 3 sq8 distances)
 *   316   4  u32 padded dimension of the bf16 vectors (0: none)
 *   320   4  u32 shard number I (0-based)
 *   324   4  u32 shard count N (0: not recorded, a file written before
 *              shards: read as shard 0/1 of an input of n rows)
 *   328   8  u64 rows of the input the shard was cut from
 *   336   8  u64 first input row of this index: it holds input rows
 *              first .. first+n-1, first = floor(I * rows / N)
 *   344   4  u32 input fingerprint (vec/shard.h: CRC-32C of the input's
 *              row count, dimension, first and last row)
 *   352   4  u32 stride of the SQ8 search copy: dim rounded up to 16
 *              (0: no copy; then the next three fields are zero)
 *   356   4  u32 crc32c of the SQ8 copy's bytes
 *   360   8  u64 offset of the SQ8 copy (a multiple of 64, after section 6)
 *   368   8  u64 its length: stride * (n + 8) bytes
 *   ...      zero
 *  4092   4  u32 crc32c of header bytes 0..4091
 *
 *   sections, each at an offset that is a multiple of 64 (vectors at 4096),
 *   zero padding between them:
 *     0 vectors    n * dim f32 (normalised for cosine), in node order
 *     1 ids        n u64: external id of each node
 *     2 levels     n u8: top layer of each node
 *     3 links0     n * (M0+1) u32: count, then neighbour node numbers
 *     4 upper_off  n u32: start of each node's upper layers in section 5
 *     5 upper      u32 blocks of (M+1) per upper layer of each node
 *     6 vectors_bf16 n * bf16_dim u16 (bfloat16, zero padded), or empty:
 *                  written by a bf16 build, or by any build asked for a
 *                  bf16 search copy (meta.search_bf16); queries compare
 *                  with it and re-rank the candidates with the float32
 *                  vectors
 *   the SQ8 search copy (header offset 352; written instead of section 6
 *   by --search-precision sq8, the default; files without it read as
 *   before, and older readers ignore it):
 *                  stride f32 offsets, stride f32 scales (vec/quant.h,
 *                  0 past dim), then n rows of stride code bytes in
 *                  node order; queries walk it and re-rank the best
 *                  max(2k, ef / 4) with the float32 vectors
 *
 * Node numbers are positions in the file; --ordering renumbers nodes for
 * locality and the ids section keeps the external ids.
 */
#ifndef SDB_VEC_HNSWFILE_H
#define SDB_VEC_HNSWFILE_H

#include "util/err.h"
#include "vec/hnsw.h"

#include <stdint.h>

#define SDB_INDEX_MAGIC "SDBHNSW"
#define SDB_INDEX_VERSION 1
#define SDB_INDEX_HEADER 4096
#define SDB_INDEX_SECTIONS 7

struct sdb_index_meta {
	uint32_t ef_construction;
	uint32_t ordering;
	uint64_t seed;
	uint32_t batch_size;
	uint32_t threads;
	uint32_t has_ids;
	uint32_t precision;
	/* shard I of N of an input of input_rows rows, from first_row on
	 * (vec/shard.h); a whole index is shard 0/1 */
	uint32_t shard_index, shard_count;
	uint64_t input_rows, first_row;
	uint32_t input_crc;
	/* write section 6 (bf16 rows for the search) for a float32 build
	 * too, rounded from the float32 vectors while writing */
	int search_bf16;
	/* write the SQ8 search copy instead of any bf16 one (trained on
	 * the vectors, each row encoded as it is written) */
	int search_sq8;
};

/*
 * Writes graph h (vectors h->g.vecs) to path through a temporary file
 * and rename. ids: external id per input row (NULL: the row number).
 * perm: perm[new] = old node order (NULL: unchanged).
 * @return 0, SDB_EIO (the temporary file is removed) or SDB_ENOMEM.
 */
int sdb_index_write(const char *path, const struct sdb_hnsw *h, const uint64_t *ids,
		    const uint32_t *perm, const struct sdb_index_meta *meta,
		    uint64_t *bytes_written, struct sdb_error *e);

/* An index file opened read-only. */
struct sdb_index {
	struct sdb_hnsw_graph g;  /* points into the mapping; untrusted */
	const uint64_t *ids;
	struct sdb_index_meta meta;
	uint64_t file_bytes;
	const unsigned char *map;
	uint64_t sec_off[SDB_INDEX_SECTIONS], sec_len[SDB_INDEX_SECTIONS];
	uint32_t sec_crc[SDB_INDEX_SECTIONS];
	uint32_t sq8_stride, sq8_crc; /* the SQ8 copy (header 352..375) */
	uint64_t sq8_off, sq8_len;
	int borrowed;
	int shard_recorded;       /* 0: a file without the shard fields */
	char name[256];
};

/*
 * Maps path and checks the header: magic, version, header checksum,
 * section bounds and sizes. Does not read the sections (a first query
 * touches only the pages it needs). @return 0, SDB_ENOTFOUND, SDB_EIO,
 * SDB_ECORRUPT ("not an index", "checksum mismatch ...") or SDB_EVERSION.
 */
int sdb_index_open(struct sdb_index *x, const char *path, struct sdb_error *e);
/* Like sdb_index_open over bytes the caller keeps alive (not unmapped by
 * close); for tests and fuzzing. */
int sdb_index_from_memory(struct sdb_index *x, const void *p, size_t len,
			  const char *name, struct sdb_error *e);
/* Verifies every section checksum (reads the whole file).
 * @return 0 or SDB_ECORRUPT naming the section. */
int sdb_index_verify(const struct sdb_index *x, struct sdb_error *e);
void sdb_index_close(struct sdb_index *x);

/* Name of section i ("vectors", "ids", ...). */
const char *sdb_index_section_name(int i);

#endif
