/*
 * sql_parse.c - fuzz target: the SQL tokenizer and parser (lib/sql) and
 * the printer. Any input must parse or fail with a message and a
 * position, never crash or recurse without bound; every statement that
 * parses prints to text that parses again and prints the same.
 */
#include "sql/parse.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints s, reparses the text, and traps unless it prints the same. */
static void round_trip(const struct sql_stmt *s)
{
	struct sdb_buf b1 = SDB_BUF_INIT, b2 = SDB_BUF_INIT;
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sdb_error e;
	struct sql_stmt *t;

	if (sdb_sql_print_stmt(&b1, s))
		goto out;
	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, b1.data, b1.len);
	int rc = sdb_sql_parse_next(&p, &t, &e);
	if (rc == SDB_ENOMEM || (rc == SDB_ELIMIT && b1.len > 1000)) {
		sdb_sql_arena_release(&a);
		goto out;
	}
	if (rc || !t)
		__builtin_trap();
	if (sdb_sql_print_stmt(&b2, t) == 0 && strcmp(b1.data, b2.data))
		__builtin_trap();
	sdb_sql_arena_release(&a);
out:
	sdb_buf_release(&b1);
	sdb_buf_release(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sdb_error e;
	struct sql_stmt *s;

	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, (const char *)data, size);
	for (int i = 0; i < 64; i++) {
		sdb_error_clear(&e);
		int rc = sdb_sql_parse_next(&p, &s, &e);
		if (rc) {
			if (rc != SDB_ENOMEM && (!e.msg[0] || e.line < 1 || e.column < 1))
				__builtin_trap();
			continue;
		}
		if (!s)
			break;
		round_trip(s);
	}
	sdb_sql_arena_release(&a);
	return 0;
}
