#!/usr/bin/env bats
# 2201-sql-diff: the differential test against SQLite (t/slt/sqldiff.c):
# seeded schemas, data and 5,000 statements (x STRESS_SCALE) run on the
# sochdb engine and on libsqlite3, results compared. First proven on
# SQLite against itself with unordered results reversed (comparisons are
# order-blind exactly where SQL leaves the order open) and against
# SQLite with a case-sensitive LIKE (a difference is caught and named).
# With -j/-w (JSON, windows) and -o (outer joins) on seeds of their own.
# Replay a failure with the seed and count it prints:
#   build/t/slt/sqldiff -s SEED -n N -v [-d statements.sql]

load test_helper

setup() {
	DIFF=$BUILD/t/slt/sqldiff
	SEED=${SQL_DIFF_SEED:-20261201}
	N=$(scaled 5000)
}

@test "the generator on SQLite against itself, unordered rows reversed: no difference" {
	run -0 "$DIFF" -s "$SEED" -n "$N" -b sqlite,sqlite-reverse -v
	assert_line --regexp "^sqldiff: [0-9]+ statements compared \\([0-9]+ queries, [0-9]+ writes incl. schema and data\\), 0 skipped after a state difference, 0 crashes$"
	assert_line "sqldiff: 0 mismatches: 0 expected (listed features), 0 unexpected"
}

@test "a peer whose LIKE is case-sensitive is caught, each mismatch naming the feature" {
	run -1 "$DIFF" -s "$SEED" -n 2000 -b sqlite,sqlite-cslike -v
	assert_line --regexp '^sqldiff: [1-9][0-9]* mismatches: 0 expected \(listed features\), [1-9][0-9]* unexpected$'
	assert_line --regexp '^statement [0-9]+ \[.*like.*\]: '
	# every mismatch involves LIKE
	! grep -E '^statement [0-9]+ \[' <<<"$output" | grep -v '\blike\b'
	printf 'feature like\nfeature droptable\n' >"$BATS_TEST_TMPDIR/known"
	run -0 "$DIFF" -s "$SEED" -n 2000 -b sqlite,sqlite-cslike -k "$BATS_TEST_TMPDIR/known"
	assert_line --regexp '^sqldiff: [1-9][0-9]* mismatches: [1-9][0-9]* expected \(listed features\), 0 unexpected$'
	assert_line "sqldiff: listed features that agreed in every statement: droptable"
}

@test "sochdb against SQLite: no mismatch outside t/slt/diff-known.txt" {
	local rc=0
	"$DIFF" -n 1 -b sqlite,sochdb >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 2 ] || skip "the sochdb SQL engine is not built yet (lib/sql/sql.c)"
	run "$DIFF" -s "$SEED" -n "$N" -b sqlite,sochdb -v -k "$TOP/t/slt/diff-known.txt"
	printf '%s\n' "$output" | head -n 80
	local sum=${lines[-1]:-}
	grep -E '^sqldiff: [0-9]+ statements compared' <<<"$output" |
		sed -E 's/^sqldiff: ([0-9]+) statements.*/\1/' |
		xargs -I{} printf '%-34s %12s   failures %s\n' "sql differential (statements)" {} \
			"$(grep -E '^sqldiff: [0-9]+ mismatches' <<<"$output" | sed -E 's/.*, ([0-9]+) unexpected/\1/')" \
			>>"$BUILD/results-table.txt"
	[ "$status" -eq 0 ] || fail "mismatches outside t/slt/diff-known.txt"
	assert_line --regexp '^sqldiff: [0-9]+ mismatches: [0-9]+ expected \(listed features\), 0 unexpected$'
}

@test "sochdb against SQLite with JSON (-j) and window functions (-w): no mismatch outside t/slt/diff-known.txt" {
	local rc=0
	"$DIFF" -n 1 -b sqlite,sochdb >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 2 ] || skip "the sochdb SQL engine is not built yet (lib/sql/sql.c)"
	# its own seed: the JSON and window forms change which statements the seed makes
	run "$DIFF" -s "${SQL_DIFF_JSON_SEED:-2}" -n "$N" -j 20 -w 30 -b sqlite,sochdb -v \
		-k "$TOP/t/slt/diff-known.txt" -d "$BATS_TEST_TMPDIR/stmts.sql"
	printf '%s\n' "$output" | head -n 80
	[ "$status" -eq 0 ] || fail "mismatches outside t/slt/diff-known.txt"
	assert_line --regexp '^sqldiff: [0-9]+ mismatches: [0-9]+ expected \(listed features\), 0 unexpected$'
	# JSON and window functions were compared, not assumed
	[ "$(grep -c 'json' "$BATS_TEST_TMPDIR/stmts.sql")" -ge "$((N / 20))" ]
	[ "$(grep -c ' OVER (' "$BATS_TEST_TMPDIR/stmts.sql")" -ge "$((N / 20))" ]
}

@test "sochdb against SQLite with outer joins (-o: RIGHT, FULL, LEFT, USING, NATURAL, parentheses): no mismatch" {
	local rc=0
	"$DIFF" -n 1 -b sqlite,sochdb >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 2 ] || skip "the sochdb SQL engine is not built yet (lib/sql/sql.c)"
	# the generator's outer joins first proven order-blind on SQLite itself
	run -0 "$DIFF" -s "${SQL_DIFF_OUTER_SEED:-3}" -n "$((N / 2))" -o 80 -b sqlite,sqlite-reverse
	assert_line "sqldiff: 0 mismatches: 0 expected (listed features), 0 unexpected"
	run "$DIFF" -s "${SQL_DIFF_OUTER_SEED:-3}" -n "$N" -o 80 -b sqlite,sochdb -v \
		-k "$TOP/t/slt/diff-known.txt" -d "$BATS_TEST_TMPDIR/stmts.sql"
	printf '%s\n' "$output" | head -n 80
	[ "$status" -eq 0 ] || fail "mismatches outside t/slt/diff-known.txt"
	assert_line --regexp '^sqldiff: [0-9]+ mismatches: [0-9]+ expected \(listed features\), 0 unexpected$'
	# every form was compared, not assumed
	for f in 'RIGHT JOIN' 'RIGHT OUTER JOIN' 'FULL JOIN' 'FULL OUTER JOIN' 'USING (id)' 'NATURAL ' 'JOIN (' 'FROM ('; do
		[ "$(grep -c "$f" "$BATS_TEST_TMPDIR/stmts.sql")" -ge 10 ] || fail "too few '$f'"
	done
}
