#!/usr/bin/env bats
# 5002-wal-corrupt: damaged bytes anywhere in tables, the manifest or a
# sealed WAL segment make verify exit 1 with file and offset, and reads
# never return wrong data; a damaged or torn live tail is handled as
# DESIGN.md says.

load test_helper
load helpers/fixtures

setup() {
	setup_db
	export SOCHDB_WAL_SEGMENT_BYTES=4096
}

fixture() {
	db_fixture
}

@test "seeded sweep: every flipped byte is found by verify; reads never wrong" {
	fixture
	run -0 sochdb-wal verify
	n=$(scaled 500)
	seed=${SWEEP_SEED:-$RANDOM}
	echo "# corruption sweep: seed $seed, $n offsets x 2 masks" >&3
	SDB_RESULTS=$BUILD/results-table.txt run -0 "$TOP/t/helpers/corrupt_sweep.py" "$SOCHDB_DIR" "$seed" "$n"
	echo "# $output" | tail -n 1 >&3
	[[ "${lines[-1]}" == *" failures 0" ]]
}

@test "a flipped byte in a sealed WAL segment: verify names file and offset, reads exit 3" {
	fixture
	seg=$(ls "$SOCHDB_DIR"/wal-*.log | head -n 1)
	printf '\xAA' | dd of="$seg" bs=1 seek=100 conv=notrunc status=none
	run -1 --separate-stderr sochdb-wal verify
	[[ "$stderr" == "sochdb-wal: $seg: damage at offset "* ]]
	run -3 --separate-stderr sochdb-kv get a0001
	[[ "$stderr" == "sochdb-kv: damaged WAL record in '$seg' at offset "* ]]
}

@test "a flipped byte in a table: reads that touch it exit 3" {
	fixture
	t=$(ls "$SOCHDB_DIR"/*.sst | head -n 1)
	printf '\x00' | dd of="$t" bs=1 seek=10 conv=notrunc status=none
	run -1 --separate-stderr sochdb-wal verify
	[[ "$stderr" == "sochdb-wal: $t: damage at offset 0: damaged table '$t' at offset 0: data block checksum mismatch or bad block" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv scan
	[[ "$stderr" == "sochdb-kv: damaged table '$t' at offset 0: data block checksum mismatch or bad block" ]]
}

@test "a damaged last record of the live segment: readers warn and serve what precedes; a writer cuts it" {
	sochdb-kv put a 1
	sochdb-kv put b 2
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	printf '\x55' | dd of="$seg" bs=1 seek=$((size - 10)) conv=notrunc status=none
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1' ]
	[[ "$stderr" == "sochdb-kv: warning: damaged WAL tail in '$seg' at offset "*"ignoring"*"bytes" ]]
	[ "$(stat -c %s "$seg")" -eq "$size" ]   # readers never modify a file
	run -1 sochdb-wal verify
	run -0 --separate-stderr sochdb-kv put c 3
	[[ "$stderr" == "sochdb-kv: warning: damaged WAL tail in '$seg' at offset "*": cut "*" bytes" ]]
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1\nc\t3' ] && [ -z "$stderr" ]
	run -0 sochdb-wal verify
}

@test "a torn (incomplete) last record is silently ignored by readers, cut by the lock holder" {
	sochdb-kv put a 1
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	sochdb-kv put b 2
	truncate -s $((size + 30)) "$seg"
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1' ] && [ -z "$stderr" ]
	run -0 --separate-stderr sochdb-wal verify
	run -0 --separate-stderr sochdb-kv put c 3
	# the BEGIN record (20 bytes) is whole; the PUT after it is torn
	[ "$stderr" = "sochdb-kv: warning: torn WAL tail in '$seg' at offset $((size + 20)) (LSN $((size + 20))): cut 10 bytes" ]
	run -0 sochdb-kv scan
	[ "$output" = $'a\t1\nc\t3' ]
}

@test "a damaged manifest or a missing table is reported" {
	fixture
	printf 'X' | dd of="$SOCHDB_DIR/MANIFEST" bs=1 seek=20 conv=notrunc status=none
	run -1 --separate-stderr sochdb-wal verify
	[[ "$stderr" == "sochdb-wal: $SOCHDB_DIR/MANIFEST: damage at offset "* ]]
	run -3 --separate-stderr sochdb-kv get a0001
	[[ "$stderr" == "sochdb-kv: damaged manifest '$SOCHDB_DIR/MANIFEST': checksum mismatch" ]] || fail "$stderr"
}

@test "a table named by the manifest that is missing: verify exit 1, reads exit 3 naming it" {
	sochdb-kv put a 1
	sochdb-wal checkpoint
	t=$(ls "$SOCHDB_DIR"/*.sst)
	rm "$t"
	run -1 --separate-stderr sochdb-wal verify
	[ "$stderr" = "sochdb-wal: $t: damage at offset 0: table named by the manifest is missing" ]
	run -3 --separate-stderr sochdb-kv get a
	[ "$stderr" = "sochdb-kv: damaged database '$SOCHDB_DIR': a file named by its manifest is missing: cannot open '$t': No such file or directory" ]
}
