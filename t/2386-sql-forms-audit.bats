#!/usr/bin/env bats
# 2386-sql-forms-audit: the forms of issue 10 that no other bats file ran
# through the CLI against sqlite3 (each script is one statement a line,
# as sqlite3's shell skips the rest of a line after a failure): the
# conflict clauses OR FAIL/ABORT/ROLLBACK/IGNORE/REPLACE on INSERT and
# UPDATE with changes(), total_changes() and last_insert_rowid() after
# each (a failed statement changed nothing; OR FAIL keeps the rows before
# the failing one, and that row whole); the rowid aliases, DEFAULT
# CURRENT_TIMESTAMP/DATE/TIME, CREATE TABLE ... AS SELECT, ALTER TABLE
# DROP COLUMN, DROP INDEX/VIEW [IF EXISTS], BEGIN DEFERRED, ANALYZE,
# IS [NOT] DISTINCT FROM, LIMIT o, n and NATURAL JOIN; the date and time
# functions and the core scalar functions on fixed inputs; and the CLI's
# --header, .import --tsv/--jsonl, too deep an expression and a write
# lock held past --lock-timeout: one line, exit 3.

load test_helper

setup() {
	sqlite_ref
}

# same_script SQL: the rows (csv, no header) sochdb-sql and sqlite3 print
# for a script, failed statements' errors left out
same_script() {
	local want got
	want=$(printf '%s\n' "$1" | sqlite3 -csv "$Q" 2>/dev/null) || true
	got=$(sochdb-sql -d "$D" --format csv --no-header -c "$1" 2>/dev/null) || true
	[ "$got" = "$want" ] || fail "$(diff <(echo "$want") <(echo "$got") | head -20)"
}

@test "OR FAIL, ABORT, ROLLBACK, IGNORE and REPLACE on INSERT and UPDATE, with changes() after each" {
	local mode
	for mode in FAIL ABORT ROLLBACK IGNORE REPLACE; do
		rm -rf "$D" "$Q"
		same_script "CREATE TABLE t(a INTEGER PRIMARY KEY, b UNIQUE, c);
INSERT INTO t VALUES(1, 'x', 0);
INSERT INTO t VALUES(2, 'y', 0), (3, 'z', 0);
INSERT OR $mode INTO t VALUES(4, 'w', 1), (5, 'x', 1), (6, 'v', 1);
SELECT '$mode', changes(), total_changes(), last_insert_rowid(), (SELECT group_concat(x, ' ') FROM (SELECT a || b AS x FROM t ORDER BY a));
UPDATE OR $mode t SET b = 'y' WHERE a >= 1;
SELECT changes(), total_changes(), (SELECT group_concat(x, ' ') FROM (SELECT a || b AS x FROM t ORDER BY a));
UPDATE OR $mode t SET b = b || '2' WHERE a <> 2;
UPDATE OR $mode t SET b = 'z2', c = c + 1 WHERE a > 0;
SELECT changes(), total_changes(), (SELECT group_concat(x, ' ') FROM (SELECT a || b || c AS x FROM t ORDER BY a));
BEGIN;
INSERT INTO t VALUES(20, 'q', 2);
INSERT OR $mode INTO t VALUES(21, 'p', 2), (22, 'y', 2);
COMMIT;
SELECT changes(), total_changes(), (SELECT group_concat(x, ' ') FROM (SELECT a || b AS x FROM t ORDER BY a));"
	done
}

@test "rowid aliases, DEFAULT CURRENT_*, CREATE TABLE AS, DROP COLUMN, DROP [IF EXISTS], DISTINCT FROM, LIMIT o, n" {
	same_script "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c DEFAULT CURRENT_TIMESTAMP, d DEFAULT CURRENT_DATE, e DEFAULT CURRENT_TIME, f);
INSERT INTO t(a, b, f) VALUES(1, 'one', 10), (2, 'two', NULL), (3, 'three', 30);
CREATE TABLE n(k TEXT, v);
INSERT INTO n VALUES('x', 1), ('y', 2);
INSERT INTO n(rowid, k, v) VALUES(7, 'z', 3);
SELECT rowid, oid, _rowid_, a FROM t ORDER BY a;
SELECT rowid, oid, _rowid_, k FROM n ORDER BY _rowid_ DESC;
SELECT typeof(c), c GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]', d GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]', e GLOB '[0-9][0-9]:[0-9][0-9]:[0-9][0-9]' FROM t;
CREATE TABLE u AS SELECT a, b || '!' AS e, f * 2 FROM t WHERE a > 1;
SELECT * FROM u ORDER BY a;
SELECT sql FROM sqlite_master WHERE name = 'u';
ALTER TABLE t DROP COLUMN f;
SELECT sql FROM sqlite_master WHERE name = 't';
SELECT a, b FROM t ORDER BY a LIMIT 1, 2;
SELECT a FROM t ORDER BY a LIMIT -1 OFFSET 1;
SELECT a FROM t ORDER BY a DESC LIMIT 2 OFFSET -1;
CREATE INDEX tb ON t(b);
DROP INDEX IF EXISTS tb;
DROP INDEX IF EXISTS tb;
DROP INDEX tb;
CREATE VIEW v AS SELECT a, b FROM t WHERE a < 3;
SELECT * FROM v ORDER BY a;
DROP VIEW v;
DROP VIEW IF EXISTS v;
DROP VIEW v;
SELECT count(*) FROM sqlite_master WHERE name IN ('tb', 'v');
BEGIN DEFERRED;
SELECT count(*) FROM t;
COMMIT;
ANALYZE;
ANALYZE t;
SELECT a FROM t WHERE a = 2;
SELECT 1 IS DISTINCT FROM NULL, NULL IS NOT DISTINCT FROM NULL, 2 IS DISTINCT FROM 2, 'a' IS NOT DISTINCT FROM 'b', NULL IS DISTINCT FROM NULL;
SELECT * FROM t NATURAL JOIN u ORDER BY a;
SELECT a, e FROM u NATURAL JOIN (SELECT 2 AS a) ORDER BY a;"
}

@test "date and time functions and the core scalar functions on fixed inputs" {
	same_script "SELECT date('2024-02-29', '+1 year'), datetime('2024-01-31', '+1 month'), date('2024-03-10', 'start of month', '+1 month', '-1 day'), date('2024-03-10', 'weekday 0'), date('2024-03-10', 'start of year');
SELECT julianday('2000-01-01 12:00'), unixepoch('2024-06-01 00:00:00'), datetime(1700000000, 'unixepoch'), time('12:34:56', '+90 minutes'), datetime('2024-06-01 10:00', '-30 seconds');
SELECT strftime('%Y|%m|%d|%H|%M|%S|%j|%w|%s|%f|%%', '2024-03-10 13:14:15.678'), strftime('%J', '2024-03-10'), date(2460000.5), datetime('2024-03-10T13:14:15Z');
SELECT date('bogus'), datetime(NULL), julianday('2024-13-01'), typeof(date('now')), length(datetime('now'));
SELECT iif(1 < 2, 'yes', 'no'), iif(NULL, 1, 2), instr('hello', 'l'), instr('hello', ''), instr(X'00FF01', X'FF'), unicode('é'), char(72, 105, 233), nullif(3, 3), nullif(3, 4), ifnull(NULL, 'd'), coalesce(NULL, NULL, 5);
SELECT hex('ab'), hex(X'0aff'), quote('it''s'), quote(X'00ff'), quote(1.5), quote(NULL), length(zeroblob(5)), typeof(zeroblob(0)), substr('abcdef', -3, 2), substr('abcdef', 2), substr(X'010203', 2, 1);
SELECT trim('  a  '), ltrim('xxaxx', 'x'), rtrim('xxaxx', 'x'), trim('--a--', '-'), replace('banana', 'an', 'AN'), round(2.5), round(-2.5), round(1.23456, 3), abs(-7), abs(-7.5), length('héllo'), length(X'0102'), lower('ÀB'), upper('àb');
SELECT printf('%5.2f|%-5d|%x|%s|%q', 3.14159, 42, 255, 'str', 'it''s'), format('%d items', 3), typeof(random()), min(3, 1, 2), max('a', 'b'), typeof(1), typeof(1.0), typeof('1'), typeof(X'01'), typeof(NULL);
SELECT changes(), total_changes(), last_insert_rowid();"
}

@test "the CLI: --header, .import --tsv and --jsonl by flag, a too deep expression, a write lock held past --lock-timeout" {
	run -0 sochdb-sql -d "$D" --format tsv --header -c "SELECT 1 AS a, 'x' AS b"
	[ "$output" = "$(printf 'a\tb\n1\tx')" ]
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "SELECT 1 AS a"
	[ "$output" = "1" ]
	printf 'k\tv\na\t1\nb\\tc\t\\N\n' >"$BATS_TEST_TMPDIR/in.txt"
	printf '{"k":"j","v":2}\n{"k":"l","v":null}\n' >"$BATS_TEST_TMPDIR/in2.txt"
	run -0 sochdb-sql -d "$D" -c ".import --tsv $BATS_TEST_TMPDIR/in.txt tt" \
		-c ".import --jsonl $BATS_TEST_TMPDIR/in2.txt tj" \
		-c ".import --tsv --skip 1 $BATS_TEST_TMPDIR/in.txt tt" \
		--format csv --no-header -c "SELECT k, v, typeof(v) FROM tt" -c "SELECT k, v FROM tj"
	[ "$output" = "$(printf 'a,1,text\n"b\tc",,null\na,1,text\n"b\tc",,null\nj,2\nl,')" ]
	/usr/bin/python3 -c "print('SELECT ' + '(' * 1200 + '1' + ')' * 1200 + ';')" >"$BATS_TEST_TMPDIR/deep.sql"
	run -3 --separate-stderr sochdb-sql -d "$D" "$BATS_TEST_TMPDIR/deep.sql"
	[ "$stderr" = "sochdb-sql: $BATS_TEST_TMPDIR/deep.sql: line 1, column 1007: Expression tree is too large (maximum depth 1000)" ]
	[ -z "$output" ]
	# (sqlite3 says "parser stack overflow" there)
	# a writer holding the lock (its stdin a FIFO kept open): a second
	# writer waits --lock-timeout, then one line and exit 3; a reader runs
	local fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	sochdb-sql -d "$D" <"$fifo" >"$BATS_TEST_TMPDIR/holder.out" 2>&1 &
	local holder=$!
	exec 7>"$fifo"
	echo "BEGIN IMMEDIATE; INSERT INTO tt VALUES('held', 1);" >&7
	local i
	for i in $(seq 1 100); do
		run sochdb-sql -d "$D" --lock-timeout 0 -c "INSERT INTO tj VALUES('probe', 0)"
		[ "$status" -eq 3 ] && break
		sleep 0.1
	done
	run -3 --separate-stderr sochdb-sql -d "$D" --lock-timeout 1 -c "INSERT INTO tj VALUES('late', 3)"
	[[ $stderr == "sochdb-sql: line 1, column 1: database '$D' is busy: write lock held by another process (gave up after 1 s)" ]] || fail "$stderr"
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "SELECT count(*) FROM tt WHERE k = 'held'"
	[ "$output" = "0" ]
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$holder"
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "SELECT count(*) FROM tt WHERE k = 'held'" -c "SELECT count(*) FROM tj WHERE k IN ('late', 'probe')"
	[ "$output" = "$(printf '1\n0')" ]
}

@test "a full disk at COMMIT, a row over the store's value limit, an index key over its key limit: one line, exit 3, nothing half" {
	sochdb-sql -d "$D" -c "CREATE TABLE t(a TEXT PRIMARY KEY, b)" -c "CREATE INDEX tb ON t(b)" -c "INSERT INTO t VALUES('kept', 1)"
	run -3 --separate-stderr env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" \
		-c "BEGIN" -c "INSERT INTO t VALUES('x', 2)" -c "INSERT INTO t VALUES('y', 3)" -c "COMMIT"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "$stderr"
	[[ $stderr == "sochdb-sql: line 1, column 1: cannot write '$D/wal-"*".log': No space left on device" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-sql -d "$D" -c "INSERT INTO t VALUES('big', zeroblob(17000000))"
	[ "$stderr" = "sochdb-sql: line 1, column 1: row too big: 17000011 bytes (the store's limit is 16777216)" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-sql -d "$D" -c "INSERT INTO t VALUES('long', hex(zeroblob(2500)))"
	[ "$stderr" = "sochdb-sql: line 1, column 1: index key too long: 5011 bytes for tb (the store's limit is 4096)" ] || fail "$stderr"
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "SELECT a, b FROM t ORDER BY a"
	[ "$output" = "kept,1" ]
	run -0 sochdb-wal -d "$D" verify
}
