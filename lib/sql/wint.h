/*
 * wint.h - internals shared by the sql-store files (catalog.c, ddl.c,
 * dml.c, wtxn.c, pragma.c, wlit.c); not for the reader side.
 */
#ifndef SDB_SQL_WINT_H
#define SDB_SQL_WINT_H

#include "sql/catalog.h"
#include "sql/fts.h"
#include "sql/record.h"
#include "sql/write.h"

struct sql_catalog {
	struct sdb_sql_arena mem;       /* every def and its texts */
	struct sql_table_def **tabs;    /* tables and views, by id */
	int ntab, captab;
	struct sql_index_def **idxs;    /* indexes, by id */
	int nidx, capidx;
	uint32_t next_id;               /* the id counter (persisted) */
	uint64_t version;               /* the persisted schema version */
	uint64_t gen;                   /* bumped at every change in memory */
	struct sql_table_def *sys_schema; /* sqlite_schema / sqlite_master */
};

/* The id of sqlite_schema's rows (kept by every DDL as a real table, so
 * queries read it as any other). */
#define SQL_SCHEMA_ID 0xfffffff0u
int sql_cat_write_schema_rows(struct sql_wstate *w, struct sdb_error *e);

/* ------------------------------------------------------------ catalog */

struct sql_catalog *sql_cat_new(void);
void sql_cat_free(struct sql_catalog *c);
/* A fresh catalog read through t (NULL: empty). */
int sql_cat_read(struct sdb_txn *t, struct sql_catalog **out,
		 struct sdb_error *e);
/* The persisted version of the catalog as t sees it (0: none). */
int sql_cat_stored_version(struct sdb_txn *t, uint64_t *version,
			   struct sdb_error *e);
/* Builds a table (or view) def from its CREATE text; table id and the
 * ids of its automatic indexes (next ones from the counter when
 * autoids is NULL, else looked up by name there). */
struct sql_objrec;
int sql_cat_build_table(struct sql_catalog *c, const char *sql, uint32_t id,
			const struct sql_objrec *recs, int nrecs,
			struct sql_table_def **out, struct sdb_error *e);
int sql_cat_build_index(struct sql_catalog *c, const char *sql, uint32_t id,
			struct sql_index_def **out, struct sdb_error *e);
int sql_cat_add(struct sql_catalog *c, struct sql_table_def *t,
		struct sdb_error *e);
int sql_cat_add_index(struct sql_catalog *c, struct sql_index_def *x,
		      struct sdb_error *e);
void sql_cat_remove_table(struct sql_catalog *c, struct sql_table_def *t);
void sql_cat_remove_index(struct sql_catalog *c, struct sql_index_def *x);
/* Writes the object record of a table/view/index (and of a table's
 * automatic indexes) / deletes it; writes the meta record. */
int sql_cat_put_table(struct sql_wstate *w, const struct sql_table_def *t,
		      struct sdb_error *e);
int sql_cat_put_index(struct sql_wstate *w, const struct sql_index_def *x,
		      struct sdb_error *e);
int sql_cat_del_obj(struct sql_wstate *w, uint32_t id, struct sdb_error *e);
int sql_cat_put_meta(struct sql_wstate *w, struct sdb_error *e);
/* Any object (table, view, index) named name, its type in *type. */
int sql_cat_name_taken(struct sql_catalog *c, const char *name,
		       const char **type);
/* The canonical CREATE text of statement st ("CREATE TABLE " + the text
 * from its name on), in the catalog's arena. */
char *sql_cat_create_text(struct sql_catalog *c, const struct sql_stmt *st,
			  const char *src, struct sdb_error *e);
char *sql_cat_strdup(struct sql_catalog *c, const char *s);
int sql_name_eq(const char *a, const char *b);

/* --------------------------------------------------- literals (stand-in) */

/* The value of a constant expression (literal, signed number, NULL) into
 * *out with bytes in mem. @return 1 constant, 0 not constant, or an error. */
int sql_w_const(const struct sql_expr *x, struct sdb_sql_arena *mem,
		struct sql_value *out);
enum sql_aff sql_w_affinity(const char *decl);
int sql_w_coll(const char *name, enum sql_coll *out, struct sdb_error *e);
int sql_w_copy(struct sql_value *v, struct sdb_sql_arena *mem);
int sql_w_apply_aff(struct sql_value *v, enum sql_aff aff,
		    struct sdb_sql_arena *mem);

/* ------------------------------------------------------- transactions */

/* Makes sure the writer lock is held and a transaction is open for a
 * writing statement; the database is created when missing. */
int sql_w_begin_write(struct sql_wstate *w, struct sdb_error *e);
/* Ends a writing statement: ok → release its savepoint / commit outside
 * BEGIN; failure → roll back the statement (whole transaction when
 * rollback_txn). @return 0 or the commit's error. */
int sql_w_end_write(struct sql_wstate *w, int ok, int rollback_txn,
		    struct sdb_error *e);
int sql_w_txn_stmt(struct sql_conn *c, struct sql_wstate *w,
		   const struct sql_stmt *st, struct sdb_error *e);

/* ------------------------------------------------------------- DDL/DML */

int sql_ddl(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
	    const struct sql_stmt *st, const char *src, struct sql_rows *out,
	    struct sdb_error *e);
int sql_dml(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
	    const struct sql_stmt *st, struct sql_rows *out,
	    struct sdb_error *e);
int sql_w_alter(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
		const struct sql_stmt *st, const char *src, struct sdb_error *e);
int sql_w_vacuum(struct sql_wstate *w, struct sdb_error *e);
/* Foreign keys (fk.c), when PRAGMA foreign_keys is on: the parent of a
 * written row exists; the children of a deleted (newrow NULL) or changed
 * parent row are acted on or refuse. */
int sql_w_fk_child(struct sql_wstate *w, const struct sql_table_def *t,
		   const struct sql_value *row, struct sdb_error *e);
int sql_w_fk_parent(struct sql_wstate *w, const struct sql_table_def *p,
		    const struct sql_value *oldrow, const struct sql_value *newrow,
		    struct sdb_error *e);
int sql_w_create_as(struct sql_conn *c, struct sql_wstate *w, struct sql_stmt_h *h,
		    const struct sql_stmt *st, struct sdb_error *e);
int sql_w_create_from_text(struct sql_wstate *w, char *text, struct sdb_error *e);
void sql_w_put_name(struct sdb_buf *b, const char *z);
int sql_pragma(struct sql_conn *c, struct sql_wstate *w,
	       const struct sql_stmt *st, struct sql_rows *out,
	       struct sdb_error *e);

#endif
