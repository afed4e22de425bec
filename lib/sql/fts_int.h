/*
 * fts_int.h - private to lib/sql/fts*.c: the parsed MATCH expression
 * (phrases, nearsets, nodes) and its evaluation state.
 */
#ifndef SDB_SQL_FTS_INT_H
#define SDB_SQL_FTS_INT_H

#include "sql/fts.h"
#include "store/txn.h"

struct fterm {
	char *z;
	int n;
	uint8_t prefix;
	/* postings: rows ascending, positions (col << 32 | offset) per row */
	int64_t *rowids;
	long *poff;
	int64_t *pos;
	long nrow;
};

struct fnear;

struct fphrase {
	int idx;                     /* FTS5's phrase number */
	int nterm;
	struct fterm *terms;
	uint8_t first;               /* ^ */
	struct fnear *near;
	/* the rows it matches (in its nearset's columns), start positions */
	int64_t *rowids;
	long *poff;
	int64_t *pos;
	long nrow;
	long nhit;                   /* rows matched alone (bm25's IDF) */
	/* in a NEAR group: the positions that satisfy it (else the above) */
	int64_t *trowids;
	long *tpoff;
	int64_t *tpos;
	long tnrow;
};

struct fnear {
	struct fphrase **ph;
	int nph;
	int nnear;                   /* NEAR distance, -1: a plain phrase */
	uint64_t cols;               /* column filter (has_cols) */
	uint8_t has_cols;
	int64_t *rows;               /* rows matching the whole nearset */
	long nrows;
};

enum { FN_STRING, FN_AND, FN_OR, FN_NOT };

struct fnode {
	int type;
	struct fnode **child;
	int nchild;
	struct fnear *near;          /* FN_STRING */
	uint8_t at;                  /* evaluation: positioned on the row */
	uint8_t match;               /* ... and a match there */
};

struct finst {
	int phrase;
	int64_t pos;
};

struct fts_query {
	const struct sql_fts_def *d;
	struct fnode *root;          /* NULL: matches nothing */
	struct fphrase **phrases;
	int nphrase;
	uint8_t empty;
	/* results */
	int64_t *rows;
	long nrows;
	struct finst *inst;          /* instances of every row, by position */
	long ninst, capinst;
	long *ioff;                  /* row i's instances: [ioff[i], ioff[i+1]) */
};

/* ------------------------------------------------ posting blocks (fts_post.c) */

#define FTS_BLOCK_MAX 128        /* rows in one posting block */

struct fts_posting {
	int64_t rowid;
	uint32_t tf;                 /* positions in the row (all columns) */
	uint32_t dl;                 /* the row's tokens (all columns) */
	uint32_t plen;               /* bytes of its position list */
	const unsigned char *pos;
};

struct fts_bhdr {
	int n;
	uint32_t maxtf, mindl;
	int64_t first, last;
	const unsigned char *ids, *pos, *end;
};

/* out = the block of p[0..n) (rowids ascending). @return 0 or SDB_ENOMEM. */
int fts_block_encode(struct sdb_buf *out, const struct fts_posting *p, int n);
/* The header of block value v[0..n). @return 0 or SDB_ECORRUPT. */
int fts_block_header(const void *v, size_t n, struct fts_bhdr *h);
/* The block's rows into out[0..h->n) (pos pointing into the value).
 * @return 0 or SDB_ECORRUPT. */
int fts_block_decode(const struct fts_bhdr *h, struct fts_posting *out);

/* The key range of a term's blocks: lo its first key (prefix: of every
 * term that z[0..n) begins), hi past its last. @return 0 or SDB_ENOMEM. */
int fts_term_range(struct sdb_buf *lo, struct sdb_buf *hi, int64_t neg_id,
		   const char *z, int n, int prefix);

/* The posting blocks of a term (or of every term a prefix begins), in
 * key order, as txn sees them. */
struct fts_blocks {
	struct sdb_txn_iter *it;
	struct sdb_buf lo, hi;
};
/* @return 0 or an error (b closed). */
int fts_blocks_open(struct fts_blocks *b, struct sdb_txn *txn, int64_t neg_id,
		    const char *z, int n, int prefix, struct sdb_error *e);
/* The next block: its value in *v, its header in *h. @return 1, 0 past
 * the last, or an error (SDB_ECORRUPT: a malformed block). */
int fts_blocks_next(struct fts_blocks *b, struct sdb_val *v, struct fts_bhdr *h,
		    struct sdb_error *e);
void fts_blocks_close(struct fts_blocks *b);

void fts_node_free(struct fnode *n);
/* Evaluates q over the index as txn sees it. */
int fts_query_run(struct fts_query *q, struct sdb_txn *txn, struct sdb_error *e);
/* Evaluates q keeping only its best k rows by bm25() (ties: the smaller
 * rowid), by pruning over the posting blocks, when q's shape allows it
 * (single-term phrases under one AND or one OR). @return 1 done, 0 not
 * this shape (run fts_query_run), or an error. */
int fts_query_run_topk(struct fts_query *q, struct sdb_txn *txn, long k,
		       struct sdb_error *e);

/* One phrase's part of FTS5's BM25 (k1 1.2, b 0.75): bm25() and the
 * pruned top-k use this one expression, so their scores are equal. */
static inline double fts_bm25_term(double idf, double fr, double D, double avgdl)
{
	const double k1 = 1.2, b = 0.75;
	return idf * ((fr * (k1 + 1.0)) / (fr + k1 * (1 - b + b * D / avgdl)));
}

#endif
