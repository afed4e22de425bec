/*
 * expr.c - expressions: name binding (resolve) and compilation of the
 * syntax tree into struct xp trees, and their evaluation with SQLite's
 * semantics through value.h (affinity, comparison, arithmetic, casts,
 * LIKE/GLOB, functions). See exec_int.h for the design.
 */
#include "sql/exec_int.h"
#include "sql/sorter.h"
#include "sql/fts_exec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sql_oom(struct sdb_error *e)
{
	return sdb_error_set(e, SDB_ENOMEM, "out of memory");
}

char *sql_strdup(struct sdb_sql_arena *a, const char *z, size_t n)
{
	char *r = sdb_sql_arena_alloc(a, n + 1);
	if (r) {
		memcpy(r, z, n);
		r[n] = 0;
	}
	return r;
}

static struct xp *xnew(struct bctx *b, int op)
{
	struct xp *p = sdb_sql_arena_alloc(b->a, sizeof(*p));
	if (p)
		p->op = (uint8_t)op;
	return p;
}

/* The affinity sql_cmp_affinity applies to both sides (BLOB as none). */
static inline int cmp_aff(int la, int ra)
{
	if (la && ra)
		return la >= SQL_AFF_NUMERIC || ra >= SQL_AFF_NUMERIC ? SQL_AFF_NUMERIC : 0;
	return la ? la : ra == SQL_AFF_BLOB ? 0 : ra;
}

struct xp *xp_const(struct bctx *b, struct sql_value v)
{
	struct xp *p = xnew(b, X_CONST);
	if (p) {
		p->k = v;
		p->is_const = 1;
	}
	return p;
}

/* ------------------------------------------------------------ literals */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int lit_integer(struct bctx *b, const char *t, int neg,
		       struct sql_value *v)
{
	return sql_value_int_literal(t, neg, v, b->e);
}

/* ------------------------------------------------------------ binding */

static int name_eq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

static int is_rowid_name(const char *z)
{
	return !strcasecmp(z, "rowid") || !strcasecmp(z, "oid") ||
	       !strcasecmp(z, "_rowid_");
}

/* Column of src by name: index, ncol for the rowid, -1 absent. */
static int src_col(const struct src *s, const char *name, int unqualified)
{
	for (int i = 0; i < s->ncol; i++)
		if (name_eq(s->cols[i], name)) {
			if (unqualified && s->hide && s->hide[i])
				return -2;
			return i;
		}
	if (s->has_rowid && is_rowid_name(name))
		return s->ncol;
	return -1;
}

static void mark_used(struct src *s, int col)
{
	src_use(s, col);
}

static struct xp *col_ref(struct bctx *b, struct src *s, int col)
{
	struct xp *p = xnew(b, X_COL);
	if (!p)
		return NULL;
	p->cur = s->cur;
	p->col = col;
	if (col < s->ncol) {
		p->aff = s->aff ? s->aff[col] : 0;
		if (s->coll && s->coll[col]) {
			p->coll = s->coll[col];
			p->has_coll = 1;
		}
	} else {
		p->aff = SQL_AFF_INTEGER;
	}
	mark_used(s, col);
	return p;
}

static int bind_column(struct bctx *b, struct scope *s0,
		       const struct sql_expr *x, struct xp **out)
{
	const char *tname = x->table.z, *cname = x->name.z;
	for (struct scope *s = s0; s; s = s->up) {
		struct src *found = NULL;
		int fcol = -1, nfound = 0, tmatch = 0;
		for (int i = 0; i < s->nsrc; i++) {
			struct src *sr = &s->src[i];
			if (tname) {
				if (!name_eq(sr->name, tname))
					continue;
				tmatch = 1;
			}
			int c = src_col(sr, cname, !tname);
			if (c == -2)
				continue;
			if (c >= 0) {
				if (!found || c < sr->ncol)
					nfound++;
				if (!found) {
					found = sr;
					fcol = c;
				}
			}
		}
		if (nfound > 1)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "ambiguous column name: %s%s%s",
					     tname ? tname : "", tname ? "." : "",
					     cname);
		if (found) {
			for (struct scope *t = s0; t != s; t = t->up)
				t->correlated = 1;
			if (!tname && found->ucol && fcol < found->ncol && found->ucol[fcol]) {
				/* a USING column of a RIGHT/FULL JOIN: coalesce(left, right) */
				*out = found->ucol[fcol];
				return 0;
			}
			*out = col_ref(b, found, fcol);
			return *out ? 0 : sql_oom(b->e);
		}
		(void)tmatch;
		/* a result column alias (WHERE, GROUP BY, HAVING, ORDER BY) */
		if (!tname && s == s0 && s->alias_ok) {
			for (int i = 0; i < s->nrcols; i++) {
				struct sql_rescol *rc = s->rcols[i];
				if (rc->e && rc->alias.z && name_eq(rc->alias.z, cname)) {
					s->alias_ok = 0;
					int rc2 = xp_compile(b, s, rc->e, out);
					s->alias_ok = 1;
					return rc2;
				}
			}
		}
	}
	if (!tname && x->name.dq) {
		size_t n = strlen(cname);
		*out = xp_const(b, sql_text(cname, n));
		return *out ? 0 : sql_oom(b->e);
	}
	if (tname)
		return sdb_error_set(b->e, SDB_ENOTFOUND, "no such column: %s.%s",
				     tname, cname);
	return sdb_error_set(b->e, SDB_ENOTFOUND, "no such column: %s", cname);
}

/* ------------------------------------------------------------ compile */

static int compile_list(struct bctx *b, struct scope *s,
			struct sql_expr *const *l, int n, struct xp ***out)
{
	struct xp **a = sdb_sql_arena_alloc(b->a, sizeof(*a) * (size_t)(n ? n : 1));
	if (!a)
		return sql_oom(b->e);
	for (int i = 0; i < n; i++) {
		int rc = xp_compile(b, s, l[i], &a[i]);
		if (rc)
			return rc;
	}
	*out = a;
	return 0;
}

static int all_const(struct xp **a, int n)
{
	for (int i = 0; i < n; i++)
		if (!a[i]->is_const)
			return 0;
	return 1;
}

static int add_agg(struct bctx *b, struct aggset *ag, const struct aggdef *d)
{
	if (ag->n == ag->cap) {
		int nc = ag->cap ? ag->cap * 2 : 8;
		struct aggdef *nd = sdb_sql_arena_alloc(b->a, sizeof(*nd) * (size_t)nc);
		if (!nd)
			return sql_oom(b->e);
		if (ag->n)
			memcpy(nd, ag->d, sizeof(*nd) * (size_t)ag->n);
		ag->d = nd;
		ag->cap = nc;
	}
	ag->d[ag->n] = *d;
	return ag->n++;
}

static int compile_func(struct bctx *b, struct scope *s,
			const struct sql_expr *x, struct xp **out)
{
	int argc = x->nlist;
	int star = argc == 1 && x->list[0]->kind == SQL_E_STAR;
	if (star)
		argc = 0;
	int wrong = 0;
	const char *fname = x->name.z;
	const struct sql_func_def *fn = sql_func_find(fname, strlen(fname), argc,
						      &wrong);
	if (!fn) {
		if (wrong)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "wrong number of arguments to function %s()",
					     fname);
		return sdb_error_set(b->e, SDB_ENOTFOUND, "no such function: %s",
				     fname);
	}
	if (star && !fn->agg)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "wrong number of arguments to function %s()",
				     fname);
	if (x->over) {
		if (!s->win)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "misuse of window function %s()", fname);
		return win_compile_call(b, s, s->win, x, fn, argc, out);
	}
	if ((fn->flags & SQL_FN_WINDOW) && !x->over)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "misuse of window function %s()", fname);
	if (fn->agg && !fn->fn) {
		if (!s->ag || s->in_agg)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "misuse of aggregate function %s()",
					     fname);
		if (!s->agg_ok)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "misuse of aggregate: %s()", fname);
		if (x->distinct && argc != 1)
			return sdb_error_set(b->e, SDB_EINVAL,
					     "DISTINCT aggregates must have exactly one argument");
		struct aggdef d = { .fn = fn, .na = argc, .distinct = x->distinct };
		s->in_agg = 1;
		int rc = compile_list(b, s, x->list, argc, &d.args);
		if (!rc && x->right)
			rc = xp_compile(b, s, x->right, &d.filter);
		s->in_agg = 0;
		if (rc)
			return rc;
		int slot = add_agg(b, s->ag, &d);
		if (slot < 0)
			return slot;
		struct xp *p = xnew(b, X_AGG);
		if (!p)
			return sql_oom(b->e);
		p->ag = s->ag;
		p->col = slot;
		*out = p;
		return 0;
	}
	if (x->distinct)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "DISTINCT aggregates must have exactly one argument");
	struct xp *p = xnew(b, X_FUNC);
	if (!p)
		return sql_oom(b->e);
	p->fn = fn;
	p->na = argc;
	int rc = compile_list(b, s, x->list, argc, &p->a);
	if (rc)
		return rc;
	p->is_const = (fn->flags & SQL_FN_CONST) && all_const(p->a, argc);
	for (int i = 0; i < argc; i++)
		if (p->a[i]->has_coll > p->has_coll) {
			p->coll = p->a[i]->coll;
			p->has_coll = p->a[i]->has_coll;
		}
	p->has_coll = 0; /* a function's result has no collation of its own */
	*out = p;
	return 0;
}

static int compile_sub(struct bctx *b, struct scope *s,
		       const struct sql_select *sel, struct subq **out)
{
	struct subq *q = sdb_sql_arena_alloc(b->a, sizeof(*q));
	if (!q)
		return sql_oom(b->e);
	int corr = 0;
	q->sel = sel_compile(b, s, sel, &corr);
	if (!q->sel)
		return b->e->code ? b->e->code : SDB_ENOMEM;
	q->correlated = corr;
	sdb_sql_arena_init(&q->mem);
	q->next = b->all->subs;
	b->all->subs = q;
	*out = q;
	return 0;
}

int xp_compile(struct bctx *b, struct scope *s, const struct sql_expr *x,
	       struct xp **out)
{
	struct xp *p = NULL;
	int rc = 0;
	if (++b->depth > SDB_SQL_MAX_DEPTH) {
		b->depth--;
		return sdb_error_set(b->e, SDB_ELIMIT,
				     "Expression tree is too large (maximum depth %d)",
				     SDB_SQL_MAX_DEPTH);
	}
	switch (x->kind) {
	case SQL_E_NULL:
		p = xp_const(b, sql_null());
		break;
	case SQL_E_INTEGER:
	case SQL_E_FLOAT: {
		struct sql_value v;
		if (x->kind == SQL_E_INTEGER) {
			rc = lit_integer(b, x->text, 0, &v);
		} else {
			v = sql_real(strtod(x->text, NULL));
		}
		if (!rc)
			p = xp_const(b, v);
		break;
	}
	case SQL_E_STRING:
		p = xp_const(b, sql_text(x->text, strlen(x->text)));
		break;
	case SQL_E_BLOB: {
		size_t n = strlen(x->text) / 2;
		unsigned char *d = sdb_sql_arena_alloc(b->a, n ? n : 1);
		if (!d)
			return sql_oom(b->e);
		for (size_t i = 0; i < n; i++)
			d[i] = (unsigned char)(hexval(x->text[2 * i]) << 4 |
					       hexval(x->text[2 * i + 1]));
		p = xp_const(b, sql_blob(d, n));
		break;
	}
	case SQL_E_PARAM:
		p = xnew(b, X_PARAM);
		if (p)
			p->col = sql_param_at(b->h, x->off);
		break;
	case SQL_E_CTIME:
		p = xnew(b, X_CTIME);
		if (p)
			p->col = x->kw;
		break;
	case SQL_E_COLUMN:
		rc = bind_column(b, s, x, &p);
		break;
	case SQL_E_STAR:
		rc = sdb_error_set(b->e, SDB_EPARSE, "near \"*\": syntax error");
		break;
	case SQL_E_UNARY:
		if (x->op == SQL_OP_NEG && x->left->kind == SQL_E_INTEGER) {
			struct sql_value v;
			rc = lit_integer(b, x->left->text, 1, &v);
			if (!rc)
				p = xp_const(b, v);
			break;
		}
		if (x->op == SQL_OP_NEG && x->left->kind == SQL_E_FLOAT) {
			p = xp_const(b, sql_real(-strtod(x->left->text, NULL)));
			break;
		}
		p = xnew(b, x->op == SQL_OP_NOT ? X_NOT : X_UN);
		if (!p)
			break;
		p->sop = x->op;
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc) {
			p->is_const = p->l->is_const;
			/* unary + keeps the value but not the affinity (SQLite's
			 * TK_UPLUS has none) */
		}
		break;
	case SQL_E_BINARY: {
		int op = X_BIN;
		switch (x->op) {
		case SQL_OP_AND: op = X_AND; break;
		case SQL_OP_OR: op = X_OR; break;
		case SQL_OP_EQ: case SQL_OP_NE: case SQL_OP_LT: case SQL_OP_LE:
		case SQL_OP_GT: case SQL_OP_GE:
			op = X_CMP;
			break;
		case SQL_OP_IS: case SQL_OP_ISNOT: case SQL_OP_ISDISTINCT:
		case SQL_OP_ISNOTDISTINCT:
			op = X_IS;
			break;
		case SQL_OP_PTR: case SQL_OP_PTR2:
			op = X_FUNC;
			break;
		default:
			break;
		}
		p = xnew(b, op);
		if (!p)
			break;
		p->sop = x->op;
		if (op == X_FUNC) { /* X -> P, X ->> P (json.c) */
			p->fn = sql_json_ptr_func(x->op == SQL_OP_PTR2);
			p->na = 2;
			p->a = sdb_sql_arena_alloc(b->a, sizeof(*p->a) * 2);
			if (!p->a)
				return sql_oom(b->e);
			rc = xp_compile(b, s, x->left, &p->a[0]);
			if (!rc)
				rc = xp_compile(b, s, x->right, &p->a[1]);
			if (!rc)
				p->is_const = p->a[0]->is_const && p->a[1]->is_const;
			break;
		}
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			rc = xp_compile(b, s, x->right, &p->r);
		if (!rc)
			p->is_const = p->l->is_const && p->r->is_const;
		break;
	}
	case SQL_E_COLLATE: {
		enum sql_coll cl;
		rc = sql_coll_find(x->text, &cl, b->e);
		if (rc)
			break;
		p = xnew(b, X_COLLATE);
		if (!p)
			break;
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc) {
			p->aff = p->l->aff;
			p->coll = (uint8_t)cl;
			p->has_coll = 2;
			p->is_const = p->l->is_const;
		}
		break;
	}
	case SQL_E_BETWEEN:
		p = xnew(b, X_BETWEEN);
		if (!p)
			break;
		p->not_ = x->not_;
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			rc = xp_compile(b, s, x->right, &p->r);
		if (!rc)
			rc = xp_compile(b, s, x->third, &p->t);
		if (!rc)
			p->is_const = p->l->is_const && p->r->is_const &&
				      p->t->is_const;
		/* col BETWEEN int AND int, compared as integers (plain_cmp): an
		 * integer value is tested at once */
		if (!rc && p->l->op == X_COL && p->r->op == X_CONST && p->t->op == X_CONST &&
		    p->r->k.type == SQLV_INT && p->t->k.type == SQLV_INT) {
			int c1 = cmp_aff(p->l->aff, p->r->aff), c2 = cmp_aff(p->l->aff, p->t->aff);
			p->fast = c1 != SQL_AFF_REAL && c1 != SQL_AFF_TEXT &&
				  c2 != SQL_AFF_REAL && c2 != SQL_AFF_TEXT;
		}
		break;
	case SQL_E_IN:
		if (x->select) {
			p = xnew(b, X_INSUB);
			if (!p)
				break;
			p->not_ = x->not_;
			rc = xp_compile(b, s, x->left, &p->l);
			if (!rc)
				rc = compile_sub(b, s, x->select, &p->sub);
			if (!rc && sel_ncols(p->sub->sel) != 1)
				rc = sdb_error_set(b->e, SDB_EINVAL,
						   "sub-select returns %d columns - expected 1",
						   sel_ncols(p->sub->sel));
			break;
		}
		if (x->distinct) {
			rc = sdb_error_set(b->e, SDB_ENOTFOUND, "no such table: %s",
					   x->name.z);
			break;
		}
		if (x->name.z) {
			/* x IN table: x IN (SELECT * FROM table) */
			struct sql_select *sel = sdb_sql_arena_alloc(b->a, sizeof(*sel));
			struct sql_core *core = sdb_sql_arena_alloc(b->a, sizeof(*core));
			struct sql_core **cores = sdb_sql_arena_alloc(b->a, sizeof(*cores));
			struct sql_rescol *rcol = sdb_sql_arena_alloc(b->a, sizeof(*rcol));
			struct sql_rescol **rcols = sdb_sql_arena_alloc(b->a, sizeof(*rcols));
			struct sql_from *from = sdb_sql_arena_alloc(b->a, sizeof(*from));
			struct sql_source *src = sdb_sql_arena_alloc(b->a, sizeof(*src));
			struct sql_source **items = sdb_sql_arena_alloc(b->a, sizeof(*items));
			if (!sel || !core || !cores || !rcol || !rcols || !from || !src || !items)
				return sql_oom(b->e);
			rcol->star = 1;
			rcols[0] = rcol;
			src->name = x->name;
			src->schema = x->schema;
			items[0] = src;
			from->items = items;
			from->n = 1;
			core->cols = rcols;
			core->ncols = 1;
			core->from = from;
			cores[0] = core;
			sel->cores = cores;
			sel->ncores = 1;
			p = xnew(b, X_INSUB);
			if (!p)
				break;
			p->not_ = x->not_;
			rc = xp_compile(b, s, x->left, &p->l);
			if (!rc)
				rc = compile_sub(b, s, sel, &p->sub);
			if (!rc && sel_ncols(p->sub->sel) != 1)
				rc = sdb_error_set(b->e, SDB_EINVAL,
						   "sub-select returns %d columns - expected 1",
						   sel_ncols(p->sub->sel));
			break;
		}
		p = xnew(b, X_INLIST);
		if (!p)
			break;
		p->not_ = x->not_;
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			rc = compile_list(b, s, x->list, x->nlist, &p->a);
		if (rc)
			break;
		p->na = x->nlist;
		p->is_const = p->l->is_const && all_const(p->a, p->na);
		break;
	case SQL_E_LIKE:
		if (x->op == SQL_OP_MATCH) {
			rc = sql_fts_compile_match(b, s, x, &p);
			break;
		}
		if (x->op != SQL_OP_LIKE && x->op != SQL_OP_GLOB)
			return sdb_error_set(b->e, SDB_ENOTFOUND,
					     "no such function: %s",
					     x->op == SQL_OP_REGEXP ? "REGEXP" : "MATCH");
		p = xnew(b, x->op == SQL_OP_LIKE ? X_LIKE : X_GLOB);
		if (!p)
			break;
		p->not_ = x->not_;
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			rc = xp_compile(b, s, x->right, &p->r);
		if (!rc && x->third)
			rc = xp_compile(b, s, x->third, &p->t);
		if (!rc)
			p->is_const = p->l->is_const && p->r->is_const &&
				      (!p->t || p->t->is_const);
		break;
	case SQL_E_ISNULL:
		p = xnew(b, x->not_ ? X_NOTNULL : X_ISNULL);
		if (!p)
			break;
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			p->is_const = p->l->is_const;
		break;
	case SQL_E_CASE: {
		p = xnew(b, X_CASE);
		if (!p)
			break;
		if (x->left)
			rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			rc = compile_list(b, s, x->list, x->nlist, &p->a);
		p->na = x->nlist;
		if (!rc && x->right)
			rc = xp_compile(b, s, x->right, &p->r);
		if (!rc)
			p->is_const = (!p->l || p->l->is_const) &&
				      all_const(p->a, p->na) &&
				      (!p->r || p->r->is_const);
		break;
	}
	case SQL_E_CAST:
		p = xnew(b, X_CAST);
		if (!p)
			break;
		p->k.u.z = x->text;
		p->aff = (uint8_t)sql_affinity_of(x->text);
		rc = xp_compile(b, s, x->left, &p->l);
		if (!rc)
			p->is_const = p->l->is_const;
		break;
	case SQL_E_EXISTS:
		p = xnew(b, X_EXISTS);
		if (!p)
			break;
		p->not_ = x->not_;
		rc = compile_sub(b, s, x->select, &p->sub);
		break;
	case SQL_E_SUBQUERY:
		p = xnew(b, X_SCALAR);
		if (!p)
			break;
		rc = compile_sub(b, s, x->select, &p->sub);
		if (!rc && sel_ncols(p->sub->sel) != 1)
			rc = sdb_error_set(b->e, SDB_EINVAL,
					   "sub-select returns %d columns - expected 1",
					   sel_ncols(p->sub->sel));
		if (!rc)
			p->aff = sel_aff(p->sub->sel, 0);
		break;
	case SQL_E_FUNC:
		if (sql_fts_is_aux(x->name.z)) {
			rc = sql_fts_compile_aux(b, s, x, &p);
			break;
		}
		rc = compile_func(b, s, x, &p);
		break;
	case SQL_E_VECTOR:
		if (x->nlist == 1) {
			b->depth--;
			return xp_compile(b, s, x->list[0], out);
		}
		rc = sdb_error_set(b->e, SDB_EINVAL, "row value misused");
		break;
	case SQL_E_RAISE:
		rc = sdb_error_set(b->e, SDB_EINVAL,
				   "RAISE() may only be used within a trigger-program");
		break;
	}
	b->depth--;
	if (rc)
		return rc;
	if (!p)
		return sql_oom(b->e);
	*out = p;
	return 0;
}

/* ------------------------------------------------------------ evaluation */

static int coll_of(const struct xp *l, const struct xp *r)
{
	if (l->has_coll == 2)
		return l->coll;
	if (r && r->has_coll == 2)
		return r->coll;
	if (l->has_coll)
		return l->coll;
	if (r && r->has_coll)
		return r->coll;
	return SQL_COLL_BINARY;
}

/* Compares a and b as `l op r` would: affinities of the operands applied
 * (to copies), the collation chosen. *res: <0, 0, >0; returns 1 when
 * either is NULL. */
static inline int aff_keeps(enum sql_aff aff, int t)
{
	return (aff == SQL_AFF_TEXT && (t == SQLV_TEXT || t == SQLV_BLOB)) ||
	       ((aff == SQL_AFF_NUMERIC || aff == SQL_AFF_INTEGER) && t == SQLV_INT) ||
	       (aff == SQL_AFF_REAL && t == SQLV_REAL);
}

static int cmp_pair(struct ectx *x, const struct xp *l, const struct xp *r,
		    struct sql_value a, struct sql_value b, int *res)
{
	if (a.type == SQLV_NULL || b.type == SQLV_NULL)
		return 1;
	enum sql_aff al = 0, ar = 0;
	sql_cmp_affinity((enum sql_aff)l->aff, (enum sql_aff)r->aff, &al, &ar);
	if (a.type == SQLV_INT && b.type == SQLV_INT && al != SQL_AFF_REAL &&
	    ar != SQL_AFF_REAL && al != SQL_AFF_TEXT && ar != SQL_AFF_TEXT) {
		/* two integers no affinity changes: compared as they are */
		*res = (a.u.i > b.u.i) - (a.u.i < b.u.i);
		return 0;
	}
	if (al && !aff_keeps(al, a.type))
		sql_value_apply_aff(&a, al, x->mem);
	if (ar && !aff_keeps(ar, b.type))
		sql_value_apply_aff(&b, ar, x->mem);
	*res = sql_value_cmp(&a, &b, (enum sql_coll)coll_of(l, r));
	return 0;
}

/* The value of a column or constant operand, read in place (NULL: an
 * operand of another kind, or a column of a null row). */
static inline const struct sql_value *leaf_val(const struct xp *p)
{
	if (p->op == X_CONST)
		return &p->k;
	if (p->op == X_COL && !p->cur->nullrow)
		return &p->cur->row[p->col];
	return NULL;
}

/* a vs b (neither NULL) as cmp_pair compares them, in the cases where
 * the comparison affinity changes neither: two INTEGERs, or two TEXTs
 * under no or TEXT affinity (the WHERE of a scan, row after row).
 * @return 1 with *res set, 0 for cmp_pair. */
static inline int plain_cmp(const struct xp *l, const struct xp *r,
			    const struct sql_value *a, const struct sql_value *b, int *res)
{
	if (a->type != b->type)
		return 0;
	int c = cmp_aff(l->aff, r->aff);
	if (a->type == SQLV_INT) {
		if (c == SQL_AFF_REAL || c == SQL_AFF_TEXT)
			return 0;
		*res = (a->u.i > b->u.i) - (a->u.i < b->u.i);
		return 1;
	}
	if (a->type != SQLV_TEXT || (c && c != SQL_AFF_TEXT && c != SQL_AFF_BLOB))
		return 0;
	*res = sql_value_cmp(a, b, (enum sql_coll)coll_of(l, r));
	return 1;
}

static int cmp_result(int op, int c)
{
	switch (op) {
	case SQL_OP_EQ: return c == 0;
	case SQL_OP_NE: return c != 0;
	case SQL_OP_LT: return c < 0;
	case SQL_OP_LE: return c <= 0;
	case SQL_OP_GT: return c > 0;
	default: return c >= 0;
	}
}

static int in_consts(const struct xp *p, const struct sql_value *v, int *res);

/* The truth of a comparison, BETWEEN or IN over a list of constants
 * whose operands are columns and constants, when no affinity changes
 * them (in_consts, plain_cmp) and none is NULL: without xp_eval's
 * recursion, the operands read in place. @return 1 with *t set (0 or 1;
 * -1 for IN's NULL item), 0 to evaluate it the general way. */
static inline int fast_truth(const struct xp *p, int *t)
{
	const struct sql_value *a, *b, *c;
	int r1, r2;
	switch (p->op) {
	case X_CMP:
		if (!(a = leaf_val(p->l)) || !(b = leaf_val(p->r)) ||
		    a->type == SQLV_NULL || b->type == SQLV_NULL || !plain_cmp(p->l, p->r, a, b, &r1))
			return 0;
		*t = cmp_result(p->sop, r1);
		return 1;
	case X_BETWEEN:
		if (p->fast && !p->l->cur->nullrow) {
			a = &p->l->cur->row[p->l->col];
			if (a->type == SQLV_INT) {
				*t = (a->u.i >= p->r->k.u.i && a->u.i <= p->t->k.u.i) != p->not_;
				return 1;
			}
		}
		if (!(a = leaf_val(p->l)) || !(b = leaf_val(p->r)) || !(c = leaf_val(p->t)) ||
		    a->type == SQLV_NULL || b->type == SQLV_NULL || c->type == SQLV_NULL ||
		    !plain_cmp(p->l, p->r, a, b, &r1) || !plain_cmp(p->l, p->t, a, c, &r2))
			return 0;
		*t = (r1 >= 0 && r2 <= 0) != p->not_;
		return 1;
	case X_INLIST:
		if (!p->na || !(a = leaf_val(p->l)) || a->type == SQLV_NULL || !in_consts(p, a, &r1))
			return 0;
		*t = p->not_ && r1 >= 0 ? !r1 : r1;
		return 1;
	}
	return 0;
}

int xp_truth(struct ectx *x, const struct xp *p, int *t)
{
	if (fast_truth(p, t))
		return 0;
	struct sql_value v;
	int rc = xp_eval(x, p, &v);
	if (rc)
		return rc;
	*t = v.type == SQLV_INT ? v.u.i != 0 : sql_value_truth(&v);
	return 0;
}

static struct sql_value bool_val(int t)
{
	return t < 0 ? sql_null() : sql_int(t);
}

static int run_sub(struct ectx *x, struct subq *q)
{
	struct ectx sx = *x;
	return sel_open(q->sel, &sx);
}

/* IN over a list of constants, the left operand v read in place (not
 * NULL), when no affinity changes v or an item: in_list's answer
 * without evaluating the items. @return 1 with *res set, 0 for in_list. */
static int in_consts(const struct xp *p, const struct sql_value *v, int *res)
{
	int sawnull = 0;
	enum sql_aff la = (enum sql_aff)p->l->aff;
	enum sql_coll cl = (enum sql_coll)(p->l->has_coll ? p->l->coll : SQL_COLL_BINARY);
	int conv = la && la != SQL_AFF_BLOB;
	if (conv && !aff_keeps(la, v->type))
		return 0;
	for (int i = 0; i < p->na; i++) {
		const struct xp *a = p->a[i];
		if (a->op != X_CONST)
			return 0;
		const struct sql_value *w = &a->k;
		if (w->type == SQLV_NULL) {
			sawnull = 1;
			continue;
		}
		if (conv ? !aff_keeps(la, w->type) :
		    a->aff && a->aff != SQL_AFF_BLOB && a->aff != SQL_AFF_TEXT)
			return 0;
		if (w->type == SQLV_INT && v->type == SQLV_INT) {
			if (w->u.i == v->u.i) {
				*res = 1;
				return 1;
			}
			continue;
		}
		enum sql_coll c2 = p->l->has_coll == 2 ? cl :
				   (a->has_coll == 2 ? a->coll : cl);
		if (w->type == SQLV_TEXT && v->type == SQLV_TEXT && c2 == SQL_COLL_BINARY) {
			/* the last bytes first: names like city03/city17 differ there */
			if (w->n == v->n && (!v->n || w->u.z[v->n - 1] == v->u.z[v->n - 1]) &&
			    !memcmp(w->u.z, v->u.z, v->n)) {
				*res = 1;
				return 1;
			}
			continue;
		}
		if (sql_value_cmp(v, w, c2) == 0) {
			*res = 1;
			return 1;
		}
	}
	*res = sawnull ? -1 : 0;
	return 1;
}

/* IN over a list or a subquery's values: 1 found, 0 not, -1 NULL. */
static int in_list(struct ectx *x, const struct xp *p, struct sql_value v,
		   int *res)
{
	int rc;
	if (p->na == 0) {
		*res = 0;
		return 0;
	}
	if (v.type == SQLV_NULL) {
		*res = -1;
		return 0;
	}
	int sawnull = 0;
	enum sql_aff la = (enum sql_aff)p->l->aff;
	enum sql_coll cl = (enum sql_coll)(p->l->has_coll ? p->l->coll : SQL_COLL_BINARY);
	if (in_consts(p, &v, res))
		return 0;
	if (la && la != SQL_AFF_BLOB && !aff_keeps(la, v.type))
		sql_value_apply_aff(&v, la, x->mem);
	for (int i = 0; i < p->na; i++) {
		struct sql_value w;
		if ((rc = xp_eval(x, p->a[i], &w)))
			return rc;
		if (w.type == SQLV_NULL) {
			sawnull = 1;
			continue;
		}
		enum sql_coll c2 = p->l->has_coll == 2 ? cl :
				   (p->a[i]->has_coll == 2 ? p->a[i]->coll : cl);
		if (la && la != SQL_AFF_BLOB) {
			if (!aff_keeps(la, w.type))
				sql_value_apply_aff(&w, la, x->mem);
		} else if (p->a[i]->aff && p->a[i]->aff != SQL_AFF_BLOB &&
			 p->a[i]->aff != SQL_AFF_TEXT)
			sql_value_apply_aff(&v, (enum sql_aff)p->a[i]->aff, x->mem);
		if (sql_value_cmp(&v, &w, c2) == 0) {
			*res = 1;
			return 0;
		}
	}
	*res = sawnull ? -1 : 0;
	return 0;
}

/* An uncorrelated IN (SELECT ...)'s set of values (affinity ar applied,
 * NULLs only noted): a hash set, and past half the memory limit a hash
 * file (sorter.h) holding them all, its value's bucket read per probe. */
static int in_build(struct ectx *x, struct subq *q, enum sql_aff ar, enum sql_coll cl)
{
	int rc;
	size_t bytes = 0;
	q->set = vset_new(1, 0);
	if (!q->set)
		return sql_oom(x->e);
	vset_coll(q->set, 0, cl);
	if ((rc = run_sub(x, q)))
		return rc;
	for (;;) {
		rc = sel_step(q->sel, x);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		struct sql_value w = sel_row(q->sel)[0];
		if (w.type == SQLV_NULL) {
			q->has_null = 1;
			continue;
		}
		if (ar)
			sql_value_apply_aff(&w, ar, x->mem);
		if (q->hf) {
			if ((rc = sql_hfile_add(q->hf, sql_value_hash(&w, cl), &w, x->e)))
				return rc;
			q->nset++;
			continue;
		}
		int isnew;
		if (!vset_get(q->set, &w, 1, &isnew) && isnew < 0)
			return sql_oom(x->e);
		if (!isnew)
			continue;
		q->nset++;
		if ((bytes += sql_sorter_row_bytes(&w, 1) + 32) <= x->c->memory_limit / 2)
			continue;
		/* past the limit: the set so far into a hash file, the rest after it */
		if (!(q->hf = sql_hfile_new(1, x->c->memory_limit / 2,
					    x->c->tmp_dir ? x->c->tmp_dir : x->c->dir, "IN set file")))
			return sql_oom(x->e);
		for (long i = 0; i < vset_count(q->set); i++) {
			const struct sql_value *k = vset_key(q->set, i);
			if ((rc = sql_hfile_add(q->hf, sql_value_hash(k, cl), k, x->e)))
				return rc;
		}
		vset_free(q->set);
		q->set = NULL;
	}
	if (q->hf && (rc = sql_hfile_finish(q->hf, x->e)))
		return rc;
	q->done = 1;
	return 0;
}

static int in_sub(struct ectx *x, const struct xp *p, struct sql_value v,
		  int *res)
{
	struct subq *q = p->sub;
	int rc;
	enum sql_aff al = 0, ar = 0;
	sql_cmp_affinity((enum sql_aff)p->l->aff,
			 (enum sql_aff)sel_aff(q->sel, 0), &al, &ar);
	enum sql_coll cl = (enum sql_coll)(p->l->has_coll ? p->l->coll : SQL_COLL_BINARY);
	if (!q->correlated) {
		if (!q->done && (rc = in_build(x, q, ar, cl)))
			return rc;
		if (q->nset == 0 && !q->has_null) {
			*res = 0;
			return 0;
		}
		if (v.type == SQLV_NULL) {
			*res = -1;
			return 0;
		}
		if (al)
			sql_value_apply_aff(&v, al, x->mem);
		int isnew;
		if (q->hf) {
			const struct sql_value *w;
			sql_hfile_probe(q->hf, sql_value_hash(&v, cl));
			while ((rc = sql_hfile_next(q->hf, &w, x->e)) == 1)
				if (sql_value_cmp(&v, w, cl) == 0) {
					*res = 1;
					return 0;
				}
			if (rc < 0)
				return rc;
		} else if (vset_get(q->set, &v, 0, &isnew)) {
			*res = 1;
			return 0;
		}
		*res = q->has_null ? -1 : 0;
		return 0;
	}
	if ((rc = run_sub(x, q)))
		return rc;
	int any = 0, sawnull = 0;
	if (al && v.type != SQLV_NULL)
		sql_value_apply_aff(&v, al, x->mem);
	for (;;) {
		rc = sel_step(q->sel, x);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		any = 1;
		if (v.type == SQLV_NULL)
			break;
		struct sql_value w = sel_row(q->sel)[0];
		if (w.type == SQLV_NULL) {
			sawnull = 1;
			continue;
		}
		if (ar)
			sql_value_apply_aff(&w, ar, x->mem);
		if (sql_value_cmp(&v, &w, cl) == 0) {
			*res = 1;
			return 0;
		}
	}
	if (!any)
		*res = 0;
	else if (v.type == SQLV_NULL || sawnull)
		*res = -1;
	else
		*res = 0;
	return 0;
}

static int text_of(struct ectx *x, struct sql_value *v)
{
	if (v->type == SQLV_TEXT || v->type == SQLV_BLOB)
		return 0;
	struct sql_value t;
	int rc = sql_value_text(v, x->mem, &t);
	if (rc)
		return sql_oom(x->e);
	*v = t;
	return 0;
}

static int call_func(struct ectx *x, const struct xp *p, struct sql_value *out)
{
	struct sql_value stackv[8];
	struct sql_value *argv = stackv;
	int rc;
	if (p->na > 8) {
		argv = sdb_sql_arena_alloc(x->mem, sizeof(*argv) * (size_t)p->na);
		if (!argv)
			return sql_oom(x->e);
	}
	for (int i = 0; i < p->na; i++)
		if ((rc = xp_eval(x, p->a[i], &argv[i])))
			return rc;
	struct sql_fctx fc = { .mem = x->mem, .e = x->e, .conn = x->c,
			       .now_ms = x->h ? x->h->now_ms : 0, .coll = p->coll };
	rc = p->fn->fn(&fc, p->na, argv, out);
	if (rc && !x->e->code)
		sdb_error_set(x->e, rc, "%s", sdb_strerror(rc));
	return rc;
}

static int ctime_val(struct ectx *x, int kw, struct sql_value *out)
{
	const char *fname = kw == SQL_KW_CURRENT_DATE ? "date" :
			    kw == SQL_KW_CURRENT_TIME ? "time" : "datetime";
	int wrong;
	const struct sql_func_def *fn = sql_func_find(fname, strlen(fname), 1,
						      &wrong);
	if (!fn || !fn->fn)
		return sdb_error_set(x->e, SDB_ENOTFOUND, "no such function: %s",
				     fname);
	struct sql_value arg = sql_text("now", 3);
	struct sql_fctx fc = { .mem = x->mem, .e = x->e, .conn = x->c,
			       .now_ms = x->h ? x->h->now_ms : 0 };
	return fn->fn(&fc, 1, &arg, out);
}

int xp_eval_full(struct ectx *x, const struct xp *p, struct sql_value *out)
{
	struct sql_value a, b, c;
	int rc, t1, t2, r;
	switch (p->op) {
	case X_CONST:
		*out = p->k;
		return 0;
	case X_PARAM:
		if (x->h && p->col > 0 && p->col <= x->h->nparam)
			*out = x->h->pval[p->col];
		else
			*out = sql_null();
		return 0;
	case X_COL:
		if (p->cur->nullrow)
			*out = sql_null();
		else
			*out = p->cur->row[p->col];
		return 0;
	case X_AGG:
		*out = p->ag->out[p->col];
		return 0;
	case X_OUTCOL:
		*out = (*p->vec)[p->col];
		return 0;
	case X_COLLATE:
		return xp_eval(x, p->l, out);
	case X_AND:
		if ((rc = xp_truth(x, p->l, &t1)))
			return rc;
		if (t1 == 0) {
			*out = sql_int(0);
			return 0;
		}
		if ((rc = xp_truth(x, p->r, &t2)))
			return rc;
		*out = bool_val(t2 == 0 ? 0 : (t1 < 0 || t2 < 0) ? -1 : 1);
		return 0;
	case X_OR:
		if ((rc = xp_truth(x, p->l, &t1)))
			return rc;
		if (t1 == 1) {
			*out = sql_int(1);
			return 0;
		}
		if ((rc = xp_truth(x, p->r, &t2)))
			return rc;
		*out = bool_val(t2 == 1 ? 1 : (t1 < 0 || t2 < 0) ? -1 : 0);
		return 0;
	case X_NOT:
		if ((rc = xp_truth(x, p->l, &t1)))
			return rc;
		*out = bool_val(t1 < 0 ? -1 : !t1);
		return 0;
	case X_CMP:
		if (fast_truth(p, &t1)) {
			*out = bool_val(t1);
			return 0;
		}
		if ((rc = xp_eval(x, p->l, &a)) || (rc = xp_eval(x, p->r, &b)))
			return rc;
		if (cmp_pair(x, p->l, p->r, a, b, &r)) {
			*out = sql_null();
			return 0;
		}
		*out = sql_int(cmp_result(p->sop, r));
		return 0;
	case X_IS: {
		if ((rc = xp_eval(x, p->l, &a)) || (rc = xp_eval(x, p->r, &b)))
			return rc;
		int eq;
		if (a.type == SQLV_NULL || b.type == SQLV_NULL)
			eq = a.type == b.type;
		else {
			cmp_pair(x, p->l, p->r, a, b, &r);
			eq = r == 0;
		}
		int want_eq = p->sop == SQL_OP_IS || p->sop == SQL_OP_ISNOTDISTINCT;
		*out = sql_int(eq == want_eq);
		return 0;
	}
	case X_BIN:
		if ((rc = xp_eval(x, p->l, &a)) || (rc = xp_eval(x, p->r, &b)))
			return rc;
		return sql_value_binop(p->sop, &a, &b, x->mem, out, x->e);
	case X_UN:
		if ((rc = xp_eval(x, p->l, &a)))
			return rc;
		if (p->sop == SQL_OP_POS) {
			*out = a;
			return 0;
		}
		return sql_value_unop(p->sop, &a, out, x->e);
	case X_BETWEEN: {
		if (fast_truth(p, &t1)) {
			*out = bool_val(t1);
			return 0;
		}
		if ((rc = xp_eval(x, p->l, &a)) || (rc = xp_eval(x, p->r, &b)) ||
		    (rc = xp_eval(x, p->t, &c)))
			return rc;
		int n1 = cmp_pair(x, p->l, p->r, a, b, &r);
		t1 = n1 ? -1 : r >= 0;
		int n2 = cmp_pair(x, p->l, p->t, a, c, &r);
		t2 = n2 ? -1 : r <= 0;
		int t = (t1 == 0 || t2 == 0) ? 0 : (t1 < 0 || t2 < 0) ? -1 : 1;
		if (p->not_ && t >= 0)
			t = !t;
		*out = bool_val(t);
		return 0;
	}
	case X_INLIST:
	case X_INSUB: {
		int t = 0;
		if (fast_truth(p, &t)) {
			*out = bool_val(t);
			return 0;
		}
		if ((rc = xp_eval(x, p->l, &a)))
			return rc;
		rc = p->op == X_INLIST ? in_list(x, p, a, &t) : in_sub(x, p, a, &t);
		if (rc)
			return rc;
		if (p->not_ && t >= 0)
			t = !t;
		*out = bool_val(t);
		return 0;
	}
	case X_ISNULL:
	case X_NOTNULL:
		if ((rc = xp_eval(x, p->l, &a)))
			return rc;
		*out = sql_int((a.type == SQLV_NULL) == (p->op == X_ISNULL));
		return 0;
	case X_LIKE:
	case X_GLOB: {
		if ((rc = xp_eval(x, p->l, &a)) || (rc = xp_eval(x, p->r, &b)))
			return rc;
		uint32_t esc = 0;
		if (p->t) {
			if ((rc = xp_eval(x, p->t, &c)))
				return rc;
			if (c.type == SQLV_NULL) {
				*out = sql_null();
				return 0;
			}
			if ((rc = text_of(x, &c)))
				return rc;
			/* one UTF-8 character */
			const unsigned char *z = (const unsigned char *)c.u.z;
			size_t n = c.n, len = 0;
			if (n) {
				len = z[0] < 0x80 ? 1 : z[0] < 0xe0 ? 2 : z[0] < 0xf0 ? 3 : 4;
			}
			if (n == 0 || len != n)
				return sdb_error_set(x->e, SDB_EINVAL,
						     "ESCAPE expression must be a single character");
			esc = z[0];
			if (len > 1) {
				esc = z[0] & (0xff >> (len + 1));
				for (size_t i = 1; i < len; i++)
					esc = esc << 6 | (z[i] & 0x3f);
			}
		}
		if (a.type == SQLV_NULL || b.type == SQLV_NULL) {
			*out = sql_null();
			return 0;
		}
		if (a.type == SQLV_BLOB || b.type == SQLV_BLOB) {
			/* a BLOB never matches (SQLITE_LIKE_DOESNT_MATCH_BLOBS, as
			 * Debian builds sqlite3; value.h) */
			*out = sql_int(p->not_ ? 1 : 0);
			return 0;
		}
		if ((rc = text_of(x, &a)) || (rc = text_of(x, &b)))
			return rc;
		int m = p->op == X_LIKE ? sql_like(b.u.z, b.n, a.u.z, a.n, esc)
					: sql_glob(b.u.z, b.n, a.u.z, a.n);
		*out = sql_int(p->not_ ? !m : m);
		return 0;
	}
	case X_CASE:
		if (p->l) {
			if ((rc = xp_eval(x, p->l, &a)))
				return rc;
			for (int i = 0; i + 1 < p->na; i += 2) {
				if ((rc = xp_eval(x, p->a[i], &b)))
					return rc;
				if (!cmp_pair(x, p->l, p->a[i], a, b, &r) && r == 0)
					return xp_eval(x, p->a[i + 1], out);
			}
		} else {
			for (int i = 0; i + 1 < p->na; i += 2) {
				if ((rc = xp_truth(x, p->a[i], &t1)))
					return rc;
				if (t1 == 1)
					return xp_eval(x, p->a[i + 1], out);
			}
		}
		if (p->r)
			return xp_eval(x, p->r, out);
		*out = sql_null();
		return 0;
	case X_CAST:
		if ((rc = xp_eval(x, p->l, &a)))
			return rc;
		if (sql_value_cast(&a, p->k.u.z, x->mem, out))
			return sql_oom(x->e);
		return 0;
	case X_FUNC:
		return call_func(x, p, out);
	case X_FTS:
		return sql_fts_eval(x, p, out);
	case X_CTIME:
		return ctime_val(x, p->col, out);
	case X_EXISTS: {
		struct subq *q = p->sub;
		if (q->correlated || !q->done) {
			if ((rc = run_sub(x, q)))
				return rc;
			rc = sel_step(q->sel, x);
			if (rc < 0)
				return rc;
			q->exists = rc;
			q->done = 1;
		}
		*out = sql_int(p->not_ ? !q->exists : q->exists);
		return 0;
	}
	case X_SCALAR: {
		struct subq *q = p->sub;
		if (!q->correlated && q->done) {
			*out = q->v;
			return 0;
		}
		if ((rc = run_sub(x, q)))
			return rc;
		rc = sel_step(q->sel, x);
		if (rc < 0)
			return rc;
		struct sql_value v = rc ? sel_row(q->sel)[0] : sql_null();
		if (q->correlated) {
			if (sql_value_copy(&v, x->mem))
				return sql_oom(x->e);
		} else {
			if (sql_value_copy(&v, &q->mem))
				return sql_oom(x->e);
			q->v = v;
			q->done = 1;
		}
		*out = v;
		return 0;
	}
	default:
		return sdb_error_set(x->e, SDB_EUNSUPPORTED,
				     "expression not supported");
	}
}
