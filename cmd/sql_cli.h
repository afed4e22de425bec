/*
 * sql_cli.h - the parts of sochdb-sql (cmd/sochdb-sql.c) shared by its
 * files: the shell's state, running scripts and statements, output, and
 * the dot-commands (sql_dot.c), .import (sql_import.c), .dump
 * (sql_dump.c) and the interactive prompt (sql_prompt.c).
 */
#ifndef SDB_SQL_CLI_H
#define SDB_SQL_CLI_H

#include "fmt/fmt.h"
#include "sql/sql.h"
#include "util/buf.h"

#include <stdio.h>

/* A bound parameter: name with or without its sigil (NULL: positional). */
struct shell_param {
	char *name;
	struct sql_value v; /* bytes owned (malloc) */
};

struct shell {
	struct sql_conn *conn;
	struct sql_open_opts oo;
	enum sdb_fmt fmt;
	int header;          /* -1: the format's default */
	char *null_text;     /* .nullvalue (NULL: the format's own) */
	int bail, timer, eqp, changes;
	int interactive;
	int failed;          /* some statement failed */
	int quit;            /* .quit seen */
	FILE *out;           /* .output target (stdout when NULL) */
	int once;            /* .once: back to stdout after one statement */
	struct shell_param *params;
	size_t nparams, cap_params;
	size_t npos;         /* positional --param values so far */
	struct sdb_buf ob;   /* the row writer's output buffer */
	int tmp_dir_ok;      /* -d DIR was seen to be a directory (spill files go there) */
};

/* Where a script comes from, for messages: "FILE: " or "" for -c/stdin. */
struct shell_src {
	const char *name;    /* NULL for -c and stdin */
	long line0, col0;    /* position of the text's first byte */
};

/* Runs a script (SQL and dot-commands); returns 0, or -1 after --bail
 * stopped it (or .quit). */
int shell_run(struct shell *sh, const char *text, size_t len,
	      const struct shell_src *src);
/* Whether text holds only complete statements (and at least one): what
 * follows the last ';' is white space or comments. */
int shell_complete(const char *text, size_t len);
/* Runs one SQL statement text (sql[0..len), without its ';'), printing
 * rows; pos: where it starts. @return 0 or the error code (reported). */
int shell_exec_sql(struct shell *sh, const char *sql, size_t len,
		   const struct shell_src *src, long line, long col);
/* Runs a query for the shell itself (dot-commands): every row to fn.
 * @return 0, or the error (not reported). */
typedef int (*shell_row_fn)(void *ctx, struct sql_stmt_h *st);
int shell_query(struct shell *sh, const char *sql, shell_row_fn fn, void *ctx,
		struct sdb_error *e);
/* Reports an error of a statement or command at line/col of src. */
void shell_report(struct shell *sh, const struct shell_src *src, long line,
		  long col, int code, const struct sdb_error *e);
/* Opens the connection on first use. @return 0 or the error (reported). */
int shell_conn(struct shell *sh);

/* After a statement or dot-command: a .once file is closed. */
void shell_once_done(struct shell *sh);
/* A CREATE statement's text as sqlite3's .schema and .dump print it. */
void shell_put_create(struct sdb_buf *b, const char *sql, size_t n);
/* Where the output goes now. */
FILE *shell_out(struct shell *sh);
/* A sink for lib/fmt writing to shell_out. */
int shell_sink(void *ctx, const char *p, size_t n, struct sdb_error *e);

/* Parameters: set name (NULL: the next positional) to the value text
 * (an SQL literal or expression evaluated by the engine, else text). */
int shell_param_set(struct shell *sh, const char *name, const char *text);
void shell_param_clear(struct shell *sh, const char *name);

/* Dot-commands (sql_dot.c): one line without its end. @return 0 or -1
 * when it failed (reported). */
int shell_dot(struct shell *sh, const char *line, size_t len,
	      const struct shell_src *src, long lineno);
/* The format names .mode and --format take. */
int shell_parse_mode(const char *name, enum sdb_fmt *out);

/* .import (sql_import.c): argv[1..argc). */
int shell_import(struct shell *sh, int argc, char **argv,
		 const struct shell_src *src, long lineno);
/* 1 when TABLE exists (SELECT * FROM it prepares), 0 not, or SDB_ENOMEM. */
int shell_table_exists(struct shell *sh, const char *table);
/* .import --npy FILE TABLE COLUMN [--ids FILE] [--column NAME FILE]...
 * (sql_vimport.c): extra holds nextra (NAME, FILE) pairs. */
int shell_import_npy(struct shell *sh, const char *file, const char *table,
		     const char *col, const char *ids_file, char *const *extra, int nextra,
		     const struct shell_src *src, long lineno);
/* .dump (sql_dump.c) [TABLE...]. */
int shell_dump(struct shell *sh, int argc, char **argv);
/* SQL literal of a value (as quote() writes it) appended to b. */
void shell_quote_value(struct sdb_buf *b, const struct sql_value *v);
/* A name as SQL: bare when it may stand bare, else "quoted". */
void shell_quote_name(struct sdb_buf *b, const char *name);

/* The interactive prompt (sql_prompt.c). @return the exit status. */
int shell_prompt(struct shell *sh);

#endif
