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
	[[ "$stderr" == "sochdb-wal: damaged WAL record in '$seg' at offset "*": checksum mismatch" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get a0001
	[[ "$stderr" == "sochdb-kv: damaged WAL record in '$seg' at offset "*": checksum mismatch" ]] || fail "$stderr"
}

@test "a flipped byte in a table: reads that touch it exit 3" {
	fixture
	t=$(ls "$SOCHDB_DIR"/*.sst | head -n 1)
	printf '\x00' | dd of="$t" bs=1 seek=10 conv=notrunc status=none
	run -1 --separate-stderr sochdb-wal verify
	# one message, not "damage at offset N: damaged table ... at offset N"
	[ "$stderr" = "sochdb-wal: damaged table '$t' at offset 0: data block checksum mismatch or bad block" ] || fail "$stderr"
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
	# unsynced (--sync off), as a write torn by power loss is: a file
	# shorter than the synced mark in LOCK says is a missing end, not a tail
	sochdb-kv put --sync off b 2
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
	[[ "$stderr" == "sochdb-wal: damaged manifest '$SOCHDB_DIR/MANIFEST' at offset "*": checksum mismatch" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get a0001
	[[ "$stderr" == "sochdb-kv: damaged manifest '$SOCHDB_DIR/MANIFEST': checksum mismatch" ]] || fail "$stderr"
}

@test "a table named by the manifest that is missing: verify exit 1, reads exit 3 naming it" {
	sochdb-kv put a 1
	sochdb-wal checkpoint
	t=$(ls "$SOCHDB_DIR"/*.sst)
	rm "$t"
	run -1 --separate-stderr sochdb-wal verify
	[ "$stderr" = "sochdb-wal: damaged database '$SOCHDB_DIR': table '$t' named by the manifest is missing" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get a
	[ "$stderr" = "sochdb-kv: damaged database '$SOCHDB_DIR': a file named by its manifest is missing: cannot open '$t': No such file or directory" ]
}

# --- issue 9 B1: a garbage synced-mark hint in LOCK (bytes 8..15, written
# there by a tool started with stderr closed) was trusted and copied into
# later COMMIT records, so a torn tail read as corruption and recover refused.
@test "B1: a garbage synced-mark hint in LOCK never makes a torn tail corruption" {
	sochdb-kv put a 1
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	printf 'sochdb-kv: warning: gar' | dd of="$SOCHDB_DIR/LOCK" bs=1 seek=0 conv=notrunc status=none
	# unsynced commits (power loss may tear them) after the garbage
	sochdb-kv put --sync off b "$(head -c 2000 /dev/zero | tr '\0' x)"
	sochdb-kv put --sync off c 3
	# the first sector of b's transaction is lost; c's COMMIT is intact
	dd if=/dev/zero of="$seg" bs=1 seek="$size" count=16 conv=notrunc status=none
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1' ] || fail "$stderr"
	[[ "$stderr" == "sochdb-kv: warning: damaged WAL tail in '$seg' at offset $size "* ]] || fail "$stderr"
	run -0 --separate-stderr sochdb-wal recover
	[[ "$stderr" == "sochdb-wal: warning: cut damaged WAL tail at LSN $size "* ]] || fail "$stderr"
	run -0 sochdb-wal verify
	run -0 sochdb-kv put d 4
	run -0 sochdb-kv scan
	[ "$output" = $'a\t1\nd\t4' ]
}

# --- issue 9 B2: one flipped byte in a sealed part of the WAL made every
# reader exit 3 while put kept acknowledging writes into the database.
@test "B2: a writer refuses to acknowledge writes into a WAL it cannot read back" {
	fixture
	seg=$(ls "$SOCHDB_DIR"/wal-*.log | head -n 1)
	printf '\xAA' | dd of="$seg" bs=1 seek=100 conv=notrunc status=none
	before=$(cat "$SOCHDB_DIR"/wal-*.log | md5sum)
	run -3 --separate-stderr sochdb-kv put new 1
	[[ "$stderr" == "sochdb-kv: damaged WAL record in '$seg' at offset "*": checksum mismatch; refusing to write into a database that cannot be read back (see 'sochdb-wal verify' and 'sochdb-wal salvage')" ]] || fail "$stderr"
	run -3 --separate-stderr bash -c 'printf "x\t1\n" | sochdb-kv load'
	[[ "$stderr" == *"refusing to write into a database that cannot be read back"* ]] || fail "$stderr"
	run -3 sochdb-wal checkpoint
	[ "$(cat "$SOCHDB_DIR"/wal-*.log | md5sum)" = "$before" ]   # nothing appended
}

# --- issue 9 B11: deleting the newest WAL segment lost commits and verify
# said ok.
@test "B11: a deleted newest WAL segment is a missing end: verify exit 1, readers and writers exit 3" {
	export SOCHDB_WAL_SEGMENT_BYTES=4096
	fill 200 a
	sochdb-kv put last 1
	[ "$(ls "$SOCHDB_DIR"/wal-*.log | wc -l)" -ge 2 ]
	newest=$(ls "$SOCHDB_DIR"/wal-*.log | tail -n 1)
	rm "$newest"
	run -1 --separate-stderr sochdb-wal verify
	[[ "$stderr" == "sochdb-wal: damaged WAL in '$SOCHDB_DIR': it ends at LSN "*" but was synced up to LSN "*" (a WAL segment is missing)" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get last
	[[ "$stderr" == *"(a WAL segment is missing)" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv put more 1
	[[ "$stderr" == *"(a WAL segment is missing); refusing to write"* ]] || fail "$stderr"
	run -3 sochdb-wal recover
}

@test "B11: the checkpoint's WAL segment deleted: verify exit 1, readers and writers exit 3" {
	sochdb-kv put a 1
	sochdb-wal checkpoint
	sochdb-kv put b 2
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	[ "$(echo "$seg" | wc -l)" -eq 1 ]
	rm "$seg"
	: >"$SOCHDB_DIR/LOCK"   # no synced mark: the checkpoint LSN alone tells
	run -1 --separate-stderr sochdb-wal verify
	[ "$stderr" = "sochdb-wal: damaged database '$SOCHDB_DIR': WAL segment '$seg' of the checkpoint is missing" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get a
	[[ "$stderr" == "sochdb-kv: damaged database '$SOCHDB_DIR': a file named by its manifest is missing: cannot open '$seg': No such file or directory" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv put c 3
	[[ "$stderr" == *"; refusing to write into a database that cannot be read back"* ]] || fail "$stderr"
}

# --- issue 9 B12: messages
@test "B12: an unknown WAL record type with valid checksums is not a checksum mismatch" {
	sochdb-kv put a 1
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	"$TOP/t/helpers/sdbfile.py" walrec "$seg" 9 hello
	run -1 --separate-stderr sochdb-wal verify
	[ "$stderr" = "sochdb-wal: damaged WAL record in '$seg' at offset $size: unknown record type 9" ] || fail "$stderr"
}

@test "B12: a newer table version is 'unsupported database format' (exit 3) like a newer MANIFEST" {
	sochdb-kv put a 1
	sochdb-wal checkpoint
	t=$(ls "$SOCHDB_DIR"/*.sst)
	"$TOP/t/helpers/sdbfile.py" tablever "$t" 3
	want="unsupported database format in '$t': format version 3 is not supported (this build reads 2)"
	run -3 --separate-stderr sochdb-wal verify
	[ "$stderr" = "sochdb-wal: $want" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get a
	[ "$stderr" = "sochdb-kv: $want" ] || fail "$stderr"
}

@test "B12: one wording for a directory or file that is not a database, in every tool" {
	mkdir -p "$SOCHDB_DIR"
	echo x >"$SOCHDB_DIR/notes.txt"
	for cmd in "sochdb-wal verify" "sochdb-wal dump" "sochdb-wal stats" "sochdb-wal recover" "sochdb-kv get k" "sochdb-kv put k v"; do
		run -3 --separate-stderr $cmd
		[ "$stderr" = "${cmd%% *}: '$SOCHDB_DIR' is not a sochdb database" ] || fail "$cmd: $stderr"
	done
	f=$BATS_TEST_TMPDIR/file
	echo x >"$f"
	for cmd in "sochdb-wal verify" "sochdb-kv get k"; do
		run -3 --separate-stderr $cmd -d "$f"
		[ "$stderr" = "${cmd%% *}: '$f' is not a sochdb database" ] || fail "$cmd: $stderr"
	done
}
