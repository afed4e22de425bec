#!/usr/bin/env bats
# 2302-sql-hnsw: HNSW indexes as SQL indexes. CREATE INDEX ... USING hnsw
# (col) WITH (...): options, defaults and errors; the files it writes and
# DROP INDEX / REINDEX; k-NN through the index (directly and through the
# alias) with filters of selectivity 100%, 10%, 1%, 0.1%, correlated with
# the query and not, against numpy brute force (t/helpers/hnsw_oracle.py):
# recall@10 >= 0.95 and exactly min(10, matching) rows every time; the
# EXPLAIN QUERY PLAN wording of each path; PRAGMA hnsw_ef_search and
# hnsw_exact_rows; INSERT/UPDATE/DELETE maintenance (delta, tombstones)
# with rollback and savepoints; 30% churn against a fresh build; kill -9
# during maintenance and during a fold.

load test_helper

PY=/usr/bin/python3
ORACLE=$BATS_TEST_DIRNAME/helpers/hnsw_oracle.py

setup_file() {
	[ -x "$BUILD/bin/sochdb-sql" ] || return 0
	$PY -c 'import numpy' 2>/dev/null || return 0
	F=$BATS_FILE_TMPDIR
	# 20,000 rows whatever STRESS_SCALE says: the planner's choice between
	# the walk and the exact path depends on the size (t/stress has more)
	n=20000
	$PY "$ORACLE" data "$F" "$n" 32 2302
	"$BUILD/bin/sochdb-sql" -d "$F/db" \
		-c "CREATE TABLE docs(id INTEGER PRIMARY KEY, cat INTEGER, grp INTEGER, emb VECTOR(32))" \
		-c ".import --npy $F/base.npy docs emb" \
		-c "UPDATE docs SET cat = abs(random()) % 100, grp = id % 50" \
		-c "CREATE INDEX i ON docs USING hnsw (emb) WITH (metric = 'cosine', m = 16, ef_construction = 100)"
	"$BUILD/bin/sochdb-sql" -d "$F/db" --no-header -c "SELECT id, cat, grp, vec_to_json(emb) FROM docs" >"$F/rows.tsv"
}

setup() { numpy_setup; }

# A small table t(id, c, v VECTOR(3)) in $D.
small() {
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, c INTEGER, v VECTOR(3), txt TEXT)" \
		-c "INSERT INTO t VALUES (1, 0, '[1,0,0]', 'a'), (2, 1, '[0,1,0]', 'b'), (3, 0, '[0,0,1]', 'c'), (4, 1, '[1,1,0]', 'd'), (5, 0, NULL, 'e')"
}

# knn DB Q: the ids of the 3 rows nearest Q by l2 through SQL, one line.
knn() {
	run -0 sochdb-sql -d "$1" --no-header -c "SELECT id FROM t ORDER BY vec_distance_l2(v, '$2') LIMIT 3"
	printf '%s\n' "$(tr '\n' ' ' <<<"$output")"
}

@test "CREATE INDEX USING hnsw: options, defaults, the file it writes, sqlite_schema, survives reopen" {
	small
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tv ON t USING hnsw (v)"
	run -0 ls "$D/sql-vec"
	[[ "$output" =~ ^[0-9]+-1\.hnsw$ ]] || fail "$output"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name = 'tv'"
	assert_output "index	tv	t	CREATE INDEX tv ON t USING hnsw (v)"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,0,0]') LIMIT 2"
	assert_output "2	0	0	SEARCH t USING HNSW INDEX tv"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,0,0]') LIMIT 2"
	assert_output "1
4"
	# the index's metric must match the query's: ip here is exact
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY vec_distance_ip(v, '[1,0,0]') LIMIT 2"
	assert_output "2	0	0	SCAN t (exact k-NN)"
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tc ON t USING hnsw (v) WITH (metric = cosine, m = 4, ef_construction = 10, quantization = 'sq8')" \
		-c "CREATE INDEX tb ON t USING btree (c)" -c "CREATE INDEX ti ON t USING hnsw (v) WITH (metric = 'ip', quantization = 'none')"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT id, vec_distance_cosine(v, '[1,2,3]') AS d FROM t ORDER BY d LIMIT 1" \
		-c "EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY vec_distance_ip(v, '[1,0,0]') LIMIT 2" \
		-c "SELECT id FROM t WHERE c = 1"
	assert_output "2	0	0	SEARCH t USING HNSW INDEX tc
2	0	0	SEARCH t USING HNSW INDEX ti
2
4"
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA index_list(t)"
	[ "$(wc -l <<<"$output")" = 4 ] || fail "$output"
}

@test "CREATE INDEX USING hnsw: errors for a bad method, option, value, column; nothing is created" {
	small
	for bad in \
		"USING hnsw (txt)|an hnsw index needs a VECTOR(D) column: t.txt is not one" \
		"USING hnsw (c)|an hnsw index needs a VECTOR(D) column: t.c is not one" \
		"USING hnsw (v, c)|an hnsw index takes exactly one column" \
		"USING hnsw (v) WITH (metric = 'hamming')|unknown hnsw metric 'hamming' (expected 'l2', 'ip' or 'cosine')" \
		"USING hnsw (v) WITH (metric = 3)|unknown hnsw metric '?' (expected 'l2', 'ip' or 'cosine')" \
		"USING hnsw (v) WITH (m = 1)|hnsw option m must be an integer from 2 to 100" \
		"USING hnsw (v) WITH (m = 'x')|hnsw option m must be an integer from 2 to 100" \
		"USING hnsw (v) WITH (ef_construction = 0)|hnsw option ef_construction must be an integer from 1 to 10000" \
		"USING hnsw (v) WITH (quantization = 'pq')|unknown hnsw quantization 'pq' (expected 'none', 'sq8' or 'bf16')" \
		"USING hnsw (v) WITH (ef_search = 10)|unknown hnsw option 'ef_search' (expected metric, m, ef_construction or quantization)" \
		"USING ivf (v)|unknown index method ivf (expected btree or hnsw)" \
		"USING btree (c) WITH (m = 4)|WITH (...) options are only for USING hnsw" \
		"USING hnsw (v) WHERE c = 1|an hnsw index cannot be partial (WHERE)"; do
		run -3 --separate-stderr sochdb-sql -d "$D" -c "CREATE INDEX x ON t ${bad%%|*}"
		[ "$stderr" = "sochdb-sql: line 1, column 1: ${bad#*|}" ] || fail "${bad%%|*}: $stderr"
	done
	run -3 --separate-stderr sochdb-sql -d "$D" -c "CREATE UNIQUE INDEX x ON t USING hnsw (v)"
	[ "$stderr" = "sochdb-sql: line 1, column 1: an hnsw index cannot be UNIQUE" ] || fail "$stderr"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
	assert_output 0
	run -0 ls -A "$D"
	refute_output --partial sql-vec-x
	if [ -d "$D/sql-vec" ]; then
		run -0 ls -A "$D/sql-vec"
		assert_output ""
	fi
}

@test "filtered k-NN through the index: recall@10 >= 0.95 and min(10, matching) rows at 100/10/1/0.1%, correlated and anti-correlated" {
	$PY "$ORACLE" sql "$F" std cosine 10 >"$BATS_TEST_TMPDIR/q.sql"
	sochdb-sql -d "$F/db" --no-header <"$BATS_TEST_TMPDIR/q.sql" >"$BATS_TEST_TMPDIR/got.tsv"
	run -0 $PY "$ORACLE" check "$F" std cosine 10 "$BATS_TEST_TMPDIR/got.tsv" 0.95
	echo "$output"
}

@test "the graph walk itself (PRAGMA hnsw_exact_rows = 0) keeps recall@10 >= 0.95 at 10%, 1% and a correlated 2%" {
	{ echo "PRAGMA hnsw_exact_rows = 0;"; $PY "$ORACLE" sql "$F" graph cosine 10; } >"$BATS_TEST_TMPDIR/q.sql"
	sochdb-sql -d "$F/db" --no-header <"$BATS_TEST_TMPDIR/q.sql" >"$BATS_TEST_TMPDIR/got.tsv"
	run -0 $PY "$ORACLE" check "$F" graph cosine 10 "$BATS_TEST_TMPDIR/got.tsv" 0.95
	echo "$output"
}

@test "EXPLAIN QUERY PLAN names the path: HNSW, filtered HNSW with its estimate, exact for a selective filter" {
	q="'[$(printf '0.5,%.0s' $(seq 31))0.5]'"
	run -0 sochdb-sql -d "$F/db" --no-header \
		-c "EXPLAIN QUERY PLAN SELECT id, vec_distance_cosine(emb, $q) AS d FROM docs ORDER BY d LIMIT 10" \
		-c "EXPLAIN QUERY PLAN SELECT id FROM docs WHERE cat < 50 ORDER BY vec_distance_cosine(emb, $q) LIMIT 10" \
		-c "EXPLAIN QUERY PLAN SELECT id FROM docs WHERE cat = 42 AND id % 10 = 3 ORDER BY vec_distance_cosine(emb, $q) LIMIT 10" \
		-c "EXPLAIN QUERY PLAN SELECT id FROM docs ORDER BY vec_distance_l2(emb, $q) LIMIT 10" \
		-c "PRAGMA hnsw_exact_rows = 0" \
		-c "EXPLAIN QUERY PLAN SELECT id FROM docs WHERE cat = 42 ORDER BY vec_distance_cosine(emb, $q) LIMIT 10"
	[ "${lines[0]}" = "2	0	0	SEARCH docs USING HNSW INDEX i" ] || fail "$output"
	[[ "${lines[1]}" =~ ^2.0.0.SEARCH\ docs\ USING\ HNSW\ INDEX\ i\ \(filtered,\ est\.\ [0-9.]+%\)$ ]] || fail "$output"
	[[ "${lines[2]}" =~ ^2.0.0.SCAN\ docs.*\ \(exact\ k-NN,\ filter\ est\.\ [0-9.]+%\)$ ]] || fail "$output"
	[ "${lines[3]}" = "2	0	0	SCAN docs (exact k-NN)" ] || fail "$output"
	[[ "${lines[4]}" =~ ^2.0.0.SEARCH\ docs\ USING\ HNSW\ INDEX\ i\ \(filtered,\ est\.\ [0-9.]+%\)$ ]] || fail "$output"
}

@test "PRAGMA hnsw_ef_search and hnsw_exact_rows: read, set, errors; k above the cap is an error" {
	run -0 sochdb-sql -d "$F/db" --no-header -c "PRAGMA hnsw_ef_search" -c "PRAGMA hnsw_ef_search = 200" -c "PRAGMA hnsw_ef_search" \
		-c "PRAGMA hnsw_exact_rows" -c "PRAGMA hnsw_exact_rows = 5000" -c "PRAGMA hnsw_exact_rows"
	assert_output "0
200
-1
5000"
	run -3 --separate-stderr sochdb-sql -d "$F/db" -c "PRAGMA hnsw_ef_search = -1"
	[ "$stderr" = "sochdb-sql: line 1, column 1: hnsw_ef_search must be an integer from 0 to 100000" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-sql -d "$F/db" -c "PRAGMA hnsw_exact_rows = 'x'"
	[ "$stderr" = "sochdb-sql: line 1, column 1: hnsw_exact_rows must be -1 (the default) or a row count from 0" ] || fail "$stderr"
	q="'[$(printf '0.5,%.0s' $(seq 31))0.5]'"
	run -3 --separate-stderr sochdb-sql -d "$F/db" -c "SELECT id FROM docs ORDER BY vec_distance_cosine(emb, $q) LIMIT 10001"
	[ "$stderr" = "sochdb-sql: line 1, column 1: k-NN through hnsw index i: LIMIT + OFFSET 10001 is above the cap of 10000" ] || fail "$stderr"
	run -0 sochdb-sql -d "$F/db" --no-header -c "SELECT count(*) FROM (SELECT id FROM docs ORDER BY vec_distance_cosine(emb, $q) LIMIT 10000)"
	assert_output 10000
	run -0 sochdb-sql -d "$F/db" --no-header -c "PRAGMA hnsw_ef_search = 10" -c "SELECT count(*) FROM (SELECT id FROM docs ORDER BY vec_distance_cosine(emb, $q) LIMIT 50 OFFSET 5)"
	assert_output 50
	# a query that is not a vector of the dimension: the exact scan's answer
	run -0 sochdb-sql -d "$F/db" --no-header -c "SELECT count(*) FROM (SELECT id FROM docs ORDER BY vec_distance_cosine(emb, NULL) LIMIT 3)"
	assert_output 3
	run -3 --separate-stderr sochdb-sql -d "$F/db" -c "SELECT id FROM docs ORDER BY vec_distance_cosine(emb, '[1,2]') LIMIT 3"
	assert_equal "$(grep -c 'dimension' <<<"$stderr")" 1
}

@test "INSERT/UPDATE/DELETE/REPLACE/upsert maintain the index in their transaction; NULL vectors are skipped" {
	small
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tv ON t USING hnsw (v)"
	[ "$(knn "$D" '[1,0,0]')" = "1 4 2 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-sql -d "$D" -c "INSERT INTO t VALUES (6, 0, '[0.9,0,0]', 'f')" -c "DELETE FROM t WHERE id = 4" \
		-c "UPDATE t SET c = 7 WHERE id = 2" -c "UPDATE t SET v = '[5,5,5]' WHERE id = 3"
	[ "$(knn "$D" '[1,0,0]')" = "1 6 2 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-sql -d "$D" -c "REPLACE INTO t VALUES (1, 0, '[-1,0,0]', 'a')" \
		-c "INSERT INTO t VALUES (2, 0, '[1,0.1,0]', 'b') ON CONFLICT(id) DO UPDATE SET v = excluded.v" \
		-c "UPDATE t SET v = NULL WHERE id = 6" -c "UPDATE t SET v = '[1,0,0]' WHERE id = 5"
	[ "$(knn "$D" '[1,0,0]')" = "5 2 1 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id FROM t WHERE c = 0 ORDER BY vec_distance_l2(v, '[1,0,0]') LIMIT 2"
	assert_output "5
1"
}

@test "ROLLBACK and ROLLBACK TO leave the index as the committed rows are" {
	small
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tv ON t USING hnsw (v)"
	run -0 sochdb-sql -d "$D" -c "BEGIN" -c "INSERT INTO t VALUES (9, 0, '[1,0,0.01]', 'z')" -c "DELETE FROM t WHERE id = 1" -c "ROLLBACK"
	[ "$(knn "$D" '[1,0,0]')" = "1 4 2 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-sql -d "$D" -c "BEGIN" -c "INSERT INTO t VALUES (9, 0, '[1,0,0.01]', 'z')" -c "SAVEPOINT s" \
		-c "DELETE FROM t WHERE id = 1" -c "INSERT INTO t VALUES (10, 0, '[1,0,0.02]', 'y')" -c "ROLLBACK TO s" -c "RELEASE s" -c "COMMIT"
	[ "$(knn "$D" '[1,0,0]')" = "1 9 4 " ] || fail "$(knn "$D" '[1,0,0]')"
	# inside the transaction, its own writes are seen by the index path
	run -0 sochdb-sql -d "$D" --no-header -c "BEGIN" -c "DELETE FROM t WHERE id = 9" \
		-c "SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,0,0]') LIMIT 2" -c "ROLLBACK"
	assert_output "1
4"
}

@test "REINDEX folds the delta and tombstones into a new generation; DROP INDEX and DROP TABLE remove the keys and files" {
	small
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tv ON t USING hnsw (v)" -c "INSERT INTO t VALUES (6, 0, '[0.9,0,0]', 'f')" -c "DELETE FROM t WHERE id = 2"
	run -0 sochdb-kv -d "$D" stats --format json
	run -0 sochdb-sql -d "$D" -c "REINDEX tv"
	run -0 ls "$D/sql-vec"
	[[ "$output" =~ [0-9]+-2\.hnsw ]] || fail "$output"
	[ "$(knn "$D" '[1,0,0]')" = "1 6 4 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-sql -d "$D" -c "REINDEX tv" -c "REINDEX t" -c "REINDEX"
	run -0 ls "$D/sql-vec"
	[ "${#lines[@]}" = 2 ] || fail "the current and the previous generation: $output"
	[ "$(knn "$D" '[1,0,0]')" = "1 6 4 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-sql -d "$D" -c "DROP INDEX tv"
	run -0 ls -A "$D/sql-vec"
	assert_output ""
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tv ON t USING hnsw (v)" -c "DROP TABLE t"
	run -0 ls -A "$D/sql-vec"
	assert_output ""
	run -0 sochdb-kv -d "$D" stats --format json
}

# queries DB SET [PRAGMA...]: runs the oracle's queries of SET against DB
# into $BATS_TEST_TMPDIR/got.tsv and dumps DB's committed rows into
# $BATS_TEST_TMPDIR/rows.tsv (the oracle reads them from there).
queries() {
	local db=$1 set=$2
	export HNSW_NQ=20
	shift 2
	{ for p in "$@"; do echo "$p;"; done; $PY "$ORACLE" sql "$F" "$set" cosine 10; } >"$BATS_TEST_TMPDIR/q.sql"
	sochdb-sql -d "$db" --no-header <"$BATS_TEST_TMPDIR/q.sql" >"$BATS_TEST_TMPDIR/got.tsv"
	sochdb-sql -d "$db" --no-header -c "SELECT id, cat, grp, vec_to_json(emb) FROM docs" >"$BATS_TEST_TMPDIR/rows.tsv"
}

# oracle SET MIN: the oracle's check of got.tsv against rows.tsv.
oracle() {
	local o=$BATS_TEST_TMPDIR/o
	mkdir -p "$o"
	cp "$F/q.npy" "$F/qc.txt" "$o/"
	cp "$BATS_TEST_TMPDIR/rows.tsv" "$o/rows.tsv"
	run -0 $PY "$ORACLE" check "$o" "$1" cosine 10 "$BATS_TEST_TMPDIR/got.tsv" "$2"
	echo "$output"
}

recall_of() {
	local o=$BATS_TEST_TMPDIR/o
	mkdir -p "$o"
	cp "$F/q.npy" "$F/qc.txt" "$o/"
	cp "$BATS_TEST_TMPDIR/rows.tsv" "$o/rows.tsv"
	$PY "$ORACLE" recall "$o" "$1" cosine 10 "$BATS_TEST_TMPDIR/got.tsv"
}

@test "30% churn (inserts, vector updates, deletes): recall through delta and tombstones within 0.01 of a fresh build (REINDEX)" {
	cp -a "$F/db" "$D"
	$PY "$ORACLE" more "$F" 4000 100000 2303
	run -0 sochdb-sql -d "$D" -c ".import --npy $F/more.npy docs emb --ids $F/more_ids.npy" \
		-c "UPDATE docs SET cat = abs(random()) % 100, grp = id % 50 WHERE id >= 100000" \
		-c "UPDATE docs SET emb = (SELECT o.emb FROM docs AS o WHERE o.id = docs.id + 102000) WHERE id < 2000" \
		-c "DELETE FROM docs WHERE id >= 102000" -c "DELETE FROM docs WHERE id % 10 = 5 AND id < 100000"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM docs"
	queries "$D" churn
	oracle churn 0.95
	before=$(recall_of churn)
	run -0 sochdb-sql -d "$D" -c "REINDEX i"
	queries "$D" churn
	oracle churn 0.95
	after=$(recall_of churn)
	echo "recall with the delta $before, after the fold $after"
	run -0 $PY -c "import sys; sys.exit(0 if float('$before') >= float('$after') - 0.01 else 1)"
}

@test "kill -9 during index maintenance: after reopen the index agrees with the committed rows" {
	cp -a "$F/db" "$D"
	$PY "$ORACLE" more "$F" 3000 200000 2304
	$PY - "$F" >"$BATS_TEST_TMPDIR/churn.sql" <<'PYEOF'
import numpy as np, sys
d = sys.argv[1]
y = np.load(d + "/more.npy")
for i, v in enumerate(y):
    lit = "[" + ",".join("%.9g" % t for t in v) + "]"
    print("INSERT INTO docs VALUES (%d, %d, %d, '%s');" % (200000 + i, i % 100, i % 50, lit))
    print("UPDATE docs SET emb = '%s' WHERE id = %d;" % (lit, (i * 7) % 20000))
    print("DELETE FROM docs WHERE id = %d;" % ((i * 13 + 5) % 20000))
PYEOF
	# stdin is a fifo we hold open, so the shell is still alive (working or
	# waiting for more) when it is killed, however fast the machine is
	mkfifo "$BATS_TEST_TMPDIR/in"
	sochdb-sql -d "$D" --sync normal <"$BATS_TEST_TMPDIR/in" >/dev/null 2>&1 &
	pid=$!
	exec 5>"$BATS_TEST_TMPDIR/in"
	cat "$BATS_TEST_TMPDIR/churn.sql" >&5 &
	catpid=$!
	sleep 1.5
	kill -9 $pid
	wait $pid || true
	exec 5>&-
	wait $catpid || true
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM docs WHERE id >= 200000"
	echo "committed inserts: $output"
	queries "$D" churn
	oracle churn 0.95
}

@test "kill -9 during a fold (REINDEX): the old generation serves; the next fold succeeds and leaves no temporary file" {
	cp -a "$F/db" "$D"
	run -0 sochdb-sql -d "$D" -c "INSERT INTO docs SELECT id + 300000, cat, grp, emb FROM docs WHERE id < 500" -c "DELETE FROM docs WHERE id BETWEEN 1000 AND 1400"
	sochdb-sql -d "$D" -c "REINDEX i" >/dev/null 2>&1 &
	pid=$!
	sleep 0.7
	# a fast machine may finish the fold first: then the kill finds no process
	kill -9 $pid 2>/dev/null && echo "killed during the fold" || echo "the fold finished before the kill"
	wait $pid || true
	queries "$D" churn
	oracle churn 0.95
	run -0 sochdb-wal -d "$D" verify
	run -0 sochdb-sql -d "$D" -c "REINDEX i"
	run -0 ls "$D/sql-vec"
	refute_output --partial tmp
	queries "$D" churn
	oracle churn 0.95
}

@test "sochdb-wal checkpoint and compact fold an index with a large delta; verify checks the index files; backup copies them; salvage keeps or drops them" {
	small
	run -0 sochdb-sql -d "$D" -c "CREATE INDEX tv ON t USING hnsw (v)" -c "INSERT INTO t VALUES (6, 0, '[0.9,0,0]', 'f')"
	run -0 sochdb-wal -d "$D" checkpoint
	run -0 ls "$D/sql-vec"
	[[ "$output" =~ ^[0-9]+-1\.hnsw$ ]] || fail "one row pending is not worth a fold: $output"
	run -0 sochdb-sql -d "$D" -c "INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n WHERE i < 400) SELECT i, 0, vector('[' || i || ',1,1]'), 'x' FROM n"
	run -0 sochdb-wal -d "$D" checkpoint -v
	assert_output --partial "folded 1 hnsw index"
	run -0 ls "$D/sql-vec"
	[[ "$output" =~ [0-9]+-2\.hnsw ]] || fail "$output"
	run -0 sochdb-sql -d "$D" -c "DELETE FROM t WHERE id >= 100"
	run -0 sochdb-wal -d "$D" compact -v
	assert_output --partial "folded 1 hnsw index"
	[ "$(knn "$D" '[1,0,0]')" = "1 6 4 " ] || fail "$(knn "$D" '[1,0,0]')"
	run -0 sochdb-wal -d "$D" verify -v
	assert_output --partial "ok: 1 hnsw index files"
	run -0 sochdb-wal -d "$D" backup "$BATS_TEST_TMPDIR/bk"
	run -0 sochdb-wal -d "$BATS_TEST_TMPDIR/bk" verify
	[ "$(knn "$BATS_TEST_TMPDIR/bk" '[1,0,0]')" = "1 6 4 " ] || fail "backup: $(knn "$BATS_TEST_TMPDIR/bk" '[1,0,0]')"
	run -0 sochdb-sql -d "$BATS_TEST_TMPDIR/bk" --no-header -c "EXPLAIN QUERY PLAN SELECT id FROM t ORDER BY vec_distance_l2(v, '[1,0,0]') LIMIT 2"
	assert_output "2	0	0	SEARCH t USING HNSW INDEX tv"
	run -0 sochdb-wal -d "$D" salvage "$BATS_TEST_TMPDIR/sv"
	run -0 ls "$BATS_TEST_TMPDIR/sv/sql-vec"
	[ "$(knn "$BATS_TEST_TMPDIR/sv" '[1,0,0]')" = "1 6 4 " ] || fail "salvage: $(knn "$BATS_TEST_TMPDIR/sv" '[1,0,0]')"
	# a damaged index file: verify and backup exit 1 (nothing at DEST), salvage leaves it out
	f=$(ls "$D"/sql-vec/*.hnsw | tail -1)
	printf '\125' | dd of="$f" bs=1 seek=4100 conv=notrunc 2>/dev/null
	run -1 --separate-stderr sochdb-wal -d "$D" verify
	[[ "$stderr" =~ ^sochdb-wal:\ \'.*\.hnsw\'\ is\ damaged:\ checksum\ mismatch\ in\ section\ \'vectors\'$ ]] || fail "$stderr"
	run -1 sochdb-wal -d "$D" backup "$BATS_TEST_TMPDIR/bk2"
	[ ! -e "$BATS_TEST_TMPDIR/bk2" ]
	run -1 --separate-stderr sochdb-wal -d "$D" salvage "$BATS_TEST_TMPDIR/sv2"
	assert_equal "$(grep -c 'REINDEX tv rebuilds it' <<<"$stderr")" 1
	[ "$(knn "$BATS_TEST_TMPDIR/sv2" '[1,0,0]')" = "1 6 4 " ] || fail "salvage: $(knn "$BATS_TEST_TMPDIR/sv2" '[1,0,0]')"
	run -0 sochdb-sql -d "$BATS_TEST_TMPDIR/sv2" -c "INSERT INTO t VALUES (7, 0, '[1,0,0.01]', 'g')" -c "REINDEX tv"
	[ "$(knn "$BATS_TEST_TMPDIR/sv2" '[1,0,0]')" = "1 7 6 " ] || fail "after REINDEX: $(knn "$BATS_TEST_TMPDIR/sv2" '[1,0,0]')"
	run -0 sochdb-wal -d "$BATS_TEST_TMPDIR/sv2" verify
}
