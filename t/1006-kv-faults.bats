#!/usr/bin/env bats
# 1006-kv-faults: disk full and I/O errors (the I/O layer's SDB_IO_FAULT
# hook and strace fault injection on the real binaries), and the fsync
# discipline observed with strace.

load test_helper

setup() {
	setup_db
	sochdb-kv put base 1
	printf 'k%03d\tv%d\n' $(seq 50 | awk '{ print $1, $1 }') | sochdb-kv load
	sochdb-kv dump >"$BATS_TEST_TMPDIR/expected"
}

need_strace() {
	strace -f -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"
	# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds)
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
}

check_intact() {
	run -0 --separate-stderr sochdb-kv dump
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/expected")" ] || fail "content changed: $stderr"
	run -0 --separate-stderr sochdb-wal verify || fail "verify: $stderr"
}

@test "ENOSPC on the WAL write: exit 3, clear message, nothing lost" {
	SDB_IO_FAULT=write:1:ENOSPC run -3 --separate-stderr sochdb-kv put new value
	[[ "$stderr" == "sochdb-kv: cannot write '$SOCHDB_DIR/wal-"*".log': No space left on device" ]]
	check_intact
	run -1 sochdb-kv get new
	SDB_IO_FAULT=write:1:EIO run -3 --separate-stderr bash -c 'printf "a\tb\n" | sochdb-kv load'
	[[ "$stderr" == *": Input/output error" ]]
	check_intact
}

@test "an fsync failure is fatal for that commit: exit 3, never reported as success" {
	SDB_IO_FAULT=fsync:1:EIO run -3 --separate-stderr sochdb-kv put new value
	[[ "$stderr" == "sochdb-kv: cannot sync '$SOCHDB_DIR/wal-"*".log': Input/output error" ]]
	run -0 sochdb-wal verify
	SDB_IO_FAULT=fsync:1:EIO run -0 sochdb-kv put other value --sync off
}

@test "every fault point of checkpoint and compact: exit 0 or 3, then all data is there" {
	sochdb-kv put more data
	sochdb-kv dump >"$BATS_TEST_TMPDIR/expected"
	points=0
	for kind in write fsync rename open unlink ftruncate; do
		for k in 1 2 3 4 5 6; do
			for mode in "" ":persist"; do
				rm -rf "$BATS_TEST_TMPDIR/c"; cp -a "$SOCHDB_DIR" "$BATS_TEST_TMPDIR/c"
				SOCHDB_DIR=$BATS_TEST_TMPDIR/c SDB_IO_FAULT=$kind:$k:EIO$mode run --separate-stderr sochdb-wal checkpoint
				[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "checkpoint $kind:$k$mode: status $status"
				[ "$status" -eq 0 ] || [ -n "$stderr" ]
				SOCHDB_DIR=$BATS_TEST_TMPDIR/c SDB_IO_FAULT=$kind:$k:ENOSPC$mode run --separate-stderr sochdb-wal compact
				[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "compact $kind:$k$mode: status $status"
				SOCHDB_DIR=$BATS_TEST_TMPDIR/c run -0 sochdb-kv dump
				[ "$output" = "$(cat "$BATS_TEST_TMPDIR/expected")" ] || fail "data differs after $kind:$k$mode"
				SOCHDB_DIR=$BATS_TEST_TMPDIR/c run -0 sochdb-wal verify
				SOCHDB_DIR=$BATS_TEST_TMPDIR/c run -0 sochdb-wal checkpoint
				SOCHDB_DIR=$BATS_TEST_TMPDIR/c run -0 sochdb-kv dump
				[ "$output" = "$(cat "$BATS_TEST_TMPDIR/expected")" ]
				points=$((points + 2))
			done
		done
	done
	echo "# $points fault points of checkpoint/compact" >&3
}

@test "strace-injected ENOSPC and EIO on the real binaries" {
	need_strace
	run -3 --separate-stderr strace -f -o /dev/null -e inject=pwrite64:error=ENOSPC sochdb-kv put new v
	[[ "$stderr" == "sochdb-kv: cannot write '$SOCHDB_DIR/wal-"*"': No space left on device" ]]
	check_intact
	run -3 --separate-stderr strace -f -o /dev/null -e inject=fdatasync:error=EIO sochdb-kv put new v
	[[ "$stderr" == "sochdb-kv: cannot sync '$SOCHDB_DIR/wal-"*"': Input/output error" ]]
	# not acknowledged: its outcome is unknown (the record may survive),
	# everything committed before is intact
	sochdb-kv del new
	check_intact
	for n in 1 2 3; do
		run --separate-stderr strace -f -o /dev/null -e inject=write:error=ENOSPC:when=$n sochdb-wal checkpoint
		[ "$status" -eq 3 ] || [ "$status" -eq 0 ]
		check_intact
	done
	run --separate-stderr strace -f -o /dev/null -e inject=rename:error=EIO sochdb-wal compact
	[ "$status" -eq 3 ] || [ "$status" -eq 0 ]
	check_intact
	# stdout on a full disk: write failure reported, exit 3
	run -3 --separate-stderr bash -c 'sochdb-kv scan >/dev/full'
	[[ "$stderr" == "sochdb-kv: write failure on standard output: No space left on device" ]]
}

@test "fsync discipline: --sync full syncs the WAL record before exit; off never syncs" {
	need_strace
	log=$BATS_TEST_TMPDIR/st
	run -0 strace -f -y -o "$log" -e trace=pwrite64,fdatasync,fsync,rename,openat sochdb-kv put k v
	# the WAL write is followed by an fdatasync of the same file before exit
	awk '/pwrite64\(.*wal-/ { w = 1 } /fdatasync\(.*wal-/ && w { s = 1 } END { exit !(w && s) }' "$log"
	run -0 strace -f -y -o "$log" -e trace=pwrite64,fdatasync,fsync sochdb-kv put k v --sync off
	! grep -E 'fsync|fdatasync' "$log"
	run -0 strace -f -y -o "$log" -e trace=fdatasync,fsync sochdb-kv put k v --sync normal
	! grep -E 'fsync|fdatasync' "$log"
	run -0 strace -f -y -o "$log" -e trace=fdatasync,fsync bash -c 'printf "a\tb\nc\td\n" | sochdb-kv load --sync normal'
	[ "$(grep -c fdatasync "$log")" -eq 1 ]
	run -0 strace -f -y -o "$log" -e trace=fdatasync,fsync bash -c 'printf "a\tb\nc\td\n" | sochdb-kv load'
	[ "$(grep -c fdatasync "$log")" -eq 1 ]
}

@test "fsync discipline: every published file is synced before its rename, its directory after" {
	need_strace
	log=$BATS_TEST_TMPDIR/st
	sochdb-kv put x y
	for cmd in "sochdb-wal checkpoint" "sochdb-wal compact" "sochdb-wal backup $BATS_TEST_TMPDIR/bk"; do
		run -0 strace -f -y -o "$log" -e trace=fsync,fdatasync,rename,openat,unlink $cmd
		awk -v dir="$SOCHDB_DIR" '
			/fsync\(/ { match($0, /<[^>]*>/); synced[substr($0, RSTART + 1, RLENGTH - 2)] = NR }
			/rename\(/ { split($0, a, "\""); src = a[2]; dst = a[4]
				if (!(src in synced)) { print "not synced before rename: " src; bad = 1 }
				pending[dst] = NR }
			/fsync\(/ && /<[^>]*>\)/ { match($0, /<[^>]*>/); d = substr($0, RSTART + 1, RLENGTH - 2)
				for (p in pending) { n = p; sub(/\/[^\/]*$/, "", n); if (n == d) delete pending[p] } }
			/unlink\(/ { for (p in pending) { print "unlink before directory sync of " p; bad = 1 } }
			END { for (p in pending) { print "directory not synced after rename of " p; bad = 1 }
			      exit bad }' "$log" || fail "$cmd"
	done
	run -0 strace -f -y -o "$log" -e trace=fsync,fdatasync sochdb-wal checkpoint --sync off
	! grep -E 'fsync|fdatasync' "$log"
}

@test "fsync discipline: --sync normal syncs the old segment and the directory at a segment switch" {
	need_strace
	log=$BATS_TEST_TMPDIR/st
	export SOCHDB_WAL_SEGMENT_BYTES=1
	run -0 strace -f -y -o "$log" -e trace=fdatasync,fsync sochdb-kv put k2 v --sync normal
	grep -q 'fdatasync(.*wal-' "$log"
	grep -q "fsync(.*<$SOCHDB_DIR>)" "$log"
	run -0 strace -f -y -o "$log" -e trace=fdatasync,fsync sochdb-kv put k3 v --sync off
	! grep -E 'fsync|fdatasync' "$log"
	run -0 sochdb-kv get k3
	run -0 sochdb-wal verify
}
