/*
 * fts_post.c - the posting blocks of FTS5 tables (index format 2): a
 * term's postings are a run of keys (-tid, 3, term, first rowid), each a
 * block of up to FTS_BLOCK_MAX rows in rowid order with the block's
 * bounds (rows, largest term frequency, smallest row length, first and
 * last rowid) in front, so a reader can skip a block from its header
 * and a ranked query can bound a block's best score without decoding it.
 *
 * Block value, byte by byte (varints are LEB128, sdb_put_varint):
 *   02                        the block format
 *   varint n                  rows in the block (1..FTS_BLOCK_MAX)
 *   varint maxtf              the largest tf of its rows
 *   varint mindl              the smallest row length (tokens, all columns)
 *   varint zigzag(first)      the first rowid
 *   varint last - first       (as uint64)
 *   varint idlen              bytes of the row section
 *   row section, for each row: [varint rowid - previous rowid (not for
 *     the first)] varint tf, varint dl (the row's tokens), varint plen
 *   position section: the rows' position lists, concatenated (plen bytes
 *     each): positions col << 32 | offset ascending, each a varint of its
 *     difference from the previous one (the first from 0); tf of them.
 * The layout is described in doc/FORMAT.md too.
 */
#include "sql/fts_int.h"

#include "util/varint.h"

#include <string.h>

static uint64_t zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void addv(struct sdb_buf *b, uint64_t v)
{
	unsigned char t[16];
	sdb_buf_add(b, t, (size_t)sdb_put_varint(t, v) & 15); /* at most 10 */
}

int fts_block_encode(struct sdb_buf *out, const struct fts_posting *p, int n)
{
	uint32_t maxtf = 0, mindl = UINT32_MAX;
	struct sdb_buf ids = SDB_BUF_INIT;
	for (int i = 0; i < n; i++) {
		if (p[i].tf > maxtf)
			maxtf = p[i].tf;
		if (p[i].dl < mindl)
			mindl = p[i].dl;
		if (i)
			addv(&ids, (uint64_t)p[i].rowid - (uint64_t)p[i - 1].rowid);
		addv(&ids, p[i].tf);
		addv(&ids, p[i].dl);
		addv(&ids, p[i].plen);
	}
	sdb_buf_reset(out);
	sdb_buf_addc(out, 2);
	addv(out, (uint64_t)n);
	addv(out, maxtf);
	addv(out, n ? mindl : 0);
	addv(out, zz(n ? p[0].rowid : 0));
	addv(out, n ? (uint64_t)p[n - 1].rowid - (uint64_t)p[0].rowid : 0);
	addv(out, ids.len);
	if (ids.len)
		sdb_buf_add(out, ids.data, ids.len);
	for (int i = 0; i < n; i++)
		if (p[i].plen)
			sdb_buf_add(out, p[i].pos, p[i].plen);
	int ok = sdb_buf_ok(&ids) && sdb_buf_ok(out);
	sdb_buf_release(&ids);
	return ok ? 0 : SDB_ENOMEM;
}

int fts_block_header(const void *v, size_t len, struct fts_bhdr *h)
{
	const unsigned char *p = v, *end = p + len;
	uint64_t n, mt, md, f, d, il;
	if (len < 1 || p[0] != 2)
		return SDB_ECORRUPT;
	p++;
	if (!(p = sdb_get_varint(p, end, &n)) || !(p = sdb_get_varint(p, end, &mt)) ||
	    !(p = sdb_get_varint(p, end, &md)) || !(p = sdb_get_varint(p, end, &f)) ||
	    !(p = sdb_get_varint(p, end, &d)) || !(p = sdb_get_varint(p, end, &il)) ||
	    n == 0 || n > FTS_BLOCK_MAX || il > (uint64_t)(end - p))
		return SDB_ECORRUPT;
	h->n = (int)n;
	h->maxtf = (uint32_t)mt;
	h->mindl = (uint32_t)md;
	h->first = unzz(f);
	h->last = (int64_t)((uint64_t)h->first + d);
	h->ids = p;
	h->pos = p + il;
	h->end = end;
	return 0;
}

int fts_block_decode(const struct fts_bhdr *h, struct fts_posting *out)
{
	const unsigned char *p = h->ids, *e = h->pos, *pp = h->pos;
	uint64_t r = (uint64_t)h->first;
	for (int i = 0; i < h->n; i++) {
		uint64_t d = 0, tf, dl, pl;
		if ((i && !(p = sdb_get_varint(p, e, &d))) || !(p = sdb_get_varint(p, e, &tf)) ||
		    !(p = sdb_get_varint(p, e, &dl)) || !(p = sdb_get_varint(p, e, &pl)) ||
		    pl > (uint64_t)(h->end - pp))
			return SDB_ECORRUPT;
		r += d;
		out[i].rowid = (int64_t)r;
		out[i].tf = (uint32_t)tf;
		out[i].dl = (uint32_t)dl;
		out[i].plen = (uint32_t)pl;
		out[i].pos = pp;
		pp += pl;
	}
	return 0;
}
