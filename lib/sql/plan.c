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
#include "sql/plan.h"

#include <stdlib.h>
#include <string.h>

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
	uint64_t me = j < 63 ? 1ull << j : 1ull << 62;
	double filt = 1;
	for (int c = 0; c < in->nconj; c++) {
		struct xp *x = in->conj_x[c];
		if (!x)
			continue;
		uint64_t d = in->conj_deps[c] & ~(1ull << 63);
		if (!(d & me) || (d & ~(bound | me)))
			continue;
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
		bound |= bestj < 63 ? 1ull << bestj : 1ull << 62;
	}
	free(done);
	return 0;
}

/* ------------------------------------------------------------ table scans */

struct tscan {
	struct src *s;
	int pos;
};

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
	t->pos = pos;
	return t;
}

int tscan_rewind(struct tscan *t, struct ectx *x)
{
	return sdb_error_set(x->e, SDB_EUNSUPPORTED,
			     "reading table %s: table storage is not there yet",
			     t->s->tab->name);
}

int tscan_next(struct tscan *t, struct ectx *x)
{
	return 0;
}

void tscan_free(struct tscan *t)
{
	free(t);
}

const char *tscan_explain(const struct tscan *t)
{
	return "SCAN";
}
