#!/usr/bin/env bats
# 2323-sql-fts-txn: FTS5 postings written through transactions (the
# pending postings of lib/sql/fts_pend.c flushed as posting blocks): read
# your own writes inside BEGIN, a failed statement inside BEGIN (also one
# that read the index first), SAVEPOINT / ROLLBACK TO, UPDATE OR IGNORE's
# per-row rollback, blocks split, merged and emptied by churn - every
# script run by sqlite3 (its FTS5) and by sochdb-sql, the same output.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

# Runs SCRIPT (stdin of both, so a failed statement does not stop it) in
# sqlite3 and in sochdb-sql, then QUERY in a second sochdb-sql process.
same_script() { # SCRIPT QUERY
	local want got
	want=$(printf '%s\n%s\n' "$1" "$2" | sqlite3 -batch -separator "$(printf '\t')" -nullvalue '\N' :memory: 2>/dev/null) || true
	rm -rf "$D"
	run --separate-stderr sochdb-sql -d "$D" --no-header <<<"$1"
	[ "$status" -le 3 ]
	got=$output
	run -0 sochdb-sql -d "$D" --no-header -c "$2"
	[ -z "$got" ] || output=$got$'\n'$output
	assert_equal "$output" "$want"
}

@test "inside BEGIN a MATCH sees the transaction's own rows; COMMIT keeps them" {
	same_script "CREATE VIRTUAL TABLE f USING fts5(a, b);
BEGIN;
INSERT INTO f VALUES('alpha beta', 'gamma');
INSERT INTO f VALUES('beta', 'beta delta');
SELECT rowid, printf('%.12g', rank) FROM f WHERE f MATCH 'beta' ORDER BY rank;
INSERT INTO f VALUES('beta gamma', 'epsilon');
DELETE FROM f WHERE rowid = 1;
SELECT rowid FROM f WHERE f MATCH 'beta OR gamma' ORDER BY rowid;
COMMIT;" "SELECT rowid, printf('%.12g', bm25(f)) FROM f WHERE f MATCH 'beta OR gamma OR alpha' ORDER BY rowid;"
}

@test "a failed statement inside BEGIN leaves the earlier ones' postings, and none of its own" {
	same_script "CREATE VIRTUAL TABLE f USING fts5(a);
BEGIN;
INSERT INTO f(rowid, a) VALUES(1, 'one shared');
INSERT INTO f(rowid, a) VALUES(2, 'two shared');
INSERT INTO f(rowid, a) SELECT 3, 'three shared' UNION ALL SELECT 1, 'clash shared';
INSERT INTO f(rowid, a) VALUES(4, 'four shared');
COMMIT;" "SELECT rowid, a FROM f WHERE f MATCH 'shared OR three OR clash' ORDER BY rowid; SELECT count(*) FROM f WHERE f MATCH 'three';"
}

@test "a statement that reads the index, writes and then fails is rolled back whole" {
	same_script "CREATE VIRTUAL TABLE f USING fts5(a);
BEGIN;
INSERT INTO f(rowid, a) VALUES(1, 'red apple');
INSERT INTO f(rowid, a) VALUES(2, 'green apple');
INSERT INTO f(rowid, a) SELECT rowid + 10, 'copy ' || a FROM f WHERE f MATCH 'apple' UNION ALL SELECT 2, 'boom';
INSERT INTO f(rowid, a) SELECT rowid + 20, 'again ' || a FROM f WHERE f MATCH 'green';
COMMIT;" "SELECT rowid, a FROM f WHERE f MATCH 'apple OR copy OR boom' ORDER BY rowid;"
}

@test "SAVEPOINT and ROLLBACK TO drop the postings written after the savepoint" {
	same_script "CREATE VIRTUAL TABLE f USING fts5(a);
BEGIN;
INSERT INTO f VALUES('kept word');
SAVEPOINT s1;
INSERT INTO f VALUES('dropped word');
SELECT count(*) FROM f WHERE f MATCH 'word';
ROLLBACK TO s1;
INSERT INTO f VALUES('later word');
SAVEPOINT s2;
INSERT INTO f VALUES('also kept word');
RELEASE s2;
COMMIT;" "SELECT rowid, a FROM f WHERE f MATCH 'word' ORDER BY rowid; SELECT count(*) FROM f WHERE f MATCH 'dropped';"
}

@test "UPDATE OR IGNORE that hits a taken rowid keeps the row's old postings" {
	# (SQLite's FTS5 has no OR IGNORE for its rows: the expected rows are
	# an ordinary table's)
	rm -rf "$D"
	run -0 sochdb-sql -d "$D" -c "CREATE VIRTUAL TABLE f USING fts5(a);
INSERT INTO f(rowid, a) VALUES(1, 'first text'), (2, 'second text'), (3, 'third text');
BEGIN;
UPDATE OR IGNORE f SET rowid = rowid + 1, a = 'moved ' || a;
COMMIT;"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT rowid, a FROM f WHERE f MATCH 'text' ORDER BY rowid;
SELECT group_concat(rowid) FROM f WHERE f MATCH 'first OR second OR moved';
SELECT count(*) FROM f WHERE f MATCH 'third NOT moved';"
	assert_output "1	first text
2	second text
4	moved third text
1,2,4
0"
}

@test "churn over many blocks: inserts out of order, updates and deletes, one transaction and many" {
	local s="CREATE VIRTUAL TABLE f USING fts5(a); BEGIN;" i
	for i in $(seq 1 700); do
		s+="INSERT INTO f(rowid, a) VALUES($(( (i * 389) % 1009 )), 'common w$((i % 7)) x$((i % 13)) common');"
	done
	s+="COMMIT;"
	for i in $(seq 1 60); do
		s+="UPDATE f SET a = 'changed w$((i % 3))' WHERE rowid = $(( (i * 17) % 1009 ));"
		s+="DELETE FROM f WHERE rowid = $(( (i * 31) % 1009 ));"
		s+="INSERT INTO f(rowid, a) VALUES($((2000 + i)), 'common late w1');"
	done
	s+="BEGIN; DELETE FROM f WHERE rowid < 300; COMMIT;"
	same_script "$s" "SELECT count(*), sum(rowid) FROM f WHERE f MATCH 'common';
SELECT rowid, printf('%.12g', rank) FROM f WHERE f MATCH 'w1 OR changed' ORDER BY rank, rowid LIMIT 20;
SELECT count(*) FROM f WHERE f MATCH 'x5 AND common';"
}

@test "past the pending limit: long loads write full blocks as they go, the rest stays pending (BEGIN, autocommit, SAVEPOINT, ROLLBACK)" {
	# a tiny limit (the test hook of lib/sql/fts_pend.c): dozens of flushes
	export SDB_FTS_PEND_LIMIT=3000
	local s="CREATE VIRTUAL TABLE f USING fts5(a, b); CREATE TABLE src(a, b); BEGIN;" i
	for i in $(seq 1 1200); do
		s+="INSERT INTO f(rowid, a, b) VALUES($i, 'common w$((i % 7)) x$((i % 131))', 'body y$((i % 3)) common');"
	done
	for i in $(seq 1 80); do
		s+="INSERT INTO f(rowid, a, b) VALUES($(( 5000 - i * 37 )), 'late w$((i % 5))', 'common');"
		s+="DELETE FROM f WHERE rowid = $(( i * 13 ));"
	done
	s+="COMMIT; BEGIN;"
	for i in $(seq 1201 1700); do
		s+="INSERT INTO f(rowid, a, b) VALUES($i, 'common w$((i % 7))', 'more x$((i % 131))');"
		[ $i = 1500 ] && s+="SAVEPOINT p;"
	done
	s+="ROLLBACK TO p; RELEASE p; COMMIT; BEGIN;"
	for i in $(seq 1 300); do
		s+="INSERT INTO f(rowid, a, b) VALUES($((9000 + i)), 'gone w1', 'common');"
	done
	s+="ROLLBACK;"
	for i in $(seq 1 900); do
		s+="INSERT INTO src VALUES('copy w$((i % 7)) z$((i % 211))', 'common');"
	done
	s+="INSERT INTO f(a, b) SELECT a, b FROM src;"
	same_script "$s" "SELECT count(*), sum(rowid) FROM f WHERE f MATCH 'common';
SELECT count(*), sum(rowid) FROM f WHERE f MATCH 'gone OR late OR copy';
SELECT rowid, printf('%.12g', rank) FROM f WHERE f MATCH 'w1 OR x5 OR z7' ORDER BY rank, rowid LIMIT 25;
SELECT rowid, printf('%.12g', bm25(f)) FROM f WHERE f MATCH 'w3 AND b:y1' ORDER BY rank, rowid LIMIT 25;
SELECT count(*) FROM f WHERE f MATCH '(x5 AND common) NOT w5';"
}
