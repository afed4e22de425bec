/*
 * exec.h - the query side as the writer side (write.h: DML, DDL, PRAGMA)
 * uses it: run a SELECT tree and read its rows; compile and evaluate an
 * expression over one table row; hand rows (RETURNING, PRAGMA results)
 * back to the statement that sql_step streams out. Internal to lib/sql.
 *
 * Owner: exec.c / expr.c / sql.c (sqlexec).
 *
 * Values handed out are valid until the next step (or eval) of the same
 * object; copy them (sql_value_copy) to keep them.
 */
#ifndef SDB_SQL_EXEC_H
#define SDB_SQL_EXEC_H

#include <stdint.h>

#include "sql/ast.h"
#include "sql/catalog.h"
#include "sql/parse.h"
#include "sql/value.h"
#include "util/err.h"

struct sql_conn;
struct sql_stmt_h;

/* ------------------------------------------------------------ queries */

struct sql_query;

/*
 * Binds the names of sel (against c's catalog), plans it and opens it for
 * reading through the connection's read transaction (sql_read_txn). h
 * gives the bound parameters (NULL: none; a parameter then reads NULL).
 * sel must outlive the query. Used for INSERT ... SELECT, CREATE TABLE ...
 * AS SELECT, and UPDATE/DELETE finding their rows (a select of the rowid
 * or primary key with the statement's WHERE, so the planner serves them).
 * @return 0 and *out, or an error (no such table/column ..., SDB_ENOMEM).
 */
int sql_query_open(struct sql_conn *c, struct sql_stmt_h *h,
		   const struct sql_select *sel, struct sql_query **out,
		   struct sdb_error *e);
/* Result columns: count, name (as sqlite3 names them), declared type
 * (NULL for an expression) and affinity (0 for an expression). */
int sql_query_ncols(const struct sql_query *q);
const char *sql_query_colname(const struct sql_query *q, int i);
const char *sql_query_decltype(const struct sql_query *q, int i);
enum sql_aff sql_query_affinity(const struct sql_query *q, int i);
/* Next row. @return 1 a row (sql_query_column), 0 done, or an error. */
int sql_query_step(struct sql_query *q, struct sdb_error *e);
const struct sql_value *sql_query_column(const struct sql_query *q, int i);
/* Frees (NULL allowed). */
void sql_query_close(struct sql_query *q);

/* ------------------------------------------------ expressions over a row */

struct sql_rowexpr;

/*
 * Compiles x over the columns of table t (names bind to t's columns, its
 * rowid aliases, and with with_excluded to `excluded.col`, the row an
 * upsert tried to insert). Subqueries are allowed. Used for DEFAULT,
 * CHECK, UPDATE SET, upsert WHERE, RETURNING, index expressions.
 * t may be NULL (a DEFAULT: no columns). x must outlive the result.
 * @return 0 and *out, or an error ("no such column: x").
 */
int sql_rowexpr_compile(struct sql_conn *c, struct sql_stmt_h *h,
			const struct sql_table_def *t, const struct sql_expr *x,
			int with_excluded, struct sql_rowexpr **out,
			struct sdb_error *e);
/*
 * Evaluates over row[0..t->ncol) with its rowid (excl/excl_rowid: the
 * excluded row, or NULL). *out's bytes live until the next eval of r.
 * @return 0 or an error (integer overflow, a function's error ...).
 */
int sql_rowexpr_eval(struct sql_rowexpr *r, const struct sql_value *row,
		     int64_t rowid, const struct sql_value *excl,
		     int64_t excl_rowid, struct sql_value *out,
		     struct sdb_error *e);
/* The affinity of the expression (a bare column's, a CAST's), or 0. */
enum sql_aff sql_rowexpr_affinity(const struct sql_rowexpr *r);
void sql_rowexpr_free(struct sql_rowexpr *r);

/*
 * The name sqlite3 gives a result column: the alias, else a bare
 * column's name, else the expression's source text (sql[off..off+len)).
 * @return a NUL-terminated copy in a, or NULL (out of memory).
 */
const char *sql_rescol_name(const struct sql_rescol *rc, const char *sql,
			    struct sdb_sql_arena *a);

/* ------------------------------------- rows a write statement hands back */

/*
 * A non-SELECT statement that returns rows (RETURNING, PRAGMA) declares
 * its columns once (names copied), then emits rows (values copied); the
 * statement's sql_step hands them out in order. @return 0 or SDB_ENOMEM.
 */
int sql_stmt_set_columns(struct sql_stmt_h *h, int n,
			 const char *const *names, struct sdb_error *e);
int sql_stmt_emit_row(struct sql_stmt_h *h, const struct sql_value *v,
		      struct sdb_error *e);

/* The source text given to sql_prepare for statement h (for names and
 * sqlite_schema texts: spans in the tree are offsets into it). */
const char *sql_stmt_src(const struct sql_stmt_h *h);
/* The value bound to the parameter whose token starts at off (NULL when
 * unbound), as an X_PARAM expression reads it. */
struct sql_value sql_stmt_param(const struct sql_stmt_h *h, size_t off);
/* The statement's 'now' in ms (one value per statement). */
int64_t sql_stmt_now_ms(const struct sql_stmt_h *h);

#endif
