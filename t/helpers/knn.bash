# knn.bash - shared by the k-NN suites (t/2303, t/2305, t/2306): seeded
# vectors, a copy of the file's database per test, k-NN scripts.

# knn_vectors N SEED: N random 8-d vector literals, one a line
knn_vectors() {
	awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) { printf "["
		for (j = 0; j < 8; j++) printf "%s%.4f", j ? "," : "", rand() * 2 - 1
		printf "]\n" } }'
}

# knn_setup: each test on its own copy of the file's database $F/db (as $D)
knn_setup() {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	F=$BATS_FILE_TMPDIR
	D=$BATS_TEST_TMPDIR/db
	cp -r "$F/db" "$D"
	unset SOCHDB_DIR
}

# knn_script TABLE WHERE [COLUMNS]: one k-NN statement (k 10) per query
# vector of $F/q.txt, each followed by SELECT 'END'
knn_script() {
	while read -r q; do
		echo "SELECT ${3:-id, c} FROM $1 WHERE $2 ORDER BY vec_distance_l2(v, '$q') LIMIT 10;"
		echo "SELECT 'END';"
	done <"$F/q.txt"
}

# knn_rows N SEED: N CSV rows "id,c,vector" (c = id % 100, 8-d vectors)
knn_rows() {
	awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 1; i <= n; i++) {
		printf "%d,%d,\"[", i, i % 100
		for (j = 0; j < 8; j++) printf "%s%.4f", j ? "," : "", rand() * 2 - 1
		printf "]\"\n" } }'
}

# knn_db CSV [ARGS...]: $F/db with t(id, c, v VECTOR(8)) loaded from CSV,
# then ARGS (more -c statements), then its HNSW index tv (l2, m 16,
# ef_construction 100) built on one thread: the same graph every run, so
# the graph's answers can be compared with brute force row for row
knn_db() {
	local csv=$1
	shift
	OMP_NUM_THREADS=1 "$BUILD/bin/sochdb-sql" -d "$F/db" \
		-c "CREATE TABLE t(id INTEGER PRIMARY KEY, c INTEGER, v VECTOR(8))" \
		-c ".import --csv $csv t" "$@" \
		-c "CREATE INDEX tv ON t USING hnsw (v) WITH (metric = 'l2', m = 16, ef_construction = 100)" >/dev/null
}
