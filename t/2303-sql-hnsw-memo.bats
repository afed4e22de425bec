#!/usr/bin/env bats
# 2303-sql-hnsw-memo: the per-connection memo of a filter's answers by
# node (kept while the same filter -- its expression, constants and bound
# parameters -- comes again on the same snapshot): every row a filtered
# k-NN returns passes its own filter, and exactly min(k, matching) come
# back, when one connection alternates filters, changes a parameter's
# value, writes in between, or reads another connection's commit; the
# SQ8 search copy CREATE INDEX writes; ACORN (cached columns, >= 5%) and
# the walk tested when taken give the brute-force answer on a small table.

load test_helper
load helpers/knn

setup_file() {
	[ -x "$BUILD/bin/sochdb-sql" ] || return 0
	F=$BATS_FILE_TMPDIR
	# 3,000 rows of 8 dimensions, c = id % 100, a copy without an index
	knn_rows 3000 2303 >"$F/rows.csv"
	knn_db "$F/rows.csv" -c "CREATE TABLE u(id INTEGER PRIMARY KEY, c INTEGER, v VECTOR(8))" \
		-c "INSERT INTO u SELECT * FROM t"
	# query vectors
	knn_vectors 12 7 >"$F/q.txt"
}

setup() {
	knn_setup
}

# script TABLE WHERE: knn_script's statements
script() {
	knn_script "$1" "$2"
}

# passes FILE AWK-COND COUNT: every row (id, c) satisfies the condition on
# c and every statement returned COUNT rows
passes() {
	awk -F'\t' -v want="$3" '
		$1 == "END" { if (n != want) { print "statement " s ": " n " rows, not " want; bad = 1 } s++; n = 0; next }
		{ n++; c = $2; if (!('"$2"')) { print "row " $0 " fails"; bad = 1 } }
		END { exit bad }' "$1"
}

@test "CREATE INDEX writes the SQ8 search copy; the graph answers agree with brute force (unfiltered, ACORN at 30%, the walk at 2%)" {
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM t"
	assert_output 3000
	# the file holds float32 rows + 16 code bytes a row + the graph
	size=$(stat -c %s "$D"/sql-vec/*.hnsw)
	[ "$size" -gt $((3000 * 8 * 4 + 3000 * 16)) ] || fail "index file of $size bytes: no search copy?"
	run -0 sochdb-bulk info --index "$D"/sql-vec/*.hnsw
	assert_line "search_precision: sq8"
	for w in "1 = 1" "c < 30" "c < 2"; do
		{ echo "PRAGMA hnsw_ef_search = 200;"; echo "PRAGMA hnsw_exact_rows = 0;"; script t "$w"; } |
			sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/g.out" || fail "graph: $w"
		script u "$w" | sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/x.out" || fail "exact: $w"
		run diff "$BATS_TEST_TMPDIR/g.out" "$BATS_TEST_TMPDIR/x.out"
		[ "$status" -eq 0 ] || fail "WHERE $w: graph and brute force differ: $output"
	done
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_exact_rows = 0" \
		-c "EXPLAIN QUERY PLAN SELECT id FROM t WHERE c < 30 ORDER BY vec_distance_l2(v, '[0,0,0,0,0,0,0,0]') LIMIT 10"
	assert_output --partial "USING HNSW INDEX tv (filtered"
}

@test "one connection alternating filters: every row passes its own filter, k rows each time" {
	{ for r in 1 2; do script t "c < 30"; script t "c >= 30"; script t "c % 7 = 3"; script t "c < 30"; done; } |
		sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/a.out"
	# split by filter: statements 0-11 c < 30, 12-23 c >= 30, 24-35 c % 7 = 3, ...
	awk -F'\t' '{ print > ("'"$BATS_TEST_TMPDIR"'/f" int(s / 12) % 4) } $1 == "END" { s++ }' "$BATS_TEST_TMPDIR/a.out"
	passes "$BATS_TEST_TMPDIR/f0" "c < 30" 10
	passes "$BATS_TEST_TMPDIR/f1" "c >= 30" 10
	passes "$BATS_TEST_TMPDIR/f2" "c % 7 == 3" 10
	passes "$BATS_TEST_TMPDIR/f3" "c < 30" 10
}

@test "a bound parameter's new value is a new filter; a write in between and another connection's commit are seen" {
	q=$(head -n 1 "$F/q.txt")
	sel="SELECT id, c FROM t WHERE c < :lim ORDER BY vec_distance_l2(v, '$q') LIMIT 10; SELECT 'END';"
	{
		echo ".parameter set :lim 50"; echo "$sel"; echo "$sel"
		echo ".parameter set :lim 5"; echo "$sel"; echo "$sel"
		echo ".parameter set :lim 50"; echo "$sel"
	} | sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/p.out"
	awk -F'\t' '{ print > ("'"$BATS_TEST_TMPDIR"'/" (s == 2 || s == 3 ? "p5" : "p50")) } $1 == "END" { s++ }' "$BATS_TEST_TMPDIR/p.out"
	passes "$BATS_TEST_TMPDIR/p5" "c < 5" 10
	passes "$BATS_TEST_TMPDIR/p50" "c < 50" 10
	# the same filter text before and after an UPDATE that moves c
	{ echo "$sel" | sed 's/:lim/30/'; echo "UPDATE t SET c = c + 50 WHERE id % 2 = 0;"; echo "$sel" | sed 's/:lim/30/'; } |
		sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/w.out"
	passes "$BATS_TEST_TMPDIR/w.out" "c < 30" 10
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM t WHERE c < 30"
	assert_output 450
	# another connection commits between two statements of this one: a
	# fifo keeps this one open while the other writes
	mkfifo "$BATS_TEST_TMPDIR/in"
	sochdb-sql -d "$D" --no-header <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/o.out" &
	pid=$!
	exec 7>"$BATS_TEST_TMPDIR/in"
	echo "$sel" | sed 's/:lim/30/' >&7
	for i in $(seq 50); do grep -q END "$BATS_TEST_TMPDIR/o.out" && break; sleep 0.1; done
	run -0 sochdb-sql -d "$D" -c "UPDATE t SET c = 99 WHERE c < 30 AND id % 3 = 0"
	echo "$sel" | sed 's/:lim/30/' >&7
	exec 7>&-
	wait $pid
	passes "$BATS_TEST_TMPDIR/o.out" "c < 30" 10
	# the second statement saw the commit: none of its rows has id % 3 = 0
	run -0 awk -F'\t' '$1 == "END" { s++; next } s == 1 && $1 % 3 == 0 { print "stale row " $0 }' "$BATS_TEST_TMPDIR/o.out"
	assert_output ""
}
