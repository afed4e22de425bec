#!/usr/bin/env bats
# 2302-sql-hnsw-large (make stress): SQL HNSW indexes at the bulk
# benchmarks' sizes, 100,000 x 128 clustered (l2) and 20,000 x 768
# normalised (cosine): filtered k-NN at 100/10/1/0.1%, correlated and
# anti-correlated, against numpy brute force (t/helpers/hnsw_oracle.py):
# recall@10 >= 0.95 and exactly min(10, matching) rows every time, then
# the same after 10% churn (delta and tombstones) and after the fold.

load ../test_helper

PY=/usr/bin/python3
ORACLE=$TOP/t/helpers/hnsw_oracle.py

setup() {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	$PY -c 'import numpy' 2>/dev/null || skip "python3-numpy missing (scripts/install-deps.sh test)"
	F=$BATS_TEST_TMPDIR
	export HNSW_NQ=40
}

# large N DIM METRIC [norm]
large() {
	local n=$1 dim=$2 metric=$3 norm=${4:-}
	$PY "$ORACLE" data "$F" "$n" "$dim" 2312 50 $norm
	run -0 sochdb-sql -d "$F/db" \
		-c "CREATE TABLE docs(id INTEGER PRIMARY KEY, cat INTEGER, grp INTEGER, emb VECTOR($dim))" \
		-c ".import --npy $F/base.npy docs emb" \
		-c "UPDATE docs SET cat = abs(random()) % 100, grp = id % 50" \
		-c "CREATE INDEX i ON docs USING hnsw (emb) WITH (metric = '$metric', m = 16, ef_construction = 200)"
	check "$metric"
	# 10% churn: updates and deletes through the delta and tombstones
	run -0 sochdb-sql -d "$F/db" -c "UPDATE docs SET emb = (SELECT o.emb FROM docs AS o WHERE o.id = docs.id + 1) WHERE id % 20 = 0" \
		-c "DELETE FROM docs WHERE id % 20 = 7"
	check "$metric"
	run -0 sochdb-sql -d "$F/db" -c "REINDEX i"
	check "$metric"
}

check() {
	$PY "$ORACLE" sql "$F" std "$1" 10 >"$F/q.sql"
	sochdb-sql -d "$F/db" --no-header <"$F/q.sql" >"$F/got.tsv"
	sochdb-sql -d "$F/db" --no-header -c "SELECT id, cat, grp, vec_to_json(emb) FROM docs" >"$F/rows.tsv"
	run -0 $PY "$ORACLE" check "$F" std "$1" 10 "$F/got.tsv" 0.95
	echo "$output" >&3
}

@test "100,000 x 128 clustered, l2: filtered recall@10 >= 0.95 at every selectivity, before and after churn and the fold" {
	large 100000 128 l2
}

@test "20,000 x 768 normalised, cosine: filtered recall@10 >= 0.95 at every selectivity, before and after churn and the fold" {
	large 20000 768 cosine norm
}
