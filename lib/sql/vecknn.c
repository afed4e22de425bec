/*
 * vecknn.c - recognising k-NN queries (vecknn.h): ORDER BY
 * vec_distance_*(col, ?) LIMIT k over one table. Such a query is
 * answered by one scan with a top-k of the distances (exec.c's bounded
 * sort), and EXPLAIN QUERY PLAN says "SCAN t (exact k-NN)".
 */
#include "sql/vecknn.h"

#include "sql/vec.h"

#include <string.h>

int sql_xp_free_of(const struct xp *p, const struct cursor *cur)
{
	if (!p)
		return 1;
	switch (p->op) {
	case X_COL:
		return p->cur != cur;
	case X_AGG:
	case X_OUTCOL:
	case X_WINDOW:
		return 0;
	case X_SCALAR:
	case X_EXISTS:
	case X_INSUB:
		if (!p->sub || p->sub->correlated)
			return 0;
		break;
	default:
		break;
	}
	if (!sql_xp_free_of(p->l, cur) || !sql_xp_free_of(p->r, cur) || !sql_xp_free_of(p->t, cur))
		return 0;
	for (int i = 0; i < p->na; i++)
		if (!sql_xp_free_of(p->a[i], cur))
			return 0;
	return 1;
}

int sql_vec_knn_key(const struct xp *key, const struct cursor *cur,
		    struct sql_vknn *out)
{
	int metric;
	if (!key || key->op != X_FUNC || !key->fn || key->na != 2 || !cur ||
	    !sql_vec_distance_name(key->fn->name, strlen(key->fn->name), &metric))
		return 0;
	for (int i = 0; i < 2; i++) {
		const struct xp *c = key->a[i], *q = key->a[1 - i];
		if (c->op == X_COL && c->cur == cur && c->col < cur->ncol && sql_xp_free_of(q, cur)) {
			out->metric = metric;
			out->col = c->col;
			out->query = q;
			return 1;
		}
	}
	return 0;
}
