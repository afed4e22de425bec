/* buf.c - growable byte buffer (see buf.h). */
#include "util/buf.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

void sdb_mem_advise_big(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	/* the block's whole pages, not only its 2 MiB-aligned middle (the
	 * kernel backs that part with huge pages all the same): advice on
	 * part of a mapping splits it in three, and a later realloc of a
	 * block mapped on its own, which moves it with mremap, then fails
	 * (EFAULT: the old range spans mappings of different kinds) and
	 * glibc copies the whole block instead, page faults and all */
	const uintptr_t huge = (uintptr_t)2 << 20, page = 4096;
	uintptr_t a = (uintptr_t)p & ~(page - 1);
	uintptr_t e = ((uintptr_t)p + n + page - 1) & ~(page - 1);

	if (n >= 2 * huge)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE); /* advice only */
#else
	(void)p;
	(void)n;
#endif
}

void sdb_buf_init(struct sdb_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void sdb_buf_release(struct sdb_buf *b)
{
	if (!b)
		return;
	free(b->data);
	sdb_buf_init(b);
}

int sdb_buf_grow_slow(struct sdb_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return SDB_ENOMEM;
	if (b->cap - b->len > n)
		return 0;
	want = b->len + n + 1;
	if (want < b->len) {
		b->oom = 1;
		return SDB_ENOMEM;
	}
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap + cap / 2 + 64;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = 1;
		return SDB_ENOMEM;
	}
	b->data = p;
	b->cap = cap;
	if (cap >= ((size_t)4 << 20))
		sdb_mem_advise_big(p, cap);
	return 0;
}

void sdb_buf_add_slow(struct sdb_buf *b, const void *p, size_t n)
{
	if (sdb_buf_grow(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

char *sdb_buf_detach(struct sdb_buf *b, size_t *len)
{
	char *p = b->data;

	if (!p && !b->oom) {
		p = calloc(1, 1);
		if (!p)
			b->oom = 1;
	}
	if (len)
		*len = b->len;
	sdb_buf_init(b);
	return p;
}

void sdb_buf_add_u64(struct sdb_buf *b, uint64_t v)
{
	char t[20];
	size_t n = sizeof t;
	do {
		t[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sdb_buf_add(b, t + n, sizeof t - n);
}

void sdb_buf_add_i64(struct sdb_buf *b, int64_t v)
{
	if (v < 0)
		sdb_buf_addc(b, '-');
	sdb_buf_add_u64(b, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

void sdb_buf_addf(struct sdb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sdb_buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
