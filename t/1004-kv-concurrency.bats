#!/usr/bin/env bats
# 1004-kv-concurrency: the writer lock and its timeout; readers beside
# writers and maintenance; 4 writers + readers + a checkpoint/compact loop
# with a bank-transfer invariant (RELIABILITY.md harness 6).

load test_helper

setup() { setup_db; }

# Holds an OFD lock on byte $1 of LOCK until the file $2 disappears.
hold_lock() {
	/usr/bin/python3 - "$SOCHDB_DIR/LOCK" "$1" "$2" <<'PY' &
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
F_OFD_SETLK = 37
fcntl.fcntl(fd, F_OFD_SETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, int(sys.argv[2]), 1, 0))
open(sys.argv[3] + '.held', 'w').close()
while os.path.exists(sys.argv[3]):
    time.sleep(0.02)
PY
	while [ ! -e "$2.held" ]; do sleep 0.02; done
}

@test "a held write lock: writers give up after --lock-timeout with exit 3; readers go on" {
	sochdb-kv put k v
	touch "$BATS_TEST_TMPDIR/hold"
	hold_lock 0 "$BATS_TEST_TMPDIR/hold"
	start=$(date +%s%N)
	run -3 --separate-stderr sochdb-kv put k v2 --lock-timeout 0.5
	[ "$stderr" = "sochdb-kv: database '$SOCHDB_DIR' is busy: write lock held by another process (gave up after 0.5 s)" ]
	el=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$el" -ge 450 ] && [ "$el" -lt 3000 ]
	run -3 sochdb-kv del k --lock-timeout 0
	run -3 bash -c 'printf "put\tk\tx\n" | sochdb-kv txn --lock-timeout 0.1'
	run -0 sochdb-kv get k
	[ "$output" = v ]
	run -0 sochdb-kv scan
	run -0 sochdb-wal verify
	# a waiting writer proceeds as soon as the lock is released
	(sleep 0.3; rm -f "$BATS_TEST_TMPDIR/hold") &
	run -0 sochdb-kv put k v3 --lock-timeout 10
	wait
	run -0 sochdb-kv get k
	[ "$output" = v3 ]
}

@test "bank transfers: 4 writers + readers + checkpoint/compact loop keep the total constant" {
	dur=$(scaled 60)
	export SOCHDB_FLUSH_BYTES=30000
	n=10
	for i in $(seq 0 $((n - 1))); do printf 'acct/%02d\t1000\n' "$i"; done | sochdb-kv load
	total=$((n * 1000))
	end=$(($(date +%s) + dur))
	d=$BATS_TEST_TMPDIR
	writer() { # writer ID: random transfers with cas; counts commits
		local id=$1 ok=0 conflicts=0 seq=0
		RANDOM=$((id * 7919))
		while [ "$(date +%s)" -lt "$end" ]; do
			a=$(printf 'acct/%02d' $((RANDOM % n)))
			b=$(printf 'acct/%02d' $((RANDOM % n)))
			[ "$a" = "$b" ] && continue
			{ read -r va; read -r vb; } < <(printf '%s\n%s\n' "$a" "$b" | sochdb-kv get --stdin)
			amt=$((RANDOM % 50))
			seq=$((seq + 1))
			if printf 'cas\t%s\t%s\t%s\ncas\t%s\t%s\t%s\nput\tlog/%s/%06d\t%s\n' \
				"$a" "$va" $((va - amt)) "$b" "$vb" $((vb + amt)) "$id" "$seq" "$amt" |
				sochdb-kv txn --sync normal 2>>"$d/w$id.err"; then
				ok=$((ok + 1))
				echo "$id/$seq" >>"$d/acked"
			else
				conflicts=$((conflicts + 1))
			fi
		done
		echo "$ok $conflicts" >"$d/w$id.count"
	}
	reader() {
		local checks=0
		while [ "$(date +%s)" -lt "$end" ]; do
			sum=$(sochdb-kv scan --prefix acct/ | awk -F'\t' '{ s += $2 } END { print s + 0 }')
			cnt=$(sochdb-kv scan --prefix acct/ --keys-only | wc -l)
			[ "$sum" -eq "$total" ] && [ "$cnt" -eq "$n" ] || echo "total $sum over $cnt accounts" >>"$d/violations"
			checks=$((checks + 1))
		done
		echo "$checks" >"$d/r$1.count"
	}
	maint() {
		local runs=0
		while [ "$(date +%s)" -lt "$end" ]; do
			sochdb-wal checkpoint --skip-if-busy || echo "checkpoint failed" >>"$d/violations"
			sochdb-wal compact --skip-if-busy || echo "compact failed" >>"$d/violations"
			runs=$((runs + 1))
			sleep 0.2
		done
		echo "$runs" >"$d/m.count"
	}
	for id in 1 2 3 4; do writer "$id" & done
	reader 1 & reader 2 &
	maint &
	wait
	commits=$(cat "$d"/w*.count | awk '{ s += $1 } END { print s }')
	echo "# ${dur}s: $commits transfers, conflicts $(cat "$d"/w*.count | awk '{ s += $2 } END { print s }'), reader checks $(cat "$d"/r*.count | awk "{ s += \$1 } END { print s }"), maintenance runs $(cat "$d/m.count")" >&3
	[ ! -s "$d/violations" ] || fail "$(head "$d/violations")"
	[ "$commits" -gt 0 ]
	# nothing lost or duplicated: every acknowledged transfer left its log key
	run -0 sochdb-kv scan --prefix log/ --keys-only
	[ "${#lines[@]}" -eq "$commits" ] || fail "log keys ${#lines[@]} != commits $commits"
	diff <(sort "$d/acked") <(sochdb-kv scan --prefix log/ --keys-only | sed 's|^log/||; s|/0*|/|' | sort)
	sum=$(sochdb-kv scan --prefix acct/ | awk -F'\t' '{ s += $2 } END { print s }')
	[ "$sum" -eq "$total" ]
	run -0 sochdb-wal verify
	# conflict stderr is the documented message only
	! grep -v "conflict: cas on key" "$d"/w*.err
}
