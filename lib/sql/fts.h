/*
 * fts.h - full-text search with SQLite FTS5's surface (lib/sql/fts*.c).
 *
 * DESIGN. `CREATE VIRTUAL TABLE t USING fts5(cols...)` makes an ordinary
 * catalog table (type 'table', its CREATE text kept as written) whose
 * definition carries `fts`: the columns, two hidden columns (`t` itself,
 * for `t MATCH ...` and the auxiliary functions, and `rank`), the
 * tokenizer and the content mode. A table with its own content keeps its
 * rows as any rowid table; an external-content table (content='docs')
 * keeps none and reads its content table by rowid; a contentless one
 * (content='') keeps only the index. The index lives in the same store
 * namespace under the negative of the table's id (doc/FORMAT.md):
 *   (-id, 0)               totals: [rows, tokens of column 0, ..., 2]
 *   (-id, 1, rowid)        the row's token count per column
 *   (-id, 3, term, first)  a posting block of the term (fts_post.c):
 *                          up to 128 rows from rowid first on
 * written in the row's own transaction (dml.c calls sql_fts_row for every
 * row written or deleted of an FTS table or of a content table; the
 * postings wait in memory until a flush, fts_pend.c).
 *
 * The query side (fts_exec.c) reads the index through the statement's
 * snapshot: a MATCH parsed by fts_query.c into phrases and a tree,
 * evaluated row by row in rowid order; bm25(), highlight(), snippet()
 * and the `rank` column read the current row's match.
 */
#ifndef SDB_SQL_FTS_H
#define SDB_SQL_FTS_H

#include <stddef.h>
#include <stdint.h>

#include "sql/catalog.h"
#include "util/buf.h"
#include "util/err.h"

/* ------------------------------------------------------------ tokenizers */

struct fts_tok;
/* Called for every token: its folded text, and the byte range [start,
 * end) it came from. @return 0 to go on, non-zero stops (returned). */
typedef int (*fts_tok_cb)(void *ctx, const char *tok, int n, int start,
			  int end);
/* A tokenizer from FTS5's tokenize= text ("porter unicode61
 * remove_diacritics 1", "trigram", "ascii"). */
int fts_tok_new(const char *spec, struct fts_tok **out, struct sdb_error *e);
void fts_tok_free(struct fts_tok *t);
int fts_tokenize(struct fts_tok *t, const char *text, int n, void *ctx,
		 fts_tok_cb cb);
/* Whether the tokenizer is trigram (queries of fewer than 3 characters
 * match nothing, as FTS5's). */
int fts_tok_is_trigram(const struct fts_tok *t);

/* ------------------------------------------------------------ definitions */

enum { FTS_CONTENT_OWN, FTS_CONTENT_EXTERNAL, FTS_CONTENT_NONE };

struct sql_fts_def {
	int ncol;                  /* user columns: table cols 0..ncol-1 */
	uint8_t *unindexed;        /* UNINDEXED columns */
	int hid_tab, hid_rank;     /* the hidden columns' positions */
	int content;               /* FTS_CONTENT_* */
	char *content_name;        /* external content table */
	char *content_rowid;       /* its rowid column name, or NULL */
	char *tokenize;            /* tokenize= text */
	struct fts_tok *tok;
	int prefix[32], nprefix;   /* prefix= lengths (accepted; prefix
	                              queries read the term range anyway) */
	int64_t neg_id;            /* -table id: the index keys' first element */
};

/* Builds the definition of a CREATE VIRTUAL TABLE statement (catdef.c's
 * hook): columns, hidden columns, options. Errors as FTS5 words them. */
struct sql_catalog;
int sql_fts_build(struct sql_catalog *c, const struct sql_stmt *st,
		  struct sql_table_def *t, struct sdb_error *e);

/* ------------------------------------------------------------ writer side */

struct sql_wstate;
/* A row of table t written (del 0) or deleted (del 1): t an FTS table
 * (its index entries) or a content table of some (theirs). */
int sql_fts_row(struct sql_wstate *w, const struct sql_table_def *t,
		const struct sql_value *row, int64_t rowid, int del,
		struct sdb_error *e);
/* INSERT INTO t(t[, rank]) VALUES(cmd[, arg]): FTS5's special commands
 * ('rebuild', 'delete-all', 'delete', 'optimize', 'integrity-check',
 * ...). @return 1 when the row was a command (nothing stored), 0 when it
 * is an ordinary row, or an error. */
int sql_fts_command(struct sql_wstate *w, const struct sql_table_def *t,
		    const struct sql_value *row, int64_t rowid, int has_rowid,
		    struct sdb_error *e);
/* DROP TABLE of an FTS table: its index keys go too. */
int sql_fts_drop(struct sql_wstate *w, const struct sql_table_def *t,
		 struct sdb_error *e);
/* Keys of the index: (neg_id, kind, ...). */
void sql_fts_key(struct sdb_buf *b, int64_t neg_id, int kind);

/* The pending postings of the open transaction (fts_pend.c): each row's
 * terms go to an in-memory index (a failed statement's are taken back)
 * written as merged posting blocks by a flush. */
/* One token of a row: its bytes terms[off..off+len) of the row's term
 * buffer, its position (col << 32 | offset). */
struct fts_hit {
	uint32_t off, len;
	int64_t pos;
};
/* Logs row rowid's postings (del: their removal) of the FTS table
 * neg_id: hits[0..nhit) in position order, ntok[0..ncol) its tokens per
 * column. */
int sql_fts_log_row(struct sql_wstate *w, int64_t neg_id, int64_t rowid, int del,
		    int ncol, const int *ntok, const char *terms,
		    const struct fts_hit *hits, size_t nhit, struct sdb_error *e);
/* Everything pending into the transaction (commit, SAVEPOINT, DROP,
 * 'rebuild'). @return 0 or an error (nothing usable is left pending). */
int sql_fts_flush(struct sql_wstate *w, struct sdb_error *e);
/* The same before a read of an index; inside a statement of BEGIN the
 * pending entries are kept until it ends, for its rollback. */
int sql_fts_flush_read(struct sql_wstate *w, struct sdb_error *e);
/* The running statement succeeded / was rolled back (its savepoint). */
int sql_fts_stmt_done(struct sql_wstate *w, struct sdb_error *e);
void sql_fts_stmt_undo(struct sql_wstate *w);
/* The transaction ended or rolled back to a SAVEPOINT: nothing pending. */
void sql_fts_discard(struct sql_wstate *w);
/* A per-row savepoint (UPDATE): the log's mark; unmark with undo 1
 * drops what was logged since. */
size_t sql_fts_mark(struct sql_wstate *w);
void sql_fts_unmark(struct sql_wstate *w, size_t mark, int undo);
void sql_fts_pend_free(struct sql_wstate *w);
/* Frees the writer's tokenizing buffers (fts.c). */
void sql_fts_scratch_free(struct sql_wstate *w);
/* SDB_EUNSUPPORTED when t's index is of format 1 (needs 'rebuild'). */
struct sdb_txn;
int sql_fts_check_format(struct sdb_txn *txn, const struct sql_table_def *t,
			 struct sdb_error *e);

/* ------------------------------------------------------------ queries */

struct fts_query;
/* Parses a MATCH expression for definition d; col >= 0 restricts it to
 * that column (`col MATCH ...`). Errors: FTS5's words ("fts5: syntax
 * error near \"x\"", "unterminated string", "no such column: x"). */
int fts_query_parse(const struct sql_fts_def *d, const struct sql_table_def *t,
		    const char *q, size_t n, int col, struct fts_query **out,
		    struct sdb_error *e);
/* q1 AND q2 (several MATCH constraints on one table); q2 is consumed. */
int fts_query_and(struct fts_query *q1, struct fts_query *q2,
		  struct sdb_error *e);
void fts_query_free(struct fts_query *q);

#endif
