#!/usr/bin/env bats
# 1003-kv-txn: atomic batches from stdin with cas and reads of own writes.

load test_helper

setup() { setup_db; }

@test "txn applies put/del/get lines atomically; get sees own writes" {
	sochdb-kv put old x
	run -0 --separate-stderr bash -c 'printf "put\ta\t1\nget\ta\ndel\told\nget\told\nput\tb\tx\\\\ty\nget\tb\n" | sochdb-kv txn'
	[ "$output" = $'1\n\\N\nx\\ty' ]
	run -0 sochdb-kv get b
	[ "$output" = $'x\ty' ]
	run -1 sochdb-kv get old
}

@test "cas: OLD must match (\\N: must be absent); NEW \\N deletes" {
	sochdb-kv put counter 5
	run -0 bash -c 'printf "cas\tcounter\t5\t6\n" | sochdb-kv txn'
	run -0 sochdb-kv get counter
	[ "$output" = 6 ]
	run -0 bash -c 'printf "cas\tfresh\t\\\\N\tborn\n" | sochdb-kv txn'
	run -0 sochdb-kv get fresh
	run -0 bash -c 'printf "cas\tfresh\tborn\t\\\\N\n" | sochdb-kv txn'
	run -1 sochdb-kv get fresh
}

@test "a failed cas is a conflict: exit 3, line named, nothing applied" {
	sochdb-kv put counter 5
	run -3 --separate-stderr bash -c 'printf "put\tother\t1\ncas\tcounter\t4\t5\nget\tother\n" | sochdb-kv txn'
	[ "$stderr" = "sochdb-kv: line 2: conflict: cas on key 'counter' found a different value; nothing applied" ]
	[ -z "$output" ]
	run -1 sochdb-kv get other
	run -3 --separate-stderr bash -c 'printf "cas\tmissing\tx\ty\n" | sochdb-kv txn'
	[ "$stderr" = "sochdb-kv: line 1: conflict: cas on key 'missing' found no value; nothing applied" ]
	run -3 --separate-stderr bash -c 'printf "cas\tcounter\t\\\\N\ty\n" | sochdb-kv txn'
	[[ "$stderr" == *"found a different value; nothing applied" ]]
}

@test "malformed txn lines are reported with their number" {
	run -3 --separate-stderr bash -c 'printf "put\ta\t1\nfrobnicate\tx\n" | sochdb-kv txn'
	[ "$stderr" = "sochdb-kv: line 2: unknown operation (expected put, del, cas or get); nothing applied" ]
	run -3 --separate-stderr bash -c 'printf "put\ta\n" | sochdb-kv txn'
	[ "$stderr" = "sochdb-kv: line 1: put takes 2 fields; nothing applied" ]
	run -1 sochdb-kv get a
}

@test "read-modify-write with cas is safe under concurrent scripts" {
	sochdb-kv put n 0
	incr() {
		for _ in $(seq 10); do
			while :; do
				v=$(sochdb-kv get n)
				printf 'cas\tn\t%s\t%s\n' "$v" $((v + 1)) | sochdb-kv txn 2>/dev/null && break
			done
		done
	}
	incr & incr & incr & wait
	run -0 sochdb-kv get n
	[ "$output" = 30 ]
}

@test "txn in a namespace with --ttl" {
	now=$(date +%s%3N)
	run -0 bash -c 'printf "put\tk\tv\n" | sochdb-kv txn -n ns --ttl 5'
	run -0 sochdb-kv get -n ns k
	SDB_NOW_MS=$((now + 9000)) run -1 sochdb-kv get -n ns k
	run -1 sochdb-kv get k
}

@test "txn logs its operations in the order given; gets see the newest own write" {
	sochdb-kv put a 0
	run -0 --separate-stderr bash -c 'printf "put\tb\t1\nput\ta\t2\ndel\tb\nget\tb\nput\tb\t3\ncas\ta\t2\t4\nget\ta\nget\tb\n" | sochdb-kv txn'
	[ "$output" = $'\\N\n4\n3' ]
	run -0 sochdb-wal dump --format jsonl
	ops=$(printf '%s\n' "$output" | tail -n +4 |
		sed -E 's/.*"type":"([a-z]+)","ns":[^,]*,"key":("[^"]*"|null),"value":("[^"]*"|null).*/\1 \2 \3/')
	[ "$ops" = 'begin null null
put "b" "1"
put "a" "2"
del "b" null
put "b" "3"
put "a" "4"
commit null null' ]
	run -0 sochdb-kv scan
	[ "$output" = $'a\t4\nb\t3' ]
}

@test "a txn of only gets writes nothing; an empty load logs an empty transaction" {
	sochdb-kv put a 1
	run -0 sochdb-wal stats --format json
	before=$output
	run -0 bash -c 'printf "get\ta\nget\tzz\n" | sochdb-kv txn'
	[ "$output" = $'1\n\\N' ]
	run -0 sochdb-wal stats --format json
	[ "$output" = "$before" ]
	run -0 sochdb-kv load </dev/null
	run -0 sochdb-wal dump --format jsonl
	[ "$(printf '%s\n' "$output" | tail -n 2 | sed -E 's/.*"type":"([a-z]+)".*/\1/')" = $'begin\ncommit' ]
}

@test "a txn with many own writes reads them back and commits them all" {
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "put\tk%05d\tv%d\n", i, i;
		     for (i = 0; i < 20000; i += 1000) printf "get\tk%05d\n", i;
		     printf "del\tk00007\ncas\tk00008\tv8\tnew\nget\tk00007\nget\tk00008\n" }' >"$BATS_TEST_TMPDIR/ops"
	run -0 --separate-stderr sochdb-kv txn <"$BATS_TEST_TMPDIR/ops"
	[ "${#lines[@]}" -eq 22 ]
	[ "${lines[1]}" = v1000 ]
	[ "${lines[20]}" = '\N' ]
	[ "${lines[21]}" = new ]
	run -0 sochdb-kv scan --keys-only --limit 9
	[ "${lines[7]}" = k00008 ]
	run -0 sochdb-kv get k00008
	[ "$output" = new ]
}
