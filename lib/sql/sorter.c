/*
 * sorter.c - the external merge sort of value rows (see sorter.h): rows
 * in memory chunks, stable merge sorts of row pointers into runs, runs in
 * an unlinked temporary file, a k-way heap merge (several passes when
 * there are more runs than the fan-in).
 */
#define _GNU_SOURCE
#include "sql/sorter.h"
#include "util/io.h"
#include "util/varint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RD_BUF (32u << 10)  /* read buffer of one run in a merge */
#define WR_BUF (256u << 10) /* write buffer of the run being written */

struct chunk {
	struct chunk *next;
	size_t size;
	/* data follows, 16-aligned */
};
#define CHUNK_HDR ((sizeof(struct chunk) + 15) & ~(size_t)15)

struct run {
	off_t off, len;
};

/* A run being read: its bytes through a buffer, its current row decoded. */
struct rd {
	int fd;
	const char *what;            /* the file's name in errors */
	off_t off, end;              /* next file byte to read; the run's end */
	unsigned char *buf;
	size_t cap, pos, len;
	struct sql_value *row;       /* [ncol], pointing into buf */
};

struct merge {
	struct rd *rd;
	int n;
	int *heap, nheap;
	int last;                    /* reader whose row was handed out, or -1 */
};

struct sql_sorter {
	int ncol;
	sql_sorter_cmp cmp;
	void *ctx;
	size_t limit;
	char *dir;
	/* rows in memory */
	struct chunk *chunks;
	char *cur;
	size_t left, chunk_size, chunk_bytes;
	struct sql_value **rows;
	long n, cap, pos;
	long total;
	/* runs */
	int fd;                      /* -1: none yet */
	off_t fsize;
	struct run *runs;
	long nruns, runcap;
	unsigned char *wbuf;
	size_t wlen;
	/* the final merge */
	struct merge m;
	int merging, finished;
	/* a spool (cmp NULL): the file's rows read back in order */
	struct rd srd;
	long nfile;                  /* a spool's rows in the file (the first ones) */
	const char *what;            /* its file's name in errors */
	uint64_t gen;                /* bumped by sql_sorter_clear */
};

struct sql_sorter *sql_sorter_new(int ncol, sql_sorter_cmp cmp, void *ctx,
				  size_t mem_limit, const char *dir)
{
	struct sql_sorter *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ncol = ncol;
	s->cmp = cmp;
	s->ctx = ctx;
	/* 7/8 for rows: the rest is for the merge's buffers and what the
	 * caller's limit must also cover (the row being produced) */
	s->limit = mem_limit < (64u << 10) ? (64u << 10) : mem_limit - mem_limit / 8;
	s->chunk_size = s->limit / 16;
	if (s->chunk_size > (1u << 20))
		s->chunk_size = 1u << 20;
	if (s->chunk_size < (16u << 10))
		s->chunk_size = 16u << 10;
	s->fd = -1;
	s->m.last = -1;
	s->srd.fd = -1;
	s->what = "sort spill file";
	s->srd.what = s->what;
	if (dir && !(s->dir = strdup(dir))) {
		free(s);
		return NULL;
	}
	return s;
}

static void merge_close(struct merge *m)
{
	for (int i = 0; i < m->n; i++) {
		free(m->rd[i].buf);
		free(m->rd[i].row);
	}
	free(m->rd);
	free(m->heap);
	memset(m, 0, sizeof(*m));
	m->last = -1;
}

static void chunks_free(struct sql_sorter *s)
{
	struct chunk *c = s->chunks;
	while (c) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
	s->chunks = NULL;
	s->cur = NULL;
	s->left = 0;
	s->chunk_bytes = 0;
}

void sql_sorter_free(struct sql_sorter *s)
{
	if (!s)
		return;
	chunks_free(s);
	merge_close(&s->m);
	free(s->srd.buf);
	free(s->srd.row);
	free(s->rows);
	free(s->runs);
	free(s->wbuf);
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s);
}

long sql_sorter_count(const struct sql_sorter *s)
{
	return s->total;
}

long sql_sorter_runs(const struct sql_sorter *s)
{
	return s->nruns;
}

static size_t val_bytes(const struct sql_value *v)
{
	return (v->type == SQLV_TEXT || v->type == SQLV_BLOB) ? ((size_t)v->n + 7) & ~(size_t)7 : 0;
}

size_t sql_sorter_row_bytes(const struct sql_value *row, int n)
{
	size_t b = sizeof(struct sql_value) * (size_t)n + 2 * sizeof(void *);
	for (int i = 0; i < n; i++)
		b += val_bytes(&row[i]);
	return b;
}

/* ------------------------------------------------------------ memory */

/* n bytes (8-aligned) from the chunks. */
static void *chunk_alloc(struct sql_sorter *s, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (n > s->left) {
		size_t size = n > s->chunk_size / 4 ? n : s->chunk_size;
		struct chunk *c = malloc(CHUNK_HDR + size);
		if (!c)
			return NULL;
		c->size = size;
		c->next = s->chunks;
		s->chunks = c;
		s->chunk_bytes += CHUNK_HDR + size;
		if (size == n) { /* a big row: a chunk of its own, the current one kept */
			return (char *)c + CHUNK_HDR;
		}
		s->cur = (char *)c + CHUNK_HDR;
		s->left = size;
	}
	void *r = s->cur;
	s->cur += n;
	s->left -= n;
	return r;
}

/* Bytes held for rows now (chunks, the pointer array, the sort's buffer). */
static size_t held(const struct sql_sorter *s)
{
	return s->chunk_bytes + (size_t)s->cap * sizeof(void *) + (size_t)s->n * sizeof(void *);
}

/* ------------------------------------------------------------ stable sort */

static void msort(struct sql_sorter *s, struct sql_value **a, struct sql_value **t, long n)
{
	if (n <= 12) {
		for (long i = 1; i < n; i++) {
			struct sql_value *x = a[i];
			long j = i;
			while (j > 0 && s->cmp(s->ctx, a[j - 1], x) > 0) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = x;
		}
		return;
	}
	long h = n / 2;
	msort(s, a, t, h);
	msort(s, a + h, t, n - h);
	if (s->cmp(s->ctx, a[h - 1], a[h]) <= 0)
		return; /* already in order */
	memcpy(t, a, sizeof(*a) * (size_t)h);
	long i = 0, j = h, k = 0;
	while (i < h && j < n) {
		if (s->cmp(s->ctx, a[j], t[i]) < 0)
			a[k++] = a[j++];
		else
			a[k++] = t[i++];
	}
	while (i < h)
		a[k++] = t[i++];
}

static int sort_mem(struct sql_sorter *s, struct sdb_error *e)
{
	if (s->n < 2 || !s->cmp)
		return 0;
	struct sql_value **t = malloc(sizeof(*t) * (size_t)(s->n / 2 + 1));
	if (!t)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	msort(s, s->rows, t, s->n);
	free(t);
	return 0;
}

/* ------------------------------------------------------------ spill files */

static int open_tmp(struct sql_sorter *s, int *fd, struct sdb_error *e)
{
	return sdb_io_tmpfile(s->dir, s->what, fd, e);
}

/* A buffered writer of rows to a spill file. */
struct wr {
	int fd;
	unsigned char *buf;          /* WR_BUF bytes */
	size_t len;
	const char *what;
};

static int wflush(struct wr *w, struct sdb_error *e)
{
	if (!w->len)
		return 0;
	int rc = sdb_io_write_all(w->fd, w->buf, w->len, w->what, e);
	w->len = 0;
	return rc;
}

static size_t enc_len(const struct sql_value *v)
{
	switch (v->type) {
	case SQLV_INT: {
		uint64_t z = ((uint64_t)v->u.i << 1) ^ (uint64_t)(v->u.i >> 63);
		size_t n = 1;
		while (z >= 0x80) {
			z >>= 7;
			n++;
		}
		return 1 + n;
	}
	case SQLV_REAL:
		return 9;
	case SQLV_TEXT:
	case SQLV_BLOB: {
		size_t n = 1, l = v->n;
		while (l >= 0x80) {
			l >>= 7;
			n++;
		}
		return 1 + n + v->n;
	}
	}
	return 1;
}

/* Writes a row's length and values at p (room checked by the caller).
 * @return the byte after it. */
static unsigned char *enc_row(int ncol, unsigned char *p,
			      const struct sql_value *row, size_t len)
{
	p += sdb_put_varint(p, len);
	for (int i = 0; i < ncol; i++) {
		const struct sql_value *v = &row[i];
		*p++ = (unsigned char)(v->type | (v->sub ? 8 : 0));
		if (v->sub)
			*p++ = v->sub;
		switch (v->type) {
		case SQLV_INT:
			p += sdb_put_varint(p, ((uint64_t)v->u.i << 1) ^ (uint64_t)(v->u.i >> 63));
			break;
		case SQLV_REAL:
			memcpy(p, &v->u.r, 8);
			p += 8;
			break;
		case SQLV_TEXT:
		case SQLV_BLOB:
			p += sdb_put_varint(p, v->n);
			if (v->n)
				memcpy(p, v->u.z, v->n);
			p += v->n;
			break;
		}
	}
	return p;
}

/* Appends one row (length-prefixed) to the write buffer, flushing first
 * when it would not fit; a row bigger than the buffer is written alone. */
static int put_row(struct wr *w, int ncol, off_t *written,
		   const struct sql_value *row, struct sdb_error *e)
{
	size_t len = 0;
	for (int i = 0; i < ncol; i++)
		len += enc_len(&row[i]) + (row[i].sub ? 1 : 0);
	size_t need = len + 10;
	int rc;
	if (w->len + need > WR_BUF && (rc = wflush(w, e)))
		return rc;
	if (need > WR_BUF) {
		unsigned char *b = malloc(need);
		if (!b)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		size_t n = (size_t)(enc_row(ncol, b, row, len) - b);
		*written += (off_t)n;
		rc = sdb_io_write_all(w->fd, b, n, w->what, e);
		free(b);
		return rc;
	}
	unsigned char *p0 = w->buf + w->len;
	size_t n = (size_t)(enc_row(ncol, p0, row, len) - p0);
	w->len += n;
	*written += (off_t)n;
	return 0;
}

static int add_run(struct sql_sorter *s, struct run **runs, long *nruns, long *cap,
		   off_t off, off_t len, struct sdb_error *e)
{
	(void)s;
	if (*nruns == *cap) {
		long nc = *cap ? *cap * 2 : 16;
		struct run *nr = realloc(*runs, sizeof(*nr) * (size_t)nc);
		if (!nr)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		*runs = nr;
		*cap = nc;
	}
	(*runs)[*nruns].off = off;
	(*runs)[*nruns].len = len;
	(*nruns)++;
	return 0;
}

/* The rows in memory dropped: one chunk kept for the next ones, the rest
 * given back. */
static void mem_reuse(struct sql_sorter *s)
{
	struct chunk *keep = s->chunks;
	if (keep) {
		struct chunk *c = keep->next;
		while (c) {
			struct chunk *n = c->next;
			free(c);
			c = n;
		}
		keep->next = NULL;
		s->chunk_bytes = CHUNK_HDR + keep->size;
		s->cur = (char *)keep + CHUNK_HDR;
		s->left = keep->size;
	}
	s->n = s->pos = 0;
}

/* Sorts the rows in memory and writes them as a run; memory is reused. */
static int spill_run(struct sql_sorter *s, struct sdb_error *e)
{
	int rc;
	if ((rc = sort_mem(s, e)))
		return rc;
	if (!s->cmp && s->pos >= s->n)
		goto reuse; /* a queue whose rows in memory were all read */
	if (s->fd < 0 && (rc = open_tmp(s, &s->fd, e)))
		return rc;
	if (!s->wbuf && !(s->wbuf = malloc(WR_BUF)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (!s->cmp && s->fsize && s->srd.off >= s->fsize && s->srd.pos == s->srd.len) {
		/* a queue whose file was read to the end: it starts over */
		if (ftruncate(s->fd, 0) || lseek(s->fd, 0, SEEK_SET) < 0)
			return sdb_error_sys(e, SDB_EIO, "cannot write '%s'", s->what);
		s->fsize = s->srd.off = 0;
		s->srd.pos = s->srd.len = 0;
		s->nfile = 0;
	}
	struct wr wr = { s->fd, s->wbuf, 0, s->what };
	off_t start = s->fsize, w = 0;
	/* a spool's rows already read (a queue) are not written */
	for (long i = s->cmp ? 0 : s->pos; i < s->n; i++)
		if ((rc = put_row(&wr, s->ncol, &w, s->rows[i], e)))
			return rc;
	if ((rc = wflush(&wr, e)))
		return rc;
	s->fsize += w;
	if ((rc = add_run(s, &s->runs, &s->nruns, &s->runcap, start, w, e)))
		return rc;
	if (!s->cmp)
		s->nfile += s->n - s->pos;
reuse:
	mem_reuse(s);
	return 0;
}

int sql_sorter_add(struct sql_sorter *s, const struct sql_value *a, int na,
		   const struct sql_value *b, int nb, struct sdb_error *e)
{
	int rc;
	if (s->n && held(s) + sql_sorter_row_bytes(a, na) + sql_sorter_row_bytes(b, nb) > s->limit &&
	    (rc = spill_run(s, e)))
		return rc;
	if (s->n == s->cap) {
		long nc = s->cap ? s->cap * 2 : 256;
		struct sql_value **nr = realloc(s->rows, sizeof(*nr) * (size_t)nc);
		if (!nr)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		s->rows = nr;
		s->cap = nc;
	}
	size_t bytes = 0;
	for (int i = 0; i < na; i++)
		bytes += val_bytes(&a[i]);
	for (int i = 0; i < nb; i++)
		bytes += val_bytes(&b[i]);
	struct sql_value *d = chunk_alloc(s, sizeof(*d) * (size_t)s->ncol + bytes);
	if (!d)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	char *z = (char *)(d + s->ncol);
	for (int i = 0; i < s->ncol; i++) {
		const struct sql_value *v = i < na ? &a[i] : &b[i - na];
		d[i] = *v;
		if ((v->type == SQLV_TEXT || v->type == SQLV_BLOB)) {
			if (v->n)
				memcpy(z, v->u.z, v->n);
			d[i].u.z = z;
			z += val_bytes(v);
		}
	}
	s->rows[s->n++] = d;
	s->total++;
	return 0;
}

/* ------------------------------------------------------------ merging */

static int rd_fill(struct rd *r, size_t need, struct sdb_error *e)
{
	if (r->len - r->pos >= need)
		return 0;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (need > r->cap) {
		size_t nc = r->cap * 2 > need ? r->cap * 2 : need;
		unsigned char *nb = realloc(r->buf, nc);
		if (!nb)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		r->buf = nb;
		r->cap = nc;
	}
	while (r->len < need && r->off < r->end) {
		size_t want = r->cap - r->len, got;
		if ((off_t)want > r->end - r->off)
			want = (size_t)(r->end - r->off);
		int rc = sdb_io_pread(r->fd, r->buf + r->len, want, r->off, &got,
				      r->what, e);
		if (rc)
			return rc;
		if (!got)
			break;
		r->len += got;
		r->off += (off_t)got;
	}
	return 0;
}

static int bad_run(const struct rd *r, struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ECORRUPT, "%s: damaged run", r->what);
}

/* Decodes the reader's next row. @return 1, 0 at the run's end, or an error. */
static int rd_next(struct rd *r, int ncol, struct sdb_error *e)
{
	int rc;
	if (r->pos == r->len && r->off >= r->end)
		return 0;
	if ((rc = rd_fill(r, 10, e)))
		return rc;
	if (r->pos == r->len)
		return 0;
	uint64_t len;
	const unsigned char *p = sdb_get_varint(r->buf + r->pos, r->buf + r->len, &len);
	if (!p)
		return bad_run(r, e);
	size_t hl = (size_t)(p - (r->buf + r->pos));
	if ((rc = rd_fill(r, hl + len, e)))
		return rc;
	if (r->len - r->pos < hl + len)
		return bad_run(r, e);
	p = r->buf + r->pos + hl;
	const unsigned char *end = p + len;
	for (int i = 0; i < ncol; i++) {
		struct sql_value *v = &r->row[i];
		uint64_t u;
		if (p >= end)
			return bad_run(r, e);
		unsigned tag = *p++;
		memset(v, 0, sizeof(*v));
		v->type = (uint8_t)(tag & 7);
		if (tag & 8) {
			if (p >= end)
				return bad_run(r, e);
			v->sub = *p++;
		}
		switch (v->type) {
		case SQLV_NULL:
			break;
		case SQLV_INT:
			if (!(p = sdb_get_varint(p, end, &u)))
				return bad_run(r, e);
			v->u.i = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
			break;
		case SQLV_REAL:
			if (end - p < 8)
				return bad_run(r, e);
			memcpy(&v->u.r, p, 8);
			p += 8;
			break;
		case SQLV_TEXT:
		case SQLV_BLOB:
			if (!(p = sdb_get_varint(p, end, &u)) || (uint64_t)(end - p) < u)
				return bad_run(r, e);
			v->n = (uint32_t)u;
			v->u.z = (const char *)p;
			p += u;
			break;
		default:
			return bad_run(r, e);
		}
	}
	r->pos += hl + len;
	return 1;
}

/* Heap order: the smaller row, ties to the earlier run (stability). */
static int hless(struct sql_sorter *s, struct merge *m, int a, int b)
{
	int c = s->cmp(s->ctx, m->rd[a].row, m->rd[b].row);
	return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct sql_sorter *s, struct merge *m, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, best = i;
		if (l < m->nheap && hless(s, m, m->heap[l], m->heap[best]))
			best = l;
		if (r < m->nheap && hless(s, m, m->heap[r], m->heap[best]))
			best = r;
		if (best == i)
			return;
		int t = m->heap[i];
		m->heap[i] = m->heap[best];
		m->heap[best] = t;
		i = best;
	}
}

static int merge_open(struct sql_sorter *s, struct merge *m, int fd,
		      const struct run *runs, int n, struct sdb_error *e)
{
	int rc;
	memset(m, 0, sizeof(*m));
	m->last = -1;
	m->rd = calloc((size_t)n, sizeof(*m->rd));
	m->heap = calloc((size_t)n, sizeof(int));
	if (!m->rd || !m->heap) {
		merge_close(m);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	m->n = n;
	for (int i = 0; i < n; i++) {
		struct rd *r = &m->rd[i];
		r->fd = fd;
		r->what = s->what;
		r->off = runs[i].off;
		r->end = runs[i].off + runs[i].len;
		r->cap = RD_BUF;
		r->buf = malloc(r->cap);
		r->row = calloc((size_t)(s->ncol ? s->ncol : 1), sizeof(*r->row));
		if (!r->buf || !r->row) {
			merge_close(m);
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		rc = rd_next(r, s->ncol, e);
		if (rc < 0) {
			merge_close(m);
			return rc;
		}
		if (rc)
			m->heap[m->nheap++] = i;
	}
	for (int i = m->nheap / 2 - 1; i >= 0; i--)
		sift_down(s, m, i);
	return 0;
}

static int merge_next(struct sql_sorter *s, struct merge *m,
		      const struct sql_value **row, struct sdb_error *e)
{
	if (m->last >= 0) {
		/* the row handed out last is used up: its reader moves on */
		int rc = rd_next(&m->rd[m->last], s->ncol, e);
		if (rc < 0)
			return rc;
		if (rc == 0)
			m->heap[0] = m->heap[--m->nheap];
		if (m->nheap)
			sift_down(s, m, 0);
		m->last = -1;
	}
	if (!m->nheap)
		return 0;
	m->last = m->heap[0];
	*row = m->rd[m->last].row;
	return 1;
}

/* Fan-in: the memory limit in read buffers, 8 to 128 ways. */
static int fan_in(const struct sql_sorter *s)
{
	size_t f = s->limit / (2 * RD_BUF);
	return f < 8 ? 8 : f > 128 ? 128 : (int)f;
}

/* Merges runs in groups of the fan-in into a new file until one merge
 * can take them all. */
static int merge_passes(struct sql_sorter *s, struct sdb_error *e)
{
	int rc, F = fan_in(s);
	while (s->nruns > F) {
		int fd2;
		struct run *nr = NULL;
		long nnr = 0, ncap = 0;
		off_t size2 = 0;
		if ((rc = open_tmp(s, &fd2, e)))
			return rc;
		for (long g = 0; g < s->nruns; g += F) {
			int n = (int)(s->nruns - g < F ? s->nruns - g : F);
			struct merge m;
			if ((rc = merge_open(s, &m, s->fd, s->runs + g, n, e)))
				goto fail;
			off_t w = 0;
			const struct sql_value *row;
			struct wr wr = { fd2, s->wbuf, 0, s->what };
			while ((rc = merge_next(s, &m, &row, e)) == 1)
				if ((rc = put_row(&wr, s->ncol, &w, row, e)))
					break;
			if (rc == 0)
				rc = wflush(&wr, e);
			merge_close(&m);
			if (rc)
				goto fail;
			if ((rc = add_run(s, &nr, &nnr, &ncap, size2, w, e)))
				goto fail;
			size2 += w;
		}
		close(s->fd);
		free(s->runs);
		s->fd = fd2;
		s->fsize = size2;
		s->runs = nr;
		s->nruns = nnr;
		s->runcap = ncap;
		continue;
fail:
		close(fd2);
		free(nr);
		return rc;
	}
	return 0;
}

int sql_sorter_finish(struct sql_sorter *s, struct sdb_error *e)
{
	int rc;
	if (s->finished)
		return 0;
	s->finished = 1;
	if (!s->cmp)
		return 0; /* a spool: read in the order added */
	s->pos = 0;
	if (!s->nruns)
		return sort_mem(s, e);
	if (s->n && (rc = spill_run(s, e)))
		return rc;
	chunks_free(s);
	free(s->rows);
	s->rows = NULL;
	s->cap = s->n = 0;
	if ((rc = merge_passes(s, e)))
		return rc;
	if ((rc = merge_open(s, &s->m, s->fd, s->runs, (int)s->nruns, e)))
		return rc;
	s->merging = 1;
	return 0;
}

/* A spool's next row: the file's rows (the older ones) first, then those
 * in memory. */
static int spool_next(struct sql_sorter *s, const struct sql_value **row,
		      struct sdb_error *e)
{
	struct rd *r = &s->srd;
	if (r->off < s->fsize || r->pos < r->len) {
		if (!r->buf) {
			r->cap = RD_BUF;
			r->buf = malloc(r->cap);
			r->row = calloc((size_t)(s->ncol ? s->ncol : 1), sizeof(*r->row));
			if (!r->buf || !r->row)
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		r->fd = s->fd;
		r->end = s->fsize;
		int rc = rd_next(r, s->ncol, e);
		if (rc) {
			*row = r->row;
			return rc;
		}
	}
	if (s->pos >= s->n)
		return 0;
	*row = s->rows[s->pos++];
	return 1;
}

int sql_sorter_rewind(struct sql_sorter *s)
{
	if (s->cmp)
		return -1;
	s->pos = 0;
	s->srd.off = 0;
	s->srd.pos = s->srd.len = 0;
	return 0;
}

int sql_sorter_next(struct sql_sorter *s, const struct sql_value **row,
		    struct sdb_error *e)
{
	if (!s->cmp)
		return spool_next(s, row, e);
	if (s->merging)
		return merge_next(s, &s->m, row, e);
	if (s->pos >= s->n)
		return 0;
	*row = s->rows[s->pos++];
	return 1;
}

int sql_sorter_clear(struct sql_sorter *s, struct sdb_error *e)
{
	if (s->cmp)
		return -1;
	s->gen++;
	mem_reuse(s);
	s->total = s->nfile = s->nruns = 0;
	s->srd.off = 0;
	s->srd.pos = s->srd.len = 0;
	if (s->fsize) {
		s->fsize = 0;
		if (ftruncate(s->fd, 0) || lseek(s->fd, 0, SEEK_SET) < 0)
			return sdb_error_sys(e, SDB_EIO, "cannot write '%s'", s->what);
	}
	return 0;
}

void sql_sorter_name(struct sql_sorter *s, const char *what)
{
	s->what = what;
	s->srd.what = what;
}

/* ------------------------------------------------------------ spool readers */

struct sql_spool_rd {
	struct sql_sorter *s;
	uint64_t gen;                /* the spool's when it was placed */
	long i;                      /* its row: 0 .. count */
	off_t at;                    /* row i's offset in the file (i < nfile) */
	int have;                    /* row i decoded into rd.row */
	struct rd rd;                /* rd.buf holds file bytes [rd.off - rd.len, rd.off) */
};

#define SRD_BUF (16u << 10)

struct sql_spool_rd *sql_spool_rd_new(struct sql_sorter *s)
{
	struct sql_spool_rd *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->s = s;
	r->gen = s->gen;
	r->rd.fd = -1;
	r->rd.what = s->what;
	return r;
}

void sql_spool_rd_free(struct sql_spool_rd *r)
{
	if (!r)
		return;
	free(r->rd.buf);
	free(r->rd.row);
	free(r);
}

/* A reader of a spool cleared since it was placed starts at row 0. */
static void srd_check(struct sql_spool_rd *r)
{
	if (r->gen == r->s->gen)
		return;
	r->gen = r->s->gen;
	r->i = 0;
	r->at = 0;
	r->have = 0;
	r->rd.off = 0;
	r->rd.pos = r->rd.len = 0;
}

long sql_spool_rd_index(struct sql_spool_rd *r)
{
	srd_check(r);
	return r->i;
}

/* The buffer placed at row i's bytes: kept when it holds them. */
static int srd_place(struct sql_spool_rd *r, struct sdb_error *e)
{
	struct rd *d = &r->rd;
	if (!d->buf) {
		d->cap = SRD_BUF;
		d->buf = malloc(d->cap);
		d->row = calloc((size_t)(r->s->ncol ? r->s->ncol : 1), sizeof(*d->row));
		if (!d->buf || !d->row)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	d->fd = r->s->fd;
	d->end = r->s->fsize;
	off_t start = d->off - (off_t)d->len;
	if (r->at >= start && r->at < d->off) {
		d->pos = (size_t)(r->at - start);
	} else {
		d->off = r->at;
		d->pos = d->len = 0;
	}
	return 0;
}

int sql_spool_rd_row(struct sql_spool_rd *r, const struct sql_value **row,
		     struct sdb_error *e)
{
	struct sql_sorter *s = r->s;
	int rc;
	srd_check(r);
	if (r->i >= s->total)
		return 0;
	if (r->i >= s->nfile) {
		*row = s->rows[r->i - s->nfile];
		return 1;
	}
	if (!r->have) {
		if ((rc = srd_place(r, e)))
			return rc;
		if ((rc = rd_next(&r->rd, s->ncol, e)) <= 0)
			return rc < 0 ? rc : bad_run(&r->rd, e);
		r->have = 1;
	}
	*row = r->rd.row;
	return 1;
}

/* r on to the next row (a file row's length read, its values not). */
static int srd_step(struct sql_spool_rd *r, struct sdb_error *e)
{
	struct rd *d = &r->rd;
	int rc;
	if (r->i < r->s->nfile) {
		if (!r->have) {
			if ((rc = srd_place(r, e)) || (rc = rd_fill(d, 10, e)))
				return rc;
			uint64_t len;
			const unsigned char *p = sdb_get_varint(d->buf + d->pos, d->buf + d->len, &len);
			if (!p)
				return bad_run(d, e);
			off_t next = r->at + (off_t)(p - (d->buf + d->pos)) + (off_t)len;
			if (next > r->s->fsize)
				return bad_run(d, e);
			r->at = next;
		} else {
			r->at = d->off - (off_t)d->len + (off_t)d->pos;
		}
	}
	r->i++;
	r->have = 0;
	return 0;
}

int sql_spool_rd_seek(struct sql_spool_rd *r, long k, struct sdb_error *e)
{
	struct sql_sorter *s = r->s;
	int rc;
	srd_check(r);
	if (k > s->total)
		k = s->total;
	if (k < 0)
		k = 0;
	if (k == r->i)
		return 0;
	if (k >= s->nfile) {
		/* a row in memory (or the end): no bytes to pass over */
		r->i = k;
		r->have = 0;
		return 0;
	}
	if (k < r->i) {
		r->i = 0;
		r->at = 0;
		r->have = 0;
	}
	while (r->i < k)
		if ((rc = srd_step(r, e)))
			return rc;
	return 0;
}

void sql_spool_rd_set(struct sql_spool_rd *r, struct sql_spool_rd *from)
{
	srd_check(from);
	srd_check(r);
	if (r->i == from->i)
		return;
	r->i = from->i;
	r->at = from->at;
	r->have = 0;
}

/* ------------------------------------------------------------ hash files */

struct sql_hfile {
	int ncol;                    /* a row's values (the hash not counted) */
	size_t limit;
	struct sql_sorter *so;       /* while adding: (hash, row) by hash */
	const char *what;
	char *dir;
	int fd, bits;
	uint64_t *bdir;              /* bucket b: bytes bdir[b] .. bdir[b + 1] */
	uint64_t h;                  /* the probe's hash */
	int all;                     /* sql_hfile_all: every row, any hash */
	struct rd rd;                /* its bucket; rows of ncol + 1 values */
};

static int hash_cmp(void *ctx, const struct sql_value *a, const struct sql_value *b)
{
	(void)ctx;
	uint64_t x = (uint64_t)a[0].u.i, y = (uint64_t)b[0].u.i;
	return (x > y) - (x < y);
}

struct sql_hfile *sql_hfile_new(int ncol, size_t mem_limit, const char *dir, const char *what)
{
	struct sql_hfile *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ncol = ncol;
	f->limit = mem_limit;
	f->what = what;
	f->fd = -1;
	f->rd.fd = -1;
	f->rd.what = what;
	f->so = sql_sorter_new(ncol + 1, hash_cmp, NULL, mem_limit, dir);
	if (!f->so || (dir && !(f->dir = strdup(dir)))) {
		sql_hfile_free(f);
		return NULL;
	}
	return f;
}

void sql_hfile_free(struct sql_hfile *f)
{
	if (!f)
		return;
	sql_sorter_free(f->so);
	if (f->fd >= 0)
		close(f->fd);
	free(f->bdir);
	free(f->rd.buf);
	free(f->rd.row);
	free(f->dir);
	free(f);
}

int sql_hfile_add(struct sql_hfile *f, uint64_t hash, const struct sql_value *row,
		  struct sdb_error *e)
{
	struct sql_value h = sql_int((int64_t)hash);
	return sql_sorter_add(f->so, &h, 1, row, f->ncol, e);
}

int sql_hfile_finish(struct sql_hfile *f, struct sdb_error *e)
{
	int rc;
	struct sql_sorter *so = f->so;
	unsigned char *wbuf = NULL;
	long n = sql_sorter_count(so);
	size_t b = 0, nb;
	off_t off = 0;
	if ((rc = sql_sorter_finish(so, e)))
		return rc;
	/* about 8 rows a bucket, the directory within a quarter of the limit */
	for (f->bits = 0; f->bits < 24 && (n >> f->bits) > 8 &&
	     (sizeof(*f->bdir) << (f->bits + 1)) <= f->limit / 4; f->bits++)
		;
	nb = (size_t)1 << f->bits;
	if (!(f->bdir = calloc(nb + 1, sizeof(*f->bdir))) || !(wbuf = malloc(WR_BUF)) ||
	    !(f->rd.buf = malloc(RD_BUF)) ||
	    !(f->rd.row = calloc((size_t)f->ncol + 1, sizeof(*f->rd.row)))) {
		free(wbuf);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	f->rd.cap = RD_BUF;
	if ((rc = sdb_io_tmpfile(f->dir, f->what, &f->fd, e))) {
		free(wbuf);
		return rc;
	}
	struct wr wr = { f->fd, wbuf, 0, f->what };
	const struct sql_value *r;
	while ((rc = sql_sorter_next(so, &r, e)) == 1) {
		size_t bk = f->bits ? (size_t)((uint64_t)r[0].u.i >> (64 - f->bits)) : 0;
		while (b <= bk)
			f->bdir[b++] = (uint64_t)off;
		if ((rc = put_row(&wr, f->ncol + 1, &off, r, e)))
			break;
	}
	if (rc == 0)
		rc = wflush(&wr, e);
	free(wbuf);
	if (rc)
		return rc;
	while (b <= nb)
		f->bdir[b++] = (uint64_t)off;
	sql_sorter_free(so);
	f->so = NULL;
	f->rd.fd = f->fd;
	return 0;
}

void sql_hfile_probe(struct sql_hfile *f, uint64_t hash)
{
	size_t bk = f->bits ? (size_t)(hash >> (64 - f->bits)) : 0;
	f->h = hash;
	f->all = 0;
	f->rd.off = (off_t)f->bdir[bk];
	f->rd.end = (off_t)f->bdir[bk + 1];
	f->rd.pos = f->rd.len = 0;
}

void sql_hfile_all(struct sql_hfile *f)
{
	f->all = 1;
	f->rd.off = 0;
	f->rd.end = (off_t)f->bdir[(size_t)1 << f->bits];
	f->rd.pos = f->rd.len = 0;
}

int sql_hfile_next(struct sql_hfile *f, const struct sql_value **row, struct sdb_error *e)
{
	for (;;) {
		int rc = rd_next(&f->rd, f->ncol + 1, e);
		if (rc <= 0)
			return rc;
		if (f->all || (uint64_t)f->rd.row[0].u.i == f->h) {
			*row = f->rd.row + 1;
			return 1;
		}
	}
}
