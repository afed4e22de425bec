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
 * window's partition keys, order keys and input number. One partition at
 * a time goes to a spool (memory up to half the limit, then its file),
 * each row with two more values: the number of its peer group and the
 * index of the group's first row, found by comparing each row with the
 * one before it as it is added. The partition's rows then go out one by
 * one, their calls' results filled by readers of the spool that only move
 * forward as the current row does: the current row, the row after its
 * peers (cume_dist, a frame ending at the peers), the bounds of RANGE and
 * GROUPS offsets (moving on from the previous row's, as SQLite's
 * cursors), the rows leaving and entering the aggregates' sliding state,
 * and each value function's row (lag, lead, first/last/nth_value, found
 * by arithmetic on the frame and its excluded rows). A reader that must
 * go back starts from the nearest other reader at or before its row.
 * The result columns evaluate as usual with each call read as an output
 * slot (X_OUTCOL), the cursor state pointing into the current row. With
 * more window definitions, each partition's rows go instead to the sort
 * of the next definition, and after the last to a sort on their place in
 * the first one's order, which is read out. Memory holds the sorts'
 * limits and half the limit of one partition, not the partition.
 * Aggregates slide their state along the partition as SQLite's do (step
 * the rows entering the frame, inverse those leaving: so sum() stays REAL
 * once a REAL went through, as in SQLite); a frame with EXCLUDE, or one
 * whose start moves for an aggregate without an inverse (min, max), is
 * aggregated afresh for each row (O(rows x frame)).
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

/* A partition's rows in its spool carry two values after the flat row:
 * the number of their peer group and the index of its first row. */
enum { PX_GRP, PX_G0 };
enum { RUN_SLIDE = 1, RUN_FRESH };

struct wrun {                    /* a call over the partition's definition */
	struct wcall *c;
	int slot;                      /* its result's place */
	int mode;                      /* an aggregate's: RUN_SLIDE or RUN_FRESH */
	unsigned char *st;             /* an aggregate's state */
	struct sql_spool_rd *at;       /* a value function's row */
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
	struct sdb_sql_arena mem;      /* the current row's results */
	/* the partition being read out: its rows in spool sp (memory, then
	 * its file), read by cursors: the current row, its peer group's
	 * first row and the row after it, the frame's bounds (RANGE and
	 * GROUPS offsets), the frame's first row (where a walk of the frame
	 * or a value function starts), the sliding states' leaving and
	 * entering rows,
	 * the walk of a frame stepped afresh, the last row added */
	struct sql_sorter *sp;
	struct sql_spool_rd *cur, *gst, *gend, *blo, *bhi, *lo, *lea, *ent, *walk, *tail;
	struct sql_spool_rd **anc;     /* every reader of a row (goto_row starts from one) */
	int nanc;
	struct wdef *pd;               /* the partition's definition */
	long n, i;                     /* its rows; the next one out */
	long cs, ce;                   /* rows [cs, ce] are in the sliding states */
	struct sql_value so, eo;       /* the frame's offsets */
	struct wrun *run;              /* the calls over pd */
	int nrun, nslide, nfresh, need_frame, need_g1;
	unsigned char **states;        /* [ncalls] the aggregates' states */
	struct sql_spool_rd **vrd;     /* [ncalls] the value functions' readers */
	struct sql_value *out;         /* [nf] the row going out, results filled */
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

static void part_free(struct winset *w);

void win_reset(struct winset *w)
{
	if (!w)
		return;
	sdb_sql_arena_release(&w->mem);
	sdb_sql_arena_release(&w->pk);
	sdb_sql_arena_release(&w->tmp);
	sql_sorter_free(w->in);
	w->in = NULL;
	part_free(w);
	free(w->peek);
	w->peek = NULL;
	w->has_peek = 0;
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

static int keep(struct winset *w, struct sql_value *v)
{
	return sql_value_copy(v, &w->mem) ? SDB_ENOMEM : 0;
}

/* Steps (or inverts) call c's state with the window values v of a row. */
static int agg_frame(struct winset *w, struct wcall *c, struct ectx *x, unsigned char *st,
		     const struct sql_value *v, int inverse)
{
	v += c->vbase;
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

static void agg_clear(struct wrun *r)
{
	if (r->c->fn->agg->destroy)
		r->c->fn->agg->destroy(r->st);
	memset(r->st, 0, r->c->fn->agg->state_size);
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

/* The partition's row reader r is at. */
static int row_at(struct sql_spool_rd *r, const struct sql_value **row, struct ectx *x)
{
	int rc = sql_spool_rd_row(r, row, x->e);
	if (rc == 1)
		return 0;
	return rc < 0 ? rc : sdb_error_set(x->e, SDB_ECORRUPT, "sort spill file: row missing");
}

/* Reader r to row k, from the nearest reader at or before k when r is
 * past it or far behind (the readers' rows only grow but for these). */
static int goto_row(struct winset *w, struct sql_spool_rd *r, long k, struct ectx *x)
{
	long ri = sql_spool_rd_index(r);
	if (ri > k || k - ri > 1) {
		struct sql_spool_rd *best = ri <= k ? r : NULL;
		long bi = ri <= k ? ri : -1;
		for (int j = 0; j < w->nanc; j++) {
			long ai = sql_spool_rd_index(w->anc[j]);
			if (ai <= k && ai > bi) {
				best = w->anc[j];
				bi = ai;
			}
		}
		if (best && best != r)
			sql_spool_rd_set(r, best);
	}
	return sql_spool_rd_seek(r, k, x->e);
}

/* Offsets clamped so that i +- off cannot overflow. */
static long clamp_off(int64_t off, long n)
{
	return off > (int64_t)n + 1 ? n + 1 : (long)off;
}

/* One end of row i's frame (side 0: its first row, 1: its last). The
 * readers of RANGE and GROUPS offsets move on from the previous row's
 * bound, as SQLite's cursors do: the bounds never go back. */
static int bound(struct winset *w, struct wdef *d, int side, const struct sql_value *row,
		 long i, long g0, long g1, long *out, struct ectx *x)
{
	int bk = side ? d->be : d->bs, rc;
	long n = w->n;
	const struct sql_value *off = side ? &w->eo : &w->so;
	switch (bk) {
	case B_UNB_PREC: *out = 0; return 0;
	case B_UNB_FOLL: *out = n - 1; return 0;
	case B_CURRENT: *out = d->ftype == FR_ROWS ? i : side ? g1 : g0; return 0;
	}
	int sign = bk == B_PREC ? -1 : 1;
	if (d->ftype == FR_ROWS) {
		*out = i + sign * clamp_off(off->u.i, n);
		return 0;
	}
	int64_t tg = 0;
	struct sql_value tgt;
	int desc = d->desc ? d->desc[0] : 0, nf = 0;
	enum sql_coll coll = d->coll ? (enum sql_coll)d->coll[0] : 0;
	if (d->ftype == FR_GROUPS) {
		tg = row[w->nf + PX_GRP].u.i + sign * (int64_t)clamp_off(off->u.i, n);
	} else {
		const struct sql_value *k = &row[w->vb + d->kbase + d->npart];
		if (k->type == SQLV_NULL) {
			*out = side ? g1 : g0;
			return 0;
		}
		if (k->type == SQLV_TEXT || k->type == SQLV_BLOB) {
			tgt = *k; /* SQLite adds nothing to a text or blob */
		} else {
			int op = (sign > 0) != desc ? SQL_OP_ADD : SQL_OP_SUB;
			if (sql_value_binop(op, k, off, &w->mem, &tgt, x->e))
				return SDB_ENOMEM;
		}
		nf = d->nulls[0] ? d->nulls[0] == 1 : !desc;
	}
	struct sql_spool_rd *c = side ? w->bhi : w->blo;
	long ci = sql_spool_rd_index(c);
	while (ci < n) {
		const struct sql_value *r;
		int adv;
		if ((rc = row_at(c, &r, x)))
			return rc;
		if (d->ftype == FR_GROUPS) {
			int64_t g = r[w->nf + PX_GRP].u.i;
			adv = side ? g <= tg : g < tg;
		} else {
			const struct sql_value *kr = &r[w->vb + d->kbase + d->npart];
			if (kr->type == SQLV_NULL) {
				adv = nf; /* a NULL is before every value, or after */
			} else {
				int cmp = sql_value_cmp(kr, &tgt, coll);
				adv = side ? (desc ? cmp >= 0 : cmp <= 0) : (desc ? cmp > 0 : cmp < 0);
			}
		}
		if (!adv)
			break;
		if ((rc = sql_spool_rd_seek(c, ++ci, x->e)))
			return rc;
	}
	*out = side ? ci - 1 : ci;
	return 0;
}

/* Whether row j (of peer group gj) is left out of row i's frame. */
static int excluded(const struct wdef *d, long i, int64_t gi, long j, int64_t gj)
{
	switch (d->exclude) {
	case EX_CURRENT: return j == i;
	case EX_GROUP: return gj == gi;
	case EX_TIES: return j != i && gj == gi;
	}
	return 0;
}

/* The k-th row (from 1) of frame [lo, hi] that is not excluded, or -1;
 * *count: the frame's rows not excluded. */
static long frame_kth(const struct wdef *d, long lo, long hi, long i, long g0, long g1,
		      int64_t k, long *count)
{
	long xa[2], xb[2];
	int nx = 0;
	switch (d->exclude) {
	case EX_CURRENT: xa[0] = xb[0] = i; nx = 1; break;
	case EX_GROUP: xa[0] = g0; xb[0] = g1; nx = 1; break;
	case EX_TIES:
		xa[0] = g0; xb[0] = i - 1;
		xa[1] = i + 1; xb[1] = g1;
		nx = 2;
		break;
	}
	long cnt = hi >= lo ? hi - lo + 1 : 0;
	for (int j = 0; j < nx; j++) {
		long a = xa[j] > lo ? xa[j] : lo, b = xb[j] < hi ? xb[j] : hi;
		xa[j] = a;
		xb[j] = b;
		if (a <= b)
			cnt -= b - a + 1;
	}
	*count = cnt;
	if (k < 1 || k > cnt)
		return -1;
	long pos = lo + (long)(k - 1);
	for (int j = 0; j < nx; j++)
		if (xa[j] <= xb[j] && xa[j] <= pos)
			pos += xb[j] - xa[j] + 1;
	return pos;
}

/* Sets up the partition just loaded for definition d: its offsets, the
 * calls over d, the aggregates' states emptied. */
static int part_start(struct winset *w, struct wdef *d, struct ectx *x)
{
	int rc;
	if ((rc = offset_of(x, d, d->so, 1, &w->so)) || (rc = offset_of(x, d, d->eo, 0, &w->eo)))
		return rc;
	w->pd = d;
	w->nrun = w->nslide = w->nfresh = 0;
	w->need_frame = w->need_g1 = 0;
	w->cs = 0;
	w->ce = -1;
	int slot = 0;
	for (struct wcall *c = w->calls; c; c = c->next, slot++) {
		if (c->w != d)
			continue;
		struct wrun *r = &w->run[w->nrun++];
		r->c = c;
		r->slot = slot;
		r->mode = 0;
		r->st = w->states[slot];
		if (c->kind == W_AGG) {
			agg_clear(r);
			if (d->exclude == EX_NONE && (c->fn->agg->inverse || d->bs == B_UNB_PREC)) {
				r->mode = RUN_SLIDE;
				w->nslide++;
			} else {
				r->mode = RUN_FRESH;
				w->nfresh++;
			}
		}
		r->at = w->vrd[slot];
		if (c->kind == W_AGG || c->kind == W_FIRST || c->kind == W_LAST || c->kind == W_NTH)
			w->need_frame = 1;
		if (c->kind == W_CUME_DIST)
			w->need_g1 = 1;
	}
	if (w->need_frame && (d->exclude >= EX_GROUP || d->ftype != FR_ROWS))
		w->need_g1 = 1;
	return 0;
}

/* Slides the states of the sliding aggregates to frame [lo, hi] as
 * SQLite does: the rows that left are inverted first, then those that
 * entered stepped. */
static int slide(struct winset *w, long lo, long hi, struct ectx *x)
{
	const struct sql_value *r;
	int rc = 0;
	if (lo < w->cs || hi < w->ce) {
		for (int j = 0; j < w->nrun; j++)
			if (w->run[j].mode == RUN_SLIDE)
				agg_clear(&w->run[j]);
		w->cs = lo;
		w->ce = lo - 1;
	}
	for (int pass = 0; pass < 3 && !rc; pass++) {
		for (;;) {
			int inv = pass != 1;
			if (pass == 0 ? !(w->cs < lo && w->cs <= w->ce) : pass == 1 ? !(w->ce < hi) : !(w->cs < lo))
				break;
			long j = inv ? w->cs++ : ++w->ce;
			if (inv && j > w->ce)
				continue; /* never entered */
			struct sql_spool_rd *rd = inv ? w->lea : w->ent;
			if ((rc = goto_row(w, rd, j, x)) || (rc = row_at(rd, &r, x)))
				break;
			for (int k = 0; k < w->nrun && !rc; k++)
				if (w->run[k].mode == RUN_SLIDE && (!inv || w->run[k].c->fn->agg->inverse))
					rc = agg_frame(w, w->run[k].c, x, w->run[k].st, r + w->vb, inv);
			if (rc)
				break;
		}
	}
	/* an empty frame past rows never stepped: they stay out */
	if (w->ce < w->cs - 1)
		w->ce = w->cs - 1;
	return rc;
}

/* The aggregates without a sliding state: the frame's rows stepped
 * afresh (EXCLUDE, or no inverse and a frame start that moves). */
static int fresh(struct winset *w, struct wdef *d, long lo, long hi, long i, int64_t gi,
		 struct ectx *x)
{
	const struct sql_value *r;
	int rc;
	for (int k = 0; k < w->nrun; k++)
		if (w->run[k].mode == RUN_FRESH)
			agg_clear(&w->run[k]);
	if (lo > hi)
		return 0;
	if ((rc = goto_row(w, w->walk, lo, x)))
		return rc;
	for (long j = lo; j <= hi; j++) {
		if ((rc = row_at(w->walk, &r, x)))
			return rc;
		if (!excluded(d, i, gi, j, r[w->nf + PX_GRP].u.i))
			for (int k = 0; k < w->nrun; k++)
				if (w->run[k].mode == RUN_FRESH &&
				    (rc = agg_frame(w, w->run[k].c, x, w->run[k].st, r + w->vb, 0)))
					return rc;
		if ((rc = sql_spool_rd_seek(w->walk, j + 1, x->e)))
			return rc;
	}
	return 0;
}

/* The value of call r's argument in partition row j (NULL when j is
 * outside it). */
static int value_at(struct winset *w, struct wrun *r, long j, struct sql_value *res,
		    struct ectx *x)
{
	const struct sql_value *row;
	int rc;
	if (j < 0 || j >= w->n)
		return 0;
	if ((rc = goto_row(w, r->at, j, x)) || (rc = row_at(r->at, &row, x)))
		return rc;
	*res = row[w->vb + r->c->vbase];
	return keep(w, res) ? sql_oom(x->e) : 0;
}

/* The partition's next row into w->out, the results of the calls over
 * its definition filled. */
static int part_row(struct winset *w, struct ectx *x)
{
	struct wdef *d = w->pd;
	const struct sql_value *row;
	long i = w->i, n = w->n, lo = 0, hi = -1, g1 = i;
	int rc;
	sdb_sql_arena_reset(&w->mem);
	if ((rc = sql_spool_rd_seek(w->cur, i, x->e)) || (rc = row_at(w->cur, &row, x)))
		return rc;
	int64_t grp = row[w->nf + PX_GRP].u.i;
	long g0 = (long)row[w->nf + PX_G0].u.i;
	if (g0 == i)
		sql_spool_rd_set(w->gst, w->cur);
	if (w->need_g1) {
		/* the reader after the current row's peers */
		if (sql_spool_rd_index(w->gend) <= i) {
			sql_spool_rd_set(w->gend, w->cur);
			if ((rc = sql_spool_rd_seek(w->gend, i + 1, x->e)))
				return rc;
		}
		for (long gi = sql_spool_rd_index(w->gend); gi < n; gi++) {
			const struct sql_value *gr;
			if ((rc = row_at(w->gend, &gr, x)))
				return rc;
			if (gr[w->nf + PX_GRP].u.i != grp)
				break;
			if ((rc = sql_spool_rd_seek(w->gend, gi + 1, x->e)))
				return rc;
		}
		g1 = sql_spool_rd_index(w->gend) - 1;
	}
	if (w->need_frame) {
		if ((rc = bound(w, d, 0, row, i, g0, g1, &lo, x)) ||
		    (rc = bound(w, d, 1, row, i, g0, g1, &hi, x)))
			return rc;
		if (lo < 0)
			lo = 0;
		if (hi > n - 1)
			hi = n - 1;
		/* the frame's first row: the walk and the value functions go
		 * back to it without reading the partition from its start */
		if ((rc = goto_row(w, w->lo, lo, x)))
			return rc;
		if (w->nslide && (rc = slide(w, lo, hi, x)))
			return rc;
		if (w->nfresh && (rc = fresh(w, d, lo, hi, i, grp, x)))
			return rc;
	}
	memcpy(w->out, row, sizeof(*row) * (size_t)w->nf);
	for (int k = 0; k < w->nrun; k++) {
		struct wrun *r = &w->run[k];
		struct wcall *c = r->c;
		const struct sql_value *av = row + w->vb + c->vbase;
		struct sql_value *res = &w->out[w->rb + r->slot];
		*res = sql_null();
		switch (c->kind) {
		case W_ROW_NUMBER: *res = sql_int(i + 1); break;
		case W_RANK: *res = sql_int(g0 + 1); break;
		case W_DENSE_RANK: *res = sql_int(grp + 1); break;
		case W_PERCENT_RANK:
			*res = sql_real(n > 1 ? (double)g0 / (double)(n - 1) : 0.0);
			break;
		case W_CUME_DIST: *res = sql_real((double)(g1 + 1) / (double)n); break;
		case W_NTILE: {
			int64_t t;
			if (!is_posint(&av[0], &t))
				return sdb_error_set(x->e, SDB_EINVAL,
						     "argument of ntile must be a positive integer");
			int64_t size = n / t, extra = n % t, b;
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
			if (off > (int64_t)n + 1)
				off = (int64_t)n + 1;
			if (off < -(int64_t)n - 1)
				off = -(int64_t)n - 1;
			long j = i + (long)(c->kind == W_LAG ? -off : off);
			if (j >= 0 && j < n) {
				if ((rc = value_at(w, r, j, res, x)))
					return rc;
			} else if (c->na > 2) {
				*res = av[2];
			}
			break;
		}
		case W_FIRST: case W_LAST: case W_NTH: {
			int64_t want = 1;
			long cnt;
			if (c->kind == W_NTH && !is_posint(&av[1], &want))
				return sdb_error_set(x->e, SDB_EINVAL,
						     "second argument to nth_value must be a positive integer");
			frame_kth(d, lo, hi, i, g0, g1, 1, &cnt);
			long j = frame_kth(d, lo, hi, i, g0, g1, c->kind == W_LAST ? cnt : want, &cnt);
			if ((rc = value_at(w, r, j, res, x)))
				return rc;
			break;
		}
		default:
			if ((rc = agg_result(w, c, x, r->st, res)))
				return rc;
			break;
		}
	}
	w->i++;
	return 0;
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

/* The next partition of sort `in` by d into the partition's spool (each
 * row with its peer group's number and first row), set up for part_row.
 * @return 1, 0 none left, or an error. */
static int part_load(struct winset *w, struct sql_sorter *in, struct wdef *d, struct ectx *x)
{
	const struct sql_value *r, *prev;
	int64_t grp = 0, g0 = 0;
	long n = 0;
	int rc;
	if ((rc = sql_sorter_clear(w->sp, x->e)))
		return rc;
	w->n = w->i = 0;
	if (w->has_peek) {
		w->has_peek = 0;
		r = w->peek;
	} else if ((rc = sql_sorter_next(in, &r, x->e)) <= 0) {
		return rc;
	}
	for (;;) {
		if (n) {
			/* the row added last is in memory */
			if ((rc = sql_spool_rd_seek(w->tail, n - 1, x->e)) || (rc = row_at(w->tail, &prev, x)))
				return rc;
			if (key_cmp(d, r + w->vb, prev + w->vb, 0, d->npart)) {
				/* the next partition's first row, kept for the next call */
				if (!w->peek && !(w->peek = calloc((size_t)w->nf, sizeof(*w->peek))))
					return sql_oom(x->e);
				sdb_sql_arena_reset(&w->pk);
				if (flat_copy(w, w->peek, r, &w->pk))
					return sql_oom(x->e);
				w->has_peek = 1;
				break;
			}
			if (key_cmp(d, r + w->vb, prev + w->vb, d->npart, d->npart + d->nord)) {
				grp++;
				g0 = n;
			}
		}
		struct sql_value px[2];
		px[PX_GRP] = sql_int(grp);
		px[PX_G0] = sql_int(g0);
		if ((rc = sql_sorter_add(w->sp, r, w->nf, px, 2, x->e)))
			return rc;
		n++;
		if ((rc = sql_sorter_next(in, &r, x->e)) <= 0)
			break;
	}
	if (rc < 0)
		return rc;
	w->n = n;
	return (rc = part_start(w, d, x)) ? rc : 1;
}

/* The partition's spool, its readers, the calls' states and readers. */
static int part_init(struct winset *w, struct ectx *x)
{
	if (w->sp)
		return 0;
	/* half the limit: the sort being read and the next one have a
	 * quarter each */
	w->sp = sql_sorter_new(w->nf + 2, NULL, NULL, x->c->memory_limit / 2,
			       x->c->tmp_dir ? x->c->tmp_dir : x->c->dir);
	if (w->sp)
		sql_sorter_name(w->sp, "window partition spill file");
	w->out = calloc((size_t)w->nf, sizeof(*w->out));
	w->run = calloc((size_t)w->ncalls + 1, sizeof(*w->run));
	w->states = calloc((size_t)w->ncalls + 1, sizeof(*w->states));
	w->vrd = calloc((size_t)w->ncalls + 1, sizeof(*w->vrd));
	w->anc = calloc((size_t)w->ncalls + 10, sizeof(*w->anc));
	if (!w->sp || !w->out || !w->run || !w->states || !w->vrd || !w->anc)
		return sql_oom(x->e);
	struct sql_spool_rd **fixed[] = { &w->cur, &w->gst, &w->gend, &w->blo, &w->bhi,
					   &w->lo, &w->lea, &w->ent, &w->walk, &w->tail };
	for (size_t j = 0; j < sizeof fixed / sizeof *fixed; j++) {
		if (!(*fixed[j] = sql_spool_rd_new(w->sp)))
			return sql_oom(x->e);
		if (*fixed[j] != w->tail)
			w->anc[w->nanc++] = *fixed[j];
	}
	int slot = 0;
	for (struct wcall *c = w->calls; c; c = c->next, slot++) {
		if (c->kind == W_AGG && !(w->states[slot] = calloc(1, c->fn->agg->state_size + 16)))
			return sql_oom(x->e);
		if (c->kind == W_LAG || c->kind == W_LEAD || c->kind == W_FIRST ||
		    c->kind == W_LAST || c->kind == W_NTH) {
			if (!(w->vrd[slot] = sql_spool_rd_new(w->sp)))
				return sql_oom(x->e);
			w->anc[w->nanc++] = w->vrd[slot];
		}
	}
	return 0;
}

static void part_free(struct winset *w)
{
	int slot = 0;
	for (struct wcall *c = w->calls; c && w->states; c = c->next, slot++) {
		if (w->states[slot]) {
			if (c->fn->agg->destroy)
				c->fn->agg->destroy(w->states[slot]);
			free(w->states[slot]);
		}
	}
	for (int j = 0; j < w->nanc; j++)
		sql_spool_rd_free(w->anc[j]);
	sql_spool_rd_free(w->tail);
	sql_sorter_free(w->sp);
	free(w->out);
	free(w->run);
	free(w->states);
	free(w->vrd);
	free(w->anc);
	w->sp = NULL;
	w->out = NULL;
	w->run = NULL;
	w->states = NULL;
	w->vrd = w->anc = NULL;
	w->cur = w->gst = w->gend = w->blo = w->bhi = w->lo = w->lea = w->ent = w->walk = w->tail = NULL;
	w->nanc = w->nrun = 0;
	w->n = w->i = 0;
}

static int build(struct winset *w, struct ectx *x)
{
	int rc;
	if (layout(w))
		return sql_oom(x->e);
	if ((rc = part_init(w, x)))
		return rc;
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
			while (!rc && w->i < w->n) {
				if ((rc = part_row(w, x)))
					break;
				if (k == 0)
					w->out[w->ordc] = sql_int(place++);
				rc = sql_sorter_add(t, w->out, w->nf, NULL, 0, x->e);
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
	w->n = w->i = 0;
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
	if (w->i >= w->n && (rc = part_load(w, w->in, w->sd, x)) <= 0)
		return rc;
	if ((rc = part_row(w, x)))
		return rc;
	w->src->unflat(w->srcctx, w->out);
	w->outp = w->out + w->rb;
	return 1;
}
