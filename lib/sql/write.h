/*
 * write.h - the storage side of a SQL connection: the store handle, the
 * catalog, the open transaction and statement savepoints, and every
 * statement that is not a SELECT (DDL, DML, BEGIN/COMMIT/ROLLBACK/
 * SAVEPOINT/RELEASE, PRAGMA, VACUUM, ANALYZE, REINDEX).
 *
 * Owner: catalog.c, ddl.c, dml.c, txn.c (sql), pragma.c — the sql-store
 * part of lib/sql. sql.c (the reader side) embeds a struct sql_wstate in
 * struct sql_conn, opens it with sql_store_open, runs SELECTs between
 * sql_stmt_begin/sql_stmt_end reading through sql_read_txn, and hands
 * every other statement to sql_write_stmt.
 *
 * DESIGN. Transactions.
 *   - Outside BEGIN every statement is its own transaction: a SELECT
 *     reads one fresh snapshot (sdb_db_refresh, then a sdb_txn that only
 *     reads); a writing statement takes the writer lock (--lock-timeout),
 *     writes into one sdb_txn and commits it once at its end (durable per
 *     --sync), or drops it when it fails: nothing half-applied.
 *   - BEGIN [DEFERRED] opens the transaction; the snapshot is taken at
 *     the first statement and the writer lock at the first write; BEGIN
 *     IMMEDIATE/EXCLUSIVE takes the lock at once. Every statement inside
 *     runs under a store savepoint: a failure rolls back to it (the
 *     statement's effects undone, the transaction kept), except a
 *     conflict clause of ROLLBACK, which ends the transaction. SAVEPOINT
 *     names map to store savepoints; SAVEPOINT outside BEGIN starts a
 *     transaction (as SQLite). COMMIT is one store commit.
 *   - The writer lock is taken on the connection's handle at the first
 *     write (sdb_db_lock_write, waiting up to --lock-timeout) and given
 *     back when a BEGIN ... COMMIT ends; after an autocommit statement it
 *     is kept for the next statement (taking it costs a read of the WAL
 *     since the checkpoint) until a COMMIT/ROLLBACK, VACUUM or close. A deferred transaction whose snapshot
 *     another writer moved past before its first write fails with
 *     "database is locked" (SQLite's BUSY_SNAPSHOT).
 * Catalog. Loaded at open and again whenever another process changed it
 * (the catalog's version key, checked at each transaction start); DDL
 * updates it in place and in the store in the same transaction; a
 * rollback over DDL reloads it from the store.
 */
#ifndef SDB_SQL_WRITE_H
#define SDB_SQL_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "sql/ast.h"
#include "sql/catalog.h"
#include "sql/parse.h"
#include "sql/sql.h"
#include "sql/value.h"
#include "store/store.h"
#include "store/txn.h"
#include "util/buf.h"
#include "util/err.h"

struct sql_conn;
struct sql_stmt_h;

/* Rows a write statement hands back (RETURNING, PRAGMA results): sql.c
 * streams them out. Names and values live in mem. */
struct sql_rows {
	int ncol;
	const char **names;
	const char **decltypes;    /* may be NULL */
	struct sql_value *v;       /* nrow x ncol, row-major */
	long nrow, cap;
	struct sdb_sql_arena mem;
};
void sql_rows_init(struct sql_rows *r);
/* Drops the rows and names (r stays usable). */
void sql_rows_reset(struct sql_rows *r);
void sql_rows_release(struct sql_rows *r);
/* Sets the column names (copied). @return 0 or SDB_ENOMEM. */
int sql_rows_columns(struct sql_rows *r, int ncol, const char *const *names);
/* Appends one row of ncol values (bytes copied). @return 0 or SDB_ENOMEM. */
int sql_rows_add(struct sql_rows *r, const struct sql_value *v);

struct sql_savepoint_ent {
	char *name;
	int sp;                    /* store savepoint id */
	uint8_t began;             /* this SAVEPOINT started the transaction */
};

struct sql_wstate {
	char *dir;
	int readonly;
	struct sdb_opts so;
	struct sdb_db *db;         /* NULL until the database exists */
	uint8_t writer;            /* db holds the writer lock */
	struct sql_catalog *cat;   /* never NULL after sql_store_open */
	/* the stored catalog version was last read equal to cat's at
	 * snapshot generation cat_gen_seen, catalog load cat_load_seen
	 * (cat_seen): not read again while both hold */
	uint64_t cat_gen_seen, cat_load_seen;
	uint8_t cat_seen;
	/* the snapshot sql_catalog_refresh brought up to date, stamp
	 * fresh, and no transaction opened on it since (0: none); stamps
	 * counts the refreshes (sql_stmt_begin_fresh) */
	uint64_t fresh, stamps;
	struct sdb_txn *txn;       /* the open transaction, or NULL */
	uint8_t in_begin;          /* BEGIN (or SAVEPOINT) ... open */
	uint8_t txn_ddl;           /* the open transaction changed the schema */
	uint8_t stmt_open;         /* a read statement is between begin/end */
	int stmt_sp;               /* savepoint of the running statement, -1 */
	struct sql_savepoint_ent *sps;
	int nsps, capsps;
	int64_t changes, total_changes, last_rowid;
	int foreign_keys;          /* PRAGMA foreign_keys */
	struct sdb_buf kbuf, k2, vbuf, rbits, tmp; /* reused encode buffers */
	struct sdb_bulk *bulk;     /* CREATE INDEX's entries outside BEGIN:
				    * committed with txn by sdb_bulk_commit */
	uint8_t bulk_ok;           /* the index being filled may use one */
	struct fts_pend *fts_pend; /* FTS5 postings not yet written (fts_pend.c) */
	uint8_t fts_noprune;       /* PRAGMA fts_prune = off */
	struct fts_scratch *fts_scratch; /* index_row's buffers (fts.c) */
	void *hnsw;                /* mapped HNSW index files (vecindex.c) */
	uint8_t hnsw_ddl;          /* the statement changed an HNSW index */
	uint32_t hnsw_ef_search;   /* PRAGMA hnsw_ef_search (0: max(96, 2k)) */
	int64_t hnsw_exact_rows;   /* PRAGMA hnsw_exact_rows + 1 (0: the default) */
};

/* 1 inside BEGIN ... COMMIT (or a SAVEPOINT transaction). */
static inline int sql_w_in_txn(const struct sql_wstate *w) { return w->in_begin; }

/*
 * Opens the storage side for o->dir: a missing directory is no error
 * (the first write creates the database; readonly: reads only), the
 * catalog is loaded. @return 0 or an error of sdb_db_open / the catalog.
 */
int sql_store_open(struct sql_wstate *w, const struct sql_open_opts *o,
		   struct sdb_error *e);
/* Rolls back an open transaction, closes the store, frees the catalog. */
void sql_store_close(struct sql_wstate *w);

/* (Re)loads the catalog from the store (the current transaction's view,
 * else a fresh snapshot). @return 0 or an error. */
int sql_catalog_load(struct sql_wstate *w, struct sdb_error *e);

/* Outside a transaction: the catalog brought up to what the store holds
 * (another process's DDL), cheaply when nothing changed; inside one it
 * is the transaction's. For prepare, before names are bound. */
int sql_catalog_refresh(struct sql_wstate *w, struct sdb_error *e);

/*
 * Read statements (SELECT, EXPLAIN): sql_stmt_begin before the first
 * row (takes the statement's snapshot outside BEGIN, reloads the catalog
 * when another process changed it), sql_stmt_end when the statement is
 * done or reset (outside BEGIN the read transaction is dropped).
 * @return 0 or an error (damage, I/O).
 */
int sql_stmt_begin(struct sql_wstate *w, struct sdb_error *e);
/* sql_stmt_begin for a statement whose prepare refreshed the snapshot
 * (stamp: w->fresh right after its sql_catalog_refresh) and that runs
 * at once: while w->fresh is still that stamp (no other refresh, no
 * transaction since) that snapshot is the statement's, not looked at
 * again. stamp 0: as sql_stmt_begin. */
int sql_stmt_begin_fresh(struct sql_wstate *w, uint64_t stamp, struct sdb_error *e);
void sql_stmt_end(struct sql_wstate *w);

/*
 * The transaction a statement reads through: its own writes and those
 * of the open transaction are visible. *out is NULL when there is no
 * database yet (no table exists either). Call between sql_stmt_begin and
 * sql_stmt_end, or from inside sql_write_stmt's callbacks.
 * @return 0 or an error.
 */
int sql_read_txn(struct sql_wstate *w, struct sdb_txn **out,
		 struct sdb_error *e);

/*
 * Runs one statement that is not a SELECT. st is the parsed statement,
 * src the text its offsets refer to (for the CREATE texts kept in the
 * catalog), h the statement handle (its bound parameters, passed on to
 * exec.h). Rows it returns (RETURNING, PRAGMA) are appended to out (its
 * columns set), which may be NULL when the caller discards them.
 * Outside BEGIN the statement commits (durably per --sync) before it
 * returns; a failed statement leaves nothing behind.
 * @return 0 or an error with SQLite's message ("UNIQUE constraint
 * failed: t.a", "no such table: t", "table t already exists" ...).
 */
int sql_write_stmt(struct sql_conn *c, struct sql_wstate *w,
		   struct sql_stmt_h *h, const struct sql_stmt *st,
		   const char *src, struct sql_rows *out, struct sdb_error *e);

/*
 * The result column names a write statement will return (RETURNING,
 * PRAGMA), without running it: out's columns set, ncol 0 for none.
 * @return 0 or an error (no such table ...).
 */
int sql_write_columns(struct sql_wstate *w, const struct sql_stmt *st, const char *src,
		      struct sql_rows *out, struct sdb_error *e);

/*
 * The rows of sqlite_schema / sqlite_master (type, name, tbl_name,
 * rootpage, sql) in creation order, into out (columns set). rootpage is
 * the object's id. @return 0 or SDB_ENOMEM.
 */
int sql_schema_rows(struct sql_wstate *w, struct sql_rows *out,
		    struct sdb_error *e);

#endif
