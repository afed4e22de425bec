/*
 * conn.c - the query side's view of the connection: opening the store
 * (a missing directory is a new, empty database), the schema and the
 * snapshot a SELECT reads, and the hand-off of every other statement to
 * the writer side. The storage state itself is the writer side's struct
 * sql_wstate (write.h) behind c->wr; this file keeps c->db, c->cat,
 * c->schema_gen and the change counters in step with it.
 */
#include "sql/exec_int.h"
#include "sql/fts.h"
#include "sql/conn.h"
#include "sql/exec.h"
#include "sql/write.h"

#include <stdlib.h>

static struct sql_wstate *W(struct sql_conn *c) { return c->wr; }

static void sync_conn(struct sql_conn *c)
{
	struct sql_wstate *w = W(c);

	c->db = w->db;
	c->cat = w->cat;
	c->schema_gen = sql_catalog_version(w->cat);
	c->changes = w->changes;
	c->total_changes = w->total_changes;
	c->last_rowid = w->last_rowid;
}

int sql_conn_start(struct sql_conn *c, struct sdb_error *e)
{
	struct sql_wstate *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return sql_oom(e);
	rc = sql_store_open(w, &c->opts, e);
	if (rc) {
		free(w);
		return rc;
	}
	c->wr = w;
	sync_conn(c);
	return 0;
}

void sql_conn_end(struct sql_conn *c)
{
	if (!c->wr)
		return;
	sql_store_close(W(c));
	free(c->wr);
	c->wr = NULL;
	c->db = NULL;
	c->cat = NULL;
}

int sql_conn_schema(struct sql_conn *c, struct sdb_error *e)
{
	int rc = sql_catalog_refresh(W(c), e);

	sync_conn(c);
	return rc;
}

uint64_t sql_conn_fresh(struct sql_conn *c)
{
	return W(c)->fresh;
}

void sql_conn_fresh_spent(struct sql_conn *c)
{
	W(c)->fresh = 0;
}

int sql_conn_read_begin(struct sql_conn *c, uint64_t fresh, struct sdb_error *e)
{
	int rc = sql_stmt_begin_fresh(W(c), fresh, e);

	sync_conn(c);
	return rc;
}

void sql_conn_read_end(struct sql_conn *c)
{
	sql_stmt_end(W(c));
	sync_conn(c);
}

struct sdb_txn *sql_conn_txn(struct sql_conn *c)
{
	return W(c)->txn;
}

int sql_conn_fts_flush(struct sql_conn *c, struct sdb_error *e)
{
	return sql_fts_flush_read(W(c), e);
}

int sql_conn_fts_prune(struct sql_conn *c)
{
	return !W(c)->fts_noprune;
}

int sql_conn_write(struct sql_conn *c, struct sql_stmt_h *h,
		   const struct sql_stmt *st, struct sdb_error *e)
{
	struct sql_rows rows;
	int rc;

	sql_rows_init(&rows);
	rc = sql_write_stmt(c, W(c), h, st, sql_stmt_src(h), &rows, e);
	sync_conn(c);
	if (!rc && rows.ncol) {
		rc = sql_stmt_set_columns(h, rows.ncol, rows.names, e);
		for (long i = 0; !rc && i < rows.nrow; i++)
			rc = sql_stmt_emit_row(h, &rows.v[i * rows.ncol], e);
	}
	sql_rows_release(&rows);
	return rc;
}

const struct sql_table_def *sql_conn_table(struct sql_conn *c, const char *name)
{
	return sql_catalog_table(W(c)->cat, name);
}

int sql_conn_columns(struct sql_conn *c, struct sql_stmt_h *h, const struct sql_stmt *st,
		     struct sdb_error *e)
{
	struct sql_rows rows;
	int rc;

	if ((rc = sql_catalog_refresh(W(c), e)))
		return rc;
	sync_conn(c);
	sql_rows_init(&rows);
	rc = sql_write_columns(W(c), st, sql_stmt_src(h), &rows, e);
	if (!rc && rows.ncol)
		rc = sql_stmt_set_columns(h, rows.ncol, rows.names, e);
	sql_rows_release(&rows);
	return rc;
}
