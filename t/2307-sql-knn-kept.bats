#!/usr/bin/env bats
# 2307-sql-knn-kept: a connection keeps its last k-NN statement of literal
# text (ORDER BY vec_distance_*(col, '[...]') LIMIT k, no parameters) and
# hands it out again for the same text around another vector literal,
# with that literal bound in place of a fresh parse and plan. It must
# answer exactly as a statement prepared anew: a script of k-NN queries
# mixed with bad vectors, other LIMITs, EXPLAIN, DROP/CREATE INDEX, ALTER
# TABLE RENAME COLUMN, PRAGMAs, filters and aliased distances gives, in one
# connection, the rows and errors each statement gives alone in a process
# of its own; another process's schema change between two of them is seen.

load test_helper
load helpers/knn

setup_file() {
	[ -x "$BUILD/bin/sochdb-sql" ] || return 0
	F=$BATS_FILE_TMPDIR
	knn_rows 2000 2307 >"$F/rows.csv"
	knn_db "$F/rows.csv" -c "CREATE INDEX tc ON t(c)"
	knn_vectors 20 5 >"$F/q.txt"
}

setup() {
	knn_setup
	export OMP_NUM_THREADS=1
}

# the script: one statement a line, the query vectors of $F/q.txt by number
script() {
	q() { sed -n "${1}p" "$F/q.txt"; }
	cat <<-SQL
	PRAGMA hnsw_ef_search = 64;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 1)') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 2)') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,2,3]') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 3)') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, 'not a vector') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,2,3,4,5,6,7,NaN]') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 4)') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 5)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 5)') LIMIT 60000;
	EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 6)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 6)') LIMIT 6;
	DROP INDEX tv;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 7)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 8)') LIMIT 6;
	CREATE INDEX tv ON t USING hnsw (v) WITH (metric = 'l2', m = 16, ef_construction = 100);
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 9)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 10)') LIMIT 6;
	ALTER TABLE t RENAME COLUMN v TO w;
	SELECT id FROM t ORDER BY vec_distance_l2(v, '$(q 11)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_l2(w, '$(q 11)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_l2(w, '$(q 12)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_cosine(w, '$(q 13)') LIMIT 6;
	SELECT id FROM t ORDER BY vec_distance_cosine(w, '$(q 12)') LIMIT 6;
	SELECT id, vec_distance_l2(w, '$(q 13)') AS d FROM t ORDER BY d LIMIT 3;
	SELECT id, vec_distance_l2(w, '$(q 14)') AS d FROM t ORDER BY d LIMIT 3;
	SELECT id, vec_distance_l2(w, '$(q 14)') FROM t ORDER BY vec_distance_l2(w, '$(q 14)') LIMIT 3;
	SELECT id, vec_distance_l2(w, '$(q 15)') FROM t ORDER BY vec_distance_l2(w, '$(q 15)') LIMIT 3;
	SELECT id, c FROM t WHERE c < 30 ORDER BY vec_distance_l2(w, '$(q 15)') LIMIT 5;
	SELECT id, c FROM t WHERE c < 30 ORDER BY vec_distance_l2(w, '$(q 16)') LIMIT 5;
	SELECT id, c FROM t WHERE c < 30 ORDER BY vec_distance_l2(w, '$(q 16)') DESC LIMIT 5;
	SELECT id, c FROM t WHERE c < 30 ORDER BY vec_distance_l2(w, '$(q 17)') DESC LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(w, 'it''s') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(w, '$(q 17)') LIMIT 5;
	UPDATE t SET c = 99 WHERE id % 2 = 0;
	SELECT id, c FROM t WHERE c < 30 ORDER BY vec_distance_l2(w, '$(q 18)') LIMIT 5;
	SELECT id, c FROM t WHERE c < 30 ORDER BY vec_distance_l2(w, '$(q 19)') LIMIT 5;
	PRAGMA hnsw_ef_search = 8;
	SELECT id FROM t ORDER BY vec_distance_l2(w, '$(q 18)') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(w, '$(q 19)') LIMIT 5;
	SELECT id FROM t ORDER BY vec_distance_l2(w, '$(q 20)') LIMIT 5
	SQL
}

@test "a script in one connection answers as each statement alone in its own process" {
	script >"$BATS_TEST_TMPDIR/s.sql"
	cp -r "$D" "$D.alone"
	# one connection: the rows of each statement, 'END' after each
	sed 's/;$//; s/$/;\nSELECT '\''END'\'';/' "$BATS_TEST_TMPDIR/s.sql" >"$BATS_TEST_TMPDIR/e.sql"
	sochdb-sql -d "$D" --no-header "$BATS_TEST_TMPDIR/e.sql" >"$BATS_TEST_TMPDIR/one.out" \
		2>"$BATS_TEST_TMPDIR/one.err" && fail "the script's errors did not fail it"
	# each statement in a process of its own (a PRAGMA holds for its
	# connection only: given again before every statement after it)
	pragma=
	while IFS= read -r line; do
		case $line in
		PRAGMA*) pragma=${line%;} ;;
		*) sochdb-sql -d "$D.alone" --no-header ${pragma:+-c "$pragma"} -c "${line%;}" \
			>>"$BATS_TEST_TMPDIR/alone.out" 2>>"$BATS_TEST_TMPDIR/alone.err" || true ;;
		esac
		echo END >>"$BATS_TEST_TMPDIR/alone.out"
	done <"$BATS_TEST_TMPDIR/s.sql"
	run diff "$BATS_TEST_TMPDIR/one.out" "$BATS_TEST_TMPDIR/alone.out"
	[ "$status" -eq 0 ] || fail "rows differ: $output"
	norm() { sed 's/^.*line [0-9]*, column [0-9]*: //; s/^sochdb-sql: //' "$1"; }
	run diff <(norm "$BATS_TEST_TMPDIR/one.err") <(norm "$BATS_TEST_TMPDIR/alone.err")
	[ "$status" -eq 0 ] || fail "errors differ: $output"
	# the errors it meets: three malformed literals, a wrong dimension,
	# LIMIT above the cap, a renamed column, a quote in the literal
	run -0 grep -c . "$BATS_TEST_TMPDIR/one.err"
	assert_output 7
	run -0 grep -c "no such column: v" "$BATS_TEST_TMPDIR/one.err"
	assert_output 1
}

@test "another process's schema change between two statements of the same shape is seen" {
	q1=$(sed -n 1p "$F/q.txt") q2=$(sed -n 2p "$F/q.txt") q3=$(sed -n 3p "$F/q.txt")
	sel() { echo "SELECT id FROM t ORDER BY vec_distance_l2(v, '$1') LIMIT 3; SELECT 'END';"; }
	mkfifo "$BATS_TEST_TMPDIR/in"
	sochdb-sql -d "$D" --no-header <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/o.out" 2>"$BATS_TEST_TMPDIR/o.err" &
	pid=$!
	exec 7>"$BATS_TEST_TMPDIR/in"
	sel "$q1" >&7
	for i in $(seq 50); do grep -q END "$BATS_TEST_TMPDIR/o.out" && break; sleep 0.1; done
	run -0 sochdb-sql -d "$D" -c "ALTER TABLE t RENAME COLUMN v TO w"
	sel "$q2" >&7
	for i in $(seq 50); do [ "$(grep -c END "$BATS_TEST_TMPDIR/o.out")" -ge 2 ] && break; sleep 0.1; done
	run -0 sochdb-sql -d "$D" -c "ALTER TABLE t RENAME COLUMN w TO v" -c "DROP INDEX tv"
	sel "$q3" >&7
	exec 7>&-
	wait $pid || true
	run -0 cat "$BATS_TEST_TMPDIR/o.err"
	assert_output --partial "no such column: v"
	# the third: the exact scan's answer (no index now), as a process of its own gives it
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id FROM t ORDER BY vec_distance_l2(v, '$q3') LIMIT 3"
	want=$output
	run -0 awk '$1 == "END" { s++; next } s == 2' "$BATS_TEST_TMPDIR/o.out"
	assert_output "$want"
}
