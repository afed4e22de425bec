/*
 * catalog.h - the schema: tables, columns, indexes, views, as the rest of
 * lib/sql sees them (catalog.c loads and persists them in the store;
 * record.c encodes rows and keys; see doc/FORMAT.md for the bytes).
 *
 * Owner: catalog.c (the sql-store part of lib/sql). The struct layout
 * below is the contract between the writer side (DDL/DML) and the reader
 * side (resolve/plan/exec); fields may be added, not changed in meaning.
 *
 * DESIGN. Every SQL key lives in the reserved store namespace SQL_NS.
 * Inside it the first tuple element says what the key is:
 *   catalog   (0, kind, name)            -> the object's record
 *   table row (table id, pk values...)   -> row record (record.h)
 *   index     (index id, values..., pk)  -> empty (or pk for WITHOUT ROWID)
 * Table and index ids are positive integers drawn from one counter kept
 * in the catalog, never reused, so DROP + CREATE never meets old keys.
 * A rowid table's key is (id, rowid); a WITHOUT ROWID table's key is
 * (id, PRIMARY KEY columns in declared order, DESC inverted).
 */
#ifndef SDB_SQL_CATALOG_H
#define SDB_SQL_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "sql/ast.h"
#include "sql/parse.h"
#include "sql/value.h"
#include "util/err.h"

/* The reserved store namespace of SQL data ("$sql"): sochdb-kv refuses
 * -n names starting with '$' and its listings skip them. */
#define SQL_NS "$sql"
#define SQL_NS_LEN 4

struct sql_hnsw_def;

struct sql_col_def {
	char *name;
	char *type;            /* declared type text, or NULL */
	enum sql_aff aff;
	enum sql_coll coll;
	uint8_t notnull;
	uint8_t pk;            /* 1-based position in the PRIMARY KEY, 0 none */
	uint8_t hidden;
	struct sql_expr *dflt; /* DEFAULT expression (in the catalog's arena), or NULL */
	int notnull_conflict;  /* enum sql_conflict of NOT NULL ON CONFLICT */
	/* The DEFAULT when it is a constant (a literal, signed number,
	 * NULL): its value with the column's affinity applied (bytes in
	 * the catalog's arena); what a record without this cell reads. */
	uint8_t dflt_const;
	struct sql_value dflt_value;
	uint8_t dflt_ctime;    /* DEFAULT CURRENT_TIME/DATE/TIMESTAMP (kw in dflt) */
	uint32_t vec_dim;      /* VECTOR(D): D (sql/vec.h), else 0 */
};

struct sql_index_def {
	char *name;
	uint32_t id;
	struct sql_table_def *table;
	int ncol;
	int *cols;             /* table column index; -1 the rowid; -2 an expression */
	struct sql_expr **exprs; /* for cols[i] == -2 */
	uint8_t *desc;
	enum sql_coll *coll;
	uint8_t unique;
	uint8_t origin;        /* 'c' CREATE INDEX, 'u' UNIQUE, 'p' PRIMARY KEY */
	int conflict;          /* enum sql_conflict of the UNIQUE/PK clause */
	struct sql_expr *where; /* partial index, or NULL */
	char *sql;             /* CREATE INDEX text, NULL for automatic ones */
	double est_rows;       /* ANALYZE's or the default estimate */
	uint8_t analyzed;      /* est_rows came from ANALYZE */
	struct sql_hnsw_def *hnsw; /* USING hnsw (sql/vecindex.h), or NULL: a b-tree */
};

struct sql_check_def {
	char *name;            /* CONSTRAINT name or NULL */
	struct sql_expr *e;
};

struct sql_fkey_def {
	int ncol;
	int *cols;             /* child columns */
	char *parent;          /* parent table name */
	char **pcols;          /* parent columns (NULL: its primary key) */
	int on_delete, on_update; /* 0 NO ACTION, 1 RESTRICT, 2 SET NULL, 3 SET DEFAULT, 4 CASCADE */
};

struct sql_table_def {
	char *name;
	uint32_t id;
	int ncol;
	struct sql_col_def *cols;
	int ipk;               /* column that is the INTEGER PRIMARY KEY (rowid alias), or -1 */
	uint8_t autoinc;
	uint8_t without_rowid;
	int npk;               /* PRIMARY KEY columns (0: none declared) */
	int *pk;               /* their column indexes, declared order */
	uint8_t *pk_desc;
	int pk_conflict;       /* enum sql_conflict of the PRIMARY KEY clause */
	struct sql_index_def **idx;
	int nidx;
	struct sql_check_def *checks;
	int nchecks;
	struct sql_fkey_def *fks;
	int nfks;
	char *sql;             /* CREATE TABLE text as sqlite_schema shows it */
	double est_rows;       /* ANALYZE's or SQLite's default (1,000,000) */
	uint8_t analyzed;      /* est_rows came from ANALYZE */

	/* A view: is_view set, select and column names (NULL: from select). */
	uint8_t is_view;
	struct sql_select *view;
	struct sql_name *view_cols; /* CREATE VIEW v(a, b): the names, or NULL */
	int nview_cols;

	/* Writer side (dml.c): the largest rowid of the table as the open
	 * transaction sees it, when max_rowid_ok. */
	int64_t max_rowid;
	uint8_t max_rowid_ok;
	uint8_t is_system;     /* sqlite_schema / sqlite_sequence (read-only views of the catalog) */
	struct sql_fts_def *fts; /* an FTS5 table (fts.h), or NULL */
};

struct sql_catalog;

/* Table or view by name (ASCII case-insensitive), or NULL. */
struct sql_table_def *sql_catalog_table(struct sql_catalog *cat,
					const char *name);
struct sql_index_def *sql_catalog_index(struct sql_catalog *cat,
					const char *name);
/* Column index by name (case-insensitive), -1 for rowid/oid/_rowid_ of a
 * rowid table not shadowed by a column, -2 when absent. */
int sql_table_column(const struct sql_table_def *t, const char *name);

/* A number that changes whenever the schema does (DDL here or in another
 * process, a rollback of DDL): a prepared statement resolved against an
 * older number must be resolved again. */
uint64_t sql_catalog_version(const struct sql_catalog *cat);

/* Every index, in creation order. */
int sql_catalog_index_count(struct sql_catalog *cat);
struct sql_index_def *sql_catalog_index_nth(struct sql_catalog *cat, int i);

/* Every table, in creation order (for .tables, .schema, sqlite_schema). */
int sql_catalog_count(struct sql_catalog *cat);
struct sql_table_def *sql_catalog_nth(struct sql_catalog *cat, int i);

#endif
