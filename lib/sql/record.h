/*
 * record.h - how SQL rows and index entries are stored: row records
 * (a table's column values, compact) and the keys of rows and index
 * entries in the store's namespace SQL_NS, on the tuple codec
 * (store/tuple.h). doc/FORMAT.md ("SQL") has the bytes.
 *
 * Owner: record.c (the sql-store part of lib/sql).
 *
 * DESIGN.
 *   row record   varint n, then n column cells, each one tag byte and
 *                its payload:
 *                  0x00 NULL
 *                  0x01..0x08 INTEGER in that many bytes, little-endian
 *                       two's complement (the fewest that hold it)
 *                  0x09 INTEGER 0, 0x0a INTEGER 1
 *                  0x0b REAL, 8 bytes little-endian IEEE 754
 *                  0x0c TEXT, varint length, bytes
 *                  0x0d BLOB, varint length, bytes
 *                The INTEGER PRIMARY KEY of a rowid table is stored as
 *                NULL (its value is the key's rowid). A record with fewer
 *                cells than the table has columns (ALTER TABLE ADD COLUMN)
 *                reads the missing ones as their constant DEFAULT.
 *   row key      SQL_NS internal key, then the tuple (table id, rowid)
 *                for a rowid table, (table id, PRIMARY KEY values...) for
 *                a WITHOUT ROWID table (DESC columns inverted). The value
 *                is the record of every column.
 *   index key    SQL_NS internal key, then the tuple (index id, indexed
 *                values..., rowid) for a rowid table, (index id, indexed
 *                values..., PRIMARY KEY values not among the indexed
 *                ones) for a WITHOUT ROWID table; NOCASE columns hold the
 *                ASCII-lower-cased text and RTRIM columns the text without
 *                trailing spaces (so memcmp order is the collation's; the
 *                row has the value as stored). The value is empty, or the
 *                real-bits of the key's elements (sdb_tuple_real_bits)
 *                when one of them is a REAL, so a covering read gives
 *                3.0 back as REAL.
 * A key longer than the store's limit (SDB_MAX_KEY) is refused with
 * SDB_ELIMIT and a message naming the table or index, never truncated.
 */
#ifndef SDB_SQL_RECORD_H
#define SDB_SQL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sql/catalog.h"
#include "sql/value.h"
#include "store/tuple.h"
#include "util/buf.h"
#include "util/err.h"

/* Bytes of the internal-key head of SQL_NS (length byte + "$sql"). */
#define SQL_KEY_HEAD (1 + SQL_NS_LEN)

/* ----------------------------------------------------------- records */

/* Appends the record of v[0..n) to b (oom flag on failure). */
void sql_record_encode(struct sdb_buf *b, const struct sql_value *v, int n);

/*
 * Decodes the record p[0..n) into out[0..max): TEXT/BLOB values point
 * into p. *ncells gets the number of cells stored (may be below max;
 * cells past max are ignored). @return 0 or SDB_ECORRUPT.
 */
int sql_record_decode(const void *p, size_t n, struct sql_value *out,
		      int max, int *ncells, struct sdb_error *e);

/* One cell (0-based) of a record, NULL when the record has fewer.
 * @return 0 or SDB_ECORRUPT. */
int sql_record_column(const void *p, size_t n, int i, struct sql_value *out,
		      struct sdb_error *e);

/* --------------------------------------------------------------- keys */

/* Resets b to the SQL_NS key head. */
void sql_key_head(struct sdb_buf *b);

/* Appends one value as a tuple element (desc inverts; coll folds TEXT
 * for NOCASE/RTRIM as index keys do). */
void sql_key_add(struct sdb_buf *b, const struct sql_value *v, int desc,
		 enum sql_coll coll);
static inline void sql_key_add_int(struct sdb_buf *b, int64_t i)
{
	struct sql_value v = sql_int(i);
	sql_key_add(b, &v, 0, SQL_COLL_BINARY);
}

/* b = the internal key of row rowid of table tid. */
void sql_rowkey_rowid(struct sdb_buf *b, uint32_t tid, int64_t rowid);

/*
 * b = the internal key of a row of t given its column values row[0..ncol)
 * (and rowid for a rowid table). @return 0, SDB_ELIMIT (too long, message
 * names the table) or SDB_ENOMEM.
 */
int sql_rowkey(struct sdb_buf *b, const struct sql_table_def *t,
	       const struct sql_value *row, int64_t rowid, struct sdb_error *e);

/*
 * b = the key of x's entry for a row (row: the table's column values;
 * exprs: values of expression columns in index order, may be NULL when
 * there are none); realbits (may be NULL) gets the entry's value bytes
 * (the real-bits, empty when no REAL). @return 0, SDB_ELIMIT ("index key
 * too long ..."), SDB_ENOMEM.
 */
int sql_idxkey(struct sdb_buf *b, struct sdb_buf *realbits,
	       const struct sql_index_def *x, const struct sql_value *row,
	       const struct sql_value *exprs, int64_t rowid,
	       struct sdb_error *e);

/* Number of leading key elements of x's entries that are the indexed
 * values (excluding the id and the row locator). */
static inline int sql_idx_nvals(const struct sql_index_def *x) { return x->ncol; }

/* b = the key prefix of x's entries whose indexed values are vals[0..n)
 * (n <= x->ncol), as sql_idxkey encodes them; for seeks and uniqueness. */
void sql_idxkey_prefix(struct sdb_buf *b, const struct sql_index_def *x,
		       const struct sql_value *vals, int n);

/* b = the prefix every key of object id has (table rows or index
 * entries); hi = its successor (the end of the range). */
void sql_obj_prefix(struct sdb_buf *b, uint32_t id);
void sql_obj_end(struct sdb_buf *b, uint32_t id);

/* The rowid of a rowid table's row key ik[0..n). @return 0 or
 * SDB_ECORRUPT. */
int sql_rowkey_rowid_of(const void *ik, size_t n, int64_t *rowid,
			struct sdb_error *e);
/* The rowid at the end of an index entry's key of a rowid table. */
int sql_idxkey_rowid_of(const struct sql_index_def *x, const void *ik,
			size_t n, int64_t *rowid, struct sdb_error *e);

/*
 * Decodes a stored row of t: key ik[0..klen) and record val[0..vlen) into
 * cols[0..t->ncol) (TEXT/BLOB point into val; missing cells get the
 * column's constant default, the INTEGER PRIMARY KEY the rowid) and
 * *rowid (rowid tables; 0 for WITHOUT ROWID). @return 0 or SDB_ECORRUPT.
 */
int sql_row_decode(const struct sql_table_def *t, const void *ik, size_t klen,
		   const void *val, size_t vlen, struct sql_value *cols,
		   int64_t *rowid, struct sdb_error *e);
/* The same for the columns a bitmap names (bit c: column c, bit ncol:
 * the rowid; NULL: all): the others are NULL (their cells are checked,
 * not decoded), *rowid is 0 unless the rowid or the INTEGER PRIMARY KEY
 * is named. */
int sql_row_decode_used(const struct sql_table_def *t, const void *ik, size_t klen,
			const void *val, size_t vlen, struct sql_value *cols,
			int64_t *rowid, const uint64_t *used, struct sdb_error *e);

struct sdb_txn;
/* Called for each row of sql_rows_each: row[0..ncol) (the columns not
 * asked for are NULL; TEXT/BLOB valid until the call returns) and its
 * rowid. @return 0, or an error that ends the walk. */
typedef int (*sql_row_fn)(void *arg, const struct sql_value *row, int64_t rowid,
			  struct sdb_error *e);
/*
 * Walks the rows of t as txn sees them, in key order, decoding the
 * columns used names (sql_row_decode_used; NULL: all), calling fn for each.
 * @return 0 or the first error (the store's, a decode's, fn's).
 */
int sql_rows_each(struct sdb_txn *txn, const struct sql_table_def *t, const uint64_t *used,
		  sql_row_fn fn, void *arg, struct sdb_error *e);

/*
 * Decodes an index entry's key into vals[0..x->ncol) and, for a rowid
 * table, *rowid (NOCASE/RTRIM columns give the folded text). TEXT/BLOB
 * bytes go into tmp (reset first). val/vlen: the entry's value (real-bits).
 * @return 0 or SDB_ECORRUPT.
 */
int sql_idx_decode(const struct sql_index_def *x, const void *ik, size_t klen,
		   const void *val, size_t vlen, struct sql_value *vals,
		   int64_t *rowid, struct sdb_buf *tmp, struct sdb_error *e);

/* sql_value <-> tuple value. */
static inline struct sdb_tv sql_to_tv(const struct sql_value *v)
{
	struct sdb_tv t = { .type = v->type };
	if (v->type == SQLV_INT)
		t.i = v->u.i;
	else if (v->type == SQLV_REAL)
		t.r = v->u.r;
	else if (v->type >= SQLV_TEXT) {
		t.p = v->u.z;
		t.n = v->n;
	}
	return t;
}
static inline struct sql_value sql_of_tv(const struct sdb_tv *t)
{
	switch (t->type) {
	case SDB_TV_INT: return sql_int(t->i);
	case SDB_TV_REAL: return sql_real(t->r);
	case SDB_TV_TEXT: return sql_text(t->p, t->n);
	case SDB_TV_BLOB: return sql_blob(t->p, t->n);
	default: return sql_null();
	}
}

#endif
