/*
 * fts_exec.c - the query side of FTS5 tables: the access path of an FTS
 * table (its rows, or the rows a MATCH finds, in rowid order, the `rank`
 * column filled with bm25()), `t MATCH q` / `col MATCH q` compiled, and
 * the auxiliary functions bm25(t, w...), highlight(t, col, open, close)
 * and snippet(t, col, open, close, ellipsis, ntokens) as FTS5 computes
 * them.
 */
#include "sql/fts_int.h"
#include "sql/fts_exec.h"

#include "sql/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fts_scan {
	struct src *s;
	const struct sql_table_def *tab;
	const struct sql_fts_def *d;
	struct xp **match;
	int nmatch;
	struct fts_query *q;
	long pos;                    /* next row of q */
	long cur;                    /* the current row's index in q, -1 */
	int active;                  /* a MATCH drives the scan */
	/* rows */
	struct sdb_txn *txn;
	struct sdb_txn_iter *it;
	const struct sql_table_def *ct; /* content table (external), else tab */
	int *map;
	struct sql_value *crow;
	struct sdb_buf rec, kb, hb;
	struct sql_value *row;       /* the tscan's row [ncol + 1] */
	int64_t rowid;
	/* bm25 */
	int stats;
	double nrow, avgdl;
	double *idf;
	int64_t *dsz;                /* the current row's token counts */
	int64_t dsz_rowid;
	int dsz_ok;
	struct xp *tk_lim, *tk_off;  /* ORDER BY rank LIMIT: the best lim + off */
	char eqp[200];
};

static struct fts_scan *cur_scan(const struct cursor *c)
{
	return c ? (struct fts_scan *)c->fts : NULL;
}

/* ------------------------------------------------------------ compile */

static const struct src *src_of(struct scope *s, const struct xp *col)
{
	for (; s; s = s->up)
		for (int i = 0; i < s->nsrc; i++)
			if (s->src[i].cur == col->cur)
				return &s->src[i];
	return NULL;
}

int sql_fts_compile_match(struct bctx *b, struct scope *s,
			  const struct sql_expr *x, struct xp **out)
{
	struct xp *l = NULL, *r = NULL;
	int rc = xp_compile(b, s, x->left, &l);
	if (!rc)
		rc = xp_compile(b, s, x->right, &r);
	if (rc)
		return rc;
	const struct src *sr = l->op == X_COL ? src_of(s, l) : NULL;
	if (!sr || !sr->tab || !sr->tab->fts || x->not_ ||
	    (l->col >= sr->tab->fts->ncol && l->col != sr->tab->fts->hid_tab))
		return sdb_error_set(b->e, SDB_EINVAL,
				     "unable to use function MATCH in the requested context");
	struct xp *p = sdb_sql_arena_alloc(b->a, sizeof(*p));
	if (!p)
		return sql_oom(b->e);
	memset(p, 0, sizeof(*p));
	p->op = X_FTS;
	p->col = FTSX_MATCH;
	p->cur = l->cur;
	p->l = r;
	p->k = sql_int(l->col < sr->tab->fts->ncol ? l->col : -1);
	*out = p;
	return 0;
}

int sql_fts_is_aux(const char *name)
{
	return !strcasecmp(name, "bm25") || !strcasecmp(name, "highlight") ||
	       !strcasecmp(name, "snippet");
}

int sql_fts_compile_aux(struct bctx *b, struct scope *s,
			const struct sql_expr *x, struct xp **out)
{
	const char *fn = x->name.z;
	int kind = !strcasecmp(fn, "bm25") ? FTSX_BM25 :
		   !strcasecmp(fn, "highlight") ? FTSX_HIGHLIGHT : FTSX_SNIPPET;
	if (x->nlist < 1 || x->list[0]->kind != SQL_E_COLUMN)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "unable to use function %s in the requested context", fn);
	struct xp *t = NULL;
	int rc = xp_compile(b, s, x->list[0], &t);
	if (rc)
		return rc;
	const struct src *sr = t->op == X_COL ? src_of(s, t) : NULL;
	if (!sr || !sr->tab || !sr->tab->fts || t->col != sr->tab->fts->hid_tab)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "unable to use function %s in the requested context", fn);
	if ((kind == FTSX_HIGHLIGHT || kind == FTSX_SNIPPET) && sr->used)
		for (int c = 0; c < sr->tab->fts->ncol; c++)
			src_use((struct src *)sr, c);
	if ((kind == FTSX_HIGHLIGHT && x->nlist != 4) ||
	    (kind == FTSX_SNIPPET && x->nlist != 6))
		return sdb_error_set(b->e, SDB_EINVAL, "wrong number of arguments to function %s()", fn);
	struct xp *p = sdb_sql_arena_alloc(b->a, sizeof(*p));
	if (!p)
		return sql_oom(b->e);
	memset(p, 0, sizeof(*p));
	p->op = X_FTS;
	p->col = kind;
	p->cur = t->cur;
	p->na = x->nlist - 1;
	if (p->na) {
		p->a = sdb_sql_arena_alloc(b->a, sizeof(*p->a) * (size_t)p->na);
		if (!p->a)
			return sql_oom(b->e);
		for (int i = 0; i < p->na; i++)
			if ((rc = xp_compile(b, s, x->list[i + 1], &p->a[i])))
				return rc;
	}
	*out = p;
	return 0;
}

/* ------------------------------------------------------------ plan */

struct fts_scan *sql_fts_scan_new(struct bctx *b, struct src *s, struct xp **conj,
				  int n, int (*bound)(void *, const struct xp *),
				  void *bctx)
{
	struct fts_scan *f = calloc(1, sizeof(*f));
	if (!f) {
		sql_oom(b->e);
		return NULL;
	}
	f->s = s;
	f->tab = s->tab;
	f->d = s->tab->fts;
	f->cur = -1;
	sdb_buf_init(&f->rec);
	sdb_buf_init(&f->kb);
	sdb_buf_init(&f->hb);
	f->match = calloc((size_t)(n ? n : 1), sizeof(*f->match));
	if (!f->match) {
		free(f);
		sql_oom(b->e);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		struct xp *x = conj[i];
		if (x->op == X_FTS && x->col == FTSX_MATCH && x->cur == s->cur &&
		    bound(bctx, x->l)) {
			x->not_ = 1; /* answered by this path */
			f->match[f->nmatch++] = x;
		}
	}
	if (s->fts_arg)
		f->match[f->nmatch++] = s->fts_arg;
	s->cur->fts = f;
	snprintf(f->eqp, sizeof f->eqp, "SCAN %s VIRTUAL TABLE INDEX %s", f->tab->name,
		 f->nmatch ? "0:M" : "0:");
	return f;
}

void sql_fts_scan_topk(struct fts_scan *f, struct xp *lim, struct xp *off)
{
	f->tk_lim = lim;
	f->tk_off = off;
	if (f->nmatch)
		snprintf(f->eqp, sizeof f->eqp, "SCAN %s VIRTUAL TABLE INDEX 0:M (top-k by rank, pruned)",
			 f->tab->name);
}

const char *sql_fts_scan_explain(const struct fts_scan *f)
{
	return f->eqp;
}

void sql_fts_scan_free(struct fts_scan *f)
{
	if (!f)
		return;
	if (f->it)
		sdb_txn_iter_close(f->it);
	fts_query_free(f->q);
	free(f->match);
	free(f->map);
	free(f->crow);
	free(f->idf);
	free(f->dsz);
	sdb_buf_release(&f->rec);
	sdb_buf_release(&f->kb);
	sdb_buf_release(&f->hb);
	free(f);
}

static int setup_content(struct fts_scan *f, struct ectx *x)
{
	if (f->ct)
		return 0;
	if (f->d->content != FTS_CONTENT_EXTERNAL) {
		f->ct = f->tab;
		return 0;
	}
	const struct sql_table_def *ct = sql_conn_table(x->c, f->d->content_name);
	if (!ct || ct->is_view || ct->fts || ct->without_rowid)
		return sdb_error_set(x->e, SDB_ENOTFOUND, "no such table: %s", f->d->content_name);
	f->map = calloc((size_t)f->d->ncol, sizeof(int));
	f->crow = calloc((size_t)ct->ncol + 1, sizeof(*f->crow));
	if (!f->map || !f->crow)
		return sql_oom(x->e);
	for (int i = 0; i < f->d->ncol; i++) {
		int k = sql_table_column(ct, f->tab->cols[i].name);
		if (k == -2)
			return sdb_error_set(x->e, SDB_ENOTFOUND, "no such column: %s",
					     f->tab->cols[i].name);
		f->map[i] = k;
	}
	f->ct = ct;
	return 0;
}

int sql_fts_scan_rewind(struct fts_scan *f, struct ectx *x, struct sql_value *row)
{
	int rc;
	f->row = row;
	f->txn = sql_conn_txn(x->c);
	f->pos = 0;
	f->cur = -1;
	f->stats = 0;
	f->dsz_ok = 0;
	if (f->it) {
		sdb_txn_iter_close(f->it);
		f->it = NULL;
	}
	fts_query_free(f->q);
	f->q = NULL;
	if ((rc = setup_content(f, x)))
		return rc;
	f->active = f->nmatch > 0;
	if (!f->txn)
		return 0;
	if (f->active && ((rc = sql_conn_fts_flush(x->c, x->e)) ||
			  (rc = sql_fts_check_format(f->txn, f->tab, x->e))))
		return rc;
	if (!f->active) {
		sql_obj_prefix(&f->kb, f->ct->id);
		sql_obj_end(&f->hb, f->ct->id);
		if (!sdb_buf_ok(&f->kb) || !sdb_buf_ok(&f->hb))
			return sql_oom(x->e);
		return sdb_txn_iter_open(f->txn, f->kb.data, f->kb.len, f->hb.data, f->hb.len,
					 0, &f->it, x->e);
	}
	for (int i = 0; i < f->nmatch; i++) {
		struct sql_value v, tv;
		struct fts_query *q;
		const struct xp *m = f->match[i];
		if ((rc = xp_eval(x, m->op == X_FTS ? m->l : m, &v)))
			return rc;
		if (v.type == SQLV_NULL) {
			/* NULL matches nothing */
			if ((rc = fts_query_parse(f->d, f->tab, "", 0, -1, &q, x->e)))
				return rc;
			q->empty = 1;
		} else {
			if (sql_value_text(&v, x->mem, &tv))
				return sql_oom(x->e);
			int col = m->op == X_FTS ? (int)m->k.u.i : -1;
			if ((rc = fts_query_parse(f->d, f->tab, tv.u.z, tv.n, col, &q, x->e)))
				return rc;
			if (!q->root)
				q->empty = 1;
		}
		if (!f->q)
			f->q = q;
		else if ((rc = fts_query_and(f->q, q, x->e)))
			return rc;
	}
	if (f->tk_lim && sql_conn_fts_prune(x->c)) {
		struct sql_value lv, ov = sql_int(0);
		if ((rc = xp_eval(x, f->tk_lim, &lv)) || (f->tk_off && (rc = xp_eval(x, f->tk_off, &ov))))
			return rc;
		if (lv.type == SQLV_INT && lv.u.i >= 0 && (ov.type == SQLV_INT || ov.type == SQLV_NULL)) {
			int64_t off = ov.type == SQLV_INT && ov.u.i > 0 ? ov.u.i : 0;
			if (lv.u.i <= 100000 && off <= 100000) {
				if (lv.u.i == 0)
					return 0; /* LIMIT 0: no row is needed */
				rc = fts_query_run_topk(f->q, f->txn, (long)(lv.u.i + off), x->e);
				if (rc)
					return rc < 0 ? rc : 0;
			}
		}
	}
	return fts_query_run(f->q, f->txn, x->e);
}

static double bm25(struct fts_scan *f, struct ectx *x, const struct xp *p, int *rc);

/* The current row from a record of the content (own or external). */
static int fill_row(struct fts_scan *f, struct ectx *x, const void *k, size_t kn,
		    const struct sdb_val *v)
{
	int rc;
	int64_t rowid;
	sdb_buf_reset(&f->rec);
	sdb_buf_add(&f->rec, k, kn);
	sdb_buf_add(&f->rec, v->data, v->len);
	if (f->rec.oom)
		return sql_oom(x->e);
	if (f->ct == f->tab) {
		if ((rc = sql_row_decode(f->tab, f->rec.data, kn, f->rec.data + kn, v->len,
					 f->row, &rowid, x->e)))
			return rc;
	} else {
		if ((rc = sql_row_decode(f->ct, f->rec.data, kn, f->rec.data + kn, v->len,
					 f->crow, &rowid, x->e)))
			return rc;
		for (int i = 0; i < f->d->ncol; i++)
			f->row[i] = f->map[i] == -1 ? sql_int(rowid) :
				    f->map[i] >= 0 ? f->crow[f->map[i]] : sql_null();
	}
	f->row[f->d->hid_tab] = sql_null();
	f->row[f->d->hid_rank] = sql_null();
	f->row[f->tab->ncol] = sql_int(rowid);
	f->rowid = rowid;
	return 0;
}

int sql_fts_scan_next(struct fts_scan *f, struct ectx *x)
{
	int rc;
	if (!f->txn)
		return 0;
	if (!f->active) {
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		rc = sdb_txn_iter_next(f->it, &k, &kn, &v, x->e);
		if (rc <= 0)
			return rc;
		if ((rc = fill_row(f, x, k, kn, &v)))
			return rc;
		f->s->cur->row = f->row;
		return 1;
	}
	/* the content is read only when a column of it is used (a query
	 * that wants rowids and ranks reads the index alone) */
	int need = 0;
	const uint64_t *used = f->s->used;
	for (int c = 0; c < f->d->ncol && !need; c++)
		need = !used || (used[c >> 6] >> (c & 63)) & 1;
	while (f->pos < f->q->nrows) {
		long i = f->pos++;
		int64_t rowid = f->q->rows[i];
		struct sdb_val v;
		if (!need) {
			for (int c = 0; c < f->tab->ncol; c++)
				f->row[c] = sql_null();
			f->row[f->tab->ncol] = sql_int(rowid);
			f->rowid = rowid;
			goto have_row;
		}
		sql_rowkey_rowid(&f->kb, f->ct->id, rowid);
		if (!sdb_buf_ok(&f->kb))
			return sql_oom(x->e);
		rc = sdb_txn_get(f->txn, f->kb.data, f->kb.len, &v, x->e);
		if (rc == SDB_ENOTFOUND) {
			/* external content without its row: NULL columns, as FTS5 */
			for (int c = 0; c < f->tab->ncol; c++)
				f->row[c] = sql_null();
			f->row[f->tab->ncol] = sql_int(rowid);
			f->rowid = rowid;
		} else if (rc)
			return rc;
		else {
			sdb_buf_reset(&f->hb);
			sdb_buf_add(&f->hb, f->kb.data, f->kb.len);
			if (!sdb_buf_ok(&f->hb))
				return sql_oom(x->e);
			if ((rc = fill_row(f, x, f->hb.data, f->hb.len, &v)))
				return rc;
		}
have_row:
		f->cur = i;
		f->dsz_ok = 0;
		f->row[f->d->hid_rank] = sql_real(bm25(f, x, NULL, &rc));
		if (rc)
			return rc;
		f->s->cur->row = f->row;
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ bm25 */

static int read_stats(struct fts_scan *f, struct ectx *x)
{
	struct sdb_val v;
	struct sql_value cells[1024];
	int n = 0, rc;
	sql_fts_key(&f->kb, f->d->neg_id, 0);
	if (!sdb_buf_ok(&f->kb))
		return sql_oom(x->e);
	rc = sdb_txn_get(f->txn, f->kb.data, f->kb.len, &v, x->e);
	f->nrow = 0;
	double ntok = 0;
	if (rc == 0) {
		if ((rc = sql_record_decode(v.data, v.len, cells, 1024, &n, x->e)))
			return rc;
		f->nrow = n > 0 && cells[0].type == SQLV_INT ? (double)cells[0].u.i : 0;
		int64_t tot = 0;
		for (int i = 1; i < n && i <= f->d->ncol; i++)
			if (cells[i].type == SQLV_INT)
				tot += cells[i].u.i;
		ntok = (double)tot;
	} else if (rc != SDB_ENOTFOUND)
		return rc;
	f->avgdl = f->nrow > 0 ? ntok / f->nrow : 0;
	free(f->idf);
	f->idf = calloc((size_t)(f->q->nphrase + 1), sizeof(double));
	if (!f->idf)
		return sql_oom(x->e);
	for (int i = 0; i < f->q->nphrase; i++) {
		double nhit = (double)f->q->phrases[i]->nhit;
		double idf = log((f->nrow - nhit + 0.5) / (nhit + 0.5));
		if (idf <= 0.0)
			idf = 1e-6;
		f->idf[i] = idf;
	}
	f->stats = 1;
	return 0;
}

static int row_sizes(struct fts_scan *f, struct ectx *x)
{
	if (f->dsz_ok && f->dsz_rowid == f->rowid)
		return 0;
	struct sdb_val v;
	struct sql_value cells[1024];
	int n = 0, rc;
	if (!f->dsz && !(f->dsz = calloc((size_t)f->d->ncol + 1, sizeof(int64_t))))
		return sql_oom(x->e);
	memset(f->dsz, 0, sizeof(int64_t) * (size_t)f->d->ncol);
	sql_fts_key(&f->kb, f->d->neg_id, 1);
	sql_key_add_int(&f->kb, f->rowid);
	if (!sdb_buf_ok(&f->kb))
		return sql_oom(x->e);
	rc = sdb_txn_get(f->txn, f->kb.data, f->kb.len, &v, x->e);
	if (rc == 0) {
		if ((rc = sql_record_decode(v.data, v.len, cells, 1024, &n, x->e)))
			return rc;
		for (int i = 0; i < n && i < f->d->ncol; i++)
			f->dsz[i] = cells[i].type == SQLV_INT ? cells[i].u.i : 0;
	} else if (rc != SDB_ENOTFOUND)
		return rc;
	f->dsz_ok = 1;
	f->dsz_rowid = f->rowid;
	return 0;
}

static double bm25(struct fts_scan *f, struct ectx *x, const struct xp *p, int *rcp)
{
	int rc;
	*rcp = 0;
	if (!f->active || f->cur < 0 || !f->q)
		return 0.0;
	if (!f->stats && (rc = read_stats(f, x))) {
		*rcp = rc;
		return 0;
	}
	if ((rc = row_sizes(f, x))) {
		*rcp = rc;
		return 0;
	}
	int np = f->q->nphrase;
	double freq[256];
	double *fr = np <= 256 ? freq : calloc((size_t)np, sizeof(double));
	if (!fr) {
		*rcp = sql_oom(x->e);
		return 0;
	}
	for (int i = 0; i < np; i++)
		fr[i] = 0;
	double w[64];
	int nw = 0;
	if (p)
		for (int i = 0; i < p->na && i < 64; i++) {
			struct sql_value v;
			if ((rc = xp_eval(x, p->a[i], &v))) {
				*rcp = rc;
				if (fr != freq)
					free(fr);
				return 0;
			}
			w[nw++] = sql_value_to_real(&v);
		}
	for (long k = f->q->ioff[f->cur]; k < f->q->ioff[f->cur + 1]; k++) {
		int ic = (int)(f->q->inst[k].pos >> 32);
		fr[f->q->inst[k].phrase] += nw > ic ? w[ic] : 1.0;
	}
	double D = 0;
	{
		int64_t s = 0;
		for (int i = 0; i < f->d->ncol; i++)
			s += f->dsz[i];
		D = (double)s;
	}
	double score = 0.0;
	for (int i = 0; i < np; i++)
		score += fts_bm25_term(f->idf[i], fr[i], D, f->avgdl);
	if (fr != freq)
		free(fr);
	return -1.0 * score;
}

/* ------------------------------------------------------------ highlight */

struct tokpos {
	int *start, *end;
	int n, cap;
	const char *doc;
	int *first;                  /* snippet: tokens that begin a sentence */
	int nfirst, capfirst;
};

static int push_int(int **a, int *n, int *cap, int v)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 64;
		int *na = realloc(*a, sizeof(int) * (size_t)nc);
		if (!na)
			return SDB_ENOMEM;
		*a = na;
		*cap = nc;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static int tokpos_cb(void *vp, const char *tok, int n, int start, int end)
{
	struct tokpos *t = vp;
	(void)tok;
	(void)n;
	int cap = t->cap, nn = t->n;
	if (push_int(&t->start, &nn, &cap, start))
		return SDB_ENOMEM;
	nn = t->n;
	if (push_int(&t->end, &nn, &t->cap, end))
		return SDB_ENOMEM;
	t->n = nn;
	/* a sentence starts at the first token and after '.' or ':' and
	 * white space (FTS5's rule) */
	if (t->n == 1) {
		if (push_int(&t->first, &t->nfirst, &t->capfirst, 0))
			return SDB_ENOMEM;
	} else {
		int i = start - 1;
		char c = 0;
		for (; i >= 0; i--) {
			c = t->doc[i];
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
				break;
		}
		if (i != start - 1 && (c == '.' || c == ':') &&
		    push_int(&t->first, &t->nfirst, &t->capfirst, t->n - 1))
			return SDB_ENOMEM;
	}
	return 0;
}

/* Coalesced phrase instances of one column, in order. */
struct cinst {
	const struct fts_query *q;
	long i, end;
	int col;
	int start_tok, end_tok;      /* -1: none left */
};

static void cinst_next(struct cinst *c)
{
	c->start_tok = c->end_tok = -1;
	for (; c->i < c->end; c->i++) {
		const struct finst *in = &c->q->inst[c->i];
		if ((int)(in->pos >> 32) != c->col)
			continue;
		int io = (int)(in->pos & 0xffffffff);
		int ie = io - 1 + c->q->phrases[in->phrase]->nterm;
		if (c->start_tok < 0) {
			c->start_tok = io;
			c->end_tok = ie;
		} else if (io <= c->end_tok) {
			if (ie > c->end_tok)
				c->end_tok = ie;
		} else
			break;
	}
}

struct hl {
	struct sdb_buf out;
	const char *in;
	int nin;
	const char *open, *close;
	int nopen, nclose;
	int range_start, range_end;  /* range_end -1: the whole text */
	struct cinst it;
	int off, bopen;
};

static void hl_add(struct hl *h, const char *z, int n)
{
	if (n > 0)
		sdb_buf_add(&h->out, z, (size_t)n);
}

static void hl_token(struct hl *h, int pos, int so, int eo)
{
	if (h->range_end >= 0) {
		if (pos < h->range_start || pos > h->range_end)
			return;
		if (h->range_start && pos == h->range_start)
			h->off = so;
	}
	if (h->bopen && (pos <= h->it.start_tok || h->it.start_tok < 0) && so > h->off) {
		hl_add(h, h->close, h->nclose);
		h->bopen = 0;
	}
	if (pos == h->it.start_tok && !h->bopen) {
		hl_add(h, h->in + h->off, so - h->off);
		hl_add(h, h->open, h->nopen);
		h->off = so;
		h->bopen = 1;
	}
	if (pos == h->it.end_tok) {
		if (!h->bopen) {
			hl_add(h, h->open, h->nopen);
			h->bopen = 1;
		}
		hl_add(h, h->in + h->off, eo - h->off);
		h->off = eo;
		cinst_next(&h->it);
	}
	if (pos == h->range_end) {
		if (h->bopen) {
			if (h->it.start_tok >= 0 && pos >= h->it.start_tok) {
				hl_add(h, h->in + h->off, eo - h->off);
				h->off = eo;
			}
			hl_add(h, h->close, h->nclose);
			h->bopen = 0;
		}
		hl_add(h, h->in + h->off, eo - h->off);
		h->off = eo;
	}
}

static int aux_text(struct ectx *x, const struct xp *p, int i, struct sql_value *out)
{
	struct sql_value v;
	int rc = xp_eval(x, p->a[i], &v);
	if (rc)
		return rc;
	if (v.type == SQLV_NULL) {
		*out = sql_text("", 0);
		return 0;
	}
	return sql_value_text(&v, x->mem, out) ? sql_oom(x->e) : 0;
}

/* The text of column col of the current row (NULL: *isnull). */
static int col_text(struct fts_scan *f, struct ectx *x, int col, struct sql_value *txt)
{
	struct sql_value v = col >= 0 && col < f->d->ncol ? f->row[col] : sql_null();
	if (v.type == SQLV_NULL) {
		*txt = sql_null();
		return 0;
	}
	return sql_value_text(&v, x->mem, txt) ? sql_oom(x->e) : 0;
}

static int hl_result(struct ectx *x, struct hl *h, struct sql_value *out)
{
	if (h->out.oom)
		return sql_oom(x->e);
	char *z = sql_strdup(x->mem, h->out.data ? h->out.data : "", h->out.len);
	if (!z)
		return sql_oom(x->e);
	*out = sql_text(z, h->out.len);
	return 0;
}

/* h set up to mark the instances of f's current row in column col of txt
 * with open/close, over the whole text (range_end -1) until the caller
 * narrows it. */
static void hl_begin(struct hl *h, const struct fts_scan *f, int col,
		     const struct sql_value *txt, const struct sql_value *open,
		     const struct sql_value *close)
{
	memset(h, 0, sizeof(*h));
	sdb_buf_init(&h->out);
	h->in = txt->u.z;
	h->nin = (int)txt->n;
	h->open = open->u.z;
	h->nopen = (int)open->n;
	h->close = close->u.z;
	h->nclose = (int)close->n;
	h->range_end = -1;
	h->it.q = f->q;
	h->it.col = col;
	h->it.start_tok = h->it.end_tok = -1;
}

static int highlight(struct fts_scan *f, struct ectx *x, const struct xp *p,
		     struct sql_value *out)
{
	struct sql_value cv, open, close, txt;
	int rc;
	if ((rc = xp_eval(x, p->a[0], &cv)) || (rc = aux_text(x, p, 1, &open)) ||
	    (rc = aux_text(x, p, 2, &close)))
		return rc;
	int col = (int)sql_value_to_int(&cv);
	if (col < 0 || col >= f->d->ncol) {
		*out = sql_text("", 0);
		return 0;
	}
	if ((rc = col_text(f, x, col, &txt)))
		return rc;
	if (txt.type == SQLV_NULL) {
		*out = sql_null();
		return 0;
	}
	struct tokpos tp;
	memset(&tp, 0, sizeof(tp));
	tp.doc = txt.u.z;
	struct hl h;
	hl_begin(&h, f, col, &txt, &open, &close);
	if (f->active && f->cur >= 0) {
		h.it.i = f->q->ioff[f->cur];
		h.it.end = f->q->ioff[f->cur + 1];
		cinst_next(&h.it);
	}
	if ((rc = fts_tokenize(f->d->tok, txt.u.z, (int)txt.n, &tp, tokpos_cb)))
		rc = sql_oom(x->e);
	for (int i = 0; !rc && i < tp.n; i++)
		hl_token(&h, i, tp.start[i], tp.end[i]);
	if (!rc) {
		if (h.bopen)
			hl_add(&h, h.close, h.nclose);
		hl_add(&h, h.in + h.off, h.nin - h.off);
		rc = hl_result(x, &h, out);
	}
	free(tp.start);
	free(tp.end);
	free(tp.first);
	sdb_buf_release(&h.out);
	return rc;
}

/* FTS5's score of the snippet of ntok tokens at pos in col: 1000 for each
 * phrase's first instance in it, 1 for each other; the start moved so the
 * instances sit in its middle (*adj). */
static int snip_score(struct fts_scan *f, int ndoc, uint8_t *seen, int col,
		      int pos, int ntok, int *adj)
{
	const struct fts_query *q = f->q;
	int score = 0, first = -1, last = 0;
	int64_t end = (int64_t)pos + ntok;
	memset(seen, 0, (size_t)q->nphrase + 1);
	for (long k = q->ioff[f->cur]; k < q->ioff[f->cur + 1]; k++) {
		const struct finst *in = &q->inst[k];
		int io = (int)(in->pos & 0xffffffff);
		if ((int)(in->pos >> 32) != col || io < pos || io >= end)
			continue;
		score += seen[in->phrase] ? 1 : 1000;
		seen[in->phrase] = 1;
		if (first < 0)
			first = io;
		last = io + q->phrases[in->phrase]->nterm;
	}
	if (adj) {
		int64_t a = first - (ntok - (last - first)) / 2;
		if (a + ntok > ndoc)
			a = ndoc - ntok;
		if (a < 0)
			a = 0;
		*adj = (int)a;
	}
	return score;
}

static int snippet(struct fts_scan *f, struct ectx *x, const struct xp *p,
		   struct sql_value *out)
{
	struct sql_value cv, open, close, ell, nv, txt;
	int rc;
	if ((rc = xp_eval(x, p->a[0], &cv)) || (rc = aux_text(x, p, 1, &open)) ||
	    (rc = aux_text(x, p, 2, &close)) || (rc = aux_text(x, p, 3, &ell)) ||
	    (rc = xp_eval(x, p->a[4], &nv)))
		return rc;
	int col = (int)sql_value_to_int(&cv);
	int ntok = (int)sql_value_to_int(&nv);
	if (!f->active || f->cur < 0 || col >= f->d->ncol) {
		*out = sql_null();
		return 0;
	}
	if ((rc = row_sizes(f, x)))
		return rc;
	int best_col = col >= 0 ? col : 0, best_start = 0, best_score = 0, col_size = 0;
	uint8_t *seen = malloc((size_t)f->q->nphrase + 1);
	struct tokpos tp;
	memset(&tp, 0, sizeof(tp));
	if (!seen)
		return sql_oom(x->e);
	for (int c = 0; c < f->d->ncol && !rc; c++) {
		if (col >= 0 && col != c)
			continue;
		if ((rc = col_text(f, x, c, &txt)))
			break;
		tp.n = 0;
		tp.nfirst = 0;
		tp.doc = txt.type == SQLV_NULL ? "" : txt.u.z;
		if (txt.type != SQLV_NULL &&
		    fts_tokenize(f->d->tok, txt.u.z, (int)txt.n, &tp, tokpos_cb)) {
			rc = sql_oom(x->e);
			break;
		}
		int ndoc = (int)f->dsz[c];
		for (long k = f->q->ioff[f->cur]; k < f->q->ioff[f->cur + 1]; k++) {
			const struct finst *in = &f->q->inst[k];
			int io = (int)(in->pos & 0xffffffff), adj = 0;
			if ((int)(in->pos >> 32) != c)
				continue;
			int sc = snip_score(f, ndoc, seen, c, io, ntok, &adj);
			if (sc > best_score) {
				best_score = sc;
				best_col = c;
				best_start = adj;
				col_size = ndoc;
			}
			if (tp.nfirst && ndoc > ntok) {
				int jj = 0;
				for (; jj < tp.nfirst - 1; jj++)
					if (tp.first[jj + 1] > io)
						break;
				if (tp.first[jj] < io) {
					sc = snip_score(f, ndoc, seen, c, tp.first[jj], ntok, NULL);
					sc += tp.first[jj] == 0 ? 120 : 100;
					if (sc > best_score) {
						best_score = sc;
						best_col = c;
						best_start = tp.first[jj];
						col_size = ndoc;
					}
				}
			}
		}
	}
	free(seen);
	if (!rc)
		rc = col_text(f, x, best_col, &txt);
	if (rc || txt.type == SQLV_NULL) {
		free(tp.start);
		free(tp.end);
		free(tp.first);
		if (!rc)
			*out = sql_null();
		return rc;
	}
	if (col_size == 0)
		col_size = (int)f->dsz[best_col];
	struct hl h;
	hl_begin(&h, f, best_col, &txt, &open, &close);
	h.range_start = best_start;
	h.range_end = best_start + ntok - 1;
	h.it.i = f->q->ioff[f->cur];
	h.it.end = f->q->ioff[f->cur + 1];
	cinst_next(&h.it);
	if (best_start > 0)
		hl_add(&h, ell.u.z, (int)ell.n);
	while (h.it.start_tok >= 0 && h.it.start_tok < best_start)
		cinst_next(&h.it);
	tp.n = 0;
	tp.nfirst = 0;
	tp.doc = txt.u.z;
	if (fts_tokenize(f->d->tok, txt.u.z, (int)txt.n, &tp, tokpos_cb))
		rc = sql_oom(x->e);
	for (int i = 0; !rc && i < tp.n; i++)
		hl_token(&h, i, tp.start[i], tp.end[i]);
	if (!rc) {
		if (h.bopen)
			hl_add(&h, h.close, h.nclose);
		if (h.range_end >= col_size - 1)
			hl_add(&h, h.in + h.off, h.nin - h.off);
		else
			hl_add(&h, ell.u.z, (int)ell.n);
		rc = hl_result(x, &h, out);
	}
	free(tp.start);
	free(tp.end);
	free(tp.first);
	sdb_buf_release(&h.out);
	return rc;
}

int sql_fts_eval(struct ectx *x, const struct xp *p, struct sql_value *out)
{
	struct fts_scan *f = cur_scan(p->cur);
	int rc = 0;
	switch (p->col) {
	case FTSX_MATCH:
		if (!f || !p->not_)
			return sdb_error_set(x->e, SDB_EINVAL,
					     "unable to use function MATCH in the requested context");
		*out = sql_int(1);
		return 0;
	case FTSX_BM25:
		if (!f)
			return sdb_error_set(x->e, SDB_EINVAL,
					     "unable to use function bm25 in the requested context");
		*out = sql_real(bm25(f, x, p, &rc));
		return rc;
	case FTSX_HIGHLIGHT:
		if (!f)
			return sdb_error_set(x->e, SDB_EINVAL,
					     "unable to use function highlight in the requested context");
		return highlight(f, x, p, out);
	default:
		if (!f)
			return sdb_error_set(x->e, SDB_EINVAL,
					     "unable to use function snippet in the requested context");
		return snippet(f, x, p, out);
	}
}
