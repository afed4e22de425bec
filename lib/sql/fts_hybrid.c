/*
 * fts_hybrid.c - hybrid search: the table-valued function
 *
 *   hybrid_search(table, vec_column, query_vector, fts_table, query_text,
 *                 k [, alpha [, rrf_k [, filter [, metric]]]])
 *
 * ranks the k nearest rows of table by vec_distance_<metric>(vec_column,
 * query_vector) (metric 'cosine' by default; 'l2', 'ip') and the k best of
 * fts_table MATCH query_text by bm25 (ORDER BY rank), both under the same
 * filter (an SQL expression over table's columns, or NULL), and fuses
 * the two lists by Reciprocal Rank Fusion (Cormack, Clarke & Buettcher
 * 2009): score = alpha / (rrf_k + r_vec) + (1 - alpha) / (rrf_k + r_text),
 * a missing rank adding 0 (alpha 0.5, rrf_k 60 by default). Rows: id (the
 * rowid, which the FTS table shares with table: an external-content
 * table over it, or one kept with the same rowids), score, vec_rank,
 * text_rank; the k best by score (ties by id), best first.
 *
 * Each side is an ordinary SELECT (so the planner's k-NN and MATCH paths
 * answer it) built from the arguments' values and run on the statement's
 * snapshot. The vector side is written in the form an HNSW index on the
 * column and metric serves (ORDER BY the distance alone, no IS NOT NULL
 * filter: the index leaves NULL vectors out itself) when there is one;
 * otherwise in the exact form, NULL vectors filtered out and ties broken
 * by rowid.
 */
#include "sql/fts_exec.h"

#include "sql/conn.h"
#include "sql/parse.h"
#include "sql/vecindex.h"
#include "vec/distance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct hyb_row {
	int64_t id;
	int rv, rt;                  /* ranks, 0: absent */
	double score;
};

struct hybrid {
	struct xp *arg[10];
	int narg;
	struct cursor *cur;
	struct hyb_row *rows;
	long n, pos;
	struct sql_value row[5];     /* id, score, vec_rank, text_rank, (rowid) */
};

static const char *const hyb_cols[] = { "id", "score", "vec_rank", "text_rank" };

int sql_fts_is_hybrid(const char *name)
{
	return name && !strcasecmp(name, "hybrid_search");
}

int sql_fts_hybrid_bind(struct bctx *b, struct scope *up, const struct sql_source *it,
			struct src *s, struct cursor *cur, struct hybrid **out)
{
	if (it->nargs < 6 || it->nargs > 10)
		return sdb_error_set(b->e, SDB_EINVAL,
				     "hybrid_search() takes 6 to 10 arguments: table, vec_column, query_vector, fts_table, query_text, k [, alpha, rrf_k, filter, metric]");
	struct hybrid *h = calloc(1, sizeof(*h));
	if (!h)
		return sql_oom(b->e);
	*out = h;
	h->narg = it->nargs;
	h->cur = cur;
	for (int i = 0; i < it->nargs; i++) {
		int rc = xp_compile(b, up, it->args[i], &h->arg[i]);
		if (rc)
			return rc;
	}
	s->name = it->alias.z ? it->alias.z : "hybrid_search";
	s->ncol = 4;
	for (int i = 0; i < 4; i++) {
		s->cols[i] = hyb_cols[i];
		s->aff[i] = i == 1 ? SQL_AFF_REAL : SQL_AFF_INTEGER;
	}
	return 0;
}

void sql_fts_hybrid_free(struct hybrid *h)
{
	if (!h)
		return;
	free(h->rows);
	free(h);
}

/* Appends "name" quoted as an SQL identifier. */
static void put_name(struct sdb_buf *b, const char *z, size_t n)
{
	sdb_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (z[i] == '"')
			sdb_buf_add(b, "\"", 1);
		sdb_buf_add(b, z + i, 1);
	}
	sdb_buf_add(b, "\"", 1);
}

static void put_string(struct sdb_buf *b, const char *z, size_t n)
{
	sdb_buf_add(b, "'", 1);
	for (size_t i = 0; i < n; i++) {
		if (z[i] == '\'')
			sdb_buf_add(b, "'", 1);
		sdb_buf_add(b, z + i, 1);
	}
	sdb_buf_add(b, "'", 1);
}

/* Runs one generated SELECT of rowids; ranks 1.. into *ids. */
/* Whether table tab has an HNSW index on column col for metric (names as
 * the arguments gave them, not NUL-terminated). */
static int has_hnsw(struct ectx *x, const char *tab, size_t tn, const char *col, size_t cn,
		    const char *metric, size_t mn)
{
	char t[256], c[256], m[8];
	if (!x->c->cat || tn >= sizeof t || cn >= sizeof c || mn >= sizeof m)
		return 0;
	memcpy(t, tab, tn);
	t[tn] = 0;
	memcpy(c, col, cn);
	c[cn] = 0;
	for (size_t i = 0; i < mn; i++)
		m[i] = (char)(metric[i] | 0x20);
	m[mn] = 0;
	const struct sql_table_def *td = sql_conn_table(x->c, t);
	int ci = td ? sql_table_column(td, c) : -2;
	int mi = sdb_vec_metric_parse(m);
	if (ci < 0 || mi < 0)
		return 0;
	for (int i = 0; i < td->nidx; i++)
		if (td->idx[i]->hnsw && td->idx[i]->hnsw->col == ci && td->idx[i]->hnsw->metric == mi)
			return 1;
	return 0;
}

static int run_side(struct ectx *x, const char *sql, size_t n, int64_t **ids, long *nids)
{
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sql_stmt *st = NULL;
	struct sql_query *q = NULL;
	int rc;
	*ids = NULL;
	*nids = 0;
	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, sql, n);
	if ((rc = sdb_sql_parse_next(&p, &st, x->e)) || !st || st->kind != SQL_S_SELECT) {
		sdb_sql_arena_release(&a);
		return rc ? rc : sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): bad filter");
	}
	if ((rc = sql_query_open(x->c, x->h, st->select, &q, x->e))) {
		sdb_sql_arena_release(&a);
		return rc;
	}
	long cap = 0;
	while ((rc = sql_query_step(q, x->e)) == 1) {
		const struct sql_value *v = sql_query_column(q, 0);
		if (v->type != SQLV_INT)
			continue;
		if (*nids == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *ni = realloc(*ids, sizeof(*ni) * (size_t)cap);
			if (!ni) {
				rc = sql_oom(x->e);
				break;
			}
			*ids = ni;
		}
		(*ids)[(*nids)++] = v->u.i;
	}
	sql_query_close(q);
	sdb_sql_arena_release(&a);
	return rc < 0 ? rc : 0;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct hyb_row *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int id_cmp(const void *pa, const void *pb)
{
	const struct hyb_row *a = pa, *b = pb;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int text_arg(struct ectx *x, struct hybrid *h, int i, struct sql_value *out,
		    const char *what)
{
	struct sql_value v;
	int rc = xp_eval(x, h->arg[i], &v);
	if (rc)
		return rc;
	if (v.type != SQLV_TEXT || v.n == 0)
		return sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): %s must be a name (text)", what);
	*out = v;
	return 0;
}

int sql_fts_hybrid_rewind(struct hybrid *h, struct ectx *x)
{
	struct sql_value tab, col, vec, fts, txt, kv, av, rv, fv, mv;
	int rc;
	h->n = h->pos = 0;
	if ((rc = text_arg(x, h, 0, &tab, "table")) || (rc = text_arg(x, h, 1, &col, "vec_column")) ||
	    (rc = xp_eval(x, h->arg[2], &vec)) || (rc = text_arg(x, h, 3, &fts, "fts_table")) ||
	    (rc = xp_eval(x, h->arg[4], &txt)) || (rc = xp_eval(x, h->arg[5], &kv)))
		return rc;
	int64_t k = sql_value_to_int(&kv);
	if (kv.type != SQLV_INT || k < 1 || k > 10000)
		return sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): k must be an integer from 1 to 10000");
	double alpha = 0.5, rrf_k = 60;
	if (h->narg > 6) {
		if ((rc = xp_eval(x, h->arg[6], &av)))
			return rc;
		alpha = sql_value_to_real(&av);
		if (av.type == SQLV_NULL || !(alpha >= 0 && alpha <= 1))
			return sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): alpha must be from 0 to 1");
	}
	if (h->narg > 7) {
		if ((rc = xp_eval(x, h->arg[7], &rv)))
			return rc;
		rrf_k = sql_value_to_real(&rv);
		if (rv.type == SQLV_NULL || !(rrf_k >= 0) || isinf(rrf_k))
			return sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): rrf_k must be a number >= 0");
	}
	fv = sql_null();
	if (h->narg > 8 && (rc = xp_eval(x, h->arg[8], &fv)))
		return rc;
	if (fv.type != SQLV_NULL && sql_value_text(&fv, x->mem, &fv))
		return sql_oom(x->e);
	const char *metric = "cosine";
	size_t mlen = 6;
	if (h->narg > 9) {
		if ((rc = xp_eval(x, h->arg[9], &mv)))
			return rc;
		if (mv.type != SQLV_TEXT ||
		    !((mv.n == 2 && !strncasecmp(mv.u.z, "l2", 2)) || (mv.n == 2 && !strncasecmp(mv.u.z, "ip", 2)) ||
		      (mv.n == 6 && !strncasecmp(mv.u.z, "cosine", 6))))
			return sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): unknown metric (cosine, l2, ip)");
		metric = mv.u.z;
		mlen = mv.n;
	}
	struct sdb_buf b = SDB_BUF_INIT;
	int64_t *vids = NULL, *tids = NULL;
	long nv = 0, nt = 0;
	char num[32];
	/* the vector side */
	if (vec.type != SQLV_NULL) {
		struct sql_value vb = vec;
		if (vb.type != SQLV_BLOB && vb.type != SQLV_TEXT)
			return sdb_error_set(x->e, SDB_EINVAL, "hybrid_search(): query_vector must be a vector");
		int hn = has_hnsw(x, tab.u.z, tab.n, col.u.z, col.n, metric, mlen);
		sdb_buf_add(&b, "SELECT rowid FROM ", 18);
		put_name(&b, tab.u.z, tab.n);
		if (!hn) {
			sdb_buf_add(&b, " WHERE ", 7);
			put_name(&b, col.u.z, col.n);
			sdb_buf_add(&b, " IS NOT NULL", 12);
		}
		if (fv.type != SQLV_NULL) {
			sdb_buf_add(&b, hn ? " WHERE (" : " AND (", hn ? 8 : 6);
			sdb_buf_add(&b, fv.u.z, fv.n);
			sdb_buf_add(&b, ")", 1);
		}
		sdb_buf_add(&b, " ORDER BY vec_distance_", 23);
		sdb_buf_add(&b, metric, mlen);
		sdb_buf_add(&b, "(", 1);
		put_name(&b, col.u.z, col.n);
		if (vb.type == SQLV_BLOB) {
			sdb_buf_add(&b, ", X'", 4);
			for (uint32_t i = 0; i < vb.n; i++) {
				char hx[3];
				snprintf(hx, sizeof hx, "%02x", (unsigned char)vb.u.z[i]);
				sdb_buf_add(&b, hx, 2);
			}
			sdb_buf_add(&b, "'", 1);
		} else {
			sdb_buf_add(&b, ", ", 2);
			put_string(&b, vb.u.z, vb.n);
		}
		int nl = snprintf(num, sizeof num, hn ? ") LIMIT %lld" : "), rowid LIMIT %lld", (long long)k);
		sdb_buf_add(&b, num, (size_t)nl);
		if (b.oom) {
			rc = sql_oom(x->e);
			goto out;
		}
		if ((rc = run_side(x, b.data, b.len, &vids, &nv)))
			goto out;
	}
	/* the keyword side */
	if (txt.type != SQLV_NULL) {
		struct sql_value tt;
		if (sql_value_text(&txt, x->mem, &tt)) {
			rc = sql_oom(x->e);
			goto out;
		}
		sdb_buf_reset(&b);
		sdb_buf_add(&b, "SELECT ", 7);
		put_name(&b, fts.u.z, fts.n);
		sdb_buf_add(&b, ".rowid FROM ", 12);
		put_name(&b, fts.u.z, fts.n);
		if (fv.type != SQLV_NULL) {
			sdb_buf_add(&b, " JOIN ", 6);
			put_name(&b, tab.u.z, tab.n);
			sdb_buf_add(&b, " ON ", 4);
			put_name(&b, tab.u.z, tab.n);
			sdb_buf_add(&b, ".rowid = ", 9);
			put_name(&b, fts.u.z, fts.n);
			sdb_buf_add(&b, ".rowid", 6);
		}
		sdb_buf_add(&b, " WHERE ", 7);
		put_name(&b, fts.u.z, fts.n);
		sdb_buf_add(&b, " MATCH ", 7);
		put_string(&b, tt.u.z, tt.n);
		if (fv.type != SQLV_NULL) {
			sdb_buf_add(&b, " AND (", 6);
			sdb_buf_add(&b, fv.u.z, fv.n);
			sdb_buf_add(&b, ")", 1);
		}
		sdb_buf_add(&b, " ORDER BY rank, ", 16);
		put_name(&b, fts.u.z, fts.n);
		int nl = snprintf(num, sizeof num, ".rowid LIMIT %lld", (long long)k);
		sdb_buf_add(&b, num, (size_t)nl);
		if (b.oom) {
			rc = sql_oom(x->e);
			goto out;
		}
		if ((rc = run_side(x, b.data, b.len, &tids, &nt)))
			goto out;
	}
	/* fusion */
	free(h->rows);
	h->rows = calloc((size_t)(nv + nt + 1), sizeof(*h->rows));
	if (!h->rows) {
		rc = sql_oom(x->e);
		goto out;
	}
	for (long i = 0; i < nv; i++) {
		h->rows[h->n].id = vids[i];
		h->rows[h->n++].rv = (int)(i + 1);
	}
	for (long i = 0; i < nt; i++) {
		h->rows[h->n].id = tids[i];
		h->rows[h->n++].rt = (int)(i + 1);
	}
	if (h->n)
		qsort(h->rows, (size_t)h->n, sizeof(*h->rows), id_cmp);
	long m = 0;
	for (long i = 0; i < h->n; i++) {
		if (m && h->rows[m - 1].id == h->rows[i].id) {
			if (h->rows[i].rv)
				h->rows[m - 1].rv = h->rows[i].rv;
			if (h->rows[i].rt)
				h->rows[m - 1].rt = h->rows[i].rt;
			continue;
		}
		h->rows[m++] = h->rows[i];
	}
	h->n = m;
	for (long i = 0; i < h->n; i++) {
		struct hyb_row *r = &h->rows[i];
		r->score = (r->rv ? alpha / (rrf_k + r->rv) : 0) +
			   (r->rt ? (1 - alpha) / (rrf_k + r->rt) : 0);
	}
	if (h->n)
		qsort(h->rows, (size_t)h->n, sizeof(*h->rows), row_cmp);
	if (h->n > k)
		h->n = k;
out:
	free(vids);
	free(tids);
	sdb_buf_release(&b);
	return rc;
}

int sql_fts_hybrid_next(struct hybrid *h, struct ectx *x)
{
	(void)x;
	if (h->pos >= h->n)
		return 0;
	const struct hyb_row *r = &h->rows[h->pos++];
	h->row[0] = sql_int(r->id);
	h->row[1] = sql_real(r->score);
	h->row[2] = r->rv ? sql_int(r->rv) : sql_null();
	h->row[3] = r->rt ? sql_int(r->rt) : sql_null();
	h->row[4] = sql_null();
	h->cur->row = h->row;
	return 1;
}
