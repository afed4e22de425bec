/*
 * sql_vimport.c - `.import --npy FILE TABLE COLUMN [--ids FILE]
 * [--column NAME FILE]...` of sochdb-sql: a numpy array of n x D float32
 * (lib/vec/vecio: any float dtype numpy writes, converted) into n rows of
 * TABLE, the vectors in COLUMN (a VECTOR(D) column, or one created so),
 * and each --column's 1-D array of n numbers (the rows' metadata) into
 * column NAME of the same rows, in the same pass: the metadata is written
 * with the vectors, not by an UPDATE that rewrites every row after them.
 *
 * Row i gets rowid ids[i] (--ids: u64 raw or a .npy of int64/uint64, as
 * sochdb-bulk reads them), else i, the 0-based row number, as sochdb-bulk
 * numbers the vectors it indexes, so results name the same ids. A table
 * that does not exist is created as TABLE(id INTEGER PRIMARY KEY, COLUMN
 * VECTOR(D)). The whole import is one savepoint (the transaction outside
 * BEGIN): a NaN or infinite value (checked before anything is written),
 * a dimension the column does not have, a rowid already taken stop it
 * and nothing of it stays. One INSERT is prepared; each row binds the
 * rowid, the vector's bytes and the metadata values straight from the
 * mappings.
 *
 * A --column file is a 1-D (or n x 1) .npy of bool, int8..int64,
 * uint8..uint64 (INTEGER; a uint64 above the largest integer is an
 * error) or float32/float64 (REAL; NaN, numpy's missing value, is NULL);
 * anything else, or a count other than n, is refused before anything is
 * written. A table created by the import gets each as a column of that
 * type after COLUMN.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

#include "util/io.h"
#include "vec/vecio.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int query(struct shell *sh, struct sdb_buf *q, struct sdb_error *e)
{
	sdb_buf_addc(q, 0);
	if (!sdb_buf_ok(q))
		return sdb_error_set(e, SDB_ENOMEM, "out of memory");
	return shell_query(sh, q->data, NULL, NULL, e);
}

/* One --column NAME FILE: a mapped 1-D .npy of numbers. */
struct npy_col {
	const char *name;
	struct sdb_input in;
	int opened;
	const unsigned char *p; /* value 0 */
	char kind;              /* 'b' bool, 'i' int, 'u' uint, 'f' float */
	uint8_t size, swap;     /* bytes per value; big-endian file */
};

/* Opens c->in (path) and checks it holds n values of a number dtype. */
static int col_open(struct npy_col *c, const char *path, uint64_t n, struct sdb_error *e)
{
	struct sdb_npy_header h;
	const unsigned char *p;
	int rc;

	if ((rc = sdb_input_open(&c->in, path, e)))
		return rc;
	c->opened = 1;
	p = (const unsigned char *)c->in.data;
	if (c->in.len < 6 || memcmp(p, "\x93NUMPY", 6))
		return sdb_error_set(e, SDB_EPARSE, "'%s' (column %s) is not a .npy file",
				     c->in.name, c->name);
	if ((rc = sdb_npy_parse_header(p, c->in.len, &h, e)))
		return rc;
	const char *d = h.descr;
	int sz = strlen(d) == 3 && d[2] >= '1' && d[2] <= '8' ? d[2] - '0' : 0;
	c->kind = strlen(d) == 3 && strchr("<>=|", d[0]) ? d[1] : 0;
	if (!((c->kind == 'b' && sz == 1) ||
	      ((c->kind == 'i' || c->kind == 'u') && (sz == 1 || sz == 2 || sz == 4 || sz == 8)) ||
	      (c->kind == 'f' && (sz == 4 || sz == 8))))
		return sdb_error_set(e, SDB_EUNSUPPORTED,
				     "'%s' (column %s): dtype '%s' is not bool, int8..int64, uint8..uint64, float32 or float64",
				     c->in.name, c->name, d);
	if (!(h.ndim == 1 || (h.ndim == 2 && h.shape[1] == 1)))
		return sdb_error_set(e, SDB_EUNSUPPORTED,
				     "'%s' (column %s) must be a 1-D array (got %d dimensions)",
				     c->in.name, c->name, h.ndim);
	if (h.shape[0] != n)
		return sdb_error_set(e, SDB_EPARSE, "'%s' (column %s) holds %llu values, expected %llu (one per vector)",
				     c->in.name, c->name, (unsigned long long)h.shape[0],
				     (unsigned long long)n);
	if ((c->in.len - h.data_offset) / (size_t)sz < n)
		return sdb_error_set(e, SDB_EPARSE, "'%s' (column %s): truncated npy data",
				     c->in.name, c->name);
	c->size = (uint8_t)sz;
	c->swap = d[0] == '>' && sz > 1;
	c->p = p + h.data_offset;
	return 0;
}

/* Value i of c. @return 0, or SDB_EINVAL (a uint64 above INT64_MAX). */
static int col_value(const struct npy_col *c, uint64_t i, struct sql_value *v,
		     struct sdb_error *e)
{
	const unsigned char *q = c->p + i * c->size;
	uint64_t u = 0;

	memcpy(&u, q, c->size); /* little-endian host: the low bytes */
	if (c->swap)
		u = __builtin_bswap64(u) >> (64 - 8 * c->size);
	if (c->kind == 'f') {
		double r;
		if (c->size == 4) {
			float f;
			uint32_t w = (uint32_t)u;
			memcpy(&f, &w, 4);
			r = f;
		} else
			memcpy(&r, &u, 8);
		*v = r != r ? sql_null() : sql_real(r);
		return 0;
	}
	if (c->kind == 'i' && c->size < 8 && (u >> (8 * c->size - 1) & 1))
		u |= ~(uint64_t)0 << (8 * c->size); /* sign-extend */
	if (c->kind == 'u' && c->size == 8 && u > (uint64_t)INT64_MAX)
		return sdb_error_set(e, SDB_EINVAL, "column %s: %llu is above the largest integer",
				     c->name, (unsigned long long)u);
	*v = sql_int(c->kind == 'b' ? u != 0 : (int64_t)u);
	return 0;
}

/* Inserts the n rows. @return 0, or an error with *row_at the 0-based
 * row it stopped at (-1: before any row). */
static int insert_rows(struct shell *sh, const struct sdb_vec_set *vs,
		       const uint64_t *ids, const char *table, const char *col,
		       const struct npy_col *cols, int ncols,
		       int64_t *row_at, struct sdb_error *e)
{
	struct sdb_buf q = SDB_BUF_INIT;
	struct sql_stmt_h *st = NULL;
	size_t used;
	int rc;

	*row_at = -1;
	sdb_buf_adds(&q, "INSERT INTO ");
	shell_quote_name(&q, table);
	sdb_buf_adds(&q, "(rowid, ");
	shell_quote_name(&q, col);
	for (int c = 0; c < ncols; c++) {
		sdb_buf_adds(&q, ", ");
		shell_quote_name(&q, cols[c].name);
	}
	sdb_buf_adds(&q, ") VALUES(?, ?");
	for (int c = 0; c < ncols; c++)
		sdb_buf_adds(&q, ", ?");
	sdb_buf_adds(&q, ")");
	rc = sdb_buf_ok(&q) ? sql_prepare(sh->conn, q.data, q.len, &used, &st, e) : SDB_ENOMEM;
	sdb_buf_release(&q);
	if (rc)
		return rc;
	size_t row_bytes = (size_t)vs->dim * sizeof(float);
	for (uint64_t i = 0; i < vs->n && !rc; i++) {
		uint64_t id = ids ? ids[i] : i;
		*row_at = (int64_t)i;
		if (id > (uint64_t)INT64_MAX) {
			rc = sdb_error_set(e, SDB_EINVAL, "id %llu is above the largest rowid",
					   (unsigned long long)id);
			break;
		}
		struct sql_value vid = sql_int((int64_t)id);
		struct sql_value vv = sql_blob((const char *)vs->data + i * row_bytes, row_bytes);
		if ((rc = sql_bind(st, 1, &vid)) || (rc = sql_bind(st, 2, &vv)))
			break;
		for (int c = 0; c < ncols && !rc; c++) {
			struct sql_value x;
			if (!(rc = col_value(&cols[c], i, &x, e)))
				rc = sql_bind(st, 3 + c, &x);
		}
		if (rc)
			break;
		while ((rc = sql_step(st, e)) == 1)
			;
		if (!rc)
			rc = sql_reset(st, e);
	}
	sql_finalize(st);
	return rc;
}

int shell_import_npy(struct shell *sh, const char *file, const char *table,
		     const char *col, const char *ids_file, char *const *extra, int nextra,
		     const struct shell_src *src, long lineno)
{
	struct npy_col *cols = NULL;
	struct sdb_vec_set vs;
	struct sdb_vec_open_opts o = { .format = SDB_VEC_FMT_NPY };
	struct sdb_error e;
	uint64_t *ids = NULL;
	int64_t row_at = -1;
	int rc, opened = 0;

	sdb_error_clear(&e);
	if (shell_conn(sh)) {
		sh->failed = 1;
		return -1;
	}
	memset(&vs, 0, sizeof vs);
	rc = sdb_vec_set_open(&vs, file, &o, &e);
	opened = !rc;
	if (!rc)
		rc = sdb_vec_check_finite(vs.data, vs.n, vs.dim, file, &e);
	if (!rc && ids_file)
		rc = sdb_vec_read_ids(ids_file, vs.n, &ids, &e);
	if (!rc && nextra && !(cols = calloc((size_t)nextra, sizeof(*cols))))
		rc = sdb_error_set(&e, SDB_ENOMEM, "out of memory");
	for (int c = 0; c < nextra && !rc; c++) {
		cols[c].name = extra[2 * c];
		rc = col_open(&cols[c], extra[2 * c + 1], vs.n, &e);
	}
	if (!rc)
		rc = shell_query(sh, "SAVEPOINT sochdb_import", NULL, NULL, &e);
	if (!rc) {
		rc = shell_table_exists(sh, table);
		if (rc == 0) {
			struct sdb_buf q = SDB_BUF_INIT;
			char d[32];
			sdb_buf_adds(&q, "CREATE TABLE ");
			shell_quote_name(&q, table);
			sdb_buf_adds(&q, "(id INTEGER PRIMARY KEY, ");
			shell_quote_name(&q, col);
			snprintf(d, sizeof d, " VECTOR(%u)", vs.dim);
			sdb_buf_adds(&q, d);
			for (int c = 0; c < nextra; c++) {
				sdb_buf_adds(&q, ", ");
				shell_quote_name(&q, cols[c].name);
				sdb_buf_adds(&q, cols[c].kind == 'f' ? " REAL" : " INTEGER");
			}
			sdb_buf_adds(&q, ")");
			rc = query(sh, &q, &e);
			sdb_buf_release(&q);
		} else if (rc < 0) {
			rc = sdb_error_set(&e, rc, "out of memory");
		} else {
			rc = 0;
		}
		if (!rc)
			rc = insert_rows(sh, &vs, ids, table, col, cols, nextra, &row_at, &e);
		if (!rc) {
			rc = shell_query(sh, "RELEASE sochdb_import", NULL, NULL, &e);
			if (!rc)
				cli_committed();
		} else {
			struct sdb_error e2;
			shell_query(sh, "ROLLBACK TO sochdb_import", NULL, NULL, &e2);
			shell_query(sh, "RELEASE sochdb_import", NULL, NULL, &e2);
			if (row_at >= 0) {
				char m[sizeof e.msg];
				int n = snprintf(m, sizeof m, "%s: row %lld: ", file, (long long)row_at);
				if (n > 0 && (size_t)n < sizeof m)
					snprintf(m + n, sizeof m - (size_t)n, "%.*s (nothing imported)",
						 (int)(sizeof m - (size_t)n - 20), e.msg);
				memcpy(e.msg, m, sizeof m);
			}
		}
	}
	free(ids);
	for (int c = 0; cols && c < nextra; c++)
		if (cols[c].opened)
			sdb_input_close(&cols[c].in);
	free(cols);
	if (opened)
		sdb_vec_set_close(&vs);
	if (rc) {
		shell_report(sh, src, lineno, 1, rc, &e);
		sh->failed = 1;
		return -1;
	}
	return 0;
}
