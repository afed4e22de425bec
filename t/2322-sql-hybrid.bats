#!/usr/bin/env bats
# 2322-sql-hybrid: hybrid_search() (man/sochdb-sql.1, HYBRID SEARCH)
# against a reference Reciprocal Rank Fusion of the two ranked lists
# (t/fts/hybriddiff.py: the vector list from an exact k-NN SELECT, the
# keyword list from SQLite's FTS5, the same filter on both), and its errors.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

@test "hybrid_search agrees with RRF computed over the two ranked lists" {
	run -0 /usr/bin/python3 "$TOP/t/fts/hybriddiff.py" "$BUILD/bin/sochdb-sql" "$D" \
		--docs "$(awk -v s="$STRESS_SCALE" 'BEGIN { v = int(800 * s); print v < 200 ? 200 : v }')" \
		--queries "$(awk -v s="$STRESS_SCALE" 'BEGIN { v = int(60 * s); print v < 20 ? 20 : v }')"
	echo "$output"
	assert_output --partial ' 0 differ'
}

@test "hybrid_search: joins, EXPLAIN QUERY PLAN, one side empty, errors" {
	sochdb-sql -d "$D" -c "CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT, cat TEXT, emb VECTOR(2));
		INSERT INTO docs VALUES(1, 'vector search', 'a', vector('[1, 0]')), (2, 'keyword search', 'b', vector('[0, 1]')), (3, 'hybrid', 'a', NULL);
		CREATE VIRTUAL TABLE f USING fts5(title, content = 'docs', content_rowid = 'id');
		INSERT INTO f(f) VALUES('rebuild');"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT d.title, h.vec_rank, h.text_rank FROM hybrid_search('docs', 'emb', vector('[1, 0]'), 'f', 'search', 5) AS h JOIN docs d ON d.id = h.id"
	assert_output "$(printf 'vector search\t1\t1\nkeyword search\t2\t2')"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id, text_rank FROM hybrid_search('docs', 'emb', NULL, 'f', 'hybrid', 5)"
	assert_output "$(printf '3\t1')"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id, vec_rank FROM hybrid_search('docs', 'emb', vector('[0, 1]'), 'f', NULL, 1, 1.0, 60, 'cat = ''b''', 'l2')"
	assert_output "$(printf '2\t1')"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT * FROM hybrid_search('docs', 'emb', vector('[0, 1]'), 'f', 'x', 3)"
	assert_output --partial 'SCAN hybrid_search (vector k-NN and MATCH, fused by RRF)'
	bad() { run -3 sochdb-sql -d "$D" -c "$1"; assert_output --partial "$2"; [ "${#lines[@]}" -eq 1 ]; }
	bad "SELECT * FROM hybrid_search('docs', 'emb')" 'hybrid_search() takes 6 to 10 arguments'
	bad "SELECT * FROM hybrid_search('docs', 'emb', vector('[1, 0]'), 'f', 'x', 0)" 'k must be an integer from 1 to 10000'
	bad "SELECT * FROM hybrid_search('docs', 'emb', vector('[1, 0]'), 'f', 'x', 3, 2)" 'alpha must be from 0 to 1'
	bad "SELECT * FROM hybrid_search('docs', 'emb', vector('[1, 0]'), 'f', 'x', 3, 0.5, -1)" 'rrf_k must be a number >= 0'
	bad "SELECT * FROM hybrid_search('docs', 'emb', vector('[1, 0]'), 'f', 'x', 3, 0.5, 60, NULL, 'manhattan')" 'unknown metric'
	bad "SELECT * FROM hybrid_search('nosuch', 'emb', vector('[1, 0]'), 'f', 'x', 3)" 'no such table: nosuch'
	bad "SELECT * FROM hybrid_search('docs', 'emb', vector('[1, 0]'), 'f', 'x AND', 3)" 'fts5: syntax error near ""'
	bad "SELECT * FROM hybrid_search(1, 'emb', vector('[1, 0]'), 'f', 'x', 3)" 'table must be a name'
}

@test "hybrid_search with an HNSW index on the column and metric: the index's k-NN form, the same answers" {
	/usr/bin/python3 - "$BATS_TEST_TMPDIR/load.sql" <<'PY'
import random, sys
r = random.Random(2322)
w = "vector search keyword ranking fusion hybrid dense sparse index query".split()
with open(sys.argv[1], "w") as f:
    f.write("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT, cat TEXT, emb VECTOR(8));\n")
    f.write("CREATE VIRTUAL TABLE f USING fts5(body, content = 'docs', content_rowid = 'id');\nBEGIN;\n")
    for i in range(1, 301):
        v = "NULL" if i % 37 == 0 else "'[%s]'" % ",".join("%.4f" % r.uniform(-1, 1) for _ in range(8))
        f.write("INSERT INTO docs VALUES(%d, '%s', '%s', %s);\n" % (i, " ".join(r.choice(w) for _ in range(6)), r.choice("ab"), v))
    f.write("COMMIT;\n")
PY
	sochdb-sql -d "$D" <"$BATS_TEST_TMPDIR/load.sql"
	q="vector('[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]')"
	forms=("SELECT * FROM hybrid_search('docs', 'emb', $q, 'f', 'hybrid OR sparse', 10, 0.5, 60, NULL, 'l2')"
		"SELECT * FROM hybrid_search('docs', 'emb', $q, 'f', 'dense', 10, 0.7, 60, 'cat = ''a''', 'l2')"
		"SELECT * FROM hybrid_search('docs', 'emb', $q, 'f', NULL, 20, 1.0, 60, NULL, 'l2')")
	for s in "${forms[@]}"; do
		run -0 sochdb-sql -d "$D" --no-header -c "$s"
		printf '%s\n' "$output" >>"$BATS_TEST_TMPDIR/exact"
	done
	sochdb-sql -d "$D" -c "CREATE INDEX docs_emb ON docs USING hnsw (emb) WITH (metric = 'l2')"
	for s in "${forms[@]}"; do
		run -0 sochdb-sql -d "$D" --no-header -c "$s"
		printf '%s\n' "$output" >>"$BATS_TEST_TMPDIR/indexed"
	done
	run -0 diff "$BATS_TEST_TMPDIR/exact" "$BATS_TEST_TMPDIR/indexed"
	# rows without a vector never come from the vector side (ids 37, 74, ...)
	run -0 awk -F'\t' '$3 != "\\N" && $1 % 37 == 0' "$BATS_TEST_TMPDIR/indexed"
	assert_output ""
	[ "$(wc -l <"$BATS_TEST_TMPDIR/indexed")" -eq 40 ]
}
