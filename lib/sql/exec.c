/*
 * exec.c - SELECT: binding a select tree (FROM items, result columns,
 * WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, compounds, VALUES, CTEs,
 * views, subqueries in FROM) into a plan, and running it: a resumable
 * join loop over levels (predicates pushed down to the first level where
 * every column they read is bound), hash aggregation, DISTINCT, the
 * sorter, compound operators, LIMIT/OFFSET. Rows stream out of sel_step
 * one at a time. Access paths (plan.c) decide how each level reads.
 */
#include "sql/exec_int.h"
#include "sql/plan.h"
#include "sql/sorter.h"
#include "sql/fts_exec.h"
#include "sql/fts.h"
#include "sql/vecindex.h"
#include "sql/vecknn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where a connection's sorts and hash tables spill (NULL: $TMPDIR). */
static const char *spill_dir(const struct sql_conn *c)
{
	return c->tmp_dir ? c->tmp_dir : c->dir;
}

/* ------------------------------------------------------------ row stores */

struct rowstore {
	struct sdb_sql_arena mem;
	struct sql_value *v;
	long n, cap;
	int ncol;
};

static void rs_init(struct rowstore *r, int ncol)
{
	memset(r, 0, sizeof(*r));
	sdb_sql_arena_init(&r->mem);
	r->ncol = ncol;
}

static void rs_free(struct rowstore *r)
{
	sdb_sql_arena_release(&r->mem);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

static int rs_add(struct rowstore *r, const struct sql_value *row, int n1,
		  const struct sql_value *row2, int n2)
{
	if (r->n == r->cap) {
		long nc = r->cap ? r->cap * 2 : 64;
		struct sql_value *nv = realloc(r->v, sizeof(*nv) * (size_t)(nc * (r->ncol ? r->ncol : 1)));
		if (!nv)
			return SDB_ENOMEM;
		r->v = nv;
		r->cap = nc;
	}
	struct sql_value *d = &r->v[r->n * r->ncol];
	for (int i = 0; i < n1; i++) {
		d[i] = row[i];
		if (sql_value_copy(&d[i], &r->mem))
			return SDB_ENOMEM;
	}
	for (int i = 0; i < n2; i++) {
		d[n1 + i] = row2[i];
		if (sql_value_copy(&d[n1 + i], &r->mem))
			return SDB_ENOMEM;
	}
	r->n++;
	return 0;
}

/* ------------------------------------------------------------ plan structs */

enum { L_ONE, L_ROWS, L_TABLE, L_REC, L_HYB, L_TVF };

struct level {
	int kind;
	struct src *src;
	struct cursor *cur;
	int left;                    /* LEFT JOIN: a row of NULLs when nothing matches */
	struct xp **on;              /* LEFT: the match condition (ON) */
	int non;
	struct xp **wh;              /* conjuncts evaluated once this level is bound */
	int nwh;
	int matched, nulldone, at_end;
	/* outer joins (join_next): a LEFT/FULL group start's last level; the
	 * group start each `on` conjunct marks matched when all before it
	 * pass; inner levels of a group given its null row */
	int gend;
	int *on_owner;
	uint8_t nskip;               /* 1: give the group's null row, 2: then end */
	int nskip_from;              /* the group start whose null row it is */
	/* RIGHT/FULL: the right side's rows, numbered in scan order, that
	 * matched; after the main loop the others come out with the levels
	 * before it NULL */
	int right;
	long rord;
	uint64_t *rbits;
	long rwords;
	/* L_ONE */
	int one_done;
	/* L_ROWS: a materialized select, its rows in a spool (sorter.h:
	 * memory, then a temporary file past half the memory limit) read
	 * again for each outer row */
	struct sel *sub;
	int sub_corr;
	int stream;                  /* the outermost level: rows straight from sub */
	struct sql_sorter *sp;
	int built;
	/* L_TABLE */
	struct tscan *ts;
	/* L_REC: the row of a recursive CTE being expanded */
	struct sel *recsel;
	/* L_HYB: hybrid_search(...) (fts_hybrid.c) */
	struct hybrid *hy;
	/* L_TVF: a table-valued function (json.c) */
	struct tvf *tvf;
	const struct sql_source *tvf_it;
};

struct core {
	const struct sql_core *ast;
	struct scope sc;
	struct src *srcs;
	int nsrc;
	struct level *lv;
	int nlv;
	struct xp **res;
	int nres;
	struct aggset ag;
	int is_agg;
	struct xp **group;
	int ngroup;
	struct xp *having;
	int distinct;
	struct xp ***vrows;          /* VALUES */
	int nvrows;
	/* runtime */
	int state;                   /* 0 start, 1 running, 2 done */
	int lvl;
	long vpos;
	struct sdb_sql_arena fmem;   /* filters' temporaries (reset per row) */
	struct vset *groups;         /* aggregation */
	long *gorder;
	long gpos, ngroups;
	size_t gstate;               /* bytes of states per group */
	size_t *aoff;                /* state offset of each aggregate */
	/* aggregation past the memory limit: rows of groups not in memory go
	 * through a sorter and come back grouped (agg_spill_*) */
	size_t gbytes;               /* estimated bytes of the groups in memory */
	struct sql_sorter *xs;       /* NULL: every group in memory */
	int xncol;                   /* a spilled row: keys, each level's row, flags */
	int *xoff;                   /* where each level's row starts in it */
	const struct sql_value *xrow; /* the next spilled row, or NULL */
	struct grp *sg;              /* the group built from spilled rows, or NULL */
	struct sdb_sql_arena sgmem;  /* its bytes */
	struct vset *dset;           /* DISTINCT */
	/* DISTINCT past half the memory limit (distinct_*): the rows not in
	 * dset, with their number, sorted and made distinct (dxa), then put
	 * back in the order they came (dxb) and handed out */
	size_t dbytes;
	int dphase;                  /* 0 dset only, 1 filling dxa, 2 handing out dxb */
	int64_t dseq;
	struct sql_sorter *dxa, *dxb;
	struct sql_value *out;       /* [nres] */
	/* top-k (sort_all): only the result columns the sort keys read are
	 * evaluated by core_next (kcol[i] set), the others by core_rest for
	 * a row that is kept */
	uint8_t *kcol;
	int defer;
	struct winset *win;          /* window functions (window.c) */
	int *rlv, nrlv;              /* RIGHT/FULL levels, in order */
	int rph;                     /* -1: the main loop; else the rlv being finished */
	int rfirst;                  /* in the final pass of a RIGHT level: its first row not read yet */
};

struct okey {
	struct xp *e;                /* over the core (simple select) */
	int rescol;                  /* >= 0: a result column */
	uint8_t desc, nulls;
	uint8_t coll;
};

struct sel {
	struct core **cores;
	int ncores;
	int *ops;
	int ncols;
	const char **names;
	const char **decl;
	uint8_t *aff;
	uint8_t *coll;
	struct okey *ok;
	int norder;
	struct xp *limit, *offset;
	int correlated;
	/* runtime */
	struct sdb_sql_arena mem;    /* the output row's bytes */
	int64_t lim, off, emitted, skipped;
	int state;                   /* 0 open, 1 streaming, 2 sorted output, 3 done */
	int cur_core;
	struct vset *cset;           /* UNION distinct while streaming */
	struct rowstore sorter;      /* sorted / compound results */
	struct sql_sorter *xs;       /* ORDER BY without top-k: the external sort */
	long spos;
	struct sql_value *row;       /* the current output row */
	struct sql_value *keys;      /* sort keys of the row being added */
	struct sel *next_all;        /* qall */
	int presorted;               /* ORDER BY answered by the first level's order */
	int knn;                     /* ORDER BY vec_distance_*(col, q) LIMIT k (vecknn.h) */
	/* a recursive CTE: the queue of rows still to expand, a spool read
	 * while it is added to (a FIFO: memory, then a temporary file past
	 * half the memory limit); the row being expanded copied out of it */
	int recursive;
	struct sql_value *recrow;
	struct sql_sorter *queue;
	struct sdb_sql_arena recmem;
	/* UNION: the rows seen, in qseen (its bytes qbytes) and, once those
	 * passed half the memory limit, in a hash file qfile of all rows
	 * seen before qseen's; qfile is written again with qseen's rows (and
	 * qseen emptied) each time qseen fills up */
	struct vset *qseen;
	size_t qbytes;
	struct sql_hfile *qfile;
};

/* ------------------------------------------------------------ names */

const char *sql_rescol_name(const struct sql_rescol *rc, const char *sql,
			    struct sdb_sql_arena *a)
{
	if (rc->alias.z)
		return sql_strdup(a, rc->alias.z, strlen(rc->alias.z));
	const struct sql_expr *x = rc->e;
	if (x && x->kind == SQL_E_COLUMN && x->name.z)
		return sql_strdup(a, x->name.z, strlen(x->name.z));
	if (x && sql)
		return sql_strdup(a, sql + x->off, x->len);
	return sql_strdup(a, "?", 1);
}

/* ------------------------------------------------------------ binding FROM */

struct ctedef {
	const struct sql_cte *cte;
	struct ctedef *next;
	int busy;                    /* being compiled: a reference is recursion */
	int recursive;               /* WITH RECURSIVE: it may name itself */
	struct sel *rec_sel;         /* its select, while compiled */
};

static int bind_err(struct bctx *b)
{
	return b->e->code ? b->e->code : SDB_ENOMEM;
}

static struct ctedef *find_cte(struct bctx *b, const char *name)
{
	for (struct ctedef *d = b->ctes; d; d = d->next)
		if (!strcasecmp(d->cte->name.z, name))
			return d;
	return NULL;
}

void src_use(struct src *s, int col)
{
	if (s->used)
		s->used[col >> 6] |= 1ull << (col & 63);
	if (s->nuse)
		s->nuse[col]++;
}

void src_unuse_xp(struct src *s, const struct xp *x)
{
	if (!x)
		return;
	if (x->op == X_COL && x->cur == s->cur && s->nuse && x->col <= s->ncol &&
	    s->nuse[x->col] && !--s->nuse[x->col] && s->used)
		s->used[x->col >> 6] &= ~(1ull << (x->col & 63));
	src_unuse_xp(s, x->l);
	src_unuse_xp(s, x->r);
	src_unuse_xp(s, x->t);
	for (int i = 0; i < x->na; i++)
		src_unuse_xp(s, x->a[i]);
}

static int src_alloc_cols(struct bctx *b, struct src *s, int ncol)
{
	s->ncol = ncol;
	size_t n = (size_t)(ncol ? ncol : 1);
	s->cols = sdb_sql_arena_alloc(b->a, sizeof(char *) * n);
	s->decl = sdb_sql_arena_alloc(b->a, sizeof(char *) * n);
	s->aff = sdb_sql_arena_alloc(b->a, n);
	s->coll = sdb_sql_arena_alloc(b->a, n);
	s->hide = sdb_sql_arena_alloc(b->a, n);
	s->used = sdb_sql_arena_alloc(b->a, sizeof(uint64_t) * ((size_t)(ncol + 1) / 64 + 1));
	s->nuse = sdb_sql_arena_alloc(b->a, sizeof(uint32_t) * ((size_t)ncol + 1));
	s->cur = sdb_sql_arena_alloc(b->a, sizeof(*s->cur));
	if (!s->cols || !s->decl || !s->aff || !s->coll || !s->hide || !s->used || !s->nuse || !s->cur)
		return sql_oom(b->e);
	s->cur->ncol = ncol;
	return 0;
}

/* A select as a FROM item: its result columns become the item's. */
static int src_from_sel(struct bctx *b, struct src *s, struct sel *q,
			const struct sql_name *cols, int ncols)
{
	int rc = src_alloc_cols(b, s, q->ncols);
	if (rc)
		return rc;
	if (cols && ncols != q->ncols)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "table %s has %d values for %d columns",
				     s->name, q->ncols, ncols);
	for (int i = 0; i < q->ncols; i++) {
		s->cols[i] = cols ? cols[i].z : q->names[i];
		s->decl[i] = q->decl[i];
		s->aff[i] = q->aff[i];
		s->coll[i] = q->coll ? q->coll[i] : 0;
	}
	return 0;
}

static int bind_source(struct bctx *b, struct scope *up, struct core *k,
		       const struct sql_source *it, struct src *s,
		       struct level *L)
{
	int rc;
	if (it->has_args && sql_fts_is_hybrid(it->name.z)) {
		if ((rc = src_alloc_cols(b, s, 4)))
			return rc;
		memset(s->hide, 0, 4);
		L->kind = L_HYB;
		return sql_fts_hybrid_bind(b, up, it, s, s->cur, &L->hy);
	}
	int tree;
	if (it->has_args && !it->schema.z && sql_tvf_find(it->name.z, &tree)) {
		int nc, nvis;
		const char *const *cols = sql_tvf_columns(&nc, &nvis);
		s->name = it->alias.z ? it->alias.z : it->name.z;
		if ((rc = src_alloc_cols(b, s, nc)))
			return rc;
		for (int i = 0; i < nc; i++)
			s->cols[i] = cols[i];
		s->nvisible = nvis;
		if (it->nargs > 2)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "too many arguments on %s() - max 2", it->name.z);
		L->kind = L_TVF;
		L->tvf_it = it;
		return 0;
	}
	if (it->has_args && !it->sub && !(b->c->cat && sql_conn_table(b->c, it->name.z) &&
					   sql_conn_table(b->c, it->name.z)->fts))
		return sdb_error_set(b->e, SDB_ENOTFOUND, "no such table: %s",
				     it->name.z);
	if (it->sub) {
		s->name = it->alias.z ? it->alias.z : NULL;
		int corr = 0;
		L->sub = sel_compile(b, up, it->sub, &corr);
		if (!L->sub)
			return bind_err(b);
		L->sub_corr = corr;
		L->kind = L_ROWS;
		return src_from_sel(b, s, L->sub, NULL, 0);
	}
	const char *name = it->name.z;
	s->name = it->alias.z ? it->alias.z : name;
	struct ctedef *d = it->schema.z ? NULL : find_cte(b, name);
	if (d) {
		if (d->busy) {
			struct sel *rq = d->rec_sel;
			if (!d->recursive || !rq || rq->ncores < 1)
				return sdb_error_set(b->e, SDB_EINVAL,
						     "circular reference: %s", name);
			rq->recursive = 1;
			L->kind = L_REC;
			L->recsel = rq;
			struct core *k0 = rq->cores[0];
			int rc2 = src_alloc_cols(b, s, rq->ncols);
			if (rc2)
				return rc2;
			if (d->cte->ncols && d->cte->ncols != rq->ncols)
				return sdb_error_set(b->e, SDB_EINVAL,
						     "table %s has %d values for %d columns",
						     name, rq->ncols, d->cte->ncols);
			for (int i = 0; i < rq->ncols; i++) {
				s->cols[i] = d->cte->ncols ? d->cte->cols[i].z : rq->names[i];
				const struct xp *r = k0->vrows ? k0->vrows[0][i] : k0->res[i];
				s->aff[i] = r->aff;
			}
			return 0;
		}
		d->busy = 1;
		struct ctedef *save = b->ctes;
		b->ctes = d->recursive ? d : d->next; /* a CTE sees those before it */
		if (d->recursive)
			b->pending_rec = d;
		int corr = 0;
		L->sub = sel_compile(b, up, d->cte->select, &corr);
		b->ctes = save;
		d->busy = 0;
		d->rec_sel = NULL;
		if (!L->sub)
			return bind_err(b);
		L->sub_corr = corr;
		L->kind = L_ROWS;
		return src_from_sel(b, s, L->sub, d->cte->cols,
				    d->cte->ncols ? d->cte->ncols : 0);
	}
	const struct sql_table_def *t = NULL;
	if (b->c->cat && (!it->schema.z || !strcasecmp(it->schema.z, "main")))
		t = sql_conn_table(b->c, name);
	if (!t) {
		if (it->schema.z && strcasecmp(it->schema.z, "main"))
			return sdb_error_set(b->e, SDB_ENOTFOUND,
					     "no such table: %s.%s", it->schema.z, name);
		return sdb_error_set(b->e, SDB_ENOTFOUND, "no such table: %s", name);
	}
	if (t->is_view) {
		if (++b->depth > 100) {
			b->depth--;
			return sdb_error_set(b->e, SDB_EINVAL,
					     "view %s is circularly defined", name);
		}
		int corr = 0;
		struct ctedef *save = b->ctes;
		b->ctes = NULL;
		L->sub = sel_compile(b, NULL, t->view, &corr);
		b->ctes = save;
		b->depth--;
		if (!L->sub)
			return bind_err(b);
		L->kind = L_ROWS;
		return src_from_sel(b, s, L->sub, NULL, 0);
	}
	rc = src_alloc_cols(b, s, t->ncol);
	if (rc)
		return rc;
	s->tab = t;
	s->has_rowid = !t->without_rowid;
	for (int i = 0; i < t->ncol; i++) {
		s->cols[i] = t->cols[i].name;
		s->decl[i] = t->cols[i].type;
		s->aff[i] = (uint8_t)t->cols[i].aff;
		s->coll[i] = (uint8_t)t->cols[i].coll;
	}
	L->kind = L_TABLE;
	(void)k;
	if (it->has_args && t->fts) { /* t('query'): t MATCH 'query' */
		if (it->nargs != 1)
			return sdb_error_set(b->e, SDB_EINVAL, "fts5: expected one argument to %s()", name);
		return xp_compile(b, up, it->args[0], &s->fts_arg);
	}
	return 0;
}

/* A reference to column c of s (marked read). */
static struct xp *src_col_xp(struct bctx *b, struct src *s, int c)
{
	struct xp *p = sdb_sql_arena_alloc(b->a, sizeof(*p));
	if (!p)
		return NULL;
	p->op = X_COL;
	p->cur = s->cur;
	p->col = c;
	p->aff = s->aff[c];
	p->coll = s->coll[c];
	p->has_coll = p->coll != 0;
	src_use(s, c);
	return p;
}

/* A join of FROM: a leaf item or a parenthesized group of them. */
struct jnode {
	const struct sql_source *it;   /* its join kind, ON, USING, NATURAL */
	int first, last;               /* its leaves */
	int lfirst;                    /* the left operand: leaves [lfirst, first) */
	int in_outer;                  /* inside (or is) a LEFT/FULL-joined group */
	int top;                       /* in the outermost list */
};

struct jflat {
	const struct sql_source **leaf;
	int nleaf, leafcap;
	struct jnode *node;
	int nnode, nodecap;
	int any_outer, any_right, any_paren;
};

static int is_outer_join(int j)
{
	return j == SQL_JOIN_LEFT || j == SQL_JOIN_RIGHT || j == SQL_JOIN_FULL;
}

/* FROM flattened: leaves in order, joins after the joins inside them. */
static int jflat_add(struct bctx *b, struct jflat *f, const struct sql_from *from,
		     int top, int in_outer)
{
	int lfirst = f->nleaf;
	for (int i = 0; i < from->n; i++) {
		const struct sql_source *it = from->items[i];
		int first = f->nleaf;
		int io = in_outer || it->join == SQL_JOIN_LEFT || it->join == SQL_JOIN_FULL;
		if (it->paren) {
			f->any_paren = 1;
			if (!it->paren->n)
				return sdb_error_set(b->e, SDB_EPARSE, "near \")\": syntax error");
			int rc = jflat_add(b, f, it->paren, 0, io);
			if (rc)
				return rc;
		} else {
			if (f->nleaf == f->leafcap) {
				int nc = f->leafcap * 2 + 8;
				const struct sql_source **nl = sdb_sql_arena_alloc(b->a, sizeof(*nl) * (size_t)nc);
				if (!nl)
					return sql_oom(b->e);
				if (f->nleaf)
					memcpy(nl, f->leaf, sizeof(*nl) * (size_t)f->nleaf);
				f->leaf = nl;
				f->leafcap = nc;
			}
			f->leaf[f->nleaf++] = it;
		}
		if (i > 0 && is_outer_join(it->join))
			f->any_outer = 1;
		if (i > 0 && (it->join == SQL_JOIN_RIGHT || it->join == SQL_JOIN_FULL)) {
			f->any_right = 1;
			if (!top || it->paren)
				return sdb_error_set(b->e, SDB_EUNSUPPORTED,
						     "a RIGHT or FULL JOIN inside parentheses or of a parenthesized join is not supported");
		}
		if (f->nnode == f->nodecap) {
			int nc = f->nodecap * 2 + 8;
			struct jnode *nn = sdb_sql_arena_alloc(b->a, sizeof(*nn) * (size_t)nc);
			if (!nn)
				return sql_oom(b->e);
			if (f->nnode)
				memcpy(nn, f->node, sizeof(*nn) * (size_t)f->nnode);
			f->node = nn;
			f->nodecap = nc;
		}
		struct jnode *n = &f->node[f->nnode++];
		n->it = it;
		n->first = first;
		n->last = f->nleaf - 1;
		n->lfirst = lfirst;
		n->in_outer = io;
		n->top = top;
	}
	return 0;
}

/* The first visible column named name among leaves [from, to): *si, *ci. */
static int find_visible(struct core *k, int from, int to, const char *name,
			int *si, int *ci)
{
	for (int i = from; i < to; i++)
		for (int c = 0; c < k->srcs[i].ncol; c++)
			if (!k->srcs[i].hide[c] && !strcasecmp(k->srcs[i].cols[c], name)) {
				*si = i;
				*ci = c;
				return 1;
			}
	return 0;
}


/* USING / NATURAL of join n: the equalities, and the right side's columns
 * hidden; the left column as seen unqualified (and in *) becomes, as in
 * SQLite, the right one for RIGHT and coalesce(left, right) for FULL. */
static int join_using(struct bctx *b, struct core *k, const struct jnode *nd,
		      struct xp ***extra, int *nextra, int *cap)
{
	const struct sql_source *it = nd->it;
	int nnames = 0;
	if (it->natural)
		for (int i = nd->first; i <= nd->last; i++)
			nnames += k->srcs[i].ncol;
	else
		nnames = it->nusing;
	int at = 0;
	for (int u = 0; u < nnames; u++) {
		const char *name;
		if (it->natural) {
			int i = nd->first, c = at++;
			while (c >= k->srcs[i].ncol) {
				c -= k->srcs[i].ncol;
				i++;
			}
			if (k->srcs[i].hide[c])
				continue;
			name = k->srcs[i].cols[c];
		} else {
			name = it->using_[u].z;
		}
		int rs = -1, rc2 = -1, li = -1, lc = -1;
		find_visible(k, nd->first, nd->last + 1, name, &rs, &rc2);
		find_visible(k, nd->lfirst, nd->first, name, &li, &lc);
		if (it->natural && li < 0)
			continue;
		if (rc2 < 0 || li < 0)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "cannot join using column %s - column not present in both tables",
					     name);
		struct src *r = &k->srcs[rs];
		r->hide[rc2] = 1;
		struct xp *eq = sdb_sql_arena_alloc(b->a, sizeof(*eq));
		/* the left column as seen unqualified (a FULL JOIN's coalesce) */
		struct xp *l = k->srcs[li].ucol && k->srcs[li].ucol[lc] ? k->srcs[li].ucol[lc]
									 : src_col_xp(b, &k->srcs[li], lc);
		struct xp *rr = src_col_xp(b, r, rc2);
		if (!eq || !l || !rr)
			return sql_oom(b->e);
		eq->op = X_CMP;
		eq->sop = SQL_OP_EQ;
		eq->l = l;
		eq->r = rr;
		if (it->join == SQL_JOIN_RIGHT || it->join == SQL_JOIN_FULL) {
			struct src *ls = &k->srcs[li];
			int wrong;
			struct xp *co = sdb_sql_arena_alloc(b->a, sizeof(*co));
			struct xp **args = sdb_sql_arena_alloc(b->a, sizeof(*args) * 2);
			if (!ls->ucol)
				ls->ucol = sdb_sql_arena_alloc(b->a, sizeof(*ls->ucol) * (size_t)(ls->ncol ? ls->ncol : 1));
			if (!co || !args || !ls->ucol)
				return sql_oom(b->e);
			struct xp *l2 = src_col_xp(b, ls, lc), *r2 = src_col_xp(b, r, rc2);
			if (!l2 || !r2)
				return sql_oom(b->e);
			args[0] = ls->ucol[lc] ? ls->ucol[lc] : l2;
			args[1] = r2;
			co->op = X_FUNC;
			co->fn = sql_func_find("coalesce", 8, 2, &wrong);
			co->a = args;
			co->na = 2;
			co->aff = l2->aff;
			co->coll = l2->coll;
			co->has_coll = l2->has_coll;
			/* RIGHT: the right side's column (never NULL there), as SQLite */
			ls->ucol[lc] = it->join == SQL_JOIN_RIGHT ? r2 : co;
		}
		if (*nextra == *cap) {
			int nc = *cap ? *cap * 2 : 8;
			struct xp **na = sdb_sql_arena_alloc(b->a, sizeof(*na) * (size_t)nc);
			if (!na)
				return sql_oom(b->e);
			if (*nextra)
				memcpy(na, *extra, sizeof(*na) * (size_t)*nextra);
			*extra = na;
			*cap = nc;
		}
		(*extra)[(*nextra)++] = eq;
	}
	return 0;
}

/* ------------------------------------------------------------ conjuncts */

struct conj {
	struct xp *x;
	uint64_t deps;               /* levels (FROM positions) read; bit 63: outer/unknown */
	int on_of;                   /* -1 WHERE; else the level whose `on` it is */
	int owner;                   /* the level it marks matched (on_of >= 0) */
};

static uint64_t xp_deps(struct core *k, const struct xp *p);

static uint64_t deps_list(struct core *k, struct xp *const *a, int n)
{
	uint64_t d = 0;
	for (int i = 0; i < n; i++)
		d |= xp_deps(k, a[i]);
	return d;
}

/* Which of the core's FROM items an expression reads (subqueries count
 * as reading everything when correlated). */
static uint64_t xp_deps(struct core *k, const struct xp *p)
{
	if (!p)
		return 0;
	uint64_t d = 0;
	if (p->op == X_COL) {
		for (int i = 0; i < k->nsrc; i++)
			if (k->srcs[i].cur == p->cur)
				return i < 62 ? 1ull << i : 1ull << 62;
		return 0;
	}
	if (p->op == X_FTS) /* MATCH, bm25(): the FTS table's level */
		for (int i = 0; i < k->nsrc; i++)
			if (k->srcs[i].cur == p->cur)
				d |= i < 62 ? 1ull << i : 1ull << 62;
	if (p->sub && p->sub->correlated)
		d |= ~0ull >> 1;
	d |= xp_deps(k, p->l) | xp_deps(k, p->r) | xp_deps(k, p->t);
	d |= deps_list(k, p->a, p->na);
	return d;
}

static int add_conj(struct bctx *b, struct conj **v, int *n, int *cap,
		    struct xp *x)
{
	if (x->op == X_AND) {
		int rc = add_conj(b, v, n, cap, x->l);
		return rc ? rc : add_conj(b, v, n, cap, x->r);
	}
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		struct conj *nv = sdb_sql_arena_alloc(b->a, sizeof(*nv) * (size_t)nc);
		if (!nv)
			return sql_oom(b->e);
		if (*n)
			memcpy(nv, *v, sizeof(*nv) * (size_t)*n);
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct conj){ .x = x, .on_of = -1 };
	return 0;
}

static int push_xp(struct bctx *b, struct xp ***v, int *n, struct xp *x)
{
	struct xp **nv = sdb_sql_arena_alloc(b->a, sizeof(*nv) * (size_t)(*n + 1));
	if (!nv)
		return sql_oom(b->e);
	if (*n)
		memcpy(nv, *v, sizeof(*nv) * (size_t)*n);
	nv[*n] = x;
	*v = nv;
	(*n)++;
	return 0;
}

/* An `on` conjunct of level L that marks level owner matched; kept in
 * order of owner, innermost group (largest) first. */
static int push_on(struct bctx *b, struct level *L, struct xp *x, int owner)
{
	int n = L->non;
	struct xp **nv = sdb_sql_arena_alloc(b->a, sizeof(*nv) * (size_t)(n + 1));
	int *no = sdb_sql_arena_alloc(b->a, sizeof(*no) * (size_t)(n + 1));
	if (!nv || !no)
		return sql_oom(b->e);
	int at = n;
	while (at > 0 && L->on_owner[at - 1] < owner)
		at--;
	for (int i = 0, j = 0; i <= n; i++) {
		if (i == at) {
			nv[i] = x;
			no[i] = owner;
			continue;
		}
		nv[i] = L->on[j];
		no[i] = L->on_owner[j++];
	}
	L->on = nv;
	L->on_owner = no;
	L->non = n + 1;
	return 0;
}

/* ------------------------------------------------------------ core compile */

static int expand_star(struct bctx *b, struct core *k, const struct sql_rescol *rc,
		       struct xp ***res, const char ***names, const char ***decl,
		       int *n, int *cap)
{
	int any = 0;
	for (int i = 0; i < k->nsrc; i++) {
		struct src *s = &k->srcs[i];
		if (rc->table.z && (!s->name || strcasecmp(s->name, rc->table.z)))
			continue;
		any = 1;
		for (int c = 0; c < s->ncol; c++) {
			if (!rc->table.z && s->hide[c])
				continue;
			if (s->tab && s->tab->cols[c].hidden)
				continue;
			if (s->nvisible > 0 && c >= s->nvisible)
				continue;
			if (*n == *cap) {
				int nc = *cap * 2 + 8;
				struct xp **nr = sdb_sql_arena_alloc(b->a, sizeof(*nr) * (size_t)nc);
				const char **nn = sdb_sql_arena_alloc(b->a, sizeof(*nn) * (size_t)nc);
				const char **nd = sdb_sql_arena_alloc(b->a, sizeof(*nd) * (size_t)nc);
				if (!nr || !nn || !nd)
					return sql_oom(b->e);
				if (*n) {
					memcpy(nr, *res, sizeof(*nr) * (size_t)*n);
					memcpy(nn, *names, sizeof(*nn) * (size_t)*n);
					memcpy(nd, *decl, sizeof(*nd) * (size_t)*n);
				}
				*res = nr;
				*names = nn;
				*decl = nd;
				*cap = nc;
			}
			struct xp *p = src_col_xp(b, s, c);
			if (!p)
				return sql_oom(b->e);
			if (!rc->table.z && s->ucol && s->ucol[c])
				p = s->ucol[c]; /* RIGHT/FULL JOIN USING column */
			(*res)[*n] = p;
			(*names)[*n] = s->cols[c];
			(*decl)[*n] = s->decl[c];
			(*n)++;
		}
	}
	if (rc->table.z && !any)
		return sdb_error_set(b->e, SDB_ENOTFOUND, "no such table: %s",
				     rc->table.z);
	if (!any)
		return sdb_error_set(b->e, SDB_EINVAL, "no tables specified");
	return 0;
}

static int has_agg_name(const struct sql_expr *x);

static int list_has_agg(struct sql_expr *const *l, int n)
{
	for (int i = 0; i < n; i++)
		if (has_agg_name(l[i]))
			return 1;
	return 0;
}

/* Whether x calls an aggregate (outside subqueries). */
static int has_agg_name(const struct sql_expr *x)
{
	if (!x)
		return 0;
	if (x->kind == SQL_E_FUNC && !x->over) {
		int argc = x->nlist;
		if (argc == 1 && x->list[0]->kind == SQL_E_STAR)
			argc = 0;
		int wrong;
		const struct sql_func_def *f = sql_func_find(x->name.z, strlen(x->name.z), argc, &wrong);
		if (f && f->agg && !f->fn)
			return 1;
	}
	if (x->kind == SQL_E_SUBQUERY || x->kind == SQL_E_EXISTS)
		return 0;
	return has_agg_name(x->left) || has_agg_name(x->right) ||
	       has_agg_name(x->third) || list_has_agg(x->list, x->nlist);
}

/* The rows a core hands its window functions (window.c): the join's or
 * the groups', their cursors (and aggregate results) kept and restored. */
static int join_next(struct core *k, struct ectx *x0);
static int agg_next(struct core *k, struct ectx *x);
struct grp;
static int wsrc_next(void *ctx, struct ectx *x)
{
	struct core *k = ctx;
	return k->is_agg ? agg_next(k, x) : join_next(k, x);
}

/* A window's row of the core as values: per level its null-row flag and
 * its row (the columns read; the others NULL), then the aggregates'
 * results. */
static int wsrc_width(void *ctx)
{
	struct core *k = ctx;
	int n = k->ag.n;
	for (int i = 0; i < k->nlv; i++)
		n += k->lv[i].cur->ncol + 2;
	return n;
}

static void wsrc_flat(void *ctx, struct sql_value *out)
{
	struct core *k = ctx;
	for (int i = 0; i < k->nlv; i++) {
		struct cursor *c = k->lv[i].cur;
		struct src *s = k->lv[i].src;
		int n = c->ncol + 1;
		*out++ = sql_int(c->nullrow);
		for (int j = 0; j < n; j++) {
			int skip = c->nullrow || !c->row ||
				   (s && s->used && !(s->used[j >> 6] & (1ull << (j & 63)))) ||
				   (j == c->ncol && !(s && s->has_rowid));
			out[j] = skip ? sql_null() : c->row[j];
		}
		out += n;
	}
	for (int i = 0; i < k->ag.n; i++)
		*out++ = k->ag.out ? k->ag.out[i] : sql_null();
}

static void wsrc_unflat(void *ctx, struct sql_value *in)
{
	struct core *k = ctx;
	for (int i = 0; i < k->nlv; i++) {
		struct cursor *c = k->lv[i].cur;
		c->nullrow = (uint8_t)in[0].u.i;
		c->row = in + 1;
		in += c->ncol + 2;
	}
	if (k->ag.n && k->ag.out)
		memcpy(k->ag.out, in, sizeof(*in) * (size_t)k->ag.n);
}

static const struct win_src core_win_src = { wsrc_next, wsrc_width, wsrc_flat, wsrc_unflat };

/* The arguments of a table-valued function in FROM: they may read the
 * items before it (the join keeps FROM order then). */
static int compile_tvf_args(struct bctx *b, struct core *k,
			    const struct sql_source *it, struct xp ***out)
{
	struct xp **a = sdb_sql_arena_alloc(b->a, sizeof(*a) * (size_t)(it->nargs + 1));
	if (!a)
		return sql_oom(b->e);
	for (int i = 0; i < it->nargs; i++) {
		int rc = xp_compile(b, &k->sc, it->args[i], &a[i]);
		if (rc)
			return rc;
	}
	*out = a;
	return 0;
}

static struct core *core_compile(struct bctx *b, struct scope *up,
				 const struct sql_core *ac, struct sel *q,
				 int *corr)
{
	struct core *k = sdb_sql_arena_alloc(b->a, sizeof(*k));
	if (!k) {
		sql_oom(b->e);
		return NULL;
	}
	k->ast = ac;
	sdb_sql_arena_init(&k->fmem);
	k->sc.up = up;
	k->sc.sel = q;
	int rc = 0;
	if (ac->values) {
		k->nvrows = ac->nrows;
		k->vrows = sdb_sql_arena_alloc(b->a, sizeof(*k->vrows) * (size_t)ac->nrows);
		if (!k->vrows) {
			sql_oom(b->e);
			return NULL;
		}
		int ncol = -1;
		for (int r = 0; r < ac->nrows; r++) {
			const struct sql_expr *row = ac->rows[r];
			int n = row->kind == SQL_E_VECTOR ? row->nlist : 1;
			if (ncol >= 0 && n != ncol) {
				sdb_error_set(b->e, SDB_EINVAL,
					      "all VALUES must have the same number of terms");
				return NULL;
			}
			ncol = n;
			k->vrows[r] = sdb_sql_arena_alloc(b->a, sizeof(struct xp *) * (size_t)n);
			if (!k->vrows[r]) {
				sql_oom(b->e);
				return NULL;
			}
			for (int i = 0; i < n; i++) {
				const struct sql_expr *x = row->kind == SQL_E_VECTOR ? row->list[i] : row;
				if ((rc = xp_compile(b, &k->sc, x, &k->vrows[r][i])))
					return NULL;
			}
		}
		k->nres = ncol;
		k->out = sdb_sql_arena_alloc(b->a, sizeof(*k->out) * (size_t)(ncol ? ncol : 1));
		if (!k->out) {
			sql_oom(b->e);
			return NULL;
		}
		*corr |= k->sc.correlated;
		return k;
	}
	/* FROM: parenthesized joins flattened into leaves and join nodes */
	struct jflat jf = { 0 };
	if (ac->from && (rc = jflat_add(b, &jf, ac->from, 1, 0)))
		return NULL;
	int nsrc = jf.nleaf;
	k->nsrc = nsrc;
	k->srcs = sdb_sql_arena_alloc(b->a, sizeof(*k->srcs) * (size_t)(nsrc ? nsrc : 1));
	struct level *lv0 = sdb_sql_arena_alloc(b->a, sizeof(*lv0) * (size_t)(nsrc ? nsrc : 1));
	if (!k->srcs || !lv0) {
		sql_oom(b->e);
		return NULL;
	}
	struct xp **jx = NULL;
	int njx = 0, jcap = 0;
	for (int i = 0; i < nsrc; i++) {
		const struct sql_source *it = jf.leaf[i];
		if ((rc = bind_source(b, up, k, it, &k->srcs[i], &lv0[i])))
			return NULL;
		k->srcs[i].cur->id = i;
		lv0[i].src = &k->srcs[i];
		lv0[i].cur = k->srcs[i].cur;
		lv0[i].gend = i;
		k->srcs[i].cur->row = sdb_sql_arena_alloc(b->a, sizeof(struct sql_value) * (size_t)(k->srcs[i].ncol + 1));
		if (!k->srcs[i].cur->row) {
			sql_oom(b->e);
			return NULL;
		}
	}
	/* which level each join's conditions are checked at, and whom they
	 * mark matched: inner joins outside outer-joined groups are plain
	 * WHERE conjuncts (so the planner may reorder them) */
	int *jn_at = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)(jf.nnode + 1));
	int *jn_owner = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)(jf.nnode + 1));
	if (!jn_at || !jn_owner) {
		sql_oom(b->e);
		return NULL;
	}
	for (int n = 0; n < jf.nnode; n++) {
		const struct jnode *nd = &jf.node[n];
		int j = nd->first == nd->lfirst ? SQL_JOIN_COMMA : nd->it->join;
		jn_at[n] = -1;
		jn_owner[n] = nd->last;
		if (j == SQL_JOIN_LEFT || j == SQL_JOIN_FULL) {
			lv0[nd->first].left = 1;
			lv0[nd->first].gend = nd->last;
			jn_at[n] = nd->last;
			jn_owner[n] = nd->first;
		}
		if (j == SQL_JOIN_RIGHT || j == SQL_JOIN_FULL) {
			lv0[nd->first].right = 1;
			jn_at[n] = nd->first;
		}
		if (jn_at[n] < 0 && (nd->in_outer || jf.any_right))
			jn_at[n] = nd->last;
	}
	int *jx_node = NULL;
	for (int n = 0; n < jf.nnode; n++) {
		const struct jnode *nd = &jf.node[n];
		if (nd->first == nd->lfirst || !(nd->it->natural || nd->it->nusing))
			continue;
		int before = njx;
		if ((rc = join_using(b, k, nd, &jx, &njx, &jcap)))
			return NULL;
		for (int j = before; j < njx; j++)
			jx[j]->t = (struct xp *)(intptr_t)(n + 1); /* tag: join node n */
	}
	(void)jx_node;
	k->sc.src = k->srcs;
	k->sc.nsrc = nsrc;
	int has_tvf = 0;
	for (int i = 0; i < nsrc; i++) {
		struct level *L = &lv0[i];
		if (L->kind != L_TVF)
			continue;
		struct xp **args = NULL;
		has_tvf = 1;
		if ((rc = compile_tvf_args(b, k, L->tvf_it, &args)))
			return NULL;
		int tree;
		sql_tvf_find(L->tvf_it->name.z, &tree);
		L->tvf = sql_tvf_new(tree, args, L->tvf_it->nargs);
		if (!L->tvf) {
			sql_oom(b->e);
			return NULL;
		}
	}
	k->sc.rcols = ac->cols;
	k->sc.nrcols = ac->ncols;
	/* aggregates? */
	k->is_agg = ac->ngroup > 0 || has_agg_name(ac->having);
	for (int i = 0; i < ac->ncols && !k->is_agg; i++)
		if (ac->cols[i]->e && has_agg_name(ac->cols[i]->e))
			k->is_agg = 1;
	for (int i = 0; i < q->norder && !k->is_agg && q->ncores == 0; i++)
		;
	/* result columns (and ORDER BY) may call window functions */
	if (!(k->win = win_new(b, ac)))
		return NULL;
	win_set_src(k->win, &core_win_src, k);
	k->sc.win = k->win;
	int cap = 0, n = 0;
	struct xp **res = NULL;
	const char **names = NULL, **decl = NULL;
	k->sc.ag = &k->ag;
	k->sc.agg_ok = 1;
	for (int i = 0; i < ac->ncols; i++) {
		const struct sql_rescol *r = ac->cols[i];
		if (r->star) {
			if ((rc = expand_star(b, k, r, &res, &names, &decl, &n, &cap)))
				return NULL;
			continue;
		}
		if (n == cap) {
			int nc = cap * 2 + 8;
			struct xp **nr = sdb_sql_arena_alloc(b->a, sizeof(*nr) * (size_t)nc);
			const char **nn = sdb_sql_arena_alloc(b->a, sizeof(*nn) * (size_t)nc);
			const char **nd = sdb_sql_arena_alloc(b->a, sizeof(*nd) * (size_t)nc);
			if (!nr || !nn || !nd) {
				sql_oom(b->e);
				return NULL;
			}
			if (n) {
				memcpy(nr, res, sizeof(*nr) * (size_t)n);
				memcpy(nn, names, sizeof(*nn) * (size_t)n);
				memcpy(nd, decl, sizeof(*nd) * (size_t)n);
			}
			res = nr;
			names = nn;
			decl = nd;
			cap = nc;
		}
		if ((rc = xp_compile(b, &k->sc, r->e, &res[n])))
			return NULL;
		names[n] = sql_rescol_name(r, b->src, b->a);
		decl[n] = NULL;
		if (!r->alias.z && res[n]->op == X_COL && r->e->kind == SQL_E_COLUMN)
			for (int s2 = 0; s2 < nsrc; s2++) {
				const struct src *sr = &k->srcs[s2];
				/* sqlite3 names a rowid alias after the INTEGER PRIMARY KEY */
				if (sr->cur == res[n]->cur && res[n]->col == sr->ncol &&
				    sr->tab && sr->tab->ipk >= 0)
					names[n] = sr->tab->cols[sr->tab->ipk].name;
			}
		if (res[n]->op == X_COL && r->e->kind == SQL_E_COLUMN)
			for (int s = 0; s < nsrc; s++)
				if (k->srcs[s].cur == res[n]->cur && res[n]->col < k->srcs[s].ncol)
					decl[n] = k->srcs[s].decl[res[n]->col];
		n++;
	}
	k->res = res;
	k->nres = n;
	k->out = sdb_sql_arena_alloc(b->a, sizeof(*k->out) * (size_t)(n ? n : 1));
	if (!k->out) {
		sql_oom(b->e);
		return NULL;
	}
	if (q->ncores == 0) {
		/* the first core names the columns */
		q->ncols = n;
		q->names = names;
		q->decl = decl;
	}
	k->sc.win = NULL;
	/* WHERE: no aggregates, aliases allowed */
	struct conj *cj = NULL;
	int ncj = 0, ccap = 0;
	k->sc.agg_ok = 0;
	k->sc.alias_ok = 1;
	struct scope *wsc = &k->sc;
	struct aggset *save_ag = wsc->ag;
	wsc->ag = NULL;
	if (ac->where) {
		struct xp *w;
		if ((rc = xp_compile(b, wsc, ac->where, &w)))
			return NULL;
		if ((rc = add_conj(b, &cj, &ncj, &ccap, w)))
			return NULL;
	}
	for (int j = 0; j < njx; j++) {
		int jn = (int)(intptr_t)jx[j]->t - 1;
		jx[j]->t = NULL;
		if ((rc = add_conj(b, &cj, &ncj, &ccap, jx[j])))
			return NULL;
		cj[ncj - 1].on_of = jn_at[jn];
		cj[ncj - 1].owner = jn_owner[jn];
	}
	for (int jn = 0; jn < jf.nnode; jn++) {
		const struct sql_source *it = jf.node[jn].it;
		if (!it->on)
			continue;
		struct xp *w;
		if ((rc = xp_compile(b, wsc, it->on, &w)))
			return NULL;
		if (jf.any_right && jf.node[jn].last < 61 && nsrc < 62) {
			/* as SQLite once a RIGHT/FULL JOIN is there */
			uint64_t d = xp_deps(k, w), mine = (2ull << jf.node[jn].last) - 1;
			if (d != ~0ull >> 1 && (d & ~mine)) {
				sdb_error_set(b->e, SDB_EINVAL, "ON clause references tables to its right");
				return NULL;
			}
		}
		int before = ncj;
		if ((rc = add_conj(b, &cj, &ncj, &ccap, w)))
			return NULL;
		for (int j = before; j < ncj; j++) {
			cj[j].on_of = jn_at[jn];
			cj[j].owner = jn_owner[jn];
		}
	}
	/* GROUP BY / HAVING */
	wsc->ag = save_ag;
	if (ac->ngroup) {
		k->ngroup = ac->ngroup;
		k->group = sdb_sql_arena_alloc(b->a, sizeof(*k->group) * (size_t)ac->ngroup);
		if (!k->group) {
			sql_oom(b->e);
			return NULL;
		}
		k->sc.agg_ok = 0;
		for (int i = 0; i < ac->ngroup; i++) {
			const struct sql_expr *g = ac->group[i];
			if (g->kind == SQL_E_INTEGER) {
				long v = strtol(g->text, NULL, 10);
				if (v < 1 || v > n) {
					sdb_error_set(b->e, SDB_EINVAL,
						      "%d%s GROUP BY term out of range - should be between 1 and %d",
						      i + 1, i == 0 ? "st" : i == 1 ? "nd" : i == 2 ? "rd" : "th", n);
					return NULL;
				}
				k->group[i] = res[v - 1];
				continue;
			}
			k->sc.ag = NULL;
			rc = xp_compile(b, &k->sc, g, &k->group[i]);
			k->sc.ag = &k->ag;
			if (rc)
				return NULL;
		}
	}
	k->sc.agg_ok = 1;
	if (ac->having) {
		if (!k->is_agg) {
			sdb_error_set(b->e, SDB_EINVAL,
				      "HAVING clause on a non-aggregate query");
			return NULL;
		}
		if ((rc = xp_compile(b, &k->sc, ac->having, &k->having)))
			return NULL;
	}
	k->distinct = ac->distinct == 1;
	/* levels: plan.c orders them and chooses access paths */
	k->lv = lv0;
	k->nlv = nsrc;
	struct plan_in pin = { .b = b, .nsrc = nsrc, .srcs = k->srcs };
	for (int i = 0; i < ncj; i++) {
		cj[i].deps = xp_deps(k, cj[i].x);
	}
	int *order = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)(nsrc ? nsrc : 1));
	if (!order) {
		sql_oom(b->e);
		return NULL;
	}
	int has_left = jf.any_outer;
	for (int i = 0; i < nsrc; i++)
		has_left |= lv0[i].left | lv0[i].right;
	pin.conj_x = sdb_sql_arena_alloc(b->a, sizeof(struct xp *) * (size_t)(ncj ? ncj : 1));
	pin.conj_deps = sdb_sql_arena_alloc(b->a, sizeof(uint64_t) * (size_t)(ncj ? ncj : 1));
	if (!pin.conj_x || !pin.conj_deps) {
		sql_oom(b->e);
		return NULL;
	}
	for (int i = 0; i < ncj; i++) {
		pin.conj_x[i] = cj[i].on_of < 0 ? cj[i].x : NULL;
		pin.conj_deps[i] = cj[i].deps;
	}
	pin.nconj = ncj;
	pin.fixed_order = has_left || has_tvf;
	if ((rc = plan_order(&pin, order)))
		return NULL;
	struct level *lv = sdb_sql_arena_alloc(b->a, sizeof(*lv) * (size_t)(nsrc ? nsrc : 1));
	if (!lv) {
		sql_oom(b->e);
		return NULL;
	}
	for (int i = 0; i < nsrc; i++)
		lv[i] = lv0[order[i]];
	k->lv = lv;
	if (nsrc > 0 && lv[0].kind == L_ROWS)
		lv[0].stream = 1;
	/* each conjunct at the first level where all it reads is bound */
	uint64_t bound = 0;
	int *placed = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)(ncj ? ncj : 1));
	if (!placed) {
		sql_oom(b->e);
		return NULL;
	}
	/* with outer joins (FROM order): a WHERE conjunct reading a level of
	 * a LEFT/FULL-joined group waits for the group's end, one reading a
	 * level left of a RIGHT/FULL join waits for that join (its rows may
	 * still become NULL there) */
	int *minlvl = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)(nsrc ? nsrc : 1));
	if (!minlvl) {
		sql_oom(b->e);
		return NULL;
	}
	for (int p = 0; p < nsrc; p++) {
		minlvl[p] = p;
		if (!has_left)
			continue;
		for (int f = 0; f <= p; f++)
			if (lv0[f].left && lv0[f].gend >= p && lv0[f].gend > minlvl[p])
				minlvl[p] = lv0[f].gend;
		for (int j = p + 1; j < nsrc; j++)
			if (lv0[j].right && j > minlvl[p])
				minlvl[p] = j;
	}
	int nhigh = nsrc > 62 ? nsrc - 62 : 0, high = 0;
	for (int i = 0; i < nsrc; i++) {
		int pos = order[i];
		/* bit 62 stands for every item past 61: bound when all are */
		if (pos < 62)
			bound |= 1ull << pos;
		else if (++high == nhigh)
			bound |= 1ull << 62;
		for (int j = 0; j < ncj; j++) {
			if (placed[j])
				continue;
			struct conj *c = &cj[j];
			int here;
			if (c->on_of >= 0)
				here = c->on_of == pos;   /* ON of an outer join: its level */
			else {
				uint64_t d = c->deps & ~(1ull << 63);
				int minp = 0;
				if (has_left)
					for (int p = 0; p < nsrc && p < 62; p++)
						if ((d & (1ull << p)) && minlvl[p] > minp)
							minp = minlvl[p];
				here = ((d & ~bound) == 0 && i >= minp) || i == nsrc - 1;
			}
			if (!here)
				continue;
			placed[j] = 1;
			if (c->on_of >= 0) {
				if ((rc = push_on(b, &lv[i], c->x, c->owner)))
					return NULL;
			} else {
				if ((rc = push_xp(b, &lv[i].wh, &lv[i].nwh, c->x)))
					return NULL;
			}
		}
	}
	if (nsrc == 0) {
		/* constant WHERE of a FROM-less select */
		k->nlv = 1;
		k->lv = sdb_sql_arena_alloc(b->a, sizeof(*k->lv));
		if (!k->lv) {
			sql_oom(b->e);
			return NULL;
		}
		k->lv[0].kind = L_ONE;
		k->lv[0].cur = sdb_sql_arena_alloc(b->a, sizeof(struct cursor));
		if (!k->lv[0].cur) {
			sql_oom(b->e);
			return NULL;
		}
		for (int j = 0; j < ncj; j++)
			if ((rc = push_xp(b, &k->lv[0].wh, &k->lv[0].nwh, cj[j].x)))
				return NULL;
	}
	/* access paths for the tables */
	for (int i = 0; i < k->nlv; i++) {
		struct level *L = &k->lv[i];
		if (L->kind != L_TABLE)
			continue;
		uint64_t outer = 0;
		int nh = nsrc > 62 ? nsrc - 62 : 0, hb = 0;
		for (int j = 0; j < i; j++) {
			if (order[j] < 62)
				outer |= 1ull << order[j];
			else if (++hb == nh)
				outer |= 1ull << 62;
		}
		if (L->right)
			outer = 0; /* the same rows, in the same order, for every outer row */
		pin.many_outer = 0;
		for (int j = 0; j < i; j++)
			if (k->lv[j].kind == L_ROWS ||
			    (k->lv[j].kind == L_TABLE && tscan_is_scan(k->lv[j].ts)))
				pin.many_outer = 1;
		/* a RIGHT/FULL level reads all its rows: those its ON rejects
		 * come out after the loop */
		L->ts = plan_table(&pin, L->src, order[i], outer, L->wh, L->nwh,
				   L->right ? NULL : L->on, L->right ? 0 : L->non);
		if (!L->ts)
			return NULL;
		/* conjuncts the path answers exactly are not checked again, and
		 * their columns no longer count as read (an index scan for
		 * count(*) WHERE col = ? then decodes nothing) */
		int nw = 0;
		/* not with outer joins: a level's row of NULLs (a LEFT/FULL
		 * group without a match) must still meet the level's conjuncts */
		/* nor on a table with an HNSW index: a k-NN query through it
		 * tests every conjunct on the rows its walk visits */
		int keep_all = has_left;
		for (int j = 0; L->src->tab && j < L->src->tab->nidx; j++)
			keep_all |= L->src->tab->idx[j]->hnsw != NULL;
		for (int j = 0; j < L->nwh; j++) {
			if (!keep_all && tscan_answers(L->ts, L->wh[j])) {
				src_unuse_xp(L->src, L->wh[j]);
				continue;
			}
			L->wh[nw++] = L->wh[j];
		}
		L->nwh = nw;
	}
	k->rph = -1;
	for (int i = 0; i < k->nlv; i++)
		if (k->lv[i].right) {
			if (!k->rlv && !(k->rlv = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)k->nlv))) {
				sql_oom(b->e);
				return NULL;
			}
			k->rlv[k->nrlv++] = i;
		}
	*corr |= k->sc.correlated;
	return k;
}

/* ------------------------------------------------------------ select compile */

static int term_ordinal(struct bctx *b, const struct sql_expr *x, int n,
			int i, const char *what, int *out)
{
	if (x->kind != SQL_E_INTEGER)
		return 1;
	long v = strtol(x->text, NULL, 10);
	if (v < 1 || v > n)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "%d%s %s BY term out of range - should be between 1 and %d",
				     i + 1, i == 0 ? "st" : i == 1 ? "nd" : i == 2 ? "rd" : "th",
				     what, n);
	*out = (int)v - 1;
	return 0;
}

/* Whether the select is a k-NN query over its one table (vecknn.h). */
static int knn_shape(struct sel *q, const struct sql_select *s)
{
	struct sql_vknn kn;
	if (q->ncores != 1 || q->norder != 1 || !s->limit || q->ok[0].desc)
		return 0;
	struct core *k = q->cores[0];
	if (k->vrows || k->is_agg || k->distinct || k->nlv != 1 || k->lv[0].kind != L_TABLE ||
	    win_has(k->win))
		return 0;
	const struct okey *ok = &q->ok[0];
	return sql_vec_knn_key(ok->rescol >= 0 ? k->res[ok->rescol] : ok->e, k->lv[0].cur, &kn);
}

/* A k-NN query over a table with an HNSW index on its column and metric:
 * the index may answer it (plan.c decides per run). */
static void knn_index(struct sel *q)
{
	struct core *k = q->cores[0];
	struct level *L = &k->lv[0];
	const struct okey *ok = &q->ok[0];
	const struct sql_table_def *tab = L->src->tab;
	struct sql_vknn kn;

	if (!tab || !sql_vec_knn_key(ok->rescol >= 0 ? k->res[ok->rescol] : ok->e, L->cur, &kn))
		return;
	for (int i = 0; i < tab->nidx; i++) {
		const struct sql_index_def *x = tab->idx[i];
		if (x->hnsw && x->hnsw->col == kn.col && x->hnsw->metric == kn.metric) {
			tscan_use_hnsw(L->ts, x, (struct xp *)kn.query, q->limit, q->offset,
				       L->wh, L->nwh);
			return;
		}
	}
}

/* ORDER BY rank (or bm25(t)) [, rowid] LIMIT k over one FTS5 table whose
 * only conditions are its MATCH terms: the table's path may find the top
 * k rows by pruning (fts_topk.c) instead of scoring every match. */
static void fts_topk_shape(struct sel *q)
{
	if (q->ncores != 1 || q->norder < 1 || q->norder > 2 || !q->limit || q->ok[0].desc)
		return;
	struct core *k = q->cores[0];
	if (k->vrows || k->is_agg || k->distinct || k->nlv != 1 || k->lv[0].kind != L_TABLE ||
	    win_has(k->win) || k->lv[0].left || k->lv[0].non)
		return;
	struct level *L = &k->lv[0];
	const struct sql_table_def *tab = L->src->tab;
	if (!tab || !tab->fts)
		return;
	for (int i = 0; i < q->norder; i++) {
		const struct okey *ok = &q->ok[i];
		const struct xp *e = ok->rescol >= 0 ? k->res[ok->rescol] : ok->e;
		if (ok->desc)
			return;
		if (i == 0) {
			int is_rank = e->op == X_COL && e->cur == L->cur && e->col == tab->fts->hid_rank;
			int is_bm25 = e->op == X_FTS && e->col == FTSX_BM25 && e->cur == L->cur && e->na == 0;
			if (!is_rank && !is_bm25)
				return;
		} else if (!(e->op == X_COL && e->cur == L->cur && e->col == tab->ncol))
			return;
	}
	for (int i = 0; i < L->nwh; i++) {
		const struct xp *w = L->wh[i];
		if (!(w->op == X_FTS && w->col == FTSX_MATCH && w->not_ && w->cur == L->cur))
			return;
	}
	tscan_fts_topk(L->ts, q->limit, q->offset);
}

/* Whether the first join level can deliver the rows in ORDER BY order
 * (rowid order, an index's order, forward or reverse), so no sort is
 * needed. Only for a plain select (no aggregate, DISTINCT, compound). */
static int order_from_scan(struct sel *q)
{
	if (q->ncores != 1)
		return 0;
	struct core *k = q->cores[0];
	if (k->vrows || k->is_agg || k->distinct || k->nlv < 1 || win_has(k->win) ||
	    k->lv[0].kind != L_TABLE || q->norder > 32)
		return 0;
	int cols[32];
	uint8_t desc[32], colls[32];
	for (int i = 0; i < q->norder; i++) {
		const struct okey *ok = &q->ok[i];
		const struct xp *e = ok->rescol >= 0 ? k->res[ok->rescol] : ok->e;
		while (e->op == X_COLLATE)
			e = e->l;
		if (e->op != X_COL || e->cur != k->lv[0].cur)
			return 0;
		if (ok->nulls && (ok->nulls == 1) != !ok->desc)
			return 0;
		cols[i] = e->col;
		desc[i] = ok->desc;
		colls[i] = ok->coll;
	}
	return tscan_order(k->lv[0].ts, cols, desc, colls, q->norder);
}

int bctx_with(struct bctx *b, const struct sql_with *w)
{
	for (int i = 0; i < w->n; i++) {
		struct ctedef *d = sdb_sql_arena_alloc(b->a, sizeof(*d));
		if (!d)
			return sql_oom(b->e);
		d->cte = w->ctes[i];
		d->recursive = w->recursive; /* a CTE naming itself otherwise: refused in bind_source */
		d->next = b->ctes;
		b->ctes = d;
	}
	return 0;
}

struct sel *sel_compile(struct bctx *b, struct scope *up,
			const struct sql_select *s, int *correlated)
{
	struct sel *q = sdb_sql_arena_alloc(b->a, sizeof(*q));
	if (!q) {
		sql_oom(b->e);
		return NULL;
	}
	sdb_sql_arena_init(&q->mem);
	sdb_sql_arena_init(&q->recmem);
	q->next_all = b->all->sels;
	b->all->sels = q;
	if (b->pending_rec) {
		b->pending_rec->rec_sel = q;
		b->pending_rec = NULL;
	}
	struct ctedef *save = b->ctes;
	if (s->with && bctx_with(b, s->with))
		return NULL;
	q->cores = sdb_sql_arena_alloc(b->a, sizeof(*q->cores) * (size_t)s->ncores);
	q->ops = sdb_sql_arena_alloc(b->a, sizeof(int) * (size_t)s->ncores);
	if (!q->cores || !q->ops) {
		sql_oom(b->e);
		return NULL;
	}
	int corr = 0;
	q->norder = s->norder;
	for (int i = 0; i < s->ncores; i++) {
		struct core *k = core_compile(b, up, s->cores[i], q, &corr);
		if (!k) {
			b->ctes = save;
			return NULL;
		}
		if (i == 0 && s->cores[i]->values) {
			q->ncols = k->nres;
			q->names = sdb_sql_arena_alloc(b->a, sizeof(char *) * (size_t)(k->nres ? k->nres : 1));
			q->decl = sdb_sql_arena_alloc(b->a, sizeof(char *) * (size_t)(k->nres ? k->nres : 1));
			if (!q->names || !q->decl) {
				sql_oom(b->e);
				return NULL;
			}
			for (int c = 0; c < k->nres; c++) {
				char buf[32];
				int len = snprintf(buf, sizeof buf, "column%d", c + 1);
				q->names[c] = sql_strdup(b->a, buf, (size_t)len);
			}
		}
		if (i > 0 && k->nres != q->ncols) {
			const char *opn = s->cores[i]->op == SQL_CMP_UNION ? "UNION" :
					  s->cores[i]->op == SQL_CMP_UNION_ALL ? "UNION ALL" :
					  s->cores[i]->op == SQL_CMP_INTERSECT ? "INTERSECT" : "EXCEPT";
			sdb_error_set(b->e, SDB_EINVAL,
				      "SELECTs to the left and right of %s do not have the same number of result columns",
				      opn);
			b->ctes = save;
			return NULL;
		}
		q->cores[i] = k;
		q->ops[i] = s->cores[i]->op;
		q->ncores = i + 1;
	}
	/* affinities and collations of the result: the first core's */
	q->aff = sdb_sql_arena_alloc(b->a, (size_t)(q->ncols ? q->ncols : 1));
	q->coll = sdb_sql_arena_alloc(b->a, (size_t)(q->ncols ? q->ncols : 1));
	q->row = sdb_sql_arena_alloc(b->a, sizeof(struct sql_value) * (size_t)(q->ncols + s->norder + 1));
	if (!q->aff || !q->coll || !q->row) {
		sql_oom(b->e);
		return NULL;
	}
	struct core *k0 = q->cores[0];
	for (int c = 0; c < q->ncols; c++) {
		const struct xp *r = k0->vrows ? k0->vrows[0][c] : k0->res[c];
		q->aff[c] = r->aff;
		q->coll[c] = r->has_coll ? r->coll : 0;
	}
	/* ORDER BY */
	if (s->norder) {
		q->ok = sdb_sql_arena_alloc(b->a, sizeof(*q->ok) * (size_t)s->norder);
		if (!q->ok) {
			sql_oom(b->e);
			return NULL;
		}
		for (int i = 0; i < s->norder; i++) {
			const struct sql_order *o = s->order[i];
			struct okey *ok = &q->ok[i];
			ok->desc = o->desc;
			ok->nulls = o->nulls;
			ok->rescol = -1;
			const struct sql_expr *x = o->e;
			int explicit_coll = -1;
			if (x->kind == SQL_E_COLLATE) {
				enum sql_coll cl;
				if (sql_coll_find(x->text, &cl, b->e))
					return NULL;
				explicit_coll = cl;
				x = x->left;
			}
			int col = -1;
			int rc = term_ordinal(b, x, q->ncols, i, "ORDER", &col);
			if (rc < 0)
				return NULL;
			if (rc > 0 && x->kind == SQL_E_COLUMN && !x->table.z) {
				/* an alias or (for compounds) a column name */
				for (int c = 0; c < q->ncols && col < 0; c++) {
					const struct sql_rescol *r = c < k0->ast->ncols ? k0->ast->cols[c] : NULL;
					if (!k0->vrows && r && r->alias.z && !strcasecmp(r->alias.z, x->name.z))
						col = c;
				}
				if (col < 0 && q->ncores > 1)
					for (int c = 0; c < q->ncols && col < 0; c++)
						if (q->names[c] && !strcasecmp(q->names[c], x->name.z))
							col = c;
			}
			if (col < 0 && q->ncores > 1) {
				/* an expression equal to a result column of the first core */
				struct sdb_buf t1, t2;
				sdb_buf_init(&t1);
				sdb_sql_print_expr(&t1, x);
				for (int c = 0; c < k0->ast->ncols && col < 0; c++) {
					if (!k0->ast->cols[c]->e)
						continue;
					sdb_buf_init(&t2);
					sdb_sql_print_expr(&t2, k0->ast->cols[c]->e);
					if (t1.len == t2.len && !memcmp(t1.data, t2.data, t1.len))
						col = c;
					sdb_buf_release(&t2);
				}
				sdb_buf_release(&t1);
				if (col < 0) {
					sdb_error_set(b->e, SDB_EINVAL,
						      "%d%s ORDER BY term does not match any column in the result set",
						      i + 1, i == 0 ? "st" : i == 1 ? "nd" : i == 2 ? "rd" : "th");
					return NULL;
				}
			}
			if (col >= 0) {
				ok->rescol = col;
				ok->coll = explicit_coll >= 0 ? (uint8_t)explicit_coll : q->coll[col];
				continue;
			}
			k0->sc.alias_ok = 1;
			k0->sc.agg_ok = 1;
			k0->sc.ag = &k0->ag;
			if (!k0->is_agg && has_agg_name(x))
				k0->is_agg = 1;
			k0->sc.win = k0->win;
			int wrc = xp_compile(b, &k0->sc, o->e, &ok->e);
			k0->sc.win = NULL;
			if (wrc)
				return NULL;
			ok->coll = ok->e->has_coll ? ok->e->coll : 0;
		}
		q->keys = q->row + q->ncols;
		q->presorted = order_from_scan(q);
		q->knn = !q->presorted && knn_shape(q, s);
	}
	/* LIMIT / OFFSET: constant expressions (no columns) */
	struct scope ls = { .up = up };
	if (s->limit && xp_compile(b, &ls, s->limit, &q->limit))
		return NULL;
	if (s->offset && xp_compile(b, &ls, s->offset, &q->offset))
		return NULL;
	corr |= ls.correlated;
	q->correlated = corr;
	*correlated = corr;
	if (q->knn && q->limit)
		knn_index(q);
	else if (!q->presorted && q->limit)
		fts_topk_shape(q);
	b->ctes = save;
	return q;
}

int sel_ncols(const struct sel *q)
{
	return q->ncols;
}

const struct sql_value *sel_row(const struct sel *q)
{
	return q->row;
}

const char *sel_colname(const struct sel *q, int i)
{
	return q->names[i];
}

const char *sel_decltype(const struct sel *q, int i)
{
	return q->decl[i];
}

uint8_t sel_aff(const struct sel *q, int i)
{
	return q->aff[i];
}

/* ------------------------------------------------------------ levels */

static int lv_rewind(struct level *L, struct ectx *x)
{
	L->matched = L->nulldone = L->at_end = 0;
	L->rord = 0;
	L->cur->nullrow = 0;
	int rc;
	switch (L->kind) {
	case L_ONE:
		L->one_done = 0;
		return 0;
	case L_ROWS:
		if (L->stream)
			return sel_open(L->sub, x);
		if (!L->built || L->sub_corr) {
			sql_sorter_free(L->sp);
			/* a cursor row has ncol + 1 values: the rowid slot NULL */
			L->sp = sql_sorter_new(L->sub->ncols + 1, NULL, NULL, x->c->memory_limit / 2,
					       spill_dir(x->c));
			if (!L->sp)
				return sql_oom(x->e);
			if ((rc = sel_open(L->sub, x)))
				return rc;
			for (;;) {
				rc = sel_step(L->sub, x);
				if (rc < 0)
					return rc;
				if (rc == 0)
					break;
				struct sql_value none = sql_null();
				if ((rc = sql_sorter_add(L->sp, sel_row(L->sub), L->sub->ncols, &none, 1,
							 x->e)))
					return rc;
			}
			L->built = 1;
			return 0;
		}
		sql_sorter_rewind(L->sp);
		return 0;
	case L_TABLE:
		return tscan_rewind(L->ts, x);
	case L_REC:
		L->one_done = 0;
		return 0;
	case L_HYB:
		return sql_fts_hybrid_rewind(L->hy, x);
	case L_TVF:
		return sql_tvf_rewind(L->tvf, x);
	}
	return 0;
}

static int lv_next(struct level *L, struct ectx *x)
{
	if (L->at_end)
		return 0;
	int rc = 0;
	switch (L->kind) {
	case L_ONE:
		rc = !L->one_done;
		L->one_done = 1;
		break;
	case L_ROWS:
		if (L->stream) {
			rc = sel_step(L->sub, x);
			if (rc < 0)
				return rc;
			if (rc)
				L->cur->row = (struct sql_value *)sel_row(L->sub);
			break;
		}
		{
			const struct sql_value *r;
			if ((rc = sql_sorter_next(L->sp, &r, x->e)) == 1)
				L->cur->row = (struct sql_value *)r;
		}
		if (rc < 0)
			return rc;
		break;
	case L_TABLE:
		rc = tscan_next(L->ts, x);
		break;
	case L_REC:
		rc = !L->one_done;
		L->one_done = 1;
		L->cur->row = L->recsel->recrow;
		break;
	case L_HYB:
		rc = sql_fts_hybrid_next(L->hy, x);
		break;
	case L_TVF:
		rc = sql_tvf_next(L->tvf, &L->cur->row);
		break;
	}
	if (rc == 0)
		L->at_end = 1;
	else if (rc > 0)
		L->rord++;
	return rc;
}

static int pass_all(struct xp *const *v, int n, struct ectx *x)
{
	for (int i = 0; i < n; i++) {
		int t, rc = xp_truth(x, v[i], &t);
		if (rc)
			return rc;
		if (t != 1)
			return 0;
	}
	return 1;
}

/* Level L's `on` conjuncts in order; each group start they belong to is
 * marked matched once all of its conjuncts passed. @return 1 all pass,
 * 0, or an error. */
static int on_pass(struct core *k, struct level *L, struct ectx *x, int below)
{
	int j0 = 0;
	/* a row of NULLs of the group starting at `below`: only the ON
	 * conditions of the groups around it apply */
	while (j0 < L->non && L->on_owner && L->on_owner[j0] >= below)
		j0++;
	for (int j = j0; j < L->non; j++) {
		int t, rc = xp_truth(x, L->on[j], &t);
		if (rc)
			return rc;
		if (t != 1)
			return 0;
		if (L->on_owner && (j + 1 == L->non || L->on_owner[j + 1] != L->on_owner[j]))
			k->lv[L->on_owner[j]].matched = 1;
	}
	return 1;
}

/* A RIGHT/FULL level's row numbered o matched (1) or not (0). */
static int rbit(const struct level *L, long o)
{
	return o / 64 < L->rwords && (L->rbits[o / 64] >> (o % 64) & 1);
}

static int rbit_set(struct level *L, long o)
{
	if (o / 64 >= L->rwords) {
		long nw = L->rwords ? L->rwords * 2 : 16;
		while (nw <= o / 64)
			nw *= 2;
		uint64_t *nb = realloc(L->rbits, sizeof(*nb) * (size_t)nw);
		if (!nb)
			return SDB_ENOMEM;
		memset(nb + L->rwords, 0, sizeof(*nb) * (size_t)(nw - L->rwords));
		L->rbits = nb;
		L->rwords = nw;
	}
	L->rbits[o / 64] |= 1ull << (o % 64);
	return 0;
}

/* After the main loop: the rows of RIGHT/FULL level rlv[idx] that never
 * matched, with every level before it a row of NULLs. @return its level. */
static int right_pass(struct core *k, int idx, struct ectx *x, int *lvl)
{
	int j = k->rlv[idx];
	k->rph = idx;
	for (int g = 0; g < j; g++) {
		k->lv[g].nskip = 0;
		k->lv[g].cur->nullrow = 1;
	}
	*lvl = j;
	return lv_rewind(&k->lv[j], x);
}

/* The next row of the join: every level's cursor set. Outer joins: a
 * LEFT/FULL level with no match gives one row of NULLs (for a
 * parenthesized group, every level in it); a RIGHT/FULL level records
 * the rows that matched and, when the loop is over, gives the others
 * with the levels before it NULL (SQLite's way). */
/* The join's first step: the first level rewound (k->state 0 -> 1). */
static int join_begin(struct core *k, struct ectx *x)
{
	k->rph = -1;
	for (int r = 0; r < k->nrlv; r++) {
		struct level *R = &k->lv[k->rlv[r]];
		if (R->rwords)
			memset(R->rbits, 0, sizeof(*R->rbits) * (size_t)R->rwords);
	}
	for (int g = 0; g < k->nlv; g++)
		k->lv[g].nskip = 0;
	int rc = lv_rewind(&k->lv[0], x);
	if (rc)
		return rc;
	k->state = 1;
	return 0;
}

static int join_next(struct core *k, struct ectx *x0)
{
	struct ectx x = *x0;
	x.mem = &k->fmem;
	int i, rc;
	if (k->state == 0) {
		i = 0;
		if ((rc = join_begin(k, &x)))
			return rc;
	} else if (k->state == 2) {
		return 0;
	} else {
		i = k->nlv - 1;
	}
	for (;;) {
		struct level *L = &k->lv[i];
		int final = k->rph >= 0 && i == k->rlv[k->rph];
		sdb_sql_arena_reset(&k->fmem);
		if (L->nskip == 1) {
			/* inside a group given its null row */
			L->nskip = 2;
			if (L->non) {
				rc = on_pass(k, L, &x, L->nskip_from);
				if (rc < 0)
					return rc;
				if (!rc)
					continue;
			}
			goto where;
		}
		if (L->nskip == 2) {
			L->nskip = 0;
			L->cur->nullrow = 0;
			i--;
			continue;
		}
		rc = lv_next(L, &x);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (final || (i == 0 && k->rph < 0 && k->nrlv)) {
				int idx = final ? k->rph + 1 : 0;
				if (idx >= k->nrlv) {
					k->state = 2;
					return 0;
				}
				if ((rc = right_pass(k, idx, &x, &i)))
					return rc;
				continue;
			}
			if (L->left && !L->matched && !L->nulldone) {
				L->nulldone = 1;
				L->cur->nullrow = 1;
				for (int g = i + 1; g <= L->gend; g++) {
					k->lv[g].nskip = 1;
					k->lv[g].nskip_from = i;
					k->lv[g].cur->nullrow = 1;
				}
				if (L->non) {
					rc = on_pass(k, L, &x, i);
					if (rc < 0)
						return rc;
					if (!rc)
						continue;
				}
				goto where;
			}
			L->cur->nullrow = 0;
			if (i == 0) {
				k->state = 2;
				return 0;
			}
			i--;
			continue;
		}
		if (final) {
			/* after the loop: only the rows that never matched */
			if (rbit(L, L->rord - 1))
				continue;
			int ok = 1;
			for (int g = 0; g < i && ok; g++)
				if (k->lv[g].nwh) {
					rc = pass_all(k->lv[g].wh, k->lv[g].nwh, &x);
					if (rc < 0)
						return rc;
					ok = rc;
				}
			if (!ok)
				continue;
			goto where;
		}
		if (L->non) {
			rc = on_pass(k, L, &x, 1 << 30);
			if (rc < 0)
				return rc;
			if (!rc)
				continue;
		}
		if (L->gend <= i)
			L->matched = 1; /* a group start: when its last level matches (on_pass) */
		if (L->right && rbit_set(L, L->rord - 1))
			return sql_oom(x0->e);
where:
		if (L->nwh) {
			rc = pass_all(L->wh, L->nwh, &x);
			if (rc < 0)
				return rc;
			if (!rc)
				continue;
		}
		if (i == k->nlv - 1)
			return 1;
		i++;
		if (k->lv[i].nskip)
			continue;
		for (int g = i + 1; g <= k->lv[i].gend; g++)
			k->lv[g].nskip = 0; /* a group starts again */
		if ((rc = lv_rewind(&k->lv[i], &x)))
			return rc;
	}
}

/* ------------------------------------------------------------ aggregation */

struct grp {
	struct sql_value **rows;     /* saved cursor rows, per level */
	uint8_t *nullrow;
	unsigned char *state;
	struct vset **dist;          /* DISTINCT aggregates' seen values */
};

static int agg_setup(struct core *k)
{
	if (k->aoff)
		return 0;
	k->aoff = calloc((size_t)(k->ag.n + 1), sizeof(size_t));
	if (!k->aoff)
		return SDB_ENOMEM;
	size_t off = 0;
	for (int i = 0; i < k->ag.n; i++) {
		k->aoff[i] = off;
		off += (k->ag.d[i].fn->agg->state_size + 15) & ~(size_t)15;
	}
	k->gstate = off;
	return 0;
}

static int grp_init(struct core *k, struct grp *g, struct sdb_sql_arena *a)
{
	g->rows = sdb_sql_arena_alloc(a, sizeof(*g->rows) * (size_t)(k->nlv + 1));
	g->nullrow = sdb_sql_arena_alloc(a, (size_t)(k->nlv + 1));
	g->state = sdb_sql_arena_alloc(a, k->gstate + 16);
	g->dist = sdb_sql_arena_alloc(a, sizeof(*g->dist) * (size_t)(k->ag.n + 1));
	if (!g->rows || !g->nullrow || !g->state || !g->dist)
		return SDB_ENOMEM;
	for (int i = 0; i < k->nlv; i++) {
		struct cursor *c = k->lv[i].cur;
		int n = c->ncol + 1;
		g->rows[i] = sdb_sql_arena_alloc(a, sizeof(struct sql_value) * (size_t)n);
		if (!g->rows[i])
			return SDB_ENOMEM;
		g->nullrow[i] = c->nullrow;
		if (c->nullrow || !c->row)
			continue;
		struct src *s = k->lv[i].src;
		for (int j = 0; j < n; j++) {
			if (s && s->used && !(s->used[j >> 6] & (1ull << (j & 63))))
				continue;
			if (j == c->ncol && !(s && s->has_rowid))
				continue;
			g->rows[i][j] = c->row[j];
			if (sql_value_copy(&g->rows[i][j], a))
				return SDB_ENOMEM;
		}
	}
	return 0;
}

static int agg_step(struct core *k, struct grp *g, struct ectx *x,
		    struct sdb_sql_arena *keep)
{
	int rc;
	struct sql_fctx fc = { .mem = keep, .e = x->e, .conn = x->c,
			       .now_ms = x->h ? x->h->now_ms : 0 };
	for (int i = 0; i < k->ag.n; i++) {
		struct aggdef *d = &k->ag.d[i];
		if (d->filter) {
			int t;
			if ((rc = xp_truth(x, d->filter, &t)))
				return rc;
			if (t != 1)
				continue;
		}
		struct sql_value argv[8];
		int na = d->na > 8 ? 8 : d->na;
		for (int j = 0; j < na; j++)
			if ((rc = xp_value(x, d->args[j], &argv[j])))
				return rc;
		if (d->distinct && na >= 1) {
			if (argv[0].type == SQLV_NULL)
				continue;
			if (!g->dist[i]) {
				g->dist[i] = vset_new(1, 0);
				if (!g->dist[i])
					return sql_oom(x->e);
				/* distinct under the argument's collation, as SQLite */
				if (d->args[0]->has_coll)
					vset_coll(g->dist[i], 0, (enum sql_coll)d->args[0]->coll);
			}
			int isnew;
			if (!vset_get(g->dist[i], argv, 1, &isnew) && isnew < 0)
				return sql_oom(x->e);
			if (!isnew)
				continue;
		}
		fc.coll = d->na && d->args[0]->has_coll ? d->args[0]->coll : 0;
		rc = d->fn->agg->step(&fc, g->state + k->aoff[i], na, argv);
		if (rc)
			return rc;
	}
	return 0;
}

static int grp_cmp_k;
static struct core *grp_cmp_core;

static int grp_cmp(const void *a, const void *b)
{
	long ia = *(const long *)a, ib = *(const long *)b;
	struct core *k = grp_cmp_core;
	const struct sql_value *ka = vset_key(k->groups, ia);
	const struct sql_value *kb = vset_key(k->groups, ib);
	for (int i = 0; i < grp_cmp_k; i++) {
		int c = sql_value_cmp(&ka[i], &kb[i],
				      (enum sql_coll)(k->group[i]->has_coll ? k->group[i]->coll : 0));
		if (c)
			return c;
	}
	return ia < ib ? -1 : ia > ib;
}

static void grp_destroy(struct core *k, struct grp *g)
{
	for (int j = 0; j < k->ag.n; j++) {
		if (k->ag.d[j].fn->agg->destroy)
			k->ag.d[j].fn->agg->destroy(g->state + k->aoff[j]);
		vset_free(g->dist[j]);
		g->dist[j] = NULL;
	}
}

/* The spilled groups' state dropped. */
static void agg_spill_free(struct core *k)
{
	if (k->sg)
		grp_destroy(k, k->sg);
	k->sg = NULL;
	sdb_sql_arena_release(&k->sgmem);
	sql_sorter_free(k->xs);
	k->xs = NULL;
	k->xrow = NULL;
	free(k->xoff);
	k->xoff = NULL;
	k->gbytes = 0;
}

static void grp_free_states(struct core *k)
{
	agg_spill_free(k);
	if (!k->groups)
		return;
	for (long i = 0; i < vset_count(k->groups); i++) {
		struct grp *g = vset_payload(k->groups, i);
		for (int j = 0; j < k->ag.n; j++) {
			if (k->ag.d[j].fn->agg->destroy)
				k->ag.d[j].fn->agg->destroy(g->state + k->aoff[j]);
			vset_free(g->dist[j]);
		}
	}
	vset_free(k->groups);
	k->groups = NULL;
	free(k->gorder);
	k->gorder = NULL;
}

/* Group keys in output order (as grp_cmp). */
static int gkey_cmp(const struct core *k, const struct sql_value *a,
		    const struct sql_value *b)
{
	for (int i = 0; i < k->ngroup; i++) {
		int c = sql_value_cmp(&a[i], &b[i],
				      (enum sql_coll)(k->group[i]->has_coll ? k->group[i]->coll : 0));
		if (c)
			return c;
	}
	return 0;
}

static int spill_row_cmp(void *ctx, const struct sql_value *a,
			 const struct sql_value *b)
{
	return gkey_cmp(ctx, a, b);
}

/* What a new group costs in memory, roughly: the hash entry, its key,
 * the saved rows and the aggregate states. */
static size_t grp_bytes(const struct core *k, const struct sql_value *key)
{
	size_t b = sizeof(struct grp) + k->gstate + 96 +
		   sql_sorter_row_bytes(key, k->ngroup);
	for (int i = 0; i < k->nlv; i++) {
		const struct cursor *c = k->lv[i].cur;
		b += 16 + (c->row && !c->nullrow ? sql_sorter_row_bytes(c->row, c->ncol + 1)
						 : sizeof(struct sql_value) * (size_t)(c->ncol + 1));
	}
	return b;
}

/* From now on, rows of groups not in memory go to a sorter. */
static int agg_spill_start(struct core *k, struct ectx *x)
{
	k->xoff = calloc((size_t)(k->nlv + 1), sizeof(int));
	if (!k->xoff)
		return sql_oom(x->e);
	int n = k->ngroup;
	for (int i = 0; i < k->nlv; i++) {
		k->xoff[i] = n;
		n += k->lv[i].cur->ncol + 1;
	}
	k->xoff[k->nlv] = n;
	k->xncol = n + k->nlv;
	size_t lim = x->c->memory_limit / 4;
	k->xs = sql_sorter_new(k->xncol, spill_row_cmp, k, lim, spill_dir(x->c));
	return k->xs ? 0 : sql_oom(x->e);
}

/* A row of a group not in memory: its keys, the columns its cursors
 * hold (those read), whether each level is a row of NULLs. */
static int agg_spill_row(struct core *k, const struct sql_value *key,
			 struct ectx *x)
{
	struct sql_value buf[256];
	struct sql_value *r = k->xncol <= 256 ? buf : calloc((size_t)k->xncol, sizeof(*r));
	if (!r)
		return sql_oom(x->e);
	memcpy(r, key, sizeof(*r) * (size_t)k->ngroup);
	for (int i = 0; i < k->nlv; i++) {
		const struct cursor *c = k->lv[i].cur;
		const struct src *s = k->lv[i].src;
		struct sql_value *d = r + k->xoff[i];
		int flag = c->nullrow ? 1 : !c->row ? 2 : 0;
		for (int j = 0; j <= c->ncol; j++) {
			d[j] = sql_null();
			if (flag || (s && s->used && !(s->used[j >> 6] & (1ull << (j & 63)))))
				continue;
			if (j == c->ncol && !(s && s->has_rowid))
				continue;
			d[j] = c->row[j];
		}
		r[k->xoff[k->nlv] + i] = sql_int(flag);
	}
	int rc = sql_sorter_add(k->xs, r, k->xncol, NULL, 0, x->e);
	if (r != buf)
		free(r);
	return rc;
}

/* Points the cursors at a spilled row's values. */
static void agg_spill_restore(struct core *k, const struct sql_value *r)
{
	for (int i = 0; i < k->nlv; i++) {
		struct cursor *c = k->lv[i].cur;
		c->row = (struct sql_value *)(r + k->xoff[i]);
		c->nullrow = r[k->xoff[k->nlv] + i].u.i == 1;
	}
}

/* The next group from the spilled rows (all rows with the key of
 * k->xrow, in the order they came): its states stepped, in k->sg. */
static int agg_spill_group(struct core *k, struct ectx *x0, struct grp **out)
{
	int rc;
	struct sdb_sql_arena *a = &k->sgmem;
	if (k->sg)
		grp_destroy(k, k->sg);
	k->sg = NULL;
	sdb_sql_arena_reset(a);
	struct grp *g = sdb_sql_arena_alloc(a, sizeof(*g));
	struct sql_value *key = sdb_sql_arena_alloc(a, sizeof(*key) * (size_t)k->ngroup);
	if (!g || !key)
		return sql_oom(x0->e);
	for (int i = 0; i < k->ngroup; i++) {
		key[i] = k->xrow[i];
		if (sql_value_copy(&key[i], a))
			return sql_oom(x0->e);
	}
	agg_spill_restore(k, k->xrow);
	if (grp_init(k, g, a))
		return sql_oom(x0->e);
	k->sg = g;
	struct ectx x = *x0;
	x.mem = &k->fmem;
	for (;;) {
		sdb_sql_arena_reset(&k->fmem);
		if ((rc = agg_step(k, g, &x, a)))
			return rc;
		rc = sql_sorter_next(k->xs, &k->xrow, x0->e);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			k->xrow = NULL;
			break;
		}
		if (gkey_cmp(k, key, k->xrow))
			break;
		agg_spill_restore(k, k->xrow);
	}
	*out = g;
	return 0;
}

static int agg_build(struct core *k, struct ectx *x0)
{
	int rc;
	if ((rc = agg_setup(k)))
		return sql_oom(x0->e);
	grp_free_states(k);
	int nkey = k->ngroup;
	k->groups = vset_new(nkey, sizeof(struct grp));
	if (!k->groups)
		return sql_oom(x0->e);
	for (int i = 0; i < nkey; i++)
		vset_coll(k->groups, i, (enum sql_coll)(k->group[i]->has_coll ? k->group[i]->coll : 0));
	struct ectx x = *x0;
	x.mem = &k->fmem;
	struct sql_value keyv[64];
	struct sql_value *key = nkey <= 64 ? keyv : malloc(sizeof(*key) * (size_t)nkey);
	if (!key)
		return sql_oom(x0->e);
	/* count(*) of one table whose conjuncts its scan answers: the keys
	 * are counted, no row is made */
	if (nkey == 0 && k->nlv == 1 && k->lv[0].kind == L_TABLE && !k->lv[0].nwh &&
	    !k->lv[0].non && k->ag.n == 1 && k->ag.d[0].na == 0 && !k->ag.d[0].filter &&
	    !k->ag.d[0].distinct && !win_has(k->win) && k->ag.d[0].fn->agg->step) {
		int64_t cnt = 0;
		if (sql_agg_count_add(k->ag.d[0].fn->agg, NULL, 0) &&
		    (rc = tscan_count(k->lv[0].ts, x0, &cnt)) != 0) {
			if (rc < 0)
				goto out;
			if (cnt > 0) {
				int isnew;
				struct grp *g = vset_get(k->groups, key, 1, &isnew);
				if (!g) {
					rc = sql_oom(x0->e);
					goto out;
				}
				k->lv[0].cur->nullrow = 1; /* nothing of the row is read */
				rc = grp_init(k, g, vset_arena(k->groups));
				k->lv[0].cur->nullrow = 0;
				if (rc) {
					rc = sql_oom(x0->e);
					goto out;
				}
				sql_agg_count_add(k->ag.d[0].fn->agg, g->state + k->aoff[0], cnt);
			}
			rc = 0;
			goto counted;
		}
	}
	for (;;) {
		rc = join_next(k, x0);
		if (rc <= 0)
			break;
		for (int i = 0; i < nkey; i++)
			if ((rc = xp_value(&x, k->group[i], &key[i])))
				goto out;
		int isnew;
		struct grp *g = vset_get(k->groups, key, !k->xs, &isnew);
		if (!g && k->xs) {
			/* past the memory limit, a group not in memory */
			if ((rc = agg_spill_row(k, key, &x)))
				goto out;
			continue;
		}
		if (!g) {
			rc = sql_oom(x0->e);
			goto out;
		}
		struct sdb_sql_arena *ga = vset_arena(k->groups);
		if (isnew && (rc = grp_init(k, g, ga))) {
			rc = sql_oom(x0->e);
			goto out;
		}
		if (isnew && nkey && (k->gbytes += grp_bytes(k, key)) > x0->c->memory_limit / 2 &&
		    (rc = agg_spill_start(k, x0)))
			goto out;
		if ((rc = agg_step(k, g, &x, ga)))
			goto out;
	}
	if (rc < 0)
		goto out;
counted:
	if (k->xs) {
		if ((rc = sql_sorter_finish(k->xs, x0->e)))
			goto out;
		if ((rc = sql_sorter_next(k->xs, &k->xrow, x0->e)) < 0)
			goto out;
		if (rc == 0)
			k->xrow = NULL;
	}
	if (nkey == 0 && vset_count(k->groups) == 0) {
		/* an aggregate without GROUP BY over no rows: one row */
		int isnew;
		struct grp *g = vset_get(k->groups, key, 1, &isnew);
		if (!g) {
			rc = sql_oom(x0->e);
			goto out;
		}
		for (int i = 0; i < k->nlv; i++)
			k->lv[i].cur->nullrow = 1;
		if ((rc = grp_init(k, g, vset_arena(k->groups)))) {
			rc = sql_oom(x0->e);
			goto out;
		}
		for (int i = 0; i < k->nlv; i++) {
			k->lv[i].cur->nullrow = 0;
			g->nullrow[i] = 1;
		}
	}
	k->ngroups = vset_count(k->groups);
	k->gorder = malloc(sizeof(long) * (size_t)(k->ngroups + 1));
	if (!k->gorder) {
		rc = sql_oom(x0->e);
		goto out;
	}
	for (long i = 0; i < k->ngroups; i++)
		k->gorder[i] = i;
	if (nkey) {
		grp_cmp_k = nkey;
		grp_cmp_core = k;
		qsort(k->gorder, (size_t)k->ngroups, sizeof(long), grp_cmp);
	}
	k->gpos = 0;
	rc = 0;
out:
	if (key != keyv)
		free(key);
	return rc;
}

/* The next group, its cursors restored and aggregate results in ag.out. */
static int agg_next(struct core *k, struct ectx *x)
{
	int rc;
	if (k->state != 3) {
		if ((rc = agg_build(k, x)))
			return rc;
		k->state = 3;
		if (!k->ag.out && k->ag.n) {
			k->ag.out = calloc((size_t)k->ag.n, sizeof(struct sql_value));
			if (!k->ag.out)
				return sql_oom(x->e);
		}
	}
	while (k->gpos < k->ngroups || k->xrow) {
		struct grp *g = NULL;
		if (k->xrow && (k->gpos >= k->ngroups ||
				gkey_cmp(k, vset_key(k->groups, k->gorder[k->gpos]), k->xrow) > 0)) {
			if ((rc = agg_spill_group(k, x, &g)))
				return rc;
		} else {
			g = vset_payload(k->groups, k->gorder[k->gpos++]);
		}
		for (int i = 0; i < k->nlv; i++) {
			k->lv[i].cur->row = g->rows[i];
			k->lv[i].cur->nullrow = g->nullrow[i];
		}
		for (int i = 0; i < k->ag.n; i++) {
			struct sql_fctx fc = { .mem = x->mem, .e = x->e, .conn = x->c,
					       .now_ms = x->h ? x->h->now_ms : 0 };
			if ((rc = k->ag.d[i].fn->agg->final(&fc, g->state + k->aoff[i], &k->ag.out[i])))
				return rc;
		}
		if (k->having) {
			int t;
			if ((rc = xp_truth(x, k->having, &t)))
				return rc;
			if (t != 1)
				continue;
		}
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ cores */

static void distinct_free(struct core *k)
{
	vset_free(k->dset);
	k->dset = NULL;
	sql_sorter_free(k->dxa);
	sql_sorter_free(k->dxb);
	k->dxa = k->dxb = NULL;
	k->dphase = 0;
	k->dbytes = 0;
	k->dseq = 0;
}

static void core_reset(struct core *k)
{
	win_reset(k->win);
	k->state = 0;
	k->vpos = 0;
	distinct_free(k);
}

/* The collation DISTINCT compares result column i under. */
static int res_coll(const struct core *k, int i)
{
	return k->res && k->res[i]->has_coll ? k->res[i]->coll : 0;
}

/* Rows compared as the DISTINCT set compares them (NULLs equal). */
static int distinct_cmp(void *ctx, const struct sql_value *a,
			const struct sql_value *b)
{
	const struct core *k = ctx;
	for (int i = 0; i < k->nres; i++) {
		int c = sql_value_cmp(&a[i], &b[i], (enum sql_coll)res_coll(k, i));
		if (c)
			return c;
	}
	return 0;
}

/* ... and by their number (the column after them). */
static int distinct_seq_cmp(void *ctx, const struct sql_value *a,
			    const struct sql_value *b)
{
	const struct core *k = ctx;
	int64_t x = a[k->nres].u.i, y = b[k->nres].u.i;
	return x < y ? -1 : x > y;
}

/* The input is over: the first of each distinct spilled row, in the
 * order they came, into dxb. */
static int distinct_finish(struct core *k, struct ectx *x)
{
	int rc;
	const struct sql_value *r;
	struct sdb_sql_arena pm;
	struct sql_value *prev = NULL;
	if ((rc = sql_sorter_finish(k->dxa, x->e)))
		return rc;
	k->dxb = sql_sorter_new(k->nres + 1, distinct_seq_cmp, k, x->c->memory_limit / 4,
				spill_dir(x->c));
	if (!k->dxb)
		return sql_oom(x->e);
	sdb_sql_arena_init(&pm);
	while ((rc = sql_sorter_next(k->dxa, &r, x->e)) == 1) {
		if (prev && !distinct_cmp(k, prev, r))
			continue;
		if ((rc = sql_sorter_add(k->dxb, r, k->nres + 1, NULL, 0, x->e)))
			break;
		sdb_sql_arena_reset(&pm);
		if (!(prev = sdb_sql_arena_alloc(&pm, sizeof(*prev) * (size_t)(k->nres + 1)))) {
			rc = sql_oom(x->e);
			break;
		}
		for (int i = 0; i < k->nres; i++) {
			prev[i] = r[i];
			if (sql_value_copy(&prev[i], &pm)) {
				rc = sql_oom(x->e);
				break;
			}
		}
		if (rc)
			break;
	}
	sdb_sql_arena_release(&pm);
	sql_sorter_free(k->dxa);
	k->dxa = NULL;
	if (rc == 0)
		rc = sql_sorter_finish(k->dxb, x->e);
	k->dphase = 2;
	return rc;
}

/* The next output row of a core into k->out (bytes in x->mem). */
static int core_next(struct core *k, struct ectx *x)
{
	int rc;
	if (k->dphase == 2) {
		/* DISTINCT rows that were spilled, in the order they came */
		const struct sql_value *r;
		if ((rc = sql_sorter_next(k->dxb, &r, x->e)) <= 0)
			return rc;
		memcpy(k->out, r, sizeof(*k->out) * (size_t)k->nres);
		return 1;
	}
	for (;;) {
		if (k->vrows) {
			if (k->vpos >= k->nvrows)
				return k->dphase == 1 ? (rc = distinct_finish(k, x)) ? rc : core_next(k, x) : 0;
			struct xp **r = k->vrows[k->vpos++];
			for (int i = 0; i < k->nres; i++)
				if ((rc = xp_eval(x, r[i], &k->out[i])))
					return rc;
		} else {
			rc = win_has(k->win) ? win_next(k->win, x) :
			     k->is_agg ? agg_next(k, x) : join_next(k, x);
			if (rc == 0 && k->dphase == 1)
				return (rc = distinct_finish(k, x)) ? rc : core_next(k, x);
			if (rc <= 0)
				return rc;
			if (k->defer) {
				for (int i = 0; i < k->nres; i++)
					if (k->kcol[i] && (rc = xp_eval(x, k->res[i], &k->out[i])))
						return rc;
				return 1;
			}
			for (int i = 0; i < k->nres; i++)
				if ((rc = xp_eval(x, k->res[i], &k->out[i])))
					return rc;
		}
		if (k->distinct) {
			if (!k->dset) {
				k->dset = vset_new(k->nres, 0);
				if (!k->dset)
					return sql_oom(x->e);
				/* rows compared under each result column's collation, as SQLite */
				for (int i = 0; i < k->nres; i++)
					vset_coll(k->dset, i, (enum sql_coll)res_coll(k, i));
			}
			int isnew;
			if (k->dphase == 1) {
				/* past the limit: a row not in memory waits in dxa */
				if (vset_get(k->dset, k->out, 0, &isnew))
					continue;
				struct sql_value seq = sql_int(k->dseq++);
				if ((rc = sql_sorter_add(k->dxa, k->out, k->nres, &seq, 1, x->e)))
					return rc;
				continue;
			}
			if (!vset_get(k->dset, k->out, 1, &isnew) && isnew < 0)
				return sql_oom(x->e);
			if (!isnew)
				continue;
			if ((k->dbytes += sql_sorter_row_bytes(k->out, k->nres) + 48) > x->c->memory_limit / 2) {
				k->dxa = sql_sorter_new(k->nres + 1, distinct_cmp, k, x->c->memory_limit / 4,
							spill_dir(x->c));
				if (!k->dxa)
					return sql_oom(x->e);
				k->dphase = 1;
			}
		}
		return 1;
	}
}

/* The result columns core_next left for later (k->defer) of the row it
 * gave, which is still current. */
static int core_rest(struct core *k, struct ectx *x)
{
	int rc;
	for (int i = 0; i < k->nres; i++)
		if (!k->kcol[i] && (rc = xp_eval(x, k->res[i], &k->out[i])))
			return rc;
	return 0;
}

/* ------------------------------------------------------------ select run */

static int eval_limit(struct ectx *x, struct xp *p, int64_t *out, int64_t dflt)
{
	*out = dflt;
	if (!p)
		return 0;
	struct sql_value v;
	int rc = xp_eval(x, p, &v);
	if (rc)
		return rc;
	struct sql_value n = sql_value_numeric(&v);
	if (v.type == SQLV_NULL || (v.type == SQLV_TEXT && n.type == SQLV_REAL) ||
	    v.type == SQLV_BLOB || (n.type == SQLV_REAL && n.u.r != (double)(int64_t)n.u.r))
		return sdb_error_set(x->e, SDB_EINVAL, "datatype mismatch");
	if (v.type == SQLV_TEXT) {
		/* must be a whole integer literal */
		int64_t i = sql_value_to_int(&v);
		*out = i;
		return 0;
	}
	*out = n.type == SQLV_INT ? n.u.i : (int64_t)n.u.r;
	return 0;
}

int sel_open(struct sel *q, struct ectx *x0)
{
	struct ectx x = *x0;
	x.mem = &q->mem;
	sdb_sql_arena_reset(&q->mem);
	int rc;
	for (int i = 0; i < q->ncores; i++)
		core_reset(q->cores[i]);
	if ((rc = eval_limit(&x, q->limit, &q->lim, -1)))
		return rc;
	if ((rc = eval_limit(&x, q->offset, &q->off, 0)))
		return rc;
	if (q->off < 0)
		q->off = 0;
	q->emitted = q->skipped = 0;
	q->cur_core = 0;
	q->state = 0;
	if (q->cset) {
		vset_free(q->cset);
		q->cset = NULL;
	}
	rs_free(&q->sorter);
	sql_sorter_free(q->xs);
	q->xs = NULL;
	q->spos = 0;
	return 0;
}

static struct sel *cmp_sel;

static int row_cmp(const void *pa, const void *pb)
{
	const struct sel *q = cmp_sel;
	const struct sql_value *a = pa, *b = pb;
	int nk = q->norder;
	if (nk == 0) {
		for (int i = 0; i < q->ncols; i++) {
			int c = sql_value_cmp(&a[i], &b[i], (enum sql_coll)q->coll[i]);
			if (c)
				return c;
		}
		return 0;
	}
	for (int i = 0; i < nk; i++) {
		const struct okey *ok = &q->ok[i];
		const struct sql_value *va = &a[q->ncols + i], *vb = &b[q->ncols + i];
		int c;
		int an = va->type == SQLV_NULL, bn = vb->type == SQLV_NULL;
		if (an || bn) {
			if (an && bn)
				continue;
			int nulls_first = ok->nulls ? ok->nulls == 1 : !ok->desc;
			c = an ? -1 : 1;
			if (!nulls_first)
				c = -c;
			return c;
		}
		c = sql_value_cmp(va, vb, (enum sql_coll)ok->coll);
		if (c)
			return ok->desc ? -c : c;
	}
	return 0;
}

/* row_cmp for the external sorter (sorter.h). */
static int sorter_row_cmp(void *ctx, const struct sql_value *a,
			  const struct sql_value *b)
{
	cmp_sel = ctx;
	return row_cmp(a, b);
}

/* Evaluates the sort keys of the core's current row into q->keys. */
static int eval_keys(struct sel *q, struct core *k, struct ectx *x)
{
	for (int i = 0; i < q->norder; i++) {
		const struct okey *ok = &q->ok[i];
		if (ok->rescol >= 0) {
			q->keys[i] = k->out[ok->rescol];
			continue;
		}
		int rc = xp_eval(x, ok->e, &q->keys[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int all_union_all(const struct sel *q)
{
	for (int i = 1; i < q->ncores; i++)
		if (q->ops[i] != SQL_CMP_UNION_ALL)
			return 0;
	return 1;
}

/* ------------------------------------------------------------ set operators
 * UNION, INTERSECT and EXCEPT by sorting (sorter.h, so they spill past
 * the memory limit like ORDER BY): the rows so far and the next select's
 * are sorted on all columns under the result's collations, then merged;
 * the result of a set operator comes out sorted, as SQLite's, and UNION
 * ALL appends in order. A third of the limit per sorter: three are live
 * at a time. */

static int whole_row_cmp(void *ctx, const struct sql_value *a,
			 const struct sql_value *b)
{
	const struct sel *q = ctx;
	for (int i = 0; i < q->ncols; i++) {
		int c = sql_value_cmp(&a[i], &b[i], (enum sql_coll)q->coll[i]);
		if (c)
			return c;
	}
	return 0;
}

/* Every row ties: a sorter that keeps the order rows came in. */
static int keep_order_cmp(void *ctx, const struct sql_value *a,
			  const struct sql_value *b)
{
	(void)ctx;
	(void)a;
	(void)b;
	return 0;
}

static struct sql_sorter *set_sorter(struct sel *q, struct ectx *x, int sorted)
{
	return sql_sorter_new(q->ncols, sorted ? whole_row_cmp : keep_order_cmp, q,
			      x->c->memory_limit / 3, spill_dir(x->c));
}

static int queue_add(struct sel *q, const struct sql_value *row, int dedup,
		     struct ectx *x);

/* Every row of core k (from where it is) into sorter `to`, or with `to`
 * NULL into the recursive CTE's queue (queue_add). @return 0 or an error. */
static int core_drain(struct sel *q, struct core *k, struct ectx *x,
		      struct sql_sorter *to, int dedup)
{
	for (;;) {
		sdb_sql_arena_reset(&q->mem);
		int rc = core_next(k, x);
		if (rc <= 0)
			return rc;
		rc = to ? sql_sorter_add(to, k->out, q->ncols, NULL, 0, x->e)
			: queue_add(q, k->out, dedup, x);
		if (rc)
			return rc;
	}
}

/* Adds every row of the finished sorter `from` (NULL: none), then every
 * row of core k (NULL: none), to `to`, and finishes it. */
static int set_fill(struct sel *q, struct ectx *x, struct sql_sorter *to,
		    struct sql_sorter *from, struct core *k)
{
	int rc;
	const struct sql_value *r;
	if (from)
		while ((rc = sql_sorter_next(from, &r, x->e)) == 1)
			if ((rc = sql_sorter_add(to, r, q->ncols, NULL, 0, x->e)))
				return rc;
	if (from && rc < 0)
		return rc;
	if (k && (rc = core_drain(q, k, x, to, 0)))
		return rc;
	return sql_sorter_finish(to, x->e);
}

/* One set operator over two sorted streams into `out` (kept in order):
 * UNION the distinct rows of l (which holds both sides), INTERSECT and
 * EXCEPT the distinct rows of l in / not in r. */
static int set_merge(struct sel *q, struct ectx *x, int op, struct sql_sorter *l,
		     struct sql_sorter *r, struct sql_sorter *out)
{
	struct sdb_sql_arena pm;
	struct sql_value *prev = NULL;
	const struct sql_value *lr, *rr = NULL;
	int rc, rhave = 0;
	sdb_sql_arena_init(&pm);
	if (r && (rhave = sql_sorter_next(r, &rr, x->e)) < 0)
		return rhave;
	while ((rc = sql_sorter_next(l, &lr, x->e)) == 1) {
		int keep = 1;
		if (r) {
			while (rhave == 1 && whole_row_cmp(q, rr, lr) < 0)
				if ((rhave = sql_sorter_next(r, &rr, x->e)) < 0) {
					rc = rhave;
					goto out;
				}
			int in = rhave == 1 && whole_row_cmp(q, rr, lr) == 0;
			keep = in == (op == SQL_CMP_INTERSECT);
		}
		if (!keep || (prev && whole_row_cmp(q, prev, lr) == 0))
			continue;
		if ((rc = sql_sorter_add(out, lr, q->ncols, NULL, 0, x->e)))
			goto out;
		/* the row kept, for the duplicates after it */
		sdb_sql_arena_reset(&pm);
		if (!(prev = sdb_sql_arena_alloc(&pm, sizeof(*prev) * (size_t)(q->ncols ? q->ncols : 1)))) {
			rc = sql_oom(x->e);
			goto out;
		}
		for (int i = 0; i < q->ncols; i++) {
			prev[i] = lr[i];
			if (sql_value_copy(&prev[i], &pm)) {
				rc = sql_oom(x->e);
				goto out;
			}
		}
	}
	if (rc == 0)
		rc = sql_sorter_finish(out, x->e);
out:
	sdb_sql_arena_release(&pm);
	return rc;
}

/* Runs a compound with set operators, left to right, into q->xs:
 * UNION ALL appends, UNION/INTERSECT/EXCEPT make the rows so far
 * distinct (sorted) and combine them with the next select's; ORDER BY
 * sorts the result by its keys. */
static int run_compound(struct sel *q, struct ectx *x)
{
	int rc = 0;
	struct sql_sorter *cur = NULL, *a = NULL, *b = NULL, *c = NULL;
	for (int ci = 0; ci < q->ncores; ci++) {
		struct core *k = q->cores[ci];
		int op = ci ? q->ops[ci] : SQL_CMP_UNION_ALL;
		if (op == SQL_CMP_UNION_ALL) {
			if (!(a = set_sorter(q, x, 0)))
				goto oom;
			if ((rc = set_fill(q, x, a, cur, k)))
				goto out;
		} else if (op == SQL_CMP_UNION) {
			if (!(b = set_sorter(q, x, 1)) || !(a = set_sorter(q, x, 0)))
				goto oom;
			if ((rc = set_fill(q, x, b, cur, k)) || (rc = set_merge(q, x, op, b, NULL, a)))
				goto out;
		} else {
			if (!(b = set_sorter(q, x, 1)) || !(c = set_sorter(q, x, 1)) ||
			    !(a = set_sorter(q, x, 0)))
				goto oom;
			if ((rc = set_fill(q, x, b, cur, NULL)) || (rc = set_fill(q, x, c, NULL, k)) ||
			    (rc = set_merge(q, x, op, b, c, a)))
				goto out;
		}
		sql_sorter_free(cur);
		sql_sorter_free(b);
		sql_sorter_free(c);
		cur = a;
		a = b = c = NULL;
	}
	sql_sorter_free(q->xs);
	q->xs = NULL;
	if (!q->norder) {
		q->xs = cur;
		cur = NULL;
		goto out;
	}
	q->xs = sql_sorter_new(q->ncols + q->norder, sorter_row_cmp, q,
			       x->c->memory_limit, spill_dir(x->c));
	if (!q->xs)
		goto oom;
	const struct sql_value *row;
	while ((rc = sql_sorter_next(cur, &row, x->e)) == 1) {
		for (int i = 0; i < q->norder; i++)
			q->keys[i] = row[q->ok[i].rescol];
		if ((rc = sql_sorter_add(q->xs, row, q->ncols, q->keys, q->norder, x->e)))
			goto out;
	}
	if (rc == 0)
		rc = sql_sorter_finish(q->xs, x->e);
	goto out;
oom:
	rc = sql_oom(x->e);
out:
	sql_sorter_free(cur);
	sql_sorter_free(a);
	sql_sorter_free(b);
	sql_sorter_free(c);
	return rc;
}

/* Top-k: sorts the rows kept and keeps the first k (copied into a fresh
 * store, so the bytes of the dropped ones are freed too). */
static int sorter_trim(struct sel *q, long k)
{
	struct rowstore *r = &q->sorter, n;
	cmp_sel = q;
	qsort(r->v, (size_t)r->n, sizeof(struct sql_value) * (size_t)r->ncol,
	      row_cmp);
	if (r->n <= k)
		return 0;
	rs_init(&n, r->ncol);
	for (long i = 0; i < k; i++)
		if (rs_add(&n, &r->v[i * r->ncol], r->ncol, NULL, 0)) {
			rs_free(&n);
			return SDB_ENOMEM;
		}
	rs_free(r);
	*r = n;
	return 0;
}

/* The next row to sort, of the cores in turn (q->cur_core), its keys in
 * q->keys. @return 1, 0 after the last core, or an error. */
static int sort_input(struct sel *q, struct ectx *x, struct core **kp)
{
	while (q->cur_core < q->ncores) {
		struct core *k = q->cores[q->cur_core];
		sdb_sql_arena_reset(&q->mem);
		int rc = core_next(k, x);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			q->cur_core++;
			continue;
		}
		*kp = k;
		return (rc = eval_keys(q, k, x)) ? rc : 1;
	}
	q->cur_core = 0;
	return 0;
}

/* ORDER BY without a small LIMIT: every row through the external sorter,
 * which spills sorted runs past the memory limit. */
static int sort_external(struct sel *q, struct ectx *x)
{
	int rc;
	struct core *k;
	sql_sorter_free(q->xs);
	q->xs = sql_sorter_new(q->ncols + q->norder, sorter_row_cmp, q,
			       x->c->memory_limit, spill_dir(x->c));
	if (!q->xs)
		return sql_oom(x->e);
	while ((rc = sort_input(q, x, &k)) == 1)
		if ((rc = sql_sorter_add(q->xs, k->out, q->ncols, q->keys, q->norder, x->e)))
			return rc;
	return rc ? rc : sql_sorter_finish(q->xs, x->e);
}

/* Sort key 0 of a row (a) against the k-th kept row's (b), as row_cmp
 * orders them: -1, 0, 1, or 2 when they are not both numbers (then
 * row_cmp decides). */
static inline int key0_cmp(const struct sel *q, const struct sql_value *a,
			   const struct sql_value *b)
{
	int c;
	if (a->type == SQLV_INT && b->type == SQLV_INT)
		c = (a->u.i > b->u.i) - (a->u.i < b->u.i);
	else if (a->type == SQLV_REAL && b->type == SQLV_REAL)
		c = (a->u.r > b->u.r) - (a->u.r < b->u.r);
	else
		return 2;
	return q->ok[0].desc ? -c : c;
}

/* Top-k: the result columns no sort key reads are evaluated only for a
 * row that is kept (on 1; off again on 0). Plain cores only (no
 * aggregate, DISTINCT, window or VALUES: those need every column). */
static int topk_defer(struct sel *q, int on)
{
	for (int ci = 0; ci < q->ncores; ci++) {
		struct core *k = q->cores[ci];
		k->defer = 0;
		if (!on || k->is_agg || k->distinct || k->vrows || win_has(k->win) || !k->nres)
			continue;
		if (!k->kcol && !(k->kcol = calloc((size_t)k->nres, 1)))
			return SDB_ENOMEM;
		memset(k->kcol, 0, (size_t)k->nres);
		int rest = 0;
		for (int i = 0; i < q->norder; i++)
			if (q->ok[i].rescol >= 0 && q->ok[i].rescol < k->nres)
				k->kcol[q->ok[i].rescol] = 1;
			else if (q->ok[i].rescol >= 0)
				return 0; /* not this core's column */
		for (int i = 0; i < k->nres; i++)
			rest += !k->kcol[i];
		k->defer = rest > 0;
	}
	return 0;
}

static int sort_all(struct sel *q, struct ectx *x)
{
	int rc;
	rs_free(&q->sorter);
	rs_init(&q->sorter, q->ncols + q->norder);
	/* ORDER BY ... LIMIT: keep only the best lim + off rows */
	long topk = q->lim >= 0 && q->lim + q->off <= 1000000 ? (long)(q->lim + q->off) : -1;
	if (topk < 0)
		return sort_external(q, x);
	long worst = -1; /* the k-th kept row (an index: rs_add may move the rows) */
	struct sql_value *cand = NULL; /* a row's keys where row_cmp reads them */
	struct core *k;
	if (topk_defer(q, 1)) {
		topk_defer(q, 0);
		return sql_oom(x->e);
	}
	while ((rc = sort_input(q, x, &k)) == 1) {
		if (worst >= 0) {
			/* top-k: a row after the k-th kept one is not kept (the
			 * first key decides most rows alone) */
			const struct sql_value *w = &q->sorter.v[worst * q->sorter.ncol];
			int c = key0_cmp(q, &q->keys[0], &w[q->ncols]);
			if (c == 2 || (c == 0 && q->norder > 1)) {
				memcpy(cand + q->ncols, q->keys, sizeof(*cand) * (size_t)q->norder);
				cmp_sel = q;
				c = row_cmp(cand, w);
			}
			if (c > 0)
				continue;
		}
		if (k->defer && (rc = core_rest(k, x)))
			goto out;
		if (rs_add(&q->sorter, k->out, q->ncols, q->keys, q->norder))
			goto oom;
		if (topk > 0 && q->sorter.n >= 2 * topk + 64) {
			if (!cand && !(cand = calloc((size_t)q->sorter.ncol, sizeof(*cand))))
				goto oom;
			if (sorter_trim(q, topk))
				goto oom;
			worst = topk - 1;
		}
	}
	if (rc < 0)
		goto out;
	cmp_sel = q;
	if (q->sorter.n > 1)
		qsort(q->sorter.v, (size_t)q->sorter.n,
		      sizeof(struct sql_value) * (size_t)q->sorter.ncol, row_cmp);
	rc = 0;
	goto out;
oom:
	rc = sql_oom(x->e);
out:
	topk_defer(q, 0);
	free(cand);
	return rc;
}

/* A row's hash for the seen-set's file: its values' (BINARY), mixed. */
static uint64_t row_hash(const struct sql_value *row, int n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < n; i++)
		h = (h ^ sql_value_hash(&row[i], SQL_COLL_BINARY)) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* Whether the seen-set's file holds the row. @return 1, 0 or an error. */
static int qfile_has(struct sel *q, const struct sql_value *row, struct ectx *x)
{
	const struct sql_value *r;
	int rc;
	sql_hfile_probe(q->qfile, row_hash(row, q->ncols));
	while ((rc = sql_hfile_next(q->qfile, &r, x->e)) == 1) {
		int i = 0;
		while (i < q->ncols && !sql_value_cmp(&r[i], &row[i], SQL_COLL_BINARY))
			i++;
		if (i == q->ncols)
			return 1;
	}
	return rc;
}

/* qseen full: a new file of the old one's rows and qseen's; qseen empty. */
static int qfile_grow(struct sel *q, struct ectx *x)
{
	int rc = 0;
	const struct sql_value *r;
	struct sql_hfile *nf = sql_hfile_new(q->ncols, x->c->memory_limit / 4, spill_dir(x->c),
					     "UNION set file");
	if (!nf)
		return sql_oom(x->e);
	if (q->qfile) {
		sql_hfile_all(q->qfile);
		while ((rc = sql_hfile_next(q->qfile, &r, x->e)) == 1)
			if ((rc = sql_hfile_add(nf, row_hash(r, q->ncols), r, x->e)))
				break;
	}
	for (long i = 0; rc == 0 && i < vset_count(q->qseen); i++) {
		r = vset_key(q->qseen, i);
		rc = sql_hfile_add(nf, row_hash(r, q->ncols), r, x->e);
	}
	if (rc == 0)
		rc = sql_hfile_finish(nf, x->e);
	if (rc) {
		sql_hfile_free(nf);
		return rc;
	}
	sql_hfile_free(q->qfile);
	q->qfile = nf;
	vset_free(q->qseen);
	q->qbytes = 0;
	if (!(q->qseen = vset_new(q->ncols, 0)))
		return sql_oom(x->e);
	return 0;
}

static int queue_add(struct sel *q, const struct sql_value *row, int dedup,
		     struct ectx *x)
{
	if (dedup) {
		int isnew, rc;
		if (q->qfile && (rc = qfile_has(q, row, x)))
			return rc < 0 ? rc : 0;
		if (!vset_get(q->qseen, row, 1, &isnew) && isnew < 0)
			return sql_oom(x->e);
		if (!isnew)
			return 0;
		if ((q->qbytes += sql_sorter_row_bytes(row, q->ncols) + 32) > x->c->memory_limit / 2 &&
		    (rc = qfile_grow(q, x)))
			return rc;
	}
	return sql_sorter_add(q->queue, row, q->ncols, NULL, 0, x->e);
}

/* A recursive CTE: the rows of the first select, then for each row taken
 * from the queue (in order) the rows of the recursive selects with that
 * row as the CTE's one row, until the queue is empty. */
static int rec_step(struct sel *q, struct ectx *x)
{
	int rc;
	int dedup = q->ncores > 1 && q->ops[1] == SQL_CMP_UNION;
	if (q->state == 0) {
		sql_sorter_free(q->queue);
		q->queue = sql_sorter_new(q->ncols, NULL, NULL, x->c->memory_limit / 2, spill_dir(x->c));
		if (!q->queue)
			return sql_oom(x->e);
		if (!q->recrow && !(q->recrow = calloc((size_t)q->ncols + 1, sizeof(*q->recrow))))
			return sql_oom(x->e);
		vset_free(q->qseen);
		q->qseen = NULL;
		sql_hfile_free(q->qfile);
		q->qfile = NULL;
		q->qbytes = 0;
		if (dedup && !(q->qseen = vset_new(q->ncols, 0)))
			return sql_oom(x->e);
		if ((rc = core_drain(q, q->cores[0], x, NULL, dedup)))
			return rc;
		q->state = 1;
	}
	for (;;) {
		const struct sql_value *r;
		if (q->lim >= 0 && q->emitted >= q->lim) {
			q->state = 3;
			return 0;
		}
		if ((rc = sql_sorter_next(q->queue, &r, x->e)) <= 0) {
			q->state = 3;
			return rc;
		}
		/* the row outlives the queue's buffer: its bytes in recmem */
		sdb_sql_arena_reset(&q->recmem);
		for (int i = 0; i < q->ncols; i++) {
			q->recrow[i] = r[i];
			if (sql_value_copy(&q->recrow[i], &q->recmem))
				return sql_oom(x->e);
		}
		for (int ci = 1; ci < q->ncores; ci++) {
			struct core *k = q->cores[ci];
			core_reset(k);
			if ((rc = core_drain(q, k, x, NULL, dedup)))
				return rc;
		}
		memcpy(q->row, q->recrow, sizeof(*q->row) * (size_t)q->ncols);
		if (q->skipped < q->off) {
			q->skipped++;
			continue;
		}
		q->emitted++;
		return 1;
	}
}

/* A k-NN select whose level the HNSW index answers in ORDER BY order
 * (tscan_knn_ordered) needs no sort: its rows stream, as for an index's
 * order (1; 0: sort them; its level rewound either way). */
static int knn_ordered(struct sel *q, struct ectx *x0)
{
	if (!q->knn)
		return 0;
	struct core *k = q->cores[0];
	if (k->state != 0 || k->is_agg || k->nlv != 1 || !k->lv[0].ts)
		return 0;
	struct ectx x = *x0;
	x.mem = &k->fmem;
	int rc = join_begin(k, &x);
	if (rc)
		return rc;
	if (!tscan_knn_ordered(k->lv[0].ts))
		return 0;
	k->defer = 0;
	return 1;
}

int sel_step(struct sel *q, struct ectx *x0)
{
	struct ectx x = *x0;
	x.mem = &q->mem;
	int rc;
	if (q->state == 3)
		return 0;
	if (q->recursive)
		return rec_step(q, &x);
	if (q->lim >= 0 && q->emitted >= q->lim) {
		q->state = 3;
		return 0;
	}
	if (q->state == 0) {
		if (q->ncores > 1 && !all_union_all(q)) {
			if ((rc = run_compound(q, &x)))
				return rc;
			q->state = 2;
		} else if (q->norder && !q->presorted && (rc = knn_ordered(q, &x)) <= 0) {
			if (rc < 0 || (rc = sort_all(q, &x)))
				return rc;
			q->state = 2;
		} else {
			q->state = 1;
		}
	}
	for (;;) {
		if (q->state == 2) {
			const struct sql_value *r;
			if (q->xs) {
				if ((rc = sql_sorter_next(q->xs, &r, x.e)) < 0)
					return rc;
				if (rc == 0) {
					q->state = 3;
					return 0;
				}
			} else if (q->spos >= q->sorter.n) {
				q->state = 3;
				return 0;
			} else {
				r = &q->sorter.v[q->spos++ * q->sorter.ncol];
			}
			if (q->skipped < q->off) {
				q->skipped++;
				continue;
			}
			memcpy(q->row, r, sizeof(*r) * (size_t)q->ncols);
			q->emitted++;
			return 1;
		}
		sdb_sql_arena_reset(&q->mem);
		struct core *k = q->cores[q->cur_core];
		rc = core_next(k, &x);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (q->cur_core + 1 < q->ncores) {
				q->cur_core++;
				continue;
			}
			q->state = 3;
			return 0;
		}
		if (q->skipped < q->off) {
			q->skipped++;
			continue;
		}
		memcpy(q->row, k->out, sizeof(*q->row) * (size_t)q->ncols);
		q->emitted++;
		return 1;
	}
}

static void core_free(struct core *k)
{
	free(k->kcol);
	grp_free_states(k);
	free(k->aoff);
	free(k->ag.out);
	distinct_free(k);
	win_free(k->win);
	sdb_sql_arena_release(&k->fmem);
	for (int i = 0; i < k->nlv; i++) {
		struct level *L = &k->lv[i];
		sql_sorter_free(L->sp);
		sql_fts_hybrid_free(L->hy);
		if (L->ts)
			tscan_free(L->ts);
		sql_tvf_free(L->tvf);
		L->tvf = NULL;
		free(L->rbits);
		L->rbits = NULL;
	}
}

void sel_free(struct sel *q)
{
	if (!q)
		return;
	for (int i = 0; i < q->ncores; i++)
		core_free(q->cores[i]);
	vset_free(q->cset);
	vset_free(q->qseen);
	sql_hfile_free(q->qfile);
	sql_sorter_free(q->queue);
	free(q->recrow);
	sdb_sql_arena_release(&q->recmem);
	rs_free(&q->sorter);
	sql_sorter_free(q->xs);
	sdb_sql_arena_release(&q->mem);
}

void sel_free_all(struct qall *a)
{
	for (struct sel *q = a->sels, *n; q; q = n) {
		n = q->next_all;
		sel_free(q);
	}
	for (struct subq *s = a->subs, *n; s; s = n) {
		n = s->next;
		vset_free(s->set);
		sql_hfile_free(s->hf);
		sdb_sql_arena_release(&s->mem);
	}
	a->sels = NULL;
	a->subs = NULL;
}

static int eqp_row(struct sql_stmt_h *h, int *id, int parent,
		   const char *detail, struct sdb_error *e)
{
	struct sql_value v[4] = { sql_int(*id), sql_int(parent), sql_int(0),
				  sql_text(detail, strlen(detail)) };
	(*id)++;
	return sql_stmt_emit_row(h, v, e);
}

static int eqp_sel(struct sel *q, struct sql_stmt_h *h, int *id, int parent,
		   struct sdb_error *e)
{
	int rc, step = parent;
	char buf[600];
	for (int ci = 0; ci < q->ncores; ci++) {
		struct core *k = q->cores[ci];
		int par = parent;
		if (q->recursive && q->ncores > 1) {
			/* as SQLite: the first select, then the recursive ones */
			if (ci == 0 || ci == 1) {
				step = *id;
				if ((rc = eqp_row(h, id, parent, ci ? "RECURSIVE STEP" : "SETUP", e)))
					return rc;
			}
			par = step;
			if (!k->vrows && k->nlv == 1 && k->lv[0].kind == L_ONE &&
			    (rc = eqp_row(h, id, par, "SCAN CONSTANT ROW", e)))
				return rc;
		} else if (q->ncores > 1) {
			par = *id;
			if ((rc = eqp_row(h, id, parent, ci == 0 ? "LEFT-MOST SUBQUERY" :
					  q->ops[ci] == SQL_CMP_UNION_ALL ? "UNION ALL" :
					  q->ops[ci] == SQL_CMP_UNION ? "UNION USING TEMP B-TREE" :
					  q->ops[ci] == SQL_CMP_INTERSECT ? "INTERSECT USING TEMP B-TREE" :
					  "EXCEPT USING TEMP B-TREE", e)))
				return rc;
		}
		if (k->vrows) {
			snprintf(buf, sizeof buf, "SCAN %d CONSTANT ROWS", k->nvrows);
			if ((rc = eqp_row(h, id, par, buf, e)))
				return rc;
			continue;
		}
		for (int i = 0; i < k->nlv; i++) {
			struct level *L = &k->lv[i];
			if (L->kind == L_ONE) {
				continue;
			} else if (L->kind == L_HYB) {
				if ((rc = eqp_row(h, id, par, "SCAN hybrid_search (vector k-NN and MATCH, fused by RRF)", e)))
					return rc;
			} else if (L->kind == L_ROWS) {
				int me = *id;
				snprintf(buf, sizeof buf, "%s %s", L->sub->recursive && L->stream ? "CO-ROUTINE" : "MATERIALIZE",
					 L->src->name ? L->src->name : "(subquery)");
				if ((rc = eqp_row(h, id, par, buf, e)) ||
				    (rc = eqp_sel(L->sub, h, id, me, e)))
					return rc;
				snprintf(buf, sizeof buf, "SCAN %s", L->src->name ? L->src->name : "(subquery)");
				if ((rc = eqp_row(h, id, par, buf, e)))
					return rc;
			} else if (L->kind == L_REC) {
				snprintf(buf, sizeof buf, "SCAN %s", L->src->name);
				if ((rc = eqp_row(h, id, par, buf, e)))
					return rc;
			} else if (L->kind == L_TVF) {
				snprintf(buf, sizeof buf, "SCAN %s VIRTUAL TABLE INDEX %d:",
					 L->src->name, L->tvf_it->nargs > 1 ? 3 : 1);
				if ((rc = eqp_row(h, id, par, buf, e)))
					return rc;
			} else if (q->knn) {
				struct sdb_sql_arena tmp;
				sdb_sql_arena_init(&tmp);
				struct ectx x = { .h = h, .c = h->c, .mem = &tmp, .e = e };
				snprintf(buf, sizeof buf, "%s", tscan_knn_explain(L->ts, &x));
				sdb_sql_arena_release(&tmp);
				if ((rc = eqp_row(h, id, par, buf, e)))
					return rc;
			} else {
				if ((rc = eqp_row(h, id, par, tscan_explain(L->ts), e)))
					return rc;
			}
		}
		if (k->is_agg && k->ngroup &&
		    (rc = eqp_row(h, id, par, "USE TEMP B-TREE FOR GROUP BY", e)))
			return rc;
		if (k->distinct &&
		    (rc = eqp_row(h, id, par, "USE TEMP B-TREE FOR DISTINCT", e)))
			return rc;
	}
	if (q->norder && !q->presorted && !q->knn &&
	    (rc = eqp_row(h, id, parent, "USE TEMP B-TREE FOR ORDER BY", e)))
		return rc;
	return 0;
}

int sel_explain(struct sel *q, struct sql_stmt_h *h, struct sdb_error *e)
{
	int id = 2;
	return eqp_sel(q, h, &id, 0, e);
}
