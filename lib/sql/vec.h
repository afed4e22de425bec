/*
 * vec.h - vectors in SQL: the VECTOR(D) column type, vector literals
 * (JSON array text and float32 blobs), the vec_* scalar functions and the
 * recognition of exact k-NN queries (ORDER BY vec_distance_*(col, ?)
 * LIMIT k) for the planner's wording.
 *
 * Owner: vec.c (values, literals, functions, the column check) and
 * vecknn.c (k-NN query shapes). Pure: no store, no I/O.
 *
 * DESIGN. A vector is an ordinary BLOB of D little-endian float32 values
 * (4·D bytes): typeof() says 'blob', the row record stores it as any
 * blob, and sqlite3 reads a dump of it. A VECTOR(D) column has BLOB
 * affinity (SQLite's declared-type rule would say NUMERIC) and accepts
 * NULL, a blob of exactly 4·D bytes with finite values, or TEXT that is
 * a JSON array of D numbers (converted to the blob when stored, so
 * JSONL/CSV imports and plain INSERTs of '[0.1, 0.2]' work); anything
 * else is an error naming the column. Distances follow sochdb-bulk (and
 * hnswlib): vec_distance_l2 is the squared Euclidean distance,
 * vec_distance_ip is 1 - dot, vec_distance_cosine is 1 - cos (a zero
 * vector is at distance 1 from every vector), computed with lib/vec's
 * kernels in float32.
 */
#ifndef SDB_SQL_VEC_H
#define SDB_SQL_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "sql/parse.h"
#include "sql/value.h"
#include "util/buf.h"
#include "util/err.h"

/* The largest dimension of a vector (a VECTOR(D) column, a literal). */
#define SQL_VEC_MAX_DIM 65536

/*
 * Parses a vector literal: a JSON array of numbers ("[0.1, -2, 3e-4]",
 * JSON white space around the tokens), each rounded to float32, into
 * out as D little-endian float32 values (appended). Errors, one line:
 * "malformed vector literal at offset N: expected ..." (N 0-based byte
 * offset), "vector element N is out of float32 range", "vector has no
 * elements", "vector has more than 65536 elements".
 * @return 0 with *dim, SDB_EPARSE, SDB_ELIMIT or SDB_ENOMEM.
 */
int sql_vec_parse(const char *z, size_t n, struct sdb_buf *out, uint32_t *dim,
		  struct sdb_error *e);
/*
 * The same through a small per-thread cache of the last texts parsed (a
 * k-NN statement parses its query text in the plan and in every row's
 * distance): *f points at the cache's floats, valid until the next text
 * parsed into slot (0 or 1) of this thread. Same errors.
 */
int sql_vec_parse_cached(const char *z, size_t n, int slot, const float **f, uint32_t *dim,
			 struct sdb_error *e);

/*
 * The dimension a declared type names: "VECTOR(D)" (case-insensitive,
 * white space allowed) sets *dim = D; any other type sets *dim = 0.
 * @return 0, or SDB_EINVAL for a VECTOR type without a dimension in
 * 1..SQL_VEC_MAX_DIM ("column emb: VECTOR needs a dimension from 1 to
 * 65536, as VECTOR(384)").
 */
int sql_vec_decl(const char *decl, const char *col, uint32_t *dim,
		 struct sdb_error *e);

/*
 * The value v about to be stored in column `col` of table `tab`, declared
 * VECTOR(dim): NULL passes; a blob of 4·dim bytes with finite values
 * passes; TEXT holding a JSON array of dim numbers becomes that blob
 * (bytes in mem). @return 0, or SDB_EINVAL ("docs.emb is VECTOR(3): got
 * 4 dimensions", "... got an integer, not a vector", "... element 2 is
 * NaN"), SDB_EPARSE (a malformed literal) or SDB_ENOMEM.
 */
int sql_vec_store(const char *tab, const char *col, uint32_t dim,
		  struct sql_value *v, struct sdb_sql_arena *mem,
		  struct sdb_error *e);

/* The vec_* functions and vector() (func.c searches them). */
extern const struct sql_func_def sqlv_vec_funcs[];
extern const size_t sqlv_nvec_funcs;

/* 1 when the function name (len bytes) is vec_distance_l2, _cosine or
 * _ip; *metric then gets the enum sdb_vec_metric. */
int sql_vec_distance_name(const char *name, size_t len, int *metric);

#endif
