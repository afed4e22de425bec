#!/usr/bin/env bats
# 1005-kv-crash: the kill -9 loop (RELIABILITY.md harness 1). Writers
# record each key in a side log only after the tool reported success; a
# supervisor SIGKILLs writers and a checkpoint/compact loop at random
# moments; after every cycle each acknowledged write must read back, and
# the database must open and verify. `make stress` runs 10x the cycles.

load test_helper

setup() { setup_db; }

@test "kill -9 loop: no acknowledged write lost, the database always opens" {
	cycles=$(scaled 200)
	seed=${CRASH_SEED:-$RANDOM}
	RANDOM=$seed
	echo "# kill -9 loop: $cycles cycles, seed $seed" >&3
	export SOCHDB_FLUSH_BYTES=20000 SOCHDB_WAL_SEGMENT_BYTES=16384
	d=$BATS_TEST_TMPDIR
	: >"$d/acked"
	sochdb-kv put init 1
	for c in $(seq "$cycles"); do
		# writer 1: single puts; writer 2: txns of 3 and small loads
		setsid bash -c 'i=0; while :; do i=$((i+1)); k="p'"$c"'-$i"
			sochdb-kv put "$k" "val-$k" && printf "%s\n" "$k" >>"'"$d"'/acked"; done' &
		p1=$!
		setsid bash -c 'i=0; while :; do i=$((i+1)); k="t'"$c"'-$i"
			if [ $((i % 5)) -eq 0 ]; then
				seq 40 | sed "s/.*/$k-&\tval-$k-&/" | sochdb-kv load --sync normal &&
					seq 40 | sed "s/.*/$k-&/" >>"'"$d"'/acked"
			else
				printf "put\t%s-a\tval-%s-a\nput\t%s-b\tval-%s-b\ndel\tnothing\n" "$k" "$k" "$k" "$k" |
					sochdb-kv txn && printf "%s-a\n%s-b\n" "$k" "$k" >>"'"$d"'/acked"
			fi; done' &
		p2=$!
		setsid bash -c 'while :; do sochdb-wal checkpoint; sochdb-wal compact; done' 2>/dev/null &
		p3=$!
		sleep "$(printf "0.%02d" $((RANDOM % 20 + 3)))"
		# the groups, and the leaders themselves in case a kill came before
		# setsid(2) made their group (then there is no group to signal yet)
		kill -9 -- -"$p1" -"$p2" -"$p3" "$p1" "$p2" "$p3" 2>/dev/null
		wait "$p1" "$p2" "$p3" 2>/dev/null || true
		# every acknowledged key reads back with its value (a cycle killed
		# before any write was acknowledged has nothing to check yet)
		[ -s "$d/acked" ] || continue
		run --separate-stderr sochdb-kv get --stdin <"$d/acked"; [ "$status" -eq 0 ] || fail "get: $stderr"
		paste "$d/acked" <(printf '%s\n' "${lines[@]}") |
			awk -F'\t' '$2 != "val-" $1 { print "lost or wrong: " $1 " -> " $2; bad = 1 } END { exit bad }' ||
			fail "cycle $c (seed $seed)"
		[ "${#lines[@]}" -eq "$(wc -l <"$d/acked")" ]
		if [ $((c % 20)) -eq 0 ] || [ "$c" -eq "$cycles" ]; then
			run -0 --separate-stderr sochdb-wal verify || fail "verify after cycle $c: $stderr"
		fi
	done
	echo "# $(wc -l <"$d/acked") acknowledged writes checked after every cycle" >&3
	run -0 sochdb-wal recover
	run -0 sochdb-wal checkpoint
	run -0 sochdb-wal compact
	run -0 sochdb-wal verify
	run -0 sochdb-kv get --stdin <"$d/acked"
}
