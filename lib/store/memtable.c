/*
 * memtable.c - the in-memory part of a snapshot: the committed operations
 * of the WAL since the last checkpoint, as one sorted array (built in bulk
 * by replay, sorted once, newest entry per key kept). Entries point into
 * the WAL segment buffers, which the snapshot keeps alive.
 */
#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t key_pfx(const unsigned char *k, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = (v << 8) | (i < n ? k[i] : 0);
	return v;
}

int sdb_key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

int sdb_mem_add(struct sdb_memtable *m, const struct sdb_wal_op *op,
		int kind, uint64_t seq)
{
	struct sdb_ment *x;

	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 1024;
		struct sdb_ment *ne = realloc(m->e, ncap * sizeof(*ne));
		if (!ne)
			return SDB_ENOMEM;
		m->e = ne;
		m->cap = ncap;
	}
	x = &m->e[m->n++];
	x->pfx = key_pfx(op->key, op->klen);
	x->key = op->key;
	x->klen = (uint32_t)op->klen;
	x->val = op->val;
	x->vlen = (uint32_t)op->vlen;
	x->seq = seq;
	x->expires = op->expires_ms;
	x->kind = (uint8_t)kind;
	m->bytes += op->klen + op->vlen;
	return 0;
}

/* Key ascending, then newest (highest sequence) first. */
static int ment_cmp(const void *pa, const void *pb)
{
	const struct sdb_ment *a = pa, *b = pb;
	int c;

	if (a->pfx != b->pfx)
		return a->pfx < b->pfx ? -1 : 1;
	c = sdb_key_cmp(a->key, a->klen, b->key, b->klen);
	if (c)
		return c;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/* (prefix, position) pairs: what the radix sort moves around. */
struct kidx {
	uint64_t pfx;
	uint64_t idx;
};

/*
 * LSD radix sort of the 8-byte key prefixes (stable, so equal prefixes
 * stay in WAL order), skipping byte positions where all prefixes agree;
 * then runs of equal prefixes are ordered by the full comparator. Much
 * faster than qsort over the 48-byte entries for the million-key flushes.
 * @return 0 or SDB_ENOMEM (then the caller falls back to qsort).
 */
static int radix_order(struct sdb_memtable *m)
{
	size_t n = m->n;
	struct kidx *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	struct sdb_ment *out = malloc(n * sizeof(*out));

	if (!a || !b || !out) {
		free(a);
		free(b);
		free(out);
		return SDB_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		a[i].pfx = m->e[i].pfx;
		a[i].idx = i;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t cnt[256] = { 0 }, pos = 0;
		for (size_t i = 0; i < n; i++)
			cnt[(a[i].pfx >> shift) & 0xff]++;
		if (cnt[(a[0].pfx >> shift) & 0xff] == n)
			continue; /* every prefix has the same byte here */
		for (int d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i].pfx >> shift) & 0xff]++] = a[i];
		{
			struct kidx *t = a;
			a = b;
			b = t;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n)
			__builtin_prefetch(&m->e[a[i + 8].idx]);
		out[i] = m->e[a[i].idx];
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && out[j].pfx == out[i].pfx)
			j++;
		if (j - i > 1)
			qsort(out + i, j - i, sizeof(*out), ment_cmp);
		i = j;
	}
	free(a);
	free(b);
	free(m->e);
	m->e = out;
	m->cap = n;
	return 0;
}

void sdb_mem_finish(struct sdb_memtable *m)
{
	size_t w = 0;

	if (m->n < 2)
		return;
	if (m->n < 64 || radix_order(m))
		qsort(m->e, m->n, sizeof(*m->e), ment_cmp);
	for (size_t r = 0; r < m->n; r++) {
		if (w && m->e[w - 1].klen == m->e[r].klen &&
		    m->e[w - 1].pfx == m->e[r].pfx &&
		    !memcmp(m->e[w - 1].key, m->e[r].key, m->e[r].klen))
			continue; /* older version of the same key */
		m->e[w++] = m->e[r];
	}
	m->n = w;
}

void sdb_mem_free(struct sdb_memtable *m)
{
	if (!m)
		return;
	free(m->e);
	memset(m, 0, sizeof(*m));
}

size_t sdb_mem_lower_bound(const struct sdb_memtable *m, const void *k,
			   size_t n)
{
	size_t lo = 0, hi = m->n;
	uint64_t p = key_pfx(k, n);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sdb_ment *x = &m->e[mid];
		int c = x->pfx != p ? (x->pfx < p ? -1 : 1) :
			sdb_key_cmp(x->key, x->klen, k, n);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
