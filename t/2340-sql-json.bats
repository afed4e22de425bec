#!/usr/bin/env bats
# 2340-sql-json: SQLite's JSON functions (lib/sql/json.c) against
# Debian's sqlite3 query by query: every function, the -> and ->>
# operators, json_each/json_tree, the aggregates, the JSON subtype rule
# and every error message ("malformed JSON", "JSON path error near ...").
# The cases are t/helpers/sql_json_cases.sql, one statement a line; the
# expected output is what sqlite3 prints for it, computed here.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
	CASES=$BATS_TEST_DIRNAME/helpers/sql_json_cases.sql
}

@test "every JSON case agrees with sqlite3 (values, rows, errors)" {
	n=0 bad=0
	while IFS= read -r q; do
		n=$((n + 1))
		want=$(sqlite3 -csv :memory: "$q" 2>&1 | sed -E 's/^Error: (in prepare, |stepping, )?/E: /')
		got=$(sochdb-sql --format csv --no-header -c "$q" 2>&1 | sed -E 's/^sochdb-sql: (line [0-9]+, column [0-9]+: )?/E: /')
		if [[ $want == "E: "* ]]; then
			want=${want%%$'\n'*}
			got=${got%%$'\n'*}
		fi
		if [ "$want" != "$got" ]; then
			bad=$((bad + 1))
			printf 'case %d: %s\n  sqlite3: %s\n  sochdb:  %s\n' "$n" "$q" "$want" "$got"
		fi
	done <"$CASES"
	[ "$n" -ge 80 ]
	[ "$bad" -eq 0 ]
}

@test "errors exit 3 with one line naming the position" {
	run -3 sochdb-sql -c "SELECT json('[1')"
	assert_output "sochdb-sql: line 1, column 1: malformed JSON"
	run -3 sochdb-sql -c "SELECT json_extract('{\"a\":[1]}', '\$.a[')"
	assert_output --partial "JSON path error near"
	run -3 sochdb-sql -c "SELECT json_array(x'00')"
	assert_output --partial "JSON cannot hold BLOB values"
}

@test "a JSON column: filters through ->>, json_each joined to rows, aggregates, EQP" {
	sql() { printf '%s\n' \
		"CREATE TABLE docs(id INTEGER PRIMARY KEY, meta TEXT);" \
		"INSERT INTO docs VALUES (1, '{\"cat\":\"tech\",\"year\":2021,\"tags\":[\"ai\",\"db\"]}');" \
		"INSERT INTO docs VALUES (2, '{\"cat\":\"art\",\"year\":2019,\"tags\":[]}');" \
		"INSERT INTO docs VALUES (3, '{\"cat\":\"tech\",\"year\":2018,\"tags\":[\"db\"],\"x\":{\"y\":[1,2]}}');" \
		"INSERT INTO docs VALUES (4, NULL);"; }
	queries=(
		"SELECT id FROM docs WHERE meta ->> 'cat' = 'tech' AND meta ->> '\$.year' >= 2020 ORDER BY id"
		"SELECT d.id, j.value FROM docs d, json_each(d.meta, '\$.tags') AS j ORDER BY d.id, j.key"
		"SELECT j.value, count(*) FROM docs, json_each(meta -> 'tags') j GROUP BY j.value ORDER BY 1"
		"SELECT json_group_array(id), json_group_object(meta ->> 'cat', id) FROM (SELECT * FROM docs WHERE meta IS NOT NULL ORDER BY id)"
		"SELECT id, json_extract(meta, '\$.x.y[#-1]', '\$.cat'), json_array_length(meta, '\$.tags') FROM docs ORDER BY id"
		"SELECT id, json_set(meta, '\$.seen', json('true')) FROM docs WHERE id < 3 ORDER BY id"
		"SELECT count(*) FROM docs, json_tree(docs.meta) t WHERE t.atom IS NOT NULL"
		"SELECT docs.id FROM docs WHERE EXISTS (SELECT 1 FROM json_each(docs.meta, '\$.tags') WHERE value = 'db') ORDER BY docs.id"
	)
	sql >"$BATS_TEST_TMPDIR/s.sql"
	sqlite3 "$BATS_TEST_TMPDIR/ref.db" <"$BATS_TEST_TMPDIR/s.sql"
	sochdb-sql -d "$D" "$BATS_TEST_TMPDIR/s.sql"
	for q in "${queries[@]}"; do
		want=$(sqlite3 -csv "$BATS_TEST_TMPDIR/ref.db" "$q")
		run -0 sochdb-sql -d "$D" --format csv --no-header -c "$q"
		[ "$output" = "$want" ] || { printf '%s\n  sqlite3: %s\n  sochdb:  %s\n' "$q" "$want" "$output"; false; }
	done
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT * FROM docs, json_each(docs.meta) j"
	assert_output --partial "SCAN j VIRTUAL TABLE INDEX 1:"
	# hidden columns: not in *, readable by name
	run -0 sochdb-sql --format csv -c "SELECT * FROM json_each('[7]')"
	assert_output "$(sqlite3 -csv -header :memory: "SELECT * FROM json_each('[7]')")"
	run -0 sochdb-sql --no-header -c "SELECT json, root FROM json_each('[7]', '\$')"
	assert_output "$(printf '[7]\t$')"
}

@test "the JSON subtype: json() nested stays JSON, text stays a string, stored values lose it" {
	run -0 sochdb-sql --no-header -c "SELECT json_array(json('[1]'), '[1]', json_object('a', json_quote('x')))"
	assert_output '[[1],"[1]",{"a":"x"}]'
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(j TEXT)" -c "INSERT INTO t VALUES (json('[1]'))" \
		--no-header -c "SELECT json_array(j) FROM t"
	assert_output "$(sqlite3 :memory: "CREATE TABLE t(j TEXT); INSERT INTO t VALUES (json('[1]')); SELECT json_array(j) FROM t")"
}
