#!/usr/bin/env bats
# 2321-sql-fts-diff: the differential against SQLite's FTS5 (python3's
# sqlite3 module): a seeded corpus of 5,000 documents (ASCII and Latin-1
# words, upper and lower case) in unicode61, porter, trigram and
# external-content tables, updated and deleted in part, and 500 seeded
# MATCH queries of every form: the same rows, in the same order by bm25(),
# scores within 1e-9 relative, highlight() and snippet() texts equal
# (t/fts/ftsdiff.py; the rows FTS5 scores from positions its iterators
# kept from another row are the one documented difference).

load test_helper

@test "5,000 documents x 500 queries agree with SQLite's FTS5" {
	docs=$(awk -v s="$STRESS_SCALE" 'BEGIN { print int(5000 * s) }')
	[ "$docs" -ge 1000 ] || docs=1000
	queries=$(awk -v s="$STRESS_SCALE" 'BEGIN { print int(500 * s) }')
	[ "$queries" -ge 200 ] || queries=200
	run -0 /usr/bin/python3 "$TOP/t/fts/ftsdiff.py" "$BUILD/bin/sochdb-sql" "$BATS_TEST_TMPDIR/db" \
		--seed "${FTS_SEED:-20261202}" --docs "$docs" --queries "$queries"
	echo "$output"
	assert_output --partial ' 0 differences'
}
