/*
 * hnswfile.c - writing and mapping HNSW index files (layout in hnswfile.h).
 */
#define _GNU_SOURCE
#include "vec/hnswfile.h"
#include "util/crc32c.h"
#include "util/io.h"
#include "vec/quant.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sec_names[SDB_INDEX_SECTIONS] = {
	"vectors", "ids", "levels", "links0", "upper_off", "upper", "vectors_bf16",
};

const char *sdb_index_section_name(int i)
{
	return i >= 0 && i < SDB_INDEX_SECTIONS ? sec_names[i] : "?";
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A buffered, checksummed writer over sdb_atomic. */
struct wr {
	struct sdb_atomic *a;
	struct sdb_error *e;
	unsigned char *buf;
	size_t len, cap;
	uint64_t pos;
	uint32_t crc;
	int rc;
};

static void wr_flush(struct wr *w)
{
	if (w->rc || !w->len)
		return;
	w->rc = sdb_atomic_write(w->a, w->buf, w->len, w->e);
	w->len = 0;
}

static void wr_put(struct wr *w, const void *p, size_t n)
{
	const unsigned char *c = p;

	if (w->rc)
		return;
	w->crc = sdb_crc32c_extend(w->crc, p, n);
	w->pos += n;
	if (n >= w->cap) {
		wr_flush(w);
		if (!w->rc)
			w->rc = sdb_atomic_write(w->a, p, n, w->e);
		return;
	}
	while (n) {
		size_t k = w->cap - w->len < n ? w->cap - w->len : n;
		memcpy(w->buf + w->len, c, k);
		w->len += k;
		c += k;
		n -= k;
		if (w->len == w->cap)
			wr_flush(w);
	}
}

static void wr_pad(struct wr *w, uint64_t align)
{
	static const unsigned char zero[4096];

	while (!w->rc && w->pos % align) {
		uint64_t k = align - w->pos % align;
		if (k > sizeof(zero))
			k = sizeof(zero);
		w->pos += k;
		if (w->len + k > w->cap)
			wr_flush(w);
		memcpy(w->buf + w->len, zero, (size_t)k);
		w->len += (size_t)k;
	}
}

int sdb_index_write(const char *path, const struct sdb_hnsw *h, const uint64_t *ids,
		    const uint32_t *perm, const struct sdb_index_meta *meta,
		    uint64_t *bytes_written, struct sdb_error *e)
{
	const struct sdb_hnsw_graph *g = &h->g;
	struct sdb_atomic a;
	struct wr w = { 0 };
	unsigned char hdr[SDB_INDEX_HEADER];
	uint64_t off[SDB_INDEX_SECTIONS], len[SDB_INDEX_SECTIONS];
	uint32_t crc[SDB_INDEX_SECTIONS];
	uint32_t *inv = NULL, *tmp = NULL;
	uint64_t upper_pos = 0;
	size_t row = (size_t)g->dim * sizeof(float);
	/* one search copy: SQ8 codes (meta->search_sq8), else bf16 rows
	 * (those of a bf16 build, or meta->search_bf16's), else none */
	uint32_t bf16_dim = meta->search_sq8 ? 0
			    : g->vecs_bf16 ? g->bf16_dim
			    : meta->search_bf16 ? (g->dim + 31) & ~31u : 0;
	uint16_t *bfrow = NULL;
	struct sdb_sq8 sq = { 0 };
	uint8_t *code = NULL;
	uint64_t sq_off = 0, sq_len = 0;
	uint32_t sq_crc = 0;
	int rc;

	rc = sdb_atomic_open(&a, path, e);
	if (rc)
		return rc;
	w.a = &a;
	w.e = e;
	w.cap = 1u << 20;
	w.buf = malloc(w.cap);
	tmp = malloc(((size_t)(g->M0 > g->M ? g->M0 : g->M) + 1) * sizeof(uint32_t));
	if (perm)
		inv = malloc(g->n * sizeof(uint32_t));
	if (bf16_dim && !g->vecs_bf16)
		bfrow = malloc(bf16_dim * sizeof(uint16_t));
	if (meta->search_sq8) {
		/* trained on every row (one parallel pass), each row encoded
		 * as it is written */
		if ((rc = sdb_sq8_train(&sq, g->vecs, g->n, g->dim, e)))
			goto out;
		code = malloc(sq.stride);
	}
	if (!w.buf || !tmp || (perm && !inv) || (bf16_dim && !g->vecs_bf16 && !bfrow) ||
	    (meta->search_sq8 && !code)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	if (perm)
		for (uint64_t i = 0; i < g->n; i++)
			inv[perm[i]] = (uint32_t)i;
#define OLD(i) (perm ? perm[i] : (uint32_t)(i))
#define NEW(i) (inv ? inv[i] : (uint32_t)(i))
	memset(hdr, 0, sizeof(hdr));
	wr_put(&w, hdr, sizeof(hdr)); /* placeholder, rewritten at the end */

	/* 0 vectors */
	off[0] = w.pos;
	w.crc = 0;
	if (!perm)
		wr_put(&w, g->vecs, g->n * row);
	else
		for (uint64_t i = 0; i < g->n; i++)
			wr_put(&w, g->vecs + (size_t)OLD(i) * g->dim, row);
	len[0] = w.pos - off[0];
	crc[0] = w.crc;
	/* 1 ids */
	wr_pad(&w, 64);
	off[1] = w.pos;
	w.crc = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		unsigned char b[8];
		uint32_t o = OLD(i);
		put64(b, ids ? ids[o] : o);
		wr_put(&w, b, 8);
	}
	len[1] = w.pos - off[1];
	crc[1] = w.crc;
	/* 2 levels */
	wr_pad(&w, 64);
	off[2] = w.pos;
	w.crc = 0;
	if (!perm)
		wr_put(&w, g->levels, g->n);
	else
		for (uint64_t i = 0; i < g->n; i++)
			wr_put(&w, &g->levels[OLD(i)], 1);
	len[2] = w.pos - off[2];
	crc[2] = w.crc;
	/* 3 links0 */
	wr_pad(&w, 64);
	off[3] = w.pos;
	w.crc = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		const uint32_t *l = g->links0 + (size_t)OLD(i) * (g->M0 + 1);
		memset(tmp, 0, (g->M0 + 1) * sizeof(uint32_t));
		tmp[0] = l[0];
		for (uint32_t j = 0; j < l[0]; j++)
			tmp[1 + j] = NEW(l[1 + j]);
		wr_put(&w, tmp, (g->M0 + 1) * sizeof(uint32_t));
	}
	len[3] = w.pos - off[3];
	crc[3] = w.crc;
	/* 4 upper_off: recomputed for the new order */
	wr_pad(&w, 64);
	off[4] = w.pos;
	w.crc = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		uint32_t v = (uint32_t)upper_pos;
		wr_put(&w, &v, 4);
		upper_pos += (uint64_t)g->levels[OLD(i)] * (g->M + 1);
	}
	len[4] = w.pos - off[4];
	crc[4] = w.crc;
	/* 5 upper */
	wr_pad(&w, 64);
	off[5] = w.pos;
	w.crc = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		uint32_t o = OLD(i);
		for (uint32_t lv = 1; lv <= g->levels[o]; lv++) {
			const uint32_t *l = g->upper + g->upper_off[o] + (size_t)(lv - 1) * (g->M + 1);
			memset(tmp, 0, (g->M + 1) * sizeof(uint32_t));
			tmp[0] = l[0];
			for (uint32_t j = 0; j < l[0]; j++)
				tmp[1 + j] = NEW(l[1 + j]);
			wr_put(&w, tmp, (g->M + 1) * sizeof(uint32_t));
		}
	}
	len[5] = w.pos - off[5];
	crc[5] = w.crc;
	/* 6 vectors_bf16 */
	wr_pad(&w, 64);
	off[6] = w.pos;
	w.crc = 0;
	if (bf16_dim && g->vecs_bf16) {
		size_t brow = (size_t)g->bf16_dim * sizeof(uint16_t);
		if (!perm)
			wr_put(&w, g->vecs_bf16, g->n * brow);
		else
			for (uint64_t i = 0; i < g->n; i++)
				wr_put(&w, g->vecs_bf16 + (size_t)OLD(i) * g->bf16_dim, brow);
	} else if (bf16_dim) {
		/* the search copy of a float32 build, rounded row by row as
		 * it is written: never a second copy in memory */
		for (uint64_t i = 0; i < g->n; i++) {
			memset(bfrow, 0, bf16_dim * sizeof(uint16_t));
			sdb_vec_to_bf16(bfrow, g->vecs + (size_t)OLD(i) * g->dim, g->dim);
			wr_put(&w, bfrow, bf16_dim * sizeof(uint16_t));
		}
	}
	len[6] = w.pos - off[6];
	crc[6] = w.crc;
	/* the SQ8 search copy (described at header offset 352) */
	if (meta->search_sq8) {
		wr_pad(&w, 64);
		sq_off = w.pos;
		w.crc = 0;
		wr_put(&w, sq.offset, sq.stride * sizeof(float));
		wr_put(&w, sq.scale, sq.stride * sizeof(float));
		for (uint64_t i = 0; i < g->n; i++) {
			sdb_sq8_encode(&sq, g->vecs + (size_t)OLD(i) * g->dim, code);
			wr_put(&w, code, sq.stride);
		}
		sq_len = w.pos - sq_off;
		sq_crc = w.crc;
	}
	wr_flush(&w);
	if (w.rc) {
		rc = w.rc;
		goto out;
	}

	memcpy(hdr, SDB_INDEX_MAGIC, 8);
	put32(hdr + 8, SDB_INDEX_VERSION);
	put32(hdr + 12, SDB_INDEX_HEADER);
	put64(hdr + 16, g->n);
	put32(hdr + 24, g->dim);
	put32(hdr + 28, (uint32_t)g->metric);
	put32(hdr + 32, g->M);
	put32(hdr + 36, g->M0);
	put32(hdr + 40, meta->ef_construction);
	put32(hdr + 44, g->max_level);
	put32(hdr + 48, NEW(g->entry));
	put32(hdr + 52, meta->ordering);
	put64(hdr + 56, meta->seed);
	put32(hdr + 64, meta->batch_size);
	put32(hdr + 68, meta->threads);
	put64(hdr + 72, g->upper_len);
	put32(hdr + 80, meta->has_ids);
	put32(hdr + 84, SDB_INDEX_SECTIONS);
	put32(hdr + 312, meta->precision);
	put32(hdr + 316, bf16_dim);
	put32(hdr + 320, meta->shard_index);
	put32(hdr + 324, meta->shard_count);
	put64(hdr + 328, meta->input_rows);
	put64(hdr + 336, meta->first_row);
	put32(hdr + 344, meta->input_crc);
	put32(hdr + 352, sq.stride);
	put32(hdr + 356, sq_crc);
	put64(hdr + 360, sq_off);
	put64(hdr + 368, sq_len);
	for (int s = 0; s < SDB_INDEX_SECTIONS; s++) {
		unsigned char *r = hdr + 88 + 32 * s;
		put64(r, off[s]);
		put64(r + 8, len[s]);
		put32(r + 16, crc[s]);
		put32(r + 20, (uint32_t)s);
	}
	put32(hdr + SDB_INDEX_HEADER - 4, sdb_crc32c_extend(0, hdr, SDB_INDEX_HEADER - 4));
	if (lseek(a.fd, 0, SEEK_SET) < 0) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot seek in '%s'", path);
		goto out;
	}
	rc = sdb_atomic_write(&a, hdr, sizeof(hdr), e);
	if (!rc)
		rc = sdb_atomic_commit(&a, e);
	if (!rc && bytes_written)
		*bytes_written = w.pos;
#undef OLD
#undef NEW
out:
	free(w.buf);
	free(tmp);
	free(inv);
	free(bfrow);
	free(code);
	sdb_sq8_free(&sq);
	if (rc)
		sdb_atomic_abort(&a);
	return rc;
}

static int corrupt(struct sdb_index *x, struct sdb_error *e, const char *what)
{
	return sdb_error_set(e, SDB_ECORRUPT, "'%s' is damaged: %s", x->name, what);
}

/* Whether [off, off + len) is a 64-aligned span of the file past the header. */
static int span_ok(const struct sdb_index *x, uint64_t off, uint64_t len)
{
	return !(off % 64) && off >= SDB_INDEX_HEADER && off <= x->file_bytes &&
	       len <= x->file_bytes - off;
}

static int out_of_bounds(struct sdb_index *x, struct sdb_error *e, const char *section)
{
	char what[96];
	snprintf(what, sizeof(what), "section '%s' out of bounds (file truncated?)", section);
	return corrupt(x, e, what);
}

/* Checks the header of the bytes at x->map and points the graph into them. */
static int parse(struct sdb_index *x, struct sdb_error *e)
{
	const unsigned char *h;
	uint64_t n, expect[SDB_INDEX_SECTIONS];
	uint32_t dim, M, M0;

	h = x->map;
	if (memcmp(h, SDB_INDEX_MAGIC, 8)) {
		return sdb_error_set(e, SDB_ECORRUPT, "'%s' is not a sochdb-bulk index (bad magic)", x->name);
	}
	if (get32(h + 8) != SDB_INDEX_VERSION) {
		uint32_t v = get32(h + 8);
		return sdb_error_set(e, SDB_EVERSION, "'%s': unsupported index version %u", x->name, v);
	}
	if (get32(h + SDB_INDEX_HEADER - 4) != sdb_crc32c_extend(0, h, SDB_INDEX_HEADER - 4)) {
		int rc = corrupt(x, e, "header checksum mismatch");
		return rc;
	}
	n = get64(h + 16);
	dim = get32(h + 24);
	M = get32(h + 32);
	M0 = get32(h + 36);
	x->g.n = n;
	x->g.dim = dim;
	x->g.metric = (int)get32(h + 28);
	x->g.M = M;
	x->g.M0 = M0;
	x->meta.ef_construction = get32(h + 40);
	x->g.max_level = get32(h + 44);
	x->g.entry = get32(h + 48);
	x->meta.ordering = get32(h + 52);
	x->meta.seed = get64(h + 56);
	x->meta.batch_size = get32(h + 64);
	x->meta.threads = get32(h + 68);
	x->g.upper_len = get64(h + 72);
	x->meta.has_ids = get32(h + 80);
	x->meta.precision = get32(h + 312);
	x->g.bf16_dim = get32(h + 316);
	x->meta.shard_index = get32(h + 320);
	x->meta.shard_count = get32(h + 324);
	x->meta.input_rows = get64(h + 328);
	x->meta.first_row = get64(h + 336);
	x->meta.input_crc = get32(h + 344);
	x->sq8_stride = get32(h + 352);
	x->sq8_crc = get32(h + 356);
	x->sq8_off = get64(h + 360);
	x->sq8_len = get64(h + 368);
	x->g.untrusted = 1;
	if (get32(h + 12) != SDB_INDEX_HEADER || get32(h + 84) != SDB_INDEX_SECTIONS ||
	    n == 0 || n > UINT32_MAX || dim == 0 || dim > (1u << 24) || M < 2 || M > 255 ||
	    M0 != 2 * M || x->g.metric < 0 || x->g.metric > 2 || x->g.entry >= n ||
	    x->g.max_level > SDB_HNSW_MAX_LEVEL || x->g.upper_len > UINT32_MAX) {
		int rc = corrupt(x, e, "inconsistent header");
		return rc;
	}
	x->shard_recorded = x->meta.shard_count != 0;
	if (!x->shard_recorded) {
		/* written before shards: the whole of an input of n rows */
		if (x->meta.shard_index || x->meta.input_rows || x->meta.first_row || x->meta.input_crc)
			return corrupt(x, e, "inconsistent header");
		x->meta.shard_count = 1;
		x->meta.input_rows = n;
	} else if (x->meta.shard_index >= x->meta.shard_count ||
		   x->meta.input_rows > UINT64_MAX / x->meta.shard_count ||
		   x->meta.first_row != x->meta.input_rows * x->meta.shard_index / x->meta.shard_count ||
		   n != x->meta.input_rows * (x->meta.shard_index + 1) / x->meta.shard_count -
				x->meta.first_row) {
		return corrupt(x, e, "inconsistent header");
	}
	expect[0] = n * dim * 4;
	expect[1] = n * 8;
	expect[2] = n;
	expect[3] = n * (M0 + 1) * 4;
	expect[4] = n * 4;
	expect[5] = x->g.upper_len * 4;
	expect[6] = (uint64_t)x->g.bf16_dim * n * 2;
	if (x->g.bf16_dim && x->g.bf16_dim != ((dim + 31) & ~31u)) {
		int rc = corrupt(x, e, "inconsistent header");
		return rc;
	}
	if (x->sq8_stride ? x->sq8_stride != ((dim + 15) & ~15u) || x->g.bf16_dim ||
				    x->sq8_len != (uint64_t)x->sq8_stride * (n + 8)
			  : x->sq8_off || x->sq8_len || x->sq8_crc)
		return corrupt(x, e, "inconsistent header");
	for (int s = 0; s < SDB_INDEX_SECTIONS; s++) {
		const unsigned char *r = h + 88 + 32 * s;
		x->sec_off[s] = get64(r);
		x->sec_len[s] = get64(r + 8);
		x->sec_crc[s] = get32(r + 16);
		if (x->sec_len[s] != expect[s] || !span_ok(x, x->sec_off[s], x->sec_len[s]))
			return out_of_bounds(x, e, sec_names[s]);
	}
	/* the SQ8 copy lies last in the file: checked after the sections */
	if (x->sq8_stride && !span_ok(x, x->sq8_off, x->sq8_len))
		return out_of_bounds(x, e, "vectors_sq8");
	x->g.vecs = (const float *)(x->map + x->sec_off[0]);
	x->ids = (const uint64_t *)(x->map + x->sec_off[1]);
	x->g.levels = x->map + x->sec_off[2];
	x->g.links0 = (const uint32_t *)(x->map + x->sec_off[3]);
	x->g.upper_off = (const uint32_t *)(x->map + x->sec_off[4]);
	x->g.upper = (const uint32_t *)(x->map + x->sec_off[5]);
	x->g.vecs_bf16 = x->g.bf16_dim ? (const uint16_t *)(x->map + x->sec_off[6]) : NULL;
	if (x->sq8_stride) {
		uint64_t off = x->sq8_off;
		/* the arrays are read only, never freed (struct sdb_sq8's
		 * pointers are not const) */
		x->g.sq8.dim = dim;
		x->g.sq8.stride = x->sq8_stride;
		x->g.sq8.offset = (float *)(void *)(x->map + off);
		x->g.sq8.scale = (float *)(void *)(x->map + off + 4 * (uint64_t)x->sq8_stride);
		x->g.codes = x->map + off + 8 * (uint64_t)x->sq8_stride;
	}
	if (x->g.levels[x->g.entry] != x->g.max_level) {
		int rc = corrupt(x, e, "entry point is not on the top layer");
		return rc;
	}
	return 0;
}

int sdb_index_open(struct sdb_index *x, const char *path, struct sdb_error *e)
{
	int fd;
	struct stat st;
	int rc;

	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sdb_error_sys(e, errno == ENOENT ? SDB_ENOTFOUND : SDB_EIO,
				     "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		rc = sdb_error_sys(e, SDB_EIO, "cannot stat '%s'", path);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < SDB_INDEX_HEADER) {
		close(fd);
		return sdb_error_set(e, SDB_ECORRUPT, "'%s' is not a sochdb-bulk index (too short)", path);
	}
	x->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (x->map == MAP_FAILED) {
		x->map = NULL;
		return sdb_error_sys(e, SDB_EIO, "cannot map '%s'", path);
	}
	x->file_bytes = (uint64_t)st.st_size;
	/* queries jump around the graph: no read-ahead of whole files */
	madvise((void *)x->map, x->file_bytes, MADV_RANDOM);
	rc = parse(x, e);
	if (rc)
		sdb_index_close(x);
	return rc;
}

int sdb_index_from_memory(struct sdb_index *x, const void *p, size_t len,
			  const char *name, struct sdb_error *e)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	if (len < SDB_INDEX_HEADER)
		return sdb_error_set(e, SDB_ECORRUPT, "'%s' is not a sochdb-bulk index (too short)", name);
	x->map = p;
	x->file_bytes = len;
	x->borrowed = 1;
	return parse(x, e);
}

/* 0, or SDB_ECORRUPT naming the section whose checksum does not match */
static int check_crc(const struct sdb_index *x, uint64_t off, uint64_t len, uint32_t crc,
		  const char *section, struct sdb_error *e)
{
	if (sdb_crc32c_extend(0, x->map + off, len) == crc)
		return 0;
	return sdb_error_set(e, SDB_ECORRUPT, "'%s' is damaged: checksum mismatch in section '%s'",
			     x->name, section);
}

int sdb_index_verify(const struct sdb_index *x, struct sdb_error *e)
{
	int rc = 0;

	for (int s = 0; s < SDB_INDEX_SECTIONS && !rc; s++)
		rc = check_crc(x, x->sec_off[s], x->sec_len[s], x->sec_crc[s], sec_names[s], e);
	if (!rc && x->sq8_stride)
		rc = check_crc(x, x->sq8_off, x->sq8_len, x->sq8_crc, "vectors_sq8", e);
	return rc;
}

void sdb_index_close(struct sdb_index *x)
{
	if (!x)
		return;
	if (x->map && !x->borrowed)
		munmap((void *)x->map, x->file_bytes);
	x->map = NULL;
}
