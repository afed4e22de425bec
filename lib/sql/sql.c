/*
 * sql.c - sql.h: connections, statements (prepare, bind, step, column,
 * reset, finalize) and their dispatch: SELECT (and EXPLAIN QUERY PLAN)
 * runs on the query side (exec.c), every other statement goes to the
 * writer side (write.h: sql_write_stmt), whose RETURNING/PRAGMA rows come
 * back through sql_stmt_emit_row and are stepped out here.
 *
 * Parameters are numbered as sqlite3 numbers them: `?` takes the next
 * number after the largest so far, `?N` is N, a named parameter gets the
 * next number at its first appearance and keeps it.
 */
#include "sql/exec_int.h"
#include "sql/vec.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void sql_open_opts_default(struct sql_open_opts *o)
{
	memset(o, 0, sizeof(*o));
	sdb_opts_default(&o->store);
	o->memory_limit = 256u << 20;
}

static char *xstrdup(const char *z)
{
	if (!z)
		return NULL;
	size_t n = strlen(z);
	char *r = malloc(n + 1);
	if (r)
		memcpy(r, z, n + 1);
	return r;
}

int sql_open(const struct sql_open_opts *o, struct sql_conn **out,
	     struct sdb_error *e)
{
	*out = NULL;
	struct sql_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return sql_oom(e);
	c->opts = *o;
	c->dir = xstrdup(o->dir ? o->dir : ".");
	c->tmp_dir = xstrdup(o->tmp_dir);
	c->opts.dir = c->dir;
	c->opts.tmp_dir = c->tmp_dir;
	c->memory_limit = o->memory_limit ? o->memory_limit : 256u << 20;
	if (!c->dir || (o->tmp_dir && !c->tmp_dir)) {
		sql_close(c);
		return sql_oom(e);
	}
	int rc = sql_conn_start(c, e);
	if (rc) {
		sql_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void stmt_free(struct sql_stmt_h *s);

void sql_close(struct sql_conn *c)
{
	if (!c)
		return;
	stmt_free(c->kept);
	c->kept = NULL;
	stmt_free(c->kknn);
	c->kknn = NULL;
	sql_conn_end(c);
	free(c->dir);
	free(c->tmp_dir);
	free(c);
}

int64_t sql_changes(const struct sql_conn *c)
{
	return c->changes;
}

int64_t sql_total_changes(const struct sql_conn *c)
{
	return c->total_changes;
}

int64_t sql_last_insert_rowid(const struct sql_conn *c)
{
	return c->last_rowid;
}

/* ------------------------------------------------------------ parameters */

int sql_param_at(const struct sql_stmt_h *h, size_t off)
{
	int lo = 0, hi = h->nptok - 1;
	while (lo <= hi) {
		int m = (lo + hi) / 2;
		if (h->ptok[m].off == off)
			return h->ptok[m].idx;
		if (h->ptok[m].off < off)
			lo = m + 1;
		else
			hi = m - 1;
	}
	return 0;
}

/* any: whether the parser read a parameter token (else the statement's
 * text is not read again) */
static int collect_params(struct sql_stmt_h *h, int any, struct sdb_error *e)
{
	const struct sql_stmt *st = h->st;
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;
	sdb_sql_lexer_init(&lx, h->src + st->off, any ? st->len : 0);
	int n = 0, cap = 0, maxidx = 0;
	struct param *v = NULL;
	const char **names = NULL;
	int nnames = 0, capn = 0;
	for (;;) {
		if (sdb_sql_lexer_next(&lx, &t, NULL))
			continue;
		if (t.type == SQL_TK_EOF)
			break;
		if (t.type != SQL_TK_VARIABLE)
			continue;
		int idx;
		if (t.z[0] == '?') {
			if (t.n == 1) {
				idx = maxidx + 1;
			} else {
				idx = atoi(t.z + 1);
				if (idx < 1 || idx > 32766) {
					free(v);
					free(names);
					return sdb_error_at(e, SDB_EPARSE, t.line, t.col,
							    "variable number must be between ?1 and ?32766");
				}
			}
		} else {
			idx = 0;
			for (int i = 1; i <= nnames && i <= maxidx; i++)
				if (names[i] && strlen(names[i]) == t.n &&
				    !memcmp(names[i], t.z, t.n))
					idx = i;
			if (!idx)
				idx = maxidx + 1;
		}
		if (idx > maxidx)
			maxidx = idx;
		if (idx >= capn) {
			int nc = idx * 2 + 8;
			const char **nn = realloc(names, sizeof(*nn) * (size_t)nc);
			if (!nn)
				goto oom;
			memset(nn + capn, 0, sizeof(*nn) * (size_t)(nc - capn));
			names = nn;
			capn = nc;
		}
		if (t.z[0] != '?' && !names[idx]) {
			char *z = sql_strdup(&h->arena, t.z, t.n);
			if (!z)
				goto oom;
			names[idx] = z;
		}
		if (idx > nnames)
			nnames = idx;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct param *nv = realloc(v, sizeof(*nv) * (size_t)cap);
			if (!nv)
				goto oom;
			v = nv;
		}
		v[n].off = st->off + t.off;
		v[n].idx = idx;
		n++;
	}
	h->nparam = maxidx;
	h->nptok = n;
	if (n) {
		h->ptok = sdb_sql_arena_alloc(&h->arena, sizeof(*v) * (size_t)n);
		if (!h->ptok)
			goto oom;
		memcpy(h->ptok, v, sizeof(*v) * (size_t)n);
	}
	h->pname = sdb_sql_arena_alloc(&h->arena, sizeof(char *) * (size_t)(maxidx + 1));
	h->pval = sdb_sql_arena_alloc(&h->arena, sizeof(struct sql_value) * (size_t)(maxidx + 1));
	h->pbytes = sdb_sql_arena_alloc(&h->arena, sizeof(char *) * (size_t)(maxidx + 1));
	h->pcap = sdb_sql_arena_alloc(&h->arena, sizeof(size_t) * (size_t)(maxidx + 1));
	if (!h->pname || !h->pval || !h->pbytes || !h->pcap)
		goto oom;
	for (int i = 1; i <= maxidx; i++)
		h->pname[i] = i < capn ? (char *)names[i] : NULL;
	free(v);
	free(names);
	return 0;
oom:
	free(v);
	free(names);
	return sql_oom(e);
}

/* the parameters the caller sees (a kept k-NN statement's hidden one
 * is not among them) */
static int visible(const struct sql_stmt_h *s)
{
	return s->nparam - s->nhidden;
}

int sql_bind_count(const struct sql_stmt_h *s)
{
	return visible(s);
}

const char *sql_bind_name(const struct sql_stmt_h *s, int i)
{
	return i >= 1 && i <= visible(s) ? s->pname[i] : NULL;
}

int sql_bind_index(const struct sql_stmt_h *s, const char *name)
{
	for (int i = 1; i <= visible(s); i++)
		if (s->pname[i] && !strcmp(s->pname[i], name))
			return i;
	return 0;
}

static int bind_at(struct sql_stmt_h *s, int i, const struct sql_value *v);

int sql_bind(struct sql_stmt_h *s, int i, const struct sql_value *v)
{
	if (i < 1 || i > visible(s))
		return SDB_EINVAL;
	return bind_at(s, i, v);
}

static int bind_at(struct sql_stmt_h *s, int i, const struct sql_value *v)
{
	struct sql_value w = *v;
	if ((w.type == SQLV_TEXT || w.type == SQLV_BLOB)) {
		/* the parameter's buffer is kept and grown (a row of .import
		 * binds every column again) */
		size_t need = w.n ? w.n : 1;
		char *d = s->pbytes[i];
		if (!d || s->pcap[i] < need) {
			size_t cap = need < 64 ? 64 : need;
			if (!(d = malloc(cap)))
				return SDB_ENOMEM;
			free(s->pbytes[i]);
			s->pbytes[i] = d;
			s->pcap[i] = cap;
		}
		if (w.n)
			memcpy(d, w.u.z, w.n);
		w.u.z = d;
	}
	s->pval[i] = w;
	return 0;
}

/* ------------------------------------------------------------ prepare */

static int compile_select(struct sql_stmt_h *h, struct sdb_error *e)
{
	if (h->q) {
		sql_query_close(h->q);
		h->q = NULL;
	}
	int rc = sql_query_compile(h->c, h, h->st->select, &h->q, e);
	h->q_gen = h->c->schema_gen;
	return rc;
}

/*
 * The kept k-NN statement. A script of k-NN queries repeats one text
 * around different query vectors (... ORDER BY vec_distance_l2(emb,
 * '[...]') LIMIT 10): once such a statement of no parameters has run to
 * its end, its literal becomes a hidden parameter (the plan then reads it
 * at each run, as it reads a bound ?1) and the statement is kept; a text
 * that equals it outside that literal gets it back with the new literal
 * bound, skipping parse and plan. It is compiled again when the schema
 * changes (as every statement is at its step) and dropped when a
 * statement other than a SELECT is prepared on the connection. Only where
 * the literal is the ORDER BY's first key, after every result column (so
 * no column's name holds it), and holds no quote.
 */
static void knn_drop(struct sql_conn *c)
{
	if (!c->kknn)
		return;
	if (c->kknn_busy) {
		c->kknn->kdrop = 1; /* freed at its finalize */
		return;
	}
	stmt_free(c->kknn);
	c->kknn = NULL;
}

/* The length of the statement at sql[0..len) when it is k's text around
 * another literal without quotes (k's literal then bound to it), else 0. */
static size_t knn_hit(struct sql_stmt_h *k, const char *sql, size_t len)
{
	size_t npost = k->srclen - k->kpost;
	if (len < k->kpre || memcmp(sql, k->src, k->kpre))
		return 0;
	const char *q = memchr(sql + k->kpre, '\'', len - k->kpre);
	if (!q)
		return 0;
	size_t qi = (size_t)(q - sql);
	if ((qi + 1 < len && sql[qi + 1] == '\'') || qi + npost > len ||
	    memcmp(sql + qi, k->src + k->kpost, npost))
		return 0;
	size_t total = qi + npost;
	/* the same end: its ';', or the end of the text */
	if (total != len && k->src[k->srclen - 1] != ';')
		return 0;
	if (total + 1 > k->kcap) {
		char *nb = realloc(k->ksrc, total + 1);
		if (!nb)
			return 0;
		k->ksrc = nb;
		k->kcap = total + 1;
	}
	struct sql_value v = sql_text(sql + k->kpre, qi - k->kpre);
	if (bind_at(k, 1, &v))
		return 0;
	memcpy(k->ksrc, sql, total);
	k->ksrc[total] = 0;
	k->st->len = k->st->len + qi - k->kpost;
	k->src = k->ksrc;
	k->srclen = total;
	k->kpost = qi;
	return total;
}

/* Makes h (a SELECT that ran to its end) the kept k-NN statement when it
 * has that shape. @return 1 kept, 0 not (h is then freed by the caller). */
static int knn_keep(struct sql_stmt_h *h)
{
	const struct sql_stmt *st = h->st;
	const struct sql_select *s = st ? st->select : NULL;
	struct sdb_error e;
	int metric;

	if (!s || st->kind != SQL_S_SELECT || st->explain || h->noread || h->nparam ||
	    !h->done_ok || h->state != 2 || s->with || s->ncores != 1 || s->norder < 1)
		return 0;
	struct sql_expr *o = s->order[0]->e;
	if (!o || o->kind != SQL_E_FUNC || !o->name.z || o->nlist != 2 || o->over ||
	    !sql_vec_distance_name(o->name.z, strlen(o->name.z), &metric))
		return 0;
	struct sql_expr *l = o->list[1];
	if (l->kind != SQL_E_STRING || l->len < 2 || l->off + l->len > h->srclen ||
	    h->src[l->off] != '\'' || h->src[l->off + l->len - 1] != '\'' ||
	    memchr(h->src + l->off + 1, '\'', l->len - 2))
		return 0;
	const struct sql_core *k = s->cores[0];
	for (int i = 0; i < k->ncols; i++)
		if (k->cols[i]->e && k->cols[i]->e->off + k->cols[i]->e->len > l->off)
			return 0;
	struct param *pt = sdb_sql_arena_alloc(&h->arena, sizeof(*pt));
	char **pname = sdb_sql_arena_alloc(&h->arena, 2 * sizeof(char *));
	struct sql_value *pval = sdb_sql_arena_alloc(&h->arena, 2 * sizeof(struct sql_value));
	char **pbytes = sdb_sql_arena_alloc(&h->arena, 2 * sizeof(char *));
	size_t *pcap = sdb_sql_arena_alloc(&h->arena, 2 * sizeof(size_t));
	char *ks = malloc(h->srclen + 1);
	if (!pt || !pname || !pval || !pbytes || !pcap || !ks) {
		free(ks);
		return 0;
	}
	memcpy(ks, h->src, h->srclen);
	ks[h->srclen] = 0;
	*pt = (struct param){ .off = l->off, .idx = 1 };
	h->ptok = pt;
	h->nptok = 1;
	h->pname = pname;
	h->pval = pval;
	h->pbytes = pbytes;
	h->pcap = pcap;
	h->nparam = h->nhidden = 1;
	h->ksrc = ks;
	h->kcap = h->srclen + 1;
	h->src = ks;
	h->kpre = l->off + 1;
	h->kpost = l->off + l->len - 1;
	l->kind = SQL_E_PARAM;
	l->text = "?";
	struct sql_value v = sql_text(ks + h->kpre, h->kpost - h->kpre);
	if (bind_at(h, 1, &v) || compile_select(h, &e))
		return 0;
	return 1;
}

/* Whether st is SELECT of literals alone (SELECT 'END', SELECT 1 AS x):
 * nothing it computes depends on the schema or the store, so it looks at
 * neither (as sqlite3 answers it without reading the database). */
static int const_select(const struct sql_stmt *st)
{
	const struct sql_select *s = st->select;
	if (st->kind != SQL_S_SELECT || st->explain || !s || s->with || s->ncores != 1 ||
	    s->norder || s->limit || s->offset)
		return 0;
	const struct sql_core *k = s->cores[0];
	if (k->values || k->distinct || k->from || k->where || k->ngroup || k->having ||
	    k->nwindows || !k->ncols)
		return 0;
	for (int i = 0; i < k->ncols; i++) {
		const struct sql_expr *x = k->cols[i]->e;
		if (!x || k->cols[i]->star)
			return 0;
		switch (x->kind) {
		case SQL_E_NULL: case SQL_E_INTEGER: case SQL_E_FLOAT: case SQL_E_STRING:
		case SQL_E_BLOB:
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static int prepare(struct sql_conn *c, const char *sql, size_t len, size_t *used,
		   struct sql_stmt_h **out, int now, struct sdb_error *e)
{
	*out = NULL;
	*used = len;
	/* the kept SELECT of literals again: the same text parses to the
	 * same statement (ending at its ';', or at the end of the text) */
	if (c->kept && !c->kept_busy) {
		struct sql_stmt_h *k = c->kept;
		size_t n = k->srclen;
		if (n <= len && !memcmp(k->src, sql, n) && (n == len || (n && k->src[n - 1] == ';'))) {
			k->state = 0;
			k->rows.nrows = k->rows.pos = 0;
			c->kept_busy = 1;
			*used = n;
			*out = k;
			return 0;
		}
	}
	if (c->kknn && !c->kknn_busy) {
		size_t n = knn_hit(c->kknn, sql, len);
		if (n) {
			struct sql_stmt_h *k = c->kknn;
			int rc = sql_conn_schema(c, e);
			if (rc)
				return rc;
			k->fresh = now ? sql_conn_fresh(c) : 0;
			k->state = 0;
			k->done_ok = 0;
			k->rows.nrows = k->rows.pos = 0;
			c->kknn_busy = 1;
			*used = n;
			*out = k;
			return 0;
		}
	}
	struct sql_stmt_h *h = calloc(1, sizeof(*h));
	if (!h)
		return sql_oom(e);
	h->c = c;
	sdb_sql_arena_init(&h->arena);
	sdb_sql_arena_init(&h->rows.mem);
	struct sdb_sql_parser p;
	sdb_sql_parser_init(&p, &h->arena, sql, len);
	struct sql_stmt *st = NULL;
	int rc = sdb_sql_parse_next(&p, &st, e);
	if (rc) {
		*used = p.ntok ? p.tok[0].off : p.lx.pos;
		if (*used == 0)
			*used = len;
		sql_finalize(h);
		return rc;
	}
	if (!st) {
		*used = len;
		sql_finalize(h);
		return 0;
	}
	*used = p.prev_end;
	char *src = sdb_sql_arena_alloc(&h->arena, p.prev_end + 1);
	if (!src) {
		sql_finalize(h);
		return sql_oom(e);
	}
	memcpy(src, sql, p.prev_end);
	h->src = src;
	h->srclen = p.prev_end;
	h->st = st;
	if (st->kind != SQL_S_SELECT)
		knn_drop(c); /* a pragma, DDL or write may change what it means */
	if ((rc = collect_params(h, p.nvar > 0, e))) {
		sql_finalize(h);
		return rc;
	}
	if (st->kind == SQL_S_SELECT && const_select(st)) {
		h->noread = 1;
		if ((rc = compile_select(h, e))) {
			sql_finalize(h);
			return rc;
		}
		if (!c->kept_busy) {
			/* kept in place of the one before (a script repeats
			 * its separators) */
			stmt_free(c->kept);
			c->kept = h;
			c->kept_busy = 1;
		}
	} else if (st->kind == SQL_S_SELECT) {
		if ((rc = sql_conn_schema(c, e))) {
			sql_finalize(h);
			return rc;
		}
		if (now)
			h->fresh = sql_conn_fresh(c);
		if ((rc = compile_select(h, e))) {
			sql_finalize(h);
			return rc;
		}
		if (st->explain) {
			h->explain_qp = st->explain;
		}
	} else if ((st->nreturning || st->kind == SQL_S_PRAGMA) &&
		   (rc = sql_conn_columns(c, h, st, e))) {
		sql_finalize(h);
		return rc;
	}
	*out = h;
	return 0;
}

int sql_prepare(struct sql_conn *c, const char *sql, size_t len, size_t *used,
		struct sql_stmt_h **out, struct sdb_error *e)
{
	return prepare(c, sql, len, used, out, 0, e);
}

int sql_prepare_now(struct sql_conn *c, const char *sql, size_t len, size_t *used,
		    struct sql_stmt_h **out, struct sdb_error *e)
{
	return prepare(c, sql, len, used, out, 1, e);
}

/* ------------------------------------------------------------ rows handed back */

int sql_stmt_set_columns(struct sql_stmt_h *h, int n, const char *const *names,
			 struct sdb_error *e)
{
	h->colnames = sdb_sql_arena_alloc(&h->arena, sizeof(char *) * (size_t)(n ? n : 1));
	if (!h->colnames)
		return sql_oom(e);
	for (int i = 0; i < n; i++) {
		h->colnames[i] = sql_strdup(&h->arena, names[i], strlen(names[i]));
		if (!h->colnames[i])
			return sql_oom(e);
	}
	h->ncols = n;
	return 0;
}

int sql_stmt_emit_row(struct sql_stmt_h *h, const struct sql_value *v,
		      struct sdb_error *e)
{
	struct rowbuf *r = &h->rows;
	int n = h->ncols;
	if (r->nrows == r->cap) {
		long nc = r->cap ? r->cap * 2 : 16;
		struct sql_value *nv = realloc(r->v, sizeof(*nv) * (size_t)(nc * (n ? n : 1)));
		if (!nv)
			return sql_oom(e);
		r->v = nv;
		r->cap = nc;
	}
	for (int i = 0; i < n; i++) {
		struct sql_value w = v[i];
		if (sql_value_copy(&w, &r->mem))
			return sql_oom(e);
		r->v[r->nrows * n + i] = w;
	}
	r->nrows++;
	return 0;
}

const char *sql_stmt_src(const struct sql_stmt_h *h)
{
	return h->src;
}

struct sql_value sql_stmt_param(const struct sql_stmt_h *h, size_t off)
{
	int idx = sql_param_at(h, off);

	return idx > 0 && idx <= h->nparam ? h->pval[idx] : sql_null();
}

int64_t sql_stmt_now_ms(const struct sql_stmt_h *h)
{
	return h->now_ms;
}

/* ------------------------------------------------------------ step */

int sql_step(struct sql_stmt_h *s, struct sdb_error *e)
{
	int rc;
	if (s->state == 2)
		return 0;
	if (s->state == 0) {
		s->now_ms = (int64_t)sdb_now_ms();
		s->c->stmt_now_ms = s->now_ms;
		if (s->st->kind == SQL_S_SELECT) {
			uint64_t fresh = s->fresh;

			s->fresh = 0; /* a rerun after sql_reset looks again */
			if (s->noread)
				sql_conn_fresh_spent(s->c);
			else if ((rc = sql_conn_read_begin(s->c, fresh, e)))
				return rc;
			if (s->c->schema_gen != s->q_gen &&
			    (rc = compile_select(s, e)))
				goto fail;
			if (s->explain_qp == 2) {
				s->ncols = 4;
				static const char *const nm[] = { "id", "parent", "notused", "detail" };
				if ((rc = sql_stmt_set_columns(s, 4, nm, e)) ||
				    (rc = sel_explain(s->q->sel, s, e)))
					goto fail;
				sql_conn_read_end(s->c);
				s->state = 1;
			} else {
				if ((rc = sql_query_rewind(s->q)))
					goto fail;
				s->q->e = e;
				s->state = 1;
			}
		} else {
			s->rows.nrows = s->rows.pos = 0;
			rc = sql_conn_write(s->c, s, s->st, e);
			if (rc) {
				s->state = 2;
				return rc;
			}
			s->state = 1;
		}
	}
	if (s->st->kind == SQL_S_SELECT && s->explain_qp != 2) {
		s->q->e = e;
		rc = sql_query_step(s->q, e);
		if (rc <= 0) {
			s->state = 2;
			s->done_ok = rc == 0;
			if (!s->noread)
				sql_conn_read_end(s->c);
		}
		return rc;
	}
	if (s->rows.pos < s->rows.nrows) {
		s->rows.pos++;
		return 1;
	}
	s->state = 2;
	return 0;
fail:
	s->state = 2;
	if (!s->noread)
		sql_conn_read_end(s->c);
	return rc;
}

int sql_column_count(const struct sql_stmt_h *s)
{
	if (s->st->kind == SQL_S_SELECT && s->explain_qp != 2)
		return s->q ? sql_query_ncols(s->q) : 0;
	if (s->st->kind == SQL_S_SELECT && s->explain_qp == 2)
		return 4;
	return s->ncols;
}

const char *sql_column_name(const struct sql_stmt_h *s, int i)
{
	if (i < 0 || i >= sql_column_count(s))
		return NULL;
	if (s->st->kind == SQL_S_SELECT && s->explain_qp != 2)
		return sql_query_colname(s->q, i);
	if (s->st->kind == SQL_S_SELECT) {
		static const char *const nm[] = { "id", "parent", "notused", "detail" };
		return nm[i];
	}
	return s->colnames[i];
}

const char *sql_column_decltype(const struct sql_stmt_h *s, int i)
{
	if (s->st->kind == SQL_S_SELECT && s->explain_qp != 2 && i >= 0 &&
	    i < sql_column_count(s))
		return sql_query_decltype(s->q, i);
	return NULL;
}

const struct sql_value *sql_column(const struct sql_stmt_h *s, int i)
{
	static const struct sql_value null;
	if (i < 0 || i >= sql_column_count(s))
		return &null;
	if (s->st->kind == SQL_S_SELECT && s->explain_qp != 2)
		return sql_query_column(s->q, i);
	if (s->rows.pos == 0)
		return &null;
	return &s->rows.v[(s->rows.pos - 1) * s->ncols + i];
}

int sql_stmt_is_query(const struct sql_stmt_h *s)
{
	if (s->st->kind == SQL_S_SELECT || s->st->explain)
		return 1;
	if (s->st->nreturning)
		return 1;
	return s->ncols > 0 || s->st->kind == SQL_S_PRAGMA;
}

int sql_stmt_readonly(const struct sql_stmt_h *s)
{
	if (s->st->kind == SQL_S_SELECT || s->st->explain)
		return 1;
	if (s->st->kind == SQL_S_PRAGMA)
		return s->st->value == NULL;
	return 0;
}

const char *sql_stmt_text(const struct sql_stmt_h *s, size_t *len)
{
	*len = s->st->len;
	return s->src + s->st->off;
}

void sql_stmt_pos(const struct sql_stmt_h *s, long *line, long *col)
{
	*line = s->st->line;
	*col = s->st->col;
}

int sql_reset(struct sql_stmt_h *s, struct sdb_error *e)
{
	if (s->state == 1 && s->st->kind == SQL_S_SELECT && !s->noread)
		sql_conn_read_end(s->c);
	s->state = 0;
	s->rows.nrows = s->rows.pos = 0;
	sdb_sql_arena_reset(&s->rows.mem);
	return 0;
}

void sql_finalize(struct sql_stmt_h *s)
{
	if (!s)
		return;
	struct sql_conn *c = s->c;
	if (s == c->kept) {
		c->kept_busy = 0; /* kept for the same text again */
		return;
	}
	if (s == c->kknn) {
		c->kknn_busy = 0;
		/* dropped when told, or after an error (a failed plan is not
		 * planned again in place) */
		if (s->kdrop || !s->done_ok) {
			c->kknn = NULL;
			stmt_free(s);
		}
		return;
	}
	if (!c->kknn_busy && knn_keep(s)) {
		stmt_free(c->kknn);
		c->kknn = s;
		return;
	}
	stmt_free(s);
}

static void stmt_free(struct sql_stmt_h *s)
{
	if (!s)
		return;
	if (s->state == 1 && s->st && s->st->kind == SQL_S_SELECT && !s->noread)
		sql_conn_read_end(s->c);
	sql_query_close(s->q);
	if (s->pbytes)
		for (int i = 1; i <= s->nparam; i++)
			free(s->pbytes[i]);
	free(s->rows.v);
	sdb_sql_arena_release(&s->rows.mem);
	sdb_sql_arena_release(&s->arena);
	free(s->ksrc);
	free(s);
}

int sql_exec(struct sql_conn *c, const char *sql, struct sdb_error *e)
{
	size_t len = strlen(sql), pos = 0;
	while (pos < len) {
		size_t used;
		struct sql_stmt_h *h;
		int rc = sql_prepare_now(c, sql + pos, len - pos, &used, &h, e);
		if (rc)
			return rc;
		pos += used ? used : len - pos;
		if (!h)
			break;
		while ((rc = sql_step(h, e)) == 1)
			;
		sql_finalize(h);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ queries */

int sql_query_compile(struct sql_conn *c, struct sql_stmt_h *h,
		      const struct sql_select *sel, struct sql_query **out,
		      struct sdb_error *e)
{
	*out = NULL;
	struct sql_query *q = calloc(1, sizeof(*q));
	if (!q)
		return sql_oom(e);
	q->c = c;
	q->h = h;
	sdb_sql_arena_init(&q->arena);
	sdb_sql_arena_init(&q->mem);
	struct bctx b = { .c = c, .h = h, .a = &q->arena, .e = e,
			  .src = h ? h->src : NULL, .all = &q->all };
	int corr = 0;
	sdb_error_clear(e);
	q->sel = bctx_stmt_with(&b) ? NULL : sel_compile(&b, NULL, sel, &corr);
	if (!q->sel) {
		int rc = e->code ? e->code : SDB_ENOMEM;
		sql_query_close(q);
		return rc;
	}
	*out = q;
	return 0;
}

int sql_query_rewind(struct sql_query *q)
{
	struct ectx x = { .h = q->h, .c = q->c, .mem = &q->mem, .e = q->e };
	struct sdb_error dummy;
	if (!x.e)
		x.e = &dummy;
	q->opened = 1;
	return sel_open(q->sel, &x);
}

int sql_query_open(struct sql_conn *c, struct sql_stmt_h *h,
		   const struct sql_select *sel, struct sql_query **out,
		   struct sdb_error *e)
{
	int rc = sql_query_compile(c, h, sel, out, e);
	if (rc)
		return rc;
	(*out)->e = e;
	rc = sql_query_rewind(*out);
	if (rc) {
		sql_query_close(*out);
		*out = NULL;
	}
	return rc;
}

int sql_query_ncols(const struct sql_query *q)
{
	return sel_ncols(q->sel);
}

const char *sql_query_colname(const struct sql_query *q, int i)
{
	return sel_colname(q->sel, i);
}

const char *sql_query_decltype(const struct sql_query *q, int i)
{
	return sel_decltype(q->sel, i);
}

enum sql_aff sql_query_affinity(const struct sql_query *q, int i)
{
	return (enum sql_aff)sel_aff(q->sel, i);
}

int sql_query_step(struct sql_query *q, struct sdb_error *e)
{
	struct ectx x = { .h = q->h, .c = q->c, .mem = &q->mem, .e = e };
	return sel_step(q->sel, &x);
}

const struct sql_value *sql_query_column(const struct sql_query *q, int i)
{
	return &sel_row(q->sel)[i];
}

void sql_query_close(struct sql_query *q)
{
	if (!q)
		return;
	sel_free_all(&q->all);
	sdb_sql_arena_release(&q->mem);
	sdb_sql_arena_release(&q->arena);
	free(q);
}

/* ------------------------------------------------------------ row expressions */

struct sql_rowexpr {
	struct sdb_sql_arena arena, mem;
	struct sql_conn *c;
	struct sql_stmt_h *h;
	struct src src[2];
	struct cursor cur[2];
	struct xp *x;
	struct qall all;
	int ncol;
};

int sql_rowexpr_compile(struct sql_conn *c, struct sql_stmt_h *h,
			const struct sql_table_def *t, const struct sql_expr *x,
			int with_excluded, struct sql_rowexpr **out,
			struct sdb_error *e)
{
	*out = NULL;
	struct sql_rowexpr *r = calloc(1, sizeof(*r));
	if (!r)
		return sql_oom(e);
	sdb_sql_arena_init(&r->arena);
	sdb_sql_arena_init(&r->mem);
	r->c = c;
	r->h = h;
	struct bctx b = { .c = c, .h = h, .a = &r->arena, .e = e,
			  .src = h ? h->src : NULL, .all = &r->all };
	struct scope s = { 0 };
	int nsrc = 0;
	if (t) {
		for (int k = 0; k < 1 + !!with_excluded; k++) {
			struct src *sr = &r->src[k];
			int n = t->ncol;
			sr->name = k ? "excluded" : t->name;
			sr->tab = t;
			sr->ncol = n;
			sr->has_rowid = !t->without_rowid;
			sr->cols = sdb_sql_arena_alloc(&r->arena, sizeof(char *) * (size_t)(n + 1));
			sr->decl = sdb_sql_arena_alloc(&r->arena, sizeof(char *) * (size_t)(n + 1));
			sr->aff = sdb_sql_arena_alloc(&r->arena, (size_t)(n + 1));
			sr->coll = sdb_sql_arena_alloc(&r->arena, (size_t)(n + 1));
			sr->cur = &r->cur[k];
			r->cur[k].ncol = n;
			r->cur[k].row = sdb_sql_arena_alloc(&r->arena, sizeof(struct sql_value) * (size_t)(n + 1));
			if (!sr->cols || !sr->decl || !sr->aff || !sr->coll || !r->cur[k].row) {
				sql_rowexpr_free(r);
				return sql_oom(e);
			}
			for (int i = 0; i < n; i++) {
				sr->cols[i] = t->cols[i].name;
				sr->decl[i] = t->cols[i].type;
				sr->aff[i] = (uint8_t)t->cols[i].aff;
				sr->coll[i] = (uint8_t)t->cols[i].coll;
			}
			nsrc++;
		}
		r->ncol = t->ncol;
	}
	s.src = r->src;
	s.nsrc = nsrc;
	int rc = bctx_stmt_with(&b);
	if (!rc)
		rc = xp_compile(&b, &s, x, &r->x);
	if (rc) {
		sql_rowexpr_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int sql_rowexpr_eval(struct sql_rowexpr *r, const struct sql_value *row,
		     int64_t rowid, const struct sql_value *excl,
		     int64_t excl_rowid, struct sql_value *out,
		     struct sdb_error *e)
{
	sdb_sql_arena_reset(&r->mem);
	int n = r->ncol;
	if (row) {
		memcpy(r->cur[0].row, row, sizeof(*row) * (size_t)n);
		r->cur[0].row[n] = sql_int(rowid);
	}
	if (excl) {
		memcpy(r->cur[1].row, excl, sizeof(*excl) * (size_t)n);
		r->cur[1].row[n] = sql_int(excl_rowid);
	}
	struct ectx x = { .h = r->h, .c = r->c, .mem = &r->mem, .e = e };
	return xp_eval(&x, r->x, out);
}

enum sql_aff sql_rowexpr_affinity(const struct sql_rowexpr *r)
{
	return (enum sql_aff)r->x->aff;
}

void sql_rowexpr_free(struct sql_rowexpr *r)
{
	if (!r)
		return;
	sel_free_all(&r->all);
	sdb_sql_arena_release(&r->mem);
	sdb_sql_arena_release(&r->arena);
	free(r);
}
