#!/usr/bin/env bats
# 5004-wal-salvage: sochdb-wal salvage DEST (issue 9 B2): after one flipped
# byte in a sealed part of the WAL or one damaged table block, scan, dump,
# checkpoint and recover all exit 3 and there was no way out. salvage
# writes everything that still checks out into a fresh database, skipping
# damage, and lists exactly what was lost; the copy verifies and reads.

load test_helper
load helpers/fixtures

setup() {
	setup_db
	export SOCHDB_WAL_SEGMENT_BYTES=4096
	S=$BATS_TEST_TMPDIR/salvaged
}

# a table (a0001..a0100, zstd after compact), then 100 b keys in one
# transaction and 30 single puts c1..c30 in the WAL (several segments)
build() {
	fill 100 a; sochdb-wal checkpoint; sochdb-wal compact
	fill 100 b
	for i in $(seq 30); do sochdb-kv put "c$i" "x$i"; done
	[ "$(ls "$SOCHDB_DIR"/wal-*.log | wc -l)" -ge 2 ]
}

@test "salvage of a clean database: nothing lost, exit 0, the same data" {
	build
	sochdb-kv put --ttl 3600 t1 ttl
	sochdb-kv del a0005
	run -0 --separate-stderr sochdb-wal salvage "$S"
	[ "$output" = "[]" ] && [ -z "$stderr" ]
	run -0 sochdb-wal verify -d "$S"
	diff <(sochdb-kv dump) <(sochdb-kv dump -d "$S")
	run -1 sochdb-kv get -d "$S" a0005
	run -0 --separate-stderr sochdb-wal salvage -v "$S.2"
	[ "$stderr" = "sochdb-wal: salvaged 232 operations into '$S.2'; nothing lost" ] || fail "$stderr"
}

@test "a damaged table block and a damaged WAL record: the rest is salvaged, the loss listed, exit 1" {
	build
	t=$(ls "$SOCHDB_DIR"/*.sst)
	seg=$(ls "$SOCHDB_DIR"/wal-*.log | head -n 1)
	start=$((16#$(basename "$seg" .log | cut -c5-)))
	printf '\x00' | dd of="$t" bs=1 seek=10 conv=notrunc status=none
	printf '\xAA' | dd of="$seg" bs=1 seek=100 conv=notrunc status=none
	run -3 sochdb-kv scan
	run -3 sochdb-wal recover
	run -1 --separate-stderr sochdb-wal salvage "$S"
	[ "${lines[0]}" = "[3]{what,file,offset,bytes,lsn_from,lsn_to,ns_from,key_from,ns_to,key_to}:" ] || fail "$output"
	[[ "${lines[1]}" == "  block,$t,0,"*",null,null,\"\",a0001,\"\",a0100" ]] || fail "${lines[1]}"
	[[ "${lines[2]}" == "  wal,$seg,"*",null,null,null,null" ]] || fail "${lines[2]}"
	[[ "${lines[3]}" == "  txn,$seg,null,null,$start,"*",\"\",b0001,\"\",b0100" ]] || fail "${lines[3]}"
	[[ "$stderr" == "sochdb-wal: warning: salvaged 30 operations into '$S'; lost 3 pieces: 1 table blocks, "*" WAL bytes, 1 transactions (listed on standard output)" ]] || fail "$stderr"
	run -0 sochdb-wal verify -d "$S"
	run -0 sochdb-kv scan -d "$S"
	[ "${#lines[@]}" -eq 30 ] && [ "${lines[0]}" = $'c1\tx1' ]
	# the salvaged copy takes writes
	run -0 sochdb-kv put -d "$S" new 1
	run -0 sochdb-wal checkpoint -d "$S"
	# json lists the same pieces
	run -1 sochdb-wal salvage --format json "$S.json"
	[[ "$output" == '[{"what":"block","file":"'"$t"'","offset":0,'* ]] || fail "$output"
	run -1 --separate-stderr sochdb-wal salvage --format jsonl "$S.jsonl"
	[ "${#lines[@]}" -eq 3 ] && [[ "${lines[2]}" == '{"what":"txn",'* ]] || fail "$output"
}

@test "a missing newest WAL segment is listed as an LSN range" {
	build
	newest=$(ls "$SOCHDB_DIR"/wal-*.log | tail -n 1)
	from=$((16#$(basename "$newest" .log | cut -c5-)))
	rm "$newest"
	run -1 --separate-stderr sochdb-wal salvage "$S"
	[[ "${lines[1]}" == "  wal-missing,$SOCHDB_DIR,null,null,$from,"*",null,null,null,null" ]] || fail "$output"
	run -0 sochdb-wal verify -d "$S"
	run -0 sochdb-kv get -d "$S" a0100
}

@test "a gap between WAL segments is listed" {
	build
	fill 100 d; fill 100 e; fill 100 f
	mid=$(ls "$SOCHDB_DIR"/wal-*.log | sed -n 2p)
	[ "$mid" != "$(ls "$SOCHDB_DIR"/wal-*.log | tail -n 1)" ]
	from=$((16#$(basename "$mid" .log | cut -c5-)))
	rm "$mid"
	next=$(ls "$SOCHDB_DIR"/wal-*.log | sed -n 2p)
	run -1 --separate-stderr sochdb-wal verify
	[[ "$stderr" == "sochdb-wal: damaged WAL: segment '$next' starts at LSN "*" but the previous one ends at $from" ]] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv put x 1
	[[ "$stderr" == "sochdb-kv: WAL segment '$next' starts at LSN "*"; refusing to write"* ]] || fail "$stderr"
	run -1 sochdb-wal salvage "$S"
	[[ "$output" == *$'\n'"  wal-missing,$mid,null,null,$from,"* ]] || fail "$output"
	run -0 sochdb-wal verify -d "$S"
}

@test "DEST not empty, inside the database, or a failed salvage: exit 3, nothing left at DEST" {
	build
	mkdir "$S"; echo x >"$S/f"
	run -3 --separate-stderr sochdb-wal salvage "$S"
	[ "$stderr" = "sochdb-wal: salvage destination '$S' exists and is not empty" ]
	[ "$(ls "$S")" = f ]
	run -3 --separate-stderr sochdb-wal salvage "$SOCHDB_DIR/s"
	[ "$stderr" = "sochdb-wal: salvage destination '$SOCHDB_DIR/s' lies inside the database '$SOCHDB_DIR'" ]
	# an unreadable manifest: nothing can be placed, nothing is left
	printf 'X' | dd of="$SOCHDB_DIR/MANIFEST" bs=1 seek=20 conv=notrunc status=none
	run -3 sochdb-wal salvage "$S.m"
	[ ! -e "$S.m" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep 'salvaged.*tmp' || true)" ]
	run -3 sochdb-wal salvage -d "$BATS_TEST_TMPDIR/none" "$S.n"
	[ ! -e "$S.n" ]
	run -2 sochdb-wal salvage
}
