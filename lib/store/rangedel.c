/*
 * rangedel.c - range tombstones: sets of internal-key ranges [lo, hi)
 * deleted by sdb_batch_del_range (one DELRANGE WAL record).
 *
 * DESIGN. Every source of a snapshot (the memtable, each table) holds its
 * point entries and a sorted set of disjoint ranges. A source's ranges
 * delete keys of older sources only, never its own entries: the memtable
 * drops the entries a newer DELRANGE covers when it is finished
 * (memtable.c), a checkpoint writes what is left plus the ranges, and a
 * compaction drops the input entries that a newer input's ranges cover
 * before it writes survivors and ranges together (maint.c). So a point
 * read walks the sources newest first and stops at the first that has
 * the key or covers it (db.c), and the merging iterator skips a key that
 * a newer source covers (iter.c). Sequence numbers are only needed inside
 * the memtable.
 *
 * Range block (tables of format version 2, table.c), raw bytes:
 *   u32 count, then count times: varint lolen, lo, varint hilen, hi
 * sorted by lo, disjoint and not touching (hi[i] < lo[i+1]), lo < hi.
 */
#include "store/internal.h"

#include "util/varint.h"

#include <stdlib.h>
#include <string.h>

static int range_lo_cmp(const void *pa, const void *pb)
{
	const struct sdb_range *a = pa, *b = pb;

	return sdb_key_cmp(a->lo, a->lolen, b->lo, b->lolen);
}

void sdb_ranges_union(struct sdb_range *r, size_t *n)
{
	size_t w = 0;

	if (*n < 2)
		return;
	qsort(r, *n, sizeof(*r), range_lo_cmp);
	for (size_t i = 1; i < *n; i++) {
		struct sdb_range *c = &r[w];
		if (sdb_key_cmp(r[i].lo, r[i].lolen, c->hi, c->hilen) <= 0) {
			if (sdb_key_cmp(r[i].hi, r[i].hilen, c->hi, c->hilen) > 0) {
				c->hi = r[i].hi;
				c->hilen = r[i].hilen;
			}
			if (r[i].seq > c->seq)
				c->seq = r[i].seq;
			continue;
		}
		r[++w] = r[i];
	}
	*n = w + 1;
}

size_t sdb_ranges_find(const struct sdb_range *r, size_t n, const void *k,
		       size_t kn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* first range with hi > k */
		size_t mid = lo + (hi - lo) / 2;
		if (sdb_key_cmp(r[mid].hi, r[mid].hilen, k, kn) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && sdb_key_cmp(r[lo].lo, r[lo].lolen, k, kn) <= 0)
		return lo;
	return n;
}

int sdb_ranges_encode(struct sdb_buf *b, const struct sdb_range *r, size_t n)
{
	unsigned char v[20], c[4];

	sdb_put_u32(c, (uint32_t)n);
	sdb_buf_add(b, c, 4);
	for (size_t i = 0; i < n; i++) {
		int k = sdb_put_varint(v, r[i].lolen);
		sdb_buf_add(b, v, (size_t)k);
		sdb_buf_add(b, r[i].lo, r[i].lolen);
		k = sdb_put_varint(v, r[i].hilen);
		sdb_buf_add(b, v, (size_t)k);
		sdb_buf_add(b, r[i].hi, r[i].hilen);
	}
	return sdb_buf_ok(b) ? 0 : SDB_ENOMEM;
}

int sdb_ranges_decode(const unsigned char *p, size_t n, struct sdb_range **out,
		      size_t *nout)
{
	const unsigned char *end = p + n;
	struct sdb_range *r;
	uint32_t cnt;

	*out = NULL;
	*nout = 0;
	if (n < 4)
		return SDB_ECORRUPT;
	cnt = sdb_get_u32(p);
	p += 4;
	if (cnt > n / 4)
		return SDB_ECORRUPT;
	if (!(r = calloc((size_t)cnt + 1, sizeof(*r))))
		return SDB_ENOMEM;
	for (uint32_t i = 0; i < cnt; i++) {
		uint64_t l1, l2;
		if (!(p = sdb_get_varint(p, end, &l1)) || l1 > SDB_IKEY_MAX ||
		    l1 > (uint64_t)(end - p))
			goto bad;
		r[i].lo = p;
		r[i].lolen = (uint32_t)l1;
		p += l1;
		if (!(p = sdb_get_varint(p, end, &l2)) || l2 > SDB_IKEY_MAX ||
		    l2 > (uint64_t)(end - p))
			goto bad;
		r[i].hi = p;
		r[i].hilen = (uint32_t)l2;
		p += l2;
		if (sdb_key_cmp(r[i].lo, l1, r[i].hi, l2) >= 0 ||
		    (i && sdb_key_cmp(r[i - 1].hi, r[i - 1].hilen, r[i].lo, l1) >= 0))
			goto bad;
	}
	if (p != end)
		goto bad;
	*out = r;
	*nout = cnt;
	return 0;
bad:
	free(r);
	return SDB_ECORRUPT;
}
