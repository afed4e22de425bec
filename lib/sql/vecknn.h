/*
 * vecknn.h - private to the query side: the shape of a k-NN query,
 * ORDER BY vec_distance_*(col, q) LIMIT k over one table (directly or
 * through a result alias), as the executor's plan wording and its paths
 * see it. Owner: vecknn.c.
 */
#ifndef SDB_SQL_VECKNN_H
#define SDB_SQL_VECKNN_H

#include "sql/exec_int.h"

struct sql_vknn {
	int metric;               /* enum sdb_vec_metric */
	int col;                  /* the vector column of the table */
	const struct xp *query;   /* the other argument: no column of the table */
};

/*
 * Whether the compiled ORDER BY key is vec_distance_l2/_ip/_cosine with
 * one argument a column read through cur and the other free of cur's
 * columns and of correlated subqueries. @return 1 (*out filled) or 0.
 */
int sql_vec_knn_key(const struct xp *key, const struct cursor *cur,
		    struct sql_vknn *out);

/* 1 when p reads no column of cur and no correlated subquery. */
int sql_xp_free_of(const struct xp *p, const struct cursor *cur);

#endif
