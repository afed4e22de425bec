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

#include "sql/record.h"
#include "store/keys.h"
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

/* bytes of varint v */
static inline int vlen(uint64_t v)
{
	int n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

int fts_block_encode(struct sdb_buf *out, const struct fts_posting *p, int n)
{
	uint32_t maxtf = 0, mindl = UINT32_MAX;
	size_t idlen = 0, plen = 0;
	for (int i = 0; i < n; i++) {
		if (p[i].tf > maxtf)
			maxtf = p[i].tf;
		if (p[i].dl < mindl)
			mindl = p[i].dl;
		if (i)
			idlen += (size_t)vlen((uint64_t)p[i].rowid - (uint64_t)p[i - 1].rowid);
		idlen += (size_t)(vlen(p[i].tf) + vlen(p[i].dl) + vlen(p[i].plen));
		plen += p[i].plen;
	}
	/* one pass of writes into a buffer of the right size */
	sdb_buf_reset(out);
	if (sdb_buf_grow(out, 1 + 6 * 10 + idlen + plen))
		return SDB_ENOMEM;
	unsigned char *o = (unsigned char *)out->data;
	*o++ = 2;
	o += sdb_put_varint(o, (uint64_t)n);
	o += sdb_put_varint(o, maxtf);
	o += sdb_put_varint(o, n ? mindl : 0);
	o += sdb_put_varint(o, zz(n ? p[0].rowid : 0));
	o += sdb_put_varint(o, n ? (uint64_t)p[n - 1].rowid - (uint64_t)p[0].rowid : 0);
	o += sdb_put_varint(o, idlen);
	for (int i = 0; i < n; i++) {
		if (i)
			o += sdb_put_varint(o, (uint64_t)p[i].rowid - (uint64_t)p[i - 1].rowid);
		o += sdb_put_varint(o, p[i].tf);
		o += sdb_put_varint(o, p[i].dl);
		o += sdb_put_varint(o, p[i].plen);
	}
	for (int i = 0; i < n; i++)
		if (p[i].plen) {
			memcpy(o, p[i].pos, p[i].plen);
			o += p[i].plen;
		}
	out->len = (size_t)(o - (unsigned char *)out->data);
	out->data[out->len] = 0;
	return 0;
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

/* ------------------------------------------------------------ a term's blocks */

int fts_term_range(struct sdb_buf *lo, struct sdb_buf *hi, int64_t neg_id,
		   const char *z, int n, int prefix)
{
	sql_fts_key(lo, neg_id, 3);
	struct sql_value tv = sql_text(z, (size_t)n);
	sql_key_add(lo, &tv, 0, SQL_COLL_BINARY);
	if (prefix)
		lo->len -= 2; /* without the terminator: every text it begins */
	sdb_buf_reset(hi);
	sdb_buf_add(hi, lo->data, lo->len);
	sdb_prefix_succ(hi);
	return sdb_buf_ok(lo) && sdb_buf_ok(hi) ? 0 : SDB_ENOMEM;
}

int fts_blocks_open(struct fts_blocks *b, struct sdb_txn *txn, int64_t neg_id,
		    const char *z, int n, int prefix, struct sdb_error *e)
{
	int rc;
	b->it = NULL;
	sdb_buf_init(&b->lo);
	sdb_buf_init(&b->hi);
	if (fts_term_range(&b->lo, &b->hi, neg_id, z, n, prefix))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	else
		rc = sdb_txn_iter_open(txn, b->lo.data, b->lo.len, b->hi.data, b->hi.len, 0,
				       &b->it, e);
	/* a term's postings are read again by the next query that names it */
	if (!rc)
		sdb_txn_iter_cache_blocks(b->it);
	if (rc)
		fts_blocks_close(b);
	return rc;
}

int fts_blocks_next(struct fts_blocks *b, struct sdb_val *v, struct fts_bhdr *h,
		    struct sdb_error *e)
{
	const unsigned char *k;
	size_t kn;
	int rc = sdb_txn_iter_next(b->it, &k, &kn, v, e);
	if (rc <= 0)
		return rc;
	if (fts_block_header(v->data, v->len, h))
		return sdb_error_set(e, SDB_ECORRUPT, "malformed fts5 posting block");
	return 1;
}

void fts_blocks_close(struct fts_blocks *b)
{
	sdb_txn_iter_close(b->it);
	b->it = NULL;
	sdb_buf_release(&b->lo);
	sdb_buf_release(&b->hi);
}
