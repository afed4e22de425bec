/*
 * buf.h - growable byte buffer (git's strbuf, redis's sds in spirit).
 *
 * A buffer owns its bytes; data is always NUL-terminated after len so it
 * can be handed to C string functions. Appends that fail to allocate set
 * the sticky `oom` flag instead of returning errors at every call site:
 * check sdb_buf_ok() once after a run of appends.
 */
#ifndef SDB_BUF_H
#define SDB_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sdb_buf {
	char *data;
	size_t len;
	size_t cap;
	int oom;
};

#define SDB_BUF_INIT { NULL, 0, 0, 0 }

void sdb_buf_init(struct sdb_buf *b);
/* Frees the bytes and resets b to empty (NULL allowed). */
void sdb_buf_release(struct sdb_buf *b);
/* Makes room for n more bytes. @return 0 or SDB_ENOMEM (also sets oom). */
int sdb_buf_grow_slow(struct sdb_buf *b, size_t n);
static inline int sdb_buf_grow(struct sdb_buf *b, size_t n)
{
	if (b->cap - b->len > n && !b->oom)
		return 0;
	return sdb_buf_grow_slow(b, n);
}
/*
 * Advises the kernel that the big heap block p[0..n) is better backed by
 * huge pages (fewer page faults while a large output or tape is filled);
 * no effect on small blocks or where the advice is not supported.
 */
void sdb_mem_advise_big(void *p, size_t n);
/* Takes ownership of the bytes away from b; caller frees. */
char *sdb_buf_detach(struct sdb_buf *b, size_t *len);
void sdb_buf_addf(struct sdb_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The decimal digits of v (a '-' first when negative), as "%" PRIu64 /
 * "%" PRId64 write them, without printf's cost (a cell of every row). */
void sdb_buf_add_u64(struct sdb_buf *b, uint64_t v);
void sdb_buf_add_i64(struct sdb_buf *b, int64_t v);
void sdb_buf_add_slow(struct sdb_buf *b, const void *p, size_t n);

static inline int sdb_buf_ok(const struct sdb_buf *b) { return !b->oom; }

static inline void sdb_buf_add(struct sdb_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len > n) {
		char *d = b->data + b->len;
		const char *s = p;
		/* short pieces with fixed-size moves: cheaper than a call */
		if (n >= 8 && n <= 16) {
			memcpy(d, s, 8);
			memcpy(d + n - 8, s + n - 8, 8);
		} else if (n >= 4 && n < 8) {
			memcpy(d, s, 4);
			memcpy(d + n - 4, s + n - 4, 4);
		} else if (n < 4) {
			for (size_t i = 0; i < n; i++)
				d[i] = s[i];
		} else
			memcpy(d, s, n);
		b->len += n;
		b->data[b->len] = 0;
		return;
	}
	sdb_buf_add_slow(b, p, n);
}

static inline void sdb_buf_addc(struct sdb_buf *b, char c)
{
	if (b->cap - b->len > 1) {
		b->data[b->len++] = c;
		b->data[b->len] = 0;
		return;
	}
	sdb_buf_add_slow(b, &c, 1);
}

static inline void sdb_buf_adds(struct sdb_buf *b, const char *s)
{
	sdb_buf_add(b, s, strlen(s));
}

static inline void sdb_buf_reset(struct sdb_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

#endif
