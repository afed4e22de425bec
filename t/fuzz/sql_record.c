/*
 * sql_record.c - fuzz target: the SQL row record decoder (lib/sql/record.c)
 * and the row-key rowid decoder. Any bytes must decode or fail with
 * SDB_ECORRUPT, never read out of bounds; what decodes encodes to a record
 * that decodes to the same values, and each cell read alone
 * (sql_record_column) is the cell the whole decode gave. The first byte
 * picks the input's use: even, a record; odd, a row key.
 */
#include "sql/record.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXC 64

static int same(const struct sql_value *a, const struct sql_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case SQLV_INT:
		return a->u.i == b->u.i;
	case SQLV_REAL:
		return !memcmp(&a->u.r, &b->u.r, sizeof(double));
	case SQLV_TEXT:
	case SQLV_BLOB:
		return a->n == b->n && (!a->n || !memcmp(a->u.z, b->u.z, a->n));
	default:
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sql_value v[MAXC], w[MAXC], one;
	struct sdb_buf b = SDB_BUF_INIT;
	struct sdb_error e;
	int n = 0, m = 0;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		int64_t rowid;
		int rc = sql_rowkey_rowid_of(data + 1, size - 1, &rowid, &e);
		if (rc && rc != SDB_ECORRUPT)
			__builtin_trap();
		return 0;
	}
	data++;
	size--;
	int rc = sql_record_decode(data, size, v, MAXC, &n, &e);
	if (rc) {
		if (rc != SDB_ECORRUPT || !e.msg[0])
			__builtin_trap();
		return 0;
	}
	if (n < 0)
		__builtin_trap();
	if (n > MAXC)
		n = MAXC;
	for (int i = 0; i < n; i++) {
		if (v[i].type >= SQLV_TEXT && v[i].n &&
		    ((const uint8_t *)v[i].u.z < data || (const uint8_t *)v[i].u.z + v[i].n > data + size))
			__builtin_trap();
		if (sql_record_column(data, size, i, &one, &e) || !same(&one, &v[i]))
			__builtin_trap();
	}
	/* past the last cell: NULL */
	if (n < MAXC && (sql_record_column(data, size, n, &one, &e) || one.type != SQLV_NULL))
		__builtin_trap();
	sql_record_encode(&b, v, n);
	if (b.oom) {
		sdb_buf_release(&b);
		return 0;
	}
	if (sql_record_decode(b.data, b.len, w, MAXC, &m, &e) || m != n)
		__builtin_trap();
	for (int i = 0; i < n; i++)
		if (!same(&v[i], &w[i]))
			__builtin_trap();
	sdb_buf_release(&b);
	return 0;
}
