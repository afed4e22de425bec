/*
 * wtxn.c - the storage side of a connection: opening the store, the
 * transaction of each statement and of BEGIN ... COMMIT, savepoints,
 * the dispatch of every statement that is not a SELECT, and the row
 * buffer write statements return rows through. write.h has the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/vecindex.h"
#include "sql/wint.h"

/* ------------------------------------------------------------- rows */

void sql_rows_init(struct sql_rows *r)
{
	memset(r, 0, sizeof(*r));
	sdb_sql_arena_init(&r->mem);
}

void sql_rows_reset(struct sql_rows *r)
{
	free(r->v);
	sdb_sql_arena_release(&r->mem);
	sql_rows_init(r);
}

void sql_rows_release(struct sql_rows *r)
{
	sql_rows_reset(r);
}

static char *rows_dup(struct sql_rows *r, const char *s)
{
	size_t n = strlen(s);
	char *d = sdb_sql_arena_alloc(&r->mem, n + 1);

	if (d)
		memcpy(d, s, n + 1);
	return d;
}

int sql_rows_columns(struct sql_rows *r, int ncol, const char *const *names)
{
	r->ncol = ncol;
	r->names = sdb_sql_arena_alloc(&r->mem, sizeof(char *) * (size_t)(ncol + 1));
	if (!r->names)
		return SDB_ENOMEM;
	for (int i = 0; i < ncol; i++)
		if (!(r->names[i] = rows_dup(r, names[i])))
			return SDB_ENOMEM;
	return 0;
}

int sql_rows_add(struct sql_rows *r, const struct sql_value *v)
{
	struct sql_value *row;

	if ((r->nrow + 1) * r->ncol > r->cap) {
		long nc = r->cap ? r->cap * 2 : 64;
		struct sql_value *nv;
		while (nc < (r->nrow + 1) * r->ncol)
			nc *= 2;
		nv = realloc(r->v, sizeof(*nv) * (size_t)nc);
		if (!nv)
			return SDB_ENOMEM;
		r->v = nv;
		r->cap = nc;
	}
	row = &r->v[r->nrow * r->ncol];
	for (int i = 0; i < r->ncol; i++) {
		row[i] = v[i];
		if (sql_w_copy(&row[i], &r->mem))
			return SDB_ENOMEM;
	}
	r->nrow++;
	return 0;
}

int sql_w_copy(struct sql_value *v, struct sdb_sql_arena *mem)
{
	char *d;

	if (v->type != SQLV_TEXT && v->type != SQLV_BLOB)
		return 0;
	d = sdb_sql_arena_alloc(mem, v->n + 1);
	if (!d)
		return SDB_ENOMEM;
	memcpy(d, v->u.z, v->n);
	v->u.z = d;
	return 0;
}

/* ------------------------------------------------------------ store */

static int open_db(struct sql_wstate *w, unsigned flags, struct sdb_error *e)
{
	struct sdb_db *db;
	int rc = sdb_db_open(w->dir, flags, &w->so, &db, e);

	if (rc)
		return rc;
	sdb_db_close(w->db);
	w->db = db;
	w->writer = !!(flags & SDB_OPEN_WRITE);
	return 0;
}

int sql_store_open(struct sql_wstate *w, const struct sql_open_opts *o,
		   struct sdb_error *e)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->stmt_sp = -1;
	w->readonly = o->readonly;
	w->so = o->store;
	if (!(w->dir = strdup(o->dir)))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	rc = open_db(w, SDB_OPEN_SNAPSHOT, e);
	if (rc == SDB_ENOTFOUND && !o->readonly) {
		rc = 0; /* a new database: the first write creates it */
		sdb_error_clear(e);
	}
	if (!rc)
		rc = sql_catalog_load(w, e);
	if (rc) {
		sql_store_close(w);
		return rc;
	}
	return 0;
}

static void drop_txn(struct sql_wstate *w)
{
	if (w->bulk) {
		sdb_bulk_abort(w->bulk);
		w->bulk = NULL;
	}
	sql_fts_discard(w);
	sdb_txn_free(w->txn);
	w->txn = NULL;
	w->in_begin = 0;
	w->stmt_sp = -1;
	for (int i = 0; i < w->nsps; i++)
		free(w->sps[i].name);
	w->nsps = 0;
}

void sql_store_close(struct sql_wstate *w)
{
	drop_txn(w);
	sql_fts_pend_free(w);
	sql_fts_scratch_free(w);
	free(w->sps);
	sql_hnsw_close(w);
	sql_cat_free(w->cat);
	if (w->db) {
		struct sdb_error e;
		sdb_error_clear(&e);
		if (sdb_db_flush_at_close(w->db, &e) && w->so.warn) {
			char msg[sizeof e.msg + 32];
			snprintf(msg, sizeof msg, "flush at close failed: %s", e.msg);
			w->so.warn(w->so.warn_ctx, msg);
		}
	}
	sdb_db_close(w->db);
	free(w->dir);
	sdb_buf_release(&w->kbuf);
	sdb_buf_release(&w->k2);
	sdb_buf_release(&w->vbuf);
	sdb_buf_release(&w->rbits);
	sdb_buf_release(&w->tmp);
	memset(w, 0, sizeof(*w));
	w->stmt_sp = -1;
}

int sql_catalog_load(struct sql_wstate *w, struct sdb_error *e)
{
	struct sql_catalog *c;
	struct sdb_txn *t = w->txn;
	uint64_t gen = w->cat ? w->cat->gen : 0;
	int rc, own = 0;

	if (!t && w->db) {
		if ((rc = sdb_db_refresh(w->db, e)) || (rc = sdb_txn_begin(w->db, &t, e)))
			return rc;
		own = 1;
	}
	rc = sql_cat_read(t, &c, e);
	if (own)
		sdb_txn_free(t);
	if (rc)
		return rc;
	c->gen = gen + 1;
	sql_cat_free(w->cat);
	w->cat = c;
	return 0;
}

/* Whether the stored catalog version may differ from the one cat was
 * last found equal to: the snapshot took in others' writes since, or the
 * catalog in memory was replaced. */
static int cat_unseen(const struct sql_wstate *w)
{
	return !w->cat_seen || w->cat_gen_seen != sdb_db_snapshot_gen(w->db) ||
	       w->cat_load_seen != w->cat->gen;
}

/* The stored version v was read: remembered when cat is the same. */
static void cat_saw(struct sql_wstate *w, uint64_t v)
{
	w->cat_seen = v == w->cat->version;
	w->cat_gen_seen = sdb_db_snapshot_gen(w->db);
	w->cat_load_seen = w->cat->gen;
}

int sql_catalog_refresh(struct sql_wstate *w, struct sdb_error *e)
{
	uint64_t v;
	int rc;

	w->fresh = 0;
	if (w->txn)
		return 0;
	if (!w->db) {
		/* a database another process created since */
		rc = open_db(w, SDB_OPEN_SNAPSHOT, e);
		if (rc == SDB_ENOTFOUND) {
			sdb_error_clear(e);
			return 0;
		}
		if (rc)
			return rc;
	}
	if ((rc = sdb_db_refresh(w->db, e)))
		return rc;
	if (cat_unseen(w)) {
		if ((rc = sdb_txn_begin(w->db, &w->txn, e)))
			return rc;
		rc = sql_cat_stored_version(w->txn, &v, e);
		sdb_txn_free(w->txn);
		w->txn = NULL;
		if (!rc)
			cat_saw(w, v);
		if (!rc && v != w->cat->version)
			rc = sql_catalog_load(w, e);
		if (rc)
			return rc;
	}
	w->fresh = ++w->stamps;
	return 0;
}

/* At a transaction's start: the catalog of another process's DDL. */
static int check_catalog(struct sql_wstate *w, struct sdb_error *e)
{
	uint64_t v;
	if (!cat_unseen(w))
		return 0;
	int rc = sql_cat_stored_version(w->txn, &v, e);

	if (rc)
		return rc;
	cat_saw(w, v);
	if (v != w->cat->version)
		return sql_catalog_load(w, e);
	return 0;
}

/* Store savepoints for the SQL savepoints named before the transaction
 * was begun in the store. */
static int sps_attach(struct sql_wstate *w, struct sdb_error *e)
{
	for (int i = 0; i < w->nsps; i++)
		if (w->sps[i].sp < 0) {
			int sp = sdb_txn_savepoint(w->txn, e);
			if (sp < 0)
				return sp;
			w->sps[i].sp = sp;
		}
	return 0;
}

/* Opens the transaction when none is open (a fresh snapshot; the one
 * the prepare of the statement refreshed when stamp still names it). */
static int txn_open(struct sql_wstate *w, uint64_t stamp, struct sdb_error *e)
{
	int fresh = stamp && stamp == w->fresh, rc;

	if (w->txn || !w->db)
		return 0;
	w->fresh = 0;
	if ((!fresh && (rc = sdb_db_refresh(w->db, e))) ||
	    (rc = sdb_txn_begin(w->db, &w->txn, e)))
		return rc;
	w->txn_ddl = 0;
	for (int i = 0; i < w->cat->ntab; i++)
		w->cat->tabs[i]->max_rowid_ok = 0;
	if ((rc = check_catalog(w, e)))
		return rc;
	return sps_attach(w, e);
}

int sql_stmt_begin_fresh(struct sql_wstate *w, uint64_t stamp, struct sdb_error *e)
{
	int rc = txn_open(w, stamp, e);

	if (!rc)
		w->stmt_open = 1;
	return rc;
}

int sql_stmt_begin(struct sql_wstate *w, struct sdb_error *e)
{
	return sql_stmt_begin_fresh(w, 0, e);
}

void sql_stmt_end(struct sql_wstate *w)
{
	w->stmt_open = 0;
	if (!w->in_begin && w->txn && !sdb_txn_nops(w->txn))
		drop_txn(w);
}

int sql_read_txn(struct sql_wstate *w, struct sdb_txn **out, struct sdb_error *e)
{
	int rc = txn_open(w, 0, e);

	*out = w->txn;
	return rc;
}

/* The writer lock and a writable transaction. A transaction that began
 * on the read handle keeps going on it once the lock is taken, unless
 * another writer committed since its snapshot (then: busy, as SQLite). */
int sql_w_begin_write(struct sql_wstate *w, struct sdb_error *e)
{
	int rc;

	if (w->readonly)
		return sdb_error_set(e, SDB_EINVAL, "attempt to write a readonly database");
	if (!w->db) {
		/* the first write creates the database */
		rc = open_db(w, SDB_OPEN_CREATE | SDB_OPEN_WRITE | SDB_OPEN_SNAPSHOT, e);
		if (rc)
			return rc;
	} else if (!sdb_db_write_locked(w->db)) {
		if ((rc = sdb_db_lock_write(w->db, w->so.lock_timeout, e)))
			return rc;
		if (w->txn && sdb_db_snapshot_stale(w->db)) {
			/* a deferred transaction read a snapshot another writer
			 * has moved past: as SQLite's BUSY_SNAPSHOT */
			sdb_db_unlock_write(w->db);
			return sdb_error_set(e, SDB_EBUSY,
					     "database is locked (another connection wrote since this transaction began)");
		}
		/* files of a CREATE INDEX or fold that never committed
		 * (rolled back, killed) go now that no other writer can be
		 * writing one */
		sql_hnsw_gc(w);
	}
	w->writer = 1;
	w->fresh = 0;
	if (!w->txn) {
		if ((rc = sdb_db_refresh(w->db, e)) || (rc = sdb_txn_begin(w->db, &w->txn, e)))
			return rc;
		for (int i = 0; i < w->cat->ntab; i++)
			w->cat->tabs[i]->max_rowid_ok = 0;
		if ((rc = check_catalog(w, e)))
			return rc;
		if ((rc = sps_attach(w, e)))
			return rc;
	}
	if (w->in_begin && w->stmt_sp < 0) {
		int sp = sdb_txn_savepoint(w->txn, e);
		if (sp < 0)
			return sp;
		w->stmt_sp = sp;
	}
	return 0;
}

/* At the end of a BEGIN ... COMMIT the writer lock goes back. After an
 * autocommit statement it is kept for the next one (taking it again
 * costs a read of the WAL since the checkpoint: sdb_db_lock_write), and
 * given back at the next COMMIT/ROLLBACK, VACUUM or close. */
static void release_writer(struct sql_wstate *w)
{
	if (w->db)
		sdb_db_unlock_write(w->db);
	w->writer = 0;
}

static void after_rollback(struct sql_wstate *w)
{
	for (int i = 0; i < w->cat->ntab; i++)
		w->cat->tabs[i]->max_rowid_ok = 0;
}

static int commit(struct sql_wstate *w, struct sdb_error *e)
{
	int rc = 0, explicit_txn = w->in_begin;

	if (w->txn && (rc = sql_fts_flush(w, e)))
		return rc;
	if (w->bulk) {
		/* the bulk's entries and the transaction in one manifest switch */
		struct sdb_bulk *b = w->bulk;
		w->bulk = NULL;
		rc = sdb_bulk_commit(b, w->txn, e);
	} else if (w->txn && sdb_txn_nops(w->txn)) {
		/* one the WAL would have to flush right away (1M INSERTs, a
		 * large .import) goes straight into a table */
		rc = sdb_txn_commit_direct(w->txn, w->db, e);
		if (rc == 1)
			rc = sdb_txn_commit(w->txn, w->db, 0, e);
		if (!rc)
			sdb_db_maybe_flush(w->db, NULL);
	}
	drop_txn(w);
	w->txn_ddl = 0;
	if (explicit_txn)
		release_writer(w);
	else
		w->writer = w->db && sdb_db_write_locked(w->db);
	return rc;
}

static void rollback_all(struct sql_wstate *w)
{
	int ddl = w->txn_ddl;

	drop_txn(w);
	release_writer(w);
	w->txn_ddl = 0;
	after_rollback(w);
	if (ddl)
		sql_catalog_load(w, NULL);
}

int sql_w_end_write(struct sql_wstate *w, int ok, int rollback_txn,
		    struct sdb_error *e)
{
	int rc = 0;

	if (!w->txn)
		return 0;
	if (ok) {
		if (w->in_begin) {
			if (w->stmt_sp >= 0)
				rc = sdb_txn_release(w->txn, w->stmt_sp, e);
			w->stmt_sp = -1;
			if (!rc)
				rc = sql_fts_stmt_done(w, e);
			return rc;
		}
		rc = commit(w, e);
		if (rc)
			rollback_all(w);
		return rc;
	}
	if (w->in_begin && !rollback_txn && w->stmt_sp >= 0) {
		sdb_txn_rollback_to(w->txn, w->stmt_sp, NULL);
		sdb_txn_release(w->txn, w->stmt_sp, NULL);
		sql_fts_stmt_undo(w);
		w->stmt_sp = -1;
		after_rollback(w);
		if (w->txn_ddl)
			sql_catalog_load(w, NULL);
		return 0;
	}
	rollback_all(w);
	return 0;
}

/* -------------------------------------------- BEGIN, COMMIT, SAVEPOINT */

static int find_sp(struct sql_wstate *w, const char *name)
{
	for (int i = w->nsps - 1; i >= 0; i--)
		if (sql_name_eq(w->sps[i].name, name))
			return i;
	return -1;
}

int sql_w_txn_stmt(struct sql_conn *c, struct sql_wstate *w,
		   const struct sql_stmt *st, struct sdb_error *e)
{
	int rc, i;

	switch (st->kind) {
	case SQL_S_BEGIN:
		if (w->in_begin)
			return sdb_error_set(e, SDB_EINVAL,
					     "cannot start a transaction within a transaction");
		w->in_begin = 1;
		if (st->sub == SQL_BEGIN_IMMEDIATE || st->sub == SQL_BEGIN_EXCLUSIVE) {
			if ((rc = sql_w_begin_write(w, e))) {
				rollback_all(w);
				return rc;
			}
			if (w->stmt_sp >= 0) {
				sdb_txn_release(w->txn, w->stmt_sp, NULL);
				w->stmt_sp = -1;
			}
		}
		return 0;
	case SQL_S_COMMIT:
		if (!w->in_begin)
			return sdb_error_set(e, SDB_EINVAL,
					     "cannot commit - no transaction is active");
		rc = commit(w, e);
		if (rc)
			rollback_all(w);
		return rc;
	case SQL_S_ROLLBACK:
		if (st->name.z) { /* ROLLBACK TO savepoint */
			i = find_sp(w, st->name.z);
			if (i < 0)
				return sdb_error_set(e, SDB_ENOTFOUND, "no such savepoint: %s",
						     st->name.z);
			if (w->txn && w->sps[i].sp >= 0) {
				rc = sdb_txn_rollback_to(w->txn, w->sps[i].sp, e);
				if (rc)
					return rc;
				sql_fts_discard(w); /* SAVEPOINT flushed: all is newer */
				after_rollback(w);
				if (w->txn_ddl)
					sql_catalog_load(w, NULL);
			}
			for (int k = i + 1; k < w->nsps; k++)
				free(w->sps[k].name);
			w->nsps = i + 1;
			return 0;
		}
		if (!w->in_begin)
			return sdb_error_set(e, SDB_EINVAL,
					     "cannot rollback - no transaction is active");
		rollback_all(w);
		return 0;
	case SQL_S_SAVEPOINT: {
		struct sql_savepoint_ent *ns;
		int began = !w->in_begin;

		if (w->nsps == w->capsps) {
			int nc = w->capsps ? w->capsps * 2 : 8;
			ns = realloc(w->sps, sizeof(*ns) * (size_t)nc);
			if (!ns)
				return sdb_error_set(e, SDB_ENOMEM, "out of memory");
			w->sps = ns;
			w->capsps = nc;
		}
		ns = &w->sps[w->nsps];
		memset(ns, 0, sizeof(*ns));
		if (!(ns->name = strdup(st->name.z)))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
		ns->began = (uint8_t)began;
		ns->sp = -1;
		w->in_begin = 1;
		if (w->txn) {
			int frc = sql_fts_flush(w, e);
			if (frc) {
				free(ns->name);
				return frc;
			}
			int sp = sdb_txn_savepoint(w->txn, e);
			if (sp < 0) {
				free(ns->name);
				return sp;
			}
			ns->sp = sp;
		}
		w->nsps++;
		return 0;
	}
	case SQL_S_RELEASE:
		i = find_sp(w, st->name.z);
		if (i < 0)
			return sdb_error_set(e, SDB_ENOTFOUND, "no such savepoint: %s", st->name.z);
		if (w->sps[i].began) {
			/* releasing the outermost: the transaction commits */
			return (rc = commit(w, e)) ? (rollback_all(w), rc) : 0;
		}
		if (w->txn && w->sps[i].sp >= 0 &&
		    (rc = sdb_txn_release(w->txn, w->sps[i].sp, e)))
			return rc;
		for (int k = i; k < w->nsps; k++)
			free(w->sps[k].name);
		w->nsps = i;
		return 0;
	default:
		return sdb_error_set(e, SDB_EINVAL, "not a transaction statement");
	}
}

/* ------------------------------------------------------------- VACUUM */

int sql_w_vacuum(struct sql_wstate *w, struct sdb_error *e)
{
	struct sdb_maint_opts m;
	int did, rc;

	if (w->in_begin)
		return sdb_error_set(e, SDB_EINVAL, "cannot VACUUM from within a transaction");
	if (w->readonly)
		return sdb_error_set(e, SDB_EINVAL, "attempt to write a readonly database");
	if (!w->db)
		return 0;
	drop_txn(w);
	release_writer(w); /* maintenance takes the writer lock itself */
	memset(&m, 0, sizeof(m));
	m.level = -1;
	if ((rc = sdb_checkpoint(w->dir, &w->so, &m, &did, e)) ||
	    (rc = sdb_compact(w->dir, &w->so, &m, &did, e)))
		return rc;
	return sdb_db_refresh(w->db, e);
}

/* ----------------------------------------------------------- dispatch */

int sql_write_stmt(struct sql_conn *c, struct sql_wstate *w,
		   struct sql_stmt_h *h, const struct sql_stmt *st,
		   const char *src, struct sql_rows *out, struct sdb_error *e)
{
	int rc;

	/* another connection's DDL since: names must bind against it */
	if (!w->txn && st->kind != SQL_S_BEGIN && st->kind != SQL_S_COMMIT &&
	    st->kind != SQL_S_ROLLBACK && (rc = sql_catalog_refresh(w, e)))
		return rc;
	switch (st->kind) {
	case SQL_S_BEGIN:
	case SQL_S_COMMIT:
	case SQL_S_ROLLBACK:
	case SQL_S_SAVEPOINT:
	case SQL_S_RELEASE:
		return sql_w_txn_stmt(c, w, st, e);
	case SQL_S_INSERT:
	case SQL_S_UPDATE:
	case SQL_S_DELETE:
		return sql_dml(c, w, h, st, out, e);
	case SQL_S_CREATE_TABLE:
	case SQL_S_CREATE_INDEX:
	case SQL_S_CREATE_VIEW:
	case SQL_S_CREATE_VTABLE:
	case SQL_S_DROP:
	case SQL_S_ALTER:
	case SQL_S_REINDEX:
	case SQL_S_ANALYZE:
	case SQL_S_VACUUM:
		return sql_ddl(c, w, h, st, src, out, e);
	case SQL_S_PRAGMA:
		return sql_pragma(c, w, st, out, e);
	default:
		return sdb_error_set(e, SDB_EINVAL, "not a write statement");
	}
}

const char *sql_rescol_name(const struct sql_rescol *rc, const char *sql,
			    struct sdb_sql_arena *a);

int sql_write_columns(struct sql_wstate *w, const struct sql_stmt *st, const char *src,
		      struct sql_rows *out, struct sdb_error *e)
{
	out->ncol = 0;
	if (st->kind == SQL_S_PRAGMA) {
		if (st->value && !st->pragma_call)
			return 0; /* PRAGMA x = v: no rows */
		return sql_pragma(NULL, w, st, out, e);
	}
	if (st->nreturning) {
		const struct sql_table_def *t = sql_catalog_table(w->cat, st->name.z);
		const char *names[256];
		int n = 0;
		if (!t)
			return 0; /* the step says "no such table" */
		for (int i = 0; i < st->nreturning && n < 256; i++) {
			const struct sql_rescol *rc = st->returning[i];
			if (rc->star) {
				for (int j = 0; j < t->ncol && n < 256; j++)
					names[n++] = t->cols[j].name;
			} else if (rc->alias.z)
				names[n++] = rc->alias.z;
			else if (rc->e && rc->e->kind == SQL_E_COLUMN)
				names[n++] = rc->e->name.z;
			else {
				const char *nm = src ? sql_rescol_name(rc, src, &out->mem) : NULL;
				names[n++] = nm ? nm : "?";
			}
		}
		if (sql_rows_columns(out, n, names))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	return 0;
}

int sql_schema_rows(struct sql_wstate *w, struct sql_rows *out,
		    struct sdb_error *e)
{
	static const char *const names[] = { "type", "name", "tbl_name", "rootpage", "sql" };
	struct sql_catalog *cat = w->cat;
	int it = 0, ix = 0;

	if (sql_rows_columns(out, 5, names))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	/* merge tables and indexes by id (creation order) */
	while (it < cat->ntab || ix < cat->nidx) {
		struct sql_value v[5];
		const char *type, *name, *tbl, *sql;
		uint32_t id;

		if (ix >= cat->nidx || (it < cat->ntab && cat->tabs[it]->id < cat->idxs[ix]->id)) {
			const struct sql_table_def *t = cat->tabs[it++];
			if (t->is_system)
				continue;
			type = t->is_view ? "view" : "table";
			name = tbl = t->name;
			sql = t->sql;
			id = t->is_view ? 0 : t->id;
		} else {
			const struct sql_index_def *x = cat->idxs[ix++];
			type = "index";
			name = x->name;
			tbl = x->table->name;
			sql = x->sql;
			id = x->id;
		}
		v[0] = sql_text(type, strlen(type));
		v[1] = sql_text(name, strlen(name));
		v[2] = sql_text(tbl, strlen(tbl));
		v[3] = sql_int(id);
		v[4] = sql ? sql_text(sql, strlen(sql)) : sql_null();
		if (sql_rows_add(out, v))
			return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	}
	return 0;
}
