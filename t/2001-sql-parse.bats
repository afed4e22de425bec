#!/usr/bin/env bats
# 2001-sql-parse: the SQL parser and printer (lib/sql) against SQLite
# itself. Random expressions mixing every operator without parentheses
# give the same values in SQLite as the parser's fully parenthesized text
# of them (so its precedence and associativity are SQLite's), and what
# SQLite refuses as a syntax error the parser refuses too; a script with
# one statement of each form gives the same output in sqlite3 as written
# and as printed back.

load test_helper

setup() {
	command -v sqlite3 >/dev/null ||
		skip "sqlite3 not installed (scripts/install-deps.sh test): lib/sql is not compared with SQLite"
	python3 -c 'import sqlite3' 2>/dev/null ||
		skip "python3 with its sqlite3 module not installed: lib/sql is not compared with SQLite"
	PARSE=$BUILD/t/unit/test_sql_parse
}

@test "random expressions: same values in SQLite after the parser parenthesizes them" {
	local seed=${SQL_PRECEDENCE_SEED:-20261201} n
	n=$(scaled 4000)
	awk -v seed="$seed" -v n="$n" -f "$TOP/t/helpers/sqlexpr.awk" >"$BATS_TEST_TMPDIR/orig.sql"
	run -1 "$PARSE" --print <"$BATS_TEST_TMPDIR/orig.sql" # some are syntax errors
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/canon.sql"
	# fully parenthesized: the canonical text of an operator has its parentheses
	assert_line --regexp '^SELECT \(\(.* (AND|OR) .*\)\);$'
	run -0 python3 "$TOP/t/helpers/sql_precedence.py" "$BATS_TEST_TMPDIR/orig.sql" \
		"$BATS_TEST_TMPDIR/canon.sql"
	assert_output --regexp "^$n statements: same values [0-9]+, same runtime errors [0-9]+, refused by both [1-9][0-9]*, mismatches 0$"
}

@test "the precedence check fails when the parser groups differently" {
	# A wrong grouping of one statement must be caught by the helper.
	printf 'SELECT 1 + 2 * 3;\n' >"$BATS_TEST_TMPDIR/orig.sql"
	printf 'SELECT ((1 + 2) * 3);\n' >"$BATS_TEST_TMPDIR/canon.sql"
	run -1 python3 "$TOP/t/helpers/sql_precedence.py" "$BATS_TEST_TMPDIR/orig.sql" \
		"$BATS_TEST_TMPDIR/canon.sql"
	assert_line --partial "different results"
	printf 'error: line 1, column 10: near "+": syntax error\n' >"$BATS_TEST_TMPDIR/canon.sql"
	run -1 python3 "$TOP/t/helpers/sql_precedence.py" "$BATS_TEST_TMPDIR/orig.sql" \
		"$BATS_TEST_TMPDIR/canon.sql"
	assert_line --partial "the parser refused what SQLite accepts"
}

@test "every statement form: sqlite3 gives the same output for the script as printed back" {
	local forms=$TOP/t/helpers/sql_forms.sql
	run -0 "$PARSE" --print <"$forms"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/canon.sql"
	[ "${#lines[@]}" -eq "$(grep -vc '^--' "$forms")" ]
	assert_line 'INSERT INTO t (name, c, e) VALUES ('"'z'"', 4, '"'p'"') ON CONFLICT (e) DO UPDATE SET c = (excluded.c + t.c) WHERE (t.c < 10) RETURNING id, name, c;'
	run sqlite3 :memory: <"$forms"
	local want=$output
	[ "${#lines[@]}" -gt 40 ]
	run sqlite3 :memory: <"$BATS_TEST_TMPDIR/canon.sql"
	assert_equal "$output" "$want"
}
