/*
 * plan.h - access paths and join order for the select executor (exec.c):
 * which FROM item runs at which level of the join loop, and how each
 * table level reads its rows (full scan, rowid/primary-key point or
 * range, index lookup, hash of the table's rows on a join column).
 * Private to lib/sql's query side.
 */
#ifndef SDB_SQL_PLAN_H
#define SDB_SQL_PLAN_H

#include "sql/exec_int.h"

struct plan_in {
	struct bctx *b;
	int nsrc;
	struct src *srcs;
	struct xp **conj_x;          /* WHERE/inner-ON conjuncts (NULL: a LEFT join's ON) */
	uint64_t *conj_deps;         /* FROM items each reads (bit i: item i) */
	int nconj;
	int fixed_order;             /* keep FROM order (LEFT JOINs) */
	int many_outer;              /* the levels before scan many rows: join by
	                                hashing this table rather than by one
	                                point lookup per outer row */
};
struct tscan;
/* Whether the scan reads many rows (a full or range scan, not a lookup). */
int tscan_is_scan(const struct tscan *t);

/* Chooses the join order: order[level] = FROM item. @return 0 or an error. */
int plan_order(struct plan_in *in, int *order);

struct tscan;
/* The access path of table item `pos` at its level, given the items bound
 * before it (outer) and the conjuncts placed at this level (the path may
 * use some of them; they are still checked after). @return NULL with
 * in->b->e set on error. */
struct tscan *plan_table(struct plan_in *in, struct src *s, int pos,
			 uint64_t outer, struct xp **wh, int nwh,
			 struct xp **on, int non);
/* Whether conjunct x (one of wh) is answered exactly by the access path
 * (rowid = v, or index column = v of the key prefix, under the column's
 * affinity and collation): its rows are exactly those where x is true,
 * so x need not be checked again. */
int tscan_answers(const struct tscan *t, const struct xp *x);
int tscan_rewind(struct tscan *t, struct ectx *x);
/* @return 1 a row (the cursor's row set), 0 end, or an error. */
int tscan_next(struct tscan *t, struct ectx *x);
void tscan_free(struct tscan *t);
/* The number of rows the scan would return, when it can count them
 * without reading them (nothing of the table is read: count(*) over a
 * full, rowid-range or index scan with every conjunct answered by it).
 * @return 1 with *n, 0 when it cannot (nothing done), or an error. */
int tscan_count(struct tscan *t, struct ectx *x, int64_t *n);
/* Makes the scan deliver rows ordered by cols[0..n) (ncol: the rowid),
 * desc and collations as given, when its path (or an index) can.
 * @return 1 when it does, 0 when a sort is needed. */
int tscan_order(struct tscan *t, const int *cols, const uint8_t *desc,
		const uint8_t *colls, int n);
/* One line of EXPLAIN QUERY PLAN for the level ("SCAN t", "SEARCH t
 * USING INTEGER PRIMARY KEY (rowid=?)"). */
const char *tscan_explain(const struct tscan *t);

/* Lets HNSW index x answer the level's k-NN query: q the query vector,
 * lim/off the LIMIT and OFFSET (k = their sum), wh/nwh the conjuncts
 * tested on each row the graph walk visits (vecindex.h). */
void tscan_use_hnsw(struct tscan *t, const struct sql_index_def *x, struct xp *q,
		    struct xp *lim, struct xp *off, struct xp **wh, int nwh);
/* Lets an FTS5 level find only the best lim + off rows by rank (its
 * ORDER BY rank LIMIT query has no other condition; fts_exec.h). */
void tscan_fts_topk(struct tscan *t, struct xp *lim, struct xp *off);
/* The EXPLAIN QUERY PLAN line of a k-NN level: the path the query would
 * take now ("SEARCH t USING HNSW INDEX i (filtered, est. 1.2%)", "SCAN t
 * (exact k-NN)"). */
const char *tscan_knn_explain(struct tscan *t, struct ectx *x);
/* Whether the rewound level's rows come from its HNSW index in the
 * order of the k-NN query's ORDER BY: ascending distance, each equal to
 * the value the SQL distance function gives (squared l2 through the same
 * kernel; ip and cosine are computed otherwise in SQL, so they sort). */
int tscan_knn_ordered(const struct tscan *t);

#endif
