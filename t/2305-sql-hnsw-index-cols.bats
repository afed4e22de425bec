#!/usr/bin/env bats
# 2305-sql-hnsw-index-cols: the filter columns a filtered k-NN caches by
# node are read from a b-tree index that holds them (not from the rows,
# which hold the vectors), and a range's sorted column comes from the
# index's order. Both paths must give what brute force gives on a copy
# without indexes: integer, mixed INTEGER/REAL, NULL and TEXT values, a
# DESC index and a NOCASE one (neither used for the order / the values),
# the INTEGER PRIMARY KEY, rows since the base (the delta), updated and
# deleted rows.

load test_helper
load helpers/knn

setup_file() {
	[ -x "$BUILD/bin/sochdb-sql" ] || return 0
	F=$BATS_FILE_TMPDIR
	# 3,000 rows of 8 dimensions: c = id % 100 (some REAL, some NULL),
	# s a word, g = id % 10 (a DESC index), h a NOCASE text
	awk 'BEGIN { srand(2305); for (i = 1; i <= 3000; i++) {
		c = i % 100; if (i % 37 == 0) c = c + 0.5; if (i % 41 == 0) c = ""
		printf "%d,%s,w%d,%d,%s,\"[", i, c, i % 20, i % 10, (i % 2 ? "Ab" : "aB")
		for (j = 0; j < 8; j++) printf "%s%.4f", j ? "," : "", rand() * 2 - 1
		printf "]\"\n" } }' >"$F/rows.csv"
	# one build thread: the same graph every run (the graph answers are
	# compared with brute force row for row)
	OMP_NUM_THREADS=1 "$BUILD/bin/sochdb-sql" -d "$F/db" \
		-c "CREATE TABLE t(id INTEGER PRIMARY KEY, c NUMERIC, s TEXT, g INTEGER, h TEXT, v VECTOR(8))" \
		-c "CREATE TABLE u(id INTEGER PRIMARY KEY, c NUMERIC, s TEXT, g INTEGER, h TEXT, v VECTOR(8))" \
		-c ".import --csv $F/rows.csv t" \
		-c "UPDATE t SET c = NULL WHERE c = ''" \
		-c "INSERT INTO u SELECT * FROM t" \
		-c "CREATE INDEX tc ON t(c)" -c "CREATE INDEX ts ON t(s, c)" \
		-c "CREATE INDEX tg ON t(g DESC)" -c "CREATE INDEX th ON t(h COLLATE NOCASE)" \
		-c "CREATE INDEX tv ON t USING hnsw (v) WITH (metric = 'l2', m = 16, ef_construction = 100)" >/dev/null
	knn_vectors 8 5 >"$F/q.txt"
}

setup() {
	knn_setup
}

# script TABLE WHERE: knn_script's statements (id, c, s)
script() {
	knn_script "$1" "$2" "id, c, s"
}

# agree MODE PRAGMAS: every filter's answers on t (graph or exact path
# inside the index, PRAGMAS first) against u's brute force, one
# connection each: MODE exact, the same lines; MODE walk, the same number
# of rows per statement and recall >= 0.95 (the graph is approximate, and
# its build multi-threaded)
agree() {
	local w
	for w in "c < 30" "c < 2" "c >= 20.5 AND c <= 40" "c IS NULL" "c IS NOT NULL AND id < 900" \
		"s = 'w3'" "s = 'w3' AND c > 10" "g = 4" "g >= 8" "h = 'Ab'" "id < 300" "id % 5 = 1"; do
		{ echo "$2"; script t "$w"; } | sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/g.out" ||
			fail "index: $w"
		script u "$w" | sochdb-sql -d "$D" --no-header >"$BATS_TEST_TMPDIR/x.out" || fail "exact: $w"
		if [ "$1" = exact ]; then
			run diff "$BATS_TEST_TMPDIR/g.out" "$BATS_TEST_TMPDIR/x.out"
		else
			run awk -F'\t' 'FNR == 1 { f++; s = 0 } $1 == "END" { s++; next }
				f == 1 { n1[s]++; in1[s, $0] = 1; next }
				{ n2[s]++; tot++; if ((s, $0) in in1) hit++ }
				END { for (i in n2) if (n1[i] != n2[i]) { print "statement " i ": " n1[i] " rows, not " n2[i]; exit 1 }
				      if (hit < 0.95 * tot) { print "recall " hit / tot; exit 1 } }' \
				"$BATS_TEST_TMPDIR/g.out" "$BATS_TEST_TMPDIR/x.out"
		fi
		[ "$status" -eq 0 ] || fail "WHERE $w ($2): index and brute force differ: $output"
	done
}

@test "filtered k-NN over columns cached from b-tree indexes agrees with brute force (walk and exact path)" {
	agree walk "PRAGMA hnsw_ef_search = 300; PRAGMA hnsw_exact_rows = 0;"
	agree exact "PRAGMA hnsw_exact_rows = 100000;"
	agree walk ""
}

@test "after the base: inserted (delta), updated and deleted rows" {
	awk 'BEGIN { srand(9); for (i = 3001; i <= 3100; i++) {
		printf "INSERT INTO %%T%%(id, c, s, g, h, v) VALUES(%d, %d, '"'"'w%d'"'"', %d, '"'"'ab'"'"', '"'"'[", i, i % 100, i % 20, i % 10
		for (j = 0; j < 8; j++) printf "%s%.4f", j ? "," : "", rand() * 2 - 1
		printf "]'"'"');\n" } }' >"$BATS_TEST_TMPDIR/ins.sql"
	for T in t u; do
		{ sed "s/%T%/$T/" "$BATS_TEST_TMPDIR/ins.sql"
		  echo "UPDATE $T SET c = c + 1, s = 'w3' WHERE id % 9 = 0;"
		  echo "DELETE FROM $T WHERE id % 13 = 0;"; } | sochdb-sql -d "$D" >/dev/null || fail "writes to $T"
	done
	agree walk "PRAGMA hnsw_ef_search = 300; PRAGMA hnsw_exact_rows = 0;"
	agree exact "PRAGMA hnsw_exact_rows = 100000;"
}
