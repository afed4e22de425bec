#!/usr/bin/env bats
# 7101-durable-sweep (make stress): the exhaustive corruption sweep
# (RELIABILITY.md harness 4): every byte offset of the small sealed WAL,
# table and manifest fixture of t/5002 and of a ~10 KiB index, flipped
# with XOR 0x01 and 0xFF (t/helpers/corrupt_sweep.py COUNT=all).

load ../test_helper
load ../helpers/fixtures

@test "every byte of sealed WAL segments, tables and the manifest" {
	setup_db
	export SOCHDB_WAL_SEGMENT_BYTES=4096
	db_fixture
	run -0 sochdb-wal verify
	SDB_RESULTS=$BUILD/results-table.txt run -0 "$TOP/t/helpers/corrupt_sweep.py" "$SOCHDB_DIR" 0 all
	echo "# ${lines[-1]}" >&3
	[[ "${lines[-1]}" == *" failures 0" ]]
}

@test "every byte of an index" {
	cd "$BATS_TEST_TMPDIR"
	index_fixture x.idx
	SDB_RESULTS=$BUILD/results-table.txt run -0 "$TOP/t/helpers/corrupt_sweep.py" --index x.idx 0 all
	echo "# ${lines[-1]}" >&3
	[[ "${lines[-1]}" == *" failures 0" ]]
}
