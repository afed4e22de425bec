#!/usr/bin/env bats
# 2390-sql-with-dml: a WITH clause before INSERT, UPDATE and DELETE (as
# SQLite allows it) puts its common table expressions in scope for the
# whole statement: the INSERT's SELECT or VALUES, the WHERE and SET
# expressions and their subqueries; a recursive CTE generates rows. Each
# script's final table is compared with sqlite3's.

load test_helper

# same_table SCRIPT: the table t after SCRIPT, in sochdb-sql and sqlite3
same_table() {
	local want got
	want=$(printf 'CREATE TABLE t(a INTEGER, b TEXT);\n%s\nSELECT rowid, a, b FROM t ORDER BY rowid;\n' "$1" |
		sqlite3 -csv 2>&1) || true
	rm -rf "$BATS_TEST_TMPDIR/db"
	got=$(printf 'CREATE TABLE t(a INTEGER, b TEXT);\n%s\nSELECT rowid, a, b FROM t ORDER BY rowid;\n' "$1" |
		sochdb-sql -d "$BATS_TEST_TMPDIR/db" --format csv --no-header 2>&1) || true
	[ -n "$want" ] || fail "sqlite3 gave nothing for: $1"
	[ "$got" = "$want" ] || fail "$1: $(diff <(echo "$want") <(echo "$got") | head -10)"
}

@test "WITH ... INSERT ... SELECT: plain and recursive CTEs, several CTEs, one naming another" {
	same_table "WITH c(i) AS (SELECT 5) INSERT INTO t SELECT i, 'five' FROM c;"
	same_table "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50)
		INSERT INTO t SELECT i, 'n' || i FROM c;"
	same_table "WITH a(x) AS (VALUES (1), (2), (3)), b(y) AS (SELECT x * 10 FROM a)
		INSERT INTO t(a) SELECT y FROM b ORDER BY y DESC;"
	same_table "WITH c(i) AS (SELECT 7) INSERT INTO t VALUES ((SELECT i FROM c), 'v');"
}

@test "WITH ... UPDATE and WITH ... DELETE: the CTE seen in WHERE and SET subqueries" {
	local fill="WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20) INSERT INTO t SELECT i, 'r' || i FROM c;"
	same_table "$fill WITH odd(i) AS (SELECT 1 UNION ALL SELECT 3 UNION ALL SELECT 5)
		UPDATE t SET b = 'odd' WHERE a IN (SELECT i FROM odd);"
	same_table "$fill WITH m(v) AS (SELECT 100) UPDATE t SET a = a + (SELECT v FROM m) WHERE a > 15;"
	same_table "$fill WITH big(i) AS (SELECT a FROM t WHERE a > 10) DELETE FROM t WHERE a IN (SELECT i FROM big);"
	same_table "$fill WITH RECURSIVE e(i) AS (SELECT 2 UNION ALL SELECT i + 2 FROM e WHERE i < 20)
		DELETE FROM t WHERE a IN e;"
}

@test "a CTE shadows a table of the same name inside the statement, not its target" {
	same_table "INSERT INTO t VALUES (1, 'table');
		WITH t(a, b) AS (SELECT 2, 'cte') INSERT INTO t SELECT a, b FROM t;"
}

@test "a CTE of a DML statement is not seen by the next statement" {
	rm -rf "$BATS_TEST_TMPDIR/db"
	run sochdb-sql -d "$BATS_TEST_TMPDIR/db" -c "CREATE TABLE t(a)" \
		-c "WITH c(i) AS (SELECT 1) INSERT INTO t SELECT i FROM c" -c "INSERT INTO t SELECT i FROM c"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such table: c"* ]] || fail "$output"
	run -0 sochdb-sql -d "$BATS_TEST_TMPDIR/db" -c "SELECT count(*) FROM t"
	[ "$output" = "count(*)
1" ] || fail "$output"
}

@test "a WITH clause before a statement that takes none is a syntax error" {
	rm -rf "$BATS_TEST_TMPDIR/db"
	run sochdb-sql -d "$BATS_TEST_TMPDIR/db" -c "WITH c(i) AS (SELECT 1) CREATE TABLE x(a)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"syntax error"* ]] || fail "$output"
}
