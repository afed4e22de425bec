#!/usr/bin/env bats
# 5007-wal-damage: the damage mark (issue 9 B2, the table half). With one
# damaged table block, scan, dump and compact exit 3 but `sochdb-kv put`
# kept acknowledging writes (a writer cannot read every table per put).
# Now a lock holder that meets a damaged table (compaction, a writer's
# open, recover) records DIR/DAMAGE; every writer and checkpoint refuses
# while it is there; salvage builds a fresh database without it; recover
# removes it once every table checks out again.

load test_helper
load helpers/fixtures

setup() {
	setup_db
	S=$BATS_TEST_TMPDIR/salvaged
	fill 100 a; sochdb-wal checkpoint; sochdb-kv put b 1
	T=$(ls "$SOCHDB_DIR"/*.sst)
	cp "$T" "$BATS_TEST_TMPDIR/orig.sst"
}

REFUSE="; refusing to write into a database that cannot be read back (see 'sochdb-wal verify' and 'sochdb-wal salvage')"

flip() { # flip FILE OFFSET
	printf '\xAA' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# u64 at FROM_END bytes before the end of FILE (the table footer)
footer_u64() {
	python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); print(struct.unpack("<Q", b[len(b)-int(sys.argv[2]):][:8])[0])' "$1" "$2"
}

@test "a damaged table block: compact marks it, put/del/txn/load/checkpoint refuse with exit 3 and log nothing" {
	flip "$T" 10
	msg="damaged table '$T' at offset 0: data block checksum mismatch or bad block"
	# before any lock holder met it, a put is still acknowledged (the
	# writer does not read data blocks)
	run -0 sochdb-kv put early 1
	[ ! -e "$SOCHDB_DIR/DAMAGE" ]
	run -3 --separate-stderr sochdb-wal compact
	[ "$stderr" = "sochdb-wal: $msg" ] || fail "$stderr"
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -3 --separate-stderr sochdb-kv put newkey 1
	[ "$stderr" = "sochdb-kv: $msg (recorded in '$SOCHDB_DIR/DAMAGE')$REFUSE" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv del b
	[[ "$stderr" == *"$REFUSE" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv txn <<<$'put\tnewkey\t2'
	[[ "$stderr" == *"$REFUSE" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv load <<<$'newkey\t3'
	[[ "$stderr" == *"$REFUSE" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-wal checkpoint
	[ "$stderr" = "sochdb-wal: $msg (recorded in '$SOCHDB_DIR/DAMAGE')$REFUSE" ] || fail "$stderr"
	run -3 sochdb-wal compact
	# nothing reached the WAL; the earlier put did
	run -0 sochdb-wal dump
	[[ "$output" != *newkey* ]] || fail "$output"
	[[ "$output" == *early* ]] || fail "$output"
	# readers still read what does not touch the damage; they write no mark
	run -0 sochdb-kv get b
	[ "$output" = 1 ]
	# verify says why writers refuse
	run -1 --separate-stderr sochdb-wal verify
	[[ "$stderr" == *"damage mark in '$SOCHDB_DIR/DAMAGE': writers refuse until 'sochdb-wal recover' finds every table whole ($msg)"* ]] || fail "$stderr"
}

@test "with the mark: salvage still works, the copy has no mark and accepts puts" {
	flip "$T" 10
	run -3 sochdb-wal compact
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -1 sochdb-wal salvage "$S"
	[ ! -e "$S/DAMAGE" ]
	run -0 sochdb-kv -d "$S" put newkey 1
	run -0 sochdb-kv -d "$S" get newkey
	[ "$output" = 1 ]
	run -0 sochdb-wal verify -d "$S"
}

@test "recover keeps the mark while the table is damaged, removes it once the table is restored" {
	flip "$T" 10
	run -3 sochdb-wal compact
	run -3 --separate-stderr sochdb-wal recover
	[[ "$stderr" == *"data block checksum mismatch or bad block; writers refuse while the damage mark '$SOCHDB_DIR/DAMAGE' stays"* ]] || fail "$stderr"
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -3 sochdb-kv put newkey 1
	cp "$BATS_TEST_TMPDIR/orig.sst" "$T"
	# a dry run reports, changes nothing
	run -0 --separate-stderr sochdb-wal recover --dry-run
	[[ "$stderr" == *"every table checks out: would remove the damage mark"* ]] || fail "$stderr"
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -0 --separate-stderr sochdb-wal recover
	[[ "$stderr" == *"every table checks out: removed the damage mark (damaged table '$T' at offset 0: "* ]] || fail "$stderr"
	[ ! -e "$SOCHDB_DIR/DAMAGE" ]
	run -0 sochdb-kv put newkey 1
	run -0 sochdb-kv get newkey
	[ "$output" = 1 ]
	run -0 sochdb-wal compact
	run -0 sochdb-wal verify
}

@test "recover finds damage no lock holder met yet and marks it" {
	flip "$T" 10
	run -3 sochdb-wal recover
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -3 sochdb-kv put newkey 1
}

@test "a damaged table footer: the writer's own open marks it and refuses" {
	size=$(stat -c %s "$T")
	flip "$T" $((size - 30))
	run -3 --separate-stderr sochdb-kv put newkey 1
	[ "$stderr" = "sochdb-kv: damaged table '$T' at offset $((size - 64)): footer checksum mismatch$REFUSE" ] || fail "$stderr"
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -0 sochdb-wal dump
	[[ "$output" != *newkey* ]] || fail "$output"
	run -3 sochdb-kv put other 1
}

@test "a damaged table index block: the writer's own open marks it and refuses" {
	ioff=$(footer_u64 "$T" 64)
	flip "$T" $((ioff + 2))
	run -3 --separate-stderr sochdb-kv put newkey 1
	[ "$stderr" = "sochdb-kv: damaged table '$T' at offset $ioff: index block checksum mismatch$REFUSE" ] || fail "$stderr"
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -3 sochdb-kv txn <<<$'put\tnewkey\t2'
	cp "$BATS_TEST_TMPDIR/orig.sst" "$T"
	run -0 sochdb-wal recover
	run -0 sochdb-kv put newkey 1
}

@test "a mark that does not check out still refuses; recover removes it" {
	printf 'garbage' >"$SOCHDB_DIR/DAMAGE"
	run -3 --separate-stderr sochdb-kv put newkey 1
	[ "$stderr" = "sochdb-kv: damage mark in '$SOCHDB_DIR/DAMAGE' (unreadable) (recorded in '$SOCHDB_DIR/DAMAGE')$REFUSE" ] || fail "$stderr"
	# the mark alone is not damage: verify warns, exit 0
	run -0 --separate-stderr sochdb-wal verify
	[ "$stderr" = "sochdb-wal: warning: damage mark in '$SOCHDB_DIR/DAMAGE': writers refuse until 'sochdb-wal recover' finds every table whole (damage mark in '$SOCHDB_DIR/DAMAGE' (unreadable))" ] || fail "$stderr"
	run -0 sochdb-wal recover
	[ ! -e "$SOCHDB_DIR/DAMAGE" ]
	run -0 sochdb-kv put newkey 1
}

@test "a mark's temp file left by a crash is not a mark; maintenance sweeps it" {
	# the mark is written by temp + rename: a crash leaves the old state
	# (no mark) plus a temp file, or the whole mark
	: >"$SOCHDB_DIR/DAMAGE.tmp.abcdef"
	run -0 sochdb-kv put early 1
	run -0 sochdb-wal compact
	[ ! -e "$SOCHDB_DIR/DAMAGE.tmp.abcdef" ]
	T=$(ls "$SOCHDB_DIR"/*.sst)
	sochdb-kv put c 1; sochdb-wal checkpoint
	flip "$T" 10
	run -3 sochdb-wal compact
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	[ -z "$(ls "$SOCHDB_DIR" | grep tmp || true)" ]
	run -3 sochdb-kv put newkey 1
}

@test "a transaction that reads a damaged block marks it; later writers refuse" {
	flip "$T" 10
	run -3 --separate-stderr sochdb-kv txn <<<$'get\ta0001'
	[[ "$stderr" == *"damaged table '$T' at offset 0: data block checksum mismatch or bad block"* ]] || fail "$stderr"
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -3 sochdb-kv put newkey 1
}

@test "the automatic compaction after a checkpoint marks a damaged table" {
	# keys inside T's range (a0050 < a0050001 < a0051): the tables
	# overlap T, so the compaction must merge (read) it, not move it
	for p in a005 a006; do fill 10 "$p"; sochdb-wal checkpoint; done
	flip "$T" 10
	fill 10 a007
	# the fourth level-0 table triggers a level-0 compaction, which reads T
	run -3 sochdb-wal checkpoint
	[ -f "$SOCHDB_DIR/DAMAGE" ]
	run -3 sochdb-kv put newkey 1
	run -0 sochdb-wal dump
	[[ "$output" != *newkey* ]] || fail "$output"
}
