#!/usr/bin/env bats
# 5005-wal-backup: backup checks what it links or copies (issue 9 B6):
# a backup of a damaged database used to exit 0 and hard-link the damaged
# table into the copy (bit rot spread to every backup on the filesystem).
# Damage now exits 1 and leaves nothing at DEST; --copy copies the tables;
# DEST inside the database is refused; a failed backup leaves no DEST.

load test_helper
load helpers/fixtures

setup() {
	setup_db
	B=$BATS_TEST_TMPDIR/bk
}

inode() { stat -c %i "$1"; }

@test "a damaged table block: backup exits 1 naming it and leaves nothing at DEST" {
	fill 100 a; sochdb-wal checkpoint; fill 10 b
	t=$(ls "$SOCHDB_DIR"/*.sst)
	printf '\x00' | dd of="$t" bs=1 seek=10 conv=notrunc status=none
	run -1 --separate-stderr sochdb-wal backup "$B"
	[ "$stderr" = "sochdb-wal: damaged table '$t' at offset 0: data block checksum mismatch or bad block" ] || fail "$stderr"
	[ ! -e "$B" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep 'bk\.tmp' || true)" ]
	# an empty DEST given by the user stays as it was: empty
	mkdir "$B"
	run -1 sochdb-wal backup --copy "$B"
	[ -d "$B" ] && [ -z "$(ls -A "$B")" ]
}

@test "a damaged sealed WAL record: backup exits 1, nothing at DEST" {
	export SOCHDB_WAL_SEGMENT_BYTES=4096
	db_fixture
	seg=$(ls "$SOCHDB_DIR"/wal-*.log | head -n 1)
	printf '\xAA' | dd of="$seg" bs=1 seek=100 conv=notrunc status=none
	run -1 --separate-stderr sochdb-wal backup "$B"
	[[ "$stderr" == "sochdb-wal: damaged WAL record in '$seg' at offset "*": checksum mismatch" ]] || fail "$stderr"
	[ ! -e "$B" ]
}

@test "backup hard-links tables; --copy copies them; both verify and read the same" {
	fill 100 a; sochdb-wal checkpoint; fill 10 b
	t=$(basename "$(ls "$SOCHDB_DIR"/*.sst)")
	run -0 sochdb-wal backup "$B"
	[ "$(inode "$B/$t")" = "$(inode "$SOCHDB_DIR/$t")" ]
	run -0 sochdb-wal backup --copy "$B.copy"
	[ "$(inode "$B.copy/$t")" != "$(inode "$SOCHDB_DIR/$t")" ]
	cmp "$B.copy/$t" "$SOCHDB_DIR/$t"
	for d in "$B" "$B.copy"; do
		run -0 sochdb-wal verify -d "$d"
		diff <(sochdb-kv dump) <(sochdb-kv dump -d "$d")
	done
	# damage in the original does not reach the copy
	printf '\x00' | dd of="$SOCHDB_DIR/$t" bs=1 seek=10 conv=notrunc status=none
	run -0 sochdb-wal verify -d "$B.copy"
}

@test "DEST inside the database is refused (exit 3), also through a symlink" {
	sochdb-kv put a 1
	run -3 --separate-stderr sochdb-wal backup "$SOCHDB_DIR/bk"
	[ "$stderr" = "sochdb-wal: backup destination '$SOCHDB_DIR/bk' lies inside the database '$SOCHDB_DIR'" ] || fail "$stderr"
	run -3 sochdb-wal backup "$SOCHDB_DIR"
	ln -s "$SOCHDB_DIR" "$BATS_TEST_TMPDIR/link"
	run -3 sochdb-wal backup "$BATS_TEST_TMPDIR/link/x"
	[ "$(ls "$SOCHDB_DIR" | grep -c bk || true)" -eq 0 ]
	run -0 sochdb-wal verify
}

@test "DEST must be absent or an empty directory (exit 3); a file is refused" {
	sochdb-kv put a 1
	echo x >"$BATS_TEST_TMPDIR/file"
	run -3 --separate-stderr sochdb-wal backup "$BATS_TEST_TMPDIR/file"
	[ "$stderr" = "sochdb-wal: backup destination '$BATS_TEST_TMPDIR/file' exists and is not an empty directory" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-wal backup "$BATS_TEST_TMPDIR/nodir/sub"
	[ ! -e "$BATS_TEST_TMPDIR/nodir" ]
}
