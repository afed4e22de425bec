/*
 * conn.c - the query side's view of the connection: opening the store
 * handle (a missing directory is a new, empty database), the schema and
 * the snapshot a SELECT reads, and the hand-off of every other statement
 * to the writer side.
 *
 * STAND-IN: until sqlstore's write.h is on main, the schema is empty and
 * statements other than SELECT are refused; this file then calls
 * sql_catalog_load, sql_read_txn and sql_write_stmt.
 */
#include "sql/exec_int.h"

#include <errno.h>
#include <sys/stat.h>

int sql_conn_start(struct sql_conn *c, struct sdb_error *e)
{
	struct stat st;
	if (stat(c->dir, &st) != 0) {
		if (c->opts.readonly)
			return sdb_error_set(e, SDB_ENOTFOUND, "no database at '%s'",
					     c->dir);
		return 0;
	}
	int rc = sdb_db_open(c->dir, SDB_OPEN_SNAPSHOT, &c->opts.store, &c->db, e);
	if (rc == SDB_ENOTFOUND && !c->opts.readonly) {
		c->db = NULL;
		return 0;
	}
	return rc;
}

void sql_conn_end(struct sql_conn *c)
{
	sdb_db_close(c->db);
	c->db = NULL;
}

int sql_conn_schema(struct sql_conn *c, struct sdb_error *e)
{
	return 0;
}

int sql_conn_read_begin(struct sql_conn *c, struct sdb_error *e)
{
	return 0;
}

void sql_conn_read_end(struct sql_conn *c)
{
}

struct sdb_txn *sql_conn_txn(struct sql_conn *c)
{
	return NULL;
}

int sql_conn_write(struct sql_conn *c, struct sql_stmt_h *h,
		   const struct sql_stmt *st, struct sdb_error *e)
{
	return sdb_error_set(e, SDB_EUNSUPPORTED,
			     "only SELECT is supported so far");
}

const struct sql_table_def *sql_conn_table(struct sql_conn *c, const char *name)
{
	return NULL;
}
