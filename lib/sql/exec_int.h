/*
 * exec_int.h - private to the query side of lib/sql (sql.c, expr.c,
 * exec.c): compiled expressions, cursors, select plans, row stores and
 * hash tables.
 *
 * DESIGN. A statement is compiled once: names are bound to cursors (one
 * per FROM item, allocated in the plan's arena, so a column reference is
 * a pointer and an index), expressions become trees of `struct xp` nodes
 * evaluated by one switch, constants folded into values. At run time
 * every cursor holds its current row as an array of values; an
 * expression reads them, and its temporaries go to the plan's per-row
 * arena (reset between rows), so a row costs no malloc. Sorts, DISTINCT,
 * GROUP BY and materialized subqueries copy the values they keep into
 * their own arenas.
 */
#ifndef SDB_SQL_EXEC_INT_H
#define SDB_SQL_EXEC_INT_H

#include <stdint.h>

#include "sql/ast.h"
#include "sql/catalog.h"
#include "sql/conn.h"
#include "sql/exec.h"
#include "sql/parse.h"
#include "sql/value.h"
#include "store/txn.h"
#include "util/buf.h"
#include "util/err.h"

struct sel;
struct core;

/* ------------------------------------------------------------ handle */

struct param {
	size_t off;              /* the token's offset in the source */
	int idx;                 /* 1-based number */
};

struct rowbuf {                  /* rows a write statement hands back */
	struct sdb_sql_arena mem;
	struct sql_value *v;     /* nrows * ncols */
	long nrows, cap, pos;
};

struct sql_stmt_h {
	struct sql_conn *c;
	struct sdb_sql_arena arena;  /* parse tree, names, the plan */
	const char *src;             /* the text given to prepare (copy) */
	size_t srclen;
	struct sql_stmt *st;
	/* parameters, by number 1..nparam */
	int nparam;
	char **pname;                /* [nparam + 1], NULL for ?NNN */
	struct sql_value *pval;      /* [nparam + 1] */
	char **pbytes;               /* owned copies of TEXT/BLOB bytes */
	size_t *pcap;                /* their buffers' sizes */
	struct param *ptok;          /* every parameter token, by offset */
	int nptok;
	/* a SELECT */
	struct sql_query *q;
	uint64_t q_gen;              /* schema_gen it was bound against */
	/* other statements */
	int ncols;
	char **colnames;
	struct rowbuf rows;
	int state;                   /* 0 not started, 1 running, 2 done */
	int64_t now_ms;
	int explain_qp;
	uint64_t fresh;              /* sql_prepare_now: the snapshot's stamp */
	int noread;                  /* a SELECT of constants alone: reads no store */
	/* a k-NN statement kept for its shape (sql.c): its query vector's
	 * literal is hidden parameter 1 (nhidden), the text around it
	 * src[0..kpre) and src[kpost..srclen); ksrc owns src */
	int nhidden, done_ok, kdrop;
	size_t kpre, kpost, kcap;
	char *ksrc;
};

/* The number of the parameter whose token starts at off, or 0. */
int sql_param_at(const struct sql_stmt_h *h, size_t off);

/* ------------------------------------------------------------ cursors */

struct cursor {
	struct sql_value *row;       /* current row [ncol + 1]: rowid at ncol */
	int ncol;
	uint8_t nullrow;             /* LEFT JOIN without a match: all NULL */
	int id;                      /* position in the FROM clause (for EQP) */
	void *fts;                   /* an FTS table's scan (fts_exec.c), or NULL */
};

/* ------------------------------------------------------------ expressions */

enum xop {
	X_CONST, X_PARAM, X_COL, X_AGG, X_OUTCOL,
	X_AND, X_OR, X_NOT, X_CMP, X_IS, X_BIN, X_UN, X_CONCAT,
	X_BETWEEN, X_INLIST, X_INSUB, X_ISNULL, X_NOTNULL,
	X_LIKE, X_GLOB, X_CASE, X_CAST, X_FUNC, X_EXISTS, X_SCALAR,
	X_COLLATE, X_CTIME, X_RAISE, X_WINDOW,
	X_FTS,                       /* MATCH and FTS5's functions (fts_exec.h) */
};

struct subq;

struct xp {
	uint8_t op;                  /* enum xop */
	uint8_t aff;                 /* the expression's affinity, 0 none */
	uint8_t coll;                /* collation (with has_coll: explicit) */
	uint8_t has_coll;
	uint8_t not_;
	uint8_t is_const;            /* no column, no parameter, no subquery */
	uint8_t fast;                /* X_BETWEEN: an INTEGER-compared column between two integer constants */
	int sop;                     /* SQL_OP_* (X_CMP, X_IS, X_BIN, X_UN) */
	struct sql_value k;          /* X_CONST; X_CAST: k.u.z is the type */
	struct cursor *cur;          /* X_COL */
	int col;                     /* X_COL: column (ncol: rowid); X_AGG/X_OUTCOL: slot; X_PARAM: number */
	struct xp *l, *r, *t;
	struct xp **a;               /* X_FUNC args, X_INLIST items, X_CASE pairs */
	int na;
	const struct sql_func_def *fn;
	struct subq *sub;            /* X_INSUB, X_EXISTS, X_SCALAR */
	struct aggset *ag;           /* X_AGG: whose slots */
	struct sql_value *const *vec; /* X_OUTCOL: reads (*vec)[col] */
	struct vset *set;            /* X_INLIST of constants: a hash set */
};

/* The aggregates of one select core: definitions and, while a group is
 * output, their results (out[slot]). */
struct aggdef {
	const struct sql_func_def *fn;
	struct xp **args;
	int na;
	uint8_t distinct;
	struct xp *filter;
};
struct aggset {
	struct aggdef *d;
	int n, cap;
	struct sql_value *out;
};

/* Evaluation context: the statement (parameters, 'now'), the arena for
 * temporaries. */
struct ectx {
	struct sql_stmt_h *h;
	struct sql_conn *c;
	struct sdb_sql_arena *mem;
	struct sdb_error *e;
};

int xp_eval_full(struct ectx *x, const struct xp *p, struct sql_value *out);
/* Evaluates p into *out (temporaries in x->mem): a column or a constant
 * at once (every column of every row goes through here), the rest by
 * xp_eval_full. @return 0 or an error. */
static inline int xp_eval(struct ectx *x, const struct xp *p, struct sql_value *out)
{
	if (p->op == X_COL && !p->cur->nullrow) {
		*out = p->cur->row[p->col];
		return 0;
	}
	if (p->op == X_CONST) {
		*out = p->k;
		return 0;
	}
	return xp_eval_full(x, p, out);
}
/* xp_eval with a bare column read in place (the hot path of joins and
 * GROUP BY). */
static inline int xp_value(struct ectx *x, const struct xp *p, struct sql_value *out)
{
	if (p->op == X_COL) {
		if (p->cur->nullrow)
			*out = sql_null();
		else
			*out = p->cur->row[p->col];
		return 0;
	}
	return xp_eval(x, p, out);
}
/* Truth of p: 1 true, 0 false, -1 NULL, or an error (< -1 never: errors
 * are returned as the negative code, so compare with SDB_* codes). */
int xp_truth(struct ectx *x, const struct xp *p, int *t);

/* ------------------------------------------------------------ binding */

struct src;
/* Column col of s is read (the used bit and its reference count). */
void src_use(struct src *s, int col);
/* Gives back the references of a compiled expression's columns of s. */
void src_unuse_xp(struct src *s, const struct xp *x);

/* One FROM item as names see it. */
struct src {
	const char *name;            /* alias, else table/CTE/view name */
	const struct sql_table_def *tab; /* a base table, or NULL */
	int ncol;
	const char **cols;           /* column names */
	const char **decl;           /* declared types (may be NULL entries) */
	uint8_t *aff;
	uint8_t *coll;
	uint8_t *hide;               /* USING/NATURAL: hidden from * and unqualified names */
	int has_rowid;
	struct cursor *cur;
	uint64_t *used;              /* bitmap of columns read (ncol + 1 bits) */
	uint32_t *nuse;              /* references to each column (ncol + 1): a
	                              * conjunct the access path answers gives
	                              * its own back (src_unuse) */
	int nvisible;                /* > 0: only the first nvisible columns in * */
	struct xp *fts_arg;          /* FTS table t('query'): the query */
	struct xp **ucol;            /* RIGHT/FULL JOIN USING: what an unqualified
	                                name (and *) reads for a column, or NULL */
};

struct scope {
	struct scope *up;
	struct src *src;
	int nsrc;
	struct aggset *ag;           /* aggregates go here (NULL: none allowed) */
	struct winset *win;          /* window functions go here (NULL: none allowed) */
	struct sel *sel;             /* the select this scope belongs to */
	int agg_ok;                  /* aggregate functions allowed here */
	int in_agg;                  /* inside an aggregate's arguments */
	int correlated;              /* set when a name bound outside */
	/* result-column aliases for WHERE/GROUP BY/HAVING/ORDER BY */
	struct sql_rescol **rcols;
	int nrcols;
	int alias_ok;
};

/* Every select and subquery compiled for one statement (freed together). */
struct qall {
	struct sel *sels;
	struct subq *subs;
};
void sel_free_all(struct qall *a);

struct bctx {                    /* binding/compiling a statement */
	struct sql_conn *c;
	struct sql_stmt_h *h;
	struct sdb_sql_arena *a;
	struct sdb_error *e;
	const char *src;             /* source text for names */
	int depth;
	struct ctedef *ctes;         /* WITH in scope (innermost first) */
	struct ctedef *pending_rec;  /* the next select compiled is this CTE's */
	struct qall *all;
};

int xp_compile(struct bctx *b, struct scope *s, const struct sql_expr *x,
	       struct xp **out);
/* Puts the common table expressions of @w in scope (innermost first). */
int bctx_with(struct bctx *b, const struct sql_with *w);
/* The WITH clause before an INSERT, UPDATE or DELETE, which every select
 * and expression of the statement sees (as SQLite scopes it). */
static inline int bctx_stmt_with(struct bctx *b)
{
	const struct sql_stmt *st = b->h ? b->h->st : NULL;
	return st && st->kind != SQL_S_SELECT && st->with ? bctx_with(b, st->with) : 0;
}
/* A compiled constant. */
struct xp *xp_const(struct bctx *b, struct sql_value v);

/* ------------------------------------------------------------ subqueries */

struct subq {
	struct sel *sel;
	int correlated;
	int done;                    /* uncorrelated: result cached */
	struct sql_value v;          /* X_SCALAR: cached value */
	int exists;                  /* X_EXISTS cached */
	struct vset *set;            /* X_INSUB cached: the values */
	struct sql_hfile *hf;        /* ... past the memory limit: in a hash file instead */
	long nset;                   /* ... how many (not NULL) */
	int has_null;                /* ... and whether a NULL was among them */
	struct sdb_sql_arena mem;    /* cached bytes */
	struct subq *next;           /* qall */
};

/* ------------------------------------------------------------ rows in memory */

/* A hash set/map of value tuples (DISTINCT, IN, GROUP BY, hash join). */
struct vset;
struct vset *vset_new(int nkey, size_t payload);
/* Collation of key i (default BINARY). */
void vset_coll(struct vset *s, int i, enum sql_coll coll);
void vset_free(struct vset *s);
/* Finds key k[0..nkey); inserts it (copied) when absent and ins.
 * @return the entry's payload (zeroed when new; *isnew set), or NULL:
 * absent (ins 0) or out of memory (*isnew = -1). */
void *vset_get(struct vset *s, const struct sql_value *k, int ins, int *isnew);
long vset_count(const struct vset *s);
/* Entries in insertion order: key values and payload. */
const struct sql_value *vset_key(const struct vset *s, long i);
void *vset_payload(const struct vset *s, long i);
/* Arena of the set (for payload bytes that live as long as it). */
struct sdb_sql_arena *vset_arena(struct vset *s);
/* Next entry with the same hash chain as a found one (hash join with
 * duplicate keys is done with a list in the payload instead). */

/* ------------------------------------------------------------ selects */

struct sel *sel_compile(struct bctx *b, struct scope *up,
			const struct sql_select *s, int *correlated);
int sel_open(struct sel *q, struct ectx *x);   /* rewind */
int sel_step(struct sel *q, struct ectx *x);   /* 1 row, 0 end */
int sel_ncols(const struct sel *q);
const struct sql_value *sel_row(const struct sel *q);
void sel_free(struct sel *q);
const char *sel_colname(const struct sel *q, int i);
const char *sel_decltype(const struct sel *q, int i);
uint8_t sel_aff(const struct sel *q, int i);
/* EXPLAIN QUERY PLAN lines into rows (id, parent, notused, detail). */
int sel_explain(struct sel *q, struct sql_stmt_h *h, struct sdb_error *e);

struct sql_query {
	struct sql_conn *c;
	struct sql_stmt_h *h;
	struct sdb_sql_arena arena;  /* the plan */
	struct sdb_sql_arena mem;    /* per-row temporaries */
	struct sel *sel;
	struct qall all;
	int opened;
	struct sdb_error *e;
};

int sql_query_compile(struct sql_conn *c, struct sql_stmt_h *h,
		      const struct sql_select *sel, struct sql_query **out,
		      struct sdb_error *e);
int sql_query_rewind(struct sql_query *q);

/* ------------------------------------------------------------ the connection
 * conn.c: the store handle, the schema and the read snapshot, through the
 * writer side's write.h once it is there. */
int sql_conn_start(struct sql_conn *c, struct sdb_error *e);
void sql_conn_end(struct sql_conn *c);
/* The catalog current (loaded or reloaded) before names are bound. */
int sql_conn_schema(struct sql_conn *c, struct sdb_error *e);
/* The stamp of the snapshot the last sql_conn_schema refreshed while no
 * transaction has opened on it since, or 0. */
uint64_t sql_conn_fresh(struct sql_conn *c);
/* A statement that reads nothing ran: the stamp is used up as a read's
 * would be (a statement prepared before it looks at the files again). */
void sql_conn_fresh_spent(struct sql_conn *c);
/* A SELECT starts and ends reading (a snapshot outside BEGIN; fresh, a
 * stamp of sql_conn_fresh: that snapshot while it is still unused). */
int sql_conn_read_begin(struct sql_conn *c, uint64_t fresh, struct sdb_error *e);
void sql_conn_read_end(struct sql_conn *c);
/* A table or view by name, or NULL. */
const struct sql_table_def *sql_conn_table(struct sql_conn *c, const char *name);
/* The transaction reads go through (NULL: no database yet). */
struct sdb_txn *sql_conn_txn(struct sql_conn *c);
/* The connection's pending FTS5 postings written to its transaction
 * (before an index is read). @return 0 or an error. */
int sql_conn_fts_flush(struct sql_conn *c, struct sdb_error *e);
/* PRAGMA fts_prune: whether ORDER BY rank LIMIT k may prune (1, the
 * default) or scores every match (0). */
int sql_conn_fts_prune(struct sql_conn *c);
/* The result columns of a RETURNING or PRAGMA statement, set at prepare
 * (write.h's sql_write_columns), so sql_column_count knows them first. */
int sql_conn_columns(struct sql_conn *c, struct sql_stmt_h *h, const struct sql_stmt *st,
		     struct sdb_error *e);
/* A statement that is not a SELECT (write.h's sql_write_stmt). */
int sql_conn_write(struct sql_conn *c, struct sql_stmt_h *h,
		   const struct sql_stmt *st, struct sdb_error *e);

/* ------------------------------------------------------------ json.c
 * The -> and ->> operators as functions; json_each/json_tree as
 * table-valued functions in FROM (columns key, value, type, atom, id,
 * parent, fullkey, path and the hidden json, root). */
const struct sql_func_def *sql_json_ptr_func(int two);
struct tvf;
int sql_tvf_find(const char *name, int *tree);     /* 1: a table-valued function */
const char *const *sql_tvf_columns(int *ncol, int *nvisible);
struct tvf *sql_tvf_new(int tree, struct xp **args, int nargs);
void sql_tvf_free(struct tvf *t);
int sql_tvf_rewind(struct tvf *t, struct ectx *x); /* evaluates the arguments */
int sql_tvf_next(struct tvf *t, struct sql_value **row);

/* ------------------------------------------------------------ window.c
 * Window functions of one select core: calls compiled into output slots,
 * run over the core's rows, which exec.c hands over through win_src. */
struct winset;
struct win_src {
	int (*next)(void *ctx, struct ectx *x);                  /* the core's next row */
	int (*width)(void *ctx);                                /* values of its cursor state */
	void (*flat)(void *ctx, struct sql_value *out);         /* the state as values (not copied) */
	void (*unflat)(void *ctx, struct sql_value *in);        /* the cursors read from them */
};
struct winset *win_new(struct bctx *b, const struct sql_core *core);
void win_set_src(struct winset *w, const struct win_src *src, void *ctx);
int win_compile_call(struct bctx *b, struct scope *s, struct winset *w,
		     const struct sql_expr *x, const struct sql_func_def *fn,
		     int argc, struct xp **out);
int win_has(const struct winset *w);
int win_next(struct winset *w, struct ectx *x);
void win_reset(struct winset *w);
void win_free(struct winset *w);

/* An sdb_error set for out-of-memory. */
int sql_oom(struct sdb_error *e);
char *sql_strdup(struct sdb_sql_arena *a, const char *z, size_t n);

#endif
