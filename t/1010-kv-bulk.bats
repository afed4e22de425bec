#!/usr/bin/env bats
# 1010-kv-bulk: `sochdb-kv load --bulk` (the store's bulk ingest: sorted
# records written straight into tables, one manifest switch): the same
# database as a plain load, the last record of a key winning, deletes,
# TTLs and namespaces, ordering against older and newer commits (range
# deletes included), errors applying nothing, and kill -9 during bulk
# loads (all of a load or none of it after reopen).

load test_helper

setup() { setup_db; }

# N shuffled records "key<TAB>value" (seeded).
records() {
	awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.0f\tk%07d\tval-%d-%d\n", rand() * 1e9, i, i, seed }' |
		sort -n | cut -f2-
}

@test "load --bulk builds the same database as a plain load" {
	records 5000 1 >"$BATS_TEST_TMPDIR/in.tsv"
	printf 'k0000007\t\\N\nk0000008\tsecond\nns-key\tv\t\\N\tother\nttl-key\tv\t1\n' >>"$BATS_TEST_TMPDIR/in.tsv"
	sochdb-kv load "$BATS_TEST_TMPDIR/in.tsv"
	sochdb-kv dump >"$BATS_TEST_TMPDIR/plain"
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/bulkdb
	run -0 --separate-stderr sochdb-kv load --bulk "$BATS_TEST_TMPDIR/in.tsv"
	sochdb-kv dump >"$BATS_TEST_TMPDIR/bulk"
	cmp "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/bulk"
	run -1 sochdb-kv get k0000007
	run -0 sochdb-kv get k0000008
	[ "$output" = second ]
	run -0 sochdb-kv -n other get ns-key
	run -1 sochdb-kv get ttl-key
	# no WAL replay needed: the records are in a table
	run -0 sochdb-kv stats --format json
	[[ "$output" == *'"wal_bytes":0'* ]] || [[ "$output" == *'"wal_bytes": 0'* ]] || fail "$output"
	run -0 sochdb-wal verify
}

@test "load --bulk is newer than what was committed before, older than what comes after" {
	sochdb-kv put a old
	sochdb-kv put b old
	sochdb-wal checkpoint
	sochdb-kv put c old
	printf 'put\td\told\nput\te\told\n' | sochdb-kv txn
	sochdb-kv del e
	printf 'a\tbulk\nc\tbulk\ne\tbulk\n' | sochdb-kv load --bulk
	[ "$(sochdb-kv get a)" = bulk ]
	[ "$(sochdb-kv get b)" = old ]
	[ "$(sochdb-kv get c)" = bulk ]
	[ "$(sochdb-kv get d)" = old ]
	[ "$(sochdb-kv get e)" = bulk ]
	sochdb-kv put a newer
	printf 'b\t\\N\n' | sochdb-kv load --bulk
	[ "$(sochdb-kv get a)" = newer ]
	run -1 sochdb-kv get b
	sochdb-wal checkpoint
	sochdb-wal compact
	[ "$(sochdb-kv get a)" = newer ]
	run -1 sochdb-kv get b
	[ "$(sochdb-kv get c)" = bulk ]
	run -0 sochdb-wal verify
}

@test "load --bulk: a bad line applies nothing, --partial what came before" {
	sochdb-kv put keep 1
	printf 'x\t1\ny\t2\nbad line\nz\t3\n' >"$BATS_TEST_TMPDIR/in.tsv"
	run -3 --separate-stderr sochdb-kv load --bulk "$BATS_TEST_TMPDIR/in.tsv"
	[[ "$stderr" == *"line 3"*"nothing loaded"* ]] || fail "$stderr"
	run -1 sochdb-kv get x
	run -3 --separate-stderr sochdb-kv load --bulk --partial "$BATS_TEST_TMPDIR/in.tsv"
	[ "$(sochdb-kv get y)" = 2 ]
	run -1 sochdb-kv get z
	[ "$(sochdb-kv get keep)" = 1 ]
	# the writer lock held elsewhere (a POSIX lock on byte 0 conflicts
	# with the tools' OFD lock): busy past --lock-timeout, nothing applied
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+"); fcntl.lockf(f, fcntl.LOCK_EX, 1, 0)
open(sys.argv[2], "w").close(); time.sleep(3)' "$SOCHDB_DIR/LOCK" "$BATS_TEST_TMPDIR/held" &
	while [ ! -e "$BATS_TEST_TMPDIR/held" ]; do sleep 0.05; done
	run -3 --separate-stderr sochdb-kv load --bulk --lock-timeout 0.2 < <(printf 'lk\t1\n')
	[[ "$stderr" == *"lock"* ]] || fail "$stderr"
	kill %1 2>/dev/null || true
	wait || true
	run -1 sochdb-kv get lk
}

@test "kill -9 during load --bulk: each load is all there or not at all" {
	cycles=$(scaled 25)
	seed=${CRASH_SEED:-$RANDOM}
	echo "# bulk kill -9: $cycles cycles, seed $seed" >&3
	d=$BATS_TEST_TMPDIR
	sochdb-kv put init 1
	killed=0
	for c in $(seq "$cycles"); do
		records 20000 "$c" | sed "s/^k/c$c-k/" >"$d/in-$c.tsv"
		setsid bash -c 'sochdb-kv load --bulk "'"$d/in-$c.tsv"'" && echo ok >"'"$d/acked-$c"'"' &
		p=$!
		sleep "$(awk -v s="$seed" -v c="$c" 'BEGIN { srand(s + c); printf "0.%03d", rand() * 150 }')"
		kill -9 -- -"$p" "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		run -0 --separate-stderr sochdb-kv scan --prefix "c$c-" --keys-only
		n=${#lines[@]}
		[ "$n" -eq 0 ] && killed=$((killed + 1))
		if [ -e "$d/acked-$c" ]; then
			[ "$n" -eq 20000 ] || fail "cycle $c: acknowledged load has $n of 20000 keys (seed $seed)"
		else
			[ "$n" -eq 0 ] || [ "$n" -eq 20000 ] || fail "cycle $c: $n of 20000 keys (seed $seed)"
		fi
		if [ "$n" -eq 20000 ]; then
			run -0 sochdb-kv get "c$c-k0000123"
			[ "$output" = "val-123-$c" ] || fail "cycle $c: $output"
		fi
	done
	echo "# $killed of $cycles loads killed before they were applied" >&3
	run -0 --separate-stderr sochdb-wal verify
	run -0 sochdb-wal checkpoint
	run -0 sochdb-wal compact
	run -0 sochdb-wal verify
	# no file of a killed load is left behind once maintenance ran
	[ "$(ls "$SOCHDB_DIR" | grep -c 'tmp')" -eq 0 ]
}
