#!/usr/bin/env bats
# 1008-kv-demo: the key-value scene of `make demo` (scripts/demo-kv.sh)
# runs end to end and prints what it claims.

load test_helper

@test "scripts/demo-kv.sh: paths, a TOON listing, cas, a namespace through dump | load" {
	run -0 --separate-stderr env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo-kv.sh"
	assert_line '== sochdb-kv: keys, paths and transactions from the shell'
	assert_line 'alice@example.com'
	assert_line 'alice/'
	assert_line 'bob/'
	assert_line '[3]{key,value}:'
	assert_line '  users/alice/email,alice@example.com'
	assert_line 'light'
	assert_line 'exit 3'
	assert_line 'token'
	assert_line 'keys: 5'
	[ "$stderr" = "sochdb-kv: line 1: conflict: cas on key 'config/theme' found a different value; nothing applied" ]
}

@test "make demo runs the key-value and the cron scenes" {
	run -0 env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo.sh"
	assert_line '== sochdb-kv: keys, paths and transactions from the shell'
	assert_line '== sochdb-wal: cron maintenance while a writer runs'
}
