#!/usr/bin/env bats
# 2304-sql-stmt-fresh: which commits a statement of sochdb-sql sees. The
# shell prepares and steps each statement at once (sql_prepare_now: one
# look at the files per statement); every statement still sees every
# commit made before it starts -- a one-shot -c, and each statement of a
# script read from a pipe while other processes commit between them
# (counts and a k-NN through an HNSW index). The library side (a
# statement prepared, another process commits, then stepped: it sees the
# commit) is t/unit/test_sql_fresh.c, run here too.

load test_helper

setup() {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

@test "a prepared statement stepped after another process's commit sees it (library)" {
	[ -x "$BUILD/t/unit/test_sql_fresh" ] || skip "unit tests not built"
	run -0 "$BUILD/t/unit/test_sql_fresh"
	assert_output --partial "0 failed"
}

@test "one-shot statements see every commit made before they start" {
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"
	for r in 1 2 3 4 5; do
		run -0 sochdb-sql -d "$D" -c "INSERT INTO t(v) VALUES ($r)"
		run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*), sum(v) FROM t"
		assert_output "$r	$((r * (r + 1) / 2))"
	done
}

@test "k-NN statements of a script see the commits made before them" {
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, e VECTOR(2))" \
		-c "INSERT INTO t(e) VALUES (vector('[10, 10]')), (vector('[20, 20]')), (vector('[30, 30]'))" \
		-c "CREATE INDEX te ON t USING hnsw (e) WITH (metric = 'l2')"
	q="SELECT id FROM t ORDER BY vec_distance_l2(e, vector('[0, 0]')) LIMIT 1;"
	for r in 1 2 3; do
		# another process commits a row nearer to the query each time
		run -0 sochdb-sql -d "$D" -c "INSERT INTO t(id, e) VALUES ($((100 + r)), vector('[$((5 - r)), $((5 - r))]'))"
		# a script from stdin: its own commit between two k-NN statements
		run -0 sochdb-sql -d "$D" --no-header <<-EOF
			SELECT count(*) FROM t;
			$q
			INSERT INTO t(id, e) VALUES ($((200 + r)), vector('[0.$r, 0.$r]'));
			$q
			DELETE FROM t WHERE id = $((200 + r));
			$q
		EOF
		assert_output "$((3 + r))
$((100 + r))
$((200 + r))
$((100 + r))"
	done
}
