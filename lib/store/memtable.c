/*
 * memtable.c - the in-memory part of a snapshot: the committed operations
 * of the WAL since the last checkpoint, as one sorted array (built in bulk
 * by replay, sorted once, newest entry per key kept). Entries point into
 * the WAL segment buffers, which the snapshot keeps alive.
 */
#include "store/internal.h"

#include "util/array.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t key_pfx(const unsigned char *k, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = (v << 8) | (i < n ? k[i] : 0);
	return v;
}

int sdb_mem_add(struct sdb_memtable *m, const struct sdb_wal_op *op,
		int kind, uint64_t seq)
{
	struct sdb_ment *x;

	if (sdb_grow((void **)&m->e, &m->cap, m->n + 1, sizeof(*m->e), 1024))
		return SDB_ENOMEM;
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

int sdb_mem_add_range(struct sdb_memtable *m, const struct sdb_wal_op *op,
		      uint64_t seq)
{
	struct sdb_range *r;

	if (sdb_grow((void **)&m->rd, &m->rdcap, m->nrd + 1, sizeof(*m->rd), 16))
		return SDB_ENOMEM;
	r = &m->rd[m->nrd++];
	r->lo = op->key;
	r->lolen = (uint32_t)op->klen;
	r->hi = op->val;
	r->hilen = (uint32_t)op->vlen;
	r->seq = seq;
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

struct sdb_kidx *sdb_radix_pfx(struct sdb_kidx *a, struct sdb_kidx *b, size_t n)
{
	/* the counts of all eight bytes in one pass (the order of a does
	 * not change them): 16 KiB of stack */
	size_t cnt[8][256];

	if (n < 2)
		return a;
	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < n; i++) {
		uint64_t p = a[i].pfx;
		cnt[0][p & 0xff]++;
		cnt[1][(p >> 8) & 0xff]++;
		cnt[2][(p >> 16) & 0xff]++;
		cnt[3][(p >> 24) & 0xff]++;
		cnt[4][(p >> 32) & 0xff]++;
		cnt[5][(p >> 40) & 0xff]++;
		cnt[6][(p >> 48) & 0xff]++;
		cnt[7][p >> 56]++;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t *c1 = cnt[shift / 8], pos = 0;
		if (c1[(a[0].pfx >> shift) & 0xff] == n)
			continue; /* every prefix has the same byte here */
		for (int d = 0; d < 256; d++) {
			size_t c = c1[d];
			c1[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			b[c1[(a[i].pfx >> shift) & 0xff]++] = a[i];
		{
			struct sdb_kidx *t = a;
			a = b;
			b = t;
		}
	}
	return a;
}

/*
 * Puts entries that are mostly in ment_cmp order already (a replay of
 * appended keys, rowids or sequences, after a few others such as a
 * CREATE TABLE's) in order without a sort: when the longest ordered tail
 * starts within the first n/16 entries, the head is sorted and merged in
 * front of the tail (through a copy of the head).
 * @return 1 when done, 0 when the entries are not like that (or no
 * memory): sort them.
 */
static int nearly_ordered(struct sdb_memtable *m)
{
	size_t n = m->n, j = n - 1, h, a = 0, b, w = 0;
	struct sdb_ment *head;

	while (j > 0 && ment_cmp(&m->e[j - 1], &m->e[j]) <= 0)
		j--;
	if (!j)
		return 1;
	if (j > n / 16 || !(head = malloc(j * sizeof(*head))))
		return 0;
	h = j;
	memcpy(head, m->e, h * sizeof(*head));
	qsort(head, h, sizeof(*head), ment_cmp);
	for (b = j; a < h; ) {
		if (b < n && ment_cmp(&m->e[b], &head[a]) < 0)
			m->e[w++] = m->e[b++];
		else
			m->e[w++] = head[a++];
	}
	free(head);
	return 1;
}

/* The length of the prefix every key shares with the first (keys of one
 * table share their namespace and table id: the radix sort starts past
 * them). */
static size_t common_prefix(const struct sdb_memtable *m)
{
	const unsigned char *k0 = m->e[0].key;
	size_t l = m->e[0].klen;

	for (size_t i = 1; i < m->n && l; i++) {
		const unsigned char *k = m->e[i].key;
		size_t j = 0, n = m->e[i].klen < l ? m->e[i].klen : l;
		while (j < n && k[j] == k0[j])
			j++;
		l = j;
	}
	return l;
}

/*
 * LSD radix sort of 8-byte key prefixes taken past the bytes all keys
 * share (stable, so equal prefixes stay in WAL order), skipping byte
 * positions where all prefixes agree; then runs of equal prefixes are
 * ordered by the full comparator. Much faster than qsort over the 48-byte
 * entries for the million-key flushes.
 * @return 0 or SDB_ENOMEM (then the caller falls back to qsort).
 */
static int radix_order(struct sdb_memtable *m)
{
	size_t n = m->n, skip;
	struct sdb_kidx *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b)), *sorted;
	struct sdb_ment *out = malloc(n * sizeof(*out));

	if (!a || !b || !out) {
		free(a);
		free(b);
		free(out);
		return SDB_ENOMEM;
	}
	skip = common_prefix(m);
	for (size_t i = 0; i < n; i++) {
		const struct sdb_ment *x = &m->e[i];
		a[i].pfx = skip ? key_pfx(x->key + skip, x->klen - skip) : x->pfx;
		a[i].idx = i;
	}
	sorted = sdb_radix_pfx(a, b, n);
	if (sorted != a) { /* a and b are freed below whichever holds what */
		b = a;
		a = sorted;
	}
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n)
			__builtin_prefetch(&m->e[a[i + 8].idx]);
		out[i] = m->e[a[i].idx];
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].pfx == a[i].pfx)
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

/* A range boundary (lo or hi of some range delete). */
struct bound {
	const unsigned char *k;
	uint32_t n;
};

static int bound_cmp(const void *pa, const void *pb)
{
	const struct bound *a = pa, *b = pb;

	return sdb_key_cmp(a->k, a->n, b->k, b->n);
}

/* First boundary > k (upper bound). */
static size_t bound_upper(const struct bound *b, size_t n, const void *k, size_t kn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sdb_key_cmp(b[mid].k, b[mid].n, k, kn) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Drops the entries that a newer range delete covers: the ranges are cut
 * at every boundary into pieces, each with the newest sequence covering
 * it, and every entry older than its piece's sequence goes. Then the
 * ranges become one sorted disjoint set (they only delete older sources
 * from here on).
 */
static int apply_ranges(struct sdb_memtable *m)
{
	size_t nb = 0, w = 0;
	struct bound *b = malloc(2 * m->nrd * sizeof(*b));
	uint64_t *seq = calloc(2 * m->nrd, sizeof(*seq)); /* piece i: [b[i], b[i+1]) */

	if (!b || !seq) {
		free(b);
		free(seq);
		return SDB_ENOMEM;
	}
	for (size_t i = 0; i < m->nrd; i++) {
		b[nb++] = (struct bound){ m->rd[i].lo, m->rd[i].lolen };
		b[nb++] = (struct bound){ m->rd[i].hi, m->rd[i].hilen };
	}
	qsort(b, nb, sizeof(*b), bound_cmp);
	for (size_t i = 0; i < nb; i++)
		if (!w || bound_cmp(&b[w - 1], &b[i]))
			b[w++] = b[i];
	nb = w;
	for (size_t i = 0; i < m->nrd; i++) {
		const struct sdb_range *r = &m->rd[i];
		for (size_t p = bound_upper(b, nb, r->lo, r->lolen) - 1;
		     p + 1 < nb && sdb_key_cmp(b[p].k, b[p].n, r->hi, r->hilen) < 0; p++)
			if (r->seq > seq[p])
				seq[p] = r->seq;
	}
	w = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct sdb_ment *x = &m->e[i];
		size_t p = bound_upper(b, nb, x->key, x->klen);
		if (p && p < nb && seq[p - 1] > x->seq)
			continue; /* deleted by a newer range */
		m->e[w++] = *x;
	}
	m->n = w;
	free(b);
	free(seq);
	sdb_ranges_union(m->rd, &m->nrd);
	return 0;
}

int sdb_mem_finish(struct sdb_memtable *m)
{
	size_t w = 0;

	if (m->n >= 2) {
		if (nearly_ordered(m))
			;
		else if (m->n < 64 || radix_order(m))
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
	return m->nrd ? apply_ranges(m) : 0;
}

void sdb_mem_release(struct sdb_memtable *m)
{
	if (!m)
		return;
	free(m->e);
	free(m->rd);
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

/* Key order of two entries (no sequence: keys are unique in a finished
 * memtable). */
static inline int ment_key_cmp(const struct sdb_ment *a, const struct sdb_ment *b)
{
	if (a->pfx != b->pfx)
		return a->pfx < b->pfx ? -1 : 1;
	return sdb_key_cmp(a->key, a->klen, b->key, b->klen);
}

int sdb_mem_merge(struct sdb_memtable *m, struct sdb_memtable *newer)
{
	struct sdb_ment *out = NULL;
	size_t p = 0, i, j, w = 0, tail;

	if (!newer->n && !newer->nrd)
		return 0;
	if (newer->nrd) {
		struct sdb_range *r = realloc(m->rd, (m->nrd + newer->nrd) * sizeof(*r));
		if (!r)
			return SDB_ENOMEM;
		m->rd = r;
		m->rdcap = m->nrd + newer->nrd;
	}
	/* the entries before newer's first key (or range) stay in place: an
	 * append (increasing keys) costs what the new entries cost */
	if (newer->n)
		p = sdb_mem_lower_bound(m, newer->e[0].key, newer->e[0].klen);
	else
		p = m->n;
	if (newer->nrd) {
		size_t q = sdb_mem_lower_bound(m, newer->rd[0].lo, newer->rd[0].lolen);
		if (q < p)
			p = q;
	}
	tail = m->n - p;
	if (tail + newer->n) {
		out = malloc((tail + newer->n) * sizeof(*out));
		if (!out)
			return SDB_ENOMEM;
	}
	for (i = p, j = 0; i < m->n || j < newer->n;) {
		int c = i == m->n ? 1 : j == newer->n ? -1 : ment_key_cmp(&m->e[i], &newer->e[j]);
		if (c < 0) {
			const struct sdb_ment *x = &m->e[i++];
			if (newer->nrd && sdb_ranges_find(newer->rd, newer->nrd, x->key, x->klen) < newer->nrd)
				continue; /* deleted by a newer range */
			out[w++] = *x;
		} else {
			if (!c)
				i++; /* replaced */
			out[w++] = newer->e[j++];
		}
	}
	if (sdb_grow((void **)&m->e, &m->cap, p + w, sizeof(*m->e), 1024)) {
		free(out);
		return SDB_ENOMEM;
	}
	if (w)
		memcpy(m->e + p, out, w * sizeof(*out));
	free(out);
	m->n = p + w;
	m->bytes += newer->bytes;
	if (newer->nrd) {
		memcpy(m->rd + m->nrd, newer->rd, newer->nrd * sizeof(*m->rd));
		m->nrd += newer->nrd;
		sdb_ranges_union(m->rd, &m->nrd);
	}
	sdb_mem_release(newer);
	return 0;
}
