/*
 * table.c - immutable sorted table files ("<number>.sst").
 *
 * File layout:
 *   data block 0 .. data block N-1, [range block], index block, bloom
 *   block, footer
 * Every block is stored as
 *   payload[n]  u8 ctype (0 raw, 1 lz4, 2 zstd)  u32 rawlen  u32 crc
 * where crc is CRC-32C of payload, ctype and rawlen: the bytes as stored,
 * checked before anything is decompressed (RELIABILITY.md rule 3).
 * A data block decompresses to entries followed by u32 count; an entry is
 *   varint shared  varint unshared  varint vlen  u8 kind
 *   [varint expires_ms when kind == 2]  key[shared..]  value[vlen]
 * (kind 0 put, 1 delete marker, 2 put with expiry); the key is the previous
 * key's first `shared` bytes plus `unshared` new ones (prefix compression).
 * Data blocks hold about SDB_BLOCK_BYTES of entries (SDB_BLOCK_BYTES_ZSTD
 * compressed with zstd); a block that ends with a key of a namespace
 * with a block-size hint (keys.h SDB_NS_HINTS) is finished at that size.
 * Readers take blocks of any size.
 * The index block (raw) holds, per data block: varint klen, the block's
 * last key, varint offset, varint stored size (payload only); then u32
 * count. The bloom block (raw) is bloom.c's filter over every key.
 * A table with range deletes has format version 2: the range block
 * (raw, rangedel.c's layout) comes right before the index block, and the
 * index block ends with u64 range block offset, u64 its stored size
 * (payload), u32 count. The table's smallest/largest keys (manifest)
 * span its ranges too, and the footer's delete count counts them. A
 * table without range deletes is written as version 1, as before.
 * Footer, the last 64 bytes:
 *   +0 u64 index offset   +8 u64 index stored size (payload)
 *   +16 u64 bloom offset  +24 u64 bloom stored size (payload)
 *   +32 u64 entries       +40 u64 delete markers
 *   +48 u32 version (1)   +52 u32 CRC-32C of bytes 0..52
 *   +56 u64 magic "SDBTBL01"
 * A reader checks size, magic, version (1 or 2) and footer CRC before
 * parsing.
 */
#define _GNU_SOURCE
#include "store/internal.h"

#include "util/array.h"
#include "util/crc32c.h"
#include "util/io.h"
#include "util/varint.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct sdb_table_writer {
	char *path, *tmp;
	int fd, comp, nosync;
	size_t block_bytes;   /* a data block is finished past this size */
	uint64_t off;         /* bytes written to the file so far */
	struct sdb_buf out;   /* pending file bytes */
	struct sdb_buf blk;   /* current block, uncompressed */
	struct sdb_buf index;
	struct sdb_buf last;  /* last key added */
	struct sdb_buf first;
	struct sdb_buf cbuf;  /* compression scratch */
	uint32_t blk_count;
	uint32_t nblocks;        /* data blocks written */
	uint32_t incompressible; /* blocks in a row that did not compress */
	uint64_t *hashes;
	size_t nh, hcap;
	struct sdb_buf rbytes;   /* range deletes: bounds back to back */
	size_t *roff;            /* per range: offset of lo in rbytes */
	uint32_t *rlen;          /* per range: lolen, hilen */
	size_t nr, rcap, rlcap;
	uint64_t nentries, ndeletes, raw_bytes;
	ZSTD_CCtx *zc;
	LZ4_stream_t *lz; /* reset fast per block (LZ4_compress_default clears 16 KiB each time) */
};

static int flush_out(struct sdb_table_writer *w, struct sdb_error *e)
{
	int rc;

	if (!sdb_buf_ok(&w->out))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (!w->out.len)
		return 0;
	rc = sdb_io_write_all(w->fd, w->out.data, w->out.len, w->tmp, e);
	sdb_buf_reset(&w->out);
	return rc;
}

/* Appends a stored block to out; @return its payload size. */
static size_t store_block(struct sdb_table_writer *w, const void *raw,
			  size_t rawlen, int comp)
{
	unsigned char t[SDB_BLOCK_TRAILER];
	const void *payload = raw;
	size_t plen = rawlen;
	int ctype = 0;
	uint32_t crc;

	/* after 16 incompressible blocks in a row try only every 16th one
	 * (random data, already compressed values) */
	if (comp != SDB_COMP_NONE && w->incompressible >= 16 && w->incompressible++ % 16)
		comp = SDB_COMP_NONE;
	if (comp == SDB_COMP_LZ4 && rawlen > 64) {
		int bound = LZ4_compressBound((int)rawlen);
		if (!sdb_buf_grow(&w->cbuf, (size_t)bound)) {
			int n;
			if (!w->lz)
				w->lz = LZ4_createStream();
			if (w->lz) {
				/* a new stream each block: blocks stay independent */
				LZ4_resetStream_fast(w->lz);
				n = LZ4_compress_fast_continue(w->lz, raw, w->cbuf.data, (int)rawlen, bound, 1);
			} else
				n = LZ4_compress_default(raw, w->cbuf.data, (int)rawlen, bound);
			if (n > 0 && (size_t)n < rawlen - rawlen / 16) {
				payload = w->cbuf.data;
				plen = (size_t)n;
				ctype = SDB_COMP_LZ4;
			}
		}
	} else if (comp == SDB_COMP_ZSTD && rawlen > 64) {
		size_t bound = ZSTD_compressBound(rawlen);
		if (!w->zc)
			w->zc = ZSTD_createCCtx();
		if (w->zc && !sdb_buf_grow(&w->cbuf, bound)) {
			size_t n = ZSTD_compressCCtx(w->zc, w->cbuf.data, bound, raw, rawlen, SDB_ZSTD_LEVEL);
			if (!ZSTD_isError(n) && n < rawlen - rawlen / 16) {
				payload = w->cbuf.data;
				plen = n;
				ctype = SDB_COMP_ZSTD;
			}
		}
	}
	if (comp != SDB_COMP_NONE)
		w->incompressible = ctype ? 0 : w->incompressible + 1;
	t[0] = (unsigned char)ctype;
	sdb_put_u32(t + 1, (uint32_t)rawlen);
	crc = sdb_crc32c_extend(sdb_crc32c(payload, plen), t, 5);
	sdb_put_u32(t + 5, crc);
	sdb_buf_add(&w->out, payload, plen);
	sdb_buf_add(&w->out, t, sizeof(t));
	return plen;
}

static int finish_block(struct sdb_table_writer *w, struct sdb_error *e)
{
	unsigned char cnt[4], v[20];
	uint64_t boff = w->off + w->out.len;
	size_t plen;
	int n;

	if (!w->blk_count)
		return 0;
	sdb_put_u32(cnt, w->blk_count);
	sdb_buf_add(&w->blk, cnt, 4);
	if (!sdb_buf_ok(&w->blk))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	plen = store_block(w, w->blk.data, w->blk.len, w->comp);
	n = sdb_put_varint(v, w->last.len);
	sdb_buf_add(&w->index, v, (size_t)n);
	sdb_buf_add(&w->index, w->last.data, w->last.len);
	n = sdb_put_varint(v, boff);
	n += sdb_put_varint(v + n, plen);
	sdb_buf_add(&w->index, v, (size_t)n);
	sdb_buf_reset(&w->blk);
	w->blk_count = 0;
	w->nblocks++;
	if (w->out.len >= (1u << 20)) {
		uint64_t len = w->out.len;
		int rc = flush_out(w, e);
		if (rc)
			return rc;
		/* big tables: let the disk start now, the final fsync waits less */
		if (!w->nosync)
			sdb_io_writeback(w->fd, (off_t)w->off, (off_t)len);
		w->off += len;
	}
	return 0;
}

int sdb_table_writer_open(struct sdb_table_writer **wp, const char *path,
			  int comp, int nosync, struct sdb_error *e)
{
	struct sdb_table_writer *w = path ? calloc(1, sizeof(*w)) : NULL;
	size_t n = path ? strlen(path) : 0; /* NULL: building the path ran out of memory */
	int rc;

	*wp = NULL;
	if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(n + 5))) {
		if (w)
			free(w->path);
		free(w);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	sdb_table_tmp_name(w->tmp, path, n);
	w->comp = comp;
	w->nosync = nosync;
	w->block_bytes = comp == SDB_COMP_ZSTD ? SDB_BLOCK_BYTES_ZSTD : SDB_BLOCK_BYTES;
	w->fd = -1;
	rc = sdb_io_open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666, &w->fd, e);
	if (rc) {
		sdb_table_writer_abort(w);
		return rc;
	}
	*wp = w;
	return 0;
}

int sdb_table_writer_add(struct sdb_table_writer *w, const void *k, size_t klen,
			 int kind, uint64_t expires, const void *v, size_t vlen,
			 struct sdb_error *e)
{
	unsigned char hdr[40];
	size_t shared = 0;
	int n;

	if (sdb_grow((void **)&w->hashes, &w->hcap, w->nh + 1, sizeof(*w->hashes), 4096))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	w->hashes[w->nh++] = sdb_hash64(k, klen);
	if (w->blk_count) {
		size_t m = klen < w->last.len ? klen : w->last.len;
		const unsigned char *a = k, *b = (const unsigned char *)w->last.data;
		/* 8 bytes a step, then the byte that differs */
		while (shared + 8 <= m) {
			uint64_t x, y;
			memcpy(&x, a + shared, 8);
			memcpy(&y, b + shared, 8);
			if (x != y)
				break;
			shared += 8;
		}
		while (shared < m && a[shared] == b[shared])
			shared++;
	} else if (!w->nentries) {
		sdb_buf_add(&w->first, k, klen);
	}
	n = sdb_put_varint(hdr, shared);
	n += sdb_put_varint(hdr + n, klen - shared);
	n += sdb_put_varint(hdr + n, vlen);
	hdr[n++] = (unsigned char)kind;
	if (kind == SDB_KIND_TTL)
		n += sdb_put_varint(hdr + n, expires);
	sdb_buf_add(&w->blk, hdr, (size_t)n);
	sdb_buf_add(&w->blk, (const char *)k + shared, klen - shared);
	sdb_buf_add(&w->blk, v, vlen);
	sdb_buf_reset(&w->last);
	sdb_buf_add(&w->last, k, klen);
	w->blk_count++;
	w->nentries++;
	w->raw_bytes += klen + vlen;
	if (kind == SDB_KIND_DEL)
		w->ndeletes++;
	/* first/last key feed the index and the manifest: never publish
	 * a table built from a buffer that ran out of memory */
	if (!sdb_buf_ok(&w->last) || !sdb_buf_ok(&w->first))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (w->blk.len >= sdb_ns_block_bytes(k, klen, w->block_bytes))
		return finish_block(w, e);
	return sdb_buf_ok(&w->blk) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

int sdb_table_writer_add_range(struct sdb_table_writer *w, const void *lo,
			       size_t lolen, const void *hi, size_t hilen,
			       struct sdb_error *e)
{
	if (sdb_grow((void **)&w->roff, &w->rcap, w->nr + 1, sizeof(*w->roff), 16) ||
	    sdb_grow((void **)&w->rlen, &w->rlcap, 2 * w->nr + 2, sizeof(*w->rlen), 32))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	w->roff[w->nr] = w->rbytes.len;
	w->rlen[2 * w->nr] = (uint32_t)lolen;
	w->rlen[2 * w->nr + 1] = (uint32_t)hilen;
	w->nr++;
	sdb_buf_add(&w->rbytes, lo, lolen);
	sdb_buf_add(&w->rbytes, hi, hilen);
	return sdb_buf_ok(&w->rbytes) ? 0 : sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

/*
 * The range block: the ranges added as one sorted disjoint set, stored
 * before the index; widens first/last to span them. @return 0, or
 * SDB_ENOMEM.
 */
static int finish_ranges(struct sdb_table_writer *w, uint64_t *roff,
			 size_t *rsz)
{
	struct sdb_range *r = calloc(w->nr + 1, sizeof(*r));
	struct sdb_buf raw = SDB_BUF_INIT;
	size_t n = w->nr;
	int rc;

	if (!r)
		return SDB_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r[i].lo = (const unsigned char *)w->rbytes.data + w->roff[i];
		r[i].lolen = w->rlen[2 * i];
		r[i].hi = r[i].lo + r[i].lolen;
		r[i].hilen = w->rlen[2 * i + 1];
	}
	sdb_ranges_union(r, &n);
	rc = sdb_ranges_encode(&raw, r, n);
	if (!rc) {
		*roff = w->off + w->out.len;
		*rsz = store_block(w, raw.data, raw.len, SDB_COMP_NONE);
		if (!w->nentries ||
		    sdb_key_cmp(r[0].lo, r[0].lolen, w->first.data, w->first.len) < 0) {
			sdb_buf_reset(&w->first);
			sdb_buf_add(&w->first, r[0].lo, r[0].lolen);
		}
		if (!w->nentries ||
		    sdb_key_cmp(r[n - 1].hi, r[n - 1].hilen, w->last.data, w->last.len) > 0) {
			sdb_buf_reset(&w->last);
			sdb_buf_add(&w->last, r[n - 1].hi, r[n - 1].hilen);
		}
		w->ndeletes += n;
		if (!sdb_buf_ok(&w->first) || !sdb_buf_ok(&w->last) || !sdb_buf_ok(&w->out))
			rc = SDB_ENOMEM;
	}
	sdb_buf_release(&raw);
	free(r);
	return rc;
}

uint64_t sdb_table_writer_bytes(const struct sdb_table_writer *w)
{
	return w->off + w->out.len + w->blk.len;
}

int sdb_table_writer_finish(struct sdb_table_writer *w,
			    struct sdb_table_meta *meta, struct sdb_error *e)
{
	unsigned char f[SDB_TABLE_FOOTER], cnt[4];
	struct sdb_buf bloom = SDB_BUF_INIT;
	uint64_t ioff, boff, total, roff = 0;
	size_t isz, bsz, rsz = 0;
	int rc = finish_block(w, e);

	if (rc)
		goto out;
	if (w->nr) {
		unsigned char x[16];
		if (finish_ranges(w, &roff, &rsz)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		sdb_put_u64(x, roff);
		sdb_put_u64(x + 8, rsz);
		sdb_buf_add(&w->index, x, 16);
	}
	sdb_put_u32(cnt, w->nblocks);
	sdb_buf_add(&w->index, cnt, 4);
	ioff = w->off + w->out.len;
	isz = store_block(w, w->index.data, w->index.len, SDB_COMP_NONE);
	sdb_bloom_build(&bloom, w->hashes, w->nh, 10);
	boff = w->off + w->out.len;
	bsz = store_block(w, bloom.data, bloom.len, SDB_COMP_NONE);
	if (!sdb_buf_ok(&w->index) || !sdb_buf_ok(&bloom) || !sdb_buf_ok(&w->out)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	sdb_put_u64(f, ioff);
	sdb_put_u64(f + 8, isz);
	sdb_put_u64(f + 16, boff);
	sdb_put_u64(f + 24, bsz);
	sdb_put_u64(f + 32, w->nentries);
	sdb_put_u64(f + 40, w->ndeletes);
	sdb_put_u32(f + 48, w->nr ? SDB_TABLE_VERSION_RANGES : SDB_TABLE_VERSION);
	sdb_put_u32(f + 52, sdb_crc32c(f, 52));
	sdb_put_u64(f + 56, SDB_TABLE_MAGIC);
	sdb_buf_add(&w->out, f, sizeof(f));
	total = w->off + w->out.len;
	if ((rc = flush_out(w, e)))
		goto out;
	if (!w->nosync && (rc = sdb_io_fsync(w->fd, w->tmp, e)))
		goto out;
	if (close(w->fd) < 0) {
		w->fd = -1;
		rc = sdb_error_sys(e, SDB_EIO, "cannot close '%s'", w->tmp);
		goto out;
	}
	w->fd = -1;
	if ((rc = sdb_io_rename(w->tmp, w->path, e)))
		goto out;
	free(w->tmp);
	w->tmp = NULL;
	meta->size = total;
	meta->nentries = w->nentries;
	meta->ndeletes = w->ndeletes;
	meta->raw_bytes = w->raw_bytes;
	meta->slen = w->first.len;
	meta->llen = w->last.len;
	meta->smallest = malloc(w->first.len + 1);
	meta->largest = malloc(w->last.len + 1);
	if (!meta->smallest || !meta->largest) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(meta->smallest, w->first.data ? w->first.data : "", w->first.len);
	memcpy(meta->largest, w->last.data ? w->last.data : "", w->last.len);
out:
	sdb_buf_release(&bloom);
	sdb_table_writer_abort(w);
	return rc;
}

void sdb_table_writer_abort(struct sdb_table_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		sdb_io_unlink(w->tmp, NULL);
	free(w->tmp);
	free(w->path);
	sdb_buf_release(&w->out);
	sdb_buf_release(&w->blk);
	sdb_buf_release(&w->index);
	sdb_buf_release(&w->last);
	sdb_buf_release(&w->first);
	sdb_buf_release(&w->cbuf);
	free(w->hashes);
	sdb_buf_release(&w->rbytes);
	free(w->roff);
	free(w->rlen);
	ZSTD_freeCCtx(w->zc);
	LZ4_freeStream(w->lz);
	free(w);
}

/* ------------------------------------------------------------ reading */

/* Bytes held by the block caches of every open table (point reads). */
static uint64_t cache_total;

/*
 * Checks a stored block occupying p[0 .. n + trailer). On success *raw is
 * a malloc'ed copy of the decompressed bytes when raw != NULL.
 * @return 0 or SDB_ECORRUPT.
 */
static int check_stored(const unsigned char *p, size_t n, unsigned char **dst,
			size_t *dcap, size_t *rawlen)
{
	const unsigned char *t = p + n;
	uint32_t rl = sdb_get_u32(t + 1);
	int ctype = t[0];

	if (sdb_crc32c_extend(sdb_crc32c(p, n), t, 5) != sdb_get_u32(t + 5))
		return SDB_ECORRUPT;
	if (ctype > SDB_COMP_ZSTD || rl > SDB_BLOCK_MAX_RAW ||
	    (ctype == SDB_COMP_NONE && rl != n))
		return SDB_ECORRUPT;
	*rawlen = rl;
	if (!dst)
		return 0;
	if (*dcap < (size_t)rl + 1) {
		unsigned char *nb = realloc(*dst, (size_t)rl + 1);
		if (!nb)
			return SDB_ENOMEM;
		*dst = nb;
		*dcap = (size_t)rl + 1;
	}
	if (ctype == SDB_COMP_NONE) {
		memcpy(*dst, p, n);
	} else if (ctype == SDB_COMP_LZ4) {
		int got = LZ4_decompress_safe((const char *)p, (char *)*dst, (int)n, (int)rl);
		if (got < 0 || (uint32_t)got != rl)
			return SDB_ECORRUPT;
	} else {
		static __thread ZSTD_DCtx *dctx;
		size_t got;
		if (!dctx && !(dctx = ZSTD_createDCtx()))
			return SDB_ENOMEM;
		got = ZSTD_decompressDCtx(dctx, *dst, rl, p, n);
		if (ZSTD_isError(got) || got != rl)
			return SDB_ECORRUPT;
	}
	return 0;
}

int sdb_block_check_stored(const unsigned char *p, size_t n,
			   unsigned char **raw, size_t *rawlen)
{
	size_t cap = 0;

	*raw = NULL;
	if (n < SDB_BLOCK_TRAILER)
		return SDB_ECORRUPT;
	return check_stored(p, n - SDB_BLOCK_TRAILER, raw, &cap, rawlen);
}

static int corrupt(struct sdb_error *e, const char *path, uint64_t off,
		   const char *what)
{
	sdb_error_set(e, SDB_ECORRUPT, SDB_TABLE_DAMAGE_PREFIX "%s' at offset %llu: %s",
		      path, (unsigned long long)off, what);
	if (e)
		e->offset = (int64_t)off;
	return SDB_ECORRUPT;
}

/* The footer f of a table of size bytes: magic, checksum, version and
 * the offsets of the index and bloom blocks. */
static int check_footer(const unsigned char *f, uint64_t size, const char *path,
			uint32_t *version, struct sdb_error *e)
{
	uint64_t ioff = sdb_get_u64(f), isz = sdb_get_u64(f + 8);
	uint64_t boff = sdb_get_u64(f + 16), bsz = sdb_get_u64(f + 24);

	if (sdb_get_u64(f + 56) != SDB_TABLE_MAGIC)
		return corrupt(e, path, size - 8, "bad magic");
	if (sdb_get_u32(f + 52) != sdb_crc32c(f, 52))
		return corrupt(e, path, size - SDB_TABLE_FOOTER, "footer checksum mismatch");
	*version = sdb_get_u32(f + 48);
	if (*version != SDB_TABLE_VERSION && *version != SDB_TABLE_VERSION_RANGES)
		return sdb_error_set(e, SDB_EVERSION, "unsupported database format in '%s': format version %u is not supported (this build reads %d)",
				     path, *version, SDB_TABLE_VERSION_RANGES);
	if (ioff > size || isz > size || ioff + isz + SDB_BLOCK_TRAILER != boff ||
	    bsz > size || boff + bsz + SDB_BLOCK_TRAILER != size - SDB_TABLE_FOOTER)
		return corrupt(e, path, size - SDB_TABLE_FOOTER, "bad footer offsets");
	return 0;
}

int sdb_table_check_head(const char *path, struct sdb_error *e)
{
	unsigned char f[SDB_TABLE_FOOTER], *ib = NULL;
	uint64_t ioff, isz;
	uint32_t version;
	size_t got, rawlen;
	struct stat st;
	int fd, rc;

	if ((rc = sdb_io_open(path, O_RDONLY, 0, &fd, e)))
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot stat '%s'", path);
		goto out;
	}
	if (st.st_size < SDB_TABLE_FOOTER) {
		rc = corrupt(e, path, 0, "file too short");
		goto out;
	}
	if ((rc = sdb_io_pread(fd, f, sizeof(f), st.st_size - SDB_TABLE_FOOTER, &got, path, e)))
		goto out;
	if (got != sizeof(f)) {
		rc = corrupt(e, path, 0, "file too short");
		goto out;
	}
	if ((rc = check_footer(f, (uint64_t)st.st_size, path, &version, e)))
		goto out;
	ioff = sdb_get_u64(f);
	isz = sdb_get_u64(f + 8);
	if (!(ib = malloc(isz + SDB_BLOCK_TRAILER))) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sdb_io_pread(fd, ib, isz + SDB_BLOCK_TRAILER, (off_t)ioff, &got, path, e)))
		goto out;
	if (got != isz + SDB_BLOCK_TRAILER || check_stored(ib, isz, NULL, NULL, &rawlen) || rawlen < 4)
		rc = corrupt(e, path, ioff, "index block checksum mismatch");
out:
	free(ib);
	sdb_io_close(fd);
	return rc;
}

/*
 * The index block (checked), the range block and the bloom block's
 * checksum of a mapped table: what sdb_table_open does after the footer,
 * done at the first read that needs them when the table was opened lazily
 * (a process that reads one key does not check and parse every table's
 * index). Errors are the same as the eager open's.
 */
static int table_load(struct sdb_table *t, struct sdb_error *e)
{
	const unsigned char *f = t->map + t->size - SDB_TABLE_FOOTER;
	const char *path = t->path;
	uint64_t ioff, isz, boff, bsz;
	size_t rawlen, cap = 0, nb, iend;
	int rc;

	ioff = sdb_get_u64(f);
	isz = sdb_get_u64(f + 8);
	boff = sdb_get_u64(f + 16);
	bsz = sdb_get_u64(f + 24);
	if (ioff + isz + SDB_BLOCK_TRAILER <= t->size && t->map[ioff + isz] == SDB_COMP_NONE) {
		/* a raw index (as written): read in place, not copied */
		rc = check_stored(t->map + ioff, isz, NULL, NULL, &rawlen);
		if (!rc)
			t->index_raw = (unsigned char *)t->map + ioff;
	} else {
		rc = check_stored(t->map + ioff, isz, &t->index_owned, &cap, &rawlen);
		t->index_raw = t->index_owned;
	}
	if (rc || rawlen < 4) {
		rc = rc == SDB_ENOMEM ? sdb_error_set(e, rc, "out of memory") :
			corrupt(e, path, ioff, "index block checksum mismatch");
		goto fail;
	}
	t->bloom_off = boff;
	t->bloom_len = bsz;
	nb = sdb_get_u32(t->index_raw + isz - 4);
	iend = isz - 4;
	if (t->version == SDB_TABLE_VERSION_RANGES) {
		uint64_t roff, rsz;
		if (iend < 16) {
			rc = corrupt(e, path, ioff, "bad index block");
			goto fail;
		}
		iend -= 16;
		roff = sdb_get_u64(t->index_raw + iend);
		rsz = sdb_get_u64(t->index_raw + iend + 8);
		if (roff > ioff || rsz > ioff || roff + rsz + SDB_BLOCK_TRAILER != ioff) {
			rc = corrupt(e, path, ioff, "bad index block");
			goto fail;
		}
		rc = check_stored(t->map + roff, rsz, NULL, NULL, &rawlen);
		if (!rc)
			rc = sdb_ranges_decode(t->map + roff, rsz, &t->rt, &t->nrt);
		if (rc || !t->nrt) {
			rc = rc == SDB_ENOMEM ? sdb_error_set(e, rc, "out of memory") :
				corrupt(e, path, roff, "range block checksum mismatch or bad block");
			goto fail;
		}
	}
	if (nb > isz) {
		rc = corrupt(e, path, ioff, "bad index block");
		goto fail;
	}
	t->boff = malloc((nb + 1) * sizeof(*t->boff));
	t->bsize = malloc((nb + 1) * sizeof(*t->bsize));
	t->bkey = malloc((nb + 1) * sizeof(*t->bkey));
	t->bklen = malloc((nb + 1) * sizeof(*t->bklen));
	if (!t->boff || !t->bsize || !t->bkey || !t->bklen) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto fail;
	}
	t->ioff = ioff;
	t->ipos = 0;
	t->iend = iend;
	t->nparsed = 0;
	t->nblocks = nb;
	t->loaded = 1;
	return 0;
fail: /* as it was before: a later read tries (and fails) again */
	free(t->index_owned);
	t->index_owned = NULL;
	free(t->boff);
	free(t->bsize);
	free(t->bkey);
	free(t->bklen);
	free(t->rt);
	t->index_raw = NULL;
	t->boff = NULL;
	t->bsize = NULL;
	t->bkey = NULL;
	t->bklen = NULL;
	t->rt = NULL;
	t->nrt = 0;
	t->bloom_len = 0;
	return rc;
}

int sdb_table_ready_slow(struct sdb_table *t, struct sdb_error *e)
{
	return table_load(t, e);
}

/*
 * Parses index entries (block i's last key, offset and size) up to and
 * including entry i: a lazily opened table parses what its reads reach.
 * @return 0 or SDB_ECORRUPT.
 */
/* Entries [from, to) of array a (esz bytes each) about to be written:
 * their whole pages faulted in by one call when there are a few (a
 * fault each costs more, in a VM most). Advice only. */
static void populate_span(void *a, size_t from, size_t to, size_t esz)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t pg = 4096, lo = (uintptr_t)a + from * esz, hi = (uintptr_t)a + to * esz;
	lo = (lo + pg - 1) & ~(pg - 1);
	hi &= ~(pg - 1);
	if (hi >= lo + 4 * pg)
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
	(void)a, (void)from, (void)to, (void)esz;
#endif
}

static int parse_index(struct sdb_table *t, size_t i, struct sdb_error *e)
{
	const unsigned char *p = t->index_raw + t->ipos, *end = t->index_raw + t->iend;
	const unsigned char *good = p, **bkey = t->bkey;
	uint32_t *bklen = t->bklen, *bsize = t->bsize;
	uint64_t *boff = t->boff, ioff = t->ioff;
	size_t j = t->nparsed, nb = t->nblocks;

	if (i >= nb)
		i = nb ? nb - 1 : 0;
	if (i + 1 > j + 2048) {
		populate_span(boff, j, i + 1, sizeof(*boff));
		populate_span(bsize, j, i + 1, sizeof(*bsize));
		populate_span(bkey, j, i + 1, sizeof(*bkey));
		populate_span(bklen, j, i + 1, sizeof(*bklen));
	}
	/* the table's fields written once at the end (a random point read
	 * of a big table parses most of its index in one call) */
	for (; j <= i && j < nb; j++) {
		uint64_t kl, off, sz;
		if (!(p = sdb_get_varint(p, end, &kl)) || kl > (uint64_t)(end - p))
			break;
		bkey[j] = p;
		bklen[j] = (uint32_t)kl;
		p += kl;
		if (!(p = sdb_get_varint(p, end, &off)) || !(p = sdb_get_varint(p, end, &sz)) ||
		    off > ioff || sz > ioff || off + sz + SDB_BLOCK_TRAILER > ioff)
			break;
		boff[j] = off;
		bsize[j] = (uint32_t)sz;
		good = p;
	}
	t->nparsed = j;
	t->ipos = (size_t)(good - t->index_raw);
	if (j <= i && j < nb)
		return corrupt(e, t->path, t->ioff, "bad index block");
	p = good;
	if (t->nparsed == t->nblocks && p != end)
		return corrupt(e, t->path, t->ioff, "bad index block");
	return 0;
}

int sdb_table_block_at(struct sdb_table *t, size_t i, struct sdb_error *e)
{
	return i < t->nparsed ? 0 : parse_index(t, i, e);
}

int sdb_table_bloom_slow(struct sdb_table *t, struct sdb_error *e)
{
	size_t rawlen;

	if (check_stored(t->map + t->bloom_off, t->bloom_len, NULL, NULL, &rawlen))
		return corrupt(e, t->path, t->bloom_off, "bloom block checksum mismatch");
	t->bloom = t->map + t->bloom_off;
	return 0;
}

int sdb_table_open_lazy(struct sdb_table **tp, const char *path,
			struct sdb_error *e)
{
	struct sdb_table *t = path ? calloc(1, sizeof(*t)) : NULL; /* NULL path: out of memory */
	const unsigned char *f;
	struct stat st;
	int fd = -1, rc;
	void *m;

	*tp = NULL;
	if (!t || !(t->path = strdup(path))) {
		free(t);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	if ((rc = sdb_io_open(path, O_RDONLY, 0, &fd, e)))
		goto fail;
	if (fstat(fd, &st) < 0) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot stat '%s'", path);
		goto fail;
	}
	if (st.st_size < SDB_TABLE_FOOTER) {
		rc = corrupt(e, path, 0, "file too short");
		goto fail;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot map '%s'", path);
		goto fail;
	}
	sdb_io_close(fd);
	fd = -1;
	t->map = m;
	t->size = (size_t)st.st_size;
	f = t->map + t->size - SDB_TABLE_FOOTER;
	if ((rc = check_footer(f, t->size, path, &t->version, e)))
		goto fail;
	t->nentries = sdb_get_u64(f + 32);
	t->ndeletes = sdb_get_u64(f + 40);
	*tp = t;
	return 0;
fail:
	sdb_io_close(fd);
	sdb_table_close(t);
	return rc;
}

int sdb_table_open(struct sdb_table **tp, const char *path,
		   struct sdb_error *e)
{
	int rc = sdb_table_open_lazy(tp, path, e);

	if (rc)
		return rc;
	/* everything checked now, as before lazy opens */
	if ((rc = table_load(*tp, e)) ||
	    (rc = parse_index(*tp, (*tp)->nblocks, e)) ||
	    (rc = sdb_table_bloom(*tp, e))) {
		sdb_table_close(*tp);
		*tp = NULL;
	}
	return rc;
}

void sdb_table_close(struct sdb_table *t)
{
	if (!t)
		return;
	if (t->map)
		munmap((void *)t->map, t->size);
	free(t->path);
	free(t->index_owned);
	free(t->boff);
	free(t->bsize);
	free(t->bkey);
	free(t->bklen);
	free(t->bk8);
	free(t->rt);
	if (t->craw) {
		/* the cached blocks are the ring's cn entries */
		for (size_t k = 0; k < t->cn; k++)
			free(t->craw[t->cring[(t->chead + k) % t->nblocks]]);
		__atomic_sub_fetch(&cache_total, t->cbytes, __ATOMIC_RELAXED);
	}
	free(t->craw);
	free(t->clen);
	free(t->cring);
	free(t->cseen);
	free(t);
}

void sdb_block_release(struct sdb_block *b)
{
	if (!b)
		return;
	free(b->raw);
	free(b->keys);
	free(b->koff);
	free(b->klen);
	free(b->vlen);
	free(b->val);
	free(b->kind);
	free(b->expires);
	memset(b, 0, sizeof(*b));
}

/* The per-entry arrays share one capacity (each grows as sdb_grow
 * doubles it; a failure leaves b->cap as it was). */
static int block_reserve(struct sdb_block *b, size_t n)
{
	size_t c = b->cap;

	if (n <= b->cap)
		return 0;
#define GROW(f) do { c = b->cap; if (sdb_grow((void **)&b->f, &c, n, sizeof(*b->f), 64)) return SDB_ENOMEM; } while (0)
	GROW(koff); GROW(klen); GROW(vlen); GROW(val); GROW(kind); GROW(expires);
#undef GROW
	b->cap = c;
	return 0;
}

int sdb_block_decode(struct sdb_block *b, const unsigned char *p, size_t n)
{
	const unsigned char *end;
	uint32_t count;
	size_t kused = 0, plen = 0, prev = 0;

	b->n = 0;
	if (n < 4)
		return SDB_ECORRUPT;
	count = sdb_get_u32(p + n - 4);
	end = p + n - 4;
	if (count > n || block_reserve(b, count))
		return count > n ? SDB_ECORRUPT : SDB_ENOMEM;
	/* keys are at most as long as the whole block's key bytes */
	for (uint32_t i = 0; i < count; i++) {
		uint64_t shared, unshared, vlen, exp = 0;
		int kind;
		/* the three lengths and the kind, one byte each mostly */
		if (end - p >= 4 && !((p[0] | p[1] | p[2]) & 0x80)) {
			shared = p[0];
			unshared = p[1];
			vlen = p[2];
			p += 3;
		} else if (!(p = sdb_get_varint(p, end, &shared)) ||
			   !(p = sdb_get_varint(p, end, &unshared)) ||
			   !(p = sdb_get_varint(p, end, &vlen)) || p >= end)
			return SDB_ECORRUPT;
		kind = *p++;
		if (kind > SDB_KIND_TTL || (kind == SDB_KIND_DEL && vlen))
			return SDB_ECORRUPT;
		if (kind == SDB_KIND_TTL && !(p = sdb_get_varint(p, end, &exp)))
			return SDB_ECORRUPT;
		if (shared > plen || unshared > (uint64_t)(end - p) ||
		    vlen > (uint64_t)(end - p) - unshared || shared + unshared == 0)
			return SDB_ECORRUPT;
		/* 32 bytes of slack: short parts are copied in one fixed move */
		if (sdb_grow((void **)&b->keys, &b->keycap, kused + shared + unshared + 32, 1, 256))
			return SDB_ENOMEM;
		unsigned char *d = b->keys + kused;
		if (shared <= 8 && plen >= 8)
			memcpy(d, b->keys + prev, 8); /* d - prev = plen: no overlap */
		else if (shared <= 16 && plen >= 16)
			memcpy(d, b->keys + prev, 16);
		else if (shared <= 32 && plen >= 32)
			memcpy(d, b->keys + prev, 32); /* (namespaced keys share 20-30) */
		else if (shared)
			memmove(d, b->keys + prev, shared);
		if (unshared <= 16 && end - p >= 16)
			memcpy(d + shared, p, 16);
		else
			memcpy(d + shared, p, unshared);
		p += unshared;
		b->koff[i] = (uint32_t)kused;
		b->klen[i] = (uint32_t)(shared + unshared);
		b->val[i] = p;
		b->vlen[i] = (uint32_t)vlen;
		b->kind[i] = (uint8_t)kind;
		b->expires[i] = exp;
		p += vlen;
		prev = kused;
		plen = shared + unshared;
		kused += plen;
	}
	if (p != end)
		return SDB_ECORRUPT;
	b->n = count;
	return 0;
}

int sdb_table_count_block(struct sdb_table *t, size_t i, uint64_t now,
			  unsigned char **scratch, size_t *cap, uint64_t *live,
			  struct sdb_error *e)
{
	const unsigned char *p, *end;
	size_t rawlen, plen = 0;
	uint32_t count;
	uint64_t n = 0;
	int rc = sdb_table_block_at(t, i, e);

	if (rc)
		return rc;
	rc = check_stored(t->map + t->boff[i], t->bsize[i], scratch, cap, &rawlen);
	if (rc == SDB_ENOMEM)
		return sdb_error_set(e, rc, "out of memory");
	if (rc || rawlen < 4)
		goto bad;
	p = *scratch;
	count = sdb_get_u32(p + rawlen - 4);
	end = p + rawlen - 4;
	if (count > rawlen)
		goto bad;
	/* the entries' layout as sdb_block_decode checks it, keys skipped */
	for (uint32_t j = 0; j < count; j++) {
		uint64_t shared, unshared, vlen, exp = 0;
		int kind;
		if (!(p = sdb_get_varint(p, end, &shared)) ||
		    !(p = sdb_get_varint(p, end, &unshared)) ||
		    !(p = sdb_get_varint(p, end, &vlen)) || p >= end)
			goto bad;
		kind = *p++;
		if (kind > SDB_KIND_TTL || (kind == SDB_KIND_DEL && vlen))
			goto bad;
		if (kind == SDB_KIND_TTL && !(p = sdb_get_varint(p, end, &exp)))
			goto bad;
		if (shared > plen || unshared > (uint64_t)(end - p) ||
		    vlen > (uint64_t)(end - p) - unshared || shared + unshared == 0)
			goto bad;
		p += unshared + vlen;
		plen = shared + unshared;
		n += kind == SDB_KIND_PUT || (kind == SDB_KIND_TTL && exp > now);
	}
	if (p != end)
		goto bad;
	*live = n;
	return 0;
bad:
	return corrupt(e, t->path, t->boff[i], "data block checksum mismatch or bad block");
}

int sdb_table_read_block(struct sdb_table *t, size_t i, struct sdb_block *b,
			 struct sdb_error *e)
{
	size_t rawlen;
	int rc = sdb_table_block_at(t, i, e);

	if (rc)
		return rc;
	rc = check_stored(t->map + t->boff[i], t->bsize[i], &b->raw,
			      &b->rawcap, &rawlen);

	if (!rc)
		rc = sdb_block_decode(b, b->raw, rawlen);
	if (rc == SDB_ENOMEM)
		return sdb_error_set(e, rc, "out of memory");
	if (rc)
		return corrupt(e, t->path, t->boff[i], "data block checksum mismatch or bad block");
	return 0;
}

void sdb_table_release_span(struct sdb_table *t, uint64_t lo, uint64_t hi)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	lo = (lo + pg - 1) / pg * pg;
	hi = hi / pg * pg;
	if (hi > t->size)
		hi = t->size / pg * pg;
	/* the map starts on a page; advice only, its failure changes nothing */
	if (lo < hi)
		(void)madvise((void *)(t->map + lo), (size_t)(hi - lo), MADV_DONTNEED);
}

/* Drops the oldest cached block of t. */
static void cache_evict(struct sdb_table *t)
{
	size_t i = t->cring[t->chead];
	t->chead = (t->chead + 1) % t->nblocks;
	t->cn--;
	t->cbytes -= t->clen[i];
	__atomic_sub_fetch(&cache_total, t->clen[i], __ATOMIC_RELAXED);
	free(t->craw[i]);
	t->craw[i] = NULL;
}

int sdb_table_read_block_cached(struct sdb_table *t, size_t i,
				struct sdb_block *b, struct sdb_error *e)
{
	size_t rawlen;
	int rc = sdb_table_read_raw_cached(t, i, b, &rawlen, e);

	if (!rc && (rc = sdb_block_decode(b, b->raw, rawlen)))
		return rc == SDB_ENOMEM ? sdb_error_set(e, rc, "out of memory")
					: corrupt(e, t->path, t->boff[i], "data block checksum mismatch or bad block");
	return rc;
}

int sdb_block_find(const unsigned char *p, size_t n, const void *key, size_t klen,
		   int *kind, const unsigned char **val, size_t *vlen, uint64_t *exp)
{
	unsigned char kb[2 * SDB_MAX_KEY + 64]; /* the entry's key: a prefix of the one before + its own bytes */
	const unsigned char *end;
	uint32_t count;
	size_t plen = 0;

	if (n < 4)
		return SDB_ECORRUPT;
	count = sdb_get_u32(p + n - 4);
	end = p + n - 4;
	if (count > n)
		return SDB_ECORRUPT;
	/* the entries' layout as sdb_block_decode checks it */
	for (uint32_t i = 0; i < count; i++) {
		uint64_t shared, unshared, vl, ex = 0;
		int kd;
		if (end - p >= 4 && !((p[0] | p[1] | p[2]) & 0x80)) {
			shared = p[0];
			unshared = p[1];
			vl = p[2];
			p += 3;
		} else if (!(p = sdb_get_varint(p, end, &shared)) ||
			   !(p = sdb_get_varint(p, end, &unshared)) ||
			   !(p = sdb_get_varint(p, end, &vl)) || p >= end)
			return SDB_ECORRUPT;
		kd = *p++;
		if (kd > SDB_KIND_TTL || (kd == SDB_KIND_DEL && vl))
			return SDB_ECORRUPT;
		if (kd == SDB_KIND_TTL && !(p = sdb_get_varint(p, end, &ex)))
			return SDB_ECORRUPT;
		if (shared > plen || unshared > (uint64_t)(end - p) ||
		    vl > (uint64_t)(end - p) - unshared || shared + unshared == 0 ||
		    shared + unshared > sizeof(kb))
			return SDB_ECORRUPT;
		memcpy(kb + shared, p, unshared);
		p += unshared;
		plen = shared + unshared;
		int c = sdb_key_cmp(kb, plen, key, klen);
		if (c == 0) {
			*kind = kd;
			*val = p;
			*vlen = (size_t)vl;
			*exp = ex;
			return 1;
		}
		if (c > 0)
			return 0;
		p += vl;
	}
	return p == end ? 0 : SDB_ECORRUPT;
}

int sdb_table_read_raw_cached(struct sdb_table *t, size_t i, struct sdb_block *b,
			      size_t *rawlen_out, struct sdb_error *e)
{
	int rc = sdb_table_block_at(t, i, e);

	if (rc)
		return rc;
	b->n = 0;
	if (t->craw && t->craw[i]) {
		uint32_t n = t->clen[i];
		if (b->rawcap < (size_t)n + 1) {
			unsigned char *nb = realloc(b->raw, (size_t)n + 1);
			if (!nb)
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
			b->raw = nb;
			b->rawcap = (size_t)n + 1;
		}
		memcpy(b->raw, t->craw[i], n);
		*rawlen_out = n;
		return 0;
	}
	rc = check_stored(t->map + t->boff[i], t->bsize[i], &b->raw, &b->rawcap, rawlen_out);
	if (rc == SDB_ENOMEM)
		return sdb_error_set(e, rc, "out of memory");
	if (rc)
		return corrupt(e, t->path, t->boff[i], "data block checksum mismatch or bad block");
	/* keep a copy (best effort: no memory, no caching) */
	size_t rawlen = *rawlen_out;
	/* kept from its second read on: a block read once (an index probe's
	 * rows, random lookups in a big table) costs no copy, and the arrays
	 * (fresh pages) come with the first block read twice */
	if (!t->cseen) {
		if (!t->cmiss++)
			return 0;
		if (!(t->cseen = calloc((t->nblocks + 63) / 64, sizeof(*t->cseen))))
			return 0;
	}
	if (!((t->cseen[i >> 6] >> (i & 63)) & 1)) {
		t->cseen[i >> 6] |= (uint64_t)1 << (i & 63);
		return 0;
	}
	if (!t->craw) {
		t->craw = calloc(t->nblocks, sizeof(*t->craw));
		t->clen = calloc(t->nblocks, sizeof(*t->clen));
		t->cring = calloc(t->nblocks, sizeof(*t->cring));
		if (!t->craw || !t->clen || !t->cring) {
			free(t->craw);
			free(t->clen);
			free(t->cring);
			t->craw = NULL;
			t->clen = NULL;
			t->cring = NULL;
			return 0;
		}
	}
	while (t->cn && __atomic_load_n(&cache_total, __ATOMIC_RELAXED) + rawlen > SDB_BLOCK_CACHE_BYTES)
		cache_evict(t);
	if (__atomic_load_n(&cache_total, __ATOMIC_RELAXED) + rawlen > SDB_BLOCK_CACHE_BYTES)
		return 0; /* other tables hold the budget */
	unsigned char *c = malloc(rawlen ? rawlen : 1);
	if (!c)
		return 0;
	memcpy(c, b->raw, rawlen);
	t->craw[i] = c;
	t->clen[i] = (uint32_t)rawlen;
	t->cring[(t->chead + t->cn) % t->nblocks] = i;
	t->cn++;
	t->cbytes += rawlen;
	__atomic_add_fetch(&cache_total, rawlen, __ATOMIC_RELAXED);
	return 0;
}

/* t->bk8 for a fully parsed index (its keys sorted: those between the
 * first and the last share what these two share). Best effort. */
static void make_bk8(struct sdb_table *t)
{
	const unsigned char *a = t->bkey[0], *b = t->bkey[t->nblocks - 1];
	size_t an = t->bklen[0], bn = t->bklen[t->nblocks - 1], cp = 0;

	t->bk8_none = 1;
	while (cp < an && cp < bn && a[cp] == b[cp])
		cp++;
	if (!(t->bk8 = malloc(t->nblocks * sizeof(*t->bk8))))
		return;
	for (size_t j = 0; j < t->nblocks; j++)
		t->bk8[j] = sdb_be64_prefix(t->bkey[j] + cp, t->bklen[j] - cp);
	t->kpo = cp;
	t->bk8_none = 0;
}

int sdb_table_find_block(struct sdb_table *t, const void *k, size_t n,
			 size_t *out, struct sdb_error *e)
{
	size_t lo = 0, hi;
	int rc;

	/* parse on until an entry >= k (or the end) is known */
	while (t->nparsed < t->nblocks &&
	       (!t->nparsed || sdb_key_cmp(t->bkey[t->nparsed - 1], t->bklen[t->nparsed - 1], k, n) < 0)) {
		size_t want = t->nparsed * 2 + 64; /* in growing runs */
		if ((rc = parse_index(t, want, e)))
			return rc;
	}
	hi = t->nparsed;
	if (!t->bk8 && !t->bk8_none && t->nblocks >= 64 && t->nparsed == t->nblocks)
		make_bk8(t);
	if (t->bk8 && n >= t->kpo && !memcmp(k, t->bkey[0], t->kpo)) {
		/* k shares the keys' common bytes: the next 8 decide most probes */
		uint64_t k8 = sdb_be64_prefix((const unsigned char *)k + t->kpo, n - t->kpo);
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			uint64_t m8 = t->bk8[mid];
			int c = m8 != k8 ? (m8 < k8 ? -1 : 1) :
					   sdb_key_cmp(t->bkey[mid], t->bklen[mid], k, n);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		*out = lo;
		return 0;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sdb_key_cmp(t->bkey[mid], t->bklen[mid], k, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return 0;
}

int sdb_table_verify(struct sdb_table *t, struct sdb_error *e)
{
	struct sdb_block b = { 0 };
	uint64_t n = 0, dels = 0;
	int rc = sdb_table_ready(t, e);

	if (!rc && t->nblocks)
		rc = sdb_table_block_at(t, t->nblocks - 1, e);
	if (rc)
		return rc;

	for (size_t i = 0; i < t->nblocks && !rc; i++) {
		rc = sdb_table_read_block(t, i, &b, e);
		if (rc)
			break;
		n += b.n;
		for (size_t j = 0; j < b.n; j++)
			dels += b.kind[j] == SDB_KIND_DEL;
		if (!b.n || sdb_key_cmp(b.keys + b.koff[b.n - 1], b.klen[b.n - 1],
					t->bkey[i], t->bklen[i]))
			rc = corrupt(e, t->path, t->boff[i], "block does not match the index");
	}
	if (!rc && (n != t->nentries || dels + t->nrt != t->ndeletes))
		rc = corrupt(e, t->path, t->size - SDB_TABLE_FOOTER, "entry count does not match the footer");
	sdb_block_release(&b);
	return rc;
}
