/*
 * conn.h - struct sql_conn, the connection behind sql.h, shared by the
 * query side (sql.c, exec.c ...) and the writer side (write.h: DDL, DML,
 * transactions, pragmas). Internal to lib/sql.
 *
 * Owner: sql.c (sqlexec). The writer side adds its own fields at the end
 * (marked below); nobody changes the meaning of a field they do not own.
 *
 * DESIGN. A connection opens its store handle lazily: a missing directory
 * is a new database (as sqlite3's new file), so `db` stays NULL until the
 * first write creates it (sqlstore's sql_write_stmt) or a read finds it.
 * `cat` is NULL until sql_catalog_load ran; `schema_gen` counts catalog
 * changes so a prepared statement knows when to bind its names again.
 */
#ifndef SDB_SQL_CONN_H
#define SDB_SQL_CONN_H

#include <stdint.h>

#include "sql/catalog.h"
#include "sql/sql.h"
#include "store/store.h"
#include "store/txn.h"

struct sql_conn {
	struct sql_open_opts opts;  /* as given; dir and tmp_dir copied below */
	char *dir;                  /* database directory (owned) */
	char *tmp_dir;              /* spill directory (owned; NULL: dir) */
	size_t memory_limit;        /* bytes; never 0 */

	struct sdb_db *db;          /* store handle, or NULL (no database yet) */
	struct sql_catalog *cat;    /* the schema (catalog.c), or NULL */
	uint64_t schema_gen;        /* bumped by every catalog change */

	int64_t changes, total_changes, last_rowid;
	int64_t stmt_now_ms;        /* 'now' of the running statement */

	/* the last SELECT of literals alone (sql.c), handed out again for
	 * the same text while not in use (kept_busy) */
	struct sql_stmt_h *kept;
	int kept_busy;
	/* the last k-NN statement of literal text (sql.c), handed out again
	 * for the same text around another vector literal */
	struct sql_stmt_h *kknn;
	int kknn_busy;

	/* ---- the writer side (sqlstore: write.h) adds its fields here ---- */
	void *wr;                   /* sqlstore's private state (write.c) */
};

#endif
