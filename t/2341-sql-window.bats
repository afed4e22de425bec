#!/usr/bin/env bats
# 2341-sql-window: window functions (lib/sql/window.c) against Debian's
# sqlite3 on the same table: OVER with PARTITION BY / ORDER BY, named
# windows and their inheritance, frames ROWS/RANGE/GROUPS with every bound
# and EXCLUDE, the ranking and value functions, aggregates as windows
# (FILTER, over GROUP BY results), window results in ORDER BY, and
# SQLite's errors (its `near "X": syntax error` read as our documented
# `syntax error near "X"`). Cases: t/helpers/sql_window_cases.sql, one a
# line.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
	CASES=$BATS_TEST_DIRNAME/helpers/sql_window_cases.sql
	S="CREATE TABLE t(a INTEGER, b INTEGER); INSERT INTO t VALUES (1,5),(1,3),(2,2),(2,2),(3,7),(4,1),(4,9),(NULL,4),(5,NULL);"
	sqlite3 "$BATS_TEST_TMPDIR/ref.db" "$S"
	sochdb-sql -d "$D" -c "$S"
}

@test "every window case agrees with sqlite3 (rows in order, errors)" {
	n=0 bad=0
	while IFS= read -r q; do
		n=$((n + 1))
		want=$(sqlite3 -csv "$BATS_TEST_TMPDIR/ref.db" "$q" 2>&1 | sed -E 's/^Error: (in prepare, |stepping, )?/E: /; s/^E: near ("[^"]*"): syntax error$/E: syntax error near \1/')
		got=$(sochdb-sql -d "$D" --format csv --no-header -c "$q" 2>&1 | sed -E 's/^sochdb-sql: (line [0-9]+, column [0-9]+: )?/E: /')
		if [[ $want == "E: "* ]]; then
			want=${want%%$'\n'*}
			got=${got%%$'\n'*}
		fi
		if [ "$want" != "$got" ]; then
			bad=$((bad + 1))
			printf 'case %d: %s\n  sqlite3: %s\n  sochdb:  %s\n' "$n" "$q" "$want" "$got"
		fi
	done <"$CASES"
	[ "$n" -ge 32 ]
	[ "$bad" -eq 0 ]
}

@test "a window over many rows: running sums and ranks as sqlite3, errors exit 3" {
	seq 1 3000 | awk '{ printf "INSERT INTO big VALUES (%d, %d, %d);\n", $1, ($1 * 7919) % 13, ($1 * 104729) % 1000 }' >"$BATS_TEST_TMPDIR/rows.sql"
	{ echo "CREATE TABLE big(id INTEGER PRIMARY KEY, g INTEGER, v INTEGER);"; echo "BEGIN;"; cat "$BATS_TEST_TMPDIR/rows.sql"; echo "COMMIT;"; } >"$BATS_TEST_TMPDIR/big.sql"
	sqlite3 "$BATS_TEST_TMPDIR/big.db" <"$BATS_TEST_TMPDIR/big.sql"
	sochdb-sql -d "$D" "$BATS_TEST_TMPDIR/big.sql"
	q="SELECT id, sum(v) OVER (PARTITION BY g ORDER BY id), rank() OVER (PARTITION BY g ORDER BY v), avg(v) OVER (ORDER BY id ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING) FROM big ORDER BY id"
	want=$(sqlite3 -csv "$BATS_TEST_TMPDIR/big.db" "$q" | md5sum)
	got=$(sochdb-sql -d "$D" --format csv --no-header -c "$q" | md5sum)
	[ "$want" = "$got" ]
	run -3 sochdb-sql -d "$D" -c "SELECT v FROM big WHERE rank() OVER () > 1"
	assert_output "sochdb-sql: line 1, column 1: misuse of window function rank()"
}
