/*
 * catalog.c - the schema in memory (catalog.h) and in the store.
 *
 * DESIGN. In namespace SQL_NS, under the tuple prefix (0):
 *   (0)                 meta: record [format 1, next id, schema version]
 *   (0, id)             one object: record [type, name, tbl_name, sql,
 *                       est_rows] -- type 'table', 'index' or 'view'; sql
 *                       the CREATE text as sqlite_schema shows it (NULL
 *                       for automatic indexes); est_rows ANALYZE's
 *                       estimate or NULL
 *   (0, 'seq', name)    AUTOINCREMENT: record [largest rowid handed out]
 * The catalog is rebuilt at load by parsing each CREATE text again, as
 * SQLite does with sqlite_schema; automatic indexes (UNIQUE, PRIMARY KEY
 * of rowid tables) come from their table's text and take their ids from
 * their records by name. Ids come from the one counter and are never
 * reused; every DDL bumps the version, which is how other connections
 * notice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/wint.h"
#include "store/txn.h"

#define CAT_FORMAT 1

struct sql_objrec {
	uint32_t id;
	char type[8];
	const char *name, *tbl, *sql;
	double est;
	int has_est;
};

struct sql_catalog *sql_cat_new(void)
{
	struct sql_catalog *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	sdb_sql_arena_init(&c->mem);
	c->next_id = 1;
	return c;
}

void sql_cat_free(struct sql_catalog *c)
{
	if (!c)
		return;
	sdb_sql_arena_release(&c->mem);
	free(c->tabs);
	free(c->idxs);
	free(c);
}

int sql_name_eq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

char *sql_cat_strdup(struct sql_catalog *c, const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s);
	d = sdb_sql_arena_alloc(&c->mem, n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

/* ---------------------------------------------------------- lookups */

struct sql_table_def *sql_catalog_table(struct sql_catalog *cat, const char *name)
{
	if (cat->sys_schema && (sql_name_eq(name, "sqlite_schema") || sql_name_eq(name, "sqlite_master")))
		return cat->sys_schema;
	for (int i = 0; i < cat->ntab; i++)
		if (sql_name_eq(cat->tabs[i]->name, name))
			return cat->tabs[i];
	return NULL;
}

struct sql_index_def *sql_catalog_index(struct sql_catalog *cat, const char *name)
{
	for (int i = 0; i < cat->nidx; i++)
		if (sql_name_eq(cat->idxs[i]->name, name))
			return cat->idxs[i];
	return NULL;
}

int sql_table_column(const struct sql_table_def *t, const char *name)
{
	for (int i = 0; i < t->ncol; i++)
		if (sql_name_eq(t->cols[i].name, name))
			return i;
	if (!t->without_rowid && !t->is_view &&
	    (sql_name_eq(name, "rowid") || sql_name_eq(name, "oid") ||
	     sql_name_eq(name, "_rowid_")))
		return -1;
	return -2;
}

int sql_catalog_count(struct sql_catalog *cat) { return cat->ntab; }
struct sql_table_def *sql_catalog_nth(struct sql_catalog *cat, int i)
{
	return i >= 0 && i < cat->ntab ? cat->tabs[i] : NULL;
}
int sql_catalog_index_count(struct sql_catalog *cat) { return cat->nidx; }
struct sql_index_def *sql_catalog_index_nth(struct sql_catalog *cat, int i)
{
	return i >= 0 && i < cat->nidx ? cat->idxs[i] : NULL;
}
uint64_t sql_catalog_version(const struct sql_catalog *cat) { return cat->gen; }

int sql_cat_name_taken(struct sql_catalog *c, const char *name, const char **type)
{
	struct sql_table_def *t = sql_catalog_table(c, name);

	if (t) {
		*type = t->is_view ? "view" : "table";
		return 1;
	}
	if (sql_catalog_index(c, name)) {
		*type = "index";
		return 1;
	}
	return 0;
}

/* ------------------------------------------------- membership in memory */

static int grow(void **arr, int *cap, int n, size_t el)
{
	void *p;
	int nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*arr, (size_t)nc * el);
	if (!p)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

int sql_cat_add(struct sql_catalog *c, struct sql_table_def *t, struct sdb_error *e)
{
	int i;

	if (grow((void **)&c->tabs, &c->captab, c->ntab, sizeof(*c->tabs)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	for (i = c->ntab; i > 0 && c->tabs[i - 1]->id > t->id; i--)
		c->tabs[i] = c->tabs[i - 1];
	c->tabs[i] = t;
	c->ntab++;
	for (int k = 0; k < t->nidx; k++) {
		int rc = sql_cat_add_index(c, t->idx[k], e);
		if (rc)
			return rc;
	}
	c->gen++;
	return 0;
}

int sql_cat_add_index(struct sql_catalog *c, struct sql_index_def *x, struct sdb_error *e)
{
	int i;

	for (i = 0; i < c->nidx; i++)
		if (c->idxs[i] == x)
			return 0;
	if (grow((void **)&c->idxs, &c->capidx, c->nidx, sizeof(*c->idxs)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	for (i = c->nidx; i > 0 && c->idxs[i - 1]->id > x->id; i--)
		c->idxs[i] = c->idxs[i - 1];
	c->idxs[i] = x;
	c->nidx++;
	c->gen++;
	return 0;
}

void sql_cat_remove_index(struct sql_catalog *c, struct sql_index_def *x)
{
	struct sql_table_def *t = x->table;

	for (int i = 0; i < c->nidx; i++)
		if (c->idxs[i] == x) {
			memmove(&c->idxs[i], &c->idxs[i + 1],
				(size_t)(c->nidx - i - 1) * sizeof(*c->idxs));
			c->nidx--;
			break;
		}
	if (t)
		for (int i = 0; i < t->nidx; i++)
			if (t->idx[i] == x) {
				memmove(&t->idx[i], &t->idx[i + 1],
					(size_t)(t->nidx - i - 1) * sizeof(*t->idx));
				t->nidx--;
				break;
			}
	c->gen++;
}

void sql_cat_remove_table(struct sql_catalog *c, struct sql_table_def *t)
{
	while (t->nidx)
		sql_cat_remove_index(c, t->idx[t->nidx - 1]);
	for (int i = 0; i < c->ntab; i++)
		if (c->tabs[i] == t) {
			memmove(&c->tabs[i], &c->tabs[i + 1],
				(size_t)(c->ntab - i - 1) * sizeof(*c->tabs));
			c->ntab--;
			break;
		}
	c->gen++;
}

/* ------------------------------------------------------- CREATE texts */

char *sql_cat_create_text(struct sql_catalog *c, const struct sql_stmt *st,
			  const char *src, struct sdb_error *e)
{
	struct sdb_sql_lexer lx;
	struct sdb_sql_token tk;
	const char *head;
	size_t from = 0, hl, n;
	char *out;
	int rc;

	switch (st->kind) {
	case SQL_S_CREATE_TABLE: head = "CREATE TABLE "; break;
	case SQL_S_CREATE_VIEW: head = "CREATE VIEW "; break;
	case SQL_S_CREATE_VTABLE: head = "CREATE VIRTUAL TABLE "; break;
	case SQL_S_CREATE_INDEX: head = st->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX "; break;
	default: head = "";
	}
	sdb_sql_lexer_init(&lx, src + st->off, st->len);
	/* CREATE [TEMP] [UNIQUE] TABLE|INDEX|VIEW [IF NOT EXISTS] name */
	for (;;) {
		if ((rc = sdb_sql_lexer_next(&lx, &tk, e)))
			return NULL;
		if (tk.type == SQL_TK_EOF)
			break;
		if (tk.type == SQL_TK_KEYWORD &&
		    (tk.kw == SQL_KW_CREATE || tk.kw == SQL_KW_TEMP ||
		     tk.kw == SQL_KW_TEMPORARY || tk.kw == SQL_KW_UNIQUE ||
		     tk.kw == SQL_KW_TABLE || tk.kw == SQL_KW_INDEX ||
		     tk.kw == SQL_KW_VIEW || tk.kw == SQL_KW_IF || tk.kw == SQL_KW_VIRTUAL ||
		     tk.kw == SQL_KW_NOT || tk.kw == SQL_KW_EXISTS))
			continue;
		from = tk.off;
		break;
	}
	hl = strlen(head);
	n = st->len - from;
	out = sdb_sql_arena_alloc(&c->mem, hl + n + 1);
	if (!out) {
		sdb_error_set(e, SDB_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(out, head, hl);
	memcpy(out + hl, src + st->off + from, n);
	out[hl + n] = 0;
	return out;
}

/* ------------------------------------------------------ the store side */

static void key_meta(struct sdb_buf *b)
{
	sql_key_head(b);
	sql_key_add_int(b, 0);
}

static void key_obj(struct sdb_buf *b, uint32_t id)
{
	key_meta(b);
	sql_key_add_int(b, id);
}

int sql_cat_put_meta(struct sql_wstate *w, struct sdb_error *e)
{
	struct sql_catalog *c = w->cat;
	struct sql_value v[3];

	c->version++;
	c->gen++;
	v[0] = sql_int(CAT_FORMAT);
	v[1] = sql_int(c->next_id);
	v[2] = sql_int((int64_t)c->version);
	key_meta(&w->kbuf);
	sdb_buf_reset(&w->vbuf);
	sql_record_encode(&w->vbuf, v, 3);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->vbuf))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return sdb_txn_put(w->txn, w->kbuf.data, w->kbuf.len, w->vbuf.data,
			   w->vbuf.len, 0, e);
}

static int put_obj(struct sql_wstate *w, uint32_t id, const char *type,
		   const char *name, const char *tbl, const char *sql,
		   double est, int has_est, struct sdb_error *e)
{
	struct sql_value v[5];

	v[0] = sql_text(type, strlen(type));
	v[1] = sql_text(name, strlen(name));
	v[2] = sql_text(tbl, strlen(tbl));
	v[3] = sql ? sql_text(sql, strlen(sql)) : sql_null();
	v[4] = has_est ? sql_real(est) : sql_null();
	key_obj(&w->kbuf, id);
	sdb_buf_reset(&w->vbuf);
	sql_record_encode(&w->vbuf, v, 5);
	if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->vbuf))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return sdb_txn_put(w->txn, w->kbuf.data, w->kbuf.len, w->vbuf.data,
			   w->vbuf.len, 0, e);
}

int sql_cat_put_index(struct sql_wstate *w, const struct sql_index_def *x,
		      struct sdb_error *e)
{
	return put_obj(w, x->id, "index", x->name, x->table->name, x->sql,
		       x->est_rows, x->analyzed, e);
}

int sql_cat_put_table(struct sql_wstate *w, const struct sql_table_def *t,
		      struct sdb_error *e)
{
	int rc = put_obj(w, t->id, t->is_view ? "view" : "table", t->name,
			 t->name, t->sql, t->est_rows, t->analyzed, e);

	for (int i = 0; !rc && i < t->nidx; i++)
		if (!t->idx[i]->sql)
			rc = sql_cat_put_index(w, t->idx[i], e);
	return rc;
}

int sql_cat_del_obj(struct sql_wstate *w, uint32_t id, struct sdb_error *e)
{
	key_obj(&w->kbuf, id);
	if (!sdb_buf_ok(&w->kbuf))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return sdb_txn_del(w->txn, w->kbuf.data, w->kbuf.len, e);
}

int sql_cat_stored_version(struct sdb_txn *t, uint64_t *version,
			   struct sdb_error *e)
{
	struct sdb_buf k = SDB_BUF_INIT;
	struct sdb_val v;
	struct sql_value cells[3];
	int n = 0, rc;

	*version = 0;
	key_meta(&k);
	if (!sdb_buf_ok(&k))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = sdb_txn_get(t, k.data, k.len, &v, e);
	sdb_buf_release(&k);
	if (rc == SDB_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if ((rc = sql_record_decode(v.data, v.len, cells, 3, &n, e)))
		return rc;
	if (n < 3 || cells[2].type != SQLV_INT)
		return sdb_error_set(e, SDB_ECORRUPT, "malformed SQL catalog");
	*version = (uint64_t)cells[2].u.i;
	return 0;
}

static char *text_dup(struct sql_catalog *c, const struct sql_value *v)
{
	char *d;

	if (v->type != SQLV_TEXT)
		return NULL;
	d = sdb_sql_arena_alloc(&c->mem, v->n + 1);
	if (d) {
		memcpy(d, v->u.z, v->n);
		d[v->n] = 0;
	}
	return d;
}

static int bad_cat(struct sdb_error *e, const char *what)
{
	return sdb_error_set(e, SDB_ECORRUPT, "malformed SQL catalog: %s", what);
}

int sql_cat_read(struct sdb_txn *t, struct sql_catalog **out, struct sdb_error *e)
{
	struct sql_catalog *c = sql_cat_new();
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	struct sdb_txn_iter *it = NULL;
	struct sql_objrec *recs = NULL;
	int nrecs = 0, caprecs = 0, rc = 0;

	*out = NULL;
	if (!c)
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (!t)
		goto done;
	key_meta(&lo);
	sdb_buf_add(&hi, lo.data, lo.len);
	sdb_prefix_succ(&hi);
	if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi)) {
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = sdb_txn_iter_open(t, lo.data, lo.len, hi.data, hi.len, 0, &it, e)))
		goto done;
	for (;;) {
		const unsigned char *k;
		size_t kn;
		struct sdb_val v;
		struct sql_value cells[5];
		struct sdb_tv el;
		int n = 0;
		size_t pos;
		long m;

		rc = sdb_txn_iter_next(it, &k, &kn, &v, e);
		if (rc <= 0)
			break;
		rc = 0;
		if ((rc = sql_record_decode(v.data, v.len, cells, 5, &n, e)))
			break;
		if (kn == lo.len) { /* meta */
			if (n < 3 || cells[0].type != SQLV_INT || cells[1].type != SQLV_INT ||
			    cells[2].type != SQLV_INT) {
				rc = bad_cat(e, "meta record");
				break;
			}
			if (cells[0].u.i > CAT_FORMAT) {
				rc = sdb_error_set(e, SDB_EVERSION,
						   "SQL catalog format %lld is newer than this sochdb-sql (%d)",
						   (long long)cells[0].u.i, CAT_FORMAT);
				break;
			}
			c->next_id = (uint32_t)cells[1].u.i;
			c->version = (uint64_t)cells[2].u.i;
			continue;
		}
		pos = lo.len;
		if (k[pos] == SDB_TUPLE_TEXT)
			continue; /* (0, 'seq', name) and later kinds */
		m = sdb_tuple_decode1(k + pos, kn - pos, 0, 0, &el, NULL, e);
		if (m <= 0) {
			rc = bad_cat(e, "key");
			break;
		}
		if (el.type != SDB_TV_INT)
			continue; /* (0, 'seq', name) and later kinds */
		if (n < 4 || cells[0].type != SQLV_TEXT || cells[1].type != SQLV_TEXT ||
		    cells[2].type != SQLV_TEXT) {
			rc = bad_cat(e, "object record");
			break;
		}
		if (grow((void **)&recs, &caprecs, nrecs, sizeof(*recs))) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			break;
		}
		memset(&recs[nrecs], 0, sizeof(recs[nrecs]));
		recs[nrecs].id = (uint32_t)el.i;
		snprintf(recs[nrecs].type, sizeof(recs[nrecs].type), "%.*s",
			 (int)cells[0].n, cells[0].u.z);
		recs[nrecs].name = text_dup(c, &cells[1]);
		recs[nrecs].tbl = text_dup(c, &cells[2]);
		recs[nrecs].sql = text_dup(c, &cells[3]);
		if (n > 4 && cells[4].type == SQLV_REAL) {
			recs[nrecs].est = cells[4].u.r;
			recs[nrecs].has_est = 1;
		}
		if (!recs[nrecs].name || !recs[nrecs].tbl) {
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
			break;
		}
		nrecs++;
	}
	sdb_txn_iter_close(it);
	if (rc)
		goto done;
	/* tables and views first (ids in creation order), then indexes */
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (int i = 0; i < nrecs && !rc; i++) {
			struct sql_objrec *r = &recs[i];
			int is_idx = !strcmp(r->type, "index");
			if (is_idx != pass)
				continue;
			if (!is_idx) {
				struct sql_table_def *td;
				if (!r->sql) {
					rc = bad_cat(e, "table without text");
					break;
				}
				if ((rc = sql_cat_build_table(c, r->sql, r->id, recs, nrecs, &td, e)))
					break;
				if (r->has_est) {
					td->est_rows = r->est;
					td->analyzed = 1;
				}
				rc = sql_cat_add(c, td, e);
			} else if (r->sql) {
				struct sql_index_def *x;
				if ((rc = sql_cat_build_index(c, r->sql, r->id, &x, e)))
					break;
				if (r->has_est) {
					x->est_rows = r->est;
					x->analyzed = 1;
				}
				rc = sql_cat_add_index(c, x, e);
			} else {
				struct sql_index_def *x = sql_catalog_index(c, r->name);
				if (x && r->has_est) {
					x->est_rows = r->est;
					x->analyzed = 1;
				}
			}
		}
done:
	free(recs);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	if (rc) {
		sql_cat_free(c);
		return rc;
	}
	{
		static const char sys[] = "CREATE TABLE sqlite_schema(type text, name text, "
			"tbl_name text, rootpage int, sql text)";
		char *text = sql_cat_strdup(c, sys);
		if (!text || (rc = sql_cat_build_table(c, text, SQL_SCHEMA_ID, NULL, 0,
							 &c->sys_schema, e))) {
			sql_cat_free(c);
			return rc ? rc : sdb_error_set(e, SDB_ENOMEM, "out of memory");
		}
		c->sys_schema->is_system = 1;
	}
	c->gen = 1;
	*out = c;
	return 0;
}

int sql_cat_write_schema_rows(struct sql_wstate *w, struct sdb_error *e)
{
	struct sql_rows r;
	struct sdb_buf lo = SDB_BUF_INIT, hi = SDB_BUF_INIT;
	int rc;

	sql_rows_init(&r);
	sql_obj_prefix(&lo, SQL_SCHEMA_ID);
	sql_obj_end(&hi, SQL_SCHEMA_ID);
	if (!sdb_buf_ok(&lo) || !sdb_buf_ok(&hi))
		rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
	else
		rc = sdb_txn_del_range(w->txn, lo.data, lo.len, hi.data, hi.len, e);
	if (!rc)
		rc = sql_schema_rows(w, &r, e);
	for (long i = 0; !rc && i < r.nrow; i++) {
		sql_rowkey_rowid(&w->kbuf, SQL_SCHEMA_ID, i + 1);
		sdb_buf_reset(&w->vbuf);
		sql_record_encode(&w->vbuf, &r.v[i * r.ncol], r.ncol);
		if (!sdb_buf_ok(&w->kbuf) || !sdb_buf_ok(&w->vbuf))
			rc = sdb_error_set(e, SDB_ENOMEM, "out of memory");
		else
			rc = sdb_txn_put(w->txn, w->kbuf.data, w->kbuf.len, w->vbuf.data, w->vbuf.len, 0, e);
	}
	sql_rows_release(&r);
	sdb_buf_release(&lo);
	sdb_buf_release(&hi);
	return rc;
}

uint32_t sql_cat_objrec_id(const struct sql_objrec *recs, int nrecs,
			   const char *name);
uint32_t sql_cat_objrec_id(const struct sql_objrec *recs, int nrecs,
			   const char *name)
{
	for (int i = 0; i < nrecs; i++)
		if (!strcmp(recs[i].type, "index") && sql_name_eq(recs[i].name, name))
			return recs[i].id;
	return 0;
}
