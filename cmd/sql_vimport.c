/*
 * sql_vimport.c - `.import --npy FILE TABLE COLUMN [--ids FILE]` of
 * sochdb-sql: a numpy array of n x D float32 (lib/vec/vecio: any float
 * dtype numpy writes, converted) into n rows of TABLE, the vectors in
 * COLUMN (a VECTOR(D) column, or one created so).
 *
 * Row i gets rowid ids[i] (--ids: u64 raw or a .npy of int64/uint64, as
 * sochdb-bulk reads them), else i, the 0-based row number, as sochdb-bulk
 * numbers the vectors it indexes, so results name the same ids. A table
 * that does not exist is created as TABLE(id INTEGER PRIMARY KEY, COLUMN
 * VECTOR(D)). The whole import is one savepoint (the transaction outside
 * BEGIN): a NaN or infinite value (checked before anything is written),
 * a dimension the column does not have, a rowid already taken stop it
 * and nothing of it stays. One INSERT is prepared; each row binds the
 * rowid and the vector's bytes straight from the mapping.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "sql_cli.h"

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

/* Inserts the n rows. @return 0, or an error with *row_at the 0-based
 * row it stopped at (-1: before any row). */
static int insert_rows(struct shell *sh, const struct sdb_vec_set *vs,
		       const uint64_t *ids, const char *table, const char *col,
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
	sdb_buf_adds(&q, ") VALUES(?, ?)");
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
		while ((rc = sql_step(st, e)) == 1)
			;
		if (!rc)
			rc = sql_reset(st, e);
	}
	sql_finalize(st);
	return rc;
}

int shell_import_npy(struct shell *sh, const char *file, const char *table,
		     const char *col, const char *ids_file, const struct shell_src *src,
		     long lineno)
{
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
			snprintf(d, sizeof d, " VECTOR(%u))", vs.dim);
			sdb_buf_adds(&q, d);
			rc = query(sh, &q, &e);
			sdb_buf_release(&q);
		} else if (rc < 0) {
			rc = sdb_error_set(&e, rc, "out of memory");
		} else {
			rc = 0;
		}
		if (!rc)
			rc = insert_rows(sh, &vs, ids, table, col, &row_at, &e);
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
	if (opened)
		sdb_vec_set_close(&vs);
	if (rc) {
		shell_report(sh, src, lineno, 1, rc, &e);
		sh->failed = 1;
		return -1;
	}
	return 0;
}
