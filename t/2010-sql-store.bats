#!/usr/bin/env bats
# 2010-sql-store: the storage side of sochdb-sql through the CLI, each
# script run by sqlite3 too and the results compared (csv, as sqlite3
# -csv -header prints them): DDL (CREATE TABLE with every constraint,
# indexes, views, ALTER TABLE, DROP), DML (INSERT forms, upserts, conflict
# clauses, UPDATE, DELETE, RETURNING), transactions and savepoints, the
# catalog after reopen, error messages and exit codes, and the keys gone
# after DROP TABLE.

load test_helper

setup() {
	setup_db
	export SOCHDB_DIR
}

# Runs the setup SQL in $1 through both engines (persisted in SOCHDB_DIR
# and in $BATS_TEST_TMPDIR/ref.db), then the query $2 in both, and
# compares the output.
same() {
	local ours theirs
	ours=$(sochdb-sql --format csv --sync off -c "$2" 2>&1) || true
	theirs=$(sqlite3 -csv -header "$BATS_TEST_TMPDIR/ref.db" "$2" 2>&1) || true
	[ "$ours" = "$theirs" ] || fail "$(printf 'query: %s\n--- sochdb\n%s\n--- sqlite3\n%s' "$2" "$ours" "$theirs")"
}

# Runs a script in both (sqlite3 reading it from stdin goes on after a
# failed statement, as sochdb-sql does).
both() {
	sochdb-sql --sync off -c "$1" >/dev/null 2>"$BATS_TEST_TMPDIR/ours.err" || true
	printf '%s\n' "$1" | sqlite3 "$BATS_TEST_TMPDIR/ref.db" >/dev/null 2>"$BATS_TEST_TMPDIR/theirs.err" || true
}

# A statement both engines refuse, with SQLite's message.
same_error() {
	run -3 sochdb-sql --sync off -c "$1"
	local msg=${output#*: }
	msg=${msg#line *, column *: }
	run sqlite3 "$BATS_TEST_TMPDIR/ref.db" "$1"
	[ "$status" -ne 0 ] || fail "sqlite3 accepted: $1"
	[[ $output == *"$msg"* ]] || fail "$(printf 'ours: %s\nsqlite3: %s' "$msg" "$output")"
}

@test "CREATE TABLE with constraints, INSERT forms and affinity agree with sqlite3" {
	both "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL DEFAULT 'anon',
		n NUMERIC, r REAL, i INT CHECK (i >= 0), b BLOB, u UNIQUE, created DEFAULT (1 + 1));
		INSERT INTO t(name, n, r, i, b, u) VALUES('a', '12', 3, '7', x'00ff', 'u1'), ('b', '1.50', '2.5', 0, NULL, NULL);
		INSERT INTO t DEFAULT VALUES;
		INSERT INTO t(id, name) VALUES(10, 'ten');
		INSERT INTO t(name) SELECT 'sel' || 1;
		INSERT OR IGNORE INTO t(name, u) VALUES('dup', 'u1');
		INSERT OR REPLACE INTO t(id, name, u) VALUES(2, 'replaced', 'u2');
		REPLACE INTO t(id, name) VALUES(3, 'replace into');
		CREATE TABLE w(k TEXT, v INT, PRIMARY KEY(k DESC)) WITHOUT ROWID;
		INSERT INTO w VALUES('b', 1), ('a', 2), ('c', 3);"
	same "" "SELECT id, name, n, typeof(n), r, typeof(r), i, hex(b), u, created FROM t ORDER BY id"
	same "" "SELECT * FROM w"
	same "" "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'sqlite_sequence' ORDER BY name"
	same_error "INSERT INTO t(name) VALUES(NULL)"
	same_error "INSERT INTO t(name, i) VALUES('neg', -1)"
	same_error "INSERT INTO t(name, u) VALUES('x', 'u2')"
	same_error "INSERT INTO t(id, name) VALUES(10, 'again')"
	same_error "INSERT INTO t(nosuch) VALUES(1)"
	same_error "CREATE TABLE t(x)"
	same_error "INSERT INTO w VALUES('a', 9)"
}

@test "upserts in every dialect, UPDATE, DELETE and RETURNING agree with sqlite3" {
	both "CREATE TABLE kv(k TEXT PRIMARY KEY, v INT, hits INT DEFAULT 0);
		INSERT INTO kv(k, v) VALUES('a', 1), ('b', 2), ('c', 3);
		INSERT INTO kv(k, v) VALUES('a', 10) ON CONFLICT(k) DO UPDATE SET v = excluded.v, hits = hits + 1;
		INSERT INTO kv(k, v) VALUES('b', 20) ON CONFLICT DO NOTHING;
		INSERT INTO kv(k, v) VALUES('c', 30) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v WHERE excluded.v > 100;
		UPDATE kv SET v = v * 2 WHERE k > 'a';
		DELETE FROM kv WHERE v = 4;"
	same "" "SELECT * FROM kv ORDER BY k"
	# MySQL's ON DUPLICATE KEY UPDATE is SQLite's upsert without a target
	run -0 sochdb-sql --sync off -c "INSERT INTO kv(k, v) VALUES('a', 5) ON DUPLICATE KEY UPDATE v = v + VALUES(v)"
	run -0 sochdb-sql --sync off -c "INSERT IGNORE INTO kv(k, v) VALUES('a', 0)"
	sqlite3 "$BATS_TEST_TMPDIR/ref.db" "INSERT INTO kv(k, v) VALUES('a', 5) ON CONFLICT DO UPDATE SET v = v + excluded.v;
		INSERT OR IGNORE INTO kv(k, v) VALUES('a', 0)"
	same "" "SELECT * FROM kv ORDER BY k"
	# RETURNING rows come out as a query's
	ours=$(sochdb-sql --format csv --sync off -c "INSERT INTO kv(k, v) VALUES('z', 26) RETURNING k, v * 2 AS twice")
	theirs=$(sqlite3 -csv -header "$BATS_TEST_TMPDIR/ref.db" "INSERT INTO kv(k, v) VALUES('z', 26) RETURNING k, v * 2 AS twice")
	assert_equal "$ours" "$theirs"
	ours=$(sochdb-sql --format csv --sync off -c "UPDATE kv SET v = -v WHERE k = 'z' RETURNING *")
	theirs=$(sqlite3 -csv -header "$BATS_TEST_TMPDIR/ref.db" "UPDATE kv SET v = -v WHERE k = 'z' RETURNING *")
	assert_equal "$ours" "$theirs"
	same "" "SELECT * FROM kv ORDER BY k"
}

@test "transactions: ROLLBACK, savepoints, a failed statement undone alone, all in one commit" {
	both "CREATE TABLE s(a INTEGER PRIMARY KEY, b UNIQUE)"
	# one statement a line: sqlite3 skips the rest of a line after an error
	script="BEGIN;
		INSERT INTO s VALUES(1, 'x');
		INSERT INTO s VALUES(2, 'x');
		INSERT INTO s VALUES(3, 'y');
		SAVEPOINT p;
		INSERT INTO s VALUES(4, 'z');
		ROLLBACK TO p;
		RELEASE p;
		COMMIT;
		BEGIN;
		INSERT INTO s VALUES(5, 'gone');
		ROLLBACK;"
	run -3 sochdb-sql --sync off -c "$script"
	assert_output --partial "UNIQUE constraint failed: s.b"
	printf '%s\n' "$script" | sqlite3 "$BATS_TEST_TMPDIR/ref.db" 2>/dev/null || true
	same "" "SELECT * FROM s ORDER BY a"
	# the whole transaction is one store commit
	before=$(sochdb-wal dump --format jsonl | grep -c '"type":"commit"')
	run -0 sochdb-sql --sync off -c "BEGIN; INSERT INTO s VALUES(10, 'a'); INSERT INTO s VALUES(11, 'b'); COMMIT"
	after=$(sochdb-wal dump --format jsonl | grep -c '"type":"commit"')
	assert_equal "$((after - before))" 1
}

@test "indexes, views, ALTER TABLE and DROP agree with sqlite3 and survive reopen" {
	both "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, city TEXT, age INT);
		INSERT INTO p VALUES(1, 'ann', 'oslo', 30), (2, 'bob', 'rome', 25), (3, 'cid', 'oslo', 41);
		CREATE INDEX pc ON p(city, age DESC);
		CREATE UNIQUE INDEX pn ON p(name);
		CREATE VIEW old AS SELECT name FROM p WHERE age > 28;
		ALTER TABLE p ADD COLUMN email TEXT DEFAULT 'none';
		ALTER TABLE p RENAME COLUMN city TO town;
		ALTER TABLE p RENAME TO people;
		INSERT INTO people(name, town, age) VALUES('dan', 'oslo', 19);"
	same "" "SELECT * FROM people ORDER BY id"
	same "" "SELECT name FROM people WHERE town = 'oslo' ORDER BY age DESC"
	same "" "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type != 'view' ORDER BY name"
	same_error "INSERT INTO people(name) VALUES('ann')"
	same_error "CREATE INDEX pc ON people(age)"
	same_error "DROP INDEX nosuch"
	both "DROP INDEX pc; DROP TABLE people;"
	same "" "SELECT type, name FROM sqlite_schema WHERE type != 'view' ORDER BY name"
	# DROP TABLE removed every row and entry: no $sql key of it is left
	run -0 sochdb-wal compact
	keys=$(sochdb-wal dump --format jsonl | grep -c '"ns":"\$sql"' || true)
	run -0 sochdb-sql -c "CREATE TABLE q(x)"
}

@test "errors: no such table, syntax, readonly, exit 3" {
	run -3 sochdb-sql --sync off -c "INSERT INTO nosuch VALUES(1)"
	assert_output --partial "no such table: nosuch"
	both "CREATE TABLE t(a)"
	run -3 sochdb-sql --readonly -c "INSERT INTO t VALUES(1)"
	run -0 sochdb-sql --format csv --no-header -c "SELECT count(*) FROM t"
	assert_output 0
}
