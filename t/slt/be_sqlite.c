/*
 * be_sqlite.c - the libsqlite3 backend of the SQL test tools: the
 * reference the sochdb engine is compared with, and the proof that the
 * runner itself reads the sqllogictest format right.
 */
#include "backend.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int be_open(void **h, const char *dir, int sync, char *err, size_t errn)
{
	char path[4096];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/test.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, errn, "%s", db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	if (!sync)
		sqlite3_exec(db, "PRAGMA synchronous=OFF", 0, 0, 0);
	*h = db;
	return 0;
}

/* The same with PRAGMA reverse_unordered_selects: rows in another order
 * wherever SQL leaves it open, to prove the comparisons order-blind
 * exactly there. */
static int be_open_rev(void **h, const char *dir, int sync, char *err, size_t errn)
{
	if (be_open(h, dir, sync, err, errn))
		return -1;
	sqlite3_exec(*h, "PRAGMA reverse_unordered_selects=ON", 0, 0, 0);
	return 0;
}

static void be_close(void *h)
{
	sqlite3_close_v2(h);
}

static int be_exec(void *h, const char *sql, char *err, size_t errn)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errn, "%s", msg ? msg : sqlite3_errmsg(h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int be_query(void *h, const char *sql, slt_row_fn row, void *ctx,
		    char *err, size_t errn)
{
	sqlite3_stmt *st = NULL;
	struct slt_val v[256];
	int ncol, rc;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK || !st) {
		snprintf(err, errn, "%s", st ? sqlite3_errmsg(h) :
			 sqlite3_errcode(h) == SQLITE_OK ? "no statement" : sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return -1;
	}
	ncol = sqlite3_column_count(st);
	if (ncol > 256)
		ncol = 256;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			struct slt_val *x = &v[i];
			memset(x, 0, sizeof(*x));
			x->type = sqlite3_column_type(st, i);
			switch (x->type) {
			case SQLITE_INTEGER:
				x->type = SLT_INT;
				x->i = sqlite3_column_int64(st, i);
				break;
			case SQLITE_FLOAT:
				x->type = SLT_REAL;
				x->r = sqlite3_column_double(st, i);
				x->z = (const char *)sqlite3_column_text(st, i);
				x->n = (size_t)sqlite3_column_bytes(st, i);
				break;
			case SQLITE_TEXT:
				x->type = SLT_TEXT;
				x->z = (const char *)sqlite3_column_text(st, i);
				x->n = (size_t)sqlite3_column_bytes(st, i);
				break;
			case SQLITE_BLOB:
				x->type = SLT_BLOB;
				x->z = sqlite3_column_blob(st, i);
				x->n = (size_t)sqlite3_column_bytes(st, i);
				break;
			default:
				x->type = SLT_NULL;
			}
		}
		if (row(ctx, ncol, v))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errn, "%s", sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return ncol;
}

static int64_t be_changes(void *h)
{
	return sqlite3_changes64(h);
}

const struct slt_backend slt_be_sqlite = {
	"sqlite", be_open, be_close, be_exec, be_query, be_changes,
};

const struct slt_backend slt_be_sqlite_rev = {
	"sqlite-reverse", be_open_rev, be_close, be_exec, be_query, be_changes,
};

/* With PRAGMA case_sensitive_like: a peer that differs from SQLite in
 * LIKE only, to prove the differential test catches a difference. */
static int be_open_cslike(void **h, const char *dir, int sync, char *err, size_t errn)
{
	if (be_open(h, dir, sync, err, errn))
		return -1;
	sqlite3_exec(*h, "PRAGMA case_sensitive_like=ON", 0, 0, 0);
	return 0;
}

const struct slt_backend slt_be_sqlite_cslike = {
	"sqlite-cslike", be_open_cslike, be_close, be_exec, be_query, be_changes,
};
