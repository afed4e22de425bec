/*
 * window.c - window functions: f(...) [FILTER (WHERE ...)] OVER (...)
 * and OVER name with the core's WINDOW clause (inheritance of PARTITION
 * BY, ORDER BY and frame as SQLite allows it), frames ROWS/RANGE/GROUPS
 * with UNBOUNDED/N PRECEDING/FOLLOWING/CURRENT ROW and EXCLUDE, the
 * ranking and value functions (row_number, rank, dense_rank,
 * percent_rank, cume_dist, ntile, lag, lead, first_value, last_value,
 * nth_value) and every aggregate as a window.
 *
 * DESIGN. A windowed select core runs its join (and aggregation) to the
 * end first: each input row becomes one flat row of values: the core's
 * cursor state (exec.c's callbacks: each level's row, the aggregates'
 * results), the values the windows need (arguments, FILTER truth,
 * partition and order keys, evaluated while the row was current), the
 * calls' results, its input number and its place in the output order.
 * The rows go through the external sort (sorter.h: memory, then
 * temporary files past a quarter of the memory limit) by the first
 * window's partition keys, order keys and input number; one partition at
 * a time is read back into memory, its calls' results filled, and its
 * rows go out, their cursors pointing into it, so the result columns
 * evaluate as usual with each call read as an output slot (X_OUTCOL).
 * With more window definitions, each partition's rows go instead to the
 * sort of the next definition, and after the last to a sort on their
 * place in the first one's order, which is read out. Memory holds one
 * partition (and the sorts' limits), not the whole input. Aggregates
 * slide their state along the partition as SQLite's do (step the rows
 * entering the frame, inverse those leaving: so sum() stays REAL once a
 * REAL went through, as in SQLite); without an inverse, or with EXCLUDE,
 * a frame that does not start at UNBOUNDED PRECEDING is aggregated
 * afresh (O(rows x frame)).
 */
#include "sql/exec_int.h"
#include "sql/sorter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { FR_ROWS, FR_RANGE, FR_GROUPS };
enum { B_UNB_PREC, B_PREC, B_CURRENT, B_FOLL, B_UNB_FOLL };
enum { EX_NONE, EX_CURRENT, EX_GROUP, EX_TIES };
enum { W_AGG, W_ROW_NUMBER, W_RANK, W_DENSE_RANK, W_PERCENT_RANK, W_CUME_DIST,
       W_NTILE, W_LAG, W_LEAD, W_FIRST, W_LAST, W_NTH };

struct wdef {
	const struct sql_window *ast;  /* as resolved (for equality) */
	struct xp **part;
	int npart;
	struct xp **ord;
	uint8_t *desc, *nulls, *coll;
	int nord;
	int ftype, bs, be, exclude;
	struct xp *so, *eo;            /* offsets */
	int kbase;                     /* where its keys start in a row's values */
	struct wdef *next;
};

struct wcall {
	const struct sql_func_def *fn;
	int kind;
	struct xp **args;
	int na;
	struct xp *filter;
	struct wdef *w;
	int vbase;                     /* its args (+ filter) in a row's values */
	struct wcall *next;
};

struct wrow {                    /* a row of the partition in memory */
	struct sql_value *saved;       /* its flat row: the cursor state first */
	struct sql_value *v;           /* the window values */
	struct sql_value *res;         /* [ncalls] */
};

struct wcmp {                    /* a sort's order: d's keys, or the output place */
	struct winset *w;
	struct wdef *d;                /* NULL: by place */
};

struct winset {
	struct wdef *defs;
	struct wcall *calls;
	int ncalls, nvals;
	const struct sql_core *core;   /* its WINDOW clause */
	struct sql_value *out;         /* the current row's results */
	struct sql_value *outp;        /* what X_OUTCOL reads through */
	/* runtime: the flat rows' layout (cursor state [0, sw), window
	 * values at vb, results at rb, input number at seqc, output place
	 * at ordc; nf values) */
	int sw, vb, rb, seqc, ordc, nf;
	/* the definitions in the order written (up to 256) and the sorts'
	 * orders: nd + 1 (made by layout: a query without windows, most of
	 * them, allocates none) */
	struct wdef **dl;
	int nd;
	struct wcmp *cmp;
	struct sdb_sql_arena mem;      /* the partition's rows and results */
	struct wrow *rows;             /* the partition in memory */
	long nrows, cap, pos;
	long *idx;                     /* 0 .. cap - 1 */
	struct sql_sorter *in;         /* the sort being read out */
	struct wdef *sd;               /* its definition (NULL: by place, no partitions) */
	struct sql_value *peek;        /* the next partition's first row (its bytes in pk) */
	int has_peek;
	struct sdb_sql_arena pk, tmp;
	int built;
	const struct win_src *src;
	void *srcctx;
};

struct winset *win_new(struct bctx *b, const struct sql_core *core)
{
	struct winset *w = sdb_sql_arena_alloc(b->a, sizeof(*w));
	if (!w) {
		sql_oom(b->e);
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	w->core = core;
	sdb_sql_arena_init(&w->mem);
	sdb_sql_arena_init(&w->pk);
	sdb_sql_arena_init(&w->tmp);
	return w;
}

void win_set_src(struct winset *w, const struct win_src *src, void *ctx)
{
	w->src = src;
	w->srcctx = ctx;
}

static const struct sql_window *named(const struct winset *w, const char *name)
{
	for (int i = 0; w->core && i < w->core->nwindows; i++)
		if (w->core->windows[i]->name.z && !strcasecmp(w->core->windows[i]->name.z, name))
			return w->core->windows[i];
	return NULL;
}

/* The window a call names, with its base resolved into one definition:
 * partition, order and frame of the effective window. */
struct eff {
	const struct sql_window *part, *ord, *frame;
};

static int resolve(struct bctx *b, struct winset *w, const struct sql_window *x,
		   struct eff *ef)
{
	memset(ef, 0, sizeof(*ef));
	const struct sql_window *base = NULL;
	if (x->base.z) {
		base = named(w, x->base.z);
		if (!base)
			return sdb_error_set(b->e, SDB_EINVAL, "no such window: %s", x->base.z);
		if (base->base.z)
			return sdb_error_set(b->e, SDB_EINVAL, "no such window: %s", base->base.z);
	}
	int bare = x->base.z && !x->npartition && !x->norder && !x->frame;
	if (base && !bare) {
		if (x->npartition)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "cannot override PARTITION clause of window: %s", x->base.z);
		if (x->norder && base->norder)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "cannot override ORDER BY clause of window: %s", x->base.z);
		if (base->frame)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "cannot override frame specification of window: %s", x->base.z);
	}
	if (bare) {
		ef->part = ef->ord = ef->frame = base;
		return 0;
	}
	ef->part = base ? base : x;
	ef->ord = x->norder ? x : base ? base : x;
	ef->frame = x;
	return 0;
}

static int bound_kind(const char *f, const char **rest)
{
	static const struct { const char *w; int k; } t[] = {
		{ "UNBOUNDED PRECEDING", B_UNB_PREC }, { "UNBOUNDED FOLLOWING", B_UNB_FOLL },
		{ "CURRENT ROW", B_CURRENT }, { "? PRECEDING", B_PREC }, { "? FOLLOWING", B_FOLL },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		size_t n = strlen(t[i].w);
		if (!strncmp(f, t[i].w, n)) {
			*rest = f + n;
			return t[i].k;
		}
	}
	*rest = f;
	return -1;
}

static int compile_list(struct bctx *b, struct scope *s, struct sql_expr *const *l,
			int n, struct xp ***out)
{
	*out = sdb_sql_arena_alloc(b->a, sizeof(**out) * (size_t)(n + 1));
	if (!*out)
		return sql_oom(b->e);
	for (int i = 0; i < n; i++) {
		int rc = xp_compile(b, s, l[i], &(*out)[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int def_compile(struct bctx *b, struct scope *s, struct winset *w,
		       const struct eff *ef, struct wdef **out)
{
	struct wdef *d = sdb_sql_arena_alloc(b->a, sizeof(*d));
	if (!d)
		return sql_oom(b->e);
	memset(d, 0, sizeof(*d));
	int rc;
	if (ef->part && ef->part->npartition) {
		d->npart = ef->part->npartition;
		if ((rc = compile_list(b, s, ef->part->partition, d->npart, &d->part)))
			return rc;
	}
	const struct sql_window *o = ef->ord;
	if (o && o->norder) {
		d->nord = o->norder;
		d->ord = sdb_sql_arena_alloc(b->a, sizeof(*d->ord) * (size_t)d->nord);
		d->desc = sdb_sql_arena_alloc(b->a, (size_t)d->nord);
		d->nulls = sdb_sql_arena_alloc(b->a, (size_t)d->nord);
		d->coll = sdb_sql_arena_alloc(b->a, (size_t)d->nord);
		if (!d->ord || !d->desc || !d->nulls || !d->coll)
			return sql_oom(b->e);
		for (int i = 0; i < d->nord; i++) {
			if ((rc = xp_compile(b, s, o->order[i]->e, &d->ord[i])))
				return rc;
			d->desc[i] = o->order[i]->desc;
			d->nulls[i] = o->order[i]->nulls;
			d->coll[i] = d->ord[i]->has_coll ? d->ord[i]->coll : 0;
		}
	}
	/* the frame */
	const struct sql_window *f = ef->frame;
	d->ftype = FR_RANGE;
	d->bs = B_UNB_PREC;
	d->be = d->nord ? B_CURRENT : B_UNB_FOLL;
	if (f && f->frame) {
		const char *t = f->frame, *r;
		d->ftype = !strncmp(t, "ROWS", 4) ? FR_ROWS : !strncmp(t, "RANGE", 5) ? FR_RANGE : FR_GROUPS;
		t = strchr(t, ' ') + 1;
		if (!strncmp(t, "BETWEEN ", 8)) {
			d->bs = bound_kind(t + 8, &r);
			d->be = bound_kind(r + 5, &r); /* " AND " */
		} else {
			d->bs = bound_kind(t, &r);
			d->be = B_CURRENT;
		}
		if (strstr(r, "EXCLUDE CURRENT ROW"))
			d->exclude = EX_CURRENT;
		else if (strstr(r, "EXCLUDE GROUP"))
			d->exclude = EX_GROUP;
		else if (strstr(r, "EXCLUDE TIES"))
			d->exclude = EX_TIES;
		if (d->bs == B_UNB_FOLL || d->be == B_UNB_PREC ||
		    (d->bs == B_CURRENT && d->be == B_PREC) ||
		    (d->bs == B_FOLL && (d->be == B_PREC || d->be == B_CURRENT)))
			return sdb_error_set(b->e, SDB_EINVAL, "unsupported frame specification");
		if (d->ftype == FR_RANGE && (d->bs == B_PREC || d->bs == B_FOLL ||
					     d->be == B_PREC || d->be == B_FOLL) && d->nord != 1)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression");
		struct scope cs = { .up = NULL };
		if (f->frame_start && (rc = xp_compile(b, &cs, f->frame_start, &d->so)))
			return rc;
		if (f->frame_end && (rc = xp_compile(b, &cs, f->frame_end, &d->eo)))
			return rc;
		if (d->bs != B_PREC && d->bs != B_FOLL) {
			d->eo = d->so ? d->so : d->eo;
			d->so = NULL;
		}
	}
	d->kbase = -1;
	d->ast = ef->frame;
	d->next = w->defs;
	w->defs = d;
	*out = d;
	return 0;
}

static int fn_kind(const char *name)
{
	static const char *const n[] = { "", "row_number", "rank", "dense_rank", "percent_rank",
		"cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value" };
	for (int i = 1; i < (int)(sizeof n / sizeof *n); i++)
		if (!strcasecmp(name, n[i]))
			return i;
	return W_AGG;
}

int win_compile_call(struct bctx *b, struct scope *s, struct winset *w,
		     const struct sql_expr *x, const struct sql_func_def *fn,
		     int argc, struct xp **out)
{
	if (x->distinct)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "DISTINCT is not supported for window functions");
	int kind = fn->agg && !fn->fn ? W_AGG : (fn->flags & SQL_FN_WINDOW) ? fn_kind(fn->name) : -1;
	if (kind < 0)
		return sdb_error_set(b->e, SDB_EINVAL, "%s() may not be used as a window function",
				     fn->name);
	if (x->right && kind != W_AGG)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "FILTER clause may only be used with aggregate window functions");
	const struct sql_window *ow = x->over;
	struct sql_window tmp;
	if (ow->base.z && !ow->npartition && !ow->norder && !ow->frame && !ow->partition) {
		tmp = *ow;
		ow = &tmp;
	}
	struct eff ef;
	int rc = resolve(b, w, ow, &ef);
	if (rc)
		return rc;
	struct wcall *c = sdb_sql_arena_alloc(b->a, sizeof(*c));
	if (!c)
		return sql_oom(b->e);
	memset(c, 0, sizeof(*c));
	c->fn = fn;
	c->kind = kind;
	c->na = argc;
	if ((rc = compile_list(b, s, x->list, argc, &c->args)))
		return rc;
	if (x->right && (rc = xp_compile(b, s, x->right, &c->filter)))
		return rc;
	if ((rc = def_compile(b, s, w, &ef, &c->w)))
		return rc;
	c->vbase = -1;
	/* append (calls keep their order) */
	struct wcall **pp = &w->calls;
	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	struct xp *p = sdb_sql_arena_alloc(b->a, sizeof(*p));
	if (!p)
		return sql_oom(b->e);
	memset(p, 0, sizeof(*p));
	p->op = X_OUTCOL;
	p->vec = (struct sql_value *const *)&w->outp;
	p->col = w->ncalls++;
	*out = p;
	return 0;
}

int win_has(const struct winset *w)
{
	return w && w->ncalls > 0;
}

/* ------------------------------------------------------------ run */

void win_reset(struct winset *w)
{
	if (!w)
		return;
	sdb_sql_arena_release(&w->mem);
	sdb_sql_arena_release(&w->pk);
	sdb_sql_arena_release(&w->tmp);
	sql_sorter_free(w->in);
	w->in = NULL;
	free(w->rows);
	free(w->idx);
	free(w->peek);
	w->rows = NULL;
	w->idx = NULL;
	w->peek = NULL;
	w->nrows = w->cap = w->pos = 0;
	w->built = 0;
}

void win_free(struct winset *w)
{
	win_reset(w);
	if (w) {
		free(w->dl);
		free(w->cmp);
		w->dl = NULL;
		w->cmp = NULL;
	}
}

/* @return 0, or -1 out of memory */
static int layout(struct winset *w)
{
	if (w->nf)
		return 0;
	int n = 0;
	for (struct wcall *c = w->calls; c; c = c->next) {
		c->vbase = n;
		n += c->na + 1;
	}
	for (struct wdef *d = w->defs; d; d = d->next) {
		d->kbase = n;
		n += d->npart + d->nord;
	}
	w->nvals = n;
	w->sw = w->src->width(w->srcctx);
	w->vb = w->sw;
	w->rb = w->vb + w->nvals;
	w->seqc = w->rb + w->ncalls;
	w->ordc = w->seqc + 1;
	/* the last definition made is first in the list: run them in the
	 * order they were written and keep the first one's order */
	w->nd = 0;
	for (struct wdef *d = w->defs; d && w->nd < 256; d = d->next)
		w->nd++;
	free(w->dl);
	free(w->cmp);
	w->dl = calloc((size_t)w->nd + 1, sizeof(*w->dl));
	w->cmp = calloc((size_t)w->nd + 1, sizeof(*w->cmp));
	if (!w->dl || !w->cmp)
		return -1;
	int k = w->nd;
	for (struct wdef *d = w->defs; d && k > 0; d = d->next)
		w->dl[--k] = d;
	w->nf = w->ordc + 1;
	return 0;
}

static int key_cmp(const struct wdef *d, const struct sql_value *a, const struct sql_value *b,
		   int from, int to)
{
	for (int i = from; i < to; i++) {
		const struct sql_value *x = &a[d->kbase + i], *y = &b[d->kbase + i];
		int c;
		if (i < d->npart) {
			c = sql_value_cmp(x, y, (enum sql_coll)(d->part[i]->has_coll ? d->part[i]->coll : 0));
		} else {
			int k = i - d->npart;
			int xn = x->type == SQLV_NULL, yn = y->type == SQLV_NULL;
			if (xn || yn) {
				if (xn && yn)
					continue;
				int nf = d->nulls[k] ? d->nulls[k] == 1 : !d->desc[k];
				return (xn ? -1 : 1) * (nf ? 1 : -1);
			}
			c = sql_value_cmp(x, y, (enum sql_coll)d->coll[k]);
			if (d->desc[k])
				c = -c;
		}
		if (c)
			return c;
	}
	return 0;
}

/* A sort's order of two flat rows: the definition's keys, then the input
 * number; or the place in the output order. */
static int flat_cmp(void *ctx, const struct sql_value *a, const struct sql_value *b)
{
	const struct wcmp *k = ctx;
	const struct winset *w = k->w;
	if (!k->d)
		return (a[w->ordc].u.i > b[w->ordc].u.i) - (a[w->ordc].u.i < b[w->ordc].u.i);
	int c = key_cmp(k->d, a + w->vb, b + w->vb, 0, k->d->npart + k->d->nord);
	if (c)
		return c;
	return (a[w->seqc].u.i > b[w->seqc].u.i) - (a[w->seqc].u.i < b[w->seqc].u.i);
}

static int peer(const struct winset *w, const struct wdef *d, long a, long b)
{
	return key_cmp(d, w->rows[a].v, w->rows[b].v, d->npart, d->npart + d->nord) == 0;
}

/* A frame offset as an integer (ROWS, GROUPS) or a number (RANGE). */
static int offset_of(struct ectx *x, const struct wdef *d, struct xp *p, int start,
		     struct sql_value *out)
{
	if (!p) {
		*out = sql_int(0);
		return 0;
	}
	struct sql_value v;
	int rc = xp_eval(x, p, &v);
	if (rc)
		return rc;
	struct sql_value n = sql_value_numeric(&v);
	int ok = v.type == SQLV_INT || v.type == SQLV_REAL;
	if (d->ftype != FR_RANGE)
		ok = v.type == SQLV_INT && v.u.i >= 0;
	else
		ok = ok && (n.type == SQLV_INT ? n.u.i >= 0 : n.u.r >= 0);
	if (!ok)
		return sdb_error_set(x->e, SDB_EINVAL, "frame %s offset must be a non-negative %s",
				     start ? "starting" : "ending",
				     d->ftype == FR_RANGE ? "number" : "integer");
	*out = n;
	return 0;
}

/* Rows [lo, hi] of partition p[0..n) in the frame of row i. */
static int frame_of(struct winset *w, struct wdef *d, const long *p, long n, long i,
		    const struct sql_value *so, const struct sql_value *eo,
		    const long *grp, long *lo, long *hi, struct ectx *x)
{
	(void)x;
	long g0 = i, g1 = i;
	while (g0 > 0 && peer(w, d, p[g0 - 1], p[i]))
		g0--;
	while (g1 + 1 < n && peer(w, d, p[g1 + 1], p[i]))
		g1++;
	for (int side = 0; side < 2; side++) {
		int bk = side ? d->be : d->bs;
		const struct sql_value *off = side ? eo : so;
		long r;
		switch (bk) {
		case B_UNB_PREC: r = 0; break;
		case B_UNB_FOLL: r = n - 1; break;
		case B_CURRENT:
			r = d->ftype == FR_ROWS ? i : side ? g1 : g0;
			break;
		default: {
			int sign = bk == B_PREC ? -1 : 1;
			if (d->ftype == FR_ROWS) {
				r = i + sign * (long)off->u.i;
			} else if (d->ftype == FR_GROUPS) {
				long tg = grp[i] + sign * (long)off->u.i;
				if (side == 0) {
					r = 0;
					while (r < n && grp[r] < tg)
						r++;
				} else {
					r = n - 1;
					while (r >= 0 && grp[r] > tg)
						r--;
				}
			} else {
				/* RANGE: by the one ORDER BY key's value */
				const struct sql_value *k = &w->rows[p[i]].v[d->kbase + d->npart];
				if (k->type == SQLV_NULL) {
					r = side ? g1 : g0;
					break;
				}
				struct sql_value tgt;
				int desc = d->desc[0];
				int op = (sign > 0) != desc ? SQL_OP_ADD : SQL_OP_SUB;
				if (sql_value_binop(op, k, off, &w->mem, &tgt, x->e))
					return SDB_ENOMEM;
				if (side == 0) {
					r = 0;
					while (r < n) {
						const struct sql_value *kr = &w->rows[p[r]].v[d->kbase + d->npart];
						if (kr->type != SQLV_NULL) {
							int c = sql_value_cmp(kr, &tgt, 0);
							if (desc ? c <= 0 : c >= 0)
								break;
						}
						r++;
					}
				} else {
					r = n - 1;
					while (r >= 0) {
						const struct sql_value *kr = &w->rows[p[r]].v[d->kbase + d->npart];
						if (kr->type != SQLV_NULL) {
							int c = sql_value_cmp(kr, &tgt, 0);
							if (desc ? c >= 0 : c <= 0)
								break;
						}
						r--;
					}
				}
			}
		}
		}
		if (side)
			*hi = r < n - 1 ? r : n - 1;
		else
			*lo = r > 0 ? r : 0;
	}
	return 0;
}

static int excluded(struct winset *w, struct wdef *d, const long *p, long i, long j)
{
	switch (d->exclude) {
	case EX_CURRENT: return j == i;
	case EX_GROUP: return peer(w, d, p[j], p[i]);
	case EX_TIES: return j != i && peer(w, d, p[j], p[i]);
	}
	return 0;
}

static int keep(struct winset *w, struct sql_value *v)
{
	return sql_value_copy(v, &w->mem) ? SDB_ENOMEM : 0;
}

static int agg_frame(struct winset *w, struct wcall *c, struct ectx *x, unsigned char *st,
		     long j, int inverse)
{
	struct sql_value *v = &w->rows[j].v[c->vbase];
	if (v[c->na].u.i != 1)
		return 0;
	struct sql_fctx fc = { .mem = &w->mem, .e = x->e, .conn = x->c,
			       .now_ms = x->h ? x->h->now_ms : 0,
			       .coll = c->na && c->args[0]->has_coll ? c->args[0]->coll : 0 };
	return inverse ? c->fn->agg->inverse(&fc, st, c->na, v)
		       : c->fn->agg->step(&fc, st, c->na, v);
}

static int agg_result(struct winset *w, struct wcall *c, struct ectx *x, unsigned char *st,
		      struct sql_value *out)
{
	struct sql_fctx fc = { .mem = &w->mem, .e = x->e, .conn = x->c,
			       .now_ms = x->h ? x->h->now_ms : 0 };
	int rc = c->fn->agg->final(&fc, st, out);
	return rc ? rc : keep(w, out) ? sql_oom(x->e) : 0;
}

static int is_posint(const struct sql_value *v, int64_t *n)
{
	struct sql_value k = sql_value_numeric(v);
	if (v->type == SQLV_INT && v->u.i > 0) {
		*n = v->u.i;
		return 1;
	}
	if (v->type == SQLV_REAL && k.type == SQLV_REAL && k.u.r > 0 && k.u.r == (double)(int64_t)k.u.r) {
		*n = (int64_t)k.u.r;
		return 1;
	}
	return 0;
}

/* Fills the results of the calls over d for partition p[0..n). */
static int part_run(struct winset *w, struct wdef *d, const long *p, long n, struct ectx *x)
{
	int rc;
	long *grp = malloc(sizeof(long) * (size_t)(n + 1));
	if (!grp)
		return sql_oom(x->e);
	for (long i = 0; i < n; i++)
		grp[i] = i == 0 ? 0 : grp[i - 1] + !peer(w, d, p[i - 1], p[i]);
	struct sql_value so, eo;
	if ((rc = offset_of(x, d, d->so, 1, &so)) || (rc = offset_of(x, d, d->eo, 0, &eo))) {
		free(grp);
		return rc;
	}
	for (struct wcall *c = w->calls; c; c = c->next) {
		if (c->w != d)
			continue;
		int slot = 0;
		for (struct wcall *q = w->calls; q != c; q = q->next)
			slot++;
		unsigned char *st = NULL;
		long cs = 0, ce = -1; /* rows [cs, ce] are in the state */
		if (c->kind == W_AGG) {
			st = calloc(1, c->fn->agg->state_size + 16);
			if (!st) {
				free(grp);
				return sql_oom(x->e);
			}
		}
		for (long i = 0; i < n; i++) {
			struct sql_value *res = &w->rows[p[i]].res[slot];
			struct sql_value *av = &w->rows[p[i]].v[c->vbase];
			long lo = 0, hi = -1;
			if ((rc = frame_of(w, d, p, n, i, &so, &eo, grp, &lo, &hi, x)))
				break;
			long g0 = i, g1 = i;
			while (g0 > 0 && grp[g0 - 1] == grp[i])
				g0--;
			while (g1 + 1 < n && grp[g1 + 1] == grp[i])
				g1++;
			*res = sql_null();
			switch (c->kind) {
			case W_ROW_NUMBER: *res = sql_int(i + 1); break;
			case W_RANK: *res = sql_int(g0 + 1); break;
			case W_DENSE_RANK: *res = sql_int(grp[i] + 1); break;
			case W_PERCENT_RANK:
				*res = sql_real(n > 1 ? (double)g0 / (double)(n - 1) : 0.0);
				break;
			case W_CUME_DIST: *res = sql_real((double)(g1 + 1) / (double)n); break;
			case W_NTILE: {
				int64_t k;
				if (!is_posint(&av[0], &k)) {
					rc = sdb_error_set(x->e, SDB_EINVAL,
							   "argument of ntile must be a positive integer");
					break;
				}
				int64_t size = n / k, extra = n % k, b;
				if (size == 0)
					b = i;
				else if (i < extra * (size + 1))
					b = i / (size + 1);
				else
					b = extra + (i - extra * (size + 1)) / size;
				*res = sql_int(b + 1);
				break;
			}
			case W_LAG: case W_LEAD: {
				int64_t off = 1;
				if (c->na > 1) {
					if (av[1].type == SQLV_NULL)
						break;
					off = sql_value_to_int(&av[1]);
				}
				long j = c->kind == W_LAG ? i - (long)off : i + (long)off;
				if (j >= 0 && j < n)
					*res = w->rows[p[j]].v[c->vbase];
				else if (c->na > 2)
					*res = av[2];
				break;
			}
			case W_FIRST: case W_LAST: case W_NTH: {
				int64_t want = 1;
				if (c->kind == W_NTH && !is_posint(&av[1], &want)) {
					rc = sdb_error_set(x->e, SDB_EINVAL,
							   "second argument to nth_value must be a positive integer");
					break;
				}
				long found = -1, cnt = 0;
				for (long j = lo; j <= hi; j++) {
					if (excluded(w, d, p, i, j))
						continue;
					cnt++;
					if (c->kind == W_LAST)
						found = j;
					else if (cnt == want) {
						found = j;
						break;
					}
				}
				if (found >= 0)
					*res = w->rows[p[found]].v[c->vbase];
				break;
			}
			default: /* an aggregate */
				if (d->exclude == EX_NONE &&
				    (c->fn->agg->inverse || d->bs == B_UNB_PREC)) {
					/* slide the state as SQLite does: step the rows
					 * that enter, invert those that leave */
					if (lo < cs || hi < ce || (!c->fn->agg->inverse && lo > cs)) {
						if (c->fn->agg->destroy)
							c->fn->agg->destroy(st);
						memset(st, 0, c->fn->agg->state_size);
						cs = lo;
						ce = lo - 1;
					}
					/* SQLite's order: the rows that left go first */
					while (!rc && cs < lo && cs <= ce)
						rc = agg_frame(w, c, x, st, p[cs++], 1);
					while (!rc && ce < hi)
						rc = agg_frame(w, c, x, st, p[++ce], 0);
					while (!rc && cs < lo) {
						if (cs <= ce)
							rc = agg_frame(w, c, x, st, p[cs], 1);
						cs++;
					}
					if (!rc)
						rc = agg_result(w, c, x, st, res);
					break;
				}
				if (c->fn->agg->destroy)
					c->fn->agg->destroy(st);
				memset(st, 0, c->fn->agg->state_size);
				for (long j = lo; !rc && j <= hi; j++)
					if (!excluded(w, d, p, i, j))
						rc = agg_frame(w, c, x, st, p[j], 0);
				if (!rc)
					rc = agg_result(w, c, x, st, res);
				break;
			}
			if (rc)
				break;
		}
		if (st) {
			if (c->fn->agg->destroy)
				c->fn->agg->destroy(st);
			free(st);
		}
		if (rc)
			break;
	}
	free(grp);
	return rc;
}

/* A new sort of flat rows in order cmp. */
static struct sql_sorter *flat_sorter(struct winset *w, struct ectx *x, struct wcmp *cmp)
{
	cmp->w = w;
	return sql_sorter_new(w->nf, flat_cmp, cmp, x->c->memory_limit / 4,
			      x->c->tmp_dir ? x->c->tmp_dir : x->c->dir);
}

/* Every row of the core into sort `to` as a flat row. */
static int collect(struct winset *w, struct ectx *x0, struct sql_sorter *to)
{
	struct ectx x = *x0;
	struct sql_value *f = calloc((size_t)w->nf, sizeof(*f));
	int64_t seq = 0;
	int rc;
	if (!f)
		return sql_oom(x0->e);
	x.mem = &w->tmp;
	for (;;) {
		if ((rc = w->src->next(w->srcctx, x0)) <= 0)
			break;
		rc = 0;
		sdb_sql_arena_reset(&w->tmp);
		w->src->flat(w->srcctx, f);
		for (struct wcall *c = w->calls; c && !rc; c = c->next) {
			for (int i = 0; i < c->na && !rc; i++)
				rc = xp_eval(&x, c->args[i], &f[w->vb + c->vbase + i]);
			int t = 1;
			if (!rc && c->filter)
				rc = xp_truth(&x, c->filter, &t);
			f[w->vb + c->vbase + c->na] = sql_int(t == 1);
		}
		for (struct wdef *d = w->defs; d && !rc; d = d->next) {
			for (int i = 0; i < d->npart && !rc; i++)
				rc = xp_eval(&x, d->part[i], &f[w->vb + d->kbase + i]);
			for (int i = 0; i < d->nord && !rc; i++)
				rc = xp_eval(&x, d->ord[i], &f[w->vb + d->kbase + d->npart + i]);
		}
		for (int i = 0; i < w->ncalls; i++)
			f[w->rb + i] = sql_null();
		f[w->seqc] = sql_int(seq++);
		f[w->ordc] = sql_int(0);
		if (rc || (rc = sql_sorter_add(to, f, w->nf, NULL, 0, x0->e)))
			break;
	}
	free(f);
	return rc < 0 ? rc : 0;
}

/* Copies flat row r (bytes too) into arena a at dst. */
static int flat_copy(struct winset *w, struct sql_value *dst, const struct sql_value *r,
		     struct sdb_sql_arena *a)
{
	for (int i = 0; i < w->nf; i++) {
		dst[i] = r[i];
		if (sql_value_copy(&dst[i], a))
			return SDB_ENOMEM;
	}
	return 0;
}

static int part_add(struct winset *w, const struct sql_value *r, struct ectx *x)
{
	if (w->nrows == w->cap) {
		long nc = w->cap ? w->cap * 2 : 64;
		struct wrow *nr = realloc(w->rows, sizeof(*nr) * (size_t)nc);
		if (!nr)
			return sql_oom(x->e);
		w->rows = nr;
		long *ni = realloc(w->idx, sizeof(*ni) * (size_t)nc);
		if (!ni)
			return sql_oom(x->e);
		w->idx = ni;
		for (long i = w->cap; i < nc; i++)
			w->idx[i] = i;
		w->cap = nc;
	}
	struct sql_value *f = sdb_sql_arena_alloc(&w->mem, sizeof(*f) * (size_t)w->nf);
	if (!f || flat_copy(w, f, r, &w->mem))
		return sql_oom(x->e);
	struct wrow *wr = &w->rows[w->nrows++];
	wr->saved = f;
	wr->v = f + w->vb;
	wr->res = f + w->rb;
	return 0;
}

/* The next partition of sort `in` by d into memory, its results filled.
 * @return 1, 0 none left, or an error. */
static int part_load(struct winset *w, struct sql_sorter *in, struct wdef *d, struct ectx *x)
{
	const struct sql_value *r;
	int rc;
	sdb_sql_arena_reset(&w->mem);
	w->nrows = w->pos = 0;
	if (w->has_peek) {
		w->has_peek = 0;
		if ((rc = part_add(w, w->peek, x)))
			return rc;
	} else {
		if ((rc = sql_sorter_next(in, &r, x->e)) <= 0)
			return rc;
		if ((rc = part_add(w, r, x)))
			return rc;
	}
	while ((rc = sql_sorter_next(in, &r, x->e)) == 1) {
		if (key_cmp(d, r + w->vb, w->rows[0].v, 0, d->npart)) {
			/* the next partition's first row, kept for the next call */
			if (!w->peek && !(w->peek = calloc((size_t)w->nf, sizeof(*w->peek))))
				return sql_oom(x->e);
			sdb_sql_arena_reset(&w->pk);
			if (flat_copy(w, w->peek, r, &w->pk))
				return sql_oom(x->e);
			w->has_peek = 1;
			break;
		}
		if ((rc = part_add(w, r, x)))
			return rc;
	}
	if (rc < 0)
		return rc;
	if ((rc = part_run(w, d, w->idx, w->nrows, x)))
		return rc;
	return 1;
}

static int build(struct winset *w, struct ectx *x)
{
	int rc;
	if (layout(w))
		return sql_oom(x->e);
	w->cmp[0].d = w->dl[0];
	struct sql_sorter *s = flat_sorter(w, x, &w->cmp[0]);
	if (!s)
		return sql_oom(x->e);
	if ((rc = collect(w, x, s)) || (rc = sql_sorter_finish(s, x->e)))
		goto fail;
	w->has_peek = 0;
	/* with more definitions: each one's results through its own sort,
	 * then the rows by their place in the first one's order */
	for (int k = 0; k < w->nd && w->nd > 1; k++) {
		struct wcmp *nc = &w->cmp[k + 1];
		nc->d = k + 1 < w->nd ? w->dl[k + 1] : NULL;
		struct sql_sorter *t = flat_sorter(w, x, nc);
		int64_t place = 0;
		if (!t) {
			rc = sql_oom(x->e);
			goto fail;
		}
		while ((rc = part_load(w, s, w->dl[k], x)) == 1) {
			rc = 0;
			for (long i = 0; i < w->nrows && !rc; i++) {
				if (k == 0)
					w->rows[i].saved[w->ordc] = sql_int(place++);
				rc = sql_sorter_add(t, w->rows[i].saved, w->nf, NULL, 0, x->e);
			}
			if (rc)
				break;
		}
		sql_sorter_free(s);
		s = t;
		if (rc < 0 || (rc = sql_sorter_finish(s, x->e)))
			goto fail;
	}
	sql_sorter_free(w->in);
	w->in = s;
	w->sd = w->nd > 1 ? NULL : w->dl[0];
	w->has_peek = 0;
	sdb_sql_arena_reset(&w->mem);
	w->nrows = w->pos = 0;
	w->built = 1;
	return 0;
fail:
	sql_sorter_free(s);
	return rc;
}

int win_next(struct winset *w, struct ectx *x)
{
	int rc;
	if (!w->built && (rc = build(w, x)))
		return rc;
	if (!w->sd) {
		/* the rows by their output place, results filled */
		const struct sql_value *r;
		if ((rc = sql_sorter_next(w->in, &r, x->e)) <= 0)
			return rc;
		w->src->unflat(w->srcctx, (struct sql_value *)r);
		w->outp = (struct sql_value *)r + w->rb;
		return 1;
	}
	if (w->pos >= w->nrows && (rc = part_load(w, w->in, w->sd, x)) <= 0)
		return rc;
	struct wrow *r = &w->rows[w->pos++];
	w->src->unflat(w->srcctx, r->saved);
	w->outp = r->res;
	return 1;
}
