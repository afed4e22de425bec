#!/usr/bin/env bats
# 2102-sql-engine-limits: what man/sochdb-sql.1 (THE ENGINE) says is not
# supported fails with a clear one-line error and exit 3, leaves the
# committed data as it was, and the documented differences from SQLite
# hold (checked against Debian's sqlite3 where it has an answer).

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
	sochdb-sql -d "$D" -c 'CREATE TABLE t(a, b TEXT)' -c "INSERT INTO t VALUES (1, '-7')"
}

refused() { # SQL WORDS
	run -3 sochdb-sql -d "$D" -c "$1"
	assert_output --partial "$2"
	[ "${lines[0]#sochdb-sql: line 1, column }" != "${lines[0]}" ]
}

@test "unsupported forms are refused with one clear line, exit 3, nothing lost" {
	refused 'SELECT * FROM t JOIN (t u RIGHT JOIN t v ON 1) ON 1' 'a RIGHT or FULL JOIN inside parentheses or of a parenthesized join is not supported'
	refused 'SELECT * FROM t FULL JOIN (t u JOIN t v ON 1) ON 1' 'a RIGHT or FULL JOIN inside parentheses or of a parenthesized join is not supported'
	refused 'CREATE INDEX i ON t(a + 1)' 'indexes on expressions are not supported'
	refused 'CREATE INDEX j ON t(a) WHERE a > 0' 'partial indexes are not supported'
	refused 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END' 'triggers are not supported'
	refused "ATTACH 'x' AS y" 'ATTACH and DETACH are not supported'
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT a, b FROM t'
	assert_output "$(printf '1\t-7')"
}

@test "documented differences: LIKE never matches a BLOB, no sqlite_sequence" {
	# unary + drops the column's affinity, as in SQLite
	want=$(sqlite3 :memory: "CREATE TABLE t(b TEXT); INSERT INTO t VALUES('-7'); SELECT 1 > +b, 1 > b FROM t;" | tr '|' '\t')
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT 1 > +b, 1 > b FROM t'
	assert_output "$want"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT X'616263' LIKE 'abc', X'616263' GLOB 'abc', 'abc' LIKE 'ABC'"
	assert_output "$(printf '0\t0\t1')"
	run -0 sochdb-sql -d "$D" -c 'CREATE TABLE s(id INTEGER PRIMARY KEY AUTOINCREMENT, v)' -c "INSERT INTO s(v) VALUES ('x')"
	run -3 sochdb-sql -d "$D" -c 'SELECT * FROM sqlite_sequence'
	assert_output --partial 'no such table: sqlite_sequence'
}
