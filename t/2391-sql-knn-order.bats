#!/usr/bin/env bats
# 2391-sql-knn-order: a k-NN query the HNSW index answers gives its rows
# in ORDER BY order -- ascending distance, ties by rowid -- with LIMIT and
# OFFSET applied as a sort would, whether the rows come from the mapped
# base, the delta written since the build, or after tombstones; the l2
# index's rows stream without a sort (their distances are the SQL
# function's own), ip and cosine are sorted. Checked against the same
# query forced through a real sort and against the exact scan.

load test_helper

setup() {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

# rows N DUPS: N rows "(id, g, '[a,b,c,d]')" -- small integer coordinates
# with many repeated vectors when DUPS is 1 (ties), spread-out values else
rows() {
	awk -v n="$1" -v dups="$2" 'BEGIN {
		s = 12345
		for (i = 1; i <= n; i++) {
			v = ""
			for (j = 0; j < 4; j++) {
				s = (s * 1103515245 + 12345) % 2147483648
				x = dups ? int(s / 65536) % 4 : (s / 2147483648) * 10 - 5
				v = v (j ? "," : "") x
			}
			printf "%s(%d, %d, '\''[%s]'\'')", (i > 1 ? ", " : ""), i, i % 7, v
		}
	}'
}

# fill METRIC DUPS: table t with an hnsw index, then a delta (inserts and
# vector updates after the build) and tombstones (deletes)
fill() {
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, g INTEGER, v VECTOR(4))" \
		-c "INSERT INTO t VALUES $(rows 300 "$2")" \
		-c "CREATE INDEX tv ON t USING hnsw (v) WITH (metric = '$1', m = 8, ef_construction = 64)" \
		-c "INSERT INTO t SELECT id + 1000, g, v FROM t WHERE id % 9 = 0" \
		-c "UPDATE t SET v = vector('[1,2,3,1]') WHERE id % 17 = 0" \
		-c "DELETE FROM t WHERE id % 13 = 0"
}

# q FN QVEC TAIL: SQL of a k-NN query through FN with ORDER BY d TAIL
q() {
	echo "SELECT id, g, $1(v, '$2') AS d FROM t ORDER BY d $3"
}

@test "l2 k-NN through the index: rows in (distance, rowid) order with LIMIT/OFFSET, no sort in the plan" {
	fill l2 1
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN $(q vec_distance_l2 '[1,2,1,0]' 'LIMIT 10')"
	assert_output --partial "USING HNSW INDEX tv"
	refute_output --partial "TEMP B-TREE"
	for qv in '[1,2,1,0]' '[0,0,0,0]' '[3,3,3,3]' '[1,2,3,1]'; do
		for tail in "LIMIT 10" "LIMIT 7 OFFSET 5" "LIMIT 1 OFFSET 40" "LIMIT 60"; do
			local a b n
			run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 400" -c "$(q vec_distance_l2 "$qv" "$tail")"
			a=$output
			# the same rows through a real sort on (d, id)
			lim=${tail#LIMIT }; lim=${lim%% *}
			off=0; [[ $tail = *OFFSET* ]] && off=${tail##* }
			run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 400" \
				-c "SELECT * FROM ($(q vec_distance_l2 "$qv" "LIMIT $((lim + off))")) ORDER BY d, id LIMIT $lim OFFSET $off"
			b=$output
			[ "$a" = "$b" ] || fail "$qv $tail: $(diff <(echo "$b") <(echo "$a") | head)"
			n=$(grep -c . <<<"$a" || true)
			[ "$n" -eq "$lim" ] || fail "$qv $tail: $n rows"
		done
	done
}

@test "l2 k-NN through the index equals the exact scan's answer (a graph searched with ef above the row count)" {
	fill l2 0
	for qv in '[0.5,-1,2,0]' '[4,4,-4,-4]' '[0,0,0,0]' '[1,2,3,1]'; do
		run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 1000" -c "$(q vec_distance_l2 "$qv" 'LIMIT 12 OFFSET 2')"
		a=$output
		# d + 0: no index matches the expression, so the scan answers
		run -0 sochdb-sql -d "$D" --no-header \
			-c "SELECT id, g, vec_distance_l2(v, '$qv') AS d FROM t ORDER BY d + 0, id LIMIT 12 OFFSET 2"
		[ "$a" = "$output" ] || fail "$qv: $(diff <(echo "$output") <(echo "$a") | head)"
	done
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY vec_distance_l2(v, '[0,0,0,0]') + 0 LIMIT 3"
	assert_output --partial "TEMP B-TREE"
}

@test "a filter, a covered and an uncovered column list, a correlated outer query: still in order" {
	fill l2 1
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 400" \
		-c "SELECT id, vec_distance_l2(v, '[2,1,0,3]') AS d FROM t WHERE g = 3 ORDER BY d LIMIT 15"
	a=$output
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 400" \
		-c "SELECT id, vec_distance_l2(v, '[2,1,0,3]') AS d FROM t WHERE g + 0 = 3 ORDER BY d + 0, id LIMIT 15"
	[ "$a" = "$output" ] || fail "$(diff <(echo "$output") <(echo "$a") | head)"
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 400" \
		-c "SELECT id FROM t ORDER BY vec_distance_l2(v, '[2,1,0,3]') LIMIT 15"
	[ "$(sed 's/|.*//' <<<"$a" | head -3)" != "" ] || fail "no rows"
	# each outer row: its own k-NN through the index, in order
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 400" \
		-c "SELECT o.id, (SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY vec_distance_l2(v, o.v) LIMIT 4)) FROM t o WHERE o.id IN (1, 2, 3)"
	b=$output
	run -0 sochdb-sql -d "$D" --no-header \
		-c "SELECT o.id, (SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY vec_distance_l2(v, o.v) + 0, id LIMIT 4)) FROM t o WHERE o.id IN (1, 2, 3)"
	[ "$b" = "$output" ] || fail "$(diff <(echo "$output") <(echo "$b") | head)"
}

@test "ip and cosine k-NN through the index are sorted by the SQL distance" {
	for m in ip cosine; do
		rm -rf "$D"
		fill "$m" 0
		for qv in '[0.5,-1,2,0]' '[4,4,-4,-4]'; do
			run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA hnsw_ef_search = 1000" -c "$(q "vec_distance_$m" "$qv" 'LIMIT 12 OFFSET 2')"
			a=$output
			run -0 sochdb-sql -d "$D" --no-header \
				-c "SELECT id, g, vec_distance_$m(v, '$qv') AS d FROM t ORDER BY d + 0, id LIMIT 12 OFFSET 2"
			[ "$a" = "$output" ] || fail "$m $qv: $(diff <(echo "$output") <(echo "$a") | head)"
		done
	done
}

@test "a long session's k-NN sees another process's REINDEX and inserts between its statements" {
	fill l2 0
	mkfifo "$BATS_TEST_TMPDIR/in"
	sochdb-sql -d "$D" --no-header <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	exec 7>"$BATS_TEST_TMPDIR/in"
	local qq="SELECT id FROM t ORDER BY vec_distance_l2(v, '[9,9,9,9]') LIMIT 2;"
	echo "$qq" >&7
	echo "$qq" >&7
	echo "SELECT 'mark1';" >&7
	for _ in $(seq 100); do grep -q mark1 "$BATS_TEST_TMPDIR/out" && break; sleep 0.05; done
	# another process folds the index into a new generation, then adds
	# two rows nearest the query (in the new delta)
	run -0 sochdb-sql -d "$D" -c "REINDEX tv" -c "INSERT INTO t(id, g, v) VALUES (5001, 0, '[9,9,9,9]'), (5002, 0, '[9,9,9,8.5]')"
	echo "$qq" >&7
	# the rows whose vectors were updated before the fold: in the old
	# generation's delta, in the new one's base
	echo "SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,2,3,1]') LIMIT 3;" >&7
	exec 7>&-
	wait "$pid"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,2,3,1]') + 0, id LIMIT 3"
	local upd=$output
	[ "$(tr '\n' ' ' <<<"$upd")" = "17 34 51 " ] || fail "exact: $upd"
	run cat "$BATS_TEST_TMPDIR/out"
	[ "$(sed -n 6,10p <<<"$output" | tr '\n' ' ')" = "5001 5002 $(tr '\n' ' ' <<<"$upd")" ] || fail "$output"
}
