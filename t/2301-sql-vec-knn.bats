#!/usr/bin/env bats
# 2301-sql-vec-knn: exact k-NN in SQL (ORDER BY vec_distance_*(col, ?)
# LIMIT k, directly or through a result alias, with and without a WHERE
# filter) against numpy brute force computed here, its EXPLAIN QUERY PLAN
# wording, and loading vectors: .import --npy FILE TABLE COLUMN [--ids
# FILE] (new and existing tables, all or nothing) and vector fields of
# JSONL and CSV imports.

load test_helper

PY=/usr/bin/python3

setup_file() {
	[ -x "$BUILD/bin/sochdb-sql" ] || return 0
	$PY -c 'import numpy' 2>/dev/null || return 0
	F=$BATS_FILE_TMPDIR
	n=$(scaled 4000)
	$PY - "$F" "$n" <<'EOF'
import numpy as np, sys
d, n = sys.argv[1], int(sys.argv[2])
r = np.random.default_rng(2301)
x = r.standard_normal((n, 24)).astype(np.float32)
np.save(d + "/base.npy", x)
np.save(d + "/ids.npy", (np.arange(n, dtype=np.int64) * 3 + 7))
q = r.standard_normal((6, 24)).astype(np.float32)
np.save(d + "/queries.npy", q)
with open(d + "/queries.txt", "w") as f:
    for v in q:
        f.write("[" + ",".join(repr(float(t)) for t in v) + "]\n")
EOF
	sochdb-sql -d "$F/db" -c "CREATE TABLE docs(id INTEGER PRIMARY KEY, cat INTEGER, emb VECTOR(24))" \
		-c ".import --npy $F/base.npy docs emb" -c "UPDATE docs SET cat = id % 10"
}

setup() { numpy_setup; }

# check_knn METRIC FORM FILTER: every query's 10 rows are the brute-force
# 10 nearest (by numpy's float64 distances over the float32 vectors,
# equal within 1e-4), in order, among the rows the filter keeps.
check_knn() {
	local metric=$1 form=$2 filter=$3 where="" k=10
	[ -n "$filter" ] && where="WHERE $filter"
	: >"$BATS_TEST_TMPDIR/got.txt"
	while IFS= read -r q; do
		if [ "$form" = alias ]; then
			sql="SELECT id, vec_distance_$metric(emb, ?1) AS d FROM docs $where ORDER BY d LIMIT $k"
		else
			sql="SELECT id FROM docs $where ORDER BY vec_distance_$metric(?1, emb) LIMIT $k"
		fi
		run -0 sochdb-sql -d "$F/db" --no-header --param "$q" -c "$sql"
		printf '%s\n' "$(cut -f1 <<<"$output" | tr '\n' ' ')" >>"$BATS_TEST_TMPDIR/got.txt"
	done <"$F/queries.txt"
	run -0 $PY - "$F" "$BATS_TEST_TMPDIR/got.txt" "$metric" "$filter" <<'EOF'
import numpy as np, sys
d, got, metric, flt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
x = np.load(d + "/base.npy").astype(np.float64)
q = np.load(d + "/queries.npy").astype(np.float64)
ids = np.arange(len(x))
keep = ids % 10 == 3 if flt else np.ones(len(x), bool)
lines = open(got).read().splitlines()
assert len(lines) == len(q)
for qi, line in enumerate(lines):
    g = [int(t) for t in line.split()]
    v = q[qi]
    if metric == "l2":
        dist = ((x - v) ** 2).sum(1)
    elif metric == "ip":
        dist = 1 - x @ v
    else:
        dist = 1 - (x @ v) / np.sqrt((x * x).sum(1) * (v @ v))
    cand = ids[keep]
    want = cand[np.argsort(dist[cand], kind="stable")[:10]]
    assert len(g) == min(10, len(cand)), (qi, len(g))
    assert all(keep[i] for i in g), "a row the filter drops"
    assert np.allclose(dist[g], dist[want], rtol=1e-4, atol=1e-5), (qi, g, list(want))
print("ok")
EOF
	assert_output ok
}

@test "exact k-NN agrees with brute force: l2, ip, cosine, direct and through an alias" {
	for m in l2 ip cosine; do
		check_knn "$m" direct ""
		check_knn "$m" alias ""
	done
}

@test "exact k-NN with a WHERE filter returns the k nearest rows that pass it" {
	for m in l2 cosine; do
		check_knn "$m" alias "cat = 3"
		check_knn "$m" direct "cat = 3"
	done
	# fewer matching rows than k: all of them
	run -0 sochdb-sql -d "$F/db" --no-header --param "$(head -1 "$F/queries.txt")" \
		-c "SELECT count(*) FROM (SELECT id FROM docs WHERE id < 4 ORDER BY vec_distance_l2(emb, ?1) LIMIT 10)"
	assert_output 4
}

@test "EXPLAIN QUERY PLAN: SCAN docs (exact k-NN); other shapes keep the temp b-tree" {
	eqp() {
		run -0 sochdb-sql -d "$F/db" --no-header --param '[1]' -c "EXPLAIN QUERY PLAN $1"
		printf '%s' "$output" | cut -f4 | tr '\n' '|'
	}
	[ "$(eqp "SELECT id, vec_distance_cosine(emb, ?1) AS d FROM docs ORDER BY d LIMIT 10")" = "SCAN docs (exact k-NN)|" ]
	p=$(eqp "SELECT id FROM docs WHERE cat = 3 ORDER BY vec_distance_l2(?1, emb) LIMIT 5")
	[[ "$p" == "SCAN docs"*" (exact k-NN)|" ]] || fail "$p"
	[ "$(eqp "SELECT id FROM docs WHERE id > 100 ORDER BY vec_distance_ip(emb, ?1) LIMIT 5")" = "SEARCH docs USING INTEGER PRIMARY KEY (rowid>?) (exact k-NN)|" ]
	# no LIMIT, DESC, a distance between two columns: an ordinary sort
	[ "$(eqp "SELECT id FROM docs ORDER BY vec_distance_l2(emb, ?1)")" = "SCAN docs|USE TEMP B-TREE FOR ORDER BY|" ]
	[ "$(eqp "SELECT id FROM docs ORDER BY vec_distance_l2(emb, ?1) DESC LIMIT 3")" = "SCAN docs|USE TEMP B-TREE FOR ORDER BY|" ]
	[ "$(eqp "SELECT id FROM docs ORDER BY vec_distance_l2(emb, emb) LIMIT 3")" = "SCAN docs|USE TEMP B-TREE FOR ORDER BY|" ]
}

@test "k-NN sorts NULL vectors as SQLite sorts NULL (first when ascending)" {
	sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, e VECTOR(2))" \
		-c "INSERT INTO t VALUES(1, '[0,0]'), (2, NULL), (3, '[5,5]'), (4, '[1,1]')"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id FROM t ORDER BY vec_distance_l2(e, '[0,0]') LIMIT 3"
	assert_output "2
1
4"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id FROM t WHERE e IS NOT NULL ORDER BY vec_distance_l2(e, '[0,0]') LIMIT 2"
	assert_output "1
4"
}

@test ".import --npy into a new table: id 0..n-1 (as sochdb-bulk numbers rows), VECTOR(D), the file's exact floats" {
	run -0 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/base.npy v emb"
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 sochdb-sql -d "$D" --no-header -c ".schema v" -c "SELECT count(*), min(id), max(id) FROM v"
	n=$($PY -c "import numpy as np; print(len(np.load('$F/base.npy')))")
	assert_output "CREATE TABLE v(id INTEGER PRIMARY KEY, emb VECTOR(24));
$n	0	$((n - 1))"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT hex(emb) FROM v WHERE id = 17"
	want=$($PY -c "import numpy as np; print(np.load('$F/base.npy')[17].tobytes().hex().upper())")
	assert_output "$want"
}

@test ".import --npy --ids into an existing table; a taken rowid, NaN, a wrong dimension import nothing" {
	sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, title TEXT, emb VECTOR(24))"
	run -0 sochdb-sql -d "$D" -c ".import --npy $F/base.npy t emb --ids $F/ids.npy"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*), min(id), max(id), count(title) FROM t"
	n=$($PY -c "import numpy as np; print(len(np.load('$F/base.npy')))")
	assert_output "$n	7	$(((n - 1) * 3 + 7))	0"
	# again: the first id is taken, nothing of the second import stays
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/base.npy t emb --ids $F/ids.npy"
	[ "$stderr" = "sochdb-sql: line 1, column 1: $F/base.npy: row 0: UNIQUE constraint failed: t.id (nothing imported)" ] || fail "$stderr"
	# a NaN: found before anything is written
	$PY -c "import numpy as np; x = np.ones((5, 24), np.float32); x[3, 2] = np.nan; np.save('$BATS_TEST_TMPDIR/nan.npy', x)"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $BATS_TEST_TMPDIR/nan.npy t emb"
	[[ "$stderr" == "sochdb-sql: line 1, column 1: "*"row 3, column 2 is NaN"* ]] || fail "$stderr"
	# rows of 8 floats into VECTOR(24)
	$PY -c "import numpy as np; np.save('$BATS_TEST_TMPDIR/d8.npy', np.ones((5, 8), np.float32))"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $BATS_TEST_TMPDIR/d8.npy t emb"
	[ "$stderr" = "sochdb-sql: line 1, column 1: $BATS_TEST_TMPDIR/d8.npy: row 0: t.emb is VECTOR(24): got 8 dimensions (nothing imported)" ] || fail "$stderr"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM t"
	assert_output "$n"
	# usage
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/base.npy t"
	[ "$stderr" = "sochdb-sql: line 1, column 1: usage: .import --npy FILE TABLE COLUMN [--ids FILE] [--column NAME FILE]..." ] || fail "$stderr"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $BATS_TEST_TMPDIR/none.npy t emb"
	[[ "$stderr" == "sochdb-sql: line 1, column 1: "*"none.npy"* ]] || fail "$stderr"
}

@test ".import --npy inside BEGIN is undone by ROLLBACK; float64 and float16 files are converted to float32" {
	$PY -c "import numpy as np; np.save('$BATS_TEST_TMPDIR/f64.npy', np.array([[0.1, 0.2], [1e-3, -4.0]]))"
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, e VECTOR(2))" \
		-c "BEGIN" -c ".import --npy $BATS_TEST_TMPDIR/f64.npy t e" -c "ROLLBACK" -c "SELECT count(*) FROM t"
	assert_line -n 1 0
	run -0 sochdb-sql -d "$D" --no-header -c ".import --npy $BATS_TEST_TMPDIR/f64.npy t e" -c "SELECT vec_to_json(e) FROM t ORDER BY id"
	assert_output "[0.1,0.2]
[0.001,-4]"
	$PY -c "import numpy as np; np.save('$BATS_TEST_TMPDIR/f16.npy', np.array([[0.5, -2.0]], np.float16))"
	printf '\x09\x00\x00\x00\x00\x00\x00\x00' >"$BATS_TEST_TMPDIR/ids.u64"
	run -0 sochdb-sql -d "$D" --no-header -c ".import --npy $BATS_TEST_TMPDIR/f16.npy t e --ids $BATS_TEST_TMPDIR/ids.u64" -c "SELECT id, vec_to_json(e) FROM t WHERE id = 9"
	assert_output "9	[0.5,-2]"
}

@test "JSONL and CSV imports: JSON arrays become VECTOR values; a wrong one stops the import with its line" {
	sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, emb VECTOR(3))"
	printf '{"id": 1, "name": "a", "emb": [1, 2, 3]}\n{"id": 2, "name": "b", "emb": null}\n{"id": 3, "emb": [0.5, 0.25, -1e-3]}\n' >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 sochdb-sql -d "$D" -c ".import $BATS_TEST_TMPDIR/in.jsonl t"
	printf '4,d,"[4,5,6]"\n5,e,"[7, 8, 9]"\n' >"$BATS_TEST_TMPDIR/in.csv"
	run -0 sochdb-sql -d "$D" -c ".import --csv $BATS_TEST_TMPDIR/in.csv t"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id, typeof(emb), vec_to_json(emb) FROM t ORDER BY id"
	assert_output "1	blob	[1,2,3]
2	null	\\N
3	blob	[0.5,0.25,-0.001]
4	blob	[4,5,6]
5	blob	[7,8,9]"
	printf '{"id": 10, "emb": [1, 2, 3]}\n{"id": 11, "emb": [1, 2]}\n' >"$BATS_TEST_TMPDIR/bad.jsonl"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import $BATS_TEST_TMPDIR/bad.jsonl t"
	[ "$stderr" = "sochdb-sql: $BATS_TEST_TMPDIR/bad.jsonl: line 2: t.emb is VECTOR(3): got 2 dimensions (nothing imported)" ] || fail "$stderr"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM t WHERE id >= 10"
	assert_output 0
}

@test "CREATE INDEX ... USING an unknown method is refused with a clear error; k-NN stays exact" {
	run -3 --separate-stderr sochdb-sql -d "$F/db" -c "CREATE INDEX i ON docs USING ivfflat (emb) WITH (metric = 'cosine', m = 16)"
	[ "$stderr" = "sochdb-sql: line 1, column 1: unknown index method ivfflat (expected btree or hnsw)" ] || fail "$stderr"
	run -0 sochdb-sql -d "$F/db" --no-header -c "SELECT count(*) FROM sqlite_schema WHERE name = 'i'"
	assert_output 0
}
