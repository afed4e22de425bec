#!/usr/bin/env bats
# 1011-store-close-flush: a process that wrote to a database whose WAL
# holds more than 256 KiB since the checkpoint flushes it to a table as it
# closes (sochdb-sql, sochdb-kv, sochdb-graph), so the next short-lived
# process opens without replaying it. Below that the WAL stays; readers
# never flush; a failing flush at close only warns and loses nothing.

load test_helper

setup() {
	setup_db
}

# the stats field NAME of the database
stat_of() {
	sochdb-wal stats | awk -v k="$1:" '$1 == k { print $2 }'
}

assert_flushed() {
	[ "$(stat_of checkpoint_lsn)" = "$(stat_of wal_end_lsn)" ] ||
		fail "WAL not flushed at close: $(sochdb-wal stats | tr '\n' ' ')"
	[ "$(stat_of tables)" -ge 1 ] || fail "no table written"
}

assert_not_flushed() {
	[ "$(stat_of checkpoint_lsn)" -lt "$(stat_of wal_end_lsn)" ] ||
		fail "WAL flushed: $(sochdb-wal stats | tr '\n' ' ')"
	[ "$(stat_of tables)" = 0 ] || fail "a table was written"
}

# N rows of about 100 bytes in one transaction (N=4000: ~450 KiB of WAL)
rows_sql() {
	echo "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, s TEXT);"
	echo "BEGIN;"
	seq "$1" "$2" | awk '{ printf "INSERT INTO t VALUES(%d, '\''row%06d-%080d'\'');\n", $1, $1, 0 }'
	echo "COMMIT;"
}

@test "sochdb-sql: past 256 KiB of WAL the writer flushes at close; the rows read back" {
	rows_sql 1 4000 >"$BATS_TEST_TMPDIR/big.sql"
	run -0 sochdb-sql "$BATS_TEST_TMPDIR/big.sql"
	assert_flushed
	run -0 sochdb-sql -c "SELECT count(*), sum(id) FROM t"
	assert_line "4000	8002000"
	run -0 sochdb-wal verify
}

@test "sochdb-sql: a small write leaves the WAL as it is" {
	rows_sql 1 20 >"$BATS_TEST_TMPDIR/small.sql"
	run -0 sochdb-sql "$BATS_TEST_TMPDIR/small.sql"
	assert_not_flushed
	run -0 sochdb-sql -c "SELECT count(*) FROM t"
	assert_line 20
}

@test "SOCHDB_CLOSE_FLUSH_BYTES sets the threshold" {
	rows_sql 1 4000 >"$BATS_TEST_TMPDIR/big.sql"
	SOCHDB_CLOSE_FLUSH_BYTES=4000000 run -0 sochdb-sql "$BATS_TEST_TMPDIR/big.sql"
	assert_not_flushed
	SOCHDB_CLOSE_FLUSH_BYTES=1000 run -0 sochdb-kv put k v
	assert_flushed
	run -0 sochdb-sql -c "SELECT count(*) FROM t"
	assert_line 4000
}

@test "a reader never flushes a long WAL; the next writer's close does" {
	# a writer whose flush at close failed leaves ~450 KiB of WAL
	sochdb-sql -c "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT)"
	rows_sql 1 4000 | grep -v CREATE >"$BATS_TEST_TMPDIR/big.sql"
	# write 1 is the commit, 2 the flush's checkpoint record
	SDB_IO_FAULT=write:2:ENOSPC run -0 --separate-stderr sochdb-sql "$BATS_TEST_TMPDIR/big.sql"
	[[ "$stderr" == "sochdb-sql: warning: flush at close failed: cannot write '$SOCHDB_DIR/wal-"*".log': No space left on device" ]] ||
		fail "stderr '$stderr'"
	assert_not_flushed
	run -0 sochdb-sql -c "SELECT count(*) FROM t"
	assert_line 4000
	run -0 sochdb-kv scan
	run -0 sochdb-wal verify
	assert_not_flushed
	# one small write: its close flushes the whole WAL
	run -0 sochdb-sql -c "INSERT INTO t VALUES(4001, 'last')"
	assert_flushed
	run -0 sochdb-sql -c "SELECT count(*) FROM t"
	assert_line 4001
}

@test "sochdb-kv and sochdb-graph flush at close too" {
	head -c 300000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
	run -0 sochdb-kv put big - <"$BATS_TEST_TMPDIR/big"
	assert_flushed
	run -0 sochdb-kv get big
	[ "${#output}" = 300000 ] || fail "value of ${#output} bytes"

	export SOCHDB_DIR=$BATS_TEST_TMPDIR/g
	seq 6000 | awk '{ printf "n%d\tknows\tn%d\n", $1, $1 + 1 }' >"$BATS_TEST_TMPDIR/edges"
	run -0 sochdb-graph add-edge --stdin kg <"$BATS_TEST_TMPDIR/edges"
	assert_flushed
	run -0 sochdb-graph neighbors kg n5999
	assert_output --partial n6000
}

@test "a flush at close that fails (disk full) only warns: exit 0, nothing lost" {
	head -c 300000 /dev/zero | tr '\0' y >"$BATS_TEST_TMPDIR/big"
	sochdb-kv put a 1
	# write 1 is the commit; 2, 3, 4: the checkpoint record, the table, the manifest
	for n in 2 3 4; do
		SDB_IO_FAULT=write:$n:ENOSPC run -0 --separate-stderr sochdb-kv put "big$n" - <"$BATS_TEST_TMPDIR/big"
		[[ "$stderr" == "sochdb-kv: warning: flush at close failed: cannot write '$SOCHDB_DIR/"*"': No space left on device" ]] ||
			fail "write $n: stderr '$stderr'"
		run -0 sochdb-kv get "big$n"
		[ "${#output}" = 300000 ] || fail "write $n: value of ${#output} bytes"
		run -0 sochdb-kv get a
		assert_output 1
		run -0 --separate-stderr sochdb-wal verify || fail "verify after write $n: $stderr"
	done
	# the next writer's close flushes everything
	run -0 sochdb-kv put b 2
	assert_flushed
	for n in 2 3 4; do
		run -0 sochdb-kv get "big$n"
		[ "${#output}" = 300000 ]
	done
}
