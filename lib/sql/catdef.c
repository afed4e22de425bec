/*
 * catdef.c - table, view and index definitions (catalog.h) built from
 * their CREATE texts, with SQLite's rules: affinity from the declared
 * type, INTEGER PRIMARY KEY as the rowid (not "INTEGER PRIMARY KEY DESC"
 * as a column constraint), automatic indexes for UNIQUE and a rowid
 * table's PRIMARY KEY named sqlite_autoindex_T_N, AUTOINCREMENT only on
 * the rowid, WITHOUT ROWID needing a PRIMARY KEY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/vec.h"
#include "sql/vecindex.h"
#include "sql/wint.h"

struct sql_objrec;
uint32_t sql_cat_objrec_id(const struct sql_objrec *recs, int nrecs,
			   const char *name);

static void *cat_alloc(struct sql_catalog *c, size_t n, struct sdb_error *e)
{
	void *p = sdb_sql_arena_alloc(&c->mem, n ? n : 1);

	if (!p)
		sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return p;
}

static int parse_one(struct sql_catalog *c, const char *sql,
		     struct sql_stmt **out, struct sdb_error *e)
{
	struct sdb_sql_parser p;
	int rc;

	sdb_sql_parser_init(&p, &c->mem, sql, strlen(sql));
	rc = sdb_sql_parse_next(&p, out, e);
	if (!rc && !*out)
		rc = sdb_error_set(e, SDB_ECORRUPT, "malformed SQL catalog: empty text");
	return rc;
}

/* The column named by an indexed term (a column, maybe under COLLATE). */
static const struct sql_expr *term_col(const struct sql_expr *x, const char **coll)
{
	*coll = NULL;
	while (x && x->kind == SQL_E_COLLATE) {
		if (!*coll)
			*coll = x->text;
		x = x->left;
	}
	return x && x->kind == SQL_E_COLUMN && !x->table.z ? x : NULL;
}

static int new_index(struct sql_catalog *c, struct sql_table_def *t, int n,
		     struct sql_index_def **out, struct sdb_error *e)
{
	struct sql_index_def *x = cat_alloc(c, sizeof(*x), e);

	if (!x)
		return SDB_ENOMEM;
	x->table = t;
	x->ncol = n;
	x->cols = cat_alloc(c, sizeof(int) * (size_t)n, e);
	x->exprs = cat_alloc(c, sizeof(*x->exprs) * (size_t)n, e);
	x->desc = cat_alloc(c, (size_t)n, e);
	x->coll = cat_alloc(c, sizeof(*x->coll) * (size_t)n, e);
	x->est_rows = 1000000;
	if (!x->cols || !x->exprs || !x->desc || !x->coll)
		return SDB_ENOMEM;
	*out = x;
	return 0;
}

static int tab_add_index(struct sql_catalog *c, struct sql_table_def *t,
			 struct sql_index_def *x, struct sdb_error *e)
{
	struct sql_index_def **nx = cat_alloc(c, sizeof(*nx) * (size_t)(t->nidx + 1), e);

	if (!nx)
		return SDB_ENOMEM;
	if (t->nidx)
		memcpy(nx, t->idx, sizeof(*nx) * (size_t)t->nidx);
	nx[t->nidx++] = x;
	t->idx = nx;
	return 0;
}

/* A UNIQUE / PRIMARY KEY over the same columns as an automatic index
 * already made adds nothing (SQLite drops it too). */
static int same_cols(const struct sql_index_def *x, const int *cols, int n)
{
	if (x->ncol != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (x->cols[i] != cols[i])
			return 0;
	return 1;
}

struct autoidx {
	int cols[64];
	uint8_t desc[64];
	const char *coll[64];
	int n;
	int origin;
	int conflict;
};

static int make_auto(struct sql_catalog *c, struct sql_table_def *t,
		     const struct autoidx *a, int *seq,
		     const struct sql_objrec *recs, int nrecs, struct sdb_error *e)
{
	struct sql_index_def *x;
	char name[600];
	int rc;

	for (int i = 0; i < t->nidx; i++)
		if (same_cols(t->idx[i], a->cols, a->n))
			return 0;
	if ((rc = new_index(c, t, a->n, &x, e)))
		return rc;
	for (int i = 0; i < a->n; i++) {
		x->cols[i] = a->cols[i];
		x->desc[i] = a->desc[i];
		x->coll[i] = t->cols[a->cols[i]].coll;
		if (a->coll[i] && (rc = sql_w_coll(a->coll[i], &x->coll[i], e)))
			return rc;
	}
	x->unique = 1;
	x->origin = (uint8_t)a->origin;
	x->conflict = a->conflict;
	snprintf(name, sizeof(name), "sqlite_autoindex_%s_%d", t->name, ++*seq);
	if (!(x->name = sql_cat_strdup(c, name)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	if (recs) {
		x->id = sql_cat_objrec_id(recs, nrecs, name);
		if (!x->id)
			return sdb_error_set(e, SDB_ECORRUPT,
					     "malformed SQL catalog: no record of %s", name);
	} else
		x->id = c->next_id++;
	return tab_add_index(c, t, x, e);
}

static int fk_action(const char *clauses, const char *on)
{
	char pat[64];
	static const char *const acts[] = { "NO ACTION", "RESTRICT", "SET NULL", "SET DEFAULT", "CASCADE" };

	if (!clauses)
		return 0;
	for (int i = 0; i < 5; i++) {
		snprintf(pat, sizeof(pat), "ON %s %s", on, acts[i]);
		if (strstr(clauses, pat))
			return i;
	}
	return 0;
}

static int add_fk(struct sql_catalog *c, struct sql_table_def *t,
		  const int *cols, int n, const struct sql_fkey *fk,
		  struct sdb_error *e)
{
	struct sql_fkey_def *nf = cat_alloc(c, sizeof(*nf) * (size_t)(t->nfks + 1), e);
	struct sql_fkey_def *f;

	if (!nf)
		return SDB_ENOMEM;
	if (t->nfks)
		memcpy(nf, t->fks, sizeof(*nf) * (size_t)t->nfks);
	t->fks = nf;
	f = &nf[t->nfks++];
	memset(f, 0, sizeof(*f));
	f->ncol = n;
	f->cols = cat_alloc(c, sizeof(int) * (size_t)n, e);
	if (!f->cols)
		return SDB_ENOMEM;
	memcpy(f->cols, cols, sizeof(int) * (size_t)n);
	f->parent = sql_cat_strdup(c, fk->table.z);
	if (fk->ncols) {
		f->pcols = cat_alloc(c, sizeof(char *) * (size_t)fk->ncols, e);
		if (!f->pcols)
			return SDB_ENOMEM;
		for (int i = 0; i < fk->ncols; i++)
			f->pcols[i] = (char *)fk->cols[i].z;
	}
	f->on_delete = fk_action(fk->clauses, "DELETE");
	f->on_update = fk_action(fk->clauses, "UPDATE");
	return 0;
}

static int add_check(struct sql_catalog *c, struct sql_table_def *t,
		     const struct sql_constraint *k, struct sdb_error *e)
{
	struct sql_check_def *nc = cat_alloc(c, sizeof(*nc) * (size_t)(t->nchecks + 1), e);

	if (!nc)
		return SDB_ENOMEM;
	if (t->nchecks)
		memcpy(nc, t->checks, sizeof(*nc) * (size_t)t->nchecks);
	nc[t->nchecks].name = (char *)k->name.z;
	nc[t->nchecks].e = k->e;
	t->checks = nc;
	t->nchecks++;
	return 0;
}

static int is_integer_type(const char *type)
{
	return type && !strcasecmp(type, "INTEGER");
}

int sql_cat_build_table(struct sql_catalog *c, const char *sql, uint32_t id,
			const struct sql_objrec *recs, int nrecs,
			struct sql_table_def **out, struct sdb_error *e)
{
	struct sql_stmt *st;
	struct sql_table_def *t;
	struct autoidx *ai = NULL;
	int nai = 0, seq = 0, rc, pk_seen = 0, pk_conflict = 0, pk_col_desc = 0;
	int pk_from_col = 0;

	if ((rc = parse_one(c, sql, &st, e)))
		return rc;
	if (!(t = cat_alloc(c, sizeof(*t), e)))
		return SDB_ENOMEM;
	t->name = (char *)st->name.z;
	t->id = id;
	t->sql = (char *)sql;
	t->ipk = -1;
	t->est_rows = 1000000;
	if (st->kind == SQL_S_CREATE_VIEW) {
		t->is_view = 1;
		t->view = st->select;
		t->view_cols = st->cols;
		t->nview_cols = st->ncols;
		*out = t;
		return 0;
	}
	if (st->kind == SQL_S_CREATE_VTABLE) {
		*out = t;
		return sql_fts_build(c, st, t, e);
	}
	if (st->kind != SQL_S_CREATE_TABLE)
		return sdb_error_set(e, SDB_ECORRUPT, "malformed SQL catalog: not a CREATE TABLE");
	if (st->select)
		return sdb_error_set(e, SDB_ECORRUPT,
				     "malformed SQL catalog: CREATE TABLE AS kept as text");
	t->without_rowid = st->without_rowid;
	t->ncol = st->ncolumns;
	t->cols = cat_alloc(c, sizeof(*t->cols) * (size_t)(t->ncol ? t->ncol : 1), e);
	t->pk = cat_alloc(c, sizeof(int) * 64, e);
	t->pk_desc = cat_alloc(c, 64, e);
	ai = calloc((size_t)(st->ncolumns + st->ntcons + 1), sizeof(*ai));
	if (!t->cols || !t->pk || !t->pk_desc || !ai) {
		free(ai);
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	/* columns and their constraints */
	for (int i = 0; i < st->ncolumns; i++) {
		const struct sql_column *col = st->columns[i];
		struct sql_col_def *cd = &t->cols[i];

		for (int j = 0; j < i; j++)
			if (sql_name_eq(t->cols[j].name, col->name.z)) {
				rc = sdb_error_set(e, SDB_EINVAL, "duplicate column name: %s", col->name.z);
				goto fail;
			}
		cd->name = (char *)col->name.z;
		cd->type = (char *)col->type;
		cd->aff = sql_w_affinity(col->type);
		if ((rc = sql_vec_decl(col->type, cd->name, &cd->vec_dim, e)))
			goto fail;
		if (cd->vec_dim)
			cd->aff = SQL_AFF_BLOB;
		for (int k = 0; k < col->ncons; k++) {
			const struct sql_constraint *cn = col->cons[k];
			switch (cn->kind) {
			case SQL_CONS_PRIMARY:
				if (pk_seen) {
					rc = sdb_error_set(e, SDB_EINVAL,
							   "table \"%s\" has more than one primary key", t->name);
					goto fail;
				}
				pk_seen = 1;
				pk_from_col = 1;
				pk_col_desc = cn->desc;
				pk_conflict = cn->conflict;
				t->npk = 1;
				t->pk[0] = i;
				t->pk_desc[0] = cn->desc;
				t->autoinc = cn->autoinc;
				break;
			case SQL_CONS_NOTNULL:
				cd->notnull = 1;
				cd->notnull_conflict = cn->conflict;
				break;
			case SQL_CONS_UNIQUE:
				ai[nai].cols[0] = i;
				ai[nai].n = 1;
				ai[nai].origin = 'u';
				ai[nai].conflict = cn->conflict;
				nai++;
				break;
			case SQL_CONS_CHECK:
				if ((rc = add_check(c, t, cn, e)))
					goto fail;
				break;
			case SQL_CONS_DEFAULT:
				cd->dflt = cn->e;
				break;
			case SQL_CONS_COLLATE:
				if ((rc = sql_w_coll(cn->text, &cd->coll, e)))
					goto fail;
				break;
			case SQL_CONS_REFERENCES:
				if ((rc = add_fk(c, t, &i, 1, &cn->fk, e)))
					goto fail;
				break;
			case SQL_CONS_GENERATED:
				rc = sdb_error_set(e, SDB_EUNSUPPORTED,
						   "generated columns are not supported");
				goto fail;
			default:
				break;
			}
		}
	}
	/* table constraints */
	for (int k = 0; k < st->ntcons; k++) {
		const struct sql_constraint *cn = st->tcons[k];
		int cols[64];

		if (cn->kind == SQL_CONS_CHECK) {
			if ((rc = add_check(c, t, cn, e)))
				goto fail;
			continue;
		}
		if (cn->kind == SQL_CONS_FOREIGN) {
			if (cn->nfcols > 64) {
				rc = sdb_error_set(e, SDB_ELIMIT, "too many columns in a foreign key");
				goto fail;
			}
			for (int j = 0; j < cn->nfcols; j++) {
				cols[j] = sql_table_column(t, cn->fcols[j].z);
				if (cols[j] < 0) {
					rc = sdb_error_set(e, SDB_ENOTFOUND,
							   "unknown column \"%s\" in foreign key definition",
							   cn->fcols[j].z);
					goto fail;
				}
			}
			if ((rc = add_fk(c, t, cols, cn->nfcols, &cn->fk, e)))
				goto fail;
			continue;
		}
		if (cn->kind != SQL_CONS_PRIMARY && cn->kind != SQL_CONS_UNIQUE)
			continue;
		if (cn->ncols > 64) {
			rc = sdb_error_set(e, SDB_ELIMIT, "too many columns in a key");
			goto fail;
		}
		for (int j = 0; j < cn->ncols; j++) {
			const char *coll;
			const struct sql_expr *x = term_col(cn->cols[j]->e, &coll);
			int ci = x ? sql_table_column(t, x->name.z) : -2;
			if (!x) {
				rc = sdb_error_set(e, SDB_EUNSUPPORTED,
						   "expressions prohibited in PRIMARY KEY and UNIQUE constraints");
				goto fail;
			}
			if (ci < 0) {
				rc = sdb_error_set(e, SDB_ENOTFOUND, "no such column: %s", x->name.z);
				goto fail;
			}
			ai[nai].cols[j] = ci;
			ai[nai].desc[j] = cn->cols[j]->desc;
			ai[nai].coll[j] = coll;
		}
		ai[nai].n = cn->ncols;
		ai[nai].conflict = cn->conflict;
		if (cn->kind == SQL_CONS_PRIMARY) {
			if (pk_seen) {
				rc = sdb_error_set(e, SDB_EINVAL,
						   "table \"%s\" has more than one primary key", t->name);
				goto fail;
			}
			pk_seen = 1;
			pk_conflict = cn->conflict;
			t->npk = cn->ncols;
			memcpy(t->pk, ai[nai].cols, sizeof(int) * (size_t)cn->ncols);
			memcpy(t->pk_desc, ai[nai].desc, (size_t)cn->ncols);
			t->autoinc = cn->autoinc;
			continue; /* made below */
		}
		ai[nai].origin = 'u';
		nai++;
	}
	for (int i = 0; i < t->npk; i++)
		if (t->without_rowid)
			t->cols[t->pk[i]].notnull = 1;
	/* the rowid alias */
	if (!t->without_rowid && t->npk == 1 && is_integer_type(t->cols[t->pk[0]].type) &&
	    !(pk_from_col && pk_col_desc))
		t->ipk = t->pk[0];
	if (t->autoinc && t->ipk < 0) {
		rc = sdb_error_set(e, SDB_EINVAL,
				   "AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY");
		goto fail;
	}
	if (t->without_rowid && !t->npk) {
		rc = sdb_error_set(e, SDB_EINVAL, "PRIMARY KEY missing on table %s", t->name);
		goto fail;
	}
	/* automatic indexes: the PRIMARY KEY first when it is not the rowid,
	 * then the UNIQUE constraints, in the order written */
	t->pk_conflict = pk_conflict;
	if (t->npk && t->ipk < 0 && t->without_rowid)
		seq++; /* the table's own key: sqlite_autoindex_T_1 names it */
	else if (t->npk && t->ipk < 0) {
		struct autoidx pa;
		memset(&pa, 0, sizeof(pa));
		pa.n = t->npk;
		memcpy(pa.cols, t->pk, sizeof(int) * (size_t)t->npk);
		memcpy(pa.desc, t->pk_desc, (size_t)t->npk);
		pa.origin = 'p';
		pa.conflict = pk_conflict;
		if ((rc = make_auto(c, t, &pa, &seq, recs, nrecs, e)))
			goto fail;
	}
	for (int i = 0; i < nai; i++)
		if ((rc = make_auto(c, t, &ai[i], &seq, recs, nrecs, e)))
			goto fail;
	/* constant defaults, with the column's affinity */
	for (int i = 0; i < t->ncol; i++) {
		struct sql_col_def *cd = &t->cols[i];
		if (!cd->dflt)
			continue;
		if (cd->dflt->kind == SQL_E_CTIME) {
			cd->dflt_ctime = 1;
			continue;
		}
		rc = sql_w_const(cd->dflt, &c->mem, &cd->dflt_value);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			cd->dflt_const = 1;
			if ((rc = sql_w_apply_aff(&cd->dflt_value, cd->aff, &c->mem)))
				goto fail;
		}
		rc = 0;
	}
	free(ai);
	*out = t;
	return 0;
fail:
	free(ai);
	return rc;
}

int sql_cat_build_index(struct sql_catalog *c, const char *sql, uint32_t id,
			struct sql_index_def **out, struct sdb_error *e)
{
	struct sql_stmt *st;
	struct sql_table_def *t;
	struct sql_index_def *x;
	int rc;

	if ((rc = parse_one(c, sql, &st, e)))
		return rc;
	if (st->kind != SQL_S_CREATE_INDEX)
		return sdb_error_set(e, SDB_ECORRUPT, "malformed SQL catalog: not a CREATE INDEX");
	t = sql_catalog_table(c, st->name2.z);
	if (!t || t->is_view)
		return sdb_error_set(e, SDB_ENOTFOUND, "no such table: %s", st->name2.z);
	if ((rc = new_index(c, t, st->norder, &x, e)))
		return rc;
	x->name = (char *)st->name.z;
	x->id = id;
	x->unique = st->unique;
	x->origin = 'c';
	x->where = st->where;
	x->sql = (char *)sql;
	for (int i = 0; i < st->norder; i++) {
		const char *coll;
		const struct sql_expr *cx = term_col(st->order[i]->e, &coll);
		int ci = cx ? sql_table_column(t, cx->name.z) : -2;
		if (cx && ci == -2 && !cx->name.dq)
			return sdb_error_set(e, SDB_ENOTFOUND, "no such column: %s", cx->name.z);
		x->desc[i] = st->order[i]->desc;
		if (cx && ci != -2) {
			x->cols[i] = ci;
			x->coll[i] = ci >= 0 ? t->cols[ci].coll : SQL_COLL_BINARY;
		} else {
			x->cols[i] = -2;
			x->exprs[i] = st->order[i]->e;
			x->coll[i] = SQL_COLL_BINARY;
		}
		if (coll && (rc = sql_w_coll(coll, &x->coll[i], e)))
			return rc;
	}
	if (st->using_.z && !strcasecmp(st->using_.z, "hnsw")) {
		struct sql_hnsw_def d;
		if ((rc = sql_hnsw_parse(st, t, st->norder == 1 ? x->cols[0] : -1, &d, e)))
			return rc;
		if (!(x->hnsw = cat_alloc(c, sizeof(*x->hnsw), e)))
			return e->code;
		*x->hnsw = d;
	}
	if ((rc = tab_add_index(c, t, x, e)))
		return rc;
	*out = x;
	return 0;
}
