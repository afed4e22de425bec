/*
 * plan.c - join order: greedy, by SQLite's default estimates without
 * statistics. At each level the planner takes the FROM item that is
 * cheapest given what is bound already: an equality on its rowid/primary
 * key against bound values or constants costs 1 row, an equality on any
 * column against bound values (an index, or a hash of the table's rows
 * on that column) about 10, a local filter divides the estimate by 4, and
 * a table no conjunct connects costs its full size, so connected tables
 * always come before a cross product. LEFT JOINs keep the FROM order.
 */
#define _GNU_SOURCE /* qsort_r */
#include "sql/plan.h"

#include "sql/fts_exec.h"
#include "sql/record.h"
#include "sql/sorter.h"
#include "sql/vec.h"
#include "sql/vecindex.h"
#include "sql/vecknn.h"
#include "sql/write.h"
#include "store/keys.h"
#include "vec/distance.h"
#include "util/hash.h"
#include "util/io.h"
#include "util/varint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int col_of(const struct xp *p, const struct src *s)
{
	if (p->op == X_COLLATE)
		p = p->l;
	return p->op == X_COL && p->cur == s->cur ? p->col : -1;
}

int plan_is_key_col(const struct src *s, int col)
{
	if (!s->tab)
		return 0;
	if (col == s->ncol)
		return 1;
	if (s->tab->ipk == col)
		return 1;
	if (s->tab->npk == 1 && s->tab->pk[0] == col)
		return 1;
	return 0;
}

static double item_cost(struct plan_in *in, int j, uint64_t bound)
{
	struct src *s = &in->srcs[j];
	double rows = s->tab ? (s->tab->est_rows > 0 ? s->tab->est_rows : 1e6) : 1000;
	double best = rows;
	uint64_t me = j < 62 ? 1ull << j : 1ull << 62;
	double filt = 1;
	for (int c = 0; c < in->nconj; c++) {
		struct xp *x = in->conj_x[c];
		if (!x)
			continue;
		uint64_t d = in->conj_deps[c] & ~(1ull << 63);
		if (!(d & me) || (d & ~(bound | me)))
			continue;
		if (x->op == X_FTS && x->col == FTSX_MATCH && x->cur == s->cur) {
			if (100 < best) /* the postings: FTS5's own estimate */
				best = 100;
			continue;
		}
		if (x->op == X_CMP && x->sop == SQL_OP_EQ) {
			int lc = col_of(x->l, s), rc = col_of(x->r, s);
			const struct xp *other = lc >= 0 ? x->r : rc >= 0 ? x->l : NULL;
			int col = lc >= 0 ? lc : rc;
			if (other && col_of(other, s) < 0) {
				double cost = plan_is_key_col(s, col) ? 1 : 10;
				if (cost < best)
					best = cost;
				continue;
			}
		}
		if (x->op == X_INLIST && col_of(x->l, s) >= 0 &&
		    plan_is_key_col(s, col_of(x->l, s))) {
			double cost = x->na ? x->na : 1;
			if (cost < best)
				best = cost;
			continue;
		}
		filt *= 0.25;
	}
	return best * filt;
}

int plan_order(struct plan_in *in, int *order)
{
	int n = in->nsrc;
	for (int i = 0; i < n; i++)
		order[i] = i;
	if (in->fixed_order || n <= 1)
		return 0;
	uint8_t *done = calloc((size_t)n, 1);
	if (!done)
		return sql_oom(in->b->e);
	uint64_t bound = 0;
	int nhigh = n > 62 ? n - 62 : 0, high = 0;
	for (int lvl = 0; lvl < n; lvl++) {
		int bestj = -1;
		double bestc = 0;
		for (int j = 0; j < n; j++) {
			if (done[j])
				continue;
			double c = item_cost(in, j, bound);
			if (bestj < 0 || c < bestc) {
				bestj = j;
				bestc = c;
			}
		}
		done[bestj] = 1;
		order[lvl] = bestj;
		if (bestj < 62)
			bound |= 1ull << bestj;
		else if (++high == nhigh)
			bound |= 1ull << 62;
	}
	free(done);
	return 0;
}

/* ------------------------------------------------------------ table scans */

enum { P_FULL, P_ROWID_EQ, P_ROWID_IN, P_ROWID_RANGE, P_INDEX_EQ, P_HASH, P_FTS };

struct tscan {
	struct src *s;
	const struct sql_table_def *tab;
	int path;
	/* P_ROWID_EQ / P_ROWID_IN: the values; P_INDEX_EQ: one per column */
	struct xp **keyx;
	int nkey;
	uint8_t *kaff;               /* affinity applied to each key value */
	struct xp *lo, *hi;          /* P_ROWID_RANGE bounds (NULL: open) */
	uint8_t lo_incl, hi_incl;
	const struct sql_index_def *idx;
	/* P_INDEX_EQ: a range on the index column after the equalities */
	struct xp *rlo, *rhi;
	uint8_t rlo_incl, rhi_incl, rlo_aff, rhi_aff;
	int cover;                   /* -1 undecided, 1 rows from index keys */
	struct sdb_buf itmp;         /* covering reads: decoded TEXT/BLOB */
	int desc;                    /* iterate in reverse */
	/* runtime */
	struct sdb_txn_iter *it;
	/* a forward scan's entries in place (sdb_txn_iter_run): rpos the
	 * next one to serve, while rlive */
	struct sdb_run run;
	size_t rpos;
	int rlive;
	struct sdb_txn *txn;
	struct sql_value *row;       /* ncol + 1 */
	struct sdb_buf rec;          /* the current row's record (copied) */
	struct sdb_buf kb, hb;       /* keys */
	struct sql_value *inv;       /* P_ROWID_IN: the values, sorted */
	/* P_INDEX_EQ with an IN list of constants on the index column after
	 * the equalities (inx; keyx[nkey - 1] is unused): the key prefix of
	 * each value (inaff applied), sorted, without repeats, read in turn */
	struct xp *inx;
	uint8_t *inaff;
	struct sdb_buf inkeys;
	size_t *inoff;               /* one offset per value, + 1 */
	size_t *inord;               /* the values in key order, repeats out */
	long ninx, inxpos;
	long nin, inpos;
	int done;
	int64_t hi_rowid;            /* P_ROWID_RANGE: stop past it */
	int has_hi;
	/* P_HASH: the table's rows hashed on one column (hash_build): only
	 * the columns read, hucol[0..nhu), kept per row in hrows; rows with
	 * equal keys chained in scan order (hnext: next row + 1, 0 none) */
	int hcol;
	struct xp *hkey;
	uint8_t hkaff;
	int hbuilt;
	int hkind;                   /* HK_* (HK_DIRECT: row i has key hmin + i) */
	int *hucol, nhu, hkpos;      /* hkpos: the key's place in hucol */
	struct sql_value *hrows;     /* nh * nhu */
	long nh, hcap;
	uint32_t *hnext;
	uint32_t *hslot;             /* HK_INT: open addressing; HK_DENSE: key - hmin */
	uint64_t *hpres;             /* HK_DIRECT: the places holding a row (NULL: all) */
	int hstride;                 /* HK_DIRECT: values per row (the key left out) */
	uint64_t nslot;
	int64_t hmin;
	struct vset *hs;             /* HK_VSET: key -> first row + 1 */
	long hcur;
	struct sql_value hval;       /* over the memory limit: the key sought */
	struct sdb_buf hvbuf;        /* its bytes */
	int hfilt;                   /* P_FULL with hval checked on every row */
	/* ... and with no rowid or index path: the table's rows (the
	 * columns read, the rowid) in a hash file on the key (sorter.h), in
	 * scan order within a hash; per outer row only the key's bucket is
	 * read */
	int hfile;                   /* 0 none, 1 to build, 2 built */
	struct sql_hfile *hf;
	struct sdb_sql_arena hmem;
	struct fts_scan *fs;         /* P_FTS: an FTS5 table (fts_exec.c) */
	/* WHERE conjuncts the path answers exactly (an equality on the
	 * rowid, or on an index column of the key prefix): not checked again */
	struct xp *exact[64];
	int nexact;
	int keys_only;               /* rewind computes kb/hb, opens nothing */
	char eqp[300];
	/* a k-NN query an HNSW index may answer (vecindex.h): the rows come
	 * from the index (hmode 1) or, when the filter is selective or the
	 * walk found fewer than k, from the path above (an exact k-NN) */
	const struct sql_index_def *hx;
	struct xp *hq, *hlim, *hoff;
	struct xp **hwh;
	int nhwh;
	int hfcols[SQL_HNSW_FCOLS];  /* the columns hwh reads (ncol: the rowid) */
	int nhfcols;                 /* -1: hwh reads more (a correlated subquery) */
	int hmode;
	struct sql_hnsw_query hres;  /* hmode: the index's rows */
	int hcover;                  /* ... whose values it holds are all the query reads */
	uint32_t hpos;
	struct sdb_sql_arena kmem;   /* the filter's temporaries */
	struct ectx hctx;
	struct sdb_buf hvec;
	char heqp[400];
};

static const struct xp *strip(const struct xp *p)
{
	while (p->op == X_COLLATE)
		p = p->l;
	return p;
}

/* Whether an expression reads nothing of this level or later ones. */
static int bound_ok(struct plan_in *in, const struct xp *x, int pos,
		    uint64_t outer)
{
	for (int c = 0; c < in->nconj; c++)
		(void)c;
	/* deps: computed against the core's items by the caller's table; here
	 * we walk the expression */
	if (!x)
		return 1;
	if (x->op == X_COL) {
		for (int i = 0; i < in->nsrc; i++)
			if (in->srcs[i].cur == x->cur) {
				uint64_t bit = i < 62 ? 1ull << i : 1ull << 62;
				return (outer & bit) && i != pos;
			}
		return 1; /* an outer query's column: bound */
	}
	if (x->sub && x->sub->correlated)
		return 0;
	if (!bound_ok(in, x->l, pos, outer) || !bound_ok(in, x->r, pos, outer) ||
	    !bound_ok(in, x->t, pos, outer))
		return 0;
	for (int i = 0; i < x->na; i++)
		if (!bound_ok(in, x->a[i], pos, outer))
			return 0;
	return 1;
}

struct fts_bound {
	struct plan_in *in;
	int pos;
	uint64_t outer;
};

static int fts_bound_ok(void *vp, const struct xp *x)
{
	struct fts_bound *fb = vp;
	return bound_ok(fb->in, x, fb->pos, fb->outer);
}

/* `col op other` with col a column of s: the column and other, the
 * operator as if the column were on the left. */
static int match_cmp(const struct xp *x, const struct src *s, int *col,
		     const struct xp **other, int *op)
{
	if (x->op != X_CMP)
		return 0;
	const struct xp *l = strip(x->l), *r = strip(x->r);
	int sop = x->sop;
	if (l->op == X_COL && l->cur == s->cur) {
		*col = l->col;
		*other = x->r;
		*op = sop;
		return 1;
	}
	if (r->op == X_COL && r->cur == s->cur) {
		*col = r->col;
		*other = x->l;
		switch (sop) {
		case SQL_OP_LT: sop = SQL_OP_GT; break;
		case SQL_OP_LE: sop = SQL_OP_GE; break;
		case SQL_OP_GT: sop = SQL_OP_LT; break;
		case SQL_OP_GE: sop = SQL_OP_LE; break;
		default: break;
		}
		*op = sop;
		return 1;
	}
	return 0;
}

static int numeric_aff(int a)
{
	return a == SQL_AFF_INTEGER || a == SQL_AFF_REAL || a == SQL_AFF_NUMERIC;
}

/* Whether `column (aff caff, coll ccoll) = other` can be answered by the
 * stored order of the column: the comparison must not convert the
 * column's values and must use the column's collation. *vaff: the
 * affinity to apply to other's value. */
static int eq_usable(const struct xp *cmp, const struct xp *colx, int caff,
		     int ccoll, const struct xp *other, uint8_t *vaff)
{
	enum sql_aff al = 0, ar = 0;
	int oaff = other->aff;
	sql_cmp_affinity((enum sql_aff)caff, (enum sql_aff)oaff, &al, &ar);
	if (al && al != SQL_AFF_BLOB && (int)al != caff &&
	    !(numeric_aff(caff) && numeric_aff(al)))
		return 0;
	int cl;
	if (colx->has_coll == 2)
		cl = colx->coll;
	else if (other->has_coll == 2)
		cl = other->coll;
	else if (colx->has_coll)
		cl = colx->coll;
	else if (other->has_coll)
		cl = other->coll;
	else
		cl = 0;
	if (cl != ccoll)
		return 0;
	*vaff = (uint8_t)ar;
	(void)cmp;
	return 1;
}

static const struct xp *col_side(const struct xp *x, const struct src *s)
{
	const struct xp *l = x->l;
	const struct xp *ls = strip(l);
	if (ls->op == X_COL && ls->cur == s->cur)
		return l;
	return x->r;
}

/* An IN list of constants (no COLLATE of their own) on column icol of s,
 * each value usable as an equality on an index column of collation coll:
 * the conjunct, with each value's affinity in *aff (malloc'd). NULL:
 * none. */
static struct xp *find_inlist(struct xp **all, int n, const struct src *s, int icol,
			      int coll, uint8_t **aff)
{
	for (int i = 0; i < n; i++) {
		struct xp *x = all[i];
		if (x->op != X_INLIST || x->not_ || x->na < 1 || x->na > 100000)
			continue;
		const struct xp *l = strip(x->l);
		if (l->op != X_COL || l->cur != s->cur || l->col != icol)
			continue;
		uint8_t *va = malloc((size_t)x->na);
		int ok = va != NULL;
		for (int j = 0; j < x->na && ok; j++) {
			const struct xp *v = x->a[j];
			ok = (v->is_const || v->op == X_PARAM) && !v->has_coll &&
			     eq_usable(x, x->l, s->aff[icol], coll, v, &va[j]);
		}
		if (ok) {
			*aff = va;
			return x;
		}
		free(va);
	}
	return NULL;
}

/* A rowid IN list among the conjuncts whose values are all bound at pos
 * (the rowid IN path, 3.), or NULL. */
static struct xp *rowid_inlist(struct plan_in *in, struct xp **all, int n,
			       const struct src *s, int pos, uint64_t outer, int rowid_col)
{
	for (int i = 0; i < n; i++) {
		struct xp *x = all[i];
		if (x->op != X_INLIST || x->not_)
			continue;
		const struct xp *l = strip(x->l);
		if (l->op != X_COL || l->cur != s->cur ||
		    (l->col != s->ncol && l->col != rowid_col))
			continue;
		int ok = 1;
		for (int j = 0; j < x->na && ok; j++)
			ok = bound_ok(in, x->a[j], pos, outer);
		if (ok)
			return x;
	}
	return NULL;
}

/* A range on column icol of s (collation coll) among the conjuncts: the
 * bounds found (either may stay NULL). Any subset of the conjuncts may be
 * used: they are all checked again on every row. @return 1 when found. */
struct rbound {
	struct xp *lo, *hi;
	uint8_t lo_incl, hi_incl, lo_aff, hi_aff;
};

static int find_range(struct plan_in *in, struct xp **all, int n,
		      const struct src *s, int pos, uint64_t outer, int icol,
		      int coll, struct rbound *rb)
{
	memset(rb, 0, sizeof(*rb));
	for (int i = 0; i < n; i++) {
		struct xp *x = all[i];
		uint8_t va;
		if (x->op == X_BETWEEN && !x->not_) {
			const struct xp *l = strip(x->l);
			if (l->op != X_COL || l->cur != s->cur || l->col != icol ||
			    !bound_ok(in, x->r, pos, outer) || !bound_ok(in, x->t, pos, outer))
				continue;
			if (!rb->lo && eq_usable(x, x->l, s->aff[icol], coll, x->r, &va)) {
				rb->lo = x->r;
				rb->lo_incl = 1;
				rb->lo_aff = va;
			}
			if (!rb->hi && eq_usable(x, x->l, s->aff[icol], coll, x->t, &va)) {
				rb->hi = x->t;
				rb->hi_incl = 1;
				rb->hi_aff = va;
			}
			continue;
		}
		int col, op;
		const struct xp *other;
		if (!match_cmp(x, s, &col, &other, &op) || col != icol ||
		    !bound_ok(in, other, pos, outer))
			continue;
		if (op != SQL_OP_GT && op != SQL_OP_GE && op != SQL_OP_LT && op != SQL_OP_LE)
			continue;
		if (!eq_usable(x, col_side(x, s), s->aff[icol], coll, other, &va))
			continue;
		if ((op == SQL_OP_GT || op == SQL_OP_GE) && !rb->lo) {
			rb->lo = (struct xp *)other;
			rb->lo_incl = op == SQL_OP_GE;
			rb->lo_aff = va;
		} else if ((op == SQL_OP_LT || op == SQL_OP_LE) && !rb->hi) {
			rb->hi = (struct xp *)other;
			rb->hi_incl = op == SQL_OP_LE;
			rb->hi_aff = va;
		}
	}
	return rb->lo || rb->hi;
}

/* Whether index column m can carry a range (an ascending table column). */
static int range_col_ok(const struct sql_index_def *ix, int m)
{
	return m < ix->ncol && ix->cols[m] >= 0 && !(ix->desc && ix->desc[m]);
}

void tscan_fts_topk(struct tscan *t, struct xp *lim, struct xp *off)
{
	if (t->fs) {
		sql_fts_scan_topk(t->fs, lim, off);
		snprintf(t->eqp, sizeof t->eqp, "%s", sql_fts_scan_explain(t->fs));
	}
}

struct tscan *plan_table(struct plan_in *in, struct src *s, int pos,
			 uint64_t outer, struct xp **wh, int nwh,
			 struct xp **on, int non)
{
	struct tscan *t = calloc(1, sizeof(*t));
	if (!t) {
		sql_oom(in->b->e);
		return NULL;
	}
	t->s = s;
	t->tab = s->tab;
	t->path = P_FULL;
	sdb_buf_init(&t->rec);
	sdb_buf_init(&t->kb);
	sdb_buf_init(&t->hb);
	sdb_buf_init(&t->itmp);
	sdb_buf_init(&t->hvbuf);
	sdb_sql_arena_init(&t->hmem);
	t->cover = -1;
	t->row = calloc((size_t)s->ncol + 1, sizeof(*t->row));
	if (!t->row) {
		free(t);
		sql_oom(in->b->e);
		return NULL;
	}
	const struct sql_table_def *tab = s->tab;
	int n = nwh + non;
	struct xp **all = calloc((size_t)(n ? n : 1), sizeof(*all));
	if (!all) {
		tscan_free(t);
		sql_oom(in->b->e);
		return NULL;
	}
	for (int i = 0; i < nwh; i++)
		all[i] = wh[i];
	for (int i = 0; i < non; i++)
		all[nwh + i] = on[i];
	int rowid_col = tab->without_rowid ? -2 : tab->ipk;
	if (tab->fts) {
		struct fts_bound fb = { in, pos, outer };
		t->path = P_FTS;
		t->fs = sql_fts_scan_new(in->b, s, all, n, fts_bound_ok, &fb);
		free(all);
		if (!t->fs) {
			tscan_free(t);
			return NULL;
		}
		snprintf(t->eqp, sizeof t->eqp, "%s", sql_fts_scan_explain(t->fs));
		return t;
	}
	/* 1. rowid = value */
	for (int i = 0; i < n && t->path == P_FULL; i++) {
		int col, op;
		const struct xp *other;
		if (tab->without_rowid)
			break;
		if (!match_cmp(all[i], s, &col, &other, &op) || op != SQL_OP_EQ)
			continue;
		if (col != s->ncol && col != rowid_col)
			continue;
		if (!bound_ok(in, other, pos, outer))
			continue;
		if (in->many_outer && !other->is_const && other->op != X_PARAM)
			continue; /* a hash of the table (5.) beats a lookup per row */
		t->path = P_ROWID_EQ;
		t->keyx = calloc(1, sizeof(*t->keyx));
		if (!t->keyx)
			goto oom;
		t->keyx[0] = (struct xp *)other;
		t->nkey = 1;
		if (i < nwh)
			t->exact[t->nexact++] = all[i];
	}
	/* 2. an index with equalities on a prefix of its columns */
	int best_n = 0, best_score = 0;
	struct rbound best_rb, rng_only_b;
	const struct sql_index_def *rng_only = NULL;
	memset(&best_rb, 0, sizeof(best_rb));
	memset(&rng_only_b, 0, sizeof(rng_only_b));
	const struct sql_index_def *best = NULL;
	struct xp **best_x = NULL, *best_c[64], *best_inx = NULL;
	uint8_t *best_aff = NULL, *best_inaff = NULL;
	int best_nc = 0;
	/* a rowid IN list (3.) beats an index IN list alone */
	struct xp *rowid_in = tab->without_rowid ? NULL
		: rowid_inlist(in, all, n, s, pos, outer, rowid_col);
	for (int k = 0; k < tab->nidx && t->path == P_FULL; k++) {
		const struct sql_index_def *ix = tab->idx[k];
		if (ix->where || ix->hnsw)
			continue;
		struct xp **vx = calloc((size_t)ix->ncol, sizeof(*vx));
		uint8_t *va = calloc((size_t)ix->ncol, 1);
		if (!vx || !va) {
			free(vx);
			free(va);
			goto oom;
		}
		int m = 0, nc = 0;
		struct xp *cx[64];
		for (; m < ix->ncol; m++) {
			int icol = ix->cols[m];
			if (icol < 0)
				break;
			int found = 0;
			for (int i = 0; i < n && !found; i++) {
				int col, op;
				const struct xp *other;
				if (!match_cmp(all[i], s, &col, &other, &op) ||
				    op != SQL_OP_EQ || col != icol)
					continue;
				if (!bound_ok(in, other, pos, outer))
					continue;
				if (in->many_outer && !other->is_const &&
				    other->op != X_PARAM)
					continue;
				if (!eq_usable(all[i], col_side(all[i], s),
					       s->aff[icol], ix->coll ? ix->coll[m] : 0,
					       other, &va[m]))
					continue;
				vx[m] = (struct xp *)other;
				found = 1;
				if (i < nwh && nc < 64)
					cx[nc++] = all[i];
			}
			if (!found)
				break;
		}
		struct rbound rb;
		/* an IN list on the next column: one lookup per value */
		uint8_t *inaff = NULL;
		struct xp *inx = m < ix->ncol && m < 63 && ix->cols[m] >= 0 && !tab->without_rowid &&
				 (m > 0 || !rowid_in)
			? find_inlist(all, n, s, ix->cols[m], ix->coll ? ix->coll[m] : 0, &inaff)
			: NULL;
		int has_r = !inx && range_col_ok(ix, m) &&
			    find_range(in, all, n, s, pos, outer, ix->cols[m],
				       ix->coll ? ix->coll[m] : 0, &rb);
		if (inx)
			memset(&rb, 0, sizeof(rb));
		/* m equalities, then an IN list (m + 1 equalities ahead of it,
		 * a range behind it) or a range */
		int score = 4 * m + (inx ? 3 : 2 * has_r);
		int better = score > best_score ||
			     (score == best_score && m > 0 && best && !best->unique && ix->unique && m == ix->ncol);
		if (m == 0 && has_r && !rng_only) {
			rng_only = ix;
			rng_only_b = rb;
		}
		if ((m > 0 || inx) && better) {
			free(best_x);
			free(best_aff);
			free(best_inaff);
			best = ix;
			best_n = m + !!inx;
			best_inx = inx;
			best_inaff = inaff;
			best_score = score;
			best_rb = rb;
			if (!has_r)
				memset(&best_rb, 0, sizeof(best_rb));
			best_x = vx;
			best_aff = va;
			memcpy(best_c, cx, sizeof(*cx) * (size_t)nc);
			best_nc = nc;
		} else {
			free(vx);
			free(va);
			free(inaff);
		}
	}
	if (best && t->path == P_FULL) {
		t->path = P_INDEX_EQ;
		t->idx = best;
		t->keyx = best_x;
		t->kaff = best_aff;
		t->nkey = best_n;
		t->inx = best_inx;
		t->inaff = best_inaff;
		t->rlo = best_rb.lo;
		t->rhi = best_rb.hi;
		t->rlo_incl = best_rb.lo_incl;
		t->rhi_incl = best_rb.hi_incl;
		t->rlo_aff = best_rb.lo_aff;
		t->rhi_aff = best_rb.hi_aff;
		if (best_n <= 64) { /* rewind builds keys of at most 64 values */
			memcpy(t->exact, best_c, sizeof(*best_c) * (size_t)best_nc);
			t->nexact = best_nc;
		}
	} else {
		free(best_x);
		free(best_aff);
		free(best_inaff);
	}
	/* 3. rowid IN (list) */
	if (t->path == P_FULL && rowid_in) {
		struct xp *x = rowid_in;
		t->path = P_ROWID_IN;
		t->keyx = calloc((size_t)(x->na > 0 ? x->na : 1), sizeof(*t->keyx));
		if (!t->keyx)
			goto oom;
		for (int j = 0; j < x->na; j++)
			t->keyx[j] = x->a[j];
		t->nkey = x->na;
	}
	/* 4. a rowid range */
	for (int i = 0; i < n && !tab->without_rowid; i++) {
		if (t->path != P_FULL && t->path != P_ROWID_RANGE)
			break;
		int col, op;
		const struct xp *other;
		struct xp *x = all[i];
		if (x->op == X_BETWEEN && !x->not_) {
			const struct xp *l = strip(x->l);
			if (l->op == X_COL && l->cur == s->cur &&
			    (l->col == s->ncol || l->col == rowid_col) &&
			    bound_ok(in, x->r, pos, outer) && bound_ok(in, x->t, pos, outer)) {
				t->path = P_ROWID_RANGE;
				if (!t->lo) {
					t->lo = x->r;
					t->lo_incl = 1;
				}
				if (!t->hi) {
					t->hi = x->t;
					t->hi_incl = 1;
				}
			}
			continue;
		}
		if (!match_cmp(x, s, &col, &other, &op))
			continue;
		if (col != s->ncol && col != rowid_col)
			continue;
		if (!bound_ok(in, other, pos, outer))
			continue;
		if ((op == SQL_OP_GT || op == SQL_OP_GE) && !t->lo) {
			t->path = P_ROWID_RANGE;
			t->lo = (struct xp *)other;
			t->lo_incl = op == SQL_OP_GE;
		} else if ((op == SQL_OP_LT || op == SQL_OP_LE) && !t->hi) {
			t->path = P_ROWID_RANGE;
			t->hi = (struct xp *)other;
			t->hi_incl = op == SQL_OP_LE;
		}
	}
	/* 4b. a range on an index's first column (bounds known before the
	 * scan, or a lookup per outer row when few) */
	if (t->path == P_FULL && rng_only &&
	    (!in->many_outer ||
	     ((!rng_only_b.lo || rng_only_b.lo->is_const || rng_only_b.lo->op == X_PARAM) &&
	      (!rng_only_b.hi || rng_only_b.hi->is_const || rng_only_b.hi->op == X_PARAM)))) {
		t->path = P_INDEX_EQ;
		t->idx = rng_only;
		t->nkey = 0;
		t->kaff = calloc(1, 1);
		if (!t->kaff)
			goto oom;
		t->rlo = rng_only_b.lo;
		t->rhi = rng_only_b.hi;
		t->rlo_incl = rng_only_b.lo_incl;
		t->rhi_incl = rng_only_b.hi_incl;
		t->rlo_aff = rng_only_b.lo_aff;
		t->rhi_aff = rng_only_b.hi_aff;
	}
	/* 5. a hash of the rows on a column equal to a bound value */
	for (int i = 0; i < n && t->path == P_FULL; i++) {
		int col, op;
		const struct xp *other;
		if (!match_cmp(all[i], s, &col, &other, &op) || op != SQL_OP_EQ)
			continue;
		if (col > s->ncol || (col == s->ncol && !s->has_rowid) ||
		    !bound_ok(in, other, pos, outer))
			continue;
		uint8_t va;
		int caff = col < s->ncol ? s->aff[col] : SQL_AFF_INTEGER;
		int ccoll = col < s->ncol ? s->coll[col] : 0;
		if (!eq_usable(all[i], col_side(all[i], s), caff, ccoll, other, &va))
			continue;
		t->path = P_HASH;
		t->hcol = col;
		t->hkey = (struct xp *)other;
		t->hkaff = va;
		src_use(s, col); /* the hash is built on it (the rowid too) */
		if (i < nwh) /* the hash finds exactly the rows equal to it */
			t->exact[t->nexact++] = all[i];
	}
	free(all);
	/* the EXPLAIN QUERY PLAN line, in SQLite's words */
	const char *nm = s->name ? s->name : tab->name;
	char as[200] = "";
	if (s->name && strcasecmp(s->name, tab->name))
		snprintf(as, sizeof as, " AS %s", s->name);
	switch (t->path) {
	case P_FULL:
		snprintf(t->eqp, sizeof t->eqp, "SCAN %s%s", tab->name, as);
		break;
	case P_HASH:
		snprintf(t->eqp, sizeof t->eqp, "SCAN %s%s USING HASH (%s=?)", tab->name, as,
			 t->hcol < s->ncol ? tab->cols[t->hcol].name : "rowid");
		break;
	case P_ROWID_EQ:
	case P_ROWID_IN:
		snprintf(t->eqp, sizeof t->eqp,
			 "SEARCH %s%s USING INTEGER PRIMARY KEY (rowid=?)", tab->name, as);
		break;
	case P_ROWID_RANGE:
		snprintf(t->eqp, sizeof t->eqp,
			 "SEARCH %s%s USING INTEGER PRIMARY KEY (%s)", tab->name, as,
			 t->lo && t->hi ? "rowid>? AND rowid<?" : t->lo ? "rowid>?" : "rowid<?");
		break;
	case P_INDEX_EQ: {
		int len = snprintf(t->eqp, sizeof t->eqp, "SEARCH %s%s USING %sINDEX %s (",
				   tab->name, as,
				   0 ? "COVERING " : "", t->idx->name);
		for (int m = 0; m < t->nkey && len < (int)sizeof t->eqp - 40; m++) {
			int c = t->idx->cols[m];
			len += snprintf(t->eqp + len, sizeof t->eqp - (size_t)len, "%s%s=?",
					m ? " AND " : "", c >= 0 ? tab->cols[c].name : "rowid");
		}
		snprintf(t->eqp + len, sizeof t->eqp - (size_t)len, ")");
		break;
	}
	}
	(void)nm;
	return t;
oom:
	free(all);
	tscan_free(t);
	sql_oom(in->b->e);
	return NULL;
}

static int val_cmp_sort(const void *a, const void *b)
{
	return sql_value_cmp(a, b, SQL_COLL_BINARY);
}

/* A rowid lookup value: numeric affinity applied; *ok 0 when it cannot
 * equal any rowid. */
static struct sql_value rowid_val(struct ectx *x, struct sql_value v, int *ok)
{
	sql_value_apply_aff(&v, SQL_AFF_NUMERIC, x->mem);
	*ok = v.type == SQLV_INT ||
	      (v.type == SQLV_REAL && v.u.r == (double)(int64_t)v.u.r &&
	       v.u.r >= -9.2233720368547758e18 && v.u.r < 9.2233720368547758e18);
	if (*ok && v.type == SQLV_REAL)
		v = sql_int((int64_t)v.u.r);
	return v;
}

static void close_iter(struct tscan *t)
{
	t->rlive = 0;
	if (t->it) {
		sdb_txn_iter_close(t->it);
		t->it = NULL;
	}
}

static int load_row(struct tscan *t, const void *k, size_t klen,
		    const struct sdb_val *v, int copy, struct ectx *x);

/* ------------------------------------------------------------ hash joins
 * P_HASH reads the table once (hash_build) and keeps, per row, only the
 * columns the query reads. Integer keys (a rowid, an INTEGER column) are
 * found through an array indexed by key - min when they are dense, else
 * by open addressing on the integer; other keys through a vset (SQLite's
 * comparison, the column's collation). Past half the memory limit the
 * hash is dropped and the level reads the table per outer row instead:
 * a rowid lookup, an index lookup on the column, or a scan that checks
 * the key on every row. */

enum { HK_VSET, HK_INT, HK_DENSE, HK_DIRECT, HK_LOOP };

static void hash_drop(struct tscan *t)
{
	vset_free(t->hs);
	t->hs = NULL;
	free(t->hrows);
	free(t->hnext);
	free(t->hslot);
	free(t->hpres);
	t->hpres = NULL;
	t->hrows = NULL;
	t->hnext = t->hslot = NULL;
	t->nh = t->hcap = 0;
	t->nslot = 0;
	sdb_sql_arena_release(&t->hmem);
}

static uint64_t hash_int(int64_t k)
{
	uint64_t h = (uint64_t)k * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

/* The integer a probe value equals among integer keys; 0: none can. */
static int hash_int_key(const struct sql_value *v, int64_t *k)
{
	if (v->type == SQLV_INT) {
		*k = v->u.i;
		return 1;
	}
	if (v->type == SQLV_REAL && v->u.r >= -9.2233720368547758e18 &&
	    v->u.r < 9.2233720368547758e18 && v->u.r == (double)(int64_t)v->u.r) {
		*k = (int64_t)v->u.r;
		return 1;
	}
	return 0;
}

/* A big array of a hash probed at random: backed by huge pages where the
 * kernel can (a TLB miss per probe otherwise); zero: zeroed. */
static void *hash_alloc(size_t n, int zero)
{
	void *p = zero ? calloc(1, n ? n : 1) : malloc(n ? n : 1);
	if (p)
		sdb_mem_advise_big(p, n);
	return p;
}

/* The rows moved to a block of their own when big (hash_alloc). */
static void hash_rows_settle(struct tscan *t)
{
	size_t n = sizeof(*t->hrows) * (size_t)t->nh * (size_t)t->nhu;
	if (n < ((size_t)4 << 20))
		return;
	struct sql_value *r = hash_alloc(n, 0);
	if (!r)
		return; /* where they are is fine too */
	memcpy(r, t->hrows, n);
	free(t->hrows);
	t->hrows = r;
	t->hcap = t->nh;
}

/* HK_DIRECT: the row of key mn + i at place i, its key left out (stride
 * nhu - 1: half the bytes a probe may miss in cache for a two-column
 * row); places with a row marked in hpres (NULL: all). inorder: row i
 * has key mn + i already (compacted where it is). @return 0, or -1 when
 * there is no memory for it (nothing changed). */
static int hash_direct(struct tscan *t, int64_t mn, uint64_t nslot, int inorder)
{
	int nhu = t->nhu, kp = t->hkpos, st = nhu - 1;
	const struct sql_value *src = t->hrows;
	struct sql_value *d = t->hrows;
	uint64_t *pres = NULL;
	if (!inorder) {
		d = hash_alloc(sizeof(*d) * (size_t)nslot * (size_t)st, 0);
		pres = hash_alloc((size_t)(nslot + 63) / 64 * sizeof(*pres), 1);
		if (!d || !pres) {
			free(d);
			free(pres);
			return -1;
		}
	}
	for (long i = 0; i < t->nh; i++) {
		const struct sql_value *r = &src[i * nhu];
		if (r[kp].type != SQLV_INT)
			continue;
		uint64_t at = (uint64_t)r[kp].u.i - (uint64_t)mn;
		struct sql_value *o = &d[at * (uint64_t)st];
		/* in place, o <= r: each part moves down */
		memmove(o, r, sizeof(*o) * (size_t)kp);
		memmove(o + kp, r + kp + 1, sizeof(*o) * (size_t)(st - kp));
		if (pres)
			pres[at / 64] |= (uint64_t)1 << (at % 64);
	}
	if (!inorder)
		free(t->hrows);
	t->hrows = d;
	t->hpres = pres;
	t->hstride = st;
	t->nh = (long)nslot;
	t->nslot = nslot;
	t->hmin = mn;
	t->hkind = HK_DIRECT;
	free(t->hslot);
	free(t->hnext);
	t->hslot = t->hnext = NULL;
	return 0;
}

/* The index of the rows: integer when every key is one, else a vset.
 * Rows are chained from the last, so each chain runs in scan order. */
static int hash_index(struct tscan *t, struct ectx *x, size_t bytes, size_t lim)
{
	hash_rows_settle(t);
	const struct sql_value *kv = &t->hrows[t->hkpos];
	int nhu = t->nhu, all_int = t->nh < (long)UINT32_MAX - 1;
	int64_t mn = INT64_MAX, mx = INT64_MIN;
	for (long i = 0; i < t->nh && all_int; i++) {
		const struct sql_value *v = &kv[i * nhu];
		if (v->type == SQLV_NULL)
			continue;
		if (v->type != SQLV_INT) {
			all_int = 0;
			break;
		}
		if (v->u.i < mn)
			mn = v->u.i;
		if (v->u.i > mx)
			mx = v->u.i;
	}
	t->hnext = hash_alloc(sizeof(*t->hnext) * (size_t)t->nh, 1);
	if (!t->hnext)
		return sql_oom(x->e);
	if (!all_int) {
		t->hkind = HK_VSET;
		t->hs = vset_new(1, sizeof(uint32_t));
		if (!t->hs)
			return sql_oom(x->e);
		vset_coll(t->hs, 0, (enum sql_coll)(t->hcol < t->s->ncol ? t->s->coll[t->hcol] : 0));
		for (long i = t->nh - 1; i >= 0; i--) {
			const struct sql_value *v = &kv[i * nhu];
			int isnew;
			if (v->type == SQLV_NULL)
				continue;
			uint32_t *head = vset_get(t->hs, v, 1, &isnew);
			if (!head)
				return sql_oom(x->e);
			t->hnext[i] = *head;
			*head = (uint32_t)(i + 1);
		}
		return 0;
	}
	t->hmin = mn;
	if (mn > mx) {
		t->hkind = HK_DENSE; /* no key at all */
		t->nslot = 0;
		return 0;
	}
	uint64_t span = (uint64_t)mx - (uint64_t)mn;
	if (span + 1 == (uint64_t)t->nh) {
		/* keys mn, mn + 1 ... in scan order (a rowid): the rows are
		 * where their keys say */
		int inorder = 1;
		for (long i = 0; i < t->nh && inorder; i++)
			inorder = kv[i * nhu].type == SQLV_INT && kv[i * nhu].u.i == mn + i;
		if (inorder) {
			hash_direct(t, mn, (uint64_t)t->nh, 1);
			return 0;
		}
	}
	if (span < (uint64_t)t->nh * 2 + 1024) {
		t->hkind = HK_DENSE;
		t->nslot = span + 1;
	} else {
		t->hkind = HK_INT;
		t->nslot = 1024;
		while (t->nslot < (uint64_t)t->nh * 2)
			t->nslot *= 2;
	}
	t->hslot = hash_alloc(sizeof(*t->hslot) * (size_t)t->nslot, 1);
	if (!t->hslot)
		return sql_oom(x->e);
	int dup = 0;
	for (long i = t->nh - 1; i >= 0; i--) {
		const struct sql_value *v = &kv[i * nhu];
		if (v->type == SQLV_NULL)
			continue;
		uint32_t *head;
		if (t->hkind == HK_DENSE) {
			head = &t->hslot[(uint64_t)v->u.i - (uint64_t)mn];
		} else {
			uint64_t j = hash_int(v->u.i) & (t->nslot - 1);
			while (t->hslot[j] && kv[(t->hslot[j] - 1) * (uint64_t)nhu].u.i != v->u.i)
				j = (j + 1) & (t->nslot - 1);
			head = &t->hslot[j];
		}
		dup |= *head != 0;
		t->hnext[i] = *head;
		*head = (uint32_t)(i + 1);
	}
	size_t dbytes = sizeof(struct sql_value) * (size_t)t->nslot * (size_t)(nhu - 1) +
			t->nslot / 8 + 8;
	/* unique dense keys: each row moved to where its key says (a probe
	 * then reads one place) */
	if (t->hkind == HK_DENSE && !dup && bytes + dbytes <= lim && t->nslot < UINT32_MAX - 1)
		hash_direct(t, mn, t->nslot, 0);
	return 0;
}

/* Over the memory limit: the level reads the table per outer row (a
 * rowid lookup, an index on the column, else a scan checking the key). */
static int hash_fallback(struct tscan *t, struct ectx *x)
{
	hash_drop(t);
	t->hkind = HK_LOOP;
	const struct src *s = t->s;
	t->keyx = calloc(1, sizeof(*t->keyx));
	t->kaff = calloc(1, 1);
	if (!t->keyx || !t->kaff)
		return sql_oom(x->e);
	t->keyx[0] = t->hkey;
	t->kaff[0] = t->hkaff;
	t->nkey = 1;
	if (!t->tab->without_rowid && (t->hcol == s->ncol || t->hcol == t->tab->ipk)) {
		t->path = P_ROWID_EQ;
		return 0;
	}
	int ccoll = t->hcol < s->ncol ? s->coll[t->hcol] : 0;
	for (int k = 0; k < t->tab->nidx && !t->tab->without_rowid; k++) {
		const struct sql_index_def *ix = t->tab->idx[k];
		if (ix->where || ix->hnsw || ix->cols[0] != t->hcol ||
		    (ix->coll ? (int)ix->coll[0] : 0) != ccoll)
			continue;
		t->path = P_INDEX_EQ;
		t->idx = ix;
		return 0;
	}
	t->path = P_FULL;
	t->hfilt = 1;
	t->hfile = 1;
	return 0;
}

/* ------------------------------------------------------------ spilled hash
 * A hash join past the memory limit on a column no index leads with:
 * one scan of the table into a hash file (sorter.h: rows bucketed by
 * the key's hash in a temporary file); a probe reads its bucket and
 * checks the key on each row, as hfilt checks it. The rows of a key
 * come in scan order, as the scan would give them. */

static enum sql_coll hkey_coll(const struct tscan *t)
{
	return (enum sql_coll)(t->hcol < t->s->ncol ? t->s->coll[t->hcol] : 0);
}

static int hfile_build(struct tscan *t, struct ectx *x)
{
	int rc, nc = t->s->ncol;
	const char *dir = x->c->tmp_dir ? x->c->tmp_dir : x->c->dir;
	enum sql_coll coll = hkey_coll(t);
	struct sdb_txn_iter *it = NULL;

	if (!(t->hf = sql_hfile_new(nc + 1, x->c->memory_limit / 2, dir, "hash join file")))
		return sql_oom(x->e);
	sql_obj_prefix(&t->kb, t->tab->id);
	sql_obj_end(&t->hb, t->tab->id);
	if (t->kb.oom || t->hb.oom)
		return sql_oom(x->e);
	if ((rc = sdb_txn_iter_open(t->txn, t->kb.data, t->kb.len, t->hb.data, t->hb.len, 0, &it, x->e)))
		return rc;
	for (;;) {
		const unsigned char *k;
		size_t klen;
		struct sdb_val v;
		int64_t rowid = 0;
		if ((rc = sdb_txn_iter_next(it, &k, &klen, &v, x->e)) <= 0)
			break;
		if ((rc = sql_row_decode_used(t->tab, k, klen, v.data, v.len, t->row, &rowid,
					      t->s->used, x->e)))
			break;
		t->row[nc] = sql_int(rowid);
		if (t->row[t->hcol].type == SQLV_NULL)
			continue; /* never equal to a key */
		if ((rc = sql_hfile_add(t->hf, sql_value_hash(&t->row[t->hcol], coll), t->row, x->e)))
			break;
	}
	sdb_txn_iter_close(it);
	if (rc < 0 || (rc = sql_hfile_finish(t->hf, x->e)))
		return rc;
	t->hfile = 2;
	return 0;
}

/* The probe of key v (not NULL): its bucket to read. */
static int hfile_probe(struct tscan *t, struct ectx *x, const struct sql_value *v)
{
	int rc;
	if (t->hfile == 1 && (rc = hfile_build(t, x)))
		return rc;
	sql_hfile_probe(t->hf, sql_value_hash(v, hkey_coll(t)));
	return 0;
}

/* The next row of the bucket whose key is hval: 1, 0, or an error. */
static int hfile_next(struct tscan *t, struct ectx *x)
{
	int nc = t->s->ncol, rc;
	enum sql_coll coll = hkey_coll(t);
	const struct sql_value *r;
	while ((rc = sql_hfile_next(t->hf, &r, x->e)) == 1) {
		if (sql_value_cmp(&r[t->hcol], &t->hval, coll))
			continue;
		memcpy(t->row, r, sizeof(*t->row) * (size_t)(nc + 1));
		t->s->cur->row = t->row;
		return 1;
	}
	if (rc == 0)
		t->done = 1;
	return rc;
}

/* A cache of the TEXT/BLOB values a hash build has kept, by hash. */
#define HINTERN 4096
struct hintern {
	const char *z;
	uint32_t n;
	uint8_t type;
};

/* Reads every row of the table once and hashes it on t->hcol. */
static int hash_build(struct tscan *t, struct ectx *x)
{
	int rc, nc = t->s->ncol;
	const struct src *s = t->s;
	const uint64_t *used = s->used;
	hash_drop(t);
	free(t->hucol);
	t->hucol = calloc((size_t)nc + 1, sizeof(*t->hucol));
	if (!t->hucol)
		return sql_oom(x->e);
	t->nhu = 0;
	t->hkpos = -1;
	for (int c = 0; c <= nc; c++) {
		int u = c == t->hcol || !used || ((used[c >> 6] >> (c & 63)) & 1);
		if (c == nc && !s->has_rowid)
			u = 0;
		if (!u)
			continue;
		if (c == t->hcol)
			t->hkpos = t->nhu;
		t->hucol[t->nhu++] = c;
	}
	sql_obj_prefix(&t->kb, t->tab->id);
	sql_obj_end(&t->hb, t->tab->id);
	if (t->kb.oom || t->hb.oom)
		return sql_oom(x->e);
	struct sdb_txn_iter *it;
	if ((rc = sdb_txn_iter_open(t->txn, t->kb.data, t->kb.len, t->hb.data,
				    t->hb.len, 0, &it, x->e)))
		return rc;
	size_t lim = x->c->memory_limit / 2, bytes = 0;
	int nhu = t->nhu, over = 0;
	/* TEXT/BLOB values that repeat (a city, a status) are kept once */
	struct hintern *itab = calloc(HINTERN, sizeof(*itab));
	long ilook = 0, ihit = 0;
	for (;;) {
		const unsigned char *k;
		size_t klen;
		struct sdb_val v;
		int64_t rowid = 0;
		rc = sdb_txn_iter_next(it, &k, &klen, &v, x->e);
		if (rc <= 0)
			break;
		/* values are copied at once: decoded in place */
		if ((rc = sql_row_decode_used(t->tab, k, klen, v.data, v.len, t->row,
					      &rowid, used, x->e)))
			break;
		t->row[nc] = sql_int(rowid);
		if (t->nh == t->hcap) {
			long ncap = t->hcap ? t->hcap * 2 : 256;
			struct sql_value *nr = realloc(t->hrows, sizeof(*nr) * (size_t)(ncap * nhu));
			if (!nr) {
				rc = sql_oom(x->e);
				break;
			}
			t->hrows = nr;
			t->hcap = ncap;
		}
		struct sql_value *d = &t->hrows[t->nh * nhu];
		for (int i = 0; i < nhu; i++) {
			d[i] = t->row[t->hucol[i]];
			if (d[i].type != SQLV_TEXT && d[i].type != SQLV_BLOB)
				continue;
			struct hintern *ie = NULL;
			if (itab && d[i].n) {
				uint64_t h = sdb_hash_short(d[i].u.z, d[i].n) + d[i].type;
				ie = &itab[h & (HINTERN - 1)];
				ilook++;
				if (ie->z && ie->n == d[i].n && ie->type == d[i].type &&
				    !memcmp(ie->z, d[i].u.z, d[i].n)) {
					d[i].u.z = ie->z;
					ihit++;
					continue;
				}
			}
			bytes += d[i].n;
			if (sql_value_copy(&d[i], &t->hmem)) {
				rc = sql_oom(x->e);
				break;
			}
			if (ie) {
				ie->z = d[i].u.z;
				ie->n = d[i].n;
				ie->type = d[i].type;
			}
		}
		if (itab && ilook >= 8192 && ihit < ilook / 2) {
			free(itab); /* values seldom repeat: copied each */
			itab = NULL;
		}
		if (rc < 0)
			break;
		t->nh++;
		bytes += sizeof(*d) * (size_t)nhu + 2 * sizeof(uint32_t) + 8;
		if (bytes > lim) {
			over = 1;
			break;
		}
	}
	sdb_txn_iter_close(it);
	free(itab);
	if (rc < 0)
		return rc;
	if (over)
		return hash_fallback(t, x);
	if ((rc = hash_index(t, x, bytes, lim)))
		return rc;
	t->hbuilt = 1;
	return 0;
}

/* The first row whose key equals v (already under the key's affinity),
 * or -1. */
static long hash_find(struct tscan *t, const struct sql_value *v)
{
	int64_t k;
	uint32_t head = 0;
	switch (t->hkind) {
	case HK_VSET: {
		int isnew;
		uint32_t *h = vset_get(t->hs, v, 0, &isnew);
		head = h ? *h : 0;
		break;
	}
	case HK_DENSE:
		if (hash_int_key(v, &k) && k >= t->hmin &&
		    (uint64_t)k - (uint64_t)t->hmin < t->nslot)
			head = t->hslot[(uint64_t)k - (uint64_t)t->hmin];
		break;
	case HK_DIRECT:
		if (hash_int_key(v, &k) && k >= t->hmin &&
		    (uint64_t)k - (uint64_t)t->hmin < t->nslot) {
			uint64_t i = (uint64_t)k - (uint64_t)t->hmin;
			if (!t->hpres || ((t->hpres[i / 64] >> (i % 64)) & 1))
				head = (uint32_t)(i + 1);
		}
		break;
	case HK_INT:
		if (hash_int_key(v, &k)) {
			uint64_t j = hash_int(k) & (t->nslot - 1);
			const struct sql_value *kv = &t->hrows[t->hkpos];
			while ((head = t->hslot[j]) && kv[(head - 1) * (uint64_t)t->nhu].u.i != k)
				j = (j + 1) & (t->nslot - 1);
		}
		break;
	}
	return (long)head - 1;
}

/* The key sought, under the column's affinity. @return 0, 1 when NULL
 * (nothing matches), or an error. */
static int hash_key(struct tscan *t, struct ectx *x, struct sql_value *v)
{
	int rc;
	if ((rc = xp_value(x, t->hkey, v)))
		return rc;
	if (v->type == SQLV_NULL)
		return 1;
	if (t->hkaff && !(v->type == SQLV_INT &&
			  (t->hkaff == SQL_AFF_INTEGER || t->hkaff == SQL_AFF_NUMERIC)))
		sql_value_apply_aff(v, (enum sql_aff)t->hkaff, x->mem);
	return 0;
}

/* The next row of the chain into the table's row. @return 1 or 0. */
static int hash_next(struct tscan *t)
{
	if (t->hcur < 0) {
		t->done = 1;
		return 0;
	}
	if (t->hkind == HK_DIRECT) {
		const struct sql_value *r = &t->hrows[t->hcur * t->hstride];
		for (int i = 0, j = 0; i < t->nhu; i++)
			t->row[t->hucol[i]] = i == t->hkpos ? sql_int(t->hmin + t->hcur) : r[j++];
		t->s->cur->row = t->row;
		t->hcur = -1;
		return 1;
	}
	const struct sql_value *r = &t->hrows[t->hcur * t->nhu];
	for (int i = 0; i < t->nhu; i++)
		t->row[t->hucol[i]] = r[i];
	t->s->cur->row = t->row;
	t->hcur = (long)t->hnext[t->hcur] - 1;
	return 1;
}

/* The successor of every key starting with b's bytes. */
static void key_succ(struct sdb_buf *b)
{
	size_t l = b->len;
	while (l > 0 && (unsigned char)b->data[l - 1] == 0xff)
		l--;
	b->len = l;
	if (l)
		b->data[l - 1]++;
}

/* Whether every column the query reads of the table is in the index's
 * keys as stored (BINARY: NOCASE/RTRIM keys hold folded text), so the
 * rows come from the index entries alone. */
static int index_covers(const struct tscan *t)
{
	const struct sql_index_def *ix = t->idx;
	const struct src *s = t->s;
	if (!s->used || t->tab->without_rowid)
		return 0;
	int any = 0;
	for (int c = 0; c <= s->ncol; c++)
		any |= (s->used[c >> 6] >> (c & 63)) & 1;
	if (!any)
		return 2; /* nothing read (count(*)): the entries are counted */
	for (int c = 0; c < s->ncol; c++) {
		if (!(s->used[c >> 6] & (1ull << (c & 63))) || c == t->tab->ipk)
			continue;
		int found = 0;
		for (int m = 0; m < ix->ncol && !found; m++)
			found = ix->cols[m] == c && (!ix->coll || ix->coll[m] == SQL_COLL_BINARY);
		if (!found)
			return 0;
	}
	return 1;
}

static int hnsw_rewind(struct tscan *t, struct ectx *x, int plan_only, struct sql_hnsw_query *hq);
static int path_rewind(struct tscan *t, struct ectx *x);

int tscan_rewind(struct tscan *t, struct ectx *x)
{
	int rc;
	if (t->path == P_HASH && t->hbuilt && !t->hx) {
		/* the probe of a built hash, once per outer row */
		struct sql_value v;
		t->done = 0;
		t->hcur = -1;
		if ((rc = hash_key(t, x, &v)))
			return rc < 0 ? rc : 0;
		t->hcur = hash_find(t, &v);
		return 0;
	}
	close_iter(t);
	t->done = 0;
	t->hmode = 0;
	t->txn = sql_conn_txn(x->c);
	if (!t->txn) {
		t->done = 1;
		return 0;
	}
	if (t->hx) {
		struct sql_hnsw_query hq;
		if ((rc = hnsw_rewind(t, x, 0, &hq)))
			return rc;
		if (t->hmode)
			return 0;
	}
	return path_rewind(t, x);
}

static int inx_cmp(const void *a, const void *b, void *arg)
{
	const struct tscan *t = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	return sdb_key_cmp(t->inkeys.data + t->inoff[i], t->inoff[i + 1] - t->inoff[i],
			   t->inkeys.data + t->inoff[j], t->inoff[j + 1] - t->inoff[j]);
}

/* The key prefixes of an IN lookup: vals[0..neq) then each value of the
 * list (NULLs left out), in inord sorted in index order, repeats (1 and
 * 1.0; 'a' and 'A' under NOCASE) dropped, so no entry is read twice. */
static int inx_keys(struct tscan *t, struct ectx *x, struct sql_value *vals, int neq)
{
	const struct xp *l = t->inx;
	if (!t->inoff) {
		t->inoff = malloc(sizeof(*t->inoff) * ((size_t)l->na + 1));
		t->inord = malloc(sizeof(*t->inord) * (size_t)l->na);
		if (!t->inoff || !t->inord)
			return sql_oom(x->e);
	}
	struct sdb_buf k = SDB_BUF_INIT;
	int rc = 0;
	long n = 0;
	sdb_buf_reset(&t->inkeys);
	for (int j = 0; j < l->na && !rc; j++) {
		struct sql_value v;
		if ((rc = xp_eval(x, l->a[j], &v)))
			break;
		if (v.type == SQLV_NULL)
			continue;
		if (t->inaff[j])
			sql_value_apply_aff(&v, (enum sql_aff)t->inaff[j], x->mem);
		vals[neq] = v;
		sql_idxkey_prefix(&k, t->idx, vals, neq + 1);
		t->inoff[n] = t->inkeys.len;
		sdb_buf_add(&t->inkeys, k.data, k.len);
		t->inord[n] = (size_t)n;
		n++;
	}
	t->inoff[n] = t->inkeys.len;
	if (!rc && (k.oom || t->inkeys.oom))
		rc = sql_oom(x->e);
	sdb_buf_release(&k);
	if (rc)
		return rc;
	qsort_r(t->inord, (size_t)n, sizeof(*t->inord), inx_cmp, t);
	long m = 0;
	for (long i = 0; i < n; i++)
		if (!m || inx_cmp(&t->inord[m - 1], &t->inord[i], t))
			t->inord[m++] = t->inord[i];
	t->ninx = m;
	t->inxpos = 0;
	return 0;
}

/* kb/hb: every entry starting with the IN lookup's i-th prefix (the
 * list read backwards for a descending scan). */
static void inx_bounds(struct tscan *t, long i)
{
	size_t j = t->inord[t->desc ? t->ninx - 1 - i : i];
	sdb_buf_reset(&t->kb);
	sdb_buf_add(&t->kb, t->inkeys.data + t->inoff[j], t->inoff[j + 1] - t->inoff[j]);
	sdb_buf_reset(&t->hb);
	sdb_buf_add(&t->hb, t->kb.data, t->kb.len);
	key_succ(&t->hb);
}

/* Opens the path's iteration (or, keys_only, computes its bounds). */
static int path_rewind(struct tscan *t, struct ectx *x)
{
	int rc;
	const struct sql_table_def *tab = t->tab;
	struct sql_value v;
	int ok;
	if (t->path == P_FTS)
		return sql_fts_scan_rewind(t->fs, x, t->row);
	switch (t->path) {
	case P_FULL:
		if (t->hfilt) {
			/* a hash join past the memory limit: the key sought */
			if ((rc = hash_key(t, x, &v))) {
				t->done = 1;
				return rc < 0 ? rc : 0;
			}
			t->hval = v;
			if (v.type == SQLV_TEXT || v.type == SQLV_BLOB) {
				sdb_buf_reset(&t->hvbuf);
				sdb_buf_add(&t->hvbuf, v.u.z, v.n);
				if (t->hvbuf.oom)
					return sql_oom(x->e);
				t->hval.u.z = t->hvbuf.data;
			}
			if (t->hfile)
				return hfile_probe(t, x, &t->hval);
		}
		sql_obj_prefix(&t->kb, tab->id);
		sql_obj_end(&t->hb, tab->id);
		break;
	case P_HASH:
		if (!t->hbuilt && (rc = hash_build(t, x)))
			return rc;
		if (t->path != P_HASH)
			return tscan_rewind(t, x); /* over the memory limit */
		t->hcur = -1;
		if ((rc = hash_key(t, x, &v)))
			return rc < 0 ? rc : 0;
		t->hcur = hash_find(t, &v);
		return 0;
	case P_ROWID_EQ:
		if ((rc = xp_eval(x, t->keyx[0], &v)))
			return rc;
		v = rowid_val(x, v, &ok);
		if (!ok) {
			t->done = 1;
			return 0;
		}
		t->inv = realloc(t->inv, sizeof(*t->inv));
		if (!t->inv)
			return sql_oom(x->e);
		t->inv[0] = v;
		t->nin = 1;
		t->inpos = 0;
		return 0;
	case P_ROWID_IN: {
		t->inv = realloc(t->inv, sizeof(*t->inv) * (size_t)(t->nkey ? t->nkey : 1));
		if (!t->inv)
			return sql_oom(x->e);
		t->nin = 0;
		for (int i = 0; i < t->nkey; i++) {
			if ((rc = xp_eval(x, t->keyx[i], &v)))
				return rc;
			v = rowid_val(x, v, &ok);
			if (ok)
				t->inv[t->nin++] = v;
		}
		qsort(t->inv, (size_t)t->nin, sizeof(*t->inv), val_cmp_sort);
		long m = 0;
		for (long i = 0; i < t->nin; i++)
			if (!m || t->inv[m - 1].u.i != t->inv[i].u.i)
				t->inv[m++] = t->inv[i];
		t->nin = m;
		t->inpos = 0;
		if (t->desc)
			for (long i = 0, j = t->nin - 1; i < j; i++, j--) {
				struct sql_value tmp = t->inv[i];
				t->inv[i] = t->inv[j];
				t->inv[j] = tmp;
			}
		return 0;
	}
	case P_ROWID_RANGE:
		sql_obj_prefix(&t->kb, tab->id);
		sql_obj_end(&t->hb, tab->id);
		t->has_hi = 0;
		if (t->lo) {
			if ((rc = xp_eval(x, t->lo, &v)))
				return rc;
			sql_value_apply_aff(&v, SQL_AFF_NUMERIC, x->mem);
			if (v.type == SQLV_NULL) {
				t->done = 1;
				return 0;
			}
			if (v.type == SQLV_INT || v.type == SQLV_REAL) {
				sql_key_head(&t->kb);
				sql_key_add_int(&t->kb, tab->id);
				sql_key_add(&t->kb, &v, 0, SQL_COLL_BINARY);
			} else {
				t->done = 1; /* rowid > 'text': nothing */
				return 0;
			}
		}
		if (t->hi) {
			if ((rc = xp_eval(x, t->hi, &v)))
				return rc;
			sql_value_apply_aff(&v, SQL_AFF_NUMERIC, x->mem);
			if (v.type == SQLV_NULL) {
				t->done = 1;
				return 0;
			}
			if (v.type == SQLV_INT || v.type == SQLV_REAL) {
				/* stop after the bound: (id, hi) then the successor */
				sql_key_head(&t->hb);
				sql_key_add_int(&t->hb, tab->id);
				sql_key_add(&t->hb, &v, 0, SQL_COLL_BINARY);
				sdb_buf_add(&t->hb, "\xff", 1);
			}
		}
		break;
	case P_INDEX_EQ: {
		struct sql_value vals[64];
		int nk = t->nkey > 64 ? 64 : t->nkey;
		if (t->inx)
			nk = t->nkey - 1; /* the equalities before the IN column (< 64) */
		for (int i = 0; i < nk; i++) {
			if ((rc = xp_eval(x, t->keyx[i], &vals[i])))
				return rc;
			if (vals[i].type == SQLV_NULL) {
				t->done = 1;
				return 0;
			}
			if (t->kaff[i])
				sql_value_apply_aff(&vals[i], (enum sql_aff)t->kaff[i], x->mem);
		}
		if (t->cover < 0)
			t->cover = index_covers(t);
		if (t->inx) {
			if ((rc = inx_keys(t, x, vals, nk)))
				return rc;
			if (!t->ninx) {
				t->done = 1;
				return 0;
			}
			inx_bounds(t, 0);
			break;
		}
		if ((!t->rlo && !t->rhi) || nk >= 64) {
			sql_idxkey_prefix(&t->kb, t->idx, vals, nk);
			sdb_buf_reset(&t->hb);
			sdb_buf_add(&t->hb, t->kb.data, t->kb.len);
			/* the successor of the prefix: every entry starting with it */
			key_succ(&t->hb);
			break;
		}
		/* a range on column nk: [lo, hi] of the entries with the prefix
		 * (NULLs never compare true: not in it) */
		struct sql_value lo = sql_null(), hi = sql_null();
		if (t->rlo) {
			if ((rc = xp_eval(x, t->rlo, &lo)))
				return rc;
			if (lo.type == SQLV_NULL) {
				t->done = 1;
				return 0;
			}
			if (t->rlo_aff)
				sql_value_apply_aff(&lo, (enum sql_aff)t->rlo_aff, x->mem);
		}
		if (t->rhi) {
			if ((rc = xp_eval(x, t->rhi, &hi)))
				return rc;
			if (hi.type == SQLV_NULL) {
				t->done = 1;
				return 0;
			}
			if (t->rhi_aff)
				sql_value_apply_aff(&hi, (enum sql_aff)t->rhi_aff, x->mem);
		}
		vals[nk] = lo;
		sql_idxkey_prefix(&t->kb, t->idx, vals, nk + 1);
		if (!t->rlo || !t->rlo_incl)
			key_succ(&t->kb); /* past the NULLs, or past lo */
		if (t->rhi) {
			vals[nk] = hi;
			sql_idxkey_prefix(&t->hb, t->idx, vals, nk + 1);
			if (t->rhi_incl)
				key_succ(&t->hb);
		} else {
			sql_idxkey_prefix(&t->hb, t->idx, vals, nk);
			key_succ(&t->hb);
		}
		if (!t->kb.oom && !t->hb.oom &&
		    sdb_key_cmp(t->kb.data, t->kb.len, t->hb.data, t->hb.len) >= 0) {
			t->done = 1; /* an empty range */
			return 0;
		}
		break;
	}
	}
	if (t->kb.oom || t->hb.oom)
		return sql_oom(x->e);
	if (t->keys_only)
		return 0; /* tscan_count: the bounds are all it needs */
	return sdb_txn_iter_open(t->txn, t->kb.data, t->kb.len,
				 t->hb.len ? t->hb.data : NULL, t->hb.len,
				 t->desc, &t->it, x->e);
}

/* The row of record v (key k) into t->row; copy: v is copied first (a
 * point read's, or an own write's, which may move before the row is
 * done with; an iterator's snapshot entry stays until its next step). */
static int load_row(struct tscan *t, const void *k, size_t klen,
		    const struct sdb_val *v, int copy, struct ectx *x)
{
	const char *rec = v->data;
	if (copy) {
		sdb_buf_reset(&t->rec);
		sdb_buf_add(&t->rec, v->data, v->len);
		if (t->rec.oom)
			return sql_oom(x->e);
		rec = t->rec.data;
	}
	int64_t rowid = 0;
	int rc = sql_row_decode_used(t->tab, k, klen, rec, v->len, t->row,
				     &rowid, t->s->used, x->e);
	if (rc)
		return rc;
	t->row[t->s->ncol] = sql_int(rowid);
	t->s->cur->row = t->row;
	return 1;
}

/* A covering read: the row's used columns from the index entry. */
static int cover_row(struct tscan *t, const unsigned char *k, size_t klen,
		     const struct sdb_val *v, struct ectx *x)
{
	const struct sql_index_def *ix = t->idx;
	const struct src *s = t->s;
	struct sql_value vals[64], *vp = vals;
	int64_t rid = 0;
	int rc, nc = s->ncol;
	if (ix->ncol > 64 && !(vp = malloc(sizeof(*vp) * (size_t)ix->ncol)))
		return sql_oom(x->e);
	rc = sql_idx_decode(ix, k, klen, v->data, v->len, vp, &rid, &t->itmp, x->e);
	if (!rc) {
		for (int c = 0; c < nc; c++)
			t->row[c] = sql_null();
		for (int m = ix->ncol - 1; m >= 0; m--)
			if (ix->cols[m] >= 0)
				t->row[ix->cols[m]] = vp[m];
		if (t->tab->ipk >= 0)
			t->row[t->tab->ipk] = sql_int(rid);
		t->row[nc] = sql_int(rid);
		s->cur->row = t->row;
	}
	if (vp != vals)
		free(vp);
	return rc ? rc : 1;
}

/* Reads row rid into the level's row: 1, 0 when there is none, or an error. */
static int fetch_rowid(struct tscan *t, struct ectx *x, int64_t rid)
{
	struct sdb_val v;
	int rc;

	sql_rowkey_rowid(&t->kb, t->tab->id, rid);
	if (t->kb.oom)
		return sql_oom(x->e);
	rc = sdb_txn_get(t->txn, t->kb.data, t->kb.len, &v, x->e);
	if (rc == SDB_ENOTFOUND) {
		sdb_error_clear(x->e);
		return 0;
	}
	if (rc)
		return rc;
	/* the key buffer is ours: decode from a copy */
	sdb_buf_reset(&t->hb);
	sdb_buf_add(&t->hb, t->kb.data, t->kb.len);
	return load_row(t, t->hb.data, t->hb.len, &v, 1, x);
}

/* Row i of the index's answer from the values it gave (hcover). */
static int knn_row(struct tscan *t, uint32_t i)
{
	const struct sql_hnsw_query *h = &t->hres;
	const struct sql_hnsw_def *d = t->hx->hnsw;
	int64_t rid = h->rows[i];

	for (int c = 0; c < t->s->ncol; c++)
		t->row[c] = sql_null();
	t->row[d->col] = sql_blob(h->rvec + (size_t)i * d->dim, (size_t)d->dim * 4);
	for (int j = 0; j < h->nrcol; j++)
		t->row[h->rcol[j]] = h->rcols[(size_t)i * (size_t)h->nrcol + (size_t)j];
	if (t->tab->ipk >= 0)
		t->row[t->tab->ipk] = sql_int(rid);
	t->row[t->s->ncol] = sql_int(rid);
	t->s->cur->row = t->row;
	return 1;
}

static int tscan_next1(struct tscan *t, struct ectx *x);

/* The iterator moved past the run's entries served (before any other
 * call on it). */
static int run_settle(struct tscan *t, struct ectx *x)
{
	t->rlive = 0;
	return sdb_txn_iter_skip(t->it, t->rpos - t->run.i, x->e);
}

int tscan_next(struct tscan *t, struct ectx *x)
{
	if ((t->path == P_FULL || t->path == P_ROWID_RANGE) && !t->hx && !t->hmode && !t->hfilt &&
	    !t->done) {
		/* a table scan's row: the iterator's next record, from the
		 * run of its block's next entries while the transaction writes
		 * nothing */
		const unsigned char *k;
		size_t klen;
		struct sdb_val v;
		int rc;
		if (t->rlive) {
			if (t->rpos < t->run.n && sdb_txn_iter_run_valid(t->it)) {
				size_t j = t->rpos++;
				v.data = (const char *)t->run.val[j];
				v.len = t->run.vlen[j];
				v.expires_ms = 0;
				return load_row(t, t->run.keys + t->run.koff[j], t->run.klen[j], &v, 0, x);
			}
			if ((rc = run_settle(t, x)))
				return rc;
		}
		rc = sdb_txn_iter_next(t->it, &k, &klen, &v, x->e);
		if (rc <= 0) {
			if (rc == 0)
				t->done = 1;
			return rc;
		}
		int stable = sdb_txn_iter_stable(t->it);
		if (stable && sdb_txn_iter_run(t->it, &t->run)) {
			t->rlive = 1;
			t->rpos = t->run.i;
		}
		return load_row(t, k, klen, &v, !stable, x);
	}
	if (t->rlive) {
		int rc = run_settle(t, x);
		if (rc)
			return rc;
	}
	if (!t->hx || t->hmode)
		return tscan_next1(t, x);
	/* the exact scan of a query an HNSW index could answer: rows whose
	 * vector is NULL are left out, as the index leaves them out, so
	 * both paths give the same rows */
	for (;;) {
		int rc = tscan_next1(t, x);
		if (rc != 1 || t->s->cur->row[t->hx->hnsw->col].type != SQLV_NULL)
			return rc;
	}
}

static int tscan_next1(struct tscan *t, struct ectx *x)
{
	int rc;
	if (t->done)
		return 0;
	if (t->hmode) {
		while (t->hpos < t->hres.nrows) {
			uint32_t i = t->hpos++;
			if (t->hcover && t->hres.rcover[i])
				return knn_row(t, i);
			if ((rc = fetch_rowid(t, x, t->hres.rows[i])))
				return rc;
		}
		t->done = 1;
		return 0;
	}
	if (t->path == P_FTS)
		return sql_fts_scan_next(t->fs, x);
	if (t->path == P_HASH)
		return hash_next(t);
	if (t->path == P_ROWID_EQ || t->path == P_ROWID_IN) {
		while (t->inpos < t->nin)
			if ((rc = fetch_rowid(t, x, t->inv[t->inpos++].u.i)))
				return rc;
		t->done = 1;
		return 0;
	}
	if (t->hfile)
		return hfile_next(t, x);
	const unsigned char *k;
	size_t klen;
	struct sdb_val v;
	rc = sdb_txn_iter_next(t->it, &k, &klen, &v, x->e);
	while (rc == 0 && t->inx && t->inxpos + 1 < t->ninx) {
		/* an IN lookup: the next value's entries */
		close_iter(t);
		inx_bounds(t, ++t->inxpos);
		if (t->kb.oom || t->hb.oom)
			return sql_oom(x->e);
		if ((rc = sdb_txn_iter_open(t->txn, t->kb.data, t->kb.len, t->hb.data, t->hb.len,
					    t->desc, &t->it, x->e)))
			return rc;
		rc = sdb_txn_iter_next(t->it, &k, &klen, &v, x->e);
	}
	if (rc <= 0) {
		if (rc == 0)
			t->done = 1;
		return rc;
	}
	if (t->hfilt) {
		/* a hash join past the memory limit: rows with the key */
		enum sql_coll coll = (enum sql_coll)(t->hcol < t->s->ncol ? t->s->coll[t->hcol] : 0);
		for (;;) {
			if ((rc = load_row(t, k, klen, &v, !sdb_txn_iter_stable(t->it), x)) < 0)
				return rc;
			const struct sql_value *c = &t->row[t->hcol];
			if (c->type != SQLV_NULL && !sql_value_cmp(c, &t->hval, coll))
				return 1;
			rc = sdb_txn_iter_next(t->it, &k, &klen, &v, x->e);
			if (rc <= 0) {
				if (rc == 0)
					t->done = 1;
				return rc;
			}
		}
	}
	if (t->path != P_INDEX_EQ)
		return load_row(t, k, klen, &v, !sdb_txn_iter_stable(t->it), x);
	int64_t rid;
	if (t->tab->without_rowid)
		return sdb_error_set(x->e, SDB_EUNSUPPORTED,
				     "index lookups on WITHOUT ROWID tables are not supported yet");
	if (t->cover == 2) {
		t->s->cur->row = t->row;
		return 1;
	}
	if (t->cover == 1)
		return cover_row(t, k, klen, &v, x);
	if ((rc = sql_idxkey_rowid_of(t->idx, k, klen, &rid, x->e)))
		return rc;
	struct sdb_buf *rk = &t->rec;
	sql_rowkey_rowid(rk, t->tab->id, rid);
	char kcopy[64];
	size_t kl = rk->len < sizeof kcopy ? rk->len : sizeof kcopy;
	memcpy(kcopy, rk->data, kl);
	rc = sdb_txn_get(t->txn, kcopy, kl, &v, x->e);
	if (rc == SDB_ENOTFOUND)
		return sdb_error_set(x->e, SDB_ECORRUPT,
				     "index %s names a missing row", t->idx->name);
	if (rc)
		return rc;
	return load_row(t, kcopy, kl, &v, 1, x);
}

int tscan_count(struct tscan *t, struct ectx *x, int64_t *n)
{
	int rc;
	*n = 0;
	if (t->path != P_FULL && t->path != P_ROWID_RANGE && t->path != P_INDEX_EQ)
		return 0;
	if (t->inx)
		return 0; /* one range per value: counted by the scan */
	if (t->path == P_INDEX_EQ && (t->tab->without_rowid || index_covers(t) != 2))
		return 0;
	if (t->path != P_INDEX_EQ) {
		if (!t->s->used)
			return 0;
		for (int c = 0; c <= t->s->ncol; c++)
			if ((t->s->used[c >> 6] >> (c & 63)) & 1)
				return 0;
	}
	t->keys_only = 1;
	rc = tscan_rewind(t, x);
	t->keys_only = 0;
	if (rc)
		return rc;
	if (t->done)
		return 1;
	uint64_t cnt;
	rc = sdb_txn_count(t->txn, t->kb.data, t->kb.len, t->hb.len ? t->hb.data : NULL,
			   t->hb.len, &cnt, x->e);
	t->done = 1;
	if (rc)
		return rc;
	*n = (int64_t)cnt;
	return 1;
}

void tscan_free(struct tscan *t)
{
	if (!t)
		return;
	close_iter(t);
	sql_hfile_free(t->hf);
	sql_fts_scan_free(t->fs);
	sql_hnsw_query_free(&t->hres);
	sdb_sql_arena_release(&t->kmem);
	sdb_buf_release(&t->hvec);
	free(t->keyx);
	free(t->kaff);
	free(t->inv);
	free(t->inaff);
	free(t->inoff);
	free(t->inord);
	sdb_buf_release(&t->inkeys);
	free(t->row);
	hash_drop(t);
	free(t->hucol);
	sdb_buf_release(&t->hvbuf);
	sdb_buf_release(&t->rec);
	sdb_buf_release(&t->kb);
	sdb_buf_release(&t->hb);
	sdb_buf_release(&t->itmp);
	free(t);
}

static int is_rowid_col(const struct tscan *t, int c)
{
	return !t->tab->without_rowid && (c == t->s->ncol || c == t->tab->ipk);
}

static void set_eqp_index(struct tscan *t)
{
	const struct sql_table_def *tab = t->tab;
	char as[200] = "";
	if (t->s->name && strcasecmp(t->s->name, tab->name))
		snprintf(as, sizeof as, " AS %s", t->s->name);
	const char *cov = index_covers(t) ? "COVERING " : "";
	if (t->nkey == 0 && !t->rlo && !t->rhi) {
		snprintf(t->eqp, sizeof t->eqp, "SCAN %s%s USING %sINDEX %s", tab->name,
			 as, cov, t->idx->name);
		return;
	}
	int len = snprintf(t->eqp, sizeof t->eqp, "SEARCH %s%s USING %sINDEX %s (",
			   tab->name, as, cov, t->idx->name);
	for (int m = 0; m < t->nkey && len < (int)sizeof t->eqp - 40; m++) {
		int c = t->idx->cols[m];
		len += snprintf(t->eqp + len, sizeof t->eqp - (size_t)len, "%s%s=?",
				m ? " AND " : "", c >= 0 ? tab->cols[c].name : "rowid");
	}
	if ((t->rlo || t->rhi) && t->nkey < t->idx->ncol && len < (int)sizeof t->eqp - 80) {
		const char *cn = tab->cols[t->idx->cols[t->nkey]].name;
		if (t->rlo)
			len += snprintf(t->eqp + len, sizeof t->eqp - (size_t)len, "%s%s>?",
					t->nkey ? " AND " : "", cn);
		if (t->rhi)
			len += snprintf(t->eqp + len, sizeof t->eqp - (size_t)len, "%s%s<?",
					t->nkey || t->rlo ? " AND " : "", cn);
	}
	snprintf(t->eqp + len, sizeof t->eqp - (size_t)len, ")");
}

int tscan_order(struct tscan *t, const int *cols, const uint8_t *desc,
		const uint8_t *colls, int n)
{
	const struct sql_table_def *tab = t->tab;
	if (n < 1 || t->path == P_FTS || t->inx)
		return 0; /* an IN lookup: index order within each value only */
	/* rowid order */
	if (is_rowid_col(t, cols[0])) {
		if (t->path == P_FULL || t->path == P_ROWID_RANGE) {
			t->desc = desc[0];
			return 1;
		}
		if (t->path == P_ROWID_EQ)
			return 1;
		if (t->path == P_ROWID_IN) {
			t->desc = desc[0];
			return 1;
		}
		return 0;
	}
	if (t->path != P_FULL && t->path != P_INDEX_EQ)
		return 0;
	if (tab->without_rowid)
		return 0;
	/* an index: its columns after the equality prefix, in one direction */
	const struct sql_index_def *cands[64];
	int nc = 0;
	if (t->path == P_INDEX_EQ)
		cands[nc++] = t->idx;
	else
		for (int k = 0; k < tab->nidx && nc < 64; k++)
			if (!tab->idx[k]->where && !tab->idx[k]->hnsw)
				cands[nc++] = tab->idx[k];
	for (int ci = 0; ci < nc; ci++) {
		const struct sql_index_def *ix = cands[ci];
		int start = t->path == P_INDEX_EQ ? t->nkey : 0;
		int m = start, ok = 1, rev = -1;
		for (int i = 0; i < n && ok; i++) {
			/* a term on an equality column is constant: skip it */
			int skip = 0;
			for (int j = 0; j < start; j++)
				if (ix->cols[j] == cols[i])
					skip = 1;
			if (skip)
				continue;
			if (m < ix->ncol && ix->cols[m] == cols[i] &&
			    (ix->coll ? ix->coll[m] : 0) == colls[i]) {
				int r = (ix->desc ? ix->desc[m] : 0) != desc[i];
				if (rev < 0)
					rev = r;
				else if (rev != r)
					ok = 0;
				m++;
			} else if (is_rowid_col(t, cols[i]) && m == ix->ncol) {
				int r = desc[i];
				if (rev < 0)
					rev = r;
				else if (rev != r)
					ok = 0;
				m++;
			} else {
				ok = 0;
			}
		}
		if (!ok)
			continue;
		if (t->path == P_FULL) {
			t->path = P_INDEX_EQ;
			t->idx = ix;
			t->nkey = 0;
			free(t->kaff);
			t->kaff = calloc(1, 1);
		}
		t->desc = rev > 0;
		set_eqp_index(t);
		return 1;
	}
	return 0;
}

int tscan_answers(const struct tscan *t, const struct xp *x)
{
	for (int i = 0; i < t->nexact; i++)
		if (t->exact[i] == x)
			return 1;
	return 0;
}

int tscan_is_scan(const struct tscan *t)
{
	return t->path == P_FULL || t->path == P_ROWID_RANGE || t->path == P_HASH ||
	       t->path == P_FTS ||
	       (t->path == P_INDEX_EQ && !(t->idx->unique && t->nkey == t->idx->ncol));
}

/* ------------------------------------------------------------ HNSW k-NN */

void tscan_use_hnsw(struct tscan *t, const struct sql_index_def *x, struct xp *q,
		    struct xp *lim, struct xp *off, struct xp **wh, int nwh)
{
	t->hx = x;
	t->hq = q;
	t->hlim = lim;
	t->hoff = off;
	t->hwh = wh;
	t->nhwh = nwh;
	t->nhfcols = -2; /* not yet known */
	sdb_sql_arena_init(&t->kmem);
	sdb_buf_init(&t->hvec);
}

/* Adds the columns of the level p reads to t->hfcols. @return 0, or -1
 * when p reads more than columns (a correlated subquery) or too many. */
static int hnsw_cols(struct tscan *t, const struct xp *p)
{
	if (!p)
		return 0;
	switch (p->op) {
	case X_COL:
		if (p->cur == t->s->cur) {
			int found = 0;
			for (int i = 0; i < t->nhfcols && !found; i++)
				found = t->hfcols[i] == p->col;
			if (!found && t->nhfcols == SQL_HNSW_FCOLS)
				return -1;
			if (!found)
				t->hfcols[t->nhfcols++] = p->col;
		}
		break;
	case X_AGG:
	case X_OUTCOL:
	case X_WINDOW:
		return -1;
	case X_SCALAR:
	case X_EXISTS:
	case X_INSUB:
		if (!p->sub || p->sub->correlated)
			return -1;
		break;
	default:
		break;
	}
	if (hnsw_cols(t, p->l) || hnsw_cols(t, p->r) || hnsw_cols(t, p->t))
		return -1;
	for (int i = 0; i < p->na; i++)
		if (hnsw_cols(t, p->a[i]))
			return -1;
	return 0;
}

/* Whether the column of p is the level's and ordered as numbers (an
 * INTEGER, REAL or NUMERIC column, or the rowid). */
static int hnsw_numcol(const struct tscan *t, const struct xp *p)
{
	if (p->op != X_COL || p->cur != t->s->cur)
		return 0;
	if (p->col == t->s->ncol || p->col == t->tab->ipk)
		return 1;
	enum sql_aff a = t->tab->cols[p->col].aff;
	return a == SQL_AFF_INTEGER || a == SQL_AFF_REAL || a == SQL_AFF_NUMERIC;
}

/* A bound of a range: 1 a number, 0 NULL (nothing passes), -1 not a
 * number (no range), or an error. */
static int hnsw_bound(struct tscan *t, struct ectx *x, const struct xp *k, double *out)
{
	struct sql_value v;
	int rc;

	if (!sql_xp_free_of(k, t->s->cur))
		return -1;
	if ((rc = xp_eval(x, k, &v)))
		return rc < 0 ? rc : -1;
	/* the column's numeric affinity goes to the other side */
	sql_value_apply_aff(&v, SQL_AFF_NUMERIC, x->mem);
	if (v.type == SQLV_NULL)
		return 0;
	if (v.type == SQLV_INT)
		*out = (double)v.u.i;
	else if (v.type == SQLV_REAL && !isnan(v.u.r))
		*out = v.u.r;
	else
		return -1;
	return 1;
}

/*
 * The numeric range conjunct p implies on a column of the level (col <,
 * <=, >, >=, = a value, or BETWEEN two): 1 with *g set, 0 none, or an
 * error. A range only narrows the candidates: each is tested on the
 * whole filter, so it may be wider than the conjunct, never narrower (a
 * bound that rounds in a double is widened by the equal case).
 */
static int hnsw_range(struct tscan *t, struct ectx *x, const struct xp *p,
		      struct sql_hnsw_range *g)
{
	double v, w;
	int b1, b2;

	memset(g, 0, sizeof(*g));
	if (p->op == X_BETWEEN && !p->not_ && hnsw_numcol(t, p->l)) {
		if ((b1 = hnsw_bound(t, x, p->r, &v)) < -1 || (b2 = hnsw_bound(t, x, p->t, &w)) < -1)
			return b1 < -1 ? b1 : b2;
		if (b1 < 0 || b2 < 0)
			return 0;
		g->col = p->l->col;
		g->empty = !b1 || !b2;
		g->has_lo = g->has_hi = g->lo_incl = g->hi_incl = 1;
		g->lo = v;
		g->hi = w;
		return 1;
	}
	if (p->op != X_CMP)
		return 0;
	int op = p->sop;
	const struct xp *k;
	if (hnsw_numcol(t, p->l))
		k = p->r, g->col = p->l->col;
	else if (hnsw_numcol(t, p->r)) {
		k = p->l, g->col = p->r->col;
		op = op == SQL_OP_LT ? SQL_OP_GT : op == SQL_OP_GT ? SQL_OP_LT :
		     op == SQL_OP_LE ? SQL_OP_GE : op == SQL_OP_GE ? SQL_OP_LE : op;
	} else
		return 0;
	if (op != SQL_OP_LT && op != SQL_OP_LE && op != SQL_OP_GT && op != SQL_OP_GE &&
	    op != SQL_OP_EQ)
		return 0;
	if ((b1 = hnsw_bound(t, x, k, &v)) < -1)
		return b1;
	if (b1 < 0)
		return 0;
	g->empty = !b1;
	if (op != SQL_OP_GT && op != SQL_OP_GE) {
		g->has_hi = 1;
		g->hi = v;
		g->hi_incl = 1; /* < v as <= v: the test decides */
	}
	if (op != SQL_OP_LT && op != SQL_OP_LE) {
		g->has_lo = 1;
		g->lo = v;
		g->lo_incl = 1;
	}
	return 1;
}

/* Whether the level's current row passes its conjuncts: 1, 0 or an error. */
static int hnsw_conj(struct tscan *t)
{
	struct ectx *x = &t->hctx;
	int rc;

	sdb_sql_arena_reset(&t->kmem);
	for (int i = 0; i < t->nhwh; i++) {
		int tv;
		if ((rc = xp_truth(x, t->hwh[i], &tv)))
			return rc;
		if (tv != 1)
			return 0;
	}
	return 1;
}

/* Whether row rowid passes the level's conjuncts (read by rowid). */
static int hnsw_pass(void *arg, int64_t rowid)
{
	struct tscan *t = arg;
	int rc = fetch_rowid(t, &t->hctx, rowid);

	return rc <= 0 ? rc : hnsw_conj(t);
}

/* The same on the columns the conjuncts read (the others are not read). */
static int hnsw_test(void *arg, const int *cols, const struct sql_value *vals, int n)
{
	struct tscan *t = arg;

	for (int i = 0; i < n; i++)
		t->row[cols[i]] = vals[i];
	t->s->cur->row = t->row;
	return hnsw_conj(t);
}

/* The rowids of the path's index range: the candidates of the exact k-NN. */
static int hnsw_cands(void *arg, sql_hnsw_rowid_fn fn, void *fa)
{
	struct tscan *t = arg;
	struct ectx *x = &t->hctx;
	struct sdb_txn_iter *it = NULL;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	int rc;

	t->done = 0;
	t->keys_only = 1;
	rc = path_rewind(t, x);
	t->keys_only = 0;
	if (rc || t->done) {
		t->done = 0;
		return rc; /* an error, or an empty range */
	}
	sdb_buf_add(&lo, t->kb.data, t->kb.len);
	sdb_buf_add(&hi, t->hb.data, t->hb.len);
	if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi))
		rc = sql_oom(x->e);
	else if (!(rc = sdb_txn_iter_open(t->txn, lo.data, lo.len, hi.len ? hi.data : NULL, hi.len,
					  0, &it, x->e)))
		for (;;) {
			const unsigned char *k;
			size_t kn;
			struct sdb_val v;
			int64_t rid;
			if ((rc = sdb_txn_iter_next(it, &k, &kn, &v, x->e)) <= 0)
				break;
			if ((rc = sql_idxkey_rowid_of(t->idx, k, kn, &rid, x->e)) || (rc = fn(fa, rid)))
				break;
		}
	sdb_txn_iter_close(it);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return rc < 0 ? rc : 0;
}

/* A value into a filter signature: type, subtype, then its bytes. */
static void sig_val(struct sdb_buf *b, const struct sql_value *v)
{
	unsigned char h[2] = { v->type, v->sub };

	sdb_buf_add(b, h, 2);
	if (v->type == SQLV_INT || v->type == SQLV_REAL)
		sdb_buf_add(b, &v->u, 8);
	else if (v->type == SQLV_TEXT || v->type == SQLV_BLOB) {
		sdb_buf_add(b, &v->n, sizeof v->n);
		sdb_buf_add(b, v->u.z, v->n);
	}
}

/*
 * Appends conjunct p's signature to b: its operators with their
 * affinities and collations, this table's columns, the constants and the
 * parameters' bound values, so that two equal signatures on one snapshot
 * give every row the same truth. @return 0, or 1 when p reads what the
 * signature cannot hold (a function, a subquery, the clock, another
 * table's column): no signature.
 */
static int hnsw_sig(const struct tscan *t, struct ectx *x, const struct xp *p, struct sdb_buf *b)
{
	struct sql_value v;

	if (!p) {
		sdb_buf_add(b, "\377", 1);
		return 0;
	}
	unsigned char h[7] = { p->op, p->aff, p->coll, p->has_coll, p->not_, p->fast, 0 };
	sdb_buf_add(b, h, sizeof h);
	sdb_buf_add(b, &p->sop, sizeof p->sop);
	sdb_buf_add(b, &p->na, sizeof p->na);
	switch (p->op) {
	case X_CONST:
		sig_val(b, &p->k);
		return 0;
	case X_PARAM:
		if (xp_eval(x, p, &v))
			return 1;
		sig_val(b, &v);
		return 0;
	case X_COL:
		if (p->cur != t->s->cur)
			return 1;
		sdb_buf_add(b, &p->col, sizeof p->col);
		return 0;
	case X_CAST:
		if (p->k.u.z)
			sdb_buf_add(b, p->k.u.z, strlen(p->k.u.z) + 1);
		break;
	case X_AND: case X_OR: case X_NOT: case X_CMP: case X_IS: case X_BIN: case X_UN:
	case X_CONCAT: case X_BETWEEN: case X_INLIST: case X_ISNULL: case X_NOTNULL:
	case X_LIKE: case X_GLOB: case X_CASE: case X_COLLATE:
		break;
	default:
		return 1;
	}
	if (hnsw_sig(t, x, p->l, b) || hnsw_sig(t, x, p->r, b) || hnsw_sig(t, x, p->t, b))
		return 1;
	for (int i = 0; i < p->na; i++)
		if (hnsw_sig(t, x, p->a[i], b))
			return 1;
	return 0;
}

/*
 * Decides (and unless plan_only runs) the HNSW path: t->hmode 1 with the
 * rows in t->hrows, or 0 for the exact scan. A query that is not a vector
 * of the index's dimension, a LIMIT below 0, or no database goes to the
 * exact scan, which gives SQL's answer (NULL distances, errors).
 */
static int hnsw_rewind(struct tscan *t, struct ectx *x, int plan_only, struct sql_hnsw_query *hq)
{
	const struct sql_hnsw_def *d = t->hx->hnsw;
	struct sql_wstate *w = x->c->wr;
	struct sql_value v;
	int64_t lim, off = 0;
	uint32_t dim;
	int rc;

	memset(hq, 0, sizeof(*hq));
	hq->path = SQL_HNSW_EXACT;
	t->hmode = 0;
	sql_hnsw_query_free(&t->hres);
	t->hpos = 0;
	t->hcover = 0;
	if (!t->txn)
		return 0;
	if ((rc = xp_eval(x, t->hlim, &v)))
		return rc;
	sql_value_apply_aff(&v, SQL_AFF_NUMERIC, x->mem);
	if (v.type != SQLV_INT || v.u.i < 0)
		return 0;
	lim = v.u.i;
	if (t->hoff) {
		if ((rc = xp_eval(x, t->hoff, &v)))
			return rc;
		sql_value_apply_aff(&v, SQL_AFF_NUMERIC, x->mem);
		if (v.type == SQLV_INT && v.u.i > 0)
			off = v.u.i;
	}
	if (lim + off > SQL_HNSW_MAX_K || lim > SQL_HNSW_MAX_K || off > SQL_HNSW_MAX_K)
		return sdb_error_set(x->e, SDB_ELIMIT,
				     "k-NN through hnsw index %s: LIMIT + OFFSET %lld is above the cap of %d",
				     t->hx->name, (long long)(lim + off), SQL_HNSW_MAX_K);
	if (lim == 0)
		return 0;
	if ((rc = xp_eval(x, t->hq, &v)))
		return rc;
	sdb_buf_reset(&t->hvec);
	if (v.type == SQLV_BLOB) {
		if (v.n != d->dim * 4)
			return 0;
		sdb_buf_add(&t->hvec, v.u.z, v.n);
	} else if (v.type == SQLV_TEXT) {
		struct sdb_error pe = { 0 };
		const float *f;
		if (sql_vec_parse_cached(v.u.z, v.n, 1, &f, &dim, &pe) || dim != d->dim)
			return 0;
		sdb_buf_add(&t->hvec, f, (size_t)dim * sizeof(float));
	} else
		return 0;
	if (!sdb_buf_ok(&t->hvec))
		return sql_oom(x->e);
	for (uint32_t i = 0; i < d->dim; i++) {
		float f;
		memcpy(&f, t->hvec.data + 4 * i, 4);
		if (!isfinite(f))
			return 0;
	}
	t->hctx = *x;
	t->hctx.mem = &t->kmem;
	hq->x = t->hx;
	hq->q = (const float *)(const void *)t->hvec.data;
	hq->k = (uint32_t)(lim + off);
	/* the default: max(96, 2k) (ef 64 gives recall@10 0.93-0.95 on 100k x
	 * 128 in 50 clusters, t/stress/2302; 96 gives 0.99) */
	hq->ef = w->hnsw_ef_search ? w->hnsw_ef_search : (hq->k * 2 > 96 ? hq->k * 2 : 96);
	hq->pass = t->nhwh ? hnsw_pass : NULL;
	hq->arg = t;
	if (t->nhfcols == -2) {
		t->nhfcols = 0;
		for (int i = 0; i < t->nhwh && t->nhfcols >= 0; i++)
			if (hnsw_cols(t, t->hwh[i]))
				t->nhfcols = -1;
	}
	hq->fcols = t->hfcols;
	hq->nfcols = t->nhfcols;
	hq->test = hnsw_test;
	hq->cands = t->path == P_INDEX_EQ && !t->tab->without_rowid && !t->inx ? hnsw_cands : NULL;
	struct sql_hnsw_range rg[SQL_HNSW_RANGES];
	hq->ranges = rg;
	hq->nranges = 0;
	for (int i = 0; i < t->nhwh && hq->nranges < SQL_HNSW_RANGES; i++) {
		if ((rc = hnsw_range(t, &t->hctx, t->hwh[i], &rg[hq->nranges])) < 0)
			return rc;
		hq->nranges += rc;
	}
	/* the filter's signature: its answers by node are kept while it
	 * repeats */
	struct sdb_buf sig = SDB_BUF_INIT;
	int nosig = !t->nhwh || t->nhfcols < 0;
	for (int i = 0; i < t->nhwh && !nosig; i++)
		nosig = hnsw_sig(t, &t->hctx, t->hwh[i], &sig);
	if (!nosig && sdb_buf_ok(&sig)) {
		hq->fsig = sig.data;
		hq->nfsig = sig.len;
	}
	hq->plan_only = plan_only;
	hq->ef_default = !w->hnsw_ef_search;
	hq->exact_scan = t->path == P_FULL || t->path == P_HASH;
	hq->exact_rows = w->hnsw_exact_rows - 1;
	rc = sql_hnsw_knn(w, t->txn, hq, x->e);
	hq->ranges = NULL;
	hq->fsig = NULL;
	sdb_buf_release(&sig);
	if (rc || (hq->path != SQL_HNSW_GRAPH && !hq->exact_done) || plan_only) {
		sql_hnsw_query_free(hq);
		return rc;
	}
	t->hmode = 1;
	t->hres = *hq;
	memset(hq, 0, sizeof(*hq));
	/* rows from the index's values alone when the query reads no other
	 * column (l2 and ip: the base holds the column's bytes) */
	t->hcover = t->hres.rcover && t->s->used;
	for (int c = 0; c <= t->s->ncol && t->hcover; c++) {
		if (!((t->s->used[c >> 6] >> (c & 63)) & 1) || c == t->s->ncol ||
		    c == t->tab->ipk || c == d->col)
			continue;
		int found = 0;
		for (int j = 0; j < t->hres.nrcol && !found; j++)
			found = t->hres.rcol[j] == c;
		t->hcover = found;
	}
	return 0;
}

int tscan_knn_ordered(const struct tscan *t)
{
	return t->hx && t->hmode && t->hx->hnsw->metric == SDB_VEC_L2;
}

const char *tscan_knn_explain(struct tscan *t, struct ectx *x)
{
	struct sql_hnsw_query hq;
	const char *nm = t->s->name ? t->s->name : t->tab->name;
	char as[200] = "";

	if (t->s->name && strcasecmp(t->s->name, t->tab->name))
		snprintf(as, sizeof as, " AS %s", t->s->name);
	(void)nm;
	t->txn = sql_conn_txn(x->c);
	if (!t->hx || hnsw_rewind(t, x, 1, &hq)) {
		sdb_error_clear(x->e);
		snprintf(t->heqp, sizeof t->heqp, "%s (exact k-NN)", tscan_explain(t));
		return t->heqp;
	}
	if (hq.path == SQL_HNSW_GRAPH && !t->nhwh)
		snprintf(t->heqp, sizeof t->heqp, "SEARCH %s%s USING HNSW INDEX %s", t->tab->name, as,
			 t->hx->name);
	else if (hq.path == SQL_HNSW_GRAPH)
		snprintf(t->heqp, sizeof t->heqp, "SEARCH %s%s USING HNSW INDEX %s (filtered, est. %.1f%%)",
			 t->tab->name, as, t->hx->name, hq.est * 100);
	else if (t->nhwh && hq.est < 1)
		snprintf(t->heqp, sizeof t->heqp, "%s (exact k-NN, filter est. %.1f%%)", tscan_explain(t),
			 hq.est * 100);
	else
		snprintf(t->heqp, sizeof t->heqp, "%s (exact k-NN)", tscan_explain(t));
	return t->heqp;
}

const char *tscan_explain(const struct tscan *t)
{
	if (t->path == P_INDEX_EQ)
		set_eqp_index((struct tscan *)t); /* covering is known by now */
	return t->eqp;
}
