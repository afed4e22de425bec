/*
 * vec_literal.c - fuzz target: the vector literal parser of SQL
 * (lib/sql/vec.c, sql_vec_parse). Any bytes must parse or fail with
 * SDB_EPARSE/SDB_ELIMIT and a message, never read out of bounds; what
 * parses gives 1..65536 finite floats, each the float strtof gives for
 * its element's text (bit for bit: the parser's own fast path must agree),
 * and their text written back as a JSON array (%.9g, exact for float32)
 * parses to the same floats.
 */
#include "sql/vec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_buf b = SDB_BUF_INIT, t = SDB_BUF_INIT, c = SDB_BUF_INIT;
	struct sdb_error e;
	uint32_t d = 0, d2 = 0;

	int rc = sql_vec_parse((const char *)data, size, &b, &d, &e);
	if (rc) {
		if ((rc != SDB_EPARSE && rc != SDB_ELIMIT && rc != SDB_ENOMEM) || !e.msg[0] ||
		    strchr(e.msg, '\n'))
			__builtin_trap();
		sdb_buf_release(&b);
		return 0;
	}
	if (d < 1 || d > SQL_VEC_MAX_DIM || b.len != 4 * (size_t)d)
		__builtin_trap();
	/* it parsed: the elements are JSON numbers between '[', ',' and ']'
	 * with JSON spaces around them */
	const char *p = memchr(data, '[', size), *end = (const char *)data + size;
	for (uint32_t i = 0; p && i < d; i++) {
		char num[400];
		size_t n = 0;
		for (p++; p < end && *p != ',' && *p != ']'; p++)
			if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && n < sizeof num - 1)
				num[n++] = *p;
		num[n] = 0;
		float want = strtof(num, NULL);
		if (memcmp(&want, b.data + 4 * (size_t)i, 4))
			__builtin_trap();
	}
	sdb_buf_addc(&t, '[');
	for (uint32_t i = 0; i < d; i++) {
		float f;
		char num[48];
		memcpy(&f, b.data + 4 * (size_t)i, 4);
		if (!isfinite(f))
			__builtin_trap();
		int n = snprintf(num, sizeof num, "%s%.9g", i ? "," : "", (double)f);
		sdb_buf_add(&t, num, (size_t)n);
	}
	sdb_buf_addc(&t, ']');
	if (sdb_buf_ok(&t)) {
		if (sql_vec_parse(t.data, t.len, &c, &d2, &e) || d2 != d || memcmp(c.data, b.data, b.len))
			__builtin_trap();
	}
	sdb_buf_release(&b);
	sdb_buf_release(&t);
	sdb_buf_release(&c);
	return 0;
}
