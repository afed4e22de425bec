#!/usr/bin/env bats
# 2108-sql-cli-stream: SQL from a pipe or FIFO runs statement by statement
# as it arrives (a program driving the shell gets each answer before it
# sends the next statement; other processes see each commit at once),
# with the same output and error positions as the same script from a
# file, and in constant memory however long the input.

load test_helper

setup() {
	setup_db
	sochdb-sql -c "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)"
}

# waits (up to 10 s) until file $1 holds a line equal to $2
wait_line() {
	wait_until grep -qxF -- "$2" "$1" || fail "no line '$2' in $1: $(cat "$1" 2>/dev/null)"
}

@test "a FIFO-driven shell answers each statement before the next is sent" {
	local in=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$in"
	sochdb-sql --format csv --no-header - <"$in" >"$out" 2>&1 &
	local pid=$!
	exec 7>"$in"
	echo "INSERT INTO t VALUES(1, 'one');" >&7
	echo "SELECT 'n=' || count(*) FROM t;" >&7
	wait_line "$out" "n=1"
	# the commit is visible to another process while the shell runs
	run -0 sochdb-sql --format csv --no-header -c "SELECT b FROM t WHERE a = 1"
	assert_output one
	# a statement over several lines runs when its last line arrives
	printf 'SELECT\n' >&7
	printf "  'multi' ||\n" >&7
	sleep 0.3
	run grep -c multi "$out"
	assert_output 0
	printf "  'line';\n" >&7
	wait_line "$out" "multiline"
	# a dot-command line runs as it comes
	echo ".mode tsv" >&7
	echo "SELECT 'a', 'b';" >&7
	wait_line "$out" "a	b"
	# an error names its line; the shell goes on
	echo "SELECT nosuch;" >&7
	wait_line "$out" "sochdb-sql: line 8, column 1: no such column: nosuch"
	echo "SELECT 'still here'" >&7
	exec 7>&-
	wait "$pid" || true
	run tail -1 "$out"
	assert_output "still here"
}

@test "a script piped and the same script from a file: the same output and errors" {
	cat >"$BATS_TEST_TMPDIR/s.sql" <<'SQL'
-- a comment line
INSERT INTO t VALUES(10, 'x;y'), (11,
  'two
lines; with a semicolon');
SELECT a, length(b) FROM t ORDER BY a; SELECT 1 /* ; */ + 1;
.mode csv
SELECT * FROM t WHERE a = 10;
SELECT missing FROM t;
/* a block
   comment */ SELECT 'after';
SELECT 'unfinished'
SQL
	run --separate-stderr sochdb-sql "$BATS_TEST_TMPDIR/s.sql"
	local fout=$output ferr=$stderr
	rm -rf "$SOCHDB_DIR"
	sochdb-sql -c "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)"
	run --separate-stderr bash -c 'cat "$1" | sochdb-sql' _ "$BATS_TEST_TMPDIR/s.sql"
	[ "$output" = "${fout}" ] || fail "stdout differs: '$output' vs '$fout'"
	[ "$stderr" = "${ferr//"$BATS_TEST_TMPDIR/s.sql: "/}" ] || fail "stderr differs: '$stderr' vs '$ferr'"
	assert_output --partial "10,x;y"
	assert_output --partial "unfinished"
	[[ "$stderr" == "sochdb-sql: line 8, column 1: no such column: missing" ]] || fail "stderr: '$stderr'"
	# a FIFO named as FILE streams too, with its name in messages
	mkfifo "$BATS_TEST_TMPDIR/f.sql"
	cat "$BATS_TEST_TMPDIR/s.sql" >"$BATS_TEST_TMPDIR/f.sql" &
	rm -rf "$SOCHDB_DIR"
	sochdb-sql -c "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)"
	run --separate-stderr sochdb-sql "$BATS_TEST_TMPDIR/f.sql"
	[ "$output" = "$fout" ] || fail "FIFO stdout differs: '$output'"
	[[ "$stderr" == "sochdb-sql: $BATS_TEST_TMPDIR/f.sql: line 8, column 1: no such column: missing" ]] || fail "stderr: '$stderr'"
}

@test "a long piped script runs in constant memory" {
	# AddressSanitizer's shadow and quarantine: no RSS bound to check
	[ "$(basename "$BUILD")" = build-san ] && skip "peak RSS is not measured under SANITIZE=1"
	# 400,000 statements, ~47 MB of SQL: read whole it would need > 47 MB
	run -0 bash -c 'awk "BEGIN { for (i = 0; i < 400000; i++) printf \"SELECT %d, '\''%0100d'\'';\n\", i, 0 }" |
		/usr/bin/time -f %M -o "$1" sochdb-sql --format csv --no-header | tail -1' _ "$BATS_TEST_TMPDIR/rss"
	assert_output "399999,$(printf '%0100d' 0)"
	local kb; kb=$(tail -1 "$BATS_TEST_TMPDIR/rss")
	echo "# peak RSS ${kb} KiB" >&3
	[ "$kb" -lt 30000 ] || fail "peak RSS $kb KiB for a 47 MB piped script"
}

@test "--bail stops a piped script at its first error (exit 3, as from a file)" {
	run -3 --separate-stderr bash -c 'printf "SELECT 1;\nSELECT nosuch;\nSELECT 2;\n" | sochdb-sql --bail --no-header'
	assert_output 1
	run -3 --separate-stderr bash -c 'printf "SELECT 1;\nSELECT nosuch;\nSELECT 2;\n" | sochdb-sql --no-header'
	assert_output "1"$'\n'"2"
	[[ "$stderr" == *"no such column: nosuch" ]]
}
@test "a read error on a streamed input is one line and exit 3; nothing after it runs" {
	# a directory as standard input: read() fails with EISDIR
	run -3 --separate-stderr sochdb-sql --no-header - </
	[ -z "$output" ]
	[ "$stderr" = "sochdb-sql: cannot read '<stdin>': Is a directory" ]
	# what ran before the failing input still stands, what follows does not
	run -3 --separate-stderr sochdb-sql --no-header -c 'SELECT 1' - -c 'SELECT 2' </
	assert_output 1
	[ "${#stderr_lines[@]}" = 1 ]
}
