#!/usr/bin/env bats
# 0002-unit: runs every C unit test binary (t/unit/*.c) and replays every
# fuzz corpus and kept crasher (t/fuzz/corpus/TARGET/) through its target.

load test_helper

@test "every C unit test binary passes" {
	local n=0
	for u in "$BUILD"/t/unit/*; do
		[ -x "$u" ] || continue
		run -0 "$u"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "fuzz corpora and kept crashers replay cleanly" {
	local n=0
	for r in "$BUILD"/t/fuzz/*-replay; do
		[ -x "$r" ] || continue
		t=$(basename "$r" -replay)
		[ -d "$TOP/t/fuzz/corpus/$t" ] || fail "no corpus for fuzz target $t"
		run -0 "$r" "$TOP/t/fuzz/corpus/$t"
		n=$((n + 1))
		# the results table (scripts/run-tests.sh prints it at the end)
		printf '%-34s %12s   failures 0\n' "fuzz replay: $t (inputs)" \
			"${lines[-1]//[^0-9]/}" >>"$BUILD/results-table.txt"
	done
	[ -z "$(ls "$TOP"/t/fuzz/*.c 2>/dev/null | grep -v driver.c)" ] || [ "$n" -gt 0 ]
}

@test "the SQL parser parses every sqllogictest statement and prints it back stably" {
	local dir=${SQLLOGICTEST_DIR:-$TOP/../shared/sqllogictest}
	[ -d "$dir/test/evidence" ] ||
		skip "SQLite's sqllogictest not found (set SQLLOGICTEST_DIR or put it in ../shared/sqllogictest beside the clone): the SQL parser is not checked against it"
	run -0 "$BUILD/t/unit/test_sql_parse" --slt "$dir"
	assert_line --regexp '^sqllogictest: 15 files, .* statements: [0-9]+ parsed, 0 failed; .* 0 not stable through print$'
	local parsed=${output#*statements: }
	printf '%-34s %12s   failures 0\n' "sql parse: sqllogictest stmts" \
		"${parsed%% parsed*}" >>"$BUILD/results-table.txt"
}
