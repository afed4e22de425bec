#!/usr/bin/env bats
# 2200-slt: SQLite's own correctness suite, sqllogictest
# (../shared/sqllogictest beside the clone, or SQLLOGICTEST_DIR), run by
# the project's runner (t/slt/slt.c) on the sochdb engine. The runner is
# first proven on libsqlite3 itself: it must reproduce SQLite's known
# results exactly, and count as failures the records that are wrong.
# While the engine grows, t/slt/known-failures.txt lists the records it
# fails today; any other failure fails the suite.

load test_helper

setup() {
	SLT=$BUILD/t/slt/slt
	SLT_DIR=${SQLLOGICTEST_DIR:-$TOP/../shared/sqllogictest}
	CASES=$TOP/t/slt/cases
}

need_slt_dir() {
	[ -d "$SLT_DIR/test/evidence" ] ||
		fail "SQLite's sqllogictest not found at '$SLT_DIR' (set SQLLOGICTEST_DIR or put it in ../shared/sqllogictest beside the clone)"
}

need_engine() {
	local rc=0
	"$SLT" -e sochdb /dev/null >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 2 ] || skip "the sochdb SQL engine is not built yet (lib/sql/sql.c)"
}

@test "the runner on libsqlite3 3.40: every record passes but sum()'s integer overflow" {
	need_slt_dir
	run -1 "$SLT" -e sqlite -v -F "$BATS_TEST_TMPDIR/failed" "$SLT_DIR"
	assert_line "total: 15 files"
	assert_line "test/select1.test: 1031 passed, 0 failed"
	assert_line "test/select2.test: 1031 passed, 0 failed"
	assert_line "test/select3.test: 3351 passed, 0 failed"
	assert_line "test/select4.test: 3857 passed, 0 failed"
	assert_line "test/select5.test: 1436 passed, 0 failed"
	# SQLite 3.40 raises "integer overflow" in sum() where the SQLite
	# that made the file gave an empty result; the REAL results of
	# sum()/total() past 2^63 print as the files have them (16 digits)
	assert_line "test/evidence/slt_lang_aggfunc.test:480: query failed: integer overflow"
	assert_line "test/evidence/slt_lang_aggfunc.test: 79 passed, 1 failed"
	assert_line "test/evidence/slt_lang_createview.test: 23 passed, 0 failed"
	assert_line "11156 passed, 1 failed"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/failed")" "test/evidence/slt_lang_aggfunc.test:480"
}

@test "the runner reads every kind of record: types, sort modes, hashes, labels, skipif/onlyif, halt" {
	run -0 "$SLT" -e sqlite -v "$CASES/format.test"
	assert_output "$CASES/format.test: 11 passed, 0 failed
11 passed, 0 failed"
}

@test "the runner counts each wrong result as failed, names it, and goes on after a timeout" {
	run -1 "$SLT" -e sqlite -v -t 1 "$CASES/fail.test"
	local f=$CASES/fail.test
	assert_line "$f:10: statement failed: no such table: nosuch"
	assert_line "$f:13: statement succeeded, expected an error"
	assert_line "$f:16: result differs at value 3"
	assert_line "$f:23: result differs"
	assert_line "$f:28: 1 result columns, the record's types 'II' say 2"
	assert_line "$f:33: query failed: no such table: nosuch"
	assert_line "$f:45: result differs from the earlier queries labelled label-x"
	assert_line "$f:52: timed out after 1 s"
	assert_line "$f: 4 passed, 8 failed"
	# expected and got of a wrong result
	assert_output --partial "  SQL: SELECT a FROM t ORDER BY a
  expected:
    1
    2
    4
  got:
    1
    2
    3"
	# a known-failure list makes listed failures expected ...
	printf '%s\n' 10 13 16 23 28 33 45 52 | sed "s|^|$f:|" >"$BATS_TEST_TMPDIR/known"
	run -0 "$SLT" -e sqlite -t 1 -k "$BATS_TEST_TMPDIR/known" "$f"
	assert_line "known failures: 8 listed, 8 failed as listed, 0 listed now pass, 0 unexpected"
	# ... counts the listed ones that pass, and fails on any other
	printf '%s\n' 10 13 16 23 28 33 52 57 | sed "s|^|$f:|" >"$BATS_TEST_TMPDIR/known"
	run -1 "$SLT" -e sqlite -t 1 -k "$BATS_TEST_TMPDIR/known" "$f"
	assert_line "known failures: 8 listed, 7 failed as listed, 1 listed now pass, 1 unexpected"
}

@test "sqllogictest on sochdb: no failure outside t/slt/known-failures.txt" {
	need_slt_dir
	need_engine
	run "$SLT" -e sochdb -v -t 20 -k "$TOP/t/slt/known-failures.txt" \
		-F "$BATS_TEST_TMPDIR/failed" "$SLT_DIR"
	printf '%s\n' "$output" | grep -v '^  ' | tail -n 30
	local sum now
	sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$output")
	now=$(grep '^known failures:' <<<"$output")
	printf '%-34s %12s   failures %s\n' "sqllogictest on sochdb (passed)" \
		"${sum%% passed*}" "$(wc -l <"$BATS_TEST_TMPDIR/failed")" >>"$BUILD/results-table.txt"
	[ "$status" -eq 0 ] || fail "records failed outside t/slt/known-failures.txt ($now)"
	assert_line --regexp '^known failures: .* 0 unexpected$'
}
