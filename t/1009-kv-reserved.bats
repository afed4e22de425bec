#!/usr/bin/env bats
# 1009-kv-reserved: namespaces starting with '$' (SQL's $sql, the graph's
# $graph:NS) are not for sochdb-kv: -n refuses them, load refuses them, and
# listings across namespaces (dump, stats) leave them out while the data
# stays (sochdb-wal dump sees it).

load test_helper

setup() {
	setup_db
	cd "$BATS_TEST_TMPDIR" # files the tests write stay out of the checkout
}

# Data in a reserved namespace, written by a tool that owns one.
reserved_data() {
	run -0 sochdb-graph add-node soc alice person
	run -0 sochdb-graph add-node soc bob person
}

@test "-n refuses a reserved namespace on every subcommand, exit 2" {
	for cmd in "put k v" "get k" "del k" "exists k" "scan" "ls" "dump" "stats" "load /dev/null"; do
		run -2 sochdb-kv $cmd -n '$sql'
		assert_line --index 0 "sochdb-kv: namespace '\$sql' is reserved"
	done
	run -2 sochdb-kv -n '$x' put k v
	assert_line --index 0 "sochdb-kv: namespace '\$x' is reserved"
	# a '$' later in the name is an ordinary namespace
	run -0 sochdb-kv -n 'a$b' put k v
	run -0 sochdb-kv -n 'a$b' get k
	assert_output v
}

@test "load refuses a record naming a reserved namespace, nothing applied" {
	run -0 sochdb-kv put z 0
	printf '{"key":"a","value":"1"}\n{"key":"b","value":"2","ns":"$graph:x"}\n' >in.jsonl
	run -3 sochdb-kv load --format jsonl in.jsonl
	assert_output --partial "line 2: namespace '\$graph:x' is reserved"
	run -1 sochdb-kv get a
}

@test "dump and stats across namespaces leave reserved namespaces out" {
	reserved_data
	run -0 sochdb-kv put a 1
	run -0 sochdb-kv -n ns put c 3
	run -0 sochdb-kv dump
	assert_output "$(printf 'a\t1\nc\t3\t\\N\tns')"
	run -0 sochdb-kv dump --format jsonl
	refute_output --partial 'graph'
	run -0 sochdb-kv stats --format json
	assert_output --partial '"keys":2,'
	# the reserved data is there all the same
	run -0 sochdb-wal dump --format jsonl
	assert_output --partial '"ns":"$graph:soc"'
	# and a dump | load round trip keeps only the kv data
	sochdb-kv dump >all.tsv
	SOCHDB_DIR=$BATS_TEST_TMPDIR/copy run -0 sochdb-kv load all.tsv
	SOCHDB_DIR=$BATS_TEST_TMPDIR/copy run -0 sochdb-kv dump
	assert_output "$(printf 'a\t1\nc\t3\t\\N\tns')"
}

@test "scan and ls of the default namespace never meet reserved keys" {
	reserved_data
	run -0 sochdb-kv put 'x/y' 1
	run -0 sochdb-kv scan
	assert_output "$(printf 'x/y\t1')"
	run -0 sochdb-kv ls
	assert_output "x/"
}
