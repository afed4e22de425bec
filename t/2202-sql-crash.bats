#!/usr/bin/env bats
# 2202-sql-crash: sochdb-sql killed with SIGKILL in the middle of a
# multi-statement COMMIT, of .import and of DROP TABLE: after reopen each
# is there entirely or not at all (RELIABILITY.md harness 1, for SQL); and
# two writers + readers + a checkpoint/compact loop keep the sum of the
# balances constant in every snapshot (harness 6).

load test_helper

setup() {
	setup_db
	DB=$SOCHDB_DIR
	command -v sochdb-sql >/dev/null || skip "sochdb-sql is not built yet"
	local probe=$BATS_TEST_TMPDIR/probe
	[ "$(sochdb-sql -d "$probe" --no-header -c 'CREATE TABLE t(a)' -c 'INSERT INTO t VALUES(7)' \
		-c 'SELECT a FROM t' 2>/dev/null)" = 7 ] ||
		skip "sochdb-sql does not store and read tables yet"
	rm -rf "$probe"
}

sql() { sochdb-sql -d "$DB" --format tsv --no-header "$@"; }

# INSERT INTO $1 VALUES of rows 1..$2 with the columns printf $3 makes of i.
values() {
	seq 1 "$2" | awk -v t="$1" -v f="$3" 'BEGIN { printf "INSERT INTO %s VALUES", t }
		{ printf "%s(" f ")", (NR > 1 ? "," : ""), $1, $1, $1 } END { print ";" }'
}

# Milliseconds "$@" takes (run to its end).
took_ms() {
	local t0
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || true
	echo $((($(date +%s%N) - t0) / 1000000 + 1))
}

@test "kill -9 during a multi-statement COMMIT: all of the transaction or none of it" {
	local n=50 cycles rows=3000 win
	cycles=$(scaled 20)
	sql -c 'CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)' \
		-c 'CREATE TABLE batch(id INTEGER PRIMARY KEY, txn INTEGER, k INTEGER)'
	sql -c "$(values acct "$n" '%d, 1000')"
	local all=0 none=0
	for c in $(seq 1 "$cycles"); do
		# one transaction: transfers, then $rows batch rows tagged with the cycle
		{
			echo 'BEGIN;'
			for i in $(seq 1 400); do
				a=$((RANDOM % n + 1)) b=$((RANDOM % n + 1)) x=$((RANDOM % 100))
				echo "UPDATE acct SET bal = bal - $x WHERE id = $a; UPDATE acct SET bal = bal + $x WHERE id = $b;"
			done
			values "batch(txn, k)" "$rows" "$c, %d"
			echo 'COMMIT;'
		} >"$BATS_TEST_TMPDIR/txn.sql"
		# the first cycle runs whole and sets the window the others are
		# killed in: anywhere from start-up to after the commit
		if [ "$c" -eq 1 ]; then
			win=$(took_ms sochdb-sql -d "$DB" "$BATS_TEST_TMPDIR/txn.sql")
		else
			kill_after "$win" sochdb-sql -d "$DB" "$BATS_TEST_TMPDIR/txn.sql"
		fi
		run -0 sql -c 'SELECT sum(bal), count(*) FROM acct'
		[ "$output" = "$((n * 1000))	$n" ] || fail "cycle $c: balances $output"
		run -0 sql -c "SELECT count(*) FROM batch WHERE txn = $c"
		case $output in
		0) none=$((none + 1)) ;;
		"$rows") all=$((all + 1)) ;;
		*) fail "cycle $c: $output of $rows rows of the transaction" ;;
		esac
	done
	echo "# $cycles cycles (kill window $win ms): $all committed whole, $none not at all" >&3
	printf '%-34s %12s   failures 0\n' "sql kill -9 in COMMIT (cycles)" "$cycles" >>"$BUILD/results-table.txt"
	run -0 sochdb-wal verify
}

@test "kill -9 during .import: every line of the file or none" {
	local n cycles win
	n=$(scaled 20000)
	cycles=$(scaled 10)
	seq 1 "$n" | awk '{ printf "%d,name %d,%d.5\n", $1, $1, $1 % 97 }' >"$BATS_TEST_TMPDIR/in.csv"
	for c in $(seq 1 "$cycles"); do
		sql -c "DROP TABLE IF EXISTS t" -c 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL)'
		[ "$c" -gt 1 ] || win=$(took_ms sochdb-sql -d "$DB" -c ".import --csv $BATS_TEST_TMPDIR/in.csv t")
		[ "$c" -eq 1 ] || kill_after "$win" sochdb-sql -d "$DB" -c ".import --csv $BATS_TEST_TMPDIR/in.csv t"
		run -0 sql -c 'SELECT count(*) FROM t'
		[ "$output" = 0 ] || [ "$output" = "$n" ] || fail "cycle $c: $output of $n lines imported"
	done
	# and uninterrupted, it is all there
	sql -c 'DELETE FROM t' -c ".import --csv $BATS_TEST_TMPDIR/in.csv t"
	run -0 sql -c 'SELECT count(*), sum(id) FROM t'
	[ "$output" = "$n	$((n * (n + 1) / 2))" ]
	run -0 sochdb-wal verify
}

@test "kill -9 during a large .import and COMMIT written straight into a table: all or none" {
	# past the flush threshold a commit writes the WAL's content and the
	# transaction as one table and switches the manifest (no WAL records
	# of its rows): killed anywhere in it, all or nothing after reopen
	local n cycles win
	export SOCHDB_FLUSH_BYTES=65536
	n=$(scaled 20000)
	cycles=$(scaled 10)
	seq 1 "$n" | awk '{ printf "%d,name %d,%d.5\n", $1, $1, $1 % 97 }' >"$BATS_TEST_TMPDIR/in.csv"
	{ echo 'BEGIN;'; seq 1 "$n" | awk '{ printf "INSERT INTO u VALUES(%d, %d);\n", $1, $1 * 3 }'; echo 'COMMIT;'; } \
		>"$BATS_TEST_TMPDIR/u.sql"
	for c in $(seq 1 "$cycles"); do
		sql -c "DROP TABLE IF EXISTS t" -c 'CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL)' \
			-c "DROP TABLE IF EXISTS u" -c 'CREATE TABLE u(id INTEGER PRIMARY KEY, w INTEGER)'
		if [ "$c" -eq 1 ]; then
			win=$(took_ms sochdb-sql -d "$DB" -c ".import --csv $BATS_TEST_TMPDIR/in.csv t" "$BATS_TEST_TMPDIR/u.sql")
			# committed without logging the rows: the WAL holds the DDL only
			run -0 sochdb-wal stats
			local lsn
			lsn=$(echo "$output" | awk '$1 == "wal_end_lsn:" { print $2 }')
			[ "$lsn" -lt $((n * 4)) ] || fail "the rows went through the WAL ($lsn bytes)"
		else
			kill_after "$win" sochdb-sql -d "$DB" -c ".import --csv $BATS_TEST_TMPDIR/in.csv t" "$BATS_TEST_TMPDIR/u.sql"
		fi
		run -0 sql -c 'SELECT count(*), coalesce(sum(id), 0) FROM t'
		[ "$output" = "0	0" ] || [ "$output" = "$n	$((n * (n + 1) / 2))" ] || fail "cycle $c: t has $output"
		run -0 sql -c 'SELECT count(*), coalesce(sum(w), 0) FROM u'
		[ "$output" = "0	0" ] || [ "$output" = "$n	$((3 * n * (n + 1) / 2))" ] || fail "cycle $c: u has $output"
	done
	run -0 sochdb-wal verify
}

@test "kill -9 during DROP TABLE: the table whole or gone, and a new one of that name empty" {
	local n cycles win
	n=$(scaled 20000)
	cycles=$(scaled 8)
	seq 1 "$n" | awk '{ printf "%d,row %d\n", $1, $1 }' >"$BATS_TEST_TMPDIR/in.csv"
	for c in $(seq 1 "$cycles"); do
		sql -c 'DROP TABLE IF EXISTS big' -c 'CREATE TABLE big(id INTEGER PRIMARY KEY, s TEXT)' \
			-c 'CREATE INDEX big_s ON big(s)' -c ".import --csv $BATS_TEST_TMPDIR/in.csv big"
		if [ "$c" -eq 1 ]; then
			win=$(took_ms sochdb-sql -d "$DB" -c 'DROP TABLE big')
		else
			kill_after "$win" sochdb-sql -d "$DB" -c 'DROP TABLE big'
		fi
		run sql -c 'SELECT count(*), count(DISTINCT s) FROM big'
		if [ "$status" -eq 0 ]; then
			[ "$output" = "$n	$n" ] || fail "cycle $c: big half dropped: $output"
			# its index is whole too
			run -0 sql -c "SELECT count(*) FROM big WHERE s >= 'row'"
			[ "$output" = "$n" ]
		else
			assert_output --partial "no such table: big"
			sql -c 'CREATE TABLE big(id INTEGER PRIMARY KEY, s TEXT)'
			run -0 sql -c 'SELECT count(*) FROM big'
			[ "$output" = 0 ] || fail "cycle $c: a dropped table's rows came back ($output)"
		fi
	done
	run -0 sochdb-wal verify
}

@test "two writers + readers + checkpoint/compact: the sum of balances holds in every snapshot" {
	local n=20 dur d=$BATS_TEST_TMPDIR
	dur=$(scaled 15)
	export SOCHDB_FLUSH_BYTES=30000
	sql -c 'CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)' \
		-c 'CREATE TABLE log(id INTEGER PRIMARY KEY, w INTEGER, seq INTEGER, amt INTEGER)'
	sql -c "$(values acct "$n" '%d, 1000')"
	local total=$((n * 1000)) end=$(($(date +%s) + dur))
	writer() {
		local id=$1 seq=0 ok=0
		RANDOM=$((id * 7919))
		while [ "$(date +%s)" -lt "$end" ]; do
			a=$((RANDOM % n + 1)) b=$((RANDOM % n + 1)) x=$((RANDOM % 50))
			seq=$((seq + 1))
			if sochdb-sql -d "$DB" --sync normal --lock-timeout 10 \
				-c "BEGIN IMMEDIATE; UPDATE acct SET bal = bal - $x WHERE id = $a; UPDATE acct SET bal = bal + $x WHERE id = $b; INSERT INTO log(w, seq, amt) VALUES($id, $seq, $x); COMMIT" \
				2>>"$d/w$id.err"; then
				ok=$((ok + 1))
				echo "$id $seq" >>"$d/acked"
			fi
		done
		echo "$ok" >"$d/w$id.count"
	}
	reader() {
		local checks=0
		while [ "$(date +%s)" -lt "$end" ]; do
			out=$(sql -c 'SELECT sum(bal), count(*) FROM acct' 2>&1)
			[ "$out" = "$total	$n" ] || echo "reader: $out" >>"$d/violations"
			# one snapshot per transaction: two reads inside BEGIN agree
			out=$(sql -c 'BEGIN' -c 'SELECT sum(bal) FROM acct' -c 'SELECT sum(bal) FROM acct' -c 'COMMIT' 2>&1)
			[ "$out" = "$total
$total" ] || echo "reader in BEGIN: $out" >>"$d/violations"
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
	writer 1 & writer 2 &
	reader 1 & reader 2 &
	maint &
	wait
	local commits
	commits=$(cat "$d"/w*.count | awk '{ s += $1 } END { print s }')
	echo "# ${dur}s: $commits transfers, reader checks $(cat "$d"/r*.count | awk '{ s += $1 } END { print s }'), maintenance runs $(cat "$d/m.count")" >&3
	[ ! -s "$d/violations" ] || fail "$(head "$d/violations")"
	[ "$commits" -gt 0 ]
	# nothing lost or duplicated: every acknowledged transfer is logged once
	diff <(sort "$d/acked") <(sql -c 'SELECT w, seq FROM log' | tr '\t' ' ' | sort)
	run -0 sql -c 'SELECT sum(bal) FROM acct'
	[ "$output" = "$total" ]
	printf '%-34s %12s   failures 0\n' "sql bank transfers (commits)" "$commits" >>"$BUILD/results-table.txt"
	run -0 sochdb-wal verify
}
