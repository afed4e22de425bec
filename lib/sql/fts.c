/*
 * fts.c - FTS5 tables: the definition from CREATE VIRTUAL TABLE ... USING
 * fts5(...), the index keys of a row written or deleted in the row's
 * transaction, FTS5's special INSERT commands ('rebuild', 'delete',
 * 'delete-all', 'optimize', ...) and DROP. Key layout: fts.h and
 * doc/FORMAT.md.
 */
#include "sql/fts.h"

#include "sql/record.h"
#include "sql/wint.h"
#include "store/keys.h"
#include "util/varint.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ definition */

static char *dup_n(struct sql_catalog *c, const char *z, size_t n)
{
	char *d = sdb_sql_arena_alloc(&c->mem, n + 1);
	if (d) {
		memcpy(d, z, n);
		d[n] = 0;
	}
	return d;
}

/* An option value: 'x', "x", [x], `x` dequoted, or the bare word. */
static char *dequote(struct sql_catalog *c, const char *z)
{
	while (*z == ' ' || *z == '\t' || *z == '\n')
		z++;
	size_t n = strlen(z);
	while (n && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\n'))
		n--;
	if (n >= 2 && (z[0] == '\'' || z[0] == '"' || z[0] == '`' || z[0] == '[')) {
		char q = z[0] == '[' ? ']' : z[0];
		char *d = sdb_sql_arena_alloc(&c->mem, n);
		if (!d)
			return NULL;
		size_t o = 0;
		for (size_t i = 1; i + 1 < n; i++) {
			d[o++] = z[i];
			if (z[i] == q && q != ']' && z[i + 1] == q)
				i++;
		}
		d[o] = 0;
		return d;
	}
	return dup_n(c, z, n);
}

int sql_fts_build(struct sql_catalog *c, const struct sql_stmt *st,
		  struct sql_table_def *t, struct sdb_error *e)
{
	if (!st->using_.z || strcasecmp(st->using_.z, "fts5"))
		return sdb_error_set(e, SDB_ENOTFOUND, "no such module: %s",
				     st->using_.z ? st->using_.z : "");
	struct sql_fts_def *d = sdb_sql_arena_alloc(&c->mem, sizeof(*d));
	int n = st->nvargs;
	if (!d)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	memset(d, 0, sizeof(*d));
	t->cols = sdb_sql_arena_alloc(&c->mem, sizeof(*t->cols) * (size_t)(n + 2));
	d->unindexed = sdb_sql_arena_alloc(&c->mem, (size_t)n + 2);
	if (!t->cols || !d->unindexed)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	memset(t->cols, 0, sizeof(*t->cols) * (size_t)(n + 2));
	memset(d->unindexed, 0, (size_t)n + 2);
	d->tokenize = "unicode61";
	for (int i = 0; i < n; i++) {
		const char *a = st->vargs[i];
		const char *eq = NULL;
		char q = 0;
		for (const char *p = a; *p; p++) {
			if (q) {
				if (*p == q)
					q = 0;
				continue;
			}
			if (*p == '\'' || *p == '"' || *p == '`')
				q = *p;
			else if (*p == '[')
				q = ']';
			else if (*p == '=') {
				eq = p;
				break;
			}
		}
		if (eq) {
			char *k = dequote(c, dup_n(c, a, (size_t)(eq - a)));
			char *v = dequote(c, eq + 1);
			if (!k || !v)
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
			if (!strcasecmp(k, "tokenize"))
				d->tokenize = v;
			else if (!strcasecmp(k, "content")) {
				d->content = *v ? FTS_CONTENT_EXTERNAL : FTS_CONTENT_NONE;
				d->content_name = v;
			} else if (!strcasecmp(k, "content_rowid"))
				d->content_rowid = v;
			else if (!strcasecmp(k, "prefix")) {
				char *p = v;
				while (*p) {
					while (*p == ' ' || *p == ',')
						p++;
					if (!*p)
						break;
					char *end;
					long l = strtol(p, &end, 10);
					if (end == p || l < 1 || l > 999 || d->nprefix >= 32)
						return sdb_error_set(e, SDB_EINVAL, "malformed prefix=... directive");
					d->prefix[d->nprefix++] = (int)l;
					p = end;
				}
			} else if (!strcasecmp(k, "detail")) {
				if (strcasecmp(v, "full"))
					return sdb_error_set(e, SDB_EUNSUPPORTED,
							     "fts5 detail=%s is not supported (detail=full only)", v);
			} else if (!strcasecmp(k, "columnsize")) {
				if (strcmp(v, "1"))
					return sdb_error_set(e, SDB_EUNSUPPORTED,
							     "fts5 columnsize=%s is not supported", v);
			} else
				return sdb_error_set(e, SDB_EINVAL, "unrecognized option: \"%s\"", k);
			continue;
		}
		/* a column: name [UNINDEXED] */
		char *w = dup_n(c, a, strlen(a));
		if (!w)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		char *sp = w;
		int quoted = *w == '"' || *w == '`' || *w == '[' || *w == '\'';
		if (quoted) {
			char qq = *w == '[' ? ']' : *w;
			sp = strchr(w + 1, qq);
			while (sp && qq != ']' && sp[1] == qq)
				sp = strchr(sp + 2, qq);
			sp = sp ? sp + 1 : w + strlen(w);
		} else
			while (*sp && *sp != ' ' && *sp != '\t' && *sp != '\n')
				sp++;
		char *rest = sp;
		while (*rest == ' ' || *rest == '\t' || *rest == '\n')
			rest++;
		*sp = 0;
		char *name = dequote(c, w);
		if (!name)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		int k = d->ncol;
		if (*rest) {
			if (strcasecmp(rest, "UNINDEXED"))
				return sdb_error_set(e, SDB_EINVAL, "unrecognized column option: %s", rest);
			d->unindexed[k] = 1;
		}
		if (!strcasecmp(name, "rank") || !strcasecmp(name, "rowid"))
			return sdb_error_set(e, SDB_EINVAL, "reserved fts5 column name: %s", name);
		for (int j = 0; j < k; j++)
			if (!strcasecmp(t->cols[j].name, name))
				return sdb_error_set(e, SDB_EINVAL, "duplicate column name: %s", name);
		t->cols[k].name = name;
		t->cols[k].aff = SQL_AFF_BLOB;
		d->ncol++;
	}
	if (d->ncol == 0)
		return sdb_error_set(e, SDB_EINVAL, "vtable constructor failed: %s", t->name);
	if (d->content == FTS_CONTENT_NONE)
		return sdb_error_set(e, SDB_EUNSUPPORTED,
				     "contentless fts5 tables (content='') are not supported");
	d->hid_tab = d->ncol;
	d->hid_rank = d->ncol + 1;
	t->cols[d->hid_tab].name = t->name;
	t->cols[d->hid_tab].hidden = 1;
	t->cols[d->hid_rank].name = "rank";
	t->cols[d->hid_rank].hidden = 1;
	t->ncol = d->ncol + 2;
	t->ipk = -1;
	d->neg_id = -(int64_t)t->id;
	int rc = fts_tok_new(d->tokenize, &d->tok, e);
	if (rc)
		return rc;
	t->fts = d;
	return 0;
}

/* ------------------------------------------------------------ keys */

void sql_fts_key(struct sdb_buf *b, int64_t neg_id, int kind)
{
	sql_key_head(b);
	sql_key_add_int(b, neg_id);
	sql_key_add_int(b, kind);
}

/* ------------------------------------------------------------ one row */

struct collect {
	struct sdb_buf terms;
	struct fts_hit *h;
	size_t n, cap;
	int col, off;
	int *ntok;                   /* per column */
	int oom;
};

static int collect_cb(void *vp, const char *tok, int n, int start, int end)
{
	struct collect *c = vp;
	(void)start;
	(void)end;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		struct fts_hit *nh = realloc(c->h, sizeof(*nh) * nc);
		if (!nh)
			return SDB_ENOMEM;
		c->h = nh;
		c->cap = nc;
	}
	c->h[c->n].off = (uint32_t)c->terms.len;
	c->h[c->n].len = (uint32_t)n;
	c->h[c->n].pos = ((int64_t)c->col << 32) | c->off;
	sdb_buf_add(&c->terms, tok, (size_t)n);
	if (c->terms.oom)
		return SDB_ENOMEM;
	c->n++;
	c->off++;
	c->ntok[c->col]++;
	return 0;
}

/* A writer's reused buffers for index_row (no allocation per row once
 * they have grown). */
struct fts_scratch {
	struct collect c;
	int capcol;
	struct sql_value *sz;
};

void sql_fts_scratch_free(struct sql_wstate *w)
{
	struct fts_scratch *s = w->fts_scratch;
	if (!s)
		return;
	free(s->c.h);
	free(s->c.ntok);
	sdb_buf_release(&s->c.terms);
	free(s->sz);
	free(s);
	w->fts_scratch = NULL;
}

/* vals[0..ncol): the row's column values (as the FTS table names them). */
static int index_row(struct sql_wstate *w, const struct sql_fts_def *d,
		     const struct sql_value *vals, int64_t rowid, int del,
		     struct sdb_error *e)
{
	struct fts_scratch *s = w->fts_scratch;
	struct sdb_sql_arena mem;
	int rc = 0;
	if (!s && !(s = w->fts_scratch = calloc(1, sizeof(*s))))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	struct collect *c = &s->c;
	if (s->capcol < d->ncol + 1) {
		int *nt = realloc(c->ntok, sizeof(int) * (size_t)(d->ncol + 1));
		struct sql_value *nz = nt ? realloc(s->sz, sizeof(*nz) * (size_t)(d->ncol + 1)) : NULL;
		if (nt)
			c->ntok = nt;
		if (!nz)
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		s->sz = nz;
		s->capcol = d->ncol + 1;
	}
	memset(c->ntok, 0, sizeof(int) * (size_t)d->ncol);
	c->n = 0;
	sdb_buf_reset(&c->terms);
	sdb_sql_arena_init(&mem);
	for (int i = 0; i < d->ncol; i++) {
		struct sql_value tv;
		if (vals[i].type == SQLV_NULL || d->unindexed[i])
			continue;
		if (sql_value_text(&vals[i], &mem, &tv)) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			goto out;
		}
		c->col = i;
		c->off = 0;
		if ((rc = fts_tokenize(d->tok, tv.u.z, (int)tv.n, c, collect_cb))) {
			rc = sdb_error_set(e, rc, "out of memory");
			goto out;
		}
	}
	if ((rc = sql_fts_log_row(w, d->neg_id, rowid, del, d->ncol, c->ntok, c->terms.data,
				  c->h, c->n, e)))
		goto out;
	/* the row's sizes */
	for (int i = 0; i < d->ncol; i++)
		s->sz[i] = sql_int(c->ntok[i]);
	sql_fts_key(&w->kbuf, d->neg_id, 1);
	sql_key_add_int(&w->kbuf, rowid);
	sdb_buf_reset(&w->vbuf);
	sql_record_encode(&w->vbuf, s->sz, d->ncol);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->vbuf))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	else
		rc = del ? sdb_txn_del(w->txn, w->kbuf.data, w->kbuf.len, e) :
			sdb_txn_put(w->txn, w->kbuf.data, w->kbuf.len, w->vbuf.data, w->vbuf.len, 0, e);
out:
	sdb_sql_arena_release(&mem);
	return rc;
}

/* The content table of an external-content FTS table, and for each FTS
 * column the content column it reads (-1: none, NULL). */
static const struct sql_table_def *content_map(struct sql_catalog *cat,
					       const struct sql_table_def *f,
					       int *map, struct sdb_error *e)
{
	const struct sql_fts_def *d = f->fts;
	const struct sql_table_def *ct = sql_catalog_table(cat, d->content_name);
	if (!ct || ct->is_view || ct->fts) {
		sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", d->content_name);
		return NULL;
	}
	for (int i = 0; i < d->ncol; i++) {
		int k = sql_table_column(ct, f->cols[i].name);
		map[i] = k >= 0 ? k : -1;
		if (k == -2) {
			sdb_error_set(e, SDB_ENOTFOUND, "no such column: %s", f->cols[i].name);
			return NULL;
		}
	}
	if (d->content_rowid) {
		int k = sql_table_column(ct, d->content_rowid);
		if (k != -1 && k != ct->ipk) {
			sdb_error_set(e, SDB_EUNSUPPORTED,
				      "content_rowid=%s: only the rowid or its INTEGER PRIMARY KEY alias is supported",
				      d->content_rowid);
			return NULL;
		}
	}
	if (ct->without_rowid) {
		sdb_error_set(e, SDB_EUNSUPPORTED, "an fts5 content table must have a rowid");
		return NULL;
	}
	return ct;
}

int sql_fts_row(struct sql_wstate *w, const struct sql_table_def *t,
		const struct sql_value *row, int64_t rowid, int del,
		struct sdb_error *e)
{
	int rc;
	if (t->fts) {
		if (t->fts->content == FTS_CONTENT_EXTERNAL)
			return sdb_error_set(e, SDB_EUNSUPPORTED,
					     "%s is an external-content fts5 table: write to %s (the index follows it)",
					     t->name, t->fts->content_name);
		return index_row(w, t->fts, row, rowid, del, e);
	}
	struct sql_catalog *cat = w->cat;
	for (int i = 0; i < cat->ntab; i++) {
		const struct sql_table_def *f = cat->tabs[i];
		if (!f->fts || f->fts->content != FTS_CONTENT_EXTERNAL ||
		    !sql_name_eq(f->fts->content_name, t->name))
			continue;
		int map[1024];
		struct sql_value vals[1024];
		if (f->fts->ncol > 1024)
			return sdb_error_set(e, SDB_ELIMIT, "too many columns");
		if (!content_map(cat, f, map, e))
			return e->code;
		for (int c = 0; c < f->fts->ncol; c++)
			vals[c] = map[c] >= 0 ? row[map[c]] : sql_null();
		if ((rc = index_row(w, f->fts, vals, rowid, del, e)))
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ commands */

static int del_index(struct sql_wstate *w, const struct sql_fts_def *d,
		     struct sdb_error *e)
{
	int rc = sql_fts_flush(w, e);
	if (rc)
		return rc;
	sql_key_head(&w->kbuf);
	sql_key_add_int(&w->kbuf, d->neg_id);
	sdb_buf_reset(&w->k2);
	sdb_buf_add(&w->k2, w->kbuf.data, w->kbuf.len);
	sdb_prefix_succ(&w->k2);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->k2))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return sdb_txn_del_range(w->txn, w->kbuf.data, w->kbuf.len, w->k2.data, w->k2.len, e);
}

/* Every row of the content (own or external) indexed again. */
static int rebuild(struct sql_wstate *w, const struct sql_table_def *f,
		   struct sdb_error *e)
{
	const struct sql_fts_def *d = f->fts;
	const struct sql_table_def *src = f;
	int map[1024];
	int rc = del_index(w, d, e);
	if (rc)
		return rc;
	if (d->ncol > 1024)
		return sdb_error_set(e, SDB_ELIMIT, "too many columns");
	if (d->content == FTS_CONTENT_EXTERNAL) {
		if (!(src = content_map(w->cat, f, map, e)))
			return e->code;
	} else
		for (int i = 0; i < d->ncol; i++)
			map[i] = i;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT, rec = SDB_BUF_INIT;
	struct sql_value *row = calloc((size_t)src->ncol + 1, sizeof(*row));
	struct sql_value *vals = calloc((size_t)d->ncol + 1, sizeof(*vals));
	struct sdb_txn_iter *it = NULL;
	sql_obj_prefix(&lo, src->id);
	sql_obj_end(&hi, src->id);
	if (!row || !vals || !sdb_buf_ok(&lo) || !sdb_buf_ok(&hi)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto out;
	}
	/* rows first (the index writes go to the same transaction) */
	struct sdb_buf keys = SDB_BUF_INIT;
	if ((rc = sdb_txn_iter_open(w->txn, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
		goto out;
	for (;;) {
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
		if (rc <= 0)
			break;
		uint32_t l32 = (uint32_t)kn, v32 = (uint32_t)v.len;
		sdb_buf_add(&keys, &l32, 4);
		sdb_buf_add(&keys, &v32, 4);
		sdb_buf_add(&keys, k, kn);
		sdb_buf_add(&keys, v.data, v.len);
		if (keys.oom) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			break;
		}
	}
	sdb_txn_iter_close(it);
	for (size_t p = 0; rc == 0 && p < keys.len;) {
		uint32_t kl, vl;
		memcpy(&kl, keys.data + p, 4);
		memcpy(&vl, keys.data + p + 4, 4);
		const char *k = keys.data + p + 8;
		int64_t rowid;
		p += 8 + kl + vl;
		if ((rc = sql_row_decode(src, k, kl, k + kl, vl, row, &rowid, e)))
			break;
		for (int i = 0; i < d->ncol; i++)
			vals[i] = map[i] >= 0 ? row[map[i]] : sql_null();
		rc = index_row(w, d, vals, rowid, 0, e);
	}
	sdb_buf_release(&keys);
out:
	free(row);
	free(vals);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	sdb_buf_release(&rec);
	return rc;
}

int sql_fts_command(struct sql_wstate *w, const struct sql_table_def *t,
		    const struct sql_value *row, int64_t rowid, int has_rowid,
		    struct sdb_error *e)
{
	const struct sql_fts_def *d = t->fts;
	if (!d || row[d->hid_tab].type == SQLV_NULL)
		return 0;
	struct sql_value cmd = row[d->hid_tab];
	char z[32];
	if (cmd.type != SQLV_TEXT || cmd.n >= sizeof z)
		return sdb_error_set(e, SDB_EINVAL, "SQL logic error");
	memcpy(z, cmd.u.z, cmd.n);
	z[cmd.n] = 0;
	int rc;
	if (!strcmp(z, "rebuild"))
		rc = rebuild(w, t, e);
	else if (!strcmp(z, "delete-all")) {
		if (d->content == FTS_CONTENT_OWN)
			return sdb_error_set(e, SDB_EINVAL,
					     "'delete-all' may only be used with a contentless or external content fts5 table");
		rc = del_index(w, d, e);
	} else if (!strcmp(z, "delete")) {
		if (d->content == FTS_CONTENT_OWN)
			return sdb_error_set(e, SDB_EINVAL,
					     "'delete' may only be used with a contentless or external content fts5 table");
		if (!has_rowid)
			return sdb_error_set(e, SDB_EINVAL, "SQL logic error");
		rc = index_row(w, d, row, rowid, 1, e);
	} else if (!strcmp(z, "optimize") || !strcmp(z, "merge") || !strcmp(z, "automerge") ||
		   !strcmp(z, "crisismerge") || !strcmp(z, "usermerge") || !strcmp(z, "pgsz") ||
		   !strcmp(z, "integrity-check"))
		rc = 0; /* the store merges on its own; nothing to tune */
	else
		return sdb_error_set(e, SDB_EINVAL, "SQL logic error");
	return rc ? rc : 1;
}

int sql_fts_drop(struct sql_wstate *w, const struct sql_table_def *t,
		 struct sdb_error *e)
{
	return t->fts ? del_index(w, t->fts, e) : 0;
}
