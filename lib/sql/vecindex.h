/*
 * vecindex.h - HNSW indexes as SQL indexes: CREATE INDEX i ON t USING
 * hnsw (col) WITH (metric = 'cosine', m = 16, ef_construction = 200,
 * quantization = 'none'), kept up to date by INSERT/UPDATE/DELETE inside
 * their transactions, folded by REINDEX, and the k-NN search the planner
 * runs through them (filtered or not).
 *
 * Owner: vecindex.c. Uses lib/vec (the builder, the index file, the
 * search) above the store; lib/vec knows nothing of SQL.
 *
 * DESIGN. An index is three things:
 *   - a base: an immutable index file DB/sql-vec/ID-GEN.hnsw (hnswfile.h,
 *     ids = rowids, ascending) built with the OpenMP builder over the
 *     table's non-NULL vectors, written through temp + fsync + rename
 *     before the transaction that names it commits; queries map it
 *     read-only and keep the generation they opened;
 *   - a delta: (ID, 0, rowid) -> the vector (4*D bytes) of every row
 *     inserted or given a new vector since the base was built, written in
 *     the row's own transaction (rollback, savepoints and crash recovery
 *     are the store's), searched exactly;
 *   - tombstones: (ID, 1, rowid) -> empty for base rows deleted or
 *     changed since. A base row is live when it has no tombstone and no
 *     delta entry.
 *   (ID, 2) -> the state record: version 1, generation (0: no file, an
 *   empty table), base rows, dimension, metric, M.
 * A fold (REINDEX) builds generation G+1 from the table's rows (the same
 * set as base - tombstones + delta) and, in one transaction, writes the
 * new state and clears the delta and the tombstones. Files of other
 * generations are removed by the next HNSW DDL of a writer (the previous
 * generation is kept for readers still on it).
 */
#ifndef SDB_SQL_VECINDEX_H
#define SDB_SQL_VECINDEX_H

#include <stdint.h>

#include "sql/ast.h"
#include "sql/catalog.h"
#include "store/txn.h"
#include "util/err.h"

struct sql_wstate;

/* The largest k (LIMIT + OFFSET) a k-NN query through an HNSW index takes. */
#define SQL_HNSW_MAX_K 10000

struct sql_hnsw_def {
	int col;                  /* the VECTOR(D) column */
	uint32_t dim;
	int metric;               /* enum sdb_vec_metric */
	uint32_t M, ef_construction;
	int precision;            /* enum sdb_hnsw_precision of the build */
};

/*
 * The HNSW parameters of CREATE INDEX st over column col of t (-1: not a
 * plain column). @return 0 with *d set, or SDB_EINVAL naming the bad
 * option or value ("unknown hnsw option 'foo' (expected metric, m,
 * ef_construction or quantization)").
 */
int sql_hnsw_parse(const struct sql_stmt *st, const struct sql_table_def *t, int col,
		   struct sql_hnsw_def *d, struct sdb_error *e);

/*
 * Builds generation gen of index x over its table's rows as the open
 * transaction w->txn sees them: writes the file, then (in w->txn) the
 * state record, and clears the delta and tombstones. @return 0 or an error.
 */
int sql_hnsw_build(struct sql_wstate *w, const struct sql_index_def *x, int fold,
		   struct sdb_error *e);

/*
 * Maintains every HNSW index of t for one row written (del 0) or deleted
 * (del 1) in w->txn. @return 0 or an error.
 */
int sql_hnsw_row(struct sql_wstate *w, const struct sql_table_def *t,
		 const struct sql_value *row, int64_t rowid, int del, struct sdb_error *e);

/* Removes index files no index names any more (and temporary files):
 * for a writer holding the lock, with no HNSW DDL of its own pending
 * (after a commit, or when the lock is taken). */
void sql_hnsw_gc(struct sql_wstate *w);
/* Frees the connection's mapped index files. */
void sql_hnsw_close(struct sql_wstate *w);

/* Rows in the delta and tombstones of x as txn sees them. */
int sql_hnsw_pending(struct sdb_txn *txn, const struct sql_index_def *x, uint64_t *delta,
		     uint64_t *tombs, struct sdb_error *e);

/* Whether row rowid passes the query's filter: 1, 0, or a negative error. */
typedef int (*sql_hnsw_pass_fn)(void *arg, int64_t rowid);
/* Whether a row whose columns cols[0..n) hold vals[0..n) passes the
 * filter (the filter reads no other column): 1, 0, or a negative error. */
typedef int (*sql_hnsw_test_fn)(void *arg, const int *cols, const struct sql_value *vals,
				int n);
/* Called with each candidate rowid of sql_hnsw_cands_fn. @return 0 or an
 * error that ends the walk. */
typedef int (*sql_hnsw_rowid_fn)(void *arg, int64_t rowid);
/* Calls fn for the rowids of the rows that may pass the filter (a
 * superset: an index range on it), in any order, each once. @return 0 or
 * an error. */
typedef int (*sql_hnsw_cands_fn)(void *arg, sql_hnsw_rowid_fn fn, void *fnarg);

/* The most columns a filter may read and still be tested from the
 * per-connection column cache (more: rows are read by rowid). */
#define SQL_HNSW_FCOLS 16

/* A numeric range one conjunct of the filter implies on a column (ncol:
 * the rowid): rows outside it fail the filter. The cached column, sorted,
 * gives the exact path its candidates and the estimate their count. */
struct sql_hnsw_range {
	int col;
	double lo, hi;
	uint8_t has_lo, has_hi, lo_incl, hi_incl;
	uint8_t empty;            /* nothing passes (a NULL bound) */
};
#define SQL_HNSW_RANGES 8

enum { SQL_HNSW_GRAPH = 1, SQL_HNSW_EXACT = 2 };

struct sql_hnsw_query {
	const struct sql_index_def *x;
	const float *q;           /* dim floats, as given (not normalised) */
	uint32_t k, ef;
	sql_hnsw_pass_fn pass;    /* NULL: no filter */
	void *arg;
	/* the columns the filter reads (ncol: the rowid), so that it can be
	 * tested on the connection's in-memory copy of them (cached while
	 * the store does not change) rather than on rows read by rowid;
	 * nfcols -1: it reads something else (a correlated subquery) */
	const int *fcols;
	int nfcols;
	sql_hnsw_test_fn test;
	/* the filter's signature (its expression with the constants and
	 * parameters it reads), or NULL: while the same signature comes
	 * again on the same snapshot, the answers test gave by node are
	 * reused (a per-connection memo beside the cached columns) */
	const void *fsig;
	size_t nfsig;
	sql_hnsw_cands_fn cands;  /* NULL: every row is a candidate */
	const struct sql_hnsw_range *ranges;
	int nranges;
	int plan_only;            /* decide the path, search nothing */
	int64_t exact_rows;       /* PRAGMA hnsw_exact_rows: exact below so many matching rows; -1: the cost model */
	int ef_default;           /* ef is the default (doubled for a selective filter) */
	int exact_scan;           /* the exact path is a full scan (no index on the filter) */
	/* out */
	int path;                 /* SQL_HNSW_GRAPH or SQL_HNSW_EXACT */
	double est;               /* estimated fraction of rows passing (filter) */
	int64_t *rows;            /* GRAPH, or EXACT with exact_done: up to k
				   * rowids, nearest first (malloc) */
	int exact_done;           /* EXACT answered here (from the cached
				   * columns and the mapped vectors): rows hold it */
	/* the rows' vectors and cached columns, so that the caller need not
	 * read them (rows of the base only, and only for l2 and ip, whose
	 * base vectors are the column's bytes): rcover[i] says whether row i
	 * has them: rvec + i * dim, rcols + i * nrcol (columns rcol) */
	uint8_t *rcover;
	float *rvec;
	struct sql_value *rcols;
	unsigned char *rbytes;    /* their TEXT/BLOB bytes */
	int rcol[SQL_HNSW_FCOLS], nrcol;
	uint32_t nrows;
	uint64_t tests;           /* rows the walk tested against the filter */
};

/*
 * Runs (or with plan_only plans) a k-NN query through index x on txn's
 * snapshot. path EXACT means the caller must scan (a selective filter,
 * fewer than k rows found, no usable file). @return 0 or an error.
 */
int sql_hnsw_knn(struct sql_wstate *w, struct sdb_txn *txn, struct sql_hnsw_query *hq,
		 struct sdb_error *e);
/* Frees what sql_hnsw_knn left in hq (rows, the covered rows' values). */
void sql_hnsw_query_free(struct sql_hnsw_query *hq);

/* ---- for sochdb-wal (cmd/ links lib/sql; lib/store knows nothing of this) */
struct sql_open_opts;

/*
 * Folds (REINDEX) every HNSW index of the database o->dir whose delta and
 * tombstones hold at least max(min_pending, 5% of its base rows) rows.
 * *folded gets the number folded. No database, no SQL data or no HNSW
 * index: nothing to do. @return 0 or an error (lock busy, I/O ...).
 */
int sql_hnsw_fold_all(const struct sql_open_opts *o, uint64_t min_pending, int *folded,
		      struct sdb_error *e);

/* Called for the current base file of each HNSW index (name, path, the
 * rows its state says it holds). @return 0 or an error that stops. */
typedef int (*sql_hnsw_file_fn)(void *arg, const char *index, const char *path,
				uint64_t nbase, struct sdb_error *e);
/* Walks the current base files of the database o->dir (a fresh snapshot).
 * @return 0 or an error (the callback's, or opening the database). */
int sql_hnsw_files(const struct sql_open_opts *o, sql_hnsw_file_fn fn, void *arg,
		   struct sdb_error *e);
/* Checks one base file: present, header, row count, every section's
 * CRC-32C. @return 0, SDB_ECORRUPT (the message names the file and what
 * is wrong) or SDB_EIO. */
int sql_hnsw_verify_file(const char *path, uint64_t nbase, struct sdb_error *e);

#endif
