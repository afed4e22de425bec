/*
 * fts_exec.h - the hooks of FTS5 tables in the query side (expr.c,
 * plan.c, exec.c call these; fts_exec.c has them).
 */
#ifndef SDB_SQL_FTS_EXEC_H
#define SDB_SQL_FTS_EXEC_H

#include "sql/exec_int.h"

/* struct xp of op X_FTS: col says which (k: the MATCH column filter,
 * -1 none; not_ set once the table's access path answers the MATCH). */
enum { FTSX_MATCH = 1, FTSX_BM25, FTSX_HIGHLIGHT, FTSX_SNIPPET };

int sql_fts_compile_match(struct bctx *b, struct scope *s,
			  const struct sql_expr *x, struct xp **out);
int sql_fts_is_aux(const char *name);
int sql_fts_compile_aux(struct bctx *b, struct scope *s,
			const struct sql_expr *x, struct xp **out);
int sql_fts_eval(struct ectx *x, const struct xp *p, struct sql_value *out);

struct fts_scan;
/* The access path of an FTS table: the MATCH conjuncts among conj whose
 * query bound() says is known before this level. */
struct fts_scan *sql_fts_scan_new(struct bctx *b, struct src *s, struct xp **conj,
				  int n, int (*bound)(void *, const struct xp *),
				  void *bctx);
int sql_fts_scan_rewind(struct fts_scan *f, struct ectx *x, struct sql_value *row);
/* @return 1 a row (the cursor's row set), 0 end, or an error. */
int sql_fts_scan_next(struct fts_scan *f, struct ectx *x);
void sql_fts_scan_free(struct fts_scan *f);
const char *sql_fts_scan_explain(const struct fts_scan *f);
/* ORDER BY rank LIMIT lim OFFSET off over this scan alone: only the best
 * lim + off rows (ties: the smaller rowid) need to come out. */
void sql_fts_scan_topk(struct fts_scan *f, struct xp *lim, struct xp *off);

/* hybrid_search(...) as a FROM item (fts_hybrid.c). */
struct hybrid;
struct sql_source;
int sql_fts_is_hybrid(const char *name);
int sql_fts_hybrid_bind(struct bctx *b, struct scope *up, const struct sql_source *it,
			struct src *s, struct cursor *cur, struct hybrid **out);
int sql_fts_hybrid_rewind(struct hybrid *h, struct ectx *x);
int sql_fts_hybrid_next(struct hybrid *h, struct ectx *x);
void sql_fts_hybrid_free(struct hybrid *h);

#endif
