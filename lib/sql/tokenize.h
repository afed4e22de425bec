/*
 * tokenize.h - the SQL tokenizer: SQLite's lexical rules.
 *
 * Keywords are case-insensitive and come out as SQL_TK_KEYWORD with the
 * keyword's code in `kw` (the parser decides where a keyword may stand for
 * a name, as SQLite's %fallback does); identifiers "quoted", [bracketed] or
 * `backticked` come out as SQL_TK_QID; string literals keep their quotes
 * (sdb_sql_dequote() undoes '' escapes). Numbers: 12, 0x1F, 1e5, .5, 1.;
 * a number running into identifier characters (12abc) is an error, as in
 * SQLite. Parameters: ?, ?NNN, :name, @name, $name. Comments -- to the end
 * of the line and C-style (an unterminated one ends at the end of input, as
 * in SQLite). Every token carries its byte offset and its 1-based line and
 * column (columns count UTF-8 characters). As in SQLite, a NUL byte ends
 * the text.
 */
#ifndef SDB_SQL_TOKENIZE_H
#define SDB_SQL_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum sdb_sql_tk {
	SQL_TK_EOF = 0,
	SQL_TK_SEMI,
	SQL_TK_ID,       /* a bare word that is not a keyword */
	SQL_TK_KEYWORD,  /* a keyword; which one in `kw` */
	SQL_TK_QID,      /* "quoted", [bracketed] or `backticked` name */
	SQL_TK_STRING,   /* 'text' (quotes included) */
	SQL_TK_BLOB,     /* X'hex' (whole token) */
	SQL_TK_INTEGER,  /* decimal or 0x hex digits */
	SQL_TK_FLOAT,    /* 1.5, .5, 1., 1e5 */
	SQL_TK_VARIABLE, /* ?, ?NNN, :name, @name, $name */
	SQL_TK_LP, SQL_TK_RP, SQL_TK_COMMA, SQL_TK_DOT,
	SQL_TK_PLUS, SQL_TK_MINUS, SQL_TK_STAR, SQL_TK_SLASH, SQL_TK_REM,
	SQL_TK_CONCAT,   /* || */
	SQL_TK_PTR,      /* -> */
	SQL_TK_PTR2,     /* ->> */
	SQL_TK_LSHIFT, SQL_TK_RSHIFT,
	SQL_TK_LT, SQL_TK_LE, SQL_TK_GT, SQL_TK_GE,
	SQL_TK_EQ,       /* = or == */
	SQL_TK_NE,       /* <> or != */
	SQL_TK_BITAND, SQL_TK_BITOR, SQL_TK_BITNOT,
};

/* SQLite's keywords, in alphabetical order (sdb_sql_keyword_name). */
#define SDB_SQL_KEYWORDS(X) \
	X(ABORT) X(ACTION) X(ADD) X(AFTER) X(ALL) X(ALTER) X(ALWAYS) \
	X(ANALYZE) X(AND) X(AS) X(ASC) X(ATTACH) X(AUTOINCREMENT) X(BEFORE) \
	X(BEGIN) X(BETWEEN) X(BY) X(CASCADE) X(CASE) X(CAST) X(CHECK) \
	X(COLLATE) X(COLUMN) X(COMMIT) X(CONFLICT) X(CONSTRAINT) X(CREATE) \
	X(CROSS) X(CURRENT) X(CURRENT_DATE) X(CURRENT_TIME) \
	X(CURRENT_TIMESTAMP) X(DATABASE) X(DEFAULT) X(DEFERRABLE) \
	X(DEFERRED) X(DELETE) X(DESC) X(DETACH) X(DISTINCT) X(DO) X(DROP) \
	X(EACH) X(ELSE) X(END) X(ESCAPE) X(EXCEPT) X(EXCLUDE) X(EXCLUSIVE) \
	X(EXISTS) X(EXPLAIN) X(FAIL) X(FILTER) X(FIRST) X(FOLLOWING) X(FOR) \
	X(FOREIGN) X(FROM) X(FULL) X(GENERATED) X(GLOB) X(GROUP) X(GROUPS) \
	X(HAVING) X(IF) X(IGNORE) X(IMMEDIATE) X(IN) X(INDEX) X(INDEXED) \
	X(INITIALLY) X(INNER) X(INSERT) X(INSTEAD) X(INTERSECT) X(INTO) \
	X(IS) X(ISNULL) X(JOIN) X(KEY) X(LAST) X(LEFT) X(LIKE) X(LIMIT) \
	X(MATCH) X(MATERIALIZED) X(NATURAL) X(NO) X(NOT) X(NOTHING) \
	X(NOTNULL) X(NULL) X(NULLS) X(OF) X(OFFSET) X(ON) X(OR) X(ORDER) \
	X(OTHERS) X(OUTER) X(OVER) X(PARTITION) X(PLAN) X(PRAGMA) \
	X(PRECEDING) X(PRIMARY) X(QUERY) X(RAISE) X(RANGE) X(RECURSIVE) \
	X(REFERENCES) X(REGEXP) X(REINDEX) X(RELEASE) X(RENAME) X(REPLACE) \
	X(RESTRICT) X(RETURNING) X(RIGHT) X(ROLLBACK) X(ROW) X(ROWS) \
	X(SAVEPOINT) X(SELECT) X(SET) X(TABLE) X(TEMP) X(TEMPORARY) X(THEN) \
	X(TIES) X(TO) X(TRANSACTION) X(TRIGGER) X(UNBOUNDED) X(UNION) \
	X(UNIQUE) X(UPDATE) X(USING) X(VACUUM) X(VALUES) X(VIEW) X(VIRTUAL) \
	X(WHEN) X(WHERE) X(WINDOW) X(WITH) X(WITHOUT)

enum sdb_sql_kw {
	SQL_KW_NONE = 0,
#define SDB_SQL_KW_ENUM(k) SQL_KW_##k,
	SDB_SQL_KEYWORDS(SDB_SQL_KW_ENUM)
#undef SDB_SQL_KW_ENUM
	SQL_KW_COUNT_
};

struct sdb_sql_token {
	enum sdb_sql_tk type;
	enum sdb_sql_kw kw;   /* SQL_TK_KEYWORD only */
	const char *z;        /* the token's text in the input */
	size_t n;             /* its length in bytes */
	size_t off;           /* byte offset in the input */
	long line, col;       /* 1-based */
};

struct sdb_sql_lexer {
	const char *sql;
	size_t len;
	size_t pos;           /* next byte to read */
	size_t cpos;          /* line/col known up to here */
	long line, col;
	size_t checked;       /* sql[0..checked) known free of NUL bytes */
};

/* Starts reading sql[0..len), or up to its first NUL byte. */
void sdb_sql_lexer_init(struct sdb_sql_lexer *lx, const char *sql, size_t len);

/*
 * Reads the next token into t, skipping white space and comments; at the
 * end of input t->type is SQL_TK_EOF (positioned at the end).
 * @return 0, or SDB_EPARSE for text that is no token (unterminated string
 * or quoted name, bad blob literal, 12abc, a lone '!' ...): e says
 * `unrecognized token: "TEXT"` with the token's line and column, and t
 * holds the bad token.
 */
int sdb_sql_lexer_next(struct sdb_sql_lexer *lx, struct sdb_sql_token *t,
		       struct sdb_error *e);

/* The keyword code of the word z[0..n) (any case), or SQL_KW_NONE. */
enum sdb_sql_kw sdb_sql_keyword(const char *z, size_t n);

/* The keyword's upper-case spelling ("SELECT"). */
const char *sdb_sql_keyword_name(enum sdb_sql_kw kw);

/*
 * Whether keyword kw may also stand for a name (SQLite's %fallback ID
 * list, e.g. KEY, ASC, REPLACE, TEMP).
 */
int sdb_sql_keyword_is_name(enum sdb_sql_kw kw);

/* Line and column (1-based, columns in UTF-8 characters) moved from
 * text[from] to text[to]. */
void sdb_sql_advance(const char *text, size_t from, size_t to, long *line, long *col);

/*
 * Copies the text of a quoted token (STRING or QID) without its quotes
 * and with doubled quotes undone into out (room for n + 1 bytes suffices);
 * other tokens are copied as they are. @return the length written (out is
 * NUL-terminated).
 */
size_t sdb_sql_dequote(const char *z, size_t n, char *out);

/*
 * Finds the end of the first statement of text[0..len): the first ';'
 * token, as the lexer would read it (strings, quoted names and comments
 * passed over; a bad token passed over, an unterminated one, or a NUL
 * byte, runs to the end), by one pass over the bytes without building
 * tokens. @return 1 with *stmt_len = the offset of the ';' and *end just
 * after it, or 0 with both = len when there is none.
 */
int sdb_sql_split(const char *text, size_t len, size_t *end, size_t *stmt_len);

#endif
