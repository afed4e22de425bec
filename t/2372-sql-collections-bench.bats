#!/usr/bin/env bats
# 2372-sql-collections-bench: scripts/bench/collections.sh itself, at a
# tiny scale (COLL_SCALE=0.01: 1,000 rows, 20 queries) without LanceDB:
# it runs to the end, prints every measurement and ratio line with its
# target, and the exact answers it measures are right (k-NN recall 1.0
# against numpy at every selectivity, FTS top 10 equal to FTS5's, hybrid
# equal to RRF over the exact lists). Speed is make bench's business,
# never asserted here.

load test_helper

@test "collections bench at COLL_SCALE=0.01: every line, exact answers" {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "python3-numpy missing"
	run -0 env SOCHDB_BUILD="$BUILD" COLL_SCALE=0.01 COLL_NO_LANCE=1 COLL_BENCH_DIR="$BATS_TEST_TMPDIR/w" \
		"$TOP/scripts/bench/collections.sh"
	assert_line --regexp '^collections bench: 1000 x 128 vectors \(clustered, L2\) \+ 1000 documents, 20 queries, k 10, 1 query thread; .* loadavg '
	assert_line 'collections bench: LanceDB left out (COLL_NO_LANCE)'
	assert_line --regexp '^sochdb-sql: (HNSW index|no HNSW index: exact path \(20 of the 20 k-NN and hybrid queries\))'
	assert_line --regexp '^vectors load  sochdb-bulk build-index [0-9.]+s .* sochdb-sql \.import --npy \(vectors \+ metadata\) [0-9.]+s .* metadata index [0-9.]+s'
	assert_line --regexp '^  ratio sql import\+index / sochdb-bulk build-index '
	assert_line --regexp '^fts build     fts5 [0-9.]+s \([0-9]+ MiB\)   sochdb-sql [0-9.]+s'
	assert_line --regexp '^  ratio sochdb-sql / fts5 build time +[0-9.]+ \(target <= 1.0\) (ok|MISSED)(   by CPU time [0-9.]+)?$'
	exact=1
	grep -q '^sochdb-sql: HNSW index' <<<"$output" && exact=
	for p in 100 10 1 '0\.1'; do
		if [ -n "$exact" ]; then
			assert_line --regexp "^knn $p% +sochdb-sql [0-9]+ q/s \(cpu [0-9]+\) recall 1\.000, 1\.000 of queries with k rows"
		else
			assert_line --regexp "^knn $p% +sochdb-sql [0-9]+ q/s \(cpu [0-9]+\) recall (0\.9[5-9][0-9]|1\.000), 1\.000 of queries with k rows"
		fi
	done
	assert_line --regexp '^knn 100% .* sochdb-bulk query \(unfiltered, ef [0-9]+\) [0-9]+ q/s \(cpu [0-9]+; [0-9]+ q/s in its loop\) recall '
	assert_line --regexp '^  ratio sochdb-sql unfiltered / sochdb-bulk query q/s [0-9.]+ \(target >= 0.77\) (ok|MISSED)(   by CPU time [0-9.]+)?$'
	assert_line --regexp '^  ratio sochdb-sql 0.1% / sochdb-bulk unfiltered q/s +[0-9.]+ \(target >= 0.3\) (ok|MISSED)(   by CPU time [0-9.]+)?$'
	assert_line --regexp '^fts AND    fts5 [0-9]+ q/s \(cpu [0-9]+\) \([0-9]+ MiB\)   sochdb-sql [0-9]+ q/s \(cpu [0-9]+\), top 10 agree with fts5 1\.000'
	assert_line --regexp '^fts OR     fts5 [0-9]+ q/s \(cpu [0-9]+\) \([0-9]+ MiB\)   sochdb-sql [0-9]+ q/s \(cpu [0-9]+\), top 10 agree with fts5 1\.000'
	assert_line --regexp '^  ratio sochdb-sql / fts5 OR q/s +[0-9.]+ \(target >= 20\) (ok|MISSED)(   by CPU time [0-9.]+)?$'
	assert_line --regexp '^hybrid        sochdb-sql [0-9]+ q/s \(cpu [0-9]+\) recall (0\.9[5-9][0-9]|1\.000) '
	assert_line --regexp '^loadavg after: '
	refute_line --partial 'failed'
}
