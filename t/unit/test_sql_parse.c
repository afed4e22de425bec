/* test_sql_parse.c - unit tests for lib/sql: the tokenizer (token types,
 * offsets, lines and columns, every operator, literal and comment form,
 * the errors), the parser and the printer (SQLite's operator precedence
 * against hand-written parenthesizations, every statement form against
 * its canonical text, print(parse(print(parse(s)))) == print(parse(s)),
 * error messages and positions, the depth limit, recovery after an error).
 *
 *   test_sql_parse                 the built-in cases
 *   test_sql_parse --slt DIR       also every statement of DIR/test/
 *                                  select1-5.test and the evidence files
 *                                  (SQLite's sqllogictest): each must
 *                                  parse (unless the record says
 *                                  `statement error`) and round-trip
 *   test_sql_parse --print         prints each statement of stdin in
 *                                  canonical form, one a line ("error:
 *                                  MESSAGE" for a bad one, then exit 1) */
#include "unit.h"
#include "sql/parse.h"
#include "sql/tokenize.h"
#include "util/buf.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokenizer ---- */

static void test_tokens(void)
{
	const char *sql = "SELECT a->>'x''y', b -> 1 FROM \"t\"\"u\" -- c\n"
			  " /* x\n */ WHERE [c d] <> `e` != ?12 || :p >= @q <= $r\n"
			  "<< >> == = < > | & ~ % / * + - . ; 0x1F 1e5 .5 1. 1.5e-3 X'0aFF' ?";
	static const enum sdb_sql_tk want[] = {
		SQL_TK_KEYWORD, SQL_TK_ID, SQL_TK_PTR2, SQL_TK_STRING, SQL_TK_COMMA,
		SQL_TK_ID, SQL_TK_PTR, SQL_TK_INTEGER, SQL_TK_KEYWORD, SQL_TK_QID,
		SQL_TK_KEYWORD, SQL_TK_QID, SQL_TK_NE, SQL_TK_QID, SQL_TK_NE,
		SQL_TK_VARIABLE, SQL_TK_CONCAT, SQL_TK_VARIABLE, SQL_TK_GE,
		SQL_TK_VARIABLE, SQL_TK_LE, SQL_TK_VARIABLE,
		SQL_TK_LSHIFT, SQL_TK_RSHIFT, SQL_TK_EQ, SQL_TK_EQ, SQL_TK_LT,
		SQL_TK_GT, SQL_TK_BITOR, SQL_TK_BITAND, SQL_TK_BITNOT, SQL_TK_REM,
		SQL_TK_SLASH, SQL_TK_STAR, SQL_TK_PLUS, SQL_TK_MINUS, SQL_TK_DOT,
		SQL_TK_SEMI, SQL_TK_INTEGER, SQL_TK_FLOAT, SQL_TK_FLOAT, SQL_TK_FLOAT,
		SQL_TK_FLOAT, SQL_TK_BLOB, SQL_TK_VARIABLE, SQL_TK_EOF,
	};
	struct sdb_sql_lexer lx;
	struct sdb_sql_token t;
	struct sdb_error e;
	sdb_sql_lexer_init(&lx, sql, strlen(sql));
	size_t i = 0;
	do {
		CHECK_EQ_INT(sdb_sql_lexer_next(&lx, &t, &e), 0);
		if (i < sizeof(want) / sizeof(want[0]))
			CHECK_EQ_INT(t.type, want[i]);
		if (i == 0)
			CHECK_EQ_INT(t.kw, SQL_KW_SELECT);
		if (i == 3) { /* 'x''y' */
			CHECK_EQ_INT(t.off, 11);
			CHECK_EQ_INT(t.n, 6);
			CHECK_EQ_INT(t.col, 12);
		}
		if (i == 10) { /* WHERE on line 3 after the comment */
			CHECK_EQ_INT(t.line, 3);
			CHECK_EQ_INT(t.col, 5);
		}
		if (i == 22) { /* << on line 4 */
			CHECK_EQ_INT(t.line, 4);
			CHECK_EQ_INT(t.col, 1);
		}
		i++;
	} while (t.type != SQL_TK_EOF && i < 100);
	CHECK_EQ_INT(i, sizeof(want) / sizeof(want[0]));

	/* keywords in any case; fallback keywords */
	CHECK_EQ_INT(sdb_sql_keyword("sElEcT", 6), SQL_KW_SELECT);
	CHECK_EQ_INT(sdb_sql_keyword("current_timestamp", 17), SQL_KW_CURRENT_TIMESTAMP);
	CHECK_EQ_INT(sdb_sql_keyword("selects", 7), SQL_KW_NONE);
	CHECK(sdb_sql_keyword_is_name(SQL_KW_KEY));
	CHECK(!sdb_sql_keyword_is_name(SQL_KW_SELECT));

	/* dequoting */
	char out[32];
	CHECK_EQ_INT(sdb_sql_dequote("'it''s'", 7, out), 4);
	CHECK_EQ_STR(out, "it's");
	sdb_sql_dequote("[a\"b]", 5, out);
	CHECK_EQ_STR(out, "a\"b");
	sdb_sql_dequote("`a``b`", 6, out);
	CHECK_EQ_STR(out, "a`b");

	/* columns count characters, not bytes */
	const char *u = "SELECT 'é', x";
	sdb_sql_lexer_init(&lx, u, strlen(u));
	for (int k = 0; k < 4; k++)
		sdb_sql_lexer_next(&lx, &t, &e);
	CHECK_EQ_INT(t.col, 13);
	CHECK_EQ_INT(t.off, 13);

	/* an unterminated block comment ends at the end of input */
	const char *c = "SELECT /* open";
	sdb_sql_lexer_init(&lx, c, strlen(c));
	sdb_sql_lexer_next(&lx, &t, &e);
	CHECK_EQ_INT(sdb_sql_lexer_next(&lx, &t, &e), 0);
	CHECK_EQ_INT(t.type, SQL_TK_EOF);
}

/* ---- parse and print helpers ---- */

/* Parses all of sql; prints the statements joined by "; ". Returns the
 * first error code; msg gets the formatted error. */
static int parse_print(const char *sql, size_t len, struct sdb_buf *out, char *msg,
		       size_t msgn, int *nstmts)
{
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sdb_error e;
	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, sql, len);
	int rc = 0, n = 0;
	for (;;) {
		struct sql_stmt *s;
		sdb_error_clear(&e);
		rc = sdb_sql_parse_next(&p, &s, &e);
		if (rc) {
			if (msg)
				sdb_error_format(&e, msg, msgn);
			break;
		}
		if (!s)
			break;
		if (n++)
			sdb_buf_adds(out, "; ");
		CHECK_EQ_INT(sdb_sql_print_stmt(out, s), 0);
	}
	sdb_sql_arena_release(&a);
	if (nstmts)
		*nstmts = n;
	return rc;
}

/* Checks that sql prints as want and that want prints as itself. */
static void check_canon_at(const char *sql, const char *want, int line)
{
	struct sdb_buf b = SDB_BUF_INIT, b2 = SDB_BUF_INIT;
	char msg[600] = "";
	int rc = parse_print(sql, strlen(sql), &b, msg, sizeof(msg), NULL);
	unit_checks++;
	if (rc || !b.data || strcmp(b.data, want)) {
		unit_failures++;
		printf("FAIL line %d: %s\n  got  %s%s\n  want %s\n", line, sql,
		       rc ? "error: " : "", rc ? msg : b.data ? b.data : "", want);
	} else {
		rc = parse_print(b.data, b.len, &b2, msg, sizeof(msg), NULL);
		unit_checks++;
		if (rc || strcmp(b2.data, b.data)) {
			unit_failures++;
			printf("FAIL line %d: not stable: %s -> %s\n", line, b.data,
			       rc ? msg : b2.data);
		}
	}
	sdb_buf_release(&b);
	sdb_buf_release(&b2);
}

#define CANON(sql, want) check_canon_at((sql), (want), __LINE__)

/* An expression, printed by itself. */
static void check_expr_at(const char *expr, const char *want, int line)
{
	char sql[512], w[512];
	snprintf(sql, sizeof(sql), "SELECT %s", expr);
	snprintf(w, sizeof(w), "SELECT %s", want);
	check_canon_at(sql, w, line);
}

#define EXPR(e, want) check_expr_at((e), (want), __LINE__)

static void check_error_at(const char *sql, int code, const char *want, int line)
{
	struct sdb_buf b = SDB_BUF_INIT;
	char msg[600] = "";
	int rc = parse_print(sql, strlen(sql), &b, msg, sizeof(msg), NULL);
	unit_checks++;
	if (rc != code || strcmp(msg, want)) {
		unit_failures++;
		printf("FAIL line %d: %s\n  got  %d %s\n  want %d %s\n", line, sql, rc,
		       msg, code, want);
	}
	sdb_buf_release(&b);
}

#define ERR(sql, code, want) check_error_at((sql), (code), (want), __LINE__)

/* ---- precedence ---- */

/* sdb_sql_advance (sixteen bytes at a time where it can) against the
 * byte-at-a-time rule: a newline starts a line at column 1, every byte
 * that starts a UTF-8 character moves the column; seeded random texts of
 * newlines, ASCII and multi-byte characters, random ranges */
static void test_advance(void)
{
	static const char al[] = "ab\n\xc3\xa9\xe2\x82\xac 0,.'x\x80\xbf";
	unsigned seed = 2306;
	int bad = 0;
	for (int t = 0; t < 20000 && !bad; t++) {
		char buf[200];
		int n = (int)(rand_r(&seed) % 200);
		for (int i = 0; i < n; i++)
			buf[i] = rand_r(&seed) % 4 ? al[rand_r(&seed) % 3] :
				 al[rand_r(&seed) % (sizeof al - 1)];
		size_t from = (size_t)rand_r(&seed) % (size_t)(n + 1);
		size_t to = from + (size_t)rand_r(&seed) % ((size_t)n - from + 1);
		long l1 = 3, c1 = 7, l2 = 3, c2 = 7;
		sdb_sql_advance(buf, from, to, &l1, &c1);
		for (size_t i = from; i < to; i++) {
			if (buf[i] == '\n') {
				l2++;
				c2 = 1;
			} else if ((buf[i] & 0xC0) != 0x80) {
				c2++;
			}
		}
		bad = l1 != l2 || c1 != c2;
	}
	CHECK(!bad);
}

static void test_precedence(void)
{
	EXPR("1 + 2 * 3", "(1 + (2 * 3))");
	EXPR("1 * 2 + 3", "((1 * 2) + 3)");
	EXPR("a OR b AND c", "(a OR (b AND c))");
	EXPR("a AND b OR c", "((a AND b) OR c)");
	EXPR("NOT a = b", "(NOT (a = b))");
	EXPR("NOT a AND b", "((NOT a) AND b)");
	EXPR("NOT NOT a", "(NOT (NOT a))");
	EXPR("a || b || c", "((a || b) || c)");
	EXPR("x IS NOT NULL AND y", "((x IS NOT NULL) AND y)");
	EXPR("-a.b COLLATE nocase", "((-a.b) COLLATE nocase)");
	EXPR("a BETWEEN 1 AND 2 AND c", "((a BETWEEN 1 AND 2) AND c)");
	EXPR("a NOT BETWEEN b + 1 AND c * 2", "(a NOT BETWEEN (b + 1) AND (c * 2))");
	EXPR("a = b = c", "((a = b) = c)");
	EXPR("a < b = c", "((a < b) = c)");
	EXPR("a = b < c", "(a = (b < c))");
	EXPR("a == b != c", "((a = b) <> c)");
	EXPR("a & b + c", "(a & (b + c))");
	EXPR("a << 1 < 2", "((a << 1) < 2)");
	EXPR("a | b & c", "((a | b) & c)");
	EXPR("a || b * c", "((a || b) * c)");
	EXPR("a -> 'x' ->> 'y'", "((a -> 'x') ->> 'y')");
	EXPR("a COLLATE x || b", "((a COLLATE x) || b)");
	EXPR("- 1 + 2", "((-1) + 2)");
	EXPR("1 - -1", "(1 - (-1))");
	EXPR("~a + b", "((~a) + b)");
	EXPR("+a * -b", "((+a) * (-b))");
	EXPR("a % b / c * d", "(((a % b) / c) * d)");
	EXPR("a LIKE b || c", "(a LIKE (b || c))");
	EXPR("a NOT LIKE b ESCAPE c", "(a NOT LIKE b ESCAPE c)");
	EXPR("a GLOB b AND c NOT REGEXP d", "((a GLOB b) AND (c NOT REGEXP d))");
	EXPR("a MATCH b", "(a MATCH b)");
	EXPR("a IN (1, 2) = 0", "((a IN (1, 2)) = 0)");
	EXPR("a NOT IN (SELECT b FROM t)", "(a NOT IN (SELECT b FROM t))");
	EXPR("a IN t", "(a IN t)");
	EXPR("a IN main.t", "(a IN main.t)");
	EXPR("a NOT IN ()", "(a NOT IN ())");
	EXPR("a ISNULL = 0", "((a ISNULL) = 0)");
	EXPR("a NOTNULL", "(a NOTNULL)");
	EXPR("a NOT NULL OR b", "((a NOTNULL) OR b)");
	EXPR("a IS NULL", "(a IS NULL)");
	EXPR("x IS DISTINCT FROM y", "(x IS DISTINCT FROM y)");
	EXPR("x IS NOT DISTINCT FROM y + 1", "(x IS NOT DISTINCT FROM (y + 1))");
	EXPR("a IS b < c", "(a IS (b < c))");
	EXPR("a = NOT b AND c", "((a = (NOT b)) AND c)");
	EXPR("NOT EXISTS (SELECT 1)", "(NOT EXISTS (SELECT 1))");
	EXPR("(1, 2) = (3, 4)", "((1, 2) = (3, 4))");
	EXPR("((a + b)) * c", "((a + b) * c)");
	EXPR("CASE WHEN a THEN b WHEN c THEN d ELSE e END",
	     "CASE WHEN a THEN b WHEN c THEN d ELSE e END");
	EXPR("case a when 1 then 'x' end", "CASE a WHEN 1 THEN 'x' END");
	EXPR("CAST(a + 1 AS VARCHAR(10))", "CAST((a + 1) AS VARCHAR(10))");
	EXPR("cast(a as unsigned big int)", "CAST(a AS unsigned big int)");
	EXPR("count(*), count(DISTINCT a), coalesce(a, b, 1)",
	     "count(*), count(DISTINCT a), coalesce(a, b, 1)");
	EXPR("sum(a) FILTER (WHERE a > 0)", "sum(a) FILTER (WHERE (a > 0))");
	EXPR("x'0aFF', 'it''s', NULL, 1e5, .5, 1., 0x1F",
	     "X'0aFF', 'it''s', NULL, 1e5, .5, 1., 0x1F");
	EXPR("?1 + :a + @b + $c + ?", "((((?1 + :a) + @b) + $c) + ?)");
	EXPR("\"key\", [a b], `c`, key, t.\"x\"\"y\"",
	     "\"key\", \"a b\", c, \"key\", t.\"x\"\"y\"");
	EXPR("main.t.c", "main.t.c");
	EXPR("current_timestamp", "CURRENT_TIMESTAMP");
	EXPR("(SELECT max(a) FROM t) + 1", "((SELECT max(a) FROM t) + 1)");
	EXPR("replace(a, 'x', 'y'), like(a, b), \"glob\"(a, b), GLOB(a, b)",
	     "replace(a, 'x', 'y'), like(a, b), \"glob\"(a, b), GLOB(a, b)");
	EXPR("row_number() OVER (PARTITION BY a ORDER BY b DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
	     "row_number() OVER (PARTITION BY a ORDER BY b DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)");
	EXPR("sum(a) OVER w", "sum(a) OVER w");
}

/* ---- statements ---- */

static void test_statements(void)
{
	CANON("select distinct a as x, t.*, * from t1 as t left outer join t2 using (a) "
	      "where a > 1 group by a having count(*) > 1 order by 1 desc nulls last limit 1, 2",
	      "SELECT DISTINCT a AS x, t.*, * FROM t1 AS t LEFT OUTER JOIN t2 USING (a) "
	      "WHERE (a > 1) GROUP BY a HAVING (count(*) > 1) ORDER BY 1 DESC NULLS LAST "
	      "LIMIT 2 OFFSET 1");
	CANON("SELECT ALL a b, c 'd' FROM t x, u JOIN v ON x.a = v.a", 
	      "SELECT ALL a AS b, c AS d FROM t AS x, u JOIN v ON (x.a = v.a)");
	CANON("select * from a natural join b cross join c inner join d on 1 left join e",
	      "SELECT * FROM a NATURAL JOIN b CROSS JOIN c INNER JOIN d ON 1 LEFT JOIN e");
	CANON("select * from (select 1) s, (a join b) ab, f(1, 2) z where 1",
	      "SELECT * FROM (SELECT 1) AS s, (a JOIN b) AS ab, f(1, 2) AS z WHERE 1");
	CANON("select a from t indexed by i; select a from t not indexed order by a collate nocase asc",
	      "SELECT a FROM t INDEXED BY i; SELECT a FROM t NOT INDEXED ORDER BY (a COLLATE nocase) ASC");
	CANON("select 1 union select 2 union all select 3 intersect select 4 except select 5 order by 1 limit 3 offset 1",
	      "SELECT 1 UNION SELECT 2 UNION ALL SELECT 3 INTERSECT SELECT 4 EXCEPT SELECT 5 ORDER BY 1 LIMIT 3 OFFSET 1");
	CANON("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<10) SELECT x FROM c",
	      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT (x + 1) FROM c WHERE (x < 10)) SELECT x FROM c");
	CANON("with a as materialized (select 1), b as not materialized (values (2)) select * from a, b",
	      "WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (VALUES (2)) SELECT * FROM a, b");
	CANON("VALUES (1,2),(3,4)", "VALUES (1, 2), (3, 4)");
	CANON("select a from t window w as (order by a)",
	      "SELECT a FROM t WINDOW w AS (ORDER BY a)");
	CANON("insert or replace into t(a,b) values(1,'x'),(2,'y')",
	      "INSERT OR REPLACE INTO t (a, b) VALUES (1, 'x'), (2, 'y')");
	CANON("insert or ignore into main.t select * from u",
	      "INSERT OR IGNORE INTO main.t SELECT * FROM u");
	CANON("INSERT INTO t DEFAULT VALUES RETURNING id", "INSERT INTO t DEFAULT VALUES RETURNING id");
	CANON("insert into t values(1) on conflict(a) do update set b=excluded.b where b<>1 returning *, a+1 as n",
	      "INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = excluded.b WHERE (b <> 1) "
	      "RETURNING *, (a + 1) AS n");
	CANON("insert into t select * from u where true on conflict do nothing",
	      "INSERT INTO t SELECT * FROM u WHERE true ON CONFLICT DO NOTHING");
	CANON("insert into t select * from u on conflict (a) where a > 0 do nothing on conflict do nothing",
	      "INSERT INTO t SELECT * FROM u ON CONFLICT (a) WHERE (a > 0) DO NOTHING ON CONFLICT DO NOTHING");
	CANON("replace into t values(1)", "REPLACE INTO t VALUES (1)");
	CANON("insert ignore into t values(1)", "INSERT IGNORE INTO t VALUES (1)");
	CANON("insert into t values(1, 2) on duplicate key update b = b + 1",
	      "INSERT INTO t VALUES (1, 2) ON DUPLICATE KEY UPDATE b = (b + 1)");
	CANON("with x as (select 1) insert into t select * from x",
	      "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x");
	CANON("update or abort t set a=1, (b,c)=(2,3) from u where t.id=u.id returning a",
	      "UPDATE OR ABORT t SET a = 1, (b, c) = (2, 3) FROM u WHERE (t.id = u.id) RETURNING a");
	CANON("delete from t where a is null", "DELETE FROM t WHERE (a IS NULL)");
	CANON("update t as u set a = 1", "UPDATE t AS u SET a = 1");
	CANON("update t indexed by i set a = 1; delete from t not indexed where a",
	      "UPDATE t INDEXED BY i SET a = 1; DELETE FROM t NOT INDEXED WHERE a");
	CANON("delete from t as x where x.a in (1,2) returning *",
	      "DELETE FROM t AS x WHERE (x.a IN (1, 2)) RETURNING *");
	CANON("create table if not exists t(id integer primary key autoincrement, "
	      "name varchar(10) not null collate nocase default 'x', c real check(c>0) "
	      "references u(id) on delete cascade, d default (1 + 2), e default -1 unique, "
	      "f text constraint nn not null on conflict ignore, "
	      "primary key (id desc, name), unique(name, c), check (c < 10), "
	      "foreign key(c, d) references u(id, e) on update set null deferrable initially deferred) "
	      "without rowid",
	      "CREATE TABLE IF NOT EXISTS t (id integer PRIMARY KEY AUTOINCREMENT, "
	      "name varchar(10) NOT NULL COLLATE nocase DEFAULT 'x', c real CHECK ((c > 0)) "
	      "REFERENCES u (id) ON DELETE CASCADE, d DEFAULT ((1 + 2)), e DEFAULT ((-1)) UNIQUE, "
	      "f text CONSTRAINT nn NOT NULL ON CONFLICT IGNORE, "
	      "PRIMARY KEY (id DESC, name), UNIQUE (name, c), CHECK ((c < 10)), "
	      "FOREIGN KEY (c, d) REFERENCES u (id, e) ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED) "
	      "WITHOUT ROWID");
	CANON("create temp table t(a double precision, b decimal(10, -2), c, key int, "
	      "g as (a * 2) stored)",
	      "CREATE TEMP TABLE t (a double precision, b decimal(10, -2), c, \"key\" int, "
	      "g GENERATED ALWAYS AS ((a * 2)) STORED)");
	CANON("create table t(a int default current_timestamp, b text default 'a''b', c default null) strict",
	      "CREATE TABLE t (a int DEFAULT CURRENT_TIMESTAMP, b text DEFAULT 'a''b', c DEFAULT NULL) STRICT");
	CANON("CREATE TABLE t2 AS SELECT * FROM t", "CREATE TABLE t2 AS SELECT * FROM t");
	/* type names and pragma values keep odd words quoted (found by make fuzz) */
	CANON("create table t(a 'my;type' \"x\"\"y\" int, b references u match \"a b\")",
	      "CREATE TABLE t (a \"my;type\" \"x\"\"y\" int, b REFERENCES u MATCH \"a b\")");
	CANON("pragma x = \"a b\"; pragma y = 'c d'; pragma z(ident)",
	      "PRAGMA x = \"a b\"; PRAGMA y = 'c d'; PRAGMA z(ident)");
	CANON("create unique index if not exists i on t(a desc, b collate nocase, a + b) where a > 0",
	      "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC, (b COLLATE nocase), (a + b)) WHERE (a > 0)");
	CANON("create index v on docs using hnsw (emb) with (m = 16, ef_construction = 200, metric = 'cosine')",
	      "CREATE INDEX v ON docs USING hnsw (emb) WITH (m = 16, ef_construction = 200, metric = 'cosine')");
	CANON("create view v(a, b) as select 1, 2", "CREATE VIEW v (a, b) AS SELECT 1, 2");
	CANON("create temporary view if not exists v as select 1",
	      "CREATE TEMP VIEW IF NOT EXISTS v AS SELECT 1");
	CANON("create virtual table f using fts5(title, body, tokenize = 'porter ascii')",
	      "CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize = 'porter ascii')");
	CANON("create virtual table if not exists g using m", "CREATE VIRTUAL TABLE IF NOT EXISTS g USING m");
	CANON("drop table if exists main.t; drop index i; drop view if exists v",
	      "DROP TABLE IF EXISTS main.t; DROP INDEX i; DROP VIEW IF EXISTS v");
	CANON("alter table t rename to u; alter table t add column c int default 0; "
	      "alter table t add d; alter table t rename column a to b; alter table t rename a to b; "
	      "alter table t drop column c",
	      "ALTER TABLE t RENAME TO u; ALTER TABLE t ADD COLUMN c int DEFAULT 0; "
	      "ALTER TABLE t ADD COLUMN d; ALTER TABLE t RENAME COLUMN a TO b; "
	      "ALTER TABLE t RENAME COLUMN a TO b; ALTER TABLE t DROP COLUMN c");
	CANON("begin; begin deferred; begin immediate transaction; begin exclusive; commit; end transaction; "
	      "rollback; rollback to savepoint s; rollback transaction to s; savepoint s; release s; "
	      "release savepoint s",
	      "BEGIN; BEGIN DEFERRED; BEGIN IMMEDIATE TRANSACTION; BEGIN EXCLUSIVE; COMMIT; "
	      "COMMIT TRANSACTION; ROLLBACK; ROLLBACK TO SAVEPOINT s; ROLLBACK TRANSACTION TO s; "
	      "SAVEPOINT s; RELEASE s; RELEASE SAVEPOINT s");
	CANON("explain query plan select 1; explain select 2",
	      "EXPLAIN QUERY PLAN SELECT 1; EXPLAIN SELECT 2");
	CANON("pragma foreign_keys = on; PRAGMA table_info(t); pragma main.cache_size = -2000; pragma x",
	      "PRAGMA foreign_keys = on; PRAGMA table_info(t); PRAGMA main.cache_size = (-2000); PRAGMA x");
	CANON("analyze; analyze t; vacuum; reindex; reindex main.i",
	      "ANALYZE; ANALYZE t; VACUUM; REINDEX; REINDEX main.i");
	CANON(";; select 1;;", "SELECT 1");
	CANON("select a from t where b in (select c from u where u.d = t.d) and exists (select 1 from v)",
	      "SELECT a FROM t WHERE ((b IN (SELECT c FROM u WHERE (u.d = t.d))) AND EXISTS (SELECT 1 FROM v))");
	CANON("select count(*) filter (where x) from t group by a, b having sum(c) > 1",
	      "SELECT count(*) FILTER (WHERE x) FROM t GROUP BY a, b HAVING (sum(c) > 1)");
}

/* ---- errors ---- */

static void test_errors(void)
{
	ERR("SELECT 'abc", SDB_EPARSE, "line 1, column 8: unrecognized token: \"'abc\"");
	ERR("SELECT X'abc'", SDB_EPARSE, "line 1, column 8: unrecognized token: \"X'abc'\"");
	ERR("SELECT x'0g'", SDB_EPARSE, "line 1, column 8: unrecognized token: \"x'0g'\"");
	ERR("SELECT * FORM t", SDB_EPARSE, "line 1, column 10: near \"FORM\": syntax error");
	ERR("SELECT 1 +", SDB_EPARSE, "line 1, column 11: incomplete input");
	ERR("SELECT 1;\nSELECT (2\n  FROM t", SDB_EPARSE,
	    "line 3, column 3: near \"FROM\": syntax error");
	ERR("SELECT 12abc", SDB_EPARSE, "line 1, column 8: unrecognized token: \"12abc\"");
	ERR("SELECT a ! b", SDB_EPARSE, "line 1, column 10: unrecognized token: \"!\"");
	ERR("SELECT \"abc", SDB_EPARSE, "line 1, column 8: unrecognized token: \"\"abc\"");
	ERR("SELECT [abc", SDB_EPARSE, "line 1, column 8: unrecognized token: \"[abc\"");
	ERR("SELECT :", SDB_EPARSE, "line 1, column 8: unrecognized token: \":\"");
	ERR("SELECT 1 2", SDB_EPARSE, "line 1, column 10: near \"2\": syntax error");
	ERR("SELECT FROM t", SDB_EPARSE, "line 1, column 8: near \"FROM\": syntax error");
	ERR("  select a from t where", SDB_EPARSE, "line 1, column 24: incomplete input");
	ERR("CREATE TABLE t()", SDB_EPARSE, "line 1, column 16: near \")\": syntax error");
	ERR("INSERT INTO t VALUES (1", SDB_EPARSE, "line 1, column 24: incomplete input");
	ERR("SELECT 'é' + ", SDB_EPARSE, "line 1, column 14: incomplete input");
	/* a bad token while a type name or a foreign key clause is being read
	 * (make SANITIZE=1: nothing leaks on the way out) */
	ERR("CREATE TABLE t(a big !)", SDB_EPARSE, "line 1, column 22: unrecognized token: \"!\"");
	ERR("CREATE TABLE t(a REFERENCES u ON DELETE CASCADE 'x)", SDB_EPARSE,
	    "line 1, column 49: unrecognized token: \"'x)\"");
	ERR("SELECT sum(a) OVER (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW !)", SDB_EPARSE,
	    "line 1, column 62: unrecognized token: \"!\"");
	ERR("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END",
	    SDB_EUNSUPPORTED, "line 1, column 8: triggers are not supported");
	ERR("ATTACH 'x' AS y", SDB_EUNSUPPORTED,
	    "line 1, column 1: ATTACH and DETACH are not supported");

	/* a NUL byte ends the text, as in SQLite (found by make fuzz) */
	struct sdb_buf nb = SDB_BUF_INIT;
	char nmsg[600] = "";
	CHECK_EQ_INT(parse_print("SELECT 1\0 garbage", 18, &nb, nmsg, sizeof(nmsg), NULL), 0);
	CHECK_EQ_STR(nb.data, "SELECT 1");
	sdb_buf_reset(&nb);
	CHECK_EQ_INT(parse_print("SELECT 'a\0b'", 13, &nb, nmsg, sizeof(nmsg), NULL), SDB_EPARSE);
	CHECK_EQ_STR(nmsg, "line 1, column 8: unrecognized token: \"'a\"");
	sdb_buf_release(&nb);

	/* recovery: the statement after a bad one parses */
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sdb_error e;
	struct sql_stmt *s;
	const char *sql = "SELECT * FORM t; SELECT 2; SELECT 'x";
	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, sql, strlen(sql));
	CHECK_EQ_INT(sdb_sql_parse_next(&p, &s, &e), SDB_EPARSE);
	CHECK_EQ_INT(sdb_sql_parse_next(&p, &s, &e), 0);
	CHECK(s && s->kind == SQL_S_SELECT && s->off == 17 && s->len == 8 && s->col == 18);
	CHECK_EQ_INT(sdb_sql_parse_next(&p, &s, &e), SDB_EPARSE);
	CHECK_EQ_INT(e.offset, 34);
	CHECK_EQ_INT(sdb_sql_parse_next(&p, &s, &e), 0);
	CHECK(s == NULL);
	sdb_sql_arena_release(&a);
	sdb_sql_arena_release(NULL);
}

/* ---- depth limits ---- */

static void test_depth(void)
{
	struct sdb_buf b = SDB_BUF_INIT, out = SDB_BUF_INIT;
	char msg[600];
	/* 990 nested parentheses parse; 1001 do not */
	for (int n = 990, k = 0; k < 2; n = 1001, k++) {
		sdb_buf_reset(&b);
		sdb_buf_adds(&b, "SELECT ");
		for (int i = 0; i < n; i++)
			sdb_buf_addc(&b, '(');
		sdb_buf_addc(&b, '1');
		for (int i = 0; i < n; i++)
			sdb_buf_addc(&b, ')');
		sdb_buf_reset(&out);
		int rc = parse_print(b.data, b.len, &out, msg, sizeof(msg), NULL);
		CHECK_EQ_INT(rc, k ? SDB_ELIMIT : 0);
	}
	/* a left-deep chain of 990 terms parses, of 1100 terms does not */
	for (int n = 990, k = 0; k < 2; n = 1100, k++) {
		sdb_buf_reset(&b);
		sdb_buf_adds(&b, "SELECT 1");
		for (int i = 1; i < n; i++)
			sdb_buf_adds(&b, " + 1");
		sdb_buf_reset(&out);
		int rc = parse_print(b.data, b.len, &out, msg, sizeof(msg), NULL);
		CHECK_EQ_INT(rc, k ? SDB_ELIMIT : 0);
		if (k)
			CHECK(strstr(msg, "Expression tree is too large (maximum depth 1000)") != NULL);
	}
	/* nested NOT and unary minus */
	sdb_buf_reset(&b);
	sdb_buf_adds(&b, "SELECT ");
	for (int i = 0; i < 5000; i++)
		sdb_buf_adds(&b, "- ");
	sdb_buf_addc(&b, '1');
	sdb_buf_reset(&out);
	CHECK_EQ_INT(parse_print(b.data, b.len, &out, msg, sizeof(msg), NULL), SDB_ELIMIT);
	sdb_buf_release(&b);
	sdb_buf_release(&out);
}

/* ---- sqllogictest ---- */

struct slt_counts {
	long records, statements, parsed, expected_errors, errors_parsed, skipped;
	long failed, unstable;
};

/* Whether the line q[0..n) holds only white space (CRLF files). */
static int blank_line(const char *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (q[i] != '\r' && q[i] != ' ' && q[i] != '\t')
			return 0;
	return 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct sdb_buf b = SDB_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sdb_buf_add(&b, chunk, n);
	fclose(f);
	if (!b.data)
		sdb_buf_adds(&b, "");
	return sdb_buf_detach(&b, len);
}

/* One SQL text of a record: parse, print, reparse, compare. */
static void slt_sql(const char *path, long line, const char *sql, size_t len,
		    int may_fail, struct slt_counts *c)
{
	struct sdb_buf b1 = SDB_BUF_INIT, b2 = SDB_BUF_INIT;
	char msg[600] = "";
	int n = 0;
	c->statements++;
	int rc = parse_print(sql, len, &b1, msg, sizeof(msg), &n);
	if (may_fail)
		c->expected_errors++;
	if (rc || n == 0) {
		if (!may_fail) {
			c->failed++;
			if (c->failed <= 20)
				printf("FAIL %s:%ld: %s\n  %.*s\n", path, line,
				       rc ? msg : "no statement", (int)(len > 300 ? 300 : len), sql);
		}
		goto out;
	}
	if (may_fail)
		c->errors_parsed++;
	else
		c->parsed++;
	rc = parse_print(b1.data, b1.len, &b2, msg, sizeof(msg), NULL);
	if (rc || strcmp(b1.data, b2.data)) {
		c->unstable++;
		if (c->unstable <= 20)
			printf("FAIL %s:%ld: round trip\n  %.*s\n  -> %s\n  -> %s\n", path,
			       line, (int)len, sql, b1.data, rc ? msg : b2.data);
	}
out:
	sdb_buf_release(&b1);
	sdb_buf_release(&b2);
}

/* Walks a sqllogictest file record by record (the format of
 * shared/sqllogictest/README.md); this engine counts as "sqlite". */
static void slt_file(const char *path, struct slt_counts *c)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		printf("FAIL cannot read %s\n", path);
		c->failed++;
		return;
	}
	char *p = text, *end = text + len;
	long line = 0;
	int skip = 0;
	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		line++;
		size_t n = (size_t)(eol - p);
		char *next = eol < end ? eol + 1 : end;
		if (blank_line(p, n) || p[0] == '#') {
			if (blank_line(p, n))
				skip = 0;
			p = next;
			continue;
		}
		if (!strncmp(p, "halt", 4)) {
			if (!skip)
				break;
			skip = 0;
			p = next;
			continue;
		}
		if (!strncmp(p, "skipif ", 7) || !strncmp(p, "onlyif ", 7)) {
			int sqlite = !strncmp(p + 7, "sqlite", 6);
			if (p[0] == 's' ? sqlite : !sqlite)
				skip = 1;
			p = next;
			continue;
		}
		int stmt = !strncmp(p, "statement ", 10);
		int query = !strncmp(p, "query ", 6);
		if (!stmt && !query) { /* hash-threshold and the like */
			p = next;
			continue;
		}
		int may_fail = stmt && !strncmp(p + 10, "error", 5);
		long sql_line = line + 1;
		/* the SQL: lines up to "----" or a blank line */
		char *sql = next, *q = next;
		while (q < end) {
			char *e2 = memchr(q, '\n', (size_t)(end - q));
			if (!e2)
				e2 = end;
			if (blank_line(q, (size_t)(e2 - q)) ||
			    (e2 - q >= 4 && !strncmp(q, "----", 4)))
				break;
			line++;
			q = e2 < end ? e2 + 1 : end;
		}
		size_t sql_len = (size_t)(q - sql);
		c->records++;
		if (skip)
			c->skipped++;
		else
			slt_sql(path, sql_line, sql, sql_len, may_fail, c);
		skip = 0;
		/* skip the expected results up to the blank line */
		while (q < end) {
			char *e2 = memchr(q, '\n', (size_t)(end - q));
			if (!e2)
				e2 = end;
			line++;
			if (blank_line(q, (size_t)(e2 - q))) {
				q = e2 < end ? e2 + 1 : end;
				break;
			}
			q = e2 < end ? e2 + 1 : end;
		}
		p = q;
	}
	free(text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_slt(const char *dir)
{
	struct slt_counts c = { 0 };
	char path[4096];
	int files = 0;
	for (int i = 1; i <= 5; i++) {
		snprintf(path, sizeof(path), "%s/test/select%d.test", dir, i);
		slt_file(path, &c);
		files++;
	}
	snprintf(path, sizeof(path), "%s/test/evidence", dir);
	DIR *d = opendir(path);
	CHECK(d != NULL);
	char *names[256];
	int nn = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) && nn < 256) {
		size_t l = strlen(de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".test"))
			names[nn++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, (size_t)nn, sizeof(names[0]), cmp_str);
	for (int i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/test/evidence/%s", dir, names[i]);
		slt_file(path, &c);
		files++;
		free(names[i]);
	}
	printf("sqllogictest: %d files, %ld records (%ld skipped for other engines), "
	       "%ld statements: %ld parsed, %ld failed; %ld marked 'statement error' "
	       "(%ld of them parse); %ld not stable through print\n",
	       files, c.records, c.skipped, c.statements, c.parsed, c.failed,
	       c.expected_errors, c.errors_parsed, c.unstable);
	unit_checks++;
	if (c.failed || c.unstable || c.parsed < 10000)
		unit_failures++;
}

/* --print: stdin's statements in canonical form, one a line. */
static int print_stdin(void)
{
	struct sdb_buf in = SDB_BUF_INIT, out = SDB_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		sdb_buf_add(&in, chunk, n);
	struct sdb_sql_arena a;
	struct sdb_sql_parser p;
	struct sdb_error e;
	struct sql_stmt *s;
	int rc;
	sdb_sql_arena_init(&a);
	sdb_sql_parser_init(&p, &a, in.data ? in.data : "", in.len);
	int bad = 0;
	for (;;) {
		sdb_error_clear(&e);
		rc = sdb_sql_parse_next(&p, &s, &e);
		if (rc) {
			char msg[600];
			printf("error: %s\n", sdb_error_format(&e, msg, sizeof(msg)));
			bad = 1;
			continue;
		}
		if (!s)
			break;
		sdb_buf_reset(&out);
		sdb_sql_print_stmt(&out, s);
		printf("%s;\n", out.data);
	}
	rc = bad;
	sdb_sql_arena_release(&a);
	sdb_buf_release(&in);
	sdb_buf_release(&out);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--print"))
		return print_stdin();
	test_tokens();
	test_advance();
	test_precedence();
	test_statements();
	test_errors();
	test_depth();
	if (argc == 3 && !strcmp(argv[1], "--slt"))
		test_slt(argv[2]);
	return unit_done("test_sql_parse");
}
