/*
 * backend.h - the engines the SQL test tools (t/slt/slt.c, the
 * sqllogictest runner, and t/slt/sqldiff.c, the differential test) drive:
 * the sochdb engine through lib/sql/sql.h (be_sochdb.c) and libsqlite3,
 * linked into these test tools only (be_sqlite.c).
 *
 * A value comes back with its storage class and, for a REAL, its text as
 * SQLite renders it (%!.15g) so both engines print REALs alike.
 */
#ifndef SLT_BACKEND_H
#define SLT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

enum { SLT_NULL = 0, SLT_INT = 1, SLT_REAL = 2, SLT_TEXT = 3, SLT_BLOB = 4 };

struct slt_val {
	int type;
	int64_t i;
	double r;
	const char *z; /* TEXT/BLOB bytes; for a REAL its text */
	size_t n;
};

/* Called once per result row; non-zero stops the query. */
typedef int (*slt_row_fn)(void *ctx, int ncol, const struct slt_val *v);

struct slt_backend {
	const char *name;
	/* Opens a fresh database in the empty directory dir (sqlite: a file
	 * in it). @return 0 or -1 with err. */
	int (*open)(void **h, const char *dir, int sync, char *err, size_t errn);
	void (*close)(void *h);
	/* Runs every statement of sql, rows discarded. @return 0, or -1 with
	 * err (the first failing statement's message). */
	int (*exec)(void *h, const char *sql, char *err, size_t errn);
	/* Runs the first statement of sql, handing each row to row.
	 * @return the column count (>= 0), or -1 with err. */
	int (*query)(void *h, const char *sql, slt_row_fn row, void *ctx,
		     char *err, size_t errn);
	/* sqlite3_changes() of the last statement. */
	int64_t (*changes)(void *h);
};

extern const struct slt_backend slt_be_sqlite;
extern const struct slt_backend slt_be_sqlite_rev; /* reverse_unordered_selects */
extern const struct slt_backend slt_be_sqlite_cslike; /* case_sensitive_like */
extern const struct slt_backend slt_be_sochdb;
/* The backend named name ("sochdb", "sqlite"), or NULL. */
const struct slt_backend *slt_backend_find(const char *name);
/* Removes dir and everything in it (a finished run's databases). */
void slt_rmtree(const char *dir);

#endif
