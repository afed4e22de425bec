/*
 * internal.h - the engine's internal interfaces (wal, table, bloom,
 * manifest, lock, memtable). Only lib/store/ and the unit tests use it.
 * Byte layouts are documented at the top of each .c file.
 */
#ifndef SDB_STORE_INTERNAL_H
#define SDB_STORE_INTERNAL_H

#include "store/filename.h"
#include "store/store.h"
#include "util/hash.h"

#include <sys/types.h>

/* ---------------------------------------------------------------- WAL */
#define SDB_WAL_HDR 16
#define SDB_WAL_TRAILER 4
#define SDB_WAL_OVERHEAD (SDB_WAL_HDR + SDB_WAL_TRAILER)
#define SDB_WAL_MAX_PAYLOAD ((uint32_t)SDB_MAX_VALUE + SDB_MAX_KEY + SDB_MAX_NS + 64)
#define SDB_WAL_SEG_BYTES (64u << 20) /* switch segments past this size */

struct sdb_wal_rec {
	uint8_t type;
	const unsigned char *payload;
	uint32_t len;
	size_t reclen; /* whole record on disk */
};
/* Appends one encoded record to b (b's sticky OOM flag on failure). */
void sdb_wal_encode(struct sdb_buf *b, int type, const void *payload,
		    size_t len);
/* The same with the payload given in nparts pieces (copied once). */
void sdb_wal_encodev(struct sdb_buf *b, int type, const void *const *part,
		     const size_t *plen, int nparts);
/* Decodes the record at p with avail bytes. @return 0 ok, 1 incomplete
 * (may be in flight: header or body runs past avail), SDB_ECORRUPT. */
int sdb_wal_decode(const unsigned char *p, size_t avail, struct sdb_wal_rec *r);

/* Why the record at p does not decode ("checksum mismatch", "unknown
 * record type N" for a record whose checksums hold, ...); buf holds the
 * text when it needs formatting. */
const char *sdb_wal_why(const unsigned char *p, size_t avail, char *buf,
			size_t n);

/* Decoded PUT/DEL payload; DELRANGE: key = lo, val = hi. */
struct sdb_wal_op {
	const unsigned char *key; /* internal key */
	size_t klen;
	const unsigned char *val;
	size_t vlen;
	uint64_t expires_ms;
};
/* @return 0, or SDB_ECORRUPT: malformed, or r is not a PUT/DEL/DELRANGE
 * record (an unknown or non-operation type is never read as a put). */
int sdb_wal_op_decode(const struct sdb_wal_rec *r, struct sdb_wal_op *op);

/* A WAL segment read into memory. */
struct sdb_wal_seg {
	uint64_t start; /* LSN of byte 0 */
	char *path;
	unsigned char *data;
	size_t size;    /* bytes read */
	size_t valid;   /* end of the last good record */
	int status;     /* enum below */
	size_t bad_off; /* offset of damage or torn tail */
	size_t mapped;  /* sdb_wal_seg_map: bytes mapped (data is a mapping) */
	size_t fbase;   /* offset of data[0] in the file (a tail piece read by
			 * an incremental refresh; 0 for a whole segment) */
};
enum { SDB_SEG_CLEAN, SDB_SEG_INFLIGHT, SDB_SEG_TAILDAMAGE, SDB_SEG_DAMAGED };

/* Lists wal-*.log in dir sorted by start LSN. *starts is malloc'ed. */
int sdb_wal_list(const char *dir, uint64_t **starts, int *n,
		 struct sdb_error *e);
/* Reads a segment and classifies its end (newest: the live segment, where
 * an incomplete or damaged last record is a tail). @return 0, or
 * SDB_ENOTFOUND/SDB_EIO. */
int sdb_wal_seg_read(struct sdb_wal_seg *s, const char *dir, uint64_t start,
		     int newest, struct sdb_error *e);
/* The same from byte off of the file on (a tail piece: start becomes
 * the LSN of that byte, fbase off); a file now shorter than off:
 * SDB_ENOTFOUND. */
int sdb_wal_seg_read_from(struct sdb_wal_seg *s, const char *dir,
			  uint64_t start, size_t off, int newest,
			  struct sdb_error *e);
/* The same over a read-only mapping, for the writer lock holder only
 * (nobody else may truncate the file meanwhile: SIGBUS). */
int sdb_wal_seg_map(struct sdb_wal_seg *s, const char *dir, uint64_t start,
		    int newest, struct sdb_error *e);
void sdb_wal_seg_release(struct sdb_wal_seg *s);
/* Fills e for the damage at s->bad_off: "damaged WAL record in 'PATH' at
 * offset N: WHY". @return SDB_ECORRUPT. */
int sdb_wal_seg_damage(const struct sdb_wal_seg *s, struct sdb_error *e);
/* Scans bytes [0,size) of a segment: sets valid, status, bad_off. */
void sdb_wal_scan(struct sdb_wal_seg *s, int newest);
/* Fast check that the segment of fd with size ends with a whole last
 * write: every record back to the last BEGIN (or a CHECKPOINT) is good
 * (walking back from the trailer). @return 1 good, 0 needs a full scan. */
int sdb_wal_tail_ok(int fd, uint64_t size, uint64_t trusted);

/* -------------------------------------------------------------- bloom */
/* the key hash is sdb_hash64 (util/hash.h) */
/* Builds a filter of bits_per_key for n hashes into b (bits, then k). */
void sdb_bloom_build(struct sdb_buf *b, const uint64_t *h, size_t n,
		     int bits_per_key);
/* @return 0 when the key is certainly absent, 1 when it may be present. */
int sdb_bloom_may_contain(const unsigned char *f, size_t n, uint64_t h);

/* -------------------------------------------------------------- table */
#define SDB_TABLE_MAGIC 0x31304c4254424453ull /* "SDBTBL01" */
#define SDB_TABLE_VERSION 1 /* tables without range deletes */
#define SDB_TABLE_VERSION_RANGES 2 /* with a range block */
#define SDB_TABLE_FOOTER 64
#define SDB_BLOCK_TRAILER 9
/* Every damage found inside a table file is reported as SDB_ECORRUPT with
 * a message that starts with this (table.c); damage.c recognises table
 * damage by it, so the wording lives here only. */
#define SDB_TABLE_DAMAGE_PREFIX "damaged table '"
#define SDB_BLOCK_BYTES 4096
#define SDB_BLOCK_BYTES_ZSTD 16384 /* bigger blocks compress better */
#define SDB_ZSTD_LEVEL 3
#define SDB_TABLE_TARGET (64ull << 20) /* compaction output size (maint.c) */
#define SDB_BLOCK_MAX_RAW (SDB_MAX_VALUE + 2 * SDB_MAX_KEY + 1024)

enum { SDB_KIND_PUT = 0, SDB_KIND_DEL = 1, SDB_KIND_TTL = 2 };

struct sdb_table_meta {
	uint64_t no;
	int level;
	uint64_t size, nentries, ndeletes, raw_bytes;
	unsigned char *smallest, *largest; /* malloc'ed internal keys */
	size_t slen, llen;
};

struct sdb_table_writer;
int sdb_table_writer_open(struct sdb_table_writer **w, const char *path,
			  int comp, int nosync, struct sdb_error *e);
/* Adds entries in strictly increasing key order. */
int sdb_table_writer_add(struct sdb_table_writer *w, const void *k, size_t klen,
			 int kind, uint64_t expires, const void *v, size_t vlen,
			 struct sdb_error *e);
/* Adds a deleted range [lo, hi) (any order, may overlap; copied). */
int sdb_table_writer_add_range(struct sdb_table_writer *w, const void *lo,
			       size_t lolen, const void *hi, size_t hilen,
			       struct sdb_error *e);
uint64_t sdb_table_writer_bytes(const struct sdb_table_writer *w);
/* Finishes, fsyncs and renames into path; fills meta (not no/level).
 * The directory fsync is the caller's. */
int sdb_table_writer_finish(struct sdb_table_writer *w,
			    struct sdb_table_meta *meta, struct sdb_error *e);
void sdb_table_writer_abort(struct sdb_table_writer *w);

/* An open (mmapped) table. */
struct sdb_table {
	char *path;
	const unsigned char *map;
	size_t size;
	uint64_t no;
	int level;
	size_t nblocks;
	uint64_t *boff;          /* block offsets */
	uint32_t *bsize;         /* stored payload sizes */
	const unsigned char **bkey; /* last key of each block (into the index) */
	uint32_t *bklen;
	/* once the index is parsed: the 8 bytes after the kpo bytes that all
	 * its keys share, of each block's last key (big-endian, zero-padded),
	 * which a block search compares first (a packed array instead of a
	 * pointer and the key's bytes a probe); bk8_none: not made */
	uint64_t *bk8;
	size_t kpo;
	int bk8_none;
	const unsigned char *index_raw; /* the index block: in the map, or index_owned */
	unsigned char *index_owned;
	unsigned nget;            /* point reads that found nothing in the table's blocks
				   * (the bloom is used from the 16th) */
	const unsigned char *bloom;
	size_t bloom_len;
	uint64_t nentries, ndeletes;
	struct sdb_range *rt;     /* range deletes (into the map) */
	size_t nrt;
	/* block cache of point reads: decompressed bytes of checked blocks
	 * (craw[i] NULL when absent; kept at a block's second read, cseen
	 * the bit of each block read), evicted first in first out; every
	 * table's cache counts against SDB_BLOCK_CACHE_BYTES in all */
	unsigned char **craw;
	uint64_t *cseen;
	uint32_t *clen;
	size_t *cring, chead, cn;
	uint64_t cbytes;
	unsigned cmiss;           /* reads before the cache: made at the second
				   * (a one-read process zeroes no arrays) */
	uint32_t version;
	int loaded;               /* index and range blocks checked */
	/* the index is parsed as reads reach it: entries [0, nparsed) */
	size_t nparsed, ipos, iend;
	uint64_t ioff, bloom_off;
};
#define SDB_BLOCK_CACHE_BYTES (64ull << 20)
/* Opens and validates the footer, index and bloom. @return 0,
 * SDB_ENOTFOUND, SDB_ECORRUPT (with offset), SDB_EVERSION, SDB_EIO. */
int sdb_table_open(struct sdb_table **t, const char *path,
		   struct sdb_error *e);
/* Opens and validates the footer only: the index, range and bloom blocks
 * are checked and parsed by sdb_table_ready, at the first read that needs
 * them (nblocks, rt, bloom are not set before). @return as sdb_table_open. */
int sdb_table_open_lazy(struct sdb_table **t, const char *path,
			struct sdb_error *e);
int sdb_table_ready_slow(struct sdb_table *t, struct sdb_error *e);
/* The rest of a lazy open, once: the index block checked (its entries
 * parsed as reads reach them), the range block checked and parsed.
 * @return 0 or sdb_table_open's errors. */
static inline int sdb_table_ready(struct sdb_table *t, struct sdb_error *e)
{
	return t->loaded ? 0 : sdb_table_ready_slow(t, e);
}
/* The bloom block checked (t->bloom set) before its first use. */
int sdb_table_bloom_slow(struct sdb_table *t, struct sdb_error *e);
static inline int sdb_table_bloom(struct sdb_table *t, struct sdb_error *e)
{
	return t->bloom ? 0 : sdb_table_bloom_slow(t, e);
}
/* Index entry i parsed (boff, bsize, bkey of block i usable). */
int sdb_table_block_at(struct sdb_table *t, size_t i, struct sdb_error *e);
void sdb_table_close(struct sdb_table *t);

/* A decoded block: entries in order. */
struct sdb_block {
	unsigned char *raw;   /* decompressed bytes (owned) */
	size_t rawcap;
	unsigned char *keys;  /* key arena (owned) */
	size_t keycap;
	size_t n, cap;
	uint32_t *koff, *klen, *vlen;
	const unsigned char **val;
	uint8_t *kind;
	uint64_t *expires;
};
void sdb_block_release(struct sdb_block *b);
/* Reads, checks (CRC before decompressing) and decodes block i of t. */
int sdb_table_read_block(struct sdb_table *t, size_t i, struct sdb_block *b,
			 struct sdb_error *e);
/* Drops the pages of t's map inside [lo, hi) (file offsets; whole pages
 * only) from this process's resident set: a long scan's blocks, read
 * once and copied out, do not add up to the table's size in RSS. The
 * file's pages stay cached; a later read faults them in again. */
void sdb_table_release_span(struct sdb_table *t, uint64_t lo, uint64_t hi);
/* A cursor releases what it has read past every SDB_SCAN_RELEASE bytes. */
#define SDB_SCAN_RELEASE (4u << 20)
/* The same through the table's block cache (point reads: the block's
 * checked, decompressed bytes are kept for the next read of it). */
int sdb_table_read_block_cached(struct sdb_table *t, size_t i,
				struct sdb_block *b, struct sdb_error *e);
/* As sdb_table_read_block_cached, the bytes only (b->raw, *rawlen):
 * b's entries are not decoded (b->n = 0; sdb_block_decode them). */
int sdb_table_read_raw_cached(struct sdb_table *t, size_t i, struct sdb_block *b,
			      size_t *rawlen, struct sdb_error *e);
/* Looks key up in the decompressed block p[0, n) without decoding it
 * whole: the entries in order up to it, each key rebuilt in turn.
 * @return 1 found (kind, value and expiry out), 0 absent, SDB_ECORRUPT. */
int sdb_block_find(const unsigned char *p, size_t n, const void *key, size_t klen,
		   int *kind, const unsigned char **val, size_t *vlen, uint64_t *exp);
/* The live entries (puts, unexpired at now) of block i, checked and
 * decompressed into *scratch (grown as needed), keys not copied.
 * @return 0 or an error. */
int sdb_table_count_block(struct sdb_table *t, size_t i, uint64_t now,
			  unsigned char **scratch, size_t *cap, uint64_t *live,
			  struct sdb_error *e);
/* Decodes raw block bytes (for tests and the fuzz target). */
int sdb_block_decode(struct sdb_block *b, const unsigned char *p, size_t n);
/* Verifies a stored block (CRC, decompression, decoding) at off/size. */
int sdb_block_check_stored(const unsigned char *p, size_t n,
			   unsigned char **raw, size_t *rawlen);
/* *out: index of the first block whose last key >= k (nblocks if none).
 * @return 0 or SDB_ECORRUPT (a bad index entry). */
int sdb_table_find_block(struct sdb_table *t, const void *k, size_t n,
			 size_t *out, struct sdb_error *e);
/* Full check of every block: @return 0 or SDB_ECORRUPT with e->offset. */
int sdb_table_verify(struct sdb_table *t, struct sdb_error *e);
/* The cheap check of a writer's open: the footer and the index block's
 * checksum, read with pread (no mapping, no data blocks). */
int sdb_table_check_head(const char *path, struct sdb_error *e);

/* ----------------------------------------------------------- manifest */
#define SDB_MANIFEST_MAGIC 0x31494e414d424453ull /* "SDBMANI1" */
#define SDB_MANIFEST_VERSION 1

struct sdb_manifest {
	uint64_t next_file;
	uint64_t checkpoint_lsn;
	size_t ntables;
	struct sdb_table_meta *tables;
};
void sdb_manifest_release(struct sdb_manifest *m);
int sdb_manifest_encode(const struct sdb_manifest *m, struct sdb_buf *b);
int sdb_manifest_decode(struct sdb_manifest *m, const unsigned char *p,
			size_t n, struct sdb_error *e);
/* Reads dir/MANIFEST. @return 0, SDB_ENOTFOUND, SDB_ECORRUPT,
 * SDB_EVERSION. */
int sdb_manifest_read(struct sdb_manifest *m, const char *dir,
		      struct sdb_error *e);
/* Publishes m as dir/MANIFEST (temp, fsync, rename, dir fsync). */
int sdb_manifest_write(const struct sdb_manifest *m, const char *dir,
		       int nosync, struct sdb_error *e);
int sdb_table_meta_copy(struct sdb_table_meta *dst,
			const struct sdb_table_meta *src);
void sdb_table_meta_release(struct sdb_table_meta *t);

/* --------------------------------------------------------------- lock */
enum { SDB_LOCK_WRITER = 0, SDB_LOCK_MAINT = 1 };
/* Opens dir/LOCK once per handle. */
int sdb_lock_open(const char *dir, int *fd, struct sdb_error *e);
/* Takes lock `which` exclusively, waiting up to timeout seconds.
 * @return 0 or SDB_EBUSY. */
int sdb_lock_take(int fd, int which, double timeout, const char *dir,
		  struct sdb_error *e);
void sdb_lock_release(int fd, int which);
/*
 * The synced mark: an LSN below which the WAL is known to be on disk,
 * kept in DIR/LOCK (bytes 8..15, CRC-32C in 16..19: a mark that does not
 * check out is unknown) for the writers that come after. Raised
 * only after an fdatasync of the WAL succeeded, so it never claims too
 * much; the file itself is never synced (losing the mark only makes the
 * next commits claim less). sdb_lock_synced returns 0 when unknown.
 */
uint64_t sdb_lock_synced(int fd);
/* The mark read through a short-lived read-only descriptor of dir/LOCK
 * (readers hold none); 0 when unknown. */
uint64_t sdb_lock_synced_at(const char *dir);
/* Raises the mark to lsn (never lowers it). */
void sdb_lock_note_synced(int fd, uint64_t lsn);
/* Sets the mark (the writer lowering it before it cuts a tail). */
void sdb_lock_set_synced(int fd, uint64_t lsn);

/* ----------------------------------------------------------- memtable */
struct sdb_ment {
	uint64_t pfx;   /* first 8 key bytes, big-endian, for fast compares */
	const unsigned char *key;
	const unsigned char *val;
	uint32_t klen, vlen;
	uint64_t seq;
	uint64_t expires;
	uint8_t kind;
};
struct sdb_memtable {
	struct sdb_ment *e;
	size_t n, cap;
	uint64_t bytes;
	struct sdb_range *rd; /* range deletes; after finish a disjoint set */
	size_t nrd, rdcap;
};
int sdb_mem_add(struct sdb_memtable *m, const struct sdb_wal_op *op,
		int kind, uint64_t seq);
/* A DELRANGE [op->key, op->val) at sequence seq. */
int sdb_mem_add_range(struct sdb_memtable *m, const struct sdb_wal_op *op,
		      uint64_t seq);
/* Sorts by key and keeps only the newest entry of each key, drops the
 * entries a newer range delete covers and makes the ranges one sorted
 * disjoint set (rangedel.c). @return 0 or SDB_ENOMEM. */
int sdb_mem_finish(struct sdb_memtable *m);
void sdb_mem_release(struct sdb_memtable *m);
/* Index of first entry with key >= k. */
size_t sdb_mem_lower_bound(const struct sdb_memtable *m, const void *k,
			   size_t n);

/* (8-byte key prefix, position) pairs: what radix sorts move around. */
struct sdb_kidx {
	uint64_t pfx;
	uint64_t idx;
};
/* Stable LSD radix sort of a[0..n) by pfx, skipping byte positions where
 * every prefix agrees; b is scratch of n. @return a or b, whichever holds
 * the result. */
struct sdb_kidx *sdb_radix_pfx(struct sdb_kidx *a, struct sdb_kidx *b, size_t n);

/* Replays segments: committed operations into mem. The segments must be
 * contiguous; damage handling per DESIGN.md is the caller's. */
int sdb_wal_replay(struct sdb_wal_seg *segs, int nsegs,
		   struct sdb_memtable *mem, struct sdb_error *e);
/* The same; *end (when nsegs > 0) is the LSN right after the last record
 * that ended a transaction or stood outside one: a later replay resumes
 * there (an incomplete transaction after it is read again). */
int sdb_wal_replay_end(struct sdb_wal_seg *segs, int nsegs,
		       struct sdb_memtable *mem, uint64_t *end,
		       struct sdb_error *e);
/* Merges newer (finished, every entry and range newer than m's) into m
 * (finished): newer's entries replace m's of the same key, its ranges
 * drop m's entries they hold and join m's ranges. newer is emptied.
 * @return 0 or SDB_ENOMEM (m unchanged). */
int sdb_mem_merge(struct sdb_memtable *m, struct sdb_memtable *newer);

/* ------------------------------------------------- range deletes (rangedel.c) */
#define SDB_IKEY_MAX (1 + SDB_MAX_NS + SDB_MAX_KEY) /* longest internal key */

/* A deleted range [lo, hi) of internal keys. */
struct sdb_range {
	const unsigned char *lo, *hi;
	uint32_t lolen, hilen;
	uint64_t seq; /* memtable: LSN of the DELRANGE record */
};
/* Sorts r by lo and merges overlapping or touching ranges: r[0..*n)
 * becomes a sorted disjoint set (seq: the highest merged). */
void sdb_ranges_union(struct sdb_range *r, size_t *n);
/* In a sorted disjoint set: the index of the range holding k, or n. */
size_t sdb_ranges_find(const struct sdb_range *r, size_t n, const void *k,
		       size_t kn);
/* The range block of a table: appends / parses (checks sorted, disjoint,
 * lo < hi; *out is malloc'ed and points into p). @return 0, SDB_ENOMEM
 * or SDB_ECORRUPT. */
int sdb_ranges_encode(struct sdb_buf *b, const struct sdb_range *r, size_t n);
int sdb_ranges_decode(const unsigned char *p, size_t n, struct sdb_range **out,
		      size_t *nout);

#endif
