#!/usr/bin/env bats
# 5001-wal-basic: checkpoint, compact, verify, stats, dump, truncate,
# recover, backup and their options; quiet exit 0 when nothing to do.

load test_helper

setup() { setup_db; }

fill() { # fill N [prefix]
	seq "$1" | awk -v p="${2:-k}" '{ printf "%s%06d\tvalue-%d\n", p, $1, $1 }' | sochdb-kv load
}

@test "maintenance commands on a missing database exit 3" {
	for sub in checkpoint compact verify stats dump recover "truncate --up-to 0" "backup $BATS_TEST_TMPDIR/b"; do
		run -3 --separate-stderr sochdb-wal $sub
		[ "$stderr" = "sochdb-wal: no database at '$SOCHDB_DIR'" ] || fail "$sub: $stderr"
	done
}

@test "checkpoint flushes the WAL to a table and retires it; quiet when nothing to do" {
	fill 100
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables":0,'* ]]
	run -0 --separate-stderr sochdb-wal checkpoint
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 sochdb-wal stats
	[[ "$output" == *$'wal_bytes: 0\n'* ]]
	[[ "$output" == *$'tables: 1\n'* ]]
	[ "$(ls "$SOCHDB_DIR"/wal-*.log | wc -l)" -eq 1 ]
	run -0 --separate-stderr sochdb-wal checkpoint
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 --separate-stderr sochdb-wal -v checkpoint
	[ "$stderr" = "sochdb-wal: nothing to do" ]
	run -0 sochdb-kv get k000042
	[ "$output" = value-42 ]
}

@test "checkpoint --if-larger-than SIZE" {
	fill 100
	run -0 --separate-stderr sochdb-wal -v checkpoint --if-larger-than 1M
	[ "$stderr" = "sochdb-wal: nothing to do" ]
	run -0 --separate-stderr sochdb-wal -v checkpoint --if-larger-than 1k
	[ "$stderr" = "sochdb-wal: checkpoint done" ]
	run -2 --separate-stderr sochdb-wal checkpoint --if-larger-than 12Q
	[[ "$stderr" == "sochdb-wal: invalid size '12Q' for --if-larger-than (expected N, Nk, NM or NG)"* ]]
}

@test "compact merges tables, drops deleted keys, keeps every live one" {
	for i in 1 2; do fill 200 "r$i-"; sochdb-wal checkpoint; done
	fill 200 r3-
	seq 50 | awk '{ printf "del\tr1-%06d\n", $1 }' | sochdb-kv txn
	sochdb-wal checkpoint
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[3,0,'* ]]
	sochdb-kv scan >"$BATS_TEST_TMPDIR/before"
	run -0 --separate-stderr sochdb-wal -v compact
	[ "$stderr" = "sochdb-wal: compaction done" ]
	sochdb-kv scan >"$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/after")" -eq 550 ]
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables":1,'* ]]
	run -0 --separate-stderr sochdb-wal -v compact
	[ "$stderr" = "sochdb-wal: nothing to do" ]
	run -0 sochdb-wal verify
}

@test "compact --level N and --if-larger-than" {
	fill 100 a; sochdb-wal checkpoint
	fill 100 b; sochdb-wal checkpoint
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[2,0,'* ]]
	run -0 --separate-stderr sochdb-wal -v compact --if-larger-than 1G
	[ "$stderr" = "sochdb-wal: nothing to do" ]
	run -0 sochdb-wal compact --level 0
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[0,1,'* ]]
	run -0 sochdb-wal compact --level 1
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[0,0,1,'* ]]
	run -0 --separate-stderr sochdb-wal -v compact --level 3
	[ "$stderr" = "sochdb-wal: nothing to do" ]
	run -2 --separate-stderr sochdb-wal compact --level 9
	[[ "$stderr" == "sochdb-wal: invalid value '9' for --level (expected 0..5)"* ]]
	[ "$(sochdb-kv scan | wc -l)" -eq 200 ]
}

@test "--skip-if-busy exits 0 at once while maintenance runs; else waits --lock-timeout" {
	fill 10
	# hold the maintenance lock (byte 1 of LOCK) with an OFD lock
	/usr/bin/python3 - "$SOCHDB_DIR/LOCK" "$BATS_TEST_TMPDIR/held" <<'PY' &
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
F_OFD_SETLK = 37
fcntl.fcntl(fd, F_OFD_SETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, 1, 1, 0))
open(sys.argv[2], 'w').close()
time.sleep(5)
PY
	while [ ! -e "$BATS_TEST_TMPDIR/held" ]; do sleep 0.05; done
	run -0 --separate-stderr sochdb-wal checkpoint --skip-if-busy
	[ -z "$stderr" ]
	run -0 --separate-stderr sochdb-wal compact --skip-if-busy
	run -3 --separate-stderr sochdb-wal checkpoint --lock-timeout 0.3
	[ "$stderr" = "sochdb-wal: database '$SOCHDB_DIR' is busy: maintenance lock held by another process (gave up after 0.3 s)" ]
	run -0 sochdb-kv put still writable
	kill %1 2>/dev/null; wait
	run -0 sochdb-wal checkpoint --skip-if-busy
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"wal_bytes":0,'* ]]
}

@test "verify: exit 0 on a clean database, -v summary" {
	fill 50; sochdb-wal checkpoint; fill 10 z
	run -0 --separate-stderr sochdb-wal verify
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 --separate-stderr sochdb-wal -v verify
	[[ "$stderr" == "sochdb-wal: ok: 1 tables ("*" bytes), 1 WAL segments, 12 records" ]] || fail "$stderr"
}

@test "stats and dump in toon, json and jsonl" {
	sochdb-kv put a 1
	sochdb-kv put -n ns --ttl 100 b 'x y'
	sochdb-kv del a
	run -0 sochdb-wal stats
	[[ "$output" == *"wal_segments: 1"* ]]
	run -0 sochdb-wal dump --format jsonl
	[ "${lines[0]}" = '{"lsn":0,"type":"begin","ns":null,"key":null,"value":null,"expires_ms":null,"info":null}' ]
	[ "${lines[1]}" = '{"lsn":20,"type":"put","ns":null,"key":"a","value":"1","expires_ms":null,"info":null}' ]
	[ "${lines[2]}" = '{"lsn":46,"type":"commit","ns":null,"key":null,"value":null,"expires_ms":null,"info":1}' ]
	[[ "${lines[4]}" == '{"lsn":98,"type":"put","ns":"ns","key":"b","value":"x y","expires_ms":'* ]]
	[ "${#lines[@]}" -eq 9 ]
	run -0 sochdb-wal dump
	[ "${lines[0]}" = '[9]{lsn,type,ns,key,value,expires_ms,info}:' ]
	[ "${lines[2]}" = '  20,put,null,a,"1",null,null' ]
	run -0 sochdb-wal dump --from 78 --format json
	[[ "$output" == '[{"lsn":78,"type":"begin"'* ]]
	sochdb-wal checkpoint
	run -0 sochdb-wal dump --format jsonl
	[ -z "$output" ]
}

@test "truncate --up-to: removes covered WAL; past the checkpoint is refused" {
	fill 10
	lsn=$(sochdb-wal stats --format json | sed 's/.*"wal_end_lsn":\([0-9]*\).*/\1/')
	run -3 --separate-stderr sochdb-wal truncate --up-to "$lsn"
	[ "$stderr" = "sochdb-wal: LSN $lsn is past the last checkpoint (LSN 0); run 'sochdb-wal checkpoint' first" ]
	run -0 --separate-stderr sochdb-wal truncate --up-to 0
	[ -z "$stderr" ]
	sochdb-wal checkpoint
	cp=$(sochdb-wal stats --format json | sed 's/.*"checkpoint_lsn":\([0-9]*\).*/\1/')
	run -0 sochdb-wal truncate --up-to "$cp"
	run -2 --separate-stderr sochdb-wal truncate
	[[ "$stderr" == "sochdb-wal: missing --up-to LSN"* ]]
	run -0 sochdb-kv get k000003
}

@test "recover cuts a torn tail and announces it; --dry-run changes nothing" {
	fill 5
	seg=$(ls "$SOCHDB_DIR"/wal-*.log)
	size=$(stat -c %s "$seg")
	printf '\x01\x02\x03' >>"$seg"
	run -0 --separate-stderr sochdb-wal recover --dry-run
	[ "$stderr" = "sochdb-wal: warning: would cut torn WAL tail at LSN $size ('$seg' offset $size): 3 bytes" ]
	[ "$(stat -c %s "$seg")" -eq $((size + 3)) ]
	run -0 --separate-stderr sochdb-wal recover
	[ "$stderr" = "sochdb-wal: warning: cut torn WAL tail at LSN $size ('$seg' offset $size): 3 bytes" ]
	[ "$(stat -c %s "$seg")" -eq "$size" ]
	run -0 --separate-stderr sochdb-wal recover
	[ -z "$stderr" ]
	run -0 sochdb-kv get k000005
}

@test "backup DEST: a consistent copy that verifies; DEST must be absent or empty" {
	fill 100; sochdb-wal checkpoint; fill 20 w
	run -0 sochdb-wal backup "$BATS_TEST_TMPDIR/bk"
	run -0 sochdb-wal verify -d "$BATS_TEST_TMPDIR/bk"
	diff <(sochdb-kv dump) <(sochdb-kv dump -d "$BATS_TEST_TMPDIR/bk")
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -0 sochdb-wal backup "$BATS_TEST_TMPDIR/empty"
	run -3 --separate-stderr sochdb-wal backup "$BATS_TEST_TMPDIR/bk"
	[ "$stderr" = "sochdb-wal: backup destination '$BATS_TEST_TMPDIR/bk' exists and is not empty" ]
	run -2 --separate-stderr sochdb-wal backup
	[[ "$stderr" == "sochdb-wal: missing DEST"* ]]
	# the source keeps working and the copy is independent
	sochdb-kv put after backup
	run -1 sochdb-kv get -d "$BATS_TEST_TMPDIR/bk" after
}

@test "the 4th level-0 table triggers a level-0 compaction (disjoint tables move down unrewritten); compact compresses with zstd" {
	for i in 1 2 3; do fill 100 "c$i-"; sochdb-wal checkpoint; done
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[3,0,'* ]]
	before=$(cd "$SOCHDB_DIR" && ls *.sst | tr '\n' ' ')
	fill 100 c4-; sochdb-wal checkpoint
	# four tables of disjoint keys: moved to level 1 by the manifest alone
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[0,4,'* ]] || fail "$output"
	for f in $before; do [ -f "$SOCHDB_DIR/$f" ] || fail "$f was rewritten"; done
	[ "$(sochdb-kv scan | wc -l)" -eq 400 ]
	# four tables over the same keys: merged with the level-1 table they overlap
	for i in 1 2 3 4; do fill 100 c2-; sochdb-wal checkpoint; done
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables_per_level":[0,4,'* ]] || fail "$output"
	[ "$(sochdb-kv scan | wc -l)" -eq 400 ]
	run -0 sochdb-wal verify
	# repetitive values: the zstd-compressed run is much smaller than raw
	seq 2000 | awk '{ printf "z%06d\t%s\n", $1, "the same words again and again and again" }' | sochdb-kv load
	sochdb-wal checkpoint
	sochdb-wal compact
	run -0 sochdb-kv stats --format json
	ratio=$(sed 's/.*"compression_ratio":\([0-9.]*\).*/\1/' <<<"$output")
	awk -v r="$ratio" 'BEGIN { exit !(r > 3) }' || fail "compression ratio $ratio"
}

@test "a writer flushes the WAL to a table itself past the flush threshold" {
	export SOCHDB_FLUSH_BYTES=10000
	fill 50
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"tables":0,'* ]]
	fill 300 x
	run -0 sochdb-wal stats --format json
	[[ "$output" == *'"wal_bytes":0,'* ]] && [[ "$output" == *'"tables":1,'* ]]
	[ "$(sochdb-kv scan | wc -l)" -eq 350 ]
}

@test "backup while writers write: the copy verifies and holds whole transactions" {
	fill 200
	sochdb-wal checkpoint
	d=$BATS_TEST_TMPDIR
	(for i in $(seq 300); do
		printf 'put\tt%04d-a\tx\nput\tt%04d-b\tx\n' "$i" "$i" | sochdb-kv txn --sync normal
	done) &
	for b in 1 2 3; do
		sleep 0.$((b * 2))
		run -0 sochdb-wal backup "$d/bk$b"
		run -0 sochdb-wal verify -d "$d/bk$b"
		# every transaction is in the copy whole or not at all
		a=$(sochdb-kv scan -d "$d/bk$b" --prefix t --keys-only | grep -c -- '-a$' || true)
		z=$(sochdb-kv scan -d "$d/bk$b" --prefix t --keys-only | grep -c -- '-b$' || true)
		[ "$a" -eq "$z" ] || fail "backup $b: $a vs $z"
		[ "$(sochdb-kv scan -d "$d/bk$b" --prefix k | wc -l)" -eq 200 ]
	done
	wait
}
