#!/usr/bin/env bats
# 5010-wal-delrange: a range delete (sdb_batch_del_range; the library's,
# no CLI writes one yet) through the tools: sochdb-wal dump shows its
# DELRANGE record, verify/stats accept it, sochdb-kv reads honour it
# before and after checkpoint, compaction and a reopen.

load test_helper

setup() {
	setup_db
	# k000..k005 put, then [k001, k003) deleted by one DELRANGE record
	run -0 "$BUILD/t/unit/test_store" --make-delrange "$SOCHDB_DIR"
}

@test "wal dump shows a range delete as one delrange row: key = lo, value = hi" {
	run -0 sochdb-wal dump
	[ "${lines[0]}" = "[11]{lsn,type,ns,key,value,expires_ms,info}:" ]
	[ "${lines[10]}" = '  1014,delrange,null,"\\x00k001","\\x00k003",null,null' ]
	[ "${lines[11]}" = "  1047,commit,null,null,null,null,1" ]
	run -0 sochdb-wal dump --format jsonl
	[ "${lines[9]}" = '{"lsn":1014,"type":"delrange","ns":null,"key":"\\x00k001","value":"\\x00k003","expires_ms":null,"info":null}' ]
}

@test "verify and stats accept a range delete" {
	run -0 sochdb-wal verify
	run -0 sochdb-wal stats
	[[ "$output" == *$'\nkeys: 4'* ]]
}

@test "reads honour a range delete through checkpoint and compaction" {
	expect=$'k000\nk003\nk004\nk005'
	run -0 sochdb-kv scan --keys-only
	[ "$output" = "$expect" ]
	run -1 sochdb-kv get k001
	run -0 sochdb-wal checkpoint
	run -0 sochdb-kv scan --keys-only
	[ "$output" = "$expect" ]
	run -0 sochdb-kv scan --keys-only --reverse
	[ "$output" = $'k005\nk004\nk003\nk000' ]
	run -0 sochdb-wal verify
	run -0 sochdb-kv put k002 back
	run -0 sochdb-wal checkpoint
	run -0 sochdb-wal compact
	run -0 sochdb-kv scan --keys-only
	[ "$output" = $'k000\nk002\nk003\nk004\nk005' ]
	run -0 sochdb-kv get k002
	[ "$output" = back ]
	run -1 sochdb-kv get k001
	run -0 sochdb-wal verify
}
