/*
 * sql.h - the SQL engine's public surface, in the manner of sqlite3.h:
 * a connection on a database directory, statements prepared one at a
 * time from a script, parameters bound, rows stepped out as values.
 * Used by cmd/sochdb-sql.c, the sqllogictest runner and the tests; the
 * rest of lib/sql is internal.
 *
 * Transactions: outside BEGIN each statement is its own transaction
 * (committed durably per the store's sync mode when it wrote anything);
 * BEGIN ... COMMIT spans statements. A statement that fails undoes itself
 * (and the transaction when its conflict clause says ROLLBACK).
 *
 * Errors: every function returns 0 (or a positive result) or a negative
 * enum sdb_err with e filled; the message is SQLite's wording where SQLite
 * has one ("no such table: t", "UNIQUE constraint failed: t.a",
 * `near "FORM": syntax error`), without any "sochdb-sql:" prefix; syntax
 * errors carry line/column relative to the text given to sql_prepare.
 */
#ifndef SDB_SQL_SQL_H
#define SDB_SQL_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "sql/value.h"
#include "store/store.h"
#include "util/err.h"

struct sql_conn;
struct sql_stmt_h;

struct sql_open_opts {
	const char *dir;           /* database directory */
	int readonly;              /* never write; a missing dir is SDB_ENOTFOUND */
	struct sdb_opts store;     /* sync mode, lock timeout ... (sdb_opts_default) */
	size_t memory_limit;       /* sorts and hash tables spill past this (0: 256 MiB) */
	const char *tmp_dir;       /* where spills go (NULL: the database directory) */
};
void sql_open_opts_default(struct sql_open_opts *o);

/*
 * Opens a connection. A missing directory is not an error (as sqlite3
 * treats a new file): statements that read no table run, and the first
 * write creates the database. @return 0 and *out, or an error of
 * sdb_db_open (SDB_EUNSUPPORTED: not a sochdb database, SDB_EBUSY ...).
 */
int sql_open(const struct sql_open_opts *o, struct sql_conn **out,
	     struct sdb_error *e);
/* Rolls back an open transaction, closes (NULL allowed). */
void sql_close(struct sql_conn *c);

/*
 * Prepares the first statement of sql[0..len). Empty statements (";")
 * are skipped. *used is set to the bytes consumed (through the ';'), so
 * a script is run by calling again on the rest; *out is NULL when only
 * white space and comments remained. Line/column of errors are relative
 * to sql; the caller adds its own offsets. @return 0, SDB_EPARSE (syntax
 * error), SDB_ENOTFOUND (no such table/column ...), SDB_ENOMEM ...
 */
int sql_prepare(struct sql_conn *c, const char *sql, size_t len, size_t *used,
		struct sql_stmt_h **out, struct sdb_error *e);
/*
 * sql_prepare for a caller that steps the statement at once, preparing
 * and running nothing else on c in between (a shell running a script):
 * the snapshot the prepare brought up to date is the statement's, and
 * its first step does not look for newer commits again. It still sees
 * every commit made before sql_prepare_now was called (the statement's
 * run begins there); one stepped later, or after sql_reset, or after
 * another statement ran on c, looks again at its step as usual.
 */
int sql_prepare_now(struct sql_conn *c, const char *sql, size_t len, size_t *used,
		    struct sql_stmt_h **out, struct sdb_error *e);

/* Parameters: ?, ?N, :name, @name, $name (as sqlite3 numbers them,
 * 1-based). */
int sql_bind_count(const struct sql_stmt_h *s);
/* The name of parameter i ("?3" style names are NULL), 1-based. */
const char *sql_bind_name(const struct sql_stmt_h *s, int i);
/* Index of a named parameter (with its sigil, ":x"), or 0. */
int sql_bind_index(const struct sql_stmt_h *s, const char *name);
/* Binds v (its bytes are copied). @return 0, SDB_EINVAL (out of range). */
int sql_bind(struct sql_stmt_h *s, int i, const struct sql_value *v);

/*
 * Runs the statement to its next row. @return 1 a row is ready
 * (sql_column), 0 done, or an error (the statement's effects undone).
 */
int sql_step(struct sql_stmt_h *s, struct sdb_error *e);

int sql_column_count(const struct sql_stmt_h *s);
/* Result column names as sqlite3 names them: the alias, else a bare
 * column's name, else the expression's text as written. */
const char *sql_column_name(const struct sql_stmt_h *s, int i);
/* Declared type of a result column that is a table column, or NULL. */
const char *sql_column_decltype(const struct sql_stmt_h *s, int i);
/* Value of column i of the current row; valid until the next step. */
const struct sql_value *sql_column(const struct sql_stmt_h *s, int i);

/* 1 for a statement that returns rows (SELECT, RETURNING, PRAGMA with
 * results, EXPLAIN). */
int sql_stmt_is_query(const struct sql_stmt_h *s);
/* 1 when the statement only reads (SELECT, EXPLAIN, most PRAGMAs). */
int sql_stmt_readonly(const struct sql_stmt_h *s);
/* The statement's source text (without the ';'), line and column of its
 * first token in the text given to sql_prepare. */
const char *sql_stmt_text(const struct sql_stmt_h *s, size_t *len);
void sql_stmt_pos(const struct sql_stmt_h *s, long *line, long *col);

/* Resets for another run with the same bindings. */
int sql_reset(struct sql_stmt_h *s, struct sdb_error *e);
void sql_finalize(struct sql_stmt_h *s);

/* sqlite3_changes / total_changes / last_insert_rowid. */
int64_t sql_changes(const struct sql_conn *c);
int64_t sql_total_changes(const struct sql_conn *c);
int64_t sql_last_insert_rowid(const struct sql_conn *c);
/* 1 inside BEGIN ... COMMIT. */
int sql_in_txn(const struct sql_conn *c);

/* One statement or a whole script, rows discarded; convenience for
 * tests and .read. @return 0 or the first error. */
int sql_exec(struct sql_conn *c, const char *sql, struct sdb_error *e);

#endif
