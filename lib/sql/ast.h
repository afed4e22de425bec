/*
 * ast.h - the SQL syntax tree that parse.c builds and ast_print.c prints.
 *
 * Every node lives in one sdb_sql_arena (parse.h) and is freed with it;
 * names and literal texts are NUL-terminated copies in the arena (names
 * dequoted; string literals with '' undone; numbers, blobs and parameters
 * as written). Lists are arrays of pointers with a count. Each expression
 * and statement records the span of input text it came from (result
 * columns are named after it, as SQLite names them).
 */
#ifndef SDB_SQL_AST_H
#define SDB_SQL_AST_H

#include <stddef.h>
#include <stdint.h>

struct sql_select;

/* A name as written: z dequoted; dq set when it was "double-quoted" (a
 * double-quoted name that resolves to nothing is a string in SQLite). */
struct sql_name {
	const char *z; /* NULL when absent */
	uint8_t dq;
};

enum sql_expr_kind {
	SQL_E_NULL,
	SQL_E_INTEGER,  /* text: decimal or 0x hex digits as written */
	SQL_E_FLOAT,    /* text as written */
	SQL_E_STRING,   /* text: the value */
	SQL_E_BLOB,     /* text: the hex digits */
	SQL_E_PARAM,    /* text: "?", "?3", ":name", "@name", "$name" */
	SQL_E_CTIME,    /* CURRENT_TIME/DATE/TIMESTAMP: kw */
	SQL_E_COLUMN,   /* [schema.][table.]name */
	SQL_E_STAR,     /* count(*) argument only */
	SQL_E_UNARY,    /* op: SQL_OP_NEG, POS, NOT, BITNOT; left */
	SQL_E_BINARY,   /* op; left, right */
	SQL_E_COLLATE,  /* left COLLATE name */
	SQL_E_BETWEEN,  /* left [NOT] BETWEEN right AND third */
	SQL_E_IN,       /* left [NOT] IN (list) | (select) | table[(args)] */
	SQL_E_LIKE,     /* left [NOT] op right [ESCAPE third]; op LIKE/GLOB/REGEXP/MATCH */
	SQL_E_ISNULL,   /* left ISNULL (not: NOTNULL / NOT NULL) */
	SQL_E_CASE,     /* CASE [left] WHEN list[2i] THEN list[2i+1] ... [ELSE right] END */
	SQL_E_CAST,     /* CAST(left AS type) */
	SQL_E_EXISTS,   /* [NOT] EXISTS (select) */
	SQL_E_SUBQUERY, /* (select) */
	SQL_E_FUNC,     /* name(list) [FILTER (WHERE right)] [OVER window] */
	SQL_E_VECTOR,   /* (list[0], list[1], ...) */
	SQL_E_RAISE,    /* RAISE(IGNORE|ROLLBACK|ABORT|FAIL[, left]) */
};

enum sql_op {
	SQL_OP_NONE,
	SQL_OP_OR, SQL_OP_AND,
	SQL_OP_EQ, SQL_OP_NE, SQL_OP_IS, SQL_OP_ISNOT,
	SQL_OP_ISDISTINCT, SQL_OP_ISNOTDISTINCT,
	SQL_OP_LT, SQL_OP_LE, SQL_OP_GT, SQL_OP_GE,
	SQL_OP_BITAND, SQL_OP_BITOR, SQL_OP_LSHIFT, SQL_OP_RSHIFT,
	SQL_OP_ADD, SQL_OP_SUB, SQL_OP_MUL, SQL_OP_DIV, SQL_OP_REM,
	SQL_OP_CONCAT, SQL_OP_PTR, SQL_OP_PTR2,
	SQL_OP_NEG, SQL_OP_POS, SQL_OP_NOT, SQL_OP_BITNOT,
	SQL_OP_LIKE, SQL_OP_GLOB, SQL_OP_REGEXP, SQL_OP_MATCH,
	SQL_OP_RAISE_IGNORE, SQL_OP_RAISE_ROLLBACK, SQL_OP_RAISE_ABORT,
	SQL_OP_RAISE_FAIL,
};

struct sql_window;

struct sql_expr {
	enum sql_expr_kind kind;
	enum sql_op op;
	uint8_t not_;       /* NOT BETWEEN / NOT IN / NOT LIKE / NOTNULL / NOT EXISTS */
	uint8_t distinct;   /* FUNC: f(DISTINCT ...); IN: a table function given (args) */
	int kw;             /* CTIME: enum sdb_sql_kw */
	const char *text;   /* literal text; COLLATE: collation; CAST: type */
	struct sql_name schema, table, name; /* COLUMN; FUNC and IN table: name */
	struct sql_expr *left, *right, *third;
	struct sql_expr **list; /* IN list, CASE pairs, FUNC/IN-table args, VECTOR */
	int nlist;
	struct sql_select *select; /* IN, EXISTS, SUBQUERY */
	struct sql_window *over;   /* FUNC ... OVER */
	int height;         /* tree height (SQLite's limit: 1000) */
	size_t off, len;    /* source span */
};

struct sql_order {
	struct sql_expr *e;
	uint8_t desc;       /* DESC */
	uint8_t asc;        /* ASC written */
	uint8_t nulls;      /* 0 unspecified, 1 NULLS FIRST, 2 NULLS LAST */
};

/* OVER (...) or OVER name: base window name, PARTITION BY, ORDER BY and a
 * frame kept as its words (the engine interprets them). */
struct sql_window {
	struct sql_name name;      /* OVER name / WINDOW name AS */
	struct sql_name base;
	struct sql_expr **partition;
	int npartition;
	struct sql_order **order;
	int norder;
	const char *frame;         /* canonical frame text or NULL */
	struct sql_expr *frame_start, *frame_end; /* <expr> PRECEDING/FOLLOWING */
};

struct sql_rescol {
	struct sql_expr *e;        /* NULL for * and table.* */
	struct sql_name table;     /* table.* */
	struct sql_name alias;
	uint8_t star;
};

enum sql_join {
	SQL_JOIN_COMMA, SQL_JOIN_INNER, SQL_JOIN_LEFT, SQL_JOIN_RIGHT,
	SQL_JOIN_FULL, SQL_JOIN_CROSS,
};

struct sql_from;

/* One FROM item, joined to the items before it. */
struct sql_source {
	enum sql_join join;        /* how it joins to the left (item 0: COMMA) */
	uint8_t natural, outer, join_kw; /* join_kw: "JOIN" alone (INNER implied) */
	struct sql_name schema, name, alias;
	struct sql_expr **args;    /* table-valued function t(args) */
	int nargs;
	uint8_t has_args;
	struct sql_select *sub;    /* (select) */
	struct sql_from *paren;    /* (a JOIN b) */
	struct sql_expr *on;
	struct sql_name *using_;
	int nusing;
	struct sql_name indexed;   /* INDEXED BY name */
	uint8_t not_indexed;
};

struct sql_from {
	struct sql_source **items;
	int n;
};

struct sql_cte {
	struct sql_name name;
	struct sql_name *cols;
	int ncols;
	uint8_t materialized;      /* 0 unspecified, 1 MATERIALIZED, 2 NOT MATERIALIZED */
	struct sql_select *select;
};

struct sql_with {
	uint8_t recursive;
	struct sql_cte **ctes;
	int n;
};

enum sql_compound {
	SQL_CMP_NONE, SQL_CMP_UNION, SQL_CMP_UNION_ALL, SQL_CMP_INTERSECT,
	SQL_CMP_EXCEPT,
};

/* One SELECT or VALUES core of a (compound) select. */
struct sql_core {
	enum sql_compound op;      /* how it joins the cores before (core 0: NONE) */
	uint8_t values;            /* VALUES rows */
	uint8_t distinct;          /* 1 DISTINCT, 2 ALL written */
	struct sql_rescol **cols;
	int ncols;
	struct sql_from *from;
	struct sql_expr *where;
	struct sql_expr **group;
	int ngroup;
	struct sql_expr *having;
	struct sql_window **windows; /* WINDOW name AS (...) */
	int nwindows;
	struct sql_expr **rows;    /* VALUES: each row a SQL_E_VECTOR */
	int nrows;
};

struct sql_select {
	struct sql_with *with;
	struct sql_core **cores;
	int ncores;
	struct sql_order **order;
	int norder;
	struct sql_expr *limit, *offset;
	uint8_t limit_comma;       /* LIMIT offset, count */
};

enum sql_conflict {
	SQL_OR_NONE, SQL_OR_ROLLBACK, SQL_OR_ABORT, SQL_OR_FAIL, SQL_OR_IGNORE,
	SQL_OR_REPLACE,
};

struct sql_set {                /* SET col = e  or  SET (a, b) = e */
	struct sql_name *cols;
	int ncols;
	uint8_t paren;
	struct sql_expr *e;
};

struct sql_upsert {             /* ON CONFLICT [(target) [WHERE]] DO NOTHING|UPDATE */
	struct sql_order **target;
	int ntarget;
	struct sql_expr *target_where;
	uint8_t do_update;
	uint8_t dup_key;            /* MySQL ON DUPLICATE KEY UPDATE */
	struct sql_set **sets;
	int nsets;
	struct sql_expr *where;
};

struct sql_fkey {               /* REFERENCES t (cols) clauses */
	struct sql_name table;
	struct sql_name *cols;
	int ncols;
	const char *clauses;        /* ON DELETE/UPDATE ..., MATCH, DEFERRABLE ... as canonical text */
};

enum sql_cons_kind {
	SQL_CONS_PRIMARY, SQL_CONS_NOTNULL, SQL_CONS_NULL, SQL_CONS_UNIQUE,
	SQL_CONS_CHECK, SQL_CONS_DEFAULT, SQL_CONS_COLLATE, SQL_CONS_REFERENCES,
	SQL_CONS_GENERATED, SQL_CONS_FOREIGN,
};

/* A column or table constraint. */
struct sql_constraint {
	enum sql_cons_kind kind;
	struct sql_name name;       /* CONSTRAINT name */
	uint8_t desc, asc, autoinc; /* PRIMARY KEY DESC / ASC / AUTOINCREMENT */
	enum sql_conflict conflict; /* ON CONFLICT clause */
	struct sql_expr *e;         /* CHECK, DEFAULT, GENERATED AS */
	const char *text;           /* COLLATE name; GENERATED STORED/VIRTUAL */
	struct sql_order **cols;    /* table PRIMARY KEY / UNIQUE */
	int ncols;
	struct sql_name *fcols;     /* table FOREIGN KEY (cols) */
	int nfcols;
	struct sql_fkey fk;         /* REFERENCES / FOREIGN KEY */
};

struct sql_column {
	struct sql_name name;
	const char *type;           /* declared type as canonical text, or NULL */
	struct sql_constraint **cons;
	int ncons;
};

enum sql_stmt_kind {
	SQL_S_SELECT, SQL_S_INSERT, SQL_S_UPDATE, SQL_S_DELETE,
	SQL_S_CREATE_TABLE, SQL_S_CREATE_INDEX, SQL_S_CREATE_VIEW,
	SQL_S_CREATE_VTABLE, SQL_S_DROP, SQL_S_ALTER, SQL_S_BEGIN,
	SQL_S_COMMIT, SQL_S_ROLLBACK, SQL_S_SAVEPOINT, SQL_S_RELEASE,
	SQL_S_PRAGMA, SQL_S_ANALYZE, SQL_S_VACUUM, SQL_S_REINDEX,
};

enum sql_drop { SQL_DROP_TABLE, SQL_DROP_INDEX, SQL_DROP_VIEW };
enum sql_alter { SQL_ALTER_RENAME, SQL_ALTER_RENAME_COLUMN, SQL_ALTER_ADD,
		 SQL_ALTER_DROP_COLUMN };
enum sql_begin { SQL_BEGIN_PLAIN, SQL_BEGIN_DEFERRED, SQL_BEGIN_IMMEDIATE,
		 SQL_BEGIN_EXCLUSIVE };

/* The key = value options of CREATE INDEX ... USING m (...) WITH (...). */
struct sql_option {
	struct sql_name key;
	struct sql_expr *value;
};

struct sql_stmt {
	enum sql_stmt_kind kind;
	uint8_t explain;            /* 1 EXPLAIN, 2 EXPLAIN QUERY PLAN */
	size_t off, len;            /* source text (without the ';') */
	long line, col;

	struct sql_name schema, name; /* the object: table, index, view, savepoint, pragma */
	struct sql_name name2;      /* ALTER: new name / column; INDEX: its table;
	                               UPDATE/DELETE: INDEXED BY name */
	struct sql_select *select;  /* SELECT; INSERT ... SELECT; CREATE ... AS; VIEW */
	struct sql_with *with;      /* INSERT/UPDATE/DELETE */
	uint8_t if_not_exists, if_exists, temp, unique, without_rowid, strict;
	uint8_t not_indexed;        /* UPDATE/DELETE ... NOT INDEXED */
	uint8_t replace;            /* REPLACE INTO (INSERT) */
	uint8_t mysql_ignore;       /* INSERT IGNORE INTO (MySQL) */
	uint8_t default_values;
	uint8_t savepoint_kw, transaction_kw;
	enum sql_conflict conflict; /* INSERT OR x / UPDATE OR x */
	int sub;                    /* enum sql_drop / sql_alter / sql_begin */
	struct sql_name alias;      /* INSERT INTO t AS a; UPDATE/DELETE t AS a;
	                               ALTER RENAME COLUMN: the old name */
	struct sql_name *cols;      /* INSERT column list; VIEW column names */
	int ncols;
	uint8_t has_cols;
	struct sql_upsert **upserts;
	int nupserts;
	struct sql_rescol **returning;
	int nreturning;
	struct sql_set **sets;      /* UPDATE */
	int nsets;
	struct sql_from *from;      /* UPDATE ... FROM */
	struct sql_expr *where;     /* UPDATE/DELETE; partial INDEX */
	struct sql_order **order;   /* DELETE/UPDATE ... ORDER BY; INDEX columns */
	int norder;
	struct sql_expr *limit, *offset;
	struct sql_column **columns; /* CREATE TABLE; ALTER ADD COLUMN (one) */
	int ncolumns;
	struct sql_constraint **tcons;
	int ntcons;
	struct sql_name using_;     /* INDEX ... USING m; VIRTUAL TABLE ... USING m */
	struct sql_option **options; /* INDEX ... WITH (k = v) */
	int noptions;
	const char **vargs;         /* VIRTUAL TABLE module arguments, as text */
	int nvargs;
	uint8_t has_vargs;
	struct sql_expr *value;     /* PRAGMA x = value / x(value) */
	uint8_t pragma_call;        /* PRAGMA x(value) */
};

#endif
