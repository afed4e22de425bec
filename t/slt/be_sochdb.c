/*
 * be_sochdb.c - the sochdb backend of the SQL test tools: the engine
 * through its public API (lib/sql/sql.h), one connection per database.
 */
#include "backend.h"

#include <stdio.h>
#include <string.h>

#include "sql/sql.h"

static int be_open(void **h, const char *dir, int sync, char *err, size_t errn)
{
	struct sql_open_opts o;
	struct sql_conn *c;
	struct sdb_error e;
	char path[4096];

	snprintf(path, sizeof(path), "%s/db", dir);
	sql_open_opts_default(&o);
	o.dir = path;
	o.store.sync = sync ? SDB_SYNC_FULL : SDB_SYNC_OFF;
	sdb_error_clear(&e);
	if (sql_open(&o, &c, &e)) {
		snprintf(err, errn, "%s", e.msg[0] ? e.msg : "cannot open");
		return -1;
	}
	*h = c;
	return 0;
}

static void be_close(void *h)
{
	sql_close(h);
}

static void set_err(char *err, size_t errn, const struct sdb_error *e, int rc)
{
	snprintf(err, errn, "%s", e->msg[0] ? e->msg : sdb_strerror(rc));
}

static int be_exec(void *h, const char *sql, char *err, size_t errn)
{
	struct sdb_error e;
	int rc;

	sdb_error_clear(&e);
	rc = sql_exec(h, sql, &e);
	if (rc < 0) {
		set_err(err, errn, &e, rc);
		return -1;
	}
	return 0;
}

static int be_query(void *h, const char *sql, slt_row_fn row, void *ctx,
		    char *err, size_t errn)
{
	struct sql_stmt_h *st = NULL;
	struct sdb_error e;
	struct slt_val v[256];
	char rbuf[256][40];
	size_t used = 0;
	int ncol, rc;

	sdb_error_clear(&e);
	rc = sql_prepare(h, sql, strlen(sql), &used, &st, &e);
	if (rc < 0 || !st) {
		if (rc < 0)
			set_err(err, errn, &e, rc);
		else
			snprintf(err, errn, "no statement");
		return -1;
	}
	ncol = sql_column_count(st);
	if (ncol > 256)
		ncol = 256;
	while ((rc = sql_step(st, &e)) == 1) {
		for (int i = 0; i < ncol; i++) {
			const struct sql_value *x = sql_column(st, i);
			struct slt_val *y = &v[i];
			memset(y, 0, sizeof(*y));
			if (!x) {
				y->type = SLT_NULL;
				continue;
			}
			switch (x->type) {
			case SQLV_INT:
				y->type = SLT_INT;
				y->i = x->u.i;
				break;
			case SQLV_REAL:
				y->type = SLT_REAL;
				y->r = x->u.r;
				y->n = sql_real_fmt(x->u.r, rbuf[i]);
				y->z = rbuf[i];
				break;
			case SQLV_TEXT:
			case SQLV_BLOB:
				y->type = x->type == SQLV_TEXT ? SLT_TEXT : SLT_BLOB;
				y->z = x->u.z;
				y->n = x->n;
				break;
			default:
				y->type = SLT_NULL;
			}
		}
		if (row(ctx, ncol, v))
			break;
	}
	if (rc < 0) {
		set_err(err, errn, &e, rc);
		sql_finalize(st);
		return -1;
	}
	sql_finalize(st);
	return ncol;
}

static int64_t be_changes(void *h)
{
	return sql_changes(h);
}

const struct slt_backend slt_be_sochdb = {
	"sochdb", be_open, be_close, be_exec, be_query, be_changes,
};
