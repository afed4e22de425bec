#!/usr/bin/env bats
# 5003-wal-torn-sectors: power loss may persist any subset of the sectors
# of the last (unsynced) write, not only a prefix. Found by the simulated
# power-loss harness (t/durable/powerloss.c): a last transaction whose
# first sector was lost but whose COMMIT record survived made every read
# fail, and the next writer appended after the damage instead of cutting
# it, so its acknowledged commit could never be read again.

load test_helper

setup() {
	setup_db
}

@test "last transaction with a lost first sector: readers serve what precedes, the writer cuts it" {
	sochdb-kv put a 1
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	sochdb-kv put b "$(head -c 2000 /dev/zero | tr '\0' x)"
	# the BEGIN record of the last transaction is zeroed; its COMMIT is intact
	dd if=/dev/zero of="$seg" bs=1 seek="$size" count=16 conv=notrunc status=none
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1' ]
	[[ "$stderr" == "sochdb-kv: warning: damaged WAL tail in '$seg' at offset $size "* ]] || fail "$stderr"
	run -0 --separate-stderr sochdb-kv put c 3
	[[ "$stderr" == "sochdb-kv: warning: damaged WAL tail in '$seg' at offset $size "*": cut "* ]] || fail "$stderr"
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1\nc\t3' ] && [ -z "$stderr" ]
	run -0 sochdb-wal verify
}

@test "a lost sector in the middle of the last transaction is a torn tail too" {
	sochdb-kv put a 1
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	sochdb-kv put b "$(head -c 2000 /dev/zero | tr '\0' y)"
	dd if=/dev/zero of="$seg" bs=1 seek=$((size + 600)) count=512 conv=notrunc status=none
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1' ]
	run -0 --separate-stderr sochdb-kv put c 3
	[[ "$stderr" == *": cut "* ]] || fail "$stderr"
	run -0 sochdb-kv scan
	[ "$output" = $'a\t1\nc\t3' ]
	run -0 sochdb-wal verify
}

@test "damage followed by a whole committed transaction is still fatal" {
	sochdb-kv put a 1
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	sochdb-kv put b 2
	sochdb-kv put c 3
	printf '\x55' | dd of="$seg" bs=1 seek=$((size + 2)) conv=notrunc status=none
	run -3 --separate-stderr sochdb-kv scan
	[[ "$stderr" == "sochdb-kv: damaged WAL record in '$seg' at offset $size: checksum mismatch" ]] || fail "$stderr"
	run -1 sochdb-wal verify
}
