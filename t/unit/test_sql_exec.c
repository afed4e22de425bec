/* test_sql_exec.c - the query side of lib/sql through sql.h: SELECT
 * without FROM (every expression form, names of result columns,
 * parameters), VALUES, subqueries (scalar, IN, EXISTS, correlated, in
 * FROM), CTEs, compound selects, DISTINCT, GROUP BY/HAVING, ORDER BY,
 * LIMIT/OFFSET, and with tables when the writer side is there. Every
 * result is compared with Debian's sqlite3 running the same script (the
 * header line included, so result column names are checked too);
 * skipped with a note when sqlite3 is missing. */
#include "unit.h"
#include "sql/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static int have_sqlite;

/* Our rows as sqlite3 -header -list prints them ('|' between values, NULL
 * empty, REAL as %!.15g). An error prints "Error: MESSAGE". */
static void run_ours(struct sql_conn *c, const char *sql, struct sdb_buf *out)
{
	size_t len = strlen(sql), pos = 0;
	struct sdb_sql_arena a;
	sdb_sql_arena_init(&a);
	while (pos < len) {
		size_t used;
		struct sql_stmt_h *h;
		struct sdb_error e;
		sdb_error_clear(&e);
		int rc = sql_prepare(c, sql + pos, len - pos, &used, &h, &e);
		pos += used ? used : len - pos;
		if (rc) {
			sdb_buf_addf(out, "Error: %s\n", e.msg);
			continue;
		}
		if (!h)
			break;
		int first = 1;
		while ((rc = sql_step(h, &e)) == 1) {
			int n = sql_column_count(h);
			if (first) {
				for (int i = 0; i < n; i++)
					sdb_buf_addf(out, "%s%s", i ? "|" : "",
						     sql_column_name(h, i));
				sdb_buf_addf(out, "\n");
				first = 0;
			}
			for (int i = 0; i < n; i++) {
				const struct sql_value *v = sql_column(h, i);
				if (i)
					sdb_buf_addf(out, "|");
				if (v->type == SQLV_NULL)
					continue;
				struct sql_value t;
				sql_value_text(v, &a, &t);
				sdb_buf_addf(out, "%.*s", (int)t.n, t.u.z);
			}
			sdb_buf_addf(out, "\n");
		}
		if (rc < 0)
			sdb_buf_addf(out, "Error: %s\n", e.msg);
		sql_finalize(h);
	}
	sdb_sql_arena_release(&a);
}

static const char *setup;

static void run_sqlite(const char *pre, const char *sql, struct sdb_buf *out)
{
	char path[300], cmd[900];
	snprintf(path, sizeof path, "%s/q.sql", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "%s\n%s\n", pre ? pre : "", sql);
	fclose(f);
	snprintf(cmd, sizeof cmd, "sqlite3 -batch -header -list :memory: < %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	char line[4096];
	while (fgets(line, sizeof line, p)) {
		/* "Parse error near line 2: ..." / "Runtime error near line 2: ..." */
		char *m = strstr(line, "error near line ");
		if (m && (m = strchr(m, ':'))) {
			sdb_buf_addf(out, "Error: %s", m + 2);
			/* sqlite3 prints an extra context line for parse errors */
			continue;
		}
		if (!strncmp(line, "Error: ", 7)) {
			sdb_buf_addf(out, "%s", line);
			continue;
		}
		if (strstr(line, "^--- error here") || !strncmp(line, "  ", 2))
			continue;
		sdb_buf_addf(out, "%s", line);
	}
	pclose(p);
}

/* Same output as sqlite3 for sql (errors compared by their presence:
 * the wording is checked where it matters with same_err). */
static void same(struct sql_conn *c, const char *sql)
{
	if (!have_sqlite)
		return;
	struct sdb_buf a, b;
	sdb_buf_init(&a);
	sdb_buf_init(&b);
	run_ours(c, sql, &a);
	run_sqlite(setup, sql, &b);
	unit_checks++;
	if (a.len != b.len || memcmp(a.data, b.data, a.len)) {
		unit_failures++;
		printf("FAIL: %s\n--- ours\n%.*s--- sqlite3\n%.*s", sql,
		       (int)a.len, a.data, (int)b.len, b.data);
	}
	sdb_buf_release(&a);
	sdb_buf_release(&b);
}

static const char *const exprs[] = {
	"SELECT 1, 2.5, 'x', NULL, X'41', -9223372036854775808, 0x10;",
	"SELECT 1+2, 7/2, 7.0/2, 7%3, 1/0, 5%0, -(3), +'4', ~5, 1<<3, 9>>1, 6&3, 6|3;",
	"SELECT 9223372036854775807+1, 'a'||1||2.5, 3*'4abc', '' + 1;",
	"SELECT 1=1, 1<>1, 1<2, 2<=2, 3>4, 4>=4, NULL=1, NULL IS NULL, 1 IS NOT 2, 1 IS DISTINCT FROM NULL;",
	"SELECT 1 AND NULL, 0 AND NULL, 1 OR NULL, 0 OR NULL, NOT NULL, NOT 0, NOT 'abc';",
	"SELECT 5 BETWEEN 1 AND 10, 5 NOT BETWEEN 6 AND 7, NULL BETWEEN 1 AND 2, 3 BETWEEN NULL AND 1;",
	"SELECT 2 IN (1,2,3), 4 IN (1,2,3), 4 NOT IN (1,NULL), NULL IN (), 1 IN (NULL, 1), '1' IN (1);",
	"SELECT 'abc' LIKE 'A%', 'abc' LIKE '_b_', 'a%c' LIKE 'a\\%c' ESCAPE '\\', 'abc' GLOB 'a*', 'abc' GLOB 'A*', 'x' NOT LIKE 'y';",
	"SELECT NULL ISNULL, 1 NOTNULL, 2 NOT NULL, NULL IS NOT NULL;",
	"SELECT CASE 1 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN 0 THEN 'a' WHEN NULL THEN 'b' ELSE 'c' END, CASE 3 WHEN 1 THEN 1 END;",
	"SELECT CAST('12abc' AS INTEGER), CAST(1.9 AS INTEGER), CAST(5 AS TEXT), CAST('1e3' AS REAL), CAST(3 AS NUMERIC), CAST('x' AS BLOB), typeof(CAST(1 AS TEXT));",
	"SELECT abs(-3), coalesce(NULL, NULL, 3), ifnull(NULL, 'd'), nullif(1,1), length('héllo'), upper('abc'), substr('abcdef', 2, 3), round(2.567, 2), typeof(1.0), hex('AB'), quote('it''s');",
	"SELECT 'a' = 'A' COLLATE NOCASE, 'a ' = 'a' COLLATE RTRIM, 'b' > 'A' COLLATE NOCASE, max(1, 2, 3), min('b', 'a');",
	"SELECT 1 AS a, 2 b, 1+1, \"x\", 'y', (SELECT 5) AS s,   a  ;",
	"SELECT (SELECT 1 UNION SELECT 2), EXISTS (SELECT 1), NOT EXISTS (SELECT 1 WHERE 0), 3 IN (SELECT 3), 3 IN (SELECT 4 UNION SELECT NULL);",
	"SELECT 1 WHERE 1; SELECT 2 WHERE 0; SELECT 3 WHERE NULL;",
	"VALUES (1, 'a'), (2, 'b'), (NULL, 3.5);",
	"SELECT * FROM (VALUES (1, 'a'), (2, 'b')) ;",
	"SELECT column2, column1 + 1 FROM (VALUES (1, 'a'), (2, 'b')) WHERE column1 > 1;",
	"SELECT 3 UNION SELECT 1 UNION SELECT 2 UNION SELECT 1;",
	"SELECT 3 UNION ALL SELECT 1 UNION ALL SELECT 3;",
	"SELECT 1 INTERSECT SELECT 1; SELECT 1 EXCEPT SELECT 1; SELECT 2 EXCEPT SELECT 1;",
	"SELECT 2 AS x UNION SELECT 1 ORDER BY x DESC; SELECT 1 UNION SELECT 2 ORDER BY 1 LIMIT 1 OFFSET 1;",
	"SELECT a, b FROM (SELECT 1 a, 2 b UNION ALL SELECT 1, 3 UNION ALL SELECT 2, 3) ORDER BY b DESC, a;",
	"SELECT DISTINCT a FROM (SELECT 1 a UNION ALL SELECT 1 UNION ALL SELECT 2) ORDER BY a;",
	"SELECT a, count(*), sum(b), avg(b), min(b), max(b), total(b), group_concat(b) FROM (SELECT 1 a, 2 b UNION ALL SELECT 1, 3 UNION ALL SELECT 2, NULL) GROUP BY a;",
	"SELECT count(*), count(b), sum(b) FROM (SELECT 1 a, 2 b UNION ALL SELECT 1, 3) WHERE a > 5;",
	"SELECT a, sum(b) s FROM (SELECT 1 a, 2 b UNION ALL SELECT 1, 3 UNION ALL SELECT 2, 1) GROUP BY a HAVING s > 2 ORDER BY s;",
	"SELECT count(DISTINCT b), sum(DISTINCT b) FROM (SELECT 1 b UNION ALL SELECT 1 UNION ALL SELECT 2);",
	"SELECT x.a, y.b FROM (SELECT 1 a UNION ALL SELECT 2) x, (SELECT 1 b UNION ALL SELECT 2) y WHERE x.a = y.b ORDER BY 1;",
	"SELECT x.a, y.b FROM (SELECT 1 a UNION ALL SELECT 2) x LEFT JOIN (SELECT 1 b) y ON x.a = y.b ORDER BY 1;",
	"SELECT * FROM (SELECT 1 a, 2 b) JOIN (SELECT 1 a, 3 c) USING (a);",
	"SELECT * FROM (SELECT 1 a, 2 b) NATURAL JOIN (SELECT 1 a, 3 c);",
	"SELECT a, (SELECT count(*) FROM (SELECT 1 b UNION ALL SELECT 2) WHERE b <= a) FROM (SELECT 1 a UNION ALL SELECT 2) ORDER BY a;",
	"SELECT a FROM (SELECT 1 a UNION ALL SELECT 2 UNION ALL SELECT 3) WHERE a IN (SELECT 2 UNION SELECT 3) ORDER BY a DESC;",
	"SELECT a FROM (SELECT 1 a UNION ALL SELECT 2) t WHERE EXISTS (SELECT 1 WHERE t.a = 2);",
	"WITH c(x) AS (SELECT 1 UNION ALL SELECT 2) SELECT x * 10 FROM c ORDER BY x;",
	"WITH c AS (SELECT 5 AS v), d AS (SELECT v + 1 AS w FROM c) SELECT * FROM d, c;",
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x, x * x FROM c;",
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 5 OFFSET 2;",
	"WITH RECURSIVE c(x) AS (VALUES(1) UNION SELECT x % 3 + 1 FROM c) SELECT sum(x), count(*) FROM c;",
	"WITH RECURSIVE f(n, v) AS (SELECT 1, 1 UNION ALL SELECT n + 1, v * (n + 1) FROM f WHERE n < 20) SELECT n, v FROM f WHERE n > 15;",
	"SELECT 1 IN (SELECT 1) AND 2 NOT IN (SELECT 1);",
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x, (x * 7919) % 1000 AS k FROM c ORDER BY k DESC, x LIMIT 5 OFFSET 300;",
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x % 7, count(*), sum(x) FROM c GROUP BY 1 ORDER BY 3 DESC LIMIT 3;",
	"SELECT 1 LIMIT 0; SELECT 1 LIMIT -1; SELECT 1 UNION ALL SELECT 2 LIMIT 1, 1;",
	"SELECT a FROM (SELECT 3 a UNION ALL SELECT NULL UNION ALL SELECT 1) ORDER BY a; SELECT a FROM (SELECT 3 a UNION ALL SELECT NULL) ORDER BY a DESC;",
	"SELECT a FROM (SELECT 3 a UNION ALL SELECT NULL UNION ALL SELECT 1) ORDER BY a NULLS LAST;",
	"SELECT 'B' AS t UNION ALL SELECT 'a' ORDER BY t COLLATE NOCASE;",
	"SELECT count(*); SELECT max(1); SELECT 1 GROUP BY 1;",
	"SELECT nosuchcol;", "SELECT * ;", "SELECT 1 UNION SELECT 1, 2;",
	"SELECT count(count(1));", "SELECT 1 ORDER BY 2;", "SELECT 1 GROUP BY 2;",
	"SELECT x FROM nosuchtable;", "SELECT sum(1,2);", "SELECT nosuchfunc(1);",
	"SELECT 1 UNION SELECT 2 ORDER BY 3;", "SELECT 1 AS a UNION SELECT 2 ORDER BY b;",
	"SELECT 1 WHERE count(*) > 0;", "SELECT 1 HAVING 1;", "SELECT a FROM (SELECT 1 a) x, (SELECT 2 a) y;",
	"SELECT 1 AS x ORDER BY x; SELECT 1 + 1 AS y WHERE y = 2;",
};

/* Tables: a rowid table with an index, a WITHOUT ROWID table, NULLs,
 * mixed types, duplicates; the same script runs in sqlite3 before each
 * query. */
static const char tables_sql[] =
	"CREATE TABLE t1(a INTEGER PRIMARY KEY, b INT, c TEXT, d REAL);"
	"CREATE INDEX t1b ON t1(b);"
	"CREATE INDEX t1cd ON t1(c DESC, d);"
	"INSERT INTO t1 VALUES(1, 10, 'x', 1.5), (2, 20, 'y', NULL), (3, NULL, 'x', -2),"
	" (4, 10, NULL, 3), (5, 30, 'Z', 2.5), (6, 20, 'y', 0), (7, -5, 'w', 1e10);"
	"CREATE TABLE t2(k TEXT PRIMARY KEY, v INT, w) WITHOUT ROWID;"
	"INSERT INTO t2 VALUES('a', 1, 'p'), ('b', 10, 'q'), ('c', 20, NULL), ('d', NULL, 'r');"
	"CREATE TABLE t3(x, y);"
	"INSERT INTO t3 VALUES(1, '1'), ('1', 1), (2.0, 'two'), (NULL, NULL), (X'01', 3), (10, 10);"
	"CREATE VIEW v1 AS SELECT a, b * 2 AS bb FROM t1 WHERE b > 0;";

static const char *const table_queries[] = {
	"SELECT * FROM t1;", "SELECT * FROM t2;", "SELECT * FROM t3;",
	"SELECT a, b FROM t1 WHERE a = 3; SELECT * FROM t1 WHERE a = '3'; SELECT * FROM t1 WHERE a = 3.0; SELECT * FROM t1 WHERE a = 3.5;",
	"SELECT a FROM t1 WHERE a IN (5, 1, 3, 1, 99, '2'); SELECT a FROM t1 WHERE a IN (5, 1, 3) ORDER BY a DESC;",
	"SELECT a FROM t1 WHERE a > 2 AND a <= 5; SELECT a FROM t1 WHERE a BETWEEN 2 AND 4 ORDER BY a DESC; SELECT a FROM t1 WHERE a > 2.5; SELECT a FROM t1 WHERE a < 'x';",
	"SELECT a, c FROM t1 WHERE b = 10; SELECT a FROM t1 WHERE b = '20'; SELECT a FROM t1 WHERE b = 20.0; SELECT a FROM t1 WHERE b IS NULL;",
	"SELECT a, c, d FROM t1 WHERE c = 'x' ORDER BY d; SELECT a FROM t1 ORDER BY c DESC, d; SELECT a FROM t1 ORDER BY c, d DESC;",
	"SELECT a, b FROM t1 ORDER BY b, a; SELECT a, b FROM t1 ORDER BY b DESC, a DESC LIMIT 3; SELECT a FROM t1 ORDER BY a DESC LIMIT 2 OFFSET 1;",
	"SELECT b, count(*), sum(d), max(c) FROM t1 GROUP BY b ORDER BY 1; SELECT count(*), avg(b) FROM t1 WHERE b > 10;",
	"SELECT t1.a, t2.k FROM t1, t2 WHERE t1.b = t2.v ORDER BY 1, 2; SELECT a, k FROM t1 JOIN t2 ON b = v AND w IS NOT NULL;",
	"SELECT a, k FROM t1 LEFT JOIN t2 ON b = v ORDER BY a; SELECT a, k FROM t1 LEFT JOIN t2 ON b = v WHERE k IS NULL ORDER BY a;",
	"SELECT x, y, typeof(x), x = y, x < y FROM t3 ORDER BY x, y; SELECT x FROM t3 WHERE x = 1; SELECT x FROM t3 WHERE x IN (1, '1');",
	"SELECT a.x, b.y FROM t3 a, t3 b WHERE a.x = b.y; SELECT count(*) FROM t3 a JOIN t3 b ON a.x = b.x;",
	"SELECT * FROM v1 ORDER BY bb DESC; SELECT count(*) FROM v1 WHERE a > 2;",
	"SELECT a, (SELECT k FROM t2 WHERE v = t1.b) FROM t1 ORDER BY a; SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE v = b) ORDER BY 1;",
	"SELECT a FROM t1 WHERE b IN (SELECT v FROM t2) ORDER BY a; SELECT a FROM t1 WHERE b NOT IN (SELECT v FROM t2 WHERE v IS NOT NULL) ORDER BY a;",
	"SELECT DISTINCT b FROM t1 ORDER BY b; SELECT DISTINCT c FROM t1 WHERE c > 'w' ORDER BY c;",
	"SELECT rowid, oid, _rowid_ FROM t1 WHERE rowid < 3; SELECT rowid FROM t3 ORDER BY rowid DESC LIMIT 2;",
	"SELECT c FROM t1 UNION SELECT k FROM t2; SELECT b FROM t1 INTERSECT SELECT v FROM t2; SELECT b FROM t1 EXCEPT SELECT v FROM t2;",
	"SELECT 1 IN t2;", "SELECT 10 IN (SELECT v FROM t2), 3 IN (SELECT v FROM t2);",
	"SELECT t1.*, t2.k FROM t1 CROSS JOIN t2 WHERE t1.a = t2.v;",
	"SELECT c, group_concat(a) FROM (SELECT * FROM t1 ORDER BY a) GROUP BY c;",
	"SELECT a FROM t1 WHERE c LIKE 'X' ORDER BY a; SELECT a FROM t1 WHERE c GLOB 'x' OR c = 'Z' ORDER BY a;",
};

/* EXPLAIN QUERY PLAN: index use, join order, sort avoidance. */
static void eqp_has(struct sql_conn *c, const char *sql, const char *want,
		    int present)
{
	struct sdb_buf a;
	sdb_buf_init(&a);
	run_ours(c, sql, &a);
	sdb_buf_addc(&a, 0);
	unit_checks++;
	if ((strstr(a.data, want) != NULL) != present) {
		unit_failures++;
		printf("FAIL: %s: %s[%s] in:\n%s", sql, present ? "" : "no ", want, a.data);
	}
	sdb_buf_release(&a);
}

static void test_eqp(struct sql_conn *c)
{
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 WHERE a = 3", "SEARCH t1 USING INTEGER PRIMARY KEY (rowid=?)", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 WHERE b = 3", "SEARCH t1 USING INDEX t1b (b=?)", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 WHERE d = 3", "SCAN t1", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY a DESC", "TEMP B-TREE", 0);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY b", "SCAN t1 USING INDEX t1b", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY b", "TEMP B-TREE", 0);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY c DESC, d", "USING INDEX t1cd", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY c, d DESC", "TEMP B-TREE", 0);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY c, d", "USE TEMP B-TREE FOR ORDER BY", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t1 ORDER BY d", "USE TEMP B-TREE FOR ORDER BY", 1);
	/* join order: the table with the key equality first, the other by its key */
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t2, t1 WHERE t1.a = 2 AND t2.v = t1.b",
		"SEARCH t1 USING INTEGER PRIMARY KEY (rowid=?)\n", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t3, t1 WHERE t1.a = t3.x",
		"SCAN t3\n", 1);
	/* after a scan, a hash of the other table's rows on the key */
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t3, t1 WHERE t1.a = t3.x",
		"SCAN t1 USING HASH (a=?)", 1);
	eqp_has(c, "EXPLAIN QUERY PLAN SELECT * FROM t3 a, t3 b WHERE b.y = a.x",
		"USING HASH", 1);
}

static void test_params(struct sql_conn *c)
{
	const char *sql = "SELECT ?, ?5, :a, @b, $c, :a, ?";
	struct sql_stmt_h *h;
	struct sdb_error e;
	size_t used;
	CHECK_EQ_INT(sql_prepare(c, sql, strlen(sql), &used, &h, &e), 0);
	if (!h)
		return;
	CHECK_EQ_INT(sql_bind_count(h), 9);
	CHECK_EQ_STR(sql_bind_name(h, 6), ":a");
	CHECK_EQ_STR(sql_bind_name(h, 8), "$c");
	CHECK_EQ_INT(sql_bind_index(h, "@b"), 7);
	CHECK(sql_bind_name(h, 5) == NULL);
	struct sql_value v = sql_int(42);
	CHECK_EQ_INT(sql_bind(h, 6, &v), 0);
	v = sql_text("hi", 2);
	CHECK_EQ_INT(sql_bind(h, 9, &v), 0);
	CHECK(sql_bind(h, 10, &v) < 0);
	CHECK_EQ_INT(sql_step(h, &e), 1);
	CHECK_EQ_INT(sql_column_count(h), 7);
	CHECK_EQ_INT(sql_column(h, 0)->type, SQLV_NULL);
	CHECK_EQ_INT(sql_column(h, 2)->u.i, 42);
	CHECK_EQ_INT(sql_column(h, 5)->u.i, 42);
	CHECK_EQ_INT(sql_column(h, 6)->n, 2);
	CHECK_EQ_STR(sql_column_name(h, 1), "?5");
	CHECK_EQ_INT(sql_step(h, &e), 0);
	/* reset keeps the bindings */
	CHECK_EQ_INT(sql_reset(h, &e), 0);
	CHECK_EQ_INT(sql_step(h, &e), 1);
	CHECK_EQ_INT(sql_column(h, 2)->u.i, 42);
	sql_finalize(h);
	/* a script: used moves past each statement */
	const char *script = "SELECT 1; ; SELECT 2 -- c\n;  ";
	size_t pos = 0, len = strlen(script);
	int n = 0;
	while (pos < len) {
		CHECK_EQ_INT(sql_prepare(c, script + pos, len - pos, &used, &h, &e), 0);
		pos += used;
		if (!h)
			break;
		n++;
		CHECK_EQ_INT(sql_step(h, &e), 1);
		CHECK_EQ_INT(sql_column(h, 0)->u.i, n);
		sql_finalize(h);
	}
	CHECK_EQ_INT(n, 2);
	/* syntax errors carry line and column */
	const char *bad = "SELECT 1;\nSELECT 1 FORM x";
	CHECK_EQ_INT(sql_prepare(c, bad, strlen(bad), &used, &h, &e), 0);
	sql_finalize(h);
	CHECK(sql_prepare(c, bad + used, strlen(bad) - used, &used, &h, &e) == SDB_EPARSE);
	CHECK_EQ_INT(e.line, 2);
	CHECK_EQ_INT(e.column, 15); /* near "x" */
}

int main(void)
{
	have_sqlite = system("sqlite3 -version >/dev/null 2>&1") == 0;
	if (!have_sqlite)
		printf("note: sqlite3 not found: comparisons skipped\n");
	snprintf(dir, sizeof dir, "/tmp/test_sql_exec.%d", (int)getpid());
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd))
		return 1;
	struct sql_open_opts o;
	sql_open_opts_default(&o);
	char db[300];
	snprintf(db, sizeof db, "%s/db", dir);
	o.dir = db;
	struct sql_conn *c;
	struct sdb_error e;
	CHECK_EQ_INT(sql_open(&o, &c, &e), 0);
	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
		same(c, exprs[i]);
	test_params(c);
	CHECK_EQ_INT(sql_exec(c, tables_sql, &e), 0);
	setup = tables_sql;
	for (size_t i = 0; i < sizeof table_queries / sizeof table_queries[0]; i++)
		same(c, table_queries[i]);
	test_eqp(c);
	sql_close(c);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return unit_done("test_sql_exec");
}
