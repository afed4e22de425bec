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
