/*
 * parse.h - the SQL parser: text to the syntax tree of ast.h.
 *
 * A hand-written recursive-descent parser of SQLite's dialect, with
 * precedence climbing for expressions in SQLite's operator order (lowest
 * first): OR; AND; NOT; = == != <> IS [NOT] [DISTINCT FROM] BETWEEN IN
 * LIKE GLOB REGEXP MATCH ISNULL NOTNULL NOT NULL; < <= > >=; ESCAPE;
 * & | << >>; + -; * / %; || -> ->>; COLLATE; unary - + ~.
 * Errors are worded as SQLite words them (`near "FORM": syntax error`,
 * `incomplete input`, `unrecognized token: "'abc"`) and carry the line
 * and column of the offending token. Trees deeper than 1000 levels are
 * refused (SQLite's SQLITE_MAX_EXPR_DEPTH), so nothing recurses without
 * bound.
 */
#ifndef SDB_SQL_PARSE_H
#define SDB_SQL_PARSE_H

#include <setjmp.h>
#include <stddef.h>

#include "sql/ast.h"
#include "sql/tokenize.h"
#include "util/buf.h"
#include "util/err.h"

/* An allocation pool: everything a parse builds, freed at once. */
struct sdb_sql_arena {
	struct sdb_sql_block *head;
	char *cur;
	size_t left;
};

void sdb_sql_arena_init(struct sdb_sql_arena *a);
/* Frees every block (NULL allowed); the arena is empty again. */
void sdb_sql_arena_release(struct sdb_sql_arena *a);
/* Empties the arena but keeps its newest block for reuse (a per-row
 * arena reset between rows costs no malloc). */
void sdb_sql_arena_reset(struct sdb_sql_arena *a);
/* n zeroed bytes, 16-aligned, or NULL when out of memory. */
void *sdb_sql_arena_alloc(struct sdb_sql_arena *a, size_t n);

#define SDB_SQL_MAX_DEPTH 1000

struct sdb_sql_parser {
	struct sdb_sql_lexer lx;
	struct sdb_sql_arena *arena;
	struct sdb_error *e;
	struct sdb_sql_token tok[4]; /* tok[0] current, then lookahead */
	int ntok;
	int depth;
	int rc;
	size_t prev_end;             /* end offset of the last consumed token */
	int nvar;                    /* parameter tokens read (lookahead too) */
	jmp_buf jmp;
};

/* Starts parsing sql[0..len) into nodes allocated from arena (which must
 * outlive the trees). */
void sdb_sql_parser_init(struct sdb_sql_parser *p, struct sdb_sql_arena *arena,
			 const char *sql, size_t len);

/*
 * Parses the next statement (empty statements between ';' are skipped)
 * into *out; *out is NULL at the end of the input.
 * @return 0; SDB_EPARSE for a syntax error (e has the message, line and
 * column); SDB_ELIMIT for a tree that is too deep; SDB_EUNSUPPORTED for
 * triggers and ATTACH/DETACH; SDB_ENOMEM. After an error the parser
 * resumes after the next ';' on the next call.
 */
int sdb_sql_parse_next(struct sdb_sql_parser *p, struct sql_stmt **out,
		       struct sdb_error *e);

/*
 * Renders a tree as canonical SQL text (keywords upper-case, names quoted
 * only where needed, every compound expression in parentheses); the text
 * parses back to a tree that prints the same. Appends to b.
 * @return 0 or SDB_ENOMEM.
 */
int sdb_sql_print_stmt(struct sdb_buf *b, const struct sql_stmt *s);
int sdb_sql_print_expr(struct sdb_buf *b, const struct sql_expr *x);
int sdb_sql_print_select(struct sdb_buf *b, const struct sql_select *s);

#endif
